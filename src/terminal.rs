//! Text for a terminal or a CI log made from data nobody vetted: tag values and names from a
//! snapshot, errors from AWS. Written raw, such text could move the cursor, recolour or erase
//! the screen (ESC), hide what precedes it (CR), ring the bell, or forge a CI log line. So:
//!
//! - every control character (C0, DEL, C1), and the Unicode line separators and
//!   bidirectional overrides that reorder what a reader sees, is written as an escape:
//!   `\x1b` for ASCII, `\u{202e}` beyond;
//! - data never begins a line with `:` (a GitHub Actions workflow command is a line that,
//!   leading whitespace aside, starts with `::`): such a colon is written `\x3a`;
//! - data never holds `##` (the legacy `##[command]` form GitHub Actions still reads anywhere
//!   in a line, like Azure Pipelines' `##vso[` and TeamCity's `##teamcity[`): the second `#`
//!   is written `\x23`.
//!
//! A backslash is kept as it is, so an escape in the output may also be the data's own text.

use std::borrow::Cow;
use std::fmt::Write;

/// `s`, safe to print on one line of a terminal or CI log (see the module).
pub fn escape(s: &str) -> Cow<'_, str> {
    if !needs_escape(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    // Only whitespace so far: a colon here would start the line.
    let mut line_start = true;
    let mut after_hash = false;
    for c in s.chars() {
        let raw = if hidden(c) || (c == ':' && line_start) || (c == '#' && after_hash) {
            write_escape(&mut out, c);
            false
        } else {
            out.push(c);
            true
        };
        line_start &= raw && c.is_whitespace();
        after_hash = raw && c == '#';
    }
    Cow::Owned(out)
}

/// Whether [`escape`] changes `s`: the common case, clean text, is not copied.
fn needs_escape(s: &str) -> bool {
    s.trim_start().starts_with(':') || s.contains("##") || s.chars().any(hidden)
}

/// Characters that act on the terminal or on the order of the text rather than show.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}'
                | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

fn write_escape(out: &mut String, c: char) {
    let _ = if c.is_ascii() {
        write!(out, "\\x{:02x}", c as u32)
    } else {
        write!(out, "\\u{{{:x}}}", c as u32)
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(
            escape("a\x1b[31mred\r\x07\0\n\tz\u{7f}\u{9b}"),
            "a\\x1b[31mred\\x0d\\x07\\x00\\x0a\\x09z\\x7f\\u{9b}"
        );
        assert_eq!(escape("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
    }

    #[test]
    fn data_cannot_start_a_workflow_command() {
        assert_eq!(escape("::error::forged"), "\\x3a:error::forged");
        assert_eq!(escape("  ::warning::x"), "  \\x3a:warning::x");
        // After an escaped newline, the colon is not at a line start any more.
        assert_eq!(escape("a\n::error::x"), "a\\x0a::error::x");
        assert_eq!(escape("a ##[error]x ###"), "a #\\x23[error]x #\\x23#");
        assert_eq!(escape("##vso[task.logissue]"), "#\\x23vso[task.logissue]");
    }

    #[test]
    fn clean_text_is_not_copied() {
        for s in ["arn:aws:s3:::bucket", "tag=v a:b", "#1 #2", "é ✓ 名前"] {
            assert!(matches!(escape(s), Cow::Borrowed(_)), "{s}");
        }
    }
}
