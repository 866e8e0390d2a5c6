//! The JSON API over real HTTP, on a server started on port 0 with a fresh
//! register, a test a feature, each on both backends (PostgreSQL when
//! IRMER_TEST_POSTGRES_URL is set; required in CI); the route list held
//! to the router and the OpenAPI document.

#[path = "common/mod.rs"]
mod common;

use common::sqlite;
use irmer_store::testsuite::ct;
use irmer_web::testclient::{Response, Server};
use serde_json::json;

fn call(server: &Server, method: &str, path: &str, body: &str) -> Response {
    server.api("api-test", method, path, body)
}

fn problem(r: &Response, status: u16, kind: &str) -> serde_json::Value {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "{}",
        r.body
    );
    let p = r.json();
    assert_eq!(
        p["type"],
        format!("https://irmer.invalid/problems/{kind}"),
        "{p}"
    );
    assert_eq!(p["status"], status);
    p
}

crate::on_both_backends!(
    recording_and_bad_input,
    changing_facts_and_the_history,
    steps_in_the_incidents_life,
    lists_deadlines_and_the_calendar,
    stateless_assessment,
    who_the_incident_is_about,
    causes_are_codes_of_the_taxonomy,
    statistics_and_trends,
    tasks_on_the_api,
);

fn recording_and_bad_input(addr: &Server) {
    let incident = ct("API-1", "2026-02-20").to_string();
    // Record.
    let r = call(addr, "POST", "/api/v1/incidents", &incident);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.header("location"), Some("/api/v1/incidents/API-1"));
    let rec = r.json();
    assert_eq!(
        (rec["version"].clone(), rec["status"].clone()),
        (json!(1), json!("reported"))
    );
    assert_eq!(rec["assessment"]["codes"], json!(["2.2"]));
    assert_eq!(
        rec["deadline_status"]["notify"],
        json!({"state": "open", "due": "2026-03-06", "days_left": 5})
    );
    assert_eq!(rec["original"], ct("API-1", "2026-02-20"));

    // Bad input gets a precise problem and changes nothing.
    let p = problem(
        &call(addr, "POST", "/api/v1/incidents", &incident),
        409,
        "duplicate-reference",
    );
    assert_eq!(p["field"], "reference");
    let p = problem(
        &call(
            addr,
            "POST",
            "/api/v1/incidents",
            "{\"nation\": \"england\",\n \"discovered\": }",
        ),
        400,
        "malformed-json",
    );
    assert!(
        p["detail"]
            .as_str()
            .expect("detail")
            .starts_with("line 2, column 16: not valid JSON"),
        "{p}"
    );
    let mut typo = ct("API-2", "2026-02-20");
    typo["dose"]["recieved"] = json!(3);
    let p = problem(
        &call(addr, "POST", "/api/v1/incidents", &typo.to_string()),
        422,
        "invalid-input",
    );
    assert_eq!(p["field"], "dose.recieved");
    problem(
        &call(addr, "GET", "/api/v1/incidents/API-2", ""),
        404,
        "not-found",
    );
}

fn changing_facts_and_the_history(addr: &Server) {
    let incident = ct("API-1", "2026-02-20").to_string();
    assert_eq!(
        call(addr, "POST", "/api/v1/incidents", &incident).status,
        201
    );
    // Change facts: the version is required and checked.
    let patch = json!({"reason": "age found in the notes", "patch": {"patient": {"age": 44, "age_group": null}}});
    let mut no_version = patch.clone();
    no_version
        .as_object_mut()
        .expect("object")
        .remove("version");
    problem(
        &call(
            addr,
            "PATCH",
            "/api/v1/incidents/API-1",
            &no_version.to_string(),
        ),
        428,
        "version-required",
    );
    let mut stale = patch.clone();
    stale["version"] = json!(9);
    let p = problem(
        &call(addr, "PATCH", "/api/v1/incidents/API-1", &stale.to_string()),
        409,
        "stale-version",
    );
    assert_eq!(p["current_version"], 1);
    let bad = json!({"version": 1, "reason": "x", "patch": {"modality": "xray"}});
    assert_eq!(
        problem(
            &call(addr, "PATCH", "/api/v1/incidents/API-1", &bad.to_string()),
            422,
            "invalid-input"
        )["field"],
        "modality"
    );
    let extra = json!({"version": 1, "reason": "x", "patch": {}, "colour": "red"});
    assert_eq!(
        problem(
            &call(addr, "PATCH", "/api/v1/incidents/API-1", &extra.to_string()),
            422,
            "invalid-input"
        )["field"],
        "colour"
    );
    let r = call(addr, "GET", "/api/v1/incidents/API-1", "");
    assert_eq!(
        (r.json()["version"].clone(), r.header("etag")),
        (json!(1), Some("\"1\"")),
        "nothing changed"
    );
    let mut good = patch.clone();
    good["version"] = json!(1);
    let r = call(addr, "PATCH", "/api/v1/incidents/API-1", &good.to_string());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["version"], 2);
    assert_eq!(r.json()["incident"]["patient"], json!({"age": 44}));

    // The history: who, when, what changed, why.
    let h = call(addr, "GET", "/api/v1/incidents/API-1/history", "").json();
    let events = h["events"].as_array().expect("events");
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["actor"], "api-test");
    assert_eq!(events[1]["reason"], "age found in the notes");
    assert_eq!(
        events[1]["changes"][0],
        json!({"field": "patient.age", "new": 44})
    );
}

fn steps_in_the_incidents_life(addr: &Server) {
    let incident = ct("API-1", "2026-02-20").to_string();
    assert_eq!(
        call(addr, "POST", "/api/v1/incidents", &incident).status,
        201
    );
    // A version is a whole number however written: the largest the
    // document allows, written as a float, is read (and stale), not refused.
    let r = call(
        addr,
        "POST",
        "/api/v1/incidents/API-1/steps",
        r#"{"version": 9007199254740991.0, "action": "start-investigation"}"#,
    );
    assert_eq!(r.status, 409, "{}", r.body);
    // Steps in the incident's life.
    let step = json!({"version": 1, "action": "record-notification", "date": "2026-02-27", "authority_reference": "CQC/123"});
    let r = call(
        addr,
        "POST",
        "/api/v1/incidents/API-1/steps",
        &step.to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()["milestones"],
        json!({"notified_on": "2026-02-27", "authority_reference": "CQC/123"})
    );
    assert_eq!(r.json()["deadline_status"]["notify"]["state"], "met");
    let close = json!({"version": 2, "action": "close", "date": "2026-02-28", "findings": "x"});
    assert_eq!(
        problem(
            &call(
                addr,
                "POST",
                "/api/v1/incidents/API-1/steps",
                &close.to_string()
            ),
            409,
            "invalid-step"
        )["field"],
        "action"
    );
    let no_date = json!({"version": 2, "action": "record-report-sent"});
    let p = problem(
        &call(
            addr,
            "POST",
            "/api/v1/incidents/API-1/steps",
            &no_date.to_string(),
        ),
        422,
        "invalid-input",
    );
    assert_eq!(p["field"], "date", "{p}");
    let bad_date = json!({"version": 2, "action": "record-report-sent", "date": "2026-02-30"});
    let p = problem(
        &call(
            addr,
            "POST",
            "/api/v1/incidents/API-1/steps",
            &bad_date.to_string(),
        ),
        422,
        "invalid-input",
    );
    assert_eq!(p["field"], "date", "{p}");
    let unknown = json!({"version": 2, "action": "teleport"});
    problem(
        &call(
            addr,
            "POST",
            "/api/v1/incidents/API-1/steps",
            &unknown.to_string(),
        ),
        422,
        "invalid-input",
    );
}

fn lists_deadlines_and_the_calendar(addr: &Server) {
    let incident = ct("API-1", "2026-02-20").to_string();
    assert_eq!(
        call(addr, "POST", "/api/v1/incidents", &incident).status,
        201
    );
    let step = json!({"version": 1, "action": "record-notification", "date": "2026-02-27", "authority_reference": "CQC/123"});
    let r = call(
        addr,
        "POST",
        "/api/v1/incidents/API-1/steps",
        &step.to_string(),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // Lists: filters, pages, unknown parameters.
    for (n, day) in ["2026-01-10", "2026-01-20", "2026-02-01"]
        .iter()
        .enumerate()
    {
        let r = call(
            addr,
            "POST",
            "/api/v1/incidents",
            &ct(&format!("API-L{n}"), day).to_string(),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let page = call(
        addr,
        "GET",
        "/api/v1/incidents?limit=2&sort=reference&total=true",
        "",
    )
    .json();
    assert_eq!(
        (page["total"].clone(), page["next_offset"].clone()),
        (json!(4), json!(2))
    );
    let refs: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["reference"].as_str().expect("ref"))
        .collect();
    assert_eq!(refs, ["API-1", "API-L0"]);
    let notified = call(
        addr,
        "GET",
        "/api/v1/incidents?status=notified&total=true",
        "",
    )
    .json();
    assert_eq!(notified["total"], 1);
    let overdue = call(
        addr,
        "GET",
        "/api/v1/incidents?overdue=true&sort=next-due",
        "",
    )
    .json();
    let refs: Vec<&str> = overdue["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["reference"].as_str().expect("ref"))
        .collect();
    assert_eq!(
        refs,
        ["API-L0", "API-L1", "API-L2"],
        "notify-by 01-24, 02-03 and 02-15 are before today (2026-03-01)"
    );
    assert_eq!(
        problem(
            &call(addr, "GET", "/api/v1/incidents?colour=red", ""),
            400,
            "unknown-parameter"
        )["field"],
        "colour"
    );
    assert_eq!(
        problem(
            &call(
                addr,
                "GET",
                "/api/v1/incidents?discovered_from=2026-13-01",
                ""
            ),
            400,
            "invalid-parameter"
        )["field"],
        "discovered_from"
    );

    // Deadlines, soonest first, and the calendar.
    let due = call(addr, "GET", "/api/v1/deadlines", "").json();
    assert_eq!(due["today"], "2026-03-01");
    assert_eq!(
        (due["total"].clone(), due["next_offset"].clone()),
        (json!(null), json!(null)),
        "no count unless asked"
    );
    assert_eq!(
        call(addr, "GET", "/api/v1/deadlines?total=true", "").json()["total"],
        4
    );
    let first = call(addr, "GET", "/api/v1/deadlines?limit=1&offset=1", "").json();
    assert_eq!(
        (
            first["items"][0]["reference"].clone(),
            first["next_offset"].clone()
        ),
        (json!("API-L1"), json!(2))
    );
    let refs: Vec<&str> = due["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["reference"].as_str().expect("ref"))
        .collect();
    assert_eq!(refs, ["API-L0", "API-L1", "API-L2", "API-1"]);
    let ics = call(addr, "GET", "/api/v1/deadlines.ics", "");
    assert_eq!(
        ics.header("content-type"),
        Some("text/calendar; charset=utf-8")
    );
    assert!(
        ics.body.contains("UID:API-L0-notify@irmer\r\n"),
        "{}",
        ics.body
    );
    assert!(
        ics.body.contains("UID:API-1-report@irmer\r\n"),
        "{}",
        ics.body
    );
    assert!(
        ics.body.contains("DTSTART;VALUE=DATE:20260515\r\n"),
        "{}",
        ics.body
    );
}

/// Causes are tier-3 codes of the server's taxonomy, which its OpenAPI
/// document lists; anything else is refused, naming the field.
fn causes_are_codes_of_the_taxonomy(addr: &Server) {
    let mut incident = ct("API-C", "2026-02-20");
    incident["causes"] = json!(["operator.pre-exposure-checks.made-up"]);
    let r = call(addr, "POST", "/api/v1/incidents", &incident.to_string());
    let p = problem(&r, 422, "invalid-input");
    assert_eq!(p["field"], "causes", "{p}");
    incident["causes"] = json!(["operator.pre-exposure-checks.wrong-protocol"]);
    incident["contributing_factors"] = json!(["Alike protocol names"]);
    let r = call(addr, "POST", "/api/v1/incidents", &incident.to_string());
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.json()["incident"]["causes"],
        json!(["operator.pre-exposure-checks.wrong-protocol"])
    );
    let doc = call(addr, "GET", "/api/v1/openapi.json", "").json();
    let listed = &doc["components"]["schemas"]["Incident"]["properties"]["causes"];
    let codes = listed.to_string();
    assert!(
        codes.contains("\"operator.pre-exposure-checks.wrong-protocol\"")
            && !codes.contains("made-up"),
        "{listed}"
    );
}

fn stateless_assessment(addr: &Server) {
    // Stateless assessment.
    let a = call(
        addr,
        "POST",
        "/api/v1/assess",
        &ct("X", "2026-02-20").to_string(),
    );
    assert_eq!(
        (a.status, a.json()["outcome"].clone()),
        (200, json!("notifiable"))
    );
    assert_eq!(
        problem(
            &call(addr, "POST", "/api/v1/assess", r#"{"nation":"england"}"#),
            422,
            "invalid-input"
        )["field"],
        "discovered"
    );
    problem(
        &call(addr, "GET", "/api/v1/nothing-here", ""),
        404,
        "no-route",
    );
}

fn who_the_incident_is_about(addr: &Server) {
    let incident = ct("API-1", "2026-02-20").to_string();
    assert_eq!(
        call(addr, "POST", "/api/v1/incidents", &incident).status,
        201
    );
    // Who the incident is about: investigators and administrators only,
    // and nowhere else in the API.
    let identity = json!({"patient": {"name": "Jane Smith", "health_number": "943-476-5919",
        "date_of_birth": "1958-02-03"}, "staff": [{"role": "Referrer", "name": "Dr Oliver Twist"}]});
    let path = "/api/v1/incidents/API-1/identity";
    let put = call(addr, "PUT", path, &identity.to_string());
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.json()["patient"]["health_number"], "9434765919");
    assert_eq!(put.json()["staff"][0]["role"], "referrer");
    assert_eq!(call(addr, "GET", path, "").json(), put.json());
    assert_eq!(addr.api("admin", "GET", path, "").status, 200);
    problem(&addr.api("aud", "GET", path, ""), 403, "forbidden");
    problem(&addr.api("aud", "PUT", path, "{}"), 403, "forbidden");
    // The role first (before the register is read), then the scope.
    problem(&addr.api("rep", "GET", path, ""), 403, "forbidden");
    problem(&addr.api("inv2", "GET", path, ""), 404, "not-found");
    let bad = json!({"patient": {"health_number": "943 476 5918"}});
    assert_eq!(
        problem(
            &call(addr, "PUT", path, &bad.to_string()),
            422,
            "invalid-input"
        )["field"],
        "patient.health_number"
    );
    for other in [
        "/api/v1/incidents/API-1",
        "/api/v1/incidents/API-1/history",
        "/api/v1/incidents",
        "/api/v1/deadlines",
    ] {
        let body = call(addr, "GET", other, "").body;
        for secret in ["Jane", "9434765919", "1958-02-03", "Twist"] {
            assert!(!body.contains(secret), "{secret} in {other}: {body}");
        }
    }
    assert!(
        call(addr, "GET", "/api/v1/incidents/API-1/history", "")
            .body
            .contains("identity-changed")
    );
}

#[test]
fn every_route_is_served_and_documented() {
    let doc = irmer_web::openapi::document();
    let paths = doc["paths"].as_object().expect("paths");
    for (method, path) in irmer_web::ROUTES {
        assert!(
            paths.get(*path).and_then(|p| p.get(*method)).is_some(),
            "{method} {path} is not in the OpenAPI document"
        );
    }
    for (path, item) in paths {
        for method in item.as_object().expect("path item").keys() {
            assert!(
                irmer_web::ROUTES.contains(&(method.as_str(), path.as_str())),
                "{method} {path} is documented but not served"
            );
        }
    }
    let addr = sqlite();
    for (method, path) in irmer_web::ROUTES {
        let r = call(
            &addr,
            &method.to_uppercase(),
            &path.replace("{reference}", "NONE"),
            "{}",
        );
        let fallback = r.status == 404 && r.body.contains("problems/no-route");
        assert!(
            !fallback && r.status != 405,
            "{method} {path} is not routed: {} {}",
            r.status,
            r.body
        );
    }
}

#[test]
fn the_openapi_document_is_a_snapshot() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json");
    let current =
        serde_json::to_string_pretty(&irmer_web::openapi::document()).expect("json") + "\n";
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().expect("dir")).expect("dir");
        std::fs::write(&path, &current).expect("write");
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == current,
        "the OpenAPI document changed: review the diff, then run UPDATE_SNAPSHOTS=1 cargo test -p irmer-web to accept it"
    );
}

fn statistics_and_trends(addr: &Server) {
    let coded = |reference: &str, discovered: &str, causes: serde_json::Value| {
        let mut v = ct(reference, discovered);
        v["causes"] = causes;
        let r = call(addr, "POST", "/api/v1/incidents", &v.to_string());
        assert_eq!(r.status, 201, "{}", r.body);
    };
    coded(
        "ST-1",
        "2026-01-10",
        json!(["operator.patient-identification.wrong-patient"]),
    );
    coded(
        "ST-2",
        "2026-02-11",
        json!([
            "operator.pre-exposure-checks.wrong-protocol",
            "equipment.fault.software"
        ]),
    );
    coded("ST-3", "2025-03-30", json!([]));
    let near = irmer_store::testsuite::near_miss("ST-4", "2026-02-12").to_string();
    assert_eq!(call(addr, "POST", "/api/v1/incidents", &near).status, 201);

    // By default the current financial year (today is 2026-03-01).
    let r = call(addr, "GET", "/api/v1/statistics?by=cause-tier1", "");
    assert_eq!(r.status, 200, "{}", r.body);
    let s = r.json();
    assert_eq!(
        (s["from"].clone(), s["to"].clone()),
        (json!("2025-04-01"), json!("2026-03-31"))
    );
    let groups: Vec<(serde_json::Value, u64)> = s["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            (
                g["key"]["cause-tier1"].clone(),
                g["incidents"].as_u64().expect("n"),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            (json!("equipment"), 1),
            (json!("operator"), 2),
            (json!(null), 1)
        ]
    );
    assert_eq!(s["total"]["incidents"], 3);
    assert_eq!(s["total"]["near_misses"], 1);
    assert_eq!(s["total"]["notifiable"], 2);
    let s = call(
        addr,
        "GET",
        "/api/v1/statistics?from=2025-03-01&to=2025-03-31&by=modality,nation",
        "",
    )
    .json();
    assert_eq!(
        s["groups"],
        json!([{"key": {"modality": "ct", "nation": "england"}, "incidents": 1,
        "notifiable": 1, "voluntary": 0, "undetermined": 0, "not_notifiable": 0, "out_of_scope": 0, "near_misses": 0}])
    );

    // Trends: every month of the period, its chart and signals.
    let t = call(
        addr,
        "GET",
        "/api/v1/trends?from=2025-03-01&to=2026-02-28",
        "",
    )
    .json();
    let series = t["groups"][0]["series"].as_array().expect("series");
    assert_eq!(series.len(), 12);
    let counts: Vec<u64> = series
        .iter()
        .map(|p| p["count"].as_u64().expect("n"))
        .collect();
    assert_eq!(counts, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2]);
    assert!(t["groups"][0]["verdict"].is_string());

    // Bad parameters: 400 naming the parameter.
    for (query, field) in [
        ("/api/v1/statistics?by=colour", "by"),
        ("/api/v1/statistics?financial_year=20x5", "financial_year"),
        ("/api/v1/statistics?from=2026-01-01&to=2025-01-01", "from"),
        ("/api/v1/statistics?from=2026-02-30", "from"),
        (
            "/api/v1/statistics?financial_year=2025&to=2026-01-01",
            "financial_year",
        ),
        ("/api/v1/statistics?colour=red", "colour"),
        ("/api/v1/trends?by=month", "by"),
        ("/api/v1/trends?from=1900-01-01&to=2026-01-01", "from"),
    ] {
        let r = call(addr, "GET", query, "");
        assert_eq!(r.status, 400, "{query}: {}", r.body);
        assert_eq!(r.json()["field"], field, "{query}: {}", r.body);
    }
}

fn tasks_on_the_api(server: &Server) {
    let mut incident = ct("TASK-1", "2026-02-20");
    incident["clinically_significant"] = json!(true);
    let r = call(server, "POST", "/api/v1/incidents", &incident.to_string());
    assert_eq!(r.status, 201, "{}", r.body);
    let r = call(server, "GET", "/api/v1/tasks?incident=TASK-1", "");
    assert_eq!(r.status, 200, "{}", r.body);
    let items = r.json()["items"].as_array().expect("items").clone();
    assert_eq!(
        items
            .iter()
            .map(|t| t["kind"].as_str().expect("kind"))
            .collect::<Vec<_>>(),
        [
            "inform-referrer",
            "inform-practitioner",
            "inform-patient",
            "duty-of-candour"
        ]
    );
    let id = items[0]["id"].as_i64().expect("id");
    let steps = format!("/api/v1/tasks/{id}/steps");
    // Done; again refused naming the field; nothing else changed.
    let r = call(
        server,
        "POST",
        &steps,
        r#"{"step": "done", "date": "2026-02-25", "note": "Told by telephone."}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.json()["status"].clone(), r.json()["done_on"].clone()),
        (json!("done"), json!("2026-02-25"))
    );
    let p = problem(
        &call(server, "POST", &steps, r#"{"step": "done"}"#),
        409,
        "invalid-step",
    );
    assert_eq!(p["field"], "status");
    let p = problem(
        &call(server, "POST", &steps, r#"{"step": "finished"}"#),
        422,
        "invalid-input",
    );
    assert_eq!(p["field"], "step");
    let p = problem(
        &call(
            server,
            "POST",
            &format!("/api/v1/tasks/{}/steps", items[1]["id"]),
            r#"{"step": "not-needed", "reason": " "}"#,
        ),
        422,
        "invalid-input",
    );
    assert_eq!(p["field"], "reason");
    // Assigned to a user by username; back to the role with null.
    let third = format!("/api/v1/tasks/{}/steps", items[2]["id"]);
    for (body, field) in [
        (r#"{"step": "assign", "owner": "nobody"}"#, "owner"),
        (r#"{"step": "assign", "owner": 7}"#, "owner"),
        (r#"{"step": "assign", "date": "2026-03-01"}"#, "date"),
    ] {
        let p = problem(&call(server, "POST", &third, body), 422, "invalid-input");
        assert_eq!(p["field"], field, "{body}");
    }
    let assigned = call(
        server,
        "POST",
        &third,
        r#"{"step": "assign", "owner": "admin"}"#,
    );
    assert_eq!(assigned.status, 200, "{}", assigned.body);
    assert!(
        assigned.json()["owner"]
            .as_str()
            .is_some_and(|o| o.starts_with("user:")),
        "{}",
        assigned.body
    );
    let back = call(
        server,
        "POST",
        &third,
        r#"{"step": "assign", "owner": null}"#,
    )
    .json();
    assert_eq!(back["owner"], "role:investigator");
    problem(
        &call(server, "GET", "/api/v1/tasks?open=yes", ""),
        400,
        "invalid-parameter",
    );
    let open = call(server, "GET", "/api/v1/tasks?open=true&incident=TASK-1", "").json();
    assert_eq!(open["items"].as_array().expect("items").len(), 3);
    // Outside the caller's scope, or no such task: not found; a reporter
    // may not take steps.
    problem(
        &server.api(
            "inv2",
            "POST",
            &steps,
            r#"{"step": "due", "date": "2026-03-30"}"#,
        ),
        404,
        "not-found",
    );
    assert_eq!(
        server.api("inv2", "GET", "/api/v1/tasks", "").json()["items"],
        json!([]),
        "another department's tasks are not listed"
    );
    problem(
        &call(
            server,
            "POST",
            "/api/v1/tasks/99999/steps",
            r#"{"step": "done"}"#,
        ),
        404,
        "not-found",
    );
    problem(
        &call(
            server,
            "POST",
            "/api/v1/tasks/x/steps",
            r#"{"step": "done"}"#,
        ),
        404,
        "not-found",
    );
    problem(
        &server.api("rep", "POST", &steps, r#"{"step": "done"}"#),
        403,
        "forbidden",
    );
    // The calendar feed: each open task's due date, the done one gone.
    let ics = call(server, "GET", "/api/v1/deadlines.ics", "").body;
    assert!(
        ics.contains("UID:TASK-1-task-inform-practitioner@irmer"),
        "{ics}"
    );
    assert!(
        ics.contains("SUMMARY:Apply the duty of candour: TASK-1"),
        "{ics}"
    );
    assert!(
        !ics.contains("TASK-1-task-inform-referrer"),
        "done: not in the feed"
    );
}
