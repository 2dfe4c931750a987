//! `JobFolder`: the one definition of where a job's artefacts live. A CLI run's `--out`
//! folder and a server job's `jobs/{name}/` folder have this same layout (SPEC, "Output
//! folder of run"):
//!
//! ```text
//! job.json                      DescribeAutoMLJob-shaped description
//! leaderboard.json              {"Candidates": [...]} best first
//! profile.json                  the exploration of the training data
//! splits.json                   the exact validation rows
//! candidate_definitions.json    every definition generated
//! candidates/NAME/model.json    everything predict needs
//! candidates/NAME/result.json   the engine's result for NAME
//! candidates/best               a link to the best candidate
//! notebooks/…                   see NotebookFile
//! ```

use std::path::{Path, PathBuf};

/// The files of a job's `notebooks/` folder: their names on disk and in URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotebookFile {
    DataExploration,
    CandidateDefinition,
    ModelInsights,
    Requirements,
    Helpers,
    Models,
    Splits,
}

impl NotebookFile {
    pub const ALL: [NotebookFile; 7] = [
        NotebookFile::DataExploration,
        NotebookFile::CandidateDefinition,
        NotebookFile::ModelInsights,
        NotebookFile::Requirements,
        NotebookFile::Helpers,
        NotebookFile::Models,
        NotebookFile::Splits,
    ];

    /// The name on disk (and in `notebooks.zip`).
    pub fn stored_name(self) -> &'static str {
        match self {
            NotebookFile::DataExploration => "data_exploration.ipynb",
            NotebookFile::CandidateDefinition => "candidate_definition.ipynb",
            NotebookFile::ModelInsights => "model_insights.ipynb",
            NotebookFile::Requirements => "requirements.txt",
            NotebookFile::Helpers => "glassbox_helpers.py",
            NotebookFile::Models => "glassbox_models.py",
            NotebookFile::Splits => "splits.json",
        }
    }

    /// The name in the REST API's download URLs (SPEC).
    pub fn public_name(self) -> &'static str {
        match self {
            NotebookFile::DataExploration => "data-exploration.ipynb",
            NotebookFile::CandidateDefinition => "candidate-definition.ipynb",
            NotebookFile::ModelInsights => "model-insights.ipynb",
            other => other.stored_name(),
        }
    }

    pub fn from_public_name(name: &str) -> Option<NotebookFile> {
        NotebookFile::ALL
            .into_iter()
            .find(|f| f.public_name() == name)
    }
}

/// The report files a candidate may have.
pub const REPORT_FILES: [&str; 3] = ["quality.json", "explainability.json", "report.html"];

/// A job's folder. Candidate names come from the engine (`cand-001-gbdt-dpp0`), never
/// from a user.
#[derive(Debug, Clone)]
pub struct JobFolder {
    root: PathBuf,
}

impl JobFolder {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        JobFolder { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn job_json(&self) -> PathBuf {
        self.root.join("job.json")
    }

    pub fn leaderboard_json(&self) -> PathBuf {
        self.root.join("leaderboard.json")
    }

    pub fn profile_json(&self) -> PathBuf {
        self.root.join("profile.json")
    }

    pub fn splits_json(&self) -> PathBuf {
        self.root.join("splits.json")
    }

    pub fn definitions_json(&self) -> PathBuf {
        self.root.join("candidate_definitions.json")
    }

    pub fn notebooks(&self) -> PathBuf {
        self.root.join("notebooks")
    }

    pub fn notebook(&self, file: NotebookFile) -> PathBuf {
        self.notebooks().join(file.stored_name())
    }

    pub fn candidates(&self) -> PathBuf {
        self.root.join("candidates")
    }

    pub fn candidate(&self, name: &str) -> PathBuf {
        self.candidates().join(name)
    }

    pub fn model_json(&self, candidate: &str) -> PathBuf {
        self.candidate(candidate).join("model.json")
    }

    pub fn result_json(&self, candidate: &str) -> PathBuf {
        self.candidate(candidate).join("result.json")
    }

    pub fn validation_predictions(&self, candidate: &str) -> PathBuf {
        self.candidate(candidate).join("validation_predictions.csv")
    }

    /// The training rows a candidate's SHAP values are measured against, as read.
    pub fn explain_background(&self, candidate: &str) -> PathBuf {
        self.candidate(candidate).join("explain_background.csv")
    }

    /// A candidate's reports (`quality.json`, …): `candidates/NAME/reports/`.
    pub fn reports(&self, candidate: &str) -> PathBuf {
        self.candidate(candidate).join("reports")
    }

    /// A report by its file name, when it is one Glassbox writes.
    pub fn report(&self, candidate: &str, file: &str) -> Option<PathBuf> {
        REPORT_FILES
            .contains(&file)
            .then(|| self.reports(candidate).join(file))
    }

    /// `candidates/best`: a link to the best candidate's folder (a copy off Unix).
    pub fn best(&self) -> PathBuf {
        self.candidates().join("best")
    }

    /// The names of the candidates saved here, sorted (not `best`).
    pub fn saved_candidates(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.candidates())
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name() != "best")
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notebook_names_round_trip() {
        for f in NotebookFile::ALL {
            assert_eq!(NotebookFile::from_public_name(f.public_name()), Some(f));
        }
        assert_eq!(NotebookFile::from_public_name("../etc/passwd"), None);
        let folder = JobFolder::new("/data/jobs/j");
        assert_eq!(
            folder.notebook(NotebookFile::DataExploration),
            PathBuf::from("/data/jobs/j/notebooks/data_exploration.ipynb")
        );
        assert_eq!(
            folder.model_json("cand-001-gbdt-dpp0"),
            PathBuf::from("/data/jobs/j/candidates/cand-001-gbdt-dpp0/model.json")
        );
    }
}
