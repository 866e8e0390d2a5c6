//! The Statistics and Trends pages: the counts of what the user may see,
//! each chart with its description and table, a bad period named.

use crate::helpers::*;

crate::on_both_backends!(the_year_and_its_trends_in_the_browser);

fn the_year_and_its_trends_in_the_browser(server: &Server) {
    let mut rep = signed_in(server, "rep");
    report(&mut rep);
    let near = irmer_store::testsuite::near_miss("NM-1", "2026-02-12").to_string();
    assert_eq!(
        server
            .api("api-test", "POST", "/api/v1/incidents", &near)
            .status,
        201
    );
    let mut aud = signed_in(server, "aud");
    let page = aud.get("/statistics?by=department");
    assert_eq!(page.status, 200, "{}", page.body);
    let body = page.body;
    assert!(body.contains("<strong>2</strong>incidents"), "{body}");
    assert!(body.contains("<strong>1</strong>near misses"), "{body}");
    assert!(body.contains("<strong>1</strong>notifiable"), "{body}");
    // The bar chart names itself and the table gives each figure.
    assert!(body.contains("<svg class=\"chart\""), "{body}");
    assert!(body.contains("<title id=\"by-group-title\">Incidents by department</title>"));
    assert!(
        body.contains("<th scope=\"row\" data-label=\"Department\">Radiology (Royal Infirmary)</th><td data-label=\"Incidents\">1</td><td data-label=\"Notifiable\">1</td>"),
        "{body}"
    );
    assert!(
        body.contains(">No department</th><td data-label=\"Incidents\">1</td>"),
        "{body}"
    );
    // The navigation marks the section.
    assert!(body.contains("<a href=\"/statistics\" aria-current=\"page\">Statistics</a>"));
    // Another department's investigator counts none of them.
    let mut inv2 = signed_in(server, "inv2");
    let theirs = inv2.get("/statistics").body;
    assert!(theirs.contains("<strong>0</strong>incidents"), "{theirs}");
    // A bad period is named.
    let bad = aud.get("/statistics?financial_year=next");
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains(
            "<a href=\"#f-financial-year\">Financial year: &quot;next&quot; is not a year"
        ),
        "{}",
        bad.body
    );
    assert!(
        bad.body
            .contains("aria-describedby=\"f-financial-year-error\"")
    );
    let bad = aud.get("/statistics?from=2026-02-01&to=2026-01-01");
    assert_eq!(bad.status, 400);
    assert!(
        bad.body
            .contains("<a href=\"#f-from\">From: the start 2026-02-01 is after the end 2026-01-01"),
        "{}",
        bad.body
    );
    let bad = aud.get("/trends?from=1990-01-01&to=2026-01-01");
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("a trend charts at most 240 months"),
        "{}",
        bad.body
    );
    // Trends: every month, the chart, its verdict and its figures.
    let page = aud.get("/trends?from=2025-03-01&to=2026-02-28");
    assert_eq!(page.status, 200, "{}", page.body);
    let body = page.body;
    assert!(
        body.contains("<h2 id=\"trend-0-heading\">All incidents</h2>"),
        "{body}"
    );
    assert!(
        body.contains("<th scope=\"row\">February 2026</th><td>2</td>"),
        "{body}"
    );
    assert!(
        body.contains("<th scope=\"row\">March 2025</th><td>0</td>"),
        "{body}"
    );
    assert!(body.contains("Common cause variation") || body.contains("Special cause"));
    assert!(body.contains("<desc id=\"trend-0-desc\">Control chart of incidents a month from March 2025 to February 2026: 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2."), "{body}");
    let by = aud.get("/trends?by=modality").body;
    assert!(
        by.contains(">CT</h2>") && by.contains(">Dental</h2>"),
        "{by}"
    );
    // The form keeps what was asked.
    assert!(
        by.contains("<option value=\"modality\" selected>Modality</option>"),
        "{by}"
    );
    // The committee's report: a document of its own, in the reader's scope.
    let at = "/statistics/committee.html?from=2025-04-01&to=2026-03-31";
    let doc = aud.get(at);
    assert_eq!(doc.status, 200, "{}", doc.body);
    assert!(
        doc.header("content-security-policy")
            .is_some_and(|c| c.starts_with("default-src 'none'; style-src 'unsafe-inline'"))
    );
    assert!(
        doc.body.contains("Incidents from 1 April 2025 to 31 March 2026</strong>, covering the whole organisation."),
        "{}",
        doc.body
    );
    assert!(
        doc.body
            .contains("<th scope=\"row\">Total</th><td class=\"n\">2</td><td class=\"n\">1</td>"),
        "{}",
        doc.body
    );
    let theirs = inv2.get(at).body;
    assert!(
        theirs.contains("covering Radiotherapy")
            && theirs.contains("<th scope=\"row\">Total</th><td class=\"n\">0</td>"),
        "{theirs}"
    );
    let pdf = aud.get("/statistics/committee.pdf?financial_year=2025");
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.body.starts_with("%PDF-"));
    assert!(
        pdf.header("content-disposition")
            .is_some_and(|d| d.contains("committee-2025-04-01-to-2026-03-31.pdf"))
    );
    assert_eq!(
        aud.get("/statistics/committee.pdf?financial_year=next")
            .status,
        400
    );
    assert!(
        aud.get("/statistics?financial_year=2025")
            .body
            .contains("href=\"/statistics/committee.pdf?from=2025-04-01&amp;to=2026-03-31\"")
    );
}

crate::on_both_backends!(rates_per_activity_and_low_reporting);

/// Activity entered by an administrator gives incidents per 10,000
/// examinations; a modality under half the organisation's rate, and a
/// department silent for months, are flagged.
fn rates_per_activity_and_low_reporting(server: &Server) {
    let mut rep = signed_in(server, "rep");
    report(&mut rep);
    report(&mut rep);
    let near = irmer_store::testsuite::near_miss("NM-1", "2026-02-12").to_string();
    assert_eq!(
        server
            .api("api-test", "POST", "/api/v1/incidents", &near)
            .status,
        201
    );
    let mut aud = signed_in(server, "aud");
    let before = aud.get("/statistics?financial_year=2025").body;
    assert!(
        before.contains("No activity covers this period"),
        "{before}"
    );
    let mut admin = signed_in(server, "admin");
    let r = admin.post(
        "/admin/activity",
        &[("activity", "ct 2025 1000\nxray 2025-04 5")],
    );
    assert_eq!(r.status, 422);
    assert!(
        r.body
            .contains("Line 2: &quot;xray&quot; is not a modality"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("xray 2025-04 5</textarea>"),
        "what was typed is kept"
    );
    // A note naming someone is refused, by its line.
    let r = admin.post(
        "/admin/activity",
        &[("activity", "# Counted by Mrs Patel\nct 2025 1000")],
    );
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("Line 1: this text would identify a person"),
        "{}",
        r.body
    );
    let r = admin.post(
        "/admin/activity",
        &[(
            "activity",
            "# From the DID\nct 2025 1000\ndental 2025 10000",
        )],
    );
    let (_, page) = follow(&mut admin, &r);
    assert!(page.body.contains("Saved."), "{}", page.body);
    let body = aud.get("/statistics?financial_year=2025").body;
    assert!(
        body.contains("<td data-label=\"Modality\">CT</td><td data-label=\"Incidents\">2</td><td data-label=\"Examinations\">1000</td><td data-label=\"Per 10,000\">20.0</td>"),
        "{body}"
    );
    // 3 in 11,000: 2.7 per 10,000; dental's 1.0 is under half of it.
    assert!(
        body.contains("The organisation: <strong>2.7</strong>"),
        "{body}"
    );
    assert!(
        body.contains("<strong>Dental</strong>: 1.0 incidents per 10,000 examinations, under half the organisation's 2.7."),
        "{body}"
    );
    // A period the activity does not cover whole has no rate.
    let part = aud.get("/statistics?from=2025-04-01&to=2025-09-30").body;
    assert!(part.contains("No activity covers this period"), "{part}");
    // Radiotherapy has reported nothing in the last 3 months.
    assert!(
        body.contains(
            "<strong>Radiotherapy (Royal Infirmary)</strong>: no incident reported since"
        ),
        "{body}"
    );
}
