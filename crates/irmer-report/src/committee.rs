//! The radiation protection committee's report for a period (regulation
//! 8(3)'s review of themes and trends): the totals, the counts by modality,
//! by duty holder and by department with their charts, the monthly control
//! chart, every special-cause signal (all incidents and each modality),
//! the themes confirmed (code M) and the learning from the incidents
//! closed, each from its investigation report or its closing findings.
//!
//! Like the investigation report it leaves only through the identifier
//! gate: [`committee`] scans every text (an incident's with that
//! incident's recorded people and numbers, the rest with the hospital
//! number masks) and replaces what it finds by role or kind. Only the
//! [`Committee`] it returns can be rendered ([`html`], and the PDF in
//! irmer-pdf).

use irmer_core::incident::CivilDate;
use irmer_core::lifecycle::IncidentStatus;
use irmer_core::lifecycle::long_date;
use irmer_scan::Scanner;
use irmer_stats::tally::{self, Counts, Field, Statistics, Trend};
use irmer_stats::taxonomy::Taxonomy;
use irmer_store::accounts::{AccountStore, Places, Scope};
use irmer_store::register::{Register, RegisterError};
use irmer_store::{Filter, Sort, Store};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use time::OffsetDateTime;

use crate::charts::{self, Bar};

/// The most closed incidents whose learning one report carries (the most
/// recently discovered first); the report says when there were more.
pub const MOST_LEARNING: u32 = 200;
/// The most confirmed themes listed.
pub const MOST_THEMES: u32 = 200;

/// One line of a table of counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub label: String,
    pub counts: Counts,
}

/// A table of counts by one field, with its chart's title.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// `modality`, `cause-tier1`, `department`: ids for the page.
    pub id: &'static str,
    /// "Modality", "Duty holder", "Department".
    pub heading: &'static str,
    pub rows: Vec<Row>,
}

/// A special-cause signal, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignalRow {
    /// "All incidents" or the modality.
    pub group: String,
    /// "March 2026".
    pub month: String,
    pub rule: String,
}

/// A theme confirmed on an incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThemeRow {
    pub reference: String,
    pub decided_on: time::Date,
    /// The cause in words.
    pub cause: String,
    /// The incidents it was shared with.
    pub shared_with: Vec<String>,
    pub reason: String,
}

/// What a closed incident taught.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Learning {
    pub reference: String,
    pub modality: &'static str,
    pub closed_on: Option<CivilDate>,
    /// The notification codes, or "none".
    pub codes: String,
    pub text: String,
}

/// The committee's report, through the gate: made only by [`committee`]
/// (non-exhaustive, so no other crate can build one).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Committee {
    pub organisation: Option<String>,
    /// Whose incidents: "covering the whole organisation", or a
    /// department's.
    pub covering: String,
    pub from: CivilDate,
    pub to: CivilDate,
    pub total: Counts,
    pub tables: Vec<Table>,
    pub trend: Trend,
    pub signals: Vec<SignalRow>,
    pub themes: Vec<ThemeRow>,
    pub learning: Vec<Learning>,
    /// More incidents were closed with learning than are listed.
    pub learning_more: bool,
    /// Rates per 10,000 examinations and the low-reporting flags.
    pub reporting: irmer_store::activity::Reporting,
    /// How many identifiers the gate replaced.
    pub redacted: usize,
}

/// What the report covers.
pub struct Period<'a> {
    pub from: CivilDate,
    pub to: CivilDate,
    /// The reader's scope (`None`: everything).
    pub scope: Option<Scope>,
    pub covering: &'a str,
}

/// The counts by `field` as rows in words.
fn rows(stats: &Statistics, field: Field, taxonomy: &Taxonomy) -> Vec<Row> {
    stats
        .groups
        .iter()
        .map(|g| Row {
            label: tally::describe(field, g.value(field), taxonomy),
            counts: g.counts,
        })
        .collect()
}

/// Builds the report from the register, every text through the gate.
pub async fn committee<S: Store + AccountStore>(
    register: &Register<S>,
    period: &Period<'_>,
) -> Result<Committee, RegisterError> {
    let Period {
        from,
        to,
        scope,
        covering,
    } = *period;
    let taxonomy = register.taxonomy();
    let store = register.store();
    let places = Places::load(store).await?.for_statistics();
    let by = async |fields: &[Field]| register.statistics(from, to, fields, scope, &places).await;
    let total = by(&[]).await?.total;
    let mut tables = Vec::new();
    for (id, heading, field) in [
        ("modality", "Modality", Field::Modality),
        (
            "cause-tier1",
            "Duty holder where the error arose",
            Field::CauseTier1,
        ),
        ("department", "Department", Field::Department),
    ] {
        let stats = by(&[field]).await?;
        tables.push(Table {
            id,
            heading,
            rows: rows(&stats, field, taxonomy),
        });
    }
    let monthly = by(&[Field::Month]).await?;
    let trend =
        tally::trends(&monthly)
            .into_iter()
            .next()
            .ok_or_else(|| RegisterError::Corrupt {
                reference: String::new(),
                why: "no monthly series for the period".into(),
            })?;
    let mut reporting = register.reporting(from, to, scope).await?;
    let mut signals = signal_rows(&trend, taxonomy);
    for t in tally::trends(&by(&[Field::Modality, Field::Month]).await?) {
        signals.extend(signal_rows(&t, taxonomy));
    }

    // The general scanner: the hospital number masks, no one's identity.
    let masks = register.hospital_number_masks().await?;
    let general = Scanner::new(&irmer_store::identity::Identity::default().scan_rules(&masks))
        .map_err(|e| {
            RegisterError::Invalid(irmer_core::parse::InputError {
                field: e.field,
                message: e.message,
                position: None,
            })
        })?;
    let mut redacted = 0;
    let mut clean = |scanner: &Scanner, text: &str| {
        let r = scanner.redact(text);
        redacted += r.findings.len();
        r.text
    };
    let organisation = store
        .setting(irmer_store::accounts::ORGANISATION_SETTING)
        .await?
        .filter(|o| !o.trim().is_empty())
        .map(|o| clean(&general, &o));
    let covering = clean(&general, covering);
    for table in &mut tables {
        for row in &mut table.rows {
            row.label = clean(&general, &row.label);
        }
    }
    for d in &mut reporting.silent_departments {
        *d = clean(&general, d);
    }

    // Themes confirmed: the incidents of the period with an M code.
    let mut themes = Vec::new();
    let codes = by(&[Field::Code]).await?;
    let m_codes: Vec<&str> = codes
        .groups
        .iter()
        .filter_map(|g| g.value(Field::Code))
        .filter(|c| c.starts_with('M'))
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for code in m_codes {
        let filter = Filter {
            code: Some(code.to_owned()),
            discovered_from: Some(from),
            discovered_to: Some(to),
            scope,
            ..Filter::default()
        };
        let page = register
            .summaries(&filter, Sort::DiscoveredOldest, MOST_THEMES, 0)
            .await?;
        for s in page.items {
            if themes.len() >= MOST_THEMES as usize || !seen.insert(s.reference.clone()) {
                continue;
            }
            let scanner = register.scanner_for(&s.reference, &masks).await?;
            let history = register.history(&s.reference).await?;
            let row = match irmer_store::theme::confirmed_in(&history) {
                Some((e, d)) => ThemeRow {
                    reference: s.reference.clone(),
                    decided_on: e.at.date(),
                    cause: tally::describe(Field::CauseTier3, Some(&d.cause), taxonomy),
                    shared_with: d.incidents,
                    reason: clean(&scanner, e.reason.as_deref().unwrap_or_default()),
                },
                // Set with the facts (at reporting or by a change), not
                // through a suggestion.
                None => ThemeRow {
                    reference: s.reference.clone(),
                    decided_on: s.index.discovered.date(),
                    cause: "Recorded with the facts".into(),
                    shared_with: Vec::new(),
                    reason: String::new(),
                },
            };
            themes.push(row);
        }
    }

    // Learning from the incidents closed, notified or locally.
    let filter = Filter {
        status: vec![IncidentStatus::Closed, IncidentStatus::ClosedLocally],
        discovered_from: Some(from),
        discovered_to: Some(to),
        scope,
        ..Filter::default()
    };
    let (closed, learning_more) = register
        .list(&filter, Sort::DiscoveredNewest, MOST_LEARNING, 0)
        .await?;
    let mut learning = Vec::new();
    for rec in closed {
        let reported = register
            .reports(&rec.reference)
            .await?
            .last()
            .map(|v| v.document.text("learning").trim().to_owned())
            .unwrap_or_default();
        let text = if reported.is_empty() {
            rec.milestones
                .findings
                .clone()
                .unwrap_or_default()
                .trim()
                .to_owned()
        } else {
            reported
        };
        if text.is_empty() {
            continue;
        }
        let scanner = register.scanner_for(&rec.reference, &masks).await?;
        let codes: Vec<String> = rec.assessment.codes.iter().map(|c| c.to_string()).collect();
        learning.push(Learning {
            reference: rec.reference.clone(),
            modality: rec.incident.modality.label(),
            closed_on: rec.milestones.closed_on,
            codes: if codes.is_empty() {
                "none".into()
            } else {
                codes.join(", ")
            },
            text: clean(&scanner, &text),
        });
    }
    Ok(Committee {
        organisation,
        covering,
        from,
        to,
        total,
        tables,
        trend,
        signals,
        themes,
        learning,
        learning_more,
        reporting,
        redacted,
    })
}

fn signal_rows(t: &Trend, taxonomy: &Taxonomy) -> Vec<SignalRow> {
    let group = charts::group_name(
        &t.key
            .iter()
            .filter(|(f, _)| *f != Field::Month)
            .cloned()
            .collect::<Vec<_>>(),
        taxonomy,
    );
    t.chart
        .signals
        .iter()
        .filter_map(|s| {
            Some(SignalRow {
                group: group.clone(),
                month: tally::month_name(t.months.get(s.index)?)?,
                rule: charts::rule_words(s.rule, s.direction),
            })
        })
        .collect()
}

impl Committee {
    /// "1 April 2025 to 31 March 2026".
    pub fn period_words(&self) -> String {
        format!("{} to {}", self.from.words(), self.to.words())
    }

    pub fn title(&self) -> String {
        format!("Incidents from {}", self.period_words())
    }

    /// The bar chart of a table (incidents, the notifiable part darker).
    pub fn bar_chart(&self, table: &Table) -> Markup {
        let bars: Vec<Bar<'_>> = table
            .rows
            .iter()
            .map(|r| Bar {
                label: &r.label,
                value: r.counts.incidents,
                part: r.counts.notifiable,
            })
            .collect();
        let description = table
            .rows
            .iter()
            .map(|r| {
                format!(
                    "{}: {} incidents, {} notifiable",
                    r.label, r.counts.incidents, r.counts.notifiable
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        charts::bars(
            &format!("by-{}", table.id),
            &format!("Incidents by {}", table.heading.to_lowercase()),
            &description,
            &bars,
        )
    }

    /// The monthly control chart of all incidents.
    pub fn trend_chart(&self) -> Markup {
        let name = "All incidents";
        charts::xmr(
            "trend",
            "All incidents: incidents a month",
            &self.trend.months,
            &self.trend.chart,
            &charts::trend_description(&self.trend, name),
        )
    }

    /// The rates as rows: modality, incidents, examinations, per 10,000
    /// (a dash where activity does not cover the period).
    pub fn rate_rows(&self) -> Vec<[String; 4]> {
        self.reporting
            .rates
            .iter()
            .map(|m| {
                [
                    m.modality.label().to_owned(),
                    m.incidents.to_string(),
                    m.examinations
                        .map_or_else(|| "\u{2014}".to_owned(), |e| e.to_string()),
                    m.per_10000
                        .map_or_else(|| "\u{2014}".to_owned(), irmer_stats::activity::tenths),
                ]
            })
            .collect()
    }

    /// What the low-reporting check flags, a sentence each.
    pub fn flags(&self) -> Vec<String> {
        let r = &self.reporting;
        let rate =
            |t: Option<u64>| t.map_or_else(|| "\u{2014}".to_owned(), irmer_stats::activity::tenths);
        let since = r.silent_since.map(CivilDate::words).unwrap_or_default();
        let mut out = Vec::new();
        for m in &r.well_below {
            let own = r
                .rates
                .iter()
                .find(|x| x.modality == *m)
                .and_then(|x| x.per_10000);
            out.push(format!(
                "{}: {} incidents per 10,000 examinations, under half the organisation's {}.",
                m.label(),
                rate(own),
                rate(r.organisation_per_10000)
            ));
        }
        for m in &r.silent_modalities {
            out.push(format!(
                "{}: no incident reported since {since}, though it has activity.",
                m.label()
            ));
        }
        for d in &r.silent_departments {
            out.push(format!("{d}: no incident reported since {since}."));
        }
        out
    }

    /// The anonymisation note every output ends with.
    pub fn anonymised(&self) -> String {
        format!(
            "Anonymised: no patient-identifiable information, and the names of individual people redacted. irmer scanned every text of this report for identifiers before it was made; {}",
            if self.redacted == 0 {
                "none was found.".to_owned()
            } else {
                format!("{} were replaced by their role or kind.", self.redacted)
            }
        )
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;color:#0b0c0c;line-height:1.45;margin:0;background:#fff}\
main{max-width:50rem;margin:0 auto;padding:1.5rem}\
h1{font-size:1.75rem;margin:.25rem 0 1rem}h2{font-size:1.3rem;margin:2rem 0 .75rem}\
.caption{color:#505a5f;margin:0}\
table{border-collapse:collapse;width:100%;margin:0 0 1rem}\
th,td{border-bottom:1px solid #b1b4b6;padding:.4rem .5rem;text-align:left;vertical-align:top}\
td.n,th.n{text-align:right}\
figure{margin:0 0 1rem}figcaption{font-size:.9rem;color:#505a5f}\
footer{border-top:1px solid #b1b4b6;margin-top:2rem;font-size:.9rem}\
.scroll{overflow-x:auto;margin:0 0 1rem}.scroll:focus{outline:3px solid #ffdd00}";

/// The report as one self-contained HTML page (styles inline, the charts
/// drawn in it, nothing fetched).
pub fn html(c: &Committee, generated: OffsetDateTime) -> String {
    let count_head = html! {
        th scope="col" class="n" { "Incidents" }
        th scope="col" class="n" { "Notifiable" }
        th scope="col" class="n" { "Voluntary" }
        th scope="col" class="n" { "Near misses" }
    };
    let count_cells = |k: &Counts| {
        html! {
            td class="n" { (k.incidents) }
            td class="n" { (k.notifiable) }
            td class="n" { (k.voluntary) }
            td class="n" { (k.near_misses) }
        }
    };
    let page = html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Radiation protection committee: " (c.title()) }
                style { (PreEscaped(STYLE)) (PreEscaped(charts::STYLE)) }
            }
            body {
                main {
                    p class="caption" { "IR(ME)R 2017, regulation 8(3): accidental and unintended exposures reviewed for themes and trends" }
                    h1 { "Radiation protection committee report" }
                    p { strong { (c.title()) } ", " (c.covering) ". " @if let Some(o) = &c.organisation { (o) ". " } "Made by irmer on " (long_date(generated.date())) "." }
                    h2 { "1. The period in numbers" }
                    div class="scroll" role="region" tabindex="0" aria-label="Table: the period in numbers" {
                        table {
                            caption { "Every incident recorded, near misses and those not notifiable included" }
                            thead { tr { th scope="col" { "All incidents" } (count_head) } }
                            tbody { tr { th scope="row" { "Total" } (count_cells(&c.total)) } }
                        }
                    }
                    p { (c.total.undetermined) " undetermined (awaiting facts), " (c.total.not_notifiable) " not notifiable, " (c.total.out_of_scope) " out of scope." }
                    @for (n, t) in c.tables.iter().enumerate() {
                        h2 { (n + 2) ". By " (t.heading.to_lowercase()) }
                        @if t.rows.is_empty() {
                            p { "No incidents." }
                        } @else {
                            figure { (c.bar_chart(t)) figcaption { "Bars: incidents; the darker part: notifiable. The table gives every figure." } }
                            div class="scroll" role="region" tabindex="0" aria-label={ "Table: by " (t.heading.to_lowercase()) } {
                                table {
                                    thead { tr { th scope="col" { (t.heading) } (count_head) } }
                                    tbody { @for r in &t.rows { tr { th scope="row" { (r.label) } (count_cells(&r.counts)) } } }
                                }
                            }
                        }
                    }
                    @let n = c.tables.len() + 2;
                    h2 { (n) ". Incidents a month" }
                    p { strong { (c.trend.chart.verdict.words()) "." } " Mean " (c.trend.chart.mean) " a month; process limits " (c.trend.chart.lower_limit) " to " (c.trend.chart.upper_limit) "." }
                    figure { (c.trend_chart()) figcaption { "Line: incidents each month. Solid line: the mean. Dashed: the process limits (mean \u{b1} 2.66 \u{d7} the mean moving range). Larger orange or blue points: a special-cause signal above or below the mean." } }
                    div class="scroll" role="region" tabindex="0" aria-label="Table: incidents a month" {
                        table {
                            thead { tr { th scope="col" { "Month" } th scope="col" class="n" { "Incidents" } } }
                            tbody {
                                @for (m, p) in c.trend.months.iter().zip(&c.trend.chart.points) {
                                    tr { th scope="row" { (tally::month_name(m).unwrap_or_else(|| m.clone())) } td class="n" { (p) } }
                                }
                            }
                        }
                    }
                    h2 { (n + 1) ". Reporting rates and low reporting" }
                    @let rows = c.rate_rows();
                    @if c.reporting.organisation_per_10000.is_none() {
                        p { "No activity covers this period, so there are no rates." }
                    } @else {
                        div class="scroll" role="region" tabindex="0" aria-label="Table: reporting rates" {
                            table {
                                thead { tr { th scope="col" { "Modality" } th scope="col" class="n" { "Incidents" } th scope="col" class="n" { "Examinations" } th scope="col" class="n" { "Per 10,000" } } }
                                tbody { @for r in &rows { tr { th scope="row" { (r[0]) } td class="n" { (r[1]) } td class="n" { (r[2]) } td class="n" { (r[3]) } } } }
                            }
                        }
                    }
                    @let flags = c.flags();
                    @if flags.is_empty() { p { "Nothing flagged for low reporting." } }
                    @else { ul { @for f in &flags { li { (f) } } } }
                    h2 { (n + 2) ". Signals found" }
                    @if c.signals.is_empty() {
                        p { "No special-cause signal, for all incidents or any modality: the counts vary as the process ordinarily does." }
                    } @else {
                        div class="scroll" role="region" tabindex="0" aria-label="Table: signals found" {
                            table {
                                thead { tr { th scope="col" { "Chart" } th scope="col" { "Month" } th scope="col" { "Rule" } } }
                                tbody { @for s in &c.signals { tr { td { (s.group) } td { (s.month) } td { (s.rule) } } } }
                            }
                        }
                    }
                    h2 { (n + 3) ". Themes confirmed" }
                    @if c.themes.is_empty() {
                        p { "No incident of the period is part of a confirmed theme (code M)." }
                    } @else {
                        div class="scroll" role="region" tabindex="0" aria-label="Table: themes confirmed" {
                            table {
                                thead { tr { th scope="col" { "Incident" } th scope="col" { "Confirmed" } th scope="col" { "Shared cause" } th scope="col" { "With" } th scope="col" { "Why" } } }
                                tbody {
                                    @for t in &c.themes {
                                        tr { td { (t.reference) } td { (long_date(t.decided_on)) } td { (t.cause) } td { (t.shared_with.join(", ")) } td { (t.reason) } }
                                    }
                                }
                            }
                        }
                    }
                    h2 { (n + 4) ". Learning from the incidents closed" }
                    @if c.learning.is_empty() {
                        p { "No incident of the period was closed with learning recorded." }
                    }
                    @for l in &c.learning {
                        h3 { (l.reference) " (" (l.modality) ", codes " (l.codes) @if let Some(d) = l.closed_on { ", closed " (d.words()) } ")" }
                        @for para in crate::paragraphs(&l.text) { p { (para) } }
                    }
                    @if c.learning_more { p { "Only the " (MOST_LEARNING) " most recently discovered are shown." } }
                    footer { p { (c.anonymised()) } }
                }
            }
        }
    };
    page.into_string()
}
