//! The problem type: Autopilot's rule for inferring it from the target column.

use serde::{Deserialize, Serialize};

use super::table::{Column, Values};
use crate::error::{EngineError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProblemType {
    BinaryClassification,
    MulticlassClassification,
    Regression,
}

pub const ALL_PROBLEM_TYPES: [ProblemType; 3] = [
    ProblemType::BinaryClassification,
    ProblemType::MulticlassClassification,
    ProblemType::Regression,
];

impl ProblemType {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemType::BinaryClassification => "BinaryClassification",
            ProblemType::MulticlassClassification => "MulticlassClassification",
            ProblemType::Regression => "Regression",
        }
    }

    pub fn parse(s: &str) -> Option<ProblemType> {
        Some(match s {
            "BinaryClassification" => ProblemType::BinaryClassification,
            "MulticlassClassification" => ProblemType::MulticlassClassification,
            "Regression" => ProblemType::Regression,
            _ => return None,
        })
    }

    pub fn is_classification(self) -> bool {
        self != ProblemType::Regression
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProblemInference {
    pub problem_type: ProblemType,
    pub reason: String,
}

/// Autopilot's rule: two distinct values → binary; labels that are not numbers →
/// multiclass; numbers with at most 5 distinct values, or integer-like numbers with at
/// most 100, → multiclass; other numbers → regression.
pub fn infer_problem_type(target: &Column) -> Result<ProblemInference> {
    let (distinct, integers, numeric) = match (&target.values, target.values.distinct()) {
        (Values::Numeric(v), Some(distinct)) => {
            let integers = v.iter().filter(|x| !x.is_nan()).all(|x| x.fract() == 0.0);
            (distinct, integers, true)
        }
        (Values::Categorical { .. }, Some(distinct)) => (distinct, false, false),
        _ => {
            return Err(EngineError::invalid(
                "target",
                format!(
                    "column {:?} is {} and cannot be a target",
                    target.name,
                    target.kind.as_str()
                ),
            ))
        }
    };
    let name = &target.name;
    if distinct == 0 {
        return Err(EngineError::invalid(
            "target",
            format!("target column {name:?} has no values: every cell is missing"),
        ));
    }
    if distinct == 1 {
        return Err(EngineError::invalid(
            "target",
            format!("target column {name:?} has a single value; there is nothing to predict"),
        ));
    }
    let (problem_type, reason) = if distinct == 2 {
        (
            ProblemType::BinaryClassification,
            "the target has exactly 2 distinct values".to_string(),
        )
    } else if !numeric {
        (
            ProblemType::MulticlassClassification,
            format!("the target has {distinct} distinct non-numeric labels"),
        )
    } else if distinct <= 5 {
        (
            ProblemType::MulticlassClassification,
            format!("the target is numeric with only {distinct} distinct values (at most 5)"),
        )
    } else if integers && distinct <= 100 {
        (
            ProblemType::MulticlassClassification,
            format!("the target holds integers with {distinct} distinct values (at most 100)"),
        )
    } else if integers {
        (
            ProblemType::Regression,
            format!("the target holds integers with {distinct} distinct values (more than 100)"),
        )
    } else {
        (
            ProblemType::Regression,
            format!("the target is numeric with {distinct} distinct non-integer values"),
        )
    };
    Ok(ProblemInference {
        problem_type,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::table::tests::table;

    #[test]
    fn problem_types() {
        let t = table("y\n1\n2\n3\n4\n5\n6\n", Some("y"));
        let p = infer_problem_type(&t.columns[0]).unwrap();
        assert_eq!(p.problem_type, ProblemType::MulticlassClassification);
        let t = table("y\n1.5\n2.5\n3.5\n4.5\n5.5\n6.5\n", Some("y"));
        assert_eq!(
            infer_problem_type(&t.columns[0]).unwrap().problem_type,
            ProblemType::Regression
        );
        let t = table("y\nyes\nno\nyes\n", Some("y"));
        assert_eq!(
            infer_problem_type(&t.columns[0]).unwrap().problem_type,
            ProblemType::BinaryClassification
        );
        let t = table("y\nyes\nyes\n", Some("y"));
        assert!(infer_problem_type(&t.columns[0])
            .unwrap_err()
            .to_string()
            .contains("single value"));
        let t = table("y,x\n,1\n,2\n", Some("y"));
        assert!(infer_problem_type(&t.columns[0])
            .unwrap_err()
            .to_string()
            .contains("every cell is missing"));
    }
}
