//! Backup selection semantics, as AWS documents them (reference §1 and §3):
//!
//! ```text
//! selected = ((Resources ∪ ListOfTags) ∩ Conditions) − NotResources, then region opt-in
//! ```
//!
//! `Resources` and `ListOfTags` entries are OR'ed; `Conditions` entries are AND'ed; an
//! empty selection means every supported, opted-in resource. Matching is case-sensitive.

pub mod role;

use super::resource::{Resource, ResourceKind};
use super::{Arn, Tri};
use crate::snapshot::aws;
use serde::Serialize;

/// How an ARN pattern in `Resources` selects, which decides whether opt-in applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PatternKind {
    /// `"*"`: every supported resource; opt-in applies.
    All,
    /// `arn:aws:ec2:*` or a `*` resource part: opt-in applies.
    Service,
    /// `arn:aws:ec2:*:*:volume/*`, a prefix or an exact ARN: opt-in is disregarded
    /// (except for Aurora, DocumentDB and Neptune).
    ResourceType,
    /// A `*` inside the resource id that is not at its end (`arn:aws:s3:::*-logs`): AWS
    /// documents it as unsupported, so it is never honoured as a match.
    Unsupported,
}

#[derive(Debug, Clone, Serialize)]
pub struct ArnPattern {
    pub text: String,
    pub kind: PatternKind,
}

impl ArnPattern {
    pub fn new(text: &str) -> ArnPattern {
        ArnPattern {
            text: text.to_owned(),
            kind: classify(text),
        }
    }

    pub fn matches(&self, arn: &str) -> bool {
        glob_match(&self.text, arn)
    }
}

fn classify(p: &str) -> PatternKind {
    if p == "*" {
        return PatternKind::All;
    }
    let Some(arn) = Arn::parse_pattern(p) else {
        return PatternKind::Service;
    };
    let resource = arn.resource();
    if resource == "*" || resource.is_empty() {
        return PatternKind::Service;
    }
    match resource.find('*') {
        Some(i) if i + 1 != resource.len() => PatternKind::Unsupported,
        _ => PatternKind::ResourceType,
    }
}

/// `*` matches any run of characters (including `:` and `/`); everything else is literal.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    wildcard_match(pattern.as_bytes(), text.as_bytes(), |_| true)
}

/// `StringLike`: `*` matches zero or more *non-whitespace* characters (reference §1.2).
pub fn like_match(pattern: &str, text: &str) -> bool {
    wildcard_match(pattern.as_bytes(), text.as_bytes(), |b| {
        !b.is_ascii_whitespace()
    })
}

/// Iterative wildcard matcher with single backtracking point: linear in practice.
fn wildcard_match(p: &[u8], t: &[u8], star_may_eat: impl Fn(u8) -> bool) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            if !star_may_eat(t[st]) {
                return false;
            }
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ConditionOp {
    StringEquals,
    StringNotEquals,
    StringLike,
    StringNotLike,
}

#[derive(Debug, Clone, Serialize)]
pub struct TagCondition {
    pub op: ConditionOp,
    /// The key as written, e.g. `aws:ResourceTag/backup`.
    pub key: String,
    pub value: String,
}

const TAG_PREFIX: &str = "aws:ResourceTag/";

impl TagCondition {
    /// `None` when the key is not a resource tag, which AWS does not document: callers treat
    /// that condition as unmet (conservative).
    fn holds(&self, res: &Resource) -> Option<bool> {
        let key = self.key.strip_prefix(TAG_PREFIX)?;
        let v = res.tag(key);
        Some(match self.op {
            ConditionOp::StringEquals => v == Some(self.value.as_str()),
            ConditionOp::StringNotEquals => v != Some(self.value.as_str()),
            ConditionOp::StringLike => v.is_some_and(|v| like_match(&self.value, v)),
            ConditionOp::StringNotLike => !v.is_some_and(|v| like_match(&self.value, v)),
        })
    }

    fn describe(&self) -> String {
        format!("{:?} {}={:?}", self.op, self.key, self.value)
    }

    /// An unmet positive condition that would hold but for case or surrounding spaces.
    fn nearly_holds(&self, res: &Resource) -> bool {
        let Some(v) = self.key.strip_prefix(TAG_PREFIX).and_then(|k| res.tag(k)) else {
            return false;
        };
        // Asked for every unmet condition of every resource: no allocation for the common op.
        let (want, have) = (self.value.trim(), v.trim());
        match self.op {
            ConditionOp::StringEquals => want.eq_ignore_ascii_case(have),
            ConditionOp::StringLike => like_match(&want.to_lowercase(), &have.to_lowercase()),
            ConditionOp::StringNotEquals | ConditionOp::StringNotLike => false,
        }
    }

    /// What the resource has for this condition's tag, for the reason it is unmet.
    fn what_resource_has(&self, res: &Resource) -> String {
        let Some(key) = self.key.strip_prefix(TAG_PREFIX) else {
            return String::new();
        };
        match res.tag(key) {
            None => format!(" (the resource has no {key:?} tag)"),
            Some(v) if self.nearly_holds(res) => format!(
                " (the resource has {key}={v:?}: tag values are case-sensitive and spaces count)"
            ),
            Some(v) => format!(" (the resource has {key}={v:?})"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Selection {
    pub name: String,
    pub id: Option<String>,
    pub iam_role_arn: Option<String>,
    pub resources: Vec<ArnPattern>,
    pub not_resources: Vec<ArnPattern>,
    /// `ListOfTags`: bare tag key = value, OR'ed (only StringEquals exists).
    pub list_of_tags: Vec<(String, String)>,
    pub conditions: Vec<TagCondition>,
    /// Whether AWS Backup can assume `iam_role_arn` (set from the scope's iam-roles.json).
    pub role: role::RoleState,
}

impl Selection {
    pub fn from_aws(s: aws::BackupSelection, id: Option<String>) -> Selection {
        let mut conditions = Vec::new();
        if let Some(c) = s.conditions {
            for (op, list) in [
                (ConditionOp::StringEquals, c.string_equals),
                (ConditionOp::StringNotEquals, c.string_not_equals),
                (ConditionOp::StringLike, c.string_like),
                (ConditionOp::StringNotLike, c.string_not_like),
            ] {
                conditions.extend(list.into_iter().map(|p| TagCondition {
                    op,
                    key: p.condition_key,
                    value: p.condition_value,
                }));
            }
        }
        Selection {
            name: s.selection_name,
            id,
            iam_role_arn: s.iam_role_arn,
            resources: s.resources.iter().map(|p| ArnPattern::new(p)).collect(),
            not_resources: s.not_resources.iter().map(|p| ArnPattern::new(p)).collect(),
            list_of_tags: s
                .list_of_tags
                .into_iter()
                .map(|t| {
                    // The API doc shows bare keys; accept the Conditions-style prefix too.
                    let k = t.condition_key;
                    let k = k.strip_prefix(TAG_PREFIX).map(str::to_owned).unwrap_or(k);
                    (k, t.condition_value)
                })
                .collect(),
            conditions,
            role: role::RoleState::NotChecked,
        }
    }

    fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.list_of_tags.is_empty() && self.conditions.is_empty()
    }
}

/// Why a selection did or did not pick a resource: the `explain` story for one selection.
#[derive(Debug, Clone, Serialize)]
pub struct SelectionDecision {
    /// Yes: a backup job will be created; No: not selected, or selected but blocked by
    /// opt-in; Unknown: depends on data the snapshot could not read.
    pub selected: Tri,
    /// One line, e.g. `Resources "arn:aws:ec2:*:*:volume/*" matched; opt-in not needed`.
    pub reason: String,
    /// The resource matched the criteria but region opt-in blocked it.
    pub blocked_by_opt_in: bool,
}

/// Region opt-in for one resource type: `None` when region settings could not be read.
pub type OptIn = Option<bool>;

pub fn decide(sel: &Selection, res: &Resource, opt_in: OptIn) -> SelectionDecision {
    decide_as(sel, res, opt_in, OptInWords::default())
}

/// Whose opt-in a decision uses, in the words of its reason, when not simply the region's
/// (an org-policy plan uses the management account's: see the `provenance` module).
#[derive(Debug, Clone, Copy, Default)]
pub struct OptInWords<'a> {
    /// `the management account A in R (org policy plan)`; `None`: this region's own.
    pub owner: Option<&'a str>,
    /// Why the opt-in is unknown, when that is more than "the region's settings are unknown".
    pub unknown: Option<&'a str>,
}

/// [`decide`], naming whose opt-in was used.
pub fn decide_as(
    sel: &Selection,
    res: &Resource,
    opt_in: OptIn,
    words: OptInWords,
) -> SelectionDecision {
    let outcome = outcome(sel, res, opt_in);
    let (selected, blocked_by_opt_in) = outcome.verdict();
    SelectionDecision {
        selected,
        reason: outcome.describe(res, words),
        blocked_by_opt_in,
    }
}

/// `decide` without its reason. Protection calls this for every resource × selection and only
/// asks `decide` for the words when it keeps them.
pub fn decide_quietly(sel: &Selection, res: &Resource, opt_in: OptIn) -> Quick {
    let o = outcome(sel, res, opt_in);
    let (selected, blocked_by_opt_in) = o.verdict();
    let near_miss = match &o {
        Outcome::NoMatch { unsupported } => unsupported.is_some(),
        Outcome::ConditionUnmet(_, c) => c.nearly_holds(res),
        _ => blocked_by_opt_in,
    };
    Quick {
        selected,
        near_miss,
        matched_nothing: matches!(o, Outcome::NoMatch { unsupported: None }),
    }
}

/// A selection's decision for one resource, without its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quick {
    pub selected: Tri,
    /// Not selected only because of region opt-in, a `Resources` pattern AWS does not honour,
    /// or a tag value that differs in case or surrounding spaces: the likely cause of an
    /// unexpected gap, worth naming in the verdict.
    pub near_miss: bool,
    /// No pattern or tag matched and nothing else is worth saying: the reason is
    /// [`NO_MATCH`], the same for every resource.
    pub matched_nothing: bool,
}

/// The reason of a selection whose patterns and tags match nothing.
pub const NO_MATCH: &str = "no Resources pattern or ListOfTags entry matches";

/// What matched in `Resources ∪ ListOfTags`.
enum MatchedBy<'s> {
    /// A resource-type or resource-level ARN pattern: region opt-in is disregarded.
    TypeLevel(&'s ArnPattern),
    /// `"*"` or a service-wide pattern.
    Broad(&'s ArnPattern),
    Tag(&'s str, &'s str),
    EmptySelection,
    ConditionsOnly,
}

/// A selection's decision for one resource, before it is put into words.
enum Outcome<'s> {
    NoMatch {
        unsupported: Option<&'s ArnPattern>,
    },
    ConditionUnmet(MatchedBy<'s>, &'s TagCondition),
    ConditionNotTag(MatchedBy<'s>, &'s TagCondition),
    Excluded(MatchedBy<'s>, &'s ArnPattern),
    /// Selected by a resource-level ARN: opt-in not needed.
    SelectedByArn(MatchedBy<'s>),
    OptedIn(MatchedBy<'s>),
    NotOptedIn(MatchedBy<'s>),
    OptInUnknown(MatchedBy<'s>),
}

fn outcome<'s>(sel: &'s Selection, res: &Resource, opt_in: OptIn) -> Outcome<'s> {
    // (Resources ∪ ListOfTags)
    let mut type_level: Option<&ArnPattern> = None;
    let mut broad: Option<MatchedBy> = None;
    let mut unsupported: Option<&ArnPattern> = None;
    for p in &sel.resources {
        if p.kind == PatternKind::Unsupported {
            if p.matches(&res.arn) {
                unsupported = Some(p);
            }
            continue;
        }
        if p.matches(&res.arn) {
            if p.kind == PatternKind::ResourceType {
                type_level.get_or_insert(p);
            } else {
                broad.get_or_insert(MatchedBy::Broad(p));
            }
        }
    }
    if broad.is_none() {
        if let Some((k, v)) = sel.list_of_tags.iter().find(|(k, v)| res.tag(k) == Some(v)) {
            broad = Some(MatchedBy::Tag(k, v));
        }
    }
    if sel.is_empty() {
        broad = Some(MatchedBy::EmptySelection);
    } else if sel.resources.is_empty() && sel.list_of_tags.is_empty() {
        // Conditions only: AWS examples always pair Conditions with Resources ["*"]; this
        // reading (base = everything) is undocumented but the only one that selects anything.
        broad = Some(MatchedBy::ConditionsOnly);
    }
    let is_type_level = type_level.is_some();
    let matched_by = match (type_level, broad) {
        (Some(p), _) => MatchedBy::TypeLevel(p),
        (None, Some(b)) => b,
        (None, None) => return Outcome::NoMatch { unsupported },
    };

    // ∩ Conditions
    for c in &sel.conditions {
        match c.holds(res) {
            Some(true) => {}
            Some(false) => return Outcome::ConditionUnmet(matched_by, c),
            None => return Outcome::ConditionNotTag(matched_by, c),
        }
    }

    // − NotResources
    if let Some(p) = sel.not_resources.iter().find(|p| p.matches(&res.arn)) {
        return Outcome::Excluded(matched_by, p);
    }

    // Region opt-in (reference §3.2)
    let needs_opt_in = res.kind.always_needs_opt_in() || !is_type_level;
    if !needs_opt_in {
        return Outcome::SelectedByArn(matched_by);
    }
    match opt_in {
        Some(true) => Outcome::OptedIn(matched_by),
        Some(false) => Outcome::NotOptedIn(matched_by),
        None => Outcome::OptInUnknown(matched_by),
    }
}

impl MatchedBy<'_> {
    fn describe(&self) -> String {
        match self {
            MatchedBy::TypeLevel(p) | MatchedBy::Broad(p) => format!("Resources {:?}", p.text),
            MatchedBy::Tag(k, v) => format!("ListOfTags {k}={v:?}"),
            MatchedBy::EmptySelection => {
                "empty selection (all supported, opted-in resources)".into()
            }
            MatchedBy::ConditionsOnly => {
                "Conditions only (undocumented: read as Resources [\"*\"])".into()
            }
        }
    }
}

impl Outcome<'_> {
    /// `(selected, blocked_by_opt_in)`.
    fn verdict(&self) -> (Tri, bool) {
        match self {
            Outcome::SelectedByArn(_) | Outcome::OptedIn(_) => (Tri::Yes, false),
            Outcome::NotOptedIn(_) => (Tri::No, true),
            Outcome::OptInUnknown(_) => (Tri::Unknown, false),
            Outcome::NoMatch { .. }
            | Outcome::ConditionUnmet(..)
            | Outcome::ConditionNotTag(..)
            | Outcome::Excluded(..) => (Tri::No, false),
        }
    }

    /// One line, e.g. `Resources "arn:aws:ec2:*:*:volume/*" matched; opt-in not needed`.
    fn describe(&self, res: &Resource, words: OptInWords) -> String {
        let why_opt_in = || {
            if res.kind.always_needs_opt_in() {
                format!("{} always needs opt-in", res.kind.backup_type())
            } else {
                "selected by tag, \"*\" or service-wide pattern, so opt-in applies".to_owned()
            }
        };
        match self {
            Outcome::NoMatch { unsupported } => {
                let mut r = NO_MATCH.to_owned();
                if let Some(p) = unsupported {
                    r.push_str(&format!(
                        "; pattern {:?} has a '*' inside the resource id, which AWS does not support, so it is not honoured",
                        p.text
                    ));
                }
                r
            }
            Outcome::ConditionUnmet(m, c) => format!(
                "{} matched, but condition {} is not met{}",
                m.describe(),
                c.describe(),
                c.what_resource_has(res)
            ),
            Outcome::ConditionNotTag(m, c) => format!(
                "{} matched, but condition key {:?} is not an aws:ResourceTag/ key; treated as unmet",
                m.describe(),
                c.key
            ),
            Outcome::Excluded(m, p) => format!(
                "{} matched, but NotResources {:?} excludes it",
                m.describe(),
                p.text
            ),
            Outcome::SelectedByArn(m) => format!(
                "{} matched (resource-level ARN: region opt-in not needed)",
                m.describe()
            ),
            Outcome::OptedIn(m) => match words.owner {
                None => format!("{} matched; {} opted in", m.describe(), res.kind.backup_type()),
                Some(o) => format!(
                    "{} matched; {} opted in for {o}",
                    m.describe(),
                    res.kind.backup_type()
                ),
            },
            Outcome::NotOptedIn(m) => format!(
                "{} matched, but {} is not opted in for {} ({}): AWS Backup does not back it up",
                m.describe(),
                res.kind.backup_type(),
                words.owner.unwrap_or("this region"),
                why_opt_in()
            ),
            Outcome::OptInUnknown(m) if res.kind.opt_in_key_uncertain() => format!(
                "{} matched; {}, but whether {} is opted in is unknown: the region's opt-in \
                 settings are unknown or have no {:?} key, and AWS's documentation disagrees on \
                 whether that key exists (so a missing key is not read as \"not opted in\")",
                m.describe(),
                why_opt_in(),
                res.kind.backup_type(),
                res.kind.backup_type()
            ),
            Outcome::OptInUnknown(m) => format!(
                "{} matched; {}, but {}",
                m.describe(),
                why_opt_in(),
                words
                    .unknown
                    .unwrap_or("the region's opt-in settings are unknown")
            ),
        }
    }
}

/// Looks a type up in `ResourceTypeOptInPreference`. A type missing from the map is treated
/// as not opted in (new services must be enabled explicitly, reference §3.2), unless the
/// reference is unsure of the type's key ([`ResourceKind::opt_in_key_uncertain`]): then
/// whether it is opted in is unknown (`None`). The spelling varies between partitions
/// (`FSx`/`FSX`), so fall back to a case-insensitive key.
pub fn opt_in_for(
    settings: &std::collections::BTreeMap<String, bool>,
    kind: ResourceKind,
) -> Option<bool> {
    let t = kind.backup_type();
    let found = settings.get(t).or_else(|| {
        settings
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(t))
            .map(|(_, v)| v)
    });
    match found {
        Some(v) => Some(*v),
        None if kind.opt_in_key_uncertain() => None,
        None => Some(false),
    }
}

#[cfg(test)]
mod tests;
