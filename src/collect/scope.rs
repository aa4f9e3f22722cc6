//! One account-region: every snapshot file, each fetched independently so that one API that
//! fails (access denied, throttled past retries) costs only its own file.

use super::call::{ApiError, Caller};
use super::iam_roles::{self, AccountRoles};
use super::inventory;
use super::restore;
use super::shapes::ToJson;
use crate::snapshot::DataFile;
use aws_sdk_backup::Client as Backup;
// The concurrency limits live in `Caller`, so starting every per-item future at once is safe.
use futures_util::future::join_all;
use serde_json::Value;
use std::collections::BTreeMap;

/// The clients of one account-region, all signed with that account's credentials.
pub struct Clients {
    pub backup: Backup,
    pub config: aws_sdk_config::Client,
    pub storage_gateway: aws_sdk_storagegateway::Client,
    pub fsx: aws_sdk_fsx::Client,
    pub efs: aws_sdk_efs::Client,
    pub ec2: aws_sdk_ec2::Client,
    pub rds: aws_sdk_rds::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub redshift: aws_sdk_redshift::Client,
    pub eks: aws_sdk_eks::Client,
    pub s3: aws_sdk_s3::Client,
    pub kms: aws_sdk_kms::Client,
}

/// Where the resource inventory comes from.
pub struct Inventory {
    /// `--inventory`: Config, direct APIs, or each where it can.
    pub mode: crate::collect::options::InventoryMode,
    /// The partition of the ARNs the collector builds (S3 buckets).
    pub partition: String,
    /// Config's items already fetched from an aggregator (or the reason the aggregator could
    /// not read them); `None`: `SelectResourceConfig` in the account-region itself.
    pub aggregated: Option<Result<Vec<Value>, ApiError>>,
}

#[derive(Debug, Default)]
pub struct ScopeFiles {
    pub files: BTreeMap<DataFile, Value>,
    pub errors: Vec<Failure>,
    /// Where each resource type listed came from (the manifest's `inventory`).
    pub sources: BTreeMap<&'static str, inventory::Source>,
}

/// What could not be read: a whole file, or only some resource types of `resources.json`
/// (a per-type listing failed while the rest of the inventory was read).
#[derive(Debug)]
pub struct Failure {
    pub file: DataFile,
    /// Empty when the whole file is unknown.
    pub types: Vec<&'static str>,
    pub error: ApiError,
}

impl ScopeFiles {
    fn put(&mut self, file: DataFile, r: Result<Value, ApiError>) {
        match r {
            Ok(v) => {
                self.files.insert(file, v);
            }
            Err(error) => self.errors.push(Failure {
                file,
                types: Vec::new(),
                error,
            }),
        }
    }
}

/// Options that bound what is fetched.
pub struct Bounds {
    pub recovery_points_since: Option<aws_smithy_types::DateTime>,
    pub backup_jobs_since: aws_smithy_types::DateTime,
}

impl Bounds {
    /// The manifest's `windows`: what was listed from when, so that a reader can tell "no
    /// job" from "not looked that far back".
    pub fn windows(&self) -> Value {
        let at = |t: aws_smithy_types::DateTime| {
            chrono::DateTime::from_timestamp(t.secs(), 0)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        };
        let mut w = serde_json::Map::new();
        // Copy and restore jobs are listed over the same days as backup jobs.
        for key in ["backup_jobs_since", "copy_jobs_since", "restore_jobs_since"] {
            w.insert(key.into(), at(self.backup_jobs_since).into());
        }
        if let Some(t) = self.recovery_points_since.and_then(at) {
            w.insert("recovery_points_since".into(), t.into());
        }
        Value::Object(w)
    }
}

pub async fn collect(
    caller: &Caller,
    clients: &Clients,
    (account, region): (&str, &str),
    inventory: Inventory,
    bounds: &Bounds,
    roles: &AccountRoles,
) -> ScopeFiles {
    // The roles to read are those the selections name: asked for once the selections are in.
    let plans_and_roles = async {
        let plans = plans_and_selections(caller, &clients.backup).await;
        let roles = match &plans {
            Ok((_, Ok(selections))) => iam_roles::roles(roles, account, selections).await,
            // Which roles the selections name is unknown, so whether they exist is too.
            Ok((_, Err(e))) | Err(e) => Err(e.clone()),
        };
        (plans, roles)
    };
    let (
        (plans, roles),
        resources,
        vaults,
        protected,
        settings,
        jobs,
        copies,
        global,
        testing,
        restores,
        aliases,
        access_points,
        tiering,
    ) = tokio::join!(
        plans_and_roles,
        resources(caller, clients, (account, region), inventory),
        vaults(caller, &clients.backup, bounds),
        protected_resources(caller, &clients.backup),
        region_settings(caller, &clients.backup),
        backup_jobs(caller, &clients.backup, bounds),
        copy_jobs(caller, &clients.backup, bounds),
        global_settings(caller, &clients.backup),
        restore::plans_and_selections(caller, &clients.backup),
        restore::jobs(caller, &clients.backup, bounds.backup_jobs_since),
        super::kms::aliases(caller, &clients.kms),
        super::access_points::list(caller, &clients.backup),
        super::tiering::configurations(caller, &clients.backup),
    );
    let mut out = ScopeFiles::default();
    out.put(DataFile::Resources, resources.items.map(Value::Array));
    if out.files.contains_key(&DataFile::Resources) {
        out.sources = resources.sources;
        out.errors.extend(
            resources
                .unlisted
                .into_iter()
                .map(|(types, error)| Failure {
                    file: DataFile::Resources,
                    types,
                    error,
                }),
        );
    }
    match plans {
        Ok((p, s)) => {
            out.put(DataFile::BackupPlans, Ok(p));
            out.put(DataFile::BackupSelections, s);
        }
        Err(e) => {
            out.put(DataFile::BackupPlans, Err(e.clone()));
            out.put(DataFile::BackupSelections, Err(e));
        }
    }
    match vaults {
        Ok(v) => {
            out.put(DataFile::BackupVaults, Ok(v.vaults));
            out.put(DataFile::BackupVaultPolicies, v.policies);
            out.put(DataFile::RecoveryPoints, v.recovery_points);
        }
        Err(e) => {
            for f in [
                DataFile::BackupVaults,
                DataFile::BackupVaultPolicies,
                DataFile::RecoveryPoints,
            ] {
                out.put(f, Err(e.clone()));
            }
        }
    }
    out.put(DataFile::ProtectedResources, protected);
    out.put(DataFile::RegionSettings, settings);
    out.put(DataFile::BackupJobs, jobs);
    out.put(DataFile::IamRoles, roles);
    out.put(DataFile::CopyJobs, copies);
    out.put(DataFile::GlobalSettings, global);
    out.put(DataFile::RestoreTestingPlans, testing.0);
    out.put(DataFile::RestoreTestingSelections, testing.1);
    out.put(DataFile::RestoreJobs, restores);
    out.put(DataFile::KmsAliases, aliases);
    out.put(DataFile::BackupAccessPoints, access_points);
    out.put(DataFile::TieringConfigurations, tiering);
    out
}

/// The inventory (see `inventory::resources`): one failing listing (not offered in the
/// region, denied by an SCP, a malformed answer) costs only its types.
async fn resources(
    caller: &Caller,
    c: &Clients,
    (account, region): (&str, &str),
    inventory: Inventory,
) -> inventory::Listing {
    let clients = inventory::DirectClients {
        config: &c.config,
        s3: &c.s3,
        storage_gateway: &c.storage_gateway,
        fsx: &c.fsx,
        efs: &c.efs,
        ec2: &c.ec2,
        rds: &c.rds,
        dynamodb: &c.dynamodb,
        redshift: &c.redshift,
        eks: &c.eks,
    };
    let at = inventory::Place {
        account,
        region,
        partition: &inventory.partition,
    };
    inventory::resources(caller, &clients, at, inventory.mode, inventory.aggregated).await
}

/// `backup-plans.json` and, if the plans could be listed, `backup-selections.json`.
async fn plans_and_selections(
    caller: &Caller,
    backup: &Backup,
) -> Result<(Value, Result<Value, ApiError>), ApiError> {
    let list = caller
        .all_pages(
            |t| backup.list_backup_plans().set_next_token(t).send(),
            |o| (o.backup_plans_list.unwrap_or_default(), o.next_token),
        )
        .await?;
    let ids: Vec<String> = list.into_iter().filter_map(|p| p.backup_plan_id).collect();
    let per_plan = join_all(ids.iter().map(|id| async move {
        let plan = caller
            .call(|| backup.get_backup_plan().backup_plan_id(id).send())
            .await;
        let selections = selections_of(caller, backup, id).await;
        (plan, selections)
    }))
    .await;
    let mut plans = Vec::new();
    let mut selections = Ok(Vec::new());
    for (plan, sel) in per_plan {
        plans.push(plan?.to_json());
        match (sel, &mut selections) {
            (Ok(mut s), Ok(all)) => all.append(&mut s),
            (Err(e), all @ Ok(_)) => *all = Err(e),
            _ => {}
        }
    }
    Ok((Value::Array(plans), selections.map(Value::Array)))
}

async fn selections_of(
    caller: &Caller,
    backup: &Backup,
    plan_id: &str,
) -> Result<Vec<Value>, ApiError> {
    let list = caller
        .all_pages(
            |t| {
                backup
                    .list_backup_selections()
                    .backup_plan_id(plan_id)
                    .set_next_token(t)
                    .send()
            },
            |o| (o.backup_selections_list.unwrap_or_default(), o.next_token),
        )
        .await?;
    let ids: Vec<String> = list.into_iter().filter_map(|s| s.selection_id).collect();
    let got = join_all(ids.iter().map(|sid| {
        caller.call(move || {
            backup
                .get_backup_selection()
                .backup_plan_id(plan_id)
                .selection_id(sid)
                .send()
        })
    }))
    .await;
    got.into_iter().map(|r| r.map(|o| o.to_json())).collect()
}

struct Vaults {
    vaults: Value,
    policies: Result<Value, ApiError>,
    recovery_points: Result<Value, ApiError>,
}

async fn vaults(caller: &Caller, backup: &Backup, bounds: &Bounds) -> Result<Vaults, ApiError> {
    let list = caller
        .all_pages(
            |t| backup.list_backup_vaults().set_next_token(t).send(),
            |o| (o.backup_vault_list.unwrap_or_default(), o.next_token),
        )
        .await?;
    let names: Vec<String> = list
        .iter()
        .filter_map(|v| v.backup_vault_name.clone())
        .collect();
    let per_vault = join_all(names.iter().map(|name| async move {
        let policy = async {
            let r = caller
                .call(|| {
                    backup
                        .get_backup_vault_access_policy()
                        .backup_vault_name(name)
                        .send()
                })
                .await;
            match r {
                Ok(p) => Ok(Some(p.to_json())),
                // A vault without an access policy is normal, not a failure.
                Err(e) if e.is("ResourceNotFoundException") => Ok(None),
                Err(e) => Err(e),
            }
        };
        let points = caller.all_pages(
            |t| {
                backup
                    .list_recovery_points_by_backup_vault()
                    .backup_vault_name(name)
                    .set_by_created_after(bounds.recovery_points_since)
                    .set_next_token(t)
                    .send()
            },
            |o| (o.recovery_points.unwrap_or_default(), o.next_token),
        );
        tokio::join!(policy, points)
    }))
    .await;
    let mut policies = Ok(Vec::new());
    let mut points = Ok(Vec::new());
    for (policy, pts) in per_vault {
        match (policy, &mut policies) {
            (Ok(Some(p)), Ok(all)) => all.push(p),
            (Err(e), all @ Ok(_)) => *all = Err(e),
            _ => {}
        }
        match (pts, &mut points) {
            (Ok(p), Ok(all)) => all.extend(p.iter().map(ToJson::to_json)),
            (Err(e), all @ Ok(_)) => *all = Err(e),
            _ => {}
        }
    }
    let mut vaults: Vec<Value> = list.iter().map(ToJson::to_json).collect();
    air_gapped_details(caller, backup, &list, &mut vaults).await?;
    Ok(Vaults {
        vaults: Value::Array(vaults),
        policies: policies.map(Value::Array),
        recovery_points: points.map(Value::Array),
    })
}

/// `ListBackupVaults` does not carry a logically air-gapped vault's multi-party approval: each
/// such vault is described, and its approval fields join its entry. A failed description
/// fails the vaults' file (whether a team is associated would otherwise look like "none").
async fn air_gapped_details(
    caller: &Caller,
    backup: &Backup,
    list: &[aws_sdk_backup::types::BackupVaultListMember],
    entries: &mut [Value],
) -> Result<(), ApiError> {
    use aws_sdk_backup::types::VaultType;
    let air_gapped: Vec<(usize, &str)> = list
        .iter()
        .enumerate()
        .filter(|(_, v)| v.vault_type == Some(VaultType::LogicallyAirGappedBackupVault))
        .filter_map(|(i, v)| Some((i, v.backup_vault_name.as_deref()?)))
        .collect();
    let described = join_all(air_gapped.iter().map(|(_, name)| {
        caller.call(|| {
            backup
                .describe_backup_vault()
                .backup_vault_name(*name)
                .send()
        })
    }))
    .await;
    for ((i, _), d) in air_gapped.iter().zip(described) {
        if let (Value::Object(entry), Value::Object(mpa)) = (&mut entries[*i], d?.to_json()) {
            entry.extend(mpa);
        }
    }
    Ok(())
}

async fn protected_resources(caller: &Caller, backup: &Backup) -> Result<Value, ApiError> {
    let items = caller
        .all_pages(
            |t| backup.list_protected_resources().set_next_token(t).send(),
            |o| (o.results.unwrap_or_default(), o.next_token),
        )
        .await?;
    Ok(items.to_json())
}

async fn region_settings(caller: &Caller, backup: &Backup) -> Result<Value, ApiError> {
    let out = caller
        .call(|| backup.describe_region_settings().send())
        .await?;
    Ok(out.to_json())
}

/// Whether the organisation allows cross-account backup, as this account-region answers. AWS
/// answers with an error for an account outside an organisation: recorded as unreadable, so
/// its cross-account copies are unknown, never counted.
async fn global_settings(caller: &Caller, backup: &Backup) -> Result<Value, ApiError> {
    let out = caller
        .call(|| backup.describe_global_settings().send())
        .await?;
    Ok(out.to_json())
}

async fn backup_jobs(caller: &Caller, backup: &Backup, bounds: &Bounds) -> Result<Value, ApiError> {
    let items = caller
        .all_pages(
            |t| {
                backup
                    .list_backup_jobs()
                    .by_created_after(bounds.backup_jobs_since)
                    .set_next_token(t)
                    .send()
            },
            |o| (o.backup_jobs.unwrap_or_default(), o.next_token),
        )
        .await?;
    Ok(items.to_json())
}

/// The copy jobs made from this account-region's backups, over the same days as its backup
/// jobs (`ListCopyJobs` lists them in the source account, whatever the destination).
async fn copy_jobs(caller: &Caller, backup: &Backup, bounds: &Bounds) -> Result<Value, ApiError> {
    let items = caller
        .all_pages(
            |t| {
                backup
                    .list_copy_jobs()
                    .by_created_after(bounds.backup_jobs_since)
                    .set_next_token(t)
                    .send()
            },
            |o| (o.copy_jobs.unwrap_or_default(), o.next_token),
        )
        .await?;
    Ok(items.to_json())
}
