//! A scan whose only report is CSV (`--format csv`, without a history, a baseline, a planned
//! change or Security Hub) is judged a batch of account-regions at a time: each batch's
//! findings are written to findings.csv and dropped, and the summary is gathered on the way,
//! so the organisation's findings are never held at once. The files are those the whole
//! scan writes, byte for byte (tests compare the two).

use super::printed::SummaryView;
use super::{load_policy, load_snapshot, model, outputs, Output};
use crate::cli::{Format, ScanArgs};
use crate::dest::staged::Staged;
use crate::dest::{mark, Dest, Run};
use crate::engine::{add_hits, evaluate_batches, Batch, Batching};
use crate::error::Result;
use crate::exit;
use crate::findings::record::file_digest;
use crate::findings::shard::{ShardFacts, ShardFile, SHARD_FILE};
use crate::findings::summary::Running;
use crate::findings::write;
use crate::report::{markdown, Templates};
use crate::rules::waiver;
use crate::snapshot::time::rfc3339;
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
    let inv = model(
        load_snapshot(snapshot, &a.policy, a.shard, out)?,
        &a.policy,
        out,
    )?;
    let mut staged = Staged::new(&a.out, dest.work()?);
    let mut running = Running::new(&inv, &rules);
    let mut hits = vec![0; waivers.len()];
    staged.write("findings.csv", |w| {
        write::findings_csv_header(w, false)?;
        // The next batch is judged while this one is counted and written.
        std::thread::scope(|s| {
            let (to_writer, batches) = std::sync::mpsc::sync_channel::<Batch>(1);
            let judging = s.spawn(|| {
                // A writer that stopped ends the judging: its error is the one reported.
                evaluate_batches(&inv, &rules, &waivers, Batching::WRITTEN, move |b| {
                    to_writer.send(b)
                })
            });
            // Kept from batch to batch: megabytes freed and allocated again per batch would
            // go back to the kernel and be faulted in again.
            let (spare, mut findings) = (write::Pool::default(), Vec::new());
            let written = batches.into_iter().try_for_each(|b| {
                findings.clear();
                b.findings.into_iter().for_each(|f| findings.extend(f));
                add_hits(&mut hits, &b.waiver_hits);
                let (rows, ()) = join_here(
                    || write::findings_csv_rows(&spare, w, (&inv, &rules), &findings, &run.id),
                    || running.add(&inv, b.first, &findings, &b.protections),
                );
                rows
            });
            let judged = judging
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            written?;
            judged.map_err(|_| std::io::Error::other("judging stopped"))
        })
    })?;
    let (summary, failures_by_rule) = running.finish(&inv, &rules, &waivers, &hits);
    out.stage(&format!(
        "evaluated and wrote findings.csv: {} findings",
        summary.findings
    ));
    if let Some(max) = a.max_waiver_matches {
        waiver::check_matches(&waivers, &hits, max)?;
    }
    staged.write("summary.csv", |w| write::summary_csv(w, &summary, &run.id))?;
    out.stage("wrote summary.csv");
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
            csv: true,
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
