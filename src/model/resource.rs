//! Workload resources: what AWS Backup can protect, normalised from AWS Config items.

use super::Arn;
use crate::snapshot::aws::ConfigItem;
use crate::snapshot::config_types;
use serde::Serialize;
use std::collections::HashSet;

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
    /// An EKS cluster, backed up as a composite (reference 2024-2026 §1.6): Backup type `EKS`.
    EksCluster,
    /// A Timestream table: Backup type `Timestream`.
    TimestreamTable,
    /// A VMware virtual machine behind a Backup gateway: Backup type `VirtualMachine`.
    VmwareVm,
    /// A Redshift Serverless namespace: region opt-in key `Redshift Serverless`.
    RedshiftServerlessNamespace,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 17] = [
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
        ResourceKind::EksCluster,
        ResourceKind::TimestreamTable,
        ResourceKind::VmwareVm,
        ResourceKind::RedshiftServerlessNamespace,
    ];

    /// The Config resource types AWS Config records that [`ResourceKind::from_config`]
    /// classifies: what the collector's Config query selects.
    pub const RECORDED_TYPES: [&'static str; 10] = config_types::RECORDED;

    /// Types Config does not record, written Config-style by the collector from their own APIs.
    pub const UNRECORDED_TYPES: [&'static str; 2] = config_types::UNRECORDED;

    /// Every Config resource type [`ResourceKind::from_config`] classifies.
    pub fn config_types() -> impl Iterator<Item = &'static str> {
        config_types::all()
    }

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
            "AWS::EKS::Cluster" => ResourceKind::EksCluster,
            "AWS::Timestream::Table" => ResourceKind::TimestreamTable,
            "AWS::BackupGateway::VirtualMachine" => ResourceKind::VmwareVm,
            "AWS::RedshiftServerless::Namespace" => ResourceKind::RedshiftServerlessNamespace,
            _ => return None,
        })
    }

    /// The resource types of the snapshot's items that [`ResourceKind::from_config`] classifies
    /// as this kind.
    pub fn item_types(self) -> &'static [&'static str] {
        match self {
            ResourceKind::EbsVolume => &["AWS::EC2::Volume"],
            ResourceKind::Ec2Instance => &["AWS::EC2::Instance"],
            ResourceKind::EfsFileSystem => &["AWS::EFS::FileSystem"],
            ResourceKind::DynamoDbTable => &["AWS::DynamoDB::Table"],
            ResourceKind::RdsInstance => &["AWS::RDS::DBInstance"],
            ResourceKind::RdsCluster | ResourceKind::AuroraCluster => &["AWS::RDS::DBCluster"],
            ResourceKind::DocumentDbCluster => &["AWS::RDS::DBCluster", "AWS::DocDB::DBCluster"],
            ResourceKind::NeptuneCluster => &["AWS::RDS::DBCluster", "AWS::Neptune::DBCluster"],
            ResourceKind::S3Bucket => &["AWS::S3::Bucket"],
            ResourceKind::FsxFileSystem => &["AWS::FSx::FileSystem"],
            ResourceKind::StorageGatewayVolume => &["AWS::StorageGateway::Volume"],
            ResourceKind::RedshiftCluster => &["AWS::Redshift::Cluster"],
            ResourceKind::EksCluster => &["AWS::EKS::Cluster"],
            ResourceKind::TimestreamTable => &["AWS::Timestream::Table"],
            ResourceKind::VmwareVm => &["AWS::BackupGateway::VirtualMachine"],
            ResourceKind::RedshiftServerlessNamespace => &["AWS::RedshiftServerless::Namespace"],
        }
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
            ResourceKind::EksCluster => "EKS",
            ResourceKind::TimestreamTable => "Timestream",
            ResourceKind::VmwareVm => "VirtualMachine",
            ResourceKind::RedshiftServerlessNamespace => "Redshift Serverless",
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
            ResourceKind::EksCluster => "eks-cluster",
            ResourceKind::TimestreamTable => "timestream-table",
            ResourceKind::VmwareVm => "vmware-vm",
            ResourceKind::RedshiftServerlessNamespace => "redshift-serverless-namespace",
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

    /// Whether the reference is unsure which `ResourceTypeOptInPreference` key AWS uses for
    /// this type: `EKS` is among `GetSupportedResourceTypes` but not among the region-settings
    /// keys AWS's Terraform provider sets (reference 2024-2026 §1.6, "[Conflict]"). A region
    /// whose settings lack the key is then unknown, not "not opted in".
    pub fn opt_in_key_uncertain(self) -> bool {
        self == ResourceKind::EksCluster
    }

    /// Whether the reference documents that AWS Backup copies this type's backups (copy
    /// actions, cross-Region and cross-account). It says nothing of EKS, VMware or Redshift
    /// Serverless copies, so a copy action of theirs is not taken for a copy.
    pub fn copies_documented(self) -> bool {
        !matches!(
            self,
            ResourceKind::EksCluster
                | ResourceKind::VmwareVm
                | ResourceKind::RedshiftServerlessNamespace
        )
    }

    /// Whether AWS Backup fully manages this type's backups in a region whose
    /// `ResourceTypeManagementPreference` is `management` (`None` when region settings could
    /// not be read): for DynamoDB, "advanced DynamoDB backup", without which its backups have
    /// neither cold storage nor cross-Region and cross-account copies
    /// (https://docs.aws.amazon.com/aws-backup/latest/devguide/advanced-ddb-backup.html).
    /// Other types have no such switch: `Some(true)`. `None` when it is unknown.
    pub fn advanced_backup(
        self,
        management: Option<&std::collections::BTreeMap<String, bool>>,
    ) -> Option<bool> {
        match self {
            ResourceKind::DynamoDbTable => management?.get(self.backup_type()).copied(),
            _ => Some(true),
        }
    }

    /// Whether AWS Backup fully manages this type's backups (they are made in the target vault
    /// itself and encrypted with its key): S3, EFS, and DynamoDB with advanced backup
    /// (reference §5.1, "fully managed"). `None` when that depends on unread region settings.
    pub fn fully_managed(
        self,
        management: Option<&std::collections::BTreeMap<String, bool>>,
    ) -> Option<bool> {
        match self {
            ResourceKind::S3Bucket | ResourceKind::EfsFileSystem => Some(true),
            ResourceKind::DynamoDbTable => self.advanced_backup(management),
            _ => Some(false),
        }
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
            ResourceKind::DynamoDbTable => match self.advanced_backup(management) {
                Some(true) => ColdStorage::Supported,
                Some(false) => ColdStorage::NeedsAdvancedBackup,
                None => ColdStorage::AdvancedBackupUnknown,
            },
            // Named by issue #17 but not in the reference's documented list. The reference's
            // feature table lost its columns, so it does not say for the newer types either.
            ResourceKind::EbsVolume
            | ResourceKind::EksCluster
            | ResourceKind::TimestreamTable
            | ResourceKind::VmwareVm
            | ResourceKind::RedshiftServerlessNamespace => ColdStorage::Undocumented,
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
    /// A cluster member whose cluster is among its scope's resources (set by
    /// [`link_members`] when the scope is built).
    pub cluster_in_scope: bool,
    pub engine: Option<String>,
    /// S3 only: the bucket's versioning as Config records it (`Enabled`, `Suspended`, `Off`);
    /// `None` when the item does not say.
    pub versioning: Option<String>,
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

#[cfg(test)]
mod cold_storage_tests {
    use super::{ColdStorage, ResourceKind};
    use std::collections::BTreeMap;

    #[test]
    fn every_listed_config_type_is_classified() {
        for t in ResourceKind::config_types() {
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
