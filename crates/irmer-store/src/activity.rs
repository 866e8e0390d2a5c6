//! Activity as the administrator entered it (a setting, read with
//! [`irmer_stats::activity::Activity::parse`]), the rates per 10,000
//! examinations it gives, and the low-reporting flags: a modality whose
//! rate is under half the organisation's own, or a modality with activity
//! or a department that reported nothing in the last months.

use irmer_core::incident::{CivilDate, Modality};
use irmer_stats::activity::{self, Activity, Rate};
use irmer_stats::tally::Field;

use crate::Store;
use crate::accounts::{AccountStore, Places, Scope};
use crate::register::{Register, RegisterError};
use crate::theme::shift_months;

/// The months without an incident after which a department or a
/// modality is flagged, unless the administrator sets another.
pub const DEFAULT_SILENT_MONTHS: u32 = 3;
/// The setting that holds them.
pub const SILENT_SETTING: &str = "low_reporting_months";
/// The values an administrator may set.
pub const SILENT_RANGE: std::ops::RangeInclusive<u32> = 1..=24;

/// A modality's incidents in the period and, where activity covers it,
/// its examinations and rate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModalityRate {
    pub modality: Modality,
    pub incidents: u64,
    pub examinations: Option<u64>,
    /// Incidents per 10,000 examinations, in tenths.
    pub per_10000: Option<u64>,
}

/// What the check found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reporting {
    /// Every modality with activity entered, or with incidents.
    pub rates: Vec<ModalityRate>,
    /// Over the modalities whose activity covers the period (tenths).
    pub organisation_per_10000: Option<u64>,
    /// Under half the organisation's rate.
    pub well_below: Vec<Modality>,
    /// The months looked back for silence, and from when.
    pub silent_months: u32,
    pub silent_since: Option<CivilDate>,
    /// Modalities with activity entered and no incident since then.
    pub silent_modalities: Vec<Modality>,
    /// Departments (named with their site) with no incident since then.
    pub silent_departments: Vec<String>,
}

/// The silence an administrator set, or the default.
pub fn silent_of(setting: Option<&str>) -> u32 {
    setting
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|m| SILENT_RANGE.contains(m))
        .unwrap_or(DEFAULT_SILENT_MONTHS)
}

impl<S: Store + AccountStore> Register<S> {
    /// The activity entered (none when nothing was, or when the stored
    /// text no longer reads, which the administrator's page shows).
    pub async fn activity(&self) -> Result<(String, Activity), RegisterError> {
        let text = self
            .store()
            .setting(activity::SETTING)
            .await?
            .unwrap_or_default();
        let parsed = Activity::parse(&text).unwrap_or_default();
        Ok((text, parsed))
    }

    /// The months of silence that flag a department or a modality.
    pub async fn silent_months(&self) -> Result<u32, RegisterError> {
        let setting = self.store().setting(SILENT_SETTING).await?;
        Ok(silent_of(setting.as_deref()))
    }

    /// Rates for the period and the low-reporting flags (silence counted
    /// back from today), within `scope`.
    pub async fn reporting(
        &self,
        from: CivilDate,
        to: CivilDate,
        scope: Option<Scope>,
    ) -> Result<Reporting, RegisterError> {
        let (_, activity) = self.activity().await?;
        let places = Places::load(self.store()).await?;
        let for_stats = places.for_statistics();
        let by_modality = self
            .statistics(from, to, &[Field::Modality], scope, &for_stats)
            .await?;
        let mut modalities = activity.modalities();
        for g in &by_modality.groups {
            if let Some(m) = g.value(Field::Modality).and_then(Modality::parse)
                && !modalities.contains(&m)
            {
                modalities.push(m);
            }
        }
        let incidents_of = |m: Modality| {
            by_modality
                .groups
                .iter()
                .find(|g| g.value(Field::Modality) == Some(m.as_str()))
                .map_or(0, |g| g.counts.incidents)
        };
        let rates: Vec<ModalityRate> = modalities
            .iter()
            .map(|&m| {
                let examinations = activity.examinations(m, from, to);
                let incidents = incidents_of(m);
                ModalityRate {
                    modality: m,
                    incidents,
                    examinations,
                    per_10000: examinations.and_then(|e| activity::per_10000_tenths(incidents, e)),
                }
            })
            .collect();
        let known: Vec<Rate> = rates
            .iter()
            .filter_map(|r| {
                Some(Rate {
                    modality: r.modality,
                    incidents: r.incidents,
                    examinations: r.examinations?,
                })
            })
            .collect();
        let organisation_per_10000 = activity::per_10000_tenths(
            known.iter().map(|r| r.incidents).sum(),
            known.iter().map(|r| r.examinations).sum(),
        );

        // Silence: the last months up to today.
        let today = self.today();
        let months = self.silent_months().await?;
        let since = shift_months(today, -i32::try_from(months).unwrap_or(3));
        let recent = self
            .statistics(
                since,
                today,
                &[Field::Modality, Field::Department],
                scope,
                &for_stats,
            )
            .await?;
        let silent_modalities = activity
            .modalities()
            .into_iter()
            .filter(|m| {
                !recent
                    .groups
                    .iter()
                    .any(|g| g.value(Field::Modality) == Some(m.as_str()))
            })
            .collect();
        let visible = |id: i64| match scope {
            None | Some(Scope::Organisation) => true,
            Some(Scope::Department { department, .. }) => department == id,
            Some(Scope::OwnReports { .. }) => false,
        };
        let silent_departments = places
            .departments
            .iter()
            .filter(|d| visible(d.id))
            .map(|d| places.department(Some(d.id)))
            .filter(|name| {
                !recent
                    .groups
                    .iter()
                    .any(|g| g.value(Field::Department) == Some(name.as_str()))
            })
            .collect();
        Ok(Reporting {
            well_below: activity::well_below(&known),
            rates,
            organisation_per_10000,
            silent_months: months,
            silent_since: Some(since),
            silent_modalities,
            silent_departments,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_out_of_range_is_the_default() {
        assert_eq!(silent_of(None), 3);
        assert_eq!(silent_of(Some("6")), 6);
        assert_eq!(silent_of(Some("0")), 3);
        assert_eq!(silent_of(Some("25")), 3);
    }
}
