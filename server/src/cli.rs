//! The command line's jobs: `glassbox run`'s arguments → a `JobSpec` (a pure conversion),
//! the run itself through `job_run` with an observer that prints progress lines, and the
//! mapping from the engine's field names to flags for error messages.

use std::path::{Path, PathBuf};
use std::time::Instant;

use glassbox_engine::automl::job::{
    CandidateResult, CandidateStatus, Field, JobOutcome, JobSpec, Mode, Prepared, SecondaryStatus,
    ALL_MODES,
};
use glassbox_engine::automl::learners::{Algorithm, ALL_ALGORITHMS};
use glassbox_engine::automl::metrics::{Metric, ALL_METRICS};
use glassbox_engine::data::{ColumnKind, ProblemType, ReadOptions, Table, TypeOverrides};
use glassbox_engine::EngineError;

use crate::job_run::{self, DataFile, Inputs, JobFolder, RunMeta, RunObserver, Start};
use crate::service::now;
use crate::shapes;

#[derive(clap::Args, Debug, Default)]
pub struct RunArgs {
    pub file: PathBuf,
    #[arg(long)]
    pub target: String,
    #[arg(long)]
    pub out: PathBuf,
    /// BinaryClassification | MulticlassClassification | Regression
    #[arg(long)]
    pub problem_type: Option<String>,
    /// Accuracy, MSE, F1, F1macro, AUC, RMSE, MAE, R2, BalancedAccuracy, Precision, PrecisionMacro, Recall, RecallMacro, LogLoss
    #[arg(long)]
    pub metric: Option<String>,
    /// Binary classification: the class F1, Precision and Recall are computed for
    /// (default: the minority class).
    #[arg(long)]
    pub positive_class: Option<String>,
    /// AUTO | ENSEMBLING | HYPERPARAMETER_TUNING (default AUTO)
    #[arg(long)]
    pub mode: Option<String>,
    #[arg(long)]
    pub max_candidates: Option<usize>,
    #[arg(long)]
    pub max_runtime_per_candidate: Option<f64>,
    #[arg(long)]
    pub max_job_runtime: Option<f64>,
    /// The holdout's share on large data (default 0.2).
    #[arg(long)]
    pub validation_fraction: Option<f64>,
    #[arg(long)]
    pub validation_file: Option<PathBuf>,
    /// Comma-separated: gbdt, linear, random-forest, extra-trees, knn, mlp
    #[arg(long, value_delimiter = ',')]
    pub algorithms: Option<Vec<String>>,
    /// Comma-separated feature columns to use (default: all but ids and constants).
    #[arg(long, value_delimiter = ',')]
    pub features: Option<Vec<String>>,
    /// COL=numeric|categorical|text|datetime (repeatable).
    #[arg(long = "feature-type", value_name = "COL=TYPE")]
    pub feature_types: Vec<String>,
    /// Generate candidate definitions only, without training.
    #[arg(long)]
    pub candidates_only: bool,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// No progress lines on stderr.
    #[arg(long)]
    pub quiet: bool,
}

/// The flag that sets an engine field.
fn flag(field: Field) -> Option<&'static str> {
    Some(match field {
        Field::Target => "--target",
        Field::ProblemType => "--problem-type",
        Field::Metric => "--metric",
        Field::Mode => "--mode",
        Field::MaxCandidates => "--max-candidates",
        Field::MaxRuntimePerCandidate => "--max-runtime-per-candidate",
        Field::MaxJobRuntime => "--max-job-runtime",
        Field::ValidationFraction => "--validation-fraction",
        Field::Algorithms => "--algorithms",
        Field::Features => "--features",
        Field::FeatureTypes => "--feature-type",
        Field::PositiveClass => "--positive-class",
        Field::Data => return None,
    })
}

/// An error in the CLI's words: an engine field becomes its flag.
pub fn in_cli_words(e: anyhow::Error) -> anyhow::Error {
    match e.downcast_ref::<EngineError>() {
        Some(EngineError::Invalid { field, message }) => match Field::parse(field).and_then(flag) {
            Some(f) => anyhow::anyhow!("{f}: {message}"),
            None => anyhow::anyhow!("{message}"),
        },
        _ => e,
    }
}

fn names<T>(all: &[T], name: impl Fn(&T) -> &'static str) -> String {
    all.iter().map(name).collect::<Vec<_>>().join(", ")
}

/// `glassbox run`'s arguments as a job spec, checked by the engine's rules.
pub fn job_spec(a: &RunArgs) -> anyhow::Result<JobSpec> {
    let mut spec = JobSpec::new(a.target.clone());
    if let Some(p) = &a.problem_type {
        spec.problem_type = Some(ProblemType::parse(p).ok_or_else(|| {
            anyhow::anyhow!("--problem-type {p:?}: use BinaryClassification, MulticlassClassification or Regression")
        })?);
    }
    if let Some(m) = &a.metric {
        spec.metric = Some(Metric::parse(m).ok_or_else(|| {
            anyhow::anyhow!(
                "--metric {m:?}: unknown metric; use one of {}",
                names(&ALL_METRICS, |m| m.as_str())
            )
        })?);
    }
    if let Some(m) = &a.mode {
        spec.mode = Mode::parse(m).ok_or_else(|| {
            anyhow::anyhow!("--mode {m:?}: use {}", names(&ALL_MODES, |m| m.as_str()))
        })?;
    }
    spec.max_candidates = a.max_candidates;
    spec.max_runtime_per_candidate = a.max_runtime_per_candidate;
    spec.max_job_runtime = a.max_job_runtime;
    if let Some(f) = a.validation_fraction {
        spec.validation_fraction = f;
    }
    if let Some(list) = &a.algorithms {
        let mut algos = Vec::new();
        for name in list.iter().filter(|n| !n.trim().is_empty()) {
            algos.push(Algorithm::parse(name).ok_or_else(|| {
                anyhow::anyhow!(
                    "--algorithms: unknown algorithm {name:?}; use {}",
                    names(&ALL_ALGORITHMS, |a| a.as_str())
                )
            })?);
        }
        spec.algorithms = Some(algos);
    }
    spec.features = a.features.clone();
    spec.positive_class = a.positive_class.clone();
    spec.type_overrides = parse_overrides(&a.feature_types)?;
    spec.candidates_only = a.candidates_only;
    spec.seed = a.seed;
    spec.validate().map_err(|e| in_cli_words(e.into()))?;
    Ok(spec)
}

/// `--feature-type COL=TYPE` flags.
pub fn parse_overrides(items: &[String]) -> anyhow::Result<TypeOverrides> {
    let mut out = TypeOverrides::new();
    for item in items {
        let (col, kind) = item.rsplit_once('=').ok_or_else(|| {
            anyhow::anyhow!(
                "--feature-type {item:?}: expected COL=numeric|categorical|text|datetime"
            )
        })?;
        let kind = ColumnKind::parse(kind).ok_or_else(|| {
            anyhow::anyhow!("--feature-type {item:?}: unknown type {kind:?}; use numeric, categorical, text or datetime")
        })?;
        out.insert(col.to_string(), kind);
    }
    Ok(out)
}

/// Progress lines on stderr: one for the analysis, one per status change, one per
/// candidate. Nothing is printed before the job is known to be valid, so an invalid job
/// fails with exactly one line.
struct Progress {
    verbose: bool,
    prepared: bool,
    metric: &'static str,
    limit: Option<usize>,
    done: usize,
    last_status: Option<SecondaryStatus>,
}

impl RunObserver for Progress {
    fn on_prepared(&mut self, table: &Table, validation_rows: usize, prep: &Prepared) {
        self.prepared = true;
        self.metric = prep.resolved.metric.as_str();
        self.limit = prep.resolved.max_candidates;
        if self.verbose {
            let r = &prep.resolved;
            let extra = if validation_rows > 0 {
                format!(" (+ {validation_rows} rows of the validation file)")
            } else {
                String::new()
            };
            eprintln!(
                "{}: {} rows{extra}; {} with {} ({}); validation: {}",
                table.file_name,
                table.n_rows() - validation_rows,
                r.problem_type.as_str(),
                r.metric.as_str(),
                r.positive_class
                    .as_ref()
                    .map(|c| format!("positive class {c:?}"))
                    .unwrap_or_else(|| "no positive class".into()),
                r.validation
            );
        }
    }

    fn on_status(&mut self, status: SecondaryStatus, _progress: f64) {
        // Each candidate's reports come and go: not a stage worth a line.
        if matches!(
            status,
            SecondaryStatus::GeneratingExplainabilityReport
                | SecondaryStatus::GeneratingModelInsightsReport
        ) {
            return;
        }
        if self.verbose && self.prepared && self.last_status != Some(status) {
            eprintln!("· {}", shapes::secondary(status));
        }
        self.last_status = Some(status);
    }

    fn on_candidate(&mut self, result: &CandidateResult) {
        self.done += 1;
        if !self.verbose {
            return;
        }
        let of = self.limit.map(|l| format!("/{l}")).unwrap_or_default();
        match result.status {
            CandidateStatus::Completed => eprintln!(
                "  [{:>3}{of}] {:<36} {} = {:.5}   ({:.1} s)",
                self.done,
                result.name,
                self.metric,
                result.objective.unwrap_or(f64::NAN),
                result.train_seconds
            ),
            _ => eprintln!(
                "  [{:>3}{of}] {:<36} {}: {}",
                self.done,
                result.name,
                result.status.as_str(),
                result.failure_reason.as_deref().unwrap_or("")
            ),
        }
    }
}

/// `glassbox run`: the whole job into `--out`. The runtime limit counts from `started`.
pub fn run(a: &RunArgs, read: &ReadOptions, started: Instant) -> anyhow::Result<JobOutcome> {
    let spec = job_spec(a)?;
    let inputs = Inputs {
        training: DataFile::at(&a.file),
        validation: a.validation_file.as_deref().map(DataFile::at),
        read: read.clone(),
    };
    let name = a
        .out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "glassbox-job".into());
    let created = now();
    let meta = RunMeta {
        name: &name,
        input: input_channels(&a.file, a.validation_file.as_deref(), &spec.target),
        created: &created,
    };
    let mut progress = Progress {
        verbose: !a.quiet,
        prepared: false,
        metric: "",
        limit: None,
        done: 0,
        last_status: None,
    };
    let outcome = job_run::run(
        &JobFolder::new(&a.out),
        &meta,
        &inputs,
        &spec,
        Start::Fresh,
        started,
        &mut progress,
    )
    .map_err(in_cli_words)?;
    // A job without a candidate has failed in `job_run::run` already.
    let best = outcome
        .best
        .as_ref()
        .and_then(|b| outcome.candidates.iter().find(|c| &c.name == b));
    if a.quiet {
        return Ok(outcome);
    }
    match best {
        Some(best) => eprintln!(
            "{}: best {} with {} = {:.5} of {} candidates in {:.1} s → {}",
            shapes::secondary(outcome.secondary_status),
            best.name,
            outcome.resolved.metric.as_str(),
            best.objective.unwrap_or(f64::NAN),
            outcome.candidates.len(),
            outcome.elapsed_seconds,
            a.out.display()
        ),
        None => eprintln!(
            "{} candidate definitions written to {}",
            outcome.definitions.len(),
            a.out.display()
        ),
    }
    Ok(outcome)
}

/// InputDataConfig for `job.json`: the files as given.
fn input_channels(file: &Path, validation: Option<&Path>, target: &str) -> serde_json::Value {
    let channel = |p: &Path, kind: &str| {
        serde_json::json!({
            "DataSource": {"File": p.display().to_string()},
            "TargetAttributeName": target,
            "ChannelType": kind,
        })
    };
    let mut channels = vec![channel(file, "training")];
    channels.extend(validation.map(|v| channel(v, "validation")));
    serde_json::Value::from(channels)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(target: &str) -> RunArgs {
        RunArgs {
            file: "data.csv".into(),
            target: target.into(),
            out: "out".into(),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_come_from_the_engine() {
        let spec = job_spec(&args("y")).unwrap();
        let engine = JobSpec::new("y");
        assert_eq!(spec.mode, engine.mode);
        assert_eq!(spec.validation_fraction, engine.validation_fraction);
        assert_eq!(spec.algorithms, None);
    }

    #[test]
    fn flags_become_the_spec() {
        let mut a = args("y");
        a.problem_type = Some("Regression".into());
        a.metric = Some("rmse".into());
        a.mode = Some("hpo".into());
        a.algorithms = Some(vec!["gbdt".into(), " ".into(), "rf".into()]);
        a.feature_types = vec!["when=datetime".into()];
        a.validation_fraction = Some(0.3);
        let s = job_spec(&a).unwrap();
        assert_eq!(s.problem_type, Some(ProblemType::Regression));
        assert_eq!(s.metric, Some(Metric::RMSE));
        assert_eq!(s.mode, Mode::HyperparameterTuning);
        assert_eq!(
            s.algorithms,
            Some(vec![Algorithm::Gbdt, Algorithm::RandomForest])
        );
        assert_eq!(s.type_overrides["when"], ColumnKind::Datetime);
        assert_eq!(s.validation_fraction, 0.3);
    }

    #[test]
    fn engine_errors_name_the_flag() {
        let mut a = args("y");
        a.max_job_runtime = Some(0.0);
        let e = job_spec(&a).unwrap_err().to_string();
        assert!(e.starts_with("--max-job-runtime: "), "{e}");
        let mut a = args("y");
        a.problem_type = Some("Regression".into());
        a.metric = Some("F1".into());
        let e = job_spec(&a).unwrap_err().to_string();
        assert!(
            e.starts_with("--metric: F1 is not a regression metric"),
            "{e}"
        );
        let mut a = args("y");
        a.metric = Some("Gini".into());
        assert!(job_spec(&a)
            .unwrap_err()
            .to_string()
            .contains("unknown metric"));
        let mut a = args("y");
        a.feature_types = vec!["x".into()];
        assert!(job_spec(&a).is_err());
    }
}
