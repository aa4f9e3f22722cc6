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
    assert!(opt_in_for(&m, ResourceKind::FsxFileSystem));
    assert!(!opt_in_for(&m, ResourceKind::EbsVolume));
    assert!(!opt_in_for(&m, ResourceKind::S3Bucket));
}
