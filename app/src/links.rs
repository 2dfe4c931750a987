//! Where a job's pages and files are: under `/jobs/NAME` (and `/api/automl-jobs/NAME`
//! for files) for the team, under `/share/TOKEN` for a share link. The pages build every
//! link to a job through this, so a shared page never links out of its share.

/// A job's addresses, as its reader reaches them.
#[derive(Debug, Clone)]
pub struct JobLinks {
    pub name: String,
    base: String,
    files: String,
    /// Seen through a share link.
    pub shared: bool,
    /// Files that hold data (the notebooks zip, model files, validation predictions) may
    /// be downloaded.
    pub include_data: bool,
}

impl JobLinks {
    /// A job as the team sees it.
    pub fn team(name: &str) -> JobLinks {
        JobLinks {
            name: name.to_string(),
            base: format!("/jobs/{name}"),
            files: format!("/api/automl-jobs/{name}"),
            shared: false,
            include_data: true,
        }
    }

    /// A job through share link `token`.
    pub fn shared(name: &str, token: &str, include_data: bool) -> JobLinks {
        JobLinks {
            name: name.to_string(),
            base: format!("/share/{token}"),
            files: format!("/share/{token}/files"),
            shared: true,
            include_data,
        }
    }

    pub fn job(&self) -> String {
        self.base.clone()
    }
    pub fn live(&self) -> String {
        format!("{}/live", self.base)
    }
    pub fn compare(&self) -> String {
        format!("{}/compare", self.base)
    }
    pub fn candidate(&self, candidate: &str) -> String {
        format!("{}/candidates/{candidate}", self.base)
    }
    pub fn notebook_view(&self, kind: &str) -> String {
        format!("{}/notebooks/{kind}", self.base)
    }
    /// A notebook or a file beside it; `None` for the zip (which holds the data) when
    /// the reader may not have the data.
    pub fn notebook_file(&self, file: &str) -> Option<String> {
        (self.include_data || !holds_data(file)).then(|| format!("{}/notebooks/{file}", self.files))
    }
    /// A candidate's report: quality.json, explainability.json or report.html.
    pub fn report(&self, candidate: &str, file: &str) -> String {
        format!("{}/candidates/{candidate}/reports/{file}", self.files)
    }
    /// The model files (a kNN model holds its training rows: data).
    pub fn model_zip(&self, candidate: &str) -> Option<String> {
        self.include_data
            .then(|| format!("{}/candidates/{candidate}/model.zip", self.files))
    }
    /// The validation rows with their actual values: data.
    pub fn validation_predictions(&self, candidate: &str) -> Option<String> {
        self.include_data.then(|| {
            format!(
                "{}/candidates/{candidate}/validation-predictions.csv",
                self.files
            )
        })
    }
}

/// Files among a job's notebooks that hold the data.
pub fn holds_data(file: &str) -> bool {
    file == "notebooks.zip"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_links_stay_inside_the_share() {
        let l = JobLinks::shared("j", "abc", false);
        assert_eq!(l.candidate("c1"), "/share/abc/candidates/c1");
        assert_eq!(
            l.report("c1", "report.html"),
            "/share/abc/files/candidates/c1/reports/report.html"
        );
        assert_eq!(l.notebook_file("notebooks.zip"), None);
        assert_eq!(l.model_zip("c1"), None);
        assert!(l.notebook_file("data-exploration.ipynb").is_some());
        let t = JobLinks::team("j");
        assert_eq!(
            t.model_zip("c").as_deref(),
            Some("/api/automl-jobs/j/candidates/c/model.zip")
        );
    }
}
