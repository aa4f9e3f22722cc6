//! The services the collector lists resources from when AWS Config does not record them:
//! EC2 (ec2Query, XML), RDS and Redshift (awsQuery, XML), DynamoDB (awsJson1_0) and EKS
//! (restJson1), each answering from the served snapshot's Config items of its types, paged
//! as the real API pages.

use super::protocols::{page, paged, resources_of, xml_escape, Reply, Request};
use super::State;
use serde_json::{json, Value};

/// `<name>text</name>`, or nothing for an absent member.
fn el(name: &str, v: &Value) -> String {
    let text = match v {
        Value::Null => return String::new(),
        Value::String(s) => xml_escape(s),
        other => other.to_string(),
    };
    format!("<{name}>{text}</{name}>")
}

/// A list of `member`-named elements (`item` for EC2), each built by `f`.
fn list<'a>(
    name: &str,
    member: &str,
    items: impl IntoIterator<Item = &'a Value>,
    f: impl Fn(&Value) -> String,
) -> String {
    let inner: String = items
        .into_iter()
        .map(|i| format!("<{member}>{}</{member}>", f(i)))
        .collect();
    format!("<{name}>{inner}</{name}>")
}

fn tags(item: &Value) -> Vec<Value> {
    super::protocols::aws_tags(item)
}

fn tag_xml(t: &Value, key: &str, value: &str) -> String {
    el(key, &t["Key"]) + &el(value, &t["Value"])
}

fn of<'a>(state: &'a State, r: &Request, account: &str, t: &str) -> Vec<&'a Value> {
    resources_of(state, account, &r.region, Some(t))
}

/// One page of `items` (after the request's token) and its `<next>` element.
fn xml_page(state: &State, r: &Request, items: Vec<&Value>, next: &str) -> (Vec<Value>, String) {
    let (items, token) = page(items, r.token(), state.page_size);
    (items, token.map_or(String::new(), |t| el(next, &json!(t))))
}

// ---- EC2 (ec2Query) ---------------------------------------------------------------------

pub fn ec2(state: &State, r: &Request, account: &str) -> Reply {
    let body = match r.operation.as_str() {
        "DescribeInstances" => {
            let (page, next) = xml_page(
                state,
                r,
                of(state, r, account, "AWS::EC2::Instance"),
                "nextToken",
            );
            // One reservation per instance, as launches one at a time give.
            let set = list("reservationSet", "item", &page, |i| {
                let c = &i["configuration"];
                let mappings = list(
                    "blockDeviceMapping",
                    "item",
                    c["blockDeviceMappings"].as_array().into_iter().flatten(),
                    |m| {
                        el("deviceName", &m["deviceName"])
                            + &format!(
                                "<ebs>{}<status>attached</status></ebs>",
                                el("volumeId", &m["ebs"]["volumeId"])
                            )
                    },
                );
                let instance = el("instanceId", &i["resourceId"])
                    + &format!(
                        "<instanceState>{}{}</instanceState>",
                        el("code", &c["state"]["code"]),
                        el("name", &c["state"]["name"])
                    )
                    + &el("rootDeviceType", &c["rootDeviceType"])
                    + &mappings
                    + &list("tagSet", "item", &tags(i), |t| tag_xml(t, "key", "value"));
                let id = i["resourceId"].as_str().unwrap_or_default();
                format!("<reservationId>r-{id}</reservationId><ownerId>{account}</ownerId><instancesSet><item>{instance}</item></instancesSet>")
            });
            format!("<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>fake</requestId>{set}{next}</DescribeInstancesResponse>")
        }
        "DescribeVolumes" => {
            let (page, next) = xml_page(
                state,
                r,
                of(state, r, account, "AWS::EC2::Volume"),
                "nextToken",
            );
            let set = list("volumeSet", "item", &page, |v| {
                let c = &v["configuration"];
                // Config writes a volume's state as `{value}` or a string.
                let status = c["state"].get("value").unwrap_or(&c["state"]);
                let attachments = list(
                    "attachmentSet",
                    "item",
                    c["attachments"].as_array().into_iter().flatten(),
                    |a| {
                        el("volumeId", &v["resourceId"])
                            + &el("instanceId", &a["instanceId"])
                            + &el("device", &a["device"])
                            + "<status>attached</status>"
                    },
                );
                el("volumeId", &v["resourceId"])
                    + &el("status", status)
                    + &attachments
                    + &el("encrypted", &c["encrypted"])
                    + &el("kmsKeyId", &c["kmsKeyId"])
                    + &list("tagSet", "item", &tags(v), |t| tag_xml(t, "key", "value"))
            });
            format!("<DescribeVolumesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>fake</requestId>{set}{next}</DescribeVolumesResponse>")
        }
        other => return r.error(400, "InvalidAction", &format!("fake EC2 lacks {other}")),
    };
    Reply::xml(200, body)
}

// ---- RDS and Redshift (awsQuery) --------------------------------------------------------

fn query_reply(op: &str, xmlns: &str, result: String) -> Reply {
    Reply::xml(
        200,
        format!(
            "<{op}Response xmlns=\"{xmlns}\"><{op}Result>{result}</{op}Result>\
             <ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></{op}Response>"
        ),
    )
}

const RDS_XMLNS: &str = "http://rds.amazonaws.com/doc/2014-10-31/";

pub fn rds(state: &State, r: &Request, account: &str) -> Reply {
    let tag_list = |i: &Value| list("TagList", "Tag", &tags(i), |t| tag_xml(t, "Key", "Value"));
    match r.operation.as_str() {
        "DescribeDBInstances" => {
            let (page, next) = xml_page(
                state,
                r,
                of(state, r, account, "AWS::RDS::DBInstance"),
                "Marker",
            );
            let set = list("DBInstances", "DBInstance", &page, |i| {
                let c = &i["configuration"];
                el("DBInstanceIdentifier", &i["resourceName"])
                    + &el("DBClusterIdentifier", &c["dBClusterIdentifier"])
                    + &el("Engine", &c["engine"])
                    + &el("DBInstanceStatus", &c["dBInstanceStatus"])
                    + &el("StorageEncrypted", &c["storageEncrypted"])
                    + &el("KmsKeyId", &c["kmsKeyId"])
                    + &el("DbiResourceId", &i["resourceId"])
                    + &el("DBInstanceArn", &i["arn"])
                    + &tag_list(i)
            });
            query_reply("DescribeDBInstances", RDS_XMLNS, set + &next)
        }
        "DescribeDBClusters" => {
            let mut clusters = of(state, r, account, "AWS::RDS::DBCluster");
            clusters.extend(of(state, r, account, "AWS::DocDB::DBCluster"));
            clusters.extend(of(state, r, account, "AWS::Neptune::DBCluster"));
            let (page, next) = xml_page(state, r, clusters, "Marker");
            let set = list("DBClusters", "DBCluster", &page, |i| {
                let c = &i["configuration"];
                let members = list(
                    "DBClusterMembers",
                    "DBClusterMember",
                    c["dbclusterMembers"].as_array().into_iter().flatten(),
                    |m| {
                        el("DBInstanceIdentifier", &m["dbinstanceIdentifier"])
                            + &el("IsClusterWriter", &m["isClusterWriter"])
                    },
                );
                el("DBClusterIdentifier", &i["resourceName"])
                    + &el("Engine", &c["engine"])
                    + &el("Status", &c["status"])
                    + &el("StorageEncrypted", &c["storageEncrypted"])
                    + &el("KmsKeyId", &c["kmsKeyId"])
                    + &el("DbClusterResourceId", &i["resourceId"])
                    + &el("DBClusterArn", &i["arn"])
                    + &members
                    + &tag_list(i)
            });
            query_reply("DescribeDBClusters", RDS_XMLNS, set + &next)
        }
        other => r.error(400, "InvalidAction", &format!("fake RDS lacks {other}")),
    }
}

pub fn redshift(state: &State, r: &Request, account: &str) -> Reply {
    match r.operation.as_str() {
        "DescribeClusters" => {
            let (page, next) = xml_page(
                state,
                r,
                of(state, r, account, "AWS::Redshift::Cluster"),
                "Marker",
            );
            let set = list("Clusters", "Cluster", &page, |i| {
                let c = &i["configuration"];
                el("ClusterIdentifier", &i["resourceId"])
                    + &el("ClusterStatus", &c["clusterStatus"])
                    + &el("Encrypted", &c["encrypted"])
                    + &el("KmsKeyId", &c["kmsKeyId"])
                    + &list("Tags", "Tag", &tags(i), |t| tag_xml(t, "Key", "Value"))
            });
            query_reply(
                "DescribeClusters",
                "http://redshift.amazonaws.com/doc/2012-12-01/",
                set + &next,
            )
        }
        other => r.error(
            400,
            "InvalidAction",
            &format!("fake Redshift lacks {other}"),
        ),
    }
}

// ---- DynamoDB (awsJson1_0) --------------------------------------------------------------

pub fn dynamodb(state: &State, r: &Request, account: &str) -> Reply {
    let tables = of(state, r, account, "AWS::DynamoDB::Table");
    let named = |n: &str| tables.iter().find(|t| t["resourceId"] == n).copied();
    let not_found = |n: &str| {
        r.error(
            400,
            "ResourceNotFoundException",
            &format!("Requested resource not found: Table: {n} not found"),
        )
    };
    match r.operation.as_str() {
        // Paged by the last name of the page, not by an opaque token.
        "ListTables" => {
            let mut names: Vec<&str> = tables
                .iter()
                .filter_map(|t| t["resourceId"].as_str())
                .collect();
            names.sort();
            let after = r.input["ExclusiveStartTableName"].as_str();
            let rest: Vec<&str> = names
                .into_iter()
                .filter(|n| after.is_none_or(|a| *n > a))
                .collect();
            let page: Vec<&str> = rest.iter().take(state.page_size).copied().collect();
            let mut out = json!({"TableNames": page});
            if rest.len() > page.len() {
                out["LastEvaluatedTableName"] = json!(page.last());
            }
            Reply::json(out)
        }
        "DescribeTable" => {
            let n = r.input["TableName"].as_str().unwrap_or_default();
            match named(n) {
                Some(t) => Reply::json(json!({"Table": {
                    "TableName": n, "TableArn": t["arn"], "TableStatus": "ACTIVE",
                    "TableId": format!("fake-{n}"), "ItemCount": 0, "TableSizeBytes": 0,
                    "CreationDateTime": 1_700_000_000}})),
                None => not_found(n),
            }
        }
        "ListTagsOfResource" => {
            let arn = r.input["ResourceArn"].as_str().unwrap_or_default();
            match tables.iter().find(|t| t["arn"] == arn) {
                Some(t) => paged(state, r, tags(t), "Tags", "NextToken"),
                None => not_found(arn),
            }
        }
        other => r.error(
            400,
            "UnknownOperationException",
            &format!("fake DynamoDB lacks {other}"),
        ),
    }
}

// ---- EKS (restJson1) --------------------------------------------------------------------

/// The operation of an EKS request, from its path.
pub fn eks_operation(method: &str, segments: &[String]) -> Option<&'static str> {
    match (method, segments) {
        ("GET", [c]) if c == "clusters" => Some("ListClusters"),
        ("GET", [c, _]) if c == "clusters" => Some("DescribeCluster"),
        _ => None,
    }
}

pub fn eks(state: &State, r: &Request, account: &str) -> Reply {
    let clusters = of(state, r, account, "AWS::EKS::Cluster");
    match r.operation.as_str() {
        "ListClusters" => {
            let names: Vec<Value> = clusters.iter().map(|c| c["resourceId"].clone()).collect();
            paged(state, r, names, "clusters", "nextToken")
        }
        "DescribeCluster" => {
            let name = &r.segments[1];
            match clusters.iter().find(|c| c["resourceId"] == name.as_str()) {
                Some(c) => {
                    let tags: serde_json::Map<String, Value> = tags(c)
                        .into_iter()
                        .filter_map(|t| Some((t["Key"].as_str()?.to_owned(), t["Value"].clone())))
                        .collect();
                    let conf = &c["configuration"];
                    Reply::json(json!({"cluster": {"name": name, "arn": c["arn"],
                        "version": conf["version"], "status": conf["status"],
                        "createdAt": 1_700_000_000, "tags": tags}}))
                }
                None => r.error(
                    404,
                    "ResourceNotFoundException",
                    &format!("No cluster found for name: {name}."),
                ),
            }
        }
        other => r.error(400, "InvalidAction", &format!("fake EKS lacks {other}")),
    }
}
