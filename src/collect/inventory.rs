//! The resource inventory: AWS Config items, plus what Config cannot record (Storage Gateway
//! volumes, FSx file systems) fetched from their own APIs and written as Config-style items.

use super::call::{ApiError, Caller};
use crate::model::resource::ResourceKind;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The resource types AWS Config records that the model judges.
pub const CONFIG_TYPES: [&str; 10] = ResourceKind::RECORDED_TYPES;

/// The types fetched from their own APIs, each listing failing (or not) on its own.
pub const GATEWAY_VOLUME: &str = "AWS::StorageGateway::Volume";
pub const FSX_FILE_SYSTEM: &str = "AWS::FSx::FileSystem";

/// The SQL both Select APIs run: the columns a snapshot's `resources.json` holds.
/// `supplementaryConfiguration` is where Config keeps what is not in `configuration` (an S3
/// bucket's versioning: `supplementaryConfiguration.BucketVersioningConfiguration.status`).
pub fn select_expression() -> String {
    let types: Vec<String> = CONFIG_TYPES.iter().map(|t| format!("'{t}'")).collect();
    format!(
        "SELECT resourceId, resourceName, resourceType, arn, accountId, awsRegion, tags, \
         configuration, supplementaryConfiguration WHERE resourceType IN ({})",
        types.join(", ")
    )
}

/// Config returns each row as a JSON string; a row that is not JSON is Config's fault, but
/// dropping it silently would hide a resource, so it fails the file.
fn parse_rows(rows: Vec<String>) -> Result<Vec<Value>, ApiError> {
    rows.into_iter()
        .map(|r| {
            serde_json::from_str(&r).map_err(|e| ApiError {
                code: None,
                message: format!("AWS Config returned a row that is not JSON ({e})"),
            })
        })
        .collect()
}

/// Config items of one account-region, after checking that the recorder really records.
pub async fn config_items(
    caller: &Caller,
    config: &aws_sdk_config::Client,
) -> Result<Vec<Value>, ApiError> {
    recorder_check(caller, config).await?;
    let expr = select_expression();
    let rows = caller
        .all_pages(
            |t| {
                config
                    .select_resource_config()
                    .expression(&expr)
                    .limit(100)
                    .set_next_token(t)
                    .send()
            },
            |o| (o.results.unwrap_or_default(), o.next_token),
        )
        .await?;
    parse_rows(rows)
}

/// An off or partial recorder makes an empty answer meaningless: that must read as
/// "unknown", never as "no resources".
async fn recorder_check(caller: &Caller, config: &aws_sdk_config::Client) -> Result<(), ApiError> {
    let status = caller
        .call(|| config.describe_configuration_recorder_status().send())
        .await?;
    let statuses = status.configuration_recorders_status.unwrap_or_default();
    let unusable = |m: String| ApiError {
        code: Some("ConfigRecorderNotRecording".into()),
        message: m,
    };
    if statuses.is_empty() {
        return Err(unusable(
            "AWS Config has no configuration recorder in this region, so its inventory is unknown"
                .into(),
        ));
    }
    if !statuses.iter().any(|s| s.recording) {
        let names: Vec<&str> = statuses.iter().filter_map(|s| s.name.as_deref()).collect();
        return Err(unusable(format!(
            "AWS Config recorder {} is not recording, so its inventory is unknown",
            names.join(", ")
        )));
    }
    let recorders = caller
        .call(|| config.describe_configuration_recorders().send())
        .await?
        .configuration_recorders
        .unwrap_or_default();
    let mut recorded: Vec<String> = Vec::new();
    for r in &recorders {
        let Some(g) = &r.recording_group else {
            return Ok(()); // no group: the default, which records all supported types
        };
        if g.all_supported {
            return Ok(());
        }
        recorded.extend(
            g.resource_types
                .iter()
                .flatten()
                .map(|t| t.as_str().to_string()),
        );
    }
    let missing: Vec<&str> = CONFIG_TYPES
        .iter()
        .copied()
        .filter(|t| !recorded.iter().any(|r| r == t))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(unusable(format!(
            "AWS Config does not record {}: resources of those types would be missing",
            missing.join(", ")
        )))
    }
}

/// Items per (account, region) from a Config aggregator, and the sources it could not read.
pub struct Aggregated {
    pub items: BTreeMap<(String, String), Vec<Value>>,
    pub failed_sources: BTreeMap<(String, String), String>,
    /// Account-regions the aggregator has as sources: only these have a known inventory.
    pub covered: std::collections::BTreeSet<(String, String)>,
}

pub async fn aggregated_items(
    caller: &Caller,
    config: &aws_sdk_config::Client,
    aggregator: &str,
) -> Result<Aggregated, ApiError> {
    let expr = select_expression();
    let rows = caller
        .all_pages(
            |t| {
                config
                    .select_aggregate_resource_config()
                    .configuration_aggregator_name(aggregator)
                    .expression(&expr)
                    .limit(100)
                    .set_next_token(t)
                    .send()
            },
            |o| (o.results.unwrap_or_default(), o.next_token),
        )
        .await?;
    let mut items: BTreeMap<(String, String), Vec<Value>> = BTreeMap::new();
    for item in parse_rows(rows)? {
        let key = (
            item["accountId"].as_str().unwrap_or_default().to_string(),
            item["awsRegion"].as_str().unwrap_or_default().to_string(),
        );
        items.entry(key).or_default().push(item);
    }
    let sources = caller
        .all_pages(
            |t| {
                config
                    .describe_configuration_aggregator_sources_status()
                    .configuration_aggregator_name(aggregator)
                    .set_next_token(t)
                    .send()
            },
            |o| {
                (
                    o.aggregated_source_status_list.unwrap_or_default(),
                    o.next_token,
                )
            },
        )
        .await?;
    let mut failed_sources = BTreeMap::new();
    let mut covered = std::collections::BTreeSet::new();
    for s in sources {
        if let (Some(acct), Some(region)) = (&s.source_id, &s.aws_region) {
            covered.insert((acct.clone(), region.clone()));
        }
        let failed = s
            .last_update_status
            .as_ref()
            .is_some_and(|st| st.as_str() == "FAILED");
        if let (true, Some(acct), Some(region)) = (failed, s.source_id, s.aws_region) {
            let why =
                format!(
                "{}: the Config aggregator {aggregator} could not read this account-region ({})",
                s.last_error_code.as_deref().unwrap_or("AggregatorSourceFailed"),
                s.last_error_message.as_deref().unwrap_or("no message")
            );
            failed_sources.insert((acct, region), why);
        }
    }
    Ok(Aggregated {
        items,
        failed_sources,
        covered,
    })
}

fn config_style(
    resource_type: &str,
    id: &str,
    name: Option<&str>,
    arn: &str,
    (account, region): (&str, &str),
    tags: Vec<(String, String)>,
    configuration: Value,
) -> Value {
    let tags: Vec<Value> = tags
        .into_iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect();
    json!({
        "resourceType": resource_type,
        "resourceId": id,
        "resourceName": name,
        "arn": arn,
        "accountId": account,
        "awsRegion": region,
        "tags": tags,
        "configuration": configuration,
    })
}

/// Storage Gateway volumes: `ListGateways`, then `ListVolumes` and `ListTagsForResource`
/// (selections match on tags) per gateway and volume.
pub async fn gateway_volumes(
    caller: &Caller,
    sg: &aws_sdk_storagegateway::Client,
    account: &str,
    region: &str,
) -> Result<Vec<Value>, ApiError> {
    let gateways = caller
        .all_pages(
            |t| sg.list_gateways().set_marker(t).send(),
            |o| (o.gateways.unwrap_or_default(), o.marker),
        )
        .await?;
    let mut items = Vec::new();
    for g in gateways {
        let Some(gw_arn) = g.gateway_arn else {
            continue;
        };
        let volumes = caller
            .all_pages(
                |t| sg.list_volumes().gateway_arn(&gw_arn).set_marker(t).send(),
                |o| (o.volume_infos.unwrap_or_default(), o.marker),
            )
            .await?;
        for v in volumes {
            let (Some(arn), Some(id)) = (v.volume_arn, v.volume_id) else {
                continue;
            };
            let tags = caller
                .all_pages(
                    |t| {
                        sg.list_tags_for_resource()
                            .resource_arn(&arn)
                            .set_marker(t)
                            .send()
                    },
                    |o| (o.tags.unwrap_or_default(), o.marker),
                )
                .await?;
            let name = tags
                .iter()
                .find(|t| t.key == "Name")
                .map(|t| t.value.clone());
            let configuration = json!({
                "volumeType": v.volume_type,
                "volumeSizeInBytes": v.volume_size_in_bytes,
                "volumeAttachmentStatus": v.volume_attachment_status,
                "gatewayARN": gw_arn,
            });
            items.push(config_style(
                GATEWAY_VOLUME,
                &id,
                name.as_deref(),
                &arn,
                (account, region),
                tags.into_iter().map(|t| (t.key, t.value)).collect(),
                configuration,
            ));
        }
    }
    Ok(items)
}

/// FSx file systems: one paged `DescribeFileSystems`, which already carries the tags.
pub async fn fsx_file_systems(
    caller: &Caller,
    fsx: &aws_sdk_fsx::Client,
    account: &str,
    region: &str,
) -> Result<Vec<Value>, ApiError> {
    let systems = caller
        .all_pages(
            |t| fsx.describe_file_systems().set_next_token(t).send(),
            |o| (o.file_systems.unwrap_or_default(), o.next_token),
        )
        .await?;
    Ok(systems
        .into_iter()
        .filter_map(|f| {
            let arn = f.resource_arn?;
            let id = f.file_system_id?;
            let tags: Vec<(String, String)> = f
                .tags
                .unwrap_or_default()
                .into_iter()
                .filter_map(|t| Some((t.key?, t.value?)))
                .collect();
            let name = tags
                .iter()
                .find(|(k, _)| k == "Name")
                .map(|(_, v)| v.clone());
            let configuration = json!({
                "fileSystemType": f.file_system_type.as_ref().map(|t| t.as_str()),
                "lifecycle": f.lifecycle.as_ref().map(|l| l.as_str()),
                "storageCapacity": f.storage_capacity,
                "kmsKeyId": f.kms_key_id,
            });
            Some(config_style(
                FSX_FILE_SYSTEM,
                &id,
                name.as_deref(),
                &arn,
                (account, region),
                tags,
                configuration,
            ))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::resource::ResourceKind;

    #[test]
    fn every_selected_type_is_one_the_model_judges() {
        for t in CONFIG_TYPES {
            assert!(ResourceKind::from_config(t, None).is_some(), "{t}");
        }
        assert!(select_expression().contains("'AWS::Redshift::Cluster'"));
        assert!(select_expression().contains(", supplementaryConfiguration WHERE "));
    }
}
