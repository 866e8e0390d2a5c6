//! Tasks: made from the duties and other bodies an assessment names when
//! an incident is reported; following a change of facts (retired with the
//! reason, opened again, never deleted; done ones kept); steps refused by
//! field with nothing written; listed open, overdue and by incident; the
//! table equal to the fold of the incident's `task` events.

use irmer_core::tasks::{NO_LONGER_NAMED, TaskKind, TaskStatus, TaskStep};
use serde_json::json;

use crate::register::RegisterError;
use crate::tasks::{DEFAULT_OWNER, TaskFilter, fold};
use crate::{EventKind, Store};

pub async fn tasks_follow_the_assessment_and_are_done<S: Store>(store: S) {
    let register = super::register(store.clone());
    let mut significant = super::ct("T-1", "2026-02-20");
    significant["clinically_significant"] = json!(true);
    let rec = register
        .report(&significant, "alice")
        .await
        .expect("reported");
    let of = |reference: &str| TaskFilter {
        incident: Some(reference.to_owned()),
        ..TaskFilter::default()
    };
    let tasks = store.tasks(&of("T-1")).await.expect("tasks");
    assert_eq!(
        tasks.iter().map(|t| t.row.kind).collect::<Vec<_>>(),
        [
            TaskKind::InformReferrer,
            TaskKind::InformPractitioner,
            TaskKind::InformPatient,
            TaskKind::DutyOfCandour
        ]
    );
    assert!(tasks.iter().all(|t| t.row.status == TaskStatus::Open
        && t.row.due == super::d("2026-03-06")
        && t.row.owner_role == Some(DEFAULT_OWNER)));
    assert_eq!(rec.version, 2, "the report, then the tasks' event");
    // An incident that names none has none, and no extra event.
    let plain = register
        .report(&super::ct("T-2", "2026-02-20"), "alice")
        .await
        .expect("reported");
    assert_eq!(plain.version, 1);
    assert!(store.tasks(&of("T-2")).await.expect("tasks").is_empty());

    // Done, with a note; twice: refused by its state (a conflict, the
    // field named), nothing written.
    let referrer = tasks[0].id;
    let done = register
        .task_step(
            referrer,
            &TaskStep::Done {
                on: super::d("2026-02-25"),
                reference: None,
                note: Some("Told by telephone.".into()),
            },
            "ines",
        )
        .await
        .expect("done");
    assert_eq!(
        (done.row.status, done.row.done_on),
        (TaskStatus::Done, Some(super::d("2026-02-25")))
    );
    let version = register.get("T-1").await.expect("read").version;
    let again = register
        .task_step(
            referrer,
            &TaskStep::Done {
                on: super::d("2026-02-26"),
                reference: None,
                note: None,
            },
            "ines",
        )
        .await;
    assert!(matches!(again, Err(RegisterError::Transition(e)) if e.field == "status"));
    let early = register
        .task_step(
            tasks[1].id,
            &TaskStep::Done {
                on: super::d("2026-02-19"),
                reference: None,
                note: None,
            },
            "ines",
        )
        .await;
    assert!(matches!(early, Err(RegisterError::Invalid(e)) if e.field == "date"));
    let identifier = register
        .task_step(
            tasks[1].id,
            &TaskStep::NotNeeded {
                reason: "Mrs Aardvark told us herself".into(),
            },
            "ines",
        )
        .await;
    assert!(matches!(identifier, Err(RegisterError::Invalid(e)) if e.field == "reason"));
    assert!(matches!(
        register
            .task_step(99_999, &TaskStep::NotNeeded { reason: "x".into() }, "ines")
            .await,
        Err(RegisterError::Store(crate::StoreError::NotFound(_)))
    ));
    assert_eq!(
        register.get("T-1").await.expect("read").version,
        version,
        "nothing written"
    );

    // Overdue: open ones due before the day.
    let overdue = store
        .tasks(&TaskFilter {
            overdue_on: Some(super::d("2026-03-07")),
            ..TaskFilter::default()
        })
        .await
        .expect("overdue");
    assert_eq!(overdue.len(), 3, "the done one is not overdue");
    assert!(
        store
            .tasks(&TaskFilter {
                overdue_on: Some(super::d("2026-03-06")),
                ..TaskFilter::default()
            })
            .await
            .expect("overdue")
            .is_empty(),
        "due on the 6th is not overdue on the 6th"
    );

    // Not clinically significant after all: the open ones retired with
    // the reason, the done one kept; significant again: opened again.
    let v = register.get("T-1").await.expect("read").version;
    register
        .amend(
            "T-1",
            v,
            &json!({"clinically_significant": false}),
            "The MPE's review",
            "ines",
        )
        .await
        .expect("amended");
    let after = store.tasks(&of("T-1")).await.expect("tasks");
    assert_eq!(after.len(), 4, "nothing deleted");
    for t in &after {
        if t.id == referrer {
            assert_eq!(t.row.status, TaskStatus::Done);
        } else {
            assert_eq!(
                (t.row.status, t.row.reason.as_deref()),
                (TaskStatus::NotNeeded, Some(NO_LONGER_NAMED))
            );
        }
    }
    let v = register.get("T-1").await.expect("read").version;
    register
        .amend(
            "T-1",
            v,
            &json!({"clinically_significant": true}),
            "Reviewed again",
            "ines",
        )
        .await
        .expect("amended");
    let back = store.tasks(&of("T-1")).await.expect("tasks");
    assert_eq!(
        back.iter()
            .filter(|t| t.row.status == TaskStatus::Open)
            .count(),
        3
    );

    // The table is the fold of the task events.
    let history = register.history("T-1").await.expect("history");
    let events: Vec<serde_json::Value> = history
        .iter()
        .filter(|h| h.kind == EventKind::Task)
        .map(|h| h.data.clone())
        .collect();
    assert_eq!(events.len(), 4, "follow, done, retire, reopen");
    let folded = fold(&events).expect("fold");
    let mut kept: Vec<_> = back.into_iter().map(|t| t.row).collect();
    kept.sort_by_key(|r| r.kind);
    assert_eq!(folded, kept);
}

/// An import writes each incident's tasks in the same transaction as the
/// incident (its second event, as a report does): none is left without
/// the duties it obliges, a repeated reference makes none twice, and
/// importing the file again writes nothing. Its codes are written with it
/// too (the code filter finds it).
pub async fn an_import_writes_each_incidents_tasks_with_it<S: Store>(store: S) {
    let register = super::register(store.clone());
    let mut significant = super::ct("TI-1", "2026-02-20");
    significant["clinically_significant"] = json!(true);
    let mut equipment = super::ct("TI-3", "2026-02-21");
    equipment["errors"] = json!(["equipment"]);
    let lines: Vec<(u64, String)> = [
        significant.clone(),
        super::ct("TI-2", "2026-02-20"),
        significant,
        equipment,
    ]
    .iter()
    .enumerate()
    .map(|(i, v)| (i as u64 + 1, v.to_string()))
    .collect();
    let report = register
        .import(lines.clone(), "alice")
        .await
        .expect("import");
    assert_eq!((report.created, report.unchanged), (3, 1), "{report:?}");
    // The incident's task rows, in kind order.
    let rows = |reference: &str| {
        let store = store.clone();
        let reference = reference.to_owned();
        async move {
            let mut rows: Vec<_> = store
                .tasks(&TaskFilter {
                    incident: Some(reference),
                    ..TaskFilter::default()
                })
                .await
                .expect("tasks")
                .into_iter()
                .map(|t| t.row)
                .collect();
            rows.sort_by_key(|r| r.kind);
            rows
        }
    };
    let kinds = |reference: &str| {
        let rows = rows(reference);
        async move { rows.await.into_iter().map(|r| r.kind).collect::<Vec<_>>() }
    };
    assert_eq!(kinds("TI-1").await.len(), 4);
    assert!(kinds("TI-2").await.is_empty());
    assert_eq!(kinds("TI-3").await, [TaskKind::ReportMhra]);
    for (reference, version) in [("TI-1", 2), ("TI-2", 1), ("TI-3", 2)] {
        let rec = register.get(reference).await.expect("incident");
        assert_eq!(rec.version, version, "{reference}");
        let history = register.history(reference).await.expect("history");
        assert_eq!(history.len() as i64, version, "{reference}");
        // The table is the fold of the task events.
        let events: Vec<serde_json::Value> = history
            .iter()
            .filter(|h| h.kind == EventKind::Task)
            .map(|h| h.data.clone())
            .collect();
        assert_eq!(
            fold(&events).expect("fold"),
            rows(reference).await,
            "{reference}"
        );
    }
    // Its codes are found by the code filter (written with it).
    let one = register.get("TI-1").await.expect("incident");
    let code = one
        .assessment
        .codes
        .first()
        .expect("a notifiable incident has codes");
    let found = register
        .summaries(
            &crate::Filter {
                code: Some(code.to_string()),
                ..crate::Filter::default()
            },
            crate::Sort::Reference,
            50,
            0,
        )
        .await
        .expect("summaries");
    assert!(
        found.items.iter().any(|s| s.reference == "TI-1"),
        "{code}: {:?}",
        found.items
    );
    let again = register.import(lines, "alice").await.expect("import");
    assert_eq!((again.created, again.unchanged), (0, 4));
    assert_eq!(kinds("TI-1").await.len(), 4);
    assert_eq!(register.get("TI-1").await.expect("incident").version, 2);
}
