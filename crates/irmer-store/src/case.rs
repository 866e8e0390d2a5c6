//! A notification as a case at the enforcing authority: its stage, its
//! triage (a risk level and an inspector), its category for internal
//! reporting, and its history, append-only (every step, e-mail and chaser
//! an event with who took it and when). What a step means, and which may
//! follow which, is the authority's (`irmer_authority::case`); the store
//! keeps an event and its change, and queues its e-mail, in one
//! transaction.

use serde::Serialize;
use time::OffsetDateTime;

/// Where a case has got to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Received and acknowledged, not yet triaged: in the queue.
    Received,
    /// Triaged: a risk level, an inspector; waiting for the report or
    /// being followed up.
    Triaged,
    /// The report is being reviewed (by correspondence or a visit).
    Reviewing,
    /// Closed provisionally, waiting for what the provider still owes.
    ProvisionallyClosed,
    /// Closed: the provider's chief executive told.
    Closed,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Received,
        Stage::Triaged,
        Stage::Reviewing,
        Stage::ProvisionallyClosed,
        Stage::Closed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Stage::Received => "received",
            Stage::Triaged => "triaged",
            Stage::Reviewing => "reviewing",
            Stage::ProvisionallyClosed => "provisionally-closed",
            Stage::Closed => "closed",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Stage::Received => "Awaiting triage",
            Stage::Triaged => "Triaged",
            Stage::Reviewing => "Under review",
            Stage::ProvisionallyClosed => "Provisionally closed",
            Stage::Closed => "Closed",
        }
    }

    pub fn parse(text: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The risk the triage finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Risk {
    Low,
    Medium,
    High,
}

impl Risk {
    pub const ALL: [Risk; 3] = [Risk::Low, Risk::Medium, Risk::High];

    pub const fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Risk::Low => "Low",
            Risk::Medium => "Medium",
            Risk::High => "High",
        }
    }

    pub fn parse(text: &str) -> Option<Risk> {
        Risk::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// An event to append to a case's history.
#[derive(Clone, Copy, Debug)]
pub struct NewCaseEvent<'a> {
    /// `triaged`, `details-requested`, `reply-recorded`, …
    pub kind: &'a str,
    pub at: OffsetDateTime,
    /// The member of staff (`None`: the provider or the system).
    pub actor_id: Option<i64>,
    /// Who, in words, as at the time.
    pub actor: &'a str,
    /// What was decided or said (a JSON object).
    pub details: &'a str,
    /// A key the case may hold once (a chaser): a second event with the
    /// same key is not written, and nothing else changes.
    pub once: Option<&'a str>,
}

/// What an event changes on the case (`None`: unchanged).
#[derive(Clone, Copy, Debug, Default)]
pub struct CaseChange<'a> {
    pub stage: Option<Stage>,
    pub risk: Option<Risk>,
    /// `Some(None)`: no inspector assigned.
    pub inspector: Option<Option<i64>>,
    /// The sub-modality and the tier-3 cause codes (space-separated).
    pub category: Option<(&'a str, &'a str)>,
}

/// An event of a case's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CaseEvent {
    pub id: i64,
    pub reference: String,
    pub kind: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor_id: Option<i64>,
    pub actor: String,
    /// A JSON object.
    pub details: String,
}

/// Which cases a list holds (all, when empty and unset).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseFilter {
    /// Only at these stages (any, when empty).
    pub stages: Vec<Stage>,
    /// Only those whose report has not come.
    pub without_report: bool,
    /// Only those assigned to this inspector.
    pub inspector: Option<i64>,
}

impl CaseFilter {
    /// The queue: received, not yet triaged.
    pub fn queue() -> Self {
        CaseFilter {
            stages: vec![Stage::Received],
            ..CaseFilter::default()
        }
    }

    /// Every case not closed.
    pub fn open() -> Self {
        CaseFilter {
            stages: vec![
                Stage::Received,
                Stage::Triaged,
                Stage::Reviewing,
                Stage::ProvisionallyClosed,
            ],
            ..CaseFilter::default()
        }
    }

    /// The filter as SQL conditions on `notifications`, numbered from
    /// `$first`, and the values to bind in order (text, or the inspector's
    /// id last).
    pub fn sql(&self, first: usize) -> (String, Vec<String>, Option<i64>) {
        let mut conditions = Vec::new();
        let mut texts = Vec::new();
        let mut n = first;
        if !self.stages.is_empty() {
            let places: Vec<String> = self
                .stages
                .iter()
                .map(|s| {
                    texts.push(s.as_str().to_owned());
                    let p = format!("${n}");
                    n += 1;
                    p
                })
                .collect();
            conditions.push(format!("status IN ({})", places.join(", ")));
        }
        if self.without_report {
            conditions.push("report_received_at IS NULL".to_owned());
        }
        if self.inspector.is_some() {
            conditions.push(format!("inspector_id = ${n}"));
        }
        let sql = if conditions.is_empty() {
            "TRUE".to_owned()
        } else {
            conditions.join(" AND ")
        };
        (sql, texts, self.inspector)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_and_risks_read_back_what_they_write() {
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.as_str()), Some(s));
        }
        for r in Risk::ALL {
            assert_eq!(Risk::parse(r.as_str()), Some(r));
        }
        assert_eq!(Stage::parse("report-received"), None);
        assert_eq!(Risk::parse("High"), None);
    }

    #[test]
    fn a_filter_numbers_its_placeholders_from_the_first_given() {
        let (sql, texts, inspector) = CaseFilter {
            stages: vec![Stage::Received, Stage::Triaged],
            without_report: true,
            inspector: Some(7),
        }
        .sql(1);
        assert_eq!(
            sql,
            "status IN ($1, $2) AND report_received_at IS NULL AND inspector_id = $3"
        );
        assert_eq!(texts, ["received", "triaged"]);
        assert_eq!(inspector, Some(7));
        assert_eq!(CaseFilter::default().sql(1).0, "TRUE");
    }
}
