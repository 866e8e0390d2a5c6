//! The radiation protection committee's report as PDF: the same content
//! as its HTML, the charts the same SVG (each with its style inside),
//! read by typst as images; every figure also in a table.

use irmer_core::lifecycle::long_date;
use irmer_report::charts;
use irmer_report::committee::{Committee, MOST_LEARNING};
use irmer_stats::tally::{self, Counts};
use serde_json::{Value, json};
use time::OffsetDateTime;

const TEMPLATE: &str = r##"
#let d = json("data.json")
#set document(title: d.title)
#set page(paper: "a4", margin: (x: 2cm, y: 2cm), footer: context [
  #set text(size: 8pt, fill: luma(90))
  #d.footer #h(1fr) Page #counter(page).display("1 of 1", both: true)
])
#set text(font: "Libertinus Serif", size: 10.5pt, lang: "en", region: "gb")
#set table(stroke: 0.5pt + luma(170), inset: 4pt)
#let counts(head, rows) = table(
  columns: (1fr, auto, auto, auto, auto),
  align: (left, right, right, right, right),
  table.header(strong(head), [*Incidents*], [*Notifiable*], [*Voluntary*], [*Near misses*]),
  ..rows.map(r => (r.at(0), str(r.at(1)), str(r.at(2)), str(r.at(3)), str(r.at(4)))).flatten(),
)
#text(size: 9pt, fill: luma(90))[#d.caption]
#heading(level: 1, d.heading)
#d.intro
#heading(level: 2, "1. The period in numbers")
#counts("All incidents", (("Total",) + d.total,))
#d.others
#for t in d.tables [
  #heading(level: 2, t.title)
  #if t.rows.len() == 0 [No incidents.] else [
    #image(t.chart, width: 100%, alt: t.alt)
    #counts(t.head, t.rows.map(r => (r.at(0),) + r.at(1)))
  ]
]
#heading(level: 2, d.trend.title)
#strong(d.trend.verdict + ".") #d.trend.limits
#image("trend.svg", width: 100%, alt: d.trend.alt)
#table(columns: (1fr, auto), align: (left, right), table.header([*Month*], [*Incidents*]), ..d.trend.rows.flatten())
#heading(level: 2, d.reporting.title)
#if d.reporting.rows.len() == 0 [#d.reporting.none] else [
  #table(columns: (1fr, auto, auto, auto), align: (left, right, right, right), table.header([*Modality*], [*Incidents*], [*Examinations*], [*Per 10,000*]), ..d.reporting.rows.flatten())
]
#if d.reporting.flags.len() == 0 [Nothing flagged for low reporting.] else [
  #list(..d.reporting.flags)
]
#heading(level: 2, d.signals.title)
#if d.signals.rows.len() == 0 [#d.signals.none] else [
  #table(columns: (auto, auto, 1fr), table.header([*Chart*], [*Month*], [*Rule*]), ..d.signals.rows.flatten())
]
#heading(level: 2, d.themes.title)
#if d.themes.rows.len() == 0 [#d.themes.none] else [
  #table(columns: (auto, auto, 1fr, auto, 1fr), table.header([*Incident*], [*Confirmed*], [*Shared cause*], [*With*], [*Why*]), ..d.themes.rows.flatten())
]
#heading(level: 2, d.learning.title)
#if d.learning.items.len() == 0 [#d.learning.none]
#for l in d.learning.items [
  #heading(level: 3, l.heading)
  #for p in l.paragraphs [
    #p.split("\n").join(linebreak())
    #parbreak()
  ]
]
#d.learning.more
#line(length: 100%, stroke: 0.5pt)
#text(size: 9pt)[#d.anonymised]
"##;

fn figures(k: &Counts) -> [u64; 4] {
    [k.incidents, k.notifiable, k.voluntary, k.near_misses]
}

/// The committee's report as PDF bytes, or typst's errors in words.
pub fn committee_pdf(c: &Committee, generated: OffsetDateTime) -> Result<Vec<u8>, String> {
    let mut files = vec![(
        "trend.svg".to_owned(),
        charts::standalone(&c.trend_chart()).into_bytes(),
    )];
    let n = c.tables.len() + 2;
    let tables: Vec<Value> = c
        .tables
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let name = format!("chart-{}.svg", t.id);
            files.push((name.clone(), charts::standalone(&c.bar_chart(t)).into_bytes()));
            json!({
                "title": format!("{}. By {}", i + 2, t.heading.to_lowercase()),
                "head": t.heading,
                "chart": name,
                "alt": format!("Bar chart of incidents by {}: the table below gives every figure.", t.heading.to_lowercase()),
                "rows": t.rows.iter().map(|r| json!([r.label, figures(&r.counts)])).collect::<Vec<_>>(),
            })
        })
        .collect();
    let chart = &c.trend.chart;
    let data = json!({
        "title": format!("Radiation protection committee: {}", c.title()),
        "caption": "IR(ME)R 2017, regulation 8(3): accidental and unintended exposures reviewed for themes and trends",
        "heading": "Radiation protection committee report",
        "intro": format!(
            "{}, {}. {}Made by irmer on {}.",
            c.title(),
            c.covering,
            c.organisation.as_deref().map(|o| format!("{o}. ")).unwrap_or_default(),
            long_date(generated.date())
        ),
        "total": figures(&c.total),
        "others": format!(
            "{} undetermined (awaiting facts), {} not notifiable, {} out of scope.",
            c.total.undetermined, c.total.not_notifiable, c.total.out_of_scope
        ),
        "tables": tables,
        "trend": {
            "title": format!("{n}. Incidents a month"),
            "verdict": chart.verdict.words(),
            "limits": format!("Mean {} a month; process limits {} to {}.", chart.mean, chart.lower_limit, chart.upper_limit),
            "alt": charts::trend_description(&c.trend, "All incidents"),
            "rows": c.trend.months.iter().zip(&chart.points).map(|(m, p)| {
                [tally::month_name(m).unwrap_or_else(|| m.clone()), p.to_string()]
            }).collect::<Vec<_>>(),
        },
        "reporting": {
            "title": format!("{}. Reporting rates and low reporting", n + 1),
            "none": "No activity covers this period, so there are no rates.",
            "rows": if c.reporting.organisation_per_10000.is_some() { c.rate_rows() } else { Vec::new() },
            "flags": c.flags(),
        },
        "signals": {
            "title": format!("{}. Signals found", n + 2),
            "none": "No special-cause signal, for all incidents or any modality: the counts vary as the process ordinarily does.",
            "rows": c.signals.iter().map(|s| [&s.group, &s.month, &s.rule]).collect::<Vec<_>>(),
        },
        "themes": {
            "title": format!("{}. Themes confirmed", n + 3),
            "none": "No incident of the period is part of a confirmed theme (code M).",
            "rows": c.themes.iter().map(|t| [
                t.reference.clone(),
                long_date(t.decided_on),
                t.cause.clone(),
                t.shared_with.join(", "),
                t.reason.clone(),
            ]).collect::<Vec<_>>(),
        },
        "learning": {
            "title": format!("{}. Learning from the incidents closed", n + 4),
            "none": "No incident of the period was closed with learning recorded.",
            "items": c.learning.iter().map(|l| json!({
                "heading": format!(
                    "{} ({}, codes {}{})",
                    l.reference,
                    l.modality,
                    l.codes,
                    l.closed_on.map(|d| format!(", closed {}", d.words())).unwrap_or_default()
                ),
                "paragraphs": l.text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "more": if c.learning_more { format!("Only the {MOST_LEARNING} most recently discovered are shown.") } else { String::new() },
        },
        "anonymised": c.anonymised(),
        "footer": format!("Radiation protection committee: {}", c.title()),
    });
    crate::typeset(TEMPLATE, data.to_string().into_bytes(), files, generated)
}
