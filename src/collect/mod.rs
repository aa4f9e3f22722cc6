//! Live collection: the only networked, async part. It reads an AWS organisation through the
//! real SDK and writes a snapshot in exactly the format `scan` reads (see `crate::snapshot`).
//!
//! Accounts are entered with STS `AssumeRole`; every account-region is collected concurrently
//! under two limits (global, per account-region). An API that fails after the SDK's retries
//! marks only its file unavailable (a `partial` scope); an account that cannot be entered
//! marks its scopes `failed`. Either way the evaluation says NOT_ASSESSED, never PASS.

/// Builds a client of one service with the collector's observer attached.
macro_rules! client {
    ($krate:ident, $conf:expr, $stats:expr) => {
        $krate::Client::from_conf(
            $krate::config::Builder::from($conf)
                .interceptor($crate::collect::call::Observe($stats.clone()))
                .build(),
        )
    };
}

mod access_points;
mod accounts;
mod call;
mod credentials;
mod http;
mod iam_roles;
mod inventory;
mod kms;
mod options;
mod organization;
mod progress;
mod region;
mod restore;
mod scope;
mod setup;
mod shapes;
mod tiering;
mod write;

pub use call::{ApiError, SESSION_NAME};
// What `--security-hub` (src/export) shares with collection: the configuration, the
// credentials check and the member accounts' roles.
pub(crate) use call::AssumedRole;
pub(crate) use credentials::check as check_credentials;
pub use iam_roles::role_json;
pub use inventory::{direct_operations, select_expression, CONFIG_TYPES};
pub use options::{Accounts, CollectOptions, CollectSummary, InventoryMode, Regions, Role};
pub(crate) use progress::Stats;
pub(crate) use setup::load as load_config;
pub use write::Target;

use crate::error::{Error, Result};
use crate::snapshot::ScopeStatus;
use call::{Caller, Limits};
use futures_util::future::join_all;
use options::Account;
use progress::Progress;
use setup::Ctx;
use std::sync::Arc;
use std::time::Instant;
use write::{ScopeRecord, SnapshotWriter};

/// The operations of `--security-hub` (src/export), apart from the read-only collection's:
/// it writes findings into Security Hub, and reads back the ones it wrote before so as to
/// archive those that no longer fail. Granted only by iam/security-hub-import-policy.json.
pub const WRITE_OPERATIONS: &[&str] =
    &["securityhub:BatchImportFindings", "securityhub:GetFindings"];

/// Every operation the collector can call, as `service:Operation` (the IAM action names).
/// All are List/Get/Describe/Select, but `sts:AssumeRole` (entering member accounts) and
/// `sts:GetCallerIdentity` (who am I). The shipped IAM policies grant exactly these.
pub const OPERATIONS: &[&str] = &[
    "account:ListRegions",
    "backup:DescribeBackupVault",
    "backup:DescribeGlobalSettings",
    "backup:DescribeRegionSettings",
    "backup:GetBackupPlan",
    "backup:GetBackupSelection",
    "backup:GetBackupVaultAccessPolicy",
    "backup:GetRestoreTestingPlan",
    "backup:GetRestoreTestingSelection",
    "backup:GetTieringConfiguration",
    "backup:ListBackupAccessPoints",
    "backup:ListBackupJobs",
    "backup:ListCopyJobs",
    "backup:ListBackupPlans",
    "backup:ListBackupSelections",
    "backup:ListBackupVaults",
    "backup:ListProtectedResources",
    "backup:ListRecoveryPointsByBackupVault",
    "backup:ListRestoreJobs",
    "backup:ListRestoreTestingPlans",
    "backup:ListRestoreTestingSelections",
    "backup:ListTieringConfigurations",
    "config:DescribeConfigurationAggregatorSourcesStatus",
    "config:DescribeConfigurationRecorderStatus",
    "config:DescribeConfigurationRecorders",
    "config:SelectAggregateResourceConfig",
    "config:SelectResourceConfig",
    "dynamodb:DescribeTable",
    "dynamodb:ListTables",
    "dynamodb:ListTagsOfResource",
    "ec2:DescribeInstances",
    "ec2:DescribeVolumes",
    "efs:DescribeFileSystems",
    "eks:DescribeCluster",
    "eks:ListClusters",
    "fsx:DescribeFileSystems",
    "iam:GetRole",
    "kms:ListAliases",
    "organizations:DescribeOrganization",
    "organizations:ListAccounts",
    "organizations:ListAccountsWithInvalidEffectivePolicy",
    "organizations:ListEffectivePolicyValidationErrors",
    "rds:DescribeDBClusters",
    "rds:DescribeDBInstances",
    "redshift:DescribeClusters",
    "s3:GetBucketTagging",
    "s3:GetBucketVersioning",
    "s3:ListBuckets",
    "storagegateway:ListGateways",
    "storagegateway:ListTagsForResource",
    "storagegateway:ListVolumes",
    "sts:AssumeRole",
    "sts:GetCallerIdentity",
];

/// The IAM action that allows operation `op` of [`OPERATIONS`]: its own name but for
/// S3's `ListBuckets`, which IAM calls `s3:ListAllMyBuckets`.
pub fn iam_action(op: &str) -> &str {
    match op {
        "s3:ListBuckets" => "s3:ListAllMyBuckets",
        // The SDK crate is `aws-sdk-efs`; IAM's prefix is the signing name.
        "efs:DescribeFileSystems" => "elasticfilesystem:DescribeFileSystems",
        other => other,
    }
}

/// Collects into `target.out` (replaced atomically); blocks on its own tokio runtime.
pub fn collect(opts: &CollectOptions, target: &Target, quiet: bool) -> Result<CollectSummary> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(run(opts, target, quiet))
}

/// A collection, stage by stage. Everything that can fail for the whole run (no region, no
/// credentials, an unknown caller, accounts that cannot be listed or entered without a role)
/// fails before the first account is entered; after that, a failure costs only its scope.
async fn run(opts: &CollectOptions, target: &Target<'_>, quiet: bool) -> Result<CollectSummary> {
    let started = Instant::now();
    let collected_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let stats = Arc::new(Stats::default());
    let progress = Progress::new(quiet);
    let (base, home_region) = setup::sdk_config(opts).await?;
    let limits = Arc::new(Limits {
        global: tokio::sync::Semaphore::new(opts.concurrency.max(1)),
        per_scope: opts.scope_concurrency.max(1),
    });
    let home = Caller::new(limits.clone(), None, stats.clone());
    let sts = client!(aws_sdk_sts, &base, stats);
    let caller = setup::identify(&home, &sts, &progress).await?;
    let accounts = accounts::resolve(opts, &base, &home, &stats, &caller.account).await?;
    setup::check_role(opts, &accounts, &caller.account)?;
    let aggregated = setup::aggregated(opts, &base, &home, &stats).await;
    let organization = organization::organization(&base, &home, &stats, &progress).await;
    let ctx = Arc::new(Ctx {
        opts: opts.clone(),
        base,
        home_region,
        caller_account: caller.account,
        partition: caller.partition,
        sts,
        limits,
        stats: stats.clone(),
        progress,
        aggregated,
        bounds: setup::bounds(opts),
    });
    let writer = Arc::new(SnapshotWriter::create(target)?);
    let records = every_account(&ctx, &writer, accounts).await?;
    let writer = Arc::into_inner(writer).expect("every collection task has finished");
    let summary = summarise(&records, &stats, started);
    let written = write::Written {
        collected_at: &collected_at,
        windows: ctx.bounds.windows(),
        shard: opts.shard,
    };
    writer.finish(&written, &records, &organization)?;
    Ok(summary)
}

/// Collects every account, one task each, so the runtime's workers share the SDK's per-call
/// CPU work (polled inside one future, it all ran on a single thread). The records come back
/// in account-region order.
async fn every_account(
    ctx: &Arc<Ctx>,
    writer: &Arc<SnapshotWriter>,
    accounts: Vec<Account>,
) -> Result<Vec<ScopeRecord>> {
    let tasks = accounts.into_iter().map(|a| {
        let (ctx, writer) = (ctx.clone(), writer.clone());
        tokio::spawn(async move { accounts::scopes(&ctx, &writer, &a).await })
    });
    let per_account = join_all(tasks).await;
    ctx.progress.finish();
    let mut records: Vec<ScopeRecord> = Vec::new();
    for r in per_account {
        let r = r.map_err(|e| Error::Usage(format!("a collection task failed: {e}")))?;
        records.extend(r?);
    }
    records.sort_by(|a, b| (&a.account_id, &a.region).cmp(&(&b.account_id, &b.region)));
    Ok(records)
}

/// What the collection did, for the closing line and the benchmark.
fn summarise(records: &[ScopeRecord], stats: &Stats, started: Instant) -> CollectSummary {
    let count = |s: ScopeStatus| records.iter().filter(|r| r.status == s).count();
    CollectSummary {
        scopes: records.len(),
        complete: count(ScopeStatus::Complete),
        partial: count(ScopeStatus::Partial),
        failed: count(ScopeStatus::Failed),
        calls: stats.calls(),
        attempts: stats.attempts(),
        errors: stats.errors(),
        operations: stats.operations(),
        elapsed: started.elapsed(),
    }
}
