//! "Send to CQC" on a notifiable incident's page: not connected; connected
//! by an administrator (the token never shown again); queued once and
//! posted at once; an authority that cannot be reached leaves it queued,
//! on the page and on the dashboard with the reason. A licensing breach,
//! notifiable or not, has its own panel for the licensing breach form.

use crate::helpers::*;

crate::on_both_backends!(a_notification_is_sent_once_and_a_failure_is_shown);
crate::on_both_backends!(a_licensing_breach_has_its_own_panel_and_form);

/// Connects CQC at an address where nothing listens, with the
/// organisation's name set.
fn connect_to_nothing(server: &Server) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let mut admin = signed_in(server, "admin");
    let r = admin.post(
        "/admin/authority",
        &[
            ("contact_email", "rpa@trust.example.org"),
            ("url_cqc", &url),
            ("token_cqc", "irmer_org_0123"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r = admin.post(
        "/admin/settings",
        &[
            ("organisation_name", "Northshire Hospitals NHS Trust"),
            ("child_age_under", "18"),
            ("default_nation", "england"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
}

fn a_licensing_breach_has_its_own_panel_and_form(server: &Server) {
    // Given as prescribed at a site the employer's licence does not
    // cover: not notifiable, still a breach of regulation 5.
    let breach = serde_json::json!({"nation": "england", "discovered": "2026-02-20",
        "modality": "nuclear-medicine-therapy", "exposure": "intended", "licence": {"employer": false},
        "radiopharmaceutical": {"intended": "I-131", "administered": "I-131"},
        "title": "I-131 therapy given at a site the employer's licence does not cover"});
    let r = server.api("inv", "POST", "/api/v1/incidents", &breach.to_string());
    assert_eq!(r.status, 201, "{}", r.body);
    let reference = r.json()["reference"].as_str().expect("ref").to_owned();
    let at = format!("/incidents/{reference}");
    let mut inv = signed_in(server, "inv");
    let page = inv.get(&at).body;
    assert!(
        page.contains("<h2 id=\"licence-breach-heading\">Licensing breach</h2>"),
        "{page}"
    );
    assert!(!page.contains("send-heading"), "not notifiable: {page}");
    assert!(
        page.contains("Tell the CQC on its licensing breach form"),
        "{page}"
    );
    assert!(page.contains("is not connected to CQC"), "{page}");
    let mut rep = signed_in(server, "rep");
    assert!(!rep.get(&at).body.contains("licence-breach-heading"));
    let send =
        |b: &mut Browser, form: &[(&str, &str)]| b.post(&format!("{at}/send-licence-breach"), form);
    let r = send(&mut inv, &[("kind", "not-covered"), ("site", "")]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body
            .contains("<a href=\"#f-licence-breach\">Not sent: authority: "),
        "{}",
        r.body
    );

    connect_to_nothing(server);
    let page = inv.get(&at).body;
    // The form starts from the department's site.
    assert!(
        page.contains("name=\"site\" maxlength=\"200\" value=\"Royal Infirmary\""),
        "{page}"
    );
    for (form, expected) in [
        (
            &[("kind", "sometimes"), ("site", "Royal Infirmary")][..],
            "Not sent: kind: ",
        ),
        (
            &[("kind", "expired"), ("site", &"x".repeat(201))][..],
            "Not sent: site: ",
        ),
    ] {
        let r = send(&mut inv, form);
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains(expected), "{expected}: {}", r.body);
    }
    let r = send(
        &mut inv,
        &[("kind", "not-covered"), ("site", "Royal Infirmary")],
    );
    let (_, page) = follow(&mut inv, &r);
    assert!(
        page.body.contains("Queued for the authority"),
        "{}",
        page.body
    );
    let mut shown = String::new();
    for _ in 0..50 {
        shown = inv.get(&at).body;
        if shown.contains("Not sent yet: could not reach") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(shown.contains("Not sent yet: could not reach"), "{shown}");
    assert!(!shown.contains("licensing breach form</button>"), "{shown}");
    let r = send(
        &mut inv,
        &[("kind", "not-covered"), ("site", "Royal Infirmary")],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("sent (or queued) already"), "{}", r.body);
}

fn a_notification_is_sent_once_and_a_failure_is_shown(server: &Server) {
    let mut inv = signed_in(server, "inv");
    let reference = report(&mut inv);
    let at = format!("/incidents/{reference}");
    let page = inv.get(&at).body;
    assert!(
        page.contains("<h2 id=\"send-heading\">Notification to CQC</h2>"),
        "{page}"
    );
    assert!(page.contains("is not connected to CQC"), "{page}");
    // A reporter has no such panel.
    let mut rep = signed_in(server, "rep");
    assert!(!rep.get(&at).body.contains("send-heading"));

    // An address where nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let mut admin = signed_in(server, "admin");
    let r = admin.post(
        "/admin/authority",
        &[("contact_email", "not an address"), ("url_cqc", &url)],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("href=\"#f-contact-email\""), "{}", r.body);
    let r = admin.post(
        "/admin/authority",
        &[
            ("contact_email", "rpa@trust.example.org"),
            ("organisation_code", "RXX"),
            ("url_cqc", &url),
            ("token_cqc", "irmer_org_0123"),
        ],
    );
    let (_, page) = follow(&mut admin, &r);
    assert!(page.body.contains("Saved."), "{}", page.body);
    assert!(
        page.body.contains("A token is saved; it is not shown."),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("irmer_org_0123"),
        "the token is never shown"
    );

    let page = inv.get(&at).body;
    assert!(page.contains(">Send to CQC</button>"), "{page}");
    // Without the organisation's name: refused, naming what is missing.
    let r = inv.post(&format!("{at}/send"), &[]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("<a href=\"#f-send\">Not sent: organisation_name: set the organisation's name in the settings first</a>"),
        "{}",
        r.body
    );
    let r = admin.post(
        "/admin/settings",
        &[
            ("organisation_name", "Northshire Hospitals NHS Trust"),
            ("child_age_under", "18"),
            ("default_nation", "england"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let r = inv.post(&format!("{at}/send"), &[]);
    let (_, page) = follow(&mut inv, &r);
    assert!(
        page.body.contains("Queued for the authority"),
        "{}",
        page.body
    );
    // Posted at once; nothing answers: kept, with the reason.
    let mut shown = String::new();
    for _ in 0..50 {
        shown = inv.get(&at).body;
        if shown.contains("Not sent yet") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        shown.contains("Not sent yet (1 attempt): could not reach"),
        "{shown}"
    );
    let dash = inv.get("/").body;
    assert!(dash.contains("<h2>Notifications not sent</h2>"), "{dash}");
    assert!(
        dash.contains("not sent yet, irmer tries again: could not reach"),
        "{dash}"
    );
    // Once only: the form is gone; a second post is refused, naming why.
    assert!(!shown.contains(">Send to CQC</button>"));
    let r = inv.post(&format!("{at}/send"), &[]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("sent (or queued) already"), "{}", r.body);
    // Recorded by hand meanwhile: the report's part appears, asking for a
    // final version first.
    let step = r#"{"version": 1, "action": "record-notification", "date": "2026-02-27", "authority_reference": "CQC/123"}"#;
    let r = server.api(
        "inv",
        "POST",
        &format!("/api/v1/incidents/{reference}/steps"),
        step,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let page = inv.get(&at).body;
    assert!(page.contains("<h3>The investigation report</h3>"), "{page}");
    assert!(
        page.contains("Save a final version of the investigation report to send it from here."),
        "{page}"
    );
    let r = inv.post(&format!("{at}/send-report"), &[]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains("Not sent: report: save a final version"),
        "{}",
        r.body
    );
}
