//! The incident page and its steps: a change of facts with its reason, a
//! stale form refused, the notification recorded, and the notification
//! summary (nothing that identifies anyone, through the scanner).

use crate::helpers::*;

crate::on_both_backends!(
    facts_change_with_a_reason,
    steps_and_the_notification_summary,
    coded_causes_are_shown_in_words,
    causes_are_coded_on_their_page
);

/// Causes coded (here through the API) are shown on the incident's page
/// with their tiers in words, and survive a change of the facts made on
/// the page, whose form does not ask them.
fn coded_causes_are_shown_in_words(server: &Server) {
    let mut inv = signed_in(server, "inv");
    let reference = report(&mut inv);
    let patch = r#"{"version": 1, "reason": "Causes found", "patch": {"causes": ["operator.pre-exposure-checks.wrong-protocol"], "contributing_factors": ["Alike protocol names"]}}"#;
    let r = server.api(
        "inv",
        "PATCH",
        &format!("/api/v1/incidents/{reference}"),
        patch,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let page = inv.get(&format!("/incidents/{reference}")).body;
    assert!(
        page.contains(
            "Operator › Pre-exposure checks › <strong>Wrong protocol or settings selected</strong>"
        ) && page.contains("Contributing factors: Alike protocol names"),
        "{page}"
    );
    let mut edit: Vec<(&str, &str)> = CT
        .iter()
        .filter(|(k, _)| *k != "action" && *k != "description")
        .copied()
        .collect();
    edit.extend([
        ("description", "Reworded."),
        ("reason", "Wording"),
        ("version", "2"),
        ("action", "save"),
    ]);
    let r = inv.post(&format!("/incidents/{reference}/edit"), &edit);
    assert_eq!(r.status, 303, "{}", r.body);
    let page = inv.get(&format!("/incidents/{reference}")).body;
    assert!(
        page.contains("Wrong protocol or settings selected"),
        "{page}"
    );
}

fn facts_change_with_a_reason(server: &Server) {
    let mut rep = signed_in(server, "rep");
    let reference = report(&mut rep);
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
    // The reporter's original account is unchanged, in words (the raw
    // record folded away beneath).
    let original = page
        .body
        .split("The reporter&#39;s original account")
        .nth(1)
        .or_else(|| page.body.split("The reporter's original account").nth(1))
        .expect("the original account");
    assert!(
        original.contains("<dt>Dose received (total)</dt><dd>6</dd>")
            && original.contains("<dd>Human error</dd>"),
        "{original}"
    );
    assert!(original.contains("<details>"), "{original}");
    // The reporter sees what became of the report.
    assert!(
        rep.get(&format!("/incidents/{reference}"))
            .body
            .contains("Dose recalculated by the MPE")
    );
    // A stale form is refused, not merged.
    let r = inv.post(&format!("/incidents/{reference}/edit"), &change);
    assert_eq!(r.status, 409);
}

fn steps_and_the_notification_summary(server: &Server) {
    let mut inv = signed_in(server, "inv");
    let reference = report(&mut inv);
    let v = version(&mut inv, &reference);
    // Only the steps that fit: a notifiable incident is not closed locally,
    // nor closed before its report is sent.
    let page = inv.get(&format!("/incidents/{reference}")).body;
    assert!(page.contains("value=\"record-notification\""), "{page}");
    assert!(
        !page.contains("value=\"close-locally\"") && !page.contains("value=\"close\""),
        "{page}"
    );
    // A not notifiable one closes locally, and offers no notification.
    let mut small: Vec<(&str, &str)> = CT
        .iter()
        .filter(|(k, _)| *k != "dose.received")
        .copied()
        .collect();
    small.push(("dose.received", "0.6"));
    let r = inv.post("/report", &small);
    assert_eq!(r.status, 303, "{}", r.body);
    let minor = r
        .header("location")
        .expect("location")
        .trim_end_matches("/reported")
        .to_owned();
    let page = inv.get(&minor).body;
    assert!(page.contains("Not notifiable"), "{page}");
    assert!(
        page.contains("value=\"close-locally\"")
            && !page.contains("value=\"record-notification\"")
            && !page.contains("value=\"close\""),
        "{page}"
    );
    let mv = hidden(&page, "version");
    let close = |findings: &'static str, confirm: Option<&'static str>| {
        let mut form = vec![
            ("action", "close-locally"),
            ("version", mv.as_str()),
            ("date", "2026-03-01"),
            ("findings", findings),
        ];
        form.extend(confirm.map(|c| ("confirm", c)));
        form
    };
    // Closing is checked first: empty findings are refused on the form,
    // real ones shown to be confirmed; nothing is recorded until then.
    let r = inv.post(&format!("{minor}/steps"), &close(" ", None));
    assert_eq!(r.status, 422);
    assert!(r.body.contains("href=\"#f-findings\""), "{}", r.body);
    let r = inv.post(
        &format!("{minor}/steps"),
        &close("Protocol names made distinct.", None),
    );
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Check before closing"), "{}", r.body);
    assert!(
        r.body.contains("Protocol names made distinct."),
        "{}",
        r.body
    );
    assert!(r.body.contains("1 March 2026"), "{}", r.body);
    assert!(!inv.get(&minor).body.contains("Status: Closed"));
    // Only "yes" records it: anything else is checked and shown again.
    let r = inv.post(
        &format!("{minor}/steps"),
        &close("Protocol names made distinct.", Some("maybe")),
    );
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Check before closing"), "{}", r.body);
    assert!(!inv.get(&minor).body.contains("Status: Closed"));
    // Going back to change them keeps what was typed.
    let r = inv.post(
        &format!("{minor}/steps"),
        &close("Protocol names made distinct.", Some("change")),
    );
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains(">Protocol names made distinct.</textarea>"),
        "{}",
        r.body
    );
    let r = inv.post(
        &format!("{minor}/steps"),
        &close("Protocol names made distinct.", Some("yes")),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = inv.get(&minor).body;
    assert!(page.contains("Status: Closed locally"), "{page}");
    assert!(
        !page.contains("value=\"close-locally\"") && page.contains("Reopen the incident"),
        "{page}"
    );
    // Reopened only with a reason, which the history keeps.
    let mv = hidden(&page, "version");
    let reopen = |reason: &'static str| {
        vec![
            ("action", "reopen"),
            ("version", mv.as_str()),
            ("reason", reason),
        ]
    };
    let r = inv.post(&format!("{minor}/steps"), &reopen(""));
    assert_eq!(r.status, 422);
    assert!(r.body.contains("href=\"#f-reopen-reason\""), "{}", r.body);
    assert!(r.body.contains("Say why the incident is reopened"));
    let r = inv.post(
        &format!("{minor}/steps"),
        &reopen("The MPE recalculated the dose"),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = inv.get(&minor).body;
    assert!(page.contains("Status: Investigating"), "{page}");
    assert!(
        page.contains("Reopened</strong> by inv")
            && page.contains("Reason: The MPE recalculated the dose"),
        "{page}"
    );
    // Steps: the investigator records the notification; a bad date is
    // named on the form that was sent.
    let r = inv.post(
        &format!("/incidents/{reference}/steps"),
        &[
            ("action", "record-notification"),
            ("version", &v),
            ("date", "soon"),
        ],
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("href=\"#f-notified-date\""), "{}", r.body);
    let r = inv.post(
        &format!("/incidents/{reference}/steps"),
        &[
            ("action", "record-notification"),
            ("version", &v),
            ("date", "2026-03-01"),
            ("authority_reference", "CQC-123"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = inv.get(&format!("/incidents/{reference}")).body;
    assert!(page.contains("Authority notified"), "{page}");
    assert!(
        page.contains("The authority&#39;s reference: <strong>CQC-123</strong>")
            || page.contains("The authority's reference: <strong>CQC-123</strong>"),
        "in the header: {page}"
    );

    // The notification summary names no one.
    let summary = inv.get(&format!("/incidents/{reference}/notification"));
    assert_eq!(summary.status, 200);
    // In words, each code once, with how and where to notify.
    for words in [
        "2.2, the category code (",
        "Unintended: an exposure was intended",
        "Human error",
        "How to notify the Care Quality Commission",
        "portal.cqc.org.uk/irmer-saue",
    ] {
        assert!(summary.body.contains(words), "{words}: {}", summary.body);
    }
    assert_eq!(
        summary.body.matches("<dt>Notification codes</dt>").count(),
        1
    );
    assert!(!summary.body.contains("<dd>human</dd>"));
    assert!(
        !summary.body.contains("wrong protocol selected"),
        "the free-text description never goes to the authority"
    );
    assert!(!summary.body.contains(">40<"), "the exact age is not given");

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
}

/// Causes coded in the browser: the taxonomy's codes under their tiers,
/// factors one a line, a reason required; saved as a change in the
/// history; an unknown code or a named person refused on the form; not
/// for a reporter.
fn causes_are_coded_on_their_page(server: &Server) {
    let mut inv = signed_in(server, "inv");
    let mut rep = signed_in(server, "rep");
    let reference = report(&mut inv);
    let at = format!("/incidents/{reference}/causes");
    assert_eq!(rep.get(&at).status, 403);
    let page = inv.get(&at).body;
    assert!(page.contains("<legend>Operator</legend>"), "{page}");
    assert!(
        page.contains("value=\"operator.pre-exposure-checks.wrong-protocol\""),
        "{page}"
    );
    let version = hidden(&page, "version");
    let form = |reason: &'static str, factors: &'static str, code: &'static str| {
        vec![
            ("version", version.clone()),
            ("causes", code.to_owned()),
            ("causes", "equipment.fault.software".to_owned()),
            ("contributing_factors", factors.to_owned()),
            ("reason", reason.to_owned()),
        ]
    };
    let send = |b: &mut Browser, f: Vec<(&str, String)>| {
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        b.post(&at, &pairs)
    };
    let wrong = "operator.pre-exposure-checks.wrong-protocol";
    let r = send(&mut inv, form("", "Alike names", wrong));
    assert_eq!(r.status, 422);
    assert!(r.body.contains("href=\"#f-reason\""), "{}", r.body);
    assert!(r.body.contains(">Alike names</textarea>"), "typed kept");
    let r = send(
        &mut inv,
        form("Found", "Alike names", "operator.contrast.made-up"),
    );
    assert_eq!(r.status, 422);
    assert!(r.body.contains("href=\"#f-causes\""), "{}", r.body);
    let r = send(&mut inv, form("Found", "Mr Aardvark was tired", wrong));
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("href=\"#f-contributing-factors\""),
        "{}",
        r.body
    );
    let r = send(
        &mut inv,
        form(
            "Root cause analysis",
            "Alike names\n\nNo second check",
            wrong,
        ),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let page = inv.get(&format!("/incidents/{reference}")).body;
    assert!(
        page.contains("<strong>Wrong protocol or settings selected</strong>")
            && page.contains("<strong>Software fault</strong>")
            && page.contains("Contributing factors: Alike names; No second check")
            && page.contains("Reason: Root cause analysis"),
        "{page}"
    );
    // The form shows what is coded, ticked.
    let again = inv.get(&at).body;
    assert!(
        again.contains(&format!("value=\"{wrong}\" checked")),
        "{again}"
    );
}
