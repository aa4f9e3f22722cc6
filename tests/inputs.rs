//! Input files as a careless or hostile user hands them over: not regular files, other
//! encodings, scope names that are paths, items in the wrong scope, implausible times. Each is
//! exit 2 with the file (and line and column where there is one), never a hang or a wrong
//! verdict.

use crate::util::*;
use std::path::Path;
use std::process::{Command, Output};

/// Runs the binary in the repository root, killed if still running after `secs`.
fn run_within(args: &[&str], secs: u64) -> Output {
    output_within(
        Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
            .args(args)
            .current_dir(root()),
        secs,
    )
}

/// Runs a command expected to fail on bad input within 30 s: exit 2, returns stderr.
fn refused(args: &[&str]) -> String {
    let o = run_within(args, 30);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    stderr(&o)
}

fn mkfifo(p: &Path) {
    let _ = std::fs::remove_file(p);
    let ok = Command::new("mkfifo").arg(p).status().unwrap().success();
    assert!(ok, "mkfifo {}", p.display());
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn snapshot_files_that_are_not_regular_files_are_refused_unread() {
    let (dir, snap) = sample_copy();
    let zero = snap.join("111111111111/us-east-1/resources.json");
    std::fs::remove_file(&zero).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let fifo = snap.join("111111111111/eu-west-1/recovery-points.json");
    mkfifo(&fifo);
    let out = dir.path().join("out");
    let err = refused(&["scan", s(&snap), "--out", s(&out)]);
    assert!(
        err.contains(&format!(
            "{}: this is a character device, not a regular file; only regular files are read",
            zero.display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{}: this is a FIFO (named pipe), not a regular file",
            fifo.display()
        )),
        "{err}"
    );
}

#[test]
fn rule_waiver_and_template_files_that_are_not_regular_files_are_refused_unread() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("rules.yaml");
    mkfifo(&fifo);
    let err = refused(&["rules", "check", s(&fifo)]);
    assert!(
        err.contains("rules.yaml: this is a FIFO (named pipe)"),
        "{err}"
    );

    let out = dir.path().join("out");
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", "samples/org", "--out", s(&out)];
        args.extend_from_slice(extra);
        refused(&args)
    };
    let err = scan(&["--waivers", "/dev/zero"]);
    assert!(
        err.contains("/dev/zero: this is a character device, not a regular file"),
        "{err}"
    );
    let templates = dir.path().join("templates");
    std::fs::create_dir(&templates).unwrap();
    mkfifo(&templates.join("summary.txt.j2"));
    let err = scan(&["--templates", s(&templates)]);
    assert!(
        err.contains("summary.txt.j2: this is a FIFO (named pipe)"),
        "{err}"
    );
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn prefix(path: &Path, head: &[u8]) {
    let body = std::fs::read(path).unwrap();
    std::fs::write(path, [head, &body].concat()).unwrap();
}

fn to_utf16(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let wide: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(path, wide).unwrap();
}

/// Windows editors save UTF-8 with a byte-order mark: every input file reads the same with
/// one as without.
#[test]
fn a_utf8_byte_order_mark_changes_nothing() {
    let (dir, snap) = sample_copy();
    prefix(&snap.join("manifest.json"), BOM);
    prefix(&snap.join("111111111111/us-east-1/resources.json"), BOM);
    let rules = dir.path().join("rules");
    copy_dir(&root().join("rules"), &rules);
    prefix(&rules.join("default/vaults.yaml"), BOM);
    let waivers = dir.path().join("waivers.yaml");
    std::fs::copy(root().join("samples/waivers.yaml"), &waivers).unwrap();
    prefix(&waivers, BOM);
    let templates = dir.path().join("templates");
    copy_dir(&root().join("tests/fixtures/templates"), &templates);
    prefix(&templates.join("summary.txt.j2"), BOM);

    let scan = |snap: &str, rules: &str, waivers: &str, templates: &str, out: &str| {
        let o = run_within(
            &[
                "scan",
                snap,
                "--rules",
                rules,
                "--waivers",
                waivers,
                "--templates",
                templates,
                "--out",
                out,
            ],
            60,
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let id = mark_run_id(Path::new(out));
        let csv = read_redacted(Path::new(out), "findings.csv");
        (
            stdout(&o).replace(out, "[OUT]").replace(&id, "[run_id]"),
            csv,
        )
    };
    let plain = scan(
        "samples/org",
        "rules",
        "samples/waivers.yaml",
        "tests/fixtures/templates",
        s(&dir.path().join("plain")),
    );
    let marked = scan(
        s(&snap),
        s(&rules),
        s(&waivers),
        s(&templates),
        s(&dir.path().join("marked")),
    );
    assert_eq!(plain, marked);
}

#[test]
fn a_utf16_file_is_named_as_such() {
    let (dir, snap) = sample_copy();
    let resources = snap.join("111111111111/us-east-1/resources.json");
    to_utf16(&resources);
    let out = dir.path().join("out");
    let err = refused(&["scan", s(&snap), "--out", s(&out)]);
    assert_eq!(
        err,
        format!(
            "error: {}: this file is UTF-16; save it as UTF-8\n",
            resources.display()
        )
    );
    let waivers = dir.path().join("waivers.yaml");
    std::fs::copy(root().join("samples/waivers.yaml"), &waivers).unwrap();
    to_utf16(&waivers);
    let err = refused(&[
        "scan",
        "samples/org",
        "--waivers",
        s(&waivers),
        "--out",
        s(&out),
    ]);
    assert_eq!(
        err,
        format!(
            "error: {}: this file is UTF-16; save it as UTF-8\n",
            waivers.display()
        )
    );
}

/// Items in the wrong scope, a repeated ARN, epoch milliseconds and an empty file, each at
/// its 1-based position.
#[test]
fn items_in_the_wrong_scope_repeated_arns_and_implausible_times_are_located() {
    insta::assert_snapshot!(refused(&[
        "scan",
        "tests/fixtures/bad-items",
        "--out",
        &never()
    ]));
}

/// Rewrites the first scope of the sample's manifest with `f`; returns the manifest's text.
fn edit_first_scope(snap: &Path, f: impl Fn(&mut serde_json::Value)) -> String {
    let path = snap.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    f(&mut m["scopes"][0]);
    let text = serde_json::to_string_pretty(&m).unwrap();
    std::fs::write(&path, &text).unwrap();
    text
}

/// `line:column` just after the first `needle` in `text`, where serde_json reports a value.
fn after(text: &str, needle: &str) -> String {
    let end = text.find(needle).unwrap() + needle.len();
    let line = text[..end].matches('\n').count() + 1;
    let column = end - text[..end].rfind('\n').map_or(0, |i| i + 1);
    format!("{line}:{column}")
}

#[test]
fn scope_names_that_are_not_aws_names_are_refused_at_their_position() {
    for (key, value, why) in [
        (
            "account_id",
            "../outside",
            "account ID \"../outside\" must be 12 digits",
        ),
        (
            "region",
            "us-east-1/../../x",
            "unknown region \"us-east-1/../../x\": a region name looks like us-east-1",
        ),
    ] {
        let (dir, snap) = sample_copy();
        let text = edit_first_scope(&snap, |scope| scope[key] = value.into());
        let out = dir.path().join("out");
        let err = refused(&["scan", s(&snap), "--out", s(&out)]);
        let at = after(&text, &format!("\"{value}\""));
        assert_eq!(
            err,
            format!(
                "error: {}:{at}: {why} (at scopes[0].{key})\n",
                snap.join("manifest.json").display()
            )
        );
    }
}

/// `*` stands for the regions of an account that could not be entered: only a failed scope,
/// which has no data, may have it.
#[test]
fn the_region_star_is_only_for_a_failed_scope() {
    let (dir, snap) = sample_copy();
    // The sample's last scope is a failed one.
    let path = snap.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let scopes = m["scopes"].as_array_mut().unwrap();
    let failed = scopes.last_mut().unwrap();
    assert_eq!(failed["status"], "failed");
    failed["region"] = "*".into();
    std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    let out = dir.path().join("out");
    let o = run_within(&["scan", s(&snap), "--out", s(&out)], 60);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    edit_first_scope(&snap, |scope| scope["region"] = "*".into());
    let err = refused(&["scan", s(&snap), "--out", s(&out)]);
    assert!(
        err.contains(
            "manifest.json:6:7: scopes[0] has region \"*\", which only a failed scope may have"
        ),
        "{err}"
    );
}

/// A region this build does not know yet may be a new one: its data is judged, and said so.
#[test]
fn an_unknown_but_well_formed_region_loads_with_a_warning() {
    let (dir, snap) = sample_copy();
    // The sample's 111111111111/eu-west-1, moved to the new region with its data.
    let (old, new) = (
        snap.join("111111111111/eu-west-1"),
        snap.join("111111111111/xx-future-1"),
    );
    std::fs::rename(&old, &new).unwrap();
    for f in std::fs::read_dir(&new).unwrap() {
        let f = f.unwrap().path();
        let text = std::fs::read_to_string(&f).unwrap();
        std::fs::write(&f, text.replace("eu-west-1", "xx-future-1")).unwrap();
    }
    let manifest = snap.join("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let text = text.replacen("\"eu-west-1\"", "\"xx-future-1\"", 1);
    std::fs::write(&manifest, text).unwrap();
    let out = dir.path().join("out");
    let o = run_within(&["scan", s(&snap), "--out", s(&out)], 60);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "{}: region \"xx-future-1\" is not an AWS region this version knows; its data is \
             judged as given",
            manifest.display()
        )),
        "{}",
        stderr(&o)
    );
    let rows = csv_rows(&out.join("findings.csv"));
    assert!(rows
        .iter()
        .any(|r| r["region"] == "xx-future-1" && r["status"] == "PASS"));
}

#[test]
fn collect_refuses_a_region_that_is_a_path() {
    let dir = tempfile::tempdir().unwrap();
    let err = refused(&[
        "collect",
        "--out",
        s(&dir.path().join("snap")),
        "--regions",
        "us-east-1,../../etc",
    ]);
    assert!(
        err.contains("--regions: unknown region \"../../etc\": a region name looks like us-east-1"),
        "{err}"
    );
}

/// A resource type the tool does not know (a typo) would mark nothing NOT_ASSESSED, so the
/// resources it meant would pass a gate unjudged: refused, at its line:column, naming the types.
#[test]
fn an_unknown_resource_type_in_a_manifest_error_is_refused() {
    let (dir, snap) = sample_copy();
    edit_first_scope(&snap, |scope| {
        scope["status"] = "partial".into();
        scope["errors"] = serde_json::json!([{
            "file": "resources.json",
            "types": ["AWS::FSx::FileSytem"],
            "error": "AccessDeniedException: denied (fsx:DescribeFileSystems, HTTP 400)"
        }]);
    });
    let out = dir.path().join("out");
    let err = refused(&["scan", s(&snap), "--out", s(&out)]);
    assert!(
        err.contains("manifest.json:15:9: unknown resource type \"AWS::FSx::FileSytem\"")
            && err.contains("AWS::FSx::FileSystem, AWS::StorageGateway::Volume"),
        "{err}"
    );
}

/// Only `resources.json` is listed type by type, so only its error may name resource types.
#[test]
fn types_in_a_manifest_error_are_for_resources_json_only() {
    let (dir, snap) = sample_copy();
    let error = |file: &str| {
        serde_json::json!([{
            "file": file,
            "types": ["AWS::FSx::FileSystem"],
            "error": "AccessDeniedException: denied (fsx:DescribeFileSystems, HTTP 400)"
        }])
    };
    let out = dir.path().join("out");
    edit_first_scope(&snap, |scope| {
        scope["status"] = "partial".into();
        scope["errors"] = error("resources.json");
    });
    let o = run_within(&["scan", s(&snap), "--out", s(&out)], 60);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    edit_first_scope(&snap, |scope| scope["errors"] = error("backup-plans.json"));
    let err = refused(&["scan", s(&snap), "--out", s(&out)]);
    assert!(
        err.contains(
            "manifest.json:6:7: scopes[0].errors gives types for \"backup-plans.json\": only \
             resources.json is listed by resource type"
        ),
        "{err}"
    );
}

/// `organization.errors` names the organisation's files; another name would mark nothing
/// unknown, so what it meant would be judged as if read: refused, naming the known files.
#[test]
fn an_unknown_file_in_the_manifests_organization_errors_is_refused() {
    let (dir, snap) = sample_copy();
    let path = snap.join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    m["organization"] = serde_json::json!({"errors": [
        {"file": "invalid-policies.json", "error": "AccessDeniedException: denied"}
    ]});
    std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    let out = dir.path().join("out");
    let err = refused(&["scan", s(&snap), "--out", s(&out)]);
    assert!(
        err.contains("organization.errors names unknown file \"invalid-policies.json\"")
            && err.contains("known files: organization.json, invalid-effective-policies.json"),
        "{err}"
    );
    // A damaged organisation file is an input error at its position.
    m["organization"] = serde_json::json!({});
    std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    let invalid = snap.join("organization/invalid-effective-policies.json");
    std::fs::write(&invalid, "{\"Accounts\": [{\"Name\": \"no id\"}]}").unwrap();
    let err = refused(&["scan", s(&snap), "--out", s(&out)]);
    assert!(
        err.contains("invalid-effective-policies.json:1:") && err.contains("missing field `Id`"),
        "{err}"
    );
}
