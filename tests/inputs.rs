//! Input files as a careless or hostile user hands them over: not regular files, other
//! encodings, scope names that are paths, items in the wrong scope, implausible times. Each is
//! exit 2 with the file (and line and column where there is one), never a hang or a wrong
//! verdict.

use crate::util::*;
use std::path::{Path, PathBuf};
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

fn sample_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    copy_dir(&root().join("samples/org"), &snap);
    (dir, snap)
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
        let csv = std::fs::read(Path::new(out).join("findings.csv")).unwrap();
        (stdout(&o).replace(out, "[OUT]"), csv)
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
