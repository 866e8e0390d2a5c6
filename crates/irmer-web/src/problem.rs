//! Errors as `application/problem+json` (RFC 9457), naming the field.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use irmer_core::parse::InputError;
use irmer_store::StoreError;
use irmer_store::accounts::AccountError;
use irmer_store::register::RegisterError;
use serde_json::{Value, json};

/// A problem to report to the client.
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    /// A short, stable identifier (`invalid-input`), made into the `type`.
    pub kind: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub field: Option<String>,
    pub extra: Option<Box<(&'static str, Value)>>,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Problem {
            status,
            kind,
            title,
            detail: detail.into(),
            field: None,
            extra: None,
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        let field = field.into();
        if !field.is_empty() {
            self.field = Some(field);
        }
        self
    }

    /// A valid JSON document whose content is not valid input (422),
    /// naming the field (none when `field` is empty).
    pub fn invalid(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-input",
            "The input is not valid",
            detail,
        )
        .field(field)
    }

    /// An input error: 400 for malformed JSON, 422 for a valid document
    /// that is not a valid incident.
    pub fn input(error: &InputError) -> Self {
        match error.position {
            Some(p) => Problem::new(
                StatusCode::BAD_REQUEST,
                "malformed-json",
                "The body is not valid JSON",
                format!("line {}, column {}: {error}", p.line, p.column),
            ),
            None => Problem::invalid(&error.field, error.to_string()),
        }
    }
}

impl From<RegisterError> for Problem {
    fn from(err: RegisterError) -> Self {
        match err {
            RegisterError::Invalid(e) => Problem::input(&e),
            RegisterError::Transition(e) => Problem::new(
                StatusCode::CONFLICT,
                "invalid-step",
                "The step is not possible now",
                e.to_string(),
            )
            .field(e.field),
            RegisterError::Store(StoreError::NotFound(r)) => Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "No such incident",
                format!("no incident with reference {r:?}"),
            ),
            RegisterError::Store(StoreError::Duplicate(r)) => Problem::new(
                StatusCode::CONFLICT,
                "duplicate-reference",
                "The reference is taken",
                format!("an incident with reference {r:?} is already in the register"),
            )
            .field("reference"),
            RegisterError::Store(e @ StoreError::Conflict { current, .. }) => {
                let mut p = Problem::new(
                    StatusCode::CONFLICT,
                    "stale-version",
                    "The incident has changed",
                    e.to_string(),
                )
                .field("version");
                p.extra = Some(Box::new(("current_version", json!(current))));
                p
            }
            RegisterError::Store(e @ StoreError::Unsupported(_)) => Problem::new(
                StatusCode::NOT_IMPLEMENTED,
                "unsupported",
                "Not supported by this database",
                e.to_string(),
            ),
            other => {
                eprintln!("irmer: internal error: {other}");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "the register could not complete the request; it was logged",
                )
            }
        }
    }
}

/// An account's failure. The sign-in's answers are the same whatever the
/// cause (the pages say them in their own words).
impl From<AccountError> for Problem {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::BadCredentials => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
                err.to_string(),
            ),
            AccountError::Locked(_) => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "locked",
                "Too many failed sign-ins",
                err.to_string(),
            ),
            AccountError::Invalid { field, message } => Problem::invalid(field, message),
            AccountError::Store(e) => RegisterError::from(e).into(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": format!("https://irmer.invalid/problems/{}", self.kind),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Some(field) = self.field {
            body["field"] = json!(field);
        }
        if let Some(extra) = self.extra {
            let (key, value) = *extra;
            body[key] = value;
        }
        let mut response = (self.status, body.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}
