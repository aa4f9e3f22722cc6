//! JSON to typed values, with a diagnostic that says where and why when the text is not
//! what the type expects.

use crate::error::Diagnostic;
use serde::de::DeserializeOwned;
use std::path::Path;

/// Parses JSON, turning any failure into a diagnostic with path, line, column and the JSON
/// path of the offending value (e.g. `[3].BackupPlan.Rules[0].Lifecycle.DeleteAfterDays`).
pub fn parse_json<T: DeserializeOwned>(
    path: &Path,
    bytes: &[u8],
) -> std::result::Result<T, Diagnostic> {
    // Fast path: path tracking allocates a string per object key, which dominates loading a
    // large snapshot. Parsing is deterministic, so a failure is parsed again with tracking
    // to report where it happened.
    // Checking UTF-8 once for the whole file is cheaper than string by string.
    let fast = match std::str::from_utf8(bytes) {
        Ok(text) => T::deserialize(&mut serde_json::Deserializer::from_str(text)),
        Err(_) => T::deserialize(&mut serde_json::Deserializer::from_slice(bytes)),
    };
    if let Ok(v) = fast {
        return Ok(v);
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let at = e.path().to_string();
        let inner = e.into_inner();
        let mut msg = inner
            .to_string()
            .replace("expected struct ", "expected an object ");
        if let Some(i) = msg.rfind(" at line ") {
            msg.truncate(i);
        }
        let mut msg = shorten_quoted(&msg);
        if at != "." && !at.is_empty() {
            msg = format!("{msg} (at {at})");
        }
        // serde_json counts a line's characters read so far: 0 at the start of a line (an
        // empty file, the end after a final newline) is where its first character would be.
        // Line 0 means no position at all.
        let line = Some(inner.line()).filter(|&l| l > 0);
        Diagnostic {
            path: path.to_path_buf(),
            line,
            column: line.map(|_| inner.column().max(1)),
            message: msg,
        }
    })
}

/// Longest quoted value an error repeats: enough to recognise it, never kilobytes of it.
const QUOTE_MAX: usize = 200;

/// `msg` with every `"…"` quotation (serde quotes values with `{:?}`) longer than
/// [`QUOTE_MAX`] characters cut to that, saying how long it was.
fn shorten_quoted(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len().min(1024));
    let mut rest = msg;
    while let Some(open) = rest.find('"') {
        out.push_str(&rest[..=open]);
        let body = &rest[open + 1..];
        // The closing quote: the first one not escaped by a backslash.
        let mut escaped = false;
        let close = body.char_indices().find_map(|(i, c)| match c {
            _ if escaped => {
                escaped = false;
                None
            }
            '\\' => {
                escaped = true;
                None
            }
            '"' => Some(i),
            _ => None,
        });
        let Some(close) = close else {
            rest = body;
            break;
        };
        let quoted = &body[..close];
        let chars = quoted.chars().count();
        if chars > QUOTE_MAX {
            out.extend(quoted.chars().take(QUOTE_MAX));
            out.push_str(&format!("…\" ({chars} characters)"));
        } else {
            out.push_str(quoted);
            out.push('"');
        }
        rest = &body[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_quoted_values_are_cut() {
        let long = "x".repeat(5000);
        let msg = format!("invalid type: string \"{long}\", expected a \"thing\"");
        let short = shorten_quoted(&msg);
        assert_eq!(
            short,
            format!(
                "invalid type: string \"{}…\" (5000 characters), expected a \"thing\"",
                "x".repeat(200)
            )
        );
        assert_eq!(shorten_quoted(r#"a "b\"c" d "#), r#"a "b\"c" d "#);
        assert_eq!(shorten_quoted("unclosed \"abc"), "unclosed \"abc");
    }
}
