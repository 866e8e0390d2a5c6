//! Who the incident is about, kept apart from its facts.
//!
//! The patient's name, health number (NHS, CHI or H&C), date of birth and
//! hospital number, and the staff involved, are stored in a table of their
//! own, never in the facts, the history, a summary or an export. Only
//! investigators and administrators read or change them; a change is an
//! event in the history that names the fields changed, never their values.
//! The identity is what the identifier scanner looks for in everything
//! that leaves.

use irmer_core::incident::CivilDate;
use irmer_core::parse::InputError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The setting holding the administrator's local hospital number masks,
/// one a line (`#` a digit, `@` a letter).
pub const MASKS_SETTING: &str = "hospital_number_masks";

/// The masks in the setting's text.
pub fn masks_of(setting: Option<&str>) -> Vec<String> {
    setting
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The longest name or number kept (characters).
const LONGEST: usize = 200;
/// The most members of staff recorded on one incident.
const MOST_STAFF: usize = 50;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    #[serde(default)]
    pub patient: Patient,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub staff: Vec<StaffMember>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Patient {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// NHS, CHI or Health and Care number: ten digits, any spacing, a
    /// valid check digit; kept as ten digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_number: Option<String>,
    /// YYYY-MM-DD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
    /// The local hospital number, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hospital_number: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffMember {
    /// What they did: "radiographer", "referrer", "practitioner"… (what a
    /// redaction writes in their place).
    pub role: String,
    pub name: String,
}

fn invalid(field: impl Into<String>, message: impl Into<String>) -> InputError {
    InputError {
        field: field.into(),
        message: message.into(),
        position: None,
    }
}

impl Identity {
    /// Reads and checks an identity from its JSON: unknown fields are
    /// refused by name; every text trimmed, empty ones dropped.
    pub fn from_json(value: &Value) -> Result<Identity, InputError> {
        // Objects as objects: serde would read a struct from an array by
        // position.
        let object = |v: Option<&Value>, field: &str| match v {
            None | Some(Value::Null | Value::Object(_)) => Ok(()),
            Some(other) => Err(invalid(field, format!("expected an object, found {other}"))),
        };
        object(Some(value), "")?;
        object(value.get("patient"), "patient")?;
        if let Some(Value::Array(staff)) = value.get("staff") {
            for (i, member) in staff.iter().enumerate() {
                object(Some(member), &format!("staff[{i}]"))?;
            }
        }
        // `null` is absent, as in the incident's contract.
        let mut value = value.clone();
        // (Known fields only: an unknown one is refused, null or not.)
        if let Value::Object(top) = &mut value {
            top.retain(|k, v| !(v.is_null() && matches!(k.as_str(), "patient" | "staff")));
            if let Some(Value::Object(patient)) = top.get_mut("patient") {
                patient.retain(|k, v| {
                    !(v.is_null()
                        && matches!(
                            k.as_str(),
                            "name" | "health_number" | "date_of_birth" | "hospital_number"
                        ))
                });
            }
        }
        let value = &value;
        let mut id: Identity = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." { String::new() } else { path };
            invalid(field, e.into_inner().to_string())
        })?;
        let p = &mut id.patient;
        for (field, v) in [
            ("patient.name", &mut p.name),
            ("patient.hospital_number", &mut p.hospital_number),
            ("patient.health_number", &mut p.health_number),
            ("patient.date_of_birth", &mut p.date_of_birth),
        ] {
            *v = v
                .take()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty());
            if v.as_ref().is_some_and(|t| t.chars().count() > LONGEST) {
                return Err(invalid(field, format!("at most {LONGEST} characters")));
            }
        }
        // A name must be findable: a word of two letters or more.
        let findable = |name: &str| {
            name.split(|c: char| !c.is_alphabetic())
                .any(|w| w.chars().count() >= 2)
        };
        if p.name.as_deref().is_some_and(|n| !findable(n)) {
            return Err(invalid(
                "patient.name",
                "needs a word of 2 letters or more (initials alone cannot be looked for)",
            ));
        }
        if let Some(n) = &p.health_number {
            let digits: String = n.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
            let ten: Option<[u8; 10]> = (digits.len() == 10
                && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| {
                digits
                    .bytes()
                    .map(|b| b - b'0')
                    .collect::<Vec<_>>()
                    .try_into()
                    .ok()
            })
            .flatten();
            match ten {
                Some(ten) if irmer_scan::check_digit_ok(&ten) => p.health_number = Some(digits),
                Some(_) => {
                    return Err(invalid(
                        "patient.health_number",
                        format!(
                            "{n:?}: the check digit is wrong (a mistyped NHS, CHI or H&C number)"
                        ),
                    ));
                }
                None => {
                    return Err(invalid(
                        "patient.health_number",
                        format!(
                            "{n:?}: expected ten digits (spaces allowed), an NHS, CHI or H&C number"
                        ),
                    ));
                }
            }
        }
        if let Some(n) = &p.hospital_number {
            let kept: String = n.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
            if kept.len() < 4 || kept.len() > 20 || !kept.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(invalid(
                    "patient.hospital_number",
                    format!(
                        "{n:?}: expected 4 to 20 letters and digits (spaces and hyphens are dropped)"
                    ),
                ));
            }
            p.hospital_number = Some(kept);
        }
        if let Some(d) = &p.date_of_birth {
            if CivilDate::parse(d).is_none() {
                return Err(invalid(
                    "patient.date_of_birth",
                    format!("{d:?}: expected a date as YYYY-MM-DD"),
                ));
            }
        }
        if id.staff.len() > MOST_STAFF {
            return Err(invalid("staff", format!("at most {MOST_STAFF} people")));
        }
        for (i, s) in id.staff.iter().enumerate() {
            if !s.name.trim().is_empty() && !findable(&s.name) {
                return Err(invalid(
                    format!("staff[{i}].name"),
                    "needs a word of 2 letters or more (initials alone cannot be looked for)",
                ));
            }
        }
        for (i, s) in id.staff.iter_mut().enumerate() {
            s.role = s.role.trim().to_lowercase();
            s.name = s.name.trim().to_owned();
            for (what, v) in [("role", &s.role), ("name", &s.name)] {
                if v.is_empty() {
                    return Err(invalid(format!("staff[{i}].{what}"), "required, but empty"));
                }
                if v.chars().count() > LONGEST {
                    return Err(invalid(
                        format!("staff[{i}].{what}"),
                        format!("at most {LONGEST} characters"),
                    ));
                }
            }
        }
        Ok(id)
    }

    pub fn is_empty(&self) -> bool {
        *self == Identity::default()
    }

    /// The fields that differ, by name (never their values): what the
    /// history records of a change.
    pub fn changed_fields(&self, new: &Identity) -> Vec<&'static str> {
        let (a, b) = (&self.patient, &new.patient);
        let mut fields = Vec::new();
        for (field, x, y) in [
            ("patient.name", &a.name, &b.name),
            ("patient.health_number", &a.health_number, &b.health_number),
            ("patient.date_of_birth", &a.date_of_birth, &b.date_of_birth),
            (
                "patient.hospital_number",
                &a.hospital_number,
                &b.hospital_number,
            ),
        ] {
            if x != y {
                fields.push(field);
            }
        }
        if self.staff != new.staff {
            fields.push("staff");
        }
        fields
    }

    /// What the identifier scanner looks for: the patient (with their date
    /// of birth) and each member of staff, by role, plus their health and
    /// hospital numbers as written.
    pub fn scan_rules(&self, hospital_number_masks: &[String]) -> irmer_scan::Rules {
        let dob = self
            .patient
            .date_of_birth
            .as_deref()
            .and_then(CivilDate::parse)
            .map(|d| {
                let d = d.date();
                (d.year(), u8::from(d.month()), d.day())
            });
        let mut people = Vec::new();
        if self.patient.name.is_some() || dob.is_some() {
            people.push(irmer_scan::Person {
                role: "patient".into(),
                name: self.patient.name.clone().unwrap_or_default(),
                date_of_birth: dob,
            });
        }
        for s in &self.staff {
            people.push(irmer_scan::Person {
                role: s.role.clone(),
                name: s.name.clone(),
                date_of_birth: None,
            });
        }
        irmer_scan::Rules {
            hospital_numbers: hospital_number_masks.to_vec(),
            known_numbers: self.patient.hospital_number.iter().cloned().collect(),
            people,
        }
    }
}
