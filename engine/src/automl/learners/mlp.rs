//! A small multi-layer perceptron, as scikit-learn's `MLPClassifier` / `MLPRegressor`
//! with one hidden layer and its defaults: ReLU, Glorot-uniform initialisation, Adam, L2
//! penalty `alpha`, minibatches of 256, all training rows, at most `max_iter` epochs,
//! stopping once the training loss has not improved by 1e-4 for more than 10 epochs.
//! Regression targets are standardised for training and mapped back (the notebook wraps
//! `MLPRegressor` in `TransformedTargetRegressor(transformer=StandardScaler())`).
//! Randomised: another library reproduces it within a tolerance, not exactly.

use serde::{Deserialize, Serialize};

use super::params::MlpParams;
use super::{check_time, FitError, Learner, Task, TrainData};
use crate::automl::matrix::Matrix;
use crate::automl::metrics::Predictions;
use crate::common::Rng;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MlpModel {
    pub task: Task,
    pub params: MlpParams,
    pub n_in: usize,
    pub hidden: usize,
    pub n_out: usize,
    /// `n_in × hidden`, row-major.
    pub w1: Vec<f64>,
    pub b1: Vec<f64>,
    /// `hidden × n_out`, row-major.
    pub w2: Vec<f64>,
    pub b2: Vec<f64>,
    /// Regression target mean and scale.
    pub y_mean: f64,
    pub y_scale: f64,
    pub epochs: usize,
}

struct Adam {
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
}

impl Adam {
    fn new(n: usize) -> Self {
        Adam {
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
        }
    }
    fn step(&mut self, w: &mut [f64], g: &[f64], lr: f64) {
        self.t += 1;
        let (b1, b2) = (0.9f64, 0.999f64);
        let c1 = 1.0 - b1.powi(self.t);
        let c2 = 1.0 - b2.powi(self.t);
        for i in 0..w.len() {
            self.m[i] = b1 * self.m[i] + (1.0 - b1) * g[i];
            self.v[i] = b2 * self.v[i] + (1.0 - b2) * g[i] * g[i];
            w[i] -= lr * (self.m[i] / c1) / ((self.v[i] / c2).sqrt() + 1e-8);
        }
    }
}

impl MlpModel {
    pub fn new(task: Task, params: MlpParams) -> Self {
        MlpModel {
            task,
            params,
            n_in: 0,
            hidden: 0,
            n_out: 0,
            w1: vec![],
            b1: vec![],
            w2: vec![],
            b2: vec![],
            y_mean: 0.0,
            y_scale: 1.0,
            epochs: 0,
        }
    }

    /// Outputs (logits or standardised values) for one row.
    fn forward(&self, x: &[f64], h: &mut [f64], out: &mut [f64]) {
        h.copy_from_slice(&self.b1);
        for (i, xi) in x.iter().enumerate() {
            if *xi != 0.0 {
                let row = &self.w1[i * self.hidden..(i + 1) * self.hidden];
                for (hj, w) in h.iter_mut().zip(row) {
                    *hj += xi * w;
                }
            }
        }
        h.iter_mut().for_each(|v| *v = v.max(0.0));
        out.copy_from_slice(&self.b2);
        for (j, hj) in h.iter().enumerate() {
            if *hj != 0.0 {
                let row = &self.w2[j * self.n_out..(j + 1) * self.n_out];
                for (o, w) in out.iter_mut().zip(row) {
                    *o += hj * w;
                }
            }
        }
    }
}

impl Learner for MlpModel {
    fn fit(&mut self, d: &TrainData) -> Result<(), FitError> {
        let n = d.x.rows;
        if n < 2 {
            return Err("an MLP needs at least 2 rows".into());
        }
        self.n_in = d.x.cols;
        self.hidden = self.params.hidden_layer_sizes.max(1);
        self.n_out = match self.task {
            Task::Classification { n_classes } => n_classes,
            Task::Regression => 1,
        };
        let alpha = self.params.alpha;
        let lr = self.params.learning_rate_init;
        let max_epochs = self.params.max_iter;
        let mut rng = Rng::new(d.seed ^ 0x31337);
        let glorot = |fan_in: usize, fan_out: usize, rng: &mut Rng| {
            let bound = (6.0 / (fan_in + fan_out) as f64).sqrt();
            (rng.next_f64() * 2.0 - 1.0) * bound
        };
        self.w1 = (0..self.n_in * self.hidden)
            .map(|_| glorot(self.n_in, self.hidden, &mut rng))
            .collect();
        self.b1 = (0..self.hidden)
            .map(|_| glorot(self.n_in, self.hidden, &mut rng))
            .collect();
        self.w2 = (0..self.hidden * self.n_out)
            .map(|_| glorot(self.hidden, self.n_out, &mut rng))
            .collect();
        self.b2 = (0..self.n_out)
            .map(|_| glorot(self.hidden, self.n_out, &mut rng))
            .collect();
        let rows: Vec<Vec<f64>> = (0..n).map(|i| d.x.row(i)).collect();
        let y: Vec<f64> = match self.task {
            Task::Regression => {
                let mean = d.y.iter().sum::<f64>() / n as f64;
                let sd = (d.y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
                self.y_mean = mean;
                self.y_scale = if sd > 0.0 { sd } else { 1.0 };
                d.y.iter()
                    .map(|v| (v - self.y_mean) / self.y_scale)
                    .collect()
            }
            Task::Classification { .. } => d.y.to_vec(),
        };
        let mut train: Vec<usize> = (0..n).collect();
        let (mut a1, mut ab1, mut a2, mut ab2) = (
            Adam::new(self.w1.len()),
            Adam::new(self.hidden),
            Adam::new(self.w2.len()),
            Adam::new(self.n_out),
        );
        // scikit-learn's stopping rule without early stopping: stop once the epoch's
        // training loss has not improved by `tol` for more than `n_iter_no_change` epochs.
        let (tol, n_iter_no_change) = (1e-4, 10);
        let mut best_loss = f64::INFINITY;
        let mut stale = 0;
        let batch = 256.min(train.len());
        let (mut h, mut out) = (vec![0.0; self.hidden], vec![0.0; self.n_out]);
        for epoch in 0..max_epochs {
            check_time(d.deadline, || {
                format!("ran {epoch} of at most {max_epochs} epochs before the deadline")
            })?;
            d.deadline.report(epoch, max_epochs);
            for i in (1..train.len()).rev() {
                train.swap(i, rng.below(i + 1));
            }
            let mut epoch_loss = 0.0;
            for chunk in train.chunks(batch) {
                let mut gw1 = vec![0.0; self.w1.len()];
                let mut gb1 = vec![0.0; self.hidden];
                let mut gw2 = vec![0.0; self.w2.len()];
                let mut gb2 = vec![0.0; self.n_out];
                let mut dh = vec![0.0; self.hidden];
                for &i in chunk {
                    self.forward(&rows[i], &mut h, &mut out);
                    let w = d.weights[i];
                    // d loss / d output
                    match self.task {
                        Task::Regression => {
                            out[0] -= y[i];
                            epoch_loss += w * out[0] * out[0] / 2.0;
                        }
                        Task::Classification { .. } => {
                            let mx = out.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                            let s: f64 = out.iter().map(|o| (o - mx).exp()).sum();
                            epoch_loss += w * (mx + s.ln() - out[y[i] as usize]);
                            out.iter_mut().for_each(|o| *o = (*o - mx).exp() / s);
                            out[y[i] as usize] -= 1.0;
                        }
                    }
                    dh.iter_mut().for_each(|v| *v = 0.0);
                    for j in 0..self.hidden {
                        if h[j] > 0.0 {
                            for k in 0..self.n_out {
                                gw2[j * self.n_out + k] += w * h[j] * out[k];
                                dh[j] += self.w2[j * self.n_out + k] * out[k];
                            }
                        }
                    }
                    for k in 0..self.n_out {
                        gb2[k] += w * out[k];
                    }
                    for (f, xf) in rows[i].iter().enumerate() {
                        if *xf != 0.0 {
                            for j in 0..self.hidden {
                                if h[j] > 0.0 {
                                    gw1[f * self.hidden + j] += w * xf * dh[j];
                                }
                            }
                        }
                    }
                    for j in 0..self.hidden {
                        if h[j] > 0.0 {
                            gb1[j] += w * dh[j];
                        }
                    }
                }
                let m = chunk.len() as f64;
                let l2: f64 = self.w1.iter().chain(&self.w2).map(|w| w * w).sum();
                epoch_loss += 0.5 * alpha * l2;
                // Mean gradient plus the L2 term alpha·W / batch size, as scikit-learn.
                gw1.iter_mut()
                    .zip(&self.w1)
                    .for_each(|(g, w)| *g = *g / m + alpha * w / m);
                gw2.iter_mut()
                    .zip(&self.w2)
                    .for_each(|(g, w)| *g = *g / m + alpha * w / m);
                gb1.iter_mut().for_each(|g| *g /= m);
                gb2.iter_mut().for_each(|g| *g /= m);
                a1.step(&mut self.w1, &gw1, lr);
                ab1.step(&mut self.b1, &gb1, lr);
                a2.step(&mut self.w2, &gw2, lr);
                ab2.step(&mut self.b2, &gb2, lr);
            }
            self.epochs = epoch + 1;
            let loss = epoch_loss / n as f64;
            if !loss.is_finite() {
                return Err("the network diverged (its training loss is not finite)".into());
            }
            stale = if loss > best_loss - tol { stale + 1 } else { 0 };
            best_loss = best_loss.min(loss);
            if stale > n_iter_no_change {
                break;
            }
        }
        Ok(())
    }

    fn predict(&self, x: &Matrix) -> Predictions {
        let (mut h, mut out) = (vec![0.0; self.hidden], vec![0.0; self.n_out]);
        match self.task {
            Task::Regression => Predictions::Values(
                (0..x.rows)
                    .map(|i| {
                        self.forward(&x.row(i), &mut h, &mut out);
                        out[0] * self.y_scale + self.y_mean
                    })
                    .collect(),
            ),
            Task::Classification { n_classes } => {
                let mut p = Vec::with_capacity(x.rows * n_classes);
                for i in 0..x.rows {
                    self.forward(&x.row(i), &mut h, &mut out);
                    let mx = out.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let s: f64 = out.iter().map(|o| (o - mx).exp()).sum();
                    p.extend(out.iter().map(|o| (o - mx).exp() / s));
                }
                Predictions::Proba { p, k: n_classes }
            }
        }
    }

    /// Sum of absolute first-layer weights per input (a rough importance).
    fn feature_importance(&self) -> Vec<f64> {
        (0..self.n_in)
            .map(|i| {
                self.w1[i * self.hidden..(i + 1) * self.hidden]
                    .iter()
                    .map(|w| w.abs())
                    .sum()
            })
            .collect()
    }
}
