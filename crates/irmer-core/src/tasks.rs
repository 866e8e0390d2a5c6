//! What an assessment obliges the employer to do, as tasks to track to
//! done: inform the referrer, the practitioner and the patient (or their
//! representative) of a clinically significant exposure (regulation 8(1)),
//! the duty of candour, and the reports to the other bodies the
//! assessment names (MHRA's Yellow Card, IRIC in Scotland, NIAIC in
//! Northern Ireland, the ARSAC Support Unit, HSE), and, for a licensing
//! breach in England, the CQC's own licensing breach form.
//!
//! Pure: which tasks an assessment names ([`kinds_for`]), how the tasks
//! an incident has follow a new assessment ([`follow`]: added, or marked
//! no longer needed with the reason, never deleted), their due dates from
//! the discovery and the administrator's days ([`TaskDays`]), and what a
//! step on a task may do ([`TaskStep::check`]).

use serde::{Deserialize, Serialize};

use crate::assessment::{Assessment, Duty, OtherBody};
use crate::incident::{CivilDate, Nation};

/// A kind of task; an incident has at most one of each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaskKind {
    InformReferrer,
    InformPractitioner,
    InformPatient,
    DutyOfCandour,
    ReportMhra,
    ReportIric,
    ReportNiaic,
    ReportArsac,
    /// In England, the CQC's licensing breach form (the guidance: "You
    /// should notify the ARSAC Support Unit of any licensing breaches. We
    /// also encourage you to report these incidents to us.").
    ReportLicenceBreach,
    ReportHse,
}

impl TaskKind {
    pub const ALL: [TaskKind; 10] = [
        TaskKind::InformReferrer,
        TaskKind::InformPractitioner,
        TaskKind::InformPatient,
        TaskKind::DutyOfCandour,
        TaskKind::ReportMhra,
        TaskKind::ReportIric,
        TaskKind::ReportNiaic,
        TaskKind::ReportArsac,
        TaskKind::ReportLicenceBreach,
        TaskKind::ReportHse,
    ];

    pub const fn id(self) -> &'static str {
        match self {
            TaskKind::InformReferrer => "inform-referrer",
            TaskKind::InformPractitioner => "inform-practitioner",
            TaskKind::InformPatient => "inform-patient",
            TaskKind::DutyOfCandour => "duty-of-candour",
            TaskKind::ReportMhra => "report-mhra",
            TaskKind::ReportIric => "report-iric",
            TaskKind::ReportNiaic => "report-niaic",
            TaskKind::ReportArsac => "report-arsac",
            TaskKind::ReportLicenceBreach => "report-licence-breach",
            TaskKind::ReportHse => "report-hse",
        }
    }

    pub fn parse(text: &str) -> Option<TaskKind> {
        TaskKind::ALL.into_iter().find(|k| k.id() == text)
    }

    /// What to do, in words.
    pub const fn label(self) -> &'static str {
        match self {
            TaskKind::InformReferrer => "Inform the referrer",
            TaskKind::InformPractitioner => "Inform the practitioner",
            TaskKind::InformPatient => "Inform the patient or their representative",
            TaskKind::DutyOfCandour => "Apply the duty of candour",
            TaskKind::ReportMhra => "Report to the MHRA (Yellow Card)",
            TaskKind::ReportIric => "Report to IRIC (NHS National Services Scotland)",
            TaskKind::ReportNiaic => "Report to NIAIC (Northern Ireland Adverse Incident Centre)",
            TaskKind::ReportArsac => "Report to the ARSAC Support Unit",
            TaskKind::ReportLicenceBreach => "Tell the CQC on its licensing breach form",
            TaskKind::ReportHse => "Report to the HSE",
        }
    }

    /// What the other body's reference is called, for the tasks that
    /// have one.
    pub const fn reference_name(self) -> Option<&'static str> {
        match self {
            TaskKind::ReportMhra => Some("Yellow Card reference"),
            TaskKind::ReportIric => Some("IRIC reference"),
            TaskKind::ReportNiaic => Some("NIAIC reference"),
            TaskKind::ReportArsac => Some("ARSAC case reference"),
            TaskKind::ReportLicenceBreach => Some("CQC licensing breach reference"),
            TaskKind::ReportHse => Some("HSE reference"),
            _ => None,
        }
    }

    /// Calendar days from discovery to the due date unless an
    /// administrator set others: 14 for each (the notification's own
    /// fortnight; the guidance gives the other bodies no deadline beyond
    /// "as soon as possible").
    pub const fn default_days(self) -> u16 {
        14
    }

    fn of_body(body: OtherBody) -> TaskKind {
        match body {
            OtherBody::Mhra => TaskKind::ReportMhra,
            OtherBody::Iric => TaskKind::ReportIric,
            OtherBody::Niaic => TaskKind::ReportNiaic,
            OtherBody::Arsac => TaskKind::ReportArsac,
            OtherBody::Hse => TaskKind::ReportHse,
        }
    }
}

/// The tasks an assessment names, in [`TaskKind::ALL`]'s order: the
/// three to inform and the duty of candour for a clinically significant
/// exposure, a report to each other body it names, and for a licensing
/// breach in England the CQC's licensing breach form besides the ARSAC
/// Support Unit (whatever the exposure: with a significant one, the
/// statutory notification is made as well).
pub fn kinds_for(a: &Assessment, nation: Nation) -> Vec<TaskKind> {
    let mut kinds = Vec::new();
    for duty in &a.duties {
        match duty {
            Duty::InformReferrerPractitionerPatient => kinds.extend([
                TaskKind::InformReferrer,
                TaskKind::InformPractitioner,
                TaskKind::InformPatient,
            ]),
            Duty::DutyOfCandour => kinds.push(TaskKind::DutyOfCandour),
            Duty::InvestigateAndRecord => {}
        }
    }
    kinds.extend(a.other_reports.iter().map(|r| TaskKind::of_body(r.to)));
    if nation == Nation::England && a.other_reports.iter().any(|r| r.to == OtherBody::Arsac) {
        kinds.push(TaskKind::ReportLicenceBreach);
    }
    kinds.sort();
    kinds.dedup();
    kinds
}

/// Where a task stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaskStatus {
    Open,
    Done,
    NotNeeded,
}

impl TaskStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Done => "done",
            TaskStatus::NotNeeded => "not-needed",
        }
    }

    pub fn parse(text: &str) -> Option<TaskStatus> {
        [TaskStatus::Open, TaskStatus::Done, TaskStatus::NotNeeded]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// The days from discovery to each kind's due date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskDays(pub [u16; TaskKind::ALL.len()]);

impl Default for TaskDays {
    fn default() -> Self {
        TaskDays(TaskKind::ALL.map(TaskKind::default_days))
    }
}

impl TaskDays {
    /// The longest an administrator may set.
    pub const MAX: u16 = 365;

    pub fn of(&self, kind: TaskKind) -> u16 {
        let i = TaskKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        self.0[i]
    }

    pub fn due(&self, kind: TaskKind, discovered: CivilDate) -> CivilDate {
        discovered.plus_days(self.of(kind))
    }

    /// The days an administrator may set for a kind.
    pub const RANGE: std::ops::RangeInclusive<u16> = 1..=TaskDays::MAX;

    /// Sets a kind's days; refused (nothing changed) outside [`Self::RANGE`].
    pub fn set(&mut self, kind: TaskKind, days: u16) -> Result<(), String> {
        if !Self::RANGE.contains(&days) {
            return Err(format!(
                "{}: enter a whole number of days from 1 to {}",
                kind.id(),
                Self::MAX
            ));
        }
        if let Some(i) = TaskKind::ALL.iter().position(|k| *k == kind) {
            self.0[i] = days;
        }
        Ok(())
    }

    /// As kept in the settings: `kind=days` for each kind, comma-separated.
    pub fn to_setting(&self) -> String {
        TaskKind::ALL
            .iter()
            .map(|k| format!("{}={}", k.id(), self.of(*k)))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Reads [`Self::to_setting`]'s form; a kind left out keeps its
    /// default. An unknown kind, a repeated one or days out of range are
    /// refused, naming the part.
    pub fn from_setting(text: &str) -> Result<TaskDays, String> {
        let mut days = TaskDays::default();
        let mut seen = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (id, n) = part
                .split_once('=')
                .ok_or_else(|| format!("'{part}': expected kind=days"))?;
            let kind = TaskKind::parse(id.trim())
                .ok_or_else(|| format!("'{}': not a kind of task", id.trim()))?;
            if seen.contains(&kind) {
                return Err(format!("{}: given twice", kind.id()));
            }
            seen.push(kind);
            let n = n.trim().parse::<u16>().map_err(|_| {
                format!(
                    "{}: '{}' is not a whole number of days",
                    kind.id(),
                    n.trim()
                )
            })?;
            days.set(kind, n)?;
        }
        Ok(days)
    }
}

/// The reason a task is marked no longer needed when a new assessment no
/// longer names it.
pub const NO_LONGER_NAMED: &str = "the assessment no longer names it";

/// How the tasks an incident has follow a new assessment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Follow {
    /// Named now and not there before: to add, open.
    pub add: Vec<TaskKind>,
    /// Open, and no longer named: to mark not needed
    /// ([`NO_LONGER_NAMED`]).
    pub retire: Vec<TaskKind>,
    /// Marked not needed because no longer named, and named again: to
    /// open again.
    pub reopen: Vec<TaskKind>,
}

impl Follow {
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.retire.is_empty() && self.reopen.is_empty()
    }
}

/// The change to `current` (each task's kind, status and, if not needed,
/// the reason) that a new assessment calls for. A task done stays done; a
/// task someone marked not needed stays so; nothing is deleted.
pub fn follow(
    current: &[(TaskKind, TaskStatus, Option<&str>)],
    a: &Assessment,
    nation: Nation,
) -> Follow {
    let named = kinds_for(a, nation);
    let mut f = Follow::default();
    for kind in &named {
        match current.iter().find(|(k, ..)| k == kind) {
            None => f.add.push(*kind),
            Some((_, TaskStatus::NotNeeded, Some(reason))) if *reason == NO_LONGER_NAMED => {
                f.reopen.push(*kind);
            }
            Some(_) => {}
        }
    }
    for (kind, status, _) in current {
        if *status == TaskStatus::Open && !named.contains(kind) {
            f.retire.push(*kind);
        }
    }
    f
}

/// A step on a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskStep {
    /// Done on a date, with the other body's reference and a note.
    Done {
        on: CivilDate,
        reference: Option<String>,
        note: Option<String>,
    },
    /// Not needed, with the reason.
    NotNeeded { reason: String },
    /// Due on another date.
    Due { on: CivilDate },
}

/// Why a step was refused: the field and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepRefused {
    pub field: &'static str,
    pub message: String,
}

fn refused(field: &'static str, message: impl Into<String>) -> StepRefused {
    StepRefused {
        field,
        message: message.into(),
    }
}

impl TaskStep {
    /// Whether the step may be taken on a task in `status` of an incident
    /// discovered on `discovered`, on `today`.
    pub fn check(
        &self,
        status: TaskStatus,
        discovered: CivilDate,
        today: CivilDate,
    ) -> Result<(), StepRefused> {
        match (self, status) {
            (_, TaskStatus::Done) => Err(refused("status", "the task is already done")),
            (TaskStep::Done { on, .. }, _) if *on < discovered => Err(refused(
                "date",
                format!(
                    "the date is before the incident was discovered ({})",
                    discovered.words()
                ),
            )),
            (TaskStep::Done { on, .. }, _) if *on > today => {
                Err(refused("date", "the date is in the future"))
            }
            (TaskStep::Due { on }, _) if *on < discovered => Err(refused(
                "due",
                format!(
                    "a due date before the incident was discovered ({})",
                    discovered.words()
                ),
            )),
            (TaskStep::NotNeeded { reason }, _) if reason.trim().is_empty() => {
                Err(refused("reason", "say why the task is not needed"))
            }
            (TaskStep::NotNeeded { .. }, TaskStatus::NotNeeded) => {
                Err(refused("status", "the task is already marked not needed"))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GuidanceVersion, Settings, assess, parse_incident};

    /// The tasks an incident's assessment names.
    fn kinds(json: &str) -> Vec<TaskKind> {
        let incident = parse_incident(json).expect("incident");
        kinds_for(
            &assess(&incident, GuidanceVersion::LATEST, &Settings::default()),
            incident.nation,
        )
    }

    fn assessment(json: &str) -> Assessment {
        assess(
            &parse_incident(json).expect("incident"),
            GuidanceVersion::LATEST,
            &Settings::default(),
        )
    }

    fn d(s: &str) -> CivilDate {
        CivilDate::parse(s).expect("date")
    }

    const SIGNIFICANT: &str = r#"{"nation":"england","discovered":"2026-11-20","modality":"ct","exposure":"unintended","patient":{"age_group":"adult"},"errors":["human"],"clinically_significant":true,"dose":{"unit":"mSv","intended":0.5,"received":6}}"#;

    #[test]
    fn a_clinically_significant_exposure_names_the_three_to_inform_and_candour() {
        let named = kinds(SIGNIFICANT);
        assert_eq!(
            named,
            [
                TaskKind::InformReferrer,
                TaskKind::InformPractitioner,
                TaskKind::InformPatient,
                TaskKind::DutyOfCandour
            ]
        );
        let plain = SIGNIFICANT.replace(r#""clinically_significant":true,"#, "");
        assert_eq!(kinds(&plain), []);
    }

    #[test]
    fn the_other_bodies_named_become_reports() {
        let equipment = SIGNIFICANT
            .replace(r#""clinically_significant":true,"#, "")
            .replace(r#"["human"]"#, r#"["equipment"]"#);
        assert_eq!(kinds(&equipment), [TaskKind::ReportMhra]);
        let scotland = equipment.replace("england", "scotland");
        assert_eq!(kinds(&scotland), [TaskKind::ReportIric]);
        let ni = equipment.replace("england", "northern-ireland");
        assert_eq!(kinds(&ni), [TaskKind::ReportNiaic]);
        let licence = r#"{"nation":"england","discovered":"2026-11-20","modality":"nuclear-medicine","exposure":"unintended","patient":{"age_group":"adult"},"errors":["procedural"],"licence":{"practitioner":false},"dose":{"unit":"mSv","intended":3,"received":3}}"#;
        assert_eq!(
            kinds(licence),
            [TaskKind::ReportArsac, TaskKind::ReportLicenceBreach]
        );
    }

    #[test]
    fn a_licensing_breach_carries_its_own_route_with_or_without_an_exposure() {
        // Given as prescribed, but not licensed: no accidental or
        // unintended exposure, still a breach of regulation 5.
        let intended = r#"{"nation":"england","discovered":"2026-11-20","modality":"nuclear-medicine-therapy","exposure":"intended","licence":{"employer":false},"description":"I-131 given as prescribed at a site the licence does not cover"}"#;
        assert_ne!(assessment(intended).outcome, crate::Outcome::Notifiable);
        assert_eq!(
            kinds(intended),
            [TaskKind::ReportArsac, TaskKind::ReportLicenceBreach]
        );
        // The CQC's form is England's; elsewhere, the ARSAC Support Unit.
        for nation in ["wales", "scotland", "northern-ireland"] {
            let there = intended.replace("england", nation);
            assert_eq!(kinds(&there), [TaskKind::ReportArsac], "{nation}");
        }
        let licensed = intended.replace(r#""licence":{"employer":false},"#, "");
        assert_eq!(kinds(&licensed), []);
    }

    #[test]
    fn every_kind_reads_back_its_id() {
        for k in TaskKind::ALL {
            assert_eq!(TaskKind::parse(k.id()), Some(k));
        }
        assert_eq!(TaskKind::parse("inform-everyone"), None);
        assert_eq!(
            TaskDays::default().due(TaskKind::ReportHse, d("2026-11-20")),
            d("2026-12-04")
        );
    }

    #[test]
    fn task_days_read_back_what_they_write_and_refuse_by_part() {
        let mut days = TaskDays::default();
        assert_eq!(days.set(TaskKind::DutyOfCandour, 10), Ok(()));
        assert_eq!(days.set(TaskKind::ReportHse, TaskDays::MAX), Ok(()));
        assert_eq!(TaskDays::from_setting(&days.to_setting()), Ok(days.clone()));
        assert_eq!(
            TaskDays::from_setting("duty-of-candour=10")
                .map(|days| days.due(TaskKind::DutyOfCandour, d("2026-11-20"))),
            Ok(d("2026-11-30"))
        );
        assert_eq!(TaskDays::from_setting(""), Ok(TaskDays::default()));
        assert!(days.set(TaskKind::ReportHse, 0).is_err());
        assert!(days.set(TaskKind::ReportHse, 366).is_err());
        assert_eq!(
            days.of(TaskKind::ReportHse),
            TaskDays::MAX,
            "a refusal changes nothing"
        );
        for (bad, names) in [
            ("inform-everyone=3", "inform-everyone"),
            ("report-hse=0", "report-hse"),
            ("report-hse=x", "report-hse"),
            ("report-hse=3,report-hse=4", "given twice"),
            ("report-hse", "kind=days"),
        ] {
            let e = TaskDays::from_setting(bad).err().unwrap_or_default();
            assert!(e.contains(names), "{bad}: {e}");
        }
    }

    #[test]
    fn tasks_follow_a_new_assessment_without_deleting() {
        let now = assessment(SIGNIFICANT);
        // None yet: all four added.
        assert_eq!(follow(&[], &now, Nation::England).add.len(), 4);
        // A done one stays; an open one no longer named is retired; one
        // retired before is opened again when named again.
        let plain = assessment(&SIGNIFICANT.replace(r#""clinically_significant":true,"#, ""));
        let current = [
            (TaskKind::InformReferrer, TaskStatus::Done, None),
            (TaskKind::InformPatient, TaskStatus::Open, None),
        ];
        let f = follow(&current, &plain, Nation::England);
        assert_eq!(f.retire, [TaskKind::InformPatient]);
        assert!(f.add.is_empty() && f.reopen.is_empty());
        let retired = [
            (TaskKind::InformReferrer, TaskStatus::Done, None),
            (
                TaskKind::InformPatient,
                TaskStatus::NotNeeded,
                Some(NO_LONGER_NAMED),
            ),
            (
                TaskKind::DutyOfCandour,
                TaskStatus::NotNeeded,
                Some("told in clinic the same day"),
            ),
        ];
        let f = follow(&retired, &now, Nation::England);
        assert_eq!(f.reopen, [TaskKind::InformPatient]);
        assert_eq!(f.add, [TaskKind::InformPractitioner]);
        assert!(f.retire.is_empty(), "a reason someone gave stands");
    }

    #[test]
    fn a_step_is_refused_by_field() {
        let (disc, today) = (d("2026-11-20"), d("2026-12-01"));
        let done = |on: &str| TaskStep::Done {
            on: d(on),
            reference: None,
            note: None,
        };
        assert_eq!(
            done("2026-11-25")
                .check(TaskStatus::Done, disc, today)
                .expect_err("twice")
                .field,
            "status"
        );
        assert_eq!(
            done("2026-11-19")
                .check(TaskStatus::Open, disc, today)
                .expect_err("before")
                .field,
            "date"
        );
        assert_eq!(
            done("2026-12-02")
                .check(TaskStatus::Open, disc, today)
                .expect_err("future")
                .field,
            "date"
        );
        assert!(
            done("2026-11-20")
                .check(TaskStatus::Open, disc, today)
                .is_ok()
        );
        assert_eq!(
            TaskStep::Due {
                on: d("2026-11-01")
            }
            .check(TaskStatus::Open, disc, today)
            .expect_err("due before")
            .field,
            "due"
        );
        assert_eq!(
            TaskStep::NotNeeded { reason: " ".into() }
                .check(TaskStatus::Open, disc, today)
                .expect_err("no reason")
                .field,
            "reason"
        );
    }
}
