//! The web application's pages: server-rendered HTML that works without
//! JavaScript. One module a feature: [`sign_in`] (and passwords),
//! [`dashboard`], [`reporting`] an incident, the [`incident`] page and its
//! steps, the coding of its [`causes`], the [`notification`] summary, the
//! [`register`] with its CSV, the [`statistics`] and trends,
//! [`admin`]istration, [`tokens`], [`identity`] and the
//! [`investigation_report`].
//!
//! The checks live in [`guard`], once: every form is a [`guard::SignedForm`]
//! (the session's CSRF token checked before the handler runs), and every
//! incident is reached through [`guard::incident_for`] (the role, then the
//! scope). Errors become pages in [`error`], from the same mapping as the
//! API's problems.

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use irmer_core::lifecycle::IncidentStatus;
use irmer_store::Store;
use irmer_store::accounts::AccountStore;
use maud::Markup;

use crate::app::{App, PageUser};
use crate::html::{Section, page, respond};

pub(crate) mod admin;
mod causes;
mod dashboard;
mod error;
mod guard;
mod identity;
mod incident;
mod investigation_report;
mod notification;
mod register;
mod reporting;
mod sending;
mod sign_in;
mod statistics;
mod tasks;
mod themes;
mod tokens;

pub use error::PageError;

/// What another crate's pages are built from (the enforcing authority's,
/// in `irmer_authority`): the same checks, layout and errors as these.
pub mod kit {
    pub use super::admin::{admin_show, notice};
    pub use super::error::{ForPage, PageError, PageResult};
    pub use super::guard::{
        AdminForm, Administrator, PUBLIC_FORM_COOKIE, PublicForm, PublicUpload, SignedForm, Upload,
        allow, public_token,
    };
    pub use super::reporting::incident_from;
    pub use super::{capital, enc, see_other, show, show_as, status_of};
    pub use crate::app::PageUser;
    pub use crate::dates::{day, moment};
    pub use crate::form::Answers;
    pub use crate::form::{answers_list, modality_groups, questions_for};
    pub use crate::html::{DOCUMENT_CSP, Section, csrf_field, error_summary, field_id};
    pub use crate::html::{assessment_panel, page, respond};
}
use error::{ForPage, PageResult};
use guard::{AdminForm, Administrator, SignedForm, allow, incident_for};

/// Every page route that takes a form (`POST`), each behind a
/// [`SignedForm`] but the sign-in (whose token is a cookie of its own,
/// there being no session yet). A test holds this list to [`routes`] and
/// posts to each without a token.
pub const FORM_ROUTES: &[&str] = &[
    "/sign-out",
    "/account/password",
    "/account/tokens",
    "/account/tokens/{id}/revoke",
    "/report",
    "/report/preview",
    "/deadlines/calendar",
    "/incidents/{reference}/edit",
    "/incidents/{reference}/identity",
    "/incidents/{reference}/causes",
    "/incidents/{reference}/theme",
    "/incidents/{reference}/send",
    "/incidents/{reference}/send-report",
    "/incidents/{reference}/send-licence-breach",
    "/incidents/{reference}/report",
    "/incidents/{reference}/tasks/{id}",
    "/incidents/{reference}/steps",
    "/incidents/{reference}/comments",
    "/admin/users",
    "/admin/users/{id}",
    "/admin/sites",
    "/admin/departments",
    "/admin/settings",
    "/admin/hospital-numbers",
    "/admin/activity",
    "/admin/authority",
    "/admin/licences",
];

/// The pages an enforcing authority's register shares with an employer's:
/// the assets, signing in and out, the password, the staff accounts, the
/// audit log and the outbox.
pub fn account_routes<S: Store + AccountStore>() -> Router<App<S>> {
    Router::new()
        .route(
            "/static/irmer.css",
            get(|| async { asset(crate::html::CSS.as_str(), "text/css; charset=utf-8") }),
        )
        .route(
            "/static/irmer.js",
            get(|| async { asset(crate::html::JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/sign-in",
            get(sign_in::sign_in_page::<S>).post(sign_in::sign_in::<S>),
        )
        .route("/sign-out", post(sign_in::sign_out::<S>))
        .route(
            "/account/password",
            get(sign_in::password_page::<S>).post(sign_in::change_password::<S>),
        )
        .route(
            "/admin/users",
            get(admin::users::users_page::<S>).post(admin::users::add_user::<S>),
        )
        .route("/admin/users/{id}", post(admin::users::change_user::<S>))
        .route(
            "/admin/users/{id}/one-time-password",
            get(admin::users::one_time_password_page::<S>),
        )
        .route("/admin/audit", get(admin::audit_page::<S>))
        .route("/admin/outbox", get(admin::outbox::outbox::<S>))
}

/// Every page of an employer's register.
pub fn routes<S: Store + AccountStore>() -> Router<App<S>> {
    account_routes::<S>()
        .route(
            "/account/tokens",
            get(tokens::tokens_page::<S>).post(tokens::make_token::<S>),
        )
        .route(
            "/account/tokens/{id}/revoke",
            post(tokens::revoke_token::<S>),
        )
        .route("/", get(dashboard::dashboard::<S>))
        .route(
            "/report",
            get(reporting::choose_modality::<S>).post(reporting::report::<S>),
        )
        .route("/report/form", get(reporting::report_form::<S>))
        .route("/report/preview", post(reporting::preview::<S>))
        .route("/incidents", get(register::register_page::<S>))
        .route("/deadlines", get(register::deadlines_page::<S>))
        .route("/statistics", get(statistics::statistics_page::<S>))
        .route("/trends", get(statistics::trends_page::<S>))
        .route(
            "/statistics/committee.html",
            get(statistics::committee_html::<S>),
        )
        .route(
            "/statistics/committee.pdf",
            get(statistics::committee_pdf::<S>),
        )
        .route(
            "/deadlines/calendar",
            post(register::make_calendar_link::<S>),
        )
        .route("/incidents.csv", get(register::register_csv::<S>))
        .route("/incidents/{reference}", get(incident::incident_page::<S>))
        .route(
            "/incidents/{reference}/reported",
            get(reporting::reported::<S>),
        )
        .route(
            "/incidents/{reference}/edit",
            get(incident::edit_page::<S>).post(incident::edit::<S>),
        )
        .route(
            "/incidents/{reference}/identity",
            get(identity::identity_page::<S>).post(identity::save_identity::<S>),
        )
        .route(
            "/incidents/{reference}/causes",
            get(causes::causes_page::<S>).post(causes::save_causes::<S>),
        )
        .route(
            "/incidents/{reference}/send",
            post(sending::send_incident::<S>),
        )
        .route(
            "/incidents/{reference}/send-report",
            post(sending::send_report::<S>),
        )
        .route(
            "/incidents/{reference}/send-licence-breach",
            post(sending::send_licence_breach::<S>),
        )
        .route(
            "/incidents/{reference}/theme",
            get(themes::theme_page::<S>).post(themes::decide_theme::<S>),
        )
        .route(
            "/incidents/{reference}/report",
            get(investigation_report::report_page::<S>)
                .post(investigation_report::save_report::<S>),
        )
        .route(
            "/incidents/{reference}/report.html",
            get(investigation_report::report_html::<S>),
        )
        .route(
            "/incidents/{reference}/report.pdf",
            get(investigation_report::report_pdf::<S>),
        )
        .route(
            "/incidents/{reference}/tasks/{id}",
            post(tasks::task_step::<S>),
        )
        .route("/incidents/{reference}/steps", post(incident::step::<S>))
        .route(
            "/incidents/{reference}/comments",
            post(incident::comment::<S>),
        )
        .route(
            "/incidents/{reference}/notification",
            get(notification::notification::<S>),
        )
        .route("/admin", get(admin::admin_page::<S>))
        .route("/admin/places", get(admin::places::places_page::<S>))
        .route("/admin/sites", post(admin::places::add_site::<S>))
        .route(
            "/admin/departments",
            post(admin::places::add_department::<S>),
        )
        .route(
            "/admin/settings",
            get(admin::settings::settings_page::<S>).post(admin::settings::change_settings::<S>),
        )
        .route(
            "/admin/hospital-numbers",
            get(admin::settings::masks_page::<S>).post(admin::settings::change_masks::<S>),
        )
        .route(
            "/admin/activity",
            get(admin::settings::activity_page::<S>).post(admin::settings::change_activity::<S>),
        )
        .route(
            "/admin/licences",
            get(admin::settings::licences_page::<S>).post(admin::settings::change_licences::<S>),
        )
        .route(
            "/admin/authority",
            get(admin::settings::authority_page::<S>).post(admin::settings::change_authority::<S>),
        )
        .route("/admin/tokens", get(admin::tokens_page::<S>))
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

pub fn show(p: &PageUser, title: &str, section: Section, body: Markup) -> Response {
    show_as(p, StatusCode::OK, title, section, body)
}

/// A page for the signed-in user with another status (422 with errors).
pub fn show_as(
    p: &PageUser,
    status: StatusCode,
    title: &str,
    section: Section,
    body: Markup,
) -> Response {
    respond(status, page(title, section, Some(p.who()), body))
}

pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A path segment, percent-encoded.
pub fn enc(segment: &str) -> String {
    form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

/// The text with its first letter a capital.
pub fn capital(text: &str) -> String {
    let mut c = text.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn status_words(s: IncidentStatus) -> &'static str {
    match s {
        IncidentStatus::Reported => "Reported",
        IncidentStatus::Investigating => "Investigating",
        IncidentStatus::Notified => "Notified",
        IncidentStatus::ReportSent => "Report sent",
        IncidentStatus::Closed => "Closed",
        IncidentStatus::ClosedLocally => "Closed locally",
    }
}

/// The organisation's sites and departments, for naming an incident's or a
/// user's department.
pub(super) use irmer_store::accounts::Places;

/// 200, or 422 when a form comes back with errors.
pub fn status_of(errors: &[(String, String)]) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}
