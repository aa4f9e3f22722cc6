//! An account with AWS Config off, in moto (an independent AWS implementation): every type is
//! listed from its own API and arrives Config-shaped: S3 buckets (ListBuckets by region,
//! versioning, tags), EFS file systems, EC2 instances and volumes (attachments), RDS
//! instances and Aurora clusters (membership), DynamoDB tables, Redshift clusters and EKS
//! clusters.
//!
//! moto 5.2.1 answers `GetBucketVersioning` with the root `GetBucketVersioningResponse`, where
//! S3 answers `VersioningConfiguration` (the S3 API reference; the Rust SDK checks the root),
//! so against it the buckets' versioning is unreadable: the test then checks that this costs
//! the buckets only, as unknown, and checks the listed buckets in full once moto answers as S3
//! does.

use crate::moto::{moto_or_skip, test_config, ENV};
use crate::util::{root, stderr};
use serde_json::Value;
use std::process::Command;

const BUCKET: &str = "AWS::S3::Bucket";
const EFS: &str = "AWS::EFS::FileSystem";

/// Buckets in us-east-1 with versioning on, suspended and never enabled (tagged or not), and
/// one in eu-west-1 that the us-east-1 scope must not list. No Config recorder is created.
async fn seed(url: &str) {
    use aws_sdk_s3::types::{
        BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Tag, Tagging,
        VersioningConfiguration,
    };
    let conf = test_config(url).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    );
    for name in ["acme-versioned", "acme-suspended", "acme-plain"] {
        s3.create_bucket()
            .bucket(name)
            .send()
            .await
            .expect("create bucket");
    }
    let versioning =
        |s: BucketVersioningStatus| VersioningConfiguration::builder().status(s).build();
    for (name, states) in [
        ("acme-versioned", vec![BucketVersioningStatus::Enabled]),
        (
            "acme-suspended",
            vec![
                BucketVersioningStatus::Enabled,
                BucketVersioningStatus::Suspended,
            ],
        ),
    ] {
        for s in states {
            s3.put_bucket_versioning()
                .bucket(name)
                .versioning_configuration(versioning(s))
                .send()
                .await
                .expect("put versioning");
        }
    }
    let tag = Tag::builder().key("backup").value("daily").build().unwrap();
    s3.put_bucket_tagging()
        .bucket("acme-versioned")
        .tagging(Tagging::builder().tag_set(tag).build().unwrap())
        .send()
        .await
        .expect("put tagging");
    s3.create_bucket()
        .bucket("acme-eu")
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .expect("create eu bucket");
    let efs = aws_sdk_efs::Client::new(&conf);
    let tag = |k: &str, v: &str| {
        aws_sdk_efs::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
            .unwrap()
    };
    efs.create_file_system()
        .creation_token("acme-media")
        .encrypted(true)
        .tags(tag("Name", "acme-media"))
        .tags(tag("backup", "daily"))
        .send()
        .await
        .expect("create file system");
    seed_services(&conf).await;
}

/// One resource (or two, where they link) of each type the other services hold.
async fn seed_services(conf: &aws_config::SdkConfig) {
    let ec2 = aws_sdk_ec2::Client::new(conf);
    let image = ec2.describe_images().send().await.expect("images").images()[0]
        .image_id
        .clone()
        .unwrap();
    let tag = |k: &str, v: &str| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build();
    let tagged = |t: aws_sdk_ec2::types::ResourceType, name: &str| {
        aws_sdk_ec2::types::TagSpecification::builder()
            .resource_type(t)
            .tags(tag("Name", name))
            .tags(tag("backup", "daily"))
            .build()
    };
    let run = ec2
        .run_instances()
        .image_id(image)
        .min_count(1)
        .max_count(1)
        .tag_specifications(tagged(
            aws_sdk_ec2::types::ResourceType::Instance,
            "acme-app",
        ))
        .send()
        .await
        .expect("run instance");
    let instance = run.instances()[0].instance_id.clone().unwrap();
    let volume = ec2
        .create_volume()
        .availability_zone("us-east-1a")
        .size(10)
        .encrypted(true)
        .tag_specifications(tagged(
            aws_sdk_ec2::types::ResourceType::Volume,
            "acme-data",
        ))
        .send()
        .await
        .expect("create volume")
        .volume_id
        .unwrap();
    ec2.attach_volume()
        .volume_id(&volume)
        .instance_id(&instance)
        .device("/dev/sdf")
        .send()
        .await
        .expect("attach volume");

    let rds = aws_sdk_rds::Client::new(conf);
    let rds_tag = aws_sdk_rds::types::Tag::builder()
        .key("backup")
        .value("daily")
        .build();
    rds.create_db_cluster()
        .db_cluster_identifier("acme-aurora")
        .engine("aurora-postgresql")
        .master_username("admin")
        .master_user_password("password123")
        .storage_encrypted(true)
        .tags(rds_tag.clone())
        .send()
        .await
        .expect("create cluster");
    rds.create_db_instance()
        .db_instance_identifier("acme-aurora-1")
        .db_cluster_identifier("acme-aurora")
        .engine("aurora-postgresql")
        .db_instance_class("db.r6g.large")
        .send()
        .await
        .expect("create member");
    rds.create_db_instance()
        .db_instance_identifier("acme-pg")
        .engine("postgres")
        .db_instance_class("db.t4g.micro")
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("password123")
        .tags(rds_tag)
        .send()
        .await
        .expect("create instance");

    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    aws_sdk_dynamodb::Client::new(conf)
        .create_table()
        .table_name("acme-orders")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("id")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .tags(
            aws_sdk_dynamodb::types::Tag::builder()
                .key("backup")
                .value("daily")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create table");

    aws_sdk_redshift::Client::new(conf)
        .create_cluster()
        .cluster_identifier("acme-dw")
        .node_type("ra3.xlplus")
        .master_username("admin")
        .master_user_password("Password123")
        .encrypted(true)
        .tags(
            aws_sdk_redshift::types::Tag::builder()
                .key("backup")
                .value("daily")
                .build(),
        )
        .send()
        .await
        .expect("create Redshift cluster");

    aws_sdk_eks::Client::new(conf)
        .create_cluster()
        .name("acme-k8s")
        .role_arn("arn:aws:iam::123456789012:role/eks")
        .resources_vpc_config(
            aws_sdk_eks::types::VpcConfigRequest::builder()
                .subnet_ids("subnet-1")
                .build(),
        )
        .tags("backup", "daily")
        .send()
        .await
        .expect("create EKS cluster");
}

#[test]
fn with_config_off_every_type_is_listed_directly() {
    let Some((_moto, url)) = moto_or_skip() else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(seed(&url));
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    let o = Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
        .args(["collect", "--out", snap.to_str().unwrap()])
        .args(["--regions", "us-east-1"])
        .args(["--max-attempts", "2", "--retry-initial-backoff-ms", "1"])
        .envs(ENV)
        .env("AWS_ENDPOINT_URL", &url)
        .env_remove("AWS_PROFILE")
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let read = |p: std::path::PathBuf| -> Value {
        serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap()
    };
    let manifest = read(snap.join("manifest.json"));
    let scope = &manifest["scopes"][0];
    assert_eq!(scope["inventory"][BUCKET], "direct", "{scope:#}");
    for t in backup_auditor::collect::CONFIG_TYPES {
        assert_eq!(scope["inventory"][t], "direct", "{t}: {scope:#}");
    }
    // Config has no recorder, and no type is unknown for it. What moto cannot answer stays
    // unknown, by type: the buckets' versioning (below) and Storage Gateway (no moto service).
    let unknown: Vec<&Value> = scope["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["file"] == "resources.json")
        .flat_map(|e| e["types"].as_array().unwrap())
        .collect();
    assert!(
        unknown
            .iter()
            .all(|t| *t == BUCKET || *t == "AWS::StorageGateway::Volume"),
        "{scope:#}"
    );
    // The file system as moto's EFS lists it, with its ARN, name and tags.
    let account = scope["account_id"].as_str().unwrap();
    let items = read(snap.join(account).join("us-east-1/resources.json"));
    let fs = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["resourceType"] == EFS)
        .unwrap_or_else(|| panic!("no file system listed: {items:#}"));
    assert!(
        fs["arn"].as_str().unwrap().starts_with(&format!(
            "arn:aws:elasticfilesystem:us-east-1:{account}:file-system/fs-"
        )),
        "{fs:#}"
    );
    assert_eq!(fs["resourceName"], "acme-media", "{fs:#}");
    assert!(
        fs["tags"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"key": "backup", "value": "daily"})),
        "{fs:#}"
    );
    assert_eq!(fs["configuration"]["Encrypted"], true, "{fs:#}");
    services_arrive_config_shaped(items.as_array().unwrap(), account);

    let account = scope["account_id"].as_str().unwrap().to_string();
    let s3_error = scope["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["types"] == serde_json::json!([BUCKET]))
        .cloned();
    match s3_error {
        Some(e) => moto_versioning_is_unreadable(&snap, &account, &e),
        None => buckets_arrive_intact(&snap, &account),
    }
}

fn services_arrive_config_shaped(items: &[Value], account: &str) {
    let one = |t: &str, name: &str| -> &Value {
        items
            .iter()
            .find(|i| {
                i["resourceType"] == t
                    && (i["resourceName"] == name
                        || i["tags"]
                            .as_array()
                            .unwrap()
                            .contains(&serde_json::json!({"key": "Name", "value": name})))
            })
            .unwrap_or_else(|| panic!("no {t} {name}: {items:#?}"))
    };
    let daily = |i: &Value| {
        i["tags"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"key": "backup", "value": "daily"}))
    };
    // The instance and its volume name each other; both keep their tags.
    let instance = one("AWS::EC2::Instance", "acme-app");
    let volume = one("AWS::EC2::Volume", "acme-data");
    assert!(daily(instance) && daily(volume), "{instance:#} {volume:#}");
    let id = instance["resourceId"].as_str().unwrap();
    assert_eq!(
        instance["arn"],
        format!("arn:aws:ec2:us-east-1:{account}:instance/{id}")
    );
    assert_eq!(instance["configuration"]["state"]["name"], "running");
    assert_eq!(volume["configuration"]["attachments"][0]["instanceId"], id);
    assert_eq!(volume["configuration"]["encrypted"], true);
    assert!(
        instance["configuration"]["blockDeviceMappings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["ebs"]["volumeId"] == volume["resourceId"]),
        "{instance:#}"
    );
    // The Aurora member names its cluster, the cluster its member.
    let member = one("AWS::RDS::DBInstance", "acme-aurora-1");
    assert_eq!(
        member["configuration"]["dBClusterIdentifier"],
        "acme-aurora"
    );
    let cluster = one("AWS::RDS::DBCluster", "acme-aurora");
    assert_eq!(cluster["configuration"]["engine"], "aurora-postgresql");
    assert_eq!(cluster["configuration"]["storageEncrypted"], true);
    assert_eq!(
        cluster["configuration"]["dbclusterMembers"][0]["dbinstanceIdentifier"],
        "acme-aurora-1"
    );
    assert!(daily(cluster) && daily(one("AWS::RDS::DBInstance", "acme-pg")));
    let table = one("AWS::DynamoDB::Table", "acme-orders");
    assert_eq!(
        table["arn"],
        format!("arn:aws:dynamodb:us-east-1:{account}:table/acme-orders")
    );
    let dw = one("AWS::Redshift::Cluster", "acme-dw");
    assert_eq!(dw["configuration"]["encrypted"], true);
    let k8s = one("AWS::EKS::Cluster", "acme-k8s");
    assert!(k8s["arn"].as_str().unwrap().ends_with(":cluster/acme-k8s"));
    for i in [table, dw, k8s] {
        assert!(daily(i), "{i:#}");
    }
}

/// moto 5.2.1: ListBuckets answered (else versioning would not be asked), the versioning
/// answer is refused, and the buckets are unknown, not absent and not judged.
fn moto_versioning_is_unreadable(snap: &std::path::Path, account: &str, e: &Value) {
    let why = e["error"].as_str().unwrap();
    assert!(
        why.starts_with("s3:GetBucketVersioning") && why.contains("GetBucketVersioningResponse"),
        "{why}"
    );
    let read = |p: std::path::PathBuf| -> Value {
        serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap()
    };
    let items = read(snap.join(account).join("us-east-1/resources.json"));
    assert!(!items
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["resourceType"] == BUCKET));
    let out = snap.parent().unwrap().join("report");
    let o = Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
        .args(["scan", snap.to_str().unwrap(), "--format", "csv", "-q"])
        .args(["--out", out.to_str().unwrap()])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let rows = crate::util::csv_rows(&out.join("findings.csv"));
    let named = rows
        .iter()
        .find(|r| r["resource_arn"].is_empty() && r["reason"].contains(BUCKET))
        .expect("a scope-level finding names the buckets");
    assert_eq!(named["status"], "NOT_ASSESSED", "{named:?}");
}

fn buckets_arrive_intact(snap: &std::path::Path, account: &str) {
    let read = |p: std::path::PathBuf| -> Value {
        serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap()
    };
    let items = read(snap.join(account).join("us-east-1/resources.json"));
    let buckets: Vec<&Value> = items
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["resourceType"] == BUCKET)
        .collect();
    let of = |name: &str| -> &Value {
        buckets
            .iter()
            .find(|b| b["resourceId"] == name)
            .unwrap_or_else(|| panic!("{name} not listed: {buckets:#?}"))
    };
    let status = |name: &str| {
        of(name)["supplementaryConfiguration"]["BucketVersioningConfiguration"]["status"].clone()
    };
    assert_eq!(buckets.len(), 3, "acme-eu is eu-west-1's: {buckets:#?}");
    assert_eq!(status("acme-versioned"), "Enabled");
    assert_eq!(status("acme-suspended"), "Suspended");
    assert_eq!(status("acme-plain"), "Off");
    assert_eq!(
        of("acme-versioned")["tags"],
        serde_json::json!([{"key": "backup", "value": "daily"}])
    );
    assert_eq!(of("acme-plain")["tags"], serde_json::json!([]));
    assert_eq!(of("acme-plain")["arn"], "arn:aws:s3:::acme-plain");
    assert_eq!(of("acme-plain")["awsRegion"], "us-east-1");
}
