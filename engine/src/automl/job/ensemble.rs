//! The ensemble candidate: greedy ensemble selection (Caruana et al. 2004) over the best
//! candidates' validation predictions — start empty, repeatedly add (with replacement) the
//! candidate whose addition most improves the objective; the weights are the selection
//! counts — and the final ranking of the job's candidates.

use std::time::Instant;

use serde_json::Value;

use super::schedule::Kept;
use super::spec::Mode;
use super::trainer::{truth_of, Trainer};
use super::types::{
    next_number, rank, CandidateResult, CandidateStatus, JobObserver, JobOutcome, SecondaryStatus,
};
use crate::automl::learners::Params;
use crate::automl::metrics::{compute, Metric, Predictions, Truth};
use crate::automl::model::{CandidateModel, Member, MODEL_FORMAT};

fn blend(members: &[&Predictions], counts: &[usize]) -> Predictions {
    let total: usize = counts.iter().sum();
    let mut out = match members[0] {
        Predictions::Proba { p, k } => Predictions::Proba {
            p: vec![0.0; p.len()],
            k: *k,
        },
        Predictions::Values(v) => Predictions::Values(vec![0.0; v.len()]),
    };
    for (m, &c) in members.iter().zip(counts) {
        if c == 0 {
            continue;
        }
        let w = c as f64 / total as f64;
        match (&mut out, m) {
            (Predictions::Proba { p: acc, .. }, Predictions::Proba { p, .. }) => {
                acc.iter_mut().zip(p).for_each(|(a, b)| *a += w * b)
            }
            (Predictions::Values(acc), Predictions::Values(v)) => {
                acc.iter_mut().zip(v).for_each(|(a, b)| *a += w * b)
            }
            _ => {}
        }
    }
    out
}

/// Selection counts per member, or `None` if no blend beats the best single member.
pub(super) fn caruana(
    members: &[&Predictions],
    truth: &Truth,
    metric: Metric,
    rounds: usize,
) -> Option<Vec<usize>> {
    if members.len() < 2 {
        return None;
    }
    // AUC and F1 are piecewise constant in small weight changes; select on a smooth proxy
    // (log loss) for classification, and on the metric itself for regression.
    let select_on = if metric.for_classification() {
        Metric::LogLoss
    } else {
        metric
    };
    let score = |p: &Predictions| {
        compute(select_on, truth, p)
            .map(|v| select_on.score(v))
            .unwrap_or(f64::NEG_INFINITY)
    };
    let mut counts = vec![0usize; members.len()];
    let mut best_score = f64::NEG_INFINITY;
    for _ in 0..rounds {
        let mut round_best: Option<(f64, usize)> = None;
        for j in 0..members.len() {
            counts[j] += 1;
            let s = score(&blend(members, &counts));
            counts[j] -= 1;
            if round_best.is_none_or(|(b, _)| s > b) {
                round_best = Some((s, j));
            }
        }
        let (s, j) = round_best?;
        counts[j] += 1;
        best_score = best_score.max(s);
    }
    let used = counts.iter().filter(|&&c| c > 0).count();
    let single_best = members
        .iter()
        .map(|m| score(m))
        .fold(f64::NEG_INFINITY, f64::max);
    (used >= 2 && best_score > single_best).then_some(counts)
}

pub(super) fn weighted(members: &[&Predictions], counts: &[usize]) -> Predictions {
    blend(members, counts)
}

/// Build the ensemble candidate (in ensembling mode, from the best models kept), then
/// rank every candidate and record the best.
pub(super) fn finish(
    trainer: &mut Trainer,
    status: SecondaryStatus,
    kept: Vec<Kept>,
    started: Instant,
    obs: &mut dyn JobObserver,
    outcome: &mut JobOutcome,
) {
    let prep = trainer.prep;
    if prep.resolved.mode == Mode::Ensembling
        && status != SecondaryStatus::Stopped
        && kept.len() >= 2
    {
        let ens_started = Instant::now();
        let yv: Vec<f64> = trainer.valid_rows.iter().map(|&r| prep.y[r]).collect();
        let yc: Vec<usize> = yv.iter().map(|&v| v as usize).collect();
        let truth = truth_of(prep, &yc, &yv);
        let preds: Vec<&Predictions> = kept.iter().map(|k| &k.oof).collect();
        if let Some(counts) = caruana(&preds, &truth, prep.resolved.metric, 25) {
            let blended = weighted(&preds, &counts);
            let total: usize = counts.iter().sum();
            // After every name so far: a definition that never trained keeps its number.
            let names = outcome.definitions.iter().map(|d| d.name.as_str());
            let trained = outcome.candidates.iter().map(|c| c.name.as_str());
            let number = next_number(names.chain(trained), outcome.candidates.len());
            let name = format!("cand-{number:03}-ensemble");
            let mut result = CandidateResult {
                name: name.clone(),
                algorithm: None,
                pipeline: None,
                hyperparameters: Params::new(),
                status: CandidateStatus::Completed,
                failure_reason: None,
                objective: None,
                metrics: vec![],
                train_seconds: ens_started.elapsed().as_secs_f64(),
                members: vec![],
                deterministic: false,
                feature_importance: vec![],
            };
            trainer.score(&mut result, &blended);
            let mut members = Vec::new();
            let mut deterministic = true;
            for (k, c) in kept.into_iter().zip(&counts) {
                if *c > 0 {
                    let w = *c as f64 / total as f64;
                    result.members.push((k.name.clone(), w));
                    members.push((w, Member::Named(k.name)));
                    deterministic &= k.algorithm.is_some_and(|a| a.deterministic());
                }
            }
            result.deterministic = deterministic;
            result.hyperparameters.insert(
                "members".into(),
                Value::from(
                    result
                        .members
                        .iter()
                        .map(|(n, w)| serde_json::json!({"name": n, "weight": w}))
                        .collect::<Vec<_>>(),
                ),
            );
            let model = CandidateModel {
                format: MODEL_FORMAT,
                name,
                problem_type: prep.resolved.problem_type,
                target: trainer.spec.target.clone(),
                classes: prep.resolved.classes.clone(),
                positive_class: prep.resolved.positive_class.clone(),
                features: prep.resolved.features.clone(),
                input_columns: prep.resolved.input_columns.clone(),
                algorithm: None,
                pipeline: None,
                hyperparameters: result.hyperparameters.clone(),
                folds: vec![],
                members,
            };
            if result.objective.is_some() {
                obs.on_candidate(&result, Some((&model, &blended)));
                outcome.candidates.push(result);
            }
        }
    }
    rank(&mut outcome.candidates, prep.resolved.metric);
    outcome.best = outcome
        .candidates
        .first()
        .filter(|c| c.status == CandidateStatus::Completed && c.objective.is_some())
        .map(|c| c.name.clone());
    outcome.secondary_status = status;
    outcome.elapsed_seconds = started.elapsed().as_secs_f64();
    obs.on_status(status, 1.0);
}
