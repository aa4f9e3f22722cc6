//! Checks on recovery points: recovery-point-encrypted, recovery-point-retention.

use super::Verdict;
use crate::findings::{Evidence, Status};
use crate::model::resource::ResourceKind;
use crate::rules::{Check, Rule};
use crate::snapshot::aws::RecoveryPoint;

/// `None` when the rule's scope excludes this recovery point's resource type.
pub(crate) fn judge(rule: &Rule, rp: &RecoveryPoint) -> Option<Verdict> {
    if !rule.scope.resource_types.is_empty() {
        let t = rp.resource_type.as_deref().unwrap_or("");
        let included = rule
            .scope
            .resource_types
            .iter()
            .any(|k: &ResourceKind| k.backup_type() == t);
        if !included {
            return None;
        }
    }
    let ev = Evidence {
        vault: Some(rp.backup_vault_name.as_str().into()),
        ..Default::default()
    };
    let v = match &rule.check {
        Check::RecoveryPointEncrypted => match rp.is_encrypted {
            Some(true) => Verdict::new(Status::Pass, "recovery point is encrypted"),
            Some(false) => Verdict::new(
                Status::Fail,
                format!(
                    "recovery point is not encrypted ({} backups inherit the source's encryption; the vault key does not apply)",
                    rp.resource_type.as_deref().unwrap_or("this type's")
                ),
            ),
            None => Verdict::new(Status::NotAssessed, "IsEncrypted is not in the snapshot"),
        },
        Check::RecoveryPointRetention { min_retention_days } => retention(rp, *min_retention_days),
        _ => return None,
    };
    Some(v.with(ev))
}

fn retention(rp: &RecoveryPoint, min_days: i64) -> Verdict {
    if matches!(rp.status.as_str(), "EXPIRED" | "DELETING") {
        return Verdict::new(
            Status::NotApplicable,
            format!("recovery point is {}: past its retention", rp.status),
        );
    }
    let delete_at = rp.calculated_lifecycle.as_ref().and_then(|l| l.delete_at);
    let Some(delete_at) = delete_at else {
        return Verdict::new(Status::Pass, "no deletion date: kept until deleted by hand");
    };
    let Some(created) = rp.creation_date else {
        return Verdict::new(Status::NotAssessed, "CreationDate is not in the snapshot");
    };
    let days = (delete_at - created).num_hours() as f64 / 24.0;
    let reason = format!(
        "kept {:.0} days (deleted at {}), {} the required {min_days} days",
        days,
        delete_at.format("%Y-%m-%d"),
        if days + 1e-9 >= min_days as f64 {
            "meets"
        } else {
            "less than"
        }
    );
    if days + 1e-9 >= min_days as f64 {
        Verdict::new(Status::Pass, reason)
    } else {
        Verdict::new(Status::Fail, reason)
    }
}
