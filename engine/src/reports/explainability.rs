//! `explainability.json`: a candidate's SHAP values on its input columns (the engine's
//! `explain`), for the rows explained, with the global mean |SHAP| per column and
//! dependence data for the top columns.
//!
//! Each row is explained for one output: the positive class (binary), the predicted class
//! (multiclass) or the value (regression); `expected_value` is given for that output (or
//! per class), so `expected_value + Σ shap = prediction` holds for every row. A binary
//! model explained in log-odds of its second class is shown for the positive class by
//! changing the sign (the log-odds of the other class is the negative).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data::ProblemType;
use crate::explain::{Explanation, Method, OutputSpace};

/// Columns with dependence data.
pub const DEPENDENCE_COLUMNS: usize = 5;

pub struct ExplainabilityInput<'a> {
    pub candidate: &'a str,
    pub problem_type: ProblemType,
    pub classes: &'a [String],
    pub positive: Option<usize>,
    pub explanation: &'a Explanation,
    /// The file's row number of each explained row (at least as many as were explained).
    pub row_numbers: &'a [usize],
    /// The candidate's predicted class of each explained row (classification).
    pub predicted: &'a [usize],
    /// How many rows were offered to explain.
    pub rows_available: usize,
    /// The file's row numbers of the background rows.
    pub background_rows: &'a [usize],
    /// Fold models averaged (1 for a holdout or an ensemble).
    pub fold_models: usize,
    /// How long the explanation took, and how long it was allowed (`None`: no limit).
    pub seconds: f64,
    pub allowed_seconds: Option<f64>,
    /// The cells of input column `feature` in the file's rows `rows`, as read (for
    /// dependence data).
    pub cells: &'a dyn Fn(usize, &[usize]) -> Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Explainability {
    pub candidate: String,
    pub method: Method,
    pub method_detail: String,
    pub output_space: OutputSpace,
    /// What the explained output is, in words.
    pub output: String,
    /// A number, or one per class label (multiclass).
    pub expected_value: serde_json::Value,
    /// Input columns, largest mean |SHAP| first.
    pub global: Vec<GlobalShap>,
    pub rows: Vec<RowExplanation>,
    pub dependence: Vec<Dependence>,
    pub rows_explained: usize,
    pub rows_available: usize,
    pub background_rows: Vec<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coalitions_per_row: Option<usize>,
    /// The largest |expected + Σ shap − prediction| over the rows.
    pub additivity_error: f64,
    /// How long computing the values took.
    pub seconds: f64,
    /// Why fewer rows than offered were explained, when they were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GlobalShap {
    pub feature: String,
    pub mean_abs_shap: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RowExplanation {
    pub row: usize,
    /// The class explained (classification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub prediction: f64,
    pub shap: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dependence {
    pub feature: String,
    pub rows: Vec<usize>,
    pub values: Vec<String>,
    pub shap: Vec<f64>,
}

/// The output shown for a row: (output index, sign), or `None` if the class has no output.
fn shown(e: &Explanation, class: Option<usize>) -> Option<(usize, f64)> {
    if let Some(o) = e.outputs.iter().position(|c| *c == class) {
        return Some((o, 1.0));
    }
    // Binary log-odds of the other class.
    if e.outputs.len() == 1 && e.output_space == OutputSpace::LogOdds {
        return Some((0, -1.0));
    }
    None
}

pub fn explainability(input: &ExplainabilityInput) -> Explainability {
    let e = input.explanation;
    let m = e.features.len();
    let multiclass = input.problem_type == ProblemType::MulticlassClassification;
    let class_of_row = |i: usize| -> Option<usize> {
        match input.problem_type {
            ProblemType::Regression => None,
            ProblemType::BinaryClassification => Some(input.positive.unwrap_or(1)),
            ProblemType::MulticlassClassification => input.predicted.get(i).copied(),
        }
    };
    let mut rows = Vec::with_capacity(e.rows.len());
    let mut shown_shap: Vec<Vec<f64>> = Vec::with_capacity(e.rows.len());
    let mut total_abs = vec![0.0; m];
    let mut worst: f64 = 0.0;
    for (i, r) in e.rows.iter().enumerate() {
        let class = class_of_row(i);
        let Some((o, sign)) = shown(e, class) else {
            continue;
        };
        let values: Vec<f64> = (0..m).map(|f| sign * r.value(f, o)).collect();
        let prediction = sign * r.prediction[o];
        let expected = sign * e.expected[o];
        if prediction.is_finite() {
            worst = worst.max((expected + values.iter().sum::<f64>() - prediction).abs());
        }
        if multiclass {
            for (f, t) in total_abs.iter_mut().enumerate() {
                *t += (0..e.outputs.len())
                    .map(|o| r.value(f, o).abs())
                    .filter(|v| v.is_finite())
                    .sum::<f64>();
            }
        } else {
            total_abs
                .iter_mut()
                .zip(&values)
                .for_each(|(t, v)| *t += v.abs());
        }
        rows.push(RowExplanation {
            row: input.row_numbers[i],
            label: class.and_then(|c| input.classes.get(c).cloned()),
            prediction,
            shap: e
                .features
                .iter()
                .cloned()
                .zip(values.iter().copied())
                .collect(),
        });
        shown_shap.push(values);
    }
    let n = rows.len().max(1) as f64;
    let mut global: Vec<GlobalShap> = e
        .features
        .iter()
        .zip(&total_abs)
        .map(|(f, t)| GlobalShap {
            feature: f.clone(),
            mean_abs_shap: t / n,
        })
        .collect();
    global.sort_by(|a, b| {
        b.mean_abs_shap
            .total_cmp(&a.mean_abs_shap)
            .then(a.feature.cmp(&b.feature))
    });
    let dependence = global
        .iter()
        .take(DEPENDENCE_COLUMNS)
        .map(|g| {
            let f = e.features.iter().position(|x| *x == g.feature).unwrap_or(0);
            let numbers: Vec<usize> = rows.iter().map(|r| r.row).collect();
            Dependence {
                feature: g.feature.clone(),
                values: (input.cells)(f, &numbers),
                rows: numbers,
                shap: shown_shap.iter().map(|v| v[f]).collect(),
            }
        })
        .collect();
    let expected_value = match input.problem_type {
        ProblemType::MulticlassClassification => serde_json::Value::Object(
            e.outputs
                .iter()
                .zip(&e.expected)
                .filter_map(|(c, v)| {
                    let label = input.classes.get((*c)?)?.clone();
                    Some((label, serde_json::json!(v)))
                })
                .collect(),
        ),
        _ => match shown(e, class_of_row(0)) {
            Some((o, sign)) => serde_json::json!(sign * e.expected[o]),
            None => serde_json::Value::Null,
        },
    };
    Explainability {
        candidate: input.candidate.to_string(),
        method: e.method,
        method_detail: e.method.describe().to_string(),
        output_space: e.output_space,
        output: output_words(input, e),
        expected_value,
        global,
        rows,
        dependence,
        rows_explained: e.rows.len(),
        rows_available: input.rows_available,
        background_rows: input.background_rows[..e.background_rows.min(input.background_rows.len())]
            .to_vec(),
        coalitions_per_row: e.coalitions,
        additivity_error: worst,
        seconds: input.seconds,
        note: (e.rows.len() < input.rows_available).then(|| {
            format!(
                "{} of {} rows were explained in {:.1} s, with {:.1} s allowed (explanations take at most a fifth of the job's time; a costly first row may run past it); `glassbox predict --explain` computes any rows without a limit",
                e.rows.len(),
                input.rows_available,
                input.seconds,
                input.allowed_seconds.unwrap_or(input.seconds)
            )
        }),
    }
}

fn output_words(input: &ExplainabilityInput, e: &Explanation) -> String {
    let what = match (input.problem_type, e.output_space) {
        (ProblemType::Regression, _) => "the predicted value".to_string(),
        (ProblemType::BinaryClassification, OutputSpace::LogOdds) => format!(
            "the log-odds of class '{}'",
            input
                .positive
                .and_then(|p| input.classes.get(p))
                .map_or("1", |s| s.as_str())
        ),
        (ProblemType::BinaryClassification, _) => format!(
            "the probability of class '{}'",
            input
                .positive
                .and_then(|p| input.classes.get(p))
                .map_or("1", |s| s.as_str())
        ),
        (_, OutputSpace::LogOdds) => "the one-vs-rest log-odds of the predicted class".to_string(),
        (_, OutputSpace::Raw) => "the softmax score (logit) of the predicted class".to_string(),
        (_, OutputSpace::Probability) => "the probability of the predicted class".to_string(),
    };
    match e.method {
        Method::TreeSHAP | Method::LinearSHAP if input.fold_models > 1 => {
            format!(
                "{what}: the mean over the {} fold models",
                input.fold_models
            )
        }
        _ => what,
    }
}
