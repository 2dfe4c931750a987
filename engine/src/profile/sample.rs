//! Deterministic sampling, reproducible in one line of numpy.
//!
//! Where Autopilot samples (duplicates, anomalies, prediction power), Glassbox takes an
//! evenly spaced stride sample: of the `n` eligible rows it keeps row `i * n / k` for
//! `i in 0..k` (integer division), so `np.arange(k) * n // k`. Within the sample, every fifth
//! row (`i % 5 == 4`) is held out for validation. No random generator is involved, so Rust
//! and Python pick the very same rows.

pub const SAMPLE_ROWS: usize = 10_000;

/// Positions into a list of `n` eligible rows.
pub fn stride_sample(n: usize, k: usize) -> Vec<usize> {
    if n <= k {
        return (0..n).collect();
    }
    (0..k).map(|i| i * n / k).collect()
}

/// Whether sample position `i` is in the validation part.
pub fn is_validation(i: usize) -> bool {
    i % 5 == 4
}
