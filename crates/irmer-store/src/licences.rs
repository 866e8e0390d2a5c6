//! The ARSAC licence register as the administrator keeps it: a CSV (a
//! setting, read with [`irmer_core::licences::read_csv`]), the licences
//! due for renewal, and whether an incident's administration was covered.

use irmer_core::incident::CivilDate;
use irmer_core::licences::{self as rules, Holder, Licence};

use crate::Store;
use crate::register::{IncidentRecord, Register, RegisterError};

/// The setting that holds the register's CSV.
pub const SETTING: &str = "arsac_licences";

/// The weeks before expiry from which a licence is listed for renewal
/// (the first reminder; the second is at 8).
pub const RENEWAL_WEEKS: i64 = 14;

/// What the check of an incident found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LicenceFinding {
    /// The substance administered and the day.
    pub substance: String,
    pub day: CivilDate,
    /// The site, when the incident's department names one.
    pub site: Option<String>,
    /// Whose licence was missing (the employer's is checked only with a
    /// site).
    pub missing: Vec<Holder>,
}

impl<S: Store + crate::accounts::AccountStore> Register<S> {
    /// The register's CSV as saved, and its licences (none if it no longer
    /// reads: it was checked when saved).
    pub async fn licences(&self) -> Result<(String, Vec<Licence>), RegisterError> {
        let text = self.store().setting(SETTING).await?.unwrap_or_default();
        let licences = if text.trim().is_empty() {
            Vec::new()
        } else {
            rules::read_csv(&text).unwrap_or_default()
        };
        Ok((text, licences))
    }
}

/// Whether an incident's administration of a radioactive substance was
/// covered on its day (when it occurred, else when discovered) at `site`:
/// `None` when no substance was administered or no register is kept.
pub fn check(
    rec: &IncidentRecord,
    licences: &[Licence],
    site: Option<&str>,
) -> Option<LicenceFinding> {
    let substance = rec
        .incident
        .radiopharmaceutical
        .as_ref()?
        .administered
        .clone();
    if licences.is_empty() {
        return None;
    }
    let day = rec.incident.occurred.unwrap_or(rec.incident.discovered);
    let missing: Vec<Holder> = rules::covered(licences, site.unwrap_or_default(), &substance, day)
        .into_iter()
        .filter(|h| *h == Holder::Practitioner || site.is_some())
        .collect();
    Some(LicenceFinding {
        substance,
        day,
        site: site.map(str::to_owned),
        missing,
    })
}

/// The licences expiring within [`RENEWAL_WEEKS`] of `today` or expired
/// (and not renewed by a later licence: [`Licence::renews`]), soonest
/// first.
pub fn due_for_renewal(licences: &[Licence], today: CivilDate) -> Vec<&Licence> {
    let horizon = today.date() + time::Duration::weeks(RENEWAL_WEEKS);
    let mut due: Vec<&Licence> = licences
        .iter()
        .filter(|l| l.expiry.date() <= horizon)
        .filter(|l| {
            !licences
                .iter()
                .any(|other| other.renews(l) && other.expiry.date() > horizon)
        })
        .collect();
    due.sort_by_key(|l| l.expiry);
    due
}
