//! Bias reports (SageMaker Clarify's metrics, computed by the engine's `reports::bias`) on
//! request: pre-training on a data set's rows, and pre- plus post-training on a
//! candidate's validation rows and its predicted labels (`validation_predictions.csv`).

use glassbox_engine::data::{self, Table, TypeOverrides};
use glassbox_engine::reports::{bias_report, BiasConfig, BiasReport};

use super::worker::inputs_of;
use super::JobData;
use crate::error::ApiError;
use crate::job_run;
use crate::service::{internal_failure, Service};

/// A bad question names its field; a data file that cannot be read names the data set.
fn invalid(e: glassbox_engine::EngineError) -> ApiError {
    match &e {
        glassbox_engine::EngineError::Invalid { field, message } => {
            ApiError::bad_request(field, message.clone())
        }
        _ => ApiError::bad_request("DatasetId", e.to_string()),
    }
}

impl Service {
    /// Pre-training bias of a data set, with `label` as the label column.
    pub async fn dataset_bias(
        &self,
        id: &str,
        label: &str,
        config: BiasConfig,
    ) -> Result<BiasReport, ApiError> {
        self.get_dataset(id).await?;
        let path = self.dataset_file(id);
        let read = self.settings.read.clone();
        let label = label.to_string();
        tokio::task::spawn_blocking(move || {
            let raw = data::read_file(&path, &read).map_err(invalid)?;
            if !raw.names.contains(&label) {
                return Err(ApiError::bad_request(
                    "LabelName",
                    format!("no column named {label:?}"),
                ));
            }
            let table =
                Table::from_raw(raw, Some(&label), &TypeOverrides::new()).map_err(invalid)?;
            let rows: Vec<usize> = (0..table.n_rows()).collect();
            bias_report(&table, &label, &rows, None, &config).map_err(invalid)
        })
        .await
        .map_err(|e| ApiError::internal(internal_failure("computing the bias report", e)))?
    }

    /// The columns of a job's data set other than its target (the facets a bias question
    /// may pick); empty when the data set is gone.
    pub async fn job_columns(&self, job: &str) -> Vec<String> {
        let Ok(row) = self.job_row(job).await else {
            return vec![];
        };
        let target = row.spec().map(|s| s.target).unwrap_or_default();
        match self.get_dataset(&row.dataset_id).await {
            Ok(ds) => ds
                .column_names
                .into_iter()
                .filter(|c| *c != target)
                .collect(),
            Err(_) => vec![],
        }
    }

    /// Pre- and post-training bias of a candidate on the rows it was scored on.
    pub async fn candidate_bias(
        &self,
        job: &str,
        candidate: &str,
        config: BiasConfig,
    ) -> Result<BiasReport, ApiError> {
        self.candidate(job, candidate).await?;
        let row = self.job_row(job).await?;
        let spec = row.spec()?;
        let create = row
            .request()
            .ok_or_else(|| ApiError::internal("the job's request is unreadable"))?;
        let data = JobData::of(row.dataset_id.clone(), &create);
        let predictions = self.job_folder(job).validation_predictions(candidate);
        let svc = self.clone();
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let inputs =
                inputs_of(&svc, &handle, &data).map_err(|e| ApiError::bad_request("DatasetId", e))?;
            let table = job_run::load_table(&inputs, &spec).map_err(ApiError::internal)?;
            let mut reader = csv::Reader::from_path(&predictions).map_err(|_| {
                ApiError::not_found(
                    "this candidate has no validation_predictions.csv (trained before they were written)",
                )
            })?;
            let (mut rows, mut predicted) = (Vec::new(), Vec::new());
            for rec in reader.records() {
                let rec = rec.map_err(ApiError::internal)?;
                let r: usize = rec
                    .get(0)
                    .and_then(|s| s.parse().ok())
                    .filter(|&r| r < table.n_rows())
                    .ok_or_else(|| ApiError::internal("validation_predictions.csv: a bad row number"))?;
                rows.push(r);
                predicted.push(rec.get(2).unwrap_or_default().to_string());
            }
            bias_report(&table, &spec.target, &rows, Some(&predicted), &config).map_err(invalid)
        })
        .await
        .map_err(|e| ApiError::internal(internal_failure("computing the bias report", e)))?
    }
}
