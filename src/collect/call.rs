//! How every AWS call is made: bounded concurrency, counted, with the AWS error kept.
//!
//! The SDK's own standard retry (exponential backoff with jitter) handles throttling and
//! transient errors; what is left when retries are exhausted becomes an [`ApiError`] that the
//! scope records in the manifest. An `ExpiredToken` answer (credentials revoked or expired
//! early) refreshes the assumed-role credentials once and repeats the call.

use super::progress::Stats;
use aws_credential_types::provider::{self, error::CredentialsError, ProvideCredentials};
use aws_credential_types::Credentials;
use aws_sdk_backup::config::http::HttpResponse;
use aws_sdk_backup::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_backup::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use std::error::Error as _;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{Mutex, Semaphore};

/// An AWS API failure as the manifest records it: `Code: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: Option<String>,
    pub message: String,
}

impl ApiError {
    /// Names the operation and the HTTP status, so a manifest's error says which call failed
    /// and how; an answer that is not an AWS error (a proxy's page, a truncated body) also
    /// shows the start of what came back.
    pub fn from_sdk<E>(e: &SdkError<E, HttpResponse>) -> ApiError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let op = operation_name::<E>();
        match e {
            SdkError::ServiceError(s) if s.err().code().is_some() => ApiError {
                code: s.err().code().map(str::to_string),
                message: format!(
                    "{} ({op}, HTTP {})",
                    s.err()
                        .message()
                        .map_or_else(|| cause_chain(s.err()), str::to_string),
                    s.raw().status().as_u16()
                ),
            },
            SdkError::ServiceError(s) => unreadable(&op, s.raw(), s.err()),
            SdkError::ResponseError(r) => unreadable(&op, r.raw(), e),
            // The SDK's timeout errors do not say what timed out, and a file's error must.
            other if is_timeout(other) => ApiError {
                code: None,
                message: format!(
                    "{op} timed out: {}",
                    other
                        .source()
                        .map_or_else(|| cause_chain(other), cause_chain)
                ),
            },
            other => ApiError {
                code: None,
                message: cause_chain(other),
            },
        }
    }

    pub fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    fn is_expired_token(&self) -> bool {
        matches!(
            self.code.as_deref(),
            Some("ExpiredToken" | "ExpiredTokenException" | "RequestExpired")
        )
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(c) => write!(f, "{c}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ApiError {}

/// The most of an answer's body an error quotes: enough to recognise it, never a whole page.
const EXCERPT_CHARS: usize = 200;

/// An answer the SDK could not read as the operation's output or as an AWS error.
fn unreadable(op: &str, raw: &HttpResponse, why: &dyn std::error::Error) -> ApiError {
    let body = raw.body().bytes().unwrap_or_default();
    let excerpt = if body.is_empty() {
        "an empty body".to_string()
    } else {
        format!("\"{}\"", excerpt(&String::from_utf8_lossy(body)))
    };
    ApiError {
        code: None,
        message: format!(
            "{op} answered HTTP {} with what is not an AWS answer ({}): {excerpt}",
            raw.status().as_u16(),
            cause_chain(why)
        ),
    }
}

/// The first [`EXCERPT_CHARS`] characters of `text`, control characters escaped.
fn excerpt(text: &str) -> String {
    let mut cut: String = text.chars().take(EXCERPT_CHARS).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    crate::terminal::escape(&cut).into_owned()
}

/// An attempt or the whole operation ran out of time (`--api-timeout`), or connecting did.
fn is_timeout<E, R>(e: &SdkError<E, R>) -> bool {
    match e {
        SdkError::TimeoutError(_) => true,
        SdkError::DispatchFailure(d) => d.is_timeout(),
        _ => false,
    }
}

/// The IAM name of the operation whose error type is `E`, e.g. `backup:ListBackupPlans` for
/// `aws_sdk_backup::operation::list_backup_plans::ListBackupPlansError`: each SDK crate is
/// named after the IAM service prefix and each operation's error after the operation. (A test
/// checks every name against [`super::OPERATIONS`].)
pub fn operation_name<E>() -> String {
    let path = std::any::type_name::<E>();
    let service = path
        .split("::")
        .next()
        .and_then(|c| c.strip_prefix("aws_sdk_"))
        .unwrap_or("aws");
    let op = path.rsplit("::").next().unwrap_or(path);
    format!("{service}:{}", op.strip_suffix("Error").unwrap_or(op))
}

/// An error and its causes on one line, `outer: inner: innermost`. (The SDK's
/// `DisplayErrorContext` walks the same chain but appends a Debug dump of the whole error,
/// dozens of lines of connector internals, which is not for users.) A cause whose text is
/// already shown, as some wrappers repeat their source's, is left out.
pub fn cause_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !text.is_empty() && !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

/// Concurrency limits shared by every scope.
pub struct Limits {
    pub global: Semaphore,
    pub per_scope: usize,
}

/// What one account-region's calls share: its own concurrency budget and its credentials.
pub struct Caller {
    pub limits: Arc<Limits>,
    pub local: Semaphore,
    pub role: Option<Arc<AssumedRole>>,
    pub stats: Arc<Stats>,
}

impl Caller {
    pub fn new(limits: Arc<Limits>, role: Option<Arc<AssumedRole>>, stats: Arc<Stats>) -> Caller {
        let local = Semaphore::new(limits.per_scope);
        Caller {
            limits,
            local,
            role,
            stats,
        }
    }

    /// Makes one API call (the SDK retries inside it) under both concurrency limits.
    pub async fn call<T, E, F, Fut>(&self, f: F) -> Result<T, ApiError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        // The scope's own budget first, so a busy scope never holds a global slot waiting.
        let _local = self.local.acquire().await.expect("semaphore never closed");
        let _global = self
            .limits
            .global
            .acquire()
            .await
            .expect("semaphore never closed");
        let started = Instant::now();
        self.stats.call();
        let err = match f().await {
            Ok(v) => return Ok(v),
            Err(e) => ApiError::from_sdk(&e),
        };
        match &self.role {
            Some(role) if err.is_expired_token() => {
                role.invalidate_if_issued_before(started).await;
                self.stats.call();
                f().await.map_err(|e| ApiError::from_sdk(&e))
            }
            _ => Err(err),
        }
    }

    /// Calls a paged List/Select operation until its last page. `page` makes the request for
    /// a token; `split` takes a response apart into its items and the next token.
    pub async fn all_pages<T, O, E, F, Fut, S>(&self, page: F, split: S) -> Result<Vec<T>, ApiError>
    where
        F: Fn(Option<String>) -> Fut,
        Fut: Future<Output = Result<O, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
        S: Fn(O) -> (Vec<T>, Option<String>),
    {
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self.call(|| page(token.clone())).await?;
            let (mut batch, next) = split(out);
            items.append(&mut batch);
            match next {
                // Some APIs answer the last page with an empty token rather than none.
                Some(t) if !t.is_empty() => token = Some(t),
                _ => return Ok(items),
            }
        }
    }
}

/// Credentials of a member account, from STS `AssumeRole`, refreshed before they expire.
#[derive(Debug)]
pub struct AssumedRole {
    sts: aws_sdk_sts::Client,
    pub role_arn: String,
    external_id: Option<String>,
    cached: Mutex<Option<(Credentials, Instant)>>,
    stats: Arc<Stats>,
}

/// Refresh this long before expiry, so no call is signed with credentials about to lapse.
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);
pub const SESSION_NAME: &str = "backup-auditor";

impl AssumedRole {
    pub fn new(
        sts: aws_sdk_sts::Client,
        role_arn: String,
        external_id: Option<String>,
        stats: Arc<Stats>,
    ) -> AssumedRole {
        AssumedRole {
            sts,
            role_arn,
            external_id,
            cached: Mutex::new(None),
            stats,
        }
    }

    pub async fn credentials(&self) -> Result<Credentials, ApiError> {
        let mut cached = self.cached.lock().await;
        if let Some((c, _)) = cached.as_ref() {
            let fresh = c
                .expiry()
                .is_none_or(|e| e > SystemTime::now() + REFRESH_MARGIN);
            if fresh {
                return Ok(c.clone());
            }
        }
        self.stats.call();
        let out = self
            .sts
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(SESSION_NAME)
            .set_external_id(self.external_id.clone())
            .send()
            .await
            .map_err(|e| ApiError::from_sdk(&e))?;
        let k = out.credentials.ok_or_else(|| ApiError {
            code: None,
            message: "AssumeRole returned no credentials".into(),
        })?;
        let expiry = SystemTime::try_from(k.expiration).ok();
        let creds = Credentials::new(
            k.access_key_id,
            k.secret_access_key,
            Some(k.session_token),
            expiry,
            "backup-auditor AssumeRole",
        );
        *cached = Some((creds.clone(), Instant::now()));
        Ok(creds)
    }

    /// Forgets credentials that a service rejected as expired, unless another call has
    /// already replaced them.
    async fn invalidate_if_issued_before(&self, t: Instant) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|(_, issued)| *issued <= t) {
            *cached = None;
        }
    }
}

impl ProvideCredentials for AssumedRole {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(async move {
            self.credentials()
                .await
                .map_err(CredentialsError::provider_error)
        })
    }
}

/// Counts HTTP attempts (first tries and retries) and records which operations were called.
#[derive(Debug)]
pub struct Observe(pub Arc<Stats>);

impl Intercept for Observe {
    fn name(&self) -> &'static str {
        "backup-auditor-observe"
    }

    fn read_before_attempt(
        &self,
        _ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let op = cfg
            .load::<Metadata>()
            .map(|m| format!("{}:{}", m.service(), m.name()));
        self.0.attempt(op);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::operation_name;

    #[test]
    fn operation_names_are_the_iam_actions_the_collector_declares() {
        use aws_sdk_backup::operation::list_backup_plans::ListBackupPlansError;
        use aws_sdk_config::operation::select_resource_config::SelectResourceConfigError;
        use aws_sdk_storagegateway::operation::list_tags_for_resource::ListTagsForResourceError;
        use aws_sdk_sts::operation::assume_role::AssumeRoleError;
        let names = [
            operation_name::<ListBackupPlansError>(),
            operation_name::<AssumeRoleError>(),
            operation_name::<ListTagsForResourceError>(),
            operation_name::<SelectResourceConfigError>(),
        ];
        assert_eq!(
            names,
            [
                "backup:ListBackupPlans",
                "sts:AssumeRole",
                "storagegateway:ListTagsForResource",
                "config:SelectResourceConfig"
            ]
        );
        for n in &names {
            assert!(super::super::OPERATIONS.contains(&n.as_str()), "{n}");
        }
    }
}
