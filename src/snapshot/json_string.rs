//! Fields AWS sends either as JSON or as a JSON string holding it: a Config item's
//! `configuration` and `supplementaryConfiguration` (an object in `SelectResourceConfig` rows, a
//! string in `GetResourceConfigHistory`, `BatchGetResourceConfig` and Config rule events).

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

/// An object read in place, or a JSON string holding one (parsed), or null (the default).
pub fn object_or_string<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned + Default,
{
    struct V<T>(PhantomData<T>);
    impl<'de, T: DeserializeOwned + Default> Visitor<'de> for V<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(
                "an object, or a JSON string of one (as GetResourceConfigHistory and \
                 BatchGetResourceConfig return it), or null",
            )
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(de::value::MapAccessDeserializer::new(map))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            serde_json::from_str(v).map_err(|e| {
                let mut msg = e.to_string();
                if let Some(i) = msg.rfind(" at line ") {
                    msg.truncate(i);
                }
                E::custom(format!(
                    "{msg} (at line {} column {} inside this JSON string)",
                    e.line(),
                    e.column()
                ))
            })
        }

        fn visit_unit<E: de::Error>(self) -> Result<T, E> {
            Ok(T::default())
        }

        fn visit_none<E: de::Error>(self) -> Result<T, E> {
            Ok(T::default())
        }
    }
    d.deserialize_any(V(PhantomData))
}

/// `supplementaryConfiguration`: name → value, each value parsed when it is a JSON string
/// (`GetResourceConfigHistory` sends `"BucketVersioningConfiguration": "{\"status\":…}"`).
/// Kept as data: no verdict reads it yet.
#[derive(Debug, Clone, Default)]
pub struct Supplementary(pub BTreeMap<String, Value>);

impl<'de> Deserialize<'de> for Supplementary {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map: BTreeMap<String, Value> = object_or_string(d)?;
        let parsed = map
            .into_iter()
            .map(|(k, v)| match v {
                // A string that is not JSON is kept as the string it is.
                Value::String(s) if s.trim_start().starts_with(['{', '[']) => {
                    (k, serde_json::from_str(&s).unwrap_or(Value::String(s)))
                }
                v => (k, v),
            })
            .collect();
        Ok(Supplementary(parsed))
    }
}

impl Supplementary {
    /// An S3 bucket's versioning status (`Off`, `Enabled`, `Suspended`), as Config records it.
    pub fn bucket_versioning_status(&self) -> Option<&str> {
        self.0
            .get("BucketVersioningConfiguration")?
            .get("status")?
            .as_str()
    }
}
