//! CreateAutoMLJob(V2), DescribeAutoMLJob(V2), ListAutoMLJobs,
//! ListCandidatesForAutoMLJob, StopAutoMLJob: translated onto the REST API's job calls
//! (a CreateAutoMLJob body is what `POST /api/automl-jobs` takes; channels named by URI
//! are copied into data sets by the service).

use glassbox_app::model::JobInfo;
use serde_json::{json, Value};

use super::wire::{self, answer, need, opt};
use super::Call;
use crate::error::ApiError;
use crate::jobs::{parse_body, CandidateQuery, CreateJob};
use crate::shapes;

/// Where results go when a job was made without an output location (the REST API).
fn local_output(job: &str) -> String {
    format!("glassbox://automl-jobs/{job}")
}

const ROLE: &str = "arn:glassbox:local:role/glassbox";

/// A V2 (tabular) request in V1's shape.
fn v2_as_v1(body: &Value) -> Result<Value, ApiError> {
    let config = body
        .get("AutoMLProblemTypeConfig")
        .ok_or_else(|| ApiError::bad_request("AutoMLProblemTypeConfig", "is required"))?;
    let tabular = config.get("TabularJobConfig").ok_or_else(|| {
        let kind = config
            .as_object()
            .and_then(|m| m.keys().next().cloned())
            .unwrap_or_default();
        ApiError::bad_request(
            "AutoMLProblemTypeConfig",
            format!("Glassbox builds tabular models only (TabularJobConfig), not {kind}"),
        )
    })?;
    let target = need(tabular, "TargetAttributeName").map_err(|_| {
        ApiError::bad_request(
            "AutoMLProblemTypeConfig.TabularJobConfig.TargetAttributeName",
            "is required",
        )
    })?;
    let channels = body
        .get("AutoMLJobInputDataConfig")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::bad_request("AutoMLJobInputDataConfig", "is required"))?;
    let input: Vec<Value> = channels
        .iter()
        .map(|c| {
            let mut c = c.clone();
            c["TargetAttributeName"] = json!(target);
            if let Some(w) = tabular.get("SampleWeightAttributeName") {
                c["SampleWeightAttributeName"] = w.clone();
            }
            c
        })
        .collect();
    let mut generation = tabular
        .get("CandidateGenerationConfig")
        .cloned()
        .unwrap_or(json!({}));
    if let Some(uri) = tabular.get("FeatureSpecificationS3Uri") {
        generation["FeatureSpecificationS3Uri"] = uri.clone();
    }
    let v1 = json!({
        "AutoMLJobName": body.get("AutoMLJobName"),
        "InputDataConfig": input,
        "OutputDataConfig": body.get("OutputDataConfig"),
        "RoleArn": body.get("RoleArn"),
        "AutoMLJobObjective": body.get("AutoMLJobObjective"),
        "ProblemType": tabular.get("ProblemType"),
        "GenerateCandidateDefinitionsOnly": tabular.get("GenerateCandidateDefinitionsOnly"),
        "Tags": body.get("Tags"),
        "ModelDeployConfig": body.get("ModelDeployConfig"),
        "AutoMLJobConfig": {
            "CompletionCriteria": tabular.get("CompletionCriteria"),
            "Mode": tabular.get("Mode"),
            "DataSplitConfig": body.get("DataSplitConfig"),
            "CandidateGenerationConfig": generation,
            "SecurityConfig": body.get("SecurityConfig"),
        },
    });
    Ok(wire::without_nulls(v1))
}

pub async fn create(call: &Call<'_>, v2: bool) -> Result<Value, ApiError> {
    let mut body = if v2 {
        v2_as_v1(call.body)?
    } else {
        call.body.clone()
    };
    need(&body, "AutoMLJobName")?;
    need(&body, "RoleArn")?;
    // Required here (SageMaker's rule); `create_job` checks that it can be written to.
    body.get("OutputDataConfig")
        .and_then(|o| o.get("S3OutputPath"))
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("OutputDataConfig.S3OutputPath", "is required"))?;
    if let Some(d) = body.get("ModelDeployConfig") {
        if d.get("AutoGenerateEndpointName") == Some(&json!(true))
            || d.get("EndpointName").is_some()
        {
            return Err(ApiError::bad_request(
                "ModelDeployConfig",
                "Glassbox does not deploy when a job ends: create the endpoint from BestCandidate.InferenceContainers (CreateModel, CreateEndpointConfig, CreateEndpoint)",
            ));
        }
    }
    let config = body
        .get_mut("AutoMLJobConfig")
        .and_then(Value::as_object_mut);
    if let Some(config) = config {
        // VPC and volume encryption have no meaning on one machine.
        config.remove("SecurityConfig");
        if let Some(g) = config
            .get_mut("CandidateGenerationConfig")
            .and_then(Value::as_object_mut)
        {
            if let Some(uri) = g.remove("FeatureSpecificationS3Uri") {
                let uri = uri.as_str().unwrap_or("").to_string();
                let field = "AutoMLJobConfig.CandidateGenerationConfig.FeatureSpecificationS3Uri";
                let spec = call.svc.read_json_uri(field, &uri).await?;
                g.insert("FeatureSpecification".into(), spec);
            }
        }
    }
    let tags = wire::tags(&body)?;
    let req: CreateJob = parse_body(body.to_string().as_bytes())?;
    let arn = call.svc.create_job(req, call.actor).await?;
    call.svc.add_tags(&arn, &tags).await?;
    Ok(json!({ "AutoMLJobArn": arn }))
}

/// A channel as SageMaker describes it: the data set it was read into, by URI.
fn channel(c: &Value) -> Value {
    let mut c = c.clone();
    if let Some(id) = c.pointer("/DataSource/DatasetId").and_then(Value::as_str) {
        c["DataSource"] = json!({"S3DataSource": {
            "S3DataType": "S3Prefix",
            "S3Uri": format!("glassbox://datasets/{id}"),
        }});
    }
    c
}

/// InferenceContainers for a completed candidate in `v` (an AutoMLCandidate).
fn with_containers(mut v: Value, job: &str, output: Option<&str>) -> Value {
    let name = v
        .get("CandidateName")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let (Some(name), Some("Completed")) =
        (name, v.get("CandidateStatus").and_then(Value::as_str))
    {
        v["InferenceContainers"] = wire::containers(job, &name, output);
        if let Some(o) = output {
            let dir = wire::output_candidate_dir(o, job, &name);
            v["CandidateProperties"]["CandidateArtifactLocations"] = json!({
                "Explainability": format!("{dir}/reports/explainability.json"),
                "ModelInsights": format!("{dir}/reports/quality.json"),
            });
        }
    }
    if let Some(steps) = v.get_mut("CandidateSteps").and_then(Value::as_array_mut) {
        for s in steps {
            let step = s
                .get("CandidateStepName")
                .and_then(Value::as_str)
                .unwrap_or("");
            s["CandidateStepArn"] =
                json!(format!("arn:glassbox:local:automl-job/{job}/step/{step}"));
        }
    }
    v
}

/// Completion criteria in whole seconds, as botocore's model types them (integers).
fn whole_seconds(criteria: Option<&mut Value>) {
    let Some(Value::Object(m)) = criteria else {
        return;
    };
    for x in m.values_mut() {
        if let Some(f) = x.as_f64() {
            *x = json!(f.ceil() as i64);
        }
    }
}

pub async fn describe(call: &Call<'_>, v2: bool) -> Result<Value, ApiError> {
    let name = need(call.body, "AutoMLJobName")?;
    let (job, req): (JobInfo, _) = call.svc.job_with_request(name).await?;
    let output = req
        .as_ref()
        .and_then(|r| r.output_uri())
        .map(str::to_string);
    let role = req
        .as_ref()
        .and_then(|r| r.role_arn.as_ref())
        .and_then(Value::as_str)
        .unwrap_or(ROLE)
        .to_string();
    let mut v = shapes::describe_job(&job);
    whole_seconds(v.pointer_mut("/AutoMLJobConfig/CompletionCriteria"));
    whole_seconds(v.pointer_mut("/ResolvedAttributes/CompletionCriteria"));
    let channels: Vec<Value> = job
        .input
        .as_array()
        .map(|a| a.iter().map(channel).collect())
        .unwrap_or_default();
    let out = output.clone().unwrap_or_else(|| local_output(name));
    v["OutputDataConfig"] = json!({ "S3OutputPath": out });
    v["RoleArn"] = json!(role);
    if let Some(best) = v.get("BestCandidate").cloned().filter(|b| !b.is_null()) {
        v["BestCandidate"] = with_containers(best, name, output.as_deref());
    }
    if let Some(o) = &output {
        // The job folder's layout (`JobFolder`), copied under `OUTPUT/JOB/`.
        let base = format!("{}/{name}/notebooks", o.trim_end_matches('/'));
        v["AutoMLJobArtifacts"] = json!({
            "DataExplorationNotebookLocation": format!("{base}/data_exploration.ipynb"),
            "CandidateDefinitionNotebookLocation": format!("{base}/candidate_definition.ipynb"),
        });
    }
    if v2 {
        let resolved = v.get("ResolvedAttributes").cloned().unwrap_or(Value::Null);
        let tabular = json!({
            "TargetAttributeName": job.target,
            "ProblemType": v.get("ProblemType"),
            "CompletionCriteria": v.pointer("/AutoMLJobConfig/CompletionCriteria"),
            "Mode": v.pointer("/AutoMLJobConfig/Mode"),
            "GenerateCandidateDefinitionsOnly": job.candidates_only,
        });
        let inputs: Vec<Value> = channels
            .iter()
            .map(|c| {
                let mut c = c.clone();
                if let Some(m) = c.as_object_mut() {
                    m.remove("TargetAttributeName");
                }
                c
            })
            .collect();
        v["AutoMLJobInputDataConfig"] = json!(inputs);
        v["AutoMLProblemTypeConfig"] = json!({ "TabularJobConfig": tabular });
        v["AutoMLProblemTypeConfigName"] = json!("Tabular");
        v["ResolvedAttributes"] = json!({
            "AutoMLJobObjective": resolved.get("AutoMLJobObjective"),
            "CompletionCriteria": resolved.get("CompletionCriteria"),
            "AutoMLProblemTypeResolvedAttributes": {"TabularResolvedAttributes": {"ProblemType": resolved.get("ProblemType")}},
        });
        if let Some(m) = v.as_object_mut() {
            m.remove("InputDataConfig");
        }
    } else {
        v["InputDataConfig"] = json!(channels);
    }
    Ok(answer(v))
}

pub async fn list(call: &Call<'_>) -> Result<Value, ApiError> {
    let jobs: Vec<Value> = call
        .svc
        .jobs()
        .await?
        .iter()
        .map(shapes::job_summary)
        .collect();
    let how = wire::Listing {
        name: "AutoMLJobName",
        sort: &[
            ("CreationTime", "CreationTime"),
            ("Name", "AutoMLJobName"),
            ("Status", "AutoMLJobStatus"),
        ],
        order: "Descending",
        status: Some((
            "AutoMLJobStatus",
            &["Completed", "InProgress", "Failed", "Stopped", "Stopping"],
        )),
    };
    let jobs = wire::listed(call.body, jobs, &how)?;
    Ok(answer(json!({ "AutoMLJobSummaries": jobs })))
}

pub async fn candidates(call: &Call<'_>) -> Result<Value, ApiError> {
    let name = need(call.body, "AutoMLJobName")?;
    // The REST API's rules check the sort, status and count.
    let q = CandidateQuery {
        sort_by: opt(call.body, "SortBy").map(str::to_string),
        sort_order: opt(call.body, "SortOrder").map(str::to_string),
        status_equals: opt(call.body, "StatusEquals").map(str::to_string),
        max_results: call.body.get("MaxResults").and_then(Value::as_i64),
        name_equals: opt(call.body, "CandidateNameEquals").map(str::to_string),
    };
    let (job, req) = call.svc.job_with_request(name).await?;
    let output = req.and_then(|r| r.output_uri().map(str::to_string));
    let list: Vec<Value> = match &job.resolved {
        Some(r) => call
            .svc
            .candidates(name, &q)
            .await?
            .iter()
            .map(|c| {
                with_containers(
                    shapes::candidate(&c.result, r, &c.created_at, Some(name)),
                    name,
                    output.as_deref(),
                )
            })
            .collect(),
        None => vec![],
    };
    Ok(answer(json!({ "Candidates": list })))
}

pub async fn stop(call: &Call<'_>) -> Result<Value, ApiError> {
    let name = need(call.body, "AutoMLJobName")?;
    call.svc.stop_job(name).await?;
    Ok(wire::empty())
}
