//! Batch transform: an uploaded data set scored by an approved registered version or a
//! candidate, in the background, chunk by chunk (`scoring`, the code `glassbox predict`
//! runs), with its progress in rows. `JoinSource=Input` keeps the input columns.

use std::path::PathBuf;

use axum::http::StatusCode;
use glassbox_engine::automl::model::CandidateModel;

use crate::auth::Actor;
use crate::endpoints::Source;
use crate::error::ApiError;
use crate::registry::check_name;
use crate::service::{now, Service};

#[derive(sqlx::FromRow)]
pub struct TransformRow {
    pub name: String,
    pub group_name: Option<String>,
    pub version: Option<i64>,
    pub job_name: Option<String>,
    pub candidate: Option<String>,
    pub dataset_id: String,
    pub join_input: bool,
    pub status: String,
    pub rows_total: Option<i64>,
    pub rows_done: i64,
    pub failure_reason: Option<String>,
    pub created_at: String,
    pub ended_at: Option<String>,
    /// The SageMaker request it was made from (JSON), if any.
    pub request: Option<String>,
}

/// Where a transform's output is copied when it completes: `URI/NAME`, without the
/// header line (as SageMaker's batch transform writes it).
#[derive(Debug, Clone)]
pub struct TransformExport {
    pub uri: String,
    pub name: String,
    /// The request, kept for its description.
    pub request: serde_json::Value,
}

impl TransformRow {
    pub fn source(&self) -> Option<Source> {
        Source::from_columns((
            self.group_name.clone(),
            self.version,
            self.job_name.clone(),
            self.candidate.clone(),
        ))
    }
}

/// `JoinSource`: `Input` keeps the input columns beside the predictions; `None` (the
/// default) does not.
pub fn join_source(field: &str, given: Option<&str>) -> Result<bool, ApiError> {
    match given {
        None | Some("None") => Ok(false),
        Some("Input") => Ok(true),
        Some(other) => Err(ApiError::bad_request(
            field,
            format!("{other:?} is not Input or None"),
        )),
    }
}

impl Service {
    fn transform_output(&self, name: &str) -> PathBuf {
        self.settings
            .data_dir
            .join("transforms")
            .join(name)
            .join("output.csv")
    }

    /// Starts a transform job; it runs in the background.
    pub async fn create_transform(
        &self,
        by: &Actor,
        name: &str,
        source: Source,
        dataset_id: &str,
        join_input: bool,
        export: Option<TransformExport>,
    ) -> Result<(), ApiError> {
        check_name("TransformJobName", name)?;
        let model_dir = self.deployable_dir(&source).await?;
        let ds = self
            .get_dataset(dataset_id)
            .await
            .map_err(|e| ApiError::bad_request("TransformInput.DatasetId", e.message))?;
        // Stored and read (profiling may still run): the scorer reads the file itself.
        if !matches!(ds.dataset_status.as_str(), "Ready" | "Profiling") {
            return Err(ApiError::bad_request(
                "TransformInput.DatasetId",
                format!("data set {:?} is {}", ds.name, ds.dataset_status),
            ));
        }
        let (group, version, job, cand) = source.columns();
        let inserted = sqlx::query(
            "INSERT INTO transform_jobs (name, group_name, version, job_name, candidate, dataset_id, join_input, \
             status, rows_total, owner, created_at, request, output_uri) \
             VALUES (?, ?, ?, ?, ?, ?, ?, 'InProgress', ?, ?, ?, ?, ?)",
        )
        .bind(name)
        .bind(group)
        .bind(version)
        .bind(job)
        .bind(cand)
        .bind(dataset_id)
        .bind(join_input)
        .bind(ds.rows)
        .bind(by.owner())
        .bind(now())
        .bind(export.as_ref().map(|e| e.request.to_string()))
        .bind(export.as_ref().map(|e| e.uri.clone()))
        .execute(&self.db)
        .await;
        crate::error::unless_taken(
            inserted,
            StatusCode::BAD_REQUEST,
            "TransformJobName",
            &format!("a transform job named {name:?}"),
        )?;
        self.audit(
            &by.audit_name(),
            "created",
            &format!("transform job {name}"),
            None,
        )
        .await;
        let svc = self.clone();
        let (name, file, out) = (
            name.to_string(),
            self.dataset_file(dataset_id),
            self.transform_output(name),
        );
        tokio::spawn(async move {
            svc.run_transform(name, model_dir, file, out, join_input, export)
                .await
        });
        Ok(())
    }

    async fn run_transform(
        self,
        name: String,
        model_dir: PathBuf,
        file: PathBuf,
        out: PathBuf,
        join_input: bool,
        export: Option<TransformExport>,
    ) {
        let (tx, mut rx) = tokio::sync::watch::channel(0usize);
        let read = self.settings.read.clone();
        let written = out.clone();
        let work = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
            let model = CandidateModel::load(&model_dir)?;
            if let Some(dir) = out.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let tmp = out.with_extension("csv.part");
            let n = crate::scoring::score_file(
                &model,
                &file,
                std::fs::File::create(&tmp)?,
                &read,
                join_input,
                &|done| {
                    let _ = tx.send(done);
                },
            )?;
            std::fs::rename(&tmp, &out)?;
            Ok(n)
        });
        let db = self.db.clone();
        let watch_name = name.clone();
        let progress = tokio::spawn(async move {
            while rx.changed().await.is_ok() {
                let done = *rx.borrow_and_update() as i64;
                let _ = sqlx::query("UPDATE transform_jobs SET rows_done = ? WHERE name = ?")
                    .bind(done)
                    .bind(&watch_name)
                    .execute(&db)
                    .await;
            }
        });
        let mut result = work
            .await
            .map_err(|e| anyhow::anyhow!("the transform stopped: {e}"))
            .and_then(|r| r);
        let _ = progress.await;
        if let (Ok(_), Some(e)) = (&result, &export) {
            if let Err(err) = self.export_rows(&e.uri, &e.name, &written).await {
                result = Err(anyhow::anyhow!(
                    "the output could not be written to {}: {}",
                    e.uri,
                    err.message
                ));
            }
        }
        let (status, reason, rows) = match result {
            Ok(n) => ("Completed", None, Some(n as i64)),
            Err(e) => ("Failed", Some(format!("{e:#}")), None),
        };
        let done = sqlx::query(
            "UPDATE transform_jobs SET status = ?, failure_reason = ?, rows_done = COALESCE(?, rows_done), \
             rows_total = COALESCE(?, rows_total), ended_at = ? WHERE name = ?",
        )
        .bind(status)
        .bind(reason)
        .bind(rows)
        .bind(rows)
        .bind(now())
        .bind(&name)
        .execute(&self.db)
        .await;
        if let Err(e) = done {
            tracing::error!(transform = %name, error = %e, "could not record the transform's end");
        }
    }

    pub async fn transform(&self, name: &str) -> Result<TransformRow, ApiError> {
        let row: Option<TransformRow> = sqlx::query_as(
            "SELECT name, group_name, version, job_name, candidate, dataset_id, join_input, status, rows_total, \
             rows_done, failure_reason, created_at, ended_at, request FROM transform_jobs WHERE name = ?",
        )
        .bind(name)
        .fetch_optional(&self.db)
        .await?;
        row.ok_or_else(|| ApiError::not_found(format!("no transform job named {name:?}")))
    }

    pub async fn transforms(&self) -> Result<Vec<TransformRow>, ApiError> {
        Ok(sqlx::query_as(
            "SELECT name, group_name, version, job_name, candidate, dataset_id, join_input, status, rows_total, \
             rows_done, failure_reason, created_at, ended_at, request FROM transform_jobs ORDER BY created_at",
        )
        .fetch_all(&self.db)
        .await?)
    }

    /// The output file of a finished transform job.
    pub async fn transform_file(&self, name: &str) -> Result<PathBuf, ApiError> {
        let t = self.transform(name).await?;
        if t.status != "Completed" {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!(
                    "transform job {name:?} is {}{}",
                    t.status,
                    t.failure_reason
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
            ));
        }
        Ok(self.transform_output(name))
    }

    /// The output of a finished transform job as Parquet (typed columns), converted from
    /// its CSV the first time it is asked for.
    pub async fn transform_parquet(&self, name: &str) -> Result<PathBuf, ApiError> {
        let csv = self.transform_file(name).await?;
        let out = csv.with_extension("parquet");
        if out.exists() {
            return Ok(out);
        }
        let tmp = csv.with_extension(format!("parquet.{}", uuid::Uuid::new_v4().simple()));
        let (from, to) = (csv.clone(), tmp.clone());
        let made = tokio::task::spawn_blocking(move || {
            glassbox_engine::data::write::csv_to_parquet(&from, &to)
        })
        .await
        .map_err(ApiError::internal)?;
        if let Err(e) = made {
            let _ = std::fs::remove_file(&tmp);
            return Err(ApiError::internal(e));
        }
        tokio::fs::rename(&tmp, &out).await?;
        Ok(out)
    }

    /// After a restart, transforms that were running are failed (their output is partial).
    pub async fn recover_transforms(&self) -> Result<(), ApiError> {
        sqlx::query(
            "UPDATE transform_jobs SET status = 'Failed', failure_reason = 'the server stopped while it ran; start it again', \
             ended_at = ? WHERE status = 'InProgress'",
        )
        .bind(now())
        .execute(&self.db)
        .await?;
        Ok(())
    }
}
