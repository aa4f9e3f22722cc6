//! `--security-hub`: each ASFF finding imported into its own account and Region
//! (`BatchImportFindings`, 100 at a time), through the credentials and roles of collection. A
//! finding the tool imported before and that no longer fails is updated to PASSED and
//! archived, so the console shows what is still open; one whose subject is gone from an
//! account-region read completely is archived too. Nothing is dropped silently: each finding
//! Security Hub refuses, and each account-region it could not reach, is reported.

use crate::collect::{AssumedRole, CollectOptions, Stats};
use crate::error::{Error, Result};
use crate::report::asff::{self, AsffFinding};
use aws_config::{Region, SdkConfig};
use aws_sdk_securityhub::types::{
    self as sh, AwsSecurityFinding, AwsSecurityFindingFilters, StringFilter, StringFilterComparison,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A finding Security Hub refused, as it said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub id: String,
    pub code: String,
    pub message: String,
}

/// What the import did.
#[derive(Debug, Default)]
pub struct Delivery {
    /// Findings Security Hub accepted (those archived included).
    pub imported: usize,
    /// Of them, findings archived: PASSED now, or gone from an account-region read completely.
    pub archived: usize,
    pub refused: Vec<Refused>,
    /// Account-regions not reached, or reached only in part: (account, region, why).
    pub unreachable: Vec<(String, String, String)>,
}

impl Delivery {
    pub fn complete(&self) -> bool {
        self.refused.is_empty() && self.unreachable.is_empty()
    }
}

/// Imports `findings`; `complete` names the account-regions read completely (only there is a
/// finding that is gone a resolved one), `now` is the time archived findings are updated at.
pub fn import(
    opts: &CollectOptions,
    findings: Vec<AsffFinding>,
    complete: &BTreeSet<(String, String)>,
    now: &str,
) -> Result<Delivery> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(run(opts, findings, complete, now))
}

async fn run(
    opts: &CollectOptions,
    findings: Vec<AsffFinding>,
    complete: &BTreeSet<(String, String)>,
    now: &str,
) -> Result<Delivery> {
    let base = crate::collect::load_config(opts).await;
    crate::collect::check_credentials(base.credentials_provider().as_ref()).await?;
    let sts = aws_sdk_sts::Client::new(&with_region(&base, "us-east-1"));
    let who = sts.get_caller_identity().send().await.map_err(|e| {
        Error::Usage(format!(
            "cannot identify the caller (sts:GetCallerIdentity): {}",
            crate::collect::ApiError::from_sdk(&e)
        ))
    })?;
    let caller = who.account.unwrap_or_default();
    let partition = who
        .arn
        .as_deref()
        .and_then(crate::model::Arn::parse)
        .map_or("aws".to_owned(), |a| a.partition().to_owned());
    let mut groups: BTreeMap<(String, String), Vec<AsffFinding>> = BTreeMap::new();
    for f in findings {
        groups
            .entry((f.aws_account_id.clone(), f.region.clone()))
            .or_default()
            .push(f);
    }
    if groups.keys().any(|(a, _)| *a != caller) && opts.role.is_none() {
        return Err(Error::Usage(
            "importing into other accounts' Security Hub needs --role-name or \
             --role-arn-template (each account's findings go in with that account's role)"
                .into(),
        ));
    }
    let stats = Arc::new(Stats::default());
    let mut delivery = Delivery::default();
    for ((account, region), mine) in groups {
        let mut conf =
            aws_sdk_securityhub::config::Builder::from(&base).region(Region::new(region.clone()));
        if let Some(role) = opts.role.as_ref().filter(|_| account != caller) {
            let role_arn = role.arn(&partition, &account);
            let role = AssumedRole::new(
                sts.clone(),
                role_arn,
                opts.external_id.clone(),
                stats.clone(),
            );
            conf = conf.credentials_provider(role);
        }
        let client = aws_sdk_securityhub::Client::from_conf(conf.build());
        let read = complete.contains(&(account.clone(), region.clone()));
        if let Err(why) = deliver(&client, mine, read, now, &mut delivery).await {
            delivery.unreachable.push((account, region, why));
        }
    }
    Ok(delivery)
}

fn with_region(base: &SdkConfig, fallback: &'static str) -> SdkConfig {
    match base.region() {
        Some(_) => base.clone(),
        None => base
            .to_builder()
            .region(Region::from_static(fallback))
            .build(),
    }
}

/// One account-region: what is open there now, and what the tool imported before that is
/// resolved. If Security Hub cannot say what is open, the findings still go in; nothing is
/// archived, and the account-region is named.
async fn deliver(
    client: &aws_sdk_securityhub::Client,
    mine: Vec<AsffFinding>,
    read_completely: bool,
    now: &str,
    d: &mut Delivery,
) -> std::result::Result<(), String> {
    let Some(product) = mine.first().map(|f| f.product_arn.clone()) else {
        return Ok(());
    };
    let (active, unread) = match active_findings(client, &product).await {
        Ok(a) => (a, None),
        Err(why) => (BTreeMap::new(), Some(why)),
    };
    let rules: BTreeSet<&str> = mine.iter().map(|f| f.generator_id.as_str()).collect();
    let current: BTreeSet<&str> = mine.iter().map(|f| f.id.as_str()).collect();
    // Security Hub holds a later judgement (a newer scan's): this older one does not undo it.
    let newer = |id: &str| {
        active
            .get(id)
            .and_then(|f| f.updated_at.as_deref())
            .is_some_and(|t| later(t, now))
    };
    let mut send: Vec<(AwsSecurityFinding, bool)> = Vec::new();
    for f in mine.iter().filter(|f| !newer(&f.id)) {
        let archiving = f.record_state == "ARCHIVED";
        // A PASS goes in only to close a finding Security Hub still shows as open.
        if !archiving || active.contains_key(&f.id) {
            send.push((to_sdk(f), archiving));
        }
    }
    if read_completely {
        // Gone from an account-region read completely, and judged by a rule this scan has.
        let gone = active.iter().filter(|(id, g)| {
            !current.contains(id.as_str())
                && g.generator_id.as_deref().is_some_and(|r| rules.contains(r))
                && !newer(id)
        });
        for (_, g) in gone {
            let mut g = g.clone();
            g.record_state = Some(sh::RecordState::Archived);
            g.updated_at = Some(now.to_owned());
            let fields = g.product_fields.get_or_insert_with(Default::default);
            if fields.len() < asff::limits::PRODUCT_FIELDS {
                fields.insert(
                    "backup-auditor/ArchivedBecause".into(),
                    "no longer judged: its subject is gone from an account-region read \
                     completely, or the rule no longer applies to it"
                        .into(),
                );
            }
            send.push((g, true));
        }
    }
    for batch in send.chunks(asff::limits::PER_CALL) {
        let out = client
            .batch_import_findings()
            .set_findings(Some(batch.iter().map(|(f, _)| f.clone()).collect()))
            .send()
            .await
            .map_err(|e| {
                format!(
                    "securityhub:BatchImportFindings: {} (its findings and the rest of this \
                     account-region's were not imported)",
                    crate::collect::ApiError::from_sdk(&e)
                )
            })?;
        let refused: Vec<Refused> = out
            .failed_findings()
            .iter()
            .map(|r| Refused {
                id: r.id().unwrap_or_default().to_owned(),
                code: r.error_code().unwrap_or_default().to_owned(),
                message: r.error_message().unwrap_or_default().to_owned(),
            })
            .collect();
        let no: BTreeSet<&str> = refused.iter().map(|r| r.id.as_str()).collect();
        for (f, archiving) in batch {
            if !no.contains(f.id.as_deref().unwrap_or_default()) {
                d.imported += 1;
                d.archived += usize::from(*archiving);
            }
        }
        d.refused.extend(refused);
    }
    match unread {
        Some(why) => Err(format!("{why}; the findings went in, none was archived")),
        None => Ok(()),
    }
}

/// Whether RFC 3339 time `a` is later than `b` (unreadable: not later).
fn later(a: &str, b: &str) -> bool {
    let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
    matches!((t(a), t(b)), (Some(a), Some(b)) if a > b)
}

/// The findings of `product` the tool imported and Security Hub still shows as open, by Id.
/// (The filters are asked of Security Hub and checked again here: a partial implementation
/// that ignored one would otherwise archive another product's findings.)
async fn active_findings(
    client: &aws_sdk_securityhub::Client,
    product: &str,
) -> std::result::Result<BTreeMap<String, AwsSecurityFinding>, String> {
    let text =
        |v: &str, c: StringFilterComparison| StringFilter::builder().value(v).comparison(c).build();
    let filters = AwsSecurityFindingFilters::builder()
        .product_arn(text(product, StringFilterComparison::Equals))
        .id(text(asff::ID_PREFIX, StringFilterComparison::Prefix))
        .record_state(text("ACTIVE", StringFilterComparison::Equals))
        .build();
    let mut pages = client
        .get_findings()
        .filters(filters)
        .max_results(100)
        .into_paginator()
        .send();
    let mut found = BTreeMap::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            format!(
                "securityhub:GetFindings: {}",
                crate::collect::ApiError::from_sdk(&e)
            )
        })?;
        for f in page.findings() {
            let ours = f.product_arn.as_deref() == Some(product)
                && f.id
                    .as_deref()
                    .is_some_and(|i| i.starts_with(asff::ID_PREFIX))
                && f.record_state != Some(sh::RecordState::Archived);
            if let (true, Some(id)) = (ours, f.id.clone()) {
                found.insert(id, f.clone());
            }
        }
    }
    Ok(found)
}

/// The SDK's finding for one ASFF finding.
fn to_sdk(f: &AsffFinding) -> AwsSecurityFinding {
    let r = &f.remediation.recommendation;
    let mut b = AwsSecurityFinding::builder()
        .schema_version(f.schema_version)
        .id(&f.id)
        .product_arn(&f.product_arn)
        .generator_id(&f.generator_id)
        .aws_account_id(&f.aws_account_id)
        .region(&f.region)
        .created_at(&f.created_at)
        .updated_at(&f.updated_at)
        .severity(
            sh::Severity::builder()
                .label(sh::SeverityLabel::from(f.severity.label))
                .build(),
        )
        .title(&f.title)
        .description(&f.description)
        .remediation(
            sh::Remediation::builder()
                .recommendation(
                    sh::Recommendation::builder()
                        .text(&r.text)
                        .set_url(r.url.clone())
                        .build(),
                )
                .build(),
        )
        .set_product_fields(Some(f.product_fields.clone().into_iter().collect()))
        .compliance(
            sh::Compliance::builder()
                .status(sh::ComplianceStatus::from(f.compliance.status))
                .set_related_requirements(Some(f.compliance.related_requirements.clone()))
                .build(),
        )
        .workflow(
            sh::Workflow::builder()
                .status(sh::WorkflowStatus::from(f.workflow.status))
                .build(),
        )
        .record_state(sh::RecordState::from(f.record_state));
    for t in &f.types {
        b = b.types(*t);
    }
    for r in &f.resources {
        b = b.resources(
            sh::Resource::builder()
                .r#type(r.kind)
                .id(&r.id)
                .partition(sh::Partition::from(r.partition))
                .region(&r.region)
                .build(),
        );
    }
    if let Some(n) = &f.note {
        b = b.note(
            sh::Note::builder()
                .text(&n.text)
                .updated_by(&n.updated_by)
                .updated_at(&n.updated_at)
                .build(),
        );
    }
    b.build()
}
