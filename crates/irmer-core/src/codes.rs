//! Notification codes: the criteria of the guidance's table and the
//! complementary letters M, E, V and C.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A notification code 1 to 10: one criterion of the table, in table order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Criterion {
    C1,
    C2_1,
    C2_2,
    C2_3,
    C2_4,
    C3,
    C4_1,
    C4_2a,
    C4_2b,
    C4_2c,
    C5,
    C6,
    C7,
    C8_1,
    C8_2,
    C9_1,
    C9_2,
    C10_1,
    C10_2,
}

impl Criterion {
    /// The table's order.
    pub const ALL: [Criterion; 19] = [
        Criterion::C1,
        Criterion::C2_1,
        Criterion::C2_2,
        Criterion::C2_3,
        Criterion::C2_4,
        Criterion::C3,
        Criterion::C4_1,
        Criterion::C4_2a,
        Criterion::C4_2b,
        Criterion::C4_2c,
        Criterion::C5,
        Criterion::C6,
        Criterion::C7,
        Criterion::C8_1,
        Criterion::C8_2,
        Criterion::C9_1,
        Criterion::C9_2,
        Criterion::C10_1,
        Criterion::C10_2,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Criterion::C1 => "1",
            Criterion::C2_1 => "2.1",
            Criterion::C2_2 => "2.2",
            Criterion::C2_3 => "2.3",
            Criterion::C2_4 => "2.4",
            Criterion::C3 => "3",
            Criterion::C4_1 => "4.1",
            Criterion::C4_2a => "4.2a",
            Criterion::C4_2b => "4.2b",
            Criterion::C4_2c => "4.2c",
            Criterion::C5 => "5",
            Criterion::C6 => "6",
            Criterion::C7 => "7",
            Criterion::C8_1 => "8.1",
            Criterion::C8_2 => "8.2",
            Criterion::C9_1 => "9.1",
            Criterion::C9_2 => "9.2",
            Criterion::C10_1 => "10.1",
            Criterion::C10_2 => "10.2",
        }
    }

    /// The exposure category the guidance's table gives the code (its
    /// "Exposure category" column), for people.
    pub const fn title(self) -> &'static str {
        match self {
            Criterion::C1 => "Accidental exposure",
            Criterion::C2_1 => "Unintended exposure, intended dose less than 0.3 mSv",
            Criterion::C2_2 => "Unintended exposure, intended dose between 0.3 and 2.5 mSv",
            Criterion::C2_3 => "Unintended exposure, intended dose between 2.5 and 10 mSv",
            Criterion::C2_4 => "Unintended exposure, intended dose more than 10 mSv",
            Criterion::C3 => "Interventional or cardiology: observable tissue reaction",
            Criterion::C4_1 => "Radiotherapy planning scans",
            Criterion::C4_2a => "Radiotherapy verification images: 3 or more in a single fraction",
            Criterion::C4_2b => {
                "Radiotherapy verification images: protocol failure over the course"
            }
            Criterion::C4_2c => {
                "Radiotherapy verification images: thematic hardware or software failure over the course"
            }
            Criterion::C5 => "Foetal exposure",
            Criterion::C6 => "Breast-feeding infant (nuclear medicine)",
            Criterion::C7 => "Incorrect radiopharmaceutical",
            Criterion::C8_1 => "Therapy over-exposure",
            Criterion::C8_2 => "Therapy under-exposure",
            Criterion::C9_1 => "Radiotherapy geographical miss, total",
            Criterion::C9_2 => "Radiotherapy geographical miss, partial",
            Criterion::C10_1 => "Selective internal radiation therapy",
            Criterion::C10_2 => "Other nuclear medicine therapy",
        }
    }

    /// Reads `4.2b` (any case).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_lowercase();
        Criterion::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

impl Serialize for Criterion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for Criterion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A complementary code: always entered with the letter plus a category
/// code (`M2.1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Letter {
    /// Several people in one incident, or a theme.
    M,
    /// Equipment was a direct cause.
    E,
    /// Voluntary notification, for learning.
    V,
    /// Clinically significant (CSAUE).
    C,
}

impl Letter {
    /// The guidance's order.
    pub const ALL: [Letter; 4] = [Letter::M, Letter::E, Letter::V, Letter::C];

    pub const fn as_str(self) -> &'static str {
        match self {
            Letter::M => "M",
            Letter::E => "E",
            Letter::V => "V",
            Letter::C => "C",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_uppercase();
        Letter::ALL.into_iter().find(|l| l.as_str() == text)
    }

    /// The guidance's words for the letter.
    pub const fn title(self) -> &'static str {
        match self {
            Letter::M => "Multiple people exposed in one incident, or a theme",
            Letter::E => "Equipment fault exposure",
            Letter::V => "Voluntary notification",
            Letter::C => "Clinically significant",
        }
    }
}

impl NotificationCode {
    /// The code in words: its criterion's category, after its letter's.
    pub fn title(&self) -> String {
        match self {
            NotificationCode::Bare(c) => c.title().to_owned(),
            NotificationCode::Complementary(l, c) => format!("{}: {}", l.title(), c.title()),
        }
    }
}

/// What a criterion entry in an assessment is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CriterionId {
    Code(Criterion),
    Letter(Letter),
}

impl CriterionId {
    /// The guidance's words for the code or the letter.
    pub const fn title(self) -> &'static str {
        match self {
            CriterionId::Code(c) => c.title(),
            CriterionId::Letter(l) => l.title(),
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            CriterionId::Code(c) => c.as_str(),
            CriterionId::Letter(l) => l.as_str(),
        }
    }

    /// Reads `4.2b`, `M`, or a full complementary code such as `M2.1`
    /// (which explains its letter).
    pub fn parse(text: &str) -> Option<Self> {
        if let Some(code) = Criterion::parse(text) {
            return Some(CriterionId::Code(code));
        }
        let text = text.trim();
        let letter = Letter::parse(text.get(..1)?)?;
        let rest = &text[1..];
        (rest.is_empty() || Criterion::parse(rest).is_some()).then_some(CriterionId::Letter(letter))
    }
}

impl Serialize for CriterionId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for CriterionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A code to enter on the notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NotificationCode {
    /// A criterion that is met in its own right.
    Bare(Criterion),
    /// A complementary letter with the category code.
    Complementary(Letter, Criterion),
}

impl fmt::Display for NotificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotificationCode::Bare(c) => f.write_str(c.as_str()),
            NotificationCode::Complementary(l, c) => {
                f.write_str(l.as_str())?;
                f.write_str(c.as_str())
            }
        }
    }
}

impl Serialize for NotificationCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Reads a code from its text with `parse`.
fn from_text<'de, D: Deserializer<'de>, T>(
    deserializer: D,
    parse: fn(&str) -> Option<T>,
    what: &str,
) -> Result<T, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse(&text).ok_or_else(|| serde::de::Error::custom(format!("unknown {what} {text:?}")))
}

impl<'de> Deserialize<'de> for Criterion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        from_text(deserializer, Criterion::parse, "notification code")
    }
}

impl<'de> Deserialize<'de> for CriterionId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        from_text(deserializer, CriterionId::parse, "criterion")
    }
}

impl NotificationCode {
    /// Reads `2.2` or `M2.1`.
    pub fn parse(text: &str) -> Option<Self> {
        if let Some(code) = Criterion::parse(text) {
            return Some(NotificationCode::Bare(code));
        }
        let letter = Letter::parse(text.get(..1)?)?;
        Some(NotificationCode::Complementary(
            letter,
            Criterion::parse(text.get(1..)?)?,
        ))
    }
}

impl<'de> Deserialize<'de> for NotificationCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        from_text(deserializer, NotificationCode::parse, "notification code")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_what_they_print() {
        for c in Criterion::ALL {
            assert_eq!(Criterion::parse(c.as_str()), Some(c));
        }
        assert_eq!(Criterion::parse("4.2B"), Some(Criterion::C4_2b));
        assert_eq!(Criterion::parse("4.3"), None);
        assert_eq!(
            CriterionId::parse("m2.1"),
            Some(CriterionId::Letter(Letter::M))
        );
        assert_eq!(
            CriterionId::parse("C"),
            Some(CriterionId::Letter(Letter::C))
        );
        assert_eq!(CriterionId::parse("X1"), None);
        assert_eq!(CriterionId::parse("M11"), None);
        assert_eq!(
            NotificationCode::Complementary(Letter::E, Criterion::C4_2c).to_string(),
            "E4.2c"
        );
    }
}
