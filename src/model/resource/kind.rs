//! What kind of resource AWS Backup sees: the kinds the auditor judges, their AWS Backup type
//! strings, and what each kind supports (opt-in, continuous backup, copies, cold storage).

use crate::snapshot::config_types;
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
    pub const RECORDED_TYPES: [&'static str; 11] = config_types::RECORDED;

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

    /// Whether this type's backups keep the encryption of the resource (not fully managed by
    /// AWS Backup), so that the resource's key decides whether a cross-account copy can
    /// happen. The types AWS names for it.
    pub fn keeps_source_key(self) -> bool {
        matches!(
            self,
            ResourceKind::EbsVolume
                | ResourceKind::Ec2Instance
                | ResourceKind::RdsInstance
                | ResourceKind::RdsCluster
                | ResourceKind::AuroraCluster
                | ResourceKind::DocumentDbCluster
                | ResourceKind::NeptuneCluster
                | ResourceKind::FsxFileSystem
        )
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
