//! What a collection is asked to do (the `collect` command's options) and what it reports
//! when done.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accounts {
    /// The account of the caller's credentials.
    Caller,
    /// Every ACTIVE account of the organisation (Organizations `ListAccounts`).
    All,
    List(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Regions {
    /// The region configured the AWS way (`AWS_REGION`, the profile).
    Configured,
    /// The regions enabled in each account (Account `ListRegions`).
    All,
    List(Vec<String>),
}

/// `--inventory`: where each resource type's inventory comes from in an account-region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InventoryMode {
    /// AWS Config only: a type its recorder does not record is unknown (NOT_ASSESSED).
    Config,
    /// Each type's own API wherever the collector has one; Config for the others.
    Direct,
    /// Config for the types its recorder records, each type's own API for the rest.
    #[default]
    Auto,
}

#[derive(Debug, Clone)]
pub enum Role {
    Name(String),
    /// An ARN with `{account}` in it.
    ArnTemplate(String),
}

impl Role {
    /// The role's ARN in `account` (`partition`: the caller's).
    pub fn arn(&self, partition: &str, account: &str) -> String {
        match self {
            Role::ArnTemplate(t) => t.replace("{account}", account),
            Role::Name(n) => format!("arn:{partition}:iam::{account}:role/{n}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct CollectOptions {
    pub profile: Option<String>,
    pub accounts: Accounts,
    pub exclude_accounts: Vec<String>,
    /// Only the accounts of this shard (`--shard I/N`), after the others are resolved.
    pub shard: Option<crate::shard::Shard>,
    pub regions: Regions,
    pub role: Option<Role>,
    pub external_id: Option<String>,
    pub config_aggregator: Option<String>,
    pub inventory: InventoryMode,
    pub recovery_points_since: Option<chrono::DateTime<chrono::Utc>>,
    pub backup_jobs_days: u32,
    pub concurrency: usize,
    pub scope_concurrency: usize,
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    /// Longest wait for one attempt of an API call (`--api-timeout`).
    pub api_timeout: Duration,
}

/// What a collection did, for the closing line and the benchmark.
#[derive(Debug, Clone)]
pub struct CollectSummary {
    pub scopes: usize,
    pub complete: usize,
    pub partial: usize,
    pub failed: usize,
    pub calls: u64,
    pub attempts: u64,
    pub errors: u64,
    pub operations: Vec<String>,
    pub elapsed: Duration,
}

/// An account to enter: its id, and its name where the organisation says it.
pub struct Account {
    pub id: String,
    pub name: Option<String>,
}
