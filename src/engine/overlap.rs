//! Which of a resource's effective rules really run, and which runs as continuous backup.
//!
//! Two rules do not always mean two backups (reference §4.2, §4.4, traps 10 and 11):
//! - within a plan, when two rules' windows overlap AWS takes one backup, for the rule with
//!   the longer retention: a rule whose every run coincides with a longer-kept rule's (the
//!   same schedule) never produces its own points, nor its copies;
//! - a resource has one continuous backup: into one vault the longest retention wins; into
//!   several vaults the first rule processed wins, which the snapshot cannot tell, so every
//!   candidate must satisfy a requirement for it to be met.

use crate::model::plan::{PlanRule, Retention};
use crate::model::protection::AppliedRule;
use crate::model::Scope;

fn plan_rule<'s>(scope: &'s Scope, a: &AppliedRule) -> &'s PlanRule {
    &scope.plans[a.plan as usize].rules[a.rule as usize]
}

fn longer(a: Retention, b: Retention) -> bool {
    match (a, b) {
        (Retention::Forever, Retention::Days(_)) => true,
        (Retention::Days(x), Retention::Days(y)) => x > y,
        _ => false,
    }
}

/// The rule of the same plan that runs instead of `a` at each of its runs, if any.
pub fn shadowed_by<'e>(
    scope: &Scope,
    effective: &[&'e AppliedRule],
    a: &AppliedRule,
) -> Option<&'e AppliedRule> {
    let r = plan_rule(scope, a);
    effective.iter().copied().find(|b| {
        let o = plan_rule(scope, b);
        b.plan == a.plan
            && b.rule != a.rule
            && o.schedule.expression == r.schedule.expression
            && o.schedule.timezone == r.schedule.timezone
            && longer(o.retention, r.retention)
    })
}

/// The effective rules that run, each once (a rule reached through two selections is one rule).
pub fn running<'e>(scope: &Scope, effective: &[&'e AppliedRule]) -> Vec<&'e AppliedRule> {
    let mut out: Vec<&AppliedRule> = Vec::new();
    for &a in effective {
        let seen = out.iter().any(|b| (b.plan, b.rule) == (a.plan, a.rule));
        if !seen && shadowed_by(scope, effective, a).is_none() {
            out.push(a);
        }
    }
    out
}

/// The possible sets of continuous rules among `rules`: one entry per way AWS may have
/// resolved "one continuous backup per resource", each the index of the rule that runs as
/// continuous (`None` when no rule is continuous).
pub fn continuous_outcomes(scope: &Scope, rules: &[&AppliedRule]) -> Vec<Option<usize>> {
    let candidates: Vec<usize> = (0..rules.len()).filter(|&i| rules[i].continuous).collect();
    let Some(&first) = candidates.first() else {
        return vec![None];
    };
    let vault = |i: usize| &plan_rule(scope, rules[i]).vault;
    if candidates.iter().all(|&i| vault(i) == vault(first)) {
        // One vault: the longest retention wins.
        let best = candidates
            .iter()
            .copied()
            .reduce(|w, i| {
                let (rw, ri) = (
                    plan_rule(scope, rules[w]).retention,
                    plan_rule(scope, rules[i]).retention,
                );
                if longer(ri, rw) {
                    i
                } else {
                    w
                }
            })
            .unwrap_or(first);
        return vec![Some(best)];
    }
    candidates.into_iter().map(Some).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forever_outlasts_any_number_of_days() {
        assert!(longer(Retention::Forever, Retention::Days(36_500)));
        assert!(!longer(Retention::Days(36_500), Retention::Forever));
        assert!(longer(Retention::Days(36), Retention::Days(35)));
        assert!(!longer(Retention::Days(35), Retention::Days(35)));
    }
}
