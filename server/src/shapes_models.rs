//! SageMaker-shaped JSON for the model registry and endpoints (DescribeModelPackage,
//! ListModelPackages, DescribeEndpoint, …), made from the service's records.

use serde_json::{json, Value};

use glassbox_app::model::{EndpointInfo, GroupInfo, PackageInfo};

use crate::endpoints::{source_of, Source};

pub fn group_arn(name: &str) -> String {
    format!("arn:glassbox:local:model-package-group/{name}")
}

pub fn package_arn(group: &str, version: i64) -> String {
    format!("arn:glassbox:local:model-package/{group}/{version}")
}

pub fn endpoint_arn(name: &str) -> String {
    format!("arn:glassbox:local:endpoint/{name}")
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
    let source = match source_of(e) {
        Some(Source::Package { group, version }) => {
            json!({"ModelPackage": format!("{group}/{version}")})
        }
        Some(Source::Candidate { job, candidate }) => {
            json!({"SourceCandidate": {"AutoMLJobName": job, "CandidateName": candidate}})
        }
        None => json!({}),
    };
    let mut v = json!({
        "EndpointName": e.name,
        "EndpointArn": endpoint_arn(&e.name),
        "EndpointStatus": e.status,
        "FailureReason": e.failure_reason,
        "CreationTime": e.created_at,
        "LastModifiedTime": e.updated_at,
    });
    if let (Value::Object(m), Value::Object(s)) = (&mut v, source) {
        m.extend(s);
    }
    v
}
