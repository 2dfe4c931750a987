//! Running AutoML jobs and predictions for the CLI (and, through the same functions, the
//! job runner of the server): loading data, saving candidates as they finish, writing the
//! output folder that SPEC describes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use glassbox_engine::automl::job::{
    self, CandidateResult, JobObserver, JobOutcome, JobSpec, SecondaryStatus,
};
use glassbox_engine::automl::metrics::Predictions;
use glassbox_engine::automl::model::CandidateModel;
use glassbox_engine::data::{self, ReadOptions, Table};
use glassbox_engine::profile;

use crate::candidate_notebook::DataSource;
use crate::service::write_json;
use crate::shapes;

/// The training table, with the rows of a validation file (if any) appended; returns the
/// positions of those rows.
pub fn load_training(
    file: &Path,
    validation: Option<&Path>,
    spec: &JobSpec,
) -> anyhow::Result<(Table, Option<Vec<usize>>)> {
    let opts = ReadOptions::default();
    let mut raw = data::read_file(file, &opts)?;
    let mut valid_rows = None;
    if let Some(v) = validation {
        let other = data::read_file(v, &opts)?;
        let (start, extra) = (raw.height(), other.height());
        raw = raw.append(other)?;
        valid_rows = Some((start..start + extra).collect());
    }
    let table = Table::from_raw(raw, Some(&spec.target), &spec.type_overrides)?;
    Ok((table, valid_rows))
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Saves each candidate under `candidates/NAME/` as soon as it finishes and reports progress.
pub struct OutputWriter {
    pub dir: PathBuf,
    pub metric: String,
    pub verbose: bool,
    pub done: usize,
    pub limit: Option<usize>,
    pub errors: Vec<String>,
    last_status: Option<SecondaryStatus>,
}

impl OutputWriter {
    pub fn new(dir: &Path, verbose: bool) -> Self {
        OutputWriter {
            dir: dir.to_path_buf(),
            metric: String::new(),
            verbose,
            done: 0,
            limit: None,
            errors: vec![],
            last_status: None,
        }
    }
}

/// Save one trained candidate: `model.json` (everything `predict` needs) and
/// `candidate.json` (its leaderboard entry).
pub fn save_candidate(
    dir: &Path,
    result: &CandidateResult,
    model: &CandidateModel,
) -> anyhow::Result<()> {
    let cdir = dir.join("candidates").join(&result.name);
    std::fs::create_dir_all(&cdir)?;
    write_json(&cdir.join("model.json"), model)?;
    write_json(&cdir.join("result.json"), result)?;
    Ok(())
}

impl JobObserver for OutputWriter {
    fn on_status(&mut self, status: SecondaryStatus, _progress: f64) {
        if self.verbose && self.last_status != Some(status) {
            eprintln!("· {}", shapes::secondary(status));
        }
        self.last_status = Some(status);
    }

    fn on_candidate(&mut self, result: &CandidateResult, model: &CandidateModel) {
        self.done += 1;
        if let Err(e) = save_candidate(&self.dir, result, model) {
            self.errors.push(format!("saving {}: {e:#}", result.name));
        }
        if self.verbose {
            let of = self.limit.map(|l| format!("/{l}")).unwrap_or_default();
            eprintln!(
                "  [{:>3}{of}] {:<36} {} = {:.5}   ({:.1} s)",
                self.done,
                result.name,
                self.metric,
                result.objective.unwrap_or(f64::NAN),
                result.train_seconds
            );
        }
    }
}

/// Write job.json, leaderboard.json, splits.json and `candidates/best`.
pub fn write_outputs(
    out: &Path,
    name: &str,
    input: &Path,
    spec: &JobSpec,
    created: &str,
    outcome: &JobOutcome,
) -> anyhow::Result<()> {
    let ended = now();
    let meta = shapes::JobMeta {
        name,
        input: serde_json::json!([{
            "DataSource": {"File": input.display().to_string()},
            "TargetAttributeName": spec.target,
            "ChannelType": "training",
        }]),
        created,
        ended: Some(&ended),
        updated: &ended,
        candidates_only: spec.candidates_only,
        mode: None,
    };
    write_json(
        &out.join("job.json"),
        &shapes::describe_outcome(&meta, outcome),
    )?;
    write_json(
        &out.join("leaderboard.json"),
        &shapes::leaderboard(outcome, &ended),
    )?;
    write_json(&out.join("splits.json"), &outcome.split)?;
    write_json(
        &out.join("candidate_definitions.json"),
        &outcome.definitions,
    )?;
    if let Some(best) = &outcome.best {
        let link = out.join("candidates").join("best");
        let _ = std::fs::remove_file(&link);
        let _ = std::fs::remove_dir_all(&link);
        #[cfg(unix)]
        std::os::unix::fs::symlink(best, &link).context("linking candidates/best")?;
        #[cfg(not(unix))]
        copy_dir(&out.join("candidates").join(best), &link)?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        std::fs::copy(e.path(), to.join(e.file_name()))?;
    }
    Ok(())
}

/// `glassbox run`: the whole job into `out`.
pub fn run_to_dir(
    file: &Path,
    validation: Option<&Path>,
    spec: &JobSpec,
    out: &Path,
    verbose: bool,
) -> anyhow::Result<JobOutcome> {
    let created = now();
    let started = std::time::Instant::now();
    let (table, valid_rows) = load_training(file, validation, spec)?;
    // Invalid jobs fail here, with one line, before any progress is printed.
    let prep = job::prepare(&table, spec, valid_rows.as_deref())?;
    let mut writer = OutputWriter::new(out, verbose);
    writer.metric = prep.resolved.metric.as_str().to_string();
    writer.limit = prep.resolved.max_candidates;
    if verbose {
        eprintln!(
            "{}: {} rows; {} with {} ({}); validation: {}",
            table.file_name,
            table.n_rows(),
            prep.resolved.problem_type.as_str(),
            prep.resolved.metric.as_str(),
            prep.resolved
                .positive_class
                .as_ref()
                .map(|c| format!("positive class {c:?}"))
                .unwrap_or_else(|| "no positive class".into()),
            prep.resolved.validation
        );
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let p = profile::profile_table(&table, Some(&spec.target));
    write_json(&out.join("profile.json"), &p)?;
    let data_file = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    crate::notebooks::write_data_exploration(&out.join("notebooks"), &p, &data_file)?;
    // The runtime limit covers the whole job, reading and profiling included, with a
    // moment kept back for writing the outputs.
    let deadline = spec
        .max_job_runtime
        .map(|s| started + Duration::from_secs_f64((s - 0.3).max(0.1)));
    let outcome = job::run_prepared(&table, spec, &prep, None, deadline, &mut writer);
    if let Some(e) = writer.errors.first() {
        anyhow::bail!("{e}");
    }
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "glassbox-job".into());
    write_outputs(out, &name, file, spec, &created, &outcome)?;
    let validation = validation.map(|v| {
        (
            std::fs::canonicalize(v).unwrap_or_else(|_| v.to_path_buf()),
            file_name(v),
        )
    });
    let source = DataSource::of(&table, data_file, table.file_name.clone(), validation);
    crate::candidate_notebook::write_candidate_definition(
        &out.join("notebooks"),
        &name,
        spec,
        &source,
        &outcome,
    )?;
    Ok(outcome)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `glassbox predict`: one row per input row, in input order.
pub fn predict_to_csv(model_dir: &Path, file: &Path, out: &Path) -> anyhow::Result<usize> {
    let model_path = model_dir.join("model.json");
    let bytes = std::fs::read(&model_path)
        .with_context(|| format!("{}: no model here", model_path.display()))?;
    let model: CandidateModel = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not a Glassbox model", model_path.display()))?;
    let raw = data::read_file(file, &ReadOptions::default())?;
    let n = raw.height();
    let preds = model.predict_raw(&raw)?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(
        std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?,
    ));
    match &preds {
        Predictions::Values(v) => {
            w.write_record(["predicted_label"])?;
            for x in v {
                w.write_record([x.to_string()])?;
            }
        }
        Predictions::Proba { p, k } => {
            let mut header = vec!["predicted_label".to_string(), "probability".to_string()];
            header.extend(model.classes.iter().map(|c| format!("proba_{c}")));
            w.write_record(&header)?;
            for (row, cls) in p.chunks(*k).zip(preds.classes()) {
                let mut rec = vec![model.classes[cls].clone(), row[cls].to_string()];
                rec.extend(row.iter().map(|x| x.to_string()));
                w.write_record(&rec)?;
            }
        }
    }
    w.into_inner()
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .flush()?;
    Ok(n)
}
