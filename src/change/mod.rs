//! A planned change, judged before it is applied (`scan --terraform-plan`, `scan
//! --cfn-change-set`): the plan's
//! resource changes are laid over the snapshot (the organisation as it will be), the same
//! engine judges it, and the snapshot as it is serves as the baseline, so each finding says
//! what the change does to it. What is known only after apply is never taken as protection:
//! the findings it could turn are UNDECIDABLE, naming the cause and the plan's address.

pub mod cloudformation;
mod intrinsics;
pub mod judged;
mod lay;
pub mod mistakes;
mod records;
pub mod template;
pub mod terraform;
mod vaults;
mod yaml;

use crate::engine::finding::{Status, Subject};
use crate::engine::Evaluation;
use crate::error::{Error, Result};
use crate::model::Inventory;
use crate::rules::RuleSet;
use crate::snapshot::Snapshot;
use records::At;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use terraform::{Action, ResourceChange};

/// Where a planned resource lands when neither its ARN nor its provider says.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    pub account: Option<String>,
    pub region: Option<String>,
}

/// What laying the plan over the snapshot did.
#[derive(Debug, Default)]
pub struct Overlay {
    /// Resource changes laid over the snapshot.
    pub applied: usize,
    /// Resources whose verdicts wait for apply: ARN → why.
    pub undecidable: BTreeMap<String, String>,
    /// Account-regions where something every resource depends on (a selection's resources,
    /// a plan's rules) waits for apply: (account, region) → why.
    pub undecidable_scopes: BTreeMap<(String, String), String>,
    /// Each planned resource's address → the ARN it is judged by (known, or standing in).
    pub arns: BTreeMap<String, String>,
    /// The resources the plan creates: nothing has run for them yet.
    pub created: std::collections::BTreeSet<String>,
    /// The backup selections the plan creates or changes, where they land.
    pub selections: Vec<LaidSelection>,
    /// Selections the change may delete (a template replaces their plan without naming them):
    /// selection id → why. What only they protect is undecidable.
    pub undecidable_selections: BTreeMap<String, String>,
    /// Vaults whose access policy is known only after apply: vault ARN → why.
    pub vault_policies_unknown: BTreeMap<String, String>,
    /// Why the plans an Organizations backup policy delivers are known only after apply (the
    /// change alters or removes such a policy or its attachment).
    pub org_policy: Option<String>,
    /// Said to the user, never silently dropped: what the overlay does not model yet, what a
    /// replacement costs.
    pub notes: Vec<String>,
}

/// A backup selection as the plan leaves it: its address, account-region and id (known, or
/// standing in until apply).
#[derive(Debug, Clone)]
pub struct LaidSelection {
    pub address: String,
    pub account: String,
    pub region: String,
    pub id: String,
}

/// Lays `changes` over `snap`.
pub fn overlay(snap: &mut Snapshot, changes: &[ResourceChange], d: &Defaults) -> Result<Overlay> {
    let mut o = Overlay::default();
    let scopes = Scopes::of(snap);
    let ids = identities(&scopes, changes, d)?;
    o.arns = ids.clone();
    let new_plans: Vec<String> = changes
        .iter()
        .filter(|c| c.kind == "aws_backup_plan" && c.is_unknown("id"))
        .filter_map(|c| ids.get(&c.address).cloned())
        .collect();
    let now = snap.collected_at;
    let (amending, rest): (Vec<&ResourceChange>, Vec<&ResourceChange>) = changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .partition(|c| AMENDING.contains(&c.kind.as_str()));
    for c in rest.into_iter().chain(amending) {
        if let Some(policy) = org_backup_policy(c, changes) {
            match policy {
                Ok(why) => o.org_policy = o.org_policy.take().or(Some(why)),
                Err(note) => o.notes.push(note),
            }
            continue;
        }
        if !modelled(&c.kind) {
            // Backup's own resources the overlay does not model yet are said; the rest of a
            // plan (networks, roles, …) does not decide a verdict here.
            if c.kind.starts_with("aws_backup_") {
                o.notes.push(format!(
                    "{} ({}): not laid over the snapshot yet; judged as the snapshot has it",
                    c.address, c.kind
                ));
            }
            continue;
        }
        let place = place(&scopes, c, d)?;
        let key = (place.account.clone(), place.region.clone());
        let Some(scope) = scopes.index.get(&key).map(|&i| &mut snap.scopes[i]) else {
            o.notes.push(format!(
                "{}: lands in {}/{}, which the snapshot does not hold; not judged",
                c.address, place.account, place.region
            ));
            continue;
        };
        let laying = lay::Laying {
            c,
            at: place.at(),
            ids: &ids,
            now,
            new_plans: &new_plans,
        };
        laying.lay(&mut scope.data, &mut o)?;
        o.applied += 1;
    }
    Ok(o)
}

/// What each planned resource will be known as: its ARN (or a plan's id), known or standing
/// in until apply. A selection may name a plan or resources created alongside it.
fn identities(
    scopes: &Scopes,
    changes: &[ResourceChange],
    d: &Defaults,
) -> Result<BTreeMap<String, String>> {
    let mut ids = BTreeMap::new();
    let named = |k: &str| records::judged(k).is_some() || k == "aws_backup_plan";
    for c in changes
        .iter()
        .filter(|c| c.action != Action::Delete && named(&c.kind))
    {
        let Some(after) = &c.after else { continue };
        let place = place(scopes, c, d)?;
        let at = place.at();
        if let Some(j) = records::judged(&c.kind) {
            ids.insert(c.address.clone(), j.arn(after, &at));
        } else if c.kind == "aws_backup_plan" {
            let id = text(after, "id").unwrap_or(at.placeholder).to_string();
            ids.insert(c.address.clone(), id);
        }
    }
    Ok(ids)
}

/// An Organizations backup policy the change creates, alters or removes (or attaches or
/// detaches): `Ok(why)` when the plans it delivers are then known only after apply (an
/// altered or removed one: what they protect now may not be protected), `Err(note)` for a
/// new one (it can only add protection, which is judged once it applies). `None` for
/// anything else, a policy of another type included.
fn org_backup_policy(
    c: &ResourceChange,
    changes: &[ResourceChange],
) -> Option<std::result::Result<String, String>> {
    let backup = |r: &ResourceChange| {
        r.kind == "aws_organizations_policy"
            && [&r.after, &r.before]
                .into_iter()
                .flatten()
                .any(|v| text(v, "type") == Some("BACKUP_POLICY"))
    };
    let applies = match c.kind.as_str() {
        "aws_organizations_policy" => backup(c),
        "aws_organizations_policy_attachment" => {
            let ids: Vec<&str> = [&c.after, &c.before]
                .into_iter()
                .flatten()
                .filter_map(|v| text(v, "policy_id"))
                .collect();
            let refs = c.references.get("policy_id").into_iter().flatten();
            let named = |p: &ResourceChange| {
                let id = [&p.after, &p.before]
                    .into_iter()
                    .flatten()
                    .find_map(|v| text(v, "id"));
                refs.clone().any(|r| r.starts_with(&p.address))
                    || id.is_some_and(|i| ids.contains(&i))
            };
            changes.iter().filter(|p| backup(p)).any(named)
        }
        _ => false,
    };
    // An update that leaves what it says and where it applies as they were changes nothing.
    let same = |k: &str| {
        !c.is_unknown(k)
            && c.before.as_ref().and_then(|b| b.get(k)) == c.after.as_ref().and_then(|a| a.get(k))
    };
    let same_content = c.kind == "aws_organizations_policy"
        && c.action == Action::Update
        && same("content")
        && same("target_ids");
    if !applies || same_content {
        return None;
    }
    Some(if c.action == Action::Create {
        Err(format!(
            "{}: adds to the organisation's backup policies: the plans it delivers are judged \
             once it applies; nothing is counted as protected by it before",
            c.address
        ))
    } else {
        Ok(format!(
            "the Organizations backup policy {} changes, so what the plans it delivers protect \
             is known once it applies",
            c.address
        ))
    })
}

/// Resources that amend another's record (a bucket's versioning, a volume's attachment, a
/// vault's lock): laid after every other change, so that a resource created in the same plan
/// is there to amend.
const AMENDING: [&str; 4] = [
    "aws_s3_bucket_versioning",
    "aws_volume_attachment",
    "aws_backup_vault_lock_configuration",
    "aws_backup_vault_policy",
];

/// AWS Backup's own resources besides plans and selections.
const BACKUP_SETTINGS: [&str; 3] = [
    "aws_backup_vault",
    "aws_backup_logically_air_gapped_vault",
    "aws_backup_region_settings",
];

/// The resource types the overlay lays over the snapshot.
fn modelled(kind: &str) -> bool {
    records::judged(kind).is_some()
        || AMENDING.contains(&kind)
        || BACKUP_SETTINGS.contains(&kind)
        || kind == "aws_backup_plan"
        || kind == "aws_backup_selection"
}

pub(super) fn text<'v>(v: &'v Map<String, Value>, k: &str) -> Option<&'v str> {
    v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

struct Place {
    account: String,
    region: String,
    placeholder: String,
}

impl Place {
    fn at(&self) -> At<'_> {
        At {
            partition: crate::model::partition_of(&self.region),
            account: &self.account,
            region: &self.region,
            placeholder: &self.placeholder,
        }
    }
}

/// The snapshot's account-regions by key, and its accounts per region: a plan of thousands of
/// changes looks each one up.
struct Scopes {
    index: std::collections::HashMap<(String, String), usize>,
    accounts: std::collections::HashMap<String, Vec<String>>,
}

impl Scopes {
    fn of(snap: &Snapshot) -> Scopes {
        let mut index = std::collections::HashMap::new();
        let mut accounts: std::collections::HashMap<String, Vec<String>> = Default::default();
        for (i, s) in snap.scopes.iter().enumerate() {
            index.insert((s.account_id.clone(), s.region.clone()), i);
            accounts
                .entry(s.region.clone())
                .or_default()
                .push(s.account_id.clone());
        }
        Scopes { index, accounts }
    }
}

/// The account-region a change lands in: from its ARN, else its provider's region and
/// `--account` (or the snapshot's only account in that region).
fn place(scopes: &Scopes, c: &ResourceChange, d: &Defaults) -> Result<Place> {
    let arn = [&c.after, &c.before]
        .into_iter()
        .flatten()
        .find_map(|v| text(v, "arn"))
        .and_then(crate::model::Arn::parse);
    let region = arn
        .as_ref()
        .map(|a| a.region().to_string())
        .filter(|r| !r.is_empty())
        .or_else(|| c.region.clone())
        .or_else(|| d.region.clone());
    let Some(region) = region else {
        return Err(Error::Usage(format!(
            "{}: the plan does not say which region it lands in (no ARN, no provider region); \
             give --region",
            c.address
        )));
    };
    let accounts = scopes.accounts.get(&region).map_or(&[][..], Vec::as_slice);
    let account = arn
        .as_ref()
        .map(|a| a.account().to_string())
        .filter(|a| !a.is_empty())
        .or_else(|| c.account.clone())
        .or_else(|| d.account.clone())
        .or_else(|| (accounts.len() == 1).then(|| accounts[0].clone()));
    let Some(account) = account else {
        return Err(Error::Usage(format!(
            "{}: the plan does not say which account it lands in, and the snapshot holds {} \
             accounts in {region}; give --account",
            c.address,
            accounts.len()
        )));
    };
    Ok(Place {
        account,
        region,
        placeholder: format!("(known after apply: {})", c.address),
    })
}

/// Settles what the plan itself cannot decide.
///
/// What is known only after apply is never taken as protection: a resource whose own tags
/// are unknown is neither protected nor unprotected yet (its PASS and FAIL both become
/// UNDECIDABLE, with the cause); where a selection or a plan of its account-region is
/// unknown, its PASS waits (a FAIL there stays: nothing known selects it).
///
/// A resource the plan creates has no recovery point, job or restore yet: the checks judged
/// from what ran are NOT_APPLICABLE to it until it exists (they judge it in the scans after
/// apply), so that adding a well-protected resource does not fail a gate.
pub fn settle(e: &mut Evaluation, inv: &Inventory, rules: &RuleSet, o: &Overlay) {
    for f in e.findings.iter_mut() {
        if !matches!(f.subject, Subject::Resource { .. } | Subject::Vault { .. }) {
            continue;
        }
        let arn = f.subject.arn(inv);
        if o.created.contains(arn)
            && matches!(f.status, Status::Fail | Status::NotAssessed)
            && rules.rules[f.rule as usize].check.judges_what_ran()
        {
            f.status = Status::NotApplicable;
            f.reason =
                "created by the plan: nothing has run for it yet (judged once it exists)".into();
            continue;
        }
        let check = &rules.rules[f.rule as usize].check;
        if let Some(why) = undecided(f, arn, check, inv, o) {
            f.status = Status::Undecidable;
            f.reason = format!("undecidable until apply: {why}").into();
        }
    }
}

/// Why what decides `f` is known only after apply, if it is: its subject's own attributes
/// (PASS or FAIL), or — for a PASS — what protects every resource of its account-region, or
/// an Organizations backup policy the change alters, when a plan it delivers protects it.
/// A vault policy known only after apply decides its vault's deletion protection, and the
/// copies that go to it.
fn undecided<'o>(
    f: &crate::engine::finding::Finding,
    arn: &str,
    check: &crate::rules::Check,
    inv: &Inventory,
    o: &'o Overlay,
) -> Option<&'o str> {
    if !matches!(f.status, Status::Pass | Status::Fail) {
        return None;
    }
    if let Some(why) = o.undecidable.get(arn) {
        return Some(why);
    }
    let policies = &o.vault_policies_unknown;
    if check.reads_vault_policies() {
        if let Some(why) = policies.get(arn) {
            return Some(why);
        }
    }
    if f.status != Status::Pass {
        return None;
    }
    // A copy's PASS names the vault it copies to.
    if check.reads_vault_policies() && matches!(f.subject, Subject::Resource { .. }) {
        let to = f.evidence.vault.as_deref();
        if let Some(why) = to.and_then(|v| policies.get(v)) {
            return Some(why);
        }
    }
    let s = &inv.scopes[f.subject.scope() as usize];
    if let Some(why) = o
        .undecidable_scopes
        .get(&(s.account_id.clone(), s.region.clone()))
    {
        return Some(why);
    }
    let plan = f.evidence.plan.and_then(|p| s.plans.get(p as usize));
    let selection = f
        .evidence
        .selection
        .and_then(|i| plan?.selections.get(i as usize)?.id.as_deref());
    if let Some(why) = selection.and_then(|id| o.undecidable_selections.get(id)) {
        return Some(why);
    }
    let delivered = f
        .evidence
        .plan
        .and_then(|p| s.plans.get(p as usize))
        .is_some_and(|p| p.source.from_org_policy());
    o.org_policy.as_deref().filter(|_| delivered)
}
