//! Reading SageMaker requests and writing their answers: required and optional fields,
//! enums checked here (botocore checks only types and required members), names and ARNs,
//! and timestamps as epoch seconds.

use serde_json::{json, Map, Value};

use crate::endpoints::{package_ref, Source};
use crate::error::ApiError;

/// An RFC 3339 time as epoch seconds with milliseconds (SageMaker's timestamps).
pub fn epoch(s: &str) -> Value {
    match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(t) => json!(t.timestamp_millis() as f64 / 1000.0),
        Err(_) => Value::Null,
    }
}

/// `v` without its null members, at every depth (botocore's shapes have no nulls, and
/// a request assembled from optional members keeps only those given).
pub fn without_nulls(mut v: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.retain(|_, x| !x.is_null());
                m.values_mut().for_each(walk);
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut v);
    v
}

/// An answer: without nulls, and every `…Time` member that is an RFC 3339 string as
/// epoch seconds.
pub fn answer(v: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    match x {
                        Value::String(s) if k.ends_with("Time") => {
                            if let t @ Value::Number(_) = epoch(s) {
                                *x = t;
                            }
                        }
                        _ => walk(x),
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    let mut v = without_nulls(v);
    walk(&mut v);
    v
}

/// A required string member.
pub fn need<'a>(body: &'a Value, field: &str) -> Result<&'a str, ApiError> {
    body.get(field)
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request(field, format!("{field} is required")))
}

/// An optional string member.
pub fn opt<'a>(body: &'a Value, field: &str) -> Option<&'a str> {
    body.get(field).and_then(Value::as_str)
}

/// An optional member that must be one of `allowed`.
pub fn one_of<'a>(
    body: &'a Value,
    field: &str,
    allowed: &[&str],
) -> Result<Option<&'a str>, ApiError> {
    match opt(body, field) {
        Some(v) if !allowed.contains(&v) => Err(ApiError::bad_request(
            field,
            format!("{v:?} is not one of {}", allowed.join(", ")),
        )),
        other => Ok(other),
    }
}

/// `MaxResults` (1–100, default 100).
pub fn max_results(body: &Value) -> Result<usize, ApiError> {
    match body.get("MaxResults").and_then(Value::as_i64) {
        None => Ok(100),
        Some(n) if (1..=100).contains(&n) => Ok(n as usize),
        Some(n) => Err(ApiError::bad_request(
            "MaxResults",
            format!("must be between 1 and 100, not {n}"),
        )),
    }
}

/// How a List operation's answers are filtered and sorted.
pub struct Listing<'a> {
    /// The member holding each item's name (for `NameContains`).
    pub name: &'a str,
    /// `SortBy` values and the members they sort on; the first is the default.
    pub sort: &'a [(&'a str, &'a str)],
    /// `SortOrder` when none is given.
    pub order: &'a str,
    /// The member `StatusEquals` filters on, and the statuses it may name.
    pub status: Option<(&'a str, &'a [&'a str])>,
}

/// Keeps the items `StatusEquals` and `NameContains` ask for, sorts them by `SortBy` in
/// `SortOrder`, and keeps `MaxResults` (every value checked).
pub fn listed(body: &Value, mut items: Vec<Value>, how: &Listing) -> Result<Vec<Value>, ApiError> {
    let sort_by = {
        let names: Vec<&str> = how.sort.iter().map(|k| k.0).collect();
        one_of(body, "SortBy", &names)?.unwrap_or(how.sort[0].0)
    };
    let member = how
        .sort
        .iter()
        .find(|k| k.0 == sort_by)
        .map_or(how.name, |k| k.1);
    let descending = match one_of(body, "SortOrder", &["Ascending", "Descending"])? {
        Some(o) => o == "Descending",
        None => how.order == "Descending",
    };
    if let Some((field, allowed)) = how.status {
        if let Some(want) = one_of(body, "StatusEquals", allowed)? {
            items.retain(|v| v.get(field).and_then(Value::as_str) == Some(want));
        }
    }
    if let Some(part) = opt(body, "NameContains") {
        items.retain(|v| {
            v.get(how.name)
                .and_then(Value::as_str)
                .is_some_and(|n| n.contains(part))
        });
    }
    items.sort_by_cached_key(|v| v.get(member).map(|x| x.to_string()).unwrap_or_default());
    if descending {
        items.reverse();
    }
    items.truncate(max_results(body)?);
    Ok(items)
}

/// Tags as SageMaker gives them: `[{"Key", "Value"}]`.
pub fn tags(body: &Value) -> Result<Vec<(String, String)>, ApiError> {
    let Some(list) = body.get("Tags") else {
        return Ok(vec![]);
    };
    let list = list
        .as_array()
        .ok_or_else(|| ApiError::bad_request("Tags", "must be a list of {Key, Value}"))?;
    list.iter()
        .enumerate()
        .map(|(i, t)| {
            let k = t.get("Key").and_then(Value::as_str);
            let v = t.get("Value").and_then(Value::as_str).unwrap_or("");
            match k {
                Some(k) if (1..=128).contains(&k.chars().count()) && v.chars().count() <= 256 => {
                    Ok((k.to_string(), v.to_string()))
                }
                _ => Err(ApiError::bad_request(
                    &format!("Tags[{i}]"),
                    "a tag has a Key of 1–128 characters and a Value of at most 256",
                )),
            }
        })
        .collect()
}

pub fn tag_list(tags: &[(String, String)]) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
    )
}

/// The name of the object a changing operation acts on (the group of a package ARN).
pub fn object_name(op: &str, given: &str) -> String {
    match op {
        "UpdateModelPackage" => package_ref("ModelPackageArn", given)
            .map(|(g, _)| g)
            .unwrap_or_default(),
        _ => given.to_string(),
    }
}

/// The image name Glassbox's inference containers report.
pub fn image() -> String {
    format!("glassbox/inference:{}", env!("CARGO_PKG_VERSION"))
}

/// A candidate's folder in its job's output location (`export_dir` keeps the job
/// folder's layout under `OUTPUT/JOB/`).
pub fn output_candidate_dir(output: &str, job: &str, candidate: &str) -> String {
    format!(
        "{}/{job}/candidates/{candidate}",
        output.trim_end_matches('/')
    )
}

/// Where a candidate's model is: in the job's output location when it has one.
fn model_data_url(job: &str, candidate: &str, output: Option<&str>) -> String {
    match output {
        Some(o) => format!("{}/model.json", output_candidate_dir(o, job, candidate)),
        None => format!("glassbox://automl-jobs/{job}/candidates/{candidate}"),
    }
}

/// What `CreateModel` and `CreateModelPackage` accept for a candidate:
/// `BestCandidate.InferenceContainers`.
pub fn containers(job: &str, candidate: &str, output: Option<&str>) -> Value {
    json!([{
        "Image": image(),
        "ModelDataUrl": model_data_url(job, candidate, output),
        "Environment": {
            "GLASSBOX_AUTOML_JOB": job,
            "GLASSBOX_CANDIDATE": candidate,
            "SAGEMAKER_INFERENCE_OUTPUT": "predicted_label",
            "SAGEMAKER_INFERENCE_SUPPORTED": "predicted_label,probability,probabilities,labels",
        },
    }])
}

/// The containers of a registered version.
pub fn package_containers(group: &str, version: i64) -> Value {
    json!([{
        "Image": image(),
        "ModelDataUrl": format!("glassbox://model-packages/{group}/{version}"),
        "ModelPackageName": crate::shapes_models::package_arn(group, version),
    }])
}

/// The model a container names: `ModelPackageName`, Glassbox's environment variables
/// (as `InferenceContainers` carry them), or a `glassbox://` model URL.
pub fn container_source(field: &str, c: &Value) -> Result<Source, ApiError> {
    if let Some(p) = opt(c, "ModelPackageName") {
        return Source::package(&format!("{field}.ModelPackageName"), p);
    }
    let env = c.get("Environment").cloned().unwrap_or(json!({}));
    if let (Some(job), Some(candidate)) = (
        opt(&env, "GLASSBOX_AUTOML_JOB"),
        opt(&env, "GLASSBOX_CANDIDATE"),
    ) {
        return Ok(Source::Candidate {
            job: job.into(),
            candidate: candidate.into(),
        });
    }
    let url = opt(c, "ModelDataUrl").unwrap_or("");
    if let Some(rest) = url.strip_prefix("glassbox://automl-jobs/") {
        let parts: Vec<&str> = rest.split('/').collect();
        if let [job, "candidates", candidate, ..] = parts[..] {
            return Ok(Source::Candidate {
                job: job.into(),
                candidate: candidate.into(),
            });
        }
    }
    if let Some(rest) = url.strip_prefix("glassbox://model-packages/") {
        return Source::package(&format!("{field}.ModelDataUrl"), rest);
    }
    Err(ApiError::bad_request(
        field,
        "the container names no Glassbox model: pass a candidate's InferenceContainers (DescribeAutoMLJob's BestCandidate, ListCandidatesForAutoMLJob) or a ModelPackageName",
    ))
}

/// The first container of a CreateModel-style request (`PrimaryContainer` or
/// `Containers[0]`), and its field name.
pub fn first_container(body: &Value) -> Result<(String, &Value), ApiError> {
    if let Some(c) = body.get("PrimaryContainer") {
        return Ok(("PrimaryContainer".into(), c));
    }
    match body.get("Containers").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => Ok(("Containers[0]".into(), &list[0])),
        _ => Err(ApiError::bad_request(
            "PrimaryContainer",
            "give PrimaryContainer or Containers",
        )),
    }
}

/// `v` with the members of `extra` added.
pub fn merged(mut v: Value, extra: Value) -> Value {
    if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
        m.extend(e);
    }
    v
}

/// An empty answer (`{}`).
pub fn empty() -> Value {
    Value::Object(Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_become_epoch_seconds_and_nulls_go() {
        let v = answer(json!({
            "CreationTime": "2026-11-30T10:00:00.250Z",
            "EndTime": null,
            "Nested": [{"LastModifiedTime": "2026-11-30T10:00:01Z", "Name": "Time"}],
        }));
        assert_eq!(v["CreationTime"], json!(1_796_032_800.25));
        assert!(v.get("EndTime").is_none());
        assert_eq!(v["Nested"][0]["LastModifiedTime"], json!(1_796_032_801.0));
        assert_eq!(v["Nested"][0]["Name"], json!("Time"));
    }

    #[test]
    fn containers_name_their_model_back() {
        let c = &containers("job-1", "cand-002-gbdt-dpp0", Some("s3://b/out/"))[0];
        assert_eq!(
            c["ModelDataUrl"],
            json!("s3://b/out/job-1/candidates/cand-002-gbdt-dpp0/model.json")
        );
        assert_eq!(
            container_source("C", c).unwrap(),
            Source::Candidate {
                job: "job-1".into(),
                candidate: "cand-002-gbdt-dpp0".into()
            }
        );
        let p = &package_containers("churn", 3)[0];
        assert_eq!(
            container_source("C", p).unwrap(),
            Source::Package {
                group: "churn".into(),
                version: 3
            }
        );
        assert!(container_source(
            "C",
            &json!({"Image": "x", "ModelDataUrl": "s3://b/m.tar.gz"})
        )
        .is_err());
        assert_eq!(
            package_ref("f", "arn:glassbox:local:model-package/churn/12").unwrap(),
            ("churn".to_string(), 12)
        );
        assert!(package_ref("f", "churn").is_err());
    }

    #[test]
    fn lists_sort_filter_and_cap() {
        let items = vec![
            json!({"Name": "b", "CreationTime": "2"}),
            json!({"Name": "a", "CreationTime": "3"}),
            json!({"Name": "ab", "CreationTime": "1"}),
        ];
        let how = Listing {
            name: "Name",
            sort: &[("CreationTime", "CreationTime"), ("Name", "Name")],
            order: "Descending",
            status: None,
        };
        let got = listed(
            &json!({"NameContains": "a", "SortBy": "Name", "SortOrder": "Ascending"}),
            items.clone(),
            &how,
        )
        .unwrap();
        assert_eq!(got, vec![items[1].clone(), items[2].clone()]);
        let got = listed(&json!({"MaxResults": 1}), items.clone(), &how).unwrap();
        assert_eq!(got, vec![items[1].clone()]);
        assert!(listed(&json!({"SortBy": "Size"}), items, &how).is_err());
    }
}
