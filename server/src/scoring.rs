//! Scoring a data file with a model, chunk by chunk: *the one code* behind `glassbox
//! predict` and batch transform. A plain CSV file streams through in chunks of rows, so
//! memory stays bounded whatever its size; each chunk is typed by the model's own schema
//! (as in training), so chunking changes no prediction. Gzip and Parquet files are read
//! whole. Errors name the file, the line and the column.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::Path;

use anyhow::Context;
use glassbox_engine::automl::metrics::Predictions;
use glassbox_engine::automl::model::CandidateModel;
use glassbox_engine::data::{self, RawTable, ReadOptions};
use glassbox_engine::EngineError;

/// Rows per chunk (`GLASSBOX_CHUNK_ROWS` sets another, for tests of the chunk seams).
fn chunk_rows() -> usize {
    std::env::var("GLASSBOX_CHUNK_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(20_000)
}

/// The prediction columns: `predicted_label`, and for classes `probability` and
/// `proba_<label>` per class.
pub fn prediction_header(model: &CandidateModel) -> Vec<String> {
    let mut header = vec!["predicted_label".to_string()];
    if !model.classes.is_empty() {
        header.push("probability".to_string());
        header.extend(model.classes.iter().map(|c| format!("proba_{c}")));
    }
    header
}

/// Each row's predicted label (the class, or the value as text).
pub fn predicted_labels(model: &CandidateModel, preds: &Predictions) -> Vec<String> {
    match preds {
        Predictions::Values(v) => v.iter().map(|x| x.to_string()).collect(),
        Predictions::Proba { .. } => preds
            .classes()
            .into_iter()
            .map(|c| model.classes[c].clone())
            .collect(),
    }
}

/// One record per row: the prediction columns' cells.
pub fn prediction_records(model: &CandidateModel, preds: &Predictions) -> Vec<Vec<String>> {
    let cells = PredictionCells::new(model, preds);
    let mut buf = String::new();
    (0..cells.rows())
        .map(|row| {
            let mut rec = Vec::new();
            let Ok(()) = cells.each(row, &mut buf, |c| {
                rec.push(c.to_string());
                Ok::<_, std::convert::Infallible>(())
            });
            rec
        })
        .collect()
}

/// Each row's prediction cells, in `prediction_header`'s order: the label, then for
/// classes the label's probability and each class's. Numbers are written as `{}` writes
/// an `f64` (the shortest text that reads back the same).
pub struct PredictionCells<'a> {
    model: &'a CandidateModel,
    preds: &'a Predictions,
    /// Each row's class, for class predictions.
    classes: Vec<usize>,
}

impl<'a> PredictionCells<'a> {
    pub fn new(model: &'a CandidateModel, preds: &'a Predictions) -> Self {
        let classes = match preds {
            Predictions::Proba { .. } => preds.classes(),
            Predictions::Values(_) => vec![],
        };
        PredictionCells {
            model,
            preds,
            classes,
        }
    }

    pub fn rows(&self) -> usize {
        match self.preds {
            Predictions::Values(v) => v.len(),
            Predictions::Proba { .. } => self.classes.len(),
        }
    }

    /// Hands row `row`'s cells to `cell` in order, numbers formatted in `buf` (no string
    /// per cell).
    pub fn each<E>(
        &self,
        row: usize,
        buf: &mut String,
        mut cell: impl FnMut(&str) -> Result<(), E>,
    ) -> Result<(), E> {
        fn number(buf: &mut String, x: f64) -> &str {
            buf.clear();
            write!(buf, "{x}").expect("writing to a String");
            buf
        }
        match self.preds {
            Predictions::Values(v) => cell(number(buf, v[row])),
            Predictions::Proba { p, k } => {
                let (p, cls) = (&p[row * k..(row + 1) * k], self.classes[row]);
                cell(&self.model.classes[cls])?;
                cell(number(buf, p[cls]))?;
                for &x in p {
                    cell(number(buf, x))?;
                }
                Ok(())
            }
        }
    }
}

/// Whether a file streams as plain CSV (not gzip, not Parquet).
fn plain_csv(file: &Path) -> std::io::Result<bool> {
    let mut head = [0u8; 4];
    let n = std::fs::File::open(file)?.read(&mut head)?;
    Ok(!(head[..n].starts_with(&[0x1f, 0x8b]) || head[..n].starts_with(b"PAR1")))
}

/// The file's first lines (up to 256 KiB, cut at a line end), for the column names and
/// the delimiter as the engine's reader finds them.
fn head_of(file: &Path) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::fs::File::open(file)?
        .take(256 * 1024)
        .read_to_end(&mut buf)?;
    if buf.len() == 256 * 1024 {
        if let Some(end) = buf.iter().rposition(|&b| b == b'\n') {
            buf.truncate(end + 1);
        }
    }
    Ok(buf)
}

/// Scores `file` with `model`, writing CSV to `out`: the input's columns first when
/// `join_input`, then the prediction columns. `progress` is told the rows done so far.
/// Returns the number of rows.
pub fn score_file(
    model: &CandidateModel,
    file: &Path,
    out: impl Write,
    read: &ReadOptions,
    join_input: bool,
    progress: &dyn Fn(usize),
) -> anyhow::Result<usize> {
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(out));
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    // The column names and delimiter, as the engine reads them.
    let head = if plain_csv(file).with_context(|| format!("reading {}", file.display()))? {
        data::read_bytes(&file_name, head_of(file)?, read).ok()
    } else {
        None
    };
    let Some(head) = head.filter(|h| h.delimiter.is_some()) else {
        // Gzip, Parquet (or a first chunk the reader refuses: it says why, reading all).
        let raw = data::read_file(file, read)?;
        let n = raw.height();
        write_chunk(model, &raw, &mut w, join_input, true)?;
        progress(n);
        w.flush()?;
        return Ok(n);
    };
    let delimiter = head.delimiter.unwrap_or(',') as u8;
    let reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .from_path(file)
        .with_context(|| format!("reading {}", file.display()))?;
    // Two stages on two threads: this one reads and types the next chunk while the
    // caller's predicts and writes the last one. At most two chunks wait between them.
    let (tx, rx) = std::sync::mpsc::sync_channel::<anyhow::Result<(RawTable, Vec<u64>)>>(1);
    std::thread::scope(|scope| {
        scope.spawn(|| read_chunks(reader, &file_name, &head.names, tx));
        let mut done = 0;
        let mut first = true;
        // Ends when the reader has sent its last chunk, or at the first error (dropping
        // `rx`, which stops the reader at its next send).
        for chunk in rx {
            let (raw, lines) = chunk?;
            write_chunk(model, &raw, &mut w, join_input, first).map_err(|e| {
                match e.downcast::<EngineError>() {
                    Ok(e) => relocate(e, &lines),
                    Err(e) => e,
                }
            })?;
            done += raw.height();
            progress(done);
            first = false;
        }
        w.flush()?;
        Ok(done)
    })
}

/// Reads `reader`'s records in chunks and sends each typed, with its rows' file lines;
/// a file without rows sends one empty chunk. Stops at the first error, which it sends,
/// or when nobody receives.
fn read_chunks(
    mut reader: csv::Reader<std::fs::File>,
    file_name: &str,
    names: &[String],
    tx: std::sync::mpsc::SyncSender<anyhow::Result<(RawTable, Vec<u64>)>>,
) {
    let chunk = chunk_rows();
    // Records are read into slots kept from chunk to chunk; `used` of them hold this one.
    let mut records: Vec<csv::StringRecord> = Vec::with_capacity(chunk);
    let mut used = 0;
    let mut lines = Vec::with_capacity(chunk);
    let mut first = true;
    loop {
        if used == records.len() {
            records.push(csv::StringRecord::new());
        }
        let more = match reader.read_record(&mut records[used]) {
            Ok(more) => more,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                let _ = tx.send(Err(anyhow::anyhow!("{file_name} line {line}: {e}")));
                return;
            }
        };
        if more {
            lines.push(records[used].position().map(|p| p.line()).unwrap_or(0));
            used += 1;
        }
        if used == chunk || (!more && (used > 0 || first)) {
            // Typed cell by cell, with no second parse.
            let sent = match RawTable::from_rows(file_name, names, &records[..used]) {
                Ok(raw) => tx.send(Ok((raw, std::mem::take(&mut lines)))),
                Err(e) => {
                    let _ = tx.send(Err(relocate(e, &lines)));
                    return;
                }
            };
            if sent.is_err() {
                return;
            }
            first = false;
            used = 0;
            lines = Vec::with_capacity(chunk);
        }
        if !more {
            return;
        }
    }
}

/// An error about a chunk's line L (the header is line 1) told at the file's line.
fn relocate(e: EngineError, lines: &[u64]) -> anyhow::Error {
    match e {
        EngineError::Data {
            mut location,
            message,
        } => {
            location.line = location
                .line
                .and_then(|l| lines.get((l as usize).checked_sub(2)?).copied());
            EngineError::Data { location, message }.into()
        }
        other => other.into(),
    }
}

fn write_chunk<W: Write>(
    model: &CandidateModel,
    raw: &RawTable,
    w: &mut csv::Writer<W>,
    join_input: bool,
    header: bool,
) -> anyhow::Result<()> {
    let preds = if raw.height() == 0 {
        None
    } else {
        Some(model.predict_raw(raw)?)
    };
    if header {
        let mut h: Vec<String> = if join_input {
            raw.names.clone()
        } else {
            vec![]
        };
        h.extend(prediction_header(model));
        w.write_record(&h)?;
    }
    let Some(preds) = preds else { return Ok(()) };
    let inputs: Vec<Vec<Option<&str>>> = if join_input {
        (0..raw.names.len())
            .map(|c| raw.column(c).collect())
            .collect()
    } else {
        vec![]
    };
    // Field by field: no string per cell.
    let cells = PredictionCells::new(model, &preds);
    let mut buf = String::new();
    for row in 0..raw.height() {
        for col in &inputs {
            w.write_field(col[row].unwrap_or(""))?;
        }
        cells.each(row, &mut buf, |c| w.write_field(c))?;
        w.write_record(None::<&[u8]>)?;
    }
    Ok(())
}
