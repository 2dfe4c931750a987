//! SageMaker-shaped JSON (AutoMLCandidate, DescribeAutoMLJob) built from the engine's plain
//! results. The CLI's `job.json` / `leaderboard.json` and the REST API use the same shapes.

use std::collections::BTreeMap;

use glassbox_app::model::JobInfo;
use glassbox_engine::automl::job::{
    CandidateResult, CandidateStatus, JobOutcome, Resolved, SecondaryStatus,
};
use glassbox_engine::automl::metrics::Metric;
use serde_json::{json, Value};

use crate::service::timestamp;

fn metric_type(m: Metric) -> &'static str {
    if m.maximize() {
        "Maximize"
    } else {
        "Minimize"
    }
}

/// The moment `seconds` before `end` (an RFC 3339 time), in the same form; `end` itself
/// when it does not parse.
fn seconds_before(end: &str, seconds: f64) -> String {
    chrono::DateTime::parse_from_rfc3339(end)
        .map(|t| {
            let back = chrono::Duration::milliseconds((seconds.max(0.0) * 1000.0).round() as i64);
            timestamp(t.with_timezone(&chrono::Utc) - back)
        })
        .unwrap_or_else(|_| end.to_string())
}

/// A candidate in ListCandidatesForAutoMLJob's shape. `ended` is when it was recorded
/// (its EndTime); its CreationTime is that less its training seconds. Its report
/// locations are REST URLs when `job` is given (the server), else paths inside the job
/// folder (files).
pub fn candidate(
    c: &CandidateResult,
    resolved: &Resolved,
    ended: &str,
    job: Option<&str>,
) -> Value {
    let report = |file: &str| match job {
        Some(j) => format!("/api/automl-jobs/{j}/candidates/{}/reports/{file}", c.name),
        None => format!("candidates/{}/reports/{file}", c.name),
    };
    let artifacts = (c.status == CandidateStatus::Completed).then(|| {
        json!({
            "Explainability": report("explainability.json"),
            "ModelInsights": report("quality.json"),
            "Report": report("report.html"),
        })
    });
    let objective = c.objective.map(|v| {
        json!({
            "MetricName": resolved.metric.as_str(),
            "Value": v,
            "Type": metric_type(resolved.metric),
            "StandardMetricName": resolved.metric.as_str(),
        })
    });
    let status = c.status.as_str();
    let objective_status = match (c.status, c.objective) {
        (CandidateStatus::Completed, Some(_)) => "Succeeded",
        (CandidateStatus::Completed, None) => "Pending",
        _ => "Failed",
    };
    let pipeline = c.pipeline_name();
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
        "CreationTime": seconds_before(ended, c.train_seconds),
        "EndTime": ended,
        "LastModifiedTime": ended,
        "CandidateProperties": {
            "CandidateMetrics": c.metrics.iter().map(|m| json!({
                "MetricName": m.metric.as_str(),
                "Value": m.value,
                "Set": "Validation",
                "StandardMetricName": m.metric.as_str(),
            })).collect::<Vec<_>>(),
            "CandidateArtifactLocations": artifacts,
        },
        "Algorithm": c.algorithm_name(),
        "FeaturePipeline": pipeline,
        "FeaturePipelineSteps": pipeline_steps,
        "Hyperparameters": c.hyperparameters,
        "EnsembleMembers": c.members.iter().map(|(n, w)| json!({"CandidateName": n, "Weight": w})).collect::<Vec<_>>(),
        "TrainingSeconds": c.train_seconds,
        "Deterministic": c.deterministic,
        "FeatureImportance": c.feature_importance.iter().take(30).map(|(n, v)| json!({"Feature": n, "Importance": v})).collect::<Vec<_>>(),
    })
}

/// The leaderboard file: each candidate ended when `ended` says, else at `job_ended`.
pub fn leaderboard(
    outcome: &JobOutcome,
    ended: &BTreeMap<String, String>,
    job_ended: &str,
) -> Value {
    let when = |c: &CandidateResult| ended.get(&c.name).map_or(job_ended, String::as_str);
    json!({ "Candidates": outcome.candidates.iter().map(|c| candidate(c, &outcome.resolved, when(c), None)).collect::<Vec<_>>() })
}

pub fn secondary(s: SecondaryStatus) -> &'static str {
    match s {
        SecondaryStatus::Starting => "Starting",
        SecondaryStatus::AnalyzingData => "AnalyzingData",
        SecondaryStatus::FeatureEngineering => "FeatureEngineering",
        SecondaryStatus::ModelTuning => "ModelTuning",
        SecondaryStatus::GeneratingExplainabilityReport => "GeneratingExplainabilityReport",
        SecondaryStatus::GeneratingModelInsightsReport => "GeneratingModelInsightsReport",
        SecondaryStatus::CandidateDefinitionsGenerated => "CandidateDefinitionsGenerated",
        SecondaryStatus::CandidateLimitReached => "MaxCandidatesReached",
        SecondaryStatus::RuntimeLimitReached => "MaxAutoMLJobRuntimeReached",
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
        | SecondaryStatus::ModelTuning
        | SecondaryStatus::GeneratingExplainabilityReport
        | SecondaryStatus::GeneratingModelInsightsReport => "InProgress",
        _ => "Completed",
    }
}

pub(crate) struct JobMeta<'a> {
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
struct JobState<'a> {
    pub status: &'a str,
    pub secondary: &'a str,
    pub progress: f64,
    pub failure_reason: Option<&'a str>,
    pub resolved: Option<&'a Resolved>,
    pub best: Option<Value>,
    pub candidate_count: usize,
}

fn describe(meta: &JobMeta, st: &JobState) -> Value {
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

/// DescribeAutoMLJob for a stored job.
pub fn describe_job(job: &JobInfo) -> Value {
    let meta = JobMeta {
        name: &job.name,
        input: job.input.clone(),
        created: &job.created_at,
        ended: job.ended_at.as_deref(),
        updated: &job.updated_at,
        candidates_only: job.candidates_only,
        mode: job.requested_mode.clone().map(Value::from),
    };
    let best = job
        .best
        .as_ref()
        .zip(job.resolved.as_ref())
        .map(|(b, r)| candidate(&b.result, r, &b.created_at, Some(&job.name)));
    let mut v = describe(
        &meta,
        &JobState {
            status: &job.status,
            secondary: &job.secondary_status,
            progress: job.progress,
            failure_reason: job.failure_reason.as_deref(),
            resolved: job.resolved.as_ref(),
            best,
            candidate_count: job.candidate_count,
        },
    );
    v["DatasetId"] = json!(job.dataset_id);
    v["ElapsedSeconds"] = json!(job.elapsed_seconds);
    if let Some(by) = &job.created_by {
        v["CreatedBy"] = json!(by);
    }
    v
}

/// An AutoMLJobSummary for ListAutoMLJobs.
pub fn job_summary(j: &JobInfo) -> Value {
    json!({
        "AutoMLJobName": j.name,
        "AutoMLJobArn": arn(&j.name),
        "AutoMLJobStatus": j.status,
        "AutoMLJobSecondaryStatus": j.secondary_status,
        "CreationTime": j.created_at,
        "EndTime": j.ended_at,
        "LastModifiedTime": j.updated_at,
        "FailureReason": j.failure_reason,
        "DatasetId": j.dataset_id,
        "BestCandidateName": j.best.as_ref().map(|b| &b.result.name),
        "Progress": j.progress,
        "CreatedBy": j.created_by,
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
        .map(|c| candidate(c, r, meta.updated, None));
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

#[cfg(test)]
mod tests {
    use super::*;
    use glassbox_engine::automl::features::{Pipeline, PipelineSpec};
    use glassbox_engine::automl::job::{MetricValue, Mode};
    use glassbox_engine::automl::learners::{Algorithm, Params};
    use glassbox_engine::data::ProblemType;

    fn resolved(metric: Metric) -> Resolved {
        Resolved {
            problem_type: ProblemType::Regression,
            problem_type_reason: "numbers".into(),
            metric,
            mode: Mode::Ensembling,
            max_candidates: Some(5),
            max_runtime_per_candidate: None,
            max_job_runtime: Some(60.0),
            classes: vec![],
            positive_class: None,
            features: vec![],
            input_columns: vec![],
            validation: "5-fold".into(),
            pipelines: PipelineSpec::standard(1000),
        }
    }

    fn result(name: &str, status: CandidateStatus, objective: Option<f64>) -> CandidateResult {
        CandidateResult {
            name: name.into(),
            algorithm: Some(Algorithm::Gbdt),
            pipeline: Some(Pipeline::Dpp0),
            hyperparameters: Params::new(),
            status,
            failure_reason: None,
            objective,
            metrics: objective
                .map(|v| {
                    vec![MetricValue {
                        metric: Metric::RMSE,
                        value: v,
                    }]
                })
                .unwrap_or_default(),
            train_seconds: 1.5,
            members: vec![],
            deterministic: true,
            feature_importance: vec![("x".into(), 1.0)],
        }
    }

    #[test]
    fn a_candidate_has_autopilots_fields() {
        let c = candidate(
            &result("cand-001-gbdt-dpp0", CandidateStatus::Completed, Some(2.5)),
            &resolved(Metric::RMSE),
            "2026-01-01T00:00:00.000Z",
            Some("j1"),
        );
        assert_eq!(c["CandidateName"], "cand-001-gbdt-dpp0");
        assert_eq!(
            c["CandidateProperties"]["CandidateArtifactLocations"]["Explainability"],
            "/api/automl-jobs/j1/candidates/cand-001-gbdt-dpp0/reports/explainability.json"
        );
        assert_eq!(c["FinalAutoMLJobObjectiveMetric"]["MetricName"], "RMSE");
        assert_eq!(c["FinalAutoMLJobObjectiveMetric"]["Type"], "Minimize");
        assert_eq!(c["FinalAutoMLJobObjectiveMetric"]["Value"], 2.5);
        assert_eq!(c["ObjectiveStatus"], "Succeeded");
        assert_eq!(c["CandidateStatus"], "Completed");
        assert_eq!(c["CandidateSteps"][0]["CandidateStepName"], "dpp0");
        assert_eq!(
            c["CandidateProperties"]["CandidateMetrics"][0]["Set"],
            "Validation"
        );
        assert_eq!(c["Algorithm"], "gbdt");
        assert!(!c["FeaturePipelineSteps"].as_array().unwrap().is_empty());
        // It ended when it was recorded and began its training seconds (1.5) before.
        assert_eq!(c["EndTime"], "2026-01-01T00:00:00.000Z");
        assert_eq!(c["CreationTime"], "2025-12-31T23:59:58.500Z");
    }

    #[test]
    fn the_leaderboard_file_keeps_each_candidates_own_times() {
        let outcome = |candidates| JobOutcome {
            resolved: resolved(Metric::RMSE),
            split: glassbox_engine::automl::split::Split {
                method: "kfold".into(),
                folds: vec![],
            },
            candidates,
            definitions: vec![],
            best: None,
            secondary_status: SecondaryStatus::Completed,
            elapsed_seconds: 0.0,
            low_fidelity_trials: 0,
        };
        let board = leaderboard(
            &outcome(vec![
                result("a", CandidateStatus::Completed, Some(1.0)),
                result("b", CandidateStatus::Stopped, None),
            ]),
            &BTreeMap::from([("a".to_string(), "2026-01-01T00:00:05.000Z".to_string())]),
            "2026-01-01T00:01:00.000Z",
        );
        let c = &board["Candidates"];
        assert_eq!(c[0]["EndTime"], "2026-01-01T00:00:05.000Z");
        assert_eq!(c[0]["CreationTime"], "2026-01-01T00:00:03.500Z");
        assert_eq!(
            c[1]["EndTime"], "2026-01-01T00:01:00.000Z",
            "the job's end stands in"
        );
    }

    #[test]
    fn failed_candidates_and_ensembles() {
        let failed = candidate(
            &result("cand-002-gbdt-dpp0", CandidateStatus::Stopped, None),
            &resolved(Metric::RMSE),
            "t",
            None,
        );
        assert_eq!(failed["ObjectiveStatus"], "Failed");
        assert!(failed["CandidateProperties"]["CandidateArtifactLocations"].is_null());
        assert_eq!(failed["CandidateStatus"], "Stopped");
        assert!(failed["FinalAutoMLJobObjectiveMetric"].is_null());
        let mut ens = result("cand-009-ensemble", CandidateStatus::Completed, Some(2.0));
        ens.algorithm = None;
        ens.pipeline = None;
        ens.members = vec![("cand-001-gbdt-dpp0".into(), 1.0)];
        let e = candidate(&ens, &resolved(Metric::RMSE), "t", None);
        assert_eq!(
            e["CandidateProperties"]["CandidateArtifactLocations"]["ModelInsights"],
            "candidates/cand-009-ensemble/reports/quality.json"
        );
        assert_eq!(e["Algorithm"], "ensemble");
        assert_eq!(e["FeaturePipeline"], "per member");
        assert_eq!(e["CandidateSteps"].as_array().unwrap().len(), 1);
        assert_eq!(
            e["EnsembleMembers"][0]["CandidateName"],
            "cand-001-gbdt-dpp0"
        );
    }

    #[test]
    fn statuses_map_to_autopilots() {
        assert_eq!(primary(SecondaryStatus::CandidateLimitReached), "Completed");
        assert_eq!(primary(SecondaryStatus::ModelTuning), "InProgress");
        assert_eq!(primary(SecondaryStatus::Stopped), "Stopped");
        assert_eq!(
            secondary(SecondaryStatus::RuntimeLimitReached),
            "MaxAutoMLJobRuntimeReached"
        );
        assert_eq!(metric_type(Metric::AUC), "Maximize");
    }

    #[test]
    fn a_stored_job_describes_itself() {
        let job = JobInfo {
            name: "j-1".into(),
            dataset_id: "0123456789abcdef".into(),
            dataset_name: Some("d.csv".into()),
            target: "y".into(),
            algorithms: vec!["gbdt".into()],
            status: "Completed".into(),
            secondary_status: "MaxCandidatesReached".into(),
            progress: 1.0,
            failure_reason: None,
            resolved: Some(resolved(Metric::MSE)),
            best: Some(glassbox_app::model::CandidateInfo {
                result: result("cand-001-gbdt-dpp0", CandidateStatus::Completed, Some(1.0)),
                created_at: "t".into(),
            }),
            candidate_count: 3,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-01T00:01:00.000Z".into(),
            ended_at: Some("2026-01-01T00:01:00.000Z".into()),
            elapsed_seconds: 60.0,
            input: serde_json::json!([{"DataSource": {"DatasetId": "0123456789abcdef"}}]),
            candidates_only: false,
            requested_mode: None,
            training: None,
            owner: Some(1),
            created_by: Some("ann".into()),
        };
        let d = describe_job(&job);
        assert_eq!(d["AutoMLJobArn"], "arn:glassbox:local:automl-job/j-1");
        assert_eq!(d["ProblemType"], "Regression");
        assert_eq!(d["AutoMLJobObjective"]["MetricName"], "MSE");
        assert_eq!(d["CreatedBy"], "ann");
        assert_eq!(d["AutoMLJobConfig"]["Mode"], "ENSEMBLING");
        assert_eq!(
            d["ResolvedAttributes"]["CompletionCriteria"]["MaxCandidates"],
            5
        );
        assert_eq!(d["BestCandidate"]["CandidateName"], "cand-001-gbdt-dpp0");
        assert_eq!(d["CandidateCount"], 3);
        assert_eq!(d["ElapsedSeconds"], 60.0);
        let s = job_summary(&job);
        assert_eq!(s["BestCandidateName"], "cand-001-gbdt-dpp0");
    }
}
