//! API tokens: made on the account page and shown once; listed without
//! the token; revoked by their holder or an administrator, no one else.

use crate::helpers::*;

crate::on_both_backends!(api_tokens);

fn api_tokens(server: &Server) {
    let mut rep = signed_in(server, "rep");
    let mut rep2 = signed_in(server, "rep2");
    let mut aud = signed_in(server, "aud");
    let mut admin = signed_in(server, "admin");
    // API tokens: made on the account page and shown once; listed without
    // the token; revoked by their holder or an administrator, no one else.
    let r = rep.post("/account/tokens", &[("label", " ")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("href=\"#f-label\""), "{}", r.body);
    let r = rep.post("/account/tokens", &[("label", "my script")]);
    let (shown_at, r) = follow(&mut rep, &r);
    let token = r
        .body
        .split("id=\"new-token\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the new token")
        .to_owned();
    assert!(token.starts_with("irmer_"), "{token}");
    // Shown once: reloading the page shows it no more, and it is never
    // in the address.
    assert!(!shown_at.contains(&token), "{shown_at}");
    let again = rep.get(&shown_at).body;
    assert!(
        !again.contains(&token) && again.contains("shown already"),
        "{again}"
    );
    let api_status = |token: &str| {
        let auth = format!("Bearer {token}");
        request(
            server.addr,
            "GET",
            "/api/v1/incidents",
            &[("Authorization", &auth)],
            "",
        )
        .expect("request")
        .status
    };
    assert_eq!(api_status(&token), 200);
    let listing = rep.get("/account/tokens").body;
    assert!(listing.contains("my script") && !listing.contains(&token));
    let form_after = |page: &str, start: &str, row: &str| {
        page.split(start)
            .nth(1)
            .and_then(|rest| rest.split(row).nth(1))
            .and_then(|rest| rest.split("action=\"").nth(1))
            .and_then(|rest| rest.split('"').next())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no form after {row}"))
    };
    let revoke = form_after(&listing, "<tbody>", "<td>my script</td>");
    assert!(revoke.ends_with("/revoke"), "{revoke}");
    assert_eq!(
        rep2.post(&revoke, &[]).status,
        404,
        "not another reporter's"
    );
    assert_eq!(aud.post(&revoke, &[]).status, 404, "not the auditor's");
    assert_eq!(rep.send("POST", &revoke, &[]).status, 403, "no CSRF token");
    assert_eq!(api_status(&token), 200);
    let r = rep.post(&revoke, &[]);
    assert_eq!(r.header("location"), Some("/account/tokens?revoked=1"));
    assert_eq!(api_status(&token), 401);
    assert!(
        rep.get("/account/tokens?revoked=1")
            .body
            .contains("Revoked")
    );
    // The administrator sees every live token and revokes rep2's.
    assert_eq!(
        server.api("rep2", "GET", "/api/v1/incidents", "").status,
        200
    );
    let listing = admin.get("/admin/tokens").body;
    let section = listing
        .split("API tokens</h1>")
        .nth(1)
        .expect("the tokens page");
    assert!(section.contains("<td>rep2</td>"), "{section}");
    assert!(
        !section.contains("my script"),
        "a revoked token is not listed"
    );
    assert!(
        admin
            .get("/admin/audit")
            .body
            .contains("revoke-token of rep (my script"),
        "audited"
    );
    let revoke = form_after(&listing, "API tokens</h1>", "<td>rep2</td>");
    let r = admin.post(&revoke, &[("back", "admin")]);
    let (_, r) = follow(&mut admin, &r);
    assert!(r.body.contains("is revoked"), "{}", r.body);
    assert_eq!(
        server.api("rep2", "GET", "/api/v1/incidents", "").status,
        401
    );
}
