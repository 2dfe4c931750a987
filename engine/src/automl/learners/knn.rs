//! k-nearest neighbours by brute force with Euclidean distance, as scikit-learn's
//! `KNeighborsClassifier` / `KNeighborsRegressor` (`weights` uniform or distance). Class
//! probabilities are the (weighted) shares of the neighbours' classes.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::params::{KnnParams, Weights};
use super::sparse::SparseRows;
use super::{rows_to_predictions, FitError, Learner, Task, TrainData};
use crate::automl::matrix::Matrix;
use crate::automl::metrics::Predictions;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KnnModel {
    pub task: Task,
    pub params: KnnParams,
    /// Training rows, row-major.
    #[serde(with = "super::packed::floats")]
    pub x: Vec<f64>,
    #[serde(with = "super::packed::floats")]
    pub y: Vec<f64>,
    pub cols: usize,
}

impl KnnModel {
    pub fn new(task: Task, params: KnnParams) -> Self {
        KnnModel {
            task,
            params,
            x: vec![],
            y: vec![],
            cols: 0,
        }
    }
}

impl Learner for KnnModel {
    fn fit(&mut self, d: &TrainData) -> Result<(), FitError> {
        self.x = d.x.to_row_major();
        self.y = d.y.to_vec();
        self.cols = d.x.cols;
        Ok(())
    }

    fn predict(&self, q: &Matrix) -> Predictions {
        let n = self.y.len();
        let k = self.params.n_neighbors.clamp(1, n.max(1));
        let by_distance = self.params.weights == Weights::Distance;
        let dim = match self.task {
            Task::Classification { n_classes } => n_classes,
            Task::Regression => 1,
        };
        let sparse = SparseRows::of_row_major(&self.x, self.cols);
        let rows: Vec<Vec<f64>> = (0..q.rows)
            .into_par_iter()
            .map(|i| {
                let qi = q.row(i);
                let mut dist: Vec<(f64, usize)> = match &sparse {
                    Some(s) => sparse_distances(s, &qi),
                    None => self
                        .x
                        .chunks(self.cols)
                        .enumerate()
                        .map(|(r, row)| (squared_distance(row, &qi), r))
                        .collect(),
                };
                if k < n {
                    dist.select_nth_unstable_by(k - 1, |a, b| {
                        a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
                    });
                }
                let near = &dist[..k];
                let exact: Vec<&(f64, usize)> = near.iter().filter(|d| d.0 == 0.0).collect();
                // Distance weights: 1/d; exact matches take all the weight (scikit-learn).
                let weight = |d: &(f64, usize)| -> f64 {
                    if !by_distance {
                        1.0
                    } else if !exact.is_empty() {
                        f64::from(d.0 == 0.0)
                    } else {
                        1.0 / d.0.sqrt()
                    }
                };
                let mut acc = vec![0.0; dim];
                let mut total = 0.0;
                for d in near {
                    let wt = weight(d);
                    total += wt;
                    match self.task {
                        Task::Classification { .. } => acc[self.y[d.1] as usize] += wt,
                        Task::Regression => acc[0] += wt * self.y[d.1],
                    }
                }
                acc.iter_mut().for_each(|a| *a /= total);
                acc
            })
            .collect();
        rows_to_predictions(self.task, rows)
    }

    /// Neighbours weigh every feature alike; no importance is reported.
    fn feature_importance(&self) -> Vec<f64> {
        vec![0.0; self.cols]
    }
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>()
}

/// The distances from `q` to `x`'s rows, summed only over the columns where either row is
/// non-zero, in column order: the terms left out are exactly 0, so each sum is bit for bit
/// the dense one.
fn sparse_distances(x: &SparseRows, q: &[f64]) -> Vec<(f64, usize)> {
    let qn: Vec<u32> = (0..q.len() as u32)
        .filter(|&j| q[j as usize] != 0.0)
        .collect();
    (0..x.rows())
        .map(|r| {
            let (idx, val) = x.row(r);
            // Merge the two sorted lists of non-zero columns.
            let (mut a, mut b, mut sum) = (0, 0, 0.0);
            while a < idx.len() || b < qn.len() {
                let (ja, jb) = (
                    idx.get(a).copied().unwrap_or(u32::MAX),
                    qn.get(b).copied().unwrap_or(u32::MAX),
                );
                let j = ja.min(jb);
                let t = if ja == j { val[a] } else { 0.0 };
                let d = t - q[j as usize];
                sum += d * d;
                a += usize::from(ja == j);
                b += usize::from(jb == j);
            }
            (sum, r)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_distances_are_the_dense_ones_bit_for_bit() {
        let mut rng = crate::common::Rng::new(3);
        let (n, cols) = (40, 30);
        let x: Vec<f64> = (0..n * cols)
            .map(|_| {
                if rng.next_f64() < 0.1 {
                    rng.next_f64() * 3.0 - 1.0
                } else {
                    0.0
                }
            })
            .collect();
        let s = SparseRows::of_row_major(&x, cols).expect("mostly zeros");
        for t in 0..10 {
            let q: Vec<f64> = if t < 5 {
                x[t * cols..(t + 1) * cols].to_vec()
            } else {
                (0..cols)
                    .map(|_| {
                        if rng.next_f64() < 0.2 {
                            rng.next_f64()
                        } else {
                            0.0
                        }
                    })
                    .collect()
            };
            let got = sparse_distances(&s, &q);
            for (r, row) in x.chunks(cols).enumerate() {
                assert_eq!(got[r].0.to_bits(), squared_distance(row, &q).to_bits());
            }
        }
        assert!(
            SparseRows::of_row_major(&[1.0; 20], 4).is_none(),
            "dense stays dense"
        );
    }
}
