//! REST routes for the model registry and real-time endpoints, and the sagemaker-runtime
//! invocation path. Handlers translate HTTP to the service (`registry.rs`,
//! `endpoints.rs`); the response shapes are in `shapes_models.rs`.

use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Actor;
use crate::endpoints::{Format, Source, MAX_PAYLOAD_BYTES};
use crate::error::{ApiError, ErrorBody};
use crate::jobs::parse_body;
use crate::registry::Registration;
use crate::service::Service;
use crate::shapes_models as shapes;

pub fn routes() -> Router<Service> {
    Router::new()
        .route(
            "/api/model-package-groups",
            get(list_groups).post(create_group),
        )
        .route(
            "/api/model-packages",
            get(list_packages).post(create_package),
        )
        .route(
            "/api/model-packages/{group}/{version}",
            get(describe_package).patch(update_package),
        )
        .route("/api/endpoints", get(list_endpoints).post(create_endpoint))
        .route(
            "/api/endpoints/{name}",
            get(describe_endpoint)
                .put(update_endpoint)
                .delete(delete_endpoint),
        )
        .route(
            "/endpoints/{name}/invocations",
            post(invoke).layer(DefaultBodyLimit::max(MAX_PAYLOAD_BYTES)),
        )
        .route("/metrics", get(metrics))
        .route("/api/endpoints/{name}/drift", get(drift))
        .route(
            "/api/endpoints/{name}/drift-schedule",
            axum::routing::put(set_drift_schedule),
        )
        .route("/api/endpoints/{name}/drift-reports", get(drift_reports))
        .route("/api/pipeline-executions", post(start_pipeline))
        .route("/api/pipeline-executions/{name}", get(describe_pipeline))
        .route("/api/transform-jobs", post(create_transform))
        .route("/api/transform-jobs/{name}", get(describe_transform))
        .route("/api/transform-jobs/{name}/output", get(transform_output))
}

#[utoipa::path(post, path = "/api/pipeline-executions", tag = "pipelines", request_body(content = Object, description = "`{\"PipelineExecutionName\", \"TrainDatasetId\", \"TestDatasetId\", \"TargetAttributeName\", \"ModelPackageGroupName\", \"MinObjectiveValue\"?, \"AutoMLJobConfig\"?, \"AutoMLJobObjective\"?}`"), responses((status = 201, description = "`{\"PipelineExecutionArn\"}`: Train → Evaluate → Register runs in the background", body = serde_json::Value), (status = 400, body = ErrorBody)))]
pub(crate) async fn start_pipeline(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let req: crate::pipelines::PipelineRequest = parse_body(&body)?;
    let name = req.pipeline_execution_name.clone();
    svc.start_pipeline(&actor, req).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "PipelineExecutionArn": shapes::pipeline_arn(&name) })),
    ))
}

#[utoipa::path(get, path = "/api/pipeline-executions/{name}", tag = "pipelines", params(("name" = String, Path)), responses((status = 200, description = "Status and each step's status, times, reason and outcome", body = serde_json::Value), (status = 404, body = ErrorBody)))]
pub(crate) async fn describe_pipeline(
    State(svc): State<Service>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(shapes::pipeline(&svc.pipeline(&name).await?)))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct TransformInput {
    dataset_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct CreateTransform {
    transform_job_name: String,
    model_package: Option<String>,
    source_candidate: Option<SourceCandidate>,
    transform_input: TransformInput,
    join_source: Option<String>,
}

#[utoipa::path(post, path = "/api/transform-jobs", tag = "transform", request_body(content = Object, description = "`{\"TransformJobName\", \"ModelPackage\"|\"SourceCandidate\", \"TransformInput\": {\"DatasetId\"}, \"JoinSource\": \"Input|None\"}`"), responses((status = 201, description = "`{\"TransformJobArn\"}`; scoring runs in the background", body = serde_json::Value), (status = 400, body = ErrorBody)))]
pub(crate) async fn create_transform(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let req: CreateTransform = parse_body(&body)?;
    let join = crate::transform::join_source("JoinSource", req.join_source.as_deref())?;
    let source = source_in(req.model_package.as_deref(), req.source_candidate.as_ref())?;
    let name = req.transform_job_name;
    svc.create_transform(
        &actor,
        &name,
        source,
        &req.transform_input.dataset_id,
        join,
        None,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "TransformJobArn": shapes::transform_arn(&name) })),
    ))
}

#[utoipa::path(get, path = "/api/transform-jobs/{name}", tag = "transform", params(("name" = String, Path)), responses((status = 200, description = "Status, RowsProcessed, Progress", body = serde_json::Value), (status = 404, body = ErrorBody)))]
pub(crate) async fn describe_transform(
    State(svc): State<Service>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(shapes::transform(&svc.transform(&name).await?)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct OutputQuery {
    /// `csv` (the default) or `parquet` (typed columns).
    format: Option<String>,
}

#[utoipa::path(get, path = "/api/transform-jobs/{name}/output", tag = "transform", params(("name" = String, Path), OutputQuery), responses((status = 200, description = "The output: CSV, or Parquet with ?format=parquet", content_type = "text/csv"), (status = 409, description = "Not finished", body = ErrorBody)))]
/// The output CSV (or Parquet), streamed from disk.
pub(crate) async fn transform_output(
    State(svc): State<Service>,
    Path(name): Path<String>,
    query: Result<Query<OutputQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request("query", e.body_text()))?;
    let (path, media, ext) = match q.format.as_deref().unwrap_or("csv") {
        "csv" => (
            svc.transform_file(&name).await?,
            "text/csv; charset=utf-8",
            "csv",
        ),
        "parquet" => (
            svc.transform_parquet(&name).await?,
            "application/vnd.apache.parquet",
            "parquet",
        ),
        other => {
            return Err(ApiError::bad_request(
                "format",
                format!("{other:?}: use csv or parquet"),
            ))
        }
    };
    let file = tokio::fs::File::open(&path).await?;
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(file));
    Ok((
        [
            (header::CONTENT_TYPE, media.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.{ext}\""),
            ),
        ],
        body,
    )
        .into_response())
}

#[utoipa::path(get, path = "/metrics", tag = "endpoints", responses((status = 200, description = "Prometheus text format: per endpoint, requests, errors and a latency histogram", content_type = "text/plain")))]
/// Prometheus text format: each endpoint's requests, errors and latency histogram.
pub(crate) async fn metrics(State(svc): State<Service>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        svc.stats.prometheus(),
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct CreateGroup {
    model_package_group_name: String,
    model_package_group_description: Option<String>,
}

#[utoipa::path(post, path = "/api/model-package-groups", tag = "registry", request_body(content = Object, description = "`{\"ModelPackageGroupName\", \"ModelPackageGroupDescription\"?}`"), responses((status = 201, description = "`{\"ModelPackageGroupArn\"}`", body = serde_json::Value), (status = 400, body = ErrorBody), (status = 409, description = "The name is taken", body = ErrorBody)))]
pub(crate) async fn create_group(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let req: CreateGroup = parse_body(&body)?;
    svc.create_group(
        &actor,
        &req.model_package_group_name,
        req.model_package_group_description.as_deref(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "ModelPackageGroupArn": shapes::group_arn(&req.model_package_group_name) })),
    ))
}

#[utoipa::path(get, path = "/api/model-package-groups", tag = "registry", responses((status = 200, description = "`{\"ModelPackageGroupSummaryList\": […]}`", body = serde_json::Value)))]
pub(crate) async fn list_groups(State(svc): State<Service>) -> Result<Json<Value>, ApiError> {
    let groups = svc.groups().await?;
    Ok(Json(json!({
        "ModelPackageGroupSummaryList": groups.iter().map(shapes::group).collect::<Vec<_>>()
    })))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct SourceCandidate {
    #[serde(rename = "AutoMLJobName")]
    job: String,
    candidate_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct CreatePackage {
    model_package_group_name: String,
    source_candidate: SourceCandidate,
    model_approval_status: Option<String>,
    test_dataset_id: Option<String>,
}

#[utoipa::path(post, path = "/api/model-packages", tag = "registry", request_body(content = Object, description = "`{\"ModelPackageGroupName\", \"SourceCandidate\": {\"AutoMLJobName\", \"CandidateName\"}, \"ModelApprovalStatus\"?, \"TestDatasetId\"?}`: registers the candidate as the group's next version, its files frozen"), responses((status = 201, description = "`{\"ModelPackageArn\", \"ModelPackageVersion\"}`", body = serde_json::Value), (status = 400, body = ErrorBody)))]
pub(crate) async fn create_package(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let req: CreatePackage = parse_body(&body)?;
    let group = req.model_package_group_name;
    let version = svc
        .register(
            &actor,
            Registration {
                group: &group,
                job: &req.source_candidate.job,
                candidate: &req.source_candidate.candidate_name,
                approval: req.model_approval_status.as_deref(),
                test_dataset: req.test_dataset_id.as_deref(),
                model_metrics: None,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "ModelPackageArn": shapes::package_arn(&group, version),
            "ModelPackageVersion": version,
        })),
    ))
}

#[derive(Deserialize)]
pub(crate) struct PackageQuery {
    #[serde(rename = "ModelPackageGroupName")]
    group: Option<String>,
}

#[utoipa::path(get, path = "/api/model-packages", tag = "registry", params(("ModelPackageGroupName" = Option<String>, Query, description = "one group's versions")), responses((status = 200, description = "`{\"ModelPackageSummaryList\": […]}`, newest first", body = serde_json::Value), (status = 404, body = ErrorBody)))]
pub(crate) async fn list_packages(
    State(svc): State<Service>,
    q: Result<Query<PackageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::bad_request("query", e.body_text()))?;
    if let Some(g) = &q.group {
        svc.group_owner(g).await?;
    }
    let list = svc.packages(q.group.as_deref()).await?;
    Ok(Json(json!({
        "ModelPackageSummaryList": list.iter().map(shapes::package_summary).collect::<Vec<_>>()
    })))
}

fn version_of(v: &str) -> Result<i64, ApiError> {
    v.parse()
        .map_err(|_| ApiError::not_found(format!("{v:?} is not a version number")))
}

#[utoipa::path(get, path = "/api/model-packages/{group}/{version}", tag = "registry", params(("group" = String, Path), ("version" = i64, Path)), responses((status = 200, description = "DescribeModelPackage: approval, ModelMetrics, TestQualityReport, Lineage", body = serde_json::Value), (status = 404, body = ErrorBody)))]
pub(crate) async fn describe_package(
    State(svc): State<Service>,
    Path((group, version)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let p = svc.package(&group, version_of(&version)?).await?;
    Ok(Json(shapes::package(&p)))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct UpdatePackage {
    model_approval_status: String,
    approval_description: Option<String>,
}

#[utoipa::path(patch, path = "/api/model-packages/{group}/{version}", tag = "registry", params(("group" = String, Path), ("version" = i64, Path)), request_body(content = Object, description = "`{\"ModelApprovalStatus\": \"Approved|Rejected|PendingManualApproval\", \"ApprovalDescription\"?}`"), responses((status = 200, body = serde_json::Value), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn update_package(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path((group, version)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: UpdatePackage = parse_body(&body)?;
    let version = version_of(&version)?;
    svc.set_approval(
        &actor,
        &group,
        version,
        &req.model_approval_status,
        req.approval_description.as_deref(),
    )
    .await?;
    Ok(Json(
        json!({ "ModelPackageArn": shapes::package_arn(&group, version) }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct EndpointBody {
    endpoint_name: Option<String>,
    /// "group/version"
    model_package: Option<String>,
    source_candidate: Option<SourceCandidate>,
    data_capture_config: Option<DataCaptureConfig>,
}

/// SageMaker's DataCaptureConfig (the capture goes to the data folder), with a size cap.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct DataCaptureConfig {
    enable_capture: Option<bool>,
    initial_sampling_percentage: u32,
    /// At most this many bytes are kept (default 100 MiB).
    max_bytes: Option<u64>,
}

fn capture_of(b: &EndpointBody) -> Result<Option<(u32, u64)>, ApiError> {
    let Some(c) = &b.data_capture_config else {
        return Ok(None);
    };
    if c.initial_sampling_percentage > 100 {
        return Err(ApiError::bad_request(
            "DataCaptureConfig.InitialSamplingPercentage",
            format!(
                "{} is not a percentage (0 to 100)",
                c.initial_sampling_percentage
            ),
        ));
    }
    Ok((c.enable_capture != Some(false)).then_some((
        c.initial_sampling_percentage,
        c.max_bytes.unwrap_or(100 << 20),
    )))
}

/// What a request body names to serve.
fn source_in(
    package: Option<&str>,
    candidate: Option<&SourceCandidate>,
) -> Result<Source, ApiError> {
    Source::given(
        package,
        candidate.map(|c| (c.job.as_str(), c.candidate_name.as_str())),
    )
}

#[utoipa::path(post, path = "/api/endpoints", tag = "endpoints", request_body(content = Object, description = "`{\"EndpointName\", \"ModelPackage\": \"group/version\"}` (an Approved version) or `{\"EndpointName\", \"SourceCandidate\": {…}}`, with an optional `DataCaptureConfig`"), responses((status = 201, description = "`{\"EndpointArn\"}`; InService", body = serde_json::Value), (status = 400, body = ErrorBody)))]
pub(crate) async fn create_endpoint(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let req: EndpointBody = parse_body(&body)?;
    let name = req
        .endpoint_name
        .clone()
        .ok_or_else(|| ApiError::bad_request("EndpointName", "name the endpoint"))?;
    let source = source_in(req.model_package.as_deref(), req.source_candidate.as_ref())?;
    svc.create_endpoint(&actor, &name, source, capture_of(&req)?)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "EndpointArn": shapes::endpoint_arn(&name) })),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct DriftSchedule {
    /// Seconds between reports; null stops the schedule.
    every_seconds: Option<i64>,
}

#[utoipa::path(put, path = "/api/endpoints/{name}/drift-schedule", tag = "endpoints", params(("name" = String, Path)), request_body(content = Object, description = "`{\"EverySeconds\": N}` (5 to 604800), or `{\"EverySeconds\": null}` to stop"), responses((status = 204, description = "Set"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
/// Computes the endpoint's drift report every N seconds and keeps the newest 100.
pub(crate) async fn set_drift_schedule(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let req: DriftSchedule = parse_body(&body)?;
    svc.set_drift_schedule(&actor, &name, req.every_seconds)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/endpoints/{name}/drift-reports", tag = "endpoints", params(("name" = String, Path)), responses((status = 200, description = "`{\"EverySeconds\", \"DriftReports\": [{CreationTime, Severity, Rows, Report}]}`, newest first", body = serde_json::Value), (status = 404, body = ErrorBody)))]
/// The scheduled drift reports, newest first.
pub(crate) async fn drift_reports(
    State(svc): State<Service>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let runs = svc.drift_history(&name).await?;
    Ok(Json(json!({
        "EverySeconds": svc.drift_schedule(&name).await?,
        "DriftReports": runs,
    })))
}

#[utoipa::path(get, path = "/api/endpoints/{name}/drift", tag = "endpoints", params(("name" = String, Path)), responses((status = 200, description = "The drift report: per column PSI, KS, JS divergence, unseen levels, missing rates, with severities; and the predictions", body = serde_json::Value), (status = 409, description = "Nothing captured yet, or the training data is gone", body = ErrorBody)))]
/// The drift report of an endpoint's captured requests against its training data.
pub(crate) async fn drift(
    State(svc): State<Service>,
    Path(name): Path<String>,
) -> Result<Json<glassbox_engine::reports::DriftReport>, ApiError> {
    Ok(Json(svc.drift(&name).await?))
}

#[utoipa::path(get, path = "/api/endpoints", tag = "endpoints", responses((status = 200, description = "`{\"Endpoints\": […]}`", body = serde_json::Value)))]
pub(crate) async fn list_endpoints(State(svc): State<Service>) -> Result<Json<Value>, ApiError> {
    let list = svc.endpoints().await?;
    Ok(Json(json!({
        "Endpoints": list.iter().map(shapes::endpoint).collect::<Vec<_>>()
    })))
}

#[utoipa::path(get, path = "/api/endpoints/{name}", tag = "endpoints", params(("name" = String, Path)), responses((status = 200, description = "DescribeEndpoint: EndpointStatus (Creating, InService, Updating, Failed), what it serves", body = serde_json::Value), (status = 404, body = ErrorBody)))]
pub(crate) async fn describe_endpoint(
    State(svc): State<Service>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(shapes::endpoint(&svc.endpoint(&name).await?)))
}

#[utoipa::path(put, path = "/api/endpoints/{name}", tag = "endpoints", params(("name" = String, Path)), request_body(content = Object, description = "`{\"ModelPackage\"}` or `{\"SourceCandidate\"}`: loaded, then swapped in at once"), responses((status = 200, body = serde_json::Value), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn update_endpoint(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: EndpointBody = parse_body(&body)?;
    let source = source_in(req.model_package.as_deref(), req.source_candidate.as_ref())?;
    svc.update_endpoint(&actor, &name, source).await?;
    Ok(Json(json!({ "EndpointArn": shapes::endpoint_arn(&name) })))
}

#[utoipa::path(delete, path = "/api/endpoints/{name}", tag = "endpoints", params(("name" = String, Path)), responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)))]
pub(crate) async fn delete_endpoint(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    svc.delete_endpoint(&actor, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
pub(crate) struct InvokeQuery {
    /// Add each row's SHAP values per input column.
    #[serde(default)]
    explain: bool,
}

#[utoipa::path(post, path = "/endpoints/{name}/invocations", tag = "endpoints", params(("name" = String, Path), ("explain" = Option<bool>, Query, description = "add each row's SHAP values")), request_body(content = String, description = "text/csv rows without a header in training column order; application/json `{\"instances\": [{column: value}]}`; application/jsonlines", content_type = "text/csv"), responses((status = 200, description = "By Accept: text/csv (label, probability), application/json `{\"predictions\": [{predicted_label, probability, probabilities}]}`, application/jsonlines"), (status = 400, description = "A bad row, naming the row and column", body = ErrorBody), (status = 413, description = "Over 6 MB", body = ErrorBody)))]
/// `POST /endpoints/{name}/invocations[?explain=true]`, counted in the endpoint's
/// statistics.
pub(crate) async fn invoke(
    State(svc): State<Service>,
    Path(name): Path<String>,
    Query(q): Query<InvokeQuery>,
    headers: HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let started = std::time::Instant::now();
    let r = match body {
        Ok(body) => answer(&svc, &name, &headers, body, q.explain).await,
        Err(e) => Err(ApiError::new(
            e.status(),
            format!("{} (the limit is {MAX_PAYLOAD_BYTES} bytes)", e.body_text()),
        )),
    };
    let r = r.unwrap_or_else(runtime_error);
    if svc
        .live
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .contains_key(&name)
    {
        svc.stats
            .record(&name, r.status().as_u16(), started.elapsed().as_secs_f64());
    }
    r
}

/// An invocation's error as the REST API sends it, with what sagemaker-runtime clients
/// read too: the error code in `x-amzn-errortype` and the text in `message` (botocore
/// shows it in the ClientError).
fn runtime_error(e: ApiError) -> Response {
    let code = match e.status.as_u16() {
        404 | 409 => "ModelNotReadyException",
        s if s >= 500 => "InternalFailure",
        _ => "ValidationError",
    };
    let mut body = json!({ "error": e.message, "message": e.message });
    if let Some(f) = e.field {
        body["field"] = json!(f);
    }
    let mut r = (e.status, Json(body)).into_response();
    r.headers_mut()
        .insert("x-amzn-errortype", header::HeaderValue::from_static(code));
    r
}

/// The body's format by Content-Type; the answer's by Accept (the body's own when Accept
/// is absent or `*/*`).
async fn answer(
    svc: &Service,
    name: &str,
    headers: &HeaderMap,
    body: axum::body::Bytes,
    explain: bool,
) -> Result<Response, ApiError> {
    let given = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("text/csv");
    let format = Format::parse(given).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "Content-Type {given:?}: send text/csv, application/json or application/jsonlines"
            ),
        )
    })?;
    let accept = match headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) {
        None | Some("*/*") | Some("") => format,
        Some(a) => a
            .split(',')
            .find_map(|m| Format::parse(m).or((m.trim() == "*/*").then_some(format)))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_ACCEPTABLE,
                    format!("Accept {a:?}: answers are text/csv, application/json or application/jsonlines"),
                )
            })?,
    };
    let bytes = svc.invoke(name, format, accept, body, explain).await?;
    Ok(([(header::CONTENT_TYPE, accept.media())], bytes).into_response())
}
