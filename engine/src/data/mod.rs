//! Data layer: reading files, recognising missing values, inferring column and problem types.

mod csv_scan;
pub mod datetime;
pub mod problem;
pub mod read;
pub mod table;
pub mod target;
pub mod write;

pub use problem::{infer_problem_type, ProblemInference, ProblemType, ALL_PROBLEM_TYPES};
pub use read::{read_bytes, read_file, Cells, FileFormat, RawTable, ReadOptions};
pub use table::{typed_columns, Column, ColumnKind, Table, TypeOverrides, Values, MISSING_TOKENS};
pub use target::{target_values, TargetValues};
