//! Descriptive statistics with the exact definitions pandas and numpy use, so that the
//! exploration notebook can recompute every number and compare.

use crate::common::median_sorted;
use serde::{Deserialize, Serialize};

/// Sorted finite values of a column (missing cells dropped).
pub fn sorted_present(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    v.sort_unstable_by(|a, b| a.total_cmp(b));
    v
}

/// Quantile with linear interpolation, computed exactly as numpy's default method does
/// (virtual index `n*q - q`, and numpy's two-sided lerp), so bin edges match bit for bit.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let n = sorted.len();
    let vi = n as f64 * q - q;
    let below = vi.floor();
    let t = vi - below;
    let lo = (below.max(0.0) as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let (a, b) = (sorted[lo], sorted[hi]);
    let d = b - a;
    if t >= 0.5 {
        b - d * (1.0 - t)
    } else {
        a + d * t
    }
}

pub fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.iter().sum::<f64>() / v.len() as f64
}

/// Sample standard deviation (ddof = 1), as pandas' `std`.
pub fn std(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return f64::NAN;
    }
    let m = mean(v);
    let ss: f64 = v.iter().map(|x| (x - m) * (x - m)).sum();
    (ss / (v.len() - 1) as f64).sqrt()
}

/// Skewness as pandas' `skew` (adjusted Fisher-Pearson).
pub fn skew(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    if v.len() < 3 {
        return f64::NAN;
    }
    let m = mean(v);
    let (mut m2, mut m3) = (0.0, 0.0);
    for x in v {
        let d = x - m;
        m2 += d * d;
        m3 += d * d * d;
    }
    if m2 == 0.0 {
        return 0.0;
    }
    (n * (n - 1.0).sqrt() / (n - 2.0)) * (m3 / m2.powf(1.5))
}

/// Excess kurtosis as pandas' `kurt` (unbiased).
pub fn kurtosis(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    if v.len() < 4 {
        return f64::NAN;
    }
    let m = mean(v);
    let (mut m2, mut m4) = (0.0, 0.0);
    for x in v {
        let d2 = (x - m) * (x - m);
        m2 += d2;
        m4 += d2 * d2;
    }
    if m2 == 0.0 {
        return 0.0;
    }
    let adj = 3.0 * (n - 1.0).powi(2) / ((n - 2.0) * (n - 3.0));
    n * (n + 1.0) * (n - 1.0) * m4 / ((n - 2.0) * (n - 3.0) * m2 * m2) - adj
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Histogram {
    /// Bin edges, one more than counts (`numpy.histogram(values, bins=20)`).
    pub edges: Vec<f64>,
    pub counts: Vec<u64>,
}

/// `numpy.histogram(values, bins)` on present values, reproduced step for step.
pub fn histogram(sorted: &[f64], bins: usize) -> Histogram {
    if sorted.is_empty() {
        return Histogram {
            edges: vec![],
            counts: vec![],
        };
    }
    let (mut first, mut last) = (sorted[0], sorted[sorted.len() - 1]);
    if first == last {
        first -= 0.5;
        last += 0.5;
    }
    // numpy.linspace: start + i * step, with the last edge set to stop exactly.
    let step = (last - first) / bins as f64;
    let mut edges: Vec<f64> = (0..=bins).map(|i| first + i as f64 * step).collect();
    edges[bins] = last;
    let denom = last - first;
    let mut counts = vec![0u64; bins];
    for &x in sorted {
        let mut i = ((x - first) / denom * bins as f64) as i64;
        if i == bins as i64 {
            i -= 1;
        }
        let mut i = i.clamp(0, bins as i64 - 1) as usize;
        if x < edges[i] {
            i -= 1;
        } else if i != bins - 1 && x >= edges[i + 1] {
            i += 1;
        }
        counts[i] += 1;
    }
    Histogram { edges, counts }
}

/// Pearson correlation over rows where both values are present (pandas' `corr`).
pub fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let pairs: Vec<(f64, f64)> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| !x.is_nan() && !y.is_nan())
        .map(|(x, y)| (*x, *y))
        .collect();
    if pairs.len() < 2 {
        return None;
    }
    let n = pairs.len() as f64;
    let ma = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let mb = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in &pairs {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    if saa == 0.0 || sbb == 0.0 {
        return None;
    }
    Some((sab / (saa * sbb).sqrt()).clamp(-1.0, 1.0))
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NumericStats {
    pub count: usize,
    pub mean: f64,
    pub std: Option<f64>,
    pub min: f64,
    pub max: f64,
    pub median: f64,
    /// p1, p5, p25, p50, p75, p95, p99.
    pub quantiles: Quantiles,
    pub skew: Option<f64>,
    pub kurtosis: Option<f64>,
    /// Share of values beyond median ± 5 robust std (std after clipping to p5..p95).
    pub outlier_ratio: f64,
    pub histogram: Histogram,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Quantiles {
    pub p1: f64,
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
    pub p99: f64,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// All numeric statistics of a column's present values (`values` may hold NaN for missing).
pub fn numeric_stats(values: &[f64]) -> Option<NumericStats> {
    let present: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if present.is_empty() {
        return None;
    }
    let mut sorted = present.clone();
    sorted.sort_unstable_by(|a, b| a.total_cmp(b));
    let q = |p| quantile_sorted(&sorted, p);
    let (p5, p95) = (q(0.05), q(0.95));
    let median = median_sorted(&sorted);
    let clipped: Vec<f64> = present.iter().map(|x| x.clamp(p5, p95)).collect();
    let robust_std = std(&clipped);
    let outliers = if robust_std.is_nan() {
        0
    } else {
        present
            .iter()
            .filter(|x| (*x - median).abs() > 5.0 * robust_std)
            .count()
    };
    Some(NumericStats {
        count: present.len(),
        mean: mean(&present),
        std: finite(std(&present)),
        min: sorted[0],
        max: sorted[sorted.len() - 1],
        median,
        quantiles: Quantiles {
            p1: q(0.01),
            p5,
            p25: q(0.25),
            p50: median,
            p75: q(0.75),
            p95,
            p99: q(0.99),
        },
        skew: finite(skew(&present)),
        kurtosis: finite(kurtosis(&present)),
        outlier_ratio: outliers as f64 / present.len() as f64,
        histogram: histogram(&sorted, 20),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_pandas_and_numpy() {
        // Values from pandas 3.1.1 / numpy 2.4.6:
        // s = pd.Series([1, 2, 2, 3, 7, 11.]); s.std() = 3.8815804341359033,
        // s.skew() = 1.2847152721252144, s.kurt() = 0.5703265721669659, s.quantile(.3) = 2.0
        let v = [1.0, 2.0, 2.0, 3.0, 7.0, 11.0];
        assert!((std(&v) - 3.881_580_434_135_903_3).abs() < 1e-12);
        assert!((skew(&v) - 1.284_715_272_125_214_4).abs() < 1e-12);
        assert!((kurtosis(&v) - 0.570_326_572_166_965_9).abs() < 1e-12);
        assert_eq!(quantile_sorted(&v, 0.3), 2.0);
        // np.histogram([1,2,2,3,7,11], bins=4) -> counts [4, 0, 1, 1], edges [1, 3.5, 6, 8.5, 11]
        let h = histogram(&v, 4);
        assert_eq!(h.counts, vec![4, 0, 1, 1]);
        assert_eq!(h.edges, vec![1.0, 3.5, 6.0, 8.5, 11.0]);
    }

    #[test]
    fn constant_histogram_and_pearson() {
        let h = histogram(&[2.0, 2.0], 2);
        assert_eq!(h.edges, vec![1.5, 2.0, 2.5]);
        assert_eq!(h.counts, vec![0, 2]);
        let r = pearson(&[1.0, 2.0, f64::NAN, 4.0], &[2.0, 4.0, 5.0, 8.0]).unwrap();
        assert!((r - 1.0).abs() < 1e-12);
    }
}
