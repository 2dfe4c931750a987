//! TreeSHAP and linear SHAP, fold model by fold model: each fold's pipeline transforms
//! the rows, the fold's model is explained on its own features, the values are summed
//! back to input columns, and the candidate's are the mean over the folds.

use std::collections::HashMap;
use std::time::Instant;

use rayon::prelude::*;

use super::shap_tables::ShapTable;
use super::tree_models;
use super::tree_shap::{Scratch, ShapTree};
use super::{ExplainRequest, Explanation, Method, OutputSpace, RowShap};
use crate::automl::learners::{AnyModel, Task};
use crate::automl::model::{CandidateModel, FoldModel};
use crate::data::ProblemType;

/// Rows explained at a time at most, split among the threads.
const CHUNK: usize = 512;
/// Numbers (`f64`) the per-leaf tables of one explanation may hold: 64 MB.
const TABLE_BUDGET: usize = 8 << 20;

/// Trees whose leaves feed outputs `offset..offset + dim`.
struct Group {
    offset: usize,
    dim: usize,
    base: Vec<f64>,
    trees: Vec<ShapTree>,
}

enum FoldExplainer {
    /// `None`: a class the fold never saw (its booster is absent; its log-odds is -∞).
    Trees(Vec<Option<Group>>),
    Linear {
        coef: Vec<Vec<f64>>,
        intercept: Vec<f64>,
        mean: Vec<f64>,
    },
}

/// What each output is, and in which space, for the fold models' kind.
fn outputs(model: &CandidateModel) -> (Vec<Option<usize>>, OutputSpace) {
    let k = model.classes.len();
    let first = model.folds.first().map(|f| &f.model);
    match (model.problem_type, first) {
        (ProblemType::Regression, _) => (vec![None], OutputSpace::Raw),
        (ProblemType::BinaryClassification, Some(m))
            if m.boosters().is_some() || matches!(m, AnyModel::Linear(_)) =>
        {
            (vec![Some(1)], OutputSpace::LogOdds)
        }
        (_, Some(m)) if m.boosters().is_some() => {
            ((0..k).map(Some).collect(), OutputSpace::LogOdds)
        }
        (_, Some(AnyModel::Linear(_))) => ((0..k).map(Some).collect(), OutputSpace::Raw),
        _ => ((0..k).map(Some).collect(), OutputSpace::Probability),
    }
}

fn fold_explainer(req: &ExplainRequest, fold: &FoldModel) -> Option<FoldExplainer> {
    match &fold.model {
        AnyModel::Forest(f) => {
            let dim = match f.task {
                Task::Classification { n_classes } => n_classes,
                Task::Regression => 1,
            };
            Some(FoldExplainer::Trees(vec![Some(Group {
                offset: 0,
                dim,
                base: vec![0.0; dim],
                trees: tree_models::forest(f)?,
            })]))
        }
        AnyModel::Gbdt(_) | AnyModel::SymmetricGbdt(_) => {
            let groups = fold
                .model
                .boosters()?
                .into_iter()
                .enumerate()
                .map(|(c, (b, categories))| match b {
                    None => Some(None),
                    Some(b) => tree_models::booster(b, categories).map(|(base, trees)| {
                        Some(Group {
                            offset: c,
                            dim: 1,
                            base: vec![base],
                            trees,
                        })
                    }),
                })
                .collect::<Option<Vec<_>>>()?;
            Some(FoldExplainer::Trees(groups))
        }
        AnyModel::Linear(m) => {
            let x = fold.pipeline.transform(req.columns, req.background);
            let n = x.rows.max(1) as f64;
            let mean = (0..x.cols)
                .map(|j| x.col(j).iter().sum::<f64>() / n)
                .collect();
            Some(FoldExplainer::Linear {
                coef: m.coef.clone(),
                intercept: m.intercept.clone(),
                mean,
            })
        }
        _ => None,
    }
}

impl FoldExplainer {
    fn expected(&self, k: usize) -> Vec<f64> {
        match self {
            FoldExplainer::Trees(groups) => {
                let mut e = vec![f64::NAN; k];
                for g in groups.iter().flatten() {
                    for d in 0..g.dim {
                        e[g.offset + d] =
                            g.base[d] + g.trees.iter().map(|t| t.expected()[d]).sum::<f64>();
                    }
                }
                e
            }
            FoldExplainer::Linear {
                coef,
                intercept,
                mean,
            } => coef
                .iter()
                .zip(intercept)
                .map(|(w, b)| b + w.iter().zip(mean).map(|(a, m)| a * m).sum::<f64>())
                .collect(),
        }
    }

    /// (prediction per output, SHAP per transformed feature × output) for each row of
    /// `xs`. Trees are taken one at a time over all the rows, so a tree (and its table)
    /// stays in cache while it explains them; each row still sums its trees in order.
    fn rows(&self, xs: &[Vec<f64>], k: usize, scratch: &mut Scratch) -> Vec<(Vec<f64>, Vec<f64>)> {
        let p = xs.first().map_or(0, Vec::len);
        let mut res: Vec<(Vec<f64>, Vec<f64>)> = xs
            .iter()
            .map(|_| (vec![f64::NAN; k], vec![0.0; p * k]))
            .collect();
        match self {
            FoldExplainer::Trees(groups) => {
                for g in groups.iter().flatten() {
                    let mut local = vec![vec![0.0; p * g.dim]; xs.len()];
                    let mut out = vec![g.base.clone(); xs.len()];
                    for t in &g.trees {
                        t.add_shap_rows(xs, &mut local, scratch);
                        for (x, out) in xs.iter().zip(&mut out) {
                            out.iter_mut().zip(t.predict(x)).for_each(|(a, v)| *a += v);
                        }
                    }
                    for ((pred, phi), (local, out)) in res.iter_mut().zip(local.iter().zip(&out)) {
                        pred[g.offset..g.offset + g.dim].copy_from_slice(out);
                        for j in 0..p {
                            for d in 0..g.dim {
                                phi[j * k + g.offset + d] = local[j * g.dim + d];
                            }
                        }
                    }
                }
            }
            FoldExplainer::Linear {
                coef,
                intercept,
                mean,
            } => {
                for (x, (pred, phi)) in xs.iter().zip(&mut res) {
                    for (o, (w, b)) in coef.iter().zip(intercept).enumerate() {
                        let mut z = *b;
                        for j in 0..p.min(w.len()) {
                            z += w[j] * x[j];
                            phi[j * k + o] = w[j] * (x[j] - mean[j]);
                        }
                        pred[o] = z;
                    }
                }
            }
        }
        res
    }
}

/// Gives per-leaf tables to the trees they speed up for `rows` rows: a table costs about
/// what `2^depth / 2` rows cost without one. Trees whose rows share their values as well
/// (`ShapTree::shares_like_tables`: symmetric trees) get none. Trees are taken in order
/// while the tables fit `TABLE_BUDGET`, and built in parallel.
fn use_tables(explainer: &mut FoldExplainer, rows: usize) {
    let FoldExplainer::Trees(groups) = explainer else {
        return;
    };
    let mut budget = TABLE_BUDGET;
    let mut chosen: Vec<&mut ShapTree> = vec![];
    for t in groups.iter_mut().flatten().flat_map(|g| g.trees.iter_mut()) {
        let worth = !t.shares_like_tables()
            && t.depth() < usize::BITS as usize - 1
            && 1usize << t.depth() <= 2 * rows;
        match worth.then(|| ShapTable::size(t)).flatten() {
            Some(b) if b <= budget => {
                budget -= b;
                chosen.push(t);
            }
            _ => {}
        }
    }
    chosen.par_iter_mut().for_each(|t| {
        t.use_table();
    });
}

/// What is the same for every fold: the outputs, the candidate's features by name, and
/// the weight of one fold (the candidate's prediction is the folds' mean).
struct Explaining<'a> {
    req: &'a ExplainRequest<'a>,
    k: usize,
    m: usize,
    index: HashMap<&'a str, usize>,
    w: f64,
    threads: usize,
}

impl Explaining<'_> {
    /// Add fold `fold`'s share (its weight times its prediction and SHAP values, summed
    /// back to input columns) to `acc`, one entry per row of `rows`, explained `CHUNK`
    /// rows at a time, each chunk's rows split evenly among the threads.
    fn add_fold(&self, fold: &FoldModel, e: &FoldExplainer, rows: &[usize], acc: &mut [RowShap]) {
        let (k, w) = (self.k, self.w);
        let src: Vec<usize> = fold
            .pipeline
            .output_sources()
            .iter()
            .map(|s| self.index.get(s.as_str()).copied().unwrap_or(usize::MAX))
            .collect();
        for (chunk, acc) in rows.chunks(CHUNK).zip(acc.chunks_mut(CHUNK)) {
            let x = fold.pipeline.transform(self.req.columns, chunk);
            let per = chunk.len().div_ceil(self.threads).max(1);
            acc.par_chunks_mut(per).enumerate().for_each(|(b, outs)| {
                let xs: Vec<Vec<f64>> = (b * per..b * per + outs.len()).map(|i| x.row(i)).collect();
                let results = e.rows(&xs, k, &mut Scratch::default());
                for (out, (pred, phi)) in outs.iter_mut().zip(results) {
                    out.prediction
                        .iter_mut()
                        .zip(pred)
                        .for_each(|(a, v)| *a += w * v);
                    for (j, &s) in src.iter().enumerate() {
                        if s == usize::MAX {
                            continue;
                        }
                        for o in 0..k {
                            out.shap[s * k + o] += w * phi[j * k + o];
                        }
                    }
                }
            });
        }
    }

    fn empty(&self, n: usize) -> Vec<RowShap> {
        (0..n)
            .map(|_| RowShap {
                prediction: vec![0.0; self.k],
                shap: vec![0.0; self.m * self.k],
            })
            .collect()
    }
}

/// Explain fold by fold: one fold model's explainer (its trees as `ShapTree`s, with their
/// tables) exists at a time, so memory holds one fold's copy, not all of them (five
/// forests of 100 full trees on 13k rows are 13M nodes).
///
/// The first fold decides how many rows are explained: it takes chunks of rows while its
/// share of the time left (one fold's) allows, at the pace measured so far (the first
/// chunk, one row per thread, is always explained), so the deadline is kept to about one
/// row's time per fold. The other folds explain the same rows. Each row's values are
/// summed fold after fold, in the folds' order.
pub(super) fn explain(req: &ExplainRequest, method: Method) -> Explanation {
    let model = req.model;
    let (outputs, output_space) = outputs(model);
    let k = outputs.len();
    let folds = model.folds.len().max(1);
    let ex = Explaining {
        req,
        k,
        m: model.features.len(),
        index: model
            .features
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.as_str(), i))
            .collect(),
        w: 1.0 / folds as f64,
        threads: rayon::current_num_threads().max(1),
    };
    let mut expected = vec![0.0; k];
    // One fold's explainer, with tables for the rows it will explain; its expected value
    // added to the candidate's.
    let mut explainer = |fold: &FoldModel, rows: usize| {
        let mut e = fold_explainer(req, fold).expect("method_for chose a method the folds support");
        use_tables(&mut e, rows);
        expected
            .iter_mut()
            .zip(e.expected(k))
            .for_each(|(a, v)| *a += ex.w * v);
        e
    };
    let mut rows: Vec<RowShap> = Vec::with_capacity(req.rows.len());
    if let Some((first, others)) = model.folds.split_first() {
        let began = Instant::now();
        let e = explainer(first, req.rows.len());
        let share = req
            .deadline
            .map(|d| began + d.saturating_duration_since(began) / folds as u32);
        let started = Instant::now();
        while rows.len() < req.rows.len() {
            let size = if rows.is_empty() {
                ex.threads
            } else {
                match share {
                    None => CHUNK,
                    Some(d) => {
                        let per_row = started.elapsed().as_secs_f64() / rows.len() as f64;
                        let left = d.saturating_duration_since(Instant::now()).as_secs_f64();
                        ((left / per_row.max(1e-9)) as usize).min(CHUNK)
                    }
                }
            };
            if size == 0 {
                break;
            }
            let next = rows.len();
            let chunk = &req.rows[next..(next + size).min(req.rows.len())];
            let mut acc = ex.empty(chunk.len());
            ex.add_fold(first, &e, chunk, &mut acc);
            rows.extend(acc);
        }
        drop(e);
        // The other folds explain the rows the first one did, with tables for that many.
        let explained = &req.rows[..rows.len()];
        for fold in others {
            let e = explainer(fold, explained.len());
            ex.add_fold(fold, &e, explained, &mut rows);
        }
    }
    Explanation {
        method,
        output_space,
        outputs,
        features: vec![],
        expected,
        rows,
        background_rows: if method == Method::LinearSHAP {
            req.background.len()
        } else {
            0
        },
        coalitions: None,
    }
}
