//! An account with AWS Config off, in moto (an independent AWS implementation): its S3 buckets
//! (ListBuckets by region, versioning, tags) and EFS file systems (DescribeFileSystems) are
//! listed directly and arrive Config-shaped; the types nothing else lists are unknown per type,
//! never absent.
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
}

#[test]
fn with_config_off_buckets_are_listed_directly() {
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
    assert_eq!(scope["inventory"][EFS], "direct", "{scope:#}");
    // Config has no recorder: every other Config type is unknown, by type.
    let unknown = scope["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["file"] == "resources.json"
                && e["types"]
                    .as_array()
                    .is_some_and(|t| t.contains(&Value::from("AWS::EC2::Volume")))
        })
        .unwrap_or_else(|| panic!("no per-type error: {scope:#}"));
    let types: Vec<&str> = unknown["types"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        types.contains(&"AWS::EC2::Volume") && !types.contains(&BUCKET) && !types.contains(&EFS),
        "{types:?} {scope:#}"
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
    assert!(
        unknown["error"]
            .as_str()
            .unwrap()
            .contains("no configuration recorder"),
        "{unknown}"
    );

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
