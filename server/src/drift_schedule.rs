//! Scheduled drift reports (as Model Monitor's monitoring schedules): an endpoint with a
//! schedule has its drift report (`monitor.rs`) computed every N seconds by one
//! background task, and the newest reports kept, so the drift page shows how drift grew.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use glassbox_app::model::DriftRun;

use crate::auth::Actor;
use crate::error::ApiError;
use crate::service::{now, Service};

/// The shortest and longest intervals a schedule may have.
pub const EVERY_SECONDS: std::ops::RangeInclusive<i64> = 5..=7 * 24 * 3600;
/// Reports kept per endpoint.
const KEPT: i64 = 100;

impl Service {
    /// Sets (or, with `None`, removes) an endpoint's drift schedule.
    pub async fn set_drift_schedule(
        &self,
        by: &Actor,
        name: &str,
        every: Option<i64>,
    ) -> Result<(), ApiError> {
        self.endpoint(name).await?;
        if let Some(n) = every {
            if !EVERY_SECONDS.contains(&n) {
                return Err(ApiError::bad_request(
                    "EverySeconds",
                    format!(
                        "{n}: a schedule runs every {} to {} seconds",
                        EVERY_SECONDS.start(),
                        EVERY_SECONDS.end()
                    ),
                ));
            }
        }
        sqlx::query("UPDATE endpoints SET drift_every_seconds = ? WHERE name = ?")
            .bind(every)
            .bind(name)
            .execute(&self.db)
            .await?;
        let what = match every {
            Some(n) => format!("drift schedule of endpoint {name} (every {n} s)"),
            None => format!("drift schedule of endpoint {name} (off)"),
        };
        self.audit(&by.audit_name(), "set", &what, None).await;
        Ok(())
    }

    pub async fn drift_schedule(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let row: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT drift_every_seconds FROM endpoints WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.db)
                .await?;
        row.map(|r| r.0)
            .ok_or_else(|| ApiError::not_found(format!("no endpoint named {name:?}")))
    }

    /// The scheduled reports of an endpoint, newest first.
    pub async fn drift_history(&self, name: &str) -> Result<Vec<DriftRun>, ApiError> {
        self.endpoint(name).await?;
        let rows: Vec<(String, String, i64, String)> = sqlx::query_as(
            "SELECT created_at, severity, rows, report FROM drift_reports WHERE endpoint = ? \
             ORDER BY created_at DESC",
        )
        .bind(name)
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(created_at, severity, rows, report)| DriftRun {
                created_at,
                severity,
                rows: rows.max(0) as usize,
                report: serde_json::from_str(&report).ok(),
            })
            .collect())
    }

    /// Computes and keeps one report for an endpoint now.
    async fn scheduled_report(&self, name: &str) -> Result<(), ApiError> {
        let r = self.drift(name).await?;
        sqlx::query(
            "INSERT INTO drift_reports (endpoint, created_at, severity, rows, report) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(name)
        .bind(now())
        .bind(&r.severity)
        .bind(r.current_rows as i64)
        .bind(serde_json::to_string(&r).map_err(ApiError::internal)?)
        .execute(&self.db)
        .await?;
        sqlx::query(
            "DELETE FROM drift_reports WHERE endpoint = ? AND created_at NOT IN \
             (SELECT created_at FROM drift_reports WHERE endpoint = ? ORDER BY created_at DESC LIMIT ?)",
        )
        .bind(name)
        .bind(name)
        .bind(KEPT)
        .execute(&self.db)
        .await?;
        Ok(())
    }

    /// The background task: every second, the endpoints whose schedule is due get a
    /// report. One that cannot be made (nothing captured yet) is tried again at its next
    /// due time, not every second.
    pub fn spawn_drift_schedules(&self) {
        let svc = self.clone();
        tokio::spawn(async move {
            let mut last: HashMap<String, Instant> = HashMap::new();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                let due: Vec<(String, i64)> = match sqlx::query_as(
                    "SELECT name, drift_every_seconds FROM endpoints WHERE drift_every_seconds IS NOT NULL",
                )
                .fetch_all(&svc.db)
                .await
                {
                    Ok(rows) => rows,
                    Err(e) => {
                        tracing::error!(error = %e, "reading drift schedules failed");
                        continue;
                    }
                };
                last.retain(|n, _| due.iter().any(|(d, _)| d == n));
                for (name, every) in due {
                    let every = Duration::from_secs(every.max(1) as u64);
                    if last.get(&name).is_some_and(|t| t.elapsed() < every) {
                        continue;
                    }
                    last.insert(name.clone(), Instant::now());
                    if let Err(e) = svc.scheduled_report(&name).await {
                        tracing::info!(endpoint = %name, reason = %e.message, "no scheduled drift report");
                    }
                }
            }
        });
    }
}
