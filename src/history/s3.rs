//! A history under an S3 prefix (`s3://bucket/prefix`), where Athena reads it. Credentials,
//! region and endpoint come the AWS way, as for the collector (environment, profile, SSO,
//! instance roles; `AWS_ENDPOINT_URL` redirects the calls, to MinIO or moto for instance).
//!
//! S3 has no rename, but a PUT is atomic: an object appears whole or not at all, so the
//! record, written last, is still the commit point. The lock is an object created only if
//! none exists (`If-None-Match: *`), removed when the writer is done.

use super::storage::{Body, Storage};
use crate::error::{Error, Result};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::runtime::Runtime;

pub struct S3 {
    client: Client,
    bucket: String,
    /// Without a trailing `/`; empty for the bucket's root.
    prefix: String,
    rt: Arc<Runtime>,
}

/// The lock object, in the history's root.
const LOCK_KEY: &str = ".backup-auditor.lock";

impl S3 {
    /// The history at `url` (`s3://bucket/prefix`).
    pub fn open(url: &str) -> Result<S3> {
        let rest = url.strip_prefix("s3://").unwrap_or(url);
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(Error::Usage(format!(
                "{url}: an S3 history is s3://BUCKET or s3://BUCKET/PREFIX"
            )));
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| Error::Usage(format!("{url}: cannot start the S3 client: {e}")))?;
        let conf = rt.block_on(aws_config::defaults(aws_config::BehaviorVersion::latest()).load());
        if conf.region().is_none() {
            return Err(Error::Usage(format!(
                "{url}: no region: set AWS_REGION or use a profile with a region"
            )));
        }
        // A local S3 (moto, MinIO) is addressed by path, not by a bucket host name.
        let path_style = conf.endpoint_url().is_some();
        let s3_conf = aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(path_style)
            .build();
        Ok(S3 {
            client: Client::from_conf(s3_conf),
            bucket: bucket.to_string(),
            prefix: prefix.trim_end_matches('/').to_string(),
            rt: Arc::new(rt),
        })
    }

    fn object(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}/{key}", self.prefix)
        }
    }
}

/// An SDK error with its whole chain of causes (the service's message is in there).
fn sdk_error(e: impl std::error::Error + Send + Sync + 'static) -> io::Error {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    io::Error::other(text)
}

impl Storage for S3 {
    fn locate(&self, key: &str) -> PathBuf {
        PathBuf::from(format!("s3://{}/{}", self.bucket, self.object(key)))
    }

    fn list(&self, prefix: &str) -> io::Result<Vec<String>> {
        let full = self.object(prefix);
        let strip = full.len() - prefix.len();
        self.rt.block_on(async {
            let mut keys = Vec::new();
            let mut token = None;
            loop {
                let page = self
                    .client
                    .list_objects_v2()
                    .bucket(&self.bucket)
                    .prefix(&full)
                    .set_continuation_token(token)
                    .send()
                    .await
                    .map_err(sdk_error)?;
                let objects = page.contents();
                keys.extend(
                    objects
                        .iter()
                        .filter_map(|o| Some(o.key()?[strip..].to_string())),
                );
                token = page.next_continuation_token().map(str::to_string);
                if token.is_none() {
                    return Ok(keys);
                }
            }
        })
    }

    fn get(&self, key: &str) -> io::Result<Option<Vec<u8>>> {
        self.rt.block_on(async {
            let got = self
                .client
                .get_object()
                .bucket(&self.bucket)
                .key(self.object(key))
                .send()
                .await;
            match got {
                Ok(o) => {
                    let body = o.body.collect().await.map_err(sdk_error)?;
                    Ok(Some(body.into_bytes().to_vec()))
                }
                Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
                Err(e) => Err(sdk_error(e)),
            }
        })
    }

    fn put(&self, key: &str, body: Body) -> io::Result<()> {
        let mut bytes = Vec::new();
        body(&mut bytes)?;
        self.rt.block_on(async {
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(self.object(key))
                .body(ByteStream::from(bytes))
                .send()
                .await
                .map(|_| ())
                .map_err(sdk_error)
        })
    }

    fn delete(&self, key: &str) -> io::Result<()> {
        self.rt.block_on(async {
            self.client
                .delete_object()
                .bucket(&self.bucket)
                .key(self.object(key))
                .send()
                .await
                .map(|_| ())
                .map_err(sdk_error)
        })
    }

    fn lock(&self, holder: &str) -> Result<Box<dyn Send>> {
        let key = self.object(LOCK_KEY);
        let me = format!("pid {}, run {holder}", std::process::id());
        let put = self.rt.block_on(
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(&key)
                .if_none_match("*")
                .body(ByteStream::from(me.into_bytes()))
                .send(),
        );
        let url = self.locate(LOCK_KEY);
        match put {
            Ok(_) => Ok(Box::new(S3Lock {
                client: self.client.clone(),
                bucket: self.bucket.clone(),
                key,
                rt: self.rt.clone(),
            })),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 412) => {
                let who = self.get(LOCK_KEY).ok().flatten().unwrap_or_default();
                Err(Error::Usage(format!(
                    "the history s3://{}/{} is being written by another backup-auditor run \
                     ({}; lock object {}): wait for it to end, or remove the lock object if \
                     that run was killed",
                    self.bucket,
                    self.prefix,
                    String::from_utf8_lossy(&who).trim(),
                    url.display()
                )))
            }
            Err(e) => Err(Error::io("lock", &url, sdk_error(e))),
        }
    }
}

/// The held lock: its object is removed when the guard is dropped.
struct S3Lock {
    client: Client,
    bucket: String,
    key: String,
    rt: Arc<Runtime>,
}

impl Drop for S3Lock {
    fn drop(&mut self) {
        let delete = self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .send();
        let _ = self.rt.block_on(delete);
    }
}
