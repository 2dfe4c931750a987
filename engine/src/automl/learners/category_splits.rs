//! Category splits: a split on a column of category codes (dpp0's ordinal codes, integers
//! from −1) that sends a set of codes left and the other codes right; a missing value, or
//! any value that is not a code, takes the node's missing branch. The symmetric learner makes them (`symmetric.rs`: each tree
//! orders a category column's codes by the current gradients, as LightGBM orders
//! categories at each node, and splits that order where it would split a numeric column).
//!
//! A booster keeps them beside its forust prediction trees: per split node (tree, node),
//! the codes that go left, as a 256-bit set (`CodeSet`). The node's stored split value is
//! NaN, so nothing can take it for a threshold. `model.json` stores them per booster as
//! `{"tree", "node", "sizes", "codes"}` (packed), the codes of every split end to end.

use forust_ml::GradientBooster;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::booster_format::prediction_trees;
use super::packed::{part, to_u32, Packed};

/// The lowest and highest code a category split can send left.
pub const LOWEST_CODE: i64 = -1;
pub const HIGHEST_CODE: i64 = 254;

/// A set of category codes (integers from `LOWEST_CODE` to `HIGHEST_CODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CodeSet([u64; 4]);

impl CodeSet {
    /// The bit of `v`, if `v` is a code this set can hold.
    fn bit(v: f64) -> Option<usize> {
        let k = v - LOWEST_CODE as f64;
        (k >= 0.0 && k <= (HIGHEST_CODE - LOWEST_CODE) as f64 && k.fract() == 0.0)
            .then_some(k as usize)
    }

    /// Whether `v` is a code: an integer from `LOWEST_CODE` to `HIGHEST_CODE`.
    #[inline]
    pub fn is_code(v: f64) -> bool {
        Self::bit(v).is_some()
    }

    /// Every code, ascending.
    pub fn all() -> impl Iterator<Item = f64> {
        (LOWEST_CODE..=HIGHEST_CODE).map(|c| c as f64)
    }

    /// Whether `v` is one of the codes (never for a missing value, a fraction or a number
    /// out of the codes' range).
    #[inline]
    pub fn contains(&self, v: f64) -> bool {
        Self::bit(v).is_some_and(|b| self.0[b / 64] >> (b % 64) & 1 == 1)
    }

    /// The set of `codes`; `None` if one is not a code.
    pub fn of(codes: impl IntoIterator<Item = f64>) -> Option<CodeSet> {
        let mut s = CodeSet::default();
        for v in codes {
            let b = Self::bit(v)?;
            s.0[b / 64] |= 1 << (b % 64);
        }
        Some(s)
    }

    /// The codes, ascending.
    pub fn codes(&self) -> Vec<i64> {
        (0..256)
            .filter(|b| self.0[b / 64] >> (b % 64) & 1 == 1)
            .map(|b| b as i64 + LOWEST_CODE)
            .collect()
    }
}

/// Whether every present value of `col` is a code a `CodeSet` can hold.
pub fn all_codes(col: &[f64]) -> bool {
    col.iter().all(|&v| v.is_nan() || CodeSet::bit(v).is_some())
}

/// One booster's category splits: (tree, node, codes sent left), ordered by tree then node.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CategorySplits(pub Vec<(u32, u32, CodeSet)>);

impl CategorySplits {
    /// Tree `t`'s splits: (node, codes sent left).
    pub fn of_tree(&self, t: usize) -> impl Iterator<Item = (usize, &CodeSet)> {
        let v = &self.0;
        let start = v.partition_point(|s| (s.0 as usize) < t);
        v[start..]
            .iter()
            .take_while(move |s| s.0 as usize == t)
            .map(|s| (s.1 as usize, &s.2))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Checks that `splits` are exactly `b`'s splits whose value is NaN: each names a split
/// node of a tree `b` predicts with, in tree and node order, and no such split is left
/// without its codes.
pub fn check(b: &GradientBooster, splits: &CategorySplits) -> Result<(), String> {
    let trees = prediction_trees(b);
    if splits
        .0
        .windows(2)
        .any(|w| (w[0].0, w[0].1) >= (w[1].0, w[1].1))
    {
        return Err("a booster's category splits are not in tree and node order".into());
    }
    let mut listed = splits
        .0
        .iter()
        .map(|s| (s.0 as usize, s.1 as usize))
        .peekable();
    for (t, tree) in trees.iter().enumerate() {
        for (i, node) in tree.nodes.iter().enumerate() {
            let category = !node.is_leaf && node.split_value.is_nan();
            if category != listed.next_if_eq(&(t, i)).is_some() {
                return Err(format!(
                    "tree {t}'s node {i} is {} but {} listed as a category split",
                    if category {
                        "a category split"
                    } else {
                        "not a category split"
                    },
                    if category { "is not" } else { "is" },
                ));
            }
        }
    }
    match listed.next() {
        Some((t, i)) => Err(format!(
            "a category split names node {i} of tree {t}, which the booster does not have"
        )),
        None => Ok(()),
    }
}

/// `model.json`'s form of one booster's category splits.
#[derive(Serialize, Deserialize)]
struct Stored {
    tree: Packed,
    node: Packed,
    /// How many codes each split sends left.
    sizes: Packed,
    codes: Packed,
}

impl From<&CategorySplits> for Stored {
    fn from(c: &CategorySplits) -> Stored {
        let ints = |f: &dyn Fn(&(u32, u32, CodeSet)) -> i64| {
            Packed::integers(&c.0.iter().map(f).collect::<Vec<_>>())
        };
        let codes: Vec<Vec<i64>> = c.0.iter().map(|s| s.2.codes()).collect();
        Stored {
            tree: ints(&|s| s.0.into()),
            node: ints(&|s| s.1.into()),
            sizes: Packed::integers(&codes.iter().map(|c| c.len() as i64).collect::<Vec<_>>()),
            codes: Packed::integers(&codes.concat()),
        }
    }
}

impl TryFrom<Stored> for CategorySplits {
    type Error = String;

    fn try_from(s: Stored) -> Result<CategorySplits, String> {
        let tree = to_u32(&s.tree.to_integers()?, "category split's tree")?;
        let node = to_u32(&s.node.to_integers()?, "category split's node")?;
        let sizes = s.sizes.to_integers()?;
        let codes = s.codes.to_integers()?;
        if node.len() != tree.len() || sizes.len() != tree.len() {
            return Err("a booster's category splits differ in length".into());
        }
        let mut at = 0;
        let mut out = Vec::with_capacity(tree.len());
        for ((&t, &n), &k) in tree.iter().zip(&node).zip(&sizes) {
            let k = usize::try_from(k)
                .map_err(|_| format!("a category split's size {k} is negative"))?;
            let left = part(&codes, at, k, "category codes")?;
            let set = CodeSet::of(left.iter().map(|&c| c as f64)).ok_or_else(|| {
                format!("a category split sends a code out of {LOWEST_CODE}..={HIGHEST_CODE} left")
            })?;
            at += k;
            out.push((t, n, set));
        }
        if at != codes.len() {
            return Err("a booster's category codes are longer than its splits".into());
        }
        Ok(CategorySplits(out))
    }
}

/// `#[serde(with)]` for a model's category splits, one entry per booster.
pub mod per_booster {
    use super::*;

    pub fn serialize<S: Serializer>(v: &[CategorySplits], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(Stored::from))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<CategorySplits>, D::Error> {
        Vec::<Stored>::deserialize(d)?
            .into_iter()
            .map(|s| CategorySplits::try_from(s).map_err(serde::de::Error::custom))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_set_holds_codes_only() {
        let s = CodeSet::of([-1.0, 0.0, 63.0, 64.0, 254.0]).unwrap();
        assert_eq!(s.codes(), vec![-1, 0, 63, 64, 254]);
        for v in [-1.0, 0.0, 63.0, 64.0, 254.0] {
            assert!(s.contains(v), "{v}");
        }
        for v in [1.0, 62.0, 0.5, -2.0, 255.0, f64::NAN, f64::INFINITY, -0.5] {
            assert!(!s.contains(v), "{v}");
        }
        assert!(CodeSet::of([255.0]).is_none());
        assert!(CodeSet::of([1.5]).is_none());
        assert!(all_codes(&[-1.0, 3.0, f64::NAN]));
        assert!(!all_codes(&[0.25]));
    }

    #[test]
    fn category_splits_round_trip_and_bad_ones_are_refused() {
        let c = CategorySplits(vec![
            (0, 0, CodeSet::of([1.0, 2.0]).unwrap()),
            (0, 2, CodeSet::of([-1.0]).unwrap()),
            (3, 1, CodeSet::of([7.0, 9.0, 200.0]).unwrap()),
        ]);
        let text = serde_json::to_string(&Stored::from(&c)).unwrap();
        let back = CategorySplits::try_from(serde_json::from_str::<Stored>(&text).unwrap());
        assert_eq!(back.unwrap(), c);
        assert_eq!(c.of_tree(0).map(|s| s.0).collect::<Vec<_>>(), vec![0, 2]);
        assert_eq!(c.of_tree(3).map(|s| s.0).collect::<Vec<_>>(), vec![1]);
        assert_eq!(c.of_tree(1).count(), 0);
        let mut s = Stored::from(&c);
        s.codes = Packed::integers(&[1, 2, -1, 7, 9, 300]);
        let err = CategorySplits::try_from(s).unwrap_err();
        assert!(err.contains("out of -1..=254"), "{err}");
    }
}
