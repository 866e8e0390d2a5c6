//! Accounts: users and their roles, the organisation's sites and
//! departments, sign-in sessions, API tokens, settings and the
//! administration audit log.
//!
//! [`AccountStore`] is what a backend keeps (rows only); [`Accounts`] is
//! the one way to use it: it hashes passwords (argon2id), counts failed
//! sign-ins and locks an account out, and issues session ids and API
//! tokens, of which only a SHA-256 digest is stored.
//!
//! Roles are referenced by their id (`reporter`, `investigator`, `adviser`,
//! `administrator`, `auditor`), never by a display name. What each may do is
//! [`Role::may`]; which incidents each may see is [`User::scope`].

use std::future::Future;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};

use crate::StoreError;

/// What a user may be: referenced by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Any member of staff: records incidents, sees their own reports and
    /// what became of them.
    Reporter,
    /// The IR(ME)R lead or quality team: reviews, edits, assesses, records
    /// the notification and report dates, closes.
    Investigator,
    /// A medical physics expert or radiation protection adviser: reads and
    /// comments.
    Adviser,
    /// Users, sites and departments, settings; and everything an
    /// investigator does (the first account of a new register is one).
    Administrator,
    /// Reads everything, changes nothing.
    Auditor,
}

/// What a user asks to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// See the incidents in the user's scope: every role.
    See,
    /// Record a new incident.
    Report,
    /// Add a comment to an incident in scope.
    Comment,
    /// Change facts, take lifecycle steps (notified, report sent, closed).
    Investigate,
    /// Users, sites, departments, settings.
    Administer,
    /// Read and change who an incident is about (the patient, the staff
    /// involved), kept apart from the facts.
    HandleIdentity,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Reporter,
        Role::Investigator,
        Role::Adviser,
        Role::Administrator,
        Role::Auditor,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Reporter => "reporter",
            Role::Investigator => "investigator",
            Role::Adviser => "adviser",
            Role::Administrator => "administrator",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// The name people read.
    pub const fn label(self) -> &'static str {
        match self {
            Role::Reporter => "Reporter",
            Role::Investigator => "Investigator",
            Role::Adviser => "Adviser (MPE or RPA)",
            Role::Administrator => "Administrator",
            Role::Auditor => "Auditor",
        }
    }

    /// The roles an enforcing authority's register gives its staff.
    pub const AT_AUTHORITY: [Role; 3] = [Role::Investigator, Role::Administrator, Role::Auditor];

    /// The role's name at an enforcing authority: an inspector handles
    /// cases, an authority administrator also manages staff accounts, an
    /// analyst reads.
    pub const fn label_at_authority(self) -> &'static str {
        match self {
            Role::Investigator => "Inspector",
            Role::Administrator => "Authority administrator",
            Role::Auditor => "Analyst (read-only)",
            Role::Reporter | Role::Adviser => "No role at an authority",
        }
    }

    /// Whether this role may do `action` (on an incident in its scope).
    pub const fn may(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Reporter => matches!(action, See | Report),
            Role::Investigator => {
                matches!(
                    action,
                    See | Report | Comment | Investigate | HandleIdentity
                )
            }
            Role::Adviser => matches!(action, See | Report | Comment),
            Role::Administrator => true,
            Role::Auditor => matches!(action, See),
        }
    }
}

/// Which incidents a user sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every incident of the organisation.
    Organisation,
    /// The incidents of one department, and those the user reported.
    Department { department: i64, user: i64 },
    /// Only the incidents the user reported.
    OwnReports { user: i64 },
}

impl Scope {
    /// Whether an incident with this owner is in scope.
    pub fn covers(self, owner: &crate::Owner) -> bool {
        match self {
            Scope::Organisation => true,
            Scope::Department { department, user } => {
                owner.department == Some(department) || owner.reported_by == Some(user)
            }
            Scope::OwnReports { user } => owner.reported_by == Some(user),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Site {
    pub id: i64,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Department {
    pub id: i64,
    pub site_id: i64,
    pub name: String,
}

/// The organisation's sites and departments, to name where an incident
/// or a user belongs.
#[derive(Clone, Debug, Default)]
pub struct Places {
    pub sites: Vec<Site>,
    pub departments: Vec<Department>,
}

/// The setting that holds the organisation's name (shown on reports).
pub const ORGANISATION_SETTING: &str = "organisation_name";

impl Places {
    pub async fn load<A: AccountStore>(store: &A) -> Result<Self, StoreError> {
        Ok(Places {
            sites: store.sites().await?,
            departments: store.departments().await?,
        })
    }

    /// The site a department belongs to, by name.
    pub fn site_of(&self, department: Option<i64>) -> Option<&str> {
        let d = self.departments.iter().find(|d| Some(d.id) == department)?;
        self.sites
            .iter()
            .find(|s| s.id == d.site_id)
            .map(|s| s.name.as_str())
    }

    /// The department's name for people: `Radiology (North site)`, or
    /// "Whole organisation" for none.
    pub fn department(&self, id: Option<i64>) -> String {
        self.name(id)
            .unwrap_or_else(|| "Whole organisation".to_owned())
    }

    /// `Radiology (North site)`; `None` for no department (the whole
    /// organisation); `department 7` for one no longer listed.
    pub fn name(&self, id: Option<i64>) -> Option<String> {
        let id = id?;
        Some(
            self.departments
                .iter()
                .find(|d| d.id == id)
                .map_or(format!("department {id}"), |d| {
                    let site = self
                        .sites
                        .iter()
                        .find(|s| s.id == d.site_id)
                        .map_or("", |s| s.name.as_str());
                    format!("{} ({site})", d.name)
                }),
        )
    }
}

impl Places {
    /// Each department's site and its name for people, as the statistics
    /// group them (a department's name alone may repeat across sites).
    pub fn for_statistics(&self) -> irmer_stats::tally::Places {
        self.departments
            .iter()
            .map(|d| {
                let site = self
                    .sites
                    .iter()
                    .find(|s| s.id == d.site_id)
                    .map_or_else(|| format!("site {}", d.site_id), |s| s.name.clone());
                (d.id, (site, self.department(Some(d.id))))
            })
            .collect()
    }
}

/// Where a report comes from: the organisation's name (its setting) and
/// the department's place (`Radiology (North site)`), either unknown.
pub async fn report_origin<A: AccountStore>(
    store: &A,
    department: Option<i64>,
) -> Result<(Option<String>, Option<String>), StoreError> {
    let organisation = store
        .setting(ORGANISATION_SETTING)
        .await?
        .filter(|n| !n.trim().is_empty());
    let place = Places::load(store).await?.name(department);
    Ok((organisation, place))
}

/// A user as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    /// The sign-in name: unique, never changed (the history names it).
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// `None`: the whole organisation.
    pub department_id: Option<i64>,
    /// argon2id PHC string; `None`: cannot sign in with a password.
    pub password_hash: Option<String>,
    /// A one-time password was issued: change it before anything else.
    pub must_change_password: bool,
    pub disabled: bool,
    pub created_at: OffsetDateTime,
    /// Where reminders are sent ([`crate::reminders`]); `None`: none are.
    pub email: Option<String>,
}

impl User {
    pub fn scope(&self) -> Scope {
        match (self.role, self.department_id) {
            (Role::Reporter, _) => Scope::OwnReports { user: self.id },
            (Role::Administrator | Role::Auditor, _) | (_, None) => Scope::Organisation,
            (_, Some(department)) => Scope::Department {
                department,
                user: self.id,
            },
        }
    }

    pub fn may(&self, action: Action) -> bool {
        self.role.may(action)
    }
}

/// A user to create.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department_id: Option<i64>,
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    pub email: Option<String>,
}

/// A user to add ([`Accounts::add_user`]) as an administrator typed them.
#[derive(Clone, Copy, Debug)]
pub struct Newcomer<'a> {
    pub username: &'a str,
    /// Blank: the username.
    pub display_name: &'a str,
    pub role: Role,
    pub department_id: Option<i64>,
    /// Blank: none ([`check_email`]).
    pub email: &'a str,
}

/// A sign-in session as stored: the digest of its id, never the id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    pub id_digest: String,
    pub user_id: i64,
    /// The token every form of this session must send back.
    pub csrf: String,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// An API token as stored: the digest of the token, never the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenRow {
    pub id: i64,
    #[serde(skip)]
    pub digest: String,
    pub user_id: i64,
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub revoked: bool,
}

/// One entry of the administration audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// A saved, unsubmitted report form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    pub id: i64,
    pub user_id: i64,
    /// The form's fields as `application/x-www-form-urlencoded`.
    pub form: String,
    pub updated_at: OffsetDateTime,
}

/// What a backend keeps for accounts. Every method is one transaction.
pub trait AccountStore: Clone + Send + Sync + 'static {
    fn count_users(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// `Duplicate` when the username is taken.
    fn create_user(&self, new: &NewUser) -> impl Future<Output = Result<User, StoreError>> + Send;
    fn user_by_name(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;
    fn user(&self, id: i64) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;
    /// Every user, by username.
    fn users(&self) -> impl Future<Output = Result<Vec<User>, StoreError>> + Send;
    /// Writes every field but `id`, `username` and `created_at`.
    fn update_user(&self, user: &User) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn create_session(
        &self,
        session: &SessionRow,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn session(
        &self,
        id_digest: &str,
    ) -> impl Future<Output = Result<Option<(SessionRow, User)>, StoreError>> + Send;
    fn delete_session(
        &self,
        id_digest: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Ends every session of a user (after a password change or lock).
    fn delete_sessions_of(
        &self,
        user_id: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Returns the new token's id.
    fn create_token(
        &self,
        token: &TokenRow,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
    /// The user a token belongs to, unless the token was revoked (one
    /// read: it runs on every API request).
    fn token_holder(
        &self,
        digest: &str,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// The tokens of one user, or of everyone; live and revoked, newest
    /// first (never the tokens themselves: only their digests are kept).
    fn tokens(
        &self,
        user_id: Option<i64>,
    ) -> impl Future<Output = Result<Vec<TokenRow>, StoreError>> + Send;
    /// Revokes a token; false when there is no live token with that id.
    fn revoke_token(&self, id: i64) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn sites(&self) -> impl Future<Output = Result<Vec<Site>, StoreError>> + Send;
    fn create_site(&self, name: &str) -> impl Future<Output = Result<Site, StoreError>> + Send;
    fn departments(&self) -> impl Future<Output = Result<Vec<Department>, StoreError>> + Send;
    fn create_department(
        &self,
        site_id: i64,
        name: &str,
    ) -> impl Future<Output = Result<Department, StoreError>> + Send;

    fn setting(&self, key: &str)
    -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
    fn set_setting(
        &self,
        key: &str,
        value: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn audit(&self, entry: &AuditEntry) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The newest entries first.
    fn audit_log(
        &self,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<AuditEntry>, StoreError>> + Send;

    /// Counts one password attempt for `username` from `address`, before
    /// the password is checked, in one transaction with a row lock: reads
    /// the counters of that address and of every address (`*`), hands both
    /// to `decide`, writes back the counters it returns and returns all it
    /// returned. Rows untouched for two days are purged in the same
    /// transaction.
    fn count_attempt(
        &self,
        username: &str,
        address: &str,
        now: OffsetDateTime,
        decide: Decide,
    ) -> impl Future<Output = Result<Decided, StoreError>> + Send;
    /// After a right password: the counters of that address and of every
    /// address start again.
    fn clear_attempts(
        &self,
        username: &str,
        address: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// An administrator's unlock: every counter of `username`. Returns how
    /// many locks were live.
    fn unlock(
        &self,
        username: &str,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
    /// The live locks: username, address (`*` for every address) and until.
    fn locks(
        &self,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Vec<Lock>, StoreError>> + Send;

    /// Saves a draft (a new one when `id` is `None`); returns its id.
    fn save_draft(
        &self,
        user_id: i64,
        id: Option<i64>,
        form: &str,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;
    /// A user's drafts, newest first.
    fn drafts(&self, user_id: i64) -> impl Future<Output = Result<Vec<Draft>, StoreError>> + Send;
    fn delete_draft(
        &self,
        user_id: i64,
        id: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Consecutive failed passwords for one username from one client address
/// that lock that address out of that username.
pub const LOCK_AFTER: u32 = 5;
/// How long the first such lock lasts; each further one (without a right
/// password between) lasts twice as long, up to [`LOCK_AT_MOST`].
pub const LOCK_FOR: Duration = Duration::minutes(15);
/// The longest lock of one address.
pub const LOCK_AT_MOST: Duration = Duration::hours(24);
/// Failed passwords for one username from every address together that
/// lock the username for everyone for [`LOCK_ALL_FOR`] (OWASP ASVS 2.2.1:
/// at most 100 failed attempts an hour on one account).
pub const LOCK_ALL_AFTER: u32 = 100;
/// How long the lock for every address lasts.
pub const LOCK_ALL_FOR: Duration = Duration::hours(1);
/// The address key of the counters of every address together.
pub const EVERY_ADDRESS: &str = "*";

/// The failed-password counters of one username from one address (or from
/// every address).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Throttle {
    /// Failures since the last lock or right password.
    pub failures: u32,
    /// Locks since the last right password (the next lock is longer).
    pub locks: u32,
    pub locked_until: Option<OffsetDateTime>,
}

/// The rule a backend applies inside its transaction: from the counters of
/// the address and of every address, the counters to write and, when the
/// attempt is refused without checking the password, the end of the lock.
pub type Decide = fn(Throttle, Throttle, OffsetDateTime) -> Decided;

/// What [`Decide`] returns: the counters to write for the address and for
/// every address, and `Some(end of the lock)` when the attempt is refused
/// without checking the password.
pub type Decided = (Throttle, Throttle, Option<OffsetDateTime>);

/// A live lock, for the administration page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lock {
    pub username: String,
    /// A client address, or [`EVERY_ADDRESS`].
    pub address: String,
    pub until: OffsetDateTime,
}

/// The lock-out rule (see the README's security section): an attempt while
/// either counter is locked is refused unchecked; otherwise it counts as a
/// failure until the password is found right (then both are cleared), and
/// the attempt that reaches a limit sets the lock but is still checked.
/// So at most [`LOCK_AFTER`] passwords are checked for one username from
/// one address per lock, however many are sent at once.
pub fn decide_attempt(address: Throttle, every: Throttle, now: OffsetDateTime) -> Decided {
    let live = |t: &Throttle| t.locked_until.filter(|u| *u > now);
    if let Some(until) = live(&address).max(live(&every)) {
        return (address, every, Some(until));
    }
    let count = |t: Throttle, after: u32, lock_for: Duration| {
        let failures = t.failures.saturating_add(1);
        if failures < after {
            return Throttle { failures, ..t };
        }
        Throttle {
            failures: 0,
            locks: t.locks.saturating_add(1),
            locked_until: Some(now + lock_for),
        }
    };
    let doubled = LOCK_FOR * 2_i32.saturating_pow(address.locks.min(16));
    (
        count(address, LOCK_AFTER, doubled.min(LOCK_AT_MOST)),
        count(every, LOCK_ALL_AFTER, LOCK_ALL_FOR),
        None,
    )
}
/// How a calendar feed's token begins (an API token begins `irmer_`).
pub const CALENDAR_PREFIX: &str = "irmercal_";

/// The name a calendar feed's token is listed under.
pub const CALENDAR_TOKEN_NAME: &str = "Calendar feed (deadlines)";

/// How long a session lasts without signing in again.
pub const SESSION_FOR: Duration = Duration::hours(12);
/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 12;

/// Why an account operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Unknown user, wrong password or disabled account: one message, so
    /// that a stranger cannot tell which.
    #[error("the username or password is not right")]
    BadCredentials,
    /// Too many failed passwords for this username from this address (or
    /// from everywhere): said the same whether the username exists or not.
    #[error(
        "too many failed sign-ins for this username: try again after {0} (UTC), or ask an administrator to unlock it"
    )]
    Locked(String),
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> AccountError {
    AccountError::Invalid {
        field,
        message: message.into(),
    }
}

/// A user's e-mail address as typed: none when blank, else an address
/// mail can be sent to ([`crate::mail::is_email`]).
pub fn check_email(text: &str) -> Result<Option<String>, AccountError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if !crate::mail::is_email(text) {
        return Err(invalid(
            "email",
            "expected an e-mail address, such as j.smith@trust.nhs.uk",
        ));
    }
    Ok(Some(text.to_owned()))
}

/// A new random secret: 32 bytes from the operating system, as hex.
pub fn secret() -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| StoreError::Backend(format!("no randomness from the system: {e}")))?;
    Ok(hex::encode(bytes))
}

/// The SHA-256 digest, as hex, of a session id or token: what is stored.
pub fn digest(secret: &str) -> String {
    digest_bytes(secret.as_bytes())
}

/// The SHA-256 digest of any bytes, as hex.
pub fn digest_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Compares two secrets in constant time.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The argon2id hash of a password, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| StoreError::Backend(format!("no randomness from the system: {e}")))?;
    let salt = SaltString::encode_b64(&bytes)
        .map_err(|e| AccountError::Store(StoreError::Backend(format!("salt: {e}"))))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Store(StoreError::Backend(format!("hashing: {e}"))))
}

fn password_matches(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A password a person chose: long enough, not the username.
pub fn check_new_password(username: &str, password: &str) -> Result<(), AccountError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(invalid(
            "password",
            format!(
                "use at least {MIN_PASSWORD} characters (a few words together are easy to remember)"
            ),
        ));
    }
    if password.eq_ignore_ascii_case(username) {
        return Err(invalid("password", "must not be the username"));
    }
    Ok(())
}

/// A one-time password for a new account: 20 characters without look-alikes.
pub fn one_time_password() -> Result<String, StoreError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| StoreError::Backend(format!("no randomness from the system: {e}")))?;
    // 256 is not a multiple of 54: the slight bias is irrelevant for a
    // password that must be changed at first sign-in.
    Ok(bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect())
}

/// A new session: the id for the cookie (only its digest is stored) and
/// the row.
pub struct NewSession {
    pub id: String,
    pub row: SessionRow,
}

/// A valid usernames: 2 to 64 of a-z, 0-9, `.`, `-`, `_`.
pub fn check_username(name: &str) -> Result<(), AccountError> {
    let ok = (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "username",
            format!(
                "expected 2 to 64 lower-case letters, digits, dots, hyphens or underscores, found {name:?}"
            ),
        ))
    }
}

/// The accounts service over a backend.
///
/// Password hashing (argon2id, about 19 MiB and tens of milliseconds each)
/// runs on the blocking thread pool, never on the threads that answer
/// requests, and at most [`Accounts::HASHING_AT_ONCE`] at a time.
#[derive(Clone)]
pub struct Accounts<A> {
    store: A,
    hashing: std::sync::Arc<tokio::sync::Semaphore>,
    checked: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<A: AccountStore> Accounts<A> {
    /// Hashes at once: one core is left for everything else.
    pub fn hashing_at_once() -> usize {
        std::thread::available_parallelism()
            .map(|n| n.get().saturating_sub(1))
            .unwrap_or(1)
            .max(1)
    }

    pub fn new(store: A) -> Self {
        Accounts {
            store,
            hashing: std::sync::Arc::new(tokio::sync::Semaphore::new(Self::hashing_at_once())),
            checked: std::sync::Arc::default(),
        }
    }

    /// How many passwords this service has checked against a hash (the
    /// dummy hash included): what the lock-out bounds.
    pub fn passwords_checked(&self) -> u64 {
        self.checked.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs argon2 work on the blocking pool, at most
    /// [`Accounts::hashing_at_once`] at a time.
    async fn on_hashing_pool<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, StoreError> {
        let _permit = self
            .hashing
            .acquire()
            .await
            .map_err(|e| StoreError::Backend(format!("password hashing: {e}")))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| StoreError::Backend(format!("password hashing: {e}")))
    }

    /// The argon2id hash of a new password, off the request threads.
    pub async fn hash(&self, password: &str) -> Result<String, AccountError> {
        let password = password.to_owned();
        self.on_hashing_pool(move || hash_password(&password))
            .await?
    }

    /// Checks a password against a hash (the dummy hash when there is none,
    /// so that every failure costs the same), off the request threads.
    async fn verify(&self, hash: Option<&str>, password: &str) -> Result<bool, StoreError> {
        let real = hash.is_some();
        let hash = hash.unwrap_or_else(|| dummy_hash()).to_owned();
        let password = password.to_owned();
        self.checked
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let matches = self
            .on_hashing_pool(move || password_matches(&hash, &password))
            .await?;
        Ok(real && matches)
    }

    /// Counts an attempt for `username` from `address` before any password
    /// is checked: `Err(Locked)` when it is refused unchecked, else the end
    /// of the lock this attempt set, if it set one (said when it fails).
    async fn count_attempt(
        &self,
        username: &str,
        address: &str,
        now: OffsetDateTime,
    ) -> Result<Option<OffsetDateTime>, AccountError> {
        let (address_row, every_row, refused) = self
            .store
            .count_attempt(username, address, now, decide_attempt)
            .await?;
        if let Some(until) = refused {
            return Err(AccountError::Locked(minute(until)));
        }
        // Only a lock this attempt set can be live here: a live one refuses.
        let set = |t: Throttle| t.locked_until.filter(|u| *u > now);
        for (lock, from) in [
            (set(address_row), format!("from {address}")),
            (set(every_row), "from every address".to_owned()),
        ] {
            if let Some(until) = lock {
                self.audit(
                    now,
                    username,
                    "locked-out",
                    &format!("too many failed passwords {from}, until {}", minute(until)),
                )
                .await?;
            }
        }
        Ok(set(address_row).max(set(every_row)))
    }

    /// An administrator lifts every lock of a username (audited); returns
    /// how many were live.
    pub async fn unlock(
        &self,
        actor: &str,
        username: &str,
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let n = self.store.unlock(username, now).await?;
        self.audit(
            now,
            actor,
            "unlock",
            &format!("{username} ({n} live locks)"),
        )
        .await?;
        Ok(n)
    }

    pub fn store(&self) -> &A {
        &self.store
    }

    /// On a register without users: creates `admin` with a one-time
    /// password and returns it (to print once). `None` when users exist.
    pub async fn first_administrator(
        &self,
        now: OffsetDateTime,
    ) -> Result<Option<(String, String)>, AccountError> {
        if self.store.count_users().await? > 0 {
            return Ok(None);
        }
        let password = one_time_password()?;
        let user = self
            .store
            .create_user(&NewUser {
                username: "admin".into(),
                display_name: "Administrator".into(),
                role: Role::Administrator,
                department_id: None,
                password_hash: Some(self.hash(&password).await?),
                must_change_password: true,
                email: None,
            })
            .await?;
        self.audit(
            now,
            "irmer",
            "create-user",
            &format!("{} as administrator (first start)", user.username),
        )
        .await?;
        Ok(Some((user.username, password)))
    }

    /// Adds a user with a one-time password (returned, to hand over once).
    pub async fn add_user(
        &self,
        actor: &str,
        now: OffsetDateTime,
        who: Newcomer<'_>,
    ) -> Result<(User, String), AccountError> {
        let Newcomer {
            username,
            display_name,
            role,
            department_id,
            email,
        } = who;
        check_username(username)?;
        let email = check_email(email)?;
        if let Some(d) = department_id {
            if !self.store.departments().await?.iter().any(|x| x.id == d) {
                return Err(invalid("department", format!("no department with id {d}")));
            }
        }
        let password = one_time_password()?;
        let display = display_name.trim();
        let user = self
            .store
            .create_user(&NewUser {
                username: username.to_owned(),
                display_name: if display.is_empty() {
                    username
                } else {
                    display
                }
                .to_owned(),
                role,
                department_id,
                password_hash: Some(self.hash(&password).await?),
                must_change_password: true,
                email,
            })
            .await
            .map_err(|e| match e {
                StoreError::Duplicate(_) => invalid("username", format!("{username:?} is taken")),
                e => e.into(),
            })?;
        self.audit(
            now,
            actor,
            "create-user",
            &format!("{} as {}", user.username, role.as_str()),
        )
        .await?;
        Ok((user, password))
    }

    /// Gives `user` a new one-time password (returned, to hand over once):
    /// they must choose their own at the next sign-in, every lock of the
    /// username is lifted, and their sessions end and their API tokens are
    /// revoked (a reset follows a suspected compromise). Saves the user.
    pub async fn reset_password(
        &self,
        user: &mut User,
        now: OffsetDateTime,
    ) -> Result<String, AccountError> {
        let password = one_time_password()?;
        user.password_hash = Some(self.hash(&password).await?);
        user.must_change_password = true;
        self.store.update_user(user).await?;
        self.store.unlock(&user.username, now).await?;
        self.store.delete_sessions_of(user.id).await?;
        for token in self.store.tokens(Some(user.id)).await? {
            if !token.revoked {
                self.store.revoke_token(token.id).await?;
            }
        }
        Ok(password)
    }

    /// Checks a password from a client `address`. Every failure looks and
    /// costs the same (an unknown or disabled username is checked against a
    /// dummy hash, and counted and locked like any other); the attempt is
    /// counted before the password is checked ([`decide_attempt`]).
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        address: &str,
        now: OffsetDateTime,
    ) -> Result<(User, NewSession), AccountError> {
        let name = throttle_key(username);
        let locks_at = self.count_attempt(&name, address, now).await?;
        let user = self
            .store
            .user_by_name(&name)
            .await?
            .filter(|u| !u.disabled);
        let hash = user.as_ref().and_then(|u| u.password_hash.as_deref());
        let ok = self.verify(hash, password).await?;
        let Some(user) = user.filter(|_| ok) else {
            // The attempt that reached the limit says so.
            return Err(match locks_at {
                Some(until) => AccountError::Locked(minute(until)),
                None => AccountError::BadCredentials,
            });
        };
        self.store.clear_attempts(&name, address).await?;
        let session = self.new_session(user.id, now).await?;
        Ok((user, session))
    }

    async fn new_session(
        &self,
        user_id: i64,
        now: OffsetDateTime,
    ) -> Result<NewSession, StoreError> {
        let id = secret()?;
        let row = SessionRow {
            id_digest: digest(&id),
            user_id,
            csrf: secret()?,
            created_at: now,
            expires_at: now + SESSION_FOR,
        };
        self.store.create_session(&row).await?;
        Ok(NewSession { id, row })
    }

    /// The session and its user, if the session is live and the user may
    /// still sign in.
    pub async fn session(
        &self,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<Option<(SessionRow, User)>, StoreError> {
        let d = digest(id);
        let Some((session, user)) = self.store.session(&d).await? else {
            return Ok(None);
        };
        if session.expires_at <= now {
            self.store.delete_session(&d).await?;
            return Ok(None);
        }
        Ok((!user.disabled).then_some((session, user)))
    }

    pub async fn sign_out(&self, id: &str) -> Result<(), StoreError> {
        self.store.delete_session(&digest(id)).await
    }

    /// Changes a password after checking the current one; ends every other
    /// session and returns a new one.
    ///
    /// The current password is counted and locked like a sign-in from the
    /// same address.
    pub async fn change_password(
        &self,
        user: &User,
        current: &str,
        new: &str,
        address: &str,
        now: OffsetDateTime,
    ) -> Result<NewSession, AccountError> {
        match self.count_attempt(&user.username, address, now).await {
            Err(AccountError::Locked(until)) => {
                return Err(invalid(
                    "current_password",
                    format!("too many wrong passwords: try again after {until} (UTC)"),
                ));
            }
            other => {
                other?;
            }
        }
        if !self.verify(user.password_hash.as_deref(), current).await? {
            return Err(invalid(
                "current_password",
                "this is not your current password",
            ));
        }
        self.store.clear_attempts(&user.username, address).await?;
        check_new_password(&user.username, new)?;
        if new == current {
            return Err(invalid(
                "new_password",
                "choose a password other than the current one",
            ));
        }
        let mut changed = user.clone();
        changed.password_hash = Some(self.hash(new).await?);
        changed.must_change_password = false;
        self.store.update_user(&changed).await?;
        self.store.delete_sessions_of(user.id).await?;
        self.audit(now, &user.username, "change-password", "")
            .await?;
        Ok(self.new_session(user.id, now).await?)
    }

    /// A new API token for a user: the token, shown once.
    pub async fn create_token(
        &self,
        actor: &str,
        user: &User,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<String, AccountError> {
        let token = format!("irmer_{}", secret()?);
        self.keep_token(user, &token, name.trim(), now).await?;
        self.audit(
            now,
            actor,
            "create-token",
            &format!("for {} ({})", user.username, name.trim()),
        )
        .await?;
        Ok(token)
    }

    /// Revokes a token (audited); false when it was already revoked.
    pub async fn revoke_token(
        &self,
        actor: &str,
        token: &TokenRow,
        now: OffsetDateTime,
    ) -> Result<bool, AccountError> {
        if !self.store.revoke_token(token.id).await? {
            return Ok(false);
        }
        let holder = match self.store.user(token.user_id).await? {
            Some(u) => u.username,
            None => format!("user {}", token.user_id),
        };
        self.audit(
            now,
            actor,
            "revoke-token",
            &format!("of {holder} ({}, id {})", token.name, token.id),
        )
        .await?;
        Ok(true)
    }

    /// The user a bearer token stands for, if the token is live.
    /// The holder of an API token (never of a calendar feed's).
    pub async fn token_user(&self, token: &str) -> Result<Option<User>, StoreError> {
        if token.starts_with(CALENDAR_PREFIX) {
            return Ok(None);
        }
        self.holder(token).await
    }

    async fn holder(&self, token: &str) -> Result<Option<User>, StoreError> {
        Ok(self
            .store
            .token_holder(&digest(token))
            .await?
            .filter(|u| !u.disabled))
    }

    /// A secret address for the user's deadlines as a calendar feed: a
    /// token that opens that feed and nothing else (the API refuses it),
    /// listed and revoked with the user's API tokens.
    pub async fn create_calendar_token(
        &self,
        user: &User,
        now: OffsetDateTime,
    ) -> Result<String, AccountError> {
        let token = format!("{CALENDAR_PREFIX}{}", secret()?);
        self.keep_token(user, &token, CALENDAR_TOKEN_NAME, now)
            .await?;
        self.audit(
            now,
            &user.username,
            "create-calendar-token",
            &format!("for {}", user.username),
        )
        .await?;
        Ok(token)
    }

    /// Keeps a new token's digest (never the token) for its user.
    async fn keep_token(
        &self,
        user: &User,
        token: &str,
        name: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.store
            .create_token(&TokenRow {
                id: 0,
                digest: digest(token),
                user_id: user.id,
                name: name.to_owned(),
                created_at: now,
                revoked: false,
            })
            .await
            .map(|_| ())
    }

    /// The holder of a calendar feed's token (never of an API token).
    pub async fn calendar_user(&self, token: &str) -> Result<Option<User>, StoreError> {
        if !token.starts_with(CALENDAR_PREFIX) {
            return Ok(None);
        }
        self.holder(token).await
    }

    pub async fn audit(
        &self,
        at: OffsetDateTime,
        actor: &str,
        action: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        self.store
            .audit(&AuditEntry {
                at,
                actor: actor.to_owned(),
                action: action.to_owned(),
                detail: detail.to_owned(),
            })
            .await
    }
}

/// The hash of a random password, verified against when the username is
/// unknown.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        secret()
            .ok()
            .and_then(|s| hash_password(&s).ok())
            .unwrap_or_default()
    })
}

/// What attempts are counted under: the name as typed, trimmed and cut to
/// the longest username (so that a stranger's long names cost nothing).
fn throttle_key(username: &str) -> String {
    username.trim().chars().take(64).collect()
}

/// `2026-11-26 14:05` (UTC).
fn minute(t: OffsetDateTime) -> String {
    format!("{} {:02}:{:02}", t.date(), t.hour(), t.minute())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_do_only_what_they_may() {
        use Action::*;
        let table = [
            (Role::Reporter, [true, true, false, false, false, false]),
            (Role::Investigator, [true, true, true, true, false, true]),
            (Role::Adviser, [true, true, true, false, false, false]),
            (Role::Administrator, [true, true, true, true, true, true]),
            (Role::Auditor, [true, false, false, false, false, false]),
        ];
        for (role, expected) in table {
            let got = [
                See,
                Report,
                Comment,
                Investigate,
                Administer,
                HandleIdentity,
            ]
            .map(|a| role.may(a));
            assert_eq!(got, expected, "{role:?}");
        }
    }

    #[test]
    fn role_ids_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("Administrator"), None);
    }

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(password_matches(&hash, "correct horse battery"));
        assert!(!password_matches(&hash, "correct horse batter"));
        assert!(!password_matches("not a hash", "x"));
        // The dummy hash parses, so an unknown user costs the same.
        assert!(PasswordHash::new(dummy_hash()).is_ok());
    }

    #[test]
    fn secrets_are_random_and_compared_exactly() {
        let (a, b) = (secret().expect("a"), secret().expect("b"));
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &b));
        assert!(!same_secret(&a, &a[..63]));
        assert_eq!(digest("x").len(), 64);
        assert_ne!(digest(&a), a);
    }

    #[test]
    fn scopes() {
        let owner = |d, r| crate::Owner {
            department: d,
            reported_by: r,
        };
        let dept = Scope::Department {
            department: 2,
            user: 7,
        };
        assert!(dept.covers(&owner(Some(2), None)));
        assert!(dept.covers(&owner(Some(3), Some(7))));
        assert!(!dept.covers(&owner(Some(3), Some(8))));
        assert!(!dept.covers(&owner(None, None)));
        let own = Scope::OwnReports { user: 7 };
        assert!(own.covers(&owner(None, Some(7))));
        assert!(!own.covers(&owner(Some(2), Some(8))));
        assert!(Scope::Organisation.covers(&owner(None, None)));
    }

    #[test]
    fn usernames_and_passwords_are_checked() {
        assert!(check_username("j.smith").is_ok());
        assert!(check_username("J Smith").is_err());
        assert!(check_username("x").is_err());
        assert!(check_new_password("alice", "short").is_err());
        assert!(check_new_password("alice", "a long enough phrase").is_ok());
        let one = one_time_password().expect("otp");
        assert_eq!(one.chars().count(), 20);
    }
}
