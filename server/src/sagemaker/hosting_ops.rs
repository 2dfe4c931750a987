//! Models, endpoint configurations, endpoints and batch transform: CreateModel →
//! CreateEndpointConfig → CreateEndpoint, as SageMaker deploys, onto Glassbox's endpoints
//! (a model loaded once, swapped atomically on update) and transform jobs.

use serde_json::{json, Value};

use super::wire::{self, answer, need, one_of, opt};
use super::Call;
use crate::endpoints::Source;
use crate::error::ApiError;
use crate::objects::DataType;
use crate::shapes_models as shapes;
use crate::transform::{join_source, TransformExport, TransformRow};

pub fn model_arn(name: &str) -> String {
    format!("arn:glassbox:local:model/{name}")
}

pub fn config_arn(name: &str) -> String {
    format!("arn:glassbox:local:endpoint-config/{name}")
}

/// A source as a ModelName would show it, for what was made without one (the REST API).
fn source_label(s: Option<Source>) -> String {
    match s {
        Some(Source::Package { group, version }) => format!("{group}/{version}"),
        Some(Source::Candidate { job, candidate }) => format!("{job}/{candidate}"),
        None => String::new(),
    }
}

pub async fn create_model(call: &Call<'_>) -> Result<Value, ApiError> {
    let name = need(call.body, "ModelName")?;
    let (field, container) = wire::first_container(call.body)?;
    let source = wire::container_source(&field, container)?;
    let containers = match call.body.get("Containers") {
        Some(c) => c.clone(),
        None => json!([container]),
    };
    let tags = wire::tags(call.body)?;
    call.svc
        .create_deploy_model(call.actor, name, source, &containers)
        .await?;
    let arn = model_arn(name);
    call.svc.add_tags(&arn, &tags).await?;
    Ok(json!({ "ModelArn": arn }))
}

pub async fn describe_model(call: &Call<'_>) -> Result<Value, ApiError> {
    let m = call.svc.deploy_model(need(call.body, "ModelName")?).await?;
    let primary = m.containers.get(0).cloned().unwrap_or(Value::Null);
    Ok(answer(json!({
        "ModelName": m.name,
        "ModelArn": model_arn(&m.name),
        "PrimaryContainer": primary,
        "Containers": m.containers,
        "ExecutionRoleArn": "arn:glassbox:local:role/glassbox",
        "CreationTime": m.created_at,
        "EnableNetworkIsolation": false,
    })))
}

pub async fn delete_model(call: &Call<'_>) -> Result<Value, ApiError> {
    call.svc
        .delete_deploy_model(call.actor, need(call.body, "ModelName")?)
        .await?;
    Ok(wire::empty())
}

pub async fn list_models(call: &Call<'_>) -> Result<Value, ApiError> {
    let models: Vec<Value> = call
        .svc
        .deploy_models()
        .await?
        .iter()
        .map(|m| json!({"ModelName": m.name, "ModelArn": model_arn(&m.name), "CreationTime": m.created_at}))
        .collect();
    let how = wire::Listing {
        name: "ModelName",
        sort: &[("CreationTime", "CreationTime"), ("Name", "ModelName")],
        order: "Descending",
        status: None,
    };
    let models = wire::listed(call.body, models, &how)?;
    Ok(answer(json!({ "Models": models })))
}

pub async fn create_config(call: &Call<'_>) -> Result<Value, ApiError> {
    let name = need(call.body, "EndpointConfigName")?;
    let variants = call
        .body
        .get("ProductionVariants")
        .and_then(Value::as_array)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request("ProductionVariants", "give one production variant")
        })?;
    if variants.len() > 1 || call.body.get("ShadowProductionVariants").is_some() {
        return Err(ApiError::bad_request(
            "ProductionVariants",
            "Glassbox serves one model per endpoint: give one production variant (and no shadow variants)",
        ));
    }
    let model = need(&variants[0], "ModelName")
        .map_err(|_| ApiError::bad_request("ProductionVariants[0].ModelName", "is required"))?;
    if call.body.get("AsyncInferenceConfig").is_some() {
        return Err(ApiError::bad_request(
            "AsyncInferenceConfig",
            "asynchronous inference is not supported: endpoints answer at once",
        ));
    }
    let capture = match call.body.get("DataCaptureConfig") {
        None => None,
        Some(c) if c.get("EnableCapture") == Some(&json!(false)) => None,
        Some(c) => {
            let p = c
                .get("InitialSamplingPercentage")
                .and_then(Value::as_i64)
                .filter(|p| (0..=100).contains(p))
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "DataCaptureConfig.InitialSamplingPercentage",
                        "must be between 0 and 100",
                    )
                })?;
            Some((p as u32, c))
        }
    };
    let tags = wire::tags(call.body)?;
    call.svc
        .create_endpoint_config(
            call.actor,
            name,
            model,
            &Value::Array(variants.clone()),
            capture,
        )
        .await?;
    let arn = config_arn(name);
    call.svc.add_tags(&arn, &tags).await?;
    Ok(json!({ "EndpointConfigArn": arn }))
}

pub async fn describe_config(call: &Call<'_>) -> Result<Value, ApiError> {
    let c = call
        .svc
        .endpoint_config(need(call.body, "EndpointConfigName")?)
        .await?;
    let capture = c
        .capture
        .as_deref()
        .and_then(|s| serde_json::from_str::<Value>(s).ok());
    Ok(answer(json!({
        "EndpointConfigName": c.name,
        "EndpointConfigArn": config_arn(&c.name),
        "ProductionVariants": serde_json::from_str::<Value>(&c.variants).unwrap_or(json!([])),
        "DataCaptureConfig": capture,
        "CreationTime": c.created_at,
    })))
}

pub async fn delete_config(call: &Call<'_>) -> Result<Value, ApiError> {
    call.svc
        .delete_endpoint_config(call.actor, need(call.body, "EndpointConfigName")?)
        .await?;
    Ok(wire::empty())
}

pub async fn create_endpoint(call: &Call<'_>) -> Result<Value, ApiError> {
    let name = need(call.body, "EndpointName")?;
    let config = need(call.body, "EndpointConfigName")?;
    let (source, capture) = call.svc.config_source(config).await?;
    let tags = wire::tags(call.body)?;
    let made = call
        .svc
        .create_endpoint(call.actor, name, source, capture)
        .await;
    // A model that does not load leaves a Failed endpoint, described with the reason
    // (the waiter reports it), as SageMaker's asynchronous creation does. Any other
    // error (a name in use, a version not approved) made nothing.
    if let Err(e) = made {
        if e.taken || call.svc.endpoint(name).await.is_err() {
            return Err(e);
        }
    }
    call.svc.set_endpoint_config(name, config).await?;
    let arn = shapes::endpoint_arn(name);
    call.svc.add_tags(&arn, &tags).await?;
    Ok(json!({ "EndpointArn": arn }))
}

pub async fn describe_endpoint(call: &Call<'_>) -> Result<Value, ApiError> {
    let name = need(call.body, "EndpointName")?;
    // SageMaker's answer for a missing endpoint, which its waiters rely on.
    let e = call.svc.endpoint(name).await.map_err(|e| {
        if e.status == axum::http::StatusCode::NOT_FOUND {
            ApiError::bad_request(
                "EndpointName",
                format!("Could not find endpoint {:?}.", shapes::endpoint_arn(name)),
            )
        } else {
            e
        }
    })?;
    let config = call.svc.endpoint_config_name(name).await?;
    let mut v = shapes::endpoint(&e);
    v["EndpointConfigName"] = json!(config);
    v["ProductionVariants"] = json!([{
        "VariantName": "AllTraffic",
        "CurrentWeight": 1.0,
        "DesiredWeight": 1.0,
        "CurrentInstanceCount": 1,
        "DesiredInstanceCount": 1,
    }]);
    if e.capture_percent > 0 {
        v["DataCaptureConfig"] = json!({
            "EnableCapture": true,
            "CaptureStatus": "Started",
            "CurrentSamplingPercentage": e.capture_percent,
            "DestinationS3Uri": format!("glassbox://endpoints/{name}/capture"),
        });
    }
    Ok(answer(v))
}

pub async fn update_endpoint(call: &Call<'_>) -> Result<Value, ApiError> {
    let name = need(call.body, "EndpointName")?;
    let config = need(call.body, "EndpointConfigName")?;
    let (source, _) = call.svc.config_source(config).await?;
    call.svc.update_endpoint(call.actor, name, source).await?;
    call.svc.set_endpoint_config(name, config).await?;
    Ok(json!({ "EndpointArn": shapes::endpoint_arn(name) }))
}

pub async fn delete_endpoint(call: &Call<'_>) -> Result<Value, ApiError> {
    call.svc
        .delete_endpoint(call.actor, need(call.body, "EndpointName")?)
        .await?;
    Ok(wire::empty())
}

pub async fn list_endpoints(call: &Call<'_>) -> Result<Value, ApiError> {
    let list: Vec<Value> = call
        .svc
        .endpoints()
        .await?
        .iter()
        .map(shapes::endpoint)
        .collect();
    let how = wire::Listing {
        name: "EndpointName",
        sort: &[("CreationTime", "CreationTime"), ("Name", "EndpointName")],
        order: "Descending",
        status: Some((
            "EndpointStatus",
            &[
                "OutOfService",
                "Creating",
                "Updating",
                "SystemUpdating",
                "RollingBack",
                "InService",
                "Deleting",
                "Failed",
                "UpdateRollbackFailed",
            ],
        )),
    };
    let list = wire::listed(call.body, list, &how)?;
    Ok(answer(json!({ "Endpoints": list })))
}

pub async fn create_transform(call: &Call<'_>) -> Result<Value, ApiError> {
    let b = call.body;
    let name = need(b, "TransformJobName")?;
    let model = call
        .svc
        .deploy_model(need(b, "ModelName")?)
        .await
        .map_err(|e| ApiError::bad_request("ModelName", e.message))?;
    let input = b
        .get("TransformInput")
        .ok_or_else(|| ApiError::bad_request("TransformInput", "is required"))?;
    let s3 = input.pointer("/DataSource/S3DataSource").ok_or_else(|| {
        ApiError::bad_request("TransformInput.DataSource.S3DataSource", "is required")
    })?;
    let uri = need(s3, "S3Uri").map_err(|_| {
        ApiError::bad_request(
            "TransformInput.DataSource.S3DataSource.S3Uri",
            "is required",
        )
    })?;
    let kind = DataType::parse(
        "TransformInput.DataSource.S3DataSource.S3DataType",
        opt(s3, "S3DataType"),
    )?;
    if let Some(t) = opt(input, "ContentType") {
        if !t.starts_with("text/csv") {
            return Err(ApiError::bad_request(
                "TransformInput.ContentType",
                format!("{t:?}: batch transform reads text/csv"),
            ));
        }
    }
    one_of(input, "SplitType", &["None", "Line"])?;
    one_of(input, "CompressionType", &["None"]).map_err(|_| {
        ApiError::bad_request(
            "TransformInput.CompressionType",
            "give transform input uncompressed (None)",
        )
    })?;
    let out = b
        .pointer("/TransformOutput/S3OutputPath")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("TransformOutput.S3OutputPath", "is required"))?;
    call.svc
        .check_output_uri("TransformOutput.S3OutputPath", out)?;
    if let Some(a) = b.pointer("/TransformOutput/Accept").and_then(Value::as_str) {
        if !a.starts_with("text/csv") {
            return Err(ApiError::bad_request(
                "TransformOutput.Accept",
                format!("{a:?}: batch transform writes text/csv"),
            ));
        }
    }
    let join = join_source(
        "DataProcessing.JoinSource",
        b.pointer("/DataProcessing/JoinSource")
            .and_then(Value::as_str),
    )?;
    if call.svc.transform(name).await.is_ok() {
        return Err(ApiError::taken(
            "TransformJobName",
            format!("a transform job named {name:?} already exists"),
        ));
    }
    // SageMaker's input rows have no header: the model's columns are put first.
    let header = call.svc.source_header(&model.source).await?;
    let ds = call
        .svc
        .import_uri(
            call.actor,
            "TransformInput.DataSource.S3DataSource.S3Uri",
            uri,
            kind,
            None,
            Some(header),
        )
        .await?;
    let file = uri
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("input");
    let export = TransformExport {
        uri: out.to_string(),
        name: format!("{file}.out"),
        request: b.clone(),
    };
    call.svc
        .create_transform(
            call.actor,
            name,
            model.source,
            &ds.dataset_id,
            join,
            Some(export),
        )
        .await?;
    let arn = shapes::transform_arn(name);
    call.svc.add_tags(&arn, &wire::tags(b)?).await?;
    Ok(json!({ "TransformJobArn": arn }))
}

fn describe_transform_row(t: &TransformRow) -> Value {
    let request: Value = t
        .request
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .unwrap_or(json!({}));
    let v = shapes::transform(t);
    let status = match t.status.as_str() {
        s @ ("InProgress" | "Completed" | "Failed" | "Stopping" | "Stopped") => s,
        _ => "InProgress",
    };
    let input = request.get("TransformInput").cloned().unwrap_or_else(|| {
        json!({"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": format!("glassbox://datasets/{}", t.dataset_id)}}})
    });
    let model = request
        .get("ModelName")
        .cloned()
        .unwrap_or_else(|| json!(source_label(t.source())));
    wire::merged(
        v,
        json!({
            "TransformJobStatus": status,
            "ModelName": model,
            "TransformInput": input,
            "TransformOutput": request.get("TransformOutput").cloned().unwrap_or(json!({"S3OutputPath": format!("glassbox://transform-jobs/{}", t.name)})),
            "TransformResources": request.get("TransformResources").cloned().unwrap_or(json!({"InstanceType": "ml.m5.large", "InstanceCount": 1})),
            "DataProcessing": {"JoinSource": if t.join_input { "Input" } else { "None" }},
            "TransformStartTime": t.created_at,
        }),
    )
}

pub async fn describe_transform(call: &Call<'_>) -> Result<Value, ApiError> {
    let t = call
        .svc
        .transform(need(call.body, "TransformJobName")?)
        .await?;
    Ok(answer(describe_transform_row(&t)))
}

pub async fn list_transforms(call: &Call<'_>) -> Result<Value, ApiError> {
    let list: Vec<Value> = call
        .svc
        .transforms()
        .await?
        .iter()
        .map(|t| {
            json!({
                "TransformJobName": t.name,
                "TransformJobArn": shapes::transform_arn(&t.name),
                "TransformJobStatus": t.status,
                "CreationTime": t.created_at,
                "TransformEndTime": t.ended_at,
                "FailureReason": t.failure_reason,
            })
        })
        .collect();
    let how = wire::Listing {
        name: "TransformJobName",
        sort: &[
            ("CreationTime", "CreationTime"),
            ("Name", "TransformJobName"),
            ("Status", "TransformJobStatus"),
        ],
        order: "Descending",
        status: Some((
            "TransformJobStatus",
            &["InProgress", "Completed", "Failed", "Stopping", "Stopped"],
        )),
    };
    let list = wire::listed(call.body, list, &how)?;
    Ok(answer(json!({ "TransformJobSummaries": list })))
}
