//! Config items in the shapes AWS itself delivers, and the README's hand-built path: each is
//! made from the sample organisation and must scan to the sample's verdicts (which the
//! collector reproduces: see `collect::collecting_the_served_sample_reproduces_it`).

use crate::collect::assert_same_verdicts;
use crate::fake_aws::protocols::select_rows;
use crate::util::{copy_dir, root};
use backup_auditor::collect::{select_expression, CONFIG_TYPES};
use serde_json::{json, Value};
use std::path::Path;

/// The README's snapshot-table row for `resources.json`, with Markdown's `\|` unescaped.
fn readme_resources_row() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let rows: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("| `resources.json` |"))
        .collect();
    assert_eq!(rows.len(), 1, "one resources.json row in README.md");
    rows[0].replace("\\|", "|")
}

/// The expression of the row's `select-resource-config` command.
fn readme_expression() -> String {
    let row = readme_resources_row();
    let start = row
        .find("--expression \"")
        .expect("--expression in the row")
        + 14;
    let len = row[start..].find('"').unwrap();
    row[start..start + len].to_string()
}

/// Every `resources.json` of the copy of the sample in `dir`, rewritten by `f`.
fn rewrite_resources(dir: &Path, f: impl Fn(Vec<Value>) -> Value) {
    for entry in walkdir(dir) {
        if entry.file_name().is_some_and(|n| n == "resources.json") {
            let items: Vec<Value> =
                serde_json::from_slice(&std::fs::read(&entry).unwrap()).unwrap();
            let text = serde_json::to_string_pretty(&f(items)).unwrap();
            std::fs::write(&entry, text).unwrap();
        }
    }
}

fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn sample_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("samples/org"), dir.path());
    dir
}

/// The README names exactly the query the collector runs, types and columns alike, and the
/// step that turns each `Results` string into an item.
#[test]
fn the_readme_select_line_is_the_collectors_query() {
    assert_eq!(readme_expression(), select_expression());
    for t in CONFIG_TYPES {
        assert!(readme_expression().contains(&format!("'{t}'")), "{t}");
    }
    assert!(
        readme_resources_row().contains("| jq '[.Results[] | fromjson]'"),
        "{}",
        readme_resources_row()
    );
}

/// A snapshot built as the README says: `select-resource-config` with the README's own
/// expression (its `{"Results": [...], "QueryInfo": ...}` output), then the README's step
/// `jq '[.Results[] | fromjson]'`, done here in Rust; Storage Gateway and FSx items, which
/// Config does not record, written as the README says.
#[test]
fn a_snapshot_built_as_the_readme_says_scans_like_the_collectors() {
    let expr = readme_expression();
    let dir = sample_copy();
    rewrite_resources(dir.path(), |items| {
        let (config, other): (Vec<&Value>, Vec<&Value>) = items
            .iter()
            .partition(|i| CONFIG_TYPES.contains(&i["resourceType"].as_str().unwrap()));
        let cli_output = json!({
            "Results": select_rows(&expr, config),
            "QueryInfo": {"SelectFields": [{"Name": "resourceId"}]},
        });
        // jq '[.Results[] | fromjson]'
        let mut built: Vec<Value> = cli_output["Results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| serde_json::from_str(r.as_str().unwrap()).unwrap())
            .collect();
        built.extend(other.into_iter().cloned());
        Value::Array(built)
    });
    assert_same_verdicts(&root().join("samples/org"), dir.path());
}

/// One item as Config's snapshot delivery file (and `GetResourceConfigHistory`) writes it:
/// `ARN`, `awsAccountId`, tags as a map, `configuration` and each supplementary value as a
/// JSON string, plus the fields the auditor does not read.
fn as_delivered(item: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for (k, v) in item.as_object().unwrap() {
        let (key, value) = match k.as_str() {
            "arn" => ("ARN".to_string(), v.clone()),
            "accountId" => ("awsAccountId".to_string(), v.clone()),
            "configuration" => (k.clone(), Value::String(v.to_string())),
            "supplementaryConfiguration" => (
                k.clone(),
                v.as_object()
                    .unwrap()
                    .iter()
                    .map(|(n, s)| (n.clone(), Value::String(s.to_string())))
                    .collect(),
            ),
            "tags" => (
                k.clone(),
                match v {
                    Value::Array(tags) => tags
                        .iter()
                        .map(|t| (t["key"].as_str().unwrap().to_string(), t["value"].clone()))
                        .collect(),
                    map => map.clone(),
                },
            ),
            _ => (k.clone(), v.clone()),
        };
        out.insert(key, value);
    }
    out.insert("configurationItemVersion".into(), json!("1.3"));
    out.insert(
        "configurationItemCaptureTime".into(),
        json!("2026-11-27T04:12:44.261Z"),
    );
    out.insert(
        "resourceCreationTime".into(),
        json!("2024-03-01T10:00:00.000Z"),
    );
    out.insert("configurationItemStatus".into(), json!("OK"));
    out.insert("relatedEvents".into(), json!([]));
    out.insert("relationships".into(), json!([]));
    Value::Object(out)
}

/// Config's own snapshot file, delivered to S3, used as `resources.json` with no rewriting:
/// the same verdicts. A deleted resource in it (here an unprotected volume, which would FAIL
/// if judged) is not judged.
#[test]
fn config_snapshot_files_as_delivered_scan_like_the_sample() {
    let dir = sample_copy();
    rewrite_resources(dir.path(), |items| {
        let mut delivered: Vec<Value> = items.iter().map(as_delivered).collect();
        let mut gone = delivered[0].clone();
        let arn = format!("{}-deleted", gone["ARN"].as_str().unwrap());
        gone["ARN"] = json!(arn);
        gone["resourceType"] = json!("AWS::EC2::Volume");
        gone["tags"] = json!({});
        gone["configuration"] = Value::Null;
        gone["configurationItemStatus"] = json!("ResourceDeleted");
        delivered.push(gone);
        json!({
            "fileVersion": "1.0",
            "configSnapshotId": "5ad6a2c1-7a8b-4c1f-9a0e-2d4f6a8b0c1e",
            "configurationItems": delivered,
        })
    });
    assert_same_verdicts(&root().join("samples/org"), dir.path());
}
