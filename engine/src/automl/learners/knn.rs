//! k-nearest neighbours by brute force with Euclidean distance, as scikit-learn's
//! `KNeighborsClassifier` / `KNeighborsRegressor` (`weights` uniform or distance). Class
//! probabilities are the (weighted) shares of the neighbours' classes.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::params::{KnnParams, Weights};
use super::{rows_to_predictions, FitError, Learner, Task, TrainData};
use crate::automl::matrix::Matrix;
use crate::automl::metrics::Predictions;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KnnModel {
    pub task: Task,
    pub params: KnnParams,
    /// Training rows, row-major.
    pub x: Vec<f64>,
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
        let rows: Vec<Vec<f64>> = (0..q.rows)
            .into_par_iter()
            .map(|i| {
                let qi = q.row(i);
                let mut dist: Vec<(f64, usize)> = self
                    .x
                    .chunks(self.cols)
                    .enumerate()
                    .map(|(r, row)| {
                        (
                            row.iter()
                                .zip(&qi)
                                .map(|(a, b)| (a - b) * (a - b))
                                .sum::<f64>(),
                            r,
                        )
                    })
                    .collect();
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
