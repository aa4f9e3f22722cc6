//! Requests and replies in each wire protocol, and the operations the collector calls.

use super::http::{HttpRequest, HttpResponse};
use super::{State, MANAGEMENT};
use backup_auditor::collect::CONFIG_TYPES;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub struct Request {
    /// The path's segments, each percent-decoded (IDs may hold an encoded `/`).
    pub segments: Vec<String>,
    pub query: BTreeMap<String, String>,
    pub body: Vec<u8>,
    pub access_key: String,
    pub region: String,
    pub service: String,
    pub operation: String,
    /// awsJson1_1 requests carry their input as a JSON object.
    pub input: Value,
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn form(s: &str) -> BTreeMap<String, String> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

impl Request {
    pub fn parse(req: HttpRequest) -> Option<Request> {
        let header = |name: &str| req.header(name);
        let body = req.body.clone();
        // SigV4: `Credential=KEY/DATE/REGION/SERVICE/aws4_request`.
        let auth = header("authorization")?;
        let cred = auth.split("Credential=").nth(1)?.split(',').next()?;
        let mut parts = cred.split('/');
        let access_key = parts.next()?.to_string();
        let _date = parts.next()?;
        let region = parts.next()?.to_string();
        // EFS signs as `elasticfilesystem`; its calls are named after the SDK crate, as the
        // collector names them (`efs:DescribeFileSystems`).
        let service = match parts.next()? {
            "elasticfilesystem" => "efs".to_string(),
            other => other.to_string(),
        };
        let url = req.url.clone();
        let (path, query) = url.split_once('?').unwrap_or((&url, ""));
        let query = form(query);
        let path = path.to_string();
        let segments: Vec<String> = path
            .trim_matches('/')
            .split('/')
            .map(percent_decode)
            .collect();
        let mut input = Value::Null;
        let operation = if let Some(target) = header("x-amz-target") {
            input = serde_json::from_slice(&body).unwrap_or(Value::Null);
            target.split('.').nth(1)?.to_string()
        } else if ["sts", "iam", "ec2", "rds", "redshift"].contains(&service.as_str()) {
            let params = form(&String::from_utf8_lossy(&body));
            let action = params.get("Action")?.clone();
            input = json!(params);
            action
        } else if service == "account" {
            input = serde_json::from_slice(&body).unwrap_or(Value::Null);
            match path.as_str() {
                "/listRegions" => "ListRegions".into(),
                _ => return None,
            }
        } else if service == "efs" {
            match (req.method.as_str(), path.as_str()) {
                ("GET", "/2015-02-01/file-systems") => "DescribeFileSystems".into(),
                _ => return None,
            }
        } else if service == "eks" {
            super::direct::eks_operation(&req.method, &segments)?.to_string()
        } else if service == "s3" {
            let raw_query = url.split_once('?').map_or("", |(_, q)| q);
            super::s3::operation(&req.method, &segments, raw_query)?.to_string()
        } else {
            backup_operation(&req.method, &segments)?.to_string()
        };
        Some(Request {
            segments,
            query,
            body,
            access_key,
            region,
            service,
            operation,
            input,
        })
    }

    fn protocol(&self) -> Protocol {
        match self.service.as_str() {
            "sts" | "iam" | "rds" | "redshift" => Protocol::Query,
            "ec2" => Protocol::Ec2Query,
            "backup" | "account" | "efs" | "eks" => Protocol::RestJson,
            "s3" => Protocol::RestXml,
            _ => Protocol::AwsJson,
        }
    }

    /// An error in this request's protocol.
    pub fn error(&self, status: u16, code: &str, message: &str) -> Reply {
        match self.protocol() {
            Protocol::Query => Reply::xml(
                status,
                format!(
                    "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>\
                     <Message>{}</Message></Error><RequestId>fake</RequestId></ErrorResponse>",
                    xml_escape(message)
                ),
            ),
            Protocol::Ec2Query => Reply::xml(
                status,
                format!(
                    "<Response><Errors><Error><Code>{code}</Code><Message>{}</Message>\
                     </Error></Errors><RequestID>fake</RequestID></Response>",
                    xml_escape(message)
                ),
            ),
            Protocol::RestXml => Reply::xml(
                status,
                format!(
                    "<Error><Code>{code}</Code><Message>{}</Message>\
                     <RequestId>fake</RequestId></Error>",
                    xml_escape(message)
                ),
            ),
            Protocol::AwsJson => {
                Reply::json_status(status, json!({"__type": code, "message": message}), None)
            }
            Protocol::RestJson => Reply::json_status(
                status,
                json!({"Message": message, "message": message}),
                Some(code),
            ),
        }
    }

    pub(super) fn token(&self) -> Option<String> {
        match self.protocol() {
            // ListBackupAccessPoints spells its query parameter `NextToken`.
            Protocol::RestJson if self.service == "backup" => self
                .query
                .get("nextToken")
                .or(self.query.get("NextToken"))
                .cloned(),
            // EFS pages by a `Marker` query parameter; Account's ListRegions (restJson1 too)
            // by `NextToken` in its body, below.
            Protocol::RestJson if self.service == "efs" => self.query.get("Marker").cloned(),
            Protocol::RestJson if self.service == "eks" => self.query.get("nextToken").cloned(),
            _ => self.input["NextToken"]
                .as_str()
                .or(self.input["Marker"].as_str())
                .map(str::to_string),
        }
    }
}

enum Protocol {
    Query,
    Ec2Query,
    RestXml,
    AwsJson,
    RestJson,
}

fn backup_operation(method: &str, segments: &[String]) -> Option<&'static str> {
    if method != "GET" {
        return None;
    }
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    Some(match seg.as_slice() {
        ["backup", "plans"] => "ListBackupPlans",
        ["backup", "plans", _] => "GetBackupPlan",
        ["backup", "plans", _, "selections"] => "ListBackupSelections",
        ["backup", "plans", _, "selections", _] => "GetBackupSelection",
        ["backup-vaults"] => "ListBackupVaults",
        ["backup-vaults", _] => "DescribeBackupVault",
        ["backup-vaults", _, "access-policy"] => "GetBackupVaultAccessPolicy",
        ["backup-vaults", _, "recovery-points"] => "ListRecoveryPointsByBackupVault",
        ["resources"] => "ListProtectedResources",
        ["account-settings"] => "DescribeRegionSettings",
        ["global-settings"] => "DescribeGlobalSettings",
        ["backup-access-point"] => "ListBackupAccessPoints",
        ["tiering-configurations"] => "ListTieringConfigurations",
        ["tiering-configurations", _] => "GetTieringConfiguration",
        ["backup-jobs"] => "ListBackupJobs",
        ["copy-jobs"] => "ListCopyJobs",
        _ => return super::restore::operation(&seg),
    })
}

pub(super) fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub struct Reply {
    status: u16,
    content_type: &'static str,
    error_type: Option<String>,
    body: String,
}

impl Reply {
    pub fn status(status: u16, text: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain",
            error_type: None,
            body: text.into(),
        }
    }

    pub fn xml(status: u16, body: String) -> Reply {
        Reply {
            status,
            content_type: "text/xml",
            error_type: None,
            body,
        }
    }

    pub(super) fn json(v: Value) -> Reply {
        Reply::json_status(200, v, None)
    }

    fn json_status(status: u16, v: Value, error_type: Option<&str>) -> Reply {
        Reply {
            status,
            content_type: "application/x-amz-json-1.1",
            error_type: error_type.map(str::to_string),
            body: v.to_string(),
        }
    }

    pub fn into_response(self) -> HttpResponse {
        let mut headers = vec![
            ("Content-Type", self.content_type.to_string()),
            ("x-amzn-RequestId", "fake".to_string()),
        ];
        if let Some(t) = self.error_type {
            headers.push(("x-amzn-ErrorType", t));
        }
        HttpResponse {
            status: self.status,
            headers,
            body: self.body,
        }
    }
}

/// One page of `items` after `token` (`p<offset>`), and the next token.
/// Only the page is copied: the fake answers thousands of calls from the same files.
pub(super) fn page<T: std::borrow::Borrow<Value>>(
    items: Vec<T>,
    token: Option<String>,
    size: usize,
) -> (Vec<Value>, Option<String>) {
    let start: usize = token
        .and_then(|t| t.strip_prefix('p').and_then(|n| n.parse().ok()))
        .unwrap_or(0);
    let end = (start + size).min(items.len());
    let next = (end < items.len()).then(|| format!("p{end}"));
    let page = items.get(start..end).unwrap_or_default();
    (page.iter().map(|v| v.borrow().clone()).collect(), next)
}

/// A paged JSON reply: `{list_key: [...], token_key: next}`.
pub(super) fn paged<T: std::borrow::Borrow<Value>>(
    state: &State,
    r: &Request,
    items: Vec<T>,
    list_key: &str,
    token_key: &str,
) -> Reply {
    paged_in(state, r, items, list_key, token_key, json!({}))
}

/// A paged JSON reply whose every page also carries the members of `out` (an object).
pub(super) fn paged_in<T: std::borrow::Borrow<Value>>(
    state: &State,
    r: &Request,
    items: Vec<T>,
    list_key: &str,
    token_key: &str,
    mut out: Value,
) -> Reply {
    let (items, next) = page(items, r.token(), state.page_size);
    out[list_key] = json!(items);
    if let Some(n) = next {
        out[token_key] = json!(n);
    }
    Reply::json(out)
}

// ---- STS (awsQuery) ---------------------------------------------------------------------

pub fn sts(state: &State, r: &Request, account: &str) -> Reply {
    let params = form(&String::from_utf8_lossy(&r.body));
    match r.operation.as_str() {
        "GetCallerIdentity" => {
            let arn = if account == MANAGEMENT {
                format!("arn:aws:iam::{account}:user/auditor")
            } else {
                format!("arn:aws:sts::{account}:assumed-role/BackupAuditor/backup-auditor")
            };
            Reply::xml(
                200,
                format!(
                    "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
                     <GetCallerIdentityResult><Arn>{arn}</Arn><UserId>AIDAFAKE</UserId>\
                     <Account>{account}</Account></GetCallerIdentityResult>\
                     <ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata>\
                     </GetCallerIdentityResponse>"
                ),
            )
        }
        "AssumeRole" => {
            let role = params.get("RoleArn").cloned().unwrap_or_default();
            let target = role.split(':').nth(4).unwrap_or_default().to_string();
            let served = state.served.accounts.iter().find(|a| a.id == target);
            let denied = match served {
                None => Some((
                    "AccessDenied".to_string(),
                    format!("not authorized to perform: sts:AssumeRole on resource: {role}"),
                )),
                Some(a) if state.faults.deny_assume_role.contains(&a.id) => Some((
                    "AccessDenied".to_string(),
                    format!("not authorized to perform: sts:AssumeRole on resource: {role}"),
                )),
                Some(a) => a.denied.clone(),
            };
            if let Some((code, message)) = denied {
                return r.error(403, &code, &message);
            }
            let key = state.issue_key(&target);
            let expires = (chrono::Utc::now() + chrono::Duration::hours(1))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            Reply::xml(
                200,
                format!(
                    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
                     <AssumeRoleResult><Credentials><AccessKeyId>{key}</AccessKeyId>\
                     <SecretAccessKey>fake-secret</SecretAccessKey><SessionToken>fake-token</SessionToken>\
                     <Expiration>{expires}</Expiration></Credentials>\
                     <AssumedRoleUser><Arn>arn:aws:sts::{target}:assumed-role/BackupAuditor/{session}</Arn>\
                     <AssumedRoleId>AROAFAKE:{session}</AssumedRoleId></AssumedRoleUser>\
                     </AssumeRoleResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata>\
                     </AssumeRoleResponse>",
                    session = params.get("RoleSessionName").cloned().unwrap_or_default()
                ),
            )
        }
        other => r.error(
            400,
            "InvalidAction",
            &format!("fake STS does not implement {other}"),
        ),
    }
}

// ---- Organizations, Account -------------------------------------------------------------

pub fn organizations(state: &State, r: &Request, account: &str) -> Reply {
    if account != MANAGEMENT {
        return r.error(
            400,
            "AWSOrganizationsNotInUseException",
            "Your account is not a member of an organization.",
        );
    }
    match r.operation.as_str() {
        "ListAccounts" => {
            let accounts = state
                .served
                .accounts
                .iter()
                .map(|a| {
                    json!({
                        "Id": a.id, "Arn": format!("arn:aws:organizations::{MANAGEMENT}:account/o-fake/{}", a.id),
                        "Email": format!("{}@example.com", a.id), "Name": a.name.clone().unwrap_or_else(|| a.id.clone()),
                        "Status": "ACTIVE", "State": "ACTIVE", "JoinedMethod": "CREATED", "JoinedTimestamp": 1.7e9,
                    })
                })
                .collect();
            paged(state, r, accounts, "Accounts", "NextToken")
        }
        "ListAccountsWithInvalidEffectivePolicy" | "ListEffectivePolicyValidationErrors" => {
            super::orgs::backup_policies(state, r)
        }
        "DescribeOrganization" => match &state.served.organization {
            Some(org) => Reply::json(org.clone()),
            None => r.error(
                400,
                "AWSOrganizationsNotInUseException",
                "Your account is not a member of an organization.",
            ),
        },
        other => r.error(
            400,
            "InvalidAction",
            &format!("fake Organizations lacks {other}"),
        ),
    }
}

pub fn account(state: &State, r: &Request, account: &str) -> Reply {
    let regions = state
        .served
        .regions_of(account)
        .into_iter()
        .map(|name| json!({"RegionName": name, "RegionOptStatus": "ENABLED_BY_DEFAULT"}))
        .collect();
    paged(state, r, regions, "Regions", "NextToken")
}

// ---- Backup (restJson1) -----------------------------------------------------------------

/// The snapshot file each Backup operation reads.
fn backup_file(op: &str) -> &'static str {
    if let Some(f) = super::restore::file(op) {
        return f;
    }
    match op {
        "ListBackupPlans" | "GetBackupPlan" => "backup-plans.json",
        "ListBackupSelections" | "GetBackupSelection" => "backup-selections.json",
        "ListBackupVaults" | "DescribeBackupVault" => "backup-vaults.json",
        "GetBackupVaultAccessPolicy" => "backup-vault-policies.json",
        "ListRecoveryPointsByBackupVault" => "recovery-points.json",
        "ListProtectedResources" => "protected-resources.json",
        "DescribeRegionSettings" => "region-settings.json",
        "DescribeGlobalSettings" => "global-settings.json",
        "ListCopyJobs" => "copy-jobs.json",
        "ListBackupAccessPoints" => "backup-access-points.json",
        "ListTieringConfigurations" | "GetTieringConfiguration" => "tiering-configurations.json",
        _ => "backup-jobs.json",
    }
}

pub(super) fn not_found(r: &Request, what: &str) -> Reply {
    r.error(
        400,
        "ResourceNotFoundException",
        &format!("{what} not found"),
    )
}

pub fn backup(state: &State, r: &Request, account: &str) -> Reply {
    let region = r.region.as_str();
    let file = backup_file(&r.operation);
    if let Some((code, message)) = state.served.failing(account, region, file) {
        return r.error(400, &code, &message);
    }
    let items = |f: &str| state.served.items(account, region, f);
    let seg: Vec<&str> = r.segments.iter().map(String::as_str).collect();
    let eq = |v: &Value, k: &str, want: &str| v[k].as_str() == Some(want);
    match r.operation.as_str() {
        "ListBackupPlans" => {
            let list = items(file)
                .iter()
                .map(|p| {
                    json!({"BackupPlanId": p["BackupPlanId"], "BackupPlanArn": p["BackupPlanArn"],
                           "BackupPlanName": p["BackupPlan"]["BackupPlanName"], "VersionId": p["VersionId"]})
                })
                .collect();
            paged(state, r, list, "BackupPlansList", "NextToken")
        }
        "GetBackupPlan" => match items(file).iter().find(|p| eq(p, "BackupPlanId", seg[2])) {
            Some(p) => Reply::json(p.clone()),
            None => not_found(r, "backup plan"),
        },
        "ListBackupSelections" => {
            let list = items(file)
                .iter()
                .filter(|s| eq(s, "BackupPlanId", seg[2]))
                .map(|s| {
                    json!({"SelectionId": s["SelectionId"], "BackupPlanId": s["BackupPlanId"],
                           "SelectionName": s["BackupSelection"]["SelectionName"],
                           "IamRoleArn": s["BackupSelection"]["IamRoleArn"]})
                })
                .collect();
            paged(state, r, list, "BackupSelectionsList", "NextToken")
        }
        "GetBackupSelection" => match items(file)
            .iter()
            .find(|s| eq(s, "BackupPlanId", seg[2]) && eq(s, "SelectionId", seg[4]))
        {
            Some(s) => Reply::json(s.clone()),
            None => not_found(r, "backup selection"),
        },
        "ListBackupVaults" => paged(state, r, all(items(file)), "BackupVaultList", "NextToken"),
        "DescribeBackupVault" => match items(file)
            .iter()
            .find(|v| eq(v, "BackupVaultName", seg[1]))
        {
            Some(v) => Reply::json(v.clone()),
            None => not_found(r, "backup vault"),
        },
        "GetBackupVaultAccessPolicy" => {
            match items(file)
                .iter()
                .find(|p| eq(p, "BackupVaultName", seg[1]))
            {
                Some(p) => Reply::json(p.clone()),
                None => not_found(r, "access policy"),
            }
        }
        "ListRecoveryPointsByBackupVault" => {
            let since = r
                .query
                .get("createdAfter")
                .and_then(|s| s.parse::<f64>().ok());
            let list: Vec<&Value> = items(file)
                .iter()
                .filter(|p| eq(p, "BackupVaultName", seg[1]))
                .filter(|p| since.is_none_or(|t| p["CreationDate"].as_f64().is_none_or(|c| c > t)))
                .collect();
            paged(state, r, list, "RecoveryPoints", "NextToken")
        }
        "ListProtectedResources" => paged(state, r, all(items(file)), "Results", "NextToken"),
        "DescribeRegionSettings" | "DescribeGlobalSettings" => Reply::json(
            state
                .served
                .object(account, region, file)
                .unwrap_or(json!({})),
        ),
        "ListBackupJobs" => paged(state, r, all(items(file)), "BackupJobs", "NextToken"),
        "ListCopyJobs" => paged(state, r, all(items(file)), "CopyJobs", "NextToken"),
        "ListBackupAccessPoints" => paged(
            state,
            r,
            all(items(file)),
            "BackupAccessPoints",
            "NextToken",
        ),
        "ListTieringConfigurations" => {
            let list = items(file)
                .iter()
                .map(|t| {
                    let c = &t["TieringConfiguration"];
                    json!({"TieringConfigurationName": c["TieringConfigurationName"],
                           "TieringConfigurationArn": c["TieringConfigurationArn"],
                           "BackupVaultName": c["BackupVaultName"]})
                })
                .collect();
            paged(state, r, list, "TieringConfigurations", "NextToken")
        }
        "GetTieringConfiguration" => match items(file)
            .iter()
            .find(|t| t["TieringConfiguration"]["TieringConfigurationName"] == seg[1])
        {
            Some(t) => Reply::json(t.clone()),
            None => not_found(r, "tiering configuration"),
        },
        op if super::restore::file(op).is_some() => super::restore::reply(state, r, items(file)),
        other => r.error(400, "InvalidAction", &format!("fake Backup lacks {other}")),
    }
}

// ---- Config, Storage Gateway, FSx (awsJson1_1) --------------------------------------------

const NOT_IN_CONFIG: [&str; 2] = ["AWS::StorageGateway::Volume", "AWS::FSx::FileSystem"];

fn all(items: &[Value]) -> Vec<&Value> {
    items.iter().collect()
}

pub(super) fn resources_of<'a>(
    state: &'a State,
    account: &str,
    region: &str,
    kind: Option<&str>,
) -> Vec<&'a Value> {
    state
        .served
        .items(account, region, "resources.json")
        .iter()
        .filter(|i| {
            let t = i["resourceType"].as_str().unwrap_or_default();
            match kind {
                Some(k) => t == k,
                None => !NOT_IN_CONFIG.contains(&t),
            }
        })
        .collect()
}

/// The items Config has of an account-region: what its recorder skips is not among them.
fn recorded_of<'a>(state: &'a State, account: &str, region: &str) -> Vec<&'a Value> {
    let skipped = state
        .faults
        .not_recorded
        .get(&(account.to_string(), region.to_string()));
    resources_of(state, account, region, None)
        .into_iter()
        .filter(|i| skipped.is_none_or(|skip| !skip.iter().any(|s| i["resourceType"] == **s)))
        .collect()
}

/// Rows of a Select whose expression names the item's type, as JSON strings holding only the
/// selected columns (as Config does: a column the query does not name is not returned).
pub fn select_rows(expr: &str, items: Vec<&Value>) -> Vec<Value> {
    let columns = selected_columns(expr);
    items
        .into_iter()
        .filter(|i| {
            expr.contains(&format!(
                "'{}'",
                i["resourceType"].as_str().unwrap_or_default()
            ))
        })
        .map(|i| {
            let row: serde_json::Map<String, Value> = columns
                .iter()
                .filter_map(|c| Some((c.to_string(), i.get(*c)?.clone())))
                .collect();
            Value::String(Value::Object(row).to_string())
        })
        .collect()
}

/// The columns of `SELECT a, b, c WHERE …`.
pub fn selected_columns(expr: &str) -> Vec<&str> {
    let list = expr
        .trim_start()
        .strip_prefix("SELECT ")
        .unwrap_or_default();
    let list = list.split(" WHERE ").next().unwrap_or_default();
    list.split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

pub fn config(state: &State, r: &Request, account: &str) -> Reply {
    let region = r.region.as_str();
    if let Some((code, message)) = state.served.failing(account, region, "resources.json") {
        return r.error(400, &code, &message);
    }
    let expr = r.input["Expression"].as_str().unwrap_or_default();
    let skipped = state
        .faults
        .not_recorded
        .get(&(account.to_string(), region.to_string()));
    match r.operation.as_str() {
        "DescribeConfigurationRecorderStatus" => {
            let recording = !state
                .faults
                .recorder_off
                .contains(&(account.to_string(), region.to_string()));
            Reply::json(json!({"ConfigurationRecordersStatus": [
                {"name": "default", "recording": recording, "lastStatus": if recording {"SUCCESS"} else {"PENDING"}}
            ]}))
        }
        "DescribeConfigurationRecorders" => {
            let group = match skipped {
                None => json!({"allSupported": true, "includeGlobalResourceTypes": true}),
                Some(skip) => json!({"allSupported": false, "resourceTypes": CONFIG_TYPES
                    .iter()
                    .filter(|t| !skip.iter().any(|s| s == *t))
                    .collect::<Vec<_>>()}),
            };
            Reply::json(json!({"ConfigurationRecorders": [
                {"name": "default", "roleARN": format!("arn:aws:iam::{account}:role/config"),
                 "recordingGroup": group}
            ]}))
        }
        "SelectResourceConfig" => {
            let rows = select_rows(expr, recorded_of(state, account, region));
            paged(state, r, rows, "Results", "NextToken")
        }
        "SelectAggregateResourceConfig" => {
            let rows = state
                .served
                .scopes
                .keys()
                .flat_map(|(a, reg)| select_rows(expr, recorded_of(state, a, reg)))
                .collect();
            paged(state, r, rows, "Results", "NextToken")
        }
        "DescribeConfigurationAggregatorSourcesStatus" => {
            let list = state
                .served
                .scopes
                .keys()
                .map(|(a, reg)| {
                    json!({"SourceId": a, "SourceType": "ACCOUNT", "AwsRegion": reg, "LastUpdateStatus": "SUCCEEDED"})
                })
                .collect();
            paged(state, r, list, "AggregatedSourceStatusList", "NextToken")
        }
        other => r.error(400, "InvalidAction", &format!("fake Config lacks {other}")),
    }
}

pub(super) fn aws_tags(item: &Value) -> Vec<Value> {
    match &item["tags"] {
        Value::Array(a) => a
            .iter()
            .map(|t| json!({"Key": t["key"], "Value": t["value"]}))
            .collect(),
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
        _ => Vec::new(),
    }
}

fn gateway_of(volume_arn: &str) -> &str {
    volume_arn.split("/volume/").next().unwrap_or(volume_arn)
}

pub fn storage_gateway(state: &State, r: &Request, account: &str) -> Reply {
    let vols = resources_of(state, account, &r.region, Some(NOT_IN_CONFIG[0]));
    let arn = |v: &Value| v["arn"].as_str().unwrap_or_default().to_string();
    match r.operation.as_str() {
        "ListGateways" => {
            let mut gws: Vec<String> = vols
                .iter()
                .map(|v| gateway_of(&arn(v)).to_string())
                .collect();
            gws.dedup();
            let list = gws
                .into_iter()
                .map(|g| {
                    let id = g.rsplit('/').next().unwrap_or_default().to_string();
                    json!({"GatewayARN": g, "GatewayId": id, "GatewayName": id, "GatewayType": "STORED"})
                })
                .collect();
            paged(state, r, list, "Gateways", "Marker")
        }
        "ListVolumes" => {
            let gw = r.input["GatewayARN"].as_str().unwrap_or_default();
            let list = vols
                .iter()
                .filter(|v| gateway_of(&arn(v)) == gw)
                .map(|v| {
                    json!({"VolumeARN": v["arn"], "VolumeId": v["resourceId"], "GatewayARN": gw,
                           "VolumeType": "STORED", "VolumeSizeInBytes": 1_099_511_627_776_i64})
                })
                .collect();
            paged(state, r, list, "VolumeInfos", "Marker")
        }
        "ListTagsForResource" => {
            let want = r.input["ResourceARN"].as_str().unwrap_or_default();
            match vols.iter().find(|v| arn(v) == want) {
                Some(v) => paged(state, r, aws_tags(v), "Tags", "Marker"),
                None => r.error(400, "InvalidGatewayRequestException", "no such resource"),
            }
        }
        other => r.error(
            400,
            "InvalidAction",
            &format!("fake Storage Gateway lacks {other}"),
        ),
    }
}

/// EFS (restJson1): `DescribeFileSystems`, paged by `Marker` / `NextMarker`, from the items
/// the snapshot has of the type.
pub fn efs(state: &State, r: &Request, account: &str) -> Reply {
    match r.operation.as_str() {
        "DescribeFileSystems" => {
            let list = resources_of(state, account, &r.region, Some("AWS::EFS::FileSystem"))
                .iter()
                .map(|f| {
                    let c = &f["configuration"];
                    json!({"OwnerId": account, "CreationToken": f["resourceId"],
                           "FileSystemId": f["resourceId"], "FileSystemArn": f["arn"],
                           "CreationTime": 1_700_000_000, "LifeCycleState": "available",
                           "Name": f["resourceName"], "NumberOfMountTargets": 1,
                           "SizeInBytes": {"Value": 6144},
                           "PerformanceMode": c["PerformanceMode"].as_str().unwrap_or("generalPurpose"),
                           "ThroughputMode": c["ThroughputMode"].as_str().unwrap_or("bursting"),
                           "Encrypted": c["Encrypted"], "KmsKeyId": c["KmsKeyId"],
                           "Tags": aws_tags(f)})
                })
                .collect();
            paged(state, r, list, "FileSystems", "NextMarker")
        }
        other => r.error(400, "InvalidAction", &format!("fake EFS lacks {other}")),
    }
}

pub fn fsx(state: &State, r: &Request, account: &str) -> Reply {
    match r.operation.as_str() {
        "DescribeFileSystems" => {
            let list = resources_of(state, account, &r.region, Some(NOT_IN_CONFIG[1]))
                .iter()
                .map(|f| {
                    json!({"FileSystemId": f["resourceId"], "ResourceARN": f["arn"], "OwnerId": account,
                           "FileSystemType": f["configuration"]["fileSystemType"].as_str().unwrap_or("WINDOWS"),
                           "Lifecycle": "AVAILABLE", "Tags": aws_tags(f)})
                })
                .collect();
            paged(state, r, list, "FileSystems", "NextToken")
        }
        other => r.error(400, "InvalidAction", &format!("fake FSx lacks {other}")),
    }
}
