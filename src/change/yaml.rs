//! A CloudFormation template written in YAML, read as the JSON form of the same template: the
//! short forms of intrinsic functions (`!Ref X`, `!GetAtt A.B`, `!Sub …`) become their long
//! forms (`{"Ref": "X"}`, `{"Fn::GetAtt": ["A", "B"]}`), plain scalars become booleans and
//! numbers as YAML 1.2 reads them, and anchors and aliases are followed. A syntax error names
//! the file, line and column.

use crate::error::{Diagnostic, Location};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::Path;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// The template's one document as JSON.
pub fn parse(path: &Path, text: &str) -> Result<Value, Diagnostic> {
    let at = |m: &Marker, message: String| {
        Diagnostic::at(
            Location {
                path: path.to_path_buf(),
                line: m.line(),
                column: m.col() + 1,
            },
            message,
        )
    };
    let mut b = Builder::default();
    Parser::new_from_str(text)
        .load(&mut b, false)
        .map_err(|e| at(e.marker(), format!("not YAML: {}", e.info())))?;
    if let Some((m, why)) = b.error {
        return Err(at(&m, why));
    }
    b.root
        .ok_or_else(|| Diagnostic::file(path, "the template is empty"))
}

enum Frame {
    Seq(Vec<Value>, usize, Option<Tag>),
    Map(Map<String, Value>, Option<String>, usize, Option<Tag>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Value>,
    root: Option<Value>,
    error: Option<(Marker, String)>,
    aliases: usize,
}

/// A template is a few levels deep and uses few aliases: far more is a mistake or an attack
/// (each alias is a copy, so aliases of aliases grow exponentially).
const MAX_DEPTH: usize = 64;
const MAX_ALIASES: usize = 1_000;

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        match ev {
            Event::Scalar(s, style, anchor, tag) => {
                let v = scalar(s, style, tag.as_ref());
                self.done(v, anchor, tag, mark);
            }
            Event::SequenceStart(..) | Event::MappingStart(..) if self.stack.len() >= MAX_DEPTH => {
                self.error = Some((mark, format!("nested more than {MAX_DEPTH} levels deep")));
            }
            Event::SequenceStart(anchor, tag) => self.stack.push(Frame::Seq(vec![], anchor, tag)),
            Event::MappingStart(anchor, tag) => {
                self.stack.push(Frame::Map(Map::new(), None, anchor, tag));
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq(items, anchor, tag)) => {
                    self.done(Value::Array(items), anchor, tag, mark)
                }
                Some(Frame::Map(map, _, anchor, tag)) => {
                    self.done(Value::Object(map), anchor, tag, mark)
                }
                None => {}
            },
            Event::Alias(_) if self.aliases >= MAX_ALIASES => {
                self.error = Some((mark, format!("more than {MAX_ALIASES} aliases")));
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(v) => {
                    self.aliases += 1;
                    self.push(v, mark)
                }
                None => self.error = Some((mark, "an alias to no anchor".into())),
            },
            _ => {}
        }
    }
}

impl Builder {
    /// A node is complete: its tag applied, its anchor remembered, then placed in its parent.
    fn done(&mut self, v: Value, anchor: usize, tag: Option<Tag>, mark: Marker) {
        let v = match tag {
            Some(t) if t.handle == "!" => intrinsic(&t.suffix, v),
            _ => v,
        };
        if anchor > 0 {
            self.anchors.insert(anchor, v.clone());
        }
        self.push(v, mark);
    }

    fn push(&mut self, v: Value, mark: Marker) {
        match self.stack.last_mut() {
            None => self.root = Some(v),
            Some(Frame::Seq(items, ..)) => items.push(v),
            Some(Frame::Map(map, key, ..)) => match key.take() {
                Some(k) => {
                    if map.insert(k.clone(), v).is_some() {
                        self.error = Some((mark, format!("{k:?} is given twice")));
                    }
                }
                None => match v {
                    Value::String(k) => *key = Some(k),
                    Value::Number(n) => *key = Some(n.to_string()),
                    Value::Bool(b) => *key = Some(b.to_string()),
                    _ => self.error = Some((mark, "a key that is not text".into())),
                },
            },
        }
    }
}

/// `!Ref X` → `{"Ref": "X"}`, `!GetAtt A.B` → `{"Fn::GetAtt": ["A", "B"]}`, `!Condition C` →
/// `{"Condition": "C"}`, any other `!Fn` → `{"Fn::Fn": …}`.
fn intrinsic(name: &str, v: Value) -> Value {
    let (key, v) = match (name, v) {
        ("Ref" | "Condition", v) => (name.to_owned(), v),
        ("GetAtt", Value::String(s)) => {
            let parts = match s.split_once('.') {
                Some((a, b)) => vec![Value::from(a), Value::from(b)],
                None => vec![Value::from(s)],
            };
            ("Fn::GetAtt".to_owned(), Value::Array(parts))
        }
        (_, v) => (format!("Fn::{name}"), v),
    };
    Value::Object(Map::from_iter([(key, v)]))
}

/// A plain scalar as YAML 1.2's core schema reads it, but only where nothing is lost: an
/// integer written canonically; `012345678901` (an account id) and `1.10` stay text, as
/// CloudFormation passes most values as text anyway. Quoted or tagged, always text.
fn scalar(s: String, style: TScalarStyle, tag: Option<&Tag>) -> Value {
    if style != TScalarStyle::Plain || tag.is_some() {
        return Value::String(s);
    }
    match s.as_str() {
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        "null" | "Null" | "NULL" | "~" | "" => return Value::Null,
        _ => {}
    }
    match s.parse::<i64>() {
        Ok(i) if i.to_string() == s => Value::from(i),
        _ => Value::String(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(text: &str) -> Value {
        parse(Path::new("t.yaml"), text).unwrap()
    }

    #[test]
    fn short_forms_become_long_forms() {
        let v = read(
            "A: !Ref Env\nB: !GetAtt Vault.BackupVaultArn\nC: !Sub 'x-${Env}'\n\
             D: !If [IsProd, 35, 7]\nE: !Equals [!Ref Env, prod]\nF: '35'\nG: 35\nH: true\n",
        );
        assert_eq!(
            v,
            json!({"A": {"Ref": "Env"}, "B": {"Fn::GetAtt": ["Vault", "BackupVaultArn"]},
                   "C": {"Fn::Sub": "x-${Env}"}, "D": {"Fn::If": ["IsProd", 35, 7]},
                   "E": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}, "F": "35", "G": 35, "H": true})
        );
    }

    #[test]
    fn only_canonical_integers_become_numbers() {
        let v = read("a: 012345678901\nb: 1.10\nc: !!str 5\nd: 7\ne: -3\n");
        assert_eq!(
            v,
            json!({"a": "012345678901", "b": "1.10", "c": "5", "d": 7, "e": -3})
        );
    }

    #[test]
    fn anchors_are_followed_and_errors_say_where() {
        let v = read("a: &t {Key: app, Value: x}\nb: [*t]\n");
        assert_eq!(v["b"][0]["Key"], "app");
        let e = parse(Path::new("t.yaml"), "a: 1\nb: [1, 2\n").unwrap_err();
        assert_eq!(e.path, Path::new("t.yaml"));
        assert!(e.line.is_some() && e.column.is_some(), "{e}");
        let twice = parse(Path::new("t.yaml"), "a: 1\na: 2\n").unwrap_err();
        assert!(twice.message.contains("twice"), "{twice}");
    }
}
