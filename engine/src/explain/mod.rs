//! SHAP values of a candidate on its **input columns**. Features a pipeline derives from
//! one column (one-hot, TF-IDF terms, date parts, missing indicators) are summed back to
//! that column.
//!
//! | model | method | output space |
//! |---|---|---|
//! | random forest, extra trees | path-dependent TreeSHAP (`tree_shap.rs`), f64 | class probabilities, or the value |
//! | gradient boosting | path-dependent TreeSHAP | log-odds (binary: the second class; multiclass: each one-vs-rest booster), or the value |
//! | linear | exact linear SHAP: `coef · (x − mean of the background)` | log-odds (binary), the class scores (multinomial), or the value |
//! | kNN, MLP, ensembles | interventional Shapley values over the input columns with a background sample: exact enumeration of every coalition up to 10 columns (`sampling.rs`), else antithetic permutation sampling | class probabilities, or the value |
//!
//! A candidate trained on k folds predicts the mean of its fold models; its SHAP values are
//! the mean of theirs (in the space named), so for every explained row
//! `expected + Σ shap = prediction` holds exactly (to rounding).

mod folds;
mod sampling;
mod shap_tables;
mod tree_models;
mod tree_shap;

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::automl::learners::AnyModel;
use crate::automl::model::CandidateModel;
use crate::data::Column;

/// Up to this many input columns, every coalition is enumerated (exact Shapley values).
pub const EXACT_MAX_COLUMNS: usize = 10;
/// Background rows the model-agnostic methods average over.
pub const SAMPLING_BACKGROUND: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    TreeSHAP,
    LinearSHAP,
    ExactSHAP,
    PermutationSHAP,
}

impl Method {
    pub fn describe(self) -> &'static str {
        match self {
            Method::TreeSHAP => "path-dependent TreeSHAP on every tree of every fold model",
            Method::LinearSHAP => "exact linear SHAP, coefficient times the distance from the background mean, per fold model",
            Method::ExactSHAP => "exact Shapley values over every coalition of the input columns, missing columns taken from background rows",
            Method::PermutationSHAP => "Shapley values estimated from antithetic permutations of the input columns, missing columns taken from background rows",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputSpace {
    LogOdds,
    Probability,
    Raw,
}

/// What to explain: rows of `columns` (the candidate's input columns, found by name),
/// against background rows of the same columns.
pub struct ExplainRequest<'a> {
    pub model: &'a CandidateModel,
    pub columns: &'a [&'a Column],
    /// In the order to explain them: when the deadline comes, a prefix is explained.
    pub rows: &'a [usize],
    pub background: &'a [usize],
    pub deadline: Option<Instant>,
    /// How long a model-agnostic method's first row may run on past `deadline` (`None`: no
    /// limit), so a report holds a row whenever one fits here. The fold-model methods always
    /// explain their first rows.
    pub first_row_deadline: Option<Instant>,
    pub seed: u64,
}

/// SHAP values per explained row, per input column and output.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub method: Method,
    pub output_space: OutputSpace,
    /// The class each output is (`None`: the regression value).
    pub outputs: Vec<Option<usize>>,
    /// The candidate's input columns, in its order.
    pub features: Vec<String>,
    /// Per output.
    pub expected: Vec<f64>,
    /// One per explained row, in request order (a prefix of it if the deadline came).
    pub rows: Vec<RowShap>,
    /// Background rows used.
    pub background_rows: usize,
    /// Coalitions evaluated per row by the model-agnostic methods.
    pub coalitions: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct RowShap {
    /// The model's output per output, in `output_space`.
    pub prediction: Vec<f64>,
    /// `features × outputs`, feature-major.
    pub shap: Vec<f64>,
}

impl RowShap {
    pub fn value(&self, feature: usize, output: usize) -> f64 {
        self.shap[feature * self.prediction.len() + output]
    }
}

/// The method each kind of candidate is explained with.
pub fn method_for(model: &CandidateModel) -> Method {
    if !model.members.is_empty() || model.folds.is_empty() {
        return sampled(model);
    }
    let all = |f: fn(&AnyModel) -> bool| model.folds.iter().all(|fm| f(&fm.model));
    if all(|m| matches!(m, AnyModel::Linear(_))) {
        Method::LinearSHAP
    } else if all(|m| match m {
        AnyModel::Forest(f) => tree_models::forest_explainable(f),
        AnyModel::Gbdt(_) | AnyModel::SymmetricGbdt(_) => m
            .boosters()
            .into_iter()
            .flatten()
            .all(|(b, c)| b.is_none_or(|b| tree_models::booster(b, c).is_some())),
        _ => false,
    }) {
        Method::TreeSHAP
    } else {
        sampled(model)
    }
}

fn sampled(model: &CandidateModel) -> Method {
    if model.features.len() <= EXACT_MAX_COLUMNS {
        Method::ExactSHAP
    } else {
        Method::PermutationSHAP
    }
}

/// Explain `req.rows`, as many as the deadline allows: the fold-model methods always
/// explain their first few rows; the model-agnostic ones, whose rows are costly, explain
/// their first row within `first_row_deadline`, and stop even before it past that.
pub fn explain(req: &ExplainRequest) -> Explanation {
    let model = req.model;
    let features: Vec<String> = model.features.iter().map(|f| f.name.clone()).collect();
    let method = method_for(model);
    let mut e = match method {
        Method::TreeSHAP | Method::LinearSHAP => folds::explain(req, method),
        Method::ExactSHAP | Method::PermutationSHAP => sampling::explain(req, method),
    };
    e.features = features;
    e
}
