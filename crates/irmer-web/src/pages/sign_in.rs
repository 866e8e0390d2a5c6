//! Signing in and out, and changing one's password. The sign-in form has
//! no session yet: its CSRF token is a cookie of its own (a
//! double-submitted token), checked here; every other form is a
//! [`SignedForm`].

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use irmer_store::Store;
use irmer_store::accounts::{AccountError, AccountStore, SESSION_FOR, same_secret, secret};
use maud::html;

use super::{PageError, PageResult, SignedForm, capital, enc, see_other, show_as};
use crate::app::{
    App, ClientAddress, PageUser, SESSION_COOKIE, SIGN_IN_COOKIE, cookie, set_cookie,
};
use crate::form::Answers;
use crate::html::{Section, csrf_field, error_summary, field_id, page, respond};

pub(super) async fn sign_in_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let next = next_of(raw.as_deref());
    sign_in_form(&app, &headers, &next, &[], "", StatusCode::OK)
}

/// Where to go after signing in: a path on this site only, else `/`.
fn next_of(raw: Option<&str>) -> String {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned())
        .filter(|v| same_site_path(v))
        .unwrap_or_else(|| "/".to_owned())
}

/// A path on this site: `/` then visible ASCII only. No control character
/// or space (browsers drop tabs and newlines, so `/\t/evil.example` is
/// `//evil.example`), no `//` (another host) and no `\` (which browsers
/// read as `/`).
fn same_site_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

fn sign_in_form<S>(
    app: &App<S>,
    headers: &HeaderMap,
    next: &str,
    errors: &[(String, String)],
    username: &str,
    status: StatusCode,
) -> PageResult {
    // The sign-in form's CSRF token lives in a cookie of its own until
    // there is a session (a double-submitted token).
    let token = match cookie(headers, SIGN_IN_COOKIE) {
        Some(t) if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) => t.to_owned(),
        _ => secret()?,
    };
    let body = html! {
        div class="columns" {
            div {
                (error_summary(errors))
                h1 { "Sign in" }
                form method="post" action="/sign-in" novalidate {
                    input type="hidden" name="csrf" value=(token);
                    input type="hidden" name="next" value=(next);
                    @let user_error = errors.iter().find(|(f, _)| f == "username").map(|(_, m)| m);
                    div class={ "field" @if user_error.is_some() { " error" } } {
                        label for=(field_id("username")) { "Username" }
                        @if let Some(e) = user_error { span class="error-message" { span class="visually-hidden" { "Error: " } (e) } }
                        input type="text" id=(field_id("username")) name="username" value=(username) autocomplete="username" spellcheck="false" autocapitalize="none";
                    }
                    div class="field" {
                        label for=(field_id("password")) { "Password" }
                        input type="password" id=(field_id("password")) name="password" autocomplete="current-password";
                    }
                    button type="submit" { "Sign in" }
                }
            }
        }
    };
    let mut r = respond(status, page("Sign in", Section::None, None, body));
    if let Ok(v) = HeaderValue::from_str(&set_cookie(
        SIGN_IN_COOKIE,
        &token,
        3600,
        app.secure_cookies,
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

pub(super) async fn sign_in<S: Store + AccountStore>(
    State(app): State<App<S>>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let a = Answers::parse(&body);
    let next = next_of(Some(&format!("next={}", enc(a.get("next").unwrap_or("/")))));
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    let sent = a.get("csrf").unwrap_or_default();
    if expected.is_empty() || !same_secret(sent, expected) {
        return Err(PageError::new(
            StatusCode::FORBIDDEN,
            "The form has expired",
            "The sign-in form's security token is missing or wrong (are cookies allowed?). Open the sign-in page again.",
        ));
    }
    let username = a.get("username").unwrap_or_default().to_owned();
    let password =
        a.0.iter()
            .find(|(k, _)| k == "password")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
    match app
        .accounts
        .sign_in(&username, password, &address, app.register.now())
        .await
    {
        Ok((user, session)) => {
            let to = if user.must_change_password {
                "/account/password"
            } else {
                next.as_str()
            };
            Ok(with_session(&app, see_other(to), &session.id))
        }
        Err(e @ (AccountError::BadCredentials | AccountError::Locked(_))) => {
            let message = match e {
                AccountError::Locked(_) => capital(&e.to_string()),
                _ => "Enter a correct username and password. After 5 wrong tries in a row, sign-in to that username from this computer stops for 15 minutes.".to_owned(),
            };
            sign_in_form(
                &app,
                &headers,
                &next,
                &[("username".into(), message)],
                &username,
                StatusCode::UNAUTHORIZED,
            )
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn sign_out<S: Store + AccountStore>(
    State(app): State<App<S>>,
    SignedForm(p, _): SignedForm,
) -> PageResult {
    app.accounts.sign_out(&p.session_id).await?;
    let mut r = see_other("/sign-in");
    if let Ok(v) = HeaderValue::from_str(&set_cookie(SESSION_COOKIE, "", 0, app.secure_cookies)) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

pub(super) async fn password_page<S: Store + AccountStore>(
    State(_): State<App<S>>,
    p: PageUser,
) -> PageResult {
    Ok(password_form(&p, &[], StatusCode::OK))
}

fn password_form(p: &PageUser, errors: &[(String, String)], status: StatusCode) -> Response {
    let error_for = |f: &str| errors.iter().find(|(n, _)| n == f).map(|(_, m)| m.clone());
    let field = |name: &str, label: &str, hint: &str, autocomplete: &str| {
        let e = error_for(name);
        html! {
            div class={ "field" @if e.is_some() { " error" } } {
                label for=(field_id(name)) { (label) }
                @if !hint.is_empty() { span class="hint" id={ (field_id(name)) "-hint" } { (hint) } }
                @if let Some(e) = e { span class="error-message" { span class="visually-hidden" { "Error: " } (e) } }
                input type="password" id=(field_id(name)) name=(name) autocomplete=(autocomplete)
                    aria-describedby=[(!hint.is_empty()).then(|| format!("{}-hint", field_id(name)))];
            }
        }
    };
    let body = html! {
        (error_summary(errors))
        h1 { "Change your password" }
        @if p.user.must_change_password {
            div class="notice" { p { "You signed in with a one-time password. Choose your own password to go on." } }
        }
        p { "Signed in as " strong { (p.user.username) } " (" (p.user.role.label()) ")." }
        form method="post" action="/account/password" novalidate {
            (csrf_field(&p.csrf))
            (field("current_password", "Current password", "", "current-password"))
            (field("new_password", "New password", "At least 12 characters. A few unrelated words together are long and easy to remember.", "new-password"))
            (field("confirm_password", "New password again", "", "new-password"))
            button type="submit" { "Change password" }
        }
        p { a href="/account/tokens" { "Your API tokens" } }
    };
    show_as(p, status, "Change your password", Section::Account, body)
}

pub(super) async fn change_password<S: Store + AccountStore>(
    State(app): State<App<S>>,
    ClientAddress(address): ClientAddress,
    SignedForm(p, a): SignedForm,
) -> PageResult {
    let raw = |name: &str| {
        a.0.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (current, new, confirm) = (
        raw("current_password"),
        raw("new_password"),
        raw("confirm_password"),
    );
    if new != confirm {
        return Ok(password_form(
            &p,
            &[(
                "confirm_password".into(),
                "The two new passwords are not the same".into(),
            )],
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    match app
        .accounts
        .change_password(&p.user, &current, &new, &address, app.register.now())
        .await
    {
        Ok(session) => Ok(with_session(
            &app,
            see_other("/?changed=password"),
            &session.id,
        )),
        Err(AccountError::Invalid { field, message }) => {
            let field = if field == "password" {
                "new_password"
            } else {
                field
            };
            Ok(password_form(
                &p,
                &[(field.into(), capital(&message))],
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
        Err(e) => Err(PageError::from(e).for_user(&p)),
    }
}

/// The response with the new session's cookie.
fn with_session<S>(app: &App<S>, mut r: Response, session: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(&set_cookie(
        SESSION_COOKIE,
        session,
        SESSION_FOR.whole_seconds(),
        app.secure_cookies,
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}
