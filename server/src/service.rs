//! The service layer: what the CLI, the REST API and the pages all call. Handlers only
//! translate between HTTP (or argv) and these functions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::StatusCode;
use futures_util::{Stream, StreamExt};
use glassbox_app::model::DatasetInfo;
use glassbox_engine::data::{self, RawTable, ReadOptions, Table, TypeOverrides};
use glassbox_engine::profile::{self, Profile, ProfileOptions};
use sqlx::sqlite::SqlitePool;
use tokio::io::AsyncWriteExt;
use tokio::sync::Semaphore;

use crate::error::ApiError;

/// Settings of a running server.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub max_upload_bytes: u64,
    pub read: ReadOptions,
    /// How many AutoML jobs train at once.
    pub workers: usize,
    /// Jobs that ended more than this many days ago are deleted (never, when `None`).
    pub retain_jobs_days: Option<u32>,
    /// The host names this server answers to.
    pub hosts: crate::auth::HostRules,
    /// Listening on a network address (not loopback only): local mode is never open.
    pub exposed: bool,
    /// How `s3://` and `file://` URIs are reached.
    pub objects: crate::objects::ObjectSettings,
}

impl Settings {
    /// For the account commands of the CLI, which use only the data folder and database.
    pub fn offline(data_dir: PathBuf) -> Settings {
        Settings {
            data_dir,
            max_upload_bytes: 0,
            read: ReadOptions::default(),
            workers: 1,
            retain_jobs_days: None,
            hosts: crate::auth::HostRules::new(([127, 0, 0, 1], 0).into(), &[])
                .expect("loopback rules"),
            exposed: false,
            objects: Default::default(),
        }
    }
}

#[derive(Clone)]
pub struct Service {
    pub db: SqlitePool,
    pub settings: Arc<Settings>,
    /// Profiling is CPU-bound; at most one runs at a time so pages stay responsive.
    profiling: Arc<Semaphore>,
    /// One permit per job allowed to train at once.
    pub workers: Arc<Semaphore>,
    /// Stop flags of the jobs in progress.
    pub stops: Arc<Mutex<HashMap<String, Arc<AtomicBool>>>>,
    /// Failed sign-ins, by account and by address.
    pub limiter: Arc<crate::auth::LoginLimiter>,
    /// The endpoints' models in service.
    pub live: crate::endpoints::LiveModels,
    /// What the endpoints have answered.
    pub stats: crate::endpoint_stats::Stats,
    /// Set once an account has been seen: team mode never ends (the last admin cannot be
    /// removed), so requests stop asking the database once it has begun.
    pub team_seen: Arc<AtomicBool>,
    /// When local mode was last confirmed by the database (see `team_mode`).
    pub local_checked: Arc<Mutex<Option<std::time::Instant>>>,
}

const STORED_FILE: &str = "upload";
const PROFILE_FILE: &str = "profile.json";

#[derive(sqlx::FromRow)]
struct DatasetRow {
    id: String,
    name: String,
    size_bytes: i64,
    rows: Option<i64>,
    columns: Option<i64>,
    column_names: Option<String>,
    status: String,
    failure_reason: Option<String>,
    target: Option<String>,
    created_at: String,
    profiled_at: Option<String>,
    owner: Option<i64>,
    /// The owner's account name (joined from `users`).
    #[sqlx(default)]
    created_by: Option<String>,
}

/// A query for data sets with their owner's name: `dataset_select!("WHERE …")`.
macro_rules! dataset_select {
    ($rest:literal) => {
        concat!(
            "SELECT d.*, u.name AS created_by FROM datasets d LEFT JOIN users u ON u.id = d.owner ",
            $rest
        )
    };
}

impl From<DatasetRow> for DatasetInfo {
    fn from(r: DatasetRow) -> Self {
        DatasetInfo {
            dataset_id: r.id,
            name: r.name,
            rows: r.rows,
            columns: r.columns,
            size_bytes: r.size_bytes,
            creation_time: r.created_at,
            dataset_status: r.status,
            failure_reason: r.failure_reason,
            target_attribute_name: r.target,
            profiled_time: r.profiled_at,
            column_names: r
                .column_names
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or_default(),
            jobs: vec![],
            owner: r.owner,
            created_by: r.created_by,
        }
    }
}

/// A moment as every stored and shown time is written: RFC 3339 in UTC, to the
/// millisecond (so that times compare as text).
pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub fn now() -> String {
    timestamp(chrono::Utc::now())
}

/// A name safe to show and to hand to the reader for format hints: the last path
/// component, control characters removed. It never becomes a path on disk.
pub fn display_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if clean.trim().is_empty() || clean.trim().chars().all(|c| c == '.') {
        "upload.csv".to_string()
    } else {
        clean
    }
}

/// Data set ids are generated here, never taken from the user; this check keeps any id
/// that reaches the file system to this shape.
fn valid_id(id: &str) -> bool {
    id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Service {
    pub fn new(db: SqlitePool, settings: Settings) -> Self {
        Service {
            db,
            workers: Arc::new(Semaphore::new(settings.workers.max(1))),
            settings: Arc::new(settings),
            profiling: Arc::new(Semaphore::new(1)),
            stops: Arc::new(Mutex::new(HashMap::new())),
            limiter: Arc::new(crate::auth::LoginLimiter::default()),
            live: Default::default(),
            stats: Default::default(),
            team_seen: Default::default(),
            local_checked: Default::default(),
        }
    }

    pub(crate) fn dataset_dir(&self, id: &str) -> PathBuf {
        self.settings.data_dir.join("datasets").join(id)
    }

    /// The stored upload of a data set.
    pub fn dataset_file(&self, id: &str) -> PathBuf {
        self.dataset_dir(id).join(STORED_FILE)
    }

    pub async fn list_datasets(&self) -> Result<Vec<DatasetInfo>, ApiError> {
        let rows: Vec<DatasetRow> =
            sqlx::query_as(dataset_select!("ORDER BY d.created_at DESC, d.id"))
                .fetch_all(&self.db)
                .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// A data set, with the names of the jobs that read it.
    pub async fn get_dataset(&self, id: &str) -> Result<DatasetInfo, ApiError> {
        let row: Option<DatasetRow> = sqlx::query_as(dataset_select!("WHERE d.id = ?"))
            .bind(id)
            .fetch_optional(&self.db)
            .await?;
        let mut ds: DatasetInfo = row
            .map(Into::into)
            .ok_or_else(|| ApiError::not_found(format!("no data set with id {id:?}")))?;
        ds.jobs = self.jobs_reading(id).await?;
        Ok(ds)
    }

    /// Who created a data set (`None`: made in local mode); 404 when there is none.
    pub async fn dataset_owner(&self, id: &str) -> Result<Option<i64>, ApiError> {
        let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT owner FROM datasets WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.db)
            .await?;
        row.map(|r| r.0)
            .ok_or_else(|| ApiError::not_found(format!("no data set with id {id:?}")))
    }

    /// The jobs that train on a data set (as their training or validation channel),
    /// newest first.
    async fn jobs_reading(&self, id: &str) -> Result<Vec<String>, ApiError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT name FROM jobs WHERE dataset_id = ?1 OR EXISTS (SELECT 1 FROM \
             json_each(jobs.request, '$.InputDataConfig') AS c \
             WHERE json_extract(c.value, '$.DataSource.DatasetId') = ?1) \
             ORDER BY created_at DESC",
        )
        .bind(id)
        .fetch_all(&self.db)
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Delete a data set and its files; the names of the jobs that read it. Those jobs
    /// keep their results, models and notebooks, without the data.
    pub async fn delete_dataset(
        &self,
        id: &str,
        by: &crate::auth::Actor,
    ) -> Result<Vec<String>, ApiError> {
        let ds = self.get_dataset(id).await?;
        let (running,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM jobs WHERE status IN ('InProgress', 'Stopping') \
             AND name IN (SELECT value FROM json_each(?))",
        )
        .bind(serde_json::to_string(&ds.jobs).map_err(ApiError::internal)?)
        .fetch_one(&self.db)
        .await?;
        if running > 0 {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "a job is training on this data set; stop it first",
            ));
        }
        sqlx::query("DELETE FROM datasets WHERE id = ?")
            .bind(id)
            .execute(&self.db)
            .await?;
        if valid_id(id) {
            let dir = self.dataset_dir(id);
            if dir.exists() {
                tokio::fs::remove_dir_all(dir).await?;
            }
        }
        self.audit(
            &by.audit_name(),
            "deleted",
            &format!("data set {id}"),
            Some(&ds.name),
        )
        .await;
        Ok(ds.jobs)
    }

    /// The stored profile, once profiling has finished.
    pub async fn dataset_profile(&self, id: &str) -> Result<Profile, ApiError> {
        let ds = self.get_dataset(id).await?;
        match ds.dataset_status.as_str() {
            "Ready" => {}
            "Failed" => {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    format!(
                        "the data set could not be read: {}",
                        ds.failure_reason.unwrap_or_default()
                    ),
                ))
            }
            _ => {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "the data set is still being profiled",
                ))
            }
        }
        let bytes = tokio::fs::read(self.dataset_dir(id).join(PROFILE_FILE)).await?;
        serde_json::from_slice(&bytes).map_err(ApiError::internal)
    }

    /// Store an uploaded file from a stream of chunks, never holding it whole in memory,
    /// then read it (to count rows and columns) and start profiling in the background.
    /// A file the reader rejects still becomes a data set, marked Failed with the reason.
    ///
    /// The data set is recorded (`Uploading`) before its first byte is written, so an
    /// upload cut short by a crash is found and cleaned up at the next start; one cut
    /// short by an error (a full disk, a broken connection, the size limit) leaves
    /// nothing behind.
    pub async fn create_dataset<S, E>(
        &self,
        name: &str,
        body: S,
        target: Option<String>,
        by: &crate::auth::Actor,
    ) -> Result<DatasetInfo, ApiError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let id = uuid::Uuid::new_v4().simple().to_string()[..16].to_string();
        let name = display_name(name);
        sqlx::query(
            "INSERT INTO datasets (id, name, stored_file, size_bytes, status, target, created_at, owner) \
             VALUES (?, ?, ?, 0, 'Uploading', ?, ?, ?)",
        )
        .bind(&id)
        .bind(&name)
        .bind(STORED_FILE)
        .bind(&target)
        .bind(now())
        .bind(by.owner())
        .execute(&self.db)
        .await?;
        // Whatever ends the upload early (an error here, or the client going away, which
        // drops this future) removes its row and its partial file.
        let pending = PendingUpload {
            svc: self.clone(),
            id: Some(id.clone()),
        };
        let size = match self.receive(&id, body).await {
            Ok(size) => size,
            Err(e) => {
                pending.abandon().await;
                return Err(e);
            }
        };
        pending.done();
        sqlx::query("UPDATE datasets SET size_bytes = ?, status = 'Profiling' WHERE id = ?")
            .bind(size as i64)
            .bind(&id)
            .execute(&self.db)
            .await?;
        match self.read_stored(&id, &name).await {
            Ok(raw) => {
                sqlx::query(
                    "UPDATE datasets SET rows = ?, columns = ?, column_names = ? WHERE id = ?",
                )
                .bind(raw.height() as i64)
                .bind(raw.names.len() as i64)
                .bind(serde_json::to_string(&raw.names).unwrap_or_default())
                .bind(&id)
                .execute(&self.db)
                .await?;
                self.spawn_profile(id.clone(), name.clone(), target, Some(raw));
            }
            Err(reason) => self.mark_failed(&id, &reason).await?,
        }
        self.get_dataset(&id).await
    }

    /// Stream an upload into the data set's folder; its size in bytes.
    async fn receive<S, E>(&self, id: &str, mut body: S) -> Result<u64, ApiError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let dir = self.dataset_dir(id);
        tokio::fs::create_dir_all(&dir).await?;
        let mut file = tokio::fs::File::create(dir.join(STORED_FILE)).await?;
        let mut size: u64 = 0;
        let limit = self.settings.max_upload_bytes;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| {
                let msg = e.to_string();
                if msg.contains("limit") || msg.contains("too large") {
                    too_large(limit)
                } else {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        format!("the upload was interrupted: {msg}"),
                    )
                }
            })?;
            size += chunk.len() as u64;
            if size > limit {
                return Err(too_large(limit));
            }
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
        file.sync_all().await?;
        Ok(size)
    }

    async fn read_stored(&self, id: &str, name: &str) -> Result<RawTable, String> {
        let path = self.dataset_dir(id).join(STORED_FILE);
        let name = name.to_string();
        let opts = self.settings.read.clone();
        tokio::task::spawn_blocking(move || {
            let bytes = std::fs::read(&path).map_err(|e| format!("{name}: {e}"))?;
            data::read_bytes(&name, bytes, &opts).map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|e| Err(internal_failure("reading the file", e)))
    }

    async fn mark_failed(&self, id: &str, reason: &str) -> Result<(), ApiError> {
        tracing::warn!(dataset = id, reason, "data set failed");
        sqlx::query("UPDATE datasets SET status = 'Failed', failure_reason = ? WHERE id = ?")
            .bind(reason)
            .bind(id)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    /// Choose (or change) the target column and profile again for it.
    pub async fn set_target(
        &self,
        id: &str,
        target: Option<String>,
    ) -> Result<DatasetInfo, ApiError> {
        let ds = self.get_dataset(id).await?;
        if ds.dataset_status == "Failed" {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "the data set could not be read; upload a corrected file",
            ));
        }
        if let Some(t) = &target {
            if !ds.column_names.is_empty() && !ds.column_names.contains(t) {
                return Err(ApiError::bad_request(
                    "TargetAttributeName",
                    format!("the data set has no column named {t:?}"),
                ));
            }
        }
        sqlx::query("UPDATE datasets SET status = 'Profiling', target = ?, failure_reason = NULL WHERE id = ?")
            .bind(&target)
            .bind(id)
            .execute(&self.db)
            .await?;
        self.spawn_profile(id.to_string(), ds.name, target, None);
        self.get_dataset(id).await
    }

    /// Profile in the background; `raw` is the already-read file, if at hand.
    fn spawn_profile(
        &self,
        id: String,
        name: String,
        target: Option<String>,
        raw: Option<RawTable>,
    ) {
        let svc = self.clone();
        tokio::spawn(async move {
            let _permit = svc.profiling.clone().acquire_owned().await;
            let raw = match raw {
                Some(r) => Ok(r),
                None => svc.read_stored(&id, &name).await,
            };
            let dir = svc.dataset_dir(&id);
            let result = match raw {
                Err(e) => Err(e),
                Ok(raw) => tokio::task::spawn_blocking(move || -> Result<(), String> {
                    let started = std::time::Instant::now();
                    let table = Table::from_raw(raw, target.as_deref(), &TypeOverrides::new())
                        .map_err(|e| e.to_string())?;
                    let mut p = profile::profile_table(&table, target.as_deref());
                    p.elapsed_seconds = started.elapsed().as_secs_f64();
                    write_json(&dir.join(PROFILE_FILE), &p).map_err(|e| {
                        if crate::error::is_storage_fault(&e) {
                            format!("the profile could not be saved: the server's data folder is full or read-only ({e})")
                        } else {
                            format!("the profile could not be saved: {e}")
                        }
                    })
                })
                .await
                .unwrap_or_else(|e| Err(internal_failure("profiling", e))),
            };
            let outcome = match result {
                Ok(()) => sqlx::query(
                    "UPDATE datasets SET status = 'Ready', profiled_at = ? WHERE id = ?",
                )
                .bind(now())
                .bind(&id)
                .execute(&svc.db)
                .await
                .map(|_| ()),
                Err(reason) => svc
                    .mark_failed(&id, &reason)
                    .await
                    .map_err(|e| sqlx::Error::Protocol(e.message)),
            };
            if let Err(e) = outcome {
                tracing::error!(dataset = id, error = %e, "could not record the profile outcome");
            }
        });
    }

    /// After a restart: profile again whatever was being profiled when the server stopped.
    pub async fn resume(&self) -> Result<(), ApiError> {
        let rows: Vec<DatasetRow> = sqlx::query_as(dataset_select!("WHERE d.status = 'Profiling'"))
            .fetch_all(&self.db)
            .await?;
        for r in rows {
            tracing::info!(dataset = r.id, "resuming profiling after restart");
            self.spawn_profile(r.id, r.name, r.target, None);
        }
        Ok(())
    }
}

/// An upload still arriving. Dropped before [`PendingUpload::done`], it removes the data
/// set's row and partial file in the background.
struct PendingUpload {
    svc: Service,
    id: Option<String>,
}

impl PendingUpload {
    fn done(mut self) {
        self.id = None;
    }

    /// Remove it now (the caller answers once nothing is left).
    async fn abandon(mut self) {
        if let Some(id) = self.id.take() {
            remove_upload(&self.svc, &id).await;
        }
    }
}

impl Drop for PendingUpload {
    fn drop(&mut self) {
        let Some(id) = self.id.take() else { return };
        let svc = self.svc.clone();
        tokio::spawn(async move { remove_upload(&svc, &id).await });
    }
}

async fn remove_upload(svc: &Service, id: &str) {
    let _ = tokio::fs::remove_dir_all(svc.dataset_dir(id)).await;
    let _ = sqlx::query("DELETE FROM datasets WHERE id = ?")
        .bind(id)
        .execute(&svc.db)
        .await;
    tracing::info!(
        dataset = id,
        "an upload ended early; nothing of it was kept"
    );
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "the upload is larger than the limit of {} bytes (set --max-upload-bytes to raise it)",
            limit
        ),
    )
}

/// A blocking task that panicked, as a failure reason: what was being done and the
/// panic's message (a bug of ours, reported, never a crashed server).
pub fn internal_failure(doing: &str, e: tokio::task::JoinError) -> String {
    if !e.is_panic() {
        return format!("{doing} was cancelled");
    }
    let payload = e.into_panic();
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(doing, what, "internal error");
    format!("an internal error stopped {doing}: {what}")
}

/// The extension of a file `write_json` is still writing; one left behind by a crash is
/// removed at the next start (`sweep_debris`).
pub const HALF_WRITTEN: &str = "tmp";

/// Write JSON atomically: to a temporary file first, then renamed into place.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("json.{HALF_WRITTEN}"));
    let f = std::fs::File::create(&tmp)?;
    serde_json::to_writer(std::io::BufWriter::new(f), value)?;
    std::fs::rename(tmp, path)
}

/// `glassbox profile FILE [--target COL] --out DIR`: the same profile the server makes.
pub fn profile_to_dir(file: &Path, opts: &ProfileOptions, out: &Path) -> anyhow::Result<Profile> {
    let p = profile::profile_file(file, opts)?;
    std::fs::create_dir_all(out)?;
    write_json(&out.join(PROFILE_FILE), &p)?;
    let data_file = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    crate::notebooks::write_data_exploration(out, &p, &data_file)?;
    Ok(p)
}
