//! A dense, column-major matrix of `f64`: what learners eat. Column-major because the tree
//! learners scan one feature at a time. [`Encoded`] is the same matrix as a pipeline makes
//! it, kept compact until a learner needs it.

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

/// A feature matrix with its one-hot and TF-IDF blocks unspelled: a one-hot block keeps each
/// row's hot column (4 bytes a row, where spelled out it takes 8 bytes a row per column), a
/// TF-IDF block its non-zero cells. A job keeps every fold's features of every pipeline in
/// this form and spells out one fold at a time ([`to_matrix`](Encoded::to_matrix)), so the
/// cache no longer dominates a job's memory.
#[derive(Debug)]
pub struct Encoded {
    pub rows: usize,
    blocks: Vec<Block>,
}

#[derive(Debug)]
enum Block {
    Dense(Vec<f64>),
    /// `width` columns; row `i` has its 1 in column `hot[i]`, or none where it is `NO_HOT`.
    OneHot {
        width: usize,
        hot: Vec<u32>,
    },
    /// One entry per column: its non-zero cells as (row, value), rows ascending.
    Sparse(Vec<Vec<(u32, f64)>>),
}

const NO_HOT: u32 = u32::MAX;

impl Encoded {
    pub fn new(rows: usize) -> Self {
        assert!(
            rows < NO_HOT as usize,
            "{rows} rows exceed the encoding's row index"
        );
        Encoded {
            rows,
            blocks: vec![],
        }
    }

    /// One column of values, one per row.
    pub fn push_dense(&mut self, column: Vec<f64>) {
        debug_assert_eq!(column.len(), self.rows);
        self.blocks.push(Block::Dense(column));
    }

    /// `width` indicator columns: row `i` is 1 in column `hot[i]` (none when `None`).
    pub fn push_one_hot(&mut self, width: usize, hot: impl IntoIterator<Item = Option<usize>>) {
        let hot: Vec<u32> = hot
            .into_iter()
            .map(|j| j.map_or(NO_HOT, |j| j as u32))
            .collect();
        debug_assert_eq!(hot.len(), self.rows);
        debug_assert!(hot.iter().all(|&j| j == NO_HOT || (j as usize) < width));
        self.blocks.push(Block::OneHot { width, hot });
    }

    /// Columns given by their non-zero cells, (row, value) with rows ascending.
    pub fn push_sparse(&mut self, columns: Vec<Vec<(u32, f64)>>) {
        self.blocks.push(Block::Sparse(columns));
    }

    pub fn cols(&self) -> usize {
        self.blocks
            .iter()
            .map(|b| match b {
                Block::Dense(_) => 1,
                Block::OneHot { width, .. } => *width,
                Block::Sparse(c) => c.len(),
            })
            .sum()
    }

    /// The dense matrix, its columns in the order they were pushed.
    pub fn to_matrix(&self) -> Matrix {
        let rows = self.rows;
        let mut m = Matrix::zeros(rows, self.cols());
        let mut at = 0;
        for b in &self.blocks {
            match b {
                Block::Dense(v) => {
                    m.data[at * rows..(at + 1) * rows].copy_from_slice(v);
                    at += 1;
                }
                Block::OneHot { width, hot } => {
                    for (i, &j) in hot.iter().enumerate() {
                        if j != NO_HOT {
                            m.data[(at + j as usize) * rows + i] = 1.0;
                        }
                    }
                    at += width;
                }
                Block::Sparse(cols) => {
                    for c in cols {
                        for &(i, v) in c {
                            m.data[at * rows + i as usize] = v;
                        }
                        at += 1;
                    }
                }
            }
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_blocks_spell_out_in_order() {
        let mut e = Encoded::new(3);
        e.push_dense(vec![1.5, f64::NAN, -2.0]);
        e.push_one_hot(2, [Some(1), None, Some(0)]);
        e.push_sparse(vec![vec![(2, 0.25)], vec![], vec![(0, 0.5), (1, 0.75)]]);
        assert_eq!(e.cols(), 6);
        let m = e.to_matrix();
        let want = Matrix::from_columns(
            3,
            vec![
                vec![1.5, f64::NAN, -2.0],
                vec![0.0, 0.0, 1.0],
                vec![1.0, 0.0, 0.0],
                vec![0.0, 0.0, 0.25],
                vec![0.0, 0.0, 0.0],
                vec![0.5, 0.75, 0.0],
            ],
        );
        assert_eq!((m.rows, m.cols), (want.rows, want.cols));
        for (a, b) in m.data.iter().zip(&want.data) {
            assert!(a.to_bits() == b.to_bits(), "{a} != {b}");
        }
    }
}
