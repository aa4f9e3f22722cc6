//! Cold storage's 90-day minimum: "recovery points that are transitioned to cold storage must
//! be stored in cold storage for a minimum of 90 days" (reference §4.3), so AWS refuses a
//! lifecycle whose `DeleteAfterDays` is less than `MoveToColdStorageAfterDays` + 90 when the
//! plan is created. A snapshot may still hold one (a hand-made or edited plan, another tool's
//! export): what AWS would do with it is not documented, so for a type whose points do or may
//! go cold the rule is unknown, naming both numbers; a type that ignores the transition is
//! judged as if it were not there.

use super::RuleState;
use crate::model::plan::{PlanRule, Retention};
use crate::model::resource::ResourceKind;
use crate::model::Scope;

/// Days a recovery point must stay in cold storage.
const MIN_COLD_DAYS: i64 = 90;

/// `Some(state)` when the rule's lifecycle breaks the minimum for a resource of `kind`.
pub(super) fn state(scope: &Scope, rule: &PlanRule, kind: ResourceKind) -> Option<RuleState> {
    let goes_cold = kind.cold_storage(scope.management.as_ref()).may_apply();
    let (cold, delete) = breach(rule.cold_after_days, rule.retention, goes_cold)?;
    Some(RuleState::Unknown(format!(
        "rule {:?} moves {} backups to cold storage after {cold} days and deletes them after \
         {delete}, less than the 90 days cold storage requires: AWS refuses such a lifecycle, \
         and what it does with one it holds is not documented",
        rule.name,
        kind.backup_type()
    )))
}

/// `(MoveToColdStorageAfterDays, DeleteAfterDays)` when they break the minimum for points
/// that go cold (`goes_cold`).
fn breach(cold: Option<i64>, retention: Retention, goes_cold: bool) -> Option<(i64, i64)> {
    let cold = cold?;
    let Retention::Days(delete) = retention else {
        return None;
    };
    (goes_cold && delete < cold + MIN_COLD_DAYS).then_some((cold, delete))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_lifecycle_that_breaks_the_minimum_for_points_that_go_cold_is_caught() {
        assert_eq!(
            breach(Some(60), Retention::Days(120), true),
            Some((60, 120))
        );
        assert_eq!(
            breach(Some(60), Retention::Days(149), true),
            Some((60, 149))
        );
        assert_eq!(breach(Some(60), Retention::Days(150), true), None);
        assert_eq!(breach(Some(60), Retention::Days(120), false), None);
        assert_eq!(breach(Some(60), Retention::Forever, true), None);
        assert_eq!(breach(None, Retention::Days(10), true), None);
    }
}
