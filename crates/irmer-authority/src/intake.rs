//! A notification as a provider sends it: read, every rule checked with
//! the field named, identifiers refused, the incident re-assessed by the
//! engine; and the acknowledgement it is answered with.
//!
//! The body: `{"organisation": {"name", "code"?, "type"?, "chief_executive"?},
//! "contact": {"name"?,
//! "email"}, "incident": <an incident in the contract's format>,
//! "summary": "…", "codes": ["2.2", …]?}` (`codes`: what the provider
//! reads the criteria to be, compared with the authority's reading).

use irmer_core::assessment::{Assessment, EnforcingAuthority};
use irmer_core::incident::{CivilDate, Incident};
use irmer_core::parse::InputError;
use irmer_core::{GuidanceVersion, NotificationCode, Settings};
use irmer_store::authority::{NewNotification, PROVIDER_TYPES, Series};
use irmer_store::mail::Mail;
use serde_json::{Map, Value};
use time::OffsetDateTime;

/// The longest organisation or contact name.
pub const NAME_MAX: usize = 200;
/// The longest summary.
pub const SUMMARY_MAX: usize = 10_000;
/// The longest organisation code (an ODS code is 3 to 6 characters).
pub const CODE_MAX: usize = 20;

/// A notification read and checked, not yet numbered.
#[derive(Clone, Debug)]
pub struct Submission {
    pub organisation_name: String,
    pub organisation_code: Option<String>,
    /// One of [`PROVIDER_TYPES`], when given.
    pub provider_type: Option<String>,
    /// The chief executive's e-mail address, when given.
    pub chief_executive: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: String,
    pub incident: Incident,
    pub summary: String,
    /// The provider's codes, as given.
    pub provider_codes: Vec<String>,
}

pub(crate) fn invalid(field: &str, message: impl Into<String>) -> InputError {
    InputError {
        field: field.to_owned(),
        message: message.into(),
        position: None,
    }
}

/// A string field: present (when required), a string, not blank, at most
/// `max` characters, no control characters.
fn text(
    object: &Map<String, Value>,
    path: &str,
    key: &str,
    max: usize,
    required: bool,
) -> Result<Option<String>, InputError> {
    let field = format!("{path}{key}");
    match object.get(key) {
        None | Some(Value::Null) if required => Err(invalid(&field, "required, but missing")),
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.is_empty() {
                return Err(invalid(&field, "required, but empty"));
            }
            if s.chars().count() > max {
                return Err(invalid(&field, format!("at most {max} characters")));
            }
            if s.chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
            {
                return Err(invalid(&field, "control characters are not allowed"));
            }
            Ok(Some(s.to_owned()))
        }
        Some(other) => Err(invalid(
            &field,
            format!("expected a string, found {}", kind(other)),
        )),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn object<'a>(
    v: Option<&'a Value>,
    field: &str,
    keys: &[&str],
) -> Result<&'a Map<String, Value>, InputError> {
    match v {
        None | Some(Value::Null) => Err(invalid(field, "required, but missing")),
        Some(Value::Object(o)) => {
            if let Some(k) = o.keys().find(|k| !keys.contains(&k.as_str())) {
                return Err(invalid(
                    &format!("{field}.{k}"),
                    format!("unknown field; expected one of {}", keys.join(", ")),
                ));
            }
            Ok(o)
        }
        Some(other) => Err(invalid(
            field,
            format!("expected an object, found {}", kind(other)),
        )),
    }
}

pub use irmer_mail::is_email;

/// A body read as JSON; if it is not, the error with its position (400).
pub fn json_of(body: &[u8]) -> Result<Value, InputError> {
    serde_json::from_slice(body).map_err(|e| InputError {
        field: String::new(),
        message: format!("not valid JSON: {e}"),
        position: Some(irmer_core::parse::Position {
            line: e.line(),
            column: e.column(),
        }),
    })
}

/// Reads a notification's body. A body that is not JSON is an error with
/// its position (400); anything else names its field (422).
pub fn read(body: &[u8]) -> Result<Submission, InputError> {
    let value = json_of(body)?;
    let top = object(
        Some(&value),
        "",
        &["organisation", "contact", "incident", "summary", "codes"],
    )
    .map_err(|mut e| {
        e.field = e.field.trim_start_matches('.').to_owned();
        e
    })?;
    let organisation = object(
        top.get("organisation"),
        "organisation",
        &["name", "code", "type", "chief_executive"],
    )?;
    let organisation_name =
        text(organisation, "organisation.", "name", NAME_MAX, true)?.unwrap_or_default();
    let organisation_code = text(organisation, "organisation.", "code", CODE_MAX, false)?;
    if let Some(code) = &organisation_code
        && !code.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(invalid(
            "organisation.code",
            "expected letters and digits (an ODS code such as RXX)",
        ));
    }
    let provider_type = text(organisation, "organisation.", "type", 20, false)?;
    if let Some(t) = &provider_type
        && !PROVIDER_TYPES.iter().any(|(id, _)| id == t)
    {
        return Err(invalid(
            "organisation.type",
            format!(
                "{t:?} is not one of {}",
                PROVIDER_TYPES
                    .iter()
                    .map(|(id, _)| *id)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let chief_executive = text(organisation, "organisation.", "chief_executive", 254, false)?;
    if let Some(e) = &chief_executive
        && !is_email(e)
    {
        return Err(invalid(
            "organisation.chief_executive",
            format!("{e:?} is not an e-mail address"),
        ));
    }
    let contact = object(top.get("contact"), "contact", &["name", "email"])?;
    let contact_name = text(contact, "contact.", "name", NAME_MAX, false)?;
    let contact_email = text(contact, "contact.", "email", 254, true)?.unwrap_or_default();
    if !is_email(&contact_email) {
        return Err(invalid(
            "contact.email",
            format!("{contact_email:?} is not an e-mail address"),
        ));
    }
    let incident_value = match top.get("incident") {
        None | Some(Value::Null) => return Err(invalid("incident", "required, but missing")),
        Some(v) => v,
    };
    let incident = irmer_core::parse::parse_incident_slice(
        serde_json::to_string(incident_value)
            .unwrap_or_default()
            .as_bytes(),
    )
    .map_err(|mut e| {
        e.field = if e.field.is_empty() {
            "incident".into()
        } else {
            format!("incident.{}", e.field)
        };
        e.position = None;
        e
    })?;
    let summary = text(top, "", "summary", SUMMARY_MAX, true)?.unwrap_or_default();
    let provider_codes = match top.get("codes") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) if items.len() <= 20 => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v.as_str() {
                Some(c) if NotificationCode::parse(c).is_some() => Ok(c.to_owned()),
                _ => Err(invalid(
                    &format!("codes[{i}]"),
                    "expected a notification code such as 2.2, 4.2a or M2.1",
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(invalid(
                "codes",
                "expected an array of at most 20 notification codes",
            ));
        }
    };
    // No identifier is kept: the incident's texts and the summary.
    let refused = |e: irmer_store::register::RegisterError, prefix: &str| match e {
        irmer_store::register::RegisterError::Invalid(mut i) => {
            i.field = format!("{prefix}{}", i.field);
            i
        }
        other => invalid(prefix.trim_end_matches('.'), other.to_string()),
    };
    irmer_store::register::check_incident_texts(&incident).map_err(|e| refused(e, "incident."))?;
    irmer_store::register::check_free_text("summary", &summary).map_err(|e| refused(e, ""))?;
    Ok(Submission {
        organisation_name,
        organisation_code,
        provider_type,
        chief_executive,
        contact_name,
        contact_email,
        incident,
        summary,
        provider_codes,
    })
}

/// The authority's own reading of the facts.
pub fn assess(incident: &Incident) -> Assessment {
    irmer_core::assess(incident, GuidanceVersion::LATEST, &Settings::default())
}

/// The 12-week report date: the engine's, or 84 days from discovery.
pub fn report_due(incident: &Incident, assessment: &Assessment) -> CivilDate {
    assessment
        .deadlines
        .as_ref()
        .map_or_else(|| incident.discovered.plus_days(84), |d| d.report_by)
}

fn codes_text(codes: &[impl ToString]) -> String {
    codes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The row to keep for a submission.
pub fn new_notification(
    authority: EnforcingAuthority,
    s: &Submission,
    token: Option<i64>,
    idempotency_key: Option<String>,
    received_at: OffsetDateTime,
) -> NewNotification {
    let assessment = assess(&s.incident);
    NewNotification {
        authority: authority.id().to_owned(),
        series: Series::Irmer,
        organisation_name: s.organisation_name.clone(),
        organisation_code: s.organisation_code.clone(),
        provider_type: s.provider_type.clone(),
        chief_executive: s.chief_executive.clone(),
        contact_name: s.contact_name.clone(),
        contact_email: s.contact_email.clone(),
        facts: serde_json::to_string(&s.incident).unwrap_or_default(),
        summary: s.summary.clone(),
        provider_codes: s.provider_codes.join(" "),
        assessment: serde_json::to_string(&assessment).unwrap_or_default(),
        codes: codes_text(&assessment.codes),
        modality: s.incident.modality.as_str().to_owned(),
        discovered: s.incident.discovered,
        report_due: report_due(&s.incident, &assessment),
        token_id: token,
        idempotency_key,
        received_at,
    }
}

/// The acknowledgement: the reference, what happens next and when the
/// report is due (no patient detail: the notification holds none).
pub fn acknowledgement(
    authority: EnforcingAuthority,
    from: &str,
    new: &NewNotification,
    reference: &str,
    message_id: String,
) -> Mail {
    let differs = if new.provider_codes.is_empty() || new.provider_codes == new.codes {
        String::new()
    } else {
        format!(
            "\nYou gave the codes {}; our reading of the facts you sent gives {}. We will look at the difference in our review.\n",
            new.provider_codes,
            if new.codes.is_empty() {
                "none"
            } else {
                &new.codes
            }
        )
    };
    let at = new.received_at.to_offset(time::UtcOffset::UTC);
    let received = format!(
        "{} at {:02}:{:02} UTC",
        irmer_core::lifecycle::long_date(at.date()),
        at.hour(),
        at.minute()
    );
    let body = format!(
        "Thank you for your notification to the {name}.\n\
         \n\
         Your IR(ME)R notification reference is {reference}. Please quote it in all correspondence with us about this incident, and on your investigation report.\n\
         \n\
         What happens next: if we need more details we may contact you. Otherwise we will wait until you have sent your full investigation report, which is due by {due} (12 weeks from the discovery of the incident on {discovered}). We will then triage the risk, review the report, follow it up by e-mail or a visit if we need to, and tell you when the notification is closed.\n\
         {differs}\n\
         Organisation: {organisation}\n\
         Received: {received}\n\
         \n\
         Do not include anything that identifies a patient in any reply.\n",
        name = authority.name(),
        due = new.report_due.words(),
        discovered = new.discovered.words(),
        organisation = new.organisation_name,
        received = received,
    );
    Mail {
        message_id,
        from: from.to_owned(),
        to: new.contact_email.clone(),
        subject: format!("IR(ME)R notification {reference} received"),
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body() -> Value {
        json!({
            "organisation": {"name": "Northshire Hospitals NHS Trust", "code": "RXX"},
            "contact": {"email": "rpa@northshire.example.org"},
            "incident": {"nation": "england", "discovered": "2026-11-20", "modality": "ct",
                "exposure": "unintended", "patient": {"age_group": "adult"}, "errors": ["human"],
                "dose": {"unit": "mSv", "intended": 0.5, "received": 6}},
            "summary": "CT head repeated with the wrong protocol.",
            "codes": ["2.2"]
        })
    }

    fn refused(v: &Value) -> InputError {
        read(v.to_string().as_bytes()).expect_err("refused")
    }

    #[test]
    fn a_notification_is_read_and_assessed() {
        let s = read(body().to_string().as_bytes()).expect("valid");
        assert_eq!(s.organisation_code.as_deref(), Some("RXX"));
        assert_eq!(s.provider_codes, ["2.2"]);
        let a = assess(&s.incident);
        assert_eq!(
            a.codes.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["2.2"]
        );
        assert_eq!(report_due(&s.incident, &a).to_string(), "2027-02-12");
    }

    #[test]
    fn every_refusal_names_its_field() {
        let e = read(b"{\"organisation\": ").expect_err("not JSON");
        assert!(e.position.is_some());
        type Change = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(Change, &str)> = vec![
            (
                Box::new(|v| {
                    v.as_object_mut().map(|o| o.remove("organisation"));
                }),
                "organisation",
            ),
            (
                Box::new(|v| v["organisation"]["name"] = json!("  ")),
                "organisation.name",
            ),
            (
                Box::new(|v| v["organisation"]["code"] = json!("R X")),
                "organisation.code",
            ),
            (
                Box::new(|v| v["organisation"]["type"] = json!("hospital")),
                "organisation.type",
            ),
            (
                Box::new(|v| v["organisation"]["chief_executive"] = json!("the CEO")),
                "organisation.chief_executive",
            ),
            (
                Box::new(|v| v["contact"]["email"] = json!("rpa at trust")),
                "contact.email",
            ),
            (
                Box::new(|v| v["contact"]["phone"] = json!("01234")),
                "contact.phone",
            ),
            (Box::new(|v| v["colour"] = json!("red")), "colour"),
            (
                Box::new(|v| v["incident"]["modality"] = json!("xray")),
                "incident.modality",
            ),
            (
                Box::new(|v| {
                    v.as_object_mut().map(|o| o.remove("incident"));
                }),
                "incident",
            ),
            (Box::new(|v| v["summary"] = json!(7)), "summary"),
            (
                Box::new(|v| v["codes"] = json!(["2.2", "nine"])),
                "codes[1]",
            ),
            (
                Box::new(|v| {
                    v["incident"]["description"] = json!("Mr Aardvark was scanned twice.")
                }),
                "incident.description",
            ),
        ];
        for (change, field) in cases {
            let mut v = body();
            change(&mut v);
            assert_eq!(refused(&v).field, field, "{v}");
        }
        // An identifier is named by its kind, never echoed.
        let mut v = body();
        v["summary"] = json!("NHS number 943 476 5919 was scanned twice.");
        let e = refused(&v);
        assert_eq!(e.field, "summary");
        assert!(!e.message.contains("5919"), "{}", e.message);
    }
}
