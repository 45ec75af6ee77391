//! Domain errors of the native core and their mapping to JS errors with stable codes.
//!
//! The JS error's message starts with the code in brackets (`[METRICORE_FAMILY_CLASH] ...`);
//! `@metricore/framework` turns that into `err.code` on a TypeError or RangeError.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum CoreError {
    InvalidDefinition { metric: String, detail: String },
    Clash { metric: String, detail: String },
    UnknownFamily { id: u32 },
    WrongLabelCount { metric: String, expected: usize, got: usize },
    TooManySeries { metric: String },
    Panic { detail: String },
}

impl CoreError {
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::InvalidDefinition { .. } => "METRICORE_INVALID_DEFINITION",
            CoreError::Clash { .. } => "METRICORE_FAMILY_CLASH",
            CoreError::UnknownFamily { .. } => "METRICORE_UNKNOWN_FAMILY",
            CoreError::WrongLabelCount { .. } => "METRICORE_LABEL_COUNT",
            CoreError::TooManySeries { .. } => "METRICORE_SERIES_TABLE_FULL",
            CoreError::Panic { .. } => "METRICORE_NATIVE_PANIC",
        }
    }
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CoreError::InvalidDefinition { metric, detail } => write!(f, "metric \"{metric}\": {detail}"),
            CoreError::Clash { metric, detail } => write!(
                f,
                "metric \"{metric}\" is already defined with {detail}; use the same definition or another name"
            ),
            CoreError::UnknownFamily { id } => write!(f, "no metric family with id {id}"),
            CoreError::WrongLabelCount { metric, expected, got } => {
                write!(f, "metric \"{metric}\" expects {expected} label values, got {got}")
            }
            CoreError::TooManySeries { metric } => {
                write!(f, "metric \"{metric}\": the process-wide series table is full")
            }
            CoreError::Panic { detail } => write!(f, "native core panicked: {detail}"),
        }
    }
}

/// The one place domain errors become napi errors, so `.code` stays stable.
pub fn map_error(err: CoreError) -> napi::Error {
    napi::Error::new(napi::Status::GenericFailure, format!("[{}] {}", err.code(), err))
}

/// Describes a caught panic payload.
pub fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}
