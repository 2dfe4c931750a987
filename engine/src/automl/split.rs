//! Validation splits: stratified k-fold or a stratified holdout, seeded. The assignment is
//! written beside the notebooks, so scikit-learn sees exactly the same rows.

use serde::{Deserialize, Serialize};

use crate::common::Rng;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Split {
    /// "kfold" or "holdout" or "validation-file".
    pub method: String,
    /// Per fold: (training rows, validation rows), as positions in the input file.
    pub folds: Vec<(Vec<usize>, Vec<usize>)>,
}

impl Split {
    pub fn is_cv(&self) -> bool {
        self.folds.len() > 1
    }

    /// Every validation row once: the rows the metrics are computed on.
    pub fn validation_rows(&self) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .folds
            .iter()
            .flat_map(|f| f.1.iter().copied())
            .collect();
        v.sort_unstable();
        v
    }
}

/// Below this many labelled rows a job validates by k-fold cross-validation, and the
/// validation fraction is not used; from it on, by a holdout of that fraction.
pub const KFOLD_BELOW_ROWS: usize = 50_000;

/// The number of folds for `rows` labelled rows, or `None` for a holdout. Five: each
/// fold model learns from 80% of the rows, and a candidate predicts with the mean of five.
/// Against three folds (LightGBM, the same seeded 80/20 splits as `bench/automl.sh`), the
/// test score of the fold models' mean improved by 0.06% AUC on adult, 0.10% on bank and
/// 0.6% RMSE on california, for 1.7–1.8× the training time.
pub fn folds_for(rows: usize) -> Option<usize> {
    (rows < KFOLD_BELOW_ROWS).then_some(FOLDS)
}

/// Folds of a k-fold cross-validation.
const FOLDS: usize = 5;

/// The validation a job on `rows` labelled rows gets, in words (the new-job form and the
/// job page show it). Classes are stratified; a regression target is not.
pub fn describe(rows: usize, classification: bool, fraction: f64) -> String {
    let strat = if classification { "stratified " } else { "" };
    match folds_for(rows) {
        Some(k) => format!(
            "{strat}{k}-fold cross-validation (below {KFOLD_BELOW_ROWS} rows every row is validated once; the validation fraction is not used)"
        ),
        None => format!("{strat}holdout of {:.0}% of the rows", fraction * 100.0),
    }
}

/// Group `rows` by stratum (class id, or 0 for regression), each group shuffled.
fn strata(rows: &[usize], stratum: &dyn Fn(usize) -> usize, seed: u64) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for &r in rows {
        let s = stratum(r);
        if groups.len() <= s {
            groups.resize(s + 1, Vec::new());
        }
        groups[s].push(r);
    }
    let mut rng = Rng::new(seed ^ 0x5EED_5EED);
    for g in &mut groups {
        for i in (1..g.len()).rev() {
            let j = rng.below(i + 1);
            g.swap(i, j);
        }
    }
    groups
}

/// `k` folds, stratified by `stratum` (a constant stratum for regression).
pub fn kfold(
    rows: &[usize],
    k: usize,
    stratum: &dyn Fn(usize) -> usize,
    stratified: bool,
    seed: u64,
) -> Split {
    let mut fold_of = vec![usize::MAX; rows.iter().max().map_or(0, |m| m + 1)];
    let mut offset = 0;
    for g in strata(rows, stratum, seed) {
        for (i, &r) in g.iter().enumerate() {
            fold_of[r] = (offset + i) % k;
        }
        offset = (offset + g.len()) % k;
    }
    let folds = (0..k)
        .map(|f| {
            let (mut tr, mut va) = (Vec::new(), Vec::new());
            for &r in rows {
                if fold_of[r] == f {
                    va.push(r);
                } else {
                    tr.push(r);
                }
            }
            (tr, va)
        })
        .collect();
    Split {
        method: format!("{}{k}-fold", if stratified { "stratified " } else { "" }),
        folds,
    }
}

pub fn holdout(
    rows: &[usize],
    fraction: f64,
    stratum: &dyn Fn(usize) -> usize,
    stratified: bool,
    seed: u64,
) -> Split {
    let mut valid = Vec::new();
    for g in strata(rows, stratum, seed) {
        let take = ((g.len() as f64 * fraction).round() as usize).min(g.len().saturating_sub(1));
        valid.extend_from_slice(&g[..take]);
    }
    valid.sort_unstable();
    let mut is_valid = vec![false; rows.iter().max().map_or(0, |m| m + 1)];
    valid.iter().for_each(|&r| is_valid[r] = true);
    let train = rows.iter().copied().filter(|&r| !is_valid[r]).collect();
    Split {
        method: format!(
            "{}holdout ({:.0}%)",
            if stratified { "stratified " } else { "" },
            fraction * 100.0
        ),
        folds: vec![(train, valid)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_partition_and_stratify() {
        let rows: Vec<usize> = (0..100).collect();
        let cls = |r: usize| usize::from(r.is_multiple_of(10));
        let s = kfold(&rows, 5, &cls, true, 1);
        let mut all = s.validation_rows();
        all.dedup();
        assert_eq!(all, rows);
        for (tr, va) in &s.folds {
            assert_eq!(tr.len() + va.len(), 100);
            assert_eq!(va.iter().filter(|&&r| cls(r) == 1).count(), 2);
        }
        let h = holdout(&rows, 0.2, &cls, true, 1);
        assert_eq!(h.folds[0].1.len(), 20);
        assert_eq!(h.folds[0].1.iter().filter(|&&r| cls(r) == 1).count(), 2);
        assert_eq!(kfold(&rows, 5, &cls, true, 1).folds, s.folds, "seeded");
        assert_eq!(s.method, "stratified 5-fold");
        assert_eq!(kfold(&rows, 5, &|_| 0, false, 1).method, "5-fold");
        assert!(describe(100, false, 0.2).starts_with("5-fold"));
        assert!(describe(80_000, true, 0.25).starts_with("stratified holdout of 25%"));
    }
}
