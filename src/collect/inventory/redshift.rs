//! Redshift provisioned clusters listed directly, for an account-region whose AWS Config does
//! not record them (or `--inventory direct`): one paged `DescribeClusters`, which already
//! carries each cluster's tags, encryption and key, written as AWS Config writes a cluster.

use super::{config_style, tag_pairs, Place};
use crate::collect::call::{ApiError, Caller};
use serde_json::{json, Value};

pub const CLUSTER: &str = "AWS::Redshift::Cluster";

/// The region's clusters. A failed page fails them all: a half list would hide some.
pub async fn clusters(
    caller: &Caller,
    redshift: &aws_sdk_redshift::Client,
    at: Place<'_>,
) -> Result<Vec<Value>, ApiError> {
    let listed = caller
        .all_pages(
            |t| {
                redshift
                    .describe_clusters()
                    .max_records(100)
                    .set_marker(t)
                    .send()
            },
            |o| (o.clusters.unwrap_or_default(), o.marker),
        )
        .await?;
    Ok(listed
        .into_iter()
        .filter_map(|c| {
            let id = c.cluster_identifier?;
            // Redshift's answer carries no cluster ARN; AWS documents its form.
            let arn = format!(
                "arn:{}:redshift:{}:{}:cluster:{id}",
                at.partition, at.region, at.account
            );
            let tags = tag_pairs(
                c.tags
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| (t.key, t.value)),
            );
            // Config's item for a cluster is camelCase, as Redshift's `Cluster`.
            let configuration = json!({
                "clusterIdentifier": id,
                "clusterStatus": c.cluster_status,
                "encrypted": c.encrypted,
                "kmsKeyId": c.kms_key_id,
            });
            Some(config_style(
                CLUSTER,
                &id,
                Some(&id),
                &arn,
                (at.account, at.region),
                tags,
                configuration,
            ))
        })
        .collect())
}
