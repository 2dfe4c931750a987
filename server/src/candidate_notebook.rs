//! The candidate definition notebook: every candidate as scikit-learn code (pipeline and
//! estimator), its search ranges, cells that retrain it on the job's split and compare
//! with the leaderboard, and cells that score the saved model files. Written with the
//! helper module and a copy of `splits.json` beside it.

use std::path::PathBuf;

use glassbox_engine::automl::features::Pipeline;
use glassbox_engine::automl::features::{CategoricalEncoding, PipelineSpec};
use glassbox_engine::automl::job::JobSpec;
use glassbox_engine::automl::job::{CandidateStatus, JobOutcome};
use glassbox_engine::automl::learners::params::Penalty;
use glassbox_engine::automl::learners::{
    search_space, Algorithm, ClassWeight, HyperParams, Params, Task,
};
use glassbox_engine::data::{FileFormat, RawTable};
use minijinja::context;
use serde_json::{json, Value};

use crate::job_run::{JobFolder, NotebookFile};
use crate::notebooks::{cells, environment, notebook, python_literal, REQUIREMENTS};

const TEMPLATE: &str = include_str!("../../templates/candidate_definition.ipynb.j2");
/// The Python modules that go with the notebooks and with a model taken away: the steps
/// scikit-learn lacks (`glassbox_helpers.py`) and the reader of model files
/// (`glassbox_models.py`, which imports the former).
pub const PYTHON_MODULES: [(NotebookFile, &str); 2] = [
    (
        NotebookFile::Helpers,
        include_str!("../../templates/glassbox_helpers.py"),
    ),
    (
        NotebookFile::Models,
        include_str!("../../templates/glassbox_models.py"),
    ),
];

/// Where the job's data came from, as the notebook reads it again.
pub struct DataSource {
    pub path: PathBuf,
    pub file_name: String,
    pub delimiter: Option<char>,
    pub format: FileFormat,
    /// A separate validation file: (path, file name).
    pub validation: Option<(PathBuf, String)>,
}

impl DataSource {
    /// The file `raw` was read from (at `path`, shown as `file_name`).
    pub fn of(
        raw: &RawTable,
        path: PathBuf,
        file_name: String,
        validation: Option<(PathBuf, String)>,
    ) -> Self {
        DataSource {
            path,
            file_name,
            delimiter: raw.delimiter,
            format: raw.format,
            validation,
        }
    }
}

impl DataSource {
    /// What a notebook template needs to read the data again: the file (and a validation
    /// file), the delimiter, the compression and the format.
    pub fn template_values(&self) -> minijinja::Value {
        context! {
            file_name => self.file_name,
            data_file => self.path.display().to_string(),
            validation_file => self.validation.as_ref().map(|v| v.0.display().to_string()),
            validation_file_name => self.validation.as_ref().map(|v| v.1.clone()),
            delimiter => self.delimiter.map(|d| d.to_string()).unwrap_or_else(|| ",".into()),
            compression => (self.format == FileFormat::CsvGzip).then_some("gzip"),
            format => if self.format == FileFormat::Parquet { "parquet" } else { "csv" },
        }
    }
}

/// A hyperparameter's value as a Python literal.
fn lit<T: serde::Serialize>(v: T) -> String {
    python_literal(&serde_json::to_value(v).unwrap_or(Value::Null))
}

/// The estimator as Python source, from the candidate's typed hyperparameters (every
/// value written out, so no default of either library matters), and whether
/// `class_weight="balanced"` must be passed as sample weights (estimators without a
/// `class_weight` parameter).
pub fn estimator_source(params: &HyperParams, task: Task) -> (String, bool) {
    let classification = matches!(task, Task::Classification { .. });
    let balanced = params.class_weight() == Some(ClassWeight::Balanced);
    match params {
        HyperParams::Gbdt(p) => (
            format!(
                "gb.Forust(n_classes=K, iterations={}, learning_rate={}, max_depth={}, min_leaf_weight={}, l2={}, subsample={}, colsample_bytree={}, sample_method={}, missing_node_treatment=\"AssignToParent\", seed=SEED)",
                p.iterations,
                lit(p.learning_rate),
                p.max_depth,
                lit(p.min_leaf_weight),
                lit(p.l2),
                lit(p.subsample),
                lit(p.colsample_bytree),
                if p.subsample < 1.0 { "\"random\"" } else { "None" },
            ),
            balanced,
        ),
        HyperParams::SymmetricGbdt(p) => (
            format!(
                "gb.SymmetricGbdt(n_classes=K, iterations={}, learning_rate={}, depth={}, l2_leaf_reg={})",
                p.iterations,
                lit(p.learning_rate),
                p.depth,
                lit(p.l2_leaf_reg),
            ),
            balanced,
        ),
        HyperParams::Linear(p) if classification => {
            let l1 = p.penalty == Penalty::L1;
            (
                format!(
                    "LogisticRegression(C={}, l1_ratio={}, solver={}, tol=1e-7, max_iter=10000, class_weight={})",
                    lit(p.c),
                    if l1 { "1.0" } else { "0.0" },
                    if l1 { "\"saga\"" } else { "\"lbfgs\"" },
                    lit(p.class_weight),
                ),
                false,
            )
        }
        HyperParams::Linear(p) => {
            let alpha = lit(p.alpha);
            let code = match p.penalty {
                Penalty::L1 => format!("Lasso(alpha={alpha}, tol=1e-10, max_iter=100000)"),
                Penalty::Elasticnet => format!(
                    "ElasticNet(alpha={alpha}, l1_ratio={}, tol=1e-10, max_iter=100000)",
                    lit(p.l1_ratio)
                ),
                Penalty::L2 => format!("Ridge(alpha={alpha})"),
            };
            (code, false)
        }
        HyperParams::RandomForest(p) | HyperParams::ExtraTrees(p) => {
            let family = if matches!(params, HyperParams::RandomForest(_)) {
                "RandomForest"
            } else {
                "ExtraTrees"
            };
            let common = format!(
                "n_estimators={}, max_features={}, min_samples_leaf={}, max_depth={}",
                p.n_estimators,
                lit(p.max_features),
                p.min_samples_leaf,
                p.max_depth,
            );
            let code = if classification {
                format!(
                    "{family}Classifier({common}, class_weight={}, random_state=SEED, n_jobs=-1)",
                    lit(p.class_weight)
                )
            } else {
                format!("{family}Regressor({common}, random_state=SEED, n_jobs=-1)")
            };
            (code, false)
        }
        HyperParams::Knn(p) => (
            format!(
                "{}(n_neighbors={}, weights={})",
                if classification {
                    "KNeighborsClassifier"
                } else {
                    "KNeighborsRegressor"
                },
                p.n_neighbors,
                lit(p.weights),
            ),
            false,
        ),
        HyperParams::Mlp(p) => {
            let args = format!(
                "hidden_layer_sizes=({},), alpha={}, learning_rate_init={}, max_iter={}, batch_size=256, random_state=SEED",
                p.hidden_layer_sizes,
                lit(p.alpha),
                lit(p.learning_rate_init),
                p.max_iter,
            );
            if classification {
                (format!("MLPClassifier({args})"), balanced)
            } else {
                (
                    format!("TransformedTargetRegressor(regressor=MLPRegressor({args}), transformer=StandardScaler())"),
                    false,
                )
            }
        }
    }
}

fn algorithm_title(algo: Algorithm) -> &'static str {
    match algo {
        Algorithm::Gbdt => "Gradient-boosted trees (forust)",
        Algorithm::SymmetricGbdt => "Gradient-boosted symmetric trees (CatBoost's tree shape)",
        Algorithm::Linear => "Linear model",
        Algorithm::RandomForest => "Random forest",
        Algorithm::ExtraTrees => "Extra trees",
        Algorithm::Knn => "k nearest neighbours",
        Algorithm::Mlp => "Neural network (one hidden layer)",
    }
}

fn pipeline_context(p: &PipelineSpec) -> Value {
    json!({
        "name": p.name,
        "categorical": match p.categorical {
            CategoricalEncoding::Ordinal => "ordinal",
            CategoricalEncoding::OneHot => "one_hot",
        },
        "min_frequency": p.min_frequency,
        "scale": p.scale,
        "text_max_features": p.text_max_features,
        "text_ngram_max": p.text_ngram_max,
        "description": p.describe().join("; "),
    })
}

/// The candidates by kind (algorithm, or ensemble), kinds in the order of their best
/// candidate and each kind best first: one notebook cell per kind, the best candidate's
/// code at the top of the first. A kind whose
/// candidates share their search ranges states them once.
fn by_kind(candidates: &[Value]) -> Vec<Value> {
    let mut kinds: Vec<(String, Vec<&Value>)> = Vec::new();
    for c in candidates {
        let algo = c["algorithm"].as_str().unwrap_or_default().to_string();
        match kinds.iter_mut().find(|(a, _)| *a == algo) {
            Some((_, list)) => list.push(c),
            None => kinds.push((algo, vec![c])),
        }
    }
    kinds
        .into_iter()
        .map(|(algo, list)| {
            let first = &list[0]["ranges"];
            let shared = list.iter().all(|c| &c["ranges"] == first);
            json!({
                "algorithm": algo,
                "title": list[0].get("algorithm_title").cloned().unwrap_or_else(|| json!("Ensembles")),
                "count": list.len(),
                "shared_ranges": if shared { first.clone() } else { Value::Null },
                "candidates": list,
            })
        })
        .collect()
}

/// The notebook for a job's outcome (trained candidates, or only definitions).
pub fn candidate_definition(
    job_name: &str,
    target: &str,
    source: &DataSource,
    models_dir: &str,
    outcome: &JobOutcome,
    seed: u64,
) -> anyhow::Result<Value> {
    let r = &outcome.resolved;
    let task = match r.classes.len() {
        0 => Task::Regression,
        n => Task::Classification { n_classes: n },
    };
    let ranges_of = |name: &str, algo: Algorithm| {
        outcome
            .definitions
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.ranges.clone())
            .unwrap_or_else(|| search_space(algo, task))
    };
    let single = |name: &str,
                  algo: Algorithm,
                  pipeline: Pipeline,
                  hp: &Params,
                  lb: Option<f64>|
     -> anyhow::Result<Value> {
        let params = HyperParams::read(algo, hp).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        let (code, sample_weight) = estimator_source(&params, task);
        let exact = algo.deterministic();
        Ok(json!({
            "name": name,
            "algorithm": algo.as_str(),
            "algorithm_title": algorithm_title(algo),
            "pipeline": pipeline.as_str(),
            "code": code,
            "sample_weight": sample_weight,
            "exact": exact,
            "kind": if exact { "exact" } else { "within 0.01" },
            "ranges": serde_json::to_value(ranges_of(name, algo)).unwrap_or(Value::Null),
            "leaderboard": lb,
            "members": [],
        }))
    };
    let trained: Vec<_> = outcome
        .candidates
        .iter()
        .filter(|c| c.status == CandidateStatus::Completed && c.objective.is_some())
        .collect();
    let mut candidates: Vec<Value> = Vec::new();
    for c in &trained {
        match (c.algorithm, c.pipeline) {
            (Some(a), Some(p)) => candidates.push(single(
                &c.name,
                a,
                p,
                &c.hyperparameters,
                c.objective,
            )?),
            _ => candidates.push(json!({
                "name": c.name,
                "algorithm": "ensemble",
                "pipeline": "(members')",
                "kind": "as its members",
                "leaderboard": c.objective,
                "members": c.members.iter().map(|(n, w)| json!({"name": n, "weight": w})).collect::<Vec<_>>(),
                "member_pairs": c.members.iter().map(|(n, w)| json!([n, w])).collect::<Vec<_>>(),
            })),
        }
    }
    // Definitions not trained (a candidates-only job, or ones the limits left out).
    for d in &outcome.definitions {
        if !outcome.candidates.iter().any(|c| c.name == d.name) {
            candidates.push(single(
                &d.name,
                d.algorithm,
                d.pipeline,
                &d.hyperparameters,
                None,
            )?);
        }
    }
    let groups = by_kind(&candidates);
    let leaderboard: serde_json::Map<String, Value> = trained
        .iter()
        .map(|c| (c.name.clone(), json!(c.objective)))
        .collect();
    let best = outcome.best.clone().or_else(|| {
        candidates
            .first()
            .and_then(|c| c["name"].as_str().map(String::from))
    });
    let used: Vec<&str> = candidates
        .iter()
        .filter_map(|c| c["pipeline"].as_str())
        .collect();
    let pipelines: Vec<Value> = r
        .pipelines
        .iter()
        .filter(|p| used.contains(&p.name.as_str()))
        .map(pipeline_context)
        .collect();
    let features: Vec<Value> = r
        .features
        .iter()
        .map(|f| json!([f.name, f.kind.as_str(), f.date_format]))
        .collect();
    let positive_id = r
        .positive_class
        .as_ref()
        .and_then(|p| r.classes.iter().position(|c| c == p));
    let env = environment();
    let text = env.template_from_str(TEMPLATE)?.render(context! {
        job_name => job_name,
        models_dir => models_dir,
        target => target,
        problem_type => r.problem_type.as_str(),
        metric => r.metric.as_str(),
        maximize => r.metric.maximize(),
        positive_class => r.positive_class,
        positive_id => positive_id,
        classes => r.classes,
        validation => r.validation,
        seed => seed,
        features => features,
        pipelines => pipelines,
        candidates => candidates,
        groups => groups,
        leaderboard => Value::Object(leaderboard),
        best => best,
        ..source.template_values()
    })?;
    Ok(notebook(cells(&text, &Default::default())))
}

/// Write the candidate notebook, the helper module, `splits.json` and requirements.txt
/// into the job's `notebooks/` folder.
pub fn write_candidate_definition(
    folder: &JobFolder,
    job_name: &str,
    spec: &JobSpec,
    source: &DataSource,
    outcome: &JobOutcome,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(folder.notebooks())?;
    let candidates = folder.candidates();
    let models_dir = std::fs::canonicalize(&candidates).unwrap_or(candidates);
    let nb = candidate_definition(
        job_name,
        &spec.target,
        source,
        &models_dir.display().to_string(),
        outcome,
        spec.seed,
    )?;
    std::fs::write(
        folder.notebook(NotebookFile::CandidateDefinition),
        serde_json::to_vec_pretty(&nb)?,
    )?;
    for (file, text) in PYTHON_MODULES {
        std::fs::write(folder.notebook(file), text)?;
    }
    std::fs::write(
        folder.notebook(NotebookFile::Splits),
        serde_json::to_vec(&outcome.split)?,
    )?;
    std::fs::write(folder.notebook(NotebookFile::Requirements), REQUIREMENTS)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimators_are_python_with_literal_values() {
        let mut p = Params::new();
        p.insert("C".into(), json!(0.5));
        p.insert("penalty".into(), json!("l1"));
        p.insert("class_weight".into(), json!("balanced"));
        let binary = Task::Classification { n_classes: 2 };
        let linear = HyperParams::read(Algorithm::Linear, &p).unwrap();
        let (code, weights) = estimator_source(&linear, binary);
        assert_eq!(code, "LogisticRegression(C=0.5, l1_ratio=1.0, solver=\"saga\", tol=1e-7, max_iter=10000, class_weight=\"balanced\")");
        assert!(!weights);
        p.remove("C");
        p.remove("penalty");
        let mlp = HyperParams::read(Algorithm::Mlp, &p).unwrap();
        let (code, weights) = estimator_source(&mlp, Task::Classification { n_classes: 3 });
        assert!(
            code.starts_with("MLPClassifier(hidden_layer_sizes=(64,)"),
            "{code}"
        );
        assert!(weights, "MLP takes balanced weights at fit");
        let plain = HyperParams::read(Algorithm::Mlp, &Params::new()).unwrap();
        let (code, _) = estimator_source(&plain, Task::Regression);
        assert!(code.starts_with("TransformedTargetRegressor(regressor=MLPRegressor("));
        let knn = HyperParams::read(Algorithm::Knn, &Params::new()).unwrap();
        assert_eq!(
            estimator_source(&knn, Task::Regression).0,
            "KNeighborsRegressor(n_neighbors=5, weights=\"uniform\")"
        );
    }
}
