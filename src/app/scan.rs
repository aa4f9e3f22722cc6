//! `scan`: a short list of named stages. Hold `--out`; get the snapshot (collecting it with
//! `--live`); evaluate; render every output; write them all at once and rename them into
//! place; decide the gate once; print the summary.

use super::history::{Recorded, SharedPart};
use super::printed::SummaryView;
use super::{changes, outputs};
use super::{collect_into, collect_to, Evaluated, Output};
use crate::cli::{Format, ScanArgs};
use crate::dest::staged::{Job, Staged};
use crate::dest::{mark, signals, Dest, Kind, Run};
use crate::error::Result;
use crate::findings::json::{self, JsonReport};
use crate::findings::record::counted;
use crate::findings::shard::{ShardFacts, ShardFile, SHARD_FILE};
use crate::findings::summary::{parts, Summary};
use crate::findings::{parquet, write};
use crate::history::diff::Diff;
use crate::history::record::ScanRecord;
use crate::report::{asff, html, junit, markdown, ocsf, Templates};
use crate::rules::waiver;
use crate::snapshot::time::rfc3339;
use crate::{collect, exit};
use std::path::PathBuf;

pub(super) fn scan(out: &Output, mut a: ScanArgs) -> Result<u8> {
    signals::install()?;
    a.collect.shard = a.shard; // with --live, only the shard's accounts are collected
    let run = Run::new();
    let formats = dedup(&a.format);
    let names = outputs::scan_files(&formats, a.shard);
    // --out is held for the whole run, and checked before anything else is done.
    let (dest, _) = Dest::acquire(&a.out, &run, Kind::Reports, out.quiet, |own| {
        mark::check_reports(&a.out, &names, a.force, own)
    })?;
    let history = super::history::open(&a.history)?;
    let given = changes::baseline_of(&a, history.is_some())?;
    let (snapshot, _kept) = snapshot_of(out, &a, &dest, &run)?;
    let planned = super::planned::read(&a.planned)?;
    if super::stream::streams(&a, &formats, (&history, &given, &planned)) {
        return super::stream::scan(out, &a, (&dest, &run), &names, &snapshot);
    }
    let (e, given, before, said) =
        super::planned::judge_scan(&snapshot, planned.as_ref(), given, &a, out, &run)?;
    let planned = planned.map(|p| said.view(p));
    if let Some(max) = a.max_waiver_matches {
        waiver::check_matches(&e.waivers, &e.evaluation.waiver_hits, max)?;
    }
    let record = changes::record_of(&e, &a, &run)?;
    // The summary and the comparison with the baseline read the evaluation and nothing of
    // each other: made together, on both cores.
    let (summary, compared) = rayon::join(
        || {
            let summary = Summary::build(&e.inventory, &e.rules, &e.evaluation, &e.waivers);
            out.stage("summarised");
            summary
        },
        || -> Result<_> {
            let mut baseline = changes::choose(given, &a, history.as_ref(), &record)?;
            let diff = baseline
                .as_mut()
                .ok()
                .map(|b| match &before {
                    Some(before) => changes::compare_planned(&e, before, b, &record),
                    None => changes::compare(&e, b, &record),
                })
                .transpose()?;
            if let Ok(b) = baseline.as_mut() {
                b.release_findings();
            }
            if diff.is_some() {
                out.stage("compared with the baseline");
            }
            Ok((baseline, diff))
        },
    );
    let (baseline, diff) = compared?;
    drop(before); // the organisation before a planned change: compared, no longer needed
    let record = counted(record, &summary);
    let (trend, earlier) = match &baseline {
        Ok(b) => (b.trend(&record), b.earlier_for_next()),
        Err(_) => (vec![record.clone()], Vec::new()),
    };
    let templates = Templates::load(a.templates.templates.as_deref())?;
    let shared = history
        .as_ref()
        .filter(|_| formats.contains(&Format::Csv))
        .map(|_| SharedPart::new(&record, diff.as_ref()));
    let scan = Scan {
        planned: planned.as_ref(),
        part: shared.as_ref(),
        args: &a,
        e: &e,
        summary: &summary,
        templates: &templates,
        run_id: &run.id,
        run_at: run.started_rfc3339(),
        snapshot: snapshot.display().to_string(),
        history: History {
            record: &record,
            earlier: &earlier,
            trend: &trend,
            diff: diff.as_ref(),
        },
    };
    let facts = (&e.inventory, &e.rules, &e.evaluation.findings[..], &*run.id);
    // The history's part is encoded while the reports are rendered and written: both only
    // read the evaluation, and two cores stay busy. Without findings.csv, on a thread of its own.
    let alone = history.as_ref().filter(|_| scan.part.is_none());
    let (written, part) = std::thread::scope(|s| {
        let part = alone.map(|h| {
            s.spawn(|| super::history::encode_part(out, h, &record, facts, diff.as_ref()))
        });
        let written = scan
            .render(out, &formats)
            .and_then(|jobs| write_all(out, &a, &names, &dest, &run, jobs));
        let part = part.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        (written, part)
    });
    let (written, removed) = written?;
    let part = match (part, &shared, &history) {
        (None, Some(shared), Some(h)) => Some(shared.take(out, h, &record)),
        (part, _, _) => part,
    };
    // Only once the reports are in place: a failed run leaves the history as it was.
    let recorded = match (&history, part) {
        (Some(h), Some(part)) => Some(super::history::record(out, &a.history, h, &record, &part?)?),
        _ => None,
    };
    let gate = changes::gate(&a, &e, &summary, &baseline, diff.as_ref());
    let delivered = super::security_hub::deliver(out, &a, &e, &run.id)?;
    let code = exit::delivered(
        exit::code(gate.as_ref()),
        delivered.as_ref().map(|d| d.complete()),
    );
    scan.print_summary(out, &written, &removed, gate, recorded)?;
    if let Some(d) = &delivered {
        super::security_hub::tell(out, d)?;
    }
    super::free_later((summary, e));
    Ok(code)
}

/// The snapshot to judge: the one given, or one collected now (`--live`), kept where
/// `--save-snapshot` says or else in the run directory, removed with it. The second value
/// holds a kept snapshot directory for as long as the run needs it.
fn snapshot_of(
    out: &Output,
    a: &ScanArgs,
    dest: &Dest,
    run: &Run,
) -> Result<(PathBuf, Option<Dest>)> {
    match (&a.snapshot, &a.save_snapshot) {
        (Some(p), _) => Ok((p.clone(), None)),
        (None, Some(keep)) => {
            // --force is for --out only: a snapshot directory is forced by `collect --force`.
            let held = collect_into(out, &a.collect, keep, run, false)?;
            Ok((keep.clone(), Some(held)))
        }
        (None, None) => {
            let dir = dest.work()?.join("live-snapshot");
            let target = collect::Target {
                out: &dir,
                work: dest.work()?,
                run,
                force: false,
            };
            collect_to(out, &a.collect, &target)?;
            Ok((dir, None))
        }
    }
}

/// Writes every output into the run directory at once, then renames them into `--out`
/// together, after checking again that the directory is still ours to replace.
fn write_all(
    out: &Output,
    a: &ScanArgs,
    names: &[&str],
    dest: &Dest,
    run: &Run,
    jobs: Vec<Job>,
) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    debug_assert!(jobs.iter().map(|(name, _)| name).eq(names.iter()));
    let mut staged = Staged::new(&a.out, dest.work()?);
    staged.write_all(jobs, |name| out.stage(&format!("wrote {name}")))?;
    // Checked again: the directory may have changed while the reports were made.
    let previous = mark::check_reports(&a.out, names, a.force, dest.own())?;
    let written = staged.commit(run, previous.as_ref(), &outputs::all_files())?;
    out.stage("renamed outputs into place");
    Ok(written)
}

/// Formats in the order given, each once.
fn dedup(formats: &[Format]) -> Vec<Format> {
    let mut out = Vec::new();
    for f in formats {
        if !out.contains(f) {
            out.push(*f);
        }
    }
    out
}

/// What every output of one scan is made from.
struct Scan<'a> {
    args: &'a ScanArgs,
    e: &'a Evaluated,
    summary: &'a Summary,
    templates: &'a Templates,
    run_id: &'a str,
    run_at: String,
    snapshot: String,
    history: History<'a>,
    /// The history's part, made in findings.csv's pass (`--history` with `--format csv`).
    part: Option<&'a SharedPart<'a>>,
    /// The planned change judged (`--terraform-plan`, `--cfn-change-set`, `--cfn-template`).
    planned: Option<&'a markdown::PlannedView<'a>>,
}

/// This scan among others: its record, the scans before it that its baseline knew of, the
/// scans a trend draws (those and this one), and what changed since the baseline.
#[derive(Clone, Copy)]
struct History<'a> {
    record: &'a ScanRecord,
    earlier: &'a [ScanRecord],
    trend: &'a [ScanRecord],
    diff: Option<&'a Diff>,
}

impl<'a> Scan<'a> {
    /// Templates render first (their errors are input errors); the machine formats become
    /// jobs that write while the others render; with `--shard`, shard.json is the last.
    fn render(&self, out: &Output, formats: &[Format]) -> Result<Vec<Job<'a>>> {
        let mut jobs: Vec<Job<'a>> = Vec::new();
        for &format in formats {
            match format {
                Format::Html => jobs.push(self.html(out)?),
                Format::Csv => jobs.extend(self.csv()),
                Format::Json => jobs.push(self.json()),
                Format::Junit => jobs.push(self.junit()),
                Format::Markdown => jobs.push(self.markdown(out, formats)?),
                Format::Ocsf => jobs.push(self.ocsf()),
                Format::Asff => jobs.push(self.asff()),
                Format::Parquet => jobs.push(self.parquet()),
            }
        }
        jobs.extend(self.shard(formats));
        Ok(jobs)
    }

    fn waiver_file(&self) -> Option<String> {
        let w = self.args.policy.waivers.as_ref();
        w.map(|p| p.display().to_string())
    }

    fn html(&self, out: &Output) -> Result<Job<'a>> {
        let (e, inv) = (self.e, &self.e.inventory);
        let meta = html::HtmlMeta::of(
            (inv, &e.rules),
            (self.run_id, self.run_at.clone()),
            (self.snapshot.clone(), self.waiver_file()),
            self.args.templates.templates.clone(),
        );
        let since = html::Since {
            diff: self.history.diff,
            planned: self.planned,
            trend: self.history.trend,
            limits: html::HtmlLimits::default(),
        };
        let (rules, eval) = (&e.rules, &e.evaluation);
        let text =
            html::render_html_since(inv, rules, eval, self.summary, &e.waivers, &meta, &since)?;
        out.stage("rendered report.html");
        Ok((
            "report.html",
            Box::new(move |w| w.write_all(text.as_bytes())),
        ))
    }

    fn csv(&self) -> [Job<'a>; 2] {
        let (e, run_id, summary, part) = (self.e, self.run_id, self.summary, self.part);
        let changes = self.history.diff.map(|d| d.changes.as_slice());
        [
            (
                "findings.csv",
                Box::new(move |w| {
                    let (inv, findings) = (&e.inventory, &e.evaluation.findings);
                    let Some(shared) = part else {
                        return write::findings_csv(
                            w, inv, &e.rules, findings, changes, run_id, None,
                        );
                    };
                    // About what a part takes per finding: reserved, not touched.
                    let mut bytes = Vec::with_capacity(findings.len() * 16);
                    let with = Some((
                        &mut bytes as &mut (dyn std::io::Write + Send),
                        &shared.columns,
                    ));
                    write::findings_csv(w, inv, &e.rules, findings, changes, run_id, with)?;
                    shared.put(bytes);
                    Ok(())
                }),
            ),
            (
                "summary.csv",
                Box::new(move |w| write::summary_csv(w, summary, run_id)),
            ),
        ]
    }

    fn json(&self) -> Job<'a> {
        let e = self.e;
        let h = self.history;
        let report = JsonReport {
            earlier_scans: h.earlier,
            diff: h.diff,
            ..JsonReport::of(
                (&e.inventory, &e.rules),
                (self.summary, h.record),
                &e.evaluation.findings,
                (self.run_id, self.run_at.clone()),
                (self.snapshot.clone(), self.waiver_file()),
            )
        };
        (
            "findings.json",
            Box::new(move |w| json::findings_json(w, &report, &e.evaluation)),
        )
    }

    /// `shard.json`, with `--shard`: what `merge` checks before it joins the shards.
    fn shard(&self, formats: &[Format]) -> Option<Job<'a>> {
        let facts = ShardFacts {
            shard: self.args.shard?,
            inv: &self.e.inventory,
            rules: &self.e.rules,
            summary: self.summary,
            waivers: &self.e.waivers,
            waiver_hits: &self.e.evaluation.waiver_hits,
            failures_by_rule: &parts::failures_by_rule(&self.e.rules, &self.e.evaluation.findings),
            run_id: self.run_id,
            snapshot: self.snapshot.clone(),
            waiver_file: self.waiver_file(),
            waivers_digest: self.history.record.waivers_digest.clone(),
            summary_rows: (formats.contains(&Format::Csv))
                .then_some(self.summary.counts.len() as u64),
        };
        let file = ShardFile::of(&facts);
        Some((SHARD_FILE, Box::new(move |w| file.write(w))))
    }

    fn junit(&self) -> Job<'a> {
        let (e, run_id) = (self.e, self.run_id);
        (
            "junit.xml",
            Box::new(move |w| {
                junit::write(w, &e.inventory, &e.rules, &e.evaluation.findings, run_id)
            }),
        )
    }

    fn ocsf(&self) -> Job<'a> {
        let (e, run_id) = (self.e, self.run_id);
        (
            "findings.ocsf.json",
            Box::new(move |w| {
                ocsf::write(w, &e.inventory, &e.rules, &e.evaluation.findings, run_id)
            }),
        )
    }

    fn asff(&self) -> Job<'a> {
        let (e, run_id) = (self.e, self.run_id);
        (
            "findings.asff.json",
            Box::new(move |w| {
                let c = asff::Context {
                    inv: &e.inventory,
                    rules: &e.rules,
                    waivers: &e.waivers,
                    run_id,
                };
                asff::write(w, &c, &e.evaluation.findings)
            }),
        )
    }

    fn parquet(&self) -> Job<'a> {
        let (e, run_id) = (self.e, self.run_id);
        (
            "findings.parquet",
            Box::new(move |w| {
                let f = &e.evaluation.findings;
                parquet::findings_parquet(w, &e.inventory, &e.rules, f, run_id, None)
            }),
        )
    }

    fn markdown(&self, out: &Output, formats: &[Format]) -> Result<Job<'a>> {
        let e = self.e;
        let written = outputs::files(formats);
        let text = markdown::render(
            self.templates,
            &e.inventory,
            &e.rules,
            &e.evaluation.findings,
            self.summary,
            &markdown::RunView {
                outputs: &written,
                run_id: self.run_id,
                diff: self.history.diff,
                planned: self.planned,
            },
        )?;
        out.stage("rendered summary.md");
        Ok((
            "summary.md",
            Box::new(move |w| w.write_all(text.as_bytes())),
        ))
    }

    fn print_summary(
        &self,
        out: &Output,
        written: &[PathBuf],
        removed: &[PathBuf],
        gate: Option<exit::Gate>,
        history: Option<Recorded>,
    ) -> Result<()> {
        let (e, inv) = (self.e, &self.e.inventory);
        let mut top_failures = markdown::failures_by_rule(&e.rules, &e.evaluation.findings);
        top_failures.truncate(10);
        let paths = |p: &[PathBuf]| p.iter().map(|p| p.display().to_string()).collect();
        let view = SummaryView {
            version: env!("CARGO_PKG_VERSION"),
            summary: self.summary,
            collected_at: rfc3339(inv.collected_at),
            as_of: rfc3339(inv.as_of),
            top_failures,
            outputs: paths(written),
            removed: paths(removed),
            diff: self.history.diff,
            planned: self.planned,
            gate,
            history,
        };
        out.print(&self.templates.render("summary.txt.j2", &view)?)
    }
}
