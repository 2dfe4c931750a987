//! AutoML jobs in the server: CreateAutoMLJob validation, a bounded worker pool that runs
//! the engine off the async runtime, live status and candidates in SQLite, stop, and
//! recovery after a restart. The REST handlers and the pages both call these functions.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use glassbox_engine::automl::job::{
    self, CandidateDefinition, CandidateResult, JobObserver, JobSpec, Mode, Resolved,
    SecondaryStatus,
};
use glassbox_engine::automl::learners::{Algorithm, Range, ALL_ALGORITHMS};
use glassbox_engine::automl::metrics::{Metric, ALL_METRICS};
use glassbox_engine::automl::model::CandidateModel;
use glassbox_engine::data::{self, ColumnKind, ProblemType, Table};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::candidate_notebook::DataSource as NotebookSource;
use crate::error::ApiError;
use crate::runner::save_candidate;
use crate::service::{now, write_json, Service};
use crate::shapes;

// ---------------------------------------------------------------------------------------
// CreateAutoMLJob, as SageMaker spells it (FeatureSpecification inline).

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateJob {
    #[serde(rename = "AutoMLJobName")]
    pub name: String,
    #[serde(rename = "InputDataConfig")]
    pub input: Vec<Channel>,
    #[serde(rename = "ProblemType", default)]
    pub problem_type: Option<String>,
    #[serde(rename = "AutoMLJobObjective", default)]
    pub objective: Option<Objective>,
    #[serde(rename = "AutoMLJobConfig", default)]
    pub config: Option<JobConfig>,
    #[serde(rename = "GenerateCandidateDefinitionsOnly", default)]
    pub candidates_only: Option<bool>,
    #[serde(rename = "Tags", default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub tags: Option<Vec<Value>>,
    /// Accepted for SageMaker compatibility; Glassbox writes to its data folder.
    #[serde(rename = "OutputDataConfig", default)]
    #[schema(value_type = Option<Object>)]
    pub output: Option<Value>,
    #[serde(rename = "RoleArn", default)]
    #[schema(value_type = Option<Object>)]
    pub role_arn: Option<Value>,
    #[serde(rename = "ModelDeployConfig", default)]
    #[schema(value_type = Option<Object>)]
    pub model_deploy: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    #[serde(rename = "DataSource")]
    pub data_source: DataSource,
    #[serde(rename = "TargetAttributeName")]
    pub target: String,
    #[serde(rename = "ChannelType", default)]
    pub channel_type: Option<String>,
    #[serde(rename = "ContentType", default)]
    pub content_type: Option<String>,
    #[serde(rename = "CompressionType", default)]
    pub compression_type: Option<String>,
    #[serde(rename = "SampleWeightAttributeName", default)]
    pub sample_weight: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataSource {
    #[serde(rename = "DatasetId")]
    pub dataset_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Objective {
    #[serde(rename = "MetricName")]
    pub metric_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobConfig {
    #[serde(rename = "CompletionCriteria", default)]
    pub completion: Option<Completion>,
    #[serde(rename = "DataSplitConfig", default)]
    pub split: Option<SplitConfig>,
    #[serde(rename = "CandidateGenerationConfig", default)]
    pub generation: Option<Generation>,
    #[serde(rename = "Mode", default)]
    pub mode: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Completion {
    #[serde(rename = "MaxCandidates", default)]
    pub max_candidates: Option<i64>,
    #[serde(rename = "MaxRuntimePerTrainingJobInSeconds", default)]
    pub max_runtime_per_candidate: Option<f64>,
    #[serde(rename = "MaxAutoMLJobRuntimeInSeconds", default)]
    pub max_job_runtime: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitConfig {
    #[serde(rename = "ValidationFraction", default)]
    pub validation_fraction: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Generation {
    #[serde(rename = "FeatureSpecification", default)]
    pub features: Option<FeatureSpecification>,
    #[serde(rename = "AlgorithmsConfig", default)]
    pub algorithms: Option<Vec<AlgorithmsConfig>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeatureSpecification {
    #[serde(rename = "FeatureAttributeNames", default)]
    pub names: Option<Vec<String>>,
    #[serde(rename = "FeatureDataTypes", default)]
    pub types: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlgorithmsConfig {
    #[serde(rename = "AutoMLAlgorithms")]
    pub algorithms: Vec<String>,
}

/// `POST /api/automl-jobs/{name}/train`: the candidates to train after a candidates-only
/// job, and optionally edited search ranges (same shape as `candidate_definitions.json`).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainRequest {
    #[serde(rename = "Candidates")]
    pub candidates: Vec<String>,
    /// Candidate name → hyperparameter name → range, e.g.
    /// `{"cand-001-gbdt-dpp0": {"learning_rate": {"type": "float", "low": 0.02, "high": 0.1, "log": true}}}`.
    #[serde(rename = "HyperparameterRanges", default)]
    #[schema(value_type = Option<Object>)]
    pub ranges: Option<BTreeMap<String, BTreeMap<String, Range>>>,
}

/// Parse a request body, naming the JSON path of whatever is wrong.
pub fn parse_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        // "unknown field `X`" / "missing field `X`": name X itself.
        let named = msg
            .split('`')
            .nth(1)
            .filter(|_| msg.starts_with("unknown field") || msg.starts_with("missing field"));
        let field = match (named, path.as_str()) {
            (Some(f), "." | "") => f.to_string(),
            (Some(f), p) if msg.starts_with("missing field") => format!("{p}.{f}"),
            (Some(_), p) => p.to_string(),
            (None, "." | "") => "body".to_string(),
            (None, p) => p.to_string(),
        };
        ApiError::bad_request(&field, format!("{field}: {msg}"))
    })
}

fn valid_job_name(n: &str) -> bool {
    // SageMaker: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$
    let b = n.as_bytes();
    !b.is_empty()
        && b.len() <= 32
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

fn bad(field: &str, msg: impl Into<String>) -> ApiError {
    ApiError::bad_request(field, msg)
}

/// Everything a validated request turns into.
pub struct ValidJob {
    pub spec: JobSpec,
    pub dataset_id: String,
    pub validation_dataset: Option<String>,
}

impl Service {
    /// Check a CreateAutoMLJob body against the data sets it names; every problem is a
    /// 400 naming the field.
    pub async fn validate_job(&self, req: &CreateJob) -> Result<ValidJob, ApiError> {
        if !valid_job_name(&req.name) {
            return Err(bad("AutoMLJobName", "use 1 to 32 letters, digits and hyphens, starting and ending with a letter or digit"));
        }
        let taken: Option<(String,)> = sqlx::query_as("SELECT name FROM jobs WHERE name = ?")
            .bind(&req.name)
            .fetch_optional(&self.db)
            .await?;
        if taken.is_some() {
            return Err(bad(
                "AutoMLJobName",
                format!("a job named {:?} already exists", req.name),
            ));
        }
        if req.input.is_empty() || req.input.len() > 2 {
            return Err(bad(
                "InputDataConfig",
                "give one training channel and at most one validation channel",
            ));
        }
        let mut training = None;
        let mut validation = None;
        for (i, ch) in req.input.iter().enumerate() {
            let kind = ch.channel_type.as_deref().unwrap_or("training");
            let slot = match kind {
                "training" => &mut training,
                "validation" => &mut validation,
                other => {
                    return Err(bad(
                        &format!("InputDataConfig[{i}].ChannelType"),
                        format!("{other:?}: use training or validation"),
                    ))
                }
            };
            if slot.is_some() {
                return Err(bad(
                    &format!("InputDataConfig[{i}].ChannelType"),
                    format!("more than one {kind} channel"),
                ));
            }
            let ds = self
                .get_dataset(&ch.data_source.dataset_id)
                .await
                .map_err(|_| {
                    bad(
                        &format!("InputDataConfig[{i}].DataSource.DatasetId"),
                        format!("no data set with id {:?}", ch.data_source.dataset_id),
                    )
                })?;
            if ds.dataset_status == "Failed" {
                return Err(bad(
                    &format!("InputDataConfig[{i}].DataSource.DatasetId"),
                    format!(
                        "data set {:?} could not be read: {}",
                        ds.name,
                        ds.failure_reason.unwrap_or_default()
                    ),
                ));
            }
            if !ds.column_names.contains(&ch.target) {
                return Err(bad(
                    &format!("InputDataConfig[{i}].TargetAttributeName"),
                    format!("data set {:?} has no column named {:?}", ds.name, ch.target),
                ));
            }
            if ch.sample_weight.is_some() {
                return Err(bad(
                    &format!("InputDataConfig[{i}].SampleWeightAttributeName"),
                    "sample weights are not supported yet",
                ));
            }
            *slot = Some((ch.clone(), ds));
        }
        let Some((train_ch, train_ds)) = training else {
            return Err(bad("InputDataConfig", "a training channel is required"));
        };
        let mut spec = JobSpec::new(train_ch.target.clone());
        if let Some(p) = &req.problem_type {
            spec.problem_type = Some(ProblemType::parse(p).ok_or_else(|| {
                bad(
                    "ProblemType",
                    format!(
                        "{p:?}: use BinaryClassification, MulticlassClassification or Regression"
                    ),
                )
            })?);
        }
        if let Some(o) = &req.objective {
            let m = Metric::parse(&o.metric_name).ok_or_else(|| {
                let names: Vec<&str> = ALL_METRICS.iter().map(|m| m.as_str()).collect();
                bad(
                    "AutoMLJobObjective.MetricName",
                    format!(
                        "{:?} is not a metric; use one of {}",
                        o.metric_name,
                        names.join(", ")
                    ),
                )
            })?;
            if let Some(p) = spec.problem_type {
                if p.is_classification() != m.for_classification()
                    || (p == ProblemType::MulticlassClassification && m.binary_only())
                {
                    return Err(bad(
                        "AutoMLJobObjective.MetricName",
                        format!("{} does not fit {}", m.as_str(), p.as_str()),
                    ));
                }
            }
            spec.metric = Some(m);
        }
        let cfg = req.config.clone().unwrap_or_default();
        if let Some(c) = &cfg.completion {
            if let Some(n) = c.max_candidates {
                if n < 1 {
                    return Err(bad(
                        "AutoMLJobConfig.CompletionCriteria.MaxCandidates",
                        format!("must be at least 1, not {n}"),
                    ));
                }
                spec.max_candidates = Some(n as usize);
            }
            for (field, v) in [
                (
                    "MaxRuntimePerTrainingJobInSeconds",
                    c.max_runtime_per_candidate,
                ),
                ("MaxAutoMLJobRuntimeInSeconds", c.max_job_runtime),
            ] {
                if let Some(v) = v {
                    if !(v.is_finite() && v > 0.0) {
                        return Err(bad(
                            &format!("AutoMLJobConfig.CompletionCriteria.{field}"),
                            format!("must be a positive number of seconds, not {v}"),
                        ));
                    }
                }
            }
            spec.max_runtime_per_candidate = c.max_runtime_per_candidate;
            spec.max_job_runtime = c.max_job_runtime;
        }
        if let Some(f) = cfg.split.as_ref().and_then(|s| s.validation_fraction) {
            if !(f > 0.0 && f < 1.0) {
                return Err(bad(
                    "AutoMLJobConfig.DataSplitConfig.ValidationFraction",
                    format!("must be between 0 and 1, not {f}"),
                ));
            }
            spec.validation_fraction = f;
        }
        if let Some(m) = &cfg.mode {
            spec.mode = Mode::parse(m).ok_or_else(|| {
                bad(
                    "AutoMLJobConfig.Mode",
                    format!("{m:?}: use AUTO, ENSEMBLING or HYPERPARAMETER_TUNING"),
                )
            })?;
        }
        if let Some(g) = &cfg.generation {
            if let Some(list) = &g.algorithms {
                let mut algos = Vec::new();
                for name in list.iter().flat_map(|a| a.algorithms.iter()) {
                    algos.push(Algorithm::parse(name).ok_or_else(|| {
                        let names: Vec<&str> = ALL_ALGORITHMS.iter().map(|a| a.as_str()).collect();
                        bad(
                            "AutoMLJobConfig.CandidateGenerationConfig.AlgorithmsConfig",
                            format!("{name:?} is not an algorithm; use {}", names.join(", ")),
                        )
                    })?);
                }
                if algos.is_empty() {
                    return Err(bad(
                        "AutoMLJobConfig.CandidateGenerationConfig.AlgorithmsConfig",
                        "name at least one algorithm",
                    ));
                }
                spec.algorithms = Some(algos);
            }
            if let Some(fs) = &g.features {
                let field = "AutoMLJobConfig.CandidateGenerationConfig.FeatureSpecification";
                if let Some(names) = &fs.names {
                    for n in names {
                        if !train_ds.column_names.contains(n) {
                            return Err(bad(
                                &format!("{field}.FeatureAttributeNames"),
                                format!("no column named {n:?}"),
                            ));
                        }
                    }
                    spec.features = Some(names.clone());
                }
                for (col, t) in fs.types.iter().flatten() {
                    if !train_ds.column_names.contains(col) {
                        return Err(bad(
                            &format!("{field}.FeatureDataTypes"),
                            format!("no column named {col:?}"),
                        ));
                    }
                    let kind = ColumnKind::parse(t).ok_or_else(|| {
                        bad(
                            &format!("{field}.FeatureDataTypes"),
                            format!("{t:?}: use numeric, categorical, text or datetime"),
                        )
                    })?;
                    spec.type_overrides.insert(col.clone(), kind);
                }
            }
        }
        spec.candidates_only = req.candidates_only.unwrap_or(false);
        Ok(ValidJob {
            spec,
            dataset_id: train_ds.dataset_id,
            validation_dataset: validation.map(|(_, ds)| ds.dataset_id),
        })
    }

    pub async fn create_job(&self, req: CreateJob) -> Result<String, ApiError> {
        let valid = self.validate_job(&req).await?;
        let t = now();
        let inserted = sqlx::query(
            "INSERT INTO jobs (name, dataset_id, request, spec, status, secondary_status, created_at, updated_at) \
             VALUES (?, ?, ?, ?, 'InProgress', 'Starting', ?, ?)",
        )
        .bind(&req.name)
        .bind(&valid.dataset_id)
        .bind(serde_json::to_string(&req).unwrap_or_default())
        .bind(serde_json::to_string(&valid.spec).unwrap_or_default())
        .bind(&t)
        .bind(&t)
        .execute(&self.db)
        .await;
        if let Err(sqlx::Error::Database(e)) = &inserted {
            if e.is_unique_violation() {
                return Err(bad(
                    "AutoMLJobName",
                    format!("a job named {:?} already exists", req.name),
                ));
            }
        }
        inserted?;
        self.spawn_job(req.name.clone(), valid, None);
        Ok(shapes::arn(&req.name))
    }

    fn job_dir(&self, name: &str) -> PathBuf {
        self.settings.data_dir.join("jobs").join(name)
    }

    fn spawn_job(&self, name: String, valid: ValidJob, chosen: Option<Vec<CandidateDefinition>>) {
        let svc = self.clone();
        let stop = Arc::new(AtomicBool::new(false));
        svc.stops.lock().unwrap().insert(name.clone(), stop.clone());
        tokio::spawn(async move {
            let _permit = svc.workers.clone().acquire_owned().await;
            let handle = tokio::runtime::Handle::current();
            let svc2 = svc.clone();
            let name2 = name.clone();
            let outcome = tokio::task::spawn_blocking(move || {
                run_blocking(&svc2, &handle, &name2, valid, chosen, stop)
            })
            .await
            .unwrap_or_else(|e| Err(format!("the job crashed: {e}")));
            let t = now();
            let res = match outcome {
                Ok((status, secondary)) => {
                    sqlx::query("UPDATE jobs SET status = ?, secondary_status = ?, progress = 1, ended_at = ?, updated_at = ? WHERE name = ?")
                        .bind(status)
                        .bind(secondary)
                        .bind(&t)
                        .bind(&t)
                        .bind(&name)
                        .execute(&svc.db)
                        .await
                }
                Err(reason) => {
                    tracing::warn!(job = name, reason, "job failed");
                    sqlx::query("UPDATE jobs SET status = 'Failed', secondary_status = 'Failed', failure_reason = ?, ended_at = ?, updated_at = ? WHERE name = ?")
                        .bind(&reason)
                        .bind(&t)
                        .bind(&t)
                        .bind(&name)
                        .execute(&svc.db)
                        .await
                }
            };
            if let Err(e) = res {
                tracing::error!(job = name, error = %e, "could not record the job's end");
            }
            svc.stops.lock().unwrap().remove(&name);
        });
    }

    /// The candidate definitions a job generated (empty before it has).
    pub async fn candidate_definitions(
        &self,
        name: &str,
    ) -> Result<Vec<CandidateDefinition>, ApiError> {
        self.describe_job(name).await?;
        match tokio::fs::read(self.job_dir(name).join("candidate_definitions.json")).await {
            Ok(b) => serde_json::from_slice(&b).map_err(ApiError::internal),
            Err(_) => Ok(vec![]),
        }
    }

    /// Train chosen candidates of a candidates-only job, in the same job.
    pub async fn train_job(&self, name: &str, req: TrainRequest) -> Result<(), ApiError> {
        let row: Option<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT status, secondary_status, dataset_id, spec, request FROM jobs WHERE name = ?",
        )
        .bind(name)
        .fetch_optional(&self.db)
        .await?;
        let Some((status, secondary, dataset_id, spec, request)) = row else {
            return Err(ApiError::not_found(format!("no job named {name:?}")));
        };
        if status != "Completed" || secondary != "CandidateDefinitionsGenerated" {
            return Err(ApiError::new(
                axum::http::StatusCode::CONFLICT,
                format!("only a candidates-only job that has generated its candidate definitions can train them; this job is {status} ({secondary})"),
            ));
        }
        let definitions = self.candidate_definitions(name).await?;
        let chosen = choose_definitions(&definitions, &req)?;
        let spec: JobSpec = serde_json::from_str(&spec).map_err(ApiError::internal)?;
        let create: CreateJob = serde_json::from_str(&request).map_err(ApiError::internal)?;
        let validation_dataset = create
            .input
            .iter()
            .find(|c| c.channel_type.as_deref() == Some("validation"))
            .map(|c| c.data_source.dataset_id.clone());
        let valid = ValidJob {
            spec,
            dataset_id,
            validation_dataset,
        };
        let t = now();
        sqlx::query("UPDATE jobs SET status = 'InProgress', secondary_status = 'Starting', progress = 0, stop_requested = 0, ended_at = NULL, updated_at = ? WHERE name = ?")
            .bind(&t)
            .bind(name)
            .execute(&self.db)
            .await?;
        self.spawn_job(name.to_string(), valid, Some(chosen));
        Ok(())
    }

    pub async fn stop_job(&self, name: &str) -> Result<(), ApiError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT status FROM jobs WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.db)
            .await?;
        let Some((status,)) = row else {
            return Err(ApiError::not_found(format!("no job named {name:?}")));
        };
        if status != "InProgress" && status != "Stopping" {
            return Err(bad("AutoMLJobName", format!("the job is already {status}")));
        }
        sqlx::query("UPDATE jobs SET stop_requested = 1, status = 'Stopping', updated_at = ? WHERE name = ?")
            .bind(now())
            .bind(name)
            .execute(&self.db)
            .await?;
        if let Some(flag) = self.stops.lock().unwrap().get(name) {
            flag.store(true, Ordering::SeqCst);
        }
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
        }
        Ok(())
    }

    pub async fn describe_job(&self, name: &str) -> Result<Value, ApiError> {
        let row: Option<JobRow> = sqlx::query_as("SELECT * FROM jobs WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.db)
            .await?;
        let row = row.ok_or_else(|| ApiError::not_found(format!("no job named {name:?}")))?;
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM candidates WHERE job_name = ?")
            .bind(name)
            .fetch_one(&self.db)
            .await?;
        let best: Option<(String,)> = match &row.best_candidate {
            Some(b) => {
                sqlx::query_as("SELECT result FROM candidates WHERE job_name = ? AND name = ?")
                    .bind(name)
                    .bind(b)
                    .fetch_optional(&self.db)
                    .await?
            }
            None => None,
        };
        Ok(row.describe(
            best.and_then(|(r,)| serde_json::from_str(&r).ok()),
            count as usize,
        ))
    }

    pub async fn list_jobs(&self) -> Result<Vec<Value>, ApiError> {
        let rows: Vec<JobRow> = sqlx::query_as("SELECT * FROM jobs ORDER BY created_at DESC")
            .fetch_all(&self.db)
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                json!({
                    "AutoMLJobName": r.name,
                    "AutoMLJobArn": shapes::arn(&r.name),
                    "AutoMLJobStatus": r.status,
                    "AutoMLJobSecondaryStatus": r.secondary_status,
                    "CreationTime": r.created_at,
                    "EndTime": r.ended_at,
                    "LastModifiedTime": r.updated_at,
                    "FailureReason": r.failure_reason,
                    "DatasetId": r.dataset_id,
                    "BestCandidateName": r.best_candidate,
                    "Progress": r.progress,
                })
            })
            .collect())
    }

    /// ListCandidatesForAutoMLJob.
    pub async fn list_candidates(
        &self,
        name: &str,
        q: &CandidateQuery,
    ) -> Result<Vec<Value>, ApiError> {
        self.describe_job(name).await?;
        let order = match q.sort_order.as_deref().unwrap_or("Descending") {
            "Ascending" => "ASC",
            "Descending" => "DESC",
            o => {
                return Err(bad(
                    "SortOrder",
                    format!("{o:?}: use Ascending or Descending"),
                ))
            }
        };
        let sort_by = q.sort_by.as_deref().unwrap_or("FinalObjectiveMetricValue");
        let rows: Vec<(String, String, Option<f64>, String, String)> = sqlx::query_as(
            "SELECT name, status, objective, result, created_at FROM candidates WHERE job_name = ?",
        )
        .bind(name)
        .fetch_all(&self.db)
        .await?;
        if let Some(s) = &q.status_equals {
            if !["Completed", "InProgress", "Failed", "Stopped", "Stopping"].contains(&s.as_str()) {
                return Err(bad(
                    "StatusEquals",
                    format!("{s:?}: use Completed, InProgress, Failed, Stopped or Stopping"),
                ));
            }
        }
        let mut rows: Vec<_> = rows
            .into_iter()
            .filter(|r| q.status_equals.as_ref().is_none_or(|s| s == &r.1))
            .collect();
        match sort_by {
            "FinalObjectiveMetricValue" => rows.sort_by(|a, b| {
                // Missing values last in either order.
                match (a.2, b.2) {
                    (Some(x), Some(y)) => {
                        if order == "ASC" {
                            x.total_cmp(&y)
                        } else {
                            y.total_cmp(&x)
                        }
                    }
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => a.0.cmp(&b.0),
                }
            }),
            "CreationTime" => rows.sort_by(|a, b| {
                if order == "ASC" {
                    a.4.cmp(&b.4)
                } else {
                    b.4.cmp(&a.4)
                }
            }),
            "Status" => rows.sort_by(|a, b| {
                if order == "ASC" {
                    a.1.cmp(&b.1)
                } else {
                    b.1.cmp(&a.1)
                }
            }),
            s => {
                return Err(bad(
                    "SortBy",
                    format!("{s:?}: use FinalObjectiveMetricValue, CreationTime or Status"),
                ))
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
            None => 100,
        };
        Ok(rows
            .into_iter()
            .take(max)
            .filter_map(|r| serde_json::from_str(&r.3).ok())
            .collect())
    }

    /// A generated notebook file of a job, by its SPEC name (`data-exploration.ipynb`,
    /// `candidate-definition.ipynb`), or one of the files beside them, or
    /// `notebooks.zip`: everything needed to run them offline.
    pub async fn notebook(&self, job: &str, file: &str) -> Result<Vec<u8>, ApiError> {
        self.describe_job(job).await?;
        if file == "notebooks.zip" {
            return self.notebook_bundle(job).await;
        }
        let stored = NOTEBOOK_FILES
            .iter()
            .find(|(public, _)| *public == file)
            .map(|(_, stored)| *stored)
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "{file:?}: use {} or notebooks.zip",
                    NOTEBOOK_FILES
                        .iter()
                        .map(|f| f.0)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
        tokio::fs::read(self.job_dir(job).join("notebooks").join(stored))
            .await
            .map_err(|_| {
                ApiError::not_found(format!(
                    "{file} is not ready: {}",
                    if stored == "data_exploration.ipynb" {
                        "the job has not analysed its data yet"
                    } else {
                        "it is written when the job has generated its candidates"
                    }
                ))
            })
    }

    /// A zip of the job folder a notebook needs: `NAME/notebooks/…`, each trained
    /// candidate's `NAME/candidates/C/model.json`, and the data in `NAME/data/` (when
    /// below 200 MB; otherwise the notebook asks for its path).
    async fn notebook_bundle(&self, job: &str) -> Result<Vec<u8>, ApiError> {
        let dir = self.job_dir(job);
        if !dir
            .join("notebooks")
            .join("candidate_definition.ipynb")
            .exists()
        {
            return Err(ApiError::not_found(
                "notebooks.zip is not ready: it is made when the job has generated its candidates",
            ));
        }
        let dataset: Option<(String,)> =
            sqlx::query_as("SELECT dataset_id FROM jobs WHERE name = ?")
                .bind(job)
                .fetch_optional(&self.db)
                .await?;
        let data = match dataset {
            Some((id,)) => {
                let ds = self.get_dataset(&id).await?;
                Some((self.dataset_file(&id), ds.name))
            }
            None => None,
        };
        let job = job.to_string();
        tokio::task::spawn_blocking(move || zip_bundle(&dir, &job, data))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)
    }

    pub async fn candidate(&self, job: &str, name: &str) -> Result<Value, ApiError> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT result FROM candidates WHERE job_name = ? AND name = ?")
                .bind(job)
                .bind(name)
                .fetch_optional(&self.db)
                .await?;
        row.and_then(|(r,)| serde_json::from_str(&r).ok())
            .ok_or_else(|| ApiError::not_found(format!("job {job:?} has no candidate {name:?}")))
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CandidateQuery {
    #[serde(rename = "SortBy")]
    pub sort_by: Option<String>,
    #[serde(rename = "SortOrder")]
    pub sort_order: Option<String>,
    #[serde(rename = "StatusEquals")]
    pub status_equals: Option<String>,
    #[serde(rename = "MaxResults")]
    pub max_results: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    name: String,
    dataset_id: String,
    request: String,
    #[allow(dead_code)]
    spec: String,
    resolved: Option<String>,
    status: String,
    secondary_status: String,
    progress: f64,
    failure_reason: Option<String>,
    best_candidate: Option<String>,
    #[allow(dead_code)]
    stop_requested: i64,
    created_at: String,
    updated_at: String,
    ended_at: Option<String>,
}

impl JobRow {
    fn describe(&self, best: Option<Value>, count: usize) -> Value {
        let req: Option<CreateJob> = serde_json::from_str(&self.request).ok();
        let resolved: Option<Resolved> = self
            .resolved
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok());
        let meta = shapes::JobMeta {
            name: &self.name,
            input: req.as_ref().map_or(Value::Null, |r| {
                serde_json::to_value(&r.input).unwrap_or(Value::Null)
            }),
            created: &self.created_at,
            ended: self.ended_at.as_deref(),
            updated: &self.updated_at,
            candidates_only: req
                .as_ref()
                .and_then(|r| r.candidates_only)
                .unwrap_or(false),
            mode: req
                .as_ref()
                .and_then(|r| r.config.as_ref())
                .and_then(|c| c.mode.clone())
                .map(Value::from),
        };
        let mut v = shapes::describe(
            &meta,
            &shapes::JobState {
                status: &self.status,
                secondary: &self.secondary_status,
                progress: self.progress,
                failure_reason: self.failure_reason.as_deref(),
                resolved: resolved.as_ref(),
                best,
                candidate_count: count,
            },
        );
        v["DatasetId"] = json!(self.dataset_id);
        let end = self
            .ended_at
            .as_deref()
            .and_then(|e| chrono::DateTime::parse_from_rfc3339(e).ok())
            .map(|d| d.with_timezone(&chrono::Utc));
        if let Ok(start) = chrono::DateTime::parse_from_rfc3339(&self.created_at) {
            let end = end.unwrap_or_else(chrono::Utc::now);
            v["ElapsedSeconds"] =
                json!((end - start.with_timezone(&chrono::Utc)).num_milliseconds() as f64 / 1000.0);
        }
        v
    }
}

/// The definitions a train request picks, with its edited ranges; a 400 naming the field
/// for an unknown candidate or hyperparameter, or a range that does not fit.
fn choose_definitions(
    definitions: &[CandidateDefinition],
    req: &TrainRequest,
) -> Result<Vec<CandidateDefinition>, ApiError> {
    if req.candidates.is_empty() {
        return Err(bad("Candidates", "choose at least one candidate"));
    }
    let mut chosen: Vec<CandidateDefinition> = Vec::new();
    for (i, name) in req.candidates.iter().enumerate() {
        let Some(d) = definitions.iter().find(|d| &d.name == name) else {
            return Err(bad(
                &format!("Candidates[{i}]"),
                format!("no candidate definition named {name:?}"),
            ));
        };
        if chosen.iter().any(|c| &c.name == name) {
            return Err(bad(
                &format!("Candidates[{i}]"),
                format!("{name:?} is chosen twice"),
            ));
        }
        chosen.push(d.clone());
    }
    for (cand, edits) in req.ranges.iter().flatten() {
        let Some(def) = chosen.iter_mut().find(|d| &d.name == cand) else {
            return Err(bad(
                &format!("HyperparameterRanges.{cand}"),
                format!("{cand:?} is not among the chosen candidates"),
            ));
        };
        for (param, range) in edits {
            let field = format!("HyperparameterRanges.{cand}.{param}");
            let Some(original) = def.ranges.get(param) else {
                return Err(bad(
                    &field,
                    format!(
                        "{cand} has no hyperparameter {param:?}; its ranges are {}",
                        def.ranges.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                ));
            };
            range.check_edit(original).map_err(|e| bad(&field, e))?;
            def.ranges.insert(param.clone(), range.clone());
        }
    }
    Ok(chosen)
}

/// Public names of the files in a job's `notebooks/` folder, and their stored names.
pub const NOTEBOOK_FILES: [(&str, &str); 5] = [
    ("data-exploration.ipynb", "data_exploration.ipynb"),
    ("candidate-definition.ipynb", "candidate_definition.ipynb"),
    ("requirements.txt", "requirements.txt"),
    ("glassbox_helpers.py", "glassbox_helpers.py"),
    ("splits.json", "splits.json"),
];

/// Files larger than this stay out of `notebooks.zip` (a README says where they are).
const BUNDLE_FILE_LIMIT: u64 = 200 * 1024 * 1024;

type Zip = zip::ZipWriter<std::io::Cursor<Vec<u8>>>;

fn zip_options() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true)
}

/// Add the file at `path` as `name`, or, above the size limit, a README saying where it is.
fn zip_add(
    zip: &mut Zip,
    name: &str,
    path: &std::path::Path,
    whereabouts: &str,
) -> anyhow::Result<()> {
    use std::io::Write;
    let size = std::fs::metadata(path)?.len();
    if size <= BUNDLE_FILE_LIMIT {
        zip.start_file(name, zip_options())?;
        std::io::copy(&mut std::fs::File::open(path)?, zip)?;
    } else {
        let (folder, file) = name.rsplit_once('/').unwrap_or(("", name));
        zip.start_file(format!("{folder}/README.txt"), zip_options())?;
        writeln!(
            zip,
            "{file} ({size} bytes) is too large for this download; {whereabouts}"
        )?;
    }
    Ok(())
}

fn zip_bundle(
    dir: &std::path::Path,
    job: &str,
    data: Option<(PathBuf, String)>,
) -> anyhow::Result<Vec<u8>> {
    let mut zip: Zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (_, stored) in NOTEBOOK_FILES {
        let path = dir.join("notebooks").join(stored);
        if path.exists() {
            zip_add(&mut zip, &format!("{job}/notebooks/{stored}"), &path, "")?;
        }
    }
    if let Ok(entries) = std::fs::read_dir(dir.join("candidates")) {
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for c in names {
            let path = dir.join("candidates").join(&c).join("model.json");
            if path.exists() {
                zip_add(
                    &mut zip,
                    &format!("{job}/candidates/{c}/model.json"),
                    &path,
                    &format!("copy it from the server's data folder (jobs/{job}/candidates/{c}/)."),
                )?;
            }
        }
    }
    if let Some((path, name)) = data {
        let safe: String = name
            .chars()
            .map(|c| if matches!(c, '/' | '\\') { '_' } else { c })
            .collect();
        zip_add(
            &mut zip,
            &format!("{job}/data/{safe}"),
            &path,
            "put it here, or set DATA_FILE in the notebooks.",
        )?;
    }
    Ok(zip.finish()?.into_inner())
}

// ---------------------------------------------------------------------------------------
// The job itself, on a blocking thread.

struct DbObserver<'a> {
    svc: &'a Service,
    handle: &'a tokio::runtime::Handle,
    name: &'a str,
    dir: PathBuf,
    resolved: Resolved,
    stop: Arc<AtomicBool>,
    best: Option<f64>,
    last_write: Option<Instant>,
}

impl JobObserver for DbObserver<'_> {
    fn on_status(&mut self, status: SecondaryStatus, progress: f64) {
        // Progress ticks are frequent; status changes always get written.
        if self
            .last_write
            .is_some_and(|t| t.elapsed() < Duration::from_millis(300))
            && status == SecondaryStatus::ModelTuning
        {
            return;
        }
        self.last_write = Some(Instant::now());
        let secondary = shapes::secondary(status);
        let res = self.handle.block_on(
            sqlx::query("UPDATE jobs SET secondary_status = ?, progress = ?, updated_at = ? WHERE name = ? AND status IN ('InProgress', 'Stopping')")
                .bind(secondary)
                .bind(progress)
                .bind(now())
                .bind(self.name)
                .execute(&self.svc.db),
        );
        if let Err(e) = res {
            tracing::error!(job = self.name, error = %e, "status update failed");
        }
    }

    fn on_candidate(&mut self, result: &CandidateResult, model: &CandidateModel) {
        if let Err(e) = save_candidate(&self.dir, result, model) {
            tracing::error!(job = self.name, candidate = result.name, error = %e, "saving a candidate failed");
            return;
        }
        let t = now();
        let shaped = shapes::candidate(result, &self.resolved, &t);
        let score = result.objective.map(|v| self.resolved.metric.score(v));
        let is_best = match (score, self.best) {
            (Some(s), Some(b)) => s > b,
            (Some(_), None) => true,
            _ => false,
        };
        if is_best {
            self.best = score;
        }
        let svc = self.svc;
        let res = self.handle.block_on(async {
            let status = match result.status {
                job::CandidateStatus::Completed => "Completed",
                job::CandidateStatus::Failed => "Failed",
                job::CandidateStatus::Stopped => "Stopped",
            };
            sqlx::query("INSERT OR REPLACE INTO candidates (job_name, name, status, objective, result, created_at) VALUES (?, ?, ?, ?, ?, ?)")
                .bind(self.name)
                .bind(&result.name)
                .bind(status)
                .bind(result.objective)
                .bind(shaped.to_string())
                .bind(&t)
                .execute(&svc.db)
                .await?;
            if is_best {
                sqlx::query("UPDATE jobs SET best_candidate = ?, updated_at = ? WHERE name = ?")
                    .bind(&result.name)
                    .bind(&t)
                    .bind(self.name)
                    .execute(&svc.db)
                    .await?;
            }
            Ok::<_, sqlx::Error>(())
        });
        if let Err(e) = res {
            tracing::error!(job = self.name, error = %e, "recording a candidate failed");
        }
    }

    fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

fn load_table(
    svc: &Service,
    valid: &ValidJob,
    handle: &tokio::runtime::Handle,
) -> Result<(Table, Option<Vec<usize>>), String> {
    let read = |id: &str| -> Result<data::RawTable, String> {
        let ds = handle
            .block_on(svc.get_dataset(id))
            .map_err(|e| e.message)?;
        let bytes = std::fs::read(svc.dataset_file(id)).map_err(|e| format!("{}: {e}", ds.name))?;
        data::read_bytes(&ds.name, bytes, &svc.settings.read).map_err(|e| e.to_string())
    };
    let mut raw = read(&valid.dataset_id)?;
    let mut rows = None;
    if let Some(v) = &valid.validation_dataset {
        let other = read(v)?;
        let start = raw.height();
        let n = other.height();
        raw = raw.append(other).map_err(|e| e.to_string())?;
        rows = Some((start..start + n).collect());
    }
    let table = Table::from_raw(raw, Some(&valid.spec.target), &valid.spec.type_overrides)
        .map_err(|e| e.to_string())?;
    Ok((table, rows))
}

/// Run one job to its end; returns (status, secondary status) or the failure reason.
fn run_blocking(
    svc: &Service,
    handle: &tokio::runtime::Handle,
    name: &str,
    valid: ValidJob,
    chosen: Option<Vec<CandidateDefinition>>,
    stop: Arc<AtomicBool>,
) -> Result<(&'static str, &'static str), String> {
    let started = Instant::now();
    let status = |s: &str| {
        let _ = handle.block_on(
            sqlx::query("UPDATE jobs SET secondary_status = ?, updated_at = ? WHERE name = ?")
                .bind(s)
                .bind(now())
                .bind(name)
                .execute(&svc.db),
        );
    };
    status("AnalyzingData");
    let (table, valid_rows) = load_table(svc, &valid, handle)?;
    let prep =
        job::prepare(&table, &valid.spec, valid_rows.as_deref()).map_err(|e| e.to_string())?;
    let dir = svc.job_dir(name);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    // The exploration notebook for this job's target (validation-file rows excluded);
    // already written when training chosen candidates.
    if valid.validation_dataset.is_none() && chosen.is_none() {
        let p = glassbox_engine::profile::profile_table(&table, Some(&valid.spec.target));
        crate::notebooks::write_data_exploration(
            &dir.join("notebooks"),
            &p,
            &svc.dataset_file(&valid.dataset_id),
        )
        .map_err(|e| format!("writing the exploration notebook: {e}"))?;
    }
    let _ = handle.block_on(
        sqlx::query("UPDATE jobs SET resolved = ? WHERE name = ?")
            .bind(serde_json::to_string(&prep.resolved).unwrap_or_default())
            .bind(name)
            .execute(&svc.db),
    );
    let deadline = valid
        .spec
        .max_job_runtime
        .map(|s| started + Duration::from_secs_f64(s));
    let mut obs = DbObserver {
        svc,
        handle,
        name,
        dir: dir.clone(),
        resolved: prep.resolved.clone(),
        stop,
        best: None,
        last_write: None,
    };
    let training_chosen = chosen.is_some();
    let outcome = job::run_prepared(&table, &valid.spec, &prep, chosen, deadline, &mut obs);
    write_json(&dir.join("splits.json"), &outcome.split).map_err(|e| e.to_string())?;
    // After training chosen candidates the file keeps every definition offered.
    if !training_chosen {
        write_json(
            &dir.join("candidate_definitions.json"),
            &outcome.definitions,
        )
        .map_err(|e| e.to_string())?;
    }
    let ds = handle
        .block_on(svc.get_dataset(&valid.dataset_id))
        .map_err(|e| e.message)?;
    let validation = match &valid.validation_dataset {
        Some(v) => Some((
            svc.dataset_file(v),
            handle
                .block_on(svc.get_dataset(v))
                .map_err(|e| e.message)?
                .name,
        )),
        None => None,
    };
    let source = NotebookSource::of(
        &table,
        svc.dataset_file(&valid.dataset_id),
        ds.name,
        validation,
    );
    crate::candidate_notebook::write_candidate_definition(
        &dir.join("notebooks"),
        name,
        &valid.spec,
        &source,
        &outcome,
    )
    .map_err(|e| format!("writing the candidate notebook: {e}"))?;
    if let Some(best) = &outcome.best {
        let _ = handle.block_on(
            sqlx::query("UPDATE jobs SET best_candidate = ? WHERE name = ?")
                .bind(best)
                .bind(name)
                .execute(&svc.db),
        );
    }
    Ok((
        shapes::primary(outcome.secondary_status),
        shapes::secondary(outcome.secondary_status),
    ))
}
