//! The outbox delivered over a real SMTP conversation (lettre to the sink
//! on loopback), from a real register: sent once with its Message-ID,
//! deferred on a 4xx or a server that is gone and sent later, failed with
//! the reply on a 5xx; nothing lost in between.

use irmer_mail::sink::{Mode, Sink};
use irmer_mail::{Delivered, Smtp, deliver_due, new_message_id};
use irmer_store::mail::{Mail, MailStatus, MailStore};
use irmer_store_sqlite::SqliteStore;
use time::OffsetDateTime;
use time::macros::datetime;

fn mail(n: u32) -> Mail {
    Mail {
        message_id: new_message_id("notifications@cqc.example.org").expect("id"),
        from: "CQC IR(ME)R <notifications@cqc.example.org>".into(),
        to: format!("rpa{n}@trust.example.org"),
        subject: format!("IR(ME)R notification CQC-IRMER-2026-{n:05} received"),
        body: "Thank you for your notification.\n.\nA line that starts with a dot.".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_goes_out_once_and_waits_while_the_server_refuses() {
    let sink = Sink::start().await.expect("sink");
    let smtp = Smtp::new(&sink.url()).expect("smtp");
    let store = SqliteStore::in_memory().await.expect("SQLite");
    let t0 = datetime!(2026-12-01 09:00 UTC);
    let clock = move || t0;
    let first = mail(1);
    store.queue_mail(&first, t0).await.expect("queued");

    // Accepted: once, with the Message-ID it was queued with.
    let done = deliver_due(&store, &smtp, t0, clock).await.expect("pass");
    let why = store.outbox(1, 0).await.expect("outbox")[0]
        .last_error
        .clone();
    assert_eq!(
        done,
        Delivered {
            sent: 1,
            deferred: 0,
            failed: 0
        },
        "{why:?}"
    );
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, ["rpa1@trust.example.org"]);
    assert_eq!(got[0].from, "notifications@cqc.example.org");
    assert_eq!(got[0].header("Message-ID"), Some(first.message_id.as_str()));
    // A name with brackets goes as an encoded word (RFC 2047: base64 of
    // "CQC IR(ME)R"), not read as a comment.
    assert_eq!(
        got[0].header("From"),
        Some("=?utf-8?b?Q1FDIElSKE1FKVI=?= <notifications@cqc.example.org>")
    );
    assert!(
        got[0]
            .data
            .contains("\r\n.\r\nA line that starts with a dot."),
        "{}",
        got[0].data
    );
    // Nothing is due any more: a second pass sends nothing again.
    let done = deliver_due(&store, &smtp, t0, clock).await.expect("pass");
    assert_eq!(done, Delivered::default());
    assert_eq!(sink.received().len(), 1);

    // Refused for now: kept, with the reply, and sent after the backoff.
    sink.set_mode(Mode::RefuseForNow);
    store.queue_mail(&mail(2), t0).await.expect("queued");
    let done = deliver_due(&store, &smtp, t0, clock).await.expect("pass");
    assert_eq!(done.deferred, 1);
    let kept = &store.outbox(10, 0).await.expect("outbox")[0];
    assert_eq!((kept.status, kept.attempts), (MailStatus::Queued, 1));
    assert!(
        kept.last_error
            .as_deref()
            .is_some_and(|e| e.contains("try again later")),
        "{kept:?}"
    );
    assert_eq!(kept.next_attempt_at, t0 + time::Duration::minutes(1));
    // The server gone altogether: still kept, tried later.
    sink.set_mode(Mode::Vanish);
    let later = t0 + time::Duration::minutes(1);
    let done = deliver_due(&store, &smtp, later, move || later)
        .await
        .expect("pass");
    assert_eq!(done.deferred, 1);
    let kept = &store.outbox(10, 0).await.expect("outbox")[0];
    assert_eq!((kept.status, kept.attempts), (MailStatus::Queued, 2));
    assert_eq!(kept.next_attempt_at, later + time::Duration::minutes(2));
    // Back: delivered.
    sink.set_mode(Mode::Accept);
    let again = later + time::Duration::minutes(2);
    let done = deliver_due(&store, &smtp, again, move || again)
        .await
        .expect("pass");
    assert_eq!(done.sent, 1);
    assert_eq!(sink.received().len(), 2);

    // Refused for good: failed with the reply, never tried again.
    sink.set_mode(Mode::RefuseForGood);
    store.queue_mail(&mail(3), again).await.expect("queued");
    let done = deliver_due(&store, &smtp, again, move || again)
        .await
        .expect("pass");
    assert_eq!(done.failed, 1);
    let kept = &store.outbox(10, 0).await.expect("outbox")[0];
    assert_eq!(kept.status, MailStatus::Failed);
    assert!(
        kept.last_error
            .as_deref()
            .is_some_and(|e| e.contains("no such mailbox")),
        "{kept:?}"
    );
    let far = again + time::Duration::days(30);
    assert_eq!(
        deliver_due(&store, &smtp, far, OffsetDateTime::now_utc)
            .await
            .expect("pass"),
        Delivered::default()
    );

    // An address that is not one fails at once, without a conversation.
    sink.set_mode(Mode::Accept);
    let mut bad = mail(4);
    bad.to = "not an address".into();
    store.queue_mail(&bad, far).await.expect("queued");
    let done = deliver_due(&store, &smtp, far, move || far)
        .await
        .expect("pass");
    assert_eq!(done.failed, 1);
    assert_eq!(sink.received().len(), 2);
}
