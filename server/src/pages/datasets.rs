//! The home page and a data set's dashboard.

use axum::extract::{Form, Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::error_page;
use crate::service::Service;

pub(super) async fn home(State(svc): State<Service>) -> Response {
    match svc.list_datasets().await {
        Ok(list) => Html(glassbox_app::home_page(
            &list,
            svc.settings.max_upload_bytes,
        ))
        .into_response(),
        Err(e) => error_page(e),
    }
}

pub(super) async fn dataset(State(svc): State<Service>, Path(id): Path<String>) -> Response {
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
pub(super) struct TargetForm {
    target: String,
}

pub(super) async fn choose_target(
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
