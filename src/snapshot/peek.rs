//! A first look at a JSON array of objects: one string member of every object, found
//! without parsing the objects. A streamed scan's skeleton needs only the `ResourceArn` of
//! each recovery point (is it of a resource in another account-region?) and the `arn` of each
//! inventory item (which account-regions list an S3 bucket?); the files are read whole later,
//! when their batch comes.

/// A point as the peek saw it: its `ResourceArn`, and where its object is in the file.
#[derive(Debug, PartialEq, Eq)]
pub struct Peeked<'a> {
    pub arn: &'a str,
    pub object: std::ops::Range<usize>,
}

/// The `ResourceArn` of each recovery point of `bytes` (`recovery-points.json`): see [`values`].
pub fn resource_arns(bytes: &[u8]) -> Option<Vec<Peeked<'_>>> {
    values(bytes, &[b"ResourceArn"])
}

/// The `arn` (or `ARN`, which serde also reads) of each inventory item of `bytes`
/// (`resources.json` as a JSON array): see [`values`].
pub fn item_arns(bytes: &[u8]) -> Option<Vec<Peeked<'_>>> {
    values(bytes, &[b"arn", b"ARN"])
}

/// The value of the member named one of `keys` in each object of `bytes`, a JSON array of
/// objects, in order; `None` when the text is not simply that (an object without exactly one
/// such string member, an escape in it or in its key, a nested array at the top, an
/// unterminated string): the caller then parses the file, which also says what is wrong with
/// it. Only a string followed by `:` is a key, so a key is told from a value without parsing
/// the values.
fn values<'b>(bytes: &'b [u8], keys: &[&[u8]]) -> Option<Vec<Peeked<'b>>> {
    let mut i = skip_space(bytes, 0);
    if bytes.get(i) != Some(&b'[') {
        return None;
    }
    let (mut arns, mut depth, mut found, mut start) = (Vec::new(), 0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let end = string_end(bytes, i + 1)?;
                let text = &bytes[i + 1..end];
                i = end + 1;
                let colon = skip_space(bytes, i);
                if depth == 2 && keys.contains(&text) && bytes.get(colon) == Some(&b':') {
                    let open = skip_space(bytes, colon + 1);
                    if bytes.get(open) != Some(&b'"') {
                        return None;
                    }
                    let close = string_end(bytes, open + 1)?;
                    let value = &bytes[open + 1..close];
                    if value.contains(&b'\\') {
                        return None;
                    }
                    let arn = std::str::from_utf8(value).ok()?;
                    arns.push(Peeked { arn, object: 0..0 });
                    found += 1;
                    i = close + 1;
                }
            }
            open @ (b'[' | b'{') => {
                depth += 1;
                if depth == 2 {
                    if open != b'{' {
                        return None;
                    }
                    (found, start) = (0, i);
                }
                i += 1;
            }
            b']' | b'}' => {
                if depth == 2 {
                    if found != 1 {
                        return None;
                    }
                    arns.last_mut()?.object = start..i + 1;
                }
                depth = depth.checked_sub(1)?;
                i += 1;
            }
            _ => i += 1,
        }
    }
    (depth == 0).then_some(arns)
}

fn skip_space(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// The index of the quote that ends the string whose text starts at `from`.
fn string_end(bytes: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let at = from + memchr::memchr2(b'"', b'\\', bytes.get(from..)?)?;
        match bytes[at] {
            b'"' => return Some(at),
            _ => from = at + 2, // an escape: the next byte is never the end
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Map, Value};

    /// What serde reads: each object's `ResourceArn`, if every object has one string.
    fn oracle(text: &str) -> Option<Vec<String>> {
        let points: Vec<Map<String, Value>> = serde_json::from_str(text).ok()?;
        let arn = |p: &Map<String, Value>| p.get("ResourceArn")?.as_str().map(str::to_owned);
        points.iter().map(arn).collect()
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(|n| json!(n)),
            "[a-z\"\\\\:{}\\[\\], ]{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((key(), inner), 0..4)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("ResourceArn".to_owned()),
            Just("RecoveryPointArn".to_owned()),
            "[A-Za-z\"]{1,6}",
        ]
    }

    fn point() -> impl Strategy<Value = Value> {
        let arn = "[a-z0-9:/\"\\\\-]{0,24}";
        (
            prop::collection::vec((key(), value()), 0..5),
            arn,
            any::<bool>(),
        )
            .prop_map(|(fields, arn, has)| {
                let mut m: Map<String, Value> = fields.into_iter().collect();
                match has {
                    true => m.insert("ResourceArn".into(), Value::String(arn)),
                    false => m.remove("ResourceArn"),
                };
                Value::Object(m)
            })
    }

    proptest! {
        #[test]
        fn the_peek_finds_what_serde_reads_or_defers_to_it(
            points in prop::collection::vec(point(), 0..6),
            pretty in any::<bool>(),
        ) {
            let text = match pretty {
                true => serde_json::to_string_pretty(&points).unwrap(),
                false => serde_json::to_string(&points).unwrap(),
            };
            let expected = oracle(&text);
            match resource_arns(text.as_bytes()) {
                Some(found) => {
                    // Each object, parsed alone, is the point it stands for.
                    let alone = found.iter().map(|p| {
                        let v: Value = serde_json::from_slice(&text.as_bytes()[p.object.clone()]).unwrap();
                        v["ResourceArn"].as_str().unwrap().to_owned()
                    });
                    prop_assert_eq!(Some(alone.collect()), expected.clone());
                    prop_assert_eq!(Some(found.iter().map(|p| p.arn.to_owned()).collect()), expected);
                }
                // Deferring is right only for what the peek leaves to serde: an escaped ARN,
                // or a point without a string ARN.
                None => prop_assert!(
                    expected.is_none_or(|arns| arns.iter().any(|a| a.contains(['"', '\\'])))
                ),
            }
        }
    }

    #[test]
    fn a_key_is_a_string_followed_by_a_colon_at_the_points_level() {
        let text = br#"[{"Tags": {"ResourceArn": "x"}, "Note": "ResourceArn", "ResourceArn" : "a"},
            {"ResourceArn":"b"}]"#;
        fn arns(t: &[u8]) -> Option<Vec<&str>> {
            resource_arns(t).map(|v| v.iter().map(|p| p.arn).collect())
        }
        assert_eq!(arns(text), Some(vec!["a", "b"]));
        let second = resource_arns(text).unwrap()[1].object.clone();
        assert_eq!(&text[second], br#"{"ResourceArn":"b"}"#);
        assert_eq!(arns(b"[]"), Some(vec![]));
        assert_eq!(resource_arns(br#"[{"ResourceArn": "a\"b"}]"#), None);
        assert_eq!(resource_arns(br#"[{"Other": 1}]"#), None);
        assert_eq!(resource_arns(br#"[{"ResourceArn": "a"}"#), None); // cut
        assert_eq!(resource_arns(br#"{"ResourceArn": "a"}"#), None);
    }

    #[test]
    fn an_item_is_named_by_its_arn_in_either_spelling_serde_reads() {
        let text = br#"[{"arn": "a", "configuration": {"arn": "x"}}, {"ARN": "b"}]"#;
        let arns: Vec<&str> = item_arns(text).unwrap().iter().map(|p| p.arn).collect();
        assert_eq!(arns, ["a", "b"]);
        // Both spellings in one item: serde refuses it, and so the peek defers.
        assert_eq!(item_arns(br#"[{"arn": "a", "ARN": "a"}]"#), None);
        // Config's delivery file is read by serde alone.
        assert_eq!(
            item_arns(br#"{"fileVersion": "1.0", "configurationItems": []}"#),
            None
        );
    }
}
