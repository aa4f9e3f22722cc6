//! What every check on a workload resource reads: the resource, its scope, and the protection
//! the engine decided for it. Its own room, so the checks that share it (workload, copies,
//! the story) depend on it and not on each other.

use super::Verdict;
use crate::engine::finding::{Evidence, Status};
use crate::model::plan::PlanRule;
use crate::model::protection::{AppliedRule, Protection, RuleState};
use crate::model::resource::Resource;
use crate::model::{Inventory, Scope};

pub(crate) struct Ctx<'a> {
    pub inv: &'a Inventory,
    pub scope: &'a Scope,
    pub prot: &'a [Protection],
    pub index: usize,
    pub res: &'a Resource,
}

impl Ctx<'_> {
    pub(crate) fn protection(&self) -> &Protection {
        &self.prot[self.index]
    }

    pub(crate) fn plan_rule(&self, a: &AppliedRule) -> &PlanRule {
        &self.scope.plans[a.plan as usize].rules[a.rule as usize]
    }

    pub(crate) fn evidence(&self, a: &AppliedRule) -> Evidence {
        Evidence {
            plan: Some(a.plan),
            selection: Some(a.selection),
            rule: Some(a.rule),
            vault: Some(self.plan_rule(a).vault.as_str().into()),
            recovery_point: None,
            through: a.through,
        }
    }

    /// FAIL with `reason`, unless an applicable rule whose effect could not be read (e.g. a
    /// schedule the tool cannot interpret) and that `could_help` might make up for the gap:
    /// then NOT_ASSESSED, naming that rule.
    pub(crate) fn fail_unless_unknown(
        &self,
        reason: String,
        could_help: impl Fn(&AppliedRule) -> bool,
    ) -> Verdict {
        let unknown = self.protection().rules.iter().find_map(|a| match &a.state {
            RuleState::Unknown(why) if could_help(a) => Some((a, why)),
            _ => None,
        });
        match unknown {
            Some((a, why)) => Verdict::new(
                Status::NotAssessed,
                format!(
                    "{reason}; whether {} makes up for it is unknown: {why}",
                    self.describe(a)
                ),
            ),
            None => Verdict::new(Status::Fail, reason),
        }
    }

    /// `plan "daily" rule "daily-35d" (selection "tagged")`, plus the carrier if any.
    pub(crate) fn describe(&self, a: &AppliedRule) -> String {
        let plan = &self.scope.plans[a.plan as usize];
        let rule = &plan.rules[a.rule as usize];
        // A rule whose runs are about to stop still protects, and says so wherever it is named.
        let ends = rule
            .schedule
            .ends_warning()
            .map(|w| format!(", {w}"))
            .unwrap_or_default();
        // Where the plan came from, when not the account itself: an org policy's plan is
        // judged with the management account's opt-in.
        let source = plan
            .source
            .label()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        let mut s = format!(
            "plan {:?}{source} rule {:?} (selection {:?}{ends})",
            plan.name, rule.name, plan.selections[a.selection as usize].name
        );
        if let Some(t) = a.through {
            s.push_str(&format!(
                " through EC2 instance {} (its AMI includes attached volumes)",
                self.scope.resources[t as usize].id
            ));
        }
        s
    }
}
