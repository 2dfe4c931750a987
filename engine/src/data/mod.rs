//! Data layer: reading files, recognising missing values, inferring column and problem types.

pub mod datetime;
pub mod read;
pub mod table;
pub mod target;

pub use read::{read_bytes, read_file, FileFormat, RawTable, ReadOptions};
pub use table::{
    infer_problem_type, typed_columns, Column, ColumnKind, ProblemInference, ProblemType, Table,
    TypeOverrides, Values, ALL_PROBLEM_TYPES, MISSING_TOKENS,
};
pub use target::{target_values, TargetValues};
