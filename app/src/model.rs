//! Plain data the pages render and the REST API returns. Field names follow SageMaker's
//! style (PascalCase) so the same struct serves both.

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
    /// Profiling | Ready | Failed
    pub dataset_status: String,
    pub failure_reason: Option<String>,
    pub target_attribute_name: Option<String>,
    pub profiled_time: Option<String>,
    /// Column names, once the file has been read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub column_names: Vec<String>,
}

impl DatasetInfo {
    pub fn is_ready(&self) -> bool {
        self.dataset_status == "Ready"
    }
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
}
