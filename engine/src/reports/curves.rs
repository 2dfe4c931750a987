//! Binary classification curves, step for step as scikit-learn computes them, so that a
//! notebook or a test can recompute every point: `roc_curve` (with its default
//! `drop_intermediate=True`), `precision_recall_curve` (with `drop_intermediate=True`),
//! `average_precision_score`,
//! `calibration_curve(n_bins=10, strategy="uniform")` and `brier_score_loss`.

use serde::{Deserialize, Serialize};

/// `_binary_clf_curve`: at each distinct score, highest first, the false and true
/// positives among the rows scored at least that high.
fn binary_clf_curve(positive: &[bool], score: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut order: Vec<usize> = (0..score.len()).collect();
    // np.argsort(y_score, kind="mergesort")[::-1]: descending, ties in reverse row order.
    order.sort_by(|&a, &b| score[a].total_cmp(&score[b]).then(a.cmp(&b)));
    order.reverse();
    let (mut fps, mut tps, mut thresholds) = (Vec::new(), Vec::new(), Vec::new());
    let (mut tp, mut fp) = (0.0, 0.0);
    for (i, &r) in order.iter().enumerate() {
        if positive[r] {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let last = i + 1 == order.len() || score[order[i + 1]] != score[r];
        if last {
            tps.push(tp);
            fps.push(fp);
            thresholds.push(score[r]);
        }
    }
    (fps, tps, thresholds)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Roc {
    pub fpr: Vec<f64>,
    pub tpr: Vec<f64>,
    /// The first threshold is +infinity in scikit-learn; JSON writes it as null.
    pub thresholds: Vec<Option<f64>>,
    pub auc: f64,
}

pub fn roc(positive: &[bool], score: &[f64]) -> Roc {
    let (mut fps, mut tps, mut th) = binary_clf_curve(positive, score);
    if fps.len() > 2 {
        // Keep the corners: points where the curve changes direction, and both ends.
        let n = fps.len();
        let keep: Vec<usize> = (0..n)
            .filter(|&i| {
                i == 0
                    || i == n - 1
                    || fps[i + 1] - 2.0 * fps[i] + fps[i - 1] != 0.0
                    || tps[i + 1] - 2.0 * tps[i] + tps[i - 1] != 0.0
            })
            .collect();
        fps = keep.iter().map(|&i| fps[i]).collect();
        tps = keep.iter().map(|&i| tps[i]).collect();
        th = keep.iter().map(|&i| th[i]).collect();
    }
    let (fp_total, tp_total) = (
        fps.last().copied().unwrap_or(0.0),
        tps.last().copied().unwrap_or(0.0),
    );
    let ratio = |x: f64, total: f64| if total > 0.0 { x / total } else { f64::NAN };
    let fpr: Vec<f64> = std::iter::once(0.0)
        .chain(fps.iter().map(|&f| ratio(f, fp_total)))
        .collect();
    let tpr: Vec<f64> = std::iter::once(0.0)
        .chain(tps.iter().map(|&t| ratio(t, tp_total)))
        .collect();
    // np.trapezoid(tpr, fpr)
    let auc = fpr
        .windows(2)
        .zip(tpr.windows(2))
        .map(|(x, y)| (x[1] - x[0]) * (y[0] + y[1]) / 2.0)
        .sum();
    Roc {
        fpr,
        tpr,
        thresholds: std::iter::once(None)
            .chain(th.into_iter().map(Some))
            .collect(),
        auc,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrCurve {
    pub precision: Vec<f64>,
    pub recall: Vec<f64>,
    pub thresholds: Vec<f64>,
    pub average_precision: f64,
}

/// `precision_recall_curve(drop_intermediate=True)`: of each run of thresholds with the
/// same true positives only the first and last are kept (the others add nothing to the
/// curve). The average precision is `average_precision_score`, from the full curve.
pub fn precision_recall(positive: &[bool], score: &[f64]) -> PrCurve {
    let (fps, tps, th) = binary_clf_curve(positive, score);
    let tp_total = tps.last().copied().unwrap_or(0.0);
    let curve = |keep: &dyn Fn(usize) -> bool| -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let idx: Vec<usize> = (0..fps.len()).filter(|&i| keep(i)).collect();
        let mut precision: Vec<f64> = idx
            .iter()
            .map(|&i| {
                let ps = fps[i] + tps[i];
                if ps > 0.0 {
                    tps[i] / ps
                } else {
                    0.0
                }
            })
            .collect();
        let mut recall: Vec<f64> = idx
            .iter()
            .map(|&i| {
                if tp_total > 0.0 {
                    tps[i] / tp_total
                } else {
                    1.0
                }
            })
            .collect();
        let mut thresholds: Vec<f64> = idx.iter().map(|&i| th[i]).collect();
        precision.reverse();
        recall.reverse();
        thresholds.reverse();
        precision.push(1.0);
        recall.push(0.0);
        (precision, recall, thresholds)
    };
    let (full_p, full_r, _) = curve(&|_| true);
    // -sum(diff(recall) * precision[:-1])
    let average_precision = -full_r
        .windows(2)
        .zip(&full_p)
        .map(|(r, p)| (r[1] - r[0]) * p)
        .sum::<f64>();
    let n = fps.len();
    let (precision, recall, thresholds) = if n > 2 {
        curve(&|i| i == 0 || i == n - 1 || tps[i] != tps[i - 1] || tps[i + 1] != tps[i])
    } else {
        curve(&|_| true)
    };
    PrCurve {
        precision,
        recall,
        thresholds,
        average_precision,
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Calibration {
    pub mean_predicted: Vec<f64>,
    pub fraction_positive: Vec<f64>,
    pub brier: f64,
}

pub fn calibration(positive: &[bool], proba: &[f64]) -> Calibration {
    // Ten equal-width bins; np.searchsorted(edges[1:-1], p) (side left).
    // np.linspace(0, 1, 11): i × 0.1 (so 0.30000000000000004), the last exactly 1.
    let edges: Vec<f64> = (0..=10)
        .map(|i| if i == 10 { 1.0 } else { i as f64 * 0.1 })
        .collect();
    let inner = &edges[1..10];
    let (mut sums, mut trues, mut totals) = ([0.0; 10], [0.0; 10], [0.0; 10]);
    for (&p, &pos) in proba.iter().zip(positive) {
        let b = inner.partition_point(|&e| e < p);
        sums[b] += p;
        totals[b] += 1.0;
        if pos {
            trues[b] += 1.0;
        }
    }
    let (mut mean_predicted, mut fraction_positive) = (Vec::new(), Vec::new());
    for b in 0..10 {
        if totals[b] > 0.0 {
            fraction_positive.push(trues[b] / totals[b]);
            mean_predicted.push(sums[b] / totals[b]);
        }
    }
    let n = proba.len().max(1) as f64;
    let brier = proba
        .iter()
        .zip(positive)
        .map(|(&p, &pos)| (p - if pos { 1.0 } else { 0.0 }).powi(2))
        .sum::<f64>()
        / n;
    Calibration {
        mean_predicted,
        fraction_positive,
        brier,
    }
}
