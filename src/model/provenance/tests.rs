use super::*;
use crate::model::plan::Plan;
use crate::snapshot::organization::Organization;

/// The sample organisation, as the model reads it.
fn sample() -> Inventory {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/org");
    let snapshot = crate::snapshot::Snapshot::load(&root).expect("the sample loads");
    Inventory::build(snapshot, None).expect("the sample builds")
}

/// A plan of the sample (222222222222/us-east-1's `staging-weekdays`), to vary.
fn staging_plan(inv: &Inventory) -> Plan {
    let scope = inv.scope_at("222222222222", "us-east-1").unwrap();
    let plan = scope.plans.iter().find(|p| p.name == "staging-weekdays");
    plan.unwrap().clone()
}

fn source(p: &Plan) -> PlanSource {
    let vaults = p.rules.iter().map(|r| r.vault.as_str());
    PlanSource::of(&p.id, p.arn.as_deref(), vaults, &p.selections)
}

#[test]
fn a_plan_is_told_by_its_id_or_arn() {
    let inv = sample();
    let mut p = staging_plan(&inv);
    assert_eq!(source(&p), PlanSource::Local);
    // A plain id, the marker only in the ARN's resource part, as AWS's report shows it.
    p.arn = Some("arn:aws:backup:us-east-1:222222222222:backup-plan:orgs/4232272a-0001".into());
    assert_eq!(source(&p), PlanSource::OrgPolicy);
    p.arn = None;
    p.id = "orgs/4232272a-0001".into();
    assert_eq!(source(&p), PlanSource::OrgPolicy);
    p.id = "aws/efs/1ab00009".into();
    assert_eq!(source(&p), PlanSource::EfsAutomatic);
    // `orgs/` elsewhere in an id is not the marker.
    p.id = "myorgs/1".into();
    assert_eq!(source(&p), PlanSource::Local);
}

#[test]
fn control_tower_is_an_org_policy_plan_with_its_tags_or_vaults() {
    let inv = sample();
    let mut p = staging_plan(&inv);
    p.selections[0].list_of_tags = vec![("aws-control-tower-backupdaily".into(), "true".into())];
    // Control Tower's tags on a plan of the account's own make it no org policy's.
    assert_eq!(source(&p), PlanSource::Local);
    p.id = "orgs/ct-1".into();
    assert_eq!(source(&p), PlanSource::ControlTower);
    p.selections[0].list_of_tags.clear();
    assert_eq!(source(&p), PlanSource::OrgPolicy);
    p.rules[0].vault = "aws-controltower-backupvault".into();
    assert_eq!(source(&p), PlanSource::ControlTower);
    assert!(PlanSource::ControlTower.from_org_policy());
    assert!(!PlanSource::EfsAutomatic.from_org_policy());
}

fn with_management(inv: &mut Inventory, mgmt: Option<&str>) {
    inv.organization = Some(Organization {
        id: "o-a1b2c3d4e5".into(),
        master_account_id: mgmt.map(str::to_owned),
    });
}

/// Takes the management account's us-east-1 out of the sample, as if it were not collected.
fn drop_management_scope(inv: &mut Inventory) {
    inv.scope_index
        .remove(&("999999999999".to_string(), "us-east-1".to_string()));
}

/// Puts a copy of 222222222222/us-east-1 in as the management account's scope, with `opt_in`.
fn add_management_scope(inv: &mut Inventory, opt_in: Option<&[(&str, bool)]>) {
    let mut m = inv.scope_at("222222222222", "us-east-1").unwrap().clone();
    m.account_id = "999999999999".into();
    m.opt_in = opt_in.map(|o| o.iter().map(|(k, v)| (k.to_string(), *v)).collect());
    if m.opt_in.is_none() {
        m.unavailable.push((
            DataFile::RegionSettings,
            "AccessDeniedException: denied".into(),
        ));
    }
    inv.scopes.push(m);
    let at = inv.scopes.len() as u32 - 1;
    inv.scope_index
        .insert(("999999999999".into(), "us-east-1".into()), at);
}

#[test]
fn an_org_policy_plan_uses_the_management_accounts_opt_in() {
    let mut inv = sample();
    with_management(&mut inv, Some("999999999999"));
    drop_management_scope(&mut inv);
    add_management_scope(&mut inv, Some(&[("EBS", true), ("DynamoDB", false)]));
    let member = inv.scope_at("222222222222", "us-east-1").unwrap();
    // The member has EBS off and EC2 on: the management account's settings decide.
    let view = OptInView::of(&inv, member, PlanSource::OrgPolicy);
    assert_eq!(view.value(ResourceKind::EbsVolume), Some(true));
    assert_eq!(view.value(ResourceKind::Ec2Instance), Some(false));
    let owner = view.words(ResourceKind::EbsVolume).owner.unwrap();
    assert!(
        owner.contains("management account 999999999999 in us-east-1"),
        "{owner}"
    );
    assert!(!view.explains_unknown(ResourceKind::EbsVolume));
    // A plan of the member's own keeps the member's.
    let own = OptInView::of(&inv, member, PlanSource::Local);
    assert_eq!(own.value(ResourceKind::EbsVolume), Some(false));
    assert_eq!(own.value(ResourceKind::Ec2Instance), Some(true));
    assert!(own.words(ResourceKind::EbsVolume).owner.is_none());
}

#[test]
fn without_the_management_accounts_settings_an_org_plans_opt_in_is_unknown() {
    let mut inv = sample();
    let member = |inv: &Inventory| inv.scope_at("222222222222", "us-east-1").unwrap().clone();
    // No organisation file: which account decides is unknown.
    inv.organization = None;
    let m = member(&inv);
    let view = OptInView::of(&inv, &m, PlanSource::OrgPolicy);
    assert_eq!(view.value(ResourceKind::Ec2Instance), None);
    let why = view.words(ResourceKind::Ec2Instance).unknown.unwrap();
    assert!(why.contains("organization/organization.json"), "{why}");
    // The management account's scope is not in the snapshot.
    with_management(&mut inv, Some("999999999999"));
    drop_management_scope(&mut inv);
    let view = OptInView::of(&inv, &m, PlanSource::ControlTower);
    assert_eq!(view.value(ResourceKind::Ec2Instance), None);
    let why = view.words(ResourceKind::Ec2Instance).unknown.unwrap();
    assert!(
        why.contains("999999999999 in us-east-1") && why.contains("not in the snapshot"),
        "{why}"
    );
    // Its region settings could not be read.
    add_management_scope(&mut inv, None);
    let view = OptInView::of(&inv, &m, PlanSource::OrgPolicy);
    assert_eq!(view.value(ResourceKind::Ec2Instance), None);
    let why = view.words(ResourceKind::Ec2Instance).unknown.unwrap();
    assert!(why.contains("AccessDeniedException"), "{why}");
    assert!(view.explains_unknown(ResourceKind::Ec2Instance));
}

#[test]
fn efs_automatic_backups_with_efs_opted_out_are_unknown_not_exempt() {
    let inv = sample();
    let mut scope = inv.scope_at("222222222222", "us-east-1").unwrap().clone();
    let set = |s: &mut Scope, on: bool| {
        s.opt_in.as_mut().unwrap().insert("EFS".into(), on);
    };
    set(&mut scope, false);
    let view = OptInView::of(&inv, &scope, PlanSource::EfsAutomatic);
    assert_eq!(view.value(ResourceKind::EfsFileSystem), None);
    let why = view.words(ResourceKind::EfsFileSystem).unknown.unwrap();
    assert!(why.contains("does not document"), "{why}");
    // Other types, and EFS opted in, are judged as any plan's.
    assert_eq!(view.value(ResourceKind::EbsVolume), Some(false));
    assert!(!view.explains_unknown(ResourceKind::EbsVolume));
    set(&mut scope, true);
    let view = OptInView::of(&inv, &scope, PlanSource::EfsAutomatic);
    assert_eq!(view.value(ResourceKind::EfsFileSystem), Some(true));
    // A local plan with EFS opted out: not opted in, as before.
    set(&mut scope, false);
    let local = OptInView::of(&inv, &scope, PlanSource::Local);
    assert_eq!(local.value(ResourceKind::EfsFileSystem), Some(false));
}
