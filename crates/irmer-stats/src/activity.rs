//! Activity (examinations or treatments per modality, as the national
//! Diagnostic Imaging Dataset counts them) and what it makes possible:
//! incidents per 10,000 examinations, and the low-reporting flags the CQC
//! now looks for (a modality whose rate is well below the organisation's
//! own, or a modality or department that reported nothing for months).
//!
//! An administrator enters activity one line an entry: the modality, a
//! month (`2025-04`) or a financial year (`2025`, 1 April 2025 to 31 March
//! 2026) and the number, e.g. `ct 2025-04 1520`. A rate is given only for
//! a period the activity covers whole (every month of it entered, by
//! month or by year); otherwise none, rather than a rate from part of it.
//! Rates are worked in integers and rounded half up to one decimal place.

use std::collections::BTreeMap;

use irmer_core::incident::{CivilDate, Modality};

/// The setting that holds the activity text.
pub const SETTING: &str = "activity";
/// The most lines an activity text may hold.
pub const MOST_LINES: usize = 5_000;
/// The most examinations one entry may count.
pub const MOST_EXAMINATIONS: u64 = 100_000_000;

/// The months an entry counts: one, or the twelve of a financial year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Span {
    Month { year: i32, month: u8 },
    FinancialYear(i32),
}

impl Span {
    /// Month indexes (year × 12 + month − 1) it covers.
    fn months(self) -> std::ops::Range<i32> {
        match self {
            Span::Month { year, month } => {
                let i = year * 12 + i32::from(month) - 1;
                i..i + 1
            }
            Span::FinancialYear(year) => {
                let i = year * 12 + 3;
                i..i + 12
            }
        }
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Span::Month { year, month } => write!(f, "{year}-{month:02}"),
            Span::FinancialYear(year) => write!(f, "{year}"),
        }
    }
}

/// One line of activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub modality: Modality,
    pub span: Span,
    pub examinations: u64,
}

/// The activity entered, in the order given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Activity {
    pub entries: Vec<Entry>,
}

/// What is wrong with one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

fn span_of(text: &str) -> Option<Span> {
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    match text.split_once('-') {
        Some((y, m)) if y.len() == 4 && m.len() == 2 && digits(y) && digits(m) => {
            let (year, month) = (y.parse().ok()?, m.parse().ok()?);
            ((1900..=2999).contains(&year) && (1..=12).contains(&month))
                .then_some(Span::Month { year, month })
        }
        None if text.len() == 4 && digits(text) => {
            let year = text.parse().ok()?;
            (1900..=2998)
                .contains(&year)
                .then_some(Span::FinancialYear(year))
        }
        _ => None,
    }
}

impl Activity {
    /// Reads the text, every line checked: blank lines and `#` comments
    /// are skipped; each error names its line. A month counted twice (by
    /// two lines, or by a month and its year) is refused.
    pub fn parse(text: &str) -> Result<Activity, Vec<LineError>> {
        let mut entries = Vec::new();
        let mut errors = Vec::new();
        let mut covered: BTreeMap<(Modality, i32), usize> = BTreeMap::new();
        for (n, raw) in text.lines().enumerate() {
            let line = n + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            if line > MOST_LINES {
                errors.push(LineError {
                    line,
                    message: format!("at most {MOST_LINES} lines"),
                });
                break;
            }
            let mut fail = |message: String| errors.push(LineError { line, message });
            let parts: Vec<&str> = trimmed.split_whitespace().collect();
            let [modality, span, count] = parts[..] else {
                fail(format!(
                    "expected a modality, a month or a financial year and a number (ct 2025-04 1520), found {trimmed:?}"
                ));
                continue;
            };
            let Some(modality) = Modality::parse(modality) else {
                fail(format!(
                    "{modality:?} is not a modality; expected one of {}",
                    Modality::ALL
                        .iter()
                        .map(|m| m.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                continue;
            };
            let Some(span) = span_of(span) else {
                fail(format!(
                    "{span:?} is not a month (2025-04) or a financial year (2025)"
                ));
                continue;
            };
            let Some(examinations) = count
                .parse::<u64>()
                .ok()
                .filter(|c| *c <= MOST_EXAMINATIONS)
            else {
                fail(format!(
                    "{count:?} is not a whole number of examinations from 0 to {MOST_EXAMINATIONS}"
                ));
                continue;
            };
            if let Some(first) = span
                .months()
                .find_map(|m| covered.get(&(modality, m)).copied())
            {
                fail(format!(
                    "{} {span} counts a month already counted on line {first}",
                    modality.as_str()
                ));
                continue;
            }
            for m in span.months() {
                covered.insert((modality, m), line);
            }
            entries.push(Entry {
                modality,
                span,
                examinations,
            });
        }
        if errors.is_empty() {
            Ok(Activity { entries })
        } else {
            Err(errors)
        }
    }

    /// The examinations of `modality` from `from` to `to`, when the
    /// activity covers every month of it and the period is whole months
    /// (`None` otherwise).
    pub fn examinations(&self, modality: Modality, from: CivilDate, to: CivilDate) -> Option<u64> {
        let (f, t) = (from.date(), to.date());
        let whole = f.day() == 1 && t.day() == t.month().length(t.year());
        if !whole || from > to {
            return None;
        }
        let first = f.year() * 12 + i32::from(u8::from(f.month())) - 1;
        let last = t.year() * 12 + i32::from(u8::from(t.month())) - 1;
        let mut total = 0u64;
        let mut months = 0;
        for e in self.entries.iter().filter(|e| e.modality == modality) {
            let span = e.span.months();
            if span.start >= first && span.end <= last + 1 {
                total += e.examinations;
                months += span.len();
            } else if span.start <= last && span.end > first {
                // A year reaching outside the period: not divisible.
                return None;
            }
        }
        (months == usize::try_from(last - first + 1).ok()?).then_some(total)
    }

    /// The modalities with any activity entered.
    pub fn modalities(&self) -> Vec<Modality> {
        let mut m: Vec<Modality> = self.entries.iter().map(|e| e.modality).collect();
        m.sort_by_key(|m| m.as_str());
        m.dedup();
        m
    }
}

/// A rate per 10,000, in tenths, rounded half up (`None` without
/// activity): 3 incidents in 12,000 examinations is 2.5.
pub fn per_10000_tenths(incidents: u64, examinations: u64) -> Option<u64> {
    if examinations == 0 {
        return None;
    }
    let scaled = u128::from(incidents) * 100_000;
    let e = u128::from(examinations);
    u64::try_from((scaled * 2 + e) / (2 * e)).ok()
}

/// Tenths as a number to read (`25` → `2.5`).
pub fn tenths(t: u64) -> String {
    format!("{}.{}", t / 10, t % 10)
}

/// A modality's figures for the low-reporting check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub modality: Modality,
    pub incidents: u64,
    pub examinations: u64,
}

/// Modalities whose rate is below half the organisation's own (over the
/// modalities with activity): "well below". Compared exactly:
/// i / e < ½ × I / E  ⟺  2·i·E < I·e.
pub fn well_below(rates: &[Rate]) -> Vec<Modality> {
    let total_i: u128 = rates.iter().map(|r| u128::from(r.incidents)).sum();
    let total_e: u128 = rates.iter().map(|r| u128::from(r.examinations)).sum();
    if total_e == 0 || total_i == 0 || rates.len() < 2 {
        return Vec::new();
    }
    rates
        .iter()
        .filter(|r| r.examinations > 0)
        .filter(|r| 2 * u128::from(r.incidents) * total_e < total_i * u128::from(r.examinations))
        .map(|r| r.modality)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(t: &str) -> CivilDate {
        CivilDate::parse(t).expect("date")
    }

    #[test]
    fn lines_are_read_and_each_error_named() {
        let a = Activity::parse("# CT\nct 2025-04 1520\n\nct 2025-05 1480\ndental 2025 9000\n")
            .expect("valid");
        assert_eq!(a.entries.len(), 3);
        let e = Activity::parse(
            "ct 2025-13 10\nxray 2025-04 10\nct 2025-04\nct 2025-04 -3\nct 2025-04 5\nct 2025 60\n",
        )
        .expect_err("bad lines");
        let lines: Vec<usize> = e.iter().map(|e| e.line).collect();
        assert_eq!(lines, [1, 2, 3, 4, 6], "{e:?}");
        assert!(e[0].message.contains("\"2025-13\" is not a month"));
        assert!(e[1].message.contains("\"xray\" is not a modality"));
        assert!(e[4].message.contains("already counted on line 5"), "{e:?}");
    }

    #[test]
    fn examinations_only_for_a_period_covered_whole() {
        let a = Activity::parse("ct 2025-04 100\nct 2025-05 200\ndental 2025 1200").expect("valid");
        let ct = Modality::parse("ct").expect("ct");
        let dental = Modality::parse("dental").expect("dental");
        assert_eq!(
            a.examinations(ct, d("2025-04-01"), d("2025-05-31")),
            Some(300)
        );
        assert_eq!(a.examinations(ct, d("2025-04-01"), d("2025-06-30")), None);
        assert_eq!(a.examinations(ct, d("2025-04-01"), d("2025-05-30")), None);
        assert_eq!(
            a.examinations(dental, d("2025-04-01"), d("2026-03-31")),
            Some(1200)
        );
        // Part of a year cannot be divided out of it.
        assert_eq!(
            a.examinations(dental, d("2025-04-01"), d("2025-04-30")),
            None
        );
    }

    #[test]
    fn rates_are_exact_and_rounded_half_up() {
        assert_eq!(per_10000_tenths(3, 12_000), Some(25));
        assert_eq!(per_10000_tenths(1, 80_000), Some(1)); // 0.125 → 0.1
        assert_eq!(per_10000_tenths(1, 40_000), Some(3)); // 0.25 → 0.3
        assert_eq!(per_10000_tenths(1, 0), None);
        assert_eq!(tenths(25), "2.5");
    }

    #[test]
    fn well_below_is_under_half_the_organisations_rate() {
        let m = |t| Modality::parse(t).expect("modality");
        // Organisation: 30 in 30,000 (10 per 10,000). CT: 1 in 10,000 is
        // well below; dental exactly half (5 in 10,000) is not.
        let rates = [
            Rate {
                modality: m("ct"),
                incidents: 1,
                examinations: 10_000,
            },
            Rate {
                modality: m("dental"),
                incidents: 5,
                examinations: 10_000,
            },
            Rate {
                modality: m("fluoroscopy"),
                incidents: 24,
                examinations: 10_000,
            },
        ];
        assert_eq!(well_below(&rates), [m("ct")]);
        assert!(
            well_below(&rates[..1]).is_empty(),
            "no organisation to compare"
        );
    }
}
