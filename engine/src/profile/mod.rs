//! Data exploration: everything `profile.json` holds, computed from a typed [`Table`].
//!
//! Sections follow Autopilot's data exploration report: summary, target analysis, per-column
//! statistics, correlations, prediction power, anomalous rows, a sample, and insights.

mod anomaly;
mod insights;
mod power;
pub mod sample;
pub mod stats;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{target_values, TargetValues};
pub use anomaly::isolation_scores;
use stats::{numeric_stats, pearson, NumericStats};

use crate::data::{
    self, datetime, infer_problem_type, Column, ColumnKind, FileFormat, ProblemType, ReadOptions,
    Table, TypeOverrides, Values,
};
use crate::error::Result;

pub const PROFILE_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    pub version: u32,
    pub file_name: String,
    pub format: FileFormat,
    pub delimiter: Option<char>,
    pub rows: usize,
    pub columns: usize,
    /// Rows equal to an earlier row in every column (pandas' `duplicated().sum()`).
    pub duplicate_rows: usize,
    pub missing_cells: usize,
    /// How many columns of each type.
    pub column_types: BTreeMap<String, usize>,
    /// Which cell texts were read as missing, over the whole file, with counts.
    pub missing_tokens: BTreeMap<String, usize>,
    pub target: Option<TargetProfile>,
    pub columns_detail: Vec<ColumnProfile>,
    pub correlations: Option<Correlations>,
    pub anomalies: Anomalies,
    pub sample: SampleRows,
    pub insights: Vec<Insight>,
    pub sampling: Sampling,
    pub elapsed_seconds: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sampling {
    /// Rows used for prediction power and anomalies.
    pub rows: usize,
    pub method: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetProfile {
    pub name: String,
    pub problem_type: Option<ProblemType>,
    /// Why this problem type, or why none could be chosen.
    pub problem_type_reason: String,
    pub missing: usize,
    pub classes: Option<Vec<ClassCount>>,
    pub stats: Option<NumericStats>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClassCount {
    pub label: String,
    pub count: usize,
    pub percent: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColumnProfile {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ColumnKind,
    pub type_reason: String,
    pub missing: usize,
    pub missing_ratio: f64,
    pub missing_tokens: BTreeMap<String, usize>,
    pub unique: usize,
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub std: Option<f64>,
    pub numeric: Option<NumericStats>,
    /// Most frequent values (up to 10), most frequent first.
    pub top_categories: Vec<CategoryCount>,
    /// Categories seen in fewer than 1% of the non-missing rows.
    pub rare_categories: usize,
    pub text: Option<TextStats>,
    pub datetime: Option<DatetimeStats>,
    pub prediction_power: Option<f64>,
    /// What a job would make of this column as its target (the new-job form shows it).
    #[serde(default)]
    pub as_target: Option<TargetGuess>,
}

/// A column as a target: the problem type Autopilot's rule infers, or why it cannot be a
/// target; for two classes, the classes rarest first (the first is the default positive
/// class).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TargetGuess {
    pub problem_type: Option<ProblemType>,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
}

/// What a job would make of column `i` as its target.
fn target_guess(table: &Table, i: usize) -> TargetGuess {
    let col = match table.column_as_target(i) {
        Ok(c) => c,
        Err(e) => {
            return TargetGuess {
                problem_type: None,
                reason: e.to_string(),
                classes: vec![],
            }
        }
    };
    match infer_problem_type(&col) {
        Err(e) => TargetGuess {
            problem_type: None,
            reason: e.to_string(),
            classes: vec![],
        },
        Ok(p) => {
            let mut classes = vec![];
            if p.problem_type == ProblemType::BinaryClassification {
                let (tv, labels) = target_values(&col, p.problem_type);
                if let TargetValues::Classes { ids, n_classes } = tv {
                    let mut counts = vec![0usize; n_classes];
                    ids.iter().flatten().for_each(|&c| counts[c] += 1);
                    // Rarest first; on a tie the later label, as a job picks its minority.
                    let mut order: Vec<usize> = (0..n_classes).rev().collect();
                    order.sort_by_key(|&c| counts[c]);
                    classes = order.into_iter().map(|c| labels[c].clone()).collect();
                }
            }
            TargetGuess {
                problem_type: Some(p.problem_type),
                reason: p.reason,
                classes,
            }
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CategoryCount {
    pub value: String,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TextStats {
    pub words_mean: f64,
    pub words_median: f64,
    pub words_min: usize,
    pub words_max: usize,
    pub chars_mean: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatetimeStats {
    pub format: String,
    pub min: String,
    pub max: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Correlations {
    pub columns: Vec<String>,
    /// Pearson coefficients over pairwise-complete rows; null where undefined.
    pub matrix: Vec<Vec<Option<f64>>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Anomalies {
    pub method: String,
    pub columns: Vec<String>,
    /// The most anomalous rows, highest score first.
    pub rows: Vec<AnomalyRow>,
    /// Share of sampled rows scoring above 0.6.
    pub share_above_0_6: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AnomalyRow {
    /// 0-based row index in the file.
    pub row: usize,
    pub score: f64,
    pub values: Vec<Option<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SampleRows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    High,
    Medium,
    Low,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Insight {
    pub severity: Severity,
    pub kind: String,
    pub column: Option<String>,
    pub message: String,
}

/// What to profile and how.
#[derive(Debug, Clone, Default)]
pub struct ProfileOptions {
    pub target: Option<String>,
    pub overrides: TypeOverrides,
    pub read: ReadOptions,
}

/// Read a file and profile it.
pub fn profile_file(path: &Path, opts: &ProfileOptions) -> Result<Profile> {
    let start = Instant::now();
    let raw = data::read_file(path, &opts.read)?;
    let table = Table::from_raw(raw, opts.target.as_deref(), &opts.overrides)?;
    let mut p = profile_table(&table, opts.target.as_deref());
    p.elapsed_seconds = start.elapsed().as_secs_f64();
    Ok(p)
}

pub use crate::common::format_number;

pub fn profile_table(table: &Table, target: Option<&str>) -> Profile {
    let start = Instant::now();
    let n = table.n_rows();
    let target_idx = target.and_then(|t| table.column_index(t));

    // Target analysis.
    let mut target_profile = None;
    let mut target_vals = None;
    if let Some(ti) = target_idx {
        let col = &table.columns[ti];
        let (problem_type, reason) = match infer_problem_type(col) {
            Ok(p) => (Some(p.problem_type), p.reason),
            Err(e) => (None, e.to_string()),
        };
        let mut classes = None;
        let mut stats = None;
        if let Some(pt) = problem_type {
            let (tv, labels) = target_values(col, pt);
            if let TargetValues::Classes { ids, n_classes } = &tv {
                let mut counts = vec![0usize; *n_classes];
                ids.iter().flatten().for_each(|&c| counts[c] += 1);
                let present: usize = counts.iter().sum();
                let mut cc: Vec<ClassCount> = labels
                    .iter()
                    .zip(&counts)
                    .map(|(l, &c)| ClassCount {
                        label: l.clone(),
                        count: c,
                        percent: 100.0 * c as f64 / present as f64,
                    })
                    .collect();
                cc.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
                classes = Some(cc);
            } else if let Values::Numeric(v) = &col.values {
                stats = numeric_stats(v);
            }
            target_vals = Some(tv);
        }
        target_profile = Some(TargetProfile {
            name: col.name.clone(),
            problem_type,
            problem_type_reason: reason,
            missing: col.missing,
            classes,
            stats,
        });
    }

    // Per-column statistics and prediction power, columns in parallel.
    let psample = target_vals.as_ref().map(power::power_sample);
    let mut details: Vec<ColumnProfile> = table
        .columns
        .par_iter()
        .enumerate()
        .map(|(i, col)| {
            let mut d = column_profile(col, n);
            d.as_target = Some(target_guess(table, i));
            if let (Some(tv), Some(ps)) = (&target_vals, &psample) {
                if Some(i) != target_idx {
                    d.prediction_power = Some(power::prediction_power(col, tv, ps));
                }
            }
            d
        })
        .collect();

    let correlations = correlations(table, &details, target_idx);
    let anomalies = anomalies(table, target_idx);
    let duplicate_rows = duplicate_rows(table);
    let sample = sample_rows(table, 10);

    let mut column_types = BTreeMap::new();
    let mut missing_tokens: BTreeMap<String, usize> = BTreeMap::new();
    for c in &table.columns {
        *column_types.entry(c.kind.as_str().to_string()).or_default() += 1;
        for (t, k) in &c.missing_tokens {
            *missing_tokens.entry(t.clone()).or_default() += k;
        }
    }
    let missing_cells = table.columns.iter().map(|c| c.missing).sum();
    let sampled = psample.as_ref().map_or(n.min(sample::SAMPLE_ROWS), |s| {
        s.train.len() + s.valid.len()
    });

    let mut profile = Profile {
        version: PROFILE_VERSION,
        file_name: table.file_name.clone(),
        format: table.raw.format,
        delimiter: table.raw.delimiter,
        rows: n,
        columns: table.columns.len(),
        duplicate_rows,
        missing_cells,
        column_types,
        missing_tokens,
        target: target_profile,
        columns_detail: std::mem::take(&mut details),
        correlations,
        anomalies,
        sample,
        insights: vec![],
        sampling: Sampling {
            rows: sampled,
            method: "stride: rows np.arange(k) * n // k of the n rows with a target, k = min(n, 10000); \
                     every 5th (i % 5 == 4) held out"
                .into(),
        },
        elapsed_seconds: 0.0,
    };
    profile.insights = insights::insights(&profile);
    profile.elapsed_seconds = start.elapsed().as_secs_f64();
    profile
}

fn column_profile(col: &Column, n: usize) -> ColumnProfile {
    let mut d = ColumnProfile {
        name: col.name.clone(),
        kind: col.kind,
        type_reason: col.kind_reason.clone(),
        missing: col.missing,
        missing_ratio: if n == 0 {
            0.0
        } else {
            col.missing as f64 / n as f64
        },
        missing_tokens: col.missing_tokens.clone(),
        unique: 0,
        mean: None,
        median: None,
        min: None,
        max: None,
        std: None,
        numeric: None,
        top_categories: vec![],
        rare_categories: 0,
        text: None,
        datetime: None,
        prediction_power: None,
        as_target: None,
    };
    match &col.values {
        Values::Numeric(v) => {
            let mut counts: HashMap<u64, usize> = HashMap::new();
            for x in v.iter().filter(|x| !x.is_nan()) {
                *counts.entry(x.to_bits()).or_default() += 1;
            }
            d.unique = counts.len();
            let mut top: Vec<(f64, usize)> = counts
                .iter()
                .map(|(b, c)| (f64::from_bits(*b), *c))
                .collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.total_cmp(&b.0)));
            d.top_categories = top
                .iter()
                .take(10)
                .map(|(x, c)| CategoryCount {
                    value: format_number(*x),
                    count: *c,
                })
                .collect();
            if let Some(s) = numeric_stats(v) {
                d.mean = Some(s.mean);
                d.median = Some(s.median);
                d.min = Some(s.min);
                d.max = Some(s.max);
                d.std = s.std;
                d.numeric = Some(s);
            }
        }
        Values::Categorical { codes, levels } => {
            let mut counts = vec![0usize; levels.len()];
            codes
                .iter()
                .filter(|&&c| c != u32::MAX)
                .for_each(|&c| counts[c as usize] += 1);
            d.unique = counts.iter().filter(|&&c| c > 0).count();
            let present: usize = counts.iter().sum();
            d.rare_categories = counts
                .iter()
                .filter(|&&c| c > 0 && (c as f64) < 0.01 * present as f64)
                .count();
            let mut order: Vec<usize> = (0..levels.len()).filter(|&l| counts[l] > 0).collect();
            order.sort_by(|&a, &b| {
                counts[b]
                    .cmp(&counts[a])
                    .then_with(|| levels[a].cmp(&levels[b]))
            });
            d.top_categories = order
                .iter()
                .take(10)
                .map(|&l| CategoryCount {
                    value: levels[l].clone(),
                    count: counts[l],
                })
                .collect();
        }
        Values::Text(t) => {
            let present: Vec<&String> = t.iter().flatten().collect();
            d.unique = present.iter().collect::<HashSet<_>>().len();
            if !present.is_empty() {
                let words: Vec<f64> = present
                    .iter()
                    .map(|s| s.split_whitespace().count() as f64)
                    .collect();
                let mut sorted = words.clone();
                sorted.sort_unstable_by(|a, b| a.total_cmp(b));
                d.text = Some(TextStats {
                    words_mean: stats::mean(&words),
                    words_median: crate::common::median_sorted(&sorted),
                    words_min: sorted[0] as usize,
                    words_max: sorted[sorted.len() - 1] as usize,
                    chars_mean: present
                        .iter()
                        .map(|s| s.chars().count() as f64)
                        .sum::<f64>()
                        / present.len() as f64,
                });
            }
        }
        Values::Datetime { secs, format } => {
            let s = stats::sorted_present(secs);
            let mut u = s.clone();
            u.dedup();
            d.unique = u.len();
            if let (Some(lo), Some(hi)) = (s.first(), s.last()) {
                d.datetime = Some(DatetimeStats {
                    format: format.clone(),
                    min: datetime::to_iso(*lo),
                    max: datetime::to_iso(*hi),
                });
            }
        }
    }
    d
}

fn correlations(
    table: &Table,
    details: &[ColumnProfile],
    target_idx: Option<usize>,
) -> Option<Correlations> {
    let mut cands: Vec<usize> = (0..table.columns.len())
        .filter(|&i| Some(i) != target_idx && table.columns[i].kind == ColumnKind::Numeric)
        .collect();
    // Most predictive first; without a target, keep file order.
    cands.sort_by(|&a, &b| {
        let pa = details[a].prediction_power.unwrap_or(0.0);
        let pb = details[b].prediction_power.unwrap_or(0.0);
        pb.total_cmp(&pa).then(a.cmp(&b))
    });
    cands.truncate(10);
    cands.sort_unstable();
    if let Some(t) = target_idx {
        if matches!(table.columns[t].values, Values::Numeric(_)) {
            cands.push(t);
        }
    }
    if cands.len() < 2 {
        return None;
    }
    let cols: Vec<&[f64]> = cands
        .iter()
        .map(|&i| table.columns[i].values.numbers().expect("numeric"))
        .collect();
    let matrix = (0..cols.len())
        .map(|a| {
            (0..cols.len())
                .map(|b| {
                    if a == b {
                        Some(1.0)
                    } else {
                        pearson(cols[a], cols[b])
                    }
                })
                .collect()
        })
        .collect();
    Some(Correlations {
        columns: cands
            .iter()
            .map(|&i| table.columns[i].name.clone())
            .collect(),
        matrix,
    })
}

fn anomalies(table: &Table, target_idx: Option<usize>) -> Anomalies {
    let n = table.n_rows();
    let rows = sample::stride_sample(n, sample::SAMPLE_ROWS);
    let feats: Vec<&Column> = table
        .columns
        .iter()
        .enumerate()
        .filter(|(i, c)| Some(*i) != target_idx && c.kind == ColumnKind::Numeric)
        .map(|(_, c)| c)
        .collect();
    let method = "isolation forest: 100 trees of 256 rows, seed 0, numeric columns, missing set to the median".to_string();
    if feats.is_empty() || rows.len() < 10 {
        return Anomalies {
            method,
            columns: vec![],
            rows: vec![],
            share_above_0_6: 0.0,
        };
    }
    let x: Vec<Vec<f64>> = feats
        .iter()
        .map(|c| {
            let v = c.values.numbers().unwrap();
            let med = crate::common::median_sorted(&stats::sorted_present(v));
            rows.iter()
                .map(|&r| if v[r].is_nan() { med } else { v[r] })
                .collect()
        })
        .collect();
    let scores = isolation_scores(&x, 100, 0);
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let share = scores.iter().filter(|&&s| s > 0.6).count() as f64 / scores.len() as f64;
    Anomalies {
        method,
        columns: feats.iter().map(|c| c.name.clone()).collect(),
        rows: order
            .iter()
            .take(10)
            .map(|&i| AnomalyRow {
                row: rows[i],
                score: scores[i],
                values: raw_row(table, rows[i]),
            })
            .collect(),
        share_above_0_6: share,
    }
}

fn raw_row(table: &Table, row: usize) -> Vec<Option<String>> {
    (0..table.columns.len())
        .map(|c| {
            table.raw.frame.columns()[c]
                .as_materialized_series()
                .str()
                .ok()
                .and_then(|s| s.get(row).map(str::to_string))
        })
        .collect()
}

fn sample_rows(table: &Table, k: usize) -> SampleRows {
    SampleRows {
        columns: table.columns.iter().map(|c| c.name.clone()).collect(),
        rows: (0..table.n_rows().min(k))
            .map(|r| raw_row(table, r))
            .collect(),
    }
}

/// Rows equal to an earlier row in every column, comparing parsed values (missing equals
/// missing), as pandas' `duplicated()` does on the parsed frame.
fn duplicate_rows(table: &Table) -> usize {
    let n = table.n_rows();
    let mut hashes = vec![std::collections::hash_map::DefaultHasher::new(); n];
    for col in &table.columns {
        match &col.values {
            Values::Numeric(v) | Values::Datetime { secs: v, .. } => {
                for (h, x) in hashes.iter_mut().zip(v) {
                    (if x.is_nan() {
                        u64::MAX
                    } else {
                        (x + 0.0).to_bits()
                    })
                    .hash(h);
                }
            }
            Values::Categorical { codes, .. } => {
                for (h, c) in hashes.iter_mut().zip(codes) {
                    c.hash(h);
                }
            }
            Values::Text(t) => {
                for (h, s) in hashes.iter_mut().zip(t) {
                    s.hash(h);
                }
            }
        }
    }
    let mut seen = HashSet::with_capacity(n);
    hashes
        .into_iter()
        .filter(|h| !seen.insert(h.finish()))
        .count()
}
