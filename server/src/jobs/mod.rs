//! AutoML jobs in the server. `wire`: the REST request bodies. `validate`: a request →
//! `JobSpec`, purely. `store`: jobs and candidates in SQLite. `worker`: running jobs
//! (through `job_run`, as the CLI does), stop, review. `bundle`: notebook downloads.
//! The REST handlers and the pages both call the `Service` methods defined here.

mod bias;
mod bundle;
mod store;
mod validate;
mod wire;
mod worker;

pub use validate::to_spec;
pub use wire::{
    parse_body, AlgorithmsConfig, BiasQuery, CandidateQuery, Channel, Completion, CreateJob,
    DataSource, FeatureSpecification, Generation, JobConfig, Objective, SplitConfig, TrainRequest,
};

use glassbox_app::model::DatasetInfo;
use glassbox_engine::automl::job::JobSpec;

use crate::auth::Actor;
use crate::error::ApiError;
use crate::job_run::{self, Start};
use crate::objects::DataType;
use crate::service::Service;
use crate::shapes;
use worker::JobData;

impl Service {
    /// Whether the job `req` asks for will likely fit one candidate in its budget, measured
    /// before it starts (`job_run::budget_warning`); the request is validated as
    /// `create_job` validates it. A probe that cannot run says nothing: the job itself
    /// will report what is wrong with its data.
    pub async fn budget_warning(&self, req: &CreateJob) -> Result<Option<String>, ApiError> {
        let (spec, datasets) = self.checked_request(req).await?;
        let inputs = job_run::Inputs {
            training: job_run::DataFile {
                path: self.dataset_file(&datasets[0].dataset_id),
                name: datasets[0].name.clone(),
            },
            validation: None,
            read: self.settings.read.clone(),
        };
        let probe = tokio::task::spawn_blocking(move || job_run::budget_warning(&inputs, &spec))
            .await
            .map_err(ApiError::internal)?;
        Ok(probe.unwrap_or_else(|e| {
            tracing::warn!(error = %format!("{e:#}"), "the budget probe could not run");
            None
        }))
    }

    /// The request's data sets and engine spec, or why they are not usable.
    async fn checked_request(
        &self,
        req: &CreateJob,
    ) -> Result<(JobSpec, Vec<DatasetInfo>), ApiError> {
        let ch = validate::channels(req)?;
        let mut datasets = Vec::new();
        for (i, c) in std::iter::once(ch.training).chain(ch.validation) {
            let field = format!("InputDataConfig[{i}].DataSource.DatasetId");
            let id = c.data_source.dataset_id.as_deref().ok_or_else(|| {
                ApiError::bad_request(
                    &field,
                    "give DataSource.DatasetId or DataSource.S3DataSource",
                )
            })?;
            let ds = self.get_dataset(id).await.map_err(|_| {
                ApiError::bad_request(&field, format!("no data set with id {id:?}"))
            })?;
            if ds.dataset_status == "Failed" {
                return Err(ApiError::bad_request(
                    &field,
                    format!(
                        "data set {:?} could not be read: {}",
                        ds.name,
                        ds.failure_reason.clone().unwrap_or_default()
                    ),
                ));
            }
            if !ds.column_names.contains(&c.target) {
                return Err(ApiError::bad_request(
                    &format!("InputDataConfig[{i}].TargetAttributeName"),
                    format!("data set {:?} has no column named {:?}", ds.name, c.target),
                ));
            }
            datasets.push(ds);
        }
        let spec = to_spec(req, &datasets[0].column_names)?;
        Ok((spec, datasets))
    }

    /// Check a CreateAutoMLJob body, then start the job. Every problem is a 400 naming
    /// the request's field.
    pub async fn create_job(&self, mut req: CreateJob, by: &Actor) -> Result<String, ApiError> {
        if self.job_name_taken(&req.name).await? {
            return Err(ApiError::taken(
                "AutoMLJobName",
                format!("a job named {:?} already exists", req.name),
            ));
        }
        if let Some(uri) = req.output_uri() {
            self.check_output_uri(worker::OUTPUT_FIELD, uri)?;
        }
        self.import_channels(&mut req, by).await?;
        let (spec, datasets) = self.checked_request(&req).await?;
        self.insert_job(&req, &spec, &datasets[0].dataset_id, by.owner())
            .await?;
        self.audit(
            &by.audit_name(),
            "created",
            &format!("job {}", req.name),
            None,
        )
        .await;
        let data = JobData::of(datasets[0].dataset_id.clone(), &req);
        self.spawn_job(req.name.clone(), spec, data, Start::Fresh);
        Ok(shapes::arn(&req.name))
    }

    /// Channels named by URI become data sets (each is copied once, when the job is
    /// created), so that the rest of a job sees only data sets. Every channel is checked
    /// before any data is copied.
    async fn import_channels(&self, req: &mut CreateJob, by: &Actor) -> Result<(), ApiError> {
        let mut kinds = Vec::new();
        for (i, ch) in req.input.iter().enumerate() {
            let Some(s3) = &ch.data_source.s3 else {
                continue;
            };
            let base = format!("InputDataConfig[{i}].DataSource");
            if ch.data_source.dataset_id.is_some() {
                return Err(ApiError::bad_request(
                    &base,
                    "give DatasetId or S3DataSource, not both",
                ));
            }
            let field = format!("{base}.S3DataSource.S3DataType");
            kinds.push((i, DataType::parse(&field, s3.data_type.as_deref())?));
        }
        for (i, kind) in kinds {
            let ch = &mut req.input[i];
            let Some(s3) = ch.data_source.s3.take() else {
                continue;
            };
            let ds = self
                .import_uri(
                    by,
                    &format!("InputDataConfig[{i}].DataSource.S3DataSource.S3Uri"),
                    &s3.uri,
                    kind,
                    Some(ch.target.clone()),
                    None,
                )
                .await?;
            ch.data_source.dataset_id = Some(ds.dataset_id);
        }
        Ok(())
    }
}
