//! A scan whose reports are HTML, CSV and JSON only (the default formats, or any of them,
//! without a history, a baseline, a planned change or Security Hub) is read and judged a
//! batch of account-regions at a time: each batch's findings and summary rows are written to
//! findings.csv and summary.csv, its findings, stories and count rows to findings.json's
//! scratch files, what report.html shows of it is gathered (the charts' counts, the table's
//! first findings and their stories), and the batch is dropped; the summary's totals are
//! gathered on the way, so neither the organisation's inventory nor its findings are ever
//! held at once. report.html and findings.json, which open with the summary, are written
//! last. The files are those the whole scan writes, byte for byte (tests compare the two).

use super::printed::SummaryView;
use super::{changes, load_policy, load_snapshot, model, outputs, said_of_snapshot, Output};
use crate::cli::{Format, ScanArgs};
use crate::dest::staged::Staged;
use crate::dest::{mark, Dest, Run};
use crate::engine::{add_hits, evaluate_batches, Batch, Batching, Judge};
use crate::error::{Error, Result};
use crate::exit;
use crate::findings::json::{JsonReport, JsonStream};
use crate::findings::record::counted;
use crate::findings::shard::{ShardFacts, ShardFile, SHARD_FILE};
use crate::findings::summary::{Running, Summary};
use crate::findings::write;
use crate::findings::Finding;
use crate::history::record::ScanRecord;
use crate::model::{Inventory, Streaming};
use crate::report::html::{self, Gathered, HtmlLimits, HtmlMeta, Since};
use crate::report::{markdown, Templates};
use crate::rules::waiver;
use crate::rules::waiver::Waiver;
use crate::rules::RuleSet;
use crate::snapshot::time::rfc3339;
use crate::snapshot::Snapshot;
use std::io::Write;
use std::panic::resume_unwind;
use std::path::Path;

/// The formats a streamed scan writes batch by batch (the HTML report's table holds at most
/// [`HtmlLimits::max_findings`]: what it shows is gathered on the way).
const STREAMED: [Format; 3] = [Format::Csv, Format::Json, Format::Html];

/// Whether a scan asking for `formats` writes nothing that needs every finding at once.
/// (`compared`: the history, the baseline and the planned change, if given: each needs
/// every finding.)
pub(super) fn streams<H, B, P>(
    a: &ScanArgs,
    formats: &[Format],
    compared: (&Option<H>, &Option<B>, &Option<P>),
) -> bool {
    let (history, baseline, planned) = compared;
    !formats.is_empty()
        && formats.iter().all(|f| STREAMED.contains(f))
        && history.is_none()
        && baseline.is_none()
        && planned.is_none()
        && !a.security_hub
        && a.fail_on_new.is_none()
}

/// The scan of `snapshot` into `dest`, streamed; its exit code.
pub(super) fn scan(
    out: &Output,
    a: &ScanArgs,
    (dest, run): (&Dest, &Run),
    names: &[&str],
    snapshot: &Path,
) -> Result<u8> {
    let (rules, waivers) = load_policy(&a.policy, out)?;
    let mut staged = Staged::new(&a.out, dest.work()?);
    let json = match a.format.contains(&Format::Json) {
        true => Some(JsonStream::new([
            staged.scratch()?,
            staged.scratch()?,
            staged.scratch()?,
        ])),
        false => None,
    };
    let mut s = Streamed {
        rules: &rules,
        run_id: &run.id,
        running: Running::new(&rules),
        hits: vec![0; waivers.len()],
        spare: write::Pool::default(),
        findings: Vec::new(),
        summary_rows: 0,
        json,
        html: (a.format.contains(&Format::Html)).then(|| Gathered::new(HtmlLimits::default())),
    };
    let csv: &[&str] = match a.format.contains(&Format::Csv) {
        true => &FILES,
        false => &[],
    };
    let judged = (&rules, waivers.as_slice());
    let inv = match a.shard {
        // A shard's scopes are read whole: the others' are read for their context only.
        Some(_) => {
            let inv = model(
                load_snapshot(snapshot, &a.policy, a.shard, out)?,
                &a.policy,
                out,
            )?;
            staged.write_each(csv, |to| s.judge_held(&inv, judged, writers(to)))?;
            inv
        }
        None => read_as_judged(out, a, snapshot, judged, (&mut staged, csv), &mut s)
            .map_err(|e| every_problem(e, out, a, snapshot))?,
    };
    let by_account = s.running.coverage_by_account().clone();
    let Streamed {
        running,
        hits,
        summary_rows,
        json,
        html,
        ..
    } = s;
    let (summary, failures_by_rule) = running.finish(&inv, &rules, &waivers, &hits);
    let reports: Vec<&str> = (names.iter().copied())
        .filter(|n| *n != SHARD_FILE)
        .collect();
    out.stage(&format!(
        "evaluated a batch at a time for {}: {} findings",
        reports.join(", "),
        summary.findings
    ));
    if let Some(max) = a.max_waiver_matches {
        waiver::check_matches(&waivers, &hits, max)?;
    }
    let record = changes::record_from((&inv, &rules), (&by_account, summary.findings), a, run)?;
    let record = counted(record, &summary);
    let last = Last {
        a,
        inv: &inv,
        rules: &rules,
        waivers: &waivers,
        summary: &summary,
        record: &record,
        run,
        snapshot: snapshot.display().to_string(),
        waiver_file: a.policy.waivers.as_deref().map(|p| p.display().to_string()),
    };
    last.write(out, &mut staged, (html, json))?;
    if let Some(shard) = a.shard {
        let file = ShardFile::of(&ShardFacts {
            shard,
            inv: &inv,
            rules: &rules,
            summary: &summary,
            waivers: &waivers,
            waiver_hits: &hits,
            failures_by_rule: &failures_by_rule,
            run_id: &run.id,
            snapshot: last.snapshot.clone(),
            waiver_file: last.waiver_file.clone(),
            waivers_digest: record.waivers_digest.clone(),
            summary_rows: (!csv.is_empty()).then_some(summary_rows),
        });
        staged.write(SHARD_FILE, |w| file.write(w))?;
    }
    staged.arrange(names);
    let previous = mark::check_reports(&a.out, names, a.force, dest.own())?;
    let (written, removed) = staged.commit(run, previous.as_ref(), &outputs::all_files())?;
    out.stage("renamed outputs into place");
    let gate = exit::gate(&summary, a.fail_on);
    let code = exit::code(gate.as_ref());
    let failures = markdown::rule_counts(&rules, &failures_by_rule);
    let judged_at = (rfc3339(inv.collected_at), rfc3339(inv.as_of));
    let view = SummaryView::plain(&summary, judged_at, failures, (&written, &removed), gate);
    let templates = Templates::load(a.templates.templates.as_deref())?;
    out.print(&templates.render("summary.txt.j2", &view)?)?;
    super::free_later((summary, inv));
    Ok(code)
}

/// What the outputs written after the last batch are made of: report.html and
/// findings.json open with the summary.
struct Last<'a> {
    a: &'a ScanArgs,
    inv: &'a Inventory,
    rules: &'a RuleSet,
    waivers: &'a [Waiver],
    summary: &'a Summary,
    /// The record of this scan, counted.
    record: &'a ScanRecord,
    run: &'a Run,
    snapshot: String,
    waiver_file: Option<String>,
}

impl Last<'_> {
    /// Writes report.html from what was gathered of it, and findings.json from its scratch
    /// files, if asked for.
    fn write(
        &self,
        out: &Output,
        staged: &mut Staged,
        (html, json): (Option<Gathered>, Option<JsonStream>),
    ) -> Result<()> {
        let (inv, rules, run) = (self.inv, self.rules, self.run);
        let labels = (self.snapshot.clone(), self.waiver_file.clone());
        if let Some(gathered) = html {
            let run_at = (run.id.as_str(), run.started_rfc3339());
            let templates = self.a.templates.templates.clone();
            let meta = HtmlMeta::of((inv, rules), run_at, labels.clone(), templates);
            let since = Since {
                trend: std::slice::from_ref(self.record),
                limits: gathered.limits(),
                ..Since::default()
            };
            let judged = (self.summary, self.waivers);
            let text = html::render_gathered(inv, rules, &gathered, judged, &meta, &since)?;
            out.stage("rendered report.html");
            staged.write("report.html", |w| w.write_all(text.as_bytes()))?;
        }
        if let Some(json) = json {
            let report = JsonReport::of(
                (inv, rules),
                (self.summary, self.record),
                &[],
                (&run.id, run.started_rfc3339()),
                labels,
            );
            staged.write_file("findings.json", |file| json.finish(file, &report))?;
            out.stage("wrote findings.json");
        }
        Ok(())
    }
}

/// What a streamed scan keeps from batch to batch.
struct Streamed<'a> {
    rules: &'a RuleSet,
    run_id: &'a str,
    running: Running,
    hits: Vec<usize>,
    /// Kept from batch to batch: megabytes freed and allocated again per batch would go back
    /// to the kernel and be faulted in again.
    spare: write::Pool<u8>,
    findings: Vec<Finding>,
    /// Rows written to summary.csv so far.
    summary_rows: u64,
    /// findings.json's findings and stories so far, with `--format json`.
    json: Option<JsonStream>,
    /// What report.html shows, so far, with `--format html`.
    html: Option<Gathered>,
}

/// The files of `--format csv`, written batch by batch: findings, and summary rows.
const FILES: [&str; 2] = ["findings.csv", "summary.csv"];

/// findings.csv and summary.csv, with `--format csv`.
type Writers<'w> = Option<(&'w mut dyn Write, &'w mut dyn Write)>;

/// The writers [`Staged::write_each`] opened for [`FILES`], if it was given them.
fn writers<'w>(opened: &'w mut [&mut dyn Write]) -> Writers<'w> {
    match opened {
        [w, sw] => Some((&mut **w, &mut **sw)),
        _ => None,
    }
}

impl Streamed<'_> {
    fn headers(&self, to: &mut Writers) -> std::io::Result<()> {
        let Some((w, sw)) = to else { return Ok(()) };
        write::findings_csv_header(*w, false)?;
        write::summary_csv_rows(*sw, &[], self.run_id, true)
    }

    /// How batches are judged: with stories when findings.json or report.html tell them.
    fn batching(&self) -> Batching {
        Batching {
            stories: self.json.is_some() || self.html.is_some(),
            ..Batching::WRITTEN
        }
    }

    /// Writes `batch`'s rows to findings.csv and findings.json while it is counted, then its
    /// summary rows; `meanwhile` runs after the count, on the same thread.
    fn take<T: Send>(
        &mut self,
        inv: &Inventory,
        to: &mut Writers,
        mut batch: Batch,
        meanwhile: impl FnOnce() -> T + Send,
    ) -> (std::io::Result<()>, T) {
        self.findings.clear();
        (std::mem::take(&mut batch.findings).into_iter()).for_each(|f| self.findings.extend(f));
        add_hits(&mut self.hits, &batch.waiver_hits);
        let (findings, running) = (&self.findings, &mut self.running);
        let (json, html) = (&mut self.json, &mut self.html);
        let (spare, rules, run_id) = (&self.spare, self.rules, self.run_id);
        let judged = batch.judged(findings);
        let (rows, then) = join_here(
            // findings.json on a thread of its own: one file's writes to disk overlap the
            // other's rendering, as when the whole scan writes its outputs.
            || {
                std::thread::scope(|s| {
                    let judged = &judged;
                    let json = json
                        .as_mut()
                        .map(|j| s.spawn(move || j.add((inv, rules), judged)));
                    let csv = match to {
                        Some((w, _)) => {
                            write::findings_csv_rows(spare, *w, (inv, rules), findings, run_id)
                        }
                        None => Ok(()),
                    };
                    if let Some(html) = html {
                        html.add((inv, rules), judged, None);
                    }
                    let json = json.map(|j| j.join().unwrap_or_else(|p| resume_unwind(p)));
                    csv.and(json.unwrap_or(Ok(())))
                })
            },
            || {
                running.add(inv, batch.first, findings, &batch.protections);
                meanwhile()
            },
        );
        let counts = self.running.take_rows(inv, rules);
        if let Some(html) = &mut self.html {
            html.add_counts(&counts);
        }
        let rows = rows.and_then(|()| {
            if let Some(json) = &mut self.json {
                json.add_counts(&counts)?;
            }
            match to {
                Some((_, sw)) => {
                    self.summary_rows += counts.len() as u64;
                    write::summary_csv_rows(*sw, &counts, run_id, false)
                }
                None => Ok(()),
            }
        });
        (rows, then)
    }

    /// Judges `inv`, held whole, into findings.csv and summary.csv: the next batch is judged
    /// while this one is counted and written.
    fn judge_held(
        &mut self,
        inv: &Inventory,
        (rules, waivers): (&RuleSet, &[Waiver]),
        mut to: Writers,
    ) -> std::io::Result<()> {
        self.headers(&mut to)?;
        std::thread::scope(|s| {
            let (to_writer, batches) = std::sync::mpsc::sync_channel::<Batch>(1);
            let how = self.batching();
            let judging = s.spawn(move || {
                // A writer that stopped ends the judging: its error is the one reported.
                evaluate_batches(inv, rules, waivers, how, move |b| to_writer.send(b))
            });
            let written =
                (batches.into_iter()).try_for_each(|b| self.take(inv, &mut to, b, || ()).0);
            let judged = judging.join().unwrap_or_else(|p| resume_unwind(p));
            written?;
            judged.map_err(|_| std::io::Error::other("judging stopped"))
        })
    }
}

/// Reads `snapshot`'s skeleton, then judges it into findings.csv a batch of account-regions
/// at a time: each batch is read whole, judged, written while the next is read, and dropped.
/// Returns the inventory of skeletons the summary is made from.
fn read_as_judged(
    out: &Output,
    a: &ScanArgs,
    snapshot: &Path,
    (rules, waivers): (&RuleSet, &[Waiver]),
    (staged, csv): (&mut Staged, &[&str]),
    s: &mut Streamed,
) -> Result<Inventory> {
    let (snap, reader) = Snapshot::load_skeleton(snapshot)?;
    said_of_snapshot(&snap, (None, true), &a.policy, out);
    let mut inv = Inventory::build(snap, a.policy.as_of)?;
    out.stage("built the model of what account-regions look up in each other");
    let judge = Judge::new(rules, waivers, inv.as_of, s.batching());
    let size = batch_scopes();
    let batch_at = |first: usize| first..(first + size).min(reader.len());
    let mut streaming = Streaming::new(&inv);
    let mut next = reader.read(batch_at(0))?;
    // A batch that cannot be read (or changed since its skeleton was) stops the writing; its
    // error is the one reported.
    let mut unread = None;
    let written = staged.write_each(csv, |opened| {
        let mut to = writers(opened);
        s.headers(&mut to)?;
        let mut first = 0;
        while first < reader.len() {
            let (scopes, warnings) = std::mem::take(&mut next);
            for warning in &warnings {
                out.warn(warning);
            }
            let filled = inv.fill(first, scopes, &mut streaming).map_err(|e| {
                unread = Some(e);
                std::io::Error::other("a batch of account-regions changed while it was read")
            })?;
            let batch = judge.batch(&inv, filled.range());
            let following = batch_at(filled.range().end);
            let (rows, read) = s.take(&inv, &mut to, batch, || match following.is_empty() {
                true => Ok(Default::default()),
                false => reader.read(following),
            });
            first = filled.range().end;
            inv.empty(filled);
            rows?;
            next = read.map_err(|e| {
                unread = Some(e);
                std::io::Error::other("a batch of account-regions could not be read")
            })?;
        }
        Ok(())
    });
    if let Some(e) = unread {
        return Err(e);
    }
    written?;
    inv.count_not_judged(streaming);
    Ok(inv)
}

/// `e`, met while the snapshot was read a batch at a time; for a snapshot that cannot be
/// read, every problem it has, as reading it whole reports them: the stream stops at the
/// first broken file, and a user should fix them all in one go. (Only then is the whole
/// snapshot held.)
fn every_problem(e: Error, out: &Output, a: &ScanArgs, snapshot: &Path) -> Error {
    match e {
        Error::Invalid(_) => match load_snapshot(snapshot, &a.policy, None, out) {
            Err(all @ Error::Invalid(_)) => all,
            _ => e,
        },
        e => e,
    }
}

/// How many account-regions a streamed scan reads and judges at once: `BACKUP_AUDITOR_BATCH`
/// if set (tests set 1, so that every look-up across account-regions crosses batches).
fn batch_scopes() -> usize {
    std::env::var("BACKUP_AUDITOR_BATCH")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n: &usize| *n > 0)
        .unwrap_or_else(|| Batching::WRITTEN.scopes())
}

/// Runs `here` on this thread (it holds what is not `Send`, the output) and `there` on a
/// thread of its own, at once.
fn join_here<A, B: Send>(here: impl FnOnce() -> A, there: impl FnOnce() -> B + Send) -> (A, B) {
    std::thread::scope(|s| {
        let other = s.spawn(there);
        let a = here();
        (a, other.join().unwrap_or_else(|p| resume_unwind(p)))
    })
}
