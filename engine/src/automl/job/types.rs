//! What a job produces: statuses, candidate definitions and results, the resolved
//! settings and the outcome; and the observer hooks its caller gets.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::spec::Mode;
use crate::automl::features::{FeatureColumn, Pipeline, PipelineSpec};
use crate::automl::learners::{Algorithm, Params, Range};
use crate::automl::metrics::{Metric, Predictions};
use crate::automl::model::CandidateModel;
use crate::automl::split::Split;
use crate::data::ProblemType;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SecondaryStatus {
    Starting,
    AnalyzingData,
    FeatureEngineering,
    ModelTuning,
    /// A candidate's SHAP values are being computed (training goes on after).
    GeneratingExplainabilityReport,
    /// A candidate's quality report and `report.html` are being written.
    GeneratingModelInsightsReport,
    CandidateDefinitionsGenerated,
    /// The candidate cap ended the job.
    CandidateLimitReached,
    /// The runtime limit ended the job.
    RuntimeLimitReached,
    Completed,
    Stopped,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CandidateStatus {
    Completed,
    Failed,
    Stopped,
}

impl CandidateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CandidateStatus::Completed => "Completed",
            CandidateStatus::Failed => "Failed",
            CandidateStatus::Stopped => "Stopped",
        }
    }
}

/// A candidate before training: pipeline × algorithm × hyperparameters (and the ranges
/// its search draws from).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CandidateDefinition {
    pub name: String,
    pub algorithm: Algorithm,
    pub pipeline: Pipeline,
    /// The complete, resolved set (see `learners::params`).
    pub hyperparameters: Params,
    pub ranges: BTreeMap<String, Range>,
}

/// The number in a candidate's name (`cand-012-gbdt-dpp0` → 12), if it has one: new
/// candidates, the ensemble included, are numbered after every name so far.
pub(super) fn number_of(name: &str) -> Option<usize> {
    name.strip_prefix("cand-")?.split('-').next()?.parse().ok()
}

/// The number after every one of `names` and after `count` (names without a number
/// still count), so a definition that never trained keeps its number to itself.
pub(super) fn next_number<'a>(names: impl Iterator<Item = &'a str>, count: usize) -> usize {
    names.filter_map(number_of).max().unwrap_or(0).max(count) + 1
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MetricValue {
    pub metric: Metric,
    pub value: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CandidateResult {
    pub name: String,
    /// `None` for an ensemble.
    pub algorithm: Option<Algorithm>,
    /// `None` for an ensemble (each member has its own).
    #[serde(deserialize_with = "crate::automl::features::pipeline_or_none")]
    pub pipeline: Option<Pipeline>,
    pub hyperparameters: Params,
    pub status: CandidateStatus,
    pub failure_reason: Option<String>,
    /// The objective metric on the validation rows (out-of-fold with k-fold).
    pub objective: Option<f64>,
    pub metrics: Vec<MetricValue>,
    pub train_seconds: f64,
    /// Ensemble members and weights.
    pub members: Vec<(String, f64)>,
    /// Whether another library reproduces the model exactly (else within a tolerance).
    pub deterministic: bool,
    /// Importance per input column, largest first (normalised to sum to 1).
    pub feature_importance: Vec<(String, f64)>,
}

impl CandidateResult {
    /// The algorithm's name, or `ensemble`.
    pub fn algorithm_name(&self) -> &'static str {
        self.algorithm.map_or("ensemble", |a| a.as_str())
    }

    /// The feature pipeline's name, or `per member` for an ensemble.
    pub fn pipeline_name(&self) -> &'static str {
        self.pipeline.map_or("per member", |p| p.as_str())
    }

    /// A metric's value, when the candidate reports it.
    pub fn metric(&self, m: Metric) -> Option<f64> {
        self.metrics.iter().find(|v| v.metric == m).map(|v| v.value)
    }

    /// The ranking rule: larger is better, whichever direction `metric` goes; candidates
    /// that did not complete with a value rank last.
    pub fn rank_score(&self, metric: Metric) -> f64 {
        self.objective
            .filter(|_| self.status == CandidateStatus::Completed)
            .map_or(f64::NEG_INFINITY, |v| metric.score(v))
    }
}

/// Best first by `metric`, ties by name.
pub fn rank(candidates: &mut [CandidateResult], metric: Metric) {
    candidates.sort_by(|a, b| {
        b.rank_score(metric)
            .total_cmp(&a.rank_score(metric))
            .then(a.name.cmp(&b.name))
    });
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resolved {
    pub problem_type: ProblemType,
    pub problem_type_reason: String,
    pub metric: Metric,
    pub mode: Mode,
    pub max_candidates: Option<usize>,
    pub max_runtime_per_candidate: Option<f64>,
    pub max_job_runtime: Option<f64>,
    pub classes: Vec<String>,
    /// The class F1, Precision and Recall are computed for (the minority class).
    pub positive_class: Option<String>,
    pub features: Vec<FeatureColumn>,
    /// Every column of the training data but the target, in file order: the rows an
    /// Autopilot-style client sends (ids and constant columns included, then ignored).
    #[serde(default)]
    pub input_columns: Vec<String>,
    pub validation: String,
    pub pipelines: Vec<PipelineSpec>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct JobOutcome {
    pub resolved: Resolved,
    pub split: Split,
    /// Best first.
    pub candidates: Vec<CandidateResult>,
    pub definitions: Vec<CandidateDefinition>,
    pub best: Option<String>,
    pub secondary_status: SecondaryStatus,
    pub elapsed_seconds: f64,
    /// Successive-halving trials on part of the training rows (HPO mode); they are not
    /// candidates.
    pub low_fidelity_trials: usize,
}

/// Hooks for the caller: save candidates as they finish, report progress, ask to stop.
pub trait JobObserver {
    fn on_status(&mut self, _status: SecondaryStatus, _progress: f64) {}
    /// A definition starts training: on all the training rows (`fraction` 1), or on a
    /// fraction of them as a successive-halving trial that is not itself a candidate.
    fn on_training(&mut self, _def: &CandidateDefinition, _fraction: f64) {}
    /// Every candidate as it ends: with its model and its validation predictions (in
    /// `split.validation_rows()` order) when it completed, without when it failed or was
    /// stopped. An ensemble's model names its members (`Member::Named`), candidates this
    /// observer was given before: it resolves them (`CandidateModel::resolve_members`) to
    /// predict with it.
    fn on_candidate(
        &mut self,
        _result: &CandidateResult,
        _fitted: Option<(&CandidateModel, &Predictions)>,
    ) {
    }
    fn stop_requested(&self) -> bool {
        false
    }
}

/// An observer that does nothing.
pub struct Quiet;
impl JobObserver for Quiet {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_candidates_are_numbered_after_every_name() {
        assert_eq!(number_of("cand-012-gbdt-dpp0"), Some(12));
        assert_eq!(number_of("cand-007-ensemble"), Some(7));
        assert_eq!(number_of("my-model"), None);
        // Ten trained, the definition numbered 11 among them; 10 defined but never trained.
        let names = [
            "cand-001-gbdt-dpp0",
            "cand-010-linear-dpp1",
            "cand-011-mlp-dpp1",
        ];
        assert_eq!(next_number(names.into_iter(), 10), 12);
        // Names without numbers (chosen by hand) still count.
        assert_eq!(next_number(["mine", "theirs"].into_iter(), 2), 3);
        assert_eq!(next_number(std::iter::empty(), 0), 1);
    }
}
