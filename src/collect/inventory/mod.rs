//! The resource inventory: AWS Config items, plus what Config cannot record (Storage Gateway
//! volumes, FSx file systems) fetched from their own APIs and written as Config-style items.

use super::call::{ApiError, Caller};
use crate::model::resource::ResourceKind;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

mod dynamodb;
mod ec2;
mod efs;
mod eks;
mod rds;
mod redshift;
mod s3;
mod sources;

/// Where a direct listing looks: account, region, and the partition of the ARNs it builds.
#[derive(Clone, Copy)]
pub struct Place<'a> {
    pub account: &'a str,
    pub region: &'a str,
    pub partition: &'a str,
}
pub use sources::{direct_operations, resources, DirectClients, Listing, Source};

/// Tags as the SDKs of EC2, RDS, Redshift and FSx give them (`key` and `value` optional): a
/// pair only where both are there.
pub(super) fn tag_pairs(
    tags: impl IntoIterator<Item = (Option<String>, Option<String>)>,
) -> Vec<(String, String)> {
    tags.into_iter()
        .filter_map(|(k, v)| Some((k?, v?)))
        .collect()
}

/// Describes each listed name (all at once: the limits live in `Caller`), leaving out those
/// deleted in between: a `ResourceNotFoundException` means nothing is left to judge. Any
/// other failure fails them all: a half list would hide resources.
pub(super) async fn describe_each<'a, F, Fut>(
    names: &'a [String],
    describe: F,
) -> Result<Vec<Value>, ApiError>
where
    F: Fn(&'a str) -> Fut,
    Fut: std::future::Future<Output = Result<Option<Value>, ApiError>>,
{
    let found = futures_util::future::try_join_all(names.iter().map(|n| async {
        match describe(n).await {
            Err(e) if e.is("ResourceNotFoundException") => Ok(None),
            other => other,
        }
    }))
    .await?;
    Ok(found.into_iter().flatten().collect())
}

/// The resource types AWS Config records that the model judges.
pub const CONFIG_TYPES: [&str; 11] = ResourceKind::RECORDED_TYPES;

/// The types fetched from their own APIs, each listing failing (or not) on its own.
pub const GATEWAY_VOLUME: &str = "AWS::StorageGateway::Volume";
pub const FSX_FILE_SYSTEM: &str = "AWS::FSx::FileSystem";

/// The SQL both Select APIs run: the columns a snapshot's `resources.json` holds.
/// `supplementaryConfiguration` is where Config keeps what is not in `configuration` (an S3
/// bucket's versioning: `supplementaryConfiguration.BucketVersioningConfiguration.status`).
pub fn select_expression() -> String {
    select_expression_for(&CONFIG_TYPES)
}

/// The Select for only some types (those Config records here, when others are listed
/// directly).
pub fn select_expression_for(types: &[&str]) -> String {
    let types: Vec<String> = types.iter().map(|t| format!("'{t}'")).collect();
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

/// Config items of the given types in one account-region (the caller has checked that the
/// recorder records them: see [`recorded_types`]).
pub async fn config_items(
    caller: &Caller,
    config: &aws_sdk_config::Client,
    types: &[&str],
) -> Result<Vec<Value>, ApiError> {
    if types.is_empty() {
        return Ok(Vec::new());
    }
    let expr = select_expression_for(types);
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

/// What an account-region's AWS Config recorders record. An off or partial recorder makes
/// an empty answer meaningless for the types it skips: those must read as "unknown" (or be
/// listed another way), never as "no resources".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Every supported type (no recording group, or `allSupported`).
    All,
    /// Only the types some recorder names (`resourceTypes`), or all but those every
    /// recorder excludes (`EXCLUSION_BY_RESOURCE_TYPES`).
    Some {
        only: BTreeSet<String>,
        all_but: Option<BTreeSet<String>>,
    },
    /// Nothing is recorded, for this reason (no recorder, or none recording).
    Off(String),
}

impl Recorded {
    pub fn records(&self, resource_type: &str) -> bool {
        match self {
            Recorded::All => true,
            Recorded::Some { only, all_but } => {
                only.contains(resource_type)
                    || all_but.as_ref().is_some_and(|x| !x.contains(resource_type))
            }
            Recorded::Off(_) => false,
        }
    }
}

/// Asks Config what it records here: `DescribeConfigurationRecorderStatus`, then (if one
/// records) `DescribeConfigurationRecorders` for their recording groups.
pub async fn recorded_types(
    caller: &Caller,
    config: &aws_sdk_config::Client,
) -> Result<Recorded, ApiError> {
    let status = caller
        .call(|| config.describe_configuration_recorder_status().send())
        .await?;
    let statuses = status.configuration_recorders_status.unwrap_or_default();
    if statuses.is_empty() {
        return Ok(Recorded::Off(
            "AWS Config has no configuration recorder in this region, so its inventory is unknown"
                .into(),
        ));
    }
    if !statuses.iter().any(|s| s.recording) {
        let names: Vec<&str> = statuses.iter().filter_map(|s| s.name.as_deref()).collect();
        return Ok(Recorded::Off(format!(
            "AWS Config recorder {} is not recording, so its inventory is unknown",
            names.join(", ")
        )));
    }
    let recorders = caller
        .call(|| config.describe_configuration_recorders().send())
        .await?
        .configuration_recorders
        .unwrap_or_default();
    let mut only = BTreeSet::new();
    let mut all_but: Option<BTreeSet<String>> = None;
    let names = |ts: &[aws_sdk_config::types::ResourceType]| -> BTreeSet<String> {
        ts.iter().map(|t| t.as_str().to_string()).collect()
    };
    for r in &recorders {
        let Some(g) = &r.recording_group else {
            return Ok(Recorded::All); // no group: the default, which records all supported types
        };
        if g.all_supported {
            return Ok(Recorded::All);
        }
        let excluding = g
            .recording_strategy
            .as_ref()
            .and_then(|s| s.use_only.as_ref())
            == Some(&aws_sdk_config::types::RecordingStrategyType::ExclusionByResourceTypes);
        if excluding {
            let excluded = names(
                g.exclusion_by_resource_types
                    .as_ref()
                    .map(|e| e.resource_types())
                    .unwrap_or_default(),
            );
            // A type is recorded if any recorder records it: excluded only if all exclude it.
            all_but = Some(match all_but {
                Some(before) => before.intersection(&excluded).cloned().collect(),
                None => excluded,
            });
        } else {
            only.extend(names(g.resource_types.as_deref().unwrap_or_default()));
        }
    }
    Ok(Recorded::Some { only, all_but })
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

pub(super) fn config_style(
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
            let tags = tag_pairs(
                f.tags
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| (t.key, t.value)),
            );
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
