//! The OpenAPI 3.1 document of `/api/v1/`, written out here. Enumerations
//! come from the code (so they cannot drift), a test checks that every route
//! the server answers is documented, and a snapshot test shows every change
//! to the API as a diff.

use irmer_core::assessment::Outcome;
use irmer_core::incident::{
    AgeGroup, DeliveryScope, DoseUnit, ErrorKind, ExposureKind, GeographicalMiss, Modality, Nation,
    Person, Structure, VerificationCause,
};
use irmer_core::lifecycle::IncidentStatus;
use serde_json::{Value, json};

/// A date as the server reads it: YYYY-MM-DD, years 1900 to 2999.
const DATE: &str = "^(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}$";

fn names<T: Copy>(all: &[T], text: fn(T) -> &'static str) -> Value {
    json!(all.iter().map(|x| text(*x)).collect::<Vec<_>>())
}

/// The largest quantity the server keeps exactly.
const MOST: i64 = irmer_core::quantity::MAX_QUANTITY;

fn number(description: &str) -> Value {
    json!({"type": "number", "minimum": 0, "maximum": MOST, "description": description})
}

/// Every optional member, at every depth, may also be `null` (the contract
/// reads `null` as absent).
fn nullable_optional(schema: &mut Value) {
    let required: Vec<String> = schema["required"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if let Some(items) = schema.get_mut("items") {
        nullable_optional(items);
    }
    let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for (name, p) in props.iter_mut() {
        nullable_optional(p);
        if !required.contains(name) {
            *p = json!({"anyOf": [{"type": "null"}, p.clone()]});
        }
    }
}

/// A radiopharmaceutical's name: 1 to 200 characters, not only spaces.
fn name() -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": 200, "pattern": "[^\\s\\u0085]"})
}

fn incident_schema() -> Value {
    let mut schema = incident_fields();
    nullable_optional(&mut schema);
    schema
}

fn incident_fields() -> Value {
    json!({
        "type": "object",
        "description": "An accidental or unintended exposure (or near miss), in the project's contract format (shared/spec/incident-format.md). Unknown fields are refused. Numbers are read exactly as written.",
        "required": ["nation", "discovered", "modality", "exposure"],
        "dependentRequired": {"occurred_time": ["occurred"]},
        "additionalProperties": false,
        "if": {"required": ["exposure"], "properties": {"exposure": {"const": "accidental"}}},
        "then": {"properties": {"dose": {"properties": {"intended": {"anyOf": [{"type": "null"}, {"type": "number", "maximum": 0}]}}}}},
        "properties": {
            "reference": {"type": "string", "minLength": 1, "maxLength": 100, "allOf": [{"pattern": "[^\\s\\u0085]"}, {"pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"}], "description": "The employer's own reference; assigned when absent. No control characters."},
            "nation": {"enum": names(Nation::ALL, Nation::as_str)},
            "discovered": {"type": "string", "format": "date", "pattern": DATE, "description": "When the employer discovered the incident; the deadline clocks start here."},
            "occurred": {"type": "string", "format": "date", "pattern": DATE},
            "occurred_time": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "description": "The time of day of the exposure, HH:MM on the 24-hour clock (UK local time); only with occurred."},
            "title": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "[^\\s\\u0085]", "description": "A short title, as a local incident system lists it. Checked for identifiers like the description."},
            "modality": {"enum": names(Modality::ALL, Modality::as_str)},
            "exposure": {"enum": names(ExposureKind::ALL, ExposureKind::as_str)},
            "person": {"enum": names(Person::ALL, Person::as_str), "default": "patient"},
            "before_clinical_use": {"type": "boolean", "default": false},
            "people": {"type": "integer", "minimum": 1, "maximum": 100_000_000, "default": 1},
            "theme": {"type": "boolean", "default": false},
            "patient": {
                "type": "object", "additionalProperties": false,
                "description": "Either age (whole years) or age_group, not both.",
                "anyOf": [
                    {"required": ["age"], "properties": {"age": {"type": "integer"}}},
                    {"required": ["age_group"], "properties": {"age_group": {"type": "string"}}}
                ],
                "not": {"required": ["age", "age_group"], "properties": {"age": {"type": "integer"}, "age_group": {"type": "string"}}},
                "properties": {
                    "age": {"type": "integer", "minimum": 0, "maximum": 130},
                    "age_group": {"enum": names(AgeGroup::ALL, AgeGroup::as_str)}
                }
            },
            "errors": {"type": "array", "items": {"enum": names(ErrorKind::ALL, ErrorKind::as_str)}, "description": "[] means no error at all; absent means not yet known."},
            "dose": {
                "type": "object", "additionalProperties": false,
                "properties": {
                    "unit": {"enum": names(DoseUnit::ALL, DoseUnit::as_str), "default": "mSv"},
                    "intended": number("The intended effective dose."),
                    "received": number("The total from the incident: intended + over-exposure + repeats.")
                }
            },
            "tissue_reaction": {"type": "boolean", "default": false},
            "planning_scans": {"type": "integer", "minimum": 1, "maximum": 100_000},
            "verification": {
                "type": "object", "additionalProperties": false,
                "properties": {
                    "images_in_fraction": {"type": "integer", "minimum": 1, "maximum": 100_000},
                    "intended_images": {"type": "integer", "minimum": 0, "maximum": 100_000},
                    "additional_images": {"type": "integer", "minimum": 0, "maximum": 100_000},
                    "cause": {"enum": names(VerificationCause::ALL, VerificationCause::as_str)},
                    "thematic": {"type": "boolean", "default": false}
                }
            },
            "foetus": {
                "type": "object", "additionalProperties": false,
                "properties": {"dose_mgy": number("Foetal dose, mGy."), "intended": {"type": "boolean", "default": false}}
            },
            "infant_dose_msv": number("Effective dose to a breast-feeding infant, mSv."),
            "radiopharmaceutical": {
                "type": "object", "additionalProperties": false, "required": ["intended", "administered"],
                "properties": {"intended": name(), "administered": name()}
            },
            "therapy": {
                "type": "object", "additionalProperties": false,
                "properties": {
                    "deliveries": {"type": "array", "items": {
                        "type": "object", "additionalProperties": false,
                        "required": ["structure", "scope", "intended_gy", "delivered_gy"],
                        "properties": {
                            "structure": {"enum": names(Structure::ALL, Structure::as_str)},
                            "scope": {"enum": names(DeliveryScope::ALL, DeliveryScope::as_str)},
                            "intended_gy": {"type": "number", "exclusiveMinimum": 0, "maximum": MOST},
                            "delivered_gy": number("Gy")
                        }
                    }},
                    "geographical_miss": {"enum": names(GeographicalMiss::ALL, GeographicalMiss::as_str), "default": "none"},
                    "miss_mm": number("mm"),
                    "margin_mm": {"type": "number", "exclusiveMinimum": 0, "maximum": MOST}
                }
            },
            "activity": {
                "type": "object", "additionalProperties": false,
                "properties": {"prescribed_mbq": {"type": "number", "exclusiveMinimum": 0, "maximum": MOST}, "delivered_mbq": number("MBq")}
            },
            "clinically_significant": {"type": "boolean", "default": false},
            "voluntary": {"type": "boolean", "default": false},
            "licence": {
                "type": "object", "additionalProperties": false,
                "properties": {"employer": {"type": "boolean"}, "practitioner": {"type": "boolean"}}
            },
            "description": {"type": "string", "description": "Free text; never read by the criteria engine."},
            "immediate_action": {"type": "string", "description": "What was done at once (free text); checked for identifiers like the description."},
            "causes": {"type": "array", "maxItems": 20, "uniqueItems": true, "items": {"type": "string", "pattern": "^[a-z][a-z0-9-]*(\\.[a-z][a-z0-9-]*){2}$"}, "description": "The investigation's causes: tier-3 codes of the server's cause taxonomy (`irmer taxonomy` lists them; this document lists the server's own). A code recorded before the taxonomy changed stays."},
            "contributing_factors": {"type": "array", "maxItems": 20, "items": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "[^\\s\\u0085]"}, "description": "What contributed, a few words each (free text, checked for identifiers)."}
        }
    })
}

/// A JSON merge patch (RFC 7386) of the incident: its own fields, each a
/// value of the field's kind (an object's members in part) or null to
/// remove it. The incident it makes is checked whole (422 naming the field
/// when, with what is already recorded, it breaks a rule).
fn patch_schema() -> Value {
    let incident = incident_fields();
    let mut properties = serde_json::Map::new();
    if let Some(fields) = incident["properties"].as_object() {
        // The reference names the incident and is never changed.
        for (name, schema) in fields.iter().filter(|(n, _)| *n != "reference") {
            let mut part = schema.clone();
            if let Some(o) = part.as_object_mut() {
                o.remove("required");
                o.remove("default");
            }
            nullable_optional(&mut part);
            // A required fact can be changed, never removed.
            let required = incident["required"]
                .as_array()
                .is_some_and(|r| r.iter().any(|f| f == name.as_str()));
            let value = if required {
                part
            } else {
                json!({"anyOf": [{"type": "null"}, part]})
            };
            properties.insert(name.clone(), value);
        }
    }
    json!({"type": "object", "additionalProperties": false, "properties": properties,
        "description": "A JSON merge patch (RFC 7386) of the incident; null removes a field."})
}

/// Who an incident is about. Empty or blank texts (and null) are absent.
fn identity_schema() -> Value {
    let mut schema = json!({"type": "object", "additionalProperties": false, "properties": {
        "patient": {"type": "object", "additionalProperties": false, "properties": {
            "name": {"type": "string", "maxLength": 200},
            "health_number": {"type": "string", "description": "NHS, CHI or Health and Care number: ten digits, any spacing, a valid modulus-11 check digit."},
            "date_of_birth": {"type": "string", "anyOf": [{"format": "date", "pattern": DATE}, {"pattern": "^\\s*$"}], "description": "Blank is absent."},
            "hospital_number": {"type": "string", "description": "4 to 20 letters and digits (spaces and hyphens are dropped)."}
        }},
        "staff": {"type": "array", "maxItems": 50, "items": {"type": "object", "required": ["role", "name"], "additionalProperties": false, "properties": {
            "role": {"type": "string", "minLength": 1, "pattern": "[^\\s\\u0085]", "description": "radiographer, referrer, practitioner…: what a redaction writes in their place."},
            "name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "[^\\s\\u0085]"}
        }}}
    }});
    nullable_optional(&mut schema);
    schema
}

/// A step: the action and exactly its own fields, with the version read.
fn step_schema() -> Value {
    let date = json!({"type": "string", "format": "date", "pattern": DATE, "description": "On or after discovery, and not after today (UK)."});
    let text = |what: &str, max: u32| json!({"type": "string", "minLength": 1, "maxLength": max, "pattern": "[^\\s\\u0085]", "description": what});
    let one = |action: &str, fields: Vec<(&str, Value)>| {
        let mut properties = serde_json::Map::new();
        properties.insert("action".into(), json!({"const": action}));
        properties.insert("version".into(), json!({"type": "integer", "minimum": 1, "maximum": 9_007_199_254_740_991_i64, "description": "The version read (If-Match: \"N\" is read when the body has none)."}));
        properties.insert("reason".into(), json!({"anyOf": [{"type": "null"}, {"type": "string", "minLength": 1, "maxLength": 2000, "pattern": "[^\\s\\u0085]"}], "description": "Why, kept in the history (optional)."}));
        let mut required = vec!["action".to_owned(), "version".to_owned()];
        for (k, v) in fields {
            required.push(k.to_owned());
            properties.insert(k.into(), v);
        }
        json!({"type": "object", "additionalProperties": false, "required": required, "properties": properties})
    };
    json!({"oneOf": [
        one("start-investigation", vec![]),
        one("record-notification", vec![("date", date.clone()), ("authority_reference", text("The authority's reference number.", 100))]),
        one("record-report-sent", vec![("date", date.clone())]),
        one("close", vec![("date", date.clone()), ("findings", text("What the investigation found.", 10_000))]),
        one("close-locally", vec![("date", date), ("findings", text("What the investigation found.", 10_000))]),
        one("reopen", vec![("reason", text("Why the closed incident is opened again (required), kept in the history.", 2000))])
    ]})
}

/// Completes every operation's responses with what the server answers to
/// any request of its kind: 400 for a body or query that cannot be read,
/// 401 without a usable token, 404 for a reference it cannot see, 428 for
/// a change without the version read.
fn complete(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            let open = op.get("security").is_some_and(|s| s == &json!([]));
            let reads = op.get("requestBody").is_some()
                || op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .is_some_and(|p| p.iter().any(|p| p["in"] == "query"));
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            let mut add = |code: &str, what: &str| {
                responses.entry(code).or_insert_with(|| problem(what));
            };
            if reads {
                add(
                    "400",
                    "Malformed JSON, or an unknown or invalid query parameter; names it.",
                );
            }
            if !open {
                add(
                    "401",
                    "No token, or one that is unknown, revoked or its user's disabled.",
                );
            }
            if path.contains("{reference}") {
                add("404", "No such incident in the caller's scope.");
            }
            if (method == "patch" || path.ends_with("/steps")) && !open {
                add("428", "No version given (in the body, or If-Match).");
            }
        }
    }
}

fn problem(description: &str) -> Value {
    json!({"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

fn ok(description: &str, schema: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

fn reference_param() -> Value {
    json!({"name": "reference", "in": "path", "required": true, "schema": {"type": "string"}, "description": "The employer's reference."})
}

/// A comma-separated list of some of `values` (none: no filter).
fn list_pattern(values: &Value, example: &str) -> Value {
    let one = values
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("|")
        })
        .unwrap_or_default();
    json!({"type": "string", "pattern": format!("^(({one})(,({one}))*)?$"), "example": example})
}

/// A notification code as the server reads it: a criterion of the table,
/// after one of the letters M, E, V or C, any case.
fn code_pattern() -> String {
    let any_case = |text: &str| -> String {
        text.chars()
            .map(|c| match c {
                '.' => "\\.".to_owned(),
                c if c.is_ascii_alphabetic() => {
                    format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
                }
                c => c.to_string(),
            })
            .collect()
    };
    let codes: Vec<String> = irmer_core::Criterion::ALL
        .iter()
        .map(|c| any_case(c.as_str()))
        .collect();
    format!("^([MEVCmevc]?({}))?$", codes.join("|"))
}

/// The counts of a group, as the statistics name them.
const COUNTS: [&str; 7] = [
    "incidents",
    "notifiable",
    "voluntary",
    "undetermined",
    "not_notifiable",
    "out_of_scope",
    "near_misses",
];

fn stat_fields() -> Value {
    names(
        &irmer_stats::tally::Field::ALL,
        irmer_stats::tally::Field::as_str,
    )
}

/// A group's key: a value of each field grouped by, null for none.
fn stat_key() -> Value {
    json!({"type": "object", "description": "The value of each field grouped by (a modality's, code's or cause's name as data; a site's or department's name; YYYY-MM for a month); null where the incident has none.", "additionalProperties": {"type": ["string", "null"]}})
}

/// The fields trends may group by: every statistics field but the month
/// (the month is a trend's series itself).
fn trend_fields() -> Value {
    let mut fields = stat_fields();
    if let Some(list) = fields.as_array_mut() {
        list.retain(|f| f != "month");
    }
    fields
}

/// The period and grouping parameters of statistics (grouped by any of
/// `fields`) and trends.
fn period_params(fields: Value) -> Value {
    json!([
        query_param(
            "financial_year",
            "A financial year by the year it starts in (2025: 1 April 2025 to 31 March 2026); not with from or to.",
            json!({"type": "string", "pattern": "^[0-9]{4}$"})
        ),
        query_param(
            "from",
            "The first day of discovery (YYYY-MM-DD).",
            json!({"type": "string", "format": "date", "pattern": DATE})
        ),
        query_param(
            "to",
            "The last day of discovery (YYYY-MM-DD); today when only from is given.",
            json!({"type": "string", "format": "date", "pattern": DATE})
        ),
        query_param(
            "by",
            "Fields to group by, comma-separated.",
            list_pattern(&fields, "modality,cause-tier1")
        )
    ])
}

fn query_param(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": schema, "description": description})
}

/// The document with the shipped cause taxonomy's codes.
pub fn document() -> Value {
    let shipped = irmer_stats::taxonomy::Taxonomy::shipped().unwrap_or_default();
    document_for(&shipped)
}

/// The document for a server whose causes are checked against
/// `taxonomy`: its tier-3 codes are the only causes it lists.
pub fn document_for(taxonomy: &irmer_stats::taxonomy::Taxonomy) -> Value {
    let mut doc = written();
    complete(&mut doc);
    let codes: Vec<Value> = taxonomy
        .tier(3)
        .map(|e| Value::from(e.code.as_str()))
        .collect();
    list_causes(&mut doc, &codes);
    doc
}

/// Wherever a schema has a `causes` property (the incident, the merge
/// patch), its items become the taxonomy's codes.
fn list_causes(value: &mut Value, codes: &[Value]) {
    match value {
        Value::Object(map) => {
            if let Some(causes) = map.get_mut("properties").and_then(|p| p.get_mut("causes")) {
                set_items(causes, codes);
            }
            for v in map.values_mut() {
                list_causes(v, codes);
            }
        }
        Value::Array(list) => list.iter_mut().for_each(|v| list_causes(v, codes)),
        _ => {}
    }
}

fn set_items(schema: &mut Value, codes: &[Value]) {
    if schema.get("type") == Some(&Value::from("array")) {
        schema["items"] = json!({"enum": codes});
    }
    if let Some(options) = schema.get_mut("anyOf").and_then(Value::as_array_mut) {
        options.iter_mut().for_each(|o| set_items(o, codes));
    }
}

fn written() -> Value {
    let list_params = json!([
        query_param(
            "status",
            "Comma-separated statuses.",
            list_pattern(
                &names(&IncidentStatus::ALL, IncidentStatus::as_str),
                "reported,investigating"
            )
        ),
        query_param(
            "modality",
            "Comma-separated modalities.",
            list_pattern(&names(Modality::ALL, Modality::as_str), "ct,dental")
        ),
        query_param(
            "outcome",
            "Comma-separated outcomes.",
            list_pattern(&names(&Outcome::ALL, Outcome::as_str), "notifiable")
        ),
        query_param(
            "q",
            "Text in the reference or the description, any case; % and _ are themselves.",
            json!({"type": "string", "maxLength": crate::SEARCH_MAX})
        ),
        query_param(
            "department",
            "Only incidents of these departments (their numbers, comma-separated).",
            json!({"type": "string", "pattern": "^([0-9]{1,18}(,[0-9]{1,18})*)?$"})
        ),
        query_param(
            "site",
            "Only incidents of the departments of this site (its number).",
            json!({"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX})
        ),
        query_param(
            "code",
            "A notification code, exact (2.2, M2.1); another text is refused.",
            json!({"type": "string", "pattern": code_pattern()})
        ),
        query_param(
            "overdue",
            "Only incidents with a deadline missed and not yet met.",
            json!({"type": "boolean"})
        ),
        query_param(
            "due_within",
            "Only incidents with a deadline to meet within N days (overdue included).",
            json!({"type": "integer", "minimum": 0, "maximum": 3650})
        ),
        query_param(
            "discovered_from",
            "Discovered on or after.",
            json!({"type": "string", "format": "date", "pattern": DATE})
        ),
        query_param(
            "discovered_to",
            "Discovered on or before.",
            json!({"type": "string", "format": "date", "pattern": DATE})
        ),
        query_param(
            "sort",
            "Order.",
            json!({"enum": ["discovered-newest", "discovered-oldest", "next-due", "reference"], "default": "discovered-newest"})
        ),
        query_param(
            "limit",
            "Page size.",
            json!({"type": "integer", "minimum": 0, "maximum": irmer_store::MAX_PAGE, "default": crate::DEFAULT_LIMIT})
        ),
        query_param(
            "offset",
            "How many to skip.",
            json!({"type": "integer", "minimum": 0, "maximum": crate::MAX_OFFSET, "default": 0})
        )
    ]);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "irmer API",
            "version": "1",
            "description": "The IR(ME)R incident register: record accidental and unintended exposures, decide against the enforcing authorities' criteria, track the notification and report deadlines. Errors are application/problem+json and name the field. Every route but this document and /healthz needs a personal API token (`Authorization: Bearer …`; `irmer token create NAME`); what a caller sees and may change follows their role and scope (403 for a role that may not, 404 for an incident outside their scope)."
        },
        "paths": {
            "/api/v1/assess": {"post": {
                "summary": "Assess an incident without recording it",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Incident"}}}},
                "responses": {"200": ok("The assessment.", "Assessment"), "400": problem("Malformed JSON."), "422": problem("Not a valid incident; names the field.")}
            }},
            "/api/v1/incidents": {
                "get": {
                    "summary": "List incidents",
                    "parameters": list_params,
                    "responses": {"200": ok("A page of incident summaries.", "RecordPage"), "400": problem("An unknown or invalid query parameter.")}
                },
                "post": {
                    "summary": "Record an incident",
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Incident"}}}},
                    "responses": {
                        "201": ok("Recorded: the record with its assessment and version (Location names it).", "Record"),
                        "400": problem("Malformed JSON."),
                        "409": problem("The reference is taken."),
                        "422": problem("Not a valid incident; names the field.")
                    }
                }
            },
            "/api/v1/incidents/{reference}": {
                "get": {
                    "summary": "One incident: facts, current assessment, milestones, deadline status, original account",
                    "parameters": [reference_param()],
                    "responses": {"200": ok("The record (ETag: its version).", "Record"), "404": problem("No such incident.")}
                },
                "patch": {
                    "summary": "Change facts with a JSON merge patch, a reason and the version read",
                    "parameters": [reference_param()],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Amendment"}}}},
                    "responses": {
                        "200": ok("The record after the change (unchanged when the patch changes nothing).", "Record"),
                        "404": problem("No such incident."),
                        "409": problem("Stale version: the incident changed since (current_version says to what)."),
                        "422": problem("An invalid patch, reason or version; names the field."),
                        "428": problem("No version given.")
                    }
                }
            },
            "/api/v1/incidents/{reference}/history": {"get": {
                "summary": "Every change, oldest first: who, when (UTC), what changed (old and new), why",
                "parameters": [reference_param()],
                "responses": {"200": ok("The history.", "History"), "404": problem("No such incident.")}
            }},
            "/api/v1/incidents/{reference}/steps": {"post": {
                "summary": "Take a step in the incident's life (notification recorded, report sent, closed…)",
                "parameters": [reference_param()],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Step"}}}},
                "responses": {
                    "200": ok("The record after the step.", "Record"),
                    "404": problem("No such incident."),
                    "409": problem("A stale version, or a step not possible in the current state."),
                    "422": problem("An invalid step; names the field.")
                }
            }},
            "/api/v1/incidents/{reference}/comments": {"post": {
                "summary": "Add a comment (an event of its own in the history; facts unchanged). Investigators, advisers and administrators.",
                "parameters": [reference_param()],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["comment"], "additionalProperties": false,
                    "properties": {"comment": {"type": "string", "minLength": 1, "maxLength": 10000, "pattern": "[^\\s\\u0085]", "description": "Refused (422) when it holds what may identify a person."}}}}}},
                "responses": {
                    "201": ok("The record after the comment.", "Record"),
                    "403": problem("The role may not comment."),
                    "404": problem("No such incident in the caller's scope."),
                    "422": problem("An empty or too long comment.")
                }
            }},
            "/api/v1/incidents/{reference}/identity": {
                "get": {
                    "summary": "Who the incident is about (the patient, the staff involved), kept apart from the facts. Investigators and administrators only; never in a record, list, history or export.",
                    "parameters": [reference_param()],
                    "responses": {
                        "200": ok("The identity ({} when none is recorded).", "Identity"),
                        "403": problem("The role may not see who an incident is about."),
                        "404": problem("No such incident in the caller's scope.")
                    }
                },
                "put": {
                    "summary": "Replace the identity. The history records which fields changed, never their values; the same identity again writes nothing.",
                    "parameters": [reference_param()],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Identity"}}}},
                    "responses": {
                        "200": ok("The identity as kept (numbers without spaces, roles in small letters).", "Identity"),
                        "403": problem("The role may not change who an incident is about."),
                        "404": problem("No such incident in the caller's scope."),
                        "422": problem("An invalid identity (a health number with a wrong check digit, an unknown field); names the field.")
                    }
                }
            },
            "/api/v1/tasks": {"get": {
                "summary": "What the decisions oblige, as tasks, within the caller's scope: informing the referrer, the practitioner and the patient, the duty of candour, the reports to other bodies",
                "description": "By due date, then incident. A task is made when an assessment names it, and follows the assessment: no longer named, it is marked not needed with the reason; never deleted.",
                "parameters": [
                    query_param("incident", "Only this incident's tasks.", json!({"type": "string"})),
                    query_param("open", "Only open tasks.", json!({"type": "string", "enum": ["true", "false"]})),
                    query_param("overdue", "Only open tasks past their due date (today in the UK).", json!({"type": "string", "enum": ["true", "false"]}))
                ],
                "responses": {
                    "200": ok("The tasks.", "Tasks"),
                    "400": problem("An unknown parameter, or a flag that is not true or false; names it.")
                }
            }},
            "/api/v1/tasks/{id}/steps": {"post": {
                "summary": "A step on a task: done (with the date, the other body's reference and a note), not needed (with the reason), or another due date. Investigators and administrators.",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"}, "description": "The task's id."}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TaskStep"}}}},
                "responses": {
                    "200": ok("The task after the step.", "Task"),
                    "403": problem("The role may not take steps."),
                    "404": problem("No such task in the caller's scope."),
                    "409": problem("The task's state refuses the step: already done, or already marked not needed (field status)."),
                    "422": problem("A step's field refused: a date before the discovery, a done date in the future, no reason, an identifier in a text; names the field.")
                }
            }},
            "/api/v1/deadlines": {"get": {
                "summary": "Every incident with a deadline still to meet, soonest first",
                "parameters": [
                    query_param("within", "Only what is due within N days (overdue included).", json!({"type": "integer", "minimum": 0, "maximum": 3650})),
                    query_param("limit", "Page size.", json!({"type": "integer", "minimum": 0, "maximum": irmer_store::MAX_PAGE, "default": crate::DEFAULT_LIMIT})),
                    query_param("offset", "How many to skip.", json!({"type": "integer", "minimum": 0, "maximum": crate::MAX_OFFSET, "default": 0})),
                    query_param("total", "Count every incident due (off by default).", json!({"type": "boolean", "default": false}))
                ],
                "responses": {"200": ok("A page of the incidents due, soonest first.", "Deadlines")}
            }},
            "/api/v1/statistics": {"get": {
                "summary": "The year's counts: incidents discovered in a period, grouped, within the caller's scope",
                "description": "By default the current financial year (1 April to 31 March). An incident with several codes or causes counts once in each of its groups and once in the total; near misses (exposure none) and each outcome are counted apart.",
                "parameters": period_params(stat_fields()),
                "responses": {
                    "200": ok("The counts of each group and the total.", "Statistics"),
                    "400": problem("An unknown field, a year that is not a year, a date that is not a date, from after to, or a year with dates; names the parameter.")
                }
            }},
            "/api/v1/trends": {"get": {
                "summary": "Monthly counts as XmR control charts, with their special-cause signals",
                "description": "By default the last 24 months. The mean, the process limits (the mean ± 2.66 × the mean moving range) and each point a rule marks: outside-limits, run (7 on one side of the mean), trend (6 rising or falling), two-of-three (2 of 3 beyond two thirds of the way to a limit). At most 240 months.",
                "parameters": period_params(trend_fields()),
                "responses": {
                    "200": ok("One chart for all incidents, or one a group.", "Trends"),
                    "400": problem("As for statistics; also more than 240 months.")
                }
            }},
            "/api/v1/deadlines.ics": {"get": {
                "summary": "The pending deadlines as an iCalendar feed to subscribe to",
                "responses": {"200": {"description": "text/calendar, one all-day event per pending deadline (reference and codes only).", "content": {"text/calendar": {"schema": {"type": "string"}}}}}
            }},
            "/calendar/{file}": {"get": {
                "summary": "The same feed at a secret address, for calendars that cannot send a token",
                "description": "FILE is a calendar feed's token (irmercal_…, made on the web application's Deadlines page) followed by .ics. The token opens this feed only; the API refuses it, and an API token is refused here.",
                "security": [],
                "parameters": [{"name": "file", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^irmercal_[0-9a-f]{64}\\.ics$"}}],
                "responses": {
                    "200": {"description": "text/calendar, as /api/v1/deadlines.ics for the token's holder.", "content": {"text/calendar": {"schema": {"type": "string"}}}},
                    "404": {"description": "No live calendar feed at this address.", "content": {"application/problem+json": {"schema": {"type": "object"}}}}
                }
            }},
            "/api/v1/openapi.json": {"get": {
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1.", "content": {"application/json": {"schema": {"type": "object"}}}}}
            }},
            "/healthz": {"get": {
                "summary": "Liveness",
                "security": [],
                "responses": {"200": {"description": "ok", "content": {"text/plain": {"schema": {"type": "string"}}}}}
            }}
        },
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "A personal API token (irmer_…)."}}, "schemas": {
            "Incident": incident_schema(),
            "Assessment": {
                "type": "object",
                "description": "The decision and why (shared/spec/incident-format.md, Assessment).",
                "required": ["guidance", "outcome", "codes", "category_code", "criteria", "authority", "deadlines", "other_reports", "duties", "missing", "notes"],
                "properties": {
                    "guidance": {"type": "string", "example": "cqc-2024-08-28"},
                    "outcome": {"enum": names(&Outcome::ALL, Outcome::as_str)},
                    "codes": {"type": "array", "items": {"type": "string"}},
                    "category_code": {"type": ["string", "null"]},
                    "criteria": {"type": "array", "items": {"type": "object", "required": ["code", "status", "reason"], "properties": {
                        "code": {"type": "string"}, "status": {"enum": ["met", "not-met", "undetermined", "not-applicable"]}, "reason": {"type": "string"}}}},
                    "authority": {"type": ["object", "null"], "properties": {"id": {"enum": ["cqc", "hiw", "his", "rqia"]}, "name": {"type": "string"}}},
                    "deadlines": {"type": ["object", "null"], "properties": {"notify_by": {"type": "string", "format": "date", "pattern": DATE}, "report_by": {"type": "string", "format": "date", "pattern": DATE}}},
                    "other_reports": {"type": "array", "items": {"type": "object", "properties": {"to": {"enum": ["mhra", "iric", "niaic", "arsac", "hse"]}, "why": {"type": "string"}}}},
                    "duties": {"type": "array", "items": {"enum": ["investigate-and-record", "duty-of-candour", "inform-referrer-practitioner-patient"]}},
                    "missing": {"type": "array", "items": {"type": "string"}},
                    "notes": {"type": "array", "items": {"type": "string"}}
                }
            },
            "Task": {"type": "object", "required": ["id", "incident", "kind", "label", "status", "due", "owner"], "properties": {
                "id": {"type": "integer"},
                "incident": {"type": "string"},
                "kind": {"enum": ["inform-referrer", "inform-practitioner", "inform-patient", "duty-of-candour", "report-mhra", "report-iric", "report-niaic", "report-arsac", "report-licence-breach", "report-hse"]},
                "label": {"type": "string"},
                "status": {"enum": ["open", "done", "not-needed"]},
                "due": {"type": "string", "format": "date"},
                "owner": {"type": "string", "description": "role:NAME or user:ID"},
                "reference": {"type": ["string", "null"], "description": "The other body's reference (Yellow Card, IRIC, NIAIC, ARSAC, HSE)."},
                "done_on": {"type": ["string", "null"], "format": "date"},
                "note": {"type": ["string", "null"]},
                "reason": {"type": ["string", "null"]}
            }},
            "Tasks": {"type": "object", "required": ["today", "items"], "properties": {
                "today": {"type": "string", "format": "date"},
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Task"}}
            }},
            "TaskStep": {"oneOf": [
                {"type": "object", "required": ["step"], "additionalProperties": false, "properties": {
                    "step": {"const": "done"},
                    "date": {"type": "string", "format": "date", "pattern": DATE, "description": "Today when left out."},
                    "reference": {"type": "string", "maxLength": 2000},
                    "note": {"type": "string", "maxLength": 2000}}},
                {"type": "object", "required": ["step", "reason"], "additionalProperties": false, "properties": {
                    "step": {"const": "not-needed"},
                    "reason": {"type": "string", "minLength": 1, "maxLength": 2000, "pattern": "[^\\s\\u0085]"}}},
                {"type": "object", "required": ["step", "date"], "additionalProperties": false, "properties": {
                    "step": {"const": "due"},
                    "date": {"type": "string", "format": "date", "pattern": DATE}}},
                {"type": "object", "required": ["step"], "additionalProperties": false, "description": "Assign an open task to a user who may act on tasks and see the incident (422 naming owner otherwise); null or left out: back to the investigators.", "properties": {
                    "step": {"const": "assign"},
                    "owner": {"type": ["string", "null"], "maxLength": 100, "description": "A username."}}}
            ]},
            "Record": {
                "type": "object",
                "required": ["reference", "version", "status", "incident", "assessment", "milestones", "deadline_status", "original", "created_at", "updated_at"],
                "properties": {
                    "reference": {"type": "string"},
                    "version": {"type": "integer", "minimum": 1, "description": "Send it back with a change; a stale one is refused."},
                    "status": {"enum": names(&IncidentStatus::ALL, IncidentStatus::as_str)},
                    "incident": {"$ref": "#/components/schemas/Incident"},
                    "assessment": {"$ref": "#/components/schemas/Assessment"},
                    "milestones": {"type": "object", "properties": {
                        "notified_on": {"type": "string", "format": "date", "pattern": DATE}, "authority_reference": {"type": "string"},
                        "report_sent_on": {"type": "string", "format": "date", "pattern": DATE}, "closed_on": {"type": "string", "format": "date", "pattern": DATE}, "findings": {"type": "string"}}},
                    "deadline_status": {"type": ["object", "null"], "description": "The two clocks today: state open, due-soon, overdue, met or met-late.", "properties": {
                        "notify": {"$ref": "#/components/schemas/Clock"}, "report": {"$ref": "#/components/schemas/Clock"}}},
                    "original": {"type": "object", "description": "The reporter's original account, as first submitted."},
                    "created_at": {"type": "string", "format": "date-time"},
                    "updated_at": {"type": "string", "format": "date-time"}
                }
            },
            "Clock": {"type": "object", "required": ["state", "due"], "properties": {
                "state": {"enum": ["open", "due-soon", "overdue", "met", "met-late"]},
                "due": {"type": "string", "format": "date", "pattern": DATE}, "on": {"type": "string", "format": "date", "pattern": DATE},
                "days_left": {"type": "integer"}, "days_late": {"type": "integer"}}},
            "Summary": {
                "type": "object",
                "description": "An incident as a list shows it; GET /api/v1/incidents/{reference} gives the whole record.",
                "required": ["reference", "version", "status", "nation", "modality", "discovered", "outcome", "codes", "authority", "deadline_status", "updated_at"],
                "properties": {
                    "reference": {"type": "string"}, "version": {"type": "integer"},
                    "status": {"enum": names(&IncidentStatus::ALL, IncidentStatus::as_str)},
                    "nation": {"enum": names(Nation::ALL, Nation::as_str)},
                    "modality": {"enum": names(Modality::ALL, Modality::as_str)},
                    "discovered": {"type": "string", "format": "date", "pattern": DATE},
                    "outcome": {"enum": names(&Outcome::ALL, Outcome::as_str)},
                    "codes": {"type": "array", "items": {"type": "string"}},
                    "authority": {"type": ["string", "null"], "enum": ["cqc", "hiw", "his", "rqia", null]},
                    "notify_by": {"type": ["string", "null"], "format": "date"}, "report_by": {"type": ["string", "null"], "format": "date"},
                    "notified_on": {"type": ["string", "null"], "format": "date"}, "report_sent_on": {"type": ["string", "null"], "format": "date"},
                    "closed_on": {"type": ["string", "null"], "format": "date"},
                    "deadline_status": {"type": ["object", "null"], "properties": {
                        "notify": {"$ref": "#/components/schemas/Clock"}, "report": {"$ref": "#/components/schemas/Clock"}}},
                    "updated_at": {"type": "string", "format": "date-time"}
                }
            },
            "RecordPage": {"type": "object", "required": ["items", "total", "limit", "offset", "next_offset"], "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Summary"}},
                "total": {"type": ["integer", "null"], "description": "With total=true: how many match in all."},
                "limit": {"type": "integer"}, "offset": {"type": "integer"},
                "next_offset": {"type": ["integer", "null"], "description": "The offset of the next page; null on the last."}}},
            "Deadlines": {"type": "object", "required": ["today", "items", "total", "limit", "offset", "next_offset"], "properties": {
                "today": {"type": "string", "format": "date", "pattern": DATE},
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Summary"}},
                "total": {"type": ["integer", "null"], "description": "With total=true: how many match in all."},
                "limit": {"type": "integer"}, "offset": {"type": "integer"},
                "next_offset": {"type": ["integer", "null"], "description": "The offset of the next page; null on the last."}}},
            "Statistics": {"type": "object", "required": ["from", "to", "by", "groups", "total"], "properties": {
                "from": {"type": "string", "format": "date", "pattern": DATE},
                "to": {"type": "string", "format": "date", "pattern": DATE},
                "by": {"type": "array", "items": {"enum": stat_fields()}},
                "groups": {"type": "array", "items": {"allOf": [{"$ref": "#/components/schemas/Counts"}, {"type": "object", "required": ["key"], "properties": {"key": stat_key()}}]}},
                "total": {"$ref": "#/components/schemas/Counts"}}},
            "Counts": {"type": "object", "required": COUNTS, "properties": COUNTS.iter().map(|c| ((*c).to_owned(), json!({"type": "integer", "minimum": 0}))).collect::<serde_json::Map<String, Value>>()},
            "Trends": {"type": "object", "required": ["from", "to", "by", "groups"], "properties": {
                "from": {"type": "string", "format": "date", "pattern": DATE},
                "to": {"type": "string", "format": "date", "pattern": DATE},
                "by": {"type": "array", "items": {"enum": stat_fields()}},
                "groups": {"type": "array", "items": {"type": "object", "required": ["key", "series", "mean", "upper_limit", "lower_limit", "signals", "verdict"], "properties": {
                    "key": stat_key(),
                    "series": {"type": "array", "items": {"type": "object", "required": ["month", "count"], "properties": {"month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}, "count": {"type": "integer", "minimum": 0}}}},
                    "mean": {"type": "number"}, "upper_limit": {"type": "number"}, "lower_limit": {"type": "number", "description": "May be below zero: shown as calculated."},
                    "signals": {"type": "array", "items": {"type": "object", "required": ["month", "rule", "direction"], "properties": {
                        "month": {"type": "string"}, "rule": {"enum": ["outside-limits", "run", "trend", "two-of-three"]}, "direction": {"enum": ["high", "low"]}}}},
                    "verdict": {"enum": ["too-few-points", "common-cause", "concern", "improvement"]}}}}}},
            "Amendment": {"type": "object", "required": ["version", "reason", "patch"], "additionalProperties": false, "properties": {
                "version": {"type": "integer", "minimum": 1, "maximum": 9_007_199_254_740_991_i64, "description": "The version read (If-Match: \"N\" is read when the body has none)."},
                "reason": {"type": "string", "minLength": 1, "maxLength": 2000, "pattern": "[^\\s\\u0085]", "description": "Why; kept in the history (not only white space)."},
                "patch": patch_schema()}},
            "Identity": identity_schema(),
            "Step": step_schema(),
            "History": {"type": "object", "required": ["reference", "events"], "properties": {
                "reference": {"type": "string"},
                "events": {"type": "array", "items": {"type": "object", "properties": {
                    "version": {"type": "integer"}, "at": {"type": "string", "format": "date-time"}, "actor": {"type": "string"},
                    "kind": {"enum": names(&irmer_store::EventKind::ALL, irmer_store::EventKind::as_str)},
                    "reason": {"type": ["string", "null"]}, "data": {}, "changes": {"type": "array", "items": {"type": "object", "properties": {
                        "field": {"type": "string"}, "old": {}, "new": {}}}},
                    "facts": {}, "assessment": {}}}}}},
            "Problem": {"type": "object", "required": ["type", "title", "status", "detail"], "properties": {
                "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"},
                "field": {"type": "string", "description": "The field in error, as a dotted path."},
                "current_version": {"type": "integer"}}}
        }}
    })
}
