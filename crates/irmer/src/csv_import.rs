//! CSV import: a header of the contract's field paths (`reference`,
//! `nation`, `patient.age`, `dose.received`, `errors`, …), one incident a
//! row. Each row becomes the contract's JSON and goes through the one
//! incident reader, so its errors name the field as JSON input does.
//!
//! An empty cell is an absent field. Text fields are taken as text;
//! `errors` is a list separated by spaces, commas or semicolons; every other
//! cell is read as a JSON number or `true`/`false` (as written, exactly),
//! else as text, which the reader then refuses with what it expected.
//! Lists of objects (`therapy.deliveries`) need JSON Lines.

use std::io::Read;
use std::str::FromStr;

use serde_json::{Map, Value};

/// Fields whose cells are always text.
const TEXT_FIELDS: &[&str] = &[
    "reference",
    "nation",
    "discovered",
    "occurred",
    "modality",
    "exposure",
    "person",
    "patient.age_group",
    "dose.unit",
    "verification.cause",
    "radiopharmaceutical.intended",
    "radiopharmaceutical.administered",
    "therapy.geographical_miss",
    "description",
];

/// One row: its line number, and the incident's JSON text or why the row
/// cannot be one.
pub type Row = (u64, Result<String, String>);

/// Reads CSV rows; `Err` when the header itself is unusable.
pub fn rows(input: impl Read) -> Result<Vec<Row>, String> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("the header row: {e}"))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    if let Some(bad) = headers
        .iter()
        .find(|h| h.is_empty() || h.starts_with('.') || h.ends_with('.') || h.contains(".."))
    {
        return Err(format!(
            "the header row: {bad:?} is not a field path (e.g. patient.age)"
        ));
    }
    if headers
        .iter()
        .any(|h| h == "therapy.deliveries" || h.starts_with("therapy.deliveries."))
    {
        return Err("the header row: therapy.deliveries is a list of objects; import such incidents as JSON Lines".into());
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                out.push((line, Err(format!("not a valid CSV row: {e}"))));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let mut incident = Map::new();
        for (field, cell) in headers.iter().zip(record.iter()) {
            let cell = cell.trim();
            if cell.is_empty() {
                continue;
            }
            insert(&mut incident, field, value(field, cell));
        }
        out.push((line, Ok(Value::Object(incident).to_string())));
    }
    Ok(out)
}

fn value(field: &str, cell: &str) -> Value {
    if TEXT_FIELDS.contains(&field) {
        return Value::String(cell.to_owned());
    }
    if field == "errors" {
        let kinds = cell
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|k| !k.is_empty())
            .map(|k| Value::String(k.to_owned()))
            .collect();
        return Value::Array(kinds);
    }
    match cell {
        "true" | "TRUE" | "True" => Value::Bool(true),
        "false" | "FALSE" | "False" => Value::Bool(false),
        _ => serde_json::Number::from_str(cell)
            .map_or_else(|_| Value::String(cell.to_owned()), Value::Number),
    }
}

fn insert(map: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            map.insert(path.to_owned(), value);
        }
        Some((head, rest)) => {
            let child = map
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !child.is_object() {
                *child = Value::Object(Map::new());
            }
            if let Value::Object(child) = child {
                insert(child, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_the_contracts_json() {
        let csv = "reference,nation,discovered,modality,exposure,patient.age,errors,dose.intended,dose.received,theme\n\
                   R-1,england,2026-01-20,ct,unintended,34,human; equipment,0.50,6,true\n\
                   R-2,wales,2026-01-21,dental,none,,,,,\n";
        let rows = rows(csv.as_bytes()).expect("rows");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 2);
        let first: Value = serde_json::from_str(rows[0].1.as_ref().expect("row")).expect("json");
        assert_eq!(first["patient"]["age"], serde_json::json!(34));
        assert_eq!(first["errors"], serde_json::json!(["human", "equipment"]));
        assert_eq!(
            first["dose"]["intended"].to_string(),
            "0.50",
            "numbers kept as written"
        );
        assert_eq!(first["theme"], serde_json::json!(true));
        let second: Value = serde_json::from_str(rows[1].1.as_ref().expect("row")).expect("json");
        assert_eq!(
            second,
            serde_json::json!({"reference": "R-2", "nation": "wales", "discovered": "2026-01-21", "modality": "dental", "exposure": "none"})
        );
        assert!(super::rows("therapy.deliveries\n1\n".as_bytes()).is_err());
    }
}
