//! Every form route refuses a post without the session's CSRF token.

use crate::helpers::*;

/// The form routes of `pages::routes` and `pages::account_routes` (which
/// it starts from), read from their source: each `.route` whose methods
/// include `post(`, but the sign-in (its token is a cookie of its own).
fn posted_routes() -> Vec<String> {
    let source = include_str!("../../src/pages/mod.rs");
    ["pub fn account_routes", "pub fn routes"]
        .into_iter()
        .flat_map(|function| {
            source
                .split(function)
                .nth(1)
                .and_then(|rest| rest.split("\n}\n").next())
                .expect("the routes function")
                .split(".route(")
                .skip(1)
                .filter(|call| call.contains("post("))
                .filter_map(|call| call.split('"').nth(1))
                .filter(|path| *path != "/sign-in")
                .map(str::to_owned)
        })
        .collect()
}

/// Every form is refused without the session's CSRF token (or with a
/// forged one) before its handler runs: 403 whatever the user's role, and
/// nothing changes.
#[test]
fn every_form_refuses_a_post_without_the_sessions_token() {
    let mut listed: Vec<String> = irmer_web::pages::FORM_ROUTES
        .iter()
        .map(|r| (*r).to_owned())
        .collect();
    let mut routed = posted_routes();
    listed.sort();
    routed.sort();
    assert_eq!(listed, routed, "FORM_ROUTES is not the router's list");

    let server = sqlite();
    let mut admin = signed_in(&server, "admin");
    let reference = report(&mut admin);
    let mut aud = signed_in(&server, "aud");
    // Answers that would be accepted with a token.
    let form: &[(&str, &str)] = &[
        ("action", "start-investigation"),
        ("version", "1"),
        ("comment", "A comment that must not be kept"),
        ("label", "a token"),
        ("name", "A new site"),
        ("username", "new.user"),
        ("display_name", "New User"),
        ("role", "reporter"),
        ("child_age_under", "16"),
        ("default_nation", "wales"),
        ("masks", "QQZ####"),
    ];
    for route in irmer_web::pages::FORM_ROUTES {
        let path = route
            .replace("{reference}", &reference)
            .replace("{id}", "1");
        let forged = "0".repeat(64);
        for (who, token) in [
            ("admin, no token", None),
            ("admin, a forged token", Some(forged.as_str())),
            ("auditor, no token", None),
        ] {
            let mut sent = form.to_vec();
            if let Some(t) = token {
                sent.push(("csrf", t));
            }
            let b = if who.starts_with("admin") {
                &mut admin
            } else {
                &mut aud
            };
            let r = b.send("POST", &path, &sent);
            assert_eq!(r.status, 403, "{route} ({who}): {}", r.body);
            assert!(
                r.body.contains("The form has expired"),
                "{route} ({who}): {}",
                r.body
            );
        }
    }
    // Nothing happened: the incident has only its report in its history,
    // no user, site or token was added, and the administrator is still
    // signed in.
    let history = server
        .api(
            "admin",
            "GET",
            &format!("/api/v1/incidents/{reference}/history"),
            "",
        )
        .json();
    assert_eq!(
        history["events"].as_array().map(Vec::len),
        Some(1),
        "{history}"
    );
    let mut pages = String::new();
    for path in [
        "/admin/users",
        "/admin/places",
        "/admin/tokens",
        "/admin/hospital-numbers",
    ] {
        let page = admin.get(path);
        assert_eq!(page.status, 200, "{path}");
        pages.push_str(&page.body);
    }
    for absent in ["new.user", "A new site", "a token", "QQZ####"] {
        assert!(!pages.contains(absent), "{absent} was saved");
    }
}
