//! Themes (the guidance's code M). When an incident shares a coded cause
//! (a tier-3 code) with others discovered within a window of it, irmer
//! suggests a theme and lists them; an investigator confirms it, which
//! sets the incident's `theme` and so, through the engine, code M, or
//! dismisses it with a reason. A suggestion never sets M by itself, and a
//! dismissed one does not come back for the same incidents: only a new
//! incident with that cause brings it back.
//!
//! Each decision is an event of its own in the incident's history (kind
//! `theme`), with the cause and the incidents it was shared with, so the
//! history says why M appeared and the committee's report can list the
//! themes confirmed.

use irmer_core::incident::CivilDate;
use irmer_stats::tally::{Field, describe};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::accounts::Scope;
use crate::register::{Aside, Edit, HistoryEntry, IncidentRecord, Register, RegisterError};
use crate::{EventKind, Filter, Sort, Store, Summary};

/// The window either side of an incident's discovery in which another
/// with the same cause suggests a theme, unless the administrator sets
/// another ([`WINDOW_SETTING`]).
pub const DEFAULT_WINDOW_MONTHS: u32 = 12;
/// The setting that holds the window, in whole months.
pub const WINDOW_SETTING: &str = "theme_window_months";
/// The windows an administrator may set.
pub const WINDOW_RANGE: std::ops::RangeInclusive<u32> = 1..=60;
/// The most incidents a suggestion lists (and a decision records).
pub const MOST_LISTED: u32 = 100;

/// Where suggestions are looked for: the reader's scope (`None`:
/// everything) and the window either side of the incident, in months.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Within {
    pub scope: Option<Scope>,
    pub months: u32,
}

impl Within {
    pub fn new(scope: Option<Scope>, months: u32) -> Within {
        Within { scope, months }
    }
}

/// A theme suggested for an incident: the cause it shares and the
/// incidents (within the reader's scope) it shares it with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    /// The tier-3 code.
    pub cause: String,
    /// The cause's path in words (`Operator › … › Wrong patient`).
    pub cause_words: String,
    /// The others, most recently discovered first.
    pub incidents: Vec<Related>,
    /// Whether more share it than are listed.
    pub more: bool,
}

/// Another incident with the same cause.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Related {
    pub reference: String,
    pub discovered: CivilDate,
    pub modality: irmer_core::incident::Modality,
    /// Its notification codes, space-separated.
    pub codes: String,
    /// Whether it is itself part of a confirmed theme (code M).
    pub in_theme: bool,
}

/// What was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Confirmed,
    Dismissed,
}

/// A decision as its event keeps it (the event's data).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decided {
    pub decision: Decision,
    pub cause: String,
    /// The incidents it was shared with when decided.
    pub incidents: Vec<String>,
    pub window_months: u32,
}

/// `date` moved by whole months, the day kept where the month has it
/// (31 March less one month is 28 or 29 February).
pub fn shift_months(date: CivilDate, months: i32) -> CivilDate {
    let d = date.date();
    let index = d.year() * 12 + i32::from(u8::from(d.month())) - 1 + months;
    let (year, month) = (index.div_euclid(12), (index.rem_euclid(12) + 1) as u8);
    let month = time::Month::try_from(month).unwrap_or(time::Month::January);
    let day = d.day().min(month.length(year));
    time::Date::from_calendar_date(year, month, day)
        .ok()
        .and_then(|d| CivilDate::from_ymd(d.year(), u8::from(d.month()), d.day()))
        .unwrap_or(date)
}

fn invalid(field: &str, message: impl Into<String>) -> RegisterError {
    RegisterError::Invalid(irmer_core::parse::InputError {
        field: field.to_owned(),
        message: message.into(),
        position: None,
    })
}

/// The latest confirmed decision in a history, with its event.
pub fn confirmed_in(history: &[HistoryEntry]) -> Option<(&HistoryEntry, Decided)> {
    history.iter().rev().find_map(|e| {
        decision_of(e)
            .filter(|d| d.decision == Decision::Confirmed)
            .map(|d| (e, d))
    })
}

/// The decision an event records (none for any other kind of event).
fn decision_of(e: &HistoryEntry) -> Option<Decided> {
    (e.kind == EventKind::Theme)
        .then(|| serde_json::from_value(e.data.clone()).ok())
        .flatten()
}

/// The incident a suggestion is for.
struct Subject<'a> {
    reference: &'a str,
    discovered: CivilDate,
    causes: Vec<&'a str>,
}

/// Whether an incident's codes include M (its theme confirmed).
fn has_theme_code(codes: &str) -> bool {
    codes.split(' ').any(|c| c.starts_with('M'))
}

/// The window an administrator set, or the default (a setting that is
/// not a window in [`WINDOW_RANGE`] is ignored).
pub fn window_of(setting: Option<&str>) -> u32 {
    setting
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|m| WINDOW_RANGE.contains(m))
        .unwrap_or(DEFAULT_WINDOW_MONTHS)
}

impl<S: Store> Register<S> {
    /// The theme window, in months, as the administrator set it.
    pub async fn theme_window(&self) -> Result<u32, RegisterError>
    where
        S: crate::accounts::AccountStore,
    {
        let setting = self.store().setting(WINDOW_SETTING).await?;
        Ok(window_of(setting.as_deref()))
    }

    /// The decisions recorded on an incident, oldest first.
    pub async fn theme_decisions(&self, reference: &str) -> Result<Vec<Decided>, RegisterError> {
        Ok(self
            .history(reference)
            .await?
            .iter()
            .filter_map(decision_of)
            .collect())
    }

    /// The themes suggested for an incident: for each of its causes, the
    /// other incidents within the scope discovered within the window
    /// either side of it with the same cause, unless every one of them
    /// was already in a dismissed suggestion for that cause. None once
    /// its theme is confirmed.
    pub async fn theme_suggestions(
        &self,
        rec: &IncidentRecord,
        within: Within,
    ) -> Result<Vec<Suggestion>, RegisterError> {
        if rec.incident.theme {
            return Ok(Vec::new());
        }
        let subject = Subject {
            reference: &rec.reference,
            discovered: rec.incident.discovered,
            causes: rec.incident.causes.iter().map(String::as_str).collect(),
        };
        self.suggest(subject, within).await
    }

    /// [`Register::theme_suggestions`] for an incident as a list shows it
    /// (its theme known from its code M or a confirmed decision).
    pub async fn theme_suggestions_for(
        &self,
        summary: &Summary,
        within: Within,
    ) -> Result<Vec<Suggestion>, RegisterError> {
        if has_theme_code(&summary.index.codes) {
            return Ok(Vec::new());
        }
        let subject = Subject {
            reference: &summary.reference,
            discovered: summary.index.discovered,
            causes: summary.index.causes.split_whitespace().collect(),
        };
        self.suggest(subject, within).await
    }

    async fn suggest(
        &self,
        subject: Subject<'_>,
        within: Within,
    ) -> Result<Vec<Suggestion>, RegisterError> {
        if subject.causes.is_empty() {
            return Ok(Vec::new());
        }
        let decided = self.theme_decisions(subject.reference).await?;
        if decided.iter().any(|d| d.decision == Decision::Confirmed) {
            return Ok(Vec::new());
        }
        let months = i32::try_from(within.months).unwrap_or(i32::MAX / 24);
        let mut found = Vec::new();
        for cause in subject.causes {
            let filter = Filter {
                cause: Some(cause.to_owned()),
                discovered_from: Some(shift_months(subject.discovered, -months)),
                discovered_to: Some(shift_months(subject.discovered, months)),
                scope: within.scope,
                ..Filter::default()
            };
            // One more than listed, besides this one, says whether there
            // are more.
            let page = self
                .summaries(&filter, Sort::DiscoveredNewest, MOST_LISTED + 2, 0)
                .await?;
            let mut others: Vec<&Summary> = page
                .items
                .iter()
                .filter(|s| s.reference != subject.reference)
                .collect();
            let more = page.more || others.len() > MOST_LISTED as usize;
            others.truncate(MOST_LISTED as usize);
            if others.is_empty() {
                continue;
            }
            let dismissed = |r: &str| {
                decided.iter().any(|d| {
                    d.decision == Decision::Dismissed
                        && d.cause == cause
                        && d.incidents.iter().any(|i| i == r)
                })
            };
            if !more && others.iter().all(|s| dismissed(&s.reference)) {
                continue;
            }
            found.push(Suggestion {
                cause: cause.to_owned(),
                cause_words: describe(Field::CauseTier3, Some(cause), self.taxonomy()),
                incidents: others
                    .into_iter()
                    .map(|s| Related {
                        reference: s.reference.clone(),
                        discovered: s.index.discovered,
                        modality: s.index.modality,
                        codes: s.index.codes.clone(),
                        in_theme: has_theme_code(&s.index.codes),
                    })
                    .collect(),
                more,
            });
        }
        Ok(found)
    }

    /// The suggestion for `cause` on the incident as it stands, or an
    /// error naming the cause.
    async fn suggestion_for(
        &self,
        reference: &str,
        cause: &str,
        within: Within,
    ) -> Result<(IncidentRecord, Suggestion), RegisterError> {
        let rec = self.get(reference).await?;
        let found = self
            .theme_suggestions(&rec, within)
            .await?
            .into_iter()
            .find(|s| s.cause == cause);
        match found {
            Some(s) => Ok((rec, s)),
            None if rec.incident.theme => Err(invalid(
                "cause",
                "this incident is already part of a confirmed theme",
            )),
            None => Err(invalid(
                "cause",
                format!(
                    "no theme is suggested for the cause {cause:?} on this incident (it is not one of its causes, no other incident within the window shares it, or it was dismissed for these incidents)"
                ),
            )),
        }
    }

    /// Confirms the theme suggested for `cause`: the incident's `theme`
    /// is set (the engine then adds code M) in one event that records the
    /// cause and the incidents. `reason` is required, as for every change.
    pub async fn confirm_theme(
        &self,
        reference: &str,
        expected_version: i64,
        cause: &str,
        reason: &str,
        actor: &str,
        within: Within,
    ) -> Result<IncidentRecord, RegisterError> {
        // The version is checked as the change is written: a suggestion
        // read from another version is refused there.
        let (_, suggestion) = self.suggestion_for(reference, cause, within).await?;
        let data = decided(Decision::Confirmed, &suggestion, within.months);
        let patch = serde_json::json!({ "theme": true });
        let edit = Edit {
            expected_version,
            patch: &patch,
            reason,
            actor,
        };
        self.amend_as(reference, edit, EventKind::Theme, Some(data))
            .await
    }

    /// Dismisses the theme suggested for `cause`, with the reason: it is
    /// not suggested again for the same incidents.
    pub async fn dismiss_theme(
        &self,
        reference: &str,
        cause: &str,
        reason: &str,
        actor: &str,
        within: Within,
    ) -> Result<IncidentRecord, RegisterError> {
        let reason = crate::register::reason_text(reason)?;
        let (_, suggestion) = self.suggestion_for(reference, cause, within).await?;
        let aside = Aside {
            reason: Some(reason.to_owned()),
            ..Aside::new(
                EventKind::Theme,
                decided(Decision::Dismissed, &suggestion, within.months),
            )
        };
        self.append_aside(reference, actor, aside).await
    }
}

fn decided(decision: Decision, s: &Suggestion, window_months: u32) -> String {
    serde_json::to_string(&Decided {
        decision,
        cause: s.cause.clone(),
        incidents: s.incidents.iter().map(|r| r.reference.clone()).collect(),
        window_months,
    })
    .unwrap_or_else(|_| Value::Null.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> CivilDate {
        CivilDate::parse(text).expect("a date")
    }

    #[test]
    fn months_shift_and_keep_the_day_the_month_has() {
        assert_eq!(shift_months(d("2025-03-31"), -1), d("2025-02-28"));
        assert_eq!(shift_months(d("2024-03-31"), -1), d("2024-02-29"));
        assert_eq!(shift_months(d("2025-06-15"), 12), d("2026-06-15"));
        assert_eq!(shift_months(d("2025-01-10"), -12), d("2024-01-10"));
        assert_eq!(shift_months(d("2025-11-30"), 3), d("2026-02-28"));
    }

    #[test]
    fn a_window_out_of_range_is_the_default() {
        assert_eq!(window_of(None), 12);
        assert_eq!(window_of(Some("6")), 6);
        assert_eq!(window_of(Some("0")), 12);
        assert_eq!(window_of(Some("61")), 12);
        assert_eq!(window_of(Some("twelve")), 12);
    }

    #[test]
    fn only_an_m_code_is_a_theme() {
        assert!(has_theme_code("2.2 M2.2"));
        assert!(!has_theme_code("2.2 E2.2"));
        assert!(!has_theme_code(""));
    }
}
