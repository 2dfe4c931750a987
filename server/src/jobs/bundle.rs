//! A job's notebook files for download, singly or as `notebooks.zip`: the notebooks and
//! the files beside them, each candidate's `model.json`, and the data file, laid out as
//! the job folder is, so the notebooks run offline once unpacked.

use std::io::Write;
use std::path::{Path, PathBuf};

use glassbox_engine::reports::{Explainability, Quality};

use crate::error::ApiError;
use crate::job_run::{JobFolder, NotebookFile};
use crate::service::Service;

/// Files larger than this stay out of `notebooks.zip` (a README says where they are).
const BUNDLE_FILE_LIMIT: u64 = 200 * 1024 * 1024;

type Zip = zip::ZipWriter<std::io::Cursor<Vec<u8>>>;

fn zip_options() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true)
}

/// Add the file at `path` as `name`, or, above the size limit, a README saying where it is.
fn zip_add(zip: &mut Zip, name: &str, path: &Path, whereabouts: &str) -> anyhow::Result<()> {
    let size = std::fs::metadata(path)?.len();
    if size <= BUNDLE_FILE_LIMIT {
        zip.start_file(name, zip_options())?;
        std::io::copy(&mut std::fs::File::open(path)?, zip)?;
    } else {
        let (folder, file) = name.rsplit_once('/').unwrap_or(("", name));
        zip.start_file(format!("{folder}/README.txt"), zip_options())?;
        writeln!(
            zip,
            "{file} ({size} bytes) is too large for this download; {whereabouts}"
        )?;
    }
    Ok(())
}

/// A file of a candidate's folder; a 404 that says why it is missing.
async fn read_candidate_file(
    path: &Path,
    candidate: &str,
    file: &str,
    info: &glassbox_app::model::CandidateInfo,
) -> Result<Vec<u8>, ApiError> {
    match tokio::fs::read(path).await {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ApiError::not_found(format!(
            "candidate {candidate:?} has no {file}: it is {}, or it was trained before the file was written",
            info.result.status.as_str()
        ))),
        Err(e) => Err(ApiError::internal(e)),
    }
}

fn zip_bundle(
    folder: &JobFolder,
    job: &str,
    data: Option<(PathBuf, String)>,
) -> anyhow::Result<Vec<u8>> {
    let mut zip: Zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // The exploration notebook checks its numbers against profile.json, above it.
    if folder.profile_json().exists() {
        zip_add(
            &mut zip,
            &format!("{job}/profile.json"),
            &folder.profile_json(),
            "",
        )?;
    }
    for f in NotebookFile::ALL {
        let path = folder.notebook(f);
        if path.exists() {
            let stored = f.stored_name();
            zip_add(&mut zip, &format!("{job}/notebooks/{stored}"), &path, "")?;
        }
    }
    for c in folder.saved_candidates() {
        let path = folder.model_json(&c);
        if path.exists() {
            zip_add(
                &mut zip,
                &format!("{job}/candidates/{c}/model.json"),
                &path,
                &format!("copy it from the server's data folder (jobs/{job}/candidates/{c}/)."),
            )?;
        }
        // What the model insights notebook recomputes, and what `predict --explain` needs.
        let mut extra = vec![
            (
                "validation_predictions.csv".to_string(),
                folder.validation_predictions(&c),
            ),
            (
                "explain_background.csv".to_string(),
                folder.explain_background(&c),
            ),
        ];
        for f in crate::job_run::REPORT_FILES {
            if let Some(p) = folder.report(&c, f) {
                extra.push((format!("reports/{f}"), p));
            }
        }
        for (name, path) in extra {
            if path.exists() {
                zip_add(
                    &mut zip,
                    &format!("{job}/candidates/{c}/{name}"),
                    &path,
                    &format!("copy it from the server's data folder (jobs/{job}/candidates/{c}/)."),
                )?;
            }
        }
    }
    if let Some((path, name)) = data {
        let safe: String = name
            .chars()
            .map(|c| if matches!(c, '/' | '\\') { '_' } else { c })
            .collect();
        zip_add(
            &mut zip,
            &format!("{job}/data/{safe}"),
            &path,
            "put it here, or set DATA_FILE in the notebooks.",
        )?;
    }
    Ok(zip.finish()?.into_inner())
}

/// One candidate to take away: `candidates/C/model.json` (and, for an ensemble, its
/// members' folders, which it refers to), the helper module and its pinned requirements,
/// and a README that says how to load it in Python or predict with `glassbox`.
fn zip_candidate(
    folder: &JobFolder,
    job: &str,
    candidate: &str,
    members: &[String],
) -> anyhow::Result<Vec<u8>> {
    let mut zip: Zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for c in std::iter::once(candidate).chain(members.iter().map(String::as_str)) {
        zip_add(
            &mut zip,
            &format!("candidates/{c}/model.json"),
            &folder.model_json(c),
            &format!("copy it from the server's data folder (jobs/{job}/candidates/{c}/)."),
        )?;
    }
    for (file, text) in crate::candidate_notebook::PYTHON_MODULES {
        zip.start_file(file.stored_name(), zip_options())?;
        zip.write_all(text.as_bytes())?;
    }
    zip.start_file("requirements.txt", zip_options())?;
    zip.write_all(crate::notebooks::REQUIREMENTS.as_bytes())?;
    zip.start_file("README.txt", zip_options())?;
    write!(
        zip,
        "Candidate {candidate} of the Glassbox job {job}.\n\n\
         In Python (pip install -r requirements.txt):\n\
         \x20   import glassbox_models as gm\n\
         \x20   model = gm.load_candidate(\"candidates/{candidate}\")\n\n\
         With the glassbox binary:\n\
         \x20   glassbox predict --model candidates/{candidate} NEW_DATA.csv --out predictions.csv\n"
    )?;
    Ok(zip.finish()?.into_inner())
}

impl Service {
    /// One candidate's model, with what it needs to be used elsewhere (see
    /// `zip_candidate`). Only a completed candidate has one.
    pub async fn candidate_model(&self, job: &str, candidate: &str) -> Result<Vec<u8>, ApiError> {
        let (info, _) = self.candidate(job, candidate).await?;
        let folder = self.job_folder(job);
        // The name is a recorded candidate's, so the folder is the engine's own.
        if !folder.model_json(candidate).exists() {
            return Err(ApiError::not_found(format!(
                "candidate {candidate:?} has no model: it is {}",
                info.result.status.as_str()
            )));
        }
        let members: Vec<String> = info.result.members.iter().map(|m| m.0.clone()).collect();
        let (job, candidate) = (job.to_string(), candidate.to_string());
        tokio::task::spawn_blocking(move || zip_candidate(&folder, &job, &candidate, &members))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)
    }

    /// A candidate's report file (`quality.json`, `explainability.json`), as written
    /// beside its model.
    pub async fn candidate_report(
        &self,
        job: &str,
        candidate: &str,
        file: &str,
    ) -> Result<Vec<u8>, ApiError> {
        let (info, _) = self.candidate(job, candidate).await?;
        let folder = self.job_folder(job);
        let path = folder.report(candidate, file).ok_or_else(|| {
            ApiError::not_found(format!(
                "{file:?}: the reports are {}",
                crate::job_run::REPORT_FILES.join(", ")
            ))
        })?;
        read_candidate_file(&path, candidate, file, &info).await
    }

    /// A candidate's `validation_predictions.csv`.
    pub async fn candidate_validation_predictions(
        &self,
        job: &str,
        candidate: &str,
    ) -> Result<Vec<u8>, ApiError> {
        let (info, _) = self.candidate(job, candidate).await?;
        let path = self.job_folder(job).validation_predictions(candidate);
        read_candidate_file(&path, candidate, "validation_predictions.csv", &info).await
    }

    /// A candidate's reports, read back for its page (each `None` when it has none).
    pub async fn candidate_reports(
        &self,
        job: &str,
        candidate: &str,
    ) -> (Option<Quality>, Option<Explainability>) {
        (
            self.report_json(job, candidate, "quality.json").await,
            self.report_json(job, candidate, "explainability.json")
                .await,
        )
    }

    async fn report_json<T: serde::de::DeserializeOwned>(
        &self,
        job: &str,
        candidate: &str,
        file: &str,
    ) -> Option<T> {
        let path = self.job_folder(job).report(candidate, file)?;
        let bytes = tokio::fs::read(path).await.ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// A generated notebook file of a job, by its SPEC name (`data-exploration.ipynb`,
    /// `candidate-definition.ipynb`), or one of the files beside them, or
    /// `notebooks.zip`: everything needed to run them offline.
    pub async fn notebook(&self, job: &str, file: &str) -> Result<Vec<u8>, ApiError> {
        self.job_row(job).await?;
        if file == "notebooks.zip" {
            return self.notebook_bundle(job).await;
        }
        let f = NotebookFile::from_public_name(file).ok_or_else(|| {
            ApiError::not_found(format!(
                "{file:?}: use {} or notebooks.zip",
                NotebookFile::ALL
                    .iter()
                    .map(|f| f.public_name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        tokio::fs::read(self.job_folder(job).notebook(f))
            .await
            .map_err(|_| {
                ApiError::not_found(format!(
                    "{file} is not ready: {}",
                    if f == NotebookFile::DataExploration {
                        "the job has not analysed its data yet"
                    } else {
                        "it is written when the job has generated its candidates"
                    }
                ))
            })
    }

    /// A zip of the job folder a notebook needs: `NAME/notebooks/…`, each trained
    /// candidate's `NAME/candidates/C/model.json` (with its validation predictions,
    /// background rows and reports), and the data in `NAME/data/` (when
    /// below 200 MB; otherwise the notebook asks for its path).
    async fn notebook_bundle(&self, job: &str) -> Result<Vec<u8>, ApiError> {
        let folder = self.job_folder(job);
        if !folder.notebook(NotebookFile::CandidateDefinition).exists() {
            return Err(ApiError::not_found(
                "notebooks.zip is not ready: it is made when the job has generated its candidates",
            ));
        }
        let row = self.job_row(job).await?;
        // A deleted data set leaves the job readable: the zip then goes without the data.
        let data = self
            .get_dataset(&row.dataset_id)
            .await
            .ok()
            .map(|ds| (self.dataset_file(&row.dataset_id), ds.name))
            .filter(|(path, _)| path.exists());
        let job = job.to_string();
        tokio::task::spawn_blocking(move || zip_bundle(&folder, &job, data))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)
    }
}
