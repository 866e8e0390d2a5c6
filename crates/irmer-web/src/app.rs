//! The server's state and who is calling: an API token (`Authorization:
//! Bearer …`) for the JSON API, a session cookie for the pages.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use irmer_store::Store;
use irmer_store::accounts::{AccountStore, Accounts, Action, Role, User};
use irmer_store::register::{IncidentRecord, Register, RegisterError};

use crate::Problem;

/// Everything a handler needs.
#[derive(Clone)]
pub struct App<S> {
    pub register: Register<S>,
    pub accounts: Accounts<S>,
    /// Mark cookies `Secure` (the default; turn off only for plain HTTP on
    /// a name other than localhost).
    pub secure_cookies: bool,
    /// Reverse proxies in front of irmer whose `X-Forwarded-For` is
    /// believed (for the sign-in lock-out's client address). Empty: the
    /// header is ignored, since anyone can send it.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Secrets waiting to be shown once after a redirect.
    pub shown_once: crate::shown_once::ShownOnce,
    /// `Some` when this is an enforcing authority's register (`irmer
    /// authority serve`): its menu, its names for the roles.
    pub authority: Option<irmer_core::assessment::EnforcingAuthority>,
}

impl<S: Store + AccountStore> App<S> {
    pub fn new(register: Register<S>) -> Self {
        let accounts = Accounts::new(register.store().clone());
        App {
            register,
            accounts,
            secure_cookies: true,
            trusted_proxies: Vec::new(),
            shown_once: crate::shown_once::ShownOnce::default(),
            authority: None,
        }
    }

    /// Applies the settings an administrator stored (they win over the
    /// command line's defaults).
    pub async fn load_settings(&self) -> Result<(), irmer_store::StoreError> {
        if let Some(age) = self
            .accounts
            .store()
            .setting("child_age_under")
            .await?
            .and_then(|v| v.parse::<u8>().ok())
            .filter(|v| irmer_core::Settings::CHILD_AGE_RANGE.contains(v))
        {
            self.register.set_settings(irmer_core::Settings {
                child_age_under: age,
            });
        }
        self.register.load_task_days().await
    }

    /// An incident for `action`: refused when the user's role does not
    /// allow the action (before the register is read, so that the answer
    /// tells nothing of the incident), then "not found" when it is outside
    /// the user's scope, so that its existence is not told either. The one
    /// order of checks for the pages and the API.
    pub async fn incident_for(
        &self,
        user: &User,
        reference: &str,
        action: Action,
    ) -> Result<IncidentRecord, Refused> {
        if !user.may(action) {
            return Err(Refused::Role(user.role, action));
        }
        Ok(self.register.get_in(reference, user.scope()).await?)
    }
}

/// Why [`App::incident_for`] gave no incident.
#[derive(Debug)]
pub enum Refused {
    /// The user's role does not allow the action.
    Role(Role, Action),
    /// Not found in the user's scope, or the register failed.
    Register(RegisterError),
}

impl From<RegisterError> for Refused {
    fn from(e: RegisterError) -> Self {
        Refused::Register(e)
    }
}

impl From<Refused> for Problem {
    fn from(r: Refused) -> Self {
        match r {
            Refused::Role(role, action) => forbidden(role, action),
            Refused::Register(e) => e.into(),
        }
    }
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "irmer_session";
/// The sign-in form's own CSRF cookie (there is no session yet).
pub const SIGN_IN_COOKIE: &str = "irmer_sign_in";

/// A cookie's value from the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Secure unless turned off.
pub fn set_cookie(name: &str, value: &str, max_age_seconds: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// An API caller, from its bearer token.
pub struct ApiUser(pub User);

impl<S: Store + AccountStore> FromRequestParts<App<S>> for ApiUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App<S>) -> Result<Self, Response> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let unauthorised = |detail: &str| {
            let mut r = Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
                detail.to_owned(),
            )
            .into_response();
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"irmer\""),
            );
            r
        };
        let Some(token) = token else {
            return Err(unauthorised(
                "send a personal API token as `Authorization: Bearer …` (`irmer token create NAME` makes one)",
            ));
        };
        match app.accounts.token_user(token).await {
            Ok(Some(user)) => Ok(ApiUser(user)),
            Ok(None) => Err(unauthorised(
                "this token is unknown, revoked, or its user is disabled",
            )),
            Err(e) => Err(Problem::from(RegisterError::from(e)).into_response()),
        }
    }
}

/// Refuses what the user's role does not allow.
pub fn allow(user: &User, action: Action) -> Result<(), Problem> {
    if user.may(action) {
        Ok(())
    } else {
        Err(forbidden(user.role, action))
    }
}

fn forbidden(role: Role, action: Action) -> Problem {
    Problem::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Not allowed for this role",
        format!(
            "a user with the role {} may not {}",
            role.as_str(),
            action_words(action)
        ),
    )
}

pub const fn action_words(action: Action) -> &'static str {
    match action {
        Action::See => "see incidents",
        Action::Report => "record incidents",
        Action::Comment => "comment on incidents",
        Action::Investigate => "change incidents or record their steps",
        Action::Administer => "administer users, departments or settings",
        Action::HandleIdentity => "see or change who an incident is about",
    }
}

/// The client's address (IP only), as the accept loop saw it: what failed
/// passwords are counted under. `unknown` when the server did not say.
pub struct ClientAddress(pub String);

impl<S: Store + AccountStore> FromRequestParts<App<S>> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &App<S>) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientAddress(match peer {
            Some(peer) => client_address(peer, &parts.headers, &app.trusted_proxies).to_string(),
            None => "unknown".to_owned(),
        }))
    }
}

/// The client's address: the connection's peer, or, when the peer is a
/// trusted proxy, the nearest address in `X-Forwarded-For` (read from the
/// right) that is not itself a trusted proxy. Entries left of that one
/// were written by the client and are not believed; a header that cannot
/// be read leaves the peer.
pub fn client_address(
    peer: std::net::IpAddr,
    headers: &HeaderMap,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|hop| hop.trim().parse::<std::net::IpAddr>())
        .collect::<Vec<_>>();
    let mut client = peer;
    while let Some(hop) = hops.pop() {
        match hop {
            Ok(ip) if trusted.contains(&ip) => client = ip,
            Ok(ip) => return ip,
            Err(_) => return client,
        }
    }
    client
}

/// A signed-in person on a page: the user, the session's id and its CSRF
/// token. Without a session, the page redirects to the sign-in page; with
/// a one-time password, to the password change.
pub struct PageUser {
    pub user: User,
    pub session_id: String,
    pub csrf: String,
    /// The register's enforcing authority, when it is one's.
    pub authority: Option<irmer_core::assessment::EnforcingAuthority>,
}

impl PageUser {
    pub fn who(&self) -> crate::html::Who<'_> {
        crate::html::Who {
            user: &self.user,
            csrf: &self.csrf,
            authority: self.authority,
        }
    }
}

impl<S: Store + AccountStore> FromRequestParts<App<S>> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App<S>) -> Result<Self, Response> {
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let to_sign_in = || {
            let next: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
            Redirect::to(&format!("/sign-in?next={next}")).into_response()
        };
        let Some(id) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_sign_in());
        };
        match app.accounts.session(id, app.register.now()).await {
            Ok(Some((session, user))) => {
                let changing =
                    parts.uri.path() == "/account/password" || parts.uri.path() == "/sign-out";
                if user.must_change_password && !changing {
                    return Err(Redirect::to("/account/password").into_response());
                }
                Ok(PageUser {
                    user,
                    session_id: id.to_owned(),
                    csrf: session.csrf,
                    authority: app.authority,
                })
            }
            Ok(None) => Err(to_sign_in()),
            Err(e) => Err(Problem::from(RegisterError::from(e)).into_response()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::client_address;
    use axum::http::HeaderMap;
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().expect("header"));
        }
        h
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let proxy = ip("10.0.0.2");
        let trusted = [proxy, ip("10.0.0.3")];
        let h = forwarded(&["198.51.100.7, 203.0.113.9"]);
        // Not from the proxy: the peer, whatever the header says.
        assert_eq!(
            client_address(ip("203.0.113.50"), &h, &trusted),
            ip("203.0.113.50")
        );
        assert_eq!(client_address(proxy, &h, &[]), proxy);
        // From the proxy: the rightmost hop, never what the client wrote
        // to its left.
        assert_eq!(client_address(proxy, &h, &trusted), ip("203.0.113.9"));
        // Through two trusted proxies, on two header lines.
        let h = forwarded(&["198.51.100.7", "203.0.113.9, 10.0.0.3"]);
        assert_eq!(client_address(proxy, &h, &trusted), ip("203.0.113.9"));
        // No header, or a hop that is not an address: the nearest known.
        assert_eq!(client_address(proxy, &HeaderMap::new(), &trusted), proxy);
        let h = forwarded(&["203.0.113.9, garbage, 10.0.0.3"]);
        assert_eq!(client_address(proxy, &h, &trusted), ip("10.0.0.3"));
        let h = forwarded(&["2001:db8::1"]);
        assert_eq!(client_address(proxy, &h, &trusted), ip("2001:db8::1"));
    }
}
