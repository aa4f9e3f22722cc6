//! Errors of the library: each says what failed, on which file, and why.
//!
//! Input errors (a broken snapshot, rule or waiver file) carry the path and, where the parser
//! knows it, the line and column, so a user can jump straight to the fault.

use std::fmt;
use std::path::{Path, PathBuf};

/// A position in an input file, 1-based as editors show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

/// One problem found in an input file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub path: PathBuf,
    /// `None` when the problem concerns the whole file (e.g. it cannot be read).
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl Diagnostic {
    pub fn at(loc: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            path: loc.path,
            line: Some(loc.line),
            column: Some(loc.column),
            message: message.into(),
        }
    }

    pub fn file(path: &Path, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.to_path_buf(),
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// One or more problems in input files (snapshot, rules, waivers); all are reported.
    #[error("{}", render_diagnostics(.0))]
    Invalid(Vec<Diagnostic>),
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
    #[error("cannot write {}: {message}", .path.display())]
    Output { path: PathBuf, message: String },
    #[error("template {name}: {message}")]
    Template { name: String, message: String },
}

impl Error {
    pub fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// The lines a user reads, one problem each (and the count of several): each line is
    /// whole, so a printer can escape what a line quotes without losing the line breaks.
    pub fn lines(&self) -> Vec<String> {
        match self {
            Error::Invalid(diags) => {
                let mut lines: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
                if diags.len() > 1 {
                    lines.push(format!("{} problems found", diags.len()));
                }
                lines
            }
            other => vec![other.to_string()],
        }
    }

    /// Whether this error is the user's input (exit code 2) rather than the environment.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Error::Invalid(d) => d,
            _ => &[],
        }
    }
}

fn render_diagnostics(diags: &[Diagnostic]) -> String {
    Error::Invalid(diags.to_vec()).lines().join("\n")
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
