//! What makes the page's script safe to embed and allowed to run: JSON that cannot close its
//! `<script>` element, and the base64 of the SHA-256 the Content-Security-Policy names it by.

/// JSON that is safe inside `<script type="application/json">`: no `<` (so no `</script>` or
/// `<!--`), no `>` or `&`, and no U+2028/U+2029. Valid JSON, because these characters can only
/// appear inside strings, where the `\u` escapes mean the same characters.
pub fn escape_for_script(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 32);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            _ => out.push(c),
        }
    }
    out
}

pub(super) fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for k in 0..4 {
            if k <= c.len() {
                out.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pads() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn script_json_has_no_markup_characters() {
        let j =
            serde_json::to_string(&serde_json::json!({"a": "</script><!-- & \u{2028}"})).unwrap();
        let e = escape_for_script(&j);
        assert!(!e.contains('<') && !e.contains('>') && !e.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&e).unwrap();
        assert_eq!(back["a"], "</script><!-- & \u{2028}");
    }
}
