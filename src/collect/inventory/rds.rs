//! RDS DB instances and the clusters of RDS, Aurora, DocumentDB and Neptune listed directly,
//! for an account-region whose AWS Config does not record them (or `--inventory direct`):
//! paged `DescribeDBInstances` and `DescribeDBClusters` (one API serves all four engines),
//! written as AWS Config writes their items, membership and keys included.
//!
//! RDS's API answers for all four engines, and Config's `AWS::RDS::DBCluster` item is what
//! the engine reads (it tells DocumentDB and Neptune apart by `engine`), so every cluster is
//! written with that type; the DocumentDB and Neptune types each list their engine's share,
//! and a cluster Config also has (under either type) is one resource, by its ARN.

use super::{config_style, tag_pairs, Place};
use crate::collect::call::{ApiError, Caller};
use aws_sdk_rds::types::DbCluster;
use serde_json::{json, Value};

pub const INSTANCE: &str = "AWS::RDS::DBInstance";
pub const CLUSTER: &str = "AWS::RDS::DBCluster";
pub const DOCDB_CLUSTER: &str = "AWS::DocDB::DBCluster";
pub const NEPTUNE_CLUSTER: &str = "AWS::Neptune::DBCluster";

/// The region's DB instances (cluster members name their cluster: the engine judges them by
/// it). A failed page fails them all: a half list would hide some.
pub async fn instances(
    caller: &Caller,
    rds: &aws_sdk_rds::Client,
    at: Place<'_>,
) -> Result<Vec<Value>, ApiError> {
    let listed = caller
        .all_pages(
            |t| {
                rds.describe_db_instances()
                    .max_records(100)
                    .set_marker(t)
                    .send()
            },
            |o| (o.db_instances.unwrap_or_default(), o.marker),
        )
        .await?;
    Ok(listed
        .into_iter()
        .filter_map(|i| {
            let name = i.db_instance_identifier?;
            let arn = i.db_instance_arn.unwrap_or_else(|| {
                format!(
                    "arn:{}:rds:{}:{}:db:{name}",
                    at.partition, at.region, at.account
                )
            });
            let id = i.dbi_resource_id.unwrap_or_else(|| name.clone());
            let configuration = json!({
                "dBInstanceIdentifier": name,
                "dBClusterIdentifier": i.db_cluster_identifier,
                "engine": i.engine,
                "dBInstanceStatus": i.db_instance_status,
                "storageEncrypted": i.storage_encrypted,
                "kmsKeyId": i.kms_key_id,
                "dbiResourceId": id,
            });
            Some(config_style(
                INSTANCE,
                &id,
                Some(&name),
                &arn,
                (at.account, at.region),
                tag_pairs(
                    i.tag_list
                        .unwrap_or_default()
                        .into_iter()
                        .map(|t| (t.key, t.value)),
                ),
                configuration,
            ))
        })
        .collect())
}

/// One `DescribeDBClusters` answer for an account-region, shared by the three cluster
/// families that list it (RDS and Aurora, DocumentDB, Neptune): asked once, not three times.
pub type SharedClusters = tokio::sync::OnceCell<Result<Vec<DbCluster>, ApiError>>;

/// The region's clusters of one `family` (see [`listed_as`]): RDS and
/// Aurora as `AWS::RDS::DBCluster`, DocumentDB and Neptune as their own types.
pub async fn clusters(
    caller: &Caller,
    rds: &aws_sdk_rds::Client,
    at: Place<'_>,
    family: &str,
    shared: &SharedClusters,
) -> Result<Vec<Value>, ApiError> {
    let listed = shared
        .get_or_init(|| {
            caller.all_pages(
                |t| {
                    rds.describe_db_clusters()
                        .max_records(100)
                        .set_marker(t)
                        .send()
                },
                |o| (o.db_clusters.unwrap_or_default(), o.marker),
            )
        })
        .await
        .clone()?;
    Ok(listed
        .into_iter()
        .filter(|c| listed_as(c.engine.as_deref().unwrap_or_default()) == family)
        .filter_map(|c| {
            let name = c.db_cluster_identifier?;
            let arn = c.db_cluster_arn.unwrap_or_else(|| {
                format!(
                    "arn:{}:rds:{}:{}:cluster:{name}",
                    at.partition, at.region, at.account
                )
            });
            let id = c.db_cluster_resource_id.unwrap_or_else(|| name.clone());
            let members: Vec<Value> = c
                .db_cluster_members
                .unwrap_or_default()
                .into_iter()
                .filter_map(|m| {
                    Some(json!({
                        "dbinstanceIdentifier": m.db_instance_identifier?,
                        "isClusterWriter": m.is_cluster_writer,
                    }))
                })
                .collect();
            // Config's cluster item spells these `dbcluster…`, unlike its instance item.
            let configuration = json!({
                "dbclusterIdentifier": name,
                "engine": c.engine,
                "status": c.status,
                "storageEncrypted": c.storage_encrypted,
                "kmsKeyId": c.kms_key_id,
                "dbclusterMembers": members,
            });
            Some(config_style(
                CLUSTER,
                &id,
                Some(&name),
                &arn,
                (at.account, at.region),
                tag_pairs(
                    c.tag_list
                        .unwrap_or_default()
                        .into_iter()
                        .map(|t| (t.key, t.value)),
                ),
                configuration,
            ))
        })
        .collect())
}

/// The inventory type whose listing takes the clusters of this engine.
pub fn listed_as(engine: &str) -> &'static str {
    match engine {
        "docdb" => DOCDB_CLUSTER,
        "neptune" => NEPTUNE_CLUSTER,
        _ => CLUSTER,
    }
}
