//! The accounts a collection enters, and each account's work: enter it (assuming its role
//! unless it is the caller's), find its regions, and collect every region at once. An
//! account that cannot be entered, or whose regions cannot be listed, fails all its scopes.

use super::call::{ApiError, AssumedRole, Caller};
use super::iam_roles::AccountRoles;
use super::options::{Account, Accounts, CollectOptions, Regions};
use super::progress::Stats;
use super::region;
use super::setup::Ctx;
use super::write::{ScopeRecord, SnapshotWriter};
use crate::error::{Error, Result};
use aws_config::{Region, SdkConfig};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use futures_util::future::join_all;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The accounts to enter: the caller's, the listed ones, or the organisation's active ones;
/// less the excluded ones and those of other shards, each once.
pub async fn resolve(
    opts: &CollectOptions,
    base: &SdkConfig,
    home: &Caller,
    stats: &Arc<Stats>,
    caller_account: &str,
) -> Result<Vec<Account>> {
    let unnamed = |id: &str| Account {
        id: id.to_string(),
        name: None,
    };
    let mut accounts = match &opts.accounts {
        Accounts::Caller => vec![unnamed(caller_account)],
        Accounts::List(ids) => ids.iter().map(|id| unnamed(id)).collect(),
        Accounts::All => organisation(base, home, stats).await?,
    };
    let excluded: BTreeSet<&str> = opts.exclude_accounts.iter().map(String::as_str).collect();
    accounts.retain(|a| !excluded.contains(a.id.as_str()));
    if let Some(shard) = opts.shard {
        accounts.retain(|a| shard.owns(&a.id));
    }
    let mut seen = BTreeSet::new();
    accounts.retain(|a| seen.insert(a.id.clone()));
    Ok(accounts)
}

/// The organisation's ACTIVE accounts (Organizations `ListAccounts`).
async fn organisation(base: &SdkConfig, home: &Caller, stats: &Arc<Stats>) -> Result<Vec<Account>> {
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
    Ok(listed
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
        .collect())
}

/// Every scope of one account, each written as soon as it is collected.
pub async fn scopes(
    ctx: &Ctx,
    writer: &SnapshotWriter,
    account: &Account,
) -> Result<Vec<ScopeRecord>> {
    let role = role(ctx, account);
    let credentials = match credentials(ctx, role.as_ref()).await {
        Ok(c) => c,
        Err(why) => return Ok(give_up(ctx, account, &why)),
    };
    let conf = |region: &str| region_conf(ctx, &credentials, role.is_some(), region);
    let regions = match regions(ctx, &role, &conf).await {
        Ok(r) => r,
        Err(why) => return Ok(give_up(ctx, account, &why)),
    };
    ctx.progress.add_scopes(regions.len() as u64);
    let role = &role;
    let roles = &account_roles(ctx, role, &conf);
    join_all(
        regions
            .iter()
            .map(|r| region::collect(ctx, writer, account, r, conf(r), role, roles)),
    )
    .await
    .into_iter()
    .collect()
}

/// IAM is global: the account's regions share one reader of the roles their selections name,
/// whose client is in the home region (any region of the partition reaches IAM).
fn account_roles(
    ctx: &Ctx,
    role: &Option<Arc<AssumedRole>>,
    conf: &impl Fn(&str) -> SdkConfig,
) -> AccountRoles {
    let caller = Caller::new(ctx.limits.clone(), role.clone(), ctx.stats.clone());
    let conf = conf(ctx.base.region().map(|r| r.as_ref()).unwrap_or("us-east-1"));
    AccountRoles::new(caller, client!(aws_sdk_iam, &conf, ctx.stats))
}

/// The role to assume to enter the account; none for the caller's own.
fn role(ctx: &Ctx, account: &Account) -> Option<Arc<AssumedRole>> {
    (account.id != ctx.caller_account).then(|| {
        Arc::new(AssumedRole::new(
            ctx.sts.clone(),
            role_arn(ctx, &account.id),
            ctx.opts.external_id.clone(),
            ctx.stats.clone(),
        ))
    })
}

fn role_arn(ctx: &Ctx, account: &str) -> String {
    ctx.opts
        .role
        .as_ref()
        .map_or_else(String::new, |r| r.arn(&ctx.partition, account))
}

/// The account's credentials: the role's, assumed now so that an account that cannot be
/// entered fails before any of its regions is tried; or the caller's own.
async fn credentials(
    ctx: &Ctx,
    role: Option<&Arc<AssumedRole>>,
) -> std::result::Result<SharedCredentialsProvider, ApiError> {
    match role {
        Some(r) => {
            r.credentials().await?;
            Ok(SharedCredentialsProvider::new(RoleProvider(r.clone())))
        }
        None => ctx.base.credentials_provider().ok_or_else(|| ApiError {
            code: None,
            message: "no credentials configured".into(),
        }),
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

/// The configuration of the account's clients in one region.
fn region_conf(
    ctx: &Ctx,
    credentials: &SharedCredentialsProvider,
    assumed: bool,
    region: &str,
) -> SdkConfig {
    let mut b = ctx
        .base
        .to_builder()
        .region(Region::new(region.to_string()))
        .credentials_provider(credentials.clone());
    if assumed {
        // The role caches and refreshes its own credentials; an SDK cache on top would
        // keep serving credentials a service has just rejected as expired.
        b = b.identity_cache(aws_sdk_backup::config::IdentityCache::no_cache());
    }
    b.build()
}

/// The regions to collect in the account: those named, or those enabled in it.
async fn regions(
    ctx: &Ctx,
    role: &Option<Arc<AssumedRole>>,
    conf: &impl Fn(&str) -> SdkConfig,
) -> std::result::Result<Vec<String>, ApiError> {
    if ctx.opts.regions != Regions::All {
        return Ok(known_regions(ctx));
    }
    let caller = Caller::new(ctx.limits.clone(), role.clone(), ctx.stats.clone());
    let conf = conf(ctx.base.region().map(|r| r.as_ref()).unwrap_or("us-east-1"));
    let acct = client!(aws_sdk_account, &conf, ctx.stats);
    let listed = caller
        .all_pages(
            |t| {
                acct.list_regions()
                    .region_opt_status_contains(aws_sdk_account::types::RegionOptStatus::Enabled)
                    .region_opt_status_contains(
                        aws_sdk_account::types::RegionOptStatus::EnabledByDefault,
                    )
                    .set_next_token(t)
                    .send()
            },
            |o| (o.regions.unwrap_or_default(), o.next_token),
        )
        .await?;
    Ok(listed.into_iter().filter_map(|r| r.region_name).collect())
}

/// Regions named up front, or `*` when they would have had to be listed from the account.
fn known_regions(ctx: &Ctx) -> Vec<String> {
    match &ctx.opts.regions {
        Regions::List(r) => r.clone(),
        Regions::Configured => ctx.home_region.iter().map(|r| r.to_string()).collect(),
        Regions::All => vec!["*".into()],
    }
}

/// The account's scopes, all failed for `why`, each on the progress line.
fn give_up(ctx: &Ctx, account: &Account, why: &ApiError) -> Vec<ScopeRecord> {
    // The account's own work (entering it, listing its regions) is its scopes' work.
    let own = Stats::within(ctx.stats.clone());
    own.failed(1);
    let records: Vec<_> = known_regions(ctx)
        .iter()
        .map(|r| region::failed(account, r, why))
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
}
