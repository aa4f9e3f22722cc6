//! Config items arrive in several shapes, all AWS's own: `SelectResourceConfig` rows hold
//! `configuration` as an object; `GetResourceConfigHistory`, `BatchGetResourceConfig` and
//! Config rule events hold it (and each `supplementaryConfiguration` value) as a JSON string;
//! Config's snapshot files delivered to S3 wrap the items in `{fileVersion, configurationItems}`.

use super::aws::ConfigItem;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// The items of `resources.json`: a JSON array of them, or Config's own snapshot (or
/// history) file `{"fileVersion": …, "configurationItems": [...]}`, used as delivered.
pub struct ConfigItems(pub Vec<ConfigItem>);

/// The member of Config's delivery files that holds the items.
pub const DELIVERY_ITEMS: &str = "configurationItems";

impl<'de> Deserialize<'de> for ConfigItems {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ConfigItems;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    "a JSON array of Config items, or a Config snapshot file \
                     {{\"fileVersion\", \"{DELIVERY_ITEMS}\": [...]}}"
                )
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ConfigItems, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(i) = seq.next_element()? {
                    items.push(i);
                }
                Ok(ConfigItems(items))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ConfigItems, A::Error> {
                let mut items = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == DELIVERY_ITEMS {
                        items = Some(map.next_value()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                items.map(ConfigItems).ok_or_else(|| {
                    de::Error::custom(format!(
                        "an object without \"{DELIVERY_ITEMS}\", so not a Config snapshot file"
                    ))
                })
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: &str) -> Result<ConfigItem, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn configuration_as_a_json_string_is_parsed() {
        let i = item(
            r#"{"resourceType": "AWS::EC2::Volume", "ARN": "arn:v", "awsAccountId": "1",
                "configuration": "{\"encrypted\": true, \"attachments\": [{\"instanceId\": \"i-1\"}]}",
                "supplementaryConfiguration": {"BucketVersioningConfiguration": "{\"status\":\"Enabled\"}"}}"#,
        )
        .unwrap();
        assert_eq!(i.arn, "arn:v");
        assert_eq!(i.account_id.as_deref(), Some("1"));
        assert_eq!(i.configuration.encrypted, Some(true));
        assert_eq!(i.configuration.attachments[0].instance_id, "i-1");
        assert_eq!(
            i.supplementary_configuration.bucket_versioning_status(),
            Some("Enabled")
        );
        // The whole supplementary configuration as one string, and as objects: the same.
        let whole = item(
            r#"{"resourceType": "t", "arn": "a", "configuration": null,
                "supplementaryConfiguration": "{\"BucketVersioningConfiguration\": {\"status\": \"Off\"}}"}"#,
        )
        .unwrap();
        assert_eq!(
            whole.supplementary_configuration.bucket_versioning_status(),
            Some("Off")
        );
    }

    #[test]
    fn a_broken_configuration_string_says_where_inside_it() {
        let e = item(r#"{"resourceType": "t", "arn": "a", "configuration": "{\"encrypted\": 1}"}"#)
            .unwrap_err();
        assert!(
            e.starts_with(
                "invalid type: integer `1`, expected a boolean (at line 1 column 15 inside this \
                 JSON string)"
            ),
            "{e}"
        );
        let e = item(r#"{"resourceType": "t", "arn": "a", "configuration": "{\"encrypted\""}"#)
            .unwrap_err();
        assert!(
            e.starts_with(
                "EOF while parsing an object (at line 1 column 12 inside this JSON string)"
            ),
            "{e}"
        );
        let e = item(r#"{"resourceType": "t", "arn": "a", "configuration": 5}"#).unwrap_err();
        assert!(
            e.contains("expected an object, or a JSON string of one"),
            "{e}"
        );
    }

    #[test]
    fn a_config_snapshot_file_is_read_as_its_items() {
        let read = |j: &str| serde_json::from_str::<ConfigItems>(j).map(|c| c.0.len());
        let file = r#"{"fileVersion": "1.0", "configSnapshotId": "x",
            "configurationItems": [{"resourceType": "t", "ARN": "a"}]}"#;
        assert_eq!(read(file).unwrap(), 1);
        assert_eq!(read(r#"[{"resourceType": "t", "arn": "a"}]"#).unwrap(), 1);
        let e = read(r#"{"Results": []}"#).unwrap_err().to_string();
        assert!(e.contains("not a Config snapshot file"), "{e}");
    }
}
