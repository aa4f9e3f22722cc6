//! The binary as users and CI gates meet it: exit codes, bad input, atomic and reproducible
//! outputs.

use crate::util::*;
use std::path::Path;

fn scan(extra: &[&str], out: &Path) -> std::process::Output {
    let mut args = vec!["scan", "samples/org", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args, &root())
}

#[test]
fn scan_of_sample_writes_outputs_and_exits_0_without_fail_on() {
    let out = tempfile::tempdir().unwrap();
    let o = scan(&[], out.path());
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    for f in ["findings.csv", "summary.csv", "findings.json"] {
        assert!(out.path().join(f).is_file(), "{f} missing");
    }
    let text = stdout(&o);
    assert!(
        text.contains("444444444444 (sandbox) us-east-1 [failed]"),
        "{text}"
    );
}

/// Written atomically through temporary files, yet with the permissions any new file gets
/// (the umask decides), not a temporary file's owner-only 0600.
#[cfg(unix)]
#[test]
fn reports_get_ordinary_file_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let out = tempfile::tempdir().unwrap();
    let o = scan(
        &["--format", "html,csv,json,junit,markdown,ocsf"],
        out.path(),
    );
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let ordinary = out.path().join("ordinary");
    std::fs::write(&ordinary, "").unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let expected = mode(&ordinary);
    for f in std::fs::read_dir(out.path()).unwrap() {
        let path = f.unwrap().path();
        assert_eq!(mode(&path), expected, "{}", path.display());
    }
}

/// A CI job uploads the whole directory: it must hold one run, not a mix of two.
#[test]
fn a_run_replaces_the_earlier_runs_outputs_it_does_not_write() {
    let out = tempfile::tempdir().unwrap();
    let all = scan(
        &["--format", "html,csv,json,junit,markdown,ocsf"],
        out.path(),
    );
    assert_eq!(all.status.code(), Some(0), "stderr: {}", stderr(&all));
    std::fs::write(out.path().join("notes.txt"), "mine").unwrap();
    let csv = scan(&["--format", "csv"], out.path());
    assert_eq!(csv.status.code(), Some(0), "stderr: {}", stderr(&csv));
    let mut left: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            ".backup-auditor-run.json",
            "findings.csv",
            "notes.txt",
            "summary.csv"
        ]
    );
    assert!(
        stdout(&csv).contains("Removed (an earlier run's"),
        "{}",
        stdout(&csv)
    );
}

#[test]
fn fail_on_high_exits_1_when_high_failures_exist() {
    let out = tempfile::tempdir().unwrap();
    let o = scan(&["--fail-on", "high"], out.path());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // The log says why: the count the gate saw (the CSV's) and the code it chose.
    let failing = csv_rows(&out.path().join("findings.csv"))
        .iter()
        .filter(|r| r["status"] == "FAIL" && ["high", "critical"].contains(&&*r["severity"]))
        .count();
    let last = stdout(&o)
        .trim_end()
        .lines()
        .last()
        .unwrap_or("")
        .to_string();
    assert_eq!(
        last,
        format!("--fail-on high: {failing} unwaived failures at high or above → exit 1")
    );
}

#[test]
fn fail_on_exits_3_when_nothing_fails_but_scopes_were_not_assessed() {
    // The default policy has no critical rule, and the sandbox account could not be read.
    let out = tempfile::tempdir().unwrap();
    let o = scan(&["--fail-on", "critical"], out.path());
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stdout(&o).trim_end().ends_with(
            "--fail-on critical: no unwaived failures at critical or above, but 90 findings \
             could not be assessed → exit 3"
        ),
        "{}",
        stdout(&o)
    );
}

#[test]
fn fail_on_exits_0_when_everything_in_scope_passes() {
    let out = tempfile::tempdir().unwrap();
    let o = scan(
        &[
            "--rules",
            "tests/fixtures/pass-rules.yaml",
            "--fail-on",
            "info",
        ],
        out.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let rows = csv_rows(&out.path().join("findings.csv"));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["status"], "PASS");
}

#[test]
fn unreadable_scopes_are_never_pass() {
    let out = tempfile::tempdir().unwrap();
    scan(&[], out.path());
    let rows = csv_rows(&out.path().join("findings.csv"));
    let sandbox: Vec<_> = rows
        .iter()
        .filter(|r| r["account_id"] == "444444444444")
        .collect();
    assert!(!sandbox.is_empty());
    assert!(
        sandbox.iter().all(|r| r["status"] == "NOT_ASSESSED"),
        "{sandbox:?}"
    );
    assert!(sandbox.iter().all(|r| r["reason"].contains("AccessDenied")));
}

#[test]
fn same_snapshot_gives_byte_identical_outputs_but_the_run_id_and_time() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let args = ["--rules", "rules", "--waivers", "samples/waivers.yaml"];
    scan(&args, a.path());
    scan(&args, b.path());
    assert_ne!(mark_run_id(a.path()), mark_run_id(b.path()));
    for f in ["findings.csv", "summary.csv"] {
        let (x, y) = (read_redacted(a.path(), f), read_redacted(b.path(), f));
        assert!(x == y, "{f} differs between runs");
    }
    let strip = |p: &Path| -> String {
        std::fs::read_to_string(p.join("findings.json"))
            .unwrap()
            .lines()
            .filter(|l| !l.contains("\"run_at\""))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(a.path()), strip(b.path()));
}

#[test]
fn csv_cells_that_look_like_formulas_are_neutralised() {
    let out = tempfile::tempdir().unwrap();
    scan(&[], out.path());
    let text = std::fs::read_to_string(out.path().join("findings.csv")).unwrap();
    assert!(
        text.contains("'=HYPERLINK("),
        "the hostile Name tag must be prefixed"
    );
    assert!(!text.contains(",=HYPERLINK(") && !text.contains(",\"=HYPERLINK("));
}

#[test]
fn as_of_moves_now_for_ages_and_waiver_expiry() {
    let out = tempfile::tempdir().unwrap();
    // Before 2026-10-01 the legacy-ftp waiver had not expired yet.
    let o = scan(
        &[
            "--waivers",
            "samples/waivers.yaml",
            "--as-of",
            "2026-09-15T00:00:00Z",
        ],
        out.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = csv_rows(&out.path().join("findings.csv"));
    let ftp = rows
        .iter()
        .find(|r| r["rule_id"] == "backup-protected" && r["resource_name"] == "legacy-ftp")
        .unwrap();
    assert_eq!(ftp["status"], "WAIVED", "{ftp:?}");
}

#[test]
fn as_of_before_the_snapshot_is_warned_about() {
    let out = tempfile::tempdir().unwrap();
    let o = scan(
        &["--as-of", "2020-01-01T00:00:00Z", "--format", "csv"],
        out.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "warning: --as-of 2020-01-01T00:00:00Z is before the snapshot was collected \
             (2026-11-27T05:00:00Z)"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_failed_run_leaves_the_previous_reports_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    scan(&[], &out);
    let before = std::fs::read(out.join("findings.csv")).unwrap();
    let o = scan(&["--rules", "tests/fixtures/bad-rules"], &out);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read(out.join("findings.csv")).unwrap(), before);
    // Nothing hidden in it but the mark, nothing next to it.
    let hidden = |d: &Path| -> Vec<String> {
        std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with('.'))
            .collect()
    };
    assert_eq!(hidden(&out), [".backup-auditor-run.json"]);
    assert!(hidden(dir.path()).is_empty(), "{:?}", hidden(dir.path()));
}

/// Runs a command expected to fail on bad input: exit 2, message on stderr.
fn input_error(args: &[&str]) -> String {
    let o = run(args, &root());
    assert_eq!(
        o.status.code(),
        Some(2),
        "stdout: {}\nstderr: {}",
        stdout(&o),
        stderr(&o)
    );
    stderr(&o)
}

#[test]
fn broken_snapshot_files_are_all_reported_with_path_line_and_column() {
    insta::assert_snapshot!(input_error(&[
        "scan",
        "tests/fixtures/bad-snapshot",
        "--out",
        &never()
    ]));
}

/// Shapes AWS produces, in the wrong file: each error names the operation whose output it
/// found and what the file holds; a 5,000-character value is quoted to 200 characters; a time
/// without an offset is refused with the reason (#17 §3).
#[test]
fn misplaced_aws_outputs_are_named_and_long_values_cut() {
    insta::assert_snapshot!(input_error(&[
        "scan",
        "tests/fixtures/bad-shapes",
        "--out",
        "target/never"
    ]));
}

/// A scope listed twice would be judged twice: an input error at its position.
#[test]
fn a_scope_listed_twice_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("samples/org"), dir.path());
    let path = dir.path().join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let first = m["scopes"][0].clone();
    m["scopes"].as_array_mut().unwrap().push(first);
    std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    let n = m["scopes"].as_array().unwrap().len() - 1;
    // The error points at the repeated scope's "account_id" key.
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("\"account_id\""))
        .nth(n)
        .unwrap()
        .0
        + 1;
    let err = input_error(&["scan", dir.path().to_str().unwrap()]);
    assert!(
        err.contains(&format!(
            "manifest.json:{line}:7: scopes[{n}] repeats account 111111111111 region us-east-1 (already scopes[0])"
        )),
        "{err}"
    );
}

/// Data the manifest does not list is not judged, and the user is told so.
#[test]
fn data_not_in_the_manifest_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("samples/org"), dir.path());
    copy_dir(
        &dir.path().join("111111111111/us-east-1"),
        &dir.path().join("111111111111/ap-south-1"),
    );
    let out = tempfile::tempdir().unwrap();
    let o = run(
        &[
            "scan",
            dir.path().to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "111111111111/ap-south-1: data for account 111111111111 region ap-south-1 is not \
             listed in manifest.json, so it is not judged"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn unknown_snapshot_format_is_an_input_error() {
    insta::assert_snapshot!(input_error(&[
        "scan",
        "tests/fixtures/bad-format",
        "--out",
        &never()
    ]));
}

/// A schedule the tool cannot interpret is AWS's data, not the user's typo: only the rules
/// with such a schedule are NOT_ASSESSED (with the plan, rule, expression and field as
/// evidence), everything else is judged, and the summary names each expression.
#[test]
fn invalid_cron_in_a_snapshot_names_the_plan_and_the_field() {
    let out = tempfile::tempdir().unwrap();
    let o = scan_fixture("tests/fixtures/bad-cron", out.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = csv_rows(&out.path().join("findings.csv"));
    let verdict = |rule: &str, name: &str| {
        let r = rows
            .iter()
            .find(|r| r["rule_id"] == rule && r["resource_name"] == name)
            .unwrap_or_else(|| panic!("no {rule} finding for {name}"));
        (r["status"].clone(), r["reason"].clone())
    };
    for (name, plan, rule, field) in [
        (
            "weekdays",
            "weekdays",
            "weekdays",
            "day-of-week field \"MON-FRY\"",
        ),
        (
            "month-end",
            "month-end",
            "three-days-before-month-end",
            "day-of-month field \"L-3\"",
        ),
        (
            "utc",
            "lower-case-zone",
            "daily-utc",
            "unknown time zone \"utc\"",
        ),
    ] {
        let (status, reason) = verdict("backup-protected", name);
        assert_eq!(status, "NOT_ASSESSED", "{name}: {reason}");
        let evidence = format!("backup plan \"{plan}\", rule \"{rule}\"");
        assert!(
            reason.contains(&evidence) && reason.contains(field),
            "{name}: {reason}"
        );
    }
    // The plan's other rule is judged: one bad rule spoils only its own verdicts, and what
    // only the bad rule could do (its cross-Region copy) is not assessed rather than failed.
    assert_eq!(verdict("backup-protected", "nights").0, "PASS");
    let (status, reason) = verdict("backup-cross-region-copy", "nights");
    assert_eq!(status, "NOT_ASSESSED", "{reason}");
    assert!(reason.contains("rule \"overnight\""), "{reason}");
    assert_eq!(verdict("backup-cross-account-copy", "nights").0, "FAIL");
    assert_eq!(verdict("backup-protected", "good").0, "PASS");
    assert_eq!(verdict("backup-frequency-retention", "good").0, "PASS");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("findings.json")).unwrap())
            .unwrap();
    let named: Vec<&str> = json["summary"]["schedule_warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["expression"].as_str().unwrap())
        .collect();
    assert_eq!(
        named,
        // In plan-name order (the snapshot's canonical order), whatever the file's.
        [
            "cron(0 5 ? * * *)",
            "cron(0 5 L-3 * ? *)",
            "cron(0 22-2 * * ? *)",
            "cron(0 5 ? * MON-FRY *)"
        ]
    );
    insta::assert_snapshot!(stdout(&o).replace(out.path().to_str().unwrap(), "[OUT]"));
}

/// A schedule whose year field ends is judged by the runs it still makes, with a warning
/// naming the day it ends; once its last run is past, the rule makes no backups, and says so.
#[test]
fn a_schedule_with_a_final_year_protects_until_it_ends() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    copy_dir(&root().join("tests/fixtures/bad-cron"), &snap);
    let plans = snap.join("111111111111/us-east-1/backup-plans.json");
    let text = std::fs::read_to_string(&plans).unwrap();
    // As of 2026-11-26: runs daily until 2026-12-31; the other ended in 2025. The fixture's
    // other schedules are made valid, so only the final years are judged.
    let text = text
        .replace("cron(0 5 ? * MON-FRY *)", "cron(0 5 * * ? 2026)")
        .replace("cron(0 5 L-3 * ? *)", "cron(0 5 * * ? 2024-2025)")
        .replace("cron(0 22-2 * * ? *)", "cron(0 22 * * ? *)")
        .replace("\"utc\"", "\"UTC\"");
    std::fs::write(&plans, text).unwrap();
    let out = dir.path().join("out");
    let o = scan_fixture(snap.to_str().unwrap(), &out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = csv_rows(&out.join("findings.csv"));
    let verdict = |rule: &str, name: &str| {
        let r = rows
            .iter()
            .find(|r| r["rule_id"] == rule && r["resource_name"] == name)
            .unwrap();
        (r["status"].clone(), r["reason"].clone())
    };
    let (status, reason) = verdict("backup-protected", "weekdays");
    assert_eq!(status, "PASS", "{reason}");
    assert!(reason.contains("schedule ends on 2026-12-31"), "{reason}");
    let (status, reason) = verdict("backup-frequency-retention", "weekdays");
    assert_eq!(status, "PASS", "{reason}");
    assert!(reason.contains("schedule ends on 2026-12-31"), "{reason}");
    let (status, reason) = verdict("backup-protected", "month-end");
    assert_eq!(status, "FAIL", "{reason}");
    assert!(
        reason.contains(
            "schedule cron(0 5 * * ? 2024-2025) made its last run on 2025-12-31 05:00 UTC"
        ),
        "{reason}"
    );
    let summary = stdout(&o);
    assert!(
        summary.contains("cron(0 5 * * ? 2026) ends on 2026-12-31"),
        "{summary}"
    );
    assert!(
        summary.contains("cron(0 5 * * ? 2024-2025) ended on 2025-12-31"),
        "{summary}"
    );
}

fn scan_fixture(snapshot: &str, out: &Path) -> std::process::Output {
    run(&["scan", snapshot, "--out", out.to_str().unwrap()], &root())
}

#[test]
fn missing_snapshot_directory_says_what_is_missing() {
    let err = input_error(&["scan", "tests/fixtures/no-such-dir", "--out", &never()]);
    assert!(
        err.contains("tests/fixtures/no-such-dir/manifest.json"),
        "{err}"
    );
}

#[test]
fn rules_check_reports_every_problem_at_once() {
    insta::assert_snapshot!(input_error(&["rules", "check", "tests/fixtures/bad-rules"]));
}

#[test]
fn broken_waiver_file_is_reported_with_positions() {
    insta::assert_snapshot!(input_error(&[
        "scan",
        "samples/org",
        "--waivers",
        "tests/fixtures/bad-waivers.yaml",
        "--out",
        &never()
    ]));
}

#[test]
fn shipped_rules_are_valid() {
    let o = run(&["rules", "check", "rules"], &root());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("20 rules OK in 9 file(s)"),
        "{}",
        stdout(&o)
    );
}

/// An ARN in an account whose inventory could not be read is unknown, not absent.
#[test]
fn explain_in_an_unreadable_account_is_not_assessed() {
    let o = run(
        &[
            "explain",
            "samples/org",
            "arn:aws:ec2:us-east-1:444444444444:instance/i-0aaa",
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains(
            "NOT ASSESSED: the inventory of 444444444444/us-east-1 could not be read (AccessDenied"
        ),
        "{text}"
    );
}

#[test]
fn explain_of_an_unknown_arn_suggests_near_matches() {
    let err = input_error(&["explain", "samples/org", "vol-01a1000000000000"]);
    assert!(err.contains("did you mean"), "{err}");
}

#[test]
fn rule_schema_lists_exactly_the_check_kinds_and_resource_types_the_tool_knows() {
    use backup_auditor::model::resource::ResourceKind;
    use backup_auditor::rules::KINDS;
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("rules/schema.json")).unwrap())
            .unwrap();
    let types: Vec<&str> = schema["definitions"]["scope"]["properties"]["resource_types"]["items"]
        ["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let known: Vec<&str> = ResourceKind::ALL.iter().map(|k| k.short_name()).collect();
    assert_eq!(types, known);
    let text = serde_json::to_string(&schema["definitions"]["check"]).unwrap();
    for kind in KINDS {
        assert!(
            text.contains(&format!("\"{kind}\"")),
            "schema lacks check kind {kind}"
        );
    }
}

#[test]
fn templates_dir_overrides_a_builtin_template() {
    let out = tempfile::tempdir().unwrap();
    let o = scan(&["--templates", "tests/fixtures/templates"], out.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "63.3% of 98 resources protected\n");
}

#[test]
fn a_broken_template_names_its_file_and_line() {
    let out = tempfile::tempdir().unwrap();
    let o = scan(&["--templates", "tests/fixtures/bad-templates"], out.path());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("tests/fixtures/bad-templates/summary.txt.j2 (line 2)"),
        "{err}"
    );
}

#[test]
fn an_empty_rules_directory_is_named_as_given() {
    let dir = tempfile::tempdir().unwrap();
    let given = dir.path().to_str().unwrap();
    let err = input_error(&["rules", "check", given]);
    assert_eq!(err, format!("error: {given}: no rule files found\n"));
}

#[test]
fn a_misnamed_template_is_an_error_naming_it_and_the_known_names() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sumary.md.j2"), "{{ nothing }}").unwrap();
    std::fs::create_dir(dir.path().join("html")).unwrap();
    std::fs::write(dir.path().join("html/style.css"), "body {}").unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = scan(&["--templates", dir.path().to_str().unwrap()], out.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    let misnamed = dir.path().join("sumary.md.j2");
    assert!(
        err.contains(&format!("{}: not a template name", misnamed.display())),
        "{err}"
    );
    assert!(err.contains("did you mean summary.md.j2?"), "{err}");
    for known in ["summary.txt.j2", "report.html.j2", "html/app.js"] {
        assert!(err.contains(known), "{known} not listed: {err}");
    }
    assert!(!err.contains("style.css:"), "a known name is fine: {err}");
}

/// Collection options mean something only with --live (credentials also with --security-hub);
/// without it they were ignored.
#[test]
fn collection_options_without_live_are_rejected() {
    for extra in [
        ["--save-snapshot", "target/never"],
        ["--accounts", "all"],
        ["--regions", "us-east-1"],
        ["--recovery-points-since", "35d"],
    ] {
        let never = never();
        let mut args = vec!["scan", "samples/org", "--out", &never];
        args.extend(extra);
        let o = run(&args, &root());
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("'[SNAPSHOT_DIR]' cannot be used with") && err.contains(extra[0]),
            "{extra:?}: {err}"
        );
    }
    // Credentials serve --security-hub too: with neither, they are refused all the same.
    let never = never();
    let err = input_error(&[
        "scan",
        "samples/org",
        "--role-name",
        "BackupAuditor",
        "--out",
        &never,
    ]);
    assert!(err.contains("<--live|--security-hub>"), "{err}");
    let err = input_error(&["scan", "--accounts", "all"]);
    assert!(
        err.contains("required arguments were not provided:\n  --live"),
        "{err}"
    );
}

#[test]
fn collect_help_does_not_speak_of_live() {
    let help = stdout(&run(&["collect", "--help"], &root()));
    assert!(help.contains("\nCollection:\n"), "{help}");
    assert!(!help.contains("(with --live)"), "{help}");
}

/// The --out help names every file the formats write.
#[test]
fn scan_out_help_names_every_output_file() {
    let out = tempfile::tempdir().unwrap();
    let o = scan(
        &["--format", "html,csv,json,junit,markdown,ocsf"],
        out.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let help = stdout(&run(&["scan", "--help"], &root()));
    let out_help = help
        .split("--out <DIR>")
        .nth(1)
        .and_then(|h| h.split("\n      --").next())
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for f in std::fs::read_dir(out.path()).unwrap() {
        let name = f.unwrap().file_name().to_string_lossy().into_owned();
        assert!(out_help.contains(&name), "{name} missing from: {out_help}");
    }
}

/// The example of the top-level help works on the sample it names.
#[test]
fn the_help_explain_example_explains_a_sample_resource() {
    let help = stdout(&run(&["--help"], &root()));
    let example = help
        .lines()
        .find_map(|l| l.trim().strip_prefix("backup-auditor explain "))
        .expect("an explain example");
    let args: Vec<&str> = example
        .split('#')
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    let o = run(&[&["explain"], args.as_slice()].concat(), &root());
    assert_eq!(o.status.code(), Some(0), "{example}: {}", stderr(&o));
}
