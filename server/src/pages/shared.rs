//! What a share link opens: one job's leaderboard, candidate pages, compare view,
//! reports and notebook views, read-only, with no link out of the share; files that hold
//! data (the notebooks zip, model files, validation predictions) only when the link was
//! made with "include data". A token that is unknown, revoked or expired opens nothing
//! (404, saying which of these it may be, never which it is).

use axum::extract::{Path, Query, RawQuery, State};
use axum::response::Response;
use glassbox_app::model::{BiasAsk, Who};
use glassbox_app::JobLinks;

use super::jobs::{
    error_for, render_candidate, render_compare, render_job_page, render_live, render_notebook,
};
use crate::error::ApiError;
use crate::service::Service;

/// The job behind a token, as its links; `Err`: the page to show instead.
async fn open(svc: &Service, token: &str) -> Result<JobLinks, Response> {
    match svc.open_share(token).await {
        Ok(Some(access)) => Ok(JobLinks::shared(&access.job, token, access.include_data)),
        Ok(None) => Err(error_for(
            &Who::shared(),
            ApiError::not_found("This share link does not exist, was revoked, or has expired. Ask the person who sent it for a new one."),
        )),
        Err(e) => Err(error_for(&Who::shared(), e)),
    }
}

pub(super) async fn job(State(svc): State<Service>, Path(token): Path<String>) -> Response {
    match open(&svc, &token).await {
        Ok(links) => render_job_page(&svc, &Who::shared(), &links, None, None).await,
        Err(r) => r,
    }
}

pub(super) async fn live(State(svc): State<Service>, Path(token): Path<String>) -> Response {
    match open(&svc, &token).await {
        Ok(links) => render_live(&svc, &links).await,
        Err(r) => r,
    }
}

pub(super) async fn candidate(
    State(svc): State<Service>,
    Path((token, cand)): Path<(String, String)>,
    ask: Result<Query<BiasAsk>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let ask = ask.map(|q| q.0).unwrap_or_default();
    match open(&svc, &token).await {
        Ok(links) => render_candidate(&svc, &Who::shared(), &links, &cand, ask).await,
        Err(r) => r,
    }
}

pub(super) async fn compare(
    State(svc): State<Service>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    match open(&svc, &token).await {
        Ok(links) => render_compare(&svc, &Who::shared(), &links, query).await,
        Err(r) => r,
    }
}

pub(super) async fn notebook(
    State(svc): State<Service>,
    Path((token, kind)): Path<(String, String)>,
) -> Response {
    match open(&svc, &token).await {
        Ok(links) => render_notebook(&svc, &Who::shared(), &links, &kind).await,
        Err(r) => r,
    }
}

fn without_data() -> Response {
    error_for(
        &Who::shared(),
        ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "This share link was made without the data: its files that hold data (the notebooks zip, model files, validation predictions) are not shared.",
        ),
    )
}

/// The job behind a token, when the link opens the file `shares` says (`Some` URL).
async fn open_file(
    svc: &Service,
    token: &str,
    shares: impl Fn(&JobLinks) -> Option<String>,
) -> Result<JobLinks, Response> {
    let links = open(svc, token).await?;
    match shares(&links) {
        Some(_) => Ok(links),
        None => Err(without_data()),
    }
}

fn answered(r: Result<Response, ApiError>) -> Response {
    r.unwrap_or_else(|e| error_for(&Who::shared(), e))
}

pub(super) async fn notebook_file(
    State(svc): State<Service>,
    Path((token, file)): Path<(String, String)>,
) -> Response {
    match open_file(&svc, &token, |l| l.notebook_file(&file)).await {
        Ok(links) => answered(crate::api::notebook_response(&svc, &links.name, &file).await),
        Err(r) => r,
    }
}

pub(super) async fn report(
    State(svc): State<Service>,
    Path((token, cand, file)): Path<(String, String, String)>,
) -> Response {
    match open(&svc, &token).await {
        Ok(links) => answered(crate::api::report_response(&svc, &links.name, &cand, &file).await),
        Err(r) => r,
    }
}

pub(super) async fn model(
    State(svc): State<Service>,
    Path((token, cand)): Path<(String, String)>,
) -> Response {
    match open_file(&svc, &token, |l| l.model_zip(&cand)).await {
        Ok(links) => answered(crate::api::model_response(&svc, &links.name, &cand).await),
        Err(r) => r,
    }
}

pub(super) async fn validation_predictions(
    State(svc): State<Service>,
    Path((token, cand)): Path<(String, String)>,
) -> Response {
    match open_file(&svc, &token, |l| l.validation_predictions(&cand)).await {
        Ok(links) => {
            answered(crate::api::validation_predictions_response(&svc, &links.name, &cand).await)
        }
        Err(r) => r,
    }
}
