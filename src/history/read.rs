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
    /// The frame's columns, in [`PAST_FINDING_COLUMNS`]' order.
    columns: Vec<Utf8ViewArray>,
    /// The frame's whole account-regions: rows of it. Rows after the last one are read again
    /// with the next row groups.
    groups: Vec<Range<usize>>,
    at: Option<usize>,
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
            columns: Vec::new(),
            groups: Vec::new(),
            at: None,
        })
    }

    /// Moves to the next frame: the rows of the last one not walked yet and the next row
    /// groups, [`FRAME_ROWS`] or more, up to the last account-region they hold whole.
    fn load(&mut self) -> Result<()> {
        let walked = self.groups.last().map_or(0, |g| g.end);
        self.start += walked;
        let mut columns: Vec<Utf8ViewArray> = std::mem::take(&mut self.columns)
            .into_iter()
            .map(|c| {
                let rest = c.len() - walked;
                c.sliced(walked, rest)
            })
            .collect();
        let mut want = self.frame_rows;
        loop {
            let rows = columns.first().map_or(0, |c| c.len());
            let mut last = self.next_group;
            let mut more = rows;
            while more < want && last < self.metadata.row_groups.len() {
                more += self.metadata.row_groups[last].num_rows();
                last += 1;
            }
            let read: Vec<Vec<Utf8ViewArray>> = (self.next_group..last)
                .into_par_iter()
                .map(|g| self.read_group(g))
                .collect::<Result<_>>()?;
            self.next_group = last;
            columns = self.join(columns, read)?;
            let mut groups = groups(&columns[1], &columns[2]);
            if self.next_group < self.metadata.row_groups.len() {
                if groups.len() < 2 {
                    want *= 2; // one account-region larger than the frame
                    continue;
                }
                groups.pop(); // it may go on in the next row group
            }
            self.columns = columns;
            self.groups = groups;
            self.at = Some(0);
            return Ok(());
        }
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

    /// `columns` followed by the row groups `read`, column by column.
    fn join(
        &self,
        columns: Vec<Utf8ViewArray>,
        read: Vec<Vec<Utf8ViewArray>>,
    ) -> Result<Vec<Utf8ViewArray>> {
        (0..PAST_FINDING_COLUMNS.len())
            .map(|c| {
                let pieces: Vec<&dyn Array> = columns
                    .get(c)
                    .into_iter()
                    .chain(read.iter().map(|g| &g[c]))
                    .map(|a| a as &dyn Array)
                    .collect();
                let joined = match pieces.as_slice() {
                    [] => Utf8ViewArray::new_empty(ArrowDataType::Utf8View).boxed(),
                    [one] => one.to_boxed(),
                    many => concatenate(many).map_err(|e| part_error(&self.path, e))?,
                };
                let strings = joined.as_any().downcast_ref::<Utf8ViewArray>().cloned();
                strings.ok_or_else(|| part_error(&self.path, "not a column of strings"))
            })
            .collect()
    }

    fn cell(&self, column: usize, row: usize) -> Option<&str> {
        self.columns[column].get(row)
    }

    fn group(&self) -> Range<usize> {
        self.at.map_or(0..0, |g| self.groups[g].clone())
    }
}

/// Rows of one account-region after another.
fn groups(accounts: &Utf8ViewArray, regions: &Utf8ViewArray) -> Vec<Range<usize>> {
    runs(accounts.len(), |row| {
        accounts.get(row) == accounts.get(row - 1) && regions.get(row) == regions.get(row - 1)
    })
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
                self.at = Some(g + 1);
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
        let row = self.group().start;
        (
            self.cell(1, row).unwrap_or(""),
            self.cell(2, row).unwrap_or(""),
        )
    }

    fn len(&self) -> usize {
        self.group().len()
    }

    fn get(&self, i: usize) -> FindingRef<'_> {
        let row = self.group().start + i;
        let text = |c: usize| self.cell(c, row).unwrap_or("");
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
            failing_since: self.cell(9, row),
        }
    }

    fn key_at(&self, i: usize) -> (&str, &str) {
        let row = self.group().start + i;
        (
            self.cell(0, row).unwrap_or(""),
            self.cell(3, row).unwrap_or(""),
        )
    }

    fn position(&self, i: usize) -> usize {
        self.start + self.group().start + i
    }
}

#[cfg(test)]
mod tests;
