//! The one way every input file is read: snapshot files and manifest, rule and waiver files,
//! templates.
//!
//! A path given to an auditor may be anything: a FIFO (opening it blocks forever), a device
//! (`/dev/zero` never ends), a directory, a file that keeps growing. So a file is looked at
//! before it is opened and read only if it is a regular file, never past a size a real
//! organisation does not reach; and its text must be UTF-8 (a byte-order mark is allowed),
//! with a UTF-16 file named as such rather than reported as garbage at line 1.

use crate::error::Diagnostic;
use std::fs::{File, FileType};
use std::io::Read;
use std::path::Path;

/// Largest snapshot file (manifest or one account-region's API output) read. About ten times
/// the recovery points of 100,000 resources backed up daily for 35 days in one region.
pub const DATA_LIMIT: u64 = 4 << 30;

/// Largest file a person writes (rules, waivers, templates).
pub const TEXT_LIMIT: u64 = 64 << 20;

/// Reads a snapshot file (`DATA_LIMIT`) as bytes, without a UTF-8 byte-order mark.
/// `Ok(None)` when nothing is at `path`.
pub fn read_data(path: &Path) -> Result<Option<Vec<u8>>, Diagnostic> {
    read_bounded(path, DATA_LIMIT)
}

/// Reads a file a person wrote (`TEXT_LIMIT`) as UTF-8 text, without a byte-order mark.
pub fn read_text(path: &Path) -> Result<String, Diagnostic> {
    let bytes =
        read_bounded(path, TEXT_LIMIT)?.ok_or_else(|| Diagnostic::file(path, "no such file"))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let (line, column) = position(valid);
        Diagnostic {
            path: path.to_path_buf(),
            line: Some(line),
            column: Some(column),
            message: "this file is not UTF-8 text; save it as UTF-8".into(),
        }
    })
}

/// A regular file's bytes, at most `limit` of them, its encoding checked (see
/// [`check_encoding`]) and any UTF-8 byte-order mark removed.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, Diagnostic> {
    // `metadata` follows symlinks and, unlike opening, never blocks on a FIFO.
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Diagnostic::file(path, format!("cannot read: {e}"))),
    };
    check_kind(path, meta.file_type())?;
    let cannot = |e: std::io::Error| Diagnostic::file(path, format!("cannot read: {e}"));
    let file = File::open(path).map_err(cannot)?;
    // Whatever was opened, in case the path was replaced since it was looked at.
    let meta = file.metadata().map_err(cannot)?;
    check_kind(path, meta.file_type())?;
    let too_big = || {
        Diagnostic::file(
            path,
            format!(
                "this file is larger than {}, more than any organisation's snapshot or \
                 policy holds; refusing to read it",
                size(limit)
            ),
        )
    };
    if meta.len() > limit {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // One byte more than the limit tells a file that grew while read from one that fits.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        return Err(too_big());
    }
    check_encoding(path, &bytes)?;
    if bytes.starts_with(UTF8_BOM) {
        bytes.drain(..UTF8_BOM.len());
    }
    Ok(Some(bytes))
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Anything but a regular file (or a symlink to one) is refused, saying what it is.
fn check_kind(path: &Path, t: FileType) -> Result<(), Diagnostic> {
    if t.is_file() {
        return Ok(());
    }
    Err(Diagnostic::file(
        path,
        format!(
            "this is {}, not a regular file; only regular files are read",
            kind_name(t)
        ),
    ))
}

#[cfg(unix)]
fn kind_name(t: FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "something else"
    }
}

#[cfg(not(unix))]
fn kind_name(t: FileType) -> &'static str {
    if t.is_dir() {
        "a directory"
    } else {
        "something else"
    }
}

/// `4 GiB`, `64 MiB`, `99 bytes`.
fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b => format!("{b} bytes"),
    }
}

/// UTF-16 and UTF-32 text is told apart from UTF-8 by its byte-order mark or, without one,
/// by the zero bytes ASCII text gets in them (every input starts with ASCII: `{`, `[`, a key).
/// Two characters must show the pattern: one stray NUL in UTF-8 text is a syntax error, not
/// an encoding.
fn check_encoding(path: &Path, bytes: &[u8]) -> Result<(), Diagnostic> {
    let wide = match bytes {
        [0, 0, 0xFE, 0xFF, ..] | [0xFF, 0xFE, 0, 0, ..] => Some("UTF-32"),
        [0xFE, 0xFF, ..] | [0xFF, 0xFE, ..] => Some("UTF-16"),
        [0, 0, 0, a, 0, 0, 0, b, ..] | [a, 0, 0, 0, b, 0, 0, 0, ..] if *a != 0 && *b != 0 => {
            Some("UTF-32")
        }
        [0, a, 0, b, ..] | [a, 0, b, 0, ..] if *a != 0 && *b != 0 => Some("UTF-16"),
        _ => None,
    };
    match wide {
        Some(enc) => Err(Diagnostic::file(
            path,
            format!("this file is {enc}; save it as UTF-8"),
        )),
        None => Ok(()),
    }
}

/// The 1-based line and column just after `text`, counting characters as editors do.
pub fn position(text: &[u8]) -> (usize, usize) {
    let line_start = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let line = text.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = String::from_utf8_lossy(&text[line_start..]).chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_with(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f
    }

    #[test]
    fn a_byte_order_mark_is_dropped() {
        let f = file_with(b"\xEF\xBB\xBF{\"a\": 1}");
        assert_eq!(read_data(f.path()).unwrap().unwrap(), b"{\"a\": 1}");
        assert_eq!(read_text(f.path()).unwrap(), "{\"a\": 1}");
    }

    #[test]
    fn utf16_with_or_without_a_mark_is_named() {
        let le: Vec<u8> = "{}".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = "rules: []"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        let marked = [&[0xFF, 0xFE][..], &le].concat();
        for bytes in [le.clone(), be, marked] {
            let f = file_with(&bytes);
            let d = read_data(f.path()).unwrap_err();
            assert_eq!(d.message, "this file is UTF-16; save it as UTF-8");
            assert_eq!(d.line, None);
        }
    }

    #[test]
    fn one_stray_nul_is_not_an_encoding() {
        for bytes in [&b"\0[\n  {}]"[..], b"[\0\n]", b"{\0}"] {
            let f = file_with(bytes);
            assert!(read_data(f.path()).is_ok(), "{bytes:?}");
        }
    }

    #[test]
    fn text_that_is_not_utf8_is_located() {
        let f = file_with("rules:\n  - id: é\u{0}".as_bytes());
        assert!(read_text(f.path()).is_ok());
        let f = file_with(b"rules:\n  - id: ab\xFF");
        let d = read_text(f.path()).unwrap_err();
        assert_eq!((d.line, d.column), (Some(2), Some(11)));
    }

    #[test]
    fn a_file_larger_than_the_limit_is_refused_and_never_read_past_it() {
        let f = file_with(&[b' '; 100]);
        assert!(read_bounded(f.path(), 100).unwrap().is_some());
        let d = read_bounded(f.path(), 99).unwrap_err();
        assert!(
            d.message.starts_with("this file is larger than 99 bytes,"),
            "{d}"
        );
    }

    #[test]
    fn only_regular_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let d = read_data(dir.path()).unwrap_err();
        assert!(d.message.starts_with("this is a directory,"), "{d}");
        let d = read_data(Path::new("/dev/zero")).unwrap_err();
        assert!(d.message.starts_with("this is a character device,"), "{d}");
        assert_eq!(read_data(&dir.path().join("absent")).unwrap(), None);
    }

    #[test]
    fn positions_count_characters_from_one() {
        assert_eq!(position(b""), (1, 1));
        assert_eq!(position(b"ab\n"), (2, 1));
        assert_eq!(position("x\né".as_bytes()), (2, 2));
    }
}
