//! `merge`: the shards of a sharded scan (`scan --shard I/N`, one `--out` each) joined into the
//! organisation's findings.csv and summary.csv, its printed summary and its gate. Every shard
//! is checked first (all N present, once each, judged by this version with the same rules);
//! the files are written and renamed into place as `scan` writes them, so a refused or failed
//! merge leaves `--out` as it was.

use super::printed::SummaryView;
use super::{outputs, Output};
use crate::cli::{Format, MergeArgs};
use crate::dest::staged::{Job, Staged};
use crate::dest::{mark, signals, Dest, Kind, Run};
use crate::error::{Diagnostic, Error, Result};
use crate::exit;
use crate::findings::shard::{merge_csv, ShardFile, FORMAT, SHARD_FILE};
use crate::findings::summary::parts::{self, ShardSummary};
use crate::report::{markdown, Templates};
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub(super) fn merge(out: &Output, a: MergeArgs) -> Result<u8> {
    signals::install()?;
    let run = Run::new();
    let shards = read_shards(&a.shards, &a.out)?;
    let parts: Vec<ShardSummary> = shards.iter().map(|(_, s)| s.summary.clone()).collect();
    let (summary, failures) = parts::merge(&parts)
        .map_err(|m| Error::Invalid(vec![Diagnostic::file(&shards[0].0.join(SHARD_FILE), m)]))?;
    let names = outputs::files(&[Format::Csv]);
    let (dest, _) = Dest::acquire(&a.out, &run, Kind::Reports, out.quiet, |own| {
        mark::check_reports(&a.out, &names, a.force, own)
    })?;
    // A shard at fault is named by the file it is in: an input error, not a write error.
    let refused: Mutex<Option<Diagnostic>> = Mutex::new(None);
    // `said`: the rows shard.json says the shard's file has.
    let job = |name: &'static str, said: fn(&ShardFile) -> Option<u64>| -> Job {
        let (shards, refused, run_id) = (&shards, &refused, &*run.id);
        (
            name,
            Box::new(move |w| {
                let paths: Vec<PathBuf> = shards.iter().map(|(dir, _)| dir.join(name)).collect();
                let readers = paths
                    .iter()
                    .map(|p| {
                        let f = std::fs::File::open(p).map_err(|e| {
                            std::io::Error::new(e.kind(), format!("{}: {e}", p.display()))
                        })?;
                        Ok(Box::new(BufReader::with_capacity(1 << 20, f))
                            as Box<dyn std::io::BufRead>)
                    })
                    .collect::<std::io::Result<Vec<_>>>()?;
                // Both files are in account-region order.
                let rows =
                    merge_csv(readers, ("account_id", "region"), run_id, w).map_err(|e| match e
                        .input
                    {
                        Some(i) => refuse(refused, Diagnostic::file(&paths[i], e.message)),
                        None => std::io::Error::other(e.message),
                    })?;
                counted(shards, said, &paths, &rows).map_err(|d| refuse(refused, d))
            }),
        )
    };
    let jobs = vec![
        job("findings.csv", |s| s.findings),
        job("summary.csv", |s| s.summary_rows),
    ];
    let mut staged = Staged::new(&a.out, dest.work()?);
    let written = staged.write_all(jobs, |name| out.stage(&format!("wrote {name}")));
    if let Some(d) = refused.into_inner().expect("not poisoned") {
        return Err(Error::Invalid(vec![d]));
    }
    written?;
    let previous = mark::check_reports(&a.out, &names, a.force, dest.own())?;
    let (written, removed) = staged.commit(&run, previous.as_ref(), &outputs::all_files())?;
    let gate = exit::gate(&summary, a.fail_on);
    let code = exit::code(gate.as_ref());
    if !out.quiet {
        let accounts: usize = shards.iter().map(|(_, s)| s.accounts.len()).sum();
        let (first, last) = collected_between(&shards);
        let mut text = format!(
            "merged {} shards ({accounts} accounts, collected {first}{last}) into {}\n",
            shards.len(),
            a.out.display()
        );
        let earliest = |t: fn(&ShardFile) -> &String| {
            let times = shards.iter().map(|(_, s)| t(s));
            times.min().cloned().unwrap_or_default()
        };
        let failures = failures.iter().map(|r| markdown::RuleCount {
            rule_id: r.rule_id.clone(),
            severity: r.severity.as_str(),
            count: r.count,
        });
        let judged_at = (earliest(|s| &s.collected_at), earliest(|s| &s.as_of));
        let files = (&written[..], &removed[..]);
        let view = SummaryView::plain(&summary, judged_at, failures, files, gate);
        text.push_str(&Templates::load(None)?.render("summary.txt.j2", &view)?);
        out.print(&text)?;
    }
    Ok(code)
}

/// Every shard's `shard.json`, in shard order, once each checked against the others.
fn read_shards(dirs: &[PathBuf], out: &Path) -> Result<Vec<(PathBuf, ShardFile)>> {
    let mut diags = Vec::new();
    let mut shards: Vec<(PathBuf, ShardFile)> = Vec::new();
    let out = std::fs::canonicalize(out).ok();
    for dir in dirs {
        let path = dir.join(SHARD_FILE);
        if out.is_some() && std::fs::canonicalize(dir).ok() == out {
            diags.push(Diagnostic::file(
                dir,
                "is also --out: merge into a directory of its own, not a shard's",
            ));
            continue;
        }
        let file = crate::input::read_text(&path).and_then(|text| {
            serde_json::from_str::<ShardFile>(&text).map_err(|e| {
                Diagnostic::file(&path, format!("not a shard.json `scan --shard` wrote: {e}"))
            })
        });
        match file {
            Ok(f) if f.format != FORMAT => diags.push(Diagnostic::file(
                &path,
                format!("format {:?}, where this version reads {FORMAT:?}", f.format),
            )),
            Ok(f) => shards.push((dir.clone(), f)),
            Err(mut d) => {
                if !path.exists() {
                    d.message = format!(
                        "no {SHARD_FILE} in {}: merge joins the --out directories of \
                         `scan --shard I/N`",
                        dir.display()
                    );
                }
                diags.push(d);
            }
        }
    }
    if diags.is_empty() {
        diags.extend(agree(&mut shards));
    }
    if diags.is_empty() {
        Ok(shards)
    } else {
        Err(Error::Invalid(diags))
    }
}

/// What makes shards unfit to join: a count that differs, a shard missing or given twice,
/// another version or other rules, or no CSV.
fn agree(shards: &mut [(PathBuf, ShardFile)]) -> Vec<Diagnostic> {
    shards.sort_by_key(|(_, s)| s.shard);
    let Some((_, first)) = shards.first() else {
        return Vec::new();
    };
    let (n, first) = (first.shard.count(), first.clone());
    let mut diags = Vec::new();
    let at = |dir: &Path| dir.join(SHARD_FILE);
    for (dir, s) in shards.iter() {
        let differs = |what: &str| {
            Diagnostic::file(
                &at(dir),
                format!(
                    "shard {} was judged with {what} other than shard {}'s: scan every shard \
                     with the same version, rules and waivers",
                    s.shard, first.shard
                ),
            )
        };
        if s.shard.count() != n {
            diags.push(Diagnostic::file(
                &at(dir),
                format!(
                    "shard {} is one of {}, shard {} one of {n}",
                    s.shard,
                    s.shard.count(),
                    first.shard
                ),
            ));
        } else if s.tool_version != first.tool_version {
            diags.push(differs("a version"));
        } else if s.rules != first.rules {
            diags.push(differs("rules"));
        } else if s.waivers_digest != first.waivers_digest {
            diags.push(differs("waivers"));
        } else if s.collected_in_shard != first.collected_in_shard {
            diags.push(Diagnostic::file(
                &at(dir),
                format!(
                    "shard {} judged {} and shard {} {}: join shards of one kind",
                    s.shard,
                    kind(s.collected_in_shard),
                    first.shard,
                    kind(first.collected_in_shard)
                ),
            ));
        } else if !s.collected_in_shard
            && (&s.collected_at, &s.as_of) != (&first.collected_at, &first.as_of)
        {
            diags.push(Diagnostic::file(
                &at(dir),
                format!(
                    "shard {} judged a snapshot collected at {} as of {}, shard {} one collected \
                     at {} as of {}: the shards of one snapshot are judged alike",
                    s.shard, s.collected_at, s.as_of, first.shard, first.collected_at, first.as_of
                ),
            ));
        } else if s.findings.is_none() {
            diags.push(Diagnostic::file(
                &at(dir),
                format!(
                    "shard {} wrote no CSV: scan the shards with --format csv",
                    s.shard
                ),
            ));
        }
    }
    let given: Vec<u32> = shards.iter().map(|(_, s)| s.shard.index()).collect();
    for pair in shards.windows(2) {
        if pair[0].1.shard == pair[1].1.shard {
            diags.push(Diagnostic::file(
                &pair[1].0,
                format!(
                    "shard {} is given twice (also {})",
                    pair[1].1.shard,
                    pair[0].0.display()
                ),
            ));
        }
    }
    let missing: Vec<String> = (1..=n)
        .filter(|i| !given.contains(i))
        .map(|i| format!("{i}/{n}"))
        .collect();
    if !missing.is_empty() && diags.is_empty() {
        diags.push(Diagnostic::file(
            &shards[0].0,
            format!(
                "shard(s) {} missing: a merge without them would leave their accounts out \
                 of the organisation's report",
                missing.join(", ")
            ),
        ));
    }
    diags
}

/// What a shard's snapshot was, in words.
fn kind(collected_in_shard: bool) -> &'static str {
    if collected_in_shard {
        "a snapshot collected in shards (collect --shard)"
    } else {
        "a snapshot of the whole organisation"
    }
}

/// Keeps `d`, the first file a merge stopped at, for the error the command returns; the
/// write fails with its message.
fn refuse(refused: &Mutex<Option<Diagnostic>>, d: Diagnostic) -> std::io::Error {
    let message = d.message.clone();
    refused.lock().expect("not poisoned").get_or_insert(d);
    std::io::Error::other(message)
}

/// Checks that each shard's file has the rows its shard.json says it wrote.
fn counted(
    shards: &[(PathBuf, ShardFile)],
    said: fn(&ShardFile) -> Option<u64>,
    paths: &[PathBuf],
    rows: &[u64],
) -> std::result::Result<(), Diagnostic> {
    for (((_, s), path), &n) in shards.iter().zip(paths).zip(rows) {
        let said = said(s);
        if said != Some(n) {
            return Err(Diagnostic::file(
                path,
                format!(
                    "has {n} rows where shard {}'s {SHARD_FILE} says {}: it changed since the \
                     scan; scan the shard again",
                    s.shard,
                    said.map_or("none".into(), |s| s.to_string())
                ),
            ));
        }
    }
    Ok(())
}

/// When the shards' snapshots were collected: `T`, or `T to U` when they differ.
fn collected_between(shards: &[(PathBuf, ShardFile)]) -> (String, String) {
    let times = shards.iter().map(|(_, s)| &s.collected_at);
    let (first, last) = (times.clone().min(), times.max());
    match (first, last) {
        (Some(a), Some(b)) if a != b => (a.clone(), format!(" to {b}")),
        (Some(a), _) => (a.clone(), String::new()),
        _ => (String::new(), String::new()),
    }
}
