//! The trees of Glassbox's tree learners as `ShapTree`s: a forest's trees (leaves hold
//! class frequencies or means; `x <= threshold` goes left, missing values go left) and a
//! forust booster's prediction trees (leaf weights; `x < split` goes left, missing
//! values take the node's missing branch).

use forust_ml::GradientBooster;

use super::tree_shap::{Rule, ShapTree, MAX_DEPTH};
use crate::automl::learners::booster_format::prediction_trees;
use crate::automl::learners::category_splits::CategorySplits;
use crate::automl::learners::{ForestModel, NodeRef, Task};

/// A forest's trees, each leaf's values divided by the number of trees (the forest
/// predicts their mean). `None` when the model file has no covers.
pub fn forest(m: &ForestModel) -> Option<Vec<ShapTree>> {
    let dim = match m.task {
        Task::Classification { n_classes } => n_classes,
        Task::Regression => 1,
    };
    let scale = 1.0 / m.trees.len().max(1) as f64;
    m.trees
        .iter()
        .map(|tree| {
            let n = tree.len();
            let (mut feature, mut threshold) = (vec![-1i64; n], vec![0.0; n]);
            let (mut left, mut right) = (vec![0usize; n], vec![0usize; n]);
            let (mut cover, mut value) = (vec![0.0; n], vec![0.0; n * dim]);
            for (i, node) in tree.nodes().enumerate() {
                match node {
                    NodeRef::Split {
                        feature: f,
                        threshold: t,
                        left: l,
                        right: r,
                    } => {
                        feature[i] = f as i64;
                        threshold[i] = t;
                        left[i] = l as usize;
                        right[i] = r as usize;
                    }
                    NodeRef::Leaf { value: v, cover: c } => {
                        if v.len() != dim {
                            return None;
                        }
                        // A split's is the sum of its leaves' (`ShapTree::new`).
                        cover[i] = c;
                        for (d, x) in v.iter().enumerate() {
                            value[i * dim + d] = x * scale;
                        }
                    }
                }
            }
            let missing = left.clone();
            ShapTree::new(
                feature,
                threshold,
                left,
                right,
                missing,
                cover,
                value,
                dim,
                Rule::LeftIfLessEq,
            )
        })
        .collect()
}

/// Whether `forest` gives `ShapTree`s, without making them (five forests of 100 full
/// trees are millions of nodes): every leaf has the task's number of values and a
/// positive cover, and no tree is deeper than `MAX_DEPTH`, as `ShapTree::new` requires.
/// The rest of what it checks holds for every forest: each node but the root is the child
/// of one split before it (grown so, and checked when read).
pub fn forest_explainable(m: &ForestModel) -> bool {
    let dim = match m.task {
        Task::Classification { n_classes } => n_classes,
        Task::Regression => 1,
    };
    let mut depth: Vec<usize> = Vec::new();
    m.trees.iter().all(|tree| {
        depth.clear();
        depth.resize(tree.len(), 0);
        tree.nodes().enumerate().all(|(i, node)| match node {
            NodeRef::Leaf { value, cover } => value.len() == dim && cover > 0.0,
            NodeRef::Split { left, right, .. } => {
                let d = depth[i] + 1;
                for c in [left as usize, right as usize] {
                    if let Some(slot) = depth.get_mut(c) {
                        *slot = d;
                    }
                }
                d <= MAX_DEPTH
            }
        })
    })
}

/// A booster's base score and the trees it predicts with, with its category splits.
pub fn booster(b: &GradientBooster, categories: &CategorySplits) -> Option<(f64, Vec<ShapTree>)> {
    let trees = prediction_trees(b)
        .iter()
        .enumerate()
        .map(|(k, tree)| {
            let n = tree.nodes.len();
            let (mut feature, mut threshold) = (vec![-1i64; n], vec![0.0; n]);
            let (mut left, mut right) = (vec![0usize; n], vec![0usize; n]);
            let (mut missing, mut cover, mut value) = (vec![0usize; n], vec![0.0; n], vec![0.0; n]);
            for (i, node) in tree.nodes.iter().enumerate() {
                cover[i] = node.hessian_sum as f64;
                if node.is_leaf {
                    value[i] = node.weight_value as f64;
                } else {
                    feature[i] = node.split_feature as i64;
                    threshold[i] = node.split_value;
                    left[i] = node.left_child;
                    right[i] = node.right_child;
                    missing[i] = node.missing_node;
                }
            }
            ShapTree::new(
                feature,
                threshold,
                left,
                right,
                missing,
                cover,
                value,
                1,
                Rule::LeftIfLess,
            )?
            .with_category_splits(categories.of_tree(k))
        })
        .collect::<Option<Vec<_>>>()?;
    Some((b.base_score, trees))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::automl::learners::params::ForestParams;
    use crate::automl::learners::{Node, Tree};

    fn forest(task: Task, trees: Vec<Vec<Node>>) -> ForestModel {
        let mut m = ForestModel::new(task, ForestParams::default(), false, 1);
        m.trees = trees.iter().map(|t| Tree::from_nodes(t).unwrap()).collect();
        m
    }

    fn leaf(value: &[f64], cover: f64) -> Node {
        Node::Leaf {
            value: value.into(),
            cover,
        }
    }

    /// A chain of `depth` splits, each with a leaf on its right.
    fn chain(depth: usize) -> Vec<Node> {
        let mut nodes = Vec::new();
        for d in 0..depth {
            let i = nodes.len() as u32;
            nodes.push(Node::Split {
                feature: 0,
                threshold: d as f64,
                left: i + 2,
                right: i + 1,
                cover: 0.0,
            });
            nodes.push(leaf(&[1.0], 1.0));
        }
        nodes.push(leaf(&[2.0], 1.0));
        nodes
    }

    /// The cheap check says what making the trees says, on every way a forest can fail it.
    #[test]
    fn a_forest_is_explainable_exactly_when_its_trees_can_be_made() {
        // A split and its two leaves.
        let stump = |left: Node, right: Node| {
            let split = Node::Split {
                feature: 0,
                threshold: 0.5,
                left: 1,
                right: 2,
                cover: 0.0,
            };
            vec![split, left, right]
        };
        let binary = Task::Classification { n_classes: 2 };
        let cases = [
            (
                binary,
                stump(leaf(&[0.2, 0.8], 3.0), leaf(&[1.0, 0.0], 1.0)),
                true,
            ),
            (
                binary,
                stump(leaf(&[0.2, 0.8], 3.0), leaf(&[1.0, 0.0], 0.0)),
                false,
            ),
            (binary, stump(leaf(&[0.2], 3.0), leaf(&[1.0], 1.0)), false),
            (
                binary,
                stump(leaf(&[0.2, 0.8], f64::NAN), leaf(&[1.0, 0.0], 1.0)),
                false,
            ),
            (Task::Regression, chain(MAX_DEPTH), true),
            (Task::Regression, chain(MAX_DEPTH + 1), false),
        ];
        for (i, (task, tree, want)) in cases.into_iter().enumerate() {
            let m = forest(task, vec![tree]);
            assert_eq!(forest_explainable(&m), want, "case {i}");
            assert_eq!(
                super::forest(&m).is_some(),
                want,
                "case {i}: the trees made"
            );
        }
    }

    /// A symmetric booster with category splits: TreeSHAP's trees walk every row as the
    /// model predicts it (codes never seen and missing ones included), the SHAP values add
    /// up to the prediction, and rows that share their sides share their values exactly.
    #[test]
    fn category_splits_are_explained_as_the_model_walks_them() {
        use super::super::tree_shap::Scratch;
        use crate::automl::learners::{symmetric_tests, Learner};
        use crate::automl::metrics::Predictions;

        let m = symmetric_tests::fit_categories(&[0], 3000);
        let (_, _, valid, _) = symmetric_tests::category_data(3000);
        let (base, trees) =
            booster(m.boosters[0].as_ref().unwrap(), &m.category_splits[0]).unwrap();
        let Predictions::Values(p) = m.predict(&valid) else {
            unreachable!("regression")
        };
        let xs: Vec<Vec<f64>> = (0..valid.rows).map(|i| valid.row(i)).collect();
        let expected = trees.iter().fold(base, |a, t| a + t.expected()[0]);
        let mut scratch = Scratch::default();
        let mut shared = vec![vec![0.0; 2]; xs.len()];
        for t in &trees {
            assert!(t.shares_like_tables());
            t.add_shap_rows(&xs, &mut shared, &mut scratch);
        }
        for (i, x) in xs.iter().enumerate() {
            let sum = trees.iter().fold(base, |a, t| a + t.predict(x)[0]);
            assert_eq!(sum.to_bits(), p[i].to_bits(), "row {i}");
            let mut phi = vec![0.0; 2];
            for t in &trees {
                t.add_shap(x, &mut phi, &mut scratch);
            }
            assert!((expected + phi[0] + phi[1] - p[i]).abs() < 1e-9, "row {i}");
            assert_eq!(format!("{phi:?}"), format!("{:?}", shared[i]), "row {i}");
        }
    }
}
