//! Errors as the REST API and the pages report them: a status and a JSON body
//! `{"error": "...", "field": "..."}`. Caller mistakes are 4xx; only our own faults are 5xx.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use glassbox_engine::EngineError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub field: Option<String>,
    /// The name asked for is taken (SageMaker's ResourceInUse).
    pub taken: bool,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            field: None,
            taken: false,
        }
    }
    pub fn bad_request(field: &str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            field: Some(field.to_string()),
            taken: false,
        }
    }
    /// `field` names something that already exists (400).
    pub fn taken(field: &str, message: impl Into<String>) -> Self {
        ApiError {
            taken: true,
            ..Self::bad_request(field, message)
        }
    }
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, what)
    }
    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("internal error: {e}"),
        )
    }
}

/// An insert's outcome, with a clash on a unique name told as the `field` already taken
/// (`what`: the thing and its name, e.g. `an endpoint named "x"`).
pub fn unless_taken<T>(
    r: Result<T, sqlx::Error>,
    status: StatusCode,
    field: &str,
    what: &str,
) -> Result<T, ApiError> {
    match r {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(ApiError {
            status,
            ..ApiError::taken(field, format!("{what} already exists"))
        }),
        other => other.map_err(ApiError::from),
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Io(io) => storage_error(io).unwrap_or_else(|| ApiError::internal(&e)),
            // SQLite's primary result codes: SQLITE_FULL and SQLITE_READONLY.
            sqlx::Error::Database(db) => match db.code().as_deref() {
                Some("13") => ApiError::new(StatusCode::INSUFFICIENT_STORAGE, full_message(&e)),
                Some("8") => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, read_only_message(&e)),
                _ => ApiError::internal(e),
            },
            _ => ApiError::internal(e),
        }
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        storage_error(&e).unwrap_or_else(|| ApiError::internal(e))
    }
}

/// A full or read-only data folder is the machine's state, not our bug: 507 or 503 with
/// the reason and what to do, never a bare 500.
fn storage_error(e: &std::io::Error) -> Option<ApiError> {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded | ErrorKind::FileTooLarge => {
            tracing::warn!(error = %e, "the data folder is full");
            Some(ApiError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                full_message(e),
            ))
        }
        ErrorKind::ReadOnlyFilesystem | ErrorKind::PermissionDenied => {
            tracing::warn!(error = %e, "the data folder is not writable");
            Some(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                read_only_message(e),
            ))
        }
        _ => None,
    }
}

/// Whether an I/O error means the data folder cannot take more data.
pub fn is_storage_fault(e: &std::io::Error) -> bool {
    storage_error(e).is_some()
}

/// What a user reads when the data folder is full.
pub fn full_message(e: &dyn std::fmt::Display) -> String {
    format!(
        "the server's data folder is full ({e}); nothing was kept of this request. \
         Delete old jobs or data sets, or give --data-dir more space, then try again"
    )
}

fn read_only_message(e: &dyn std::fmt::Display) -> String {
    format!(
        "the server cannot write to its data folder ({e}); nothing was kept of this request. \
         Make --data-dir writable, then try again"
    )
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match &e {
            EngineError::Invalid { field, .. } => {
                ApiError::bad_request(&field.clone(), e.to_string())
            }
            EngineError::Data { .. } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            }
            EngineError::Io { .. } => ApiError::internal(e),
        }
    }
}

/// An error as the API sends it: a message, and the request field it is about.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ErrorBody {
                error: self.message,
                field: self.field,
            }),
        )
            .into_response()
    }
}
