//! Reporting an incident through the form: errors linked to their
//! fields, the incident page and dashboard after it; drafts.

use crate::helpers::*;

crate::on_both_backends!(a_reporter_records_an_incident, drafts_are_the_authors_own);

fn a_reporter_records_an_incident(server: &Server) {
    // A reporter records an incident through the form.
    let mut rep = signed_in(server, "rep");
    let form = rep.get("/report/form?modality=ct");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("name=\"dose.received\""));
    assert!(
        !form.body.contains("verification."),
        "a CT form asks nothing about verification images"
    );
    let r = rep.post(
        "/report",
        &[
            ("modality", "ct"),
            ("action", "submit"),
            ("dose.received", "lots"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("href=\"#f-dose-received\""),
        "the error summary links to the field"
    );
    // Sent empty, the form names every answer it needs at once, in the
    // order of the form, each linked to its field.
    let r = rep.post("/report", &[("modality", "ct"), ("action", "submit")]);
    assert_eq!(r.status, 422);
    let summary = r
        .body
        .split("class=\"error-summary\"")
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .unwrap_or_default();
    let links: Vec<&str> = summary
        .split("href=\"#")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert_eq!(
        links,
        ["f-discovered", "f-nation", "f-exposure"],
        "{}",
        r.body
    );
    assert!(summary.contains("Enter the date the incident was discovered"));
    let reference = report(&mut rep);
    let page = rep.get(&format!("/incidents/{reference}?reported=1"));
    assert_eq!(page.status, 200);
    for text in [
        "Notifiable",
        "2.2",
        "Care Quality Commission",
        "Notify by",
        "12 March 2026",
        "discovered 26 February 2026",
        "wrong protocol selected",
    ] {
        assert!(
            page.body.contains(text),
            "{text} is not on the incident page"
        );
    }
    let dash = rep.get("/");
    assert!(
        dash.body.contains(&reference) && dash.body.contains("Notify: due in"),
        "{}",
        dash.body
    );
}

fn drafts_are_the_authors_own(server: &Server) {
    let mut rep = signed_in(server, "rep");
    let mut rep2 = signed_in(server, "rep2");
    // A draft: saved, listed on the dashboard and the report page for its
    // author only, opened filled in, gone once the report is sent.
    let mut half: Vec<(&str, &str)> = CT.iter().filter(|(k, _)| *k != "action").copied().collect();
    half.push(("action", "draft"));
    let r = rep.post("/report", &half);
    assert_eq!(r.status, 200, "{}", r.body);
    let draft = hidden(&r.body, "draft");
    let link = format!("/report/form?draft={draft}");
    for page in ["/", "/report"] {
        let body = rep.get(page).body;
        assert!(
            body.contains("Your saved drafts") && body.contains(&link),
            "{page}: {body}"
        );
    }
    assert!(
        !rep2.get("/").body.contains(&link),
        "not another reporter's"
    );
    assert_eq!(rep2.get(&link).status, 404);
    let form = rep.get(&link).body;
    assert!(
        form.contains("CT head repeated: wrong protocol selected."),
        "{form}"
    );
    let mut sent: Vec<(&str, &str)> = CT.to_vec();
    sent.push(("draft", &draft));
    assert_eq!(rep.post("/report", &sent).status, 303);
    assert!(!rep.get("/").body.contains("Your saved drafts"));
}
