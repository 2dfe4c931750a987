//! The records the SageMaker protocol deploys through, kept beside the endpoints they
//! make: a named **model** (what to serve: a registered version or a candidate) and an
//! **endpoint configuration** (which model, and what share of requests to keep for drift
//! reports). An endpoint made from a configuration remembers its name. **Tags** label any
//! resource by its ARN.

use axum::http::StatusCode;
use glassbox_engine::automl::model::CandidateModel;
use serde_json::Value;

use crate::auth::Actor;
use crate::endpoints::{Source, SourceColumns};
use crate::error::ApiError;
use crate::registry::check_name;
use crate::service::{now, Service};

/// A named model.
pub struct DeployModel {
    pub name: String,
    pub source: Source,
    /// The containers as the request gave them.
    pub containers: Value,
    pub created_at: String,
}

#[derive(sqlx::FromRow)]
struct ModelRow {
    name: String,
    group_name: Option<String>,
    version: Option<i64>,
    job_name: Option<String>,
    candidate: Option<String>,
    containers: String,
    created_at: String,
}

impl ModelRow {
    fn into_model(self) -> Option<DeployModel> {
        let cols: SourceColumns = (self.group_name, self.version, self.job_name, self.candidate);
        Some(DeployModel {
            name: self.name,
            source: Source::from_columns(cols)?,
            containers: serde_json::from_str(&self.containers).unwrap_or(Value::Null),
            created_at: self.created_at,
        })
    }
}

/// An endpoint configuration.
#[derive(sqlx::FromRow)]
pub struct EndpointConfig {
    pub name: String,
    pub model_name: String,
    /// The production variants as given (JSON).
    pub variants: String,
    pub capture_percent: i64,
    /// The data capture configuration as given (JSON).
    pub capture: Option<String>,
    pub created_at: String,
}

/// Captured bytes an endpoint keeps at most (as the REST API's default).
pub const CAPTURE_MAX_BYTES: u64 = 100 << 20;

impl Service {
    /// Names a model; the model itself is checked when an endpoint or transform uses it
    /// (as SageMaker does), but what it names must exist now.
    pub async fn create_deploy_model(
        &self,
        by: &Actor,
        name: &str,
        source: Source,
        containers: &Value,
    ) -> Result<(), ApiError> {
        check_name("ModelName", name)?;
        self.model_dir_of(&source)
            .await
            .map_err(|e| ApiError::bad_request("PrimaryContainer", e.message))?;
        let (group, version, job, cand) = source.columns();
        let inserted = sqlx::query(
            "INSERT INTO deploy_models (name, group_name, version, job_name, candidate, containers, owner, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(name)
        .bind(group)
        .bind(version)
        .bind(job)
        .bind(cand)
        .bind(containers.to_string())
        .bind(by.owner())
        .bind(now())
        .execute(&self.db)
        .await;
        crate::error::unless_taken(
            inserted,
            StatusCode::BAD_REQUEST,
            "ModelName",
            &format!("a model named {name:?}"),
        )?;
        self.audit(&by.audit_name(), "created", &format!("model {name}"), None)
            .await;
        Ok(())
    }

    pub async fn deploy_model(&self, name: &str) -> Result<DeployModel, ApiError> {
        let row: Option<ModelRow> = sqlx::query_as(
            "SELECT name, group_name, version, job_name, candidate, containers, created_at FROM deploy_models WHERE name = ?",
        )
        .bind(name)
        .fetch_optional(&self.db)
        .await?;
        row.and_then(ModelRow::into_model)
            .ok_or_else(|| ApiError::not_found(format!("Could not find model {name:?}")))
    }

    pub async fn deploy_models(&self) -> Result<Vec<DeployModel>, ApiError> {
        let rows: Vec<ModelRow> = sqlx::query_as(
            "SELECT name, group_name, version, job_name, candidate, containers, created_at FROM deploy_models ORDER BY name",
        )
        .fetch_all(&self.db)
        .await?;
        Ok(rows.into_iter().filter_map(ModelRow::into_model).collect())
    }

    pub async fn delete_deploy_model(&self, by: &Actor, name: &str) -> Result<(), ApiError> {
        self.deploy_model(name).await?;
        sqlx::query("DELETE FROM deploy_models WHERE name = ?")
            .bind(name)
            .execute(&self.db)
            .await?;
        self.audit(&by.audit_name(), "deleted", &format!("model {name}"), None)
            .await;
        Ok(())
    }

    pub async fn deploy_model_owner(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let query = "SELECT owner FROM deploy_models WHERE name = ?";
        self.owner_by(query, name, || format!("Could not find model {name:?}"))
            .await
    }

    /// The owner column of the row `query` finds by `name`; `missing` when there is none.
    async fn owner_by(
        &self,
        query: &'static str,
        name: &str,
        missing: impl FnOnce() -> String,
    ) -> Result<Option<i64>, ApiError> {
        let row: Option<(Option<i64>,)> = sqlx::query_as(query)
            .bind(name)
            .fetch_optional(&self.db)
            .await?;
        row.map(|r| r.0)
            .ok_or_else(|| ApiError::not_found(missing()))
    }

    /// Records an endpoint configuration; its model must exist.
    pub async fn create_endpoint_config(
        &self,
        by: &Actor,
        name: &str,
        model_name: &str,
        variants: &Value,
        capture: Option<(u32, &Value)>,
    ) -> Result<(), ApiError> {
        check_name("EndpointConfigName", name)?;
        self.deploy_model(model_name)
            .await
            .map_err(|e| ApiError::bad_request("ProductionVariants[0].ModelName", e.message))?;
        let inserted = sqlx::query(
            "INSERT INTO endpoint_configs (name, model_name, variants, capture_percent, capture, owner, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(name)
        .bind(model_name)
        .bind(variants.to_string())
        .bind(capture.map_or(0, |c| c.0 as i64))
        .bind(capture.map(|c| c.1.to_string()))
        .bind(by.owner())
        .bind(now())
        .execute(&self.db)
        .await;
        crate::error::unless_taken(
            inserted,
            StatusCode::BAD_REQUEST,
            "EndpointConfigName",
            &format!("an endpoint configuration named {name:?}"),
        )?;
        self.audit(
            &by.audit_name(),
            "created",
            &format!("endpoint configuration {name}"),
            None,
        )
        .await;
        Ok(())
    }

    pub async fn endpoint_config(&self, name: &str) -> Result<EndpointConfig, ApiError> {
        let row: Option<EndpointConfig> = sqlx::query_as(
            "SELECT name, model_name, variants, capture_percent, capture, created_at FROM endpoint_configs WHERE name = ?",
        )
        .bind(name)
        .fetch_optional(&self.db)
        .await?;
        row.ok_or_else(|| {
            ApiError::not_found(format!("Could not find endpoint configuration {name:?}"))
        })
    }

    pub async fn delete_endpoint_config(&self, by: &Actor, name: &str) -> Result<(), ApiError> {
        self.endpoint_config(name).await?;
        sqlx::query("DELETE FROM endpoint_configs WHERE name = ?")
            .bind(name)
            .execute(&self.db)
            .await?;
        self.audit(
            &by.audit_name(),
            "deleted",
            &format!("endpoint configuration {name}"),
            None,
        )
        .await;
        Ok(())
    }

    pub async fn endpoint_config_owner(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let query = "SELECT owner FROM endpoint_configs WHERE name = ?";
        self.owner_by(query, name, || {
            format!("Could not find endpoint configuration {name:?}")
        })
        .await
    }

    /// What a configuration serves, and its data capture.
    pub async fn config_source(
        &self,
        config: &str,
    ) -> Result<(Source, Option<(u32, u64)>), ApiError> {
        let c = self
            .endpoint_config(config)
            .await
            .map_err(|e| ApiError::bad_request("EndpointConfigName", e.message))?;
        let model = self
            .deploy_model(&c.model_name)
            .await
            .map_err(|e| ApiError::bad_request("EndpointConfigName", e.message))?;
        let capture = (c.capture_percent > 0)
            .then(|| (c.capture_percent.clamp(0, 100) as u32, CAPTURE_MAX_BYTES));
        Ok((model.source, capture))
    }

    /// Records which configuration an endpoint was made or updated from.
    pub async fn set_endpoint_config(&self, endpoint: &str, config: &str) -> Result<(), ApiError> {
        sqlx::query("UPDATE endpoints SET config_name = ? WHERE name = ?")
            .bind(config)
            .bind(endpoint)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    pub async fn endpoint_config_name(&self, endpoint: &str) -> Result<Option<String>, ApiError> {
        let row: Option<(Option<String>,)> =
            sqlx::query_as("SELECT config_name FROM endpoints WHERE name = ?")
                .bind(endpoint)
                .fetch_optional(&self.db)
                .await?;
        Ok(row.and_then(|r| r.0))
    }

    /// The CSV header line for input rows sent without one, as Autopilot's batch
    /// transform takes them: every training column but the target (the model's own
    /// columns for models saved before those were kept). The model must be deployable.
    pub async fn source_header(&self, source: &Source) -> Result<String, ApiError> {
        let dir = self
            .deployable_dir(source)
            .await
            .map_err(|e| ApiError::bad_request("ModelName", e.message))?;
        let model = tokio::task::spawn_blocking(move || CandidateModel::load(&dir))
            .await
            .map_err(ApiError::internal)?
            .map_err(|e| {
                ApiError::bad_request("ModelName", format!("the model does not load: {e}"))
            })?;
        let mut w = csv::Writer::from_writer(Vec::new());
        let names: Vec<&str> = if model.input_columns.is_empty() {
            model.features.iter().map(|f| f.name.as_str()).collect()
        } else {
            model.input_columns.iter().map(String::as_str).collect()
        };
        w.write_record(names).map_err(ApiError::internal)?;
        let bytes = w.into_inner().map_err(ApiError::internal)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    pub async fn add_tags(&self, arn: &str, tags: &[(String, String)]) -> Result<(), ApiError> {
        for (k, v) in tags {
            sqlx::query(
                "INSERT INTO tags (resource_arn, key, value) VALUES (?, ?, ?) \
                 ON CONFLICT (resource_arn, key) DO UPDATE SET value = excluded.value",
            )
            .bind(arn)
            .bind(k)
            .bind(v)
            .execute(&self.db)
            .await?;
        }
        Ok(())
    }

    pub async fn tags(&self, arn: &str) -> Result<Vec<(String, String)>, ApiError> {
        Ok(
            sqlx::query_as("SELECT key, value FROM tags WHERE resource_arn = ? ORDER BY key")
                .bind(arn)
                .fetch_all(&self.db)
                .await?,
        )
    }

    pub async fn delete_tags(&self, arn: &str, keys: &[String]) -> Result<(), ApiError> {
        for k in keys {
            sqlx::query("DELETE FROM tags WHERE resource_arn = ? AND key = ?")
                .bind(arn)
                .bind(k)
                .execute(&self.db)
                .await?;
        }
        Ok(())
    }
}
