//! What a collection settles before it enters any account: the SDK configuration every
//! client starts from, who the caller is, the organisation's aggregated inventory, and the
//! context every account's task shares.

use super::call::{ApiError, Caller, Limits};
use super::options::{Account, CollectOptions, Regions};
use super::progress::{Progress, Stats};
use super::{credentials, http, inventory, scope};
use crate::error::{Error, Result};
use crate::model::Arn;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use std::sync::Arc;
use std::time::Duration;

/// What every account's task shares.
pub struct Ctx {
    pub opts: CollectOptions,
    pub base: SdkConfig,
    pub home_region: Option<Region>,
    pub caller_account: String,
    pub partition: String,
    pub sts: aws_sdk_sts::Client,
    pub limits: Arc<Limits>,
    pub stats: Arc<Stats>,
    pub progress: Progress,
    pub aggregated: Option<std::result::Result<inventory::Aggregated, ApiError>>,
    pub bounds: scope::Bounds,
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

/// The configuration the AWS way (environment, profile, SSO, instance role) with the tool's
/// retries, timeouts and shared HTTP client; nothing checked yet.
pub async fn load(opts: &CollectOptions) -> SdkConfig {
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
    loader.load().await
}

/// The configuration every client is built from (retries, timeouts, the shared HTTP client,
/// the profile), and the region configured the AWS way, if any.
pub async fn sdk_config(opts: &CollectOptions) -> Result<(SdkConfig, Option<Region>)> {
    let loaded = load(opts).await;
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
    Ok((base, home_region))
}

/// Who the caller is: its account (entered without a role) and the partition its ARN names
/// (for the ARNs of the roles to assume).
pub struct Identity {
    pub account: String,
    pub partition: String,
}

/// Asks STS who the caller is, and says so on the progress line.
pub async fn identify(
    home: &Caller,
    sts: &aws_sdk_sts::Client,
    progress: &Progress,
) -> Result<Identity> {
    let who = home
        .call(|| sts.get_caller_identity().send())
        .await
        .map_err(|e| {
            Error::Usage(format!(
                "cannot identify the caller (sts:GetCallerIdentity): {e}"
            ))
        })?;
    let account = who.account.unwrap_or_default();
    let partition = who
        .arn
        .as_deref()
        .and_then(Arn::parse)
        .map(|a| a.partition())
        .unwrap_or("aws")
        .to_string();
    progress.note(&format!(
        "collecting as {} (account {account})",
        who.arn.as_deref().unwrap_or("?")
    ));
    Ok(Identity { account, partition })
}

/// Checked before any account is entered: another account than the caller's is entered by
/// assuming a role, so one must be named.
pub fn check_role(opts: &CollectOptions, accounts: &[Account], caller: &str) -> Result<()> {
    if accounts.iter().any(|a| a.id != caller) && opts.role.is_none() {
        return Err(Error::Usage(
            "entering other accounts needs --role-name or --role-arn-template".into(),
        ));
    }
    Ok(())
}

/// The organisation's inventory, read once through the Config aggregator when one is named
/// (each scope then takes its slice instead of querying Config itself).
pub async fn aggregated(
    opts: &CollectOptions,
    base: &SdkConfig,
    home: &Caller,
    stats: &Arc<Stats>,
) -> Option<std::result::Result<inventory::Aggregated, ApiError>> {
    let name = opts.config_aggregator.as_ref()?;
    let config = client!(aws_sdk_config, base, stats);
    Some(inventory::aggregated_items(home, &config, name).await)
}

/// How far back recovery points and backup jobs are read, from now.
pub fn bounds(opts: &CollectOptions) -> scope::Bounds {
    let now = aws_smithy_types::DateTime::from_secs(chrono::Utc::now().timestamp());
    scope::Bounds {
        recovery_points_since: opts
            .recovery_points_since
            .map(|t| aws_smithy_types::DateTime::from_secs(t.timestamp())),
        backup_jobs_since: aws_smithy_types::DateTime::from_secs(
            now.secs() - i64::from(opts.backup_jobs_days) * 86_400,
        ),
    }
}
