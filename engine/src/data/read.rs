//! Reading CSV (plain or gzip) and Parquet files into a table of raw string columns.
//!
//! polars does the parsing. Before it runs, one strict pass over the bytes checks what
//! polars would silently repair or report without a position: invalid UTF-8, binary data,
//! ragged rows, unterminated quotes, duplicate or missing header names. Each problem is
//! reported with the file name and line number.

use std::io::{Cursor, Read};
use std::path::Path;

use polars::prelude::*;

use super::csv_scan::scan_csv;
use crate::error::{EngineError, Result};

/// Limits and switches for reading a file.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// A file with more columns than this is refused with a clear error.
    pub max_columns: usize,
    /// Gzip data that unpacks to more bytes than this is refused (a "gzip bomb" must not
    /// exhaust the memory): it is unpacked as a stream and stopped at the cap.
    pub max_unpacked_bytes: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_columns: 10_000,
            max_unpacked_bytes: default_unpack_cap(),
        }
    }
}

/// A quarter of the memory available now (at most 16 GiB), or 2 GiB where it cannot be
/// read: reading a file takes a few times its size in memory.
pub fn default_unpack_cap() -> u64 {
    let available = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| {
        m.lines()
            .find(|l| l.starts_with("MemAvailable:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb * 1024)
    });
    available.map_or(2 << 30, |a| (a / 4).min(16 << 30))
}

/// The file as read: column names and one string column per field, nothing typed yet.
#[derive(Clone)]
pub struct RawTable {
    /// File name (no directories) used in messages.
    pub file_name: String,
    pub names: Vec<String>,
    pub frame: DataFrame,
    pub format: FileFormat,
    /// The field separator found for CSV files.
    pub delimiter: Option<char>,
    /// The line each data row starts on (CSV only), for messages.
    pub row_lines: Vec<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum FileFormat {
    Csv,
    CsvGzip,
    Parquet,
}

impl RawTable {
    pub fn height(&self) -> usize {
        self.frame.height()
    }

    /// The rows at `rows` (in bounds), in that order.
    pub fn select_rows(&self, rows: &[usize]) -> Result<RawTable> {
        let idx = IdxCa::from_vec("rows".into(), rows.iter().map(|&r| r as IdxSize).collect());
        let frame = self.frame.take(&idx).map_err(|e| {
            EngineError::data(&self.file_name, None, format!("selecting rows: {e}"))
        })?;
        Ok(RawTable {
            file_name: self.file_name.clone(),
            names: self.names.clone(),
            frame,
            format: self.format,
            delimiter: self.delimiter,
            row_lines: rows
                .iter()
                .filter_map(|&r| self.row_lines.get(r).copied())
                .collect(),
        })
    }

    /// The cells of column `i`, `None` for cells polars read as null (empty fields).
    pub fn column(&self, i: usize) -> impl Iterator<Item = Option<&str>> + '_ {
        let ca = self.frame.columns()[i]
            .as_materialized_series()
            .str()
            .expect("every raw column is a string column");
        ca.iter()
    }

    /// Append the rows of `other` (a validation file) below these; its columns must carry
    /// the same names, in any order.
    pub fn append(mut self, other: RawTable) -> Result<RawTable> {
        let missing: Vec<&String> = self
            .names
            .iter()
            .filter(|n| !other.names.contains(n))
            .collect();
        if !missing.is_empty() {
            return Err(EngineError::data(
                &other.file_name,
                Some(1),
                format!(
                    "the validation file lacks column(s) {}",
                    missing
                        .iter()
                        .map(|m| format!("{m:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let ordered = other
            .frame
            .select(self.names.iter().map(|n| n.as_str()))
            .and_then(|o| self.frame.vstack(&o))
            .map_err(|e| EngineError::data(&other.file_name, None, e.to_string()))?;
        self.frame = ordered;
        self.row_lines.clear();
        Ok(self)
    }

    /// A table of rows given cell by cell (an endpoint's request, a chunk of a file), as
    /// the CSV reader would have read them: names as given, empty cells null, row `r` on
    /// line `r + 2` (after a header line). `rows` must each have `names.len()` cells.
    pub fn from_rows<R: Cells>(file_name: &str, names: &[String], rows: &[R]) -> Result<RawTable> {
        let columns: Vec<Column> = names
            .iter()
            .enumerate()
            .map(|(i, _)| {
                let cells: Vec<Option<&str>> = rows
                    .iter()
                    .map(|r| r.cell(i).filter(|c| !c.is_empty()))
                    .collect();
                Series::new(format!("c{i}").into(), cells).into_column()
            })
            .collect();
        let mut frame = DataFrame::new_infer_height(columns)
            .map_err(|e| EngineError::data(file_name, None, e.to_string()))?;
        frame
            .set_column_names(names)
            .map_err(|e| EngineError::data(file_name, Some(1), e.to_string()))?;
        Ok(RawTable {
            file_name: file_name.to_string(),
            names: names.to_vec(),
            frame,
            format: FileFormat::Csv,
            delimiter: Some(','),
            row_lines: (0..rows.len() as u64).map(|r| r + 2).collect(),
        })
    }

    /// The line of the file on which data row `row` (0-based) starts, where known.
    pub fn line_of_row(&self, row: usize) -> Option<u64> {
        self.row_lines.get(row).copied()
    }
}

/// A row given cell by cell, for `RawTable::from_rows`.
pub trait Cells {
    /// Cell `i`, if the row has one.
    fn cell(&self, i: usize) -> Option<&str>;
}

impl Cells for Vec<String> {
    fn cell(&self, i: usize) -> Option<&str> {
        self.get(i).map(String::as_str)
    }
}

impl Cells for csv::StringRecord {
    fn cell(&self, i: usize) -> Option<&str> {
        self.get(i)
    }
}

/// Read a CSV (optionally gzip-compressed) or Parquet file.
pub fn read_file(path: &Path, opts: &ReadOptions) -> Result<RawTable> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let mut bytes = std::fs::read(path).map_err(|e| EngineError::io(file_name.clone(), e))?;
    read_bytes(&file_name, std::mem::take(&mut bytes), opts)
}

/// Read a file's content; `file_name` is used for format hints and messages.
pub fn read_bytes(file_name: &str, bytes: Vec<u8>, opts: &ReadOptions) -> Result<RawTable> {
    let lower = file_name.to_ascii_lowercase();
    if bytes.is_empty() {
        return Err(EngineError::data(file_name, None, "the file is empty"));
    }
    if bytes.starts_with(b"PAR1") || lower.ends_with(".parquet") || lower.ends_with(".pq") {
        return read_parquet(file_name, bytes, opts);
    }
    let is_gzip = bytes.starts_with(&[0x1f, 0x8b]);
    if lower.ends_with(".gz") && !is_gzip {
        return Err(EngineError::data(
            file_name,
            None,
            "the name ends in .gz but the content is not gzip-compressed",
        ));
    }
    let (bytes, format) = if is_gzip {
        (
            gunzip(file_name, &bytes, opts.max_unpacked_bytes)?,
            FileFormat::CsvGzip,
        )
    } else {
        (bytes, FileFormat::Csv)
    };
    read_csv(file_name, bytes, format, opts)
}

/// A byte-order mark for UTF-16 and text behind it that reads as lines of fields.
fn looks_utf16(bytes: &[u8]) -> bool {
    let little = bytes.starts_with(&[0xFF, 0xFE]);
    if !(little || bytes.starts_with(&[0xFE, 0xFF])) || !bytes.len().is_multiple_of(2) {
        return false;
    }
    let units = bytes[2..].chunks(2).map(|p| {
        if little {
            u16::from_le_bytes([p[0], p[1]])
        } else {
            u16::from_be_bytes([p[0], p[1]])
        }
    });
    let text: String = char::decode_utf16(units.take(4096))
        .map(|c| c.unwrap_or('\u{FFFD}'))
        .collect();
    !text.contains('\u{FFFD}') && text.contains(['\n', ',', ';', '\t'])
}

/// Unpack gzip data as a stream, refusing it once it passes `cap` bytes.
fn gunzip(file_name: &str, bytes: &[u8], cap: u64) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity((bytes.len() * 4).min(cap as usize));
    flate2::read::MultiGzDecoder::new(bytes)
        .take(cap.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| {
            EngineError::data(file_name, None, format!("the gzip data is corrupt: {e}"))
        })?;
    if out.len() as u64 > cap {
        return Err(EngineError::data(
            file_name,
            None,
            format!(
                "the gzip data unpacks to more than {cap} bytes, over {:.0} times its {} compressed bytes; \
                 Glassbox unpacks at most {cap} bytes (a setting of the server: --max-unpacked-bytes)",
                cap as f64 / bytes.len().max(1) as f64,
                bytes.len()
            ),
        ));
    }
    Ok(out)
}

/// Why a Parquet column cannot be read as one value per cell, if it cannot.
fn unreadable_type(dtype: &DataType) -> Option<&'static str> {
    match dtype {
        DataType::List(_) | DataType::Array(..) => Some("a list"),
        DataType::Struct(_) => Some("a struct (or map)"),
        DataType::Binary | DataType::BinaryOffset => Some("binary data"),
        _ => None,
    }
}

fn read_parquet(file_name: &str, bytes: Vec<u8>, opts: &ReadOptions) -> Result<RawTable> {
    // polars may panic on a type it has no support for; that is a refusal, never a crash.
    let read = std::panic::catch_unwind(|| ParquetReader::new(Cursor::new(bytes)).finish());
    let df = match read {
        Ok(r) => r.map_err(|e| {
            EngineError::data(file_name, None, format!("not a readable Parquet file: {e}"))
        })?,
        Err(_) => {
            return Err(EngineError::data(
                file_name,
                None,
                "the Parquet file has a column type Glassbox cannot read",
            ))
        }
    };
    if df.width() == 0 {
        return Err(EngineError::data(
            file_name,
            None,
            "the file has no columns",
        ));
    }
    check_width(file_name, df.width(), opts)?;
    if df.height() == 0 {
        return Err(EngineError::data(
            file_name,
            None,
            "the file has columns but no data rows",
        ));
    }
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let mut cols = Vec::with_capacity(df.width());
    for c in df.columns() {
        if let Some(what) = unreadable_type(c.dtype()) {
            return Err(EngineError::Data {
                location: crate::error::Location {
                    file: file_name.to_string(),
                    line: None,
                    column: Some(c.name().to_string()),
                },
                message: format!(
                    "the column holds {what} per cell ({}); Glassbox reads one value per cell: flatten it first",
                    c.dtype()
                ),
            });
        }
        let series = c.as_materialized_series();
        // A duration becomes a number of seconds: a feature a model can use.
        let as_text = match series.dtype() {
            DataType::Duration(unit) => {
                let per_second = match unit {
                    TimeUnit::Nanoseconds => 1e9,
                    TimeUnit::Microseconds => 1e6,
                    TimeUnit::Milliseconds => 1e3,
                };
                series
                    .cast(&DataType::Int64)
                    .and_then(|v| v.cast(&DataType::Float64))
                    .map(|v| &v / per_second)
                    .and_then(|v| v.cast(&DataType::String))
            }
            _ => series.cast(&DataType::String),
        };
        let s = as_text.map_err(|e| {
            EngineError::data(
                file_name,
                None,
                format!(
                    "column {:?} has a type Glassbox cannot read: {e}",
                    c.name().as_str()
                ),
            )
        })?;
        cols.push(s.into_column());
    }
    let frame = DataFrame::new_infer_height(cols)
        .map_err(|e| EngineError::data(file_name, None, e.to_string()))?;
    Ok(RawTable {
        file_name: file_name.to_string(),
        names,
        frame,
        format: FileFormat::Parquet,
        delimiter: None,
        row_lines: Vec::new(),
    })
}

fn check_width(file_name: &str, width: usize, opts: &ReadOptions) -> Result<()> {
    if width > opts.max_columns {
        return Err(EngineError::data(
            file_name,
            Some(1),
            format!(
                "the file has {width} columns; Glassbox reads at most {}",
                opts.max_columns
            ),
        ));
    }
    Ok(())
}

fn read_csv(
    file_name: &str,
    mut bytes: Vec<u8>,
    format: FileFormat,
    opts: &ReadOptions,
) -> Result<RawTable> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    if looks_utf16(&bytes) {
        return Err(EngineError::data(
            file_name,
            None,
            "the file is UTF-16 text; save it as UTF-8 (in Excel: CSV UTF-8) and upload it again",
        ));
    }
    if let Err(e) = std::str::from_utf8(&bytes) {
        let at = e.valid_up_to();
        let line = line_of(&bytes, at);
        let what = if bytes.starts_with(b"PK\x03\x04") {
            "the file is a ZIP archive, not CSV text (an Excel .xlsx file is one): save the sheet as CSV UTF-8, or upload the CSV inside"
        } else if bytes[..bytes.len().min(8192)].contains(&0) {
            "the file looks binary, not CSV text"
        } else {
            "the file is not UTF-8 text"
        };
        return Err(EngineError::data(
            file_name,
            Some(line),
            format!("{what} (invalid byte 0x{:02x} at offset {at})", bytes[at]),
        ));
    }
    if let Some(at) = memchr_zero(&bytes) {
        return Err(EngineError::data(
            file_name,
            Some(line_of(&bytes, at)),
            "the file looks binary, not CSV text (NUL byte)",
        ));
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(EngineError::data(file_name, None, "the file is empty"));
    }
    if matches!(
        bytes.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    ) {
        return Err(EngineError::data(
            file_name,
            Some(1),
            "the file looks like JSON, not CSV: Glassbox reads CSV (a header row, then one row per line) and Parquet",
        ));
    }
    // Old Mac line endings (CR only) are lines all the same, as pandas reads them.
    if !bytes.contains(&b'\n') && bytes.contains(&b'\r') {
        bytes.iter_mut().for_each(|b| {
            if *b == b'\r' {
                *b = b'\n'
            }
        });
    }
    let delimiter = sniff_delimiter(&bytes);
    let scan = scan_csv(file_name, &bytes, delimiter)?;
    check_width(file_name, scan.header.len(), opts)?;
    if scan.records == 0 {
        return Err(EngineError::data(
            file_name,
            Some(1),
            "the file has a header row but no data rows",
        ));
    }
    let names = header_names(file_name, &scan.header)?;
    let bytes = if scan.blank_lines.is_empty() {
        bytes
    } else {
        without_lines(&bytes, &scan.blank_lines)
    };

    let parse = CsvParseOptions::default()
        .with_separator(delimiter)
        .with_quote_char(Some(b'"'))
        .with_missing_is_null(true);
    let schema: Schema = names
        .iter()
        .enumerate()
        .map(|(i, _)| Field::new(format!("c{i}").into(), DataType::String))
        .collect();
    let mut df = CsvReadOptions::default()
        .with_has_header(true)
        .with_schema(Some(Arc::new(schema)))
        .with_parse_options(parse)
        .with_raise_if_empty(true)
        .into_reader_with_file_handle(Cursor::new(bytes))
        .finish()
        .map_err(|e| {
            scan.stray_quote_error(file_name).unwrap_or_else(|| {
                EngineError::data(file_name, None, format!("could not parse the CSV: {e}"))
            })
        })?;
    if df.height() != scan.records {
        if let Some(e) = scan.stray_quote_error(file_name) {
            return Err(e);
        }
        return Err(EngineError::data(
            file_name,
            None,
            format!(
                "the CSV is ambiguous: found {} data rows by one reading and {} by another; check quoting",
                scan.records,
                df.height()
            ),
        ));
    }
    df.set_column_names(&names)
        .map_err(|e| EngineError::data(file_name, Some(1), e.to_string()))?;
    Ok(RawTable {
        file_name: file_name.to_string(),
        names,
        frame: df,
        format,
        delimiter: Some(delimiter as char),
        row_lines: scan.row_lines,
    })
}

/// Copy `bytes` leaving out the lines that start at `starts`.
fn without_lines(bytes: &[u8], starts: &[usize]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut from = 0;
    for &s in starts {
        out.extend_from_slice(&bytes[from..s]);
        from = bytes[s..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |e| s + e + 1);
    }
    out.extend_from_slice(&bytes[from..]);
    out
}

fn memchr_zero(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == 0)
}

fn line_of(bytes: &[u8], offset: usize) -> u64 {
    1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count() as u64
}

/// Header names as pandas would give them: empty names become `Unnamed: i`.
/// Duplicate names are an error, since a column must be addressable by name.
fn header_names(file_name: &str, header: &[String]) -> Result<Vec<String>> {
    let mut names = Vec::with_capacity(header.len());
    let mut seen = std::collections::HashMap::new();
    for (i, raw) in header.iter().enumerate() {
        let name = if raw.trim().is_empty() {
            format!("Unnamed: {i}")
        } else {
            raw.clone()
        };
        if let Some(first) = seen.insert(name.clone(), i) {
            return Err(EngineError::data(
                file_name,
                Some(1),
                format!(
                    "duplicate column name {name:?} (columns {} and {})",
                    first + 1,
                    i + 1
                ),
            ));
        }
        names.push(name);
    }
    Ok(names)
}

/// Pick the separator among `, ; \t |` that splits the first lines most consistently.
pub fn sniff_delimiter(bytes: &[u8]) -> u8 {
    const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
    let mut lines: Vec<[usize; 4]> = Vec::new();
    let mut counts = [0usize; 4];
    let mut in_quotes = false;
    for &b in bytes.iter().take(256 * 1024) {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => {
                lines.push(counts);
                counts = [0; 4];
                if lines.len() >= 50 {
                    break;
                }
            }
            _ if !in_quotes => {
                if let Some(k) = CANDIDATES.iter().position(|&c| c == b) {
                    counts[k] += 1;
                }
            }
            _ => {}
        }
    }
    if lines.is_empty() {
        lines.push(counts);
    }
    let mut best = (b',', 0usize, 0usize);
    for (k, &cand) in CANDIDATES.iter().enumerate() {
        let header = lines[0][k];
        if header == 0 {
            continue;
        }
        let consistent = lines.iter().filter(|l| l[k] == header).count();
        if (consistent, header) > (best.1, best.2) {
            best = (cand, consistent, header);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str, s: &str) -> Result<RawTable> {
        read_bytes(name, s.as_bytes().to_vec(), &ReadOptions::default())
    }

    #[test]
    fn reads_quoted_newlines_bom_and_semicolons() {
        let t = read("x.csv", "\u{feff}a;b\n1;\"two\nlines\"\n3;\n").unwrap();
        assert_eq!(t.names, vec!["a", "b"]);
        assert_eq!(t.height(), 2);
        let b: Vec<_> = t.column(1).collect();
        assert_eq!(b, vec![Some("two\nlines"), None]);
        assert_eq!(t.delimiter, Some(';'));
    }

    #[test]
    fn ragged_row_names_line() {
        let e = read("adult.csv", "a,b,c\n1,2,3\n4,5\n")
            .err()
            .unwrap()
            .to_string();
        assert_eq!(e, "adult.csv line 3: expected 3 fields, found 2");
    }

    #[test]
    fn unterminated_quote_names_line() {
        let e = read("q.csv", "a,b\n1,2\n3,\"oops\n4,5\n")
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            e,
            "q.csv line 3: a quoted field opened here is never closed"
        );
    }

    #[test]
    fn empty_header_only_and_duplicates() {
        assert!(read("e.csv", "")
            .err()
            .unwrap()
            .to_string()
            .contains("empty"));
        assert!(read("h.csv", "a,b\n")
            .err()
            .unwrap()
            .to_string()
            .contains("no data rows"));
        let e = read("d.csv", "a,b,a\n1,2,3\n").err().unwrap().to_string();
        assert!(e.contains("duplicate column name \"a\""), "{e}");
    }

    #[test]
    fn binary_and_fake_gzip() {
        let e = read_bytes(
            "g.bin",
            vec![0xff, 0xfe, 0x00, 0x12],
            &ReadOptions::default(),
        )
        .err()
        .unwrap()
        .to_string();
        assert!(e.contains("line 1"), "{e}");
        let e = read("fake.csv.gz", "a,b\n1,2\n").err().unwrap().to_string();
        assert!(e.contains("not gzip"), "{e}");
    }

    #[test]
    fn gzip_round_trip() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"a,b\n1,x\n2,y\n").unwrap();
        let t = read_bytes("t.csv.gz", enc.finish().unwrap(), &ReadOptions::default()).unwrap();
        assert_eq!(t.height(), 2);
        assert_eq!(t.format, FileFormat::CsvGzip);
    }

    #[test]
    fn too_many_columns() {
        let header: Vec<String> = (0..20_000).map(|i| format!("c{i}")).collect();
        let row: Vec<&str> = (0..20_000).map(|_| "1").collect();
        let s = format!("{}\n{}\n", header.join(","), row.join(","));
        let e = read("wide.csv", &s).err().unwrap().to_string();
        assert!(e.contains("20000 columns"), "{e}");
    }

    #[test]
    fn blank_lines() {
        // Skipped as pandas does (skip_blank_lines=True), in any column count.
        let t = read("one.csv", "c\na\n\nb\n").unwrap();
        assert_eq!(t.column(0).collect::<Vec<_>>(), vec![Some("a"), Some("b")]);
        let t = read("two.csv", "a,b\n1,2\n\r\n3,4\n\n\n").unwrap();
        assert_eq!(t.height(), 2);
        assert_eq!(t.line_of_row(1), Some(4));
        // A blank line inside quotes is data.
        let t = read("q.csv", "a,b\n1,\"x\n\ny\"\n").unwrap();
        assert_eq!(t.column(1).collect::<Vec<_>>(), vec![Some("x\n\ny")]);
    }

    #[test]
    fn unnamed_first_column() {
        let t = read("r.csv", ",x\n0,a\n1,b\n").unwrap();
        assert_eq!(t.names, vec!["Unnamed: 0", "x"]);
    }
}
