//! The HTML report's overview charts, drawn as inline SVG at render time: no script, no
//! network, and they print.
//!
//! Rust only counts: each chart has a small serialisable struct of numbers ([`coverage`],
//! [`failures`], [`age`], [`trend`]), and a template in `report-templates/html/chart-*.svg.j2`
//! draws it, with the layout, colours and words. The charts only read what the evaluation
//! holds: protections (coverage), the summary's counts (failures) and the inventory's
//! recovery points (age of the newest good one); the trend reads the records of the scans.

mod age;
mod coverage;
mod failures;
mod format;

pub use age::{age, recovery_point_age_counts, AgeChart, AgeCounts, AGE_BUCKET_HOURS};
pub use coverage::{
    coverage, AccountRow, Cell, CoverageChart, CoverageTally, FailedRegion, HEATMAP_MAX_ACCOUNTS,
};
pub use failures::{
    failures, trend, AccountTrend, FailuresChart, RuleBar, TrendChart, TrendPoint,
    TREND_MAX_ACCOUNTS, TREND_MAX_SCANS,
};
pub use format::{register, SVG};

use super::views::PageCounts;
use super::Templates;
use crate::error::Result;
use crate::findings::summary::Summary;
use crate::history::record::ScanRecord;
use crate::model::Inventory;
use crate::rules::RuleSet;
use minijinja::Value;
use serde::Serialize;

/// The drawn charts, as the overview template places them.
#[derive(Serialize)]
pub(super) struct Charts {
    heatmap: Value,
    failures: Value,
    age: Value,
    trend: Value,
}

impl Charts {
    /// Counts each chart's numbers and draws them with its template (the template's
    /// context is the chart's struct).
    pub(super) fn draw(
        templates: &Templates,
        inv: &Inventory,
        rules: &RuleSet,
        (coverage, age): (&CoverageTally, &AgeCounts),
        (summary, counts): (&Summary, &PageCounts),
        scans: &[ScanRecord],
    ) -> Result<Charts> {
        Ok(Charts {
            heatmap: svg(templates, "html/chart-coverage.svg.j2", &coverage.chart())?,
            failures: svg(
                templates,
                "html/chart-failures.svg.j2",
                &failures(rules, summary, counts),
            )?,
            age: svg(templates, "html/chart-age.svg.j2", &age.chart(inv))?,
            trend: svg(templates, "html/chart-trend.svg.j2", &trend(scans))?,
        })
    }
}

/// One chart drawn by its template; the SVG is inserted into the page as it is (the
/// template escaped every value it printed).
fn svg(templates: &Templates, name: &str, chart: &impl Serialize) -> Result<Value> {
    Ok(Value::from_safe_string(templates.render(name, chart)?))
}

/// The sample evaluated, and its summary, for the charts' tests.
#[cfg(test)]
fn sample() -> (crate::app::Evaluated, Summary) {
    let e = crate::app::evaluate_sample();
    let summary = Summary::build(&e.inventory, &e.rules, &e.evaluation, &e.waivers);
    (e, summary)
}

#[cfg(test)]
mod tests {
    use super::super::{render_html, HtmlMeta, HTML_TEMPLATES};

    const CHART_TEMPLATES: [&str; 5] = [
        "html/chart-coverage.svg.j2",
        "html/chart-failures.svg.j2",
        "html/chart-age.svg.j2",
        "html/chart-trend.svg.j2",
        "html/chart-hatch.svg.j2",
    ];

    /// Embedded, and names `--templates DIR` may replace (so a misspelt one is refused).
    #[test]
    fn the_chart_templates_are_embedded_and_replaceable() {
        let embedded: Vec<&str> = HTML_TEMPLATES.iter().map(|(n, _)| *n).collect();
        let known = crate::report::template_names();
        for name in CHART_TEMPLATES {
            assert!(embedded.contains(&name), "{name} not embedded");
            assert!(known.contains(&name), "{name} not replaceable");
        }
    }

    /// A chart template in `--templates DIR` draws that chart from the same numbers, and its
    /// mistakes are reported with its file and line.
    #[test]
    fn a_replaced_chart_template_draws_and_its_errors_are_located() {
        let (e, summary) = super::sample();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("html")).unwrap();
        let file = dir.path().join("html/chart-age.svg.j2");
        let meta = HtmlMeta {
            templates: Some(dir.path().to_path_buf()),
            ..HtmlMeta::default()
        };
        let render = || {
            let (inv, eval) = (&e.inventory, &e.evaluation);
            render_html(inv, &e.rules, eval, &summary, &e.waivers, &meta)
        };
        std::fs::write(
            &file,
            "<svg class=\"mine\">{{ total }} in {{ bars|length }} bars</svg>\n",
        )
        .unwrap();
        let html = render().unwrap();
        let total = super::age(&e.inventory, &e.evaluation).total;
        assert!(html.contains(&format!("<svg class=\"mine\">{total} in 8 bars</svg>")));
        assert!(
            html.contains("<svg class=\"chart heatmap\""),
            "the others stay"
        );

        std::fs::write(&file, "<svg>\n{{ no_such_number }}</svg>\n").unwrap();
        let err = render().unwrap_err().to_string();
        assert!(
            err.contains(&format!("{} (line 2)", file.display())),
            "{err}"
        );
    }
}
