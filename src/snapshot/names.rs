//! AWS names a rule may scope to or copy to: account IDs and regions. A misspelt one makes
//! a rule judge nothing, which reads as compliance, so each is checked where it is written.

/// The region and account an ARN names, when it names both (an S3 bucket's names neither):
/// where the resource lives. The inventory's check and a streamed scan's skeleton read it
/// alike.
pub fn arn_place(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.split(':').skip(3);
    match (parts.next(), parts.next()) {
        (Some(r), Some(a)) if !r.is_empty() && !a.is_empty() => Some((r, a)),
        _ => None,
    }
}

/// Why `s` is not an AWS account ID (12 digits, leading zeros kept), if it is not.
pub fn account_problem(s: &str) -> Option<String> {
    let ok = s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    (!ok).then(|| format!("account ID {s:?} must be 12 digits"))
}

/// The regions the AWS SDK of this build knows, every partition (its endpoint metadata).
pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-isoe-west-1",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eusc-de-east-1",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isob-west-1",
    "us-isof-east-1",
    "us-isof-south-1",
    "us-west-1",
    "us-west-2",
];

/// The shape of a region name, `^[a-z]{2,4}(-[a-z]+)+-\d+$`: `us-east-1`, `us-gov-west-1`,
/// and the four letters of the European Sovereign Cloud's `eusc-de-east-1`.
fn has_region_shape(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let letters = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    match parts.as_slice() {
        [first, middle @ .., number] if !middle.is_empty() => {
            (2..=4).contains(&first.len())
                && letters(first)
                && middle.iter().all(letters)
                && !number.is_empty()
                && number.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

/// Why `s` cannot be a region name at all, if it cannot. Data names regions this build may
/// not know yet, so this shape is all a snapshot's region must have; it also keeps a region
/// from being a path (`..`, `/`).
pub fn region_shape_problem(s: &str) -> Option<String> {
    (!has_region_shape(s))
        .then(|| format!("unknown region {s:?}: a region name looks like us-east-1"))
}

/// Why `s` is not a region a rule can name, if it is not: a name not shaped like one is
/// "unknown"; a well-shaped one this build does not know gets the nearest known name.
pub fn region_problem(s: &str) -> Option<String> {
    if let Some(p) = region_shape_problem(s) {
        return Some(p);
    }
    if KNOWN_REGIONS.contains(&s) {
        return None;
    }
    let hint = nearest(KNOWN_REGIONS, s, 2)
        .map(|r| format!(" (did you mean {r:?}?)"))
        .unwrap_or_default();
    Some(format!(
        "region {s:?} is not an AWS region this version knows{hint}"
    ))
}

/// The name of `known` nearest to `s`, if at most `max_edits` away: a "did you mean".
pub fn nearest<'k>(known: &[&'k str], s: &str, max_edits: usize) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (strsim::levenshtein(k, s), *k))
        .min()
        .filter(|(d, _)| *d <= max_edits)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_twelve_digits() {
        assert_eq!(account_problem("012345678901"), None);
        for bad in ["12345", "abc", "1234567890123", "12345678901a"] {
            assert!(account_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn every_known_region_has_the_shape() {
        for r in KNOWN_REGIONS {
            assert!(has_region_shape(r), "{r}");
            assert_eq!(region_problem(r), None);
        }
    }

    #[test]
    fn only_a_misshapen_name_is_an_unknown_region() {
        for bad in [
            "US_EAST_1",
            "us-east",
            "useast1",
            "u-east-1",
            "us--1",
            "us-east-1a",
            "",
        ] {
            let m = region_problem(bad).unwrap();
            assert!(m.starts_with("unknown region"), "{bad}: {m}");
        }
        assert_eq!(
            region_problem("us-east-99").unwrap(),
            "region \"us-east-99\" is not an AWS region this version knows \
             (did you mean \"us-east-1\"?)"
        );
    }
}
