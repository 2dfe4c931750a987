//! The review step of a candidates-only job: the form's ticks and edited ranges turned
//! into the REST API's TrainRequest.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use glassbox_engine::automl::job::CandidateDefinition;
use glassbox_engine::automl::learners::Range;

use super::jobs::ReviewFormDraft;
use super::{drafts, error_page};
use crate::jobs::TrainRequest;
use crate::service::Service;

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

/// An API error as the review form says it: which candidate and hyperparameter, not the
/// request's JSON path.
fn in_form_words(e: &crate::error::ApiError) -> String {
    match e
        .field
        .as_deref()
        .and_then(|f| f.strip_prefix("HyperparameterRanges."))
    {
        Some(rest) => match rest.split_once('.') {
            Some((cand, param)) => format!("{cand}, {param}: {}", e.message),
            None => format!("{rest}: {}", e.message),
        },
        None => e.message.clone(),
    }
}

pub(super) async fn train_job(
    State(svc): State<Service>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let definitions = match svc.candidate_definitions(&name).await {
        Ok(d) => d,
        Err(e) => return error_page(e),
    };
    let failed = |message: String| {
        let token = drafts::keep(ReviewFormDraft {
            job: name.clone(),
            typed: form_urlencoded::parse(&body).into_owned().collect(),
            message,
        });
        Redirect::to(&format!("/jobs/{name}?review={token}#review")).into_response()
    };
    let req = match train_request(&body, &definitions) {
        Ok(r) => r,
        Err(msg) => return failed(msg),
    };
    match svc.train_job(&name, req).await {
        Ok(()) => Redirect::to(&format!("/jobs/{name}")).into_response(),
        Err(e) if e.status == StatusCode::BAD_REQUEST => failed(in_form_words(&e)),
        Err(e) => error_page(e),
    }
}
