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

pub mod charts;
mod gathered;
mod island;
mod script;
mod views;

use crate::digest::sha256;
pub use gathered::Gathered;
use island::data_island;
pub use island::TableNote;
use script::base64;
pub use script::escape_for_script;
pub use views::PageCounts;
use views::{kpi, not_assessed, rule_views, scanned, Kpi, NotAssessedView, RuleView, Scanned};

use crate::engine::Evaluation;
use crate::error::{Error, Result};
use crate::findings::summary::Summary;
use crate::history::diff::Diff;
use crate::history::record::ScanRecord;
use crate::model::Inventory;
use crate::rules::waiver::Waiver;
use crate::rules::RuleSet;
use crate::snapshot::time::rfc3339;
use minijinja::{AutoEscape, Environment, Value};
use serde::Serialize;
use std::collections::HashMap;
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

impl HtmlMeta {
    /// The header of a report on `inv` judged by `rules` in run `run_id` (started at
    /// `run_at`), of `snapshot` with `waiver_file`; `templates`: `--templates DIR`.
    pub fn of(
        (inv, rules): (&Inventory, &RuleSet),
        (run_id, run_at): (&str, String),
        (snapshot, waiver_file): (String, Option<String>),
        templates: Option<PathBuf>,
    ) -> HtmlMeta {
        HtmlMeta {
            tool_version: env!("CARGO_PKG_VERSION").into(),
            run_id: run_id.into(),
            run_at,
            snapshot,
            collected_at: rfc3339(inv.collected_at),
            as_of: rfc3339(inv.as_of),
            rule_sources: rules.sources.clone(),
            waiver_file,
            templates,
        }
    }
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

/// This scan among others, and the page's limits: what changed since the baseline, and the
/// scans the trend draws (oldest first, this one last).
#[derive(Debug, Clone, Copy, Default)]
pub struct Since<'a> {
    pub diff: Option<&'a Diff>,
    /// The planned change judged: the diff is then what it changes ("This change").
    pub planned: Option<&'a crate::report::markdown::PlannedView<'a>>,
    pub trend: &'a [ScanRecord],
    pub limits: HtmlLimits,
}

/// The templates of the HTML report, embedded; `--templates DIR` may replace any of them.
pub const HTML_TEMPLATES: &[(&str, &str)] = &[
    (
        "report.html.j2",
        include_str!("../../../report-templates/report.html.j2"),
    ),
    (
        "html/overview.html.j2",
        include_str!("../../../report-templates/html/overview.html.j2"),
    ),
    (
        "html/findings.html.j2",
        include_str!("../../../report-templates/html/findings.html.j2"),
    ),
    (
        "html/rules.html.j2",
        include_str!("../../../report-templates/html/rules.html.j2"),
    ),
    (
        "html/changes.html.j2",
        include_str!("../../../report-templates/html/changes.html.j2"),
    ),
    (
        "html/waivers.html.j2",
        include_str!("../../../report-templates/html/waivers.html.j2"),
    ),
    (
        "html/chart-coverage.svg.j2",
        include_str!("../../../report-templates/html/chart-coverage.svg.j2"),
    ),
    (
        "html/chart-failures.svg.j2",
        include_str!("../../../report-templates/html/chart-failures.svg.j2"),
    ),
    (
        "html/chart-age.svg.j2",
        include_str!("../../../report-templates/html/chart-age.svg.j2"),
    ),
    (
        "html/chart-trend.svg.j2",
        include_str!("../../../report-templates/html/chart-trend.svg.j2"),
    ),
    (
        "html/chart-hatch.svg.j2",
        include_str!("../../../report-templates/html/chart-hatch.svg.j2"),
    ),
    (
        "html/style.css",
        include_str!("../../../report-templates/html/style.css"),
    ),
    (
        "html/app.js",
        include_str!("../../../report-templates/html/app.js"),
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
    let since = Since {
        limits,
        ..Since::default()
    };
    render_html_since(inv, rules, eval, summary, waivers, meta, &since)
}

/// Renders `report.html` with what changed since the baseline and the trend of the scans.
pub fn render_html_since(
    inv: &Inventory,
    rules: &RuleSet,
    eval: &Evaluation,
    summary: &Summary,
    waivers: &[Waiver],
    meta: &HtmlMeta,
    since: &Since,
) -> Result<String, Error> {
    let mut gathered = Gathered::new(since.limits);
    let changes = since.diff.map(|d| d.changes.as_slice());
    gathered.add((inv, rules), &eval.judged(), changes);
    gathered.add_counts(&summary.counts);
    render_gathered(inv, rules, &gathered, (summary, waivers), meta, since)
}

/// Renders `report.html` from what was gathered of every batch (`since.limits` are
/// `gathered`'s).
pub fn render_gathered(
    inv: &Inventory,
    rules: &RuleSet,
    gathered: &Gathered,
    (summary, waivers): (&Summary, &[Waiver]),
    meta: &HtmlMeta,
    since: &Since,
) -> Result<String, Error> {
    let templates = environment(meta.templates.as_deref())?;
    let style = templates.asset("html/style.css", "</style")?;
    let script = templates.asset("html/app.js", "</script")?;
    let data = data_island(inv, rules, gathered, (waivers, meta), since.diff.is_some());
    let csp = format!(
        "default-src 'none'; script-src 'sha256-{}'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
        base64(&sha256(script.as_bytes()))
    );
    let counted = (&gathered.coverage, &gathered.age);
    let counts = &gathered.counts;
    let ctx = Context {
        meta,
        summary: SummaryView {
            coverage: &summary.coverage,
            waivers_active: &summary.waivers_active,
            waivers_expired: &summary.waivers_expired,
            waivers_unused: &summary.waivers_unused,
            not_judged: &summary.not_judged,
        },
        scanned: scanned(inv, gathered.resources),
        kpi: kpi(summary),
        not_assessed: not_assessed(summary, counts),
        charts: charts::Charts::draw(
            &templates,
            inv,
            rules,
            counted,
            (summary, counts),
            since.trend,
        )?,
        diff: since.diff,
        planned: since.planned,
        rules: rule_views(rules, counts),
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
    not_judged: &'a crate::findings::not_judged::NotJudgedSummary,
}

#[derive(Serialize)]
struct Context<'a> {
    meta: &'a HtmlMeta,
    summary: SummaryView<'a>,
    scanned: Scanned,
    kpi: Kpi,
    not_assessed: Vec<NotAssessedView>,
    charts: charts::Charts,
    /// What changed since the baseline, when there is one.
    diff: Option<&'a Diff>,
    planned: Option<&'a crate::report::markdown::PlannedView<'a>>,
    rules: Vec<RuleView<'a>>,
    table: TableNote,
    csp: String,
    style: Value,
    script: Value,
    data: Value,
}
