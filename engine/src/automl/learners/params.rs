//! Every learner's hyperparameters as a typed struct: the one place their defaults live.
//!
//! The learners read these structs, the search ranges (`search_space`) name their fields,
//! and the notebook writes the scikit-learn estimator from them. A candidate's
//! hyperparameters are *resolved* when it is defined: whatever the portfolio, the search
//! or a user gave is read into the struct (defaults filling the gaps, unknown names and
//! bad values refused) and written back in full, so the leaderboard, `model.json` and the
//! notebook all show the complete set the model was trained with.

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{search_space, Algorithm, Params, Task};

/// `class_weight="balanced"`: weights `n / (k · count(class))`, as scikit-learn's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClassWeight {
    Balanced,
}

/// The penalty of a linear model (`elasticnet` is for regression only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Penalty {
    #[default]
    L2,
    L1,
    Elasticnet,
}

/// How kNN weighs the neighbours' votes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Weights {
    #[default]
    Uniform,
    Distance,
}

/// A count: accepts a whole number or a float (rounded), never a negative one.
fn count<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let v = f64::deserialize(d)?;
    if !v.is_finite() || !(0.0..=1e9).contains(&v) {
        return Err(serde::de::Error::custom(format!(
            "{v} is not a count between 0 and 1e9"
        )));
    }
    Ok(v.round() as usize)
}

/// Gradient-boosted trees (forust's `GradientBooster`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GbdtParams {
    #[serde(deserialize_with = "count")]
    pub iterations: usize,
    pub learning_rate: f64,
    #[serde(deserialize_with = "count")]
    pub max_depth: usize,
    pub min_leaf_weight: f64,
    pub l2: f64,
    pub subsample: f64,
    pub colsample_bytree: f64,
    pub class_weight: Option<ClassWeight>,
}

impl Default for GbdtParams {
    fn default() -> Self {
        GbdtParams {
            iterations: 500,
            learning_rate: 0.1,
            max_depth: 6,
            min_leaf_weight: 1.0,
            l2: 1.0,
            subsample: 1.0,
            colsample_bytree: 1.0,
            class_weight: None,
        }
    }
}

/// Gradient boosting with symmetric (oblivious) trees, CatBoost's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SymmetricParams {
    #[serde(deserialize_with = "count")]
    pub iterations: usize,
    pub learning_rate: f64,
    #[serde(deserialize_with = "count")]
    pub depth: usize,
    pub l2_leaf_reg: f64,
    pub class_weight: Option<ClassWeight>,
}

impl Default for SymmetricParams {
    fn default() -> Self {
        SymmetricParams {
            iterations: 1000,
            learning_rate: 0.1,
            depth: 6,
            l2_leaf_reg: 3.0,
            class_weight: None,
        }
    }
}

/// Linear models: `LogisticRegression` (`C`, `penalty` l2|l1) for classification;
/// `Ridge`, `Lasso`, `ElasticNet` (`penalty`, `alpha`, `l1_ratio`) for regression.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinearParams {
    #[serde(rename = "C")]
    pub c: f64,
    pub penalty: Penalty,
    pub alpha: f64,
    pub l1_ratio: f64,
    pub class_weight: Option<ClassWeight>,
}

impl Default for LinearParams {
    fn default() -> Self {
        LinearParams {
            c: 1.0,
            penalty: Penalty::L2,
            alpha: 1.0,
            l1_ratio: 0.5,
            class_weight: None,
        }
    }
}

/// Random forests and extra trees. 100 trees, as scikit-learn's default: on california
/// (3 folds) 200 trees cut scikit-learn's RMSE by only 0.2–0.3% (random forest) and 0.3%
/// (extra trees), for twice the time and twice the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ForestParams {
    #[serde(deserialize_with = "count")]
    pub n_estimators: usize,
    /// The share of columns tried at each split (floored as scikit-learn floors it).
    pub max_features: f64,
    #[serde(deserialize_with = "count")]
    pub min_samples_leaf: usize,
    #[serde(deserialize_with = "count")]
    pub max_depth: usize,
    pub class_weight: Option<ClassWeight>,
}

impl Default for ForestParams {
    fn default() -> Self {
        ForestParams {
            n_estimators: 100,
            max_features: 1.0,
            min_samples_leaf: 1,
            max_depth: 30,
            class_weight: None,
        }
    }
}

/// k nearest neighbours (brute force, Euclidean).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KnnParams {
    #[serde(deserialize_with = "count")]
    pub n_neighbors: usize,
    pub weights: Weights,
}

impl Default for KnnParams {
    fn default() -> Self {
        KnnParams {
            n_neighbors: 5,
            weights: Weights::Uniform,
        }
    }
}

/// A one-hidden-layer perceptron (`MLPClassifier` / `MLPRegressor`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MlpParams {
    #[serde(deserialize_with = "count")]
    pub hidden_layer_sizes: usize,
    pub alpha: f64,
    pub learning_rate_init: f64,
    #[serde(deserialize_with = "count")]
    pub max_iter: usize,
    pub class_weight: Option<ClassWeight>,
}

impl Default for MlpParams {
    fn default() -> Self {
        MlpParams {
            hidden_layer_sizes: 64,
            alpha: 1e-4,
            learning_rate_init: 1e-3,
            max_iter: 200,
            class_weight: None,
        }
    }
}

/// A candidate's hyperparameters, typed by its algorithm.
#[derive(Debug, Clone, PartialEq)]
pub enum HyperParams {
    Gbdt(GbdtParams),
    SymmetricGbdt(SymmetricParams),
    Linear(LinearParams),
    RandomForest(ForestParams),
    ExtraTrees(ForestParams),
    Knn(KnnParams),
    Mlp(MlpParams),
}

/// Read `p` into the struct `T`: defaults for what is absent, an error naming what is wrong.
pub fn typed<T: DeserializeOwned>(p: &Params) -> Result<T, String> {
    let obj: serde_json::Map<String, Value> =
        p.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    serde_json::from_value(Value::Object(obj)).map_err(|e| format!("hyperparameters: {e}"))
}

fn untyped<T: Serialize>(t: &T) -> Params {
    match serde_json::to_value(t) {
        Ok(Value::Object(m)) => m.into_iter().collect(),
        _ => Params::new(),
    }
}

impl HyperParams {
    /// The typed hyperparameters of `algo` from `p`.
    pub fn read(algo: Algorithm, p: &Params) -> Result<HyperParams, String> {
        Ok(match algo {
            Algorithm::Gbdt => HyperParams::Gbdt(typed(p)?),
            Algorithm::SymmetricGbdt => HyperParams::SymmetricGbdt(typed(p)?),
            Algorithm::Linear => HyperParams::Linear(typed(p)?),
            Algorithm::RandomForest => HyperParams::RandomForest(typed(p)?),
            Algorithm::ExtraTrees => HyperParams::ExtraTrees(typed(p)?),
            Algorithm::Knn => HyperParams::Knn(typed(p)?),
            Algorithm::Mlp => HyperParams::Mlp(typed(p)?),
        })
    }

    pub fn algorithm(&self) -> Algorithm {
        match self {
            HyperParams::Gbdt(_) => Algorithm::Gbdt,
            HyperParams::SymmetricGbdt(_) => Algorithm::SymmetricGbdt,
            HyperParams::Linear(_) => Algorithm::Linear,
            HyperParams::RandomForest(_) => Algorithm::RandomForest,
            HyperParams::ExtraTrees(_) => Algorithm::ExtraTrees,
            HyperParams::Knn(_) => Algorithm::Knn,
            HyperParams::Mlp(_) => Algorithm::Mlp,
        }
    }

    /// The class weighting the training rows get.
    pub fn class_weight(&self) -> Option<ClassWeight> {
        match self {
            HyperParams::Gbdt(p) => p.class_weight,
            HyperParams::SymmetricGbdt(p) => p.class_weight,
            HyperParams::Linear(p) => p.class_weight,
            HyperParams::RandomForest(p) | HyperParams::ExtraTrees(p) => p.class_weight,
            HyperParams::Mlp(p) => p.class_weight,
            HyperParams::Knn(_) => None,
        }
    }

    /// The complete set, by name: every hyperparameter that applies to `task` (the names
    /// of the algorithm's search ranges), with its value.
    pub fn to_params(&self, task: Task) -> Params {
        let all = match self {
            HyperParams::Gbdt(p) => untyped(p),
            HyperParams::SymmetricGbdt(p) => untyped(p),
            HyperParams::Linear(p) => untyped(p),
            HyperParams::RandomForest(p) | HyperParams::ExtraTrees(p) => untyped(p),
            HyperParams::Knn(p) => untyped(p),
            HyperParams::Mlp(p) => untyped(p),
        };
        let applies = search_space(self.algorithm(), task);
        all.into_iter()
            .filter(|(k, _)| applies.contains_key(k))
            .collect()
    }
}

/// `p` with every default filled in and nothing that does not apply to `task`; an error
/// names an unknown hyperparameter or a value of the wrong kind.
pub fn resolve(algo: Algorithm, task: Task, p: &Params) -> Result<Params, String> {
    Ok(HyperParams::read(algo, p)?.to_params(task))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::automl::learners::{portfolio, ALL_ALGORITHMS};

    const TASKS: [Task; 2] = [Task::Classification { n_classes: 2 }, Task::Regression];

    #[test]
    fn search_ranges_name_exactly_the_resolved_hyperparameters() {
        for algo in ALL_ALGORITHMS {
            for task in TASKS {
                let resolved = resolve(algo, task, &Params::new()).unwrap();
                let names: Vec<&String> = resolved.keys().collect();
                let space = search_space(algo, task);
                let ranges: Vec<&String> = space.keys().collect();
                assert_eq!(names, ranges, "{algo:?} {task:?}");
            }
        }
    }

    #[test]
    fn portfolio_entries_resolve_and_keep_their_values() {
        for algo in ALL_ALGORITHMS {
            for task in TASKS {
                for p in portfolio(algo, task, 10, 1000) {
                    let r = resolve(algo, task, &p).unwrap();
                    for (k, v) in &p {
                        assert_eq!(r.get(k).and_then(Value::as_f64), v.as_f64(), "{algo:?} {k}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_portfolio_mlp_makes_fewer_epochs_on_more_rows() {
        let epochs = |rows| {
            let p = &portfolio(Algorithm::Mlp, Task::Regression, 10, rows)[0];
            p["max_iter"].as_u64().unwrap()
        };
        assert_eq!(epochs(1_000), 200, "scikit-learn's default on small data");
        assert_eq!(epochs(31_000), 32);
        assert_eq!(epochs(2_000_000), 20, "never fewer than 20");
    }

    #[test]
    fn the_deep_symmetric_booster_needs_twenty_rows_per_leaf() {
        let depths = |rows| -> Vec<u64> {
            portfolio(Algorithm::SymmetricGbdt, Task::Regression, 10, rows)
                .iter()
                .map(|p| p["depth"].as_u64().unwrap())
                .collect()
        };
        assert_eq!(depths(275), [6], "penguins");
        assert_eq!(depths(20 * 256 - 1), [6]);
        assert_eq!(depths(20 * 256), [6, 8]);
        assert_eq!(depths(13_209), [6, 8], "california");
    }

    #[test]
    fn unknown_names_and_bad_values_are_refused() {
        let mut p = Params::new();
        p.insert("learning_rat".into(), Value::from(0.1));
        let e = resolve(Algorithm::Gbdt, Task::Regression, &p).unwrap_err();
        assert!(e.contains("learning_rat"), "{e}");
        let mut p = Params::new();
        p.insert("weights".into(), Value::from("closest"));
        assert!(resolve(Algorithm::Knn, Task::Regression, &p).is_err());
        let mut p = Params::new();
        p.insert("n_estimators".into(), Value::from(-3));
        assert!(resolve(Algorithm::RandomForest, Task::Regression, &p).is_err());
    }

    #[test]
    fn counts_given_as_floats_are_rounded() {
        let mut p = Params::new();
        p.insert("n_neighbors".into(), Value::from(7.4));
        let HyperParams::Knn(k) = HyperParams::read(Algorithm::Knn, &p).unwrap() else {
            unreachable!()
        };
        assert_eq!(k.n_neighbors, 7);
    }
}
