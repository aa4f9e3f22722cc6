//! The resource types a snapshot carries: a fact of the snapshot format (what `resources.json`
//! holds and what `errors[].types` may name), which the model classifies into kinds.

/// The Config resource types AWS Config records and the tool judges: what the collector's
/// Config query selects.
pub const RECORDED: [&str; 10] = [
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
];

/// Types Config does not record, written Config-style by the collector from their own APIs.
pub const UNRECORDED: [&str; 2] = ["AWS::FSx::FileSystem", "AWS::StorageGateway::Volume"];

/// Every resource type a snapshot may carry.
pub fn all() -> impl Iterator<Item = &'static str> {
    RECORDED.into_iter().chain(UNRECORDED)
}
