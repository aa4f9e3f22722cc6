//! Plan benchmark (issue 18): `BENCH_PLAN=CHANGES[:SIZE]` (e.g. `10000:100000`; off by
//! default) writes a Terraform plan of CHANGES tag updates to EBS volumes of the synthetic
//! organisation of SIZE resources (default 100,000), then times `scan --terraform-plan` of it
//! against the plain scan of the same snapshot, side by side. Bar: the plan's scan within 2×
//! the plain one (both judge the whole organisation; the plan's scan judges it twice).

use super::{ensure_synth, measure, median, Res, Scan};
use serde_json::{json, Value};
use std::path::Path;

const BAR_RATIO: f64 = 2.0;

/// `BENCH_PLAN`: `CHANGES[:SIZE]`, or unset / `none` for no plan benchmark.
pub fn chosen() -> Res<Option<(usize, usize)>> {
    super::count_and_size("BENCH_PLAN", 100_000)
}

pub fn run(me: &Path, bin: &Path, root: &Path, changes: usize, size: usize) -> Res<()> {
    let snapshot = root.join(format!("synth-{size}"));
    ensure_synth(bin, &snapshot, size)?;
    let plan = root.join(format!("plan-{changes}-{size}.json"));
    write_plan(&snapshot, &plan, changes)?;
    let scan = |extra: Vec<String>| Scan {
        snapshot: snapshot.clone(),
        out: root.join("out-plan"),
        formats: "csv".into(),
        extra,
        keep: false,
    };
    println!("measuring a plan of {changes} changes over {size} resources, 5 runs each…");
    let plain = measure(me, bin, size, 5, &scan(Vec::new()))?;
    let planned = measure(
        me,
        bin,
        size,
        5,
        &scan(vec!["--terraform-plan".into(), plan.display().to_string()]),
    )?;
    let (p, q) = (median(&plain.walls), median(&planned.walls));
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    println!(
        "plain scan:  median {p:.2} s, peak RSS {:.0} MiB",
        mib(plain.max_rss)
    );
    println!(
        "plan's scan: median {q:.2} s, peak RSS {:.0} MiB",
        mib(planned.max_rss)
    );
    let ratio = q / p;
    let verdict = if ratio <= BAR_RATIO { "PASS" } else { "FAIL" };
    println!("bar: plan/plain median ratio {ratio:.2} <= {BAR_RATIO}: {verdict}");
    Ok(())
}

/// A plan that changes the tags of `changes` volumes, spread over the organisation: every
/// other one loses its first tag, the rest gain one.
fn write_plan(snapshot: &Path, plan: &Path, changes: usize) -> Res<()> {
    let mut volumes = Vec::new();
    let mut scopes: Vec<_> = walk(snapshot)?;
    scopes.sort();
    for file in scopes {
        let text = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let items: Vec<Value> =
            serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        volumes.extend(
            items
                .into_iter()
                .filter(|i| i["resourceType"] == "AWS::EC2::Volume"),
        );
    }
    if volumes.len() < changes {
        return Err(format!(
            "only {} volumes for {changes} changes",
            volumes.len()
        ));
    }
    let step = volumes.len() / changes;
    let resource_changes: Vec<Value> = volumes
        .iter()
        .step_by(step)
        .take(changes)
        .enumerate()
        .map(|(n, v)| {
            let tags: serde_json::Map<String, Value> = v["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| (t["key"].as_str().unwrap_or_default().to_owned(), t["value"].clone()))
                .collect();
            let mut after = tags.clone();
            if n % 2 == 0 {
                let first = after.keys().next().cloned();
                first.map(|k| after.remove(&k));
            } else {
                after.insert("cost-centre".into(), json!(format!("cc-{}", n % 50)));
            }
            let state = |t: &serde_json::Map<String, Value>| {
                json!({"arn": v["arn"], "id": v["resourceId"], "tags": t, "tags_all": t})
            };
            json!({"address": format!("aws_ebs_volume.v[{n}]"), "mode": "managed",
                   "type": "aws_ebs_volume", "name": "v", "index": n,
                   "change": {"actions": ["update"], "before": state(&tags),
                              "after": state(&after), "after_unknown": {}}})
        })
        .collect();
    let doc = json!({"format_version": "1.2", "resource_changes": resource_changes});
    std::fs::write(plan, serde_json::to_vec(&doc).map_err(|e| e.to_string())?)
        .map_err(|e| format!("{}: {e}", plan.display()))
}

/// The `resources.json` files of a snapshot (ACCOUNT/REGION/resources.json).
fn walk(snapshot: &Path) -> Res<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    let read = |p: &Path| std::fs::read_dir(p).map_err(|e| format!("{}: {e}", p.display()));
    for account in read(snapshot)?.flatten() {
        if !account.path().is_dir() {
            continue;
        }
        for region in read(&account.path())?.flatten() {
            let f = region.path().join("resources.json");
            if f.is_file() {
                out.push(f);
            }
        }
    }
    Ok(out)
}
