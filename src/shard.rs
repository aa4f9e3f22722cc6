//! Shards: a stable, balanced share of an organisation's accounts, so that N machines (ECS
//! tasks, AWS Batch array jobs, a CI matrix) collect and judge one share each
//! (`collect --shard I/N`, `scan --shard I/N`) and `merge` puts their outputs together.
//!
//! An account belongs to shard `1 + (h mod N)`, where `h` is the first eight bytes (big
//! endian) of the SHA-256 of its twelve-digit id: the same account always lands in the same
//! shard, whatever else the organisation holds, on every machine and in every version.

use crate::digest::sha256;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Shard `index` of `count` (1-based, as people and array jobs count them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shard {
    index: u32,
    count: u32,
}

/// At most this many shards: beyond it every shard of a typical organisation is a handful
/// of accounts, and a mistyped `1/10000` is more likely than a need.
pub const MAX_SHARDS: u32 = 1024;

impl Shard {
    pub fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 || count > MAX_SHARDS {
            return Err(format!(
                "the number of shards must be between 1 and {MAX_SHARDS}, not {count}"
            ));
        }
        if index == 0 || index > count {
            return Err(format!(
                "shard {index} of {count} does not exist: shards are numbered 1 to {count}"
            ));
        }
        Ok(Shard { index, count })
    }

    pub fn index(self) -> u32 {
        self.index
    }

    pub fn count(self) -> u32 {
        self.count
    }

    /// The shard `account_id` belongs to, out of `count`.
    pub fn of(account_id: &str, count: u32) -> u32 {
        let d = sha256(account_id.as_bytes());
        let h = u64::from_be_bytes(d[..8].try_into().expect("eight bytes"));
        (h % u64::from(count.max(1))) as u32 + 1
    }

    /// Whether this shard judges (or collects) `account_id`.
    pub fn owns(self, account_id: &str) -> bool {
        Shard::of(account_id, self.count) == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("{s:?} is not a shard: write I/N, e.g. 2/4 for the second of four");
        let (i, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let number = |t: &str| t.trim().parse::<u32>().map_err(|_| bad());
        Shard::new(number(i)?, number(n)?)
    }
}

impl Serialize for Shard {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Shard {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Shard, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_people_write_and_refuses_the_rest() {
        assert_eq!("2/4".parse::<Shard>().unwrap(), Shard::new(2, 4).unwrap());
        assert_eq!(" 1 / 1 ".parse::<Shard>().unwrap().to_string(), "1/1");
        for bad in ["0/4", "5/4", "1/0", "4", "a/b", "1/2/3", "-1/4", "1/2000"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad} accepted");
        }
        assert!("5/4"
            .parse::<Shard>()
            .unwrap_err()
            .contains("numbered 1 to 4"));
    }

    #[test]
    fn every_account_has_exactly_one_shard() {
        for n in 1..=8 {
            for a in 0..200u64 {
                let account = format!("{:012}", 100_000_000_000 + a * 7_919);
                let owners = (1..=n)
                    .filter(|&i| Shard::new(i, n).unwrap().owns(&account))
                    .count();
                assert_eq!(owners, 1, "{account} in {owners} of {n} shards");
            }
        }
    }

    #[test]
    fn shares_are_stable_and_balanced() {
        // Fixed forever: a shard's accounts must not move between versions.
        assert_eq!(Shard::of("111111111111", 4), Shard::of("111111111111", 4));
        let pinned: Vec<u32> = ["111111111111", "222222222222", "333333333333"]
            .iter()
            .map(|a| Shard::of(a, 4))
            .collect();
        assert_eq!(pinned, PINNED);
        let mut sizes = [0usize; 4];
        for a in 0..4_000u64 {
            sizes[Shard::of(&format!("{:012}", 200_000_000_000 + a), 4) as usize - 1] += 1;
        }
        for s in sizes {
            assert!((900..=1_100).contains(&s), "unbalanced shares: {sizes:?}");
        }
    }

    // Computed independently (Python hashlib) when the scheme was chosen.
    const PINNED: [u32; 3] = [3, 4, 1];
}
