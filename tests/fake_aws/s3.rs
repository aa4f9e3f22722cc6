//! S3 (restXml, addressed by path): `ListBuckets` (filtered by `bucket-region`, paged by
//! `continuation-token`), `GetBucketVersioning` and `GetBucketTagging`, answered from the
//! `AWS::S3::Bucket` items of the served snapshot's `resources.json` files. S3 is global, so
//! a bucket is looked up in every region of the account.

use super::protocols::{page, Reply, Request};
use super::State;
use serde_json::Value;

const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
const BUCKET: &str = "AWS::S3::Bucket";

/// The operation of a path-style request: `/` lists, `/BUCKET?versioning` and
/// `/BUCKET?tagging` read one bucket.
pub fn operation(method: &str, segments: &[String], query: &str) -> Option<&'static str> {
    if method != "GET" {
        return None;
    }
    let has = |k: &str| query.split('&').any(|p| p.split('=').next() == Some(k));
    match segments {
        [root] if root.is_empty() => Some("ListBuckets"),
        [_] if has("versioning") => Some("GetBucketVersioning"),
        [_] if has("tagging") => Some("GetBucketTagging"),
        _ => None,
    }
}

/// The account's buckets, with the region each lives in.
fn buckets<'a>(state: &'a State, account: &str) -> Vec<(String, &'a Value)> {
    state
        .served
        .regions_of(account)
        .into_iter()
        .flat_map(|region| {
            state
                .served
                .items(account, &region, "resources.json")
                .iter()
                .filter(|i| i["resourceType"] == BUCKET)
                .map(move |i| (region.clone(), i))
        })
        .collect()
}

pub fn s3(state: &State, r: &Request, account: &str) -> Reply {
    let listed = buckets(state, account);
    if r.operation == "ListBuckets" {
        let region = r.query.get("bucket-region");
        // A scope whose inventory is recorded as unreadable: its listing fails so.
        if let Some((code, message)) =
            region.and_then(|g| state.served.failing(account, g, "resources.json"))
        {
            return r.error(403, &code, &message);
        }
        let mine: Vec<&(String, &Value)> = listed
            .iter()
            .filter(|(g, _)| region.is_none_or(|want| want == g))
            .collect();
        let (page, next) = page(
            mine.iter()
                .map(|(g, i)| bucket_xml(g, i))
                .map(Value::String)
                .collect(),
            r.query.get("continuation-token").cloned(),
            state.page_size,
        );
        let body: String = page.iter().filter_map(Value::as_str).collect();
        let token = next.map_or(String::new(), |t| {
            format!("<ContinuationToken>{t}</ContinuationToken>")
        });
        return Reply::xml(
            200,
            format!(
                "<ListAllMyBucketsResult xmlns=\"{NS}\"><Owner><ID>{account}</ID></Owner>\
                 <Buckets>{body}</Buckets>{token}</ListAllMyBucketsResult>"
            ),
        );
    }
    let name = r.segments[0].as_str();
    let Some((_, item)) = listed.iter().find(|(_, i)| i["resourceId"] == name) else {
        return r.error(404, "NoSuchBucket", "The specified bucket does not exist");
    };
    match r.operation.as_str() {
        "GetBucketVersioning" => {
            let status = versioning(item).map_or(String::new(), |s| match s.as_str() {
                "Off" => String::new(),
                s => format!("<Status>{s}</Status>"),
            });
            Reply::xml(
                200,
                format!(
                    "<VersioningConfiguration xmlns=\"{NS}\">{status}</VersioningConfiguration>"
                ),
            )
        }
        _ => {
            let tags = super::protocols::aws_tags(item);
            if tags.is_empty() {
                return r.error(404, "NoSuchTagSet", "The TagSet does not exist");
            }
            let set: String = tags
                .iter()
                .map(|t| {
                    format!(
                        "<Tag><Key>{}</Key><Value>{}</Value></Tag>",
                        t["Key"].as_str().unwrap_or_default(),
                        t["Value"].as_str().unwrap_or_default()
                    )
                })
                .collect();
            Reply::xml(
                200,
                format!("<Tagging xmlns=\"{NS}\"><TagSet>{set}</TagSet></Tagging>"),
            )
        }
    }
}

fn bucket_xml(region: &str, item: &Value) -> String {
    let created = item["configuration"]["creationDate"]
        .as_str()
        .unwrap_or("2024-01-01T00:00:00.000Z");
    format!(
        "<Bucket><Name>{}</Name><CreationDate>{created}</CreationDate>\
         <BucketRegion>{region}</BucketRegion></Bucket>",
        item["resourceId"].as_str().unwrap_or_default()
    )
}

/// The bucket's versioning as Config records it (an object, or the same as a JSON string).
fn versioning(item: &Value) -> Option<String> {
    let v = &item["supplementaryConfiguration"]["BucketVersioningConfiguration"];
    let v = match v {
        Value::String(s) => serde_json::from_str(s).ok()?,
        v => v.clone(),
    };
    v["status"].as_str().map(str::to_string)
}
