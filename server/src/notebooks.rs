//! Jupyter notebooks rendered from the minijinja templates in `templates/`.
//!
//! A template is text in "percent" form: a line `%% markdown` or `%% code` starts a cell
//! (`%% code target_chart` attaches a pre-rendered output). Values reach Python only
//! through the `py` filter, which writes them as Python literals (strings as JSON string
//! literals, which Python reads as the same text), and markdown only through the `md`
//! filter, which escapes HTML and markdown syntax. The notebook JSON is built with serde,
//! never by text substitution, so it is always valid nbformat 4.5.

use std::path::Path;

use glassbox_engine::data::FileFormat;
use glassbox_engine::profile::Profile;
use minijinja::{context, Environment};
use serde_json::{json, Value};

use crate::job_run::NotebookFile;

const DATA_EXPLORATION: &str = include_str!("../../templates/data_exploration.ipynb.j2");
pub const REQUIREMENTS: &str = include_str!("../../templates/requirements.txt");

/// A value as Python source: None/True/False, numbers, JSON-escaped strings, lists, dicts.
pub fn python_literal(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => serde_json::to_string(s).expect("strings serialise"),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(python_literal).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(o) => format!(
            "{{{}}}",
            o.iter()
                .map(|(k, v)| format!(
                    "{}: {}",
                    serde_json::to_string(k).expect("keys serialise"),
                    python_literal(v)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A dict as Python source with one entry per line, indented for a keyword argument.
pub fn python_block(v: &Value, indent: usize) -> String {
    match v {
        Value::Object(o) if !o.is_empty() => {
            let pad = " ".repeat(indent + 4);
            let entries: Vec<String> = o
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{pad}{}: {},",
                        serde_json::to_string(k).expect("keys serialise"),
                        python_literal(v)
                    )
                })
                .collect();
            format!("{{\n{}\n{}}}", entries.join("\n"), " ".repeat(indent))
        }
        other => python_literal(other),
    }
}

/// Text safe inside markdown prose or a table cell.
pub fn markdown_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '{' | '}' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.add_filter("py", |v: minijinja::Value| -> String {
        python_literal(&serde_json::to_value(&v).unwrap_or(Value::Null))
    });
    env.add_filter("pyblock", |v: minijinja::Value| -> String {
        python_block(&serde_json::to_value(&v).unwrap_or(Value::Null), 4)
    });
    env.add_filter("md", |v: minijinja::Value| -> String {
        markdown_text(
            &v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string()),
        )
    });
    env
}

/// Split rendered percent-form text into nbformat cells.
pub(crate) fn cells(text: &str, outputs: &std::collections::BTreeMap<&str, Value>) -> Vec<Value> {
    let mut cells = Vec::new();
    let mut current: Option<(String, Option<String>, Vec<&str>)> = None;
    let flush = |cur: Option<(String, Option<String>, Vec<&str>)>, cells: &mut Vec<Value>| {
        if let Some((kind, output, mut lines)) = cur {
            while lines.last().is_some_and(|l| l.trim().is_empty()) {
                lines.pop();
            }
            while lines.first().is_some_and(|l| l.trim().is_empty()) {
                lines.remove(0);
            }
            let source: Vec<String> = lines
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    if i + 1 < lines.len() {
                        format!("{l}\n")
                    } else {
                        l.to_string()
                    }
                })
                .collect();
            let id = format!("cell-{}", cells.len() + 1);
            cells.push(if kind == "markdown" {
                json!({"cell_type": "markdown", "id": id, "metadata": {}, "source": source})
            } else {
                let outs: Vec<Value> = output.and_then(|k| outputs.get(k.as_str()).cloned()).into_iter().collect();
                json!({"cell_type": "code", "id": id, "metadata": {}, "execution_count": null, "outputs": outs, "source": source})
            });
        }
    };
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("%% ") {
            flush(current.take(), &mut cells);
            let mut parts = rest.split_whitespace();
            let kind = parts.next().unwrap_or("code").to_string();
            current = Some((kind, parts.next().map(str::to_string), Vec::new()));
        } else if let Some(c) = current.as_mut() {
            c.2.push(line);
        }
    }
    flush(current.take(), &mut cells);
    cells
}

pub(crate) fn notebook(cells: Vec<Value>) -> Value {
    json!({
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "pygments_lexer": "ipython3"},
            "glassbox": {"generator": concat!("glassbox ", env!("CARGO_PKG_VERSION"))},
        },
        "cells": cells,
    })
}

/// The data exploration notebook for `profile`, reading `data_file`.
pub fn data_exploration(profile: &Profile, data_file: &Path) -> anyhow::Result<Value> {
    let env = environment();
    let tmpl = env.template_from_str(DATA_EXPLORATION)?;
    let target = profile.target.as_ref();
    let classes: Vec<Value> = target
        .and_then(|t| t.classes.as_ref())
        .map(|cs| {
            cs.iter()
                .map(|c| json!({"label": c.label, "count": c.count, "percent": c.percent}))
                .collect()
        })
        .unwrap_or_default();
    let text = tmpl.render(context! {
        file_name => profile.file_name,
        data_file => data_file.display().to_string(),
        delimiter => profile.delimiter.map(|d| d.to_string()).unwrap_or_else(|| ",".into()),
        compression => if profile.format == FileFormat::CsvGzip { Some("gzip") } else { None },
        target => target.map(|t| t.name.clone()),
        problem_type => target.and_then(|t| t.problem_type).map(|p| p.as_str()).unwrap_or("undetermined"),
        problem_reason => target.map(|t| t.problem_type_reason.clone()).unwrap_or_default(),
        rows => profile.rows,
        columns => profile.columns,
        duplicate_rows => profile.duplicate_rows,
        missing_cells => profile.missing_cells,
        missing_tokens => profile.missing_tokens.keys().cloned().collect::<Vec<_>>(),
        classes => classes,
        insights => profile.insights.iter().map(|i| json!({"severity": format!("{:?}", i.severity).to_lowercase(), "message": i.message})).collect::<Vec<_>>(),
        anomaly_method => profile.anomalies.method,
    })?;
    let mut outputs = std::collections::BTreeMap::new();
    if let Some(t) = target {
        let svg = if let Some(cs) = &t.classes {
            let labels: Vec<String> = cs.iter().take(30).map(|c| c.label.clone()).collect();
            let values: Vec<f64> = cs.iter().take(30).map(|c| c.count as f64).collect();
            glassbox_app::charts::hbar_chart(&labels, &values, 560)
        } else {
            t.stats
                .as_ref()
                .map(|s| glassbox_app::charts::histogram_chart(&s.histogram, 560, 260))
                .unwrap_or_default()
        };
        if !svg.is_empty() {
            outputs.insert(
                "target_chart",
                json!({"output_type": "display_data", "metadata": {}, "data": {"image/svg+xml": svg, "text/plain": [format!("<distribution of {}>", t.name)]}}),
            );
        }
    }
    Ok(notebook(cells(&text, &outputs)))
}

/// Write the exploration notebook and requirements.txt into `dir`.
pub fn write_data_exploration(
    dir: &Path,
    profile: &Profile,
    data_file: &Path,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let nb = data_exploration(profile, data_file)?;
    std::fs::write(
        dir.join(NotebookFile::DataExploration.stored_name()),
        serde_json::to_vec_pretty(&nb)?,
    )?;
    std::fs::write(
        dir.join(NotebookFile::Requirements.stored_name()),
        REQUIREMENTS,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_python_data() {
        let evil = "'''\"\n{{ x }}</script>\\";
        let lit = python_literal(&json!(evil));
        assert_eq!(serde_json::from_str::<String>(&lit).unwrap(), evil);
        assert!(!lit.contains('\n'));
        assert_eq!(
            python_literal(&json!({"a": [1, null, true]})),
            "{\"a\": [1, None, True]}"
        );
        assert_eq!(
            python_block(&json!({"a": 1, "b": {"c": null}}), 4),
            "{\n        \"a\": 1,\n        \"b\": {\"c\": None},\n    }"
        );
        assert_eq!(
            markdown_text("a|b <i>*x*</i>\nc"),
            "a\\|b &lt;i&gt;\\*x\\*&lt;/i&gt; c"
        );
    }

    #[test]
    fn cells_split_and_carry_outputs() {
        let mut outs = std::collections::BTreeMap::new();
        outs.insert(
            "o",
            json!({"output_type": "display_data", "data": {}, "metadata": {}}),
        );
        let c = cells("%% markdown\n# T\n\n%% code o\nx = 1\ny = 2\n\n", &outs);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0]["source"], json!(["# T"]));
        assert_eq!(c[1]["source"], json!(["x = 1\n", "y = 2"]));
        assert_eq!(c[1]["outputs"].as_array().unwrap().len(), 1);
    }
}
