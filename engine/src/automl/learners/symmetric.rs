//! Gradient boosting with symmetric (oblivious) trees, the tree shape CatBoost grows by
//! default: every node of a level tests the same column against the same border, so a
//! tree of depth d is d tests and 2^d leaves. Such trees are strongly regularised (a
//! level's split must help every leaf at once) and cheap to grow: one histogram pass per
//! level. Trained here; stored as forust prediction trees, so predicting, TreeSHAP and
//! `model.json` are the forust booster's (`gbdt.rs`, `booster_format.rs`).
//!
//! The recipe, which the notebook's `glassbox_helpers.SymmetricGbdt` follows step for step
//! (every sum in row order, so the same numbers):
//! - **borders** per column from its non-missing training values: all distinct values but
//!   the largest when there are at most `MAX_BINS`, else the values at ranks
//!   `n·k / MAX_BINS` (k = 1..MAX_BINS−1) of the sorted values, distinct and below the
//!   largest;
//! - **bins**: 0 for a missing value, else 1 + the number of borders below the value;
//! - **category columns** (the columns of category codes it is told of, when every value
//!   is an integer code from −1 to 254 and there are 1 to `MAX_CATEGORIES` distinct ones):
//!   the borders are all the distinct training codes, a code's bin is 1 + its place among
//!   them, a code not among them (unseen) takes the bin after the last, and a missing
//!   value or any other non-code bin 0;
//! - **base score**: the weighted mean of the target (regression) or its log-odds (two
//!   classes; one-vs-rest boosters for more, as the forust booster);
//! - **each round**: gradients `w(F − y)` and hessians `w` (squared loss), or `w(p − y)`
//!   and `w·p(1 − p)` with `p = 1 / (1 + e^−F)` (log loss);
//! - **each tree's category order**: per category column, every bin (missing and unseen
//!   too, which have no rows: their key is 0, between the categories the model under- and
//!   over-predicts) ordered by `G / (H + CATEGORY_SMOOTHING)` of its rows (sums in row
//!   order), ascending, ties by bin. Within the tree the column's bins are read in that
//!   order (their "rank"), as LightGBM orders a node's categories by their gradients;
//! - **each level**: the split "bin ≤ b goes left" (for a category column, "rank ≤ b")
//!   scores Σ over the level's leaves, in order, of `GL²/(HL + λ) + GR²/(HR + λ)`; the
//!   first best, columns then bins in order, wins. A leaf's value is
//!   `f32(−lr · G / (H + λ))` (forust keeps leaf weights as `f32`);
//! - **histograms** per (leaf, bin) sum gradients and hessians in row order. From the
//!   second level on, where a level's cells are few beside its rows (`SUBTRACT_RATIO`),
//!   only the rows on the smaller side of the last split (ties: the left) are summed;
//!   each sibling's sums, accumulated over the bins, are its parent's minus that side's
//!   (histogram subtraction: half the rows or fewer);
//! - **early stopping** on the validation fold: 50 rounds without a lower loss (summed
//!   squared error or log loss); the rounds after the best are dropped.

use std::sync::OnceLock;

use forust_ml::GradientBooster;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::booster_format::{booster_from_trees, BoosterTree};
use super::category_splits::{check, CategorySplits, CodeSet};
use super::flat_booster::FlatBooster;
use super::gbdt::predict_boosters;
use super::params::SymmetricParams;
use super::symmetric_bins::{encode, Binned};
use super::{check_time, Deadline, FitError, Learner, Task, TrainData};
use crate::automl::matrix::Matrix;
use crate::automl::metrics::Predictions;

/// Rounds without a lower validation loss before training stops.
const PATIENCE: usize = 50;
/// Rounds between two looks at the deadline.
const CHECK_EVERY: usize = 16;

#[derive(Serialize, Deserialize)]
#[serde(try_from = "SymmetricFile")]
pub struct SymmetricModel {
    pub task: Task,
    pub params: SymmetricParams,
    /// One booster (binary, regression) or one per class (`None` for a class absent from
    /// the training rows), as forust prediction trees.
    #[serde(with = "super::booster_format::gbdt_boosters")]
    pub boosters: Vec<Option<GradientBooster>>,
    /// Per booster, its category splits (`category_splits.rs`); empty when it has none,
    /// and in files written before them.
    #[serde(
        default,
        skip_serializing_if = "no_category_splits",
        with = "super::category_splits::per_booster"
    )]
    pub category_splits: Vec<CategorySplits>,
    pub n_features: usize,
    /// Per column: the split gains summed over every tree.
    #[serde(default)]
    pub importance: Vec<f64>,
    #[serde(skip)]
    flat: OnceLock<Vec<Option<FlatBooster>>>,
}

fn no_category_splits(c: &[CategorySplits]) -> bool {
    c.iter().all(CategorySplits::is_empty)
}

/// A `SymmetricModel` as read, before its category splits are checked against its trees.
#[derive(Deserialize)]
struct SymmetricFile {
    task: Task,
    params: SymmetricParams,
    #[serde(with = "super::booster_format::gbdt_boosters")]
    boosters: Vec<Option<GradientBooster>>,
    #[serde(default, with = "super::category_splits::per_booster")]
    category_splits: Vec<CategorySplits>,
    n_features: usize,
    #[serde(default)]
    importance: Vec<f64>,
}

impl TryFrom<SymmetricFile> for SymmetricModel {
    type Error = String;

    fn try_from(f: SymmetricFile) -> Result<SymmetricModel, String> {
        if !f.category_splits.is_empty() && f.category_splits.len() != f.boosters.len() {
            return Err(format!(
                "the model has {} boosters but category splits for {}",
                f.boosters.len(),
                f.category_splits.len()
            ));
        }
        let none = CategorySplits::default();
        for (i, b) in f.boosters.iter().enumerate() {
            let c = f.category_splits.get(i).unwrap_or(&none);
            match b {
                Some(b) => check(b, c).map_err(|e| format!("booster {i}: {e}"))?,
                None if !c.is_empty() => {
                    return Err(format!("booster {i} is absent but has category splits"))
                }
                None => {}
            }
        }
        Ok(SymmetricModel {
            task: f.task,
            params: f.params,
            boosters: f.boosters,
            category_splits: f.category_splits,
            n_features: f.n_features,
            importance: f.importance,
            flat: OnceLock::new(),
        })
    }
}

impl std::fmt::Debug for SymmetricModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SymmetricModel")
            .field("task", &self.task)
            .field("params", &self.params)
            .field("boosters", &self.boosters.len())
            .finish()
    }
}

/// The cover a stored leaf gets at least. A level's split may leave a leaf without rows
/// (its value 0), or a leaf's hessians may round to 0 as `f32`; TreeSHAP divides by covers
/// (and declines a tree with a zero one, leaving the candidate to the far slower
/// model-agnostic methods). f32's smallest normal number weighs nothing beside any real
/// cover, so the expected values are unchanged.
const EMPTY_COVER: f64 = f32::MIN_POSITIVE as f64;

/// One tree: its level splits (column, bin; for a category column, rank), the codes each
/// category split sends left, and its leaves' values and hessian sums.
struct Tree {
    splits: Vec<(usize, u8)>,
    /// Per split of a category column: the codes it sends left, and whether missing
    /// values (and non-codes) go left.
    sets: Vec<Option<(CodeSet, bool)>>,
    values: Vec<f64>,
    hessians: Vec<f64>,
}

impl Tree {
    /// As forust nodes, breadth first, each split's children after it (left first, where
    /// missing values go too). In the complete tree node j's children are 2j+1 and 2j+2 and
    /// the leaves follow in the order of their codes; a subtree whose leaves all hold the
    /// same value (most often 0, where a level's split left it without rows) is stored as
    /// one leaf of that value and the subtree's cover. Every row gets the same number
    /// through it and its splits carry no SHAP value, so predictions and explanations are
    /// unchanged, while a deep tree on few rows stores a fraction of its 2^(d+1) − 1 nodes
    /// (on penguins, 72% of a depth-6 booster's nodes were under such subtrees).
    /// A category split is stored with the split value NaN and its missing branch where
    /// the tree ranked missing values, and returned with its node and the codes it sends
    /// left (`category_splits.rs`).
    fn to_booster_tree(&self, bins: &Binned) -> (BoosterTree, Vec<(u32, CodeSet)>) {
        let inner = (1usize << self.splits.len()) - 1;
        // Each node's hessian sum (its cover, for TreeSHAP): the leaves', then their sums.
        let mut cover = vec![0.0; inner];
        cover.extend(self.hessians.iter().map(|&h| h.max(EMPTY_COVER)));
        // The value every leaf under a node holds, where they all hold the same one (bits).
        let mut uniform: Vec<Option<u64>> = vec![None; inner];
        uniform.extend(self.values.iter().map(|v| Some(v.to_bits())));
        for j in (0..inner).rev() {
            cover[j] = cover[2 * j + 1] + cover[2 * j + 2];
            uniform[j] = uniform[2 * j + 1].filter(|&a| uniform[2 * j + 2] == Some(a));
        }
        let mut t = BoosterTree::with_capacity(cover.len());
        let mut sets = Vec::new();
        let mut queue = std::collections::VecDeque::from([0usize]);
        // Nodes are stored in the order they leave the queue, so the k-th queued is node k.
        let mut queued = 1u32;
        while let Some(j) = queue.pop_front() {
            if let Some(bits) = uniform[j] {
                t.push_leaf(f64::from_bits(bits), cover[j]);
                continue;
            }
            // Node j is on level ⌊log2(j + 1)⌋, whose split every node of the level makes.
            let level = (j + 1).ilog2() as usize;
            let (col, b) = self.splits[level];
            let (left, right) = (queued, queued + 1);
            queued += 2;
            let (value, missing) = match self.sets[level] {
                Some((set, missing_left)) => {
                    sets.push((t.len() as u32, set));
                    (f64::NAN, if missing_left { left } else { right })
                }
                None => (bins.threshold(col, b), left),
            };
            t.push_split(col as i64, value, [left, right, missing], cover[j]);
            queue.extend([2 * j + 1, 2 * j + 2]);
        }
        (t, sets)
    }
}

/// The loss a booster minimises.
#[derive(Clone, Copy, PartialEq)]
enum Loss {
    Squared,
    Log,
}

impl Loss {
    fn gradients(self, f: &[f64], y: &[f64], w: &[f64], gh: &mut [[f64; 2]]) {
        for (i, out) in gh.iter_mut().enumerate() {
            *out = match self {
                Loss::Squared => [w[i] * (f[i] - y[i]), w[i]],
                Loss::Log => {
                    let p = 1.0 / (1.0 + (-f[i]).exp());
                    [w[i] * (p - y[i]), w[i] * p * (1.0 - p)]
                }
            };
        }
    }

    /// The validation loss: summed squared errors, or summed log loss.
    fn total(self, f: &[f64], y: &[f64]) -> f64 {
        let mut s = 0.0;
        for (&f, &y) in f.iter().zip(y) {
            s += match self {
                Loss::Squared => (f - y) * (f - y),
                Loss::Log => {
                    let p = (1.0 / (1.0 + (-f).exp())).clamp(1e-15, 1.0 - 1e-15);
                    y * p.ln() + (1.0 - y) * (1.0 - p).ln()
                }
            };
        }
        match self {
            Loss::Squared => s,
            Loss::Log => -s,
        }
    }
}

/// A column's best split for a level: its score, its bin (bins ≤ it go left), and the
/// score of not splitting (Σ over leaves of `G²/(H + λ)`), for the split's gain.
struct Split {
    score: f64,
    bin: u8,
    parent: f64,
}

/// Histogram subtraction pays where a level's histograms are small beside its rows: it
/// halves the rows summed but adds a pass over the cells (leaf × bin) and keeps them
/// from level to level, out of the cache. So a level subtracts when its cells, over every
/// column, are at most the rows × columns / `SUBTRACT_RATIO`. Measured on one symmetric
/// candidate (5 folds, depth 6): adult (31k rows per fold, 14 columns) 9.1 s → 6.0 s;
/// california (16.5k rows, 8 of its 9 columns with 255 bins) 6.1 s → 5.8 s, where
/// subtracting at every level took 6.6 s, and a ratio of 4, 6.6 s too.
const SUBTRACT_RATIO: usize = 16;

/// The rows a level's histograms are built from.
enum Rows<'a> {
    /// Every row, by its leaf (the first level, or one where subtraction does not pay).
    All(&'a [u32]),
    /// Histogram subtraction: only the rows on `side` (0 left, 1 right) of the last
    /// split, the smaller side; each leaf pair's other half is its parent's cumulative
    /// histogram (the level before, `parent`) minus this one's.
    Side {
        rows: &'a [u32],
        leaf: &'a [u32],
        side: usize,
        parent: &'a [[f64; 2]],
    },
}

/// One column's cumulative histogram for a level's `leaves`: per (leaf, bin), leaf-major,
/// the gradient and hessian sums of the leaf's rows in bins ≤ bin (the left side of the
/// split at that bin). The sums per bin are added in row order, then accumulated over
/// the bins. `gh` holds each row's gradient and hessian side by side (one cache line for
/// both).
fn histogram(
    codes: &[u8],
    bins: usize,
    leaves: usize,
    rows: &Rows,
    gh: &[[f64; 2]],
    hist: &mut Vec<[f64; 2]>,
) {
    hist.clear();
    hist.resize(leaves * bins, [0.0; 2]);
    let accumulate = |row: &mut [[f64; 2]]| {
        for b in 1..bins {
            row[b][0] += row[b - 1][0];
            row[b][1] += row[b - 1][1];
        }
    };
    match *rows {
        Rows::All(leaf) => {
            for ((&l, &c), &[g, h]) in leaf.iter().zip(codes).zip(gh) {
                let cell = &mut hist[l as usize * bins + c as usize];
                cell[0] += g;
                cell[1] += h;
            }
            hist.chunks_exact_mut(bins).for_each(accumulate);
        }
        Rows::Side {
            rows,
            leaf,
            side,
            parent,
        } => {
            // The chosen side's sums go straight into their leaves (2p + side) …
            for &i in rows {
                let i = i as usize;
                let cell = &mut hist[leaf[i] as usize * bins + codes[i] as usize];
                cell[0] += gh[i][0];
                cell[1] += gh[i][1];
            }
            // … and each sibling is the parent minus it.
            for (p, parent) in parent.chunks_exact(bins).enumerate() {
                let (done, other) = (2 * p + side, 2 * p + 1 - side);
                accumulate(&mut hist[done * bins..(done + 1) * bins]);
                for (b, &[pg, ph]) in parent.iter().enumerate() {
                    let [g, h] = hist[done * bins + b];
                    hist[other * bins + b] = [pg - g, ph - h];
                }
            }
        }
    }
}

/// The best split of one column for the level's leaves from its cumulative histogram,
/// the first best.
fn best_split(hist: &[[f64; 2]], bins: usize, l2: f64) -> Split {
    let mut score = vec![0.0; bins - 1];
    let mut parent = 0.0;
    for row in hist.chunks_exact(bins) {
        let [gt, ht] = row[bins - 1];
        parent += gt * gt / (ht + l2);
        for (s, &[gl, hl]) in score.iter_mut().zip(row.iter()) {
            let (gr, hr) = (gt - gl, ht - hl);
            *s += gl * gl / (hl + l2) + gr * gr / (hr + l2);
        }
    }
    let mut best = Split {
        score: f64::NEG_INFINITY,
        bin: 0,
        parent,
    };
    for (b, &s) in score.iter().enumerate() {
        if s > best.score {
            (best.score, best.bin) = (s, b as u8);
        }
    }
    best
}

/// Gradient and hessian sums per leaf, in row order.
fn per_leaf(leaf: &[u32], leaves: usize, gh: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut s = vec![[0.0; 2]; leaves];
    for (&l, &[g, h]) in leaf.iter().zip(gh) {
        s[l as usize][0] += g;
        s[l as usize][1] += h;
    }
    s
}

/// The data one booster learns from.
struct Boosting<'a> {
    bins: &'a Binned,
    eval: Option<(&'a [u8], usize)>,
    params: &'a SymmetricParams,
    deadline: Deadline<'a>,
}

impl Boosting<'_> {
    /// One booster for target `y` (and validation target `ey`), adding its split gains
    /// to `importance`.
    fn fit(
        &self,
        loss: Loss,
        y: &[f64],
        w: &[f64],
        ey: Option<&[f64]>,
        importance: &mut [f64],
    ) -> Result<(GradientBooster, CategorySplits), FitError> {
        let p = self.params;
        let (n, cols) = (self.bins.rows, self.bins.borders.len());
        let (mut wy, mut ws) = (0.0, 0.0);
        for (&y, &w) in y.iter().zip(w) {
            wy += w * y;
            ws += w;
        }
        let mean = wy / ws;
        let base = match loss {
            Loss::Squared => mean,
            Loss::Log => (mean / (1.0 - mean)).ln(),
        };
        let mut f = vec![base; n];
        let mut gh = vec![[0.0; 2]; n];
        let mut fe = self.eval.map(|(_, rows)| vec![base; rows]);
        let mut leaf = vec![0u32; n];
        // Per column, the histograms of the level being split and of the level before
        // (kept only where the next level subtracts).
        let (mut hists, mut parents) = (vec![Vec::new(); cols], vec![Vec::new(); cols]);
        let total_bins: usize = (0..cols).map(|c| self.bins.bins(c)).sum();
        // Whether a level of `leaves` leaves is narrow enough to subtract (`SUBTRACT_RATIO`).
        let pays = |leaves: usize| SUBTRACT_RATIO * leaves * total_bins <= n * cols;
        let mut trees: Vec<Tree> = Vec::new();
        let (mut best, mut best_round) = (f64::INFINITY, 0);
        for round in 0..p.iterations {
            if round % CHECK_EVERY == 0 {
                check_time(self.deadline, || {
                    format!(
                        "trained {round} of {} rounds before the deadline",
                        p.iterations
                    )
                })?;
            }
            loss.gradients(&f, y, w, &mut gh);
            // This tree's order of each category column's bins, and its codes as ranks.
            let ranked: Vec<Option<(Vec<u8>, Vec<u8>)>> = (0..cols)
                .into_par_iter()
                .map(|c| {
                    self.bins.category[c].then(|| {
                        let rank = self.bins.category_ranks(c, &gh);
                        let codes = self.bins.codes[c * n..(c + 1) * n].iter();
                        let ranked = codes.map(|&b| rank[b as usize]).collect();
                        (rank, ranked)
                    })
                })
                .collect();
            let codes_of = |c: usize| match &ranked[c] {
                Some((_, ranked)) => &ranked[..],
                None => &self.bins.codes[c * n..(c + 1) * n],
            };
            leaf.iter_mut().for_each(|l| *l = 0);
            let mut splits = Vec::with_capacity(p.depth);
            let mut sets = Vec::with_capacity(p.depth);
            for level in 0..p.depth {
                let leaves = 1usize << level;
                // Histogram subtraction from the second level on, where it pays
                // (`SUBTRACT_RATIO`): the smaller side of the last split (ties: the left)
                // is summed, its siblings subtracted.
                let subtract = level > 0 && pays(leaves);
                // This level's histograms are kept, per column, for the next level's
                // subtraction; otherwise each thread reuses one scratch histogram.
                let keep = level + 1 < p.depth && pays(2 * leaves);
                let side_rows: Option<(usize, Vec<u32>)> = subtract.then(|| {
                    let right = leaf.iter().filter(|&&l| l & 1 == 1).count();
                    let side = usize::from(right < n - right);
                    let rows = (0..n as u32)
                        .filter(|&i| (leaf[i as usize] & 1) as usize == side)
                        .collect();
                    (side, rows)
                });
                std::mem::swap(&mut hists, &mut parents);
                let per_col: Vec<Split> = hists
                    .par_iter_mut()
                    .zip(&parents)
                    .enumerate()
                    .map_init(Vec::new, |scratch, (c, (kept, parent))| {
                        let codes = codes_of(c);
                        let bins = self.bins.bins(c);
                        let rows = match &side_rows {
                            Some((side, rows)) => Rows::Side {
                                rows,
                                leaf: &leaf,
                                side: *side,
                                parent,
                            },
                            None => Rows::All(&leaf),
                        };
                        // (A kept buffer is not freed on the levels that skip it: freeing
                        // and reallocating it every round cost california 10%.)
                        let hist = if keep { kept } else { scratch };
                        histogram(codes, bins, leaves, &rows, &gh, hist);
                        best_split(hist, bins, p.l2_leaf_reg)
                    })
                    .collect();
                let mut chosen: Option<(usize, &Split)> = None;
                for (c, split) in per_col.iter().enumerate() {
                    if chosen.is_none_or(|(_, best)| split.score > best.score) {
                        chosen = Some((c, split));
                    }
                }
                let Some((
                    c,
                    &Split {
                        score,
                        bin: b,
                        parent,
                    },
                )) = chosen
                else {
                    break;
                };
                importance[c] += (score - parent).max(0.0);
                for (l, &code) in leaf.iter_mut().zip(codes_of(c)) {
                    *l = *l * 2 + u32::from(code > b);
                }
                splits.push((c, b));
                sets.push(
                    ranked[c]
                        .as_ref()
                        .map(|(rank, _)| self.bins.codes_left(c, rank, b)),
                );
            }
            let leaves = 1usize << splits.len();
            let sums = per_leaf(&leaf, leaves, &gh);
            let values: Vec<f64> = sums
                .iter()
                .map(|&[g, h]| (-p.learning_rate * g / (h + p.l2_leaf_reg)) as f32 as f64)
                .collect();
            for (fi, &l) in f.iter_mut().zip(&leaf) {
                *fi += values[l as usize];
            }
            let tree = Tree {
                splits,
                sets,
                values,
                hessians: sums.iter().map(|s| s[1]).collect(),
            };
            let mut stop = false;
            if let (Some((codes, rows)), Some(fe), Some(ey)) = (self.eval, fe.as_mut(), ey) {
                for (i, fi) in fe.iter_mut().enumerate() {
                    let mut l = 0usize;
                    for &(c, b) in &tree.splits {
                        let code = codes[c * rows + i];
                        let code = match &ranked[c] {
                            Some((rank, _)) => rank[code as usize],
                            None => code,
                        };
                        l = l * 2 + usize::from(code > b);
                    }
                    *fi += tree.values[l];
                }
                let m = loss.total(fe, ey);
                if m < best {
                    (best, best_round) = (m, round + 1);
                }
                stop = round + 1 - best_round >= PATIENCE;
            }
            trees.push(tree);
            if stop {
                break;
            }
        }
        if self.eval.is_some() && ey.is_some() {
            trees.truncate(best_round);
        }
        let mut stored = Vec::with_capacity(trees.len());
        let mut categories = CategorySplits::default();
        for (k, t) in trees.iter().enumerate() {
            let (tree, sets) = t.to_booster_tree(self.bins);
            stored.push(tree);
            categories
                .0
                .extend(sets.into_iter().map(|(node, set)| (k as u32, node, set)));
        }
        let booster = booster_from_trees(base, stored).map_err(FitError::Failed)?;
        Ok((booster, categories))
    }
}

impl SymmetricModel {
    pub fn new(task: Task, params: SymmetricParams) -> Self {
        SymmetricModel {
            task,
            params,
            boosters: vec![],
            category_splits: vec![],
            n_features: 0,
            importance: vec![],
            flat: OnceLock::new(),
        }
    }
}

impl Learner for SymmetricModel {
    fn fit(&mut self, d: &TrainData) -> Result<(), FitError> {
        if self.params.l2_leaf_reg.is_nan() || self.params.l2_leaf_reg <= 0.0 {
            return Err(FitError::Failed(format!(
                "l2_leaf_reg must be positive (got {})",
                self.params.l2_leaf_reg
            )));
        }
        self.n_features = d.x.cols;
        self.flat = OnceLock::new();
        let bins = Binned::of(d.x, d.categories);
        let eval_codes = d
            .eval
            .map(|(m, _)| encode(&bins.borders, &bins.category, m));
        let boosting = Boosting {
            bins: &bins,
            eval: eval_codes.as_deref().zip(d.eval.map(|(m, _)| m.rows)),
            params: &self.params,
            deadline: d.deadline,
        };
        let ey = d.eval.map(|e| e.1);
        let mut importance = vec![0.0; d.x.cols];
        let fitted: Vec<Option<(GradientBooster, CategorySplits)>> = match self.task {
            Task::Regression => vec![Some(boosting.fit(
                Loss::Squared,
                d.y,
                d.weights,
                ey,
                &mut importance,
            )?)],
            Task::Classification { n_classes: 2 } => {
                vec![Some(boosting.fit(
                    Loss::Log,
                    d.y,
                    d.weights,
                    ey,
                    &mut importance,
                )?)]
            }
            Task::Classification { n_classes } => (0..n_classes)
                .map(|c| {
                    let one = |v: &f64| f64::from(*v as usize == c);
                    let yc: Vec<f64> = d.y.iter().map(one).collect();
                    if !yc.contains(&1.0) {
                        return Ok(None);
                    }
                    let eyc: Option<Vec<f64>> = ey.map(|e| e.iter().map(one).collect());
                    boosting
                        .fit(Loss::Log, &yc, d.weights, eyc.as_deref(), &mut importance)
                        .map(Some)
                })
                .collect::<Result<_, _>>()?,
        };
        (self.boosters, self.category_splits) = fitted
            .into_iter()
            .map(|b| match b {
                Some((b, c)) => (Some(b), c),
                None => (None, CategorySplits::default()),
            })
            .unzip();
        if no_category_splits(&self.category_splits) {
            self.category_splits.clear();
        }
        self.importance = importance;
        Ok(())
    }

    fn predict(&self, m: &Matrix) -> Predictions {
        predict_boosters(
            self.task,
            &self.boosters,
            &self.category_splits,
            &self.flat,
            m,
        )
    }

    fn feature_importance(&self) -> Vec<f64> {
        let mut imp = self.importance.clone();
        imp.resize(self.n_features, 0.0);
        imp
    }
}

#[cfg(test)]
#[path = "symmetric_tests.rs"]
pub(crate) mod tests;
