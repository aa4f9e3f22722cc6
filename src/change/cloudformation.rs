//! A CloudFormation change set (`aws cloudformation describe-change-set
//! --include-property-values`): each resource change's action, its physical id and the
//! properties before and after (`BeforeContext`, `AfterContext`, JSON strings holding
//! `Properties`), read as the same resource changes a Terraform plan gives, so one overlay
//! serves both. CloudFormation names what it resolves only when the change set runs
//! `{{changeSet:KNOWN_AFTER_APPLY}}`: that is an unknown value, never a guess.

use super::terraform::{Action, ResourceChange};
use crate::error::{Diagnostic, Error, Result};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

pub(super) const UNKNOWN: &str = "{{changeSet:KNOWN_AFTER_APPLY}}";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ChangeSet {
    changes: Vec<Change>,
    stack_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Change {
    #[serde(default)]
    resource_change: Option<RawChange>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawChange {
    action: String,
    logical_resource_id: String,
    #[serde(default)]
    physical_resource_id: Option<String>,
    resource_type: String,
    #[serde(default)]
    replacement: Option<String>,
    #[serde(default)]
    before_context: Option<String>,
    #[serde(default)]
    after_context: Option<String>,
}

/// Reads a change set file; `account` and `region` come from its stack's ARN.
pub fn read(path: &Path) -> Result<Vec<ResourceChange>> {
    let bytes = crate::input::read_data(path)
        .map_err(|d| Error::Invalid(vec![d]))?
        .ok_or_else(|| Error::Invalid(vec![Diagnostic::file(path, "no such file")]))?;
    let set: ChangeSet =
        crate::snapshot::parse_json(path, &bytes).map_err(|d| Error::Invalid(vec![d]))?;
    let stack = crate::model::Arn::parse(&set.stack_id).ok_or_else(|| {
        Error::Invalid(vec![Diagnostic::file(
            path,
            format!("StackId {:?} is not an ARN", set.stack_id),
        )])
    })?;
    let (account, region) = (stack.account().to_owned(), stack.region().to_owned());
    let mut out = Vec::new();
    for c in set.changes.into_iter().filter_map(|c| c.resource_change) {
        let context = |s: &Option<String>| -> Result<Option<Map<String, Value>>> {
            let Some(s) = s else { return Ok(None) };
            let v: Value = serde_json::from_str(s).map_err(|e| {
                Error::Invalid(vec![Diagnostic::file(
                    path,
                    format!("{}: its context is not JSON ({e})", c.logical_resource_id),
                )])
            })?;
            Ok(v["Properties"].as_object().cloned().or(Some(Map::new())))
        };
        let (before, after) = (context(&c.before_context)?, context(&c.after_context)?);
        if c.before_context.is_none() && c.after_context.is_none() && c.action != "Remove" {
            return Err(Error::Invalid(vec![Diagnostic::file(
                path,
                format!(
                    "{}: no property values; describe the change set with \
                     --include-property-values",
                    c.logical_resource_id
                ),
            )]));
        }
        let action = match (c.action.as_str(), c.replacement.as_deref()) {
            ("Add" | "Import", _) => Action::Create,
            ("Remove", _) => Action::Delete,
            // A conditional replacement may happen: its old recovery points may not count.
            ("Modify", Some("True" | "Conditional")) => Action::Replace,
            ("Modify" | "Dynamic", _) => Action::Update,
            _ => Action::NoOp,
        };
        let one = CfnChange {
            logical_id: &c.logical_resource_id,
            resource_type: &c.resource_type,
            action,
            physical_id: c.physical_resource_id.as_deref(),
            before,
            after,
        };
        out.extend(one.as_resource_changes(&account, &region));
    }
    Ok(out)
}

/// One CloudFormation resource's change, from a change set or a template: its properties
/// before and after, with CloudFormation's names.
pub(super) struct CfnChange<'a> {
    pub logical_id: &'a str,
    pub resource_type: &'a str,
    pub action: Action,
    pub physical_id: Option<&'a str>,
    pub before: Option<Map<String, Value>>,
    pub after: Option<Map<String, Value>>,
}

impl CfnChange<'_> {
    /// The resource changes the overlay lays (none for a type it does not read; a vault with
    /// a `LockConfiguration` is a vault and its lock, as Terraform has them).
    pub(super) fn as_resource_changes(&self, account: &str, region: &str) -> Vec<ResourceChange> {
        let Some(kind) = terraform_kind(self.resource_type) else {
            return Vec::new();
        };
        let (action, id) = (self.action, self.physical_id);
        let address = format!("{} ({})", self.logical_id, self.resource_type);
        let (before, _) = self
            .before
            .as_ref()
            .map(|b| attributes(kind, b, id))
            .unzip();
        let (after, mut unknown) = match &self.after {
            Some(a) => {
                let (a, u) = attributes(kind, a, id.filter(|_| action == Action::Update));
                (Some(a), u)
            }
            None => (None, Value::Null),
        };
        if matches!(action, Action::Create | Action::Replace) {
            // What it will be called (a volume's id, a plan's id) is known once it exists.
            unknown["id"] = json!(true);
        }
        // A stack's resources land in the stack's account and region (an ARN still wins).
        let change = |address: String, kind: &str, before, after, unknown| ResourceChange {
            address,
            kind: kind.to_owned(),
            action,
            before,
            after,
            unknown,
            region: Some(region.to_owned()),
            account: Some(account.to_owned()),
            references: BTreeMap::new(),
        };
        let mut out = vec![change(address.clone(), kind, before, after, unknown)];
        if kind != "aws_backup_vault" {
            return out;
        }
        // A vault's lock and access policy are resources of their own in Terraform.
        for (property, part) in [
            ("LockConfiguration", "aws_backup_vault_lock_configuration"),
            ("AccessPolicy", "aws_backup_vault_policy"),
        ] {
            let of = |p: &Option<Map<String, Value>>| {
                let p = p.as_ref()?;
                vault_part(property, p.get(property)?, p.get("BackupVaultName"))
            };
            let ((before, _), (after, unknown)) = match (of(&self.before), of(&self.after)) {
                (None, None) => continue,
                (b, a) => (b.unzip(), a.unzip()),
            };
            let action = match (&before, &after) {
                (None, Some(_)) => Action::Create,
                (Some(_), None) => Action::Delete,
                _ => action,
            };
            let unknown = unknown.unwrap_or(Value::Null);
            out.push(ResourceChange {
                action,
                ..change(
                    format!("{address} {property}"),
                    part,
                    before,
                    after,
                    unknown,
                )
            });
        }
        out
    }
}

/// A vault's `LockConfiguration` or `AccessPolicy` as the attributes of Terraform's resource
/// for it, and which of them are known only after the change runs.
fn vault_part(
    property: &str,
    v: &Value,
    vault: Option<&Value>,
) -> Option<(Map<String, Value>, Value)> {
    let mut a = Map::new();
    a.insert("backup_vault_name".into(), vault?.clone());
    if property == "LockConfiguration" {
        // A lock the deployment decides as a whole leaves each of its bounds unknown.
        let whole;
        let v = if has_unknown(v) && !v.is_object() {
            whole = json!({"MinRetentionDays": UNKNOWN, "MaxRetentionDays": UNKNOWN,
                           "ChangeableForDays": UNKNOWN});
            &whole
        } else {
            v
        };
        for (cfn, tf) in [
            ("MinRetentionDays", "min_retention_days"),
            ("MaxRetentionDays", "max_retention_days"),
            ("ChangeableForDays", "changeable_for_days"),
        ] {
            a.insert(tf.into(), typed(&v[cfn]));
        }
    } else {
        // A template gives the policy as JSON, a change set as text.
        let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        a.insert(
            "policy".into(),
            if has_unknown(v) {
                v.clone()
            } else {
                Value::from(text)
            },
        );
    }
    let unknown: Map<String, Value> = a
        .iter()
        .filter(|(_, v)| has_unknown(v))
        .map(|(k, _)| (k.clone(), json!(true)))
        .collect();
    a.retain(|k, _| !unknown.contains_key(k));
    Some((a, Value::Object(unknown)))
}

/// The Terraform type whose attributes the overlay reads, for a CloudFormation type.
pub(super) fn terraform_kind(t: &str) -> Option<&'static str> {
    Some(match t {
        "AWS::EC2::Volume" => "aws_ebs_volume",
        "AWS::EC2::Instance" => "aws_instance",
        "AWS::EC2::VolumeAttachment" => "aws_volume_attachment",
        "AWS::RDS::DBInstance" => "aws_db_instance",
        "AWS::RDS::DBCluster" => "aws_rds_cluster",
        "AWS::DocDB::DBCluster" => "aws_docdb_cluster",
        "AWS::Neptune::DBCluster" => "aws_neptune_cluster",
        "AWS::DynamoDB::Table" => "aws_dynamodb_table",
        "AWS::EFS::FileSystem" => "aws_efs_file_system",
        "AWS::S3::Bucket" => "aws_s3_bucket",
        "AWS::Redshift::Cluster" => "aws_redshift_cluster",
        "AWS::EKS::Cluster" => "aws_eks_cluster",
        "AWS::FSx::FileSystem" => "aws_fsx_file_system",
        "AWS::Backup::BackupPlan" => "aws_backup_plan",
        "AWS::Backup::BackupSelection" => "aws_backup_selection",
        "AWS::Backup::BackupVault" => "aws_backup_vault",
        "AWS::Backup::LogicallyAirGappedBackupVault" => "aws_backup_logically_air_gapped_vault",
        "AWS::Organizations::Policy" => "aws_organizations_policy",
        _ => return None,
    })
}

/// CloudFormation properties as the Terraform attributes of `kind`, and which of them are
/// known only after the change set runs.
fn attributes(kind: &str, p: &Map<String, Value>, id: Option<&str>) -> (Map<String, Value>, Value) {
    let mut a = Map::new();
    let mut unknown = Map::new();
    let mut put = |tf: &str, v: Option<&Value>| match v {
        Some(v) if has_unknown(v) => {
            unknown.insert(tf.to_owned(), json!(true));
        }
        Some(v) => {
            a.insert(tf.to_owned(), v.clone());
        }
        None => {}
    };
    let tags_key = if kind == "aws_efs_file_system" {
        "FileSystemTags"
    } else {
        "Tags"
    };
    put("tags_all", p.get(tags_key).map(tag_map).as_ref());
    for (cfn, tf) in [
        ("Encrypted", "encrypted"),
        ("StorageEncrypted", "storage_encrypted"),
    ] {
        put(tf, p.get(cfn).map(typed).as_ref());
    }
    for (cfn, tf) in [
        ("KmsKeyId", "kms_key_id"),
        ("Engine", "engine"),
        ("Content", "content"),
        ("TargetIds", "target_ids"),
        ("TableName", "name"),
        ("BucketName", "bucket"),
        ("ClusterIdentifier", "cluster_identifier"),
        ("Name", "name"),
        ("BackupVaultName", "name"),
        ("EncryptionKeyArn", "kms_key_arn"),
        ("BackupPlanId", "plan_id"),
        ("VolumeId", "volume_id"),
        ("Type", "type"),
        ("InstanceId", "instance_id"),
    ] {
        put(tf, p.get(cfn));
    }
    // RDS keeps identifiers in lower case, and its ARNs name them so.
    for (cfn, tf) in [
        ("DBInstanceIdentifier", "identifier"),
        ("DBClusterIdentifier", "cluster_identifier"),
    ] {
        let lower = p.get(cfn).map(|v| match v.as_str() {
            Some(s) if s != UNKNOWN => Value::from(s.to_lowercase()),
            _ => v.clone(),
        });
        put(tf, lower.as_ref());
    }
    if let Some(status) = p.get("VersioningConfiguration").map(|v| &v["Status"]) {
        put(
            "versioning",
            Some(&json!([{"enabled": status == "Enabled"}])),
        );
    }
    if let Some(plan) = p.get("BackupPlan") {
        put("name", plan.get("BackupPlanName"));
        let rules: Vec<Value> = list(plan.get("BackupPlanRule")).map(rule).collect();
        put("rule", Some(&Value::Array(rules)));
    }
    if let Some(s) = p.get("BackupSelection") {
        put("name", s.get("SelectionName"));
        put("iam_role_arn", s.get("IamRoleArn"));
        put("resources", s.get("Resources"));
        put("not_resources", s.get("NotResources"));
        let tags: Vec<Value> = list(s.get("ListOfTags"))
            .map(|t| json!({"type": t["ConditionType"], "key": t["ConditionKey"], "value": t["ConditionValue"]}))
            .collect();
        put("selection_tag", Some(&Value::Array(tags)));
        put("condition", s.get("Conditions").map(conditions).as_ref());
    }
    // A physical id names the resource as Terraform's `id` does (a volume's, a plan's).
    if let Some(id) = id {
        let key = match kind {
            "aws_s3_bucket" => "bucket",
            "aws_dynamodb_table" | "aws_eks_cluster" => "name",
            "aws_db_instance" => "identifier",
            "aws_rds_cluster"
            | "aws_docdb_cluster"
            | "aws_neptune_cluster"
            | "aws_redshift_cluster" => "cluster_identifier",
            _ => "id",
        };
        a.entry(key).or_insert(json!(id));
    }
    (a, Value::Object(unknown))
}

fn has_unknown(v: &Value) -> bool {
    match v {
        Value::String(s) => s == UNKNOWN,
        Value::Array(a) => a.iter().any(has_unknown),
        Value::Object(o) => o.values().any(has_unknown),
        _ => false,
    }
}

fn list(v: Option<&Value>) -> impl Iterator<Item = &Value> {
    v.and_then(Value::as_array).into_iter().flatten()
}

/// A tag list as a map; unknown as a whole when any part is (a key, a value, the list).
fn tag_map(tags: &Value) -> Value {
    if has_unknown(tags) {
        return Value::from(UNKNOWN);
    }
    let map: Map<String, Value> = list(Some(tags))
        .filter_map(|t| Some((t["Key"].as_str()?.to_owned(), t["Value"].clone())))
        .collect();
    Value::Object(map)
}

/// A template may give a number or a boolean as a string (`"35"`, `"true"`), and a change
/// set shows it as written; the records read typed values, so each is read as what it means
/// (a number misread as absent would be "kept forever").
fn typed(v: &Value) -> Value {
    match v {
        Value::String(s) if s == "true" || s == "false" => Value::Bool(s == "true"),
        Value::String(s) => s.parse::<i64>().map_or_else(|_| v.clone(), Value::from),
        other => other.clone(),
    }
}

fn lifecycle(l: &Value) -> Value {
    json!([{"delete_after": typed(&l["DeleteAfterDays"]),
            "cold_storage_after": typed(&l["MoveToColdStorageAfterDays"])}])
}

/// A `BackupPlanRule` (CloudFormation's name; `TargetBackupVault` likewise) as Terraform's
/// `rule`.
fn rule(r: &Value) -> Value {
    let copies: Vec<Value> = list(r.get("CopyActions"))
        .map(|c| json!({"destination_vault_arn": c["DestinationBackupVaultArn"], "lifecycle": lifecycle(&c["Lifecycle"])}))
        .collect();
    json!({"rule_name": r["RuleName"], "target_vault_name": r["TargetBackupVault"],
           "schedule": r["ScheduleExpression"],
           "schedule_expression_timezone": r["ScheduleExpressionTimezone"],
           "start_window": typed(&r["StartWindowMinutes"]),
           "completion_window": typed(&r["CompletionWindowMinutes"]),
           "enable_continuous_backup": typed(&r["EnableContinuousBackup"]),
           "lifecycle": lifecycle(&r["Lifecycle"]), "copy_action": copies})
}

fn conditions(c: &Value) -> Value {
    let ops = [
        ("StringEquals", "string_equals"),
        ("StringNotEquals", "string_not_equals"),
        ("StringLike", "string_like"),
        ("StringNotLike", "string_not_like"),
    ];
    let mut out = Map::new();
    for (cfn, tf) in ops {
        let params: Vec<Value> = list(c.get(cfn))
            .map(|p| json!({"key": p["ConditionKey"], "value": p["ConditionValue"]}))
            .collect();
        out.insert(tf.to_owned(), Value::Array(params));
    }
    json!([out])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_booleans_written_as_strings_are_read_as_what_they_mean() {
        let r = rule(&json!({"RuleName": "daily", "TargetBackupVault": "v",
            "Lifecycle": {"DeleteAfterDays": "35", "MoveToColdStorageAfterDays": 7},
            "StartWindowMinutes": "60"}));
        assert_eq!(r["lifecycle"][0]["delete_after"], 35);
        assert_eq!(r["lifecycle"][0]["cold_storage_after"], 7);
        assert_eq!(r["target_vault_name"], "v");
        assert_eq!(r["start_window"], 60);
        let (a, unknown) = attributes(
            "aws_ebs_volume",
            json!({"Encrypted": "true", "KmsKeyId": UNKNOWN, "Tags": [{"Key": "app", "Value": "x"}]})
                .as_object()
                .unwrap(),
            Some("vol-1"),
        );
        assert_eq!(a["encrypted"], true);
        assert_eq!(a["tags_all"], json!({"app": "x"}));
        assert_eq!(a["id"], "vol-1");
        assert_eq!(unknown, json!({"kms_key_id": true}));
    }

    #[test]
    fn a_vault_s_lock_and_access_policy_are_resources_of_their_own() {
        let vault = json!({"BackupVaultName": "v",
            "LockConfiguration": {"MinRetentionDays": "7", "MaxRetentionDays": 35},
            "AccessPolicy": {"Statement": [{"Effect": "Deny", "Action": "backup:DeleteRecoveryPoint"}]}});
        let c = CfnChange {
            logical_id: "Vault",
            resource_type: "AWS::Backup::BackupVault",
            action: Action::Create,
            physical_id: None,
            before: None,
            after: vault.as_object().cloned(),
        };
        let changes = c.as_resource_changes("111111111111", "us-east-1");
        let kinds: Vec<&str> = changes.iter().map(|c| c.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "aws_backup_vault",
                "aws_backup_vault_lock_configuration",
                "aws_backup_vault_policy"
            ]
        );
        let lock = changes[1].after.as_ref().unwrap();
        assert_eq!(
            (&lock["min_retention_days"], &lock["backup_vault_name"]),
            (&json!(7), &json!("v"))
        );
        let policy = changes[2].after.as_ref().unwrap()["policy"]
            .as_str()
            .unwrap();
        assert!(policy.contains("backup:DeleteRecoveryPoint"), "{policy}");
        let (_, unknown) = vault_part(
            "AccessPolicy",
            &json!({"Statement": UNKNOWN}),
            Some(&json!("v")),
        )
        .unwrap();
        assert_eq!(unknown, json!({"policy": true}));
    }
}
