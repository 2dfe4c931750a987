//! A trained candidate: everything `predict` needs, saved as `model.json` in
//! `candidates/NAME/`. With k-fold validation a candidate is the k fold models, and its
//! prediction is their average (bagging); with a holdout it is the one model trained on
//! the training part. An ensemble embeds its members and their weights.

use serde::{Deserialize, Serialize};

use super::features::{FeatureColumn, FittedPipeline, Pipeline};
use super::learners::{Algorithm, AnyModel, Learner, Params};
use super::metrics::Predictions;
use crate::data::{typed_columns, Column, ProblemType, RawTable};
use crate::error::Result;

pub const MODEL_FORMAT: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub struct FoldModel {
    pub pipeline: FittedPipeline,
    pub model: AnyModel,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct CandidateModel {
    pub format: u32,
    pub name: String,
    pub problem_type: ProblemType,
    pub target: String,
    /// Class labels in order (the columns of `proba_<label>`); empty for regression.
    pub classes: Vec<String>,
    pub positive_class: Option<String>,
    pub features: Vec<FeatureColumn>,
    pub algorithm: Option<Algorithm>,
    /// `None` for an ensemble (each member has its own).
    #[serde(deserialize_with = "super::features::pipeline_or_none")]
    pub pipeline: Option<Pipeline>,
    pub hyperparameters: Params,
    pub folds: Vec<FoldModel>,
    /// For an ensemble: (weight, member).
    pub members: Vec<(f64, CandidateModel)>,
}

impl CandidateModel {
    /// Predict rows `rows` of typed feature columns.
    pub fn predict_columns(&self, columns: &[&Column], rows: &[usize]) -> Predictions {
        let parts: Vec<(f64, Predictions)> = if self.members.is_empty() {
            let w = 1.0 / self.folds.len() as f64;
            self.folds
                .iter()
                .map(|f| (w, f.model.predict(&f.pipeline.transform(columns, rows))))
                .collect()
        } else {
            self.members
                .iter()
                .map(|(w, m)| (*w, m.predict_columns(columns, rows)))
                .collect()
        };
        average(parts)
    }

    /// Read the feature columns this model needs from a file just read.
    pub fn columns_for(&self, raw: &RawTable) -> Result<Vec<Column>> {
        let schema: Vec<_> = self
            .features
            .iter()
            .map(|f| (f.name.clone(), f.kind, f.date_format.clone()))
            .collect();
        typed_columns(raw, &schema)
    }

    pub fn predict_raw(&self, raw: &RawTable) -> Result<Predictions> {
        let cols = self.columns_for(raw)?;
        let refs: Vec<&Column> = cols.iter().collect();
        let rows: Vec<usize> = (0..raw.height()).collect();
        Ok(self.predict_columns(&refs, &rows))
    }
}

/// Weighted average of predictions of the same shape.
pub fn average(parts: Vec<(f64, Predictions)>) -> Predictions {
    let total: f64 = parts.iter().map(|p| p.0).sum();
    let mut it = parts.into_iter();
    let (w0, first) = it.next().expect("at least one part");
    let mut acc = first;
    let scale = |v: &mut Vec<f64>, w: f64| v.iter_mut().for_each(|x| *x *= w);
    match &mut acc {
        Predictions::Proba { p, .. } => scale(p, w0 / total),
        Predictions::Values(v) => scale(v, w0 / total),
    }
    for (w, p) in it {
        match (&mut acc, p) {
            (Predictions::Proba { p: a, .. }, Predictions::Proba { p: b, .. }) => {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += w / total * y)
            }
            (Predictions::Values(a), Predictions::Values(b)) => {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += w / total * y)
            }
            _ => {}
        }
    }
    acc
}
