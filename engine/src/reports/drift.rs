//! Data drift between the rows a model was trained on (the baseline) and the rows it has
//! been asked about since (captured by an endpoint), column by column, typed as the model
//! types them:
//! - numbers and dates: the population stability index over ten quantile bins of the
//!   baseline (PSI = Σ (a − e) · ln(a / e), shares floored at 1e-4), and the two-sample
//!   Kolmogorov–Smirnov statistic (largest gap between the empirical CDFs);
//! - categories: the Jensen–Shannon divergence (base 2) of the level shares, and the
//!   levels the baseline never had;
//! - every column: the change in its missing-value rate;
//! - the predictions: the same, on the predicted labels (or values).
//!
//! Severities: PSI ≥ 0.25, KS ≥ 0.2 or JS ≥ 0.1 is high; PSI ≥ 0.1, KS ≥ 0.1 or JS ≥ 0.05
//! medium; a missing rate that moves by 10 points or more is medium at least; unseen
//! levels in more than 5 % of the rows are high. Text columns are left out (their words
//! are not compared).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data::{Column, Values};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ColumnDrift {
    pub column: String,
    pub kind: String,
    pub psi: Option<f64>,
    pub ks: Option<f64>,
    pub js: Option<f64>,
    pub baseline_missing_rate: f64,
    pub current_missing_rate: f64,
    /// Levels seen now that the baseline never had, with their counts (a few).
    pub unseen: Vec<(String, usize)>,
    pub unseen_rate: f64,
    /// none | medium | high
    pub severity: String,
    /// Why, in words.
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DriftReport {
    pub baseline_rows: usize,
    pub current_rows: usize,
    pub columns: Vec<ColumnDrift>,
    /// The predictions' drift (predicted labels or values), when given.
    pub predictions: Option<ColumnDrift>,
    /// The worst column severity.
    pub severity: String,
}

fn rate(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 / of as f64
    }
}

/// PSI over ten quantile bins of the baseline's finite values.
pub fn psi(baseline: &[f64], current: &[f64]) -> Option<f64> {
    let mut b: Vec<f64> = baseline.iter().copied().filter(|x| x.is_finite()).collect();
    let c: Vec<f64> = current.iter().copied().filter(|x| x.is_finite()).collect();
    if b.is_empty() || c.is_empty() {
        return None;
    }
    b.sort_by(f64::total_cmp);
    let mut edges: Vec<f64> = (1..10)
        .map(|i| b[(i * b.len() / 10).min(b.len() - 1)])
        .collect();
    edges.dedup();
    let bin = |x: f64| edges.partition_point(|&e| e < x);
    let shares = |xs: &[f64]| {
        let mut counts = vec![0usize; edges.len() + 1];
        for &x in xs {
            counts[bin(x)] += 1;
        }
        counts
            .into_iter()
            .map(|n| (n as f64 / xs.len() as f64).max(1e-4))
            .collect::<Vec<_>>()
    };
    let (e, a) = (shares(&b), shares(&c));
    Some(e.iter().zip(&a).map(|(e, a)| (a - e) * (a / e).ln()).sum())
}

/// The two-sample Kolmogorov–Smirnov statistic.
pub fn ks(baseline: &[f64], current: &[f64]) -> Option<f64> {
    let mut b: Vec<f64> = baseline.iter().copied().filter(|x| x.is_finite()).collect();
    let mut c: Vec<f64> = current.iter().copied().filter(|x| x.is_finite()).collect();
    if b.is_empty() || c.is_empty() {
        return None;
    }
    b.sort_by(f64::total_cmp);
    c.sort_by(f64::total_cmp);
    let (mut i, mut j, mut d) = (0, 0, 0.0f64);
    while i < b.len() && j < c.len() {
        let x = b[i].min(c[j]);
        while i < b.len() && b[i] <= x {
            i += 1;
        }
        while j < c.len() && c[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / b.len() as f64 - j as f64 / c.len() as f64).abs());
    }
    Some(d)
}

/// Jensen–Shannon divergence (base 2) of two count tables.
pub fn js(baseline: &BTreeMap<String, usize>, current: &BTreeMap<String, usize>) -> Option<f64> {
    let (nb, nc): (usize, usize) = (baseline.values().sum(), current.values().sum());
    if nb == 0 || nc == 0 {
        return None;
    }
    let keys: std::collections::BTreeSet<&String> = baseline.keys().chain(current.keys()).collect();
    let kl = |p: f64, m: f64| if p > 0.0 { p * (p / m).log2() } else { 0.0 };
    let mut d = 0.0;
    for k in keys {
        let p = *baseline.get(k).unwrap_or(&0) as f64 / nb as f64;
        let q = *current.get(k).unwrap_or(&0) as f64 / nc as f64;
        let m = (p + q) / 2.0;
        d += 0.5 * kl(p, m) + 0.5 * kl(q, m);
    }
    Some(d)
}

fn counts(c: &Column) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for i in 0..c.values.len() {
        if let Some(l) = c.values.label(i) {
            *m.entry(l.to_string()).or_insert(0) += 1;
        }
    }
    m
}

fn level(v: f64, high: f64, medium: f64) -> u8 {
    if v >= high {
        2
    } else if v >= medium {
        1
    } else {
        0
    }
}

const SEVERITY: [&str; 3] = ["none", "medium", "high"];

/// One column's drift; `None` for text columns and keys (new keys are the rule for them).
pub fn column_drift(baseline: &Column, current: &Column) -> Option<ColumnDrift> {
    if baseline.kind == crate::data::ColumnKind::Id {
        return None;
    }
    let (nb, nc) = (baseline.values.len(), current.values.len());
    let (mb, mc) = (rate(baseline.missing, nb), rate(current.missing, nc));
    let mut d = ColumnDrift {
        column: baseline.name.clone(),
        kind: baseline.kind.as_str().to_string(),
        psi: None,
        ks: None,
        js: None,
        baseline_missing_rate: mb,
        current_missing_rate: mc,
        unseen: vec![],
        unseen_rate: 0.0,
        severity: String::new(),
        reasons: vec![],
    };
    let mut worst = 0u8;
    match (&baseline.values, &current.values) {
        (Values::Text(_), _) | (_, Values::Text(_)) => return None,
        (Values::Categorical { .. }, Values::Categorical { .. }) => {
            let (cb, cc) = (counts(baseline), counts(current));
            d.js = js(&cb, &cc);
            if let Some(v) = d.js {
                let l = level(v, 0.1, 0.05);
                if l > 0 {
                    d.reasons
                        .push(format!("the level shares moved (JS divergence {v:.3})"));
                }
                worst = worst.max(l);
            }
            let mut unseen: Vec<(String, usize)> = cc
                .iter()
                .filter(|(k, _)| !cb.contains_key(*k))
                .map(|(k, n)| (k.clone(), *n))
                .collect();
            let total: usize = unseen.iter().map(|u| u.1).sum();
            d.unseen_rate = rate(total, nc);
            unseen.sort_by_key(|u| std::cmp::Reverse(u.1));
            unseen.truncate(10);
            if !unseen.is_empty() {
                d.reasons.push(format!(
                    "{:.1} % of the rows have levels never seen in training",
                    d.unseen_rate * 100.0
                ));
                worst = worst.max(if d.unseen_rate > 0.05 { 2 } else { 1 });
            }
            d.unseen = unseen;
        }
        (b, c) => {
            let (Some(b), Some(c)) = (b.numbers(), c.numbers()) else {
                return None;
            };
            d.psi = psi(b, c);
            d.ks = ks(b, c);
            if let Some(v) = d.psi {
                let l = level(v, 0.25, 0.1);
                if l > 0 {
                    d.reasons
                        .push(format!("the distribution moved (PSI {v:.3})"));
                }
                worst = worst.max(l);
            }
            if let Some(v) = d.ks {
                let l = level(v, 0.2, 0.1);
                if l > 0 {
                    d.reasons
                        .push(format!("the CDFs differ by up to {v:.3} (KS)"));
                }
                worst = worst.max(l);
            }
        }
    }
    if (mc - mb).abs() >= 0.1 {
        d.reasons.push(format!(
            "the missing rate went from {:.1} % to {:.1} %",
            mb * 100.0,
            mc * 100.0
        ));
        worst = worst.max(1);
    }
    d.severity = SEVERITY[worst as usize].into();
    Some(d)
}

/// The report: each input column (typed alike), then the predictions (labels as a
/// categorical column, values as a numeric one), when both are given.
pub fn drift_report(
    baseline: &[Column],
    current: &[Column],
    predictions: Option<(&Column, &Column)>,
) -> DriftReport {
    let columns: Vec<ColumnDrift> = baseline
        .iter()
        .zip(current)
        .filter_map(|(b, c)| column_drift(b, c))
        .collect();
    let predictions = predictions.and_then(|(b, c)| column_drift(b, c));
    let severity = columns
        .iter()
        .chain(predictions.iter())
        .map(|c| SEVERITY.iter().position(|s| *s == c.severity).unwrap_or(0))
        .max()
        .unwrap_or(0);
    DriftReport {
        baseline_rows: baseline.first().map_or(0, |c| c.values.len()),
        current_rows: current.first().map_or(0, |c| c.values.len()),
        columns,
        predictions,
        severity: SEVERITY[severity].into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psi_ks_and_js_see_a_shift_and_not_its_absence() {
        let base: Vec<f64> = (0..1000).map(|i| (i % 100) as f64).collect();
        let same: Vec<f64> = (0..500).map(|i| (i * 7 % 100) as f64).collect();
        let moved: Vec<f64> = base.iter().map(|x| x + 40.0).collect();
        assert!(psi(&base, &same).unwrap() < 0.02);
        assert!(psi(&base, &moved).unwrap() > 1.0);
        assert!(ks(&base, &same).unwrap() < 0.05);
        assert!((ks(&base, &moved).unwrap() - 0.4).abs() < 1e-9);
        // scipy.stats.ks_2samp([1, 2, 3], [2, 3, 4, 5]).statistic == 0.5
        assert_eq!(ks(&[1.0, 2.0, 3.0], &[2.0, 3.0, 4.0, 5.0]), Some(0.5));
        let t = |p: &[(&str, usize)]| p.iter().map(|(k, n)| (k.to_string(), *n)).collect();
        assert_eq!(
            js(&t(&[("a", 5), ("b", 5)]), &t(&[("a", 1), ("b", 1)])),
            Some(0.0)
        );
        assert!((js(&t(&[("a", 1)]), &t(&[("b", 1)])).unwrap() - 1.0).abs() < 1e-12);
    }
}
