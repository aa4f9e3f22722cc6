//! End-to-end scan benchmark (issue 2, section 8; issue 13): `cargo bench --bench scan`.
//!
//! Generates synthetic organisations once (`backup-auditor synth`), then times
//! `backup-auditor scan SNAPSHOT --out DIR --format csv -q` as a child process, several
//! runs per size, and checks the bar: 1,000,000 resources in at most 20 s and 4 GiB peak RSS,
//! and 1M at most 11× the 100k time. Then the scaling series (`scan/series.rs`): every
//! output format at n and 20n resources, failed scopes, Aurora cluster members and waivers,
//! each within 25× the time. The release binary is the one `cargo bench` builds next
//! to this benchmark (`target/release/backup-auditor`).
//!
//! Do not run two of these (or another large scan) at once: with the data and outputs in
//! `/dev/shm`, a 1M run needs about 13 GB of memory.
//!
//! Environment:
//! - `BENCH_SIZES=100000,1000000`: resource counts to measure (default both, in this order);
//!   with 1000000 and 2000000, issue 10's 2M/1M peak-memory bar is printed too;
//!   `none` measures no size, only the series.
//! - `BENCH_RUNS=5,3`: runs per size (default 5 for sizes below 1M, 3 from 1M on).
//! - `BENCH_DIR=PATH`: where snapshots are cached and outputs written. Default:
//!   `/dev/shm/backup-auditor-bench` when it and free memory have room (keeps disk latency out
//!   of a CPU measurement), else `target/bench-data`.
//! - `BENCH_FORMATS=csv,json`: the `--format` list to time (default `csv`, what the bar names).
//! - `BENCH_BIN=PATH`: time this backup-auditor binary (e.g. a build of an earlier commit)
//!   instead of the one `cargo bench` built.
//! - `BENCH_VERBOSE=1`: scan with `-v` instead of `-q` and print the per-stage timings.
//! - `BENCH_SERIES=resources,scopes,members,waivers` (the default; `none` for none): the
//!   scaling series of issue 13, after the sizes: each dimension measured at n and 20n, with
//!   the bar 20× the input within 25× the time. `NAME:N` sets a series' n (see
//!   `scan/series.rs`); `BENCH_SERIES_RUNS` its runs per point (default 3).
//! - `BENCH_PLAN=CHANGES[:SIZE]` (off by default): the plan benchmark of issue 18
//!   (`scan/plan.rs`): a Terraform plan of CHANGES tag updates over SIZE resources, judged
//!   against the plain scan (bar: within 2×).
//! - `BENCH_PYTHON=0`: skip issue 10's comparison with CPython's `json.load` of the 100k
//!   snapshot's files (`scan/python.rs`; on by default when 100k is measured).
//! - `BENCH_SHARDS=N[:SIZE]` (off by default): the shard benchmark of issue 10
//!   (`scan/shards.rs`): SIZE resources (default 1M) scanned whole and in N shards, merged,
//!   compared (bar: each shard's peak RSS within 0.35× the whole scan's).
//! - `BENCH_DD=SIZE` (off by default): issue 10's output throughput (`scan/dd.rs`): SIZE
//!   resources scanned with every format, against `dd` writing as many bytes (bar: half its rate).
//! - `BENCH_HISTORY=SCANS[:SIZE]` (off by default): the history benchmark of issue 9
//!   (`scan/history.rs`): SCANS scans of SIZE resources (default 1M) into one history, the
//!   cost of `--history`, the history's growth per scan, and `diff` of the last two.
//!
//! Peak RSS comes from `getrusage(RUSAGE_CHILDREN)`, which is the maximum over every child
//! waited for so far. So that one size (or the generator) cannot inflate another's figure,
//! each size is measured by a fresh copy of this program (`--measure`), whose only children
//! are that size's scans.

use nix::sys::resource::{getrusage, UsageWho};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

#[path = "scan/dd.rs"]
mod dd;
#[path = "scan/history.rs"]
mod history;
#[path = "scan/plan.rs"]
mod plan;
#[path = "scan/python.rs"]
mod python;
#[path = "scan/series.rs"]
mod series;
#[path = "scan/shards.rs"]
mod shards;

const BAR_SECONDS: f64 = 20.0;
const BAR_RSS_BYTES: u64 = 4 << 30;
const BAR_RATIO: f64 = 11.0;
/// The outputs the bar is about ("load, evaluate, write CSVs"): findings.csv and summary.csv.
/// `BENCH_FORMATS` measures others, e.g. `csv,json` or every format.
const DEFAULT_FORMATS: &str = "csv";
/// Rough space needs per resource: snapshot ≈ 2.6 KB, one scan's outputs ≈ 10 KB.
const SNAPSHOT_BYTES_PER_RESOURCE: u64 = 3_000;
const OUTPUT_BYTES_PER_RESOURCE: u64 = 10_000;

type Res<T> = Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let result = if args.get(1).map(String::as_str) == Some("--measure") {
        measure_child(&args[2..])
    } else if args.get(1).map(String::as_str) == Some("--measure-once") {
        history::measure_once(&args[2..])
    } else if args.iter().any(|a| a == "--bench") {
        run()
    } else {
        // `cargo test --all-targets` runs benches without `--bench`: do not start a
        // multi-minute measurement there.
        println!("scan benchmark: run it with `cargo bench --bench scan`");
        Ok(())
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scan benchmark: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One size's figures, as the `--measure` child reports them.
struct Measured {
    size: usize,
    walls: Vec<f64>,
    max_rss: u64,
    stages: Option<String>,
}

fn run() -> Res<()> {
    let bin = binary()?;
    let sizes = sizes()?;
    let runs = runs(&sizes)?;
    let series = series::chosen()?;
    let history = history::chosen()?;
    let plan = plan::chosen()?;
    let sharded = shards::chosen()?;
    let throughput = dd::chosen()?;
    // The series' largest synthetic organisations need room too.
    let mut all_sizes = sizes.clone();
    all_sizes.extend(series::synth_sizes(&series));
    all_sizes.extend(history.map(|(_, size)| size));
    all_sizes.extend(plan.map(|(_, size)| size));
    all_sizes.extend(sharded.map(|(_, size)| size));
    all_sizes.extend(throughput);
    let (root, where_) = bench_dir(&all_sizes)?;
    println!("binary:   {}", bin.display());
    println!("data:     {} ({where_})", root.display());
    println!(
        "machine:  {} CPUs available",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    for &size in &sizes {
        ensure_synth(&bin, &root.join(format!("synth-{size}")), size)?;
    }

    let me = std::env::current_exe().map_err(|e| format!("cannot find this program: {e}"))?;
    let formats = std::env::var("BENCH_FORMATS").unwrap_or_else(|_| DEFAULT_FORMATS.into());
    let mut results = Vec::new();
    for (&size, &n) in sizes.iter().zip(&runs) {
        println!("measuring {size} resources, {n} runs…");
        let scan = Scan {
            snapshot: root.join(format!("synth-{size}")),
            out: root.join(format!("out-{size}")),
            formats: formats.clone(),
            extra: Vec::new(),
            keep: false,
        };
        results.push(measure(&me, &bin, size, n, &scan)?);
    }
    if !results.is_empty() {
        report(&results);
    }
    // Issue 10's bar at 100k: side by side with CPython parsing the same files.
    for m in results
        .iter()
        .filter(|m| m.size == 100_000 && python::chosen())
    {
        let snapshot = root.join(format!("synth-{}", m.size));
        if let Some(times) = python::json_load(&snapshot, m.walls.len())? {
            python::report(m.size, &m.walls, &times);
        }
    }
    if !series.is_empty() {
        series::run(&me, &bin, &root, &series)?;
    }
    if let Some((scans, size)) = history {
        history::run(&me, &bin, &root, scans, size)?;
    }
    if let Some((changes, size)) = plan {
        plan::run(&me, &bin, &root, changes, size)?;
    }
    if let Some((n, size)) = sharded {
        shards::run(&me, &bin, &root, n, size)?;
    }
    if let Some(size) = throughput {
        dd::run(&me, &bin, &root, size)?;
    }
    Ok(())
}

/// `var` as `COUNT[:SIZE]` (SIZE defaults to `default_size`), or `None` when unset or `none`:
/// the history's and the plan's benchmarks are chosen so.
fn count_and_size(var: &str, default_size: usize) -> Res<Option<(usize, usize)>> {
    let Ok(text) = std::env::var(var) else {
        return Ok(None);
    };
    let text = text.trim();
    if matches!(text, "" | "none") {
        return Ok(None);
    }
    let number = |s: &str| {
        s.replace('_', "")
            .parse::<usize>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("{var}: {s:?} is not a positive number"))
    };
    let (count, size) = text.split_once(':').unwrap_or((text, ""));
    let size = if size.is_empty() {
        default_size
    } else {
        number(size)?
    };
    Ok(Some((number(count)?, size)))
}

/// Generates `backup-auditor synth --resources SIZE` into `dir`, unless a cached one is there.
fn ensure_synth(bin: &Path, dir: &Path, size: usize) -> Res<()> {
    if dir.join("manifest.json").is_file() {
        println!(
            "snapshot: {} (cached; delete it to regenerate)",
            dir.display()
        );
    } else {
        let t = Instant::now();
        let out = Command::new(bin)
            .args(["synth", "--resources", &size.to_string(), "--out"])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
        if !out.status.success() {
            return Err(format!(
                "synth --resources {size} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        print!(
            "snapshot: {} generated in {:.1} s: {}",
            dir.display(),
            t.elapsed().as_secs_f64(),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let (files, bytes) = dir_size(dir)?;
    println!("          {files} files, {:.1} MB", bytes as f64 / 1e6);
    Ok(())
}

/// One scan to time: `scan SNAPSHOT --out OUT --format FORMATS EXTRA…`.
struct Scan {
    snapshot: PathBuf,
    out: PathBuf,
    formats: String,
    extra: Vec<String>,
    /// Leave the last run's outputs in `out` (they are removed otherwise).
    keep: bool,
}

/// Times `runs` runs of `scan` in a fresh copy of this program (`--measure`), so that its
/// peak RSS is that of these scans alone.
fn measure(me: &Path, bin: &Path, size: usize, runs: usize, scan: &Scan) -> Res<Measured> {
    let out = Command::new(me)
        .arg("--measure")
        .arg(bin)
        .arg(&scan.snapshot)
        .arg(&scan.out)
        .arg(runs.to_string())
        .args(&scan.extra)
        .env("BENCH_FORMATS", &scan.formats)
        .env("BENCH_KEEP_OUT", if scan.keep { "1" } else { "0" })
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", me.display()))?;
    if !out.status.success() {
        return Err(format!(
            "measuring {} failed ({})",
            scan.snapshot.display(),
            out.status
        ));
    }
    parse_measure(size, &String::from_utf8_lossy(&out.stdout))
}
fn report(results: &[Measured]) {
    println!();
    println!(
        "{:>10} {:>5} {:>10} {:>10} {:>12}",
        "resources", "runs", "median s", "min s", "peak RSS MiB"
    );
    for m in results {
        println!(
            "{:>10} {:>5} {:>10.2} {:>10.2} {:>12.0}",
            m.size,
            m.walls.len(),
            median(&m.walls),
            min(&m.walls),
            m.max_rss as f64 / (1 << 20) as f64
        );
    }
    for m in results.iter().filter(|m| m.stages.is_some()) {
        println!(
            "stages of the last {} run (-v):\n{}",
            m.size,
            m.stages.as_deref().unwrap_or("")
        );
    }
    let verdict = |ok: bool| if ok { "PASS" } else { "FAIL" };
    let by_size = |s: usize| results.iter().find(|m| m.size == s);
    if let Some(m) = by_size(1_000_000) {
        let t = median(&m.walls);
        println!(
            "bar: 1M median {t:.2} s <= {BAR_SECONDS} s: {}",
            verdict(t <= BAR_SECONDS)
        );
        println!(
            "bar: 1M peak RSS {:.2} GiB <= 4 GiB: {}",
            m.max_rss as f64 / (1u64 << 30) as f64,
            verdict(m.max_rss <= BAR_RSS_BYTES)
        );
    }
    if let (Some(small), Some(big)) = (by_size(100_000), by_size(1_000_000)) {
        let ratio = median(&big.walls) / median(&small.walls);
        println!(
            "bar: 1M/100k median ratio {ratio:.2} <= {BAR_RATIO}: {}",
            verdict(ratio <= BAR_RATIO)
        );
    }
    issue_10_bars(results);
}

/// Issue 10's bars on what was measured: 1M CSV only within 6 s, 1M html,csv,json within
/// 8 s and 1 GiB, and 2M's peak RSS within 1.1× 1M's.
fn issue_10_bars(results: &[Measured]) {
    let verdict = |ok: bool| if ok { "PASS" } else { "FAIL" };
    let by_size = |s: usize| results.iter().find(|m| m.size == s);
    let formats = std::env::var("BENCH_FORMATS").unwrap_or_else(|_| DEFAULT_FORMATS.into());
    let gib = |m: &Measured| m.max_rss as f64 / (1u64 << 30) as f64;
    if let Some(m) = by_size(1_000_000) {
        let t = median(&m.walls);
        match formats.as_str() {
            "csv" => println!("bar (issue 10): 1M csv median {t:.2} s <= 6 s: {}", verdict(t <= 6.0)),
            "html,csv,json" => println!(
                "bar (issue 10): 1M html,csv,json median {t:.2} s <= 8 s, peak RSS {:.2} GiB <= 1 GiB: {}",
                gib(m),
                verdict(t <= 8.0 && m.max_rss <= 1 << 30)
            ),
            _ => {}
        }
    }
    if let (Some(one), Some(two)) = (by_size(1_000_000), by_size(2_000_000)) {
        let ratio = two.max_rss as f64 / one.max_rss as f64;
        println!(
            "bar (issue 10): 2M/1M peak RSS {ratio:.2} ({:.2} / {:.2} GiB, {formats}) <= 1.1: {}",
            gib(two),
            gib(one),
            verdict(ratio <= 1.1)
        );
    }
}

/// The `--measure BIN SNAPSHOT OUT RUNS [SCAN ARGUMENTS…]` child: runs the scans and prints one `wall` line per
/// run, the children's peak RSS and, with `BENCH_VERBOSE`, the last run's stage log.
fn measure_child(args: &[String]) -> Res<()> {
    let [bin, snapshot, out, runs, extra @ ..] = args else {
        return Err("usage: scan --measure BIN SNAPSHOT OUT RUNS [SCAN ARGUMENTS…]".into());
    };
    let runs: usize = runs
        .parse()
        .map_err(|_| format!("bad run count {runs:?}"))?;
    let verbose = std::env::var_os("BENCH_VERBOSE").is_some_and(|v| v != "0");
    let out = Path::new(out);
    let formats = std::env::var("BENCH_FORMATS").unwrap_or_else(|_| DEFAULT_FORMATS.into());
    let mut stages = String::new();
    for i in 0..runs {
        let _ = std::fs::remove_dir_all(out);
        let t = Instant::now();
        let o = Command::new(bin)
            .arg("scan")
            .arg(snapshot)
            .arg("--out")
            .arg(out)
            .args(["--format", &formats])
            .args(extra)
            .arg(if verbose { "-v" } else { "-q" })
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("cannot run {bin}: {e}"))?;
        let wall = t.elapsed().as_secs_f64();
        if !o.status.success() {
            return Err(format!(
                "scan {snapshot} failed ({}): {}",
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            ));
        }
        eprintln!("  run {}/{runs}: {wall:.2} s", i + 1);
        println!("wall {wall}");
        stages = String::from_utf8_lossy(&o.stderr).into_owned();
    }
    if std::env::var_os("BENCH_KEEP_OUT").is_none_or(|v| v != "1") {
        let _ = std::fs::remove_dir_all(out);
    }
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).map_err(|e| format!("getrusage: {e}"))?;
    // Linux reports ru_maxrss in KiB.
    println!("maxrss {}", usage.max_rss() as u64 * 1024);
    if verbose {
        for line in stages.lines() {
            println!("stage {line}");
        }
    }
    Ok(())
}

fn parse_measure(size: usize, text: &str) -> Res<Measured> {
    let mut m = Measured {
        size,
        walls: Vec::new(),
        max_rss: 0,
        stages: None,
    };
    for line in text.lines() {
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        let bad = || format!("unexpected line from the measuring child: {line:?}");
        match key {
            "wall" => m.walls.push(value.parse().map_err(|_| bad())?),
            "maxrss" => m.max_rss = value.parse().map_err(|_| bad())?,
            "stage" => {
                let s = m.stages.get_or_insert_with(String::new);
                s.push_str("  ");
                s.push_str(value);
                s.push('\n');
            }
            _ => return Err(bad()),
        }
    }
    if m.walls.is_empty() {
        return Err(format!("no runs measured for {size} resources"));
    }
    Ok(m)
}

/// `BENCH_BIN`, else the release binary: Cargo sets `CARGO_BIN_EXE_*` for benches; otherwise it is the sibling
/// of `target/release/deps/` where this benchmark runs from.
fn binary() -> Res<PathBuf> {
    if let Some(p) = std::env::var_os("BENCH_BIN") {
        return Ok(PathBuf::from(p));
    }
    let name = format!("backup-auditor{}", std::env::consts::EXE_SUFFIX);
    let candidates: Vec<PathBuf> = option_env!("CARGO_BIN_EXE_backup-auditor")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            std::env::current_exe()
                .ok()
                .and_then(|p| Some(p.parent()?.parent()?.join(&name))),
        )
        .collect();
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| {
            format!("no backup-auditor binary at {candidates:?}: run `cargo build --release` first")
        })
}

fn sizes() -> Res<Vec<usize>> {
    let Ok(text) = std::env::var("BENCH_SIZES") else {
        return Ok(vec![100_000, 1_000_000]);
    };
    if text.trim() == "none" {
        return Ok(Vec::new());
    }
    let mut sizes = text
        .split(',')
        .map(|s| {
            s.trim()
                .replace('_', "")
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("BENCH_SIZES: {s:?} is not a positive number"))
        })
        .collect::<Res<Vec<_>>>()?;
    sizes.sort_unstable();
    sizes.dedup();
    Ok(sizes)
}

fn runs(sizes: &[usize]) -> Res<Vec<usize>> {
    let default = |s: usize| if s >= 1_000_000 { 3 } else { 5 };
    let Ok(text) = std::env::var("BENCH_RUNS") else {
        return Ok(sizes.iter().map(|&s| default(s)).collect());
    };
    let given = text
        .split(',')
        .map(|s| {
            s.trim()
                .parse::<usize>()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("BENCH_RUNS: {s:?} is not a positive number"))
        })
        .collect::<Res<Vec<_>>>()?;
    // One number applies to every size; a list gives one per size (the last one repeats).
    Ok((0..sizes.len())
        .map(|i| given[i.min(given.len() - 1)])
        .collect())
}

/// `BENCH_DIR`, else `/dev/shm/backup-auditor-bench` when it has room, else `target/bench-data`.
fn bench_dir(sizes: &[usize]) -> Res<(PathBuf, &'static str)> {
    let make = |p: PathBuf| -> Res<PathBuf> {
        std::fs::create_dir_all(&p).map_err(|e| format!("cannot create {}: {e}", p.display()))?;
        Ok(p)
    };
    if let Some(p) = std::env::var_os("BENCH_DIR") {
        return Ok((make(PathBuf::from(p))?, "BENCH_DIR"));
    }
    let shm = Path::new("/dev/shm");
    let dir = shm.join("backup-auditor-bench");
    // Snapshots still to generate, plus the outputs of the largest scan.
    let need: u64 = sizes
        .iter()
        .filter(|&s| !dir.join(format!("synth-{s}/manifest.json")).is_file())
        .map(|&s| s as u64 * SNAPSHOT_BYTES_PER_RESOURCE)
        .sum::<u64>()
        + sizes.iter().max().map_or(0, |&s| s as u64) * OUTPUT_BYTES_PER_RESOURCE;
    // tmpfs lives in memory: the scan itself (up to the RSS bar) needs room next to it.
    let room = free_bytes(shm).is_some_and(|free| free > need)
        && mem_available().is_none_or(|avail| avail > need + BAR_RSS_BYTES);
    if shm.is_dir() && room {
        return Ok((make(dir)?, "tmpfs /dev/shm: memory, no disk latency"));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    Ok((
        make(target.join("bench-data"))?,
        "disk: /dev/shm missing or without room in memory, timings include disk writes",
    ))
}

/// Free bytes on the file system holding `p`, from `df` (POSIX output format).
fn free_bytes(p: &Path) -> Option<u64> {
    let out = Command::new("df").arg("-Pk").arg(p).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let kib: u64 = text
        .lines()
        .nth(1)?
        .split_whitespace()
        .nth(3)?
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// `MemAvailable` from `/proc/meminfo` (Linux), in bytes.
fn mem_available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn dir_size(dir: &Path) -> Res<(u64, u64)> {
    let (mut files, mut bytes) = (0, 0);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).map_err(|e| format!("cannot read {}: {e}", d.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("cannot read {}: {e}", d.display()))?;
            let meta = entry
                .metadata()
                .map_err(|e| format!("cannot stat {}: {e}", entry.path().display()))?;
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                files += 1;
                bytes += meta.len();
            }
        }
    }
    Ok((files, bytes))
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}
