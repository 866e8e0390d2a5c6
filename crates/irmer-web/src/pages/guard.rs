//! The pages' checks, in one place: a form is a [`SignedForm`], refused
//! before its handler runs when its CSRF token is missing or not the
//! session's; an incident is reached through [`incident_for`], which checks
//! the role and then the scope.

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
