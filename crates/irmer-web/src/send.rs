//! The employer's side: sending a notifiable incident to its enforcing
//! authority's irmer. An administrator connects an authority (its URL and
//! the organisation's token, with the contact the acknowledgement goes
//! to); "send" builds the notification from the register, checks every
//! text with the incident's identifier scanner (nothing leaves that names
//! someone), and queues it once per incident; a worker posts it with the
//! same Idempotency-Key on every attempt, retries what failed for now,
//! keeps what was refused with the authority's reason, and records the
//! reference it answers with the register's record-notification step.
//! A licensing breach goes the same way to the authority's licensing
//! breach form, and its reference completes the incident's task for it.

use irmer_core::Outcome;
use irmer_core::assessment::EnforcingAuthority;
use irmer_core::lifecycle::Transition;
use irmer_store::accounts::{AccountStore, ORGANISATION_SETTING};
use irmer_store::register::{IncidentRecord, Register, RegisterError};
use irmer_store::sends::{NewSend, SendAttempt, SendKind, SendStore, Sending};
use irmer_store::{Store, StoreError};
use serde_json::{Value, json};
use time::OffsetDateTime;

/// The settings of a connection, by authority id.
pub fn url_setting(authority: EnforcingAuthority) -> String {
    format!("authority_url.{}", authority.id())
}
pub fn token_setting(authority: EnforcingAuthority) -> String {
    format!("authority_token.{}", authority.id())
}
/// Who the authority's acknowledgement and questions go to.
pub const CONTACT_EMAIL_SETTING: &str = "notification_contact_email";
pub const CONTACT_NAME_SETTING: &str = "notification_contact_name";
/// The organisation's code (ODS), sent with each notification.
pub const ORGANISATION_CODE_SETTING: &str = "organisation_code";

/// How long one request to the authority may take.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// Sends one pass posts at most.
pub const BATCH: u32 = 20;

/// Why a send cannot be queued.
#[derive(Debug)]
pub enum SendError {
    /// Not possible for this incident or configuration; the message says why.
    Refused {
        field: String,
        message: String,
    },
    /// Already queued or sent.
    AlreadySent,
    Register(RegisterError),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Refused { field, message } => write!(f, "{field}: {message}"),
            SendError::AlreadySent => write!(
                f,
                "this incident's notification was sent (or queued) already"
            ),
            SendError::Register(e) => write!(f, "{e}"),
        }
    }
}

impl From<RegisterError> for SendError {
    fn from(e: RegisterError) -> Self {
        SendError::Register(e)
    }
}

impl From<StoreError> for SendError {
    fn from(e: StoreError) -> Self {
        SendError::Register(RegisterError::Store(e))
    }
}

fn refused(field: &str, message: impl Into<String>) -> SendError {
    SendError::Refused {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// The connection to `authority`, as configured: (URL, token).
pub async fn connection<S: AccountStore>(
    store: &S,
    authority: EnforcingAuthority,
) -> Result<Option<(String, String)>, StoreError> {
    let url = store.setting(&url_setting(authority)).await?;
    let token = store.setting(&token_setting(authority)).await?;
    Ok(url
        .zip(token)
        .filter(|(u, t)| !u.is_empty() && !t.is_empty()))
}

/// Who sends, from the settings: the organisation (its name and ODS
/// code) and the contact the authority answers to, as a body gives them.
async fn sender<S: AccountStore>(store: &S) -> Result<(Value, Value), SendError> {
    let organisation = store
        .setting(ORGANISATION_SETTING)
        .await?
        .filter(|o| !o.trim().is_empty())
        .ok_or_else(|| {
            refused(
                "organisation_name",
                "set the organisation's name in the settings first",
            )
        })?;
    let email = store
        .setting(CONTACT_EMAIL_SETTING)
        .await?
        .filter(|e| irmer_mail::is_email(e))
        .ok_or_else(|| {
            refused(
                "contact_email",
                "set the e-mail address the authority answers to first",
            )
        })?;
    let contact_name = store
        .setting(CONTACT_NAME_SETTING)
        .await?
        .filter(|n| !n.trim().is_empty());
    let code = store
        .setting(ORGANISATION_CODE_SETTING)
        .await?
        .filter(|c| !c.trim().is_empty());
    Ok((
        json!({"name": organisation, "code": code}),
        json!({"name": contact_name, "email": email}),
    ))
}

/// The incident's summary as sent: its title, else its description, else
/// what and when.
fn summary_of(rec: &IncidentRecord) -> String {
    rec.incident
        .title
        .clone()
        .or_else(|| rec.incident.description.clone())
        .unwrap_or_else(|| {
            format!(
                "{} incident discovered on {}",
                rec.incident.modality.label(),
                rec.incident.discovered
            )
        })
}

/// Each text through the incident's identifier scanner (what its identity
/// records, the hospital number masks, every other kind it knows): the
/// first found refuses the send, naming the field and the place.
async fn gate_texts<S: Store + AccountStore>(
    register: &Register<S>,
    rec: &IncidentRecord,
    texts: &[(String, String)],
) -> Result<(), SendError> {
    let scanner = register.scanner_for(&rec.reference, &[]).await?;
    for (field, text) in texts {
        if let Some(f) = scanner.scan(text).first() {
            return Err(refused(
                field,
                format!(
                    "{} at line {}, column {}: take it out before sending (nothing that identifies a person leaves)",
                    f.kind.describe(),
                    f.line,
                    f.column
                ),
            ));
        }
    }
    Ok(())
}

/// Refused, naming `authority`, unless it is connected.
async fn connected<S: AccountStore>(
    store: &S,
    authority: EnforcingAuthority,
) -> Result<(), SendError> {
    match connection(store, authority).await? {
        Some(_) => Ok(()),
        None => Err(refused(
            "authority",
            format!(
                "{} is not connected: set its address and the organisation's token first",
                authority.name()
            ),
        )),
    }
}

/// Queues a send: its id, or `AlreadySent` when one of its kind was
/// queued for the incident before.
async fn queue<S: SendStore>(store: &S, new: &NewSend) -> Result<i64, SendError> {
    match store.queue_send(new).await {
        Err(StoreError::Duplicate(_)) => Err(SendError::AlreadySent),
        other => Ok(other?),
    }
}

/// The notification's body, every text checked with the incident's
/// scanner.
async fn body<S: Store + AccountStore>(
    register: &Register<S>,
    rec: &IncidentRecord,
) -> Result<String, SendError> {
    let (organisation, contact) = sender(register.store()).await?;
    let summary = summary_of(rec);
    let facts = serde_json::to_value(&rec.incident).unwrap_or(Value::Null);
    let mut texts: Vec<(String, String)> = vec![("summary".into(), summary.clone())];
    for key in ["title", "description", "immediate_action"] {
        if let Some(t) = facts.get(key).and_then(Value::as_str) {
            texts.push((key.to_owned(), t.to_owned()));
        }
    }
    for (i, f) in rec.incident.contributing_factors.iter().enumerate() {
        texts.push((format!("contributing_factors[{i}]"), f.clone()));
    }
    gate_texts(register, rec, &texts).await?;
    let codes: Vec<String> = rec
        .assessment
        .codes
        .iter()
        .map(ToString::to_string)
        .collect();
    Ok(json!({
        "organisation": organisation,
        "contact": contact,
        "incident": facts,
        "summary": summary,
        "codes": codes,
    })
    .to_string())
}

/// Queues the notification of a notifiable (or voluntary) incident to
/// its authority; the send's id.
pub async fn queue_notification<S: Store + AccountStore + SendStore>(
    register: &Register<S>,
    reference: &str,
    actor: &str,
) -> Result<i64, SendError> {
    let rec = register.get(reference).await?;
    if !matches!(rec.outcome, Outcome::Notifiable | Outcome::Voluntary) {
        return Err(refused(
            "outcome",
            format!(
                "the incident is {}: only a notifiable incident (or a voluntary notification) is sent",
                rec.outcome.label().to_lowercase()
            ),
        ));
    }
    if rec.milestones.notified_on.is_some() {
        return Err(SendError::AlreadySent);
    }
    let authority = rec.assessment.authority.ok_or_else(|| {
        refused(
            "nation",
            "the incident's nation gives no enforcing authority",
        )
    })?;
    connected(register.store(), authority).await?;
    let body = body(register, &rec).await?;
    let new = NewSend {
        reference: rec.reference.clone(),
        kind: SendKind::Notification,
        authority: authority.id().to_owned(),
        idempotency_key: format!("{}-notification", rec.reference),
        body,
        actor: actor.to_owned(),
        at: register.now(),
    };
    queue(register.store(), &new).await
}

/// Whether the assessment names a missing ARSAC licence (a breach of
/// regulation 5), with or without an accidental or unintended exposure.
pub fn licensing_breach(rec: &IncidentRecord) -> bool {
    rec.assessment
        .other_reports
        .iter()
        .any(|r| r.to == irmer_core::assessment::OtherBody::Arsac)
}

/// Whose licence was missing, as the licensing breach form asks it.
fn holder_of(rec: &IncidentRecord) -> Option<&'static str> {
    let l = rec.incident.licence?;
    match (l.employer == Some(false), l.practitioner == Some(false)) {
        (true, true) => Some("both"),
        (true, false) => Some("employer"),
        (false, true) => Some("practitioner"),
        (false, false) => None,
    }
}

/// The site of the incident's department, if it names one.
pub async fn site_of<S: Store + AccountStore>(
    register: &Register<S>,
    rec: &IncidentRecord,
) -> Result<Option<String>, StoreError> {
    Ok(irmer_store::accounts::Places::load(register.store())
        .await?
        .site_of(rec.owner.department)
        .map(str::to_owned))
}

/// Queues the incident's licensing breach for its authority's licensing
/// breach form (in England, the CQC's; the ARSAC Support Unit is told
/// directly), `what` saying what was wrong (one of
/// [`irmer_core::licences::BREACH_KINDS`]): whose licence from the
/// incident, the site (the installation) as given, else its department's,
/// the substance administered,
/// whether the ARSAC task is done, and the summary through the identifier
/// gate; the send's id. Once per incident.
pub async fn queue_licence_breach<S: Store + AccountStore + SendStore>(
    register: &Register<S>,
    reference: &str,
    what: &str,
    site: Option<&str>,
    actor: &str,
) -> Result<i64, SendError> {
    use irmer_core::licences::BREACH_KINDS;
    use irmer_core::tasks::{TaskKind, TaskStatus};
    let rec = register.get(reference).await?;
    let holder = holder_of(&rec).filter(|_| licensing_breach(&rec)).ok_or_else(|| {
        refused(
            "licence",
            "the incident records no missing ARSAC licence: record whose licence was missing (the employer's or the practitioner's) on the incident first",
        )
    })?;
    if !BREACH_KINDS.iter().any(|(k, _)| *k == what) {
        return Err(refused(
            "kind",
            format!(
                "say what was wrong: one of {}",
                BREACH_KINDS
                    .iter()
                    .map(|(k, _)| *k)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let authority = EnforcingAuthority::for_nation(rec.incident.nation);
    connected(register.store(), authority).await?;
    let store = register.store();
    let given = site.map(str::trim).filter(|s| !s.is_empty());
    if given.is_some_and(|s| s.chars().count() > 200) {
        return Err(refused("site", "at most 200 characters"));
    }
    let site = match given {
        Some(s) => s.to_owned(),
        None => site_of(register, &rec).await?.ok_or_else(|| {
            refused(
                "site",
                "name the site (the installation the employer's licence is for): the incident's department names none",
            )
        })?,
    };
    let substance = rec
        .incident
        .radiopharmaceutical
        .as_ref()
        .map(|r| r.administered.clone())
        .ok_or_else(|| {
            refused(
                "radiopharmaceutical.administered",
                "the incident names no radioactive substance administered: add it to the incident's facts",
            )
        })?;
    let arsac_told = store
        .tasks(&irmer_store::tasks::TaskFilter {
            incident: Some(rec.reference.clone()),
            ..Default::default()
        })
        .await?
        .iter()
        .any(|t| t.row.kind == TaskKind::ReportArsac && t.row.status == TaskStatus::Done);
    let (organisation, contact) = sender(store).await?;
    let summary = summary_of(&rec);
    gate_texts(
        register,
        &rec,
        &[
            ("summary".into(), summary.clone()),
            ("site".into(), site.clone()),
            ("radiopharmaceutical.administered".into(), substance.clone()),
        ],
    )
    .await?;
    let body = json!({
        "organisation": organisation,
        "contact": contact,
        "breach": {
            "discovered": rec.incident.discovered.to_string(),
            "holder": holder,
            "kind": what,
            "site": site,
            "substance": substance,
            // The incident is about one individual.
            "patients": 1,
            "arsac_told": arsac_told,
        },
        "summary": summary,
    });
    let new = NewSend {
        reference: rec.reference.clone(),
        kind: SendKind::LicenceBreach,
        authority: authority.id().to_owned(),
        idempotency_key: format!("{}-licence-breach", rec.reference),
        body: body.to_string(),
        actor: actor.to_owned(),
        at: register.now(),
    };
    queue(store, &new).await
}

/// Queues the incident's final investigation report for the authority it
/// was notified to: the report as text through the identifier gate (an
/// identifier refuses it, naming the section; nothing is redacted on the
/// way: the employer takes it out first); the send's id.
pub async fn queue_report<S: Store + AccountStore + SendStore>(
    register: &Register<S>,
    reference: &str,
    actor: &str,
) -> Result<i64, SendError> {
    let rec = register.get(reference).await?;
    let theirs = rec.milestones.authority_reference.clone().ok_or_else(|| {
        refused(
            "authority_reference",
            "the authority's reference for the notification is not recorded: send the notification first",
        )
    })?;
    let authority = rec.assessment.authority.ok_or_else(|| {
        refused(
            "nation",
            "the incident's nation gives no enforcing authority",
        )
    })?;
    connected(register.store(), authority).await?;
    let version = register
        .reports(reference)
        .await?
        .into_iter()
        .last()
        .filter(|v| v.is_final)
        .ok_or_else(|| {
            refused(
                "report",
                "save a final version of the investigation report first",
            )
        })?;
    let similar: Vec<irmer_report::SimilarRow> = register
        .similar_rows(
            &version.document,
            irmer_store::accounts::Scope::Organisation,
        )
        .await?
        .iter()
        .map(irmer_report::SimilarRow::of)
        .collect();
    let (organisation, place) =
        irmer_store::accounts::report_origin(register.store(), rec.owner.department).await?;
    let origin = irmer_report::Origin {
        organisation,
        place,
    };
    let content = irmer_report::content(&rec, &version, &similar, &origin);
    let scanner = register.scanner_for(reference, &[]).await?;
    let cleared = irmer_report::gate(content, &scanner, false).map_err(|found| {
        let more = if found.len() > 1 {
            format!(" (and {} more)", found.len() - 1)
        } else {
            String::new()
        };
        match found.first() {
            Some(f) => refused(
                "report",
                format!(
                    "{} in {}, line {}, column {}{more}: take it out of the report before sending",
                    f.kind.describe(),
                    f.place,
                    f.line,
                    f.column
                ),
            ),
            None => refused("report", "the report could not be checked"),
        }
    })?;
    let new = NewSend {
        reference: rec.reference.clone(),
        kind: SendKind::Report,
        authority: authority.id().to_owned(),
        idempotency_key: format!("{}-report-{theirs}", rec.reference),
        body: irmer_report::text(&cleared, register.now()),
        actor: actor.to_owned(),
        at: register.now(),
    };
    queue(register.store(), &new).await
}

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Posted {
    pub sent: u32,
    pub deferred: u32,
    pub failed: u32,
}

/// An answer's reason, from its problem+json detail when it has one.
fn reason(status: u16, body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let detail = parsed
        .as_ref()
        .and_then(|v| v.get("detail"))
        .and_then(Value::as_str);
    let field = parsed
        .as_ref()
        .and_then(|v| v.get("field"))
        .and_then(Value::as_str);
    match (field, detail) {
        (Some(f), Some(d)) => format!("{status}: {f}: {d}"),
        (None, Some(d)) => format!("{status}: {d}"),
        _ => format!("{status}: {}", body.chars().take(200).collect::<String>()),
    }
}

/// The authority's reference a report send is for (kept in its
/// Idempotency-Key: `REF-report-THEIRS`).
fn report_for(send: &Sending) -> Option<&str> {
    send.idempotency_key
        .split_once("-report-")
        .map(|(_, theirs)| theirs)
        .filter(|t| !t.is_empty())
}

/// Posts one send; the attempt to record.
async fn post<S: AccountStore>(
    store: &S,
    http: &reqwest::Client,
    send: &Sending,
    clock: &(dyn Fn() -> OffsetDateTime + Sync),
) -> Result<SendAttempt, StoreError> {
    let retry = |error: String| SendAttempt::NotSent {
        retry_at: irmer_mail::backoff(send.attempts + 1).map(|w| clock() + w),
        error,
    };
    let Some(authority) = EnforcingAuthority::parse(&send.authority) else {
        return Ok(SendAttempt::NotSent {
            error: format!("unknown authority {:?}", send.authority),
            retry_at: None,
        });
    };
    let Some((url, token)) = connection(store, authority).await? else {
        return Ok(retry(format!(
            "{} is no longer connected",
            authority.name()
        )));
    };
    let base = url.trim_end_matches('/');
    let request = match send.kind {
        SendKind::Notification => http
            .post(format!("{base}/api/v1/notifications"))
            .header("Content-Type", "application/json"),
        SendKind::Report => {
            let Some(theirs) = report_for(send) else {
                return Ok(SendAttempt::NotSent {
                    error: "the authority's reference is not known".into(),
                    retry_at: None,
                });
            };
            http.post(format!("{base}/api/v1/notifications/{theirs}/report"))
                .header("Content-Type", "text/plain; charset=utf-8")
        }
        SendKind::LicenceBreach => http
            .post(format!("{base}/api/v1/licence-breaches"))
            .header("Content-Type", "application/json"),
    };
    let answer = request
        .bearer_auth(token)
        .header("Idempotency-Key", &send.idempotency_key)
        .body(send.body.clone())
        .timeout(TIMEOUT)
        .send()
        .await;
    let response = match answer {
        Err(e) => return Ok(retry(format!("could not reach {url}: {e}"))),
        Ok(r) => r,
    };
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    Ok(match status {
        200 | 201 => {
            let reference = serde_json::from_str::<Value>(&text).ok().and_then(|v| {
                v.get("reference")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
            match reference {
                Some(authority_reference) => SendAttempt::Sent {
                    at: clock(),
                    authority_reference,
                },
                None => retry(format!("{status}: the answer had no reference")),
            }
        }
        // Rate limited, timed out or the authority's own trouble: later.
        408 | 429 | 500..=599 => retry(reason(status, &text)),
        _ => SendAttempt::NotSent {
            error: reason(status, &text),
            retry_at: None,
        },
    })
}

/// Posts the sends due at `now`; on an answer, records the authority's
/// reference on the incident with the record-notification step (first,
/// so that a crash before the send is marked sent repeats the post, which
/// the Idempotency-Key makes harmless, and finds the step already taken).
pub async fn deliver_sends<S: Store + AccountStore + SendStore>(
    register: &Register<S>,
    http: &reqwest::Client,
    now: OffsetDateTime,
    actor: &str,
) -> Result<Posted, RegisterError> {
    let store = register.store();
    let clock = || register.now();
    let mut done = Posted::default();
    for send in store.due_sends(now, BATCH).await? {
        let attempt = post(store, http, &send, &clock).await?;
        if let SendAttempt::Sent {
            authority_reference,
            ..
        } = &attempt
        {
            match send.kind {
                SendKind::Notification => {
                    record_reference(register, &send.reference, authority_reference, actor).await?;
                }
                SendKind::Report => record_report_sent(register, &send.reference, actor).await?,
                SendKind::LicenceBreach => {
                    record_breach_sent(register, &send.reference, authority_reference, actor)
                        .await?;
                }
            }
        }
        match &attempt {
            SendAttempt::Sent { .. } => done.sent += 1,
            SendAttempt::NotSent {
                retry_at: Some(_), ..
            } => done.deferred += 1,
            SendAttempt::NotSent { retry_at: None, .. } => done.failed += 1,
        }
        store.record_send(send.id, &attempt).await?;
    }
    Ok(done)
}

/// The record-notification step with the authority's reference, unless
/// the incident has it already.
async fn record_reference<S: Store>(
    register: &Register<S>,
    reference: &str,
    authority_reference: &str,
    actor: &str,
) -> Result<(), RegisterError> {
    let rec = register.get(reference).await?;
    if rec.milestones.authority_reference.as_deref() == Some(authority_reference) {
        return Ok(());
    }
    let step = Transition::RecordNotification {
        date: register.today(),
        authority_reference: authority_reference.to_owned(),
    };
    let recorded = register
        .transition(
            reference,
            rec.version,
            &step,
            Some("Sent to the authority by irmer"),
            actor,
        )
        .await;
    sent_anyway(
        recorded,
        reference,
        &format!("the authority's reference {authority_reference} was not recorded as a step"),
    )
}

/// What was sent still counts when the register refuses to record it by
/// the incident's or task's state (recorded by hand meanwhile, or
/// closed): the send keeps the authority's reference; the refusal is
/// logged. Any other error is one.
fn sent_anyway<T>(
    recorded: Result<T, RegisterError>,
    reference: &str,
    what: &str,
) -> Result<(), RegisterError> {
    match recorded {
        Ok(_) => Ok(()),
        Err(RegisterError::Transition(e)) => {
            eprintln!("irmer: {reference}: {what}: {e}");
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// The record-report-sent step, unless the incident has it already.
async fn record_report_sent<S: Store>(
    register: &Register<S>,
    reference: &str,
    actor: &str,
) -> Result<(), RegisterError> {
    let rec = register.get(reference).await?;
    if rec.milestones.report_sent_on.is_some() {
        return Ok(());
    }
    let step = Transition::RecordReportSent {
        date: register.today(),
    };
    let recorded = register
        .transition(
            reference,
            rec.version,
            &step,
            Some("Sent to the authority by irmer"),
            actor,
        )
        .await;
    sent_anyway(
        recorded,
        reference,
        "the report was sent but not recorded as a step",
    )
}

/// The incident's task for the licensing breach form, done with the
/// authority's reference, when it is open (a task already done, or not
/// needed, is left as it is; the send keeps the reference either way).
async fn record_breach_sent<S: Store>(
    register: &Register<S>,
    reference: &str,
    authority_reference: &str,
    actor: &str,
) -> Result<(), RegisterError> {
    use irmer_core::tasks::{TaskKind, TaskStep};
    let tasks = register
        .store()
        .tasks(&irmer_store::tasks::TaskFilter {
            incident: Some(reference.to_owned()),
            open: true,
            ..Default::default()
        })
        .await?;
    let Some(task) = tasks
        .iter()
        .find(|t| t.row.kind == TaskKind::ReportLicenceBreach)
    else {
        return Ok(());
    };
    let step = TaskStep::Done {
        on: register.today(),
        reference: Some(authority_reference.to_owned()),
        note: Some("Sent to the authority's licensing breach form by irmer".into()),
    };
    sent_anyway(
        register.task_step(task.id, &step, actor).await,
        reference,
        &format!(
            "the licensing breach was sent ({authority_reference}) but its task was not marked done"
        ),
    )
}

/// The HTTP client the worker and the command line use.
pub fn http() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .user_agent(concat!("irmer/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
}

/// Runs [`deliver_sends`] every `every` (spawned by the employer's server).
pub async fn worker<S: Store + AccountStore + SendStore>(
    register: Register<S>,
    every: std::time::Duration,
) {
    let http = match http() {
        Ok(h) => h,
        Err(e) => {
            eprintln!("irmer: sends to the authority cannot start: {e}");
            return;
        }
    };
    loop {
        if let Err(e) = deliver_sends(&register, &http, register.now(), "irmer").await {
            eprintln!("irmer: sends to the authority: {e}");
        }
        tokio::time::sleep(every).await;
    }
}
