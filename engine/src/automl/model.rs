//! A trained candidate: everything `predict` needs, saved as `model.json` in
//! `candidates/NAME/`. With k-fold validation a candidate is the k fold models, and its
//! prediction is their average (bagging); with a holdout it is the one model trained on
//! the training part. An ensemble names its members and their weights: each member's own
//! `model.json` sits beside the ensemble's, and is loaded with it.

use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::features::{FeatureColumn, FittedPipeline, Pipeline};
use super::learners::{Algorithm, AnyModel, Learner, Params};
use super::metrics::Predictions;
use crate::data::{typed_columns, Column, ProblemType, RawTable};
use crate::error::{EngineError, Result};

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
    /// Every training column but the target, in file order (`Resolved::input_columns`);
    /// empty in files written before it was kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_columns: Vec<String>,
    pub algorithm: Option<Algorithm>,
    /// `None` for an ensemble (each member has its own).
    #[serde(deserialize_with = "super::features::pipeline_or_none")]
    pub pipeline: Option<Pipeline>,
    pub hyperparameters: Params,
    pub folds: Vec<FoldModel>,
    /// For an ensemble: (weight, member).
    pub members: Vec<(f64, Member)>,
}

/// An ensemble member. `model.json` holds its name only (the member's own model file is
/// beside it, in `../NAME/`); it is loaded when the ensemble is. Files written before
/// members were stored by reference embed the member whole, and still load.
#[derive(Debug)]
pub enum Member {
    Named(String),
    Loaded(Box<CandidateModel>),
}

impl Member {
    pub fn name(&self) -> &str {
        match self {
            Member::Named(n) => n,
            Member::Loaded(m) => &m.name,
        }
    }
}

impl Serialize for Member {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Named(String),
            Embedded(Box<CandidateModel>),
        }
        Ok(match Stored::deserialize(d)? {
            Stored::Named(n) => Member::Named(n),
            Stored::Embedded(m) => Member::Loaded(m),
        })
    }
}

impl CandidateModel {
    /// Read `candidates/NAME/model.json` (`path` is the file or its folder), with an
    /// ensemble's members from their folders beside it.
    pub fn load(path: &Path) -> Result<CandidateModel> {
        let file = if path.is_dir() {
            path.join("model.json")
        } else {
            path.to_path_buf()
        };
        let shown = file.display().to_string();
        let bytes = std::fs::read(&file).map_err(|e| EngineError::io(shown.clone(), e))?;
        let mut model: CandidateModel = serde_json::from_slice(&bytes).map_err(|e| {
            EngineError::data(&shown, None, format!("not a Glassbox model file: {e}"))
        })?;
        let folder = file.parent().unwrap_or(Path::new("."));
        model.resolve_members(|name| CandidateModel::load(&folder.join("..").join(name)))?;
        Ok(model)
    }

    /// Load the members an ensemble names, with `load(name)`, side by side: a forest
    /// member's file is most of an ensemble's load time, and the others read beside it.
    pub fn resolve_members(
        &mut self,
        load: impl Fn(&str) -> Result<CandidateModel> + Sync,
    ) -> Result<()> {
        let load = &load;
        std::thread::scope(|s| {
            let pending: Vec<_> = self
                .members
                .iter_mut()
                .filter_map(|(_, m)| {
                    let Member::Named(n) = &*m else { return None };
                    let name = n.clone();
                    Some((m, s.spawn(move || load(&name))))
                })
                .collect();
            for (m, loading) in pending {
                let loaded = loading
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
                *m = Member::Loaded(Box::new(loaded));
            }
            Ok(())
        })
    }

    /// Predict rows `rows` of typed feature columns.
    pub fn predict_columns(&self, columns: &[&Column], rows: &[usize]) -> Result<Predictions> {
        let parts: Vec<(f64, Predictions)> = if self.members.is_empty() {
            let w = 1.0 / self.folds.len() as f64;
            self.folds
                .iter()
                .map(|f| (w, f.model.predict(&f.pipeline.transform(columns, rows))))
                .collect()
        } else {
            self.members
                .iter()
                .map(|(w, m)| match m {
                    Member::Loaded(m) => Ok((*w, m.predict_columns(columns, rows)?)),
                    Member::Named(n) => Err(EngineError::invalid(
                        "model",
                        format!("{}: ensemble member {n} is not loaded", self.name),
                    )),
                })
                .collect::<Result<_>>()?
        };
        Ok(average(parts))
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
        self.predict_columns(&refs, &rows)
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
