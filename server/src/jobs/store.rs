//! Jobs and candidates in SQLite. What is stored is plain data: the request as given,
//! the engine's `JobSpec`, `Resolved` and `CandidateResult`s. The SageMaker shapes are
//! made from them on the way out (`shapes`).

use glassbox_app::model::{CandidateInfo, JobInfo, Training};
use glassbox_engine::automl::job::{CandidateResult, JobSpec, Resolved};
use serde_json::Value;

use super::wire::{CandidateQuery, CreateJob};
use crate::error::ApiError;
use crate::job_run::JobFolder;
use crate::service::{now, Service};

fn bad(field: &str, msg: impl Into<String>) -> ApiError {
    ApiError::bad_request(field, msg)
}

#[derive(sqlx::FromRow)]
pub(super) struct JobRow {
    pub name: String,
    pub dataset_id: String,
    pub request: String,
    pub spec: String,
    pub resolved: Option<String>,
    pub status: String,
    pub secondary_status: String,
    pub progress: f64,
    pub failure_reason: Option<String>,
    pub best_candidate: Option<String>,
    #[allow(dead_code)]
    pub stop_requested: i64,
    pub created_at: String,
    pub updated_at: String,
    pub ended_at: Option<String>,
    pub training: Option<String>,
    pub owner: Option<i64>,
}

impl JobRow {
    pub fn request(&self) -> Option<CreateJob> {
        serde_json::from_str(&self.request).ok()
    }

    pub fn spec(&self) -> Result<JobSpec, ApiError> {
        serde_json::from_str(&self.spec).map_err(ApiError::internal)
    }

    /// The InputDataConfig channels, as the request gave them.
    pub fn input(&self) -> Value {
        self.request()
            .and_then(|r| serde_json::to_value(&r.input).ok())
            .unwrap_or(Value::Null)
    }

    pub fn resolved(&self) -> Option<Resolved> {
        self.resolved
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
    }

    /// The record the API and the pages get.
    fn info(&self, best: Option<CandidateInfo>, candidate_count: usize) -> JobInfo {
        let req = self.request();
        let spec = self.spec().ok();
        let end = self
            .ended_at
            .as_deref()
            .and_then(|e| chrono::DateTime::parse_from_rfc3339(e).ok())
            .map(|d| d.with_timezone(&chrono::Utc))
            .unwrap_or_else(chrono::Utc::now);
        let elapsed_seconds = seconds_between(&self.created_at, end);
        JobInfo {
            name: self.name.clone(),
            dataset_id: self.dataset_id.clone(),
            status: self.status.clone(),
            secondary_status: self.secondary_status.clone(),
            progress: self.progress,
            failure_reason: self.failure_reason.clone(),
            resolved: self.resolved(),
            best,
            candidate_count,
            dataset_name: None,
            target: spec.as_ref().map(|s| s.target.clone()).unwrap_or_default(),
            algorithms: spec
                .as_ref()
                .map(|s| {
                    s.algorithms()
                        .iter()
                        .map(|a| a.as_str().to_string())
                        .collect()
                })
                .unwrap_or_default(),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            ended_at: self.ended_at.clone(),
            elapsed_seconds,
            input: self.input(),
            candidates_only: req
                .as_ref()
                .and_then(|r| r.candidates_only)
                .unwrap_or(false),
            requested_mode: req
                .as_ref()
                .and_then(|r| r.config.as_ref())
                .and_then(|c| c.mode.clone()),
            training: self
                .training
                .as_deref()
                .filter(|_| matches!(self.status.as_str(), "InProgress" | "Stopping"))
                .and_then(|t| serde_json::from_str::<Training>(t).ok())
                .map(|mut t| {
                    t.seconds = seconds_between(&t.started_at, end);
                    t
                }),
            owner: self.owner,
            created_by: None,
        }
    }
}

/// Seconds from an RFC 3339 time to `end` (0 when the time does not parse).
fn seconds_between(start: &str, end: chrono::DateTime<chrono::Utc>) -> f64 {
    chrono::DateTime::parse_from_rfc3339(start)
        .map(|start| (end - start.with_timezone(&chrono::Utc)).num_milliseconds() as f64 / 1000.0)
        .unwrap_or(0.0)
}

impl Service {
    pub(crate) fn job_folder(&self, name: &str) -> JobFolder {
        JobFolder::new(self.settings.data_dir.join("jobs").join(name))
    }

    pub(super) async fn job_name_taken(&self, name: &str) -> Result<bool, ApiError> {
        let taken: Option<(String,)> = sqlx::query_as("SELECT name FROM jobs WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.db)
            .await?;
        Ok(taken.is_some())
    }

    pub(super) async fn insert_job(
        &self,
        req: &CreateJob,
        spec: &JobSpec,
        dataset_id: &str,
        owner: Option<i64>,
    ) -> Result<(), ApiError> {
        let t = now();
        let inserted = sqlx::query(
            "INSERT INTO jobs (name, dataset_id, request, spec, status, secondary_status, created_at, updated_at, owner) \
             VALUES (?, ?, ?, ?, 'InProgress', 'Starting', ?, ?, ?)",
        )
        .bind(&req.name)
        .bind(dataset_id)
        .bind(serde_json::to_string(req).map_err(ApiError::internal)?)
        .bind(serde_json::to_string(spec).map_err(ApiError::internal)?)
        .bind(&t)
        .bind(&t)
        .bind(owner)
        .execute(&self.db)
        .await;
        match inserted {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(ApiError::taken(
                "AutoMLJobName",
                format!("a job named {:?} already exists", req.name),
            )),
            other => other.map(|_| ()).map_err(ApiError::from),
        }
    }

    /// A job and the request it was created with (None for jobs stored before requests
    /// were), from one read of its row.
    pub async fn job_with_request(
        &self,
        name: &str,
    ) -> Result<(JobInfo, Option<CreateJob>), ApiError> {
        let row = self.job_row(name).await?;
        let request = row.request();
        Ok((self.info(row).await?, request))
    }

    pub(super) async fn job_row(&self, name: &str) -> Result<JobRow, ApiError> {
        let row: Option<JobRow> = sqlx::query_as("SELECT * FROM jobs WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.db)
            .await?;
        row.ok_or_else(|| ApiError::not_found(format!("no job named {name:?}")))
    }

    /// A job's candidates as stored (in no particular order); `only` picks one by name.
    pub(super) async fn candidate_rows(
        &self,
        job: &str,
        only: Option<&str>,
    ) -> Result<Vec<CandidateInfo>, ApiError> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT name, result, created_at FROM candidates WHERE job_name = ? AND (? IS NULL OR name = ?)",
        )
        .bind(job)
        .bind(only)
        .bind(only)
        .fetch_all(&self.db)
        .await?;
        let folder = self.job_folder(job);
        Ok(rows
            .into_iter()
            .filter_map(|(name, result, created_at)| {
                // Rows written before results were stored as the engine makes them hold
                // the AutoMLCandidate JSON; the candidate's folder has the result.
                let result = serde_json::from_str(&result).ok().or_else(|| {
                    let bytes = std::fs::read(folder.result_json(&name)).ok()?;
                    serde_json::from_slice(&bytes).ok()
                })?;
                Some(CandidateInfo { result, created_at })
            })
            .collect())
    }

    /// A stored job's record: its best candidate, how many it has, and its data set's
    /// name (while the data set exists).
    async fn info(&self, row: JobRow) -> Result<JobInfo, ApiError> {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM candidates WHERE job_name = ?")
            .bind(&row.name)
            .fetch_one(&self.db)
            .await?;
        let best = match &row.best_candidate {
            Some(b) => self.candidate_rows(&row.name, Some(b)).await?.pop(),
            None => None,
        };
        let dataset: Option<(String,)> = sqlx::query_as("SELECT name FROM datasets WHERE id = ?")
            .bind(&row.dataset_id)
            .fetch_optional(&self.db)
            .await?;
        let by: Option<(String,)> = sqlx::query_as("SELECT name FROM users WHERE id = ?")
            .bind(row.owner)
            .fetch_optional(&self.db)
            .await?;
        let mut info = row.info(best, count as usize);
        info.dataset_name = dataset.map(|d| d.0);
        info.created_by = by.map(|b| b.0);
        Ok(info)
    }

    /// A job's engine spec and the id of its training data set.
    pub(crate) async fn job_spec(&self, name: &str) -> Result<(JobSpec, String), ApiError> {
        let row = self.job_row(name).await?;
        Ok((row.spec()?, row.dataset_id))
    }

    /// Who created a job (`None`: made in local mode); 404 when there is none.
    pub async fn job_owner(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT owner FROM jobs WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.db)
            .await?;
        row.map(|r| r.0)
            .ok_or_else(|| ApiError::not_found(format!("no job named {name:?}")))
    }

    /// A job's record, with its best candidate.
    pub async fn job(&self, name: &str) -> Result<JobInfo, ApiError> {
        let row = self.job_row(name).await?;
        self.info(row).await
    }

    /// Every job, newest first.
    pub async fn jobs(&self) -> Result<Vec<JobInfo>, ApiError> {
        let rows: Vec<JobRow> = sqlx::query_as("SELECT * FROM jobs ORDER BY created_at DESC")
            .fetch_all(&self.db)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.info(r).await?);
        }
        Ok(out)
    }

    /// ListCandidatesForAutoMLJob. `FinalObjectiveMetricValue` sorts by the objective's
    /// direction: `Descending` (the default) puts the best first, as Autopilot does.
    /// `MaxResults` is the API's page size; the pages ask for every candidate.
    pub async fn candidates(
        &self,
        name: &str,
        q: &CandidateQuery,
    ) -> Result<Vec<CandidateInfo>, ApiError> {
        let row = self.job_row(name).await?;
        let descending = match q.sort_order.as_deref().unwrap_or("Descending") {
            "Ascending" => false,
            "Descending" => true,
            o => {
                return Err(bad(
                    "SortOrder",
                    format!("{o:?}: use Ascending or Descending"),
                ))
            }
        };
        if let Some(s) = &q.status_equals {
            if !["Completed", "InProgress", "Failed", "Stopped", "Stopping"].contains(&s.as_str()) {
                return Err(bad(
                    "StatusEquals",
                    format!("{s:?}: use Completed, InProgress, Failed, Stopped or Stopping"),
                ));
            }
        }
        let max = match q.max_results {
            Some(n) if !(1..=100).contains(&n) => {
                return Err(bad(
                    "MaxResults",
                    format!("must be between 1 and 100, not {n}"),
                ))
            }
            Some(n) => n as usize,
            None => usize::MAX,
        };
        let Some(resolved) = row.resolved() else {
            return Ok(vec![]);
        };
        let mut rows: Vec<CandidateInfo> = self
            .candidate_rows(name, None)
            .await?
            .into_iter()
            .filter(|r| {
                q.status_equals
                    .as_deref()
                    .is_none_or(|s| s == r.result.status.as_str())
                    && q.name_equals.as_deref().is_none_or(|n| n == r.result.name)
            })
            .collect();
        let metric = resolved.metric;
        let ordered = |o: std::cmp::Ordering| if descending { o.reverse() } else { o };
        match q.sort_by.as_deref().unwrap_or("FinalObjectiveMetricValue") {
            // Best first when descending; those without a value last in either order.
            "FinalObjectiveMetricValue" => rows.sort_by(|a, b| {
                let (sa, sb) = (a.result.rank_score(metric), b.result.rank_score(metric));
                match (sa.is_finite(), sb.is_finite()) {
                    (true, true) => ordered(sa.total_cmp(&sb)),
                    (true, false) => std::cmp::Ordering::Less,
                    (false, true) => std::cmp::Ordering::Greater,
                    (false, false) => std::cmp::Ordering::Equal,
                }
                .then(a.result.name.cmp(&b.result.name))
            }),
            "CreationTime" => rows.sort_by(|a, b| ordered(a.created_at.cmp(&b.created_at))),
            "Status" => {
                rows.sort_by(|a, b| ordered(a.result.status.as_str().cmp(b.result.status.as_str())))
            }
            s => {
                return Err(bad(
                    "SortBy",
                    format!("{s:?}: use FinalObjectiveMetricValue, CreationTime or Status"),
                ))
            }
        }
        rows.truncate(max);
        Ok(rows)
    }

    /// One candidate of a job, with the job's analysis its description needs.
    pub async fn candidate(
        &self,
        job: &str,
        name: &str,
    ) -> Result<(CandidateInfo, Resolved), ApiError> {
        let row = self.job_row(job).await?;
        self.candidate_rows(job, Some(name))
            .await?
            .pop()
            .zip(row.resolved())
            .ok_or_else(|| ApiError::not_found(format!("job {job:?} has no candidate {name:?}")))
    }

    /// Record a candidate as it ends; `is_best` when it beats the job's best so far.
    pub(super) async fn record_candidate(
        &self,
        job: &str,
        result: &CandidateResult,
        is_best: bool,
    ) -> Result<(), sqlx::Error> {
        let t = now();
        sqlx::query("INSERT OR REPLACE INTO candidates (job_name, name, status, objective, result, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(job)
            .bind(&result.name)
            .bind(result.status.as_str())
            .bind(result.objective)
            .bind(serde_json::to_string(result).unwrap_or_default())
            .bind(&t)
            .execute(&self.db)
            .await?;
        if is_best {
            sqlx::query("UPDATE jobs SET best_candidate = ?, updated_at = ? WHERE name = ?")
                .bind(&result.name)
                .bind(&t)
                .bind(job)
                .execute(&self.db)
                .await?;
        }
        Ok(())
    }

    pub(super) async fn set_progress(
        &self,
        job: &str,
        secondary: &str,
        progress: f64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE jobs SET secondary_status = ?, progress = ?, updated_at = ? WHERE name = ? AND status IN ('InProgress', 'Stopping')")
            .bind(secondary)
            .bind(progress)
            .bind(now())
            .bind(job)
            .execute(&self.db)
            .await
            .map(|_| ())
    }

    /// What the job trains now (`None` between candidates).
    pub(super) async fn set_training(
        &self,
        job: &str,
        training: Option<&Training>,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE jobs SET training = ? WHERE name = ?")
            .bind(training.and_then(|t| serde_json::to_string(t).ok()))
            .bind(job)
            .execute(&self.db)
            .await
            .map(|_| ())
    }

    pub(super) async fn set_resolved(&self, job: &str, r: &Resolved) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE jobs SET resolved = ? WHERE name = ?")
            .bind(serde_json::to_string(r).unwrap_or_default())
            .bind(job)
            .execute(&self.db)
            .await
            .map(|_| ())
    }

    /// The job's end: its final statuses and best candidate, or the failure's reason.
    pub(super) async fn end_job(
        &self,
        job: &str,
        outcome: Result<(&str, &str, Option<&str>), &str>,
    ) -> Result<(), sqlx::Error> {
        let t = now();
        match outcome {
            Ok((status, secondary, best)) => {
                sqlx::query("UPDATE jobs SET status = ?, secondary_status = ?, progress = 1, best_candidate = COALESCE(?, best_candidate), ended_at = ?, updated_at = ? WHERE name = ?")
                    .bind(status)
                    .bind(secondary)
                    .bind(best)
                    .bind(&t)
                    .bind(&t)
                    .bind(job)
                    .execute(&self.db)
                    .await?;
            }
            Err(reason) => {
                sqlx::query("UPDATE jobs SET status = 'Failed', secondary_status = 'Failed', failure_reason = ?, ended_at = ?, updated_at = ? WHERE name = ?")
                    .bind(reason)
                    .bind(&t)
                    .bind(&t)
                    .bind(job)
                    .execute(&self.db)
                    .await?;
            }
        }
        Ok(())
    }

    /// Delete a job that is not running: its rows and its folder.
    /// Deletes a job with its files (and its share links); `by` names who, for the audit log.
    pub async fn delete_job(&self, name: &str, by: &str) -> Result<(), ApiError> {
        let row = self.job_row(name).await?;
        if row.status == "InProgress" || row.status == "Stopping" {
            return Err(ApiError::new(
                axum::http::StatusCode::CONFLICT,
                format!("job {name:?} is {}; stop it first", row.status),
            ));
        }
        let mut tx = self.db.begin().await?;
        sqlx::query("DELETE FROM candidates WHERE job_name = ?")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM jobs WHERE name = ?")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        // The name was validated when the job was created, so the folder is the job's own.
        let folder = self.job_folder(name);
        if folder.root().exists() {
            tokio::fs::remove_dir_all(folder.root()).await?;
        }
        self.audit(by, "deleted", &format!("job {name}"), None)
            .await;
        Ok(())
    }

    /// After a restart no job is running: jobs left InProgress are marked Failed (or
    /// Stopped, if a stop was requested), keeping every finished candidate.
    pub async fn recover_jobs(&self) -> Result<(), ApiError> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT name, stop_requested FROM jobs WHERE status IN ('InProgress', 'Stopping')",
        )
        .fetch_all(&self.db)
        .await?;
        for (name, stop) in rows {
            let (kept,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM candidates WHERE job_name = ? AND status = 'Completed'",
            )
            .bind(&name)
            .fetch_one(&self.db)
            .await?;
            let (status, reason) = if stop != 0 {
                ("Stopped", None)
            } else {
                ("Failed", Some(format!("the server stopped while the job was running; its {kept} finished candidate(s) are kept")))
            };
            tracing::warn!(
                job = name,
                status,
                "recovering a job interrupted by a restart"
            );
            let t = now();
            sqlx::query("UPDATE jobs SET status = ?, secondary_status = ?, failure_reason = ?, ended_at = ?, updated_at = ? WHERE name = ?")
                .bind(status)
                .bind(status)
                .bind(reason)
                .bind(&t)
                .bind(&t)
                .bind(&name)
                .execute(&self.db)
                .await?;
            self.spawn_finish_interrupted(name);
        }
        Ok(())
    }
}
