//! Insights: the findings a data scientist should read before training, with a severity.

use super::{ColumnKind, Insight, Profile, Severity};
use crate::automl::key_counts::{input_name, is_repeated_key};
use crate::data::ProblemType;

fn add(
    out: &mut Vec<Insight>,
    severity: Severity,
    kind: &str,
    column: Option<&str>,
    message: String,
) {
    out.push(Insight {
        severity,
        kind: kind.to_string(),
        column: column.map(str::to_string),
        message,
    });
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

pub fn insights(p: &Profile) -> Vec<Insight> {
    let mut out = Vec::new();
    if let Some(t) = &p.target {
        let name = t.name.as_str();
        match t.problem_type {
            None => add(
                &mut out,
                Severity::High,
                "target_unusable",
                Some(name),
                t.problem_type_reason.clone(),
            ),
            Some(ProblemType::Regression) => {
                if let Some(s) = &t.stats {
                    if let Some(sk) = s.skew.filter(|sk| sk.abs() > 3.0) {
                        add(&mut out, Severity::Medium, "target_skewed", Some(name),
                            format!("the target is skewed (skewness {sk:.2}); consider a log transform or an absolute-error metric"));
                    }
                    if let Some(k) = s.kurtosis.filter(|k| *k > 10.0) {
                        add(&mut out, Severity::Medium, "target_heavy_tailed", Some(name),
                            format!("the target is heavy-tailed (excess kurtosis {k:.1}); MSE will be dominated by extreme values"));
                    }
                    if s.outlier_ratio > 0.01 {
                        add(&mut out, Severity::Medium, "target_outliers", Some(name),
                            format!("{} of target values lie beyond median ± 5 robust standard deviations", pct(s.outlier_ratio)));
                    }
                }
            }
            Some(pt) => {
                if let Some(classes) = &t.classes {
                    let total: usize = classes.iter().map(|c| c.count).sum();
                    let minority = classes.iter().min_by_key(|c| c.count).unwrap();
                    let majority = classes.iter().max_by_key(|c| c.count).unwrap();
                    let share = minority.count as f64 / total as f64;
                    if classes.len() > 100 {
                        add(
                            &mut out,
                            Severity::High,
                            "too_many_classes",
                            Some(name),
                            format!(
                                "the target has {} classes; is it really a classification problem?",
                                classes.len()
                            ),
                        );
                    }
                    if share < 0.01 {
                        add(
                            &mut out,
                            Severity::High,
                            "very_small_minority_class",
                            Some(name),
                            format!(
                                "class {:?} holds only {} of rows ({} rows)",
                                minority.label,
                                pct(share),
                                minority.count
                            ),
                        );
                    }
                    let few: Vec<&str> = classes
                        .iter()
                        .filter(|c| c.count < 10)
                        .map(|c| c.label.as_str())
                        .collect();
                    if !few.is_empty() {
                        add(&mut out, Severity::High, "too_few_rows_in_class", Some(name),
                            format!("{} class(es) have fewer than 10 rows ({}); they cannot be learned or validated reliably",
                                few.len(), few.iter().take(5).map(|l| format!("{l:?}")).collect::<Vec<_>>().join(", ")));
                    }
                    let ratio = majority.count as f64 / minority.count.max(1) as f64;
                    if ratio > 10.0 {
                        add(&mut out, Severity::Medium, "imbalanced_classes", Some(name),
                            format!("the classes are imbalanced: {:?} is {ratio:.0}× as common as {:?}; {} will weight classes",
                                majority.label, minority.label,
                                if pt == ProblemType::BinaryClassification { "F1 on the minority class is the default metric and training" } else { "training" }));
                    }
                }
            }
        }
        if t.missing > 0 {
            add(
                &mut out,
                Severity::Medium,
                "target_missing",
                Some(name),
                format!(
                    "{} rows have no target value; they are left out of training",
                    t.missing
                ),
            );
        }
    }

    let n = p.rows.max(1) as f64;
    for c in &p.columns_detail {
        let col = Some(c.name.as_str());
        let present = p.rows.saturating_sub(c.missing);
        if let Some(pp) = c.prediction_power.filter(|pp| *pp > 0.95) {
            add(&mut out, Severity::High, "target_leakage", col,
                format!("{:?} alone predicts the target almost perfectly (prediction power {pp:.3}); check that it is known at prediction time", c.name));
        }
        match c.kind {
            ColumnKind::Constant => {
                let what = if c.unique == 0 { "every value is missing" } else { "it holds a single value" };
                add(&mut out, Severity::Medium, "constant_column", col,
                    format!("{:?} carries no information ({what}); it is dropped", c.name));
            }
            ColumnKind::Id if is_repeated_key(c.unique, present) => add(&mut out, Severity::Medium, "repeated_key", col,
                format!("{:?} is a key that repeats ({} distinct values in {present} rows, {:.2} rows per key): rows of one key belong together (a patient's visits, a customer's orders). The key itself is not a feature; how many other training rows share it is ({:?})",
                    c.name, c.unique, present as f64 / c.unique.max(1) as f64, input_name(&c.name))),
            ColumnKind::Id => add(&mut out, Severity::Low, "id_column", col,
                format!("{:?} looks like an identifier ({} distinct values); it is not used as a feature", c.name, c.unique)),
            _ => {}
        }
        let mr = c.missing as f64 / n;
        if mr > 0.5 && c.kind != ColumnKind::Constant {
            let sev = if mr > 0.9 {
                Severity::High
            } else {
                Severity::Medium
            };
            add(
                &mut out,
                sev,
                "high_missing_ratio",
                col,
                format!("{:?} is missing in {} of rows", c.name, pct(mr)),
            );
        }
        // One value in over 10% of rows and 10x as common as the next. For labels, only
        // values that read like placeholders count: a dominant "No" is data, "None" or
        // "unknown" often is not.
        let candidate = match c.kind {
            ColumnKind::Numeric => true,
            ColumnKind::Categorical => c
                .top_categories
                .first()
                .is_some_and(|t| placeholder_like(&t.value)),
            _ => false,
        };
        if candidate && c.unique >= 3 {
            if let [first, second, ..] = c.top_categories.as_slice() {
                let present = p.rows - c.missing;
                if first.count as f64 > 0.1 * present as f64 && first.count >= 10 * second.count {
                    add(&mut out, Severity::Low, "disguised_missing_value", col,
                        format!("{:?} takes the value {:?} in {} of rows, {}× as often as the next; it may stand for a missing value",
                            c.name, first.value, pct(first.count as f64 / present as f64), first.count / second.count.max(1)));
                }
            }
        }
    }
    let rare: Vec<&str> = p
        .columns_detail
        .iter()
        .filter(|c| c.kind == ColumnKind::Categorical && c.rare_categories > 0)
        .map(|c| c.name.as_str())
        .collect();
    if !rare.is_empty() {
        let shown: Vec<String> = rare.iter().take(8).map(|n| format!("{n:?}")).collect();
        let more = if rare.len() > 8 {
            format!(" and {} more", rare.len() - 8)
        } else {
            String::new()
        };
        add(&mut out, Severity::Low, "rare_categories", (rare.len() == 1).then(|| rare[0]),
            format!("{} column(s) have categories seen in fewer than 1% of rows ({}{more}); one-hot encoding groups them as infrequent",
                rare.len(), shown.join(", ")));
    }
    if p.duplicate_rows > 0 {
        let share = p.duplicate_rows as f64 / n;
        let sev = if share > 0.05 {
            Severity::Medium
        } else {
            Severity::Low
        };
        add(&mut out, sev, "duplicate_rows", None,
            format!("{} rows ({}) repeat an earlier row exactly; duplicates can leak between training and validation", p.duplicate_rows, pct(share)));
    }
    out.sort_by_key(|i| i.severity);
    out
}

/// Values people use in place of "missing".
fn placeholder_like(v: &str) -> bool {
    let v = v.trim().to_ascii_lowercase();
    matches!(
        v.as_str(),
        "none"
            | "unknown"
            | "unk"
            | "missing"
            | "undefined"
            | "not available"
            | "not known"
            | "n.a."
            | "na."
            | "-"
            | "--"
            | "."
            | "0"
            | "-1"
            | "99"
            | "999"
            | "9999"
            | "other"
            | "empty"
            | "blank"
            | "not measured"
    )
}
