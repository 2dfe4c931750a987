//! A candidate's reports, written beside its model: `reports/quality.json` (the engine's
//! `reports::quality` on the candidate's validation predictions) and
//! `reports/explainability.json` (the engine's `explain` on up to `EXPLAIN_ROWS` of the
//! validation rows, against `BACKGROUND_ROWS` training rows, which are written beside the
//! model as `explain_background.csv` so that `glassbox predict --explain` uses the same).

use std::time::Instant;

use glassbox_engine::automl::job::Prepared;
use glassbox_engine::automl::metrics::Predictions;
use glassbox_engine::automl::model::CandidateModel;
use glassbox_engine::common::Rng;
use glassbox_engine::data::{Column, RawTable, Table};
use glassbox_engine::explain;
use glassbox_engine::reports;

use super::JobFolder;
use crate::service::write_json;

/// The validation rows every candidate is scored on, worked out once per job: the rows
/// (ascending), each row's fold, the truth, and the positive class's id.
pub(super) struct ScoredRows {
    pub rows: Vec<usize>,
    fold_of_row: Vec<usize>,
    truth: Vec<f64>,
    positive: Option<usize>,
    /// Up to `EXPLAIN_ROWS` validation rows, in the (seeded) order they are explained.
    explain: Vec<usize>,
    /// The background rows: a seeded sample of the training rows.
    background: Vec<usize>,
}

/// Validation rows explained per candidate (at most; the time allowed may cut it short).
pub const EXPLAIN_ROWS: usize = 1000;
/// Training rows the explanations are measured against.
pub const BACKGROUND_ROWS: usize = 100;

/// The first `n` of `rows` in a seeded shuffled order.
fn sample(rows: &[usize], n: usize, seed: u64) -> Vec<usize> {
    let mut v = rows.to_vec();
    let mut rng = Rng::new(seed);
    for i in (1..v.len()).rev() {
        v.swap(i, rng.below(i + 1));
    }
    v.truncate(n);
    v
}

impl ScoredRows {
    pub fn of(prep: &Prepared) -> Self {
        let mut fold_of = std::collections::HashMap::new();
        for (f, (_, valid)) in prep.split.folds.iter().enumerate() {
            for &r in valid {
                fold_of.insert(r, f);
            }
        }
        let rows = prep.split.validation_rows();
        let mut training: Vec<usize> = prep
            .split
            .folds
            .iter()
            .flat_map(|(train, _)| train.iter().copied())
            .collect();
        training.sort_unstable();
        training.dedup();
        ScoredRows {
            explain: sample(&rows, EXPLAIN_ROWS, 17),
            background: sample(&training, BACKGROUND_ROWS, 29),
            fold_of_row: rows.iter().map(|r| fold_of[r]).collect(),
            truth: rows.iter().map(|&r| prep.y[r]).collect(),
            positive: prep
                .resolved
                .positive_class
                .as_ref()
                .and_then(|p| prep.resolved.classes.iter().position(|c| c == p)),
            rows,
        }
    }
}

pub(super) fn write_quality(
    folder: &JobFolder,
    prep: &Prepared,
    scored: &ScoredRows,
    name: &str,
    preds: &Predictions,
) -> anyhow::Result<reports::Quality> {
    let report = reports::quality(&reports::QualityInput {
        candidate: name,
        problem_type: prep.resolved.problem_type,
        classes: &prep.resolved.classes,
        positive: scored.positive,
        rows: &scored.rows,
        fold_of_row: &scored.fold_of_row,
        truth: &scored.truth,
        predictions: preds,
    });
    std::fs::create_dir_all(folder.reports(name))?;
    if let Some(path) = folder.report(name, "quality.json") {
        write_json(&path, &report)?;
    }
    Ok(report)
}

/// `reports/explainability.json` for a candidate, explaining rows until `deadline` (the
/// first row of a model-agnostic method until `first_row_deadline`), and its background
/// rows as `explain_background.csv`.
#[allow(clippy::too_many_arguments)]
pub(super) fn write_explainability(
    folder: &JobFolder,
    table: &Table,
    prep: &Prepared,
    scored: &ScoredRows,
    name: &str,
    model: &CandidateModel,
    preds: &Predictions,
    deadline: Instant,
    first_row_deadline: Instant,
) -> anyhow::Result<reports::Explainability> {
    let columns: Vec<&Column> = model
        .features
        .iter()
        .filter_map(|f| table.column_index(&f.name).map(|i| &table.columns[i]))
        .collect();
    let started = Instant::now();
    let e = explain::explain(&explain::ExplainRequest {
        model,
        columns: &columns,
        rows: &scored.explain,
        background: &scored.background,
        deadline: Some(deadline),
        first_row_deadline: Some(first_row_deadline),
        seed: 0,
    });
    // The class each row is explained for is the explained model's own prediction (the
    // mean of the fold models, as `predict` gives), not the out-of-fold one.
    let explained = &scored.explain[..e.rows.len()];
    let predicted: Vec<usize> = match preds {
        Predictions::Proba { .. } => model.predict_columns(&columns, explained)?.classes(),
        Predictions::Values(_) => vec![],
    };
    let raw_index: Vec<Option<usize>> = model
        .features
        .iter()
        .map(|f| table.raw.names.iter().position(|n| *n == f.name))
        .collect();
    let cells = |f: usize, rows: &[usize]| -> Vec<String> {
        match raw_index[f] {
            Some(i) => raw_cells(&table.raw, i, rows),
            None => vec![String::new(); rows.len()],
        }
    };
    let report = reports::explainability(&reports::ExplainabilityInput {
        candidate: name,
        problem_type: prep.resolved.problem_type,
        classes: &prep.resolved.classes,
        positive: scored.positive,
        explanation: &e,
        row_numbers: &scored.explain,
        predicted: &predicted,
        rows_available: scored.explain.len(),
        background_rows: &scored.background,
        seconds: started.elapsed().as_secs_f64(),
        allowed_seconds: Some(deadline.saturating_duration_since(started).as_secs_f64()),
        fold_models: if model.members.is_empty() {
            model.folds.len()
        } else {
            1
        },
        cells: &cells,
    });
    std::fs::create_dir_all(folder.reports(name))?;
    if let Some(path) = folder.report(name, "explainability.json") {
        write_json(&path, &report)?;
    }
    write_background(
        &folder.explain_background(name),
        table,
        model,
        &scored.background,
    )?;
    Ok(report)
}

/// `reports/report.html`: the candidate's reports in one file that opens offline.
pub(super) fn write_report_html(
    folder: &JobFolder,
    job: &str,
    result: &glassbox_engine::automl::job::CandidateResult,
    prep: &Prepared,
    quality: Option<&reports::Quality>,
    explained: Option<&reports::Explainability>,
) -> anyhow::Result<()> {
    let html = glassbox_app::candidate_report_html(
        job,
        result,
        &prep.resolved,
        quality,
        explained,
        &crate::service::now(),
    );
    if let Some(path) = folder.report(&result.name, "report.html") {
        std::fs::write(path, html)?;
    }
    Ok(())
}

/// The cells of raw column `i` at `rows` (ascending or not), as read; missing cells empty.
fn raw_cells(raw: &RawTable, i: usize, rows: &[usize]) -> Vec<String> {
    let mut want: Vec<(usize, usize)> = rows.iter().copied().zip(0..).collect();
    want.sort_unstable();
    let mut out = vec![String::new(); rows.len()];
    let mut next = want.iter().peekable();
    for (r, cell) in raw.column(i).enumerate() {
        while let Some(&&(row, at)) = next.peek() {
            if row != r {
                break;
            }
            out[at] = cell.unwrap_or_default().to_string();
            next.next();
        }
        if next.peek().is_none() {
            break;
        }
    }
    out
}

/// The background rows' cells of the candidate's input columns, as read.
fn write_background(
    path: &std::path::Path,
    table: &Table,
    model: &CandidateModel,
    rows: &[usize],
) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    let names: Vec<&str> = model.features.iter().map(|f| f.name.as_str()).collect();
    w.write_record(&names)?;
    let cols: Vec<Vec<String>> = names
        .iter()
        .map(|n| match table.raw.names.iter().position(|x| x == n) {
            Some(i) => raw_cells(&table.raw, i, rows),
            None => vec![String::new(); rows.len()],
        })
        .collect();
    for r in 0..rows.len() {
        w.write_record(cols.iter().map(|c| c[r].as_str()))?;
    }
    w.flush()?;
    Ok(())
}
