//! Workload resources: what AWS Backup can protect, normalised from AWS Config items.

use crate::snapshot::aws::ConfigItem;
use serde::Serialize;

/// The resource kinds the auditor judges. Each maps to the AWS Backup type string that region
/// opt-in settings and recovery points use (reference §2.1/§2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ResourceKind {
    EbsVolume,
    Ec2Instance,
    EfsFileSystem,
    DynamoDbTable,
    RdsInstance,
    /// An RDS Multi-AZ DB cluster (engine mysql/postgres): Backup type `RDS`.
    RdsCluster,
    AuroraCluster,
    DocumentDbCluster,
    NeptuneCluster,
    S3Bucket,
    FsxFileSystem,
    StorageGatewayVolume,
    RedshiftCluster,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 13] = [
        ResourceKind::EbsVolume,
        ResourceKind::Ec2Instance,
        ResourceKind::EfsFileSystem,
        ResourceKind::DynamoDbTable,
        ResourceKind::RdsInstance,
        ResourceKind::RdsCluster,
        ResourceKind::AuroraCluster,
        ResourceKind::DocumentDbCluster,
        ResourceKind::NeptuneCluster,
        ResourceKind::S3Bucket,
        ResourceKind::FsxFileSystem,
        ResourceKind::StorageGatewayVolume,
        ResourceKind::RedshiftCluster,
    ];

    /// Every Config resource type [`ResourceKind::from_config`] classifies.
    pub const CONFIG_TYPES: [&'static str; 12] = [
        "AWS::EC2::Volume",
        "AWS::EC2::Instance",
        "AWS::EFS::FileSystem",
        "AWS::DynamoDB::Table",
        "AWS::RDS::DBInstance",
        "AWS::RDS::DBCluster",
        "AWS::DocDB::DBCluster",
        "AWS::Neptune::DBCluster",
        "AWS::S3::Bucket",
        "AWS::FSx::FileSystem",
        "AWS::StorageGateway::Volume",
        "AWS::Redshift::Cluster",
    ];

    /// Classifies a Config item; `None` for types AWS Backup does not protect (or this tool
    /// does not yet judge).
    pub fn from_config(resource_type: &str, engine: Option<&str>) -> Option<ResourceKind> {
        Some(match resource_type {
            "AWS::EC2::Volume" => ResourceKind::EbsVolume,
            "AWS::EC2::Instance" => ResourceKind::Ec2Instance,
            "AWS::EFS::FileSystem" => ResourceKind::EfsFileSystem,
            "AWS::DynamoDB::Table" => ResourceKind::DynamoDbTable,
            "AWS::RDS::DBInstance" => ResourceKind::RdsInstance,
            "AWS::RDS::DBCluster" => Self::cluster_kind(engine.unwrap_or("")),
            "AWS::DocDB::DBCluster" => ResourceKind::DocumentDbCluster,
            "AWS::Neptune::DBCluster" => ResourceKind::NeptuneCluster,
            "AWS::S3::Bucket" => ResourceKind::S3Bucket,
            "AWS::FSx::FileSystem" => ResourceKind::FsxFileSystem,
            "AWS::StorageGateway::Volume" => ResourceKind::StorageGatewayVolume,
            "AWS::Redshift::Cluster" => ResourceKind::RedshiftCluster,
            _ => return None,
        })
    }

    /// RDS, Aurora, DocumentDB and Neptune clusters share `AWS::RDS::DBCluster` and the
    /// `arn:aws:rds:…:cluster:` namespace; only the engine tells them apart.
    fn cluster_kind(engine: &str) -> ResourceKind {
        if engine.starts_with("aurora") {
            ResourceKind::AuroraCluster
        } else if engine == "docdb" {
            ResourceKind::DocumentDbCluster
        } else if engine == "neptune" {
            ResourceKind::NeptuneCluster
        } else {
            ResourceKind::RdsCluster
        }
    }

    /// The AWS Backup resource type string (`DescribeRegionSettings` keys, recovery points).
    pub fn backup_type(self) -> &'static str {
        match self {
            ResourceKind::EbsVolume => "EBS",
            ResourceKind::Ec2Instance => "EC2",
            ResourceKind::EfsFileSystem => "EFS",
            ResourceKind::DynamoDbTable => "DynamoDB",
            ResourceKind::RdsInstance | ResourceKind::RdsCluster => "RDS",
            ResourceKind::AuroraCluster => "Aurora",
            ResourceKind::DocumentDbCluster => "DocumentDB",
            ResourceKind::NeptuneCluster => "Neptune",
            ResourceKind::S3Bucket => "S3",
            ResourceKind::FsxFileSystem => "FSx",
            ResourceKind::StorageGatewayVolume => "Storage Gateway",
            ResourceKind::RedshiftCluster => "Redshift",
        }
    }

    /// Short, stable name used in rule scopes and reports.
    pub fn short_name(self) -> &'static str {
        match self {
            ResourceKind::EbsVolume => "ebs-volume",
            ResourceKind::Ec2Instance => "ec2-instance",
            ResourceKind::EfsFileSystem => "efs-file-system",
            ResourceKind::DynamoDbTable => "dynamodb-table",
            ResourceKind::RdsInstance => "rds-instance",
            ResourceKind::RdsCluster => "rds-cluster",
            ResourceKind::AuroraCluster => "aurora-cluster",
            ResourceKind::DocumentDbCluster => "documentdb-cluster",
            ResourceKind::NeptuneCluster => "neptune-cluster",
            ResourceKind::S3Bucket => "s3-bucket",
            ResourceKind::FsxFileSystem => "fsx-file-system",
            ResourceKind::StorageGatewayVolume => "storage-gateway-volume",
            ResourceKind::RedshiftCluster => "redshift-cluster",
        }
    }

    pub fn from_short_name(s: &str) -> Option<ResourceKind> {
        ResourceKind::ALL.into_iter().find(|k| k.short_name() == s)
    }

    /// Aurora, DocumentDB and Neptune need their region opt-in even when a selection names
    /// them by ARN (reference §3.2).
    pub fn always_needs_opt_in(self) -> bool {
        matches!(
            self,
            ResourceKind::AuroraCluster
                | ResourceKind::DocumentDbCluster
                | ResourceKind::NeptuneCluster
        )
    }

    /// Whether AWS Backup moves this type's recovery points to cold storage when a rule's
    /// lifecycle says so; it "ignores this expression for other resource types" (reference
    /// §4.3). `management` is the region's `ResourceTypeManagementPreference`, `None` when
    /// region settings could not be read. Only what the reference documents is claimed.
    pub fn cold_storage(
        self,
        management: Option<&std::collections::BTreeMap<String, bool>>,
    ) -> ColdStorage {
        match self {
            ResourceKind::EfsFileSystem => ColdStorage::Supported,
            // Only with advanced DynamoDB backup, i.e. full AWS Backup management (§3.1).
            ResourceKind::DynamoDbTable => {
                match management.and_then(|m| m.get(self.backup_type())) {
                    Some(true) => ColdStorage::Supported,
                    Some(false) => ColdStorage::NeedsAdvancedBackup,
                    None => ColdStorage::AdvancedBackupUnknown,
                }
            }
            // Named by issue #17 but not in the reference's documented list.
            ResourceKind::EbsVolume => ColdStorage::Undocumented,
            ResourceKind::Ec2Instance
            | ResourceKind::RdsInstance
            | ResourceKind::RdsCluster
            | ResourceKind::AuroraCluster
            | ResourceKind::DocumentDbCluster
            | ResourceKind::NeptuneCluster
            | ResourceKind::S3Bucket
            | ResourceKind::FsxFileSystem
            | ResourceKind::StorageGatewayVolume
            | ResourceKind::RedshiftCluster => ColdStorage::NotSupported,
        }
    }

    /// Types whose `EnableContinuousBackup` rules give point-in-time recovery (reference §4.4).
    pub fn supports_continuous(self) -> bool {
        matches!(
            self,
            ResourceKind::RdsInstance | ResourceKind::AuroraCluster | ResourceKind::S3Bucket
        )
    }
}

/// What a rule's cold-storage transition does for one resource type (`explain` puts it into
/// words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ColdStorage {
    /// Recovery points move to cold storage as the lifecycle says.
    Supported,
    /// AWS Backup ignores the transition for this type.
    NotSupported,
    /// DynamoDB without advanced backup: the transition is ignored.
    NeedsAdvancedBackup,
    /// DynamoDB whose advanced-backup setting could not be read.
    AdvancedBackupUnknown,
    /// The reference material does not document whether this type moves to cold storage.
    Undocumented,
}

impl ColdStorage {
    /// Whether recovery points may move to cold storage (so the transition is worth showing).
    pub fn may_apply(self) -> bool {
        !matches!(
            self,
            ColdStorage::NotSupported | ColdStorage::NeedsAdvancedBackup
        )
    }
}

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
    pub engine: Option<String>,
}

impl Resource {
    pub fn from_config(item: ConfigItem) -> Option<Resource> {
        let c = item.configuration;
        let kind = ResourceKind::from_config(&item.resource_type, c.engine.as_deref())?;
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
            engine: c.engine,
        })
    }

    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| self.tags[i].1.as_str())
    }

    /// Why AWS Backup cannot back this resource up whatever the plans say, if it cannot. An EC2
    /// backup is an AMI, and EC2 `CreateImage` "creates an Amazon EBS-backed AMI from an Amazon
    /// EBS-backed instance that is either running or stopped".
    pub fn backup_blocker(&self) -> Option<String> {
        if self.kind != ResourceKind::Ec2Instance {
            return None;
        }
        if let Some(s @ ("terminated" | "shutting-down")) = self.state.as_deref() {
            return Some(format!(
                "EC2 instance is {s}: AWS Backup cannot back it up (CreateImage needs an \
                 instance that is running or stopped)"
            ));
        }
        self.instance_store_root.then(|| {
            "the EC2 instance's root device is instance store: AWS Backup cannot back it up \
             (CreateImage needs an EBS-backed instance)"
                .to_owned()
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

    /// Whether this is the DB cluster with identifier `id` (members name their cluster by
    /// identifier; Config's `resourceId` for a cluster is its opaque `cluster-…` id).
    pub fn is_cluster_named(&self, id: &str) -> bool {
        let cluster = matches!(
            self.kind,
            ResourceKind::RdsCluster
                | ResourceKind::AuroraCluster
                | ResourceKind::DocumentDbCluster
                | ResourceKind::NeptuneCluster
        );
        cluster && (self.arn.rsplit(':').next() == Some(id) || self.name.as_deref() == Some(id))
    }
}

#[cfg(test)]
mod tests {
    use super::{ColdStorage, ResourceKind};
    use std::collections::BTreeMap;

    #[test]
    fn every_listed_config_type_is_classified() {
        for t in ResourceKind::CONFIG_TYPES {
            assert!(ResourceKind::from_config(t, None).is_some(), "{t}");
        }
    }

    #[test]
    fn cold_storage_only_for_types_aws_backup_tiers() {
        let advanced = |on: bool| BTreeMap::from([("DynamoDB".to_owned(), on)]);
        let dynamo = ResourceKind::DynamoDbTable;
        assert_eq!(
            dynamo.cold_storage(Some(&advanced(true))),
            ColdStorage::Supported
        );
        assert_eq!(
            dynamo.cold_storage(Some(&advanced(false))),
            ColdStorage::NeedsAdvancedBackup
        );
        assert_eq!(
            dynamo.cold_storage(None),
            ColdStorage::AdvancedBackupUnknown
        );
        assert_eq!(
            ResourceKind::EfsFileSystem.cold_storage(None),
            ColdStorage::Supported
        );
        assert_eq!(
            ResourceKind::RdsInstance.cold_storage(Some(&advanced(true))),
            ColdStorage::NotSupported
        );
        assert!(!ColdStorage::NeedsAdvancedBackup.may_apply());
        assert!(ColdStorage::Undocumented.may_apply());
    }
}
