//! Data named by URI, as SageMaker calls name it, read and written through the
//! `object_store` crate:
//! - `s3://BUCKET/KEY` in any S3-compatible store (`--s3-endpoint`, keys and region by flag
//!   or the usual `AWS_*` environment variables);
//! - `file:///PATH`, only under `--file-root` (a client never names any other file on
//!   the server);
//! - `glassbox://datasets/ID`, a data set uploaded to this server.
//!
//! *The one place a URI becomes a store and a path.* Inputs become data sets
//! (`import_uri`); outputs are folders copied under a prefix (`export_dir`).

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use futures_util::{stream, Stream, StreamExt, TryStreamExt};
use glassbox_app::model::DatasetInfo;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, RetryConfig};

use crate::auth::Actor;
use crate::error::ApiError;
use crate::service::Service;

/// How to reach object stores (the `serve` flags).
#[derive(Debug, Clone, Default)]
pub struct ObjectSettings {
    /// An S3-compatible endpoint, e.g. `http://127.0.0.1:9000`; AWS itself when absent.
    pub s3_endpoint: Option<String>,
    pub s3_region: Option<String>,
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<String>,
    /// The folder `file://` URIs may name (none may, when absent).
    pub file_root: Option<PathBuf>,
}

/// Where a URI points.
#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    S3 {
        bucket: String,
        key: String,
    },
    /// A path relative to `--file-root`.
    File(String),
    Dataset(String),
}

/// How a channel's URI is read (SageMaker's `S3DataType`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DataType {
    /// Every object under the prefix (or the one object it names).
    Prefix,
    /// A JSON manifest: `[{"prefix": "s3://b/p/"}, "rel/key", …]`.
    Manifest,
}

impl DataType {
    pub fn parse(field: &str, given: Option<&str>) -> Result<DataType, ApiError> {
        match given.unwrap_or("S3Prefix") {
            "S3Prefix" => Ok(DataType::Prefix),
            "ManifestFile" => Ok(DataType::Manifest),
            other => Err(ApiError::bad_request(
                field,
                format!("{other:?}: use S3Prefix or ManifestFile"),
            )),
        }
    }
}

/// Reads `uri` (named by `field` in errors).
pub fn parse(field: &str, uri: &str) -> Result<Location, ApiError> {
    let bad = |why: &str| ApiError::bad_request(field, format!("{uri:?}: {why}"));
    if let Some(rest) = uri.strip_prefix("s3://") {
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok {
            return Err(bad(
                "the bucket name must be 3–63 lower-case letters, digits, dots or hyphens",
            ));
        }
        return Ok(Location::S3 {
            bucket: bucket.to_string(),
            key: clean_key(key).map_err(|w| bad(&w))?,
        });
    }
    if let Some(path) = uri.strip_prefix("file://") {
        if !path.starts_with('/') {
            return Err(bad("a file URI names an absolute path: file:///PATH"));
        }
        return Ok(Location::File(path.to_string()));
    }
    if let Some(id) = uri.strip_prefix("glassbox://datasets/") {
        let id = id.trim_end_matches('/');
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(bad("expected glassbox://datasets/DATASET_ID"));
        }
        return Ok(Location::Dataset(id.to_string()));
    }
    Err(bad(
        "use s3://BUCKET/KEY, file:///PATH (under the server's --file-root) or glassbox://datasets/ID",
    ))
}

/// A key's segments joined by `/`, without empty ones; `.` and `..` are refused.
fn clean_key(key: &str) -> Result<String, String> {
    let parts: Vec<&str> = key.split('/').filter(|s| !s.is_empty()).collect();
    if parts.iter().any(|p| *p == "." || *p == "..") {
        return Err("a key may not contain . or .. segments".into());
    }
    Ok(parts.join("/"))
}

impl ObjectSettings {
    /// The store and the path inside it for a location.
    fn open(
        &self,
        field: &str,
        loc: &Location,
    ) -> Result<(Arc<dyn ObjectStore>, ObjectPath), ApiError> {
        match loc {
            Location::S3 { bucket, key } => {
                let mut b = AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .with_retry(RetryConfig {
                        max_retries: 2,
                        retry_timeout: Duration::from_secs(20),
                        ..Default::default()
                    });
                if let Some(e) = &self.s3_endpoint {
                    b = b.with_endpoint(e).with_allow_http(e.starts_with("http://"));
                }
                if let Some(r) = &self.s3_region {
                    b = b.with_region(r);
                }
                let env_key = std::env::var_os("AWS_ACCESS_KEY_ID").is_some();
                match (&self.s3_access_key_id, &self.s3_secret_access_key) {
                    (Some(id), Some(secret)) => {
                        b = b.with_access_key_id(id).with_secret_access_key(secret)
                    }
                    // No keys anywhere: a public bucket, read without signing (rather
                    // than asking a cloud metadata service that is not there).
                    _ if !env_key => b = b.with_skip_signature(true),
                    _ => {}
                }
                let store = b.build().map_err(|e| {
                    ApiError::bad_request(field, format!("the S3 store cannot be used: {e}"))
                })?;
                Ok((Arc::new(store), ObjectPath::from(key.as_str())))
            }
            Location::File(path) => {
                let root = self.file_root.as_ref().ok_or_else(|| {
                    ApiError::bad_request(
                        field,
                        "file:// URIs are off: start the server with --file-root DIR to allow files under DIR",
                    )
                })?;
                let rel = under_root(root, Path::new(path)).ok_or_else(|| {
                    ApiError::bad_request(
                        field,
                        format!(
                            "{path:?} is not under the server's --file-root {}",
                            root.display()
                        ),
                    )
                })?;
                let store = LocalFileSystem::new_with_prefix(root).map_err(|e| {
                    ApiError::bad_request(field, format!("--file-root cannot be used: {e}"))
                })?;
                Ok((Arc::new(store), ObjectPath::from(rel.as_str())))
            }
            Location::Dataset(_) => Err(ApiError::bad_request(
                field,
                "a data set on this server is an input, not an output location",
            )),
        }
    }
}

/// `path` relative to `root`, with no `..` or other escapes; `None` when outside.
fn under_root(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?.to_string()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

/// An object store's error, told as the field's problem (never a 5xx: the store is the
/// caller's to name).
fn store_error(field: &str, uri: &str, e: object_store::Error) -> ApiError {
    let why = match &e {
        object_store::Error::NotFound { .. } => "no such object".to_string(),
        other => other.to_string(),
    };
    ApiError::bad_request(field, format!("{uri}: {why}"))
}

/// The objects an `S3Prefix` channel reads, in key order: the one object its URI names,
/// else every object under it (hidden and `_SUCCESS`-style marker files left out).
async fn prefix_objects(
    store: &Arc<dyn ObjectStore>,
    field: &str,
    uri: &str,
    path: &ObjectPath,
) -> Result<Vec<(Arc<dyn ObjectStore>, ObjectPath)>, ApiError> {
    if !path.as_ref().is_empty() && store.head(path).await.is_ok() {
        return Ok(vec![(store.clone(), path.clone())]);
    }
    let mut keys: Vec<ObjectPath> = store
        .list(Some(path))
        .map_ok(|m| m.location)
        .try_collect()
        .await
        .map_err(|e| store_error(field, uri, e))?;
    keys.retain(|k| {
        let name = k.filename().unwrap_or("");
        !name.is_empty() && !name.starts_with('.') && !name.starts_with('_')
    });
    keys.sort_by(|a, b| a.as_ref().cmp(b.as_ref()));
    if keys.is_empty() {
        return Err(ApiError::bad_request(
            field,
            format!("{uri}: no object has this key or prefix"),
        ));
    }
    Ok(keys.into_iter().map(|k| (store.clone(), k)).collect())
}

impl Service {
    fn objects(&self) -> &ObjectSettings {
        &self.settings.objects
    }

    /// The store and path a URI names (`field` names it in errors).
    fn locate(
        &self,
        field: &str,
        uri: &str,
    ) -> Result<(Arc<dyn ObjectStore>, ObjectPath), ApiError> {
        self.objects().open(field, &parse(field, uri)?)
    }

    /// The objects a manifest lists: `[{"prefix": URI}, "rel", …]`.
    async fn manifest_objects(
        &self,
        field: &str,
        uri: &str,
        store: &Arc<dyn ObjectStore>,
        path: &ObjectPath,
    ) -> Result<Vec<(Arc<dyn ObjectStore>, ObjectPath)>, ApiError> {
        let bytes = store
            .get(path)
            .await
            .map_err(|e| store_error(field, uri, e))?
            .bytes()
            .await
            .map_err(|e| store_error(field, uri, e))?;
        let bad = |why: &str| ApiError::bad_request(field, format!("manifest {uri}: {why}"));
        let items: Vec<serde_json::Value> =
            serde_json::from_slice(&bytes).map_err(|e| bad(&format!("not a JSON list: {e}")))?;
        let prefix = items
            .first()
            .and_then(|v| v.get("prefix"))
            .and_then(|v| v.as_str())
            .ok_or_else(|| bad("its first item must be {\"prefix\": URI}"))?;
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate().skip(1) {
            let rel = item
                .as_str()
                .ok_or_else(|| bad(&format!("item {i} is not a string")))?;
            let full = format!("{}/{}", prefix.trim_end_matches('/'), rel);
            out.push(self.locate(field, &full)?);
        }
        if out.is_empty() {
            return Err(bad("it lists no files"));
        }
        Ok(out)
    }

    /// A channel named by URI as a data set: an uploaded one as it is; objects in a store
    /// copied into a new data set (several objects are joined, each one's header after
    /// the first dropped). `header`: the files have no header line; this one is put first
    /// (batch transform input, rows in training column order).
    pub async fn import_uri(
        &self,
        by: &Actor,
        field: &str,
        uri: &str,
        kind: DataType,
        target: Option<String>,
        header: Option<String>,
    ) -> Result<DatasetInfo, ApiError> {
        let loc = parse(field, uri)?;
        if let Location::Dataset(id) = &loc {
            return self
                .get_dataset(id)
                .await
                .map_err(|_| ApiError::bad_request(field, format!("no data set with id {id:?}")));
        }
        let (store, path) = self.objects().open(field, &loc)?;
        let objects = match kind {
            DataType::Prefix => prefix_objects(&store, field, uri, &path).await?,
            DataType::Manifest => self.manifest_objects(field, uri, &store, &path).await?,
        };
        let name = objects[0].1.filename().unwrap_or("data.csv").to_string();
        if objects.len() > 1 && name.ends_with(".gz") {
            return Err(ApiError::bad_request(
                field,
                format!("{uri}: several compressed files cannot be joined; give one file"),
            ));
        }
        let mut parts = Vec::new();
        for (i, (store, key)) in objects.into_iter().enumerate() {
            let got = store
                .get(&key)
                .await
                .map_err(|e| store_error(field, uri, e))?;
            let body = got.into_stream().map_err(|e| e.to_string()).boxed();
            let body = if i == 0 || header.is_some() {
                body
            } else {
                without_first_line(body).boxed()
            };
            parts.push(line_ended(body).boxed());
        }
        if let Some(h) = header {
            if name.ends_with(".gz") {
                return Err(ApiError::bad_request(
                    field,
                    format!("{uri}: give transform input uncompressed"),
                ));
            }
            parts.insert(0, stream::iter([Ok(Bytes::from(h))]).boxed());
        }
        let body = stream::iter(parts).flatten();
        let ds = self
            .create_dataset(&name, Box::pin(body), target, by)
            .await?;
        if ds.dataset_status == "Failed" {
            return Err(ApiError::bad_request(
                field,
                format!(
                    "{uri} could not be read: {}",
                    ds.failure_reason.unwrap_or_default()
                ),
            ));
        }
        Ok(ds)
    }

    /// A small JSON document named by URI (a feature specification).
    pub async fn read_json_uri(
        &self,
        field: &str,
        uri: &str,
    ) -> Result<serde_json::Value, ApiError> {
        let (store, path) = self.locate(field, uri)?;
        let got = store
            .get(&path)
            .await
            .map_err(|e| store_error(field, uri, e))?;
        if got.meta.size > 1 << 20 {
            return Err(ApiError::bad_request(
                field,
                format!("{uri}: larger than 1 MiB"),
            ));
        }
        let bytes = got.bytes().await.map_err(|e| store_error(field, uri, e))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::bad_request(field, format!("{uri} is not JSON: {e}")))
    }

    /// Copies every file under `dir` to `uri`/`prefix`/… (a folder's layout kept; links
    /// skipped).
    pub async fn export_dir(
        &self,
        field: &str,
        uri: &str,
        prefix: &str,
        dir: &Path,
    ) -> Result<(), ApiError> {
        let (store, base) = self.locate(field, uri)?;
        let mut files = Vec::new();
        collect_files(dir, dir, &mut files)?;
        for rel in &files {
            let data = tokio::fs::read(dir.join(rel)).await?;
            let key = join_key(&base, &format!("{prefix}/{rel}"));
            store
                .put(&key, PutPayload::from(Bytes::from(data)))
                .await
                .map_err(|e| store_error(field, uri, e))?;
        }
        Ok(())
    }

    /// Writes a CSV file's rows, without its header line, to `uri`/`name`.
    pub async fn export_rows(&self, uri: &str, name: &str, file: &Path) -> Result<(), ApiError> {
        let field = "TransformOutput.S3OutputPath";
        let (store, base) = self.locate(field, uri)?;
        let mut data = tokio::fs::read(file).await?;
        let header = data
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |i| i + 1);
        data.drain(..header);
        store
            .put(&join_key(&base, name), PutPayload::from(Bytes::from(data)))
            .await
            .map_err(|e| store_error(field, uri, e))?;
        Ok(())
    }

    /// Checks that an output URI can be used, before any work starts.
    pub fn check_output_uri(&self, field: &str, uri: &str) -> Result<(), ApiError> {
        self.locate(field, uri).map(|_| ())
    }
}

/// `base` + `/` + `rest`, as an object path.
fn join_key(base: &ObjectPath, rest: &str) -> ObjectPath {
    let base = base.as_ref().trim_matches('/');
    let rest = rest.trim_matches('/');
    if base.is_empty() {
        ObjectPath::from(rest)
    } else {
        ObjectPath::from(format!("{base}/{rest}"))
    }
}

/// Relative paths (with `/`) of the regular files under `dir`, sorted; links skipped.
fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let kind = e.file_type()?;
        let path = e.path();
        if kind.is_dir() {
            collect_files(root, &path, out)?;
        } else if kind.is_file() {
            if let Some(rel) = path.strip_prefix(root).ok().and_then(|p| p.to_str()) {
                out.push(rel.replace('\\', "/"));
            }
        }
    }
    Ok(())
}

/// A byte stream that ends with a line break (one is added when its last byte is not),
/// so that the next part joined after it starts on a line of its own.
fn line_ended<S>(body: S) -> impl Stream<Item = Result<Bytes, String>>
where
    S: Stream<Item = Result<Bytes, String>>,
{
    use std::sync::atomic::{AtomicU8, Ordering};
    let last = Arc::new(AtomicU8::new(b'\n'));
    let seen = last.clone();
    body.inspect(move |chunk| {
        if let Ok(b) = chunk {
            if let Some(&x) = b.last() {
                seen.store(x, Ordering::Relaxed);
            }
        }
    })
    .chain(stream::once(async move {
        Ok(match last.load(Ordering::Relaxed) {
            b'\n' => Bytes::new(),
            _ => Bytes::from_static(b"\n"),
        })
    }))
}

/// A byte stream without its first line (a repeated CSV header).
fn without_first_line<S>(body: S) -> impl Stream<Item = Result<Bytes, String>>
where
    S: Stream<Item = Result<Bytes, String>>,
{
    body.scan(true, |skipping, chunk| {
        let out = match chunk {
            Ok(b) if *skipping => match b.iter().position(|&c| c == b'\n') {
                Some(i) => {
                    *skipping = false;
                    Ok(b.slice(i + 1..))
                }
                None => Ok(Bytes::new()),
            },
            other => other,
        };
        std::future::ready(Some(out))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_told_apart_and_checked() {
        assert_eq!(
            parse("f", "s3://my-bucket/a//b/c.csv").unwrap(),
            Location::S3 {
                bucket: "my-bucket".into(),
                key: "a/b/c.csv".into()
            }
        );
        assert!(parse("f", "s3://My_Bucket/x").is_err());
        assert!(parse("f", "s3://bucket/a/../b").is_err());
        assert_eq!(
            parse("f", "glassbox://datasets/abc123").unwrap(),
            Location::Dataset("abc123".into())
        );
        assert!(parse("f", "glassbox://datasets/../x").is_err());
        assert!(parse("f", "file://relative").is_err());
        let e = parse(
            "InputDataConfig[0].DataSource.S3DataSource.S3Uri",
            "https://x/y",
        )
        .unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
        assert!(e.message.contains("s3://BUCKET/KEY"));
    }

    #[test]
    fn files_stay_under_the_root() {
        let root = Path::new("/srv/data");
        assert_eq!(
            under_root(root, Path::new("/srv/data/a/b.csv")).as_deref(),
            Some("a/b.csv")
        );
        assert_eq!(
            under_root(root, Path::new("/srv/data/a/../../etc/passwd")),
            None
        );
        assert_eq!(under_root(root, Path::new("/etc/passwd")), None);
        assert_eq!(under_root(root, Path::new("/srv/database")), None);
        let settings = ObjectSettings::default();
        let e = settings
            .open("f", &Location::File("/srv/data/x".into()))
            .expect_err("no root: refused");
        assert!(e.message.contains("--file-root"));
    }

    #[tokio::test]
    async fn joined_parts_drop_repeated_headers() {
        let part = |chunks: Vec<&'static str>| {
            stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from(c))))
        };
        let rest: Vec<_> = without_first_line(part(vec!["a,", "b\n1,", "2\n"]))
            .try_collect()
            .await
            .unwrap();
        let joined: Vec<u8> = rest.iter().flat_map(|b| b.to_vec()).collect();
        assert_eq!(joined, b"1,2\n");
        // A part without a final line break gets one; one with it gets none more.
        for (given, want) in [
            (vec!["a,b\n1,2"], "a,b\n1,2\n"),
            (vec!["a,b\n", "1,2\n"], "a,b\n1,2\n"),
            (vec![], ""),
        ] {
            let got: Vec<Bytes> = line_ended(part(given)).try_collect().await.unwrap();
            let got: Vec<u8> = got.iter().flat_map(|b| b.to_vec()).collect();
            assert_eq!(String::from_utf8(got).unwrap(), want);
        }
    }
}
