//! Objective and report metrics, defined exactly as scikit-learn defines them.
//!
//! Binary metrics (F1, Precision, Recall) are computed for the positive class, which is the
//! minority class of the training labels (on a tie, the later label in sorted order); the
//! job description says which label that is. AUC comes from ranks with ties averaged
//! (the Mann-Whitney statistic); for more than two classes it is the one-vs-rest macro
//! average, as `roc_auc_score(multi_class="ovr")`.

use serde::{Deserialize, Serialize};

use crate::data::ProblemType;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Metric {
    Accuracy,
    BalancedAccuracy,
    F1,
    F1macro,
    Precision,
    PrecisionMacro,
    Recall,
    RecallMacro,
    AUC,
    LogLoss,
    MSE,
    RMSE,
    MAE,
    R2,
}

pub const ALL_METRICS: [Metric; 14] = [
    Metric::Accuracy,
    Metric::BalancedAccuracy,
    Metric::F1,
    Metric::F1macro,
    Metric::Precision,
    Metric::PrecisionMacro,
    Metric::Recall,
    Metric::RecallMacro,
    Metric::AUC,
    Metric::LogLoss,
    Metric::MSE,
    Metric::RMSE,
    Metric::MAE,
    Metric::R2,
];

impl Metric {
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Accuracy => "Accuracy",
            Metric::BalancedAccuracy => "BalancedAccuracy",
            Metric::F1 => "F1",
            Metric::F1macro => "F1macro",
            Metric::Precision => "Precision",
            Metric::PrecisionMacro => "PrecisionMacro",
            Metric::Recall => "Recall",
            Metric::RecallMacro => "RecallMacro",
            Metric::AUC => "AUC",
            Metric::LogLoss => "LogLoss",
            Metric::MSE => "MSE",
            Metric::RMSE => "RMSE",
            Metric::MAE => "MAE",
            Metric::R2 => "R2",
        }
    }

    pub fn parse(s: &str) -> Option<Metric> {
        ALL_METRICS
            .iter()
            .copied()
            .find(|m| m.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// Whether a larger value is better.
    pub fn maximize(self) -> bool {
        !matches!(
            self,
            Metric::LogLoss | Metric::MSE | Metric::RMSE | Metric::MAE
        )
    }

    pub fn for_classification(self) -> bool {
        !matches!(self, Metric::MSE | Metric::RMSE | Metric::MAE | Metric::R2)
    }

    /// Metrics only defined for two classes.
    pub fn binary_only(self) -> bool {
        matches!(self, Metric::F1 | Metric::Precision | Metric::Recall)
    }

    /// Whether this metric can score `problem`: the one home of the metric ↔ problem-type
    /// rule (the job checks it, whichever edge the job came from).
    pub fn check_fits(self, problem: ProblemType) -> Result<(), String> {
        if problem.is_classification() != self.for_classification() {
            let kind = if problem.is_classification() {
                "classification"
            } else {
                "regression"
            };
            return Err(format!(
                "{} is not a {kind} metric, and the problem is {}",
                self.as_str(),
                problem.as_str()
            ));
        }
        if problem == ProblemType::MulticlassClassification && self.binary_only() {
            let instead = match self {
                Metric::Precision => Metric::PrecisionMacro,
                Metric::Recall => Metric::RecallMacro,
                _ => Metric::F1macro,
            };
            return Err(format!(
                "{} is for binary classification; use {} for {}",
                self.as_str(),
                instead.as_str(),
                problem.as_str()
            ));
        }
        Ok(())
    }

    /// Autopilot's defaults: F1 for binary, Accuracy for multiclass, MSE for regression.
    pub fn default_for(p: ProblemType) -> Metric {
        match p {
            ProblemType::BinaryClassification => Metric::F1,
            ProblemType::MulticlassClassification => Metric::Accuracy,
            ProblemType::Regression => Metric::MSE,
        }
    }

    /// The metrics reported for every candidate of a problem type.
    pub fn report_set(p: ProblemType) -> Vec<Metric> {
        match p {
            ProblemType::BinaryClassification => ALL_METRICS
                .iter()
                .copied()
                .filter(|m| m.for_classification())
                .collect(),
            ProblemType::MulticlassClassification => ALL_METRICS
                .iter()
                .copied()
                .filter(|m| m.for_classification() && !m.binary_only())
                .collect(),
            ProblemType::Regression => vec![Metric::MSE, Metric::RMSE, Metric::MAE, Metric::R2],
        }
    }

    /// Turn a value into a score where larger is better (for ranking).
    pub fn score(self, value: f64) -> f64 {
        if self.maximize() {
            value
        } else {
            -value
        }
    }
}

/// What a model predicts for a set of rows.
#[derive(Debug, Clone, PartialEq)]
pub enum Predictions {
    /// Row-major probabilities, `n × k`, classes in label order.
    Proba {
        p: Vec<f64>,
        k: usize,
    },
    Values(Vec<f64>),
}

impl Predictions {
    pub fn len(&self) -> usize {
        match self {
            Predictions::Proba { p, k } => p.len() / k,
            Predictions::Values(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Predicted class per row: the first class of highest probability (numpy's argmax).
    pub fn classes(&self) -> Vec<usize> {
        match self {
            Predictions::Proba { p, k } => p
                .chunks(*k)
                .map(|row| {
                    let mut best = 0;
                    for j in 1..row.len() {
                        if row[j] > row[best] {
                            best = j;
                        }
                    }
                    best
                })
                .collect(),
            Predictions::Values(v) => v.iter().map(|x| x.round().max(0.0) as usize).collect(),
        }
    }

    /// Keep the rows at `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> Predictions {
        match self {
            Predictions::Proba { p, k } => Predictions::Proba {
                p: idx
                    .iter()
                    .flat_map(|&i| p[i * k..(i + 1) * k].iter().copied())
                    .collect(),
                k: *k,
            },
            Predictions::Values(v) => Predictions::Values(idx.iter().map(|&i| v[i]).collect()),
        }
    }
}

/// Ground truth: class ids (`0..k`) or numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Truth<'a> {
    Classes {
        y: &'a [usize],
        k: usize,
        positive: usize,
    },
    Values(&'a [f64]),
}

/// Average ranks (1-based) with ties sharing the mean rank, as scipy's `rankdata`.
fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for t in i..=j {
            ranks[idx[t]] = r;
        }
        i = j + 1;
    }
    ranks
}

/// Binary AUC of `score` for `positive` rows (Mann-Whitney with tie-averaged ranks).
pub fn binary_auc(positive: &[bool], score: &[f64]) -> Option<f64> {
    let n_pos = positive.iter().filter(|&&p| p).count() as f64;
    let n_neg = positive.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return None;
    }
    let ranks = average_ranks(score);
    let sum_pos: f64 = ranks
        .iter()
        .zip(positive)
        .filter(|(_, &p)| p)
        .map(|(r, _)| r)
        .sum();
    Some((sum_pos - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg))
}

struct Confusion {
    tp: Vec<f64>,
    fp: Vec<f64>,
    fn_: Vec<f64>,
    support: Vec<f64>,
    present: Vec<bool>,
}

fn confusion(y: &[usize], pred: &[usize], k: usize) -> Confusion {
    let mut c = Confusion {
        tp: vec![0.0; k],
        fp: vec![0.0; k],
        fn_: vec![0.0; k],
        support: vec![0.0; k],
        present: vec![false; k],
    };
    for (&t, &p) in y.iter().zip(pred) {
        c.support[t] += 1.0;
        c.present[t] = true;
        c.present[p] = true;
        if t == p {
            c.tp[t] += 1.0;
        } else {
            c.fp[p] += 1.0;
            c.fn_[t] += 1.0;
        }
    }
    c
}

fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        a / b
    }
}

impl Confusion {
    fn precision(&self, c: usize) -> f64 {
        ratio(self.tp[c], self.tp[c] + self.fp[c])
    }
    fn recall(&self, c: usize) -> f64 {
        ratio(self.tp[c], self.tp[c] + self.fn_[c])
    }
    fn f1(&self, c: usize) -> f64 {
        ratio(
            2.0 * self.tp[c],
            2.0 * self.tp[c] + self.fp[c] + self.fn_[c],
        )
    }
    /// Macro average over labels present in the truth or the predictions (sklearn).
    fn macro_avg(&self, f: impl Fn(usize) -> f64) -> f64 {
        let labels: Vec<usize> = (0..self.tp.len()).filter(|&c| self.present[c]).collect();
        labels.iter().map(|&c| f(c)).sum::<f64>() / labels.len().max(1) as f64
    }
}

/// Compute one metric. Returns `None` where it is undefined (e.g. AUC with one class).
pub fn compute(metric: Metric, truth: &Truth, pred: &Predictions) -> Option<f64> {
    match (truth, pred) {
        (Truth::Values(y), Predictions::Values(p)) => {
            let n = y.len() as f64;
            if y.is_empty() {
                return None;
            }
            let sse: f64 = y.iter().zip(p.iter()).map(|(a, b)| (a - b) * (a - b)).sum();
            Some(match metric {
                Metric::MSE => sse / n,
                Metric::RMSE => (sse / n).sqrt(),
                Metric::MAE => {
                    y.iter()
                        .zip(p.iter())
                        .map(|(a, b)| (a - b).abs())
                        .sum::<f64>()
                        / n
                }
                Metric::R2 => {
                    let mean = y.iter().sum::<f64>() / n;
                    let sst: f64 = y.iter().map(|a| (a - mean) * (a - mean)).sum();
                    if sst == 0.0 {
                        if sse == 0.0 {
                            1.0
                        } else {
                            0.0
                        }
                    } else {
                        1.0 - sse / sst
                    }
                }
                _ => return None,
            })
        }
        (Truth::Classes { y, k, positive }, Predictions::Proba { p, .. }) => {
            if y.is_empty() {
                return None;
            }
            let (k, positive) = (*k, *positive);
            let classes = pred.classes();
            let c = confusion(y, &classes, k);
            let n = y.len() as f64;
            Some(match metric {
                Metric::Accuracy => c.tp.iter().sum::<f64>() / n,
                Metric::BalancedAccuracy => {
                    let present: Vec<usize> = (0..k).filter(|&j| c.support[j] > 0.0).collect();
                    present.iter().map(|&j| c.recall(j)).sum::<f64>() / present.len() as f64
                }
                Metric::F1 => c.f1(positive),
                Metric::Precision => c.precision(positive),
                Metric::Recall => c.recall(positive),
                Metric::F1macro => c.macro_avg(|j| c.f1(j)),
                Metric::PrecisionMacro => c.macro_avg(|j| c.precision(j)),
                Metric::RecallMacro => c.macro_avg(|j| c.recall(j)),
                Metric::LogLoss => {
                    let eps = f64::EPSILON;
                    let mut total = 0.0;
                    for (i, &t) in y.iter().enumerate() {
                        let row = &p[i * k..(i + 1) * k];
                        let s: f64 = row.iter().sum();
                        let q = (row[t] / s).clamp(eps, 1.0 - eps);
                        total -= q.ln();
                    }
                    total / n
                }
                Metric::AUC => {
                    if k == 2 {
                        let pos: Vec<bool> = y.iter().map(|&t| t == positive).collect();
                        let score: Vec<f64> = (0..y.len()).map(|i| p[i * k + positive]).collect();
                        binary_auc(&pos, &score)?
                    } else {
                        let mut total = 0.0;
                        for j in 0..k {
                            let pos: Vec<bool> = y.iter().map(|&t| t == j).collect();
                            let score: Vec<f64> = (0..y.len()).map(|i| p[i * k + j]).collect();
                            total += binary_auc(&pos, &score)?;
                        }
                        total / k as f64
                    }
                }
                _ => return None,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) {
        let a = a.expect("defined");
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
    }

    #[test]
    fn binary_matches_sklearn() {
        let y = [0, 1, 1, 0, 1, 0, 0, 1, 1, 1];
        let p1 = [0.1, 0.9, 0.35, 0.35, 0.8, 0.2, 0.6, 0.7, 0.4, 0.35];
        let pred = Predictions::Proba {
            p: p1.iter().flat_map(|&q| [1.0 - q, q]).collect(),
            k: 2,
        };
        let t = Truth::Classes {
            y: &y,
            k: 2,
            positive: 1,
        };
        // sklearn 1.9.1 on the same vectors.
        close(compute(Metric::Accuracy, &t, &pred), 0.6);
        close(compute(Metric::BalancedAccuracy, &t, &pred), 0.625);
        close(compute(Metric::F1, &t, &pred), 0.6);
        close(compute(Metric::Precision, &t, &pred), 0.75);
        close(compute(Metric::Recall, &t, &pred), 0.5);
        close(compute(Metric::AUC, &t, &pred), 0.833_333_333_333_333_3);
        close(compute(Metric::LogLoss, &t, &pred), 0.537_669_170_672_092_4);
        close(compute(Metric::F1macro, &t, &pred), 0.6);
        close(compute(Metric::PrecisionMacro, &t, &pred), 0.625);
        close(compute(Metric::RecallMacro, &t, &pred), 0.625);
        let t0 = Truth::Classes {
            y: &y,
            k: 2,
            positive: 0,
        };
        close(compute(Metric::F1, &t0, &pred), 0.6);
    }

    #[test]
    fn multiclass_matches_sklearn() {
        let y = [0, 1, 2, 2, 1, 0, 2, 1];
        let rows = [
            [0.7, 0.2, 0.1],
            [0.1, 0.6, 0.3],
            [0.2, 0.2, 0.6],
            [0.3, 0.4, 0.3],
            [0.5, 0.4, 0.1],
            [0.4, 0.3, 0.3],
            [0.1, 0.1, 0.8],
            [0.3, 0.3, 0.4],
        ];
        let pred = Predictions::Proba {
            p: rows.iter().flatten().copied().collect(),
            k: 3,
        };
        assert_eq!(pred.classes(), vec![0, 1, 2, 1, 0, 0, 2, 2]);
        let t = Truth::Classes {
            y: &y,
            k: 3,
            positive: 0,
        };
        close(compute(Metric::Accuracy, &t, &pred), 0.625);
        close(
            compute(Metric::BalancedAccuracy, &t, &pred),
            0.666_666_666_666_666_6,
        );
        close(compute(Metric::F1macro, &t, &pred), 0.622_222_222_222_222_2);
        close(
            compute(Metric::PrecisionMacro, &t, &pred),
            0.611_111_111_111_111,
        );
        close(
            compute(Metric::RecallMacro, &t, &pred),
            0.666_666_666_666_666_6,
        );
        close(compute(Metric::AUC, &t, &pred), 0.883_333_333_333_333_3);
        close(compute(Metric::LogLoss, &t, &pred), 0.730_249_601_898_138_3);
    }

    #[test]
    fn regression_matches_sklearn() {
        let y = [3.0, -0.5, 2.0, 7.0, 4.2];
        let p = Predictions::Values(vec![2.5, 0.0, 2.0, 8.0, 3.9]);
        let t = Truth::Values(&y);
        close(compute(Metric::MSE, &t, &p), 318.0 / 1000.0);
        close(compute(Metric::RMSE, &t, &p), 0.563_914_887_194_867_4);
        close(compute(Metric::MAE, &t, &p), 0.460_000_000_000_000_1);
        close(compute(Metric::R2, &t, &p), 0.948_025_627_615_062_7);
    }

    #[test]
    fn names_round_trip() {
        for m in ALL_METRICS {
            assert_eq!(Metric::parse(m.as_str()), Some(m));
        }
        assert_eq!(Metric::parse("f1MACRO"), Some(Metric::F1macro));
        assert_eq!(Metric::parse("Gini"), None);
    }
}
