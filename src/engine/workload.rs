//! Checks on workload resources: protected, frequency-retention, vault-membership,
//! cross-region/cross-account copy and recovery-point-recent.

use super::ctx::Ctx;
use super::recency::{describe_age, points_unknown};
use super::{copies, jobs, overlap, restore, Verdict};
use crate::engine::finding::{Evidence, Status};
use crate::model::plan::PlanRule;
use crate::model::protection::{AppliedRule, RuleState};
use crate::model::resource::ResourceKind;
use crate::model::{describe_minutes, Tri};
use crate::rules::{Check, Rule, Tier};

/// The verdict of every check about how well a resource is protected when it is not, or when
/// whether it is is unknown: `None` when it is protected and the check may go on.
pub(super) fn unless_protected(ctx: &Ctx) -> Option<Verdict> {
    match ctx.protection().verdict() {
        Tri::Yes => None,
        Tri::Unknown => Some(not_assessed(ctx)),
        Tri::No => Some(Verdict::new(
            Status::Fail,
            format!("not protected: {}", why_unprotected(ctx)),
        )),
    }
}

pub(crate) fn judge(ctx: &Ctx, rule: &Rule) -> Verdict {
    let res = ctx.res;
    if let Some(cluster) = &res.cluster_id {
        return if res.cluster_in_scope {
            Verdict::new(
                Status::NotApplicable,
                format!(
                    "member of DB cluster {cluster}: AWS Backup protects the cluster, judged there"
                ),
            )
        } else {
            Verdict::new(
                Status::NotAssessed,
                format!("member of DB cluster {cluster}, which is not in the inventory: cannot judge its protection"),
            )
        };
    }
    // Evidence of what happened (points, jobs) is judged whatever the plans say.
    let evidence = matches!(
        rule.check,
        Check::Protected
            | Check::RecoveryPointRecent { .. }
            | Check::AirGappedRecoveryPoint { .. }
            | Check::BackupJobsSucceeded { .. }
            | Check::CopyJobsSucceeded { .. }
            | Check::RestoreTested { .. }
    );
    if !evidence {
        if let Some(v) = unless_protected(ctx) {
            return v;
        }
    }
    match &rule.check {
        Check::Protected => protected(ctx),
        Check::FrequencyRetention { tiers } => frequency_retention(ctx, tiers),
        Check::VaultMembership {
            vault_from_tag,
            vault_name,
            vaults,
        } => vault_membership(ctx, vault_from_tag.as_deref(), vault_name, vaults),
        Check::CrossRegionCopy { regions } => undocumented_copy(
            ctx,
            copies::copies(
                ctx,
                "region",
                regions,
                |c| c.region.as_deref(),
                &ctx.scope.region,
            ),
        ),
        Check::CrossAccountCopy { accounts } => undocumented_copy(
            ctx,
            copies::copies(
                ctx,
                "account",
                accounts,
                |c| c.account.as_deref(),
                &ctx.scope.account_id,
            ),
        ),
        Check::RecoveryPointRecent { max_age_hours } => recent(ctx, *max_age_hours),
        Check::BackupJobsSucceeded { days } => jobs::backup_jobs(ctx, *days),
        Check::CopyJobsSucceeded { days } => jobs::copy_jobs(ctx, *days),
        Check::LockedVaultBackups {
            min_retention_days,
            max_retention_days,
        } => super::locked::locked_vault(ctx, *min_retention_days, *max_retention_days),
        Check::AirGappedRecoveryPoint { max_age_hours } => {
            super::locked::air_gapped_point(ctx, *max_age_hours)
        }
        Check::RestoreTested {
            max_age_days,
            max_restore_minutes,
        } => restore::restore_tested(ctx, *max_age_days, *max_restore_minutes),
        _ => Verdict::new(Status::NotApplicable, "not a workload check"),
    }
}

/// A copy of a type whose copies the reference does not document is not taken for a copy: a
/// PASS becomes NOT_ASSESSED, saying so; a FAIL (no copy action, or one that cannot deliver)
/// stands.
fn undocumented_copy(ctx: &Ctx, v: Verdict) -> Verdict {
    if v.status != Status::Pass || ctx.res.kind.copies_documented() {
        return v;
    }
    let reason = format!(
        "whether AWS Backup copies {} backups is not documented in the reference material, so \
         this copy action is not counted as a copy ({})",
        ctx.res.kind.backup_type(),
        v.reason
    );
    Verdict {
        status: Status::NotAssessed,
        reason,
        evidence: v.evidence,
    }
}

pub(crate) fn not_assessed(ctx: &Ctx) -> Verdict {
    let p = ctx.protection();
    let why = p.undecidable.clone().or_else(|| {
        p.rules.iter().find_map(|r| match &r.state {
            RuleState::Unknown(u) => Some(u.clone()),
            _ => None,
        })
    });
    let mut reason = format!("protection cannot be decided: {}", why.unwrap_or_default());
    // Points of its own show that AWS Backup does back it up, whatever the unread data says.
    if let Some(p) = ctx.inv.newest_good_point(&[&ctx.res.arn], |_| {}).newest {
        let newest = if p.continuous {
            "is a continuous backup".to_owned()
        } else {
            format!(
                "is {} old",
                describe_age(p.age(ctx.inv.as_of).num_minutes())
            )
        };
        reason.push_str(&format!(
            "; its own newest good recovery point {newest}, evidence that AWS Backup backs it up"
        ));
    }
    Verdict::new(Status::NotAssessed, reason)
}

fn protected(ctx: &Ctx) -> Verdict {
    let p = ctx.protection();
    match p.verdict() {
        Tri::Yes => {
            let best = p
                .effective()
                .min_by_key(|a| a.through.is_some())
                .expect("effective rule");
            let rule = ctx.plan_rule(best);
            let mut reason = format!(
                "backed up by {} into vault {}",
                ctx.describe(best),
                rule.vault
            );
            if ctx.res.kind == ResourceKind::Ec2Instance
                && ctx.res.state.as_deref() == Some("stopped")
            {
                reason.push_str(
                    "; instance is stopped (AWS Backup Audit Manager skips stopped instances)",
                );
            }
            Verdict::new(Status::Pass, reason).with(ctx.evidence(best))
        }
        Tri::Unknown => not_assessed(ctx),
        Tri::No => Verdict::new(Status::Fail, why_unprotected(ctx)),
    }
}

/// The most useful explanation of why nothing protects the resource.
pub(crate) fn why_unprotected(ctx: &Ctx) -> String {
    let p = ctx.protection();
    if let Some(a) = p.rules.first() {
        if let RuleState::Ineffective(why) = &a.state {
            return format!(
                "selected by {}, but no rule produces backups: {why}",
                ctx.describe(a)
            );
        }
    }
    if let Some(m) = p.near_misses().next() {
        let plan = &ctx.scope.plans[m.plan as usize];
        return format!(
            "plan {:?} selection {:?}: {}",
            plan.name, plan.selections[m.selection as usize].name, m.reason
        );
    }
    let mut s = format!("no backup selection in {} selects it", ctx.scope.label());
    if ctx.res.tag("aws:elasticfilesystem:default-backup") == Some("enabled") {
        s.push_str(
            "; it is tagged for EFS automatic backups, but the AWS-managed plan aws/efs/automatic-backup-plan is not in the snapshot",
        );
    }
    s
}

fn frequency_retention(ctx: &Ctx, tiers: &[Tier]) -> Verdict {
    let effective: Vec<&AppliedRule> = ctx.protection().effective().collect();
    let rules = overlap::running(ctx.scope, &effective);
    let outcomes = overlap::continuous_outcomes(ctx.scope, &rules);
    let certain_continuous = |i: usize| outcomes.len() == 1 && outcomes[0] == Some(i);
    let mut met = Vec::new();
    let mut unmet = Vec::new();
    let mut evidence = Evidence::default();
    for t in tiers {
        // The rule that meets the tier, under each way AWS may settle continuous backup.
        let meeting: Vec<Option<usize>> = outcomes
            .iter()
            .map(|winner| {
                (0..rules.len()).find(|&i| {
                    let r = ctx.plan_rule(rules[i]);
                    let often =
                        *winner == Some(i) || r.schedule.meets_interval(t.max_interval_hours * 60);
                    often && r.retention.at_least(t.min_retention_days)
                })
            })
            .collect();
        // Formatted only for a tier that is missed: most resources meet theirs.
        let wanted = || {
            format!(
                "{} (at least every {}, kept {} days)",
                t.name,
                describe_minutes(t.max_interval_hours * 60),
                t.min_retention_days
            )
        };
        match (meeting.iter().all(Option::is_some), meeting[0]) {
            (true, Some(i)) => {
                let a = rules[i];
                if evidence.plan.is_none() {
                    evidence = ctx.evidence(a);
                }
                met.push(format!(
                    "{} met by {} ({})",
                    t.name,
                    ctx.describe(a),
                    cadence(ctx.plan_rule(a), certain_continuous(i))
                ));
            }
            _ if meeting.iter().any(Option::is_some) => unmet.push(format!(
                "{} not guaranteed: a resource has one continuous backup, and with \
                 continuous rules into different vaults the first AWS processes wins while \
                 the others take snapshots, so it depends on which one that is",
                wanted()
            )),
            _ => unmet.push(format!("{} not met", wanted())),
        }
    }
    if unmet.is_empty() {
        return Verdict::new(Status::Pass, met.join("; ")).with(evidence);
    }
    let have: Vec<String> = (0..rules.len())
        .map(|i| {
            let r = ctx.plan_rule(rules[i]);
            format!("{:?} {}", r.name, cadence(r, certain_continuous(i)))
        })
        .collect();
    let reason = format!("{}; effective rules: {}", unmet.join("; "), have.join(", "));
    // A rule whose effect could not be read might meet what the others miss.
    ctx.fail_unless_unknown(reason, |_| true)
}

/// `every 72 h (3 days), kept 35 days` or `continuous, kept 35 days`.
fn cadence(r: &PlanRule, continuous: bool) -> String {
    let how = if continuous {
        "continuous".to_owned()
    } else if r.schedule.timezone.is_some()
        && r.schedule.max_gap_minutes().is_some_and(|m| m % 1440 == 60)
    {
        format!(
            "every {} worst case, once a year across a daylight-saving change in {}",
            r.schedule.describe_gap(),
            r.schedule.timezone.as_deref().unwrap_or("UTC")
        )
    } else {
        // Judged by the schedule, as AWS Config's frequency rule does; a job may start
        // anywhere in its window, so say how far apart points can drift (reference trap 9).
        match (r.start_window_minutes, r.schedule.max_gap_minutes()) {
            (Some(w), Some(gap)) if w > 0 => format!(
                "every {} by schedule, up to {} between points with its {} start window",
                r.schedule.describe_gap(),
                describe_minutes(gap + w),
                describe_minutes(w)
            ),
            _ => format!("every {} worst case", r.schedule.describe_gap()),
        }
    };
    format!("{how}, kept {}", r.retention)
}

fn vault_membership(
    ctx: &Ctx,
    from_tag: Option<&str>,
    template: &str,
    fixed: &[String],
) -> Verdict {
    let mut expected: Vec<String> = fixed.to_vec();
    let mut borrowed = String::new();
    if let Some(key) = from_tag {
        // A volume protected through its instance belongs to the instance's application.
        let carrier_tag = || {
            let carrier = &ctx.scope.resources
                [ctx.protection().effective().find_map(|a| a.through)? as usize];
            let v = carrier.tag(key)?;
            Some((v, carrier))
        };
        let own = ctx.res.tag(key).map(|v| (v, ctx.res));
        match own.or_else(carrier_tag) {
            Some((v, from)) => {
                if !std::ptr::eq(from, ctx.res) {
                    borrowed = format!(
                        " (`{key}` tag {v:?} from instance {}, which it is backed up through)",
                        from.display_name()
                    );
                }
                expected.push(template.replace("{tag}", v))
            }
            None if fixed.is_empty() => {
                return Verdict::new(
                    Status::Fail,
                    format!("no `{key}` tag, so the policy cannot name its vault"),
                )
            }
            None => {}
        }
    }
    let effective: Vec<&AppliedRule> = ctx.protection().effective().collect();
    let stray: Vec<&&AppliedRule> = effective
        .iter()
        .filter(|a| !expected.contains(&ctx.plan_rule(a).vault))
        .collect();
    let want = expected.join(" or ");
    match stray.first() {
        None => {
            let a = effective[0];
            Verdict::new(
                Status::Pass,
                format!("all backups go to vault {want}{borrowed}"),
            )
            .with(ctx.evidence(a))
        }
        Some(a) => Verdict::new(
            Status::Fail,
            format!(
                "{} sends backups to vault {}, expected {want}{borrowed}",
                ctx.describe(a),
                ctx.plan_rule(a).vault
            ),
        )
        .with(ctx.evidence(a)),
    }
}

/// A COMPLETED/AVAILABLE recovery point created within the limit (by `CreationDate`, which a
/// copy takes from its source); continuous points count whatever their creation date, because
/// they are updated continuously (reference trap 11).
fn recent(ctx: &Ctx, max_age_hours: i64) -> Verdict {
    let now = ctx.inv.as_of;
    let owners = ctx.protection().point_owners(ctx.scope, ctx.res);
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    let found = ctx
        .inv
        .newest_good_point(&owners, |status| *seen.entry(status).or_default() += 1);
    let limit = chrono::Duration::hours(max_age_hours);
    if let Some(p) = found.newest {
        let ev = Evidence {
            recovery_point: Some(p.point),
            vault: Some(ctx.inv.recovery_point(p.point).backup_vault_name.clone()),
            ..Default::default()
        };
        if p.continuous {
            return Verdict::new(
                Status::Pass,
                "continuous backup recovery point is available (point-in-time recovery)",
            )
            .with(ev);
        }
        let age = p.age(now);
        let age_text = describe_age(age.num_minutes());
        if age <= limit {
            return Verdict::new(
                Status::Pass,
                format!("newest good recovery point is {age_text} old"),
            )
            .with(ev);
        }
        let reason =
            format!("newest good recovery point is {age_text} old, older than {max_age_hours} h");
        if let Some(why) = points_unknown(ctx, found.undated) {
            return Verdict::new(Status::NotAssessed, format!("{reason}; {why}")).with(ev);
        }
        return Verdict::new(Status::Fail, reason).with(ev);
    }
    if let Some(why) = points_unknown(ctx, found.undated) {
        return Verdict::new(Status::NotAssessed, why);
    }
    if seen.is_empty() {
        Verdict::new(Status::Fail, "no recovery point exists for this resource")
    } else {
        let counts: Vec<String> = seen.iter().map(|(s, n)| format!("{n} {s}")).collect();
        Verdict::new(
            Status::Fail,
            format!(
                "no COMPLETED or AVAILABLE recovery point (found {})",
                counts.join(", ")
            ),
        )
    }
}
