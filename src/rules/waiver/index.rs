//! Which waiver, if any, covers a finding — the first in file order that matches, found
//! without trying every waiver: waivers with an exact resource ARN are looked up by ARN;
//! a pattern is tried only for the findings of a rule it names and, when it holds a literal
//! `:FIELD:`, only for ARNs that have FIELD between two colons (which every ARN it matches
//! has); the few patterns without one are tried for every finding of their rules.

use super::Waiver;
use crate::model::selection::glob_match;
use crate::rules::RuleSet;
use std::collections::HashMap;

pub struct WaiverIndex<'w> {
    waivers: &'w [Waiver],
    /// Per rule (its index in the rule set): the waivers for it with an exact resource,
    /// by resource, each list in file order.
    exact: Vec<HashMap<&'w str, Vec<u32>>>,
    /// Per rule: the pattern waivers for it keyed by a field their ARNs must have.
    by_field: Vec<HashMap<&'w str, Vec<u32>>>,
    /// Per rule: the other pattern waivers for it, in file order.
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
        let mut by_field: Vec<HashMap<&str, Vec<u32>>> = vec![HashMap::new(); n];
        let mut patterns = vec![Vec::new(); n];
        for (wi, w) in waivers.iter().enumerate().filter(|(_, w)| usable(w)) {
            let key = required_field(&w.resource);
            for (ri, rule) in rules.rules.iter().enumerate() {
                if !glob_match(&w.rule, &rule.id) {
                    continue;
                }
                let list = if !w.resource.contains('*') {
                    exact[ri].entry(&w.resource).or_default()
                } else if let Some(k) = key {
                    by_field[ri].entry(k).or_default()
                } else {
                    &mut patterns[ri]
                };
                list.push(wi as u32);
            }
        }
        WaiverIndex {
            waivers,
            exact,
            by_field,
            patterns,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.exact.iter().all(HashMap::is_empty)
            && self.by_field.iter().all(HashMap::is_empty)
            && self.patterns.iter().all(Vec::is_empty)
    }

    /// The first waiver in file order matching rule `rule` (an index in the rule set) and
    /// subject `arn`: the same one trying each usable waiver in turn would find.
    pub fn first_match(&self, rule: u32, arn: &str) -> Option<u32> {
        let r = rule as usize;
        let exact = self.exact[r]
            .get(arn)
            .and_then(|list| list.first().copied());
        let fields = &self.by_field[r];
        let mut candidates: Vec<u32> = self.patterns[r].clone();
        if !fields.is_empty() {
            let mut seen: Vec<&str> = Vec::new();
            for f in interior_fields(arn) {
                if !seen.contains(&f) {
                    seen.push(f);
                    candidates.extend(fields.get(f).into_iter().flatten());
                }
            }
            candidates.sort_unstable();
        }
        // A pattern wins only if it comes before the first exact match.
        candidates
            .into_iter()
            .take_while(|p| exact.is_none_or(|e| *p < e))
            .find(|p| glob_match(&self.waivers[*p as usize].resource, arn))
            .or(exact)
    }
}

/// The fields of `text` that have a colon on both sides. Not a reading of an ARN
/// (`model::Arn`): the index keys on every such field, those inside the resource part too
/// (`db` in `db:orders`), and of the pieces of a pattern between its `*`s as well as of whole
/// ARNs, since a `*` may span colons.
fn interior_fields(text: &str) -> impl Iterator<Item = &str> {
    let mut parts = text.split(':');
    parts.next();
    let mut parts = parts.peekable();
    std::iter::from_fn(move || {
        let part = parts.next()?;
        parts.peek().map(|_| part)
    })
}

/// A field every text `pattern` matches has between two colons: a `:FIELD:` written in the
/// pattern without `*` (the most telling one: an account ID, else the longest).
fn required_field(pattern: &str) -> Option<&str> {
    pattern
        .split('*')
        .flat_map(interior_fields)
        .max_by_key(|f| {
            (
                f.len() == 12 && f.bytes().all(|b| b.is_ascii_digit()),
                f.len(),
            )
        })
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
            waiver("backup-protected", "arn:aws:ec2:*:111111111111:volume/v*"),
            waiver("*", "*:s3:*"),
            waiver("backup-protected", "arn:aws:s3:::*et"),
        ];
        let index = WaiverIndex::new(&waivers, &rules, |_| true);
        for (ri, rule) in rules.rules.iter().enumerate() {
            for arn in [
                a,
                b,
                "arn:aws:s3:::other",
                "arn:aws:s3:::bucket:111111111111:x",
                "arn:aws:ec2:x:111111111111:volume/v",
                "arn:aws:ec2:x:222222222222:volume/v1:111111111111:",
            ] {
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
    fn a_pattern_is_keyed_by_a_field_every_arn_it_matches_has() {
        assert_eq!(
            required_field("arn:aws:ec2:*:111111111111:volume/v*"),
            Some("111111111111")
        );
        assert_eq!(required_field("arn:aws:backup:*"), Some("backup"));
        assert_eq!(required_field("*:s3:*"), Some("s3"));
        assert_eq!(required_field("arn:*"), None);
        let fields: Vec<&str> = interior_fields("arn:aws:s3:::b").collect();
        assert_eq!(fields, ["aws", "s3", "", ""]);
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

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 256,
            failure_persistence: None,
            ..Default::default()
        })]

        /// On arbitrary patterns and ARN-like texts over a small alphabet (so that colons,
        /// stars and repeats meet often), the index finds what the linear search finds.
        #[test]
        fn the_index_agrees_with_trying_each_waiver_in_turn(
            resources in proptest::collection::vec("[a1:*]{0,9}", 1..12),
            texts in proptest::collection::vec("[a1:]{0,9}", 1..12),
        ) {
            let rules = RuleSet::default_policy().unwrap();
            let waivers: Vec<Waiver> = resources
                .iter()
                .enumerate()
                .map(|(i, r)| waiver(if i % 3 == 0 { "backup-protected" } else { "*" }, r))
                .collect();
            let index = WaiverIndex::new(&waivers, &rules, |_| true);
            for text in &texts {
                for (ri, rule) in rules.rules.iter().enumerate().take(2) {
                    proptest::prop_assert_eq!(
                        index.first_match(ri as u32, text),
                        linear(&waivers, &rule.id, text)
                    );
                }
            }
        }
    }
}
