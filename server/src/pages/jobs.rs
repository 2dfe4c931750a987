//! The jobs list, a job's page (live leaderboard), a candidate's page, the compare view
//! and the read-only notebook view. The `render_*` functions serve the team's pages and
//! the share links' alike; they differ only in `Who` and `JobLinks`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Extension;

use super::{drafts, error_page};
use glassbox_app::model::{BiasAsk, CandidateInfo, JobInfo, Who};
use glassbox_app::JobLinks;

use crate::auth::Actor;
use crate::error::ApiError;
use crate::jobs::CandidateQuery;
use crate::service::Service;
use serde::Deserialize;

pub(super) async fn jobs_list(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
) -> Response {
    match svc.jobs().await {
        Ok(list) => Html(glassbox_app::jobs_page(&actor.who(None), &list)).into_response(),
        Err(e) => error_page(e),
    }
}

/// A job and all its candidates, best first.
async fn job_data(svc: &Service, name: &str) -> Result<(JobInfo, Vec<CandidateInfo>), ApiError> {
    let job = svc.job(name).await?;
    let candidates = svc.candidates(name, &CandidateQuery::default()).await?;
    Ok((job, candidates))
}

/// An error page as this reader sees it (a share link's reader gets no team links).
pub(super) fn error_for(who: &Who, e: ApiError) -> Response {
    (
        e.status,
        Html(glassbox_app::error_page_for(
            who,
            e.status.as_u16(),
            &e.message,
        )),
    )
        .into_response()
}

#[derive(Deserialize)]
pub(super) struct JobQuery {
    /// A review form sent back with an error (see `review`).
    review: Option<String>,
}

pub(super) async fn job(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
    Query(q): Query<JobQuery>,
) -> Response {
    render_job(&svc, &actor, &name, q.review.as_deref(), None).await
}

/// The team's job page; `new_share` is a share link just made (shown once).
pub(super) async fn render_job(
    svc: &Service,
    actor: &Actor,
    name: &str,
    review: Option<&str>,
    new_share: Option<&str>,
) -> Response {
    let owner = match svc.job_owner(name).await {
        Ok(o) => o,
        Err(e) => return error_page(e),
    };
    let who = actor.who(owner);
    let shares = if who.can_change {
        svc.shares(name).await.unwrap_or_default()
    } else {
        vec![]
    };
    let draft = review
        .and_then(drafts::find::<ReviewFormDraft>)
        .filter(|d| d.job == name);
    let review = draft.as_ref().map(|d| glassbox_app::ReviewDraft {
        typed: &d.typed,
        error: &d.message,
    });
    let sharing = glassbox_app::Sharing {
        shares: &shares,
        new_url: new_share,
    };
    render_job_page(
        svc,
        &who,
        &JobLinks::team(name),
        review.as_ref(),
        Some(sharing),
    )
    .await
}

/// A job's page for `who`, at `links`.
pub(super) async fn render_job_page(
    svc: &Service,
    who: &Who,
    links: &JobLinks,
    review: Option<&glassbox_app::ReviewDraft<'_>>,
    sharing: Option<glassbox_app::Sharing<'_>>,
) -> Response {
    match job_data(svc, &links.name).await {
        Ok((j, c)) => {
            let definitions = svc
                .candidate_definitions(&links.name)
                .await
                .unwrap_or_default();
            // A sent-back form is shown by a successful GET (post/redirect/get).
            Html(glassbox_app::job_page(
                who,
                links,
                &j,
                &c,
                &definitions,
                review,
                sharing,
            ))
            .into_response()
        }
        Err(e) => error_for(who, e),
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
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    render_compare(&svc, &actor.who(None), &JobLinks::team(&name), query).await
}

pub(super) async fn render_compare(
    svc: &Service,
    who: &Who,
    links: &JobLinks,
    query: Option<String>,
) -> Response {
    let name = &links.name;
    let mut chosen: Vec<String> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(k, _)| k == "c")
        .map(|(_, v)| v.into_owned())
        .collect();
    chosen.dedup();
    if chosen.len() < 2 || chosen.len() > glassbox_app::MAX_COMPARED {
        return error_for(
            who,
            ApiError::bad_request(
                "c",
                format!(
                    "tick 2 to {} candidates to compare ({} ticked)",
                    glassbox_app::MAX_COMPARED,
                    chosen.len()
                ),
            ),
        );
    }
    let mut loaded = Vec::new();
    let mut resolved = None;
    for c in &chosen {
        match svc.candidate(name, c).await {
            Ok((info, r)) => {
                let (q, e) = svc.candidate_reports(name, c).await;
                resolved = Some(r);
                loaded.push((info, q, e));
            }
            Err(e) => return error_for(who, e),
        }
    }
    let Some(resolved) = resolved else {
        return error_for(who, ApiError::not_found("no such candidates"));
    };
    let items: Vec<glassbox_app::Compared> = loaded
        .iter()
        .map(|(info, q, e)| glassbox_app::Compared {
            info,
            quality: q.as_ref(),
            explained: e.as_ref(),
        })
        .collect();
    Html(glassbox_app::compare_page(who, links, &resolved, &items)).into_response()
}

/// A read-only view of a job's notebook.
pub(super) async fn notebook_view(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path((name, kind)): Path<(String, String)>,
) -> Response {
    render_notebook(&svc, &actor.who(None), &JobLinks::team(&name), &kind).await
}

pub(super) async fn render_notebook(
    svc: &Service,
    who: &Who,
    links: &JobLinks,
    kind: &str,
) -> Response {
    let title = match kind {
        "data-exploration" => "Data exploration notebook",
        "candidate-definition" => "Candidate definition notebook",
        "model-insights" => "Model insights notebook",
        _ => return error_for(who, ApiError::not_found("There is no such notebook.")),
    };
    match svc.notebook(&links.name, &format!("{kind}.ipynb")).await {
        Ok(bytes) => match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Ok(nb) => {
                Html(glassbox_app::notebook_page(who, links, kind, title, &nb)).into_response()
            }
            Err(e) => error_for(who, ApiError::internal(e)),
        },
        Err(e) => error_for(who, e),
    }
}

pub(super) async fn job_live(State(svc): State<Service>, Path(name): Path<String>) -> Response {
    render_live(&svc, &JobLinks::team(&name)).await
}

pub(super) async fn render_live(svc: &Service, links: &JobLinks) -> Response {
    match job_data(svc, &links.name).await {
        Ok((j, c)) => Html(glassbox_app::job_live(links, &j, &c)).into_response(),
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

pub(super) async fn delete_job(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
) -> Response {
    match svc.delete_job(&name, &actor.audit_name()).await {
        Ok(()) => Redirect::to("/jobs").into_response(),
        Err(e) => error_page(e),
    }
}

type BiasParams = Result<Query<BiasAsk>, axum::extract::rejection::QueryRejection>;

pub(super) async fn candidate(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path((name, cand)): Path<(String, String)>,
    ask: BiasParams,
) -> Response {
    let ask = ask.map(|q| q.0).unwrap_or_default();
    render_candidate(&svc, &actor.who(None), &JobLinks::team(&name), &cand, ask).await
}

pub(super) async fn render_candidate(
    svc: &Service,
    who: &Who,
    links: &JobLinks,
    cand: &str,
    ask: BiasAsk,
) -> Response {
    let name = &links.name;
    match svc.candidate(name, cand).await {
        Ok((c, resolved)) => {
            let (quality, explained) = svc.candidate_reports(name, cand).await;
            let bias = if ask.asked() {
                Some(
                    svc.candidate_bias(name, cand, super::bias_config(&ask))
                        .await
                        .map_err(|e| e.message),
                )
            } else {
                None
            };
            let columns = svc.job_columns(name).await;
            Html(glassbox_app::candidate_page(
                who,
                links,
                &c,
                &resolved,
                quality.as_ref(),
                explained.as_ref(),
                (&columns, &ask, bias.as_ref()),
            ))
            .into_response()
        }
        Err(e) => error_for(who, e),
    }
}

#[derive(Deserialize)]
pub(super) struct ShareForm {
    #[serde(default)]
    include_data: Option<String>,
    /// Seconds, or empty for a link that lasts until revoked.
    #[serde(default)]
    expires: String,
}

/// Makes a share link and shows the job page with it (its URL is shown this once).
pub(super) async fn create_share(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    headers: axum::http::HeaderMap,
    Path(name): Path<String>,
    axum::extract::Form(f): axum::extract::Form<ShareForm>,
) -> Response {
    let expires = match f.expires.trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => {
                return error_page(ApiError::bad_request(
                    "expires",
                    format!("{s:?} is not a number of seconds"),
                ))
            }
        },
    };
    let req = crate::auth::NewShare {
        include_data: f.include_data.is_some(),
        expires_in_seconds: expires,
    };
    match svc.create_share(&actor, &name, &req).await {
        Ok((_, token)) => {
            let url = format!("{}/share/{token}", svc.settings.hosts.base_url(&headers));
            render_job(&svc, &actor, &name, None, Some(&url)).await
        }
        Err(e) => error_page(e),
    }
}

pub(super) async fn revoke_share(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> Response {
    let job = match svc.share_job(&id).await {
        Ok(j) => j,
        Err(e) => return error_page(e),
    };
    match svc.revoke_share(&actor, &id).await {
        Ok(()) => Redirect::to(&format!("/jobs/{job}#sharing")).into_response(),
        Err(e) => error_page(e),
    }
}
