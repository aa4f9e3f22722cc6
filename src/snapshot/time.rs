//! Timestamps as the AWS CLI prints them (ISO-8601 strings) or as the wire protocol sends them
//! (epoch seconds, possibly fractional). Both appear in real snapshots.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::de::{self, Deserializer, Visitor};
use std::fmt;

pub type Timestamp = DateTime<Utc>;

struct TimestampVisitor;

impl Visitor<'_> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an ISO-8601 timestamp string or epoch seconds")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Timestamp, E> {
        let t = parse_timestamp(v).ok_or_else(|| E::custom(refusal(v)))?;
        if !plausible(t.timestamp() as f64) {
            return Err(E::custom(format!(
                "timestamp {v:?} is not a plausible AWS time: {}",
                PLAUSIBLE
            )));
        }
        Ok(t)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Timestamp, E> {
        if !plausible(v) {
            return Err(E::custom(implausible_epoch(v)));
        }
        from_epoch(v).ok_or_else(|| E::custom(format!("epoch seconds {v} out of range")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Timestamp, E> {
        self.visit_f64(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Timestamp, E> {
        self.visit_f64(v as f64)
    }
}

/// A snapshot's times are AWS's: none before 2000 (AWS Backup dates from 2019) and none from
/// 2200 on (retention is at most 100 years). Outside, the number was misread, most often
/// epoch milliseconds written where AWS writes seconds, which would read as the year 58872.
const EARLIEST: f64 = 946_684_800.0; // 2000-01-01T00:00:00Z
const LATEST: f64 = 7_258_118_400.0; // 2200-01-01T00:00:00Z
const PLAUSIBLE: &str = "AWS times lie between 2000 and 2199";

fn plausible(secs: f64) -> bool {
    (EARLIEST..LATEST).contains(&secs)
}

/// Why epoch seconds `v` are refused, saying so when they look like milliseconds.
fn implausible_epoch(v: f64) -> String {
    if plausible(v / 1000.0) {
        let as_secs = from_epoch(v / 1000.0).map_or_else(String::new, |t| {
            format!(
                " ({} seconds would be {})",
                show(v / 1000.0),
                t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
            )
        });
        format!(
            "epoch seconds {} looks like milliseconds{as_secs}: {PLAUSIBLE}",
            show(v)
        )
    } else {
        format!(
            "epoch seconds {} is not a plausible AWS time: {PLAUSIBLE}",
            show(v)
        )
    }
}

/// A number as written, without the hundreds of digits `{}` gives a huge `f64`.
fn show(v: f64) -> String {
    if v.abs() < 1e15 {
        v.to_string()
    } else {
        format!("{v:e}")
    }
}

fn from_epoch(secs: f64) -> Option<Timestamp> {
    if !secs.is_finite() {
        return None;
    }
    let whole = secs.floor();
    let nanos = ((secs - whole) * 1e9).round() as u32;
    Utc.timestamp_opt(whole as i64, nanos.min(999_999_999))
        .single()
}

/// Parses RFC 3339 (`2026-11-26T05:12:44.123000+00:00`, `...Z`, `... 05:12:44Z`).
///
/// A time without an offset is refused, whether written `2026-11-26T05:12:44` or
/// `2026-11-26 05:12:44`: AWS writes neither (the CLI prints `+00:00`, Config's delivery files
/// `Z`, the wire epoch seconds), so such a time was rewritten by some tool, quite possibly into
/// local time. Read as UTC it could be hours off, enough to turn a fresh recovery point into a
/// stale one or back; the user who knows the zone can add it, the auditor cannot guess it.
/// A time as every output writes it: RFC 3339 in UTC, to the second (`2026-11-27T05:00:00Z`).
pub fn rfc3339(t: Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Why `v` is not a timestamp, saying so when only its offset is missing.
fn refusal(v: &str) -> String {
    let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .any(|f| NaiveDateTime::parse_from_str(v, f).is_ok());
    if naive {
        format!(
            "timestamp {v:?} has no UTC offset: AWS always writes one, so this time was \
             rewritten and may be local; add its offset (e.g. {}Z for UTC)",
            v.replacen(' ', "T", 1)
        )
    } else {
        format!("invalid timestamp {v:?}")
    }
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    d.deserialize_any(TimestampVisitor)
}

pub mod option {
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        struct OptVisitor;
        impl<'de> Visitor<'de> for OptVisitor {
            type Value = Option<Timestamp>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO-8601 timestamp string, epoch seconds or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
                super::deserialize(d).map(Some)
            }
        }
        d.deserialize_option(OptVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_and_wire_forms_agree() {
        let cli = parse_timestamp("2026-11-26T05:12:44.500000+00:00").unwrap();
        let wire = from_epoch(1_795_669_964.5).unwrap();
        assert_eq!(cli, wire);
        assert!(parse_timestamp("yesterday").is_none());
    }

    /// One rule for both offset-less forms (#17 §3): refused, with the reason and the fix.
    #[test]
    fn times_without_an_offset_are_refused_in_either_form() {
        for v in [
            "2022-09-09T14:04:52",
            "2022-09-09 14:04:52",
            "2022-09-09T14:04:52.5",
        ] {
            let e = read(&format!("{v:?}")).unwrap_err();
            assert!(
                e.starts_with(&format!("timestamp {v:?} has no UTC offset")),
                "{v}: {e}"
            );
            assert!(e.contains("2022-09-09T14:04:52"), "{e}");
        }
        assert_eq!(
            read("\"2022-09-09 14:04:52Z\"").unwrap(),
            read("\"2022-09-09T14:04:52+00:00\"").unwrap()
        );
        assert!(read("\"09/09/2022\"")
            .unwrap_err()
            .starts_with("invalid timestamp"));
    }

    fn read(json: &str) -> Result<Timestamp, String> {
        deserialize(&mut serde_json::Deserializer::from_str(json)).map_err(|e| e.to_string())
    }

    #[test]
    fn epoch_milliseconds_are_refused_as_such() {
        assert_eq!(
            read("1795669964").unwrap(),
            read("\"2026-11-26T05:12:44Z\"").unwrap()
        );
        let e = read("1795669964500").unwrap_err();
        assert!(
            e.starts_with(
                "epoch seconds 1795669964500 looks like milliseconds (1795669964.5 seconds \
                 would be 2026-11-26T05:12:44.500Z): AWS times lie between 2000 and 2199"
            ),
            "{e}"
        );
    }

    #[test]
    fn times_outside_the_plausible_range_are_refused() {
        for (json, start) in [
            ("0", "epoch seconds 0 is not a plausible AWS time"),
            ("-5", "epoch seconds -5 is not a plausible AWS time"),
            ("1e300", "epoch seconds 1e300 is not a plausible AWS time"),
            (
                "\"1970-01-01T00:00:00Z\"",
                "timestamp \"1970-01-01T00:00:00Z\" is not a plausible AWS time",
            ),
            (
                "\"2200-01-01T00:00:00Z\"",
                "timestamp \"2200-01-01T00:00:00Z\" is not a plausible AWS time",
            ),
        ] {
            let e = read(json).unwrap_err();
            assert!(e.starts_with(start), "{json}: {e}");
        }
        assert!(read("\"2199-12-31T23:59:59Z\"").is_ok());
        assert!(read("946684800").is_ok());
    }
}
