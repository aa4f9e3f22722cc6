//! The snapshot the fake serves, loaded as JSON, with timestamps turned into the epoch
//! seconds the JSON wire protocols carry.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

pub struct Account {
    pub id: String,
    pub name: Option<String>,
    /// The manifest says this account could not be entered: `(code, message)`.
    pub denied: Option<(String, String)>,
}

#[derive(Default)]
pub struct Scope {
    /// File name → its JSON (absent files serve as empty).
    pub files: BTreeMap<String, Value>,
    /// File name → `(code, message)` it fails with.
    pub failing: BTreeMap<String, (String, String)>,
}

pub struct Served {
    pub accounts: Vec<Account>,
    pub scopes: BTreeMap<(String, String), Scope>,
    /// `organization/organization.json`, answered to `DescribeOrganization` when there is one.
    pub organization: Option<Value>,
    /// The other files of `organization/` (name → JSON), and those the manifest's
    /// `organization.errors` says failed: name → `(code, message)`.
    pub org_files: BTreeMap<String, Value>,
    pub org_failing: BTreeMap<String, (String, String)>,
}

/// `Code: message` as the manifest records errors.
fn split_error(e: &str) -> (String, String) {
    match e.split_once(": ") {
        Some((c, m)) if !c.contains(' ') => (c.to_string(), m.to_string()),
        _ => ("InternalFailure".into(), e.to_string()),
    }
}

impl Served {
    pub fn load(root: &Path) -> Served {
        let manifest: Value =
            serde_json::from_slice(&std::fs::read(root.join("manifest.json")).unwrap()).unwrap();
        let mut accounts: Vec<Account> = Vec::new();
        let mut scopes = BTreeMap::new();
        for s in manifest["scopes"].as_array().unwrap() {
            let id = s["account_id"].as_str().unwrap().to_string();
            let region = s["region"].as_str().unwrap().to_string();
            if !accounts.iter().any(|a| a.id == id) {
                accounts.push(Account {
                    id: id.clone(),
                    name: s["account_name"].as_str().map(str::to_string),
                    denied: None,
                });
            }
            if s["status"] == "failed" {
                let acct = accounts.iter_mut().find(|a| a.id == id).unwrap();
                acct.denied = Some(split_error(
                    s["error"].as_str().unwrap_or("AccessDenied: denied"),
                ));
                continue;
            }
            let mut scope = Scope::default();
            for e in s["errors"].as_array().into_iter().flatten() {
                scope.failing.insert(
                    e["file"].as_str().unwrap().to_string(),
                    split_error(e["error"].as_str().unwrap()),
                );
            }
            let dir = root.join(&id).join(&region);
            for entry in std::fs::read_dir(&dir).into_iter().flatten() {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let mut v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                if name != "resources.json" {
                    epoch_timestamps(&mut v);
                }
                scope.files.insert(name, v);
            }
            scopes.insert((id, region), scope);
        }
        let organization = std::fs::read(root.join("organization/organization.json"))
            .ok()
            .map(|b| serde_json::from_slice(&b).unwrap());
        let mut org_files = BTreeMap::new();
        for entry in std::fs::read_dir(root.join("organization"))
            .into_iter()
            .flatten()
        {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let mut v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            epoch_timestamps(&mut v);
            org_files.insert(name, v);
        }
        let org_failing = manifest["organization"]["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                let file = e["file"].as_str().unwrap().to_string();
                (file, split_error(e["error"].as_str().unwrap()))
            })
            .collect();
        Served {
            accounts,
            scopes,
            organization,
            org_files,
            org_failing,
        }
    }

    /// Items of a file that holds a JSON array (empty when absent).
    pub fn items(&self, account: &str, region: &str, file: &str) -> &[Value] {
        self.scopes
            .get(&(account.to_string(), region.to_string()))
            .and_then(|s| s.files.get(file))
            .and_then(|v| v.as_array())
            .map_or(&[], Vec::as_slice)
    }

    pub fn object(&self, account: &str, region: &str, file: &str) -> Option<Value> {
        self.scopes
            .get(&(account.to_string(), region.to_string()))
            .and_then(|s| s.files.get(file))
            .cloned()
    }

    pub fn failing(&self, account: &str, region: &str, file: &str) -> Option<(String, String)> {
        self.scopes
            .get(&(account.to_string(), region.to_string()))
            .and_then(|s| s.failing.get(file))
            .cloned()
    }

    pub fn regions_of(&self, account: &str) -> Vec<String> {
        self.scopes
            .keys()
            .filter(|(a, _)| a == account)
            .map(|(_, r)| r.clone())
            .collect()
    }
}

/// AWS Backup members holding times (`CreationDate`, `LockDate`, `DeleteAt`, …).
fn is_time_key(k: &str) -> bool {
    k.ends_with("Date")
        || k.ends_with("Time")
        || k.ends_with("At")
        || k.ends_with("Timestamp")
        || k == "StartBy"
        || k == "LastComputed"
}

/// The CLI prints times as ISO-8601; restJson1 and awsJson1_1 send epoch seconds.
fn epoch_timestamps(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if let (true, Value::String(s)) = (is_time_key(k), &*x) {
                    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
                        *x = Value::from(t.timestamp_millis() as f64 / 1000.0);
                        continue;
                    }
                }
                epoch_timestamps(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(epoch_timestamps),
        _ => {}
    }
}
