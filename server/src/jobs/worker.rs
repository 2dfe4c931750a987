//! Running jobs in the server: a bounded worker pool that runs `job_run::run` off the
//! async runtime with an observer that writes status and candidates to SQLite; stop
//! flags; the review step of a candidates-only job.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use glassbox_app::model::Training;
use glassbox_engine::automl::job::{
    CandidateDefinition, CandidateResult, JobSpec, Prepared, SecondaryStatus,
};
use glassbox_engine::data::Table;

use super::wire::{CreateJob, TrainRequest};
use crate::error::ApiError;
use crate::job_run::{self, DataFile, Inputs, RunMeta, RunObserver, Start};
use crate::service::{internal_failure, now, Service};
use crate::shapes;

/// The request field naming where a job's results go.
pub(super) const OUTPUT_FIELD: &str = "OutputDataConfig.S3OutputPath";

fn bad(field: &str, msg: impl Into<String>) -> ApiError {
    ApiError::bad_request(field, msg)
}

/// The data sets a job reads.
#[derive(Debug, Clone)]
pub(super) struct JobData {
    pub dataset_id: String,
    pub validation_dataset: Option<String>,
    /// Where the job's folder is copied when it ends (`OutputDataConfig.S3OutputPath`).
    pub output_uri: Option<String>,
}

impl JobData {
    pub fn of(dataset_id: String, req: &CreateJob) -> Self {
        JobData {
            dataset_id,
            validation_dataset: req
                .input
                .iter()
                .find(|c| c.channel_type.as_deref() == Some("validation"))
                .and_then(|c| c.data_source.dataset_id.clone()),
            output_uri: req.output_uri().map(str::to_string),
        }
    }
}

/// Writes the job's progress to SQLite as it runs.
struct DbObserver<'a> {
    svc: &'a Service,
    handle: &'a tokio::runtime::Handle,
    name: &'a str,
    metric: Option<glassbox_engine::automl::metrics::Metric>,
    stop: Arc<AtomicBool>,
    /// The best rank score so far (larger is better).
    best: f64,
    last_write: Option<Instant>,
}

impl RunObserver for DbObserver<'_> {
    fn on_prepared(&mut self, _table: &Table, _validation_rows: usize, prep: &Prepared) {
        self.metric = Some(prep.resolved.metric);
        if let Err(e) = self
            .handle
            .block_on(self.svc.set_resolved(self.name, &prep.resolved))
        {
            tracing::error!(job = self.name, error = %e, "recording the analysis failed");
        }
    }

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
        let res = self.handle.block_on(self.svc.set_progress(
            self.name,
            shapes::secondary(status),
            progress,
        ));
        if let Err(e) = res {
            tracing::error!(job = self.name, error = %e, "status update failed");
        }
    }

    fn on_training(&mut self, def: &CandidateDefinition, fraction: f64) {
        let training = Training {
            name: def.name.clone(),
            algorithm: def.algorithm.as_str().to_string(),
            pipeline: def.pipeline.as_str().to_string(),
            fraction,
            started_at: now(),
            seconds: 0.0,
        };
        let res = self
            .handle
            .block_on(self.svc.set_training(self.name, Some(&training)));
        if let Err(e) = res {
            tracing::error!(job = self.name, error = %e, "recording the candidate in training failed");
        }
    }

    fn on_candidate(&mut self, result: &CandidateResult) {
        if let Err(e) = self.handle.block_on(self.svc.set_training(self.name, None)) {
            tracing::error!(job = self.name, error = %e, "recording the candidate in training failed");
        }
        // Only a completed candidate with a value has a finite score.
        let score = self
            .metric
            .map_or(f64::NEG_INFINITY, |m| result.rank_score(m));
        let is_best = score.is_finite() && score > self.best;
        if is_best {
            self.best = score;
        }
        let res = self
            .handle
            .block_on(self.svc.record_candidate(self.name, result, is_best));
        if let Err(e) = res {
            tracing::error!(job = self.name, error = %e, "recording a candidate failed");
        }
    }

    fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

impl Service {
    pub(super) fn spawn_job(&self, name: String, spec: JobSpec, data: JobData, start: Start) {
        let svc = self.clone();
        let stop = Arc::new(AtomicBool::new(false));
        svc.stops.lock().unwrap().insert(name.clone(), stop.clone());
        tokio::spawn(async move {
            let _permit = svc.workers.clone().acquire_owned().await;
            let handle = tokio::runtime::Handle::current();
            let svc2 = svc.clone();
            let name2 = name.clone();
            let output_uri = data.output_uri.clone();
            let mut outcome = tokio::task::spawn_blocking(move || {
                run_blocking(&svc2, &handle, &name2, &spec, &data, start, stop)
            })
            .await
            .unwrap_or_else(|e| Err(internal_failure("the job", e)));
            // The results are in the output location before the job says it has ended.
            if let (Ok(_), Some(uri)) = (&outcome, output_uri) {
                let dir = svc.job_folder(&name).root().to_path_buf();
                let copied = svc.export_dir(OUTPUT_FIELD, &uri, &name, &dir).await;
                if let Err(e) = copied {
                    outcome = Err(format!(
                        "the job's results could not be written to {uri}: {}",
                        e.message
                    ));
                }
            }
            let res = match &outcome {
                Ok((status, secondary, best)) => {
                    svc.end_job(&name, Ok((status, secondary, best.as_deref())))
                        .await
                }
                Err(reason) => {
                    tracing::warn!(job = name, reason, "job failed");
                    svc.end_job(&name, Err(reason)).await
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
        self.job_row(name).await?;
        match tokio::fs::read(self.job_folder(name).definitions_json()).await {
            Ok(b) => serde_json::from_slice(&b).map_err(ApiError::internal),
            Err(_) => Ok(vec![]),
        }
    }

    /// Train chosen candidates of a candidates-only job, in the same job.
    pub async fn train_job(&self, name: &str, req: TrainRequest) -> Result<(), ApiError> {
        let row = self.job_row(name).await?;
        if row.status != "Completed" || row.secondary_status != "CandidateDefinitionsGenerated" {
            return Err(ApiError::new(
                axum::http::StatusCode::CONFLICT,
                format!("only a candidates-only job that has generated its candidate definitions can train them; this job is {} ({})", row.status, row.secondary_status),
            ));
        }
        let definitions = self.candidate_definitions(name).await?;
        let chosen = choose_definitions(&definitions, &req)?;
        let spec = row.spec()?;
        let create = row
            .request()
            .ok_or_else(|| ApiError::internal("the job's request is unreadable"))?;
        let data = JobData::of(row.dataset_id.clone(), &create);
        sqlx::query("UPDATE jobs SET status = 'InProgress', secondary_status = 'Starting', progress = 0, stop_requested = 0, ended_at = NULL, updated_at = ? WHERE name = ?")
            .bind(now())
            .bind(name)
            .execute(&self.db)
            .await?;
        self.spawn_job(name.to_string(), spec, data, Start::Chosen(chosen));
        Ok(())
    }

    pub async fn stop_job(&self, name: &str) -> Result<(), ApiError> {
        let row = self.job_row(name).await?;
        if row.status != "InProgress" && row.status != "Stopping" {
            return Err(bad(
                "AutoMLJobName",
                format!("the job is already {}", row.status),
            ));
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
}

/// Run one job to its end; returns (status, secondary status, best candidate) or the
/// failure reason.
fn run_blocking(
    svc: &Service,
    handle: &tokio::runtime::Handle,
    name: &str,
    spec: &JobSpec,
    data: &JobData,
    start: Start,
    stop: Arc<AtomicBool>,
) -> Result<(&'static str, &'static str, Option<String>), String> {
    let started = Instant::now();
    let inputs = inputs_of(svc, handle, data)?;
    let row = handle.block_on(svc.job_row(name)).map_err(|e| e.message)?;
    let meta = RunMeta {
        name,
        input: row.input(),
        created: &row.created_at,
    };
    let mut obs = DbObserver {
        svc,
        handle,
        name,
        metric: None,
        stop,
        best: f64::NEG_INFINITY,
        last_write: None,
    };
    let outcome = job_run::run(
        &svc.job_folder(name),
        &meta,
        &inputs,
        spec,
        start,
        started,
        &mut obs,
    )
    .map_err(|e| failure_reason(&e))?;
    Ok((
        shapes::primary(outcome.secondary_status),
        shapes::secondary(outcome.secondary_status),
        outcome.best,
    ))
}

/// The files a job reads, and the names they are known by.
pub(super) fn inputs_of(
    svc: &Service,
    handle: &tokio::runtime::Handle,
    data: &JobData,
) -> Result<Inputs, String> {
    let file = |id: &str| -> Result<DataFile, String> {
        let ds = handle
            .block_on(svc.get_dataset(id))
            .map_err(|e| e.message)?;
        Ok(DataFile {
            path: svc.dataset_file(id),
            name: ds.name,
        })
    };
    Ok(Inputs {
        training: file(&data.dataset_id)?,
        validation: data.validation_dataset.as_deref().map(file).transpose()?,
        read: svc.settings.read.clone(),
    })
}

impl Service {
    /// A job that a restart ended keeps its finished candidates; its description,
    /// leaderboard and notebooks are written from them in the background.
    pub(super) fn spawn_finish_interrupted(&self, name: String) {
        let svc = self.clone();
        tokio::spawn(async move {
            let handle = tokio::runtime::Handle::current();
            let job = name.clone();
            let res = tokio::task::spawn_blocking(move || finish_interrupted(&svc, &handle, &job))
                .await
                .unwrap_or_else(|e| Err(internal_failure("writing the notebooks", e)));
            match res {
                Ok(()) => tracing::info!(job = name, "notebooks written for an interrupted job"),
                Err(e) => {
                    tracing::warn!(job = name, error = e, "no notebooks for an interrupted job")
                }
            }
        });
    }
}

fn finish_interrupted(
    svc: &Service,
    handle: &tokio::runtime::Handle,
    name: &str,
) -> Result<(), String> {
    let row = handle.block_on(svc.job_row(name)).map_err(|e| e.message)?;
    let Some(resolved) = row.resolved() else {
        return Err("the job ended before its data was analysed".into());
    };
    let spec = row.spec().map_err(|e| e.message)?;
    let create = row.request().ok_or("the job's request is unreadable")?;
    let inputs = inputs_of(svc, handle, &JobData::of(row.dataset_id.clone(), &create))?;
    let candidates = handle
        .block_on(svc.candidate_rows(name, None))
        .map_err(|e| e.message)?
        .into_iter()
        .map(|c| (c.result, c.created_at))
        .collect();
    let status = if row.status == "Stopped" {
        SecondaryStatus::Stopped
    } else {
        SecondaryStatus::Failed
    };
    let meta = RunMeta {
        name,
        input: row.input(),
        created: &row.created_at,
    };
    job_run::write_interrupted(
        &svc.job_folder(name),
        &meta,
        &inputs,
        &spec,
        resolved,
        candidates,
        status,
    )
    .map_err(|e| format!("{e:#}"))
}

/// Why a job failed, in words for its page: an engine rule's message without the
/// engine's field name (the request was checked against those rules when it came in).
fn failure_reason(e: &anyhow::Error) -> String {
    match e.downcast_ref::<glassbox_engine::EngineError>() {
        Some(glassbox_engine::EngineError::Invalid { message, .. }) => message.clone(),
        _ => format!("{e:#}"),
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
