//! Type and problem inference on every shared data set (../shared/datasets). Each test
//! fails, naming the folder, when the data set is absent.

use std::path::PathBuf;

use glassbox_engine::data::{ColumnKind, ProblemType};
use glassbox_engine::profile::{profile_file, Profile, ProfileOptions};

/// A shared data set; the test fails, saying where it looked, when it is missing.
fn dataset(name: &str) -> PathBuf {
    let p = manifest_dir().join("../../shared/datasets").join(name);
    assert!(
        p.exists(),
        "{} not found: these tests need the shared data sets in ../shared/datasets",
        p.display()
    );
    p
}

fn profile(name: &str, target: &str) -> Profile {
    let path = dataset(name);
    let opts = ProfileOptions {
        target: Some(target.to_string()),
        ..Default::default()
    };
    profile_file(&path, &opts).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn col<'a>(p: &'a Profile, name: &str) -> &'a glassbox_engine::profile::ColumnProfile {
    p.columns_detail
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

fn problem(p: &Profile) -> ProblemType {
    p.target
        .as_ref()
        .unwrap()
        .problem_type
        .expect("a problem type")
}

fn has_insight(p: &Profile, kind: &str, column: Option<&str>) -> bool {
    p.insights
        .iter()
        .any(|i| i.kind == kind && (column.is_none() || i.column.as_deref() == column))
}

#[test]
fn titanic() {
    let p = profile("titanic.csv", "Survived");
    assert_eq!((p.rows, p.columns), (891, 12));
    assert_eq!(problem(&p), ProblemType::BinaryClassification);
    assert_eq!(col(&p, "PassengerId").kind, ColumnKind::Id);
    assert_eq!(col(&p, "Age").missing, 177);
    assert_eq!(col(&p, "Age").kind, ColumnKind::Numeric);
    assert_eq!(col(&p, "Cabin").missing, 687);
    assert_eq!(col(&p, "Embarked").missing, 2);
    assert_eq!(col(&p, "Sex").kind, ColumnKind::Categorical);
    assert_eq!(col(&p, "Name").kind, ColumnKind::Text);
    let classes = p.target.as_ref().unwrap().classes.as_ref().unwrap();
    assert_eq!((classes[0].label.as_str(), classes[0].count), ("0", 549));
    assert_eq!((classes[1].label.as_str(), classes[1].count), ("1", 342));
    // The names are the best single predictor of survival: their words hold the titles
    // (Mr, Mrs, Miss, Master), which say sex and age. Of the other columns Sex is the best,
    // far ahead of the identifier.
    let name = col(&p, "Name").prediction_power.unwrap();
    assert!(name > col(&p, "Sex").prediction_power.unwrap(), "{name}");
    let best = p
        .columns_detail
        .iter()
        .filter(|c| c.prediction_power.is_some() && c.name != "Name")
        .max_by(|a, b| {
            a.prediction_power
                .unwrap()
                .total_cmp(&b.prediction_power.unwrap())
        })
        .unwrap();
    assert_eq!(best.name, "Sex");
    assert!(col(&p, "Sex").prediction_power.unwrap() > 0.15);
    assert!(col(&p, "PassengerId").prediction_power.unwrap() < 0.1);
    assert!(has_insight(&p, "id_column", Some("PassengerId")));
    assert!(has_insight(&p, "high_missing_ratio", Some("Cabin")));
    assert_eq!(p.duplicate_rows, 0);
}

#[test]
fn adult() {
    let p = profile("adult.csv", "income");
    assert_eq!(p.rows, 48_842);
    assert_eq!(problem(&p), ProblemType::BinaryClassification);
    assert!(col(&p, "workclass").missing > 0);
    assert!(col(&p, "workclass").missing_tokens.contains_key("?"));
    assert!(col(&p, "occupation").missing > 0);
    assert!(col(&p, "native-country").missing > 0);
    assert!(!col(&p, "workclass")
        .top_categories
        .iter()
        .any(|c| c.value == "?"));
    assert_eq!(col(&p, "age").kind, ColumnKind::Numeric);
}

#[test]
fn penguins() {
    let p = profile("penguins.csv", "species");
    assert_eq!(p.rows, 344);
    assert_eq!(problem(&p), ProblemType::MulticlassClassification);
    assert_eq!(
        p.target.as_ref().unwrap().classes.as_ref().unwrap().len(),
        3
    );
    assert_eq!(p.missing_cells, 19);
}

#[test]
fn california() {
    let p = profile("california_housing.csv", "median_house_value");
    assert_eq!(p.rows, 20_640);
    assert_eq!(problem(&p), ProblemType::Regression);
    assert_eq!(col(&p, "total_bedrooms").missing, 207);
    assert_eq!(col(&p, "ocean_proximity").kind, ColumnKind::Categorical);
    let stats = p.target.as_ref().unwrap().stats.as_ref().unwrap();
    assert_eq!(stats.max, 500_001.0);
    assert!(p.correlations.is_some());
    assert!(col(&p, "median_income").prediction_power.unwrap() > 0.3);
}

#[test]
fn diabetic() {
    let p = profile("diabetic_data.csv", "readmitted");
    assert_eq!((p.rows, p.columns), (101_766, 50));
    assert_eq!(problem(&p), ProblemType::MulticlassClassification);
    for c in ["max_glu_serum", "A1Cresult"] {
        let c = col(&p, c);
        assert_eq!(c.kind, ColumnKind::Categorical, "{}", c.name);
        assert!(
            c.top_categories.iter().any(|t| t.value == "None"),
            "{}: None is a category",
            c.name
        );
        assert!(!c.missing_tokens.contains_key("None"), "{}", c.name);
    }
    assert_eq!(col(&p, "encounter_id").kind, ColumnKind::Id);
    assert_eq!(col(&p, "patient_nbr").kind, ColumnKind::Id);
    assert!(col(&p, "race").missing_tokens.contains_key("?"));
}

#[test]
fn telco() {
    let p = profile("telco_customer_churn.csv", "Churn");
    assert_eq!(problem(&p), ProblemType::BinaryClassification);
    assert_eq!(col(&p, "customerID").kind, ColumnKind::Id);
    let tc = col(&p, "TotalCharges");
    assert_eq!(tc.kind, ColumnKind::Numeric);
    assert_eq!(tc.missing, 11);
}

#[test]
fn bank() {
    let p = profile("bank_marketing_full.csv", "y");
    assert_eq!(p.rows, 45_211);
    assert_eq!(problem(&p), ProblemType::BinaryClassification);
    // 5,289 "yes" of 45,211 rows: 11.7%, a majority/minority ratio of 7.5, below the
    // insight's threshold of 10.
    let classes = p.target.as_ref().unwrap().classes.as_ref().unwrap();
    let yes = classes.iter().find(|c| c.label == "yes").unwrap();
    assert_eq!(yes.count, 5_289);
    assert!((yes.percent - 11.698).abs() < 0.001, "{}", yes.percent);
    assert!(!has_insight(&p, "imbalanced_classes", Some("y")));
}

#[test]
fn clothing_reviews_with_text() {
    let p = profile("womens_clothing_ecommerce_reviews.csv", "Recommended IND");
    assert_eq!(p.rows, 23_486);
    assert_eq!(problem(&p), ProblemType::BinaryClassification);
    assert_eq!(col(&p, "Review Text").kind, ColumnKind::Text);
    assert_eq!(col(&p, "Unnamed: 0").kind, ColumnKind::Id);
    assert!(col(&p, "Review Text").text.as_ref().unwrap().words_mean > 20.0);
    let p = profile("womens_clothing_ecommerce_reviews.csv", "Rating");
    assert_eq!(problem(&p), ProblemType::MulticlassClassification);
}

#[test]
fn sklearn_sets() {
    let cases = [
        ("sklearn_iris.csv", ProblemType::MulticlassClassification),
        ("sklearn_wine.csv", ProblemType::MulticlassClassification),
        (
            "sklearn_breast_cancer.csv",
            ProblemType::BinaryClassification,
        ),
        ("sklearn_diabetes.csv", ProblemType::Regression),
        ("sklearn_digits.csv", ProblemType::MulticlassClassification),
    ];
    for (name, pt) in cases {
        let p = profile(name, "target");
        assert_eq!(problem(&p), pt, "{name}");
    }
}

/// The crate's folder where the test runs (cargo sets it at run time), so a test binary
/// built elsewhere still finds the tree it is run on.
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}
