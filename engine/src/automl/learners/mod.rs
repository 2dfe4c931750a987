//! Learners behind one trait. Each fitted model is plain serde data, saved as JSON.
//!
//! | algorithm | implementation | scikit-learn / Python counterpart in the notebook |
//! |---|---|---|
//! | `gbdt` | forust-ml 0.8 (XGBoost-style histogram GBM; one booster per class for multiclass) | `forust.GradientBooster` 0.8, same core |
//! | `symmetric-gbdt` | own: symmetric (oblivious) trees, CatBoost's default shape, stored as forust prediction trees | `glassbox_helpers.SymmetricGbdt` (numpy, the same recipe) |
//! | `linear` | own: L2 logistic regression (L-BFGS); Ridge (Cholesky); Lasso / ElasticNet (coordinate descent) | `LogisticRegression`, `Ridge`, `Lasso`, `ElasticNet` |
//! | `random-forest` | own CART (255 quantile bins in large nodes, exact values in small ones), bootstrap | `RandomForestClassifier/Regressor` (randomized) |
//! | `extra-trees` | own CART, thresholds uniform between the node's extremes, no bootstrap | `ExtraTreesClassifier/Regressor` (randomized) |
//! | `knn` | own brute force, Euclidean | `KNeighborsClassifier/Regressor` |
//! | `mlp` | own: one ReLU hidden layer, Adam, scikit-learn's stopping rule | `MLPClassifier/Regressor` (randomized) |

pub mod booster_format;
pub mod category_splits;
mod compact_tree;
mod flat_booster;
mod forest;
mod forust_tree;
mod gbdt;
mod knn;
mod linear;
mod mlp;
pub mod packed;
pub mod params;
mod sparse;
mod symmetric;
#[cfg(test)]
pub(crate) use symmetric::tests as symmetric_tests;
mod symmetric_bins;
pub mod tree_format;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::features::Pipeline;
use super::matrix::Matrix;
use super::metrics::Predictions;
use category_splits::CategorySplits;

pub use compact_tree::{Node, NodeRef, Tree};
pub use forest::ForestModel;
pub use gbdt::GbdtModel;
pub use knn::KnnModel;
pub use linear::LinearModel;
pub use mlp::MlpModel;
pub use params::{resolve, ClassWeight, HyperParams};
pub use symmetric::SymmetricModel;

/// Hyperparameters by name, as they appear in the leaderboard and the notebook.
pub type Params = BTreeMap<String, Value>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Task {
    Classification { n_classes: usize },
    Regression,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Algorithm {
    Gbdt,
    SymmetricGbdt,
    Linear,
    RandomForest,
    ExtraTrees,
    Knn,
    Mlp,
}

pub const ALL_ALGORITHMS: [Algorithm; 7] = [
    Algorithm::Gbdt,
    Algorithm::SymmetricGbdt,
    Algorithm::Linear,
    Algorithm::RandomForest,
    Algorithm::ExtraTrees,
    Algorithm::Knn,
    Algorithm::Mlp,
];

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Gbdt => "gbdt",
            Algorithm::SymmetricGbdt => "symmetric-gbdt",
            Algorithm::Linear => "linear",
            Algorithm::RandomForest => "random-forest",
            Algorithm::ExtraTrees => "extra-trees",
            Algorithm::Knn => "knn",
            Algorithm::Mlp => "mlp",
        }
    }

    pub fn parse(s: &str) -> Option<Algorithm> {
        let s = s.trim().to_ascii_lowercase().replace('_', "-");
        let alias = match s.as_str() {
            "xgboost" | "lightgbm" | "gbm" | "gradient-boosting" => "gbdt",
            "catboost" | "symmetric-trees" | "oblivious-trees" => "symmetric-gbdt",
            "linear-learner" | "logistic" | "ridge" => "linear",
            "randomforest" | "rf" => "random-forest",
            "extratrees" | "et" => "extra-trees",
            "k-nearest-neighbors" | "kneighbors" => "knn",
            "neural-network" | "nn" | "mlp-classifier" | "mlp-regressor" => "mlp",
            other => other,
        };
        ALL_ALGORITHMS.iter().copied().find(|a| a.as_str() == alias)
    }

    /// Randomized learners give slightly different models in another library; the
    /// notebook reproduces them within a tolerance, the others exactly.
    pub fn deterministic(self) -> bool {
        matches!(
            self,
            Algorithm::Linear | Algorithm::Knn | Algorithm::Gbdt | Algorithm::SymmetricGbdt
        )
    }

    /// Whether its learner leaves cores idle while it trains (the MLP runs on one core; a
    /// linear model runs much of each step on one), so a candidate's folds train side by
    /// side, sharing rayon's pool with the learner's own parallel parts. The other learners
    /// spread one fold over every core themselves.
    pub fn folds_side_by_side(self) -> bool {
        matches!(self, Algorithm::Mlp | Algorithm::Linear)
    }

    /// Whether its learner's work is fixed by its hyperparameters and reported as it goes
    /// (`Deadline::report`: a forest's trees, an MLP's epochs, at most), so that the time
    /// of the whole can be projected from a part. A booster's is not: early stopping ends
    /// each fold at its own round (adult: a one-hot booster's first fold projected 18 s
    /// for a candidate that takes 10–12 s).
    pub fn reports_progress(self) -> bool {
        matches!(
            self,
            Algorithm::RandomForest | Algorithm::ExtraTrees | Algorithm::Mlp
        )
    }

    /// The pipeline this algorithm works best on.
    pub fn pipelines(self) -> &'static [Pipeline] {
        match self {
            Algorithm::Gbdt => &[Pipeline::Dpp0, Pipeline::Dpp2],
            Algorithm::SymmetricGbdt | Algorithm::RandomForest | Algorithm::ExtraTrees => {
                &[Pipeline::Dpp0]
            }
            Algorithm::Linear | Algorithm::Knn | Algorithm::Mlp => &[Pipeline::Dpp1],
        }
    }
}

/// One hyperparameter's search range (Autopilot-like ranges).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Range {
    Float { low: f64, high: f64, log: bool },
    Int { low: i64, high: i64, log: bool },
    Choice { values: Vec<Value> },
}

impl Range {
    /// Check an edited range against the one it replaces: the same kind, finite bounds
    /// with low ≤ high (and low > 0 on a log scale), choices among the original ones.
    pub fn check_edit(&self, original: &Range) -> Result<(), String> {
        match (self, original) {
            (Range::Float { low, high, log }, Range::Float { .. }) => {
                if !low.is_finite() || !high.is_finite() || low > high {
                    return Err(format!(
                        "needs finite bounds with low <= high (got {low} and {high})"
                    ));
                }
                if *log && *low <= 0.0 {
                    return Err(format!("a log-scaled range needs low > 0 (got {low})"));
                }
                Ok(())
            }
            (Range::Int { low, high, log }, Range::Int { .. }) => {
                if low > high {
                    return Err(format!("needs low <= high (got {low} and {high})"));
                }
                if *log && *low <= 0 {
                    return Err(format!("a log-scaled range needs low > 0 (got {low})"));
                }
                Ok(())
            }
            (Range::Choice { values }, Range::Choice { values: allowed }) => {
                if values.is_empty() {
                    return Err("needs at least one value".into());
                }
                match values.iter().find(|v| !allowed.contains(v)) {
                    Some(v) => Err(format!(
                        "{v} is not one of {}",
                        Value::from(allowed.clone())
                    )),
                    None => Ok(()),
                }
            }
            _ => Err(format!(
                "must stay a {} range",
                match original {
                    Range::Float { .. } => "float",
                    Range::Int { .. } => "int",
                    Range::Choice { .. } => "choice",
                }
            )),
        }
    }
}

pub fn search_space(algo: Algorithm, task: Task) -> BTreeMap<String, Range> {
    let f = |low, high, log| Range::Float { low, high, log };
    let i = |low, high, log| Range::Int { low, high, log };
    let mut s = BTreeMap::new();
    match algo {
        Algorithm::Gbdt => {
            s.insert("iterations".into(), i(100, 2000, true));
            s.insert("learning_rate".into(), f(0.01, 0.3, true));
            s.insert("max_depth".into(), i(3, 10, false));
            s.insert("min_leaf_weight".into(), f(1.0, 30.0, true));
            s.insert("l2".into(), f(0.01, 10.0, true));
            s.insert("subsample".into(), f(0.5, 1.0, false));
            s.insert("colsample_bytree".into(), f(0.4, 1.0, false));
        }
        Algorithm::SymmetricGbdt => {
            s.insert("iterations".into(), i(100, 3000, true));
            s.insert("learning_rate".into(), f(0.02, 0.3, true));
            s.insert("depth".into(), i(4, 8, false));
            s.insert("l2_leaf_reg".into(), f(0.3, 30.0, true));
        }
        Algorithm::Linear => match task {
            Task::Classification { .. } => {
                s.insert("C".into(), f(1e-3, 100.0, true));
                s.insert(
                    "penalty".into(),
                    Range::Choice {
                        values: vec!["l2".into(), "l1".into()],
                    },
                );
            }
            Task::Regression => {
                s.insert(
                    "penalty".into(),
                    Range::Choice {
                        values: vec!["l2".into(), "l1".into(), "elasticnet".into()],
                    },
                );
                s.insert("alpha".into(), f(1e-4, 100.0, true));
                s.insert("l1_ratio".into(), f(0.05, 0.95, false));
            }
        },
        Algorithm::RandomForest | Algorithm::ExtraTrees => {
            s.insert("n_estimators".into(), i(50, 400, true));
            s.insert("max_features".into(), f(0.05, 1.0, true));
            s.insert("min_samples_leaf".into(), i(1, 20, true));
            s.insert("max_depth".into(), i(6, 40, true));
        }
        Algorithm::Mlp => {
            s.insert("hidden_layer_sizes".into(), i(16, 256, true));
            s.insert("alpha".into(), f(1e-6, 1e-1, true));
            s.insert("learning_rate_init".into(), f(1e-4, 1e-2, true));
            s.insert("max_iter".into(), i(50, 400, true));
        }
        Algorithm::Knn => {
            s.insert("n_neighbors".into(), i(3, 60, true));
            s.insert(
                "weights".into(),
                Range::Choice {
                    values: vec!["uniform".into(), "distance".into()],
                },
            );
        }
    }
    if matches!(task, Task::Classification { .. }) && algo != Algorithm::Knn {
        s.insert(
            "class_weight".into(),
            Range::Choice {
                values: vec![Value::Null, "balanced".into()],
            },
        );
    }
    s
}

/// Columns, about, that a tree of a booster scans on a wide matrix. TF-IDF terms make a
/// matrix wide and mostly zeros, and a booster's time grows with the columns each tree
/// scans: on the clothing reviews (607 columns, 300 terms for each of two text columns),
/// forust's first portfolio entry took 10.5 s to fit with every column per tree and 1.9 s
/// with a sixth, and its held-out AUC rose from 0.9783 to 0.9793 (three splits).
const COLUMNS_PER_TREE: f64 = 100.0;

/// The factor a booster's column sample is scaled by on a matrix about `width` columns
/// wide: 1 up to `COLUMNS_PER_TREE` columns, so that narrower data is left as it is; past
/// that, a tree that would sample every column scans about that many (three digits).
pub fn column_share(width: usize) -> f64 {
    let share = COLUMNS_PER_TREE / width.max(1) as f64;
    if share >= 1.0 {
        return 1.0;
    }
    crate::common::round_to(share, 3)
}

/// A booster's portfolio entry with its column sample scaled by `share`
/// (`column_share`); other algorithms' entries as they are.
pub fn scale_column_sample(algo: Algorithm, params: &mut Params, share: f64) {
    if algo == Algorithm::Gbdt && share < 1.0 {
        if let Some(v) = params.get_mut("colsample_bytree") {
            if let Some(x) = v.as_f64() {
                *v = (x * share).into();
            }
        }
    }
}

/// `algo`'s search ranges with a booster's column-sample range scaled by `share`
/// (`column_share`), so the search stays around the portfolio's scaled entries.
pub fn scale_column_range(algo: Algorithm, ranges: &mut BTreeMap<String, Range>, share: f64) {
    if algo == Algorithm::Gbdt && share < 1.0 {
        if let Some(Range::Float { low, high, .. }) = ranges.get_mut("colsample_bytree") {
            *low *= share;
            *high *= share;
        }
    }
}

/// Sample passes (rows × epochs) the portfolio's MLP may make: scikit-learn's 200 epochs
/// up to 5,000 training rows, fewer beyond (at least 20). Stochastic gradient steps
/// learn per row seen, not per epoch: on adult (26k training rows per fold, 3 folds) the
/// limit of a quarter of a 60 s job stopped it after 139 of 200 epochs, 16 s wasted.
const MLP_SAMPLE_PASSES: usize = 1_000_000;

/// Training rows per leaf, on average, below which the portfolio's deep symmetric
/// booster is left out (LightGBM's `min_data_in_leaf`).
const MIN_ROWS_PER_LEAF: usize = 20;

/// Known-good starting points, tried first (a small portfolio, as FLAML and AutoGluon do),
/// for a matrix about `n_features` columns wide and `n_train` training rows per fold.
pub fn portfolio(algo: Algorithm, task: Task, n_features: usize, n_train: usize) -> Vec<Params> {
    let p = |pairs: &[(&str, Value)]| -> Params {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    };
    let sqrt_frac = ((n_features as f64).sqrt() / n_features.max(1) as f64).clamp(0.05, 1.0);
    let classification = matches!(task, Task::Classification { .. });
    match algo {
        // The first is cheap: a leaderboard row within seconds on tens of thousands of
        // rows, and a measured cost for the schedule before the long ones start.
        Algorithm::Gbdt => vec![
            p(&[
                ("iterations", 300.into()),
                ("learning_rate", 0.2.into()),
                ("max_depth", 5.into()),
                ("min_leaf_weight", 5.0.into()),
                ("l2", 1.0.into()),
                ("subsample", 1.0.into()),
                ("colsample_bytree", 1.0.into()),
            ]),
            p(&[
                ("iterations", 1000.into()),
                ("learning_rate", 0.05.into()),
                ("max_depth", 6.into()),
                ("min_leaf_weight", 1.0.into()),
                ("l2", 1.0.into()),
                ("subsample", 0.8.into()),
                ("colsample_bytree", 0.8.into()),
            ]),
            p(&[
                ("iterations", 600.into()),
                ("learning_rate", 0.1.into()),
                ("max_depth", 4.into()),
                ("min_leaf_weight", 5.0.into()),
                ("l2", 1.0.into()),
                ("subsample", 1.0.into()),
                ("colsample_bytree", 1.0.into()),
            ]),
            p(&[
                ("iterations", 2000.into()),
                ("learning_rate", 0.02.into()),
                ("max_depth", 8.into()),
                ("min_leaf_weight", 10.0.into()),
                ("l2", 3.0.into()),
                ("subsample", 0.7.into()),
                ("colsample_bytree", 0.6.into()),
            ]),
        ],
        // CatBoost's defaults, bar the learning rate (early stopping picks the rounds);
        // then a deeper one, as AutoGluon follows LightGBM with LightGBMLarge: 2^8 leaves
        // per tree catch interactions six levels cannot (one california candidate: RMSE
        // 45,167 → 45,050 on its folds, 44,282 → 43,971 on held-out rows).
        // Only where its 2^8 leaves average `MIN_ROWS_PER_LEAF` rows: on penguins (275
        // rows per fold) it added nothing and its one-vs-rest boosters ran all their rounds.
        Algorithm::SymmetricGbdt => [6, 8]
            .into_iter()
            .filter(|&depth| depth == 6 || n_train >= MIN_ROWS_PER_LEAF << depth)
            .map(|depth| {
                p(&[
                    ("iterations", 2000.into()),
                    ("learning_rate", 0.1.into()),
                    ("depth", depth.into()),
                    ("l2_leaf_reg", 3.0.into()),
                ])
            })
            .collect(),
        Algorithm::Linear => {
            if classification {
                vec![p(&[("C", 1.0.into())]), p(&[("C", 0.05.into())])]
            } else {
                vec![
                    p(&[("penalty", "l2".into()), ("alpha", 1.0.into())]),
                    p(&[("penalty", "l1".into()), ("alpha", 0.01.into())]),
                ]
            }
        }
        Algorithm::RandomForest => vec![p(&[
            ("n_estimators", 100.into()),
            (
                "max_features",
                (if classification { sqrt_frac } else { 0.5 }).into(),
            ),
            ("min_samples_leaf", 1.into()),
            ("max_depth", 30.into()),
        ])],
        Algorithm::ExtraTrees => vec![p(&[
            ("n_estimators", 100.into()),
            (
                "max_features",
                (if classification { sqrt_frac } else { 0.7 }).into(),
            ),
            ("min_samples_leaf", 1.into()),
            ("max_depth", 30.into()),
        ])],
        Algorithm::Knn => vec![p(&[
            ("n_neighbors", 15.into()),
            ("weights", "distance".into()),
        ])],
        Algorithm::Mlp => vec![p(&[
            ("hidden_layer_sizes", 64.into()),
            ("alpha", 1e-4.into()),
            ("learning_rate_init", 1e-3.into()),
            (
                "max_iter",
                (MLP_SAMPLE_PASSES / n_train.max(1)).clamp(20, 200).into(),
            ),
        ])],
    }
}

/// "balanced" class weights: `n / (k * count(class))`, as scikit-learn computes them.
pub fn sample_weights(class_weight: Option<ClassWeight>, task: Task, y: &[f64]) -> Vec<f64> {
    match (task, class_weight) {
        (Task::Classification { n_classes }, Some(ClassWeight::Balanced)) => {
            let mut counts = vec![0.0; n_classes];
            y.iter().for_each(|&c| counts[c as usize] += 1.0);
            let n = y.len() as f64;
            y.iter()
                .map(|&c| n / (n_classes as f64 * counts[c as usize]))
                .collect()
        }
        _ => vec![1.0; y.len()],
    }
}

/// The logistic function, without overflow for large |z|.
pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Two-class probabilities from one score per row (the positive class's log-odds).
pub(crate) fn binary_proba(scores: &[f64]) -> Predictions {
    Predictions::Proba {
        p: scores
            .iter()
            .flat_map(|&z| {
                let q = sigmoid(z);
                [1.0 - q, q]
            })
            .collect(),
        k: 2,
    }
}

/// Predictions from one output vector per row: class probabilities, or a single value.
pub fn rows_to_predictions(task: Task, rows: Vec<Vec<f64>>) -> Predictions {
    match task {
        Task::Regression => Predictions::Values(rows.into_iter().map(|r| r[0]).collect()),
        Task::Classification { n_classes } => Predictions::Proba {
            p: rows.into_iter().flatten().collect(),
            k: n_classes,
        },
    }
}

/// The training data a learner sees.
pub struct TrainData<'a> {
    pub x: &'a Matrix,
    /// Class ids (as numbers) or target values.
    pub y: &'a [f64],
    pub weights: &'a [f64],
    /// Held-out rows for early stopping, where the learner uses them.
    pub eval: Option<(&'a Matrix, &'a [f64])>,
    /// The columns that hold category codes (dpp0's ordinal codes): the symmetric learner
    /// splits them as categories (`category_splits.rs`); the others read them as numbers.
    pub categories: &'a [usize],
    pub deadline: Deadline<'a>,
    pub seed: u64,
}

/// A learner's time: when it must give up (at an instant, or as soon as its caller cancels
/// it: a stop request, or a candidate whose progress shows it cannot finish in time, so
/// that an abandoned fold does not keep a core busy until its deadline), and where it says
/// how far it got, when its work is known in advance (a forest's trees, an MLP's epochs).
#[derive(Debug, Clone, Copy, Default)]
pub struct Deadline<'a> {
    pub at: Option<Instant>,
    pub cancelled: Option<&'a AtomicBool>,
    /// Thousandths of this fit done.
    pub progress: Option<&'a AtomicU32>,
}

impl Deadline<'_> {
    pub fn passed(&self) -> bool {
        self.cancelled.is_some_and(|c| c.load(Ordering::Relaxed))
            || self.at.is_some_and(|t| Instant::now() > t)
    }

    /// `done` of `total` steps are done (at most: early stopping may end it sooner).
    pub fn report(&self, done: usize, total: usize) {
        if let Some(p) = self.progress {
            p.store(
                (1000 * done / total.max(1)).min(1000) as u32,
                Ordering::Relaxed,
            );
        }
    }
}

/// Why a learner did not produce the model its hyperparameters define.
#[derive(Debug, Clone, PartialEq)]
pub enum FitError {
    /// The data or the hyperparameters do not allow it; the message says why.
    Failed(String),
    /// The deadline came before training finished as defined; the message says how far
    /// it got. A truncated model is never a candidate: the notebook could not define it.
    OutOfTime(String),
}

impl std::fmt::Display for FitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FitError::Failed(m) | FitError::OutOfTime(m) => f.write_str(m),
        }
    }
}

impl From<String> for FitError {
    fn from(m: String) -> Self {
        FitError::Failed(m)
    }
}

impl From<&str> for FitError {
    fn from(m: &str) -> Self {
        FitError::Failed(m.to_string())
    }
}

/// `Err(OutOfTime)` when `deadline` has passed: for learners that check between steps.
pub(crate) fn check_time(
    deadline: Deadline,
    progress: impl FnOnce() -> String,
) -> Result<(), FitError> {
    if deadline.passed() {
        Err(FitError::OutOfTime(progress()))
    } else {
        Ok(())
    }
}

/// What every learner offers.
pub trait Learner {
    /// Train as the hyperparameters define, or fail; never return a truncated model.
    fn fit(&mut self, data: &TrainData) -> Result<(), FitError>;
    fn predict(&self, x: &Matrix) -> Predictions;
    /// One non-negative number per input column.
    fn feature_importance(&self) -> Vec<f64>;
}

/// One booster of a boosted model (`None` for a class absent from the training rows),
/// with its category splits.
pub type Booster<'a> = (Option<&'a forust_ml::GradientBooster>, &'a CategorySplits);

/// A fitted model of any algorithm: what is saved to disk.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "algorithm", rename_all = "kebab-case")]
pub enum AnyModel {
    Gbdt(GbdtModel),
    SymmetricGbdt(SymmetricModel),
    Linear(LinearModel),
    Forest(ForestModel),
    Knn(KnnModel),
    Mlp(MlpModel),
}

impl AnyModel {
    pub fn new(params: &HyperParams, task: Task, n_features: usize) -> AnyModel {
        match params.clone() {
            HyperParams::Gbdt(p) => AnyModel::Gbdt(GbdtModel::new(task, p)),
            HyperParams::SymmetricGbdt(p) => AnyModel::SymmetricGbdt(SymmetricModel::new(task, p)),
            HyperParams::Linear(p) => AnyModel::Linear(LinearModel::new(task, p)),
            HyperParams::RandomForest(p) => {
                AnyModel::Forest(ForestModel::new(task, p, false, n_features))
            }
            HyperParams::ExtraTrees(p) => {
                AnyModel::Forest(ForestModel::new(task, p, true, n_features))
            }
            HyperParams::Knn(p) => AnyModel::Knn(KnnModel::new(task, p)),
            HyperParams::Mlp(p) => AnyModel::Mlp(MlpModel::new(task, p)),
        }
    }

    /// A boosted model's boosters (forust prediction trees), whichever grew them, each
    /// with its category splits.
    pub fn boosters(&self) -> Option<Vec<Booster<'_>>> {
        static NONE: CategorySplits = CategorySplits(Vec::new());
        match self {
            AnyModel::Gbdt(m) => Some(m.boosters.iter().map(|b| (b.as_ref(), &NONE)).collect()),
            AnyModel::SymmetricGbdt(m) => Some(
                m.boosters
                    .iter()
                    .enumerate()
                    .map(|(i, b)| (b.as_ref(), m.category_splits.get(i).unwrap_or(&NONE)))
                    .collect(),
            ),
            _ => None,
        }
    }

    fn inner(&self) -> &dyn Learner {
        match self {
            AnyModel::Gbdt(m) => m,
            AnyModel::SymmetricGbdt(m) => m,
            AnyModel::Linear(m) => m,
            AnyModel::Forest(m) => m,
            AnyModel::Knn(m) => m,
            AnyModel::Mlp(m) => m,
        }
    }
}

impl Learner for AnyModel {
    fn fit(&mut self, data: &TrainData) -> Result<(), FitError> {
        match self {
            AnyModel::Gbdt(m) => m.fit(data),
            AnyModel::SymmetricGbdt(m) => m.fit(data),
            AnyModel::Linear(m) => m.fit(data),
            AnyModel::Forest(m) => m.fit(data),
            AnyModel::Knn(m) => m.fit(data),
            AnyModel::Mlp(m) => m.fit(data),
        }
    }
    fn predict(&self, x: &Matrix) -> Predictions {
        self.inner().predict(x)
    }
    fn feature_importance(&self) -> Vec<f64> {
        self.inner().feature_importance()
    }
}

#[cfg(test)]
#[path = "learner_tests.rs"]
mod tests;
