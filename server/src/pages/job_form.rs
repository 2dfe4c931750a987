//! The new-job form: its defaults (from the engine), and its fields turned into the same
//! CreateAutoMLJob request the REST API takes.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use glassbox_app::model::JobForm;
use glassbox_engine::automl::job::{
    JobSpec, DEFAULT_MAX_CANDIDATES, SUGGESTED_JOB_RUNTIME_SECONDS,
};
use glassbox_engine::data::ColumnKind;

use super::error_page;
use crate::jobs::{
    AlgorithmsConfig, Channel, Completion, CreateJob, DataSource, FeatureSpecification, Generation,
    JobConfig, Objective, SplitConfig,
};
use crate::service::Service;

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
        let engine = JobSpec::new(target.clone());
        JobForm {
            name: default_name(&ds.name),
            features: usable.iter().filter(|c| **c != target).cloned().collect(),
            target,
            mode: engine.mode.as_str().into(),
            max_candidates: DEFAULT_MAX_CANDIDATES.to_string(),
            max_job_runtime: SUGGESTED_JOB_RUNTIME_SECONDS.to_string(),
            validation_fraction: engine.validation_fraction.to_string(),
            algorithms: engine
                .algorithms()
                .iter()
                .map(|a| a.as_str().to_string())
                .collect(),
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

pub(super) async fn new_job(State(svc): State<Service>, Path(id): Path<String>) -> Response {
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

pub(super) async fn create_job(
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
