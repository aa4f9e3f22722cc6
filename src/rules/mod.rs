//! Declarative rules (`rules/*.yaml`): what a policy requires, scoped to resources, with its
//! documentation and framework mappings. Loading reports every problem at once with
//! file:line:column; nothing here evaluates anything.

mod check;
use crate::snapshot::names;
pub mod waiver;
mod yaml;

pub use check::{Check, SubjectKind, Tier, KINDS};
pub use names::nearest;

use crate::error::{Diagnostic, Error, Result};
use crate::model::resource::ResourceKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use yaml::{Ctx, Fields};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const NAMES: [(&'static str, Severity); 5] = [
        ("info", Severity::Info),
        ("low", Severity::Low),
        ("medium", Severity::Medium),
        ("high", Severity::High),
        ("critical", Severity::Critical),
    ];

    pub fn as_str(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, s)| *s == self)
            .map(|(n, _)| *n)
            .unwrap_or("info")
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Self::NAMES.iter().find(|(n, _)| *n == s).map(|(_, v)| *v)
    }
}

/// Which subjects a rule looks at. Empty lists mean "all".
#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleScope {
    pub resource_types: Vec<ResourceKind>,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    /// Tag filters on workload resources: key → value (`*` = any value, key must exist).
    pub tags: BTreeMap<String, String>,
}

impl RuleScope {
    pub fn includes_location(&self, account: &str, region: &str) -> bool {
        (self.accounts.is_empty() || self.accounts.iter().any(|a| a == account))
            && (self.regions.is_empty() || self.regions.iter().any(|r| r == region))
    }

    pub fn includes_kind(&self, kind: ResourceKind) -> bool {
        self.resource_types.is_empty() || self.resource_types.contains(&kind)
    }

    pub fn includes_tags(&self, tag: impl Fn(&str) -> Option<String>) -> bool {
        self.tags.iter().all(|(k, v)| match tag(k) {
            Some(actual) => v == "*" || *v == actual,
            None => false,
        })
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleDocs {
    pub what: String,
    pub why: String,
    pub remediation: String,
    pub references: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub check: Check,
    pub scope: RuleScope,
    pub docs: RuleDocs,
    /// Framework name → control ids, e.g. `aws-backup-audit-manager: [BACKUP_…]`.
    pub frameworks: BTreeMap<String, Vec<String>>,
    /// Where the rule was defined, `path:line`.
    pub source: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    /// The files the rules came from, in load order.
    pub sources: Vec<String>,
}

/// The shipped default policy, embedded so the binary works from any directory.
pub const DEFAULT_RULE_FILES: &[(&str, &str)] = &[
    (
        "rules/default/jobs.yaml",
        include_str!("../../rules/default/jobs.yaml"),
    ),
    (
        "rules/default/organization.yaml",
        include_str!("../../rules/default/organization.yaml"),
    ),
    (
        "rules/default/protection.yaml",
        include_str!("../../rules/default/protection.yaml"),
    ),
    (
        "rules/default/recovery-points.yaml",
        include_str!("../../rules/default/recovery-points.yaml"),
    ),
    (
        "rules/default/vaults.yaml",
        include_str!("../../rules/default/vaults.yaml"),
    ),
];

impl RuleSet {
    pub fn default_policy() -> Result<RuleSet> {
        let files: Vec<(PathBuf, String)> = DEFAULT_RULE_FILES
            .iter()
            .map(|(p, t)| (PathBuf::from(p), t.to_string()))
            .collect();
        Self::from_texts(&files)
    }

    /// Loads rule files; each path may be a file or a directory (searched for `*.yaml`/`*.yml`).
    pub fn load(paths: &[PathBuf]) -> Result<RuleSet> {
        let mut files = Vec::new();
        let mut diags = Vec::new();
        for p in paths {
            let before = (files.len(), diags.len());
            collect_yaml_files(p, &mut files, &mut diags);
            if (files.len(), diags.len()) == before {
                // Named as given, so the user sees which of their paths held nothing.
                diags.push(Diagnostic::file(p, "no rule files found"));
            }
        }
        let mut texts = Vec::new();
        for f in files {
            match crate::input::read_text(&f) {
                Ok(t) => texts.push((f, t)),
                Err(d) => diags.push(d),
            }
        }
        if !diags.is_empty() {
            return Err(Error::Invalid(diags));
        }
        Self::from_texts(&texts)
    }

    pub fn from_texts(files: &[(PathBuf, String)]) -> Result<RuleSet> {
        let mut set = RuleSet::default();
        let mut diags = Vec::new();
        let mut first_seen: BTreeMap<String, String> = BTreeMap::new();
        for (path, text) in files {
            let mut ctx = Ctx::new(path);
            match yaml::parse(path, text) {
                Ok(root) => {
                    for parsed in parse_rule_file(&mut ctx, &root) {
                        // Judged on the id alone, so a duplicate is reported together with
                        // the other problems of its rule, not once they are fixed.
                        if let Some(id) = &parsed.id {
                            let here = format!("{}:{}", path.display(), parsed.line);
                            if let Some(prev) = first_seen.get(id) {
                                ctx.error(
                                    &parsed.span,
                                    format!("duplicate rule id {id:?} (first defined at {prev})"),
                                );
                                continue;
                            }
                            first_seen.insert(id.clone(), here);
                        }
                        set.rules.extend(parsed.rule);
                    }
                }
                Err(d) => ctx.diags.push(d),
            }
            diags.append(&mut ctx.diags);
            set.sources.push(path.display().to_string());
        }
        if files.is_empty() {
            diags.push(Diagnostic::file(Path::new("."), "no rule files given"));
        }
        // In reading order, whichever check found them.
        diags.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
        if diags.is_empty() {
            Ok(set)
        } else {
            Err(Error::Invalid(diags))
        }
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

fn collect_yaml_files(p: &Path, out: &mut Vec<PathBuf>, diags: &mut Vec<Diagnostic>) {
    if p.is_dir() {
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(p) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => {
                diags.push(Diagnostic::file(
                    p,
                    format!("cannot list rule directory: {e}"),
                ));
                return;
            }
        };
        entries.sort();
        for e in entries {
            let is_yaml = e.extension().is_some_and(|x| x == "yaml" || x == "yml");
            if e.is_dir() || is_yaml {
                collect_yaml_files(&e, out, diags);
            }
        }
    } else if p.exists() {
        out.push(p.to_path_buf());
    } else {
        diags.push(Diagnostic::file(p, "no such rule file or directory"));
    }
}

/// One entry of a rule file: its id and position even when the rule itself is invalid.
struct Parsed {
    id: Option<String>,
    span: marked_yaml::Span,
    line: usize,
    rule: Option<Rule>,
}

fn parse_rule_file(ctx: &mut Ctx, root: &marked_yaml::Node) -> Vec<Parsed> {
    let mut out = Vec::new();
    let Some(mut top) = ctx.mapping(root, "a rule file") else {
        return out;
    };
    let rules = top.required(ctx, "rules", "a rule file");
    top.finish(ctx, "a rule file");
    let Some(list) = rules.and_then(|r| ctx.sequence(r, "`rules`")) else {
        return out;
    };
    for node in list {
        let id = node
            .as_mapping()
            .and_then(|m| m.get_scalar("id"))
            .map(|s| s.as_str().to_owned())
            .filter(|id| !id.is_empty());
        out.push(Parsed {
            id,
            span: *node.span(),
            line: node.span().start().map(|m| m.line()).unwrap_or(0),
            rule: parse_rule(ctx, node),
        });
    }
    out
}

fn parse_rule(ctx: &mut Ctx, node: &marked_yaml::Node) -> Option<Rule> {
    let mut f = ctx.mapping(node, "a rule")?;
    let line = f.span().start().map(|m| m.line()).unwrap_or(0);
    let id = f
        .required(ctx, "id", "a rule")
        .and_then(|n| ctx.string(n, "`id`"));
    if let (Some(id), Some(n)) = (&id, f.get("id")) {
        let kebab = id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !kebab {
            ctx.error(
                n.span(),
                format!("rule id {id:?} must be kebab-case (a-z, 0-9, -)"),
            );
        }
    }
    let title = f
        .required(ctx, "title", "a rule")
        .and_then(|n| ctx.string(n, "`title`"));
    let severity = f
        .required(ctx, "severity", "a rule")
        .and_then(|n| ctx.one_of(n, "severity", &Severity::NAMES));
    let check = f
        .required(ctx, "check", "a rule")
        .and_then(|n| check::parse(ctx, n));
    let scope = match f.get("scope") {
        Some(n) => parse_scope(ctx, n),
        None => Some(RuleScope::default()),
    };
    let docs = f
        .required(ctx, "docs", "a rule")
        .and_then(|n| parse_docs(ctx, n));
    let frameworks = match f.get("frameworks") {
        Some(n) => parse_frameworks(ctx, n),
        None => Some(BTreeMap::new()),
    };
    f.finish(ctx, "a rule");
    Some(Rule {
        id: id?,
        title: title?,
        severity: severity?,
        check: check?,
        scope: scope?,
        docs: docs?,
        frameworks: frameworks?,
        source: format!("{}:{line}", ctx.path.display()),
    })
}

fn parse_scope(ctx: &mut Ctx, node: &marked_yaml::Node) -> Option<RuleScope> {
    let mut f: Fields = ctx.mapping(node, "`scope`")?;
    let mut scope = RuleScope::default();
    let mut ok = true;
    if let Some(n) = f.get("resource_types") {
        let kinds: Vec<(&str, ResourceKind)> = ResourceKind::ALL
            .iter()
            .map(|k| (k.short_name(), *k))
            .collect();
        match ctx.sequence(n, "`resource_types`") {
            Some(list) => {
                for item in list {
                    match ctx.one_of(item, "resource type", &kinds) {
                        Some(k) => scope.resource_types.push(k),
                        None => ok = false,
                    }
                }
            }
            None => ok = false,
        }
    }
    if let Some(n) = f.get("accounts") {
        scope.accounts = ctx
            .checked_strings(n, "`accounts`", names::account_problem)
            .unwrap_or_else(|| {
                ok = false;
                Vec::new()
            });
    }
    if let Some(n) = f.get("regions") {
        scope.regions = ctx
            .checked_strings(n, "`regions`", names::region_problem)
            .unwrap_or_else(|| {
                ok = false;
                Vec::new()
            });
    }
    if let Some(n) = f.get("tags") {
        match ctx.mapping(n, "`tags`") {
            Some(tags) => {
                for (k, v) in tags.entries() {
                    match ctx.string(v, "a tag value") {
                        Some(v) => {
                            scope.tags.insert(k.to_owned(), v);
                        }
                        None => ok = false,
                    }
                }
            }
            None => ok = false,
        }
    }
    f.finish(ctx, "`scope`");
    ok.then_some(scope)
}

fn parse_docs(ctx: &mut Ctx, node: &marked_yaml::Node) -> Option<RuleDocs> {
    let mut f = ctx.mapping(node, "`docs`")?;
    let what = f
        .required(ctx, "what", "`docs`")
        .and_then(|n| ctx.string(n, "`docs.what`"));
    let why = f
        .required(ctx, "why", "`docs`")
        .and_then(|n| ctx.string(n, "`docs.why`"));
    let remediation = f
        .required(ctx, "remediation", "`docs`")
        .and_then(|n| ctx.string(n, "`docs.remediation`"));
    let references = match f.get("references") {
        Some(n) => ctx.strings(n, "`docs.references`"),
        None => Some(Vec::new()),
    };
    f.finish(ctx, "`docs`");
    Some(RuleDocs {
        what: what?,
        why: why?,
        remediation: remediation?,
        references: references?,
    })
}

fn parse_frameworks(
    ctx: &mut Ctx,
    node: &marked_yaml::Node,
) -> Option<BTreeMap<String, Vec<String>>> {
    let f = ctx.mapping(node, "`frameworks`")?;
    let mut out = BTreeMap::new();
    let mut ok = true;
    for (k, v) in f.entries() {
        let ids = match v {
            marked_yaml::Node::Scalar(_) => ctx.string(v, "a framework control").map(|s| vec![s]),
            _ => ctx.strings(v, "framework controls"),
        };
        match ids {
            Some(ids) => {
                out.insert(k.to_owned(), ids);
            }
            None => ok = false,
        }
    }
    ok.then_some(out)
}
