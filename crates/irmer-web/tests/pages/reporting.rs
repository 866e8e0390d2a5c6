//! Reporting an incident through the form: errors linked to their
//! fields, the incident page and dashboard after it; drafts.

use crate::helpers::*;

crate::on_both_backends!(
    a_reporter_records_an_incident,
    drafts_are_the_authors_own,
    what_a_local_incident_system_records
);

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
    // Sent whole, the answers are shown for a last look, with what irmer
    // makes of them, and nothing is recorded yet.
    let mut sent: Vec<(&str, &str)> = CT.iter().filter(|(k, _)| *k != "action").copied().collect();
    sent.push(("action", "submit"));
    let check = rep.post("/report", &sent);
    assert_eq!(check.status, 200, "{}", check.body);
    for text in [
        "Check your answers before sending the report",
        "<dt>Dose received (total)</dt><dd>6</dd>",
        "value=\"confirm\"",
        "Notifiable",
    ] {
        assert!(check.body.contains(text), "{text}: {}", check.body);
    }
    assert_eq!(hidden(&check.body, "dose.received"), "6");
    assert!(!rep.get("/").body.contains("IR-"), "nothing recorded yet");
    // Changing them goes back to the form with everything kept.
    let mut change = sent.clone();
    change.retain(|(k, _)| *k != "action");
    change.push(("action", "preview"));
    let back = rep.post("/report", &change);
    assert!(
        back.body
            .contains("id=\"f-dose-received\" name=\"dose.received\" value=\"6\""),
        "{}",
        back.body
    );
    // Sent: the confirmation says what happens next, who is told and when
    // the clocks run out.
    let reference = report(&mut rep);
    let done = rep.get(&format!("/incidents/{reference}/reported"));
    assert_eq!(done.status, 200);
    for text in [
        "Report sent",
        reference.as_str(),
        "Care Quality Commission must be told",
        "notify them by <strong>12 March 2026</strong>",
        "send them the investigation report by <strong>21 May 2026</strong>",
        "Who is told",
    ] {
        assert!(done.body.contains(text), "{text}: {}", done.body);
    }
    let mut rep2 = signed_in(server, "rep2");
    assert_eq!(
        rep2.get(&format!("/incidents/{reference}/reported")).status,
        404,
        "not another's"
    );
    let page = rep.get(&format!("/incidents/{reference}"));
    assert_eq!(page.status, 200);
    for text in [
        "Notifiable",
        "2.2",
        "Care Quality Commission",
        "Notify by",
        "12 March 2026",
        "discovered 26 February 2026",
        "<strong>2.2</strong> Unintended exposure, intended dose between 0.3 and 2.5 mSv",
        "tag criterion-met",
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

/// The fields a local incident system's user expects: a title, the time,
/// the immediate action; dates as day, month and year. Each kept with the
/// facts, searchable, and checked for identifiers like the description.
fn what_a_local_incident_system_records(server: &Server) {
    let mut rep = signed_in(server, "rep");
    let form = rep.get("/report/form?modality=ct").body;
    for name in [
        "discovered-day",
        "discovered-month",
        "discovered-year",
        "occurred_time",
        "title",
        "immediate_action",
    ] {
        assert!(form.contains(&format!("name=\"{name}\"")), "{name}");
    }
    // The description is asked before the dose.
    let at = |needle: &str| form.find(needle).unwrap_or(usize::MAX);
    assert!(at("name=\"description\"") < at("name=\"dose.received\""));
    let mut sent: Vec<(&str, &str)> = CT
        .iter()
        .filter(|(k, _)| *k != "discovered")
        .copied()
        .collect();
    sent.extend([
        ("discovered-day", "26"),
        ("discovered-month", "2"),
        ("discovered-year", "2026"),
        ("occurred-day", "25"),
        ("occurred-month", "2"),
        ("occurred-year", "2026"),
        ("occurred_time", "1415"),
        ("title", "Patient 943 476 5919 scanned twice"),
        ("immediate_action", "Radiologist reviewed the images."),
    ]);
    let r = rep.post("/report", &sent);
    assert_eq!(r.status, 422, "an NHS number in the title is refused");
    assert!(r.body.contains("href=\"#f-title\""), "{}", r.body);
    assert!(
        r.body.contains("name=\"discovered-day\" value=\"26\""),
        "the date is kept in its boxes: {}",
        r.body
    );
    sent.retain(|(k, _)| *k != "title");
    sent.push(("title", "CT head scanned twice"));
    let r = rep.post("/report", &sent);
    assert_eq!(r.status, 303, "{}", r.body);
    let reference = r
        .header("location")
        .expect("location")
        .trim_start_matches("/incidents/")
        .trim_end_matches("/reported")
        .to_owned();
    let facts = server
        .api("rep", "GET", &format!("/api/v1/incidents/{reference}"), "")
        .json();
    let incident = &facts["incident"];
    assert_eq!(incident["discovered"], "2026-02-26", "{facts}");
    assert_eq!(incident["occurred"], "2026-02-25");
    assert_eq!(incident["occurred_time"], "14:15");
    assert_eq!(incident["title"], "CT head scanned twice");
    assert_eq!(
        incident["immediate_action"],
        "Radiologist reviewed the images."
    );
    let found = rep.get("/incidents?q=scanned+twice").body;
    assert!(found.contains(&reference), "searched by title: {found}");
    // A user of the whole organisation places a report in a department;
    // anyone else's reports are their own department's, whatever is sent.
    let mut admin = signed_in(server, "admin");
    let choose = admin.get("/report").body;
    assert!(choose.contains("Where did it happen?"), "{choose}");
    assert!(!rep.get("/report").body.contains("Where did it happen?"));
    let mut placed: Vec<(&str, &str)> = CT.to_vec();
    placed.push(("department", "999"));
    let r = admin.post("/report", &placed);
    assert_eq!(r.status, 422, "an unknown department");
    placed.retain(|(k, _)| *k != "department");
    placed.push(("department", "2"));
    let r = admin.post("/report", &placed);
    let (_, done) = follow(&mut admin, &r);
    assert!(
        done.body
            .contains("The investigators of Radiotherapy (Royal Infirmary)"),
        "{}",
        done.body
    );
    let r = rep.post("/report", &placed);
    let (_, done) = follow(&mut rep, &r);
    assert!(
        done.body
            .contains("The investigators of Radiology (Royal Infirmary)"),
        "{}",
        done.body
    );
    // A 67-year-old is not asked about pregnancy (shown hidden).
    let mut old: Vec<(&str, &str)> = sent.clone();
    old.retain(|(k, _)| *k != "patient.age" && *k != "action");
    old.extend([("patient.age", "67"), ("action", "preview")]);
    let page = rep.post("/report", &old).body;
    assert!(
        page.contains("data-show-if=\"could-be-pregnant\" hidden"),
        "{page}"
    );
}
