//! An incident's tasks on its page and the dashboard: listed with their
//! state, done, refused by field, and for investigators only.

use crate::helpers::*;
use serde_json::json;

crate::on_both_backends!(tasks_are_shown_and_done_on_the_incident_page);
crate::on_both_backends!(an_administrator_sets_the_days_to_a_due_date);

/// Administration > Settings: the days from discovery to each kind's due
/// date, checked by field, for the tasks made from then on.
fn an_administrator_sets_the_days_to_a_due_date(server: &Server) {
    let mut admin = signed_in(server, "admin");
    let settings = |days: &'static str| {
        [
            ("child_age_under", "18"),
            ("default_nation", "england"),
            ("task_days_duty-of-candour", days),
        ]
    };
    for bad in ["0", "366", "ten"] {
        let r = admin.post("/admin/settings", &settings(bad));
        assert_eq!(r.status, 422, "{bad}");
        assert!(
            r.body.contains(
                "<a href=\"#f-task-days-duty-of-candour\">Apply the duty of candour: enter a whole number of days from 1 to 365"
            ),
            "{}",
            r.body
        );
    }
    let r = admin.post("/admin/settings", &settings("10"));
    let (_, page) = follow(&mut admin, &r);
    assert!(
        page.body
            .contains("name=\"task_days_duty-of-candour\" value=\"10\"")
            && page
                .body
                .contains("name=\"task_days_inform-referrer\" value=\"14\""),
        "{}",
        page.body
    );
    assert!(
        admin
            .get("/admin/audit")
            .body
            .contains("duty-of-candour=10")
    );
    let mut incident = irmer_store::testsuite::ct("PT-2", "2026-02-20");
    incident["clinically_significant"] = json!(true);
    let r = server.api("admin", "POST", "/api/v1/incidents", &incident.to_string());
    assert_eq!(r.status, 201, "{}", r.body);
    let tasks = server
        .api("admin", "GET", "/api/v1/tasks?incident=PT-2", "")
        .json();
    let due = |kind: &str| {
        tasks["items"]
            .as_array()
            .and_then(|items| items.iter().find(|t| t["kind"] == kind))
            .map(|t| t["due"].clone())
    };
    assert_eq!(due("duty-of-candour"), Some(json!("2026-03-02")), "{tasks}");
    assert_eq!(due("inform-referrer"), Some(json!("2026-03-06")), "{tasks}");

    // Assigned to a user: an unknown one refused on the field; the
    // administrator, shown as the owner and in the history.
    let id = tasks["items"][0]["id"].as_i64().expect("id");
    let form = format!("/incidents/PT-2/tasks/{id}");
    let assign = |to: &'static str| {
        [
            ("task", id.to_string()),
            ("action", "assign".into()),
            ("owner", to.into()),
        ]
    };
    let r = admin.post(
        &form,
        &assign("nobody").each_ref().map(|(k, v)| (*k, v.as_str())),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body
            .contains(&format!("<a href=\"#f-task-owner-{id}\">No user is named")),
        "{}",
        r.body
    );
    let r = admin.post(
        &form,
        &assign("admin").each_ref().map(|(k, v)| (*k, v.as_str())),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = admin.get("/incidents/PT-2").body;
    assert!(page.contains("Task assigned"), "{page}");
    assert!(page.contains("<option value=\"admin\" selected>"), "{page}");
    assert_eq!(
        page.matches("owner: the investigators").count(),
        tasks["items"].as_array().map_or(0, Vec::len) - 1
    );
}

fn tasks_are_shown_and_done_on_the_incident_page(server: &Server) {
    let mut incident = irmer_store::testsuite::ct("PT-1", "2026-02-20");
    incident["clinically_significant"] = json!(true);
    let r = server.api("admin", "POST", "/api/v1/incidents", &incident.to_string());
    assert_eq!(r.status, 201, "{}", r.body);
    let tasks = server
        .api("admin", "GET", "/api/v1/tasks?incident=PT-1", "")
        .json();
    let first = tasks["items"][0]["id"].as_i64().expect("id");
    let second = tasks["items"][1]["id"].as_i64().expect("id");
    let mut admin = signed_in(server, "admin");
    let page = admin.get("/incidents/PT-1");
    assert!(
        page.body.contains("What this decision obliges")
            && page.body.contains("Inform the referrer")
            && page.body.contains("Apply the duty of candour"),
        "{}",
        page.body
    );
    // On the dashboard, the open ones.
    let dashboard = admin.get("/").body;
    assert!(
        dashboard.contains("PT-1</a>: Inform the referrer"),
        "{dashboard}"
    );
    // Done.
    let form = format!("/incidents/PT-1/tasks/{first}");
    let r = admin.post(
        &form,
        &[
            ("task", &first.to_string()),
            ("action", "done"),
            ("date", "2026-02-25"),
            ("note", "Told by telephone."),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = admin.get("/incidents/PT-1?task=1").body;
    assert!(page.contains("Task saved.") && page.contains("done 25 February 2026"));
    assert!(page.contains("Told by telephone."));
    // Done again, a date before discovery, not needed without a reason:
    // refused by field, nothing written.
    let r = admin.post(&form, &[("task", &first.to_string()), ("action", "done")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("already done"), "{}", r.body);
    let other = format!("/incidents/PT-1/tasks/{second}");
    let r = admin.post(
        &other,
        &[
            ("task", &second.to_string()),
            ("action", "done"),
            ("date", "2026-01-01"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains(&format!("href=\"#f-task-date-{second}\"")),
        "{}",
        r.body
    );
    let r = admin.post(
        &other,
        &[("task", &second.to_string()), ("action", "not-needed")],
    );
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains(&format!("href=\"#f-task-note-{second}\"")),
        "{}",
        r.body
    );
    // Another incident's task through this one's address: not found.
    let r = admin.post("/incidents/PT-1/tasks/99999", &[("action", "done")]);
    assert_eq!(r.status, 404);
    // A reporter may not (the role is checked before the register is
    // read, so the answer tells nothing of the incident).
    let mut rep = signed_in(server, "rep");
    assert_eq!(rep.post(&other, &[("action", "done")]).status, 403);
    let open = server
        .api("admin", "GET", "/api/v1/tasks?open=true&incident=PT-1", "")
        .json();
    assert_eq!(open["items"].as_array().expect("items").len(), 3);
}
