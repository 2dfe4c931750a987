//! SageMaker-shaped JSON for the model registry and endpoints (DescribeModelPackage,
//! ListModelPackages, DescribeEndpoint, …), made from the service's records.

use serde_json::{json, Value};

use glassbox_app::model::{EndpointInfo, GroupInfo, PackageInfo};

use crate::endpoints::{source_of, Source};
use crate::pipelines::ExecutionRow;
use crate::transform::TransformRow;

pub fn group_arn(name: &str) -> String {
    format!("arn:glassbox:local:model-package-group/{name}")
}

pub fn package_arn(group: &str, version: i64) -> String {
    format!("arn:glassbox:local:model-package/{group}/{version}")
}

pub fn endpoint_arn(name: &str) -> String {
    format!("arn:glassbox:local:endpoint/{name}")
}

pub fn transform_arn(name: &str) -> String {
    format!("arn:glassbox:local:transform-job/{name}")
}

pub fn pipeline_arn(name: &str) -> String {
    format!("arn:glassbox:local:pipeline-execution/{name}")
}

/// `{"ModelPackage": "g/v"}` or `{"SourceCandidate": {…}}`, merged into `v`.
fn with_source(mut v: Value, source: Option<Source>) -> Value {
    let s = match source {
        Some(Source::Package { group, version }) => {
            json!({"ModelPackage": format!("{group}/{version}")})
        }
        Some(Source::Candidate { job, candidate }) => {
            json!({"SourceCandidate": {"AutoMLJobName": job, "CandidateName": candidate}})
        }
        None => json!({}),
    };
    if let (Value::Object(m), Value::Object(s)) = (&mut v, s) {
        m.extend(s);
    }
    v
}

pub fn group(g: &GroupInfo) -> Value {
    json!({
        "ModelPackageGroupName": g.name,
        "ModelPackageGroupArn": group_arn(&g.name),
        "ModelPackageGroupDescription": g.description,
        "CreationTime": g.created_at,
        "CreatedBy": g.created_by,
        "ModelPackageGroupStatus": "Completed",
        "Versions": g.versions,
    })
}

pub fn package_summary(p: &PackageInfo) -> Value {
    json!({
        "ModelPackageGroupName": p.group,
        "ModelPackageVersion": p.version,
        "ModelPackageArn": package_arn(&p.group, p.version),
        "ModelApprovalStatus": p.approval,
        "CreationTime": p.created_at,
        "ModelPackageStatus": "Completed",
        "SourceCandidate": {"AutoMLJobName": p.job, "CandidateName": p.candidate},
    })
}

pub fn package(p: &PackageInfo) -> Value {
    let mut v = package_summary(p);
    v["ApprovalDescription"] = json!(p.approval_description);
    v["LastModifiedBy"] = json!(p.approval_by);
    v["LastModifiedTime"] = json!(p.approval_at);
    v["CreatedBy"] = json!(p.registered_by);
    let metrics: Vec<Value> = p
        .metrics
        .iter()
        .map(|(n, x)| json!({"MetricName": n, "Value": x}))
        .collect();
    v["ModelMetrics"] = json!({ "Validation": metrics });
    v["TestQualityReport"] = json!(p.test_report);
    v["Lineage"] = p.lineage.clone();
    v
}

pub fn endpoint(e: &EndpointInfo) -> Value {
    let v = json!({
        "EndpointName": e.name,
        "EndpointArn": endpoint_arn(&e.name),
        "EndpointStatus": e.status,
        "FailureReason": e.failure_reason,
        "CreationTime": e.created_at,
        "LastModifiedTime": e.updated_at,
    });
    with_source(v, source_of(e))
}

/// DescribeTransformJob's shape, with the rows done.
pub fn transform(t: &TransformRow) -> Value {
    let progress = match t.rows_total {
        Some(total) if total > 0 => (t.rows_done as f64 / total as f64).min(1.0),
        _ if t.status == "Completed" => 1.0,
        _ => 0.0,
    };
    let v = json!({
        "TransformJobName": t.name,
        "TransformJobArn": transform_arn(&t.name),
        "TransformJobStatus": t.status,
        "FailureReason": t.failure_reason,
        "TransformInput": {"DatasetId": t.dataset_id},
        "JoinSource": if t.join_input { "Input" } else { "None" },
        "CreationTime": t.created_at,
        "TransformEndTime": t.ended_at,
        "RowsProcessed": t.rows_done,
        "RowsTotal": t.rows_total,
        "Progress": progress,
    });
    with_source(v, t.source())
}

/// DescribePipelineExecution's shape, with the steps.
pub fn pipeline(e: &ExecutionRow) -> Value {
    json!({
        "PipelineExecutionName": e.name,
        "PipelineExecutionArn": pipeline_arn(&e.name),
        "PipelineExecutionStatus": e.status,
        "FailureReason": e.failure_reason,
        "CreationTime": e.created_at,
        "LastModifiedTime": e.ended_at,
        "PipelineExecutionSteps": serde_json::from_str::<Value>(&e.steps).unwrap_or(Value::Null),
    })
}
