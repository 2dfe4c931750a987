//! Greedy ensemble selection (Caruana et al. 2004): start empty, repeatedly add (with
//! replacement) the candidate whose addition most improves the objective on the
//! validation predictions; the weights are the selection counts.

use super::metrics::{compute, Metric, Predictions, Truth};

fn blend(members: &[&Predictions], counts: &[usize]) -> Predictions {
    let total: usize = counts.iter().sum();
    let mut out = match members[0] {
        Predictions::Proba { p, k } => Predictions::Proba {
            p: vec![0.0; p.len()],
            k: *k,
        },
        Predictions::Values(v) => Predictions::Values(vec![0.0; v.len()]),
    };
    for (m, &c) in members.iter().zip(counts) {
        if c == 0 {
            continue;
        }
        let w = c as f64 / total as f64;
        match (&mut out, m) {
            (Predictions::Proba { p: acc, .. }, Predictions::Proba { p, .. }) => {
                acc.iter_mut().zip(p).for_each(|(a, b)| *a += w * b)
            }
            (Predictions::Values(acc), Predictions::Values(v)) => {
                acc.iter_mut().zip(v).for_each(|(a, b)| *a += w * b)
            }
            _ => {}
        }
    }
    out
}

/// Selection counts per member, or `None` if no blend beats the best single member.
pub fn caruana(
    members: &[&Predictions],
    truth: &Truth,
    metric: Metric,
    rounds: usize,
) -> Option<Vec<usize>> {
    if members.len() < 2 {
        return None;
    }
    // AUC and F1 are piecewise constant in small weight changes; select on a smooth proxy
    // (log loss) for classification, and on the metric itself for regression.
    let select_on = if metric.for_classification() {
        Metric::LogLoss
    } else {
        metric
    };
    let score = |p: &Predictions| {
        compute(select_on, truth, p)
            .map(|v| select_on.score(v))
            .unwrap_or(f64::NEG_INFINITY)
    };
    let mut counts = vec![0usize; members.len()];
    let mut best_score = f64::NEG_INFINITY;
    for _ in 0..rounds {
        let mut round_best: Option<(f64, usize)> = None;
        for j in 0..members.len() {
            counts[j] += 1;
            let s = score(&blend(members, &counts));
            counts[j] -= 1;
            if round_best.is_none_or(|(b, _)| s > b) {
                round_best = Some((s, j));
            }
        }
        let (s, j) = round_best?;
        counts[j] += 1;
        best_score = best_score.max(s);
    }
    let used = counts.iter().filter(|&&c| c > 0).count();
    let single_best = members
        .iter()
        .map(|m| score(m))
        .fold(f64::NEG_INFINITY, f64::max);
    (used >= 2 && best_score > single_best).then_some(counts)
}

pub fn weighted(members: &[&Predictions], counts: &[usize]) -> Predictions {
    blend(members, counts)
}
