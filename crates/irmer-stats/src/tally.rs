//! Counting incidents into groups: the year's statistics and the monthly
//! series the control charts draw.
//!
//! A [`Tally`] takes the register's rows one at a time (it never holds
//! them), so its memory is the groups it prints. An incident with several
//! values of a field (codes, causes) counts once in each of its groups and
//! once in the total; two causes under one duty holder count once in that
//! duty holder's group.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use irmer_core::Outcome;
use irmer_core::incident::{CivilDate, ExposureCategory, ExposureKind, Modality};
use serde::Serialize;
use serde::ser::SerializeMap;

use crate::taxonomy::{SubModality, Taxonomy};

/// What the statistics can be grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Modality,
    SubModality,
    Category,
    Code,
    Outcome,
    Exposure,
    Nation,
    CauseTier1,
    CauseTier2,
    CauseTier3,
    Site,
    Department,
    Month,
}

impl Field {
    pub const ALL: [Field; 13] = [
        Field::Modality,
        Field::SubModality,
        Field::Category,
        Field::Code,
        Field::Outcome,
        Field::Exposure,
        Field::Nation,
        Field::CauseTier1,
        Field::CauseTier2,
        Field::CauseTier3,
        Field::Site,
        Field::Department,
        Field::Month,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Field::Modality => "modality",
            Field::SubModality => "sub-modality",
            Field::Category => "category",
            Field::Code => "code",
            Field::Outcome => "outcome",
            Field::Exposure => "exposure",
            Field::Nation => "nation",
            Field::CauseTier1 => "cause-tier1",
            Field::CauseTier2 => "cause-tier2",
            Field::CauseTier3 => "cause-tier3",
            Field::Site => "site",
            Field::Department => "department",
            Field::Month => "month",
        }
    }

    /// Its heading for people.
    pub const fn label(self) -> &'static str {
        match self {
            Field::Modality => "Modality",
            Field::SubModality => "Sub-modality",
            Field::Category => "Exposure category",
            Field::Code => "Notification code",
            Field::Outcome => "Outcome",
            Field::Exposure => "Exposure (near miss or not)",
            Field::Nation => "Nation",
            Field::CauseTier1 => "Duty holder (cause tier 1)",
            Field::CauseTier2 => "Point in the pathway (cause tier 2)",
            Field::CauseTier3 => "What went wrong (cause tier 3)",
            Field::Site => "Site",
            Field::Department => "Department",
            Field::Month => "Month",
        }
    }

    pub fn parse(text: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == text)
    }

    /// Every field's name, for an error that says what is accepted.
    pub fn accepted() -> String {
        Field::ALL
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Serialize for Field {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The exposure category's name as the statistics key it.
pub const fn category_id(category: ExposureCategory) -> &'static str {
    match category {
        ExposureCategory::Diagnostic => "diagnostic",
        ExposureCategory::Interventional => "interventional",
        ExposureCategory::RadiotherapyPlanning => "radiotherapy-planning",
        ExposureCategory::RadiotherapyVerification => "radiotherapy-verification",
        ExposureCategory::RadiotherapyTreatment => "radiotherapy-treatment",
        ExposureCategory::Sirt => "sirt",
        ExposureCategory::NuclearMedicineTherapy => "nuclear-medicine-therapy",
    }
}

/// What the statistics read of `count` incidents alike in every column
/// the tally [`needs`](Tally::needs) (the register's narrow columns,
/// counted by the database; no facts document is parsed). A column not
/// needed is left empty (`None`, `""`) and never read.
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    /// How many incidents this row stands for.
    pub count: u64,
    /// The month discovered, `YYYY-MM`.
    pub month: &'a str,
    pub modality: Option<Modality>,
    pub nation: &'a str,
    pub outcome: Outcome,
    pub exposure: ExposureKind,
    /// Notification codes, space-separated.
    pub codes: &'a str,
    /// Tier-3 cause codes, space-separated.
    pub causes: &'a str,
    pub department: Option<i64>,
}

/// The columns a tally reads beside the outcome and the exposure (always
/// read): a backend groups by these and counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    pub month: bool,
    pub modality: bool,
    pub nation: bool,
    pub codes: bool,
    pub causes: bool,
    pub department: bool,
}

/// The counts of one group (or the total).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub incidents: u64,
    /// Statutory notifications (outcome `notifiable`).
    pub notifiable: u64,
    /// Notified for learning (code V).
    pub voluntary: u64,
    /// Awaiting the facts a criterion needs.
    pub undetermined: u64,
    pub not_notifiable: u64,
    pub out_of_scope: u64,
    /// Incidents whose exposure is `none`: nothing was delivered.
    pub near_misses: u64,
}

impl Counts {
    fn add(&mut self, row: &Row<'_>) {
        let n = row.count;
        self.incidents += n;
        match row.outcome {
            Outcome::Notifiable => self.notifiable += n,
            Outcome::Voluntary => self.voluntary += n,
            Outcome::Undetermined => self.undetermined += n,
            Outcome::NotNotifiable => self.not_notifiable += n,
            Outcome::OutOfScope => self.out_of_scope += n,
        }
        if row.exposure == ExposureKind::None {
            self.near_misses += n;
        }
    }
}

/// A department's name and its site's, by the department's id.
pub type Places = HashMap<i64, (String, String)>;

/// One group: a value of each field grouped by (`None`: the incident has
/// none, such as no coded cause or no department) and its counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub key: Vec<(Field, Option<String>)>,
    pub counts: Counts,
}

impl Group {
    /// The value of one field of the key.
    pub fn value(&self, field: Field) -> Option<&str> {
        self.key
            .iter()
            .find(|(f, _)| *f == field)
            .and_then(|(_, v)| v.as_deref())
    }
}

impl Serialize for Group {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            key: KeyMap<'a>,
            #[serde(flatten)]
            counts: &'a Counts,
        }
        Out {
            key: KeyMap(&self.key),
            counts: &self.counts,
        }
        .serialize(s)
    }
}

/// The statistics of a period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Statistics {
    pub from: CivilDate,
    pub to: CivilDate,
    pub by: Vec<Field>,
    /// In the order of their keys (absent values last).
    pub groups: Vec<Group>,
    pub total: Counts,
}

/// A key value as the map sorts it: absent values after every value.
type KeyPart = (bool, String);

/// Counts rows into groups as they come.
pub struct Tally<'p> {
    by: Vec<Field>,
    places: &'p Places,
    groups: BTreeMap<Vec<KeyPart>, Counts>,
    total: Counts,
    keys: BTreeSet<Vec<KeyPart>>,
}

impl<'p> Tally<'p> {
    /// A tally by these fields (a repeated field counts once); `places`
    /// names the departments and sites.
    pub fn new(by: &[Field], places: &'p Places) -> Tally<'p> {
        let mut fields: Vec<Field> = Vec::with_capacity(by.len());
        for f in by {
            if !fields.contains(f) {
                fields.push(*f);
            }
        }
        Tally {
            by: fields,
            places,
            groups: BTreeMap::new(),
            total: Counts::default(),
            keys: BTreeSet::new(),
        }
    }

    /// The columns this tally reads.
    pub fn needs(&self) -> Needs {
        let has = |f: &[Field]| self.by.iter().any(|b| f.contains(b));
        Needs {
            month: has(&[Field::Month]),
            modality: has(&[Field::Modality, Field::SubModality, Field::Category]),
            nation: has(&[Field::Nation]),
            codes: has(&[Field::Code]),
            causes: has(&[Field::CauseTier1, Field::CauseTier2, Field::CauseTier3]),
            department: has(&[Field::Site, Field::Department]),
        }
    }

    /// Counts a row's incidents: once in the total, once in each of its groups
    /// (no groups when grouped by nothing).
    /// The cause tiers of a key come from one cause (an incident coded
    /// "operator › identification" and "referrer › referral" is not
    /// counted under "operator › referral").
    pub fn add(&mut self, row: &Row<'_>) {
        self.total.add(row);
        if self.by.is_empty() {
            return;
        }
        let each = |wanted: bool, list: &'_ str| -> Vec<Option<String>> {
            let values: Vec<Option<String>> = if wanted {
                list.split_ascii_whitespace()
                    .map(|v| Some(v.to_owned()))
                    .collect()
            } else {
                Vec::new()
            };
            if values.is_empty() {
                vec![None]
            } else {
                values
            }
        };
        let codes = each(self.by.contains(&Field::Code), row.codes);
        let causes = each(
            self.by
                .iter()
                .any(|f| matches!(f, Field::CauseTier1 | Field::CauseTier2 | Field::CauseTier3)),
            row.causes,
        );
        self.keys.clear();
        for code in &codes {
            for cause in &causes {
                let key = self
                    .by
                    .iter()
                    .map(|f| {
                        match value_of(*f, row, code.as_deref(), cause.as_deref(), self.places) {
                            Some(v) => (false, v),
                            None => (true, String::new()),
                        }
                    })
                    .collect();
                self.keys.insert(key);
            }
        }
        for key in std::mem::take(&mut self.keys) {
            self.groups.entry(key).or_default().add(row);
        }
    }

    /// The statistics of the period `from` to `to`.
    pub fn finish(self, from: CivilDate, to: CivilDate) -> Statistics {
        let by = self.by;
        let groups = self
            .groups
            .into_iter()
            .map(|(key, counts)| Group {
                key: by
                    .iter()
                    .zip(key)
                    .map(|(f, (absent, v))| (*f, (!absent).then_some(v)))
                    .collect(),
                counts,
            })
            .collect();
        Statistics {
            from,
            to,
            by,
            groups,
            total: self.total,
        }
    }
}

/// A field's value for one incident, given the code and the cause its key
/// is for.
fn value_of(
    field: Field,
    row: &Row<'_>,
    code: Option<&str>,
    cause: Option<&str>,
    places: &Places,
) -> Option<String> {
    let cause_to = |parts: usize| {
        cause.map(|c| {
            let end = c
                .match_indices('.')
                .nth(parts - 1)
                .map_or(c.len(), |(i, _)| i);
            c[..end].to_owned()
        })
    };
    let place = || row.department.and_then(|d| places.get(&d));
    match field {
        Field::Modality => row.modality.map(|m| m.as_str().to_owned()),
        Field::SubModality => row.modality.map(|m| SubModality::of(m).as_str().to_owned()),
        Field::Category => row.modality.map(|m| category_id(m.category()).to_owned()),
        Field::Outcome => Some(row.outcome.as_str().to_owned()),
        Field::Exposure => Some(row.exposure.as_str().to_owned()),
        Field::Nation => Some(row.nation.to_owned()),
        Field::Month => Some(row.month.to_owned()),
        Field::Code => code.map(str::to_owned),
        Field::CauseTier1 => cause_to(1),
        Field::CauseTier2 => cause_to(2),
        Field::CauseTier3 => cause_to(3),
        Field::Site => place().map(|(site, _)| site.clone()),
        Field::Department => place().map(|(_, department)| department.clone()),
    }
}

/// A key's value in words for people: a modality's name, a cause's path
/// in the taxonomy (`Operator › Pre-exposure checks › Wrong patient`), a
/// month's name; "None" for an absent value (no coded cause, no
/// department).
pub fn describe(field: Field, value: Option<&str>, taxonomy: &Taxonomy) -> String {
    let Some(value) = value else {
        return match field {
            Field::Code => "No notification code".to_owned(),
            Field::CauseTier1 | Field::CauseTier2 | Field::CauseTier3 => "Not yet coded".to_owned(),
            Field::Site | Field::Department => "No department".to_owned(),
            _ => "None".to_owned(),
        };
    };
    let named = match field {
        Field::Modality => Modality::parse(value).map(|m| m.label().to_owned()),
        Field::SubModality => SubModality::parse(value).map(|s| s.label().to_owned()),
        Field::Category => CATEGORIES
            .iter()
            .find(|c| category_id(**c) == value)
            .map(|c| capitalised(c.describe())),
        Field::Outcome => Outcome::parse(value).map(|o| o.label().to_owned()),
        Field::Exposure => ExposureKind::parse(value).map(|e| match e {
            ExposureKind::None => "Near miss (nothing delivered)".to_owned(),
            ExposureKind::Accidental => "Accidental".to_owned(),
            ExposureKind::Unintended => "Unintended".to_owned(),
            ExposureKind::Intended => "Intended (another concerned)".to_owned(),
        }),
        Field::Nation => match value {
            "england" => Some("England".to_owned()),
            "wales" => Some("Wales".to_owned()),
            "scotland" => Some("Scotland".to_owned()),
            "northern-ireland" => Some("Northern Ireland".to_owned()),
            _ => None,
        },
        Field::CauseTier1 | Field::CauseTier2 | Field::CauseTier3 => {
            // Each tier's name from the taxonomy; a code it no longer
            // holds is shown as it is.
            let mut names = Vec::new();
            let mut code = String::new();
            for part in value.split('.') {
                if !code.is_empty() {
                    code.push('.');
                }
                code.push_str(part);
                names.push(taxonomy.get(&code).map_or(code.clone(), |e| e.name.clone()));
            }
            Some(names.join(" › "))
        }
        Field::Month => month_name(value),
        Field::Code | Field::Site | Field::Department => None,
    };
    named.unwrap_or_else(|| value.to_owned())
}

const CATEGORIES: [ExposureCategory; 7] = [
    ExposureCategory::Diagnostic,
    ExposureCategory::Interventional,
    ExposureCategory::RadiotherapyPlanning,
    ExposureCategory::RadiotherapyVerification,
    ExposureCategory::RadiotherapyTreatment,
    ExposureCategory::Sirt,
    ExposureCategory::NuclearMedicineTherapy,
];

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// `2025-04` as `April 2025`.
pub fn month_name(month: &str) -> Option<String> {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let (year, m) = month.split_once('-')?;
    let m: usize = m.parse().ok()?;
    Some(format!("{} {year}", NAMES.get(m.checked_sub(1)?)?))
}

/// The period a command or a request asks for, refused with the option
/// it names.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PeriodError {
    /// `financial-year`, `from` or `to`.
    pub option: &'static str,
    pub message: String,
}

/// The period from a financial year (`2025`: 1 April 2025 to 31 March
/// 2026) or from and to dates (both included; either alone runs from the
/// start of its financial year, or to `today`); neither gives `default`.
pub fn period(
    financial_year_text: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    today: CivilDate,
    default: (CivilDate, CivilDate),
) -> Result<(CivilDate, CivilDate), PeriodError> {
    let date = |option: &'static str, text: &str| {
        CivilDate::parse(text).ok_or_else(|| PeriodError {
            option,
            message: format!("{text:?} is not a date: expected YYYY-MM-DD"),
        })
    };
    if let Some(text) = financial_year_text {
        if from.is_some() || to.is_some() {
            return Err(PeriodError {
                option: "financial-year",
                message: "give a financial year or --from and --to, not both".to_owned(),
            });
        }
        let year = text
            .trim()
            .parse::<i32>()
            .ok()
            .and_then(financial_year)
            .ok_or_else(|| PeriodError {
                option: "financial-year",
                message: format!(
                    "{text:?} is not a year: expected the year the financial year starts in, such as 2025 (1 April 2025 to 31 March 2026)"
                ),
            })?;
        return Ok(year);
    }
    let (from, to) = match (from, to) {
        (None, None) => return Ok(default),
        (Some(f), Some(t)) => (date("from", f)?, date("to", t)?),
        (Some(f), None) => (date("from", f)?, today),
        (None, Some(t)) => {
            let to = date("to", t)?;
            let d = to.date();
            let start = if u8::from(d.month()) >= 4 {
                d.year()
            } else {
                d.year() - 1
            };
            let from = financial_year(start).map_or(to, |(from, _)| from);
            (from, to)
        }
    };
    if from > to {
        return Err(PeriodError {
            option: "from",
            message: format!("the start {from} is after the end {to}"),
        });
    }
    Ok((from, to))
}

/// The most months a trend may chart (20 years): a chart is drawn for
/// people, and a longer series is a request to refuse, not to answer.
pub const MOST_MONTHS: i32 = 240;

/// Refuses a period too long to chart month by month.
pub fn check_trend_period(from: CivilDate, to: CivilDate) -> Result<(), PeriodError> {
    let index = |d: CivilDate| d.date().year() * 12 + i32::from(u8::from(d.date().month()));
    let months = index(to) - index(from) + 1;
    if months > MOST_MONTHS {
        return Err(PeriodError {
            option: "from",
            message: format!(
                "{months} months from {from} to {to}: a trend charts at most {MOST_MONTHS} months"
            ),
        });
    }
    Ok(())
}

/// The financial year that holds `today`, from its start to its end.
pub fn current_financial_year(today: CivilDate) -> (CivilDate, CivilDate) {
    let d = today.date();
    let start = if u8::from(d.month()) >= 4 {
        d.year()
    } else {
        d.year() - 1
    };
    financial_year(start).unwrap_or((today, today))
}

/// The 24 months up to and including `today`'s (a control chart wants
/// 20 or more points).
pub fn last_24_months(today: CivilDate) -> (CivilDate, CivilDate) {
    let d = today.date();
    let months = d.year() * 12 + i32::from(u8::from(d.month())) - 1 - 23;
    let (year, month) = (months.div_euclid(12), months.rem_euclid(12) + 1);
    let from = u8::try_from(month)
        .ok()
        .and_then(|m| CivilDate::from_ymd(year, m, 1))
        .unwrap_or(today);
    (from, today)
}

/// A date's month as the statistics key it: `2025-04`.
pub fn month_of(date: CivilDate) -> String {
    let d = date.date();
    format!("{:04}-{:02}", d.year(), u8::from(d.month()))
}

/// The months from `from`'s to `to`'s, in order (`2025-04` …).
pub fn months(from: CivilDate, to: CivilDate) -> Vec<String> {
    let (mut y, mut m) = (from.date().year(), u8::from(from.date().month()));
    let (end_y, end_m) = (to.date().year(), u8::from(to.date().month()));
    let mut out = Vec::new();
    while (y, m) <= (end_y, end_m) {
        out.push(format!("{y:04}-{m:02}"));
        if m == 12 {
            y += 1;
            m = 1;
        } else {
            m += 1;
        }
    }
    out
}

/// The authorities' financial year `year`: 1 April `year` to 31 March
/// `year + 1`.
pub fn financial_year(year: i32) -> Option<(CivilDate, CivilDate)> {
    let year_u = u16::try_from(year)
        .ok()
        .filter(|y| (1900..=9998).contains(y))?;
    let from = CivilDate::from_ymd(i32::from(year_u), 4, 1)?;
    let to = CivilDate::from_ymd(i32::from(year_u) + 1, 3, 31)?;
    Some((from, to))
}

/// One group's monthly series and its control chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trend {
    pub key: Vec<(Field, Option<String>)>,
    pub months: Vec<String>,
    pub chart: crate::spc::Chart,
}

impl Serialize for Trend {
    /// `{"key": {FIELD: VALUE}, "series": [{"month", "count"}], "mean",
    /// "upper_limit", "lower_limit", "signals": [{"month", "rule",
    /// "direction"}], "verdict"}`.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Point<'a> {
            month: &'a str,
            count: u64,
        }
        #[derive(Serialize)]
        struct Mark<'a> {
            month: &'a str,
            rule: crate::spc::Rule,
            direction: crate::spc::Direction,
        }
        let c = &self.chart;
        let mut map = s.serialize_map(Some(7))?;
        map.serialize_entry("key", &KeyMap(&self.key))?;
        let series: Vec<Point<'_>> = self
            .months
            .iter()
            .zip(&c.points)
            .map(|(month, count)| Point {
                month,
                count: *count,
            })
            .collect();
        map.serialize_entry("series", &series)?;
        map.serialize_entry("mean", &Number(c.mean))?;
        map.serialize_entry("upper_limit", &Number(c.upper_limit))?;
        map.serialize_entry("lower_limit", &Number(c.lower_limit))?;
        let signals: Vec<Mark<'_>> = c
            .signals
            .iter()
            .filter_map(|sig| {
                Some(Mark {
                    month: self.months.get(sig.index)?,
                    rule: sig.rule,
                    direction: sig.direction,
                })
            })
            .collect();
        map.serialize_entry("signals", &signals)?;
        map.serialize_entry("verdict", &c.verdict)?;
        map.end()
    }
}

/// A decimal as a JSON number with its exact digits.
struct Number(rust_decimal::Decimal);

impl Serialize for Number {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::spc::number(&self.0, s)
    }
}

/// A group's key as a JSON object: `{FIELD: VALUE}`, `null` for none.
struct KeyMap<'a>(&'a [(Field, Option<String>)]);

impl Serialize for KeyMap<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (field, value) in self.0 {
            map.serialize_entry(field.as_str(), value)?;
        }
        map.end()
    }
}

/// The monthly series of each group of `statistics` (which must be grouped
/// by [`Field::Month`] last), every month from `from` to `to` present
/// (a month with none counts 0), charted with higher counts as worse.
pub fn trends(statistics: &Statistics) -> Vec<Trend> {
    let months = months(statistics.from, statistics.to);
    let at: HashMap<&str, usize> = months
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    let mut series: BTreeMap<Vec<(Field, Option<String>)>, Vec<u64>> = BTreeMap::new();
    if statistics.by == [Field::Month] {
        // All incidents: one series, even with none in the period.
        series.insert(Vec::new(), vec![0; months.len()]);
    }
    for group in &statistics.groups {
        let key: Vec<(Field, Option<String>)> = group
            .key
            .iter()
            .filter(|(f, _)| *f != Field::Month)
            .cloned()
            .collect();
        let points = series.entry(key).or_insert_with(|| vec![0; months.len()]);
        if let Some(i) = group.value(Field::Month).and_then(|m| at.get(m)) {
            points[*i] += group.counts.incidents;
        }
    }
    series
        .into_iter()
        .map(|(key, points)| Trend {
            key,
            months: months.clone(),
            chart: crate::spc::xmr(&points, crate::spc::Polarity::HigherIsWorse),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> CivilDate {
        CivilDate::parse(text).expect("a date")
    }

    fn row<'a>(discovered: &'a str, codes: &'a str, causes: &'a str) -> Row<'a> {
        Row {
            count: 1,
            month: &discovered[..7],
            modality: Some(Modality::Ct),
            nation: "england",
            outcome: if codes.is_empty() {
                Outcome::NotNotifiable
            } else {
                Outcome::Notifiable
            },
            exposure: ExposureKind::Unintended,
            codes,
            causes,
            department: None,
        }
    }

    #[test]
    fn an_incident_counts_once_in_each_of_its_groups_and_once_in_the_total() {
        let places = Places::new();
        let mut t = Tally::new(&[Field::Code], &places);
        t.add(&row("2025-05-01", "2.2 E2.2", ""));
        t.add(&row("2025-05-02", "2.2", ""));
        t.add(&row("2025-05-03", "", ""));
        let s = t.finish(date("2025-04-01"), date("2026-03-31"));
        let got: Vec<(Option<&str>, u64)> = s
            .groups
            .iter()
            .map(|g| (g.value(Field::Code), g.counts.incidents))
            .collect();
        assert_eq!(got, [(Some("2.2"), 2), (Some("E2.2"), 1), (None, 1)]);
        assert_eq!(s.total.incidents, 3);
        assert_eq!(s.total.notifiable, 2);
        assert_eq!(s.total.not_notifiable, 1);
    }

    #[test]
    fn two_causes_under_one_duty_holder_count_once_there() {
        let places = Places::new();
        let mut t = Tally::new(&[Field::CauseTier1, Field::CauseTier2], &places);
        t.add(&row(
            "2025-05-01",
            "",
            "operator.identification.wrong-patient operator.identification.other referrer.referral.wrong-patient",
        ));
        let s = t.finish(date("2025-04-01"), date("2026-03-31"));
        let got: Vec<(Option<&str>, Option<&str>, u64)> = s
            .groups
            .iter()
            .map(|g| {
                (
                    g.value(Field::CauseTier1),
                    g.value(Field::CauseTier2),
                    g.counts.incidents,
                )
            })
            .collect();
        // The tiers of a group come from one cause; the two operator
        // causes count once.
        assert_eq!(
            got,
            [
                (Some("operator"), Some("operator.identification"), 1),
                (Some("referrer"), Some("referrer.referral"), 1),
            ]
        );
    }

    #[test]
    fn the_json_has_the_documented_shape() {
        let mut places = Places::new();
        places.insert(7, ("North site".into(), "CT".into()));
        let mut t = Tally::new(&[Field::Department, Field::Month], &places);
        let mut r = row("2025-06-30", "2.2", "");
        r.department = Some(7);
        r.exposure = ExposureKind::None;
        t.add(&r);
        let s = t.finish(date("2025-04-01"), date("2026-03-31"));
        let json = serde_json::to_value(&s).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "from": "2025-04-01", "to": "2026-03-31", "by": ["department", "month"],
                "groups": [{"key": {"department": "CT", "month": "2025-06"},
                    "incidents": 1, "notifiable": 1, "voluntary": 0, "undetermined": 0,
                    "not_notifiable": 0, "out_of_scope": 0, "near_misses": 1}],
                "total": {"incidents": 1, "notifiable": 1, "voluntary": 0, "undetermined": 0,
                    "not_notifiable": 0, "out_of_scope": 0, "near_misses": 1}
            })
        );
    }

    #[test]
    fn a_financial_year_runs_from_april_to_march() {
        let (from, to) = financial_year(2025).expect("a year");
        assert_eq!(
            (from.to_string(), to.to_string()),
            ("2025-04-01".into(), "2026-03-31".into())
        );
        assert_eq!(financial_year(-3), None);
        assert_eq!(months(from, to).len(), 12);
        assert_eq!(
            months(date("2025-12-15"), date("2026-01-01")),
            ["2025-12", "2026-01"]
        );
    }

    #[test]
    fn trends_fill_the_months_without_incidents() {
        let places = Places::new();
        let mut t = Tally::new(&[Field::Month], &places);
        t.add(&row("2025-04-03", "", ""));
        t.add(&row("2025-04-09", "", ""));
        t.add(&row("2025-06-01", "", ""));
        let s = t.finish(date("2025-04-01"), date("2025-07-31"));
        let trends = trends(&s);
        assert_eq!(trends.len(), 1);
        assert_eq!(trends[0].chart.points, [2, 0, 1, 0]);
        assert_eq!(
            trends[0].months,
            ["2025-04", "2025-05", "2025-06", "2025-07"]
        );
    }
}
