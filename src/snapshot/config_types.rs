//! The resource types a snapshot carries: a fact of the snapshot format (what `resources.json`
//! holds and what `errors[].types` may name), which the model classifies into kinds.

/// The Config resource types AWS Config records and the tool judges: what the collector's
/// Config query selects.
pub const RECORDED: [&str; 11] = [
    "AWS::EC2::Volume",
    "AWS::EC2::Instance",
    "AWS::EFS::FileSystem",
    "AWS::DynamoDB::Table",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBCluster",
    "AWS::DocDB::DBCluster",
    "AWS::Neptune::DBCluster",
    "AWS::S3::Bucket",
    "AWS::Redshift::Cluster",
    "AWS::EKS::Cluster",
];

/// Types Config does not record, written Config-style by the collector from their own APIs.
pub const UNRECORDED: [&str; 2] = ["AWS::FSx::FileSystem", "AWS::StorageGateway::Volume"];

/// Types the tool judges but this collector does not list yet, which a snapshot may still
/// carry as Config-style items written by another tool or a later collector. They have no
/// Config type (aws-backup-semantics §2.2, §8.3) and are named by their CloudFormation type;
/// listing them needs their own APIs: Timestream tables, VMware virtual machines behind a
/// Backup gateway, Redshift Serverless namespaces. (EKS clusters, AWS Backup type `EKS` since
/// 2025-11, are recordable by AWS Config and selected with the others.)
pub const NOT_LISTED: [&str; 3] = [
    "AWS::Timestream::Table",
    "AWS::BackupGateway::VirtualMachine",
    "AWS::RedshiftServerless::Namespace",
];

/// Every resource type a snapshot may carry (and `errors[].types` may name).
pub fn all() -> impl Iterator<Item = &'static str> {
    RECORDED.into_iter().chain(UNRECORDED).chain(NOT_LISTED)
}
