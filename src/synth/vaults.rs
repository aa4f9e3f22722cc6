//! A scope's backup vaults (`backup-vaults.json`) and their access policies
//! (`backup-vault-policies.json`).

use super::out::{ts, uuid};
use super::place::Place;
use super::{Account, DAY};
use fastrand::Rng;
use serde_json::{json, Value};

/// A vault, as rules, copies and recovery points refer to it.
pub(super) struct Vault {
    pub(super) name: String,
    pub(super) arn: String,
    /// Its KMS key.
    pub(super) key: String,
    /// The lock's minimum retention, if it is locked.
    pub(super) min_days: Option<u32>,
}

/// A vault lock: retention bounds in days, and compliance mode (with a lock date) or governance.
#[derive(Clone, Copy)]
struct Lock {
    min_days: u32,
    max_days: u32,
    compliance: bool,
}

const GOVERNANCE: Lock = Lock {
    min_days: 1,
    max_days: 36500,
    compliance: false,
};
const COMPLIANCE: Lock = Lock {
    min_days: 7,
    max_days: 3650,
    compliance: true,
};
const CENTRAL: Lock = Lock {
    min_days: 30,
    max_days: 3650,
    compliance: true,
};

/// The scope's vaults, their documents, and the roles the plans give them.
pub(super) struct Vaults {
    pub(super) list: Vec<Vault>,
    pub(super) docs: Vec<Value>,
    /// Index of the primary vault; of the vault for long retention (the compliance-locked one if
    /// there is one, else the primary); of the per-application vault, if any.
    pub(super) primary: usize,
    pub(super) long: usize,
    pub(super) app: Option<usize>,
}

pub(super) fn vault_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:backup:{region}:{account}:backup-vault:{name}")
}

/// The name of an account's primary vault, in every region (cross-region copies go there).
pub(super) fn primary_name(acct: &Account) -> String {
    format!("{}-primary", acct.env)
}

impl Vaults {
    /// Default and the primary vault always (the primary sometimes governance-locked), then
    /// maybe a compliance-locked vault and a per-application vault, and in the central account
    /// the target of the cross-account copies.
    pub(super) fn draw(rng: &mut Rng, at: &Place) -> Vaults {
        let mut v = Vaults {
            list: Vec::new(),
            docs: Vec::new(),
            primary: 0,
            long: 0,
            app: None,
        };
        v.add(rng, at, "Default", None, false);
        let governance = rng.u8(..100) < 20;
        let primary_name = primary_name(at.acct);
        v.primary = v.add(
            rng,
            at,
            &primary_name,
            governance.then_some(GOVERNANCE),
            true,
        );
        let (locked, app_vault, cmk) = (rng.u8(..100) < 60, rng.u8(..100) < 40, rng.u8(..10) < 8);
        let locked = locked.then(|| v.add(rng, at, "compliance-locked", Some(COMPLIANCE), true));
        v.app = app_vault.then(|| v.add(rng, at, at.acct.apps[0], None, cmk));
        if at.a == 0 {
            v.add(rng, at, "central-archive", Some(CENTRAL), true);
        }
        v.long = locked.unwrap_or(v.primary);
        v
    }

    /// Adds a vault, encrypted with a customer-managed key if `cmk`; returns its index.
    fn add(
        &mut self,
        rng: &mut Rng,
        at: &Place,
        name: &str,
        lock: Option<Lock>,
        cmk: bool,
    ) -> usize {
        let (reg, acc) = (at.reg, at.acc);
        let key = format!("arn:aws:kms:{reg}:{acc}:key/{}", uuid(rng));
        let key_type = if cmk {
            "CUSTOMER_MANAGED_KMS_KEY"
        } else {
            "AWS_OWNED_KMS_KEY"
        };
        let mut doc = json!({
            "BackupVaultName": name, "BackupVaultArn": vault_arn(reg, acc, name),
            "VaultType": "BACKUP_VAULT", "EncryptionKeyArn": key, "EncryptionKeyType": key_type,
            "CreationDate": ts(at.now - rng.i64(100 * DAY..1500 * DAY)),
            "CreatorRequestId": uuid(rng), "Locked": lock.is_some(),
        });
        if let Some(lock) = lock {
            doc["MinRetentionDays"] = lock.min_days.into();
            doc["MaxRetentionDays"] = lock.max_days.into();
            // Compliance mode: mostly locked for good, sometimes still in the grace period.
            // (Drawn for governance locks too, which have no lock date.)
            let days = if rng.u8(..100) < 85 {
                -rng.i64(10..400)
            } else {
                rng.i64(1..3)
            };
            if lock.compliance {
                doc["LockDate"] = ts(at.now + days * DAY).into();
            }
        }
        self.docs.push(doc);
        self.list.push(Vault {
            name: name.into(),
            arn: vault_arn(reg, acc, name),
            key,
            min_days: lock.map(|l| l.min_days),
        });
        self.list.len() - 1
    }
}

/// One policy per vault other than Default, or none: deny deletion (two phrasings) or allow
/// copies from the organisation.
pub(super) fn policies(rng: &mut Rng, vaults: &[Vault]) -> Vec<Value> {
    let mut policies = Vec::new();
    for v in vaults.iter().filter(|v| v.name != "Default") {
        let statement = match rng.u8(..10) {
            0..=4 => json!({"Sid": "DenyRecoveryPointDeletion", "Effect": "Deny", "Principal": "*",
                "Action": ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle",
                    "backup:PutBackupVaultAccessPolicy"], "Resource": "*"}),
            5..=6 => json!({"Sid": "DenyDelete", "Effect": "Deny", "Principal": {"AWS": "*"},
                "Action": "backup:DeleteRecoveryPoint", "Resource": "*"}),
            7 => json!({"Sid": "AllowOrgCopy", "Effect": "Allow", "Principal": {"AWS": "*"},
                "Action": "backup:CopyIntoBackupVault", "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": super::ORGANIZATION_ID}}}),
            _ => continue,
        };
        let policy = json!({"Version": "2012-10-17", "Statement": [statement]}).to_string();
        let doc = json!({"BackupVaultName": v.name, "BackupVaultArn": v.arn, "Policy": policy});
        policies.push(doc);
    }
    policies
}
