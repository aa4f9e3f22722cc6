//! Whether AWS Backup can assume the IAM role a backup selection names (reference §1.1 and
//! trap 26): a selection whose role does not exist, or whose trust policy does not let
//! `backup.amazonaws.com` call `sts:AssumeRole`, selects resources for jobs that all fail.
//!
//! Only the trust policy is read. Whether the role's permission policies allow the backup
//! itself is not judged here (the jobs' results show it).

use super::{glob_match, like_match};
use crate::model::Arn;
use crate::snapshot::aws::IamRole;
use serde::Serialize;
use serde_json::Value;

/// The service principal AWS Backup assumes roles as.
pub const BACKUP_SERVICE: &str = "backup.amazonaws.com";
/// The path of AWS Backup's service-linked role, whose trust policy IAM manages.
const SERVICE_LINKED_PATH: &str = "/aws-service-role/backup.amazonaws.com/";

/// What the snapshot says about a selection's role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "reason")]
pub enum RoleState {
    /// It exists and its trust policy lets AWS Backup assume it.
    Trusted,
    /// No role of that name exists in its account (IAM `GetRole`: `NoSuchEntity`).
    Missing,
    /// It exists, but its trust policy does not let AWS Backup assume it: why.
    Untrusted(String),
    /// The snapshot cannot tell: why.
    Unknown(String),
    /// The snapshot has no `iam-roles.json` (taken before roles were collected).
    NotChecked,
}

/// What the scope's `iam-roles.json` gave.
#[derive(Debug, Clone, Copy)]
pub enum Roles<'a> {
    /// Absent from an older snapshot.
    NotCollected,
    /// Its call failed: the error.
    Unreadable(&'a str),
    /// Every role of the scope's own account its selections name, that exists.
    Read(&'a [IamRole]),
}

/// The state of the role `role_arn` named by a selection of `account`/`region`.
pub fn state_of(role_arn: Option<&str>, account: &str, region: &str, roles: Roles) -> RoleState {
    let list = match roles {
        Roles::NotCollected => return RoleState::NotChecked,
        Roles::Unreadable(e) => {
            return RoleState::Unknown(format!("iam-roles.json could not be read: {e}"))
        }
        Roles::Read(list) => list,
    };
    let Some(role_arn) = role_arn else {
        return RoleState::Unknown("the selection names no IamRoleArn".into());
    };
    let Some((role_account, name)) = role_of(role_arn) else {
        return RoleState::Unknown(format!("{role_arn:?} is not an IAM role ARN"));
    };
    if role_account != account {
        // The collector reads roles only in the account it is in.
        return RoleState::Unknown(format!(
            "the role is in account {role_account}, not the selection's account {account}: \
             roles of other accounts are not read"
        ));
    }
    match list.iter().find(|r| r.role_name == name) {
        None => RoleState::Missing,
        Some(r) => trust_of(r, account, region),
    }
}

/// `(account, role name)` of an IAM role ARN (`arn:aws:iam::A:role/path/name`): GetRole
/// takes the name, which is unique in its account whatever the path.
pub fn role_of(arn: &str) -> Option<(&str, &str)> {
    let a = Arn::parse(arn)?;
    let path = a.resource().strip_prefix("role/")?;
    let name = path.rsplit('/').next().filter(|n| !n.is_empty())?;
    (a.service() == "iam").then_some((a.account(), name))
}

/// A three-valued answer with the reason for anything but yes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Holds {
    Yes,
    No(String),
    Maybe(String),
}

impl Holds {
    /// Both hold: the first that does not decides.
    fn and(self, other: impl FnOnce() -> Holds) -> Holds {
        match self {
            Holds::Yes => other(),
            no_or_maybe => no_or_maybe,
        }
    }
}

/// Whether the role's trust policy lets AWS Backup assume it, for a selection of
/// `account`/`region`.
pub fn trust_of(role: &IamRole, account: &str, region: &str) -> RoleState {
    if role.path.as_deref() == Some(SERVICE_LINKED_PATH) {
        return RoleState::Trusted;
    }
    let doc = match document(role.assume_role_policy_document.as_ref()) {
        Ok(d) => d,
        Err(e) => return RoleState::Unknown(format!("its trust policy cannot be read: {e}")),
    };
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => return RoleState::Untrusted("its trust policy has no statement".into()),
    };
    let (mut allow, mut deny_maybe) = (None::<Holds>, None::<String>);
    for st in statements {
        let applies = statement_applies(st, account, region);
        match st.get("Effect").and_then(Value::as_str) {
            Some("Allow") => {
                allow = Some(match (allow, applies) {
                    (Some(Holds::Yes), _) | (_, Holds::Yes) => Holds::Yes,
                    (Some(Holds::Maybe(w)), _) | (_, Holds::Maybe(w)) => Holds::Maybe(w),
                    (Some(Holds::No(w)), Holds::No(_)) | (None, Holds::No(w)) => Holds::No(w),
                })
            }
            Some("Deny") => match applies {
                Holds::Yes => {
                    return RoleState::Untrusted(format!(
                        "a Deny statement of its trust policy denies {BACKUP_SERVICE} \
                         sts:AssumeRole"
                    ))
                }
                Holds::Maybe(w) => {
                    deny_maybe = deny_maybe.or(Some(format!("a Deny statement: {w}")))
                }
                Holds::No(_) => {}
            },
            _ => {
                return RoleState::Unknown(
                    "a statement of its trust policy has no Effect Allow or Deny".into(),
                )
            }
        }
    }
    match (allow, deny_maybe) {
        (Some(Holds::Yes), None) => RoleState::Trusted,
        (Some(Holds::Yes), Some(w)) | (Some(Holds::Maybe(w)), _) => RoleState::Unknown(format!(
            "whether its trust policy lets {BACKUP_SERVICE} assume it is not decided: {w}"
        )),
        (Some(Holds::No(w)), _) => RoleState::Untrusted(w),
        (None, _) => RoleState::Untrusted("its trust policy has no Allow statement".into()),
    }
}

/// The trust policy as an object: the CLI prints one; the API returns URL-encoded JSON text.
fn document(doc: Option<&Value>) -> Result<Value, String> {
    match doc {
        Some(v @ Value::Object(_)) => Ok(v.clone()),
        Some(Value::String(s)) => {
            let text = if s.trim_start().starts_with('{') {
                s.clone()
            } else {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8()
                    .map_err(|e| format!("not UTF-8 once URL-decoded: {e}"))?
                    .into_owned()
            };
            serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))
        }
        None | Some(Value::Null) => Err("GetRole returned no AssumeRolePolicyDocument".into()),
        Some(_) => Err("AssumeRolePolicyDocument is neither an object nor a string".into()),
    }
}

/// Whether one statement covers AWS Backup calling `sts:AssumeRole` for this selection.
fn statement_applies(st: &Value, account: &str, region: &str) -> Holds {
    for not in ["NotPrincipal", "NotAction"] {
        if st.get(not).is_some() {
            return Holds::Maybe(format!("a statement uses {not}, which is not evaluated"));
        }
    }
    action_covers(st.get("Action"))
        .and(|| principal_covers(st.get("Principal")))
        .and(|| conditions_hold(st.get("Condition"), account, region))
}

/// The strings of a policy value that is one string or an array of them.
fn strings(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Action names are case-insensitive in IAM; `*` is a wildcard.
fn action_covers(action: Option<&Value>) -> Holds {
    let actions = strings(action);
    if actions
        .iter()
        .any(|a| glob_match(&a.to_ascii_lowercase(), "sts:assumerole"))
    {
        Holds::Yes
    } else {
        Holds::No(format!(
            "no Allow statement of its trust policy grants sts:AssumeRole to {BACKUP_SERVICE}"
        ))
    }
}

fn principal_covers(principal: Option<&Value>) -> Holds {
    let no = || {
        Holds::No(format!(
            "its trust policy does not name {BACKUP_SERVICE} as a principal"
        ))
    };
    let wildcard = || {
        Holds::Maybe(
            "a wildcard principal: whether it admits an AWS service is not documented".into(),
        )
    };
    match principal {
        Some(Value::String(s)) if s == "*" => wildcard(),
        Some(Value::Object(m)) => {
            if strings(m.get("Service")).contains(&BACKUP_SERVICE) {
                Holds::Yes
            } else if strings(m.get("AWS")).contains(&"*") {
                wildcard()
            } else {
                no()
            }
        }
        _ => no(),
    }
}

/// Every condition of a statement, for AWS Backup acting for a selection of
/// `account`/`region`. Only `aws:SourceAccount` and `aws:SourceArn` are evaluated; any other
/// key or operator leaves the statement undecided.
fn conditions_hold(cond: Option<&Value>, account: &str, region: &str) -> Holds {
    let Some(Value::Object(ops)) = cond else {
        return Holds::Yes;
    };
    let mut out = Holds::Yes;
    for (op, keys) in ops {
        let Value::Object(keys) = keys else {
            return Holds::Maybe(format!("condition {op} is not an object"));
        };
        for (key, values) in keys {
            let one = condition_holds(op, key, &strings(Some(values)), account, region);
            out = out.and(|| one);
        }
    }
    out
}

fn condition_holds(op: &str, key: &str, values: &[&str], account: &str, region: &str) -> Holds {
    // `…IfExists` holds when the key is absent: AWS does not document that AWS Backup sends
    // these keys, so only a condition that holds with the key present decides.
    let (base, if_exists) = match op.strip_suffix("IfExists") {
        Some(b) => (b, true),
        None => (op, false),
    };
    let like = match base {
        "StringEquals" | "ArnEquals" => false,
        "StringLike" | "ArnLike" => true,
        _ => return Holds::Maybe(format!("condition {op} on {key} is not evaluated")),
    };
    let matches = |pattern: &str, text: &str| {
        if like {
            like_match(pattern, text)
        } else {
            pattern == text
        }
    };
    let held = match key.to_ascii_lowercase().as_str() {
        "aws:sourceaccount" => {
            if values.iter().any(|v| matches(v, account)) {
                Holds::Yes
            } else {
                Holds::No(format!(
                    "its trust policy lets {BACKUP_SERVICE} assume it only for aws:SourceAccount \
                     {values:?}, not {account}"
                ))
            }
        }
        "aws:sourcearn" => source_arn_holds(values, like, account, region),
        _ => return Holds::Maybe(format!("condition key {key} is not evaluated")),
    };
    match held {
        Holds::No(w) if if_exists => Holds::Maybe(format!("{op}: {w}")),
        h => h,
    }
}

/// `aws:SourceArn` as AWS Backup would send it for a selection of `account`/`region`. Which
/// ARN that is (plan, vault, job) is not documented: a pattern that admits every AWS Backup ARN
/// of the account and region holds, one of another account does not, anything else is undecided.
fn source_arn_holds(values: &[&str], like: bool, account: &str, region: &str) -> Holds {
    let mut undecided = None;
    for v in values {
        let Some(a) = Arn::parse_pattern(v) else {
            undecided = Some(format!("aws:SourceArn {v:?} is not an ARN pattern"));
            continue;
        };
        let field = |p: &str, t: &str| if like { like_match(p, t) } else { p == t };
        if !field(a.account(), account) {
            continue;
        }
        if like && field(a.service(), "backup") && field(a.region(), region) && a.resource() == "*"
        {
            return Holds::Yes;
        }
        undecided = Some(format!(
            "aws:SourceArn {v:?}: which ARN AWS Backup sends is not documented"
        ));
    }
    match undecided {
        Some(w) => Holds::Maybe(w),
        None => Holds::No(format!(
            "its trust policy lets {BACKUP_SERVICE} assume it only for aws:SourceArn {values:?}, \
             none of them in account {account}"
        )),
    }
}

#[cfg(test)]
mod tests;
