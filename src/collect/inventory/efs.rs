//! EFS file systems listed directly, for an account-region whose AWS Config does not record
//! them (or `--inventory direct`): one paged `DescribeFileSystems`, which already carries each
//! file system's ARN and tags, written as AWS Config writes a file system's item.

use super::{config_style, Place};
use crate::collect::call::{ApiError, Caller};
use serde_json::{json, Value};

pub const FILE_SYSTEM: &str = "AWS::EFS::FileSystem";

/// The region's file systems. A failed page fails them all: a half list would hide some.
pub async fn file_systems(
    caller: &Caller,
    efs: &aws_sdk_efs::Client,
    at: Place<'_>,
) -> Result<Vec<Value>, ApiError> {
    let listed = caller
        .all_pages(
            |t| {
                efs.describe_file_systems()
                    .max_items(100)
                    .set_marker(t)
                    .send()
            },
            |o| (o.file_systems.unwrap_or_default(), o.next_marker),
        )
        .await?;
    Ok(listed
        .into_iter()
        .map(|f| {
            let arn = f.file_system_arn.clone().unwrap_or_else(|| {
                // Older answers lack the ARN; it is built as AWS documents it.
                format!(
                    "arn:{}:elasticfilesystem:{}:{}:file-system/{}",
                    at.partition, at.region, at.account, f.file_system_id
                )
            });
            let tags: Vec<(String, String)> = f
                .tags
                .iter()
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect();
            // Config's own item names these fields so (PascalCase, as EFS's API does).
            let configuration = json!({
                "FileSystemId": f.file_system_id,
                "Arn": arn,
                "Encrypted": f.encrypted,
                "KmsKeyId": f.kms_key_id,
                "LifeCycleState": f.life_cycle_state.as_str(),
                "PerformanceMode": f.performance_mode.as_str(),
                "ThroughputMode": f.throughput_mode.as_ref().map(|m| m.as_str()),
            });
            config_style(
                FILE_SYSTEM,
                &f.file_system_id,
                f.name.as_deref(),
                &arn,
                (at.account, at.region),
                tags,
                configuration,
            )
        })
        .collect())
}
