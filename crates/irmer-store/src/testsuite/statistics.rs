//! The statistics against an independent count: a generated register,
//! counted by every grouping through the store and again here, from each
//! incident as the register gives it back.

use std::collections::{BTreeMap, BTreeSet};

use irmer_core::incident::ExposureKind;
use irmer_stats::tally::{Counts, Field, category_id, financial_year};
use irmer_stats::taxonomy::{SubModality, Taxonomy};
use serde_json::json;

use super::{ct, register_at};
use crate::accounts::{AccountStore, Places, Scope};
use crate::register::IncidentRecord;
use crate::{Owner, Store};

/// A value of each field, one key of a group (`None`: the incident has none).
type Key = Vec<Option<String>>;

/// What the test counts itself: incidents, notifiable, near misses.
fn counted(c: &Counts) -> [u64; 3] {
    [c.incidents, c.notifiable, c.near_misses]
}

/// The keys an incident belongs to for `by`, worked out here from the
/// record: each cause gives its own tiers; each code its own group.
fn keys_of(
    rec: &IncidentRecord,
    by: &[Field],
    places: &BTreeMap<i64, (String, String)>,
) -> BTreeSet<Key> {
    let codes: Vec<Option<String>> = if rec.assessment.codes.is_empty() {
        vec![None]
    } else {
        rec.assessment
            .codes
            .iter()
            .map(|c| Some(c.to_string()))
            .collect()
    };
    let causes: Vec<Option<String>> = if rec.incident.causes.is_empty() {
        vec![None]
    } else {
        rec.incident.causes.iter().cloned().map(Some).collect()
    };
    let place = rec.owner.department.and_then(|d| places.get(&d));
    let mut keys = BTreeSet::new();
    for code in &codes {
        for cause in &causes {
            let tier = |n: usize| {
                cause
                    .as_ref()
                    .map(|c| c.split('.').take(n).collect::<Vec<_>>().join("."))
            };
            let d = rec.incident.discovered.to_string();
            let key = by
                .iter()
                .map(|f| match f {
                    Field::Modality => Some(rec.incident.modality.as_str().to_owned()),
                    Field::SubModality => {
                        Some(SubModality::of(rec.incident.modality).as_str().to_owned())
                    }
                    Field::Category => {
                        Some(category_id(rec.incident.modality.category()).to_owned())
                    }
                    Field::Code => code.clone(),
                    Field::Outcome => Some(rec.outcome.as_str().to_owned()),
                    Field::Exposure => Some(rec.incident.exposure.as_str().to_owned()),
                    Field::Nation => Some(rec.incident.nation.as_str().to_owned()),
                    Field::CauseTier1 => tier(1),
                    Field::CauseTier2 => tier(2),
                    Field::CauseTier3 => tier(3),
                    Field::Site => place.map(|p| p.0.clone()),
                    Field::Department => place.map(|p| p.1.clone()),
                    Field::Month => Some(d[..7].to_owned()),
                })
                .collect();
            keys.insert(key);
        }
    }
    keys
}

/// A small deterministic generator (a linear congruential one).
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

pub async fn statistics_agree_with_an_independent_count<S: Store + AccountStore>(store: S) {
    let north = store.create_site("North").await.expect("site").id;
    let south = store.create_site("South").await.expect("site").id;
    let mut departments = Vec::new();
    for (site, name) in [
        (north, "Radiology"),
        (north, "Nuclear medicine"),
        (south, "Radiology"),
    ] {
        departments.push(store.create_department(site, name).await.expect("dept").id);
    }
    let places = Places::load(&store).await.expect("places");
    let names: BTreeMap<i64, (String, String)> = places
        .departments
        .iter()
        .map(|d| {
            let site = places
                .sites
                .iter()
                .find(|s| s.id == d.site_id)
                .map(|s| s.name.clone())
                .unwrap_or_default();
            (d.id, (site, places.department(Some(d.id))))
        })
        .collect();
    let causes: Vec<String> = Taxonomy::shipped()
        .expect("taxonomy")
        .tier(3)
        .map(|e| e.code.clone())
        .collect();
    let r = register_at(store, time::macros::datetime!(2026-06-01 12:00 UTC));
    let mut dice = Dice(2025);
    let modalities = ["ct", "radiography", "fluoroscopy", "mammography", "dental"];
    let nations = ["england", "wales", "scotland", "northern-ireland"];
    let mut records = Vec::new();
    for n in 0..90 {
        // March 2025 to April 2026: a month either side of the year.
        let month = 3 + dice.roll(14);
        let (year, month) = if month > 12 {
            (2026, month - 12)
        } else {
            (2025, month)
        };
        let day = 1 + dice.roll(28);
        let mut v = ct(&format!("S-{n}"), &format!("{year}-{month:02}-{day:02}"));
        v["modality"] = json!(modalities[dice.roll(modalities.len())]);
        v["nation"] = json!(nations[dice.roll(nations.len())]);
        if dice.roll(4) == 0 {
            v["exposure"] = json!("none");
            v.as_object_mut().expect("object").remove("dose");
        } else if dice.roll(3) == 0 {
            v["dose"]["received"] = json!(0.6);
        }
        let coded: BTreeSet<&String> = (0..dice.roll(3))
            .map(|_| &causes[dice.roll(causes.len())])
            .collect();
        v["causes"] = json!(coded);
        let department = match dice.roll(4) {
            3 => None,
            i => Some(departments[i]),
        };
        let owner = Owner {
            department,
            reported_by: None,
        };
        let rec = r
            .report_as(&v.to_string(), "alice", owner, Scope::Organisation)
            .await
            .expect("report");
        records.push(rec);
    }
    let (from, to) = financial_year(2025).expect("year");
    let in_year: Vec<&IncidentRecord> = records
        .iter()
        .filter(|rec| rec.incident.discovered >= from && rec.incident.discovered <= to)
        .collect();
    assert!(
        in_year.len() > 60 && in_year.len() < 90,
        "{}",
        in_year.len()
    );
    let tally_places = places.for_statistics();
    let mut groupings: Vec<Vec<Field>> = Field::ALL.iter().map(|f| vec![*f]).collect();
    groupings.push(vec![Field::CauseTier1, Field::Modality, Field::Month]);
    groupings.push(vec![Field::Code, Field::CauseTier3]);
    groupings.push(vec![Field::Site, Field::Department, Field::Outcome]);
    for by in groupings {
        let stats = r
            .statistics(from, to, &by, None, &tally_places)
            .await
            .expect("statistics");
        let mut expected: BTreeMap<Key, [u64; 3]> = BTreeMap::new();
        for rec in &in_year {
            for key in keys_of(rec, &by, &names) {
                let c = expected.entry(key).or_default();
                c[0] += 1;
                c[1] += u64::from(rec.outcome == irmer_core::Outcome::Notifiable);
                c[2] += u64::from(rec.incident.exposure == ExposureKind::None);
            }
        }
        let got: BTreeMap<Key, [u64; 3]> = stats
            .groups
            .iter()
            .map(|g| {
                (
                    g.key.iter().map(|(_, v)| v.clone()).collect(),
                    counted(&g.counts),
                )
            })
            .collect();
        assert_eq!(got, expected, "grouped by {by:?}");
        let total = [
            in_year.len() as u64,
            in_year
                .iter()
                .filter(|r| r.outcome == irmer_core::Outcome::Notifiable)
                .count() as u64,
            in_year
                .iter()
                .filter(|r| r.incident.exposure == ExposureKind::None)
                .count() as u64,
        ];
        assert_eq!(counted(&stats.total), total, "total by {by:?}");
        assert!(total[1] > 0 && total[2] > 0 && total[0] > total[1] + total[2]);
    }
    // A department's user counts only what they may see.
    let only = departments[0];
    let stats = r
        .statistics(
            from,
            to,
            &[],
            Some(Scope::Department {
                department: only,
                user: -1,
            }),
            &tally_places,
        )
        .await
        .expect("statistics");
    let theirs = in_year
        .iter()
        .filter(|rec| rec.owner.department == Some(only))
        .count() as u64;
    assert_eq!(stats.total.incidents, theirs);
    // A re-coded incident moves to its new cause's group.
    let rec = in_year[0];
    let patch = json!({"causes": [causes[0]]});
    r.amend(
        &rec.reference,
        rec.version,
        &patch,
        "Recoded after review",
        "lead",
    )
    .await
    .expect("recoded");
    let stats = r
        .statistics(from, to, &[Field::CauseTier3], None, &tally_places)
        .await
        .expect("statistics");
    let now = in_year
        .iter()
        .filter(|x| x.reference == rec.reference || x.incident.causes.contains(&causes[0]))
        .count() as u64;
    let group = stats
        .groups
        .iter()
        .find(|g| g.value(Field::CauseTier3) == Some(causes[0].as_str()))
        .expect("the group");
    assert_eq!(group.counts.incidents, now);
}
