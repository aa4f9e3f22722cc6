use super::*;

#[test]
fn glob_star_spans_any_characters() {
    assert!(glob_match(
        "arn:aws:ec2:*",
        "arn:aws:ec2:us-east-1:111:volume/vol-1"
    ));
    assert!(glob_match(
        "arn:aws:ec2:*:*:volume/*",
        "arn:aws:ec2:us-east-1:111:volume/vol-1"
    ));
    assert!(!glob_match(
        "arn:aws:ec2:*:*:volume/*",
        "arn:aws:ec2:us-east-1:111:instance/i-1"
    ));
    assert!(glob_match("*", ""));
    assert!(!glob_match("abc", "abcd"));
    assert!(glob_match("a*c*e", "abcde"));
}

#[test]
fn string_like_star_does_not_cross_whitespace() {
    assert!(like_match("prod*", "prod_server"));
    assert!(!like_match("prod*", "prod server"));
    assert!(like_match("prod *", "prod server"));
    assert!(like_match("*rod*", "production"));
    assert!(!like_match("*", "daily run"));
    assert!(like_match("*", ""));
}

#[test]
fn patterns_are_classified_for_opt_in() {
    assert_eq!(classify("*"), PatternKind::All);
    assert_eq!(classify("arn:aws:ec2:*"), PatternKind::Service);
    assert_eq!(classify("arn:aws:s3:::*"), PatternKind::Service);
    assert_eq!(
        classify("arn:aws:ec2:*:*:volume/*"),
        PatternKind::ResourceType
    );
    assert_eq!(classify("arn:aws:rds:*:*:db:*"), PatternKind::ResourceType);
    assert_eq!(
        classify("arn:aws:s3:::my-bucket-*"),
        PatternKind::ResourceType
    );
    assert_eq!(
        classify("arn:aws:rds:us-east-1:111111111111:db:orders"),
        PatternKind::ResourceType
    );
    assert_eq!(classify("arn:aws:s3:::*-logs"), PatternKind::Unsupported);
}

#[test]
fn missing_opt_in_entry_counts_as_not_opted_in() {
    let mut m = std::collections::BTreeMap::new();
    m.insert("FSX".to_owned(), true);
    m.insert("EBS".to_owned(), false);
    assert_eq!(opt_in_for(&m, ResourceKind::FsxFileSystem), Some(true));
    assert_eq!(opt_in_for(&m, ResourceKind::EbsVolume), Some(false));
    assert_eq!(opt_in_for(&m, ResourceKind::S3Bucket), Some(false));
    assert_eq!(opt_in_for(&m, ResourceKind::TimestreamTable), Some(false));
}

/// The reference cannot say whether `EKS` is a region opt-in key: a region without it is
/// unknown for EKS, while one that names it decides.
#[test]
fn missing_eks_opt_in_entry_is_unknown() {
    let mut m = std::collections::BTreeMap::new();
    m.insert("EBS".to_owned(), true);
    assert_eq!(opt_in_for(&m, ResourceKind::EksCluster), None);
    m.insert("EKS".to_owned(), false);
    assert_eq!(opt_in_for(&m, ResourceKind::EksCluster), Some(false));
    m.insert("EKS".to_owned(), true);
    assert_eq!(opt_in_for(&m, ResourceKind::EksCluster), Some(true));
    let spaced = std::collections::BTreeMap::from([("Redshift Serverless".to_owned(), true)]);
    assert_eq!(
        opt_in_for(&spaced, ResourceKind::RedshiftServerlessNamespace),
        Some(true)
    );
}

/// Brute-force oracle: try every split of the text for each `*`.
fn oracle(p: &[u8], t: &[u8], star_may_eat: &dyn Fn(u8) -> bool) -> bool {
    match p.split_first() {
        None => t.is_empty(),
        Some((b'*', rest)) => (0..=t.len())
            .take_while(|&i| i == 0 || star_may_eat(t[i - 1]))
            .any(|i| oracle(rest, &t[i..], star_may_eat)),
        Some((c, rest)) => t.first() == Some(c) && oracle(rest, &t[1..], star_may_eat),
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    #[test]
    fn glob_agrees_with_brute_force(p in "[a*: ]{0,8}", t in "[a: ]{0,10}") {
        proptest::prop_assert_eq!(glob_match(&p, &t), oracle(p.as_bytes(), t.as_bytes(), &|_| true));
    }

    #[test]
    fn string_like_agrees_with_brute_force(p in "[ab* ]{0,8}", t in "[ab ]{0,10}") {
        let no_ws = |b: u8| !b.is_ascii_whitespace();
        proptest::prop_assert_eq!(like_match(&p, &t), oracle(p.as_bytes(), t.as_bytes(), &no_ws));
    }
}
