//! `report.html`: one self-contained file a security lead can forward. Inline CSS and script,
//! charts drawn as inline SVG by their templates, findings and per-resource evidence embedded
//! as a JSON data island that the page's script renders in pages.
//!
//! Safety: every value from the snapshot, the rules or the waivers reaches the page either
//! through the template (auto-escaped; the chart templates for SVG), or inside the data
//! island with `<`, `>` and `&` written as `\u003c`, `\u003e`, `\u0026`, which the script only
//! ever puts into the page as text. A Content-Security-Policy allows no network access and
//! only the report's own script (by its SHA-256), so even a missed escape could not run code.
//!
//! Size: at most [`HtmlLimits::max_findings`] findings are embedded (non-PASS first; the page
//! says so and points to `findings.csv`), and evidence for a bounded number of resources.

#[path = "charts/mod.rs"]
pub mod charts;

use crate::engine::{story, Evaluation};
use crate::error::{Error, Result};
use crate::findings::summary::Summary;
use crate::findings::{Status, Subject};
use crate::model::Inventory;
use crate::rules::waiver::Waiver;
use crate::rules::{RuleSet, Severity};
use crate::snapshot::ScopeStatus;
use minijinja::{AutoEscape, Environment, Value};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// What the header says about the run. Strings as the other outputs write them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HtmlMeta {
    pub tool_version: String,
    /// With `run_at`, the only fields that differ between two renders of the same inputs.
    pub run_id: String,
    pub run_at: String,
    pub snapshot: String,
    pub collected_at: String,
    pub as_of: String,
    pub rule_sources: Vec<String>,
    pub waiver_file: Option<String>,
    /// `--templates DIR`: files here replace the embedded templates of the same name.
    #[serde(skip)]
    pub templates: Option<PathBuf>,
}

/// Bounds that keep the file small and the page fast for very large organisations.
#[derive(Debug, Clone, Copy)]
pub struct HtmlLimits {
    /// Findings embedded in the table (non-PASS first).
    pub max_findings: usize,
    /// Resources whose `explain` story is embedded.
    pub max_stories: usize,
    /// Bytes of JSON the stories may take together.
    pub max_story_bytes: usize,
}

impl Default for HtmlLimits {
    fn default() -> Self {
        HtmlLimits {
            max_findings: 100_000,
            max_stories: 3_000,
            max_story_bytes: 4_000_000,
        }
    }
}

/// The templates of the HTML report, embedded; `--templates DIR` may replace any of them.
pub const HTML_TEMPLATES: &[(&str, &str)] = &[
    (
        "report.html.j2",
        include_str!("../../report-templates/report.html.j2"),
    ),
    (
        "html/overview.html.j2",
        include_str!("../../report-templates/html/overview.html.j2"),
    ),
    (
        "html/findings.html.j2",
        include_str!("../../report-templates/html/findings.html.j2"),
    ),
    (
        "html/rules.html.j2",
        include_str!("../../report-templates/html/rules.html.j2"),
    ),
    (
        "html/waivers.html.j2",
        include_str!("../../report-templates/html/waivers.html.j2"),
    ),
    (
        "html/chart-coverage.svg.j2",
        include_str!("../../report-templates/html/chart-coverage.svg.j2"),
    ),
    (
        "html/chart-failures.svg.j2",
        include_str!("../../report-templates/html/chart-failures.svg.j2"),
    ),
    (
        "html/chart-age.svg.j2",
        include_str!("../../report-templates/html/chart-age.svg.j2"),
    ),
    (
        "html/chart-trend.svg.j2",
        include_str!("../../report-templates/html/chart-trend.svg.j2"),
    ),
    (
        "html/chart-hatch.svg.j2",
        include_str!("../../report-templates/html/chart-hatch.svg.j2"),
    ),
    (
        "html/style.css",
        include_str!("../../report-templates/html/style.css"),
    ),
    (
        "html/app.js",
        include_str!("../../report-templates/html/app.js"),
    ),
];

/// Renders `report.html` with the default limits.
pub fn render_html(
    inv: &Inventory,
    rules: &RuleSet,
    eval: &Evaluation,
    summary: &Summary,
    waivers: &[Waiver],
    meta: &HtmlMeta,
) -> Result<String, Error> {
    render_html_with(
        inv,
        rules,
        eval,
        summary,
        waivers,
        meta,
        HtmlLimits::default(),
    )
}

pub fn render_html_with(
    inv: &Inventory,
    rules: &RuleSet,
    eval: &Evaluation,
    summary: &Summary,
    waivers: &[Waiver],
    meta: &HtmlMeta,
    limits: HtmlLimits,
) -> Result<String, Error> {
    let templates = environment(meta.templates.as_deref())?;
    let style = templates.asset("html/style.css", "</style")?;
    let script = templates.asset("html/app.js", "</script")?;
    let data = data_island(inv, rules, eval, waivers, meta, limits);
    let csp = format!(
        "default-src 'none'; script-src 'sha256-{}'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
        base64(&sha256(script.as_bytes()))
    );
    let ctx = Context {
        meta,
        summary: SummaryView {
            coverage: &summary.coverage,
            waivers_active: &summary.waivers_active,
            waivers_expired: &summary.waivers_expired,
            waivers_unused: &summary.waivers_unused,
        },
        scanned: scanned(inv),
        kpi: kpi(summary),
        not_assessed: not_assessed(summary),
        charts: charts::Charts::draw(&templates, inv, rules, eval, summary)?,
        rules: rule_views(rules, summary),
        table: data.note,
        csp,
        style: Value::from_safe_string(style),
        script: Value::from_safe_string(script),
        data: Value::from_safe_string(data.json),
    };
    templates.render("report.html.j2", &ctx)
}

/// The template environment, and the files that replaced embedded templates (for errors).
struct Templates {
    env: Environment<'static>,
    custom: HashMap<String, PathBuf>,
}

fn environment(dir: Option<&Path>) -> Result<Templates> {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".css") || name.ends_with(".js") {
            AutoEscape::None
        } else if name.ends_with(".svg.j2") {
            charts::SVG
        } else {
            AutoEscape::Html
        }
    });
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    charts::register(&mut env);
    let mut custom = HashMap::new();
    for (name, builtin) in HTML_TEMPLATES {
        let (file, src) = match super::custom_template(dir, name)? {
            Some((p, text)) => {
                custom.insert(name.to_string(), p.clone());
                (Some(p), text)
            }
            None => (None, builtin.to_string()),
        };
        env.add_template_owned(name.to_string(), src).map_err(|e| {
            let label = file
                .as_ref()
                .map_or(name.to_string(), |p| p.display().to_string());
            template_error(&label, None, &e)
        })?;
    }
    Ok(Templates { env, custom })
}

impl Templates {
    fn render(&self, name: &str, ctx: &impl Serialize) -> Result<String> {
        let t = self
            .env
            .get_template(name)
            .map_err(|e| template_error(name, None, &e))?;
        t.render(ctx).map_err(|e| {
            // Name the template where it went wrong (an included one, maybe), and its file
            // when it came from --templates.
            let mut inner = &e;
            while let Some(next) =
                std::error::Error::source(inner).and_then(|s| s.downcast_ref::<minijinja::Error>())
            {
                inner = next;
            }
            let at = inner.name().unwrap_or(name);
            let label = self
                .custom
                .get(at)
                .map_or(at.to_string(), |p| p.display().to_string());
            template_error(&label, inner.line(), &e)
        })
    }

    /// CSS and script are rendered on their own: the script's hash goes into the CSP, and
    /// neither may close its element early.
    fn asset(&self, name: &str, closer: &str) -> Result<String> {
        let text = self.render(name, &minijinja::context! {})?;
        if text.to_ascii_lowercase().contains(closer) {
            return Err(Error::Template {
                name: name.to_owned(),
                message: format!("must not contain {closer:?}"),
            });
        }
        Ok(text)
    }
}

fn template_error(name: &str, line: Option<usize>, e: &minijinja::Error) -> Error {
    let at = line
        .or(e.line())
        .map(|l| format!(" (line {l})"))
        .unwrap_or_default();
    Error::Template {
        name: format!("{name}{at}"),
        message: format!("{e:#}"),
    }
}

/// What the templates read of the summary (not its per-scope counts, which can run to
/// hundreds of thousands of rows).
#[derive(Serialize)]
struct SummaryView<'a> {
    coverage: &'a crate::findings::summary::Coverage,
    waivers_active: &'a [crate::findings::summary::WaiverNote],
    waivers_expired: &'a [crate::findings::summary::WaiverNote],
    waivers_unused: &'a [crate::findings::summary::WaiverNote],
}

#[derive(Serialize)]
struct Context<'a> {
    meta: &'a HtmlMeta,
    summary: SummaryView<'a>,
    scanned: Scanned,
    kpi: Kpi,
    not_assessed: Vec<NotAssessedView>,
    charts: charts::Charts,
    rules: Vec<RuleView<'a>>,
    table: TableNote,
    csp: String,
    style: Value,
    script: Value,
    data: Value,
}

#[derive(Serialize)]
struct Scanned {
    accounts: Vec<AccountView>,
    regions: Vec<String>,
    scopes: usize,
    resources: usize,
}

#[derive(Serialize)]
struct AccountView {
    id: String,
    name: String,
    regions: Vec<(String, ScopeStatus)>,
}

fn scanned(inv: &Inventory) -> Scanned {
    let mut accounts: BTreeMap<&str, AccountView> = BTreeMap::new();
    let mut regions = BTreeSet::new();
    for s in &inv.scopes {
        regions.insert(s.region.clone());
        accounts
            .entry(&s.account_id)
            .or_insert_with(|| AccountView {
                id: s.account_id.clone(),
                name: s.account_name.clone().unwrap_or_default(),
                regions: Vec::new(),
            })
            .regions
            .push((s.region.clone(), s.status));
    }
    Scanned {
        accounts: accounts.into_values().collect(),
        regions: regions.into_iter().collect(),
        scopes: inv.scopes.len(),
        resources: inv.resource_count(),
    }
}

#[derive(Serialize)]
struct Kpi {
    fail: usize,
    /// `(severity, unwaived failures)`, most severe first, only those with failures.
    fail_by_severity: Vec<(&'static str, usize)>,
    fail_high: usize,
    not_assessed: usize,
    waived: usize,
    pass: usize,
    not_applicable: usize,
    findings: usize,
}

fn kpi(s: &Summary) -> Kpi {
    let n = |st: Status| s.by_status.get(st.as_str()).copied().unwrap_or(0);
    Kpi {
        fail: n(Status::Fail),
        fail_by_severity: SEVERITY_ORDER
            .iter()
            .filter_map(|sev| {
                let n = s.failures_by_severity.get(sev).copied().unwrap_or(0);
                (n > 0).then_some((sev.as_str(), n))
            })
            .collect(),
        fail_high: s.failures_at_least(Severity::High),
        not_assessed: n(Status::NotAssessed),
        waived: n(Status::Waived),
        pass: n(Status::Pass),
        not_applicable: n(Status::NotApplicable),
        findings: s.findings,
    }
}

#[derive(Serialize)]
struct NotAssessedView {
    account_id: String,
    account_name: Option<String>,
    region: String,
    status: ScopeStatus,
    reason: String,
    /// NOT_ASSESSED findings in this account-region.
    findings: usize,
}

fn not_assessed(s: &Summary) -> Vec<NotAssessedView> {
    // Counted in one pass: summing the counts anew for each scope took time proportional to
    // scopes × counts (41 s for 20,000 failed scopes).
    let mut per_scope: HashMap<(&str, &str), usize> = HashMap::new();
    for c in s.counts.iter().filter(|c| c.status == "NOT_ASSESSED") {
        *per_scope.entry((&c.account_id, &c.region)).or_insert(0) += c.count;
    }
    s.not_assessed_scopes
        .iter()
        .map(|n| NotAssessedView {
            account_id: n.account_id.clone(),
            account_name: n.account_name.clone(),
            region: n.region.clone(),
            status: n.status,
            reason: n.reason.clone(),
            findings: per_scope
                .get(&(n.account_id.as_str(), n.region.as_str()))
                .copied()
                .unwrap_or(0),
        })
        .collect()
}

#[derive(Serialize)]
struct RuleView<'a> {
    id: &'a str,
    title: &'a str,
    severity: &'static str,
    check: &'static str,
    what: &'a str,
    why: &'a str,
    remediation: &'a str,
    /// `(text, is_link)`: only http(s) references become links.
    references: Vec<(&'a str, bool)>,
    frameworks: Vec<(&'a str, String)>,
    scope: Vec<String>,
    source: &'a str,
    counts: BTreeMap<&'static str, usize>,
}

fn rule_views<'a>(rules: &'a RuleSet, summary: &Summary) -> Vec<RuleView<'a>> {
    let mut per_rule: HashMap<&str, BTreeMap<&'static str, usize>> = HashMap::new();
    for c in &summary.counts {
        *per_rule
            .entry(&c.rule_id)
            .or_default()
            .entry(c.status)
            .or_insert(0) += c.count;
    }
    rules
        .rules
        .iter()
        .map(|r| {
            let mut counts: BTreeMap<&'static str, usize> =
                Status::ALL.iter().map(|s| (s.as_str(), 0)).collect();
            for (st, n) in per_rule.get(r.id.as_str()).into_iter().flatten() {
                *counts.entry(st).or_insert(0) += n;
            }
            let mut scope = Vec::new();
            if !r.scope.resource_types.is_empty() {
                let t: Vec<&str> = r
                    .scope
                    .resource_types
                    .iter()
                    .map(|k| k.short_name())
                    .collect();
                scope.push(format!("resource types: {}", t.join(", ")));
            }
            if !r.scope.accounts.is_empty() {
                scope.push(format!("accounts: {}", r.scope.accounts.join(", ")));
            }
            if !r.scope.regions.is_empty() {
                scope.push(format!("regions: {}", r.scope.regions.join(", ")));
            }
            for (k, v) in &r.scope.tags {
                scope.push(format!("tag {k} = {v}"));
            }
            RuleView {
                id: &r.id,
                title: &r.title,
                severity: r.severity.as_str(),
                check: r.check.name(),
                what: &r.docs.what,
                why: &r.docs.why,
                remediation: &r.docs.remediation,
                references: r
                    .docs
                    .references
                    .iter()
                    .map(|u| {
                        let link = (u.starts_with("https://") || u.starts_with("http://"))
                            && !u.contains(char::is_whitespace);
                        (u.as_str(), link)
                    })
                    .collect(),
                frameworks: r
                    .frameworks
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.join(", ")))
                    .collect(),
                scope,
                source: &r.source,
                counts,
            }
        })
        .collect()
}

/// What the page says about the embedded findings and evidence.
#[derive(Debug, Clone, Serialize)]
pub struct TableNote {
    pub total: usize,
    pub included: usize,
    pub capped: bool,
    pub stories: usize,
    pub stories_eligible: usize,
}

struct DataIsland {
    json: String,
    note: TableNote,
}

/// Row columns of the data island; string columns index `strings` (0 is the empty string).
const COLUMNS: [&str; 14] = [
    "rule",
    "status",
    "scope",
    "type",
    "arn",
    "name",
    "reason",
    "plan",
    "selection",
    "backup_rule",
    "vault",
    "recovery_point",
    "through",
    "waiver",
];

/// Status order in the table and in the data island: what needs attention first.
const STATUS_ORDER: [Status; 5] = [
    Status::Fail,
    Status::NotAssessed,
    Status::Waived,
    Status::NotApplicable,
    Status::Pass,
];

const SEVERITY_ORDER: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];

fn status_rank(s: Status) -> usize {
    STATUS_ORDER.iter().position(|x| *x == s).unwrap_or(0)
}

fn severity_rank(s: Severity) -> usize {
    SEVERITY_ORDER.iter().position(|x| *x == s).unwrap_or(0)
}

struct Interner<'a> {
    index: HashMap<&'a str, u32>,
    list: Vec<&'a str>,
}

impl<'a> Interner<'a> {
    fn new() -> Self {
        let mut i = Interner {
            index: HashMap::new(),
            list: Vec::new(),
        };
        i.get("");
        i
    }

    fn get(&mut self, s: &'a str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.list.len() as u32;
        self.index.insert(s, i);
        self.list.push(s);
        i
    }
}

fn data_island(
    inv: &Inventory,
    rules: &RuleSet,
    eval: &Evaluation,
    waivers: &[Waiver],
    meta: &HtmlMeta,
    limits: HtmlLimits,
) -> DataIsland {
    let findings = &eval.findings;
    // Which findings: by status (FAIL first) and severity, up to the cap, in two passes so a
    // million findings need no sort.
    let bucket = |i: usize| {
        let f = &findings[i];
        status_rank(f.status) * SEVERITY_ORDER.len()
            + severity_rank(rules.rules[f.rule as usize].severity)
    };
    let nb = STATUS_ORDER.len() * SEVERITY_ORDER.len();
    let mut sizes = vec![0usize; nb];
    for i in 0..findings.len() {
        sizes[bucket(i)] += 1;
    }
    let mut room = limits.max_findings;
    let take: Vec<usize> = sizes
        .iter()
        .map(|&n| {
            let t = n.min(room);
            room -= t;
            t
        })
        .collect();
    let mut chosen: Vec<Vec<u32>> = take.iter().map(|&t| Vec::with_capacity(t)).collect();
    for i in 0..findings.len() {
        let b = bucket(i);
        if chosen[b].len() < take[b] {
            chosen[b].push(i as u32);
        }
    }
    let order: Vec<u32> = chosen.into_iter().flatten().collect();

    // Rows, with every string interned: a resource's ARN appears once however many rules
    // judge it.
    let mut strings = Interner::new();
    let mut types = Interner::new();
    let mut rows = String::with_capacity(order.len() * 48);
    for (n, &i) in order.iter().enumerate() {
        let f = &findings[i as usize];
        let r = f.row(inv, rules);
        let mut cells = [
            f.rule,
            status_rank(f.status) as u32,
            f.subject.scope(),
            types.get(r.resource_type),
            strings.get(r.resource_arn),
            strings.get(r.resource_name),
            strings.get(r.reason),
            strings.get(r.plan),
            strings.get(r.selection),
            strings.get(r.backup_rule),
            strings.get(r.vault),
            strings.get(r.recovery_point),
            strings.get(r.through),
            f.waiver.map_or(0, |w| w + 1),
        ]
        .to_vec();
        while cells.len() > 7 && cells.last() == Some(&0) {
            cells.pop();
        }
        if n > 0 {
            rows.push(',');
        }
        rows.push('[');
        for (k, c) in cells.iter().enumerate() {
            if k > 0 {
                rows.push(',');
            }
            rows.push_str(&c.to_string());
        }
        rows.push(']');
    }

    // Evidence: the explain story of the resources in the table, in table order.
    let mut seen = BTreeSet::new();
    let mut wanted: Vec<(u32, u32)> = Vec::new();
    for &i in &order {
        if let Subject::Resource { scope, index } = findings[i as usize].subject {
            if seen.insert((scope, index)) {
                wanted.push((scope, index));
            }
        }
    }
    let eligible = wanted.len();
    wanted.truncate(limits.max_stories);
    let mut stories = String::new();
    let mut story_count = 0;
    for story in story::tell_each(inv, eval, wanted) {
        let Ok(text) = serde_json::to_string(&story) else {
            continue;
        };
        if stories.len() + text.len() > limits.max_story_bytes {
            break;
        }
        if story_count > 0 {
            stories.push(',');
        }
        stories.push_str(&text);
        story_count += 1;
    }

    #[derive(Serialize)]
    struct ScopeView<'a> {
        account_id: &'a str,
        account_name: &'a str,
        region: &'a str,
        status: ScopeStatus,
    }
    #[derive(Serialize)]
    struct RuleRef<'a> {
        id: &'a str,
        title: &'a str,
        severity: &'static str,
        check: &'static str,
    }
    #[derive(Serialize)]
    struct WaiverRef<'a> {
        rule: &'a str,
        resource: &'a str,
        reason: &'a str,
        owner: Option<&'a str>,
        expires: Option<String>,
        source: &'a str,
    }
    #[derive(Serialize)]
    struct Head<'a> {
        format: &'static str,
        meta: &'a HtmlMeta,
        findings_total: usize,
        findings_included: usize,
        findings_cap: usize,
        stories_eligible: usize,
        stories_included: usize,
        statuses: Vec<&'static str>,
        severities: Vec<&'static str>,
        scopes: Vec<ScopeView<'a>>,
        types: &'a [&'a str],
        rules: Vec<RuleRef<'a>>,
        waivers: Vec<WaiverRef<'a>>,
        columns: [&'static str; 14],
        strings: &'a [&'a str],
    }
    let head = Head {
        format: "backup-auditor-html-data/v1",
        meta,
        findings_total: findings.len(),
        findings_included: order.len(),
        findings_cap: limits.max_findings,
        stories_eligible: eligible,
        stories_included: story_count,
        statuses: STATUS_ORDER.iter().map(|s| s.as_str()).collect(),
        severities: SEVERITY_ORDER.iter().map(|s| s.as_str()).collect(),
        scopes: inv
            .scopes
            .iter()
            .map(|s| ScopeView {
                account_id: &s.account_id,
                account_name: s.account_name.as_deref().unwrap_or(""),
                region: &s.region,
                status: s.status,
            })
            .collect(),
        types: &types.list,
        rules: rules
            .rules
            .iter()
            .map(|r| RuleRef {
                id: &r.id,
                title: &r.title,
                severity: r.severity.as_str(),
                check: r.check.name(),
            })
            .collect(),
        waivers: waivers
            .iter()
            .map(|w| WaiverRef {
                rule: &w.rule,
                resource: &w.resource,
                reason: &w.reason,
                owner: w.owner.as_deref(),
                expires: w.expires.map(|e| e.format("%Y-%m-%d").to_string()),
                source: &w.source,
            })
            .collect(),
        columns: COLUMNS,
        strings: &strings.list,
    };
    let head = serde_json::to_string(&head).unwrap_or_else(|_| "{}".into());
    let mut json = String::with_capacity(head.len() + rows.len() + stories.len() + 64);
    json.push_str(&head[..head.len() - 1]);
    json.push_str(",\"findings\":[");
    json.push_str(&rows);
    json.push_str("],\"stories\":[");
    json.push_str(&stories);
    json.push_str("]}");
    DataIsland {
        json: escape_for_script(&json),
        note: TableNote {
            total: findings.len(),
            included: order.len(),
            capped: order.len() < findings.len(),
            stories: story_count,
            stories_eligible: eligible,
        },
    }
}

/// JSON that is safe inside `<script type="application/json">`: no `<` (so no `</script>` or
/// `<!--`), no `>` or `&`, and no U+2028/U+2029. Valid JSON, because these characters can only
/// appear inside strings, where the `\u` escapes mean the same characters.
pub fn escape_for_script(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 32);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            _ => out.push(c),
        }
    }
    out
}

/// SHA-256 (FIPS 180-4), for the script hash in the Content-Security-Policy.
fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bits.to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 64];
        for (i, c) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, v) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(v);
        }
    }
    let mut out = [0u8; 32];
    for (i, v) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&v.to_be_bytes());
    }
    out
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for k in 0..4 {
            if k <= c.len() {
                out.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn sha256_matches_known_vectors() {
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let long = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        assert_eq!(
            hex(&sha256(long)),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    #[test]
    fn base64_pads() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn not_assessed_counts_each_scopes_findings() {
        let e = crate::app::evaluate_sample();
        let summary = Summary::build(&e.inventory, &e.rules, &e.evaluation, &e.waivers);
        let views = not_assessed(&summary);
        assert!(views.iter().any(|v| v.findings > 0));
        for v in &views {
            let want: usize = summary
                .counts
                .iter()
                .filter(|c| {
                    c.status == "NOT_ASSESSED"
                        && c.account_id == v.account_id
                        && c.region == v.region
                })
                .map(|c| c.count)
                .sum();
            assert_eq!(v.findings, want, "{}/{}", v.account_id, v.region);
        }
    }

    #[test]
    fn script_json_has_no_markup_characters() {
        let j =
            serde_json::to_string(&serde_json::json!({"a": "</script><!-- & \u{2028}"})).unwrap();
        let e = escape_for_script(&j);
        assert!(!e.contains('<') && !e.contains('>') && !e.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&e).unwrap();
        assert_eq!(back["a"], "</script><!-- & \u{2028}");
    }
}
