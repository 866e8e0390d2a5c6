//! Reminders: a task's owners in scope with an address, due soon and
//! overdue, each once however often the sweep runs (and again for a new
//! due date); the administrators for a licence at 14 and 8 weeks; nothing
//! typed about the patient in a mail.

use irmer_core::tasks::TaskStep;
use serde_json::json;
use time::macros::datetime;

use crate::Owner;
use crate::accounts::{AccountStore, NewUser, Role, Scope};
use crate::mail::{MailStore, Queued};
use crate::reminders::{Sender, Swept};
use crate::tasks::TaskFilter;
use crate::{Store, register::Register};

async fn user<S: AccountStore>(
    store: &S,
    name: &str,
    role: Role,
    department: Option<i64>,
    email: Option<&str>,
) -> i64 {
    store
        .create_user(&NewUser {
            username: name.into(),
            display_name: name.into(),
            role,
            department_id: department,
            password_hash: None,
            must_change_password: false,
            email: email.map(str::to_owned),
        })
        .await
        .expect("user")
        .id
}

async fn report<S: Store>(register: &Register<S>, reference: &str, discovered: &str, dept: i64) {
    let mut incident = super::ct(reference, discovered);
    incident["clinically_significant"] = json!(true);
    register
        .report_as(
            &incident.to_string(),
            "alice",
            Owner {
                department: Some(dept),
                reported_by: None,
            },
            Scope::Organisation,
        )
        .await
        .expect("reported");
}

async fn outbox<S: MailStore>(store: &S) -> Vec<Queued> {
    let mut all = store.outbox(1000, 0).await.expect("outbox");
    all.reverse();
    all
}

fn sender() -> Sender {
    Sender {
        from: "irmer@trust.example".into(),
        base_url: Some("https://irmer.trust.example/".into()),
    }
}

pub async fn reminders_are_sent_once_to_owners<S: Store + AccountStore>(store: S) {
    let site = store.create_site("General").await.expect("site").id;
    let a = store.create_department(site, "CT").await.expect("dept").id;
    let b = store
        .create_department(site, "Nuclear medicine")
        .await
        .expect("dept")
        .id;
    user(
        &store,
        "ines",
        Role::Investigator,
        Some(a),
        Some("ines@trust.example"),
    )
    .await;
    user(
        &store,
        "ivan",
        Role::Investigator,
        Some(b),
        Some("ivan@trust.example"),
    )
    .await;
    user(&store, "nomail", Role::Investigator, Some(a), None).await;
    let dora = user(
        &store,
        "dora",
        Role::Investigator,
        Some(a),
        Some("dora@trust.example"),
    )
    .await;
    let mut disabled = store.user(dora).await.expect("read").expect("dora");
    disabled.disabled = true;
    store.update_user(&disabled).await.expect("disable");
    user(
        &store,
        "rita",
        Role::Reporter,
        Some(a),
        Some("rita@trust.example"),
    )
    .await;
    user(
        &store,
        "ada",
        Role::Administrator,
        None,
        Some("ada@trust.example"),
    )
    .await;

    // 1 March: R-OLD's tasks (due 24 February) are overdue; R-NEW's (due
    // 6 March) are not yet due soon.
    let register = super::register(store.clone());
    report(&register, "R-OLD", "2026-02-10", a).await;
    report(&register, "R-NEW", "2026-02-20", a).await;
    let swept = register.remind(&sender()).await.expect("sweep");
    assert_eq!(
        swept,
        Swept {
            tasks: 4,
            licences: 0
        }
    );
    let mails = outbox(&store).await;
    assert!(mails.iter().all(|m| m.mail.to == "ines@trust.example"
        && m.mail.subject.starts_with("Overdue: ")
        && m.mail.subject.contains("R-OLD")
        && m.mail.from == "irmer@trust.example"));
    assert!(
        mails[0]
            .mail
            .body
            .contains("https://irmer.trust.example/incidents/R-OLD#task-"),
        "{}",
        mails[0].mail.body
    );
    assert!(
        mails
            .iter()
            .all(|m| !m.mail.body.contains("wrong protocol")),
        "no free text from the incident"
    );
    assert_eq!(
        register.remind(&sender()).await.expect("again"),
        Swept::default(),
        "each once"
    );

    // 4 March: R-NEW's tasks are due within 3 days.
    let register = super::register_at(store.clone(), datetime!(2026-03-04 09:00 UTC));
    assert_eq!(register.remind(&sender()).await.expect("sweep").tasks, 4);
    let mails = outbox(&store).await;
    assert_eq!(mails.len(), 8);
    assert!(
        mails[4..]
            .iter()
            .all(|m| m.mail.subject.starts_with("Due soon: ")
                && m.mail.subject.contains("R-NEW (due 6 March 2026)"))
    );

    // 7 March: overdue. One of them had a new date (20 March): nothing
    // for it until that comes near; the others' overdue reminders once.
    let register = super::register_at(store.clone(), datetime!(2026-03-07 09:00 UTC));
    let tasks = store
        .tasks(&TaskFilter {
            incident: Some("R-NEW".into()),
            ..TaskFilter::default()
        })
        .await
        .expect("tasks");
    register
        .task_step(
            tasks[0].id,
            &TaskStep::Due {
                on: super::d("2026-03-20"),
            },
            "ines",
        )
        .await
        .expect("new date");
    register
        .task_step(
            tasks[1].id,
            &TaskStep::Done {
                on: super::d("2026-03-06"),
                reference: None,
                note: None,
            },
            "ines",
        )
        .await
        .expect("done");
    assert_eq!(register.remind(&sender()).await.expect("sweep").tasks, 2);
    assert_eq!(register.remind(&sender()).await.expect("again").tasks, 0);
    let register = super::register_at(store.clone(), datetime!(2026-03-18 09:00 UTC));
    assert_eq!(
        register.remind(&sender()).await.expect("sweep").tasks,
        1,
        "the new date's due-soon reminder"
    );

    // Licences: to the administrators, at 14 weeks and at 8, once each;
    // one renewed by a later licence (P-3), none; the employer's E-4 for
    // other procedures at the site does not renew E-1.
    store
        .set_setting(
            crate::licences::SETTING,
            "holder,name,site,number,procedures,start,expiry\n\
             employer,General Hospital,General,E-1,Tc-99m,2022-01-01,2026-05-20\n\
             practitioner,Dr Pat Smith,General,P-2,I-131,2022-01-01,2026-04-10\n\
             practitioner,Dr Lee Jones,General,P-3,F-18,2022-01-01,2026-04-10\n\
             practitioner,Dr Lee Jones,General,P-3,F-18,2026-04-01,2031-03-31\n\
             employer,General Hospital,General,E-4,I-131,2025-01-01,2029-12-31\n",
        )
        .await
        .expect("licences");
    let register = super::register(store.clone());
    let before = outbox(&store).await.len();
    assert_eq!(register.remind(&sender()).await.expect("sweep").licences, 2);
    let mails = outbox(&store).await;
    let licences = &mails[before..];
    assert!(licences.iter().all(|m| m.mail.to == "ada@trust.example"));
    assert_eq!(
        licences
            .iter()
            .map(|m| m.mail.subject.as_str())
            .collect::<Vec<_>>(),
        [
            "ARSAC licence P-2 expires on 10 April 2026, in 5 weeks",
            "ARSAC licence E-1 expires on 20 May 2026, in 11 weeks"
        ]
    );
    assert_eq!(register.remind(&sender()).await.expect("again").licences, 0);
    // 1 April: E-1 within 8 weeks now; P-2 already had its 8-week one.
    let register = super::register_at(store.clone(), datetime!(2026-04-01 09:00 UTC));
    let swept = register.remind(&sender()).await.expect("sweep");
    assert_eq!(swept.licences, 1);
}

/// A task assigned to a user: only one who may sign in, act on tasks and
/// see the incident (refused naming `owner`, nothing written otherwise);
/// only an open task; one event; the reminder goes to that user alone.
pub async fn tasks_are_assigned_to_a_user_who_may_act<S: Store + AccountStore>(store: S) {
    let site = store.create_site("General").await.expect("site").id;
    let a = store.create_department(site, "CT").await.expect("dept").id;
    let b = store.create_department(site, "MRI").await.expect("dept").id;
    user(
        &store,
        "ines",
        Role::Investigator,
        Some(a),
        Some("ines@trust.example"),
    )
    .await;
    user(
        &store,
        "ivan",
        Role::Investigator,
        Some(b),
        Some("ivan@trust.example"),
    )
    .await;
    user(
        &store,
        "rita",
        Role::Reporter,
        Some(a),
        Some("rita@trust.example"),
    )
    .await;
    let ada = user(
        &store,
        "ada",
        Role::Administrator,
        None,
        Some("ada@trust.example"),
    )
    .await;
    let dora = user(&store, "dora", Role::Investigator, Some(a), None).await;
    let mut disabled = store.user(dora).await.expect("read").expect("dora");
    disabled.disabled = true;
    store.update_user(&disabled).await.expect("disable");
    let register = super::register(store.clone());
    report(&register, "R-1", "2026-02-10", a).await;
    let tasks = store
        .tasks(&TaskFilter {
            incident: Some("R-1".into()),
            ..TaskFilter::default()
        })
        .await
        .expect("tasks");
    let (first, second) = (tasks[0].id, tasks[1].id);
    let events = register.history("R-1").await.expect("history").len();
    for (to, says) in [
        ("nobody", "no user is named 'nobody'"),
        ("rita", "rita is a reporter, who cannot act on tasks"),
        ("ivan", "ivan cannot see incident R-1"),
        ("dora", "dora is disabled"),
    ] {
        match register.assign_task(first, Some(to), "ada").await {
            Err(crate::register::RegisterError::Invalid(e)) => {
                assert_eq!(e.field, "owner");
                assert!(e.message.contains(says), "{to}: {}", e.message);
            }
            other => panic!("{to}: {other:?}"),
        }
    }
    assert_eq!(
        register.history("R-1").await.expect("history").len(),
        events,
        "nothing written"
    );
    let assigned = register
        .assign_task(first, Some("ada"), "ines")
        .await
        .expect("assigned");
    assert_eq!(assigned.row.owner_user, Some(ada));
    let history = register.history("R-1").await.expect("history");
    assert_eq!(history.len(), events + 1);
    assert_eq!(history[events].data["why"], "assigned");
    // The same again: nothing to write.
    register
        .assign_task(first, Some("ada"), "ines")
        .await
        .expect("again");
    assert_eq!(register.history("R-1").await.expect("h").len(), events + 1);
    // Overdue on 1 March: ada for the assigned task, ines for the rest.
    let swept = register.remind(&sender()).await.expect("sweep");
    assert_eq!(swept.tasks, tasks.len());
    let mails = outbox(&store).await;
    assert_eq!(
        mails
            .iter()
            .filter(|m| m.mail.to == "ada@trust.example")
            .count(),
        1
    );
    assert!(
        mails
            .iter()
            .filter(|m| m.mail.to == "ada@trust.example")
            .all(|m| m.mail.body.contains(&format!("#task-{first}")))
    );
    // Back to the role; a done task is not assigned (a conflict).
    let back = register
        .assign_task(first, None, "ines")
        .await
        .expect("back");
    assert_eq!(back.row.owner_user, None);
    register
        .task_step(
            second,
            &TaskStep::Done {
                on: super::d("2026-02-20"),
                reference: None,
                note: None,
            },
            "ines",
        )
        .await
        .expect("done");
    assert!(matches!(
        register.assign_task(second, Some("ines"), "ada").await,
        Err(crate::register::RegisterError::Transition(_))
    ));
}
