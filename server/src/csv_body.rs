//! The CSV rows of a request body, parsed by a `csv_core` reader kept per thread. Building a
//! reader (its state machine) costs more than parsing an endpoint's one-row body, and the
//! `csv` crate builds one per call. The dialect is the `csv` crate's default, which the
//! tests compare against: commas, double quotes (doubled inside a quoted field), `\n`,
//! `\r` or `\r\n` line ends, blank lines skipped, a UTF-8 byte-order mark dropped, and
//! records of any length.

use std::cell::RefCell;

use csv_core::{ReadRecordResult, Reader};

thread_local! {
    static READER: RefCell<Reader> = RefCell::new(Reader::new());
}

/// Every record of `body`, as its fields. An error names the record (1-based).
pub fn records(body: &[u8]) -> Result<Vec<Vec<String>>, String> {
    READER.with(|r| {
        let mut r = r.borrow_mut();
        r.reset();
        parse(&mut r, body)
    })
}

fn parse(r: &mut Reader, mut input: &[u8]) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    // A record's fields never take more bytes than the input they come from.
    let mut out = vec![0u8; input.len() + 1];
    let mut ends = vec![0usize; 32];
    let (mut nout, mut nend) = (0, 0);
    loop {
        let was_empty = input.is_empty();
        let (res, nin, o, e) = r.read_record(input, &mut out[nout..], &mut ends[nend..]);
        input = &input[nin..];
        nout += o;
        nend += e;
        match res {
            ReadRecordResult::InputEmpty if was_empty => break,
            ReadRecordResult::InputEmpty => {}
            ReadRecordResult::OutputFull => out.resize(out.len() * 2, 0),
            ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
            ReadRecordResult::Record => {
                rows.push(fields(&out[..nout], &ends[..nend], rows.len() + 1)?);
                nout = 0;
                nend = 0;
            }
            ReadRecordResult::End => break,
        }
    }
    Ok(rows)
}

fn fields(out: &[u8], ends: &[usize], record: usize) -> Result<Vec<String>, String> {
    let mut start = 0;
    ends.iter()
        .enumerate()
        .map(|(i, &end)| {
            let field = std::str::from_utf8(&out[start..end])
                .map_err(|_| format!("row {record}: field {} is not UTF-8 text", i + 1))?;
            start = end;
            Ok(field.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_csv_crate(body: &[u8]) -> Result<Vec<Vec<String>>, String> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(body)
            .records()
            .map(|r| {
                r.map(|r| r.iter().map(str::to_string).collect())
                    .map_err(|e| e.to_string())
            })
            .collect()
    }

    #[test]
    fn records_are_read_as_the_csv_crate_reads_them() {
        let bodies: [&[u8]; 14] = [
            b"",
            b"\n\n",
            b"1,2,3",
            b"1,2,3\n",
            b"1,2,3\r\n4,5\r\n",
            b"1,2\r3,4\r",
            b"\xef\xbb\xbfa,b\n1,2\n",
            b"a,,\"\"\n,\n",
            b"\"x, y\",\"say \"\"hi\"\"\",z\n",
            b"\"two\nlines\",2\n3,4",
            b"\n\n1,2\n\n\n3,4\n\n",
            b" spaced , kept \n",
            b"\"unclosed,1\n2,3",
            b"caf\xc3\xa9,\xe2\x82\xac,\"\xf0\x9f\x90\x8d\"\n",
        ];
        for body in bodies {
            assert_eq!(
                records(body).unwrap(),
                by_csv_crate(body).unwrap(),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
        // A long body makes the buffers grow.
        let long: String = (0..500)
            .map(|i| format!("{i},\"{}\"\n", "q".repeat(i)))
            .collect();
        assert_eq!(
            records(long.as_bytes()).unwrap(),
            by_csv_crate(long.as_bytes()).unwrap()
        );
        let wide: String = (0..300)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(records(wide.as_bytes()).unwrap()[0].len(), 300);
    }

    #[test]
    fn a_field_that_is_not_utf8_names_its_row_and_field_and_the_reader_recovers() {
        assert_eq!(
            records(b"1,2\n3,\xff\xfe\n").unwrap_err(),
            "row 2: field 2 is not UTF-8 text"
        );
        assert!(by_csv_crate(b"1,2\n3,\xff\xfe\n").is_err());
        // The thread's reader starts afresh on the next body.
        assert_eq!(records(b"\"a\n").unwrap(), vec![vec!["a\n".to_string()]]);
        assert_eq!(records(b"x,y\n").unwrap(), vec![vec!["x", "y"]]);
    }
}
