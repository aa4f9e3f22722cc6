//! Shard benchmark (issue 10): `BENCH_SHARDS=N[:SIZE]` (e.g. `4:1000000`; off by default)
//! scans the synthetic organisation of SIZE resources (default 1,000,000) whole, then each of
//! its N shards (`scan --shard I/N`), then joins the shards (`merge`), and checks that the
//! merged findings.csv and summary.csv are the whole scan's but for the run id. Bar: each
//! shard's peak RSS at most 0.35× the whole scan's.

use super::{ensure_synth, measure, median, Res, Scan};
use std::io::BufRead;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const BAR_RSS_RATIO: f64 = 0.35;

/// `BENCH_SHARDS`: `N[:SIZE]`, or unset / `none` for no shard benchmark.
pub fn chosen() -> Res<Option<(usize, usize)>> {
    super::count_and_size("BENCH_SHARDS", 1_000_000)
}

pub fn run(me: &Path, bin: &Path, root: &Path, n: usize, size: usize) -> Res<()> {
    let snapshot = root.join(format!("synth-{size}"));
    ensure_synth(bin, &snapshot, size)?;
    let scan = |out: &str, extra: Vec<String>| Scan {
        snapshot: snapshot.clone(),
        out: root.join(out),
        formats: "csv".into(),
        extra,
        keep: true,
    };
    println!("measuring {size} resources whole and in {n} shards, 1 run each…");
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    let whole = measure(me, bin, size, 1, &scan("out-shards-whole", Vec::new()))?;
    let w = median(&whole.walls);
    println!(
        "whole:     {w:.2} s, peak RSS {:.0} MiB",
        mib(whole.max_rss)
    );
    let mut worst: f64 = 0.0;
    let mut dirs = Vec::new();
    for i in 1..=n {
        let out = format!("out-shards-{i}");
        let extra = vec!["--shard".into(), format!("{i}/{n}")];
        let m = measure(me, bin, size, 1, &scan(&out, extra))?;
        let ratio = m.max_rss as f64 / whole.max_rss as f64;
        worst = worst.max(ratio);
        println!(
            "shard {i}/{n}: {:.2} s, peak RSS {:.0} MiB ({ratio:.2}× the whole scan's)",
            median(&m.walls),
            mib(m.max_rss)
        );
        dirs.push(root.join(out));
    }
    let merged = root.join("out-shards-merged");
    let _ = std::fs::remove_dir_all(&merged);
    let t = Instant::now();
    let o = Command::new(bin)
        .arg("merge")
        .args(&dirs)
        .arg("--out")
        .arg(&merged)
        .arg("-q")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    if !o.status.success() {
        return Err(format!(
            "merge failed ({}): {}",
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        ));
    }
    println!("merge:     {:.2} s", t.elapsed().as_secs_f64());
    let verdict = |ok: bool| if ok { "PASS" } else { "FAIL" };
    for file in ["findings.csv", "summary.csv"] {
        let same = same_but_run_id(
            &merged.join(file),
            &root.join("out-shards-whole").join(file),
        )?;
        println!(
            "merged {file} is the whole scan's but the run id: {}",
            verdict(same)
        );
    }
    println!(
        "bar: every shard's peak RSS {worst:.2}× the whole scan's <= {BAR_RSS_RATIO}: {}",
        verdict(worst <= BAR_RSS_RATIO)
    );
    Ok(())
}

/// Whether two CSVs hold the same lines once each line's last cell (the run id on a row's
/// last line) is cut.
fn same_but_run_id(a: &Path, b: &Path) -> Res<bool> {
    let open = |p: &Path| {
        std::fs::File::open(p)
            .map(|f| std::io::BufReader::with_capacity(1 << 20, f).lines())
            .map_err(|e| format!("{}: {e}", p.display()))
    };
    let (mut x, mut y) = (open(a)?, open(b)?);
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ok(true),
            (Some(Ok(l)), Some(Ok(m))) => {
                let cut = |s: &str| s.rsplit_once(',').map_or(s, |(head, _)| head).to_owned();
                if cut(&l) != cut(&m) {
                    return Ok(false);
                }
            }
            (Some(Err(e)), _) | (_, Some(Err(e))) => return Err(e.to_string()),
            _ => return Ok(false),
        }
    }
}
