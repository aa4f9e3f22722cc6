//! Workload resources: what AWS Backup can protect, normalised from AWS Config items.

use super::{keys, Arn};
use crate::snapshot::aws::ConfigItem;
use crate::snapshot::kms::KmsAlias;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

mod kind;

pub use kind::{ColdStorage, ResourceKind};

/// One workload resource, with just what selections and checks look at.
#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    pub arn: String,
    pub kind: ResourceKind,
    pub config_type: String,
    pub id: String,
    pub name: Option<String>,
    /// Sorted by key; AWS tag keys are unique per resource.
    pub tags: Vec<(String, String)>,
    /// EC2 instance state (`running`, `stopped`, …).
    pub state: Option<String>,
    /// EC2 instance whose root device is instance store (`rootDeviceType: instance-store`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub instance_store_root: bool,
    /// EBS volume → the instance ids it is attached to.
    pub attached_to: Vec<String>,
    /// RDS instance → the cluster it belongs to (Aurora, DocumentDB, Neptune, Multi-AZ).
    pub cluster_id: Option<String>,
    /// A cluster member whose cluster is among its scope's resources (set by
    /// [`link_members`] when the scope is built).
    pub cluster_in_scope: bool,
    pub engine: Option<String>,
    /// S3 only: the bucket's versioning as Config records it (`Enabled`, `Suspended`, `Off`);
    /// `None` when the item does not say.
    pub versioning: Option<String>,
    /// The KMS key its backups keep (types AWS Backup does not fully manage), decided by
    /// [`resolve_keys`] once its account-region is read.
    #[serde(skip)]
    pub source_key: keys::SourceKey,
}

/// What stands between a resource and its backups, whatever the plans say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    /// AWS Backup cannot back it up: every job fails.
    Cannot(String),
    /// Whether it can is not in the snapshot.
    Unknown(String),
}

impl Resource {
    pub fn from_config(item: ConfigItem) -> Option<Resource> {
        let c = item.configuration;
        let kind = ResourceKind::from_config(&item.resource_type, c.engine.as_deref())?;
        let versioning = match kind {
            ResourceKind::S3Bucket => item
                .supplementary_configuration
                .bucket_versioning_status()
                .map(str::to_owned),
            _ => None,
        };
        let mut tags = item.tags.0;
        tags.sort();
        tags.dedup_by(|a, b| a.0 == b.0);
        let state = c.state.as_ref().and_then(|s| match s {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Object(o) => o
                .get("name")
                .or_else(|| o.get("value"))
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            _ => None,
        });
        let encrypted = c.encrypted == Some(true) || c.storage_encrypted == Some(true);
        let source_key = match c.kms_key_id.filter(|k| !k.is_empty()) {
            _ if !kind.keeps_source_key() => keys::SourceKey::None,
            Some(k) => keys::SourceKey::Key(k.into()),
            None if encrypted => keys::SourceKey::Unnamed,
            None => keys::SourceKey::None,
        };
        let cluster_id = match kind {
            ResourceKind::RdsInstance => c.db_cluster_identifier.filter(|s| !s.is_empty()),
            _ => None,
        };
        Some(Resource {
            kind,
            id: item.resource_id,
            name: item.resource_name,
            config_type: item.resource_type,
            arn: item.arn,
            tags,
            state,
            instance_store_root: kind == ResourceKind::Ec2Instance
                && c.root_device_type.as_deref() == Some("instance-store"),
            attached_to: c.attachments.into_iter().map(|a| a.instance_id).collect(),
            cluster_id,
            cluster_in_scope: false,
            engine: c.engine,
            versioning,
            source_key,
        })
    }

    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| self.tags[i].1.as_str())
    }

    /// Why AWS Backup cannot back this resource up whatever the plans say, if it cannot, or
    /// why whether it can is unknown. An EC2 backup is an AMI, and EC2 `CreateImage` "creates
    /// an Amazon EBS-backed AMI from an Amazon EBS-backed instance that is either running or
    /// stopped".
    ///
    /// An S3 bucket is backed up only with versioning enabled: "AWS Backup requires S3
    /// Versioning to be enabled on the bucket" (S3 backup prerequisites,
    /// https://docs.aws.amazon.com/aws-backup/latest/devguide/s3-backups.html); a bucket whose
    /// versioning Config recorded as `Off` or `Suspended` makes every backup job fail, and a
    /// bucket whose item does not say cannot be called protected.
    pub fn backup_blocker(&self) -> Option<Blocker> {
        if self.kind == ResourceKind::S3Bucket {
            return match self.versioning.as_deref() {
                Some("Enabled") => None,
                Some(v) => Some(Blocker::Cannot(format!(
                    "S3 bucket versioning is {v}: AWS Backup cannot back it up (it needs \
                     versioning enabled)"
                ))),
                None => Some(Blocker::Unknown(
                    "S3 bucket versioning is not in the snapshot (AWS Config's \
                     supplementaryConfiguration.BucketVersioningConfiguration): AWS Backup \
                     backs up only buckets with versioning enabled"
                        .to_owned(),
                )),
            };
        }
        if self.kind != ResourceKind::Ec2Instance {
            return None;
        }
        if let Some(s @ ("terminated" | "shutting-down")) = self.state.as_deref() {
            return Some(Blocker::Cannot(format!(
                "EC2 instance is {s}: AWS Backup cannot back it up (CreateImage needs an \
                 instance that is running or stopped)"
            )));
        }
        self.instance_store_root.then(|| {
            Blocker::Cannot(
                "the EC2 instance's root device is instance store: AWS Backup cannot back it \
                 up (CreateImage needs an EBS-backed instance)"
                    .to_owned(),
            )
        })
    }

    /// A cluster member is backed up by its cluster, never on its own (reference §2.4).
    pub fn is_cluster_member(&self) -> bool {
        self.cluster_id.is_some()
    }

    /// Config has no `resourceName` for EC2 instances and volumes: fall back to the `Name`
    /// tag, then the id.
    pub fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .filter(|n| !n.is_empty())
            .or_else(|| self.tag("Name"))
            .unwrap_or(&self.id)
    }

    /// The identifiers members may name a DB cluster by: the id in its ARN (`cluster:ID`) and
    /// its name (members name their cluster by identifier; Config's `resourceId` for a cluster
    /// is its opaque `cluster-…` id). None for anything else.
    fn cluster_identifiers(&self) -> impl Iterator<Item = &str> {
        let cluster = matches!(
            self.kind,
            ResourceKind::RdsCluster
                | ResourceKind::AuroraCluster
                | ResourceKind::DocumentDbCluster
                | ResourceKind::NeptuneCluster
        );
        let ids = cluster.then(|| {
            Arn::parse(&self.arn)
                .map(|a| a.resource_id())
                .into_iter()
                .chain(self.name.as_deref())
        });
        ids.into_iter().flatten()
    }
}

/// Sets `cluster_in_scope` on every cluster member of one scope's `resources`. One pass
/// indexes the clusters by identifier, one looks the members up: asking each member to search
/// the scope took time proportional to members × resources (27 s for 20,000 members).
pub fn link_members(resources: &mut [Resource]) {
    let found: Vec<bool> = {
        let clusters: HashSet<&str> = resources
            .iter()
            .flat_map(Resource::cluster_identifiers)
            .collect();
        resources
            .iter()
            .map(|r| {
                r.cluster_id
                    .as_deref()
                    .is_some_and(|c| clusters.contains(c))
            })
            .collect()
    };
    for (r, f) in resources.iter_mut().zip(found) {
        r.cluster_in_scope = f;
    }
}

/// Every EBS volume attached to an EC2 instance of the same resources, as (volume, instance)
/// indexes: an instance's backup is an AMI, which holds its volumes (Appendix B).
pub fn attachments(resources: &[Resource]) -> Vec<(usize, usize)> {
    let instances: HashMap<&str, usize> = resources
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind == ResourceKind::Ec2Instance)
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut out = Vec::new();
    for (v, vol) in resources.iter().enumerate() {
        if vol.kind != ResourceKind::EbsVolume {
            continue;
        }
        out.extend(
            vol.attached_to
                .iter()
                .filter_map(|id| Some((v, *instances.get(id.as_str())?))),
        );
    }
    out
}

/// Decides each resource's [`keys::SourceKey`] once its account-region's resources are all in:
/// with the aliases when they were read (`None`: leaves the keys undecided), and an EC2
/// instance's from the volumes attached to it (an AMI holds snapshots of them all).
pub fn resolve_keys(resources: &mut [Resource], aliases: Option<&[KmsAlias]>, account: &str) {
    if let Some(aliases) = aliases {
        let managed = keys::AwsManagedKeys::of(aliases);
        for r in resources.iter_mut() {
            if let keys::SourceKey::Key(key) = &r.source_key {
                r.source_key = managed.judge(key, account);
            }
        }
    }
    let mut of_instance: Vec<Option<keys::SourceKey>> = vec![None; resources.len()];
    for (v, i) in attachments(resources) {
        let volume = &resources[v].source_key;
        of_instance[i] = Some(match of_instance[i].take() {
            None => volume.clone(),
            Some(seen) => keys::worse(seen, volume),
        });
    }
    for (r, key) in resources.iter_mut().zip(of_instance) {
        if r.kind == ResourceKind::Ec2Instance && !r.instance_store_root {
            r.source_key = key.unwrap_or(keys::SourceKey::VolumesUnknown);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(ty: &str, arn: &str, name: Option<&str>, config: serde_json::Value) -> Resource {
        let item = serde_json::json!({"resourceType": ty, "resourceId": "id", "arn": arn,
                                      "resourceName": name, "configuration": config});
        Resource::from_config(serde_json::from_value(item).unwrap()).unwrap()
    }

    fn member(name: &str, cluster: &str) -> Resource {
        let arn = format!("arn:aws:rds:us-east-1:111111111111:db:{name}");
        let config =
            serde_json::json!({"engine": "aurora-postgresql", "dBClusterIdentifier": cluster});
        item("AWS::RDS::DBInstance", &arn, Some(name), config)
    }

    fn arn_id(arn: &str) -> &str {
        Arn::parse(arn)
            .expect("the tests' ARNs are ARNs")
            .resource_id()
    }

    /// The linear search `link_members` replaces: a member's cluster is present when some
    /// cluster's ARN ends with the identifier or is named so.
    fn present_by_search(resources: &[Resource], r: &Resource) -> bool {
        let Some(id) = &r.cluster_id else {
            return false;
        };
        resources.iter().any(|c| {
            matches!(
                c.kind,
                ResourceKind::RdsCluster
                    | ResourceKind::AuroraCluster
                    | ResourceKind::DocumentDbCluster
                    | ResourceKind::NeptuneCluster
            ) && (Arn::parse(&c.arn).map(|a| a.resource_id()) == Some(id.as_str())
                || c.name.as_deref() == Some(id.as_str()))
        })
    }

    #[test]
    fn link_members_answers_as_the_linear_search() {
        let cluster = |arn_id: &str, name: Option<&str>, engine: &str| {
            let arn = format!("arn:aws:rds:us-east-1:111111111111:cluster:{arn_id}");
            item(
                "AWS::RDS::DBCluster",
                &arn,
                name,
                serde_json::json!({"engine": engine}),
            )
        };
        let mut resources = vec![
            cluster("orders", Some("orders"), "aurora-postgresql"),
            // Found by name although the ARN ends otherwise, and the other way round.
            cluster("cluster-ABC", Some("billing"), "aurora-mysql"),
            cluster("graph", None, "neptune"),
            cluster("multi-az", Some("multi-az"), "postgres"),
            member("reports", "orders"),
            member("orders-1", "orders"),
            member("billing-1", "billing"),
            member("billing-2", "cluster-ABC"),
            member("graph-1", "graph"),
            member("maz-1", "multi-az"),
            member("gone-1", "gone"),
            // Neither an instance nor a bucket is a cluster, whatever its name.
            member("self-1", "reports"),
            item(
                "AWS::S3::Bucket",
                "arn:aws:s3:::orders",
                Some("orders"),
                serde_json::json!({}),
            ),
            member("bucket-1", "arn:aws:s3:::orders"),
        ];
        resources.sort_by(|a, b| a.arn.cmp(&b.arn));
        link_members(&mut resources);
        let got: Vec<(&str, bool)> = resources
            .iter()
            .filter(|r| r.is_cluster_member())
            .map(|r| (arn_id(&r.arn), r.cluster_in_scope))
            .collect();
        let want: Vec<(&str, bool)> = resources
            .iter()
            .filter(|r| r.is_cluster_member())
            .map(|r| (arn_id(&r.arn), present_by_search(&resources, r)))
            .collect();
        assert_eq!(got, want);
        let absent: Vec<&str> = got.iter().filter(|g| !g.1).map(|g| g.0).collect();
        assert_eq!(absent, ["bucket-1", "gone-1", "self-1"]);
        assert!(resources
            .iter()
            .all(|r| r.is_cluster_member() || !r.cluster_in_scope));
    }
}
