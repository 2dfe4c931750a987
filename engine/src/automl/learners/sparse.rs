//! Mostly-zero matrices (one-hot and TF-IDF columns) as their non-zero entries: by row for
//! kNN's distances, by column for the two products a linear model's gradient needs (scores
//! `X·w` and `Xᵀ·r`). Each sum adds the same non-zero terms in the same order
//! as the dense loop it replaces (a zero term adds nothing), so the results are the dense
//! ones bit for bit, in far fewer operations.

use crate::automl::matrix::Matrix;

/// The largest share of non-zero entries a row-major matrix may have to be worked on as
/// `SparseRows`: each stored entry costs an index besides its value, and scattered reads.
const MAX_ROW_DENSITY: f64 = 0.25;

/// The largest share for `SparseColumns`, a copy kept beside the dense matrix while a model
/// trains: at a tenth, it takes 15% of the dense matrix's memory (TF-IDF terms are
/// sparser: on the clothing reviews, about 5% of a linear model's matrix is non-zero).
const MAX_COLUMN_DENSITY: f64 = 0.1;

fn sparse_enough(x: &[f64], max_density: f64) -> Option<usize> {
    let nnz = x.iter().filter(|v| **v != 0.0).count();
    (!x.is_empty() && nnz as f64 <= max_density * x.len() as f64).then_some(nnz)
}

/// A row-major matrix's non-zero entries (NaN included) row by row, columns ascending.
pub(super) struct SparseRows {
    /// Row `i`'s entries are at `starts[i]..starts[i + 1]`.
    starts: Vec<usize>,
    cols: Vec<u32>,
    vals: Vec<f64>,
}

impl SparseRows {
    /// Row-major `x`, `cols` wide, if at most `MAX_ROW_DENSITY` of its entries are non-zero.
    pub(super) fn of_row_major(x: &[f64], cols: usize) -> Option<SparseRows> {
        if cols == 0 || cols > u32::MAX as usize {
            return None;
        }
        let nnz = sparse_enough(x, MAX_ROW_DENSITY)?;
        let mut s = SparseRows {
            starts: vec![0],
            cols: Vec::with_capacity(nnz),
            vals: Vec::with_capacity(nnz),
        };
        for row in x.chunks(cols) {
            for (j, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    s.cols.push(j as u32);
                    s.vals.push(v);
                }
            }
            s.starts.push(s.cols.len());
        }
        Some(s)
    }

    pub(super) fn rows(&self) -> usize {
        self.starts.len() - 1
    }

    /// Row `i`'s non-zero columns and values.
    pub(super) fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let at = self.starts[i]..self.starts[i + 1];
        (&self.cols[at.clone()], &self.vals[at])
    }
}

/// A column-major matrix's non-zero entries (NaN included) column by column, rows
/// ascending.
pub(super) struct SparseColumns {
    /// Column `j`'s entries are at `starts[j]..starts[j + 1]`.
    starts: Vec<usize>,
    rows: Vec<u32>,
    vals: Vec<f64>,
}

impl SparseColumns {
    /// `x`'s non-zero entries, if at most `MAX_COLUMN_DENSITY` of its entries are.
    pub(super) fn of(x: &Matrix) -> Option<SparseColumns> {
        if x.rows > u32::MAX as usize {
            return None;
        }
        let nnz = sparse_enough(&x.data, MAX_COLUMN_DENSITY)?;
        let mut s = SparseColumns {
            starts: Vec::with_capacity(x.cols + 1),
            rows: Vec::with_capacity(nnz),
            vals: Vec::with_capacity(nnz),
        };
        s.starts.push(0);
        for j in 0..x.cols {
            for (i, &v) in x.col(j).iter().enumerate() {
                if v != 0.0 {
                    s.rows.push(i as u32);
                    s.vals.push(v);
                }
            }
            s.starts.push(s.rows.len());
        }
        Some(s)
    }

    fn col(&self, j: usize) -> (&[u32], &[f64]) {
        let at = self.starts[j]..self.starts[j + 1];
        (&self.rows[at.clone()], &self.vals[at])
    }

    /// `z[i] += Σⱼ coef[j]·x[i][j]`: column by column, so each row adds its terms in
    /// column order; zero coefficients skipped, as the dense loop does.
    pub(super) fn add_scores(&self, coef: &[f64], z: &mut [f64]) {
        for (j, &wj) in coef.iter().enumerate() {
            if wj != 0.0 {
                let (rows, vals) = self.col(j);
                for (&i, &v) in rows.iter().zip(vals) {
                    z[i as usize] += wj * v;
                }
            }
        }
    }

    /// `Σᵢ r[i]·x[i][j]`, rows in order.
    pub(super) fn dot_col(&self, j: usize, r: &[f64]) -> f64 {
        let (rows, vals) = self.col(j);
        rows.iter()
            .zip(vals)
            .map(|(&i, &v)| r[i as usize] * v)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::Rng;

    /// `rows × cols`, about one entry in `every` non-zero, and a few NaN in column 1.
    fn mostly_zeros(rows: usize, cols: usize, every: usize) -> Matrix {
        let mut rng = Rng::new(3);
        let columns = (0..cols)
            .map(|j| {
                (0..rows)
                    .map(|_| match rng.below(every * 50) {
                        0 if j == 1 => f64::NAN,
                        k if k < 50 => rng.next_f64() - 0.3,
                        _ => 0.0,
                    })
                    .collect()
            })
            .collect();
        Matrix::from_columns(rows, columns)
    }

    #[test]
    fn products_equal_the_dense_loops_bit_for_bit() {
        let x = mostly_zeros(9000, 40, 20);
        let s = SparseColumns::of(&x).expect("a twentieth is sparse enough");
        let mut rng = Rng::new(5);
        // Some coefficients zero, as L1 leaves them (the dense loop skips those columns).
        let coef: Vec<f64> = (0..x.cols)
            .map(|j| {
                if j % 7 == 0 {
                    0.0
                } else {
                    rng.next_f64() - 0.5
                }
            })
            .collect();
        let mut dense = vec![0.25; x.rows];
        for (j, wj) in coef.iter().enumerate() {
            if *wj != 0.0 {
                for (zi, xi) in dense.iter_mut().zip(x.col(j)) {
                    *zi += wj * xi;
                }
            }
        }
        let mut sparse = vec![0.25; x.rows];
        s.add_scores(&coef, &mut sparse);
        let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&sparse), bits(&dense));
        assert!(dense.iter().any(|z| z.is_nan()) && dense.iter().any(|z| z.is_finite()));
        let r: Vec<f64> = (0..x.rows).map(|_| rng.next_f64() - 0.5).collect();
        assert!(s.dot_col(1, &r).is_nan());
        for j in (0..x.cols).filter(|&j| j != 1) {
            let d: f64 = r.iter().zip(x.col(j)).map(|(a, b)| a * b).sum();
            assert!(d.is_finite() && d != 0.0);
            assert_eq!(s.dot_col(j, &r).to_bits(), d.to_bits(), "column {j}");
        }
    }

    #[test]
    fn a_dense_matrix_stays_dense() {
        assert!(SparseColumns::of(&mostly_zeros(100, 5, 5)).is_none());
        assert!(SparseColumns::of(&mostly_zeros(100, 5, 20)).is_some());
    }
}
