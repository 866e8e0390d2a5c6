//! A licensing breach (IR(ME)R regulation 5: a radioactive substance
//! administered without the appropriate ARSAC licence), on its own form
//! and reference series (`CQC-LIC-2026-00001`). The guidance: "You should
//! notify the ARSAC Support Unit of any licensing breaches. We also
//! encourage you to report these incidents to us." Read from the same kind
//! of body as a notification, every rule checked with the field named and
//! every text scanned for identifiers.

use irmer_core::assessment::EnforcingAuthority;
use irmer_core::incident::CivilDate;
use irmer_core::parse::InputError;
use irmer_store::authority::{NewNotification, Series};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::intake::invalid;

/// Whose licence was missing.
pub const HOLDERS: &[(&str, &str)] = irmer_core::licences::BREACH_HOLDERS;

/// What the breach was.
pub const KINDS: &[(&str, &str)] = irmer_core::licences::BREACH_KINDS;

/// A licensing breach read and checked.
#[derive(Clone, Debug)]
pub struct Breach {
    pub organisation_name: String,
    pub organisation_code: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: String,
    pub discovered: CivilDate,
    pub holder: String,
    pub kind: String,
    pub site: String,
    pub substance: String,
    pub patients: u32,
    /// Whether the ARSAC Support Unit has been told.
    pub arsac_told: bool,
    pub summary: String,
}

fn text(
    o: &Map<String, Value>,
    field: &str,
    key: &str,
    max: usize,
    required: bool,
) -> Result<Option<String>, InputError> {
    match o.get(key) {
        None | Some(Value::Null) if required => Err(invalid(field, "required, but missing")),
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() && required => {
            Err(invalid(field, "required, but empty"))
        }
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) if s.chars().count() > max => {
            Err(invalid(field, format!("at most {max} characters")))
        }
        Some(Value::String(s)) => {
            irmer_store::register::check_free_text(field, s.trim()).map_err(|e| match e {
                irmer_store::register::RegisterError::Invalid(i) => i,
                other => invalid(field, other.to_string()),
            })?;
            Ok(Some(s.trim().to_owned()))
        }
        Some(_) => Err(invalid(field, "expected a string")),
    }
}

fn choice(
    o: &Map<String, Value>,
    key: &str,
    options: &[(&str, &str)],
) -> Result<String, InputError> {
    match o.get(key).and_then(Value::as_str) {
        Some(v) if options.iter().any(|(o, _)| *o == v) => Ok(v.to_owned()),
        Some(v) => Err(invalid(
            &format!("breach.{key}"),
            format!(
                "{v:?} is not one of {}",
                options
                    .iter()
                    .map(|(o, _)| *o)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
        None => Err(invalid(&format!("breach.{key}"), "required, but missing")),
    }
}

/// Reads `{"organisation": {"name", "code"?}, "contact": {"name"?,
/// "email"}, "breach": {"discovered", "holder", "kind", "site",
/// "substance", "patients", "arsac_told"}, "summary"}` against `today`.
pub fn read(body: &Value, today: CivilDate) -> Result<Breach, InputError> {
    let empty = Map::new();
    let object = |key: &str| body.get(key).and_then(Value::as_object).unwrap_or(&empty);
    let org = object("organisation");
    let contact = object("contact");
    let breach = object("breach");
    let organisation_name = text(
        org,
        "organisation.name",
        "name",
        crate::intake::NAME_MAX,
        true,
    )?
    .unwrap_or_default();
    let organisation_code = text(
        org,
        "organisation.code",
        "code",
        crate::intake::CODE_MAX,
        false,
    )?;
    if let Some(c) = &organisation_code
        && !c.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(invalid(
            "organisation.code",
            "expected letters and digits (an ODS code such as RXX)",
        ));
    }
    let contact_name = text(
        contact,
        "contact.name",
        "name",
        crate::intake::NAME_MAX,
        false,
    )?;
    let contact_email = match contact.get("email").and_then(Value::as_str) {
        Some(e) if irmer_mail::is_email(e.trim()) => e.trim().to_owned(),
        Some(e) => {
            return Err(invalid(
                "contact.email",
                format!("{e:?} is not an e-mail address"),
            ));
        }
        None => return Err(invalid("contact.email", "required, but missing")),
    };
    let discovered = match breach.get("discovered").and_then(Value::as_str) {
        None => return Err(invalid("breach.discovered", "required, but missing")),
        Some(d) => CivilDate::parse(d.trim())
            .ok_or_else(|| invalid("breach.discovered", "expected a date, YYYY-MM-DD"))?,
    };
    if discovered > today {
        return Err(invalid("breach.discovered", "the date is in the future"));
    }
    let holder = choice(breach, "holder", HOLDERS)?;
    let kind = choice(breach, "kind", KINDS)?;
    let site = text(breach, "breach.site", "site", 200, true)?.unwrap_or_default();
    let substance = text(breach, "breach.substance", "substance", 200, true)?.unwrap_or_default();
    let patients = match breach.get("patients") {
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| (1..=100_000).contains(n))
            .ok_or_else(|| invalid("breach.patients", "a whole number from 1 to 100000"))?,
        None | Some(Value::Null) => {
            return Err(invalid("breach.patients", "required, but missing"));
        }
        Some(_) => return Err(invalid("breach.patients", "expected a whole number")),
    };
    let arsac_told = match breach.get("arsac_told") {
        Some(Value::Bool(b)) => *b,
        _ => return Err(invalid("breach.arsac_told", "answer yes or no")),
    };
    let summary = text(
        body.as_object().unwrap_or(&empty),
        "summary",
        "summary",
        crate::intake::SUMMARY_MAX,
        true,
    )?
    .unwrap_or_default();
    Ok(Breach {
        organisation_name,
        organisation_code,
        contact_name,
        contact_email,
        discovered,
        holder,
        kind,
        site,
        substance,
        patients,
        arsac_told,
        summary,
    })
}

/// The row to keep: its own series; no codes (it is not assessed against
/// the SAUE criteria); the facts as given.
pub fn new_breach(
    authority: EnforcingAuthority,
    b: &Breach,
    key: Option<String>,
    received_at: OffsetDateTime,
) -> NewNotification {
    NewNotification {
        authority: authority.id().to_owned(),
        series: Series::Licence,
        organisation_name: b.organisation_name.clone(),
        organisation_code: b.organisation_code.clone(),
        provider_type: None,
        chief_executive: None,
        contact_name: b.contact_name.clone(),
        contact_email: b.contact_email.clone(),
        facts: json!({
            "discovered": b.discovered.to_string(),
            "holder": b.holder,
            "kind": b.kind,
            "site": b.site,
            "substance": b.substance,
            "patients": b.patients,
            "arsac_told": b.arsac_told,
        })
        .to_string(),
        summary: b.summary.clone(),
        provider_codes: String::new(),
        assessment: "{}".into(),
        codes: String::new(),
        modality: "nuclear-medicine".into(),
        discovered: b.discovered,
        report_due: b.discovered.plus_days(84),
        token_id: None,
        idempotency_key: key,
        received_at,
    }
}

/// The acknowledgement of a licensing breach.
pub fn acknowledgement(
    authority: EnforcingAuthority,
    from: &str,
    b: &Breach,
    reference: &str,
    message_id: String,
) -> irmer_store::mail::Mail {
    let arsac = if b.arsac_told {
        "You told us you have notified the ARSAC Support Unit."
    } else {
        "You told us you have not yet notified the ARSAC Support Unit: the guidance asks you to notify it of any licensing breach."
    };
    irmer_store::mail::Mail {
        message_id,
        from: from.to_owned(),
        to: b.contact_email.clone(),
        subject: format!("IR(ME)R licensing breach {reference} received"),
        body: format!(
            "Thank you for telling the {name} about a licensing breach (IR(ME)R regulation 5), discovered on {discovered}.\n\
             \n\
             Your reference is {reference}. Please quote it in all correspondence with us about it.\n\
             \n\
             {arsac}\n\
             \n\
             If we need more details we may contact you.\n\
             \n\
             Organisation: {organisation}\n\
             \n\
             Do not include anything that identifies a patient in any reply.\n",
            name = authority.name(),
            discovered = b.discovered.words(),
            organisation = b.organisation_name,
        ),
    }
}

/// The label of a value of one of the lists.
pub fn label<'a>(options: &[(&'a str, &'a str)], value: &'a str) -> &'a str {
    options
        .iter()
        .find(|(o, _)| *o == value)
        .map_or(value, |(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> Value {
        json!({
            "organisation": {"name": "Northshire Hospitals NHS Trust"},
            "contact": {"email": "rpa@northshire.example.org"},
            "breach": {"discovered": "2026-11-20", "holder": "practitioner", "kind": "expired",
                "site": "Royal Infirmary", "substance": "Tc-99m MDP", "patients": 3, "arsac_told": true},
            "summary": "Three bone scans justified under a practitioner licence that had expired."
        })
    }

    fn today() -> CivilDate {
        CivilDate::parse("2026-12-01").expect("date")
    }

    #[test]
    fn a_breach_is_read_and_every_refusal_names_its_field() {
        let b = read(&body(), today()).expect("valid");
        assert_eq!((b.patients, b.kind.as_str()), (3, "expired"));
        let n = new_breach(
            EnforcingAuthority::Cqc,
            &b,
            None,
            time::OffsetDateTime::UNIX_EPOCH,
        );
        assert_eq!(n.series, Series::Licence);
        assert_eq!(n.report_due.to_string(), "2027-02-12");
        for (path, value, field) in [
            ("/organisation/name", json!(""), "organisation.name"),
            ("/contact/email", json!("nope"), "contact.email"),
            (
                "/breach/discovered",
                json!("2027-01-01"),
                "breach.discovered",
            ),
            ("/breach/kind", json!("late"), "breach.kind"),
            ("/breach/patients", json!(0), "breach.patients"),
            ("/breach/arsac_told", json!("yes"), "breach.arsac_told"),
            ("/breach/site", json!("Ward of Mr Aardvark"), "breach.site"),
            ("/summary", json!("NHS number 943 476 5919."), "summary"),
        ] {
            let mut v = body();
            *v.pointer_mut(path).expect("path") = value;
            let e = read(&v, today()).expect_err(path);
            assert_eq!(e.field, field, "{path}: {e}");
        }
    }
}
