//! Writes a collected snapshot atomically: everything goes to a hidden sibling directory,
//! `manifest.json` last, and only a complete snapshot is renamed into place. A crash leaves
//! a `.NAME.partial-*` directory with no manifest, which no scan would mistake for a snapshot.

use crate::error::{Error, Result};
use crate::snapshot::{DataFile, FileError, ScopeStatus, FORMAT, MANIFEST};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One account-region as the manifest and its directory record it.
#[derive(Debug)]
pub struct ScopeRecord {
    pub account_id: String,
    pub account_name: Option<String>,
    pub region: String,
    pub status: ScopeStatus,
    pub error: Option<String>,
    pub files: BTreeMap<DataFile, Value>,
    /// Files (or resource types of a file) whose API failed, with `Code: message`.
    pub errors: Vec<FileError>,
}

/// A snapshot being written: each account-region's files land as soon as it is collected
/// (so memory holds one scope at a time and writing overlaps the network), the manifest and
/// the rename come last.
pub struct SnapshotWriter {
    out: PathBuf,
    parent: PathBuf,
    name: String,
    tmp: tempfile::TempDir,
}

impl SnapshotWriter {
    pub fn create(out: &Path) -> Result<SnapshotWriter> {
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "snapshot".into());
        check_replaceable(out)?;
        std::fs::create_dir_all(&parent).map_err(|e| Error::io("create", &parent, e))?;
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}.partial-"))
            .tempdir_in(&parent)
            .map_err(|e| Error::io("create a directory in", &parent, e))?;
        Ok(SnapshotWriter {
            out: out.to_path_buf(),
            parent,
            name,
            tmp,
        })
    }

    /// Where one account-region's files go.
    pub fn scope_dir(&self, s: &ScopeRecord) -> PathBuf {
        self.tmp.path().join(&s.account_id).join(&s.region)
    }

    /// Writes the manifest and moves the snapshot into place.
    pub fn finish(self, collected_at: &str, scopes: &[ScopeRecord]) -> Result<()> {
        let manifest_scopes: Vec<Value> = scopes.iter().map(manifest_scope).collect();
        let manifest = json!({
            "format": FORMAT,
            "collected_at": collected_at,
            "collector": format!("backup-auditor {}", env!("CARGO_PKG_VERSION")),
            "scopes": manifest_scopes,
        });
        write_json(&self.tmp.path().join(MANIFEST), &manifest)?;

        // Swap: the old snapshot (if any) moves aside first, so a failure between the two
        // renames still leaves one complete snapshot on disk.
        let (out, name) = (&self.out, &self.name);
        let old = self
            .parent
            .join(format!(".{name}.old-{}", std::process::id()));
        let had_old = out.exists();
        if had_old {
            std::fs::rename(out, &old).map_err(|e| Error::io("move aside", out, e))?;
        }
        let tmp = self.tmp.keep();
        std::fs::rename(&tmp, out).map_err(|e| Error::io("rename into place", out, e))?;
        if had_old {
            std::fs::remove_dir_all(&old).map_err(|e| Error::io("remove", &old, e))?;
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
    m
}

/// Only an empty directory or an earlier snapshot may be replaced; anything else is the
/// user's data.
fn check_replaceable(out: &Path) -> Result<()> {
    if !out.exists() {
        return Ok(());
    }
    let empty = out
        .read_dir()
        .map(|mut d| d.next().is_none())
        .unwrap_or(false);
    if out.is_dir() && (empty || out.join(MANIFEST).is_file()) {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{} exists and is not a snapshot directory: refusing to replace it",
            out.display()
        )))
    }
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
