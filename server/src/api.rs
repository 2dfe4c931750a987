//! REST API (JSON, SageMaker field names). Handlers translate HTTP to service calls.

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{any, delete, get, post, put};
use axum::{Extension, Json, Router};
use glassbox_app::model::{DatasetInfo, ServerStatus};
use serde::Deserialize;

use crate::auth::{Actor, NewShare};
use crate::error::{ApiError, ErrorBody};
use crate::jobs::{parse_body, CandidateQuery, CreateJob};
use crate::service::Service;
use crate::shapes;

/// The OpenAPI 3 document, generated from the handlers and types above.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Glassbox",
        description = "Transparent AutoML for tabular data. Field names follow SageMaker Autopilot."
    ),
    paths(
        status,
        list_datasets,
        upload_dataset,
        get_dataset,
        delete_dataset,
        get_profile,
        set_target,
        create_job,
        list_jobs,
        describe_job,
        delete_job,
        list_candidates,
        stop_job,
        train_job,
        notebook,
        candidate_model,
        candidate_report,
        candidate_validation_predictions,
        dataset_bias,
        candidate_bias,
        create_share,
        list_shares,
        revoke_share,
        crate::api_models::create_group,
        crate::api_models::list_groups,
        crate::api_models::create_package,
        crate::api_models::list_packages,
        crate::api_models::describe_package,
        crate::api_models::update_package,
        crate::api_models::create_endpoint,
        crate::api_models::list_endpoints,
        crate::api_models::describe_endpoint,
        crate::api_models::update_endpoint,
        crate::api_models::delete_endpoint,
        crate::api_models::drift,
        crate::api_models::set_drift_schedule,
        crate::api_models::drift_reports,
        crate::api_models::invoke,
        crate::api_models::metrics,
        crate::api_models::start_pipeline,
        crate::api_models::describe_pipeline,
        crate::api_models::create_transform,
        crate::api_models::describe_transform,
        crate::api_models::transform_output
    ),
    components(schemas(
        ServerStatus,
        DatasetInfo,
        DatasetList,
        TargetBody,
        UploadForm,
        ErrorBody,
        JobArn,
        NewShare,
        CreateJob,
        crate::jobs::TrainRequest,
        crate::jobs::Channel,
        crate::jobs::DataSource,
        crate::jobs::Objective,
        crate::jobs::JobConfig,
        crate::jobs::Completion,
        crate::jobs::SplitConfig,
        crate::jobs::Generation,
        crate::jobs::FeatureSpecification,
        crate::jobs::AlgorithmsConfig
    ))
)]
pub struct ApiDoc;

#[derive(utoipa::ToSchema, serde::Serialize)]
pub struct DatasetList {
    #[serde(rename = "Datasets")]
    pub datasets: Vec<DatasetInfo>,
}

#[derive(utoipa::ToSchema, serde::Serialize)]
pub struct JobArn {
    #[serde(rename = "AutoMLJobArn")]
    pub arn: String,
}

/// The upload form: the file, and optionally the target column before it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    target: Option<String>,
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    use utoipa::OpenApi;
    Json(ApiDoc::openapi())
}

pub fn routes() -> Router<Service> {
    Router::new()
        .route("/api/openapi.json", get(openapi))
        .route("/api/status", get(status))
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
        .route("/api/automl-jobs", get(list_jobs).post(create_job))
        .route(
            "/api/automl-jobs/{name}",
            get(describe_job).delete(delete_job),
        )
        .route("/api/automl-jobs/{name}/candidates", get(list_candidates))
        .route("/api/automl-jobs/{name}/stop", post(stop_job))
        .route("/api/automl-jobs/{name}/train", post(train_job))
        .route("/api/automl-jobs/{name}/notebooks/{file}", get(notebook))
        .route(
            "/api/automl-jobs/{name}/candidates/{candidate}/model.zip",
            get(candidate_model),
        )
        .route(
            "/api/automl-jobs/{name}/candidates/{candidate}/reports/{file}",
            get(candidate_report),
        )
        .route(
            "/api/automl-jobs/{name}/candidates/{candidate}/validation-predictions.csv",
            get(candidate_validation_predictions),
        )
        .route("/api/datasets/{id}/bias", get(dataset_bias))
        .route(
            "/api/automl-jobs/{name}/candidates/{candidate}/bias",
            get(candidate_bias),
        )
        .route(
            "/api/automl-jobs/{name}/shares",
            get(list_shares).post(create_share),
        )
        .route("/api/shares/{share_id}", delete(revoke_share))
        .route("/api/{*rest}", any(api_not_found))
}

#[utoipa::path(get, path = "/api/status", tag = "server", responses((status = 200, description = "The server's state: version, data folder, free space, counts, limits", body = ServerStatus)))]
async fn status(State(svc): State<Service>) -> Result<Json<ServerStatus>, ApiError> {
    Ok(Json(svc.status().await?))
}

async fn api_not_found() -> ApiError {
    ApiError::not_found("no such API route")
}

#[utoipa::path(get, path = "/api/datasets", tag = "datasets", responses((status = 200, description = "`{\"Datasets\": [DatasetInfo]}`, newest first", body = DatasetList)))]
async fn list_datasets(State(svc): State<Service>) -> Result<Json<DatasetList>, ApiError> {
    Ok(Json(DatasetList {
        datasets: svc.list_datasets().await?,
    }))
}

#[utoipa::path(get, path = "/api/datasets/{id}", tag = "datasets", params(("id" = String, Path, description = "DatasetId")), responses((status = 200, body = DatasetInfo), (status = 404, body = ErrorBody)))]
async fn get_dataset(
    State(svc): State<Service>,
    Path(id): Path<String>,
) -> Result<Json<DatasetInfo>, ApiError> {
    Ok(Json(svc.get_dataset(&id).await?))
}

#[utoipa::path(delete, path = "/api/datasets/{id}", tag = "datasets", params(("id" = String, Path, description = "DatasetId")), responses((status = 200, description = "Deleted with its files: `{\"DatasetId\", \"AffectedJobs\": [names]}`; those jobs keep their results without the data", body = serde_json::Value), (status = 404, body = ErrorBody), (status = 409, description = "A job is training on it", body = ErrorBody)))]
async fn delete_dataset(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let jobs = svc.delete_dataset(&id, &actor).await?;
    Ok(Json(
        serde_json::json!({ "DatasetId": id, "AffectedJobs": jobs }),
    ))
}

#[utoipa::path(get, path = "/api/datasets/{id}/profile", tag = "datasets", params(("id" = String, Path, description = "DatasetId")), responses((status = 200, description = "profile.json (see SPEC)", body = serde_json::Value), (status = 404, body = ErrorBody), (status = 409, description = "Still profiling, or the file could not be read", body = ErrorBody)))]
async fn get_profile(
    State(svc): State<Service>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let p = svc.dataset_profile(&id).await?;
    Ok(Json(serde_json::to_value(p).map_err(ApiError::internal)?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct TargetBody {
    target_attribute_name: Option<String>,
}

#[utoipa::path(put, path = "/api/datasets/{id}/target", tag = "datasets", params(("id" = String, Path, description = "DatasetId")), request_body = TargetBody, responses((status = 202, description = "Profiling again for this target", body = DatasetInfo), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
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
#[utoipa::path(post, path = "/api/datasets", tag = "datasets", request_body(content_type = "multipart/form-data", content = UploadForm), responses((status = 201, description = "Stored; profiling continues in the background (or Failed with the reader's error)", body = DatasetInfo), (status = 400, body = ErrorBody), (status = 413, description = "Larger than --max-upload-bytes", body = ErrorBody)))]
async fn upload_dataset(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
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
        svc.check_room(len)?;
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
                // The upload's body has no size limit but the file's; a column name has.
                let mut field = field;
                let mut bytes = Vec::new();
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(|e| ApiError::bad_request("target", e.body_text()))?
                {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() > 64 * 1024 {
                        return Err(ApiError::bad_request(
                            "target",
                            "the target field is longer than 64 KiB: it names one column",
                        ));
                    }
                }
                let t = String::from_utf8_lossy(&bytes);
                target = Some(t.trim().to_string()).filter(|t| !t.is_empty());
            }
            Some("file") => {
                let name = field.file_name().unwrap_or("upload.csv").to_string();
                let info = svc
                    .create_dataset(&name, Box::pin(field), target.take(), &actor)
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

#[utoipa::path(post, path = "/api/automl-jobs", tag = "automl-jobs", request_body = CreateJob, responses((status = 201, description = "`{\"AutoMLJobArn\": \"…\"}`", body = JobArn), (status = 400, description = "Invalid input; `field` names it", body = ErrorBody)))]
async fn create_job(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<JobArn>), ApiError> {
    let req: CreateJob = parse_body(&body)?;
    let arn = svc.create_job(req, &actor).await?;
    Ok((StatusCode::CREATED, Json(JobArn { arn })))
}

#[utoipa::path(get, path = "/api/automl-jobs", tag = "automl-jobs", responses((status = 200, description = "`{\"AutoMLJobSummaries\": […]}`, newest first", body = serde_json::Value)))]
async fn list_jobs(State(svc): State<Service>) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(
        serde_json::json!({ "AutoMLJobSummaries": svc.jobs().await?.iter().map(shapes::job_summary).collect::<Vec<_>>() }),
    ))
}

#[utoipa::path(get, path = "/api/automl-jobs/{name}", tag = "automl-jobs", params(("name" = String, Path, description = "AutoMLJobName")), responses((status = 200, description = "DescribeAutoMLJob shape, with Progress", body = serde_json::Value), (status = 404, body = ErrorBody)))]
async fn describe_job(
    State(svc): State<Service>,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(shapes::describe_job(&svc.job(&name).await?)))
}

#[utoipa::path(delete, path = "/api/automl-jobs/{name}", tag = "automl-jobs", params(("name" = String, Path, description = "AutoMLJobName")), responses((status = 204, description = "Deleted, with its files"), (status = 404, body = ErrorBody), (status = 409, description = "The job is running; stop it first", body = ErrorBody)))]
async fn delete_job(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    svc.delete_job(&name, &actor.audit_name()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/automl-jobs/{name}/candidates", tag = "automl-jobs", params(("name" = String, Path, description = "AutoMLJobName"), CandidateQuery), responses((status = 200, description = "`{\"Candidates\": [AutoMLCandidate]}`", body = serde_json::Value), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_candidates(
    State(svc): State<Service>,
    Path(name): Path<String>,
    query: Result<axum::extract::Query<CandidateQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let axum::extract::Query(q) =
        query.map_err(|e| ApiError::bad_request("query", e.body_text()))?;
    let job = svc.job(&name).await?;
    let candidates: Vec<serde_json::Value> = match &job.resolved {
        Some(r) => svc
            .candidates(&name, &q)
            .await?
            .iter()
            .map(|c| shapes::candidate(&c.result, r, &c.created_at, Some(&name)))
            .collect(),
        None => vec![],
    };
    Ok(Json(serde_json::json!({ "Candidates": candidates })))
}

#[utoipa::path(post, path = "/api/automl-jobs/{name}/stop", tag = "automl-jobs", params(("name" = String, Path, description = "AutoMLJobName")), responses((status = 200, description = "Stopping; finished candidates are kept", body = serde_json::Value), (status = 400, description = "Already finished", body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn stop_job(
    State(svc): State<Service>,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    svc.stop_job(&name).await?;
    Ok(Json(serde_json::json!({})))
}

#[utoipa::path(post, path = "/api/automl-jobs/{name}/train", tag = "automl-jobs", params(("name" = String, Path, description = "AutoMLJobName")), request_body = crate::jobs::TrainRequest, responses((status = 200, description = "Training the chosen candidates in the same job", body = serde_json::Value), (status = 400, description = "Unknown candidate or hyperparameter, or a range that does not fit; `field` names it", body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "Not a candidates-only job waiting for its candidates to be chosen", body = ErrorBody)))]
async fn train_job(
    State(svc): State<Service>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let req: crate::jobs::TrainRequest = parse_body(&body)?;
    svc.train_job(&name, req).await?;
    Ok(Json(serde_json::json!({})))
}

#[utoipa::path(get, path = "/api/automl-jobs/{name}/candidates/{candidate}/reports/{file}", tag = "automl-jobs", params(("name" = String, Path, description = "AutoMLJobName"), ("candidate" = String, Path, description = "CandidateName"), ("file" = String, Path, description = "quality.json, explainability.json or report.html")), responses((status = 200, description = "quality.json: the model quality report (metrics with their spread across folds, confusion matrices, ROC, precision-recall, gain and lift, calibration, thresholds; per-class scores; residuals). explainability.json: SHAP values on the input columns (global, per row, dependence). report.html: both in one self-contained file", content_type = "application/json"), (status = 404, description = "Unknown job, candidate or report", body = ErrorBody)))]
async fn candidate_report(
    State(svc): State<Service>,
    Path((name, candidate, file)): Path<(String, String, String)>,
) -> Result<axum::response::Response, ApiError> {
    report_response(&svc, &name, &candidate, &file).await
}

/// A candidate's report file, with its content type (shared with the share links).
pub(crate) async fn report_response(
    svc: &Service,
    name: &str,
    candidate: &str,
    file: &str,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let bytes = svc.candidate_report(name, candidate, file).await?;
    let kind = if file.ends_with(".html") {
        "text/html; charset=utf-8"
    } else {
        "application/json"
    };
    Ok(([(axum::http::header::CONTENT_TYPE, kind)], bytes).into_response())
}

#[utoipa::path(get, path = "/api/automl-jobs/{name}/candidates/{candidate}/validation-predictions.csv", tag = "automl-jobs", params(("name" = String, Path, description = "AutoMLJobName"), ("candidate" = String, Path, description = "CandidateName")), responses((status = 200, description = "The rows the leaderboard was scored on: row, actual, predicted_label, proba_<label> per class", content_type = "text/csv"), (status = 404, body = ErrorBody)))]
async fn candidate_validation_predictions(
    State(svc): State<Service>,
    Path((name, candidate)): Path<(String, String)>,
) -> Result<axum::response::Response, ApiError> {
    validation_predictions_response(&svc, &name, &candidate).await
}

pub(crate) async fn validation_predictions_response(
    svc: &Service,
    name: &str,
    candidate: &str,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let bytes = svc
        .candidate_validation_predictions(name, candidate)
        .await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8")],
        bytes,
    )
        .into_response())
}

type BiasParams =
    Result<axum::extract::Query<crate::jobs::BiasQuery>, axum::extract::rejection::QueryRejection>;

fn bias_query(q: BiasParams) -> Result<crate::jobs::BiasQuery, ApiError> {
    q.map(|axum::extract::Query(q)| q)
        .map_err(|e| ApiError::bad_request("query", e.body_text()))
}

#[utoipa::path(get, path = "/api/datasets/{id}/bias", tag = "datasets", params(("id" = String, Path, description = "DatasetId"), crate::jobs::BiasQuery), responses((status = 200, description = "Pre-training bias metrics (SageMaker Clarify's CI, DPL, KL, JS, LP, TVD, KS, CDDL) for the facet, with LabelName as the label", body = serde_json::Value), (status = 400, description = "Unknown column or a value that does not fit; `field` names it", body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn dataset_bias(
    State(svc): State<Service>,
    Path(id): Path<String>,
    query: BiasParams,
) -> Result<Json<glassbox_engine::reports::BiasReport>, ApiError> {
    let q = bias_query(query)?;
    let label = q
        .label_name
        .clone()
        .filter(|l| !l.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("LabelName", "name the label column"))?;
    Ok(Json(svc.dataset_bias(&id, &label, q.config()).await?))
}

#[utoipa::path(get, path = "/api/automl-jobs/{name}/candidates/{candidate}/bias", tag = "automl-jobs", params(("name" = String, Path, description = "AutoMLJobName"), ("candidate" = String, Path, description = "CandidateName"), crate::jobs::BiasQuery), responses((status = 200, description = "Pre-training and post-training bias metrics (SageMaker Clarify's DPPL, DI, DCA, DCR, RD, DAR, DRR, AD, TE, CDDPL, FT) on the candidate's validation rows and predicted labels", body = serde_json::Value), (status = 400, description = "Unknown column or a value that does not fit; `field` names it", body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn candidate_bias(
    State(svc): State<Service>,
    Path((name, candidate)): Path<(String, String)>,
    query: BiasParams,
) -> Result<Json<glassbox_engine::reports::BiasReport>, ApiError> {
    let q = bias_query(query)?;
    Ok(Json(
        svc.candidate_bias(&name, &candidate, q.config()).await?,
    ))
}

#[utoipa::path(get, path = "/api/automl-jobs/{name}/candidates/{candidate}/model.zip", tag = "automl-jobs", params(("name" = String, Path, description = "AutoMLJobName"), ("candidate" = String, Path, description = "CandidateName")), responses((status = 200, description = "The candidate's model.json (with its ensemble members'), glassbox_helpers.py, requirements.txt and a README", content_type = "application/zip"), (status = 404, description = "Unknown job or candidate, or a candidate without a model", body = ErrorBody)))]
async fn candidate_model(
    State(svc): State<Service>,
    Path((name, candidate)): Path<(String, String)>,
) -> Result<axum::response::Response, ApiError> {
    model_response(&svc, &name, &candidate).await
}

pub(crate) async fn model_response(
    svc: &Service,
    name: &str,
    candidate: &str,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let bytes = svc.candidate_model(name, candidate).await?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/zip".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{candidate}.zip\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/automl-jobs/{name}/notebooks/{file}", tag = "automl-jobs", params(("name" = String, Path, description = "AutoMLJobName"), ("file" = String, Path, description = "data-exploration.ipynb, candidate-definition.ipynb, model-insights.ipynb, requirements.txt, glassbox_helpers.py, glassbox_models.py, splits.json, or notebooks.zip (all of them with the candidates' model files and the data)")), responses((status = 200, description = "The file: a notebook (nbformat 4.5 JSON), text, or a zip", content_type = "application/x-ipynb+json"), (status = 404, description = "Unknown job or file, or not generated yet", body = ErrorBody)))]
async fn notebook(
    State(svc): State<Service>,
    Path((name, file)): Path<(String, String)>,
) -> Result<axum::response::Response, ApiError> {
    notebook_response(&svc, &name, &file).await
}

pub(crate) async fn notebook_response(
    svc: &Service,
    name: &str,
    file: &str,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let bytes = svc.notebook(name, file).await?;
    let kind = match file.rsplit('.').next() {
        Some("ipynb") => "application/x-ipynb+json",
        Some("zip") => "application/zip",
        Some("json") => "application/json",
        Some("py") => "text/x-python; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    };
    let disposition = format!("attachment; filename=\"{}\"", file.replace('"', ""));
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, kind.to_string()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

#[utoipa::path(post, path = "/api/automl-jobs/{name}/shares", tag = "sharing", params(("name" = String, Path, description = "AutoMLJobName")), request_body = NewShare, responses((status = 201, description = "`{\"ShareId\", \"Url\"}`: a read-only link to this job's leaderboard, candidate pages, reports and notebook views. The URL is shown once; only its hash is kept", body = serde_json::Value), (status = 400, body = ErrorBody), (status = 403, description = "Only the job's owner or an admin shares it", body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn create_share(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let req: NewShare = if body.iter().all(u8::is_ascii_whitespace) {
        NewShare::default()
    } else {
        parse_body(&body)?
    };
    let (id, token) = svc.create_share(&actor, &name, &req).await?;
    let url = format!("{}/share/{token}", svc.settings.hosts.base_url(&headers));
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "ShareId": id, "Url": url })),
    ))
}

#[utoipa::path(get, path = "/api/automl-jobs/{name}/shares", tag = "sharing", params(("name" = String, Path, description = "AutoMLJobName")), responses((status = 200, description = "`{\"Shares\": [{ShareId, AutoMLJobName, IncludeData, CreatedBy, CreationTime, ExpirationTime, LastAccessTime, Status}]}`, newest first (the URLs are never shown again)", body = serde_json::Value), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_shares(
    State(svc): State<Service>,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    svc.job_owner(&name).await?;
    Ok(Json(
        serde_json::json!({ "Shares": svc.shares(&name).await? }),
    ))
}

#[utoipa::path(delete, path = "/api/shares/{share_id}", tag = "sharing", params(("share_id" = String, Path, description = "ShareId")), responses((status = 204, description = "Revoked: the link stops working at once"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "Already revoked", body = ErrorBody)))]
async fn revoke_share(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    svc.revoke_share(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
