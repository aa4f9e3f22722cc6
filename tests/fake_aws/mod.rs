//! A local fake AWS that serves a snapshot directory through the wire protocols the SDK
//! speaks: Backup, Account, EFS and EKS (restJson1), Config, Organizations, Storage Gateway,
//! FSx and KMS (awsJson1_1), DynamoDB (awsJson1_0), STS, IAM, RDS and Redshift (awsQuery,
//! XML), EC2 (ec2Query), S3 (restXml, path-style). It routes by the
//! signed request's access key (each `AssumeRole` hands out a key of its own per account) and
//! by the region and service of the SigV4 credential scope, pages every list, and can inject
//! faults.
//!
//! What the snapshot's manifest says failed is served as failing: an account whose scope
//! failed denies `AssumeRole` with the recorded message; a file listed as unreadable answers
//! with the recorded error code on every attempt.

mod direct;
mod http;
mod iam;
mod kms;
mod orgs;
pub mod protocols;
mod restore;
mod s3;
mod snapshot;

use protocols::{Reply, Request};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use snapshot::Served;

/// The account the base credentials belong to (the organisation's management account).
pub const MANAGEMENT: &str = "999999999999";
pub const BASE_KEY: &str = "AKIDFAKEMANAGEMENT";

#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Added to every request.
    pub latency: Duration,
    /// Every n-th request (counted over the whole server) answers ThrottlingException.
    pub throttle_every: Option<u64>,
    /// Requests number `start .. start + len` answer 503 ServiceUnavailable.
    pub burst_5xx: Option<(u64, u64)>,
    /// Accounts whose role cannot be assumed (besides those the manifest says failed).
    pub deny_assume_role: BTreeSet<String>,
    /// The first Backup request signed for this account gets ExpiredTokenException, as when
    /// credentials expire mid-scan; later ones (with fresh credentials) succeed.
    pub expire_once: Option<String>,
    /// Account-regions whose Config recorder is stopped.
    pub recorder_off: BTreeSet<(String, String)>,
    /// Account-regions whose Config recorder records every type but these (a recording
    /// group listing the others): Select returns none of their items.
    pub not_recorded: BTreeMap<(String, String), Vec<String>>,
    /// `service:Operation`s denied everywhere, as by an SCP (AccessDeniedException).
    pub denied: BTreeSet<String>,
    /// `service:Operation`s answered with [`GARBAGE`] (not JSON) and this HTTP status.
    pub garbage: BTreeMap<String, u16>,
}

/// What a proxy or a broken endpoint might answer: not JSON, a terminal escape in it, and
/// longer than any error should quote.
pub const GARBAGE: &str = "The service is unavailable\u{1b}[31m in this region. <html>";

/// The server runs until the test process ends (its threads hold no test resources).
pub struct FakeAws {
    pub url: String,
    state: Arc<State>,
}

pub struct State {
    pub served: Served,
    pub faults: Faults,
    pub page_size: usize,
    requests: AtomicU64,
    connections: Arc<AtomicU64>,
    /// Issued access key → account.
    keys: Mutex<BTreeMap<String, String>>,
    expired_sent: Mutex<bool>,
    /// `service:Operation` → number of requests.
    pub calls: Mutex<BTreeMap<String, u64>>,
}

impl FakeAws {
    /// Small pages (2 items), so every paginator is exercised on the sample.
    pub fn start(snapshot: &Path, faults: Faults) -> FakeAws {
        FakeAws::start_sized(snapshot, faults, 2)
    }

    /// Every connection gets its own thread, so latency overlaps as it does against AWS.
    pub fn start_sized(snapshot: &Path, faults: Faults, page_size: usize) -> FakeAws {
        let served = Served::load(snapshot);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let mut keys = BTreeMap::new();
        keys.insert(BASE_KEY.to_string(), MANAGEMENT.to_string());
        let state = Arc::new(State {
            served,
            faults,
            page_size,
            requests: AtomicU64::new(0),
            connections: Arc::new(AtomicU64::new(0)),
            keys: Mutex::new(keys),
            expired_sent: Mutex::new(false),
            calls: Mutex::new(BTreeMap::new()),
        });
        let (shared, connections) = (state.clone(), state.connections.clone());
        std::thread::spawn(move || {
            http::serve_forever(listener, connections, move |req| serve(&shared, req))
        });
        FakeAws { url, state }
    }

    /// Requests per `service:Operation`.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.state.calls.lock().unwrap().clone()
    }

    pub fn total_requests(&self) -> u64 {
        self.state.requests.load(Relaxed)
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.state.connections.load(Relaxed)
    }

    /// Environment for a `backup-auditor` process pointed at this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.url.clone()),
            ("AWS_ACCESS_KEY_ID", BASE_KEY.into()),
            ("AWS_SECRET_ACCESS_KEY", "fake-secret".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_CONFIG_FILE", "/dev/null".into()),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }
}

fn serve(state: &State, req: http::HttpRequest) -> http::HttpResponse {
    let n = state.requests.fetch_add(1, Relaxed) + 1;
    let what = format!("{} {}", req.method, req.url);
    let parsed = Request::parse(req);
    if !state.faults.latency.is_zero() {
        std::thread::sleep(state.faults.latency);
    }
    let reply = match parsed {
        Some(r) => {
            *state
                .calls
                .lock()
                .unwrap()
                .entry(format!("{}:{}", r.service, r.operation))
                .or_default() += 1;
            injected(state, &r, n).unwrap_or_else(|| handle(state, &r))
        }
        None => Reply::status(400, &format!("the fake cannot parse {what}")),
    };
    reply.into_response()
}

fn injected(state: &State, r: &Request, n: u64) -> Option<Reply> {
    let f = &state.faults;
    if r.service == "sts" {
        return None; // STS is regional infrastructure the tests keep healthy
    }
    if f.throttle_every.is_some_and(|k| n.is_multiple_of(k)) {
        return Some(r.error(400, "ThrottlingException", "Rate exceeded"));
    }
    if f.burst_5xx
        .is_some_and(|(start, len)| n >= start && n < start + len)
    {
        return Some(r.error(503, "ServiceUnavailableException", "Service unavailable"));
    }
    let op = format!("{}:{}", r.service, r.operation);
    if f.denied.contains(&op) {
        return Some(r.error(
            400,
            "AccessDeniedException",
            &format!("{op} is denied by a service control policy"),
        ));
    }
    if let Some(&status) = f.garbage.get(&op) {
        return Some(Reply::status(
            status,
            &format!("{GARBAGE}{}", "x".repeat(500)),
        ));
    }
    if let (Some(acct), "backup") = (&f.expire_once, r.service.as_str()) {
        if state.account_of(&r.access_key).as_deref() == Some(acct.as_str()) {
            let mut sent = state.expired_sent.lock().unwrap();
            if !*sent {
                *sent = true;
                return Some(r.error(
                    400,
                    "ExpiredTokenException",
                    "The security token included in the request is expired",
                ));
            }
        }
    }
    None
}

impl State {
    pub fn account_of(&self, key: &str) -> Option<String> {
        self.keys.lock().unwrap().get(key).cloned()
    }

    fn issue_key(&self, account: &str) -> String {
        let mut keys = self.keys.lock().unwrap();
        let key = format!("ASIAFAKE{account}N{}", keys.len());
        keys.insert(key.clone(), account.to_string());
        key
    }
}

fn handle(state: &State, r: &Request) -> Reply {
    let Some(account) = state.account_of(&r.access_key) else {
        return r.error(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid",
        );
    };
    match r.service.as_str() {
        "sts" => protocols::sts(state, r, &account),
        "organizations" => protocols::organizations(state, r, &account),
        "account" => protocols::account(state, r, &account),
        "backup" => protocols::backup(state, r, &account),
        "config" => protocols::config(state, r, &account),
        "storagegateway" => protocols::storage_gateway(state, r, &account),
        "fsx" => protocols::fsx(state, r, &account),
        "efs" => protocols::efs(state, r, &account),
        "ec2" => direct::ec2(state, r, &account),
        "rds" => direct::rds(state, r, &account),
        "redshift" => direct::redshift(state, r, &account),
        "dynamodb" => direct::dynamodb(state, r, &account),
        "eks" => direct::eks(state, r, &account),
        "iam" => iam::iam(state, r, &account),
        "kms" => kms::kms(state, r, &account),
        "s3" => s3::s3(state, r, &account),
        other => r.error(
            400,
            "UnknownService",
            &format!("the fake does not speak {other}"),
        ),
    }
}
