//! The home page and a data set's dashboard.

use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::error_page;
use crate::auth::Actor;
use crate::service::Service;
use axum::Extension;
use glassbox_app::model::BiasAsk;

pub(super) async fn home(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
) -> Response {
    let low_space = crate::storage::disk_space(&svc.settings.data_dir)
        .map(|(free, _)| free)
        .filter(|&free| free < crate::storage::LOW_SPACE_BYTES);
    match svc.list_datasets().await {
        Ok(list) => Html(glassbox_app::home_page(
            &actor.who(None),
            &list,
            svc.settings.max_upload_bytes,
            low_space,
        ))
        .into_response(),
        Err(e) => error_page(e),
    }
}

pub(super) async fn status(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
) -> Response {
    match svc.status().await {
        Ok(s) => Html(glassbox_app::status_page(&actor.who(None), &s)).into_response(),
        Err(e) => error_page(e),
    }
}

pub(super) async fn delete_dataset(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> Response {
    match svc.delete_dataset(&id, &actor).await {
        Ok(_) => Redirect::to("/").into_response(),
        Err(e) => error_page(e),
    }
}

pub(super) async fn dataset(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
    ask: Result<Query<BiasAsk>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let ds = match svc.get_dataset(&id).await {
        Ok(d) => d,
        Err(e) => return error_page(e),
    };
    let profile = if ds.is_ready() {
        svc.dataset_profile(&id).await.ok()
    } else {
        None
    };
    let ask = ask.map(|Query(a)| a).unwrap_or_default();
    let bias = if ask.asked() && ds.is_ready() {
        Some(
            svc.dataset_bias(&id, ask.label.trim(), super::bias_config(&ask))
                .await
                .map_err(|e| e.message),
        )
    } else {
        None
    };
    Html(glassbox_app::dataset_page(
        &actor.who(ds.owner),
        &ds,
        profile.as_ref(),
        &ask,
        bias.as_ref(),
    ))
    .into_response()
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
