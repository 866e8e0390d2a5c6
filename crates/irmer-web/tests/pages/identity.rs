//! Who is involved: a page of its own, for investigators and
//! administrators; never on the incident page, the notification summary
//! or the CSV.

use crate::helpers::*;

crate::on_both_backends!(who_is_involved_is_kept_apart);

fn who_is_involved_is_kept_apart(server: &Server) {
    let mut inv = signed_in(server, "inv");
    let reference = report(&mut inv);
    let mut rep = signed_in(server, "rep");
    let mut adv = signed_in(server, "adv");
    let mut aud = signed_in(server, "aud");
    let mut inv2 = signed_in(server, "inv2");
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
}
