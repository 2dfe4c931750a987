//! Writing tables: a scored CSV (with its header, as `predict` and batch transform write
//! it) as Parquet, for readers that want typed columns.

use std::path::Path;

use polars::prelude::*;

use crate::{EngineError, Result};

/// Converts `csv` to a Parquet file at `out`; each column typed as the whole CSV reads
/// (numbers stay numbers, anything else text). Returns the rows written.
pub fn csv_to_parquet(csv: &Path, out: &Path) -> Result<usize> {
    let shown = csv.display().to_string();
    let fail = |e: PolarsError| EngineError::data(&shown, None, e.to_string());
    let mut df = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(None)
        .try_into_reader_with_file_path(Some(csv.to_path_buf()))
        .map_err(fail)?
        .finish()
        .map_err(fail)?;
    let file =
        std::fs::File::create(out).map_err(|e| EngineError::io(out.display().to_string(), e))?;
    ParquetWriter::new(file).finish(&mut df).map_err(fail)?;
    Ok(df.height())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scored_csv_becomes_typed_parquet() {
        let dir = std::env::temp_dir().join(format!("gb-parquet-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let csv = dir.join("out.csv");
        std::fs::write(
            &csv,
            "name,predicted_label,probability\n\"a, b\",yes,0.75\nc,no,0.5\n",
        )
        .unwrap();
        let pq = dir.join("out.parquet");
        assert_eq!(csv_to_parquet(&csv, &pq).unwrap(), 2);
        let df = ParquetReader::new(std::fs::File::open(&pq).unwrap())
            .finish()
            .unwrap();
        let names: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(names, ["name", "predicted_label", "probability"]);
        assert_eq!(
            df.column("probability").unwrap().dtype(),
            &DataType::Float64
        );
        assert_eq!(
            df.column("name").unwrap().str().unwrap().get(0),
            Some("a, b")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
