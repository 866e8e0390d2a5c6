//! The outbox: queued, due, attempted, sent or failed, and kept.

use time::macros::datetime;

use crate::StoreError;
use crate::mail::{Attempt, Mail, MailStatus, MailStore};

fn mail(n: u32) -> Mail {
    Mail {
        message_id: format!("<test-{n}@irmer.invalid>"),
        from: "irmer@authority.invalid".into(),
        to: format!("contact{n}@trust.invalid"),
        subject: format!("Notification CQC-IRMER-2026-{n:05}"),
        body: "Thank you: we have your notification.\nLine two.".into(),
    }
}

pub async fn mail_is_queued_retried_and_kept<S: MailStore>(store: S) {
    let t0 = datetime!(2026-12-01 09:00 UTC);
    let first = store.queue_mail(&mail(1), t0).await.expect("queued");
    let second = store
        .queue_mail(&mail(2), t0 + time::Duration::seconds(1))
        .await
        .expect("queued");
    // The same Message-ID twice is one message.
    assert!(matches!(
        store.queue_mail(&mail(1), t0).await,
        Err(StoreError::Duplicate(id)) if id == "<test-1@irmer.invalid>"
    ));
    let due = store
        .due_mail(t0 + time::Duration::minutes(1), 10)
        .await
        .expect("due");
    assert_eq!(
        due.iter().map(|q| q.id).collect::<Vec<_>>(),
        [first, second]
    );
    assert_eq!(due[0].mail, mail(1));
    assert_eq!((due[0].status, due[0].attempts), (MailStatus::Queued, 0));
    assert_eq!(due[0].created_at, t0);
    // Not due before it was queued.
    assert!(
        store
            .due_mail(t0 - time::Duration::seconds(1), 10)
            .await
            .expect("due")
            .is_empty()
    );

    // The first is refused for now: kept with the reply, due again later.
    let retry = t0 + time::Duration::minutes(5);
    store
        .record_attempt(
            first,
            &Attempt::NotSent {
                error: "451 4.3.0 try again later".into(),
                retry_at: Some(retry),
            },
        )
        .await
        .expect("recorded");
    let due = store
        .due_mail(t0 + time::Duration::minutes(1), 10)
        .await
        .expect("due");
    assert_eq!(due.iter().map(|q| q.id).collect::<Vec<_>>(), [second]);
    // Due again at its retry time, after the one due since earlier.
    let due = store.due_mail(retry, 10).await.expect("due");
    assert_eq!(
        due.iter().map(|q| q.id).collect::<Vec<_>>(),
        [second, first]
    );
    assert_eq!(due[1].attempts, 1);
    assert_eq!(
        due[1].last_error.as_deref(),
        Some("451 4.3.0 try again later")
    );

    // Sent: no longer due, its time kept.
    let sent_at = retry + time::Duration::seconds(3);
    store
        .record_attempt(first, &Attempt::Sent { at: sent_at })
        .await
        .expect("recorded");
    // The second refused for good.
    store
        .record_attempt(
            second,
            &Attempt::NotSent {
                error: "550 5.1.1 no such mailbox".into(),
                retry_at: None,
            },
        )
        .await
        .expect("recorded");
    assert!(
        store
            .due_mail(retry + time::Duration::days(30), 10)
            .await
            .expect("due")
            .is_empty()
    );
    let all = store.outbox(10, 0).await.expect("outbox");
    assert_eq!(
        all.iter().map(|q| q.id).collect::<Vec<_>>(),
        [second, first],
        "newest first"
    );
    assert_eq!(
        (
            all[1].status,
            all[1].attempts,
            all[1].sent_at,
            all[1].last_error.as_deref()
        ),
        (MailStatus::Sent, 2, Some(sent_at), None)
    );
    assert_eq!((all[0].status, all[0].attempts), (MailStatus::Failed, 1));
    assert_eq!(store.outbox(10, 1).await.expect("outbox").len(), 1);
    assert!(matches!(
        store
            .record_attempt(999_999, &Attempt::Sent { at: sent_at })
            .await,
        Err(StoreError::NotFound(_))
    ));
}
