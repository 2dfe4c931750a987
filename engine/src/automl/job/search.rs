//! Where candidates come from: the starting portfolio (interleaved across algorithms),
//! then proposals on the (algorithm, pipeline) arms: an epsilon-greedy choice of arm, and
//! hyperparameters from a Tree-structured Parzen Estimator once the arm has six trials,
//! before that from a local perturbation of the arm's best (a random draw on an arm not
//! yet tried). A booster's rounds are enough for its learning rate. Every definition's
//! hyperparameters are resolved to the complete set.

use std::collections::{BTreeMap, VecDeque};

use serde_json::Value;

use super::cost::rounds_to_converge;
use super::prepare::Prepared;
use super::types::CandidateDefinition;
use crate::automl::features::Pipeline;
use crate::automl::learners::{
    column_share, portfolio, resolve, scale_column_range, scale_column_sample, search_space,
    Algorithm, Params, Range, Task,
};
use crate::common::{round_to, Rng};

fn gaussian(rng: &mut Rng) -> f64 {
    let u1 = rng.next_f64().max(1e-12);
    let u2 = rng.next_f64();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn sample_param(range: &Range, around: Option<&Value>, rng: &mut Rng) -> Value {
    match range {
        Range::Float { low, high, log } => {
            let v = match (around.and_then(Value::as_f64), log) {
                (Some(c), true) => c * (0.5 * gaussian(rng)).exp(),
                (Some(c), false) => c + 0.15 * (high - low) * gaussian(rng),
                (None, true) => (low.ln() + rng.next_f64() * (high.ln() - low.ln())).exp(),
                (None, false) => low + rng.next_f64() * (high - low),
            };
            Value::from(round_to(v.clamp(*low, *high), 3))
        }
        Range::Int { low, high, log } => {
            let (lo, hi) = (*low as f64, *high as f64);
            let v = match (around.and_then(Value::as_f64), log) {
                (Some(c), true) => c * (0.5 * gaussian(rng)).exp(),
                (Some(c), false) => c + 0.15 * (hi - lo) * gaussian(rng),
                (None, true) => (lo.ln() + rng.next_f64() * (hi.ln() - lo.ln())).exp(),
                (None, false) => lo + rng.next_f64() * (hi - lo),
            };
            Value::from(v.round().clamp(lo, hi) as i64)
        }
        Range::Choice { values } => match around {
            Some(c) if values.contains(c) && rng.next_f64() > 0.2 => c.clone(),
            _ => values[rng.below(values.len())].clone(),
        },
    }
}

/// Whether kNN on this much data would take too long to be worth trying.
fn knn_too_large(n_train: usize, n_valid: usize, cols: usize) -> bool {
    (n_train as f64) * (n_valid as f64) * (cols.max(1) as f64) > 4e9
}

/// Portfolio entries each gradient-boosting family (forust's trees and symmetric trees)
/// takes in each round of the round-robin below.
const BOOSTING_TURNS: usize = 2;

/// From this many training rows per fold, the MLP takes its first entry in the second
/// round of the round-robin below, after the boosters' second ones. On large data it is
/// the slowest family to train and the one least often in the ensemble: on adult (31k
/// rows per fold, 60 s) it took 11.5 s to train and 3 s to explain, for an AUC of 0.911
/// against the boosters' 0.929, while the strong booster after it ran out of time. On
/// smaller data every family trains in the first round.
const MLP_LATE_FROM_ROWS: usize = 10_000;

/// The portfolio in the order it trains: a round-robin over the algorithms in which each
/// gradient-boosting family, the strongest on most tabular data, takes two entries per
/// round (forust's first entry is the cheap one, for a first leaderboard row within
/// seconds and a measured cost). So a 60 s job on 20k rows has four strong boosters
/// early, one of every other family next (diversity for the ensemble, and a small
/// candidate cap still tries every algorithm), and its remaining boosters before the
/// families' second entries; on large data the MLP comes after those boosters
/// (`MLP_LATE_FROM_ROWS`).
pub(super) fn initial_definitions(
    prep: &Prepared,
    algorithms: &[Algorithm],
) -> Vec<CandidateDefinition> {
    let (n_train, n_valid) = (prep.split.folds[0].0.len(), prep.split.folds[0].1.len());
    // A forest's share of columns per split, and kNN's distances, are of its pipeline's
    // matrix: with 300 TF-IDF terms per text column, a share of the input columns scans
    // hundreds.
    let width = |a: Algorithm| pipeline_width(prep, a.pipelines()[0]);
    // Each entry with its place in its algorithm's portfolio (which picks its pipeline).
    let mut per_algo: Vec<VecDeque<(Algorithm, usize, Params)>> = algorithms
        .iter()
        .filter(|&&a| a != Algorithm::Knn || !knn_too_large(n_train, n_valid, width(a) * 4))
        .map(|&a| {
            portfolio(a, prep.task, width(a), n_train)
                .into_iter()
                .enumerate()
                .map(|(i, p)| (a, i, p))
                .collect()
        })
        .collect();
    let mut order = Vec::new();
    let mut round = 0;
    while per_algo.iter().any(|q| !q.is_empty()) {
        for q in per_algo.iter_mut() {
            let turns = match q.front() {
                Some((Algorithm::Gbdt | Algorithm::SymmetricGbdt, ..)) => BOOSTING_TURNS,
                Some((Algorithm::Mlp, ..)) if round == 0 && n_train >= MLP_LATE_FROM_ROWS => 0,
                _ => 1,
            };
            for _ in 0..turns {
                order.extend(q.pop_front());
            }
        }
        round += 1;
    }
    order
        .into_iter()
        .enumerate()
        .map(|(n, (a, i, p))| {
            let pipes = a.pipelines();
            let pipeline = pipes[i % pipes.len()];
            // A value that does not resolve is kept as given: training fails the
            // candidate with the reason.
            let mut hyperparameters = resolve(a, prep.task, &p).unwrap_or(p);
            scale_column_sample(
                a,
                &mut hyperparameters,
                pipeline_column_share(prep, pipeline),
            );
            CandidateDefinition {
                name: format!("cand-{:03}-{}-{}", n + 1, a.as_str(), pipeline),
                algorithm: a,
                pipeline,
                hyperparameters,
                ranges: ranges_for(prep, a, pipeline),
            }
        })
        .collect()
}

/// About how many columns `pipeline`'s matrix has on the job's features.
fn pipeline_width(prep: &Prepared, pipeline: Pipeline) -> usize {
    let features = &prep.resolved.features;
    prep.resolved
        .pipelines
        .iter()
        .find(|s| s.name == pipeline)
        .map_or(features.len(), |s| s.expected_width(features))
}

/// `column_share` of `pipeline`'s matrix on the job's features.
fn pipeline_column_share(prep: &Prepared, pipeline: Pipeline) -> f64 {
    column_share(pipeline_width(prep, pipeline))
}

/// The search ranges of `algo` on `pipeline` for the job's data (`scale_column_range`).
pub(super) fn ranges_for(
    prep: &Prepared,
    algo: Algorithm,
    pipeline: Pipeline,
) -> BTreeMap<String, Range> {
    let mut ranges = search_space(algo, prep.task);
    scale_column_range(algo, &mut ranges, pipeline_column_share(prep, pipeline));
    ranges
}

/// One finished trial of the search.
pub(super) struct Trial {
    pub(super) algorithm: Algorithm,
    pub(super) pipeline: Pipeline,
    pub(super) params: Params,
    pub(super) score: f64,
}

/// A parameter on [0, 1] (log-scaled where the range is); `None` for choices.
fn to_unit(range: &Range, v: &Value) -> Option<f64> {
    let x = v.as_f64()?;
    let (lo, hi, log) = match range {
        Range::Float { low, high, log } => (*low, *high, *log),
        Range::Int { low, high, log } => (*low as f64, *high as f64, *log),
        Range::Choice { .. } => return None,
    };
    let u = if log {
        (x.max(lo).ln() - lo.ln()) / (hi.ln() - lo.ln())
    } else {
        (x - lo) / (hi - lo)
    };
    Some(u.clamp(0.0, 1.0))
}

fn from_unit(range: &Range, u: f64) -> Value {
    match range {
        Range::Float { low, high, log } => {
            let v = if *log {
                (low.ln() + u * (high.ln() - low.ln())).exp()
            } else {
                low + u * (high - low)
            };
            Value::from(round_to(v.clamp(*low, *high), 3))
        }
        Range::Int { low, high, log } => {
            let (lo, hi) = (*low as f64, *high as f64);
            let v = if *log {
                (lo.ln() + u * (hi.ln() - lo.ln())).exp()
            } else {
                lo + u * (hi - lo)
            };
            Value::from(v.round().clamp(lo, hi) as i64)
        }
        Range::Choice { values } => values[0].clone(),
    }
}

/// Tree-structured Parzen Estimator over one arm's trials: draw candidates around the best
/// quarter, keep the one with the highest ratio of good to bad density.
fn tpe(ranges: &BTreeMap<String, Range>, trials: &[&Trial], rng: &mut Rng) -> Params {
    const BW: f64 = 0.15;
    let mut sorted: Vec<&Trial> = trials.to_vec();
    sorted.sort_by(|a, b| b.score.total_cmp(&a.score));
    let n_good = sorted.len().div_ceil(4).max(1);
    let (good, bad) = sorted.split_at(n_good);
    let log_density = |set: &[&Trial], x: &Params| -> f64 {
        let mut total = 0.0;
        for (k, r) in ranges {
            let Some(xv) = x.get(k) else { continue };
            match (r, to_unit(r, xv)) {
                (Range::Choice { values }, _) => {
                    let hits = set.iter().filter(|t| t.params.get(k) == Some(xv)).count() as f64;
                    total += ((hits + 1.0) / (set.len() as f64 + values.len() as f64)).ln();
                }
                (_, Some(u)) => {
                    let d: f64 = set
                        .iter()
                        .filter_map(|t| t.params.get(k).and_then(|v| to_unit(r, v)))
                        .map(|c| (-0.5 * ((u - c) / BW).powi(2)).exp())
                        .sum::<f64>()
                        / set.len().max(1) as f64;
                    total += (d + 1e-12).ln();
                }
                _ => {}
            }
        }
        total
    };
    let mut best: Option<(f64, Params)> = None;
    for _ in 0..24 {
        let centre = &good[rng.below(good.len())].params;
        let cand: Params = ranges
            .iter()
            .map(|(k, r)| {
                let v = match (r, centre.get(k).and_then(|v| to_unit(r, v))) {
                    (Range::Choice { values }, _) => match centre.get(k) {
                        Some(c) if rng.next_f64() < 0.8 => c.clone(),
                        _ => values[rng.below(values.len())].clone(),
                    },
                    (_, Some(u)) => from_unit(r, (u + BW * gaussian(rng)).clamp(0.0, 1.0)),
                    (_, None) => sample_param(r, None, rng),
                };
                (k.clone(), v)
            })
            .collect();
        let bad_density = if bad.is_empty() {
            0.0
        } else {
            log_density(bad, &cand)
        };
        let score = log_density(good, &cand) - bad_density;
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, cand));
        }
    }
    best.map(|b| b.1).unwrap_or_default()
}

/// A booster's proposal caps its rounds at no fewer than three times what its learning
/// rate likely needs (`rounds_to_converge`), within the arm's range: early stopping ends
/// it at its best, so only a cap below that costs anything. Drawn on their own, the cap
/// and the rate underfit together (adult: 247 rounds at rate 0.021, AUC 0.918; bank: 152
/// at 0.029, 0.919; against 0.929 and 0.937 for the arm's best).
fn enough_rounds(algorithm: Algorithm, ranges: &BTreeMap<String, Range>, mut p: Params) -> Params {
    if !matches!(algorithm, Algorithm::Gbdt | Algorithm::SymmetricGbdt) {
        return p;
    }
    let rate = p.get("learning_rate").and_then(Value::as_f64);
    let rounds = p.get("iterations").and_then(Value::as_f64);
    if let (Some(Range::Int { high, .. }), Some(rate), Some(rounds)) =
        (ranges.get("iterations"), rate, rounds)
    {
        let floor = (3.0 * rounds_to_converge(rate)).ceil().min(*high as f64);
        if rounds < floor {
            p.insert("iterations".into(), Value::from(floor as i64));
        }
    }
    p
}

/// Search ranges per (algorithm, pipeline) arm.
pub(super) type Space = BTreeMap<(Algorithm, Pipeline), BTreeMap<String, Range>>;

/// The next candidate of the search.
pub(super) fn propose(
    arms: &BTreeMap<(Algorithm, Pipeline), (f64, Params)>,
    history: &[Trial],
    space: &Space,
    rng: &mut Rng,
    index: usize,
    task: Task,
) -> CandidateDefinition {
    let best_arm = arms
        .iter()
        .max_by(|a, b| a.1 .0.total_cmp(&b.1 .0))
        .map(|(k, _)| *k);
    let (algorithm, pipeline) = match best_arm {
        Some(arm) if rng.next_f64() > 0.25 && space.contains_key(&arm) => arm,
        _ => space
            .keys()
            .nth(rng.below(space.len()))
            .copied()
            .expect("a non-empty search space"),
    };
    let ranges = space[&(algorithm, pipeline)].clone();
    let trials: Vec<&Trial> = history
        .iter()
        .filter(|t| t.algorithm == algorithm && t.pipeline == pipeline)
        .collect();
    let hyperparameters: Params = if trials.len() >= 6 {
        tpe(&ranges, &trials, rng)
    } else {
        // Around the arm's best once it has one; a uniform draw only on an arm not yet
        // tried. A short job makes a handful of proposals, and uniform draws over the
        // ranges mostly land far from anything good (adult, 60 s: three scored AUC
        // 0.916–0.923 beside the arm's best 0.929, for 11 s of the budget).
        let around = arms.get(&(algorithm, pipeline)).map(|a| &a.1);
        ranges
            .iter()
            .map(|(k, r)| {
                (
                    k.clone(),
                    sample_param(r, around.and_then(|p| p.get(k)), rng),
                )
            })
            .collect()
    };
    let hyperparameters = enough_rounds(algorithm, &ranges, hyperparameters);
    let hyperparameters = resolve(algorithm, task, &hyperparameters).unwrap_or(hyperparameters);
    CandidateDefinition {
        name: format!("cand-{index:03}-{}-{pipeline}", algorithm.as_str()),
        algorithm,
        pipeline,
        hyperparameters,
        ranges,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tpe_concentrates_on_the_good_region() {
        let mut ranges = BTreeMap::new();
        ranges.insert(
            "x".to_string(),
            Range::Float {
                low: 0.0,
                high: 1.0,
                log: false,
            },
        );
        let trials: Vec<Trial> = (0..20)
            .map(|i| {
                let x = 0.025 + i as f64 * 0.05;
                let mut params = Params::new();
                params.insert("x".into(), Value::from(x));
                Trial {
                    algorithm: Algorithm::Gbdt,
                    pipeline: Pipeline::Dpp0,
                    params,
                    score: -(x - 0.8) * (x - 0.8),
                }
            })
            .collect();
        let refs: Vec<&Trial> = trials.iter().collect();
        let mut rng = Rng::new(3);
        let xs: Vec<f64> = (0..50)
            .map(|_| tpe(&ranges, &refs, &mut rng)["x"].as_f64().unwrap())
            .collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!(
            (mean - 0.8).abs() < 0.1,
            "proposals centre on 0.8, got mean {mean}"
        );
        assert!(xs.iter().all(|x| (0.0..=1.0).contains(x)));
    }

    #[test]
    fn proposals_stay_near_the_arms_best_and_boost_for_enough_rounds() {
        let task = Task::Classification { n_classes: 2 };
        let arm = (Algorithm::Gbdt, Pipeline::Dpp0);
        let space: Space = [(arm, search_space(Algorithm::Gbdt, task))].into();
        let best = resolve(
            Algorithm::Gbdt,
            task,
            &[
                ("learning_rate".to_string(), Value::from(0.05)),
                ("iterations".to_string(), Value::from(1000)),
            ]
            .into(),
        )
        .unwrap();
        let arms = [(arm, (0.9, best))].into();
        let mut rng = Rng::new(7);
        let mut distances = Vec::new();
        for i in 0..200 {
            let d = propose(&arms, &[], &space, &mut rng, i, task);
            let h = &d.hyperparameters;
            let rate = h["learning_rate"].as_f64().unwrap();
            let rounds = h["iterations"].as_f64().unwrap();
            assert!(
                rounds >= (3.0 * rounds_to_converge(rate)).ceil().min(2000.0),
                "{rounds} rounds at rate {rate}"
            );
            distances.push((rate / 0.05).ln().abs());
        }
        distances.sort_by(f64::total_cmp);
        // Uniform draws over the range's logarithm would put the median near 0.9.
        assert!(distances[100] < 0.5, "median distance {}", distances[100]);
        // An arm never tried gets a draw over its whole range, rounds raised as well.
        let d = propose(&BTreeMap::new(), &[], &space, &mut rng, 0, task);
        let rate = d.hyperparameters["learning_rate"].as_f64().unwrap();
        assert!(
            d.hyperparameters["iterations"].as_f64().unwrap()
                >= (3.0 * rounds_to_converge(rate)).ceil().min(2000.0)
        );
    }
}
