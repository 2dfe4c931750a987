//! How a gradient-boosting booster is stored in `model.json`: `{"base_score", "trees":
//! {"tree_sizes", "per_node": {"feature", "value", "left", "right", "missing", "cover"}}}`,
//! every tree's arrays end to end, each packed (`packed.rs`). `feature` is -1 at a leaf;
//! `value` is the split value at a split and the leaf weight at a leaf (forust's `f32`, so
//! packed as `f4`); `cover` is forust's hessian sum, as TreeSHAP needs. Only the trees
//! forust predicts with are kept (early stopping's extra rounds are dropped). Every number
//! comes back bit for bit. Files written before packing (a list of trees as JSON arrays, or
//! forust's own serde form) still load.

use forust_ml::tree::Tree as ForustTree;
use forust_ml::GradientBooster;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::forust_tree::{forust_tree, NodeFields};
use super::packed::{part, to_u32, Packed};

#[derive(Serialize, Deserialize)]
pub(crate) struct BoosterTree {
    feature: Vec<i64>,
    value: Vec<f64>,
    left: Vec<u32>,
    right: Vec<u32>,
    missing: Vec<u32>,
    /// Per node: forust's hessian sum (its cover, as TreeSHAP needs; absent in older files).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    cover: Vec<f64>,
}

impl BoosterTree {
    pub(crate) fn with_capacity(n: usize) -> BoosterTree {
        BoosterTree {
            feature: Vec::with_capacity(n),
            value: Vec::with_capacity(n),
            left: Vec::with_capacity(n),
            right: Vec::with_capacity(n),
            missing: Vec::with_capacity(n),
            cover: Vec::with_capacity(n),
        }
    }

    /// How many nodes the tree has.
    pub(crate) fn len(&self) -> usize {
        self.feature.len()
    }

    pub(crate) fn push_leaf(&mut self, value: f64, cover: f64) {
        self.feature.push(-1);
        self.value.push(value);
        self.left.push(0);
        self.right.push(0);
        self.missing.push(0);
        self.cover.push(cover);
    }

    pub(crate) fn push_split(&mut self, feature: i64, value: f64, children: [u32; 3], cover: f64) {
        let [left, right, missing] = children;
        self.feature.push(feature);
        self.value.push(value);
        self.left.push(left);
        self.right.push(right);
        self.missing.push(missing);
        self.cover.push(cover);
    }
}

struct Booster {
    base_score: f64,
    trees: Vec<BoosterTree>,
}

/// A booster as `model.json` holds it: `trees` packed (every tree's arrays end to end, one
/// entry per node, with the trees' sizes), or as a list of trees in older files.
#[derive(Serialize, Deserialize)]
struct StoredBooster {
    base_score: f64,
    trees: BoosterTrees,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum BoosterTrees {
    Packed {
        tree_sizes: Packed,
        per_node: Box<BoosterPerNode>,
    },
    List(Vec<BoosterTree>),
}

#[derive(Serialize, Deserialize)]
struct BoosterPerNode {
    feature: Packed,
    value: Packed,
    left: Packed,
    right: Packed,
    missing: Packed,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cover: Option<Packed>,
}

impl From<Booster> for StoredBooster {
    fn from(b: Booster) -> Self {
        let all = |f: &dyn Fn(&BoosterTree) -> Vec<i64>| -> Packed {
            Packed::integers(&b.trees.iter().flat_map(f).collect::<Vec<_>>())
        };
        let sizes: Vec<i64> = b.trees.iter().map(|t| t.feature.len() as i64).collect();
        let value: Vec<f64> = b
            .trees
            .iter()
            .flat_map(|t| t.value.iter().copied())
            .collect();
        let cover: Vec<f64> = b
            .trees
            .iter()
            .flat_map(|t| t.cover.iter().copied())
            .collect();
        let per_node = BoosterPerNode {
            feature: all(&|t| t.feature.clone()),
            value: Packed::floats(&value),
            left: all(&|t| t.left.iter().map(|&x| i64::from(x)).collect()),
            right: all(&|t| t.right.iter().map(|&x| i64::from(x)).collect()),
            missing: all(&|t| t.missing.iter().map(|&x| i64::from(x)).collect()),
            cover: (!cover.is_empty()).then(|| Packed::floats(&cover)),
        };
        StoredBooster {
            base_score: b.base_score,
            trees: BoosterTrees::Packed {
                tree_sizes: Packed::integers(&sizes),
                per_node: Box::new(per_node),
            },
        }
    }
}

impl TryFrom<StoredBooster> for Booster {
    type Error = String;

    fn try_from(s: StoredBooster) -> Result<Self, String> {
        let (sizes, p) = match s.trees {
            BoosterTrees::List(trees) => {
                return Ok(Booster {
                    base_score: s.base_score,
                    trees,
                })
            }
            BoosterTrees::Packed {
                tree_sizes,
                per_node,
            } => (tree_sizes.to_integers()?, per_node),
        };
        let feature = p.feature.to_integers()?;
        let value = p.value.to_floats()?;
        let children = |a: Packed, what: &str| to_u32(&a.to_integers()?, what);
        let left = children(p.left, "left child")?;
        let right = children(p.right, "right child")?;
        let missing = children(p.missing, "missing child")?;
        let cover = match p.cover {
            Some(c) => c.to_floats()?,
            None => Vec::new(),
        };
        let mut at = 0;
        let mut trees = Vec::with_capacity(sizes.len());
        for &n in &sizes {
            let n = usize::try_from(n).map_err(|_| format!("a tree's size {n} is negative"))?;
            trees.push(BoosterTree {
                feature: part(&feature, at, n, "feature")?.to_vec(),
                value: part(&value, at, n, "value")?.to_vec(),
                left: part(&left, at, n, "left child")?.to_vec(),
                right: part(&right, at, n, "right child")?.to_vec(),
                missing: part(&missing, at, n, "missing child")?.to_vec(),
                cover: match cover.is_empty() {
                    true => Vec::new(),
                    false => part(&cover, at, n, "cover")?.to_vec(),
                },
            });
            at += n;
        }
        if at != feature.len() {
            return Err("a booster's arrays are longer than its trees".into());
        }
        Ok(Booster {
            base_score: s.base_score,
            trees,
        })
    }
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
            let mut t = BoosterTree::with_capacity(tree.nodes.len());
            for node in &tree.nodes {
                let cover = node.hessian_sum as f64;
                if node.is_leaf {
                    t.push_leaf(node.weight_value as f64, cover);
                } else {
                    let children = [node.left_child, node.right_child, node.missing_node];
                    t.push_split(
                        node.split_feature as i64,
                        node.split_value,
                        children.map(|c| c as u32),
                        cover,
                    );
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
        let mut nodes = Vec::with_capacity(n);
        for i in 0..n {
            let leaf = t.feature[i] < 0;
            let children = [t.left[i], t.right[i], t.missing[i]].map(|c| c as usize);
            if !leaf && children.iter().any(|&c| c >= n) {
                return Err(E::custom("a booster tree's child index is out of range"));
            }
            nodes.push(NodeFields::new(
                i,
                leaf,
                if leaf { t.value[i] as f32 } else { 0.0 },
                t.cover.get(i).map_or(0.0, |c| *c as f32),
                if leaf {
                    (0.0, 0)
                } else {
                    (t.value[i], t.feature[i] as usize)
                },
                children,
            ));
        }
        let tree = forust_tree::<E>(nodes)?;
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

/// A booster made of trees grown elsewhere (`symmetric.rs`), predicting as forust does.
pub(crate) fn booster_from_trees(
    base_score: f64,
    trees: Vec<BoosterTree>,
) -> Result<GradientBooster, String> {
    forust_booster::<serde_json::Error>(Booster { base_score, trees }).map_err(|e| e.to_string())
}

/// `#[serde(with)]` for the boosters of `GbdtModel` and `SymmetricModel`.
pub mod gbdt_boosters {
    use super::*;

    pub fn serialize<S: Serializer>(
        boosters: &[Option<GradientBooster>],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            boosters
                .iter()
                .map(|b| b.as_ref().map(|b| StoredBooster::from(compact_booster(b)))),
        )
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<Option<GradientBooster>>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Compact(Box<StoredBooster>),
            Forust(Box<GradientBooster>),
        }
        Vec::<Option<Stored>>::deserialize(d)?
            .into_iter()
            .map(|b| match b {
                None => Ok(None),
                Some(Stored::Compact(c)) => Booster::try_from(*c)
                    .map_err(serde::de::Error::custom)
                    .and_then(forust_booster)
                    .map(Some),
                Some(Stored::Forust(b)) => Ok(Some(*b)),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boosters_round_trip_packed_bit_for_bit_and_old_files_still_load() {
        use crate::automl::learners::params::GbdtParams;
        use crate::automl::learners::{GbdtModel, Learner};
        use crate::automl::matrix::Matrix;

        let (rows, cols) = (300, 3);
        let mut rng = crate::common::Rng::new(11);
        let mut data: Vec<f64> = (0..rows * cols).map(|_| rng.next_f64() * 10.0).collect();
        for i in (0..rows).step_by(9) {
            data[rows + i] = f64::NAN;
        }
        let y: Vec<f64> = (0..rows)
            .map(|i| data[i].sin() + data[2 * rows + i] * 0.1)
            .collect();
        let m = Matrix { rows, cols, data };
        let params = GbdtParams {
            iterations: 20,
            max_depth: 4,
            ..GbdtParams::default()
        };
        let model = GbdtModel::trained(params, &m, &y, 1);
        let want = model.predict(&m);
        let text = serde_json::to_string(&model).unwrap();
        assert!(
            text.contains(r#""trees":{"tree_sizes":{"dtype":"#),
            "{}",
            &text[..200]
        );
        let back: GbdtModel = serde_json::from_str(&text).unwrap();
        let bits = |p: &crate::automl::metrics::Predictions| format!("{p:?}");
        assert_eq!(bits(&back.predict(&m)), bits(&want));
        // The trees as a list of arrays, as files were written before packing.
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let b = model.boosters[0].as_ref().unwrap();
        let c = compact_booster(b);
        let list = StoredBooster {
            base_score: c.base_score,
            trees: BoosterTrees::List(c.trees),
        };
        v["boosters"][0] = serde_json::to_value(list).unwrap();
        assert!(v["boosters"][0]["trees"].is_array());
        let back: GbdtModel = serde_json::from_value(v).unwrap();
        assert_eq!(bits(&back.predict(&m)), bits(&want));
    }
}
