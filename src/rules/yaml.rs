//! A small reader over position-marked YAML that collects *every* problem in a file (wrong
//! type, missing key, unknown key) with its line and column, instead of stopping at the first
//! as serde would. Rule and waiver files are read through it.

use crate::error::Diagnostic;
use marked_yaml::{LoaderOptions, Node, Span};
use std::path::{Path, PathBuf};

pub use marked_yaml::types::{MarkedMappingNode as Mapping, MarkedScalarNode as Scalar};

/// Parses a YAML file whose top level is a mapping.
pub fn parse(path: &Path, text: &str) -> Result<Node, Diagnostic> {
    let opts = LoaderOptions::default().error_on_duplicate_keys(true);
    marked_yaml::parse_yaml_with_options(0, text, opts).map_err(|e| {
        use marked_yaml::LoadError::*;
        let (marker, msg) = match &e {
            TopLevelMustBeMapping(m) => (Some(*m), "the top level must be a mapping".to_owned()),
            TopLevelMustBeSequence(m) => (Some(*m), "the top level must be a list".to_owned()),
            UnexpectedAnchor(m) => (Some(*m), "YAML anchors are not supported here".to_owned()),
            MappingKeyMustBeScalar(m) => {
                (Some(*m), "mapping keys must be plain strings".to_owned())
            }
            UnexpectedTag(m) => (Some(*m), "YAML tags are not supported here".to_owned()),
            ScanError(m, se) => (Some(*m), format!("invalid YAML: {se}")),
            DuplicateKey(inner) => (
                inner.key.span().start().copied(),
                format!("duplicate key {:?}", inner.key.as_str()),
            ),
        };
        Diagnostic {
            path: path.to_path_buf(),
            line: marker.map(|m| m.line()),
            column: marker.map(|m| m.column()),
            message: msg,
        }
    })
}

/// Collects diagnostics for one file.
pub struct Ctx {
    pub path: PathBuf,
    pub diags: Vec<Diagnostic>,
}

impl Ctx {
    pub fn new(path: &Path) -> Ctx {
        Ctx {
            path: path.to_path_buf(),
            diags: Vec::new(),
        }
    }

    pub fn error(&mut self, span: &Span, message: impl Into<String>) {
        let m = span.start();
        self.diags.push(Diagnostic {
            path: self.path.clone(),
            line: m.map(|m| m.line()),
            column: m.map(|m| m.column()),
            message: message.into(),
        });
    }

    pub fn mapping<'n>(&mut self, node: &'n Node, what: &str) -> Option<Fields<'n>> {
        match node {
            Node::Mapping(m) => Some(Fields {
                map: m,
                seen: Vec::new(),
            }),
            other => {
                self.error(other.span(), format!("{what} must be a mapping"));
                None
            }
        }
    }

    pub fn sequence<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Node]> {
        match node {
            Node::Sequence(s) => Some(s.as_slice()),
            other => {
                self.error(other.span(), format!("{what} must be a list"));
                None
            }
        }
    }

    pub fn scalar<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n Scalar> {
        match node {
            Node::Scalar(s) => Some(s),
            other => {
                self.error(other.span(), format!("{what} must be a single value"));
                None
            }
        }
    }

    pub fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        let s = self.scalar(node, what)?;
        if s.as_str().is_empty() {
            self.error(s.span(), format!("{what} must not be empty"));
            return None;
        }
        Some(s.as_str().to_owned())
    }

    pub fn integer(&mut self, node: &Node, what: &str, min: i64, max: i64) -> Option<i64> {
        let s = self.scalar(node, what)?;
        match s.as_str().parse::<i64>() {
            Ok(v) if (min..=max).contains(&v) => Some(v),
            Ok(v) => {
                self.error(
                    s.span(),
                    format!("{what} must be between {min} and {max}, not {v}"),
                );
                None
            }
            Err(_) => {
                self.error(
                    s.span(),
                    format!("{what} must be a whole number, not {:?}", s.as_str()),
                );
                None
            }
        }
    }

    pub fn strings(&mut self, node: &Node, what: &str) -> Option<Vec<String>> {
        let seq = self.sequence(node, what)?;
        let mut out = Vec::with_capacity(seq.len());
        for n in seq {
            out.push(self.string(n, &format!("each entry of {what}"))?);
        }
        Some(out)
    }

    /// Like [`Ctx::strings`], but each entry must also pass `problem` (which says what is
    /// wrong with it, if anything); every entry that does not is reported at its position.
    pub fn checked_strings(
        &mut self,
        node: &Node,
        what: &str,
        problem: impl Fn(&str) -> Option<String>,
    ) -> Option<Vec<String>> {
        let seq = self.sequence(node, what)?;
        let mut out = Vec::with_capacity(seq.len());
        let mut ok = true;
        for n in seq {
            match self.string(n, &format!("each entry of {what}")) {
                Some(s) => match problem(&s) {
                    Some(why) => {
                        self.error(n.span(), why);
                        ok = false;
                    }
                    None => out.push(s),
                },
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// A value from a fixed set, e.g. a severity: reports the allowed ones on a miss.
    pub fn one_of<T: Copy>(&mut self, node: &Node, what: &str, options: &[(&str, T)]) -> Option<T> {
        let s = self.scalar(node, what)?;
        if let Some((_, v)) = options.iter().find(|(n, _)| *n == s.as_str()) {
            return Some(*v);
        }
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        self.error(
            s.span(),
            format!(
                "unknown {what} {:?}: expected one of {}",
                s.as_str(),
                names.join(", ")
            ),
        );
        None
    }
}

/// The keys of one mapping, tracking which were read so the rest can be reported unknown.
pub struct Fields<'n> {
    map: &'n Mapping,
    seen: Vec<&'static str>,
}

impl<'n> Fields<'n> {
    pub fn span(&self) -> &'n Span {
        self.map.span()
    }

    /// All entries, for free-form mappings (tags, framework names); marks none as unknown.
    pub fn entries(&self) -> Vec<(&'n str, &'n Node)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v)).collect()
    }

    pub fn get(&mut self, key: &'static str) -> Option<&'n Node> {
        self.seen.push(key);
        self.map.get_node(key)
    }

    pub fn required(&mut self, ctx: &mut Ctx, key: &'static str, what: &str) -> Option<&'n Node> {
        let n = self.get(key);
        if n.is_none() {
            ctx.error(
                self.map.span(),
                format!("{what} is missing required key `{key}`"),
            );
        }
        n
    }

    /// Reports every key that was not read, with a suggestion for near misses.
    pub fn finish(self, ctx: &mut Ctx, what: &str) {
        for (k, _) in self.map.iter() {
            if self.seen.contains(&k.as_str()) {
                continue;
            }
            let hint = self
                .seen
                .iter()
                .filter(|s| strsim::levenshtein(s, k.as_str()) <= 2)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .next()
                .unwrap_or_else(|| format!(" (expected one of: {})", self.seen.join(", ")));
            ctx.error(
                k.span(),
                format!("unknown key `{}` in {what}{hint}", k.as_str()),
            );
        }
    }
}
