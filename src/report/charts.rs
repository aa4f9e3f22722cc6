//! The HTML report's overview charts, drawn as inline SVG at render time: no script, no
//! network, and they print. Every label that comes from the snapshot or the rule files goes
//! through [`esc`]; numbers are formatted here.
//!
//! The charts only read what the evaluation holds: protections (coverage), the summary's
//! counts (failures) and the inventory's recovery points (age of the newest good one).

use crate::engine::Evaluation;
use crate::findings::summary::Summary;
use crate::model::resource::ResourceKind;
use crate::model::{Inventory, Tri};
use crate::rules::{RuleSet, Severity};
use crate::snapshot::{DataFile, ScopeStatus};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Escapes text and attribute values for SVG/HTML.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Cuts `s` to `max` characters, with an ellipsis.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Thousands separators: 1234567 → 1,234,567.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Short counts for small spaces: 9,999 → "9999", 25,800 → "26k", 1,250,000 → "1.3M".
pub fn compact(n: usize) -> String {
    if n < 10_000 {
        n.to_string()
    } else if n < 1_000_000 {
        format!("{:.0}k", n as f64 / 1e3)
    } else {
        format!("{:.1}M", n as f64 / 1e6)
    }
}

pub fn severity_colour(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "#7a1020",
        Severity::High => "#c62f3b",
        Severity::Medium => "#e07b28",
        Severity::Low => "#d9b02b",
        Severity::Info => "#8a94a0",
    }
}

/// Column labels people know from the AWS console.
fn kind_label(k: ResourceKind) -> &'static str {
    match k {
        ResourceKind::EbsVolume => "EBS",
        ResourceKind::Ec2Instance => "EC2",
        ResourceKind::EfsFileSystem => "EFS",
        ResourceKind::DynamoDbTable => "DynamoDB",
        ResourceKind::RdsInstance => "RDS",
        ResourceKind::RdsCluster => "RDS cluster",
        ResourceKind::AuroraCluster => "Aurora",
        ResourceKind::DocumentDbCluster => "DocumentDB",
        ResourceKind::NeptuneCluster => "Neptune",
        ResourceKind::S3Bucket => "S3",
        ResourceKind::FsxFileSystem => "FSx",
        ResourceKind::StorageGatewayVolume => "Storage GW",
        ResourceKind::RedshiftCluster => "Redshift",
    }
}

/// Red (0 %) → amber → green (100 %).
fn coverage_fill(fraction: f64) -> String {
    let hue = 4.0 + 128.0 * fraction.clamp(0.0, 1.0);
    format!("hsl({hue:.0},62%,74%)")
}

const HATCH_DEFS: &str = r##"<defs><pattern id="ba-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#eef0f3"/><line x1="0" y1="0" x2="0" y2="6" stroke="#b9c0c8" stroke-width="2.5"/></pattern></defs>"##;

#[derive(Default, Clone, Copy)]
struct Cell {
    protected: usize,
    unprotected: usize,
    unknown: usize,
}

impl Cell {
    fn add(&mut self, o: Cell) {
        self.protected += o.protected;
        self.unprotected += o.unprotected;
        self.unknown += o.unknown;
    }
    fn total(self) -> usize {
        self.protected + self.unprotected + self.unknown
    }
    fn fraction(self) -> Option<f64> {
        let decided = self.protected + self.unprotected;
        (decided > 0).then(|| self.protected as f64 / decided as f64)
    }
}

struct AccountRow {
    id: String,
    name: String,
    cells: BTreeMap<ResourceKind, Cell>,
    /// Regions of this account that could not be read at all, with why.
    failed: Vec<(String, String)>,
    regions: usize,
}

impl AccountRow {
    fn total(&self) -> Cell {
        let mut t = Cell::default();
        for c in self.cells.values() {
            t.add(*c);
        }
        t
    }
}

/// Most accounts the heat map draws; beyond this it shows the least covered ones.
pub const HEATMAP_MAX_ACCOUNTS: usize = 30;

/// Protection coverage by account × resource type. Cluster members are left out: they are
/// judged through their cluster.
pub fn coverage_heatmap(inv: &Inventory, eval: &Evaluation) -> String {
    let mut accounts: BTreeMap<&str, AccountRow> = BTreeMap::new();
    for (si, scope) in inv.scopes.iter().enumerate() {
        let row = accounts
            .entry(&scope.account_id)
            .or_insert_with(|| AccountRow {
                id: scope.account_id.clone(),
                name: scope.account_name.clone().unwrap_or_default(),
                cells: BTreeMap::new(),
                failed: Vec::new(),
                regions: 0,
            });
        row.regions += 1;
        if scope.status == ScopeStatus::Failed {
            row.failed.push((
                scope.region.clone(),
                scope.error.clone().unwrap_or_default(),
            ));
        }
        let prots = eval.protections.get(si);
        for (ri, r) in scope.resources.iter().enumerate() {
            if r.is_cluster_member() {
                continue;
            }
            let cell = row.cells.entry(r.kind).or_default();
            match prots.and_then(|p| p.get(ri)).map(|p| p.verdict()) {
                Some(Tri::Yes) => cell.protected += 1,
                Some(Tri::No) => cell.unprotected += 1,
                _ => cell.unknown += 1,
            }
        }
    }
    let kinds: Vec<ResourceKind> = ResourceKind::ALL
        .into_iter()
        .filter(|k| accounts.values().any(|a| a.cells.contains_key(k)))
        .collect();
    let mut rows: Vec<&AccountRow> = accounts.values().collect();
    let all_accounts = rows.len();
    if rows.len() > HEATMAP_MAX_ACCOUNTS {
        rows.sort_by(|a, b| {
            let fa = a.total().fraction().unwrap_or(2.0);
            let fb = b.total().fraction().unwrap_or(2.0);
            fa.total_cmp(&fb).then(a.id.cmp(&b.id))
        });
        rows.truncate(HEATMAP_MAX_ACCOUNTS);
    }
    let mut org = AccountRow {
        id: String::new(),
        name: "All accounts".into(),
        cells: BTreeMap::new(),
        failed: Vec::new(),
        regions: 0,
    };
    for a in accounts.values() {
        for (k, c) in &a.cells {
            org.cells.entry(*k).or_default().add(*c);
        }
    }

    let (label_w, cell_w, cell_h, head_h, gap) = (200.0, 86.0, 34.0, 30.0, 3.0);
    let cols = kinds.len().max(1) + 1; // + the account total
    let width = label_w + cols as f64 * (cell_w + gap) + 4.0;
    let body_rows = rows.len() + 1;
    let legend_y = head_h + body_rows as f64 * (cell_h + gap) + 16.0;
    let height = legend_y + 30.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg class="chart heatmap" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" role="img" aria-labelledby="hm-t"><title id="hm-t">Protection coverage by account and resource type</title>{HATCH_DEFS}"##
    );
    for (i, k) in kinds.iter().enumerate() {
        let x = label_w + i as f64 * (cell_w + gap) + cell_w / 2.0;
        let _ = write!(
            s,
            r##"<text class="col" x="{x:.1}" y="{:.1}" text-anchor="middle">{}<title>{}</title></text>"##,
            head_h - 10.0,
            kind_label(*k),
            k.short_name()
        );
    }
    let tx = label_w + kinds.len() as f64 * (cell_w + gap) + cell_w / 2.0;
    let _ = write!(
        s,
        r##"<text class="col total" x="{tx:.1}" y="{:.1}" text-anchor="middle">All types</text>"##,
        head_h - 10.0
    );
    let draw_row = |s: &mut String, y: f64, a: &AccountRow, is_total: bool| {
        let label = if is_total {
            format!(
                "<tspan class=\"acct-name\">All accounts</tspan><tspan class=\"acct-id\" x=\"{}\" dy=\"13\">{} accounts</tspan>",
                label_w - 10.0,
                thousands(all_accounts)
            )
        } else {
            let name = if a.name.is_empty() {
                "(no name)"
            } else {
                &a.name
            };
            let warn = if a.failed.is_empty() {
                String::new()
            } else {
                format!(
                    " · {} of {} region(s) not assessed",
                    a.failed.len(),
                    a.regions
                )
            };
            format!(
                "<tspan class=\"acct-name\">{}</tspan><tspan class=\"acct-id\" x=\"{}\" dy=\"13\">{}{}</tspan>",
                esc(&clip(name, 26)),
                label_w - 10.0,
                esc(&a.id),
                esc(&warn)
            )
        };
        let _ = write!(
            s,
            r##"<text class="acct{}" x="{:.1}" y="{:.1}" text-anchor="end">{label}</text>"##,
            if a.failed.is_empty() { "" } else { " warn" },
            label_w - 10.0,
            y + 14.0
        );
        let all_failed = !is_total && a.cells.is_empty() && !a.failed.is_empty();
        if all_failed {
            let w = cols as f64 * (cell_w + gap) - gap;
            let why: Vec<String> = a.failed.iter().map(|(r, e)| format!("{r}: {e}")).collect();
            let _ = write!(
                s,
                r##"<g class="cell na"><rect x="{label_w:.1}" y="{y:.1}" width="{w:.1}" height="{cell_h:.1}" rx="4" fill="url(#ba-hatch)" stroke="#c9ced6"/><text x="{:.1}" y="{:.1}" text-anchor="middle" class="na-text">NOT ASSESSED — account could not be read</text><title>{}</title></g>"##,
                label_w + w / 2.0,
                y + cell_h / 2.0 + 4.0,
                esc(&why.join("\n"))
            );
            return;
        }
        let cells = kinds
            .iter()
            .map(|k| (Some(*k), a.cells.get(k).copied().unwrap_or_default()))
            .chain(std::iter::once((None, a.total())));
        for (i, (kind, c)) in cells.enumerate() {
            let x = label_w + i as f64 * (cell_w + gap);
            let what = kind.map(kind_label).unwrap_or("all types");
            let who = if is_total {
                "All accounts".to_owned()
            } else {
                format!("{} ({})", a.name, a.id)
            };
            let data = format!(
                r##" data-account="{}" data-type="{}""##,
                if is_total { "" } else { &a.id },
                kind.map(|k| k.short_name()).unwrap_or("")
            );
            if c.total() == 0 {
                let _ = write!(
                    s,
                    r##"<g class="cell empty"><rect x="{x:.1}" y="{y:.1}" width="{cell_w:.1}" height="{cell_h:.1}" rx="4" fill="#f6f7f9"/><text x="{:.1}" y="{:.1}" text-anchor="middle" class="dash">–</text><title>{}: no {} resources</title></g>"##,
                    x + cell_w / 2.0,
                    y + cell_h / 2.0 + 4.0,
                    esc(&who),
                    esc(what)
                );
                continue;
            }
            let tip = format!(
                "{who} · {what}: {} of {} protected{}{}",
                thousands(c.protected),
                thousands(c.protected + c.unprotected),
                if c.unknown > 0 {
                    format!(", {} not assessed", thousands(c.unknown))
                } else {
                    String::new()
                },
                if kind.is_some() {
                    " — click to filter the findings"
                } else {
                    ""
                }
            );
            let (fill, big) = match c.fraction() {
                Some(f) => (coverage_fill(f), format!("{:.0}%", (f * 100.0).floor())),
                None => ("url(#ba-hatch)".to_owned(), "n/a".to_owned()),
            };
            let decided = c.protected + c.unprotected;
            let small = if c.unknown > 0 {
                format!(
                    "{}/{} · {}?",
                    compact(c.protected),
                    compact(decided),
                    compact(c.unknown)
                )
            } else {
                format!("{}/{}", compact(c.protected), compact(decided))
            };
            let _ = write!(
                s,
                r##"<g class="cell{}"{data} tabindex="0"><rect x="{x:.1}" y="{y:.1}" width="{cell_w:.1}" height="{cell_h:.1}" rx="4" fill="{fill}"/><text class="pct" x="{:.1}" y="{:.1}" text-anchor="middle">{big}</text><text class="frac" x="{:.1}" y="{:.1}" text-anchor="middle">{small}</text><title>{}</title></g>"##,
                if kind.is_some() { " link" } else { "" },
                x + cell_w / 2.0,
                y + 15.0,
                x + cell_w / 2.0,
                y + 28.0,
                esc(&tip)
            );
        }
    };
    for (i, a) in rows.iter().enumerate() {
        let y = head_h + i as f64 * (cell_h + gap);
        draw_row(&mut s, y, a, false);
    }
    let y = head_h + rows.len() as f64 * (cell_h + gap) + 2.0;
    let _ = write!(
        s,
        r##"<line x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#c9ced6"/>"##,
        label_w,
        width - 4.0,
        y - 1.5,
        y - 1.5
    );
    draw_row(&mut s, y, &org, true);

    // Legend: the colour scale, and the hatch for "not assessed".
    let lx = label_w;
    for i in 0..=10 {
        let f = i as f64 / 10.0;
        let _ = write!(
            s,
            r##"<rect x="{:.1}" y="{legend_y:.1}" width="18" height="10" fill="{}"/>"##,
            lx + i as f64 * 18.0,
            coverage_fill(f)
        );
    }
    let _ = write!(
        s,
        r##"<text class="legend" x="{:.1}" y="{:.1}" text-anchor="end">0%</text><text class="legend" x="{:.1}" y="{:.1}">100% protected</text><rect x="{:.1}" y="{legend_y:.1}" width="18" height="10" fill="url(#ba-hatch)" stroke="#c9ced6"/><text class="legend" x="{:.1}" y="{:.1}">not assessed (never counted as protected)</text>"##,
        lx - 4.0,
        legend_y + 9.0,
        lx + 11.0 * 18.0 + 4.0,
        legend_y + 9.0,
        lx + 11.0 * 18.0 + 110.0,
        lx + 11.0 * 18.0 + 132.0,
        legend_y + 9.0
    );
    s.push_str("</svg>");
    if all_accounts > rows.len() {
        let _ = write!(
            s,
            r##"<p class="chart-note">Showing the {} least covered of {} accounts; summary.csv has every account.</p>"##,
            rows.len(),
            thousands(all_accounts)
        );
    }
    s
}

/// Unwaived failures per rule, coloured by the rule's severity, with the severity totals.
pub fn failures_by_rule(rules: &RuleSet, summary: &Summary) -> String {
    let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for c in summary.counts.iter().filter(|c| c.status == "FAIL") {
        *per_rule.entry(&c.rule_id).or_default() += c.count;
    }
    let mut bars: Vec<(&str, Severity, usize, &str)> = per_rule
        .into_iter()
        .filter_map(|(id, n)| {
            rules
                .get(id)
                .map(|r| (r.id.as_str(), r.severity, n, r.title.as_str()))
        })
        .filter(|b| b.2 > 0)
        .collect();
    bars.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(b.0)));
    let max = bars.iter().map(|b| b.2).max().unwrap_or(0).max(1);
    let total: usize = summary.failures_by_severity.values().sum();
    let (label_w, bar_w, row_h, top) = (250.0, 300.0, 24.0, 66.0);
    let width = label_w + bar_w + 60.0;
    let height = top + (bars.len().max(1)) as f64 * row_h + 8.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg class="chart failures" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" role="img" aria-labelledby="fr-t"><title id="fr-t">Unwaived failures by rule and severity</title>"##
    );
    // Severity totals as one stacked bar.
    let full = width - 8.0;
    let mut x = 4.0;
    let _ = write!(
        s,
        r##"<text class="sub" x="4" y="14">{} unwaived failures by severity</text>"##,
        thousands(total)
    );
    for (sev, n) in summary.failures_by_severity.iter().rev() {
        if *n == 0 || total == 0 {
            continue;
        }
        let w = full * *n as f64 / total as f64;
        let _ = write!(
            s,
            r##"<g class="sev link" data-severity="{}" tabindex="0"><rect x="{x:.1}" y="22" width="{:.1}" height="18" fill="{}"/><title>{} severity: {} failures — click to filter</title></g>"##,
            sev.as_str(),
            (w - 1.0).max(1.0),
            severity_colour(*sev),
            sev.as_str(),
            thousands(*n)
        );
        if w > 60.0 {
            let _ = write!(
                s,
                r##"<text class="on-bar" x="{:.1}" y="35">{} {}</text>"##,
                x + 6.0,
                sev.as_str(),
                thousands(*n)
            );
        }
        x += w;
    }
    if total == 0 {
        let _ = write!(
            s,
            r##"<rect x="4" y="22" width="{:.1}" height="18" fill="#e4efe7"/><text class="sub" x="12" y="35">No unwaived failures</text>"##,
            full
        );
    }
    for (i, (id, sev, n, title)) in bars.iter().enumerate() {
        let y = top + i as f64 * row_h;
        let w = bar_w * *n as f64 / max as f64;
        let _ = write!(
            s,
            r##"<g class="bar link" data-rule="{}" tabindex="0"><text class="rule" x="{:.1}" y="{:.1}" text-anchor="end">{}</text><rect x="{label_w:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="2" fill="{}"/><text class="count" x="{:.1}" y="{:.1}">{}</text><title>{} [{}]: {} unwaived failures — {} (click to filter)</title></g>"##,
            esc(id),
            label_w - 8.0,
            y + 15.0,
            esc(&clip(id, 36)),
            y + 4.0,
            w.max(2.0),
            row_h - 8.0,
            severity_colour(*sev),
            label_w + w.max(2.0) + 6.0,
            y + 15.0,
            thousands(*n),
            esc(id),
            sev.as_str(),
            thousands(*n),
            esc(title)
        );
    }
    if bars.is_empty() {
        let _ = write!(
            s,
            r##"<text class="sub" x="4" y="{:.1}">No rule has an unwaived failure.</text>"##,
            top + 14.0
        );
    }
    s.push_str("</svg>");
    s
}

/// Histogram buckets for the age of the newest good recovery point: upper bound in hours,
/// label, colour.
const AGE_BUCKETS: [(i64, &str, &str); 6] = [
    (24, "≤ 24 h", "#3d9a62"),
    (48, "1–2 days", "#8fbf5a"),
    (7 * 24, "2–7 days", "#e0b43a"),
    (30 * 24, "7–30 days", "#e48a36"),
    (90 * 24, "30–90 days", "#d9583b"),
    (i64::MAX, "> 90 days", "#b3303a"),
];

/// The ages, in buckets, of the newest COMPLETED/AVAILABLE recovery point of every resource
/// (its own, or of the instance that carries it), as of the judgement time. Continuous
/// backup counts as current. Resources whose recovery points could not be read are counted
/// apart, never as "none".
pub fn recovery_point_age_counts(inv: &Inventory, eval: &Evaluation) -> (Vec<usize>, usize, usize) {
    use rayon::prelude::*;
    let now = inv.as_of;
    let zero = || (vec![0usize; AGE_BUCKETS.len()], 0usize, 0usize);
    inv.scopes
        .par_iter()
        .enumerate()
        .map(|(si, scope)| {
            let (mut buckets, mut none, mut unknown) = zero();
            let unreadable = scope.unavailable(DataFile::RecoveryPoints).is_some();
            let prots = eval.protections.get(si);
            for (ri, r) in scope.resources.iter().enumerate() {
                if r.is_cluster_member() {
                    continue;
                }
                if unreadable {
                    unknown += 1;
                    continue;
                }
                let owners = match prots.and_then(|p| p.get(ri)) {
                    Some(p) => p.point_owners(scope, r),
                    None => vec![r.arn.as_str()],
                };
                let found = inv.newest_good_point(&owners, |_| {});
                match found.newest.map(|n| n.age(now)) {
                    // Good points whose age is unknown are not "none".
                    None if found.undated > 0 => unknown += 1,
                    Some(age) => {
                        let hours = age.num_minutes() as f64 / 60.0;
                        let i = AGE_BUCKETS
                            .iter()
                            .position(|(max, _, _)| hours <= *max as f64)
                            .unwrap_or(AGE_BUCKETS.len() - 1);
                        buckets[i] += 1;
                    }
                    None => none += 1,
                }
            }
            (buckets, none, unknown)
        })
        .reduce(zero, |mut a, b| {
            for (x, y) in a.0.iter_mut().zip(b.0) {
                *x += y;
            }
            (a.0, a.1 + b.1, a.2 + b.2)
        })
}

pub fn recovery_point_age(inv: &Inventory, eval: &Evaluation) -> String {
    let (buckets, none, unknown) = recovery_point_age_counts(inv, eval);
    let mut bars: Vec<(&str, &str, usize, bool)> = AGE_BUCKETS
        .iter()
        .zip(&buckets)
        .map(|((_, label, colour), n)| (*label, *colour, *n, false))
        .collect();
    bars.push(("none", "#7a1020", none, false));
    bars.push(("not readable", "url(#ba-hatch)", unknown, true));
    let max = bars.iter().map(|b| b.2).max().unwrap_or(0).max(1);
    let total: usize = bars.iter().map(|b| b.2).sum();
    let (left, bar_w, gap, plot_h, top) = (10.0, 62.0, 12.0, 150.0, 24.0);
    let width = left * 2.0 + bars.len() as f64 * (bar_w + gap);
    let height = top + plot_h + 46.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg class="chart age" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" role="img" aria-labelledby="age-t"><title id="age-t">Age of the newest good recovery point per resource</title>{HATCH_DEFS}"##
    );
    let base = top + plot_h;
    let _ = write!(
        s,
        r##"<line x1="{left:.1}" x2="{:.1}" y1="{base:.1}" y2="{base:.1}" stroke="#9aa3ad"/>"##,
        width - left
    );
    for (i, (label, colour, n, hatch)) in bars.iter().enumerate() {
        let x = left + gap / 2.0 + i as f64 * (bar_w + gap);
        let h = if *n == 0 {
            0.0
        } else {
            (plot_h * *n as f64 / max as f64).max(2.0)
        };
        let pct = if total == 0 {
            0.0
        } else {
            *n as f64 * 100.0 / total as f64
        };
        let _ = write!(
            s,
            r##"<g class="age-bar"><rect x="{x:.1}" y="{:.1}" width="{bar_w:.1}" height="{h:.1}" rx="2" fill="{colour}"{}/><text class="count" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text><text class="xl" x="{:.1}" y="{:.1}" text-anchor="middle">{label}</text><title>{label}: {} resources ({pct:.1}%)</title></g>"##,
            base - h,
            if *hatch { r##" stroke="#c9ced6""## } else { "" },
            x + bar_w / 2.0,
            base - h - 5.0,
            thousands(*n),
            x + bar_w / 2.0,
            base + 16.0,
            thousands(*n)
        );
    }
    let _ = write!(
        s,
        r##"<text class="sub" x="{:.1}" y="{:.1}" text-anchor="middle">age at {} (resources; cluster members are judged through their cluster)</text>"##,
        width / 2.0,
        base + 38.0,
        inv.as_of.format("%Y-%m-%d %H:%M UTC")
    );
    s.push_str("</svg>");
    s
}

/// A clearly marked placeholder until scan history exists: it shows only this scan's point.
pub fn trend_placeholder(summary: &Summary) -> String {
    let (w, h) = (1200.0, 150.0);
    let fails = summary.failures_by_severity.values().sum::<usize>();
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg class="chart trend" viewBox="0 0 {w:.0} {h:.0}" width="{w:.0}" role="img" aria-labelledby="tr-t"><title id="tr-t">Trend (placeholder: needs scan history)</title><rect x="1" y="1" width="{:.0}" height="{:.0}" rx="8" fill="#fafbfc" stroke="#c9ced6" stroke-dasharray="6 5"/>"##,
        w - 2.0,
        h - 2.0
    );
    for i in 0..4 {
        let y = 22.0 + i as f64 * 34.0;
        let _ = write!(
            s,
            r##"<line x1="40" x2="{:.0}" y1="{y:.0}" y2="{y:.0}" stroke="#eceef1"/>"##,
            w - 40.0
        );
    }
    let pt = |i: usize| {
        let x = 40.0 + i as f64 * (w - 120.0) / 11.0;
        let y = 124.0 - 5.0 * ((i as f64) * 0.9).sin() - i as f64 * 2.6;
        (x, y)
    };
    let pts: Vec<String> = (0..11)
        .map(|i| {
            let (x, y) = pt(i);
            format!("{x:.0},{y:.0}")
        })
        .collect();
    let (dx, dy) = pt(11);
    let _ = write!(
        s,
        r##"<polyline points="{}" fill="none" stroke="#d5dae0" stroke-width="2" stroke-dasharray="3 6"/><circle cx="{dx:.0}" cy="{dy:.0}" r="6" fill="#2457c5"/><text class="sub" x="{:.0}" y="{:.0}" text-anchor="end">this scan: {:.1}% covered, {} unwaived failures</text><text class="placeholder" x="{:.0}" y="50" text-anchor="middle">TREND — PLACEHOLDER</text><text class="sub" x="{:.0}" y="70" text-anchor="middle">Coverage and failures over time will appear here once scan history is kept (a later feature).</text>"##,
        pts.join(" "),
        dx + 8.0,
        dy - 14.0,
        summary.coverage.percent,
        thousands(fails),
        w / 2.0 - 60.0,
        w / 2.0 - 60.0
    );
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r##""><img src=x onerror='a'>&"##),
            "&quot;&gt;&lt;img src=x onerror=&#39;a&#39;&gt;&amp;"
        );
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn compact_counts() {
        assert_eq!(compact(9999), "9999");
        assert_eq!(compact(25_800), "26k");
        assert_eq!(compact(1_250_000), "1.2M");
    }

    #[test]
    fn clip_keeps_short_text() {
        assert_eq!(clip("abc", 5), "abc");
        assert_eq!(clip("abcdefgh", 5), "abcd…");
    }
}
