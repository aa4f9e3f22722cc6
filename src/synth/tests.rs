use super::resources::{BUCKET, DB, EFS, FSX, GATEWAY_VOLUME, REDSHIFT, TABLE};
use super::{generate, SynthOptions};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

fn small(seed: u64) -> SynthOptions {
    SynthOptions {
        accounts: 3,
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
        resources_per_scope: 20,
        recovery_points_per_resource: 3,
        seed,
        collected_at: Utc.with_ymd_and_hms(2026, 11, 27, 5, 0, 0).unwrap(),
    }
}

fn read(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file under `dir`, by relative path.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let (mut out, mut stack) = (BTreeMap::new(), vec![dir.to_path_buf()]);
    while let Some(d) = stack.pop() {
        for p in fs::read_dir(&d).unwrap().map(|e| e.unwrap().path()) {
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().into(), fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn list(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}"))
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

#[test]
fn small_org_is_consistent() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("org");
    let opts = small(7);
    let stats = generate(&opts, &out).unwrap();
    let all = files(&out);
    let on_disk: u64 = all.values().map(|b| b.len() as u64).sum();
    assert_eq!(stats.bytes_written, on_disk);
    assert_eq!(
        fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "temporary directory left"
    );
    // The manifest, the organisation and its (empty) list of invalid backup policies, and per
    // scope 8 data files, an empty copy-jobs.json and global-settings.json.
    assert_eq!(all.len(), 3 + 6 * 10);
    let org = read(&out.join("organization/organization.json"));
    assert_eq!(org["Organization"]["Id"], super::ORGANIZATION_ID);
    let invalid = read(&out.join("organization/invalid-effective-policies.json"));
    assert_eq!(invalid["Accounts"], serde_json::json!([]));

    let manifest = read(&out.join("manifest.json"));
    assert_eq!(manifest["format"], "backup-auditor-snapshot/v1");
    assert_eq!(manifest["collected_at"], "2026-11-27T05:00:00Z");
    let scopes = list(&manifest["scopes"]);
    assert_eq!((scopes.len(), stats.scopes), (6, 6));

    // Parse every file, then cross-check references.
    let mut org = Org::default();
    for s in scopes {
        org.load(&out, s, opts.resources_per_scope);
    }
    let count = |file: fn(&Scope) -> &Value| -> usize {
        org.scopes.iter().map(|s| list(file(s)).len()).sum()
    };
    let (nres, nrp) = (org.resources.len(), count(|s| &s.points));
    let counted = (stats.resources, stats.recovery_points, stats.plans);
    assert_eq!(counted, (nres, nrp, count(|s| &s.plans)));
    assert!(nrp > nres, "too few recovery points: {nrp}");
    for scope in &org.scopes {
        org.check_references(scope, &opts);
    }
    org.check_links();
    // Every role a selection names exists in its scope's iam-roles.json.
    for s in scopes {
        let dir = out.join(text(&s["account_id"])).join(text(&s["region"]));
        let (roles, selections) = (
            read(&dir.join("iam-roles.json")),
            read(&dir.join("backup-selections.json")),
        );
        let roles: HashSet<&str> = list(&roles).iter().map(|r| text(&r["Arn"])).collect();
        for sel in list(&selections) {
            let arn = text(&sel["BackupSelection"]["IamRoleArn"]);
            assert!(roles.contains(arn), "{arn} not in {}", dir.display());
        }
    }
}

/// One scope's files that refer to the rest of the organisation.
struct Scope {
    vaults: Value,
    plans: Value,
    selections: Value,
    points: Value,
}

/// The organisation, parsed: resources and vaults by ARN, and every scope's files.
#[derive(Default)]
struct Org {
    resources: HashMap<String, Value>,
    vault_arns: HashSet<String>,
    scopes: Vec<Scope>,
}

impl Org {
    /// Parses the files of manifest scope `s` under `out`, checking what needs no other scope:
    /// the number of resources, their account and region, unique ARNs, policies, settings.
    fn load(&mut self, out: &Path, s: &Value, per_scope: usize) {
        assert_eq!(s["status"], "complete");
        let dir = out.join(text(&s["account_id"])).join(text(&s["region"]));
        let load = |f: &str| read(&dir.join(f));
        let res = load("resources.json");
        assert_eq!(list(&res).len(), per_scope);
        for r in list(&res) {
            assert_eq!(
                (&r["accountId"], &r["awsRegion"]),
                (&s["account_id"], &s["region"])
            );
            let arn = text(&r["arn"]).to_string();
            assert!(
                self.resources.insert(arn.clone(), r.clone()).is_none(),
                "duplicate {arn}"
            );
        }
        let vaults = load("backup-vaults.json");
        for v in list(&vaults) {
            assert!(self
                .vault_arns
                .insert(text(&v["BackupVaultArn"]).to_string()));
        }
        for p in list(&load("backup-vault-policies.json")) {
            let policy: Value = serde_json::from_str(text(&p["Policy"])).unwrap();
            assert_eq!(policy["Version"], "2012-10-17");
        }
        let settings = load("region-settings.json");
        assert!(settings["ResourceTypeOptInPreference"]["EBS"].is_boolean());
        self.scopes.push(Scope {
            vaults,
            plans: load("backup-plans.json"),
            selections: load("backup-selections.json"),
            points: load("recovery-points.json"),
        });
    }

    /// Rules target the scope's vaults and copy to existing ones; selections name the scope's
    /// plans and existing resources; recovery points name existing resources, the scope's vaults
    /// and rules, and are older than `collected_at`.
    fn check_references(&self, scope: &Scope, opts: &SynthOptions) {
        let names: HashSet<&str> = list(&scope.vaults)
            .iter()
            .map(|v| text(&v["BackupVaultName"]))
            .collect();
        let rule_ids = self.check_rules(&scope.plans, &names);
        let plan_ids: HashSet<&str> = list(&scope.plans)
            .iter()
            .map(|p| text(&p["BackupPlanId"]))
            .collect();
        for sel in list(&scope.selections) {
            assert!(plan_ids.contains(text(&sel["BackupPlanId"])));
            let body = &sel["BackupSelection"];
            assert_eq!(body["Conditions"].as_object().unwrap().len(), 4, "{body}");
            for r in list(&body["Resources"]) {
                assert!(
                    text(r).contains('*') || self.resources.contains_key(text(r)),
                    "{r}"
                );
            }
        }
        for rp in list(&scope.points) {
            let arn = text(&rp["ResourceArn"]);
            assert!(
                self.resources.contains_key(arn),
                "recovery point of unknown resource {arn}"
            );
            assert!(names.contains(text(&rp["BackupVaultName"])), "{rp}");
            assert!(
                self.vault_arns.contains(text(&rp["BackupVaultArn"])),
                "{rp}"
            );
            assert!(
                rule_ids.contains(text(&rp["CreatedBy"]["BackupRuleId"])),
                "{rp}"
            );
            let created = DateTime::parse_from_rfc3339(text(&rp["CreationDate"])).unwrap();
            assert!(created < opts.collected_at);
            DateTime::parse_from_rfc3339(text(&rp["CalculatedLifecycle"]["DeleteAt"])).unwrap();
        }
    }

    /// Checks that `plans`' rules target vaults in `names` and copy to existing vaults; returns
    /// the rules' ids.
    fn check_rules<'v>(&self, plans: &'v Value, names: &HashSet<&str>) -> HashSet<&'v str> {
        let mut rule_ids = HashSet::new();
        for p in list(plans) {
            for rule in list(&p["BackupPlan"]["Rules"]) {
                rule_ids.insert(text(&rule["RuleId"]));
                assert!(
                    names.contains(text(&rule["TargetBackupVaultName"])),
                    "{rule}"
                );
                for c in list(&rule["CopyActions"]) {
                    assert!(
                        self.vault_arns
                            .contains(text(&c["DestinationBackupVaultArn"])),
                        "{c}"
                    );
                }
            }
        }
        rule_ids
    }

    /// Instances and their volumes, clusters and their members point at each other.
    fn check_links(&self) {
        let resources = &self.resources;
        for r in resources.values() {
            let (c, region, acct) = (
                &r["configuration"],
                text(&r["awsRegion"]),
                text(&r["accountId"]),
            );
            match text(&r["resourceType"]) {
                "AWS::EC2::Instance" => {
                    assert!(c["state"]["name"].is_string());
                    for m in list(&c["blockDeviceMappings"]) {
                        let id = text(&m["ebs"]["volumeId"]);
                        let vol = &resources[&format!("arn:aws:ec2:{region}:{acct}:volume/{id}")];
                        assert_eq!(
                            vol["configuration"]["attachments"][0]["instanceId"],
                            c["instanceId"]
                        );
                    }
                }
                "AWS::EC2::Volume" => assert!(c["encrypted"].is_boolean()),
                "AWS::RDS::DBCluster" => {
                    for m in list(&c["dbclusterMembers"]) {
                        let id = text(&m["dbinstanceIdentifier"]);
                        let member = &resources[&format!("arn:aws:rds:{region}:{acct}:db:{id}")];
                        assert_eq!(
                            member["configuration"]["dBClusterIdentifier"],
                            c["dbclusterIdentifier"]
                        );
                    }
                }
                _ => {}
            }
        }
    }
}

#[test]
fn same_seed_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    generate(&small(11), &a).unwrap();
    generate(&small(11), &b).unwrap();
    generate(&small(12), &c).unwrap();
    assert!(files(&a) == files(&b));
    assert!(files(&a) != files(&c));
}

#[test]
fn refuses_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("org");
    fs::create_dir(&out).unwrap();
    generate(&small(1), &out).unwrap(); // an empty directory is replaced
    let err = generate(&small(1), &out).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
    assert!(err.to_string().contains("refusing to overwrite"), "{err}");
    let file = tmp.path().join("file");
    fs::write(&file, "x").unwrap();
    assert_eq!(
        generate(&small(1), &file).unwrap_err().kind(),
        io::ErrorKind::AlreadyExists
    );
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 2);
}

#[test]
fn sizing_and_mix() {
    for (total, scopes, per_scope) in [(100_000, 1_000, 100), (1_000_000, 5_000, 200), (7, 5, 2)] {
        let o = SynthOptions::for_total_resources(total);
        assert_eq!(
            (o.accounts * o.regions.len(), o.resources_per_scope),
            (scopes, per_scope)
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("org");
    let stats = generate(
        &SynthOptions {
            resources_per_scope: 1500,
            ..small(3)
        },
        &out,
    )
    .unwrap();
    let (mut types, mut tagged) = (HashMap::<String, usize>::new(), 0);
    for path in files(&out).keys().filter(|p| p.ends_with("resources.json")) {
        for r in list(&read(&out.join(path))) {
            *types.entry(text(&r["resourceType"]).into()).or_default() += 1;
            let tags = list(&r["tags"]);
            tagged +=
                tags.iter()
                    .any(|t| t["key"] == "backup" && t["value"] != "none") as usize;
        }
    }
    let share = |t: &str| types.get(t).copied().unwrap_or(0) as f64 / stats.resources as f64;
    assert!(
        (0.30..0.40).contains(&share("AWS::EC2::Volume")),
        "{types:?}"
    );
    assert!(
        (0.15..0.25).contains(&share("AWS::EC2::Instance")),
        "{types:?}"
    );
    for kind in [DB, TABLE, BUCKET, EFS, FSX, REDSHIFT, GATEWAY_VOLUME] {
        assert!(share(kind.0) > 0.005, "{}: {types:?}", kind.0);
    }
    assert!(share("AWS::RDS::DBCluster") > 0.005, "{types:?}");
    assert!(tagged * 2 > stats.resources, "{tagged}");
    let per_resource = stats.recovery_points as f64 / stats.resources as f64;
    assert!((1.5..3.0).contains(&per_resource), "{per_resource}");
}
