//! What the types of `resources.json` cannot say: each item belongs to the scope whose file
//! holds it, and is there once. An item of another account or region would be judged in the
//! wrong scope; a repeated ARN would be one resource that silently hides another's data.

use super::aws::ConfigItem;
use super::ManifestScope;
use crate::error::Diagnostic;
use std::collections::HashMap;
use std::path::Path;

/// Every item of `items` (parsed from `bytes`, read from `path`) that names an account or
/// region other than its scope's, or repeats an ARN, at its line and column.
pub(super) fn check(
    path: &Path,
    bytes: &[u8],
    scope: &ManifestScope,
    items: &[ConfigItem],
) -> Vec<Diagnostic> {
    let mut problems: Vec<(usize, String)> = Vec::new();
    let mut first: HashMap<&str, usize> = HashMap::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let differs = |own: &Option<String>, scope_value: &str| {
            own.as_deref()
                .filter(|v| *v != scope_value)
                .map(str::to_owned)
        };
        if let Some(a) = differs(&item.account_id, &scope.account_id) {
            problems.push((
                i,
                format!(
                    "[{i}] {} has accountId {a:?}, but this file holds account {}'s data",
                    item.arn, scope.account_id
                ),
            ));
        }
        // An ARN that names an account and a region names where the resource lives: its
        // recovery points are looked up there.
        if let Some((r, a)) = super::names::arn_place(&item.arn) {
            if (r, a) != (&scope.region, &scope.account_id) {
                problems.push((
                    i,
                    format!(
                        "[{i}] {} names account {a} and region {r}, but this file holds \
                         account {}'s data in region {}",
                        item.arn, scope.account_id, scope.region
                    ),
                ));
            }
        }
        if let Some(r) = differs(&item.aws_region, &scope.region) {
            problems.push((
                i,
                format!(
                    "[{i}] {} has awsRegion {r:?}, but this file holds region {}'s data",
                    item.arn, scope.region
                ),
            ));
        }
        // A deleted resource is not judged, so it hides nothing (a bucket re-created under
        // its old name has a deleted item and a live one).
        if item.is_deleted() {
            continue;
        }
        if let Some(&j) = first.get(item.arn.as_str()) {
            problems.push((
                i,
                format!(
                    "[{i}] repeats the arn {} of [{j}]: a scope lists each resource once",
                    item.arn
                ),
            ));
        } else {
            first.insert(&item.arn, i);
        }
    }
    if problems.is_empty() {
        return Vec::new();
    }
    let starts = element_offsets(bytes);
    problems
        .into_iter()
        .map(|(i, message)| match starts.get(i) {
            Some(&at) => {
                let (line, column) = crate::input::position(&bytes[..at]);
                Diagnostic {
                    path: path.to_path_buf(),
                    line: Some(line),
                    column: Some(column),
                    message,
                }
            }
            None => Diagnostic::file(path, message),
        })
        .collect()
}

/// Drops the items that record deleted resources; how many, if any.
pub(super) fn drop_deleted(items: &mut Vec<ConfigItem>) -> Option<usize> {
    let before = items.len();
    items.retain(|i| !i.is_deleted());
    Some(before - items.len()).filter(|&n| n > 0)
}

/// Byte offsets where the items start: the elements of the top-level array, or of the
/// `configurationItems` array of a Config snapshot file.
fn element_offsets(text: &[u8]) -> Vec<usize> {
    let first = text.iter().position(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|i| text[i] == b'{') {
        let key = format!("\"{}\"", super::config_json::DELIVERY_ITEMS);
        let Some(at) = text.windows(key.len()).position(|w| w == key.as_bytes()) else {
            return Vec::new();
        };
        let Some(open) = text[at..].iter().position(|&b| b == b'[').map(|o| at + o) else {
            return Vec::new();
        };
        return array_offsets(&text[open..])
            .into_iter()
            .map(|o| o + open)
            .collect();
    }
    array_offsets(text)
}

/// Byte offsets where the elements of the top-level JSON array in `text` start. Items keep
/// no position (for speed), so this finds them again once a problem is to be reported.
fn array_offsets(text: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let (mut depth, mut in_string, mut escaped, mut next_starts) = (0usize, false, false, false);
    for (i, &b) in text.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        if b.is_ascii_whitespace() {
            continue;
        }
        if next_starts && b != b']' {
            out.push(i);
        }
        next_starts = false;
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                next_starts = depth == 1 && b == b'[';
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' => next_starts = depth == 1,
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_are_found_past_strings_and_nesting() {
        let text = br#"[ {"a": "x,]\"{"}, [1, 2],
  "s", 3 ]"#;
        let at = element_offsets(text);
        let starts: Vec<u8> = at.iter().map(|&i| text[i]).collect();
        assert_eq!(starts, b"{[\"3");
        assert_eq!(element_offsets(b"[ ]"), Vec::<usize>::new());
        assert_eq!(element_offsets(b"{\"a\": [1]}"), Vec::<usize>::new());
        let file = br#"{"fileVersion": "1.0", "configurationItems": [ {"a": 1}, {"b": 2} ]}"#;
        let starts: Vec<u8> = element_offsets(file).iter().map(|&i| file[i]).collect();
        assert_eq!(starts, b"{{");
    }
}
