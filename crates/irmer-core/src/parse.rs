//! Reading incidents from JSON, with errors a person can act on.
//!
//! Every error names the field path (`patient.age`,
//! `therapy.deliveries[0].intended_gy`), what was expected and what was
//! found: `patient.age: expected a whole number of years from 0 to 130,
//! found "thirty"`. Unknown fields are refused with the nearest known name,
//! so a typo such as `recieved` is never silently ignored.

use std::fmt;

use crate::incident::Incident;

/// Why a document is not a valid incident.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct InputError {
    /// Dotted field path; empty when the document as a whole is wrong.
    pub field: String,
    /// What was expected and what was found.
    pub message: String,
    /// Where in the document, when the JSON itself is malformed.
    pub position: Option<Position>,
}

/// A 1-based position inside one JSON document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

/// Reads one incident from JSON text.
pub fn parse_incident(text: &str) -> Result<Incident, InputError> {
    parse_incident_slice(text.as_bytes())
}

/// Reads one incident from JSON bytes (one document, surrounding white space
/// allowed).
pub fn parse_incident_slice(bytes: &[u8]) -> Result<Incident, InputError> {
    // One UTF-8 check for the whole document (serde_json would otherwise
    // check every string on its own).
    let text = std::str::from_utf8(bytes).map_err(|e| InputError {
        field: String::new(),
        message: format!("not valid UTF-8 text (at byte {})", e.valid_up_to() + 1),
        position: None,
    })?;
    arrays_only_where_allowed(bytes)?;
    // The fast path keeps no field path; only a failure pays for one.
    match serde_json::from_str::<Incident>(text) {
        Ok(incident) => check(incident),
        Err(_) => Err(explain_failure(bytes)),
    }
}

/// Reads any JSON document (a patch, a request body), or says where it is
/// malformed in the same words as for an incident.
pub fn json_value(bytes: &[u8]) -> Result<serde_json::Value, InputError> {
    serde_json::from_slice(bytes).map_err(|e| syntax_error(&e))
}

/// Reads one incident from an already parsed JSON value (a merge-patched
/// document, a converted CSV row).
pub fn incident_from_value(value: &serde_json::Value) -> Result<Incident, InputError> {
    // One reader for every entry point: the value's text (numbers exact).
    parse_incident(&value.to_string())
}

/// Fields whose value is a JSON array in the contract.
const ARRAY_FIELDS: [&[u8]; 4] = [b"errors", b"deliveries", b"causes", b"contributing_factors"];

/// serde reads a struct from a JSON array by position; the contract has
/// objects only, so an array is refused wherever the contract has none.
fn arrays_only_where_allowed(bytes: &[u8]) -> Result<(), InputError> {
    // Fast path: every `[` directly after `"errors":`, `"deliveries":`,
    // `"causes":` or `"contributing_factors":` (which cannot occur inside a
    // string, where a quote is escaped) and an object at the top: fine
    // without a full scan.
    let starts_with_object = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let all_allowed = memchr::memchr_iter(b'[', bytes).all(|at| {
        let before = &bytes[..at];
        ARRAY_FIELDS.iter().any(|name| {
            before
                .strip_suffix(b"\":")
                .and_then(|b| b.strip_suffix(*name))
                .is_some_and(|b| b.ends_with(b"\""))
        })
    });
    if starts_with_object && all_allowed {
        return Ok(());
    }
    let refuse = |field: &str, message: &str| InputError {
        field: field.to_owned(),
        message: message.to_owned(),
        position: None,
    };
    let mut in_string = false;
    let mut escaped = false;
    let mut string_start = 0;
    let mut last_string: &[u8] = b"";
    let mut key: Option<&[u8]> = None;
    let mut first_token = true;
    for (at, &byte) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
                last_string = &bytes[string_start..at];
            }
            continue;
        }
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' => continue,
            b'"' => {
                in_string = true;
                string_start = at + 1;
                key = None;
            }
            b':' => key = Some(last_string),
            b'[' => {
                if first_token {
                    return Err(refuse(
                        "",
                        "expected an incident (a JSON object), found an array",
                    ));
                }
                match key {
                    Some(name) if ARRAY_FIELDS.contains(&name) => {}
                    Some(name) => {
                        return Err(refuse(
                            &String::from_utf8_lossy(name),
                            "expected an object or a single value, found an array",
                        ));
                    }
                    None => {
                        return Err(refuse(
                            "",
                            "an array may hold only the values of errors, deliveries, causes or contributing_factors",
                        ));
                    }
                }
                key = None;
            }
            _ => key = None,
        }
        first_token = false;
    }
    Ok(())
}

fn check(incident: Incident) -> Result<Incident, InputError> {
    match incident.check_consistency() {
        Ok(()) => Ok(incident),
        Err((field, message)) => Err(InputError {
            field: field.to_owned(),
            message,
            position: None,
        }),
    }
}

fn explain_failure(bytes: &[u8]) -> InputError {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, Incident>(&mut de) {
        Ok(incident) => match de.end() {
            // Trailing characters after the document.
            Err(inner) => syntax_error(&inner),
            Ok(()) => match check(incident) {
                Err(e) => e,
                Ok(_) => InputError {
                    field: String::new(),
                    message: "could not be read as an incident".into(),
                    position: None,
                },
            },
        },
        Err(err) => {
            let path = path_text(err.path());
            let inner = err.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return syntax_error(&inner);
            }
            describe(&path, &strip_position(&inner.to_string()))
        }
    }
}

fn syntax_error(inner: &serde_json::Error) -> InputError {
    let position = (inner.line() > 0).then(|| Position {
        line: inner.line(),
        column: inner.column(),
    });
    let raw = strip_position(&inner.to_string());
    let plain = match raw.as_str() {
        "expected ident" | "expected value" => {
            "expected a JSON value (an object, text in double quotes, a number, true, false or null)"
        }
        "EOF while parsing an object" => "the incident's object is not closed (a } is missing)",
        "EOF while parsing a string" => "a text is not closed (a \" is missing)",
        "EOF while parsing a value" | "EOF while parsing a list" => "the document ends too early",
        "trailing characters" => "trailing characters after the incident (one incident a line)",
        "key must be a string" => "expected a field name in double quotes",
        other => other,
    };
    InputError {
        field: String::new(),
        message: format!("not valid JSON: {plain}"),
        position,
    }
}

fn path_text(path: &serde_path_to_error::Path) -> String {
    let text = path.to_string();
    if text == "." { String::new() } else { text }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

/// Turns serde's wording into ours.
fn describe(path: &str, message: &str) -> InputError {
    let (field, message) = rewrite(path, message);
    InputError {
        field,
        message,
        position: None,
    }
}

fn rewrite(path: &str, message: &str) -> (String, String) {
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.trim_end_matches('`');
        return (join(path, name), "required, but missing".into());
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (name, expected) = split_ticked(rest);
        // The path already ends with the unknown name.
        let path = path
            .strip_suffix(name)
            .map_or(path, |p| p.trim_end_matches('.'));
        let known = ticked_list(expected);
        let mut text = format!("unknown field; expected one of {}", known.join(", "));
        if known.is_empty() {
            text = "unknown field; this object takes no fields".into();
        }
        if let Some(near) = nearest(name, &known) {
            text.push_str(&format!(" (did you mean \"{near}\"?)"));
        }
        return (join(path, name), text);
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (value, expected) = split_ticked(rest);
        let known = ticked_list(expected);
        let mut text = format!("expected one of {}, found {value:?}", known.join(", "));
        if let Some(near) = nearest(value, &known) {
            text.push_str(&format!(" (did you mean \"{near}\"?)"));
        }
        return (path.to_owned(), text);
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            if let Some((found, expected)) = rest.split_once(", expected ") {
                return (
                    path.to_owned(),
                    format!(
                        "expected {}, found {}",
                        expected_text(expected),
                        found_text(found)
                    ),
                );
            }
        }
    }
    (path.to_owned(), message.to_owned())
}

/// `recieved`, expected one of `a`, `b` -> ("recieved", "one of `a`, `b`").
fn split_ticked(rest: &str) -> (&str, &str) {
    match rest.split_once('`') {
        Some((name, tail)) => (name, tail.trim_start_matches(", ")),
        None => (rest, ""),
    }
}

fn ticked_list(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

fn nearest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(&lower, k), *k))
        .filter(|(distance, k)| *distance > 0 && *distance <= 2.max(k.len() / 4))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, k)| k)
}

fn expected_text(expected: &str) -> String {
    if expected == "struct Incident" {
        return "an incident (a JSON object)".into();
    }
    if expected.starts_with("struct ") {
        return "an object".into();
    }
    expected.to_owned()
}

fn found_text(found: &str) -> String {
    if let Some(s) = found.strip_prefix("string ") {
        return s.to_owned();
    }
    for prefix in ["integer ", "floating point ", "boolean "] {
        if let Some(v) = found.strip_prefix(prefix) {
            return v.trim_matches('`').to_owned();
        }
    }
    match found {
        "unit value" => "null".into(),
        "sequence" => "an array".into(),
        "map" => "an object".into(),
        "number" => "a number".into(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        parse_incident(text)
            .expect_err("should be refused")
            .to_string()
    }

    const BASE: &str =
        r#""nation":"england","discovered":"2026-01-20","modality":"ct","exposure":"unintended""#;

    fn with(extra: &str) -> String {
        format!("{{{BASE},{extra}}}")
    }

    #[test]
    fn reads_a_minimal_incident() {
        let incident = parse_incident(&format!("{{{BASE}}}")).expect("valid");
        assert_eq!(incident.people, 1);
        assert_eq!(incident.errors, None);
    }

    #[test]
    fn names_a_wrong_type_with_what_was_found() {
        assert_eq!(
            error(&with(r#""patient":{"age":"thirty"}"#)),
            r#"patient.age: expected a whole number of years from 0 to 130, found "thirty""#
        );
        assert_eq!(
            error(&with(r#""people":2.5"#)),
            "people: expected a whole number of people, 1 or more, found 2.5"
        );
        assert_eq!(
            error(&with(r#""theme":"yes""#)),
            r#"theme: expected true or false, found "yes""#
        );
        assert_eq!(
            error(&with(r#""dose":{"received":"3"}"#)),
            r#"dose.received: expected a dose, a number 0 or more, found "3""#
        );
    }

    #[test]
    fn refuses_negative_and_zero_where_they_make_no_sense() {
        assert_eq!(
            error(&with(r#""dose":{"received":-0.5}"#)),
            "dose.received: expected a dose, a number 0 or more, found -0.5 (negative)"
        );
        assert_eq!(
            error(&with(
                r#""therapy":{"deliveries":[{"structure":"ptv","scope":"course","intended_gy":0,"delivered_gy":2}]}"#
            )),
            "therapy.deliveries[0].intended_gy: expected a dose in Gy, a number greater than 0, found 0"
        );
    }

    #[test]
    fn refuses_unknown_fields_and_suggests_the_near_one() {
        let message = error(&with(r#""dose":{"intended":0.1,"recieved":3}"#));
        assert!(
            message.starts_with(
                "dose.recieved: unknown field; expected one of unit, intended, received"
            ),
            "{message}"
        );
        assert!(
            message.ends_with(r#"(did you mean "received"?)"#),
            "{message}"
        );
        let message = error(&with(r#""colour":"red""#));
        assert!(message.starts_with("colour: unknown field"), "{message}");
        assert!(!message.contains("did you mean"), "{message}");
    }

    #[test]
    fn refuses_unknown_enum_values() {
        let message = error(
            r#"{"nation":"england","discovered":"2026-01-20","modality":"xray","exposure":"unintended"}"#,
        );
        assert!(
            message.starts_with("modality: expected one of radiography, fluoroscopy, ct,"),
            "{message}"
        );
        assert!(message.contains(r#"found "xray""#), "{message}");
        let message = error(
            r#"{"nation":"englnd","discovered":"2026-01-20","modality":"ct","exposure":"unintended"}"#,
        );
        assert!(
            message.ends_with(r#"(did you mean "england"?)"#),
            "{message}"
        );
        assert_eq!(
            error(&with(r#""errors":["human","cosmic"]"#)),
            r#"errors[1]: expected one of procedural, human, systematic, equipment, found "cosmic""#
        );
    }

    #[test]
    fn names_missing_required_fields() {
        assert_eq!(
            error(r#"{"nation":"england","modality":"ct","exposure":"unintended"}"#),
            "discovered: required, but missing"
        );
    }

    #[test]
    fn refuses_impossible_dates_and_contradictions() {
        let message = error(
            r#"{"nation":"england","discovered":"2026-02-30","modality":"ct","exposure":"unintended"}"#,
        );
        assert!(
            message.starts_with("discovered: expected a real date as YYYY-MM-DD"),
            "{message}"
        );
        assert!(message.ends_with(r#"found "2026-02-30""#), "{message}");
        assert_eq!(
            error(&with(r#""occurred":"2026-02-01""#)),
            "occurred: expected a date on or before discovered (2026-01-20), found 2026-02-01"
        );
        assert!(
            error(&with(r#""patient":{"age":30,"age_group":"adult"}"#))
                .starts_with("patient: expected either age or age_group, not both")
        );
        assert!(error(&with(r#""patient":{}"#)).starts_with("patient: expected age"));
    }

    #[test]
    fn reports_malformed_json_with_its_column() {
        let err = parse_incident(r#"{"nation":"england",}"#).expect_err("malformed");
        assert!(err.message.starts_with("not valid JSON"), "{}", err.message);
        assert_eq!(
            err.position,
            Some(Position {
                line: 1,
                column: 21
            })
        );
        assert_eq!(
            error("[1,2]"),
            "expected an incident (a JSON object), found an array"
        );
        assert!(error(&format!("{{{BASE}}} x")).starts_with("not valid JSON: trailing characters"));
        assert_eq!(
            error(&with(r#""dose":["mSv",0.1,3]"#)),
            "dose: expected an object or a single value, found an array"
        );
        assert_eq!(
            error(&with(r#""therapy":{"deliveries":[["ptv","course",2,3]]}"#)),
            "an array may hold only the values of errors, deliveries, causes or contributing_factors"
        );
        // Brackets inside text are text.
        assert!(parse_incident(&with(r#""description":"see [1], \"quoted [x]\": [y]""#)).is_ok());
    }

    #[test]
    fn a_whole_number_written_with_a_point_keeps_its_value() {
        // Found by schemathesis: 8.0 was read as 0 (and stored so).
        for (written, value) in [("8.0", 8), ("8", 8), ("12.000", 12), ("1e1", 10)] {
            let i = parse_incident(&with(&format!(
                r#""people":{written},"planning_scans":{written}"#
            )))
            .unwrap_or_else(|e| panic!("{written}: {e}"));
            assert_eq!(
                (i.people, i.planning_scans),
                (value, Some(value)),
                "{written}"
            );
        }
        assert!(error(&with(r#""people":2.5"#)).starts_with("people: "));
    }

    #[test]
    fn causes_and_contributing_factors_are_lists_of_their_shape() {
        let ok = parse_incident(&with(
            r#""causes":["operator.pre-exposure-checks.wrong-protocol","equipment.fault.software"],"contributing_factors":["Two protocols with alike names"]"#,
        ))
        .expect("valid");
        assert_eq!(ok.causes.len(), 2);
        assert_eq!(ok.contributing_factors, ["Two protocols with alike names"]);
        let none =
            parse_incident(&with(r#""causes":null,"contributing_factors":[]"#)).expect("valid");
        assert!(none.causes.is_empty() && none.contributing_factors.is_empty());
        assert_eq!(
            error(&with(r#""causes":["operator"]"#)),
            "causes: causes[0]: expected a tier-3 cause code such as operator.pre-exposure-checks.wrong-protocol (irmer taxonomy lists them), found \"operator\""
        );
        assert_eq!(
            error(&with(r#""causes":["a.b.c","a.b.c"]"#)),
            "causes: causes[1]: a.b.c is given twice"
        );
        assert!(
            error(&with(r#""contributing_factors":[" "]"#))
                .starts_with("contributing_factors: contributing_factors[0]: expected 1 to 200")
        );
        assert!(error(&with(r#""causes":"a.b.c""#)).starts_with("causes: "));
    }

    #[test]
    fn a_title_and_a_time_of_day_are_checked() {
        let ok = parse_incident(&with(
            r#""occurred":"2026-01-02","occurred_time":"07:45","title":"Wrong side","immediate_action":"Reviewed""#,
        ))
        .expect("valid");
        assert_eq!(
            ok.occurred_time.map(|t| t.to_string()).as_deref(),
            Some("07:45")
        );
        assert_eq!(
            error(&with(r#""occurred":"2026-01-02","occurred_time":"24:00""#)),
            "occurred_time: expected a time of day as HH:MM on the 24-hour clock (00:00 to 23:59), found \"24:00\""
        );
        assert!(
            error(&with(r#""occurred":"2026-01-02","occurred_time":"7:45""#))
                .starts_with("occurred_time: ")
        );
        assert_eq!(
            error(&with(r#""occurred_time":"07:45""#)),
            "occurred_time: expected with occurred (the date of the exposure), found a time without a date"
        );
        let long = "x".repeat(crate::incident::TITLE_MAX + 1);
        assert_eq!(
            error(&with(&format!(r#""title":"{long}""#))),
            format!(
                "title: expected a title of 1 to 200 characters, found {}",
                long.len()
            )
        );
        assert!(error(&with(r#""title":"  ""#)).starts_with("title: "));
    }

    #[test]
    fn refuses_text_that_is_not_utf8() {
        let mut bytes = with(r#""description":"x""#).into_bytes();
        let at = bytes.iter().position(|&b| b == b'x').expect("x");
        bytes[at] = 0xff;
        let err = parse_incident_slice(&bytes).expect_err("not UTF-8");
        assert_eq!(
            err.message,
            format!("not valid UTF-8 text (at byte {})", at + 1)
        );
    }

    #[test]
    fn null_means_absent() {
        let incident =
            parse_incident(&with(r#""dose":null,"theme":null,"people":null"#)).expect("valid");
        assert_eq!(incident.dose, None);
        assert!(!incident.theme);
        assert_eq!(incident.people, 1);
        // Also where the field has a default (found by the API fuzzer:
        // these two were refused as "not valid JSON").
        let incident = parse_incident(&with(
            r#""person":null,"dose":{"unit":null,"received":1},"therapy":{"geographical_miss":null}"#,
        ))
        .expect("valid");
        assert_eq!(incident.person, crate::incident::Person::Patient);
        assert_eq!(
            incident.dose.map(|d| d.unit),
            Some(crate::incident::DoseUnit::Msv)
        );
        assert_eq!(
            incident.therapy.map(|t| t.geographical_miss),
            Some(crate::incident::GeographicalMiss::None)
        );
    }

    #[test]
    fn numbers_round_trip_exactly_through_values() {
        let text = with(r#""dose":{"intended":0.33,"received":3.30}"#);
        let incident = parse_incident(&text).expect("valid");
        let value = serde_json::to_value(&incident).expect("serialises");
        let again = incident_from_value(&value).expect("reads back");
        assert_eq!(again, incident);
        assert_eq!(
            again.dose.and_then(|d| d.received).map(|q| q.to_string()),
            Some("3.30".into())
        );
    }
}
