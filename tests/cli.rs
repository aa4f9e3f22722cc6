use crate::util::*;

#[test]
fn scan_of_sample_writes_outputs_and_exits_0_without_fail_on() {
    let out = tempfile::tempdir().unwrap();
    let o = run(
        &[
            "scan",
            sample().to_str().unwrap(),
            "--out",
            out.path().to_str().unwrap(),
        ],
        &root(),
    );
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    for f in ["findings.csv", "summary.csv", "findings.json"] {
        assert!(out.path().join(f).is_file(), "{f} missing");
    }
    let text = stdout(&o);
    assert!(text.contains("NOT ASSESSED"), "{text}");
    assert!(
        text.contains("444444444444 (sandbox) us-east-1 [failed]"),
        "{text}"
    );
}
