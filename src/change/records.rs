//! Terraform resources as the snapshot's records: the AWS Backup plan and selection as
//! `GetBackupPlan` / `GetBackupSelection` outputs, each judged resource type as the AWS Config
//! item the collector writes (the fields the engine reads, tags from `tags_all`, which holds
//! the provider's default tags too).

use serde_json::{json, Map, Value};

/// How a judged Terraform type becomes a Config item: its Config type, the attribute that is
/// Config's `resourceId`, the one that names it, and the ARN's form when it is not yet known.
pub struct Judged {
    pub config_type: &'static str,
    id: &'static str,
    name: Option<&'static str>,
    /// `{p}`, `{r}`, `{a}`, `{id}`: partition, region, account, id.
    arn: &'static str,
}

/// The judged resource types, by Terraform type.
pub fn judged(kind: &str) -> Option<Judged> {
    let j = |config_type, id, name, arn| {
        Some(Judged {
            config_type,
            id,
            name,
            arn,
        })
    };
    match kind {
        "aws_ebs_volume" => j(
            "AWS::EC2::Volume",
            "id",
            None,
            "arn:{p}:ec2:{r}:{a}:volume/{id}",
        ),
        "aws_instance" => j(
            "AWS::EC2::Instance",
            "id",
            None,
            "arn:{p}:ec2:{r}:{a}:instance/{id}",
        ),
        "aws_db_instance" | "aws_rds_cluster_instance" => j(
            "AWS::RDS::DBInstance",
            "resource_id",
            Some("identifier"),
            "arn:{p}:rds:{r}:{a}:db:{id}",
        ),
        "aws_rds_cluster" | "aws_docdb_cluster" | "aws_neptune_cluster" => j(
            "AWS::RDS::DBCluster",
            "cluster_resource_id",
            Some("cluster_identifier"),
            "arn:{p}:rds:{r}:{a}:cluster:{id}",
        ),
        "aws_dynamodb_table" => j(
            "AWS::DynamoDB::Table",
            "name",
            Some("name"),
            "arn:{p}:dynamodb:{r}:{a}:table/{id}",
        ),
        "aws_efs_file_system" => j(
            "AWS::EFS::FileSystem",
            "id",
            None,
            "arn:{p}:elasticfilesystem:{r}:{a}:file-system/{id}",
        ),
        "aws_s3_bucket" => j(
            "AWS::S3::Bucket",
            "bucket",
            Some("bucket"),
            "arn:{p}:s3:::{id}",
        ),
        "aws_redshift_cluster" => j(
            "AWS::Redshift::Cluster",
            "cluster_identifier",
            Some("cluster_identifier"),
            "arn:{p}:redshift:{r}:{a}:cluster:{id}",
        ),
        "aws_eks_cluster" => j(
            "AWS::EKS::Cluster",
            "name",
            Some("name"),
            "arn:{p}:eks:{r}:{a}:cluster/{id}",
        ),
        k if k.starts_with("aws_fsx_") && k.ends_with("_file_system") => j(
            "AWS::FSx::FileSystem",
            "id",
            None,
            "arn:{p}:fsx:{r}:{a}:file-system/{id}",
        ),
        _ => None,
    }
}

/// Where a record lands and what stands for what is not known yet.
pub struct At<'a> {
    pub partition: &'a str,
    pub account: &'a str,
    pub region: &'a str,
    /// Stands for an id or ARN known only after apply: never equal to a real one.
    pub placeholder: &'a str,
}

fn text<'v>(v: &'v Map<String, Value>, k: &str) -> Option<&'v str> {
    v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

impl Judged {
    /// The resource's ARN: `arn` when known, else built from its id (or the placeholder).
    pub fn arn(&self, after: &Map<String, Value>, at: &At) -> String {
        if let Some(arn) = text(after, "arn") {
            return arn.to_string();
        }
        let id = text(after, self.name.unwrap_or(self.id))
            .or_else(|| text(after, self.id))
            .unwrap_or(at.placeholder);
        self.arn_of(id, at.partition, at.region, at.account)
    }

    /// The ARN of the resource of this type named (or identified) `id`.
    pub fn arn_of(&self, id: &str, partition: &str, region: &str, account: &str) -> String {
        self.arn
            .replace("{p}", partition)
            .replace("{r}", region)
            .replace("{a}", account)
            .replace("{id}", id)
    }

    /// The Config item of the resource as `after` describes it.
    pub fn item(&self, kind: &str, after: &Map<String, Value>, at: &At) -> Value {
        let arn = self.arn(after, at);
        let id = text(after, self.id).unwrap_or(at.placeholder);
        let name = self.name.and_then(|n| text(after, n));
        let tags: Vec<Value> = tags_of(after)
            .into_iter()
            .map(|(k, v)| json!({"key": k, "value": v}))
            .collect();
        let mut item = json!({
            "resourceType": self.config_type, "resourceId": id, "resourceName": name,
            "arn": arn, "accountId": at.account, "awsRegion": at.region, "tags": tags,
            "configuration": configuration(kind, after),
        });
        if kind == "aws_s3_bucket" {
            // The provider's own `versioning` block (before v4); else versioning is a resource
            // of its own, `aws_s3_bucket_versioning`, and a new bucket starts without it.
            let enabled = after
                .get("versioning")
                .and_then(|v| v[0]["enabled"].as_bool());
            let status = if enabled == Some(true) {
                "Enabled"
            } else {
                "Off"
            };
            item["supplementaryConfiguration"] =
                json!({"BucketVersioningConfiguration": {"status": status}});
        }
        item
    }
}

/// A resource's tags: `tags_all` (the provider's default tags too), else `tags`.
pub fn tags_of(after: &Map<String, Value>) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = after
        .get("tags_all")
        .or_else(|| after.get("tags"))
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
        .collect();
    tags.sort();
    tags
}

/// The `configuration` fields the engine reads, from the Terraform attributes that hold them.
fn configuration(kind: &str, a: &Map<String, Value>) -> Value {
    let get = |k: &str| a.get(k).cloned().unwrap_or(Value::Null);
    match kind {
        "aws_ebs_volume" => json!({"encrypted": get("encrypted"), "kmsKeyId": get("kms_key_id")}),
        "aws_instance" => {
            let devices: Vec<Value> = ["root_block_device", "ebs_block_device"]
                .iter()
                .flat_map(|k| a.get(*k).and_then(Value::as_array).into_iter().flatten())
                .filter_map(|d| d["volume_id"].as_str())
                .map(|v| json!({"ebs": {"volumeId": v}}))
                .collect();
            json!({"state": {"name": get("instance_state")}, "rootDeviceType": "ebs",
                   "blockDeviceMappings": devices})
        }
        "aws_db_instance" | "aws_rds_cluster_instance" => json!({
            "dBInstanceIdentifier": get("identifier"), "dBClusterIdentifier": get("cluster_identifier"),
            "engine": get("engine"), "storageEncrypted": get("storage_encrypted"),
            "kmsKeyId": get("kms_key_id")}),
        "aws_rds_cluster" | "aws_docdb_cluster" | "aws_neptune_cluster" => {
            let engine = match kind {
                "aws_docdb_cluster" => json!("docdb"),
                "aws_neptune_cluster" => json!("neptune"),
                _ => get("engine"),
            };
            let members: Vec<Value> = a
                .get("cluster_members")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|m| json!({"dbinstanceIdentifier": m}))
                .collect();
            json!({"dbclusterIdentifier": get("cluster_identifier"), "engine": engine,
                   "storageEncrypted": get("storage_encrypted"), "kmsKeyId": get("kms_key_id"),
                   "dbclusterMembers": members})
        }
        "aws_efs_file_system" => {
            json!({"Encrypted": get("encrypted"), "KmsKeyId": get("kms_key_id")})
        }
        "aws_redshift_cluster" => {
            json!({"encrypted": get("encrypted"), "kmsKeyId": get("kms_key_id")})
        }
        k if k.starts_with("aws_fsx_") => json!({"kmsKeyId": get("kms_key_id")}),
        _ => json!({}),
    }
}

/// `delete_after` absent or 0: kept forever (the provider's convention), as a missing
/// `DeleteAfterDays` is.
fn lifecycle(l: &Value) -> Value {
    let days = |k: &str| l[k].as_i64().filter(|d| *d > 0);
    json!({"DeleteAfterDays": days("delete_after"), "MoveToColdStorageAfterDays": days("cold_storage_after")})
}

/// An `aws_backup_plan` as `GetBackupPlan` answers for it. `rule` is a set in the provider;
/// rules are matched by `rule_name`, as AWS does.
pub fn plan(after: &Map<String, Value>, id: &str) -> Value {
    let rules: Vec<Value> = after
        .get("rule")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| {
            let copies: Vec<Value> = r["copy_action"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    json!({"DestinationBackupVaultArn": c["destination_vault_arn"],
                                "Lifecycle": lifecycle(&c["lifecycle"][0])})
                })
                .collect();
            json!({"RuleName": r["rule_name"], "TargetBackupVaultName": r["target_vault_name"],
                   "ScheduleExpression": r["schedule"],
                   "ScheduleExpressionTimezone": r["schedule_expression_timezone"],
                   "StartWindowMinutes": r["start_window"],
                   "CompletionWindowMinutes": r["completion_window"],
                   "EnableContinuousBackup": r["enable_continuous_backup"],
                   "Lifecycle": lifecycle(&r["lifecycle"][0]), "CopyActions": copies})
        })
        .collect();
    json!({"BackupPlanId": id, "BackupPlanArn": after.get("arn"), "VersionId": after.get("version"),
           "BackupPlan": {"BackupPlanName": after.get("name"), "Rules": rules}})
}

/// An `aws_backup_selection` as `GetBackupSelection` answers for it, with `resources` as
/// given (the caller resolves references to resources planned alongside).
pub fn selection(
    after: &Map<String, Value>,
    id: &str,
    plan_id: &str,
    resources: Vec<String>,
) -> Value {
    let list = |k: &str| -> Vec<Value> {
        after
            .get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let tags: Vec<Value> = list("selection_tag")
        .iter()
        .map(|t| json!({"ConditionType": t["type"], "ConditionKey": t["key"], "ConditionValue": t["value"]}))
        .collect();
    let mut conditions = Map::new();
    for c in list("condition") {
        for (tf, aws) in [
            ("string_equals", "StringEquals"),
            ("string_not_equals", "StringNotEquals"),
            ("string_like", "StringLike"),
            ("string_not_like", "StringNotLike"),
        ] {
            let params: Vec<Value> = c[tf]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| json!({"ConditionKey": p["key"], "ConditionValue": p["value"]}))
                .collect();
            if let Some(Value::Array(existing)) = conditions.get_mut(aws) {
                existing.extend(params);
            } else {
                conditions.insert(aws.to_string(), Value::Array(params));
            }
        }
    }
    json!({"SelectionId": id, "BackupPlanId": plan_id, "BackupSelection": {
        "SelectionName": after.get("name"), "IamRoleArn": after.get("iam_role_arn"),
        "Resources": resources, "NotResources": list("not_resources"),
        "ListOfTags": tags, "Conditions": conditions}})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    const AT: At = At {
        partition: "aws",
        account: "111111111111",
        region: "us-east-1",
        placeholder: "(known after apply: aws_ebs_volume.new)",
    };

    #[test]
    fn a_new_volume_has_a_placeholder_arn_its_tags_and_its_encryption() {
        let j = judged("aws_ebs_volume").unwrap();
        let after = obj(json!({"tags_all": {"backup": "daily"}, "encrypted": true}));
        let item = j.item("aws_ebs_volume", &after, &AT);
        assert_eq!(
            item["arn"],
            "arn:aws:ec2:us-east-1:111111111111:volume/(known after apply: aws_ebs_volume.new)"
        );
        assert_eq!(item["tags"], json!([{"key": "backup", "value": "daily"}]));
        assert_eq!(item["configuration"]["encrypted"], true);
    }

    #[test]
    fn forever_is_a_missing_delete_after_and_tags_become_list_of_tags() {
        let p = plan(
            &obj(
                json!({"name": "p", "rule": [{"rule_name": "daily", "target_vault_name": "v",
                "schedule": "cron(0 5 * * ? *)", "lifecycle": [{"delete_after": 0}]}]}),
            ),
            "id",
        );
        assert_eq!(
            p["BackupPlan"]["Rules"][0]["Lifecycle"]["DeleteAfterDays"],
            Value::Null
        );
        let s = selection(
            &obj(
                json!({"name": "s", "selection_tag": [{"type": "STRINGEQUALS", "key": "backup", "value": "daily"}],
                "condition": [{"string_equals": [{"key": "aws:ResourceTag/env", "value": "prod"}]}]}),
            ),
            "sid",
            "pid",
            vec![],
        );
        assert_eq!(
            s["BackupSelection"]["ListOfTags"][0]["ConditionKey"],
            "backup"
        );
        assert_eq!(
            s["BackupSelection"]["Conditions"]["StringEquals"][0]["ConditionValue"],
            "prod"
        );
    }
}
