//! What an attacker tried and must not get (issue 11): an open redirect
//! after sign-in, responses without the security headers, API tokens that
//! outlive a password reset, a reference that tells whether an incident
//! outside one's scope exists.

#[path = "common/mod.rs"]
mod common;

use common::sqlite as server;
use irmer_web::testclient::{Browser, Server, hidden, request};
use serde_json::json;

/// Signs in through the form with `next`; returns the redirect's target.
fn sign_in_to(server: &Server, next: &str) -> (u16, Option<String>) {
    let mut b = Browser::new(server.addr);
    let page = b.get("/sign-in");
    let csrf = hidden(&page.body, "csrf").expect("csrf");
    let r = b.send(
        "POST",
        "/sign-in",
        &[
            ("csrf", &csrf),
            ("next", next),
            ("username", "inv"),
            ("password", "password-inv"),
        ],
    );
    (r.status, r.header("location").map(str::to_owned))
}

#[test]
fn after_sign_in_only_a_path_on_this_site() {
    let server = server();
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\nSet-Cookie: x=1",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "/ /evil.example",
        "/\u{a0}/evil.example",
    ] {
        assert_eq!(
            sign_in_to(&server, next),
            (303, Some("/".to_owned())),
            "next = {next:?}"
        );
    }
    assert_eq!(
        sign_in_to(&server, "/incidents?status=reported&page=2"),
        (303, Some("/incidents?status=reported&page=2".to_owned()))
    );
    // The same rule on the sign-in page's own link.
    let mut b = Browser::new(server.addr);
    let page = b.get("/sign-in?next=%2F%09%2Fevil.example");
    assert_eq!(hidden(&page.body, "next").as_deref(), Some("/"));
}

#[test]
fn every_response_carries_the_security_headers() {
    let server = server();
    let r = server.api(
        "api-test",
        "POST",
        "/api/v1/incidents",
        &json!({"reference": "SEC-1", "nation": "england", "discovered": "2026-02-20",
            "modality": "ct", "exposure": "unintended", "errors": ["human"]})
        .to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let put = server.api(
        "api-test",
        "PUT",
        "/api/v1/incidents/SEC-1/identity",
        &json!({"patient": {"name": "Jane Smith"}}).to_string(),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    let mut signed = Browser::sign_in(server.addr, "admin", "password-admin").expect("sign in");
    let responses = [
        (
            "identity",
            server.api("api-test", "GET", "/api/v1/incidents/SEC-1/identity", ""),
        ),
        (
            "incident",
            server.api("api-test", "GET", "/api/v1/incidents/SEC-1", ""),
        ),
        (
            "a problem",
            server.api("api-test", "GET", "/api/v1/incidents/NONE", ""),
        ),
        (
            "no route",
            request(server.addr, "GET", "/nowhere", &[], "").expect("request"),
        ),
        (
            "healthz",
            request(server.addr, "GET", "/healthz", &[], "").expect("request"),
        ),
        (
            "sign-in page",
            request(server.addr, "GET", "/sign-in", &[], "").expect("request"),
        ),
        ("a page", signed.get("/incidents/SEC-1")),
        ("CSV", signed.get("/incidents.csv")),
    ];
    for (what, r) in &responses {
        for (name, value) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "same-origin"),
            ("cache-control", "no-store"),
        ] {
            assert_eq!(r.header(name), Some(value), "{name} on {what}");
        }
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("frame-ancestors 'none'"),
            "{what}: CSP {csp:?}"
        );
    }
    // A page may use this site's stylesheet; data may use nothing.
    let page_csp = responses[6].1.header("content-security-policy");
    assert!(page_csp.is_some_and(|c| c.contains("style-src 'self'")));
    let data_csp = responses[0].1.header("content-security-policy");
    assert!(data_csp.is_some_and(|c| c.starts_with("default-src 'none'")));
    // The stylesheet is cached, by its own choice.
    let css = request(server.addr, "GET", "/static/irmer.css", &[], "").expect("css");
    assert_eq!(css.header("cache-control"), Some("public, max-age=3600"));
    assert_eq!(css.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn a_password_reset_revokes_the_users_api_tokens() {
    let server = server();
    let before = server.api("api-test", "GET", "/api/v1/incidents", "");
    assert_eq!(before.status, 200);
    let mut admin = Browser::sign_in(server.addr, "admin", "password-admin").expect("sign in");
    let page = admin.get("/admin/users");
    let csrf = hidden(&page.body, "csrf").expect("csrf");
    let id = page
        .body
        .split("action=\"/admin/users/")
        .skip(1)
        .find(|chunk| chunk.contains("Role of api-test"))
        .and_then(|chunk| chunk.split('"').next())
        .expect("api-test's form")
        .to_owned();
    let r = admin.send(
        "POST",
        &format!("/admin/users/{id}"),
        &[("csrf", &csrf), ("action", "reset")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let shown = admin.get(r.header("location").expect("location"));
    assert!(
        shown.body.contains("API tokens are revoked"),
        "{}",
        shown.body
    );
    let after = server.api("api-test", "GET", "/api/v1/incidents", "");
    assert_eq!(after.status, 401, "the token outlived the reset");
}

#[test]
fn a_reference_does_not_tell_what_is_outside_ones_scope() {
    let server = server();
    // Taken by an incident that department 1's investigator cannot see.
    let r = server.api(
        "inv2",
        "POST",
        "/api/v1/incidents",
        &json!({"nation": "england", "discovered": "2026-02-20", "modality": "ct",
            "exposure": "unintended", "errors": ["human"]})
        .to_string(),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let taken = r.json()["reference"]
        .as_str()
        .expect("reference")
        .to_owned();
    assert_eq!(
        server
            .api("inv", "GET", &format!("/api/v1/incidents/{taken}"), "")
            .status,
        404
    );
    let create = |reference: &str| {
        let r = server.api(
            "inv",
            "POST",
            "/api/v1/incidents",
            &json!({"reference": reference, "nation": "england", "discovered": "2026-02-20",
                "modality": "ct", "exposure": "unintended", "errors": ["human"]})
            .to_string(),
        );
        (r.status, r.body.replace(reference, "REF"))
    };
    let (taken_status, taken_body) = create(&taken);
    let (free_status, free_body) = create("FREE-1");
    assert_eq!(taken_status, 422);
    assert_eq!(
        (taken_status, taken_body),
        (free_status, free_body),
        "a taken reference and a free one are answered alike"
    );
}

#[test]
fn a_date_in_the_future_is_refused_naming_the_field() {
    let server = server();
    let r = server.api(
        "api-test",
        "POST",
        "/api/v1/incidents",
        &json!({"nation": "england", "discovered": "2099-01-01", "modality": "ct",
            "exposure": "unintended", "errors": ["human"]})
        .to_string(),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["field"], "discovered");
    let mut rep = Browser::sign_in(server.addr, "rep", "password-rep").expect("sign in");
    let r = rep.post(
        "/report",
        &[
            ("modality", "ct"),
            ("action", "submit"),
            ("discovered", "2099-01-01"),
            ("nation", "england"),
            ("exposure", "unintended"),
            ("errors", "human"),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("href=\"#f-discovered\"") && r.body.contains("must be today"),
        "{}",
        r.body
    );
    assert!(!rep.get("/").body.contains("2099"), "nothing was stored");
}

#[test]
fn an_identifier_is_refused_where_it_is_typed() {
    let server = server();
    let description = "Mrs Alice Aardvark, NHS 943 476 5919, had the wrong CT.";
    let r = server.api(
        "api-test",
        "POST",
        "/api/v1/incidents",
        &json!({"nation": "england", "discovered": "2026-02-20", "modality": "ct",
            "exposure": "unintended", "errors": ["human"], "description": description})
        .to_string(),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["field"], "description");
    assert!(
        r.body.contains("NHS number") && !r.body.contains("943") && !r.body.contains("Aardvark"),
        "{}",
        r.body
    );
    let mut rep = Browser::sign_in(server.addr, "rep", "password-rep").expect("sign in");
    let r = rep.post(
        "/report",
        &[
            ("modality", "ct"),
            ("action", "submit"),
            ("discovered", "2026-02-20"),
            ("nation", "england"),
            ("exposure", "unintended"),
            ("errors", "human"),
            ("description", description),
        ],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("href=\"#f-description\"")
            && r.body.contains("name after a title at line 1, column 1"),
        "{}",
        r.body
    );
    let listed = server.api("api-test", "GET", "/api/v1/incidents", "");
    assert_eq!(listed.json()["items"], json!([]), "nothing was stored");
}

/// A browser whose requests a proxy marked as coming from `client`.
fn behind_proxy(server: &Server, client: &str) -> Browser {
    let mut b = Browser::new(server.addr);
    b.headers.push((
        "X-Forwarded-For".to_owned(),
        format!("198.51.100.1, {client}"),
    ));
    b
}

#[test]
fn behind_a_trusted_proxy_the_lock_out_counts_the_clients_address() {
    let start = |trusted: Vec<std::net::IpAddr>| {
        Server::start_with(
            || async {
                Some(
                    irmer_store_sqlite::SqliteStore::in_memory()
                        .await
                        .expect("SQLite"),
                )
            },
            move |app| app.trusted_proxies = trusted,
        )
        .expect("server")
    };
    // The test client is the proxy (127.0.0.1).
    let server = start(vec!["127.0.0.1".parse().expect("address")]);
    for _ in 0..5 {
        let refused = behind_proxy(&server, "203.0.113.5").sign_in_as("inv", "wrong");
        assert!(refused.is_err());
    }
    let locked = behind_proxy(&server, "203.0.113.5").sign_in_as("inv", "password-inv");
    assert!(locked.is_err(), "the guessing client is locked out");
    // Another client behind the same proxy is not.
    behind_proxy(&server, "203.0.113.6")
        .sign_in_as("inv", "password-inv")
        .expect("another client signs in");

    // Without a trusted proxy, the header is the client's own word: five
    // guesses under five made-up addresses lock the one real address.
    let server = start(Vec::new());
    for n in 0..5 {
        let refused = behind_proxy(&server, &format!("203.0.113.{n}")).sign_in_as("inv", "wrong");
        assert!(refused.is_err());
    }
    let locked = behind_proxy(&server, "203.0.113.99").sign_in_as("inv", "password-inv");
    assert!(
        locked.is_err(),
        "X-Forwarded-For from a stranger is not believed"
    );
}
