//! `JobSpec`: CreateAutoMLJob's choices as plain data, the defaults for what a caller
//! leaves out, and every check that needs no data. Edges (CLI flags, REST bodies, the
//! new-job form) only translate their input into a `JobSpec`; this module is where a job's
//! rules live. Errors name a [`Field`], which each edge maps to its own words.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::automl::learners::{Algorithm, ALL_ALGORITHMS};
use crate::automl::metrics::Metric;
use crate::data::{ProblemType, TypeOverrides};
use crate::error::{EngineError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Mode {
    #[default]
    Auto,
    Ensembling,
    HyperparameterTuning,
}

pub const ALL_MODES: [Mode; 3] = [Mode::Auto, Mode::Ensembling, Mode::HyperparameterTuning];

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        match s.trim().to_ascii_uppercase().replace('-', "_").as_str() {
            "AUTO" => Some(Mode::Auto),
            "ENSEMBLING" => Some(Mode::Ensembling),
            "HYPERPARAMETER_TUNING" | "HPO" => Some(Mode::HyperparameterTuning),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Auto => "AUTO",
            Mode::Ensembling => "ENSEMBLING",
            Mode::HyperparameterTuning => "HYPERPARAMETER_TUNING",
        }
    }
}

/// The fields of a job spec, as the engine's errors name them
/// (`EngineError::Invalid { field }` holds [`Field::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Target,
    ProblemType,
    Metric,
    Mode,
    MaxCandidates,
    MaxRuntimePerCandidate,
    MaxJobRuntime,
    ValidationFraction,
    Algorithms,
    Features,
    FeatureTypes,
    PositiveClass,
    /// The data itself (too few labelled rows, no usable column, …).
    Data,
}

impl Field {
    pub const ALL: [Field; 13] = [
        Field::Target,
        Field::ProblemType,
        Field::Metric,
        Field::Mode,
        Field::MaxCandidates,
        Field::MaxRuntimePerCandidate,
        Field::MaxJobRuntime,
        Field::ValidationFraction,
        Field::Algorithms,
        Field::Features,
        Field::FeatureTypes,
        Field::PositiveClass,
        Field::Data,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Target => "target",
            Field::ProblemType => "problem_type",
            Field::Metric => "metric",
            Field::Mode => "mode",
            Field::MaxCandidates => "max_candidates",
            Field::MaxRuntimePerCandidate => "max_runtime_per_candidate",
            Field::MaxJobRuntime => "max_job_runtime",
            Field::ValidationFraction => "validation_fraction",
            Field::Algorithms => "algorithms",
            Field::Features => "features",
            Field::FeatureTypes => "feature_types",
            Field::PositiveClass => "positive_class",
            Field::Data => "data",
        }
    }

    pub fn parse(s: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// An `EngineError::Invalid` naming `field`.
pub fn invalid(field: Field, message: impl Into<String>) -> EngineError {
    EngineError::invalid(field.as_str(), message)
}

/// The longest runtime limit accepted: 30 days, Autopilot's own maximum.
pub const MAX_RUNTIME_SECONDS: f64 = 30.0 * 24.0 * 3600.0;
/// Without a runtime limit, a job stops after this many candidates.
pub const DEFAULT_MAX_CANDIDATES: usize = 40;
/// With only a runtime limit, the most candidates a job makes: Autopilot's default.
pub const MAX_CANDIDATES_LIMIT: usize = 250;
/// The runtime limit the new-job form suggests.
pub const SUGGESTED_JOB_RUNTIME_SECONDS: f64 = 300.0;
/// Of the runtime limit, the part kept back for writing the outputs.
const OUTPUT_RESERVE_SECONDS: f64 = 0.3;

/// CreateAutoMLJob's fields, as plain data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobSpec {
    pub target: String,
    pub problem_type: Option<ProblemType>,
    pub metric: Option<Metric>,
    pub mode: Mode,
    pub max_candidates: Option<usize>,
    pub max_runtime_per_candidate: Option<f64>,
    pub max_job_runtime: Option<f64>,
    pub validation_fraction: f64,
    pub algorithms: Option<Vec<Algorithm>>,
    pub features: Option<Vec<String>>,
    pub type_overrides: TypeOverrides,
    pub candidates_only: bool,
    pub seed: u64,
    /// The class F1, Precision and Recall are computed for (binary classification);
    /// the minority class when not given.
    #[serde(default)]
    pub positive_class: Option<String>,
}

impl JobSpec {
    /// A job on `target` with every default.
    pub fn new(target: impl Into<String>) -> Self {
        JobSpec {
            target: target.into(),
            problem_type: None,
            metric: None,
            mode: Mode::Auto,
            max_candidates: None,
            max_runtime_per_candidate: None,
            max_job_runtime: None,
            validation_fraction: 0.2,
            algorithms: None,
            features: None,
            type_overrides: TypeOverrides::new(),
            candidates_only: false,
            seed: 0,
            positive_class: None,
        }
    }

    /// The algorithms the job may use.
    pub fn algorithms(&self) -> Vec<Algorithm> {
        self.algorithms
            .clone()
            .unwrap_or_else(|| ALL_ALGORITHMS.to_vec())
    }

    /// Checks that need no data: budgets, fractions, lists, and whether the metric fits
    /// the problem type (when both are given).
    pub fn validate(&self) -> Result<()> {
        if self.target.trim().is_empty() {
            return Err(invalid(Field::Target, "name the target column"));
        }
        if let Some(0) = self.max_candidates {
            return Err(invalid(Field::MaxCandidates, "must be at least 1"));
        }
        for (field, v) in [
            (
                Field::MaxRuntimePerCandidate,
                self.max_runtime_per_candidate,
            ),
            (Field::MaxJobRuntime, self.max_job_runtime),
        ] {
            if let Some(v) = v {
                if !(v.is_finite() && v > 0.0 && v <= MAX_RUNTIME_SECONDS) {
                    return Err(invalid(
                        field,
                        format!(
                            "must be a positive number of seconds up to {MAX_RUNTIME_SECONDS} (30 days), not {v}"
                        ),
                    ));
                }
            }
        }
        if !(self.validation_fraction > 0.0 && self.validation_fraction < 1.0) {
            return Err(invalid(
                Field::ValidationFraction,
                format!(
                    "must be between 0 and 1 (exclusive), not {}",
                    self.validation_fraction
                ),
            ));
        }
        if self.algorithms.as_ref().is_some_and(|a| a.is_empty()) {
            return Err(invalid(Field::Algorithms, "name at least one algorithm"));
        }
        if let (Some(m), Some(p)) = (self.metric, self.problem_type) {
            m.check_fits(p).map_err(|e| invalid(Field::Metric, e))?;
        }
        Ok(())
    }

    /// Checks against the data's column names: the target, the features and the type
    /// overrides name columns that exist, and the target is no feature.
    pub fn validate_columns(&self, columns: &[String], file: &str) -> Result<()> {
        let has = |n: &String| columns.contains(n);
        if !has(&self.target) {
            return Err(invalid(
                Field::Target,
                format!("{file}: no column named {:?}", self.target),
            ));
        }
        for n in self.features.iter().flatten() {
            if !has(n) {
                return Err(invalid(
                    Field::Features,
                    format!("{file}: no column named {n:?}"),
                ));
            }
            if *n == self.target {
                return Err(invalid(
                    Field::Features,
                    format!("{n:?} is the target; it cannot also be a feature"),
                ));
            }
        }
        for col in self.type_overrides.keys() {
            if !has(col) {
                return Err(invalid(
                    Field::FeatureTypes,
                    format!("{file}: no column named {col:?}"),
                ));
            }
        }
        Ok(())
    }

    /// The hard wall of a job started at `started`: the runtime limit covers the whole
    /// job, reading and profiling included, with a moment kept back for the outputs.
    pub fn deadline(&self, started: Instant) -> Option<Instant> {
        self.max_job_runtime
            .map(|s| started + Duration::from_secs_f64((s - OUTPUT_RESERVE_SECONDS).max(0.1)))
    }

    /// The candidate cap in force: the one asked for; without a runtime limit,
    /// [`DEFAULT_MAX_CANDIDATES`]; with only a runtime limit, one that grows with the
    /// data: a quarter of the training rows, between 40 and 250. On tiny data each
    /// candidate takes milliseconds, and hundreds of them would add files, not quality.
    pub fn candidate_cap(&self, training_rows: usize) -> usize {
        match (self.max_candidates, self.max_job_runtime) {
            (Some(n), _) => n,
            (None, None) => DEFAULT_MAX_CANDIDATES,
            (None, Some(_)) => {
                (training_rows / 4).clamp(DEFAULT_MAX_CANDIDATES, MAX_CANDIDATES_LIMIT)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(r: Result<()>) -> String {
        match r {
            Err(EngineError::Invalid { field, .. }) => field,
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn the_candidate_cap_grows_with_the_data() {
        let mut s = JobSpec::new("y");
        assert_eq!(
            s.candidate_cap(120),
            DEFAULT_MAX_CANDIDATES,
            "no limit at all"
        );
        s.max_job_runtime = Some(20.0);
        assert_eq!(s.candidate_cap(120), 40, "tiny data: the floor");
        assert_eq!(s.candidate_cap(400), 100);
        assert_eq!(s.candidate_cap(50_000), MAX_CANDIDATES_LIMIT);
        s.max_candidates = Some(7);
        assert_eq!(s.candidate_cap(50_000), 7, "what was asked for");
    }

    #[test]
    fn every_check_names_its_field() {
        let base = JobSpec::new("y");
        assert!(base.validate().is_ok());
        type Mutation = Box<dyn Fn(&mut JobSpec)>;
        let cases: Vec<(Mutation, Field)> = vec![
            (
                Box::new(|s| s.max_candidates = Some(0)),
                Field::MaxCandidates,
            ),
            (
                Box::new(|s| s.max_job_runtime = Some(0.0)),
                Field::MaxJobRuntime,
            ),
            (
                Box::new(|s| s.max_job_runtime = Some(1e19)),
                Field::MaxJobRuntime,
            ),
            (
                Box::new(|s| s.max_runtime_per_candidate = Some(f64::NAN)),
                Field::MaxRuntimePerCandidate,
            ),
            (
                Box::new(|s| s.validation_fraction = 1.0),
                Field::ValidationFraction,
            ),
            (Box::new(|s| s.algorithms = Some(vec![])), Field::Algorithms),
            (
                Box::new(|s| {
                    s.problem_type = Some(ProblemType::Regression);
                    s.metric = Some(Metric::F1);
                }),
                Field::Metric,
            ),
            (
                Box::new(|s| {
                    s.problem_type = Some(ProblemType::MulticlassClassification);
                    s.metric = Some(Metric::Precision);
                }),
                Field::Metric,
            ),
            (Box::new(|s| s.target = " ".into()), Field::Target),
        ];
        for (mutate, field) in cases {
            let mut s = base.clone();
            mutate(&mut s);
            assert_eq!(field_of(s.validate()), field.as_str());
        }
    }

    #[test]
    fn columns_are_checked_against_the_data() {
        let cols: Vec<String> = ["a", "b", "y"].map(String::from).to_vec();
        let mut s = JobSpec::new("y");
        assert!(s.validate_columns(&cols, "f.csv").is_ok());
        s.features = Some(vec!["a".into(), "zz".into()]);
        assert_eq!(field_of(s.validate_columns(&cols, "f.csv")), "features");
        s.features = Some(vec!["y".into()]);
        assert_eq!(field_of(s.validate_columns(&cols, "f.csv")), "features");
        s.features = None;
        s.type_overrides
            .insert("q".into(), crate::data::ColumnKind::Text);
        assert_eq!(
            field_of(s.validate_columns(&cols, "f.csv")),
            "feature_types"
        );
        assert_eq!(
            field_of(JobSpec::new("x").validate_columns(&cols, "f.csv")),
            "target"
        );
    }

    #[test]
    fn the_metric_rule_suggests_the_macro_variant() {
        let e = Metric::Recall
            .check_fits(ProblemType::MulticlassClassification)
            .unwrap_err();
        assert!(e.contains("RecallMacro"), "{e}");
        assert!(Metric::AUC
            .check_fits(ProblemType::MulticlassClassification)
            .is_ok());
    }

    #[test]
    fn fields_round_trip_through_their_names() {
        for f in Field::ALL {
            assert_eq!(Field::parse(f.as_str()), Some(f));
        }
    }
}
