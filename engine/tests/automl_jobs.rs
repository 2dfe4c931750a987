//! Jobs end to end inside the engine: candidates round-trip through JSON with identical
//! predictions, limits are honoured, and results are reproducible.

use std::path::PathBuf;

use glassbox_engine::automl::job::{
    run_job, CandidateResult, JobObserver, JobSpec, SecondaryStatus,
};
use glassbox_engine::automl::learners::Algorithm;
use glassbox_engine::automl::model::CandidateModel;
use glassbox_engine::data::{read_file, Column, ReadOptions, Table, TypeOverrides};

fn table(name: &str, target: &str) -> Option<Table> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/datasets")
        .join(name);
    if !p.exists() {
        eprintln!("skipping: {} not found", p.display());
        return None;
    }
    let raw = read_file(&p, &ReadOptions::default()).unwrap();
    Some(Table::from_raw(raw, Some(target), &TypeOverrides::new()).unwrap())
}

/// Checks every candidate as it finishes: save, load, predict the same.
struct RoundTrip<'a> {
    table: &'a Table,
    checked: usize,
    algorithms: Vec<Option<Algorithm>>,
}

impl JobObserver for RoundTrip<'_> {
    fn on_candidate(&mut self, result: &CandidateResult, model: &CandidateModel) {
        let cols: Vec<&Column> = self.table.columns.iter().collect();
        let rows: Vec<usize> = (0..self.table.n_rows()).collect();
        let before = model.predict_columns(&cols, &rows);
        let json = serde_json::to_string(model).unwrap();
        let loaded: CandidateModel = serde_json::from_str(&json).unwrap();
        assert_eq!(
            loaded.predict_columns(&cols, &rows),
            before,
            "{} predicts the same after loading",
            result.name
        );
        // And through the reader path `predict` uses, from the raw file.
        assert_eq!(
            loaded.predict_raw(&self.table.raw).unwrap(),
            before,
            "{} via predict_raw",
            result.name
        );
        self.checked += 1;
        self.algorithms.push(result.algorithm);
    }
}

#[test]
fn every_candidate_round_trips() {
    let Some(t) = table("penguins.csv", "species") else {
        return;
    };
    let mut spec = JobSpec::new("species");
    spec.max_candidates = Some(7);
    let mut obs = RoundTrip {
        table: &t,
        checked: 0,
        algorithms: vec![],
    };
    let out = run_job(&t, &spec, None, &mut obs).unwrap();
    assert!(obs.checked >= 7, "checked {}", obs.checked);
    for a in [
        Algorithm::Gbdt,
        Algorithm::Linear,
        Algorithm::RandomForest,
        Algorithm::ExtraTrees,
        Algorithm::Knn,
    ] {
        assert!(obs.algorithms.contains(&Some(a)), "{a:?} was tried");
    }
    assert_eq!(out.secondary_status, SecondaryStatus::MaxCandidatesReached);
    assert!(
        out.candidates[0].objective.unwrap() > 0.95,
        "penguins are easy"
    );
}

#[test]
fn regression_with_missing_values_and_categories() {
    let Some(t) = table("california_housing.csv", "median_house_value") else {
        return;
    };
    let mut spec = JobSpec::new("median_house_value");
    spec.max_candidates = Some(2);
    spec.algorithms = Some(vec![Algorithm::Linear, Algorithm::Gbdt]);
    let mut obs = RoundTrip {
        table: &t,
        checked: 0,
        algorithms: vec![],
    };
    let out = run_job(&t, &spec, None, &mut obs).unwrap();
    let r2 = out.candidates[0]
        .metrics
        .iter()
        .find(|m| m.metric.as_str() == "R2")
        .unwrap()
        .value;
    assert!(r2 > 0.75, "R² {r2}");
    assert_eq!(out.resolved.validation, "stratified 3-fold");
}

#[test]
fn hpo_mode_uses_successive_halving() {
    use glassbox_engine::automl::job::{Mode, Quiet};
    let Some(t) = table("penguins.csv", "species") else {
        return;
    };
    let mut spec = JobSpec::new("species");
    spec.algorithms = Some(vec![Algorithm::Gbdt]);
    spec.max_candidates = Some(5);
    spec.mode = Mode::HyperparameterTuning;
    let out = run_job(&t, &spec, None, &mut Quiet).unwrap();
    // Three portfolio candidates, then two brackets of 4 + 2 low-fidelity trials each.
    assert_eq!(out.candidates.len(), 5);
    assert_eq!(out.low_fidelity_trials, 12);
    assert!(
        out.candidates.iter().all(|c| c.algorithm.is_some()),
        "no ensemble in HPO mode"
    );
    spec.mode = Mode::Ensembling;
    let out = run_job(&t, &spec, None, &mut Quiet).unwrap();
    assert_eq!(out.low_fidelity_trials, 0);
}
