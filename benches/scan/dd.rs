//! Output throughput benchmark (issue 10): `BENCH_DD=SIZE` (e.g. `1000000`; off by default)
//! scans the synthetic organisation of SIZE resources once with every format, counts the
//! bytes it wrote, then has `dd` write as many bytes into the same directory, and compares
//! the two rates. Bar: the scan's rate (its outputs' bytes over its wall time, reading and
//! judging included) at least half of dd's. Neither syncs: the scan does not either.

use super::{dir_size, ensure_synth, measure, median, Res, Scan};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const BAR_SHARE: f64 = 0.5;
/// Every format a scan writes (`asff` needs nothing more either, but issue 10 lists these).
const EVERY_FORMAT: &str = "html,csv,json,junit,markdown,ocsf,parquet";

/// `BENCH_DD`: SIZE, or unset / `none` for no throughput benchmark.
pub fn chosen() -> Res<Option<usize>> {
    Ok(super::count_and_size("BENCH_DD", 0)?.map(|(size, _)| size))
}

pub fn run(me: &Path, bin: &Path, root: &Path, size: usize) -> Res<()> {
    let snapshot = root.join(format!("synth-{size}"));
    ensure_synth(bin, &snapshot, size)?;
    let out = root.join("out-dd");
    let scan = Scan {
        snapshot,
        out: out.clone(),
        formats: EVERY_FORMAT.into(),
        extra: Vec::new(),
        keep: true,
    };
    println!("measuring {size} resources with --format {EVERY_FORMAT}, 1 run…");
    let m = measure(me, bin, size, 1, &scan)?;
    let wall = median(&m.walls);
    let (files, bytes) = dir_size(&out)?;
    // Room for dd's file: the outputs are counted, not kept.
    let _ = std::fs::remove_dir_all(&out);
    let file = root.join("dd.out");
    let blocks = bytes.div_ceil(1 << 20);
    let t = Instant::now();
    let o = Command::new("dd")
        .arg("if=/dev/zero")
        .arg(format!("of={}", file.display()))
        .args(["bs=1M", &format!("count={blocks}")])
        .output()
        .map_err(|e| format!("cannot run dd: {e}"))?;
    let dd_wall = t.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&file);
    if !o.status.success() {
        return Err(format!(
            "dd failed ({}): {}",
            o.status,
            String::from_utf8_lossy(&o.stderr).trim()
        ));
    }
    let mb = |b: f64| b / 1e6;
    let (rate, dd_rate) = (bytes as f64 / wall, (blocks << 20) as f64 / dd_wall);
    println!(
        "scan:  {wall:.2} s, {files} files, {:.0} MB written: {:.0} MB/s (peak RSS {:.0} MiB)",
        mb(bytes as f64),
        mb(rate),
        m.max_rss as f64 / (1 << 20) as f64
    );
    println!(
        "dd:    {dd_wall:.2} s for {blocks} MiB: {:.0} MB/s",
        mb(dd_rate)
    );
    let share = rate / dd_rate;
    let verdict = if share >= BAR_SHARE { "PASS" } else { "FAIL" };
    println!(
        "bar (issue 10): every format's output rate {share:.2}× dd's >= {BAR_SHARE}: {verdict}"
    );
    Ok(())
}
