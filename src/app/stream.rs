//! A scan whose only report is CSV (`--format csv`, without a history, a baseline, a planned
//! change or Security Hub) is read and judged a batch of account-regions at a time: each
//! batch's findings and summary rows are written to findings.csv and summary.csv and dropped,
//! and the summary's totals are gathered on the way, so neither the organisation's inventory
//! nor its findings are ever held at once. The files are those the whole scan writes, byte for
//! byte (tests compare the two).

use super::printed::SummaryView;
use super::{load_policy, load_snapshot, model, outputs, said_of_snapshot, Output};
use crate::cli::{Format, ScanArgs};
use crate::dest::staged::Staged;
use crate::dest::{mark, Dest, Run};
use crate::engine::{add_hits, evaluate_batches, Batch, Batching, Judge};
use crate::error::Result;
use crate::exit;
use crate::findings::record::file_digest;
use crate::findings::shard::{ShardFacts, ShardFile, SHARD_FILE};
use crate::findings::summary::Running;
use crate::findings::write;
use crate::findings::Finding;
use crate::model::{Inventory, Streaming};
use crate::report::{markdown, Templates};
use crate::rules::waiver;
use crate::rules::waiver::Waiver;
use crate::rules::RuleSet;
use crate::snapshot::time::rfc3339;
use crate::snapshot::Snapshot;
use std::io::Write;
use std::path::Path;

/// Whether a scan asking for `formats` writes nothing that needs every finding at once.
/// (`compared`: the history, the baseline and the planned change, if given: each needs
/// every finding.)
pub(super) fn streams<H, B, P>(
    a: &ScanArgs,
    formats: &[Format],
    compared: (&Option<H>, &Option<B>, &Option<P>),
) -> bool {
    let (history, baseline, planned) = compared;
    formats == [Format::Csv]
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
    let mut s = Streamed {
        rules: &rules,
        run_id: &run.id,
        running: Running::new(&rules),
        hits: vec![0; waivers.len()],
        spare: write::Pool::default(),
        findings: Vec::new(),
        summary_rows: 0,
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
            staged.write_two(FILES, |w, sw| s.judge_held(&inv, judged, (w, sw)))?;
            inv
        }
        None => read_as_judged(out, a, snapshot, judged, &mut staged, &mut s)?,
    };
    let Streamed {
        running,
        hits,
        summary_rows,
        ..
    } = s;
    let (summary, failures_by_rule) = running.finish(&inv, &rules, &waivers, &hits);
    out.stage(&format!(
        "evaluated and wrote findings.csv and summary.csv: {} findings",
        summary.findings
    ));
    if let Some(max) = a.max_waiver_matches {
        waiver::check_matches(&waivers, &hits, max)?;
    }
    if let Some(shard) = a.shard {
        let waiver_file = a.policy.waivers.as_deref();
        let file = ShardFile::of(&ShardFacts {
            shard,
            inv: &inv,
            rules: &rules,
            summary: &summary,
            waivers: &waivers,
            waiver_hits: &hits,
            failures_by_rule: &failures_by_rule,
            run_id: &run.id,
            snapshot: snapshot.display().to_string(),
            waiver_file: waiver_file.map(|p| p.display().to_string()),
            waivers_digest: waiver_file
                .map(file_digest)
                .transpose()?
                .unwrap_or_default(),
            summary_rows: Some(summary_rows),
        });
        staged.write(SHARD_FILE, |w| file.write(w))?;
    }
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
}

/// The files a streamed scan writes batch by batch: findings, and summary rows.
const FILES: [&str; 2] = ["findings.csv", "summary.csv"];

/// Where a streamed scan writes: findings.csv and summary.csv.
type Writers<'w> = (&'w mut dyn Write, &'w mut dyn Write);

impl Streamed<'_> {
    fn headers(&self, (w, sw): &mut Writers) -> std::io::Result<()> {
        write::findings_csv_header(*w, false)?;
        write::summary_csv_rows(*sw, &[], self.run_id, true)
    }

    /// Writes `batch`'s rows to findings.csv while it is counted, then its summary rows;
    /// `meanwhile` runs after the count, on the same thread.
    fn take<T: Send>(
        &mut self,
        inv: &Inventory,
        (w, sw): &mut Writers,
        batch: Batch,
        meanwhile: impl FnOnce() -> T + Send,
    ) -> (std::io::Result<()>, T) {
        self.findings.clear();
        batch
            .findings
            .into_iter()
            .for_each(|f| self.findings.extend(f));
        add_hits(&mut self.hits, &batch.waiver_hits);
        let (findings, running) = (&self.findings, &mut self.running);
        let (spare, rules, run_id) = (&self.spare, self.rules, self.run_id);
        let (rows, then) = join_here(
            || write::findings_csv_rows(spare, *w, (inv, rules), findings, run_id),
            || {
                running.add(inv, batch.first, findings, &batch.protections);
                meanwhile()
            },
        );
        let counts = self.running.take_rows(inv, rules);
        self.summary_rows += counts.len() as u64;
        let rows = rows.and_then(|()| write::summary_csv_rows(*sw, &counts, run_id, false));
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
            let judging = s.spawn(|| {
                // A writer that stopped ends the judging: its error is the one reported.
                evaluate_batches(inv, rules, waivers, Batching::WRITTEN, move |b| {
                    to_writer.send(b)
                })
            });
            let written =
                (batches.into_iter()).try_for_each(|b| self.take(inv, &mut to, b, || ()).0);
            let judged = judging
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
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
    staged: &mut Staged,
    s: &mut Streamed,
) -> Result<Inventory> {
    let (snap, reader) = Snapshot::load_skeleton(snapshot)?;
    said_of_snapshot(&snap, (None, true), &a.policy, out);
    let mut inv = Inventory::build(snap, a.policy.as_of)?;
    out.stage("built the model of what account-regions look up in each other");
    let judge = Judge::new(rules, waivers, inv.as_of, Batching::WRITTEN);
    let size = batch_scopes();
    let batch_at = |first: usize| first..(first + size).min(reader.len());
    let mut streaming = Streaming::new(&inv);
    let mut next = reader.read(batch_at(0))?;
    // A batch that cannot be read (or changed since its skeleton was) stops the writing; its
    // error is the one reported.
    let mut unread = None;
    let written = staged.write_two(FILES, |w, sw| {
        let mut to: Writers = (w, sw);
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
        (
            a,
            other
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p)),
        )
    })
}
