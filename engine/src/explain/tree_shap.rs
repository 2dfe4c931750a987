//! Path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, Algorithm 2), in `f64`, as the
//! `shap` package computes it with `feature_perturbation="tree_path_dependent"`: each
//! split's covers stand for the distribution of the features a coalition leaves out.
//!
//! A `ShapTree` is the explainer's view of one tree: parallel arrays per node, leaves
//! holding `dim` values. The covers of internal nodes are the sums of their children's,
//! so the expected value (cover-weighted mean of the leaves) plus the SHAP values adds
//! up to the tree's output exactly, whatever rounding the learner's own covers carry.

use super::shap_tables::ShapTable;
use crate::automl::learners::category_splits::CodeSet;

/// How a split sends a present value: `x <= threshold` (the forests) or `x < threshold`
/// (forust) goes left. A missing value takes `missing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    LeftIfLessEq,
    LeftIfLess,
}

#[derive(Debug, Clone)]
pub struct ShapTree {
    /// Per node: the split feature, or -1 at a leaf.
    pub feature: Vec<i64>,
    pub threshold: Vec<f64>,
    pub left: Vec<usize>,
    pub right: Vec<usize>,
    /// Where a missing value goes (the left or the right child).
    pub missing: Vec<usize>,
    pub cover: Vec<f64>,
    /// `dim` values per node (only leaves' are used).
    pub value: Vec<f64>,
    pub dim: usize,
    pub rule: Rule,
    depth: usize,
    expected: Vec<f64>,
    /// Per-leaf tables (`shap_tables.rs`), for a tree that explains many rows.
    table: Option<ShapTable>,
    /// The tree's distinct tests (feature, threshold or codes), each as the first split
    /// that makes it, when there are at most `SHARED_TESTS`: rows that take the same
    /// side of each share their SHAP values (`add_shap_shared`). A symmetric tree of
    /// depth d has d.
    tests: Option<Vec<usize>>,
    /// Per node, the codes a category split sends left (`category_splits.rs`); empty for
    /// a tree without category splits.
    sets: Vec<Option<CodeSet>>,
}

/// The most distinct tests a tree may have for rows to share their values: each test's
/// outcome (missing, left, right) takes two bits of a `u64` key.
const SHARED_TESTS: usize = 32;

impl ShapTree {
    /// Checks the arrays, makes every internal cover the sum of its children's, and
    /// measures the depth. `None` when the tree cannot be explained: no covers (a file
    /// written before they were kept), a zero cover, a child out of range, a missing
    /// branch that is neither child, or a depth over 128.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        feature: Vec<i64>,
        threshold: Vec<f64>,
        left: Vec<usize>,
        right: Vec<usize>,
        missing: Vec<usize>,
        leaf_cover: Vec<f64>,
        value: Vec<f64>,
        dim: usize,
        rule: Rule,
    ) -> Option<ShapTree> {
        let n = feature.len();
        if n == 0
            || [
                threshold.len(),
                left.len(),
                right.len(),
                missing.len(),
                leaf_cover.len(),
            ]
            .iter()
            .any(|l| *l != n)
            || value.len() != n * dim
        {
            return None;
        }
        let mut t = ShapTree {
            feature,
            threshold,
            left,
            right,
            missing,
            cover: leaf_cover,
            value,
            dim,
            rule,
            depth: 0,
            expected: vec![],
            table: None,
            tests: None,
            sets: Vec::new(),
        };
        // Children before parents: covers bottom-up, depth top-down, without recursion.
        let mut order = Vec::with_capacity(n);
        let mut depth = vec![0usize; n];
        let mut stack = vec![0usize];
        while let Some(i) = stack.pop() {
            if order.len() > n {
                return None; // a cycle
            }
            order.push(i);
            if t.feature[i] >= 0 {
                let (l, r, m) = (t.left[i], t.right[i], t.missing[i]);
                if l >= n || r >= n || (m != l && m != r) || l == i || r == i {
                    return None;
                }
                depth[l] = depth[i] + 1;
                depth[r] = depth[i] + 1;
                stack.push(l);
                stack.push(r);
            }
        }
        // Each node's mean: its children's, weighted by their covers (shap's
        // `compute_expectations`); the root's is the tree's expected value.
        let mut mean = vec![0.0; n * dim];
        for &i in order.iter().rev() {
            if t.feature[i] >= 0 {
                let (l, r) = (t.left[i], t.right[i]);
                let (cl, cr) = (t.cover[l], t.cover[r]);
                t.cover[i] = cl + cr;
                for d in 0..dim {
                    mean[i * dim + d] =
                        (cl * mean[l * dim + d] + cr * mean[r * dim + d]) / (cl + cr);
                }
            } else {
                mean[i * dim..(i + 1) * dim].copy_from_slice(t.leaf(i));
            }
            if t.cover[i].is_nan() || t.cover[i] <= 0.0 {
                return None;
            }
        }
        t.expected = mean[..dim].to_vec();
        t.tests = t.distinct_tests();
        t.depth = order.iter().map(|&i| depth[i]).max().unwrap_or(0);
        // Deeper than the reciprocal table reaches: explained another way.
        (t.depth <= MAX_DEPTH).then_some(t)
    }

    /// The tree with category splits: at each (node, codes), a code goes left when it is
    /// one of the codes (right otherwise), and any other value takes the missing branch.
    /// `None` if a node is not a split of the tree.
    pub fn with_category_splits<'a>(
        mut self,
        splits: impl IntoIterator<Item = (usize, &'a CodeSet)>,
    ) -> Option<ShapTree> {
        for (i, set) in splits {
            if self.feature.get(i).is_none_or(|&f| f < 0) {
                return None;
            }
            if self.sets.is_empty() {
                self.sets = vec![None; self.feature.len()];
            }
            self.sets[i] = Some(*set);
        }
        self.tests = self.distinct_tests();
        Some(self)
    }

    /// The cover-weighted mean of the leaves' values: what the tree predicts when no
    /// feature is known.
    pub fn expected(&self) -> &[f64] {
        &self.expected
    }

    /// Whether the tree has no more distinct tests than levels, as a symmetric tree: its
    /// rows then fall in at most `2^depth` groups (bar missing values) that share their
    /// values, which explains them about as fast as per-leaf tables, without their
    /// memory (`2^depth` numbers per leaf). Trees grown node by node test more
    /// thresholds than they have levels; tables serve them better.
    pub fn shares_like_tables(&self) -> bool {
        self.tests.as_ref().is_some_and(|t| t.len() <= self.depth)
    }

    /// Steps from the root to the deepest leaf.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Explain with per-leaf tables from now on (`shap_tables.rs`): worth it when a tree
    /// explains more rows than about half its `2^depth`. Returns the numbers it holds.
    pub fn use_table(&mut self) -> usize {
        let table = ShapTable::new(self);
        let len = table.numbers();
        self.table = Some(table);
        len
    }

    /// The distinct tests of the splits (the first split making each), if at most
    /// `SHARED_TESTS`.
    fn distinct_tests(&self) -> Option<Vec<usize>> {
        let same = |a: usize, b: usize| {
            self.feature[a] == self.feature[b]
                && self.threshold[a].to_bits() == self.threshold[b].to_bits()
                && self.set(a) == self.set(b)
        };
        let mut tests: Vec<usize> = Vec::new();
        for i in 0..self.feature.len() {
            if self.feature[i] < 0 || tests.iter().any(|&j| same(i, j)) {
                continue;
            }
            if tests.len() == SHARED_TESTS {
                return None;
            }
            tests.push(i);
        }
        Some(tests)
    }

    fn set(&self, i: usize) -> Option<&CodeSet> {
        self.sets.get(i).and_then(Option::as_ref)
    }

    /// Which side of each distinct test `x` takes (missing, left or right, two bits
    /// each): every split's child follows from it, so equal keys mean equal SHAP values.
    fn key(&self, tests: &[usize], x: &[f64]) -> u64 {
        tests.iter().enumerate().fold(0u64, |key, (j, &i)| {
            key | (self.side(i, x) as u64) << (2 * j)
        })
    }

    /// The side `x` takes at split `i`: 0 for a missing value (at a category split, any
    /// value that is not a code), 1 left, 2 right.
    fn side(&self, i: usize, x: &[f64]) -> usize {
        let v = x[self.feature[i] as usize];
        if v.is_nan() {
            return 0;
        }
        let left = match self.set(i) {
            Some(_) if !CodeSet::is_code(v) => return 0,
            Some(set) => set.contains(v),
            None => match self.rule {
                Rule::LeftIfLessEq => v <= self.threshold[i],
                Rule::LeftIfLess => v < self.threshold[i],
            },
        };
        if left {
            1
        } else {
            2
        }
    }

    pub(super) fn leaf(&self, i: usize) -> &[f64] {
        &self.value[i * self.dim..(i + 1) * self.dim]
    }

    /// The child row `x` goes to at split `i`.
    pub(super) fn child(&self, i: usize, x: &[f64]) -> usize {
        match self.side(i, x) {
            0 => self.missing[i],
            1 => self.left[i],
            _ => self.right[i],
        }
    }

    /// What the tree predicts for `x`.
    pub fn predict(&self, x: &[f64]) -> &[f64] {
        let mut i = 0;
        while self.feature[i] >= 0 {
            i = self.child(i, x);
        }
        self.leaf(i)
    }

    /// Add this tree's SHAP values for each row of `xs` to its entry of `phis`: from the
    /// tree's table if it has one, else once per group of rows that take the same side
    /// of every test (few tests), else row by row.
    pub fn add_shap_rows(&self, xs: &[Vec<f64>], phis: &mut [Vec<f64>], scratch: &mut Scratch) {
        match (&self.table, &self.tests) {
            (Some(table), _) => table.add_shap(self, xs, phis, &mut scratch.rows),
            (None, Some(tests)) if xs.len() > 1 => self.add_shap_shared(tests, xs, phis, scratch),
            (None, _) => {
                for (x, phi) in xs.iter().zip(phis) {
                    self.add_shap(x, phi, scratch);
                }
            }
        }
    }

    /// Algorithm 2 once per key (`key`): its additions are recorded the first time a key
    /// comes, and replayed in the same order onto each row with that key, so every row
    /// gets exactly the numbers `add_shap` would give it. A symmetric tree of depth 8
    /// has at most 2^8 keys without missing values, however many rows it explains.
    fn add_shap_shared(
        &self,
        tests: &[usize],
        xs: &[Vec<f64>],
        phis: &mut [Vec<f64>],
        scratch: &mut Scratch,
    ) {
        let Scratch { path, shared, .. } = scratch;
        let (seen, ranges, adds) = shared;
        seen.clear();
        ranges.clear();
        adds.clear();
        for (x, phi) in xs.iter().zip(phis) {
            let next = ranges.len();
            let group = *seen.entry(self.key(tests, x)).or_insert(next);
            if group == next {
                let start = adds.len();
                self.walk(x, Out::Record(adds), path);
                ranges.push((start, adds.len()));
            }
            let (a, b) = ranges[group];
            for &(i, c) in &adds[a..b] {
                phi[i as usize] += c;
            }
        }
    }

    /// Add this tree's SHAP values for row `x` to `phi` (`features × dim`, feature-major).
    /// `scratch` is reused between calls.
    pub fn add_shap(&self, x: &[f64], phi: &mut [f64], scratch: &mut Scratch) {
        self.walk(x, Out::Add(phi), &mut scratch.path);
    }

    fn walk(&self, x: &[f64], out: Out, path: &mut Vec<PathElement>) {
        let need = (self.depth + 2) * (self.depth + 3) / 2 + 2;
        if path.len() < need {
            path.resize(need, PathElement::default());
        }
        let mut walk = Walk {
            tree: self,
            x,
            out,
            path,
        };
        walk.recurse(0, 0, 0, 1.0, 1.0, -1);
    }
}

/// Where a walk's leaf contributions go: added to a row's values, or recorded as
/// (index, amount) to be added later, in the same order.
enum Out<'a> {
    Add(&'a mut [f64]),
    Record(&'a mut Vec<(u32, f64)>),
}

/// Reusable memory for the unique paths of one row's walk.
#[derive(Default)]
pub struct Scratch {
    path: Vec<PathElement>,
    /// For tables: each row's child at each split, and each row's pattern.
    rows: (Vec<u32>, Vec<usize>),
    /// For shared values: each key's group, each group's range of additions, and the
    /// additions.
    shared: SharedScratch,
}

type SharedScratch = (
    std::collections::HashMap<u64, usize>,
    Vec<(usize, usize)>,
    Vec<(u32, f64)>,
);

#[derive(Debug, Clone, Copy, Default)]
pub(super) struct PathElement {
    feature: i64,
    zero_fraction: f64,
    one_fraction: f64,
    pweight: f64,
}

struct Walk<'a> {
    tree: &'a ShapTree,
    x: &'a [f64],
    out: Out<'a>,
    /// Every node on the current branch has its own segment of the unique path, right
    /// after its parent's (as in shap's `tree_shap_recursive`).
    path: &'a mut [PathElement],
}

impl Walk<'_> {
    fn recurse(
        &mut self,
        node: usize,
        parent: usize,
        depth: usize,
        zero_fraction: f64,
        one_fraction: f64,
        feature: i64,
    ) {
        let t = self.tree;
        let at = parent + depth + 1;
        self.path.copy_within(parent..parent + depth + 1, at);
        let seg = &mut self.path[at..];
        let mut unique_depth = depth;
        extend(seg, unique_depth, zero_fraction, one_fraction, feature);
        if t.feature[node] < 0 {
            let leaf = t.leaf(node);
            for i in 1..=unique_depth {
                let w = unwound_sum(seg, unique_depth, i);
                let el = seg[i];
                let c = w * (el.one_fraction - el.zero_fraction);
                let f = el.feature as usize * t.dim;
                for (d, v) in leaf.iter().enumerate() {
                    match &mut self.out {
                        Out::Add(phi) => phi[f + d] += c * v,
                        Out::Record(adds) => adds.push(((f + d) as u32, c * v)),
                    }
                }
            }
            return;
        }
        let hot = t.child(node, self.x);
        let cold = if hot == t.left[node] {
            t.right[node]
        } else {
            t.left[node]
        };
        let w = t.cover[node];
        let (hot_zero, cold_zero) = (t.cover[hot] / w, t.cover[cold] / w);
        let split = t.feature[node];
        let (mut in_zero, mut in_one) = (1.0, 1.0);
        // A feature split on before on this branch: undo that split so it counts once.
        if let Some(k) = (1..=unique_depth).find(|&k| seg[k].feature == split) {
            in_zero = seg[k].zero_fraction;
            in_one = seg[k].one_fraction;
            unwind(seg, unique_depth, k);
            unique_depth -= 1;
        }
        self.recurse(hot, at, unique_depth + 1, hot_zero * in_zero, in_one, split);
        self.recurse(cold, at, unique_depth + 1, cold_zero * in_zero, 0.0, split);
    }
}

// The three path operations of Algorithm 2, with each division by a loop-invariant
// quantity done once (a multiplication by its reciprocal in the loop): the same values to
// rounding, about twice as fast.

pub(super) fn extend(path: &mut [PathElement], d: usize, zero: f64, one: f64, feature: i64) {
    path[d] = PathElement {
        feature,
        zero_fraction: zero,
        one_fraction: one,
        pweight: if d == 0 { 1.0 } else { 0.0 },
    };
    let inv = 1.0 / (d as f64 + 1.0);
    let df = d as f64;
    for i in (0..d).rev() {
        let w = path[i].pweight * inv;
        path[i + 1].pweight += one * w * (i as f64 + 1.0);
        path[i].pweight = zero * w * (df - i as f64);
    }
}

fn unwind(path: &mut [PathElement], d: usize, k: usize) {
    let one = path[k].one_fraction;
    let zero = path[k].zero_fraction;
    let df = d as f64;
    let inv_d1 = 1.0 / (df + 1.0);
    let mut next_one = path[d].pweight;
    if one != 0.0 {
        let inv_one = 1.0 / one;
        for i in (0..d).rev() {
            let tmp = path[i].pweight;
            path[i].pweight = next_one * (df + 1.0) * inv_one / (i as f64 + 1.0);
            next_one = tmp - path[i].pweight * zero * (df - i as f64) * inv_d1;
        }
    } else {
        let inv_zero = 1.0 / zero;
        for i in (0..d).rev() {
            path[i].pweight = path[i].pweight * (df + 1.0) * inv_zero / (df - i as f64);
        }
    }
    for i in k..d {
        path[i].feature = path[i + 1].feature;
        path[i].zero_fraction = path[i + 1].zero_fraction;
        path[i].one_fraction = path[i + 1].one_fraction;
    }
}

pub(super) fn unwound_sum(path: &[PathElement], d: usize, k: usize) -> f64 {
    let one = path[k].one_fraction;
    let zero = path[k].zero_fraction;
    let df = d as f64;
    let mut total = 0.0;
    if one != 0.0 {
        let mut next_one = path[d].pweight;
        let scale = (df + 1.0) / one;
        let zero_d = zero / (df + 1.0);
        // Iterators rather than indices: no bounds checks in the hot loop.
        for (i, (el, r)) in path[..d].iter().zip(&RECIPROCAL[1..=d]).enumerate().rev() {
            let tmp = next_one * scale * r;
            total += tmp;
            next_one = el.pweight - tmp * zero_d * (df - i as f64);
        }
    } else if zero != 0.0 {
        let scale = (df + 1.0) / zero;
        for (el, r) in path[..d].iter().zip(RECIPROCAL[1..=d].iter().rev()) {
            total += el.pweight * scale * r;
        }
    }
    total
}

/// The deepest tree explained (deeper ones are explained by sampling).
pub const MAX_DEPTH: usize = 128;

/// 1/n for the depths a path can reach.
static RECIPROCAL: [f64; MAX_DEPTH + 2] = {
    let mut r = [0.0; MAX_DEPTH + 2];
    let mut n = 1;
    while n < MAX_DEPTH + 2 {
        r[n] = 1.0 / n as f64;
        n += 1;
    }
    r
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::Rng;

    /// Arrays of a tree being grown.
    #[derive(Default)]
    struct Grown {
        feature: Vec<i64>,
        threshold: Vec<f64>,
        left: Vec<usize>,
        right: Vec<usize>,
        cover: Vec<f64>,
        value: Vec<f64>,
    }

    fn grow(g: &mut Grown, rng: &mut Rng, d: usize, p: usize, dim: usize) -> usize {
        let i = g.feature.len();
        g.feature.push(-1);
        g.threshold.push(0.0);
        g.left.push(0);
        g.right.push(0);
        g.cover.push(1.0 + (rng.next_f64() * 20.0).floor());
        g.value.extend((0..dim).map(|_| rng.next_f64() * 2.0 - 1.0));
        if d > 0 && rng.next_f64() < 0.85 {
            g.feature[i] = rng.below(p) as i64;
            g.threshold[i] = (rng.next_f64() * 4.0).floor() / 4.0;
            g.left[i] = grow(g, rng, d - 1, p, dim);
            g.right[i] = grow(g, rng, d - 1, p, dim);
        }
        i
    }

    /// A random tree of depth at most `depth` over `p` features (features repeat on a path).
    fn random_tree(rng: &mut Rng, depth: usize, p: usize, dim: usize, rule: Rule) -> ShapTree {
        let mut g = Grown::default();
        grow(&mut g, rng, depth, p, dim);
        let missing: Vec<usize> = g
            .left
            .iter()
            .zip(&g.right)
            .map(|(l, r)| if rng.next_f64() < 0.5 { *l } else { *r })
            .collect();
        ShapTree::new(
            g.feature,
            g.threshold,
            g.left,
            g.right,
            missing,
            g.cover,
            g.value,
            dim,
            rule,
        )
        .unwrap()
    }

    /// The tree's value for coalition `s`: follow x on features in `s`, else average the
    /// children by cover (the path-dependent definition).
    fn v(t: &ShapTree, x: &[f64], s: usize, node: usize) -> Vec<f64> {
        if t.feature[node] < 0 {
            return t.leaf(node).to_vec();
        }
        let f = t.feature[node] as usize;
        if s >> f & 1 == 1 {
            return v(t, x, s, t.child(node, x));
        }
        let (l, r) = (t.left[node], t.right[node]);
        let (vl, vr) = (v(t, x, s, l), v(t, x, s, r));
        let w = t.cover[node];
        vl.iter()
            .zip(&vr)
            .map(|(a, b)| (t.cover[l] * a + t.cover[r] * b) / w)
            .collect()
    }

    fn brute_force(t: &ShapTree, x: &[f64], p: usize) -> Vec<f64> {
        let dim = t.dim;
        let mut phi = vec![0.0; p * dim];
        let fact = |n: usize| (1..=n).map(|i| i as f64).product::<f64>();
        for s in 0..1usize << p {
            let size = s.count_ones() as usize;
            let vs = v(t, x, s, 0);
            for i in 0..p {
                if s >> i & 1 == 0 {
                    let w = fact(size) * fact(p - size - 1) / fact(p);
                    let vi = v(t, x, s | 1 << i, 0);
                    for d in 0..dim {
                        phi[i * dim + d] += w * (vi[d] - vs[d]);
                    }
                }
            }
        }
        phi
    }

    /// Both rules, case by case.
    fn rule_of(case: usize) -> Rule {
        if case.is_multiple_of(2) {
            Rule::LeftIfLessEq
        } else {
            Rule::LeftIfLess
        }
    }

    #[test]
    fn tree_shap_equals_the_shapley_values_of_the_path_dependent_game() {
        let mut rng = Rng::new(7);
        let p = 4;
        for case in 0..40 {
            let rule = rule_of(case);
            let dim = 1 + case % 3;
            let t = random_tree(&mut rng, 6, p, dim, rule);
            let mut x: Vec<f64> = (0..p)
                .map(|_| (rng.next_f64() * 4.0).floor() / 4.0)
                .collect();
            if case % 5 == 0 {
                x[1] = f64::NAN;
            }
            let mut phi = vec![0.0; p * dim];
            t.add_shap(&x, &mut phi, &mut Scratch::default());
            let want = brute_force(&t, &x, p);
            for (a, b) in phi.iter().zip(&want) {
                assert!((a - b).abs() < 1e-12, "case {case}: {phi:?} vs {want:?}");
            }
            // The same values from per-leaf tables, row after row through one scratch.
            let mut tabled = t.clone();
            assert_eq!(tabled.use_table(), ShapTable::size(&t).unwrap());
            let mut scratch = Scratch::default();
            for rows in [1, 3] {
                let xs = vec![x.clone(); rows];
                let mut phis = vec![vec![0.0; p * dim]; rows];
                tabled.add_shap_rows(&xs, &mut phis, &mut scratch);
                for phi2 in &phis {
                    for (a, b) in phi2.iter().zip(&want) {
                        assert!(
                            (a - b).abs() < 1e-12,
                            "case {case}, tables: {phi2:?} vs {want:?}"
                        );
                    }
                }
            }
            // Additivity: expected + Σ φ = prediction, per output.
            for d in 0..dim {
                let sum: f64 = (0..p).map(|f| phi[f * dim + d]).sum();
                let pred = t.predict(&x)[d];
                assert!((t.expected()[d] + sum - pred).abs() < 1e-12, "case {case}");
            }
        }
    }

    /// Rows that take the same side of every test share one walk, whose additions are
    /// replayed: each row gets exactly (to the bit) what explaining it alone gives, with
    /// rows repeated, rows with missing values, and starting from non-zero sums. A tree
    /// with too many distinct tests explains row by row.
    #[test]
    fn rows_with_the_same_sides_share_their_values_exactly() {
        let mut rng = Rng::new(11);
        let p = 4;
        // Trees explained row by row, and with shared values.
        let mut ways = [0, 0];
        for case in 0..30 {
            let rule = rule_of(case);
            let dim = 1 + case % 2;
            let mut t = random_tree(&mut rng, 7, p, dim, rule);
            if case % 3 == 0 {
                // Thresholds all different: more tests than a key holds.
                for th in t.threshold.iter_mut() {
                    *th = rng.next_f64();
                }
                t.tests = t.distinct_tests();
            }
            let shared = t.tests.is_some();
            ways[shared as usize] += 1;
            let xs: Vec<Vec<f64>> = (0..60)
                .map(|_| {
                    (0..p)
                        .map(|_| match rng.below(6) {
                            0 => f64::NAN,
                            _ => (rng.next_f64() * 4.0).floor() / 4.0,
                        })
                        .collect()
                })
                .collect();
            let start: Vec<Vec<f64>> = xs
                .iter()
                .map(|_| (0..p * dim).map(|_| rng.next_f64()).collect())
                .collect();
            let mut phis = start.clone();
            t.add_shap_rows(&xs, &mut phis, &mut Scratch::default());
            for ((x, phi), mut want) in xs.iter().zip(&phis).zip(start) {
                t.add_shap(x, &mut want, &mut Scratch::default());
                let bits = |v: &[f64]| v.iter().map(|a| a.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(phi), bits(&want), "case {case} (shared: {shared})");
            }
        }
        assert!(ways[0] > 0 && ways[1] > 0, "{ways:?}");
    }

    #[test]
    fn a_tree_without_covers_or_with_a_bad_child_is_refused() {
        let t = |cover: Vec<f64>, right: usize| {
            ShapTree::new(
                vec![0, -1, -1],
                vec![0.5, 0.0, 0.0],
                vec![1, 0, 0],
                vec![right, 0, 0],
                vec![1, 0, 0],
                cover,
                vec![0.0, 1.0, 2.0],
                1,
                Rule::LeftIfLessEq,
            )
        };
        assert!(t(vec![0.0, 0.0, 0.0], 2).is_none());
        assert!(t(vec![2.0, 1.0, 1.0], 7).is_none());
        let ok = t(vec![0.0, 1.0, 3.0], 2).unwrap();
        assert_eq!(ok.cover[0], 4.0);
        assert_eq!(ok.expected(), &[1.75]);
    }
}
