//! The SageMaker protocol: `POST /` (at any path prefix, as boto3 keeps its endpoint
//! URL's path) with `X-Amz-Target: SageMaker.<Operation>` and an
//! `application/x-amz-json-1.1` body, so that boto3's `sagemaker` client runs unchanged
//! against Glassbox. Each operation translates its request into the service layer's calls
//! and the answer into botocore's output shape. *SageMaker's names live only here and in
//! `shapes*.rs`.*
//!
//! Errors are what botocore parses: HTTP 400 with `{"__type", "message"}`, where the type
//! is one the operation declares in botocore's model (ResourceNotFound, ResourceInUse,
//! ConflictException) or else ValidationException, as SageMaker itself answers. Only our
//! own faults are 5xx, which botocore retries.

mod automl_ops;
mod hosting_ops;
mod registry_ops;
mod wire;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::Value;

use crate::auth::{policy, Actor};
use crate::error::ApiError;
use crate::service::Service;

pub const TARGET_HEADER: &str = "x-amz-target";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// What an operation's errors may be called, from botocore's model of it.
#[derive(Clone, Copy)]
struct Declares {
    not_found: bool,
    in_use: bool,
    conflict: bool,
}

const NONE: Declares = Declares {
    not_found: false,
    in_use: false,
    conflict: false,
};
const NOT_FOUND: Declares = Declares {
    not_found: true,
    ..NONE
};
const IN_USE: Declares = Declares {
    in_use: true,
    ..NONE
};

/// The operations Glassbox answers, with the errors botocore's model declares for them.
fn declares(op: &str) -> Option<Declares> {
    Some(match op {
        "CreateAutoMLJob" | "CreateAutoMLJobV2" => IN_USE,
        "DescribeAutoMLJob"
        | "DescribeAutoMLJobV2"
        | "ListCandidatesForAutoMLJob"
        | "StopAutoMLJob"
        | "DescribeTransformJob" => NOT_FOUND,
        "CreateTransformJob" => Declares {
            not_found: true,
            in_use: true,
            conflict: false,
        },
        "CreateModelPackage" | "UpdateModelPackage" => Declares {
            conflict: true,
            ..NONE
        },
        "ListAutoMLJobs"
        | "CreateModel"
        | "DescribeModel"
        | "DeleteModel"
        | "ListModels"
        | "CreateEndpointConfig"
        | "DescribeEndpointConfig"
        | "DeleteEndpointConfig"
        | "CreateEndpoint"
        | "DescribeEndpoint"
        | "UpdateEndpoint"
        | "DeleteEndpoint"
        | "ListEndpoints"
        | "ListTransformJobs"
        | "CreateModelPackageGroup"
        | "DescribeModelPackageGroup"
        | "ListModelPackageGroups"
        | "DescribeModelPackage"
        | "ListModelPackages"
        | "AddTags"
        | "ListTags"
        | "DeleteTags" => NONE,
        _ => return None,
    })
}

/// A request for an operation: its body, and who sent it.
pub(crate) struct Call<'a> {
    pub svc: &'a Service,
    pub actor: &'a Actor,
    pub body: &'a Value,
}

/// Before routing: a SageMaker request sent to a path prefix (boto3 with
/// `endpoint_url="http://host/prefix"`) is routed as `POST /`. Its signature was made
/// over the path it was sent to, which stays in `OriginalUri`.
pub fn route_at_any_prefix(mut req: Request) -> Request {
    if req.method() == Method::POST
        && req.uri().path() != "/"
        && req.headers().contains_key(TARGET_HEADER)
    {
        let original = req.uri().clone();
        req.extensions_mut()
            .insert(axum::extract::OriginalUri(original.clone()));
        let query = original
            .query()
            .map(|q| format!("/?{q}"))
            .unwrap_or_else(|| "/".into());
        if let Ok(uri) = query.parse::<Uri>() {
            *req.uri_mut() = uri;
        }
    }
    req
}

/// Does this request speak the SageMaker protocol? (Its refusals are then in its shape.)
pub fn is_sagemaker(headers: &HeaderMap) -> bool {
    headers.contains_key(TARGET_HEADER)
}

/// A refusal before the operation runs (signature, access), in botocore's error shape.
pub fn refusal(status: StatusCode, message: String) -> Response {
    let kind = match status {
        StatusCode::UNAUTHORIZED => "InvalidSignatureException",
        StatusCode::FORBIDDEN => "AccessDeniedException",
        _ => "ValidationException",
    };
    fault(status, kind, message)
}

fn fault(status: StatusCode, kind: &str, message: String) -> Response {
    let body = serde_json::json!({ "__type": kind, "message": message });
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if let Ok(v) = HeaderValue::from_str(kind) {
        r.headers_mut().insert("x-amzn-errortype", v);
    }
    r
}

/// An error of the service layer as the operation's error.
fn failure(op: &str, e: ApiError) -> Response {
    let d = declares(op).unwrap_or(NONE);
    if e.status.is_server_error() {
        return fault(e.status, "InternalFailure", e.message);
    }
    let kind = if e.taken && d.in_use {
        "ResourceInUse"
    } else if e.status == StatusCode::NOT_FOUND && d.not_found {
        "ResourceNotFound"
    } else if e.status == StatusCode::CONFLICT && d.conflict {
        "ConflictException"
    } else {
        "ValidationException"
    };
    let message = match &e.field {
        Some(f) if !e.message.contains(f.as_str()) => format!("{f}: {}", e.message),
        _ => e.message,
    };
    fault(StatusCode::BAD_REQUEST, kind, message)
}

/// `POST /` with `X-Amz-Target`.
pub async fn handle(
    State(svc): State<Service>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers
        .get(TARGET_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let Some(op) = target.strip_prefix("SageMaker.") else {
        return fault(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            format!(
                "X-Amz-Target {target:?}: this endpoint answers SageMaker.<Operation> (and InvokeEndpoint at POST /endpoints/NAME/invocations)"
            ),
        );
    };
    if declares(op).is_none() {
        return fault(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            format!("Glassbox does not implement the SageMaker operation {op}"),
        );
    }
    let parsed: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        match serde_json::from_slice(&body) {
            Ok(v @ Value::Object(_)) => v,
            Ok(_) => {
                return failure(
                    op,
                    ApiError::bad_request("body", "the request body must be a JSON object"),
                )
            }
            Err(e) => return failure(op, ApiError::bad_request("body", format!("not JSON: {e}"))),
        }
    };
    let call = Call {
        svc: &svc,
        actor: &actor,
        body: &parsed,
    };
    if let Err(refused) = permitted(&call, op).await {
        return refused;
    }
    match run(&call, op).await {
        Ok(v) => {
            let mut r = (StatusCode::OK, v.to_string()).into_response();
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
            r
        }
        Err(e) => failure(op, e),
    }
}

/// May the caller run `op` on the object the request names? (`policy::operation`.) An
/// object that does not exist is the operation's own error.
async fn permitted(call: &Call<'_>, op: &str) -> Result<(), Response> {
    let need = policy::operation(op);
    let id = policy::operation_object(op)
        .and_then(|(_, field)| call.body.get(field))
        .and_then(Value::as_str)
        .map(|s| wire::object_name(op, s))
        .unwrap_or_default();
    match crate::auth::may(call.svc, call.actor, need, &id).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(match call.actor {
            Actor::Anonymous => refusal(
                StatusCode::UNAUTHORIZED,
                "sign the request with a Glassbox access key (glassbox key create)".into(),
            ),
            _ => refusal(
                StatusCode::FORBIDDEN,
                format!("{op}: your account may not do this (viewers only read; only an owner or an admin changes a thing)"),
            ),
        }),
        Err(e) => Err(failure(op, e)),
    }
}

async fn run(call: &Call<'_>, op: &str) -> Result<Value, ApiError> {
    match op {
        "CreateAutoMLJob" => automl_ops::create(call, false).await,
        "CreateAutoMLJobV2" => automl_ops::create(call, true).await,
        "DescribeAutoMLJob" => automl_ops::describe(call, false).await,
        "DescribeAutoMLJobV2" => automl_ops::describe(call, true).await,
        "ListAutoMLJobs" => automl_ops::list(call).await,
        "ListCandidatesForAutoMLJob" => automl_ops::candidates(call).await,
        "StopAutoMLJob" => automl_ops::stop(call).await,
        "CreateModel" => hosting_ops::create_model(call).await,
        "DescribeModel" => hosting_ops::describe_model(call).await,
        "DeleteModel" => hosting_ops::delete_model(call).await,
        "ListModels" => hosting_ops::list_models(call).await,
        "CreateEndpointConfig" => hosting_ops::create_config(call).await,
        "DescribeEndpointConfig" => hosting_ops::describe_config(call).await,
        "DeleteEndpointConfig" => hosting_ops::delete_config(call).await,
        "CreateEndpoint" => hosting_ops::create_endpoint(call).await,
        "DescribeEndpoint" => hosting_ops::describe_endpoint(call).await,
        "UpdateEndpoint" => hosting_ops::update_endpoint(call).await,
        "DeleteEndpoint" => hosting_ops::delete_endpoint(call).await,
        "ListEndpoints" => hosting_ops::list_endpoints(call).await,
        "CreateTransformJob" => hosting_ops::create_transform(call).await,
        "DescribeTransformJob" => hosting_ops::describe_transform(call).await,
        "ListTransformJobs" => hosting_ops::list_transforms(call).await,
        "CreateModelPackageGroup" => registry_ops::create_group(call).await,
        "DescribeModelPackageGroup" => registry_ops::describe_group(call).await,
        "ListModelPackageGroups" => registry_ops::list_groups(call).await,
        "CreateModelPackage" => registry_ops::create_package(call).await,
        "DescribeModelPackage" => registry_ops::describe_package(call).await,
        "ListModelPackages" => registry_ops::list_packages(call).await,
        "UpdateModelPackage" => registry_ops::update_package(call).await,
        "AddTags" => registry_ops::add_tags(call).await,
        "ListTags" => registry_ops::list_tags(call).await,
        "DeleteTags" => registry_ops::delete_tags(call).await,
        _ => Err(ApiError::bad_request(
            "X-Amz-Target",
            format!("Glassbox does not implement {op}"),
        )),
    }
}
