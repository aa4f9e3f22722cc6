//! Rendering for people: the terminal summary and `explain`. Templates live in
//! `report-templates/`; they only read data the evaluation already holds.

pub mod asff;
pub mod diff;
pub mod explain;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod ocsf;

use crate::error::{Diagnostic, Error, Result};
use crate::terminal;
use minijinja::Environment;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The shipped templates, embedded so the binary works from any directory.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "summary.txt.j2",
        include_str!("../../report-templates/summary.txt.j2"),
    ),
    (
        "explain.txt.j2",
        include_str!("../../report-templates/explain.txt.j2"),
    ),
    (
        "explain-planned.txt.j2",
        include_str!("../../report-templates/explain-planned.txt.j2"),
    ),
    (
        "summary.md.j2",
        include_str!("../../report-templates/summary.md.j2"),
    ),
    (
        "history.txt.j2",
        include_str!("../../report-templates/history.txt.j2"),
    ),
    (
        "diff.txt.j2",
        include_str!("../../report-templates/diff.txt.j2"),
    ),
    (
        "diff.md.j2",
        include_str!("../../report-templates/diff.md.j2"),
    ),
];

pub struct Templates {
    env: Environment<'static>,
    /// Template name → where it came from (the user's file when overridden), for errors.
    origin: std::collections::HashMap<&'static str, String>,
}

impl Templates {
    /// The embedded templates.
    pub fn builtin() -> Result<Templates> {
        Self::load(None)
    }

    /// The embedded templates, each replaced by the file of the same name in `dir` if there
    /// is one (`--templates DIR`), so users can restyle any output.
    pub fn load(dir: Option<&std::path::Path>) -> Result<Templates> {
        if let Some(dir) = dir {
            check_names(dir)?;
        }
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_keep_trailing_newline(true);
        env.add_filter("md", |s: String| markdown::escape_md(&markdown::cut(&s)));
        // A sentence of its own (a warning), not a table cell: longer, still bounded.
        env.add_filter("md_line", |s: String| {
            markdown::escape_md(&markdown::cut_at(&s, 4 * markdown::MAX_CELL))
        });
        // Every value a text template prints comes out escaped for a terminal or CI log:
        // the templates (shipped or the user's) cannot forget it.
        env.set_formatter(|out, _state, value| {
            out.write_str(&terminal::escape(&value.to_string()))
                .map_err(|_| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "write"))
        });
        let mut origin = std::collections::HashMap::new();
        for (name, builtin) in TEMPLATES {
            let (label, src) = match custom_template(dir, name)? {
                Some((p, text)) => (p.display().to_string(), text),
                None => (name.to_string(), builtin.to_string()),
            };
            env.add_template_owned(name.to_string(), src)
                .map_err(|e| template_error(&label, &e))?;
            origin.insert(*name, label);
        }
        Ok(Templates { env, origin })
    }

    pub fn render(&self, name: &str, ctx: &impl Serialize) -> Result<String> {
        let label = self.origin.get(name).map_or(name, String::as_str);
        let t = self
            .env
            .get_template(name)
            .map_err(|e| template_error(label, &e))?;
        t.render(ctx).map_err(|e| template_error(label, &e))
    }
}

/// The file replacing template `name` in `--templates DIR`, if there is one, and its text.
/// Whatever is there under that name (a FIFO, a broken link) is meant as the replacement, so
/// it is read or refused with the reason, never skipped for the built-in template.
fn custom_template(dir: Option<&Path>, name: &str) -> Result<Option<(PathBuf, String)>> {
    let Some(path) = dir.map(|d| d.join(name)) else {
        return Ok(None);
    };
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(None);
    }
    let text = crate::input::read_text(&path).map_err(|d| Error::Invalid(vec![d]))?;
    Ok(Some((path, text)))
}

/// Every name `--templates DIR` may replace, text and HTML.
pub fn template_names() -> Vec<&'static str> {
    let text = TEMPLATES.iter().map(|(n, _)| *n);
    text.chain(html::HTML_TEMPLATES.iter().map(|(n, _)| *n))
        .collect()
}

/// Refuses a file in `--templates DIR` that replaces no template: a misspelt name would
/// otherwise leave the built-in template in use without a word. Hidden files are left alone.
fn check_names(dir: &Path) -> Result<()> {
    let mut files = Vec::new();
    list_files(dir, Path::new(""), &mut files)?;
    let known = template_names();
    let unknown: Vec<Diagnostic> = files
        .iter()
        .filter(|rel| !known.contains(&rel.as_str()))
        .map(|rel| {
            let hint = crate::rules::nearest(&known, rel, 3)
                .map(|k| format!(" (did you mean {k}?)"))
                .unwrap_or_default();
            Diagnostic::file(
                &dir.join(rel),
                format!(
                    "not a template name{hint}; --templates replaces only {}",
                    known.join(", ")
                ),
            )
        })
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(unknown))
    }
}

/// The files under `root`/`rel`, as `/`-separated paths relative to `root`.
fn list_files(root: &Path, rel: &Path, out: &mut Vec<String>) -> Result<()> {
    // Not `root.join("")`, which would show the directory with a trailing slash in errors.
    let dir = if rel.as_os_str().is_empty() {
        root.to_path_buf()
    } else {
        root.join(rel)
    };
    let entries = std::fs::read_dir(&dir).map_err(|e| Error::io("list templates in", &dir, e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("list templates in", &dir, e))?;
        names.push((entry.file_name(), entry.path().is_dir()));
    }
    names.sort();
    for (name, is_dir) in names {
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let child = rel.join(&name);
        if is_dir {
            list_files(root, &child, out)?;
        } else {
            let parts: Vec<String> = child
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
    Ok(())
}

fn template_error(name: &str, e: &minijinja::Error) -> Error {
    let at = e.line().map(|l| format!(" (line {l})")).unwrap_or_default();
    Error::Template {
        name: format!("{name}{at}"),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_templates_dir_that_does_not_exist_is_named() {
        let err = Templates::load(Some(Path::new("no/such/dir")))
            .err()
            .expect("an error");
        let text = err.to_string();
        assert!(
            text.starts_with("cannot list templates in no/such/dir: "),
            "{text}"
        );
    }
}
