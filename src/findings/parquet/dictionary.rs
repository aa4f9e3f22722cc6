//! One column of a row group as a Parquet dictionary: each distinct cell once, each row a key.

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
pub(super) struct Dictionary<'a> {
    keys: Vec<u32>,
    /// `None` when no cell is null.
    validity: Option<MutableBitmap>,
    values: Vec<&'a str>,
}

impl<'a> Dictionary<'a> {
    pub fn of(cells: impl ExactSizeIterator<Item = Option<&'a str>>) -> Self {
        let mut keys = Vec::with_capacity(cells.len());
        let mut validity: Option<MutableBitmap> = None;
        let mut values = Vec::new();
        let mut index: PlHashMap<(usize, usize), u32> = PlHashMap::default();
        // Most cells were seen a few rows above (the same account-region's statuses, types,
        // and resources, rule after rule): a small cache answers before the map is asked.
        let mut recent = [((0usize, 0usize), u32::MAX); RECENT];
        for (row, cell) in cells.enumerate() {
            let Some(s) = cell else {
                validity
                    .get_or_insert_with(|| {
                        let mut v = MutableBitmap::with_capacity(keys.capacity());
                        v.extend_constant(row, true);
                        v
                    })
                    .push(false);
                keys.push(0);
                continue;
            };
            let at = (s.as_ptr() as usize, s.len());
            let slot = &mut recent[slot_of(at.0)];
            let key = if slot.0 == at && slot.1 != u32::MAX {
                slot.1
            } else {
                let key = *index.entry(at).or_insert_with(|| {
                    values.push(s);
                    (values.len() - 1) as u32
                });
                *slot = (at, key);
                key
            };
            keys.push(key);
            if let Some(v) = &mut validity {
                v.push(true);
            }
        }
        if values.is_empty() {
            values.push(""); // every key points somewhere, even a column of nulls
        }
        Dictionary {
            keys,
            validity,
            values,
        }
    }

    /// `rows` rows of one value (the scan's own columns).
    pub fn constant(value: &'a str, rows: usize) -> Self {
        Dictionary {
            keys: vec![0; rows],
            validity: None,
            values: vec![value],
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
        }
    }

    pub fn into_array(self) -> PolarsResult<Box<dyn Array>> {
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
