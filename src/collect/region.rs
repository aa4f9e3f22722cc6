//! One account-region's task: build its clients, take its inventory from the aggregator or
//! Config, make its calls, turn what came back into its manifest record, write its files at
//! once, and say it is done on the progress line.

use super::call::{ApiError, AssumedRole, Caller};
use super::iam_roles::AccountRoles;
use super::inventory;
use super::options::Account;
use super::progress::Stats;
use super::scope;
use super::setup::Ctx;
use super::write::{self, ScopeRecord, SnapshotWriter};
use crate::error::{Error, Result};
use crate::snapshot::{FileError, ScopeStatus};
use aws_config::SdkConfig;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Collects one account-region with the account's configuration `conf` for that region.
pub async fn collect(
    ctx: &Ctx,
    writer: &SnapshotWriter,
    account: &Account,
    region: &str,
    conf: SdkConfig,
    role: &Option<Arc<AssumedRole>>,
    roles: &AccountRoles,
) -> Result<ScopeRecord> {
    // This account-region's own counters, for its progress line.
    let stats = Arc::new(Stats::within(ctx.stats.clone()));
    let clients = scope::Clients {
        backup: client!(aws_sdk_backup, &conf, stats),
        config: client!(aws_sdk_config, &conf, stats),
        storage_gateway: client!(aws_sdk_storagegateway, &conf, stats),
        fsx: client!(aws_sdk_fsx, &conf, stats),
        efs: client!(aws_sdk_efs, &conf, stats),
        ec2: client!(aws_sdk_ec2, &conf, stats),
        rds: client!(aws_sdk_rds, &conf, stats),
        dynamodb: client!(aws_sdk_dynamodb, &conf, stats),
        redshift: client!(aws_sdk_redshift, &conf, stats),
        eks: client!(aws_sdk_eks, &conf, stats),
        s3: s3_client(&conf, &stats),
        kms: client!(aws_sdk_kms, &conf, stats),
    };
    let inventory = scope::Inventory {
        mode: ctx.opts.inventory,
        partition: ctx.partition.clone(),
        aggregated: ctx
            .aggregated
            .as_ref()
            .map(|agg| aggregated_slice(agg, &account.id, region)),
    };
    let caller = Caller::new(ctx.limits.clone(), role.clone(), stats.clone());
    let got = scope::collect(
        &caller,
        &clients,
        (&account.id, region),
        inventory,
        &ctx.bounds,
        roles,
    )
    .await;
    let mut record = to_record(account, region, got);
    let written = write_files(writer, &mut record).await;
    done(ctx, &stats, &account.id, &record);
    written.map(|()| record)
}

/// S3 addressed by path when an endpoint URL is set: a local S3 (moto, the fake) has no
/// bucket host names (as `history::s3` does).
fn s3_client(conf: &SdkConfig, stats: &Arc<Stats>) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(conf)
            .force_path_style(conf.endpoint_url().is_some())
            .interceptor(super::call::Observe(stats.clone()))
            .build(),
    )
}

/// The account-region's part of the aggregator's answer, or why it has none.
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

/// The manifest's record of a scope: complete, partial (some files unknown) or failed
/// (nothing could be read).
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
        inventory: got
            .sources
            .iter()
            .map(|(t, s)| (t.to_string(), s.as_str().to_string()))
            .collect(),
        errors: if status == ScopeStatus::Failed {
            Vec::new()
        } else {
            errors
        },
    }
}

/// The record of a scope that could not be collected at all, for `why`.
pub fn failed(account: &Account, region: &str, why: &ApiError) -> ScopeRecord {
    ScopeRecord {
        account_id: account.id.clone(),
        account_name: account.name.clone(),
        region: region.to_string(),
        status: ScopeStatus::Failed,
        error: Some(why.to_string()),
        files: BTreeMap::new(),
        inventory: BTreeMap::new(),
        errors: Vec::new(),
    }
}

/// Writes the scope's files now, on a blocking thread, so the data is not held until the
/// end; the record keeps the rest.
async fn write_files(writer: &SnapshotWriter, record: &mut ScopeRecord) -> Result<()> {
    let files = std::mem::take(&mut record.files);
    if record.status == ScopeStatus::Failed {
        return Ok(());
    }
    let dir = writer.scope_dir(record);
    tokio::task::spawn_blocking(move || write::write_scope_files(&dir, &files))
        .await
        .unwrap_or_else(|e| Err(Error::Usage(format!("snapshot writer failed: {e}"))))
}

/// Counts the scope's failures and prints its progress line.
fn done(ctx: &Ctx, stats: &Stats, account: &str, record: &ScopeRecord) {
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
        stats,
        &ctx.stats,
        &format!("{account} {}: {what}", record.region),
    );
}
