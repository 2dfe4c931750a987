//! Analysis of the data before any training: the problem type, the metric, the feature
//! columns and the validation split. Every bad input becomes a clear error here, before
//! anything is trained or written.

use super::spec::{invalid, Field, JobSpec, Mode};
use super::types::Resolved;
use crate::automl::features::{FeatureColumn, PipelineSpec};
use crate::automl::key_counts;
use crate::automl::learners::Task;
use crate::automl::metrics::Metric;
use crate::automl::split::{self, Split};
use crate::data::{
    infer_problem_type, target_values, ColumnKind, ProblemType, Table, TargetValues, Values,
};
use crate::error::{EngineError, Result};

/// Everything derived from the data before any training.
pub struct Prepared {
    pub resolved: Resolved,
    pub task: Task,
    /// Class id or value per row of the table (NaN where the target is missing).
    pub y: Vec<f64>,
    pub split: Split,
    pub feature_index: Vec<usize>,
}

fn class_counts(y: &[f64], rows: &[usize], k: usize) -> Vec<usize> {
    let mut c = vec![0; k];
    rows.iter().for_each(|&r| c[y[r] as usize] += 1);
    c
}

/// Analyse the data for a job. `validation_rows`: rows that came from a validation file.
pub fn prepare(
    table: &Table,
    spec: &JobSpec,
    validation_rows: Option<&[usize]>,
) -> Result<Prepared> {
    spec.validate()?;
    let file = &table.file_name;
    let names: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    spec.validate_columns(&names, file)?;
    let ti = table
        .column_index(&spec.target)
        .expect("validate_columns checked the target");
    let target = &table.columns[ti];
    let labelled = target.values.len() - target.missing;
    if (1..10).contains(&labelled) {
        return Err(invalid(
            Field::Data,
            format!("{file}: {labelled} row(s) with a target value; Glassbox needs at least 10"),
        ));
    }
    let inferred = infer_problem_type(target)?;
    let problem = match spec.problem_type {
        None => inferred.problem_type,
        Some(p) => {
            let ok = match (p, &target.values) {
                (ProblemType::Regression, Values::Numeric(_)) => true,
                (ProblemType::Regression, _) => false,
                (ProblemType::BinaryClassification, _) => {
                    inferred.problem_type == ProblemType::BinaryClassification
                }
                (ProblemType::MulticlassClassification, _) => true,
            };
            if !ok {
                return Err(invalid(
                    Field::ProblemType,
                    format!(
                        "{} does not fit target {:?}: {}",
                        p.as_str(),
                        spec.target,
                        inferred.reason
                    ),
                ));
            }
            p
        }
    };
    let metric = spec.metric.unwrap_or_else(|| Metric::default_for(problem));
    metric
        .check_fits(problem)
        .map_err(|e| invalid(Field::Metric, e))?;

    let (tv, classes) = target_values(target, problem);
    let (y, task): (Vec<f64>, Task) = match tv {
        TargetValues::Classes { ids, n_classes } => (
            ids.iter()
                .map(|c| c.map_or(f64::NAN, |c| c as f64))
                .collect(),
            Task::Classification { n_classes },
        ),
        TargetValues::Numbers(v) => (
            v.iter().map(|x| x.unwrap_or(f64::NAN)).collect(),
            Task::Regression,
        ),
    };

    // Features: every column but the target, ids and constants, or the ones asked for.
    let mut feature_index = Vec::new();
    match &spec.features {
        Some(names) => feature_index.extend(names.iter().filter_map(|n| table.column_index(n))),
        None => feature_index.extend((0..table.columns.len()).filter(|&i| i != ti)),
    }
    for &i in &feature_index {
        let c = &table.columns[i];
        if c.missing == c.values.len() {
            return Err(EngineError::Data {
                location: crate::error::Location {
                    file: file.clone(),
                    line: None,
                    column: Some(c.name.clone()),
                },
                message: "every value of this feature is missing; leave it out of the features"
                    .into(),
            });
        }
    }
    // An id whose values repeat is a group key: its count of other rows is a feature.
    feature_index.retain(|&i| {
        let c = &table.columns[i];
        match c.kind {
            ColumnKind::Constant => false,
            ColumnKind::Id => key_counts::repeats(c),
            _ => true,
        }
    });
    if feature_index.is_empty() {
        return Err(invalid(
            Field::Features,
            format!("{file}: no usable feature columns (ids and constant columns are left out)"),
        ));
    }
    let features: Vec<FeatureColumn> = feature_index
        .iter()
        .map(|&i| {
            let c = &table.columns[i];
            FeatureColumn {
                name: c.name.clone(),
                kind: c.kind,
                date_format: match &c.values {
                    Values::Datetime { format, .. } => Some(format.clone()),
                    _ => None,
                },
            }
        })
        .collect();

    // Rows with a target; validation-file rows apart.
    let is_valid_file = {
        let mut v = vec![false; table.n_rows()];
        validation_rows
            .unwrap_or(&[])
            .iter()
            .for_each(|&r| v[r] = true);
        v
    };
    let rows: Vec<usize> = (0..table.n_rows())
        .filter(|&r| !y[r].is_nan() && !is_valid_file[r])
        .collect();
    if rows.len() < 10 {
        return Err(invalid(
            Field::Data,
            format!(
                "{file}: {} row(s) with a target value; Glassbox needs at least 10",
                rows.len()
            ),
        ));
    }
    let (positive_class, stratum_k) = match task {
        Task::Classification { n_classes } => {
            let counts = class_counts(&y, &rows, n_classes);
            if let Some(c) = counts.iter().position(|&c| c < 2) {
                return Err(invalid(
                    Field::Target,
                    format!(
                        "class {:?} has {} row(s); every class needs at least 2",
                        classes[c], counts[c]
                    ),
                ));
            }
            let positive = match &spec.positive_class {
                None => {
                    let minority = (0..n_classes).rev().min_by_key(|&c| counts[c]).unwrap();
                    classes[minority].clone()
                }
                Some(p) if n_classes != 2 => {
                    return Err(invalid(
                        Field::PositiveClass,
                        format!("a positive class ({p:?}) is for binary classification; this target has {n_classes} classes"),
                    ))
                }
                Some(p) if !classes.contains(p) => {
                    return Err(invalid(
                        Field::PositiveClass,
                        format!(
                            "{p:?} is not a class of the target; its classes are {}",
                            classes.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(" and ")
                        ),
                    ))
                }
                Some(p) => p.clone(),
            };
            (Some(positive), n_classes)
        }
        Task::Regression => match &spec.positive_class {
            Some(p) => {
                return Err(invalid(
                    Field::PositiveClass,
                    format!(
                        "a positive class ({p:?}) is for binary classification, not regression"
                    ),
                ))
            }
            None => (None, 1),
        },
    };
    let stratum = |r: usize| if stratum_k > 1 { y[r] as usize } else { 0 };
    let split = match validation_rows {
        Some(v) if !v.is_empty() => {
            let vr: Vec<usize> = v.iter().copied().filter(|&r| !y[r].is_nan()).collect();
            Split {
                method: "validation file".into(),
                folds: vec![(rows.clone(), vr)],
            }
        }
        _ => match split::folds_for(rows.len()) {
            Some(k) => split::kfold(&rows, k, &stratum, stratum_k > 1, spec.seed),
            None => split::holdout(
                &rows,
                spec.validation_fraction,
                &stratum,
                stratum_k > 1,
                spec.seed,
            ),
        },
    };
    let mode = match spec.mode {
        Mode::Auto if table.n_rows() * table.columns.len() * 8 < 100_000_000 => Mode::Ensembling,
        Mode::Auto => Mode::HyperparameterTuning,
        m => m,
    };
    let n_train = split.folds[0].0.len();
    let max_candidates = Some(spec.candidate_cap(n_train));
    let text_columns = features
        .iter()
        .filter(|f| f.kind == ColumnKind::Text)
        .count();
    Ok(Prepared {
        resolved: Resolved {
            problem_type: problem,
            problem_type_reason: if spec.problem_type.is_some() {
                "set by the user".into()
            } else {
                inferred.reason
            },
            metric,
            mode,
            max_candidates,
            max_runtime_per_candidate: spec.max_runtime_per_candidate,
            max_job_runtime: spec.max_job_runtime,
            classes,
            positive_class,
            features,
            input_columns: names
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != ti)
                .map(|(_, n)| n.clone())
                .collect(),
            validation: split.method.clone(),
            pipelines: PipelineSpec::for_data(n_train, text_columns),
        },
        task,
        y,
        split,
        feature_index,
    })
}
