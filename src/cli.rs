//! Command-line arguments. Help text teaches; validation happens here, not deep inside.

use crate::rules::Severity;
use crate::snapshot::time::{parse_timestamp, Timestamp};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

mod collect;
mod planned;
pub use collect::{CollectArgs, CollectCmd, InventoryArg};
pub use planned::{PlannedArgs, UndecidablePolicy};

#[derive(Debug, Parser)]
#[command(
    name = "backup-auditor",
    version,
    about = "Audit AWS Backup protection of every resource, across accounts and regions",
    long_about = "Audit AWS Backup protection of every resource, across accounts and regions.\n\n\
        backup-auditor reads a snapshot (AWS API outputs saved per account and region), decides for \
        each resource which backup rules really protect it — selections, tags, NotResources, region \
        opt-in, vault lock, schedules — and checks that against declarative rules.",
    after_help = "Examples:\n  \
        backup-auditor scan samples/org                       # audit the embedded sample, reports in ./backup-audit\n  \
        backup-auditor scan SNAP --fail-on high               # CI gate: exit 1 on an unwaived high/critical failure\n  \
        backup-auditor scan SNAP --baseline LAST --fail-on-new high  # PR gate: exit 1 on new failures only\n  \
        backup-auditor scan SNAP --terraform-plan plan.json --fail-on-new high  # before apply: what the plan makes worse\n  \
        backup-auditor explain samples/org arn:aws:ec2:us-east-1:111111111111:volume/vol-01a10000000000003\n  \
        backup-auditor rules check my-rules/                  # validate rule files, all problems at once\n\n\
        Exit codes: 0 ok, 1 failures at or above --fail-on (new ones: --fail-on-new), 2 usage or\n\
        input error, 3 something could not be assessed, or nothing was judged, while a gate is set."
)]
pub struct Cli {
    /// Print nothing but errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print what each stage did and how long it took (on stderr).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    // Boxed: its options outweigh every other command's.
    /// Evaluate a snapshot (or, with --live, the organisation itself) against the rules.
    Scan(Box<ScanArgs>),
    /// Read accounts and regions through the AWS APIs and save them as a snapshot.
    Collect(CollectCmd),
    /// Tell the whole story of one resource: every selection, rule, recovery point and verdict.
    Explain(ExplainArgs),
    /// List or validate rule files.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Write a synthetic organisation snapshot (for benchmarks and load tests).
    Synth(SynthArgs),
    /// List the scans a history holds (`scan --history DIR` records them): time, coverage,
    /// unwaived failures by severity, account-regions not assessed.
    History(HistoryArgs),
    /// What changed between two scans of a history: new, regressed, resolved and unknown
    /// findings, the longest-standing failures, and the rules or waivers that changed.
    Diff(DiffArgs),
    /// Join the outputs of a sharded scan (`scan --shard I/N --format csv`, one --out per
    /// shard) into the organisation's findings.csv and summary.csv (byte for byte what one
    /// scan of every account writes, but the run id), its summary and its gate.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "Example (four machines, then one):\n  \
    backup-auditor scan snap --shard 1/4 --format csv --out shard-1   # … 2/4, 3/4, 4/4\n  \
    backup-auditor merge shard-1 shard-2 shard-3 shard-4 --out audit --fail-on high")]
pub struct MergeArgs {
    /// The shards' --out directories, every shard of one scan once (each holds the
    /// shard.json, findings.csv and summary.csv its `scan --shard` wrote).
    #[arg(value_name = "SHARD_DIR", required = true)]
    pub shards: Vec<PathBuf>,
    /// Where to write findings.csv and summary.csv (and the mark that lists them).
    #[arg(long, value_name = "DIR", default_value = "backup-audit")]
    pub out: PathBuf,
    /// Replace what backup-auditor did not write in --out (as `scan --force`).
    #[arg(long)]
    pub force: bool,
    /// The organisation's gate, as `scan --fail-on` decides it: exit 1 if an unwaived FAIL at
    /// or above this severity exists in any shard, 3 if something could not be assessed or
    /// nothing was judged. Default: never fail.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
}

#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Rule file or directory (repeatable). Default: the shipped policy in rules/default.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Waiver file (YAML): accepted exceptions with reason, owner and expiry.
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// Judge as of this time (RFC 3339) instead of the snapshot's collected_at.
    #[arg(long, value_name = "RFC3339", value_parser = parse_as_of)]
    pub as_of: Option<Timestamp>,
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// Directory of templates overriding the built-in ones of the same name (summary.txt.j2,
    /// explain.txt.j2, history.txt.j2, summary.md.j2, report.html.j2, html/*.j2, html/style.css, html/app.js).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(mut_args(live_only))]
#[command(group(clap::ArgGroup::new("aws").multiple(true).args(["live", "security_hub"])))]
pub struct ScanArgs {
    /// Snapshot directory (holds manifest.json).
    #[arg(
        value_name = "SNAPSHOT_DIR",
        required_unless_present = "live",
        conflicts_with_all = ["live", "save_snapshot"]
    )]
    pub snapshot: Option<PathBuf>,
    /// Collect from AWS first (see `collect --help` for accounts, regions and roles), then
    /// evaluate what was collected.
    #[arg(long)]
    pub live: bool,
    /// With --live: keep the collected snapshot in this directory.
    #[arg(long, value_name = "DIR", requires = "live")]
    pub save_snapshot: Option<PathBuf>,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub templates: TemplateArgs,
    /// Where to write the reports --format asks for: report.html (html), findings.csv and
    /// summary.csv (csv), findings.json (json), junit.xml (junit), summary.md (markdown),
    /// findings.ocsf.json (ocsf), findings.parquet (parquet), findings.asff.json (asff); and
    /// .backup-auditor-run.json,
    /// the mark that lists what the run wrote (only files a mark lists are ever replaced).
    #[arg(long, value_name = "DIR", default_value = "backup-audit")]
    pub out: PathBuf,
    /// Outputs to write (comma-separated): html = report.html, csv = findings.csv +
    /// summary.csv, json = findings.json, junit = junit.xml, markdown = summary.md,
    /// ocsf = findings.ocsf.json, parquet = findings.parquet (findings.csv's columns, for
    /// DuckDB, Athena, Spark or polars: what to query at a million resources), asff =
    /// findings.asff.json (AWS Security Hub's finding format; see --security-hub). html, csv
    /// and json are made a batch of account-regions at a time, so memory is bounded by a
    /// batch; the others (and --history, --baseline, a planned change, --security-hub) need
    /// every finding at once.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "html,csv,json"
    )]
    pub format: Vec<Format>,
    /// Exit 1 if an unwaived FAIL at or above this severity exists (and 3 if something could
    /// not be assessed, or nothing was judged: no rules, or no resource with a PASS, FAIL or
    /// WAIVED finding). Default: never fail.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Exit 1 only if an unwaived FAIL at or above this severity is new since the baseline
    /// (`new`, or `regressed`: a resource that was protected is not); 3 if something could not
    /// be assessed, or a failure's change is unknown (its account-region was not read in the
    /// baseline), or nothing was judged. Without a baseline it says so and acts as --fail-on.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity, conflicts_with = "fail_on")]
    pub fail_on_new: Option<Severity>,
    /// Compare with an earlier scan: its --out directory (the findings.json it wrote), or a
    /// scan id of --history. Findings then carry `change` (new, regressed, still-failing,
    /// resolved, unknown, …) and `failing_since`, and every summary says what changed since.
    #[arg(long, value_name = "DIR|SCAN_ID", value_parser = parse_baseline,
          conflicts_with_all = ["terraform_plan", "cfn_change_set"])]
    pub baseline: Option<BaselineArg>,
    /// Refuse (exit 2, naming the waiver's file:line, writing no report) any waiver that
    /// waives more than N findings: a waiver accepts named exceptions, not whole classes of
    /// failures.
    #[arg(long, value_name = "N")]
    pub max_waiver_matches: Option<usize>,
    /// Replace what backup-auditor did not write: files in --out that no earlier run's mark
    /// lists, in a directory without that mark. By default such a file is refused (exit 2)
    /// and left as it is. It does not apply to --save-snapshot (`collect --force` does).
    #[arg(long)]
    pub force: bool,
    /// Import the findings into AWS Security Hub CSPM (BatchImportFindings), each into its own
    /// account and Region, with the credentials of collection (--profile; --role-name or
    /// --role-arn-template for the other accounts). Findings that no longer fail are updated
    /// to PASSED and archived. A finding Security Hub refuses, or an account-region it cannot
    /// reach, is named and makes the exit code 4. Needs iam/security-hub-import-policy.json.
    /// Not with a planned change: what it judges does not exist yet.
    #[arg(long, conflicts_with_all = ["terraform_plan", "cfn_change_set", "cfn_template"])]
    pub security_hub: bool,
    /// Judge only shard I of N of the accounts (e.g. 2/4): a stable, balanced share by a hash
    /// of the account id, so that N machines judge an organisation in parallel, each in a
    /// fraction of the memory. The other accounts' copy destinations (vaults, locks, policies,
    /// copied points) are still read from the snapshot, so every verdict is the one a whole
    /// scan gives. With --live, only the shard's accounts are collected. Then `backup-auditor
    /// merge` joins the shards' findings.csv and summary.csv into the whole organisation's.
    #[arg(long, value_name = "I/N",
          conflicts_with_all = ["terraform_plan", "cfn_change_set", "cfn_template"])]
    pub shard: Option<crate::shard::Shard>,
    #[command(flatten, next_help_heading = "Before it is applied")]
    pub planned: PlannedArgs,
    #[command(flatten, next_help_heading = "History (scheduled scans)")]
    pub history: HistoryOpts,
    /// Last, so that its help heading covers only its own options.
    #[command(flatten, next_help_heading = LIVE_HEADING)]
    pub collect: CollectArgs,
}

/// The heading of the collection options of `scan`, which only --live uses.
const LIVE_HEADING: &str = "Collection (with --live)";

/// A collection option of `scan` without --live would be ignored, so clap refuses it: beside
/// SNAPSHOT_DIR it conflicts, alone it requires --live. (`requires` alone never fired beside
/// SNAPSHOT_DIR: clap lets a required argument be missing when it conflicts with one given.)
/// Credentials and retries serve --security-hub too, which a scan of a snapshot may ask.
fn live_only(a: clap::Arg) -> clap::Arg {
    const CREDENTIALS: [&str; 6] = [
        "profile",
        "role_name",
        "role_arn_template",
        "external_id",
        "max_attempts",
        "api_timeout",
    ];
    if a.get_help_heading() != Some(LIVE_HEADING) {
        a
    } else if CREDENTIALS.contains(&a.get_id().as_str()) {
        a.requires("aws")
    } else {
        a.requires("live").conflicts_with("snapshot")
    }
}

/// `--baseline`: an earlier scan's output directory, or a scan id of a history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaselineArg {
    Dir(PathBuf),
    ScanId(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Html,
    Csv,
    Json,
    Junit,
    Markdown,
    Ocsf,
    Parquet,
    Asff,
}

/// `scan --history`: where this scan is recorded, and how much of the past is kept.
#[derive(Debug, Args)]
pub struct HistoryOpts {
    /// Record this scan in a history, after the reports are written: its findings go to
    /// DIR/findings/scan_date=YYYY-MM-DD/part-<scan_id>.parquet (one Hive-partitioned table
    /// that DuckDB, Athena, Spark and polars read whole) and its record (time, coverage,
    /// counts, rule digests) to DIR/scans/<scan_id>.json, written last: a failed or
    /// interrupted run adds no scan (a findings part left without its record is removed by
    /// the next run). DIR may be s3://BUCKET/PREFIX (credentials, region and endpoint the
    /// AWS way, as for --live). `backup-auditor history DIR` lists the scans.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["terraform_plan", "cfn_change_set"])]
    pub history: Option<String>,
    /// Keep only the newest N scans of the history (older ones are removed after this scan
    /// is recorded). The newest scan, the next comparison's baseline, is always kept.
    #[arg(long, value_name = "N", requires = "history",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub keep_scans: Option<u64>,
    /// Remove the scans older than D days (by their scan time) after this scan is recorded.
    /// The newest scan is always kept.
    #[arg(long, value_name = "D", requires = "history")]
    pub keep_days: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    backup-auditor scan samples/org --history audit-history          # record a scan\n  \
    backup-auditor history audit-history                              # list what was recorded\n  \
    backup-auditor history audit-history --format json | jq '.[-1].coverage'")]
pub struct HistoryArgs {
    /// The history: the directory or s3://BUCKET/PREFIX `scan --history` writes (findings/
    /// and scans/ in it).
    #[arg(value_name = "DIR")]
    pub location: String,
    /// text for people; json for the scans' records as data (an array, oldest first: each
    /// scan's time, snapshot, rule and waiver digests, scopes, counts and coverage).
    #[arg(long, value_enum, default_value = "text")]
    pub format: HistoryFormat,
    #[command(flatten)]
    pub templates: TemplateArgs,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    backup-auditor diff audit-history                                 # the last two scans\n  \
    backup-auditor diff audit-history 20261129T050000Z-1a2b3c4d      # that scan → the last\n  \
    backup-auditor diff audit-history A B --format csv > changes.csv  # one row per change")]
pub struct DiffArgs {
    /// The history: the directory `scan --history DIR` writes.
    #[arg(value_name = "DIR")]
    pub location: String,
    /// The earlier scan (a scan id, as `backup-auditor history DIR` lists them). Default: the
    /// scan before B.
    #[arg(value_name = "A")]
    pub from: Option<String>,
    /// The later scan. Default: the newest.
    #[arg(value_name = "B")]
    pub to: Option<String>,
    /// text for people; markdown for a pull request or job summary; json for the whole diff
    /// as data; csv for one row per finding that changed.
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiffFormat,
    #[command(flatten)]
    pub templates: TemplateArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Markdown,
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Snapshot directory (holds manifest.json).
    #[arg(value_name = "SNAPSHOT_DIR")]
    pub snapshot: PathBuf,
    /// The resource ARN (as in findings.csv).
    #[arg(value_name = "ARN")]
    pub arn: String,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub templates: TemplateArgs,
    /// text for people, json for the same story as data.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ExplainFormat,
    /// Tell the story before and after a planned change (ARN may then be the resource's
    /// address in the plan, or its logical id in the change set).
    #[command(flatten, next_help_heading = "Before it is applied")]
    pub planned: PlannedArgs,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules that would be loaded.
    List {
        /// Rule files or directories; default: the shipped policy.
        paths: Vec<PathBuf>,
    },
    /// Validate rule files and print every problem found.
    Check {
        /// Rule files or directories; default: the shipped policy.
        paths: Vec<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Total number of workload resources to generate.
    #[arg(long, default_value_t = 100_000)]
    pub resources: usize,
    /// Output snapshot directory (must not exist yet).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Seed of the generator: the same seed and size give the same snapshot.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

fn parse_as_of(s: &str) -> Result<Timestamp, String> {
    parse_timestamp(s)
        .ok_or_else(|| format!("{s:?} is not an RFC 3339 time such as 2026-11-27T05:00:00Z"))
}

/// A directory that exists, or else a scan id (`20261206T095000Z-1a2b3c4d`), or else a
/// directory (that `scan` will say is missing).
fn parse_baseline(s: &str) -> Result<BaselineArg, String> {
    let b = s.as_bytes();
    let scan_id = b.len() == 25
        && b[8] == b'T'
        && b[15] == b'Z'
        && b[16] == b'-'
        && b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit)
        && b[17..].iter().all(|c| c.is_ascii_hexdigit());
    if scan_id && !std::path::Path::new(s).is_dir() {
        Ok(BaselineArg::ScanId(s.to_owned()))
    } else {
        Ok(BaselineArg::Dir(PathBuf::from(s)))
    }
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| {
        let names: Vec<&str> = Severity::NAMES.iter().map(|(n, _)| *n).collect();
        format!(
            "unknown severity {s:?}: expected one of {}",
            names.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_is_consistent() {
        Cli::command().debug_assert();
    }

    /// `--help` teaches only if every argument and option says what it is.
    #[test]
    fn every_argument_has_a_description() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for a in cmd.get_arguments() {
                if !a.is_hide_set() && a.get_help().is_none() && a.get_long_help().is_none() {
                    missing.push(format!("{path} {}", a.get_id()));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "backup-auditor", &mut missing);
        assert!(missing.is_empty(), "no help text: {missing:?}");
    }

    #[test]
    fn a_baseline_is_a_scan_id_or_a_directory() {
        assert_eq!(
            parse_baseline("20261206T095000Z-1a2b3c4d"),
            Ok(BaselineArg::ScanId("20261206T095000Z-1a2b3c4d".into()))
        );
        for dir in [
            "backup-audit",
            "20261206T095000Z-1a2b3c4",
            "out/20261206T095000Z-1a2b3c4d",
        ] {
            assert_eq!(parse_baseline(dir), Ok(BaselineArg::Dir(dir.into())));
        }
    }
}
