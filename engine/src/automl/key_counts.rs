//! Repeated keys as features. A column typed `id` whose values repeat (a patient's many
//! encounters, a customer's many orders) names a group. The key itself is no feature, but
//! how many *other* rows of the training data share it is: the numeric input
//! `<key>__rows`. A row being fitted counts the other training rows of its key (its own
//! count less one); a row being predicted counts the training rows of its key (zero for an
//! unseen key). Both are "the rows of this key known besides this one", so the value means
//! the same when fitting and when predicting. A missing key counts zero.
//!
//! scikit-learn counterpart: `glassbox_helpers.KeyCounts`, whose `fit_transform` gives the
//! fitted rows' counts and `transform` the predicted rows', as here.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::data::{Column, ColumnKind, Values};

/// The suffix of a key's numeric input: `<key>__rows`.
pub const KEY_ROWS: &str = "rows";

/// Whether an id column with `unique` distinct values in `present` non-missing cells is a
/// repeated key: at least 5% of its rows share their key with another row. A key unique
/// per row (an identifier in the strict sense) is not.
pub fn is_repeated_key(unique: usize, present: usize) -> bool {
    present >= 20 && (unique as f64) <= 0.95 * present as f64
}

/// Whether `col` is an id column whose values repeat ([`is_repeated_key`]).
pub fn repeats(col: &Column) -> bool {
    if col.kind != ColumnKind::Id {
        return false;
    }
    let present = col.values.len() - col.missing;
    col.values
        .distinct()
        .is_some_and(|unique| is_repeated_key(unique, present))
}

/// The numeric input a repeated key column becomes: `<key>__rows`.
pub fn input_name(column: &str) -> String {
    format!("{column}__{KEY_ROWS}")
}

/// A key column's training counts: its distinct keys, sorted (numbers for a numeric key
/// column, else labels), with how many training rows hold each.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KeyCountState {
    pub column: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub numbers: Vec<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    pub counts: Vec<u32>,
}

/// A cell's key: a number (numeric key columns) or a label.
enum Key<'a> {
    Number(f64),
    Label(&'a str),
}

fn key(col: &Column, row: usize) -> Option<Key<'_>> {
    match &col.values {
        Values::Numeric(v) => (!v[row].is_nan()).then_some(Key::Number(v[row])),
        _ => col.values.label(row).map(Key::Label),
    }
}

impl KeyCountState {
    /// Count the keys of `col` at the training rows `rows`.
    pub fn fit(col: &Column, rows: &[usize]) -> KeyCountState {
        let mut numbers: HashMap<u64, u32> = HashMap::new();
        let mut labels: HashMap<&str, u32> = HashMap::new();
        for &r in rows {
            match key(col, r) {
                Some(Key::Number(x)) => *numbers.entry(x.to_bits()).or_default() += 1,
                Some(Key::Label(s)) => *labels.entry(s).or_default() += 1,
                None => {}
            }
        }
        let mut state = KeyCountState {
            column: col.name.clone(),
            numbers: vec![],
            labels: vec![],
            counts: vec![],
        };
        if matches!(col.values, Values::Numeric(_)) {
            let mut pairs: Vec<(f64, u32)> = numbers
                .into_iter()
                .map(|(b, c)| (f64::from_bits(b), c))
                .collect();
            pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
            (state.numbers, state.counts) = pairs.into_iter().unzip();
        } else {
            let mut pairs: Vec<(&str, u32)> = labels.into_iter().collect();
            pairs.sort_unstable();
            state.labels = pairs.iter().map(|(s, _)| s.to_string()).collect();
            state.counts = pairs.iter().map(|p| p.1).collect();
        }
        state
    }

    /// Training rows holding `k` (a label is looked up as a number when the keys were
    /// numbers, and the other way round, as a batch of few rows can type differently).
    fn count(&self, k: Key) -> u32 {
        let found = if !self.numbers.is_empty() {
            let x = match k {
                Key::Number(x) => Some(x),
                Key::Label(s) => s.trim().parse::<f64>().ok(),
            };
            x.and_then(|x| {
                self.numbers
                    .binary_search_by(|n| n.partial_cmp(&x).unwrap_or(Ordering::Less))
                    .ok()
            })
        } else {
            let text;
            let s = match k {
                Key::Label(s) => s,
                Key::Number(x) => {
                    text = x.to_string();
                    text.as_str()
                }
            };
            self.labels.binary_search_by(|l| l.as_str().cmp(s)).ok()
        };
        found.map_or(0, |i| self.counts[i])
    }

    /// The `<key>__rows` values at `rows` of `col`. `fitted`: these are rows the counts
    /// were fitted on, so each counts itself out.
    pub fn values(&self, col: &Column, rows: &[usize], fitted: bool) -> Vec<f64> {
        rows.iter()
            .map(|&r| match key(col, r) {
                Some(k) => {
                    let c = self.count(k);
                    f64::from(if fitted { c.saturating_sub(1) } else { c })
                }
                None => 0.0,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{read_bytes, ReadOptions, Table, TypeOverrides};

    fn column(csv: &str) -> Column {
        let raw = read_bytes("t.csv", csv.as_bytes().to_vec(), &ReadOptions::default()).unwrap();
        let mut over = TypeOverrides::new();
        over.insert("k".into(), ColumnKind::Id);
        Table::from_raw(raw, None, &over).unwrap().columns.remove(0)
    }

    #[test]
    fn fitted_rows_count_the_others_and_new_rows_the_known() {
        for csv in ["k\n7\n7\n9\n7\nNA\n", "k\nab\nab\ncd\nab\nNA\n"] {
            let c = column(csv);
            let s = KeyCountState::fit(&c, &[0, 1, 2, 3, 4]);
            assert_eq!(
                s.counts.iter().sum::<u32>(),
                4,
                "a missing key is not counted"
            );
            assert_eq!(s.values(&c, &[0, 2, 4], true), vec![2.0, 0.0, 0.0]);
            assert_eq!(s.values(&c, &[0, 2, 4], false), vec![3.0, 1.0, 0.0]);
            // Fitted on some rows, the others are new.
            let s = KeyCountState::fit(&c, &[0, 1]);
            assert_eq!(s.values(&c, &[3, 2], false), vec![2.0, 0.0]);
        }
        // A numeric key looked up from a label, as a single request may type it.
        let s = KeyCountState::fit(&column("k\n7\n7\n9\n"), &[0, 1, 2]);
        assert_eq!(s.count(Key::Label("7")), 2);
        assert_eq!(s.count(Key::Label("x")), 0);
    }

    #[test]
    fn a_key_repeats_when_a_twentieth_of_its_rows_share_it() {
        assert!(!is_repeated_key(100, 100));
        assert!(!is_repeated_key(96, 100));
        assert!(is_repeated_key(95, 100));
        assert!(is_repeated_key(71_518, 101_766));
        assert!(!is_repeated_key(5, 10), "too few rows to tell");
    }
}
