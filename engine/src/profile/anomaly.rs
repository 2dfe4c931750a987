//! Anomalous rows: an isolation forest (Liu, Ting & Zhou 2008) over the numeric columns
//! of the sample, with missing cells set to the column median. Seeded, so the same data
//! gives the same scores.

use crate::common::Rng;

/// Average path length of an unsuccessful search in a binary search tree of `n` points.
fn c(n: usize) -> f64 {
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        _ => {
            let n = n as f64;
            2.0 * ((n - 1.0).ln() + 0.577_215_664_901_532_9) - 2.0 * (n - 1.0) / n
        }
    }
}

enum Node {
    Leaf(usize),
    Split {
        feature: usize,
        at: f64,
        left: Box<Node>,
        right: Box<Node>,
    },
}

fn build(
    rows: &mut [usize],
    x: &[Vec<f64>],
    depth: usize,
    max_depth: usize,
    rng: &mut Rng,
) -> Node {
    if rows.len() <= 1 || depth >= max_depth {
        return Node::Leaf(rows.len());
    }
    // Pick a feature that varies among these rows (a few tries), then a uniform split.
    for _ in 0..x.len().max(1) {
        let f = rng.below(x.len());
        let (lo, hi) = rows
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &r| {
                (lo.min(x[f][r]), hi.max(x[f][r]))
            });
        if hi > lo {
            let at = lo + rng.next_f64() * (hi - lo);
            let mut i = 0;
            for j in 0..rows.len() {
                if x[f][rows[j]] < at {
                    rows.swap(i, j);
                    i += 1;
                }
            }
            let (l, r) = rows.split_at_mut(i);
            return Node::Split {
                feature: f,
                at,
                left: Box::new(build(l, x, depth + 1, max_depth, rng)),
                right: Box::new(build(r, x, depth + 1, max_depth, rng)),
            };
        }
    }
    Node::Leaf(rows.len())
}

fn path(node: &Node, x: &[Vec<f64>], row: usize, depth: usize) -> f64 {
    match node {
        Node::Leaf(n) => depth as f64 + c(*n),
        Node::Split {
            feature,
            at,
            left,
            right,
        } => {
            if x[*feature][row] < *at {
                path(left, x, row, depth + 1)
            } else {
                path(right, x, row, depth + 1)
            }
        }
    }
}

/// Anomaly score in (0, 1] for each row of `x` (features × rows); above 0.6 is unusual.
pub fn isolation_scores(x: &[Vec<f64>], trees: usize, seed: u64) -> Vec<f64> {
    let n = x.first().map_or(0, |c| c.len());
    if n < 2 || x.is_empty() {
        return vec![0.0; n];
    }
    let psi = n.min(256);
    let max_depth = (psi as f64).log2().ceil() as usize;
    let mut rng = Rng::new(seed);
    let forest: Vec<Node> = (0..trees)
        .map(|_| {
            // Sample psi rows without replacement (partial Fisher-Yates).
            let mut idx: Vec<usize> = (0..n).collect();
            for i in 0..psi {
                let j = i + rng.below(n - i);
                idx.swap(i, j);
            }
            let mut rows = idx[..psi].to_vec();
            build(&mut rows, x, 0, max_depth, &mut rng)
        })
        .collect();
    let cn = c(psi);
    (0..n)
        .map(|r| {
            let mean_path = forest.iter().map(|t| path(t, x, r, 0)).sum::<f64>() / trees as f64;
            2f64.powf(-mean_path / cn)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outlier_scores_highest() {
        let mut rng = Rng::new(1);
        let mut a: Vec<f64> = (0..500).map(|_| rng.next_f64()).collect();
        let mut b: Vec<f64> = (0..500).map(|_| rng.next_f64()).collect();
        a[123] = 8.0;
        b[123] = -5.0;
        let s = isolation_scores(&[a, b], 100, 7);
        let top = (0..s.len()).max_by(|&i, &j| s[i].total_cmp(&s[j])).unwrap();
        assert_eq!(top, 123);
        assert!(s[123] > 0.7, "{}", s[123]);
    }
}
