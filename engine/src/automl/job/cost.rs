//! How long a candidate will likely train, learnt from the ones that ended: seconds per
//! unit of work, per algorithm, where a unit is what drives that learner's time. The
//! schedule uses it to avoid starting what cannot finish before its deadline (a candidate
//! cut off by a limit is wasted: it is never ranked).

use std::collections::BTreeMap;

use super::types::CandidateDefinition;
use crate::automl::learners::{Algorithm, HyperParams};

/// A candidate whose estimate exceeds the time it has by this factor is not started.
const SLACK: f64 = 1.25;

#[derive(Default)]
pub(super) struct CostModel {
    seconds_per_unit: BTreeMap<Algorithm, f64>,
}

/// The work a definition asks for, in its algorithm's units.
fn units(def: &CandidateDefinition) -> f64 {
    match HyperParams::read(def.algorithm, &def.hyperparameters) {
        Ok(HyperParams::Gbdt(p)) => {
            p.iterations as f64 * p.max_depth.max(1) as f64 * p.subsample * p.colsample_bytree
        }
        Ok(HyperParams::RandomForest(p)) | Ok(HyperParams::ExtraTrees(p)) => {
            p.n_estimators as f64 * p.max_features.max(0.01)
        }
        Ok(HyperParams::Mlp(p)) => p.max_iter as f64 * p.hidden_layer_sizes.max(1) as f64,
        _ => 1.0,
    }
    .max(1e-9)
}

impl CostModel {
    /// Seconds `def` will likely take, once a candidate of its algorithm has ended.
    pub(super) fn estimate(&self, def: &CandidateDefinition) -> Option<f64> {
        self.seconds_per_unit
            .get(&def.algorithm)
            .map(|r| r * units(def))
    }

    /// Learn from a candidate that ended after `seconds`: `finished` when it trained to
    /// the end (its rate is measured), else it was cut off (its rate is at least this).
    pub(super) fn observe(&mut self, def: &CandidateDefinition, seconds: f64, finished: bool) {
        let rate = seconds / units(def);
        let entry = self.seconds_per_unit.entry(def.algorithm).or_insert(rate);
        *entry = if finished { rate } else { entry.max(rate) };
    }

    /// Whether `def` can likely finish in `available` seconds (unknown costs can).
    pub(super) fn fits(&self, def: &CandidateDefinition, available: f64) -> bool {
        self.estimate(def).is_none_or(|e| e <= SLACK * available)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::automl::features::Pipeline;
    use crate::automl::learners::{resolve, Params, Task};

    fn forest(trees: f64) -> CandidateDefinition {
        let mut p = Params::new();
        p.insert("n_estimators".into(), trees.into());
        CandidateDefinition {
            name: "c".into(),
            algorithm: Algorithm::RandomForest,
            pipeline: Pipeline::Dpp0,
            hyperparameters: resolve(Algorithm::RandomForest, Task::Regression, &p).unwrap(),
            ranges: Default::default(),
        }
    }

    #[test]
    fn estimates_scale_with_the_work_asked_for() {
        let mut m = CostModel::default();
        assert!(m.fits(&forest(100.0), 0.001), "unknown costs are tried");
        m.observe(&forest(100.0), 2.0, true);
        assert!((m.estimate(&forest(400.0)).unwrap() - 8.0).abs() < 1e-9);
        assert!(m.fits(&forest(400.0), 7.0));
        assert!(!m.fits(&forest(400.0), 5.0));
        // A cut-off run only raises the rate.
        m.observe(&forest(100.0), 1.0, false);
        assert!((m.estimate(&forest(100.0)).unwrap() - 2.0).abs() < 1e-9);
        m.observe(&forest(100.0), 5.0, false);
        assert!((m.estimate(&forest(100.0)).unwrap() - 5.0).abs() < 1e-9);
    }
}
