//! The investigation report: investigators only; a first draft from the
//! register; final only when complete; similar incidents within the
//! look-back chosen; out (HTML and PDF) through the identifier gate.

use crate::helpers::*;

crate::on_both_backends!(the_investigation_report);

fn the_investigation_report(server: &Server) {
    let mut inv = signed_in(server, "inv");
    let reference = report(&mut inv);
    let mut rep = signed_in(server, "rep");
    let mut inv2 = signed_in(server, "inv2");
    // The organisation's name, from the settings, heads every report.
    let mut admin = signed_in(server, "admin");
    let r = admin.post(
        "/admin/settings",
        &[
            ("organisation_name", "Northshire Hospitals NHS Trust"),
            ("child_age_under", "18"),
            ("default_nation", "england"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    // The patient's name is recorded, so that the gate knows it.
    let who = format!("/incidents/{reference}/identity");
    let r = inv.post(&who, &[("patient.name", "Jane Smith")]);
    assert_eq!(r.status, 303, "{}", r.body);
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
    // Before anything is saved, there is nothing to download.
    assert!(!page.contains("report.pdf"), "{page}");
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
    assert!(
        year.contains("Download version 1 (PDF)"),
        "saved: the download is the main button"
    );
    // Looking again keeps what was written and not saved, and saves nothing.
    let mut typed = sections("Written and not yet saved.");
    typed.retain(|(k, _)| *k != "action" && *k != "version");
    typed.extend([("version", "1"), ("action", "look"), ("days", "2")]);
    let r = inv.post(&rp, &typed);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains(">Written and not yet saved.</textarea>")
            && r.body.contains("None found with the same modality"),
        "{}",
        r.body
    );
    assert!(!inv.get(&rp).body.contains("Written and not yet saved."));
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
    for line in [
        "<th scope=\"row\">Organisation</th><td>Northshire Hospitals NHS Trust</td>",
        "<th scope=\"row\">Site and department</th><td>Radiology (Royal Infirmary)</td>",
        "<th scope=\"row\">Prepared by</th><td>inv, version 1 saved on",
        "<h2>Sign-off</h2>",
    ] {
        assert!(made.body.contains(line), "{line}: {}", made.body);
    }
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
}
