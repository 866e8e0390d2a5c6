//! What an inspector does with a notification, as the guidance lists it:
//! "1. conduct initial risk triage 2. review the full report 3. progress
//! the notification by email correspondence or a site visit 4. signal
//! closure of the notification by email 5. categorise the incident for
//! internal reporting". Each [`Step`] is checked here (its text for
//! identifiers, its dates, whether the case's stage allows it) and becomes
//! one event of the case's append-only history, with its change and, for a
//! request, a chaser or the closure, its e-mail, in one transaction.
//!
//! Chasers: an e-mail to the contact 14 days before the report date and
//! one on the first day it is overdue (the day after the date), each sent
//! once ([`chaser_due`]); none once the report has come or the case is
//! closed.

use irmer_core::assessment::EnforcingAuthority;
use irmer_core::incident::CivilDate;
use irmer_store::StoreError;
use irmer_store::authority::{AuthorityStore, Notification, Series};
use irmer_store::case::{CaseChange, NewCaseEvent, Risk, Stage};
use irmer_store::mail::Mail;
use serde_json::json;
use time::OffsetDateTime;

/// The longest note, reason or message.
pub const NOTE_MAX: usize = 10_000;

/// A step on a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// The initial risk triage: a risk level and why, whether a site visit
    /// or an inspection is considered, the inspector assigned.
    Triage {
        risk: Risk,
        reason: String,
        visit_considered: bool,
        inspector: Option<(i64, String)>,
    },
    /// Ask the provider's contact for more details, by e-mail.
    RequestDetails { message: String },
    /// The provider's reply, as received.
    RecordReply {
        received_on: CivilDate,
        reply: String,
    },
    /// The report is reviewed.
    Review { note: String },
    /// Progress by e-mail correspondence (dated).
    Correspondence { on: CivilDate, note: String },
    /// Progress by a site visit (dated).
    SiteVisit { on: CivilDate, note: String },
    /// Closed provisionally: what is still owed.
    ProvisionallyClose { note: String },
    /// Closed: the closure e-mail to the provider's chief executive.
    Close {
        chief_executive: String,
        note: String,
    },
    /// Categorised for internal reporting: the sub-modality and the
    /// three-tier cause codes (tier-3 codes of the taxonomy).
    Categorise {
        sub_modality: String,
        causes: Vec<String>,
    },
}

impl Step {
    /// The event's kind in the history.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Triage { .. } => "triaged",
            Step::RequestDetails { .. } => "details-requested",
            Step::RecordReply { .. } => "reply-recorded",
            Step::Review { .. } => "reviewed",
            Step::Correspondence { .. } => "correspondence",
            Step::SiteVisit { .. } => "site-visit",
            Step::ProvisionallyClose { .. } => "provisionally-closed",
            Step::Close { .. } => "closed",
            Step::Categorise { .. } => "categorised",
        }
    }
}

/// The words for an event's kind, in the case's history.
pub fn kind_label(kind: &str) -> &str {
    match kind {
        "received" => "Notification received and acknowledged",
        "report-received" => "Investigation report received",
        "triaged" => "Triaged",
        "details-requested" => "More details requested",
        "reply-recorded" => "Reply recorded",
        "reviewed" => "Report reviewed",
        "correspondence" => "Correspondence",
        "site-visit" => "Site visit",
        "provisionally-closed" => "Provisionally closed",
        "closed" => "Closed",
        "categorised" => "Categorised",
        "chased" => "Report chased",
        other => other,
    }
}

/// Why a step was refused: the field (the form's name for it) and what
/// to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        field,
        message: message.into(),
    }
}

/// A free text: not blank, at most [`NOTE_MAX`] characters, no identifier.
pub fn check_text(field: &'static str, text: &str) -> Result<(), Refusal> {
    if text.trim().is_empty() {
        return Err(refuse(field, "Enter the text"));
    }
    if text.chars().count() > NOTE_MAX {
        return Err(refuse(field, format!("At most {NOTE_MAX} characters")));
    }
    irmer_store::register::check_free_text(field, text).map_err(|e| refuse(field, e.to_string()))
}

/// Whether the case may take `step` now; the stage it moves to.
pub fn next_stage(n: &Notification, step: &Step) -> Result<Stage, Refusal> {
    let stage = n.stage();
    if stage == Stage::Closed {
        return Err(refuse("step", "The notification is closed"));
    }
    let next = match step {
        Step::Triage { .. } if stage == Stage::Received => Stage::Triaged,
        Step::Review { .. } if n.report_received_at.is_none() && n.series == Series::Irmer => {
            return Err(refuse(
                "step",
                "The investigation report has not been received; a review needs it",
            ));
        }
        Step::Review { .. } | Step::ProvisionallyClose { .. } | Step::Close { .. }
            if stage == Stage::Received =>
        {
            return Err(refuse("step", "Triage the notification first"));
        }
        Step::Review { .. } => Stage::Reviewing,
        Step::ProvisionallyClose { .. } => Stage::ProvisionallyClosed,
        Step::Close { .. } => Stage::Closed,
        _ => stage,
    };
    Ok(next)
}

/// The step's own checks: texts, dates (not before the notification was
/// received, not after `today`), the chief executive's address, the
/// category against the taxonomy.
pub fn check(n: &Notification, step: &Step, today: CivilDate) -> Result<(), Refusal> {
    let received = irmer_core::lifecycle::uk_date(n.received_at);
    let dated = |field: &'static str, on: CivilDate| {
        if on < received {
            Err(refuse(
                field,
                format!(
                    "The date is before the notification was received ({})",
                    received.words()
                ),
            ))
        } else if on > today {
            Err(refuse(field, "The date is in the future"))
        } else {
            Ok(())
        }
    };
    match step {
        Step::Triage { reason, .. } => check_text("reason", reason),
        Step::RequestDetails { message } => check_text("message", message),
        Step::RecordReply { received_on, reply } => {
            dated("received_on", *received_on)?;
            check_text("reply", reply)
        }
        Step::Review { note } | Step::ProvisionallyClose { note } => check_text("note", note),
        Step::Correspondence { on, note } | Step::SiteVisit { on, note } => {
            dated("on", *on)?;
            check_text("note", note)
        }
        Step::Close {
            chief_executive,
            note,
        } => {
            if !irmer_mail::is_email(chief_executive) {
                return Err(refuse(
                    "chief_executive",
                    "Enter the chief executive's e-mail address, like name@trust.nhs.uk",
                ));
            }
            check_text("note", note)
        }
        Step::Categorise {
            sub_modality,
            causes,
        } => {
            if irmer_stats::taxonomy::SubModality::parse(sub_modality).is_none() {
                return Err(refuse("sub_modality", "Choose a sub-modality"));
            }
            if causes.is_empty() {
                return Err(refuse("causes", "Choose at least one cause"));
            }
            let taxonomy = irmer_stats::taxonomy::Taxonomy::shipped().unwrap_or_default();
            match causes.iter().find(|c| taxonomy.path(c).is_none()) {
                Some(c) => Err(refuse(
                    "causes",
                    format!("{c:?} is not a tier-3 cause of the taxonomy"),
                )),
                None => Ok(()),
            }
        }
    }
}

/// Where the authority's e-mail comes from, and who the staff member is.
#[derive(Clone, Copy, Debug)]
pub struct Actor<'a> {
    pub authority: EnforcingAuthority,
    pub mail_from: &'a str,
    pub user_id: Option<i64>,
    pub name: &'a str,
}

/// The e-mail a step sends, if any.
fn mail_of(n: &Notification, step: &Step, actor: &Actor<'_>) -> Result<Option<Mail>, String> {
    let name = actor.authority.name();
    let reference = &n.reference;
    let (to, subject, body) = match step {
        Step::RequestDetails { message } => (
            n.contact_email.clone(),
            format!("IR(ME)R notification {reference}: a request for more details"),
            format!(
                "The {name} is reviewing your IR(ME)R notification {reference} ({organisation}).\n\
                 \n\
                 {message}\n\
                 \n\
                 Please reply to this e-mail, quoting {reference}. Do not include anything that identifies a patient.\n",
                organisation = n.organisation_name,
            ),
        ),
        Step::Close {
            chief_executive,
            note,
        } => (
            chief_executive.clone(),
            format!("IR(ME)R notification {reference} is closed"),
            format!(
                "To the chief executive of {organisation}\n\
                 \n\
                 The {name} has closed IR(ME)R notification {reference}, of a significant accidental or unintended exposure discovered on {discovered}.\n\
                 \n\
                 {note}\n\
                 \n\
                 Please keep this e-mail with the investigation's records.\n",
                organisation = n.organisation_name,
                discovered = n.discovered.words(),
            ),
        ),
        _ => return Ok(None),
    };
    Ok(Some(Mail {
        message_id: irmer_mail::new_message_id(actor.mail_from).map_err(|e| e.to_string())?,
        from: actor.mail_from.to_owned(),
        to,
        subject,
        body,
    }))
}

/// The event's details: what the step decided or said.
fn details(step: &Step) -> serde_json::Value {
    match step {
        Step::Triage {
            risk,
            reason,
            visit_considered,
            inspector,
        } => json!({
            "risk": risk.as_str(),
            "reason": reason,
            "visit_considered": visit_considered,
            "inspector": inspector.as_ref().map(|(_, name)| name),
        }),
        Step::RequestDetails { message } => json!({ "message": message }),
        Step::RecordReply { received_on, reply } => {
            json!({ "received_on": received_on.to_string(), "reply": reply })
        }
        Step::Review { note } | Step::ProvisionallyClose { note } => json!({ "note": note }),
        Step::Correspondence { on, note } | Step::SiteVisit { on, note } => {
            json!({ "on": on.to_string(), "note": note })
        }
        Step::Close {
            chief_executive,
            note,
        } => json!({ "chief_executive": chief_executive, "note": note }),
        Step::Categorise {
            sub_modality,
            causes,
        } => json!({ "sub_modality": sub_modality, "causes": causes }),
    }
}

/// What [`take`] did.
#[derive(Debug)]
pub enum Taken {
    /// The event's id.
    Done(i64),
    Refused(Refusal),
}

/// Takes a step: checked, then the event, its change and its e-mail in
/// one transaction.
pub async fn take<S: AuthorityStore>(
    store: &S,
    n: &Notification,
    step: &Step,
    actor: &Actor<'_>,
    now: OffsetDateTime,
) -> Result<Taken, StoreError> {
    let today = irmer_core::lifecycle::uk_date(now);
    let stage = match next_stage(n, step).and_then(|s| check(n, step, today).map(|()| s)) {
        Ok(s) => s,
        Err(r) => return Ok(Taken::Refused(r)),
    };
    let mail = mail_of(n, step, actor).map_err(StoreError::Backend)?;
    let details = details(step).to_string();
    let causes;
    let change = CaseChange {
        stage: (stage != n.stage()).then_some(stage),
        risk: match step {
            Step::Triage { risk, .. } => Some(*risk),
            _ => None,
        },
        inspector: match step {
            Step::Triage { inspector, .. } => Some(inspector.as_ref().map(|(id, _)| *id)),
            _ => None,
        },
        category: match step {
            Step::Categorise {
                sub_modality,
                causes: c,
            } => {
                causes = c.join(" ");
                Some((sub_modality.as_str(), causes.as_str()))
            }
            _ => None,
        },
    };
    let event = NewCaseEvent {
        kind: step.kind(),
        at: now,
        actor_id: actor.user_id,
        actor: actor.name,
        details: &details,
        once: None,
    };
    let id = store
        .record_case(&n.reference, &event, &change, mail.as_ref())
        .await?;
    // No `once` key: an event is always written.
    Ok(Taken::Done(id.unwrap_or_default()))
}

/// Which chaser a case is due on `today`, if any: `overdue` from the day
/// after the report date, `due-soon` from 14 days before it; none once the
/// report has come, the case is closed, or it is a licensing breach.
pub fn chaser_due(n: &Notification, today: CivilDate) -> Option<&'static str> {
    // A licensing breach owes no report to the authority.
    if n.report_received_at.is_some() || n.stage() == Stage::Closed || n.series != Series::Irmer {
        return None;
    }
    let days_left = today.days_until(n.report_due);
    if days_left < 0 {
        Some("overdue")
    } else if days_left <= 14 {
        Some("due-soon")
    } else {
        None
    }
}

/// Sends what chasers are due: each case's at most once per kind (the
/// history's `once` key), queued with its event. The number queued.
pub async fn chase<S: AuthorityStore>(
    store: &S,
    authority: EnforcingAuthority,
    mail_from: &str,
    now: OffsetDateTime,
) -> Result<usize, StoreError> {
    let today = irmer_core::lifecycle::uk_date(now);
    let filter = irmer_store::case::CaseFilter {
        without_report: true,
        ..irmer_store::case::CaseFilter::open()
    };
    let mut sent = 0;
    let mut offset = 0;
    loop {
        let page = store.notifications(&filter, 500, offset).await?;
        if page.is_empty() {
            break;
        }
        offset += page.len() as u64;
        for n in &page {
            let Some(when) = chaser_due(n, today) else {
                continue;
            };
            let (subject, line) = if when == "overdue" {
                (
                    format!(
                        "IR(ME)R notification {}: your investigation report is overdue",
                        n.reference
                    ),
                    format!(
                        "Your investigation report was due by {}, 12 weeks from the discovery of the incident on {}, and we have not received it.",
                        n.report_due.words(),
                        n.discovered.words()
                    ),
                )
            } else {
                (
                    format!(
                        "IR(ME)R notification {}: your investigation report is due by {}",
                        n.reference,
                        n.report_due.words()
                    ),
                    format!(
                        "Your investigation report is due by {}, 12 weeks from the discovery of the incident on {}.",
                        n.report_due.words(),
                        n.discovered.words()
                    ),
                )
            };
            let mail = Mail {
                message_id: irmer_mail::new_message_id(mail_from)
                    .map_err(|e| StoreError::Backend(e.to_string()))?,
                from: mail_from.to_owned(),
                to: n.contact_email.clone(),
                subject,
                body: format!(
                    "IR(ME)R notification {reference} ({organisation}) to the {name}.\n\
                     \n\
                     {line}\n\
                     \n\
                     Send the report quoting {reference}, anonymised: nothing that identifies a patient.\n",
                    reference = n.reference,
                    organisation = n.organisation_name,
                    name = authority.name(),
                ),
            };
            let details =
                json!({ "when": when, "report_due": n.report_due.to_string() }).to_string();
            let once = format!("chase-{when}");
            let event = NewCaseEvent {
                kind: "chased",
                at: now,
                actor_id: None,
                actor: "irmer",
                details: &details,
                once: Some(&once),
            };
            if store
                .record_case(&n.reference, &event, &CaseChange::default(), Some(&mail))
                .await?
                .is_some()
            {
                sent += 1;
            }
        }
    }
    Ok(sent)
}
