//! Jobs end to end inside the engine: candidates round-trip through JSON with identical
//! predictions, limits are honoured, and results are reproducible.

use std::path::PathBuf;

use glassbox_engine::automl::features::Pipeline;
use glassbox_engine::automl::job::{
    run_job, CandidateResult, JobObserver, JobSpec, SecondaryStatus,
};
use glassbox_engine::automl::learners::Algorithm;
use glassbox_engine::automl::metrics::Predictions;
use glassbox_engine::automl::model::{CandidateModel, Member};
use glassbox_engine::data::{read_file, Column, RawTable, ReadOptions, Table, TypeOverrides};
use glassbox_engine::{explain, EngineError};

/// A shared data set; the test fails, saying where it looked, when it is missing.
fn table(name: &str, target: &str) -> Table {
    let p = manifest_dir().join("../../shared/datasets").join(name);
    assert!(
        p.exists(),
        "{} not found: these tests need the shared data sets in ../shared/datasets",
        p.display()
    );
    let raw = read_file(&p, &ReadOptions::default()).unwrap();
    Table::from_raw(raw, Some(target), &TypeOverrides::new()).unwrap()
}

/// Checks every candidate as it finishes: save, load, predict the same. An ensemble's
/// saved form names its members, which load from their own saved forms.
struct RoundTrip<'a> {
    table: &'a Table,
    checked: usize,
    algorithms: Vec<Option<Algorithm>>,
    saved: std::collections::HashMap<String, String>,
}

/// The number in a candidate's name: `cand-012-…` → 12.
fn number(name: &str) -> &str {
    name.split('-').nth(1).unwrap_or(name)
}

impl JobObserver for RoundTrip<'_> {
    fn on_candidate(
        &mut self,
        result: &CandidateResult,
        fitted: Option<(&CandidateModel, &Predictions)>,
    ) {
        let model = fitted.map(|(m, _)| m);
        let Some(model) = model else {
            return;
        };
        // Every candidate has a number of its own (the ensemble's comes after them all).
        assert!(
            !self.saved.keys().any(|n| number(n) == number(&result.name)),
            "{} takes the number of an earlier candidate: {:?}",
            result.name,
            self.saved.keys().collect::<Vec<_>>()
        );
        let json = serde_json::to_string(model).unwrap();
        let mut loaded: CandidateModel = serde_json::from_str(&json).unwrap();
        let saved = &self.saved;
        loaded
            .resolve_members(|n| {
                Ok(serde_json::from_str(saved.get(n).expect("members are saved first")).unwrap())
            })
            .unwrap();
        // An ensemble comes naming its members, candidates given before it: it predicts
        // once they are read back (each member's own round trip was checked as it came).
        let model = if model.members.is_empty() {
            model
        } else {
            assert!(
                model
                    .members
                    .iter()
                    .all(|(_, m)| matches!(m, Member::Named(_))),
                "{}: an ensemble names its members, it does not hold them",
                result.name
            );
            // Members load side by side, keep their order and weights, and a member that
            // cannot be read fails the load with its own error.
            let names = |m: &CandidateModel| -> Vec<(f64, String)> {
                m.members
                    .iter()
                    .map(|(w, m)| (*w, m.name().to_string()))
                    .collect()
            };
            assert_eq!(names(&loaded), names(model));
            let last = names(model).pop().unwrap().1;
            let mut broken: CandidateModel = serde_json::from_str(&json).unwrap();
            let err = broken
                .resolve_members(|n| match n == last {
                    true => Err(EngineError::invalid("model", format!("{n} is gone"))),
                    false => Ok(serde_json::from_str(&saved[n]).unwrap()),
                })
                .unwrap_err();
            assert!(err.to_string().contains(&last), "{err}");
            &loaded
        };
        let cols: Vec<&Column> = self.table.columns.iter().collect();
        let rows: Vec<usize> = (0..self.table.n_rows()).collect();
        let before = model.predict_columns(&cols, &rows).unwrap();
        assert_eq!(
            loaded.predict_columns(&cols, &rows).unwrap(),
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
        if !model.members.is_empty() {
            assert!(
                json.len() < 4096,
                "an ensemble's file names its members: {} bytes",
                json.len()
            );
        }
        if explain::method_for(model) == explain::Method::TreeSHAP {
            tables_explain_as_row_by_row(model, &self.table.raw, &result.name);
        }
        self.saved.insert(result.name.clone(), json);
        self.checked += 1;
        self.algorithms.push(result.algorithm);
    }
}

/// TreeSHAP of 64 rows at once (where a tree's per-leaf tables pay, trees taken one at a
/// time over the rows) gives each row what explaining it alone gives (Algorithm 2: one row
/// never pays for a table on trees deeper than 1).
fn tables_explain_as_row_by_row(model: &CandidateModel, raw: &RawTable, name: &str) {
    let cols = model.columns_for(raw).unwrap();
    let refs: Vec<&Column> = cols.iter().collect();
    let request = |rows: &[usize]| {
        explain::explain(&explain::ExplainRequest {
            model,
            columns: &refs,
            rows,
            background: &[],
            deadline: None,
            first_row_deadline: None,
            seed: 0,
        })
    };
    let rows: Vec<usize> = (0..64.min(raw.height()))
        .map(|i| i * 5 % raw.height())
        .collect();
    let together = request(&rows);
    assert_eq!(together.rows.len(), rows.len(), "{name}");
    for (i, &r) in rows.iter().enumerate() {
        let alone = request(&[r]);
        let (a, b) = (&together.rows[i], &alone.rows[0]);
        for (x, y) in a
            .shap
            .iter()
            .chain(&a.prediction)
            .zip(b.shap.iter().chain(&b.prediction))
        {
            assert!(
                (x - y).abs() <= 1e-9 * (1.0 + y.abs()),
                "{name} row {r}: {x} together, {y} alone"
            );
        }
    }
}

#[test]
fn every_candidate_round_trips() {
    let t = table("penguins.csv", "species");
    let mut spec = JobSpec::new("species");
    // The portfolio's first eight: every algorithm at least once.
    spec.max_candidates = Some(8);
    let mut obs = RoundTrip {
        table: &t,
        checked: 0,
        algorithms: vec![],
        saved: Default::default(),
    };
    let out = run_job(&t, &spec, None, &mut obs).unwrap();
    assert!(obs.checked >= 8, "checked {}", obs.checked);
    for a in [
        Algorithm::Gbdt,
        Algorithm::SymmetricGbdt,
        Algorithm::Linear,
        Algorithm::RandomForest,
        Algorithm::ExtraTrees,
        Algorithm::Knn,
        Algorithm::Mlp,
    ] {
        assert!(obs.algorithms.contains(&Some(a)), "{a:?} was tried");
    }
    assert_eq!(out.secondary_status, SecondaryStatus::CandidateLimitReached);
    assert!(
        out.candidates[0].objective.unwrap() > 0.95,
        "penguins are easy"
    );
}

#[test]
fn regression_with_missing_values_and_categories() {
    let t = table("california_housing.csv", "median_house_value");
    let mut spec = JobSpec::new("median_house_value");
    spec.max_candidates = Some(2);
    spec.algorithms = Some(vec![Algorithm::Linear, Algorithm::Gbdt]);
    let mut obs = RoundTrip {
        table: &t,
        checked: 0,
        algorithms: vec![],
        saved: Default::default(),
    };
    let out = run_job(&t, &spec, None, &mut obs).unwrap();
    let r2 = out.candidates[0]
        .metrics
        .iter()
        .find(|m| m.metric.as_str() == "R2")
        .unwrap()
        .value;
    assert!(r2 > 0.75, "R² {r2}");
    // A regression target is not stratified, and the name says so.
    assert_eq!(out.resolved.validation, "5-fold");
}

#[test]
fn hpo_mode_uses_successive_halving() {
    use glassbox_engine::automl::job::{Mode, Quiet};
    let t = table("penguins.csv", "species");
    let mut spec = JobSpec::new("species");
    spec.algorithms = Some(vec![Algorithm::Gbdt]);
    spec.max_candidates = Some(5);
    spec.mode = Mode::HyperparameterTuning;
    let out = run_job(&t, &spec, None, &mut Quiet).unwrap();
    // Four portfolio candidates, then one bracket of 4 + 2 low-fidelity trials.
    assert_eq!(out.candidates.len(), 5);
    assert_eq!(out.low_fidelity_trials, 6);
    assert!(
        out.candidates.iter().all(|c| c.algorithm.is_some()),
        "no ensemble in HPO mode"
    );
    spec.mode = Mode::Ensembling;
    let out = run_job(&t, &spec, None, &mut Quiet).unwrap();
    assert_eq!(out.low_fidelity_trials, 0);
}

/// Where `algorithm` first appears among the definitions a job on `name` offers.
fn first_place(name: &str, target: &str, algorithm: Algorithm) -> Option<usize> {
    offered(name, target)
        .iter()
        .position(|d| d.algorithm == algorithm)
}

#[test]
fn on_large_data_the_mlp_trains_after_the_boosters_second_round() {
    // Adult, 39k training rows per fold: the boosters' first two, both symmetric boosters
    // (the deep one too: that many rows), linear, random forest, extra trees (kNN is left
    // out as too slow there), the boosters' next two, linear, then the MLP.
    assert_eq!(first_place("adult.csv", "income", Algorithm::Mlp), Some(10));
    assert_eq!(
        first_place("adult.csv", "income", Algorithm::Linear),
        Some(4),
        "after the four boosters"
    );
    // Penguins: every algorithm in the first round, the MLP last of it.
    assert_eq!(
        first_place("penguins.csv", "species", Algorithm::Mlp),
        Some(7)
    );
}

/// The definitions a job on `name` offers.
fn offered(name: &str, target: &str) -> Vec<glassbox_engine::automl::job::CandidateDefinition> {
    use glassbox_engine::automl::job::{prepare, run_prepared, Quiet};
    let t = table(name, target);
    let mut spec = JobSpec::new(target);
    spec.candidates_only = true;
    let prep = prepare(&t, &spec, None).unwrap();
    run_prepared(&t, &spec, &prep, None, None, &mut Quiet).definitions
}

/// The column share and its search range of every forust booster a job on `name` offers,
/// and the share of columns per split of its random forest.
fn column_shares(name: &str, target: &str) -> (Vec<(f64, f64, f64)>, f64) {
    use glassbox_engine::automl::learners::Range;
    let defs = offered(name, target);
    let boosters = defs
        .iter()
        .filter(|d| d.algorithm == Algorithm::Gbdt)
        .map(|d| {
            let share = d.hyperparameters["colsample_bytree"].as_f64().unwrap();
            match d.ranges["colsample_bytree"] {
                Range::Float { low, high, .. } => (share, low, high),
                ref r => panic!("{}: colsample_bytree's range is {r:?}", d.name),
            }
        })
        .collect();
    let forest = defs
        .iter()
        .find(|d| d.algorithm == Algorithm::RandomForest)
        .map(|d| d.hyperparameters["max_features"].as_f64().unwrap())
        .unwrap();
    (boosters, forest)
}

#[test]
fn trees_scan_a_share_of_a_wide_text_matrix() {
    // Adult's 14 columns: the portfolio's shares and the standard range, untouched; the
    // forest's split scans √14 of them.
    let (adult, forest) = column_shares("adult.csv", "income");
    assert_eq!(
        adult.iter().map(|s| s.0).collect::<Vec<_>>(),
        [1.0, 0.8, 1.0, 0.6]
    );
    assert!(adult
        .iter()
        .all(|&(_, low, high)| (low, high) == (0.4, 1.0)));
    assert!((forest - 14f64.sqrt() / 14.0).abs() < 1e-9, "{forest}");
    // The clothing reviews: 7 columns and 300 terms for each of two text columns, so a
    // booster's tree that samples every column scans about 100 of the 607, and a forest's
    // split √607 (at least the smallest share, 0.05).
    let (text, forest) = column_shares("womens_clothing_ecommerce_reviews.csv", "Recommended IND");
    assert_eq!(text.len(), 4);
    let share = 0.165;
    for (got, want) in text.iter().zip([1.0, 0.8, 1.0, 0.6]) {
        assert!((got.0 - want * share).abs() < 1e-9, "{text:?}");
        assert!((got.1 - 0.4 * share).abs() < 1e-9 && (got.2 - share).abs() < 1e-9);
        assert!(
            (got.1..=got.2).contains(&got.0),
            "the entry lies in its range"
        );
    }
    assert_eq!(forest, 0.05);
}

#[test]
fn chosen_definitions_restrict_the_search_to_their_arms_and_ranges() {
    use glassbox_engine::automl::job::{prepare, run_prepared, Quiet};
    use glassbox_engine::automl::learners::Range;
    let t = table("penguins.csv", "species");
    let mut spec = JobSpec::new("species");
    spec.candidates_only = true;
    spec.max_candidates = Some(7);
    spec.seed = 5;
    let prep = prepare(&t, &spec, None).unwrap();
    let offered = run_prepared(&t, &spec, &prep, None, None, &mut Quiet);
    assert_eq!(
        offered.secondary_status,
        SecondaryStatus::CandidateDefinitionsGenerated
    );
    assert!(offered.candidates.is_empty(), "nothing trained yet");
    let mut chosen: Vec<_> = offered
        .definitions
        .iter()
        .filter(|d| d.algorithm == Algorithm::Gbdt && d.pipeline == Pipeline::Dpp0)
        .take(1)
        .cloned()
        .collect();
    assert_eq!(chosen.len(), 1);
    let narrowed = Range::Float {
        low: 0.05,
        high: 0.08,
        log: true,
    };
    narrowed
        .check_edit(&chosen[0].ranges["learning_rate"])
        .unwrap();
    chosen[0]
        .ranges
        .insert("learning_rate".into(), narrowed.clone());
    let done = run_prepared(&t, &spec, &prep, Some(chosen.clone()), None, &mut Quiet);
    let trained = done
        .candidates
        .iter()
        .filter(|c| c.algorithm.is_some())
        .count();
    assert_eq!(
        trained, 7,
        "the limit counts the chosen and the searched ones"
    );
    // (The candidates are ranked: the chosen one is found by its name.)
    assert!(
        done.candidates.iter().any(|c| c.name == chosen[0].name),
        "the chosen one trained"
    );
    let mut names: Vec<&str> = done.candidates.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names.len(),
        done.candidates.len(),
        "new candidates get new names"
    );
    for c in done.candidates.iter().filter(|c| c.name != chosen[0].name) {
        if c.algorithm.is_none() {
            continue; // the ensemble
        }
        assert_eq!(c.algorithm, Some(Algorithm::Gbdt), "{}", c.name);
        assert_eq!(c.pipeline, Some(Pipeline::Dpp0));
        let lr = c.hyperparameters["learning_rate"].as_f64().unwrap();
        assert!((0.05..=0.08).contains(&lr), "{} learning_rate {lr}", c.name);
    }
    // Edits that do not fit are refused.
    let original = &offered.definitions[0].ranges["learning_rate"];
    for bad in [
        Range::Float {
            low: 0.3,
            high: 0.1,
            log: false,
        },
        Range::Float {
            low: 0.0,
            high: 0.1,
            log: true,
        },
        Range::Int {
            low: 1,
            high: 2,
            log: false,
        },
    ] {
        assert!(bad.check_edit(original).is_err(), "{bad:?}");
    }
}

/// A definition for a binary target (adult's income): `algorithm` on its first pipeline,
/// with `pairs` over its defaults.
fn binary_definition(
    name: &str,
    algorithm: Algorithm,
    pairs: &[(&str, f64)],
) -> glassbox_engine::automl::job::CandidateDefinition {
    use glassbox_engine::automl::learners::{resolve, Params, Task};
    let p: Params = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
        .collect();
    glassbox_engine::automl::job::CandidateDefinition {
        name: name.into(),
        algorithm,
        pipeline: algorithm.pipelines()[0],
        hyperparameters: resolve(algorithm, Task::Classification { n_classes: 2 }, &p).unwrap(),
        ranges: Default::default(),
    }
}

/// A candidate cut off by a time limit is never a Completed candidate: it is Stopped,
/// with the reason, and left off the ranking; what completed trained as defined.
#[test]
fn a_candidate_cut_off_by_the_deadline_is_stopped_not_ranked() {
    use glassbox_engine::automl::job::{prepare, run_prepared, CandidateStatus, Quiet};
    let t = table("adult.csv", "income");
    let mut spec = JobSpec::new("income");
    spec.max_runtime_per_candidate = Some(1.0);
    let prep = prepare(&t, &spec, None).unwrap();
    // A forest far too large for one second, and an MLP with many epochs.
    let chosen = vec![
        binary_definition(
            "cand-001-random-forest-dpp0",
            Algorithm::RandomForest,
            &[("n_estimators", 5000.0)],
        ),
        binary_definition(
            "cand-002-mlp-dpp1",
            Algorithm::Mlp,
            &[("max_iter", 5000.0), ("hidden_layer_sizes", 256.0)],
        ),
    ];
    spec.max_candidates = Some(2);
    let out = run_prepared(&t, &spec, &prep, Some(chosen), None, &mut Quiet);
    assert_eq!(out.candidates.len(), 2);
    for c in &out.candidates {
        assert_eq!(
            c.status,
            CandidateStatus::Stopped,
            "{}: {:?}",
            c.name,
            c.failure_reason
        );
        let why = c.failure_reason.as_deref().unwrap_or("");
        assert!(why.contains("time limit"), "{}: {why}", c.name);
        assert!(c.objective.is_none(), "{} has no leaderboard value", c.name);
    }
    assert_eq!(out.best, None, "nothing truncated is ranked best");
}

#[test]
fn a_candidate_whose_progress_shows_it_cannot_finish_stops_there() {
    use glassbox_engine::automl::job::{prepare, run_prepared, CandidateStatus, Quiet};
    let t = table("adult.csv", "income");
    let mut spec = JobSpec::new("income");
    spec.max_candidates = Some(1);
    // A forest grows every tree of every fold (no early stopping) and says how many it has.
    let forest = binary_definition(
        "cand-001-random-forest-dpp0",
        Algorithm::RandomForest,
        &[("n_estimators", 40.0)],
    );
    // Its whole time on this machine, unlimited...
    let prep = prepare(&t, &spec, None).unwrap();
    let out = run_prepared(
        &t,
        &spec,
        &prep,
        Some(vec![forest.clone()]),
        None,
        &mut Quiet,
    );
    let whole = &out.candidates[0];
    assert_eq!(whole.status, CandidateStatus::Completed);
    let folds = prep.split.folds.len();
    assert!(folds >= 3, "{folds} folds");
    // ...then a limit that holds two of its folds but not all: it stops before the limit.
    let limit = whole.train_seconds * 2.0 / folds as f64;
    spec.max_runtime_per_candidate = Some(limit);
    let prep = prepare(&t, &spec, None).unwrap();
    let out = run_prepared(&t, &spec, &prep, Some(vec![forest]), None, &mut Quiet);
    let c = &out.candidates[0];
    assert_eq!(c.status, CandidateStatus::Stopped, "{:?}", c.failure_reason);
    let why = c.failure_reason.as_deref().unwrap_or("");
    assert!(why.starts_with("stopped early: "), "{why}");
    assert!(
        c.train_seconds < limit,
        "stopped after {:.1} s, its limit {limit:.1} s",
        c.train_seconds
    );
}

/// The crate's folder where the test runs (cargo sets it at run time), so a test binary
/// built elsewhere still finds the tree it is run on.
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}
