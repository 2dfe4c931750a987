//! The new-job form: its defaults (from the engine), and its fields turned into the same
//! CreateAutoMLJob request the REST API takes.

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use glassbox_app::model::JobForm;
use glassbox_app::{FormError, TargetOption};
use glassbox_engine::automl::job::{
    JobSpec, DEFAULT_MAX_CANDIDATES, SUGGESTED_JOB_RUNTIME_SECONDS,
};
use glassbox_engine::automl::split;
use glassbox_engine::data::ColumnKind;
use glassbox_engine::profile::TargetGuess;
use serde::Deserialize;

use super::{drafts, error_page};
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

/// A new-job form that failed: what was typed, and the error.
#[derive(Clone)]
struct FormDraft {
    dataset: String,
    form: JobForm,
    field: Option<String>,
    message: String,
}

#[derive(Deserialize)]
pub(super) struct NewJobQuery {
    draft: Option<String>,
}

async fn render_new_job(
    svc: &Service,
    who: &glassbox_app::model::Who,
    id: &str,
    draft: Option<FormDraft>,
) -> Response {
    let ds = match svc.get_dataset(id).await {
        Ok(d) => d,
        Err(e) => return error_page(e),
    };
    let (usable, profile) = usable_columns(svc, &ds).await;
    let form = match &draft {
        Some(d) => d.form.clone(),
        None => {
            // No default target unless the data set was profiled for one.
            let target = ds.target_attribute_name.clone().unwrap_or_default();
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
        }
    };
    let guesses: Vec<(String, Option<TargetGuess>)> = match &profile {
        Some(p) => p
            .columns_detail
            .iter()
            .map(|c| (c.name.clone(), c.as_target.clone()))
            .collect(),
        None => ds.column_names.iter().map(|c| (c.clone(), None)).collect(),
    };
    let targets: Vec<TargetOption> = guesses
        .iter()
        .map(|(name, guess)| TargetOption {
            name,
            guess: guess.as_ref(),
        })
        .collect();
    let classification = targets
        .iter()
        .find(|t| t.name == form.target)
        .and_then(|t| t.guess)
        .and_then(|g| g.problem_type)
        .is_none_or(|p| p.is_classification());
    let fraction = form
        .validation_fraction
        .parse()
        .unwrap_or(JobSpec::new("").validation_fraction);
    let rows = ds.rows.unwrap_or(0).max(0) as usize;
    let scheme = split::describe(rows, classification, fraction);
    let error = draft.as_ref().map(|d| FormError {
        field: d.field.as_deref(),
        message: &d.message,
    });
    // A sent-back form is shown by a successful GET (post/redirect/get).
    Html(glassbox_app::new_job_page(
        who,
        &ds,
        &form,
        &targets,
        &usable,
        &scheme,
        split::folds_for(rows).is_none(),
        error,
    ))
    .into_response()
}

pub(super) async fn new_job(
    State(svc): State<Service>,
    axum::Extension(actor): axum::Extension<crate::auth::Actor>,
    Path(id): Path<String>,
    Query(q): Query<NewJobQuery>,
) -> Response {
    let draft = q
        .draft
        .as_deref()
        .and_then(drafts::find::<FormDraft>)
        .filter(|d| d.dataset == id);
    render_new_job(&svc, &actor.who(None), &id, draft).await
}

/// The form field an API error is about (the API names JSON paths).
fn form_field(path: &str) -> Option<&'static str> {
    let ends = |s: &str| path.ends_with(s);
    Some(match path {
        "AutoMLJobName" => "name",
        "ProblemType" => "problem_type",
        "AutoMLJobObjective.MetricName" => "metric",
        "AutoMLJobObjective.PositiveClass" => "positive_class",
        "AutoMLJobConfig.Mode" => "mode",
        _ if ends("TargetAttributeName") => "target",
        _ if ends("MaxCandidates") => "max_candidates",
        _ if ends("MaxAutoMLJobRuntimeInSeconds") => "max_job_runtime",
        _ if ends("MaxRuntimePerTrainingJobInSeconds") => "max_runtime_per_candidate",
        _ if ends("ValidationFraction") => "validation_fraction",
        _ if path.contains("AlgorithmsConfig") => "algorithms",
        _ if path.contains("FeatureSpecification") => "features",
        _ => return None,
    })
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
            "positive_class" => f.positive_class = v,
            "start_anyway" => f.start_anyway = true,
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
                dataset_id: Some(id.to_string()),
                s3: None,
            },
            target: f.target.clone(),
            channel_type: Some("training".into()),
            content_type: None,
            compression_type: None,
            sample_weight: None,
        }],
        problem_type: Some(f.problem_type.clone()).filter(|p| !p.is_empty()),
        objective: Some(Objective {
            metric_name: Some(f.metric.clone()).filter(|m| !m.is_empty()),
            positive_class: Some(f.positive_class.clone()).filter(|p| !p.is_empty()),
        })
        .filter(|o| o.metric_name.is_some() || o.positive_class.is_some()),
        config: Some(JobConfig {
            completion: Some(Completion {
                max_candidates: number("max_candidates", &f.max_candidates)?,
                max_runtime_per_candidate: number(
                    "max_runtime_per_candidate",
                    &f.max_runtime_per_candidate,
                )?,
                max_job_runtime: number("max_job_runtime", &f.max_job_runtime)?,
            }),
            split: Some(SplitConfig {
                validation_fraction: number("validation_fraction", &f.validation_fraction)?,
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
    axum::Extension(actor): axum::Extension<crate::auth::Actor>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let form = parse_form(&body);
    let failed = |field: Option<String>, message: String| {
        let token = drafts::keep(FormDraft {
            dataset: id.clone(),
            form: form.clone(),
            field,
            message,
        });
        Redirect::to(&format!("/datasets/{id}/new-job?draft={token}")).into_response()
    };
    if form.target.is_empty() {
        return failed(Some("target".into()), "choose the column to predict".into());
    }
    let req = match form_request(&id, &form) {
        Ok(r) => r,
        Err((field, message)) => return failed(Some(field), message),
    };
    let name = req.name.clone();
    // Before it starts: will the budget hold one candidate? (Measured on a sample.)
    if !form.start_anyway {
        match svc.budget_warning(&req).await {
            Ok(Some(warning)) => {
                return failed(
                    Some("max_job_runtime".into()),
                    format!("{warning} Raise the budget, or tick \"Start anyway\"."),
                )
            }
            Ok(None) => {}
            Err(e) if e.status.is_client_error() => {
                let field = e.field.as_deref().and_then(form_field).map(String::from);
                return failed(field, e.message);
            }
            Err(e) => return error_page(e),
        }
    }
    match svc.create_job(req, &actor).await {
        Ok(_) => Redirect::to(&format!("/jobs/{name}")).into_response(),
        Err(e) if e.status.is_client_error() => {
            let field = e.field.as_deref().and_then(form_field).map(String::from);
            let message = match (&field, &e.field) {
                // Not a field of this form: say which part of the request it was.
                (None, Some(path)) => format!("{path}: {}", e.message),
                _ => e.message.clone(),
            };
            failed(field, message)
        }
        Err(e) => error_page(e),
    }
}
