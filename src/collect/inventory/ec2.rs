//! EC2 instances and EBS volumes listed directly, for an account-region whose AWS Config does
//! not record them (or `--inventory direct`): paged `DescribeInstances` and `DescribeVolumes`,
//! which carry tags, state, block devices, attachments and keys, written as AWS Config writes
//! their items (camelCase, as EC2's own shapes).

use super::{config_style, tag_pairs, Place};
use crate::collect::call::{ApiError, Caller};
use serde_json::{json, Value};

pub const INSTANCE: &str = "AWS::EC2::Instance";
pub const VOLUME: &str = "AWS::EC2::Volume";

/// The region's instances. A failed page fails them all: a half list would hide some.
/// Terminated instances are left out, as Config deletes their items; the rest keep their
/// state, which the engine judges (a `shutting-down` instance cannot be backed up).
pub async fn instances(
    caller: &Caller,
    ec2: &aws_sdk_ec2::Client,
    at: Place<'_>,
) -> Result<Vec<Value>, ApiError> {
    let reservations = caller
        .all_pages(
            |t| {
                ec2.describe_instances()
                    .max_results(1000)
                    .set_next_token(t)
                    .send()
            },
            |o| (o.reservations.unwrap_or_default(), o.next_token),
        )
        .await?;
    Ok(reservations
        .into_iter()
        .flat_map(|r| r.instances.unwrap_or_default())
        .filter_map(|i| {
            let id = i.instance_id?;
            let code = i.state.as_ref().and_then(|s| s.code);
            let state_name = i.state.and_then(|s| s.name).map(|n| n.as_str().to_owned());
            if state_name.as_deref() == Some("terminated") {
                return None;
            }
            let tags = tag_pairs(
                i.tags
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| (t.key, t.value)),
            );
            let mappings: Vec<Value> = i
                .block_device_mappings
                .unwrap_or_default()
                .into_iter()
                .map(|m| {
                    let ebs = m
                        .ebs
                        .and_then(|e| e.volume_id)
                        .map(|v| json!({"volumeId": v}));
                    json!({"deviceName": m.device_name, "ebs": ebs})
                })
                .collect();
            let configuration = json!({
                "instanceId": id,
                "state": {"code": code, "name": state_name},
                "rootDeviceType": i.root_device_type.as_ref().map(|d| d.as_str()),
                "blockDeviceMappings": mappings,
            });
            let arn = format!(
                "arn:{}:ec2:{}:{}:instance/{id}",
                at.partition, at.region, at.account
            );
            Some(config_style(
                INSTANCE,
                &id,
                None, // Config gives EC2 items no name; the `Name` tag is among the tags
                &arn,
                (at.account, at.region),
                tags,
                configuration,
            ))
        })
        .collect())
}

/// The region's volumes, with the instances they are attached to (an instance's backup
/// takes its volumes) and their keys.
pub async fn volumes(
    caller: &Caller,
    ec2: &aws_sdk_ec2::Client,
    at: Place<'_>,
) -> Result<Vec<Value>, ApiError> {
    let listed = caller
        .all_pages(
            |t| {
                ec2.describe_volumes()
                    .max_results(500)
                    .set_next_token(t)
                    .send()
            },
            |o| (o.volumes.unwrap_or_default(), o.next_token),
        )
        .await?;
    Ok(listed
        .into_iter()
        .filter_map(|v| {
            let id = v.volume_id?;
            let tags = tag_pairs(
                v.tags
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| (t.key, t.value)),
            );
            let attachments: Vec<Value> = v
                .attachments
                .unwrap_or_default()
                .into_iter()
                .filter_map(|a| {
                    Some(json!({
                        "instanceId": a.instance_id?,
                        "state": a.state.as_ref().map(|s| s.as_str()),
                        "device": a.device,
                    }))
                })
                .collect();
            let configuration = json!({
                "volumeId": id,
                "state": v.state.as_ref().map(|s| s.as_str()),
                "attachments": attachments,
                "encrypted": v.encrypted,
                "kmsKeyId": v.kms_key_id,
            });
            let arn = format!(
                "arn:{}:ec2:{}:{}:volume/{id}",
                at.partition, at.region, at.account
            );
            Some(config_style(
                VOLUME,
                &id,
                None, // Config gives EC2 items no name; the `Name` tag is among the tags
                &arn,
                (at.account, at.region),
                tags,
                configuration,
            ))
        })
        .collect())
}
