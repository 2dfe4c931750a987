//! Model-agnostic Shapley values over the input columns (for kNN, MLP and ensembles):
//! the value of a coalition S for row x is the model's mean output over the background
//! rows b with the columns in S taken from x and the others from b (interventional, as
//! shap's `KernelExplainer` and `ExactExplainer` define it with a background data set).
//!
//! Up to `EXACT_MAX_COLUMNS` columns every coalition is evaluated and the Shapley values
//! are exact for that background. Beyond, antithetic permutations: each permutation and
//! its reverse add the columns one at a time and credit each with the change it makes;
//! the values then add up exactly (each permutation telescopes from f(∅) to f(x)) and
//! approach the exact ones as permutations are added.

use std::time::Instant;

use super::{ExplainRequest, Explanation, Method, OutputSpace, RowShap};
use super::{EXACT_MAX_COLUMNS, SAMPLING_BACKGROUND};
use crate::automl::learners::Learner;
use crate::automl::matrix::Matrix;
use crate::automl::metrics::Predictions;
use crate::automl::model::{average, CandidateModel, Member};
use crate::common::Rng;
use crate::data::{Column, ProblemType};

/// Coalitions evaluated per model call (times the background rows).
const BATCH: usize = 128;

/// Coalitions evaluated per row by permutation sampling (about as many as exact
/// enumeration at its limit).
const PERMUTATION_COALITIONS: usize = 1 << EXACT_MAX_COLUMNS;

pub(super) fn explain(req: &ExplainRequest, method: Method) -> Explanation {
    let model = req.model;
    let m = model.features.len();
    let classification = model.problem_type != ProblemType::Regression;
    let (outputs, output_space) = if classification {
        (
            (0..model.classes.len()).map(Some).collect::<Vec<_>>(),
            OutputSpace::Probability,
        )
    } else {
        (vec![None], OutputSpace::Raw)
    };
    let k = outputs.len();
    let background: Vec<usize> = req
        .background
        .iter()
        .copied()
        .take(SAMPLING_BACKGROUND)
        .collect();
    let by_name: Vec<&Column> = model
        .features
        .iter()
        .map(|f| {
            *req.columns
                .iter()
                .find(|c| c.name == f.name)
                .expect("the request holds the candidate's columns")
        })
        .collect();
    let game = Game {
        req,
        columns: &by_name,
        background: &background,
        k,
    };
    let first = req.rows.first().copied().unwrap_or(0);
    let empty = game
        .values(first, &[vec![false; m]], None)
        .map(|v| v[0].clone())
        .unwrap_or_else(|| vec![f64::NAN; k]);
    let mut rows = Vec::new();
    let mut coalitions = 0;
    // Unlike the fold-model methods, a row here can take long (a coalition is a prediction
    // per background row): the deadline is checked between batches of coalitions, and a
    // row it interrupts is not kept. The first row has until `first_row_deadline`.
    for (i, &r) in req.rows.iter().enumerate() {
        let deadline = if i == 0 {
            req.first_row_deadline
        } else {
            req.deadline
        };
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let v = |masks: &[Vec<bool>]| game.values(r, masks, deadline);
        let done = match method {
            Method::ExactSHAP => exact(&v, m, k),
            _ => permutations(&v, m, k, req.seed ^ (r as u64).wrapping_mul(0x9E37)),
        };
        let Some((row, c)) = done else {
            break;
        };
        coalitions = c;
        rows.push(row);
    }
    Explanation {
        method,
        output_space,
        outputs,
        features: vec![],
        expected: empty,
        rows,
        background_rows: background.len(),
        coalitions: Some(coalitions),
    }
}

struct Game<'a> {
    req: &'a ExplainRequest<'a>,
    columns: &'a [&'a Column],
    background: &'a [usize],
    k: usize,
}

/// A model's fold pipelines applied once to the explained row and the background rows.
/// Every pipeline output comes from one input column (scaling, imputation, indicators,
/// one-hot, ordinal codes, TF-IDF terms and date parts are each computed from their own
/// column), so a coalition's row is assembled from these blocks without transforming
/// again: output `j` is the explained row's where its column is in the coalition, else
/// the background row's.
enum Cache {
    Folds(Vec<FoldCache>),
    Members(Vec<(f64, Cache)>),
}

struct FoldCache {
    /// Row 0: the explained row; rows 1..: the background rows.
    t: Matrix,
    /// The input column (index into the explained model's features) behind each output.
    source: Vec<usize>,
}

impl Cache {
    fn new(
        model: &CandidateModel,
        columns: &[&Column],
        rows: &[usize],
        features: &[String],
    ) -> Cache {
        if !model.members.is_empty() {
            return Cache::Members(
                model
                    .members
                    .iter()
                    .map(|(w, m)| match m {
                        Member::Loaded(m) => (*w, Cache::new(m, columns, rows, features)),
                        Member::Named(_) => (*w, Cache::Folds(vec![])),
                    })
                    .collect(),
            );
        }
        Cache::Folds(
            model
                .folds
                .iter()
                .map(|f| FoldCache {
                    t: f.pipeline.transform(columns, rows),
                    source: f
                        .pipeline
                        .output_sources()
                        .iter()
                        .map(|s| features.iter().position(|x| x == s).unwrap_or(usize::MAX))
                        .collect(),
                })
                .collect(),
        )
    }

    /// The model's predictions for every (coalition, background row) pair, coalition-major.
    fn predict(&self, model: &CandidateModel, masks: &[Vec<bool>], b: usize) -> Predictions {
        match self {
            Cache::Members(parts) => average(
                parts
                    .iter()
                    .zip(&model.members)
                    .filter_map(|((w, c), (_, m))| match m {
                        Member::Loaded(m) => Some((*w, c.predict(m, masks, b))),
                        Member::Named(_) => None,
                    })
                    .collect(),
            ),
            Cache::Folds(folds) => {
                let w = 1.0 / folds.len().max(1) as f64;
                average(
                    folds
                        .iter()
                        .zip(&model.folds)
                        .map(|(c, f)| (w, f.model.predict(&c.assemble(masks, b))))
                        .collect(),
                )
            }
        }
    }
}

impl FoldCache {
    fn assemble(&self, masks: &[Vec<bool>], b: usize) -> Matrix {
        let n = masks.len() * b;
        let mut data = Vec::with_capacity(n * self.t.cols);
        for (j, &src) in self.source.iter().enumerate().take(self.t.cols) {
            let col = self.t.col(j);
            for mask in masks {
                let known = src != usize::MAX && mask[src];
                for bg in 0..b {
                    data.push(if known { col[0] } else { col[1 + bg] });
                }
            }
        }
        Matrix {
            rows: n,
            cols: self.t.cols,
            data,
        }
    }
}

impl Game<'_> {
    /// v(S) per output for each coalition (which columns come from row `r`), in batches;
    /// `None` if `deadline` passes between two.
    fn values(
        &self,
        r: usize,
        masks: &[Vec<bool>],
        deadline: Option<Instant>,
    ) -> Option<Vec<Vec<f64>>> {
        let model = self.req.model;
        let features: Vec<String> = model.features.iter().map(|f| f.name.clone()).collect();
        let mut rows = vec![r];
        rows.extend_from_slice(self.background);
        let cache = Cache::new(model, self.columns, &rows, &features);
        let b = self.background.len();
        let mut out = Vec::with_capacity(masks.len());
        for batch in masks.chunks(BATCH) {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return None;
            }
            let preds = cache.predict(model, batch, b);
            out.extend((0..batch.len()).map(|s| {
                let mut acc = vec![0.0; self.k];
                for i in s * b..(s + 1) * b {
                    let row: &[f64] = match &preds {
                        Predictions::Proba { p, k } => &p[i * k..(i + 1) * k],
                        Predictions::Values(v) => &v[i..i + 1],
                    };
                    acc.iter_mut()
                        .zip(row)
                        .for_each(|(a, v)| *a += v / b as f64);
                }
                acc
            }));
        }
        Some(out)
    }
}

/// The value of each coalition (which of the `m` columns are known), per output; `None`
/// when the time ran out.
type ValueFn<'a> = dyn Fn(&[Vec<bool>]) -> Option<Vec<Vec<f64>>> + 'a;

/// Every coalition: φ_i = Σ_{S ∌ i} |S|! (m − |S| − 1)! / m! · (v(S ∪ {i}) − v(S)).
fn exact(value: &ValueFn, m: usize, k: usize) -> Option<(RowShap, usize)> {
    let masks: Vec<Vec<bool>> = (0..1usize << m)
        .map(|s| (0..m).map(|j| s >> j & 1 == 1).collect())
        .collect();
    let v = value(&masks)?;
    // weight[s] = s! (m - s - 1)! / m!
    let weight: Vec<f64> = (0..m)
        .map(|s| {
            let mut w = 1.0 / m as f64;
            // 1 / C(m-1, s)
            for i in 0..s {
                w *= (i + 1) as f64 / (m - 1 - i) as f64;
            }
            w
        })
        .collect();
    let mut shap = vec![0.0; m * k];
    for (s, vs) in v.iter().enumerate() {
        let size = (s as u64).count_ones() as usize;
        for i in 0..m {
            if s >> i & 1 == 0 {
                let with = &v[s | 1 << i];
                for o in 0..k {
                    shap[i * k + o] += weight[size] * (with[o] - vs[o]);
                }
            }
        }
    }
    let full = v[(1usize << m) - 1].clone();
    Some((
        RowShap {
            prediction: full,
            shap,
        },
        masks.len(),
    ))
}

/// Antithetic permutations: each adds the columns in its order, then in reverse.
fn permutations(value: &ValueFn, m: usize, k: usize, seed: u64) -> Option<(RowShap, usize)> {
    let pairs = (PERMUTATION_COALITIONS / (2 * m.max(1))).max(1);
    let mut rng = Rng::new(seed);
    let mut masks = vec![vec![false; m]];
    let mut orders = Vec::with_capacity(2 * pairs);
    for _ in 0..pairs {
        let mut order: Vec<usize> = (0..m).collect();
        for i in (1..m).rev() {
            order.swap(i, rng.below(i + 1));
        }
        let reverse: Vec<usize> = order.iter().rev().copied().collect();
        for o in [order, reverse] {
            let mut mask = vec![false; m];
            for &c in &o[..m.saturating_sub(1)] {
                mask[c] = true;
                masks.push(mask.clone());
            }
            orders.push(o);
        }
    }
    masks.push(vec![true; m]);
    let v = value(&masks)?;
    let (empty, full) = (&v[0], &v[v.len() - 1]);
    let mut shap = vec![0.0; m * k];
    let mut at = 1;
    for order in &orders {
        let mut prev = empty;
        for (step, &c) in order.iter().enumerate() {
            let next = if step + 1 == m { full } else { &v[at + step] };
            for o in 0..k {
                shap[c * k + o] += (next[o] - prev[o]) / orders.len() as f64;
            }
            prev = next;
        }
        at += m - 1;
    }
    Some((
        RowShap {
            prediction: full.clone(),
            shap,
        },
        masks.len(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A game with interactions: f(x) = Σ a_j x_j + x_0·x_1 + 2·x_2·x_3·x_4, where a known
    /// column takes its value 1 + j and an unknown one 0 (a single background row).
    fn game(m: usize) -> impl Fn(&[Vec<bool>]) -> Option<Vec<Vec<f64>>> {
        move |masks: &[Vec<bool>]| {
            Some(
                masks
                    .iter()
                    .map(|s| {
                        let x: Vec<f64> = (0..m)
                            .map(|j| if s[j] { 1.0 + j as f64 } else { 0.0 })
                            .collect();
                        let linear: f64 = x
                            .iter()
                            .enumerate()
                            .map(|(j, v)| (j as f64 - 2.0) * v)
                            .sum();
                        vec![linear + x[0] * x[1] + 2.0 * x[2] * x[3] * x[4], -linear]
                    })
                    .collect(),
            )
        }
    }

    #[test]
    fn exact_values_split_interactions_equally() {
        let (row, n) = exact(&game(6), 6, 2).unwrap();
        assert_eq!(n, 64);
        // x0·x1 = 2 splits 1 / 1; 2·x2·x3·x4 = 120 splits 40 / 40 / 40.
        let want = [
            (-2.0 + 1.0),
            (-2.0 + 1.0),
            40.0,
            4.0 + 40.0,
            2.0 * 5.0 + 40.0,
            3.0 * 6.0,
        ];
        for (j, w) in want.iter().enumerate() {
            assert!(
                (row.shap[j * 2] - w).abs() < 1e-12,
                "column {j}: {} vs {w}",
                row.shap[j * 2]
            );
        }
        assert!((row.prediction[0] - row.shap.iter().step_by(2).sum::<f64>()).abs() < 1e-12);
    }

    #[test]
    fn permutations_add_up_exactly_and_approach_the_exact_values() {
        let m = 12;
        let (exact_row, _) = exact(&game(m), m, 2).unwrap();
        let (row, n) = permutations(&game(m), m, 2, 7).unwrap();
        assert!(n <= PERMUTATION_COALITIONS + 2, "{n} coalitions");
        for o in 0..2 {
            let sum: f64 = (0..m).map(|j| row.shap[j * 2 + o]).sum();
            assert!((sum - row.prediction[o]).abs() < 1e-9, "additive");
        }
        // The linear part is exact in every permutation; the interactions are estimated.
        for j in 5..m {
            assert!(
                (row.shap[j * 2] - exact_row.shap[j * 2]).abs() < 1e-9,
                "column {j}"
            );
        }
        for j in 0..5 {
            let err = (row.shap[j * 2] - exact_row.shap[j * 2]).abs();
            assert!(
                err < 20.0,
                "column {j}: {} vs {}",
                row.shap[j * 2],
                exact_row.shap[j * 2]
            );
        }
    }
}
