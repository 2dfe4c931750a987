//! Linear models with scikit-learn's exact objectives, solved to tight tolerances so that
//! scikit-learn finds the same solution:
//! - classification: `LogisticRegression(C=C, penalty="l2")` — minimises
//!   `0.5·‖W‖² + C·Σ sᵢ·loss(xᵢ)` with an unpenalised intercept; sigmoid for two classes,
//!   softmax for more; solved with L-BFGS. `penalty="l1"` minimises `‖W‖₁ + C·Σ sᵢ·loss(xᵢ)`
//!   (scikit-learn's `solver="saga"` objective), solved with FISTA;
//! - regression, `penalty="l2"`: `Ridge(alpha)` — `Σ sᵢ(yᵢ − xᵢw − b)² + α‖w‖²`, by Cholesky;
//! - regression, `penalty="l1"` / `"elasticnet"`: `Lasso(alpha)` / `ElasticNet(alpha, l1_ratio)` —
//!   `1/(2Σs)·Σ sᵢ(yᵢ − xᵢw − b)² + αρ‖w‖₁ + α(1−ρ)/2·‖w‖²`, by coordinate descent.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::params::{LinearParams, Penalty};
use super::sparse::SparseColumns;
use super::{binary_proba, check_time, sigmoid, Deadline, FitError, Learner, Task, TrainData};
use crate::automl::matrix::Matrix;
use crate::automl::metrics::Predictions;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinearModel {
    pub task: Task,
    pub params: LinearParams,
    /// `k' × p` coefficients (k' = 1 for binary and regression, k for multiclass).
    pub coef: Vec<Vec<f64>>,
    pub intercept: Vec<f64>,
    pub iterations: usize,
}

impl LinearModel {
    pub fn new(task: Task, params: LinearParams) -> Self {
        LinearModel {
            task,
            params,
            coef: vec![],
            intercept: vec![],
            iterations: 0,
        }
    }

    fn scores(&self, x: &Matrix) -> Vec<Vec<f64>> {
        self.coef
            .iter()
            .zip(&self.intercept)
            .map(|(w, b)| {
                let mut z = vec![*b; x.rows];
                for (j, wj) in w.iter().enumerate() {
                    if *wj != 0.0 {
                        for (zi, xi) in z.iter_mut().zip(x.col(j)) {
                            *zi += wj * xi;
                        }
                    }
                }
                z
            })
            .collect()
    }
}

/// log(1 + exp(z)) without overflow.
fn log1pexp(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

/// Limited-memory BFGS with a backtracking (Armijo) line search. `f` returns the value and
/// fills the gradient.
fn lbfgs(
    mut x: Vec<f64>,
    f: impl Fn(&[f64], &mut [f64]) -> f64,
    max_iter: usize,
    deadline: Deadline,
) -> Result<(Vec<f64>, usize), FitError> {
    let n = x.len();
    let m = 10;
    let mut g = vec![0.0; n];
    let mut fx = f(&x, &mut g);
    let mut s_hist: Vec<Vec<f64>> = Vec::new();
    let mut y_hist: Vec<Vec<f64>> = Vec::new();
    let mut it = 0;
    while it < max_iter {
        let gmax = g.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        if gmax < 1e-7 {
            break;
        }
        check_time(deadline, || {
            format!("ran {it} L-BFGS iterations before the deadline, without converging")
        })?;
        // Two-loop recursion for the direction d = -H g.
        let mut q = g.clone();
        let mut alphas = Vec::with_capacity(s_hist.len());
        for (s, y) in s_hist.iter().zip(&y_hist).rev() {
            let rho = 1.0 / dot(y, s);
            let a = rho * dot(s, &q);
            axpy(-a, y, &mut q);
            alphas.push((a, rho));
        }
        if let (Some(s), Some(y)) = (s_hist.last(), y_hist.last()) {
            let gamma = dot(s, y) / dot(y, y);
            q.iter_mut().for_each(|v| *v *= gamma);
        } else {
            let gn = dot(&g, &g).sqrt();
            q.iter_mut().for_each(|v| *v /= gn.max(1.0));
        }
        for ((s, y), (a, rho)) in s_hist.iter().zip(&y_hist).zip(alphas.into_iter().rev()) {
            let b = rho * dot(y, &q);
            axpy(a - b, s, &mut q);
        }
        let d: Vec<f64> = q.iter().map(|v| -v).collect();
        let slope = dot(&g, &d);
        if slope >= 0.0 {
            // Not a descent direction: restart from steepest descent.
            s_hist.clear();
            y_hist.clear();
            continue;
        }
        let mut step = 1.0;
        let mut g_new = vec![0.0; n];
        let mut x_new;
        let mut f_new;
        loop {
            x_new = x
                .iter()
                .zip(&d)
                .map(|(a, b)| a + step * b)
                .collect::<Vec<_>>();
            f_new = f(&x_new, &mut g_new);
            if f_new <= fx + 1e-4 * step * slope || step < 1e-12 {
                break;
            }
            step *= 0.5;
        }
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let converged = (fx - f_new).abs() <= 1e-15 * fx.abs().max(1.0);
        if dot(&s, &y) > 1e-12 {
            s_hist.push(s);
            y_hist.push(y);
            if s_hist.len() > m {
                s_hist.remove(0);
                y_hist.remove(0);
            }
        }
        x = x_new;
        g = g_new;
        fx = f_new;
        it += 1;
        if converged {
            break;
        }
    }
    Ok((x, it))
}

/// FISTA (accelerated proximal gradient) for `f(x) + lambda·Σ|xᵢ|` over the entries
/// `penalised(i)`, with a backtracking estimate of the Lipschitz constant.
fn fista(
    start: Vec<f64>,
    f: impl Fn(&[f64], &mut [f64]) -> f64,
    lambda: f64,
    penalised: impl Fn(usize) -> bool,
    max_iter: usize,
    deadline: Deadline,
) -> Result<(Vec<f64>, usize), FitError> {
    let n = start.len();
    let (mut x, mut y) = (start.clone(), start);
    let (mut t, mut lip) = (1.0f64, 1.0f64);
    let mut g = vec![0.0; n];
    let mut scratch = vec![0.0; n];
    let mut it = 0;
    while it < max_iter {
        check_time(deadline, || {
            format!("ran {it} FISTA iterations before the deadline, without converging")
        })?;
        let fy = f(&y, &mut g);
        let x_new = loop {
            let cand: Vec<f64> = (0..n)
                .map(|i| {
                    let v = y[i] - g[i] / lip;
                    if penalised(i) {
                        v.signum() * (v.abs() - lambda / lip).max(0.0)
                    } else {
                        v
                    }
                })
                .collect();
            let diff: Vec<f64> = cand.iter().zip(&y).map(|(a, b)| a - b).collect();
            let bound = fy + dot(&g, &diff) + 0.5 * lip * dot(&diff, &diff);
            if f(&cand, &mut scratch) <= bound + 1e-12 || lip > 1e12 {
                break cand;
            }
            lip *= 2.0;
        };
        let t_new = (1.0 + (1.0 + 4.0 * t * t).sqrt()) / 2.0;
        let change = x_new
            .iter()
            .zip(&x)
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
        y = x_new
            .iter()
            .zip(&x)
            .map(|(a, b)| a + (t - 1.0) / t_new * (a - b))
            .collect();
        x = x_new;
        t = t_new;
        it += 1;
        if change < 1e-10 {
            break;
        }
    }
    Ok((x, it))
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += a * xi;
    }
}

fn weighted_means(x: &Matrix, w: &[f64]) -> Vec<f64> {
    let sw: f64 = w.iter().sum();
    (0..x.cols).map(|j| dot(x.col(j), w) / sw).collect()
}

/// Solve `A v = b` for a symmetric positive definite `A` (row-major `n × n`), in place.
fn cholesky_solve(mut a: Vec<f64>, mut b: Vec<f64>, n: usize) -> Option<Vec<f64>> {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if d <= 0.0 {
            return None;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
    }
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= a[i * n + k] * b[k];
        }
        b[i] = s / a[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= a[k * n + i] * b[k];
        }
        b[i] = s / a[i * n + i];
    }
    Some(b)
}

impl LinearModel {
    /// `fit`, on the dense matrix alone when `dense_only` (else sparse where it is mostly
    /// zeros: the same fit, bit for bit).
    #[allow(clippy::needless_range_loop)] // classes index several parallel arrays
    fn fit_on(&mut self, d: &TrainData, dense_only: bool) -> Result<(), FitError> {
        let (n, p) = (d.x.rows, d.x.cols);
        let w = d.weights;
        match self.task {
            Task::Classification { n_classes } => {
                let c = self.params.c;
                let k = if n_classes == 2 { 1 } else { n_classes };
                let sw: f64 = w.iter().sum();
                let scale = 1.0 / (c * sw); // objective divided by C·Σs: same optimum
                let l1 = match self.params.penalty {
                    Penalty::L1 => true,
                    Penalty::L2 => false,
                    Penalty::Elasticnet => {
                        return Err("the elasticnet penalty is for regression; use l1 or l2".into())
                    }
                };
                // TF-IDF terms are mostly zeros: the same sums over the non-zeros alone.
                let sparse = if dense_only {
                    None
                } else {
                    SparseColumns::of(d.x)
                };
                let col_dot = |r: &[f64], j: usize| match &sparse {
                    Some(s) => s.dot_col(j, r),
                    None => dot(r, d.x.col(j)),
                };
                // The smooth part of the objective; `l2` weighs the ridge term (0 for L1).
                let smooth = |theta: &[f64], grad: &mut [f64], l2: f64| -> f64 {
                    grad.iter_mut().for_each(|g| *g = 0.0);
                    let coef = |cl: usize| &theta[cl * (p + 1)..cl * (p + 1) + p];
                    // Scores per class, rows in parallel chunks.
                    let z: Vec<Vec<f64>> = (0..k)
                        .map(|cl| {
                            let mut zc = vec![theta[cl * (p + 1) + p]; n];
                            if let Some(s) = &sparse {
                                s.add_scores(coef(cl), &mut zc);
                                return zc;
                            }
                            zc.par_chunks_mut(4096).enumerate().for_each(|(ci, chunk)| {
                                let start = ci * 4096;
                                for (j, wj) in coef(cl).iter().enumerate() {
                                    if *wj != 0.0 {
                                        axpy(*wj, &d.x.col(j)[start..start + chunk.len()], chunk);
                                    }
                                }
                            });
                            zc
                        })
                        .collect();
                    let mut loss = 0.0;
                    let mut resid: Vec<Vec<f64>> = vec![vec![0.0; n]; k];
                    for i in 0..n {
                        let yi = d.y[i] as usize;
                        if k == 1 {
                            let zi = z[0][i];
                            let t = if yi == 1 { 1.0 } else { -1.0 };
                            loss += w[i] * log1pexp(-t * zi);
                            resid[0][i] = w[i] * (sigmoid(zi) - yi as f64);
                        } else {
                            let mx = (0..k).map(|cl| z[cl][i]).fold(f64::NEG_INFINITY, f64::max);
                            let lse = mx + (0..k).map(|cl| (z[cl][i] - mx).exp()).sum::<f64>().ln();
                            loss += w[i] * (lse - z[yi][i]);
                            for cl in 0..k {
                                resid[cl][i] =
                                    w[i] * ((z[cl][i] - lse).exp() - f64::from(cl == yi));
                            }
                        }
                    }
                    let mut reg = 0.0;
                    for cl in 0..k {
                        let base = cl * (p + 1);
                        let r = &resid[cl];
                        grad[base..base + p]
                            .par_iter_mut()
                            .enumerate()
                            .for_each(|(j, g)| *g = col_dot(r, j) / sw + theta[base + j] * l2);
                        reg += theta[base..base + p].iter().map(|wj| wj * wj).sum::<f64>();
                        grad[base + p] = r.iter().sum::<f64>() / sw;
                    }
                    loss / sw + 0.5 * reg * l2
                };
                let start = vec![0.0; k * (p + 1)];
                let (theta, iters) = if l1 {
                    // Soft-threshold the coefficients, never the intercepts.
                    let is_coef = |i: usize| i % (p + 1) != p;
                    fista(
                        start,
                        |t, g| smooth(t, g, 0.0),
                        scale,
                        is_coef,
                        2000,
                        d.deadline,
                    )?
                } else {
                    lbfgs(start, |t, g| smooth(t, g, scale), 1000, d.deadline)?
                };
                self.coef = (0..k)
                    .map(|cl| theta[cl * (p + 1)..cl * (p + 1) + p].to_vec())
                    .collect();
                self.intercept = (0..k).map(|cl| theta[cl * (p + 1) + p]).collect();
                self.iterations = iters;
            }
            Task::Regression => {
                let alpha = self.params.alpha;
                let xm = weighted_means(d.x, w);
                let sw: f64 = w.iter().sum();
                let ym = dot(d.y, w) / sw;
                let yc: Vec<f64> = d.y.iter().map(|v| v - ym).collect();
                let xc: Vec<Vec<f64>> = (0..p)
                    .map(|j| d.x.col(j).iter().map(|v| v - xm[j]).collect())
                    .collect();
                let coef = match self.params.penalty {
                    Penalty::L2 => {
                        let mut a = vec![0.0; p * p];
                        for i in 0..p {
                            for j in i..p {
                                let v: f64 = xc[i]
                                    .iter()
                                    .zip(&xc[j])
                                    .zip(w)
                                    .map(|((a, b), s)| a * b * s)
                                    .sum();
                                a[i * p + j] = v;
                                a[j * p + i] = v;
                            }
                            a[i * p + i] += alpha;
                        }
                        let b: Vec<f64> = (0..p)
                            .map(|j| {
                                xc[j]
                                    .iter()
                                    .zip(&yc)
                                    .zip(w)
                                    .map(|((a, b), s)| a * b * s)
                                    .sum()
                            })
                            .collect();
                        cholesky_solve(a, b, p)
                            .ok_or("the ridge system is singular; raise alpha")?
                    }
                    pen => {
                        let rho = if pen == Penalty::L1 {
                            1.0
                        } else {
                            self.params.l1_ratio
                        };
                        let norms: Vec<f64> = xc
                            .iter()
                            .map(|c| c.iter().zip(w).map(|(v, s)| v * v * s).sum::<f64>() / sw)
                            .collect();
                        let mut coef = vec![0.0; p];
                        let mut r = yc.clone();
                        for epoch in 0..10_000 {
                            let mut max_delta = 0.0f64;
                            let mut max_w = 0.0f64;
                            for j in 0..p {
                                if norms[j] == 0.0 {
                                    continue;
                                }
                                let old = coef[j];
                                let g: f64 = xc[j]
                                    .iter()
                                    .zip(&r)
                                    .zip(w)
                                    .map(|((a, b), s)| a * b * s)
                                    .sum::<f64>()
                                    / sw
                                    + norms[j] * old;
                                let soft = g.signum() * (g.abs() - alpha * rho).max(0.0);
                                let new = soft / (norms[j] + alpha * (1.0 - rho));
                                if new != old {
                                    axpy(old - new, &xc[j], &mut r);
                                    coef[j] = new;
                                }
                                max_delta = max_delta.max((new - old).abs());
                                max_w = max_w.max(new.abs());
                            }
                            self.iterations = epoch + 1;
                            if max_delta <= 1e-12 * max_w.max(1e-12) {
                                break;
                            }
                            check_time(d.deadline, || {
                                format!("ran {} coordinate-descent epochs before the deadline, without converging", epoch + 1)
                            })?;
                        }
                        coef
                    }
                };
                self.intercept = vec![ym - dot(&coef, &xm)];
                self.coef = vec![coef];
            }
        }
        Ok(())
    }
}

impl Learner for LinearModel {
    fn fit(&mut self, d: &TrainData) -> Result<(), FitError> {
        self.fit_on(d, false)
    }

    fn predict(&self, x: &Matrix) -> Predictions {
        let z = self.scores(x);
        match self.task {
            Task::Regression => Predictions::Values(z.into_iter().next().unwrap_or_default()),
            Task::Classification { n_classes: 2 } => binary_proba(&z[0]),
            Task::Classification { n_classes } => {
                let mut p = Vec::with_capacity(x.rows * n_classes);
                for i in 0..x.rows {
                    let mx = z.iter().map(|c| c[i]).fold(f64::NEG_INFINITY, f64::max);
                    let e: Vec<f64> = z.iter().map(|c| (c[i] - mx).exp()).collect();
                    let s: f64 = e.iter().sum();
                    p.extend(e.iter().map(|v| v / s));
                }
                Predictions::Proba { p, k: n_classes }
            }
        }
    }

    fn feature_importance(&self) -> Vec<f64> {
        let p = self.coef.first().map_or(0, Vec::len);
        (0..p)
            .map(|j| self.coef.iter().map(|c| c[j].abs()).sum())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::automl::metrics::{compute, Metric, Truth};
    use crate::common::Rng;

    /// A logistic regression fitted on `x` with unit weights (`dense_only`: see `fit_on`).
    fn logistic(
        x: &Matrix,
        y: &[f64],
        n_classes: usize,
        c: f64,
        penalty: Penalty,
        dense_only: bool,
    ) -> LinearModel {
        let params = LinearParams {
            c,
            penalty,
            ..LinearParams::default()
        };
        let mut m = LinearModel::new(Task::Classification { n_classes }, params);
        let data = TrainData {
            x,
            y,
            weights: &vec![1.0; y.len()],
            eval: None,
            categories: &[],
            deadline: Default::default(),
            seed: 0,
        };
        m.fit_on(&data, dense_only).unwrap();
        m
    }

    #[test]
    fn a_mostly_zero_matrix_fits_as_it_would_dense() {
        // Sixty term-like columns, each in about one row in sixteen, and a dense one.
        let n = 3000;
        let mut rng = Rng::new(11);
        let mut cols: Vec<Vec<f64>> = (0..60)
            .map(|_| {
                (0..n)
                    .map(|_| {
                        if rng.below(16) == 0 {
                            rng.next_f64()
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect();
        cols.push((0..n).map(|_| rng.next_f64()).collect());
        let score = |i: usize| cols[0][i] - cols[1][i] + 0.5 * cols[2][i] + 0.3 * cols[60][i];
        let y3: Vec<f64> = (0..n)
            .map(|i| (score(i) * 3.0).floor().clamp(0.0, 2.0))
            .collect();
        let x = Matrix::from_columns(n, cols);
        assert!(
            SparseColumns::of(&x).is_some(),
            "the matrix is worked on sparse"
        );
        for (n_classes, penalty) in [(2, Penalty::L2), (2, Penalty::L1), (3, Penalty::L2)] {
            let y: Vec<f64> = y3.iter().map(|&c| c.min((n_classes - 1) as f64)).collect();
            let fit = |dense_only| logistic(&x, &y, n_classes, 0.5, penalty, dense_only);
            let (sparse, dense) = (fit(false), fit(true));
            assert!(sparse.iterations > 5, "{n_classes} {penalty:?}");
            assert_eq!(
                sparse.iterations, dense.iterations,
                "{n_classes} {penalty:?}"
            );
            assert_eq!(sparse.coef, dense.coef, "{n_classes} {penalty:?}");
            assert_eq!(sparse.intercept, dense.intercept, "{n_classes} {penalty:?}");
        }
    }

    #[test]
    fn l1_logistic_is_sparse_and_still_learns() {
        // Two informative columns and twenty noise columns.
        let (n, noise) = (800, 20);
        let mut rng = Rng::new(9);
        let mut cols = vec![Vec::with_capacity(n); noise + 2];
        let mut y = Vec::with_capacity(n);
        for _ in 0..n {
            let vals: Vec<f64> = (0..noise + 2).map(|_| rng.next_f64() * 2.0 - 1.0).collect();
            y.push(f64::from(vals[0] + 0.5 * vals[1] > 0.0));
            for (c, v) in cols.iter_mut().zip(vals) {
                c.push(v);
            }
        }
        let x = Matrix::from_columns(n, cols);
        let fit = |penalty| logistic(&x, &y, 2, 0.05, penalty, false);
        let l1 = fit(Penalty::L1);
        let l2 = fit(Penalty::L2);
        let zeros = |m: &LinearModel| m.coef[0].iter().filter(|c| **c == 0.0).count();
        assert!(
            zeros(&l1) >= noise / 2,
            "L1 zeroes noise columns: {:?}",
            l1.coef[0]
        );
        assert_eq!(zeros(&l2), 0, "L2 does not");
        assert!(
            l1.coef[0][0] > 0.0 && l1.coef[0][1] > 0.0,
            "informative columns kept"
        );
        let yc: Vec<usize> = y.iter().map(|v| *v as usize).collect();
        let auc = compute(
            Metric::AUC,
            &Truth::Classes {
                y: &yc,
                k: 2,
                positive: 1,
            },
            &l1.predict(&x),
        )
        .unwrap();
        assert!(auc > 0.95, "{auc}");
    }
}
