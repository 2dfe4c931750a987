//! How a forest's trees are stored in `model.json`: as a few long arrays of numbers, every
//! tree's end to end, each array packed (`packed.rs`: exact, byte-shuffled, zlib, base64),
//! with the trees' sizes in nodes (boosters: `booster_format.rs`):
//! `{"tree_sizes", "per_node": {"feature"}, "per_split": {"threshold"}, "per_leaf": {"value",
//! "cover"}}`. `feature` is -1 at a leaf and `x <= threshold` goes left. Trees are laid out
//! depth first, so the children are not stored: a split's left child is the next node, its
//! right child the node after its left subtree (`depth_first_rights`). Files with a forest
//! laid out otherwise (`per_split.right`, and `left`, counting from the tree's first node)
//! still load, laid out depth first in memory (`compact_tree.rs`). A leaf has `dim` values, and `cover` is its training weight (TreeSHAP's; a split's is the
//! sum of its leaves', so it is not stored).
//!
//! Every number comes back bit for bit, so Python's reader (`glassbox_models.py`) predicts
//! exactly as the engine does. Files written before packing (a list of trees, each as JSON
//! arrays, or older still one object per node) still load.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::compact_tree::{Node, NodeRef, Tree};
use super::packed::{part, to_u32, Packed};

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

/// A tree as arrays, as files were written before packing (the tests write one).
#[cfg(test)]
fn forest_tree(tree: &Tree) -> ForestTree {
    let mut t = ForestTree {
        feature: Vec::with_capacity(tree.len()),
        threshold: Vec::new(),
        right: Vec::new(),
        left: None,
        value: Vec::new(),
        cover: Vec::new(),
    };
    for n in tree.nodes() {
        match n {
            NodeRef::Split {
                feature,
                threshold,
                right,
                ..
            } => {
                t.feature.push(feature as i32);
                t.threshold.push(threshold);
                t.right.push(right);
            }
            NodeRef::Leaf { value, cover } => {
                t.cover.push(Number(cover));
                t.feature.push(-1);
                t.value.extend(value);
            }
        }
    }
    t
}

fn forest_nodes<E: serde::de::Error>(t: ForestTree) -> Result<Tree, E> {
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
    let nodes = (0..n)
        .map(|i| {
            if t.feature[i] < 0 {
                let value = values.next().unwrap_or_default().to_vec();
                let cover = covers.next().map_or(0.0, |c| c.0);
                return Node::Leaf { value, cover };
            }
            let node = Node::Split {
                feature: t.feature[i] as u32,
                threshold: t.threshold[s],
                left: t.left.as_ref().map_or(i as u32 + 1, |l| l[s]),
                right: t.right[s],
                // Not stored: TreeSHAP sums it from the leaves.
                cover: 0.0,
            };
            s += 1;
            node
        })
        .collect::<Vec<Node>>();
    Tree::from_nodes(&nodes).map_err(E::custom)
}

/// A forest as written now: every tree's arrays end to end, packed (`packed.rs`), with the
/// trees' sizes in nodes. Each group of arrays says what it has one entry (or, for a leaf's
/// values, `dim` entries) for: every node, every split, every leaf, in node order; child
/// indices count from the tree's own first node.
#[derive(Serialize, Deserialize)]
struct PackedForest {
    tree_sizes: Packed,
    per_node: ForestPerNode,
    per_split: ForestPerSplit,
    per_leaf: ForestPerLeaf,
}

#[derive(Serialize, Deserialize)]
struct ForestPerNode {
    feature: Packed,
}

#[derive(Serialize, Deserialize)]
struct ForestPerSplit {
    threshold: Packed,
    /// Only when some tree is not laid out depth first (`depth_first_rights`), with `left`
    /// only when some left child is not the next node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    right: Option<Packed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    left: Option<Packed>,
}

/// Each split's right child in a tree laid out depth first (a split's left child is the
/// next node, its right child the node after its left subtree), from which nodes are
/// splits alone: the first later node at the same level, counting +1 for a split and −1 for
/// a leaf before it (Python: the next node at the same level, by a stable sort). An error
/// when the nodes are not one whole tree.
fn depth_first_rights(is_split: impl ExactSizeIterator<Item = bool>) -> Result<Vec<u32>, String> {
    let n = is_split.len();
    let mut rights = Vec::new();
    // Per level, the split (its place in `rights`) still waiting for its right child.
    let mut waiting: Vec<Option<usize>> = Vec::new();
    let mut level = 0;
    for (k, split) in is_split.enumerate() {
        if level == usize::MAX {
            return Err(format!("a tree ends at node {} of {n}", k - 1));
        }
        if let Some(s) = waiting.get_mut(level).and_then(Option::take) {
            rights[s] = k as u32;
        }
        if split {
            if waiting.len() <= level {
                waiting.resize(level + 1, None);
            }
            waiting[level] = Some(rights.len());
            rights.push(0);
            level += 1;
        } else {
            level = level.wrapping_sub(1);
        }
    }
    if level != usize::MAX {
        return Err(format!(
            "a tree of {n} nodes has splits without a right child"
        ));
    }
    Ok(rights)
}

#[derive(Serialize, Deserialize)]
struct ForestPerLeaf {
    value: Packed,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cover: Option<Packed>,
}

/// Each array is made from the nodes and packed before the next is made: a forest's nodes
/// are hundreds of MB, and a spelled-out copy of every array at once added about 170 MB
/// to the peak of writing california's extra trees. Trees are depth first in memory, so
/// no children are written.
fn pack_forest(trees: &[Tree]) -> PackedForest {
    let nodes = || trees.iter().flat_map(Tree::nodes);
    let thresholds = || {
        nodes().filter_map(|n| match n {
            NodeRef::Split { threshold, .. } => Some(threshold),
            NodeRef::Leaf { .. } => None,
        })
    };
    let leaves = || {
        nodes().filter_map(|n| match n {
            NodeRef::Leaf { value, cover } => Some((value, cover)),
            NodeRef::Split { .. } => None,
        })
    };
    let integers = |xs: Vec<i64>| Packed::integers(&xs);
    let floats = |xs: Vec<f64>| Packed::floats(&xs);
    let sizes: Vec<i64> = trees.iter().map(|t| t.len() as i64).collect();
    let any_leaf = leaves().next().is_some();
    PackedForest {
        tree_sizes: integers(sizes),
        per_node: ForestPerNode {
            feature: integers(
                nodes()
                    .map(|n| match n {
                        NodeRef::Split { feature, .. } => i64::from(feature as i32),
                        NodeRef::Leaf { .. } => -1,
                    })
                    .collect(),
            ),
        },
        per_split: ForestPerSplit {
            threshold: floats(thresholds().collect()),
            right: None,
            left: None,
        },
        per_leaf: ForestPerLeaf {
            value: floats(
                leaves()
                    .flat_map(|(value, _)| value.iter().copied())
                    .collect(),
            ),
            // Every tree has its covers, or (written before covers were kept) none has.
            cover: any_leaf.then(|| floats(leaves().map(|(_, cover)| cover).collect())),
        },
    }
}

/// A tree laid out depth first, from its slices of the packed arrays: its nodes'
/// features (-1 at a leaf), its splits' thresholds and right children, its leaves' values
/// (`dim` each) and covers (empty: none stored).
fn depth_first_tree(
    feature: &[i64],
    threshold: &[f64],
    right: &[u32],
    value: &[f64],
    cover: &[f64],
    dim: usize,
) -> Result<Tree, String> {
    let mut t = Tree::new(dim);
    let (mut s, mut l) = (0, 0);
    for &f in feature {
        if f < 0 {
            let c = cover.get(l).copied().unwrap_or(0.0);
            t.push_leaf(value[l * dim..(l + 1) * dim].iter().copied(), c);
            l += 1;
        } else {
            let f = u32::try_from(f)
                .ok()
                .filter(|&f| f <= i32::MAX as u32)
                .ok_or_else(|| format!("a split's feature {f} is out of range"))?;
            let at = t.push_split(f, threshold[s]);
            t.set_right(at, right[s]);
            s += 1;
        }
    }
    Ok(t)
}

fn unpack_forest(p: PackedForest) -> Result<Vec<Tree>, String> {
    let sizes = p.tree_sizes.to_integers()?;
    let feature = p.per_node.feature.to_integers()?;
    let threshold = p.per_split.threshold.to_floats()?;
    let right = match p.per_split.right {
        Some(r) => Some(to_u32(&r.to_integers()?, "right child")?),
        None => None,
    };
    let left = match p.per_split.left {
        Some(l) => Some(to_u32(&l.to_integers()?, "left child")?),
        None => None,
    };
    let value = p.per_leaf.value.to_floats()?;
    let cover = match p.per_leaf.cover {
        Some(c) => c.to_floats()?,
        None => Vec::new(),
    };
    let leaves = feature.iter().filter(|&&f| f < 0).count();
    if sizes.is_empty() && feature.is_empty() && value.is_empty() {
        return Ok(Vec::new());
    }
    if leaves == 0 || !value.len().is_multiple_of(leaves) {
        return Err("a forest's leaf values do not divide among its leaves".into());
    }
    if !cover.is_empty() && cover.len() != leaves {
        return Err("a forest's covers do not match its leaves".into());
    }
    let dim = value.len() / leaves;
    let (mut node_at, mut split_at, mut leaf_at) = (0, 0, 0);
    let mut trees = Vec::with_capacity(sizes.len());
    for &n in &sizes {
        let n = usize::try_from(n).map_err(|_| format!("a tree's size {n} is negative"))?;
        let nodes = part(&feature, node_at, n, "feature")?;
        let splits = nodes.iter().filter(|&&f| f >= 0).count();
        let thresholds = part(&threshold, split_at, splits, "threshold")?;
        let values = part(&value, leaf_at * dim, (n - splits) * dim, "value")?;
        let covers = match cover.is_empty() {
            true => &[][..],
            false => part(&cover, leaf_at, n - splits, "cover")?,
        };
        let tree = match (&right, &left) {
            // As the grower lays trees out (depth first): the children follow.
            (None, None) => {
                let rights = depth_first_rights(nodes.iter().map(|&f| f >= 0))?;
                depth_first_tree(nodes, thresholds, &rights, values, covers, dim)?
            }
            // Laid out otherwise: checked as spelled-out nodes and laid out depth first.
            _ => {
                let tree = ForestTree {
                    feature: nodes
                        .iter()
                        .map(|&f| {
                            i32::try_from(f)
                                .map_err(|_| format!("a split's feature {f} is out of range"))
                        })
                        .collect::<Result<_, _>>()?,
                    threshold: thresholds.to_vec(),
                    right: match &right {
                        Some(r) => part(r, split_at, splits, "right child")?.to_vec(),
                        None => depth_first_rights(nodes.iter().map(|&f| f >= 0))?,
                    },
                    left: match &left {
                        Some(l) => Some(part(l, split_at, splits, "left child")?.to_vec()),
                        None => None,
                    },
                    value: values.to_vec(),
                    cover: covers.iter().map(|&c| Number(c)).collect(),
                };
                forest_nodes::<serde_json::Error>(tree).map_err(|e| e.to_string())?
            }
        };
        node_at += n;
        split_at += splits;
        leaf_at += n - splits;
        trees.push(tree);
    }
    if node_at != feature.len()
        || split_at != threshold.len()
        || right.is_some_and(|r| r.len() != split_at)
    {
        return Err("a forest's arrays are longer than its trees".into());
    }
    Ok(trees)
}

/// `#[serde(with)]` for `ForestModel::trees`.
pub mod forest_trees {
    use super::*;

    pub fn serialize<S: Serializer>(trees: &[Tree], s: S) -> Result<S::Ok, S::Error> {
        pack_forest(trees).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Tree>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OldTree {
            Arrays(ForestTree),
            Nodes(Vec<Node>),
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Packed(Box<PackedForest>),
            /// Files written before packing: a list of trees, each as arrays or (older
            /// still) as one object per node.
            List(Vec<OldTree>),
        }
        match Stored::deserialize(d)? {
            Stored::Packed(p) => unpack_forest(*p).map_err(serde::de::Error::custom),
            Stored::List(trees) => trees
                .into_iter()
                .map(|t| match t {
                    OldTree::Arrays(t) => forest_nodes(t),
                    OldTree::Nodes(n) => Tree::from_nodes(&n).map_err(serde::de::Error::custom),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::automl::learners::compact_tree::tests::split;

    #[derive(Debug, Serialize, Deserialize)]
    struct Forest {
        #[serde(with = "forest_trees")]
        trees: Vec<Tree>,
    }

    fn leaf(value: &[f64]) -> Node {
        Node::Leaf {
            value: value.into(),
            cover: 2.5 * value.len() as f64,
        }
    }

    fn tree(nodes: &[Node]) -> Tree {
        Tree::from_nodes(nodes).unwrap()
    }

    #[test]
    fn right_children_follow_from_a_depth_first_layout() {
        let rights = |nodes: &[bool]| depth_first_rights(nodes.iter().copied());
        assert_eq!(rights(&[true, true, false, false, false]).unwrap(), [4, 3]);
        assert_eq!(rights(&[true, false, true, false, false]).unwrap(), [2, 4]);
        assert_eq!(rights(&[false]).unwrap(), Vec::<u32>::new());
        let e = rights(&[true, false]).unwrap_err();
        assert!(e.contains("splits without a right child"), "{e}");
        let e = rights(&[false, false]).unwrap_err();
        assert!(e.contains("a tree ends at node 0 of 2"), "{e}");
        // A packed forest whose sizes cut a tree short is an error, not a panic.
        let text = serde_json::to_string(&Forest {
            trees: vec![tree(&[split(0, 1.0, 1, 2), leaf(&[1.0]), leaf(&[2.0])])],
        })
        .unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        v["trees"]["tree_sizes"] = serde_json::to_value(Packed::integers(&[2, 1])).unwrap();
        let e = serde_json::from_value::<Forest>(v)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("without a right child"), "{e}");
    }

    #[test]
    fn forest_trees_round_trip_packed_and_old_files_still_load() {
        let depth_first = tree(&[
            split(2, 0.1 + 0.2, 1, 4),
            split(0, -1.5, 2, 3),
            leaf(&[0.25, 0.75]),
            leaf(&[1.0 / 3.0, 2.0 / 3.0]),
            leaf(&[1.0, 0.0]),
        ]);
        // Children named in another order are laid out depth first in memory: the left
        // child (node 2 here) comes first.
        let other = tree(&[split(1, 7.0, 2, 1), leaf(&[0.5, 0.5]), leaf(&[0.0, 1.0])]);
        assert_eq!(
            other,
            tree(&[split(1, 7.0, 1, 2), leaf(&[0.0, 1.0]), leaf(&[0.5, 0.5])])
        );
        let forest = Forest {
            trees: vec![depth_first, other],
        };
        let text = serde_json::to_string(&forest).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let packed =
            |p: &serde_json::Value| -> Packed { serde_json::from_value(p.clone()).unwrap() };
        let t = &v["trees"];
        assert_eq!(packed(&t["tree_sizes"]).to_integers().unwrap(), [5, 3]);
        assert_eq!(
            packed(&t["per_node"]["feature"]).to_integers().unwrap(),
            [2, 0, -1, -1, -1, 1, -1, -1]
        );
        assert_eq!(
            packed(&t["per_split"]["threshold"]).to_floats().unwrap(),
            [0.1 + 0.2, -1.5, 7.0]
        );
        assert_eq!(
            packed(&t["per_leaf"]["value"]).to_floats().unwrap(),
            [
                0.25,
                0.75,
                1.0 / 3.0,
                2.0 / 3.0,
                1.0,
                0.0,
                0.0,
                1.0,
                0.5,
                0.5
            ]
        );
        assert_eq!(
            packed(&t["per_leaf"]["cover"]).to_integers().unwrap(),
            [5; 5]
        );
        // Depth first, so no children are stored.
        let splits = t["per_split"].as_object().unwrap();
        assert_eq!(splits.keys().collect::<Vec<_>>(), ["threshold"]);
        let back: Forest = serde_json::from_str(&text).unwrap();
        assert_eq!(back.trees, forest.trees);
        // A packed file with the children named (a forest laid out otherwise): the second
        // tree as first written.
        let mut named = v.clone();
        named["trees"]["per_split"]["right"] =
            serde_json::to_value(Packed::integers(&[4, 3, 1])).unwrap();
        named["trees"]["per_split"]["left"] =
            serde_json::to_value(Packed::integers(&[1, 2, 2])).unwrap();
        named["trees"]["per_leaf"]["value"] = serde_json::to_value(Packed::floats(&[
            0.25,
            0.75,
            1.0 / 3.0,
            2.0 / 3.0,
            1.0,
            0.0,
            0.5,
            0.5,
            0.0,
            1.0,
        ]))
        .unwrap();
        let back: Forest = serde_json::from_value(named).unwrap();
        assert_eq!(back.trees, forest.trees);
        // A list of trees as arrays, as files were written before packing.
        let arrays: Vec<ForestTree> = forest.trees.iter().map(forest_tree).collect();
        let old = serde_json::json!({ "trees": arrays });
        let back: Forest = serde_json::from_value(old).unwrap();
        assert_eq!(back.trees, forest.trees);
        // One object per node, as files were written before that.
        let old = serde_json::json!({ "trees": [forest.trees[0].to_nodes()] });
        let back: Forest = serde_json::from_value(old).unwrap();
        assert_eq!(back.trees, forest.trees[..1]);
        // A damaged file is an error, not a panic.
        let bad = r#"{"trees":[{"feature":[0,-1],"threshold":[1.0],"right":[9],"value":[1.0]}]}"#;
        assert!(serde_json::from_str::<Forest>(bad).is_err());
        let mut cut = v.clone();
        cut["trees"]["tree_sizes"] = serde_json::to_value(Packed::integers(&[5, 4])).unwrap();
        let e = serde_json::from_value::<Forest>(cut)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("feature array is too short"), "{e}");
        let mut far = v;
        far["trees"]["per_split"]["right"] =
            serde_json::to_value(Packed::integers(&[4, 3, 9])).unwrap();
        let e = serde_json::from_value::<Forest>(far)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("out of range"), "{e}");
    }

    /// A damaged or hand-made file whose "tree" loops back, shares a node between two
    /// splits, or has no nodes is refused when read: predicting would never end, index
    /// past the tree, or TreeSHAP would count a node twice.
    #[test]
    fn a_tree_that_is_not_a_tree_is_refused() {
        let read = |trees: serde_json::Value| {
            serde_json::from_value::<Forest>(serde_json::json!({ "trees": trees }))
                .err()
                .map(|e| e.to_string())
        };
        let nodes = |tree: &[Node]| serde_json::to_value(tree).unwrap();
        let good = [split(0, 1.0, 1, 2), leaf(&[1.0]), leaf(&[2.0])];
        assert_eq!(read(serde_json::json!([nodes(&good)])), None);
        let back = [split(0, 1.0, 1, 0), leaf(&[1.0])];
        let e = read(serde_json::json!([nodes(&back)])).unwrap();
        assert!(e.contains("split 0 of 2 nodes names node 0"), "{e}");
        let shared = [split(0, 1.0, 1, 1), leaf(&[1.0])];
        let e = read(serde_json::json!([nodes(&shared)])).unwrap();
        assert!(e.contains("node 1 is the child of 2 splits"), "{e}");
        let e = read(serde_json::json!([[]])).unwrap();
        assert!(e.contains("no nodes"), "{e}");
        // The same as arrays, with explicit children.
        let arrays = serde_json::json!([{"feature": [0, 1, -1, -1, -1], "threshold": [1.0, 2.0],
            "left": [1, 2], "right": [4, 1], "value": [1.0, 2.0, 3.0]}]);
        let e = read(arrays).unwrap();
        assert!(e.contains("split 1 of 5 nodes names node 1"), "{e}");
    }
}
