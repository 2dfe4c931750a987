//! The architecture's invariants (ARCHITECTURE.md), checked on the source tree: file
//! sizes, which crate may depend on what, and where SageMaker's names may appear.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    manifest_dir().join("..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn sources(crate_dir: &str) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(&root().join(crate_dir), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

fn dependencies(crate_dir: &str) -> String {
    let toml = std::fs::read_to_string(root().join(crate_dir).join("Cargo.toml")).unwrap();
    let start = toml.find("[dependencies]").unwrap();
    let rest = &toml[start + 1..];
    let end = rest.find("\n[").map_or(rest.len(), |i| i);
    rest[..end].to_string()
}

#[test]
fn no_source_file_is_over_800_lines() {
    for dir in ["engine", "app", "server"] {
        for (p, text) in sources(dir) {
            let n = text.lines().count();
            assert!(
                n <= 800,
                "{} has {n} lines; split it by responsibility",
                p.display()
            );
        }
    }
}

#[test]
fn the_engine_knows_nothing_of_http_sql_or_html() {
    let deps = dependencies("engine");
    for web in [
        "axum",
        "sqlx",
        "leptos",
        "tower",
        "hyper",
        "minijinja",
        "tokio",
    ] {
        assert!(
            !deps.lines().any(|l| l.trim_start().starts_with(web)),
            "engine depends on {web}"
        );
    }
    for (p, text) in sources("engine/src") {
        for word in ["<html", "SELECT ", "axum::"] {
            assert!(!text.contains(word), "{} mentions {word:?}", p.display());
        }
    }
}

#[test]
fn the_pages_know_no_database() {
    let deps = dependencies("app");
    for dep in ["sqlx", "axum", "tokio"] {
        assert!(
            !deps.lines().any(|l| l.trim_start().starts_with(dep)),
            "app depends on {dep}"
        );
    }
}

#[test]
fn polars_stays_inside_the_engine() {
    for dir in ["app", "server"] {
        assert!(
            !dependencies(dir).contains("polars"),
            "{dir} depends on polars"
        );
        for (p, text) in sources(&format!("{dir}/src")) {
            assert!(!text.contains("polars::"), "{} uses polars", p.display());
        }
    }
}

#[test]
fn sagemaker_response_names_live_in_shapes_only() {
    let names = [
        "FinalAutoMLJobObjectiveMetric",
        "CandidateProperties",
        "ObjectiveStatus",
        "CandidateSteps",
        "ResolvedAttributes",
        "MaxAutoMLJobRuntimeReached",
        "MaxCandidatesReached",
    ];
    for dir in ["engine/src", "app/src", "server/src"] {
        for (p, text) in sources(dir) {
            // The REST shapes, and the SageMaker protocol's edge.
            if p.ends_with("shapes.rs") || p.components().any(|c| c.as_os_str() == "sagemaker") {
                continue;
            }
            for n in names {
                assert!(
                    !text.contains(n),
                    "{} spells {n}; only shapes.rs and sagemaker/ may",
                    p.display()
                );
            }
        }
    }
}

#[test]
fn hyperparameter_defaults_live_in_the_learners_params() {
    // The notebook writes estimators from the typed parameters; a default spelled out
    // anywhere else would drift from the one the learner uses.
    for dir in ["engine/src", "server/src"] {
        for (p, text) in sources(dir) {
            assert!(
                !text.contains("get_f64(") && !text.contains("get_usize("),
                "{} reads a hyperparameter with its own default",
                p.display()
            );
        }
    }
}

/// The crate's folder where the test runs (cargo sets it at run time), so a test binary
/// built elsewhere still finds the tree it is run on.
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}
