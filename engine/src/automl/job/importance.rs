//! A candidate's feature importance by input column, as the candidate page shows it: each
//! fold model's importance summed over the pipeline outputs a column produces, then over
//! the folds, as shares of the total.
//!
//! Trees report split gain per output, which adds up per column. A linear model's
//! |coefficients| do not: a text column's thousand TF-IDF terms would sum to a large number
//! however little each document's words move the prediction. For linear models the
//! importance of a column is therefore the spread of its contribution: the standard
//! deviation, over the fold's validation rows, of `Σ coef_j · x_j` over that column's
//! outputs (summed over the classes' coefficient rows). For one scaled numeric output this
//! is |coef|·std(x), the usual measure.

use std::collections::BTreeMap;

use crate::automl::features::FittedPipeline;
use crate::automl::learners::{AnyModel, Learner};
use crate::automl::matrix::{Encoded, Matrix};

/// Shares per input column, largest first; columns with no importance are left out.
pub(super) fn by_input_column<'a>(
    folds: impl Iterator<Item = (&'a FittedPipeline, &'a AnyModel, &'a Encoded)>,
) -> Vec<(String, f64)> {
    let mut imp: BTreeMap<String, f64> = BTreeMap::new();
    for (pipeline, model, rows) in folds {
        let sources = pipeline.output_sources();
        match model {
            AnyModel::Linear(m) if rows.rows > 1 => {
                for (src, v) in contribution_spread(&m.coef, &rows.to_matrix(), &sources) {
                    *imp.entry(src).or_default() += v;
                }
            }
            _ => {
                for (src, v) in sources.into_iter().zip(model.feature_importance()) {
                    *imp.entry(src).or_default() += v;
                }
            }
        }
    }
    let total: f64 = imp.values().sum();
    let mut imp: Vec<(String, f64)> = imp
        .into_iter()
        .map(|(k, v)| (k, if total > 0.0 { v / total } else { 0.0 }))
        .filter(|(_, v)| *v > 0.0 && v.is_finite())
        .collect();
    imp.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    imp
}

/// Per input column: the standard deviation over `x`'s rows of its outputs' summed
/// contribution, added over the coefficient rows.
fn contribution_spread(coef: &[Vec<f64>], x: &Matrix, sources: &[String]) -> Vec<(String, f64)> {
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (j, src) in sources.iter().enumerate().take(x.cols) {
        groups.entry(src.as_str()).or_default().push(j);
    }
    let mut acc = vec![0.0; x.rows];
    groups
        .into_iter()
        .map(|(src, cols)| {
            let mut spread = 0.0;
            for row in coef {
                acc.iter_mut().for_each(|a| *a = 0.0);
                for &j in &cols {
                    let c = row.get(j).copied().unwrap_or(0.0);
                    if c != 0.0 {
                        for (a, v) in acc.iter_mut().zip(x.col(j)) {
                            *a += c * v;
                        }
                    }
                }
                let n = acc.len() as f64;
                let mean = acc.iter().sum::<f64>() / n;
                spread += (acc.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / n).sqrt();
            }
            (src.to_string(), spread)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_small_terms_weigh_by_their_joint_spread_not_their_sum() {
        // Column "num": one output with coefficient 1 and values ±1 (spread 1).
        // Column "text": 100 outputs with coefficient 1, each non-zero (0.1) on one row only:
        // |coef| sums to 100, but the summed contribution per row is at most 0.1.
        let rows = 200;
        let mut data = Vec::new();
        data.extend((0..rows).map(|i| if i % 2 == 0 { 1.0 } else { -1.0 }));
        for j in 0..100 {
            data.extend((0..rows).map(|i| if i == j { 0.1 } else { 0.0 }));
        }
        let x = Matrix {
            rows,
            cols: 101,
            data,
        };
        let mut sources = vec!["num".to_string()];
        sources.extend((0..100).map(|_| "text".to_string()));
        let coef = vec![vec![1.0; 101]];
        let s: BTreeMap<String, f64> = contribution_spread(&coef, &x, &sources)
            .into_iter()
            .collect();
        assert!((s["num"] - 1.0).abs() < 1e-12, "{s:?}");
        assert!(s["text"] < 0.1, "the text column's spread is small: {s:?}");
    }
}
