//! Prediction power: how well one column alone predicts the target.
//!
//! As in Autopilot, a small model is trained on the single column and scored on held-out
//! rows, normalised against a trivial baseline: 0 means no better than always predicting
//! the training prior, 1 means perfect. The model groups rows into bins — ten quantile bins
//! (numpy's linear quantiles) for numbers and dates, one bin per category, word-count deciles
//! and one bin for missing cells — and predicts the training mean (regression) or class
//! frequencies (classification) of the row's bin. Text is read by its words instead: a
//! multinomial naive Bayes over word counts (scikit-learn's `CountVectorizer` and
//! `MultinomialNB`, alpha 1) predicts the classes, or, for a numeric target, the ten
//! quantile bins of the target, whose probabilities weight the bins' training means. The
//! score is `1 - loss(model) / loss(prior)` on the validation rows, with squared error for
//! regression and the Brier score for classification, clipped to [0, 1].

use std::collections::HashMap;

use super::sample::{is_validation, stride_sample, SAMPLE_ROWS};
use super::stats::quantile_sorted;
use crate::data::{Column, TargetValues, Values};

/// The rows used for prediction power: a stride sample of rows with a target, split 80/20.
pub struct PowerSample {
    pub train: Vec<usize>,
    pub valid: Vec<usize>,
}

pub fn power_sample(target: &TargetValues) -> PowerSample {
    let eligible: Vec<usize> = (0..target.len()).filter(|&r| target.present(r)).collect();
    let picks = stride_sample(eligible.len(), SAMPLE_ROWS);
    let (mut train, mut valid) = (Vec::new(), Vec::new());
    for (i, p) in picks.into_iter().enumerate() {
        if is_validation(i) {
            valid.push(eligible[p]);
        } else {
            train.push(eligible[p]);
        }
    }
    PowerSample { train, valid }
}

const MISSING_BIN: usize = usize::MAX;

/// Ten quantile bins of the training rows' values (numpy's linear quantiles, edges
/// deduplicated, `np.searchsorted(edges, v, side="right")`); NaN is `MISSING_BIN`.
fn quantile_bins(x: &[f64], train: &[usize]) -> Vec<usize> {
    let mut t: Vec<f64> = train
        .iter()
        .map(|&r| x[r])
        .filter(|v| !v.is_nan())
        .collect();
    t.sort_unstable_by(|a, b| a.total_cmp(b));
    let mut edges: Vec<f64> = (1..10)
        .map(|k| quantile_sorted(&t, k as f64 / 10.0))
        .collect();
    edges.dedup();
    x.iter()
        .map(|&v| {
            if v.is_nan() {
                MISSING_BIN
            } else {
                edges.partition_point(|&e| e <= v)
            }
        })
        .collect()
}

/// Bin assignment of every row for one non-text column, fitted on the training rows.
fn bins(column: &Column, train: &[usize]) -> Vec<usize> {
    match &column.values {
        Values::Numeric(x) => quantile_bins(x, train),
        Values::Datetime { secs, .. } => quantile_bins(secs, train),
        Values::Categorical { codes, .. } => codes
            .iter()
            .map(|&c| {
                if c == u32::MAX {
                    MISSING_BIN
                } else {
                    c as usize
                }
            })
            .collect(),
        Values::Text(_) => unreachable!("text is scored by text_power"),
    }
}

/// Prediction power of `column` for `target` on `sample`, in [0, 1].
pub fn prediction_power(column: &Column, target: &TargetValues, sample: &PowerSample) -> f64 {
    if sample.train.is_empty() || sample.valid.is_empty() {
        return 0.0;
    }
    if let Values::Text(docs) = &column.values {
        return text_power(docs, target, sample);
    }
    let b = bins(column, &sample.train);
    let skill = match target {
        TargetValues::Numbers(y) => {
            let mut acc: HashMap<usize, (f64, usize)> = HashMap::new();
            let mut total = 0.0;
            for &r in &sample.train {
                let v = y[r].unwrap();
                let e = acc.entry(b[r]).or_default();
                e.0 += v;
                e.1 += 1;
                total += v;
            }
            let prior = total / sample.train.len() as f64;
            let (mut loss, mut base) = (0.0, 0.0);
            for &r in &sample.valid {
                let v = y[r].unwrap();
                let pred = acc.get(&b[r]).map_or(prior, |(s, n)| s / *n as f64);
                loss += (v - pred).powi(2);
                base += (v - prior).powi(2);
            }
            if base == 0.0 {
                return 0.0;
            }
            1.0 - loss / base
        }
        TargetValues::Classes { ids, n_classes } => {
            let k = *n_classes;
            let mut acc: HashMap<usize, Vec<f64>> = HashMap::new();
            let mut prior = vec![0.0; k];
            for &r in &sample.train {
                let c = ids[r].unwrap();
                acc.entry(b[r]).or_insert_with(|| vec![0.0; k])[c] += 1.0;
                prior[c] += 1.0;
            }
            let n = sample.train.len() as f64;
            prior.iter_mut().for_each(|p| *p /= n);
            let (mut loss, mut base) = (0.0, 0.0);
            for &r in &sample.valid {
                let c = ids[r].unwrap();
                let probs: Vec<f64> = match acc.get(&b[r]) {
                    Some(counts) => {
                        let s: f64 = counts.iter().sum();
                        counts.iter().map(|x| x / s).collect()
                    }
                    None => prior.clone(),
                };
                loss += brier(&probs, c);
                base += brier(&prior, c);
            }
            if base == 0.0 {
                return 0.0;
            }
            1.0 - loss / base
        }
    };
    skill.clamp(0.0, 1.0)
}

/// The Brier score of probabilities `p` for the true class `c`.
fn brier(p: &[f64], c: usize) -> f64 {
    p.iter()
        .enumerate()
        .map(|(j, pj)| (pj - if j == c { 1.0 } else { 0.0 }).powi(2))
        .sum()
}

/// Multinomial naive Bayes (alpha 1) over word counts, fitted on the training rows: the
/// vocabulary is the training documents' words (`CountVectorizer`'s default analyzer), a
/// missing cell is an empty document.
struct NaiveBayes {
    vocabulary: HashMap<String, usize>,
    /// Per label present in training: log prior and per word log probability.
    class_log_prior: Vec<f64>,
    feature_log_prob: Vec<Vec<f64>>,
}

fn words(doc: &Option<String>) -> Vec<String> {
    doc.as_deref()
        .map(|d| crate::automl::features::analyze(d, 1))
        .unwrap_or_default()
}

impl NaiveBayes {
    /// `labels[r]` in `0..n_labels` for every training row; `None` when no word is known.
    fn fit(
        docs: &[Option<String>],
        labels: &[usize],
        n_labels: usize,
        train: &[usize],
    ) -> Option<Self> {
        let mut vocabulary: HashMap<String, usize> = HashMap::new();
        let mut counts: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n_labels];
        let mut class_count = vec![0.0; n_labels];
        for &r in train {
            class_count[labels[r]] += 1.0;
            for w in words(&docs[r]) {
                let next = vocabulary.len();
                let id = *vocabulary.entry(w).or_insert(next);
                counts[labels[r]].push((id, 1.0));
            }
        }
        if vocabulary.is_empty() {
            return None;
        }
        let v = vocabulary.len();
        let n: f64 = class_count.iter().sum();
        let mut class_log_prior = Vec::with_capacity(n_labels);
        let mut feature_log_prob = Vec::with_capacity(n_labels);
        for (c, pairs) in counts.iter().enumerate() {
            let mut fc = vec![1.0; v]; // + alpha
            for &(id, x) in pairs {
                fc[id] += x;
            }
            let total: f64 = fc.iter().sum();
            let log_total = total.ln();
            feature_log_prob.push(fc.iter().map(|x| x.ln() - log_total).collect());
            class_log_prior.push(if class_count[c] > 0.0 {
                class_count[c].ln() - n.ln()
            } else {
                f64::NEG_INFINITY
            });
        }
        Some(NaiveBayes {
            vocabulary,
            class_log_prior,
            feature_log_prob,
        })
    }

    /// Probabilities per label (0 for labels absent from training), as `predict_proba`.
    fn proba(&self, doc: &Option<String>) -> Vec<f64> {
        let ids: Vec<usize> = words(doc)
            .iter()
            .filter_map(|w| self.vocabulary.get(w).copied())
            .collect();
        let jll: Vec<f64> = self
            .class_log_prior
            .iter()
            .zip(&self.feature_log_prob)
            .map(|(prior, flp)| {
                if prior.is_finite() {
                    prior + ids.iter().map(|&i| flp[i]).sum::<f64>()
                } else {
                    f64::NEG_INFINITY
                }
            })
            .collect();
        // scipy's logsumexp: max + log(sum(exp(a - max))).
        let max = jll.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lse = max + jll.iter().map(|a| (a - max).exp()).sum::<f64>().ln();
        jll.iter().map(|a| (a - lse).exp()).collect()
    }
}

/// Prediction power of a text column: naive Bayes over its words (see the module doc).
fn text_power(docs: &[Option<String>], target: &TargetValues, sample: &PowerSample) -> f64 {
    let skill = match target {
        TargetValues::Classes { ids, n_classes } => {
            let k = *n_classes;
            let labels: Vec<usize> = ids.iter().map(|c| c.unwrap_or(0)).collect();
            let Some(nb) = NaiveBayes::fit(docs, &labels, k, &sample.train) else {
                return 0.0;
            };
            let mut prior = vec![0.0; k];
            for &r in &sample.train {
                prior[labels[r]] += 1.0 / sample.train.len() as f64;
            }
            let (mut loss, mut base) = (0.0, 0.0);
            for &r in &sample.valid {
                loss += brier(&nb.proba(&docs[r]), labels[r]);
                base += brier(&prior, labels[r]);
            }
            if base == 0.0 {
                return 0.0;
            }
            1.0 - loss / base
        }
        TargetValues::Numbers(y) => {
            let y: Vec<f64> = y.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
            let labels = quantile_bins(&y, &sample.train);
            let n_labels = sample
                .train
                .iter()
                .map(|&r| labels[r] + 1)
                .max()
                .unwrap_or(0);
            let Some(nb) = NaiveBayes::fit(docs, &labels, n_labels, &sample.train) else {
                return 0.0;
            };
            let mut sums = vec![(0.0, 0.0); n_labels];
            let mut total = 0.0;
            for &r in &sample.train {
                sums[labels[r]].0 += y[r];
                sums[labels[r]].1 += 1.0;
                total += y[r];
            }
            let means: Vec<f64> = sums
                .iter()
                .map(|(s, n)| if *n > 0.0 { s / n } else { 0.0 })
                .collect();
            let prior = total / sample.train.len() as f64;
            let (mut loss, mut base) = (0.0, 0.0);
            for &r in &sample.valid {
                let p = nb.proba(&docs[r]);
                let pred: f64 = p.iter().zip(&means).map(|(p, m)| p * m).sum();
                loss += (y[r] - pred).powi(2);
                base += (y[r] - prior).powi(2);
            }
            if base == 0.0 {
                return 0.0;
            }
            1.0 - loss / base
        }
    };
    skill.clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reviews whose words, not their lengths, say the class: every review has four words.
    fn reviews(n: usize) -> (Vec<Option<String>>, Vec<bool>) {
        let good = ["lovely", "perfect", "great", "comfortable"];
        let bad = ["returned", "cheap", "awful", "tight"];
        let filler = ["dress", "fabric", "colour", "size"];
        (0..n)
            .map(|i| {
                let positive = i % 3 != 0;
                let word = if positive { good[i % 4] } else { bad[i % 4] };
                let text = if i % 17 == 0 {
                    None
                } else {
                    Some(format!("the {} {} really", filler[i % 4], word))
                };
                (text, positive)
            })
            .unzip()
    }

    #[test]
    fn text_is_scored_by_its_words() {
        let (docs, positive) = reviews(2_000);
        let ids = positive.iter().map(|p| Some(*p as usize)).collect();
        let target = TargetValues::Classes { ids, n_classes: 2 };
        let sample = power_sample(&target);
        let p = text_power(&docs, &target, &sample);
        assert!(p > 0.7, "words that decide the class give high power: {p}");

        // A numeric target that follows the words as well.
        let y = positive
            .iter()
            .enumerate()
            .map(|(i, p)| Some(if *p { 4.0 } else { 1.0 } + (i % 5) as f64 * 0.01))
            .collect();
        let p = text_power(&docs, &TargetValues::Numbers(y), &sample);
        assert!(p > 0.7, "and for a numeric target: {p}");

        // Words unrelated to the target: no power.
        let ids = (0..2_000).map(|i| Some((i / 12) % 2)).collect();
        let target = TargetValues::Classes { ids, n_classes: 2 };
        let p = text_power(&docs, &target, &power_sample(&target));
        assert!(p < 0.05, "unrelated words: {p}");
    }
}
