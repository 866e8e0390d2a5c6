//! The incident form: which questions a modality needs, each with its
//! definition and an example; rendering them; and turning the answers into
//! the contract's JSON, which then goes the one way in
//! (`irmer_core::parse_incident`) like any other input. Field names are the
//! contract's paths (`dose.received`, `therapy.deliveries.0.intended_gy`).

use irmer_core::incident::{ExposureCategory, Modality};
use maud::{Markup, html};
use serde_json::{Map, Value};

use crate::html::field_id;

/// What kind of answer a question takes.
#[derive(Clone, Copy)]
pub enum Kind {
    /// A date, asked as day, month and year (the GOV.UK date input).
    Date,
    /// A time of day, HH:MM on the 24-hour clock.
    Time,
    /// An exact decimal number (kept as written).
    Number,
    /// A whole number, 0 or more.
    Whole,
    /// Yes or no; unanswered means absent.
    YesNo,
    /// One of (value, label).
    Choice(&'static [(&'static str, &'static str)]),
    /// Any of (value, label); `none` stands for "no error at all" (`[]`).
    Checks(&'static [(&'static str, &'static str)]),
    Text,
    LongText,
}

/// When a question is asked.
#[derive(Clone, Copy)]
pub enum When {
    Always,
    Category(&'static [ExposureCategory]),
    NuclearMedicine,
}

impl When {
    fn applies(self, modality: Modality) -> bool {
        match self {
            When::Always => true,
            When::Category(list) => list.contains(&modality.category()),
            When::NuclearMedicine => modality.is_nuclear_medicine(),
        }
    }
}

pub struct Question {
    pub name: &'static str,
    pub label: &'static str,
    /// The definition and an example, shown under the label.
    pub hint: &'static str,
    pub kind: Kind,
    pub when: When,
}

pub struct Group {
    pub legend: &'static str,
    pub questions: &'static [Question],
}

const YES_NO: Kind = Kind::YesNo;
use ExposureCategory as C;

pub const NATIONS: &[(&str, &str)] = &[
    ("england", "England (CQC)"),
    ("wales", "Wales (HIW)"),
    ("scotland", "Scotland (HIS)"),
    ("northern-ireland", "Northern Ireland (RQIA)"),
];

/// The form, in the order it is asked.
pub const GROUPS: &[Group] = &[
    Group {
        legend: "When and where",
        questions: &[
            Question {
                name: "discovered",
                label: "Date the incident was discovered",
                hint: "When your organisation found out. The 2-week notification and 12-week report clocks start on this day. For example, 2 3 2026.",
                kind: Kind::Date,
                when: When::Always,
            },
            Question {
                name: "occurred",
                label: "Date of the exposure (optional)",
                hint: "When the exposure itself took place, if known. For example, 27 2 2026.",
                kind: Kind::Date,
                when: When::Always,
            },
            Question {
                name: "occurred_time",
                label: "Time of the exposure (optional)",
                hint: "On the 24-hour clock, UK time, with the date above. For example, 14:30.",
                kind: Kind::Time,
                when: When::Always,
            },
            Question {
                name: "nation",
                label: "Nation where the exposure took place",
                hint: "It decides the enforcing authority to notify, and in England the age-related thresholds for accidental exposures.",
                kind: Kind::Choice(NATIONS),
                when: When::Always,
            },
            Question {
                name: "reference",
                label: "Your own reference (optional)",
                hint: "For example the number in your local incident system. Leave blank and irmer gives one, such as IR-2026-7K3M9Q2D. Only users who see the whole organisation choose one. Never a patient's name or NHS number.",
                kind: Kind::Text,
                when: When::Always,
            },
        ],
    },
    Group {
        legend: "What happened",
        questions: &[
            Question {
                name: "title",
                label: "A short title (optional)",
                hint: "As your incident system lists it, in a line. For example, CT head repeated: wrong protocol.",
                kind: Kind::Text,
                when: When::Always,
            },
            Question {
                name: "description",
                label: "What happened",
                hint: "In your own words, for the investigation. Never write a patient's name, NHS or hospital number, date of birth or address.",
                kind: Kind::LongText,
                when: When::Always,
            },
            Question {
                name: "immediate_action",
                label: "Immediate action taken (optional)",
                hint: "What was done at once: for example, the patient reviewed by the radiologist, the scanner taken out of use. No names or numbers.",
                kind: Kind::LongText,
                when: When::Always,
            },
            Question {
                name: "exposure",
                label: "What happened to the person the incident is about?",
                hint: "Choose the one that fits best.",
                kind: Kind::Choice(&[
                    (
                        "accidental",
                        "Accidental: no exposure was intended for them (for example, the wrong patient was scanned)",
                    ),
                    (
                        "unintended",
                        "Unintended: an exposure was intended, but what they received was significantly greater or different (wrong anatomy, technique, radiopharmaceutical, equipment fault)",
                    ),
                    (
                        "intended",
                        "Intended: their own exposure went as planned, and the incident concerns something else (an unborn child, a breast-feeding infant, a licence)",
                    ),
                    ("none", "Near miss: nothing was delivered"),
                ]),
                when: When::Always,
            },
            Question {
                name: "errors",
                label: "What went wrong?",
                hint: "Tick all that apply. Leave all unticked if it is not yet known. A technical repeat for patient movement or contrast extravasation is \u{201c}no error\u{201d}.",
                kind: Kind::Checks(&[
                    ("procedural", "Procedural failure"),
                    ("human", "Human error"),
                    ("systematic", "Systematic failure"),
                    ("equipment", "Equipment fault"),
                    ("none", "No error at all"),
                ]),
                when: When::Always,
            },
            Question {
                name: "person",
                label: "Who was exposed?",
                hint: "Members of the public and workers are outside IR(ME)R: such incidents go to HSE.",
                kind: Kind::Choice(&[
                    (
                        "patient",
                        "A patient (or carer and comforter, or research volunteer)",
                    ),
                    ("public", "A member of the public"),
                    ("worker", "A worker"),
                ]),
                when: When::Always,
            },
            Question {
                name: "people",
                label: "How many people were exposed in this incident?",
                hint: "For example 1, or 3 when three patients received the same wrong dose.",
                kind: Kind::Whole,
                when: When::Always,
            },
        ],
    },
    Group {
        legend: "The patient",
        questions: &[
            Question {
                name: "patient.age",
                label: "Age in whole years",
                hint: "Some thresholds differ for children. Give the age, or the age group below if the age is not known. For example, 34.",
                kind: Kind::Whole,
                when: When::Always,
            },
            Question {
                name: "patient.age_group",
                label: "Age group, if the age is not known",
                hint: "Leave blank when you gave the age.",
                kind: Kind::Choice(&[("adult", "Adult"), ("child", "Child")]),
                when: When::Always,
            },
        ],
    },
    Group {
        legend: "Dose",
        questions: &[
            Question {
                name: "dose.unit",
                label: "Unit",
                hint: "Effective dose in mSv is what the criteria compare. Another unit is kept, but the criteria stated in mSv then stay undetermined.",
                kind: Kind::Choice(&[
                    ("mSv", "mSv (effective dose)"),
                    ("mGy", "mGy"),
                    ("mGy.cm", "mGy.cm (DLP)"),
                    ("Gy.cm2", "Gy.cm² (DAP)"),
                    ("MBq", "MBq"),
                ]),
                when: When::Always,
            },
            Question {
                name: "dose.intended",
                label: "Intended dose",
                hint: "The dose intended for this person. Leave blank or 0 for an accidental exposure. For example, 0.5.",
                kind: Kind::Number,
                when: When::Always,
            },
            Question {
                name: "dose.received",
                label: "Dose received (total)",
                hint: "The total from the incident: the intended part, the over-exposure and any necessary repeats. For example, 6.",
                kind: Kind::Number,
                when: When::Always,
            },
        ],
    },
    Group {
        legend: "Interventional procedure",
        questions: &[Question {
            name: "tissue_reaction",
            label: "Did an observable tissue reaction result?",
            hint: "Including transient erythema.",
            kind: YES_NO,
            when: When::Category(&[C::Interventional]),
        }],
    },
    Group {
        legend: "Radiotherapy planning imaging",
        questions: &[Question {
            name: "planning_scans",
            label: "Planning scans acquired, including the intended one",
            hint: "For example, 3 when the scan was repeated twice.",
            kind: Kind::Whole,
            when: When::Category(&[C::RadiotherapyPlanning]),
        }],
    },
    Group {
        legend: "Radiotherapy verification imaging",
        questions: &[
            Question {
                name: "verification.images_in_fraction",
                label: "Most images in any single fraction",
                hint: "Including the intended one. For example, 3.",
                kind: Kind::Whole,
                when: When::Category(&[C::RadiotherapyVerification]),
            },
            Question {
                name: "verification.intended_images",
                label: "Images intended over the whole course",
                hint: "For example, 5.",
                kind: Kind::Whole,
                when: When::Category(&[C::RadiotherapyVerification]),
            },
            Question {
                name: "verification.additional_images",
                label: "Additional images over the whole course",
                hint: "For example, 3.",
                kind: Kind::Whole,
                when: When::Category(&[C::RadiotherapyVerification]),
            },
            Question {
                name: "verification.cause",
                label: "Cause of the additional images",
                hint: "",
                kind: Kind::Choice(&[
                    ("set-up", "Set-up"),
                    ("equipment", "Equipment"),
                    ("protocol", "Protocol"),
                ]),
                when: When::Category(&[C::RadiotherapyVerification]),
            },
            Question {
                name: "verification.thematic",
                label: "Is it a thematic (persistent or repeated) hardware or software failure?",
                hint: "",
                kind: YES_NO,
                when: When::Category(&[C::RadiotherapyVerification]),
            },
        ],
    },
    Group {
        legend: "Radiotherapy delivery",
        questions: &[
            Question {
                name: "therapy.deliveries.0.structure",
                label: "First dose: structure",
                hint: "PTV: planning target volume; OAR: organ at risk.",
                kind: Kind::Choice(&[("ptv", "PTV"), ("oar", "OAR")]),
                when: When::Category(&[C::RadiotherapyTreatment]),
            },
            Question {
                name: "therapy.deliveries.0.scope",
                label: "First dose: over the whole course or one fraction?",
                hint: "",
                kind: Kind::Choice(&[("course", "Whole course"), ("fraction", "One fraction")]),
                when: When::Category(&[C::RadiotherapyTreatment]),
            },
            Question {
                name: "therapy.deliveries.0.intended_gy",
                label: "First dose: intended (Gy)",
                hint: "For example, 60.",
                kind: Kind::Number,
                when: When::Category(&[C::RadiotherapyTreatment]),
            },
            Question {
                name: "therapy.deliveries.0.delivered_gy",
                label: "First dose: delivered (Gy)",
                hint: "For example, 66.",
                kind: Kind::Number,
                when: When::Category(&[C::RadiotherapyTreatment]),
            },
            Question {
                name: "therapy.deliveries.1.structure",
                label: "Second dose (optional): structure",
                hint: "Another structure or scope, if there is one.",
                kind: Kind::Choice(&[("ptv", "PTV"), ("oar", "OAR")]),
                when: When::Category(&[C::RadiotherapyTreatment]),
            },
            Question {
                name: "therapy.deliveries.1.scope",
                label: "Second dose: over the whole course or one fraction?",
                hint: "",
                kind: Kind::Choice(&[("course", "Whole course"), ("fraction", "One fraction")]),
                when: When::Category(&[C::RadiotherapyTreatment]),
            },
            Question {
                name: "therapy.deliveries.1.intended_gy",
                label: "Second dose: intended (Gy)",
                hint: "",
                kind: Kind::Number,
                when: When::Category(&[C::RadiotherapyTreatment]),
            },
            Question {
                name: "therapy.deliveries.1.delivered_gy",
                label: "Second dose: delivered (Gy)",
                hint: "",
                kind: Kind::Number,
                when: When::Category(&[C::RadiotherapyTreatment]),
            },
            Question {
                name: "therapy.geographical_miss",
                label: "Geographical miss",
                hint: "",
                kind: Kind::Choice(&[("none", "None"), ("partial", "Partial"), ("total", "Total")]),
                when: When::Category(&[C::RadiotherapyTreatment]),
            },
            Question {
                name: "therapy.miss_mm",
                label: "Size of the miss (mm)",
                hint: "For example, 12.",
                kind: Kind::Number,
                when: When::Category(&[C::RadiotherapyTreatment]),
            },
            Question {
                name: "therapy.margin_mm",
                label: "Locally defined error margin (mm)",
                hint: "Or the local imaging action level as its surrogate. For example, 4.",
                kind: Kind::Number,
                when: When::Category(&[C::RadiotherapyTreatment]),
            },
        ],
    },
    Group {
        legend: "Radioactive substances",
        questions: &[
            Question {
                name: "radiopharmaceutical.intended",
                label: "Radiopharmaceutical intended",
                hint: "For example, Tc-99m HDP.",
                kind: Kind::Text,
                when: When::NuclearMedicine,
            },
            Question {
                name: "radiopharmaceutical.administered",
                label: "Radiopharmaceutical administered",
                hint: "For example, Tc-99m MAA. Names are compared ignoring case, spaces and how the nuclide is written.",
                kind: Kind::Text,
                when: When::NuclearMedicine,
            },
            Question {
                name: "activity.prescribed_mbq",
                label: "Activity prescribed (MBq)",
                hint: "For example, 7400.",
                kind: Kind::Number,
                when: When::Category(&[C::Sirt, C::NuclearMedicineTherapy]),
            },
            Question {
                name: "activity.delivered_mbq",
                label: "Activity delivered (MBq)",
                hint: "For example, 5000.",
                kind: Kind::Number,
                when: When::Category(&[C::Sirt, C::NuclearMedicineTherapy]),
            },
            Question {
                name: "infant_dose_msv",
                label: "Effective dose to a breast-feeding infant (mSv)",
                hint: "Only when an infant was exposed through breast-feeding.",
                kind: Kind::Number,
                when: When::NuclearMedicine,
            },
            Question {
                name: "licence.employer",
                label: "Did the employer hold an appropriate ARSAC licence?",
                hint: "Answer only if licensing is in question.",
                kind: YES_NO,
                when: When::NuclearMedicine,
            },
            Question {
                name: "licence.practitioner",
                label: "Did the practitioner hold an appropriate ARSAC licence?",
                hint: "",
                kind: YES_NO,
                when: When::NuclearMedicine,
            },
        ],
    },
    Group {
        legend: "Pregnancy",
        questions: &[
            Question {
                name: "foetus.dose_mgy",
                label: "Resulting foetal dose (mGy)",
                hint: "Only when a foetus was exposed. For example, 12.",
                kind: Kind::Number,
                when: When::Always,
            },
            Question {
                name: "foetus.intended",
                label: "Was foetal exposure intended?",
                hint: "",
                kind: YES_NO,
                when: When::Always,
            },
        ],
    },
    Group {
        legend: "Judgement",
        questions: &[
            Question {
                name: "clinically_significant",
                label: "Is it judged clinically significant?",
                hint: "Under your procedure for clinically significant exposures (CSAUE, complementary code C). Then the referrer, practitioner and patient are told, and the duty of candour applies.",
                kind: YES_NO,
                when: When::Always,
            },
            Question {
                name: "theme",
                label: "Is it part of an identified theme?",
                hint: "Similar incidents over time, or a similar separate incident affecting more than one person.",
                kind: YES_NO,
                when: When::Always,
            },
            Question {
                name: "voluntary",
                label: "Do you wish to notify voluntarily, for learning?",
                hint: "Complementary code V.",
                kind: YES_NO,
                when: When::Always,
            },
            Question {
                name: "before_clinical_use",
                label: "Was the equipment not yet in clinical use?",
                hint: "A critical examination: reported to HSE.",
                kind: YES_NO,
                when: When::Always,
            },
        ],
    },
];

/// Every question, in order.
pub fn questions() -> impl Iterator<Item = &'static Question> {
    GROUPS.iter().flat_map(|g| g.questions.iter())
}

/// The form's answers: (name, value) pairs as posted.
#[derive(Clone, Debug, Default)]
pub struct Answers(pub Vec<(String, String)>);

impl Answers {
    /// The answers of a form body; a date asked as day, month and year
    /// (`discovered-day`…) becomes one answer (`discovered`), `YYYY-MM-DD`
    /// when the parts make a date and `D/M/Y` as typed when not (refused
    /// then with the question's message).
    pub fn parse(body: &[u8]) -> Self {
        let mut pairs: Vec<(String, String)> = form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        for q in questions().filter(|q| matches!(q.kind, Kind::Date)) {
            let part = |suffix: &str| {
                let key = format!("{}-{suffix}", q.name);
                pairs
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, v)| v.trim().to_owned())
            };
            let (Some(d), Some(m), Some(y)) = (part("day"), part("month"), part("year")) else {
                continue;
            };
            let prefix = format!("{}-", q.name);
            pairs.retain(|(k, _)| !k.starts_with(&prefix));
            if d.is_empty() && m.is_empty() && y.is_empty() {
                continue;
            }
            let whole = |t: &str| t.parse::<u16>().ok();
            let iso = match (whole(&d), whole(&m), whole(&y)) {
                (Some(d), Some(m), Some(y)) if y >= 1000 => {
                    let iso = format!("{y:04}-{m:02}-{d:02}");
                    irmer_core::incident::CivilDate::parse(&iso).map(|_| iso)
                }
                _ => None,
            };
            pairs.push((q.name.to_owned(), iso.unwrap_or(format!("{d}/{m}/{y}"))));
        }
        Answers(pairs)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The answers as a form body again (for drafts): without the CSRF
    /// token, the button pressed or the draft's own id.
    pub fn encode(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.0 {
            if !matches!(k.as_str(), "csrf" | "action" | "draft") {
                out.append_pair(k, v);
            }
        }
        out.finish()
    }

    /// The answers an incident's facts give (to edit it).
    /// Answers from (name, value) pairs, for tests.
    #[cfg(test)]
    pub fn of(pairs: &[(&str, &str)]) -> Self {
        Answers(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    pub fn from_facts(facts: &Value) -> Self {
        let mut pairs = Vec::new();
        if let Some(m) = facts.get("modality").and_then(Value::as_str) {
            pairs.push(("modality".to_owned(), m.to_owned()));
        }
        for q in questions() {
            let mut v = Some(facts);
            for part in q.name.split('.') {
                v = v.and_then(|x| match part.parse::<usize>() {
                    Ok(i) => x.get(i),
                    Err(_) => x.get(part),
                });
            }
            match (q.kind, v) {
                (_, None | Some(Value::Null)) => {}
                (Kind::Checks(_), Some(Value::Array(items))) if items.is_empty() => {
                    pairs.push((q.name.to_owned(), "none".to_owned()));
                }
                (Kind::Checks(_), Some(Value::Array(items))) => {
                    for i in items.iter().filter_map(Value::as_str) {
                        pairs.push((q.name.to_owned(), i.to_owned()));
                    }
                }
                (Kind::YesNo, Some(Value::Bool(b))) => {
                    pairs.push((q.name.to_owned(), if *b { "yes" } else { "no" }.to_owned()));
                }
                (_, Some(Value::String(s))) => pairs.push((q.name.to_owned(), s.clone())),
                (_, Some(other)) => pairs.push((q.name.to_owned(), other.to_string())),
            }
        }
        Answers(pairs)
    }
}

/// The modality chosen, if it is one.
pub fn modality(answers: &Answers) -> Option<Modality> {
    answers.get("modality").and_then(Modality::parse)
}

/// `YYYY-MM-DD`, or a day, month and year written as `DD/MM/YYYY`.
fn date_text(text: &str) -> Option<String> {
    if irmer_core::incident::CivilDate::parse(text).is_some() {
        return Some(text.to_owned());
    }
    let parts: Vec<&str> = text.split('/').collect();
    if let [d, m, y] = parts[..] {
        let (d, m, y) = (
            d.parse::<u8>().ok()?,
            m.parse::<u8>().ok()?,
            y.parse::<i32>().ok()?,
        );
        let iso = format!("{y:04}-{m:02}-{d:02}");
        return irmer_core::incident::CivilDate::parse(&iso).map(|_| iso);
    }
    None
}

/// A time as people type it (`9:05`, `14.30`, `1430`) as `HH:MM`.
fn time_text(text: &str) -> String {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let separated = text.contains([':', '.']);
    match (separated, digits.len()) {
        (true, 3) | (false, 3) => format!("0{}:{}", &digits[..1], &digits[1..]),
        (_, 4) => format!("{}:{}", &digits[..2], &digits[2..]),
        _ => text.to_owned(),
    }
}

/// A date's day, month and year as a GOV.UK date input shows them, from
/// the answer (`2026-03-02`, or what was typed, `2/x/2026`).
fn date_parts(value: &str) -> [String; 3] {
    if let Some(d) = irmer_core::incident::CivilDate::parse(value) {
        let text = d.to_string();
        let part = |range: std::ops::Range<usize>| text[range].trim_start_matches('0').to_owned();
        return [part(8..10), part(5..7), text[0..4].to_owned()];
    }
    let mut parts = value.splitn(3, '/').map(str::to_owned);
    [
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    ]
}

/// A decimal number as written: digits, at most one point.
fn number_text(text: &str) -> Option<&str> {
    let body = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !(body.contains('.') && frac.is_empty());
    ok.then_some(text)
}

/// Copies into `new` (an incident built from the form) every fact of `old`
/// that the form does not ask for this modality: an import's or the API's
/// extra fields, a third radiotherapy delivery. Leaf by leaf, so that
/// editing the facts the form shows never drops one it does not.
pub fn keep_unasked(old: &Value, new: &mut Value, modality: Modality) {
    let asked: Vec<&str> = questions()
        .filter(|q| q.when.applies(modality))
        .map(|q| q.name)
        .collect();
    let covered = |path: &str| {
        path == "modality"
            || asked.iter().any(|q| {
                path == *q
                    || path
                        .strip_prefix(q)
                        .is_some_and(|rest| rest.starts_with('.'))
            })
    };
    let mut leaves = Vec::new();
    leaves_of(old, String::new(), &mut leaves);
    let Value::Object(root) = new else { return };
    for (path, value) in leaves {
        if !covered(&path) {
            set_path(root, &path, value.clone());
        }
    }
}

/// Every leaf of a JSON value with its dotted path (array items by index;
/// an empty array or object is a leaf of its own).
fn leaves_of<'a>(v: &'a Value, path: String, out: &mut Vec<(String, &'a Value)>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_owned()
        } else {
            format!("{path}.{k}")
        }
    };
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, item) in m {
                leaves_of(item, join(k), out);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, item) in a.iter().enumerate() {
                leaves_of(item, join(&i.to_string()), out);
            }
        }
        _ => out.push((path, v)),
    }
}

/// Puts `value` at a dotted path; a number segment is an array index.
fn set_path(root: &mut Map<String, Value>, path: &str, value: Value) {
    let parts: Vec<&str> = path.split('.').collect();
    let mut node: &mut Value = root
        .entry(parts[0].to_owned())
        .or_insert_with(|| container_for(parts.get(1)));
    for (n, part) in parts.iter().enumerate().skip(1) {
        let next = parts.get(n + 1);
        node = match part.parse::<usize>() {
            Ok(i) => {
                let Value::Array(list) = node else { return };
                while list.len() <= i {
                    list.push(container_for(next));
                }
                &mut list[i]
            }
            Err(_) => {
                let Value::Object(map) = node else { return };
                map.entry((*part).to_owned())
                    .or_insert_with(|| container_for(next))
            }
        };
    }
    *node = value;
}

fn container_for(next: Option<&&str>) -> Value {
    match next {
        Some(p) if p.parse::<usize>().is_ok() => Value::Array(Vec::new()),
        Some(_) => Value::Object(Map::new()),
        None => Value::Null,
    }
}

/// The contract's JSON for the answers that the modality asks, or the
/// answers in error (field name, message) when one cannot be read at all.
/// The JSON then goes through `parse_incident`, which checks the rest.
#[cfg(test)]
pub fn to_incident_json(answers: &Answers) -> Result<String, Vec<(String, String)>> {
    let (root, errors) = incident_value(answers)?;
    if errors.is_empty() {
        Ok(Value::Object(root).to_string())
    } else {
        Err(errors)
    }
}

/// Errors by form field: (field, message).
pub type FieldErrors = Vec<(String, String)>;

/// The answers as the contract's JSON, leaving out each answer that cannot
/// be read, with an error for each of those; an error alone when there is
/// no modality (nothing else can be read without it).
pub fn incident_value(answers: &Answers) -> Result<(Map<String, Value>, FieldErrors), FieldErrors> {
    let mut errors = Vec::new();
    let Some(modality) = modality(answers) else {
        return Err(vec![(
            "modality".into(),
            "Choose the modality: what was being done".into(),
        )]);
    };
    let mut root = Map::new();
    root.insert("modality".into(), Value::from(modality.as_str()));
    for q in questions().filter(|q| q.when.applies(modality)) {
        if let Kind::Checks(options) = q.kind {
            let ticked = answers.all(q.name);
            if ticked.contains(&"none") && ticked.len() > 1 {
                errors.push((q.name.into(), format!("{}: tick \u{201c}No error at all\u{201d} alone, or the errors that happened", q.label)));
            } else if !ticked.is_empty() {
                let values: Vec<Value> = ticked
                    .iter()
                    .filter(|t| **t != "none" && options.iter().any(|(v, _)| v == *t))
                    .map(|t| Value::from(*t))
                    .collect();
                set_path(&mut root, q.name, Value::Array(values));
            }
            continue;
        }
        let Some(text) = answers.get(q.name) else {
            continue;
        };
        let value = match q.kind {
            Kind::Date => match date_text(text) {
                Some(d) => Value::from(d),
                None => {
                    errors.push((
                        q.name.into(),
                        format!(
                            "{}: enter a real date as day, month and year, for example 2 3 2026",
                            q.label
                        ),
                    ));
                    continue;
                }
            },
            Kind::Time => match irmer_core::incident::TimeOfDay::parse(&time_text(text)) {
                Some(t) => Value::from(t.to_string()),
                None => {
                    errors.push((
                        q.name.into(),
                        format!(
                            "{}: enter a time on the 24-hour clock, for example 14:30",
                            q.label
                        ),
                    ));
                    continue;
                }
            },
            Kind::Number | Kind::Whole => {
                let ok = match q.kind {
                    Kind::Whole => text.bytes().all(|b| b.is_ascii_digit()).then_some(text),
                    _ => number_text(text),
                };
                match ok.and_then(|t| serde_json::from_str::<Value>(t).ok()) {
                    Some(n) => n,
                    None => {
                        let what = if matches!(q.kind, Kind::Whole) {
                            "a whole number, for example 3"
                        } else {
                            "a number, for example 0.5"
                        };
                        errors.push((q.name.into(), format!("{}: enter {what}", q.label)));
                        continue;
                    }
                }
            }
            Kind::YesNo => match text {
                "yes" => Value::Bool(true),
                "no" => Value::Bool(false),
                _ => {
                    errors.push((q.name.into(), format!("{}: answer yes or no", q.label)));
                    continue;
                }
            },
            Kind::Choice(options) => {
                if !options.iter().any(|(v, _)| *v == text) {
                    errors.push((
                        q.name.into(),
                        format!("{}: choose one of the options", q.label),
                    ));
                    continue;
                }
                Value::from(text)
            }
            Kind::Text | Kind::LongText => Value::from(text),
            Kind::Checks(_) => continue,
        };
        set_path(&mut root, q.name, value);
    }
    Ok((root, errors))
}

/// What to tell a person who left out a required answer, in the GOV.UK
/// manner ("Enter …", "Select …"); the label otherwise.
pub fn missing_message(name: &str) -> String {
    match name {
        "discovered" => "Enter the date the incident was discovered".into(),
        "nation" => "Select the nation where the exposure took place".into(),
        "exposure" => "Select what happened to the person the incident is about".into(),
        "modality" => "Select what was being done".into(),
        other => {
            let label = questions()
                .find(|q| q.name == other)
                .map_or("This answer", |q| q.label);
            format!("{label}: this is required")
        }
    }
}

/// The errors in the order of the questions on the form (the error
/// summary follows the page).
pub fn in_form_order(errors: &mut [(String, String)]) {
    let place = |field: &str| {
        questions()
            .position(|q| q.name == field)
            .unwrap_or(usize::MAX)
    };
    errors.sort_by_key(|(f, _)| place(f));
}

/// Puts a stand-in answer for question `name` (any valid value of its
/// kind), so that the rest of a form can be checked past an error there;
/// false when `name` is no question. Never stored: a form with a stand-in
/// has an error and is shown again.
pub fn stand_in(root: &mut Map<String, Value>, name: &str) -> bool {
    let Some(q) = questions().find(|q| q.name == name) else {
        return false;
    };
    let value = match q.kind {
        Kind::Date => Value::from("2000-01-01"),
        Kind::Time => Value::from("12:00"),
        Kind::Number | Kind::Whole => Value::from(1),
        Kind::YesNo => Value::Bool(false),
        Kind::Choice(options) => match options.first() {
            Some((v, _)) => Value::from(*v),
            None => return false,
        },
        Kind::Checks(_) => Value::Array(Vec::new()),
        Kind::Text | Kind::LongText => Value::from("x"),
    };
    set_path(root, name, value);
    true
}

/// The form field a contract path belongs to (`therapy.deliveries[0].x`
/// is `therapy.deliveries.0.x`; a path without its own question goes to
/// the nearest one above it).
pub fn field_for(path: &str) -> String {
    let dotted = path.replace('[', ".").replace(']', "");
    let mut candidate = dotted.as_str();
    loop {
        if candidate == "modality" || questions().any(|q| q.name == candidate) {
            return candidate.to_owned();
        }
        if let Some(q) = questions().find(|q| q.name.starts_with(&format!("{candidate}."))) {
            return q.name.to_owned();
        }
        match candidate.rsplit_once('.') {
            Some((head, _)) => candidate = head,
            None => return "discovered".to_owned(),
        }
    }
}

/// Answers as the form's questions and their answers in words (a
/// summary list).
pub fn answers_list(answers: &Answers) -> Markup {
    html! {
        dl class="summary" {
            @for q in questions() {
                @if let Some(v) = answers.get(q.name) {
                    dt { (q.label) }
                    dd { (answer_words(q, answers, v)) }
                }
            }
        }
    }
}

fn answer_words(q: &Question, answers: &Answers, value: &str) -> String {
    match q.kind {
        Kind::YesNo => if value == "yes" { "Yes" } else { "No" }.to_owned(),
        Kind::Choice(options) => options
            .iter()
            .find(|(v, _)| *v == value)
            .map_or(value, |(_, l)| l)
            .to_owned(),
        Kind::Checks(options) => answers
            .0
            .iter()
            .filter(|(k, _)| k == q.name)
            .map(|(_, v)| {
                options
                    .iter()
                    .find(|(o, _)| o == v)
                    .map_or(v.as_str(), |(_, l)| l)
            })
            .collect::<Vec<_>>()
            .join(", "),
        _ => value.to_owned(),
    }
}

/// One question, with its answer and error if any.
pub fn question(q: &Question, answers: &Answers, error: Option<&str>) -> Markup {
    let id = field_id(q.name);
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let value = answers.get(q.name).unwrap_or_default();
    let described = {
        let mut d = Vec::new();
        if !q.hint.is_empty() {
            d.push(hint_id.clone());
        }
        if error.is_some() {
            d.push(error_id.clone());
        }
        (!d.is_empty()).then(|| d.join(" "))
    };
    let error_line = html! {
        @if let Some(e) = error { span class="error-message" id=(error_id) { span class="visually-hidden" { "Error: " } (e) } }
    };
    let hint = html! { @if !q.hint.is_empty() { span class="hint" id=(hint_id) { (q.hint) } } };
    html! {
        div class={ "field" @if error.is_some() { " error" } } {
            @match q.kind {
                Kind::Date => {
                    fieldset role="group" aria-describedby=[described.as_deref()] {
                        legend { (q.label) }
                        (hint)
                        (error_line)
                        @let parts = date_parts(value);
                        div class="date-input" {
                            @for (n, (part, label)) in [("day", "Day"), ("month", "Month"), ("year", "Year")].into_iter().enumerate() {
                                @let pid = if n == 0 { id.clone() } else { format!("{id}-{part}") };
                                div class="date-part" {
                                    label for=(pid) { (label) }
                                    input class={ "date-" (part) } type="text" inputmode="numeric" autocomplete="off" spellcheck="false"
                                        id=(pid) name={ (q.name) "-" (part) } value=(parts[n]);
                                }
                            }
                        }
                    }
                }
                Kind::YesNo | Kind::Choice(_) | Kind::Checks(_) => {
                    fieldset aria-describedby=[described.as_deref()] {
                        legend { (q.label) }
                        (hint)
                        (error_line)
                        @let options: &[(&str, &str)] = match q.kind {
                            Kind::YesNo => &[("yes", "Yes"), ("no", "No")],
                            Kind::Choice(o) | Kind::Checks(o) => o,
                            _ => &[],
                        };
                        @let inline = matches!(q.kind, Kind::YesNo) || options.len() <= 3 && options.iter().all(|(_, l)| l.len() < 20);
                        div class={ "choices" @if inline { " inline" } } {
                            @for (n, (v, label)) in options.iter().enumerate() {
                                @let oid = if n == 0 { id.clone() } else { format!("{id}-{n}") };
                                @let checked = match q.kind {
                                    Kind::Checks(_) => answers.all(q.name).contains(v),
                                    _ => value == *v,
                                };
                                label for=(oid) {
                                    input type=(if matches!(q.kind, Kind::Checks(_)) { "checkbox" } else { "radio" })
                                        id=(oid) name=(q.name) value=(v) checked[checked];
                                    span { (label) }
                                }
                            }
                        }
                    }
                }
                _ => {
                    label for=(id) { (q.label) }
                    (hint)
                    (error_line)
                    @match q.kind {
                        Kind::LongText => {
                            textarea id=(id) name=(q.name) rows="6" aria-describedby=[described.as_deref()] { (value) }
                        }
                        Kind::Time => {
                            input class="short" type="text" inputmode="numeric" autocomplete="off" id=(id) name=(q.name) value=(value) spellcheck="false" aria-describedby=[described.as_deref()];
                        }
                        Kind::Number | Kind::Whole => {
                            input class="short" type="text" inputmode=(if matches!(q.kind, Kind::Whole) { "numeric" } else { "decimal" })
                                id=(id) name=(q.name) value=(value) spellcheck="false" aria-describedby=[described.as_deref()];
                        }
                        _ => {
                            input type="text" id=(id) name=(q.name) value=(value) aria-describedby=[described.as_deref()];
                        }
                    }
                }
            }
        }
    }
}

/// The questions (or groups, by legend) asked only in some cases, and the
/// rule of each: `could-be-pregnant` (hidden for a patient aged under 12
/// or over 55), `equipment` (asked for an equipment fault, or when the
/// person exposed is not a patient). The page's script applies the same
/// rules as answers change (`static/irmer.js`); without it every question
/// is shown. A question with an answer is always shown.
const ASKED_IF: &[(&str, &str)] = &[
    ("Pregnancy", "could-be-pregnant"),
    ("before_clinical_use", "equipment"),
];

fn rule_of(name: &str) -> Option<&'static str> {
    ASKED_IF.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
}

/// Whether a rule of [`ASKED_IF`] holds for these answers (unknown: yes).
fn rule_holds(rule: &str, answers: &Answers) -> bool {
    match rule {
        "could-be-pregnant" => answers
            .get("patient.age")
            .and_then(|a| a.parse::<u32>().ok())
            .is_none_or(|age| (12..=55).contains(&age)),
        "equipment" => {
            answers.all("errors").contains(&"equipment")
                || answers.get("person").is_some_and(|p| p != "patient")
        }
        _ => true,
    }
}

/// Every question the modality asks, in its groups; those that do not
/// apply to the answers so far hidden (see [`ASKED_IF`]).
pub fn questions_for(modality: Modality, answers: &Answers, errors: &[(String, String)]) -> Markup {
    let answered = |qs: &[&Question]| qs.iter().any(|q| answers.get(q.name).is_some());
    let hide = |name: &str, qs: &[&Question]| {
        rule_of(name).is_some_and(|rule| !rule_holds(rule, answers) && !answered(qs))
    };
    html! {
        @for g in GROUPS {
            @let asked: Vec<&Question> = g.questions.iter().filter(|q| q.when.applies(modality)).collect();
            @if !asked.is_empty() {
                fieldset class="group" data-show-if=[rule_of(g.legend)] hidden[hide(g.legend, &asked)] {
                    legend { (g.legend) }
                    @for q in asked {
                        @let error = errors.iter().find(|(f, _)| f == q.name).map(|(_, m)| m.as_str());
                        @if let Some(rule) = rule_of(q.name) {
                            div data-show-if=(rule) hidden[hide(q.name, &[q])] { (question(q, answers, error)) }
                        } @else {
                            (question(q, answers, error))
                        }
                    }
                }
            }
        }
    }
}

/// The modalities grouped by exposure category, for the first question.
pub fn modality_groups() -> Vec<(ExposureCategory, Vec<Modality>)> {
    let mut groups: Vec<(ExposureCategory, Vec<Modality>)> = Vec::new();
    for m in Modality::ALL {
        match groups.iter_mut().find(|(c, _)| *c == m.category()) {
            Some((_, list)) => list.push(*m),
            None => groups.push((m.category(), vec![*m])),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(pairs: &[(&str, &str)]) -> Answers {
        Answers::of(pairs)
    }

    #[test]
    fn answers_become_the_contracts_json_exactly() {
        let a = answers(&[
            ("modality", "ct"),
            ("discovered", "02/03/2026"),
            ("nation", "england"),
            ("exposure", "unintended"),
            ("errors", "human"),
            ("errors", "equipment"),
            ("patient.age", "34"),
            ("dose.unit", "mSv"),
            ("dose.intended", "0.5"),
            ("dose.received", "6.000"),
            ("clinically_significant", "no"),
            // Not asked for CT: ignored.
            ("planning_scans", "3"),
        ]);
        let json: Value =
            serde_json::from_str(&to_incident_json(&a).expect("valid")).expect("json");
        assert_eq!(json["discovered"], "2026-03-02");
        assert_eq!(json["errors"], serde_json::json!(["human", "equipment"]));
        assert_eq!(json["dose"]["received"].to_string(), "6.000");
        assert_eq!(json["patient"]["age"], 34);
        assert_eq!(json["clinically_significant"], false);
        assert!(json.get("planning_scans").is_none());
        irmer_core::parse_incident(&json.to_string()).expect("the contract accepts it");
    }

    #[test]
    fn a_date_is_asked_as_day_month_and_year_and_a_time_as_typed() {
        let a = Answers::parse(
            b"discovered-day=2&discovered-month=3&discovered-year=2026&occurred-day=&occurred-month=&occurred-year=&occurred_time=9.05",
        );
        assert_eq!(a.get("discovered"), Some("2026-03-02"));
        assert_eq!(a.get("occurred"), None, "all three blank: absent");
        assert!(a.0.iter().all(|(k, _)| !k.contains("-day")), "parts gone");
        let mut a = a;
        a.0.extend([
            ("modality".to_owned(), "ct".to_owned()),
            ("nation".to_owned(), "england".to_owned()),
            ("exposure".to_owned(), "unintended".to_owned()),
            ("occurred".to_owned(), "2026-03-01".to_owned()),
        ]);
        let json: Value =
            serde_json::from_str(&to_incident_json(&a).expect("valid")).expect("json");
        assert_eq!(json["occurred_time"], "09:05");
        // Not a date: kept as typed, refused with the question's message,
        // and shown back in its three boxes.
        let bad = Answers::parse(b"discovered-day=31&discovered-month=2&discovered-year=2026");
        assert_eq!(bad.get("discovered"), Some("31/2/2026"));
        assert_eq!(
            date_parts("31/2/2026"),
            ["31", "2", "2026"].map(String::from)
        );
        assert_eq!(
            date_parts("2026-03-02"),
            ["2", "3", "2026"].map(String::from)
        );
        for (typed, time) in [("14:30", "14:30"), ("1430", "14:30"), ("930", "09:30")] {
            assert_eq!(time_text(typed), time);
        }
        assert_eq!(
            irmer_core::incident::TimeOfDay::parse(&time_text("25:00")),
            None
        );
    }

    #[test]
    fn only_the_questions_that_apply_are_shown() {
        let form = |pairs: &[(&str, &str)]| {
            questions_for(Modality::Ct, &answers(pairs), &[]).into_string()
        };
        let hidden =
            |html: &str, rule: &str| html.contains(&format!("data-show-if=\"{rule}\" hidden"));
        // Unknown age: pregnancy asked; 67 or 8: not; answered: shown.
        assert!(!hidden(&form(&[]), "could-be-pregnant"));
        assert!(!hidden(
            &form(&[("patient.age", "30")]),
            "could-be-pregnant"
        ));
        assert!(hidden(&form(&[("patient.age", "67")]), "could-be-pregnant"));
        assert!(hidden(&form(&[("patient.age", "8")]), "could-be-pregnant"));
        assert!(!hidden(
            &form(&[("patient.age", "67"), ("foetus.dose_mgy", "2")]),
            "could-be-pregnant"
        ));
        // Equipment not yet in clinical use: for an equipment fault, or a
        // person who is not a patient.
        assert!(hidden(&form(&[("errors", "human")]), "equipment"));
        assert!(!hidden(&form(&[("errors", "equipment")]), "equipment"));
        assert!(!hidden(&form(&[("person", "worker")]), "equipment"));
    }

    #[test]
    fn no_error_is_an_empty_list_and_arrays_fill_by_index() {
        let a = answers(&[
            ("modality", "external-beam"),
            ("errors", "none"),
            ("therapy.deliveries.0.structure", "ptv"),
            ("therapy.deliveries.0.intended_gy", "60"),
            ("therapy.deliveries.1.structure", "oar"),
        ]);
        let json: Value =
            serde_json::from_str(&to_incident_json(&a).expect("valid")).expect("json");
        assert_eq!(json["errors"], serde_json::json!([]));
        assert_eq!(json["therapy"]["deliveries"][0]["structure"], "ptv");
        assert_eq!(json["therapy"]["deliveries"][1]["structure"], "oar");
    }

    #[test]
    fn an_edit_keeps_the_facts_the_form_does_not_ask() {
        let old = serde_json::json!({"nation": "england", "discovered": "2026-09-14",
            "modality": "external-beam", "exposure": "unintended", "errors": ["human"],
            "therapy": {"deliveries": [
                {"structure": "ptv", "scope": "course", "intended_gy": 48, "delivered_gy": 52.8},
                {"structure": "oar", "scope": "course", "intended_gy": 20, "delivered_gy": 21},
                {"structure": "oar", "scope": "fraction", "intended_gy": 2, "delivered_gy": 2.4}],
                "geographical_miss": "none"},
            "description": "Prescription transcribed wrongly."});
        let mut form = Answers::from_facts(&old);
        // The investigator changes an asked fact and clears another.
        for (k, v) in &mut form.0 {
            if k == "therapy.deliveries.0.delivered_gy" {
                *v = "50".into();
            }
        }
        form.0.retain(|(k, _)| k != "therapy.geographical_miss");
        let mut new: Value =
            serde_json::from_str(&to_incident_json(&form).expect("valid")).expect("json");
        assert_eq!(
            new["therapy"]["deliveries"].as_array().map(Vec::len),
            Some(2),
            "the form has two"
        );
        keep_unasked(&old, &mut new, Modality::ExternalBeam);
        let deliveries = &new["therapy"]["deliveries"];
        assert_eq!(
            deliveries[2], old["therapy"]["deliveries"][2],
            "the third is kept"
        );
        assert_eq!(deliveries[1], old["therapy"]["deliveries"][1]);
        assert_eq!(
            deliveries[0]["delivered_gy"].to_string(),
            "50",
            "the change stands"
        );
        assert!(
            new["therapy"].get("geographical_miss").is_none(),
            "a cleared answer stays cleared"
        );
        assert_eq!(new["errors"], serde_json::json!(["human"]));
        // A fact no question of this modality asks (an activity, for
        // external beam) is kept whole.
        let mut with_activity = old.clone();
        with_activity["activity"] = serde_json::json!({"intended_mbq": 400, "delivered_mbq": 800});
        let mut new2: Value =
            serde_json::from_str(&to_incident_json(&form).expect("valid")).expect("json");
        keep_unasked(&with_activity, &mut new2, Modality::ExternalBeam);
        assert_eq!(new2["activity"], with_activity["activity"]);
        irmer_core::parse_incident(&new.to_string()).expect("the contract accepts it");
    }

    #[test]
    fn unreadable_answers_name_their_field() {
        let a = answers(&[
            ("modality", "ct"),
            ("discovered", "31/02/2026"),
            ("dose.received", "1,5"),
            ("people", "two"),
            ("errors", "none"),
            ("errors", "human"),
        ]);
        let errors = to_incident_json(&a).expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["discovered", "errors", "people", "dose.received"]);
        assert!(to_incident_json(&answers(&[("modality", "x-ray")])).is_err());
    }

    #[test]
    fn contract_paths_map_to_their_fields() {
        assert_eq!(
            field_for("therapy.deliveries[0].intended_gy"),
            "therapy.deliveries.0.intended_gy"
        );
        assert_eq!(field_for("patient"), "patient.age");
        assert_eq!(field_for("dose.received"), "dose.received");
        assert_eq!(field_for(""), "discovered");
    }

    #[test]
    fn a_ct_form_does_not_ask_about_verification_images() {
        let html = questions_for(Modality::Ct, &Answers::default(), &[]).into_string();
        assert!(html.contains("dose.received"));
        assert!(!html.contains("verification."));
        assert!(!html.contains("planning_scans"));
        let rt =
            questions_for(Modality::RtVerificationImaging, &Answers::default(), &[]).into_string();
        assert!(rt.contains("verification.images_in_fraction"));
    }

    #[test]
    fn facts_round_trip_through_the_form() {
        let facts = serde_json::json!({"modality": "nuclear-medicine", "nation": "wales", "discovered": "2026-03-02",
            "exposure": "unintended", "errors": [], "radiopharmaceutical": {"intended": "Tc-99m HDP", "administered": "Tc-99m MAA"},
            "licence": {"employer": true, "practitioner": false}, "dose": {"unit": "mSv", "received": 2.5}});
        let back: Value =
            serde_json::from_str(&to_incident_json(&Answers::from_facts(&facts)).expect("valid"))
                .expect("json");
        assert_eq!(back, facts);
    }
}
