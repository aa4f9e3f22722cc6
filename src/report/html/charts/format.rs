//! What the HTML templates need to print numbers and labels, registered once in
//! [`register`]: thousands separators, compact counts, clipped labels, fixed decimals, and
//! the escaping of the SVG chart templates (`*.svg.j2`).
//!
//! These are filters rather than fields of the chart data because the templates decide
//! where a number appears and how (the same count is a compact label in a cell and a full
//! number in its tooltip), and because a user's `--templates` copy may print other fields.

use minijinja::{AutoEscape, Environment, Error, ErrorKind, Output, State, Value};

/// The auto-escape mode of the chart templates: XML escaping as the charts always wrote it
/// (`'` as `&#39;`, `/` left alone), where minijinja's HTML mode writes `&#x27;` and `&#x2f;`.
/// Both are inert; keeping the charts' own spelling keeps the report byte for byte the same.
pub const SVG: AutoEscape = AutoEscape::Custom("svg");

/// Adds the filters and the formatter that knows [`SVG`] to the HTML environment.
pub fn register(env: &mut Environment<'static>) {
    env.add_filter("thousands", |n: usize| thousands(n));
    env.add_filter("compact", |n: usize| compact(n));
    env.add_filter("clip", |s: String, max: usize| clip(&s, max));
    env.add_filter("fixed", |x: f64, digits: usize| format!("{x:.digits$}"));
    env.set_formatter(format_value);
}

/// Prints a value: escaped for SVG in the chart templates, minijinja's way everywhere else.
fn format_value(out: &mut Output, state: &State, value: &Value) -> Result<(), Error> {
    if state.auto_escape() != SVG {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = value.to_string();
    let text = if value.is_safe() { text } else { esc(&text) };
    out.write_str(&text)
        .map_err(|_| Error::new(ErrorKind::WriteFailure, "cannot write the chart"))
}

/// Escapes text and attribute values for SVG/HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Cuts `s` to `max` characters, with an ellipsis.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Thousands separators: 1234567 → 1,234,567.
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Short counts for small spaces: 9,999 → "9999", 25,800 → "26k", 1,250,000 → "1.3M".
fn compact(n: usize) -> String {
    if n < 10_000 {
        n.to_string()
    } else if n < 1_000_000 {
        format!("{:.0}k", n as f64 / 1e3)
    } else {
        format!("{:.1}M", n as f64 / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r##""><img src=x onerror='a'>&"##),
            "&quot;&gt;&lt;img src=x onerror=&#39;a&#39;&gt;&amp;"
        );
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn compact_counts() {
        assert_eq!(compact(9999), "9999");
        assert_eq!(compact(25_800), "26k");
        assert_eq!(compact(1_250_000), "1.2M");
    }

    #[test]
    fn clip_keeps_short_text() {
        assert_eq!(clip("abc", 5), "abc");
        assert_eq!(clip("abcdefgh", 5), "abcd…");
    }

    /// The chart templates escape the charts' way; the page's other templates keep
    /// minijinja's, and safe values pass through both untouched.
    #[test]
    fn svg_templates_escape_their_own_way() {
        let mut env = Environment::new();
        register(&mut env);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".svg.j2") {
                SVG
            } else {
                AutoEscape::Html
            }
        });
        let src = "{{ v }}|{{ v|safe }}|{{ 1234|thousands }}|{{ 2.25|fixed(1) }}";
        env.add_template("a.svg.j2", src).unwrap();
        env.add_template("a.html.j2", src).unwrap();
        let ctx = minijinja::context! { v => "a/'b'<c>" };
        let svg = env.get_template("a.svg.j2").unwrap().render(&ctx).unwrap();
        assert_eq!(svg, "a/&#39;b&#39;&lt;c&gt;|a/'b'<c>|1,234|2.2");
        let html = env.get_template("a.html.j2").unwrap().render(&ctx).unwrap();
        assert_eq!(html, "a&#x2f;&#x27;b&#x27;&lt;c&gt;|a/'b'<c>|1,234|2.2");
    }
}
