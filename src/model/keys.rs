//! Which KMS key encrypts a resource's backups when AWS Backup does not encrypt them itself,
//! and whether it is an AWS managed key. Backups of the types AWS Backup does not fully manage
//! keep their source's encryption (reference §5.1), and an AWS managed key (`aws/ebs`,
//! `aws/rds`) cannot be used by another account, so AWS Backup cannot copy such backups
//! cross-account: "if the Amazon RDS database is encrypted using the default RDS KMS AWS
//! managed key (aws/rds), AWS Backup cannot automate the cross-account backup", and the same
//! holds for "Amazon EBS, Amazon EC2, Amazon Aurora, Amazon FSx, Amazon DocumentDB, and Amazon
//! Neptune" (AWS Storage Blog, "Protecting encrypted Amazon RDS instances with cross-account
//! and cross-Region backups"; the developer guide's cross-account page: "if your resources are
//! encrypted with a customer managed key, you must share this customer managed key with the
//! destination account").
//!
//! A key is told AWS managed from the account-region's KMS aliases (`ListAliases`): AWS
//! managed keys are the targets of the `alias/aws/…` aliases AWS makes, and no customer alias
//! can point at one.

use super::Arn;
use crate::snapshot::kms::KmsAlias;
use std::collections::HashMap;

/// What a resource's own encryption means for copying its backups to another account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SourceKey {
    /// No KMS key to share: not encrypted, or AWS Backup encrypts its backups with the
    /// vault's key.
    #[default]
    None,
    /// Encrypted with this key (ARN, id or alias, as the item names it); whether it is AWS
    /// managed is not known: the account-region's aliases were not read.
    Key(Box<str>),
    /// Encrypted (`encrypted`, `storageEncrypted`), but its item does not name the key.
    Unnamed,
    /// A customer managed key: shareable.
    Customer,
    /// An AWS managed key: `alias/aws/… (key …)`.
    AwsManaged(Box<str>),
    /// An EC2 instance none of whose volumes is among its account-region's resources: which
    /// keys encrypt its AMI is unknown.
    VolumesUnknown,
}

/// The AWS managed keys of one account-region: key id → its alias.
pub struct AwsManagedKeys<'a>(HashMap<&'a str, &'a str>);

impl<'a> AwsManagedKeys<'a> {
    pub fn of(aliases: &'a [KmsAlias]) -> Self {
        AwsManagedKeys(
            aliases
                .iter()
                .filter(|a| a.alias_name.starts_with("alias/aws/"))
                .filter_map(|a| Some((a.target_key_id.as_deref()?, a.alias_name.as_str())))
                .collect(),
        )
    }

    /// What key reference `key` (as a resource's item names it) is, for a resource of
    /// `account`.
    pub fn judge(&self, key: &str, account: &str) -> SourceKey {
        match KeyRef::parse(key) {
            KeyRef::Alias(name) if name.starts_with("alias/aws/") => {
                SourceKey::AwsManaged(name.into())
            }
            KeyRef::Alias(_) => SourceKey::Customer,
            // An AWS managed key serves only its own account.
            KeyRef::Key {
                account: Some(a), ..
            } if a != account => SourceKey::Customer,
            KeyRef::Key { id, .. } => match self.0.get(id) {
                Some(alias) => SourceKey::AwsManaged(format!("{alias} (key {id})").into()),
                None => SourceKey::Customer,
            },
        }
    }
}

/// A key as a resource's item names it.
#[derive(Debug, PartialEq)]
enum KeyRef<'a> {
    /// `alias/NAME` or its ARN: the alias, `alias/NAME`.
    Alias(&'a str),
    /// `arn:…:kms:REGION:ACCOUNT:key/ID` or a bare id.
    Key {
        account: Option<&'a str>,
        id: &'a str,
    },
}

impl<'a> KeyRef<'a> {
    fn parse(key: &'a str) -> KeyRef<'a> {
        if key.starts_with("alias/") {
            return KeyRef::Alias(key);
        }
        match Arn::parse(key) {
            Some(arn) if arn.resource_type() == Some("alias") => KeyRef::Alias(arn.resource()),
            Some(arn) => KeyRef::Key {
                account: Some(arn.account()),
                id: arn.resource_id(),
            },
            None => KeyRef::Key {
                account: None,
                id: key,
            },
        }
    }
}

/// Of two volumes' keys, the one that decides for their instance: an AWS managed key stops
/// the copy, an undecided key leaves it unknown.
pub fn worse(a: SourceKey, b: &SourceKey) -> SourceKey {
    let rank = |k: &SourceKey| match k {
        SourceKey::AwsManaged(_) => 3,
        SourceKey::Key(_) | SourceKey::Unnamed | SourceKey::VolumesUnknown => 2,
        SourceKey::Customer => 1,
        SourceKey::None => 0,
    };
    if rank(b) > rank(&a) {
        b.clone()
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alias(name: &str, target: Option<&str>) -> KmsAlias {
        KmsAlias {
            alias_name: name.into(),
            target_key_id: target.map(Into::into),
        }
    }

    #[test]
    fn key_references_are_read_in_every_form_an_item_uses() {
        assert_eq!(
            KeyRef::parse("arn:aws:kms:us-east-1:111111111111:key/abcd-1"),
            KeyRef::Key {
                account: Some("111111111111"),
                id: "abcd-1"
            }
        );
        assert_eq!(
            KeyRef::parse("arn:aws:kms:us-east-1:111111111111:alias/aws/ebs"),
            KeyRef::Alias("alias/aws/ebs")
        );
        assert_eq!(KeyRef::parse("alias/mine"), KeyRef::Alias("alias/mine"));
        assert_eq!(
            KeyRef::parse("abcd-1"),
            KeyRef::Key {
                account: None,
                id: "abcd-1"
            }
        );
    }

    #[test]
    fn only_the_targets_of_aws_aliases_in_the_own_account_are_aws_managed() {
        let aliases = [
            alias("alias/aws/ebs", Some("k-ebs")),
            alias("alias/aws/rds", None), // reserved, no key made yet
            alias("alias/team", Some("k-team")),
        ];
        let m = AwsManagedKeys::of(&aliases);
        let own = "111111111111";
        assert_eq!(
            m.judge("arn:aws:kms:us-east-1:111111111111:key/k-ebs", own),
            SourceKey::AwsManaged("alias/aws/ebs (key k-ebs)".into())
        );
        assert_eq!(
            m.judge("k-ebs", own),
            SourceKey::AwsManaged("alias/aws/ebs (key k-ebs)".into())
        );
        assert_eq!(m.judge("k-team", own), SourceKey::Customer);
        // Another account's key cannot be AWS managed for this one.
        assert_eq!(
            m.judge("arn:aws:kms:us-east-1:222222222222:key/k-ebs", own),
            SourceKey::Customer
        );
        assert_eq!(
            m.judge("alias/aws/rds", own),
            SourceKey::AwsManaged("alias/aws/rds".into())
        );
    }

    #[test]
    fn an_aws_managed_key_on_any_volume_decides_for_its_instance() {
        assert_eq!(
            worse(SourceKey::Customer, &SourceKey::AwsManaged("a".into())),
            SourceKey::AwsManaged("a".into())
        );
        assert_eq!(
            worse(
                SourceKey::AwsManaged("a".into()),
                &SourceKey::Key("k".into())
            ),
            SourceKey::AwsManaged("a".into())
        );
        assert_eq!(
            worse(SourceKey::None, &SourceKey::Customer),
            SourceKey::Customer
        );
    }
}
