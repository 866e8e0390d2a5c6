//! The enforcing authority's register: the notifications it receives (by
//! its form or from employers' systems with an organisation's token),
//! each with a reference of the authority's own series, numbered without
//! gaps, and the acknowledgement queued in the same transaction. It holds
//! no patient identity: the intake refuses identifiers before a row is
//! written.

use std::future::Future;

use serde::Serialize;
use time::OffsetDateTime;

use crate::StoreError;
use crate::case::{CaseChange, CaseEvent, CaseFilter, NewCaseEvent, Risk, Stage};
use crate::mail::Mail;

/// Which series a reference belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Series {
    /// A notification of a significant accidental or unintended exposure.
    Irmer,
    /// A licensing breach (the separate form).
    Licence,
}

impl Series {
    pub const fn as_str(self) -> &'static str {
        match self {
            Series::Irmer => "irmer",
            Series::Licence => "licence",
        }
    }

    /// The part of the reference that names the series.
    pub const fn infix(self) -> &'static str {
        match self {
            Series::Irmer => "IRMER",
            Series::Licence => "LIC",
        }
    }

    pub fn parse(text: &str) -> Option<Series> {
        [Series::Irmer, Series::Licence]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// The kinds of provider a notification may say it is from, as the
/// annual figures count them: (id, words).
pub const PROVIDER_TYPES: &[(&str, &str)] = &[
    ("nhs-acute", "NHS acute trust or board"),
    ("nhs-other", "Other NHS provider"),
    ("independent", "Independent sector"),
    ("dental", "Dental practice"),
    ("other", "Other"),
];

/// `CQC-IRMER-2026-00042`: the authority, the series, the year received
/// and the number within them.
pub fn reference(authority: &str, series: Series, year: i32, number: i64) -> String {
    format!(
        "{}-{}-{year}-{number:05}",
        authority.to_ascii_uppercase(),
        series.infix()
    )
}

/// A notification as the intake accepted it, before it has a reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewNotification {
    /// `cqc`, `hiw`, `his` or `rqia`.
    pub authority: String,
    pub series: Series,
    pub organisation_name: String,
    pub organisation_code: Option<String>,
    /// `nhs-acute`, `nhs-other`, `independent`, `dental` or `other`
    /// ([`PROVIDER_TYPES`]), when given.
    pub provider_type: Option<String>,
    /// The provider's chief executive's e-mail address, when given (the
    /// closure e-mail goes there).
    pub chief_executive: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: String,
    /// The incident in the contract's JSON.
    pub facts: String,
    pub summary: String,
    /// The codes the provider gave, space-separated (may be empty).
    pub provider_codes: String,
    /// The authority's own assessment of the facts (JSON) and its codes.
    pub assessment: String,
    pub codes: String,
    pub modality: String,
    pub discovered: irmer_core::incident::CivilDate,
    /// The 12-week report date.
    pub report_due: irmer_core::incident::CivilDate,
    /// The organisation token it came with (`None`: the public form).
    pub token_id: Option<i64>,
    /// With a token: the sender's Idempotency-Key, if it gave one.
    pub idempotency_key: Option<String>,
    pub received_at: OffsetDateTime,
}

/// What [`AuthorityStore::receive`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub reference: String,
    /// `false` when the token's Idempotency-Key had been used: the
    /// reference is the first one's, nothing new was written or queued.
    pub created: bool,
}

/// A notification as the authority keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub reference: String,
    pub authority: String,
    pub series: Series,
    pub organisation_name: String,
    pub organisation_code: Option<String>,
    pub provider_type: Option<String>,
    pub chief_executive: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: String,
    pub facts: String,
    pub summary: String,
    pub provider_codes: String,
    pub assessment: String,
    pub codes: String,
    pub modality: String,
    pub discovered: irmer_core::incident::CivilDate,
    pub report_due: irmer_core::incident::CivilDate,
    /// The case's stage (`received`, `triaged`, …: [`Stage`]).
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// The triage's risk level, once triaged.
    pub risk: Option<Risk>,
    /// The inspector assigned (a user of the authority's register).
    pub inspector_id: Option<i64>,
    /// The category for internal reporting: the sub-modality and the
    /// tier-3 cause codes (space-separated; empty until categorised).
    pub sub_modality: Option<String>,
    pub causes: String,
    /// When the latest report came (`None`: none yet).
    #[serde(with = "time::serde::rfc3339::option")]
    pub report_received_at: Option<OffsetDateTime>,
}

impl Notification {
    /// The case's stage (a row the store wrote is always one).
    pub fn stage(&self) -> Stage {
        Stage::parse(&self.status).unwrap_or(Stage::Received)
    }
}

/// An organisation's token for the notifications API (only its SHA-256
/// digest is kept).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrganisationToken {
    pub id: i64,
    pub organisation_name: String,
    pub organisation_code: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

/// A report as the authority received it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReceivedReport {
    pub reference: String,
    /// 1 for the first report sent for the notification.
    pub version: i64,
    pub content_type: String,
    /// The text (a PDF's as irmer read it).
    pub body: String,
    /// The PDF as it came, when it was one.
    #[serde(skip)]
    pub document: Option<Vec<u8>>,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

/// A report to keep.
#[derive(Clone, Copy, Debug)]
pub struct NewReport<'a> {
    pub content_type: &'a str,
    /// The text (a PDF's as irmer read it and checked it).
    pub body: &'a str,
    /// The PDF as it came, when it was one.
    pub document: Option<&'a [u8]>,
    /// The sender's Idempotency-Key, if it gave one.
    pub key: Option<&'a str>,
    pub at: OffsetDateTime,
}

/// Who a notification belongs to, for the API's scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sender {
    pub token_id: Option<i64>,
    pub organisation_name: String,
}

/// A backend's authority register. Each method is one transaction.
pub trait AuthorityStore: Clone + Send + Sync + 'static {
    /// Receives a notification: the next number of its series for the
    /// year it is received (none skipped, none twice, whatever runs at
    /// once), the row, and the acknowledgement `ack(reference)` queued,
    /// in one transaction. With a token and an Idempotency-Key already
    /// used, the first notification's reference and nothing else.
    fn receive(
        &self,
        new: &NewNotification,
        ack: &(dyn Fn(&str) -> Mail + Sync),
    ) -> impl Future<Output = Result<Received, StoreError>> + Send;

    fn notification(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<Notification>, StoreError>> + Send;

    /// The notifications the filter holds, oldest first (the queue:
    /// [`CaseFilter::queue`]).
    fn notifications(
        &self,
        filter: &CaseFilter,
        limit: u32,
        offset: u64,
    ) -> impl Future<Output = Result<Vec<Notification>, StoreError>> + Send;

    /// Who sent a notification (`None`: no such reference).
    fn sender(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<Sender>, StoreError>> + Send;

    /// Keeps a report for a notification, numbered after the last, notes
    /// when it came and appends `report-received` to the case's history;
    /// its version, and whether
    /// it is new (`false`: the same `key` was sent before, and its version
    /// is answered). `NotFound` naming the reference when there is no such
    /// notification.
    fn add_report(
        &self,
        reference: &str,
        report: &NewReport<'_>,
    ) -> impl Future<Output = Result<(i64, bool), StoreError>> + Send;

    /// The reports received for a notification, oldest first.
    fn reports_of(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Vec<ReceivedReport>, StoreError>> + Send;

    /// Appends an event to a case's history, applies its change and
    /// queues its e-mail, in one transaction; the event's id. `None` when
    /// the event's `once` key is already in the history (nothing written,
    /// changed or queued). `NotFound` naming the reference when there is
    /// no such notification.
    fn record_case(
        &self,
        reference: &str,
        event: &NewCaseEvent<'_>,
        change: &CaseChange<'_>,
        mail: Option<&Mail>,
    ) -> impl Future<Output = Result<Option<i64>, StoreError>> + Send;

    /// A case's history, oldest first.
    fn case_events(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Vec<CaseEvent>, StoreError>> + Send;

    /// Keeps a new organisation token's digest; its id.
    fn add_organisation_token(
        &self,
        organisation_name: &str,
        organisation_code: Option<&str>,
        digest: &[u8],
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Every organisation token, live and revoked, newest first.
    fn organisation_tokens(
        &self,
    ) -> impl Future<Output = Result<Vec<OrganisationToken>, StoreError>> + Send;

    /// Revokes a live token; whether there was one with this id.
    fn revoke_organisation_token(
        &self,
        id: i64,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The live token with this digest.
    fn organisation_token(
        &self,
        digest: &[u8],
    ) -> impl Future<Output = Result<Option<OrganisationToken>, StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_the_authority_series_year_and_number() {
        assert_eq!(
            reference("cqc", Series::Irmer, 2026, 42),
            "CQC-IRMER-2026-00042"
        );
        assert_eq!(
            reference("rqia", Series::Licence, 2027, 1),
            "RQIA-LIC-2027-00001"
        );
        assert_eq!(
            reference("hiw", Series::Irmer, 2026, 123_456),
            "HIW-IRMER-2026-123456"
        );
    }
}
