//! A forust booster's prediction trees laid out for predicting: every node of every tree in
//! one array of 24-byte nodes (forust's own node is 72 bytes and carries training fields).
//! It predicts exactly what forust's `GradientBooster::predict` does: the base score plus
//! each tree's leaf weight (its `f32` as `f64`), added in tree order; `x < split` goes left
//! and a missing value (NaN) takes the node's missing branch.
//!
//! A category split (`category_splits.rs`) sends a code left when it is one of the split's
//! codes, and any other value down its missing branch: its node holds the index of that
//! set of codes instead of a split value, and its column with `CATEGORY` set. A booster without them walks without the
//! test.
//!
//! A walk is bound by memory latency: each level's load waits for the one before. So
//! `LANES` rows go down a tree side by side, and their independent loads overlap. A leaf
//! points to itself on every branch, so each lane takes exactly the tree's depth in steps,
//! with no test for "is this a leaf", and the child is picked by arithmetic rather than a
//! branch the CPU would mispredict half the time.

use forust_ml::GradientBooster;
use rayon::prelude::*;

use super::booster_format::prediction_trees;
use super::category_splits::{CategorySplits, CodeSet};
use crate::automl::matrix::Matrix;

/// Rows handed to a thread at a time when a prediction is spread over threads.
const BLOCK: usize = 256;
/// Rows walked down a tree side by side.
const LANES: usize = 8;
/// Marks a category split's column.
const CATEGORY: u32 = 1 << 31;

#[derive(Debug, Clone, Copy)]
struct FlatNode {
    /// The split value, or the leaf's weight.
    value: f64,
    /// The split's column; 0 for a leaf, whose children are all itself.
    feature: u32,
    /// `x < value`, `x >= value`, and a missing `x`.
    children: [u32; 3],
}

impl FlatNode {
    /// The child a value goes to, chosen without a branch: 2 for a missing value, else
    /// 0 or 1 by the comparison.
    #[inline(always)]
    fn next(&self, v: f64) -> u32 {
        let missing = v.is_nan();
        let k = 2 * missing as usize + (!missing & (v >= self.value)) as usize;
        self.children[k]
    }
}

#[derive(Debug)]
pub struct FlatBooster {
    base_score: f64,
    nodes: Vec<FlatNode>,
    /// The category splits' sets of codes sent left.
    sets: Vec<CodeSet>,
    /// Each tree's root in `nodes`, and its depth (steps from the root to its deepest leaf).
    trees: Vec<(u32, u32)>,
}

impl FlatBooster {
    /// `None` for a booster this layout cannot hold exactly: a missing-value marker other
    /// than NaN, a child index out of range or before its parent, more nodes than `u32`
    /// counts, or category splits (`categories`) that are not its NaN-valued splits.
    pub fn of(b: &GradientBooster, categories: &CategorySplits) -> Option<FlatBooster> {
        if !b.missing.is_nan() {
            return None;
        }
        let trees = prediction_trees(b);
        let total: usize = trees.iter().map(|t| t.nodes.len()).sum();
        if total >= u32::MAX as usize {
            return None;
        }
        let mut nodes = Vec::with_capacity(total);
        let mut sets = Vec::with_capacity(categories.0.len());
        let mut walks = Vec::with_capacity(trees.len());
        for (k, tree) in trees.iter().enumerate() {
            let mut category = categories.of_tree(k).peekable();
            let start = nodes.len();
            let n = tree.nodes.len();
            if n == 0 {
                return None;
            }
            // Each node's depth; a child's is set from its parent, which comes first.
            let mut depth = vec![0u32; n];
            for (i, node) in tree.nodes.iter().enumerate() {
                let here = (start + i) as u32;
                if node.is_leaf {
                    nodes.push(FlatNode {
                        value: node.weight_value as f64,
                        feature: 0,
                        children: [here; 3],
                    });
                    continue;
                }
                // Children come after their parents in forust's layout, and must here, so
                // that a depth is known before it is needed.
                let (l, r, m) = (node.left_child, node.right_child, node.missing_node);
                if [l, r, m].iter().any(|&c| c <= i || c >= n)
                    || node.split_feature >= CATEGORY as usize
                {
                    return None;
                }
                for c in [l, r, m] {
                    depth[c] = depth[i] + 1;
                }
                // A category split is listed exactly where the split value is NaN.
                let (value, feature) = match category.next_if(|&(at, _)| at == i) {
                    Some((_, set)) if node.split_value.is_nan() => {
                        sets.push(*set);
                        (f64::from_bits((sets.len() - 1) as u64), CATEGORY)
                    }
                    None if !node.split_value.is_nan() => (node.split_value, 0),
                    _ => return None,
                };
                nodes.push(FlatNode {
                    value,
                    feature: node.split_feature as u32 | feature,
                    children: [l, r, m].map(|c| (start + c) as u32),
                });
            }
            walks.push((start as u32, depth.into_iter().max().unwrap_or(0)));
        }
        // Every listed split was met (none names a leaf, a node out of order or a tree the
        // booster does not predict with).
        if sets.len() != categories.0.len() {
            return None;
        }
        Some(FlatBooster {
            base_score: b.base_score,
            nodes,
            sets,
            trees: walks,
        })
    }

    /// Raw scores for every row of `m` (column-major), spread over threads when
    /// `parallel`. Each row's trees are summed in tree order either way.
    pub fn predict(&self, m: &Matrix, parallel: bool) -> Vec<f64> {
        let mut out = vec![self.base_score; m.rows];
        if parallel {
            out.par_chunks_mut(BLOCK)
                .enumerate()
                .for_each(|(b, chunk)| self.add_trees(m, b * BLOCK, chunk));
        } else {
            self.add_trees(m, 0, &mut out);
        }
        out
    }

    /// Adds every tree's leaf weight to `out[i]` for rows `first + i`, tree by tree.
    fn add_trees(&self, m: &Matrix, first: usize, out: &mut [f64]) {
        match self.sets.is_empty() {
            true => self.add_trees_with::<false>(m, first, out),
            false => self.add_trees_with::<true>(m, first, out),
        }
    }

    /// `add_trees`, testing for category splits where `CATEGORIES`.
    fn add_trees_with<const CATEGORIES: bool>(&self, m: &Matrix, first: usize, out: &mut [f64]) {
        for &(root, depth) in &self.trees {
            let mut lanes = out.chunks_exact_mut(LANES);
            let mut row = first;
            for acc in lanes.by_ref() {
                self.walk::<LANES, CATEGORIES>(m, root, depth, row, acc.try_into().unwrap());
                row += LANES;
            }
            for acc in lanes.into_remainder() {
                self.walk::<1, CATEGORIES>(
                    m,
                    root,
                    depth,
                    row,
                    std::slice::from_mut(acc).try_into().unwrap(),
                );
                row += 1;
            }
        }
    }

    /// Walks rows `first..first + N` down the tree at `root` side by side and adds each
    /// one's leaf weight to its `acc`.
    #[inline(always)]
    fn walk<const N: usize, const CATEGORIES: bool>(
        &self,
        m: &Matrix,
        root: u32,
        depth: u32,
        first: usize,
        acc: &mut [f64; N],
    ) {
        let (rows, data, nodes) = (m.rows, &m.data[..], &self.nodes[..]);
        let mut at = [root; N];
        for _ in 0..depth {
            for (lane, a) in at.iter_mut().enumerate() {
                let n = &nodes[*a as usize];
                if CATEGORIES && n.feature & CATEGORY != 0 {
                    let v = data[(n.feature & !CATEGORY) as usize * rows + first + lane];
                    let set = &self.sets[n.value.to_bits() as usize];
                    *a = n.children[if CodeSet::is_code(v) {
                        usize::from(!set.contains(v))
                    } else {
                        2
                    }];
                } else {
                    *a = n.next(data[n.feature as usize * rows + first + lane]);
                }
            }
        }
        for (a, &at) in acc.iter_mut().zip(&at) {
            *a += nodes[at as usize].value;
        }
    }
}

#[cfg(test)]
mod tests {
    use forust_ml::Matrix as FMatrix;

    use super::*;
    use crate::automl::learners::params::GbdtParams;
    use crate::automl::learners::GbdtModel;
    use crate::common::Rng;

    #[test]
    fn flat_trees_predict_what_forust_predicts_bit_for_bit() {
        let (rows, cols) = (603, 5);
        let mut rng = Rng::new(5);
        let mut data: Vec<f64> = (0..rows * cols)
            .map(|_| (rng.next_f64() * 40.0).floor() / 4.0)
            .collect();
        // Missing values in training and in prediction.
        for i in (0..rows).step_by(7) {
            data[2 * rows + i] = f64::NAN;
        }
        let y: Vec<f64> = (0..rows)
            .map(|i| {
                let a = data[i];
                let c = data[2 * rows + i];
                a * 0.3 + if c.is_nan() { 2.0 } else { c.sin() } + rng.next_f64()
            })
            .collect();
        let m = Matrix { rows, cols, data };
        // Trained as Glassbox trains its boosters.
        let params = GbdtParams {
            iterations: 60,
            learning_rate: 0.3,
            max_depth: 5,
            ..GbdtParams::default()
        };
        let mut model = GbdtModel::trained(params, &m, &y, 3);
        let mut b = model.boosters[0].take().unwrap();
        let want = b.predict(&FMatrix::new(&m.data, rows, cols), false);
        let flat = FlatBooster::of(&b, &CategorySplits::default()).unwrap();
        assert_eq!(flat.trees.len(), 60);
        for parallel in [false, true] {
            let got = flat.predict(&m, parallel);
            assert!(
                got.iter()
                    .zip(&want)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "parallel {parallel}"
            );
        }
        // A booster whose missing marker is not NaN is left to forust.
        b.missing = 0.0;
        assert!(FlatBooster::of(&b, &CategorySplits::default()).is_none());
    }
}
