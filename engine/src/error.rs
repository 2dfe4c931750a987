//! Errors the engine reports. Every data error names the file and, where it can, the line
//! and column, so a user can find the problem without a debugger.

use std::fmt;

/// Where in an input file a problem sits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    pub file: String,
    pub line: Option<u64>,
    pub column: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, " line {line}")?;
        }
        if let Some(col) = &self.column {
            write!(f, " column {col:?}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The input data is malformed or unusable; the message names the problem.
    #[error("{location}: {message}")]
    Data { location: Location, message: String },
    /// The caller asked for something impossible (unknown column, bad option, ...).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl EngineError {
    pub fn data(file: &str, line: Option<u64>, message: impl Into<String>) -> Self {
        EngineError::Data {
            location: Location {
                file: file.to_string(),
                line,
                column: None,
            },
            message: message.into(),
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        EngineError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        EngineError::Io {
            context: context.into(),
            source,
        }
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
