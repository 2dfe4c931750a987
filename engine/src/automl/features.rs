//! Feature pipelines. Each fitted step holds exactly the state its scikit-learn counterpart
//! learns, so the candidate notebook rebuilds the same transformation:
//!
//! | step here | scikit-learn |
//! |---|---|
//! | numeric block | `SimpleImputer(strategy="median", add_indicator=True)` then, if scaled, `StandardScaler()` over all its outputs |
//! | one-hot | `SimpleImputer(strategy="constant", fill_value="__missing__")` then `OneHotEncoder(min_frequency=m, handle_unknown="infrequent_if_exist")` |
//! | ordinal | `OrdinalEncoder(categories=[<fitted order>], min_frequency=m, handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1)`; frequent categories ordered by their smoothed training-target mean (regression), or share of the most frequent class (classification), so that tree splits on the codes group similar categories; infrequent ones share the last code |
//! | text | `TfidfVectorizer(ngram_range=(1, n), vocabulary=<the fitted vocabulary>)`; the vocabulary is the `max_features` most frequent n-grams of the training rows (ties alphabetical) |
//! | datetime | year, month, day, weekday (Monday = 0), hour, days since 1970 — then the numeric block |
//! | repeated key | `KeyCounts`: the other training rows of the row's key (`key_counts`) — then the numeric block |
//!
//! Constant columns and ids unique per row never enter a pipeline. Output columns are ordered: numeric block
//! (values, then missing indicators), categorical, text — as a `ColumnTransformer` with those
//! transformers in that order.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::key_counts::{self, KeyCountState, KEY_ROWS};
use super::matrix::{Encoded, Matrix};
pub use super::pipeline::{pipeline_or_none, CategoricalEncoding, Pipeline, PipelineSpec};
use crate::data::table::MISSING_CODE;
use crate::data::{Column, ColumnKind, Values};

pub const MISSING_CATEGORY: &str = "__missing__";
pub const INFREQUENT: &str = "infrequent_sklearn";

/// A one-dimensional score per training row that orders ordinal categories: the target
/// itself (regression), or whether the row is of the most frequent class (classification).
pub struct TargetOrder {
    pub scores: Vec<f64>,
    pub prior: f64,
}

impl TargetOrder {
    /// `y`: class id or value per table row (NaN where missing); `rows`: training rows.
    pub fn new(y: &[f64], rows: &[usize], classification: bool) -> TargetOrder {
        let scores: Vec<f64> = if classification {
            let mut counts: HashMap<u64, usize> = HashMap::new();
            rows.iter()
                .for_each(|&r| *counts.entry(y[r].to_bits()).or_default() += 1);
            let top = counts
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(k, _)| f64::from_bits(*k))
                .unwrap_or(0.0);
            y.iter().map(|&v| f64::from(v == top)).collect()
        } else {
            y.to_vec()
        };
        let prior = rows.iter().map(|&r| scores[r]).sum::<f64>() / rows.len().max(1) as f64;
        TargetOrder { scores, prior }
    }

    fn score(&self, row: usize) -> f64 {
        self.scores[row]
    }
}

/// What a feature column is, as the pipeline needs to know at predict time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureColumn {
    pub name: String,
    pub kind: ColumnKind,
    /// For datetime columns: the strftime format they were read with.
    pub date_format: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CategoricalState {
    pub column: String,
    /// The frequent training categories (seen at least `min_frequency` times): sorted
    /// (one-hot), or in code order (ordinal).
    pub categories: Vec<String>,
    /// Training categories grouped as infrequent, sorted: one column (one-hot) or the
    /// code `categories.len()` (ordinal).
    pub infrequent: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TextState {
    pub column: String,
    pub vocabulary: Vec<String>,
    pub idf: Vec<f64>,
    pub ngram_max: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FittedPipeline {
    pub spec: PipelineSpec,
    /// Inputs of the numeric block, in the features' order: numeric columns, date parts
    /// (`col__year`, …) and repeated keys' counts (`key__rows`).
    pub numeric_inputs: Vec<String>,
    pub medians: Vec<f64>,
    /// Positions (in `numeric_inputs`) that get a missing indicator.
    pub indicators: Vec<usize>,
    /// (mean, scale) per numeric block output, when scaled.
    pub scaler: Option<Vec<(f64, f64)>>,
    pub categorical: Vec<CategoricalState>,
    pub text: Vec<TextState>,
    pub datetime_columns: Vec<String>,
    /// Repeated key columns' training counts (none in files written before them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_counts: Vec<KeyCountState>,
    pub output_names: Vec<String>,
}

pub const DATE_PARTS: [&str; 6] = ["year", "month", "day", "weekday", "hour", "days"];

fn date_part(secs: f64, part: usize) -> f64 {
    use chrono::{Datelike, Timelike};
    if secs.is_nan() {
        return f64::NAN;
    }
    let Some(dt) = chrono::DateTime::from_timestamp(secs.floor() as i64, 0) else {
        return f64::NAN;
    };
    let d = dt.naive_utc();
    match part {
        0 => d.year() as f64,
        1 => d.month() as f64,
        2 => d.day() as f64,
        3 => d.weekday().num_days_from_monday() as f64,
        4 => d.hour() as f64,
        _ => secs / 86_400.0,
    }
}

/// Lowercase, then the tokens of `(?u)\b\w\w+\b` (runs of two or more word characters),
/// then n-grams joined by a space: what `TfidfVectorizer`'s default analyzer does.
pub fn analyze(doc: &str, ngram_max: usize) -> Vec<String> {
    let mut out = Vec::new();
    for_each_term(doc, ngram_max, &mut String::new(), |t| {
        out.push(t.to_string())
    });
    out
}

/// `analyze`'s terms in its order, each handed to `f` without a string of its own: an
/// n-gram is joined in `buf`.
fn for_each_term(doc: &str, ngram_max: usize, buf: &mut String, mut f: impl FnMut(&str)) {
    let lower = doc.to_lowercase();
    let mut tokens: Vec<&str> = Vec::new();
    let mut start: Option<usize> = None;
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    for (i, c) in lower.char_indices() {
        match (is_word(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if lower[s..i].chars().nth(1).is_some() {
                    tokens.push(&lower[s..i]);
                }
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        if lower[s..].chars().nth(1).is_some() {
            tokens.push(&lower[s..]);
        }
    }
    tokens.iter().for_each(|t| f(t));
    for n in 2..=ngram_max {
        for w in tokens.windows(n) {
            buf.clear();
            for (k, t) in w.iter().enumerate() {
                if k > 0 {
                    buf.push(' ');
                }
                buf.push_str(t);
            }
            f(buf);
        }
    }
}

fn numeric_input(col: &Column, part: Option<usize>) -> Vec<f64> {
    match (&col.values, part) {
        (Values::Numeric(v), None) => v.clone(),
        (Values::Datetime { secs, .. }, Some(p)) => secs.iter().map(|&s| date_part(s, p)).collect(),
        _ => vec![f64::NAN; col.values.len()],
    }
}

fn label(col: &Column, i: usize) -> Option<&str> {
    match &col.values {
        Values::Categorical { .. } => col.values.label(i),
        Values::Text(t) => t[i].as_deref(),
        _ => None,
    }
}

/// `f` of each row's label: once per level of a categorical column (and once for a
/// missing value) rather than once per row; once per row for text.
fn map_labels<T: Copy>(col: &Column, rows: &[usize], f: impl Fn(Option<&str>) -> T) -> Vec<T> {
    match &col.values {
        Values::Categorical { codes, levels } => {
            let per_level: Vec<T> = levels.iter().map(|l| f(Some(l))).collect();
            let missing = f(None);
            rows.iter()
                .map(|&r| match codes[r] {
                    MISSING_CODE => missing,
                    code => per_level[code as usize],
                })
                .collect()
        }
        _ => rows.iter().map(|&r| f(label(col, r))).collect(),
    }
}

fn nan_median(mut v: Vec<f64>) -> f64 {
    v.retain(|x| !x.is_nan());
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_unstable_by(|a, b| a.total_cmp(b));
    crate::common::median_sorted(&v)
}

/// Look a feature column up by name among `columns`.
fn find<'a>(columns: &'a [&'a Column], name: &str) -> &'a Column {
    columns
        .iter()
        .find(|c| c.name == name)
        .expect("pipeline column present")
}

/// What a numeric input is made from (`FittedPipeline::numeric_source`).
enum NumericPart<'a> {
    Value,
    Date(usize),
    KeyRows(&'a KeyCountState),
}

/// The work was given up because [`FittedPipeline::fit_until`] or
/// [`FittedPipeline::encode_until`] was told to stop (a deadline or a stop request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

/// Never stops.
fn never() -> bool {
    false
}

impl FittedPipeline {
    /// Fit on the rows `rows` of `columns` (the feature columns of the table). `target`
    /// (a score per table row) orders ordinal codes; without it they are sorted.
    pub fn fit(
        spec: &PipelineSpec,
        features: &[FeatureColumn],
        columns: &[&Column],
        rows: &[usize],
        target: Option<&TargetOrder>,
    ) -> FittedPipeline {
        Self::fit_until(spec, features, columns, rows, target, &never)
            .unwrap_or_else(|Interrupted| unreachable!("never() does not interrupt"))
    }

    /// [`fit`](Self::fit), asking `interrupted` between text documents (the one step
    /// whose time grows with the length of the cells, not only their number).
    pub fn fit_until(
        spec: &PipelineSpec,
        features: &[FeatureColumn],
        columns: &[&Column],
        rows: &[usize],
        target: Option<&TargetOrder>,
        interrupted: &dyn Fn() -> bool,
    ) -> Result<FittedPipeline, Interrupted> {
        let mut numeric_inputs = Vec::new();
        let mut medians = Vec::new();
        let mut raw_numeric: Vec<Vec<f64>> = Vec::new();
        let mut datetime_columns = Vec::new();
        let mut categorical = Vec::new();
        let mut text = Vec::new();
        let mut key_counts = Vec::new();
        for f in features {
            let col = find(columns, &f.name);
            match f.kind {
                ColumnKind::Numeric => {
                    let v: Vec<f64> = numeric_input(col, None);
                    let train: Vec<f64> = rows.iter().map(|&r| v[r]).collect();
                    let m = nan_median(train);
                    if !m.is_nan() {
                        numeric_inputs.push(f.name.clone());
                        medians.push(m);
                        raw_numeric.push(rows.iter().map(|&r| v[r]).collect());
                    }
                }
                ColumnKind::Datetime => {
                    datetime_columns.push(f.name.clone());
                    for (p, part) in DATE_PARTS.iter().enumerate() {
                        let v = numeric_input(col, Some(p));
                        let train: Vec<f64> = rows.iter().map(|&r| v[r]).collect();
                        let m = nan_median(train.clone());
                        if !m.is_nan() {
                            numeric_inputs.push(format!("{}__{part}", f.name));
                            medians.push(m);
                            raw_numeric.push(train);
                        }
                    }
                }
                ColumnKind::Categorical => {
                    let mut counts: HashMap<&str, usize> = HashMap::new();
                    for &r in rows {
                        let l = label(col, r);
                        let key = match (l, spec.categorical) {
                            (Some(s), _) => s,
                            (None, CategoricalEncoding::OneHot) => MISSING_CATEGORY,
                            (None, CategoricalEncoding::Ordinal) => continue,
                        };
                        *counts.entry(key).or_default() += 1;
                    }
                    let mut all: Vec<&str> = counts.keys().copied().collect();
                    all.sort_unstable();
                    // Categories seen fewer than `min_frequency` times are grouped as
                    // infrequent (one code, or one column), as scikit-learn's encoders do.
                    // Ordering rare categories by their own rows' target would leak it.
                    let (mut freq, inf): (Vec<&str>, Vec<&str>) =
                        all.iter().partition(|s| counts[*s] >= spec.min_frequency);
                    if let (CategoricalEncoding::Ordinal, Some(t)) = (spec.categorical, target) {
                        // Smoothed mean of the target score per category, ties alphabetical.
                        let mut sums: HashMap<&str, f64> = HashMap::new();
                        for &r in rows {
                            if let Some(l) = label(col, r) {
                                *sums.entry(l).or_default() += t.score(r);
                            }
                        }
                        let m = 10.0;
                        let key = |c: &str| {
                            (sums.get(c).copied().unwrap_or(0.0) + m * t.prior)
                                / (counts[c] as f64 + m)
                        };
                        freq.sort_by(|a, b| key(a).total_cmp(&key(b)).then(a.cmp(b)));
                    }
                    let (categories, infrequent): (Vec<String>, Vec<String>) = (
                        freq.iter().map(|s| s.to_string()).collect(),
                        inf.iter().map(|s| s.to_string()).collect(),
                    );
                    categorical.push(CategoricalState {
                        column: f.name.clone(),
                        categories,
                        infrequent,
                    });
                }
                ColumnKind::Text => {
                    let mut docs: Vec<Vec<String>> = Vec::with_capacity(rows.len());
                    for &r in rows {
                        if interrupted() {
                            return Err(Interrupted);
                        }
                        docs.push(analyze(label(col, r).unwrap_or(""), spec.text_ngram_max));
                    }
                    let mut tf: HashMap<&str, usize> = HashMap::new();
                    let mut df: HashMap<&str, usize> = HashMap::new();
                    for d in &docs {
                        let mut seen = std::collections::HashSet::new();
                        for t in d {
                            *tf.entry(t.as_str()).or_default() += 1;
                            if seen.insert(t.as_str()) {
                                *df.entry(t.as_str()).or_default() += 1;
                            }
                        }
                    }
                    let mut terms: Vec<(&str, usize)> = tf.into_iter().collect();
                    terms.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
                    terms.truncate(spec.text_max_features);
                    let mut vocabulary: Vec<String> =
                        terms.iter().map(|(t, _)| t.to_string()).collect();
                    vocabulary.sort_unstable();
                    let n = docs.len() as f64;
                    let idf = vocabulary
                        .iter()
                        .map(|t| ((1.0 + n) / (1.0 + df[t.as_str()] as f64)).ln() + 1.0)
                        .collect();
                    if !vocabulary.is_empty() {
                        text.push(TextState {
                            column: f.name.clone(),
                            vocabulary,
                            idf,
                            ngram_max: spec.text_ngram_max,
                        });
                    }
                }
                ColumnKind::Id => {
                    let state = KeyCountState::fit(col, rows);
                    let v = state.values(col, rows, true);
                    numeric_inputs.push(key_counts::input_name(&f.name));
                    medians.push(nan_median(v.clone()));
                    raw_numeric.push(v);
                    key_counts.push(state);
                }
                ColumnKind::Constant => {}
            }
        }
        let indicators: Vec<usize> = raw_numeric
            .iter()
            .enumerate()
            .filter(|(_, v)| v.iter().any(|x| x.is_nan()))
            .map(|(i, _)| i)
            .collect();
        let mut output_names: Vec<String> = numeric_inputs.clone();
        output_names.extend(
            indicators
                .iter()
                .map(|&i| format!("missingindicator_{}", numeric_inputs[i])),
        );
        let scaler = spec.scale.then(|| {
            let mut block: Vec<Vec<f64>> = raw_numeric
                .iter()
                .zip(&medians)
                .map(|(v, m)| v.iter().map(|x| if x.is_nan() { *m } else { *x }).collect())
                .collect();
            block.extend(indicators.iter().map(|&i| {
                raw_numeric[i]
                    .iter()
                    .map(|x| f64::from(x.is_nan() as u8))
                    .collect()
            }));
            block
                .iter()
                .map(|v| {
                    let n = v.len().max(1) as f64;
                    let mean = v.iter().sum::<f64>() / n;
                    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
                    let sd = var.sqrt();
                    (mean, if sd == 0.0 { 1.0 } else { sd })
                })
                .collect()
        });
        for c in &categorical {
            match spec.categorical {
                CategoricalEncoding::Ordinal => output_names.push(c.column.clone()),
                CategoricalEncoding::OneHot => {
                    output_names.extend(c.categories.iter().map(|v| format!("{}_{v}", c.column)));
                    if !c.infrequent.is_empty() {
                        output_names.push(format!("{}_{INFREQUENT}", c.column));
                    }
                }
            }
        }
        for t in &text {
            output_names.extend(t.vocabulary.iter().map(|w| format!("{}__{w}", t.column)));
        }
        Ok(FittedPipeline {
            spec: spec.clone(),
            numeric_inputs,
            medians,
            indicators,
            scaler,
            categorical,
            text,
            datetime_columns,
            key_counts,
            output_names,
        })
    }

    /// The numeric input `name`'s column, and which derived part of it it is: a date part
    /// (its index in `DATE_PARTS`), a key's count (its state), or the column itself.
    fn numeric_source(&self, name: &str) -> (String, NumericPart<'_>) {
        if let Some((c, part)) = name.rsplit_once("__") {
            if self.datetime_columns.iter().any(|d| d == c) {
                if let Some(i) = DATE_PARTS.iter().position(|x| *x == part) {
                    return (c.to_string(), NumericPart::Date(i));
                }
            }
            if part == KEY_ROWS {
                if let Some(k) = self.key_counts.iter().find(|k| k.column == c) {
                    return (c.to_string(), NumericPart::KeyRows(k));
                }
            }
        }
        (name.to_string(), NumericPart::Value)
    }

    /// The output columns that hold categories' ordinal codes (integers from −1): the
    /// categorical block of an ordinal pipeline, after the numeric block.
    pub fn category_code_columns(&self) -> Vec<usize> {
        match self.spec.categorical {
            CategoricalEncoding::Ordinal => {
                let start = self.numeric_inputs.len() + self.indicators.len();
                (start..start + self.categorical.len()).collect()
            }
            CategoricalEncoding::OneHot => Vec::new(),
        }
    }

    /// The input column behind each output column (date parts, key counts and indicators
    /// map to their column), for feature importance by input column.
    pub fn output_sources(&self) -> Vec<String> {
        let base = |n: &String| self.numeric_source(n).0;
        let mut out: Vec<String> = self.numeric_inputs.iter().map(base).collect();
        out.extend(
            self.indicators
                .iter()
                .map(|&i| base(&self.numeric_inputs[i])),
        );
        for c in &self.categorical {
            let width = match self.spec.categorical {
                CategoricalEncoding::Ordinal => 1,
                CategoricalEncoding::OneHot => {
                    c.categories.len() + usize::from(!c.infrequent.is_empty())
                }
            };
            out.extend(std::iter::repeat_n(c.column.clone(), width));
        }
        for t in &self.text {
            out.extend(std::iter::repeat_n(t.column.clone(), t.vocabulary.len()));
        }
        out
    }

    /// Transform rows `rows` of `columns` into the feature matrix.
    pub fn transform(&self, columns: &[&Column], rows: &[usize]) -> Matrix {
        self.encode_until(columns, rows, &never)
            .unwrap_or_else(|Interrupted| unreachable!("never() does not interrupt"))
            .to_matrix()
    }

    /// [`transform`](Self::transform) in the compact form, asking `interrupted` between
    /// text documents.
    pub fn encode_until(
        &self,
        columns: &[&Column],
        rows: &[usize],
        interrupted: &dyn Fn() -> bool,
    ) -> Result<Encoded, Interrupted> {
        self.encode_rows(columns, rows, false, interrupted)
    }

    /// [`encode_until`](Self::encode_until) for the rows the pipeline was fitted on: as
    /// scikit-learn's `fit_transform` gives them (each row counts itself out of its key's
    /// count; every other step is the same).
    pub fn encode_fitted_until(
        &self,
        columns: &[&Column],
        rows: &[usize],
        interrupted: &dyn Fn() -> bool,
    ) -> Result<Encoded, Interrupted> {
        self.encode_rows(columns, rows, true, interrupted)
    }

    fn encode_rows(
        &self,
        columns: &[&Column],
        rows: &[usize],
        fitted: bool,
        interrupted: &dyn Fn() -> bool,
    ) -> Result<Encoded, Interrupted> {
        let mut out: Vec<Vec<f64>> = Vec::with_capacity(self.numeric_inputs.len());
        // Numeric block.
        let mut raw: Vec<Vec<f64>> = Vec::with_capacity(self.numeric_inputs.len());
        for name in &self.numeric_inputs {
            let (col, part) = self.numeric_source(name);
            let col = find(columns, &col);
            let date_part = match part {
                NumericPart::KeyRows(k) => {
                    raw.push(k.values(col, rows, fitted));
                    continue;
                }
                NumericPart::Date(p) => Some(p),
                NumericPart::Value => None,
            };
            let v = numeric_input(col, date_part);
            raw.push(rows.iter().map(|&r| v[r]).collect());
        }
        for (v, m) in raw.iter().zip(&self.medians) {
            out.push(v.iter().map(|x| if x.is_nan() { *m } else { *x }).collect());
        }
        for &i in &self.indicators {
            out.push(raw[i].iter().map(|x| f64::from(x.is_nan() as u8)).collect());
        }
        drop(raw);
        if let Some(sc) = &self.scaler {
            for (v, (mean, scale)) in out.iter_mut().zip(sc) {
                v.iter_mut().for_each(|x| *x = (*x - mean) / scale);
            }
        }
        let mut enc = Encoded::new(rows.len());
        out.into_iter().for_each(|c| enc.push_dense(c));
        // Categorical block.
        for c in &self.categorical {
            let col = find(columns, &c.column);
            let index: HashMap<&str, usize> = c
                .categories
                .iter()
                .enumerate()
                .map(|(i, s)| (s.as_str(), i))
                .collect();
            match self.spec.categorical {
                CategoricalEncoding::Ordinal => {
                    let infrequent: std::collections::HashSet<&str> =
                        c.infrequent.iter().map(String::as_str).collect();
                    let code = |l: &str| match index.get(l) {
                        Some(&i) => i as f64,
                        None if infrequent.contains(l) => c.categories.len() as f64,
                        None => -1.0,
                    };
                    enc.push_dense(map_labels(col, rows, |l| l.map_or(-1.0, code)));
                }
                CategoricalEncoding::OneHot => {
                    let width = c.categories.len() + usize::from(!c.infrequent.is_empty());
                    let hot = map_labels(col, rows, |l| {
                        match index.get(l.unwrap_or(MISSING_CATEGORY)) {
                            Some(&j) => Some(j),
                            None if !c.infrequent.is_empty() => Some(width - 1),
                            None => None,
                        }
                    });
                    enc.push_one_hot(width, hot);
                }
            }
        }
        // Text block.
        for t in &self.text {
            let col = find(columns, &t.column);
            // One lookup per term: foldhash, several times faster than the default hasher.
            let index: HashMap<&str, usize, foldhash::fast::RandomState> = t
                .vocabulary
                .iter()
                .enumerate()
                .map(|(i, s)| (s.as_str(), i))
                .collect();
            let mut block: Vec<Vec<(u32, f64)>> = vec![vec![]; t.vocabulary.len()];
            let (mut buf, mut hits, mut counts) = (String::new(), Vec::new(), Vec::new());
            for (i, &r) in rows.iter().enumerate() {
                if interrupted() {
                    return Err(Interrupted);
                }
                hits.clear();
                for_each_term(label(col, r).unwrap_or(""), t.ngram_max, &mut buf, |tok| {
                    hits.extend(index.get(tok).copied())
                });
                // Ordered by column, so the norm sums in scikit-learn's order.
                hits.sort_unstable();
                counts.clear();
                for &j in &hits {
                    match counts.last_mut() {
                        Some((last, c)) if *last == j => *c += 1.0,
                        _ => counts.push((j, 1.0)),
                    }
                }
                let norm = counts
                    .iter()
                    .map(|&(j, c): &(usize, f64)| (c * t.idf[j]).powi(2))
                    .sum::<f64>()
                    .sqrt();
                if norm > 0.0 {
                    for &(j, c) in &counts {
                        block[j].push((i as u32, c * t.idf[j] / norm));
                    }
                }
            }
            enc.push_sparse(block);
        }
        Ok(enc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{read_bytes, ReadOptions, Table, TypeOverrides};

    fn one_feature(name: &str, kind: ColumnKind) -> Vec<FeatureColumn> {
        vec![FeatureColumn {
            name: name.into(),
            kind,
            date_format: None,
        }]
    }

    fn table(csv: &str) -> Table {
        let raw = read_bytes("t.csv", csv.as_bytes().to_vec(), &ReadOptions::default()).unwrap();
        Table::from_raw(raw, None, &TypeOverrides::new()).unwrap()
    }

    #[test]
    fn analyzer_matches_sklearn_default_pattern() {
        assert_eq!(
            analyze("A cat's 2 toys, x_y!", 1),
            vec!["cat", "toys", "x_y"]
        );
        assert_eq!(
            analyze("Big red dog", 2),
            vec!["big", "red", "dog", "big red", "red dog"]
        );
    }

    #[test]
    fn one_hot_with_infrequent_and_unknown() {
        let t = table("c,i\na,0\na,1\na,2\nb,3\nb,4\nb,5\nz,6\n,7\n");
        let cols: Vec<&Column> = t.columns.iter().collect();
        let f = one_feature("c", ColumnKind::Categorical);
        let spec = PipelineSpec {
            min_frequency: 2,
            ..PipelineSpec::standard(100)[1].clone()
        };
        let p = FittedPipeline::fit(&spec, &f, &cols, &[0, 1, 2, 3, 4, 5, 6, 7], None);
        assert_eq!(p.categorical[0].categories, vec!["a", "b"]);
        assert_eq!(p.categorical[0].infrequent, vec![MISSING_CATEGORY, "z"]);
        assert_eq!(p.output_names, vec!["c_a", "c_b", "c_infrequent_sklearn"]);
        let m = p.transform(&cols, &[0, 3, 6, 7]);
        assert_eq!(m.row(0), vec![1.0, 0.0, 0.0]);
        assert_eq!(m.row(1), vec![0.0, 1.0, 0.0]);
        assert_eq!(m.row(2), vec![0.0, 0.0, 1.0]);
        assert_eq!(m.row(3), vec![0.0, 0.0, 1.0]);
    }

    #[test]
    fn median_indicator_and_scaler() {
        let t = table("x,y\n1,a\n,b\n3,a\n5,b\n");
        let cols: Vec<&Column> = t.columns.iter().collect();
        let f = one_feature("x", ColumnKind::Numeric);
        let spec = PipelineSpec::standard(100)[1].clone();
        let p = FittedPipeline::fit(&spec, &f, &cols, &[0, 1, 2, 3], None);
        assert_eq!(p.medians, vec![3.0]);
        assert_eq!(p.output_names, vec!["x", "missingindicator_x"]);
        let m = p.transform(&cols, &[0, 1, 2, 3]);
        // StandardScaler on [1,3,3,5] and [0,1,0,0]: mean 3, std sqrt(2); mean .25, std sqrt(3)/4.
        assert!((m.get(0, 0) + 2f64.sqrt()).abs() < 1e-12);
        assert!((m.get(1, 1) - 3f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn ordinal_codes_follow_the_target() {
        let t = table("c,n\nb,0\nb,1\na,2\na,3\nz,4\nz,5\n");
        let cols: Vec<&Column> = t.columns.iter().collect();
        let f = one_feature("c", ColumnKind::Categorical);
        let spec = PipelineSpec {
            min_frequency: 2,
            ..PipelineSpec::standard(100)[0].clone()
        };
        let rows = [0, 1, 2, 3, 4, 5];
        let sorted = FittedPipeline::fit(&spec, &f, &cols, &rows, None);
        assert_eq!(sorted.categorical[0].categories, vec!["a", "b", "z"]);
        let y = [5.0, 5.0, 1.0, 1.0, 9.0, 9.0];
        let order = TargetOrder::new(&y, &rows, false);
        let by_target = FittedPipeline::fit(&spec, &f, &cols, &rows, Some(&order));
        assert_eq!(
            by_target.categorical[0].categories,
            vec!["a", "b", "z"]
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>()
        );
        let y = [9.0, 9.0, 5.0, 5.0, 1.0, 1.0];
        let order = TargetOrder::new(&y, &rows, false);
        let by_target = FittedPipeline::fit(&spec, &f, &cols, &rows, Some(&order));
        assert_eq!(by_target.categorical[0].categories, vec!["z", "a", "b"]);
        assert_eq!(
            by_target.transform(&cols, &[4, 2, 0]).col(0),
            &[0.0, 1.0, 2.0]
        );
        // A category seen once is infrequent: the code after the frequent ones; an
        // unseen one is -1.
        let t = table("c,n\nb,0\nb,1\na,2\na,3\nq,4\n");
        let cols: Vec<&Column> = t.columns.iter().collect();
        let rows = [0, 1, 2, 3, 4];
        let p = FittedPipeline::fit(&spec, &f, &cols, &rows, None);
        assert_eq!(p.categorical[0].categories, vec!["a", "b"]);
        assert_eq!(p.categorical[0].infrequent, vec!["q"]);
        assert_eq!(p.transform(&cols, &[4, 0, 2]).col(0), &[2.0, 1.0, 0.0]);
    }

    #[test]
    fn tfidf_matches_sklearn() {
        // TfidfVectorizer(vocabulary=["cat", "dog", "the"]).fit_transform(docs), sklearn 1.9.1
        let t = table("d\nthe cat\nthe dog dog\nbird\n");
        let cols: Vec<&Column> = t.columns.iter().collect();
        let f = one_feature("d", ColumnKind::Text);
        let mut spec = PipelineSpec::standard(100)[0].clone();
        spec.text_ngram_max = 1;
        let p = FittedPipeline::fit(&spec, &f, &cols, &[0, 1, 2], None);
        assert_eq!(p.text[0].vocabulary, vec!["bird", "cat", "dog", "the"]);
        let m = p.transform(&cols, &[0, 1, 2]);
        // idf: bird, cat, dog = ln(4/2)+1 = 1.6931471805599454; the = ln(4/3)+1 = 1.2876820724517808
        let (a, b) = (1.693_147_180_559_945_4_f64, 1.287_682_072_451_780_8_f64);
        let n0 = (a * a + b * b).sqrt();
        assert!((m.get(0, 1) - a / n0).abs() < 1e-12);
        assert!((m.get(0, 3) - b / n0).abs() < 1e-12);
        let n1 = ((2.0 * a).powi(2) + b * b).sqrt();
        assert!((m.get(1, 2) - 2.0 * a / n1).abs() < 1e-12);
        assert_eq!(m.get(2, 0), 1.0);
    }
}
