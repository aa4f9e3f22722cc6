//! Which waiver, if any, covers a finding — the first in file order that matches, found
//! without trying every waiver: waivers with an exact resource ARN are looked up by ARN, and
//! only the patterns whose rule matches the finding's rule are tried.

use super::Waiver;
use crate::model::selection::glob_match;
use crate::rules::RuleSet;
use std::collections::HashMap;

pub struct WaiverIndex<'w> {
    waivers: &'w [Waiver],
    /// Per rule (its index in the rule set): the waivers for it with an exact resource,
    /// by resource, each list in file order.
    exact: Vec<HashMap<&'w str, Vec<u32>>>,
    /// Per rule: the waivers for it whose resource is a pattern, in file order.
    patterns: Vec<Vec<u32>>,
}

impl<'w> WaiverIndex<'w> {
    /// Indexes the waivers `usable` keeps (e.g. the unexpired ones); the others never match.
    pub fn new(
        waivers: &'w [Waiver],
        rules: &RuleSet,
        usable: impl Fn(&Waiver) -> bool,
    ) -> WaiverIndex<'w> {
        let n = rules.rules.len();
        let mut exact: Vec<HashMap<&str, Vec<u32>>> = vec![HashMap::new(); n];
        let mut patterns = vec![Vec::new(); n];
        for (wi, w) in waivers.iter().enumerate().filter(|(_, w)| usable(w)) {
            for (ri, rule) in rules.rules.iter().enumerate() {
                if !glob_match(&w.rule, &rule.id) {
                    continue;
                }
                if w.resource.contains('*') {
                    patterns[ri].push(wi as u32);
                } else {
                    exact[ri].entry(&w.resource).or_default().push(wi as u32);
                }
            }
        }
        WaiverIndex {
            waivers,
            exact,
            patterns,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.exact.iter().all(HashMap::is_empty) && self.patterns.iter().all(Vec::is_empty)
    }

    /// The first waiver in file order matching rule `rule` (an index in the rule set) and
    /// subject `arn`: the same one trying each usable waiver in turn would find.
    pub fn first_match(&self, rule: u32, arn: &str) -> Option<u32> {
        let exact = self.exact[rule as usize]
            .get(arn)
            .and_then(|list| list.first().copied());
        // A pattern wins only if it comes before the first exact match.
        self.patterns[rule as usize]
            .iter()
            .copied()
            .take_while(|p| exact.is_none_or(|e| *p < e))
            .find(|p| glob_match(&self.waivers[*p as usize].resource, arn))
            .or(exact)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    fn waiver(rule: &str, resource: &str) -> Waiver {
        Waiver {
            rule: rule.into(),
            resource: resource.into(),
            reason: "r".into(),
            owner: None,
            expires: None,
            broad: false,
            source: "w.yaml:1".into(),
            at: crate::error::Location {
                path: "w.yaml".into(),
                line: 1,
                column: 1,
            },
        }
    }

    /// What the index must agree with: each usable waiver tried in file order.
    fn linear(waivers: &[Waiver], rule_id: &str, arn: &str) -> Option<u32> {
        waivers
            .iter()
            .position(|w| w.matches(rule_id, arn))
            .map(|i| i as u32)
    }

    #[test]
    fn the_first_matching_waiver_in_file_order_wins_as_when_tried_in_turn() {
        let rules = RuleSet::default_policy().unwrap();
        let a = "arn:aws:ec2:us-east-1:111111111111:instance/i-1";
        let b = "arn:aws:s3:::bucket";
        let waivers = vec![
            waiver("backup-vault-lock", a),
            waiver("backup-protected", "arn:aws:ec2:*:111111111111:instance/*"),
            waiver("backup-*", a),
            waiver("*", b),
            waiver("backup-protected", b),
            waiver("backup-protected", "arn:aws:s3:::buck*"),
            waiver("*", "arn:aws:*:*:111111111111:*"),
        ];
        let index = WaiverIndex::new(&waivers, &rules, |_| true);
        for (ri, rule) in rules.rules.iter().enumerate() {
            for arn in [a, b, "arn:aws:s3:::other", "arn:aws:ec2:x:111111111111:volume/v"] {
                assert_eq!(
                    index.first_match(ri as u32, arn),
                    linear(&waivers, &rule.id, arn),
                    "{} {arn}",
                    rule.id
                );
            }
        }
    }

    #[test]
    fn unusable_waivers_never_match() {
        let rules = RuleSet::default_policy().unwrap();
        let arn = "arn:aws:s3:::bucket";
        let waivers = vec![waiver("*", arn), waiver("*", "arn:aws:s3:::buck*")];
        let index = WaiverIndex::new(&waivers, &rules, |w| w.resource.contains('*'));
        assert_eq!(index.first_match(0, arn), Some(1));
        let none = WaiverIndex::new(&waivers, &rules, |_| false);
        assert!(none.is_empty());
        assert_eq!(none.first_match(0, arn), None);
    }
}
