//! A block as findings.csv rows. Each distinct cell is neutralised and quoted once per block,
//! then rows are copies of those bytes: most of a million-resource scan's 4 GB of CSV is the
//! same few thousand cells over again.
//!
//! Quoting is polars' (`QuoteStyle::Necessary`, which writes summary.csv): a cell with a comma,
//! a quote or a line break is quoted with its quotes doubled, an empty cell is `""`, nothing
//! else is quoted. The tests hold the two writers to the same bytes.

use super::{Block, Dictionary};
use crate::findings::columns::{neutralise, CHANGE_COLUMNS, FINDING_COLUMNS, RUN_ID_COLUMN};

/// findings.csv's header: its columns, `change` and `failing_since` when there is a baseline,
/// `run_id`.
pub(crate) fn header(buf: &mut Vec<u8>, with_changes: bool) {
    let changes = if with_changes {
        &CHANGE_COLUMNS[..]
    } else {
        &[]
    };
    let names = FINDING_COLUMNS
        .iter()
        .chain(changes)
        .chain([&RUN_ID_COLUMN]);
    for (i, name) in names.enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        quote(buf, name);
    }
    buf.push(b'\n');
}

/// Appends `block`'s rows to `buf`.
pub(crate) fn rows(buf: &mut Vec<u8>, block: &Block, run_id: &str) {
    let mut columns: Vec<Cells> = block.cells.iter().map(|d| Cells::of(d, true)).collect();
    if let Some(changes) = &block.changes {
        columns.extend(changes.iter().map(|d| Cells::of(d, false)));
    }
    let mut last = Vec::new();
    quote(&mut last, run_id);
    last.push(b'\n');
    for row in 0..block.rows {
        for c in &columns {
            buf.extend_from_slice(c.cell(row));
            buf.push(b',');
        }
        buf.extend_from_slice(&last);
    }
}

/// One column's distinct cells as CSV bytes, and its rows' keys.
struct Cells<'d, 'a> {
    dictionary: &'d Dictionary<'a>,
    bytes: Vec<u8>,
    /// Where each distinct cell's bytes end (the start is the previous one's end).
    ends: Vec<usize>,
    empty: &'static [u8],
}

impl<'d, 'a> Cells<'d, 'a> {
    /// `dictionary`'s cells, `neutralised` against spreadsheet formulas when they are the
    /// inventory's or the rules' text (not the tool's own words).
    fn of(dictionary: &'d Dictionary<'a>, neutralised: bool) -> Self {
        let mut bytes = Vec::new();
        let ends = dictionary
            .values()
            .iter()
            .map(|v| {
                if neutralised {
                    quote(&mut bytes, &neutralise(v));
                } else {
                    quote(&mut bytes, v);
                }
                bytes.len()
            })
            .collect();
        Cells {
            dictionary,
            bytes,
            ends,
            empty: b"\"\"",
        }
    }

    #[inline]
    fn cell(&self, row: usize) -> &[u8] {
        if self.dictionary.is_null(row) {
            return self.empty; // written as polars writes an empty string
        }
        let key = self.dictionary.keys()[row] as usize;
        let start = if key == 0 { 0 } else { self.ends[key - 1] };
        &self.bytes[start..self.ends[key]]
    }
}

/// A cell as polars' CSV writer spells it.
fn quote(buf: &mut Vec<u8>, s: &str) {
    if s.is_empty() {
        buf.extend_from_slice(b"\"\"");
        return;
    }
    if !s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        buf.extend_from_slice(s.as_bytes());
        return;
    }
    buf.push(b'"');
    for (i, part) in s.split('"').enumerate() {
        if i > 0 {
            buf.extend_from_slice(b"\"\"");
        }
        buf.extend_from_slice(part.as_bytes());
    }
    buf.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars_core::prelude::*;
    use polars_io::prelude::{CsvWriter, SerWriter};

    /// What polars writes for a one-column frame of `cells` (without its header).
    fn polars_csv(cells: &[&str]) -> Vec<u8> {
        let column = Column::new("c".into(), cells);
        let mut df = DataFrame::new(cells.len(), vec![column]).unwrap();
        let mut out = Vec::new();
        CsvWriter::new(&mut out)
            .include_header(false)
            .finish(&mut df)
            .unwrap();
        out
    }

    #[test]
    fn cells_are_quoted_as_polars_quotes_them() {
        let cells = [
            "plain",
            "",
            "a,b",
            "say \"hi\"",
            "\"",
            "line\nbreak",
            "cr\r",
            "ünï,cödé \"x\"",
            "'=SUM(A1)",
            " spaced ",
        ];
        let mut ours = Vec::new();
        for c in cells {
            quote(&mut ours, c);
            ours.push(b'\n');
        }
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            String::from_utf8(polars_csv(&cells)).unwrap()
        );
    }

    proptest::proptest! {
        #[test]
        fn any_cell_is_quoted_as_polars_quotes_it(cell in "[a-z,\"\r\n =ü]{0,12}") {
            let mut ours = Vec::new();
            quote(&mut ours, &cell);
            ours.push(b'\n');
            proptest::prop_assert_eq!(ours, polars_csv(&[cell.as_str()]));
        }
    }
}
