//! Hostile text from a snapshot (tag values, names, scope errors) reaches the terminal, the
//! CI log and the Markdown summary as text: it cannot move the cursor, recolour, erase, ring,
//! forge a CI log line (`::error::…`, `##[error]`), @mention anyone or become a link.

use crate::util::*;
use serde_json::Value;

const HOSTILE: &str = "\u{1b}[2J\r::error::forged @org/team https://evil.example \u{7}\0";

/// The sample with hostile text in an account name, a scope error, and one instance's tags.
fn hostile_sample() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("samples/org"), dir.path());
    let edit = |rel: &str, f: &dyn Fn(&mut Value)| {
        let path = dir.path().join(rel);
        let mut v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        f(&mut v);
        std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    };
    edit("manifest.json", &|m| {
        let sandbox = m["scopes"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|s| s["account_id"] == "444444444444")
            .unwrap();
        sandbox["account_name"] = format!("sandbox{HOSTILE}").into();
        sandbox["error"] =
            format!("AccessDenied\n::error file=a::forged ##[error]old{HOSTILE}").into();
    });
    edit("111111111111/us-east-1/resources.json", &|items| {
        let item = items
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|i| i["resourceId"] == "i-01a10000000000001")
            .unwrap();
        item["tags"] = serde_json::json!([
            {"key": "Name", "value": format!("::error::name{HOSTILE}")},
            {"key": format!("owner{HOSTILE}"), "value": format!("\n::warning::{HOSTILE}")},
        ]);
        // And an instance whose very ARN is hostile.
        let mut evil = item.clone();
        evil["resourceId"] = "i-evil".into();
        evil["arn"] = format!("arn:aws:ec2:us-east-1:111111111111:instance/i-evil{HOSTILE}").into();
        items.as_array_mut().unwrap().push(evil);
    });
    dir
}

/// What no terminal or CI log output may hold, whatever the data. (Markdown headings are
/// the template's own `##`, so Markdown is checked for the data's `##[` only.)
fn assert_inert(what: &str, text: &str) {
    let controls: Vec<char> = text
        .chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect();
    assert!(controls.is_empty(), "{what}: raw {controls:?} in:\n{text}");
    for line in text.lines() {
        assert!(
            !line.trim_start().starts_with("::"),
            "{what}: a workflow command: {line}"
        );
        let legacy = if what.ends_with(".md") { "##[" } else { "##" };
        assert!(!line.contains(legacy), "{what}: a legacy command: {line}");
    }
}

#[test]
fn the_terminal_summary_and_summary_md_show_hostile_text_inert() {
    let snap = hostile_sample();
    let out = tempfile::tempdir().unwrap();
    let o = run(
        &[
            "scan",
            snap.path().to_str().unwrap(),
            "--format",
            "markdown",
            "--out",
            out.path().to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert_inert("summary", &text);
    assert!(
        text.contains(
            "444444444444 (sandbox\\x1b[2J\\x0d::error::forged @org/team https://evil.example \
             \\x07\\x00) us-east-1 [failed]: AccessDenied\\x0a::error file=a::forged #\\x23[error]old"
        ),
        "{text}"
    );
    let md = std::fs::read_to_string(out.path().join("summary.md")).unwrap();
    assert_inert("summary.md", &md);
    assert!(
        md.contains("@&#8203;org/team https:&#8203;//evil.example"),
        "{md}"
    );
    assert!(!md.contains("@org") && !md.contains("https://evil"), "{md}");
}

#[test]
fn explain_shows_hostile_tags_inert() {
    let snap = hostile_sample();
    let o = run(
        &[
            "explain",
            snap.path().to_str().unwrap(),
            "arn:aws:ec2:us-east-1:111111111111:instance/i-01a10000000000001",
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert_inert("explain", &text);
    assert!(
        text.contains("\n  \\x3a:error::name\\x1b[2J\\x0d::error::forged"),
        "{text}"
    );
    assert!(text.contains("=\\x0a::warning::\\x1b[2J"), "{text}");
}

#[test]
fn warnings_and_errors_on_stderr_show_hostile_text_inert() {
    let snap = hostile_sample();
    // Data the manifest does not list is warned about, by its directory name.
    let odd = format!("\u{1b}[31m::error::{}", "x");
    std::fs::create_dir_all(snap.path().join("111111111111").join(&odd)).unwrap();
    let o = run(
        &[
            "explain",
            snap.path().to_str().unwrap(),
            // Not there: the error suggests the hostile ARN.
            "i-evil",
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let err = stderr(&o);
    assert_inert("stderr", &err);
    assert!(
        err.contains("region \\x1b[31m::error::x is not listed"),
        "{err}"
    );
    assert!(err.starts_with("warning: "), "{err}");
    assert!(
        err.contains("did you mean one of: arn:aws:ec2:us-east-1:111111111111:instance/i-evil\\x1b[2J\\x0d::error::forged"),
        "{err}"
    );
}
