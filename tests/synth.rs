//! The synthetic organisation generator's output, pinned byte for byte.
//!
//! `synth` promises that its output is a pure function of `SynthOptions`, and benchmarks compare
//! timings across versions on the organisations it writes: a change to its bytes silently
//! changes every benchmark's input. These cases cover every option and every branch of what it
//! generates (checked below, so a case cannot quietly stop covering something); each is pinned
//! by a digest of every file's path, size and bytes, recorded from the generator as it was.
//! A deliberate change to the output must re-record them and say so.

use backup_auditor::synth::{self, SynthOptions, SynthStats};
use chrono::{TimeZone, Utc};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// FNV-1a, 64 bits: tiny, stable across Rust versions and platforms, unlike `DefaultHasher`.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// Every file under `dir`, by relative path with `/` separators, in sorted order.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let (mut out, mut stack) = (BTreeMap::new(), vec![dir.to_path_buf()]);
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap();
                let name: Vec<_> = rel.iter().map(|c| c.to_string_lossy()).collect();
                out.insert(name.join("/"), fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// What a case must reproduce: the statistics `generate` returns, and every file.
#[derive(PartialEq, Eq)]
struct Pinned {
    stats: SynthStats,
    files: usize,
    digest: u64,
}

/// As the cases spell it, so that a deliberate change can be re-recorded by copying.
impl std::fmt::Debug for Pinned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.stats;
        write!(
            f,
            "expect(stats({}, {}, {}, {}, {}), {}, {:#018x})",
            s.scopes,
            s.resources,
            s.recovery_points,
            s.plans,
            s.bytes_written,
            self.files,
            self.digest
        )
    }
}

fn pin(stats: SynthStats, files: &BTreeMap<String, Vec<u8>>) -> Pinned {
    let mut h = Fnv::new();
    for (path, bytes) in files {
        h.write(path.as_bytes());
        h.write(&[0]);
        h.write(&(bytes.len() as u64).to_le_bytes());
        h.write(bytes);
    }
    Pinned {
        stats,
        files: files.len(),
        digest: h.0,
    }
}

fn options(
    accounts: usize,
    regions: &[&str],
    per_scope: usize,
    points: usize,
    seed: u64,
) -> SynthOptions {
    SynthOptions {
        accounts,
        regions: regions.iter().map(|r| r.to_string()).collect(),
        resources_per_scope: per_scope,
        recovery_points_per_resource: points,
        seed,
        collected_at: Utc.with_ymd_and_hms(2026, 11, 27, 5, 0, 0).unwrap(),
    }
}

/// The cases: what each one is there for, its options, and what it must reproduce.
fn cases() -> Vec<(&'static str, SynthOptions, Pinned)> {
    let stats = |scopes, resources, recovery_points, plans, bytes_written| SynthStats {
        scopes,
        resources,
        recovery_points,
        plans,
        bytes_written,
    };
    let expect = |stats, files, digest| Pinned {
        stats,
        files,
        digest,
    };
    let mut cases = vec![
        // Only the central account, one region: no cross-region or cross-account copies; one
        // recovery point per resource on average.
        (
            "central account alone",
            options(1, &["us-east-1"], 40, 1, 1),
            expect(stats(1, 40, 11, 3, 47120), 13, 0xbf0a010269c65fb6),
        ),
        // Three accounts in regions of every timezone branch (us, eu, ap), a larger scope.
        (
            "three accounts, three continents",
            options(
                3,
                &["us-east-1", "eu-west-1", "ap-southeast-2"],
                120,
                3,
                0x5EED_2026,
            ),
            expect(stats(9, 1080, 1837, 31, 2826259), 93, 0x8686429b01d6e620),
        ),
        // Scopes too small for a cluster or an instance's volumes; no recovery points at all;
        // another `collected_at`.
        (
            "tiny scopes without recovery points",
            SynthOptions {
                collected_at: Utc.with_ymd_and_hms(2025, 2, 28, 23, 59, 59).unwrap(),
                ..options(2, &["eu-central-1", "us-west-2"], 5, 0, 99)
            },
            expect(stats(4, 20, 0, 15, 49664), 43, 0xc3700989322851d5),
        ),
        // Many recovery points per resource.
        (
            "deep history",
            options(2, &["us-west-2", "eu-west-1"], 60, 7, 4242),
            expect(stats(4, 240, 918, 13, 1198256), 43, 0x4413dd98e3408471),
        ),
    ];
    // What `backup-auditor synth --resources 2000` writes (the CLI's default seed is 1).
    let mut cli = SynthOptions::for_total_resources(2_000);
    cli.seed = 1;
    cases.push((
        "the CLI's sizing",
        cli,
        expect(stats(20, 2000, 3417, 69, 5257137), 203, 0xd4f48e4117573c06),
    ));
    cases
}

/// Strings whose presence shows the cases reach every branch of the generator: every Config
/// resource type, every vault kind and lock, every plan, selection, timezone, copy, and
/// recovery-point kind and status.
const COVERED: &[&str] = &[
    "\"resourceType\":\"AWS::EC2::Instance\"",
    "\"resourceType\":\"AWS::EC2::Volume\"",
    "\"resourceType\":\"AWS::RDS::DBInstance\"",
    "\"resourceType\":\"AWS::RDS::DBCluster\"",
    "\"resourceType\":\"AWS::DynamoDB::Table\"",
    "\"resourceType\":\"AWS::S3::Bucket\"",
    "\"resourceType\":\"AWS::EFS::FileSystem\"",
    "\"resourceType\":\"AWS::FSx::FileSystem\"",
    "\"resourceType\":\"AWS::Redshift::Cluster\"",
    "\"resourceType\":\"AWS::StorageGateway::Volume\"",
    "\"engine\":\"docdb\"",
    "\"engine\":\"neptune\"",
    "-scratch\"",
    "table/tmp-",
    "\"stopped\"",
    "\"value\":\"sandbox\"",
    "\"BackupVaultName\":\"compliance-locked\"",
    "\"BackupVaultName\":\"central-archive\"",
    "\"MinRetentionDays\":1,",
    "\"LockDate\"",
    "\"CUSTOMER_MANAGED_KMS_KEY\"",
    "DenyRecoveryPointDeletion",
    "\"Sid\\\":\\\"DenyDelete\\\"",
    "AllowOrgCopy",
    "\"legacy-ec2-",
    "\"legacy-explicit\"",
    "Europe/London",
    "Australia/Sydney",
    "America/New_York",
    "\"DestinationBackupVaultArn\"",
    ":backup-vault:central-archive\"",
    "\"Lifecycle\":{\"DeleteAfterDays\":35}}]",
    "recovery-point:continuous:",
    "::snapshot/snap-",
    "::image/ami-",
    ":snapshot:awsbackup:job-",
    ":cluster-snapshot:awsbackup:job-",
    ":backup/backup-",
    "/awsbackup:job-",
    "\"Status\":\"COMPLETED\"",
    "\"Status\":\"PARTIAL\"",
    "\"Status\":\"EXPIRED\"",
    "\"Status\":\"DELETING\"",
    "\"Status\":\"AVAILABLE\"",
    "\"Status\":\"STOPPED\"",
    "\"EncryptionKeyArn\":",
    "\"BucketVersioningConfiguration\":{\"isMfaDeleteEnabled\":null,\"status\":\"Enabled\"}",
    "\"isCrossAccountBackupEnabled\": \"true\"",
];

#[test]
fn output_is_pinned_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut all, mut failures) = (Vec::new(), Vec::new());
    for (i, (what, opts, expected)) in cases().into_iter().enumerate() {
        let out: PathBuf = tmp.path().join(format!("case-{i}"));
        let stats = synth::generate(&opts, &out).unwrap_or_else(|e| panic!("{what}: {e}"));
        let files = files(&out);
        let got = pin(stats, &files);
        if got != expected {
            failures.push(format!(
                "{what}:\n  expected {expected:?}\n  got      {got:?}"
            ));
        }
        all.extend(files.into_values().flatten());
    }
    let text = String::from_utf8(all).unwrap();
    let missing: Vec<_> = COVERED.iter().filter(|s| !text.contains(*s)).collect();
    assert!(missing.is_empty(), "the cases no longer cover {missing:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
