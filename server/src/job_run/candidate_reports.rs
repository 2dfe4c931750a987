//! A candidate's reports, written beside its model: `reports/quality.json` (the engine's
//! `reports::quality` on the candidate's validation predictions).

use glassbox_engine::automl::job::Prepared;
use glassbox_engine::automl::metrics::Predictions;
use glassbox_engine::reports;

use super::JobFolder;
use crate::service::write_json;

pub(super) fn write_quality(
    folder: &JobFolder,
    prep: &Prepared,
    name: &str,
    preds: &Predictions,
) -> anyhow::Result<()> {
    let rows = prep.split.validation_rows();
    let mut fold_of = std::collections::HashMap::new();
    for (f, (_, valid)) in prep.split.folds.iter().enumerate() {
        for &r in valid {
            fold_of.insert(r, f);
        }
    }
    let fold_of_row: Vec<usize> = rows.iter().map(|r| fold_of[r]).collect();
    let truth: Vec<f64> = rows.iter().map(|&r| prep.y[r]).collect();
    let positive = prep
        .resolved
        .positive_class
        .as_ref()
        .and_then(|p| prep.resolved.classes.iter().position(|c| c == p));
    let report = reports::quality(&reports::QualityInput {
        candidate: name,
        problem_type: prep.resolved.problem_type,
        classes: &prep.resolved.classes,
        positive,
        rows: &rows,
        fold_of_row: &fold_of_row,
        truth: &truth,
        predictions: preds,
    });
    std::fs::create_dir_all(folder.reports(name))?;
    if let Some(path) = folder.report(name, "quality.json") {
        write_json(&path, &report)?;
    }
    Ok(())
}
