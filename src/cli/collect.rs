//! `collect`'s options, which `scan --live` shares (and `--security-hub` their credentials):
//! accounts, regions, roles, inventory sources and the bounds on every call, checked into the
//! collector's options.

use crate::snapshot::time::{parse_timestamp, Timestamp};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(
    after_help = "Credentials and endpoints come the AWS way: environment variables, \
    --profile or AWS_PROFILE, SSO, web identity, instance roles; AWS_ENDPOINT_URL (and \
    AWS_ENDPOINT_URL_<SERVICE>) redirect the calls. The collector only calls List, Get, \
    Describe and Select operations (plus sts:AssumeRole); iam/ in the repository holds the \
    least-privilege policies.\n\nExamples:\n  \
    backup-auditor collect --out snap                                   # this account, AWS_REGION\n  \
    backup-auditor collect --out snap --accounts all --regions all --role-name BackupAuditor\n  \
    backup-auditor scan --live --accounts all --role-name BackupAuditor --regions us-east-1,eu-west-1"
)]
pub struct CollectCmd {
    /// Snapshot directory to write (replaced atomically if it holds an older snapshot that
    /// backup-auditor collected, and nothing else).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Replace --out even if backup-auditor did not collect it, or it holds files its
    /// snapshot mark does not list (they are deleted with it).
    #[arg(long)]
    pub force: bool,
    /// Read only shard I of N of the accounts (e.g. 2/4): a stable, balanced share by a hash
    /// of the account id, so that N machines collect an organisation in parallel. Each
    /// shard's snapshot is scanned on its own; `backup-auditor merge` joins their reports.
    /// Copy destinations in other shards' accounts are not in a shard's snapshot: their locks
    /// and policies are unchecked, and the findings say so.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<crate::shard::Shard>,
    #[command(flatten, next_help_heading = "Collection")]
    pub collect: CollectArgs,
}

/// Collection options; each command that has them names their help heading.
#[derive(Debug, Args, Clone)]
pub struct CollectArgs {
    /// Named profile from ~/.aws/config (default: AWS_PROFILE, then the default chain).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Accounts to read: `all` (the organisation's ACTIVE accounts) or a comma-separated
    /// list. Default: the caller's own account.
    #[arg(long, value_name = "all|ID,...")]
    pub accounts: Option<String>,
    /// Accounts to leave out (comma-separated).
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    pub exclude_accounts: Vec<String>,
    /// The shard to read (`collect --shard`, or `scan --live --shard`): set by the command.
    #[arg(skip)]
    pub shard: Option<crate::shard::Shard>,
    /// Regions: `all` (those enabled in each account) or a comma-separated list. Default: the
    /// configured region (AWS_REGION or the profile's).
    #[arg(long, value_name = "all|REGION,...")]
    pub regions: Option<String>,
    /// Role to assume in each other account, by name (arn:PARTITION:iam::ACCOUNT:role/NAME).
    #[arg(long, value_name = "NAME", conflicts_with = "role_arn_template")]
    pub role_name: Option<String>,
    /// Role ARN with {account} in it, e.g. 'arn:aws:iam::{account}:role/audit/BackupAuditor'.
    #[arg(long, value_name = "ARN")]
    pub role_arn_template: Option<String>,
    /// External ID the member roles require.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,
    /// Read the inventory of every account from this AWS Config aggregator (in the caller's
    /// account and region) instead of each account-region's own Config.
    #[arg(long, value_name = "NAME")]
    pub config_aggregator: Option<String>,
    /// Where each resource type's inventory comes from in each account-region: `config`
    /// (AWS Config only; a type its recorder does not record is NOT ASSESSED), `direct` (the
    /// type's own API wherever the collector has one: S3 buckets today; Config for the rest)
    /// or `auto` (Config for the types it records, the type's own API for the others).
    #[arg(long, value_enum, value_name = "SOURCE", default_value_t = InventoryArg::Auto)]
    pub inventory: InventoryArg,
    /// Only recovery points created after this: a number of days (`35` or `35d`) or an RFC
    /// 3339 time.
    #[arg(long, value_name = "DAYS|RFC3339", value_parser = parse_since)]
    pub recovery_points_since: Option<Timestamp>,
    /// How many days of backup jobs to read.
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    pub backup_jobs_days: u32,
    /// Most API calls in flight at once, over all accounts and regions.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub concurrency: usize,
    /// Most API calls in flight at once in one account-region (AWS throttles per account and
    /// region; see the README).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub scope_concurrency: usize,
    /// Attempts per API call, first try included (the SDK backs off exponentially between).
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub max_attempts: u32,
    /// Seconds to wait for one attempt of an API call (connecting, sending, the whole answer)
    /// before giving up on it; the SDK retries it up to --max-attempts times. A call still
    /// unanswered makes its file unreadable (NOT_ASSESSED), naming the call.
    #[arg(long, value_name = "SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub api_timeout: u64,
    /// First retry backoff in milliseconds (tests shorten it).
    #[arg(long, value_name = "MS", default_value_t = 1000, hide = true)]
    pub retry_initial_backoff_ms: u64,
}

/// `--inventory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InventoryArg {
    Config,
    Direct,
    Auto,
}

impl CollectArgs {
    /// The collector's options, checked.
    pub fn options(&self) -> Result<crate::collect::CollectOptions, String> {
        use crate::collect::{Accounts, CollectOptions, InventoryMode, Regions, Role};
        let list = |s: &str| -> Vec<String> {
            s.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        };
        let accounts = match self.accounts.as_deref() {
            None => Accounts::Caller,
            Some("all") => Accounts::All,
            Some(s) => {
                let ids = list(s);
                if let Some(bad) = ids
                    .iter()
                    .find(|id| id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()))
                {
                    return Err(format!(
                        "--accounts: {bad:?} is not a 12-digit account ID (or use `all`)"
                    ));
                }
                Accounts::List(ids)
            }
        };
        let regions = match self.regions.as_deref() {
            None => Regions::Configured,
            Some("all") => Regions::All,
            Some(s) => {
                let regions = list(s);
                // Each becomes a directory of the snapshot, so it must not be a path.
                if let Some(why) = regions
                    .iter()
                    .find_map(|r| crate::snapshot::names::region_shape_problem(r))
                {
                    return Err(format!("--regions: {why} (or use `all`)"));
                }
                Regions::List(regions)
            }
        };
        let role = match (&self.role_name, &self.role_arn_template) {
            (Some(n), _) => Some(Role::Name(n.clone())),
            (None, Some(t)) if !t.contains("{account}") => {
                return Err(format!(
                    "--role-arn-template {t:?} has no {{account}} in it"
                ))
            }
            (None, Some(t)) => Some(Role::ArnTemplate(t.clone())),
            (None, None) => None,
        };
        Ok(CollectOptions {
            profile: self.profile.clone(),
            accounts,
            exclude_accounts: self.exclude_accounts.clone(),
            shard: self.shard,
            regions,
            role,
            external_id: self.external_id.clone(),
            config_aggregator: self.config_aggregator.clone(),
            inventory: match self.inventory {
                InventoryArg::Config => InventoryMode::Config,
                InventoryArg::Direct => InventoryMode::Direct,
                InventoryArg::Auto => InventoryMode::Auto,
            },
            recovery_points_since: self.recovery_points_since,
            backup_jobs_days: self.backup_jobs_days,
            concurrency: self.concurrency,
            scope_concurrency: self.scope_concurrency,
            max_attempts: self.max_attempts.max(1),
            initial_backoff: std::time::Duration::from_millis(self.retry_initial_backoff_ms),
            api_timeout: std::time::Duration::from_secs(self.api_timeout),
        })
    }
}

fn parse_since(s: &str) -> Result<Timestamp, String> {
    if let Ok(days) = s.strip_suffix('d').unwrap_or(s).parse::<u32>() {
        return Ok(chrono::Utc::now() - chrono::Duration::days(days.into()));
    }
    parse_timestamp(s).ok_or_else(|| {
        format!("{s:?} is neither a number of days like 35 or 35d nor an RFC 3339 time")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_points_since_takes_days_with_or_without_d_or_a_time() {
        let days_ago = |t: Timestamp| (chrono::Utc::now() - t).num_days();
        assert_eq!(parse_since("35").map(days_ago), Ok(35));
        assert_eq!(parse_since("35d").map(days_ago), Ok(35));
        let t = parse_since("2026-10-01T00:00:00Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-10-01T00:00:00+00:00");
        let err = parse_since("35 days").unwrap_err();
        assert!(err.contains("number of days like 35"), "{err}");
    }
}
