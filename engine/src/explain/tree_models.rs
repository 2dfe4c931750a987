//! The trees of Glassbox's tree learners as `ShapTree`s: a forest's trees (leaves hold
//! class frequencies or means; `x <= threshold` goes left, missing values go left) and a
//! forust booster's prediction trees (leaf weights; `x < split` goes left, missing
//! values take the node's missing branch).

use forust_ml::GradientBooster;

use super::tree_shap::{Rule, ShapTree};
use crate::automl::learners::booster_format::prediction_trees;
use crate::automl::learners::{ForestModel, Node, Task};

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
        .map(|nodes| {
            let n = nodes.len();
            let (mut feature, mut threshold) = (vec![-1i64; n], vec![0.0; n]);
            let (mut left, mut right) = (vec![0usize; n], vec![0usize; n]);
            let (mut cover, mut value) = (vec![0.0; n], vec![0.0; n * dim]);
            for (i, node) in nodes.iter().enumerate() {
                cover[i] = node.cover();
                match node {
                    Node::Split {
                        feature: f,
                        threshold: t,
                        left: l,
                        right: r,
                        ..
                    } => {
                        feature[i] = *f as i64;
                        threshold[i] = *t;
                        left[i] = *l as usize;
                        right[i] = *r as usize;
                    }
                    Node::Leaf { value: v, .. } => {
                        if v.len() != dim {
                            return None;
                        }
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

/// A booster's base score and the trees it predicts with.
pub fn booster(b: &GradientBooster) -> Option<(f64, Vec<ShapTree>)> {
    let trees = prediction_trees(b)
        .iter()
        .map(|tree| {
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
            )
        })
        .collect::<Option<Vec<_>>>()?;
    Some((b.base_score, trees))
}
