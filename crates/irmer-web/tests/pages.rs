//! The pages over real HTTP, on both backends: sign-in, CSRF, and every
//! permission rule (role and scope), with the test organisation of
//! `Server::start` (departments 1 and 2, a user of each role).

use irmer_web::testclient::{self, Browser, Server, request};

/// The value of the first hidden input called `name` (panics without one).
fn hidden(html: &str, name: &str) -> String {
    testclient::hidden(html, name).unwrap_or_else(|| panic!("no {name} in the page"))
}

/// Signs `user` of the test organisation in (password `password-USER`).
fn signed_in(server: &Server, user: &str) -> Browser {
    Browser::sign_in(server.addr, user, &format!("password-{user}")).expect("signed in")
}

const CT: &[(&str, &str)] = &[
    ("modality", "ct"),
    ("action", "submit"),
    ("discovered", "2026-02-26"),
    ("nation", "england"),
    ("exposure", "unintended"),
    ("errors", "human"),
    ("patient.age", "40"),
    ("dose.unit", "mSv"),
    ("dose.intended", "0.5"),
    ("dose.received", "6"),
    ("description", "CT head repeated: wrong protocol selected."),
];

/// Reports the CT incident through the form; returns its reference.
fn report(b: &mut Browser) -> String {
    let r = b.post("/report", CT);
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").expect("location").to_owned();
    assert!(location.ends_with("?reported=1"), "{location}");
    location
        .trim_start_matches("/incidents/")
        .trim_end_matches("?reported=1")
        .to_owned()
}

fn pages_suite(server: &Server) {
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
    let reference = report(&mut rep);
    let page = rep.get(&format!("/incidents/{reference}?reported=1"));
    assert_eq!(page.status, 200);
    for text in [
        "Notifiable",
        "2.2",
        "Care Quality Commission",
        "Notify by",
        "2026-03-12",
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
    assert_eq!(rep.get("/admin").status, 403);

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

    // The department's investigator edits it; the history shows who and why.
    let mut inv = signed_in(server, "inv");
    assert_eq!(inv.get(&format!("/incidents/{reference}/edit")).status, 200);
    let mut change: Vec<(&str, &str)> = CT
        .iter()
        .copied()
        .filter(|(k, _)| *k != "dose.received" && *k != "action")
        .collect();
    change.extend([("dose.received", "8"), ("version", "1"), ("action", "save")]);
    let r = inv.post(&format!("/incidents/{reference}/edit"), &change);
    assert_eq!(r.status, 422, "a change needs a reason");
    change.push(("reason", "Dose recalculated by the MPE"));
    let r = inv.post(&format!("/incidents/{reference}/edit"), &change);
    assert_eq!(r.status, 303, "{}", r.body);
    let page = inv.get(&format!("/incidents/{reference}"));
    assert!(
        page.body.contains("Dose recalculated by the MPE") && page.body.contains("by inv"),
        "{}",
        page.body
    );
    assert!(page.body.contains("dose.received"));
    // The reporter sees what became of the report.
    assert!(
        rep.get(&format!("/incidents/{reference}"))
            .body
            .contains("Dose recalculated by the MPE")
    );
    // A stale form is refused, not merged.
    let r = inv.post(&format!("/incidents/{reference}/edit"), &change);
    assert_eq!(r.status, 409);

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
            &[("action", "start-investigation"), ("version", "3")]
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

    // Steps: the investigator records the notification; a bad date is
    // named on the form that was sent.
    let r = inv.post(
        &format!("/incidents/{reference}/steps"),
        &[
            ("action", "record-notification"),
            ("version", "3"),
            ("date", "soon"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("href=\"#f-notified-date\""), "{}", r.body);
    let r = inv.post(
        &format!("/incidents/{reference}/steps"),
        &[
            ("action", "record-notification"),
            ("version", "3"),
            ("date", "2026-03-01"),
            ("authority_reference", "CQC-123"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        inv.get(&format!("/incidents/{reference}"))
            .body
            .contains("Authority notified")
    );

    // The notification summary names no one.
    let summary = inv.get(&format!("/incidents/{reference}/notification"));
    assert_eq!(summary.status, 200);
    assert!(summary.body.contains("Notification category code"));
    assert!(
        !summary.body.contains("wrong protocol selected"),
        "the free-text description never goes to the authority"
    );
    assert!(!summary.body.contains(">40<"), "the exact age is not given");

    // The register: filters, CSV of what is shown, a bad filter named.
    let list = aud.get("/incidents?modality=ct&status=notified");
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
            "{reference},notified,england,ct,unintended,2026-02-26"
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

    // Administration: only an administrator; a new user gets a one-time password.
    let mut admin = signed_in(server, "admin");
    let r = admin.post(
        "/admin/users",
        &[
            ("username", "newbie"),
            ("display_name", "New Person"),
            ("role", "reporter"),
            ("department", "1"),
        ],
    );
    assert_eq!(r.status, 200);
    let password = r
        .body
        .split("one-time password is ")
        .nth(1)
        .and_then(|s| s.split(':').next())
        .expect("a one-time password")
        .to_owned();
    let r = admin.post(
        "/admin/users",
        &[("username", "newbie"), ("role", "reporter")],
    );
    assert_eq!(r.status, 422, "a taken username is refused");
    let r = inv.post(
        "/admin/users",
        &[("username", "sneaky"), ("role", "administrator")],
    );
    assert_eq!(r.status, 403);
    // The new user must choose a password first.
    let mut newbie = Browser::new(server.addr);
    let page = newbie.get("/sign-in");
    let csrf = hidden(&page.body, "csrf");
    let r = newbie.send(
        "POST",
        "/sign-in",
        &[
            ("csrf", &csrf),
            ("username", "newbie"),
            ("password", &password),
        ],
    );
    assert_eq!(r.header("location"), Some("/account/password"));
    assert_eq!(
        newbie.get("/").header("location"),
        Some("/account/password")
    );
    let r = newbie.post(
        "/account/password",
        &[
            ("current_password", &password),
            ("new_password", "a long new phrase"),
            ("confirm_password", "a long new phrase"),
        ],
    );
    assert_eq!(r.status, 303);
    assert_eq!(newbie.get("/").status, 200);
    // A reset gives a new one-time password and ends the user's sessions.
    let user_path = |page: &str, name: &str| {
        page.split(&format!("<td>{name}</td>"))
            .nth(1)
            .and_then(|row| row.split("action=\"/admin/users/").nth(1))
            .and_then(|rest| rest.split('"').next())
            .map(|id| format!("/admin/users/{id}"))
            .expect("the user's form")
    };
    let listing = admin.get("/admin").body;
    let r = admin.post(&user_path(&listing, "newbie"), &[("action", "reset")]);
    assert_eq!(r.status, 200, "{}", r.body);
    let reset = r
        .body
        .split("New one-time password for newbie: ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .expect("a new one-time password")
        .to_owned();
    assert_ne!(newbie.get("/").status, 200, "the session ended");
    assert!(Browser::sign_in(server.addr, "newbie", "a long new phrase").is_err());
    let mut again = Browser::sign_in(server.addr, "newbie", &reset).expect("signed in");
    assert_eq!(again.get("/").header("location"), Some("/account/password"));
    // An administrator cannot disable their own account.
    let r = admin.post(&user_path(&listing, "admin"), &[("action", "disable")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("You cannot disable your own account"));
    assert_eq!(admin.get("/").status, 200);
    // Settings change the next assessment.
    let r = admin.post(
        "/admin/settings",
        &[("child_age_under", "99"), ("default_nation", "wales")],
    );
    assert_eq!(r.status, 422);
    let r = admin.post(
        "/admin/settings",
        &[("child_age_under", "16"), ("default_nation", "wales")],
    );
    assert_eq!(r.status, 200);
    assert!(
        admin
            .get("/report/form?modality=dental")
            .body
            .contains("value=\"wales\" checked")
    );

    // Who is involved: a page of its own, for investigators and
    // administrators; never on the incident page, the notification summary
    // or the CSV.
    let who = format!("/incidents/{reference}/identity");
    assert_eq!(inv.get(&who).status, 200);
    for (name, b) in [("rep", &mut rep), ("adv", &mut adv), ("aud", &mut aud)] {
        assert_eq!(b.get(&who).status, 403, "{name}");
        assert_eq!(b.post(&who, &[("patient.name", "x")]).status, 403, "{name}");
    }
    assert_eq!(inv2.get(&who).status, 404, "another department");
    let r = inv.post(&who, &[("patient.health_number", "943 476 5918")]);
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("href=\"#f-patient-health-number\""),
        "{}",
        r.body
    );
    assert!(r.body.contains("check digit"), "{}", r.body);
    let r = inv.post(
        &who,
        &[("staff.0.role", "radiographer"), ("staff.0.name", "")],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("href=\"#f-staff-0-name\""), "{}", r.body);
    let r = inv.post(
        &who,
        &[
            ("patient.name", "Jane Smith"),
            ("patient.health_number", "943 476 5919"),
            ("patient.date_of_birth", "1958-02-03"),
            ("staff.0.role", "Radiographer"),
            ("staff.0.name", "Oliver Twist"),
            ("staff.1.role", ""),
            ("staff.1.name", ""),
        ],
    );
    assert_eq!(
        r.header("location"),
        Some(format!("/incidents/{reference}?identity=1").as_str())
    );
    let form = inv.get(&who).body;
    assert!(
        form.contains("value=\"9434765919\"") && form.contains("value=\"Oliver Twist\""),
        "{form}"
    );
    let incident = inv.get(&format!("/incidents/{reference}?identity=1")).body;
    assert!(
        incident.contains("Identity changed") && incident.contains("the values are kept apart")
    );
    for shown in [
        incident,
        inv.get(&format!("/incidents/{reference}/notification"))
            .body,
        inv.get("/incidents.csv").body,
        inv.get("/incidents").body,
    ] {
        for secret in ["Jane", "Smith", "9434765919", "1958-02-03", "Oliver"] {
            assert!(!shown.contains(secret), "{secret}: {shown}");
        }
    }

    // The investigation report: investigators only; a first draft from
    // the register; final only when complete; out through the gate.
    let rp = format!("/incidents/{reference}/report");
    assert_eq!(rep.get(&rp).status, 403);
    assert_eq!(inv2.get(&rp).status, 404);
    let page = inv.get(&rp).body;
    assert!(
        page.contains("Not saved yet")
            && page.contains("CT head repeated: wrong protocol selected."),
        "{page}"
    );
    let sections = |what: &'static str| {
        vec![
            ("version", "0"),
            ("sections.what_happened", what),
            ("sections.doses", "0.5 mSv intended, 6 mSv received."),
            ("sections.causes", "Protocol names alike."),
            ("sections.previous_incidents", "None."),
            ("sections.csaue_procedure", "Not clinically significant."),
            ("sections.learning", "Protocols renamed and shared."),
            ("action", "final"),
        ]
    };
    let mut partial = sections("Protocol chosen wrongly.");
    partial.retain(|(k, _)| *k != "sections.learning");
    let r = inv.post(&rp, &partial);
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("href=\"#f-sections-learning\""),
        "{}",
        r.body
    );
    let r = inv.post(
        &rp,
        &sections("Jane Smith was scanned with the wrong protocol."),
    );
    assert_eq!(
        r.header("location"),
        Some(format!("{rp}?saved=1&days=365").as_str())
    );
    // The look-back is chosen: an earlier CT incident of the department,
    // 47 days before, is a candidate within the year, not within 2 days.
    let earlier: Vec<(&str, &str)> = CT
        .iter()
        .map(|(k, v)| {
            if *k == "discovered" {
                (*k, "2026-01-10")
            } else {
                (*k, *v)
            }
        })
        .collect();
    assert_eq!(inv.post("/report", &earlier).status, 303);
    assert!(
        inv.get(&format!("{rp}?days=2"))
            .body
            .contains("None found with the same modality")
    );
    let year = inv.get(&format!("{rp}?days=365")).body;
    assert!(
        year.contains("name=\"similar\"") && year.contains("same modality"),
        "{year}"
    );
    assert_eq!(
        inv.post(&rp, &sections("Again.")).status,
        409,
        "a stale version"
    );
    let blocked = inv.get(&format!("{rp}.html"));
    assert_eq!(blocked.status, 422);
    assert!(
        blocked.body.contains("name recorded on the incident"),
        "{}",
        blocked.body
    );
    let made = inv.get(&format!("{rp}.html?redact=1&download=1"));
    assert_eq!(made.status, 200);
    assert!(
        made.header("content-disposition")
            .is_some_and(|d| d.contains("attachment"))
    );
    assert!(
        made.body.contains("[patient] was scanned") && !made.body.contains("Jane"),
        "{}",
        made.body
    );
    assert_eq!(
        inv.get(&format!("{rp}.pdf")).status,
        422,
        "the PDF goes through the gate too"
    );
    let pdf = inv.get(&format!("{rp}.pdf?redact=1"));
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.body.starts_with("%PDF-"));
    assert!(
        pdf.header("content-disposition")
            .is_some_and(|d| d.ends_with(".pdf\""))
    );
    let incident = inv.get(&format!("/incidents/{reference}")).body;
    assert_eq!(
        incident.matches("Investigation report exported").count(),
        2,
        "the blocked ones are not"
    );
    assert!(
        incident.contains(" as pdf, 1 identifiers redacted"),
        "{incident}"
    );

    // The notification summary goes through the scanner: a reference that
    // is a telephone number stops it.
    // (Only a user who sees the whole organisation chooses a reference.)
    let mut phone: Vec<(&str, &str)> = CT.to_vec();
    phone.push(("reference", "T-0161-496-0160"));
    let r = inv.post("/report", &phone);
    assert_eq!(r.status, 422, "a department's investigator");
    assert!(r.body.contains("href=\"#f-reference\""), "{}", r.body);
    let mut org = signed_in(server, "api-test");
    assert_eq!(org.post("/report", &phone).status, 303);
    let r = org.get("/incidents/T-0161-496-0160/notification");
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("Your reference: telephone number"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("notification-text"));
    // So does the register's CSV: that reference is in it.
    let r = org.get("/incidents.csv");
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body
            .contains("telephone number, \u{201c}0161-496-0160\u{201d}"),
        "{}",
        r.body
    );
    assert_eq!(
        org.get("/incidents.csv?discovered_to=2026-01-31").status,
        200,
        "filtered out"
    );

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

    // API tokens: made on the account page and shown once; listed without
    // the token; revoked by their holder or an administrator, no one else.
    let r = rep.post("/account/tokens", &[("label", " ")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("href=\"#f-label\""), "{}", r.body);
    let r = rep.post("/account/tokens", &[("label", "my script")]);
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r
        .body
        .split("id=\"new-token\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the new token")
        .to_owned();
    assert!(token.starts_with("irmer_"), "{token}");
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
    let listing = admin.get("/admin").body;
    let section = listing
        .split("API tokens</h2>")
        .nth(1)
        .and_then(|rest| rest.split("<h2>").next())
        .expect("the tokens section");
    assert!(section.contains("<td>rep2</td>"), "{section}");
    assert!(
        !section.contains("my script"),
        "a revoked token is not listed"
    );
    assert!(
        listing.contains("revoke-token of rep (my script"),
        "audited"
    );
    let revoke = form_after(&listing, "API tokens</h2>", "<td>rep2</td>");
    let r = admin.post(&revoke, &[("back", "admin")]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("is revoked"), "{}", r.body);
    assert_eq!(
        server.api("rep2", "GET", "/api/v1/incidents", "").status,
        401
    );

    // Hospital number patterns: each line checked, the bad one named.
    let r = admin.post("/admin/hospital-numbers", &[("masks", "RXH#######\nR#")]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Line 2: &quot;R#&quot;"), "{}", r.body);
    let r = admin.post(
        "/admin/hospital-numbers",
        &[("masks", " RXH#######\n\n@@######\n")],
    );
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("RXH#######\n@@######</textarea>"),
        "{}",
        r.body
    );
    assert_eq!(
        inv.post("/admin/hospital-numbers", &[("masks", "")]).status,
        403
    );

    // Sign-out ends the session.
    let r = rep.post("/sign-out", &[]);
    assert_eq!(r.status, 303);
    assert_eq!(rep.get("/").status, 303);
}

#[test]
fn pages_on_sqlite() {
    let server = Server::start(|| async {
        Some(
            irmer_store_sqlite::SqliteStore::in_memory()
                .await
                .expect("SQLite"),
        )
    })
    .expect("server");
    pages_suite(&server);
}

#[test]
fn pages_on_postgres() {
    let Ok(url) = std::env::var("IRMER_TEST_POSTGRES_URL") else {
        let message =
            "IRMER_TEST_POSTGRES_URL is not set: the pages suite on PostgreSQL cannot run";
        assert!(std::env::var_os("CI").is_none(), "{message}");
        eprintln!("\n!!! SKIPPED: {message} !!!\n");
        return;
    };
    let schema = format!("pages_{}", std::process::id());
    let server = Server::start(move || async move {
        Some(
            irmer_store_postgres::PgStore::connect_in_schema(&url, Some(&schema))
                .await
                .expect("PostgreSQL"),
        )
    })
    .expect("server");
    pages_suite(&server);
}

/// The form routes of `pages::routes`, read from its source: each `.route`
/// whose methods include `post(`, but the sign-in (its token is a cookie of
/// its own).
fn posted_routes() -> Vec<String> {
    let source = include_str!("../src/pages/mod.rs");
    let routes = source
        .split("pub fn routes")
        .nth(1)
        .and_then(|rest| rest.split("\n}\n").next())
        .expect("the routes function");
    routes
        .split(".route(")
        .skip(1)
        .filter(|call| call.contains("post("))
        .filter_map(|call| call.split('"').nth(1))
        .filter(|path| *path != "/sign-in")
        .map(str::to_owned)
        .collect()
}

/// Every form is refused without the session's CSRF token (or with a
/// forged one) before its handler runs: 403 whatever the user's role, and
/// nothing changes.
#[test]
fn every_form_refuses_a_post_without_the_sessions_token() {
    let mut listed: Vec<String> = irmer_web::pages::FORM_ROUTES
        .iter()
        .map(|r| (*r).to_owned())
        .collect();
    let mut routed = posted_routes();
    listed.sort();
    routed.sort();
    assert_eq!(listed, routed, "FORM_ROUTES is not the router's list");

    let server = Server::start(|| async {
        Some(
            irmer_store_sqlite::SqliteStore::in_memory()
                .await
                .expect("SQLite"),
        )
    })
    .expect("server");
    let mut admin = signed_in(&server, "admin");
    let reference = report(&mut admin);
    let mut aud = signed_in(&server, "aud");
    // Answers that would be accepted with a token.
    let form: &[(&str, &str)] = &[
        ("action", "start-investigation"),
        ("version", "1"),
        ("comment", "A comment that must not be kept"),
        ("label", "a token"),
        ("name", "A new site"),
        ("username", "new.user"),
        ("display_name", "New User"),
        ("role", "reporter"),
        ("child_age_under", "16"),
        ("default_nation", "wales"),
        ("masks", "QQZ####"),
    ];
    for route in irmer_web::pages::FORM_ROUTES {
        let path = route
            .replace("{reference}", &reference)
            .replace("{id}", "1");
        let forged = "0".repeat(64);
        for (who, token) in [
            ("admin, no token", None),
            ("admin, a forged token", Some(forged.as_str())),
            ("auditor, no token", None),
        ] {
            let mut sent = form.to_vec();
            if let Some(t) = token {
                sent.push(("csrf", t));
            }
            let b = if who.starts_with("admin") {
                &mut admin
            } else {
                &mut aud
            };
            let r = b.send("POST", &path, &sent);
            assert_eq!(r.status, 403, "{route} ({who}): {}", r.body);
            assert!(
                r.body.contains("The form has expired"),
                "{route} ({who}): {}",
                r.body
            );
        }
    }
    // Nothing happened: the incident has only its report in its history,
    // no user, site or token was added, and the administrator is still
    // signed in.
    let history = server
        .api(
            "admin",
            "GET",
            &format!("/api/v1/incidents/{reference}/history"),
            "",
        )
        .json();
    assert_eq!(
        history["events"].as_array().map(Vec::len),
        Some(1),
        "{history}"
    );
    let page = admin.get("/admin");
    assert_eq!(page.status, 200);
    for absent in ["new.user", "A new site", "a token", "QQZ####"] {
        assert!(!page.body.contains(absent), "{absent} was saved");
    }
}
