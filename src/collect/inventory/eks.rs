//! EKS clusters listed directly, for an account-region whose AWS Config does not record them
//! (or `--inventory direct`): `ListClusters`, then `DescribeCluster` for each (its ARN and
//! tags), written as AWS Config writes a cluster.

use super::{config_style, describe_each, Place};
use crate::collect::call::{ApiError, Caller};
use serde_json::{json, Value};

pub const CLUSTER: &str = "AWS::EKS::Cluster";

/// The region's clusters. Any failed call fails them all: a half list would hide clusters.
pub async fn clusters(
    caller: &Caller,
    eks: &aws_sdk_eks::Client,
    at: Place<'_>,
) -> Result<Vec<Value>, ApiError> {
    let names = caller
        .all_pages(
            |t| {
                eks.list_clusters()
                    .max_results(100)
                    .set_next_token(t)
                    .send()
            },
            |o| (o.clusters.unwrap_or_default(), o.next_token),
        )
        .await?;
    describe_each(&names, |n| cluster(caller, eks, at, n)).await
}

async fn cluster(
    caller: &Caller,
    eks: &aws_sdk_eks::Client,
    at: Place<'_>,
    name: &str,
) -> Result<Option<Value>, ApiError> {
    let Some(c) = caller
        .call(|| eks.describe_cluster().name(name).send())
        .await?
        .cluster
    else {
        return Ok(None);
    };
    let arn = c.arn.clone().unwrap_or_else(|| {
        format!(
            "arn:{}:eks:{}:{}:cluster/{name}",
            at.partition, at.region, at.account
        )
    });
    let mut tags: Vec<(String, String)> = c.tags.unwrap_or_default().into_iter().collect();
    tags.sort(); // a map's order is not the answer's; snapshots stay byte-identical
    let configuration = json!({
        "name": name,
        "arn": arn,
        "version": c.version,
        "status": c.status.as_ref().map(|s| s.as_str()),
    });
    Ok(Some(config_style(
        CLUSTER,
        name,
        Some(name),
        &arn,
        (at.account, at.region),
        tags,
        configuration,
    )))
}
