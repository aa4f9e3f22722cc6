//! Live collection: the only networked, async part. It reads an AWS organisation through the
//! real SDK and writes a snapshot in exactly the format `scan` reads (see `crate::snapshot`).
//!
//! Accounts are entered with STS `AssumeRole`; every account-region is collected concurrently
//! under two limits (global, per account-region). An API that fails after the SDK's retries
//! marks only its file unavailable (a `partial` scope); an account that cannot be entered
//! marks its scopes `failed`. Either way the evaluation says NOT_ASSESSED, never PASS.

mod call;
mod credentials;
mod http;
mod inventory;
mod progress;
mod scope;
mod shapes;
mod write;

pub use call::{ApiError, SESSION_NAME};
pub use inventory::{select_expression, CONFIG_TYPES};

use crate::error::{Error, Result};
use crate::model::Arn;
use crate::snapshot::{FileError, ScopeStatus};
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use call::{AssumedRole, Caller, Limits, Observe};
use futures_util::future::join_all;
use progress::{Progress, Stats};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
pub use write::Target;
use write::{ScopeRecord, SnapshotWriter};

/// Every operation the collector can call, as `service:Operation` (the IAM action names).
/// All are List/Get/Describe/Select, but `sts:AssumeRole` (entering member accounts) and
/// `sts:GetCallerIdentity` (who am I). The shipped IAM policies grant exactly these.
pub const OPERATIONS: &[&str] = &[
    "account:ListRegions",
    "backup:DescribeRegionSettings",
    "backup:GetBackupPlan",
    "backup:GetBackupSelection",
    "backup:GetBackupVaultAccessPolicy",
    "backup:ListBackupJobs",
    "backup:ListBackupPlans",
    "backup:ListBackupSelections",
    "backup:ListBackupVaults",
    "backup:ListProtectedResources",
    "backup:ListRecoveryPointsByBackupVault",
    "config:DescribeConfigurationAggregatorSourcesStatus",
    "config:DescribeConfigurationRecorderStatus",
    "config:DescribeConfigurationRecorders",
    "config:SelectAggregateResourceConfig",
    "config:SelectResourceConfig",
    "fsx:DescribeFileSystems",
    "organizations:ListAccounts",
    "storagegateway:ListGateways",
    "storagegateway:ListTagsForResource",
    "storagegateway:ListVolumes",
    "sts:AssumeRole",
    "sts:GetCallerIdentity",
];

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

#[derive(Debug, Clone)]
pub enum Role {
    Name(String),
    /// An ARN with `{account}` in it.
    ArnTemplate(String),
}

#[derive(Debug, Clone)]
pub struct CollectOptions {
    pub profile: Option<String>,
    pub accounts: Accounts,
    pub exclude_accounts: Vec<String>,
    pub regions: Regions,
    pub role: Option<Role>,
    pub external_id: Option<String>,
    pub config_aggregator: Option<String>,
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

/// Collects into `target.out` (replaced atomically); blocks on its own tokio runtime.
pub fn collect(opts: &CollectOptions, target: &Target, quiet: bool) -> Result<CollectSummary> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(run(opts, target, quiet))
}

/// Longest wait to connect, unless `--api-timeout` is shorter.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest backoff between two attempts (the SDK's standard retry).
const MAX_BACKOFF: Duration = Duration::from_secs(20);

/// Bounds on every call, so an endpoint that accepts a connection and never answers (a proxy,
/// a black-holed VPC endpoint) cannot stall a collection: each attempt gets `--api-timeout`,
/// the operation every attempt and the longest backoffs between them. A healthy organisation
/// never reaches them: AWS answers a page in well under a second.
fn timeouts(opts: &CollectOptions) -> aws_config::timeout::TimeoutConfig {
    let attempts = opts.max_attempts.max(1);
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(opts.api_timeout.min(CONNECT_TIMEOUT))
        .operation_attempt_timeout(opts.api_timeout)
        .operation_timeout(opts.api_timeout * attempts + MAX_BACKOFF * (attempts - 1))
        .build()
}

/// Builds a client of one service with the collector's observer attached.
macro_rules! client {
    ($krate:ident, $conf:expr, $stats:expr) => {
        $krate::Client::from_conf(
            $krate::config::Builder::from($conf)
                .interceptor(Observe($stats.clone()))
                .build(),
        )
    };
}

struct Ctx {
    opts: CollectOptions,
    base: SdkConfig,
    home_region: Option<Region>,
    caller_account: String,
    partition: String,
    sts: aws_sdk_sts::Client,
    limits: Arc<Limits>,
    stats: Arc<Stats>,
    progress: Progress,
    aggregated: Option<std::result::Result<inventory::Aggregated, ApiError>>,
    bounds: scope::Bounds,
}

struct Account {
    id: String,
    name: Option<String>,
}

async fn run(opts: &CollectOptions, target: &Target<'_>, quiet: bool) -> Result<CollectSummary> {
    let started = Instant::now();
    let collected_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let stats = Arc::new(Stats::default());
    let progress = Progress::new(quiet);
    let retry = RetryConfig::standard()
        .with_max_attempts(opts.max_attempts)
        .with_initial_backoff(opts.initial_backoff);
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry)
        .timeout_config(timeouts(opts))
        .http_client(http::shared_client());
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    let loaded = loader.load().await;
    let home_region = loaded.region().cloned();
    // Both checked before any call: without them every call would fail, slowly and obscurely.
    if opts.regions == Regions::Configured && home_region.is_none() {
        return Err(Error::Usage(
            "no region: set AWS_REGION, use a profile with a region, or pass --regions".into(),
        ));
    }
    credentials::check(loaded.credentials_provider().as_ref()).await?;
    // STS, Organizations and Account need some region even when the scan lists its own.
    let base = loaded
        .to_builder()
        .region(
            home_region
                .clone()
                .unwrap_or(Region::from_static("us-east-1")),
        )
        .build();
    let limits = Arc::new(Limits {
        global: tokio::sync::Semaphore::new(opts.concurrency.max(1)),
        per_scope: opts.scope_concurrency.max(1),
    });
    let home = Caller::new(limits.clone(), None, stats.clone());
    let sts = client!(aws_sdk_sts, &base, stats);
    let who = home
        .call(|| sts.get_caller_identity().send())
        .await
        .map_err(|e| {
            Error::Usage(format!(
                "cannot identify the caller (sts:GetCallerIdentity): {e}"
            ))
        })?;
    let caller_account = who.account.unwrap_or_default();
    let partition = who
        .arn
        .as_deref()
        .and_then(Arn::parse)
        .map(|a| a.partition())
        .unwrap_or("aws")
        .to_string();
    progress.note(&format!(
        "collecting as {} (account {caller_account})",
        who.arn.as_deref().unwrap_or("?")
    ));

    let accounts = resolve_accounts(opts, &base, &home, &stats, &caller_account).await?;
    if accounts.iter().any(|a| a.id != caller_account) && opts.role.is_none() {
        return Err(Error::Usage(
            "entering other accounts needs --role-name or --role-arn-template".into(),
        ));
    }
    let aggregated = match &opts.config_aggregator {
        Some(name) => {
            let config = client!(aws_sdk_config, &base, stats);
            Some(inventory::aggregated_items(&home, &config, name).await)
        }
        None => None,
    };
    let now = aws_smithy_types::DateTime::from_secs(chrono::Utc::now().timestamp());
    let bounds = scope::Bounds {
        recovery_points_since: opts
            .recovery_points_since
            .map(|t| aws_smithy_types::DateTime::from_secs(t.timestamp())),
        backup_jobs_since: aws_smithy_types::DateTime::from_secs(
            now.secs() - i64::from(opts.backup_jobs_days) * 86_400,
        ),
    };
    let ctx = Ctx {
        opts: opts.clone(),
        base,
        home_region,
        caller_account,
        partition,
        sts,
        limits,
        stats: stats.clone(),
        progress,
        aggregated,
        bounds,
    };
    let ctx = Arc::new(ctx);
    let writer = Arc::new(SnapshotWriter::create(target)?);
    // One task per account, so the runtime's workers share the SDK's per-call CPU work;
    // polled inside this one future, it all ran on a single thread.
    let tasks = accounts.into_iter().map(|a| {
        let (ctx, writer) = (ctx.clone(), writer.clone());
        tokio::spawn(async move { account_scopes(&ctx, &writer, &a).await })
    });
    let per_account = join_all(tasks).await;
    ctx.progress.finish();
    let mut records: Vec<ScopeRecord> = Vec::new();
    for r in per_account {
        let r = r.map_err(|e| Error::Usage(format!("a collection task failed: {e}")))?;
        records.extend(r?);
    }
    let writer = Arc::into_inner(writer).expect("every collection task has finished");
    records.sort_by(|a, b| (&a.account_id, &a.region).cmp(&(&b.account_id, &b.region)));
    let count = |s: ScopeStatus| records.iter().filter(|r| r.status == s).count();
    let summary = CollectSummary {
        scopes: records.len(),
        complete: count(ScopeStatus::Complete),
        partial: count(ScopeStatus::Partial),
        failed: count(ScopeStatus::Failed),
        calls: stats.calls(),
        attempts: stats.attempts(),
        errors: stats.errors(),
        operations: stats.operations(),
        elapsed: started.elapsed(),
    };
    writer.finish(&collected_at, &records)?;
    Ok(summary)
}

async fn resolve_accounts(
    opts: &CollectOptions,
    base: &SdkConfig,
    home: &Caller,
    stats: &Arc<Stats>,
    caller_account: &str,
) -> Result<Vec<Account>> {
    let mut accounts = match &opts.accounts {
        Accounts::Caller => vec![Account {
            id: caller_account.to_string(),
            name: None,
        }],
        Accounts::List(ids) => ids
            .iter()
            .map(|id| Account {
                id: id.clone(),
                name: None,
            })
            .collect(),
        Accounts::All => {
            let org = client!(aws_sdk_organizations, base, stats);
            let listed = home
                .all_pages(
                    |t| org.list_accounts().set_next_token(t).send(),
                    |o| (o.accounts.unwrap_or_default(), o.next_token),
                )
                .await
                .map_err(|e| {
                    Error::Usage(format!(
                        "cannot list the organisation's accounts (organizations:ListAccounts; \
                         run from the management or a delegated administrator account): {e}"
                    ))
                })?;
            listed
                .into_iter()
                .filter(|a| {
                    // `State` replaces the deprecated `Status`; either says ACTIVE.
                    match (&a.state, &a.status) {
                        (Some(s), _) => s.as_str() == "ACTIVE",
                        (None, Some(s)) => s.as_str() == "ACTIVE",
                        (None, None) => false,
                    }
                })
                .filter_map(|a| {
                    Some(Account {
                        id: a.id?,
                        name: a.name,
                    })
                })
                .collect()
        }
    };
    let excluded: BTreeSet<&str> = opts.exclude_accounts.iter().map(String::as_str).collect();
    accounts.retain(|a| !excluded.contains(a.id.as_str()));
    let mut seen = BTreeSet::new();
    accounts.retain(|a| seen.insert(a.id.clone()));
    Ok(accounts)
}

fn role_arn(ctx: &Ctx, account: &str) -> String {
    match &ctx.opts.role {
        Some(Role::ArnTemplate(t)) => t.replace("{account}", account),
        Some(Role::Name(n)) => format!("arn:{}:iam::{account}:role/{n}", ctx.partition),
        None => String::new(),
    }
}

/// Shares one [`AssumedRole`] between the clients of an account's regions.
#[derive(Debug, Clone)]
struct RoleProvider(Arc<AssumedRole>);

impl ProvideCredentials for RoleProvider {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        self.0.provide_credentials()
    }
}

fn failed(account: &Account, region: &str, why: &ApiError) -> ScopeRecord {
    ScopeRecord {
        account_id: account.id.clone(),
        account_name: account.name.clone(),
        region: region.to_string(),
        status: ScopeStatus::Failed,
        error: Some(why.to_string()),
        files: BTreeMap::new(),
        errors: Vec::new(),
    }
}

/// Regions named up front, or `*` when they would have had to be listed from the account.
fn known_regions(ctx: &Ctx) -> Vec<String> {
    match &ctx.opts.regions {
        Regions::List(r) => r.clone(),
        Regions::Configured => ctx.home_region.iter().map(|r| r.to_string()).collect(),
        Regions::All => vec!["*".into()],
    }
}

async fn account_scopes(
    ctx: &Ctx,
    writer: &SnapshotWriter,
    account: &Account,
) -> Result<Vec<ScopeRecord>> {
    let role = (account.id != ctx.caller_account).then(|| {
        Arc::new(AssumedRole::new(
            ctx.sts.clone(),
            role_arn(ctx, &account.id),
            ctx.opts.external_id.clone(),
            ctx.stats.clone(),
        ))
    });
    let give_up = |why: ApiError| -> Vec<ScopeRecord> {
        // The account's own work (entering it, listing its regions) is its scopes' work.
        let own = Stats::within(ctx.stats.clone());
        own.failed(1);
        let records: Vec<_> = known_regions(ctx)
            .iter()
            .map(|r| failed(account, r, &why))
            .collect();
        ctx.progress.add_scopes(records.len() as u64);
        for r in &records {
            ctx.progress.scope_done(
                &own,
                &ctx.stats,
                &format!("{} {}: failed: {why}", account.id, r.region),
            );
        }
        records
    };
    let credentials = match &role {
        Some(r) => {
            if let Err(e) = r.credentials().await {
                return Ok(give_up(e));
            }
            SharedCredentialsProvider::new(RoleProvider(r.clone()))
        }
        None => match ctx.base.credentials_provider() {
            Some(p) => p,
            None => {
                return Ok(give_up(ApiError {
                    code: None,
                    message: "no credentials configured".into(),
                }))
            }
        },
    };
    let account_conf = |region: &str| {
        let mut b = ctx
            .base
            .to_builder()
            .region(Region::new(region.to_string()))
            .credentials_provider(credentials.clone());
        if role.is_some() {
            // The role caches and refreshes its own credentials; an SDK cache on top would
            // keep serving credentials a service has just rejected as expired.
            b = b.identity_cache(aws_sdk_backup::config::IdentityCache::no_cache());
        }
        b.build()
    };
    let caller = Caller::new(ctx.limits.clone(), role.clone(), ctx.stats.clone());
    let regions = match &ctx.opts.regions {
        Regions::All => {
            let conf = account_conf(ctx.base.region().map(|r| r.as_ref()).unwrap_or("us-east-1"));
            let acct = client!(aws_sdk_account, &conf, ctx.stats);
            let listed = caller
                .all_pages(
                    |t| {
                        acct.list_regions()
                            .region_opt_status_contains(
                                aws_sdk_account::types::RegionOptStatus::Enabled,
                            )
                            .region_opt_status_contains(
                                aws_sdk_account::types::RegionOptStatus::EnabledByDefault,
                            )
                            .set_next_token(t)
                            .send()
                    },
                    |o| (o.regions.unwrap_or_default(), o.next_token),
                )
                .await;
            match listed {
                Ok(r) => r.into_iter().filter_map(|r| r.region_name).collect(),
                Err(e) => return Ok(give_up(e)),
            }
        }
        _ => known_regions(ctx),
    };
    ctx.progress.add_scopes(regions.len() as u64);
    let (account_conf, role) = (&account_conf, &role);
    join_all(regions.iter().map(|region| async move {
        let conf = account_conf(region);
        // This account-region's own counters, for its progress line.
        let stats = Arc::new(Stats::within(ctx.stats.clone()));
        let clients = scope::Clients {
            backup: client!(aws_sdk_backup, &conf, stats),
            config: client!(aws_sdk_config, &conf, stats),
            storage_gateway: client!(aws_sdk_storagegateway, &conf, stats),
            fsx: client!(aws_sdk_fsx, &conf, stats),
        };
        let inventory = match &ctx.aggregated {
            None => scope::Inventory::Config,
            Some(agg) => scope::Inventory::Aggregated(aggregated_slice(agg, &account.id, region)),
        };
        let caller = Caller::new(ctx.limits.clone(), role.clone(), stats.clone());
        let got = scope::collect(
            &caller,
            &clients,
            (&account.id, region),
            inventory,
            &ctx.bounds,
        )
        .await;
        let mut record = to_record(account, region, got);
        // Written now, on a blocking thread, so the data is not held until the end.
        let files = std::mem::take(&mut record.files);
        let written = if record.status == ScopeStatus::Failed {
            Ok(())
        } else {
            let dir = writer.scope_dir(&record);
            tokio::task::spawn_blocking(move || write::write_scope_files(&dir, &files))
                .await
                .unwrap_or_else(|e| Err(Error::Usage(format!("snapshot writer failed: {e}"))))
        };
        stats.failed(
            record
                .errors
                .len()
                .max(usize::from(record.status == ScopeStatus::Failed)),
        );
        let what = match (&record.status, &record.error) {
            (ScopeStatus::Failed, Some(e)) => format!("failed: {e}"),
            (ScopeStatus::Partial, _) => {
                let files: Vec<String> = record.errors.iter().map(FileError::what).collect();
                format!("partial: could not read {}", files.join(", "))
            }
            _ => "complete".into(),
        };
        ctx.progress.scope_done(
            &stats,
            &ctx.stats,
            &format!("{} {region}: {what}", account.id),
        );
        written.map(|()| record)
    }))
    .await
    .into_iter()
    .collect()
}

fn aggregated_slice(
    agg: &std::result::Result<inventory::Aggregated, ApiError>,
    account: &str,
    region: &str,
) -> std::result::Result<Vec<serde_json::Value>, ApiError> {
    let agg = agg.as_ref().map_err(Clone::clone)?;
    let key = (account.to_string(), region.to_string());
    if let Some(why) = agg.failed_sources.get(&key) {
        return Err(ApiError {
            code: None,
            message: why.clone(),
        });
    }
    if !agg.covered.contains(&key) {
        return Err(ApiError {
            code: Some("NotAnAggregatorSource".into()),
            message: "the Config aggregator does not cover this account-region, so its inventory is unknown".into(),
        });
    }
    Ok(agg.items.get(&key).cloned().unwrap_or_default())
}

fn to_record(account: &Account, region: &str, got: scope::ScopeFiles) -> ScopeRecord {
    let errors: Vec<FileError> = got
        .errors
        .iter()
        .map(|f| FileError {
            file: f.file.file_name().to_string(),
            types: f.types.iter().map(|t| t.to_string()).collect(),
            error: f.error.to_string(),
        })
        .collect();
    let (status, error) = if got.files.is_empty() && !errors.is_empty() {
        // Nothing could be read: the scope failed, for the reason its first file gives.
        (ScopeStatus::Failed, Some(errors[0].error.clone()))
    } else if errors.is_empty() {
        (ScopeStatus::Complete, None)
    } else {
        (ScopeStatus::Partial, None)
    };
    ScopeRecord {
        account_id: account.id.clone(),
        account_name: account.name.clone(),
        region: region.to_string(),
        status,
        error,
        files: got.files,
        errors: if status == ScopeStatus::Failed {
            Vec::new()
        } else {
            errors
        },
    }
}
