//! Themes (code M): suggested from a shared cause within the window and
//! the reader's scope, confirmed (M appears through the engine) or
//! dismissed (not suggested again for the same incidents).

use serde_json::json;

use super::{ct, register_at};
use crate::accounts::{AccountStore, Scope};
use crate::register::{RegisterError, replay};
use crate::theme::{Decided, Decision, Within};
use crate::{EventKind, Owner, Store};

const WRONG_PATIENT: &str = "operator.patient-identification.wrong-patient";
const WRONG_PROTOCOL: &str = "operator.pre-exposure-checks.wrong-protocol";

fn refs(s: &crate::theme::Suggestion) -> Vec<&str> {
    s.incidents.iter().map(|r| r.reference.as_str()).collect()
}

pub async fn themes_are_suggested_confirmed_and_dismissed<S: Store + AccountStore>(store: S) {
    let site = store.create_site("North").await.expect("site").id;
    let xray = store
        .create_department(site, "X-ray")
        .await
        .expect("dept")
        .id;
    let ct_dept = store.create_department(site, "CT").await.expect("dept").id;
    let r = register_at(store, time::macros::datetime!(2026-06-01 12:00 UTC));
    let report = |reference: &str, discovered: &str, causes: &[&str], department: i64| {
        let mut v = ct(reference, discovered);
        // Not notifiable on its own (1.2 times the intended dose).
        v["dose"]["received"] = json!(0.6);
        v["causes"] = json!(causes);
        let owner = Owner {
            department: Some(department),
            reported_by: None,
        };
        let r = &r;
        async move {
            r.report_as(&v.to_string(), "alice", owner, Scope::Organisation)
                .await
                .expect("report")
        }
    };
    let t1 = report("T-1", "2025-05-01", &[WRONG_PATIENT], xray).await;
    assert!(
        !t1.assessment
            .codes
            .iter()
            .any(|c| c.to_string().starts_with('M'))
    );
    report(
        "T-2",
        "2025-09-01",
        &[WRONG_PATIENT, WRONG_PROTOCOL],
        ct_dept,
    )
    .await;
    // Sixteen months before: outside the window.
    report("T-3", "2024-01-01", &[WRONG_PATIENT], xray).await;
    report("T-4", "2025-06-01", &[WRONG_PROTOCOL], xray).await;
    report("T-5", "2025-07-01", &[], xray).await;

    let all = Some(Scope::Organisation);
    let found = r
        .theme_suggestions(&t1, Within::new(all, 12))
        .await
        .expect("suggest");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].cause, WRONG_PATIENT);
    assert!(
        found[0].cause_words.ends_with("Wrong patient"),
        "{}",
        found[0].cause_words
    );
    assert_eq!(refs(&found[0]), ["T-2"]);
    assert!(!found[0].more);
    // A wider window reaches T-3.
    let wide = r
        .theme_suggestions(&t1, Within::new(all, 24))
        .await
        .expect("suggest");
    assert_eq!(refs(&wide[0]), ["T-2", "T-3"]);
    // Nothing outside the reader's scope is shown: X-ray staff do not see
    // CT's T-2.
    let xray_only = Some(Scope::Department {
        department: xray,
        user: 999,
    });
    assert!(
        r.theme_suggestions(&t1, Within::new(xray_only, 12))
            .await
            .expect("suggest")
            .is_empty()
    );
    // ... nor can they decide on it.
    let e = r
        .dismiss_theme(
            "T-1",
            WRONG_PATIENT,
            "Unrelated",
            "lead",
            Within::new(xray_only, 12),
        )
        .await
        .expect_err("nothing to dismiss in that scope");
    assert!(
        matches!(&e, RegisterError::Invalid(i) if i.field == "cause"),
        "{e}"
    );
    // An uncoded incident has nothing to suggest.
    let t5 = r.get("T-5").await.expect("T-5");
    assert!(
        r.theme_suggestions(&t5, Within::new(all, 12))
            .await
            .expect("suggest")
            .is_empty()
    );

    // Dismissed: with a reason, and not suggested again for T-2.
    let e = r
        .dismiss_theme("T-1", WRONG_PATIENT, "  ", "lead", Within::new(all, 12))
        .await
        .expect_err("a reason");
    assert!(
        matches!(&e, RegisterError::Invalid(i) if i.field == "reason"),
        "{e}"
    );
    let t1 = r
        .dismiss_theme(
            "T-1",
            WRONG_PATIENT,
            "Different rooms and staff",
            "lead",
            Within::new(all, 12),
        )
        .await
        .expect("dismissed");
    assert_eq!(t1.version, 2);
    assert!(!t1.incident.theme);
    assert!(
        r.theme_suggestions(&t1, Within::new(all, 12))
            .await
            .expect("suggest")
            .is_empty()
    );
    let e = r
        .dismiss_theme("T-1", WRONG_PATIENT, "Again", "lead", Within::new(all, 12))
        .await
        .expect_err("nothing left to dismiss");
    assert!(
        matches!(&e, RegisterError::Invalid(i) if i.field == "cause"),
        "{e}"
    );
    let decided = r.theme_decisions("T-1").await.expect("decisions");
    assert_eq!(
        decided,
        [Decided {
            decision: Decision::Dismissed,
            cause: WRONG_PATIENT.into(),
            incidents: vec!["T-2".into()],
            window_months: 12,
        }]
    );
    // T-2's own suggestion is not dismissed by T-1's decision.
    let t2 = r.get("T-2").await.expect("T-2");
    let on_t2 = r
        .theme_suggestions(&t2, Within::new(all, 12))
        .await
        .expect("suggest");
    assert_eq!(on_t2.len(), 2, "{on_t2:?}");

    // A new incident with the cause brings it back, listing both.
    report("T-6", "2025-08-01", &[WRONG_PATIENT], xray).await;
    let found = r
        .theme_suggestions(&t1, Within::new(all, 12))
        .await
        .expect("suggest");
    assert_eq!(refs(&found[0]), ["T-2", "T-6"]);

    // Confirmed: the theme set, M through the engine, the decision in the
    // history with its reason; no more suggestions on T-1.
    let e = r
        .confirm_theme(
            "T-1",
            2,
            WRONG_PROTOCOL,
            "A theme",
            "lead",
            Within::new(all, 12),
        )
        .await
        .expect_err("not one of T-1's causes");
    assert!(
        matches!(&e, RegisterError::Invalid(i) if i.field == "cause"),
        "{e}"
    );
    let e = r
        .confirm_theme(
            "T-1",
            1,
            WRONG_PATIENT,
            "A theme",
            "lead",
            Within::new(all, 12),
        )
        .await
        .expect_err("a stale version");
    assert!(
        matches!(&e, RegisterError::Store(crate::StoreError::Conflict { .. })),
        "{e}"
    );
    let t1 = r
        .confirm_theme(
            "T-1",
            2,
            WRONG_PATIENT,
            "Three wrong-patient CTs in a year",
            "lead",
            Within::new(all, 12),
        )
        .await
        .expect("confirmed");
    assert!(t1.incident.theme);
    assert!(
        t1.assessment
            .codes
            .iter()
            .any(|c| c.to_string().starts_with('M')),
        "{:?}",
        t1.assessment.codes
    );
    assert_eq!(t1.outcome, irmer_core::Outcome::Notifiable);
    assert!(
        r.theme_suggestions(&t1, Within::new(all, 12))
            .await
            .expect("suggest")
            .is_empty()
    );
    let history = r.history("T-1").await.expect("history");
    let last = history.last().expect("an event");
    assert_eq!(last.kind, EventKind::Theme);
    assert_eq!(
        last.reason.as_deref(),
        Some("Three wrong-patient CTs in a year")
    );
    assert_eq!(last.data["decision"], "confirmed");
    assert_eq!(last.data["incidents"], json!(["T-2", "T-6"]));
    assert!(last.changes.iter().any(|c| c.field == "theme"));
    let (facts, _, _) = replay(&history).expect("replay");
    assert_eq!(facts["theme"], true);
    // The others now see T-1 as part of a theme.
    let t6 = r.get("T-6").await.expect("T-6");
    let on_t6 = r
        .theme_suggestions(&t6, Within::new(all, 12))
        .await
        .expect("suggest");
    let listed = on_t6[0]
        .incidents
        .iter()
        .find(|i| i.reference == "T-1")
        .expect("T-1");
    assert!(listed.in_theme);
}
