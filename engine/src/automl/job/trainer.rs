//! One candidate trained on every fold: the pipelines fitted per fold (cached and shared
//! by every candidate on that pipeline), the learner on a worker thread that is abandoned
//! at the deadline, the out-of-fold predictions, the metrics and the feature importance.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::importance;
use super::prepare::Prepared;
use super::spec::JobSpec;
use super::types::{CandidateDefinition, CandidateResult, CandidateStatus, MetricValue};
use crate::automl::features::{FittedPipeline, Interrupted, Pipeline, TargetOrder};
use crate::automl::learners::{
    check_time, sample_weights, Algorithm, AnyModel, Deadline, FitError, HyperParams, Learner,
    Task, TrainData,
};
use crate::automl::matrix::Encoded;
use crate::automl::metrics::{compute, Metric, Predictions, Truth};
use crate::automl::model::{CandidateModel, FoldModel, MODEL_FORMAT};
use crate::common::Rng;
use crate::data::{Column, Table};

/// Transformed fold data for one pipeline, shared by every candidate on it; compact, and
/// spelled out into a matrix by the candidate training on it, one fold at a time (except
/// for learners whose folds train side by side).
struct FoldData {
    pipeline: FittedPipeline,
    train: Encoded,
    valid: Encoded,
    y_train: Vec<f64>,
    y_valid: Vec<f64>,
}

pub(super) struct Trainer<'a> {
    table: &'a Table,
    pub(super) prep: &'a Prepared,
    pub(super) spec: &'a JobSpec,
    cache: HashMap<Pipeline, Arc<Vec<FoldData>>>,
    /// Every validation row (out-of-fold with k-fold), in the order predictions use.
    pub(super) valid_rows: Vec<usize>,
    /// Position of a row in `valid_rows`.
    valid_pos: HashMap<usize, usize>,
    /// The seconds the last candidate would have taken to train on every fold, when its
    /// progress showed it would not finish in time and it was stopped there.
    pub(super) projected_seconds: Option<f64>,
}

/// A candidate whose progress projects its training past the time it has by this factor
/// is stopped there: had it run on, the limit would have cut it off anyway, and the time
/// left goes to the next candidate (adult, 60 s: an MLP of unknown cost started with 15 s
/// left and was cut off at the wall after 25 of its 31 epochs).
const PROJECTION_SLACK: f64 = 1.2;

/// The share of a candidate's work that must be done before its time is projected from it.
const PROJECT_FROM: f64 = 0.1;

/// The most bytes the spelled-out matrices (training and validation rows, dense `f64`) of
/// the folds training side by side may take together; past it, a learner's folds train one
/// after another. On the clothing reviews a linear model's fold is 18,788 rows × 2,030
/// columns (1,000 TF-IDF terms per text column), 305 MB: two side by side took the job's
/// peak to 807 MB, one at a time to 650 MB.
const SIDE_BY_SIDE_BYTES: usize = 384 << 20;

/// Whether `algo`'s folds train side by side on `data` (`Algorithm::folds_side_by_side`,
/// within `SIDE_BY_SIDE_BYTES`).
fn side_by_side(algo: Algorithm, data: &[FoldData]) -> bool {
    let at_once = rayon::current_num_threads().min(data.len());
    let bytes = |f: &FoldData| (f.train.rows + f.valid.rows) * f.train.cols() * 8;
    algo.folds_side_by_side()
        && at_once * data.iter().map(bytes).max().unwrap_or(0) <= SIDE_BY_SIDE_BYTES
}

/// Seconds to train every fold, `spent` seconds in, from each fold's thousandths done
/// (a finished fold's are 1000); `None` until `PROJECT_FROM` of the work is done.
fn projected_total(spent: f64, progress: &[AtomicU32]) -> Option<f64> {
    let done: u32 = progress.iter().map(|p| p.load(Ordering::Relaxed)).sum();
    let share = f64::from(done) / (1000.0 * progress.len().max(1) as f64);
    (share >= PROJECT_FROM).then(|| spent / share)
}

pub(super) fn truth_of<'a>(prep: &Prepared, y: &'a [usize], yv: &'a [f64]) -> Truth<'a> {
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

impl<'a> Trainer<'a> {
    pub(super) fn new(table: &'a Table, prep: &'a Prepared, spec: &'a JobSpec) -> Self {
        let valid_rows = prep.split.validation_rows();
        let valid_pos = valid_rows
            .iter()
            .enumerate()
            .map(|(i, &r)| (r, i))
            .collect();
        Trainer {
            table,
            prep,
            spec,
            cache: HashMap::new(),
            valid_rows,
            valid_pos,
            projected_seconds: None,
        }
    }

    /// The folds' feature matrices for `pipeline`, made once and shared by every
    /// candidate on it. Text featurisation takes time that grows with the cells' length,
    /// so it gives up when `interrupted` says so.
    fn fold_data(
        &mut self,
        pipeline: Pipeline,
        interrupted: &dyn Fn() -> bool,
    ) -> Result<Arc<Vec<FoldData>>, Interrupted> {
        if let Some(d) = self.cache.get(&pipeline) {
            return Ok(d.clone());
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
        let mut data: Vec<FoldData> = Vec::with_capacity(self.prep.split.folds.len());
        for (tr, va) in &self.prep.split.folds {
            let order = TargetOrder::new(
                &self.prep.y,
                tr,
                matches!(self.prep.task, Task::Classification { .. }),
            );
            let p = FittedPipeline::fit_until(
                spec,
                &self.prep.resolved.features,
                &cols,
                tr,
                Some(&order),
                interrupted,
            )?;
            data.push(FoldData {
                train: p.encode_fitted_until(&cols, tr, interrupted)?,
                valid: p.encode_until(&cols, va, interrupted)?,
                y_train: tr.iter().map(|&r| self.prep.y[r]).collect(),
                y_valid: va.iter().map(|&r| self.prep.y[r]).collect(),
                pipeline: p,
            });
        }
        let d = Arc::new(data);
        self.cache.insert(pipeline, d.clone());
        Ok(d)
    }

    /// Train a candidate on every fold; `None` when the wall came first.
    pub(super) fn train(
        &mut self,
        def: &CandidateDefinition,
        deadline: Option<Instant>,
        stop: &dyn Fn() -> bool,
        fraction: f64,
    ) -> (CandidateResult, Option<(CandidateModel, Predictions)>) {
        let started = Instant::now();
        self.projected_seconds = None;
        let mut result = CandidateResult {
            name: def.name.clone(),
            algorithm: Some(def.algorithm),
            pipeline: Some(def.pipeline),
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
        let params = match HyperParams::read(def.algorithm, &def.hyperparameters) {
            Ok(p) => p,
            Err(e) => {
                result.status = CandidateStatus::Failed;
                result.failure_reason = Some(e);
                return (result, None);
            }
        };
        let interrupted = || deadline.is_some_and(|d| Instant::now() > d) || stop();
        let data = match self.fold_data(def.pipeline, &interrupted) {
            Ok(d) => d,
            Err(Interrupted) => {
                result.status = CandidateStatus::Stopped;
                result.failure_reason = Some(format!(
                    "stopped by the time limit while its features ({}) were being made",
                    def.pipeline
                ));
                result.train_seconds = started.elapsed().as_secs_f64();
                return (result, None);
            }
        };
        let (tx, rx) = mpsc::channel();
        let (task, seed, algo) = (self.prep.task, self.spec.seed, def.algorithm);
        let worker_data = data.clone();
        let side_by_side = side_by_side(def.algorithm, &data);
        // Thousandths done per fold: learners that know their work report as they go, and
        // a fold that ends is done.
        let progress: Arc<Vec<AtomicU32>> =
            Arc::new((0..data.len()).map(|_| AtomicU32::new(0)).collect());
        let worker_progress = progress.clone();
        // Set when the candidate is abandoned: its folds stop at their next look.
        let cancel = Arc::new(AtomicBool::new(false));
        let worker_cancel = cancel.clone();
        let training_started = Instant::now();
        std::thread::spawn(move || {
            let fit_fold =
                |(i, f): (usize, &FoldData)| -> std::result::Result<(AnyModel, Predictions), FitError> {
                    let deadline = Deadline {
                        at: deadline,
                        cancelled: Some(&worker_cancel),
                        progress: Some(&worker_progress[i]),
                    };
                    check_time(deadline, || "abandoned before this fold began".into())?;
                    let (train, valid) = (f.train.to_matrix(), f.valid.to_matrix());
                    // Lower fidelity (successive halving): a seeded share of the training rows.
                    let subset = (fraction < 1.0).then(|| {
                        let n = train.rows;
                        let mut idx: Vec<usize> = (0..n).collect();
                        let mut rng = Rng::new(seed ^ 0xF1DE);
                        for i in (1..n).rev() {
                            idx.swap(i, rng.below(i + 1));
                        }
                        idx.truncate(((n as f64 * fraction).ceil() as usize).max(2).min(n));
                        idx.sort_unstable();
                        (
                            train.select_rows(&idx),
                            idx.iter().map(|&i| f.y_train[i]).collect::<Vec<f64>>(),
                        )
                    });
                    let (x, y) = match &subset {
                        Some((x, y)) => (x, y.as_slice()),
                        None => (&train, f.y_train.as_slice()),
                    };
                    let w = sample_weights(params.class_weight(), task, y);
                    let categories = f.pipeline.category_code_columns();
                    let mut m = AnyModel::new(&params, task, x.cols);
                    m.fit(&TrainData {
                        x,
                        y,
                        weights: &w,
                        eval: Some((&valid, &f.y_valid)),
                        categories: &categories,
                        deadline,
                        seed,
                    })?;
                    let p = m.predict(&valid);
                    let finite = match &p {
                        Predictions::Proba { p, .. } | Predictions::Values(p) => {
                            p.iter().all(|v| v.is_finite())
                        }
                    };
                    if !finite {
                        return Err(
                            "the model diverged: its predictions are not finite numbers".into()
                        );
                    }
                    worker_progress[i].store(1000, Ordering::Relaxed);
                    Ok((m, p))
                };
            let fit_all = || -> std::result::Result<Vec<(AnyModel, Predictions)>, FitError> {
                if side_by_side {
                    worker_data.par_iter().enumerate().map(fit_fold).collect()
                } else {
                    worker_data.iter().enumerate().map(fit_fold).collect()
                }
            };
            // A learner's panic is a bug, but it fails this candidate, never the job.
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(fit_all))
                .unwrap_or_else(|panic| {
                    let what = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    Err(FitError::Failed(format!(
                        "internal error while training {}: {what}",
                        algo.as_str()
                    )))
                });
            let _ = tx.send(out);
        });
        // Wait for the worker, looking up every 200 ms: past the deadline, or when a stop
        // is requested, the candidate is abandoned (`None`); so it is once the progress of a
        // learner that reports it shows that it would not finish in time
        // (`PROJECTION_SLACK`).
        let outcome = loop {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(r) => break Some(r),
                Err(mpsc::RecvTimeoutError::Disconnected) => break None,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let late =
                        deadline.is_some_and(|d| Instant::now() > d + Duration::from_millis(200));
                    if late || stop() {
                        cancel.store(true, Ordering::Relaxed);
                        break None;
                    }
                    let spent = training_started.elapsed().as_secs_f64();
                    let projection = deadline
                        .filter(|_| algo.reports_progress())
                        .zip(projected_total(spent, &progress));
                    if let Some((d, total)) = projection {
                        let available = d.saturating_duration_since(training_started);
                        if total > PROJECTION_SLACK * available.as_secs_f64() {
                            cancel.store(true, Ordering::Relaxed);
                            self.projected_seconds =
                                Some(total + (training_started - started).as_secs_f64());
                            result.status = CandidateStatus::Stopped;
                            result.failure_reason = Some(format!(
                                "stopped early: {:.0}% of its training took {spent:.1} s, so \
                                 all of it would take about {total:.0} s, past its time limit \
                                 ({:.0} s)",
                                100.0 * spent / total,
                                available.as_secs_f64()
                            ));
                            result.train_seconds = started.elapsed().as_secs_f64();
                            return (result, None);
                        }
                    }
                }
            }
        };
        let fitted = match outcome {
            Some(Ok(f)) => f,
            Some(Err(FitError::Failed(e))) => {
                result.status = CandidateStatus::Failed;
                result.failure_reason = Some(e);
                result.train_seconds = started.elapsed().as_secs_f64();
                return (result, None);
            }
            // Training ended early: the model is not the one the definition describes, so
            // it is no candidate (the notebook could not reproduce it).
            Some(Err(FitError::OutOfTime(progress))) => {
                result.status = CandidateStatus::Stopped;
                result.failure_reason = Some(format!(
                    "stopped by the time limit before it finished training ({progress})"
                ));
                result.train_seconds = started.elapsed().as_secs_f64();
                return (result, None);
            }
            None => {
                result.status = CandidateStatus::Stopped;
                let seconds = started.elapsed().as_secs_f64();
                result.failure_reason = Some(if stop() {
                    format!("stopped on request after {seconds:.1} s, before it finished training")
                } else {
                    format!("stopped by the time limit after {seconds:.1} s, before it finished training")
                });
                result.train_seconds = started.elapsed().as_secs_f64();
                return (result, None);
            }
        };
        result.train_seconds = started.elapsed().as_secs_f64();
        // Out-of-fold (or holdout) predictions in `valid_rows` order.
        let parts: Vec<Predictions> = fitted.iter().map(|(_, p)| p.clone()).collect();
        let oof = self.assemble(&parts);
        self.score(&mut result, &oof);
        let imp = importance::by_input_column(
            data.iter()
                .zip(&fitted)
                .map(|(f, (m, _))| (&f.pipeline, m, &f.valid)),
        );
        result.feature_importance = imp;
        let model = CandidateModel {
            format: MODEL_FORMAT,
            name: def.name.clone(),
            problem_type: self.prep.resolved.problem_type,
            target: self.spec.target.clone(),
            classes: self.prep.resolved.classes.clone(),
            positive_class: self.prep.resolved.positive_class.clone(),
            features: self.prep.resolved.features.clone(),
            input_columns: self.prep.resolved.input_columns.clone(),
            algorithm: Some(def.algorithm),
            pipeline: Some(def.pipeline),
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

    pub(super) fn score(&self, result: &mut CandidateResult, oof: &Predictions) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn folds(thousandths: &[u32]) -> Vec<AtomicU32> {
        thousandths.iter().map(|&t| AtomicU32::new(t)).collect()
    }

    #[test]
    fn a_candidates_time_is_projected_from_its_progress() {
        // One fold at a time: the first of five took 2 s.
        assert_eq!(
            projected_total(2.0, &folds(&[1000, 0, 0, 0, 0])),
            Some(10.0)
        );
        // Two side by side, each half done after 3 s.
        assert_eq!(
            projected_total(3.0, &folds(&[500, 500, 0, 0, 0])),
            Some(15.0)
        );
        // Too little done to say.
        assert_eq!(projected_total(1.0, &folds(&[400, 0, 0, 0, 0])), None);
    }
}
