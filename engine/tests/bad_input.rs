//! Odd and hostile files at the reader: each gets a clear error naming the problem (or is
//! read), never a panic. The files are made here.

use std::io::Write;

use glassbox_engine::data::{read_bytes, ReadOptions};
use polars::prelude::*;

fn error(name: &str, bytes: Vec<u8>, opts: &ReadOptions) -> String {
    match read_bytes(name, bytes, opts) {
        Ok(t) => panic!("{name} was read ({} rows)", t.height()),
        Err(e) => e.to_string(),
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(data).unwrap();
    z.finish().unwrap()
}

#[test]
fn a_gzip_bomb_is_refused_with_its_ratio() {
    let body = format!("a,b\n{}", "1,2\n".repeat(2_000_000)); // 8 MB
    let bomb = gzip(body.as_bytes());
    let opts = ReadOptions {
        max_unpacked_bytes: 1 << 20,
        ..ReadOptions::default()
    };
    let e = error("bomb.csv.gz", bomb.clone(), &opts);
    assert!(e.contains("unpacks to more than 1048576 bytes"), "{e}");
    assert!(e.contains("times its"), "{e}");
    // Under the cap it reads.
    let t = read_bytes("bomb.csv.gz", bomb, &ReadOptions::default()).unwrap();
    assert_eq!(t.height(), 2_000_000);
}

#[test]
fn text_that_is_not_csv_is_named() {
    let opts = ReadOptions::default();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend("a,b\n1,2\n".encode_utf16().flat_map(|u| u.to_le_bytes()));
    assert!(error("u.csv", utf16, &opts).contains("UTF-16"));
    let json = br#"[{"a": 1, "b": 2}, {"a": 3, "b": 4}]"#.to_vec();
    assert!(error("j.csv", json, &opts).contains("looks like JSON"));
}

#[test]
fn carriage_return_line_endings_are_lines() {
    let t = read_bytes(
        "mac.csv",
        b"a,b\r1,2\r3,4\r".to_vec(),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(t.height(), 2);
    assert_eq!(t.names, vec!["a", "b"]);
}

fn parquet(mut df: DataFrame) -> Vec<u8> {
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf).finish(&mut df).unwrap();
    buf
}

#[test]
fn parquet_dates_times_durations_and_decimals_are_read() {
    let when = Series::new(
        "when".into(),
        &[1_700_000_000_000_000i64, 1_700_086_400_000_000],
    )
    .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
    .unwrap();
    let day = Series::new("day".into(), &[19_000i32, 19_001])
        .cast(&DataType::Date)
        .unwrap();
    let took = Series::new("took".into(), &[1_000_000i64, 2_500_000])
        .cast(&DataType::Duration(TimeUnit::Microseconds))
        .unwrap();
    let price = Series::new("price".into(), &["12.50", "3.25"])
        .cast(&DataType::Decimal(10, 2))
        .unwrap();
    let small = Series::new("small".into(), &[1i8, 2]);
    let df = DataFrame::new_infer_height(vec![
        when.into_column(),
        day.into_column(),
        took.into_column(),
        price.into_column(),
        small.into_column(),
    ])
    .unwrap();
    let t = read_bytes("typed.parquet", parquet(df), &ReadOptions::default()).unwrap();
    assert_eq!(t.height(), 2);
    let cells = |i: usize| {
        t.column(i)
            .map(|c| c.unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    assert!(cells(0)[0].starts_with("2023-11-14"), "{:?}", cells(0));
    assert_eq!(cells(1)[0], "2022-01-08");
    assert!(!cells(2)[0].is_empty());
    assert_eq!(cells(3), vec!["12.50", "3.25"]);
    assert_eq!(cells(4), vec!["1", "2"]);
}

#[test]
fn parquet_nested_columns_are_refused_by_name() {
    let inner = Series::new("x".into(), &[1i64, 2]);
    let nested = StructChunked::from_series("point".into(), 2, [inner].iter())
        .unwrap()
        .into_series();
    let df = DataFrame::new_infer_height(vec![
        Series::new("id".into(), &[1i64, 2]).into_column(),
        nested.into_column(),
    ])
    .unwrap();
    let e = error("nested.parquet", parquet(df), &ReadOptions::default());
    assert!(e.contains("\"point\"") && e.contains("struct"), "{e}");
}
