use super::*;
use crate::automl::metrics::{compute, Metric, Truth};
use crate::common::Rng;

/// y = 1 when x0 + x1² > 1 (with a little label noise); x2 is noise.
fn synthetic(n: usize, seed: u64, regression: bool) -> (Matrix, Vec<f64>) {
    let mut rng = Rng::new(seed);
    let mut cols: Vec<Vec<f64>> = (0..3).map(|_| Vec::with_capacity(n)).collect();
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let (a, b, c) = (
            rng.next_f64() * 2.0,
            rng.next_f64() * 2.0 - 1.0,
            rng.next_f64(),
        );
        cols[0].push(a);
        cols[1].push(b);
        cols[2].push(c);
        let v = a + b * b;
        y.push(if regression {
            3.0 * v + 0.1 * rng.next_f64()
        } else {
            f64::from((v > 1.0) ^ (rng.next_f64() < 0.03))
        });
    }
    (Matrix::from_columns(n, cols), y)
}

fn check(algo: Algorithm, regression: bool) -> f64 {
    let task = if regression {
        Task::Regression
    } else {
        Task::Classification { n_classes: 2 }
    };
    let (x, y) = synthetic(1500, 1, regression);
    let (xv, yv) = synthetic(500, 2, regression);
    let params = HyperParams::read(algo, &portfolio(algo, task, x.cols, x.rows)[0]).unwrap();
    let mut m = AnyModel::new(&params, task, x.cols);
    let w = vec![1.0; y.len()];
    // With an evaluation set, as jobs train (early stopping state must save too).
    m.fit(&TrainData {
        x: &x,
        y: &y,
        weights: &w,
        eval: Some((&xv, &yv)),
        categories: &[],
        deadline: Deadline::default(),
        seed: 0,
    })
    .unwrap();
    let pred = m.predict(&xv);
    // Save and load: identical predictions.
    let json = serde_json::to_string(&m).unwrap();
    let back: AnyModel = serde_json::from_str(&json).unwrap();
    assert_eq!(back.predict(&xv), pred, "{algo:?} round trip");
    assert_eq!(m.feature_importance().len(), 3);
    if regression {
        compute(Metric::R2, &Truth::Values(&yv), &pred).unwrap()
    } else {
        let yc: Vec<usize> = yv.iter().map(|&v| v as usize).collect();
        compute(
            Metric::AUC,
            &Truth::Classes {
                y: &yc,
                k: 2,
                positive: 1,
            },
            &pred,
        )
        .unwrap()
    }
}

#[test]
fn every_learner_learns_well_above_chance() {
    for algo in ALL_ALGORITHMS {
        let auc = check(algo, false);
        // A linear model cannot fit x1² but still beats chance clearly.
        let floor = if algo == Algorithm::Linear {
            0.75
        } else {
            0.93
        };
        assert!(auc > floor, "{algo:?} classification AUC {auc}");
        let r2 = check(algo, true);
        let floor = if algo == Algorithm::Linear { 0.7 } else { 0.9 };
        assert!(r2 > floor, "{algo:?} regression R² {r2}");
    }
}

#[test]
fn a_cancelled_learner_gives_up_before_its_deadline() {
    let (x, y) = synthetic(1500, 1, false);
    let task = Task::Classification { n_classes: 2 };
    let cancelled = AtomicBool::new(true);
    // A deadline an hour away: only the flag can stop them. Forust's booster has no
    // look inside one fit (the trainer looks between folds), kNN has no steps.
    for algo in [
        Algorithm::SymmetricGbdt,
        Algorithm::Linear,
        Algorithm::RandomForest,
        Algorithm::ExtraTrees,
        Algorithm::Mlp,
    ] {
        let params = HyperParams::read(algo, &portfolio(algo, task, x.cols, x.rows)[0]).unwrap();
        let mut m = AnyModel::new(&params, task, x.cols);
        let fitted = m.fit(&TrainData {
            x: &x,
            y: &y,
            weights: &vec![1.0; y.len()],
            eval: None,
            categories: &[],
            deadline: Deadline {
                at: Some(Instant::now() + std::time::Duration::from_secs(3600)),
                cancelled: Some(&cancelled),
                progress: None,
            },
            seed: 0,
        });
        assert!(
            matches!(fitted, Err(FitError::OutOfTime(_))),
            "{algo:?}: {fitted:?}"
        );
    }
}

#[test]
fn multiclass_everywhere() {
    let mut rng = Rng::new(5);
    let n = 900;
    let mut cols = vec![Vec::new(); 2];
    let mut y = Vec::new();
    for i in 0..n {
        let c = i % 3;
        cols[0].push(c as f64 + rng.next_f64() * 0.8);
        cols[1].push(rng.next_f64());
        y.push(c as f64);
    }
    let x = Matrix::from_columns(n, cols);
    let task = Task::Classification { n_classes: 3 };
    for algo in ALL_ALGORITHMS {
        let params = HyperParams::read(algo, &portfolio(algo, task, 2, n)[0]).unwrap();
        let mut m = AnyModel::new(&params, task, 2);
        let w = vec![1.0; n];
        m.fit(&TrainData {
            x: &x,
            y: &y,
            weights: &w,
            eval: None,
            categories: &[],
            deadline: Deadline::default(),
            seed: 0,
        })
        .unwrap();
        let pred = m.predict(&x);
        let yc: Vec<usize> = y.iter().map(|&v| v as usize).collect();
        let acc = compute(
            Metric::Accuracy,
            &Truth::Classes {
                y: &yc,
                k: 3,
                positive: 0,
            },
            &pred,
        )
        .unwrap();
        assert!(acc > 0.9, "{algo:?} multiclass accuracy {acc}");
        if let Predictions::Proba { p, k } = &pred {
            assert_eq!(*k, 3);
            for row in p.chunks(3) {
                assert!(
                    (row.iter().sum::<f64>() - 1.0).abs() < 1e-9,
                    "{algo:?} probabilities sum to 1"
                );
            }
        } else {
            panic!("{algo:?} gives probabilities");
        }
    }
}
