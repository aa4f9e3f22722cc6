//! The HTML report, rendered through the library on the embedded sample: self-contained,
//! hostile snapshot values inert, the data island golden, the size cap honest, templates
//! overridable. The browser test (tests/browser, run by .ci/browser-test.sh) opens the same
//! report in headless Chromium.

use crate::util::copy_dir;
use backup_auditor::engine::{self, Evaluation};
use backup_auditor::findings::summary::Summary;
use backup_auditor::model::Inventory;
use backup_auditor::report::html::{render_html, render_html_with, HtmlLimits, HtmlMeta};
use backup_auditor::rules::waiver::{self, Waiver};
use backup_auditor::rules::RuleSet;
use backup_auditor::snapshot::Snapshot;
use std::path::{Path, PathBuf};

struct Sample {
    inv: Inventory,
    rules: RuleSet,
    eval: Evaluation,
    summary: Summary,
    waivers: Vec<Waiver>,
}

fn evaluate(snapshot: &Path) -> Sample {
    let rules = RuleSet::load(&[PathBuf::from("rules")]).unwrap();
    let waivers = waiver::load(Path::new("samples/waivers.yaml"), &rules).unwrap();
    let inv = Inventory::build(Snapshot::load(snapshot).unwrap(), None).unwrap();
    let eval = engine::evaluate(&inv, &rules, &waivers);
    let summary = Summary::build(&inv, &rules, &eval, &waivers);
    Sample {
        inv,
        rules,
        eval,
        summary,
        waivers,
    }
}

fn sample() -> Sample {
    evaluate(Path::new("samples/org"))
}

fn meta(s: &Sample) -> HtmlMeta {
    HtmlMeta {
        tool_version: env!("CARGO_PKG_VERSION").into(),
        run_id: "0badf00d".into(),
        run_at: "2026-11-27T06:00:00Z".into(),
        snapshot: "samples/org".into(),
        collected_at: "2026-11-27T05:00:00Z".into(),
        as_of: "2026-11-27T05:00:00Z".into(),
        rule_sources: s.rules.sources.clone(),
        waiver_file: Some("samples/waivers.yaml".into()),
        templates: None,
    }
}

fn render(s: &Sample) -> String {
    render_html(&s.inv, &s.rules, &s.eval, &s.summary, &s.waivers, &meta(s)).unwrap()
}

const ISLAND_OPEN: &str = r#"<script type="application/json" id="data">"#;

fn island(html: &str) -> &str {
    let start = html.find(ISLAND_OPEN).expect("data island") + ISLAND_OPEN.len();
    let len = html[start..].find("</script>").expect("end of data island");
    &html[start..start + len]
}

fn data(html: &str) -> serde_json::Value {
    serde_json::from_str(island(html)).expect("the data island is JSON")
}

/// Every `attr="…"` value in the markup.
/// Every `attr="…"` value in the markup, with the entities the template writes decoded.
fn attribute_values(html: &str, attr: &str) -> Vec<String> {
    let pat = format!(" {attr}=\"");
    html.match_indices(&pat)
        .map(|(i, _)| {
            let v = &html[i + pat.len()..];
            unescape(&v[..v.find('"').unwrap()])
        })
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The HTML without the data island (which holds JSON, checked on its own).
fn markup(html: &str) -> String {
    let start = html.find(ISLAND_OPEN).unwrap() + ISLAND_OPEN.len();
    let len = html[start..].find("</script>").unwrap();
    format!("{}{}", &html[..start], &html[start + len..])
}

#[test]
fn report_is_self_contained() {
    let s = sample();
    let html = render(&s);
    let refs: Vec<&str> = s
        .rules
        .rules
        .iter()
        .flat_map(|r| r.docs.references.iter().map(String::as_str))
        .collect();
    assert!(!refs.is_empty());
    let srcs = attribute_values(&html, "src");
    assert!(
        srcs.is_empty(),
        "no element may load anything: src={srcs:?}"
    );
    let hrefs = attribute_values(&html, "href");
    assert!(hrefs.len() > refs.len());
    for href in &hrefs {
        assert!(
            href.starts_with('#') || refs.contains(&href.as_str()),
            "only rule references may link out, found href={href:?}"
        );
    }
    let lower = html.to_ascii_lowercase();
    for banned in [
        "<link", "@import", "url(http", "<iframe", "<object", "<embed",
    ] {
        assert!(!lower.contains(banned), "found {banned}");
    }
    // The policy forbids any fetch and allows only the report's own script.
    let csp = attribute_values(&html, "content")
        .into_iter()
        .find(|c| c.starts_with("default-src"))
        .expect("a Content-Security-Policy");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    assert!(!csp.contains("unsafe-eval"), "{csp}");
    assert_eq!(lower.matches("<script").count(), 2, "data island + script");
}

#[test]
fn hostile_tags_are_text_in_the_markup_and_the_data() {
    let s = sample();
    let html = render(&s);
    let markup = markup(&html);
    for raw in ["alert(1)", "<img", "onerror"] {
        assert!(!markup.contains(raw), "{raw:?} in the markup");
    }
    let island = island(&html);
    assert!(!island.contains('<') && !island.contains('>') && !island.contains('&'));
    assert!(island.contains(r"\u003cscript\u003ealert(1)\u003c/script\u003e"));
    // Parsed back, the values are exactly what the snapshot holds.
    let d = data(&html);
    let strings: Vec<&str> = d["strings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(strings.contains(&"<script>alert(1)</script>"));
    assert!(strings.contains(&"<script>alert(1)</script>-root"));
    let story = d["stories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|st| {
            st["resource"]["arn"]
                == "arn:aws:ec2:us-east-1:111111111111:instance/i-01a00000000000003"
        })
        .expect("the hostile instance's story is embedded");
    let tags = story["resource"]["tags"].to_string();
    assert!(
        tags.contains(r#"["owner","\"><img src=x onerror=alert(1)>"]"#),
        "{tags}"
    );
}

/// Hostile values in the places the template and the charts print (account names, plan
/// names, vault names, rule references) are escaped there too.
#[test]
fn hostile_manifest_and_rule_values_are_escaped_in_markup_and_charts() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new("samples/org"), dir.path());
    let manifest = dir.path().join("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap().replace(
        "\"account_name\": \"staging\"",
        r#""account_name": "<img src=x onerror=alert(2)>\"'""#,
    );
    std::fs::write(&manifest, text).unwrap();
    let plans = dir.path().join("111111111111/us-east-1/backup-plans.json");
    let text = std::fs::read_to_string(&plans).unwrap().replacen(
        "\"prod-baseline\"",
        r#""<svg onload=alert(3)>""#,
        1,
    );
    std::fs::write(&plans, text).unwrap();
    let mut s = evaluate(dir.path());
    s.rules.rules[0]
        .docs
        .references
        .push("javascript:alert(4)".into());
    s.rules.rules[0].docs.what = "</p><script>alert(5)</script>".into();
    let html = render(&s);
    let markup = markup(&html);
    for raw in ["<img", "<svg onload", "<script>alert", "onerror=alert(2)>"] {
        assert!(!markup.contains(raw), "raw {raw:?} in the markup");
    }
    assert!(!attribute_values(&html, "href")
        .iter()
        .any(|h| h.starts_with("javascript")));
    // Escaped where the template prints it (header, banner) and where the charts do (SVG).
    assert!(markup.contains("&lt;img src=x onerror=alert(2)&gt;&quot;&#x27;"));
    assert!(markup.contains("&lt;img src=x onerror=alert(2)&gt;&quot;&#39;"));
    assert!(markup.contains("javascript:alert(4)"), "kept as text");
    assert!(markup.contains("&lt;&#x2f;p&gt;&lt;script&gt;alert(5)&lt;&#x2f;script&gt;"));
    assert!(!island(&html).contains('<'));
}

#[test]
fn header_names_every_not_assessed_scope_and_why() {
    let s = sample();
    let html = render(&s);
    let banner = &html[html.find("id=\"not-assessed\"").expect("the banner")..];
    let banner = &banner[..banner.find("</section>").unwrap()];
    assert!(banner.contains("NOT ASSESSED: 2 account-regions"));
    assert!(banner.contains("444444444444 (sandbox) · us-east-1"));
    assert!(banner.contains("not authorized to perform: sts:AssumeRole"));
    assert!(banner.contains("222222222222 (staging) · eu-west-1"));
    assert!(banner.contains("recovery-points.json: ThrottlingException: Rate exceeded"));
    // What was scanned.
    for fact in [
        "samples/org",
        "rules/default/protection.yaml",
        "samples/waivers.yaml",
        "backup-auditor 0.1.0",
        "2026-11-27T05:00:00Z",
        "eu-west-1, us-east-1",
        "backup-central",
    ] {
        assert!(html.contains(fact), "header lacks {fact:?}");
    }
}

#[test]
fn overview_has_the_four_charts_and_sections() {
    let s = sample();
    let html = render(&s);
    for class in [
        "chart heatmap",
        "chart failures",
        "chart age",
        "chart trend",
    ] {
        assert_eq!(
            html.matches(&format!("<svg class=\"{class}\"")).count(),
            1,
            "{class}"
        );
    }
    // One scan: the trend says what it needs rather than drawing a line.
    assert!(html.contains("A trend needs two scans"));
    assert!(
        !html.to_lowercase().contains("placeholder\">"),
        "no placeholder left"
    );
    assert!(html.contains("NOT ASSESSED — account could not be read"));
    for id in ["overview", "findings", "rules", "waivers"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    for r in &s.rules.rules {
        assert!(html.contains(&format!("id=\"rule-{}\"", r.id)), "{}", r.id);
    }
    // Waivers: one of each state in the sample.
    assert!(html.contains("legacy-ftp is being decommissioned"));
    assert!(html.contains("samples/waivers.yaml:50"));
}

#[test]
fn render_is_deterministic() {
    let s = sample();
    assert_eq!(render(&s), render(&s));
}

/// The data island, which the page renders from: scopes, rules, waivers, every finding (one
/// line each) and the evidence of two resources in full.
#[test]
fn data_island_golden() {
    let s = sample();
    let mut d = data(&render(&s));
    d["meta"]["run_at"] = "[run_at]".into();
    d["meta"]["tool_version"] = "[version]".into();
    let o = d.as_object_mut().unwrap();
    let strings = o.remove("strings").unwrap();
    let findings = o.remove("findings").unwrap();
    let stories = o.remove("stories").unwrap();
    let mut out = serde_json::to_string_pretty(&d).unwrap();
    let strings = strings.as_array().unwrap();
    out.push_str(&format!("\n\nstrings ({}):\n", strings.len()));
    for (i, v) in strings.iter().enumerate() {
        out.push_str(&format!("{i:>4} {v}\n"));
    }
    let findings = findings.as_array().unwrap();
    out.push_str(&format!("\nfindings ({}):\n", findings.len()));
    for f in findings {
        out.push_str(&format!("{f}\n"));
    }
    let stories = stories.as_array().unwrap();
    out.push_str(&format!("\nstories ({}):\n", stories.len()));
    for st in stories {
        out.push_str(&format!("{}\n", st["resource"]["arn"].as_str().unwrap()));
    }
    for arn in [
        "arn:aws:ec2:us-east-1:111111111111:instance/i-01a00000000000003",
        "arn:aws:ec2:us-east-1:111111111111:volume/vol-01a10000000000003",
    ] {
        let st = stories
            .iter()
            .find(|st| st["resource"]["arn"] == arn)
            .unwrap();
        out.push_str(&format!(
            "\nstory {arn}:\n{}\n",
            serde_json::to_string_pretty(st).unwrap()
        ));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn the_cap_keeps_failures_first_and_points_to_the_csv() {
    let s = sample();
    let limits = HtmlLimits {
        max_findings: 100,
        max_stories: 5,
        max_story_bytes: 1_000_000,
    };
    let html = render_html_with(
        &s.inv,
        &s.rules,
        &s.eval,
        &s.summary,
        &s.waivers,
        &meta(&s),
        limits,
    )
    .unwrap();
    let d = data(&html);
    assert_eq!(d["findings_total"], 1482);
    assert_eq!(d["findings_included"], 100);
    assert_eq!(d["stories_included"], 5);
    let rows = d["findings"].as_array().unwrap();
    assert_eq!(rows.len(), 100);
    // Status 0 is FAIL; the sample has 432, so all 100 are failures, high severity first.
    assert!(rows.iter().all(|r| r[1] == 0));
    let sev = |r: &serde_json::Value| {
        let rule = &d["rules"][r[0].as_u64().unwrap() as usize];
        rule["severity"].as_str().unwrap().to_owned()
    };
    assert_eq!(sev(&rows[0]), "high");
    let notice = &html[html
        .find("id=\"cap-notice\"")
        .expect("the cap is announced")..];
    let notice = &notice[..notice.find("</div>").unwrap()];
    assert!(notice.contains("100 most important of <strong>1,482</strong>"));
    assert!(notice.contains("findings.csv"));
    assert!(html.contains("Evidence (the <code>explain</code> story"));
}

#[test]
fn templates_can_be_overridden_and_errors_name_template_and_line() {
    let s = sample();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("html")).unwrap();
    std::fs::write(
        dir.path().join("html/rules.html.j2"),
        "<section id=\"rules\">custom rules: {{ rules|length }}</section>\n",
    )
    .unwrap();
    let mut m = meta(&s);
    m.templates = Some(dir.path().to_path_buf());
    let html = render_html(&s.inv, &s.rules, &s.eval, &s.summary, &s.waivers, &m).unwrap();
    assert!(html.contains("custom rules: 20"), "override applies");
    assert!(html.contains("id=\"overview\""), "the others stay");

    std::fs::write(
        dir.path().join("html/rules.html.j2"),
        "<section>\n\n{{ rules|nosuchfilter }}\n</section>\n",
    )
    .unwrap();
    let err = render_html(&s.inv, &s.rules, &s.eval, &s.summary, &s.waivers, &m)
        .unwrap_err()
        .to_string();
    assert!(err.contains("html/rules.html.j2"), "{err}");
    assert!(err.contains("line 3"), "{err}");

    std::fs::write(
        dir.path().join("html/rules.html.j2"),
        "<section>\n{{ no_such_value }}\n</section>\n",
    )
    .unwrap();
    let err = render_html(&s.inv, &s.rules, &s.eval, &s.summary, &s.waivers, &m)
        .unwrap_err()
        .to_string();
    assert!(err.contains("html/rules.html.j2 (line 2)"), "{err}");
}

/// The age chart measures a recovery point from its CreationDate, as recovery-point-recent
/// does: a copy completed an hour ago of a ten-day-old backup is ten days old ("The creation
/// date refers to when the source was created, not when the copy was created", AWS Backup
/// Developer Guide, "Copy a backup").
#[test]
fn the_age_chart_dates_a_copy_by_its_source_backup() {
    use backup_auditor::report::html::charts::recovery_point_age_counts;
    let before = sample();
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new("samples/org"), dir.path());
    let points = dir
        .path()
        .join("333333333333/us-east-1/recovery-points.json");
    let mut list: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&points).unwrap()).unwrap();
    // backup-tools has no recovery point in the sample.
    list.push(serde_json::json!({
        "RecoveryPointArn": "arn:aws:ec2:us-east-1::image/ami-0copyoftendaysago01",
        "BackupVaultName": "Default",
        "BackupVaultArn": "arn:aws:backup:us-east-1:333333333333:backup-vault:Default",
        "SourceBackupVaultArn": "arn:aws:backup:eu-west-1:333333333333:backup-vault:Default",
        "ResourceArn": "arn:aws:ec2:us-east-1:333333333333:instance/i-03a50000000000001",
        "ResourceType": "EC2",
        "Status": "COMPLETED",
        "CreationDate": "2026-11-17T05:00:00+00:00",
        "CompletionDate": "2026-11-27T04:00:00+00:00",
        "IsEncrypted": true
    }));
    std::fs::write(&points, serde_json::to_vec(&list).unwrap()).unwrap();
    let after = evaluate(dir.path());
    let (b, none_b, _) = recovery_point_age_counts(&before.inv, &before.eval);
    let (a, none_a, _) = recovery_point_age_counts(&after.inv, &after.eval);
    assert_eq!(none_a + 1, none_b, "backup-tools now has a good point");
    assert_eq!(a[0], b[0], "not counted as at most 24 h old");
    assert_eq!(a[3], b[3] + 1, "counted as 7-30 days old");
}
