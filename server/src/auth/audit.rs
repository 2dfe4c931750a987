//! The audit log: who created, deleted, shared or revoked what, and when.

use glassbox_app::model::AuditInfo;

use crate::error::ApiError;
use crate::service::{now, Service};

impl Service {
    /// Records an action. A failure to record is logged, never fails the action itself
    /// (which has happened by then).
    pub async fn audit(&self, actor: &str, action: &str, object: &str, detail: Option<&str>) {
        let done = sqlx::query(
            "INSERT INTO audit_log (at, actor, action, object, detail) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(now())
        .bind(actor)
        .bind(action)
        .bind(object)
        .bind(detail)
        .execute(&self.db)
        .await;
        if let Err(e) = done {
            tracing::error!(error = %e, actor, action, object, "could not write the audit log");
        }
    }

    /// The newest `limit` entries.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditInfo>, ApiError> {
        let rows: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT at, actor, action, object, detail FROM audit_log ORDER BY id DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, actor, action, object, detail)| AuditInfo {
                at,
                actor,
                action,
                object,
                detail,
            })
            .collect())
    }
}
