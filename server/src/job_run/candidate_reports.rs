//! A candidate's reports, written beside its model: `reports/quality.json` (the engine's
//! `reports::quality` on the candidate's validation predictions).

use glassbox_engine::automl::job::Prepared;
use glassbox_engine::automl::metrics::Predictions;
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
        ScoredRows {
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
) -> anyhow::Result<()> {
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
    Ok(())
}
