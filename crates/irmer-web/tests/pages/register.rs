//! The register's page: filters, the CSV of what is shown, a bad filter
//! named on its field.

use crate::helpers::*;

crate::on_both_backends!(the_register_filters_and_exports);

fn the_register_filters_and_exports(server: &Server) {
    let mut rep = signed_in(server, "rep");
    let reference = report(&mut rep);
    let mut aud = signed_in(server, "aud");
    // The register: filters, CSV of what is shown, a bad filter named.
    let list = aud.get("/incidents?modality=ct&status=reported");
    assert!(list.body.contains(&reference));
    assert!(
        !aud.get("/incidents?modality=dental")
            .body
            .contains(&reference)
    );
    let csv = aud.get("/incidents.csv?modality=ct");
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv.body.starts_with("reference,status,nation,modality"));
    assert!(
        csv.body.contains(&format!(
            "{reference},reported,england,ct,unintended,2026-02-26"
        )),
        "{}",
        csv.body
    );
    let bad = aud.get("/incidents?discovered_from=yesterday");
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("href=\"#f-discovered-from\""),
        "{}",
        bad.body
    );
    // Search (the description, any case) and the department: shown on each
    // row, and a filter.
    let found = aud.get("/incidents?q=WRONG+PROTOCOL");
    assert!(found.body.contains(&reference), "{}", found.body);
    assert!(
        found.body.contains("Radiology (Royal Infirmary)"),
        "the department on its row: {}",
        found.body
    );
    assert!(
        !aud.get("/incidents?q=scanned+twice")
            .body
            .contains(&reference)
    );
    let form = aud.get("/incidents").body;
    let id_of = |name: &str| {
        form.split(&format!(">{name} (Royal Infirmary)<"))
            .next()
            .and_then(|before| before.rsplit("value=\"").next())
            .and_then(|rest| rest.split('"').next())
            .expect("a department option")
            .to_owned()
    };
    let (radiology, radiotherapy) = (id_of("Radiology"), id_of("Radiotherapy"));
    assert!(
        aud.get(&format!("/incidents?department={radiology}"))
            .body
            .contains(&reference)
    );
    assert!(
        !aud.get(&format!("/incidents?department={radiotherapy}"))
            .body
            .contains(&reference)
    );
    let r = aud.get("/incidents?department=radiology");
    assert_eq!(r.status, 400, "{}", r.body);
    // An unknown code and dates back to front are named, not an empty
    // list; nothing matching says so; a huge offset does not wrap.
    let r = aud.get("/incidents?code=9.9z");
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains("href=\"#f-code\"") && r.body.contains("notification code"),
        "{}",
        r.body
    );
    let r = aud.get("/incidents?discovered_from=2026-03-01&discovered_to=2026-02-01");
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains("href=\"#f-discovered-to\"") && r.body.contains("on or after"),
        "{}",
        r.body
    );
    let r = aud.get("/incidents?modality=dental");
    assert!(
        r.body.contains("No incidents match these filters.") && !r.body.contains("Showing"),
        "{}",
        r.body
    );
    let r = aud.get("/incidents?offset=18446744073709551615");
    assert_eq!(r.status, 200);
    assert!(
        !r.body.contains("18446744073709551615") && !r.body.contains("Showing"),
        "{}",
        r.body
    );
    assert_eq!(
        server
            .api(
                "aud",
                "GET",
                "/api/v1/incidents?offset=18446744073709551615",
                ""
            )
            .status,
        400
    );
}

crate::on_both_backends!(the_deadlines_page);

/// The clocks still running, overdue first, for the user's scope only
/// (the test server's today is 2026-03-01).
fn the_deadlines_page(server: &Server) {
    let mut rep = signed_in(server, "rep");
    let on = |day: &'static str| -> Vec<(&'static str, &'static str)> {
        CT.iter()
            .map(|(k, v)| {
                if *k == "discovered" {
                    (*k, day)
                } else {
                    (*k, *v)
                }
            })
            .collect()
    };
    let mut reported = |day: &'static str| {
        let r = rep.post("/report", &on(day));
        assert_eq!(r.status, 303, "{}", r.body);
        r.header("location")
            .expect("location")
            .trim_start_matches("/incidents/")
            .trim_end_matches("/reported")
            .to_owned()
    };
    let late = reported("2026-02-10"); // notify by 24 February: overdue
    let soon = reported("2026-02-20"); // notify by 6 March: this week
    let later = reported("2026-02-26"); // notify by 12 March
    let page = rep.get("/deadlines");
    assert_eq!(page.status, 200);
    let section = |title: &str| {
        page.body
            .split(&format!("<h2>{title}"))
            .nth(1)
            .and_then(|rest| rest.split("<h2>").next())
            .unwrap_or_default()
            .to_owned()
    };
    let (o, w, l) = (
        section("Overdue (1)"),
        section("Due in the next 7 days (1)"),
        section("Later (1)"),
    );
    assert!(o.contains(&late) && !o.contains(&soon), "{}", page.body);
    assert!(w.contains(&soon) && !w.contains(&later), "{}", page.body);
    assert!(l.contains(&later), "{}", page.body);
    assert!(
        page.body.contains("data-label=\"Deadlines\""),
        "stacks on a phone"
    );
    // Another department's reporter sees none of them.
    let other = signed_in(server, "rep2").get("/deadlines").body;
    for r in [&late, &soon, &later] {
        assert!(!other.contains(r.as_str()), "{other}");
    }
    // A calendar's secret address: the feed without signing in; it opens
    // nothing else, an API token does not open it, and it can be revoked.
    let made = rep.post("/deadlines/calendar", &[]);
    let (shown_at, made) = follow(&mut rep, &made);
    // Shown once, to its maker only.
    let again = rep.get(&shown_at).body;
    assert!(
        !again.contains("id=\"calendar-url\"") && again.contains("shown already"),
        "{again}"
    );
    let url = made
        .body
        .split("id=\"calendar-url\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the calendar's address")
        .to_owned();
    let path = format!(
        "/calendar/{}",
        url.split("/calendar/").nth(1).expect("path")
    );
    let feed = request(server.addr, "GET", &path, &[], "").expect("feed");
    assert_eq!(feed.status, 200, "{}", feed.body);
    assert_eq!(
        feed.header("content-type"),
        Some("text/calendar; charset=utf-8")
    );
    for r in [&late, &soon, &later] {
        assert!(
            feed.body.contains(&format!("UID:{r}-notify@irmer")),
            "{}",
            feed.body
        );
    }
    let token = path
        .trim_start_matches("/calendar/")
        .trim_end_matches(".ics")
        .to_owned();
    let bearer = format!("Bearer {token}");
    let api = request(
        server.addr,
        "GET",
        "/api/v1/incidents",
        &[("Authorization", &bearer)],
        "",
    )
    .expect("api");
    assert_eq!(api.status, 401, "a calendar address is not an API token");
    let r = rep.post("/account/tokens", &[("label", "script")]);
    let (_, r) = follow(&mut rep, &r);
    let api_token = r
        .body
        .split("id=\"new-token\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("an API token")
        .to_owned();
    for wrong in [
        format!("/calendar/{api_token}.ics"),
        format!("/calendar/{token}"),
        "/calendar/irmercal_0.ics".to_owned(),
    ] {
        let r = request(server.addr, "GET", &wrong, &[], "").expect("request");
        assert_eq!(r.status, 404, "{wrong}");
    }
    let listing = rep.get("/account/tokens").body;
    let revoke = listing
        .split("<td>Calendar feed (deadlines)</td>")
        .nth(1)
        .and_then(|rest| rest.split("action=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("the calendar's revoke form")
        .to_owned();
    assert_eq!(rep.post(&revoke, &[]).status, 303);
    let gone = request(server.addr, "GET", &path, &[], "").expect("feed");
    assert_eq!(gone.status, 404, "revoked");
}
