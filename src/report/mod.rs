//! Rendering for people: the terminal summary and `explain`. Templates live in
//! `report-templates/`; they only read data the evaluation already holds.

pub mod explain;
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
}

impl Templates {
    pub fn builtin() -> Result<Templates> {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_keep_trailing_newline(true);
        env.add_filter("md", |s: String| markdown::escape_md(&markdown::cut(&s)));
        for (name, src) in TEMPLATES {
            env.add_template(name, src)
                .map_err(|e| template_error(name, &e))?;
        }
        Ok(Templates { env })
    }

    pub fn render(&self, name: &str, ctx: &impl Serialize) -> Result<String> {
        let t = self
            .env
            .get_template(name)
            .map_err(|e| template_error(name, &e))?;
        t.render(ctx).map_err(|e| template_error(name, &e))
    }
}

fn template_error(name: &str, e: &minijinja::Error) -> Error {
    let at = e.line().map(|l| format!(" (line {l})")).unwrap_or_default();
    Error::Template {
        name: format!("{name}{at}"),
        message: format!("{e:#}"),
    }
}
