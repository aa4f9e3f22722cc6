//! Writes a collected snapshot atomically: everything goes to the run directory next to the
//! destination, `manifest.json` and the snapshot mark last, and only a complete snapshot is
//! renamed into place. A crash leaves the run directory, which the next run removes.

use super::organization::OrganizationRecord;
use crate::dest::mark::{self, Mark};
use crate::dest::{signals, Run};
use crate::error::{Error, Result};
use crate::snapshot::organization::FOLDER;
use crate::snapshot::{DataFile, FileError, ScopeStatus, FORMAT, MANIFEST};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What the manifest says of the whole collection.
pub struct Written<'a> {
    pub collected_at: &'a str,
    /// How far back jobs and points were listed (see `snapshot::Windows`).
    pub windows: Value,
    /// The share of the accounts collected (`--shard`), if not all.
    pub shard: Option<crate::shard::Shard>,
}

/// One account-region as the manifest and its directory record it.
#[derive(Debug)]
pub struct ScopeRecord {
    pub account_id: String,
    pub account_name: Option<String>,
    pub region: String,
    pub status: ScopeStatus,
    pub error: Option<String>,
    pub files: BTreeMap<DataFile, Value>,
    /// Resource type → `config` or `direct`: where its items came from.
    pub inventory: BTreeMap<String, String>,
    /// Files (or resource types of a file) whose API failed, with `Code: message`.
    pub errors: Vec<FileError>,
}

/// Where a collection goes.
pub struct Target<'a> {
    /// The snapshot directory, replaced whole at the end.
    pub out: &'a Path,
    /// The run directory (on the same filesystem): the snapshot is written in it.
    pub work: &'a Path,
    pub run: &'a Run,
    /// Replace `out` even if it is not a snapshot the collector wrote.
    pub force: bool,
}

/// A snapshot being written: each account-region's files land as soon as it is collected
/// (so memory holds one scope at a time and writing overlaps the network), the manifest, the
/// mark and the rename come last.
pub struct SnapshotWriter {
    out: PathBuf,
    work: PathBuf,
    staging: PathBuf,
    run: Run,
    force: bool,
}

impl SnapshotWriter {
    pub fn create(t: &Target) -> Result<SnapshotWriter> {
        mark::check_snapshot(t.out, t.force)?;
        let staging = t.work.join("snapshot");
        std::fs::create_dir_all(&staging).map_err(|e| Error::io("create", &staging, e))?;
        Ok(SnapshotWriter {
            out: t.out.to_path_buf(),
            work: t.work.to_path_buf(),
            staging,
            run: t.run.clone(),
            force: t.force,
        })
    }

    /// Where one account-region's files go.
    pub fn scope_dir(&self, s: &ScopeRecord) -> PathBuf {
        self.staging.join(&s.account_id).join(&s.region)
    }

    /// Writes the manifest and the mark, and moves the snapshot into place.
    /// `w`: what the manifest says of the whole collection;
    /// `organization`: what was read of the organisation itself, and what failed.
    pub fn finish(
        self,
        w: &Written,
        scopes: &[ScopeRecord],
        organization: &OrganizationRecord,
    ) -> Result<()> {
        if !organization.files.is_empty() {
            let dir = self.staging.join(FOLDER);
            std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
            for (name, value) in &organization.files {
                write_json(&dir.join(name), value)?;
            }
        }
        let manifest_scopes: Vec<Value> = scopes.iter().map(manifest_scope).collect();
        let mut manifest = json!({
            "format": FORMAT,
            "collected_at": w.collected_at,
            "windows": w.windows,
            "collector": format!("backup-auditor {}", env!("CARGO_PKG_VERSION")),
            "scopes": manifest_scopes,
        });
        if let Some(shard) = w.shard {
            manifest["shard"] = json!(shard);
        }
        if !organization.errors.is_empty() {
            manifest["organization"] = json!({ "errors": organization.errors });
        }
        write_json(&self.staging.join(MANIFEST), &manifest)?;
        let files = mark::files_under(&self.staging)?;
        Mark::snapshot(&self.run, files).write(&self.staging, mark::SNAPSHOT, &self.work)?;

        // Checked again: the destination may have changed during the collection.
        let out = &self.out;
        mark::check_snapshot(out, self.force)?;
        // Swap: the old snapshot (if any) moves aside first, so a failure between the two
        // renames still leaves one complete snapshot on disk; an interruption waits for both.
        let old = self.work.join("replaced");
        {
            let _hold = signals::hold();
            let had_old = out.symlink_metadata().is_ok();
            if had_old {
                std::fs::rename(out, &old).map_err(|e| Error::io("move aside", out, e))?;
            }
            if let Err(e) = std::fs::rename(&self.staging, out) {
                if had_old {
                    let _ = std::fs::rename(&old, out);
                }
                return Err(Error::io("rename into place", out, e));
            }
        }
        // Removed with the run directory if this fails.
        if old.is_dir() {
            let _ = std::fs::remove_dir_all(&old);
        } else {
            let _ = std::fs::remove_file(&old);
        }
        Ok(())
    }
}

/// Writes one scope's data files into `dir`.
pub fn write_scope_files(dir: &Path, files: &BTreeMap<DataFile, Value>) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    for (file, value) in files {
        write_json(&dir.join(file.file_name()), value)?;
    }
    Ok(())
}

fn manifest_scope(s: &ScopeRecord) -> Value {
    let mut m = json!({
        "account_id": s.account_id,
        "region": s.region,
        "status": s.status,
    });
    if let Some(n) = &s.account_name {
        m["account_name"] = json!(n);
    }
    if let Some(e) = &s.error {
        m["error"] = json!(e);
    }
    if !s.errors.is_empty() {
        m["errors"] = json!(s.errors);
    }
    if !s.inventory.is_empty() {
        m["inventory"] = json!(s.inventory);
    }
    m
}

fn write_json(path: &Path, value: &Value) -> Result<()> {
    let f = std::fs::File::create(path).map_err(|e| Error::io("create", path, e))?;
    let mut w = std::io::BufWriter::new(f);
    serde_json::to_writer_pretty(&mut w, value)
        .map_err(std::io::Error::other)
        .and_then(|_| w.write_all(b"\n"))
        .and_then(|_| w.flush())
        .map_err(|e| Error::io("write", path, e))
}
