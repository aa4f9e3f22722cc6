//! Whether a waiver names what it accepts. A waiver is an exception for resources its author
//! names: its resource pattern must fix an account or a resource identifier, or say that it
//! is broad on purpose (`broad: true`) and cite the ticket that accepted it.
//!
//! A pattern is read as an ARN, `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`:
//! - a pattern without `*` names one resource exactly;
//! - it fixes an account when ACCOUNT is 12 digits, without `*`;
//! - it fixes a resource identifier when the identifier in RESOURCE — what follows the
//!   resource type (`instance/`, `db:`, `backup-vault:`), or for S3, whose ARNs have neither
//!   an account nor a type, the bucket name — is not empty and has no `*`;
//! - a pattern with `*` that does not have the six parts of an ARN fixes neither (`**`,
//!   `arn:*`, `arn:aws:*`).

use crate::model::Arn;
use crate::snapshot::names::account_problem;

/// Whether a resource pattern fixes an account or a resource identifier (see the module).
pub fn is_named(pattern: &str) -> bool {
    if !pattern.contains('*') {
        return true;
    }
    let Some(arn) = Arn::parse(pattern) else {
        return false;
    };
    let literal = |s: &str| !s.is_empty() && !s.contains('*');
    (literal(arn.account()) && account_problem(arn.account()).is_none())
        || literal(arn.resource_id())
}

/// What `broad: true` requires in `reason`, for the error message.
pub const TICKET_HELP: &str = "a ticket reference: an id such as RISK-2291 (capital letters \
    or digits, a hyphen, digits) or an http:// or https:// link";

/// Whether `reason` cites a ticket (see [`TICKET_HELP`]).
pub fn has_ticket(reason: &str) -> bool {
    reason
        .split(|c: char| c.is_whitespace() || "()[]<>,;\"'".contains(c))
        .any(|word| is_url(word) || is_ticket_id(word.trim_end_matches(['.', ':'])))
}

fn is_url(word: &str) -> bool {
    ["https://", "http://"]
        .iter()
        .any(|scheme| word.strip_prefix(scheme).is_some_and(|rest| rest.len() > 1))
}

/// `ABC-123`: a capital letter, capitals or digits, a hyphen, digits.
fn is_ticket_id(word: &str) -> bool {
    let Some((project, number)) = word.split_once('-') else {
        return false;
    };
    project.starts_with(|c: char| c.is_ascii_uppercase())
        && project
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_that_fix_nothing_are_broad() {
        for p in [
            "*",
            "**",
            "arn:*",
            "arn:aws:*",
            "arn:aws:*:*:*:*",
            "arn:*:*:*:*:*",
            "arn:aws:ec2:*:*:instance/*",
            "arn:aws:ec2:us-east-1:*:instance/i-0*",
            "arn:aws:s3:::*",
            "arn:aws:s3:::backup-*",
            "backup-*",
            "*:111111111111:*",
            "arn:aws:*:*:1*:*",
            "arn:aws:*:*:us-east-1:*",
            "arn:aws:ec2:*:*:instance/",
        ] {
            assert!(!is_named(p), "{p} should be broad");
        }
    }

    #[test]
    fn patterns_that_fix_an_account_or_an_identifier_are_named() {
        for p in [
            "arn:aws:s3:::acme-tmp-scratch",
            "anything-without-a-star",
            "arn:aws:*:*:222222222222:*",
            "arn:aws:backup:*:111111111111:backup-vault:aws/efs/automatic-backup-vault",
            "arn:aws:ec2:*:*:instance/i-01a00000000000001",
            "arn:*:s3:::acme-logs",
            "arn:aws:rds:*:*:db:orders-prod",
            "arn:aws:backup:*:*:backup-vault:orders",
        ] {
            assert!(is_named(p), "{p} should be named");
        }
    }

    #[test]
    fn tickets_are_ids_or_links() {
        for r in [
            "accepted in RISK-2291",
            "see (CHG-4821).",
            "https://jira.example.com/browse/X",
            "ADR-0042: staging standard",
            "tracked as S3-12",
        ] {
            assert!(has_ticket(r), "{r}");
        }
        for r in [
            "because",
            "risk-2291",
            "RISK-",
            "-12",
            "https://",
            "X-1a",
            "the well-known way",
        ] {
            assert!(!has_ticket(r), "{r}");
        }
    }
}
