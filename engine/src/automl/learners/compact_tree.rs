//! A forest's tree in memory, laid out depth first as the grower grows it: a split's left
//! child is the next node, so a node is 16 bytes (threshold, feature, and the right child
//! or the leaf's number), and the leaves' values (`dim` each) and covers sit in two arrays
//! beside the nodes. Five folds of 100 full trees on 20k rows are ten million nodes: at the
//! 40 bytes of a spelled-out node they were most of a job's peak memory.
//!
//! A split's cover is not kept: TreeSHAP sums it from the leaves (`ShapTree::new`), as it
//! does for a tree read from `model.json`, which never stored it.

use serde::{Deserialize, Serialize};

/// `Slot::feature` of a leaf.
const LEAF: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Slot {
    /// A split's threshold (`x <= threshold` goes left, as do missing values); 0 at a leaf.
    threshold: f64,
    /// The split's feature, or `LEAF`.
    feature: u32,
    /// A split's right child, or a leaf's number (its place among the leaves).
    next: u32,
}

/// One tree, depth first. Build it with `push_leaf` and `push_split` in depth-first order
/// (a split, its left subtree, its right subtree), setting each split's right child with
/// `set_right` once it is known; or read it from spelled-out nodes (`from_nodes`).
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    slots: Vec<Slot>,
    values: Vec<f64>,
    covers: Vec<f64>,
    dim: usize,
}

/// A node as the walkers see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NodeRef<'a> {
    Split {
        feature: u32,
        threshold: f64,
        left: u32,
        right: u32,
    },
    Leaf {
        value: &'a [f64],
        cover: f64,
    },
}

/// A node spelled out, children named: how files written before the packed format stored
/// trees (one object per node), and how tests write trees by hand. `cover` of a split is
/// ignored (see the module's note).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Node {
    Split {
        feature: u32,
        threshold: f64,
        left: u32,
        right: u32,
        #[serde(default)]
        cover: f64,
    },
    Leaf {
        value: Vec<f64>,
        #[serde(default)]
        cover: f64,
    },
}

impl Tree {
    /// An empty tree whose leaves will hold `dim` values.
    pub fn new(dim: usize) -> Tree {
        Tree {
            slots: Vec::new(),
            values: Vec::new(),
            covers: Vec::new(),
            dim,
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The number of values per leaf.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Add a leaf with its `dim` values and its training weight; its index.
    pub fn push_leaf(&mut self, value: impl IntoIterator<Item = f64>, cover: f64) -> u32 {
        let before = self.values.len();
        self.values.extend(value);
        debug_assert_eq!(self.values.len() - before, self.dim, "a leaf's values");
        self.slots.push(Slot {
            threshold: 0.0,
            feature: LEAF,
            next: self.covers.len() as u32,
        });
        self.covers.push(cover);
        (self.slots.len() - 1) as u32
    }

    /// Add a split (its left child is the next node pushed); its index. Its right child is
    /// set by `set_right`.
    pub fn push_split(&mut self, feature: u32, threshold: f64) -> u32 {
        debug_assert!(feature != LEAF);
        self.slots.push(Slot {
            threshold,
            feature,
            next: 0,
        });
        (self.slots.len() - 1) as u32
    }

    pub fn set_right(&mut self, split: u32, right: u32) {
        self.slots[split as usize].next = right;
    }

    pub fn node(&self, i: usize) -> NodeRef<'_> {
        let s = self.slots[i];
        if s.feature == LEAF {
            let k = s.next as usize;
            NodeRef::Leaf {
                value: &self.values[k * self.dim..(k + 1) * self.dim],
                cover: self.covers[k],
            }
        } else {
            NodeRef::Split {
                feature: s.feature,
                threshold: s.threshold,
                left: i as u32 + 1,
                right: s.next,
            }
        }
    }

    pub fn nodes(&self) -> impl Iterator<Item = NodeRef<'_>> + '_ {
        (0..self.len()).map(|i| self.node(i))
    }

    /// The leaf values row `row` of `x` reaches (feature `j` of it is `x(j)`).
    pub fn leaf_value(&self, x: impl Fn(usize) -> f64) -> &[f64] {
        let mut n = 0usize;
        loop {
            let s = &self.slots[n];
            if s.feature == LEAF {
                let k = s.next as usize;
                return &self.values[k * self.dim..(k + 1) * self.dim];
            }
            let v = x(s.feature as usize);
            // Missing values were binned with the smallest values: go left.
            n = if v.is_nan() || v <= s.threshold {
                n + 1
            } else {
                s.next as usize
            };
        }
    }

    /// The tree spelled out by `nodes`, laid out depth first whatever their order; an
    /// error when they are not one tree: no nodes, a child that does not come after its
    /// split or is out of range, a node that is not the child of exactly one split, or
    /// leaves with different numbers of values.
    pub fn from_nodes(nodes: &[Node]) -> Result<Tree, String> {
        check_tree(nodes)?;
        let dim = nodes
            .iter()
            .find_map(|n| match n {
                Node::Leaf { value, .. } => Some(value.len()),
                Node::Split { .. } => None,
            })
            .unwrap_or(0);
        let mut t = Tree::new(dim);
        // (node, the split whose right child it is); the left child is pushed last, so
        // it is taken first and its subtree is laid out before the right child.
        let mut stack = vec![(0usize, None)];
        while let Some((i, right_of)) = stack.pop() {
            let at = t.len() as u32;
            if let Some(split) = right_of {
                t.set_right(split, at);
            }
            match &nodes[i] {
                Node::Leaf { value, cover } => {
                    if value.len() != dim {
                        return Err(format!(
                            "a tree's leaves hold different numbers of values ({dim} and {})",
                            value.len()
                        ));
                    }
                    t.push_leaf(value.iter().copied(), *cover);
                }
                Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                    ..
                } => {
                    if *feature == LEAF {
                        return Err(format!("a split's feature {feature} is out of range"));
                    }
                    t.push_split(*feature, *threshold);
                    stack.push((*right as usize, Some(at)));
                    stack.push((*left as usize, None));
                }
            }
        }
        Ok(t)
    }

    /// The tree spelled out, depth first (for writing older formats in tests).
    pub fn to_nodes(&self) -> Vec<Node> {
        self.nodes()
            .map(|n| match n {
                NodeRef::Split {
                    feature,
                    threshold,
                    left,
                    right,
                } => Node::Split {
                    feature,
                    threshold,
                    left,
                    right,
                    cover: 0.0,
                },
                NodeRef::Leaf { value, cover } => Node::Leaf {
                    value: value.to_vec(),
                    cover,
                },
            })
            .collect()
    }
}

/// Spelled-out nodes are a tree: there are some, and every node but the first is the child
/// of exactly one split that comes before it (as trees are grown and written). A walk from
/// the root then always ends at a leaf, within the tree, and TreeSHAP sees each node once.
fn check_tree(nodes: &[Node]) -> Result<(), String> {
    let n = nodes.len();
    if n == 0 {
        return Err("a tree has no nodes".into());
    }
    let mut parents = vec![0u8; n];
    for (i, node) in nodes.iter().enumerate() {
        if let Node::Split { left, right, .. } = node {
            for c in [*left as usize, *right as usize] {
                if c <= i || c >= n {
                    return Err(format!(
                        "a tree's child index is out of range: split {i} of {n} nodes names \
                         node {c} (a child comes after its split)"
                    ));
                }
                parents[c] = parents[c].saturating_add(1);
            }
        }
    }
    match (1..n).find(|&k| parents[k] != 1) {
        Some(k) => Err(format!(
            "a tree's node {k} is the child of {} splits, not of one",
            parents[k]
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A split written by hand (tests here and in `tree_format`).
    pub(crate) fn split(feature: u32, threshold: f64, left: u32, right: u32) -> Node {
        Node::Split {
            feature,
            threshold,
            left,
            right,
            cover: 0.0,
        }
    }

    fn leaf(value: f64, cover: f64) -> Node {
        Node::Leaf {
            value: vec![value],
            cover,
        }
    }

    #[test]
    fn a_node_is_sixteen_bytes() {
        // A forest's memory is its node count times this, plus its leaves' values and
        // covers (california: ten million nodes).
        assert_eq!(std::mem::size_of::<Slot>(), 16);
    }

    #[test]
    fn nodes_in_any_order_are_laid_out_depth_first_and_walk_the_same() {
        // Root splits feature 0 at 1.0; its right child (written first) splits feature 1.
        let nodes = [
            split(0, 1.0, 2, 1),
            split(1, 5.0, 3, 4),
            leaf(10.0, 4.0),
            leaf(20.0, 2.0),
            leaf(30.0, 1.0),
        ];
        let t = Tree::from_nodes(&nodes).unwrap();
        assert_eq!(t.len(), 5);
        assert_eq!(
            t.node(0),
            NodeRef::Split {
                feature: 0,
                threshold: 1.0,
                left: 1,
                right: 2
            }
        );
        assert_eq!(
            t.node(1),
            NodeRef::Leaf {
                value: &[10.0],
                cover: 4.0
            }
        );
        assert_eq!(
            t.node(2),
            NodeRef::Split {
                feature: 1,
                threshold: 5.0,
                left: 3,
                right: 4
            }
        );
        let walk = |x: [f64; 2]| t.leaf_value(|j| x[j])[0];
        assert_eq!(walk([0.5, 9.0]), 10.0);
        assert_eq!(walk([f64::NAN, 9.0]), 10.0);
        assert_eq!(walk([2.0, 5.0]), 20.0);
        assert_eq!(walk([2.0, f64::NAN]), 20.0);
        assert_eq!(walk([2.0, 6.0]), 30.0);
        // Spelled out again, it reads back the same.
        assert_eq!(Tree::from_nodes(&t.to_nodes()).unwrap(), t);
    }

    #[test]
    fn nodes_that_are_not_one_tree_are_refused() {
        let e = |nodes: &[Node]| Tree::from_nodes(nodes).unwrap_err();
        assert!(e(&[]).contains("no nodes"));
        assert!(e(&[split(0, 1.0, 1, 0), leaf(1.0, 1.0)]).contains("names node 0"));
        assert!(e(&[split(0, 1.0, 1, 1), leaf(1.0, 1.0)]).contains("child of 2 splits"));
        let mixed = [
            split(0, 1.0, 1, 2),
            leaf(1.0, 1.0),
            Node::Leaf {
                value: vec![0.5, 0.5],
                cover: 1.0,
            },
        ];
        assert!(e(&mixed).contains("different numbers of values"));
        let far = [split(LEAF, 1.0, 1, 2), leaf(1.0, 1.0), leaf(2.0, 1.0)];
        assert!(e(&far).contains("out of range"));
    }
}
