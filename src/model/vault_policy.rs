//! A vault's access policy as AWS reads it for the one cross-account question this tool asks:
//! may a source account copy into the vault (`backup:CopyIntoBackupVault`)? A cross-account
//! copy needs the destination vault's policy to allow it: "Regardless of the AWS Backup vault's
//! access policy, cross-account access for any action other than backup:CopyIntoBackupVault
//! will be rejected" (reference §4.5, DG-VAP). Only what can be decided from the document is
//! decided; a statement this tool cannot evaluate makes the answer unknown, never "allowed".

use serde_json::Value;

const COPY_ACTION: &str = "backup:copyintobackupvault";

/// Whether a copy from a source account into a vault is allowed by its access policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyAccess {
    Allowed,
    Refused(String),
    Unknown(String),
}

/// How a statement's part applies to the copy: surely, surely not, or cannot tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applies {
    Yes,
    No,
    Unknown,
}

/// `policy`: the vault's parsed access policy (`None`: it has none; `Err`: not valid JSON).
/// `org_id`: the organisation's id, if the snapshot has it (for `aws:PrincipalOrgID`).
pub fn copy_access(
    policy: Option<&Result<Value, String>>,
    source_account: &str,
    org_id: Option<&str>,
) -> CopyAccess {
    let doc = match policy {
        None => {
            return CopyAccess::Refused(
                "the destination vault has no access policy, so it refuses copies from other \
                 accounts"
                    .into(),
            )
        }
        Some(Err(e)) => {
            return CopyAccess::Unknown(format!(
                "the destination vault's access policy is not valid JSON: {e}"
            ))
        }
        Some(Ok(doc)) => doc,
    };
    let (mut allowed, mut maybe_allowed, mut maybe_denied) = (false, None, None);
    for st in statements(doc) {
        let applies = statement_applies(st, source_account, org_id);
        let deny = st.get("Effect").and_then(Value::as_str) == Some("Deny");
        match (deny, applies) {
            (true, (Applies::Yes, _)) => {
                return CopyAccess::Refused(format!(
                    "the destination vault's access policy denies backup:CopyIntoBackupVault to \
                     account {source_account}{}",
                    sid(st)
                ))
            }
            (true, (Applies::Unknown, why)) => maybe_denied = maybe_denied.or(Some(why)),
            (false, (Applies::Yes, _)) => allowed = true,
            (false, (Applies::Unknown, why)) => maybe_allowed = maybe_allowed.or(Some(why)),
            (_, (Applies::No, _)) => {}
        }
    }
    match (maybe_denied, allowed, maybe_allowed) {
        (Some(why), _, _) => CopyAccess::Unknown(format!(
            "whether the destination vault's access policy denies the copy is unknown: {why}"
        )),
        (None, true, _) => CopyAccess::Allowed,
        (None, false, Some(why)) => CopyAccess::Unknown(format!(
            "whether the destination vault's access policy allows the copy is unknown: {why}"
        )),
        (None, false, None) => CopyAccess::Refused(format!(
            "the destination vault's access policy does not allow backup:CopyIntoBackupVault \
             from account {source_account}"
        )),
    }
}

/// Whether a statement covers the copy, and if that is unknown, why.
fn statement_applies(st: &Value, account: &str, org_id: Option<&str>) -> (Applies, String) {
    for not in ["NotAction", "NotPrincipal"] {
        if st.get(not).is_some() {
            return (
                Applies::Unknown,
                format!("a statement uses {not}{}", sid(st)),
            );
        }
    }
    let action = strings(st.get("Action"))
        .iter()
        .any(|a| glob_matches(a.to_ascii_lowercase().as_bytes(), COPY_ACTION.as_bytes()));
    if !action {
        return (Applies::No, String::new());
    }
    let principal = principal_applies(st.get("Principal"), account);
    if principal == Applies::No {
        return (Applies::No, String::new());
    }
    let condition = condition_applies(st.get("Condition"), org_id);
    match (principal, condition) {
        (_, (Applies::No, _)) => (Applies::No, String::new()),
        (Applies::Yes, (Applies::Yes, _)) => (Applies::Yes, String::new()),
        (_, (Applies::Unknown, why)) => (Applies::Unknown, format!("{why}{}", sid(st))),
        _ => (
            Applies::Unknown,
            format!(
                "a statement names principals of account {account} one by one{}",
                sid(st)
            ),
        ),
    }
}

/// `*`, the account, or its root: every principal of the account. A role or user of the
/// account: unknown (which role AWS Backup copies with is the selection's). Anything else: no.
fn principal_applies(p: Option<&Value>, account: &str) -> Applies {
    let names = match p {
        Some(Value::Object(o)) => o.get("AWS").map(|a| strings(Some(a))).unwrap_or_default(),
        other => strings(other),
    };
    let mut out = Applies::No;
    for n in names {
        // `arn:aws:iam::ACCOUNT:root` is the whole account; any other principal of it is one.
        let of_account = n
            .strip_prefix("arn:aws:iam::")
            .and_then(|rest| rest.strip_prefix(account))
            .and_then(|rest| rest.strip_prefix(':'));
        if n == "*" || n == account || of_account == Some("root") {
            return Applies::Yes;
        }
        if of_account.is_some() {
            out = Applies::Unknown;
        }
    }
    out
}

/// No condition: yes. `aws:PrincipalOrgID` (StringEquals) against a known organisation:
/// decided. Any other condition: unknown.
fn condition_applies(c: Option<&Value>, org_id: Option<&str>) -> (Applies, String) {
    let Some(Value::Object(ops)) = c else {
        return (Applies::Yes, String::new());
    };
    let mut out = Applies::Yes;
    for (op, keys) in ops {
        let Value::Object(keys) = keys else {
            return (
                Applies::Unknown,
                format!("condition {op} is not understood"),
            );
        };
        for (key, values) in keys {
            let org = op == "StringEquals" && key.eq_ignore_ascii_case("aws:PrincipalOrgID");
            if !org {
                return (
                    Applies::Unknown,
                    format!("condition {op} {key} is not evaluated by this tool"),
                );
            }
            let Some(org_id) = org_id else {
                return (
                    Applies::Unknown,
                    "condition aws:PrincipalOrgID, and the organisation's id is not in the \
                     snapshot"
                        .into(),
                );
            };
            if !strings(Some(values)).contains(&org_id) {
                out = Applies::No;
            }
        }
    }
    (out, String::new())
}

/// IAM's `*` and `?` wildcards in an action name (bytes: action names are ASCII).
fn glob_matches(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|i| glob_matches(rest, &name[i..])),
        Some((b'?', rest)) => !name.is_empty() && glob_matches(rest, &name[1..]),
        Some((c, rest)) => name.first() == Some(c) && glob_matches(rest, &name[1..]),
    }
}

fn sid(st: &Value) -> String {
    st.get("Sid")
        .and_then(Value::as_str)
        .map(|s| format!(" (statement {s:?})"))
        .unwrap_or_default()
}

/// A policy's statements: `Statement` is one object or a list of them.
pub(crate) fn statements(doc: &Value) -> Vec<&Value> {
    match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v @ Value::Object(_)) => vec![v],
        _ => Vec::new(),
    }
}

/// A policy element that is one string or a list of them.
pub(crate) fn strings(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// `"*"`, `["*"]` or `{"AWS": "*"}`.
pub(crate) fn is_wildcard(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Object(o)) => o.get("AWS").is_some_and(|a| strings(Some(a)) == ["*"]),
        other => strings(other) == ["*"],
    }
}

#[cfg(test)]
mod tests;
