//! Real-time endpoints: a model loaded once and kept in memory, answering
//! `POST /endpoints/{name}/invocations` (the sagemaker-runtime path). An endpoint serves an
//! approved registered version, or a candidate straight from its job. Updating swaps the
//! loaded model atomically: a request holds the model it started with, so none fails
//! during the swap.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use axum::http::StatusCode;
use glassbox_app::model::EndpointInfo;
use glassbox_engine::automl::metrics::Predictions;
use glassbox_engine::automl::model::CandidateModel;
use glassbox_engine::data::{RawTable, ReadOptions};
use glassbox_engine::EngineError;
use serde_json::{json, Map, Value};

use crate::auth::Actor;
use crate::error::ApiError;
use crate::monitor::Capture;
use crate::registry::check_name;
use crate::service::{now, Service};

/// What an endpoint serves now: its model, and what it keeps of its requests.
pub struct Serving {
    pub model: Arc<CandidateModel>,
    /// The model's folder (its SHAP background rows are there).
    pub dir: PathBuf,
    pub capture: Option<Capture>,
}

/// The endpoints in service, by name.
pub type LiveModels = Arc<RwLock<HashMap<String, Arc<Serving>>>>;

/// Largest invocation payload, as SageMaker's.
pub const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;

/// What an endpoint or a transform job serves.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    Package { group: String, version: i64 },
    Candidate { job: String, candidate: String },
}

/// The four columns a source is stored in: group, version, job, candidate.
pub type SourceColumns = (Option<String>, Option<i64>, Option<String>, Option<String>);

/// A registered version named `GROUP/VERSION` or by its ARN
/// (`arn:…:model-package/GROUP/VERSION`): its group and number. `field` names it in errors.
pub fn package_ref(field: &str, given: &str) -> Result<(String, i64), ApiError> {
    let tail = given
        .split_once(":model-package/")
        .map_or(given, |(_, t)| t);
    let bad = || {
        ApiError::bad_request(
            field,
            format!("{given:?}: name a model package version as GROUP/VERSION (or its ARN)"),
        )
    };
    let (group, version) = tail.rsplit_once('/').ok_or_else(bad)?;
    Ok((group.to_string(), version.parse().map_err(|_| bad())?))
}

impl Source {
    /// A request's `ModelPackage` ("GROUP/VERSION") or `SourceCandidate` (job, candidate):
    /// exactly one of them.
    pub fn given(
        package: Option<&str>,
        candidate: Option<(&str, &str)>,
    ) -> Result<Source, ApiError> {
        match (package, candidate) {
            (Some(p), None) => Source::package("ModelPackage", p),
            (None, Some((job, candidate))) => Ok(Source::Candidate {
                job: job.to_string(),
                candidate: candidate.to_string(),
            }),
            _ => Err(ApiError::bad_request(
                "ModelPackage",
                "give either ModelPackage (\"group/version\") or SourceCandidate",
            )),
        }
    }

    /// A registered version named `GROUP/VERSION` or by its ARN; `field` names it in
    /// errors.
    pub fn package(field: &str, given: &str) -> Result<Source, ApiError> {
        let (group, version) = package_ref(field, given)?;
        Ok(Source::Package { group, version })
    }

    pub fn columns(&self) -> SourceColumns {
        match self {
            Source::Package { group, version } => (Some(group.clone()), Some(*version), None, None),
            Source::Candidate { job, candidate } => {
                (None, None, Some(job.clone()), Some(candidate.clone()))
            }
        }
    }

    pub fn from_columns((group, version, job, candidate): SourceColumns) -> Option<Source> {
        match (group, version, job, candidate) {
            (Some(group), Some(version), _, _) => Some(Source::Package { group, version }),
            (_, _, Some(job), Some(candidate)) => Some(Source::Candidate { job, candidate }),
            _ => None,
        }
    }
}

/// An endpoint as stored.
#[derive(sqlx::FromRow)]
struct EndpointRow {
    name: String,
    group_name: Option<String>,
    version: Option<i64>,
    job_name: Option<String>,
    candidate: Option<String>,
    status: String,
    failure_reason: Option<String>,
    created_at: String,
    updated_at: String,
    capture_percent: i64,
    capture_max_bytes: i64,
}

impl From<EndpointRow> for EndpointInfo {
    fn from(r: EndpointRow) -> EndpointInfo {
        EndpointInfo {
            name: r.name,
            status: r.status,
            failure_reason: r.failure_reason,
            package: r.group_name.zip(r.version),
            candidate: r.job_name.zip(r.candidate),
            created_at: r.created_at,
            updated_at: r.updated_at,
            capture_percent: r.capture_percent.clamp(0, 100) as u32,
            capture_max_bytes: r.capture_max_bytes.max(0) as u64,
        }
    }
}

/// What an endpoint serves.
pub fn source_of(e: &EndpointInfo) -> Option<Source> {
    let (group, version) = e.package.clone().unzip();
    let (job, candidate) = e.candidate.clone().unzip();
    Source::from_columns((group, version, job, candidate))
}

/// The formats an invocation speaks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Format {
    Csv,
    Json,
    JsonLines,
}

impl Format {
    /// From a Content-Type or Accept value (`None`: not one of ours).
    pub fn parse(media: &str) -> Option<Format> {
        let m = media
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match m.as_str() {
            "text/csv" => Some(Format::Csv),
            "application/json" => Some(Format::Json),
            "application/jsonlines" | "application/x-jsonlines" | "application/jsonl" => {
                Some(Format::JsonLines)
            }
            _ => None,
        }
    }
    pub fn media(self) -> &'static str {
        match self {
            Format::Csv => "text/csv",
            Format::Json => "application/json",
            Format::JsonLines => "application/jsonlines",
        }
    }
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("body", message)
}

/// A JSON value as a CSV cell: numbers and strings as written, null as missing.
fn cell(v: &Value) -> Result<String, String> {
    match v {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(format!(
            "{other} is not a value (a string, number, boolean or null)"
        )),
    }
}

/// One instance (an object by column name, or an array in training order) as a row.
fn instance_row(
    model: &CandidateModel,
    names: &[String],
    i: usize,
    v: &Value,
) -> Result<Vec<String>, ApiError> {
    let at = |msg: String| bad(format!("instance {}: {msg}", i + 1));
    match v {
        Value::Object(map) => {
            if let Some(k) = map
                .keys()
                .find(|k| !names.contains(k) && **k != model.target)
            {
                return Err(at(format!(
                    "unknown column {k:?}; the columns are {}",
                    names.join(", ")
                )));
            }
            names
                .iter()
                .map(|n| {
                    map.get(n).map_or(Ok(String::new()), |v| {
                        cell(v).map_err(|e| at(format!("column {n:?}: {e}")))
                    })
                })
                .collect()
        }
        Value::Array(items) => {
            if items.len() != names.len() {
                return Err(at(format!(
                    "{} values, expected {} (the columns in training order: {})",
                    items.len(),
                    names.len(),
                    names.join(", ")
                )));
            }
            items
                .iter()
                .zip(names)
                .map(|(v, n)| cell(v).map_err(|e| at(format!("column {n:?}: {e}"))))
                .collect()
        }
        _ => Err(at(
            "expected an object of column values or an array in training order".into(),
        )),
    }
}

/// The request's rows, as cells in training column order.
fn rows_of(
    model: &CandidateModel,
    names: &[String],
    format: Format,
    body: &[u8],
) -> Result<Vec<Vec<String>>, ApiError> {
    let rows = match format {
        Format::Csv => {
            let records = crate::csv_body::records(body).map_err(bad)?;
            // Autopilot's containers take every training column but the target; the
            // model's own columns are taken from such a row by name.
            let all = &model.input_columns;
            let picks: Option<Vec<usize>> = (all.len() != names.len() && !all.is_empty())
                .then(|| {
                    names
                        .iter()
                        .map(|n| all.iter().position(|c| c == n))
                        .collect()
                })
                .flatten();
            let mut rows = Vec::new();
            for (i, rec) in records.into_iter().enumerate() {
                match &picks {
                    _ if rec.len() == names.len() => rows.push(rec),
                    Some(p) if rec.len() == all.len() => {
                        rows.push(p.iter().map(|&j| rec[j].clone()).collect())
                    }
                    _ => {
                        let full = if picks.is_some() {
                            format!(
                                ", or {} (every training column but the target: {})",
                                all.len(),
                                all.join(", ")
                            )
                        } else {
                            String::new()
                        };
                        return Err(bad(format!(
                            "row {}: {} fields, expected {} (the columns in training order, without the target: {}){full}",
                            i + 1,
                            rec.len(),
                            names.len(),
                            names.join(", ")
                        )));
                    }
                }
            }
            rows
        }
        Format::Json => {
            let v: Value =
                serde_json::from_slice(body).map_err(|e| bad(format!("not JSON: {e}")))?;
            let instances = v
                .get("instances")
                .and_then(Value::as_array)
                .ok_or_else(|| bad("expected {\"instances\": [{column: value, …}, …]}"))?;
            instances
                .iter()
                .enumerate()
                .map(|(i, x)| instance_row(model, names, i, x))
                .collect::<Result<_, _>>()?
        }
        Format::JsonLines => std::str::from_utf8(body)
            .map_err(|_| bad("the body is not UTF-8"))?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(i, line)| {
                let v: Value = serde_json::from_str(line)
                    .map_err(|e| bad(format!("line {}: not JSON: {e}", i + 1)))?;
                let v = v.get("features").cloned().unwrap_or(v);
                instance_row(model, names, i, &v)
            })
            .collect::<Result<_, _>>()?,
    };
    if rows.is_empty() {
        return Err(bad("the request has no rows"));
    }
    Ok(rows)
}

/// Predictions for a request body, in the `accept` format (with each row's SHAP values per
/// input column when `explain`, as `glassbox predict --explain` computes them); the rows
/// are captured when the endpoint keeps them.
pub fn invoke(
    serving: &Serving,
    format: Format,
    accept: Format,
    body: &[u8],
    explain: bool,
) -> Result<Vec<u8>, ApiError> {
    let model = &serving.model;
    let names: Vec<String> = model.features.iter().map(|f| f.name.clone()).collect();
    let rows = rows_of(model, &names, format, body)?;
    let opts = ReadOptions::default();
    let located = |e: EngineError| match e {
        EngineError::Data { location, message } => bad(format!(
            "{}{}: {message}",
            location
                .line
                .map(|l| format!("row {}", l.saturating_sub(1)))
                .unwrap_or_else(|| "the request".into()),
            location
                .column
                .map(|c| format!(", column {c:?}"))
                .unwrap_or_default()
        )),
        other => bad(other.to_string()),
    };
    let raw = RawTable::from_rows("request", &names, &rows).map_err(located)?;
    let preds = model.predict_raw(&raw).map_err(located)?;
    if let Some(c) = &serving.capture {
        c.keep(&rows, &crate::scoring::predicted_labels(model, &preds));
    }
    let shap = if explain {
        let (names, cells) = crate::predict::shap_columns(model, &serving.dir, raw, &preds, &opts)
            .map_err(|e| ApiError::new(StatusCode::CONFLICT, format!("explaining: {e:#}")))?;
        Some((names, cells))
    } else {
        None
    };
    Ok(render(model, &preds, accept, shap))
}

/// The answers; `shap`: the SHAP column names (`shap_<column>`, `shap_base`) and each
/// row's values.
fn render(
    model: &CandidateModel,
    preds: &Predictions,
    accept: Format,
    shap: Option<(Vec<String>, Vec<Vec<String>>)>,
) -> Vec<u8> {
    if accept == Format::Csv {
        return csv_answers(model, preds, shap.as_ref());
    }
    let mut answers: Vec<Value> = match preds {
        Predictions::Values(v) => v.iter().map(|x| json!({ "predicted_label": x })).collect(),
        Predictions::Proba { p, k } => p
            .chunks(*k)
            .zip(preds.classes())
            .map(|(row, c)| {
                let probabilities: Map<String, Value> = model
                    .classes
                    .iter()
                    .zip(row)
                    .map(|(l, x)| (l.clone(), json!(x)))
                    .collect();
                json!({
                    "predicted_label": model.classes[c],
                    "probability": row[c],
                    "probabilities": probabilities,
                })
            })
            .collect(),
    };
    if let Some((names, cells)) = &shap {
        for (a, row) in answers.iter_mut().zip(cells) {
            let values: Map<String, Value> = names
                .iter()
                .zip(row)
                .map(|(n, v)| {
                    let v = v.parse::<f64>().map_or(Value::Null, |x| json!(x));
                    (n.strip_prefix("shap_").unwrap_or(n).to_string(), v)
                })
                .collect();
            a["shap"] = Value::Object(values);
        }
    }
    if accept == Format::Json {
        json!({ "predictions": answers }).to_string().into_bytes()
    } else {
        answers
            .iter()
            .map(|a| format!("{a}\n"))
            .collect::<String>()
            .into_bytes()
    }
}

/// CSV answers, one line per row: `predict`'s cells (the label, and the probability for
/// classes), then the SHAP values in their columns' order (`shap_<column>`…, `shap_base`).
fn csv_answers(
    model: &CandidateModel,
    preds: &Predictions,
    shap: Option<&(Vec<String>, Vec<Vec<String>>)>,
) -> Vec<u8> {
    let width = if model.classes.is_empty() { 1 } else { 2 };
    let mut w = csv::Writer::from_writer(Vec::new());
    for (i, mut rec) in crate::scoring::prediction_records(model, preds)
        .into_iter()
        .enumerate()
    {
        rec.truncate(width);
        if let Some((_, cells)) = shap {
            rec.extend(cells[i].iter().cloned());
        }
        let _ = w.write_record(&rec);
    }
    w.into_inner().unwrap_or_default()
}

impl Service {
    /// The model folder a source names: a version's frozen folder, or the candidate's in
    /// its job.
    pub(crate) async fn model_dir_of(&self, source: &Source) -> Result<PathBuf, ApiError> {
        Ok(match source {
            Source::Package { group, version } => {
                self.package_model_dir(&self.package(group, *version).await?)
            }
            Source::Candidate { job, candidate } => self.job_folder(job).candidate(candidate),
        })
    }

    /// The model folder an endpoint or transform source names, checked: a version must
    /// be Approved.
    pub(crate) async fn deployable_dir(&self, source: &Source) -> Result<PathBuf, ApiError> {
        match source {
            Source::Package { group, version } => {
                let p = self
                    .package(group, *version)
                    .await
                    .map_err(|e| ApiError::bad_request("ModelPackage", e.message))?;
                if p.approval != "Approved" {
                    return Err(ApiError::bad_request(
                        "ModelPackage",
                        format!("model package {group}/{version} is {}: only an Approved version can be deployed", p.approval),
                    ));
                }
                Ok(self.package_model_dir(&p))
            }
            Source::Candidate { job, candidate } => {
                self.candidate(job, candidate)
                    .await
                    .map_err(|e| ApiError::bad_request("SourceCandidate", e.message))?;
                let dir = self.job_folder(job).candidate(candidate);
                if !dir.join("model.json").is_file() {
                    return Err(ApiError::bad_request(
                        "SourceCandidate",
                        format!("candidate {candidate:?} has no model"),
                    ));
                }
                Ok(dir)
            }
        }
    }

    async fn load(&self, dir: PathBuf) -> Result<Arc<CandidateModel>, ApiError> {
        tokio::task::spawn_blocking(move || CandidateModel::load(&dir))
            .await
            .map_err(ApiError::internal)?
            .map(Arc::new)
            .map_err(|e| {
                ApiError::new(
                    StatusCode::CONFLICT,
                    format!("the model does not load: {e}"),
                )
            })
    }

    fn put_live(&self, name: &str, serving: Serving) {
        self.live
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string(), Arc::new(serving));
    }

    /// Creates an endpoint and loads its model; it is InService when this returns.
    /// `capture`: the percentage of requests kept, and the bytes they may take.
    pub async fn create_endpoint(
        &self,
        by: &Actor,
        name: &str,
        source: Source,
        capture: Option<(u32, u64)>,
    ) -> Result<(), ApiError> {
        check_name("EndpointName", name)?;
        let dir = self.deployable_dir(&source).await?;
        let (group, version, job, cand) = source.columns();
        let t = now();
        let inserted = sqlx::query(
            "INSERT INTO endpoints (name, group_name, version, job_name, candidate, status, owner, created_at, updated_at, \
             capture_percent, capture_max_bytes) VALUES (?, ?, ?, ?, ?, 'Creating', ?, ?, ?, ?, ?)",
        )
        .bind(name)
        .bind(group)
        .bind(version)
        .bind(job)
        .bind(cand)
        .bind(by.owner())
        .bind(&t)
        .bind(&t)
        .bind(capture.map_or(0, |c| c.0 as i64))
        .bind(capture.map_or(100 << 20, |c| c.1 as i64))
        .execute(&self.db)
        .await;
        crate::error::unless_taken(
            inserted,
            StatusCode::BAD_REQUEST,
            "EndpointName",
            &format!("an endpoint named {name:?}"),
        )?;
        self.audit(
            &by.audit_name(),
            "created",
            &format!("endpoint {name}"),
            None,
        )
        .await;
        self.bring_up(name, dir).await
    }

    /// Puts a loaded model in service under `name`, with the endpoint's data capture.
    fn serve(&self, info: &EndpointInfo, model: Arc<CandidateModel>, dir: PathBuf) {
        let capture = (info.capture_percent > 0).then(|| Capture {
            file: self.capture_file(&info.name),
            percent: info.capture_percent,
            max_bytes: info.capture_max_bytes,
            seen: Default::default(),
        });
        self.put_live(
            &info.name,
            Serving {
                model,
                dir,
                capture,
            },
        );
    }

    /// Loads an endpoint's model and puts it in service (or marks it Failed, with why).
    async fn bring_up(&self, name: &str, dir: PathBuf) -> Result<(), ApiError> {
        let loaded = self.load(dir.clone()).await;
        let info = self.endpoint(name).await?;
        let (status, reason) = match &loaded {
            Ok(m) => {
                self.serve(&info, m.clone(), dir);
                ("InService", None)
            }
            Err(e) => ("Failed", Some(e.message.clone())),
        };
        sqlx::query(
            "UPDATE endpoints SET status = ?, failure_reason = ?, updated_at = ? WHERE name = ?",
        )
        .bind(status)
        .bind(reason)
        .bind(now())
        .bind(name)
        .execute(&self.db)
        .await?;
        loaded.map(|_| ())
    }

    /// Points an endpoint at another model: the new one is loaded first, then swapped in
    /// at once; requests in flight finish on the old one. A model that does not load
    /// changes nothing: the endpoint goes on serving the one it had.
    pub async fn update_endpoint(
        &self,
        by: &Actor,
        name: &str,
        source: Source,
    ) -> Result<(), ApiError> {
        let info = self.endpoint(name).await?;
        let dir = self.deployable_dir(&source).await?;
        let model = self.load(dir.clone()).await?;
        let (group, version, job, cand) = source.columns();
        sqlx::query(
            "UPDATE endpoints SET status = 'InService', failure_reason = NULL, group_name = ?, version = ?, \
             job_name = ?, candidate = ?, updated_at = ? WHERE name = ?",
        )
        .bind(group)
        .bind(version)
        .bind(job)
        .bind(cand)
        .bind(now())
        .bind(name)
        .execute(&self.db)
        .await?;
        self.serve(&info, model, dir);
        self.audit(
            &by.audit_name(),
            "updated",
            &format!("endpoint {name}"),
            None,
        )
        .await;
        Ok(())
    }

    pub async fn delete_endpoint(&self, by: &Actor, name: &str) -> Result<(), ApiError> {
        self.endpoint(name).await?;
        self.live
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(name);
        self.stats.forget(name);
        sqlx::query("DELETE FROM endpoints WHERE name = ?")
            .bind(name)
            .execute(&self.db)
            .await?;
        sqlx::query("DELETE FROM drift_reports WHERE endpoint = ?")
            .bind(name)
            .execute(&self.db)
            .await?;
        // Its captured requests go with it: an endpoint made again under this name
        // starts its drift reports afresh. (The name was checked when it was made.)
        if let Some(dir) = self.capture_file(name).parent() {
            if dir.exists() {
                tokio::fs::remove_dir_all(dir).await?;
            }
        }
        self.audit(
            &by.audit_name(),
            "deleted",
            &format!("endpoint {name}"),
            None,
        )
        .await;
        Ok(())
    }

    pub async fn endpoint(&self, name: &str) -> Result<EndpointInfo, ApiError> {
        let row: Option<EndpointRow> = sqlx::query_as(
            "SELECT name, group_name, version, job_name, candidate, status, failure_reason, created_at, updated_at, \
             capture_percent, capture_max_bytes FROM endpoints WHERE name = ?",
        )
        .bind(name)
        .fetch_optional(&self.db)
        .await?;
        row.map(Into::into)
            .ok_or_else(|| ApiError::not_found(format!("no endpoint named {name:?}")))
    }

    pub async fn endpoints(&self) -> Result<Vec<EndpointInfo>, ApiError> {
        let rows: Vec<EndpointRow> = sqlx::query_as(
            "SELECT name, group_name, version, job_name, candidate, status, failure_reason, created_at, updated_at, \
             capture_percent, capture_max_bytes FROM endpoints ORDER BY name",
        )
        .fetch_all(&self.db)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Who created an endpoint; 404 when there is none.
    pub async fn endpoint_owner(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let row: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT owner FROM endpoints WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.db)
                .await?;
        row.map(|r| r.0)
            .ok_or_else(|| ApiError::not_found(format!("no endpoint named {name:?}")))
    }

    /// At start: every endpoint's model is loaded again.
    pub async fn load_endpoints(&self) -> Result<(), ApiError> {
        for e in self.endpoints().await? {
            let Some(source) = source_of(&e) else {
                continue;
            };
            let Ok(dir) = self.model_dir_of(&source).await else {
                continue;
            };
            if let Err(err) = self.bring_up(&e.name, dir).await {
                tracing::warn!(endpoint = %e.name, error = %err.message, "endpoint could not be loaded");
            }
        }
        Ok(())
    }

    /// The columns an endpoint's model takes, in training order (empty when not loaded).
    pub fn endpoint_columns(&self, name: &str) -> Vec<String> {
        self.live
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .map(|s| s.model.features.iter().map(|f| f.name.clone()).collect())
            .unwrap_or_default()
    }

    /// Answers an invocation with the model in service now.
    pub async fn invoke(
        &self,
        name: &str,
        format: Format,
        accept: Format,
        body: axum::body::Bytes,
        explain: bool,
    ) -> Result<Vec<u8>, ApiError> {
        let model = self
            .live
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned();
        let Some(model) = model else {
            let e = self.endpoint(name).await?;
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!(
                    "endpoint {name:?} is {}{}",
                    e.status,
                    e.failure_reason
                        .map(|r| format!(": {r}"))
                        .unwrap_or_default()
                ),
            ));
        };
        tokio::task::spawn_blocking(move || invoke(&model, format, accept, &body, explain))
            .await
            .map_err(ApiError::internal)?
    }
}
