//! Backup plans and their rules: schedule, retention, target vault, copies.

use super::selection::Selection;
use super::Arn;
use crate::snapshot::aws;
use crate::snapshot::time::Timestamp;
use serde::Serialize;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "days")]
pub enum Retention {
    Days(i64),
    /// No `DeleteAfterDays` (or -1): recovery points are kept until deleted by hand.
    Forever,
}

impl Retention {
    pub fn from_lifecycle(l: Option<&aws::Lifecycle>) -> Retention {
        match l.and_then(|l| l.delete_after_days) {
            Some(d) if d >= 0 => Retention::Days(d),
            _ => Retention::Forever,
        }
    }

    pub fn at_least(self, days: i64) -> bool {
        match self {
            Retention::Days(d) => d >= days,
            Retention::Forever => true,
        }
    }
}

impl std::fmt::Display for Retention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Retention::Days(d) => write!(f, "{d} days"),
            Retention::Forever => f.write_str("forever"),
        }
    }
}

/// The worst-case gap between consecutive scheduled runs of a rule, from "now" on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Gap {
    /// Runs at most `minutes` apart (between the runs left, if the schedule ends).
    Every { minutes: i64 },
    /// A single run is left before the schedule ends: there is no gap to measure.
    Once,
    /// The year field is exhausted: no run after "now"; `last` is the final run, when known.
    Ends { last: Option<Timestamp> },
    /// AWS holds this schedule, but the tool cannot tell when it runs (an expression or time
    /// zone its parser does not accept, e.g. `L-3` or a range like `22-2` that AWS does not
    /// document): the rule's backups cannot be judged.
    Unknown { error: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct ScheduleInfo {
    pub expression: String,
    pub timezone: Option<String>,
    /// The rule had no expression; AWS uses `cron(0 5 ? * * *)`.
    pub defaulted: bool,
    pub gap: Gap,
    /// The final run, when the year field makes the runs stop within the scanned window
    /// while some are still to come: the rule protects until then, with a warning.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends: Option<Timestamp>,
    /// The parsed schedule, once per distinct schedule, for what walks its runs (the job
    /// check); `None` when it cannot be parsed (`gap` then says why).
    #[serde(skip)]
    pub parsed: Option<super::schedule::Schedule>,
}

impl ScheduleInfo {
    /// Worst-case minutes between runs; `None` when no gap can be measured.
    pub fn max_gap_minutes(&self) -> Option<i64> {
        match &self.gap {
            Gap::Every { minutes } => Some(*minutes),
            Gap::Once | Gap::Ends { .. } | Gap::Unknown { .. } => None,
        }
    }

    /// Whether runs are at most `minutes` apart. A daylight-saving change stretches one gap of a
    /// daily schedule by an hour (25 h); for requirements of a day or more that is still "daily
    /// as written" and is accepted. A run skipped because its local time does not exist makes
    /// a real gap of a day or more and still fails.
    pub fn meets_interval(&self, minutes: i64) -> bool {
        let Some(gap) = self.max_gap_minutes() else {
            return false;
        };
        let zoned = self
            .timezone
            .as_deref()
            .is_some_and(|t| t != "UTC" && t != "Etc/UTC");
        gap <= minutes || (zoned && minutes >= 1440 && gap <= minutes + 60)
    }

    pub fn describe_gap(&self) -> String {
        match &self.gap {
            Gap::Every { minutes } => crate::model::describe_minutes(*minutes),
            Gap::Once => "a single run left".to_owned(),
            Gap::Ends { last: Some(t) } => {
                format!("no runs after {}", t.format("%Y-%m-%d %H:%M UTC"))
            }
            Gap::Ends { last: None } => "never runs".to_owned(),
            Gap::Unknown { .. } => "unknown".to_owned(),
        }
    }

    /// `schedule ends on 2026-12-31`: the warning every verdict that relies on a rule whose
    /// runs are about to stop carries.
    pub fn ends_warning(&self) -> Option<String> {
        self.ends
            .map(|t| format!("schedule ends on {}", t.format("%Y-%m-%d")))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CopyRule {
    pub destination_vault_arn: String,
    pub region: Option<String>,
    pub account: Option<String>,
    pub vault_name: Option<String>,
    pub retention: Retention,
    /// No copy lifecycle given: the copy inherits the source rule's.
    pub inherited: bool,
}

impl CopyRule {
    /// Whether the destination vault is in another account than `account` (a destination
    /// whose ARN names none is not known to be).
    pub fn crosses_account(&self, account: &str) -> bool {
        self.account.as_deref().is_some_and(|a| a != account)
    }

    fn from_aws(c: &aws::CopyAction, source: Retention) -> CopyRule {
        // arn:aws:backup:<region>:<account>:backup-vault:<name>
        let arn = Arn::parse(&c.destination_backup_vault_arn);
        let field = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_owned);
        CopyRule {
            destination_vault_arn: c.destination_backup_vault_arn.clone(),
            region: field(arn.map(|a| a.region())),
            account: field(arn.map(|a| a.account())),
            // The name follows the `backup-vault` type: a resource part without one names none.
            vault_name: field(
                arn.filter(|a| a.resource_type().is_some())
                    .map(|a| a.resource_id()),
            ),
            retention: match &c.lifecycle {
                Some(l) => Retention::from_lifecycle(Some(l)),
                None => source,
            },
            inherited: c.lifecycle.is_none(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PlanRule {
    pub name: String,
    pub id: Option<String>,
    pub vault: String,
    pub schedule: Arc<ScheduleInfo>,
    pub start_window_minutes: Option<i64>,
    pub completion_window_minutes: Option<i64>,
    pub retention: Retention,
    pub cold_after_days: Option<i64>,
    pub continuous: bool,
    pub copies: Vec<CopyRule>,
    /// `TargetLogicallyAirGappedBackupVaultArn`: the rule's primary air-gapped vault, beside
    /// `vault` (see `protection::air_gapped`).
    pub air_gapped_vault: Option<String>,
}

impl PlanRule {
    pub fn from_aws(r: &aws::BackupRule, schedule: Arc<ScheduleInfo>) -> PlanRule {
        let retention = Retention::from_lifecycle(r.lifecycle.as_ref());
        PlanRule {
            name: r.rule_name.clone(),
            id: r.rule_id.clone(),
            vault: r.target_backup_vault_name.clone(),
            air_gapped_vault: r.target_logically_air_gapped_backup_vault_arn.clone(),
            schedule,
            start_window_minutes: r.start_window_minutes,
            completion_window_minutes: r.completion_window_minutes,
            retention,
            cold_after_days: r
                .lifecycle
                .as_ref()
                .and_then(|l| l.move_to_cold_storage_after_days)
                .filter(|d| *d >= 0),
            continuous: r.enable_continuous_backup.unwrap_or(false),
            copies: r
                .copy_actions
                .iter()
                .map(|c| CopyRule::from_aws(c, retention))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub id: String,
    pub arn: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub rules: Vec<PlanRule>,
    pub selections: Vec<Selection>,
    /// Local, an org policy's, Control Tower's or EFS automatic backups': an org policy's
    /// plan is judged with the management account's opt-in. AWS-managed plans (EFS automatic
    /// backups) count like any other: they really back resources up (reference §2.5).
    pub source: super::provenance::PlanSource,
}

impl Plan {
    pub fn display_id(&self) -> &str {
        self.arn.as_deref().unwrap_or(&self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lifecycle(days: Option<i64>) -> aws::Lifecycle {
        aws::Lifecycle {
            delete_after_days: days,
            move_to_cold_storage_after_days: None,
        }
    }

    #[test]
    fn missing_or_negative_delete_after_days_means_forever() {
        assert_eq!(Retention::from_lifecycle(None), Retention::Forever);
        assert_eq!(
            Retention::from_lifecycle(Some(&lifecycle(None))),
            Retention::Forever
        );
        assert_eq!(
            Retention::from_lifecycle(Some(&lifecycle(Some(-1)))),
            Retention::Forever
        );
        assert_eq!(
            Retention::from_lifecycle(Some(&lifecycle(Some(35)))),
            Retention::Days(35)
        );
        assert!(Retention::Forever.at_least(36_500));
        assert!(!Retention::Days(34).at_least(35));
    }

    #[test]
    fn copies_inherit_the_source_lifecycle_unless_they_have_their_own() {
        let arn = "arn:aws:backup:eu-west-1:333333333333:backup-vault:central".to_owned();
        let inherit = CopyRule::from_aws(
            &aws::CopyAction {
                destination_backup_vault_arn: arn.clone(),
                lifecycle: None,
            },
            Retention::Days(35),
        );
        assert_eq!(inherit.retention, Retention::Days(35));
        assert!(inherit.inherited);
        assert_eq!(inherit.region.as_deref(), Some("eu-west-1"));
        assert_eq!(inherit.account.as_deref(), Some("333333333333"));
        assert_eq!(inherit.vault_name.as_deref(), Some("central"));
        let own = CopyRule::from_aws(
            &aws::CopyAction {
                destination_backup_vault_arn: arn,
                lifecycle: Some(lifecycle(Some(365))),
            },
            Retention::Days(35),
        );
        assert_eq!(own.retention, Retention::Days(365));
        assert!(!own.inherited);
    }

    #[test]
    fn dst_stretch_is_accepted_only_for_zoned_daily_requirements() {
        let info = |minutes, tz: Option<&str>| ScheduleInfo {
            expression: "cron(0 3 ? * * *)".into(),
            timezone: tz.map(str::to_owned),
            defaulted: false,
            gap: Gap::Every { minutes },
            ends: None,
            parsed: None,
        };
        assert!(info(25 * 60, Some("Europe/Dublin")).meets_interval(24 * 60));
        assert!(!info(25 * 60, None).meets_interval(24 * 60));
        assert!(!info(47 * 60, Some("America/New_York")).meets_interval(24 * 60));
        assert!(!info(2 * 60, Some("America/New_York")).meets_interval(60));
        let ends = ScheduleInfo {
            gap: Gap::Ends { last: None },
            ..info(0, None)
        };
        assert!(!ends.meets_interval(24 * 60));
    }
}
