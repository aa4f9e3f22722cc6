//! DynamoDB tables listed directly, for an account-region whose AWS Config does not record
//! them (or `--inventory direct`): `ListTables`, then per table `DescribeTable` (its ARN) and
//! `ListTagsOfResource` (selections match on tags), written as AWS Config writes a table.

use super::{config_style, describe_each, Place};
use crate::collect::call::{ApiError, Caller};
use serde_json::{json, Value};

pub const TABLE: &str = "AWS::DynamoDB::Table";

/// The region's tables. Any failed call fails them all: a table whose tags are unknown could
/// be judged wrongly, and a half list would hide tables.
pub async fn tables(
    caller: &Caller,
    ddb: &aws_sdk_dynamodb::Client,
    at: Place<'_>,
) -> Result<Vec<Value>, ApiError> {
    let names = caller
        .all_pages(
            |t| {
                ddb.list_tables()
                    .limit(100)
                    .set_exclusive_start_table_name(t)
                    .send()
            },
            |o| {
                (
                    o.table_names.unwrap_or_default(),
                    o.last_evaluated_table_name,
                )
            },
        )
        .await?;
    describe_each(&names, |n| table(caller, ddb, at, n)).await
}

async fn table(
    caller: &Caller,
    ddb: &aws_sdk_dynamodb::Client,
    at: Place<'_>,
    name: &str,
) -> Result<Option<Value>, ApiError> {
    let described = caller
        .call(|| ddb.describe_table().table_name(name).send())
        .await?
        .table;
    let arn = described
        .as_ref()
        .and_then(|d| d.table_arn.clone())
        .unwrap_or_else(|| {
            format!(
                "arn:{}:dynamodb:{}:{}:table/{name}",
                at.partition, at.region, at.account
            )
        });
    let tags: Vec<(String, String)> = caller
        .all_pages(
            |t| {
                ddb.list_tags_of_resource()
                    .resource_arn(&arn)
                    .set_next_token(t)
                    .send()
            },
            |o| (o.tags.unwrap_or_default(), o.next_token),
        )
        .await?
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect();
    // Config's item for a table is camelCase, as DynamoDB's `TableDescription`.
    let configuration = json!({
        "tableName": name,
        "tableArn": arn,
        "tableId": described.as_ref().and_then(|d| d.table_id.as_deref()),
        "tableStatus": described.as_ref().and_then(|d| d.table_status.as_ref()).map(|s| s.as_str()),
    });
    Ok(Some(config_style(
        TABLE,
        name,
        Some(name),
        &arn,
        (at.account, at.region),
        tags,
        configuration,
    )))
}
