//! The data folder's health: checked writable at start, swept of what a crash left
//! behind, and its free space reported (the status page, and uploads that cannot fit).

use std::path::{Path, PathBuf};

use axum::http::StatusCode;
use glassbox_app::model::ServerStatus;

use crate::error::{full_message, ApiError};
use crate::service::{timestamp, Service};

/// Refuse to start on a data folder the server cannot write to, rather than fail on the
/// first upload.
pub fn check_writable(dir: &Path) -> anyhow::Result<()> {
    let probe = dir.join(".write-check");
    std::fs::write(&probe, b"ok")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| {
            anyhow::anyhow!(
                "--data-dir {}: the server cannot write there ({e}); choose a writable folder",
                dir.display()
            )
        })
}

/// Free and total bytes of the file system holding `dir`.
pub fn disk_space(dir: &Path) -> Option<(u64, u64)> {
    let s = fs4::statvfs(dir).ok()?;
    Some((s.available_space(), s.total_space()))
}

/// Below this much free space the pages warn.
pub const LOW_SPACE_BYTES: u64 = 1 << 30;

impl Service {
    /// What the status page shows.
    pub async fn status(&self) -> Result<ServerStatus, ApiError> {
        let count = |sql: &'static str| async move {
            sqlx::query_as::<_, (i64,)>(sql)
                .fetch_one(&self.db)
                .await
                .map(|r| r.0)
        };
        let space = disk_space(&self.settings.data_dir);
        Ok(ServerStatus {
            version: env!("CARGO_PKG_VERSION").to_string(),
            data_dir: self.settings.data_dir.display().to_string(),
            free_bytes: space.map(|s| s.0),
            total_bytes: space.map(|s| s.1),
            low_space: space.is_some_and(|s| s.0 < LOW_SPACE_BYTES),
            datasets: count("SELECT COUNT(*) FROM datasets").await?,
            jobs: count("SELECT COUNT(*) FROM jobs").await?,
            jobs_in_progress: count(
                "SELECT COUNT(*) FROM jobs WHERE status IN ('InProgress', 'Stopping')",
            )
            .await?,
            max_upload_bytes: self.settings.max_upload_bytes,
            max_unpacked_bytes: self.settings.read.max_unpacked_bytes,
            workers: self.settings.workers,
            retain_jobs_days: self.settings.retain_jobs_days,
        })
    }

    /// Refuse at once an upload that announces more bytes than the disk has free.
    pub fn check_room(&self, bytes: u64) -> Result<(), ApiError> {
        match disk_space(&self.settings.data_dir) {
            Some((free, _)) if bytes > free => Err(ApiError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                full_message(&format!("the upload is {bytes} bytes, {free} are free")),
            )),
            _ => Ok(()),
        }
    }

    /// After a crash: an upload that was cut short is marked Failed and its partial file
    /// removed; folders that no data set or job owns are removed. Returns what it did,
    /// one line each (logged at start).
    pub async fn sweep_debris(&self) -> Result<Vec<String>, ApiError> {
        let mut done = Vec::new();
        let cut: Vec<(String, String)> =
            sqlx::query_as("SELECT id, name FROM datasets WHERE status = 'Uploading'")
                .fetch_all(&self.db)
                .await?;
        for (id, name) in cut {
            let _ = tokio::fs::remove_dir_all(self.dataset_dir(&id)).await;
            sqlx::query("UPDATE datasets SET status = 'Failed', size_bytes = 0, failure_reason = ? WHERE id = ?")
                .bind(format!("the server stopped while {name} was being uploaded; nothing of it was kept. Upload it again"))
                .bind(&id)
                .execute(&self.db)
                .await?;
            done.push(format!("upload {id} ({name}) was cut short: marked Failed"));
        }
        let datasets: Vec<(String,)> = sqlx::query_as("SELECT id FROM datasets")
            .fetch_all(&self.db)
            .await?;
        let jobs: Vec<(String,)> = sqlx::query_as("SELECT name FROM jobs")
            .fetch_all(&self.db)
            .await?;
        let data_dir = &self.settings.data_dir;
        for (folder, known) in [("datasets", datasets), ("jobs", jobs)] {
            let Ok(mut entries) = tokio::fs::read_dir(data_dir.join(folder)).await else {
                continue;
            };
            while let Ok(Some(e)) = entries.next_entry().await {
                let name = e.file_name().to_string_lossy().into_owned();
                if known.iter().any(|(k,)| *k == name) {
                    continue;
                }
                let path = e.path();
                let removed = if path.is_dir() {
                    tokio::fs::remove_dir_all(&path).await
                } else {
                    tokio::fs::remove_file(&path).await
                };
                if removed.is_ok() {
                    done.push(format!("removed {folder}/{name}, which nothing refers to"));
                }
            }
        }
        let roots = [data_dir.join("datasets"), data_dir.join("jobs")];
        let half = tokio::task::spawn_blocking(move || {
            let mut found = Vec::new();
            for root in &roots {
                remove_half_written(root, &mut found);
            }
            found
        })
        .await
        .unwrap_or_default();
        for path in half {
            let shown = path.strip_prefix(data_dir).unwrap_or(&path).display();
            done.push(format!(
                "removed {shown}, a file the crash left half-written"
            ));
        }
        Ok(done)
    }
}

/// Remove, under `dir`, every file `write_json` had not finished (it renames a finished one
/// into place); pushes each removed path.
fn remove_half_written(dir: &Path, removed: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => remove_half_written(&path, removed),
            Ok(t) if t.is_file() => {
                let half = path
                    .extension()
                    .is_some_and(|x| x == crate::service::HALF_WRITTEN);
                if half && std::fs::remove_file(&path).is_ok() {
                    removed.push(path);
                }
            }
            _ => {}
        }
    }
}

impl Service {
    /// With `--retain-jobs-days`, delete expired jobs now and every hour.
    pub fn spawn_retention(&self) {
        let Some(days) = self.settings.retain_jobs_days else {
            return;
        };
        let svc = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                tick.tick().await;
                match svc.delete_expired_jobs(days).await {
                    Ok(gone) if !gone.is_empty() => {
                        tracing::info!(days, jobs = ?gone, "deleted jobs past the retention period")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = e.message, "retention check failed"),
                }
            }
        });
    }

    /// Delete the jobs that ended more than `days` days ago, with their files.
    pub async fn delete_expired_jobs(&self, days: u32) -> Result<Vec<String>, ApiError> {
        let cutoff = timestamp(chrono::Utc::now() - chrono::Duration::days(i64::from(days)));
        let names: Vec<(String,)> = sqlx::query_as(
            "SELECT name FROM jobs WHERE ended_at IS NOT NULL AND ended_at < ? \
             AND status IN ('Completed', 'Failed', 'Stopped') ORDER BY ended_at",
        )
        .bind(cutoff)
        .fetch_all(&self.db)
        .await?;
        let mut gone = Vec::new();
        for (name,) in names {
            self.delete_job(&name, "retention").await?;
            gone.push(name);
        }
        Ok(gone)
    }
}
