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
