//! Sends to the authority: one per incident and kind, due, retried,
//! failed with the reason, sent with the authority's reference.

use time::macros::datetime;

use crate::StoreError;
use crate::mail::MailStatus;
use crate::sends::{NewSend, SendAttempt, SendKind, SendStore};

fn new(reference: &str, at: time::OffsetDateTime) -> NewSend {
    NewSend {
        reference: reference.into(),
        kind: SendKind::Notification,
        authority: "cqc".into(),
        idempotency_key: format!("{reference}-notification"),
        body: "{}".into(),
        actor: "lead".into(),
        at,
    }
}

pub async fn sends_are_once_per_incident_and_retried<S: SendStore>(store: S) {
    let t0 = datetime!(2026-12-01 09:00 UTC);
    let a = store.queue_send(&new("CT-1", t0)).await.expect("queued");
    // The same incident cannot be notified twice.
    assert!(matches!(
        store.queue_send(&new("CT-1", t0)).await,
        Err(StoreError::Duplicate(r)) if r == "CT-1"
    ));
    // Its report is another kind.
    let report = NewSend {
        kind: SendKind::Report,
        idempotency_key: "CT-1-report".into(),
        ..new("CT-1", t0)
    };
    store.queue_send(&report).await.expect("the report");
    let b = store.queue_send(&new("CT-2", t0)).await.expect("queued");
    assert_eq!(store.due_sends(t0, 10).await.expect("due").len(), 3);
    assert!(store.troubled_sends(10).await.expect("troubled").is_empty());

    let retry = t0 + time::Duration::minutes(1);
    store
        .record_send(
            a,
            &SendAttempt::NotSent {
                error: "connection refused".into(),
                retry_at: Some(retry),
            },
        )
        .await
        .expect("recorded");
    store
        .record_send(
            b,
            &SendAttempt::NotSent {
                error: "422 incident.modality: expected one of …".into(),
                retry_at: None,
            },
        )
        .await
        .expect("recorded");
    let troubled = store.troubled_sends(10).await.expect("troubled");
    assert_eq!(troubled.iter().map(|s| s.id).collect::<Vec<_>>(), [b, a]);
    assert_eq!(troubled[0].status, MailStatus::Failed);
    assert_eq!(
        troubled[1].last_error.as_deref(),
        Some("connection refused")
    );
    assert_eq!(
        store.due_sends(t0, 10).await.expect("due").len(),
        1,
        "only the report"
    );
    assert_eq!(store.due_sends(retry, 10).await.expect("due").len(), 2);

    store
        .record_send(
            a,
            &SendAttempt::Sent {
                at: retry,
                authority_reference: "CQC-IRMER-2026-00042".into(),
            },
        )
        .await
        .expect("recorded");
    let of = store.sends_of("CT-1").await.expect("sends");
    assert_eq!(of.len(), 2);
    assert_eq!(
        (
            of[0].status,
            of[0].attempts,
            of[0].authority_reference.as_deref(),
            of[0].sent_at
        ),
        (
            MailStatus::Sent,
            2,
            Some("CQC-IRMER-2026-00042"),
            Some(retry)
        )
    );
    assert_eq!(of[0].last_error, None);
    assert_eq!(store.troubled_sends(10).await.expect("troubled").len(), 1);
    assert!(matches!(
        store
            .record_send(
                999_999,
                &SendAttempt::Sent {
                    at: retry,
                    authority_reference: "x".into()
                }
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
}
