//! A scope's recovery points (`recovery-points.json`): for each backup target, a series of
//! points of its rule, newest first, of varied ages and states.

use super::out::{uuid, Array, Ts};
use super::place::Place;
use super::plans::{Plans, Rule};
use super::vaults::Vault;
use super::{DAY, HOUR};
use fastrand::Rng;
use serde::{Serialize, Serializer};
use std::io;

/// Which plan gives a resource its recovery points.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Protect {
    Daily,
    Weekly,
    Db,
    Legacy,
    None,
}

/// A backup target and how it is protected, remembered for its recovery points.
pub(super) struct Target {
    pub(super) arn: String,
    pub(super) name: String,
    /// Its AWS Backup resource type.
    pub(super) btype: &'static str,
    pub(super) protect: Protect,
    pub(super) encrypted: bool,
}

/// A `RecoveryPoints` member of `ListRecoveryPointsByBackupVault`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RecoveryPoint<'a> {
    recovery_point_arn: String,
    backup_vault_name: &'a str,
    backup_vault_arn: &'a str,
    resource_arn: &'a str,
    resource_type: &'a str,
    resource_name: &'a str,
    created_by: CreatedBy<'a>,
    iam_role_arn: &'a str,
    status: &'a str,
    creation_date: Ts,
    completion_date: Ts,
    backup_size_in_bytes: u64,
    calculated_lifecycle: Lifecycle<Ts>,
    lifecycle: Lifecycle<u32>,
    is_encrypted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    encryption_key_arn: Option<&'a str>,
    vault_type: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct CreatedBy<'a> {
    backup_plan_id: &'a str,
    backup_plan_arn: String,
    backup_plan_version: &'a str,
    backup_rule_id: &'a str,
}

/// A one-field object: `{"DeleteAt": …}` or `{"DeleteAfterDays": …}`.
struct Lifecycle<T>(&'static str, T);

impl<T: Serialize> Serialize for Lifecycle<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(self.0, &self.1)?;
        map.end()
    }
}

/// Writes the recovery points of all the scope's vaults, newest first per resource; returns how
/// many there are and the file's size.
pub(super) fn write(
    rng: &mut Rng,
    at: &Place,
    targets: &[Target],
    vaults: &[Vault],
    plans: &Plans,
) -> io::Result<(usize, u64)> {
    let mut w = Writer {
        rng,
        at,
        vaults,
        plans,
        legacy_works: plans.legacy_works(vaults),
        role: at.role(),
        out: Array::create(&at.dir, "recovery-points.json")?,
    };
    for t in targets {
        w.target(t)?;
    }
    let count = w.out.len;
    Ok((count, w.out.finish()?))
}

/// One point of a series: the rule that made it, its status and age, and whether it is the
/// continuous point or was left behind by a deleted plan.
struct Point<'r> {
    rule: &'r Rule,
    status: &'static str,
    age: i64,
    continuous: bool,
    orphan: bool,
}

struct Writer<'a, 'p> {
    rng: &'a mut Rng,
    at: &'a Place<'p>,
    vaults: &'a [Vault],
    plans: &'a Plans,
    legacy_works: bool,
    role: String,
    out: Array,
}

impl Writer<'_, '_> {
    /// The points of one target, spaced by its rule's interval back from the newest (recent,
    /// sometimes stale). Unprotected targets seldom have any (left by a deleted plan, expired);
    /// protected ones sometimes none (their jobs fail).
    fn target(&mut self, t: &Target) -> io::Result<()> {
        let (plans, mean) = (self.plans, self.at.opts.recovery_points_per_resource);
        let (rule, spacing, works) = match t.protect {
            Protect::Daily => (&plans.daily, DAY, true),
            Protect::Weekly => (&plans.weekly, 7 * DAY, true),
            Protect::Db => (&plans.weekday, DAY, true),
            Protect::Legacy => (&plans.legacy, DAY, self.legacy_works),
            Protect::None => (&plans.daily, 30 * DAY, self.rng.u8(..100) < 4),
        };
        let rng = &mut *self.rng;
        if !works || rng.u8(..100) < 5 || mean == 0 {
            return Ok(());
        }
        let orphan = t.protect == Protect::None;
        let continuous = t.protect == Protect::Db && matches!(t.btype, "RDS" | "Aurora");
        let mut age = match rng.u8(..100) {
            _ if orphan => rng.i64(60 * DAY..400 * DAY),
            _ if t.protect == Protect::Weekly => rng.i64(HOUR..7 * DAY),
            0..=5 => rng.i64(3 * DAY..12 * DAY), // stale
            _ => rng.i64(HOUR..20 * HOUR),
        };
        for j in 0..mean - 1 + rng.usize(..=2) + continuous as usize {
            let is_cont = continuous && j == 0;
            let (rule, status) = match self.rng.u8(..100) {
                x if is_cont => (&plans.cont, if x < 5 { "STOPPED" } else { "AVAILABLE" }),
                _ if orphan => (rule, "EXPIRED"),
                0..=3 => (rule, "PARTIAL"),
                4..=5 if j > 0 => (rule, "EXPIRED"),
                6 if j > 0 => (rule, "DELETING"),
                _ => (rule, "COMPLETED"),
            };
            let point = Point {
                rule,
                status,
                age,
                continuous: is_cont,
                orphan,
            };
            self.point(t, &point)?;
            if !is_cont {
                age += spacing + self.rng.i64(-HOUR..HOUR);
            }
        }
        Ok(())
    }

    fn point(&mut self, t: &Target, p: &Point) -> io::Result<()> {
        let (at, rule) = (self.at, p.rule);
        let (v, created, job) = (&self.vaults[rule.vault], at.now - p.age, uuid(self.rng));
        let hex = format!("{:017x}", self.rng.u128(..) >> 60);
        let plan = if p.orphan {
            &job
        } else {
            &self.plans.ids[rule.plan]
        };
        self.out.push(&RecoveryPoint {
            recovery_point_arn: point_arn(at, t, p.continuous, &job, &hex),
            backup_vault_name: &v.name,
            backup_vault_arn: &v.arn,
            resource_arn: &t.arn,
            resource_type: t.btype,
            resource_name: &t.name,
            created_by: CreatedBy {
                backup_plan_id: plan,
                backup_plan_arn: format!("arn:aws:backup:{}:{}:backup-plan:{plan}", at.reg, at.acc),
                backup_plan_version: &self.plans.versions[rule.plan],
                backup_rule_id: &rule.id,
            },
            iam_role_arn: &self.role,
            status: p.status,
            creation_date: Ts(created),
            completion_date: Ts(created + self.rng.i64(5..55) * 60_000),
            backup_size_in_bytes: self.rng.u64(1 << 20..1 << 40),
            calculated_lifecycle: Lifecycle("DeleteAt", Ts(created + rule.days as i64 * DAY)),
            lifecycle: Lifecycle("DeleteAfterDays", rule.days),
            is_encrypted: t.encrypted,
            encryption_key_arn: t.encrypted.then_some(v.key.as_str()),
            vault_type: "BACKUP_VAULT",
        })
    }
}

/// The ARN of a recovery point as the resource's service names it (snapshot, image, backup), or
/// as AWS Backup does.
fn point_arn(at: &Place, t: &Target, continuous: bool, job: &str, hex: &str) -> String {
    let (reg, acc, name) = (at.reg, at.acc, &t.name);
    match t.btype {
        _ if continuous => {
            format!("arn:aws:backup:{reg}:{acc}:recovery-point:continuous:{name}-{job}")
        }
        "EBS" | "Storage Gateway" => format!("arn:aws:ec2:{reg}::snapshot/snap-{hex}"),
        "EC2" => format!("arn:aws:ec2:{reg}::image/ami-{hex}"),
        "RDS" => at.rds(&format!("snapshot:awsbackup:job-{job}")),
        "Aurora" | "DocumentDB" | "Neptune" => {
            at.rds(&format!("cluster-snapshot:awsbackup:job-{job}"))
        }
        "FSx" => format!("arn:aws:fsx:{reg}:{acc}:backup/backup-{hex}"),
        "Redshift" => format!("arn:aws:redshift:{reg}:{acc}:snapshot:{name}/awsbackup:job-{job}"),
        _ => format!("arn:aws:backup:{reg}:{acc}:recovery-point:{job}"),
    }
}
