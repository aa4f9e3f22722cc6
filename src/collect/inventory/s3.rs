//! S3 buckets listed directly, for an account-region whose AWS Config does not record them
//! (or `--inventory direct`): `ListBuckets` filtered to the region, then per bucket
//! `GetBucketVersioning` and `GetBucketTagging`, written as AWS Config writes a bucket's
//! item, versioning included, so the engine judges them as it judges Config's.

use super::{config_style, Place};
use crate::collect::call::{ApiError, Caller};
use futures_util::future::try_join_all;
use serde_json::{json, Value};

pub const BUCKET: &str = "AWS::S3::Bucket";

/// The region's buckets. Any failed call fails them all: a bucket whose versioning or tags
/// are unknown could be judged wrongly, and a half list would hide buckets.
pub async fn buckets(
    caller: &Caller,
    s3: &aws_sdk_s3::Client,
    at: Place<'_>,
) -> Result<Vec<Value>, ApiError> {
    // `BucketRegion` keeps the list to this region's buckets (ListBuckets is global).
    let list = caller
        .all_pages(
            |t| {
                s3.list_buckets()
                    .bucket_region(at.region)
                    .max_buckets(1000)
                    .set_continuation_token(t)
                    .send()
            },
            |o| (o.buckets.unwrap_or_default(), o.continuation_token),
        )
        .await?;
    let listed: Vec<(String, Option<String>)> = list
        .into_iter()
        // A bucket of another region (an S3 that ignores the filter) is that region's.
        .filter(|b| b.bucket_region().is_none_or(|r| r == at.region))
        .filter_map(|b| {
            let created = b
                .creation_date
                .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok());
            Some((b.name?, created))
        })
        .collect();
    try_join_all(
        listed
            .iter()
            .map(|(name, created)| bucket(caller, s3, at, name, created.as_deref())),
    )
    .await
}

async fn bucket(
    caller: &Caller,
    s3: &aws_sdk_s3::Client,
    at: Place<'_>,
    name: &str,
    created: Option<&str>,
) -> Result<Value, ApiError> {
    let versioning = caller.call(|| s3.get_bucket_versioning().bucket(name).send());
    let tagging = caller.call(|| s3.get_bucket_tagging().bucket(name).send());
    let (versioning, tagging) = tokio::join!(versioning, tagging);
    let tags: Vec<(String, String)> = match tagging {
        Ok(t) => t.tag_set.into_iter().map(|t| (t.key, t.value)).collect(),
        // S3 answers a bucket without tags with this error.
        Err(e) if e.is("NoSuchTagSet") => Vec::new(),
        Err(e) => return Err(e),
    };
    // No `Status`: versioning was never enabled, which Config records as `Off`.
    let status = versioning?
        .status
        .map_or("Off".to_string(), |s| s.as_str().to_string());
    let mut item = config_style(
        BUCKET,
        name,
        Some(name),
        &format!("arn:{}:s3:::{name}", at.partition),
        (at.account, at.region),
        tags,
        json!({ "name": name, "creationDate": created }),
    );
    item["supplementaryConfiguration"] = json!({
        "BucketVersioningConfiguration": { "status": status }
    });
    Ok(item)
}
