//! The authority's annual figures, as the authorities publish them: the
//! notifications received in a financial year (1 April to 31 March, by
//! the day in the UK),
//! counted by modality, sub-modality and notification code (a
//! notification with several codes counts once under each), and how often
//! the provider's reading of the codes differed from the authority's.
//! As CSV and as a self-contained HTML page with its charts and tables.

use irmer_core::assessment::EnforcingAuthority;
use irmer_core::incident::{CivilDate, Modality};
use irmer_report::charts::{self, Bar};
use irmer_stats::taxonomy::SubModality;
use irmer_store::authority::Notification;
use maud::{DOCTYPE, PreEscaped, html};
use std::collections::BTreeMap;

/// A year's counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annual {
    pub from: CivilDate,
    pub to: CivilDate,
    pub total: u64,
    /// (label, count), largest first.
    pub by_modality: Vec<(String, u64)>,
    pub by_sub_modality: Vec<(String, u64)>,
    pub by_code: Vec<(String, u64)>,
    /// By the kind of provider the notification gave ("Not given" when it
    /// gave none).
    pub by_provider: Vec<(String, u64)>,
    /// By the cause the inspector categorised, at each tier of the
    /// detailed error type (a notification counts once under each of its
    /// causes; those not yet categorised under "Not categorised").
    pub by_cause: [Vec<(String, u64)>; 3],
    /// Notifications whose provider gave codes that differ from the
    /// authority's reading.
    pub codes_differ: u64,
    /// Licensing breaches received (their own form and series), counted
    /// apart from the notifications above.
    pub licence_breaches: u64,
}

fn sorted(map: BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = map.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// Counts the notifications received from `from` to `to` (both included).
pub fn annual(notifications: &[Notification], from: CivilDate, to: CivilDate) -> Annual {
    let (mut modality, mut sub, mut code) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    let mut causes: [BTreeMap<String, u64>; 3] = Default::default();
    let mut provider = BTreeMap::new();
    let (mut total, mut differ, mut licence) = (0, 0, 0);
    let taxonomy = irmer_stats::taxonomy::Taxonomy::shipped().unwrap_or_default();
    for n in notifications {
        // The day it was received in the UK (the year ends at midnight
        // on 31 March, British Summer Time).
        let received = irmer_core::lifecycle::uk_date(n.received_at);
        if received < from || received > to {
            continue;
        }
        if n.series == irmer_store::authority::Series::Licence {
            licence += 1;
            continue;
        }
        total += 1;
        let kind = n.provider_type.as_deref().map_or("Not given", |t| {
            irmer_store::authority::PROVIDER_TYPES
                .iter()
                .find(|(id, _)| *id == t)
                .map_or(t, |(_, words)| words)
        });
        *provider.entry(kind.to_owned()).or_insert(0) += 1;
        let m = Modality::parse(&n.modality);
        let label = m.map_or_else(|| n.modality.clone(), |m| m.label().to_owned());
        *modality.entry(label).or_insert(0) += 1;
        // The inspector's category where there is one, else the
        // modality's own.
        let chosen = n
            .sub_modality
            .as_deref()
            .and_then(SubModality::parse)
            .or(m.map(SubModality::of));
        if let Some(s) = chosen {
            *sub.entry(s.label().to_owned()).or_insert(0) += 1;
        }
        if n.causes.is_empty() {
            for tier in &mut causes {
                *tier.entry("Not categorised".to_owned()).or_insert(0) += 1;
            }
        }
        let mut seen: [Vec<&str>; 3] = Default::default();
        for c in n.causes.split_whitespace() {
            let Some(path) = taxonomy.path(c) else {
                continue;
            };
            for (tier, entry) in path.iter().enumerate() {
                // A notification counts once a cause at each tier.
                if !seen[tier].contains(&entry.code.as_str()) {
                    seen[tier].push(&entry.code);
                    *causes[tier]
                        .entry(format!("{} {}", entry.code, entry.name))
                        .or_insert(0) += 1;
                }
            }
        }
        if n.codes.is_empty() {
            *code.entry("No code".to_owned()).or_insert(0) += 1;
        }
        for c in n.codes.split_whitespace() {
            *code.entry(c.to_owned()).or_insert(0) += 1;
        }
        if !n.provider_codes.is_empty() && n.provider_codes != n.codes {
            differ += 1;
        }
    }
    Annual {
        from,
        to,
        total,
        by_modality: sorted(modality),
        by_sub_modality: sorted(sub),
        by_code: sorted(code),
        by_provider: sorted(provider),
        by_cause: causes.map(sorted),
        codes_differ: differ,
        licence_breaches: licence,
    }
}

/// `group,value,notifications`, one line a count (formula characters
/// cannot start a field: every value is a label irmer wrote).
pub fn csv(a: &Annual) -> String {
    let mut out = String::from("group,value,notifications\n");
    out.push_str(&format!("total,all,{}\n", a.total));
    for (group, rows) in [
        ("modality", &a.by_modality),
        ("sub-modality", &a.by_sub_modality),
        ("code", &a.by_code),
        ("provider", &a.by_provider),
        ("cause-tier-1", &a.by_cause[0]),
        ("cause-tier-2", &a.by_cause[1]),
        ("cause-tier-3", &a.by_cause[2]),
    ] {
        for (value, n) in rows {
            out.push_str(&format!("{group},\"{}\",{n}\n", value.replace('"', "\"\"")));
        }
    }
    out.push_str(&format!(
        "codes-differ,provider and authority,{}\n",
        a.codes_differ
    ));
    out.push_str(&format!("licensing-breaches,all,{}\n", a.licence_breaches));
    out
}

/// The year as a page of its own (styles inline, charts drawn in it).
pub fn html(a: &Annual, authority: EnforcingAuthority) -> String {
    let section = |id: &str, heading: &str, rows: &[(String, u64)]| {
        let bars: Vec<Bar<'_>> = rows
            .iter()
            .map(|(label, n)| Bar {
                label,
                value: *n,
                part: 0,
            })
            .collect();
        let description = describe(rows);
        html! {
            h2 { (heading) }
            @if rows.is_empty() {
                p { "None." }
            } @else {
                figure { (charts::bars(id, &format!("Notifications by {}", heading.to_lowercase()), &description, &bars)) }
                table {
                    thead { tr { th scope="col" { (heading) } th scope="col" class="n" { "Notifications" } } }
                    tbody { @for (l, n) in rows { tr { th scope="row" { (l) } td class="n" { (n) } } } }
                }
            }
        }
    };
    let title = title(a);
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) (PreEscaped(charts::STYLE)) }
            }
            body {
                main {
                    p class="caption" { (authority.name()) }
                    h1 { (title) }
                    p { strong { (a.total) } " notifications received. The provider's codes differed from our reading of the facts in " strong { (a.codes_differ) } "." }
                    @for (id, heading, rows) in sections(a) { (section(id, heading, rows)) }
                    h2 { "Licensing breaches" }
                    p { strong { (a.licence_breaches) } " licensing breaches received on their own form, not counted above." }
                    p class="caption" { (NOTE) }
                }
            }
        }
    }
    .into_string()
}

/// The year's figures as PDF: the same sections as the page, each a
/// chart (the same SVG) and its table.
const TEMPLATE: &str = r##"
#let d = json("data.json")
#set document(title: d.title)
#set page(paper: "a4", margin: (x: 2cm, y: 2cm), footer: context [
  #set text(size: 8pt, fill: luma(90))
  #d.title #h(1fr) Page #counter(page).display("1 of 1", both: true)
])
#set text(font: "Libertinus Serif", size: 10.5pt, lang: "en", region: "gb")
#set table(stroke: 0.5pt + luma(170), inset: 4pt)
#text(size: 9pt, fill: luma(90))[#d.authority]
#heading(level: 1, d.title)
#d.intro
#for s in d.sections [
  #heading(level: 2, s.heading)
  #if s.rows.len() == 0 [None.] else [
    #image(s.chart, width: 100%, alt: s.alt)
    #table(columns: (1fr, auto), align: (left, right), table.header(strong(s.heading), [*Notifications*]), ..s.rows.flatten())
  ]
]
#heading(level: 2, "Licensing breaches")
#d.licence
#line(length: 100%, stroke: 0.5pt)
#text(size: 9pt)[#d.note]
"##;

/// The year as PDF bytes, or typst's errors in words.
pub fn pdf(
    a: &Annual,
    authority: EnforcingAuthority,
    generated: time::OffsetDateTime,
) -> Result<Vec<u8>, String> {
    let mut files = Vec::new();
    let sections: Vec<serde_json::Value> = sections(a)
        .into_iter()
        .map(|(id, heading, rows)| {
            let bars: Vec<Bar<'_>> = rows
                .iter()
                .map(|(label, n)| Bar {
                    label,
                    value: *n,
                    part: 0,
                })
                .collect();
            let description = describe(rows);
            let name = format!("{id}.svg");
            files.push((
                name.clone(),
                charts::standalone(&charts::bars(id, &format!("Notifications by {}", heading.to_lowercase()), &description, &bars))
                    .into_bytes(),
            ));
            serde_json::json!({
                "heading": heading,
                "chart": name,
                "alt": format!("Bar chart of notifications by {}: {description}", heading.to_lowercase()),
                "rows": rows.iter().map(|(l, n)| [l.clone(), n.to_string()]).collect::<Vec<_>>(),
            })
        })
        .collect();
    let data = serde_json::json!({
        "authority": authority.name(),
        "title": title(a),
        "intro": format!(
            "{} notifications received. The provider's codes differed from our reading of the facts in {}. Made by irmer on {}.",
            a.total,
            a.codes_differ,
            irmer_core::lifecycle::long_date(generated.date())
        ),
        "sections": sections,
        "licence": format!("{} licensing breaches received on their own form, not counted above.", a.licence_breaches),
        "note": NOTE,
    });
    irmer_pdf::typeset(TEMPLATE, data.to_string().into_bytes(), files, generated)
}

const NOTE: &str = "A notification with several codes or causes counts once under each. Causes are as the inspector categorised them. Counted by irmer from the notifications as received.";

fn title(a: &Annual) -> String {
    format!(
        "IR(ME)R notifications received from {} to {}",
        a.from.words(),
        a.to.words()
    )
}

fn describe(rows: &[(String, u64)]) -> String {
    rows.iter()
        .map(|(l, n)| format!("{l}: {n}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A section of the page and the PDF: (id, heading, rows).
type Section<'a> = (&'static str, &'static str, &'a [(String, u64)]);

/// The sections of the page and the PDF, in order.
fn sections(a: &Annual) -> Vec<Section<'_>> {
    vec![
        ("by-modality", "Modality", &a.by_modality),
        ("by-sub-modality", "Sub-modality", &a.by_sub_modality),
        ("by-code", "Notification code", &a.by_code),
        ("by-provider", "Kind of provider", &a.by_provider),
        ("by-cause-1", "Cause (tier 1)", &a.by_cause[0]),
        ("by-cause-2", "Cause (tier 2)", &a.by_cause[1]),
        ("by-cause-3", "Cause (tier 3)", &a.by_cause[2]),
    ]
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;color:#0b0c0c;line-height:1.45;margin:0}\
main{max-width:50rem;margin:0 auto;padding:1.5rem}.caption{color:#505a5f}\
table{border-collapse:collapse;width:100%;margin:0 0 1rem}\
th,td{border-bottom:1px solid #b1b4b6;padding:.4rem .5rem;text-align:left}td.n,th.n{text-align:right}\
figure{margin:0 0 1rem}";

#[cfg(test)]
mod tests {
    use super::*;
    use irmer_store::authority::Series;
    use time::macros::datetime;

    fn n(
        reference: &str,
        modality: &str,
        codes: &str,
        provider: &str,
        at: time::OffsetDateTime,
    ) -> Notification {
        Notification {
            reference: reference.into(),
            authority: "cqc".into(),
            series: Series::Irmer,
            organisation_name: "Northshire".into(),
            organisation_code: None,
            provider_type: None,
            chief_executive: None,
            contact_name: None,
            contact_email: "rpa@x.example.org".into(),
            facts: "{}".into(),
            summary: "x".into(),
            provider_codes: provider.into(),
            assessment: "{}".into(),
            codes: codes.into(),
            modality: modality.into(),
            discovered: CivilDate::parse("2025-05-01").expect("date"),
            report_due: CivilDate::parse("2025-07-24").expect("date"),
            status: "received".into(),
            received_at: at,
            risk: None,
            inspector_id: None,
            sub_modality: None,
            causes: String::new(),
            report_received_at: None,
        }
    }

    #[test]
    fn a_year_is_counted_by_modality_and_code() {
        let (from, to) = irmer_stats::tally::financial_year(2025).expect("year");
        let all = [
            n("A", "ct", "2.2", "2.2", datetime!(2025-04-01 00:30 UTC)),
            n(
                "B",
                "ct",
                "2.2 M2.2",
                "2.1",
                datetime!(2025-09-01 12:00 UTC),
            ),
            n("C", "dental", "", "", datetime!(2026-03-31 22:30 UTC)),
            // Outside the year on either side: 31 March 2025 at 23:59 UK
            // time, and 1 April 2026 at 00:00 BST (23:00 UTC on 31 March).
            n("D", "ct", "2.2", "", datetime!(2025-03-31 22:59 UTC)),
            n("E", "ct", "2.2", "", datetime!(2026-03-31 23:00 UTC)),
        ];
        let mut categorised = n("F", "ct", "2.2", "", datetime!(2025-06-01 09:00 UTC));
        let taxonomy = irmer_stats::taxonomy::Taxonomy::shipped().expect("taxonomy");
        let three: Vec<&str> = taxonomy.tier(3).map(|e| e.code.as_str()).take(2).collect();
        categorised.causes = three.join(" ");
        categorised.sub_modality = Some("interventional".into());
        let mut licence = n(
            "G",
            "nuclear-medicine",
            "",
            "",
            datetime!(2025-06-01 09:00 UTC),
        );
        licence.series = Series::Licence;
        let all: Vec<Notification> = all.into_iter().chain([categorised, licence]).collect();
        let a = annual(&all, from, to);
        assert_eq!(a.licence_breaches, 1, "counted apart");
        assert!(
            a.by_provider.contains(&("Not given".to_owned(), 4)),
            "{:?}",
            a.by_provider
        );
        assert_eq!(a.total, 4);
        assert!(
            a.by_sub_modality
                .iter()
                .any(|(l, n)| l == "Interventional" && *n == 1),
            "{:?}",
            a.by_sub_modality
        );
        let [one, two, _] = taxonomy.path(three[0]).expect("path");
        assert!(
            a.by_cause[0].contains(&(format!("{} {}", one.code, one.name), 1)),
            "{:?}",
            a.by_cause[0]
        );
        assert!(a.by_cause[1].iter().any(|(l, _)| l.starts_with(&two.code)));
        assert_eq!(
            a.by_cause[2].iter().map(|(_, n)| n).sum::<u64>(),
            2 + 3,
            "two causes, three not categorised"
        );
        assert!(a.by_cause[0].contains(&("Not categorised".to_owned(), 3)));
        // Back to the first three, for the figures below.
        let all = &all[..5];
        let mut typed = all.to_vec();
        typed[0].provider_type = Some("nhs-acute".into());
        let a = annual(&typed, from, to);
        assert_eq!(
            a.by_provider,
            [
                ("Not given".to_owned(), 2),
                ("NHS acute trust or board".to_owned(), 1)
            ]
        );
        assert_eq!(a.total, 3);
        assert_eq!(
            a.by_modality,
            [("CT".to_owned(), 2), ("Dental".to_owned(), 1)]
        );
        assert_eq!(a.by_code[0], ("2.2".to_owned(), 2));
        assert!(a.by_code.contains(&("M2.2".to_owned(), 1)));
        assert!(a.by_code.contains(&("No code".to_owned(), 1)));
        assert_eq!(a.codes_differ, 1);
        let csv = csv(&a);
        assert!(
            csv.starts_with("group,value,notifications\ntotal,all,3\nmodality,\"CT\",2\n"),
            "{csv}"
        );
        let page = html(&a, EnforcingAuthority::Cqc);
        assert!(page.contains("IR(ME)R notifications received from 1 April 2025 to 31 March 2026"));
        assert!(page.contains("<svg class=\"chart\""));
        assert!(page.contains("Cause (tier 3)") && csv.contains("licensing-breaches,all,0"));
    }
}
