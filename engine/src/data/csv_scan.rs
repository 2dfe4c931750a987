//! The strict first pass over CSV bytes: fields per record, the header, blank lines and
//! stray quotes, each reported with its line before the parser sees the file.

use crate::error::{EngineError, Result};

pub(super) struct Scan {
    pub header: Vec<String>,
    pub records: usize,
    pub row_lines: Vec<u64>,
    /// Byte offsets of blank lines (outside quotes), which are skipped as pandas does.
    pub blank_lines: Vec<usize>,
    /// The first quote in the middle of a field: (line, field number).
    pub stray_quote: Option<(u64, usize)>,
}

impl Scan {
    /// Why the parser and the scan disagree, when a stray quote explains it.
    pub(super) fn stray_quote_error(&self, file_name: &str) -> Option<EngineError> {
        self.stray_quote.map(|(line, field)| {
            EngineError::data(
                file_name,
                Some(line),
                format!(
                    "field {field} has a quote in the middle of it; quote the whole field and double the quotes inside (\"ab\"\"c\"), or remove the quote"
                ),
            )
        })
    }
}

/// One strict RFC 4180 pass: counts fields per record and reports the first record whose
/// field count differs from the header, or a quote that is never closed.
pub(super) fn scan_csv(file_name: &str, bytes: &[u8], delim: u8) -> Result<Scan> {
    #[derive(PartialEq)]
    enum St {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut st = St::FieldStart;
    let mut line: u64 = 1;
    let mut record_line: u64 = 1;
    let mut quote_line: u64 = 1;
    let mut fields = 0usize;
    let mut record_has_bytes = false;
    let mut expected: Option<usize> = None;
    let mut header: Vec<String> = Vec::new();
    let mut cur = Vec::new();
    let mut records = 0usize;
    let mut row_lines = Vec::new();
    let mut blank_lines = Vec::new();
    let mut line_start = 0usize;
    let mut stray_quote: Option<(u64, usize)> = None;

    let mut end_record =
        |fields: usize, record_line: u64, header_done: &mut Option<usize>| -> Result<()> {
            match *header_done {
                None => *header_done = Some(fields),
                Some(n) if n != fields => {
                    return Err(EngineError::data(
                        file_name,
                        Some(record_line),
                        format!("expected {n} fields, found {fields}"),
                    ))
                }
                Some(_) => {
                    records += 1;
                    row_lines.push(record_line);
                }
            }
            Ok(())
        };

    for (pos, &b) in bytes.iter().enumerate() {
        let in_header = expected.is_none();
        match st {
            St::Quoted => {
                if b == b'"' {
                    st = St::QuoteInQuoted;
                } else if in_header {
                    cur.push(b);
                }
                if b == b'\n' {
                    line += 1;
                }
                continue;
            }
            St::QuoteInQuoted if b == b'"' => {
                if in_header {
                    cur.push(b'"');
                }
                st = St::Quoted;
                continue;
            }
            _ => {}
        }
        if b == b'\r' {
            continue;
        }
        if b == b'\n' {
            if record_has_bytes {
                fields += 1;
                if in_header {
                    header.push(String::from_utf8_lossy(&cur).into_owned());
                    cur.clear();
                }
                end_record(fields, record_line, &mut expected)?;
            } else {
                blank_lines.push(line_start);
            }
            line_start = pos + 1;
            fields = 0;
            record_has_bytes = false;
            st = St::FieldStart;
            line += 1;
            record_line = line;
            continue;
        }
        record_has_bytes = true;
        if b == delim {
            fields += 1;
            if in_header {
                header.push(String::from_utf8_lossy(&cur).into_owned());
                cur.clear();
            }
            st = St::FieldStart;
            continue;
        }
        match st {
            St::FieldStart if b == b'"' => {
                st = St::Quoted;
                quote_line = line;
            }
            // A quote inside a field that does not start with one (`ab"c`), or text
            // after a closing quote (`"ab"c`): readers disagree on what it means. Kept
            // as text (as pandas does), and remembered in case the parser refuses it.
            St::Unquoted | St::QuoteInQuoted if b == b'"' || st == St::QuoteInQuoted => {
                stray_quote.get_or_insert((line, fields + 1));
                st = St::Unquoted;
            }
            _ => {
                st = St::Unquoted;
                if in_header {
                    cur.push(b);
                }
            }
        }
    }
    if st == St::Quoted {
        return Err(EngineError::data(
            file_name,
            Some(quote_line),
            "a quoted field opened here is never closed",
        ));
    }
    if record_has_bytes {
        fields += 1;
        if expected.is_none() {
            header.push(String::from_utf8_lossy(&cur).into_owned());
        }
        end_record(fields, record_line, &mut expected)?;
    }
    Ok(Scan {
        header,
        records,
        row_lines,
        blank_lines,
        stray_quote,
    })
}
