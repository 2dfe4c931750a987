//! The model insights notebook (`notebooks/model_insights.ipynb`): it recomputes every
//! candidate's `quality.json` from its validation predictions with scikit-learn and its
//! `explainability.json` from its saved model with the `shap` package, asserts equality,
//! and draws the best candidate's charts.

use glassbox_engine::automl::job::{CandidateStatus, JobOutcome};
use minijinja::context;
use serde_json::json;

use crate::candidate_notebook::DataSource;
use crate::job_run::{JobFolder, NotebookFile};
use crate::notebooks::{cells, environment, notebook};

const TEMPLATE: &str = include_str!("../../templates/model_insights.ipynb.j2");

/// Write `model_insights.ipynb` for the job's trained candidates (best first).
pub fn write_model_insights(
    folder: &JobFolder,
    job_name: &str,
    target: &str,
    source: &DataSource,
    outcome: &JobOutcome,
) -> anyhow::Result<()> {
    let r = &outcome.resolved;
    // Trained candidates with reports, in leaderboard order (best first).
    let candidates: Vec<&str> = outcome
        .candidates
        .iter()
        .filter(|c| c.status == CandidateStatus::Completed)
        .filter(|c| {
            folder
                .report(&c.name, "explainability.json")
                .is_some_and(|p| p.exists())
        })
        .map(|c| c.name.as_str())
        .collect();
    let features: Vec<serde_json::Value> = r
        .features
        .iter()
        .map(|f| json!([f.name, f.kind.as_str(), f.date_format]))
        .collect();
    let models = folder.candidates();
    let models_dir = std::fs::canonicalize(&models).unwrap_or(models);
    let text = environment()
        .template_from_str(TEMPLATE)?
        .render(context! {
            job_name => job_name,
            target => target,
            problem_type => r.problem_type.as_str(),
            classes => r.classes,
            positive_class => r.positive_class,
            features => features,
            models_dir => models_dir.display().to_string(),
            candidates => candidates,
            best => candidates.first(),
            ..source.template_values()
        })?;
    let nb = notebook(cells(&text, &Default::default()));
    std::fs::create_dir_all(folder.notebooks())?;
    std::fs::write(
        folder.notebook(NotebookFile::ModelInsights),
        serde_json::to_vec_pretty(&nb)?,
    )?;
    Ok(())
}
