//! SageMaker-shaped JSON (AutoMLCandidate, DescribeAutoMLJob) built from the engine's plain
//! results. The CLI's `job.json` / `leaderboard.json` and the REST API use the same shapes.

use glassbox_engine::automl::job::{
    CandidateResult, CandidateStatus, JobOutcome, Resolved, SecondaryStatus,
};
use glassbox_engine::automl::metrics::Metric;
use serde_json::{json, Value};

fn metric_type(m: Metric) -> &'static str {
    if m.maximize() {
        "Maximize"
    } else {
        "Minimize"
    }
}

/// One AutoMLCandidate. `time` is used for CreationTime/EndTime when the caller has no
/// finer record.
pub fn candidate(c: &CandidateResult, resolved: &Resolved, time: &str) -> Value {
    let objective = c.objective.map(|v| {
        json!({
            "MetricName": resolved.metric.as_str(),
            "Value": v,
            "Type": metric_type(resolved.metric),
            "StandardMetricName": resolved.metric.as_str(),
        })
    });
    let status = candidate_status(c.status);
    let objective_status = match (c.status, c.objective) {
        (CandidateStatus::Completed, Some(_)) => "Succeeded",
        (CandidateStatus::Completed, None) => "Pending",
        _ => "Failed",
    };
    let pipeline = c.pipeline.map_or(ENSEMBLE_PIPELINE, |p| p.as_str());
    let mut steps = Vec::new();
    if c.pipeline.is_some() {
        steps.push(json!({"CandidateStepType": "Glassbox::FeaturePipeline", "CandidateStepName": pipeline}));
    }
    steps.push(json!({"CandidateStepType": "Glassbox::Training", "CandidateStepName": c.name}));
    let pipeline_steps = resolved
        .pipelines
        .iter()
        .find(|p| Some(p.name) == c.pipeline)
        .map(|p| p.describe())
        .unwrap_or_default();
    json!({
        "CandidateName": c.name,
        "FinalAutoMLJobObjectiveMetric": objective,
        "ObjectiveStatus": objective_status,
        "CandidateStatus": status,
        "FailureReason": c.failure_reason,
        "CandidateSteps": steps,
        "CreationTime": time,
        "EndTime": time,
        "LastModifiedTime": time,
        "CandidateProperties": {
            "CandidateMetrics": c.metrics.iter().map(|m| json!({
                "MetricName": m.metric.as_str(),
                "Value": m.value,
                "Set": "Validation",
                "StandardMetricName": m.metric.as_str(),
            })).collect::<Vec<_>>(),
        },
        "Algorithm": c.algorithm.map(|a| a.as_str()).unwrap_or("ensemble"),
        "FeaturePipeline": pipeline,
        "FeaturePipelineSteps": pipeline_steps,
        "Hyperparameters": c.hyperparameters,
        "EnsembleMembers": c.members.iter().map(|(n, w)| json!({"CandidateName": n, "Weight": w})).collect::<Vec<_>>(),
        "TrainingSeconds": c.train_seconds,
        "Deterministic": c.deterministic,
        "FeatureImportance": c.feature_importance.iter().take(30).map(|(n, v)| json!({"Feature": n, "Importance": v})).collect::<Vec<_>>(),
    })
}

/// What the leaderboard shows as an ensemble's pipeline.
const ENSEMBLE_PIPELINE: &str = "per member";

pub fn candidate_status(s: CandidateStatus) -> &'static str {
    match s {
        CandidateStatus::Completed => "Completed",
        CandidateStatus::Failed => "Failed",
        CandidateStatus::Stopped => "Stopped",
    }
}

pub fn leaderboard(outcome: &JobOutcome, time: &str) -> Value {
    json!({ "Candidates": outcome.candidates.iter().map(|c| candidate(c, &outcome.resolved, time)).collect::<Vec<_>>() })
}

pub fn secondary(s: SecondaryStatus) -> &'static str {
    match s {
        SecondaryStatus::Starting => "Starting",
        SecondaryStatus::AnalyzingData => "AnalyzingData",
        SecondaryStatus::FeatureEngineering => "FeatureEngineering",
        SecondaryStatus::ModelTuning => "ModelTuning",
        SecondaryStatus::CandidateDefinitionsGenerated => "CandidateDefinitionsGenerated",
        SecondaryStatus::MaxCandidatesReached => "MaxCandidatesReached",
        SecondaryStatus::MaxAutoMLJobRuntimeReached => "MaxAutoMLJobRuntimeReached",
        SecondaryStatus::Completed => "Completed",
        SecondaryStatus::Stopped => "Stopped",
        SecondaryStatus::Failed => "Failed",
    }
}

/// The primary status for a final secondary status.
pub fn primary(s: SecondaryStatus) -> &'static str {
    match s {
        SecondaryStatus::Stopped => "Stopped",
        SecondaryStatus::Failed => "Failed",
        SecondaryStatus::Starting
        | SecondaryStatus::AnalyzingData
        | SecondaryStatus::FeatureEngineering
        | SecondaryStatus::ModelTuning => "InProgress",
        _ => "Completed",
    }
}

pub struct JobMeta<'a> {
    pub name: &'a str,
    /// The InputDataConfig channels, as given.
    pub input: Value,
    pub created: &'a str,
    pub ended: Option<&'a str>,
    pub updated: &'a str,
    pub candidates_only: bool,
    pub mode: Option<Value>,
}

/// What a job's description is made of, wherever it is stored.
pub struct JobState<'a> {
    pub status: &'a str,
    pub secondary: &'a str,
    pub progress: f64,
    pub failure_reason: Option<&'a str>,
    pub resolved: Option<&'a Resolved>,
    pub best: Option<Value>,
    pub candidate_count: usize,
}

pub fn describe(meta: &JobMeta, st: &JobState) -> Value {
    let r = st.resolved;
    json!({
        "AutoMLJobName": meta.name,
        "AutoMLJobArn": arn(meta.name),
        "InputDataConfig": meta.input,
        "ProblemType": r.map(|r| r.problem_type.as_str()),
        "AutoMLJobObjective": r.map(|r| json!({"MetricName": r.metric.as_str()})),
        "AutoMLJobConfig": {
            "CompletionCriteria": r.map(completion),
            "Mode": meta.mode.clone().or_else(|| r.and_then(|r| serde_json::to_value(r.mode).ok())),
        },
        "GenerateCandidateDefinitionsOnly": meta.candidates_only,
        "CreationTime": meta.created,
        "EndTime": meta.ended,
        "LastModifiedTime": meta.updated,
        "AutoMLJobStatus": st.status,
        "AutoMLJobSecondaryStatus": st.secondary,
        "FailureReason": st.failure_reason,
        "BestCandidate": st.best,
        "ResolvedAttributes": r.map(|r| json!({
            "ProblemType": r.problem_type.as_str(),
            "ProblemTypeReason": r.problem_type_reason,
            "AutoMLJobObjective": {"MetricName": r.metric.as_str()},
            "CompletionCriteria": completion(r),
            "PositiveClass": r.positive_class,
            "Classes": r.classes,
            "Validation": r.validation,
            "Features": r.features,
        })),
        "AutoMLJobArtifacts": {
            "DataExplorationNotebookLocation": format!("/api/automl-jobs/{}/notebooks/data-exploration.ipynb", meta.name),
            "CandidateDefinitionNotebookLocation": format!("/api/automl-jobs/{}/notebooks/candidate-definition.ipynb", meta.name),
        },
        "Progress": st.progress,
        "CandidateCount": st.candidate_count,
    })
}

pub fn arn(name: &str) -> String {
    format!("arn:glassbox:local:automl-job/{name}")
}

/// The description of a finished CLI job.
pub fn describe_outcome(meta: &JobMeta, outcome: &JobOutcome) -> Value {
    let r = &outcome.resolved;
    let best = outcome
        .best
        .as_ref()
        .and_then(|b| outcome.candidates.iter().find(|c| &c.name == b))
        .map(|c| candidate(c, r, meta.updated));
    let mut v = describe(
        meta,
        &JobState {
            status: primary(outcome.secondary_status),
            secondary: secondary(outcome.secondary_status),
            progress: 1.0,
            failure_reason: None,
            resolved: Some(r),
            best,
            candidate_count: outcome.candidates.len(),
        },
    );
    v["ElapsedSeconds"] = json!(outcome.elapsed_seconds);
    v
}

fn completion(r: &Resolved) -> Value {
    json!({
        "MaxCandidates": r.max_candidates,
        "MaxRuntimePerTrainingJobInSeconds": r.max_runtime_per_candidate,
        "MaxAutoMLJobRuntimeInSeconds": r.max_job_runtime,
    })
}
