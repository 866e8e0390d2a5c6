//! Changing an incident's facts: a JSON merge patch (RFC 7386) over the
//! contract's JSON, validated by the one reader, with the field-level
//! changes (old and new) that the history records.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::incident::Incident;
use crate::parse::{InputError, incident_from_value};

/// One field that changed: its dotted path, the old and the new value
/// (`None`: absent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
}

/// RFC 7386: `null` removes a member, an object merges, anything else
/// replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(map) = target {
        for (key, value) in patch {
            if value.is_null() {
                map.remove(key);
            } else {
                merge_patch(map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// The merge patch that turns `old` into `new` (the inverse of
/// [`merge_patch`]): members gone from `new` become `null`, objects are
/// compared member by member, anything else that differs is replaced.
/// `merge_patch(old, merge_patch_from(old, new))` is `new` whenever `new`
/// holds no `null` inside an object (RFC 7386 cannot say "set to null").
pub fn merge_patch_from(old: &Value, new: &Value) -> Value {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let mut patch = Map::new();
            for (k, ov) in o {
                match n.get(k) {
                    None => {
                        patch.insert(k.clone(), Value::Null);
                    }
                    Some(nv) if nv != ov => {
                        patch.insert(k.clone(), merge_patch_from(ov, nv));
                    }
                    Some(_) => {}
                }
            }
            for (k, nv) in n {
                if !o.contains_key(k) {
                    patch.insert(k.clone(), nv.clone());
                }
            }
            Value::Object(patch)
        }
        (_, n) => n.clone(),
    }
}

/// Applies a merge patch to an incident: the new incident (fully validated)
/// and what changed. An empty list of changes means the patch changed
/// nothing.
pub fn apply_patch(
    incident: &Incident,
    patch: &Value,
) -> Result<(Incident, Vec<FieldChange>), InputError> {
    if !patch.is_object() {
        return Err(InputError {
            field: String::new(),
            message:
                "expected a JSON merge patch (an object of the fields to change; null removes one)"
                    .into(),
            position: None,
        });
    }
    let old = serde_json::to_value(incident).map_err(|e| InputError {
        field: String::new(),
        message: e.to_string(),
        position: None,
    })?;
    let mut new = old.clone();
    merge_patch(&mut new, patch);
    let updated = incident_from_value(&new)?;
    // Compare the canonical forms (defaults dropped, numbers as written).
    let canonical = serde_json::to_value(&updated).unwrap_or(new);
    let mut changes = Vec::new();
    diff("", Some(&old), Some(&canonical), &mut changes);
    Ok((updated, changes))
}

/// The changes between two documents, by dotted path (arrays whole).
pub fn diff(path: &str, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<FieldChange>) {
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a
                .keys()
                .chain(b.keys().filter(|k| !a.contains_key(*k)))
                .collect();
            keys.sort();
            for key in keys {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                diff(&child, a.get(key), b.get(key), out);
            }
        }
        (a, b) if a != b => out.push(FieldChange {
            field: path.to_owned(),
            old: a.cloned(),
            new: b.cloned(),
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_incident;
    use serde_json::json;

    fn base() -> Incident {
        parse_incident(r#"{"nation":"england","discovered":"2026-01-20","modality":"ct","exposure":"unintended","errors":["human"],"dose":{"intended":0.5,"received":6}}"#).expect("valid")
    }

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut doc, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}}));
        let mut doc = json!({"a": [1, 2]});
        merge_patch(&mut doc, &json!({"a": [3]}));
        assert_eq!(doc, json!({"a": [3]}));
    }

    #[test]
    fn a_patch_records_old_and_new_values() {
        let (updated, changes) = apply_patch(
            &base(),
            &json!({"dose": {"received": 7.5}, "patient": {"age": 40}}),
        )
        .expect("valid");
        assert_eq!(
            updated.dose.and_then(|d| d.received).map(|q| q.to_string()),
            Some("7.5".into())
        );
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["dose.received", "patient"]);
        assert_eq!(changes[0].old, Some(serde_json::from_str("6").expect("n")));
        assert_eq!(
            changes[0].new,
            Some(serde_json::from_str("7.5").expect("n"))
        );
        assert_eq!(changes[1].old, None);
    }

    #[test]
    fn a_bad_patch_is_refused_with_the_field() {
        let err = apply_patch(&base(), &json!({"dose": {"recieved": 3}})).expect_err("typo");
        assert_eq!(err.field, "dose.recieved");
        let err = apply_patch(&base(), &json!({"nation": null})).expect_err("required");
        assert_eq!(err.to_string(), "nation: required, but missing");
        assert!(apply_patch(&base(), &json!([1])).is_err());
    }

    #[test]
    fn a_patch_that_changes_nothing_has_no_changes() {
        let (_, changes) =
            apply_patch(&base(), &json!({"nation": "england", "people": 1})).expect("valid");
        assert!(changes.is_empty(), "{changes:?}");
    }
}
