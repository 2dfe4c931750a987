//! The model registry (CreateModelPackageGroup, CreateModelPackage from a candidate's
//! InferenceContainers, DescribeModelPackage, ListModelPackages, UpdateModelPackage for
//! approval) and tags on any Glassbox ARN.

use serde_json::{json, Value};

use super::wire::{self, answer, need, one_of, opt};
use super::Call;
use crate::endpoints::{package_ref, Source};
use crate::error::ApiError;
use crate::registry::Registration;
use crate::shapes_models as shapes;

/// A user name as SageMaker's `UserContext`.
fn user(name: Option<&str>) -> Value {
    match name {
        Some(n) => json!({ "UserProfileName": n }),
        None => Value::Null,
    }
}

pub async fn create_group(call: &Call<'_>) -> Result<Value, ApiError> {
    let name = need(call.body, "ModelPackageGroupName")?;
    let tags = wire::tags(call.body)?;
    call.svc
        .create_group(
            call.actor,
            name,
            opt(call.body, "ModelPackageGroupDescription"),
        )
        .await?;
    let arn = shapes::group_arn(name);
    call.svc.add_tags(&arn, &tags).await?;
    Ok(json!({ "ModelPackageGroupArn": arn }))
}

fn group_shape(g: &glassbox_app::model::GroupInfo) -> Value {
    let mut v = shapes::group(g);
    // Made in local mode: no account, as the audit log names it.
    v["CreatedBy"] = user(Some(g.created_by.as_deref().unwrap_or("local")));
    v
}

pub async fn describe_group(call: &Call<'_>) -> Result<Value, ApiError> {
    let name = need(call.body, "ModelPackageGroupName")?;
    Ok(answer(group_shape(&call.svc.group(name).await?)))
}

pub async fn list_groups(call: &Call<'_>) -> Result<Value, ApiError> {
    let groups: Vec<Value> = call.svc.groups().await?.iter().map(group_shape).collect();
    let how = wire::Listing {
        name: "ModelPackageGroupName",
        sort: &[
            ("CreationTime", "CreationTime"),
            ("Name", "ModelPackageGroupName"),
        ],
        order: "Descending",
        status: None,
    };
    let groups = wire::listed(call.body, groups, &how)?;
    Ok(answer(json!({ "ModelPackageGroupSummaryList": groups })))
}

pub async fn create_package(call: &Call<'_>) -> Result<Value, ApiError> {
    let b = call.body;
    let group = opt(b, "ModelPackageGroupName").ok_or_else(|| {
        ApiError::bad_request(
            "ModelPackageGroupName",
            "Glassbox registers versions in a model package group: give ModelPackageGroupName",
        )
    })?;
    let container = b
        .pointer("/InferenceSpecification/Containers/0")
        .ok_or_else(|| {
            ApiError::bad_request(
                "InferenceSpecification.Containers",
                "give the candidate's InferenceContainers",
            )
        })?;
    let field = "InferenceSpecification.Containers[0]";
    let (job, candidate) = match wire::container_source(field, container)? {
        Source::Candidate { job, candidate } => (job, candidate),
        Source::Package { .. } => {
            return Err(ApiError::bad_request(
                field,
                "this is already a registered version; register the candidate it came from",
            ))
        }
    };
    let version = call
        .svc
        .register(
            call.actor,
            Registration {
                group,
                job: &job,
                candidate: &candidate,
                approval: opt(b, "ModelApprovalStatus"),
                test_dataset: None,
                model_metrics: b.get("ModelMetrics"),
            },
        )
        .await?;
    let arn = shapes::package_arn(group, version);
    call.svc.add_tags(&arn, &wire::tags(b)?).await?;
    Ok(json!({ "ModelPackageArn": arn }))
}

fn package_shape(p: &glassbox_app::model::PackageInfo, metrics: Option<Value>) -> Value {
    let mut v = shapes::package(p);
    v["ModelPackageName"] = json!(p.group);
    v["CreatedBy"] = user(Some(&p.registered_by));
    v["LastModifiedBy"] = user(p.approval_by.as_deref());
    v["ModelPackageStatusDetails"] = json!({ "ValidationStatuses": [] });
    v["InferenceSpecification"] = json!({
        "Containers": wire::package_containers(&p.group, p.version),
        "SupportedContentTypes": ["text/csv", "application/json", "application/jsonlines"],
        "SupportedResponseMIMETypes": ["text/csv", "application/json"],
    });
    v["ModelMetrics"] = metrics.unwrap_or(Value::Null);
    v
}

pub async fn describe_package(call: &Call<'_>) -> Result<Value, ApiError> {
    let (group, version) = package_ref("ModelPackageName", need(call.body, "ModelPackageName")?)?;
    let p = call.svc.package(&group, version).await?;
    let metrics = call.svc.package_metrics(&group, version).await?;
    Ok(answer(package_shape(&p, metrics)))
}

pub async fn list_packages(call: &Call<'_>) -> Result<Value, ApiError> {
    let approval = one_of(call.body, "ModelApprovalStatus", &crate::registry::APPROVAL)?;
    one_of(
        call.body,
        "ModelPackageType",
        &["Versioned", "Unversioned", "Both"],
    )?;
    let list: Vec<Value> = call
        .svc
        .packages(opt(call.body, "ModelPackageGroupName"))
        .await?
        .iter()
        .filter(|p| approval.is_none_or(|a| p.approval == a))
        .map(|p| {
            let mut v = shapes::package_summary(p);
            v["ModelPackageName"] = json!(p.group);
            v
        })
        .collect();
    let how = wire::Listing {
        name: "ModelPackageName",
        sort: &[
            ("CreationTime", "CreationTime"),
            ("Name", "ModelPackageName"),
        ],
        order: "Ascending",
        status: None,
    };
    let list = wire::listed(call.body, list, &how)?;
    Ok(answer(json!({ "ModelPackageSummaryList": list })))
}

pub async fn update_package(call: &Call<'_>) -> Result<Value, ApiError> {
    let arn = need(call.body, "ModelPackageArn")?;
    let (group, version) = package_ref("ModelPackageArn", arn)?;
    let status = opt(call.body, "ModelApprovalStatus").ok_or_else(|| {
        ApiError::bad_request(
            "ModelApprovalStatus",
            "Glassbox updates a version's approval: give ModelApprovalStatus",
        )
    })?;
    call.svc
        .set_approval(
            call.actor,
            &group,
            version,
            status,
            opt(call.body, "ApprovalDescription"),
        )
        .await?;
    Ok(json!({ "ModelPackageArn": shapes::package_arn(&group, version) }))
}

fn resource_arn(body: &Value) -> Result<&str, ApiError> {
    let arn = need(body, "ResourceArn")?;
    if !arn.starts_with("arn:glassbox:local:") {
        return Err(ApiError::bad_request(
            "ResourceArn",
            format!("{arn:?} is not the ARN of a Glassbox resource (arn:glassbox:local:…)"),
        ));
    }
    Ok(arn)
}

pub async fn add_tags(call: &Call<'_>) -> Result<Value, ApiError> {
    let arn = resource_arn(call.body)?;
    let tags = wire::tags(call.body)?;
    call.svc.add_tags(arn, &tags).await?;
    Ok(json!({ "Tags": wire::tag_list(&tags) }))
}

pub async fn list_tags(call: &Call<'_>) -> Result<Value, ApiError> {
    let arn = resource_arn(call.body)?;
    Ok(json!({ "Tags": wire::tag_list(&call.svc.tags(arn).await?) }))
}

pub async fn delete_tags(call: &Call<'_>) -> Result<Value, ApiError> {
    let arn = resource_arn(call.body)?;
    let keys: Vec<String> = call
        .body
        .get("TagKeys")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::bad_request("TagKeys", "is required"))?
        .iter()
        .filter_map(|k| k.as_str().map(str::to_string))
        .collect();
    call.svc.delete_tags(arn, &keys).await?;
    Ok(wire::empty())
}
