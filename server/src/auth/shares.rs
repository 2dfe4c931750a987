//! Read-only share links to one job. The link's token (160 random bits) is shown once and
//! stored as its SHA-256; revoking or expiring a link closes it at the next request.

use axum::http::StatusCode;
use glassbox_app::model::ShareInfo;
use serde::Deserialize;

use super::secrets;
use crate::error::ApiError;
use crate::service::{now, timestamp, Service};

/// What a link may open.
#[derive(Debug, Clone)]
pub struct ShareAccess {
    pub job: String,
    /// The notebooks zip, the validation predictions and the model files too.
    pub include_data: bool,
}

/// The body of `POST /api/automl-jobs/{name}/shares`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct NewShare {
    #[serde(default)]
    pub include_data: bool,
    /// Seconds until the link stops working; none: until revoked.
    pub expires_in_seconds: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct ShareRow {
    id: String,
    job_name: String,
    include_data: bool,
    created_by: Option<String>,
    created_at: String,
    expires_at: Option<String>,
    last_access_at: Option<String>,
    revoked_at: Option<String>,
}

/// The longest a link may last when it has an expiry: a year.
const MAX_SECONDS: i64 = 366 * 24 * 3600;

impl Service {
    /// A new link to `job`; returns the link's id and its token (shown once).
    pub async fn create_share(
        &self,
        by: &super::Actor,
        job: &str,
        req: &NewShare,
    ) -> Result<(String, String), ApiError> {
        self.job_owner(job).await?;
        let expires_at = match req.expires_in_seconds {
            None => None,
            Some(s) if (60..=MAX_SECONDS).contains(&s) => Some(timestamp(
                chrono::Utc::now() + chrono::Duration::seconds(s),
            )),
            Some(s) => {
                return Err(ApiError::bad_request(
                    "ExpiresInSeconds",
                    format!("{s} is out of range: a link lasts from 60 s to {MAX_SECONDS} s (a year), or leave it out for a link that lasts until revoked"),
                ))
            }
        };
        let id = format!("sh-{}", secrets::random_token(8));
        let token = secrets::random_token(20);
        sqlx::query(
            "INSERT INTO shares (id, token_hash, job_name, include_data, created_by, created_at, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(secrets::token_hash(&token))
        .bind(job)
        .bind(req.include_data)
        .bind(by.owner())
        .bind(now())
        .bind(&expires_at)
        .execute(&self.db)
        .await?;
        let detail = format!(
            "{}{}",
            if req.include_data {
                "with data"
            } else {
                "without data"
            },
            expires_at
                .map(|e| format!(", until {e}"))
                .unwrap_or_default()
        );
        self.audit(
            &by.audit_name(),
            "shared",
            &format!("job {job}"),
            Some(&detail),
        )
        .await;
        Ok((id, token))
    }

    /// A job's links, newest first.
    pub async fn shares(&self, job: &str) -> Result<Vec<ShareInfo>, ApiError> {
        let rows: Vec<ShareRow> = sqlx::query_as(
            "SELECT s.id, s.job_name, s.include_data, u.name AS created_by, s.created_at, s.expires_at, \
             s.last_access_at, s.revoked_at \
             FROM shares s LEFT JOIN users u ON u.id = s.created_by WHERE s.job_name = ? ORDER BY s.created_at DESC",
        )
        .bind(job)
        .fetch_all(&self.db)
        .await?;
        let t = now();
        Ok(rows
            .into_iter()
            .map(|r| {
                let status = if r.revoked_at.is_some() {
                    "Revoked"
                } else if r.expires_at.as_deref().is_some_and(|e| e <= t.as_str()) {
                    "Expired"
                } else {
                    "Active"
                };
                ShareInfo {
                    share_id: r.id,
                    job: r.job_name,
                    include_data: r.include_data,
                    created_by: r.created_by,
                    creation_time: r.created_at,
                    expiration_time: r.expires_at,
                    last_access_time: r.last_access_at,
                    status: status.into(),
                }
            })
            .collect())
    }

    /// The job a link belongs to (for the access rule on revoking it).
    pub async fn share_job(&self, id: &str) -> Result<String, ApiError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT job_name FROM shares WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.db)
            .await?;
        row.map(|r| r.0)
            .ok_or_else(|| ApiError::not_found(format!("no share link {id:?}")))
    }

    /// Revokes a link; it stops working at once.
    pub async fn revoke_share(&self, by: &super::Actor, id: &str) -> Result<(), ApiError> {
        let job = self.share_job(id).await?;
        let done =
            sqlx::query("UPDATE shares SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
                .bind(now())
                .bind(id)
                .execute(&self.db)
                .await?;
        if done.rows_affected() == 0 {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!("share link {id} is already revoked"),
            ));
        }
        self.audit(
            &by.audit_name(),
            "revoked",
            &format!("share link {id}"),
            Some(&format!("job {job}")),
        )
        .await;
        Ok(())
    }

    /// What a link's token opens, if it is active; its last access is recorded.
    pub async fn open_share(&self, token: &str) -> Result<Option<ShareAccess>, ApiError> {
        if token.len() != 40 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let t = now();
        let row: Option<(String, String, bool)> = sqlx::query_as(
            "SELECT id, job_name, include_data FROM shares WHERE token_hash = ? AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > ?)",
        )
        .bind(secrets::token_hash(token))
        .bind(&t)
        .fetch_optional(&self.db)
        .await?;
        let Some((id, job, include_data)) = row else {
            return Ok(None);
        };
        sqlx::query("UPDATE shares SET last_access_at = ? WHERE id = ?")
            .bind(&t)
            .bind(&id)
            .execute(&self.db)
            .await?;
        Ok(Some(ShareAccess { job, include_data }))
    }
}
