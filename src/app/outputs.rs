//! The one table of the files `scan` writes into `--out`, by format: every other place asks
//! it, so a new format cannot be written without being cleaned up, or named without existing.

use crate::cli::Format;
use crate::findings::shard::SHARD_FILE;
use crate::shard::Shard;

/// Each format and the files it writes, in the order they are written.
pub const OUTPUTS: [(Format, &[&str]); 8] = [
    (Format::Html, &["report.html"]),
    (Format::Csv, &["findings.csv", "summary.csv"]),
    (Format::Json, &["findings.json"]),
    (Format::Junit, &["junit.xml"]),
    (Format::Markdown, &["summary.md"]),
    (Format::Ocsf, &["findings.ocsf.json"]),
    (Format::Parquet, &["findings.parquet"]),
    (Format::Asff, &["findings.asff.json"]),
];

/// The files one format writes.
pub fn files_of(format: Format) -> &'static [&'static str] {
    OUTPUTS
        .iter()
        .find(|(f, _)| *f == format)
        .map_or(&[], |(_, files)| files)
}

/// Every file any format writes: those an earlier run wrote (as its mark says) and this run
/// does not write are removed, so the directory never holds two runs' reports side by side.
pub fn all_files() -> Vec<&'static str> {
    OUTPUTS
        .iter()
        .flat_map(|(_, files)| files.iter().copied())
        .chain([SHARD_FILE])
        .collect()
}

/// The files a scan writes: those of `formats`, and with `--shard` its `shard.json`.
pub fn scan_files(formats: &[Format], shard: Option<Shard>) -> Vec<&'static str> {
    let mut names = files(formats);
    names.extend(shard.map(|_| SHARD_FILE));
    names
}

/// The files `formats` write, in order.
pub fn files(formats: &[Format]) -> Vec<&'static str> {
    formats.iter().flat_map(|f| files_of(*f)).copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn every_format_writes_files_no_two_share_a_name() {
        for f in Format::value_variants() {
            assert!(!files_of(*f).is_empty(), "{f:?}");
        }
        let all = all_files();
        let unique: std::collections::BTreeSet<_> = all.iter().collect();
        assert_eq!(unique.len(), all.len());
    }
}
