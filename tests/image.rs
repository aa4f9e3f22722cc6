//! The container image (Dockerfile) holds what the README builds: the binary of `cargo build
//! --release --locked`, the default rules and CA certificates, run as a non-root user. The
//! image itself is built by `.ci/run` only where a container engine is usable; these tests hold
//! the Dockerfile to that promise everywhere, and run the binary it would contain as its
//! ENTRYPOINT and CMD would.

use crate::util::{root, run, stderr, stdout};
use serde_json::Value;

const BIN: &str = "backup-auditor";

/// One Dockerfile instruction: its keyword (upper case) and its arguments, continuation lines
/// joined.
#[derive(Debug)]
struct Instruction {
    keyword: String,
    args: String,
}

fn instructions(text: &str) -> Vec<Instruction> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(head) => pending.push_str(head),
            None => {
                pending.push_str(line);
                let (keyword, args) = pending.split_once(' ').unwrap_or((&pending, ""));
                out.push(Instruction {
                    keyword: keyword.to_uppercase(),
                    args: args.split_whitespace().collect::<Vec<_>>().join(" "),
                });
                pending.clear();
            }
        }
    }
    out
}

/// The instructions before the first FROM, then those of each stage (its FROM first).
fn stages(all: Vec<Instruction>) -> (Vec<Instruction>, Vec<Vec<Instruction>>) {
    let mut preamble = Vec::new();
    let mut stages: Vec<Vec<Instruction>> = Vec::new();
    for i in all {
        match (i.keyword.as_str(), stages.last_mut()) {
            ("FROM", _) => stages.push(vec![i]),
            (_, Some(stage)) => stage.push(i),
            (_, None) => preamble.push(i),
        }
    }
    (preamble, stages)
}

fn args<'a>(stage: &'a [Instruction], keyword: &str) -> Vec<&'a str> {
    stage
        .iter()
        .filter(|i| i.keyword == keyword)
        .map(|i| i.args.as_str())
        .collect()
}

fn one<'a>(stage: &'a [Instruction], keyword: &str) -> &'a str {
    let found = args(stage, keyword);
    assert_eq!(found.len(), 1, "{keyword}: {found:?}");
    found[0]
}

fn exec_form(args: &str) -> Vec<String> {
    serde_json::from_str::<Value>(args)
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_else(|| panic!("not the exec (JSON) form: {args}"))
}

fn dockerfile() -> (Vec<Instruction>, Vec<Vec<Instruction>>) {
    stages(instructions(
        &std::fs::read_to_string(root().join("Dockerfile")).unwrap(),
    ))
}

#[test]
fn the_builder_builds_the_locked_release_binary_on_the_stable_toolchain() {
    let (preamble, stages) = dockerfile();
    assert_eq!(stages.len(), 2, "a builder and a runtime stage");
    assert_eq!(
        one(&preamble, "ARG"),
        "RUST_VERSION=1",
        "stable Rust unless pinned"
    );
    let build = &stages[0];
    assert_eq!(one(build, "FROM"), "rust:${RUST_VERSION}-bookworm AS build");
    assert_eq!(one(build, "WORKDIR"), "/src");
    assert_eq!(one(build, "COPY"), ". .");
    let run = one(build, "RUN");
    assert!(
        run.starts_with("cargo build --release --locked &&"),
        "the README's build, and no other: {run}"
    );
    assert!(
        run.contains(&format!("target/release/{BIN} /out/{BIN}")),
        "{run}"
    );
}

#[test]
fn the_runtime_holds_only_the_binary_rules_and_certificates_and_is_not_root() {
    let (_, stages) = dockerfile();
    let image = &stages[1];
    let from = one(image, "FROM");
    assert!(
        !from.starts_with("rust:"),
        "the runtime is not the toolchain: {from}"
    );
    assert!(
        args(image, "RUN").is_empty(),
        "nothing is built or installed in the runtime"
    );
    let copies = args(image, "COPY");
    let bin = format!("/usr/local/bin/{BIN}");
    assert_eq!(
        copies,
        [
            format!("--from=build /out/{BIN} {bin}").as_str(),
            "--from=build /src/rules /usr/share/backup-auditor/rules",
            "--from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt",
        ]
    );
    assert!(root().join("rules/default").is_dir());
    let user = one(image, "USER");
    let uid = user.split(':').next().unwrap();
    assert!(
        uid.parse::<u32>().is_ok_and(|u| u != 0),
        "a numeric non-root user (ECS and Kubernetes can check it): {user}"
    );
    assert_eq!(exec_form(one(image, "ENTRYPOINT")), [bin]);
    assert_eq!(exec_form(one(image, "CMD")), ["--help"]);
}

#[test]
fn the_build_context_leaves_out_build_output_and_history_but_nothing_the_build_reads() {
    let text = std::fs::read_to_string(root().join(".dockerignore")).unwrap();
    let ignored: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for must in ["target/", ".git/"] {
        assert!(ignored.contains(&must), "{must} is not in .dockerignore");
    }
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "src",
        "rules",
        "report-templates",
        "benches",
        "tests",
    ] {
        assert!(root().join(needed).exists(), "{needed}");
        let hit = ignored.iter().find(|p| p.trim_matches('/') == needed);
        assert!(
            hit.is_none(),
            "the build needs {needed}, .dockerignore leaves it out"
        );
    }
}

#[test]
fn the_readmes_build_and_run_the_image_as_the_dockerfile_does() {
    let says = |file: &str, commands: &[&str]| {
        let readme = std::fs::read_to_string(root().join(file)).unwrap();
        for command in commands {
            assert!(readme.contains(command), "{file} does not say `{command}`");
        }
    };
    says(
        "deploy/README.md",
        &[
            "cargo build --release --locked",
            "docker build -t backup-auditor .",
            "docker run --rm backup-auditor --version",
        ],
    );
    says(
        "README.md",
        &[
            "cargo build --release --locked",
            "docker build -t backup-auditor .",
            "docker run --rm backup-auditor scan",
            "/usr/share/backup-auditor/rules",
        ],
    );
}

#[test]
fn the_binary_answers_the_images_default_command_and_version() {
    let (_, stages) = dockerfile();
    let cmd = exec_form(one(&stages[1], "CMD"));
    let cmd: Vec<&str> = cmd.iter().map(String::as_str).collect();
    let o = run(&cmd, &root());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("Usage: {BIN} [OPTIONS] <COMMAND>")),
        "{}",
        stdout(&o)
    );
    let o = run(&["--version"], &root());
    assert_eq!(
        stdout(&o).trim(),
        format!("{BIN} {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn the_rules_the_image_ships_are_the_embedded_default() {
    let embedded = run(&["rules", "list"], &root());
    let shipped = run(&["rules", "list", "rules/default"], &root());
    assert_eq!(embedded.status.code(), Some(0), "{}", stderr(&embedded));
    assert_eq!(stdout(&shipped), stdout(&embedded));
}
