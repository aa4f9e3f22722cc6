//! One column of a block: each distinct cell once, each row a key (a Parquet dictionary).

use polars_arrow::array::{Array, DictionaryArray, PrimitiveArray, Utf8ViewArray};
use polars_arrow::bitmap::MutableBitmap;
use polars_arrow::datatypes::{ArrowDataType, IntegerType};
use polars_core::prelude::PlHashMap;
use polars_error::PolarsResult;

/// Cells remembered by [`Dictionary::of`] before its map: a power of two.
const RECENT: usize = 1024;

/// Where a cell's address is remembered: its bits above the allocator's alignment, mixed.
fn slot_of(address: usize) -> usize {
    (address.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (usize::BITS - RECENT.trailing_zeros()))
        & (RECENT - 1)
}

/// Cells are told apart by address and length: the findings' cells borrow shared strings, so
/// equal cells are nearly always one string in memory. Two equal strings at different
/// addresses only make the dictionary one entry longer; readers see the same values.
pub(crate) struct Dictionary<'a> {
    keys: Vec<u32>,
    /// `None` while no cell is null.
    validity: Option<MutableBitmap>,
    values: Vec<&'a str>,
    index: PlHashMap<(usize, usize), u32>,
    /// The cells seen lately, by address: most cells were seen a few rows above (the same
    /// account-region's statuses, types and resources, rule after rule), so this answers
    /// before the map is asked.
    /// Allocated at the first cell that is not the last one (a column of one value needs none).
    recent: Vec<((usize, usize), u32)>,
    /// The last cell and its key: a rule's, an account-region's, a status's cells repeat
    /// row after row.
    last: ((usize, usize), u32),
}

impl<'a> Dictionary<'a> {
    pub fn with_capacity(rows: usize) -> Self {
        Dictionary {
            keys: Vec::with_capacity(rows),
            validity: None,
            values: Vec::new(),
            index: PlHashMap::default(),
            recent: Vec::new(),
            last: ((0, 0), u32::MAX),
        }
    }

    pub fn of(cells: impl ExactSizeIterator<Item = Option<&'a str>>) -> Self {
        let mut d = Dictionary::with_capacity(cells.len());
        cells.for_each(|c| d.push(c));
        d
    }

    /// Appends a row's cell.
    #[inline]
    pub fn push(&mut self, cell: Option<&'a str>) {
        let Some(s) = cell else {
            let row = self.keys.len();
            let capacity = self.keys.capacity();
            self.validity
                .get_or_insert_with(|| {
                    let mut v = MutableBitmap::with_capacity(capacity);
                    v.extend_constant(row, true);
                    v
                })
                .push(false);
            self.keys.push(0);
            return;
        };
        let at = (s.as_ptr() as usize, s.len());
        let key = if self.last.0 == at && self.last.1 != u32::MAX {
            self.last.1
        } else {
            self.key_of(at, s)
        };
        self.last = (at, key);
        self.keys.push(key);
        if let Some(v) = &mut self.validity {
            v.push(true);
        }
    }

    /// The key of the cell at `at`: remembered lately, or in the map, or new.
    fn key_of(&mut self, at: (usize, usize), s: &'a str) -> u32 {
        if self.recent.is_empty() {
            self.recent = vec![((0, 0), u32::MAX); RECENT];
        }
        let slot = &mut self.recent[slot_of(at.0)];
        if slot.0 == at && slot.1 != u32::MAX {
            return slot.1;
        }
        let values = &mut self.values;
        let key = *self.index.entry(at).or_insert_with(|| {
            values.push(s);
            (values.len() - 1) as u32
        });
        *slot = (at, key);
        key
    }

    /// The distinct cells, in the order first seen.
    pub fn values(&self) -> &[&'a str] {
        &self.values
    }

    /// Each row's cell, as an index into [`Dictionary::values`].
    pub fn keys(&self) -> &[u32] {
        &self.keys
    }

    /// Whether the row's cell is null (its key then means nothing).
    #[inline]
    pub fn is_null(&self, row: usize) -> bool {
        self.validity.as_ref().is_some_and(|v| !v.get(row))
    }

    /// `rows` rows of one value (the scan's own columns).
    pub fn constant(value: &'a str, rows: usize) -> Self {
        Dictionary {
            keys: vec![0; rows],
            validity: None,
            values: vec![value],
            ..Dictionary::with_capacity(0)
        }
    }

    /// `rows` nulls.
    pub fn nulls(rows: usize) -> Self {
        let mut validity = MutableBitmap::with_capacity(rows);
        validity.extend_constant(rows, false);
        Dictionary {
            keys: vec![0; rows],
            validity: Some(validity),
            values: vec![""],
            ..Dictionary::with_capacity(0)
        }
    }

    pub fn into_array(mut self) -> PolarsResult<Box<dyn Array>> {
        if self.values.is_empty() {
            self.values.push(""); // every key points somewhere, even a column of nulls
        }
        let values = Utf8ViewArray::from_slice_values(&self.values);
        let keys = PrimitiveArray::from_vec(self.keys).with_validity(self.validity.map(Into::into));
        let dtype = ArrowDataType::Dictionary(
            IntegerType::UInt32,
            Box::new(ArrowDataType::Utf8View),
            false,
        );
        Ok(DictionaryArray::try_new(dtype, keys, values.boxed())?.boxed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_cells_share_a_key_and_nulls_keep_their_rows() {
        let shared = String::from("arn:aws:ec2:eu-west-1:111122223333:volume/vol-1");
        let other = String::from("arn:aws:ec2:eu-west-1:111122223333:volume/vol-2");
        let cells = [Some(shared.as_str()), None, Some(&other), Some(&shared)];
        let d = Dictionary::of(cells.into_iter());
        assert_eq!(d.keys, [0, 0, 1, 0]);
        assert_eq!(d.values, [shared.as_str(), other.as_str()]);
        let v = d.validity.as_ref().expect("a null cell");
        assert_eq!(
            (0..4).map(|i| v.get(i)).collect::<Vec<_>>(),
            [true, false, true, true]
        );
        let array = d.into_array().expect("valid keys");
        assert_eq!((array.len(), array.null_count()), (4, 1));
    }

    #[test]
    fn a_column_without_nulls_has_no_validity() {
        let d = Dictionary::of(["a", "b", "a"].map(Some).into_iter());
        assert!(d.validity.is_none());
        assert_eq!(Dictionary::nulls(3).into_array().unwrap().null_count(), 3);
    }
}
