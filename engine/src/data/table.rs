//! Typed columns: missing-value recognition, column type inference and problem type inference.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::datetime;
use super::read::RawTable;
use crate::error::{EngineError, Result};

/// Cells read as missing, compared after trimming white space. `NA`, `N/A`, `null` and
/// `NaN` match in any case. `None` is missing only in a column whose other values are
/// numbers or dates; where it stands among other words it is a category
/// (diabetic_data's `max_glu_serum`).
pub const MISSING_TOKENS: &[&str] = &["", "NA", "N/A", "?", "null", "NaN", "None"];

pub(crate) const MISSING_CODE: u32 = u32::MAX;

fn standard_missing(s: &str) -> bool {
    s.is_empty()
        || s == "?"
        || s.eq_ignore_ascii_case("na")
        || s.eq_ignore_ascii_case("n/a")
        || s.eq_ignore_ascii_case("null")
        || s.eq_ignore_ascii_case("nan")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum ColumnKind {
    Numeric,
    Categorical,
    Text,
    Datetime,
    Id,
    Constant,
}

impl ColumnKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnKind::Numeric => "numeric",
            ColumnKind::Categorical => "categorical",
            ColumnKind::Text => "text",
            ColumnKind::Datetime => "datetime",
            ColumnKind::Id => "id",
            ColumnKind::Constant => "constant",
        }
    }

    pub fn parse(s: &str) -> Option<ColumnKind> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "numeric" => ColumnKind::Numeric,
            "categorical" => ColumnKind::Categorical,
            "text" => ColumnKind::Text,
            "datetime" => ColumnKind::Datetime,
            _ => return None,
        })
    }
}

/// A column's cells in the representation its kind needs.
#[derive(Debug, Clone)]
pub enum Values {
    /// `NaN` marks a missing cell.
    Numeric(Vec<f64>),
    /// Codes index `levels`; `u32::MAX` marks a missing cell. Levels are in first-seen order.
    Categorical {
        codes: Vec<u32>,
        levels: Vec<String>,
    },
    Text(Vec<Option<String>>),
    /// Seconds since the epoch; `NaN` marks a missing cell.
    Datetime {
        secs: Vec<f64>,
        format: String,
    },
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Values::Numeric(v) => v.len(),
            Values::Categorical { codes, .. } => codes.len(),
            Values::Text(v) => v.len(),
            Values::Datetime { secs, .. } => secs.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_missing(&self, i: usize) -> bool {
        match self {
            Values::Numeric(v) => v[i].is_nan(),
            Values::Categorical { codes, .. } => codes[i] == MISSING_CODE,
            Values::Text(v) => v[i].is_none(),
            Values::Datetime { secs, .. } => secs[i].is_nan(),
        }
    }

    /// The category label of row `i`, for categorical values.
    pub fn label(&self, i: usize) -> Option<&str> {
        match self {
            Values::Categorical { codes, levels } if codes[i] != MISSING_CODE => {
                Some(levels[codes[i] as usize].as_str())
            }
            _ => None,
        }
    }

    /// How many distinct non-missing values there are, for numeric and categorical
    /// values (`None` for text and datetimes).
    pub fn distinct(&self) -> Option<usize> {
        match self {
            Values::Numeric(v) => {
                let mut seen: Vec<u64> = v
                    .iter()
                    .filter(|x| !x.is_nan())
                    .map(|x| x.to_bits())
                    .collect();
                seen.sort_unstable();
                seen.dedup();
                Some(seen.len())
            }
            Values::Categorical { codes, levels } => {
                let mut used = vec![false; levels.len()];
                for &c in codes.iter().filter(|&&c| c != MISSING_CODE) {
                    used[c as usize] = true;
                }
                Some(used.iter().filter(|&&u| u).count())
            }
            _ => None,
        }
    }

    /// Numbers for numeric and datetime values.
    pub fn numbers(&self) -> Option<&[f64]> {
        match self {
            Values::Numeric(v) => Some(v),
            Values::Datetime { secs, .. } => Some(secs),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
    pub values: Values,
    pub missing: usize,
    /// Which cell texts were read as missing, and how often.
    pub missing_tokens: BTreeMap<String, usize>,
    /// Why the kind was chosen, in words.
    pub kind_reason: String,
}

impl Column {
    /// The cells at `rows` (in bounds, repeats allowed), in that order, typed as here (the
    /// same kind and category levels).
    pub fn gather(&self, rows: &[usize]) -> Column {
        let values = match &self.values {
            Values::Numeric(v) => Values::Numeric(rows.iter().map(|&r| v[r]).collect()),
            Values::Categorical { codes, levels } => Values::Categorical {
                codes: rows.iter().map(|&r| codes[r]).collect(),
                levels: levels.clone(),
            },
            Values::Text(v) => Values::Text(rows.iter().map(|&r| v[r].clone()).collect()),
            Values::Datetime { secs, format } => Values::Datetime {
                secs: rows.iter().map(|&r| secs[r]).collect(),
                format: format.clone(),
            },
        };
        let missing = (0..rows.len()).filter(|&i| values.is_missing(i)).count();
        Column {
            name: self.name.clone(),
            kind: self.kind,
            values,
            missing,
            missing_tokens: self.missing_tokens.clone(),
            kind_reason: self.kind_reason.clone(),
        }
    }
}

/// User-given column types, by column name.
pub type TypeOverrides = BTreeMap<String, ColumnKind>;

/// A typed table. `raw` keeps the cells as read, for row samples and duplicate checks.
pub struct Table {
    pub file_name: String,
    pub columns: Vec<Column>,
    pub raw: RawTable,
}

impl Table {
    pub fn n_rows(&self) -> usize {
        self.raw.height()
    }

    /// The rows at `rows` (in bounds), typed as they are here (a sample keeps its
    /// columns' kinds and category levels).
    pub fn select_rows(&self, rows: &[usize]) -> Result<Table> {
        Ok(Table {
            file_name: self.file_name.clone(),
            columns: self.columns.iter().map(|c| c.gather(rows)).collect(),
            raw: self.raw.select_rows(rows)?,
        })
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// Type every column of `raw`. The target, if named, is typed as a label (numeric or
    /// categorical), never as id, text or constant.
    pub fn from_raw(
        raw: RawTable,
        target: Option<&str>,
        overrides: &TypeOverrides,
    ) -> Result<Table> {
        if let Some(t) = target {
            if !raw.names.iter().any(|n| n == t) {
                return Err(EngineError::invalid(
                    "target",
                    format!(
                        "{}: no column named {t:?}; columns are {}",
                        raw.file_name,
                        list_names(&raw.names)
                    ),
                ));
            }
        }
        for name in overrides.keys() {
            if !raw.names.iter().any(|n| n == name) {
                return Err(EngineError::invalid(
                    "feature-type",
                    format!("{}: no column named {name:?}", raw.file_name),
                ));
            }
        }
        let columns = (0..raw.names.len())
            .map(|i| {
                let name = &raw.names[i];
                type_column(
                    &raw,
                    i,
                    target == Some(name.as_str()),
                    overrides.get(name).copied(),
                )
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Table {
            file_name: raw.file_name.clone(),
            columns,
            raw,
        })
    }

    /// Column `i` typed as a job would type it were it the target (a number column or
    /// labels), whatever it is as a feature.
    pub fn column_as_target(&self, i: usize) -> Result<Column> {
        match self.columns[i].kind {
            // Numbers and labels are typed the same either way.
            ColumnKind::Numeric | ColumnKind::Categorical => Ok(self.columns[i].clone()),
            ColumnKind::Id if matches!(self.columns[i].values, Values::Numeric(_)) => {
                Ok(self.columns[i].clone())
            }
            _ => type_column(&self.raw, i, true, None),
        }
    }
}

/// Type the columns a fitted model needs, by name, with the kinds it was trained on: the
/// way `predict` reads a new file. A missing column is an error that names it; extra
/// columns are ignored. Dates are parsed with the format seen in training.
pub fn typed_columns(
    raw: &RawTable,
    schema: &[(String, ColumnKind, Option<String>)],
) -> Result<Vec<Column>> {
    let missing: Vec<&str> = schema
        .iter()
        .filter(|(n, _, _)| !raw.names.iter().any(|r| r == n))
        .map(|(n, _, _)| n.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(EngineError::data(
            &raw.file_name,
            Some(1),
            format!(
                "missing feature column{} {}",
                if missing.len() > 1 { "s" } else { "" },
                missing
                    .iter()
                    .map(|m| format!("{m:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    schema
        .iter()
        .map(|(name, kind, fmt)| {
            let i = raw
                .names
                .iter()
                .position(|r| r == name)
                .expect("checked above");
            match (kind, fmt) {
                (ColumnKind::Datetime, Some(f)) => {
                    let format = datetime::DateFormat(f.clone());
                    let mut secs = Vec::with_capacity(raw.height());
                    let mut missing = 0;
                    for (row, cell) in raw.column(i).enumerate() {
                        let s = cell.map(str::trim).unwrap_or("");
                        if standard_missing(s) || s == "None" {
                            secs.push(f64::NAN);
                            missing += 1;
                        } else {
                            secs.push(format.parse(s).ok_or_else(|| EngineError::Data {
                                location: crate::error::Location {
                                    file: raw.file_name.clone(),
                                    line: raw.line_of_row(row),
                                    column: Some(name.clone()),
                                },
                                message: format!("{s:?} is not a date in the training format {f}"),
                            })?);
                        }
                    }
                    Ok(Column {
                        name: name.clone(),
                        kind: ColumnKind::Datetime,
                        values: Values::Datetime {
                            secs,
                            format: f.clone(),
                        },
                        missing,
                        missing_tokens: BTreeMap::new(),
                        kind_reason: "as in training".into(),
                    })
                }
                _ => type_column(raw, i, false, Some(*kind)),
            }
        })
        .collect()
}

fn list_names(names: &[String]) -> String {
    let shown: Vec<String> = names.iter().take(20).map(|n| format!("{n:?}")).collect();
    let more = names.len().saturating_sub(20);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// A cell as a number: what `str::parse` reads, or a number written with thousands
/// separators (`1,234,567`, `-12,345.5`), which pandas reads with `thousands=","`; the
/// notebooks' reader (`glassbox_helpers._numbers`) applies the same rule.
fn parse_number(s: &str) -> Option<f64> {
    let v: f64 = match s.parse() {
        Ok(v) => v,
        Err(_) => parse_grouped(s)?,
    };
    v.is_finite().then_some(v)
}

/// `[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?`, as a number.
fn parse_grouped(s: &str) -> Option<f64> {
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let mut groups = int.split(',');
    let first = groups.next()?;
    let mut rest = 0;
    for g in groups {
        if g.len() != 3 || !digits(g) {
            return None;
        }
        rest += 1;
    }
    let ok = digits(first) && first.len() <= 3 && rest > 0 && frac.is_none_or(digits);
    ok.then(|| s.replace(',', "").parse().ok()).flatten()
}

fn words(s: &str) -> usize {
    s.split_whitespace().count()
}

/// Column names that usually hold identifiers.
fn id_like_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let n = n.trim();
    n == "id"
        || n.ends_with("_id")
        || n.ends_with("id") && name.ends_with("ID")
        || name.ends_with("Id")
        || n.ends_with("_nbr")
        || n.ends_with("_number")
        || n.ends_with("_key")
        || n == "uuid"
        || n == "key"
}

fn type_column(
    raw: &RawTable,
    i: usize,
    is_target: bool,
    forced: Option<ColumnKind>,
) -> Result<Column> {
    let name = raw.names[i].clone();
    let n = raw.height();
    // Distinct trimmed cell texts with counts; missing tokens counted apart.
    let mut distinct: HashMap<&str, usize> = HashMap::new();
    let mut tokens: BTreeMap<String, usize> = BTreeMap::new();
    for cell in raw.column(i) {
        let s = cell.map(str::trim).unwrap_or("");
        if standard_missing(s) {
            *tokens.entry(cell.unwrap_or("").to_string()).or_default() += 1;
        } else {
            *distinct.entry(s).or_default() += 1;
        }
    }
    let none_count = distinct.get("None").copied().unwrap_or(0);
    let others = || distinct.keys().copied().filter(|s| *s != "None");
    let others_numeric = others().all(|s| parse_number(s).is_some());
    let date_format = if others_numeric {
        None
    } else {
        datetime::detect(others())
    };
    // `None` is missing beside numbers or dates, a category beside words.
    let none_missing = none_count > 0 && (others_numeric || date_format.is_some());
    if none_missing {
        distinct.remove("None");
        tokens.insert("None".to_string(), none_count);
    }
    let missing: usize = tokens.values().sum();
    let present = n - missing;
    let n_distinct = distinct.len();
    let numeric = n_distinct > 0 && others_numeric;

    let (kind, reason) = if let Some(k) = forced {
        (k, "set by the user".to_string())
    } else if is_target {
        if numeric {
            (
                ColumnKind::Numeric,
                "target; every value is a number".to_string(),
            )
        } else {
            (
                ColumnKind::Categorical,
                "target; values are labels".to_string(),
            )
        }
    } else if n_distinct == 0 {
        (ColumnKind::Constant, "every value is missing".to_string())
    } else if n_distinct == 1 {
        (ColumnKind::Constant, "a single distinct value".to_string())
    } else if numeric {
        let grouped = distinct.keys().find(|s| s.contains(','));
        let integers = distinct
            .keys()
            .all(|s| parse_number(s).is_some_and(|v| v.fract() == 0.0));
        let unique = n_distinct == present && missing == 0 && n >= 20;
        let ratio = n_distinct as f64 / present as f64;
        // Thousands separators mark a quantity: identifiers are not written that way.
        if integers && grouped.is_none() && (unique || (id_like_name(&name) && ratio >= 0.5)) {
            (
                ColumnKind::Id,
                format!("integers, {n_distinct} distinct in {present} rows, an identifier"),
            )
        } else if let Some(example) = grouped {
            (
                ColumnKind::Numeric,
                format!("every value is a number (some written with thousands separators, as {example:?})"),
            )
        } else {
            (ColumnKind::Numeric, "every value is a number".to_string())
        }
    } else if let Some(fmt) = &date_format {
        (
            ColumnKind::Datetime,
            format!("every value is a date ({})", fmt.0),
        )
    } else {
        let total_words: usize = distinct.iter().map(|(s, c)| words(s) * c).sum();
        let mean_words = total_words as f64 / present.max(1) as f64;
        let ratio = n_distinct as f64 / present.max(1) as f64;
        let single_tokens = distinct.keys().all(|s| words(s) <= 1);
        if single_tokens
            && ((n_distinct == present && missing == 0 && n >= 20)
                || (id_like_name(&name) && ratio >= 0.5))
        {
            (
                ColumnKind::Id,
                format!(
                    "{n_distinct} distinct single-token values in {present} rows, an identifier"
                ),
            )
        } else if mean_words >= 2.5 && ratio >= 0.3 && n_distinct > 20 {
            (
                ColumnKind::Text,
                format!("free text: {mean_words:.1} words per cell, {n_distinct} distinct values"),
            )
        } else {
            (
                ColumnKind::Categorical,
                format!("{n_distinct} distinct labels"),
            )
        }
    };

    let is_missing = |cell: Option<&str>| -> bool {
        let s = cell.map(str::trim).unwrap_or("");
        standard_missing(s) || (none_missing && s == "None")
    };
    let values = match kind {
        ColumnKind::Numeric | ColumnKind::Id if numeric => Values::Numeric(
            raw.column(i)
                .map(|c| {
                    if is_missing(c) {
                        f64::NAN
                    } else {
                        parse_number(c.unwrap().trim()).unwrap()
                    }
                })
                .collect(),
        ),
        ColumnKind::Numeric => {
            let mut out = Vec::with_capacity(n);
            for (row, c) in raw.column(i).enumerate() {
                if is_missing(c) {
                    out.push(f64::NAN);
                } else {
                    let s = c.unwrap().trim();
                    out.push(parse_number(s).ok_or_else(|| EngineError::Data {
                        location: crate::error::Location {
                            file: raw.file_name.clone(),
                            line: raw.line_of_row(row),
                            column: Some(name.clone()),
                        },
                        message: format!(
                            "{s:?} is not a number, but the column was declared numeric"
                        ),
                    })?);
                }
            }
            Values::Numeric(out)
        }
        ColumnKind::Datetime => {
            let fmt = match (&date_format, forced) {
                (Some(f), _) => f.clone(),
                _ => {
                    return Err(EngineError::Data {
                        location: crate::error::Location {
                            file: raw.file_name.clone(),
                            line: None,
                            column: Some(name.clone()),
                        },
                        message: "the column was declared datetime, but its values are not dates in one format".into(),
                    })
                }
            };
            let secs = raw
                .column(i)
                .map(|c| {
                    if is_missing(c) {
                        f64::NAN
                    } else {
                        fmt.parse(c.unwrap()).unwrap_or(f64::NAN)
                    }
                })
                .collect();
            Values::Datetime {
                secs,
                format: fmt.0,
            }
        }
        ColumnKind::Text => Values::Text(
            raw.column(i)
                .map(|c| {
                    if is_missing(c) {
                        None
                    } else {
                        Some(c.unwrap().trim().to_string())
                    }
                })
                .collect(),
        ),
        ColumnKind::Categorical | ColumnKind::Id | ColumnKind::Constant => {
            if numeric && kind == ColumnKind::Constant {
                Values::Numeric(
                    raw.column(i)
                        .map(|c| {
                            if is_missing(c) {
                                f64::NAN
                            } else {
                                parse_number(c.unwrap().trim()).unwrap()
                            }
                        })
                        .collect(),
                )
            } else {
                // One lookup per cell: foldhash, several times faster than the default
                // SipHash on short strings, and seeded per map.
                let mut index: HashMap<&str, u32, foldhash::fast::RandomState> = HashMap::default();
                let mut levels = Vec::new();
                let codes = raw
                    .column(i)
                    .map(|c| {
                        if is_missing(c) {
                            return MISSING_CODE;
                        }
                        let s = c.unwrap().trim();
                        *index.entry(s).or_insert_with(|| {
                            levels.push(s.to_string());
                            (levels.len() - 1) as u32
                        })
                    })
                    .collect();
                Values::Categorical { codes, levels }
            }
        }
    };
    Ok(Column {
        name,
        kind,
        values,
        missing,
        missing_tokens: tokens,
        kind_reason: reason,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::data::read::{read_bytes, ReadOptions};

    /// A table from CSV text (shared by the data layer's tests).
    pub(crate) fn table(s: &str, target: Option<&str>) -> Table {
        let raw = read_bytes("t.csv", s.as_bytes().to_vec(), &ReadOptions::default()).unwrap();
        Table::from_raw(raw, target, &TypeOverrides::new()).unwrap()
    }

    #[test]
    fn none_is_a_category_among_words_and_missing_among_numbers() {
        let t = table("a,b\nNone,1\nNorm,None\n>300,3\nNone,?\n", None);
        assert_eq!(t.columns[0].kind, ColumnKind::Categorical);
        assert_eq!(t.columns[0].missing, 0);
        assert_eq!(t.columns[1].kind, ColumnKind::Numeric);
        assert_eq!(t.columns[1].missing, 2);
        assert_eq!(t.columns[1].missing_tokens.get("None"), Some(&1));
        assert_eq!(t.columns[1].missing_tokens.get("?"), Some(&1));
    }

    #[test]
    fn blanks_in_numbers_are_missing() {
        let t = table("x\n1.5\n \n2\n", None);
        assert_eq!(t.columns[0].kind, ColumnKind::Numeric);
        assert_eq!(t.columns[0].missing, 1);
    }

    #[test]
    fn override_to_numeric_names_the_bad_cell() {
        let raw = read_bytes("t.csv", b"a\n1\nx\n".to_vec(), &ReadOptions::default()).unwrap();
        let mut o = TypeOverrides::new();
        o.insert("a".into(), ColumnKind::Numeric);
        let e = Table::from_raw(raw, None, &o).err().unwrap().to_string();
        assert_eq!(
            e,
            "t.csv line 3 column \"a\": \"x\" is not a number, but the column was declared numeric"
        );
    }

    #[test]
    fn thousands_separators_make_numbers() {
        let mut csv = String::from("population,code\n");
        for i in 0..30 {
            csv += &format!("\"{},{:03}\",\"1,{i}\"\n", 1 + i, i * 7);
        }
        let t = table(&csv, None);
        assert_eq!(
            t.columns[0].kind,
            ColumnKind::Numeric,
            "{}",
            t.columns[0].kind_reason
        );
        assert!(t.columns[0].kind_reason.contains("thousands separators"));
        match &t.columns[0].values {
            Values::Numeric(v) => assert_eq!(v[2], 3014.0),
            _ => panic!("not numeric"),
        }
        // "1,0" is not a grouped number: a label.
        assert_ne!(t.columns[1].kind, ColumnKind::Numeric);
        for (s, want) in [
            ("1,234,567", Some(1234567.0)),
            ("-12,345.5", Some(-12345.5)),
            ("+1,000", Some(1000.0)),
            ("1234,567", None),
            ("1,23", None),
            (",123", None),
            ("1,234.", None),
            ("1,,234", None),
        ] {
            assert_eq!(parse_number(s), want, "{s}");
        }
    }
}
