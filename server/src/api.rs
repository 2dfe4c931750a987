//! REST API (JSON, SageMaker field names). Handlers translate HTTP to service calls.

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{any, get, put};
use axum::{Json, Router};
use glassbox_app::model::DatasetInfo;
use serde::Deserialize;

use crate::error::ApiError;
use crate::service::Service;

pub fn routes() -> Router<Service> {
    Router::new()
        .route(
            "/api/datasets",
            get(list_datasets)
                .post(upload_dataset)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/api/datasets/{id}",
            get(get_dataset).delete(delete_dataset),
        )
        .route("/api/datasets/{id}/profile", get(get_profile))
        .route("/api/datasets/{id}/target", put(set_target))
        .route("/api/{*rest}", any(api_not_found))
}

async fn api_not_found() -> ApiError {
    ApiError::not_found("no such API route")
}

async fn list_datasets(State(svc): State<Service>) -> Result<Json<serde_json::Value>, ApiError> {
    let list = svc.list_datasets().await?;
    Ok(Json(serde_json::json!({ "Datasets": list })))
}

async fn get_dataset(
    State(svc): State<Service>,
    Path(id): Path<String>,
) -> Result<Json<DatasetInfo>, ApiError> {
    Ok(Json(svc.get_dataset(&id).await?))
}

async fn delete_dataset(
    State(svc): State<Service>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    svc.delete_dataset(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_profile(
    State(svc): State<Service>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = svc.dataset_profile(&id).await?;
    Ok(Json(serde_json::to_value(p).map_err(ApiError::internal)?))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct TargetBody {
    target_attribute_name: Option<String>,
}

async fn set_target(
    State(svc): State<Service>,
    Path(id): Path<String>,
    body: Result<Json<TargetBody>, JsonRejection>,
) -> Result<(StatusCode, Json<DatasetInfo>), ApiError> {
    let Json(body) = body.map_err(|e| ApiError::bad_request("body", e.body_text()))?;
    let target = body.target_attribute_name.filter(|t| !t.is_empty());
    Ok((
        StatusCode::ACCEPTED,
        Json(svc.set_target(&id, target).await?),
    ))
}

/// `POST /api/datasets`: multipart with a `file` field (and an optional `target` field
/// before it). The file is streamed to disk chunk by chunk.
async fn upload_dataset(
    State(svc): State<Service>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<DatasetInfo>), ApiError> {
    let limit = svc.settings.max_upload_bytes;
    if let Some(len) = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        // Multipart framing adds a little; refuse early what cannot fit.
        if len > limit.saturating_add(64 * 1024) {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the upload is {len} bytes, larger than the limit of {limit} bytes (set --max-upload-bytes to raise it)"),
            ));
        }
    }
    let mut multipart = multipart.map_err(|e| {
        ApiError::bad_request(
            "file",
            format!("expected a multipart/form-data body: {}", e.body_text()),
        )
    })?;
    let mut target: Option<String> = None;
    loop {
        let field = multipart.next_field().await.map_err(|e| {
            ApiError::new(
                e.status(),
                format!("could not read the multipart body: {}", e.body_text()),
            )
        })?;
        let Some(field) = field else { break };
        match field.name() {
            Some("target") => {
                let t = field
                    .text()
                    .await
                    .map_err(|e| ApiError::bad_request("target", e.body_text()))?;
                target = Some(t.trim().to_string()).filter(|t| !t.is_empty());
            }
            Some("file") => {
                let name = field.file_name().unwrap_or("upload.csv").to_string();
                let info = svc
                    .create_dataset(&name, Box::pin(field), target.take())
                    .await?;
                return Ok((StatusCode::CREATED, Json(info)));
            }
            _ => {}
        }
    }
    Err(ApiError::bad_request(
        "file",
        "the multipart body has no field named \"file\"",
    ))
}
