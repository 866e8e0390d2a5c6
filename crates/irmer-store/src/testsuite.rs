//! The tests every backend must pass, written once. A backend crate runs
//! them with [`backend_tests!`](crate::backend_tests), giving an async
//! expression that makes a fresh, empty store.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use irmer_core::incident::{CivilDate, Modality};
use irmer_core::lifecycle::{ClockState, IncidentStatus, Transition};
use irmer_core::{GuidanceVersion, Outcome, Settings};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::accounts::{
    AccountError, AccountStore, Accounts, LOCK_AFTER, LOCK_FOR, Newcomer, Role, Scope,
};

/// Two client addresses, for the lock-out.
const HERE: &str = "192.0.2.1";
const THERE: &str = "198.51.100.7";
use crate::register::{Register, RegisterError, replay};
use crate::{EventKind, Filter, Owner, Sort, Store, StoreError};

mod authority;
mod cases;
mod mail;
mod reminders;
mod sends;
mod statistics;
mod tasks;
mod themes;
pub use authority::notifications_are_numbered_without_gaps_and_acknowledged;
pub use cases::cases_keep_their_history_and_chase_once;
pub use mail::mail_is_queued_retried_and_kept;
pub use reminders::{reminders_are_sent_once_to_owners, tasks_are_assigned_to_a_user_who_may_act};
pub use sends::sends_are_once_per_incident_and_retried;
pub use statistics::statistics_agree_with_an_independent_count;
pub use tasks::{
    an_import_writes_each_incidents_tasks_with_it, tasks_follow_the_assessment_and_are_done,
};
pub use themes::themes_are_suggested_confirmed_and_dismissed;

/// A register on `store` whose clock starts at 2026-03-01 12:00 UTC and
/// moves one second a call.
pub fn register<S: Store>(store: S) -> Register<S> {
    register_at(store, time::macros::datetime!(2026-03-01 12:00 UTC))
}

/// A register whose clock starts at `start` and ticks a second a read.
pub fn register_at<S: Store>(store: S, start: OffsetDateTime) -> Register<S> {
    let start = start.unix_timestamp();
    let tick = Arc::new(AtomicI64::new(start));
    Register::new(store, GuidanceVersion::LATEST, Settings::default()).with_clock(Arc::new(
        move || {
            OffsetDateTime::from_unix_timestamp(tick.fetch_add(1, Ordering::SeqCst))
                .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        },
    ))
}

pub(crate) fn d(text: &str) -> CivilDate {
    CivilDate::parse(text).expect("date")
}

/// A date for the suite's other modules.
pub(crate) fn d_public(text: &str) -> CivilDate {
    d(text)
}

/// A notifiable CT incident (code 2.2) discovered on `discovered`.
pub fn ct(reference: &str, discovered: &str) -> Value {
    json!({"reference": reference, "nation": "england", "discovered": discovered, "modality": "ct",
        "exposure": "unintended", "patient": {"age_group": "adult"}, "errors": ["human"],
        "dose": {"unit": "mSv", "intended": 0.5, "received": 6}, "description": "CT repeated with the wrong protocol."})
}

/// A near miss, not notifiable.
pub fn near_miss(reference: &str, discovered: &str) -> Value {
    json!({"reference": reference, "nation": "wales", "discovered": discovered, "modality": "dental",
        "exposure": "none", "errors": ["human"]})
}

pub async fn report_and_read_back<S: Store>(store: S) {
    let r = register(store);
    let rec = r
        .report(&ct("CT-1", "2026-02-20"), "alice")
        .await
        .expect("report");
    assert_eq!(
        (rec.reference.as_str(), rec.version, rec.status),
        ("CT-1", 1, IncidentStatus::Reported)
    );
    assert_eq!(rec.outcome, Outcome::Notifiable);
    assert_eq!(
        rec.assessment
            .codes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["2.2"]
    );
    assert_eq!(rec.assessment.guidance, GuidanceVersion::Cqc20240828);
    assert_eq!(rec.index.notify_by, Some(d("2026-03-06")));
    assert_eq!(rec.original, ct("CT-1", "2026-02-20"));
    let again = r.get("CT-1").await.expect("get");
    assert_eq!(again.incident, rec.incident);
    let history = r.history("CT-1").await.expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].kind, history[0].actor.as_str()),
        (EventKind::Reported, "alice")
    );
    // Numbers come back exactly as written.
    assert_eq!(
        again
            .incident
            .dose
            .and_then(|d| d.received)
            .map(|q| q.to_string()),
        Some("6".into())
    );

    // A duplicate reference is refused and changes nothing.
    let dup = r.report(&near_miss("CT-1", "2026-02-21"), "bob").await;
    assert!(
        matches!(dup, Err(RegisterError::Store(StoreError::Duplicate(_)))),
        "{dup:?}"
    );
    assert_eq!(r.get("CT-1").await.expect("get").version, 1);

    // No reference: one is assigned.
    let mut anonymous = ct("x", "2026-02-22");
    anonymous
        .as_object_mut()
        .expect("object")
        .remove("reference");
    let rec = r.report(&anonymous, "alice").await.expect("report");
    assert!(rec.reference.starts_with("IR-2026-"), "{}", rec.reference);

    // Bad input is refused with the field, and nothing is written.
    let mut bad = ct("CT-BAD", "2026-02-22");
    bad["dose"]["recieved"] = json!(3);
    match r.report(&bad, "alice").await {
        Err(RegisterError::Invalid(e)) => assert_eq!(e.field, "dose.recieved"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(matches!(
        r.get("CT-BAD").await,
        Err(RegisterError::Store(StoreError::NotFound(_)))
    ));
    assert!(matches!(
        r.get("nope").await,
        Err(RegisterError::Store(StoreError::NotFound(_)))
    ));
}

pub async fn amend_keeps_history_and_refuses_stale_writes<S: Store>(store: S) {
    let r = register(store);
    r.report(&ct("CT-2", "2026-02-20"), "alice")
        .await
        .expect("report");
    // Raise the intended dose: 6 mSv is then under 10x, no longer notifiable.
    let rec = r
        .amend(
            "CT-2",
            1,
            &json!({"dose": {"intended": 1}}),
            "dose recalculated by the MPE",
            "bob",
        )
        .await
        .expect("amend");
    assert_eq!(rec.version, 2);
    assert_eq!(rec.outcome, Outcome::NotNotifiable);
    assert_eq!(rec.index.next_due, None);
    assert_eq!(
        rec.original["dose"]["intended"],
        json!(0.5),
        "the original account is kept"
    );
    let history = r.history("CT-2").await.expect("history");
    assert_eq!(history.len(), 2);
    let e = &history[1];
    assert_eq!(
        (e.kind, e.actor.as_str(), e.reason.as_deref()),
        (
            EventKind::FactsChanged,
            "bob",
            Some("dose recalculated by the MPE")
        )
    );
    let fields: Vec<&str> = e.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["dose.intended", "assessment.outcome"]);
    assert_eq!(
        e.changes[0].old,
        Some(serde_json::from_str("0.5").expect("n"))
    );
    assert_eq!(
        e.changes[0].new,
        Some(serde_json::from_str("1").expect("n"))
    );
    assert_eq!(
        e.assessment.as_ref().expect("assessment")["outcome"],
        "not-notifiable"
    );

    // A stale version is refused, never merged.
    let stale = r
        .amend(
            "CT-2",
            1,
            &json!({"patient": {"age": 40}}),
            "age found",
            "carol",
        )
        .await;
    assert!(
        matches!(
            stale,
            Err(RegisterError::Store(StoreError::Conflict {
                current: 2,
                ..
            }))
        ),
        "{stale:?}"
    );
    // A reason is required; a bad patch names the field; neither writes.
    assert!(matches!(
        r.amend("CT-2", 2, &json!({"patient": {"age": 40}}), " ", "carol")
            .await,
        Err(RegisterError::Invalid(_))
    ));
    match r
        .amend("CT-2", 2, &json!({"modality": "xray"}), "typo", "carol")
        .await
    {
        Err(RegisterError::Invalid(e)) => assert_eq!(e.field, "modality"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        r.amend("CT-2", 2, &json!({"reference": "X"}), "rename", "carol")
            .await,
        Err(RegisterError::Invalid(_))
    ));
    // A patch that changes nothing writes nothing.
    let same = r
        .amend("CT-2", 2, &json!({"nation": "england"}), "no-op", "carol")
        .await
        .expect("no-op");
    assert_eq!(same.version, 2);
    assert_eq!(r.history("CT-2").await.expect("history").len(), 2);
}

pub async fn concurrent_writers_one_wins<S: Store>(store: S) {
    let r = register(store);
    r.report(&ct("CT-3", "2026-02-20"), "alice")
        .await
        .expect("report");
    // Two writers that both saw version 1, racing on two threads.
    let race = |register: Register<S>, age: u32| {
        tokio::spawn(async move {
            let patch = json!({"patient": {"age": age, "age_group": null}});
            register
                .amend("CT-3", 1, &patch, "age found", "writer")
                .await
        })
    };
    let (x, y) = (race(r.clone(), 30), race(r.clone(), 31));
    let (x, y) = (x.await.expect("task"), y.await.expect("task"));
    let wins = [x.is_ok(), y.is_ok()].iter().filter(|w| **w).count();
    assert_eq!(wins, 1, "{x:?} {y:?}");
    let loser = if x.is_ok() { y } else { x };
    assert!(
        matches!(
            loser,
            Err(RegisterError::Store(StoreError::Conflict { .. }))
        ),
        "{loser:?}"
    );
    assert_eq!(r.history("CT-3").await.expect("history").len(), 2);
}

pub async fn the_incidents_life_and_its_clocks<S: Store>(store: S) {
    // Told after the events: every step's date is in the past.
    let r = register_at(store, time::macros::datetime!(2026-07-01 12:00 UTC));
    r.report(&ct("CT-4", "2026-02-20"), "alice")
        .await
        .expect("report");
    let rec = r
        .transition("CT-4", 1, &Transition::StartInvestigation, None, "lead")
        .await
        .expect("start");
    assert_eq!(rec.status, IncidentStatus::Investigating);
    let clocks = rec.deadline_status(d("2026-03-08")).expect("notifiable");
    assert_eq!(
        clocks.notify,
        ClockState::Overdue {
            due: d("2026-03-06"),
            days_late: 2
        }
    );
    let step = Transition::RecordNotification {
        date: d("2026-03-05"),
        authority_reference: "CQC/IRMER/123".into(),
    };
    let rec = r
        .transition(
            "CT-4",
            2,
            &step,
            Some("notified by the online form"),
            "lead",
        )
        .await
        .expect("notify");
    assert_eq!(
        rec.milestones.authority_reference.as_deref(),
        Some("CQC/IRMER/123")
    );
    assert_eq!(rec.index.next_due, Some(d("2026-05-15")));
    assert_eq!(
        rec.deadline_status(d("2026-03-08"))
            .expect("clocks")
            .notify
            .label(),
        "met"
    );
    // A step out of order is refused and writes nothing.
    let close = Transition::Close {
        date: d("2026-05-01"),
        findings: "x".into(),
    };
    assert!(matches!(
        r.transition("CT-4", 3, &close, None, "lead").await,
        Err(RegisterError::Transition(_))
    ));
    let rec = r
        .transition(
            "CT-4",
            3,
            &Transition::RecordReportSent {
                date: d("2026-05-20"),
            },
            None,
            "lead",
        )
        .await
        .expect("report sent");
    assert_eq!(
        rec.deadline_status(d("2026-06-01")).expect("clocks").report,
        ClockState::MetLate {
            due: d("2026-05-15"),
            on: d("2026-05-20"),
            days_late: 5
        }
    );
    assert_eq!(rec.index.next_due, None);
    let close = Transition::Close {
        date: d("2026-06-01"),
        findings: "Protocol selection locked on the scanner.".into(),
    };
    let rec = r
        .transition("CT-4", 4, &close, None, "lead")
        .await
        .expect("close");
    assert_eq!(rec.status, IncidentStatus::Closed);

    // The current state is the fold of the history.
    let history = r.history("CT-4").await.expect("history");
    assert_eq!(history.len(), 5);
    let (facts, status, milestones) = replay(&history).expect("replay");
    assert_eq!(facts, serde_json::to_value(&rec.incident).expect("json"));
    assert_eq!((status, milestones), (rec.status, rec.milestones.clone()));

    // A near miss is closed locally.
    r.report(&near_miss("NM-1", "2026-02-20"), "alice")
        .await
        .expect("report");
    let close = Transition::CloseLocally {
        date: d("2026-02-25"),
        findings: "Checklist reinforced.".into(),
    };
    let rec = r
        .transition("NM-1", 1, &close, None, "lead")
        .await
        .expect("close locally");
    assert_eq!(rec.status, IncidentStatus::ClosedLocally);
    assert_eq!(rec.deadline_status(d("2026-03-01")), None);

    // Reopened only with a reason; back to investigating, the closing
    // cleared and kept in the history.
    let e = r
        .transition("NM-1", 2, &Transition::Reopen, None, "lead")
        .await
        .expect_err("no reason");
    assert!(
        matches!(&e, RegisterError::Invalid(i) if i.field == "reason"),
        "{e}"
    );
    let rec = r
        .transition(
            "NM-1",
            2,
            &Transition::Reopen,
            Some("The dose was recalculated by the MPE"),
            "lead",
        )
        .await
        .expect("reopen");
    assert_eq!(rec.status, IncidentStatus::Investigating);
    assert_eq!(
        (rec.milestones.closed_on, rec.milestones.findings),
        (None, None)
    );
    let history = r.history("NM-1").await.expect("history");
    let last = history.last().expect("an event");
    assert_eq!(last.kind, EventKind::Reopen);
    assert_eq!(
        last.reason.as_deref(),
        Some("The dose was recalculated by the MPE")
    );
    let (_, status, _) = replay(&history).expect("replay");
    assert_eq!(status, IncidentStatus::Investigating);
}

pub async fn lists_filter_sort_and_page<S: Store>(store: S) {
    let r = register(store);
    for (n, day) in ["2026-01-05", "2026-01-20", "2026-02-10", "2026-02-25"]
        .iter()
        .enumerate()
    {
        r.report(&ct(&format!("CT-L{n}"), day), "alice")
            .await
            .expect("report");
    }
    r.report(&near_miss("NM-L", "2026-02-01"), "alice")
        .await
        .expect("report");
    let mut pet = ct("PET-L", "2026-02-15");
    pet["modality"] = json!("pet");
    pet["dose"] = json!({"intended": 7.5, "received": 25});
    r.report(&pet, "alice").await.expect("report");

    let refs = |items: &[crate::register::IncidentRecord]| {
        items
            .iter()
            .map(|i| i.reference.clone())
            .collect::<Vec<_>>()
    };
    let (all, more) = r
        .list(&Filter::default(), Sort::DiscoveredNewest, 100, 0)
        .await
        .expect("list");
    assert!(!more);
    assert_eq!(r.count(&Filter::default()).await.expect("count"), 6);
    assert_eq!(
        refs(&all),
        ["CT-L3", "PET-L", "CT-L2", "NM-L", "CT-L1", "CT-L0"]
    );
    let (page, more) = r
        .list(&Filter::default(), Sort::DiscoveredNewest, 2, 2)
        .await
        .expect("page");
    assert_eq!(
        (refs(&page), more),
        (vec!["CT-L2".to_owned(), "NM-L".to_owned()], true)
    );
    let (last, more) = r
        .list(&Filter::default(), Sort::DiscoveredNewest, 2, 4)
        .await
        .expect("page");
    assert_eq!(
        (refs(&last), more),
        (vec!["CT-L1".to_owned(), "CT-L0".to_owned()], false)
    );
    let pet = Filter {
        modality: vec![Modality::Pet],
        ..Filter::default()
    };
    assert_eq!(r.count(&pet).await.expect("count"), 1);

    let by = |filter: Filter| {
        let r = r.clone();
        async move {
            refs(
                &r.list(&filter, Sort::Reference, 100, 0)
                    .await
                    .expect("list")
                    .0,
            )
        }
    };
    assert_eq!(
        by(Filter {
            modality: vec![Modality::Pet],
            ..Filter::default()
        })
        .await,
        ["PET-L"]
    );
    assert_eq!(
        by(Filter {
            outcome: vec![Outcome::NotNotifiable],
            ..Filter::default()
        })
        .await,
        ["NM-L"]
    );
    assert_eq!(
        by(Filter {
            code: Some("2.3".into()),
            ..Filter::default()
        })
        .await,
        ["PET-L"]
    );
    assert_eq!(
        by(Filter {
            code: Some("2".into()),
            ..Filter::default()
        })
        .await,
        Vec::<String>::new()
    );
    // Soonest deadline first, incidents without one (the near miss) last.
    let (by_due, _) = r
        .list(&Filter::default(), Sort::NextDue, 100, 0)
        .await
        .expect("list");
    assert_eq!(
        refs(&by_due),
        ["CT-L0", "CT-L1", "CT-L2", "PET-L", "CT-L3", "NM-L"]
    );
    assert_eq!(
        by(Filter {
            discovered_from: Some(d("2026-01-20")),
            discovered_to: Some(d("2026-02-10")),
            ..Filter::default()
        })
        .await,
        ["CT-L1", "CT-L2", "NM-L"]
    );
    // Notify-by dates: L0 01-19, L1 02-03, L2 02-24, PET 03-01, L3 03-11.
    assert_eq!(
        by(Filter {
            due_before: Some(d("2026-02-24")),
            ..Filter::default()
        })
        .await,
        ["CT-L0", "CT-L1"]
    );
    assert_eq!(
        by(Filter {
            due_by: Some(d("2026-03-01")),
            ..Filter::default()
        })
        .await,
        ["CT-L0", "CT-L1", "CT-L2", "PET-L"]
    );
    r.transition("CT-L0", 1, &Transition::StartInvestigation, None, "lead")
        .await
        .expect("start");
    let counts = r.count_by_status(&Filter::default()).await.expect("counts");
    assert_eq!(
        counts,
        [
            (IncidentStatus::Reported, 5),
            (IncidentStatus::Investigating, 1),
            (IncidentStatus::Notified, 0),
            (IncidentStatus::ReportSent, 0),
            (IncidentStatus::Closed, 0),
            (IncidentStatus::ClosedLocally, 0),
        ]
    );
    let pet_only = Filter {
        modality: vec![Modality::Pet],
        ..Filter::default()
    };
    assert_eq!(
        r.count_by_status(&pet_only).await.expect("counts")[0],
        (IncidentStatus::Reported, 1)
    );
    assert_eq!(
        by(Filter {
            status: vec![IncidentStatus::Investigating],
            ..Filter::default()
        })
        .await,
        ["CT-L0"]
    );

    let soonest = r.deadlines(None, None).await.expect("deadlines");
    let soonest: Vec<&str> = soonest.iter().map(|s| s.reference.as_str()).collect();
    assert_eq!(soonest, ["CT-L0", "CT-L1", "CT-L2", "PET-L", "CT-L3"]);

    // A change of facts that changes the codes changes what the code filter
    // finds.
    let code = |c: &str| Filter {
        code: Some(c.into()),
        ..Filter::default()
    };
    r.amend(
        "PET-L",
        1,
        &json!({"dose": {"received": 7.5}}),
        "the dose was as intended",
        "lead",
    )
    .await
    .expect("amend");
    assert_eq!(by(code("2.3")).await, Vec::<String>::new());
    assert_eq!(r.count(&code("2.3")).await.expect("count"), 0);
    assert_eq!(by(code("2.2")).await, ["CT-L0", "CT-L1", "CT-L2", "CT-L3"]);
    let due = r
        .deadlines(Some(d("2026-02-24")), None)
        .await
        .expect("deadlines");
    assert_eq!(due.len(), 3);

    // A summary says what the full record says, without its JSON.
    let (records, more) = r
        .list(&Filter::default(), Sort::Reference, 100, 0)
        .await
        .expect("list");
    let page = r
        .summaries(&Filter::default(), Sort::Reference, 100, 0)
        .await
        .expect("summaries");
    assert!(!more && !page.more);
    assert_eq!(r.count(&Filter::default()).await.expect("count"), 6);
    assert_eq!(page.items.len(), records.len());
    let today = d("2026-02-10");
    for (summary, record) in page.items.iter().zip(&records) {
        assert_eq!(
            (&summary.reference, summary.version, summary.status),
            (&record.reference, record.version, record.status)
        );
        assert_eq!(summary.index, record.index);
        let view = crate::register::summary_view(summary, today);
        assert_eq!(view.deadline_status, record.deadline_status(today));
        assert_eq!(view.authority, record.assessment.authority.map(|a| a.id()));
        let codes: Vec<String> = record
            .assessment
            .codes
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(view.codes, codes);
    }
}

pub async fn import_is_idempotent<S: Store>(store: S) {
    let r = register(store);
    let lines = |extra: Option<Value>| {
        let mut v: Vec<(u64, String)> = (0..25)
            .map(|n| (n + 1, ct(&format!("IMP-{n:03}"), "2026-02-01").to_string()))
            .collect();
        v.push((26, json!({"nation": "england"}).to_string()));
        let mut missing_ref = ct("x", "2026-02-01");
        missing_ref
            .as_object_mut()
            .expect("object")
            .remove("reference");
        v.push((27, missing_ref.to_string()));
        if let Some(e) = extra {
            v.push((28, e.to_string()));
        }
        v.push((29, "{\"nation\": ".to_owned()));
        v
    };
    let first = r.import(lines(None), "import").await.expect("import");
    assert_eq!((first.created, first.unchanged), (25, 0));
    assert_eq!(
        first.refused.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        [26, 27, 29]
    );
    assert!(
        first.refused[2]
            .1
            .starts_with("column 11: not valid JSON: the document ends too early"),
        "{:?}",
        first.refused
    );
    assert!(
        first.refused[0].1.starts_with("discovered: required"),
        "{:?}",
        first.refused
    );
    assert!(
        first.refused[1]
            .1
            .starts_with("reference: required when importing"),
        "{:?}",
        first.refused
    );
    // Again, with one changed incident: nothing new, the change refused.
    let mut changed = ct("IMP-003", "2026-02-01");
    changed["dose"]["received"] = json!(9);
    let second = r
        .import(lines(Some(changed)), "import")
        .await
        .expect("import");
    assert_eq!((second.created, second.unchanged), (0, 25));
    assert_eq!(
        second.refused.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        [26, 27, 28, 29]
    );
    assert!(
        second.refused[2]
            .1
            .contains("already in the register with other facts")
    );
    assert_eq!(r.count(&Filter::default()).await.expect("count"), 25);
    // The same reference twice in one file: the first is imported, the
    // second compared with it.
    let mut other = ct("DUP-1", "2026-02-02");
    other["dose"]["received"] = json!(7);
    let twice = vec![
        (1, ct("DUP-1", "2026-02-02").to_string()),
        (2, ct("DUP-1", "2026-02-02").to_string()),
        (3, other.to_string()),
    ];
    let report = r.import(twice, "import").await.expect("import");
    assert_eq!((report.created, report.unchanged), (1, 1));
    assert_eq!(
        report.refused.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
        [3]
    );
    assert_eq!(
        r.get("IMP-003")
            .await
            .expect("get")
            .incident
            .dose
            .and_then(|d| d.received)
            .map(|q| q.to_string()),
        Some("6".into())
    );
}

/// A step taken after the register's settings changed the decision: the
/// history says so, and the stored assessment is the new one.
pub async fn a_changed_decision_is_recorded_on_any_change<S: Store>(store: S) {
    let child_16 = json!({"reference": "AGE-16", "nation": "england", "discovered": "2026-02-20", "modality": "ct",
        "exposure": "accidental", "patient": {"age": 16}, "errors": ["human"], "dose": {"unit": "mSv", "received": 2}});
    let r = register(store.clone());
    let rec = r.report(&child_16, "alice").await.expect("report");
    assert_eq!(
        rec.outcome,
        Outcome::Notifiable,
        "a child under the default cut-off of 18"
    );
    // The administrator lowers the cut-off to 16: the same facts are no
    // longer notifiable, and the next change says so.
    let adults_from_16 = Register::new(
        store,
        GuidanceVersion::LATEST,
        Settings {
            child_age_under: 16,
        },
    );
    let rec = adults_from_16
        .transition("AGE-16", 1, &Transition::StartInvestigation, None, "lead")
        .await
        .expect("step");
    assert_eq!(
        (rec.outcome, rec.assessment.outcome),
        (Outcome::NotNotifiable, Outcome::NotNotifiable)
    );
    let history = r.history("AGE-16").await.expect("history");
    let last = history.last().expect("an event");
    assert!(
        last.changes.iter().any(|c| c.field == "assessment.outcome"
            && c.old == Some(json!("notifiable"))
            && c.new == Some(json!("not-notifiable"))),
        "{:?}",
        last.changes
    );
    assert_eq!(
        last.assessment.as_ref().expect("assessment")["outcome"],
        "not-notifiable"
    );
}

/// Discovery, exposure and step dates after today (the UK date), and an
/// exposure after its discovery, are refused naming the field, by every
/// write: report, amend, step and import (the other lines are stored).
pub async fn dates_that_cannot_be_true_are_refused<S: Store>(store: S) {
    // The suite's register: today is 2026-03-01 in the UK.
    let r = register(store);
    let field_of = |e: RegisterError| match e {
        RegisterError::Invalid(e) => (e.field, e.message),
        other => panic!("not an input error: {other}"),
    };
    let (field, message) = field_of(
        r.report(&ct("F-1", "2026-03-02"), "rep")
            .await
            .expect_err("tomorrow"),
    );
    assert_eq!(field, "discovered");
    assert!(
        message.contains("today (2026-03-01, UK) or in the past"),
        "{message}"
    );
    let mut later = ct("F-2", "2026-02-20");
    later["occurred"] = json!("2026-02-21");
    assert_eq!(
        field_of(r.report(&later, "rep").await.expect_err("after")).0,
        "occurred"
    );
    // Today itself is accepted.
    let rec = r
        .report(&ct("F-3", "2026-03-01"), "rep")
        .await
        .expect("today");
    assert_eq!(
        field_of(
            r.amend(
                "F-3",
                rec.version,
                &json!({"discovered": "2026-06-01"}),
                "typo",
                "inv"
            )
            .await
            .expect_err("future")
        )
        .0,
        "discovered"
    );
    let step = Transition::RecordNotification {
        date: d("2026-03-05"),
        authority_reference: "CQC/1".into(),
    };
    assert_eq!(
        field_of(
            r.transition("F-3", rec.version, &step, None, "inv")
                .await
                .expect_err("future step")
        )
        .0,
        "date"
    );
    assert_eq!(r.get("F-3").await.expect("read").version, rec.version);
    // An import names the line and stores the others.
    let report = r
        .import(
            [
                (1, ct("F-4", "2026-02-01").to_string()),
                (2, ct("F-5", "2027-01-01").to_string()),
                (3, ct("F-6", "2026-02-02").to_string()),
            ],
            "cli",
        )
        .await
        .expect("import");
    assert_eq!(report.created, 2);
    assert_eq!(report.refused.len(), 1);
    assert_eq!(report.refused[0].0, 2);
    assert!(
        report.refused[0].1.contains("discovered"),
        "{:?}",
        report.refused
    );
}

/// The CSV export (one for the web and the command line) scans every row
/// with that incident's recorded identity: a name that only the identity
/// makes a name stops it, row and reference named.
pub async fn the_csv_export_goes_through_each_incidents_identity<S: Store + AccountStore>(
    store: S,
) {
    use crate::export::CsvExport;
    let r = register(store);
    let mut named = ct("X-1", "2026-02-20");
    named["description"] = json!("Aardvark was scanned twice, the protocol was wrong.");
    r.report(&named, "rep").await.expect("report");
    r.report(&ct("X-2", "2026-02-21"), "rep")
        .await
        .expect("report");
    let all = Filter::default();
    let CsvExport::Cleared { csv, rows } =
        r.csv_export(&all, Sort::Reference).await.expect("export")
    else {
        panic!("blocked before any identity is recorded");
    };
    assert_eq!(rows, 2);
    assert!(csv.starts_with("reference,status,nation,"), "{csv}");
    assert!(
        csv.contains(",\"Aardvark was scanned twice, the protocol was wrong.\"\r\n"),
        "{csv}"
    );
    r.set_identity(
        "X-1",
        &json!({"patient": {"name": "Alice Aardvark"}}),
        "lead",
    )
    .await
    .expect("identity");
    match r.csv_export(&all, Sort::Reference).await.expect("export") {
        CsvExport::Blocked(found) => {
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!((found[0].row, found[0].reference.as_str()), (1, "X-1"));
            assert_eq!(found[0].text, "Aardvark");
        }
        CsvExport::Cleared { .. } => panic!("the recorded name left in the CSV"),
    }
    // Filtered to the other incident, it is made.
    let other = Filter {
        discovered_from: Some(d("2026-02-21")),
        ..Filter::default()
    };
    assert!(matches!(
        r.csv_export(&other, Sort::Reference).await.expect("export"),
        CsvExport::Cleared { rows: 1, .. }
    ));
}

/// Free text kept for good (description, comments, reasons, closing
/// findings, report sections) is scanned as it is entered: an identifier
/// is refused naming the field and the kind, never echoed, and nothing is
/// stored.
pub async fn identifiers_are_refused_where_they_are_typed<S: Store>(store: S) {
    use crate::report::ReportDocument;
    let r = register_at(store, time::macros::datetime!(2026-07-01 12:00 UTC));
    let refused = |e: RegisterError| match e {
        RegisterError::Invalid(e) => {
            for secret in ["Aardvark", "943", "1958", "0161"] {
                assert!(
                    !e.message.contains(secret),
                    "{secret} echoed: {}",
                    e.message
                );
            }
            (e.field, e.message)
        }
        other => panic!("not an input error: {other}"),
    };
    let mut named = ct("ID-E1", "2026-02-20");
    named["description"] =
        json!("Mrs Alice Aardvark, NHS 943 476 5919, DOB 1958-02-03, had the wrong CT.");
    let (field, message) = refused(r.report(&named, "rep").await.expect_err("refused"));
    assert_eq!(field, "description");
    for kind in ["NHS number", "date of birth", "name after a title"] {
        assert!(message.contains(kind), "{kind} not named: {message}");
    }
    assert!(matches!(
        r.get("ID-E1").await,
        Err(RegisterError::Store(StoreError::NotFound(_)))
    ));
    let rec = r
        .report(&ct("ID-E2", "2026-02-20"), "rep")
        .await
        .expect("clean");
    let (field, _) = refused(
        r.amend(
            "ID-E2",
            rec.version,
            &json!({"description": "Called back on 0161 496 0160."}),
            "more detail",
            "inv",
        )
        .await
        .expect_err("refused"),
    );
    assert_eq!(field, "description");
    let (field, _) = refused(
        r.amend(
            "ID-E2",
            rec.version,
            &json!({"errors": ["procedural"]}),
            "per Mr Aardvark",
            "inv",
        )
        .await
        .expect_err("refused"),
    );
    assert_eq!(field, "reason");
    let (field, _) = refused(
        r.comment("ID-E2", "Patient lives at SW1A 1AA.", "adv")
            .await
            .expect_err("refused"),
    );
    assert_eq!(field, "comment");
    let mut doc = ReportDocument::prefilled(&rec);
    doc.sections
        .insert("learning".into(), "Ask Dr Aardvark to check.".into());
    let (field, _) = refused(
        r.save_report("ID-E2", 0, &doc, false, "inv", Scope::Organisation)
            .await
            .expect_err("refused"),
    );
    assert_eq!(field, "sections.learning");
    let close = Transition::CloseLocally {
        date: d("2026-06-01"),
        findings: "Explained to Mrs Aardvark.".into(),
    };
    let (field, _) = refused(
        r.transition("ID-E2", rec.version, &close, None, "inv")
            .await
            .expect_err("refused"),
    );
    assert_eq!(field, "findings");
    assert_eq!(r.get("ID-E2").await.expect("read").version, rec.version);
}

/// Runs every test of the suite as a `#[tokio::test]`, each on a fresh
/// store made by `$make` (an async expression giving `Option<store>`:
/// `None` when the backend's service is missing and the test is skipped,
/// which the backend must say loudly, and must never do in CI).
/// Many wrong passwords sent at once for one username from one address
/// check at most LOCK_AFTER of them (each attempt is counted before its
/// password is checked, in one transaction), and the right password is
/// then refused until the lock ends.
pub async fn concurrent_wrong_passwords_are_counted_before_checking<S: Store + AccountStore>(
    store: S,
) {
    let accounts = Accounts::new(store.clone());
    let t0 = time::macros::datetime!(2026-03-01 12:00 UTC);
    let (_, password) = accounts
        .first_administrator(t0)
        .await
        .expect("first start")
        .expect("an administrator");
    let before = accounts.passwords_checked();
    let guesses: Vec<_> = (0..48)
        .map(|n| {
            let accounts = accounts.clone();
            tokio::spawn(async move {
                accounts
                    .sign_in("admin", &format!("guess number {n}"), HERE, t0)
                    .await
            })
        })
        .collect();
    let mut locked = 0;
    for guess in guesses {
        match guess.await.expect("task") {
            Err(AccountError::Locked(_)) => locked += 1,
            Err(AccountError::BadCredentials) => {}
            other => panic!("a guess: {:?}", other.map(|(u, _)| u.username)),
        }
    }
    let checked = accounts.passwords_checked() - before;
    assert!(
        checked <= u64::from(LOCK_AFTER),
        "{checked} passwords checked of 48 sent at once"
    );
    assert!(
        locked >= 48 - LOCK_AFTER as usize,
        "{locked} refused as locked"
    );
    assert!(matches!(
        accounts.sign_in("admin", &password, HERE, t0).await,
        Err(AccountError::Locked(_))
    ));
    // The current password on a password change is counted the same way.
    let admin = store
        .user_by_name("admin")
        .await
        .expect("read")
        .expect("admin");
    for _ in 0..LOCK_AFTER {
        let _ = accounts
            .change_password(&admin, "not it at all", "a much longer phrase", THERE, t0)
            .await;
    }
    let before = accounts.passwords_checked();
    assert!(matches!(
        accounts
            .change_password(&admin, &password, "a much longer phrase", THERE, t0)
            .await,
        Err(AccountError::Invalid {
            field: "current_password",
            ..
        })
    ));
    assert_eq!(accounts.passwords_checked(), before, "checked while locked");
    // After the lock, the right password signs in.
    accounts
        .sign_in("admin", &password, HERE, t0 + LOCK_FOR)
        .await
        .expect("after the lock");
}

/// Users, sign-in and lock-out, sessions, tokens, the organisation,
/// settings, drafts and the audit log.
pub async fn accounts_sign_in_lock_out_sessions_and_tokens<S: Store + AccountStore>(store: S) {
    let accounts = Accounts::new(store.clone());
    let t0 = time::macros::datetime!(2026-03-01 12:00 UTC);
    // First start: one administrator with a one-time password, once.
    let (name, password) = accounts
        .first_administrator(t0)
        .await
        .expect("first start")
        .expect("an administrator on an empty register");
    assert_eq!(name, "admin");
    assert!(
        accounts
            .first_administrator(t0)
            .await
            .expect("again")
            .is_none()
    );
    let (admin, session) = accounts
        .sign_in("admin", &password, HERE, t0)
        .await
        .expect("sign in");
    assert_eq!(admin.role, Role::Administrator);
    assert!(admin.must_change_password);
    assert_eq!(admin.scope(), Scope::Organisation);
    let (row, user) = accounts
        .session(&session.id, t0)
        .await
        .expect("read")
        .expect("a live session");
    assert_eq!((user.id, row.csrf.len()), (admin.id, 64));
    // Only the digest is stored: the cookie's value itself finds nothing.
    assert!(store.session(&session.id).await.expect("raw").is_none());
    // Expired at 12 hours.
    assert!(
        accounts
            .session(&session.id, t0 + time::Duration::hours(12))
            .await
            .expect("read")
            .is_none()
    );

    // A department and a reporter in it.
    let site = store.create_site("Royal Infirmary").await.expect("site");
    let dept = store
        .create_department(site.id, "Radiology")
        .await
        .expect("dept");
    assert!(matches!(
        store.create_site("Royal Infirmary").await,
        Err(StoreError::Duplicate(_))
    ));
    let (rita, rita_password) = accounts
        .add_user(
            "admin",
            t0,
            Newcomer {
                username: "rita",
                display_name: "Rita R",
                role: Role::Reporter,
                department_id: Some(dept.id),
                email: " rita@trust.example ",
            },
        )
        .await
        .expect("add");
    assert_eq!(rita.email.as_deref(), Some("rita@trust.example"));
    assert_eq!(rita.scope(), Scope::OwnReports { user: rita.id });
    assert!(matches!(
        accounts
            .add_user(
                "admin",
                t0,
                Newcomer {
                    username: "rita",
                    display_name: "",
                    role: Role::Auditor,
                    department_id: None,
                    email: ""
                }
            )
            .await,
        Err(AccountError::Invalid {
            field: "username",
            ..
        })
    ));
    assert!(matches!(
        accounts
            .add_user(
                "admin",
                t0,
                Newcomer {
                    username: "ivan",
                    display_name: "",
                    role: Role::Investigator,
                    department_id: Some(9999),
                    email: ""
                }
            )
            .await,
        Err(AccountError::Invalid {
            field: "department",
            ..
        })
    ));
    assert!(matches!(
        accounts
            .add_user(
                "admin",
                t0,
                Newcomer {
                    username: "ivan",
                    display_name: "",
                    role: Role::Investigator,
                    department_id: None,
                    email: "ivan at trust"
                }
            )
            .await,
        Err(AccountError::Invalid { field: "email", .. })
    ));
    let (ivan, _) = accounts
        .add_user(
            "admin",
            t0,
            Newcomer {
                username: "ivan",
                display_name: "",
                role: Role::Investigator,
                department_id: Some(dept.id),
                email: "",
            },
        )
        .await
        .expect("add");
    assert_eq!(ivan.display_name, "ivan");
    assert_eq!(ivan.email, None);
    assert_eq!(
        ivan.scope(),
        Scope::Department {
            department: dept.id,
            user: ivan.id
        }
    );
    let names: Vec<String> = store
        .users()
        .await
        .expect("users")
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["admin", "ivan", "rita"]);

    // Wrong passwords count; the fifth locks, even against the right one.
    for n in 1..LOCK_AFTER {
        assert!(
            matches!(
                accounts.sign_in("rita", "wrong password!", HERE, t0).await,
                Err(AccountError::BadCredentials)
            ),
            "attempt {n}"
        );
    }
    assert!(matches!(
        accounts.sign_in("rita", "wrong password!", HERE, t0).await,
        Err(AccountError::Locked(_))
    ));
    assert!(matches!(
        accounts
            .sign_in(
                "rita",
                &rita_password,
                HERE,
                t0 + time::Duration::minutes(14)
            )
            .await,
        Err(AccountError::Locked(_))
    ));
    // The lock holds for that address only: a stranger elsewhere cannot
    // lock Rita out of her own computer.
    let (rita_there, there) = accounts
        .sign_in(
            "rita",
            &rita_password,
            THERE,
            t0 + time::Duration::minutes(1),
        )
        .await
        .expect("another address is not locked");
    accounts.sign_out(&there.id).await.expect("sign out");
    assert_eq!(rita_there.username, "rita");
    // An unknown user is told the same as a wrong password, and is locked
    // the same way, so that neither tells which usernames exist.
    for n in 1..LOCK_AFTER {
        assert!(
            matches!(
                accounts.sign_in("nobody", "x", HERE, t0).await,
                Err(AccountError::BadCredentials)
            ),
            "attempt {n}"
        );
    }
    assert!(matches!(
        accounts.sign_in("nobody", "x", HERE, t0).await,
        Err(AccountError::Locked(_))
    ));
    // The locks are listed (Rita's and nobody's, from HERE) and an
    // administrator lifts them.
    let locks = store.locks(t0).await.expect("locks");
    assert_eq!(
        locks
            .iter()
            .map(|l| (l.username.as_str(), l.address.as_str()))
            .collect::<Vec<_>>(),
        [("nobody", HERE), ("rita", HERE)]
    );
    assert_eq!(
        accounts
            .unlock("admin", "nobody", t0)
            .await
            .expect("unlock"),
        1
    );
    let later = t0 + time::Duration::minutes(16);
    let (rita, rita_session) = accounts
        .sign_in("rita", &rita_password, HERE, later)
        .await
        .expect("after the lock");
    assert!(store.locks(later).await.expect("locks").is_empty());
    // A second lock from the same address, without a right password
    // between, lasts twice as long.
    for _ in 0..LOCK_AFTER {
        let _ = accounts.sign_in("ivan", "wrong password!", HERE, t0).await;
    }
    let after_first = t0 + LOCK_FOR + time::Duration::seconds(1);
    for _ in 0..LOCK_AFTER {
        let _ = accounts
            .sign_in("ivan", "wrong password!", HERE, after_first)
            .await;
    }
    let lock = store.locks(after_first).await.expect("locks");
    assert_eq!(lock.len(), 1);
    assert_eq!(lock[0].until, after_first + LOCK_FOR * 2);

    // A password change checks the current one, ends the other sessions
    // and clears the one-time flag.
    assert!(matches!(
        accounts
            .change_password(&rita, "not it", "a much longer phrase", HERE, later)
            .await,
        Err(AccountError::Invalid {
            field: "current_password",
            ..
        })
    ));
    assert!(matches!(
        accounts
            .change_password(&rita, &rita_password, "short", HERE, later)
            .await,
        Err(AccountError::Invalid {
            field: "password",
            ..
        })
    ));
    let fresh = accounts
        .change_password(&rita, &rita_password, "a much longer phrase", HERE, later)
        .await
        .expect("change");
    assert!(
        accounts
            .session(&rita_session.id, later)
            .await
            .expect("read")
            .is_none()
    );
    let (_, rita) = accounts
        .session(&fresh.id, later)
        .await
        .expect("read")
        .expect("new session");
    assert!(!rita.must_change_password);
    accounts.sign_out(&fresh.id).await.expect("sign out");
    assert!(
        accounts
            .session(&fresh.id, later)
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        accounts
            .sign_in("rita", &rita_password, HERE, later)
            .await
            .is_err()
    );
    accounts
        .sign_in("rita", "a much longer phrase", HERE, later)
        .await
        .expect("new password");

    // API tokens: shown once, stored as a digest; a disabled user's fails.
    let token = accounts
        .create_token("admin", &ivan, "pacs bridge", t0)
        .await
        .expect("token");
    assert!(token.starts_with("irmer_"));
    let who = accounts
        .token_user(&token)
        .await
        .expect("read")
        .expect("a user");
    assert_eq!(who.username, "ivan");
    assert!(
        accounts
            .token_user("irmer_0000")
            .await
            .expect("read")
            .is_none()
    );
    // A revoked token finds no one.
    store
        .create_token(&crate::accounts::TokenRow {
            id: 0,
            digest: crate::accounts::digest("irmer_revoked"),
            user_id: who.id,
            name: "old bridge".into(),
            created_at: t0,
            revoked: true,
        })
        .await
        .expect("a revoked token");
    assert!(
        accounts
            .token_user("irmer_revoked")
            .await
            .expect("read")
            .is_none()
    );
    let mut disabled = who.clone();
    disabled.disabled = true;
    store.update_user(&disabled).await.expect("disable");
    assert!(accounts.token_user(&token).await.expect("read").is_none());
    disabled.disabled = false;
    store.update_user(&disabled).await.expect("enable");
    assert!(accounts.token_user(&token).await.expect("read").is_some());
    // Listing (no token or digest in it) and revoking.
    let listed = store.tokens(Some(who.id)).await.expect("tokens");
    let names: Vec<(&str, bool)> = listed
        .iter()
        .map(|t| (t.name.as_str(), t.revoked))
        .collect();
    assert_eq!(names, [("old bridge", true), ("pacs bridge", false)]);
    assert!(
        listed
            .iter()
            .all(|t| t.digest.is_empty() && t.user_id == who.id)
    );
    assert!(
        store
            .tokens(Some(rita.id))
            .await
            .expect("tokens")
            .is_empty()
    );
    assert_eq!(store.tokens(None).await.expect("tokens").len(), 2);
    let live = listed[1].id;
    assert!(
        accounts
            .revoke_token("admin", &listed[1], t0)
            .await
            .expect("revoke")
    );
    assert!(accounts.token_user(&token).await.expect("read").is_none());
    assert!(
        !accounts
            .revoke_token("admin", &listed[1], t0)
            .await
            .expect("again")
    );
    assert!(
        !store
            .revoke_token(live + 1000)
            .await
            .expect("no such token")
    );

    // Settings, drafts.
    assert_eq!(store.setting("child_age_under").await.expect("read"), None);
    store
        .set_setting("child_age_under", "16")
        .await
        .expect("set");
    store
        .set_setting("child_age_under", "17")
        .await
        .expect("set again");
    assert_eq!(
        store
            .setting("child_age_under")
            .await
            .expect("read")
            .as_deref(),
        Some("17")
    );
    let d1 = store
        .save_draft(rita.id, None, "modality=ct", t0)
        .await
        .expect("draft");
    store
        .save_draft(
            rita.id,
            Some(d1),
            "modality=ct&discovered=2026-02-01",
            later,
        )
        .await
        .expect("update");
    assert!(matches!(
        store.save_draft(ivan.id, Some(d1), "theft", later).await,
        Err(StoreError::NotFound(_))
    ));
    let drafts = store.drafts(rita.id).await.expect("drafts");
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].form, "modality=ct&discovered=2026-02-01");
    store
        .delete_draft(ivan.id, d1)
        .await
        .expect("another's: nothing");
    assert_eq!(store.drafts(rita.id).await.expect("drafts").len(), 1);
    store.delete_draft(rita.id, d1).await.expect("delete");
    assert!(store.drafts(rita.id).await.expect("drafts").is_empty());

    // The audit log, newest first.
    let log = store.audit_log(100).await.expect("log");
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "revoke-token",
            "create-token",
            "change-password",
            "locked-out",
            "locked-out",
            "unlock",
            "locked-out",
            "locked-out",
            "create-user",
            "create-user",
            "create-user"
        ]
    );
}

/// Who reported an incident and its department decide who sees it.
pub async fn scopes_limit_what_lists_show<S: Store>(store: S) {
    let r = register(store);
    let owners = [
        (
            "S-1",
            Owner {
                department: Some(1),
                reported_by: Some(10),
            },
        ),
        (
            "S-2",
            Owner {
                department: Some(1),
                reported_by: Some(11),
            },
        ),
        (
            "S-3",
            Owner {
                department: Some(2),
                reported_by: Some(12),
            },
        ),
        ("S-4", Owner::default()),
    ];
    for (reference, owner) in owners {
        let text = ct(reference, "2026-02-20").to_string();
        let rec = r
            .report_as(&text, "someone", owner, Scope::Organisation)
            .await
            .expect("report");
        assert_eq!(rec.owner, owner);
    }
    // A department's user cannot choose a reference, free or taken: the
    // answer does not tell whether an incident they cannot see has it.
    let department = Scope::Department {
        department: 1,
        user: 11,
    };
    let mut answers = Vec::new();
    for reference in ["S-3", "S-FREE"] {
        let text = ct(reference, "2026-02-20").to_string();
        let refused = r
            .report_as(&text, "someone", Owner::default(), department)
            .await
            .expect_err("refused");
        answers.push(refused.to_string().replace("S-FREE", "S-3"));
    }
    assert_eq!(answers[0], answers[1]);
    assert!(answers[0].starts_with("reference: "), "{}", answers[0]);
    let seen = |scope: Option<Scope>| {
        let r = r.clone();
        async move {
            let filter = Filter {
                scope,
                ..Filter::default()
            };
            let page = r
                .summaries(&filter, Sort::Reference, 50, 0)
                .await
                .expect("list");
            assert_eq!(
                r.count(&filter).await.expect("count"),
                page.items.len() as u64
            );
            page.items
                .into_iter()
                .map(|s| s.reference)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(seen(None).await, ["S-1", "S-2", "S-3", "S-4"]);
    assert_eq!(
        seen(Some(Scope::Organisation)).await,
        ["S-1", "S-2", "S-3", "S-4"]
    );
    assert_eq!(
        seen(Some(Scope::Department {
            department: 1,
            user: 12
        }))
        .await,
        ["S-1", "S-2", "S-3"]
    );
    assert_eq!(
        seen(Some(Scope::Department {
            department: 2,
            user: 99
        }))
        .await,
        ["S-3"]
    );
    assert_eq!(seen(Some(Scope::OwnReports { user: 11 })).await, ["S-2"]);
    assert!(seen(Some(Scope::OwnReports { user: 99 })).await.is_empty());
}

/// A comment is an event of its own; it changes no fact.
pub async fn comments_are_events<S: Store>(store: S) {
    let r = register(store);
    let rec = r
        .report(&ct("C-1", "2026-02-20"), "alice")
        .await
        .expect("report");
    let after = r
        .comment("C-1", "  Dose recalculated by the MPE: agrees.  ", "mpe")
        .await
        .expect("comment");
    assert_eq!(after.version, rec.version + 1);
    assert_eq!(after.incident, rec.incident);
    assert_eq!(after.assessment, rec.assessment);
    assert!(
        matches!(r.comment("C-1", "   ", "mpe").await, Err(RegisterError::Invalid(e)) if e.field == "comment")
    );
    assert!(matches!(
        r.comment("NOPE", "x", "mpe").await,
        Err(RegisterError::Store(StoreError::NotFound(_)))
    ));
    let history = r.history("C-1").await.expect("history");
    let last = history.last().expect("an event");
    assert_eq!(last.kind, EventKind::Comment);
    assert_eq!(last.actor, "mpe");
    assert_eq!(
        last.data["comment"],
        "Dose recalculated by the MPE: agrees."
    );
    // The history still replays to the same state.
    let (facts, status, _) = replay(&history).expect("replay");
    assert_eq!(status, after.status);
    assert_eq!(facts, serde_json::to_value(&after.incident).expect("facts"));
}

/// The dashboard's counts are kept between loads, follow every write made
/// through the same register at once, and another process's writes within
/// the freshness window.
pub async fn dashboard_counts_follow_writes<S: Store>(store: S) {
    use std::time::Duration;
    let here = register(store.clone()).with_counts_fresh_for(Duration::from_secs(3600));
    let elsewhere = register(store.clone());
    let fresh = register(store).with_counts_fresh_for(Duration::ZERO);
    let counted = |r: &Register<S>, scope: Option<Scope>| {
        let r = r.clone();
        async move {
            let c = r.status_counts(scope).await.expect("counts");
            let n = |s| c.by_status.iter().find(|(f, _)| *f == s).map(|(_, n)| *n);
            (
                c.overdue,
                n(IncidentStatus::Reported),
                n(IncidentStatus::Investigating),
            )
        }
    };
    // Today is 2026-03-01: notification was due on 02-15 for the first (overdue)
    // and is due on 03-13 for the second.
    here.report_as(
        &ct("C-1", "2026-02-01").to_string(),
        "a",
        Owner {
            department: Some(1),
            reported_by: Some(7),
        },
        Scope::Organisation,
    )
    .await
    .expect("report");
    here.report(&ct("C-2", "2026-02-27"), "a")
        .await
        .expect("report");
    assert_eq!(counted(&here, None).await, (1, Some(2), Some(0)));
    let own = Some(Scope::OwnReports { user: 7 });
    assert_eq!(counted(&here, own).await, (1, Some(1), Some(0)));

    // Another process writes: this register keeps what it counted (within
    // its window); one that keeps nothing sees the write at once.
    elsewhere
        .report(&ct("C-3", "2026-01-01"), "b")
        .await
        .expect("report");
    assert_eq!(counted(&here, None).await, (1, Some(2), Some(0)));
    assert_eq!(counted(&fresh, None).await, (2, Some(3), Some(0)));

    // A write through this register shows on the next count, in every scope.
    here.transition("C-2", 1, &Transition::StartInvestigation, None, "lead")
        .await
        .expect("start");
    assert_eq!(counted(&here, None).await, (2, Some(2), Some(1)));
    assert_eq!(counted(&here, own).await, (1, Some(1), Some(0)));
    // Another process moves C-1 on; unseen here until this register writes,
    // even a write that is refused (it may have reached the database).
    elsewhere
        .comment("C-1", "checked", "b")
        .await
        .expect("comment");
    elsewhere
        .transition("C-1", 2, &Transition::StartInvestigation, None, "b")
        .await
        .expect("start");
    assert_eq!(counted(&here, None).await, (2, Some(2), Some(1)));
    let stale = here
        .transition("C-1", 1, &Transition::StartInvestigation, None, "lead")
        .await;
    assert!(
        matches!(
            stale,
            Err(RegisterError::Store(StoreError::Conflict { .. }))
        ),
        "{stale:?}"
    );
    assert_eq!(counted(&here, None).await, (2, Some(1), Some(2)));
}

/// The identity is kept apart: validated, stored beside the incident, in
/// no record, summary or history entry; a change names its fields only.
pub async fn identity_is_kept_apart<S: Store>(store: S) {
    let r = register(store);
    r.report(&ct("ID-1", "2026-02-20"), "rep")
        .await
        .expect("report");
    assert_eq!(r.identity("ID-1").await.expect("read"), None);
    let refused = |field: &'static str| {
        move |e: RegisterError| match e {
            RegisterError::Invalid(e) if e.field == field => e.message,
            other => panic!("expected {field} refused, got {other:?}"),
        }
    };
    let bad = r
        .set_identity(
            "ID-1",
            &json!({"patient": {"health_number": "943 476 5918"}}),
            "lead",
        )
        .await
        .map_err(refused("patient.health_number"))
        .expect_err("a wrong check digit");
    assert!(bad.contains("check digit"), "{bad}");
    r.set_identity("ID-1", &json!({"patient": {"nhs": "9434765919"}}), "lead")
        .await
        .map_err(refused("patient.nhs"))
        .expect_err("an unknown field");
    r.set_identity(
        "ID-1",
        &json!({"staff": [{"role": " ", "name": "Oliver Twist"}]}),
        "lead",
    )
    .await
    .map_err(refused("staff[0].role"))
    .expect_err("an empty role");
    r.set_identity("ID-1", &json!({"patient": {"name": "J. K."}}), "lead")
        .await
        .map_err(refused("patient.name"))
        .expect_err("initials alone cannot be looked for");
    assert!(matches!(
        r.set_identity("NO-SUCH", &json!({}), "lead").await,
        Err(RegisterError::Store(StoreError::NotFound(_)))
    ));

    let identity = json!({
        "patient": {"name": "Jane Smith", "health_number": "943 476 5919",
                    "date_of_birth": "1958-02-03", "hospital_number": "RXH 1234567"},
        "staff": [{"role": "Radiographer", "name": "Oliver Twist"}]});
    let before = r.get("ID-1").await.expect("read");
    let after = r
        .set_identity("ID-1", &identity, "lead")
        .await
        .expect("set");
    assert_eq!(after.version, before.version + 1);
    assert_eq!(after.incident, before.incident, "facts unchanged");
    assert_eq!(after.status, before.status);
    let kept = r
        .identity("ID-1")
        .await
        .expect("read")
        .expect("an identity");
    assert_eq!(kept.patient.health_number.as_deref(), Some("9434765919"));
    assert_eq!(kept.patient.hospital_number.as_deref(), Some("RXH1234567"));
    assert_eq!(kept.staff[0].role, "radiographer");

    // Nowhere else: not in the record, a summary or the history.
    let history = r.history("ID-1").await.expect("history");
    let last = history.last().expect("an event");
    assert_eq!(last.kind, EventKind::IdentityChanged);
    let fields: Vec<&str> = last.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "patient.name",
            "patient.health_number",
            "patient.date_of_birth",
            "patient.hospital_number",
            "staff"
        ]
    );
    let summaries = r
        .summaries(&Filter::default(), Sort::Reference, 50, 0)
        .await
        .expect("summaries");
    let shown = format!(
        "{} {} {}",
        serde_json::to_string(&history).expect("json"),
        serde_json::to_string(&after.view(r.today())).expect("json"),
        serde_json::to_string(
            &summaries
                .items
                .iter()
                .map(|s| crate::register::summary_view(s, r.today()))
                .collect::<Vec<_>>()
        )
        .expect("json"),
    );
    for secret in [
        "Jane",
        "Smith",
        "9434765919",
        "943 476",
        "1958-02-03",
        "RXH",
        "Oliver",
        "Twist",
    ] {
        assert!(!shown.contains(secret), "{secret} leaked: {shown}");
    }
    // The same identity again writes nothing; one field changed names one.
    let again = r
        .set_identity("ID-1", &identity, "lead")
        .await
        .expect("same");
    assert_eq!(again.version, after.version);
    let mut changed = identity.clone();
    changed["staff"] = json!([]);
    r.set_identity("ID-1", &changed, "lead")
        .await
        .expect("change");
    let history = r.history("ID-1").await.expect("history");
    let fields: Vec<&str> = history
        .last()
        .expect("event")
        .changes
        .iter()
        .map(|c| c.field.as_str())
        .collect();
    assert_eq!(fields, ["staff"]);
    let (facts, status, _) = replay(&history).expect("replay");
    assert_eq!(status, after.status);
    assert_eq!(facts, serde_json::to_value(&after.incident).expect("facts"));
}

/// Reports: prefilled from the register, every save a version, final only
/// when no section is empty; similar incidents found for confirmation.
pub async fn reports_are_versioned_and_final_only_when_complete<S: Store>(store: S) {
    use crate::report::ReportDocument;
    let r = register(store);
    r.report(&ct("RP-A", "2026-02-20"), "rep")
        .await
        .expect("report");
    r.report(&ct("RP-B", "2026-01-10"), "rep")
        .await
        .expect("report");
    r.report(&ct("RP-OLD", "2024-01-10"), "rep")
        .await
        .expect("report");
    let mut nm = ct("RP-NM", "2026-02-01");
    nm["modality"] = json!("nuclear-medicine");
    nm["errors"] = json!(["equipment"]);
    r.report(&nm, "rep").await.expect("report");
    assert!(r.reports("RP-A").await.expect("none yet").is_empty());
    assert!(matches!(
        r.reports("NO-SUCH").await,
        Err(RegisterError::Store(StoreError::NotFound(_)))
    ));

    let rec = r.get("RP-A").await.expect("read");
    let mut doc = ReportDocument::prefilled(&rec);
    assert_eq!(
        doc.text("what_happened"),
        "CT repeated with the wrong protocol."
    );
    assert_eq!(doc.text("doses"), "Dose: intended 0.5 mSv, received 6 mSv.");
    assert_eq!(doc.text("causes"), "Errors recorded: human.");
    assert!(
        doc.text("csaue_procedure")
            .contains("not judged clinically significant")
    );
    let missing: Vec<&str> = doc.missing().iter().map(|s| s.key).collect();
    assert_eq!(missing, ["previous_incidents", "learning"]);

    let refused = r
        .save_report("RP-A", 0, &doc, true, "lead", Scope::Organisation)
        .await;
    match refused {
        Err(RegisterError::Invalid(e)) => {
            assert_eq!(e.field, "sections.previous_incidents");
            assert!(
                e.message.contains("Learning, corrective measures"),
                "{}",
                e.message
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let v1 = r
        .save_report("RP-A", 0, &doc, false, "lead", Scope::Organisation)
        .await
        .expect("draft");
    assert_eq!((v1.version, v1.is_final), (1, false));
    assert!(matches!(
        r.save_report("RP-A", 0, &doc, false, "lead", Scope::Organisation)
            .await,
        Err(RegisterError::Store(StoreError::Conflict { .. }))
    ));
    let mut odd = doc.clone();
    odd.sections.insert("gossip".into(), "x".into());
    assert!(matches!(
        r.save_report("RP-A", 1, &odd, false, "lead", Scope::Organisation).await,
        Err(RegisterError::Invalid(e)) if e.field == "sections.gossip"
    ));
    let mut wrong = doc.clone();
    wrong.similar = vec!["NOPE".into()];
    let nope = r
        .save_report("RP-A", 1, &wrong, false, "lead", Scope::Organisation)
        .await;
    assert!(matches!(&nope, Err(RegisterError::Invalid(e)) if e.field == "similar[0]"));
    // An incident outside the saver's scope is refused exactly as one that
    // does not exist, and is never listed for them.
    let elsewhere = Scope::Department {
        department: 7,
        user: 70,
    };
    let mut hidden = doc.clone();
    let out_of_scope = |e: &RegisterError| e.to_string().replace("RP-B", "NOPE");
    hidden.similar = vec!["RP-B".into()];
    let refused = r
        .save_report("RP-A", 1, &hidden, false, "lead", elsewhere)
        .await
        .expect_err("out of scope");
    assert_eq!(
        out_of_scope(&refused),
        nope.expect_err("refused").to_string()
    );
    assert!(
        r.similar_rows(&hidden, elsewhere)
            .await
            .expect("rows")
            .is_empty()
    );
    assert_eq!(
        r.similar_rows(&hidden, Scope::Organisation)
            .await
            .expect("rows")
            .len(),
        1
    );

    // Similar: within the year before, sharing something; not itself, not
    // the one two years before; the one sharing most first.
    let found = r
        .similar_candidates("RP-A", 365, None)
        .await
        .expect("similar");
    let refs: Vec<&str> = found.iter().map(|c| c.reference.as_str()).collect();
    assert_eq!(refs, ["RP-B", "RP-NM"]);
    assert!(
        found[0].shared.contains(&"same modality".to_owned()),
        "{:?}",
        found[0].shared
    );
    assert!(
        found[0].shared.contains(&"errors: human".to_owned()),
        "{:?}",
        found[0].shared
    );
    assert!(!found[1].shared.contains(&"same modality".to_owned()));

    doc.similar = vec!["RP-B".into(), "RP-NM".into(), "RP-B".into()];
    doc.sections.insert(
        "previous_incidents".into(),
        "One similar incident (RP-B) in January.".into(),
    );
    doc.sections.insert(
        "learning".into(),
        "Protocol names changed; shared at the team meeting.".into(),
    );
    let v2 = r
        .save_report("RP-A", 1, &doc, true, "lead", Scope::Organisation)
        .await
        .expect("final");
    assert_eq!((v2.version, v2.is_final), (2, true));
    let all = r.reports("RP-A").await.expect("versions");
    let kept: Vec<(i64, bool)> = all.iter().map(|v| (v.version, v.is_final)).collect();
    assert_eq!(kept, [(1, false), (2, true)]);
    assert_eq!(
        all[1].document.similar,
        ["RP-B", "RP-NM"],
        "each once, in order"
    );
    doc.similar = vec!["RP-B".into(), "RP-NM".into()];
    assert_eq!(all[1].document, doc);
    assert_eq!(all[0].actor, "lead");
}

/// Search (the reference or the description, any case, `%` and `_` as
/// themselves) and the department and site filters.
pub async fn search_and_owner_filters<S: Store + AccountStore>(store: S) {
    let north = store.create_site("North").await.expect("site").id;
    let south = store.create_site("South").await.expect("site").id;
    let d1 = store
        .create_department(north, "Radiology")
        .await
        .expect("dept")
        .id;
    let d2 = store
        .create_department(north, "Nuclear medicine")
        .await
        .expect("dept")
        .id;
    let d3 = store
        .create_department(south, "Radiology")
        .await
        .expect("dept")
        .id;
    let r = register(store);
    for (reference, department, description) in [
        ("F-1", Some(d1), "CT head repeated: WRONG protocol"),
        ("F-2", Some(d2), "Activity 100% above the prescription"),
        ("F-3", Some(d3), "Plain film of the wrong side"),
        ("F-4", None, "Dental image repeated"),
    ] {
        let mut v = ct(reference, "2026-02-20");
        v["description"] = json!(description);
        if reference == "F-4" {
            v["title"] = json!("Bitewing taken twice");
        }
        let owner = Owner {
            department,
            reported_by: None,
        };
        r.report_as(&v.to_string(), "someone", owner, Scope::Organisation)
            .await
            .expect("report");
    }
    let found = |filter: Filter| {
        let r = r.clone();
        async move {
            r.summaries(&filter, Sort::Reference, 50, 0)
                .await
                .expect("list")
                .items
                .into_iter()
                .map(|s| s.reference)
                .collect::<Vec<_>>()
        }
    };
    let search = |text: &str| Filter {
        search: Some(text.to_owned()),
        ..Filter::default()
    };
    assert_eq!(found(search("wrong protocol")).await, ["F-1"]);
    assert_eq!(found(search("WRONG")).await, ["F-1", "F-3"]);
    assert_eq!(
        found(search("f-2")).await,
        ["F-2"],
        "the reference, any case"
    );
    assert_eq!(found(search("100%")).await, ["F-2"]);
    assert_eq!(found(search("%")).await, ["F-2"], "% is itself");
    assert!(found(search("_")).await.is_empty(), "_ is itself");
    assert!(found(search("lost")).await.is_empty());
    assert_eq!(found(search("BITEWING")).await, ["F-4"], "the title");
    let departments = |ids: Vec<i64>| Filter {
        departments: ids,
        ..Filter::default()
    };
    assert_eq!(found(departments(vec![d1, d3])).await, ["F-1", "F-3"]);
    let site = |id: i64| Filter {
        site: Some(id),
        ..Filter::default()
    };
    assert_eq!(found(site(north)).await, ["F-1", "F-2"]);
    assert_eq!(found(site(south)).await, ["F-3"]);
    let both = Filter {
        site: Some(north),
        search: Some("plain".into()),
        ..Filter::default()
    };
    assert!(found(both).await.is_empty());
    // The count agrees with the list.
    assert_eq!(r.count(&site(north)).await.expect("count"), 2);
}

/// Causes are tier-3 codes of the taxonomy, coded like any other fact
/// (a change in the history, with its reason); a code recorded before a
/// taxonomy changed stays; contributing factors are checked for
/// identifiers like every kept text.
pub async fn causes_are_coded_from_the_taxonomy<S: Store>(store: S) {
    let r = register(store.clone());
    let mut v = ct("C-1", "2026-02-20");
    v["causes"] = json!(["operator.pre-exposure-checks.not-a-cause"]);
    let e = r
        .report(&v, "alice")
        .await
        .expect_err("not in the taxonomy");
    assert!(
        matches!(&e, RegisterError::Invalid(i) if i.field == "causes" && i.message.contains("not a tier-3 code of the cause taxonomy cqc-2023-24.1")),
        "{e}"
    );
    v["causes"] = json!(["referrer.incorrect-referral"]);
    assert!(
        r.report(&v, "alice").await.is_err(),
        "a tier-2 code is not a cause"
    );
    v["causes"] = json!(["operator.pre-exposure-checks.wrong-protocol"]);
    v["contributing_factors"] = json!(["Two protocols with alike names"]);
    let rec = r.report(&v, "alice").await.expect("coded");
    assert_eq!(
        rec.incident.causes,
        ["operator.pre-exposure-checks.wrong-protocol"]
    );
    // Coding is a change like any other: in the history with its reason.
    let patch = json!({"causes": ["operator.pre-exposure-checks.wrong-protocol", "equipment.fault.software"]});
    let rec = r
        .amend("C-1", 1, &patch, "Root cause analysis done", "lead")
        .await
        .expect("recoded");
    assert_eq!(rec.incident.causes.len(), 2);
    let history = r.history("C-1").await.expect("history");
    let last = history.last().expect("event");
    assert_eq!(last.kind, EventKind::FactsChanged);
    assert_eq!(last.reason.as_deref(), Some("Root cause analysis done"));
    assert!(
        last.changes.iter().any(|c| c.field.starts_with("causes")),
        "{:?}",
        last.changes
    );
    // The report's causes section starts from the coding, in words.
    let draft = r.report_or_draft("C-1", "lead").await.expect("draft");
    let causes = draft.document.text("causes");
    assert!(
        causes.starts_with("Cause: Operator › Pre-exposure checks › Wrong protocol or settings selected.\nCause: Equipment › Equipment or software fault › Software fault.\nContributing factors: Two protocols with alike names."),
        "{causes}"
    );
    // A factor that names someone is refused.
    let named = json!({"contributing_factors": ["Mr Aardvark was tired"]});
    let e = r
        .amend("C-1", 2, &named, "Factors", "lead")
        .await
        .expect_err("a name");
    assert!(
        matches!(&e, RegisterError::Invalid(i) if i.field == "contributing_factors"),
        "{e}"
    );
    // With a taxonomy that no longer has the codes, what was recorded
    // stays through another change; a new unknown code is refused.
    let bare = register(store).with_taxonomy(irmer_stats::taxonomy::Taxonomy::default());
    bare.amend(
        "C-1",
        2,
        &json!({"description": "Recoded later."}),
        "Wording",
        "lead",
    )
    .await
    .expect("the recorded causes stay");
    let e = bare
        .amend(
            "C-1",
            3,
            &json!({"causes": ["operator.contrast.other"]}),
            "More",
            "lead",
        )
        .await
        .expect_err("unknown to this taxonomy");
    assert!(
        matches!(&e, RegisterError::Invalid(i) if i.field == "causes"),
        "{e}"
    );
}

#[macro_export]
macro_rules! backend_tests {
    ($make:expr) => {
        $crate::backend_tests!(@tests $make;
            report_and_read_back,
            amend_keeps_history_and_refuses_stale_writes,
            concurrent_writers_one_wins,
            the_incidents_life_and_its_clocks,
            lists_filter_sort_and_page,
            import_is_idempotent,
            a_changed_decision_is_recorded_on_any_change,
            accounts_sign_in_lock_out_sessions_and_tokens,
            concurrent_wrong_passwords_are_counted_before_checking,
            scopes_limit_what_lists_show,
            search_and_owner_filters,
            comments_are_events,
            dashboard_counts_follow_writes,
            identity_is_kept_apart,
            reports_are_versioned_and_final_only_when_complete,
            dates_that_cannot_be_true_are_refused,
            the_csv_export_goes_through_each_incidents_identity,
            identifiers_are_refused_where_they_are_typed,
            causes_are_coded_from_the_taxonomy,
            statistics_agree_with_an_independent_count,
            themes_are_suggested_confirmed_and_dismissed,
            mail_is_queued_retried_and_kept,
            notifications_are_numbered_without_gaps_and_acknowledged,
            cases_keep_their_history_and_chase_once,
            sends_are_once_per_incident_and_retried,
            tasks_follow_the_assessment_and_are_done,
            an_import_writes_each_incidents_tasks_with_it,
            reminders_are_sent_once_to_owners,
            tasks_are_assigned_to_a_user_who_may_act);
    };
    (@tests $make:expr; $($name:ident),+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some(store) = $make {
                    $crate::testsuite::$name(store).await;
                }
            }
        )+
    };
}
