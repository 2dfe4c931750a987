//! How trees are stored in `model.json`: one object of parallel arrays per tree, instead
//! of one JSON object per node. A forest tree is `{"feature", "threshold", "right",
//! "value", "cover"}` (`cover`: the leaves' training weights, for TreeSHAP): `feature` per node (-1 at a leaf), `threshold` and `right` per split, the
//! left child being the next node, and `value` the leaves' values (`dim` numbers each). A gradient-boosting booster is `{"base_score",
//! "trees"}`, each tree `{"feature", "value", "left", "right", "missing"}`: `value` is the
//! split value at a split and the leaf weight at a leaf (forust's `f32`, written as the
//! exact `f64` it is), and only the trees forust predicts with are kept (early stopping's
//! extra rounds are dropped). Numbers keep every digit, so Python's reader
//! (`glassbox_helpers.py`) predicts exactly as the engine does.
//!
//! Files written before this format (forest nodes as objects, boosters in forust's own
//! serde form) still load.

use forust_ml::tree::Tree as ForustTree;
use forust_ml::GradientBooster;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::forest::Node;

#[derive(Serialize, Deserialize)]
struct ForestTree {
    /// Per node: the split's feature, or -1 at a leaf.
    feature: Vec<i32>,
    /// Per split, in node order: the threshold (`x <= threshold` goes left) and the right
    /// child. The left child is the next node, as the grower lays trees out (depth first).
    threshold: Vec<f64>,
    right: Vec<u32>,
    /// Per split, only when some left child is not the next node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    left: Option<Vec<u32>>,
    /// Per leaf, in node order: its values (`dim` numbers each).
    value: Vec<f64>,
    /// Per leaf, in node order: the training weight that reached it (a split's is the sum
    /// of its leaves', so it is not stored; whole numbers are written without ".0").
    /// Absent in older files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    cover: Vec<Number>,
}

/// A number written as an integer when it is one.
#[derive(Clone, Copy)]
struct Number(f64);

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.fract() == 0.0 && self.0.abs() < 9.0e15 {
            s.serialize_i64(self.0 as i64)
        } else {
            s.serialize_f64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        f64::deserialize(d).map(Number)
    }
}

fn forest_tree(nodes: &[Node]) -> ForestTree {
    let mut t = ForestTree {
        feature: Vec::with_capacity(nodes.len()),
        threshold: Vec::new(),
        right: Vec::new(),
        left: None,
        value: Vec::new(),
        cover: Vec::new(),
    };
    let mut left = Vec::new();
    let mut next_is_left = true;
    for (i, n) in nodes.iter().enumerate() {
        match n {
            Node::Split {
                feature,
                threshold,
                left: l,
                right,
                ..
            } => {
                t.feature.push(*feature as i32);
                t.threshold.push(*threshold);
                t.right.push(*right);
                left.push(*l);
                next_is_left &= *l as usize == i + 1;
            }
            Node::Leaf { value, cover } => {
                t.cover.push(Number(*cover));
                t.feature.push(-1);
                t.value.extend(value);
            }
        }
    }
    if !next_is_left {
        t.left = Some(left);
    }
    t
}

fn forest_nodes<E: serde::de::Error>(t: ForestTree) -> Result<Vec<Node>, E> {
    let n = t.feature.len();
    let splits = t.feature.iter().filter(|f| **f >= 0).count();
    let leaves = n - splits;
    if t.threshold.len() != splits
        || t.right.len() != splits
        || t.left.as_ref().is_some_and(|l| l.len() != splits)
    {
        return Err(E::custom("a tree's split arrays do not match its splits"));
    }
    if !t.cover.is_empty() && t.cover.len() != leaves {
        return Err(E::custom("a tree's covers do not match its leaves"));
    }
    if leaves == 0 || !t.value.len().is_multiple_of(leaves) {
        return Err(E::custom(
            "a tree's leaf values do not divide among its leaves",
        ));
    }
    let dim = t.value.len() / leaves;
    let mut values = t.value.chunks(dim);
    let mut covers = t.cover.iter();
    let mut s = 0;
    (0..n)
        .map(|i| {
            if t.feature[i] < 0 {
                let value = values.next().unwrap_or_default().to_vec();
                let cover = covers.next().map_or(0.0, |c| c.0);
                return Ok(Node::Leaf { value, cover });
            }
            let left = t.left.as_ref().map_or(i as u32 + 1, |l| l[s]);
            let node = Node::Split {
                feature: t.feature[i] as u32,
                threshold: t.threshold[s],
                left,
                right: t.right[s],
                // Not stored: TreeSHAP sums it from the leaves.
                cover: 0.0,
            };
            s += 1;
            if (left as usize) < n && (t.right[s - 1] as usize) < n {
                Ok(node)
            } else {
                Err(E::custom("a tree's child index is out of range"))
            }
        })
        .collect()
}

/// `#[serde(with)]` for `ForestModel::trees`.
pub mod forest_trees {
    use super::*;

    pub fn serialize<S: Serializer>(trees: &[Vec<Node>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(trees.iter().map(|t| forest_tree(t)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<Node>>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Arrays(ForestTree),
            Nodes(Vec<Node>),
        }
        Vec::<Stored>::deserialize(d)?
            .into_iter()
            .map(|t| match t {
                Stored::Arrays(t) => forest_nodes(t),
                Stored::Nodes(n) => Ok(n),
            })
            .collect()
    }
}

#[derive(Serialize, Deserialize)]
struct BoosterTree {
    feature: Vec<i64>,
    value: Vec<f64>,
    left: Vec<u32>,
    right: Vec<u32>,
    missing: Vec<u32>,
    /// Per node: forust's hessian sum (its cover, as TreeSHAP needs; absent in older files).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    cover: Vec<f64>,
}

#[derive(Serialize, Deserialize)]
struct Booster {
    base_score: f64,
    trees: Vec<BoosterTree>,
}

/// The trees a booster predicts with (early stopping's extra rounds left out).
pub fn prediction_trees(b: &GradientBooster) -> &[ForustTree] {
    let used = b
        .prediction_iteration
        .unwrap_or(b.trees.len())
        .min(b.trees.len());
    &b.trees[..used]
}

fn compact_booster(b: &GradientBooster) -> Booster {
    let trees = prediction_trees(b)
        .iter()
        .map(|tree| {
            let n = tree.nodes.len();
            let mut t = BoosterTree {
                feature: Vec::with_capacity(n),
                value: Vec::with_capacity(n),
                left: Vec::with_capacity(n),
                right: Vec::with_capacity(n),
                missing: Vec::with_capacity(n),
                cover: Vec::with_capacity(n),
            };
            for node in &tree.nodes {
                t.cover.push(node.hessian_sum as f64);
                if node.is_leaf {
                    t.feature.push(-1);
                    t.value.push(node.weight_value as f64);
                    t.left.push(0);
                    t.right.push(0);
                    t.missing.push(0);
                } else {
                    t.feature.push(node.split_feature as i64);
                    t.value.push(node.split_value);
                    t.left.push(node.left_child as u32);
                    t.right.push(node.right_child as u32);
                    t.missing.push(node.missing_node as u32);
                }
            }
            t
        })
        .collect();
    Booster {
        base_score: b.base_score,
        trees,
    }
}

/// forust's `Node`, field for field (its serde form).
#[derive(Serialize)]
struct NodeForm {
    num: usize,
    weight_value: f32,
    hessian_sum: f32,
    depth: usize,
    split_value: f64,
    split_feature: usize,
    split_gain: f32,
    missing_node: usize,
    left_child: usize,
    right_child: usize,
    is_leaf: bool,
}

#[derive(Serialize)]
struct TreeForm {
    nodes: Vec<NodeForm>,
}

fn forust_booster<E: serde::de::Error>(c: Booster) -> Result<GradientBooster, E> {
    let mut trees = Vec::with_capacity(c.trees.len());
    for t in c.trees {
        let n = t.feature.len();
        if [t.value.len(), t.left.len(), t.right.len(), t.missing.len()]
            .iter()
            .any(|l| *l != n)
            || (!t.cover.is_empty() && t.cover.len() != n)
        {
            return Err(E::custom("a booster tree's arrays differ in length"));
        }
        // forust's `Node` type is private to its crate: a tree is made from its serde form.
        let mut nodes = Vec::with_capacity(n);
        for i in 0..n {
            let leaf = t.feature[i] < 0;
            let (left, right, missing) = (
                t.left[i] as usize,
                t.right[i] as usize,
                t.missing[i] as usize,
            );
            if !leaf && (left >= n || right >= n || missing >= n) {
                return Err(E::custom("a booster tree's child index is out of range"));
            }
            nodes.push(NodeForm {
                num: i,
                weight_value: if leaf { t.value[i] as f32 } else { 0.0 },
                hessian_sum: t.cover.get(i).map_or(0.0, |c| *c as f32),
                depth: 0,
                split_value: if leaf { 0.0 } else { t.value[i] },
                split_feature: if leaf { 0 } else { t.feature[i] as usize },
                split_gain: 0.0,
                missing_node: missing,
                left_child: left,
                right_child: right,
                is_leaf: leaf,
            });
        }
        let tree = serde_json::to_value(TreeForm { nodes })
            .and_then(ForustTree::deserialize)
            .map_err(E::custom)?;
        trees.push(tree);
    }
    let mut b = GradientBooster::default();
    b.base_score = c.base_score;
    b.trees = trees;
    b.prediction_iteration = None;
    b.missing = f64::NAN;
    b.evaluation_history = None;
    Ok(b)
}

/// `#[serde(with)]` for `GbdtModel::boosters`.
pub mod gbdt_boosters {
    use super::*;

    pub fn serialize<S: Serializer>(
        boosters: &[Option<GradientBooster>],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(boosters.iter().map(|b| b.as_ref().map(compact_booster)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<Option<GradientBooster>>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Compact(Booster),
            Forust(Box<GradientBooster>),
        }
        Vec::<Option<Stored>>::deserialize(d)?
            .into_iter()
            .map(|b| match b {
                None => Ok(None),
                Some(Stored::Compact(c)) => forust_booster(c).map(Some),
                Some(Stored::Forust(b)) => Ok(Some(*b)),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct Forest {
        #[serde(with = "forest_trees")]
        trees: Vec<Vec<Node>>,
    }

    /// A split's cover is not stored (it is the sum of its leaves'): 0 once read.
    fn split(feature: u32, threshold: f64, left: u32, right: u32) -> Node {
        Node::Split {
            feature,
            threshold,
            left,
            right,
            cover: 0.0,
        }
    }

    fn leaf(value: &[f64]) -> Node {
        Node::Leaf {
            value: value.to_vec(),
            cover: 2.5 * value.len() as f64,
        }
    }

    fn same(a: &[Vec<Node>], b: &[Vec<Node>]) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }

    #[test]
    fn forest_trees_round_trip_as_arrays_and_old_files_still_load() {
        let depth_first = vec![
            split(2, 0.1 + 0.2, 1, 4),
            split(0, -1.5, 2, 3),
            leaf(&[0.25, 0.75]),
            leaf(&[1.0 / 3.0, 2.0 / 3.0]),
            leaf(&[1.0, 0.0]),
        ];
        // Children laid out otherwise keep an explicit `left`.
        let other = vec![split(1, 7.0, 2, 1), leaf(&[0.5, 0.5]), leaf(&[0.0, 1.0])];
        let forest = Forest {
            trees: vec![depth_first, other],
        };
        let text = serde_json::to_string(&forest).unwrap();
        assert!(text.starts_with(r#"{"trees":[{"feature":[2,0,-1,-1,-1],"threshold":[0.30000000000000004,-1.5],"right":[4,3],"value":"#), "{text}");
        assert!(text.contains(r#""left":[2]"#), "{text}");
        // Leaves' covers only, whole numbers without ".0".
        assert!(text.contains(r#""cover":[5,5,5]"#), "{text}");
        let back: Forest = serde_json::from_str(&text).unwrap();
        assert!(same(&back.trees, &forest.trees));
        // One object per node, as files were written before.
        let old = serde_json::json!({"trees": [forest.trees[0].iter().map(|n| serde_json::to_value(n).unwrap()).collect::<Vec<_>>()]});
        let back: Forest = serde_json::from_value(old).unwrap();
        assert!(same(&back.trees, &forest.trees[..1]));
        // A damaged file is an error, not a panic.
        let bad = r#"{"trees":[{"feature":[0,-1],"threshold":[1.0],"right":[9],"value":[1.0]}]}"#;
        assert!(serde_json::from_str::<Forest>(bad).is_err());
    }
}
