//! Issue 10's first bar, measured side by side: CPython's `json.load` of every JSON file of
//! the same snapshot, the floor a parser in a scripting language sets. The scan (parse, judge,
//! write) should take at most half of it. `BENCH_PYTHON=0` skips it; without `python3` it is
//! skipped with a note.

use super::{median, Res};
use std::path::Path;
use std::process::Command;

/// Loads every `*.json` under `argv[1]` and prints the seconds it took and the file count.
const SCRIPT: &str = r#"
import json, os, sys, time
t = time.perf_counter()
n = 0
for d, _, files in os.walk(sys.argv[1]):
    for f in files:
        if f.endswith(".json"):
            with open(os.path.join(d, f), "rb") as h:
                json.load(h)
            n += 1
print(time.perf_counter() - t, n)
"#;

/// The bar: the scan's median within this share of CPython's.
pub const BAR: f64 = 0.5;

pub fn chosen() -> bool {
    std::env::var("BENCH_PYTHON").map_or(true, |v| v != "0")
}

/// `runs` timings of CPython loading `snapshot`'s JSON files, or `None` (said) without python3.
pub fn json_load(snapshot: &Path, runs: usize) -> Res<Option<Vec<f64>>> {
    let mut times = Vec::new();
    for _ in 0..runs {
        let out = match Command::new("python3")
            .arg("-c")
            .arg(SCRIPT)
            .arg(snapshot)
            .output()
        {
            Ok(o) if o.status.success() => o,
            Ok(o) => {
                return Err(format!(
                    "python3 failed: {}",
                    String::from_utf8_lossy(&o.stderr)
                ))
            }
            Err(e) => {
                println!("CPython comparison skipped: cannot run python3 ({e})");
                return Ok(None);
            }
        };
        let text = String::from_utf8_lossy(&out.stdout);
        let secs = text
            .split_whitespace()
            .next()
            .and_then(|s| s.parse::<f64>().ok())
            .ok_or_else(|| format!("python3 printed {text:?}"))?;
        times.push(secs);
    }
    Ok(Some(times))
}

/// The comparison line and the bar's verdict.
pub fn report(size: usize, scan: &[f64], python: &[f64]) {
    let (s, p) = (median(scan), median(python));
    let ratio = s / p;
    println!(
        "{size} resources: scan median {s:.2} s; CPython json.load of the same files median \
         {p:.2} s ({} runs)",
        python.len()
    );
    println!(
        "bar: scan/json.load ratio {ratio:.2} <= {BAR}: {}",
        if ratio <= BAR { "PASS" } else { "FAIL" }
    );
}
