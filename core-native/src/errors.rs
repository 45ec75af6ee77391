//! Domain errors of the native core and their mapping to JS errors with stable codes.
//!
//! The code travels as napi-rs's custom error status (`napi::Error<ErrorCode>`), which napi-rs
//! writes into the JS error's `code` property; the message is the plain text. The framework maps
//! codes to its error classes in one table (packages/framework/src/errors.ts, `nativeErrorTable`),
//! never by reading the message.

use std::fmt;

/// ErrorCode: the `code` of every error the core throws. `Napi` carries a status napi-rs itself
/// reported (its name becomes the code, e.g. `GenericFailure`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidDefinition,
    FamilyClash,
    UnknownFamily,
    LabelCount,
    SeriesTableFull,
    NativePanic,
    Napi(napi::Status),
}

impl ErrorCode {
    /// The core's own codes (not `Napi`), as exported to JS by `nativeErrorCodes`.
    pub const ALL: [ErrorCode; 6] = [
        ErrorCode::InvalidDefinition,
        ErrorCode::FamilyClash,
        ErrorCode::UnknownFamily,
        ErrorCode::LabelCount,
        ErrorCode::SeriesTableFull,
        ErrorCode::NativePanic,
    ];
}

impl AsRef<str> for ErrorCode {
    fn as_ref(&self) -> &str {
        match self {
            ErrorCode::InvalidDefinition => "METRICORE_INVALID_DEFINITION",
            ErrorCode::FamilyClash => "METRICORE_FAMILY_CLASH",
            ErrorCode::UnknownFamily => "METRICORE_UNKNOWN_FAMILY",
            ErrorCode::LabelCount => "METRICORE_LABEL_COUNT",
            ErrorCode::SeriesTableFull => "METRICORE_SERIES_TABLE_FULL",
            ErrorCode::NativePanic => "METRICORE_NATIVE_PANIC",
            ErrorCode::Napi(status) => status.as_ref(),
        }
    }
}

/// NativeError: what every export returns on failure.
pub type NativeError = napi::Error<ErrorCode>;
/// NativeResult: a `napi::Result` whose error carries an `ErrorCode`.
pub type NativeResult<T> = napi::Result<T, ErrorCode>;

/// CoreError: the core's domain errors (each maps to one `ErrorCode`).
#[derive(Debug, Clone, PartialEq)]
pub enum CoreError {
    InvalidDefinition { metric: String, detail: String },
    Clash { metric: String, detail: String },
    UnknownFamily { id: u32 },
    WrongLabelCount { metric: String, expected: usize, got: usize },
    TooManySeries { metric: String, max: usize },
    Panic { detail: String },
}

impl CoreError {
    pub(crate) fn code(&self) -> ErrorCode {
        match self {
            CoreError::InvalidDefinition { .. } => ErrorCode::InvalidDefinition,
            CoreError::Clash { .. } => ErrorCode::FamilyClash,
            CoreError::UnknownFamily { .. } => ErrorCode::UnknownFamily,
            CoreError::WrongLabelCount { .. } => ErrorCode::LabelCount,
            CoreError::TooManySeries { .. } => ErrorCode::SeriesTableFull,
            CoreError::Panic { .. } => ErrorCode::NativePanic,
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
            CoreError::TooManySeries { metric, max } => write!(
                f,
                "metric \"{metric}\": the process-wide series table is full ({max} series); lower the families' maxSeries or add a label policy"
            ),
            CoreError::Panic { detail } => write!(f, "native core panicked: {detail}"),
        }
    }
}

/// The one place domain errors become napi errors, so `.code` stays stable.
pub(crate) fn map_error(err: CoreError) -> NativeError {
    napi::Error::new(err.code(), err.to_string())
}

/// Carries an error napi-rs reported (a failed napi call) with its own status as the code.
pub(crate) fn from_napi(err: napi::Error) -> NativeError {
    napi::Error::new(ErrorCode::Napi(err.status), err.reason.clone())
}

/// Describes a caught panic payload.
pub(crate) fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}
