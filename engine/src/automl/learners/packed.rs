//! Large arrays of numbers in `model.json`, stored compactly and exactly:
//! `{"dtype": "f8", "len": N, "zlib": "<base64>"}`. The numbers are written in the smallest
//! little-endian type that holds every one of them bit for bit (`u1`, `u2`, `u4`, `i1`, `i2`,
//! `i4`, `i8`, `f4`, else `f8`), their bytes grouped by position (every number's first byte,
//! then every second byte, …, as HDF5's shuffle filter does, so zlib finds the repeats),
//! compressed with zlib and written in base64. An array of few distinct numbers (at most
//! half its length) is stored as each number's place in a sorted table of them, `values`,
//! itself packed. Python reads one back with
//! `np.frombuffer(raw, np.uint8).reshape(itemsize, len).T.copy().view(dtype)`
//! (`glassbox_models._unpack`). A forest or booster written as JSON numbers takes about 4×
//! the space and 20× the time to read.

use std::io::{Read, Write};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// One packed array, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Packed {
    dtype: String,
    len: usize,
    zlib: String,
    /// When few numbers repeat often (a forest's midpoint thresholds and leaf values): the
    /// distinct numbers, sorted, and the array holds each number's place among them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    values: Option<Box<Packed>>,
}

/// Arrays this long or longer, whose distinct numbers are at most this share of them, are
/// stored as places in a table of their distinct numbers (on california's random forest
/// that halves the thresholds; extra trees' drawn thresholds are nearly all distinct).
const TABLE_MIN_LEN: usize = 64;
const TABLE_MAX_SHARE: f64 = 0.5;

/// The stored types, smallest first, with their byte widths.
const INTEGERS: [(&str, usize, i64, i64); 7] = [
    ("u1", 1, 0, u8::MAX as i64),
    ("i1", 1, i8::MIN as i64, i8::MAX as i64),
    ("u2", 2, 0, u16::MAX as i64),
    ("i2", 2, i16::MIN as i64, i16::MAX as i64),
    ("u4", 4, 0, u32::MAX as i64),
    ("i4", 4, i32::MIN as i64, i32::MAX as i64),
    ("i8", 8, i64::MIN, i64::MAX),
];

/// A number that is an integer, exactly (not -0.0, which an integer type would lose).
fn as_integer(x: f64) -> Option<i64> {
    let i = x as i64;
    (i as f64).to_bits().eq(&x.to_bits()).then_some(i)
}

impl Packed {
    /// Numbers, in the smallest type that holds all of them exactly.
    pub fn floats(xs: &[f64]) -> Packed {
        let ints: Option<Vec<i64>> = xs.iter().map(|&x| as_integer(x)).collect();
        if let Some(ints) = ints.filter(|i| !i.is_empty()) {
            return Packed::integers(&ints);
        }
        if xs.len() >= TABLE_MIN_LEN {
            let mut distinct = xs.to_vec();
            distinct.sort_unstable_by(f64::total_cmp);
            distinct.dedup_by(|a, b| a.to_bits() == b.to_bits());
            if distinct.len() as f64 <= TABLE_MAX_SHARE * xs.len() as f64 {
                let places: Vec<i64> = xs
                    .iter()
                    .map(|x| distinct.binary_search_by(|d| d.total_cmp(x)).unwrap_or(0) as i64)
                    .collect();
                return Packed {
                    values: Some(Box::new(Packed::floats(&distinct))),
                    ..Packed::integers(&places)
                };
            }
        }
        let single = xs.iter().all(|&x| (x as f32) as f64 == x);
        let bytes: Vec<u8> = if single {
            xs.iter().flat_map(|&x| (x as f32).to_le_bytes()).collect()
        } else {
            xs.iter().flat_map(|x| x.to_le_bytes()).collect()
        };
        Packed::new(if single { "f4" } else { "f8" }, xs.len(), &bytes)
    }

    /// Integers, in the smallest type that holds all of them.
    pub fn integers(xs: &[i64]) -> Packed {
        let lo = xs.iter().copied().min().unwrap_or(0);
        let hi = xs.iter().copied().max().unwrap_or(0);
        let (dtype, width, _, _) = INTEGERS
            .into_iter()
            .find(|(_, _, min, max)| lo >= *min && hi <= *max)
            .unwrap_or(INTEGERS[6]);
        let mut bytes = Vec::with_capacity(xs.len() * width);
        for x in xs {
            bytes.extend_from_slice(&x.to_le_bytes()[..width]);
        }
        Packed::new(dtype, xs.len(), &bytes)
    }

    fn new(dtype: &str, len: usize, bytes: &[u8]) -> Packed {
        let width = bytes.len().checked_div(len).unwrap_or(1).max(1);
        // Every number's byte 0, then every byte 1, …
        let mut shuffled = Vec::with_capacity(bytes.len());
        for b in 0..width {
            shuffled.extend(bytes.iter().skip(b).step_by(width));
        }
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        // Writing to a Vec cannot fail.
        let _ = z.write_all(&shuffled);
        let compressed = z.finish().unwrap_or_default();
        Packed {
            dtype: dtype.to_string(),
            len,
            zlib: base64::engine::general_purpose::STANDARD.encode(compressed),
            values: None,
        }
    }

    /// The stored bytes, unshuffled, with the type's width: an error names what is wrong.
    fn bytes(&self) -> Result<(Vec<u8>, usize), String> {
        let width = match self.dtype.as_str() {
            "u1" | "i1" => 1,
            "u2" | "i2" => 2,
            "u4" | "i4" | "f4" => 4,
            "i8" | "f8" => 8,
            other => return Err(format!("a packed array has the unknown type {other:?}")),
        };
        let compressed = base64::engine::general_purpose::STANDARD
            .decode(&self.zlib)
            .map_err(|e| format!("a packed array is not valid base64: {e}"))?;
        let want = self
            .len
            .checked_mul(width)
            .ok_or("a packed array is too long")?;
        let mut shuffled = Vec::with_capacity(want.min(1 << 30));
        flate2::read::ZlibDecoder::new(&compressed[..])
            .take(want as u64 + 1)
            .read_to_end(&mut shuffled)
            .map_err(|e| format!("a packed array does not decompress: {e}"))?;
        if shuffled.len() != want {
            return Err(format!(
                "a packed array holds {} bytes where {} {} numbers take {want}",
                shuffled.len(),
                self.len,
                self.dtype
            ));
        }
        let mut bytes = vec![0; want];
        for (b, plane) in shuffled.chunks(self.len.max(1)).enumerate() {
            for (i, v) in plane.iter().enumerate() {
                bytes[i * width + b] = *v;
            }
        }
        Ok((bytes, width))
    }

    /// The numbers, as `f64` (exactly the ones packed).
    pub fn to_floats(&self) -> Result<Vec<f64>, String> {
        if let Some(values) = &self.values {
            let values = values.to_floats()?;
            return self
                .stored_integers()?
                .into_iter()
                .map(|i| {
                    usize::try_from(i)
                        .ok()
                        .and_then(|i| values.get(i).copied())
                        .ok_or_else(|| {
                            format!(
                                "a packed array's place {i} is past its {} numbers",
                                values.len()
                            )
                        })
                })
                .collect();
        }
        let (bytes, width) = self.bytes()?;
        Ok(match self.dtype.as_str() {
            "f4" => bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)
                .collect(),
            "f8" => bytes
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap_or_default()))
                .collect(),
            _ => integers_of(&self.dtype, &bytes, width)
                .into_iter()
                .map(|i| i as f64)
                .collect(),
        })
    }

    /// The numbers, as integers: an error if the array holds fractions.
    pub fn to_integers(&self) -> Result<Vec<i64>, String> {
        if self.dtype.starts_with('f') || self.values.is_some() {
            return self
                .to_floats()?
                .into_iter()
                .map(|x| {
                    as_integer(x).ok_or_else(|| format!("a packed array of integers holds {x}"))
                })
                .collect();
        }
        self.stored_integers()
    }

    /// The stored integers themselves (for a table's places too).
    fn stored_integers(&self) -> Result<Vec<i64>, String> {
        if self.dtype.starts_with('f') {
            return Err(format!(
                "a packed array of places has the type {}",
                self.dtype
            ));
        }
        let (bytes, width) = self.bytes()?;
        Ok(integers_of(&self.dtype, &bytes, width))
    }
}

fn integers_of(dtype: &str, bytes: &[u8], width: usize) -> Vec<i64> {
    let signed = dtype.starts_with('i');
    bytes
        .chunks_exact(width)
        .map(|c| {
            let fill = if signed && c[width - 1] & 0x80 != 0 {
                0xff
            } else {
                0
            };
            let mut b = [fill; 8];
            b[..width].copy_from_slice(c);
            i64::from_le_bytes(b)
        })
        .collect()
}

/// `xs[at..at + n]`, or an error naming the array when it is too short.
pub fn part<'a, T>(xs: &'a [T], at: usize, n: usize, what: &str) -> Result<&'a [T], String> {
    xs.get(at..at + n)
        .ok_or_else(|| format!("a packed tree's {what} array is too short"))
}

pub fn to_u32(xs: &[i64], what: &str) -> Result<Vec<u32>, String> {
    xs.iter()
        .map(|&x| u32::try_from(x).map_err(|_| format!("a tree's {what} {x} is out of range")))
        .collect()
}

/// An array as `model.json` holds it: packed, or (files written before packing, and small
/// hand-written ones) a JSON list of numbers.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum Stored {
    Packed(Packed),
    List(Vec<f64>),
}

impl Stored {
    pub fn floats(self) -> Result<Vec<f64>, String> {
        match self {
            Stored::Packed(p) => p.to_floats(),
            Stored::List(v) => Ok(v),
        }
    }
}

/// `#[serde(with)]` for a large `Vec<f64>`: written packed, read packed or as a list.
pub mod floats {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(xs: &[f64], s: S) -> Result<S::Ok, S::Error> {
        super::Packed::floats(xs).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        super::Stored::deserialize(d)?
            .floats()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(xs: &[f64]) -> (String, Vec<f64>) {
        let p = Packed::floats(xs);
        let text = serde_json::to_string(&p).unwrap();
        let back: Stored = serde_json::from_str(&text).unwrap();
        (p.dtype, back.floats().unwrap())
    }

    fn bits(xs: &[f64]) -> Vec<u64> {
        xs.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn every_number_comes_back_bit_for_bit_in_the_smallest_type() {
        let cases: Vec<(Vec<f64>, &str)> = vec![
            (vec![0.0, 3.0, 255.0], "u1"),
            (vec![-1.0, 0.0, 5.0], "i1"),
            (vec![0.0, 300.0, 65535.0], "u2"),
            (vec![-1.0, 40_000.0], "i4"),
            (vec![1e12, -7.0], "i8"),
            (vec![0.5, 0.25, -3.75, 2f64.powi(100)], "f4"),
            (vec![0.1, 0.2 + 0.1, f64::MAX, f64::MIN_POSITIVE], "f8"),
            // -0.0 is not the integer 0, and NaN and infinities survive.
            (vec![-0.0, 1.0], "f4"),
            (vec![f64::NAN, 1.5, f64::INFINITY, f64::NEG_INFINITY], "f8"),
            (vec![], "f4"),
        ];
        for (xs, dtype) in cases {
            let (got_dtype, back) = round_trip(&xs);
            assert_eq!(got_dtype, dtype, "{xs:?}");
            assert_eq!(bits(&back), bits(&xs), "{xs:?}");
        }
        // Many numbers, mixed widths: the shuffle's planes line up.
        let many: Vec<f64> = (0..10_001).map(|i| (i as f64).sqrt() * 1e3).collect();
        assert_eq!(bits(&round_trip(&many).1), bits(&many));
        // Few distinct numbers, often repeated: a table of them (-0.0, 0.0 and NaN apart).
        let repeated: Vec<f64> = (0..1_000)
            .map(|i| {
                [0.1, -0.0, 0.0, f64::NAN, 2.5e-7, 0.3][i % 6] * if i % 7 == 0 { 3.0 } else { 1.0 }
            })
            .collect();
        let p = Packed::floats(&repeated);
        let distinct: std::collections::HashSet<u64> =
            repeated.iter().map(|x| x.to_bits()).collect();
        assert_eq!(
            (p.dtype.as_str(), p.values.as_ref().map(|v| v.len)),
            ("u1", Some(distinct.len()))
        );
        assert_eq!(bits(&round_trip(&repeated).1), bits(&repeated));
        assert!(
            Packed::floats(&many).values.is_none(),
            "all distinct: no table"
        );
        let ints: Vec<i64> = (-600..70_000).collect();
        let p = Packed::integers(&ints);
        assert_eq!(p.dtype, "i4");
        assert_eq!(p.to_integers().unwrap(), ints);
    }

    #[test]
    fn a_list_of_numbers_still_reads_and_damage_is_an_error() {
        let back: Stored = serde_json::from_str("[1.5, 2, -3]").unwrap();
        assert_eq!(back.floats().unwrap(), vec![1.5, 2.0, -3.0]);
        let mut p = Packed::floats(&[0.1, 0.7, 0.9]);
        p.len = 4;
        let e = p.to_floats().unwrap_err();
        assert!(
            e.contains("holds 24 bytes where 4 f8 numbers take 32"),
            "{e}"
        );
        p.len = 3;
        p.zlib.insert(3, '!');
        assert!(p.to_floats().unwrap_err().contains("not valid base64"));
        let p = Packed::floats(&[0.5, 0.75]);
        assert!(p.to_integers().unwrap_err().contains("holds 0.5"));
        let unknown = Packed {
            dtype: "c16".into(),
            ..Packed::floats(&[1.0])
        };
        let past = Packed {
            values: Some(Box::new(Packed::floats(&[0.5, 0.25]))),
            ..Packed::integers(&[0, 1, 2])
        };
        let e = past.to_floats().unwrap_err();
        assert!(e.contains("place 2 is past its 2 numbers"), "{e}");
        assert!(unknown
            .to_floats()
            .unwrap_err()
            .contains("unknown type \"c16\""));
    }
}
