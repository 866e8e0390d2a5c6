//! The ARSAC licence register: saved by an administrator (each bad line
//! named, nothing saved), the licences due for renewal on the dashboard,
//! and an incident whose substance no licence covered flagged as a
//! possible licensing breach.

use crate::helpers::*;
use serde_json::json;

crate::on_both_backends!(licences_are_kept_and_checked);

fn nm(substance: &str) -> String {
    json!({"nation": "england", "discovered": "2026-02-20",
        "modality": "nuclear-medicine", "exposure": "unintended", "patient": {"age_group": "adult"},
        "errors": ["human"], "dose": {"unit": "mSv", "intended": 0.7, "received": 0.9},
        "radiopharmaceutical": {"intended": "Tc-99m MAG3", "administered": substance}})
    .to_string()
}

fn licences_are_kept_and_checked(server: &Server) {
    let mut admin = signed_in(server, "admin");
    // Refused with the line and field; nothing saved.
    let bad = "holder,name,site,number,procedures,start,expiry\n\
        practitioner,Dr A,Royal Infirmary,P-1,Tc-99m DMSA,2025-01-01,2024-01-01\n";
    let r = admin.post("/admin/licences", &[("licences", bad)]);
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Line 2: expiry"), "{}", r.body);
    assert!(!admin.get("/admin/licences").body.contains("P-1"));
    let register = "holder,name,site,number,procedures,start,expiry\n\
        employer,Northshire Hospitals NHS Trust,Royal Infirmary,E-1,Tc-99m DMSA; Tc-99m MAG3,2024-01-01,2028-12-31\n\
        practitioner,Dr A Consultant,Royal Infirmary,P-1,Tc-99m DMSA,2022-06-01,2026-05-01\n";
    let r = admin.post("/admin/licences", &[("licences", register)]);
    assert_eq!(r.status, 303, "{}", r.body);
    // Due for renewal within 14 weeks (the test's clock: 1 March 2026).
    let dashboard = admin.get("/").body;
    assert!(
        dashboard.contains("ARSAC licences to renew")
            && dashboard.contains("P-1 (practitioner, Royal Infirmary): expires on 1 May 2026"),
        "{dashboard}"
    );
    // Reported in Radiology (Royal Infirmary): DMSA covered, MAG3 not by
    // the practitioner's licence.
    let report = |substance: &str| {
        let r = server.api("inv", "POST", "/api/v1/incidents", &nm(substance));
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()["reference"]
            .as_str()
            .expect("reference")
            .to_owned()
    };
    let (dmsa, mag3) = (report("Tc-99m DMSA"), report("Tc-99m MAG3"));
    let covered = admin.get(&format!("/incidents/{dmsa}")).body;
    assert!(!covered.contains("Possible licensing breach"), "{covered}");
    let page = admin.get(&format!("/incidents/{mag3}")).body;
    assert!(
        page.contains("Possible licensing breach")
            && page.contains("practitioner's licence covering Tc-99m MAG3 on 20 February 2026"),
        "{page}"
    );
    assert!(
        !page.contains("employer's licence for"),
        "the employer's covers MAG3 at the Royal Infirmary"
    );
    // Only administrators keep the register.
    let mut inv = signed_in(server, "inv");
    assert_eq!(inv.get("/admin/licences").status, 403);
    assert_eq!(inv.post("/admin/licences", &[("licences", "")]).status, 403);
}
