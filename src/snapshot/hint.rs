//! What an error about a data file's shape says beyond serde's words: the shape the file
//! holds and, when the top-level value is recognisably some other AWS operation's output
//! (a `ListBackupPlans` answer in `backup-plans.json`), which operation that is.

use super::DataFile;
use crate::error::Diagnostic;
use serde_json::Value;

/// What each file holds, as its error says it.
fn holds(file: DataFile) -> &'static str {
    match file {
        DataFile::Resources => {
            "a JSON array of Config items (select-resource-config's Results strings, each \
             parsed: jq '[.Results[] | fromjson]'), or a Config snapshot file \
             {\"fileVersion\", \"configurationItems\"} as delivered to S3"
        }
        DataFile::BackupPlans => "a JSON array of GetBackupPlan outputs, one per plan",
        DataFile::BackupSelections => {
            "a JSON array of GetBackupSelection outputs, one per selection"
        }
        DataFile::BackupVaults => "a JSON array of DescribeBackupVault outputs, one per vault",
        DataFile::BackupVaultPolicies => {
            "a JSON array of GetBackupVaultAccessPolicy outputs, one per vault with a policy"
        }
        DataFile::RecoveryPoints => {
            "a JSON array of the elements of ListRecoveryPointsByBackupVault's RecoveryPoints \
             (jq '.RecoveryPoints'), for every vault"
        }
        DataFile::ProtectedResources => {
            "a JSON array of the elements of ListProtectedResources's Results (jq '.Results')"
        }
        DataFile::RegionSettings => "one DescribeRegionSettings output (an object)",
        DataFile::BackupJobs => {
            "a JSON array of the elements of ListBackupJobs's BackupJobs (jq '.BackupJobs')"
        }
        DataFile::IamRoles => {
            "a JSON array of GetRole outputs' Role (jq '.Role'), one per role the scope's \
             selections name in its own account"
        }
        DataFile::CopyJobs => {
            "a JSON array of the elements of ListCopyJobs's CopyJobs (jq '.CopyJobs')"
        }
        DataFile::GlobalSettings => "one DescribeGlobalSettings output (an object)",
        DataFile::RestoreTestingPlans => {
            "a JSON array of GetRestoreTestingPlan outputs, one per restore testing plan"
        }
        DataFile::RestoreTestingSelections => {
            "a JSON array of GetRestoreTestingSelection outputs, one per selection of every \
             restore testing plan"
        }
        DataFile::RestoreJobs => {
            "a JSON array of the elements of ListRestoreJobs's RestoreJobs (jq '.RestoreJobs')"
        }
        DataFile::TieringConfigurations => {
            "a JSON array of GetTieringConfiguration outputs, one per tiering configuration"
        }
        DataFile::BackupAccessPoints => {
            "a JSON array of the elements of ListBackupAccessPoints's BackupAccessPoints \
             (jq '.BackupAccessPoints')"
        }
        DataFile::KmsAliases => {
            "a JSON array of the elements of KMS ListAliases's Aliases (jq '.Aliases')"
        }
    }
}

/// Members that identify an operation's output, most specific first.
const OUTPUTS: [(&str, &str); 24] = [
    ("QueryInfo", "SelectResourceConfig"),
    ("baseConfigurationItems", "BatchGetResourceConfig"),
    ("configurationItems", "GetResourceConfigHistory"),
    ("BackupPlansList", "ListBackupPlans"),
    ("BackupSelectionsList", "ListBackupSelections"),
    ("BackupVaultList", "ListBackupVaults"),
    ("RecoveryPoints", "ListRecoveryPointsByBackupVault"),
    ("BackupJobs", "ListBackupJobs"),
    ("CopyJobs", "ListCopyJobs"),
    ("RestoreJobs", "ListRestoreJobs"),
    ("RestoreTestingPlans", "ListRestoreTestingPlans"),
    ("RestoreTestingSelections", "ListRestoreTestingSelections"),
    ("Aliases", "ListAliases"),
    ("BackupAccessPoints", "ListBackupAccessPoints"),
    ("TieringConfigurations", "ListTieringConfigurations"),
    ("TieringConfiguration", "GetTieringConfiguration"),
    ("Results", "ListProtectedResources"),
    ("ResourceTypeOptInPreference", "DescribeRegionSettings"),
    ("BackupPlan", "GetBackupPlan"),
    ("BackupSelection", "GetBackupSelection"),
    ("Policy", "GetBackupVaultAccessPolicy"),
    ("BackupVaultArn", "DescribeBackupVault"),
    ("Role", "GetRole"),
    ("RestoreTestingPlan", "GetRestoreTestingPlan"),
];

/// The operation whose output `v` (an object, or an array of them) looks like.
fn recognise(v: &Value) -> Option<&'static str> {
    let object = match v {
        Value::Array(a) => a.first()?.as_object()?,
        v => v.as_object()?,
    };
    OUTPUTS
        .iter()
        .find(|(member, _)| object.contains_key(*member))
        .map(|(_, op)| *op)
}

/// `d`, a failure to read `file` from `bytes`, with the expected shape added when the
/// top-level value is of the wrong kind (an object where an array belongs, or the reverse).
pub fn explain(mut d: Diagnostic, file: DataFile, bytes: &[u8]) -> Diagnostic {
    let first = bytes.iter().copied().find(|b| !b.is_ascii_whitespace());
    let wants_object = file == DataFile::RegionSettings;
    let wrong_kind = match first {
        Some(b'{') => !wants_object,
        Some(b'[') => wants_object,
        _ => false,
    };
    // Only the top level is re-read (whole), and only on this failure path.
    let top: Option<Value> = wrong_kind
        .then(|| serde_json::from_slice(bytes).ok())
        .flatten();
    let Some(top) = top else { return d };
    let what = match recognise(&top) {
        Some(op) if matches!(top, Value::Array(_)) => format!("this is a list of {op} outputs"),
        Some(op) => format!("this is a {op} output"),
        None if wants_object => "this is a JSON array".to_owned(),
        None => "this is a single object".to_owned(),
    };
    d.message = format!(
        "{}: {what}; {} holds {}",
        d.message,
        file.file_name(),
        holds(file)
    );
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(file: DataFile, json: &str) -> String {
        explain(Diagnostic::file("f".as_ref(), "bad"), file, json.as_bytes()).message
    }

    #[test]
    fn other_operations_outputs_are_named() {
        assert_eq!(
            hint(DataFile::BackupPlans, r#"{"BackupPlansList": []}"#),
            "bad: this is a ListBackupPlans output; backup-plans.json holds a JSON array of \
             GetBackupPlan outputs, one per plan"
        );
        assert!(hint(
            DataFile::BackupPlans,
            r#"{"BackupPlan": {}, "BackupPlanId": "p"}"#
        )
        .starts_with("bad: this is a GetBackupPlan output; backup-plans.json holds a JSON array"));
        assert!(hint(DataFile::Resources, r#"{"Results": ["{}"], "QueryInfo": {}}"#)
            .contains("this is a SelectResourceConfig output; resources.json holds a JSON array of Config items (select-resource-config's Results strings, each parsed: jq '[.Results[] | fromjson]')"));
        assert!(hint(
            DataFile::RegionSettings,
            r#"[{"ResourceTypeOptInPreference": {}}]"#
        )
        .starts_with(
            "bad: this is a list of DescribeRegionSettings outputs; region-settings.json holds one"
        ));
        // Right kind at the top: the error is deeper, and says so itself.
        assert_eq!(hint(DataFile::BackupPlans, "[1]"), "bad");
    }
}
