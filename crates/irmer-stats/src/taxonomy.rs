//! The cause taxonomy: the CQC's three-tier "detailed error type" (the
//! duty holder, the point in the pathway, what went wrong) as data
//! (`taxonomy/error-types.toml`, shipped inside the binary), checked when
//! it is loaded, and extended by an administrator's local entries, which
//! may add codes and never take one away. Also the sub-modality the
//! national reports chart, derived from an incident's modality.

use std::collections::HashMap;
use std::fmt;

use irmer_core::incident::Modality;
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// The taxonomy irmer ships, as its file's text.
pub const SHIPPED: &str = include_str!("../taxonomy/error-types.toml");
/// The shipped file's name, for messages.
pub const SHIPPED_NAME: &str = "taxonomy/error-types.toml (shipped)";

/// A tier: 1 the duty holder, 2 the point in the pathway, 3 what went
/// wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Tier(pub u8);

/// One code of the taxonomy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub code: String,
    pub name: String,
    pub tier: Tier,
    /// The code one tier up (none for tier 1).
    pub parent: Option<String>,
    /// `cqc` (named in the CQC's report), `irmer` (added by irmer so that
    /// every point can be coded) or `local`.
    pub source: String,
}

/// The whole taxonomy, in the order of its files. The default is empty
/// (it knows no code).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Taxonomy {
    /// The shipped file's version (local files add to it).
    pub version: String,
    pub entries: Vec<Entry>,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

/// Why a taxonomy file was refused: the file, the line and the reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct TaxonomyError {
    pub file: String,
    /// From 1; 0 when the file as a whole is at fault.
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for TaxonomyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            // Not a line's fault: the file itself (it cannot be read).
            write!(f, "{}: {}", self.file, self.reason)
        } else {
            write!(f, "{}, line {}: {}", self.file, self.line, self.reason)
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: Option<String>,
    #[serde(default)]
    tier1: Vec<RawEntry>,
    #[serde(default)]
    tier2: Vec<RawEntry>,
    #[serde(default)]
    tier3: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    code: Spanned<String>,
    name: Spanned<String>,
    parent: Option<Spanned<String>>,
    source: Option<Spanned<String>>,
}

/// The line (from 1) of a byte offset in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

impl Taxonomy {
    /// The taxonomy irmer ships (its file is checked by the tests, so this
    /// only fails on a build with a damaged file). Read once a process.
    pub fn shipped() -> Result<Taxonomy, TaxonomyError> {
        static SHIPPED_TAXONOMY: std::sync::OnceLock<Result<Taxonomy, TaxonomyError>> =
            std::sync::OnceLock::new();
        SHIPPED_TAXONOMY
            .get_or_init(|| Taxonomy::parse(SHIPPED_NAME, SHIPPED, None))
            .clone()
    }

    /// Reads a taxonomy file. With `base`, the file adds local entries to
    /// it: each new (a code already there is refused, so none can be
    /// redefined or taken away), marked `local`, and the base's version
    /// kept.
    pub fn parse(
        file: &str,
        text: &str,
        base: Option<&Taxonomy>,
    ) -> Result<Taxonomy, TaxonomyError> {
        let refuse = |offset: usize, reason: String| TaxonomyError {
            file: file.to_owned(),
            line: line_of(text, offset),
            reason,
        };
        let raw: File = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            refuse(offset, e.message().to_owned())
        })?;
        let mut taxonomy = match base {
            Some(b) => b.clone(),
            None => Taxonomy {
                version: raw
                    .version
                    .clone()
                    .filter(|v| !v.trim().is_empty())
                    .ok_or_else(|| refuse(0, "the file needs a version".into()))?,
                entries: Vec::new(),
                index: HashMap::new(),
            },
        };
        for (tier, list) in [(1u8, raw.tier1), (2, raw.tier2), (3, raw.tier3)] {
            for e in list {
                let at = e.code.span().start;
                let code = e.code.get_ref().trim().to_owned();
                let name = e.name.get_ref().trim().to_owned();
                if name.is_empty() {
                    return Err(refuse(
                        e.name.span().start,
                        format!("{code}: the name is empty"),
                    ));
                }
                if taxonomy.index.contains_key(&code) {
                    let what = if base.is_some_and(|b| b.get(&code).is_some()) {
                        "is already in the shipped taxonomy (local entries add codes; they never change or remove one)"
                    } else {
                        "appears twice"
                    };
                    return Err(refuse(at, format!("the code {code} {what}")));
                }
                let parent = e.parent.as_ref().map(|p| p.get_ref().trim().to_owned());
                let own = match (&parent, tier) {
                    (None, 1) => code.as_str(),
                    (Some(_), 1) => {
                        return Err(refuse(at, format!("{code}: a tier-1 code has no parent")));
                    }
                    (None, _) => {
                        return Err(refuse(
                            at,
                            format!(
                                "{code}: a tier-{tier} code needs its tier-{} parent",
                                tier - 1
                            ),
                        ));
                    }
                    (Some(p), _) => {
                        let parent_at = e.parent.as_ref().map_or(at, |s| s.span().start);
                        match taxonomy.get(p) {
                            Some(up) if up.tier.0 == tier - 1 => {}
                            Some(up) => {
                                return Err(refuse(
                                    parent_at,
                                    format!(
                                        "{code}: its parent {p} is a tier-{} code; a tier-{tier} code's parent is tier {}",
                                        up.tier.0,
                                        tier - 1
                                    ),
                                ));
                            }
                            None => {
                                return Err(refuse(
                                    parent_at,
                                    format!(
                                        "{code}: its parent {p} is not a tier-{} code of the taxonomy (an orphan)",
                                        tier - 1
                                    ),
                                ));
                            }
                        }
                        match code
                            .strip_prefix(p.as_str())
                            .and_then(|r| r.strip_prefix('.'))
                        {
                            Some(own) => own,
                            None => {
                                return Err(refuse(
                                    at,
                                    format!(
                                        "{code}: a code starts with its parent's code and a dot ({p}.…)"
                                    ),
                                ));
                            }
                        }
                    }
                };
                if !irmer_core::incident::is_code_part(own) {
                    return Err(refuse(
                        at,
                        format!(
                            "{code}: expected lower-case letters, digits and hyphens, starting with a letter, after the parent's code"
                        ),
                    ));
                }
                let source = match (base, e.source.as_ref().map(|s| s.get_ref().as_str())) {
                    (Some(_), None | Some("local")) => "local".to_owned(),
                    (Some(_), Some(other)) => {
                        let source_at = e.source.as_ref().map_or(at, |s| s.span().start);
                        return Err(refuse(
                            source_at,
                            format!("{code}: a local entry's source is local, not {other}"),
                        ));
                    }
                    (None, Some(s @ ("cqc" | "irmer"))) => s.to_owned(),
                    (None, other) => {
                        return Err(refuse(
                            at,
                            format!(
                                "{code}: expected source cqc or irmer, found {}",
                                other.unwrap_or("none")
                            ),
                        ));
                    }
                };
                taxonomy.index.insert(code.clone(), taxonomy.entries.len());
                taxonomy.entries.push(Entry {
                    code,
                    name,
                    tier: Tier(tier),
                    parent,
                    source,
                });
            }
        }
        // Every tier-1 and tier-2 code can be coded down to tier 3.
        for e in taxonomy.entries.iter().filter(|e| e.tier.0 < 3) {
            if !taxonomy
                .entries
                .iter()
                .any(|c| c.parent.as_deref() == Some(&e.code))
            {
                let at = text.find(&format!("\"{}\"", e.code)).unwrap_or(0);
                return Err(refuse(
                    at,
                    format!(
                        "{}: a tier-{} code with nothing under it (an investigator codes down to tier 3)",
                        e.code, e.tier.0
                    ),
                ));
            }
        }
        Ok(taxonomy)
    }

    pub fn get(&self, code: &str) -> Option<&Entry> {
        self.index.get(code).map(|i| &self.entries[*i])
    }

    /// The tier-3 code with its tier-2 and tier-1 codes, top first.
    pub fn path(&self, code: &str) -> Option<[&Entry; 3]> {
        let three = self.get(code).filter(|e| e.tier.0 == 3)?;
        let two = self.get(three.parent.as_deref()?)?;
        let one = self.get(two.parent.as_deref()?)?;
        Some([one, two, three])
    }

    /// The codes of one tier, in the file's order.
    pub fn tier(&self, tier: u8) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.tier.0 == tier)
    }
}

/// The sub-modality the national reports chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SubModality {
    Ct,
    PlainFilm,
    Fluoroscopy,
    Mammography,
    Dental,
    Dxa,
    Interventional,
    NuclearMedicineImaging,
    Pet,
    NuclearMedicineTherapy,
    RadiotherapyPlanningAndVerification,
    ExternalBeam,
    Brachytherapy,
    IntraoperativeRadiotherapy,
}

impl SubModality {
    /// The sub-modality of an incident's modality (each modality has one).
    pub const fn of(modality: Modality) -> SubModality {
        use Modality as M;
        match modality {
            M::Ct => SubModality::Ct,
            M::Radiography => SubModality::PlainFilm,
            M::Fluoroscopy => SubModality::Fluoroscopy,
            M::Mammography => SubModality::Mammography,
            M::Dental => SubModality::Dental,
            M::Dxa => SubModality::Dxa,
            M::InterventionalRadiology | M::InterventionalCardiology | M::InterventionalCt => {
                SubModality::Interventional
            }
            M::NuclearMedicine => SubModality::NuclearMedicineImaging,
            M::Pet => SubModality::Pet,
            M::Sirt | M::NuclearMedicineTherapy => SubModality::NuclearMedicineTherapy,
            M::RtPlanningScan | M::RtVerificationImaging => {
                SubModality::RadiotherapyPlanningAndVerification
            }
            M::ExternalBeam => SubModality::ExternalBeam,
            M::Brachytherapy => SubModality::Brachytherapy,
            M::IntraoperativeRadiotherapy => SubModality::IntraoperativeRadiotherapy,
        }
    }

    pub const ALL: [SubModality; 14] = [
        SubModality::Ct,
        SubModality::PlainFilm,
        SubModality::Fluoroscopy,
        SubModality::Mammography,
        SubModality::Dental,
        SubModality::Dxa,
        SubModality::Interventional,
        SubModality::NuclearMedicineImaging,
        SubModality::Pet,
        SubModality::NuclearMedicineTherapy,
        SubModality::RadiotherapyPlanningAndVerification,
        SubModality::ExternalBeam,
        SubModality::Brachytherapy,
        SubModality::IntraoperativeRadiotherapy,
    ];

    /// Its name as data (the statistics' key): kebab-case.
    pub const fn as_str(self) -> &'static str {
        match self {
            SubModality::Ct => "ct",
            SubModality::PlainFilm => "plain-film",
            SubModality::Fluoroscopy => "fluoroscopy",
            SubModality::Mammography => "mammography",
            SubModality::Dental => "dental",
            SubModality::Dxa => "dxa",
            SubModality::Interventional => "interventional",
            SubModality::NuclearMedicineImaging => "nuclear-medicine-imaging",
            SubModality::Pet => "pet",
            SubModality::NuclearMedicineTherapy => "nuclear-medicine-therapy",
            SubModality::RadiotherapyPlanningAndVerification => {
                "radiotherapy-planning-and-verification"
            }
            SubModality::ExternalBeam => "external-beam",
            SubModality::Brachytherapy => "brachytherapy",
            SubModality::IntraoperativeRadiotherapy => "intraoperative-radiotherapy",
        }
    }

    pub fn parse(text: &str) -> Option<SubModality> {
        SubModality::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub const fn label(self) -> &'static str {
        match self {
            SubModality::Ct => "CT",
            SubModality::PlainFilm => "Plain film",
            SubModality::Fluoroscopy => "Fluoroscopy",
            SubModality::Mammography => "Mammography",
            SubModality::Dental => "Dental",
            SubModality::Dxa => "DXA",
            SubModality::Interventional => "Interventional",
            SubModality::NuclearMedicineImaging => "Nuclear medicine imaging",
            SubModality::Pet => "PET",
            SubModality::NuclearMedicineTherapy => "Nuclear medicine therapy",
            SubModality::RadiotherapyPlanningAndVerification => {
                "Radiotherapy planning and verification imaging"
            }
            SubModality::ExternalBeam => "External beam radiotherapy",
            SubModality::Brachytherapy => "Brachytherapy",
            SubModality::IntraoperativeRadiotherapy => "Intraoperative radiotherapy",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        Taxonomy::parse("test.toml", text, None)
            .expect_err("refused")
            .to_string()
    }

    const HEAD: &str = "version = \"t1\"\n";

    #[test]
    fn the_shipped_taxonomy_loads_and_is_consistent() {
        let t = Taxonomy::shipped().expect("the shipped taxonomy");
        assert_eq!(t.version, "cqc-2023-24.1");
        let ones: Vec<&str> = t.tier(1).map(|e| e.code.as_str()).collect();
        assert_eq!(
            ones,
            [
                "employer",
                "referrer",
                "practitioner",
                "operator",
                "equipment"
            ]
        );
        // Every tier-3 code reaches a tier-1 code through a tier-2 one.
        for e in t.tier(3) {
            let [one, two, three] = t.path(&e.code).expect("a path");
            assert_eq!((one.tier.0, two.tier.0, three.tier.0), (1, 2, 3));
            assert!(e.code.starts_with(&format!("{}.", two.code)));
        }
        // The CQC's named examples are there.
        for code in [
            "referrer.incorrect-referral.wrong-patient",
            "referrer.incorrect-referral.failure-to-cancel",
            "operator.treatment-delivery.geographical-miss-shift",
            "operator.treatment-delivery.verification-protocol-error",
        ] {
            assert_eq!(
                t.get(code).map(|e| e.source.as_str()),
                Some("cqc"),
                "{code}"
            );
        }
    }

    #[test]
    fn a_broken_file_is_refused_with_its_line_and_reason() {
        let twice = format!(
            "{HEAD}[[tier1]]\ncode = \"a\"\nname = \"A\"\nsource = \"cqc\"\n[[tier1]]\ncode = \"a\"\nname = \"A again\"\nsource = \"cqc\"\n"
        );
        assert_eq!(error(&twice), "test.toml, line 7: the code a appears twice");
        let orphan = format!(
            "{HEAD}[[tier1]]\ncode = \"a\"\nname = \"A\"\nsource = \"cqc\"\n[[tier2]]\ncode = \"b.c\"\nparent = \"b\"\nname = \"C\"\nsource = \"cqc\"\n"
        );
        assert_eq!(
            error(&orphan),
            "test.toml, line 8: b.c: its parent b is not a tier-1 code of the taxonomy (an orphan)"
        );
        let skipped = format!(
            "{HEAD}[[tier1]]\ncode = \"a\"\nname = \"A\"\nsource = \"cqc\"\n[[tier3]]\ncode = \"a.b\"\nparent = \"a\"\nname = \"B\"\nsource = \"cqc\"\n"
        );
        assert!(
            error(&skipped)
                .contains("a.b: its parent a is a tier-1 code; a tier-3 code's parent is tier 2")
        );
        let leaf = format!("{HEAD}[[tier1]]\ncode = \"a\"\nname = \"A\"\nsource = \"cqc\"\n");
        assert_eq!(
            error(&leaf),
            "test.toml, line 3: a: a tier-1 code with nothing under it (an investigator codes down to tier 3)"
        );
        assert!(error("[[tier1]]\ncode = 3\n").starts_with("test.toml, line 2: "));
        assert!(
            error(&format!("{HEAD}colour = \"red\"\n"))
                .starts_with("test.toml, line 2: unknown field")
        );
        let bad_code =
            format!("{HEAD}[[tier1]]\ncode = \"Bad Code\"\nname = \"A\"\nsource = \"cqc\"\n");
        assert!(error(&bad_code).contains("expected lower-case letters"));
    }

    #[test]
    fn local_entries_add_codes_and_never_change_a_shipped_one() {
        let shipped = Taxonomy::shipped().expect("shipped");
        let local = "[[tier3]]\ncode = \"operator.contrast.extravasation\"\nparent = \"operator.contrast\"\nname = \"Contrast extravasation\"\n";
        let t = Taxonomy::parse("local.toml", local, Some(&shipped)).expect("extended");
        let e = t.get("operator.contrast.extravasation").expect("added");
        assert_eq!(e.source, "local");
        assert_eq!(t.entries.len(), shipped.entries.len() + 1);
        assert_eq!(t.version, shipped.version);
        let again = "[[tier3]]\ncode = \"operator.contrast.other\"\nparent = \"operator.contrast\"\nname = \"Mine\"\n";
        let e = Taxonomy::parse("local.toml", again, Some(&shipped)).expect_err("redefined");
        assert_eq!(
            e.to_string(),
            "local.toml, line 2: the code operator.contrast.other is already in the shipped taxonomy (local entries add codes; they never change or remove one)"
        );
        let posing = "[[tier3]]\ncode = \"operator.contrast.x\"\nparent = \"operator.contrast\"\nname = \"X\"\nsource = \"cqc\"\n";
        assert!(
            Taxonomy::parse("local.toml", posing, Some(&shipped))
                .expect_err("not cqc")
                .reason
                .contains("a local entry's source is local")
        );
    }

    #[test]
    fn every_modality_has_its_sub_modality() {
        for m in Modality::ALL {
            let sub = SubModality::of(*m);
            assert!(!sub.label().is_empty());
        }
        assert_eq!(
            SubModality::of(Modality::Radiography),
            SubModality::PlainFilm
        );
        assert_eq!(
            SubModality::of(Modality::RtVerificationImaging),
            SubModality::RadiotherapyPlanningAndVerification
        );
    }
}
