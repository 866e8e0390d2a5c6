//! Reminders by e-mail, each queued once in the outbox
//! ([`crate::mail::MailStore::queue_once`]) and sent by the mail worker:
//!
//! - a task's owners, when it falls due within [`TASK_SOON_DAYS`] and
//!   again when it is overdue: the user it is assigned to, or every user
//!   of its role whose scope holds the incident (an assignment or a new
//!   due date makes its reminders afresh);
//! - the administrators, when an ARSAC licence comes within 14 weeks of
//!   its expiry and again within 8 (a renewal takes 6 to 8 weeks), unless
//!   a later licence of the same holder, site and number renews it.
//!
//! Only users with an e-mail address who may sign in receive them. A
//! reminder names the incident's reference, the task's kind and dates, or
//! the licence's holder, site, number and expiry: never anything typed
//! about the patient. [`Register::remind`] is a sweep that may run as
//! often as wanted, on several servers at once: each reminder's key
//! (what, which stage, which date, to whom) is written with its mail.

use irmer_core::incident::CivilDate;
use irmer_core::licences::Licence;

use crate::accounts::{AccountStore, Role, User};
use crate::mail::{Mail, message_id};
use crate::register::{Register, RegisterError};
use crate::tasks::{DEFAULT_OWNER, TaskFilter, TaskRecord};
use crate::{Store, StoreError};

/// A task is due soon from this many days before its due date.
pub const TASK_SOON_DAYS: u16 = 3;

/// What a reminder is about, as its key and subject say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// A task due within [`TASK_SOON_DAYS`].
    DueSoon,
    /// A task past its due date.
    Overdue,
    /// A licence within 14 weeks of its expiry.
    Weeks14,
    /// A licence within 8 weeks of its expiry (or past it).
    Weeks8,
}

impl Stage {
    pub const fn as_str(self) -> &'static str {
        match self {
            Stage::DueSoon => "due-soon",
            Stage::Overdue => "overdue",
            Stage::Weeks14 => "14-weeks",
            Stage::Weeks8 => "8-weeks",
        }
    }
}

/// The stage a task's reminder is at `today`, if any.
pub fn task_stage(due: CivilDate, today: CivilDate) -> Option<Stage> {
    if due < today {
        Some(Stage::Overdue)
    } else if due <= today.plus_days(TASK_SOON_DAYS) {
        Some(Stage::DueSoon)
    } else {
        None
    }
}

/// The stage a licence's reminder is at `today`, if any (the later of
/// the two reminder dates passed).
pub fn licence_stage(expiry: CivilDate, today: CivilDate) -> Option<Stage> {
    let [at14, at8] = irmer_core::licences::reminders(expiry);
    if today >= at8 {
        Some(Stage::Weeks8)
    } else if today >= at14 {
        Some(Stage::Weeks14)
    } else {
        None
    }
}

/// Whether `user` owns `task`: assigned to them, or unassigned and owned
/// by their role.
pub fn owns(user: &User, task: &TaskRecord) -> bool {
    match task.row.owner_user {
        Some(id) => id == user.id,
        None => task.row.owner_role.unwrap_or(DEFAULT_OWNER) == user.role,
    }
}

/// Who receives reminders: a user who may sign in and has an address.
fn address(user: &User) -> Option<&str> {
    user.email
        .as_deref()
        .filter(|e| !user.disabled && crate::mail::is_email(e))
}

/// Where the mail's links point, and who it is from.
#[derive(Clone, Debug)]
pub struct Sender {
    /// `irmer@trust.nhs.uk`.
    pub from: String,
    /// The application's address as users reach it (`https://irmer.trust.nhs.uk`),
    /// for a link to the incident; none when not configured.
    pub base_url: Option<String>,
}

impl Sender {
    fn link(&self, path: &str) -> String {
        match &self.base_url {
            Some(base) => format!("\n\n{}{path}\n", base.trim_end_matches('/')),
            None => String::new(),
        }
    }
}

/// What one sweep queued.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub tasks: usize,
    pub licences: usize,
}

impl<S: Store + AccountStore> Register<S> {
    /// Queues every reminder due today and not queued before; how many.
    pub async fn remind(&self, sender: &Sender) -> Result<Swept, RegisterError> {
        let today = self.today();
        let now = self.now();
        let users = self.store().users().await?;
        let mut swept = Swept::default();
        for user in &users {
            let Some(to) = address(user) else { continue };
            if !user.may(crate::accounts::Action::Investigate) {
                continue;
            }
            let tasks = self
                .store()
                .tasks(&TaskFilter {
                    open: true,
                    scope: Some(user.scope()),
                    ..TaskFilter::default()
                })
                .await?;
            for task in tasks.iter().filter(|t| owns(user, t)) {
                let Some(stage) = task_stage(task.row.due, today) else {
                    continue;
                };
                let key = format!(
                    "task:{}:{}:{}:{}",
                    task.id,
                    stage.as_str(),
                    task.row.due,
                    user.id
                );
                let mail = task_mail(sender, to, task, stage)?;
                if self.store().queue_once(&key, &mail, now).await? {
                    swept.tasks += 1;
                }
            }
        }
        let admins: Vec<(&User, &str)> = users
            .iter()
            .filter(|u| u.role == Role::Administrator)
            .filter_map(|u| address(u).map(|a| (u, a)))
            .collect();
        if admins.is_empty() {
            return Ok(swept);
        }
        let (_, licences) = self.licences().await?;
        for licence in crate::licences::due_for_renewal(&licences, today) {
            let Some(stage) = licence_stage(licence.expiry, today) else {
                continue;
            };
            for (user, to) in &admins {
                let key = format!(
                    "licence:{}:{}:{}:{}",
                    licence.number,
                    licence.expiry,
                    stage.as_str(),
                    user.id
                );
                let mail = licence_mail(sender, to, licence, today)?;
                if self.store().queue_once(&key, &mail, now).await? {
                    swept.licences += 1;
                }
            }
        }
        Ok(swept)
    }
}

fn new_mail(sender: &Sender, to: &str, subject: String, body: String) -> Result<Mail, StoreError> {
    Ok(Mail {
        message_id: message_id(&sender.from).ok_or_else(|| {
            StoreError::Backend(format!("the sender {:?} has no domain", sender.from))
        })?,
        from: sender.from.clone(),
        to: to.to_owned(),
        subject,
        body,
    })
}

fn task_mail(
    sender: &Sender,
    to: &str,
    task: &TaskRecord,
    stage: Stage,
) -> Result<Mail, StoreError> {
    let kind = task.row.kind.label();
    let due = task.row.due.words();
    let (subject, opening) = match stage {
        Stage::Overdue => (
            format!("Overdue: {kind} for {} (due {due})", task.incident),
            format!(
                "This task of incident {} is overdue: it was due on {due}.",
                task.incident
            ),
        ),
        _ => (
            format!("Due soon: {kind} for {} (due {due})", task.incident),
            format!("This task of incident {} is due on {due}.", task.incident),
        ),
    };
    let body = format!(
        "{opening}\n\nTask: {kind}\n\nRecord it as done (with the other body's reference, if any), or as not needed with the reason, on the incident's page or with `irmer task done {}`.{}\nYou receive this as the task's owner. irmer sends each reminder once.\n",
        task.id,
        sender.link(&format!(
            "/incidents/{}#task-{}",
            url_path(&task.incident),
            task.id
        )),
    );
    new_mail(sender, to, subject, body)
}

fn licence_mail(
    sender: &Sender,
    to: &str,
    licence: &Licence,
    today: CivilDate,
) -> Result<Mail, StoreError> {
    let expiry = licence.expiry.words();
    let left = today.days_until(licence.expiry);
    let when = if left < 0 {
        format!("expired on {expiry}")
    } else {
        format!("expires on {expiry}, in {} weeks", left / 7)
    };
    let subject = format!("ARSAC licence {} {when}", licence.number);
    let body = format!(
        "The ARSAC licence {number}, held by {name} ({holder}) for {site}, {when}.\n\nA renewal takes 6 to 8 weeks: apply to ARSAC now if it is still needed, then record the new licence in irmer (Administration, ARSAC licences).{link}\nYou receive this as an administrator. irmer sends this reminder at 14 and at 8 weeks before expiry, each once.\n",
        number = licence.number,
        holder = licence.holder.as_str(),
        name = licence.name,
        site = licence.site,
        link = sender.link("/admin/licences"),
    );
    new_mail(sender, to, subject, body)
}

/// A reference as a URL path segment (letters, digits and `-_.~` kept).
fn url_path(reference: &str) -> String {
    reference
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
