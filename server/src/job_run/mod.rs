//! One AutoML job run, whoever asked for it. `glassbox run` and the server's job worker
//! both call [`run`]: load the data, analyse it, profile it, train, and write every
//! artefact into a [`JobFolder`]. They differ only in their [`RunObserver`]: the CLI
//! prints progress lines, the server writes status rows to SQLite.

mod candidate_reports;
mod folder;
mod freed_memory;
mod validation_file;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use glassbox_engine::automl::job::{
    self, CandidateDefinition, CandidateResult, CandidateStatus, JobObserver, JobOutcome, JobSpec,
    Prepared, Resolved, SecondaryStatus,
};
use glassbox_engine::automl::metrics::Predictions;
use glassbox_engine::automl::model::CandidateModel;
use glassbox_engine::automl::split::Split;
use glassbox_engine::data::{self, ReadOptions, Table};
use glassbox_engine::profile;

pub use folder::{JobFolder, NotebookFile, REPORT_FILES};

use crate::candidate_notebook::DataSource;
use crate::service::{now, write_json};
use crate::shapes;

/// A data file of a job: where its bytes are, and the name it is known by (shown in
/// messages, and used for format hints such as `.parquet` or `.gz`).
#[derive(Debug, Clone)]
pub struct DataFile {
    pub path: PathBuf,
    pub name: String,
}

impl DataFile {
    /// A file given on the command line: known by its own name.
    pub fn at(path: &Path) -> Self {
        DataFile {
            path: path.to_path_buf(),
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string()),
        }
    }

    fn read(&self, opts: &ReadOptions) -> anyhow::Result<data::RawTable> {
        let bytes = std::fs::read(&self.path).with_context(|| self.name.clone())?;
        Ok(data::read_bytes(&self.name, bytes, opts)?)
    }

    /// The absolute path, as the notebooks record it.
    fn absolute(&self) -> PathBuf {
        std::fs::canonicalize(&self.path).unwrap_or_else(|_| self.path.clone())
    }
}

/// What a job trains on: a training file, and optionally a separate validation file.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub training: DataFile,
    pub validation: Option<DataFile>,
    pub read: ReadOptions,
}

/// Where a run starts from.
pub enum Start {
    /// A new job: the portfolio, then the search (or only the definitions, for a
    /// candidates-only job).
    Fresh,
    /// After a candidates-only job's review: train these definitions (with their edited
    /// ranges), then search on only their arms.
    Chosen(Vec<CandidateDefinition>),
}

/// How a caller follows a run.
pub trait RunObserver {
    /// The data is analysed; training is about to start. `table` holds the training
    /// file's rows followed by `validation_rows` rows of a validation file.
    fn on_prepared(&mut self, _table: &Table, _validation_rows: usize, _prep: &Prepared) {}
    fn on_status(&mut self, _status: SecondaryStatus, _progress: f64) {}
    /// A definition starts training (`fraction` < 1: a screening trial on part of the rows).
    fn on_training(&mut self, _def: &CandidateDefinition, _fraction: f64) {}
    /// A candidate ended (its files are saved when it completed).
    fn on_candidate(&mut self, _result: &CandidateResult) {}
    fn stop_requested(&self) -> bool {
        false
    }
}

/// A job's identity, as `job.json` shows it.
pub struct RunMeta<'a> {
    pub name: &'a str,
    /// The InputDataConfig channels, as the caller gave them.
    pub input: serde_json::Value,
    pub created: &'a str,
}

/// The job's table: the training file's rows, with those of a validation file (if any)
/// appended; and the positions of those rows. With a validation file, also the training
/// file's rows alone (the exploration is of that file, as its notebook reads it).
struct Loaded {
    table: Table,
    valid_rows: Option<Vec<usize>>,
    training_only: Option<Table>,
}

fn load(inputs: &Inputs, spec: &JobSpec) -> anyhow::Result<Loaded> {
    let typed = |raw| Table::from_raw(raw, Some(&spec.target), &spec.type_overrides);
    let raw = inputs.training.read(&inputs.read)?;
    let Some(v) = &inputs.validation else {
        return Ok(Loaded {
            table: typed(raw)?,
            valid_rows: None,
            training_only: None,
        });
    };
    let other = v.read(&inputs.read)?;
    let (start, extra) = (raw.height(), other.height());
    // A polars frame's clone shares its columns: the training rows are read once.
    let training_only = typed(raw.clone())?;
    Ok(Loaded {
        table: typed(raw.append(other)?)?,
        valid_rows: Some((start..start + extra).collect()),
        training_only: Some(training_only),
    })
}

/// The job's table as its candidates were trained and scored on (training rows, then a
/// validation file's), for reports asked for later.
pub fn load_table(inputs: &Inputs, spec: &JobSpec) -> anyhow::Result<Table> {
    Ok(load(inputs, spec)?.table)
}

/// Rows the budget probe trains its candidate on, and the longest it may take (it stops
/// sooner once the candidate's scaled time has passed the budget).
const PROBE_ROWS: usize = 2_000;
const PROBE_SECONDS: u64 = 5;

/// Before a job starts: whether its budget will likely hold the first candidate, measured
/// by training that candidate on a sample of the training file (`probe_first_candidate`).
/// `None` when it will, or when the job has no time limit; else why not, in words.
pub fn budget_warning(inputs: &Inputs, spec: &JobSpec) -> anyhow::Result<Option<String>> {
    // The first candidate may use the whole job budget, unless a per-candidate limit is set.
    let (budget, which) = match (spec.max_job_runtime, spec.max_runtime_per_candidate) {
        (Some(j), Some(c)) if c < j => (c, "per-candidate limit"),
        (Some(j), _) => (j, "job's budget"),
        (None, Some(c)) => (c, "per-candidate limit"),
        (None, None) => return Ok(None),
    };
    let raw = inputs.training.read(&inputs.read)?;
    let table = Table::from_raw(raw, Some(&spec.target), &spec.type_overrides)?;
    let max_probe = std::time::Duration::from_secs(PROBE_SECONDS);
    let Some(p) = job::probe_first_candidate(&table, spec, PROBE_ROWS, budget, max_probe) else {
        return Ok(None);
    };
    if p.seconds <= budget {
        return Ok(None);
    }
    let (took, estimate) = if p.cut_short {
        (
            format!("was still training after {:.1} s", p.sample_seconds),
            format!("more than {:.0} s", p.seconds),
        )
    } else {
        (
            format!("took {:.1} s", p.sample_seconds),
            format!("about {:.0} s", p.seconds),
        )
    };
    let advice = if p.cut_short {
        "Give it well over that.".to_string()
    } else {
        format!(
            "Give it at least {:.0} s.",
            (p.seconds * 1.5 / 10.0).ceil() * 10.0
        )
    };
    Ok(Some(format!(
        "The {which} of {budget} s is likely too short for even one candidate: the first one \
         ({}) {took} on {} of the {} rows here, so {estimate} on all of them. {advice}",
        p.candidate, p.sample_rows, p.rows,
    )))
}

/// Saves each candidate under `candidates/NAME/` as it ends, then tells the caller.
struct FolderWriter<'a> {
    folder: &'a JobFolder,
    job: &'a str,
    table: &'a Table,
    prep: &'a Prepared,
    /// The engine's last status, restored after a candidate's explanation.
    status: (SecondaryStatus, f64),
    /// The job's wall: no explanation runs past it.
    deadline: Option<Instant>,
    /// When the job began, and the time its explanations have taken so far.
    started: Instant,
    explaining: std::time::Duration,
    scored: candidate_reports::ScoredRows,
    /// When each candidate ended (its EndTime in `leaderboard.json`).
    ended: BTreeMap<String, String>,
    obs: &'a mut dyn RunObserver,
    errors: Vec<String>,
}

impl FolderWriter<'_> {
    /// A saved candidate's reports, each under its own secondary status: the model
    /// insights (`quality.json`), the explanation (within `explain_budget` and the job's
    /// wall), then `report.html`, which holds both.
    fn write_reports(
        &mut self,
        result: &CandidateResult,
        model: &CandidateModel,
        preds: &Predictions,
        progress: f64,
    ) -> anyhow::Result<()> {
        let name = &result.name;
        self.obs
            .on_status(SecondaryStatus::GeneratingModelInsightsReport, progress);
        let quality =
            candidate_reports::write_quality(self.folder, self.prep, &self.scored, name, preds)?;
        self.obs
            .on_status(SecondaryStatus::GeneratingExplainabilityReport, progress);
        let began = Instant::now();
        // A model-agnostic method's first row may take the most any explanation may, so
        // no report is left without a row when one costs more than the budget.
        let mut first_row = began + EXPLAIN_MAX;
        let mut until = began + explain_budget(self.started.elapsed(), self.explaining);
        if let Some(wall) = self.deadline {
            until = until.min(wall);
            first_row = first_row.min(wall);
        }
        let explained = candidate_reports::write_explainability(
            self.folder,
            self.table,
            self.prep,
            &self.scored,
            name,
            model,
            preds,
            until,
            first_row,
        );
        self.explaining += began.elapsed();
        let explained = explained.context("the explanation")?;
        self.obs
            .on_status(SecondaryStatus::GeneratingModelInsightsReport, progress);
        candidate_reports::write_report_html(
            self.folder,
            self.job,
            result,
            self.prep,
            Some(&quality),
            Some(&explained),
        )
    }
}

impl JobObserver for FolderWriter<'_> {
    fn on_status(&mut self, status: SecondaryStatus, progress: f64) {
        self.status = (status, progress);
        self.obs.on_status(status, progress);
    }

    fn on_training(&mut self, def: &CandidateDefinition, fraction: f64) {
        // The last candidate's model is gone by now (the engine keeps no model).
        freed_memory::release();
        self.obs.on_training(def, fraction);
    }

    fn on_candidate(
        &mut self,
        result: &CandidateResult,
        fitted: Option<(&CandidateModel, &Predictions)>,
    ) {
        // Its training ended now, before its files are written.
        self.ended.insert(result.name.clone(), now());
        if let Some((model, preds)) = fitted {
            if let Err(e) =
                save_candidate(self.folder, self.prep, &self.scored, result, model, preds)
            {
                self.errors.push(format!("saving {}: {e:#}", result.name));
                return;
            }
        }
        // The leaderboard gets the candidate before its reports are made.
        self.obs.on_candidate(result);
        if let Some((model, preds)) = fitted {
            let (status, progress) = self.status;
            // An ensemble names its members, saved before it: read them back to explain it.
            let reported = if model.members.is_empty() {
                self.write_reports(result, model, preds, progress)
            } else {
                CandidateModel::load(&self.folder.model_json(&result.name))
                    .map_err(anyhow::Error::from)
                    .and_then(|m| self.write_reports(result, &m, preds, progress))
            };
            if let Err(e) = reported {
                self.errors
                    .push(format!("reporting on {}: {e:#}", result.name));
            }
            self.obs.on_status(status, progress);
        }
    }

    fn stop_requested(&self) -> bool {
        self.obs.stop_requested()
    }
}

/// The longest one candidate's explanation may take: a stop request waits for the
/// explanation under way.
const EXPLAIN_MAX: std::time::Duration = std::time::Duration::from_secs(20);

/// The time a candidate's explanation may take, so that explanations stay within a fifth
/// of the job's wall time: what is left of that fifth so far (explanations that took less
/// leave more to later ones), at least one second, at most `EXPLAIN_MAX`. The caller also
/// stops at the job's wall.
fn explain_budget(
    elapsed: std::time::Duration,
    explaining: std::time::Duration,
) -> std::time::Duration {
    let other = elapsed.saturating_sub(explaining).as_secs_f64();
    // explaining ≤ 0.2 · (other + explaining)  ⇔  explaining ≤ other / 4
    let left = other / 4.0 - explaining.as_secs_f64();
    std::time::Duration::from_secs_f64(left.clamp(1.0, EXPLAIN_MAX.as_secs_f64()))
}

/// Save one trained candidate: `model.json` (everything `predict` needs), `result.json`
/// (its leaderboard entry, as the engine made it) and `validation_predictions.csv` (the
/// predictions it was scored on).
fn save_candidate(
    folder: &JobFolder,
    prep: &Prepared,
    scored: &candidate_reports::ScoredRows,
    result: &CandidateResult,
    model: &CandidateModel,
    preds: &Predictions,
) -> anyhow::Result<()> {
    let name = &result.name;
    std::fs::create_dir_all(folder.candidate(name))?;
    write_json(&folder.model_json(name), model)?;
    write_json(&folder.result_json(name), result)?;
    validation_file::write(
        &folder.validation_predictions(name),
        prep,
        &scored.rows,
        preds,
    )
}

/// Run a job into `folder`. `started` is when the job began: its runtime limit counts
/// from there, reading and profiling included.
pub fn run(
    folder: &JobFolder,
    meta: &RunMeta,
    inputs: &Inputs,
    spec: &JobSpec,
    start: Start,
    started: Instant,
    obs: &mut dyn RunObserver,
) -> anyhow::Result<JobOutcome> {
    let _release = freed_memory::ReleaseOnDrop;
    obs.on_status(SecondaryStatus::AnalyzingData, 0.0);
    let Loaded {
        table,
        valid_rows,
        training_only,
    } = load(inputs, spec)?;
    let prep = job::prepare(&table, spec, valid_rows.as_deref())?;
    obs.on_prepared(&table, valid_rows.as_ref().map_or(0, Vec::len), &prep);
    std::fs::create_dir_all(folder.root())
        .with_context(|| format!("creating {}", folder.root().display()))?;
    // Written before training, so a job a crash ends can still get its notebooks.
    write_json(&folder.splits_json(), &prep.split)?;
    let data_path = inputs.training.absolute();
    let chosen = match start {
        Start::Fresh => {
            // The exploration is of the training file, as its notebook reads it.
            let explored = training_only.as_ref().unwrap_or(&table);
            let p = profile::profile_table(explored, Some(&spec.target));
            write_json(&folder.profile_json(), &p)?;
            crate::notebooks::write_data_exploration(&folder.notebooks(), &p, &data_path)
                .context("writing the exploration notebook")?;
            None
        }
        Start::Chosen(defs) => Some(defs),
    };
    let training_chosen = chosen.is_some();
    let mut writer = FolderWriter {
        folder,
        job: meta.name,
        table: &table,
        prep: &prep,
        status: (SecondaryStatus::ModelTuning, 0.0),
        deadline: spec.deadline(started),
        started,
        explaining: std::time::Duration::ZERO,
        scored: candidate_reports::ScoredRows::of(&prep),
        ended: BTreeMap::new(),
        obs,
        errors: vec![],
    };
    let outcome = job::run_prepared(
        &table,
        spec,
        &prep,
        chosen,
        spec.deadline(started),
        &mut writer,
    );
    if let Some(e) = writer.errors.first() {
        anyhow::bail!("{e}");
    }
    // After training chosen candidates the file keeps every definition offered.
    if !training_chosen {
        write_json(&folder.definitions_json(), &outcome.definitions)?;
    }
    write_descriptions(folder, meta, spec, &outcome, &writer.ended)?;
    write_candidate_notebook(folder, meta, spec, inputs, &table.raw, &outcome)?;
    if !spec.candidates_only && outcome.best.is_none() {
        anyhow::bail!("{}", no_candidate(&outcome));
    }
    Ok(outcome)
}

/// A job that a crash (or a stop with the server down) ended keeps what it finished:
/// its description, leaderboard and notebooks are written from the candidates it
/// recorded (each with when it was recorded), the split it wrote before training, and
/// the definitions if it got to write them. Nothing is written for a job that ended
/// before its analysis.
pub fn write_interrupted(
    folder: &JobFolder,
    meta: &RunMeta,
    inputs: &Inputs,
    spec: &JobSpec,
    resolved: Resolved,
    recorded: Vec<(CandidateResult, String)>,
    status: SecondaryStatus,
) -> anyhow::Result<()> {
    let ended: BTreeMap<String, String> = recorded
        .iter()
        .map(|(c, t)| (c.name.clone(), t.clone()))
        .collect();
    let mut candidates: Vec<CandidateResult> = recorded.into_iter().map(|(c, _)| c).collect();
    let read_json = |path: PathBuf| -> anyhow::Result<Option<Vec<u8>>> {
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| path.display().to_string()),
        }
    };
    let Some(split) = read_json(folder.splits_json())? else {
        return Ok(());
    };
    let split: Split = serde_json::from_slice(&split).context("splits.json")?;
    let definitions = match read_json(folder.definitions_json())? {
        Some(b) => serde_json::from_slice(&b).context("candidate_definitions.json")?,
        None => vec![],
    };
    job::rank(&mut candidates, resolved.metric);
    let best = candidates
        .first()
        .filter(|c| c.rank_score(resolved.metric).is_finite())
        .map(|c| c.name.clone());
    let outcome = JobOutcome {
        resolved,
        split,
        candidates,
        definitions,
        best,
        secondary_status: status,
        elapsed_seconds: 0.0,
        low_fidelity_trials: 0,
    };
    write_descriptions(folder, meta, spec, &outcome, &ended)?;
    // The notebook reads the data as it was read for training: its format and delimiter.
    let raw = inputs.training.read(&inputs.read)?;
    write_candidate_notebook(folder, meta, spec, inputs, &raw, &outcome)
}

/// The candidate notebook and the files beside it, for `outcome`; `raw` is the training
/// file as it was read (its format and delimiter are the notebook's reading rules).
fn write_candidate_notebook(
    folder: &JobFolder,
    meta: &RunMeta,
    spec: &JobSpec,
    inputs: &Inputs,
    raw: &data::RawTable,
    outcome: &JobOutcome,
) -> anyhow::Result<()> {
    let validation = inputs
        .validation
        .as_ref()
        .map(|v| (v.absolute(), v.name.clone()));
    let source = DataSource::of(
        raw,
        inputs.training.absolute(),
        inputs.training.name.clone(),
        validation,
    );
    crate::candidate_notebook::write_candidate_definition(
        folder, meta.name, spec, &source, outcome,
    )
    .context("writing the candidate notebook")?;
    crate::insights_notebook::write_model_insights(
        folder,
        meta.name,
        &spec.target,
        &source,
        outcome,
    )
    .context("writing the model insights notebook")
}

/// Why a job that trained nothing failed: a job without a candidate is not Completed.
fn no_candidate(outcome: &JobOutcome) -> String {
    let count = |s: CandidateStatus| outcome.candidates.iter().filter(|c| c.status == s).count();
    let first = outcome
        .candidates
        .iter()
        .find_map(|c| c.failure_reason.as_deref())
        .map(|r| format!("; the first: {r}"))
        .unwrap_or_default();
    format!(
        "no candidate finished training ({} stopped by a time limit, {} failed{first}); give the job more time",
        count(CandidateStatus::Stopped),
        count(CandidateStatus::Failed)
    )
}

/// `job.json`, `leaderboard.json` and the `candidates/best` link; `ended` holds when each
/// candidate ended (the job's end stands in for the others).
fn write_descriptions(
    folder: &JobFolder,
    meta: &RunMeta,
    spec: &JobSpec,
    outcome: &JobOutcome,
    ended: &BTreeMap<String, String>,
) -> anyhow::Result<()> {
    let job_ended = now();
    let job_meta = shapes::JobMeta {
        name: meta.name,
        input: meta.input.clone(),
        created: meta.created,
        ended: Some(&job_ended),
        updated: &job_ended,
        candidates_only: spec.candidates_only,
        mode: None,
    };
    write_json(
        &folder.job_json(),
        &shapes::describe_outcome(&job_meta, outcome),
    )?;
    write_json(
        &folder.leaderboard_json(),
        &shapes::leaderboard(outcome, ended, &job_ended),
    )?;
    if let Some(best) = &outcome.best {
        let link = folder.best();
        let _ = std::fs::remove_file(&link);
        let _ = std::fs::remove_dir_all(&link);
        #[cfg(unix)]
        std::os::unix::fs::symlink(best, &link).context("linking candidates/best")?;
        #[cfg(not(unix))]
        copy_dir(&folder.candidate(best), &link)?;
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

#[cfg(test)]
mod explain_budget_tests {
    use super::explain_budget;
    use std::time::Duration;

    #[test]
    fn explanations_keep_within_a_fifth_of_the_wall_time() {
        let s = Duration::from_secs;
        // 100 s into the job, 5 s of it explaining: 95 s of other work allows 23.75 s.
        assert_eq!(explain_budget(s(100), s(5)), Duration::from_secs_f64(18.75));
        assert_eq!(
            explain_budget(s(200), s(5)),
            s(20),
            "at most 20 s at a time"
        );
        // Early on, or once the fifth is spent: a second.
        assert_eq!(explain_budget(s(2), s(0)), s(1));
        assert_eq!(explain_budget(s(100), s(30)), s(1));
    }
}

#[cfg(test)]
mod status_tests;
