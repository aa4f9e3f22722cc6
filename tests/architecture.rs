//! The house rules of `src/`, checked so the next change keeps them: the pipeline's folders
//! import one way (no circle between top-level modules, nor between the files of one
//! folder), renderers do not decide protection, and files and functions stay readable.

use crate::util::root;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/`, with its text up to its `#[cfg(test)]` module.
fn sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = root().join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let code = match text.find("#[cfg(test)]") {
                Some(i) => text[..i].to_owned(),
                None => text,
            };
            (p.strip_prefix(&src).unwrap().to_owned(), code)
        })
        .collect()
}

/// `collect/region.rs` → `["collect", "region"]`; `engine/story/mod.rs` → `["engine", "story"]`.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|l| l == "mod") {
        parts.pop();
    }
    parts
}

/// The names that follow `prefix` in `code` (`crate::engine::story` gives `engine`).
fn names_after<'a>(code: &'a str, prefix: &str) -> BTreeSet<&'a str> {
    code.match_indices(prefix)
        .filter(|(i, _)| !code[..*i].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        .map(|(i, _)| {
            let rest = &code[i + prefix.len()..];
            &rest[..rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len())]
        })
        .collect()
}

/// A cycle in `edges`, if any, as the path that closes it.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut c = path[i..].to_vec();
            c.push(n.to_owned());
            return Some(c);
        }
        if !done.insert(n.to_owned()) {
            return None;
        }
        path.push(n.to_owned());
        for m in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|n| visit(n, edges, &mut Vec::new(), &mut done))
}

#[test]
fn modules_import_one_way() {
    let files = sources();
    let tops: BTreeSet<String> = files
        .iter()
        .map(|(p, _)| module_path(p)[0].clone())
        .collect();
    // Top level: `crate::X` from a file of module Y.
    let mut top = BTreeMap::<String, BTreeSet<String>>::new();
    // Within a folder: `super::X` between sibling files, and `crate::folder::X`.
    let mut inner = BTreeMap::<String, BTreeSet<String>>::new();
    for (rel, code) in &files {
        let path = module_path(rel);
        for m in names_after(code, "crate::") {
            if tops.contains(m) && m != path[0] {
                top.entry(path[0].clone()).or_default().insert(m.to_owned());
            }
        }
        if path.len() == 2 {
            let siblings: BTreeSet<String> = files
                .iter()
                .map(|(p, _)| module_path(p))
                .filter(|p| p.len() == 2 && p[0] == path[0] && p[1] != path[1])
                .map(|p| p[1].clone())
                .collect();
            let used = names_after(code, "super::")
                .into_iter()
                .chain(names_after(code, &format!("crate::{}::", path[0])));
            for m in used.filter(|m| siblings.contains(*m)) {
                let from = path.join("::");
                inner
                    .entry(from)
                    .or_default()
                    .insert(format!("{}::{m}", path[0]));
            }
        }
    }
    assert_eq!(cycle(&top), None, "top-level modules import in a circle");
    assert_eq!(
        cycle(&inner),
        None,
        "files of one folder import in a circle"
    );
}

#[test]
fn renderers_tell_the_engine_s_story_and_decide_nothing() {
    for (rel, code) in sources() {
        if module_path(&rel)[0] != "report" {
            continue;
        }
        for decider in [
            "model::protection",
            "model::selection",
            "find_resource",
            "scope_at(",
        ] {
            assert!(!code.contains(decider), "src/{}: {decider}", rel.display());
        }
    }
}

#[test]
fn files_and_functions_stay_readable() {
    for (rel, code) in sources() {
        let lines: Vec<&str> = code.lines().collect();
        assert!(
            lines.len() <= 600,
            "src/{}: {} lines",
            rel.display(),
            lines.len()
        );
        // A function runs from its `fn` line to the closing brace at its own indentation.
        for (i, l) in lines.iter().enumerate() {
            let t = l.trim_start();
            let is_fn = [
                "fn ",
                "pub fn ",
                "pub(crate) fn ",
                "pub(super) fn ",
                "async fn ",
            ]
            .iter()
            .chain(&["pub async fn ", "pub(crate) async fn ", "const fn "])
            .any(|p| t.starts_with(p));
            if !is_fn || t.ends_with(';') {
                continue;
            }
            let close = format!("{}}}", &l[..l.len() - t.len()]);
            if let Some(n) = lines[i..].iter().position(|x| *x == close) {
                assert!(
                    n < 120,
                    "src/{}:{}: a function of {} lines",
                    rel.display(),
                    i + 1,
                    n + 1
                );
            }
        }
    }
}
