//! The symmetric learner's binning (`symmetric.rs` states the recipe): each column's
//! borders and the bins of its values, category columns' bins, and each tree's order of a
//! category column's bins.

use rayon::prelude::*;

use super::category_splits::{all_codes, CodeSet};
use crate::automl::matrix::Matrix;

/// Bins of a column's values (plus one for missing values): its codes fit a byte.
pub(super) const MAX_BINS: usize = 255;
/// The most codes a category column may have (its bins, with missing and unseen values,
/// fit a byte).
const MAX_CATEGORIES: usize = 250;
/// Added to a category's hessian sum when a tree orders the categories by their mean
/// gradient, so that a rare one does not land at an end by chance (LightGBM's
/// `cat_smooth`).
const CATEGORY_SMOOTHING: f64 = 10.0;

/// The columns binned: borders per column and the codes, column-major.
pub(super) struct Binned {
    pub(super) borders: Vec<Vec<f64>>,
    /// Per column: whether it is a category column (its borders are its codes).
    pub(super) category: Vec<bool>,
    pub(super) codes: Vec<u8>,
    pub(super) rows: usize,
}

/// A column's borders (see the module's recipe).
fn borders(col: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = col.iter().copied().filter(|x| !x.is_nan()).collect();
    v.sort_by(f64::total_cmp);
    let mut distinct = v.clone();
    distinct.dedup();
    let Some(&top) = distinct.last() else {
        return Vec::new();
    };
    if distinct.len() <= MAX_BINS {
        distinct.pop();
        return distinct;
    }
    let n = v.len();
    let mut q: Vec<f64> = (1..MAX_BINS).map(|k| v[n * k / MAX_BINS]).collect();
    q.dedup();
    q.retain(|&x| x < top);
    q
}

/// A category column's borders: its distinct codes, ascending; `None` for a column that
/// is not all codes, or has none or more than `MAX_CATEGORIES`.
fn category_borders(col: &[f64]) -> Option<Vec<f64>> {
    if !all_codes(col) {
        return None;
    }
    let mut v: Vec<f64> = col.iter().copied().filter(|x| !x.is_nan()).collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    (!v.is_empty() && v.len() <= MAX_CATEGORIES).then_some(v)
}

pub(super) fn code(borders: &[f64], x: f64) -> u8 {
    if x.is_nan() {
        0
    } else {
        (1 + borders.partition_point(|&b| b < x)) as u8
    }
}

/// A category column's bin of `x`: 1 + its place among the column's `codes`; the bin
/// after the last for a code that is not one of them (unseen); 0 for a missing value or
/// any value that is not a code.
fn category_code(codes: &[f64], x: f64) -> u8 {
    if !CodeSet::is_code(x) {
        return 0;
    }
    let i = codes.partition_point(|&b| b < x);
    (1 + if codes.get(i) == Some(&x) {
        i
    } else {
        codes.len()
    }) as u8
}

/// `x`'s codes under `borders` (of category columns where `category`), column-major.
pub(super) fn encode(borders: &[Vec<f64>], category: &[bool], x: &Matrix) -> Vec<u8> {
    (0..x.cols)
        .into_par_iter()
        .flat_map_iter(|c| {
            let bin = if category[c] { category_code } else { code };
            x.col(c).iter().map(move |&v| bin(&borders[c], v))
        })
        .collect()
}

impl Binned {
    /// `x` binned, the columns in `categories` as category columns where they qualify.
    pub(super) fn of(x: &Matrix, categories: &[usize]) -> Binned {
        let (borders, category): (Vec<Vec<f64>>, Vec<bool>) = (0..x.cols)
            .into_par_iter()
            .map(|c| match categories.contains(&c) {
                true => match category_borders(x.col(c)) {
                    Some(codes) => (codes, true),
                    None => (borders(x.col(c)), false),
                },
                false => (borders(x.col(c)), false),
            })
            .unzip();
        let codes = encode(&borders, &category, x);
        Binned {
            borders,
            category,
            codes,
            rows: x.rows,
        }
    }

    pub(super) fn bins(&self, col: usize) -> usize {
        self.borders[col].len() + 2
    }

    /// The split value forust tests (`x < value` goes left, missing values go left) for
    /// "bin ≤ b goes left". Feature values are finite or missing, so "only missing values
    /// go left" is `x < f64::MIN` (a finite number: forust's trees are made from JSON,
    /// which has no infinity).
    pub(super) fn threshold(&self, col: usize, b: u8) -> f64 {
        match b {
            0 => f64::MIN,
            b => self.borders[col][b as usize - 1].next_up(),
        }
    }

    /// A category column's order for one tree (see the module's recipe): each bin's rank.
    pub(super) fn category_ranks(&self, col: usize, gh: &[[f64; 2]]) -> Vec<u8> {
        let n = self.rows;
        let bins = self.bins(col);
        let mut sums = vec![[0.0; 2]; bins];
        for (&c, &[g, h]) in self.codes[col * n..(col + 1) * n].iter().zip(gh) {
            sums[c as usize][0] += g;
            sums[c as usize][1] += h;
        }
        // Equal keys keep the bins' order, as numpy's stable argsort does (+ 0.0 makes
        // −0 equal to 0 there too).
        let key = |b: usize| sums[b][0] / (sums[b][1] + CATEGORY_SMOOTHING) + 0.0;
        let mut order: Vec<usize> = (0..bins).collect();
        order.sort_by(|&a, &b| key(a).total_cmp(&key(b)).then(a.cmp(&b)));
        let mut rank = vec![0u8; bins];
        for (r, &b) in order.iter().enumerate() {
            rank[b] = r as u8;
        }
        rank
    }

    /// What a split at rank `b` of a category column sends left: the codes whose bins rank
    /// ≤ b (every code outside the column's training codes too, when the unseen bin does),
    /// and whether missing values and other non-codes go left (the missing bin's rank).
    pub(super) fn codes_left(&self, col: usize, rank: &[u8], b: u8) -> (CodeSet, bool) {
        let codes = &self.borders[col];
        let unseen = rank[codes.len() + 1] <= b;
        let seen = (0..codes.len())
            .filter(|&i| rank[i + 1] <= b)
            .map(|i| codes[i]);
        let others = CodeSet::all()
            .filter(|c| unseen && codes.binary_search_by(|x| x.total_cmp(c)).is_err());
        let set = CodeSet::of(seen.chain(others)).expect("a category column's borders are codes");
        (set, rank[0] <= b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::Rng;

    #[test]
    fn a_bin_split_and_its_stored_threshold_send_every_value_the_same_way() {
        let mut rng = Rng::new(3);
        let mut col: Vec<f64> = (0..2000)
            .map(|_| (rng.next_f64() * 40.0).round() - 20.0)
            .collect();
        col.extend([f64::NAN, -0.0, 0.0, f64::MAX, f64::MIN]);
        let many: Vec<f64> = (0..5000).map(|_| rng.next_f64()).collect();
        for values in [col, many] {
            let x = Matrix::from_columns(values.len(), vec![values.clone()]);
            let bins = Binned::of(&x, &[]);
            assert!(bins.bins(0) <= MAX_BINS + 1, "{} bins", bins.bins(0));
            for b in 0..(bins.bins(0) - 1) as u8 {
                let t = bins.threshold(0, b);
                for &v in &values {
                    let left = code(&bins.borders[0], v) <= b;
                    assert_eq!(
                        left,
                        v.is_nan() || v < t,
                        "value {v}, bin {b}, threshold {t}"
                    );
                }
            }
        }
    }
}
