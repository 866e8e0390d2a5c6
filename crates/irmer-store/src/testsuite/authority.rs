//! The authority's register: references numbered per series and year
//! without gaps or repeats, also under concurrent submissions; the
//! acknowledgement queued with the notification; an Idempotency-Key
//! answering the first reference and queuing nothing more.

use std::collections::BTreeSet;

use time::macros::datetime;

use crate::authority::{AuthorityStore, NewNotification, NewReport, Series};
use crate::case::CaseFilter;
use crate::mail::{Mail, MailStore};

pub(super) fn new(at: time::OffsetDateTime) -> NewNotification {
    NewNotification {
        authority: "cqc".into(),
        series: Series::Irmer,
        organisation_name: "Northshire Hospitals NHS Trust".into(),
        organisation_code: Some("RXX".into()),
        provider_type: Some("nhs-acute".into()),
        chief_executive: None,
        contact_name: Some("Radiation protection adviser".into()),
        contact_email: "rpa@northshire.example.org".into(),
        facts: r#"{"nation":"england","discovered":"2026-11-20","modality":"ct","exposure":"unintended"}"#.into(),
        summary: "CT head repeated with the wrong protocol.".into(),
        provider_codes: "2.2".into(),
        assessment: "{}".into(),
        codes: "2.2".into(),
        modality: "ct".into(),
        discovered: crate::testsuite::d_public("2026-11-20"),
        report_due: crate::testsuite::d_public("2027-02-12"),
        token_id: None,
        idempotency_key: None,
        received_at: at,
    }
}

pub(super) fn ack(reference: &str) -> Mail {
    Mail {
        message_id: format!("<ack-{reference}@cqc.example.org>"),
        from: "notifications@cqc.example.org".into(),
        to: "rpa@northshire.example.org".into(),
        subject: format!("IR(ME)R notification {reference} received"),
        body: format!("Your reference is {reference}."),
    }
}

pub async fn notifications_are_numbered_without_gaps_and_acknowledged<
    S: AuthorityStore + MailStore,
>(
    store: S,
) {
    let at = datetime!(2026-12-01 10:00 UTC);
    let mut refs = Vec::new();
    for _ in 0..3 {
        let r = store.receive(&new(at), &ack).await.expect("received");
        assert!(r.created);
        refs.push(r.reference);
    }
    assert_eq!(
        refs,
        [
            "CQC-IRMER-2026-00001",
            "CQC-IRMER-2026-00002",
            "CQC-IRMER-2026-00003"
        ]
    );
    // The licensing series counts apart; a new year starts again.
    let licence = NewNotification {
        series: Series::Licence,
        ..new(at)
    };
    assert_eq!(
        store
            .receive(&licence, &ack)
            .await
            .expect("received")
            .reference,
        "CQC-LIC-2026-00001"
    );
    let next_year = new(datetime!(2027-01-02 09:00 UTC));
    assert_eq!(
        store
            .receive(&next_year, &ack)
            .await
            .expect("received")
            .reference,
        "CQC-IRMER-2027-00001"
    );
    // Each acknowledged in its transaction.
    let outbox = store.outbox(100, 0).await.expect("outbox");
    assert_eq!(outbox.len(), 5);
    assert!(
        outbox
            .iter()
            .any(|q| q.mail.subject == "IR(ME)R notification CQC-IRMER-2026-00002 received")
    );
    let kept = store
        .notification("CQC-IRMER-2026-00002")
        .await
        .expect("read")
        .expect("there");
    assert_eq!(kept.organisation_code.as_deref(), Some("RXX"));
    assert_eq!(kept.provider_type.as_deref(), Some("nhs-acute"));
    assert_eq!(kept.status, "received");
    assert_eq!(kept.report_due.to_string(), "2027-02-12");
    assert_eq!(kept.received_at, at);
    assert!(
        store
            .notification("CQC-IRMER-2026-00099")
            .await
            .expect("read")
            .is_none()
    );
    // Reports: numbered per notification, the notification marked.
    let t1 = at + time::Duration::days(80);
    let report = |body: &'static str, key: Option<&'static str>| NewReport {
        content_type: "text/plain",
        body,
        document: None,
        key,
        at: t1,
    };
    let r = "CQC-IRMER-2026-00002";
    let first = report("The report.", Some("k1"));
    assert_eq!(store.add_report(r, &first).await.expect("kept"), (1, true));
    // The same key again: the first version, nothing added.
    assert_eq!(store.add_report(r, &first).await.expect("kept"), (1, false));
    let second = report("Corrected.", None);
    assert_eq!(store.add_report(r, &second).await.expect("kept"), (2, true));
    let pdf = NewReport {
        content_type: "application/pdf",
        document: Some(b"%PDF-1.4 the document as it came"),
        ..report("Its text.", None)
    };
    assert_eq!(store.add_report(r, &pdf).await.expect("kept"), (3, true));
    assert!(matches!(
        store.add_report("CQC-IRMER-2026-00099", &report("x", None)).await,
        Err(crate::StoreError::NotFound(r)) if r == "CQC-IRMER-2026-00099"
    ));
    let reports = store
        .reports_of("CQC-IRMER-2026-00002")
        .await
        .expect("reports");
    assert_eq!(
        reports.iter().map(|r| r.version).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(reports[1].document, None);
    assert_eq!(
        reports[2].document.as_deref(),
        Some(&b"%PDF-1.4 the document as it came"[..])
    );
    assert_eq!(
        (reports[1].body.as_str(), reports[1].received_at),
        ("Corrected.", t1)
    );
    let marked = store
        .notification("CQC-IRMER-2026-00002")
        .await
        .expect("read")
        .expect("there");
    // The report's arrival is noted; the case's stage is the inspector's.
    assert_eq!(
        (marked.status.as_str(), marked.report_received_at),
        ("received", Some(t1))
    );
    let history = store.case_events(r).await.expect("history");
    assert_eq!(
        history.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        [
            "received",
            "report-received",
            "report-received",
            "report-received"
        ],
        "the same key added no event"
    );
    let sender = store
        .sender("CQC-IRMER-2026-00002")
        .await
        .expect("read")
        .expect("there");
    assert_eq!(
        (sender.token_id, sender.organisation_name.as_str()),
        (None, "Northshire Hospitals NHS Trust")
    );
    assert!(
        store
            .sender("CQC-IRMER-2026-00099")
            .await
            .expect("read")
            .is_none()
    );
    let queue = store
        .notifications(&CaseFilter::queue(), 10, 0)
        .await
        .expect("queue");
    assert_eq!(queue.len(), 5);
    assert_eq!(queue[0].reference, "CQC-IRMER-2026-00001");

    // An organisation's token, found by its digest while live.
    let token = store
        .add_organisation_token("Northshire Hospitals NHS Trust", Some("RXX"), &[7; 32], at)
        .await
        .expect("token");
    let found = store
        .organisation_token(&[7; 32])
        .await
        .expect("read")
        .expect("live");
    assert_eq!(
        (found.id, found.organisation_code.as_deref()),
        (token, Some("RXX"))
    );
    assert!(
        store
            .organisation_token(&[8; 32])
            .await
            .expect("read")
            .is_none()
    );

    // Listed newest first; revoked once, then no longer found.
    let other = store
        .add_organisation_token("Southdale Imaging Ltd", None, &[9; 32], at)
        .await
        .expect("token");
    let listed = store.organisation_tokens().await.expect("list");
    assert_eq!(
        listed.iter().map(|t| t.id).collect::<Vec<_>>(),
        [other, token]
    );
    assert!(
        store
            .revoke_organisation_token(other, at)
            .await
            .expect("revoke")
    );
    assert!(
        !store
            .revoke_organisation_token(other, at)
            .await
            .expect("revoke"),
        "once"
    );
    assert!(
        !store
            .revoke_organisation_token(9999, at)
            .await
            .expect("revoke")
    );
    assert!(
        store
            .organisation_token(&[9; 32])
            .await
            .expect("read")
            .is_none()
    );
    assert_eq!(
        store.organisation_tokens().await.expect("list")[0].revoked_at,
        Some(at)
    );

    // An Idempotency-Key: the same reference again, nothing more queued.
    let keyed = NewNotification {
        token_id: Some(token),
        idempotency_key: Some("send-1".into()),
        ..new(at)
    };
    let first = store.receive(&keyed, &ack).await.expect("received");
    let again = store.receive(&keyed, &ack).await.expect("received");
    assert_eq!((first.created, again.created), (true, false));
    assert_eq!(first.reference, again.reference);
    assert_eq!(store.outbox(100, 0).await.expect("outbox").len(), 6);
    // The same key from the public form (no token): one notification; a
    // token's key of the same text is that token's own.
    let formed = NewNotification {
        idempotency_key: Some("form-1".into()),
        ..new(at)
    };
    let one = store.receive(&formed, &ack).await.expect("received");
    let two = store.receive(&formed, &ack).await.expect("received");
    assert_eq!((one.created, two.created), (true, false));
    assert_eq!(one.reference, two.reference);
    let tokened = NewNotification {
        token_id: Some(token),
        ..formed.clone()
    };
    let three = store.receive(&tokened, &ack).await.expect("received");
    assert!(three.created);
    assert_eq!(store.outbox(100, 0).await.expect("outbox").len(), 8);

    // 32 at once: every number once, none skipped.
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            s.receive(&new(at), &ack).await.expect("received").reference
        }));
    }
    // And the same key sent 8 times at once: one notification.
    let mut same = Vec::new();
    for _ in 0..8 {
        let s = store.clone();
        let keyed = NewNotification {
            idempotency_key: Some("send-2".into()),
            ..keyed.clone()
        };
        same.push(tokio::spawn(async move {
            s.receive(&keyed, &ack).await.expect("received")
        }));
    }
    let mut numbers = BTreeSet::new();
    for t in tasks {
        let r = t.await.expect("task");
        let n: u32 = r
            .rsplit('-')
            .next()
            .expect("number")
            .parse()
            .expect("digits");
        assert!(numbers.insert(n), "{r} twice");
    }
    let keyed_refs: BTreeSet<String> = {
        let mut set = BTreeSet::new();
        let mut created = 0;
        for t in same {
            let r = t.await.expect("task");
            created += u32::from(r.created);
            set.insert(r.reference);
        }
        assert_eq!(created, 1, "one of the eight made it");
        set
    };
    assert_eq!(keyed_refs.len(), 1);
    let keyed_n: u32 = keyed_refs
        .iter()
        .next()
        .and_then(|r| r.rsplit('-').next())
        .and_then(|n| n.parse().ok())
        .expect("number");
    numbers.insert(keyed_n);
    // 1-3, the keyed one (4) and the form's and token's (5, 6) before;
    // then 33 more, 7 to 39, no gap.
    assert_eq!(numbers, (7..=39).collect::<BTreeSet<u32>>());
    assert_eq!(
        store
            .notifications(&CaseFilter::default(), 100, 0)
            .await
            .expect("queue")
            .len(),
        5 + 1 + 2 + 33
    );
}
