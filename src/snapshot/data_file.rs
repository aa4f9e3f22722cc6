//! The data files of a scope's directory: their names, and what each one's absence means.

use serde::Serialize;

/// The data files of one account-region, by the API they come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataFile {
    Resources,
    BackupPlans,
    BackupSelections,
    BackupVaults,
    BackupVaultPolicies,
    RecoveryPoints,
    ProtectedResources,
    RegionSettings,
    BackupJobs,
    IamRoles,
    CopyJobs,
    GlobalSettings,
    RestoreTestingPlans,
    RestoreTestingSelections,
    RestoreJobs,
    KmsAliases,
    BackupAccessPoints,
    TieringConfigurations,
}

impl DataFile {
    pub const ALL: [DataFile; 18] = [
        DataFile::Resources,
        DataFile::BackupPlans,
        DataFile::BackupSelections,
        DataFile::BackupVaults,
        DataFile::BackupVaultPolicies,
        DataFile::RecoveryPoints,
        DataFile::ProtectedResources,
        DataFile::RegionSettings,
        DataFile::BackupJobs,
        DataFile::IamRoles,
        DataFile::CopyJobs,
        DataFile::GlobalSettings,
        DataFile::RestoreTestingPlans,
        DataFile::RestoreTestingSelections,
        DataFile::RestoreJobs,
        DataFile::KmsAliases,
        DataFile::BackupAccessPoints,
        DataFile::TieringConfigurations,
    ];

    pub fn file_name(self) -> &'static str {
        match self {
            DataFile::Resources => "resources.json",
            DataFile::BackupPlans => "backup-plans.json",
            DataFile::BackupSelections => "backup-selections.json",
            DataFile::BackupVaults => "backup-vaults.json",
            DataFile::BackupVaultPolicies => "backup-vault-policies.json",
            DataFile::RecoveryPoints => "recovery-points.json",
            DataFile::ProtectedResources => "protected-resources.json",
            DataFile::RegionSettings => "region-settings.json",
            DataFile::BackupJobs => "backup-jobs.json",
            DataFile::IamRoles => "iam-roles.json",
            DataFile::CopyJobs => "copy-jobs.json",
            DataFile::GlobalSettings => "global-settings.json",
            DataFile::RestoreTestingPlans => "restore-testing-plans.json",
            DataFile::RestoreTestingSelections => "restore-testing-selections.json",
            DataFile::RestoreJobs => "restore-jobs.json",
            DataFile::KmsAliases => "kms-aliases.json",
            DataFile::BackupAccessPoints => "backup-access-points.json",
            DataFile::TieringConfigurations => "tiering-configurations.json",
        }
    }

    pub fn from_file_name(name: &str) -> Option<DataFile> {
        DataFile::ALL.into_iter().find(|f| f.file_name() == name)
    }

    /// What it means when the file is not in a scope's directory (and the manifest does not
    /// list it as failed). Every file is named, so a new one needs a decision.
    pub fn when_absent(self) -> WhenAbsent {
        match self {
            DataFile::Resources
            | DataFile::BackupPlans
            | DataFile::BackupSelections
            | DataFile::BackupVaults
            | DataFile::BackupVaultPolicies
            | DataFile::RecoveryPoints
            | DataFile::ProtectedResources
            | DataFile::BackupJobs => WhenAbsent::Empty,
            DataFile::RegionSettings => WhenAbsent::Unknown,
            // Snapshots before the selection's role was checked have no iam-roles.json.
            DataFile::IamRoles => WhenAbsent::NotCollected,
            DataFile::CopyJobs => WhenAbsent::NotCollected,
            // Snapshots before cross-account backup was checked have no global-settings.json.
            DataFile::GlobalSettings => WhenAbsent::NotCollected,
            // Snapshots before restore testing was checked have none of its three files.
            DataFile::RestoreTestingPlans
            | DataFile::RestoreTestingSelections
            | DataFile::RestoreJobs => WhenAbsent::NotCollected,
            // Snapshots before AWS managed keys were told apart have no kms-aliases.json.
            DataFile::KmsAliases => WhenAbsent::NotCollected,
            // Snapshots before backup access points were read have no file: explain only.
            DataFile::BackupAccessPoints => WhenAbsent::NotCollected,
            // Likewise the warm tier's configurations: explain only.
            DataFile::TieringConfigurations => WhenAbsent::NotCollected,
        }
    }
}

/// What an absent data file stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenAbsent {
    /// A list answer: an API that listed nothing, so no items.
    Empty,
    /// A single-object answer the API always gives (`DescribeRegionSettings` always returns
    /// its maps): absent means it was not read, so what it holds is unknown, never "off".
    Unknown,
    /// A file older snapshots do not have: absent means not collected, so what it would
    /// say is unknown; the checks that need it are NOT_ASSESSED, and what it only
    /// refines is judged as before (explain says it was not checked).
    NotCollected,
}
