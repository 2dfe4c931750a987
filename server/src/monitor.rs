//! Model monitoring, self-hosted: an endpoint with data capture keeps a share of its
//! requests' rows and predictions (`capture.jsonl`, up to a size); a drift report compares
//! them with the rows the model was trained on and the predictions it made on its
//! validation rows (`engine::reports::drift`: PSI and KS for numbers, JS divergence and
//! unseen levels for categories, missing rates, the predictions).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::http::StatusCode;
use glassbox_engine::automl::model::CandidateModel;
use glassbox_engine::data::{self, Column, ColumnKind, ProblemType, RawTable, ReadOptions};
use glassbox_engine::reports::{drift_report, DriftReport};
use serde_json::{json, Value};

use crate::endpoints::{source_of, Source};
use crate::error::ApiError;
use crate::service::Service;

/// What an endpoint keeps of its requests.
#[derive(Debug, Clone)]
pub struct Capture {
    pub file: PathBuf,
    pub percent: u32,
    pub max_bytes: u64,
    /// Requests seen, for the deterministic sampling (every request when 100 %).
    pub seen: Arc<AtomicU64>,
}

impl Capture {
    /// Whether this request is kept: the n-th request is when ⌊n·p/100⌋ steps up.
    fn take(&self) -> bool {
        let n = self.seen.fetch_add(1, Ordering::Relaxed) + 1;
        let p = u64::from(self.percent.min(100));
        n * p / 100 != (n - 1) * p / 100
    }

    /// Appends the rows (cells in training order) and their predicted labels, while the
    /// file is under its size; a failure to write is logged, never fails the request.
    pub fn keep(&self, rows: &[Vec<String>], labels: &[String]) {
        if self.percent == 0 || !self.take() {
            return;
        }
        let size = std::fs::metadata(&self.file).map(|m| m.len()).unwrap_or(0);
        if size >= self.max_bytes {
            return;
        }
        let mut buf = String::new();
        for (row, label) in rows.iter().zip(labels) {
            buf.push_str(&json!({"input": row, "predicted_label": label}).to_string());
            buf.push('\n');
        }
        let written = (|| {
            if let Some(dir) = self.file.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.file)?
                .write_all(buf.as_bytes())
        })();
        if let Err(e) = written {
            tracing::warn!(file = %self.file.display(), error = %e, "data capture failed");
        }
    }
}

/// Rows (cells by column) as a table the engine types.
fn table(file_name: &str, names: &[String], rows: &[Vec<String>]) -> anyhow::Result<RawTable> {
    Ok(RawTable::from_rows(file_name, names, rows)?)
}

/// A predictions column typed as the model's output: labels, or values.
fn prediction_column(model: &CandidateModel, raw: &RawTable) -> anyhow::Result<Column> {
    let kind = if model.problem_type == ProblemType::Regression {
        ColumnKind::Numeric
    } else {
        ColumnKind::Categorical
    };
    Ok(data::typed_columns(raw, &[("predicted_label".into(), kind, None)])?.remove(0))
}

/// The drift report of `capture` against the training file and the validation predictions
/// saved beside the model.
pub fn report(
    model: &CandidateModel,
    model_dir: &Path,
    training: &Path,
    capture: &Path,
) -> anyhow::Result<DriftReport> {
    let names: Vec<String> = model.features.iter().map(|f| f.name.clone()).collect();
    let mut rows = Vec::new();
    let mut labels = Vec::new();
    for line in std::fs::read_to_string(capture)?.lines() {
        let v: Value = serde_json::from_str(line)?;
        let row: Vec<String> = serde_json::from_value(v["input"].clone())?;
        if row.len() == names.len() {
            rows.push(row);
            labels.push(vec![v["predicted_label"]
                .as_str()
                .unwrap_or("")
                .to_string()]);
        }
    }
    anyhow::ensure!(!rows.is_empty(), "nothing has been captured yet");
    let current = model.columns_for(&table("capture.jsonl", &names, &rows)?)?;
    let baseline = model.columns_for(&data::read_file(training, &ReadOptions::default())?)?;
    let predicted = prediction_column(
        model,
        &table("capture.jsonl", &["predicted_label".into()], &labels)?,
    )?;
    let validation = model_dir.join("validation_predictions.csv");
    let expected = if validation.is_file() {
        Some(prediction_column(
            model,
            &data::read_file(&validation, &ReadOptions::default())?,
        )?)
    } else {
        None
    };
    Ok(drift_report(
        &baseline,
        &current,
        expected.as_ref().map(|e| (e, &predicted)),
    ))
}

impl Service {
    pub fn capture_file(&self, endpoint: &str) -> PathBuf {
        self.settings
            .data_dir
            .join("endpoints")
            .join(endpoint)
            .join("capture.jsonl")
    }

    /// The drift report of an endpoint with data capture.
    pub async fn drift(&self, name: &str) -> Result<DriftReport, ApiError> {
        let e = self.endpoint(name).await?;
        let capture = self.capture_file(name);
        if !capture.is_file() {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!("endpoint {name:?} has captured nothing: create it with DataCaptureConfig, then call it"),
            ));
        }
        let source =
            source_of(&e).ok_or_else(|| ApiError::not_found("the endpoint serves nothing"))?;
        let model_dir = self.model_dir_of(&source).await?;
        // The training data: the version's lineage names it, or the candidate's job.
        let dataset = match &source {
            Source::Package { group, version } => self.package(group, *version).await?.lineage
                ["DatasetId"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            Source::Candidate { job, .. } => self.job_spec(job).await?.1,
        };
        let training = self.dataset_file(&dataset);
        if !training.is_file() {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!(
                    "the training data set {dataset} was deleted: there is nothing to compare with"
                ),
            ));
        }
        let model = self
            .live
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .map(|s| s.model.clone());
        tokio::task::spawn_blocking(move || {
            let model = match model {
                Some(m) => m,
                None => Arc::new(CandidateModel::load(&model_dir)?),
            };
            report(&model, &model_dir, &training, &capture)
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::new(StatusCode::CONFLICT, format!("{e:#}")))
    }
}
