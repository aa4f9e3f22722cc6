//! History benchmark (issue 9): `BENCH_HISTORY=SCANS[:SIZE]` (e.g. `10:1000000`; off by default)
//! scans one synthetic organisation of SIZE resources (default 1,000,000) SCANS times into one
//! history, each paired with a scan of it without a history run just before, and reports:
//!
//! - the cost of `--history` beyond the scan itself: the first scan (append only) and the
//!   later ones (read the baseline's findings, compare, append) — bar ≤ 3 s — in wall time
//!   and in CPU time (the steadier of the two on a shared machine: it says what the history
//!   costs when the wall times of a pair drift apart);
//! - the history's growth per scan on disk — bar ≤ 400 MB;
//! - `backup-auditor diff HISTORY` of the last two scans: wall time and peak RSS, measured in
//!   a fresh child of its own — bars ≤ 5 s and ≤ 2 GiB.

use super::{ensure_synth, median, Res};
use nix::sys::resource::{getrusage, UsageWho};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const BAR_APPEND_SECONDS: f64 = 3.0;
const BAR_BYTES_PER_SCAN: u64 = 400_000_000;
const BAR_DIFF_SECONDS: f64 = 5.0;
const BAR_DIFF_RSS: u64 = 2 << 30;

/// `BENCH_HISTORY`: `SCANS[:SIZE]`, or unset / `none` for no history benchmark.
pub fn chosen() -> Res<Option<(usize, usize)>> {
    Ok(
        super::count_and_size("BENCH_HISTORY", 1_000_000)?
            .map(|(scans, size)| (scans.max(2), size)),
    )
}

pub fn run(me: &Path, bin: &Path, root: &Path, scans: usize, size: usize) -> Res<()> {
    let snapshot = root.join(format!("synth-{size}"));
    ensure_synth(bin, &snapshot, size)?;
    let (history, out) = (
        root.join(format!("history-{size}")),
        root.join("out-history"),
    );
    let _ = std::fs::remove_dir_all(&history);
    let scan = |with_history: bool| -> Res<(f64, f64)> {
        let _ = std::fs::remove_dir_all(&out);
        let mut args = vec![
            "scan".to_owned(),
            snapshot.display().to_string(),
            "--out".into(),
            out.display().to_string(),
            "--format".into(),
            "csv".into(),
            "-q".into(),
        ];
        if with_history {
            args.extend(["--history".into(), history.display().to_string()]);
        }
        let cpu = children_cpu()?;
        let wall = timed(bin, &args)?;
        Ok((wall, children_cpu()? - cpu))
    };
    println!(
        "history: {scans} scans of {size} resources into {}",
        history.display()
    );
    // Each scan into the history is paired with a scan alone run just before it: the bar is
    // a difference of a few seconds in runs of twenty, on a machine whose pace drifts, and a
    // pair sees the same pace.
    // The first scan of a run pays for pages the machine has not handed out yet (on a VM,
    // the host's too): it pairs with nothing.
    let (warm, warm_cpu) = scan(false)?;
    println!("  warm-up: alone {warm:.2} s ({warm_cpu:.1} CPU-s), not counted");
    let (mut extra, mut extra_cpu, mut growth) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..scans {
        let (alone, alone_cpu) = scan(false)?;
        let before = du(&history);
        let (wall, cpu) = scan(true)?;
        growth.push(du(&history).saturating_sub(before));
        println!(
            "  scan {}/{scans}: alone {alone:.2} s ({alone_cpu:.1} CPU-s), with --history {wall:.2} s \
             ({cpu:.1} CPU-s): +{:.2} s (+{:.1} CPU-s), history +{:.1} MB",
            i + 1,
            wall - alone,
            cpu - alone_cpu,
            growth[i] as f64 / 1e6
        );
        extra.push(wall - alone);
        extra_cpu.push(cpu - alone_cpu);
    }
    let (wall, rss) = measure_child(me, bin, &["diff".into(), history.display().to_string()])?;
    let _ = std::fs::remove_dir_all(&out);
    report(&extra, &extra_cpu, &growth, wall, rss);
    Ok(())
}

/// `extra` (`extra_cpu`): each scan's wall (CPU) time with `--history` less its paired scan's
/// alone.
fn report(extra: &[f64], extra_cpu: &[f64], growth: &[u64], diff_wall: f64, diff_rss: u64) {
    let verdict = |ok: bool| if ok { "PASS" } else { "FAIL" };
    let first = extra[0];
    let later = median(&extra[1..]);
    let per_scan = *growth.iter().max().unwrap_or(&0);
    println!("  --history beyond the scan: first (append) {first:.2} s; later (baseline, diff, append) median {later:.2} s");
    println!(
        "  in CPU time: first +{:.1} CPU-s; later median +{:.1} CPU-s (two cores: half of it is \
         the wall time it costs when both are busy)",
        extra_cpu[0],
        median(&extra_cpu[1..])
    );
    println!(
        "bar: history append+diff ≤ {BAR_APPEND_SECONDS} s beyond the scan: {}",
        verdict(first.max(later) <= BAR_APPEND_SECONDS)
    );
    println!(
        "bar: history growth per scan {:.1} MB ≤ 400 MB: {}",
        per_scan as f64 / 1e6,
        verdict(per_scan <= BAR_BYTES_PER_SCAN)
    );
    println!(
        "bar: diff of the last two {diff_wall:.2} s ≤ {BAR_DIFF_SECONDS} s, peak RSS {:.2} GiB ≤ 2 GiB: {}",
        diff_rss as f64 / (1u64 << 30) as f64,
        verdict(diff_wall <= BAR_DIFF_SECONDS && diff_rss <= BAR_DIFF_RSS)
    );
}

fn timed(bin: &Path, args: &[String]) -> Res<f64> {
    let t = Instant::now();
    let o = Command::new(bin)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !o.status.success() {
        return Err(format!(
            "{} {} failed ({}): {}",
            bin.display(),
            args.join(" "),
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        ));
    }
    Ok(t.elapsed().as_secs_f64())
}

/// CPU seconds (user and system) the children waited for so far have used.
fn children_cpu() -> Res<f64> {
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).map_err(|e| format!("getrusage: {e}"))?;
    let seconds = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    Ok(seconds(usage.user_time()) + seconds(usage.system_time()))
}

/// Runs `BIN ARGS…` in a fresh copy of this program (`--measure-once`), so that its peak RSS
/// is that command's alone.
fn measure_child(me: &Path, bin: &Path, args: &[String]) -> Res<(f64, u64)> {
    let o = Command::new(me)
        .arg("--measure-once")
        .arg(bin)
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", me.display()))?;
    let text = String::from_utf8_lossy(&o.stdout);
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .ok_or_else(|| format!("the measuring child said {text:?}"))
    };
    Ok((field("wall ")?, field("maxrss ")? as u64))
}

/// The `--measure-once BIN ARGS…` child: runs the command once, prints its wall time and the
/// peak RSS of its children (that command).
pub fn measure_once(args: &[String]) -> Res<()> {
    let [bin, rest @ ..] = args else {
        return Err("usage: scan --measure-once BIN [ARGUMENTS…]".into());
    };
    let wall = timed(Path::new(bin), rest)?;
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).map_err(|e| format!("getrusage: {e}"))?;
    println!("wall {wall}");
    // Linux reports ru_maxrss in KiB.
    println!("maxrss {}", usage.max_rss() as u64 * 1024);
    Ok(())
}

/// Bytes of the files under `dir` (0 when it does not exist).
fn du(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => du(&e.path()),
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}
