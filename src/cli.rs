//! Command-line arguments. Help text teaches; validation happens here, not deep inside.

use crate::rules::Severity;
use crate::snapshot::time::{parse_timestamp, Timestamp};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

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
        backup-auditor explain samples/org arn:aws:ec2:us-east-1:111111111111:volume/vol-0a1b2c3d4e5f60001\n  \
        backup-auditor rules check my-rules/                  # validate rule files, all problems at once\n\n\
        Exit codes: 0 ok, 1 failures at or above --fail-on, 2 usage or input error,\n\
        3 something could not be assessed while --fail-on is set."
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
    /// Evaluate a snapshot against the rules and write findings and summaries.
    Scan(ScanArgs),
    /// Tell the whole story of one resource: every selection, rule, recovery point and verdict.
    Explain(ExplainArgs),
    /// List or validate rule files.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Write a synthetic organisation snapshot (for benchmarks and load tests).
    Synth(SynthArgs),
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
    /// explain.txt.j2, summary.md.j2, report.html.j2, html/*.j2, html/style.css, html/app.js).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Snapshot directory (holds manifest.json).
    #[arg(value_name = "SNAPSHOT_DIR")]
    pub snapshot: PathBuf,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub templates: TemplateArgs,
    /// Where to write findings.csv, summary.csv and findings.json.
    #[arg(long, value_name = "DIR", default_value = "backup-audit")]
    pub out: PathBuf,
    /// Outputs to write (comma-separated): html = report.html, csv = findings.csv +
    /// summary.csv, json = findings.json, junit = junit.xml, markdown = summary.md,
    /// ocsf = findings.ocsf.json.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "html,csv,json"
    )]
    pub format: Vec<Format>,
    /// Exit 1 if an unwaived FAIL at or above this severity exists (and 3 if something could
    /// not be assessed). Default: never fail.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Html,
    Csv,
    Json,
    Junit,
    Markdown,
    Ocsf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    #[arg(value_name = "SNAPSHOT_DIR")]
    pub snapshot: PathBuf,
    /// The resource ARN (as in findings.csv).
    #[arg(value_name = "ARN")]
    pub arn: String,
    #[command(flatten)]
    pub policy: PolicyArgs,
    #[command(flatten)]
    pub templates: TemplateArgs,
    #[arg(long, value_enum, default_value = "text")]
    pub format: ExplainFormat,
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
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

fn parse_as_of(s: &str) -> Result<Timestamp, String> {
    parse_timestamp(s)
        .ok_or_else(|| format!("{s:?} is not an RFC 3339 time such as 2026-11-27T05:00:00Z"))
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
