//! The model registry: groups of numbered versions. Registering a candidate freezes its
//! files (with its ensemble members') under `DATA_DIR/registry/{group}/{version}/`; they
//! never change, even when the job is deleted. Each version records its validation
//! metrics, an optional quality report on a labelled test data set, an approval status
//! with who set it, when and why, and its lineage.

use std::io::Read;
use std::path::{Path, PathBuf};

use axum::http::StatusCode;
use glassbox_app::model::{GroupInfo, PackageInfo};
use glassbox_engine::automl::job::CandidateStatus;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::auth::Actor;
use crate::error::ApiError;
use crate::service::{now, Service};

/// The approval states of a version.
pub const APPROVAL: [&str; 3] = ["PendingManualApproval", "Approved", "Rejected"];

#[derive(sqlx::FromRow)]
struct GroupRow {
    name: String,
    description: Option<String>,
    created_at: String,
    created_by: Option<String>,
    versions: i64,
}

/// A registered version as stored (JSON in text columns).
#[derive(sqlx::FromRow)]
struct PackageRow {
    group_name: String,
    version: i64,
    approval: String,
    approval_description: Option<String>,
    approval_by: Option<String>,
    approval_at: Option<String>,
    job_name: String,
    candidate: String,
    lineage: String,
    metrics: String,
    test_report: Option<String>,
    registered_by: String,
    created_at: String,
}

impl From<PackageRow> for PackageInfo {
    fn from(r: PackageRow) -> PackageInfo {
        let metrics: Vec<Value> = serde_json::from_str(&r.metrics).unwrap_or_default();
        PackageInfo {
            group: r.group_name,
            version: r.version,
            approval: r.approval,
            approval_description: r.approval_description,
            approval_by: r.approval_by,
            approval_at: r.approval_at,
            job: r.job_name,
            candidate: r.candidate,
            metrics: metrics
                .iter()
                .filter_map(|m| Some((m["MetricName"].as_str()?.to_string(), m["Value"].as_f64()?)))
                .collect(),
            test_report: r
                .test_report
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok()),
            lineage: serde_json::from_str(&r.lineage).unwrap_or(Value::Null),
            registered_by: r.registered_by,
            created_at: r.created_at,
        }
    }
}

const PACKAGE_COLUMNS: &str =
    "group_name, version, approval, approval_description, approval_by, approval_at, \
     job_name, candidate, lineage, metrics, test_report, registered_by, created_at";

/// What to register.
pub struct Registration<'a> {
    pub group: &'a str,
    pub job: &'a str,
    pub candidate: &'a str,
    pub approval: Option<&'a str>,
    pub test_dataset: Option<&'a str>,
    /// The metrics a SageMaker client registered with it (`ModelMetrics`, kept as given).
    pub model_metrics: Option<&'a Value>,
}

/// SageMaker's pattern for group and endpoint names: letters, digits and single hyphens
/// inside, at most 63 characters. Such a name is safe as a folder name.
pub fn check_name(field: &str, name: &str) -> Result<(), ApiError> {
    let ok = (1..=63).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            field,
            format!("{name:?}: a name has 1 to 63 letters, digits or hyphens, and starts and ends with a letter or digit"),
        ))
    }
}

pub fn check_approval(status: &str) -> Result<(), ApiError> {
    if APPROVAL.contains(&status) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "ModelApprovalStatus",
            format!("{status:?} is not one of {}", APPROVAL.join(", ")),
        ))
    }
}

/// Copies a folder's files (one level of sub-folders, as a candidate's reports).
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// The SHA-256 of a file, read in chunks.
fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

impl Service {
    /// Where version `version` of `group` keeps its files.
    pub fn package_dir(&self, group: &str, version: i64) -> PathBuf {
        self.settings
            .data_dir
            .join("registry")
            .join(group)
            .join(version.to_string())
    }

    /// The frozen model folder of a version.
    pub fn package_model_dir(&self, p: &PackageInfo) -> PathBuf {
        self.package_dir(&p.group, p.version)
            .join("candidates")
            .join(&p.candidate)
    }

    pub async fn create_group(
        &self,
        by: &Actor,
        name: &str,
        description: Option<&str>,
    ) -> Result<(), ApiError> {
        check_name("ModelPackageGroupName", name)?;
        let done = sqlx::query(
            "INSERT INTO model_package_groups (name, description, owner, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(name)
        .bind(description)
        .bind(by.owner())
        .bind(now())
        .execute(&self.db)
        .await;
        crate::error::unless_taken(
            done,
            StatusCode::CONFLICT,
            "ModelPackageGroupName",
            &format!("a model package group named {name:?}"),
        )?;
        self.audit(
            &by.audit_name(),
            "created",
            &format!("model package group {name}"),
            None,
        )
        .await;
        Ok(())
    }

    pub async fn groups(&self) -> Result<Vec<GroupInfo>, ApiError> {
        let rows: Vec<GroupRow> = sqlx::query_as(
            "SELECT g.name, g.description, g.created_at, u.name AS created_by, \
             (SELECT COUNT(*) FROM model_packages p WHERE p.group_name = g.name) AS versions \
             FROM model_package_groups g LEFT JOIN users u ON u.id = g.owner ORDER BY g.name",
        )
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| GroupInfo {
                name: r.name,
                description: r.description,
                created_at: r.created_at,
                created_by: r.created_by,
                versions: r.versions,
            })
            .collect())
    }

    /// Who created a group; 404 when there is none.
    /// One group, with its version count.
    pub async fn group(&self, name: &str) -> Result<GroupInfo, ApiError> {
        self.groups()
            .await?
            .into_iter()
            .find(|g| g.name == name)
            .ok_or_else(|| ApiError::not_found(format!("no model package group {name:?}")))
    }

    pub async fn group_owner(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let row: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT owner FROM model_package_groups WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.db)
                .await?;
        row.map(|r| r.0)
            .ok_or_else(|| ApiError::not_found(format!("no model package group {name:?}")))
    }

    /// Registers a candidate as the group's next version; returns the version.
    pub async fn register(&self, by: &Actor, r: Registration<'_>) -> Result<i64, ApiError> {
        self.group_owner(r.group)
            .await
            .map_err(|e| ApiError::bad_request("ModelPackageGroupName", e.message))?;
        let approval = r.approval.unwrap_or("PendingManualApproval");
        check_approval(approval)?;
        let (info, _) = self
            .candidate(r.job, r.candidate)
            .await
            .map_err(|e| ApiError::bad_request("SourceCandidate", e.message))?;
        if info.result.status != CandidateStatus::Completed {
            return Err(ApiError::bad_request(
                "SourceCandidate",
                format!(
                    "candidate {:?} is {}: only a completed candidate has a model",
                    r.candidate,
                    info.result.status.as_str()
                ),
            ));
        }
        let (spec, dataset_id) = self.job_spec(r.job).await?;
        let test_file = match r.test_dataset {
            Some(id) => {
                let ds = self
                    .get_dataset(id)
                    .await
                    .map_err(|e| ApiError::bad_request("TestDatasetId", e.message))?;
                if !ds.column_names.contains(&spec.target) {
                    return Err(ApiError::bad_request(
                        "TestDatasetId",
                        format!(
                            "the test data set has no column {:?}, the target",
                            spec.target
                        ),
                    ));
                }
                Some(self.dataset_file(id))
            }
            None => None,
        };
        let source = self.job_folder(r.job);
        let dataset_file = self.dataset_file(&dataset_id);
        let sha = tokio::task::spawn_blocking(move || file_sha256(&dataset_file).ok())
            .await
            .map_err(ApiError::internal)?;
        let lineage = json!({
            "DatasetId": dataset_id,
            "DatasetSha256": sha,
            "AutoMLJobName": r.job,
            "CandidateName": r.candidate,
            "Algorithm": info.result.algorithm_name(),
            "Pipeline": info.result.pipeline_name(),
            "Hyperparameters": info.result.hyperparameters,
            "Members": info.result.members,
            "Seed": spec.seed,
            "GlassboxVersion": env!("CARGO_PKG_VERSION"),
            "RegisteredBy": by.audit_name(),
        });
        let metrics: Vec<Value> = info
            .result
            .metrics
            .iter()
            .map(|m| json!({"MetricName": m.metric.as_str(), "Value": m.value}))
            .collect();
        let t = now();
        let inserted: (i64,) = sqlx::query_as(
            "INSERT INTO model_packages (group_name, version, approval, approval_by, approval_at, job_name, candidate, \
             lineage, metrics, registered_by, owner, created_at, model_metrics) \
             VALUES (?1, (SELECT COALESCE(MAX(version), 0) + 1 FROM model_packages WHERE group_name = ?1), \
             ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?4, ?11) RETURNING version",
        )
        .bind(r.group)
        .bind(approval)
        .bind(by.audit_name())
        .bind(&t)
        .bind(r.job)
        .bind(r.candidate)
        .bind(lineage.to_string())
        .bind(Value::from(metrics).to_string())
        .bind(by.audit_name())
        .bind(by.owner())
        .bind(r.model_metrics.map(Value::to_string))
        .fetch_one(&self.db)
        .await?;
        let version = inserted.0;
        // Freeze the files: the candidate's folder and its members', side by side as in
        // the job (an ensemble finds its members at ../NAME).
        let target = self.package_dir(r.group, version).join("candidates");
        let mut names = vec![r.candidate.to_string()];
        names.extend(info.result.members.iter().map(|m| m.0.clone()));
        let (src, dst) = (source.clone(), target.clone());
        let copied = tokio::task::spawn_blocking(move || {
            names
                .iter()
                .try_for_each(|n| copy_dir(&src.candidate(n), &dst.join(n)))
        })
        .await
        .map_err(ApiError::internal)?;
        let evaluated = match (copied, test_file) {
            (Err(e), _) => Err(ApiError::from(e)),
            (Ok(()), None) => Ok(None),
            (Ok(()), Some(file)) => {
                let model_dir = target.join(r.candidate);
                let out = self.package_dir(r.group, version).join("test");
                let read = self.settings.read.clone();
                tokio::task::spawn_blocking(move || {
                    crate::predict::evaluate(&model_dir, &file, &out, &read)
                        .and_then(|_| Ok(std::fs::read_to_string(out.join("quality.json"))?))
                })
                .await
                .map_err(ApiError::internal)?
                .map(Some)
                .map_err(|e| {
                    ApiError::bad_request(
                        "TestDatasetId",
                        format!("evaluating on the test data set: {e:#}"),
                    )
                })
            }
        };
        match evaluated {
            Ok(report) => {
                if let Some(report) = report {
                    sqlx::query("UPDATE model_packages SET test_report = ? WHERE group_name = ? AND version = ?")
                        .bind(report)
                        .bind(r.group)
                        .bind(version)
                        .execute(&self.db)
                        .await?;
                }
            }
            Err(e) => {
                // Nothing half-registered stays behind.
                sqlx::query("DELETE FROM model_packages WHERE group_name = ? AND version = ?")
                    .bind(r.group)
                    .bind(version)
                    .execute(&self.db)
                    .await?;
                let _ = tokio::fs::remove_dir_all(self.package_dir(r.group, version)).await;
                return Err(e);
            }
        }
        self.audit(
            &by.audit_name(),
            "registered",
            &format!("model package {}/{version}", r.group),
            Some(&format!("{} of job {}", r.candidate, r.job)),
        )
        .await;
        Ok(version)
    }

    /// The versions of a group (or of all groups), newest first.
    pub async fn packages(&self, group: Option<&str>) -> Result<Vec<PackageInfo>, ApiError> {
        let sql = format!(
            "SELECT {PACKAGE_COLUMNS} FROM model_packages WHERE ? IS NULL OR group_name = ? \
             ORDER BY group_name, version DESC"
        );
        let rows: Vec<PackageRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(group)
            .bind(group)
            .fetch_all(&self.db)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn package(&self, group: &str, version: i64) -> Result<PackageInfo, ApiError> {
        let sql = format!(
            "SELECT {PACKAGE_COLUMNS} FROM model_packages WHERE group_name = ? AND version = ?"
        );
        let row: Option<PackageRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(group)
            .bind(version)
            .fetch_optional(&self.db)
            .await?;
        row.map(Into::into)
            .ok_or_else(|| ApiError::not_found(format!("no model package {group}/{version}")))
    }

    /// Approves or rejects a version (or sets it back to pending), recording who and why.
    pub async fn set_approval(
        &self,
        by: &Actor,
        group: &str,
        version: i64,
        status: &str,
        description: Option<&str>,
    ) -> Result<(), ApiError> {
        check_approval(status)?;
        self.package(group, version).await?;
        sqlx::query(
            "UPDATE model_packages SET approval = ?, approval_description = ?, approval_by = ?, approval_at = ? \
             WHERE group_name = ? AND version = ?",
        )
        .bind(status)
        .bind(description)
        .bind(by.audit_name())
        .bind(now())
        .bind(group)
        .bind(version)
        .execute(&self.db)
        .await?;
        self.audit(
            &by.audit_name(),
            &format!("set {status} on"),
            &format!("model package {group}/{version}"),
            description,
        )
        .await;
        Ok(())
    }

    pub async fn package_metrics(
        &self,
        group: &str,
        version: i64,
    ) -> Result<Option<serde_json::Value>, ApiError> {
        let row: Option<(Option<String>,)> = sqlx::query_as(
            "SELECT model_metrics FROM model_packages WHERE group_name = ? AND version = ?",
        )
        .bind(group)
        .bind(version)
        .fetch_optional(&self.db)
        .await?;
        Ok(row
            .and_then(|r| r.0)
            .and_then(|s| serde_json::from_str(&s).ok()))
    }
}
