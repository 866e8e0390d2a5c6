//! A notification as a case: every step an event of its append-only
//! history with its change and its e-mail in one transaction; the lists
//! by stage, report and inspector; a chaser kept once however often it
//! is tried; an unknown reference refused with nothing written.

use time::macros::datetime;

use super::authority::{ack, new};
use crate::accounts::{AccountStore, NewUser, Role};
use crate::authority::{AuthorityStore, NewReport};
use crate::case::{CaseChange, CaseFilter, NewCaseEvent, Risk, Stage};
use crate::mail::{Mail, MailStore};

fn mail(subject: &str) -> Mail {
    Mail {
        message_id: format!("<{}@cqc.example.org>", subject.replace(' ', "-")),
        from: "notifications@cqc.example.org".into(),
        to: "rpa@northshire.example.org".into(),
        subject: subject.into(),
        body: "Body.".into(),
    }
}

pub async fn cases_keep_their_history_and_chase_once<
    S: AuthorityStore + MailStore + AccountStore,
>(
    store: S,
) {
    let at = datetime!(2026-12-01 10:00 UTC);
    let inspector = store
        .create_user(&NewUser {
            username: "ines".into(),
            display_name: "Ines Inspector".into(),
            role: Role::Investigator,
            department_id: None,
            password_hash: None,
            must_change_password: false,
            email: None,
        })
        .await
        .expect("user");
    let first = store.receive(&new(at), &ack).await.expect("received");
    let second = store
        .receive(&new(at + time::Duration::hours(1)), &ack)
        .await
        .expect("received");
    let (a, b) = (first.reference.as_str(), second.reference.as_str());
    let event =
        |kind: &'static str, details: &'static str, once: Option<&'static str>| NewCaseEvent {
            kind,
            at: at + time::Duration::days(1),
            actor_id: Some(inspector.id),
            actor: "Ines Inspector",
            details,
            once,
        };

    // Triage: the risk and the inspector, the stage moved, one event.
    store
        .record_case(
            a,
            &event("triaged", r#"{"risk":"high"}"#, None),
            &CaseChange {
                stage: Some(Stage::Triaged),
                risk: Some(Risk::High),
                inspector: Some(Some(inspector.id)),
                category: None,
            },
            None,
        )
        .await
        .expect("triaged")
        .expect("new");
    let triaged = store.notification(a).await.expect("read").expect("there");
    assert_eq!(
        (triaged.stage(), triaged.risk, triaged.inspector_id),
        (Stage::Triaged, Some(Risk::High), Some(inspector.id))
    );
    // The queue holds the other; the inspector's list this one.
    let queue = store
        .notifications(&CaseFilter::queue(), 10, 0)
        .await
        .expect("queue");
    assert_eq!(
        queue
            .iter()
            .map(|n| n.reference.as_str())
            .collect::<Vec<_>>(),
        [b]
    );
    let mine = CaseFilter {
        inspector: Some(inspector.id),
        ..CaseFilter::open()
    };
    assert_eq!(
        store.notifications(&mine, 10, 0).await.expect("mine")[0].reference,
        a
    );

    // A request for details: the event and its e-mail together.
    let before = store.outbox(100, 0).await.expect("outbox").len();
    store
        .record_case(
            a,
            &event("details-requested", r#"{"message":"When?"}"#, None),
            &CaseChange::default(),
            Some(&mail("More details please")),
        )
        .await
        .expect("requested");
    assert_eq!(
        store.outbox(100, 0).await.expect("outbox").len(),
        before + 1
    );

    // A chaser, tried three times: one event, one e-mail.
    for _ in 0..3 {
        let _ = store
            .record_case(
                a,
                &event("chased", r#"{"when":"due-soon"}"#, Some("chase-due-soon")),
                &CaseChange::default(),
                Some(&mail("Report due soon")),
            )
            .await
            .expect("chase");
    }
    let chases = store
        .outbox(100, 0)
        .await
        .expect("outbox")
        .iter()
        .filter(|q| q.mail.subject == "Report due soon")
        .count();
    assert_eq!(chases, 1);
    // The same key on another case is that case's own.
    assert!(
        store
            .record_case(
                b,
                &event("chased", "{}", Some("chase-due-soon")),
                &CaseChange::default(),
                None,
            )
            .await
            .expect("chase")
            .is_some()
    );

    // Categorised, then closed: the category kept, the stage closed.
    store
        .record_case(
            a,
            &event("categorised", "{}", None),
            &CaseChange {
                category: Some(("ct", "1.1.1 2.3.1")),
                ..CaseChange::default()
            },
            None,
        )
        .await
        .expect("categorised");
    store
        .record_case(
            a,
            &event("closed", "{}", None),
            &CaseChange {
                stage: Some(Stage::Closed),
                ..CaseChange::default()
            },
            Some(&mail("Closed")),
        )
        .await
        .expect("closed");
    let closed = store.notification(a).await.expect("read").expect("there");
    assert_eq!(
        (
            closed.stage(),
            closed.risk,
            closed.sub_modality.as_deref(),
            closed.causes.as_str()
        ),
        (Stage::Closed, Some(Risk::High), Some("ct"), "1.1.1 2.3.1"),
        "a later change leaves what it does not name"
    );
    assert!(
        store
            .notifications(&CaseFilter::open(), 10, 0)
            .await
            .expect("open")
            .iter()
            .all(|n| n.reference != a)
    );
    // Unassigned: Some(None) clears the inspector.
    store
        .record_case(
            a,
            &event("reassigned", "{}", None),
            &CaseChange {
                inspector: Some(None),
                ..CaseChange::default()
            },
            None,
        )
        .await
        .expect("reassigned");
    assert_eq!(
        store
            .notification(a)
            .await
            .expect("read")
            .expect("there")
            .inspector_id,
        None
    );

    // The history: every event in order, who and what.
    let history = store.case_events(a).await.expect("history");
    assert_eq!(
        history.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        [
            "received",
            "triaged",
            "details-requested",
            "chased",
            "categorised",
            "closed",
            "reassigned"
        ]
    );
    assert_eq!(
        (history[1].actor.as_str(), history[1].actor_id),
        ("Ines Inspector", Some(inspector.id))
    );
    assert_eq!(history[0].actor, "the provider");

    // Without a report: the report filter; with one, not.
    let waiting = CaseFilter {
        without_report: true,
        ..CaseFilter::default()
    };
    assert_eq!(
        store.notifications(&waiting, 10, 0).await.expect("l").len(),
        2
    );
    store
        .add_report(
            b,
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
    assert_eq!(
        store
            .notifications(&waiting, 10, 0)
            .await
            .expect("l")
            .iter()
            .map(|n| n.reference.as_str())
            .collect::<Vec<_>>(),
        [a]
    );

    // An unknown reference: refused by name, nothing written.
    let outbox = store.outbox(100, 0).await.expect("outbox").len();
    assert!(matches!(
        store
            .record_case(
                "CQC-IRMER-2026-00099",
                &event("triaged", "{}", None),
                &CaseChange::default(),
                Some(&mail("Never")),
            )
            .await,
        Err(crate::StoreError::NotFound(r)) if r == "CQC-IRMER-2026-00099"
    ));
    assert_eq!(store.outbox(100, 0).await.expect("outbox").len(), outbox);
}
