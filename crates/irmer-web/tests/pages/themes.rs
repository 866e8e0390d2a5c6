//! A possible theme (code M) on the incident page, the dashboard and its
//! own page; dismissed with a reason and not suggested again for the same
//! incidents; confirmed, and the assessment gains M.

use crate::helpers::*;

crate::on_both_backends!(a_theme_is_suggested_dismissed_and_confirmed);

const CAUSE: &str = "operator.pre-exposure-checks.wrong-protocol";

/// Reports the CT incident and codes its cause through the API.
fn coded(server: &Server, b: &mut Browser) -> String {
    let reference = report(b);
    let patch = format!(
        r#"{{"version": 1, "reason": "Causes found", "patch": {{"causes": ["{CAUSE}"]}}}}"#
    );
    let r = server.api(
        "inv",
        "PATCH",
        &format!("/api/v1/incidents/{reference}"),
        &patch,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    reference
}

fn a_theme_is_suggested_dismissed_and_confirmed(server: &Server) {
    let mut inv = signed_in(server, "inv");
    let mut rep = signed_in(server, "rep");
    let first = coded(server, &mut inv);
    // Alone, nothing is suggested.
    let page = inv.get(&format!("/incidents/{first}")).body;
    assert!(!page.contains("Possible theme"), "{page}");
    let second = coded(server, &mut inv);
    let page = inv.get(&format!("/incidents/{first}")).body;
    assert!(
        page.contains("1 other incident shares the cause <strong>Operator › Pre-exposure checks › Wrong protocol or settings selected</strong>"),
        "{page}"
    );
    assert!(page.contains(&format!("href=\"/incidents/{first}/theme\"")));
    // On the dashboard too, for an investigator.
    let dash = inv.get("/").body;
    assert!(dash.contains("<h2>Possible themes</h2>"), "{dash}");
    assert!(
        dash.contains(&format!("href=\"/incidents/{second}/theme\"")),
        "{dash}"
    );
    // A reporter neither sees the suggestion nor may decide it.
    assert!(!rep.get("/").body.contains("Possible themes"));
    let at = format!("/incidents/{first}/theme");
    assert_eq!(rep.get(&at).status, 403);
    // Another department's investigator is not told the incident exists.
    let mut inv2 = signed_in(server, "inv2");
    assert_eq!(inv2.get(&at).status, 404);

    let page = inv.get(&at).body;
    assert!(
        page.contains(&format!("<a href=\"/incidents/{second}\">{second}</a>")),
        "{page}"
    );
    let version = hidden(&page, "version");
    let decide = |b: &mut Browser, decision: &str, reason: &str, version: &str| {
        b.post(
            &at,
            &[
                ("version", version),
                ("cause", CAUSE),
                ("decision", decision),
                ("reason", reason),
            ],
        )
    };
    // Dismissing needs a reason; what was typed is kept.
    let r = decide(&mut inv, "dismiss", "", &version);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("href=\"#f-reason\""), "{}", r.body);
    let r = decide(
        &mut inv,
        "dismiss",
        "Different rooms, different staff",
        &version,
    );
    let (_, page) = follow(&mut inv, &r);
    assert!(page.body.contains("Theme dismissed."), "{}", page.body);
    assert!(
        page.body.contains("<strong>Theme dismissed</strong>"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("Review the possible theme"),
        "{}",
        page.body
    );
    // Not again for the same incidents: nothing left to decide.
    let version = crate::helpers::version(&mut inv, &first);
    let r = decide(&mut inv, "confirm", "A theme after all", &version);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("href=\"#f-cause\""), "{}", r.body);
    assert!(
        r.body.contains("No theme is suggested for the cause"),
        "{}",
        r.body
    );

    // A third incident with the cause brings it back, listing both.
    let third = coded(server, &mut inv);
    let page = inv.get(&at).body;
    assert!(page.contains(&format!(">{third}</a>")) && page.contains(&format!(">{second}</a>")));
    assert!(page.contains("Dismissed: Operator › Pre-exposure checks › Wrong protocol or settings selected, shared with"), "{page}");
    let version = hidden(&page, "version");
    let r = decide(
        &mut inv,
        "confirm",
        "Three wrong protocols in a month",
        &version,
    );
    let (_, page) = follow(&mut inv, &r);
    assert!(
        page.body
            .contains("Theme confirmed: the incident was assessed again."),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("<strong>Theme confirmed</strong>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Reason: Three wrong protocols in a month")
    );
    let api = server.api("inv", "GET", &format!("/api/v1/incidents/{first}"), "");
    assert!(api.body.contains("\"theme\":true"), "{}", api.body);
    assert!(api.body.contains("\"M"), "code M: {}", api.body);
    // The theme page now says so.
    assert!(
        inv.get(&at)
            .body
            .contains("already part of a confirmed theme")
    );
}
