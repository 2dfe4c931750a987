//! Before a job starts: will its budget hold a candidate? The first definition the job
//! would train is trained, as the job would train it (pipeline on every fold, then the
//! learner), on an even sample of the rows, and its time is scaled by the training rows
//! the job's own folds hold against the sample's. The time is measured on this machine on
//! this data, not guessed; scaling by rows is a lower bound for learners that grow faster
//! than linearly, so the estimate errs short.

use std::time::{Duration, Instant};

use super::prepare::prepare;
use super::search::initial_definitions;
use super::spec::JobSpec;
use super::trainer::Trainer;
use super::types::CandidateStatus;
use crate::data::Table;

/// The measured first candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// "gbdt on dpp0".
    pub candidate: String,
    pub sample_rows: usize,
    pub rows: usize,
    /// Seconds it took on the sample.
    pub sample_seconds: f64,
    /// Seconds it would likely take on every row (at least).
    pub seconds: f64,
    /// Whether the sample was stopped once its scaled time passed the budget (then
    /// `seconds` is a lower bound).
    pub cut_short: bool,
}

/// Train the job's first definition on up to `sample_rows` rows (evenly spread). The
/// training stops as soon as its scaled time passes `budget` seconds (then the estimate
/// is a lower bound above the budget), and after `max_probe` at most (then, if it has not
/// passed the budget, nothing is known: `None`). `None` also when the sample cannot be
/// analysed or the definition fails.
pub fn probe_first_candidate(
    table: &Table,
    spec: &JobSpec,
    sample_rows: usize,
    budget: f64,
    max_probe: Duration,
) -> Option<Probe> {
    let rows = table.n_rows();
    let fold_rows = |split: &crate::automl::split::Split| -> usize {
        split.folds.iter().map(|(train, _)| train.len()).sum()
    };
    let full_work = fold_rows(&prepare(table, spec, None).ok()?.split);
    let n = sample_rows.clamp(1, rows.max(1));
    let picks: Vec<usize> = (0..n).map(|k| k * rows / n).collect();
    let sample = table.select_rows(&picks).ok()?;
    let prep = prepare(&sample, spec, None).ok()?;
    let scale = full_work as f64 / fold_rows(&prep.split).max(1) as f64;
    let def = initial_definitions(&prep, &spec.algorithms())
        .into_iter()
        .next()?;
    let limit = Duration::from_secs_f64((budget / scale).max(0.0)).min(max_probe);
    let mut trainer = Trainer::new(&sample, &prep, spec);
    let started = Instant::now();
    let (result, _) = trainer.train(&def, Some(started + limit), &|| false, 1.0);
    let sample_seconds = started.elapsed().as_secs_f64();
    let cut_short = match result.status {
        CandidateStatus::Completed => false,
        CandidateStatus::Stopped => true,
        CandidateStatus::Failed => return None,
    };
    let seconds = sample_seconds * scale;
    if cut_short && seconds <= budget {
        return None;
    }
    Some(Probe {
        candidate: format!("{} on {}", def.algorithm.as_str(), def.pipeline.as_str()),
        sample_rows: n,
        rows,
        sample_seconds,
        seconds,
        cut_short,
    })
}
