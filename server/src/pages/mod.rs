//! HTML pages: fetch through the service layer, render with `glassbox_app`. One file per
//! page family: `datasets` (home, data set dashboard), `job_form` (the new-job form),
//! `jobs` (jobs list, job page, candidate page, notebook view, share links' forms),
//! `review` (choosing the candidates of a candidates-only job), `account` (sign-in,
//! settings, audit log), `shared` (what a share link opens). Who may open which route is
//! decided before a handler runs (`auth::guard`); handlers get the `Actor` to show the
//! controls the reader may use.

mod account;
mod datasets;
mod drafts;
mod job_form;
mod jobs;
mod models;
mod review;
mod shared;

use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::service::Service;

/// The bias question a page's form sent.
fn bias_config(ask: &glassbox_app::model::BiasAsk) -> glassbox_engine::reports::BiasConfig {
    glassbox_engine::reports::BiasConfig::from_text(
        &ask.facet,
        &ask.facet_values,
        &ask.label_values,
        &ask.group,
    )
}

pub fn routes() -> Router<Service> {
    Router::new()
        // The home page; POST is the SageMaker protocol (`X-Amz-Target`).
        .route("/", get(datasets::home).post(crate::sagemaker::handle))
        .route("/status", get(datasets::status))
        .route("/datasets/{id}", get(datasets::dataset))
        .route("/datasets/{id}/delete", post(datasets::delete_dataset))
        .route("/datasets/{id}/target", post(datasets::choose_target))
        .route("/datasets/{id}/new-job", get(job_form::new_job))
        .route("/datasets/{id}/jobs", post(job_form::create_job))
        .route("/jobs", get(jobs::jobs_list))
        .route("/jobs/{name}", get(jobs::job))
        .route("/jobs/{name}/live", get(jobs::job_live))
        .route("/jobs/{name}/stop", post(jobs::stop_job))
        .route("/jobs/{name}/delete", post(jobs::delete_job))
        .route("/jobs/{name}/candidates/{candidate}", get(jobs::candidate))
        .route("/jobs/{name}/compare", get(jobs::compare))
        .route("/jobs/{name}/train", post(review::train_job))
        .route("/jobs/{name}/notebooks/{kind}", get(jobs::notebook_view))
        .route("/jobs/{name}/shares", post(jobs::create_share))
        .route("/shares/{share_id}/revoke", post(jobs::revoke_share))
        .route("/login", get(account::login_form).post(account::login))
        .route("/logout", post(account::logout))
        .route("/settings", get(account::settings))
        .route("/settings/password", post(account::change_password))
        .route("/settings/keys", post(account::create_key))
        .route("/settings/keys/{key_id}/revoke", post(account::revoke_key))
        .route("/settings/users", post(account::add_user))
        .route("/settings/users/{user}/remove", post(account::remove_user))
        .route("/settings/audit", get(account::audit))
        .route("/models", get(models::models))
        .route("/models/groups", post(models::create_group))
        .route(
            "/models/register",
            get(models::register_form).post(models::register),
        )
        .route("/models/{group}", get(models::group))
        .route("/models/{group}/compare", get(models::compare))
        .route("/models/{group}/{version}/approval", post(models::approval))
        .route("/models/{group}/{version}/deploy", post(models::deploy))
        .route("/endpoints/{name}", get(models::endpoint))
        .route("/pipelines/{name}", get(models::pipeline))
        .route("/endpoints/{name}/drift", get(models::drift))
        .route(
            "/endpoints/{name}/drift-schedule",
            post(models::drift_schedule),
        )
        .route("/endpoints/{name}/update", post(models::update_endpoint))
        .route("/endpoints/{name}/delete", post(models::delete_endpoint))
        .route("/share/{token}", get(shared::job))
        .route("/share/{token}/live", get(shared::live))
        .route("/share/{token}/compare", get(shared::compare))
        .route(
            "/share/{token}/candidates/{candidate}",
            get(shared::candidate),
        )
        .route("/share/{token}/notebooks/{kind}", get(shared::notebook))
        .route(
            "/share/{token}/files/notebooks/{file}",
            get(shared::notebook_file),
        )
        .route(
            "/share/{token}/files/candidates/{candidate}/reports/{file}",
            get(shared::report),
        )
        .route(
            "/share/{token}/files/candidates/{candidate}/model.zip",
            get(shared::model),
        )
        .route(
            "/share/{token}/files/candidates/{candidate}/validation-predictions.csv",
            get(shared::validation_predictions),
        )
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
        Html(glassbox_app::error_page(
            404,
            "There is no page at this address.",
        )),
    )
        .into_response()
}

pub(crate) fn error_page(e: crate::error::ApiError) -> Response {
    let status = e.status;
    (
        status,
        Html(glassbox_app::error_page(status.as_u16(), &e.message)),
    )
        .into_response()
}
