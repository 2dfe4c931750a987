//! How long a candidate will likely train, learnt from the ones that ended: seconds per
//! unit of work, per algorithm, where a unit is what drives that learner's time. The
//! schedule uses it to avoid starting what cannot finish before its deadline (a candidate
//! cut off by a limit is wasted: it is never ranked), and to scale a candidate's work
//! down to the time it has rather than pass it over.

use std::collections::BTreeMap;

use serde_json::Value;

use super::types::CandidateDefinition;
use crate::automl::features::Pipeline;
use crate::automl::learners::params::{GbdtParams, SymmetricParams};
use crate::automl::learners::{Algorithm, HyperParams};
use crate::common::round_to;

/// A definition the user chose whose estimate exceeds the time it has by this factor is
/// not started.
const SLACK: f64 = 1.25;

/// The share of the time it has that a search's own definition is sized for. Estimates
/// are off by 10–30% either way, and a candidate cut off at its limit is wasted: on bank
/// a booster estimated at 14.7 s took 14.8 s in one run and was cut off at its 15 s cap
/// in the next.
const HEADROOM: f64 = 0.85;

/// What to train of a definition in the time there is (`CostModel::plan`).
#[derive(Debug, PartialEq)]
pub(super) enum Plan {
    AsIs,
    /// Its work scaled down to fit.
    Shrunk(CandidateDefinition),
    PassOver,
}

/// Boosting rounds a GBDT likely runs: early stopping ends it about 50 rounds after its
/// best, and the best round comes later the smaller the learning rate (rounds × rate is
/// roughly constant for one data set). The constant only sets the scale between two
/// definitions: the seconds per unit are measured.
fn expected_rounds(iterations: usize, learning_rate: f64) -> f64 {
    (iterations as f64).min(rounds_to_converge(learning_rate))
}

/// Boosting rounds early stopping likely runs at `learning_rate` when the cap allows them
/// (its best round plus the 50 it waits).
pub(super) fn rounds_to_converge(learning_rate: f64) -> f64 {
    50.0 + 20.0 / learning_rate.max(1e-3)
}

/// The algorithm whose measured rate stands in for `algo`'s until one of its own has
/// ended: both boosters make one histogram pass over the rows per tree level, so a
/// symmetric booster is not started blind (on 100k rows its first could take the whole
/// per-candidate cap) and can be scaled down to the time there is.
fn stand_in(algo: Algorithm) -> Option<Algorithm> {
    match algo {
        Algorithm::SymmetricGbdt => Some(Algorithm::Gbdt),
        _ => None,
    }
}

/// Seconds per unit of work, per algorithm and pipeline: a pipeline's matrix width is
/// part of a learner's time (on adult, a forust booster on one-hot columns took 5.4 ms
/// per unit against 1.7–3.2 ms on codes, so a rate measured on codes let a one-hot
/// booster start that the wall then cut off after 10.6 s).
#[derive(Default)]
pub(super) struct CostModel {
    seconds_per_unit: BTreeMap<(Algorithm, Pipeline), f64>,
    /// The fewest seconds a candidate took (or, stopped early, would have taken) in full.
    shortest: Option<f64>,
}

/// The work a definition asks for, in its algorithm's units.
fn units(def: &CandidateDefinition) -> f64 {
    match HyperParams::read(def.algorithm, &def.hyperparameters) {
        Ok(HyperParams::Gbdt(p)) => {
            expected_rounds(p.iterations, p.learning_rate)
                * p.max_depth.max(1) as f64
                * p.subsample
                * p.colsample_bytree
        }
        // One histogram pass over the rows per level.
        Ok(HyperParams::SymmetricGbdt(p)) => {
            expected_rounds(p.iterations, p.learning_rate) * p.depth.max(1) as f64
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
    /// Seconds `def` will likely take, once a candidate of its algorithm has ended: at the
    /// rate measured on its pipeline, else the slowest on another pipeline, else its
    /// stand-in's the same way.
    pub(super) fn estimate(&self, def: &CandidateDefinition) -> Option<f64> {
        let rate = |algo: Algorithm| {
            self.seconds_per_unit
                .get(&(algo, def.pipeline))
                .copied()
                .or_else(|| {
                    Pipeline::ALL
                        .iter()
                        .filter_map(|&p| self.seconds_per_unit.get(&(algo, p)).copied())
                        .reduce(f64::max)
                })
        };
        rate(def.algorithm)
            .or_else(|| rate(stand_in(def.algorithm)?))
            .map(|r| r * units(def))
    }

    /// Learn from a candidate that took, or would have taken, `seconds`: `measured` when
    /// that is its whole training (it trained to the end, or its progress projected
    /// the rest), else it was cut off (its rate is at least this).
    pub(super) fn observe(&mut self, def: &CandidateDefinition, seconds: f64, measured: bool) {
        let rate = seconds / units(def);
        let entry = self
            .seconds_per_unit
            .entry((def.algorithm, def.pipeline))
            .or_insert(rate);
        *entry = if measured { rate } else { entry.max(rate) };
        if measured {
            self.shortest = Some(self.shortest.map_or(seconds, |s| s.min(seconds)));
        }
    }

    /// What to train of `def` in `available` seconds. The search's own definitions
    /// (`own`) are sized to finish within `HEADROOM` of it: as they are when they likely
    /// do, else scaled down (`shrink`), else passed over. A user's train as given when
    /// they likely fit, else not at all. An unknown cost is tried when there is at least
    /// the time the quickest candidate took: on diabetic (81k rows), a random forest,
    /// extra trees and an MLP each started with 1–3 s left, none could finish, and their
    /// matrices took the job's peak memory from 415 to 600 MB.
    pub(super) fn plan(&self, def: &CandidateDefinition, available: f64, own: bool) -> Plan {
        let room = HEADROOM * available;
        match self.estimate(def) {
            None if self.shortest.is_some_and(|s| available < s) => Plan::PassOver,
            None => Plan::AsIs,
            Some(e) if own && e <= room => Plan::AsIs,
            Some(_) if own => self.shrink(def, room).map_or(Plan::PassOver, Plan::Shrunk),
            Some(_) if self.fits(def, available) => Plan::AsIs,
            Some(_) => Plan::PassOver,
        }
    }

    /// Whether `def` can likely finish in `available` seconds (unknown costs can).
    pub(super) fn fits(&self, def: &CandidateDefinition, available: f64) -> bool {
        self.estimate(def).is_none_or(|e| e <= SLACK * available)
    }

    /// `def` with its work scaled down so that it likely finishes in `available` seconds,
    /// when its learner has a knob for that and at least a third of the work is left:
    /// fewer boosting rounds at a proportionally larger learning rate (capped at the
    /// search range's 0.3), fewer trees in a forest, fewer MLP epochs. The definition
    /// stays complete: it is what trains and what the notebook rebuilds. `None` when it
    /// cannot be made to fit.
    pub(super) fn shrink(
        &self,
        def: &CandidateDefinition,
        available: f64,
    ) -> Option<CandidateDefinition> {
        let ratio = available / self.estimate(def)?;
        if !(1.0 / 3.0..1.0).contains(&ratio) {
            return None;
        }
        let mut out = def.clone();
        let h = &mut out.hyperparameters;
        let scaled = |n: usize, floor: usize| -> Option<usize> {
            let m = (n as f64 * ratio).floor() as usize;
            (m >= floor).then_some(m)
        };
        match HyperParams::read(def.algorithm, &def.hyperparameters).ok()? {
            HyperParams::Gbdt(GbdtParams {
                iterations,
                learning_rate,
                ..
            })
            | HyperParams::SymmetricGbdt(SymmetricParams {
                iterations,
                learning_rate,
                ..
            }) => {
                let rate = (learning_rate / ratio).min(0.3);
                // Rounds at the larger rate: as many as the old rate's expected rounds
                // need, scaled by the time there is.
                let rounds = ((iterations as f64) * learning_rate / rate).ceil() as usize;
                h.insert("learning_rate".into(), Value::from(round_to(rate, 3)));
                h.insert("iterations".into(), Value::from(rounds.max(50)));
            }
            HyperParams::RandomForest(p) | HyperParams::ExtraTrees(p) => {
                h.insert(
                    "n_estimators".into(),
                    Value::from(scaled(p.n_estimators, 20)?),
                );
            }
            HyperParams::Mlp(p) => {
                h.insert("max_iter".into(), Value::from(scaled(p.max_iter, 20)?));
            }
            _ => return None,
        }
        self.fits(&out, available).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::automl::learners::{resolve, Params, Task};

    fn definition(algorithm: Algorithm, pairs: &[(&str, f64)]) -> CandidateDefinition {
        let p: Params = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), (*v).into()))
            .collect();
        CandidateDefinition {
            name: "c".into(),
            algorithm,
            pipeline: Pipeline::Dpp0,
            hyperparameters: resolve(algorithm, Task::Regression, &p).unwrap(),
            ranges: Default::default(),
        }
    }

    fn forest(trees: f64) -> CandidateDefinition {
        definition(Algorithm::RandomForest, &[("n_estimators", trees)])
    }

    fn gbdt(iterations: f64, rate: f64) -> CandidateDefinition {
        definition(
            Algorithm::Gbdt,
            &[("iterations", iterations), ("learning_rate", rate)],
        )
    }

    fn param(d: &CandidateDefinition, k: &str) -> f64 {
        d.hyperparameters[k].as_f64().unwrap()
    }

    #[test]
    fn a_smaller_learning_rate_costs_more_rounds() {
        let mut m = CostModel::default();
        m.observe(&gbdt(300.0, 0.2), 1.5, true);
        // 150 expected rounds at 0.2; 450 at 0.05; a cap of 100 iterations is 100 rounds.
        assert!((m.estimate(&gbdt(1000.0, 0.05)).unwrap() - 4.5).abs() < 1e-9);
        assert!((m.estimate(&gbdt(100.0, 0.05)).unwrap() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn work_is_scaled_down_to_the_time_there_is() {
        let mut m = CostModel::default();
        assert!(
            m.shrink(&forest(200.0), 1.0).is_none(),
            "unknown costs are not shrunk"
        );
        m.observe(&forest(100.0), 2.0, true);
        // 200 trees would take 4 s: 3 s holds 150.
        let s = m.shrink(&forest(200.0), 3.0).unwrap();
        assert_eq!(param(&s, "n_estimators"), 150.0);
        assert!(m.shrink(&forest(200.0), 5.0).is_none(), "it fits as it is");
        assert!(
            m.shrink(&forest(200.0), 1.0).is_none(),
            "too little would be left"
        );
        m.observe(&gbdt(300.0, 0.2), 1.5, true);
        // 1,000 rounds at 0.05 (4.5 s) in 3 s: a larger rate, fewer rounds.
        let s = m.shrink(&gbdt(1000.0, 0.05), 3.0).unwrap();
        assert_eq!(param(&s, "learning_rate"), 0.075);
        assert_eq!(param(&s, "iterations"), 667.0);
        assert!(m.fits(&s, 3.0));
        // The rate stays in the search range.
        assert!(m.shrink(&gbdt(300.0, 0.25), 0.5).is_none());
    }

    #[test]
    fn the_search_sizes_its_own_definitions_with_room_to_spare() {
        let mut m = CostModel::default();
        assert_eq!(
            m.plan(&forest(200.0), 1.0, true),
            Plan::AsIs,
            "unknown cost"
        );
        m.observe(&forest(100.0), 2.0, true);
        // An unknown cost needs at least the quickest candidate's time (2 s).
        let mlp = definition(Algorithm::Mlp, &[("max_iter", 50.0)]);
        assert_eq!(m.plan(&mlp, 2.5, true), Plan::AsIs);
        assert_eq!(m.plan(&mlp, 1.5, true), Plan::PassOver);
        assert_eq!(m.plan(&mlp, 1.5, false), Plan::PassOver);
        // 200 trees take about 4 s.
        assert_eq!(m.plan(&forest(200.0), 5.0, true), Plan::AsIs);
        // In 4.4 s: 4 s is past 85% of it (3.74 s), so 187 trees.
        let Plan::Shrunk(s) = m.plan(&forest(200.0), 4.4, true) else {
            panic!("not shrunk")
        };
        assert_eq!(param(&s, "n_estimators"), 187.0);
        assert!(m.estimate(&s).unwrap() <= 0.85 * 4.4);
        assert_eq!(m.plan(&forest(200.0), 1.0, true), Plan::PassOver);
        // A user's definition trains as given while within the slack, else not at all.
        assert_eq!(m.plan(&forest(200.0), 3.5, false), Plan::AsIs);
        assert_eq!(m.plan(&forest(200.0), 3.0, false), Plan::PassOver);
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

    #[test]
    fn each_pipeline_has_its_own_rate() {
        let on = |d: CandidateDefinition, pipeline| CandidateDefinition { pipeline, ..d };
        let mut m = CostModel::default();
        m.observe(&on(gbdt(300.0, 0.2), Pipeline::Dpp0), 1.0, true);
        // No one-hot booster has ended: it takes the codes' rate.
        assert!((m.estimate(&on(gbdt(300.0, 0.2), Pipeline::Dpp2)).unwrap() - 1.0).abs() < 1e-9);
        m.observe(&on(gbdt(300.0, 0.2), Pipeline::Dpp2), 3.0, true);
        assert!((m.estimate(&on(gbdt(300.0, 0.2), Pipeline::Dpp2)).unwrap() - 3.0).abs() < 1e-9);
        // A later booster on codes does not overwrite the one-hot rate.
        m.observe(&on(gbdt(300.0, 0.2), Pipeline::Dpp0), 0.5, true);
        assert!((m.estimate(&on(gbdt(300.0, 0.2), Pipeline::Dpp0)).unwrap() - 0.5).abs() < 1e-9);
        assert!((m.estimate(&on(gbdt(300.0, 0.2), Pipeline::Dpp2)).unwrap() - 3.0).abs() < 1e-9);
        // A pipeline never measured takes the slowest measured one.
        assert!((m.estimate(&on(gbdt(300.0, 0.2), Pipeline::Dpp1)).unwrap() - 3.0).abs() < 1e-9);
    }

    #[test]
    fn a_symmetric_booster_borrows_the_forust_rate_until_its_own_is_measured() {
        let symmetric = |iterations: f64| {
            definition(
                Algorithm::SymmetricGbdt,
                &[
                    ("iterations", iterations),
                    ("learning_rate", 0.1),
                    ("depth", 6.0),
                ],
            )
        };
        let mut m = CostModel::default();
        assert!(m.estimate(&symmetric(2000.0)).is_none());
        // 150 rounds × depth 6 (the default) in 0.9 s: 1e-3 s per unit.
        m.observe(&gbdt(300.0, 0.2), 0.9, true);
        // 250 expected rounds × depth 6.
        assert!((m.estimate(&symmetric(2000.0)).unwrap() - 1.5).abs() < 1e-9);
        m.observe(&symmetric(2000.0), 3.0, true);
        assert!((m.estimate(&symmetric(2000.0)).unwrap() - 3.0).abs() < 1e-9);
    }
}
