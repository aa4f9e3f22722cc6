//! Parquet as this tool writes it: every column a nullable string (as polars, DuckDB and
//! Athena read them), zstd or snappy, row groups encoded on any thread and written in order.
//! What the columns hold is the caller's: a dictionary array is written dictionary-encoded, any
//! other array plainly.

use polars_arrow::array::Array;
use polars_arrow::datatypes::{ArrowDataType, ArrowSchema, Field};
use polars_parquet::write::{
    array_to_columns, compress, fallible_streaming_iterator, CompressedPage, CompressionOptions,
    DynIter, DynStreamingIterator, Encoding, FileWriter, ParquetType, StatisticsOptions, Version,
    WriteOptions, ZstdLevel,
};
use std::io::{self, Write};

/// Zstd at level 1: the columns are dictionaries already, so zstd mostly squeezes the
/// distinct values (ARNs, reasons); its default level 3 took about twice the CPU.
const ZSTD_LEVEL: i32 = 1;

/// How a file's pages are compressed. DuckDB, Athena, Spark and polars read both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// The smaller file: for a Parquet export read now and then.
    Zstd,
    /// About a quarter of zstd's CPU to write and less to read, for a file about 1.7 times
    /// as large (12.5M findings: 117 → 198 MB): for what every scheduled scan writes and the
    /// next one reads (the history's parts).
    Snappy,
}

fn options(codec: Codec) -> io::Result<WriteOptions> {
    let compression = match codec {
        Codec::Zstd => {
            CompressionOptions::Zstd(Some(ZstdLevel::try_new(ZSTD_LEVEL).map_err(to_io)?))
        }
        Codec::Snappy => CompressionOptions::Snappy,
    };
    Ok(WriteOptions {
        statistics: StatisticsOptions::default(),
        version: Version::V1,
        compression,
        data_page_size: None,
    })
}

/// A Parquet file being written.
pub struct Writer<W: Write> {
    file: FileWriter<W>,
    encoder: Encoder,
}

/// Encodes row groups for a [`Writer`]; shared by the threads that encode them.
#[derive(Clone)]
pub struct Encoder {
    types: Vec<ParquetType>,
    options: WriteOptions,
}

/// A row group, encoded and compressed, ready to be written.
pub struct Group {
    rows: usize,
    columns: Vec<Vec<CompressedPage>>,
}

impl<W: Write> Writer<W> {
    /// A file of string columns named `names`, in that order.
    pub fn new(w: W, names: &[&str], codec: Codec) -> io::Result<Self> {
        let schema: ArrowSchema = names
            .iter()
            .map(|n| Field::new((*n).into(), ArrowDataType::Utf8View, true))
            .collect();
        let options = options(codec)?;
        let file = FileWriter::try_new(w, schema, options).map_err(to_io)?;
        let types = file.parquet_schema().fields().to_vec();
        Ok(Writer {
            file,
            encoder: Encoder { types, options },
        })
    }

    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }

    /// Appends a row group (groups are written in the order they are given).
    pub fn write(&mut self, group: &Group) -> io::Result<()> {
        let columns = DynIter::new(group.columns.iter().map(|pages| {
            Ok(DynStreamingIterator::new(
                fallible_streaming_iterator::convert(pages.iter().map(Ok)),
            ))
        }));
        self.file.write(group.rows as u64, columns).map_err(to_io)
    }

    /// Writes the footer: the file is complete.
    pub fn finish(mut self) -> io::Result<()> {
        self.file.end(None).map_err(to_io)?;
        Ok(())
    }
}

impl Encoder {
    /// One row group of `rows` rows: an array per column, in the file's order.
    pub fn encode(&self, rows: usize, columns: Vec<Box<dyn Array>>) -> io::Result<Group> {
        if columns.len() != self.types.len() || columns.iter().any(|c| c.len() != rows) {
            return Err(io::Error::other(format!(
                "a row group of {rows} rows needs {} columns of as many",
                self.types.len()
            )));
        }
        let columns = columns
            .into_iter()
            .zip(&self.types)
            .map(|(array, type_)| {
                let encoding = match array.dtype() {
                    ArrowDataType::Dictionary(..) => Encoding::RleDictionary,
                    _ => Encoding::Plain,
                };
                let mut pages = Vec::new();
                for leaf in array_to_columns(array, type_.clone(), self.options, &[encoding])
                    .map_err(to_io)?
                {
                    for page in leaf {
                        let page = page.map_err(to_io)?;
                        let compression = self.options.compression;
                        pages.push(compress(page, Vec::new(), compression).map_err(to_io)?);
                    }
                }
                Ok(pages)
            })
            .collect::<io::Result<_>>()?;
        Ok(Group { rows, columns })
    }
}

fn to_io(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}
