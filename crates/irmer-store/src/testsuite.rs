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

use crate::register::{Register, RegisterError, replay};
use crate::{EventKind, Filter, Sort, Store, StoreError};

/// A register on `store` whose clock starts at 2026-03-01 12:00 UTC and
/// moves one second a call.
pub fn register<S: Store>(store: S) -> Register<S> {
    let start = time::macros::datetime!(2026-03-01 12:00 UTC).unix_timestamp();
    let tick = Arc::new(AtomicI64::new(start));
    Register::new(store, GuidanceVersion::LATEST, Settings::default()).with_clock(Arc::new(
        move || {
            OffsetDateTime::from_unix_timestamp(tick.fetch_add(1, Ordering::SeqCst))
                .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        },
    ))
}

fn d(text: &str) -> CivilDate {
    CivilDate::parse(text).expect("date")
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
    let r = register(store);
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
    assert_eq!(
        by(Filter {
            status: vec![IncidentStatus::Investigating],
            ..Filter::default()
        })
        .await,
        ["CT-L0"]
    );

    let soonest = r.deadlines(None).await.expect("deadlines");
    let soonest: Vec<&str> = soonest.iter().map(|s| s.reference.as_str()).collect();
    assert_eq!(soonest, ["CT-L0", "CT-L1", "CT-L2", "PET-L", "CT-L3"]);
    let due = r.deadlines(Some(d("2026-02-24"))).await.expect("deadlines");
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

/// Runs every test of the suite as a `#[tokio::test]`, each on a fresh
/// store made by `$make` (an async expression giving `Option<store>`:
/// `None` when the backend's service is missing and the test is skipped,
/// which the backend must say loudly, and must never do in CI).
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
            a_changed_decision_is_recorded_on_any_change);
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
