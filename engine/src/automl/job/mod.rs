//! The AutoML job: from a typed table and a job spec (CreateAutoMLJob's fields) to
//! ranked, trained candidates.
//!
//! 1. Analyse: problem type, objective metric, feature columns, validation split
//!    (stratified k-fold below 50,000 rows — 5 folds up to 5,000 rows, else 3 — otherwise a
//!    stratified holdout of `validation_fraction`, or the rows of a validation file).
//! 2. Candidates: a portfolio of known-good configurations first, then a search: an
//!    epsilon-greedy bandit over (algorithm, pipeline) arms gives more trials to the best
//!    arm. Its hyperparameters come from a Tree-structured Parzen Estimator once the arm has
//!    six trials (candidates drawn around the best quarter, the one maximising l(x)/g(x)
//!    kept); before that, from a local perturbation of the arm's best or a random draw.
//!    Gradient boosting early-stops on validation rounds; every learner stops at its
//!    per-candidate deadline.
//! 3. Ensembling mode (AUTO below 100 MB): greedy ensemble selection over the candidates'
//!    out-of-fold predictions; the ensemble is a candidate like any other.
//!
//! The job's runtime limit is a hard wall: each candidate trains on a worker thread, and a
//! candidate still training when the wall comes is abandoned (recorded as Stopped). The
//! same seed and data give the same leaderboard when no time limit cuts the search short.

//! The module is split by responsibility: `spec` (the job's choices and rules), `prepare`
//! (analysis of the data), `trainer` (one candidate on every fold), `schedule` (the
//! budget, the per-candidate cap and successive halving), `search` (the portfolio,
//! sampling, TPE and proposals), `cost` (how long a candidate will likely take) and
//! `ensemble` (Caruana selection and the ranking).

mod cost;
mod ensemble;
mod importance;
mod prepare;
mod probe;
mod schedule;
mod search;
mod spec;
mod trainer;
mod types;

use std::time::Instant;

pub use prepare::{prepare, Prepared};
pub use probe::{probe_first_candidate, Probe};
pub use spec::{
    invalid, Field, JobSpec, Mode, ALL_MODES, DEFAULT_MAX_CANDIDATES, MAX_RUNTIME_SECONDS,
    SUGGESTED_JOB_RUNTIME_SECONDS,
};
pub use types::{
    rank, CandidateDefinition, CandidateResult, CandidateStatus, JobObserver, JobOutcome,
    MetricValue, Quiet, Resolved, SecondaryStatus,
};

use crate::data::Table;
use crate::error::Result;
use trainer::Trainer;

/// Run a job. With `spec.candidates_only`, stop after generating the definitions.
pub fn run_job(
    table: &Table,
    spec: &JobSpec,
    validation_rows: Option<&[usize]>,
    obs: &mut dyn JobObserver,
) -> Result<JobOutcome> {
    let started = Instant::now();
    obs.on_status(SecondaryStatus::AnalyzingData, 0.0);
    let prep = prepare(table, spec, validation_rows)?;
    let deadline = spec.deadline(started);
    Ok(run_prepared(table, spec, &prep, None, deadline, obs))
}

/// Run an analysed job until `deadline`. `chosen`: train these definitions (after a
/// candidates-only job) instead of the portfolio, then search on only their algorithm ×
/// pipeline arms, drawing from their (possibly edited) ranges.
pub fn run_prepared(
    table: &Table,
    spec: &JobSpec,
    prep: &Prepared,
    chosen: Option<Vec<CandidateDefinition>>,
    deadline: Option<Instant>,
    obs: &mut dyn JobObserver,
) -> JobOutcome {
    let started = Instant::now();
    obs.on_status(SecondaryStatus::FeatureEngineering, 0.02);
    let restricted = chosen.is_some();
    let definitions =
        chosen.unwrap_or_else(|| search::initial_definitions(prep, &spec.algorithms()));
    let mut outcome = JobOutcome {
        resolved: prep.resolved.clone(),
        split: prep.split.clone(),
        candidates: vec![],
        definitions: definitions.clone(),
        best: None,
        secondary_status: SecondaryStatus::CandidateDefinitionsGenerated,
        elapsed_seconds: 0.0,
        low_fidelity_trials: 0,
    };
    if spec.candidates_only && !restricted {
        obs.on_status(SecondaryStatus::CandidateDefinitionsGenerated, 1.0);
        outcome.elapsed_seconds = started.elapsed().as_secs_f64();
        return outcome;
    }
    let mut trainer = Trainer::new(table, prep, spec);
    let (status, kept) = schedule::train_definitions(
        &mut trainer,
        definitions,
        restricted,
        deadline,
        started,
        obs,
        &mut outcome,
    );
    ensemble::finish(&mut trainer, status, kept, started, obs, &mut outcome);
    outcome
}
