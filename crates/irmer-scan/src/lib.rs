//! irmer-scan: finds, in free text, what identifies a person, so that
//! nothing meant for an authority or for sharing carries it.
//!
//! It finds NHS numbers (England, Wales, Isle of Man), CHI numbers
//! (Scotland) and Health and Care numbers (Northern Ireland): ten digits in
//! any spacing with a valid modulus-11 check digit, told apart by their
//! ranges; dates of birth (a date after "DOB", "date of birth", "born", or
//! any date equal to a recorded person's); UK postcodes; UK telephone
//! numbers and extensions; e-mail addresses; local hospital numbers (masks
//! set by the administrator); the names recorded on the incident, in any
//! case or order; and names after a title (Mr, Mrs, Ms, Miss, Mx, Dr,
//! Prof…). It leaves alone what a report needs: doses ("0.3 mSv",
//! "66 Gy"), incident dates, codes ("4.2b"), equipment and room names
//! ("CT2", "Linac 4", "MR scanner": "MR" and "DR" in capitals are
//! modalities, not titles).
//!
//! One pass over the text, no regular expressions, no allocation per word
//! unless names are recorded. [`Scanner::redact`] replaces each finding
//! consistently: a recorded person by their role ("[patient]",
//! "[radiographer 1]"), an unrecorded titled name by "[person 1]", any
//! other identifier by its kind ("[NHS number]").

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

mod detect;
mod fold;
mod health;

pub use health::{HealthNumber, check_digit_ok, classify};

/// What a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    NhsNumber,
    ChiNumber,
    HealthAndCareNumber,
    DateOfBirth,
    Postcode,
    Telephone,
    Email,
    HospitalNumber,
    /// A name recorded on the incident (the patient's, a member of staff's).
    RecordedName,
    /// A name after a title, not recorded on the incident.
    TitledName,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::NhsNumber => "nhs-number",
            Kind::ChiNumber => "chi-number",
            Kind::HealthAndCareNumber => "hc-number",
            Kind::DateOfBirth => "date-of-birth",
            Kind::Postcode => "postcode",
            Kind::Telephone => "telephone",
            Kind::Email => "email",
            Kind::HospitalNumber => "hospital-number",
            Kind::RecordedName => "recorded-name",
            Kind::TitledName => "titled-name",
        }
    }

    /// In words, as a person reads it.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::NhsNumber => "NHS number",
            Kind::ChiNumber => "CHI number",
            Kind::HealthAndCareNumber => "Health and Care number",
            Kind::DateOfBirth => "date of birth",
            Kind::Postcode => "postcode",
            Kind::Telephone => "telephone number",
            Kind::Email => "e-mail address",
            Kind::HospitalNumber => "hospital number",
            Kind::RecordedName => "name recorded on the incident",
            Kind::TitledName => "name after a title",
        }
    }

    /// What a redaction writes in its place (for kinds not redacted by
    /// role).
    fn placeholder(self) -> &'static str {
        match self {
            Kind::NhsNumber => "[NHS number]",
            Kind::ChiNumber => "[CHI number]",
            Kind::HealthAndCareNumber => "[H&C number]",
            Kind::DateOfBirth => "[date of birth]",
            Kind::Postcode => "[postcode]",
            Kind::Telephone => "[telephone]",
            Kind::Email => "[e-mail]",
            Kind::HospitalNumber => "[hospital number]",
            Kind::RecordedName | Kind::TitledName => "[name]",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A person recorded on the incident, whose name and date of birth are
/// looked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// "patient", or the member of staff's role ("radiographer",
    /// "referrer"…): what a redaction writes.
    pub role: String,
    /// The name as recorded ("Jane Q. Smith", "SMITH, Jane"); may be empty
    /// when a date of birth is given.
    pub name: String,
    /// (year, month, day).
    pub date_of_birth: Option<(i32, u8, u8)>,
}

/// What to look for beyond the fixed kinds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rules {
    /// Local hospital number masks: `#` a digit, `@` a letter, anything
    /// else itself (letters in any case). For example `RXH#######`.
    pub hospital_numbers: Vec<String>,
    /// Hospital numbers known exactly (the patient's, as recorded): found
    /// as written, letters in any case.
    pub known_numbers: Vec<String>,
    pub people: Vec<Person>,
}

/// A rule that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    pub field: String,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for RuleError {}

/// One identifier found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub kind: Kind,
    /// Byte range in the text scanned.
    pub range: Range<usize>,
    /// 1-based line and column (in characters).
    pub line: usize,
    pub column: usize,
    /// The recorded person it names (an index into `Rules::people`).
    pub person: Option<usize>,
}

/// A text with its identifiers replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redacted {
    pub text: String,
    /// What was replaced, with ranges in the original text.
    pub findings: Vec<Finding>,
}

/// A mask for a local hospital number.
#[derive(Clone, Debug)]
pub(crate) struct Mask(Vec<u8>);

/// One part of a recorded name, lower-cased.
#[derive(Clone, Debug)]
pub(crate) struct NamePart {
    pub person: usize,
    /// The family name (the last word, or the word before a comma) is
    /// found alone in any case; a given name alone only when capitalised,
    /// since many are also words ("May", "Will").
    pub family: bool,
}

/// The scanner, built once from the rules and used on any number of texts.
#[derive(Clone, Debug)]
pub struct Scanner {
    pub(crate) masks: Vec<Mask>,
    pub(crate) people: Vec<Person>,
    pub(crate) parts: HashMap<String, Vec<NamePart>>,
    /// The shortest and longest name part, in bytes.
    pub(crate) part_len: (usize, usize),
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner {
            masks: Vec::new(),
            people: Vec::new(),
            parts: HashMap::new(),
            part_len: (usize::MAX, 0),
        }
    }
}

impl Scanner {
    pub fn new(rules: &Rules) -> Result<Scanner, RuleError> {
        let mut s = Scanner::default();
        for (i, m) in rules.hospital_numbers.iter().enumerate() {
            let m = m.trim();
            let field = format!("hospital_numbers[{i}]");
            if m.len() < 4 || !m.is_ascii() {
                return Err(RuleError {
                    field,
                    message: format!(
                        "{m:?}: a mask is at least 4 ASCII characters (# a digit, @ a letter), for example RXH#######"
                    ),
                });
            }
            if m.bytes().filter(|b| *b == b'#' || *b == b'@').count() < 3 {
                return Err(RuleError {
                    field,
                    message: format!(
                        "{m:?}: a mask needs at least 3 # or @, or it would match ordinary words"
                    ),
                });
            }
            s.masks.push(Mask(m.as_bytes().to_vec()));
        }
        for (i, n) in rules.known_numbers.iter().enumerate() {
            // As recorded, spaces and hyphens aside (they are read
            // between any two characters, as with a mask).
            let n: String = n.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
            if n.len() < 4 || !n.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(RuleError {
                    field: format!("known_numbers[{i}]"),
                    message: format!("{n:?}: a hospital number is at least 4 letters and digits"),
                });
            }
            // Letters and digits only: as a mask, each matches itself.
            s.masks.push(Mask(n.as_bytes().to_vec()));
            // Its digits alone, when letters lead six or more digits
            // ("RXH1234567" written "1234567").
            let digits = n.trim_start_matches(|c: char| c.is_ascii_alphabetic());
            if digits.len() >= 6
                && digits.len() < n.len()
                && digits.bytes().all(|b| b.is_ascii_digit())
            {
                s.masks.push(Mask(digits.as_bytes().to_vec()));
            }
        }
        for (i, p) in rules.people.iter().enumerate() {
            let words = name_words(&p.name);
            if words.is_empty() && p.date_of_birth.is_none() {
                return Err(RuleError {
                    field: format!("people[{i}].name"),
                    message: "a recorded name needs at least one word of 2 letters or more".into(),
                });
            }
            if words.is_empty() {
                // A date of birth alone.
                continue;
            }
            let family = family_word(&p.name, &words);
            for w in &words {
                let lower = w.to_lowercase();
                s.part_len.0 = s.part_len.0.min(lower.len());
                s.part_len.1 = s.part_len.1.max(lower.len());
                s.parts.entry(lower.clone()).or_default().push(NamePart {
                    person: i,
                    family: Some(lower.as_str()) == family.as_deref(),
                });
            }
        }
        s.people = rules.people.clone();
        Ok(s)
    }

    /// Every identifier in the text, in order, none overlapping. The text
    /// is read folded (compatibility forms, format characters, Unicode
    /// spaces: see `fold`); the ranges are in the text as given.
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        let mut found = match fold::fold(text) {
            None => detect::scan(self, text),
            Some(folded) => {
                let mut found = detect::scan(self, &folded.text);
                for f in &mut found {
                    f.range = folded.original(f.range.clone());
                }
                found
            }
        };
        locate(text, &mut found);
        found
    }

    /// The text with every identifier replaced: a recorded person by role
    /// (numbered per role when several share it: "[radiographer 1]"), an
    /// unrecorded titled name by "[person N]" (the same name, the same N),
    /// anything else by its kind.
    pub fn redact(&self, text: &str) -> Redacted {
        let findings = self.scan(text);
        let labels = self.role_labels();
        let mut strangers: HashMap<String, usize> = HashMap::new();
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for f in &findings {
            out.push_str(&text[at..f.range.start]);
            match (f.kind, f.person) {
                (_, Some(p)) => out.push_str(&labels[p]),
                (Kind::TitledName, None) => {
                    let key = stranger_key(&text[f.range.clone()]);
                    let next = strangers.len() + 1;
                    let n = *strangers.entry(key).or_insert(next);
                    out.push_str(&format!("[person {n}]"));
                }
                (kind, None) => out.push_str(kind.placeholder()),
            }
            at = f.range.end;
        }
        out.push_str(&text[at..]);
        Redacted {
            text: out,
            findings,
        }
    }

    /// "[patient]", "[radiographer 1]"…: one label a recorded person.
    fn role_labels(&self) -> Vec<String> {
        let mut count: HashMap<String, usize> = HashMap::new();
        for p in &self.people {
            *count.entry(p.role.trim().to_lowercase()).or_default() += 1;
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        self.people
            .iter()
            .map(|p| {
                let role = p.role.trim().to_lowercase();
                let role = if role.is_empty() {
                    "person".to_owned()
                } else {
                    role
                };
                let n = seen.entry(role.clone()).or_default();
                *n += 1;
                if count.get(&role).copied().unwrap_or(0) > 1 || role != "patient" {
                    format!("[{role} {n}]")
                } else {
                    format!("[{role}]")
                }
            })
            .collect()
    }
}

/// The words of a name that are looked for: 2 letters or more (initials
/// alone would match too much), without titles.
fn name_words(name: &str) -> Vec<&str> {
    name.split(|c: char| !(c.is_alphabetic() || c == '\'' || c == '-'))
        .map(|w| w.trim_matches(|c| c == '\'' || c == '-'))
        .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
        .filter(|w| !detect::is_title(w.trim_end_matches('.')))
        .collect()
}

/// The family name, lower-cased: the word before a comma ("SMITH, Jane"),
/// else the last word.
fn family_word(name: &str, words: &[&str]) -> Option<String> {
    let family = match name.split_once(',') {
        Some((before, _)) => name_words(before).last().copied(),
        None => words.last().copied(),
    };
    family.map(str::to_lowercase)
}

/// The same unrecorded person however their title and case are written.
fn stranger_key(text: &str) -> String {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == '.')
        .filter(|w| !w.is_empty() && !detect::is_title(w))
        .map(str::to_lowercase)
        .collect();
    words.join(" ")
}

/// Fills in each finding's line and column.
fn locate(text: &str, found: &mut [Finding]) {
    let mut line = 1;
    let mut line_start = 0;
    let mut at = 0;
    for f in found.iter_mut() {
        for (i, b) in text.as_bytes()[at..f.range.start].iter().enumerate() {
            if *b == b'\n' {
                line += 1;
                line_start = at + i + 1;
            }
        }
        at = f.range.start;
        f.line = line;
        f.column = text[line_start..f.range.start].chars().count() + 1;
    }
}
