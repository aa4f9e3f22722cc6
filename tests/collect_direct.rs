//! Direct inventory (`--inventory`): a type AWS Config does not record (or every type with a
//! direct listing, under `direct`) is listed from its own API against the fake AWS, written
//! Config-shaped, recorded in the manifest's `inventory`, and judged as Config's items are.

use crate::collect::{
    assert_manifest_matches, assert_same_content, assert_same_verdicts, collect, read_json, scopes,
};
use crate::fake_aws::{FakeAws, Faults};
use crate::util::{csv_rows, root, sample_copy, stderr};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const BUCKET: &str = "AWS::S3::Bucket";
const EFS: &str = "AWS::EFS::FileSystem";
const ACCT: &str = "111111111111";

/// The operations of the direct listings (never called while Config records every type).
pub(crate) const LISTINGS: [&str; 14] = [
    "s3:ListBuckets",
    "s3:GetBucketVersioning",
    "s3:GetBucketTagging",
    "efs:DescribeFileSystems",
    "ec2:DescribeInstances",
    "ec2:DescribeVolumes",
    "rds:DescribeDBInstances",
    "rds:DescribeDBClusters",
    "dynamodb:ListTables",
    "dynamodb:DescribeTable",
    "dynamodb:ListTagsOfResource",
    "redshift:DescribeClusters",
    "eks:ListClusters",
    "eks:DescribeCluster",
];

/// The served sample's readable scopes, each with a recorder that records all but `types`.
fn not_recording(served: &Path, types: &[&str]) -> BTreeMap<(String, String), Vec<String>> {
    scopes(served)
        .into_iter()
        .filter(|(_, s)| s["status"] != "failed")
        .map(|(k, _)| (k, types.iter().map(|t| t.to_string()).collect()))
        .collect()
}

/// Changes each served item of the file at `path` with `f`.
fn edit_items(path: &Path, f: impl Fn(&mut Value)) {
    let mut items = read_json(path);
    for i in items.as_array_mut().unwrap() {
        f(i);
    }
    std::fs::write(path, serde_json::to_vec_pretty(&items).unwrap()).unwrap();
}

fn items_of(snap: &Path, region: &str) -> Vec<Value> {
    read_json(&snap.join(ACCT).join(region).join("resources.json"))
        .as_array()
        .unwrap()
        .clone()
}

fn bucket<'a>(items: &'a [Value], name: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["resourceId"] == name)
        .unwrap_or_else(|| panic!("no bucket {name}"))
}

fn scan_csv(snap: &Path, out: &Path) -> Vec<BTreeMap<String, String>> {
    let o = Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
        .args(["scan", snap.to_str().unwrap(), "--format", "csv", "-q"])
        .args(["--out", out.to_str().unwrap()])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    csv_rows(&out.join("findings.csv"))
}

#[test]
fn buckets_config_does_not_record_are_listed_directly_and_judged_alike() {
    // Versioning in all three states S3 answers, and a bucket without tags (NoSuchTagSet).
    let (_dir, served) = sample_copy();
    edit_items(&served.join(ACCT).join("us-east-1/resources.json"), |i| {
        let id = i["resourceId"].as_str().unwrap().to_string();
        let versioning = &mut i["supplementaryConfiguration"]["BucketVersioningConfiguration"];
        match id.as_str() {
            "acme-tmp-scratch" => *versioning = json!({"status": "Suspended"}),
            "acme-marketing-site" => *versioning = json!({"status": "Off"}),
            "acme-elb-access-logs" => i["tags"] = json!({}),
            _ => {}
        }
    });
    let faults = Faults {
        not_recorded: not_recording(&served, &[BUCKET]),
        ..Faults::default()
    };
    let fake = FakeAws::start(&served, faults);
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    let o = collect(&fake, &snap, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_manifest_matches(&served, &snap);
    assert_same_content(&served, &snap);
    assert_same_verdicts(&served, &snap);

    for ((acct, region), s) in scopes(&snap) {
        if s["status"] == "failed" {
            continue;
        }
        assert_eq!(s["inventory"][BUCKET], "direct", "{acct}/{region}: {s}");
        assert_eq!(s["inventory"]["AWS::EC2::Volume"], "config", "{s}");
        assert_eq!(s["inventory"]["AWS::FSx::FileSystem"], "direct", "{s}");
    }
    let items = items_of(&snap, "us-east-1");
    let status = |name: &str| {
        bucket(&items, name)["supplementaryConfiguration"]["BucketVersioningConfiguration"]
            ["status"]
            .clone()
    };
    assert_eq!(status("acme-tmp-scratch"), "Suspended");
    assert_eq!(status("acme-marketing-site"), "Off");
    assert_eq!(status("acme-payments-statements"), "Enabled");
    assert_eq!(bucket(&items, "acme-elb-access-logs")["tags"], json!([]));
    assert_eq!(
        bucket(&items, "acme-catalog-images")["arn"],
        "arn:aws:s3:::acme-catalog-images"
    );
    // One versioning and one tagging call per bucket of every readable account-region; the
    // eu-west-1 buckets are not listed in us-east-1 (BucketRegion).
    let calls = fake.calls();
    let buckets: u64 = scopes(&served)
        .into_iter()
        .filter(|(_, s)| s["status"] != "failed")
        .map(|((a, r), _)| {
            let f = served.join(a).join(r).join("resources.json");
            if !f.exists() {
                return 0;
            }
            let items = read_json(&f);
            let n = items
                .as_array()
                .unwrap()
                .iter()
                .filter(|i| i["resourceType"] == BUCKET)
                .count();
            n as u64
        })
        .sum();
    assert!(buckets > 10, "{buckets}");
    assert_eq!(calls["s3:GetBucketVersioning"], buckets, "{calls:?}");
    assert_eq!(calls["s3:GetBucketTagging"], buckets, "{calls:?}");

    // `explain` names where the bucket came from.
    let o = Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
        .args([
            "explain",
            snap.to_str().unwrap(),
            "arn:aws:s3:::acme-tmp-scratch",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("listed by s3:ListBuckets, GetBucketVersioning, GetBucketTagging (its own API, not AWS Config)"),
        "{text}{}",
        stderr(&o)
    );
}

fn collect_111(faults: Faults, dir: &Path, extra: &[&str]) -> (FakeAws, std::path::PathBuf) {
    let fake = FakeAws::start(&root().join("samples/org"), faults);
    let snap = dir.join("snap");
    let mut args = vec!["--accounts", ACCT, "--regions", "us-east-1,eu-west-1"];
    args.extend_from_slice(extra);
    let o = collect(&fake, &snap, &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    (fake, snap)
}

fn scope_of(snap: &Path, region: &str) -> Value {
    scopes(snap)[&(ACCT.to_string(), region.to_string())].clone()
}

#[test]
fn a_failed_bucket_call_costs_only_the_buckets_of_its_scope() {
    let faults = Faults {
        not_recorded: [((ACCT.into(), "us-east-1".into()), vec![BUCKET.into()])].into(),
        denied: ["s3:GetBucketVersioning".to_string()].into(),
        ..Faults::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let (_fake, snap) = collect_111(faults, dir.path(), &["--max-attempts", "2"]);
    let s = scope_of(&snap, "us-east-1");
    assert_eq!(s["status"], "partial", "{s}");
    let errors = s["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{s}");
    assert_eq!(errors[0]["file"], "resources.json");
    assert_eq!(errors[0]["types"], json!([BUCKET]));
    let why = errors[0]["error"].as_str().unwrap();
    assert!(why.contains("s3:GetBucketVersioning"), "{why}");
    let items = items_of(&snap, "us-east-1");
    assert!(items
        .iter()
        .any(|i| i["resourceType"] == "AWS::EC2::Volume"));
    assert!(!items.iter().any(|i| i["resourceType"] == BUCKET));
    // eu-west-1's recorder records S3: its buckets come from Config, untouched.
    let eu = scope_of(&snap, "eu-west-1");
    assert_eq!(eu["status"], "complete", "{eu}");
    assert_eq!(eu["inventory"][BUCKET], "config");

    let out = dir.path().join("report");
    let rows = scan_csv(&snap, &out);
    let us: Vec<_> = rows
        .iter()
        .filter(|r| r["account_id"] == ACCT && r["region"] == "us-east-1")
        .collect();
    assert!(!us
        .iter()
        .any(|r| r["resource_arn"].starts_with("arn:aws:s3:::")));
    let unknown = us
        .iter()
        .find(|r| r["check"] == "protected" && r["reason"].contains(BUCKET))
        .expect("a scope-level finding names the buckets");
    assert_eq!(unknown["status"], "NOT_ASSESSED", "{unknown:?}");
}

#[test]
fn config_mode_leaves_what_config_does_not_record_unknown() {
    let faults = Faults {
        not_recorded: [((ACCT.into(), "us-east-1".into()), vec![BUCKET.into()])].into(),
        ..Faults::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let (fake, snap) = collect_111(faults, dir.path(), &["--inventory", "config"]);
    let s = scope_of(&snap, "us-east-1");
    assert_eq!(s["status"], "partial", "{s}");
    assert_eq!(s["errors"][0]["types"], json!([BUCKET]), "{s}");
    let why = s["errors"][0]["error"].as_str().unwrap();
    assert!(
        why.starts_with("ConfigTypeNotRecorded: AWS Config does not record AWS::S3::Bucket"),
        "{why}"
    );
    assert!(s["inventory"].get(BUCKET).is_none(), "{s}");
    assert_eq!(s["inventory"]["AWS::EC2::Volume"], "config");
    assert!(
        !fake.calls().keys().any(|k| k.starts_with("s3:")),
        "{:?}",
        fake.calls()
    );
}

#[test]
fn a_stopped_recorder_leaves_every_type_listed_directly() {
    let faults = Faults {
        recorder_off: [(ACCT.to_string(), "eu-west-1".to_string())].into(),
        ..Faults::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let (fake, snap) = collect_111(faults, dir.path(), &[]);
    let s = scope_of(&snap, "eu-west-1");
    assert_eq!(s["status"], "complete", "{s}");
    for t in backup_auditor::collect::CONFIG_TYPES {
        assert_eq!(s["inventory"][t], "direct", "{t}: {s}");
    }
    let items = items_of(&snap, "eu-west-1");
    for name in ["acme-catalog-images-eu", "acme-orders-exports-eu"] {
        assert_eq!(bucket(&items, name)["awsRegion"], "eu-west-1");
    }
    // The file system as EFS lists it, Config-shaped: ARN, name and tags (selections match
    // on them), encryption and key.
    let media = items
        .iter()
        .find(|i| i["resourceType"] == EFS)
        .expect("the EFS file system of eu-west-1");
    assert_eq!(
        media["arn"],
        "arn:aws:elasticfilesystem:eu-west-1:111111111111:file-system/fs-01e30000000000001"
    );
    assert_eq!(media["resourceName"], "catalog-eu-media");
    assert!(media["tags"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!({"key": "app", "value": "catalog"})));
    assert_eq!(media["configuration"]["Encrypted"], true);
    let calls = fake.calls();
    assert_eq!(calls["efs:DescribeFileSystems"], 1, "{calls:?}");
    // us-east-1 records everything: Config, and no S3 call was made for it.
    assert_eq!(scope_of(&snap, "us-east-1")["inventory"][BUCKET], "config");
    assert_eq!(calls["s3:ListBuckets"], 1, "{calls:?}");

    // Everything is judged: no scope-level NOT_ASSESSED for an unknown type.
    let rows = scan_csv(&snap, &dir.path().join("report"));
    let eu: Vec<_> = rows
        .iter()
        .filter(|r| r["account_id"] == ACCT && r["region"] == "eu-west-1")
        .collect();
    for arn in [
        "arn:aws:s3:::acme-catalog-images-eu",
        "arn:aws:elasticfilesystem:eu-west-1:111111111111:file-system/fs-01e30000000000001",
    ] {
        assert!(
            eu.iter().any(|r| r["resource_arn"] == arn
                && r["check"] == "protected"
                && r["status"] != "NOT_ASSESSED"),
            "{arn} is judged"
        );
    }
    assert!(!eu.iter().any(|r| r["resource_arn"].is_empty()
        && r["status"] == "NOT_ASSESSED"
        && r["reason"].contains("AWS Config")));
}

/// An organisation none of whose accounts records anything in AWS Config is judged from the
/// services' own APIs exactly as from Config: same items (type, id, name, tags), same
/// verdicts, finding for finding.
#[test]
fn an_organisation_without_config_is_judged_from_direct_apis_as_from_config() {
    let served = root().join("samples/org");
    let faults = Faults {
        recorder_off: scopes(&served).into_keys().collect(),
        ..Faults::default()
    };
    let fake = FakeAws::start(&served, faults);
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    let o = collect(&fake, &snap, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for ((acct, region), s) in scopes(&snap) {
        if s["status"] == "failed" {
            continue;
        }
        assert_eq!(
            s["inventory"]["AWS::EC2::Instance"], "direct",
            "{acct}/{region}: {s}"
        );
    }
    assert_manifest_matches(&served, &snap);
    assert_same_content(&served, &snap);
    assert_same_verdicts(&served, &snap);
    let calls = fake.calls();
    assert_eq!(calls.get("config:SelectResourceConfig"), None, "{calls:?}");
    for op in LISTINGS.iter().filter(|o| !o.starts_with("s3:")) {
        assert!(calls.contains_key(*op), "{op} never called: {calls:?}");
    }
}

#[test]
fn direct_mode_lists_every_type_directly_and_never_asks_config() {
    let dir = tempfile::tempdir().unwrap();
    let (fake, snap) = collect_111(Faults::default(), dir.path(), &["--inventory", "direct"]);
    for region in ["us-east-1", "eu-west-1"] {
        let s = scope_of(&snap, region);
        assert_eq!(s["status"], "complete", "{s}");
        for t in backup_auditor::collect::CONFIG_TYPES {
            assert_eq!(s["inventory"][t], "direct", "{t}: {s}");
        }
    }
    // Pages of two: us-east-1's 11 buckets in 6 pages, eu-west-1's 2 in one.
    assert_eq!(fake.calls()["s3:ListBuckets"], 7);
    // One DescribeDBClusters answer per region serves RDS/Aurora, DocumentDB and Neptune:
    // us-east-1's clusters in two pages, eu-west-1's in one (nine calls when each family
    // asked for itself).
    assert_eq!(
        fake.calls()["rds:DescribeDBClusters"],
        3,
        "{:?}",
        fake.calls()
    );
    assert!(
        !fake.calls().keys().any(|k| k.starts_with("config:")),
        "{:?}",
        fake.calls()
    );
    let items = items_of(&snap, "us-east-1");
    let buckets = items.iter().filter(|i| i["resourceType"] == BUCKET).count();
    assert_eq!(buckets, 11, "each bucket once");
    // An Aurora member names its cluster; the cluster names its members.
    let member = items
        .iter()
        .find(|i| {
            i["resourceType"] == "AWS::RDS::DBInstance"
                && !i["configuration"]["dBClusterIdentifier"].is_null()
        })
        .expect("an Aurora member in us-east-1");
    let cluster = member["configuration"]["dBClusterIdentifier"].clone();
    let c = items
        .iter()
        .find(|i| i["resourceType"] == "AWS::RDS::DBCluster" && i["resourceName"] == cluster)
        .expect("its cluster");
    assert!(c["configuration"]["dbclusterMembers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["dbinstanceIdentifier"] == member["resourceName"]));
}

#[test]
fn under_an_aggregator_the_members_recorder_decides_what_is_listed_directly() {
    let faults = Faults {
        not_recorded: [((ACCT.into(), "us-east-1".into()), vec![BUCKET.into()])].into(),
        ..Faults::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let (fake, snap) = collect_111(faults, dir.path(), &["--config-aggregator", "org"]);
    let calls = fake.calls();
    assert_eq!(calls.get("config:SelectResourceConfig"), None, "{calls:?}");
    let s = scope_of(&snap, "us-east-1");
    assert_eq!(s["status"], "complete", "{s}");
    assert_eq!(s["inventory"][BUCKET], "direct", "{s}");
    assert_eq!(s["inventory"]["AWS::EC2::Volume"], "config", "{s}");
    let items = items_of(&snap, "us-east-1");
    assert_eq!(
        bucket(&items, "acme-catalog-images")["awsRegion"],
        "us-east-1"
    );
    assert_eq!(scope_of(&snap, "eu-west-1")["inventory"][BUCKET], "config");
}
