//! The authority's staff pages over real HTTP, on each backend: a
//! notification posted with an organisation's token, then triaged,
//! questioned, reviewed and closed by an inspector through the forms, each
//! step in the case's history and its e-mail in the outbox; refusals named
//! by field with nothing written; an analyst reads and cannot act; a form
//! without its CSRF token is refused; the chasers sent once each.

use irmer_core::assessment::EnforcingAuthority;
use irmer_store::Store;
use irmer_store::accounts::AccountStore;
use irmer_store::authority::AuthorityStore;
use irmer_store::mail::MailStore;
use irmer_web::App;
use irmer_web::testclient::{Browser, Server, request};
use serde_json::json;

const TOKEN: &str = "irmer_org_abababababababababababababababababababababababababababababababab";
const FROM: &str = "CQC IR(ME)R <irmer@cqc.example.org>";

fn route<S: Store + AccountStore + AuthorityStore + MailStore>(app: App<S>) -> axum::Router {
    let api = irmer_authority::api::AuthorityApp::new(
        app.register.store().clone(),
        EnforcingAuthority::Cqc,
        FROM.into(),
    );
    let config = irmer_authority::pages::CaseConfig {
        authority: EnforcingAuthority::Cqc,
        mail_from: FROM.into(),
        sends: irmer_authority::public::SendLimit::default(),
    };
    irmer_authority::router(api, app, config)
}

async fn with_token<S: AuthorityStore>(store: S) -> Option<S> {
    store
        .add_organisation_token(
            "Northshire Hospitals NHS Trust",
            Some("RXX"),
            &irmer_authority::digest(TOKEN),
            time::OffsetDateTime::now_utc(),
        )
        .await
        .expect("token");
    Some(store)
}

fn sqlite() -> Server {
    Server::start_routed(
        || async {
            with_token(
                irmer_store_sqlite::SqliteStore::in_memory()
                    .await
                    .expect("SQLite"),
            )
            .await
        },
        |app| app.authority = Some(EnforcingAuthority::Cqc),
        route,
    )
    .expect("server")
}

fn postgres(test: &str) -> Option<Server> {
    let Ok(url) = std::env::var("IRMER_TEST_POSTGRES_URL") else {
        let message =
            format!("IRMER_TEST_POSTGRES_URL is not set: the test {test} on PostgreSQL cannot run");
        assert!(std::env::var_os("CI").is_none(), "{message}");
        eprintln!("\n!!! SKIPPED: {message} !!!\n");
        return None;
    };
    let schema = format!("t_{test}_{}", std::process::id());
    Some(
        Server::start_routed(
            move || async move {
                with_token(
                    irmer_store_postgres::PgStore::connect_in_schema(&url, Some(&schema))
                        .await
                        .expect("PostgreSQL"),
                )
                .await
            },
            |app| app.authority = Some(EnforcingAuthority::Cqc),
            route,
        )
        .expect("server"),
    )
}

/// Posts a notification with the organisation's token: its reference.
fn notify(server: &Server) -> String {
    let body = json!({
        "organisation": {"name": "Northshire Hospitals NHS Trust", "code": "RXX", "type": "nhs-acute",
            "chief_executive": "chief.executive@northshire.example.org"},
        "contact": {"name": "Radiation protection adviser", "email": "rpa@northshire.example.org"},
        "incident": {"nation": "england", "discovered": "2026-03-01", "modality": "ct",
            "exposure": "unintended", "patient": {"age_group": "adult"}, "errors": ["human"],
            "dose": {"unit": "mSv", "intended": 0.5, "received": 6},
            "description": "CT head repeated: the wrong protocol was selected."},
        "summary": "A CT head was repeated with the wrong protocol.",
        "codes": ["2.1"]
    });
    let auth = format!("Bearer {TOKEN}");
    let r = request(
        server.addr,
        "POST",
        "/api/v1/notifications",
        &[("Authorization", &auth)],
        &body.to_string(),
    )
    .expect("request");
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["reference"]
        .as_str()
        .expect("reference")
        .to_owned()
}

fn sign_in(server: &Server, user: &str) -> Browser {
    Browser::sign_in(server.addr, user, &format!("password-{user}")).expect("signed in")
}

/// Posts a step; a step taken answers with a redirect to the case page
/// (followed here), a refusal with the page and its errors.
fn step(b: &mut Browser, path: &str, form: &[(&str, &str)]) -> irmer_web::testclient::Response {
    let r = b.post(path, form);
    match (r.status, r.header("location")) {
        (303, Some(to)) => {
            let to = to.to_owned();
            assert!(to.contains("?done="), "{to}");
            b.get(&to)
        }
        _ => r,
    }
}

fn a_case_from_triage_to_closure(server: &Server) {
    let reference = notify(server);
    let case = format!("/cases/{reference}");
    let steps = format!("{case}/steps");
    let mut inv = sign_in(server, "inv");

    // The queue: the notification, oldest first, in the authority's menu.
    let queue = inv.get("/");
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert!(queue.body.contains(&reference), "{}", queue.body);
    assert!(queue.body.contains(">Queue<") && queue.body.contains("Inspector, CQC"));
    assert!(!queue.body.contains("Report an incident"));

    // The case: what was sent, the codes compared, the forms.
    let page = inv.get(&case);
    assert_eq!(page.status, 200);
    for text in [
        "Awaiting triage",
        "Northshire Hospitals NHS Trust",
        "rpa@northshire.example.org",
        "Differs from the provider",
        "Notification received and acknowledged",
        "Save the triage",
    ] {
        assert!(page.body.contains(text), "{text} missing: {}", page.body);
    }
    // A review needs the report and the triage: no form yet.
    assert!(!page.body.contains("Save the review"));

    // Triage refused by field, nothing written.
    let r = step(
        &mut inv,
        &steps,
        &[("step", "triage"), ("reason", "High dose")],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Choose a risk level") && r.body.contains("href=\"#f-risk\""));
    let r = step(
        &mut inv,
        &steps,
        &[
            ("step", "triage"),
            ("risk", "high"),
            ("reason", "Patient NHS number 943 476 5919"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("NHS number"), "{}", r.body);
    // Shown back in its box to be mended; kept nowhere.
    let after = inv.get(&case).body;
    assert!(after.contains("Awaiting triage") && !after.contains("943 476 5919"));

    // Triaged: high risk, a visit considered, assigned to the inspector.
    let r = step(
        &mut inv,
        &steps,
        &[
            ("step", "triage"),
            ("risk", "high"),
            ("reason", "Dose over ten times the intended."),
            ("visit_considered", "yes"),
            ("inspector", ""),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("The triage is saved."));
    assert!(r.body.contains(">Triaged<") && r.body.contains("High"));
    assert!(r.body.contains("Site visit or inspection considered: yes"));

    // Not reviewed before the report comes.
    let r = step(&mut inv, &steps, &[("step", "review"), ("note", "Read.")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("has not been received"));

    // A request for details: e-mailed to the contact.
    let r = step(
        &mut inv,
        &steps,
        &[
            ("step", "request"),
            ("message", "Which protocol was selected, and why?"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("The request is queued"));
    let r = step(
        &mut inv,
        &steps,
        &[
            ("step", "reply"),
            ("received_on", "2999-01-01"),
            ("reply", "The adult protocol."),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("The date is in the future"));

    // The report comes by the API; then the review and the closure.
    let auth = format!("Bearer {TOKEN}");
    let rep = request(
        server.addr,
        "POST",
        &format!("/api/v1/notifications/{reference}/report"),
        &[("Authorization", &auth), ("Content-Type", "text/plain")],
        "Investigation report: the wrong protocol was chosen from a list.",
    )
    .expect("request");
    assert!(matches!(rep.status, 200 | 201), "{}", rep.body);
    let r = step(
        &mut inv,
        &steps,
        &[("step", "review"), ("note", "The report is complete.")],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Under review"));
    // The closure form offers the chief executive the notification gave.
    assert!(
        r.body
            .contains("value=\"chief.executive@northshire.example.org\""),
        "{}",
        r.body
    );
    let r = step(
        &mut inv,
        &steps,
        &[
            ("step", "categorise"),
            ("sub_modality", "ct"),
            ("causes", "nonsense"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("is not a tier-3 cause"));
    let r = step(
        &mut inv,
        &steps,
        &[
            ("step", "close"),
            ("chief_executive", "not an address"),
            ("note", "Closed."),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("chief executive"));
    let r = step(
        &mut inv,
        &steps,
        &[
            ("step", "close"),
            ("chief_executive", "ceo@northshire.example.org"),
            (
                "note",
                "The actions taken are proportionate; no further action.",
            ),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("The notification is closed"));
    // Closed: no more steps.
    assert!(!r.body.contains("Save the triage"));
    let r = step(&mut inv, &steps, &[("step", "review"), ("note", "Again.")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("The notification is closed"));

    // The history, in order, with who.
    let page = inv.get(&case).body;
    let order = [
        "Notification received and acknowledged",
        "Triaged</strong> by Test inv",
        "More details requested",
        "Investigation report received",
        "Report reviewed",
        "Closed</strong> by Test inv",
    ];
    let mut at = 0;
    for o in order {
        let i = page[at..]
            .find(o)
            .unwrap_or_else(|| panic!("{o} not after the one before: {page}"));
        at += i + o.len();
    }

    // The outbox: acknowledgement, request, closure to the chief executive.
    let mut admin = sign_in(server, "admin");
    let outbox = admin.get("/admin/outbox");
    assert_eq!(outbox.status, 200);
    for text in [
        format!("IR(ME)R notification {reference} received"),
        format!("IR(ME)R notification {reference}: a request for more details"),
        format!("IR(ME)R notification {reference} is closed"),
        "ceo@northshire.example.org".to_owned(),
    ] {
        assert!(outbox.body.contains(&text), "{text}: {}", outbox.body);
    }
    assert_eq!(inv.get("/admin/outbox").status, 403);

    // The list by stage.
    let closed = inv.get("/cases?stage=closed").body;
    assert!(closed.contains(&reference));
    assert!(!inv.get("/cases?stage=received").body.contains(&reference));
}

fn an_analyst_reads_and_nothing_else(server: &Server) {
    let reference = notify(server);
    let case = format!("/cases/{reference}");
    let mut aud = sign_in(server, "aud");
    let page = aud.get(&case);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Analyst (read-only)"));
    assert!(
        !page.body.contains("Save the triage"),
        "no forms for an analyst"
    );
    let r = aud.post(
        &format!("{case}/steps"),
        &[("step", "triage"), ("risk", "low"), ("reason", "x")],
    );
    assert_eq!(r.status, 403);
    // A form without the session's CSRF token, from an inspector: refused.
    let mut inv = sign_in(server, "inv");
    let r = inv.send(
        "POST",
        &format!("{case}/steps"),
        &[("step", "triage"), ("risk", "low"), ("reason", "x")],
    );
    assert_eq!(r.status, 403);
    assert!(inv.get(&case).body.contains("Awaiting triage"));
    // A notice only from the page's own list.
    let r = inv.get(&format!("{case}?done=Pwned%20by%20a%20link"));
    assert!(!r.body.contains("Pwned"));
    // Unknown: 404 by name; signed out: to the sign-in page.
    let r = inv.get("/cases/CQC-IRMER-2026-99999");
    assert_eq!(r.status, 404);
    assert!(
        r.body
            .contains("There is no notification CQC-IRMER-2026-99999")
    );
    let r = Browser::new(server.addr).get(&case);
    assert_eq!(r.status, 303);
    // The staff page names the authority's roles only.
    let mut admin = sign_in(server, "admin");
    let users = admin.get("/admin/users").body;
    assert!(users.contains(">Inspector<") && users.contains(">Authority administrator<"));
    assert!(!users.contains(">Reporter<"));
    let r = admin.post(
        "/admin/users",
        &[
            ("username", "newrep"),
            ("display_name", "New"),
            ("role", "reporter"),
        ],
    );
    assert_eq!(r.status, 422, "a reporter is not an authority's role");
    // The annual figures.
    let annual = aud.get("/annual?year=2025");
    assert_eq!(annual.status, 200);
    let csv = aud.get("/annual/figures.csv?year=2025");
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(aud.get("/annual?year=twenty").status, 422);
    // The PDF, read back: its title and sections.
    let cookie = aud.cookie_header();
    let raw = {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(server.addr).expect("connect");
        write!(
            stream,
            "GET /annual/figures.pdf?year=2025 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: {cookie}\r\n\r\n"
        )
        .expect("write");
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).expect("read");
        bytes
    };
    let start = raw.windows(5).position(|w| w == b"%PDF-").expect("a PDF");
    let text = irmer_authority::report::pdf_text(&raw[start..]).expect("readable");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("IR(ME)R notifications received from 1 April 2025 to 31 March 2026"),
        "{text}"
    );
    assert!(
        text.contains("Kind of provider") && text.contains("Licensing breaches"),
        "{text}"
    );
}

/// Posts a public form with the page's CSRF token (from `page`).
fn public_post(
    b: &mut Browser,
    page: &str,
    path: &str,
    form: &[(&str, &str)],
) -> irmer_web::testclient::Response {
    let csrf = irmer_web::testclient::hidden(page, "csrf").expect("a csrf field");
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(form);
    b.send("POST", path, &all)
}

const PUBLIC: &[(&str, &str)] = &[
    ("modality", "ct"),
    ("organisation.name", "Southdale Imaging Ltd"),
    ("contact.email", "quality@southdale.example.org"),
    ("discovered", "2026-02-26"),
    ("nation", "england"),
    ("exposure", "unintended"),
    ("errors", "human"),
    ("patient.age", "40"),
    ("dose.unit", "mSv"),
    ("dose.intended", "0.5"),
    ("dose.received", "6"),
    ("description", "CT head repeated: wrong protocol selected."),
    ("summary", "A CT head was repeated with the wrong protocol."),
    ("codes", "2.1"),
];

fn the_public_form_notifies_once(server: &Server) {
    let mut b = Browser::new(server.addr);
    // The modality first, then the form, no account needed.
    let start = b.get("/notify");
    assert_eq!(start.status, 200, "{}", start.body);
    assert!(start.body.contains("What was being done?"));
    let form = b.get("/notify?modality=ct");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("Your organisation") && form.body.contains("Dose received"));
    // Without the page's token: refused before anything is read.
    let r = b.send("POST", "/notify/check", PUBLIC);
    assert_eq!(r.status, 403);
    // Nothing filled: every required field named.
    let r = public_post(&mut b, &form.body, "/notify/check", &[("modality", "ct")]);
    assert_eq!(r.status, 422);
    for field in [
        "organisation-name",
        "contact-email",
        "summary",
        "discovered",
    ] {
        assert!(
            r.body.contains(&format!("href=\"#f-{field}")),
            "{field}: {}",
            r.body
        );
    }
    // An identifier in the summary, a bad e-mail: named, nothing kept.
    let mut bad: Vec<(&str, &str)> = PUBLIC.to_vec();
    bad.retain(|(k, _)| *k != "summary");
    bad.push((
        "summary",
        "Mrs Aardvark, NHS number 943 476 5919, was scanned twice.",
    ));
    let r = public_post(&mut b, &form.body, "/notify/check", &bad);
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("href=\"#f-summary\"") && r.body.contains("NHS number"),
        "{}",
        r.body
    );
    let mut bad: Vec<(&str, &str)> = PUBLIC.to_vec();
    bad.retain(|(k, _)| *k != "contact.email");
    bad.push(("contact.email", "not an address"));
    let r = public_post(&mut b, &form.body, "/notify/check", &bad);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("href=\"#f-contact-email\""), "{}", r.body);
    // Check your answers, with irmer's reading; then send, twice.
    let check = public_post(&mut b, &form.body, "/notify/check", PUBLIC);
    assert_eq!(check.status, 200, "{}", check.body);
    assert!(
        check.body.contains("Check your answers") && check.body.contains("Southdale Imaging Ltd")
    );
    let key = irmer_web::testclient::hidden(&check.body, "key").expect("the key");
    let mut send: Vec<(&str, &str)> = PUBLIC.to_vec();
    send.push(("key", &key));
    let sent = public_post(&mut b, &check.body, "/notify/submit", &send);
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains("Notification sent"));
    let reference = sent
        .body
        .split("<strong>")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("the reference")
        .to_owned();
    assert!(reference.starts_with("CQC-IRMER-"), "{reference}");
    let again = public_post(&mut b, &check.body, "/notify/submit", &send);
    assert!(
        again.body.contains(&reference),
        "the same key: the same notification"
    );
    // The inspector sees one, from the form, with its codes compared.
    let mut inv = sign_in(server, "inv");
    let queue = inv.get("/").body;
    assert_eq!(queue.matches("Southdale Imaging Ltd").count(), 1, "{queue}");
    let case = inv.get(&format!("/cases/{reference}")).body;
    assert!(case.contains("Sent by: form") && case.contains("quality@southdale.example.org"));
    let mut admin = sign_in(server, "admin");
    let outbox = admin.get("/admin/outbox").body;
    assert_eq!(
        outbox
            .matches(&format!("IR(ME)R notification {reference} received"))
            .count(),
        1,
        "one acknowledgement"
    );
}

fn a_licensing_breach_has_its_own_form_and_series(server: &Server) {
    let mut b = Browser::new(server.addr);
    let form = b.get("/notify/licence");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("Tell us about a licensing breach"));
    let good: &[(&str, &str)] = &[
        ("organisation.name", "Northshire Hospitals NHS Trust"),
        ("contact.email", "rpa@northshire.example.org"),
        ("breach.discovered", "2026-02-20"),
        ("breach.holder", "practitioner"),
        ("breach.kind", "expired"),
        ("breach.site", "Royal Infirmary"),
        ("breach.substance", "Tc-99m MDP bone scan"),
        ("breach.patients", "3"),
        ("breach.arsac_told", "no"),
        (
            "summary",
            "Three bone scans justified under an expired practitioner licence.",
        ),
    ];
    // Without the page's token: refused.
    assert_eq!(b.send("POST", "/notify/licence/check", good).status, 403);
    // Each refusal names its field; nothing kept.
    let mut bad = good.to_vec();
    bad.retain(|(k, _)| *k != "breach.kind");
    let r = public_post(&mut b, &form.body, "/notify/licence/check", &bad);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("href=\"#f-breach-kind\""), "{}", r.body);
    let mut bad = good.to_vec();
    bad.retain(|(k, _)| *k != "breach.site");
    bad.push(("breach.site", "The ward of Mr Aardvark"));
    let r = public_post(&mut b, &form.body, "/notify/licence/check", &bad);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("href=\"#f-breach-site\""), "{}", r.body);
    let check = public_post(&mut b, &form.body, "/notify/licence/check", good);
    assert_eq!(check.status, 200, "{}", check.body);
    let key = irmer_web::testclient::hidden(&check.body, "key").expect("key");
    let mut send = good.to_vec();
    send.push(("key", &key));
    let sent = public_post(&mut b, &check.body, "/notify/licence/submit", &send);
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains("Notify the ARSAC Support Unit"));
    let reference = sent
        .body
        .split("<strong>")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("reference")
        .to_owned();
    assert!(reference.starts_with("CQC-LIC-"), "{reference}");
    let again = public_post(&mut b, &check.body, "/notify/licence/submit", &send);
    assert!(again.body.contains(&reference));
    // The inspector: its facts, no report owed; reviewed without one.
    let mut inv = sign_in(server, "inv");
    let case = format!("/cases/{reference}");
    let page = inv.get(&case).body;
    assert!(
        page.contains("Licensing breach (regulation 5)")
            && page.contains("The licence had expired")
    );
    assert!(page.contains("none owed"));
    let steps = format!("{case}/steps");
    step(
        &mut inv,
        &steps,
        &[
            ("step", "triage"),
            ("risk", "low"),
            ("reason", "Licence lapsed; renewal under way."),
        ],
    );
    let r = step(
        &mut inv,
        &steps,
        &[("step", "review"), ("note", "ARSAC confirms renewal.")],
    );
    assert!(r.body.contains("The review is saved."), "{}", r.body);
    let mut admin = sign_in(server, "admin");
    assert!(
        admin
            .get("/admin/outbox")
            .body
            .contains(&format!("IR(ME)R licensing breach {reference} received"))
    );
}

fn organisations_tokens_are_made_shown_once_and_revoked(server: &Server) {
    let mut admin = sign_in(server, "admin");
    let page = admin.get("/admin/organisations");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Northshire Hospitals NHS Trust (RXX)"),
        "the test's token"
    );
    // Refused by field; an inspector may not.
    let r = admin.post(
        "/admin/organisations",
        &[("organisation", ""), ("code", "")],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("href=\"#f-organisation\""), "{}", r.body);
    let r = admin.post(
        "/admin/organisations",
        &[("organisation", "Southdale"), ("code", "R X")],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("href=\"#f-code\""), "{}", r.body);
    let mut inv = sign_in(server, "inv");
    assert_eq!(inv.get("/admin/organisations").status, 403);
    assert_eq!(
        inv.post(
            "/admin/organisations",
            &[("organisation", "Southdale Imaging Ltd")]
        )
        .status,
        403
    );
    // Made: shown once, then it works on the API.
    let r = admin.post(
        "/admin/organisations",
        &[("organisation", "Southdale Imaging Ltd"), ("code", "")],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.header("location").expect("location").to_owned();
    let shown = admin.get(&to).body;
    let token = shown
        .split("id=\"new-token\">")
        .nth(1)
        .and_then(|t| t.split('<').next())
        .expect("the token, once")
        .to_owned();
    assert!(token.starts_with("irmer_org_"), "{token}");
    assert!(!admin.get(&to).body.contains(&token), "shown only once");
    let body = json!({
        "organisation": {"name": "Southdale Imaging Ltd"},
        "contact": {"email": "quality@southdale.example.org"},
        "incident": {"nation": "england", "discovered": "2026-03-01", "modality": "ct",
            "exposure": "unintended", "patient": {"age_group": "adult"}, "errors": ["human"],
            "dose": {"unit": "mSv", "intended": 0.5, "received": 6}},
        "summary": "Repeated CT."
    })
    .to_string();
    let auth = format!("Bearer {token}");
    let post = || {
        request(
            server.addr,
            "POST",
            "/api/v1/notifications",
            &[("Authorization", &auth)],
            &body,
        )
        .expect("request")
    };
    assert_eq!(post().status, 201);
    // Revoked: refused from the next request.
    let listed = admin.get("/admin/organisations").body;
    let id = listed
        .split("/admin/organisations/")
        .filter_map(|s| s.split('/').next())
        .filter_map(|n| n.parse::<i64>().ok())
        .max()
        .expect("a revoke form");
    let r = admin.post(&format!("/admin/organisations/{id}/revoke"), &[]);
    assert_eq!(r.status, 303);
    assert_eq!(post().status, 401);
    let r = admin.post(&format!("/admin/organisations/{id}/revoke"), &[]);
    assert_eq!(r.status, 404, "revoked once");
}

#[test]
fn the_public_forms_count_sends_by_address() {
    use irmer_authority::public::{SENDS_PER_HOUR, SendLimit};
    use time::macros::datetime;
    let limit = SendLimit::default();
    let at = datetime!(2026-12-01 10:00 UTC);
    for i in 0..SENDS_PER_HOUR {
        assert!(limit.allow("192.0.2.1", at + time::Duration::seconds(i as i64)));
    }
    assert!(
        !limit.allow("192.0.2.1", at + time::Duration::minutes(30)),
        "the 21st in the hour"
    );
    assert!(
        limit.allow("192.0.2.2", at + time::Duration::minutes(30)),
        "another address"
    );
    assert!(
        limit.allow("192.0.2.1", at + time::Duration::minutes(61)),
        "an hour on"
    );
}

/// A one-page PDF showing `lines` in Helvetica, written by hand (header,
/// objects, cross-reference table, trailer): what a provider's word
/// processor would send, small enough to read in a test.
fn pdf(lines: &[&str]) -> Vec<u8> {
    let mut content = String::from("BT /F1 11 Tf 50 780 Td 14 TL\n");
    for l in lines {
        let escaped = l
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        content.push_str(&format!("({escaped}) Tj T*\n"));
    }
    content.push_str("ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[test]
fn a_pdfs_text_is_read_and_a_broken_one_refused_without_a_panic() {
    use irmer_authority::report::{PdfRefused, pdf_text};
    let whole = pdf(&[
        "Investigation report",
        "The wrong protocol was selected from the list.",
    ]);
    let text = pdf_text(&whole).expect("read");
    assert!(text.contains("wrong protocol was selected"), "{text}");
    assert!(matches!(
        pdf_text(b"not a pdf"),
        Err(PdfRefused::Unreadable(_))
    ));
    assert!(matches!(
        pdf_text(&whole[..whole.len() / 2]),
        Err(PdfRefused::Unreadable(_))
    ));
    // Each of the first 400 bytes changed in turn: an answer, never a panic.
    for i in 0..400.min(whole.len()) {
        let mut broken = whole.clone();
        broken[i] ^= 0x55;
        let _ = pdf_text(&broken);
    }
    assert_eq!(pdf_text(&pdf(&[""])), Err(PdfRefused::NoText));
}

/// Posts raw bytes as a report: the answer's status and body.
fn send_report(server: &Server, reference: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(server.addr).expect("connect");
    let head = format!(
        "POST /api/v1/notifications/{reference}/report HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("write");
    stream.write_all(body).expect("write");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, answer)
}

fn a_pdf_report_is_read_checked_and_kept(server: &Server) {
    let reference = notify(server);
    // An identifier in the PDF's text: refused with its kind, not echoed.
    let (status, answer) = send_report(
        server,
        &reference,
        "application/pdf",
        &pdf(&[
            "Investigation report",
            "NHS number 943 476 5919 was scanned twice.",
        ]),
    );
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer.contains("NHS number") && !answer.contains("5919"),
        "{answer}"
    );
    // A scan (no text): refused, it cannot be checked.
    let (status, answer) = send_report(server, &reference, "application/pdf", &pdf(&[""]));
    assert_eq!(status, 422, "{answer}");
    assert!(answer.contains("no text to check"), "{answer}");
    let mut inv = sign_in(server, "inv");
    assert!(
        inv.get(&format!("/cases/{reference}"))
            .body
            .contains("None received yet.")
    );
    // A good one: kept as sent, its text on the case page, the PDF back.
    let good = pdf(&[
        "Investigation report",
        "The wrong protocol was selected from a list of similar names.",
        "Actions: protocols renamed and locked.",
    ]);
    let (status, answer) = send_report(server, &reference, "application/pdf", &good);
    assert_eq!(status, 201, "{answer}");
    let page = inv.get(&format!("/cases/{reference}")).body;
    assert!(page.contains("protocols renamed and locked"), "{page}");
    assert!(page.contains(&format!("/cases/{reference}/reports/1.pdf")));
    let cookie = inv.cookie_header();
    let back = request(
        server.addr,
        "GET",
        &format!("/cases/{reference}/reports/1.pdf"),
        &[("Cookie", &cookie)],
        "",
    )
    .expect("request");
    assert_eq!(back.status, 200);
    assert_eq!(back.header("content-type"), Some("application/pdf"));
    assert_eq!(back.body.len(), good.len(), "the PDF as it came");
    assert_eq!(
        inv.get(&format!("/cases/{reference}/reports/2.pdf")).status,
        404
    );
    assert_eq!(
        Browser::new(server.addr)
            .get(&format!("/cases/{reference}/reports/1.pdf"))
            .status,
        303
    );
}

/// Posts the report upload form as multipart/form-data: fields, and a
/// file (name, type, bytes) if any.
fn upload_form(
    b: &Browser,
    page: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &str, &[u8])>,
) -> irmer_web::testclient::Response {
    let boundary = "irmer-test-boundary-7d1a";
    let mut body: Vec<u8> = Vec::new();
    let csrf = irmer_web::testclient::hidden(page, "csrf").expect("csrf");
    let key = irmer_web::testclient::hidden(page, "key").expect("key");
    for (name, value) in [("csrf", csrf.as_str()), ("key", key.as_str())]
        .into_iter()
        .chain(fields.iter().copied())
    {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((name, kind, bytes)) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {kind}\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    // The body is ASCII here (the PDFs are written by hand).
    let text = String::from_utf8(body).expect("ASCII");
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let cookie = b.cookie_header();
    request(
        b.addr,
        "POST",
        "/notify/report",
        &[("Content-Type", &content_type), ("Cookie", &cookie)],
        &text,
    )
    .expect("request")
}

fn a_provider_uploads_its_report_by_the_form(server: &Server) {
    let reference = notify(server);
    let mut b = Browser::new(server.addr);
    let page = b.get("/notify/report");
    assert_eq!(page.status, 200);
    let good = pdf(&[
        "Investigation report",
        "The wrong protocol was selected from a list of similar names.",
    ]);
    let ok: &[(&str, &str)] = &[
        ("reference", &reference),
        ("contact.email", "rpa@northshire.example.org"),
    ];
    // Without the page's token: refused.
    let r = request(
        server.addr,
        "POST",
        "/notify/report",
        &[("Content-Type", "multipart/form-data; boundary=x")],
        "--x--\r\n",
    )
    .expect("request");
    assert_eq!(r.status, 403);
    // The wrong contact e-mail: the same answer as an unknown reference.
    let wrong = upload_form(
        &b,
        &page.body,
        &[
            ("reference", &reference),
            ("contact.email", "someone@else.example.org"),
        ],
        Some(("r.pdf", "application/pdf", &good)),
    );
    let unknown = upload_form(
        &b,
        &page.body,
        &[
            ("reference", "CQC-IRMER-2026-99999"),
            ("contact.email", "rpa@northshire.example.org"),
        ],
        Some(("r.pdf", "application/pdf", &good)),
    );
    assert_eq!((wrong.status, unknown.status), (422, 422));
    let words = "We have no notification with this reference and contact e-mail address";
    assert!(wrong.body.contains(words) && unknown.body.contains(words));
    // No report; an identifier in the PDF; a file that is neither.
    let r = upload_form(&b, &page.body, ok, None);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("href=\"#f-file\""), "{}", r.body);
    let r = upload_form(
        &b,
        &page.body,
        ok,
        Some((
            "r.pdf",
            "application/pdf",
            &pdf(&["Mrs Aardvark was scanned twice in error."]),
        )),
    );
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("name after a title") && !r.body.contains("Aardvark"),
        "{}",
        r.body
    );
    let r = upload_form(&b, &page.body, ok, Some(("r.png", "image/png", b"PNG")));
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Send a PDF or a text file"));
    // The PDF: kept; sent again from the same page, the same version.
    let r = upload_form(
        &b,
        &page.body,
        ok,
        Some(("r.pdf", "application/pdf", &good)),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Version 1 of the report"), "{}", r.body);
    let again = upload_form(
        &b,
        &page.body,
        ok,
        Some(("r.pdf", "application/pdf", &good)),
    );
    assert!(
        again.body.contains("Version 1 of the report"),
        "{}",
        again.body
    );
    // Pasted text from a new page: version 2.
    let page2 = b.get("/notify/report");
    let mut pasted = ok.to_vec();
    pasted.push(("report", "Corrected: the protocols are now locked."));
    let r = upload_form(&b, &page2.body, &pasted, None);
    assert!(r.body.contains("Version 2 of the report"), "{}", r.body);
    let mut inv = sign_in(server, "inv");
    let case = inv.get(&format!("/cases/{reference}")).body;
    assert!(case.contains("the protocols are now locked") && case.contains("reports/1.pdf"));
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn sqlite() {
                    super::$name(&super::sqlite());
                }

                #[test]
                fn postgres() {
                    if let Some(server) = super::postgres(stringify!($name)) {
                        super::$name(&server);
                    }
                }
            }
        )*
    };
}

on_both_backends!(
    a_case_from_triage_to_closure,
    an_analyst_reads_and_nothing_else,
    the_public_form_notifies_once,
    a_licensing_breach_has_its_own_form_and_series,
    organisations_tokens_are_made_shown_once_and_revoked,
    a_pdf_report_is_read_checked_and_kept,
    a_provider_uploads_its_report_by_the_form,
);

/// The chasers on `store`: none until 14 days before the report date,
/// then "due soon" once, then "overdue" once from the day after the date;
/// none for a case whose report has come.
async fn chasers_once_each<S: AuthorityStore + MailStore>(store: S) {
    use irmer_store::authority::{NewNotification, NewReport, Series};
    use time::macros::datetime;
    let new = |received_at| NewNotification {
        authority: "cqc".into(),
        series: Series::Irmer,
        organisation_name: "Northshire Hospitals NHS Trust".into(),
        organisation_code: None,
        provider_type: None,
        chief_executive: None,
        contact_name: None,
        contact_email: "rpa@northshire.example.org".into(),
        facts: "{}".into(),
        summary: "Summary.".into(),
        provider_codes: String::new(),
        assessment: "{}".into(),
        codes: String::new(),
        modality: "ct".into(),
        discovered: irmer_core::incident::CivilDate::parse("2026-11-20").expect("date"),
        report_due: irmer_core::incident::CivilDate::parse("2027-02-12").expect("date"),
        token_id: None,
        idempotency_key: None,
        received_at,
    };
    let ack = |r: &str| irmer_store::mail::Mail {
        message_id: format!("<{r}@cqc.example.org>"),
        from: FROM.into(),
        to: "rpa@northshire.example.org".into(),
        subject: format!("{r} received"),
        body: String::new(),
    };
    let at = datetime!(2026-11-25 10:00 UTC);
    let waiting = store.receive(&new(at), &ack).await.expect("received");
    let reported = store.receive(&new(at), &ack).await.expect("received");
    store
        .add_report(
            &reported.reference,
            &NewReport {
                content_type: "text/plain",
                body: "Report.",
                document: None,
                key: None,
                at,
            },
        )
        .await
        .expect("report");
    let chase = |now| {
        let store = store.clone();
        async move {
            irmer_authority::case::chase(&store, EnforcingAuthority::Cqc, FROM, now)
                .await
                .expect("chase")
        }
    };
    // 15 days before (29 January, UK time): nothing.
    assert_eq!(chase(datetime!(2027-01-28 23:30 UTC)).await, 0);
    // 14 days before: due soon, once.
    assert_eq!(chase(datetime!(2027-01-29 09:00 UTC)).await, 1);
    assert_eq!(chase(datetime!(2027-01-30 09:00 UTC)).await, 0);
    // On the date itself: not yet overdue.
    assert_eq!(chase(datetime!(2027-02-12 23:59 UTC)).await, 0);
    // The day after: overdue, once.
    assert_eq!(chase(datetime!(2027-02-13 00:01 UTC)).await, 1);
    assert_eq!(chase(datetime!(2027-03-01 09:00 UTC)).await, 0);
    let subjects: Vec<String> = store
        .outbox(100, 0)
        .await
        .expect("outbox")
        .into_iter()
        .map(|q| q.mail.subject)
        .filter(|s| s.contains("investigation report"))
        .collect();
    // The outbox lists newest first.
    assert_eq!(
        subjects,
        [
            format!(
                "IR(ME)R notification {}: your investigation report is overdue",
                waiting.reference
            ),
            format!(
                "IR(ME)R notification {}: your investigation report is due by 12 February 2027",
                waiting.reference
            ),
        ]
    );
    let history = store
        .case_events(&waiting.reference)
        .await
        .expect("history");
    assert_eq!(history.iter().filter(|e| e.kind == "chased").count(), 2);
    assert!(
        store
            .case_events(&reported.reference)
            .await
            .expect("history")
            .iter()
            .all(|e| e.kind != "chased")
    );
}

#[tokio::test]
async fn chasers_are_sent_once_each_on_sqlite() {
    chasers_once_each(
        irmer_store_sqlite::SqliteStore::in_memory()
            .await
            .expect("SQLite"),
    )
    .await;
}

#[tokio::test]
async fn chasers_are_sent_once_each_on_postgres() {
    let Ok(url) = std::env::var("IRMER_TEST_POSTGRES_URL") else {
        let message = "IRMER_TEST_POSTGRES_URL is not set: the chasers on PostgreSQL cannot run";
        assert!(std::env::var_os("CI").is_none(), "{message}");
        eprintln!("\n!!! SKIPPED: {message} !!!\n");
        return;
    };
    let schema = format!("t_chasers_{}", std::process::id());
    chasers_once_each(
        irmer_store_postgres::PgStore::connect_in_schema(&url, Some(&schema))
            .await
            .expect("PostgreSQL"),
    )
    .await;
}
