//! `quality.json`: a candidate's model quality on its validation predictions (the rows of
//! `validation_predictions.csv`): every metric with its standard deviation across folds,
//! and by problem type the confusion matrix, curves, per-class scores or residuals. Each
//! number follows scikit-learn's definition (`curves.rs`), so it can be recomputed.

use serde::{Deserialize, Serialize};

use super::curves::{calibration, precision_recall, roc, Calibration, PrCurve, Roc};
use crate::automl::metrics::{compute, Metric, Predictions, Truth};
use crate::data::ProblemType;

/// What a quality report is computed from.
pub struct QualityInput<'a> {
    pub candidate: &'a str,
    pub problem_type: ProblemType,
    /// Class labels in order; empty for regression.
    pub classes: &'a [String],
    pub positive: Option<usize>,
    /// Validation rows (ascending), their fold, and the truth: class id or value.
    pub rows: &'a [usize],
    pub fold_of_row: &'a [usize],
    pub truth: &'a [f64],
    pub predictions: &'a Predictions,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct MetricSummary {
    #[serde(rename = "MetricName")]
    pub name: String,
    #[serde(rename = "Value")]
    pub value: f64,
    /// Sample standard deviation (ddof 1) of the metric over the folds; null with one fold.
    #[serde(rename = "StandardDeviation")]
    pub standard_deviation: Option<f64>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Confusion {
    pub labels: Vec<String>,
    /// Rows: actual; columns: predicted (scikit-learn's `confusion_matrix`).
    pub matrix: Vec<Vec<u64>>,
    /// The same as percentages of all rows.
    #[serde(default)]
    pub percent: Vec<Vec<f64>>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct GainLift {
    pub fraction: f64,
    pub gain: f64,
    pub lift: f64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ThresholdRow {
    pub threshold: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub false_positive_rate: f64,
    pub predicted_positive: u64,
}

/// The binary-only parts, before they take their places in `Quality`.
struct Binary {
    positive_class: String,
    confusion_matrix: Confusion,
    best_f1_threshold: f64,
    best_f1: f64,
    confusion_matrix_at_best_f1: Confusion,
    roc: Roc,
    pr: PrCurve,
    gain_lift: Vec<GainLift>,
    calibration: Calibration,
    thresholds: Vec<ThresholdRow>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PerClass {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Histogram {
    pub edges: Vec<f64>,
    pub counts: Vec<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Residuals {
    /// Rows whose residual (actual − predicted) is over 3 standard deviations (ddof 1)
    /// from the mean residual.
    pub standardized_outlier_rows: Vec<usize>,
    pub histogram: Histogram,
    pub mean: f64,
    pub std: f64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Fit {
    /// Least squares line of the predicted on the actual values.
    pub slope: f64,
    pub intercept: f64,
    pub r2: f64,
}

/// `quality.json`. Which parts are present depends on the problem type (the others are
/// left out of the file).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Quality {
    pub candidate: String,
    pub problem_type: Option<ProblemType>,
    pub rows: usize,
    pub metrics: Vec<MetricSummary>,
    /// Binary: the class the curves are for; the predicted label is the more probable
    /// class (`threshold` 0.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positive_class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// Classification: actual × predicted label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confusion_matrix: Option<Confusion>,
    /// Binary: the threshold on the positive class's probability with the best F1
    /// (`p >= t` is positive), and the confusion matrix there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_f1_threshold: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_f1: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confusion_matrix_at_best_f1: Option<Confusion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roc: Option<Roc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr: Option<PrCurve>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gain_lift: Option<Vec<GainLift>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Calibration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<Vec<ThresholdRow>>,
    /// Multiclass: precision, recall, F1 and support per class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_class: Option<Vec<PerClass>>,
    /// Regression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residuals: Option<Residuals>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual_vs_predicted: Option<Fit>,
}

fn confusion(labels: &[String], actual: &[usize], predicted: &[usize]) -> Confusion {
    let k = labels.len();
    let mut matrix = vec![vec![0u64; k]; k];
    for (&a, &p) in actual.iter().zip(predicted) {
        if a < k && p < k {
            matrix[a][p] += 1;
        }
    }
    let n = actual.len().max(1) as f64;
    let percent = matrix
        .iter()
        .map(|row| row.iter().map(|&c| 100.0 * c as f64 / n).collect())
        .collect();
    Confusion {
        labels: labels.to_vec(),
        matrix,
        percent,
    }
}

fn metric_summaries(q: &QualityInput) -> Vec<MetricSummary> {
    let ids: Vec<usize> = q.truth.iter().map(|&v| v as usize).collect();
    let make = |idx: &[usize]| -> (Vec<usize>, Vec<f64>, Predictions) {
        (
            idx.iter().map(|&i| ids[i]).collect(),
            idx.iter().map(|&i| q.truth[i]).collect(),
            q.predictions.select(idx),
        )
    };
    let score = |m: Metric, y: &[usize], yv: &[f64], p: &Predictions| -> Option<f64> {
        let truth = if q.classes.is_empty() {
            Truth::Values(yv)
        } else {
            Truth::Classes {
                y,
                k: q.classes.len(),
                positive: q.positive.unwrap_or(0),
            }
        };
        compute(m, &truth, p)
    };
    let n_folds = q.fold_of_row.iter().copied().max().map_or(0, |m| m + 1);
    let folds: Vec<Vec<usize>> = (0..n_folds)
        .map(|f| {
            (0..q.rows.len())
                .filter(|&i| q.fold_of_row[i] == f)
                .collect()
        })
        .collect();
    Metric::report_set(q.problem_type)
        .into_iter()
        .filter_map(|m| {
            let value = score(m, &ids, q.truth, q.predictions)?;
            let per_fold: Vec<f64> = folds
                .iter()
                .filter(|f| !f.is_empty())
                .filter_map(|f| {
                    let (y, yv, p) = make(f);
                    score(m, &y, &yv, &p)
                })
                .collect();
            let standard_deviation = (per_fold.len() > 1).then(|| {
                let n = per_fold.len() as f64;
                let mean = per_fold.iter().sum::<f64>() / n;
                (per_fold.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
            });
            Some(MetricSummary {
                name: m.as_str().to_string(),
                value,
                standard_deviation,
            })
        })
        .collect()
}

fn binary(q: &QualityInput, p: &[f64], k: usize) -> Binary {
    let pos = q.positive.unwrap_or(1.min(k - 1));
    let actual: Vec<usize> = q.truth.iter().map(|&v| v as usize).collect();
    let is_pos: Vec<bool> = actual.iter().map(|&a| a == pos).collect();
    let score: Vec<f64> = p.chunks(k).map(|row| row[pos]).collect();
    let predicted = q.predictions.classes();
    let n_pos = is_pos.iter().filter(|&&b| b).count() as f64;
    let n_neg = is_pos.len() as f64 - n_pos;
    // Threshold scan: p >= t is positive.
    let at = |t: f64| -> (f64, f64, f64, f64, u64) {
        let (mut tp, mut fp) = (0.0, 0.0);
        for (&s, &y) in score.iter().zip(&is_pos) {
            if s >= t {
                if y {
                    tp += 1.0;
                } else {
                    fp += 1.0;
                }
            }
        }
        let precision = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
        let recall = if n_pos > 0.0 { tp / n_pos } else { 0.0 };
        let f1 = if tp > 0.0 {
            2.0 * tp / (2.0 * tp + fp + (n_pos - tp))
        } else {
            0.0
        };
        let fpr = if n_neg > 0.0 { fp / n_neg } else { 0.0 };
        (precision, recall, f1, fpr, (tp + fp) as u64)
    };
    // F1 at every distinct score as the threshold, from the cumulative counts of the
    // precision-recall curve (highest threshold first); the lowest threshold wins a tie.
    let pr = precision_recall(&is_pos, &score);
    let (mut best_t, mut best_f1) = (0.5, -1.0);
    for (i, &t) in pr.thresholds.iter().enumerate() {
        let (p, r) = (pr.precision[i], pr.recall[i]);
        let f1 = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        if f1 > best_f1 {
            (best_t, best_f1) = (t, f1);
        }
    }
    let at_best: Vec<usize> = score
        .iter()
        .map(|&s| if s >= best_t { pos } else { 1 - pos })
        .collect();
    // Cumulative gain and lift by decile: rows by score, highest first (ties in row order).
    let mut order: Vec<usize> = (0..score.len()).collect();
    order.sort_by(|&a, &b| score[b].total_cmp(&score[a]).then(a.cmp(&b)));
    let gain_lift = (1..=10)
        .map(|d| {
            let fraction = d as f64 / 10.0;
            let top = ((score.len() as f64 * fraction).ceil() as usize).min(score.len());
            let hits = order[..top].iter().filter(|&&r| is_pos[r]).count() as f64;
            let gain = if n_pos > 0.0 { hits / n_pos } else { 0.0 };
            GainLift {
                fraction,
                gain,
                lift: gain / fraction,
            }
        })
        .collect();
    let thresholds = (1..20)
        .map(|i| {
            let t = i as f64 * 0.05;
            let (precision, recall, f1, false_positive_rate, predicted_positive) = at(t);
            ThresholdRow {
                threshold: t,
                precision,
                recall,
                f1,
                false_positive_rate,
                predicted_positive,
            }
        })
        .collect();
    Binary {
        positive_class: q.classes.get(pos).cloned().unwrap_or_default(),
        confusion_matrix: confusion(q.classes, &actual, &predicted),
        best_f1_threshold: best_t,
        best_f1: best_f1.max(0.0),
        confusion_matrix_at_best_f1: confusion(q.classes, &actual, &at_best),
        roc: roc(&is_pos, &score),
        pr,
        gain_lift,
        calibration: calibration(&is_pos, &score),
        thresholds,
    }
}

fn per_class(q: &QualityInput) -> Vec<PerClass> {
    let actual: Vec<usize> = q.truth.iter().map(|&v| v as usize).collect();
    let predicted = q.predictions.classes();
    (0..q.classes.len())
        .map(|c| {
            let tp = actual
                .iter()
                .zip(&predicted)
                .filter(|(a, p)| **a == c && **p == c)
                .count() as f64;
            let predicted_c = predicted.iter().filter(|p| **p == c).count() as f64;
            let support = actual.iter().filter(|a| **a == c).count();
            let precision = if predicted_c > 0.0 {
                tp / predicted_c
            } else {
                0.0
            };
            let recall = if support > 0 {
                tp / support as f64
            } else {
                0.0
            };
            let f1 = if precision + recall > 0.0 {
                2.0 * tp / (predicted_c + support as f64)
            } else {
                0.0
            };
            PerClass {
                label: q.classes[c].clone(),
                precision,
                recall,
                f1,
                support: support as u64,
            }
        })
        .collect()
}

fn regression(q: &QualityInput, predicted: &[f64]) -> (Residuals, Fit) {
    let actual = q.truth;
    let residual: Vec<f64> = actual.iter().zip(predicted).map(|(a, p)| a - p).collect();
    let n = residual.len() as f64;
    let mean = residual.iter().sum::<f64>() / n;
    let std =
        (residual.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
    let standardized_outlier_rows = residual
        .iter()
        .zip(q.rows)
        .filter(|(r, _)| std > 0.0 && ((*r - mean) / std).abs() > 3.0)
        .map(|(_, &row)| row)
        .collect();
    let mut sorted = residual.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let h = crate::profile::stats::histogram(&sorted, 20);
    let ma = actual.iter().sum::<f64>() / n;
    let mp = predicted.iter().sum::<f64>() / n;
    let sxx: f64 = actual.iter().map(|a| (a - ma).powi(2)).sum();
    let sxy: f64 = actual
        .iter()
        .zip(predicted)
        .map(|(a, p)| (a - ma) * (p - mp))
        .sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let r2 = compute(
        Metric::R2,
        &Truth::Values(actual),
        &Predictions::Values(predicted.to_vec()),
    )
    .unwrap_or(f64::NAN);
    (
        Residuals {
            standardized_outlier_rows,
            histogram: Histogram {
                edges: h.edges,
                counts: h.counts,
            },
            mean,
            std,
        },
        Fit {
            slope,
            intercept: mp - slope * ma,
            r2,
        },
    )
}

/// The model quality report of one candidate.
pub fn quality(q: &QualityInput) -> Quality {
    let mut out = Quality {
        candidate: q.candidate.to_string(),
        problem_type: Some(q.problem_type),
        rows: q.rows.len(),
        metrics: metric_summaries(q),
        ..Quality::default()
    };
    match q.predictions {
        Predictions::Proba { p, k } if *k == 2 => {
            let b = binary(q, p, *k);
            out.positive_class = Some(b.positive_class);
            out.threshold = Some(0.5);
            out.confusion_matrix = Some(b.confusion_matrix);
            out.best_f1_threshold = Some(b.best_f1_threshold);
            out.best_f1 = Some(b.best_f1);
            out.confusion_matrix_at_best_f1 = Some(b.confusion_matrix_at_best_f1);
            out.roc = Some(b.roc);
            out.pr = Some(b.pr);
            out.gain_lift = Some(b.gain_lift);
            out.calibration = Some(b.calibration);
            out.thresholds = Some(b.thresholds);
        }
        Predictions::Proba { .. } => {
            let actual: Vec<usize> = q.truth.iter().map(|&v| v as usize).collect();
            out.confusion_matrix = Some(confusion(q.classes, &actual, &q.predictions.classes()));
            out.per_class = Some(per_class(q));
        }
        Predictions::Values(v) => {
            let (residuals, fit) = regression(q, v);
            out.residuals = Some(residuals);
            out.actual_vs_predicted = Some(fit);
        }
    }
    out
}
