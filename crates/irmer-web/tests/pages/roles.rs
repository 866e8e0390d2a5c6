//! Every role and scope rule on the pages (and the API beside them): what
//! a reporter, an adviser and an auditor may do, and that another
//! department sees nothing of an incident.

use crate::helpers::*;

crate::on_both_backends!(roles_and_scope);

fn roles_and_scope(server: &Server) {
    let mut rep = signed_in(server, "rep");
    let reference = report(&mut rep);
    // A reporter cannot change it, nor comment.
    assert_eq!(rep.get(&format!("/incidents/{reference}/edit")).status, 403);
    assert_eq!(
        rep.post(
            &format!("/incidents/{reference}/comments"),
            &[("comment", "x")]
        )
        .status,
        403
    );
    for page in [
        "/admin",
        "/admin/users",
        "/admin/users/1/one-time-password",
        "/admin/places",
        "/admin/settings",
        "/admin/hospital-numbers",
        "/admin/tokens",
        "/admin/audit",
    ] {
        assert_eq!(rep.get(page).status, 403, "{page}");
    }

    // Scope: another reporter and another department see nothing of it.
    let mut rep2 = signed_in(server, "rep2");
    assert_eq!(rep2.get(&format!("/incidents/{reference}")).status, 404);
    assert!(!rep2.get("/incidents").body.contains(&reference));
    let mut inv2 = signed_in(server, "inv2");
    assert_eq!(inv2.get(&format!("/incidents/{reference}")).status, 404);
    assert_eq!(
        server
            .api("inv2", "GET", &format!("/api/v1/incidents/{reference}"), "")
            .status,
        404
    );
    assert_eq!(
        server
            .api("rep2", "GET", &format!("/api/v1/incidents/{reference}"), "")
            .status,
        404
    );
    assert_eq!(
        server
            .api("rep", "GET", &format!("/api/v1/incidents/{reference}"), "")
            .status,
        200
    );

    // The adviser comments; a forged or missing CSRF token is refused.
    let mut adv = signed_in(server, "adv");
    let r = adv.send(
        "POST",
        &format!("/incidents/{reference}/comments"),
        &[("comment", "no token")],
    );
    assert_eq!(r.status, 403);
    let r = adv.send(
        "POST",
        &format!("/incidents/{reference}/comments"),
        &[("csrf", &"a".repeat(64)), ("comment", "forged")],
    );
    assert_eq!(r.status, 403);
    let r = adv.post(
        &format!("/incidents/{reference}/comments"),
        &[("comment", "Effective dose estimate agreed.")],
    );
    assert_eq!(r.status, 303);
    assert!(
        adv.get(&format!("/incidents/{reference}"))
            .body
            .contains("Effective dose estimate agreed.")
    );
    assert_eq!(adv.get(&format!("/incidents/{reference}/edit")).status, 403);

    // The auditor reads everything and changes nothing.
    let mut aud = signed_in(server, "aud");
    assert_eq!(aud.get(&format!("/incidents/{reference}")).status, 200);
    assert_eq!(aud.get("/report").status, 403);
    assert_eq!(aud.post("/report", CT).status, 403);
    assert_eq!(
        aud.post(
            &format!("/incidents/{reference}/comments"),
            &[("comment", "x")]
        )
        .status,
        403
    );
    assert_eq!(
        aud.post(
            &format!("/incidents/{reference}/steps"),
            &[("action", "start-investigation"), ("version", "1")]
        )
        .status,
        403
    );
    assert_eq!(aud.get("/admin").status, 403);
    let r = server.api(
        "aud",
        "POST",
        "/api/v1/incidents",
        &irmer_store::testsuite::ct("AUD-1", "2026-02-20").to_string(),
    );
    assert_eq!(r.status, 403);
    let r = server.api(
        "aud",
        "PATCH",
        &format!("/api/v1/incidents/{reference}"),
        r#"{"version": 3, "reason": "x", "patch": {"people": 2}}"#,
    );
    assert_eq!(r.status, 403);
}
