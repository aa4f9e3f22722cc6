//! Orchestration only: load rules → load snapshot → model → evaluate → write → exit code.

mod changes;
mod history;
mod merge;
mod outputs;
mod planned;
mod printed;
mod scan;
mod security_hub;
mod stream;

use crate::cli::{Cli, Command, ExplainArgs, ExplainFormat, PolicyArgs, RulesCommand, SynthArgs};
use crate::dest::{mark, signals, Dest, Kind, Run};
use crate::engine::{self, Evaluation};
use crate::error::{Error, Result};
use crate::model::Inventory;
use crate::report::{explain, Templates};
use crate::rules::waiver::{self, Waiver};
use crate::rules::RuleSet;
use crate::shard::Shard;
use crate::snapshot::Snapshot;
use crate::terminal;
use crate::{collect, exit, synth};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub struct Output {
    quiet: bool,
    verbose: bool,
    started: Instant,
}

impl Output {
    /// Prints nothing: for library callers and tests.
    pub fn silent() -> Output {
        Output {
            quiet: true,
            verbose: false,
            started: Instant::now(),
        }
    }

    fn stage(&self, what: &str) {
        if self.verbose {
            let wall = self.started.elapsed().as_secs_f64();
            let cpu = cpu_seconds().map_or(String::new(), |c| format!(", cpu {c:>7.2}s"));
            let peak = peak_rss_mib().map_or(String::new(), |m| format!(", peak {m:>6} MiB"));
            eprintln!("[{wall:>7.2}s{cpu}{peak}] {what}");
        }
    }

    /// On stderr, unless `-q`; escaped, as warnings quote data.
    fn warn(&self, text: &str) {
        if !self.quiet {
            eprintln!("warning: {}", terminal::escape(text));
        }
    }

    fn print(&self, text: &str) -> Result<()> {
        if self.quiet {
            return Ok(());
        }
        to_stdout(text)
    }
}

/// Everything the tool prints on stdout goes through here. A closed stdout (`| head -1`) is
/// a normal end: what was to be printed is dropped and the run ends with its own exit code.
fn to_stdout(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.map_err(|e| Error::io("write to", Path::new("standard output"), e)),
    }
}

/// The most memory this process has held so far (`VmHWM`), where `/proc` tells it: which
/// stage makes the peak of a large scan.
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// User plus system CPU time of this process so far, where `/proc` tells it (Linux): on a
/// busy machine the wall time of a stage says little about its own cost.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let mut rest = stat.get(stat.rfind(')')? + 2..)?.split(' ');
    let utime: f64 = rest.nth(11)?.parse().ok()?;
    let stime: f64 = rest.next()?.parse().ok()?;
    // Clock ticks: 100 per second on every Linux that matters here (USER_HZ).
    Some((utime + stime) / 100.0)
}

/// Runs a command; `Ok` carries the exit code.
pub fn run(cli: Cli) -> Result<u8> {
    let out = Output {
        quiet: cli.quiet,
        verbose: cli.verbose,
        started: Instant::now(),
    };
    match cli.command {
        Command::Scan(a) => scan::scan(&out, *a),
        Command::Merge(a) => merge::merge(&out, a),
        Command::Collect(a) => collect_cmd(&out, a),
        Command::Explain(a) => explain_cmd(&out, a),
        Command::Rules(RulesCommand::List { paths }) => rules_list(&out, &paths),
        Command::Rules(RulesCommand::Check { paths }) => rules_check(&out, &paths),
        Command::Synth(a) => synth_cmd(&out, a),
        Command::History(a) => history::history_cmd(&out, a),
        Command::Diff(a) => history::diff_cmd(&out, a),
    }
}

fn load_rules(paths: &[PathBuf]) -> Result<RuleSet> {
    if paths.is_empty() {
        RuleSet::default_policy()
    } else {
        RuleSet::load(paths)
    }
}

/// Everything a scan or an explain needs, evaluated.
pub struct Evaluated {
    pub rules: RuleSet,
    pub waivers: Vec<Waiver>,
    pub inventory: Inventory,
    pub evaluation: Evaluation,
}

pub fn evaluate(
    snapshot: &std::path::Path,
    policy: &PolicyArgs,
    out: &Output,
) -> Result<Evaluated> {
    evaluate_shard(snapshot, policy, None, out)
}

/// [`evaluate`] for the accounts of `shard` only (all without one).
pub fn evaluate_shard(
    snapshot: &std::path::Path,
    policy: &PolicyArgs,
    shard: Option<Shard>,
    out: &Output,
) -> Result<Evaluated> {
    let (rules, waivers) = load_policy(policy, out)?;
    let snap = load_snapshot(snapshot, policy, shard, out)?;
    judge(snap, (rules, waivers), policy, out)
}

/// Reads the snapshot and says what its reader warned of.
fn load_snapshot(
    snapshot: &Path,
    policy: &PolicyArgs,
    shard: Option<Shard>,
    out: &Output,
) -> Result<Snapshot> {
    let snap = Snapshot::load_shard(snapshot, shard)?;
    said_of_snapshot(&snap, (shard, false), policy, out);
    Ok(snap)
}

/// Says what reading `snap` (for `shard`, or its `skeleton`) warned of, and that it was read.
fn said_of_snapshot(
    snap: &Snapshot,
    (shard, skeleton): (Option<Shard>, bool),
    policy: &PolicyArgs,
    out: &Output,
) {
    for w in &snap.warnings {
        out.warn(w);
    }
    if let (None, Some(collected)) = (shard, snap.shard) {
        out.warn(&format!(
            "this snapshot holds the accounts of shard {collected} only (collect --shard): \
             scan it with --shard {collected} for reports `merge` can join with the other \
             shards'"
        ));
    }
    out.stage(&match snap.shard {
        Some(shard) => format!(
            "read snapshot: shard {shard}, {} account-regions judged, {} read for their \
             cross-account facts",
            snap.scopes.len(),
            snap.context.len()
        ),
        None if skeleton => format!(
            "read snapshot: what {} account-regions may look up in each other (each is read \
             whole when its batch is judged)",
            snap.scopes.len()
        ),
        None => format!("read snapshot: {} account-regions", snap.scopes.len()),
    });
    if let Some(t) = policy.as_of.filter(|t| *t < snap.collected_at) {
        out.warn(&format!(
            "--as-of {} is before the snapshot was collected ({}): the snapshot holds what \
             existed later, so the verdicts describe no real moment",
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            snap.collected_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ));
    }
}

/// The rules and waivers `policy` names.
fn load_policy(policy: &PolicyArgs, out: &Output) -> Result<(RuleSet, Vec<Waiver>)> {
    let rules = load_rules(&policy.rules)?;
    let waivers = match &policy.waivers {
        Some(p) => waiver::load(p, &rules)?,
        None => Vec::new(),
    };
    out.stage(&format!(
        "loaded {} rules, {} waivers",
        rules.rules.len(),
        waivers.len()
    ));
    Ok((rules, waivers))
}

/// Judges `snap` with the rules and waivers.
fn judge(
    snap: Snapshot,
    (rules, waivers): (RuleSet, Vec<Waiver>),
    policy: &PolicyArgs,
    out: &Output,
) -> Result<Evaluated> {
    let inventory = model(snap, policy, out)?;
    let evaluation = engine::evaluate(&inventory, &rules, &waivers);
    out.stage(&format!(
        "evaluated: {} findings",
        evaluation.findings.len()
    ));
    Ok(Evaluated {
        rules,
        waivers,
        inventory,
        evaluation,
    })
}

/// The organisation `snap` holds, as the rules judge it.
fn model(snap: Snapshot, policy: &PolicyArgs, out: &Output) -> Result<Inventory> {
    let inventory = Inventory::build(snap, policy.as_of)?;
    out.stage(&format!(
        "built model: {} resources",
        inventory.resource_count()
    ));
    Ok(inventory)
}

/// The sample org evaluated with every shipped rule and its waivers, for unit tests of
/// the renderers.
#[cfg(test)]
pub(crate) fn evaluate_sample() -> Evaluated {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let policy = PolicyArgs {
        rules: vec![root.join("rules")],
        waivers: Some(root.join("samples/waivers.yaml")),
        as_of: None,
    };
    evaluate(&root.join("samples/org"), &policy, &Output::silent()).expect("the sample evaluates")
}

/// Collects into snapshot directory `dir`, which this run holds for as long as the returned
/// destination lives.
fn collect_into(
    out: &Output,
    args: &crate::cli::CollectArgs,
    dir: &Path,
    run: &Run,
    force: bool,
) -> Result<Dest> {
    // Before any call: a destination that cannot be replaced fails at once (and nothing
    // is cleaned up next to it).
    let (dest, ()) = Dest::acquire(dir, run, Kind::Snapshot, out.quiet, |_| {
        mark::check_snapshot(dir, force)
    })?;
    let target = collect::Target {
        out: dir,
        work: dest.work()?,
        run,
        force,
    };
    collect_to(out, args, &target)?;
    Ok(dest)
}

/// Collects into `target` and prints what happened (a summary line, or nothing with -q).
fn collect_to(
    out: &Output,
    args: &crate::cli::CollectArgs,
    target: &collect::Target,
) -> Result<()> {
    let opts = args.options().map_err(Error::Usage)?;
    let s = collect::collect(&opts, target, out.quiet)?;
    if !out.quiet {
        eprintln!(
            "collected {} account-regions ({} complete, {} partial, {} failed) into {} — {} API calls, {} retries, {} errors, {:.1}s",
            s.scopes,
            s.complete,
            s.partial,
            s.failed,
            target.out.display(),
            s.calls,
            s.attempts.saturating_sub(s.calls),
            s.errors,
            s.elapsed.as_secs_f64()
        );
    }
    Ok(())
}

fn collect_cmd(out: &Output, mut a: crate::cli::CollectCmd) -> Result<u8> {
    signals::install()?;
    a.collect.shard = a.shard;
    collect_into(out, &a.collect, &a.out, &Run::new(), a.force)?;
    Ok(exit::OK)
}

fn explain_cmd(out: &Output, a: ExplainArgs) -> Result<u8> {
    if let Some(p) = planned::read(&a.planned)? {
        return planned::explain(out, &a, &p);
    }
    let e = evaluate(&a.snapshot, &a.policy, out)?;
    let Some((si, ri)) = e.inventory.find_resource(&a.arn) else {
        if let Some((scope, why)) = e.inventory.unread_home(&a.arn) {
            out.print(&format!(
                "{}: NOT ASSESSED: the inventory of {} could not be read ({}), so \
                 whether this resource exists and is protected is unknown\n",
                terminal::escape(&a.arn),
                terminal::escape(&scope),
                terminal::escape(&why)
            ))?;
            return Ok(exit::explain_code(true));
        }
        let near: Vec<&str> = e
            .inventory
            .scopes
            .iter()
            .flat_map(|s| &s.resources)
            .filter(|r| r.arn.contains(&a.arn) || a.arn.contains(&r.id))
            .map(|r| r.arn.as_str())
            .take(5)
            .collect();
        let mut msg = format!(
            "no resource with ARN {:?} in {}",
            a.arn,
            a.snapshot.display()
        );
        if !near.is_empty() {
            msg.push_str(&format!("; did you mean one of: {}", near.join(", ")));
        }
        return Err(Error::Usage(msg));
    };
    let story = explain::explain(&e.inventory, &e.rules, &e.evaluation, si, ri);
    match a.format {
        ExplainFormat::Json => {
            let text =
                serde_json::to_string_pretty(&story).map_err(|e| Error::Usage(e.to_string()))?;
            to_stdout(&format!("{text}\n"))?;
        }
        ExplainFormat::Text => {
            #[derive(Serialize)]
            struct View<'a> {
                r: &'a explain::Explanation<'a>,
            }
            let t = Templates::load(a.templates.templates.as_deref())?;
            to_stdout(&t.render("explain.txt.j2", &View { r: &story })?)?;
        }
    }
    Ok(exit::explain_code(false))
}

fn rules_list(out: &Output, paths: &[PathBuf]) -> Result<u8> {
    let set = load_rules(paths)?;
    let mut text = String::new();
    for r in &set.rules {
        text.push_str(&format!(
            "{:<34} {:<9} {:<26} {}\n",
            terminal::escape(&r.id),
            r.severity.as_str(),
            r.check.name(),
            terminal::escape(&r.title)
        ));
    }
    out.print(&text)?;
    Ok(exit::OK)
}

fn rules_check(out: &Output, paths: &[PathBuf]) -> Result<u8> {
    let set = load_rules(paths)?;
    out.print(&format!(
        "{} rules OK in {} file(s)\n",
        set.rules.len(),
        set.sources.len()
    ))?;
    Ok(exit::OK)
}

fn synth_cmd(out: &Output, a: SynthArgs) -> Result<u8> {
    let mut opts = synth::SynthOptions::for_total_resources(a.resources);
    opts.seed = a.seed;
    let stats = synth::generate(&opts, &a.out)
        .map_err(|e| Error::io("write synthetic snapshot", &a.out, e))?;
    out.print(&format!(
        "wrote {}: {} account-regions, {} resources, {} recovery points, {:.1} MB\n",
        a.out.display(),
        stats.scopes,
        stats.resources,
        stats.recovery_points,
        stats.bytes_written as f64 / 1e6
    ))?;
    Ok(exit::OK)
}

/// A million resources and their findings take seconds to free one allocation at a time.
/// Free them on a detached thread: the CLI exits without waiting for it (the OS reclaims the
/// pages at once), and a library caller still gets the memory back. If no thread can be
/// started, the closure and everything it holds is dropped here instead.
fn free_later<T: Send + 'static>(everything: T) {
    let _ = std::thread::Builder::new()
        .name("free-evaluation".into())
        .spawn(move || drop(everything));
}
