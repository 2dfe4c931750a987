//! Prediction power: how well one column alone predicts the target.
//!
//! As in Autopilot, a small model is trained on the single column and scored on held-out
//! rows, normalised against a trivial baseline: 0 means no better than always predicting
//! the training prior, 1 means perfect. The model groups rows into bins — ten quantile bins
//! (numpy's linear quantiles) for numbers and dates, one bin per category, word-count deciles
//! for text, and one bin for missing cells — and predicts the training mean (regression) or
//! class frequencies (classification) of the row's bin. The score is
//! `1 - loss(model) / loss(prior)` on the validation rows, with squared error for
//! regression and the Brier score for classification, clipped to [0, 1].

use std::collections::HashMap;

use super::sample::{is_validation, stride_sample, SAMPLE_ROWS};
use super::stats::quantile_sorted;
use crate::data::{Column, TargetValues, Values};

/// The rows used for prediction power: a stride sample of rows with a target, split 80/20.
pub struct PowerSample {
    pub train: Vec<usize>,
    pub valid: Vec<usize>,
}

pub fn power_sample(target: &TargetValues) -> PowerSample {
    let eligible: Vec<usize> = (0..target.len()).filter(|&r| target.present(r)).collect();
    let picks = stride_sample(eligible.len(), SAMPLE_ROWS);
    let (mut train, mut valid) = (Vec::new(), Vec::new());
    for (i, p) in picks.into_iter().enumerate() {
        if is_validation(i) {
            valid.push(eligible[p]);
        } else {
            train.push(eligible[p]);
        }
    }
    PowerSample { train, valid }
}

const MISSING_BIN: usize = usize::MAX;

/// Bin assignment of every row for one feature column, fitted on the training rows.
fn bins(column: &Column, train: &[usize]) -> Vec<usize> {
    fn quantile_bins(x: &[f64], train: &[usize]) -> Vec<usize> {
        let mut t: Vec<f64> = train
            .iter()
            .map(|&r| x[r])
            .filter(|v| !v.is_nan())
            .collect();
        t.sort_unstable_by(|a, b| a.total_cmp(b));
        let mut edges: Vec<f64> = (1..10)
            .map(|k| quantile_sorted(&t, k as f64 / 10.0))
            .collect();
        edges.dedup();
        x.iter()
            .map(|&v| {
                if v.is_nan() {
                    MISSING_BIN
                } else {
                    // np.searchsorted(edges, v, side="right")
                    edges.partition_point(|&e| e <= v)
                }
            })
            .collect()
    }
    match &column.values {
        Values::Numeric(x) => quantile_bins(x, train),
        Values::Datetime { secs, .. } => quantile_bins(secs, train),
        Values::Categorical { codes, .. } => codes
            .iter()
            .map(|&c| {
                if c == u32::MAX {
                    MISSING_BIN
                } else {
                    c as usize
                }
            })
            .collect(),
        Values::Text(t) => {
            let counts: Vec<f64> = t
                .iter()
                .map(|s| {
                    s.as_ref()
                        .map_or(f64::NAN, |s| s.split_whitespace().count() as f64)
                })
                .collect();
            quantile_bins(&counts, train)
        }
    }
}

/// Prediction power of `column` for `target` on `sample`, in [0, 1].
pub fn prediction_power(column: &Column, target: &TargetValues, sample: &PowerSample) -> f64 {
    if sample.train.is_empty() || sample.valid.is_empty() {
        return 0.0;
    }
    let b = bins(column, &sample.train);
    let skill = match target {
        TargetValues::Numbers(y) => {
            let mut acc: HashMap<usize, (f64, usize)> = HashMap::new();
            let mut total = 0.0;
            for &r in &sample.train {
                let v = y[r].unwrap();
                let e = acc.entry(b[r]).or_default();
                e.0 += v;
                e.1 += 1;
                total += v;
            }
            let prior = total / sample.train.len() as f64;
            let (mut loss, mut base) = (0.0, 0.0);
            for &r in &sample.valid {
                let v = y[r].unwrap();
                let pred = acc.get(&b[r]).map_or(prior, |(s, n)| s / *n as f64);
                loss += (v - pred).powi(2);
                base += (v - prior).powi(2);
            }
            if base == 0.0 {
                return 0.0;
            }
            1.0 - loss / base
        }
        TargetValues::Classes { ids, n_classes } => {
            let k = *n_classes;
            let mut acc: HashMap<usize, Vec<f64>> = HashMap::new();
            let mut prior = vec![0.0; k];
            for &r in &sample.train {
                let c = ids[r].unwrap();
                acc.entry(b[r]).or_insert_with(|| vec![0.0; k])[c] += 1.0;
                prior[c] += 1.0;
            }
            let n = sample.train.len() as f64;
            prior.iter_mut().for_each(|p| *p /= n);
            let brier = |p: &[f64], c: usize| -> f64 {
                p.iter()
                    .enumerate()
                    .map(|(j, pj)| (pj - if j == c { 1.0 } else { 0.0 }).powi(2))
                    .sum()
            };
            let (mut loss, mut base) = (0.0, 0.0);
            for &r in &sample.valid {
                let c = ids[r].unwrap();
                let probs: Vec<f64> = match acc.get(&b[r]) {
                    Some(counts) => {
                        let s: f64 = counts.iter().sum();
                        counts.iter().map(|x| x / s).collect()
                    }
                    None => prior.clone(),
                };
                loss += brier(&probs, c);
                base += brier(&prior, c);
            }
            if base == 0.0 {
                return 0.0;
            }
            1.0 - loss / base
        }
    };
    skill.clamp(0.0, 1.0)
}
