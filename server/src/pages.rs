//! HTML pages: fetch through the service layer, render with `glassbox_app`.

use axum::extract::{Form, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use crate::service::Service;

pub fn routes() -> Router<Service> {
    Router::new()
        .route("/", get(home))
        .route("/datasets/{id}", get(dataset))
        .route("/datasets/{id}/target", post(choose_target))
        .route(
            "/static/glassbox.css",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
                    glassbox_app::STYLESHEET,
                )
            }),
        )
        .route(
            "/static/glassbox.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    glassbox_app::SCRIPT,
                )
            }),
        )
}

pub async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(glassbox_app::not_found_page(
            "There is no page at this address.",
        )),
    )
        .into_response()
}

fn error_page(e: crate::error::ApiError) -> Response {
    let status = e.status;
    (status, Html(glassbox_app::not_found_page(&e.message))).into_response()
}

async fn home(State(svc): State<Service>) -> Response {
    match svc.list_datasets().await {
        Ok(list) => Html(glassbox_app::home_page(
            &list,
            svc.settings.max_upload_bytes,
        ))
        .into_response(),
        Err(e) => error_page(e),
    }
}

async fn dataset(State(svc): State<Service>, Path(id): Path<String>) -> Response {
    let ds = match svc.get_dataset(&id).await {
        Ok(d) => d,
        Err(e) => return error_page(e),
    };
    let profile = if ds.is_ready() {
        svc.dataset_profile(&id).await.ok()
    } else {
        None
    };
    Html(glassbox_app::dataset_page(&ds, profile.as_ref())).into_response()
}

#[derive(Deserialize)]
struct TargetForm {
    target: String,
}

async fn choose_target(
    State(svc): State<Service>,
    Path(id): Path<String>,
    Form(f): Form<TargetForm>,
) -> Response {
    let target = Some(f.target.trim().to_string()).filter(|t| !t.is_empty());
    match svc.set_target(&id, target).await {
        Ok(_) => Redirect::to(&format!("/datasets/{id}")).into_response(),
        Err(e) => error_page(e),
    }
}

// ---------------------------------------------------------------------------------------
// Jobs

use glassbox_app::model::JobForm;
use glassbox_engine::data::ColumnKind;

use crate::jobs::{
    AlgorithmsConfig, CandidateQuery, Channel, Completion, CreateJob, DataSource,
    FeatureSpecification, Generation, JobConfig, Objective, SplitConfig, TrainRequest,
};
use glassbox_engine::automl::job::CandidateDefinition;
use glassbox_engine::automl::learners::Range;

pub fn job_routes() -> Router<Service> {
    Router::new()
        .route("/jobs", get(jobs_list))
        .route("/datasets/{id}/new-job", get(new_job))
        .route("/datasets/{id}/jobs", post(create_job))
        .route("/jobs/{name}", get(job))
        .route("/jobs/{name}/live", get(job_live))
        .route("/jobs/{name}/stop", post(stop_job))
        .route("/jobs/{name}/candidates/{candidate}", get(candidate))
        .route("/jobs/{name}/train", post(train_job))
        .route("/jobs/{name}/notebooks/{kind}", get(notebook_view))
}

async fn jobs_list(State(svc): State<Service>) -> Response {
    match svc.list_jobs().await {
        Ok(list) => Html(glassbox_app::jobs_page(&list)).into_response(),
        Err(e) => error_page(e),
    }
}

/// Columns a job can use as features: all but ids and constants (from the profile).
async fn usable_columns(
    svc: &Service,
    ds: &glassbox_app::model::DatasetInfo,
) -> (Vec<String>, Option<glassbox_engine::profile::Profile>) {
    let profile = if ds.is_ready() {
        svc.dataset_profile(&ds.dataset_id).await.ok()
    } else {
        None
    };
    let usable = match &profile {
        Some(p) => p
            .columns_detail
            .iter()
            .filter(|c| !matches!(c.kind, ColumnKind::Id | ColumnKind::Constant))
            .map(|c| c.name.clone())
            .collect(),
        None => ds.column_names.clone(),
    };
    (usable, profile)
}

fn default_name(ds_name: &str) -> String {
    let stem: String = ds_name
        .split('.')
        .next()
        .unwrap_or("job")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let stem = stem.trim_matches('-');
    let stem: String = stem
        .chars()
        .take(18)
        .collect::<String>()
        .trim_matches('-')
        .to_string();
    let stamp = chrono::Utc::now().format("%m%d-%H%M%S");
    if stem.is_empty() {
        format!("job-{stamp}")
    } else {
        format!("{stem}-{stamp}")
    }
}

async fn render_new_job(
    svc: &Service,
    id: &str,
    form: Option<JobForm>,
    error: Option<(String, String)>,
) -> Response {
    let ds = match svc.get_dataset(id).await {
        Ok(d) => d,
        Err(e) => return error_page(e),
    };
    let (usable, profile) = usable_columns(svc, &ds).await;
    let form = form.unwrap_or_else(|| {
        let target = ds
            .target_attribute_name
            .clone()
            .or_else(|| ds.column_names.last().cloned())
            .unwrap_or_default();
        JobForm {
            name: default_name(&ds.name),
            features: usable.iter().filter(|c| **c != target).cloned().collect(),
            target,
            mode: "AUTO".into(),
            max_candidates: "20".into(),
            max_job_runtime: "300".into(),
            validation_fraction: "0.2".into(),
            algorithms: [
                "gbdt",
                "linear",
                "random-forest",
                "extra-trees",
                "knn",
                "mlp",
            ]
            .map(String::from)
            .to_vec(),
            ..Default::default()
        }
    });
    let inferred = profile
        .as_ref()
        .and_then(|p| p.target.as_ref())
        .filter(|t| t.name == form.target)
        .and_then(|t| t.problem_type)
        .map(|p| p.as_str());
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let err = error.as_ref().map(|(f, m)| (f.as_str(), m.as_str()));
    (
        status,
        Html(glassbox_app::new_job_page(
            &ds, &form, inferred, &usable, err,
        )),
    )
        .into_response()
}

async fn new_job(State(svc): State<Service>, Path(id): Path<String>) -> Response {
    render_new_job(&svc, &id, None, None).await
}

fn parse_form(body: &[u8]) -> JobForm {
    let mut f = JobForm::default();
    for (k, v) in form_urlencoded::parse(body) {
        let v = v.into_owned();
        match k.as_ref() {
            "name" => f.name = v.trim().to_string(),
            "target" => f.target = v,
            "problem_type" => f.problem_type = v,
            "metric" => f.metric = v,
            "mode" => f.mode = v,
            "max_candidates" => f.max_candidates = v.trim().to_string(),
            "max_job_runtime" => f.max_job_runtime = v.trim().to_string(),
            "max_runtime_per_candidate" => f.max_runtime_per_candidate = v.trim().to_string(),
            "validation_fraction" => f.validation_fraction = v.trim().to_string(),
            "algorithms" => f.algorithms.push(v),
            "features" => f.features.push(v),
            "candidates_only" => f.candidates_only = true,
            _ => {}
        }
    }
    f
}

/// The form as a CreateAutoMLJob request: the same validation as the REST API.
fn form_request(id: &str, f: &JobForm) -> Result<CreateJob, (String, String)> {
    fn number<T: std::str::FromStr>(field: &str, v: &str) -> Result<Option<T>, (String, String)> {
        if v.is_empty() {
            return Ok(None);
        }
        v.parse()
            .map(Some)
            .map_err(|_| (field.to_string(), format!("{v:?} is not a number")))
    }
    let features: Vec<String> = f
        .features
        .iter()
        .filter(|c| **c != f.target)
        .cloned()
        .collect();
    Ok(CreateJob {
        name: f.name.clone(),
        input: vec![Channel {
            data_source: DataSource {
                dataset_id: id.to_string(),
            },
            target: f.target.clone(),
            channel_type: Some("training".into()),
            content_type: None,
            compression_type: None,
            sample_weight: None,
        }],
        problem_type: Some(f.problem_type.clone()).filter(|p| !p.is_empty()),
        objective: Some(f.metric.clone())
            .filter(|m| !m.is_empty())
            .map(|metric_name| Objective { metric_name }),
        config: Some(JobConfig {
            completion: Some(Completion {
                max_candidates: number("Max candidates", &f.max_candidates)?,
                max_runtime_per_candidate: number(
                    "Max runtime per candidate",
                    &f.max_runtime_per_candidate,
                )?,
                max_job_runtime: number("Max job runtime", &f.max_job_runtime)?,
            }),
            split: Some(SplitConfig {
                validation_fraction: number("Validation fraction", &f.validation_fraction)?,
            }),
            generation: Some(Generation {
                features: Some(FeatureSpecification {
                    names: Some(features),
                    types: None,
                }),
                algorithms: Some(vec![AlgorithmsConfig {
                    algorithms: f.algorithms.clone(),
                }]),
            }),
            mode: Some(f.mode.clone()).filter(|m| !m.is_empty()),
        }),
        candidates_only: Some(f.candidates_only),
        tags: None,
        output: None,
        role_arn: None,
        model_deploy: None,
    })
}

async fn create_job(
    State(svc): State<Service>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let form = parse_form(&body);
    let req = match form_request(&id, &form) {
        Ok(r) => r,
        Err(e) => return render_new_job(&svc, &id, Some(form), Some(e)).await,
    };
    let name = req.name.clone();
    match svc.create_job(req).await {
        Ok(_) => Redirect::to(&format!("/jobs/{name}")).into_response(),
        Err(e) if e.status == StatusCode::BAD_REQUEST => {
            let field = e.field.clone().unwrap_or_default();
            render_new_job(&svc, &id, Some(form), Some((field, e.message))).await
        }
        Err(e) => error_page(e),
    }
}

async fn job_data(
    svc: &Service,
    name: &str,
) -> Result<(serde_json::Value, Vec<serde_json::Value>), crate::error::ApiError> {
    let job = svc.describe_job(name).await?;
    let candidates = svc
        .list_candidates(name, &CandidateQuery::default())
        .await?;
    Ok((job, candidates))
}

async fn render_job(svc: &Service, name: &str, review_error: Option<&str>) -> Response {
    match job_data(svc, name).await {
        Ok((j, c)) => {
            let definitions: Vec<serde_json::Value> = svc
                .candidate_definitions(name)
                .await
                .unwrap_or_default()
                .iter()
                .filter_map(|d| serde_json::to_value(d).ok())
                .collect();
            let page = glassbox_app::job_page(&j, &c, &definitions, review_error);
            if review_error.is_some() {
                (StatusCode::BAD_REQUEST, Html(page)).into_response()
            } else {
                Html(page).into_response()
            }
        }
        Err(e) => error_page(e),
    }
}

async fn job(State(svc): State<Service>, Path(name): Path<String>) -> Response {
    render_job(&svc, &name, None).await
}

/// A range bound as typed in the review form, or the original one where the field is empty.
fn bound<T: std::str::FromStr>(
    typed: Option<&str>,
    original: T,
    what: impl FnOnce() -> String,
) -> Result<T, String> {
    match typed.filter(|v| !v.is_empty()) {
        None => Ok(original),
        Some(v) => v
            .parse()
            .map_err(|_| format!("{}: {v:?} is not a number", what())),
    }
}

/// The review form's fields as a train request: `candidate` per chosen candidate, and
/// per range `range.C.P.low` / `.high`, or `range.C.P.choice` per kept value.
fn train_request(body: &[u8], definitions: &[CandidateDefinition]) -> Result<TrainRequest, String> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    let field = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim());
    let candidates: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "candidate")
        .map(|(_, v)| v.clone())
        .collect();
    let mut ranges = std::collections::BTreeMap::new();
    for d in definitions.iter().filter(|d| candidates.contains(&d.name)) {
        let mut edited = std::collections::BTreeMap::new();
        for (param, original) in &d.ranges {
            let key = format!("range.{}.{param}", d.name);
            let what = || format!("{}: {param}", d.name);
            let low = field(&format!("{key}.low"));
            let high = field(&format!("{key}.high"));
            let range = match original {
                Range::Float {
                    low: l,
                    high: h,
                    log,
                } => Range::Float {
                    low: bound(low, *l, what)?,
                    high: bound(high, *h, what)?,
                    log: *log,
                },
                Range::Int {
                    low: l,
                    high: h,
                    log,
                } => Range::Int {
                    low: bound(low, *l, what)?,
                    high: bound(high, *h, what)?,
                    log: *log,
                },
                Range::Choice { .. } => Range::Choice {
                    values: pairs
                        .iter()
                        .filter(|(k, _)| *k == format!("{key}.choice"))
                        .map(|(_, v)| {
                            serde_json::from_str(v).unwrap_or(serde_json::Value::String(v.clone()))
                        })
                        .collect(),
                },
            };
            if &range != original {
                edited.insert(param.clone(), range);
            }
        }
        if !edited.is_empty() {
            ranges.insert(d.name.clone(), edited);
        }
    }
    Ok(TrainRequest {
        candidates,
        ranges: Some(ranges),
    })
}

async fn train_job(
    State(svc): State<Service>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let definitions = match svc.candidate_definitions(&name).await {
        Ok(d) => d,
        Err(e) => return error_page(e),
    };
    let req = match train_request(&body, &definitions) {
        Ok(r) => r,
        Err(msg) => return render_job(&svc, &name, Some(&msg)).await,
    };
    match svc.train_job(&name, req).await {
        Ok(()) => Redirect::to(&format!("/jobs/{name}")).into_response(),
        Err(e) if e.status == StatusCode::BAD_REQUEST => {
            let msg = match &e.field {
                Some(f) => format!("{f}: {}", e.message),
                None => e.message.clone(),
            };
            render_job(&svc, &name, Some(&msg)).await
        }
        Err(e) => error_page(e),
    }
}

/// A read-only view of a job's notebook.
async fn notebook_view(
    State(svc): State<Service>,
    Path((name, kind)): Path<(String, String)>,
) -> Response {
    let title = match kind.as_str() {
        "data-exploration" => "Data exploration notebook",
        "candidate-definition" => "Candidate definition notebook",
        _ => return not_found().await,
    };
    let file = format!("{kind}.ipynb");
    match svc.notebook(&name, &file).await {
        Ok(bytes) => match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(nb) => Html(glassbox_app::notebook_page(
                &name,
                title,
                &format!("/api/automl-jobs/{name}/notebooks/{file}"),
                &nb,
            ))
            .into_response(),
            Err(e) => error_page(crate::error::ApiError::internal(e)),
        },
        Err(e) => error_page(e),
    }
}

async fn job_live(State(svc): State<Service>, Path(name): Path<String>) -> Response {
    match job_data(&svc, &name).await {
        Ok((j, c)) => Html(glassbox_app::job_live(&j, &c)).into_response(),
        Err(e) => (e.status, e.message).into_response(),
    }
}

async fn stop_job(State(svc): State<Service>, Path(name): Path<String>) -> Response {
    match svc.stop_job(&name).await {
        Ok(()) => Redirect::to(&format!("/jobs/{name}")).into_response(),
        Err(e) if e.status == StatusCode::BAD_REQUEST => {
            Redirect::to(&format!("/jobs/{name}")).into_response()
        }
        Err(e) => error_page(e),
    }
}

async fn candidate(
    State(svc): State<Service>,
    Path((name, cand)): Path<(String, String)>,
) -> Response {
    match svc.candidate(&name, &cand).await {
        Ok(c) => Html(glassbox_app::candidate_page(&name, &c)).into_response(),
        Err(e) => error_page(e),
    }
}
