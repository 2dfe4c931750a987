//! Path-dependent TreeSHAP from per-leaf tables (Fast TreeSHAP v2: Yang 2021, "Fast
//! TreeSHAP: Accelerating SHAP Value Computation for Trees"), for trees that explain many
//! rows.
//!
//! Algorithm 2 (`tree_shap.rs`) reaches each leaf of a tree with its unique path: one
//! element per distinct feature split on the way, holding that feature's zero fraction
//! (the product of the path's cover ratios on it) and its one fraction (1 when the row
//! goes the leaf's way at every split on it, else 0). A leaf adds, for each element `j`,
//! `W_j · (one_j − zero_j) · leaf value` to feature `j`, where `W_j` is the summed weight of
//! the path without `j`. The zero fractions are the tree's; only the one fractions depend
//! on the row. So for each leaf and each of the `2^k` patterns of one fractions (`k`
//! elements), the `k` factors `W_j · (one_j − zero_j)` are computed once, side by side. A
//! row then costs one comparison per split and one lookup per leaf, instead of Algorithm
//! 2's `O(k²)` arithmetic per leaf. The factors come from the same path operations as
//! Algorithm 2, so the values are the same to rounding.
//!
//! A table holds `Σ k · 2^k` numbers over the leaves: it pays when the tree explains more
//! rows than about half its `2^depth`, and the caller keeps the total within a budget.

use super::tree_shap::{extend, unwound_sum, PathElement, ShapTree};

/// The tables of one tree.
#[derive(Debug, Clone)]
pub struct ShapTable {
    leaves: Vec<Leaf>,
    /// Per condition (a split on a leaf's path): the split, the child towards the leaf,
    /// and the leaf's element that split's feature belongs to.
    conditions: Vec<Condition>,
    /// Per element: the feature, and its zero fraction.
    elements: Vec<(usize, f64)>,
    /// Per leaf, per pattern `s` of one fractions (bit `j`: element `j`), per element `j`:
    /// `W_j · (one_j − zero_j)`. A row reads one pattern's `k` numbers, side by side.
    weights: Vec<f64>,
}

#[derive(Debug, Clone, Copy)]
struct Leaf {
    node: usize,
    conditions: (usize, usize),
    elements: (usize, usize),
    weights: usize,
}

#[derive(Debug, Clone, Copy)]
struct Condition {
    split: u32,
    child: u32,
    element: u32,
}

/// `s` with bit `j` taken out (the bits above it move down one).
#[inline(always)]
fn without_bit(s: usize, j: usize) -> usize {
    (s >> (j + 1)) << j | (s & ((1 << j) - 1))
}

impl ShapTable {
    /// The numbers a table of `t` would hold, or `None` past `usize`.
    pub fn size(t: &ShapTree) -> Option<usize> {
        fn visit(t: &ShapTree, node: usize, features: &mut Vec<i64>) -> Option<usize> {
            if t.feature[node] < 0 {
                let k = features
                    .iter()
                    .enumerate()
                    .filter(|(i, f)| !features[..*i].contains(f))
                    .count();
                return k.checked_mul(1usize.checked_shl(k as u32)?);
            }
            features.push(t.feature[node]);
            let n =
                visit(t, t.left[node], features)?.checked_add(visit(t, t.right[node], features)?);
            features.pop();
            n
        }
        visit(t, 0, &mut Vec::with_capacity(t.depth()))
    }

    pub fn new(t: &ShapTree) -> ShapTable {
        let mut table = ShapTable {
            leaves: vec![],
            conditions: vec![],
            elements: vec![],
            weights: vec![],
        };
        table.visit(t, 0, &mut Vec::with_capacity(t.depth()));
        table
    }

    /// Depth first from `node`, with the (split, child) pairs that lead to it. The depth
    /// is at most 128 (`ShapTree::new` refuses deeper trees).
    fn visit(&mut self, t: &ShapTree, node: usize, path: &mut Vec<(usize, usize)>) {
        if t.feature[node] < 0 {
            self.add_leaf(t, node, path);
            return;
        }
        for child in [t.left[node], t.right[node]] {
            path.push((node, child));
            self.visit(t, child, path);
            path.pop();
        }
    }

    fn add_leaf(&mut self, t: &ShapTree, node: usize, path: &[(usize, usize)]) {
        let first_condition = self.conditions.len();
        let first = self.elements.len();
        // The unique path: one element per feature, its zero fractions multiplied in path
        // order as Algorithm 2 merges them.
        for &(split, child) in path {
            let feature = t.feature[split] as usize;
            let ratio = t.cover[child] / t.cover[split];
            let at = match self.elements[first..].iter().position(|e| e.0 == feature) {
                Some(j) => {
                    self.elements[first + j].1 *= ratio;
                    j
                }
                None => {
                    self.elements.push((feature, ratio));
                    self.elements.len() - 1 - first
                }
            };
            self.conditions.push(Condition {
                split: split as u32,
                child: child as u32,
                element: at as u32,
            });
        }
        let k = self.elements.len() - first;
        let weights = self.weights.len();
        self.leaves.push(Leaf {
            node,
            conditions: (first_condition, self.conditions.len()),
            elements: (first, self.elements.len()),
            weights,
        });
        if k == 0 {
            return;
        }
        let half = 1usize << (k - 1);
        // For each pattern `s` of one fractions, the path as Algorithm 2 extends it (the
        // root's element, then the leaf's), and for each element `j` that is 1 in `s`, the
        // weight without it: `W_j` for the pattern of the others (`w[j][others]`). Every
        // (j, others) pair comes once.
        let mut w = vec![0.0; k * half];
        let mut p = vec![PathElement::default(); k + 1];
        for s in 0..1usize << k {
            extend(&mut p, 0, 1.0, 1.0, -1);
            for (j, &(feature, zero)) in self.elements[first..].iter().enumerate() {
                extend(&mut p, j + 1, zero, (s >> j & 1) as f64, feature as i64);
            }
            for j in 0..k {
                if s >> j & 1 == 1 {
                    w[j * half + without_bit(s, j)] = unwound_sum(&p, k, j + 1);
                }
            }
        }
        let (elements, w) = (&self.elements[first..], &w);
        self.weights.extend((0..1usize << k).flat_map(|s| {
            elements.iter().enumerate().map(move |(j, &(_, zero))| {
                w[j * half + without_bit(s, j)] * ((s >> j & 1) as f64 - zero)
            })
        }));
    }

    /// How many numbers the table holds.
    pub fn numbers(&self) -> usize {
        self.weights.len()
    }

    /// Adds the tree's SHAP values for each row of `xs` to its `phis` entry (`features ×
    /// dim`, feature-major). Leaf by leaf, so a leaf's table stays in cache for all the
    /// rows; each row still gets its leaves' values in leaf order. `scratch` holds the
    /// child each row takes at each split (split-major) and each row's pattern.
    pub fn add_shap(
        &self,
        t: &ShapTree,
        xs: &[Vec<f64>],
        phis: &mut [Vec<f64>],
        scratch: &mut (Vec<u32>, Vec<usize>),
    ) {
        let (n, rows) = (t.feature.len(), xs.len());
        let (hot, patterns) = scratch;
        hot.resize(n * rows, 0);
        for (i, hot) in hot.chunks_exact_mut(rows).enumerate() {
            if t.feature[i] >= 0 {
                for (h, x) in hot.iter_mut().zip(xs) {
                    *h = t.child(i, x) as u32;
                }
            }
        }
        let dim = t.dim;
        for leaf in &self.leaves {
            let elements = &self.elements[leaf.elements.0..leaf.elements.1];
            let k = elements.len();
            if k == 0 {
                continue;
            }
            patterns.clear();
            patterns.resize(rows, (1usize << k) - 1);
            for c in &self.conditions[leaf.conditions.0..leaf.conditions.1] {
                let split = &hot[c.split as usize * rows..][..rows];
                let off = !(1usize << c.element);
                for (s, &h) in patterns.iter_mut().zip(split) {
                    if h != c.child {
                        *s &= off;
                    }
                }
            }
            let value = t.leaf(leaf.node);
            for (&s, phi) in patterns.iter().zip(phis.iter_mut()) {
                let at = leaf.weights + s * k;
                for (&(feature, _), &c) in elements.iter().zip(&self.weights[at..at + k]) {
                    let f = feature * dim;
                    for (d, v) in value.iter().enumerate() {
                        phi[f + d] += c * v;
                    }
                }
            }
        }
    }
}
