//! Gradient-boosted trees from forust-ml 0.8 (XGBoost-style, histogram based, native
//! missing values). Binary: one LogLoss booster. Multiclass: one LogLoss booster per class
//! (one-vs-rest), probabilities normalised to sum to one. Regression: SquaredLoss.
//! With an evaluation set, training stops after 50 rounds without improvement.

use std::collections::HashSet;
use std::sync::OnceLock;

use forust_ml::gradientbooster::{GrowPolicy, ImportanceMethod, MissingNodeTreatment};
use forust_ml::objective::ObjectiveType;
use forust_ml::sampler::SampleMethod;
use forust_ml::{GradientBooster, Matrix as FMatrix};
use serde::{Deserialize, Serialize};

use super::category_splits::CategorySplits;
use super::flat_booster::FlatBooster;
use super::params::GbdtParams;
use super::{binary_proba, check_time, sigmoid, FitError, Learner, Task, TrainData};
use crate::automl::matrix::Matrix;
use crate::automl::metrics::Predictions;

/// Rows from which a prediction is spread over threads.
const PARALLEL_ROWS: usize = 256;

#[derive(Serialize, Deserialize)]
pub struct GbdtModel {
    pub task: Task,
    pub params: GbdtParams,
    /// One booster (binary, regression) or one per class, in forust's own serde form:
    /// stored compactly (`booster_format`). `None` for a class absent from the training rows
    /// (a fold can lack a rare class): its probability is zero.
    #[serde(with = "super::booster_format::gbdt_boosters")]
    pub boosters: Vec<Option<GradientBooster>>,
    pub n_features: usize,
    /// The boosters laid out for predicting, made at the first prediction: `None` for one
    /// forust predicts itself (`FlatBooster::of`).
    #[serde(skip)]
    flat: OnceLock<Vec<Option<FlatBooster>>>,
}

impl std::fmt::Debug for GbdtModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GbdtModel")
            .field("task", &self.task)
            .field("params", &self.params)
            .field("boosters", &self.boosters.len())
            .finish()
    }
}

impl GbdtModel {
    pub fn new(task: Task, params: GbdtParams) -> Self {
        GbdtModel {
            task,
            params,
            boosters: vec![],
            n_features: 0,
            flat: OnceLock::new(),
        }
    }

    fn booster(
        &self,
        objective: ObjectiveType,
        seed: u64,
        early_stopping: bool,
    ) -> Result<GradientBooster, String> {
        let p = &self.params;
        GradientBooster::new(
            objective,
            p.iterations,
            p.learning_rate as f32,
            p.max_depth,
            usize::MAX,
            0.0,
            p.l2 as f32,
            0.0,
            0.0,
            p.min_leaf_weight as f32,
            0.5,
            256,
            true,
            true,
            None,
            p.subsample as f32,
            0.2,
            0.1,
            p.colsample_bytree,
            seed,
            f64::NAN,
            false,
            if p.subsample < 1.0 {
                SampleMethod::Random
            } else {
                SampleMethod::None
            },
            GrowPolicy::DepthWise,
            None,
            early_stopping.then_some(50),
            true,
            HashSet::new(),
            MissingNodeTreatment::AssignToParent,
            0,
            false,
        )
        .map_err(|e| format!("forust: {e}"))
    }
}

#[cfg(test)]
impl GbdtModel {
    /// A regression booster trained as a job trains one fold: every row weighing 1, no
    /// deadline, no early stopping (for tests of what is done with a trained booster).
    pub(crate) fn trained(params: GbdtParams, x: &Matrix, y: &[f64], seed: u64) -> GbdtModel {
        let mut model = GbdtModel::new(Task::Regression, params);
        model
            .fit(&TrainData {
                x,
                y,
                weights: &vec![1.0; x.rows],
                eval: None,
                categories: &[],
                deadline: Default::default(),
                seed,
            })
            .expect("a booster trains");
        model
    }
}

impl Learner for GbdtModel {
    fn fit(&mut self, d: &TrainData) -> Result<(), FitError> {
        self.n_features = d.x.cols;
        self.flat = OnceLock::new();
        let x = FMatrix::new(&d.x.data, d.x.rows, d.x.cols);
        let eval = d
            .eval
            .map(|(m, y)| (FMatrix::new(&m.data, m.rows, m.cols), y));
        let fit_one = |objective: ObjectiveType,
                       y: &[f64],
                       ey: Option<Vec<f64>>|
         -> Result<GradientBooster, FitError> {
            let mut b = self.booster(objective, d.seed, eval.is_some())?;
            let ew;
            let eval_data = match (&eval, &ey) {
                (Some((m, _)), Some(ey)) => {
                    ew = vec![1.0; ey.len()];
                    Some(vec![(
                        FMatrix::new(m.data, m.rows, m.cols),
                        ey.as_slice(),
                        ew.as_slice(),
                    )])
                }
                _ => None,
            };
            b.fit(&x, y, d.weights, eval_data)
                .map_err(|e| FitError::Failed(format!("forust: {e}")))?;
            // The per-round metric log is not needed to predict, and can hold NaN, which
            // JSON cannot carry.
            b.evaluation_history = None;
            Ok(b)
        };
        self.boosters = match self.task {
            Task::Regression => vec![Some(fit_one(
                ObjectiveType::SquaredLoss,
                d.y,
                eval.as_ref().map(|e| e.1.to_vec()),
            )?)],
            Task::Classification { n_classes: 2 } => {
                vec![Some(fit_one(
                    ObjectiveType::LogLoss,
                    d.y,
                    eval.as_ref().map(|e| e.1.to_vec()),
                )?)]
            }
            Task::Classification { n_classes } => (0..n_classes)
                .map(|c| {
                    let yc: Vec<f64> = d.y.iter().map(|&v| f64::from(v as usize == c)).collect();
                    let ey = eval
                        .as_ref()
                        .map(|e| e.1.iter().map(|&v| f64::from(v as usize == c)).collect());
                    check_time(d.deadline, || {
                        format!(
                            "trained {c} of {n_classes} one-vs-rest boosters before the deadline"
                        )
                    })?;
                    if !yc.contains(&1.0) {
                        return Ok(None);
                    }
                    fit_one(ObjectiveType::LogLoss, &yc, ey).map(Some)
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(())
    }

    fn predict(&self, m: &Matrix) -> Predictions {
        predict_boosters(self.task, &self.boosters, &[], &self.flat, m)
    }

    fn feature_importance(&self) -> Vec<f64> {
        let mut imp = vec![0.0; self.n_features];
        for b in self.boosters.iter().flatten() {
            for (f, v) in b.calculate_feature_importance(ImportanceMethod::TotalGain, false) {
                if f < imp.len() {
                    imp[f] += v as f64;
                }
            }
        }
        imp
    }
}

/// What boosters predict: one raw score per booster (a class absent from training scores
/// -inf, probability 0), as values, a binary probability or normalised one-vs-rest
/// probabilities. `flat` holds the boosters laid out for predicting, made at the first call.
pub(super) fn predict_boosters(
    task: Task,
    boosters: &[Option<GradientBooster>],
    categories: &[CategorySplits],
    flat: &OnceLock<Vec<Option<FlatBooster>>>,
    m: &Matrix,
) -> Predictions {
    // Threads are worth it for batches, but for an endpoint's few rows the hand-offs
    // cost more than the trees. Either way each row's trees are summed in the same
    // order: the same numbers.
    let parallel = m.rows >= PARALLEL_ROWS;
    let flat = flat.get_or_init(|| {
        let none = CategorySplits::default();
        boosters
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let c = categories.get(i).unwrap_or(&none);
                b.as_ref().and_then(|b| FlatBooster::of(b, c))
            })
            .collect()
    });
    let raw: Vec<Vec<f64>> = boosters
        .iter()
        .zip(flat)
        .map(|(b, f)| match (b, f) {
            (_, Some(f)) => f.predict(m, parallel),
            (Some(b), None) => b.predict(&FMatrix::new(&m.data, m.rows, m.cols), parallel),
            (None, None) => vec![f64::NEG_INFINITY; m.rows],
        })
        .collect();
    match task {
        Task::Regression => Predictions::Values(raw.into_iter().next().unwrap_or_default()),
        Task::Classification { n_classes: 2 } => binary_proba(&raw[0]),
        Task::Classification { n_classes } => {
            let mut p = Vec::with_capacity(m.rows * n_classes);
            for i in 0..m.rows {
                let row: Vec<f64> = raw.iter().map(|r| sigmoid(r[i])).collect();
                let s: f64 = row.iter().sum();
                p.extend(row.iter().map(|v| v / s));
            }
            Predictions::Proba { p, k: n_classes }
        }
    }
}
