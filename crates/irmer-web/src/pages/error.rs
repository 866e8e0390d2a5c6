//! A page that could not be shown. Its status and public words come from
//! the same mapping as the API's problems ([`Problem`]'s `From`
//! implementations): an internal error is logged there and never shown.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use irmer_store::StoreError;
use irmer_store::accounts::{AccountError, Action, User};
use irmer_store::register::RegisterError;
use maud::html;

use super::capital;
use crate::Problem;
use crate::app::{PageUser, Refused, action_words};
use crate::html::{Section, Who, page, respond};
use irmer_core::assessment::EnforcingAuthority;

/// A page that could not be shown: its status and what to tell the person.
pub struct PageError {
    status: StatusCode,
    title: &'static str,
    message: String,
    who: Option<Box<(User, String, Option<EnforcingAuthority>)>>,
}

pub type PageResult = Result<Response, PageError>;

impl PageError {
    pub fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        PageError {
            status,
            title,
            message: message.into(),
            who: None,
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        PageError::new(StatusCode::NOT_FOUND, "Page not found", message)
    }

    pub fn forbidden(action: Action) -> Self {
        PageError::new(
            StatusCode::FORBIDDEN,
            "Not allowed",
            format!("Your role does not allow you to {}.", action_words(action)),
        )
    }

    /// The form's CSRF token is missing or not this session's.
    pub(super) fn expired() -> Self {
        PageError::new(
            StatusCode::FORBIDDEN,
            "The form has expired",
            "This form was not sent from your current session (its security token is missing or wrong). Go back, reload the page and try again.",
        )
    }

    /// Shown with the signed-in user's header and menu.
    pub fn for_user(mut self, p: &PageUser) -> Self {
        self.who = Some(Box::new((p.user.clone(), p.csrf.clone(), p.authority)));
        self
    }
}

/// The API's problem as a page: the same status and public detail, with
/// a title for people.
impl From<Problem> for PageError {
    fn from(problem: Problem) -> Self {
        let (title, message) = match (problem.status, problem.kind) {
            (StatusCode::NOT_FOUND, _) => (
                "Page not found",
                format!(
                    "{}: there is none that you can see.",
                    capital(&problem.detail)
                ),
            ),
            (StatusCode::FORBIDDEN, _) => ("Not allowed", format!("{}.", capital(&problem.detail))),
            (_, "stale-version") => (
                "Someone else changed this incident",
                format!(
                    "{}. Go back, reload the page, and make your change again.",
                    capital(&problem.detail)
                ),
            ),
            (s, _) if s.is_server_error() => (
                "Sorry, there is a problem with the service",
                format!("{}.", capital(&problem.detail)),
            ),
            _ => (
                "There is a problem",
                format!("{}.", capital(&problem.detail)),
            ),
        };
        PageError::new(problem.status, title, message)
    }
}

impl From<RegisterError> for PageError {
    fn from(e: RegisterError) -> Self {
        Problem::from(e).into()
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        RegisterError::from(e).into()
    }
}

impl From<AccountError> for PageError {
    fn from(e: AccountError) -> Self {
        Problem::from(e).into()
    }
}

impl From<Refused> for PageError {
    fn from(r: Refused) -> Self {
        match r {
            Refused::Role(_, action) => PageError::forbidden(action),
            Refused::Register(e) => e.into(),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let who = self.who.as_deref().map(|(user, csrf, authority)| Who {
            user,
            csrf,
            authority: *authority,
        });
        respond(
            self.status,
            page(
                self.title,
                Section::None,
                who,
                html! {
                    h1 { (self.title) }
                    p class="lead" { (self.message) }
                    p { a href="/" { "Go to the dashboard" } }
                },
            ),
        )
    }
}

/// A failure, as a page for the signed-in user.
pub trait ForPage<T> {
    fn for_page(self, p: &PageUser) -> Result<T, PageError>;
}

impl<T, E: Into<PageError>> ForPage<T> for Result<T, E> {
    fn for_page(self, p: &PageUser) -> Result<T, PageError> {
        self.map_err(|e| e.into().for_user(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "table incidents: disk I/O error at page 7";

    fn corrupt() -> RegisterError {
        RegisterError::Corrupt {
            reference: "X-1".into(),
            why: SECRET.into(),
        }
    }
    fn backend() -> RegisterError {
        StoreError::Backend(SECRET.into()).into()
    }
    fn not_found() -> RegisterError {
        StoreError::NotFound("X-1".into()).into()
    }
    fn stale() -> RegisterError {
        StoreError::Conflict {
            reference: "X-1".into(),
            expected: 1,
            current: 2,
        }
        .into()
    }

    /// A page answers with the API's status, and an internal error's
    /// text is shown by neither.
    #[test]
    fn pages_and_the_api_answer_with_one_mapping() {
        let cases: [(fn() -> RegisterError, StatusCode); 4] = [
            (corrupt, StatusCode::INTERNAL_SERVER_ERROR),
            (backend, StatusCode::INTERNAL_SERVER_ERROR),
            (not_found, StatusCode::NOT_FOUND),
            (stale, StatusCode::CONFLICT),
        ];
        for (make, status) in cases {
            let api = Problem::from(make());
            let page = PageError::from(make());
            assert_eq!((api.status, page.status), (status, status), "{}", make());
            assert!(!api.detail.contains("disk I/O"), "{}", api.detail);
            assert!(!page.message.contains("disk I/O"), "{}", page.message);
        }
        let page = PageError::from(stale());
        assert_eq!(page.title, "Someone else changed this incident");
        assert!(page.message.contains("reload"), "{}", page.message);
        let page = PageError::from(not_found());
        assert_eq!(page.title, "Page not found");
        assert!(
            page.message.contains("that you can see"),
            "{}",
            page.message
        );
    }
}
