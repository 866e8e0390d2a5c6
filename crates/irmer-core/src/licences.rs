//! ARSAC licences (IR(ME)R regulation 5): an employer needs one for each
//! medical radiological installation where radioactive substances are
//! administered, and a practitioner one to justify their administration.
//! Each licence names the procedures or radioactive substances it covers
//! and runs for up to five years.
//!
//! Pure: a licence read and checked ([`Licence::check`], the CSV lines of
//! a register [`read_csv`], each bad line named), whether an
//! administration was covered on its date ([`covered`]), and when to
//! remind before expiry ([`reminders`]: 14 and 8 weeks before, a renewal
//! taking 6 to 8 weeks).

use crate::incident::CivilDate;

/// Whose licence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Holder {
    /// An employer's, for an installation (a site).
    Employer,
    /// A practitioner's.
    Practitioner,
}

impl Holder {
    pub const fn as_str(self) -> &'static str {
        match self {
            Holder::Employer => "employer",
            Holder::Practitioner => "practitioner",
        }
    }

    pub fn parse(text: &str) -> Option<Holder> {
        [Holder::Employer, Holder::Practitioner]
            .into_iter()
            .find(|h| h.as_str() == text)
    }
}

/// Whose licence was missing, as a licensing breach form asks it.
pub const BREACH_HOLDERS: &[(&str, &str)] = &[
    ("employer", "The employer's licence (for the installation)"),
    ("practitioner", "A practitioner's licence"),
    ("both", "Both"),
];

/// What a licensing breach was, as the form asks it.
pub const BREACH_KINDS: &[(&str, &str)] = &[
    ("no-licence", "No licence was held"),
    ("expired", "The licence had expired"),
    (
        "not-covered",
        "The licence did not cover the procedure or radioactive substance",
    ),
    ("other", "Something else"),
];

/// A licence as the register keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Licence {
    pub holder: Holder,
    /// The practitioner's name, or the employer's.
    pub name: String,
    /// The installation (site) it is for.
    pub site: String,
    pub number: String,
    /// The procedures or radioactive substances it covers, as ARSAC
    /// writes them (compared without regard to case or spacing).
    pub covers: Vec<String>,
    pub start: CivilDate,
    pub expiry: CivilDate,
}

/// The longest an ARSAC licence runs.
pub const YEARS_MAX: i32 = 5;

/// Why a licence was refused: the field and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LicenceRefused {
    pub field: &'static str,
    pub message: String,
}

fn refused(field: &'static str, message: impl Into<String>) -> LicenceRefused {
    LicenceRefused {
        field,
        message: message.into(),
    }
}

/// The words of a procedure or substance, compared: lower case, single
/// spaces.
fn key(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl Licence {
    /// Every rule: the texts present and not too long, at least one
    /// procedure, the expiry after the start and at most five years on.
    pub fn check(&self) -> Result<(), LicenceRefused> {
        for (field, text) in [
            ("holder", self.name.as_str()),
            ("site", self.site.as_str()),
            ("number", self.number.as_str()),
        ] {
            if text.trim().is_empty() {
                return Err(refused(field, "required, but empty"));
            }
            if text.chars().count() > 200 {
                return Err(refused(field, "at most 200 characters"));
            }
        }
        if self.covers.iter().all(|c| c.trim().is_empty()) {
            return Err(refused(
                "procedures",
                "name at least one procedure or radioactive substance it covers",
            ));
        }
        if self.expiry < self.start {
            return Err(refused(
                "expiry",
                format!(
                    "the expiry ({}) is before the start ({})",
                    self.expiry, self.start
                ),
            ));
        }
        // The same day five years on (28 February for a 29th).
        let s = self.start.date();
        let limit = CivilDate::from_ymd(s.year() + YEARS_MAX, u8::from(s.month()), s.day())
            .or_else(|| {
                CivilDate::from_ymd(s.year() + YEARS_MAX, u8::from(s.month()), s.day() - 1)
            });
        if limit.is_some_and(|l| self.expiry > l) {
            return Err(refused(
                "expiry",
                format!("an ARSAC licence runs for at most {YEARS_MAX} years"),
            ));
        }
        Ok(())
    }

    /// Whether it was valid on `day` (from its start to its expiry, both
    /// included) and covers `what`.
    /// Whether this licence renews `older`: the same holder at the same
    /// site, expiring later, and covering everything `older` covered (an
    /// employer may hold several licences at one site for different
    /// procedures; one does not renew another).
    pub fn renews(&self, older: &Licence) -> bool {
        self.holder == older.holder
            && key(&self.name) == key(&older.name)
            && key(&self.site) == key(&older.site)
            && self.expiry > older.expiry
            && older
                .covers
                .iter()
                .all(|c| self.covers.iter().any(|n| key(n) == key(c)))
    }

    pub fn covers_on(&self, what: &str, day: CivilDate) -> bool {
        let wanted = key(what);
        self.start <= day
            && day <= self.expiry
            && self.covers.iter().any(|c| {
                let c = key(c);
                !c.is_empty() && (c == wanted || wanted.contains(&c))
            })
    }
}

/// What an administration on `day` at `site` of `what` lacked: the
/// employer's licence for the site, and a practitioner's (any); empty when
/// both were held.
pub fn covered(licences: &[Licence], site: &str, what: &str, day: CivilDate) -> Vec<Holder> {
    let site = key(site);
    let mut missing = Vec::new();
    if !licences
        .iter()
        .any(|l| l.holder == Holder::Employer && key(&l.site) == site && l.covers_on(what, day))
    {
        missing.push(Holder::Employer);
    }
    if !licences
        .iter()
        .any(|l| l.holder == Holder::Practitioner && l.covers_on(what, day))
    {
        missing.push(Holder::Practitioner);
    }
    missing
}

/// The days to remind of an expiry: 14 and 8 weeks before it.
pub fn reminders(expiry: CivilDate) -> [CivilDate; 2] {
    let back = |weeks: i64| {
        let d = expiry.date() - time::Duration::weeks(weeks);
        CivilDate::from_ymd(d.year(), u8::from(d.month()), d.day()).unwrap_or(expiry)
    };
    [back(14), back(8)]
}

/// A register's CSV: `holder,name,site,number,procedures,start,expiry`
/// (a header line first; `procedures` separated by `;`; dates
/// YYYY-MM-DD; a field with a comma in double quotes). Every line read, or
/// every bad line named with its field.
pub fn read_csv(text: &str) -> Result<Vec<Licence>, Vec<(usize, String)>> {
    const HEADER: [&str; 7] = [
        "holder",
        "name",
        "site",
        "number",
        "procedures",
        "start",
        "expiry",
    ];
    let mut lines = text.lines().enumerate();
    let mut errors = Vec::new();
    match lines.next() {
        Some((_, h))
            if split(h)
                .iter()
                .map(|f| f.trim().to_lowercase())
                .eq(HEADER.iter().map(|s| s.to_string())) => {}
        _ => {
            return Err(vec![(
                1,
                format!("the first line must be the header {}", HEADER.join(",")),
            )]);
        }
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let fields = split(line);
        if fields.len() != HEADER.len() {
            errors.push((
                n,
                format!("expected {} fields, found {}", HEADER.len(), fields.len()),
            ));
            continue;
        }
        let date = |i: usize| CivilDate::parse(fields[i].trim());
        let Some(holder) = Holder::parse(fields[0].trim()) else {
            errors.push((n, "holder: expected employer or practitioner".into()));
            continue;
        };
        let (Some(start), Some(expiry)) = (date(5), date(6)) else {
            errors.push((n, "start, expiry: expected dates, YYYY-MM-DD".into()));
            continue;
        };
        let licence = Licence {
            holder,
            name: fields[1].trim().to_owned(),
            site: fields[2].trim().to_owned(),
            number: fields[3].trim().to_owned(),
            covers: fields[4]
                .split(';')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect(),
            start,
            expiry,
        };
        match licence.check() {
            Ok(()) => out.push(licence),
            Err(e) => errors.push((n, format!("{}: {}", e.field, e.message))),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn push(fields: &mut [String], c: char) {
    if let Some(f) = fields.last_mut() {
        f.push(c);
    }
}

/// A CSV line's fields (double quotes around a field with a comma; `""`
/// inside for a quote).
fn split(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                push(&mut fields, '"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => push(&mut fields, c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> CivilDate {
        CivilDate::parse(s).expect("date")
    }

    const CSV: &str = "holder,name,site,number,procedures,start,expiry\n\
        employer,Northshire Hospitals NHS Trust,Royal Infirmary,E-1234,Tc-99m MDP; F-18 FDG,2024-01-01,2028-12-31\n\
        practitioner,Dr A Consultant,Royal Infirmary,P-5678,Tc-99m MDP,2022-06-01,2027-05-31\n";

    #[test]
    fn a_register_is_read_and_an_administration_checked() {
        let all = read_csv(CSV).expect("read");
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].covers, ["Tc-99m MDP", "F-18 FDG"]);
        // Both held: nothing missing (case and spacing aside).
        assert!(covered(&all, "royal infirmary", "tc-99m  mdp", d("2026-03-01")).is_empty());
        // FDG: the practitioner's does not cover it.
        assert_eq!(
            covered(&all, "Royal Infirmary", "F-18 FDG", d("2026-03-01")),
            [Holder::Practitioner]
        );
        // Another site: the employer's is for the Royal Infirmary only.
        assert_eq!(
            covered(&all, "General Hospital", "Tc-99m MDP", d("2026-03-01")),
            [Holder::Employer]
        );
        // After the practitioner's expiry, before the employer's start.
        assert_eq!(
            covered(&all, "Royal Infirmary", "Tc-99m MDP", d("2027-06-01")),
            [Holder::Practitioner]
        );
        assert_eq!(
            covered(&all, "Royal Infirmary", "Tc-99m MDP", d("2023-12-31")),
            [Holder::Employer]
        );
        // The expiry day itself is covered.
        assert!(covered(&all, "Royal Infirmary", "Tc-99m MDP", d("2027-05-31")).is_empty());
    }

    #[test]
    fn a_licence_is_renewed_only_by_one_covering_what_it_covered() {
        let all = read_csv(
            "holder,name,site,number,procedures,start,expiry\n\
             employer,Trust,Royal Infirmary,E-1,Tc-99m MDP; F-18 FDG,2022-01-01,2026-05-20\n\
             employer,trust,royal  infirmary,E-9,tc-99m mdp;F-18 FDG;I-131,2026-05-01,2031-04-30\n\
             employer,Trust,Royal Infirmary,E-2,Tc-99m MDP,2026-05-01,2031-04-30\n\
             employer,Trust,General Hospital,E-3,Tc-99m MDP; F-18 FDG,2026-05-01,2031-04-30\n",
        )
        .expect("read");
        assert!(
            all[1].renews(&all[0]),
            "the same holder and site, case and spacing aside, covering more"
        );
        assert!(!all[2].renews(&all[0]), "FDG not covered");
        assert!(!all[3].renews(&all[0]), "another site");
        assert!(!all[0].renews(&all[1]), "expiring earlier");
    }

    #[test]
    fn every_bad_line_is_named() {
        let bad = "holder,name,site,number,procedures,start,expiry\n\
            nurse,X,Site,N-1,Tc-99m,2024-01-01,2025-01-01\n\
            employer,X,Site,N-2,Tc-99m,2025-01-01,2024-01-01\n\
            employer,X,Site,N-3,,2024-01-01,2025-01-01\n\
            employer,X,Site,N-4,Tc-99m,2024-01-01,2030-01-02\n\
            employer,X,Site,N-5,Tc-99m,2024-01-01\n\
            employer,\"Trust, North\",Site,N-6,Tc-99m,2024-01-01,2029-01-01\n";
        let errors = read_csv(bad).expect_err("refused");
        let lines: Vec<usize> = errors.iter().map(|(n, _)| *n).collect();
        assert_eq!(lines, [2, 3, 4, 5, 6], "{errors:?}");
        assert!(errors[0].1.starts_with("holder"));
        assert!(
            errors[1]
                .1
                .starts_with("expiry: the expiry (2024-01-01) is before the start")
        );
        assert!(errors[2].1.starts_with("procedures"));
        assert!(errors[3].1.contains("at most 5 years"));
        assert!(errors[4].1.contains("expected 7 fields"));
        assert!(read_csv("name,holder\n").is_err());
        let quoted = read_csv(&format!(
            "holder,name,site,number,procedures,start,expiry\n{}",
            "employer,\"Trust, North\",Site,N-6,Tc-99m,2024-01-01,2029-01-01\n"
        ))
        .expect("read");
        assert_eq!(quoted[0].name, "Trust, North");
    }

    #[test]
    fn reminders_come_14_and_8_weeks_before() {
        assert_eq!(
            reminders(d("2027-05-31")),
            [d("2027-02-22"), d("2027-04-05")]
        );
    }
}
