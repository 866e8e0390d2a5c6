//! The register's page: filters, the CSV of what is shown, a bad filter
//! named on its field.

use crate::helpers::*;

crate::on_both_backends!(the_register_filters_and_exports);

fn the_register_filters_and_exports(server: &Server) {
    let mut rep = signed_in(server, "rep");
    let reference = report(&mut rep);
    let mut aud = signed_in(server, "aud");
    // The register: filters, CSV of what is shown, a bad filter named.
    let list = aud.get("/incidents?modality=ct&status=reported");
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
            "{reference},reported,england,ct,unintended,2026-02-26"
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
}
