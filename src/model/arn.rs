//! Amazon Resource Names, read in one place: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
//!
//! An [`Arn`] borrows the text it was read from, so reading one where it is done per resource
//! or per waiver candidate allocates nothing. Reading is structural: the first five colons
//! delimit the fields, and the resource part keeps every colon and slash after them
//! (`cluster:orders`, `role/service-role/r`, `log-group:/aws/x:*`). Fields may be empty (S3
//! bucket ARNs have neither region nor account, IAM ARNs no region) and nothing in them is
//! checked, so the same reading serves the patterns of selections and waivers, whose fields may
//! hold `*`. What a pattern cannot be is read field by field when it matches: AWS's `*` spans
//! colons (`arn:aws:ec2:*` matches every EC2 ARN although it has three fields), so matching
//! stays a glob over the whole text (`selection::glob_match`), and a pattern with fewer than six
//! fields is simply not read as one.

use std::fmt;

/// One ARN (or ARN pattern), borrowed from its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Arn<'a> {
    text: &'a str,
    partition: &'a str,
    service: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Reads `text` as an ARN: `arn`, then five fields separated by colons, the last of which
    /// (the resource) may itself hold colons. None for anything else.
    pub fn parse(text: &'a str) -> Option<Arn<'a>> {
        let (scheme, arn) = Arn::split(text)?;
        (scheme == "arn").then_some(arn)
    }

    /// Reads a pattern as [`Arn::parse`] reads an ARN, but whatever its first field holds: a
    /// `*` there may stand for `arn`, and a selection's pattern has always been classified by
    /// its resource part alone.
    pub fn parse_pattern(text: &'a str) -> Option<Arn<'a>> {
        Arn::split(text).map(|(_, arn)| arn)
    }

    fn split(text: &'a str) -> Option<(&'a str, Arn<'a>)> {
        let mut fields = text.splitn(6, ':');
        let mut next = || fields.next();
        let (scheme, partition, service) = (next()?, next()?, next()?);
        let (region, account, resource) = (next()?, next()?, next()?);
        let arn = Arn {
            text,
            partition,
            service,
            region,
            account,
            resource,
        };
        Some((scheme, arn))
    }

    /// The text the ARN was read from.
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// `aws`, `aws-cn`, `aws-us-gov`.
    pub fn partition(&self) -> &'a str {
        self.partition
    }

    /// `ec2`, `rds`, `s3`, `backup`…
    pub fn service(&self) -> &'a str {
        self.service
    }

    /// Empty for global resources (S3 buckets, IAM).
    pub fn region(&self) -> &'a str {
        self.region
    }

    /// Empty for S3 buckets.
    pub fn account(&self) -> &'a str {
        self.account
    }

    /// Everything after the account: `volume/vol-1`, `db:mydb`, `bucket`.
    pub fn resource(&self) -> &'a str {
        self.resource
    }

    /// What precedes the first `/` or `:` of the resource part (`volume`, `db`, `table`,
    /// `cluster`, `backup-vault`). None when the resource part has neither, and for S3: a
    /// bucket's ARN names no type, and an object's (`bucket/key`) starts with the bucket.
    pub fn resource_type(&self) -> Option<&'a str> {
        self.type_and_id().0
    }

    /// What follows the resource type (`vol-1`, `mydb`, `service-role/r`); the whole resource
    /// part when it has no type (an S3 bucket's name).
    pub fn resource_id(&self) -> &'a str {
        self.type_and_id().1
    }

    fn type_and_id(&self) -> (Option<&'a str>, &'a str) {
        if self.service == "s3" {
            return (None, self.resource);
        }
        match self.resource.find(['/', ':']) {
            Some(i) => (Some(&self.resource[..i]), &self.resource[i + 1..]),
            None => (None, self.resource),
        }
    }
}

impl fmt::Display for Arn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}

/// The partition a region belongs to (`aws-cn`, `aws-us-gov`, else `aws`).
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// (text, its fields `partition|service|region|account|resource`, resource type, id)
    const CASES: &[(&str, &str, Option<&str>, &str)] = &[
        (
            "arn:aws:ec2:us-east-1:111111111111:volume/vol-1",
            "aws|ec2|us-east-1|111111111111|volume/vol-1",
            Some("volume"),
            "vol-1",
        ),
        (
            "arn:aws:rds:eu-west-1:1:db:mydb",
            "aws|rds|eu-west-1|1|db:mydb",
            Some("db"),
            "mydb",
        ),
        (
            "arn:aws:dynamodb:r:1:table/t",
            "aws|dynamodb|r|1|table/t",
            Some("table"),
            "t",
        ),
        (
            "arn:aws:rds:r:1:cluster:c",
            "aws|rds|r|1|cluster:c",
            Some("cluster"),
            "c",
        ),
        // S3: no region, no account, no type.
        ("arn:aws:s3:::orders", "aws|s3|||orders", None, "orders"),
        (
            "arn:aws:s3:::orders/2026/x.csv",
            "aws|s3|||orders/2026/x.csv",
            None,
            "orders/2026/x.csv",
        ),
        // IAM: global, so no region; the id keeps its path.
        (
            "arn:aws:iam::111111111111:role/service-role/Backup",
            "aws|iam||111111111111|role/service-role/Backup",
            Some("role"),
            "service-role/Backup",
        ),
        // The resource part keeps every colon after the fifth.
        (
            "arn:aws-cn:logs:cn-north-1:1:log-group:/aws/x:*",
            "aws-cn|logs|cn-north-1|1|log-group:/aws/x:*",
            Some("log-group"),
            "/aws/x:*",
        ),
        (
            "arn:aws:sns:r:1:alerts",
            "aws|sns|r|1|alerts",
            None,
            "alerts",
        ),
        // A pattern reads the same way.
        (
            "arn:aws:ec2:*:*:volume/*",
            "aws|ec2|*|*|volume/*",
            Some("volume"),
            "*",
        ),
    ];

    #[test]
    fn every_field_is_read_where_aws_puts_it() {
        for (text, fields, ty, id) in CASES {
            let arn = Arn::parse(text).unwrap_or_else(|| panic!("{text} should parse"));
            let got = [
                arn.partition(),
                arn.service(),
                arn.region(),
                arn.account(),
                arn.resource(),
            ];
            assert_eq!(got.join("|"), *fields, "{text}");
            let split = (arn.resource_type(), arn.resource_id());
            assert_eq!(split, (*ty, *id), "{text}");
            assert_eq!(arn.to_string(), *text);
        }
    }

    #[test]
    fn text_without_six_fields_or_the_arn_scheme_is_no_arn() {
        for text in ["", "arn", "arn:*", "arn:aws:ec2:*", "arn:aws:s3::", "vol-1"] {
            assert_eq!(Arn::parse(text), None, "{text}");
            assert_eq!(Arn::parse_pattern(text), None, "{text}");
        }
        assert_eq!(Arn::parse("ARN:aws:s3:::b"), None);
        assert_eq!(Arn::parse("*:aws:ec2:*:*:volume/*"), None);
        let pattern = Arn::parse_pattern("*:aws:ec2:*:*:volume/*").unwrap();
        assert_eq!(pattern.resource(), "volume/*");
    }

    fn field() -> impl Strategy<Value = String> {
        "[a-z0-9*/-]{0,12}"
    }

    proptest! {
        /// Parsing then printing gives the text back; the fields reassemble into it; and no
        /// field but the resource part holds a colon.
        #[test]
        fn parsing_round_trips(
            fields in proptest::array::uniform4(field()),
            resource in "[a-z0-9*:/-]{0,24}",
        ) {
            let text = format!("arn:{}:{resource}", fields.join(":"));
            let arn = Arn::parse(&text).expect("six fields after arn");
            prop_assert_eq!(arn.to_string(), text.clone());
            let [p, s, r, a] = [arn.partition(), arn.service(), arn.region(), arn.account()];
            prop_assert_eq!(format!("arn:{p}:{s}:{r}:{a}:{}", arn.resource()), text.clone());
            prop_assert!([p, s, r, a].iter().all(|f| !f.contains(':')));
            prop_assert_eq!(arn.resource(), resource.as_str());
            let joined = match arn.resource_type() {
                Some(t) => format!("{t}{}{}", &arn.resource()[t.len()..=t.len()], arn.resource_id()),
                None => arn.resource_id().to_owned(),
            };
            prop_assert_eq!(joined, resource);
        }

        /// Any text at all: whatever parses reassembles into the text it came from.
        #[test]
        fn any_text_that_parses_reassembles(text in "[a-z:/*]{0,30}") {
            if let Some(arn) = Arn::parse_pattern(&text) {
                let [p, s, r, a] = [arn.partition(), arn.service(), arn.region(), arn.account()];
                prop_assert!([p, s, r, a].iter().all(|f| !f.contains(':')));
                let fields = format!("{p}:{s}:{r}:{a}:{}", arn.resource());
                prop_assert_eq!(text.split_once(':').map(|(_, rest)| rest), Some(fields.as_str()));
                prop_assert_eq!(arn.to_string(), text);
            }
        }
    }
}
