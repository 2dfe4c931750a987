//! The budget: which candidate trains next and for how long. The given definitions
//! first, then the search's proposals; a per-candidate cap of a quarter of the job's
//! budget (so one slow learner cannot starve the search); successive halving in
//! hyperparameter-tuning mode; the candidate cap, the hard wall and stop requests.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use super::cost::{CostModel, Plan};
use super::search::{propose, ranges_for, Space, Trial};
use super::spec::Mode;
use super::trainer::Trainer;
use super::types::{
    number_of, CandidateDefinition, CandidateStatus, JobObserver, JobOutcome, SecondaryStatus,
};
use crate::automl::features::Pipeline;
use crate::automl::learners::{Algorithm, Params};
use crate::automl::metrics::Predictions;
use crate::common::Rng;

/// A finished candidate the ensemble may choose: its name, algorithm, validation
/// predictions and score. Not its model: the observer has it (a job folder saves it), and
/// ten fitted forests held to the end would be most of a job's memory.
pub(super) struct Kept {
    pub name: String,
    pub algorithm: Option<Algorithm>,
    pub oof: Predictions,
    pub score: f64,
}

/// How long a candidate may train: until the job's wall, and at most the per-candidate
/// limit: the one given, or else a quarter of the job's budget (at least 5 s) once some
/// candidate has finished. Until then the first candidates may use the whole budget: a
/// job must end with at least one candidate.
fn candidate_deadline(
    deadline: Option<Instant>,
    max_runtime_per_candidate: Option<f64>,
    max_job_runtime: Option<f64>,
    any_finished: bool,
) -> Option<Instant> {
    let quarter = max_job_runtime
        .filter(|_| any_finished)
        .map(|s| (s / 4.0).max(5.0));
    let per_candidate = max_runtime_per_candidate.or(quarter);
    let own = per_candidate.map(|s| Instant::now() + Duration::from_secs_f64(s));
    match (deadline, own) {
        (Some(d), Some(o)) => Some(d.min(o)),
        (d, o) => d.or(o),
    }
}

/// Models kept for the ensemble: the best ten, at most four of one algorithm, so the
/// greedy selection has different kinds of error to average.
const KEPT: usize = 10;
const KEPT_PER_ALGORITHM: usize = 4;

fn keep_for_ensemble(kept: &mut Vec<Kept>) {
    kept.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut per_algorithm: BTreeMap<Option<Algorithm>, usize> = BTreeMap::new();
    kept.retain(|k| {
        let n = per_algorithm.entry(k.algorithm).or_default();
        *n += 1;
        *n <= KEPT_PER_ALGORITHM
    });
    kept.truncate(KEPT);
}

/// Train the definitions, then the search's proposals, until a limit ends the job;
/// returns why it ended and the best models kept for the ensemble.
#[allow(clippy::too_many_arguments)]
pub(super) fn train_definitions(
    trainer: &mut Trainer,
    definitions: Vec<CandidateDefinition>,
    restricted: bool,
    deadline: Option<Instant>,
    started: Instant,
    obs: &mut dyn JobObserver,
    outcome: &mut JobOutcome,
) -> (SecondaryStatus, Vec<Kept>) {
    let prep = trainer.prep;
    let metric = prep.resolved.metric;
    // The arms the search may draw from, with their ranges: every algorithm's pipelines
    // and standard ranges, or only the chosen definitions' arms with their own ranges.
    let space: Space = if restricted {
        definitions
            .iter()
            .map(|d| ((d.algorithm, d.pipeline), d.ranges.clone()))
            .collect()
    } else {
        definitions
            .iter()
            .map(|d| d.algorithm)
            .flat_map(|a| {
                a.pipelines()
                    .iter()
                    .map(move |&p| ((a, p), ranges_for(prep, a, p)))
            })
            .collect()
    };
    let mut queue: VecDeque<CandidateDefinition> = definitions.into();
    let mut rng = Rng::new(trainer.spec.seed ^ 0xA11CE);
    // Best score and params per (algorithm, pipeline) arm, and every trial for TPE.
    let mut arms: BTreeMap<(Algorithm, Pipeline), (f64, Params)> = BTreeMap::new();
    let mut history: Vec<Trial> = Vec::new();
    let candidate_deadline = |any_finished: bool| {
        candidate_deadline(
            deadline,
            prep.resolved.max_runtime_per_candidate,
            prep.resolved.max_job_runtime,
            any_finished,
        )
    };
    let hpo = prep.resolved.mode == Mode::HyperparameterTuning;
    let mut empty_brackets = 0;
    // The best models so far, with their validation predictions, for the ensemble.
    let mut kept: Vec<Kept> = Vec::new();
    // New candidates are numbered after every definition (chosen ones keep their names).
    let mut index = queue
        .iter()
        .filter_map(|d| number_of(&d.name))
        .max()
        .unwrap_or(0)
        .max(queue.len());
    let mut costs = CostModel::default();
    // Definitions passed over in a row because they could not finish in time.
    let mut passed_over = 0;
    obs.on_status(SecondaryStatus::ModelTuning, 0.05);
    loop {
        if obs.stop_requested() {
            return (SecondaryStatus::Stopped, kept);
        }
        if let Some(maxc) = prep.resolved.max_candidates {
            if outcome.candidates.len() >= maxc {
                return (SecondaryStatus::CandidateLimitReached, kept);
            }
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return (SecondaryStatus::RuntimeLimitReached, kept);
        }
        let def = match queue.pop_front() {
            Some(d) => d,
            None if hpo && !space.is_empty() && !arms.is_empty() => {
                // Successive halving: four proposals on 25% of the training rows, the
                // better half on 50%, the best on all rows as a real candidate.
                let mut bracket: Vec<CandidateDefinition> = (0..4)
                    .map(|_| {
                        index += 1;
                        propose(&arms, &history, &space, &mut rng, index, prep.task)
                    })
                    .collect();
                for fraction in [0.25, 0.5] {
                    let mut scored: Vec<(f64, CandidateDefinition)> = Vec::new();
                    for def in bracket.drain(..) {
                        if obs.stop_requested() || deadline.is_some_and(|d| Instant::now() >= d) {
                            break;
                        }
                        obs.on_training(&def, fraction);
                        let (r, _) = trainer.train(
                            &def,
                            candidate_deadline(!kept.is_empty()),
                            &|| obs.stop_requested(),
                            fraction,
                        );
                        outcome.low_fidelity_trials += 1;
                        if let (Some(o), CandidateStatus::Completed) = (r.objective, r.status) {
                            scored.push((metric.score(o), def));
                        }
                    }
                    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
                    let keep = scored.len().div_ceil(2);
                    bracket = scored.into_iter().take(keep).map(|(_, d)| d).collect();
                }
                match bracket.into_iter().next() {
                    Some(d) => {
                        empty_brackets = 0;
                        d
                    }
                    // Nothing survived: time ran out (the limits end the search next time
                    // round) or every trial failed (three such brackets end it).
                    None => {
                        empty_brackets += 1;
                        if empty_brackets >= 3 {
                            return (SecondaryStatus::Completed, kept);
                        }
                        continue;
                    }
                }
            }
            None if !space.is_empty() && !arms.is_empty() => {
                index += 1;
                propose(&arms, &history, &space, &mut rng, index, prep.task)
            }
            None => {
                return (SecondaryStatus::Completed, kept);
            }
        };
        let cand_deadline = candidate_deadline(!kept.is_empty());
        // Do not start what cannot finish: a candidate cut off by a limit is never ranked.
        // The search's own definitions are sized to the time there is, with room to spare
        // (`CostModel::plan`); definitions the user chose train as given or not at all.
        let mut def = def;
        if let Some(d) = cand_deadline {
            let available = d.saturating_duration_since(Instant::now()).as_secs_f64();
            match costs.plan(&def, available, !restricted) {
                Plan::AsIs => {}
                Plan::Shrunk(smaller) => {
                    if let Some(d) = outcome.definitions.iter_mut().find(|d| d.name == def.name) {
                        *d = smaller.clone();
                    }
                    def = smaller;
                }
                Plan::PassOver => {
                    passed_over += 1;
                    if passed_over >= 25 || queue.is_empty() && space.is_empty() {
                        return (SecondaryStatus::RuntimeLimitReached, kept);
                    }
                    continue;
                }
            }
        }
        passed_over = 0;
        obs.on_training(&def, 1.0);
        let (result, fitted) = trainer.train(&def, cand_deadline, &|| obs.stop_requested(), 1.0);
        match (result.status, trainer.projected_seconds) {
            (CandidateStatus::Completed, _) => costs.observe(&def, result.train_seconds, true),
            // Stopped early: its progress measured what all of it would take.
            (CandidateStatus::Stopped, Some(total)) => costs.observe(&def, total, true),
            (CandidateStatus::Stopped, None) => costs.observe(&def, result.train_seconds, false),
            (CandidateStatus::Failed, _) => {}
        }
        if let (Some(obj), Some((model, oof))) = (result.objective, fitted) {
            let score = metric.score(obj);
            let arm = arms
                .entry((def.algorithm, def.pipeline))
                .or_insert((f64::NEG_INFINITY, Params::new()));
            if score > arm.0 {
                *arm = (score, def.hyperparameters.clone());
            }
            history.push(Trial {
                algorithm: def.algorithm,
                pipeline: def.pipeline,
                params: def.hyperparameters.clone(),
                score,
            });
            obs.on_candidate(&result, Some((&model, &oof)));
            kept.push(Kept {
                name: result.name.clone(),
                algorithm: result.algorithm,
                oof,
                score,
            });
            keep_for_ensemble(&mut kept);
        } else {
            obs.on_candidate(&result, None);
        }
        outcome.candidates.push(result);
        let progress = match (
            prep.resolved.max_candidates,
            deadline,
            prep.resolved.max_job_runtime,
        ) {
            (_, Some(_), Some(total)) => started.elapsed().as_secs_f64() / total,
            (Some(m), _, _) => outcome.candidates.len() as f64 / m as f64,
            _ => 0.5,
        };
        obs.on_status(
            SecondaryStatus::ModelTuning,
            (0.05 + 0.9 * progress).min(0.95),
        );
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return (SecondaryStatus::RuntimeLimitReached, kept);
        }
    }
}
