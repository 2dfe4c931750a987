//! Random forests and extra trees as scikit-learn grows them. Nodes of more than 1,024 rows
//! split on features binned into at most 255 quantile bins, smaller nodes on exact values
//! (thresholds are real values, so prediction needs no binning). Random forest: bootstrap
//! rows, best split among `max_features` features. Extra trees: all rows, one threshold per
//! candidate feature drawn uniformly between its smallest and largest value in the node
//! (the nearest `f32` when that splits the node the same: `single_precision`).
//! Gini impurity for classes, squared error for numbers; leaves hold class frequencies or
//! means. Trees grow in parallel; the deadline is checked before each tree, and a forest
//! that misses it is no model (`FitError::OutOfTime`); each grown tree is reported as
//! progress (`Deadline::report`).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::compact_tree::Tree;
use super::params::ForestParams;
use super::{rows_to_predictions, FitError, Learner, Task, TrainData};
use crate::automl::matrix::Matrix;
use crate::automl::metrics::Predictions;
use crate::common::Rng;

const MAX_BINS: usize = 255;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForestModel {
    pub task: Task,
    pub params: ForestParams,
    pub extra: bool,
    #[serde(with = "super::tree_format::forest_trees")]
    pub trees: Vec<Tree>,
    pub importance: Vec<f64>,
    pub n_features: usize,
}

struct Binned {
    /// Per feature, per row: bin index.
    bins: Vec<Vec<u8>>,
    /// Per feature: upper edge of each bin but the last (`x <= edge[b]` ⇔ bin ≤ b).
    edges: Vec<Vec<f64>>,
    /// Per feature, per bin: the smallest and largest value in it.
    range: Vec<Vec<(f64, f64)>>,
}

/// One feature's bins per row, bin edges, and (smallest, largest) value per bin.
type BinnedColumn = (Vec<u8>, Vec<f64>, Vec<(f64, f64)>);

fn bin_features(x: &Matrix) -> Binned {
    let columns: Vec<BinnedColumn> = (0..x.cols)
        .into_par_iter()
        .map(|j| {
            let col = x.col(j);
            let mut s: Vec<f64> = col.iter().copied().filter(|v| !v.is_nan()).collect();
            s.sort_unstable_by(|a, b| a.total_cmp(b));
            s.dedup();
            let edges: Vec<f64> = if s.len() <= MAX_BINS {
                s.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect()
            } else {
                let mut e: Vec<f64> = (1..MAX_BINS).map(|k| s[k * s.len() / MAX_BINS]).collect();
                e.dedup();
                e
            };
            let mut range = vec![(f64::INFINITY, f64::NEG_INFINITY); edges.len() + 1];
            let bins = col
                .iter()
                .map(|&v| {
                    if v.is_nan() {
                        0
                    } else {
                        let b = edges.partition_point(|&e| e < v);
                        range[b] = (range[b].0.min(v), range[b].1.max(v));
                        b as u8
                    }
                })
                .collect();
            (bins, edges, range)
        })
        .collect();
    let mut b = Binned {
        bins: Vec::with_capacity(x.cols),
        edges: Vec::with_capacity(x.cols),
        range: Vec::with_capacity(x.cols),
    };
    for (bins, edges, range) in columns {
        b.bins.push(bins);
        b.edges.push(edges);
        b.range.push(range);
    }
    b
}

/// A drawn threshold `t` in `[lo, hi)` as the nearest `f32`, when that still lies in
/// `[lo, hi)` (so it splits the node's rows as `t` does, and `model.json` stores it in half
/// the bytes: scikit-learn compares `f32` features, so its thresholds are no finer); else
/// `t` itself.
fn single_precision(t: f64, lo: f64, hi: f64) -> f64 {
    let near = t as f32 as f64;
    if near >= lo && near < hi {
        near
    } else {
        t
    }
}

/// Nodes with at most this many rows split on exact values (sorted), as scikit-learn does
/// everywhere; larger nodes split on the quantile bins.
const EXACT_ROWS: usize = 1024;

struct Grower<'a> {
    b: &'a Binned,
    x: &'a Matrix,
    y: &'a [f64],
    w: &'a [f64],
    k: usize, // classes, or 0 for regression
    mtry: usize,
    min_leaf: f64,
    max_depth: usize,
    extra: bool,
    tree: Tree,
    importance: Vec<f64>,
    rng: Rng,
}

impl Grower<'_> {
    fn stats(&self, rows: &[u32]) -> (Vec<f64>, f64) {
        let dim = if self.k == 0 { 2 } else { self.k };
        let mut s = vec![0.0; dim];
        let mut wsum = 0.0;
        for &r in rows {
            let (r, w) = (r as usize, self.w[r as usize]);
            wsum += w;
            if self.k == 0 {
                s[0] += w * self.y[r];
                s[1] += w * self.y[r] * self.y[r];
            } else {
                s[self.y[r] as usize] += w;
            }
        }
        (s, wsum)
    }

    /// Impurity × weight: Gini·W for classes, SSE for numbers.
    fn impurity(&self, s: &[f64], w: f64) -> f64 {
        if w <= 0.0 {
            return 0.0;
        }
        if self.k == 0 {
            s[1] - s[0] * s[0] / w
        } else {
            w - s.iter().map(|c| c * c).sum::<f64>() / w
        }
    }

    fn leaf(&mut self, s: &[f64], w: f64) -> u32 {
        // Regression: the mean (s holds Σy and Σy²); classes: their frequencies.
        let values = if self.k == 0 { &s[..1] } else { s };
        self.tree.push_leaf(values.iter().map(|c| c / w), w)
    }

    fn grow(&mut self, rows: &mut [u32], depth: usize) -> u32 {
        let (s, w) = self.stats(rows);
        let parent = self.impurity(&s, w);
        if depth >= self.max_depth || w < 2.0 * self.min_leaf || parent <= 1e-12 * w.max(1.0) {
            return self.leaf(&s, w);
        }
        let p = self.b.bins.len();
        let dim = s.len();
        let mut best: Option<(f64, usize, f64)> = None; // (gain, feature, threshold)
        let mut feats: Vec<usize> = (0..p).collect();
        for i in 0..self.mtry.min(p) {
            let j = i + self.rng.below(p - i);
            feats.swap(i, j);
        }
        let exact = rows.len() <= EXACT_ROWS;
        for &f in &feats[..self.mtry.min(p)] {
            if exact {
                if let Some((gain, t)) = self.exact_split(rows, f, &s, w, parent) {
                    if best.is_none_or(|(g, _, _)| gain > g) {
                        best = Some((gain, f, t));
                    }
                }
                continue;
            }
            let nb = self.b.edges[f].len() + 1;
            if nb < 2 {
                continue;
            }
            let mut hist = vec![0.0; nb * dim];
            let mut hw = vec![0.0; nb];
            let col = &self.b.bins[f];
            for &r in rows.iter() {
                let (r, wr) = (r as usize, self.w[r as usize]);
                let bin = col[r] as usize;
                hw[bin] += wr;
                if self.k == 0 {
                    hist[bin * 2] += wr * self.y[r];
                    hist[bin * 2 + 1] += wr * self.y[r] * self.y[r];
                } else {
                    hist[bin * dim + self.y[r] as usize] += wr;
                }
            }
            let (lo, hi) = match (
                hw.iter().position(|&v| v > 0.0),
                hw.iter().rposition(|&v| v > 0.0),
            ) {
                (Some(a), Some(b)) if b > a => (a, b),
                _ => continue,
            };
            let candidates: Vec<usize> = if self.extra {
                // A threshold drawn uniformly between the node's smallest and largest
                // value (as scikit-learn's extra trees); rows go left up to the last bin
                // starting at or below it.
                let range = &self.b.range[f];
                let (low, high) = (range[lo].0, range[hi].1);
                let t = low + self.rng.next_f64() * (high - low);
                let first_above = (lo..=hi)
                    .find(|&b| hw[b] > 0.0 && range[b].0 > t)
                    .unwrap_or(hi);
                vec![first_above.saturating_sub(1).clamp(lo, hi - 1)]
            } else {
                (lo..hi).collect()
            };
            let mut left = vec![0.0; dim];
            let mut lw = 0.0;
            let mut next = 0;
            for &cut in &candidates {
                while next <= cut {
                    for t in 0..dim {
                        left[t] += hist[next * dim + t];
                    }
                    lw += hw[next];
                    next += 1;
                }
                let rw = w - lw;
                if lw < self.min_leaf || rw < self.min_leaf {
                    continue;
                }
                let right: Vec<f64> = s.iter().zip(&left).map(|(a, b)| a - b).collect();
                let gain = parent - self.impurity(&left, lw) - self.impurity(&right, rw);
                if best.is_none_or(|(g, _, _)| gain > g) {
                    best = Some((gain, f, self.b.edges[f][cut]));
                }
            }
        }
        let Some((gain, f, threshold)) = best.filter(|b| b.0 > 0.0) else {
            return self.leaf(&s, w);
        };
        self.importance[f] += gain;
        // Missing values go left with the smallest ones.
        let mut i = 0;
        for j in 0..rows.len() {
            let v = self.x.get(rows[j] as usize, f);
            if v.is_nan() || v <= threshold {
                rows.swap(i, j);
                i += 1;
            }
        }
        let idx = self.tree.push_split(f as u32, threshold);
        let (l, r) = rows.split_at_mut(i);
        self.grow(l, depth + 1);
        let right = self.grow(r, depth + 1);
        self.tree.set_right(idx, right);
        idx
    }

    /// The best split of feature `f` on exact values (random forest), or the split at a
    /// threshold drawn uniformly between the node's smallest and largest value (extra
    /// trees): (gain, threshold), missing values going left.
    fn exact_split(
        &mut self,
        rows: &[u32],
        f: usize,
        s: &[f64],
        w: f64,
        parent: f64,
    ) -> Option<(f64, f64)> {
        let mut vals: Vec<(f64, u32)> = rows
            .iter()
            .map(|&r| (self.x.get(r as usize, f), r))
            .collect();
        // Missing values first, as the smallest.
        vals.sort_unstable_by(|a, b| match (a.0.is_nan(), b.0.is_nan()) {
            (true, true) => std::cmp::Ordering::Equal,
            (true, false) => std::cmp::Ordering::Less,
            (false, true) => std::cmp::Ordering::Greater,
            _ => a.0.total_cmp(&b.0),
        });
        let dim = s.len();
        let mut left = vec![0.0; dim];
        let mut lw = 0.0;
        let add = |g: &Self, left: &mut [f64], lw: &mut f64, r: usize| {
            let wr = g.w[r];
            *lw += wr;
            if g.k == 0 {
                left[0] += wr * g.y[r];
                left[1] += wr * g.y[r] * g.y[r];
            } else {
                left[g.y[r] as usize] += wr;
            }
        };
        let gain_of = |g: &Self, left: &[f64], lw: f64| -> Option<f64> {
            let rw = w - lw;
            if lw < g.min_leaf || rw < g.min_leaf {
                return None;
            }
            // The right side's impurity without allocating its statistics.
            let right = if g.k == 0 {
                let (s0, s1) = (s[0] - left[0], s[1] - left[1]);
                s1 - s0 * s0 / rw
            } else {
                rw - s
                    .iter()
                    .zip(left)
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>()
                    / rw
            };
            Some(parent - g.impurity(left, lw) - right)
        };
        if self.extra {
            let numbers: Vec<f64> = vals.iter().map(|v| v.0).filter(|v| !v.is_nan()).collect();
            let (lo, hi) = (*numbers.first()?, *numbers.last()?);
            if hi <= lo {
                return None;
            }
            let t = single_precision(lo + self.rng.next_f64() * (hi - lo), lo, hi);
            for &(v, r) in &vals {
                if v.is_nan() || v <= t {
                    add(self, &mut left, &mut lw, r as usize);
                }
            }
            return gain_of(self, &left, lw).map(|g| (g, t));
        }
        let mut best: Option<(f64, f64)> = None;
        for i in 0..vals.len() - 1 {
            add(self, &mut left, &mut lw, vals[i].1 as usize);
            let (a, b) = (vals[i].0, vals[i + 1].0);
            if a == b || (a.is_nan() && b.is_nan()) {
                continue;
            }
            let Some(gain) = gain_of(self, &left, lw) else {
                continue;
            };
            if best.is_none_or(|(g, _)| gain > g) {
                let t = if a.is_nan() {
                    f64::NEG_INFINITY
                } else {
                    let mid = a / 2.0 + b / 2.0;
                    if mid >= b {
                        a
                    } else {
                        mid
                    }
                };
                best = Some((gain, t));
            }
        }
        best
    }
}

impl ForestModel {
    pub fn new(task: Task, params: ForestParams, extra: bool, n_features: usize) -> Self {
        ForestModel {
            task,
            params,
            extra,
            trees: vec![],
            importance: vec![0.0; n_features],
            n_features,
        }
    }
}

impl Learner for ForestModel {
    fn fit(&mut self, d: &TrainData) -> Result<(), FitError> {
        let n = d.x.rows;
        if n == 0 {
            return Err("no training rows".into());
        }
        let binned = bin_features(d.x);
        let p = d.x.cols;
        self.n_features = p;
        let n_trees = self.params.n_estimators.max(1);
        // scikit-learn: max(1, int(max_features · n_features)).
        let mtry = ((self.params.max_features * p as f64).floor() as usize).clamp(1, p.max(1));
        let min_leaf = self.params.min_samples_leaf.max(1) as f64;
        let max_depth = self.params.max_depth.max(1);
        let k = match self.task {
            Task::Classification { n_classes } => n_classes,
            Task::Regression => 0,
        };
        let trees_done = std::sync::atomic::AtomicUsize::new(0);
        let results: Vec<Option<(Tree, Vec<f64>)>> = (0..n_trees)
            .into_par_iter()
            .map(|t| {
                if t > 0 && d.deadline.passed() {
                    return None;
                }
                let mut rng = Rng::new(d.seed.wrapping_mul(1_000_003).wrapping_add(t as u64));
                let mut w: Vec<f64> = d.weights.to_vec();
                if !self.extra {
                    let mut counts = vec![0.0; n];
                    for _ in 0..n {
                        counts[rng.below(n)] += 1.0;
                    }
                    w.iter_mut().zip(&counts).for_each(|(a, c)| *a *= c);
                }
                let mut rows: Vec<u32> = (0..n as u32).filter(|&r| w[r as usize] > 0.0).collect();
                let mut g = Grower {
                    b: &binned,
                    x: d.x,
                    y: d.y,
                    w: &w,
                    k,
                    mtry,
                    min_leaf,
                    max_depth,
                    extra: self.extra,
                    tree: Tree::new(if k == 0 { 1 } else { k }),
                    importance: vec![0.0; p],
                    rng,
                };
                g.grow(&mut rows, 0);
                let done = trees_done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                d.deadline.report(done, n_trees);
                Some((g.tree, g.importance))
            })
            .collect();
        let grown = results.iter().filter(|r| r.is_some()).count();
        if grown < n_trees {
            return Err(FitError::OutOfTime(format!(
                "grew {grown} of {n_trees} trees before the deadline"
            )));
        }
        self.trees.clear();
        self.importance = vec![0.0; p];
        for (tree, imp) in results.into_iter().flatten() {
            self.trees.push(tree);
            self.importance
                .iter_mut()
                .zip(imp)
                .for_each(|(a, b)| *a += b);
        }
        Ok(())
    }

    fn predict(&self, x: &Matrix) -> Predictions {
        let dim = match self.task {
            Task::Classification { n_classes } => n_classes,
            Task::Regression => 1,
        };
        let t = self.trees.len().max(1) as f64;
        let rows: Vec<Vec<f64>> = (0..x.rows)
            .into_par_iter()
            .map(|i| {
                let mut acc = vec![0.0; dim];
                for tree in &self.trees {
                    for (a, v) in acc.iter_mut().zip(tree.leaf_value(|j| x.get(i, j))) {
                        *a += v;
                    }
                }
                acc.iter_mut().for_each(|a| *a /= t);
                acc
            })
            .collect();
        rows_to_predictions(self.task, rows)
    }

    fn feature_importance(&self) -> Vec<f64> {
        self.importance.clone()
    }
}
