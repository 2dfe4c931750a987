//! Plain data the pages render and the REST API returns: the records the service layer
//! hands out. `DatasetInfo`'s field names follow SageMaker's style (PascalCase) so the same
//! struct serves both; jobs and candidates are shaped for the API by the server.

use glassbox_engine::automl::job::{CandidateResult, Resolved};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct DatasetInfo {
    pub dataset_id: String,
    pub name: String,
    pub rows: Option<i64>,
    pub columns: Option<i64>,
    pub size_bytes: i64,
    pub creation_time: String,
    /// Uploading | Profiling | Ready | Failed
    pub dataset_status: String,
    pub failure_reason: Option<String>,
    pub target_attribute_name: Option<String>,
    pub profiled_time: Option<String>,
    /// Column names, once the file has been read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub column_names: Vec<String>,
    /// The jobs that train on this data set, newest first (on a single data set's record).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jobs: Vec<String>,
    /// The account that created it (`None`: made in local mode).
    #[serde(skip)]
    pub owner: Option<i64>,
    /// That account's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

impl DatasetInfo {
    pub fn is_ready(&self) -> bool {
        self.dataset_status == "Ready"
    }
}

/// The server's state, for the status page and `GET /api/status`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct ServerStatus {
    pub version: String,
    pub data_dir: String,
    /// Free bytes on the data folder's file system (when the system tells).
    pub free_bytes: Option<u64>,
    pub total_bytes: Option<u64>,
    /// Whether the free space is low enough to warn about.
    pub low_space: bool,
    pub datasets: i64,
    pub jobs: i64,
    pub jobs_in_progress: i64,
    pub max_upload_bytes: u64,
    pub max_unpacked_bytes: u64,
    pub workers: usize,
    pub retain_jobs_days: Option<u32>,
}

/// The new-job form's fields (also what is shown again when the form has an error).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobForm {
    pub name: String,
    pub target: String,
    pub problem_type: String,
    pub metric: String,
    pub mode: String,
    pub max_candidates: String,
    pub max_job_runtime: String,
    pub max_runtime_per_candidate: String,
    pub validation_fraction: String,
    pub algorithms: Vec<String>,
    pub features: Vec<String>,
    pub candidates_only: bool,
    /// Binary classification: the class F1, precision and recall are computed for.
    pub positive_class: String,
    /// Start even though the budget looks too short for one candidate.
    pub start_anyway: bool,
}

/// A job as stored: plain data the REST API shapes into DescribeAutoMLJob and the pages
/// render. The engine's own results (`Resolved`, `CandidateResult`) are kept as they are.
#[derive(Debug, Clone)]
pub struct JobInfo {
    pub name: String,
    pub dataset_id: String,
    /// The data set's name; `None` once it is deleted.
    pub dataset_name: Option<String>,
    /// InProgress | Completed | Failed | Stopping | Stopped
    pub status: String,
    /// The stage (AnalyzingData, ModelTuning, CandidateDefinitionsGenerated, …).
    pub secondary_status: String,
    pub progress: f64,
    pub failure_reason: Option<String>,
    /// The analysis of the data, once done.
    pub resolved: Option<Resolved>,
    pub best: Option<CandidateInfo>,
    pub candidate_count: usize,
    pub created_at: String,
    pub updated_at: String,
    pub ended_at: Option<String>,
    pub elapsed_seconds: f64,
    /// The InputDataConfig channels, as the request gave them.
    pub input: serde_json::Value,
    pub candidates_only: bool,
    /// The Mode the request named, if any (the resolved one is in `resolved`).
    pub requested_mode: Option<String>,
    /// The target column and the algorithms the job may use.
    pub target: String,
    pub algorithms: Vec<String>,
    /// What the job is training right now, while it runs.
    pub training: Option<Training>,
    /// The account that created it (`None`: made in local mode), and its name.
    pub owner: Option<i64>,
    pub created_by: Option<String>,
}

/// A definition in training: a candidate (`fraction` 1), or a screening trial of successive
/// halving on part of the training rows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Training {
    pub name: String,
    pub algorithm: String,
    pub pipeline: String,
    pub fraction: f64,
    /// RFC 3339.
    pub started_at: String,
    /// Seconds since it started, as of the read (not stored).
    #[serde(default, skip_serializing)]
    pub seconds: f64,
}

impl JobInfo {
    pub fn is_running(&self) -> bool {
        self.status == "InProgress" || self.status == "Stopping"
    }

    /// A candidates-only job waiting for its candidates to be chosen.
    pub fn awaits_review(&self) -> bool {
        self.status == "Completed" && self.secondary_status == "CandidateDefinitionsGenerated"
    }
}

/// A candidate as stored: the engine's result and when it was recorded.
#[derive(Debug, Clone)]
pub struct CandidateInfo {
    pub result: CandidateResult,
    pub created_at: String,
}

/// A bias question as a page's form holds it (SageMaker Clarify's `BiasConfig` fields as
/// typed: values comma-separated).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct BiasAsk {
    #[serde(rename = "FacetName", default)]
    pub facet: String,
    #[serde(rename = "FacetValuesOrThreshold", default)]
    pub facet_values: String,
    /// The label column (a data set's; a job's is its target).
    #[serde(rename = "LabelName", default)]
    pub label: String,
    #[serde(rename = "LabelValuesOrThreshold", default)]
    pub label_values: String,
    #[serde(rename = "GroupName", default)]
    pub group: String,
}

impl BiasAsk {
    /// Whether the form was sent (a facet was picked).
    pub fn asked(&self) -> bool {
        !self.facet.trim().is_empty()
    }
}

/// Who reads a page: what the top bar shows and which controls the page offers. The
/// server decides (its access rules); pages only show or hide.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Who {
    /// Signed in: the account's name and role.
    pub user: Option<(String, String)>,
    /// Team mode (accounts exist): the top bar offers the account menu.
    pub team: bool,
    /// May upload data sets and start jobs.
    pub can_create: bool,
    /// May change the page's object: delete it, stop it, share it, set its target.
    pub can_change: bool,
    pub is_admin: bool,
    /// Seen through a share link: no navigation, no forms.
    pub shared: bool,
}

impl Who {
    /// A reader through a share link.
    pub fn shared() -> Who {
        Who {
            shared: true,
            ..Who::default()
        }
    }
}

/// A share link as its job's page lists it (the URL itself is shown once, when made).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ShareInfo {
    pub share_id: String,
    #[serde(rename = "AutoMLJobName")]
    pub job: String,
    pub include_data: bool,
    pub created_by: Option<String>,
    pub creation_time: String,
    pub expiration_time: Option<String>,
    pub last_access_time: Option<String>,
    /// Active | Expired | Revoked
    pub status: String,
}

/// An account as the settings page lists it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AccountInfo {
    pub name: String,
    pub role: String,
    pub created_at: String,
}

/// An access key as listed (`secret` only right after it is made).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KeyInfo {
    #[serde(rename = "AccessKeyId")]
    pub id: String,
    #[serde(rename = "SecretAccessKey", skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(rename = "UserName")]
    pub user: String,
    #[serde(rename = "CreationTime")]
    pub created_at: String,
    #[serde(rename = "LastUsedTime")]
    pub last_used_at: Option<String>,
}

/// An audit log entry.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditInfo {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub detail: Option<String>,
}

/// A model package group as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupInfo {
    pub name: String,
    pub description: Option<String>,
    pub created_at: String,
    pub created_by: Option<String>,
    pub versions: i64,
}

/// A registered version of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageInfo {
    pub group: String,
    pub version: i64,
    /// PendingManualApproval | Approved | Rejected
    pub approval: String,
    pub approval_description: Option<String>,
    pub approval_by: Option<String>,
    pub approval_at: Option<String>,
    pub job: String,
    pub candidate: String,
    /// Validation metrics (name, value), the objective first.
    pub metrics: Vec<(String, f64)>,
    /// The quality report on a labelled test data set, when evaluated.
    pub test_report: Option<serde_json::Value>,
    /// Data set, its SHA-256, the definition, seed, Glassbox version, who registered it.
    pub lineage: serde_json::Value,
    pub registered_by: String,
    pub created_at: String,
}

/// A JSON value as a reader sees it.
fn as_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "–".into(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An object's members as (name, text) pairs, in order, leaving out `skip`.
fn text_pairs(v: Option<&serde_json::Value>, skip: &[&str]) -> Vec<(String, String)> {
    v.and_then(|v| v.as_object())
        .into_iter()
        .flatten()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), as_text(v)))
        .collect()
}

impl PackageInfo {
    /// Where the version came from (data set and its SHA-256, algorithm, seed, Glassbox
    /// version…), as text; the job and candidate and the hyperparameters are apart.
    pub fn lineage_pairs(&self) -> Vec<(String, String)> {
        text_pairs(
            Some(&self.lineage),
            &["Hyperparameters", "AutoMLJobName", "CandidateName"],
        )
    }

    /// The candidate's hyperparameters as registered, as text.
    pub fn hyperparameter_pairs(&self) -> Vec<(String, String)> {
        text_pairs(self.lineage.get("Hyperparameters"), &[])
    }

    /// The test-set metrics (name, value), when there is a test report.
    pub fn test_metrics(&self) -> Vec<(String, f64)> {
        self.test_report
            .as_ref()
            .and_then(|r| r.get("metrics"))
            .and_then(|m| m.as_array())
            .map(|ms| {
                ms.iter()
                    .filter_map(|m| {
                        Some((
                            m.get("MetricName")?.as_str()?.to_string(),
                            m.get("Value")?.as_f64()?,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// One scheduled drift report of an endpoint.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DriftRun {
    #[serde(rename = "CreationTime")]
    pub created_at: String,
    /// The worst column severity.
    pub severity: String,
    /// Captured rows compared.
    pub rows: usize,
    pub report: Option<glassbox_engine::reports::DriftReport>,
}

/// A real-time endpoint and what it serves.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointInfo {
    pub name: String,
    /// Creating | InService | Updating | Failed
    pub status: String,
    pub failure_reason: Option<String>,
    /// A registered version (group, version)…
    pub package: Option<(String, i64)>,
    /// …or a candidate straight from its job (job, candidate).
    pub candidate: Option<(String, String)>,
    pub created_at: String,
    pub updated_at: String,
    /// The share of requests kept for drift reports (0: none), and the size they may take.
    pub capture_percent: u32,
    pub capture_max_bytes: u64,
}

/// What an endpoint has answered since the server started.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndpointStats {
    pub requests: u64,
    pub errors: u64,
    /// Latency quantiles in milliseconds (from the histogram's buckets), when any request.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// A pipeline execution and its steps.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineInfo {
    pub name: String,
    /// Executing | Succeeded | Failed
    pub status: String,
    pub failure_reason: Option<String>,
    pub created_at: String,
    pub ended_at: Option<String>,
    pub steps: Vec<StepInfo>,
}

/// One step of a pipeline execution.
#[derive(Debug, Clone, PartialEq)]
pub struct StepInfo {
    pub name: String,
    /// NotStarted | Executing | Succeeded | Failed
    pub status: String,
    pub started: Option<String>,
    pub ended: Option<String>,
    pub failure_reason: Option<String>,
    /// What the step produced, in words (the job, the test metric, the version).
    pub detail: String,
}
