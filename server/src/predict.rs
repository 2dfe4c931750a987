//! `glassbox predict`: a saved candidate's predictions for a data file; with `--explain`,
//! each row's SHAP values per input column (for the positive class, the predicted class or
//! the value, as `explainability.json` shows them) against the background rows saved with
//! the candidate (`explain_background.csv`).

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use glassbox_engine::automl::metrics::Predictions;
use glassbox_engine::automl::model::CandidateModel;
use glassbox_engine::data::{self, Column, ProblemType, RawTable, ReadOptions};
use glassbox_engine::{explain, reports};

/// `glassbox predict`: one row per input row, in input order. Without `--explain` the
/// file streams through in chunks (`scoring`, as batch transform does).
pub fn predict_to_csv(
    model_dir: &Path,
    file: &Path,
    out: &Path,
    read: &ReadOptions,
    with_shap: bool,
) -> anyhow::Result<usize> {
    let model_path = model_dir.join("model.json");
    if !model_path.is_file() {
        anyhow::bail!("{}: no model here", model_path.display());
    }
    let model = CandidateModel::load(model_dir)?;
    let create =
        || std::fs::File::create(out).with_context(|| format!("creating {}", out.display()));
    if !with_shap {
        return crate::scoring::score_file(&model, file, create()?, read, false, &|_| {});
    }
    let raw = data::read_file(file, read)?;
    let n = raw.height();
    let preds = model.predict_raw(&raw)?;
    let (names, rows) = shap_columns(&model, model_dir, raw, &preds, read)?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(create()?));
    let mut header = crate::scoring::prediction_header(&model);
    header.extend(names);
    w.write_record(&header)?;
    for (mut rec, extra) in crate::scoring::prediction_records(&model, &preds)
        .into_iter()
        .zip(rows)
    {
        rec.extend(extra);
        w.write_record(&rec)?;
    }
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .flush()?;
    Ok(n)
}

/// `shap_<column>` per input column then `shap_base`, and those cells for every row.
pub(crate) fn shap_columns(
    model: &CandidateModel,
    model_dir: &Path,
    raw: RawTable,
    preds: &Predictions,
    read: &ReadOptions,
) -> anyhow::Result<(Vec<String>, Vec<Vec<String>>)> {
    let n = raw.height();
    let background_file = model_dir.join("explain_background.csv");
    let needs_background = explain::method_for(model) != explain::Method::TreeSHAP;
    // The background rows first, then the file's rows, typed together.
    let (table, offset) = if background_file.is_file() {
        let background = data::read_file(&background_file, read)?;
        let b = background.height();
        (background.append(raw)?, b)
    } else if needs_background {
        anyhow::bail!(
            "{}: not found; --explain needs the background rows saved with the candidate \
             (candidates trained before explanations were added have none)",
            background_file.display()
        );
    } else {
        (raw, 0)
    };
    let cols = model.columns_for(&table)?;
    let refs: Vec<&Column> = cols.iter().collect();
    let rows: Vec<usize> = (offset..offset + n).collect();
    let background: Vec<usize> = (0..offset).collect();
    let e = explain::explain(&explain::ExplainRequest {
        model,
        columns: &refs,
        rows: &rows,
        background: &background,
        deadline: None,
        first_row_deadline: None,
        seed: 0,
    });
    let positive = model
        .positive_class
        .as_ref()
        .and_then(|p| model.classes.iter().position(|c| c == p));
    let predicted = match preds {
        Predictions::Proba { .. } => preds.classes(),
        Predictions::Values(_) => vec![],
    };
    let numbers: Vec<usize> = (0..n).collect();
    let report = reports::explainability(&reports::ExplainabilityInput {
        candidate: &model.name,
        problem_type: model.problem_type,
        classes: &model.classes,
        positive,
        explanation: &e,
        row_numbers: &numbers,
        predicted: &predicted,
        rows_available: n,
        background_rows: &background,
        fold_models: model.folds.len().max(1),
        seconds: 0.0,
        allowed_seconds: None,
        cells: &|_, rows| vec![String::new(); rows.len()],
    });
    let mut names: Vec<String> = model
        .features
        .iter()
        .map(|f| format!("shap_{}", f.name))
        .collect();
    names.push("shap_base".to_string());
    let base = |label: Option<&String>| -> f64 {
        match (&report.expected_value, label) {
            (serde_json::Value::Object(m), Some(l))
                if model.problem_type == ProblemType::MulticlassClassification =>
            {
                m.get(l).and_then(|v| v.as_f64()).unwrap_or(f64::NAN)
            }
            (v, _) => v.as_f64().unwrap_or(f64::NAN),
        }
    };
    let rows = report
        .rows
        .iter()
        .map(|r| {
            let mut rec: Vec<String> = model
                .features
                .iter()
                .map(|f| r.shap.get(&f.name).copied().unwrap_or(0.0).to_string())
                .collect();
            rec.push(base(r.label.as_ref()).to_string());
            rec
        })
        .collect();
    Ok((names, rows))
}

/// `glassbox evaluate`: the candidate's model quality report (`quality.json`, as the
/// leaderboard's reports are made) on a labelled test file, and its predictions on it
/// (`test_predictions.csv`: `row`, `actual`, `predicted_label`, `proba_<label>`). Rows
/// whose label is missing are left out; a label the model never saw is an error naming it.
pub fn evaluate(
    model_dir: &Path,
    file: &Path,
    out: &Path,
    read: &ReadOptions,
) -> anyhow::Result<usize> {
    if !model_dir.join("model.json").is_file() {
        anyhow::bail!("{}: no model here", model_dir.join("model.json").display());
    }
    let model = CandidateModel::load(model_dir)?;
    let raw = data::read_file(file, read)?;
    let Some(col) = raw.names.iter().position(|n| *n == model.target) else {
        anyhow::bail!(
            "{}: no column named {:?}: evaluate needs the label column the model was trained on",
            raw.file_name,
            model.target
        );
    };
    let cells: Vec<Option<String>> = raw.column(col).map(|c| c.map(str::to_string)).collect();
    // Glassbox's missing-value tokens, unless the token is one of the model's classes
    // (the `None` rule).
    let missing = |c: &Option<String>| {
        c.as_deref().is_none_or(|s| {
            let s = s.trim();
            data::MISSING_TOKENS.contains(&s) && !model.classes.iter().any(|c| c == s)
        })
    };
    let rows: Vec<usize> = (0..cells.len()).filter(|&r| !missing(&cells[r])).collect();
    if rows.is_empty() {
        anyhow::bail!("{}: every {:?} cell is empty", raw.file_name, model.target);
    }
    let classification = model.problem_type != ProblemType::Regression;
    let mut truth = Vec::with_capacity(rows.len());
    for &r in &rows {
        let cell = cells[r].as_deref().unwrap_or_default().trim();
        let line = raw
            .line_of_row(r)
            .map_or(String::new(), |l| format!(" line {l}"));
        if classification {
            let id = model
                .classes
                .iter()
                .position(|c| c == cell)
                .or_else(|| {
                    // Numeric labels written differently ("1.0" for "1").
                    let x: f64 = cell.parse().ok()?;
                    model.classes.iter().position(|c| c.parse::<f64>() == Ok(x))
                })
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "{}{line}: {:?} is not a class the model knows ({})",
                        raw.file_name,
                        cell,
                        model.classes.join(", ")
                    )
                })?;
            truth.push(id as f64);
        } else {
            truth.push(cell.parse::<f64>().map_err(|_| {
                anyhow::anyhow!(
                    "{}{line}: {:?} in column {:?} is not a number",
                    raw.file_name,
                    cell,
                    model.target
                )
            })?);
        }
    }
    let cols = model.columns_for(&raw)?;
    let refs: Vec<&Column> = cols.iter().collect();
    let preds = model.predict_columns(&refs, &rows)?;
    let positive = model
        .positive_class
        .as_ref()
        .and_then(|p| model.classes.iter().position(|c| c == p));
    let folds = vec![0; rows.len()];
    let report = reports::quality(&reports::QualityInput {
        candidate: &model.name,
        problem_type: model.problem_type,
        classes: &model.classes,
        positive,
        rows: &rows,
        fold_of_row: &folds,
        truth: &truth,
        predictions: &preds,
    });
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    crate::service::write_json(&out.join("quality.json"), &report)?;
    let mut w = csv::Writer::from_path(out.join("test_predictions.csv"))?;
    let label = |id: usize| model.classes.get(id).cloned().unwrap_or_default();
    match &preds {
        Predictions::Values(v) => {
            w.write_record(["row", "actual", "predicted_label"])?;
            for ((r, t), p) in rows.iter().zip(&truth).zip(v) {
                w.write_record([r.to_string(), t.to_string(), p.to_string()])?;
            }
        }
        Predictions::Proba { p, k } => {
            let mut header = vec!["row".to_string(), "actual".into(), "predicted_label".into()];
            header.extend(model.classes.iter().map(|c| format!("proba_{c}")));
            w.write_record(&header)?;
            for (((r, t), probs), best) in rows
                .iter()
                .zip(&truth)
                .zip(p.chunks(*k))
                .zip(preds.classes())
            {
                let mut rec = vec![r.to_string(), label(*t as usize), label(best)];
                rec.extend(probs.iter().map(|x| x.to_string()));
                w.write_record(&rec)?;
            }
        }
    }
    w.flush()?;
    Ok(rows.len())
}
