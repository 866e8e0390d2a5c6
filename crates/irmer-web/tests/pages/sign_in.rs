//! Signing in and out: pages redirect without a session, the API says
//! 401; the sign-in form's token; `next` stays on this site.

use crate::helpers::*;

crate::on_both_backends!(signing_in_and_out);

fn signing_in_and_out(server: &Server) {
    // Nothing without signing in: pages redirect, the API says 401.
    let mut anon = Browser::new(server.addr);
    let r = anon.get("/incidents");
    assert_eq!(
        (r.status, r.header("location")),
        (303, Some("/sign-in?next=%2Fincidents"))
    );
    let r = request(server.addr, "GET", "/api/v1/incidents", &[], "").expect("request");
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").is_some());

    // Sign-in: a wrong password, a missing or forged CSRF token.
    let page = anon.get("/sign-in");
    let csrf = hidden(&page.body, "csrf");
    let r = anon.send(
        "POST",
        "/sign-in",
        &[("csrf", &csrf), ("username", "rep"), ("password", "wrong")],
    );
    assert_eq!(r.status, 401);
    assert!(
        r.body.contains("There is a problem") && r.body.contains("href=\"#f-username\""),
        "{}",
        r.body
    );
    let r = anon.send(
        "POST",
        "/sign-in",
        &[("username", "rep"), ("password", "password-rep")],
    );
    assert_eq!(r.status, 403, "no CSRF token");
    let r = anon.send(
        "POST",
        "/sign-in",
        &[
            ("csrf", &"0".repeat(64)),
            ("username", "rep"),
            ("password", "password-rep"),
        ],
    );
    assert_eq!(r.status, 403, "a forged CSRF token");
    // An open redirect is refused: `next` stays on this site.
    let r = anon.send(
        "POST",
        "/sign-in",
        &[
            ("csrf", &csrf),
            ("next", "//evil.example/"),
            ("username", "rep"),
            ("password", "password-rep"),
        ],
    );
    assert_eq!(r.header("location"), Some("/"));

    // Sign-out ends the session.
    let mut rep = signed_in(server, "rep");
    assert_eq!(rep.get("/").status, 200);
    let r = rep.post("/sign-out", &[]);
    assert_eq!(r.status, 303);
    assert_eq!(rep.get("/").status, 303);
}
