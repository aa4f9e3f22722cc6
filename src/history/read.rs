//! Reads a scan's findings back from its Parquet part for a diff: the columns it needs, a few
//! row groups at a time, whole account-regions at once (the part holds them in order, as the
//! evaluation wrote them). A part of millions of findings is never held whole.

use super::diff::{runs, FindingRef, Scopes};
use crate::error::{Diagnostic, Error, Result};
use polars_arrow::array::{Array, Utf8ViewArray};
use polars_arrow::compute::concatenate::concatenate;
use polars_arrow::datatypes::{ArrowDataType, Field};
use polars_buffer::Buffer;
use polars_parquet::read::{
    column_iter_to_arrays, read_metadata, BasicDecompressor, FileMetadata, PageReader,
};
use rayon::prelude::*;
use std::io::Cursor;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The columns read, in [`FindingRef`]'s order: findings.csv's names, and the history's
/// `failing_since`.
pub const PAST_FINDING_COLUMNS: [&str; 10] = [
    "rule_id",
    "account_id",
    "region",
    "resource_arn",
    "resource_type",
    "check",
    "severity",
    "status",
    "reason",
    "failing_since",
];

/// Rows read at once (row groups decoded in parallel), and more when one account-region is
/// larger.
const FRAME_ROWS: usize = 1 << 19;

/// A part's findings, walked one account-region at a time.
pub struct PartScopes {
    path: PathBuf,
    bytes: Buffer<u8>,
    metadata: FileMetadata,
    /// Rows to read at once ([`FRAME_ROWS`]; fewer in tests).
    frame_rows: usize,
    /// The next row group to read.
    next_group: usize,
    /// The part's row the frame starts at.
    start: usize,
    /// The frame's row groups, each its columns in [`PAST_FINDING_COLUMNS`]' order; the first
    /// may be what the last frame left unwalked. Never joined whole: only an account-region
    /// that lies across two of them is.
    chunks: Vec<Vec<Utf8ViewArray>>,
    /// The frame's whole account-regions: rows of it. Rows after the last one are read again
    /// with the next row groups.
    groups: Vec<Range<usize>>,
    at: Option<usize>,
    /// The columns of the account-region at `at`.
    scope: Vec<Utf8ViewArray>,
}

impl PartScopes {
    /// The part at `path`, read into `bytes`: its footer and columns are checked now.
    pub(super) fn open(path: &Path, bytes: Vec<u8>) -> Result<PartScopes> {
        let metadata =
            read_metadata(&mut Cursor::new(bytes.as_slice())).map_err(|e| part_error(path, e))?;
        for name in PAST_FINDING_COLUMNS {
            if !metadata
                .schema_descr
                .fields()
                .iter()
                .any(|f| f.name() == name)
            {
                return Err(part_error(path, format!("it has no column {name:?}")));
            }
        }
        Ok(PartScopes {
            path: path.to_owned(),
            bytes: Buffer::from(bytes),
            metadata,
            frame_rows: FRAME_ROWS,
            next_group: 0,
            start: 0,
            chunks: Vec::new(),
            groups: Vec::new(),
            at: None,
            scope: Vec::new(),
        })
    }

    /// Moves to the next frame: the rows of the last one not walked yet and the next row
    /// groups, [`FRAME_ROWS`] or more, up to the last account-region they hold whole.
    fn load(&mut self) -> Result<()> {
        let walked = self.groups.last().map_or(0, |g| g.end);
        self.start += walked;
        let mut chunks = rows_of(&self.chunks, walked..frame_len(&self.chunks));
        let mut want = self.frame_rows;
        loop {
            let mut last = self.next_group;
            let mut more = frame_len(&chunks);
            while more < want && last < self.metadata.row_groups.len() {
                more += self.metadata.row_groups[last].num_rows();
                last += 1;
            }
            let read: Vec<Vec<Utf8ViewArray>> = (self.next_group..last)
                .into_par_iter()
                .map(|g| self.read_group(g))
                .collect::<Result<_>>()?;
            self.next_group = last;
            chunks.extend(read);
            let mut groups = groups(&chunks);
            if self.next_group < self.metadata.row_groups.len() {
                if groups.len() < 2 {
                    want *= 2; // one account-region larger than the frame
                    continue;
                }
                groups.pop(); // it may go on in the next row group
            }
            if groups.is_empty() {
                return Err(part_error(&self.path, "fewer rows than its footer says"));
            }
            self.chunks = chunks;
            self.groups = groups;
            return self.enter(0);
        }
    }

    /// Moves to the frame's `g`th account-region: its columns, sliced from the row group
    /// holding it, or joined from the two or more it lies across.
    fn enter(&mut self, g: usize) -> Result<()> {
        let pieces = rows_of(&self.chunks, self.groups[g].clone());
        self.scope = (0..PAST_FINDING_COLUMNS.len())
            .map(|c| match pieces.as_slice() {
                [one] => Ok(one[c].clone()),
                many => {
                    let arrays: Vec<&dyn Array> =
                        many.iter().map(|p| &p[c] as &dyn Array).collect();
                    let joined = concatenate(&arrays).map_err(|e| part_error(&self.path, e))?;
                    let strings = joined.as_any().downcast_ref::<Utf8ViewArray>().cloned();
                    strings.ok_or_else(|| part_error(&self.path, "not a column of strings"))
                }
            })
            .collect::<Result<_>>()?;
        self.at = Some(g);
        Ok(())
    }

    /// One row group's columns.
    fn read_group(&self, g: usize) -> Result<Vec<Utf8ViewArray>> {
        let group = &self.metadata.row_groups[g];
        let mut out = Vec::with_capacity(PAST_FINDING_COLUMNS.len());
        for name in PAST_FINDING_COLUMNS {
            let invalid = |why: String| {
                part_error(&self.path, format!("row group {g}, column {name}: {why}"))
            };
            let meta = group
                .columns_under_root_iter(name)
                .and_then(|mut c| c.next())
                .ok_or_else(|| invalid("missing".into()))?;
            let range = meta.byte_range();
            let (from, to) = (range.start as usize, range.end as usize);
            if from > to || to > self.bytes.len() {
                return Err(invalid("its bytes are past the end of the file".into()));
            }
            let pages = PageReader::new(
                Cursor::new(self.bytes.clone().sliced(from..to)),
                meta,
                Vec::new(),
                usize::MAX,
            );
            let field = Field::new(name.into(), ArrowDataType::Utf8View, true);
            let (arrays, _) = column_iter_to_arrays(
                vec![BasicDecompressor::new(pages, Vec::new())],
                vec![&meta.descriptor().descriptor.primitive_type],
                field,
                None,
            )
            .map_err(|e| invalid(e.to_string()))?;
            let array = match arrays.as_slice() {
                [a] => a.as_any().downcast_ref::<Utf8ViewArray>().cloned(),
                _ => None,
            };
            let array = array.ok_or_else(|| invalid("not a column of strings".into()))?;
            if array.len() != group.num_rows() {
                return Err(invalid("shorter or longer than its row group".into()));
            }
            out.push(array);
        }
        Ok(out)
    }

    fn cell(&self, column: usize, i: usize) -> Option<&str> {
        self.scope[column].get(i)
    }

    fn group(&self) -> Range<usize> {
        self.at.map_or(0..0, |g| self.groups[g].clone())
    }
}

fn frame_len(chunks: &[Vec<Utf8ViewArray>]) -> usize {
    chunks.iter().map(|c| c[0].len()).sum()
}

/// The frame's `rows`, as slices of the chunks holding them.
fn rows_of(chunks: &[Vec<Utf8ViewArray>], rows: Range<usize>) -> Vec<Vec<Utf8ViewArray>> {
    let mut out = Vec::new();
    let mut start = 0;
    for chunk in chunks {
        let end = start + chunk[0].len();
        let (from, to) = (rows.start.max(start), rows.end.min(end));
        if from < to {
            out.push(
                chunk
                    .iter()
                    .map(|c| c.clone().sliced(from - start, to - from))
                    .collect(),
            );
        }
        start = end;
    }
    out
}

/// Rows of one account-region after another, across the frame's chunks.
fn groups(chunks: &[Vec<Utf8ViewArray>]) -> Vec<Range<usize>> {
    let keys: Vec<(Option<&str>, Option<&str>)> = chunks
        .iter()
        .flat_map(|c| c[1].iter().zip(c[2].iter()))
        .collect();
    runs(keys.len(), |row| keys[row] == keys[row - 1])
}

fn part_error(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::Invalid(vec![Diagnostic::file(
        path,
        format!("not a findings part backup-auditor wrote: {why}"),
    )])
}

impl Scopes for PartScopes {
    fn total(&self) -> usize {
        self.metadata.num_rows
    }

    fn advance(&mut self) -> Result<bool> {
        if let Some(g) = self.at {
            if g + 1 < self.groups.len() {
                self.enter(g + 1)?;
                return Ok(true);
            }
        }
        let walked = self.start + self.groups.last().map_or(0, |g| g.end);
        if walked >= self.metadata.num_rows {
            self.at = None;
            return Ok(false);
        }
        self.load()?;
        Ok(true)
    }

    fn key(&self) -> (&str, &str) {
        (self.cell(1, 0).unwrap_or(""), self.cell(2, 0).unwrap_or(""))
    }

    fn len(&self) -> usize {
        self.group().len()
    }

    fn get(&self, i: usize) -> FindingRef<'_> {
        let text = |c: usize| self.cell(c, i).unwrap_or("");
        FindingRef {
            rule_id: text(0),
            account_id: text(1),
            region: text(2),
            resource_arn: text(3),
            resource_type: text(4),
            check: text(5),
            severity: text(6),
            status: text(7),
            reason: text(8),
            failing_since: self.cell(9, i),
        }
    }

    fn key_at(&self, i: usize) -> (&str, &str) {
        (self.cell(0, i).unwrap_or(""), self.cell(3, i).unwrap_or(""))
    }

    fn position(&self, i: usize) -> usize {
        self.start + self.group().start + i
    }
}

#[cfg(test)]
mod tests;
