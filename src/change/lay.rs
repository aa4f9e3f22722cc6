//! One planned change laid over its account-region's records: a judged resource, a backup
//! plan or a backup selection, each as AWS would then describe it.

use super::records::{self, At};
use super::terraform::{Action, ResourceChange};
use super::{text, Overlay};
use crate::error::{Error, Result};
use crate::snapshot::{aws, ScopeData};
use serde_json::Value;
use std::collections::BTreeMap;

pub(super) struct Laying<'a> {
    pub c: &'a ResourceChange,
    pub at: At<'a>,
    /// Every planned resource's ARN or plan id (see `identities`).
    pub ids: &'a BTreeMap<String, String>,
    /// The snapshot's time: a lock's grace time counts from it.
    pub now: crate::snapshot::time::Timestamp,
    /// The ids of the backup plans the change creates (standing in until apply).
    pub new_plans: &'a [String],
}

impl Laying<'_> {
    pub fn lay(&self, data: &mut ScopeData, o: &mut Overlay) -> Result<()> {
        let c = self.c;
        if let Some(j) = records::judged(&c.kind) {
            self.resource(&j, data, o)
        } else if c.kind == "aws_backup_plan" {
            self.plan(data, o)
        } else if c.kind == "aws_s3_bucket_versioning" {
            self.versioning(data, o)
        } else if c.kind == "aws_volume_attachment" {
            self.attachment(data, o)
        } else if c.kind.ends_with("_vault") {
            self.vault(data, o)
        } else if c.kind == "aws_backup_vault_lock_configuration" {
            self.vault_lock(data, o)
        } else if c.kind == "aws_backup_vault_policy" {
            self.vault_policy(data, o)
        } else if c.kind == "aws_backup_region_settings" {
            self.region_settings(data, o)
        } else {
            self.selection(data, o)
        }
    }

    fn before_id(&self) -> Option<String> {
        self.c
            .before
            .as_ref()
            .and_then(|b| text(b, "id"))
            .map(str::to_owned)
    }

    /// Something every resource of the account-region depends on is known only after apply.
    pub(super) fn undecidable_scope(&self, o: &mut Overlay, why: String) {
        let key = (self.at.account.to_owned(), self.at.region.to_owned());
        o.undecidable_scopes.entry(key).or_insert(why);
    }

    fn resource(&self, j: &records::Judged, data: &mut ScopeData, o: &mut Overlay) -> Result<()> {
        let c = self.c;
        let old = c.before.as_ref().map(|b| j.arn(b, &self.at));
        let tags_unknown = c.is_unknown("tags_all") || c.is_unknown("tags");
        let unknown_tags = || format!("its tags are known only after apply ({})", c.address);
        // An update changes what Terraform changes: the snapshot's item keeps what the plan
        // does not describe (a volume's attachments), and takes the plan's tags.
        let existing = old
            .as_ref()
            .filter(|_| c.action == Action::Update)
            .and_then(|old| data.resources.iter_mut().find(|i| &i.arn == old));
        if let (Some(item), Some(after)) = (existing, &c.after) {
            if tags_unknown {
                o.undecidable.insert(item.arn.clone(), unknown_tags());
            } else {
                item.tags = aws::Tags(records::tags_of(after));
            }
            return Ok(());
        }
        if let Some(old) = &old {
            data.resources.retain(|i| &i.arn != old);
            if c.action == Action::Replace {
                data.recovery_points.retain(|p| &p.resource_arn != old);
                o.notes.push(format!(
                    "{}: replaced, so it is a new resource: its recovery points and any \
                     selection that names its old ARN no longer count",
                    c.address
                ));
            }
        }
        if let Some(after) = &c.after {
            let item = j.item(&c.kind, after, &self.at);
            if c.action == Action::Create {
                o.created
                    .insert(item["arn"].as_str().unwrap_or_default().to_owned());
            }
            if tags_unknown {
                let arn = item["arn"].as_str().unwrap_or_default().to_owned();
                o.undecidable.insert(arn, unknown_tags());
            }
            data.resources.push(record(&c.address, item)?);
        }
        Ok(())
    }

    fn plan(&self, data: &mut ScopeData, o: &mut Overlay) -> Result<()> {
        let c = self.c;
        if let Some(id) = self.before_id() {
            data.plans.retain(|p| p.backup_plan_id != id);
        }
        let Some(after) = &c.after else {
            return Ok(());
        };
        if c.is_unknown("rule") {
            self.undecidable_scope(
                o,
                format!("the rules of {} are known only after apply", c.address),
            );
        }
        let id = &self.ids[&c.address];
        data.plans
            .push(record(&c.address, records::plan(after, id))?);
        Ok(())
    }

    fn selection(&self, data: &mut ScopeData, o: &mut Overlay) -> Result<()> {
        let c = self.c;
        if let Some(id) = self.before_id() {
            data.selections
                .retain(|s| s.selection_id.as_deref() != Some(&id));
        }
        let Some(after) = &c.after else {
            return Ok(());
        };
        let plan_id = match text(after, "plan_id") {
            Some(p) => p.to_string(),
            None => self.plan_of_selection(o),
        };
        let resources = if c.is_unknown("resources") {
            // `[aws_ebs_volume.data.arn]`: the planned volume's ARN, known or standing in.
            let found = self.referenced("resources");
            if found.is_empty() {
                self.undecidable_scope(
                    o,
                    format!(
                        "the resources {} selects are known only after apply",
                        c.address
                    ),
                );
            }
            found
        } else {
            after
                .get("resources")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        };
        for attr in ["selection_tag", "condition", "not_resources"] {
            if c.is_unknown(attr) {
                self.undecidable_scope(
                    o,
                    format!("{attr} of {} is known only after apply", c.address),
                );
            }
        }
        let id = text(after, "id").unwrap_or(self.at.placeholder);
        o.selections.push(super::LaidSelection {
            address: c.address.clone(),
            account: self.at.account.to_owned(),
            region: self.at.region.to_owned(),
            id: id.to_owned(),
        });
        let s = records::selection(after, id, &plan_id, resources);
        data.selections.push(record(&c.address, s)?);
        Ok(())
    }

    /// `aws_s3_bucket_versioning`: the bucket's versioning as Config records it (a removed
    /// resource leaves versioning as it was: S3 cannot turn it off, only suspend it).
    fn versioning(&self, data: &mut ScopeData, o: &mut Overlay) -> Result<()> {
        let c = self.c;
        let Some(after) = &c.after else {
            return Ok(());
        };
        let bucket = match text(after, "bucket") {
            Some(b) => format!("arn:{}:s3:::{b}", self.at.partition),
            None => match self.referenced("bucket").into_iter().next() {
                Some(arn) => arn,
                None => {
                    self.undecidable_scope(
                        o,
                        format!("the bucket of {} is known only after apply", c.address),
                    );
                    return Ok(());
                }
            },
        };
        let status = after
            .get("versioning_configuration")
            .and_then(|v| v[0]["status"].as_str());
        let Some(item) = data.resources.iter_mut().find(|i| i.arn == bucket) else {
            o.notes
                .push(format!("{}: no bucket {bucket} to version", c.address));
            return Ok(());
        };
        match status {
            Some(s) if !c.is_unknown("versioning_configuration") => {
                item.supplementary_configuration.0.insert(
                    "BucketVersioningConfiguration".into(),
                    serde_json::json!({ "status": s }),
                );
            }
            _ => {
                o.undecidable.insert(
                    bucket,
                    format!("its versioning is known only after apply ({})", c.address),
                );
            }
        }
        Ok(())
    }

    /// `aws_volume_attachment`: the volume is attached to the instance (whose backup then
    /// takes it), or detached when the attachment is removed.
    fn attachment(&self, data: &mut ScopeData, o: &mut Overlay) -> Result<()> {
        let c = self.c;
        let ends = |v: &serde_json::Map<String, Value>| -> Option<(String, String)> {
            let id = |attr: &str, kind: &str| {
                text(v, attr).map(|id| {
                    format!(
                        "arn:{}:ec2:{}:{}:{kind}/{id}",
                        self.at.partition, self.at.region, self.at.account
                    )
                })
            };
            Some((id("volume_id", "volume")?, id("instance_id", "instance")?))
        };
        if let Some((volume, instance)) = c.before.as_ref().and_then(ends) {
            let gone = instance.rsplit('/').next().unwrap_or_default().to_owned();
            if let Some(v) = data.resources.iter_mut().find(|i| i.arn == volume) {
                v.configuration
                    .attachments
                    .retain(|a| a.instance_id != gone);
            }
        }
        let Some(after) = &c.after else {
            return Ok(());
        };
        let (volume, instance) = match ends(after) {
            Some(e) => e,
            None => {
                let v = self.referenced("volume_id").into_iter().next();
                let i = self.referenced("instance_id").into_iter().next();
                match (v, i) {
                    (Some(v), Some(i)) => (v, i),
                    _ => {
                        self.undecidable_scope(
                            o,
                            format!("what {} attaches is known only after apply", c.address),
                        );
                        return Ok(());
                    }
                }
            }
        };
        let instance_id = instance.rsplit('/').next().unwrap_or_default().to_owned();
        match data.resources.iter_mut().find(|i| i.arn == volume) {
            Some(v) => v
                .configuration
                .attachments
                .push(aws::VolumeAttachment { instance_id }),
            None => o
                .notes
                .push(format!("{}: no volume {volume} to attach", c.address)),
        }
        Ok(())
    }

    /// The plan a selection whose `plan_id` is known only after apply belongs to: the one its
    /// reference names; else the one backup plan the change creates (a change set says
    /// `{{changeSet:KNOWN_AFTER_APPLY}}` for a `!Ref` to it, and a stack that creates a
    /// selection creates its plan beside it, said as a note); else unknown, and what it
    /// would protect waits for apply.
    fn plan_of_selection(&self, o: &mut Overlay) -> String {
        if let Some(p) = self.referenced("plan_id").into_iter().next() {
            return p;
        }
        if let [only] = self.new_plans {
            o.notes.push(format!(
                "{}: its plan_id is known only after apply; taken to be the one backup plan \
                 the change creates",
                self.c.address
            ));
            return only.clone();
        }
        self.undecidable_scope(
            o,
            format!(
                "the backup plan of {} is known only after apply",
                self.c.address
            ),
        );
        self.at.placeholder.to_owned()
    }

    /// The planned resources an attribute references, as the ids or ARNs they will have.
    fn referenced(&self, attr: &str) -> Vec<String> {
        let mut found: Vec<String> = self
            .c
            .references
            .get(attr)
            .into_iter()
            .flatten()
            .filter_map(|r| {
                // `aws_ebs_volume.data.arn` and `aws_ebs_volume.data` both name the resource.
                let base = r.rsplit_once('.').map_or(r.as_str(), |(b, _)| b);
                self.ids.get(r).or_else(|| self.ids.get(base))
            })
            .cloned()
            .collect();
        found.dedup();
        found
    }
}

pub(super) fn record<T: serde::de::DeserializeOwned>(address: &str, v: Value) -> Result<T> {
    serde_json::from_value(v).map_err(|e| {
        Error::Usage(format!(
            "{address}: cannot be read as AWS describes it ({e})"
        ))
    })
}
