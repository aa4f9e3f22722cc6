//! Rendering for people: the terminal summary and `explain`. Templates live in
//! `report-templates/`; they only read data the evaluation already holds.

pub mod explain;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod ocsf;

use crate::error::{Error, Result};
use minijinja::Environment;
use serde::Serialize;

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
        "summary.md.j2",
        include_str!("../../report-templates/summary.md.j2"),
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
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_keep_trailing_newline(true);
        env.add_filter("md", |s: String| markdown::escape_md(&markdown::cut(&s)));
        let mut origin = std::collections::HashMap::new();
        for (name, builtin) in TEMPLATES {
            let custom = dir.map(|d| d.join(name)).filter(|p| p.is_file());
            let (label, src) = match &custom {
                Some(p) => {
                    let text =
                        std::fs::read_to_string(p).map_err(|e| Error::io("read template", p, e))?;
                    (p.display().to_string(), text)
                }
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

fn template_error(name: &str, e: &minijinja::Error) -> Error {
    let at = e.line().map(|l| format!(" (line {l})")).unwrap_or_default();
    Error::Template {
        name: format!("{name}{at}"),
        message: e.to_string(),
    }
}
