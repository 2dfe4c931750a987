//! Glassbox engine: the AutoML library behind the CLI, the REST API and the pages.
//!
//! It knows nothing of HTTP, SQL or HTML. Everything it produces is plain data
//! (serde structs) that the callers store, serve or render.

pub mod automl;
pub mod common;
pub mod data;
pub mod error;
pub mod explain;
pub mod profile;
pub mod reports;

pub use error::{EngineError, Result};
