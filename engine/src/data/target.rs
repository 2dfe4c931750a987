//! The target column as a learner and the profile need it: class ids (in sorted label
//! order, as scikit-learn's `LabelEncoder`) or numbers.

use super::{Column, ProblemType, Values};
use crate::common::format_number;

/// The target, ready for scoring: class indices or numbers, per row (None = missing).
pub enum TargetValues {
    Classes {
        ids: Vec<Option<usize>>,
        n_classes: usize,
    },
    Numbers(Vec<Option<f64>>),
}

impl TargetValues {
    pub(crate) fn present(&self, row: usize) -> bool {
        match self {
            TargetValues::Classes { ids, .. } => ids[row].is_some(),
            TargetValues::Numbers(v) => v[row].is_some(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            TargetValues::Classes { ids, .. } => ids.len(),
            TargetValues::Numbers(v) => v.len(),
        }
    }
}

/// The target as class ids or numbers, for prediction power and class counts.
pub fn target_values(col: &Column, problem: ProblemType) -> (TargetValues, Vec<String>) {
    match (&col.values, problem.is_classification()) {
        (Values::Numeric(v), false) => (
            TargetValues::Numbers(v.iter().map(|x| (!x.is_nan()).then_some(*x)).collect()),
            vec![],
        ),
        (Values::Numeric(v), true) => {
            let mut distinct: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
            distinct.sort_unstable_by(|a, b| a.total_cmp(b));
            distinct.dedup();
            let labels = distinct.iter().map(|x| format_number(*x)).collect();
            let ids = v
                .iter()
                .map(|x| (!x.is_nan()).then(|| distinct.partition_point(|d| d < x)))
                .collect();
            (
                TargetValues::Classes {
                    ids,
                    n_classes: distinct.len(),
                },
                labels,
            )
        }
        (Values::Categorical { codes, levels }, _) => {
            // Classes in sorted label order, as scikit-learn's LabelEncoder orders them.
            let mut order: Vec<usize> = (0..levels.len()).collect();
            order.sort_by(|&a, &b| levels[a].cmp(&levels[b]));
            let mut rank = vec![0usize; levels.len()];
            for (r, &l) in order.iter().enumerate() {
                rank[l] = r;
            }
            let ids = codes
                .iter()
                .map(|&c| (c != u32::MAX).then(|| rank[c as usize]))
                .collect();
            let labels = order.iter().map(|&l| levels[l].clone()).collect();
            (
                TargetValues::Classes {
                    ids,
                    n_classes: levels.len(),
                },
                labels,
            )
        }
        _ => (TargetValues::Numbers(vec![None; col.values.len()]), vec![]),
    }
}
