//! The pages' checks, in one place: a form is a [`SignedForm`], refused
//! before its handler runs when its CSRF token is missing or not the
//! session's; an incident is reached through [`incident_for`], which checks
//! the role and then the scope. A public form (no account: the
//! authority's notification form) is a [`PublicForm`], its token a
//! double-submitted cookie of its own, checked the same way.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use irmer_store::Store;
use irmer_store::accounts::{AccountStore, Action, same_secret};
use irmer_store::register::IncidentRecord;

use super::{ForPage, PageError};
use crate::app::{App, PageUser};
use crate::form::Answers;

/// A form sent from the signed-in user's session: the user and the
/// answers. Extracting it signs the user in (or redirects to the sign-in
/// page), reads the body within the server's limit, and refuses a missing
/// or wrong CSRF token with 403 before the handler runs.
pub struct SignedForm(pub PageUser, pub Answers);

impl<S: Store + AccountStore> FromRequest<App<S>> for SignedForm {
    type Rejection = Response;

    async fn from_request(req: Request, app: &App<S>) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let p = PageUser::from_request_parts(&mut parts, app).await?;
        let body = Bytes::from_request(Request::from_parts(parts, body), app)
            .await
            .map_err(IntoResponse::into_response)?;
        let answers = Answers::parse(&body);
        match answers.get("csrf") {
            Some(token) if same_secret(token, &p.csrf) => Ok(SignedForm(p, answers)),
            _ => Err(PageError::expired().for_user(&p).into_response()),
        }
    }
}

/// The public forms' CSRF cookie (there is no session).
pub const PUBLIC_FORM_COOKIE: &str = "irmer_form";

/// A form from a page anyone may open: extracting it reads the body
/// within the server's limit and refuses, with 403 before the handler
/// runs, a `csrf` field that is not the [`PUBLIC_FORM_COOKIE`] the page
/// set ([`public_token`]).
pub struct PublicForm(pub Answers);

impl<S: Store + AccountStore> FromRequest<App<S>> for PublicForm {
    type Rejection = Response;

    async fn from_request(req: Request, app: &App<S>) -> Result<Self, Response> {
        let cookie = crate::app::cookie(req.headers(), PUBLIC_FORM_COOKIE)
            .filter(|t| valid_token(t))
            .map(str::to_owned);
        let body = Bytes::from_request(req, app)
            .await
            .map_err(IntoResponse::into_response)?;
        let answers = Answers::parse(&body);
        match (cookie, answers.get("csrf")) {
            (Some(c), Some(token)) if same_secret(token, &c) => Ok(PublicForm(answers)),
            _ => Err(expired_public().into_response()),
        }
    }
}

/// A file sent with a public form.
pub struct Upload {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Bytes,
}

/// A public form sent as `multipart/form-data` (with a file): its fields
/// and its one file, if any, read within the route's body limit; refused
/// with 403 before the handler runs, as a [`PublicForm`], when its `csrf`
/// field is not the visitor's [`PUBLIC_FORM_COOKIE`].
pub struct PublicUpload(pub Answers, pub Option<Upload>);

impl<S: Store + AccountStore> FromRequest<App<S>> for PublicUpload {
    type Rejection = Response;

    async fn from_request(req: Request, app: &App<S>) -> Result<Self, Response> {
        let cookie = crate::app::cookie(req.headers(), PUBLIC_FORM_COOKIE)
            .filter(|t| valid_token(t))
            .map(str::to_owned);
        let bad = |message: String| {
            PageError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "The form could not be read",
                message,
            )
            .into_response()
        };
        let mut multipart = axum::extract::Multipart::from_request(req, app)
            .await
            .map_err(|e| bad(e.body_text()))?;
        let mut answers = Answers::default();
        let mut file = None;
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| bad(e.body_text()))?
        {
            let name = field.name().unwrap_or_default().to_owned();
            match field.file_name().map(str::to_owned) {
                Some(file_name) if file.is_none() => {
                    let content_type = field.content_type().unwrap_or_default().to_owned();
                    let bytes = field.bytes().await.map_err(|e| bad(e.body_text()))?;
                    if !bytes.is_empty() {
                        file = Some(Upload {
                            file_name,
                            content_type,
                            bytes,
                        });
                    }
                }
                Some(_) => return Err(bad("one file at a time".into())),
                None => {
                    let text = field.text().await.map_err(|e| bad(e.body_text()))?;
                    answers.0.push((name, text));
                }
            }
        }
        match (cookie, answers.get("csrf")) {
            (Some(c), Some(token)) if same_secret(token, &c) => Ok(PublicUpload(answers, file)),
            _ => Err(expired_public().into_response()),
        }
    }
}

fn expired_public() -> PageError {
    PageError::new(
        axum::http::StatusCode::FORBIDDEN,
        "The form has expired",
        "This form was not sent from the page that gave it (its security token is missing or wrong, or cookies are off). Go back, reload the page and try again.",
    )
}

fn valid_token(t: &str) -> bool {
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The token a public form's page puts in its `csrf` field: the visitor's
/// cookie if it has a valid one, else a new one; and the `Set-Cookie`
/// header to send with the page.
pub fn public_token<S>(
    app: &App<S>,
    headers: &axum::http::HeaderMap,
) -> Result<(String, axum::http::HeaderValue), PageError> {
    let token = match crate::app::cookie(headers, PUBLIC_FORM_COOKIE) {
        Some(t) if valid_token(t) => t.to_owned(),
        _ => irmer_store::accounts::secret().map_err(|e| {
            PageError::from(crate::Problem::from(
                irmer_store::register::RegisterError::from(e),
            ))
        })?,
    };
    let cookie = crate::app::set_cookie(PUBLIC_FORM_COOKIE, &token, 3 * 3600, app.secure_cookies);
    let value = axum::http::HeaderValue::from_str(&cookie).map_err(|_| {
        PageError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            "The page could not be made.",
        )
    })?;
    Ok((token, value))
}

/// A signed-in administrator: anyone else is refused with 403 before the
/// handler runs. Every administration page takes one (or an
/// [`AdminForm`]), so that none can forget the check.
pub struct Administrator(pub PageUser);

impl<S: Store + AccountStore> FromRequestParts<App<S>> for Administrator {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &App<S>,
    ) -> Result<Self, Response> {
        let p = PageUser::from_request_parts(parts, app).await?;
        allow(&p, Action::Administer).map_err(IntoResponse::into_response)?;
        Ok(Administrator(p))
    }
}

/// A [`SignedForm`] from an administrator: the CSRF token checked first,
/// then the role, both before the handler runs.
pub struct AdminForm(pub PageUser, pub Answers);

impl<S: Store + AccountStore> FromRequest<App<S>> for AdminForm {
    type Rejection = Response;

    async fn from_request(req: Request, app: &App<S>) -> Result<Self, Response> {
        let SignedForm(p, answers) = SignedForm::from_request(req, app).await?;
        allow(&p, Action::Administer).map_err(IntoResponse::into_response)?;
        Ok(AdminForm(p, answers))
    }
}

/// Refuses what the user's role does not allow.
pub fn allow(p: &PageUser, action: Action) -> Result<(), PageError> {
    if p.user.may(action) {
        Ok(())
    } else {
        Err(PageError::forbidden(action).for_user(p))
    }
}

/// The incident for `action`: 403 when the role does not allow it, then
/// 404 when it is outside the user's scope ([`App::incident_for`]).
pub(super) async fn incident_for<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    reference: &str,
    action: Action,
) -> Result<IncidentRecord, PageError> {
    app.incident_for(&p.user, reference, action)
        .await
        .for_page(p)
}
