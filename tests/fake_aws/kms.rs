//! KMS (awsJson1_1): `ListAliases` from the served snapshot's `kms-aliases.json`, paged as
//! KMS pages: `Marker` in, `NextMarker` and `Truncated` out.

use super::protocols::{page, Reply, Request};
use super::State;
use serde_json::json;

pub fn kms(state: &State, r: &Request, account: &str) -> Reply {
    let (region, file) = (r.region.as_str(), "kms-aliases.json");
    if let Some((code, message)) = state.served.failing(account, region, file) {
        return r.error(400, &code, &message);
    }
    match r.operation.as_str() {
        "ListAliases" => {
            let items = state.served.items(account, region, file).iter().collect();
            let marker = r.input["Marker"].as_str().map(str::to_string);
            let (aliases, next) = page::<&serde_json::Value>(items, marker, state.page_size);
            let mut out = json!({"Aliases": aliases, "Truncated": next.is_some()});
            if let Some(n) = next {
                out["NextMarker"] = json!(n);
            }
            Reply::json(out)
        }
        other => r.error(
            400,
            "UnsupportedOperationException",
            &format!("fake KMS lacks {other}"),
        ),
    }
}
