//! The REST API's request bodies, as SageMaker spells them (CreateAutoMLJob with its
//! FeatureSpecification inline, the review step's TrainRequest, ListCandidates' query),
//! and the body parser that names the JSON path of whatever is wrong.

use std::collections::BTreeMap;

use glassbox_engine::automl::learners::Range;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ApiError;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateJob {
    #[serde(rename = "AutoMLJobName")]
    pub name: String,
    #[serde(rename = "InputDataConfig")]
    pub input: Vec<Channel>,
    #[serde(rename = "ProblemType", default)]
    pub problem_type: Option<String>,
    #[serde(rename = "AutoMLJobObjective", default)]
    pub objective: Option<Objective>,
    #[serde(rename = "AutoMLJobConfig", default)]
    pub config: Option<JobConfig>,
    #[serde(rename = "GenerateCandidateDefinitionsOnly", default)]
    pub candidates_only: Option<bool>,
    #[serde(rename = "Tags", default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub tags: Option<Vec<Value>>,
    /// `{"S3OutputPath": URI}`: the job's folder (notebooks, candidates' models and
    /// reports) is copied there when it ends; it is always kept in the data folder too.
    #[serde(rename = "OutputDataConfig", default)]
    #[schema(value_type = Option<Object>)]
    pub output: Option<Value>,
    #[serde(rename = "RoleArn", default)]
    #[schema(value_type = Option<Object>)]
    pub role_arn: Option<Value>,
    #[serde(rename = "ModelDeployConfig", default)]
    #[schema(value_type = Option<Object>)]
    pub model_deploy: Option<Value>,
}

impl CreateJob {
    /// Where the job's results are copied (`OutputDataConfig.S3OutputPath`).
    pub fn output_uri(&self) -> Option<&str> {
        self.output.as_ref()?.get("S3OutputPath")?.as_str()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    #[serde(rename = "DataSource")]
    pub data_source: DataSource,
    #[serde(rename = "TargetAttributeName")]
    pub target: String,
    #[serde(rename = "ChannelType", default)]
    pub channel_type: Option<String>,
    #[serde(rename = "ContentType", default)]
    pub content_type: Option<String>,
    #[serde(rename = "CompressionType", default)]
    pub compression_type: Option<String>,
    #[serde(rename = "SampleWeightAttributeName", default)]
    pub sample_weight: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataSource {
    /// A data set uploaded to this server…
    #[serde(rename = "DatasetId", default, skip_serializing_if = "Option::is_none")]
    pub dataset_id: Option<String>,
    /// …or objects named by URI (`s3://`, `file://`, `glassbox://datasets/ID`), copied
    /// into a new data set when the job is created.
    #[serde(
        rename = "S3DataSource",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub s3: Option<S3DataSource>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct S3DataSource {
    /// S3Prefix (default) or ManifestFile.
    #[serde(rename = "S3DataType", default)]
    pub data_type: Option<String>,
    #[serde(rename = "S3Uri")]
    pub uri: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Objective {
    #[serde(rename = "MetricName", default)]
    pub metric_name: Option<String>,
    /// Glassbox's addition: the class F1, Precision and Recall are computed for (binary
    /// classification); the minority class when absent.
    #[serde(
        rename = "PositiveClass",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub positive_class: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobConfig {
    #[serde(rename = "CompletionCriteria", default)]
    pub completion: Option<Completion>,
    #[serde(rename = "DataSplitConfig", default)]
    pub split: Option<SplitConfig>,
    #[serde(rename = "CandidateGenerationConfig", default)]
    pub generation: Option<Generation>,
    #[serde(rename = "Mode", default)]
    pub mode: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Completion {
    #[serde(rename = "MaxCandidates", default)]
    pub max_candidates: Option<i64>,
    #[serde(rename = "MaxRuntimePerTrainingJobInSeconds", default)]
    pub max_runtime_per_candidate: Option<f64>,
    #[serde(rename = "MaxAutoMLJobRuntimeInSeconds", default)]
    pub max_job_runtime: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitConfig {
    #[serde(rename = "ValidationFraction", default)]
    pub validation_fraction: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Generation {
    #[serde(rename = "FeatureSpecification", default)]
    pub features: Option<FeatureSpecification>,
    #[serde(rename = "AlgorithmsConfig", default)]
    pub algorithms: Option<Vec<AlgorithmsConfig>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeatureSpecification {
    #[serde(rename = "FeatureAttributeNames", default)]
    pub names: Option<Vec<String>>,
    #[serde(rename = "FeatureDataTypes", default)]
    pub types: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlgorithmsConfig {
    #[serde(rename = "AutoMLAlgorithms")]
    pub algorithms: Vec<String>,
}

/// `POST /api/automl-jobs/{name}/train`: the candidates to train after a candidates-only
/// job, and optionally edited search ranges (same shape as `candidate_definitions.json`).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainRequest {
    #[serde(rename = "Candidates")]
    pub candidates: Vec<String>,
    /// Candidate name → hyperparameter name → range, e.g.
    /// `{"cand-001-gbdt-dpp0": {"learning_rate": {"type": "float", "low": 0.02, "high": 0.1, "log": true}}}`.
    #[serde(rename = "HyperparameterRanges", default)]
    #[schema(value_type = Option<Object>)]
    pub ranges: Option<BTreeMap<String, BTreeMap<String, Range>>>,
}

/// Parse a request body, naming the JSON path of whatever is wrong.
pub fn parse_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        // "unknown field `X`" / "missing field `X`": name X itself.
        let named = msg
            .split('`')
            .nth(1)
            .filter(|_| msg.starts_with("unknown field") || msg.starts_with("missing field"));
        let field = match (named, path.as_str()) {
            (Some(f), "." | "") => f.to_string(),
            (Some(f), p) if msg.starts_with("missing field") => format!("{p}.{f}"),
            (Some(_), p) => p.to_string(),
            (None, "." | "") => "body".to_string(),
            (None, p) => p.to_string(),
        };
        ApiError::bad_request(&field, format!("{field}: {msg}"))
    })
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CandidateQuery {
    #[serde(rename = "SortBy")]
    pub sort_by: Option<String>,
    #[serde(rename = "SortOrder")]
    pub sort_order: Option<String>,
    #[serde(rename = "StatusEquals")]
    pub status_equals: Option<String>,
    #[serde(rename = "MaxResults")]
    pub max_results: Option<i64>,
    /// Only the candidate of this name.
    #[serde(rename = "CandidateNameEquals")]
    pub name_equals: Option<String>,
}

/// A bias question in a query string, with Clarify's `BiasConfig` names. Values are
/// separated by commas; a single number on a continuous column is a threshold.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BiasQuery {
    /// The facet (sensitive attribute) column.
    #[serde(rename = "FacetName")]
    pub facet_name: String,
    /// Its sensitive value(s), comma-separated, or a threshold (above it is sensitive).
    #[serde(rename = "FacetValuesOrThreshold")]
    pub facet_values_or_threshold: String,
    /// The positive label value(s), comma-separated, or a threshold.
    #[serde(rename = "LabelValuesOrThreshold")]
    pub label_values_or_threshold: String,
    /// The label column (data sets only; a job's is its target).
    #[serde(rename = "LabelName")]
    pub label_name: Option<String>,
    /// A column whose groups condition the demographic disparity (CDDL, CDDPL).
    #[serde(rename = "GroupName")]
    pub group_name: Option<String>,
}

impl BiasQuery {
    pub fn config(&self) -> glassbox_engine::reports::BiasConfig {
        glassbox_engine::reports::BiasConfig::from_text(
            &self.facet_name,
            &self.facet_values_or_threshold,
            &self.label_values_or_threshold,
            self.group_name.as_deref().unwrap_or_default(),
        )
    }
}
