//! A bias report for one question, with Clarify's `BiasConfig` fields: which facet column,
//! its sensitive value(s) or threshold, the positive label value(s) or threshold, and an
//! optional group column (for CDD). Clarify's data-type rule decides between values and a
//! threshold: given a single number, a numeric column with fractional values, or whole
//! numbers of which at least 5 % are distinct, is split at that threshold (above it is
//! sensitive, or positive); otherwise cells are matched against the values. `>N` asks for
//! a threshold on any numeric column (an addition to Clarify: its rule makes `age` a
//! category).

use serde::{Deserialize, Serialize};

use super::bias::{post_training, pre_training, BiasMetric, BiasRows};
use crate::common::median_sorted;
use crate::data::{Column, ColumnKind, Table, Values};
use crate::error::{EngineError, Result};

/// Clarify's uniqueness threshold for a continuous column.
const UNIQUENESS_THRESHOLD: f64 = 0.05;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BiasConfig {
    pub facet: String,
    pub facet_values_or_threshold: Vec<String>,
    pub label_values_or_threshold: Vec<String>,
    #[serde(default)]
    pub group: Option<String>,
}

impl BiasConfig {
    /// From the fields as a form or a query string types them: values separated by commas,
    /// a blank group meaning none.
    pub fn from_text(facet: &str, facet_values: &str, label_values: &str, group: &str) -> Self {
        let list = |s: &str| -> Vec<String> {
            s.split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect()
        };
        BiasConfig {
            facet: facet.trim().to_string(),
            facet_values_or_threshold: list(facet_values),
            label_values_or_threshold: list(label_values),
            group: Some(group.trim().to_string()).filter(|g| !g.is_empty()),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BiasReport {
    pub facet: String,
    /// The sensitive values, or `(threshold, inf)`.
    pub facet_values_or_threshold: String,
    pub label: String,
    /// The positive values, or `(threshold, inf)`.
    pub label_values_or_threshold: String,
    pub group: Option<String>,
    pub rows: usize,
    pub sensitive_rows: usize,
    pub positive_rows: usize,
    pub pre_training: Vec<BiasMetric>,
    /// Empty without predictions.
    pub post_training: Vec<BiasMetric>,
    /// The numeric columns the flip test compares rows on (missing values: the median).
    pub flip_test_columns: Vec<String>,
}

enum Selector {
    Values(Vec<String>),
    Above(f64),
}

impl Selector {
    fn describe(&self) -> String {
        match self {
            Selector::Values(v) => v.join(","),
            Selector::Above(t) => format!("({t}, inf)"),
        }
    }

    fn number(&self, x: f64) -> bool {
        match self {
            Selector::Values(v) => v.iter().any(|s| s.trim().parse::<f64>() == Ok(x)),
            Selector::Above(t) => x > *t,
        }
    }

    fn text(&self, s: &str) -> bool {
        match self {
            Selector::Values(v) => {
                v.iter().any(|x| x == s) || s.trim().parse::<f64>().is_ok_and(|n| self.number(n))
            }
            Selector::Above(t) => s.trim().parse::<f64>().is_ok_and(|x| x > *t),
        }
    }

    fn cell(&self, col: &Column, i: usize) -> bool {
        match &col.values {
            Values::Numeric(v) => !v[i].is_nan() && self.number(v[i]),
            Values::Categorical { .. } => col.values.label(i).is_some_and(|s| self.text(s)),
            Values::Text(v) => v[i].as_deref().is_some_and(|s| self.text(s)),
            Values::Datetime { .. } => false,
        }
    }
}

fn selector(col: &Column, rows: &[usize], given: &[String], field: &str) -> Result<Selector> {
    let given: Vec<String> = given
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if given.is_empty() {
        return Err(EngineError::invalid(
            field,
            format!(
                "give the value(s) or the threshold of column {:?}",
                col.name
            ),
        ));
    }
    if matches!(col.values, Values::Datetime { .. }) {
        return Err(EngineError::invalid(
            field,
            format!("{:?} is a date column: pick another column", col.name),
        ));
    }
    if let Values::Numeric(v) = &col.values {
        if let [one] = given.as_slice() {
            if let Some(t) = one
                .strip_prefix('>')
                .and_then(|t| t.trim().parse::<f64>().ok())
            {
                return Ok(Selector::Above(t));
            }
        }
        let present: Vec<f64> = rows.iter().map(|&r| v[r]).filter(|x| !x.is_nan()).collect();
        let mut distinct = present.clone();
        distinct.sort_unstable_by(f64::total_cmp);
        distinct.dedup();
        let unique = distinct.len() as f64 / present.len().max(1) as f64;
        let fractional = present.iter().any(|x| x.fract() != 0.0);
        if given.len() == 1 && (fractional || unique >= UNIQUENESS_THRESHOLD) {
            return given[0].parse::<f64>().map(Selector::Above).map_err(|_| {
                EngineError::invalid(
                    field,
                    format!(
                        "{:?} is a continuous column: give one number as the threshold (got {:?})",
                        col.name, given[0]
                    ),
                )
            });
        }
    }
    Ok(Selector::Values(given))
}

fn column<'a>(table: &'a Table, name: &str, field: &str) -> Result<&'a Column> {
    table
        .column_index(name)
        .map(|i| &table.columns[i])
        .ok_or_else(|| EngineError::invalid(field, format!("no column named {name:?}")))
}

/// The report for `rows` of `table`; with `predicted` (one predicted label per row), the
/// post-training metrics too.
pub fn bias_report(
    table: &Table,
    target: &str,
    rows: &[usize],
    predicted: Option<&[String]>,
    config: &BiasConfig,
) -> Result<BiasReport> {
    let facet_col = column(table, &config.facet, "FacetName")?;
    if config.facet == target {
        return Err(EngineError::invalid(
            "FacetName",
            "the facet must be another column than the target",
        ));
    }
    let label_col = column(table, target, "LabelName")?;
    // Rows whose label is missing say nothing about bias in the labels.
    let keep: Vec<usize> = (0..rows.len())
        .filter(|&i| !label_col.values.is_missing(rows[i]))
        .collect();
    let predicted: Option<Vec<String>> =
        predicted.map(|p| keep.iter().map(|&i| p[i].clone()).collect());
    let rows: Vec<usize> = keep.iter().map(|&i| rows[i]).collect();
    let rows = rows.as_slice();
    let facet_sel = selector(
        facet_col,
        rows,
        &config.facet_values_or_threshold,
        "FacetValuesOrThreshold",
    )?;
    let label_sel = selector(
        label_col,
        rows,
        &config.label_values_or_threshold,
        "LabelValuesOrThreshold",
    )?;
    let facet: Vec<bool> = rows.iter().map(|&r| facet_sel.cell(facet_col, r)).collect();
    let label: Vec<bool> = rows.iter().map(|&r| label_sel.cell(label_col, r)).collect();
    // Values that select nothing are a mistake to name (Clarify refuses them too).
    for (field, col, sel, hits) in [
        ("FacetValuesOrThreshold", facet_col, &facet_sel, &facet),
        ("LabelValuesOrThreshold", label_col, &label_sel, &label),
    ] {
        if let (Selector::Values(v), false) = (sel, hits.iter().any(|&h| h)) {
            return Err(EngineError::invalid(
                field,
                format!(
                    "no row has {} in column {:?} (values there look like {})",
                    v.iter()
                        .map(|x| format!("{x:?}"))
                        .collect::<Vec<_>>()
                        .join(" or "),
                    col.name,
                    examples(col, rows)
                ),
            ));
        }
    }
    let pred: Option<Vec<bool>> = predicted
        .as_ref()
        .map(|p| p.iter().map(|s| label_sel.text(s)).collect());
    let group: Option<Vec<u32>> = match &config.group {
        Some(g) if !g.trim().is_empty() => {
            let col = column(table, g, "GroupName")?;
            let mut ids: std::collections::HashMap<String, u32> = Default::default();
            Some(
                rows.iter()
                    .map(|&r| {
                        let key = cell_key(col, r);
                        let next = ids.len() as u32;
                        *ids.entry(key).or_insert(next)
                    })
                    .collect(),
            )
        }
        _ => None,
    };
    // The flip test's features: the numeric columns other than facet, label and group.
    let ft_cols: Vec<&Column> = table
        .columns
        .iter()
        .filter(|c| c.kind == ColumnKind::Numeric)
        .filter(|c| {
            c.name != config.facet && c.name != target && Some(&c.name) != config.group.as_ref()
        })
        .collect();
    let mut ft = vec![0.0; rows.len() * ft_cols.len()];
    for (j, c) in ft_cols.iter().enumerate() {
        if let Values::Numeric(v) = &c.values {
            let mut present: Vec<f64> =
                rows.iter().map(|&r| v[r]).filter(|x| !x.is_nan()).collect();
            present.sort_unstable_by(f64::total_cmp);
            let fill = if present.is_empty() {
                0.0
            } else {
                median_sorted(&present)
            };
            for (i, &r) in rows.iter().enumerate() {
                ft[i * ft_cols.len() + j] = if v[r].is_nan() { fill } else { v[r] };
            }
        }
    }
    let input = BiasRows {
        facet: &facet,
        label: &label,
        predicted: pred.as_deref(),
        group: group.as_deref(),
        ft_features: (!ft_cols.is_empty()).then_some((ft.as_slice(), ft_cols.len())),
    };
    Ok(BiasReport {
        facet: config.facet.clone(),
        facet_values_or_threshold: facet_sel.describe(),
        label: target.to_string(),
        label_values_or_threshold: label_sel.describe(),
        group: config.group.clone().filter(|g| !g.trim().is_empty()),
        rows: rows.len(),
        sensitive_rows: facet.iter().filter(|&&f| f).count(),
        positive_rows: label.iter().filter(|&&l| l).count(),
        pre_training: pre_training(&input),
        post_training: post_training(&input),
        flip_test_columns: ft_cols.iter().map(|c| c.name.clone()).collect(),
    })
}

/// A few of the column's distinct values, for a message.
fn examples(col: &Column, rows: &[usize]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for &r in rows {
        if col.values.is_missing(r) {
            continue;
        }
        let k = cell_key(col, r);
        if !seen.contains(&k) {
            seen.push(k);
            if seen.len() == 4 {
                break;
            }
        }
    }
    seen.iter()
        .map(|x| format!("{x:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn cell_key(col: &Column, i: usize) -> String {
    match &col.values {
        Values::Numeric(v) => crate::common::format_number(v[i]),
        Values::Categorical { .. } => col.values.label(i).unwrap_or("").to_string(),
        Values::Text(v) => v[i].clone().unwrap_or_default(),
        Values::Datetime { secs, .. } => secs[i].to_string(),
    }
}
