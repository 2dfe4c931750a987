//! Random forests and extra trees: CART grown on features binned into at most 64 quantile
//! bins (thresholds are real values, so prediction needs no binning). Random forest:
//! bootstrap rows, best split among `max_features` features. Extra trees: all rows, one
//! random threshold per candidate feature. Gini impurity for classes, squared error for
//! numbers; leaves hold class frequencies or means. Trees grow in parallel; the deadline is
//! checked between trees and the forest keeps the trees it has.

use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{get_f64, get_usize, rows_to_predictions, Learner, Params, Task, TrainData};
use crate::automl::matrix::Matrix;
use crate::automl::metrics::Predictions;
use crate::profile::Rng;

const MAX_BINS: usize = 64;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Node {
    Split {
        feature: u32,
        threshold: f64,
        left: u32,
        right: u32,
    },
    Leaf {
        value: Vec<f64>,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForestModel {
    pub task: Task,
    pub params: Params,
    pub extra: bool,
    pub trees: Vec<Vec<Node>>,
    pub importance: Vec<f64>,
    pub n_features: usize,
}

struct Binned {
    /// Per feature, per row: bin index.
    bins: Vec<Vec<u8>>,
    /// Per feature: upper edge of each bin but the last (`x <= edge[b]` ⇔ bin ≤ b).
    edges: Vec<Vec<f64>>,
}

fn bin_features(x: &Matrix) -> Binned {
    let (bins, edges) = (0..x.cols)
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
            let bins = col
                .iter()
                .map(|&v| {
                    if v.is_nan() {
                        0
                    } else {
                        edges.partition_point(|&e| e < v) as u8
                    }
                })
                .collect();
            (bins, edges)
        })
        .unzip();
    Binned { bins, edges }
}

struct Grower<'a> {
    b: &'a Binned,
    y: &'a [f64],
    w: &'a [f64],
    k: usize, // classes, or 0 for regression
    mtry: usize,
    min_leaf: f64,
    max_depth: usize,
    extra: bool,
    nodes: Vec<Node>,
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
        let value = if self.k == 0 {
            vec![s[0] / w]
        } else {
            s.iter().map(|c| c / w).collect()
        };
        self.nodes.push(Node::Leaf { value });
        (self.nodes.len() - 1) as u32
    }

    fn grow(&mut self, rows: &mut [u32], depth: usize) -> u32 {
        let (s, w) = self.stats(rows);
        let parent = self.impurity(&s, w);
        if depth >= self.max_depth || w < 2.0 * self.min_leaf || parent <= 1e-12 * w.max(1.0) {
            return self.leaf(&s, w);
        }
        let p = self.b.bins.len();
        let dim = s.len();
        let mut best: Option<(f64, usize, usize)> = None; // (gain, feature, bin)
        let mut feats: Vec<usize> = (0..p).collect();
        for i in 0..self.mtry.min(p) {
            let j = i + self.rng.below(p - i);
            feats.swap(i, j);
        }
        for &f in &feats[..self.mtry.min(p)] {
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
                vec![lo + self.rng.below(hi - lo)]
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
                    best = Some((gain, f, cut));
                }
            }
        }
        let Some((gain, f, cut)) = best.filter(|b| b.0 > 0.0) else {
            return self.leaf(&s, w);
        };
        self.importance[f] += gain;
        let col = &self.b.bins[f];
        let mut i = 0;
        for j in 0..rows.len() {
            if col[rows[j] as usize] as usize <= cut {
                rows.swap(i, j);
                i += 1;
            }
        }
        let idx = self.nodes.len();
        self.nodes.push(Node::Leaf { value: vec![] });
        let (l, r) = rows.split_at_mut(i);
        let left = self.grow(l, depth + 1);
        let right = self.grow(r, depth + 1);
        self.nodes[idx] = Node::Split {
            feature: f as u32,
            threshold: self.b.edges[f][cut],
            left,
            right,
        };
        idx as u32
    }
}

impl ForestModel {
    pub fn new(task: Task, params: Params, extra: bool, n_features: usize) -> Self {
        ForestModel {
            task,
            params,
            extra,
            trees: vec![],
            importance: vec![0.0; n_features],
            n_features,
        }
    }

    fn tree_value<'a>(tree: &'a [Node], x: &Matrix, i: usize) -> &'a [f64] {
        let mut n = 0usize;
        loop {
            match &tree[n] {
                Node::Leaf { value } => return value,
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => {
                    let v = x.get(i, *feature as usize);
                    // Missing values were binned with the smallest values: go left.
                    n = if v.is_nan() || v <= *threshold {
                        *left
                    } else {
                        *right
                    } as usize;
                }
            }
        }
    }
}

impl Learner for ForestModel {
    fn fit(&mut self, d: &TrainData) -> Result<(), String> {
        let n = d.x.rows;
        if n == 0 {
            return Err("no training rows".into());
        }
        let binned = bin_features(d.x);
        let p = d.x.cols;
        self.n_features = p;
        let n_trees = get_usize(&self.params, "n_estimators", 200).max(1);
        let mtry = ((get_f64(&self.params, "max_features", 1.0) * p as f64).round() as usize)
            .clamp(1, p.max(1));
        let min_leaf = get_usize(&self.params, "min_samples_leaf", 1).max(1) as f64;
        let max_depth = get_usize(&self.params, "max_depth", 30).max(1);
        let k = match self.task {
            Task::Classification { n_classes } => n_classes,
            Task::Regression => 0,
        };
        let results: Vec<Option<(Vec<Node>, Vec<f64>)>> = (0..n_trees)
            .into_par_iter()
            .map(|t| {
                if t > 0 && d.deadline.is_some_and(|dl| Instant::now() > dl) {
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
                    y: d.y,
                    w: &w,
                    k,
                    mtry,
                    min_leaf,
                    max_depth,
                    extra: self.extra,
                    nodes: Vec::new(),
                    importance: vec![0.0; p],
                    rng,
                };
                g.grow(&mut rows, 0);
                Some((g.nodes, g.importance))
            })
            .collect();
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
                    for (a, v) in acc.iter_mut().zip(Self::tree_value(tree, x, i)) {
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
