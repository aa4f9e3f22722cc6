//! CloudFormation's intrinsic functions, resolved where a template and its parameters decide
//! them: `Ref`, `Fn::Sub`, `Fn::GetAtt`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::If` and
//! the condition functions, `Fn::FindInMap`, and the pseudo parameters. What only the
//! deployment decides (a generated name, an import, a parameter without a value) is
//! CloudFormation's own "known after apply" marker, as a change set shows it, never a guess.
//!
//! A reference to a resource the template creates is resolved to the identity the overlay
//! gives it until it exists (`(known after apply: Volume (AWS::EC2::Volume))`), but only where
//! an identity is what counts (a selection's `Resources`, its `BackupPlanId`, an attachment's
//! ids): there it names the planned resource exactly; anywhere else (a tag value) it is unknown.

use super::cloudformation::UNKNOWN;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// What a template's expressions resolve against.
pub(super) struct Context<'a> {
    pub template: &'a Map<String, Value>,
    /// Each parameter's value (given, or its default); absent: known only at deployment.
    pub parameters: BTreeMap<String, Value>,
    pub account: &'a str,
    pub region: &'a str,
    pub partition: &'a str,
    pub stack_name: Option<&'a str>,
    /// What `Ref` gives for a resource already known (a plan bound to the snapshot's).
    pub known: BTreeMap<String, String>,
    /// Problems found while resolving (a `Ref` to nothing), reported together.
    pub errors: RefCell<Vec<String>>,
    conditions: RefCell<BTreeMap<String, Option<bool>>>,
}

const DEPTH: usize = 32;

fn unknown() -> Value {
    Value::String(UNKNOWN.to_owned())
}

fn is_unknown(v: &Value) -> bool {
    v.as_str() == Some(UNKNOWN)
}

/// The property that names a resource, which `Ref` returns when the template gives it.
fn name_property(resource_type: &str) -> Option<&'static str> {
    Some(match resource_type {
        "AWS::S3::Bucket" => "BucketName",
        "AWS::DynamoDB::Table" => "TableName",
        "AWS::RDS::DBInstance" => "DBInstanceIdentifier",
        "AWS::RDS::DBCluster" | "AWS::DocDB::DBCluster" | "AWS::Neptune::DBCluster" => {
            "DBClusterIdentifier"
        }
        "AWS::Redshift::Cluster" => "ClusterIdentifier",
        "AWS::EKS::Cluster" => "Name",
        "AWS::Backup::BackupVault" | "AWS::Backup::LogicallyAirGappedBackupVault" => {
            "BackupVaultName"
        }
        _ => return None,
    })
}

impl<'a> Context<'a> {
    pub fn new(
        template: &'a Map<String, Value>,
        parameters: BTreeMap<String, Value>,
        (account, region, partition): (&'a str, &'a str, &'a str),
        stack_name: Option<&'a str>,
    ) -> Self {
        Context {
            template,
            parameters,
            account,
            region,
            partition,
            stack_name,
            known: BTreeMap::new(),
            errors: RefCell::new(Vec::new()),
            conditions: RefCell::new(BTreeMap::new()),
        }
    }

    fn section(&self, name: &str) -> Option<&'a Map<String, Value>> {
        self.template.get(name).and_then(Value::as_object)
    }

    pub fn resource_type(&self, logical: &str) -> Option<&'a str> {
        self.section("Resources")?
            .get(logical)?
            .get("Type")?
            .as_str()
    }

    /// The overlay's identity of a resource the template creates, until it exists.
    pub fn stand_in(&self, logical: &str) -> String {
        let t = self.resource_type(logical).unwrap_or_default();
        format!("(known after apply: {logical} ({t}))")
    }

    fn fail(&self, why: String) -> Value {
        self.errors.borrow_mut().push(why);
        unknown()
    }

    /// `v` resolved; `None` for `AWS::NoValue` (the property is left out). `ids`: whether a
    /// reference to a resource the template creates may stand for its identity.
    pub fn resolve(&self, v: &Value, ids: bool) -> Option<Value> {
        self.at_depth(v, ids, 0)
    }

    fn at_depth(&self, v: &Value, ids: bool, depth: usize) -> Option<Value> {
        if depth > DEPTH {
            return Some(self.fail("an expression nested too deep (a reference loop?)".into()));
        }
        match v {
            Value::Object(o) if o.len() == 1 => {
                let (k, arg) = o.iter().next()?;
                if k == "Ref" {
                    return self.reference(arg.as_str().unwrap_or_default(), ids, depth);
                }
                if let Some(f) = k.strip_prefix("Fn::") {
                    return self.function(f, arg, ids, depth);
                }
                let inner = self.at_depth(arg, ids, depth + 1);
                Some(Value::Object(Map::from_iter(inner.map(|i| (k.clone(), i)))))
            }
            Value::Object(o) => Some(Value::Object(
                o.iter()
                    .filter_map(|(k, v)| Some((k.clone(), self.at_depth(v, ids, depth + 1)?)))
                    .collect(),
            )),
            Value::Array(a) => Some(Value::Array(
                a.iter()
                    .filter_map(|v| self.at_depth(v, ids, depth + 1))
                    .collect(),
            )),
            other => Some(other.clone()),
        }
    }

    fn reference(&self, name: &str, ids: bool, depth: usize) -> Option<Value> {
        if self
            .section("Parameters")
            .is_some_and(|p| p.contains_key(name))
        {
            return Some(self.parameters.get(name).cloned().unwrap_or_else(unknown));
        }
        let text = |s: &str| Some(Value::from(s));
        match name {
            "AWS::AccountId" => return text(self.account),
            "AWS::Region" => return text(self.region),
            "AWS::Partition" => return text(self.partition),
            "AWS::URLSuffix" => return text("amazonaws.com"),
            "AWS::NoValue" => return None,
            "AWS::StackName" => return Some(self.stack_name.map_or_else(unknown, Value::from)),
            "AWS::StackId" | "AWS::NotificationARNs" => return Some(unknown()),
            _ => {}
        }
        let Some(t) = self.resource_type(name) else {
            return Some(self.fail(format!(
                "Ref to {name:?}, which is neither a parameter nor a resource of the template"
            )));
        };
        if let Some(id) = self.known.get(name) {
            return text(id);
        }
        let given = name_property(t)
            .and_then(|p| {
                self.section("Resources")?
                    .get(name)?
                    .get("Properties")?
                    .get(p)
            })
            .and_then(|v| self.at_depth(v, false, depth + 1))
            .filter(|v| v.is_string() && !is_unknown(v));
        Some(match given {
            Some(v) => v,
            None if ids => Value::from(self.stand_in(name)),
            None => unknown(),
        })
    }

    fn function(&self, f: &str, arg: &Value, ids: bool, depth: usize) -> Option<Value> {
        match f {
            "GetAtt" => return Some(self.attribute(arg, ids, depth)),
            "Sub" => return Some(self.sub(arg, ids, depth)),
            "If" => return self.choose(arg, ids, depth),
            "Equals" | "And" | "Or" | "Not" => {
                return Some(
                    self.condition_of(f, arg, depth)
                        .map_or_else(unknown, Value::Bool),
                )
            }
            _ => {}
        }
        let args = match self.at_depth(arg, ids, depth + 1)? {
            Value::Array(a) => a,
            other => vec![other],
        };
        // A separator, key or index the deployment decides is no value to build on.
        let text = |v: &Value| v.as_str().filter(|s| *s != UNKNOWN).map(str::to_owned);
        let known_list = |v: &Value| -> Option<Vec<Value>> {
            v.as_array().filter(|a| !a.iter().any(is_unknown)).cloned()
        };
        Some(match (f, args.as_slice()) {
            ("Join", [sep, list]) => match (text(sep), known_list(list)) {
                (Some(sep), Some(items)) if items.iter().all(Value::is_string) => Value::from(
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(&sep),
                ),
                _ => unknown(),
            },
            ("Select", [i, list]) => {
                let i = i.as_u64().or_else(|| text(i)?.parse().ok());
                match (i, known_list(list)) {
                    (Some(i), Some(items)) => {
                        items.get(i as usize).cloned().unwrap_or_else(unknown)
                    }
                    _ => unknown(),
                }
            }
            ("Split", [sep, s]) => match (text(sep), text(s)) {
                (Some(sep), Some(s)) => {
                    Value::Array(s.split(sep.as_str()).map(Value::from).collect())
                }
                _ => unknown(),
            },
            ("FindInMap", [map, k1, k2]) => {
                let found = (|| {
                    let m = self.section("Mappings")?.get(&text(map)?)?;
                    m.get(&text(k1)?)?.get(&text(k2)?).cloned()
                })();
                found.unwrap_or_else(unknown)
            }
            // Base64, GetAZs, ImportValue, Cidr, Length, ToJsonString, …: the deployment's.
            _ => unknown(),
        })
    }

    /// `Fn::GetAtt`: an ARN or id of a resource the template creates, where an identity counts.
    fn attribute(&self, arg: &Value, ids: bool, depth: usize) -> Value {
        let parts: Vec<String> = match arg {
            Value::String(s) => s.splitn(2, '.').map(str::to_owned).collect(),
            Value::Array(a) => a
                .iter()
                .filter_map(|v| self.at_depth(v, false, depth + 1))
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        let [logical, attr] = parts.as_slice() else {
            return self.fail(format!("Fn::GetAtt {arg} is not [resource, attribute]"));
        };
        let Some(t) = self.resource_type(logical) else {
            return self.fail(format!(
                "Fn::GetAtt of {logical:?}, which is not a resource"
            ));
        };
        let Some(id) = self
            .reference(logical, ids, depth + 1)
            .and_then(|v| v.as_str().map(str::to_owned))
            .filter(|v| v != UNKNOWN)
        else {
            return unknown();
        };
        let (p, r, a) = (self.partition, self.region, self.account);
        match (t, attr.as_str()) {
            ("AWS::Backup::BackupPlan", "BackupPlanId") => Value::from(id),
            ("AWS::Backup::BackupVault", "BackupVaultName") => Value::from(id),
            ("AWS::Backup::BackupVault", "BackupVaultArn") => {
                Value::from(format!("arn:{p}:backup:{r}:{a}:backup-vault:{id}"))
            }
            (_, "Arn" | "DBInstanceArn" | "DBClusterArn") => {
                match super::cloudformation::terraform_kind(t).and_then(super::records::judged) {
                    Some(j) => Value::from(j.arn_of(&id, p, r, a)),
                    None => unknown(),
                }
            }
            _ => unknown(),
        }
    }

    /// `Fn::Sub`: `${Name}`, `${Resource.Attribute}`, `${!Literal}`, with or without a map
    /// of its own variables. Unknown as a whole if any part is.
    fn sub(&self, arg: &Value, ids: bool, depth: usize) -> Value {
        let (text, vars) = match arg {
            Value::String(s) => (s.as_str(), None),
            Value::Array(a) => match (a.first().and_then(Value::as_str), a.get(1)) {
                (Some(s), vars) => (s, vars.and_then(Value::as_object)),
                _ => return self.fail(format!("Fn::Sub {arg} is not [text, variables]")),
            },
            _ => return unknown(),
        };
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let Some(end) = rest[start..].find('}') else {
                return self.fail(format!("Fn::Sub {text:?}: a ${{ without its }}"));
            };
            let name = &rest[start + 2..start + end];
            rest = &rest[start + end + 1..];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str(&format!("${{{literal}}}"));
                continue;
            }
            let value = match vars.and_then(|v| v.get(name)) {
                Some(v) => self.at_depth(v, ids, depth + 1),
                None if name.contains('.') => {
                    Some(self.attribute(&Value::from(name), ids, depth + 1))
                }
                None => self.reference(name, ids, depth + 1),
            };
            match value.as_ref().and_then(Value::as_str) {
                Some(s) if s != UNKNOWN => out.push_str(s),
                _ => match value {
                    Some(Value::Number(n)) => out.push_str(&n.to_string()),
                    _ => return unknown(),
                },
            }
        }
        out.push_str(rest);
        Value::from(out)
    }

    /// `Fn::If [condition, then, else]`: the branch the condition picks; when it is unknown,
    /// the value both branches agree on, else unknown.
    fn choose(&self, arg: &Value, ids: bool, depth: usize) -> Option<Value> {
        let [cond, yes, no] = arg.as_array().map(Vec::as_slice).unwrap_or_default() else {
            return Some(self.fail(format!("Fn::If {arg} is not [condition, then, else]")));
        };
        let cond = cond.as_str().unwrap_or_default();
        match self.condition(cond, depth + 1) {
            Some(true) => self.at_depth(yes, ids, depth + 1),
            Some(false) => self.at_depth(no, ids, depth + 1),
            None => {
                let (a, b) = (
                    self.at_depth(yes, ids, depth + 1),
                    self.at_depth(no, ids, depth + 1),
                );
                Some(if a == b { a? } else { unknown() })
            }
        }
    }

    /// A named condition of the template: `None` when only the deployment decides it.
    pub fn condition(&self, name: &str, depth: usize) -> Option<bool> {
        if let Some(v) = self.conditions.borrow().get(name) {
            return *v;
        }
        let Some(def) = self.section("Conditions").and_then(|c| c.get(name)) else {
            self.fail(format!(
                "condition {name:?} is not in the template's Conditions"
            ));
            return None;
        };
        let v = self.boolean(def, depth + 1);
        self.conditions.borrow_mut().insert(name.to_owned(), v);
        v
    }

    fn boolean(&self, v: &Value, depth: usize) -> Option<bool> {
        if depth > DEPTH {
            self.fail("a condition nested too deep (a condition loop?)".into());
            return None;
        }
        let o = v.as_object().filter(|o| o.len() == 1)?;
        let (k, arg) = o.iter().next()?;
        match k.as_str() {
            "Condition" => self.condition(arg.as_str()?, depth + 1),
            k => self.condition_of(k.strip_prefix("Fn::")?, arg, depth),
        }
    }

    fn condition_of(&self, f: &str, arg: &Value, depth: usize) -> Option<bool> {
        let args = arg.as_array()?;
        match f {
            "Equals" => {
                let [a, b] = args.as_slice() else { return None };
                let (a, b) = (
                    self.at_depth(a, false, depth + 1)?,
                    self.at_depth(b, false, depth + 1)?,
                );
                if is_unknown(&a) || is_unknown(&b) {
                    return None;
                }
                let as_text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                Some(as_text(&a) == as_text(&b))
            }
            "Not" => self.boolean(args.first()?, depth + 1).map(|b| !b),
            "And" | "Or" => {
                let all: Vec<Option<bool>> =
                    args.iter().map(|c| self.boolean(c, depth + 1)).collect();
                let decisive = f == "Or";
                if all.contains(&Some(decisive)) {
                    Some(decisive)
                } else if all.contains(&None) {
                    None
                } else {
                    Some(!decisive)
                }
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with(template: Value, params: Value) -> (Map<String, Value>, BTreeMap<String, Value>) {
        let p = params.as_object().unwrap().clone().into_iter().collect();
        (template.as_object().unwrap().clone(), p)
    }

    #[test]
    fn parameters_conditions_and_subs_resolve_and_what_the_deployment_decides_stays_unknown() {
        let (t, p) = with(
            json!({"Parameters": {"Env": {}, "Days": {}},
                   "Conditions": {"Prod": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
                                  "Later": {"Fn::Equals": [{"Ref": "Days"}, "7"]}},
                   "Resources": {"Vol": {"Type": "AWS::EC2::Volume"},
                                 "Logs": {"Type": "AWS::S3::Bucket",
                                          "Properties": {"BucketName": {"Fn::Sub": "${Env}-logs"}}}}}),
            json!({"Env": "prod"}),
        );
        let c = Context::new(&t, p, ("111111111111", "us-east-1", "aws"), None);
        let r = |v: Value, ids| c.resolve(&v, ids).unwrap();
        assert_eq!(r(json!({"Fn::If": ["Prod", 35, 7]}), false), json!(35));
        assert_eq!(
            r(json!({"Fn::If": ["Later", 35, 7]}), false),
            json!(UNKNOWN)
        );
        assert_eq!(r(json!({"Fn::If": ["Later", 7, 7]}), false), json!(7));
        assert_eq!(
            r(json!({"Fn::Sub": "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:volume/${Vol}"}), true),
            json!("arn:aws:ec2:us-east-1:111111111111:volume/(known after apply: Vol (AWS::EC2::Volume))")
        );
        // A resource's identity counts only where an identity is what is asked for.
        assert_eq!(r(json!({"Ref": "Vol"}), false), json!(UNKNOWN));
        assert_eq!(
            r(json!({"Fn::GetAtt": ["Logs", "Arn"]}), false),
            json!("arn:aws:s3:::prod-logs")
        );
        assert_eq!(
            r(json!({"Fn::Join": ["-", ["a", {"Ref": "Days"}]]}), false),
            json!(UNKNOWN)
        );
        assert_eq!(c.resolve(&json!({"Ref": "AWS::NoValue"}), false), None);
        assert!(c.errors.borrow().is_empty());
        r(json!({"Ref": "Nothing"}), false);
        assert_eq!(c.errors.borrow().len(), 1);
    }
}
