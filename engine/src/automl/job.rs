//! The AutoML job: from a typed table and a job spec (CreateAutoMLJob's fields) to
//! ranked, trained candidates.
//!
//! 1. Analyse: problem type, objective metric, feature columns, validation split
//!    (stratified k-fold below 50,000 rows — 5 folds up to 5,000 rows, else 3 — otherwise a
//!    stratified holdout of `validation_fraction`, or the rows of a validation file).
//! 2. Candidates: a portfolio of known-good configurations first, then a search: an
//!    epsilon-greedy bandit over (algorithm, pipeline) arms gives more trials to the best
//!    arm. Its hyperparameters come from a Tree-structured Parzen Estimator once the arm has
//!    six trials (candidates drawn around the best quarter, the one maximising l(x)/g(x)
//!    kept); before that, from a local perturbation of the arm's best or a random draw.
//!    Gradient boosting early-stops on validation rounds; every learner stops at its
//!    per-candidate deadline.
//! 3. Ensembling mode (AUTO below 100 MB): greedy ensemble selection over the candidates'
//!    out-of-fold predictions; the ensemble is a candidate like any other.
//!
//! The job's runtime limit is a hard wall: each candidate trains on a worker thread, and a
//! candidate still training when the wall comes is abandoned (recorded as Stopped). The
//! same seed and data give the same leaderboard when no time limit cuts the search short.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ensemble;
use super::features::{FeatureColumn, FittedPipeline, PipelineSpec, TargetOrder};
use super::learners::{
    portfolio, sample_weights, search_space, Algorithm, AnyModel, Learner, Params, Range, Task,
    TrainData, ALL_ALGORITHMS,
};
use super::matrix::Matrix;
use super::metrics::{compute, Metric, Predictions, Truth};
use super::model::{CandidateModel, FoldModel, MODEL_FORMAT};
use super::split::{self, Split};
use crate::data::{
    infer_problem_type, Column, ColumnKind, ProblemType, Table, TypeOverrides, Values,
};
use crate::error::{EngineError, Result};
use crate::profile::{target_values, Rng, TargetValues};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Mode {
    #[default]
    Auto,
    Ensembling,
    HyperparameterTuning,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        match s.trim().to_ascii_uppercase().replace('-', "_").as_str() {
            "AUTO" => Some(Mode::Auto),
            "ENSEMBLING" => Some(Mode::Ensembling),
            "HYPERPARAMETER_TUNING" | "HPO" => Some(Mode::HyperparameterTuning),
            _ => None,
        }
    }
}

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
}

impl JobSpec {
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
        }
    }

    /// Checks that need no data: budgets and fractions.
    pub fn validate(&self) -> Result<()> {
        if let Some(0) = self.max_candidates {
            return Err(EngineError::invalid("max-candidates", "must be at least 1"));
        }
        for (field, v) in [
            ("max-runtime-per-candidate", self.max_runtime_per_candidate),
            ("max-job-runtime", self.max_job_runtime),
        ] {
            if let Some(v) = v {
                if !(v.is_finite() && v > 0.0) {
                    return Err(EngineError::invalid(
                        field,
                        format!("must be a positive number of seconds, not {v}"),
                    ));
                }
            }
        }
        if !(self.validation_fraction > 0.0 && self.validation_fraction < 1.0) {
            return Err(EngineError::invalid(
                "validation-fraction",
                format!(
                    "must be between 0 and 1 (exclusive), not {}",
                    self.validation_fraction
                ),
            ));
        }
        if self.algorithms.as_ref().is_some_and(|a| a.is_empty()) {
            return Err(EngineError::invalid(
                "algorithms",
                "name at least one algorithm",
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SecondaryStatus {
    Starting,
    AnalyzingData,
    FeatureEngineering,
    ModelTuning,
    CandidateDefinitionsGenerated,
    MaxCandidatesReached,
    MaxAutoMLJobRuntimeReached,
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

/// A candidate before training: pipeline × algorithm × hyperparameters (and the ranges
/// its search draws from).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CandidateDefinition {
    pub name: String,
    pub algorithm: Algorithm,
    pub pipeline: String,
    pub hyperparameters: Params,
    pub ranges: BTreeMap<String, Range>,
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
    pub pipeline: String,
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
    fn on_candidate(&mut self, _result: &CandidateResult, _model: &CandidateModel) {}
    fn stop_requested(&self) -> bool {
        false
    }
}

/// An observer that does nothing.
pub struct Quiet;
impl JobObserver for Quiet {}

/// Everything derived from the data before any training.
pub struct Prepared {
    pub resolved: Resolved,
    pub task: Task,
    /// Class id or value per row of the table (NaN where the target is missing).
    pub y: Vec<f64>,
    pub split: Split,
    pub feature_index: Vec<usize>,
}

fn class_counts(y: &[f64], rows: &[usize], k: usize) -> Vec<usize> {
    let mut c = vec![0; k];
    rows.iter().for_each(|&r| c[y[r] as usize] += 1);
    c
}

/// Analyse the data for a job. `validation_rows`: rows that came from a validation file.
pub fn prepare(
    table: &Table,
    spec: &JobSpec,
    validation_rows: Option<&[usize]>,
) -> Result<Prepared> {
    spec.validate()?;
    let file = &table.file_name;
    let ti = table.column_index(&spec.target).ok_or_else(|| {
        EngineError::invalid(
            "target",
            format!("{file}: no column named {:?}", spec.target),
        )
    })?;
    let target = &table.columns[ti];
    let labelled = target.values.len() - target.missing;
    if (1..10).contains(&labelled) {
        return Err(EngineError::invalid(
            "data",
            format!("{file}: {labelled} row(s) with a target value; Glassbox needs at least 10"),
        ));
    }
    let inferred = infer_problem_type(target)?;
    let problem = match spec.problem_type {
        None => inferred.problem_type,
        Some(p) => {
            let ok = match (p, &target.values) {
                (ProblemType::Regression, Values::Numeric(_)) => true,
                (ProblemType::Regression, _) => false,
                (ProblemType::BinaryClassification, _) => {
                    inferred.problem_type == ProblemType::BinaryClassification
                }
                (ProblemType::MulticlassClassification, _) => true,
            };
            if !ok {
                return Err(EngineError::invalid(
                    "problem-type",
                    format!(
                        "{} does not fit target {:?}: {}",
                        p.as_str(),
                        spec.target,
                        inferred.reason
                    ),
                ));
            }
            p
        }
    };
    let metric = spec.metric.unwrap_or_else(|| Metric::default_for(problem));
    if problem.is_classification() != metric.for_classification() {
        return Err(EngineError::invalid(
            "metric",
            format!(
                "{} is not a {} metric",
                metric.as_str(),
                if problem.is_classification() {
                    "classification"
                } else {
                    "regression"
                }
            ),
        ));
    }
    if problem == ProblemType::MulticlassClassification && metric.binary_only() {
        return Err(EngineError::invalid(
            "metric",
            format!(
                "{} is for binary classification; use {}macro",
                metric.as_str(),
                metric.as_str()
            ),
        ));
    }

    let (tv, classes) = target_values(target, problem);
    let (y, task): (Vec<f64>, Task) = match tv {
        TargetValues::Classes { ids, n_classes } => (
            ids.iter()
                .map(|c| c.map_or(f64::NAN, |c| c as f64))
                .collect(),
            Task::Classification { n_classes },
        ),
        TargetValues::Numbers(v) => (
            v.iter().map(|x| x.unwrap_or(f64::NAN)).collect(),
            Task::Regression,
        ),
    };

    // Features: every column but the target, ids and constants, or the ones asked for.
    let mut feature_index = Vec::new();
    match &spec.features {
        Some(names) => {
            for n in names {
                let i = table.column_index(n).ok_or_else(|| {
                    EngineError::invalid("features", format!("{file}: no column named {n:?}"))
                })?;
                if i == ti {
                    return Err(EngineError::invalid(
                        "features",
                        format!("{n:?} is the target; it cannot also be a feature"),
                    ));
                }
                feature_index.push(i);
            }
        }
        None => feature_index.extend((0..table.columns.len()).filter(|&i| i != ti)),
    }
    for &i in &feature_index {
        let c = &table.columns[i];
        if c.missing == c.values.len() {
            return Err(EngineError::Data {
                location: crate::error::Location {
                    file: file.clone(),
                    line: None,
                    column: Some(c.name.clone()),
                },
                message: "every value of this feature is missing; leave it out with --features"
                    .into(),
            });
        }
    }
    feature_index
        .retain(|&i| !matches!(table.columns[i].kind, ColumnKind::Id | ColumnKind::Constant));
    if feature_index.is_empty() {
        return Err(EngineError::invalid(
            "features",
            format!("{file}: no usable feature columns (ids and constant columns are left out)"),
        ));
    }
    let features: Vec<FeatureColumn> = feature_index
        .iter()
        .map(|&i| {
            let c = &table.columns[i];
            FeatureColumn {
                name: c.name.clone(),
                kind: c.kind,
                date_format: match &c.values {
                    Values::Datetime { format, .. } => Some(format.clone()),
                    _ => None,
                },
            }
        })
        .collect();

    // Rows with a target; validation-file rows apart.
    let is_valid_file = {
        let mut v = vec![false; table.n_rows()];
        validation_rows
            .unwrap_or(&[])
            .iter()
            .for_each(|&r| v[r] = true);
        v
    };
    let rows: Vec<usize> = (0..table.n_rows())
        .filter(|&r| !y[r].is_nan() && !is_valid_file[r])
        .collect();
    if rows.len() < 10 {
        return Err(EngineError::invalid(
            "data",
            format!(
                "{file}: {} row(s) with a target value; Glassbox needs at least 10",
                rows.len()
            ),
        ));
    }
    let (positive_class, stratum_k) = match task {
        Task::Classification { n_classes } => {
            let counts = class_counts(&y, &rows, n_classes);
            if let Some(c) = counts.iter().position(|&c| c < 2) {
                return Err(EngineError::invalid(
                    "target",
                    format!(
                        "class {:?} has {} row(s); every class needs at least 2",
                        classes[c], counts[c]
                    ),
                ));
            }
            let minority = (0..n_classes).rev().min_by_key(|&c| counts[c]).unwrap();
            (Some(classes[minority].clone()), n_classes)
        }
        Task::Regression => (None, 1),
    };
    let stratum = |r: usize| if stratum_k > 1 { y[r] as usize } else { 0 };
    let split = match validation_rows {
        Some(v) if !v.is_empty() => {
            let vr: Vec<usize> = v.iter().copied().filter(|&r| !y[r].is_nan()).collect();
            Split {
                method: "validation file".into(),
                folds: vec![(rows.clone(), vr)],
            }
        }
        _ if rows.len() < 50_000 => split::kfold(
            &rows,
            if rows.len() <= 5_000 { 5 } else { 3 },
            &stratum,
            spec.seed,
        ),
        _ => split::holdout(&rows, spec.validation_fraction, &stratum, spec.seed),
    };
    let mode = match spec.mode {
        Mode::Auto if table.n_rows() * table.columns.len() * 8 < 100_000_000 => Mode::Ensembling,
        Mode::Auto => Mode::HyperparameterTuning,
        m => m,
    };
    let max_candidates = spec.max_candidates.or(if spec.max_job_runtime.is_none() {
        Some(40)
    } else {
        None
    });
    let n_train = split.folds[0].0.len();
    Ok(Prepared {
        resolved: Resolved {
            problem_type: problem,
            problem_type_reason: if spec.problem_type.is_some() {
                "set by the user".into()
            } else {
                inferred.reason
            },
            metric,
            mode,
            max_candidates,
            max_runtime_per_candidate: spec.max_runtime_per_candidate,
            max_job_runtime: spec.max_job_runtime,
            classes,
            positive_class,
            features,
            validation: split.method.clone(),
            pipelines: PipelineSpec::standard(n_train),
        },
        task,
        y,
        split,
        feature_index,
    })
}

/// Transformed fold data for one pipeline, shared by every candidate on it.
struct FoldData {
    pipeline: FittedPipeline,
    train: Matrix,
    valid: Matrix,
    y_train: Vec<f64>,
    y_valid: Vec<f64>,
}

struct Search<'a> {
    table: &'a Table,
    prep: &'a Prepared,
    spec: &'a JobSpec,
    cache: HashMap<String, Arc<Vec<FoldData>>>,
    valid_rows: Vec<usize>,
    /// Position of a row in `valid_rows`.
    valid_pos: HashMap<usize, usize>,
}

fn truth_of<'a>(prep: &Prepared, y: &'a [usize], yv: &'a [f64]) -> Truth<'a> {
    match prep.task {
        Task::Classification { n_classes } => {
            let positive = prep
                .resolved
                .positive_class
                .as_ref()
                .and_then(|p| prep.resolved.classes.iter().position(|c| c == p))
                .unwrap_or(0);
            Truth::Classes {
                y,
                k: n_classes,
                positive,
            }
        }
        Task::Regression => Truth::Values(yv),
    }
}

impl Search<'_> {
    fn fold_data(&mut self, pipeline: &str) -> Arc<Vec<FoldData>> {
        if let Some(d) = self.cache.get(pipeline) {
            return d.clone();
        }
        let spec = self
            .prep
            .resolved
            .pipelines
            .iter()
            .find(|p| p.name == pipeline)
            .expect("known pipeline");
        let cols: Vec<&Column> = self
            .prep
            .feature_index
            .iter()
            .map(|&i| &self.table.columns[i])
            .collect();
        let data: Vec<FoldData> = self
            .prep
            .split
            .folds
            .iter()
            .map(|(tr, va)| {
                let order = TargetOrder::new(
                    &self.prep.y,
                    tr,
                    matches!(self.prep.task, Task::Classification { .. }),
                );
                let p = FittedPipeline::fit(
                    spec,
                    &self.prep.resolved.features,
                    &cols,
                    tr,
                    Some(&order),
                );
                FoldData {
                    train: p.transform(&cols, tr),
                    valid: p.transform(&cols, va),
                    y_train: tr.iter().map(|&r| self.prep.y[r]).collect(),
                    y_valid: va.iter().map(|&r| self.prep.y[r]).collect(),
                    pipeline: p,
                }
            })
            .collect();
        let d = Arc::new(data);
        self.cache.insert(pipeline.to_string(), d.clone());
        d
    }

    /// Train a candidate on every fold; `None` when the wall came first.
    fn train(
        &mut self,
        def: &CandidateDefinition,
        deadline: Option<Instant>,
        stop: &dyn Fn() -> bool,
        fraction: f64,
    ) -> (CandidateResult, Option<(CandidateModel, Predictions)>) {
        let started = Instant::now();
        let data = self.fold_data(&def.pipeline);
        let (tx, rx) = mpsc::channel();
        let (algo, task, params, seed) = (
            def.algorithm,
            self.prep.task,
            def.hyperparameters.clone(),
            self.spec.seed,
        );
        let worker_data = data.clone();
        std::thread::spawn(move || {
            let out: std::result::Result<Vec<(AnyModel, Predictions)>, String> = worker_data
                .iter()
                .map(|f| {
                    // Lower fidelity (successive halving): a seeded share of the training rows.
                    let subset = (fraction < 1.0).then(|| {
                        let n = f.train.rows;
                        let mut idx: Vec<usize> = (0..n).collect();
                        let mut rng = Rng::new(seed ^ 0xF1DE);
                        for i in (1..n).rev() {
                            idx.swap(i, rng.below(i + 1));
                        }
                        idx.truncate(((n as f64 * fraction).ceil() as usize).max(2).min(n));
                        idx.sort_unstable();
                        (
                            f.train.select_rows(&idx),
                            idx.iter().map(|&i| f.y_train[i]).collect::<Vec<f64>>(),
                        )
                    });
                    let (x, y) = match &subset {
                        Some((x, y)) => (x, y.as_slice()),
                        None => (&f.train, f.y_train.as_slice()),
                    };
                    let w = sample_weights(&params, task, y);
                    let mut m = AnyModel::new(algo, task, &params, x.cols);
                    m.fit(&TrainData {
                        x,
                        y,
                        weights: &w,
                        eval: Some((&f.valid, &f.y_valid)),
                        deadline,
                        seed,
                    })?;
                    let p = m.predict(&f.valid);
                    let finite = match &p {
                        Predictions::Proba { p, .. } | Predictions::Values(p) => {
                            p.iter().all(|v| v.is_finite())
                        }
                    };
                    if !finite {
                        return Err("the model diverged: its predictions are not finite numbers"
                            .to_string());
                    }
                    Ok((m, p))
                })
                .collect();
            let _ = tx.send(out);
        });
        // Wait for the worker, looking up every 200 ms: past the deadline, or when a stop
        // is requested, the candidate is abandoned (`None`).
        let outcome = loop {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(r) => break Some(r),
                Err(mpsc::RecvTimeoutError::Disconnected) => break None,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let late =
                        deadline.is_some_and(|d| Instant::now() > d + Duration::from_millis(200));
                    if late || stop() {
                        break None;
                    }
                }
            }
        };
        let mut result = CandidateResult {
            name: def.name.clone(),
            algorithm: Some(def.algorithm),
            pipeline: def.pipeline.clone(),
            hyperparameters: def.hyperparameters.clone(),
            status: CandidateStatus::Completed,
            failure_reason: None,
            objective: None,
            metrics: vec![],
            train_seconds: 0.0,
            members: vec![],
            deterministic: def.algorithm.deterministic(),
            feature_importance: vec![],
        };
        let fitted = match outcome {
            Some(Ok(f)) => f,
            Some(Err(e)) => {
                result.status = CandidateStatus::Failed;
                result.failure_reason = Some(e);
                result.train_seconds = started.elapsed().as_secs_f64();
                return (result, None);
            }
            None => {
                result.status = CandidateStatus::Stopped;
                result.failure_reason = Some(
                    "stopped (runtime limit or stop request) before it finished training".into(),
                );
                result.train_seconds = started.elapsed().as_secs_f64();
                return (result, None);
            }
        };
        result.train_seconds = started.elapsed().as_secs_f64();
        // Out-of-fold (or holdout) predictions in `valid_rows` order.
        let parts: Vec<Predictions> = fitted.iter().map(|(_, p)| p.clone()).collect();
        let oof = self.assemble(&parts);
        self.score(&mut result, &oof);
        // Importance by input column.
        let mut imp: BTreeMap<String, f64> = BTreeMap::new();
        for (f, (m, _)) in data.iter().zip(&fitted) {
            for (src, v) in f
                .pipeline
                .output_sources()
                .into_iter()
                .zip(m.feature_importance())
            {
                *imp.entry(src).or_default() += v;
            }
        }
        let total: f64 = imp.values().sum();
        let mut imp: Vec<(String, f64)> = imp
            .into_iter()
            .map(|(k, v)| (k, if total > 0.0 { v / total } else { 0.0 }))
            .collect();
        imp.retain(|(_, v)| *v > 0.0);
        imp.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        result.feature_importance = imp;
        let model = CandidateModel {
            format: MODEL_FORMAT,
            name: def.name.clone(),
            problem_type: self.prep.resolved.problem_type,
            target: self.spec.target.clone(),
            classes: self.prep.resolved.classes.clone(),
            positive_class: self.prep.resolved.positive_class.clone(),
            features: self.prep.resolved.features.clone(),
            algorithm: Some(def.algorithm),
            pipeline: def.pipeline.clone(),
            hyperparameters: def.hyperparameters.clone(),
            folds: fitted
                .into_iter()
                .zip(data.iter())
                .map(|((model, _), f)| FoldModel {
                    pipeline: f.pipeline.clone(),
                    model,
                })
                .collect(),
            members: vec![],
        };
        (result, Some((model, oof)))
    }

    fn assemble(&self, parts: &[Predictions]) -> Predictions {
        let n = self.valid_rows.len();
        let mut out = match &parts[0] {
            Predictions::Proba { k, .. } => Predictions::Proba {
                p: vec![0.0; n * k],
                k: *k,
            },
            Predictions::Values(_) => Predictions::Values(vec![0.0; n]),
        };
        for ((_, va), part) in self.prep.split.folds.iter().zip(parts) {
            for (i, &r) in va.iter().enumerate() {
                let pos = self.valid_pos[&r];
                match (&mut out, part) {
                    (Predictions::Proba { p, k }, Predictions::Proba { p: src, .. }) => {
                        p[pos * *k..(pos + 1) * *k].copy_from_slice(&src[i * *k..(i + 1) * *k])
                    }
                    (Predictions::Values(v), Predictions::Values(src)) => v[pos] = src[i],
                    _ => {}
                }
            }
        }
        out
    }

    fn score(&self, result: &mut CandidateResult, oof: &Predictions) {
        let yv: Vec<f64> = self.valid_rows.iter().map(|&r| self.prep.y[r]).collect();
        let yc: Vec<usize> = yv.iter().map(|&v| v as usize).collect();
        let truth = truth_of(self.prep, &yc, &yv);
        result.metrics = Metric::report_set(self.prep.resolved.problem_type)
            .into_iter()
            .filter_map(|m| compute(m, &truth, oof).map(|value| MetricValue { metric: m, value }))
            .collect();
        result.objective = compute(self.prep.resolved.metric, &truth, oof);
        if result.objective.is_none() {
            result.status = CandidateStatus::Failed;
            result.failure_reason = Some(format!(
                "{} is undefined on the validation rows",
                self.prep.resolved.metric.as_str()
            ));
        }
    }
}

fn gaussian(rng: &mut Rng) -> f64 {
    let u1 = rng.next_f64().max(1e-12);
    let u2 = rng.next_f64();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn round_to(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits - 1 - v.abs().log10().floor() as i32);
    (v * f).round() / f
}

fn sample_param(range: &Range, around: Option<&Value>, rng: &mut Rng) -> Value {
    match range {
        Range::Float { low, high, log } => {
            let v = match (around.and_then(Value::as_f64), log) {
                (Some(c), true) => c * (0.5 * gaussian(rng)).exp(),
                (Some(c), false) => c + 0.15 * (high - low) * gaussian(rng),
                (None, true) => (low.ln() + rng.next_f64() * (high.ln() - low.ln())).exp(),
                (None, false) => low + rng.next_f64() * (high - low),
            };
            Value::from(round_to(v.clamp(*low, *high), 3))
        }
        Range::Int { low, high, log } => {
            let (lo, hi) = (*low as f64, *high as f64);
            let v = match (around.and_then(Value::as_f64), log) {
                (Some(c), true) => c * (0.5 * gaussian(rng)).exp(),
                (Some(c), false) => c + 0.15 * (hi - lo) * gaussian(rng),
                (None, true) => (lo.ln() + rng.next_f64() * (hi.ln() - lo.ln())).exp(),
                (None, false) => lo + rng.next_f64() * (hi - lo),
            };
            Value::from(v.round().clamp(lo, hi) as i64)
        }
        Range::Choice { values } => match around {
            Some(c) if values.contains(c) && rng.next_f64() > 0.2 => c.clone(),
            _ => values[rng.below(values.len())].clone(),
        },
    }
}

/// Whether kNN on this much data would take too long to be worth trying.
fn knn_too_large(n_train: usize, n_valid: usize, cols: usize) -> bool {
    (n_train as f64) * (n_valid as f64) * (cols.max(1) as f64) > 4e9
}

/// Run a job. With `spec.candidates_only`, stop after generating the definitions.
pub fn run_job(
    table: &Table,
    spec: &JobSpec,
    validation_rows: Option<&[usize]>,
    obs: &mut dyn JobObserver,
) -> Result<JobOutcome> {
    let started = Instant::now();
    obs.on_status(SecondaryStatus::AnalyzingData, 0.0);
    let prep = prepare(table, spec, validation_rows)?;
    let deadline = spec
        .max_job_runtime
        .map(|s| started + Duration::from_secs_f64(s));
    Ok(run_prepared(table, spec, &prep, None, deadline, obs))
}

/// Run an analysed job until `deadline`. `chosen`: train these definitions (after a
/// candidates-only job) instead of the portfolio, then search on only their algorithm ×
/// pipeline arms, drawing from their (possibly edited) ranges.
pub fn run_prepared(
    table: &Table,
    spec: &JobSpec,
    prep: &Prepared,
    chosen: Option<Vec<CandidateDefinition>>,
    deadline: Option<Instant>,
    obs: &mut dyn JobObserver,
) -> JobOutcome {
    let started = Instant::now();
    obs.on_status(SecondaryStatus::FeatureEngineering, 0.02);
    let restricted = chosen.is_some();
    let definitions = chosen.unwrap_or_else(|| {
        let algorithms: Vec<Algorithm> = spec
            .algorithms
            .clone()
            .unwrap_or_else(|| ALL_ALGORITHMS.to_vec());
        initial_definitions(prep, &algorithms)
    });
    let valid_rows = prep.split.validation_rows();
    let valid_pos = valid_rows
        .iter()
        .enumerate()
        .map(|(i, &r)| (r, i))
        .collect();
    let mut outcome = JobOutcome {
        resolved: prep.resolved.clone(),
        split: prep.split.clone(),
        candidates: vec![],
        definitions: definitions.clone(),
        best: None,
        secondary_status: SecondaryStatus::CandidateDefinitionsGenerated,
        elapsed_seconds: 0.0,
        low_fidelity_trials: 0,
    };
    if spec.candidates_only && !restricted {
        obs.on_status(SecondaryStatus::CandidateDefinitionsGenerated, 1.0);
        outcome.elapsed_seconds = started.elapsed().as_secs_f64();
        return outcome;
    }
    let mut search = Search {
        table,
        prep,
        spec,
        cache: HashMap::new(),
        valid_rows,
        valid_pos,
    };
    let (status, kept) = train_definitions(
        &mut search,
        definitions,
        restricted,
        deadline,
        started,
        obs,
        &mut outcome,
    );
    finish(&mut search, status, kept, started, obs, &mut outcome);
    outcome
}

/// The portfolio, interleaved across algorithms so the strongest come first.
fn initial_definitions(prep: &Prepared, algorithms: &[Algorithm]) -> Vec<CandidateDefinition> {
    let n_features = prep.resolved.features.len();
    let (n_train, n_valid) = (prep.split.folds[0].0.len(), prep.split.folds[0].1.len());
    let mut per_algo: Vec<VecDeque<(Algorithm, Params)>> = algorithms
        .iter()
        .filter(|&&a| a != Algorithm::Knn || !knn_too_large(n_train, n_valid, n_features * 4))
        .map(|&a| {
            portfolio(a, prep.task, n_features)
                .into_iter()
                .map(|p| (a, p))
                .collect()
        })
        .collect();
    let mut defs = Vec::new();
    let mut round = 0;
    while per_algo.iter().any(|q| !q.is_empty()) {
        for q in per_algo.iter_mut() {
            if let Some((a, p)) = q.pop_front() {
                let pipes = a.pipelines();
                let pipeline = pipes[round % pipes.len()].to_string();
                let name = format!("cand-{:03}-{}-{}", defs.len() + 1, a.as_str(), pipeline);
                defs.push(CandidateDefinition {
                    name,
                    algorithm: a,
                    pipeline,
                    hyperparameters: p,
                    ranges: search_space(a, prep.task),
                });
            }
        }
        round += 1;
    }
    defs
}

#[allow(clippy::too_many_arguments)]
fn train_definitions(
    search: &mut Search,
    definitions: Vec<CandidateDefinition>,
    restricted: bool,
    deadline: Option<Instant>,
    started: Instant,
    obs: &mut dyn JobObserver,
    outcome: &mut JobOutcome,
) -> (SecondaryStatus, Vec<Kept>) {
    let prep = search.prep;
    let metric = prep.resolved.metric;
    // The arms the search may draw from, with their ranges: every algorithm's pipelines
    // and standard ranges, or only the chosen definitions' arms with their own ranges.
    let space: Space = if restricted {
        definitions
            .iter()
            .map(|d| ((d.algorithm, d.pipeline.clone()), d.ranges.clone()))
            .collect()
    } else {
        definitions
            .iter()
            .map(|d| d.algorithm)
            .flat_map(|a| {
                a.pipelines()
                    .iter()
                    .map(move |p| ((a, p.to_string()), search_space(a, prep.task)))
            })
            .collect()
    };
    let mut queue: VecDeque<CandidateDefinition> = definitions.into();
    let mut rng = Rng::new(search.spec.seed ^ 0xA11CE);
    // Best score and params per (algorithm, pipeline) arm, and every trial for TPE.
    let mut arms: BTreeMap<(Algorithm, String), (f64, Params)> = BTreeMap::new();
    let mut history: Vec<Trial> = Vec::new();
    // Without a per-candidate limit, no candidate may take more than a quarter of the
    // job's budget, so one slow learner cannot starve the search.
    let per_candidate = prep
        .resolved
        .max_runtime_per_candidate
        .or(prep.resolved.max_job_runtime.map(|s| (s / 4.0).max(5.0)));
    let candidate_deadline = || match (deadline, per_candidate) {
        (Some(d), Some(s)) => Some(d.min(Instant::now() + Duration::from_secs_f64(s))),
        (Some(d), None) => Some(d),
        (None, Some(s)) => Some(Instant::now() + Duration::from_secs_f64(s)),
        (None, None) => None,
    };
    let hpo = prep.resolved.mode == Mode::HyperparameterTuning;
    let mut empty_brackets = 0;
    // The best models so far, with their validation predictions, for the ensemble.
    let mut kept: Vec<Kept> = Vec::new();
    // New candidates are numbered after every definition (chosen ones keep their names).
    let mut index = queue
        .iter()
        .filter_map(|d| {
            d.name
                .strip_prefix("cand-")?
                .split('-')
                .next()?
                .parse()
                .ok()
        })
        .max()
        .unwrap_or(0)
        .max(queue.len());
    obs.on_status(SecondaryStatus::ModelTuning, 0.05);
    loop {
        if obs.stop_requested() {
            return (SecondaryStatus::Stopped, kept);
        }
        if let Some(maxc) = prep.resolved.max_candidates {
            if outcome.candidates.len() >= maxc {
                return (SecondaryStatus::MaxCandidatesReached, kept);
            }
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return (SecondaryStatus::MaxAutoMLJobRuntimeReached, kept);
        }
        let def = match queue.pop_front() {
            Some(d) => d,
            None if hpo && !space.is_empty() && !arms.is_empty() => {
                // Successive halving: four proposals on 25% of the training rows, the
                // better half on 50%, the best on all rows as a real candidate.
                let mut bracket: Vec<CandidateDefinition> = (0..4)
                    .map(|_| {
                        index += 1;
                        propose(&arms, &history, &space, &mut rng, index)
                    })
                    .collect();
                for fraction in [0.25, 0.5] {
                    let mut scored: Vec<(f64, CandidateDefinition)> = Vec::new();
                    for def in bracket.drain(..) {
                        if obs.stop_requested() || deadline.is_some_and(|d| Instant::now() >= d) {
                            break;
                        }
                        let (r, _) = search.train(
                            &def,
                            candidate_deadline(),
                            &|| obs.stop_requested(),
                            fraction,
                        );
                        outcome.low_fidelity_trials += 1;
                        if let (Some(o), CandidateStatus::Completed) = (r.objective, r.status) {
                            scored.push((metric.score(o), def));
                        }
                    }
                    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
                    let keep = scored.len().div_ceil(2);
                    bracket = scored.into_iter().take(keep).map(|(_, d)| d).collect();
                }
                match bracket.into_iter().next() {
                    Some(d) => {
                        empty_brackets = 0;
                        d
                    }
                    // Nothing survived: time ran out (the limits end the search next time
                    // round) or every trial failed (three such brackets end it).
                    None => {
                        empty_brackets += 1;
                        if empty_brackets >= 3 {
                            return (SecondaryStatus::Completed, kept);
                        }
                        continue;
                    }
                }
            }
            None if !space.is_empty() && !arms.is_empty() => {
                index += 1;
                propose(&arms, &history, &space, &mut rng, index)
            }
            None => {
                return (SecondaryStatus::Completed, kept);
            }
        };
        let cand_deadline = candidate_deadline();
        let (result, fitted) = search.train(&def, cand_deadline, &|| obs.stop_requested(), 1.0);
        if let (Some(obj), Some((model, oof))) = (result.objective, fitted) {
            let score = metric.score(obj);
            let arm = arms
                .entry((def.algorithm, def.pipeline.clone()))
                .or_insert((f64::NEG_INFINITY, Params::new()));
            if score > arm.0 {
                *arm = (score, def.hyperparameters.clone());
            }
            history.push(Trial {
                algorithm: def.algorithm,
                pipeline: def.pipeline.clone(),
                params: def.hyperparameters.clone(),
                score,
            });
            obs.on_candidate(&result, &model);
            kept.push((model, oof, score));
            kept.sort_by(|a, b| b.2.total_cmp(&a.2));
            kept.truncate(10);
        }
        outcome.candidates.push(result);
        let progress = match (
            prep.resolved.max_candidates,
            deadline,
            prep.resolved.max_job_runtime,
        ) {
            (_, Some(_), Some(total)) => started.elapsed().as_secs_f64() / total,
            (Some(m), _, _) => outcome.candidates.len() as f64 / m as f64,
            _ => 0.5,
        };
        obs.on_status(
            SecondaryStatus::ModelTuning,
            (0.05 + 0.9 * progress).min(0.95),
        );
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return (SecondaryStatus::MaxAutoMLJobRuntimeReached, kept);
        }
    }
}

/// A finished candidate's model, its validation predictions and its score.
type Kept = (CandidateModel, Predictions, f64);

/// One finished trial of the search.
struct Trial {
    algorithm: Algorithm,
    pipeline: String,
    params: Params,
    score: f64,
}

/// A parameter on [0, 1] (log-scaled where the range is); `None` for choices.
fn to_unit(range: &Range, v: &Value) -> Option<f64> {
    let x = v.as_f64()?;
    let (lo, hi, log) = match range {
        Range::Float { low, high, log } => (*low, *high, *log),
        Range::Int { low, high, log } => (*low as f64, *high as f64, *log),
        Range::Choice { .. } => return None,
    };
    let u = if log {
        (x.max(lo).ln() - lo.ln()) / (hi.ln() - lo.ln())
    } else {
        (x - lo) / (hi - lo)
    };
    Some(u.clamp(0.0, 1.0))
}

fn from_unit(range: &Range, u: f64) -> Value {
    match range {
        Range::Float { low, high, log } => {
            let v = if *log {
                (low.ln() + u * (high.ln() - low.ln())).exp()
            } else {
                low + u * (high - low)
            };
            Value::from(round_to(v.clamp(*low, *high), 3))
        }
        Range::Int { low, high, log } => {
            let (lo, hi) = (*low as f64, *high as f64);
            let v = if *log {
                (lo.ln() + u * (hi.ln() - lo.ln())).exp()
            } else {
                lo + u * (hi - lo)
            };
            Value::from(v.round().clamp(lo, hi) as i64)
        }
        Range::Choice { values } => values[0].clone(),
    }
}

/// Tree-structured Parzen Estimator over one arm's trials: draw candidates around the best
/// quarter, keep the one with the highest ratio of good to bad density.
fn tpe(ranges: &BTreeMap<String, Range>, trials: &[&Trial], rng: &mut Rng) -> Params {
    const BW: f64 = 0.15;
    let mut sorted: Vec<&Trial> = trials.to_vec();
    sorted.sort_by(|a, b| b.score.total_cmp(&a.score));
    let n_good = sorted.len().div_ceil(4).max(1);
    let (good, bad) = sorted.split_at(n_good);
    let log_density = |set: &[&Trial], x: &Params| -> f64 {
        let mut total = 0.0;
        for (k, r) in ranges {
            let Some(xv) = x.get(k) else { continue };
            match (r, to_unit(r, xv)) {
                (Range::Choice { values }, _) => {
                    let hits = set.iter().filter(|t| t.params.get(k) == Some(xv)).count() as f64;
                    total += ((hits + 1.0) / (set.len() as f64 + values.len() as f64)).ln();
                }
                (_, Some(u)) => {
                    let d: f64 = set
                        .iter()
                        .filter_map(|t| t.params.get(k).and_then(|v| to_unit(r, v)))
                        .map(|c| (-0.5 * ((u - c) / BW).powi(2)).exp())
                        .sum::<f64>()
                        / set.len().max(1) as f64;
                    total += (d + 1e-12).ln();
                }
                _ => {}
            }
        }
        total
    };
    let mut best: Option<(f64, Params)> = None;
    for _ in 0..24 {
        let centre = &good[rng.below(good.len())].params;
        let cand: Params = ranges
            .iter()
            .map(|(k, r)| {
                let v = match (r, centre.get(k).and_then(|v| to_unit(r, v))) {
                    (Range::Choice { values }, _) => match centre.get(k) {
                        Some(c) if rng.next_f64() < 0.8 => c.clone(),
                        _ => values[rng.below(values.len())].clone(),
                    },
                    (_, Some(u)) => from_unit(r, (u + BW * gaussian(rng)).clamp(0.0, 1.0)),
                    (_, None) => sample_param(r, None, rng),
                };
                (k.clone(), v)
            })
            .collect();
        let bad_density = if bad.is_empty() {
            0.0
        } else {
            log_density(bad, &cand)
        };
        let score = log_density(good, &cand) - bad_density;
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, cand));
        }
    }
    best.map(|b| b.1).unwrap_or_default()
}

/// Search ranges per (algorithm, pipeline) arm.
type Space = BTreeMap<(Algorithm, String), BTreeMap<String, Range>>;

fn propose(
    arms: &BTreeMap<(Algorithm, String), (f64, Params)>,
    history: &[Trial],
    space: &Space,
    rng: &mut Rng,
    index: usize,
) -> CandidateDefinition {
    let best_arm = arms
        .iter()
        .max_by(|a, b| a.1 .0.total_cmp(&b.1 .0))
        .map(|(k, _)| k.clone());
    let (algorithm, pipeline) = match best_arm {
        Some(arm) if rng.next_f64() > 0.25 && space.contains_key(&arm) => arm,
        _ => space
            .keys()
            .nth(rng.below(space.len()))
            .cloned()
            .expect("a non-empty search space"),
    };
    let ranges = space[&(algorithm, pipeline.clone())].clone();
    let trials: Vec<&Trial> = history
        .iter()
        .filter(|t| t.algorithm == algorithm && t.pipeline == pipeline)
        .collect();
    let hyperparameters: Params = if trials.len() >= 6 {
        tpe(&ranges, &trials, rng)
    } else {
        let around = arms
            .get(&(algorithm, pipeline.clone()))
            .map(|a| &a.1)
            .filter(|_| rng.next_f64() < 0.5);
        ranges
            .iter()
            .map(|(k, r)| {
                (
                    k.clone(),
                    sample_param(r, around.and_then(|p| p.get(k)), rng),
                )
            })
            .collect()
    };
    CandidateDefinition {
        name: format!("cand-{index:03}-{}-{pipeline}", algorithm.as_str()),
        algorithm,
        pipeline,
        hyperparameters,
        ranges,
    }
}

fn finish(
    search: &mut Search,
    status: SecondaryStatus,
    kept: Vec<Kept>,
    started: Instant,
    obs: &mut dyn JobObserver,
    outcome: &mut JobOutcome,
) {
    let prep = search.prep;
    if prep.resolved.mode == Mode::Ensembling
        && status != SecondaryStatus::Stopped
        && kept.len() >= 2
    {
        let ens_started = Instant::now();
        let yv: Vec<f64> = search.valid_rows.iter().map(|&r| prep.y[r]).collect();
        let yc: Vec<usize> = yv.iter().map(|&v| v as usize).collect();
        let truth = truth_of(prep, &yc, &yv);
        let preds: Vec<&Predictions> = kept.iter().map(|k| &k.1).collect();
        if let Some(counts) = ensemble::caruana(&preds, &truth, prep.resolved.metric, 25) {
            let blended = ensemble::weighted(&preds, &counts);
            let total: usize = counts.iter().sum();
            let name = format!("cand-{:03}-ensemble", outcome.candidates.len() + 1);
            let mut result = CandidateResult {
                name: name.clone(),
                algorithm: None,
                pipeline: "per member".into(),
                hyperparameters: Params::new(),
                status: CandidateStatus::Completed,
                failure_reason: None,
                objective: None,
                metrics: vec![],
                train_seconds: ens_started.elapsed().as_secs_f64(),
                members: vec![],
                deterministic: false,
                feature_importance: vec![],
            };
            search.score(&mut result, &blended);
            let mut members = Vec::new();
            for ((model, _, _), c) in kept.into_iter().zip(&counts) {
                if *c > 0 {
                    let w = *c as f64 / total as f64;
                    result.members.push((model.name.clone(), w));
                    members.push((w, model));
                }
            }
            result.deterministic = members.iter().all(|(_, m): &(f64, CandidateModel)| {
                m.algorithm.is_some_and(|a| a.deterministic())
            });
            result.hyperparameters.insert(
                "members".into(),
                Value::from(
                    result
                        .members
                        .iter()
                        .map(|(n, w)| serde_json::json!({"name": n, "weight": w}))
                        .collect::<Vec<_>>(),
                ),
            );
            let model = CandidateModel {
                format: MODEL_FORMAT,
                name,
                problem_type: prep.resolved.problem_type,
                target: search.spec.target.clone(),
                classes: prep.resolved.classes.clone(),
                positive_class: prep.resolved.positive_class.clone(),
                features: prep.resolved.features.clone(),
                algorithm: None,
                pipeline: "per member".into(),
                hyperparameters: result.hyperparameters.clone(),
                folds: vec![],
                members,
            };
            if result.objective.is_some() {
                obs.on_candidate(&result, &model);
                outcome.candidates.push(result);
            }
        }
    }
    let metric = prep.resolved.metric;
    outcome.candidates.sort_by(|a, b| {
        let sa = a
            .objective
            .filter(|_| a.status == CandidateStatus::Completed)
            .map_or(f64::NEG_INFINITY, |v| metric.score(v));
        let sb = b
            .objective
            .filter(|_| b.status == CandidateStatus::Completed)
            .map_or(f64::NEG_INFINITY, |v| metric.score(v));
        sb.total_cmp(&sa).then(a.name.cmp(&b.name))
    });
    outcome.best = outcome
        .candidates
        .first()
        .filter(|c| c.status == CandidateStatus::Completed && c.objective.is_some())
        .map(|c| c.name.clone());
    outcome.secondary_status = status;
    outcome.elapsed_seconds = started.elapsed().as_secs_f64();
    obs.on_status(status, 1.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tpe_concentrates_on_the_good_region() {
        let mut ranges = BTreeMap::new();
        ranges.insert(
            "x".to_string(),
            Range::Float {
                low: 0.0,
                high: 1.0,
                log: false,
            },
        );
        let trials: Vec<Trial> = (0..20)
            .map(|i| {
                let x = 0.025 + i as f64 * 0.05;
                let mut params = Params::new();
                params.insert("x".into(), Value::from(x));
                Trial {
                    algorithm: Algorithm::Gbdt,
                    pipeline: "dpp0".into(),
                    params,
                    score: -(x - 0.8) * (x - 0.8),
                }
            })
            .collect();
        let refs: Vec<&Trial> = trials.iter().collect();
        let mut rng = Rng::new(3);
        let xs: Vec<f64> = (0..50)
            .map(|_| tpe(&ranges, &refs, &mut rng)["x"].as_f64().unwrap())
            .collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!(
            (mean - 0.8).abs() < 0.1,
            "proposals centre on 0.8, got mean {mean}"
        );
        assert!(xs.iter().all(|x| (0.0..=1.0).contains(x)));
    }
}
