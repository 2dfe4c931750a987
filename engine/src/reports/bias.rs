//! Bias metrics as SageMaker Clarify defines them (`smclarify.bias.metrics`), for one facet:
//! `d` is the sensitive group (the facet's chosen values, or values above its threshold),
//! `a` everyone else; labels and predictions are collapsed to positive / not positive.
//!
//! Pre-training (labels only): CI, DPL, KL, JS, LP, TVD, KS, CDDL. Post-training (labels
//! and a model's predicted labels): DPPL, DI, DCA, DCR, RD, DAR, DRR, AD, TE, CDDPL, FT.
//! Each follows Clarify's code step for step: its `divide` (0/0 = 0, x/0 = ±∞), its label
//! distributions restricted to the values present in both groups, its sign conventions.
//! A metric Clarify would refuse (an empty group, no positive label for CDD) carries the
//! reason instead of a value.

use serde::{Deserialize, Serialize, Serializer};

/// One metric's result.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BiasMetric {
    pub name: String,
    pub description: String,
    /// `null` with `error` set when the metric cannot be computed; ±∞ is written as the
    /// strings "Infinity" / "-Infinity".
    #[serde(serialize_with = "finite_or_word")]
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn finite_or_word<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(x) if x.is_infinite() => {
            s.serialize_str(if *x > 0.0 { "Infinity" } else { "-Infinity" })
        }
        Some(x) => s.serialize_f64(*x),
        None => s.serialize_none(),
    }
}

/// The rows a report covers: per row, whether it is in the sensitive facet and whether its
/// label is positive; optionally its predicted label, its group (for CDD) and numeric
/// features (for the flip test).
pub struct BiasRows<'a> {
    pub facet: &'a [bool],
    pub label: &'a [bool],
    pub predicted: Option<&'a [bool]>,
    pub group: Option<&'a [u32]>,
    /// Row-major, `facet.len()` rows of `ft_width` numbers (no missing values).
    pub ft_features: Option<(&'a [f64], usize)>,
}

fn divide(a: f64, b: f64) -> f64 {
    if b == 0.0 && a == 0.0 {
        0.0
    } else if b == 0.0 {
        if a < 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }
    } else {
        a / b
    }
}

fn metric(name: &str, description: &str, r: Result<f64, String>) -> BiasMetric {
    match r {
        Ok(v) => BiasMetric {
            name: name.into(),
            description: description.into(),
            value: Some(v),
            error: None,
        },
        Err(e) => BiasMetric {
            name: name.into(),
            description: description.into(),
            value: None,
            error: Some(e),
        },
    }
}

/// Counts of rows by facet (a / d), label and prediction.
#[derive(Default, Clone, Copy)]
struct Counts {
    n: f64,
    pos: f64,
    pred_pos: f64,
    tp: f64,
    fp: f64,
    fn_: f64,
    tn: f64,
}

fn counts(rows: &BiasRows, sensitive: bool) -> Counts {
    let mut c = Counts::default();
    for i in 0..rows.facet.len() {
        if rows.facet[i] != sensitive {
            continue;
        }
        let y = rows.label[i];
        let p = rows.predicted.is_some_and(|p| p[i]);
        c.n += 1.0;
        c.pos += f64::from(u8::from(y));
        c.pred_pos += f64::from(u8::from(p));
        match (y, p) {
            (true, true) => c.tp += 1.0,
            (false, true) => c.fp += 1.0,
            (true, false) => c.fn_ += 1.0,
            (false, false) => c.tn += 1.0,
        }
    }
    c
}

fn groups_present(a: &Counts, d: &Counts) -> Result<(), String> {
    if d.n == 0.0 {
        return Err("the sensitive facet has no rows".into());
    }
    if a.n == 0.0 {
        return Err("every row is in the sensitive facet: the other group is empty".into());
    }
    Ok(())
}

/// Clarify's `pdfs_aligned_nonzero` on two boolean label distributions: the shares of the
/// values present (non-zero) in both groups, not renormalised.
fn aligned(a: &Counts, d: &Counts) -> Result<(Vec<f64>, Vec<f64>), String> {
    groups_present(a, d)?;
    let pa = [(a.n - a.pos) / a.n, a.pos / a.n];
    let pd = [(d.n - d.pos) / d.n, d.pos / d.n];
    let keep: Vec<usize> = (0..2).filter(|&k| pa[k] != 0.0 && pd[k] != 0.0).collect();
    if keep.is_empty() {
        return Err("no label value occurs in both groups".into());
    }
    Ok((
        keep.iter().map(|&k| pa[k]).collect(),
        keep.iter().map(|&k| pd[k]).collect(),
    ))
}

/// Clarify's CDD: per group, the sensitive facet's share of the rejected rows minus its
/// share of the accepted rows, weighted by the group's size.
fn cdd(rows: &BiasRows, positive: &[bool]) -> Result<f64, String> {
    let Some(group) = rows.group else {
        return Err("needs a group column".into());
    };
    if !positive.iter().any(|&p| p) {
        return Err("no positive labels in the rows".into());
    }
    if positive.iter().all(|&p| p) {
        return Err("no negative labels in the rows".into());
    }
    let mut ids: Vec<u32> = group.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let (mut num, mut den) = (0.0, 0.0);
    for g in ids {
        let (mut n, mut acc_d, mut acc, mut rej_d, mut rej) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for i in 0..group.len() {
            if group[i] != g {
                continue;
            }
            n += 1.0;
            if positive[i] {
                acc += 1.0;
                acc_d += f64::from(u8::from(rows.facet[i]));
            } else {
                rej += 1.0;
                rej_d += f64::from(u8::from(rows.facet[i]));
            }
        }
        let a = if acc != 0.0 { acc_d / acc } else { 0.0 };
        let d = if rej != 0.0 { rej_d / rej } else { 0.0 };
        num += n * (d - a);
        den += n;
    }
    Ok(divide(num, den))
}

/// Clarify's pre-training metrics.
pub fn pre_training(rows: &BiasRows) -> Vec<BiasMetric> {
    let a = counts(rows, false);
    let d = counts(rows, true);
    let dist = aligned(&a, &d);
    let with = |f: &dyn Fn(&[f64], &[f64]) -> f64| -> Result<f64, String> {
        dist.as_ref()
            .map(|(pa, pd)| f(pa, pd))
            .map_err(Clone::clone)
    };
    vec![
        metric(
            "CI",
            "Class Imbalance (CI)",
            groups_present(&a, &d).map(|_| (a.n - d.n) / (a.n + d.n)),
        ),
        metric(
            "DPL",
            "Difference in Positive Proportions in Labels (DPL)",
            groups_present(&a, &d).map(|_| a.pos / a.n - d.pos / d.n),
        ),
        metric(
            "KL",
            "Kullback-Liebler Divergence (KL)",
            with(&|pa, pd| pa.iter().zip(pd).map(|(x, y)| x * (x / y).ln()).sum()),
        ),
        metric(
            "JS",
            "Jensen-Shannon Divergence (JS)",
            with(&|pa, pd| {
                let kl = |p: &[f64]| -> f64 {
                    p.iter()
                        .zip(pa.iter().zip(pd))
                        .map(|(x, (u, v))| x * (x / (0.5 * (u + v))).ln())
                        .sum()
                };
                0.5 * (kl(pa) + kl(pd))
            }),
        ),
        metric(
            "LP",
            "L-p Norm (LP)",
            with(&|pa, pd| {
                pa.iter()
                    .zip(pd)
                    .map(|(x, y)| (x - y).powi(2))
                    .sum::<f64>()
                    .sqrt()
            }),
        ),
        metric(
            "TVD",
            "Total Variation Distance (TVD)",
            with(&|pa, pd| 0.5 * pa.iter().zip(pd).map(|(x, y)| (x - y).abs()).sum::<f64>()),
        ),
        metric(
            "KS",
            "Kolmogorov-Smirnov Distance (KS)",
            with(&|pa, pd| {
                pa.iter()
                    .zip(pd)
                    .map(|(x, y)| (x - y).abs())
                    .fold(0.0, f64::max)
            }),
        ),
        metric(
            "CDDL",
            "Conditional Demographic Disparity in Labels (CDDL)",
            cdd(rows, rows.label),
        ),
    ]
}

/// `x − y`, or 0 when both are +∞ (Clarify's rule).
fn diff(x: f64, y: f64) -> f64 {
    if x == y && x == f64::INFINITY {
        0.0
    } else {
        x - y
    }
}

/// Clarify's post-training metrics (`rows.predicted` must be set).
pub fn post_training(rows: &BiasRows) -> Vec<BiasMetric> {
    let Some(predicted) = rows.predicted else {
        return vec![];
    };
    let a = counts(rows, false);
    let d = counts(rows, true);
    let ok = groups_present(&a, &d);
    let m = |name: &str, description: &str, f: &dyn Fn() -> f64| {
        metric(name, description, ok.clone().map(|_| f()))
    };
    vec![
        m(
            "DPPL",
            "Difference in Positive Proportions in Predicted Labels (DPPL)",
            &|| a.pred_pos / a.n - d.pred_pos / d.n,
        ),
        m("DI", "Disparate Impact (DI)", &|| {
            divide(d.pred_pos / d.n, a.pred_pos / a.n)
        }),
        m("DCA", "Difference in Conditional Acceptance (DCA)", &|| {
            diff(divide(a.pos, a.pred_pos), divide(d.pos, d.pred_pos))
        }),
        m("DCR", "Difference in Conditional Rejection (DCR)", &|| {
            let rr_a = divide(a.n - a.pos, a.n - a.pred_pos);
            let rr_d = divide(d.n - d.pos, d.n - d.pred_pos);
            diff(rr_d, rr_a)
        }),
        m("RD", "Recall Difference (RD)", &|| {
            diff(divide(a.tp, a.tp + a.fn_), divide(d.tp, d.tp + d.fn_))
        }),
        m("DAR", "Difference in Acceptance Rates (DAR)", &|| {
            diff(divide(a.tp, a.pred_pos), divide(d.tp, d.pred_pos))
        }),
        m("DRR", "Difference in Rejection Rates (DRR)", &|| {
            diff(
                divide(d.tn, d.n - d.pred_pos),
                divide(a.tn, a.n - a.pred_pos),
            )
        }),
        m("AD", "Accuracy Difference (AD)", &|| {
            diff(divide(a.tp + a.tn, a.n), divide(d.tp + d.tn, d.n))
        }),
        m("TE", "Treatment Equality (TE)", &|| {
            diff(divide(d.fn_, d.fp), divide(a.fn_, a.fp))
        }),
        metric(
            "CDDPL",
            "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
            cdd(rows, predicted),
        ),
        metric(
            "FT",
            "Flip Test (FT)",
            ok.and_then(|_| flip_test(rows, predicted)),
        ),
    ]
}

/// Clarify's flip test: a 5-nearest-neighbour vote (1 neighbour when the other group has
/// at most 9 rows), Euclidean, over the other group's rows and the model's labels, predicts
/// each sensitive row; FT = (model positive & vote negative − model negative & vote
/// positive) / sensitive rows. Neighbours at equal distance are taken in row order.
fn flip_test(rows: &BiasRows, predicted: &[bool]) -> Result<f64, String> {
    let Some((x, width)) = rows.ft_features else {
        return Err("needs numeric feature columns".into());
    };
    let n = rows.facet.len();
    let others: Vec<usize> = (0..n).filter(|&i| !rows.facet[i]).collect();
    let sensitive: Vec<usize> = (0..n).filter(|&i| rows.facet[i]).collect();
    let k = if others.len() > 9 { 5 } else { 1 }.min(others.len());
    let row = |i: usize| &x[i * width..(i + 1) * width];
    let votes: Vec<bool> = {
        use rayon::prelude::*;
        sensitive
            .par_iter()
            .map(|&i| {
                let xi = row(i);
                let mut best: Vec<(f64, usize)> = Vec::with_capacity(k + 1);
                for &j in &others {
                    let dist: f64 = xi.iter().zip(row(j)).map(|(u, v)| (u - v) * (u - v)).sum();
                    if best.len() < k || dist < best[best.len() - 1].0 {
                        let at = best.partition_point(|b| b.0 <= dist);
                        best.insert(at, (dist, j));
                        best.truncate(k);
                    }
                }
                let yes = best.iter().filter(|b| predicted[b.1]).count();
                2 * yes > best.len()
            })
            .collect()
    };
    let (mut pos, mut neg) = (0.0, 0.0);
    for (&i, &vote) in sensitive.iter().zip(&votes) {
        match (predicted[i], vote) {
            (true, false) => pos += 1.0,
            (false, true) => neg += 1.0,
            _ => {}
        }
    }
    Ok(divide(pos - neg, sensitive.len() as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(ms: &[BiasMetric], name: &str) -> f64 {
        ms.iter().find(|m| m.name == name).unwrap().value.unwrap()
    }

    #[test]
    fn hand_computed_example() {
        // a: 6 rows, 4 positive labels; d: 4 rows, 1 positive.
        let facet = [
            false, false, false, false, false, false, true, true, true, true,
        ];
        let label = [
            true, true, true, true, false, false, true, false, false, false,
        ];
        let pred = [
            true, true, true, false, true, false, true, true, false, false,
        ];
        let rows = BiasRows {
            facet: &facet,
            label: &label,
            predicted: Some(&pred),
            group: None,
            ft_features: None,
        };
        let pre = pre_training(&rows);
        assert!((value(&pre, "CI") - 0.2).abs() < 1e-15);
        assert!((value(&pre, "DPL") - (4.0 / 6.0 - 0.25)).abs() < 1e-15);
        let (pa, pd): ([f64; 2], [f64; 2]) = ([2.0 / 6.0, 4.0 / 6.0], [0.75, 0.25]);
        let kl: f64 = (0..2).map(|i| pa[i] * (pa[i] / pd[i]).ln()).sum();
        assert!((value(&pre, "KL") - kl).abs() < 1e-15);
        assert!((value(&pre, "KS") - (4.0 / 6.0 - 0.25)).abs() < 1e-15);
        assert!(pre
            .iter()
            .find(|m| m.name == "CDDL")
            .unwrap()
            .error
            .is_some());
        let post = post_training(&rows);
        // a: predicted positive 4 of 6; d: 2 of 4.
        assert!((value(&post, "DPPL") - (4.0 / 6.0 - 0.5)).abs() < 1e-15);
        assert!((value(&post, "DI") - 0.5 / (4.0 / 6.0)).abs() < 1e-15);
        // TE: d has FN 0, FP 1 → 0; a has FN 1, FP 1 → 1.
        assert!((value(&post, "TE") + 1.0).abs() < 1e-15);
        let json = serde_json::to_string(&post).unwrap();
        assert!(json.contains("\"FT\"") && json.contains("needs numeric feature columns"));
    }

    #[test]
    fn infinities_are_words_and_empty_groups_are_errors() {
        let facet = [true, true, false, false];
        let label = [true, false, true, false];
        let pred = [false, false, true, true];
        let rows = BiasRows {
            facet: &facet,
            label: &label,
            predicted: Some(&pred),
            group: None,
            ft_features: None,
        };
        let post = post_training(&rows);
        let di = post.iter().find(|m| m.name == "DI").unwrap();
        assert_eq!(di.value, Some(0.0));
        // d predicts no positive: its conditional acceptance 1/0 is +∞.
        let dca = post.iter().find(|m| m.name == "DCA").unwrap();
        assert_eq!(dca.value, Some(f64::NEG_INFINITY));
        assert!(serde_json::to_string(dca)
            .unwrap()
            .contains("\"-Infinity\""));
        let all = [true; 4];
        let rows = BiasRows {
            facet: &all,
            label: &label,
            predicted: None,
            group: None,
            ft_features: None,
        };
        assert!(pre_training(&rows)
            .iter()
            .all(|m| m.value.is_none() && m.error.is_some()));
    }
}
