//! Pipeline executions, as the Autopilot + Pipelines post builds them: Train (an AutoML
//! job on the training data set) → Evaluate (the best candidate's quality report on a
//! labelled test data set) → Register (a PendingManualApproval version, only when the test
//! objective passes `MinObjectiveValue`; otherwise the execution fails, saying why, and
//! nothing is registered). Each step's status, start and end are recorded.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Actor;
use crate::error::ApiError;
use crate::jobs::CreateJob;
use crate::registry::{check_name, Registration};
use crate::service::{now, Service};

/// The body of `POST /api/pipeline-executions`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PipelineRequest {
    pub pipeline_execution_name: String,
    pub train_dataset_id: String,
    pub test_dataset_id: String,
    pub target_attribute_name: String,
    #[serde(rename = "AutoMLJobConfig")]
    pub automl_job_config: Option<Value>,
    #[serde(rename = "AutoMLJobObjective")]
    pub automl_job_objective: Option<Value>,
    pub model_package_group_name: String,
    pub min_objective_value: Option<f64>,
}

/// A step as recorded.
fn step(name: &str) -> Value {
    json!({"StepName": name, "StepStatus": "NotStarted", "StartTime": null, "EndTime": null,
           "FailureReason": null, "Metadata": {}})
}

/// An execution as stored.
#[derive(sqlx::FromRow)]
pub struct ExecutionRow {
    pub name: String,
    pub status: String,
    pub steps: String,
    pub failure_reason: Option<String>,
    pub created_at: String,
    pub ended_at: Option<String>,
}

impl From<&ExecutionRow> for glassbox_app::model::PipelineInfo {
    fn from(e: &ExecutionRow) -> Self {
        let steps: Vec<Value> = serde_json::from_str(&e.steps).unwrap_or_default();
        let text = |v: &Value| v.as_str().map(str::to_string);
        glassbox_app::model::PipelineInfo {
            name: e.name.clone(),
            status: e.status.clone(),
            failure_reason: e.failure_reason.clone(),
            created_at: e.created_at.clone(),
            ended_at: e.ended_at.clone(),
            steps: steps
                .iter()
                .map(|s| glassbox_app::model::StepInfo {
                    name: text(&s["StepName"]).unwrap_or_default(),
                    status: text(&s["StepStatus"]).unwrap_or_default(),
                    started: text(&s["StartTime"]),
                    ended: text(&s["EndTime"]),
                    failure_reason: text(&s["FailureReason"]),
                    detail: s["Metadata"]
                        .as_object()
                        .map(|m| {
                            m.iter()
                                .map(|(k, v)| {
                                    format!(
                                        "{k}: {}",
                                        v.as_str().map_or_else(|| v.to_string(), str::to_string)
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join(" · ")
                        })
                        .unwrap_or_default(),
                })
                .collect(),
        }
    }
}

impl Service {
    /// Checks the request and starts the execution in the background.
    pub async fn start_pipeline(&self, by: &Actor, req: PipelineRequest) -> Result<(), ApiError> {
        let name = req.pipeline_execution_name.clone();
        check_name("PipelineExecutionName", &name)?;
        self.group_owner(&req.model_package_group_name)
            .await
            .map_err(|e| ApiError::bad_request("ModelPackageGroupName", e.message))?;
        let test = self
            .get_dataset(&req.test_dataset_id)
            .await
            .map_err(|e| ApiError::bad_request("TestDatasetId", e.message))?;
        if !test.column_names.contains(&req.target_attribute_name) {
            return Err(ApiError::bad_request(
                "TestDatasetId",
                format!(
                    "the test data set has no column {:?}",
                    req.target_attribute_name
                ),
            ));
        }
        let mut job = json!({
            "AutoMLJobName": format!("{name}-train"),
            "InputDataConfig": [{"DataSource": {"DatasetId": req.train_dataset_id},
                                 "TargetAttributeName": req.target_attribute_name}],
        });
        if let Some(c) = &req.automl_job_config {
            job["AutoMLJobConfig"] = c.clone();
        }
        if let Some(o) = &req.automl_job_objective {
            job["AutoMLJobObjective"] = o.clone();
        }
        let job: CreateJob = serde_json::from_value(job)
            .map_err(|e| ApiError::bad_request("AutoMLJobConfig", e.to_string()))?;
        let steps = json!([step("Train"), step("Evaluate"), step("Register")]);
        let inserted = sqlx::query(
            "INSERT INTO pipeline_executions (name, request, status, steps, owner, created_at) VALUES (?, ?, 'Executing', ?, ?, ?)",
        )
        .bind(&name)
        .bind(serde_json::to_string(&req).map_err(ApiError::internal)?)
        .bind(steps.to_string())
        .bind(by.owner())
        .bind(now())
        .execute(&self.db)
        .await;
        crate::error::unless_taken(
            inserted,
            axum::http::StatusCode::BAD_REQUEST,
            "PipelineExecutionName",
            &format!("a pipeline execution named {name:?}"),
        )?;
        // The Train step starts now, so a bad job is a 400 here, not a failed step.
        if let Err(e) = self.create_job(job.clone(), by).await {
            sqlx::query("DELETE FROM pipeline_executions WHERE name = ?")
                .bind(&name)
                .execute(&self.db)
                .await?;
            return Err(e);
        }
        self.set_step(
            &name,
            0,
            "Executing",
            None,
            json!({"AutoMLJobName": job.name}),
        )
        .await?;
        let (svc, by) = (self.clone(), by.clone());
        tokio::spawn(async move {
            let outcome = svc.run_pipeline(&by, &req, &job.name).await;
            let (status, reason) = match outcome {
                Ok(()) => ("Succeeded", None),
                Err(reason) => ("Failed", Some(reason)),
            };
            let _ = sqlx::query(
                "UPDATE pipeline_executions SET status = ?, failure_reason = ?, ended_at = ? WHERE name = ?",
            )
            .bind(status)
            .bind(reason)
            .bind(now())
            .bind(&req.pipeline_execution_name)
            .execute(&svc.db)
            .await;
        });
        Ok(())
    }

    /// Records step `i`'s status (its start when it begins, its end when it ends).
    async fn set_step(
        &self,
        name: &str,
        i: usize,
        status: &str,
        reason: Option<&str>,
        metadata: Value,
    ) -> Result<(), ApiError> {
        let e = self.pipeline(name).await?;
        let mut steps: Value = serde_json::from_str(&e.steps).map_err(ApiError::internal)?;
        let s = &mut steps[i];
        let t = now();
        if status == "Executing" {
            s["StartTime"] = json!(t);
        } else {
            s["EndTime"] = json!(t);
        }
        s["StepStatus"] = json!(status);
        s["FailureReason"] = json!(reason);
        if let (Some(m), Value::Object(add)) = (s["Metadata"].as_object_mut(), metadata) {
            m.extend(add);
        }
        sqlx::query("UPDATE pipeline_executions SET steps = ? WHERE name = ?")
            .bind(steps.to_string())
            .bind(name)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    /// Steps 1–3 after the job started; `Err` is why the execution failed (recorded on
    /// the step too).
    async fn run_pipeline(
        &self,
        by: &Actor,
        req: &PipelineRequest,
        job: &str,
    ) -> Result<(), String> {
        let name = &req.pipeline_execution_name;
        let fail = |i: usize, reason: String| async move {
            let _ = self
                .set_step(name, i, "Failed", Some(&reason), json!({}))
                .await;
            Err::<(), String>(reason)
        };
        // Train: until the job ends.
        let info = loop {
            match self.job(job).await {
                Ok(j) if j.is_running() => tokio::time::sleep(Duration::from_millis(500)).await,
                Ok(j) => break j,
                Err(e) => return fail(0, e.message).await,
            }
        };
        let (Some(best), Some(resolved)) = (info.best.as_ref(), info.resolved.as_ref()) else {
            let why = info
                .failure_reason
                .clone()
                .unwrap_or_else(|| format!("the job ended {} without a candidate", info.status));
            return fail(0, why).await;
        };
        let candidate = best.result.name.clone();
        let _ = self
            .set_step(
                name,
                0,
                "Succeeded",
                None,
                json!({"BestCandidate": candidate}),
            )
            .await;
        // Evaluate: the best candidate on the test data set.
        let _ = self.set_step(name, 1, "Executing", None, json!({})).await;
        let model_dir = self.job_folder(job).candidate(&candidate);
        let file = self.dataset_file(&req.test_dataset_id);
        let out = self
            .settings
            .data_dir
            .join("pipelines")
            .join(name)
            .join("evaluation");
        let read = self.settings.read.clone();
        let report = tokio::task::spawn_blocking(move || -> anyhow::Result<Value> {
            crate::predict::evaluate(&model_dir, &file, &out, &read)?;
            Ok(serde_json::from_slice(&std::fs::read(
                out.join("quality.json"),
            )?)?)
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| format!("{e:#}")));
        let report = match report {
            Ok(r) => r,
            Err(e) => return fail(1, e).await,
        };
        let metric = resolved.metric;
        let value = report["metrics"]
            .as_array()
            .and_then(|ms| ms.iter().find(|m| m["MetricName"] == metric.as_str()))
            .and_then(|m| m["Value"].as_f64());
        let Some(value) = value else {
            return fail(1, format!("the test report has no {}", metric.as_str())).await;
        };
        let _ = self
            .set_step(
                name,
                1,
                "Succeeded",
                None,
                json!({"MetricName": metric.as_str(), "Value": value}),
            )
            .await;
        // Register, when the objective passes.
        if let Some(min) = req.min_objective_value {
            let passes = if metric.maximize() {
                value >= min
            } else {
                value <= min
            };
            if !passes {
                let why = format!(
                    "test {} is {value}, {} MinObjectiveValue {min}: nothing was registered",
                    metric.as_str(),
                    if metric.maximize() { "below" } else { "above" }
                );
                return fail(2, why).await;
            }
        }
        let _ = self.set_step(name, 2, "Executing", None, json!({})).await;
        let registered = self
            .register(
                by,
                Registration {
                    group: &req.model_package_group_name,
                    job,
                    candidate: &candidate,
                    approval: None,
                    test_dataset: Some(&req.test_dataset_id),
                    model_metrics: None,
                },
            )
            .await;
        match registered {
            Ok(version) => {
                let _ = self
                    .set_step(
                        name,
                        2,
                        "Succeeded",
                        None,
                        json!({"ModelPackage": format!("{}/{version}", req.model_package_group_name)}),
                    )
                    .await;
                Ok(())
            }
            Err(e) => fail(2, e.message).await,
        }
    }

    pub async fn pipeline(&self, name: &str) -> Result<ExecutionRow, ApiError> {
        let row: Option<ExecutionRow> = sqlx::query_as(
            "SELECT name, status, steps, failure_reason, created_at, ended_at FROM pipeline_executions WHERE name = ?",
        )
        .bind(name)
        .fetch_optional(&self.db)
        .await?;
        row.ok_or_else(|| ApiError::not_found(format!("no pipeline execution named {name:?}")))
    }

    /// Every execution, newest first.
    pub async fn pipelines(&self) -> Result<Vec<ExecutionRow>, ApiError> {
        Ok(sqlx::query_as(
            "SELECT name, status, steps, failure_reason, created_at, ended_at FROM pipeline_executions ORDER BY created_at DESC",
        )
        .fetch_all(&self.db)
        .await?)
    }

    /// After a restart: executions that were running failed (their job was stopped).
    pub async fn recover_pipelines(&self) -> Result<(), ApiError> {
        sqlx::query(
            "UPDATE pipeline_executions SET status = 'Failed', failure_reason = 'the server stopped while it ran', \
             ended_at = ? WHERE status = 'Executing'",
        )
        .bind(now())
        .execute(&self.db)
        .await?;
        Ok(())
    }
}
