//! The jobs list, a job's page (live leaderboard), a candidate's page and the read-only
//! notebook view.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::{drafts, error_page, not_found};
use glassbox_app::model::{CandidateInfo, JobInfo};

use crate::jobs::CandidateQuery;
use crate::service::Service;
use serde::Deserialize;

pub(super) async fn jobs_list(State(svc): State<Service>) -> Response {
    match svc.jobs().await {
        Ok(list) => Html(glassbox_app::jobs_page(&list)).into_response(),
        Err(e) => error_page(e),
    }
}

/// A job and all its candidates, best first.
async fn job_data(
    svc: &Service,
    name: &str,
) -> Result<(JobInfo, Vec<CandidateInfo>), crate::error::ApiError> {
    let job = svc.job(name).await?;
    let candidates = svc.candidates(name, &CandidateQuery::default()).await?;
    Ok((job, candidates))
}

#[derive(Deserialize)]
pub(super) struct JobQuery {
    /// A review form sent back with an error (see `review`).
    review: Option<String>,
}

pub(super) async fn job(
    State(svc): State<Service>,
    Path(name): Path<String>,
    Query(q): Query<JobQuery>,
) -> Response {
    let draft = q
        .review
        .as_deref()
        .and_then(drafts::find::<ReviewFormDraft>)
        .filter(|d| d.job == name);
    match job_data(&svc, &name).await {
        Ok((j, c)) => {
            let definitions = svc.candidate_definitions(&name).await.unwrap_or_default();
            let review = draft.as_ref().map(|d| glassbox_app::ReviewDraft {
                typed: &d.typed,
                error: &d.message,
            });
            // A sent-back form is shown by a successful GET (post/redirect/get).
            Html(glassbox_app::job_page(
                &j,
                &c,
                &definitions,
                review.as_ref(),
            ))
            .into_response()
        }
        Err(e) => error_page(e),
    }
}

/// A review form that failed: the fields as sent, and the error in words.
#[derive(Clone)]
pub(super) struct ReviewFormDraft {
    pub job: String,
    pub typed: Vec<(String, String)>,
    pub message: String,
}

/// Compare 2–4 of a job's candidates: `/jobs/{name}/compare?c=A&c=B…`.
pub(super) async fn compare(
    State(svc): State<Service>,
    Path(name): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    let mut chosen: Vec<String> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(k, _)| k == "c")
        .map(|(_, v)| v.into_owned())
        .collect();
    chosen.dedup();
    if chosen.len() < 2 || chosen.len() > glassbox_app::MAX_COMPARED {
        return error_page(crate::error::ApiError::bad_request(
            "c",
            format!(
                "tick 2 to {} candidates to compare ({} ticked)",
                glassbox_app::MAX_COMPARED,
                chosen.len()
            ),
        ));
    }
    let mut loaded = Vec::new();
    let mut resolved = None;
    for c in &chosen {
        match svc.candidate(&name, c).await {
            Ok((info, r)) => {
                let (q, e) = svc.candidate_reports(&name, c).await;
                resolved = Some(r);
                loaded.push((info, q, e));
            }
            Err(e) => return error_page(e),
        }
    }
    let Some(resolved) = resolved else {
        return not_found().await;
    };
    let items: Vec<glassbox_app::Compared> = loaded
        .iter()
        .map(|(info, q, e)| glassbox_app::Compared {
            info,
            quality: q.as_ref(),
            explained: e.as_ref(),
        })
        .collect();
    Html(glassbox_app::compare_page(&name, &resolved, &items)).into_response()
}

/// A read-only view of a job's notebook.
pub(super) async fn notebook_view(
    State(svc): State<Service>,
    Path((name, kind)): Path<(String, String)>,
) -> Response {
    let title = match kind.as_str() {
        "data-exploration" => "Data exploration notebook",
        "candidate-definition" => "Candidate definition notebook",
        "model-insights" => "Model insights notebook",
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

pub(super) async fn job_live(State(svc): State<Service>, Path(name): Path<String>) -> Response {
    match job_data(&svc, &name).await {
        Ok((j, c)) => Html(glassbox_app::job_live(&j, &c)).into_response(),
        Err(e) => (e.status, e.message).into_response(),
    }
}

pub(super) async fn stop_job(State(svc): State<Service>, Path(name): Path<String>) -> Response {
    match svc.stop_job(&name).await {
        Ok(()) => Redirect::to(&format!("/jobs/{name}")).into_response(),
        Err(e) if e.status == StatusCode::BAD_REQUEST => {
            Redirect::to(&format!("/jobs/{name}")).into_response()
        }
        Err(e) => error_page(e),
    }
}

pub(super) async fn delete_job(State(svc): State<Service>, Path(name): Path<String>) -> Response {
    match svc.delete_job(&name).await {
        Ok(()) => Redirect::to("/jobs").into_response(),
        Err(e) => error_page(e),
    }
}

pub(super) async fn candidate(
    State(svc): State<Service>,
    Path((name, cand)): Path<(String, String)>,
    ask: Result<
        axum::extract::Query<glassbox_app::model::BiasAsk>,
        axum::extract::rejection::QueryRejection,
    >,
) -> Response {
    match svc.candidate(&name, &cand).await {
        Ok((c, resolved)) => {
            let (quality, explained) = svc.candidate_reports(&name, &cand).await;
            let ask = ask.map(|q| q.0).unwrap_or_default();
            let bias = if ask.asked() {
                Some(
                    svc.candidate_bias(&name, &cand, super::bias_config(&ask))
                        .await
                        .map_err(|e| e.message),
                )
            } else {
                None
            };
            let columns = svc.job_columns(&name).await;
            Html(glassbox_app::candidate_page(
                &name,
                &c,
                &resolved,
                quality.as_ref(),
                explained.as_ref(),
                (&columns, &ask, bias.as_ref()),
            ))
            .into_response()
        }
        Err(e) => error_page(e),
    }
}
