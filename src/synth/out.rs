//! How the generator writes: JSON files (pretty objects, arrays streamed one element a line)
//! and the formatted values in them (timestamps, UUIDs).

use chrono::{DateTime, SecondsFormat};
use fastrand::Rng;
use serde::{Serialize, Serializer};
use serde_json::Value;
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Flushes a writer and returns the size of its file.
fn finish(w: BufWriter<File>) -> io::Result<u64> {
    Ok(w.into_inner()
        .map_err(|e| e.into_error())?
        .metadata()?
        .len())
}

/// Writes `value` pretty-printed to `dir/name`; returns the file's size.
pub(super) fn write_pretty(dir: &Path, name: &str, value: &Value) -> io::Result<u64> {
    let mut w = BufWriter::new(File::create(dir.join(name))?);
    serde_json::to_writer_pretty(&mut w, value)?;
    w.write_all(b"\n")?;
    finish(w)
}

/// A JSON array written element by element, one per line.
pub(super) struct Array {
    w: BufWriter<File>,
    pub(super) len: usize,
}

impl Array {
    pub(super) fn create(dir: &Path, name: &str) -> io::Result<Array> {
        let mut w = BufWriter::with_capacity(1 << 17, File::create(dir.join(name))?);
        w.write_all(b"[")?;
        Ok(Array { w, len: 0 })
    }

    pub(super) fn push(&mut self, value: &impl Serialize) -> io::Result<()> {
        self.w
            .write_all(if self.len == 0 { b"\n" } else { b",\n" })?;
        self.len += 1;
        Ok(serde_json::to_writer(&mut self.w, value)?)
    }

    /// Closes the array; returns the file's size.
    pub(super) fn finish(mut self) -> io::Result<u64> {
        self.w.write_all(b"\n]\n")?;
        finish(self.w)
    }
}

/// Writes `values` as an [`Array`] to `dir/name`; returns the file's size.
pub(super) fn write_array(dir: &Path, name: &str, values: &[impl Serialize]) -> io::Result<u64> {
    let mut array = Array::create(dir, name)?;
    for v in values {
        array.push(v)?;
    }
    array.finish()
}

/// ISO-8601 UTC timestamp with milliseconds, from epoch milliseconds.
pub(super) struct Ts(pub(super) i64);

impl fmt::Display for Ts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = DateTime::from_timestamp_millis(self.0).unwrap_or_default();
        f.write_str(&t.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl Serialize for Ts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

pub(super) fn ts(ms: i64) -> String {
    Ts(ms).to_string()
}

/// A random version-4 UUID.
pub(super) fn uuid(rng: &mut Rng) -> String {
    let v = rng.u128(..);
    let (a, b, c) = (v >> 96, (v >> 80) & 0xffff, (v >> 68) & 0xfff);
    let (d, e) = (0x8000 | ((v >> 52) & 0x3fff), v & 0xffff_ffff_ffff);
    format!("{a:08x}-{b:04x}-4{c:03x}-{d:04x}-{e:012x}")
}
