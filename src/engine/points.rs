//! Checks on recovery points: recovery-point-encrypted, recovery-point-clean,
//! recovery-point-retention.

use super::Verdict;
use crate::engine::finding::{Evidence, Status};
use crate::model::resource::ResourceKind;
use crate::rules::{Check, Rule};
use crate::snapshot::aws::{RecoveryPoint, ScanResult};

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
        vault: Some(rp.backup_vault_name.clone()),
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
        Check::RecoveryPointClean => clean(rp),
        Check::RecoveryPointRetention { min_retention_days } => retention(rp, *min_retention_days),
        _ => return None,
    };
    Some(v.with(ev))
}

/// The backup types GuardDuty Malware Protection scans (EC2, EBS and S3 since 2025-11-19;
/// aws-backup-2024-2026.md §1.4).
const SCANNED_TYPES: [&str; 3] = ["EC2", "EBS", "S3"];

fn clean(rp: &RecoveryPoint) -> Verdict {
    let t = rp.resource_type.as_deref().unwrap_or("");
    match rp.scan {
        Some(ScanResult::Clean) => Verdict::new(
            Status::Pass,
            "GuardDuty's malware scans of this recovery point found nothing",
        ),
        Some(ScanResult::Threat) => Verdict::new(
            Status::Fail,
            "GuardDuty's malware scan found a threat in this recovery point \
             (AggregatedScanResult.Findings): do not restore it unexamined",
        ),
        Some(ScanResult::Failed) => Verdict::new(
            Status::NotAssessed,
            "a malware scan of this recovery point failed and none found a threat: \
             whether it is clean is unknown",
        ),
        None if !SCANNED_TYPES.contains(&t) => Verdict::new(
            Status::NotApplicable,
            format!(
                "GuardDuty scans EC2, EBS and S3 backups only, not {}",
                if t.is_empty() { "this type" } else { t }
            ),
        ),
        None => Verdict::new(
            Status::Fail,
            "no malware scan result on this recovery point: never scanned (no ScanActions in \
             its rule), or the snapshot predates AggregatedScanResult",
        ),
    }
}

/// Continuous backups keep a window of 1 to 35 days (reference §4.4).
const CONTINUOUS_MAX_DAYS: i64 = 35;

fn retention(rp: &RecoveryPoint, min_days: i64) -> Verdict {
    if matches!(&*rp.status, "EXPIRED" | "DELETING") {
        return Verdict::new(
            Status::NotApplicable,
            format!("recovery point is {}: past its retention", rp.status),
        );
    }
    if rp.deleted_after_copy() {
        return Verdict::new(
            Status::NotApplicable,
            "temporary recovery point (DeleteAfterEvent DELETE_AFTER_COPY): deleted once copied, \
             so only its copy is kept",
        );
    }
    let deleted = rp.calculated_lifecycle.as_ref().and_then(|l| l.delete_at);
    // -1 asks for indefinite retention.
    let asked = rp
        .lifecycle
        .and_then(|l| l.delete_after_days)
        .filter(|d| *d >= 0)
        .map(i64::from);
    let (hours, when) = match (deleted, asked) {
        (Some(at), _) => {
            let Some(created) = rp.creation_date else {
                return Verdict::new(Status::NotAssessed, "CreationDate is not in the snapshot");
            };
            ((at - created).num_hours(), Source::DeletedAt(at))
        }
        (None, Some(days)) => (days * 24, Source::Days(days)),
        (None, None) if rp.is_continuous() => {
            return if min_days > CONTINUOUS_MAX_DAYS {
                Verdict::new(
                    Status::Fail,
                    format!(
                        "continuous backups keep at most {CONTINUOUS_MAX_DAYS} days, less than \
                         the required {min_days} days"
                    ),
                )
            } else {
                Verdict::new(
                    Status::NotAssessed,
                    "continuous recovery point without Lifecycle or CalculatedLifecycle: its \
                     retention (1 to 35 days) is unknown",
                )
            };
        }
        (None, None) => {
            return Verdict::new(Status::Pass, "no deletion date: kept until deleted by hand")
        }
    };
    let hours = if rp.is_continuous() {
        hours.min(CONTINUOUS_MAX_DAYS * 24)
    } else {
        hours
    };
    let days = hours as f64 / 24.0;
    let meets = days + 1e-9 >= min_days as f64;
    let reason = format!(
        "kept {} days ({when}{}), {} the required {min_days} days",
        WholeDays(hours),
        if rp.is_continuous() {
            ", continuous"
        } else {
            ""
        },
        if meets { "meets" } else { "less than" }
    );
    Verdict::new(if meets { Status::Pass } else { Status::Fail }, reason)
}

/// Where a point's retention comes from, written into its reason without an allocation of
/// its own (two million points in a large organisation).
enum Source {
    DeletedAt(chrono::DateTime<chrono::Utc>),
    Days(i64),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::DeletedAt(t) => write!(f, "deleted at {}", Day(*t)),
            Source::Days(d) => write!(f, "DeleteAfterDays {d}"),
        }
    }
}

/// `hours / 24` as `{:.0}` prints it (ties to even), without formatting a float: a
/// million-resource organisation has millions of recovery points.
struct WholeDays(i64);

impl std::fmt::Display for WholeDays {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let h = self.0;
        if h < 0 {
            // `{:.0}` prints `-0` for small negatives: leave those to the float formatter.
            return write!(f, "{:.0}", h as f64 / 24.0);
        }
        let (q, r) = (h / 24, h % 24);
        let up = r > 12 || (r == 12 && q % 2 == 1);
        write!(f, "{}", q + i64::from(up))
    }
}

/// A date as `%Y-%m-%d`, without parsing the format string for every recovery point.
struct Day(chrono::DateTime<chrono::Utc>);

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use chrono::Datelike;
        let d = self.0;
        if (0..=9999).contains(&d.year()) {
            write!(f, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
        } else {
            write!(f, "{}", d.format("%Y-%m-%d"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_days_print_as_the_float_did() {
        for h in (-2_000..200_000).chain([876_000_012, 876_000_036]) {
            assert_eq!(
                WholeDays(h).to_string(),
                format!("{:.0}", h as f64 / 24.0),
                "{h} hours"
            );
        }
    }

    #[test]
    fn days_print_as_strftime_did() {
        use chrono::TimeZone;
        for (y, m, d) in [
            (2026, 11, 27),
            (1, 1, 1),
            (9999, 12, 31),
            (10_000, 1, 1),
            (-5, 3, 4),
        ] {
            let t = chrono::Utc.with_ymd_and_hms(y, m, d, 23, 59, 59).unwrap();
            assert_eq!(Day(t).to_string(), t.format("%Y-%m-%d").to_string());
        }
    }

    /// A point of `type_` as the collector writes it, with `scan` as its AggregatedScanResult.
    fn point(type_: &str, scan: &str) -> RecoveryPoint {
        let scan = if scan.is_empty() {
            String::new()
        } else {
            format!(r#", "AggregatedScanResult": {scan}"#)
        };
        serde_json::from_str(&format!(
            r#"{{"RecoveryPointArn": "arn:p", "BackupVaultName": "v", "ResourceArn": "arn:r",
                "ResourceType": "{type_}", "Status": "COMPLETED"{scan}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn a_threat_outweighs_a_failed_scan_and_only_scanned_types_need_a_result() {
        let status = |type_: &str, scan: &str| clean(&point(type_, scan)).status;
        let found = r#"{"FailedScan": true, "Findings": ["MALWARE"]}"#;
        assert_eq!(status("EBS", found), Status::Fail);
        assert_eq!(
            status("S3", r#"{"Findings": ["SOMETHING_NEW"]}"#),
            Status::Fail
        );
        assert_eq!(
            status("EC2", r#"{"FailedScan": true, "Findings": []}"#),
            Status::NotAssessed
        );
        assert_eq!(
            status("EC2", r#"{"FailedScan": false, "Findings": []}"#),
            Status::Pass
        );
        assert_eq!(status("EC2", ""), Status::Fail);
        assert_eq!(status("EFS", ""), Status::NotApplicable);
        assert_eq!(
            status("RDS", found),
            Status::Fail,
            "a result counts for any type"
        );
    }
}
