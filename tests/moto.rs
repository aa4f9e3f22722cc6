//! Interoperability with moto (PyPI `moto[server]`), an independent AWS implementation: the
//! state is created through moto's API with the Rust SDK, collected, and must arrive intact.
//!
//! `.ci/run` installs moto; locally `pip install 'moto[server]'`. Without `moto_server` on the
//! PATH the test says so and passes, except under CI (`CI` set), where it fails.
//!
//! Operations moto (5.x) does not implement, so their files are recorded as unreadable and the
//! test checks exactly that: backup `ListBackupSelections`/`CreateBackupSelection` (500),
//! `GetBackupVaultAccessPolicy`, `ListRecoveryPointsByBackupVault`, `ListProtectedResources`,
//! `DescribeRegionSettings`, `ListBackupJobs` (404), storagegateway `ListGateways` (500) and
//! account `ListRegions` (404, so regions are passed explicitly).

use crate::util::{root, stderr};
use serde_json::Value;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_moto() -> Option<(Moto, String)> {
    let port = TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let moto = Moto(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto_server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some((moto, format!("http://127.0.0.1:{port}")))
}

pub const ENV: [(&str, &str); 5] = [
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_REGION", "us-east-1"),
    ("AWS_CONFIG_FILE", "/dev/null"),
    ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
];

/// Creates an organisation with a member account, a locked vault and a backup plan in moto.
/// moto, started; or `None` after saying the test is skipped (never under CI, where it fails).
pub fn moto_or_skip() -> Option<(Moto, String)> {
    let started = start_moto();
    if started.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "moto_server is not installed"
        );
        eprintln!("moto_server not found: skipping (pip install 'moto[server]')");
    }
    started
}

/// The SDK configuration a test seeds moto with.
pub async fn test_config(url: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(url)
        .region(aws_config::Region::from_static("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::for_tests())
        .load()
        .await
}

async fn seed(url: &str) -> String {
    use aws_sdk_backup::types::{BackupPlanInput, BackupRuleInput, Lifecycle};
    let conf = test_config(url).await;
    let org = aws_sdk_organizations::Client::new(&conf);
    org.create_organization()
        .send()
        .await
        .expect("create organisation");
    org.create_account()
        .email("prod@example.com")
        .account_name("prod")
        .send()
        .await
        .expect("create account");
    let backup = aws_sdk_backup::Client::new(&conf);
    backup
        .create_backup_vault()
        .backup_vault_name("payments")
        .send()
        .await
        .expect("create vault");
    backup
        .put_backup_vault_lock_configuration()
        .backup_vault_name("payments")
        .min_retention_days(7)
        .max_retention_days(400)
        .send()
        .await
        .expect("lock vault");
    let rule = BackupRuleInput::builder()
        .rule_name("daily-35d")
        .target_backup_vault_name("payments")
        .schedule_expression("cron(0 5 ? * * *)")
        .lifecycle(Lifecycle::builder().delete_after_days(35).build())
        .build()
        .unwrap();
    let plan = BackupPlanInput::builder()
        .backup_plan_name("payments-daily")
        .rules(rule)
        .build()
        .unwrap();
    let out = backup
        .create_backup_plan()
        .backup_plan(plan)
        .send()
        .await
        .expect("create plan");
    let kms = aws_sdk_kms::Client::new(&conf);
    let key = kms.create_key().send().await.expect("create key");
    let key_id = key.key_metadata.unwrap().key_id;
    kms.create_alias()
        .alias_name("alias/workloads")
        .target_key_id(&key_id)
        .send()
        .await
        .expect("create alias");
    out.backup_plan_id.unwrap()
}

#[test]
fn what_moto_holds_arrives_intact() {
    let Some((_moto, url)) = moto_or_skip() else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let plan_id = rt.block_on(seed(&url));

    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snap");
    let o = Command::new(env!("CARGO_BIN_EXE_backup-auditor"))
        .args([
            "collect",
            "--out",
            snap.to_str().unwrap(),
            "--accounts",
            "all",
        ])
        .args([
            "--regions",
            "us-east-1",
            "--role-name",
            "OrganizationAccountAccessRole",
        ])
        .args(["--max-attempts", "2", "--retry-initial-backoff-ms", "1"])
        .envs(ENV)
        .env("AWS_ENDPOINT_URL", &url)
        .env_remove("AWS_PROFILE")
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    let read = |p: std::path::PathBuf| -> Value {
        serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap()
    };
    let manifest = read(snap.join("manifest.json"));
    let scopes = manifest["scopes"].as_array().unwrap();
    // Both accounts of the organisation, the member entered with AssumeRole.
    assert_eq!(scopes.len(), 2, "{manifest:#}");
    let mgmt = scopes
        .iter()
        .find(|s| s["account_id"] == "123456789012")
        .expect("the management account");
    assert_eq!(mgmt["status"], "partial");
    let unreadable: Vec<&str> = mgmt["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["file"].as_str().unwrap())
        .collect();
    for f in [
        "backup-selections.json",
        "recovery-points.json",
        "region-settings.json",
        // Which roles the selections name is unknown, so whether they exist is too.
        "iam-roles.json",
    ] {
        assert!(
            unreadable.contains(&f),
            "{f} should be unreadable: {unreadable:?}"
        );
    }
    let error_of = |f: &str| {
        mgmt["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["file"] == f)
            .map(|e| e["error"].clone())
    };
    assert_eq!(
        error_of("iam-roles.json"),
        error_of("backup-selections.json")
    );
    assert!(!unreadable.contains(&"backup-plans.json"));
    assert!(!unreadable.contains(&"backup-vaults.json"));

    let dir = snap.join("123456789012/us-east-1");
    // A customer alias arrives with its key; AWS's own (`alias/aws/…`) are told apart by name.
    let aliases = read(dir.join("kms-aliases.json"));
    let ours = aliases
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["AliasName"] == "alias/workloads")
        .unwrap_or_else(|| panic!("no alias/workloads in {aliases:#}"));
    assert!(ours["TargetKeyId"].as_str().is_some_and(|k| !k.is_empty()));
    assert!(!unreadable.contains(&"kms-aliases.json"));
    let plans = read(dir.join("backup-plans.json"));
    let plan = &plans[0];
    assert_eq!(plan["BackupPlanId"], plan_id.as_str());
    assert_eq!(plan["BackupPlan"]["BackupPlanName"], "payments-daily");
    let rule = &plan["BackupPlan"]["Rules"][0];
    assert_eq!(rule["RuleName"], "daily-35d");
    assert_eq!(rule["TargetBackupVaultName"], "payments");
    assert_eq!(rule["ScheduleExpression"], "cron(0 5 ? * * *)");
    assert_eq!(rule["Lifecycle"]["DeleteAfterDays"], 35);
    let vaults = read(dir.join("backup-vaults.json"));
    let vault = vaults
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["BackupVaultName"] == "payments")
        .expect("the payments vault");
    assert_eq!(vault["Locked"], true);
    assert_eq!(vault["MinRetentionDays"], 7);
    assert_eq!(vault["MaxRetentionDays"], 400);
}

/// moto has no backup selections, so the collector never reaches GetRole there; this reads
/// roles from moto's IAM with the SDK and checks that the collector's shape of them
/// (`role_json`) and the trust evaluation agree with an independent IAM: a role trusting
/// backup.amazonaws.com is trusted, one trusting EC2 is not, and an unknown name is
/// `NoSuchEntity`, the code the collector reads as "the role does not exist".
#[test]
fn roles_read_from_moto_are_judged_by_their_trust_policy() {
    use aws_sdk_iam::error::ProvideErrorMetadata;
    use backup_auditor::model::selection::role::{trust_of, RoleState};
    let Some((_moto, url)) = moto_or_skip() else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let iam = aws_sdk_iam::Client::new(&test_config(&url).await);
        let trust = |service: &str| {
            serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
            .to_string()
        };
        for (name, service) in [
            ("AWSBackupDefaultServiceRole", "backup.amazonaws.com"),
            ("ec2-instance-role", "ec2.amazonaws.com"),
        ] {
            iam.create_role()
                .role_name(name)
                .path("/service-role/")
                .assume_role_policy_document(trust(service))
                .send()
                .await
                .expect("create role");
        }
        let judged = |name: &'static str| {
            let iam = iam.clone();
            async move {
                let out = iam
                    .get_role()
                    .role_name(name)
                    .send()
                    .await
                    .expect("get role");
                let v = backup_auditor::collect::role_json(out.role().expect("a role"));
                assert_eq!(v["RoleName"], name, "{v}");
                assert!(v["AssumeRolePolicyDocument"].is_object(), "{v}");
                let role: backup_auditor::snapshot::aws::IamRole =
                    serde_json::from_value(v).unwrap();
                trust_of(&role, "123456789012", "us-east-1")
            }
        };
        assert_eq!(
            judged("AWSBackupDefaultServiceRole").await,
            RoleState::Trusted
        );
        assert!(matches!(
            judged("ec2-instance-role").await,
            RoleState::Untrusted(_)
        ));
        let missing = iam.get_role().role_name("no-such-role").send().await;
        let e = missing.expect_err("an unknown role");
        assert_eq!(e.code(), Some("NoSuchEntity"), "{e:?}");
    });
}
