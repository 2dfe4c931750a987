//! A dense, column-major matrix of `f64`: what feature pipelines produce and learners eat.
//! Column-major because the tree learners scan one feature at a time.

#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    /// `cols` blocks of `rows` values.
    pub data: Vec<f64>,
}

impl Matrix {
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Matrix {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    pub fn from_columns(rows: usize, columns: Vec<Vec<f64>>) -> Self {
        let cols = columns.len();
        let mut data = Vec::with_capacity(rows * cols);
        for c in columns {
            debug_assert_eq!(c.len(), rows);
            data.extend(c);
        }
        Matrix { rows, cols, data }
    }

    #[inline]
    pub fn col(&self, j: usize) -> &[f64] {
        &self.data[j * self.rows..(j + 1) * self.rows]
    }

    #[inline]
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[j * self.rows + i]
    }

    /// The rows at `idx`, in that order.
    pub fn select_rows(&self, idx: &[usize]) -> Matrix {
        let mut data = Vec::with_capacity(idx.len() * self.cols);
        for j in 0..self.cols {
            let c = self.col(j);
            data.extend(idx.iter().map(|&i| c[i]));
        }
        Matrix {
            rows: idx.len(),
            cols: self.cols,
            data,
        }
    }

    /// Row `i` as a vector (for row-wise learners).
    pub fn row(&self, i: usize) -> Vec<f64> {
        (0..self.cols).map(|j| self.get(i, j)).collect()
    }

    /// Row-major copy.
    pub fn to_row_major(&self) -> Vec<f64> {
        let mut out = vec![0.0; self.rows * self.cols];
        for j in 0..self.cols {
            for (i, v) in self.col(j).iter().enumerate() {
                out[i * self.cols + j] = *v;
            }
        }
        out
    }
}
