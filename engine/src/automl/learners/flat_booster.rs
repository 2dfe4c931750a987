//! A forust booster's prediction trees laid out for predicting: every node of every tree in
//! one array of 24-byte nodes (forust's own node is 72 bytes and carries training fields),
//! each row walked down all trees before the next row. It predicts exactly what forust's
//! `GradientBooster::predict` does: the base score plus each tree's leaf weight (its `f32`
//! as `f64`), added in tree order; `x < split` goes left and a missing value (NaN) takes
//! the node's missing branch.

use forust_ml::GradientBooster;
use rayon::prelude::*;

use super::tree_format::prediction_trees;
use crate::automl::matrix::Matrix;

/// Marks a leaf in `FlatNode::feature`.
const LEAF: u32 = u32::MAX;
/// Rows handed to a thread at a time when a prediction is spread over threads.
const BLOCK: usize = 256;

#[derive(Debug, Clone, Copy)]
struct FlatNode {
    /// The split value, or the leaf's weight.
    value: f64,
    feature: u32,
    left: u32,
    right: u32,
    missing: u32,
}

#[derive(Debug)]
pub struct FlatBooster {
    base_score: f64,
    nodes: Vec<FlatNode>,
    /// Where each tree's root is in `nodes`.
    roots: Vec<u32>,
}

impl FlatBooster {
    /// `None` for a booster this layout cannot hold exactly: a missing-value marker other
    /// than NaN, a child index out of range or before its parent, or more nodes than
    /// `u32` counts.
    pub fn of(b: &GradientBooster) -> Option<FlatBooster> {
        if !b.missing.is_nan() {
            return None;
        }
        let trees = prediction_trees(b);
        let total: usize = trees.iter().map(|t| t.nodes.len()).sum();
        if total >= LEAF as usize {
            return None;
        }
        let mut nodes = Vec::with_capacity(total);
        let mut roots = Vec::with_capacity(trees.len());
        for tree in trees {
            let start = nodes.len();
            let n = tree.nodes.len();
            if n == 0 {
                return None;
            }
            roots.push(start as u32);
            for (i, node) in tree.nodes.iter().enumerate() {
                if node.is_leaf {
                    nodes.push(FlatNode {
                        value: node.weight_value as f64,
                        feature: LEAF,
                        left: 0,
                        right: 0,
                        missing: 0,
                    });
                    continue;
                }
                // Children come after their parents in forust's layout, and must here: a
                // child pointing back would make a walk loop forever.
                let (l, r, m) = (node.left_child, node.right_child, node.missing_node);
                if [l, r, m].iter().any(|&c| c <= i || c >= n)
                    || node.split_feature >= LEAF as usize
                {
                    return None;
                }
                nodes.push(FlatNode {
                    value: node.split_value,
                    feature: node.split_feature as u32,
                    left: (start + l) as u32,
                    right: (start + r) as u32,
                    missing: (start + m) as u32,
                });
            }
        }
        Some(FlatBooster {
            base_score: b.base_score,
            nodes,
            roots,
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

    /// Adds every tree's leaf weight to `out[i]` for rows `first + i`.
    fn add_trees(&self, m: &Matrix, first: usize, out: &mut [f64]) {
        let rows = m.rows;
        let data = &m.data;
        for &root in &self.roots {
            for (i, acc) in out.iter_mut().enumerate() {
                let row = first + i;
                let mut n = &self.nodes[root as usize];
                while n.feature != LEAF {
                    let v = data[n.feature as usize * rows + row];
                    let next = if v.is_nan() {
                        n.missing
                    } else if v < n.value {
                        n.left
                    } else {
                        n.right
                    };
                    n = &self.nodes[next as usize];
                }
                *acc += n.value;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use forust_ml::Matrix as FMatrix;

    use super::*;
    use crate::automl::learners::params::GbdtParams;
    use crate::automl::learners::{GbdtModel, Learner, Task, TrainData};
    use crate::common::Rng;

    #[test]
    fn flat_trees_predict_what_forust_predicts_bit_for_bit() {
        let (rows, cols) = (600, 5);
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
        let mut model = GbdtModel::new(Task::Regression, params);
        model
            .fit(&TrainData {
                x: &m,
                y: &y,
                weights: &vec![1.0; rows],
                eval: None,
                deadline: None,
                seed: 3,
            })
            .unwrap();
        let mut b = model.boosters[0].take().unwrap();
        let want = b.predict(&FMatrix::new(&m.data, rows, cols), false);
        let flat = FlatBooster::of(&b).unwrap();
        assert_eq!(flat.roots.len(), 60);
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
        assert!(FlatBooster::of(&b).is_none());
    }
}
