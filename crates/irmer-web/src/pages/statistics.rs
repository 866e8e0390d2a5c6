//! The Statistics page (the year's counts, grouped, with a bar chart and
//! its table) and the Trends page (monthly XmR control charts, each with
//! its verdict in words, a description and the table of its numbers), of
//! the incidents the user may see. Both are GET forms: a period (a
//! financial year or dates) and the fields to group by.

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use axum::response::IntoResponse;
use irmer_core::incident::CivilDate;
use irmer_report::committee::{self, Period};
use irmer_stats::activity;
use irmer_stats::tally::{self, Field, Statistics, Trend};
use irmer_stats::taxonomy::Taxonomy;
use irmer_store::Store;
use irmer_store::accounts::{AccountStore, Places, Scope};
use irmer_store::activity::Reporting;
use maud::{Markup, html};

use super::error::{ForPage, PageResult};
use super::show;

use crate::app::{App, PageUser};
use crate::html::{Section, error_summary, field_id};
use crate::statistics::{self, Asked};
use irmer_report::charts::{self, Bar};

/// The most groups the Trends page charts (the largest first); the API
/// gives every one.
const MOST_CHARTS: usize = 12;

/// The query's parameters, empty ones left out (a GET form sends every
/// field, filled or not).
fn params(raw: Option<&str>) -> HashMap<String, String> {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .filter(|(k, v)| statistics::PARAMETERS.contains(&k.as_ref()) && !v.trim().is_empty())
        .fold(HashMap::new(), |mut m, (k, v)| {
            // Several "by" fields (one select each) join as the API's list.
            m.entry(k.into_owned())
                .and_modify(|old: &mut String| {
                    old.push(',');
                    old.push_str(&v);
                })
                .or_insert_with(|| v.into_owned());
            m
        })
}

fn sub_nav(current: &str) -> Markup {
    html! {
        nav class="sub-nav" aria-label="Statistics" {
            a href="/statistics" aria-current=[(current == "statistics").then_some("page")] { "The year's counts" }
            " · "
            a href="/trends" aria-current=[(current == "trends").then_some("page")] { "Trends" }
        }
    }
}

/// A refused period or field: the form's field and the message for
/// people.
struct FormError {
    field: String,
    message: String,
}

impl FormError {
    fn of(problem: &crate::Problem) -> FormError {
        let field = problem.field.clone().unwrap_or_else(|| "from".to_owned());
        let text = problem
            .detail
            .split_once(": ")
            .map_or(problem.detail.as_str(), |(_, rest)| rest);
        let label = match field.as_str() {
            "financial_year" => "Financial year",
            "to" => "To",
            "by" => "Group by",
            _ => "From",
        };
        FormError {
            message: format!("{label}: {text}"),
            field,
        }
    }

    /// The message beside a field, when it is the one in error.
    fn at(error: Option<&FormError>, field: &str) -> Option<Markup> {
        let e = error.filter(|e| e.field == field)?;
        Some(html! {
            span class="error-message" id=(format!("{}-error", field_id(field))) {
                span class="visually-hidden" { "Error: " } (e.message)
            }
        })
    }
}

/// The period and grouping form, with what was asked filled in.
fn period_form(
    action: &str,
    asked: &Asked,
    today: CivilDate,
    fields: &[Field],
    by_count: usize,
    error: Option<&FormError>,
) -> Markup {
    let (current, _) = tally::current_financial_year(today);
    let this_year = current.date().year();
    let chosen_year = (tally::financial_year(asked.from.date().year())
        == Some((asked.from, asked.to)))
    .then(|| asked.from.date().year());
    let described = |field: &str| {
        error
            .filter(|e| e.field == field)
            .map(|_| format!("{}-error", field_id(field)))
    };
    html! {
        form method="get" action=(action) class="filters" {
            div class="field" {
                label for=(field_id("financial_year")) { "Financial year" }
                @if let Some(m) = FormError::at(error, "financial_year") { (m) }
                select id=(field_id("financial_year")) name="financial_year" aria-describedby=[described("financial_year")] {
                    option value="" selected[chosen_year.is_none()] { "Dates below" }
                    @for y in (this_year - 9..=this_year).rev() {
                        option value=(y) selected[chosen_year == Some(y)] { (y) " to " (y + 1) }
                    }
                }
            }
            div class="field" {
                label for=(field_id("from")) { "From" }
                @if let Some(m) = FormError::at(error, "from") { (m) }
                input type="date" id=(field_id("from")) name="from" aria-describedby=[described("from")]
                    value=[chosen_year.is_none().then(|| asked.from.to_string())];
            }
            div class="field" {
                label for=(field_id("to")) { "To" }
                @if let Some(m) = FormError::at(error, "to") { (m) }
                input type="date" id=(field_id("to")) name="to" aria-describedby=[described("to")]
                    value=[chosen_year.is_none().then(|| asked.to.to_string())];
            }
            @for i in 0..by_count {
                @let id = if i == 0 { field_id("by") } else { format!("{}-{}", field_id("by"), i + 1) };
                div class="field" {
                    label for=(id) { @if i == 0 { "Group by" } @else { "Then by" } }
                    @if i == 0 { @if let Some(m) = FormError::at(error, "by") { (m) } }
                    select id=(id) name="by" aria-describedby=[if i == 0 { described("by") } else { None }] {
                        option value="" selected[asked.by.get(i).is_none()] { "Nothing" }
                        @for f in fields {
                            option value=(f.as_str()) selected[asked.by.get(i) == Some(f)] { (f.label()) }
                        }
                    }
                }
            }
            div class="field" { button type="submit" { "Show" } }
        }
    }
}

/// What the page shows for a request: the figures asked for, or the form
/// again (with the default period) and what is wrong.
fn asked_or_error(
    raw: Option<&str>,
    today: CivilDate,
    default: (CivilDate, CivilDate),
) -> (Asked, Option<FormError>) {
    match statistics::asked(&params(raw), today, default) {
        Ok(asked) => (asked, None),
        Err(problem) => (
            Asked {
                from: default.0,
                to: default.1,
                by: Vec::new(),
            },
            Some(FormError::of(&problem)),
        ),
    }
}

/// The page, or with an error its form again (400) and the summary.
fn answer(
    p: &PageUser,
    title: &str,
    error: Option<&FormError>,
    body: Markup,
) -> axum::response::Response {
    match error {
        None => show(p, title, Section::Statistics, body),
        Some(e) => super::show_as(
            p,
            axum::http::StatusCode::BAD_REQUEST,
            title,
            Section::Statistics,
            html! {
                (error_summary(&[(e.field.clone(), e.message.clone())]))
                (body)
            },
        ),
    }
}

fn period_words(from: CivilDate, to: CivilDate) -> String {
    format!("{} to {}", crate::dates::day(from), crate::dates::day(to))
}

pub(super) async fn statistics_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let today = app.register.today();
    let (asked, error) =
        asked_or_error(raw.as_deref(), today, tally::current_financial_year(today));
    let stats = statistics::count(&app, p.user.scope(), &asked)
        .await
        .for_page(&p)?;
    let reporting = app
        .register
        .reporting(stats.from, stats.to, Some(p.user.scope()))
        .await
        .for_page(&p)?;
    let taxonomy = app.register.taxonomy();
    let fields: Vec<Field> = Field::ALL.to_vec();
    let body = html! {
        h1 { "Statistics" }
        (sub_nav("statistics"))
        p class="lead" {
            "Incidents discovered from " (period_words(stats.from, stats.to)) " that you can see, near misses and those not notifiable counted apart from notifiable ones. An incident with several codes or causes counts once in each of its groups and once in the total."
        }
        (period_form("/statistics", &asked, today, &fields, 2, error.as_ref()))
        h2 { "Totals" }
        (totals(&stats))
        @if !stats.by.is_empty() {
            (grouped(&stats, taxonomy))
        }
        (rates(&reporting))
        h2 { "The committee's report" }
        p { "For the radiation protection committee: this period's totals, the counts by modality, duty holder and department, the monthly control chart, the signals, the themes confirmed and the learning from the incidents closed, every text checked for identifiers." }
        p {
            a class="button secondary" href={ "/statistics/committee.html?from=" (asked.from) "&to=" (asked.to) } { "Open the report" }
            " "
            a class="button secondary" href={ "/statistics/committee.pdf?from=" (asked.from) "&to=" (asked.to) } { "Download it as PDF" }
        }
        p { "The same figures as JSON: " code { "GET /api/v1/statistics" } "; on the command line: " code { "irmer stats" } "." }
    };
    Ok(answer(&p, "Statistics", error.as_ref(), body))
}

/// Incidents per 10,000 examinations where activity covers the period,
/// and what the low-reporting check flags.
fn rates(r: &Reporting) -> Markup {
    let rate = |t: Option<u64>| t.map_or_else(|| "\u{2014}".to_owned(), activity::tenths);
    let flagged = !r.well_below.is_empty()
        || !r.silent_modalities.is_empty()
        || !r.silent_departments.is_empty();
    html! {
        h2 { "Reporting rates" }
        @if r.rates.iter().all(|m| m.examinations.is_none()) {
            p { "No activity covers this period, so there are no rates. An administrator enters the examinations of each modality under Administration, Activity." }
        } @else {
            table class="stack" {
                caption class="visually-hidden" { "Incidents per 10,000 examinations, by modality" }
                thead { tr { th scope="col" { "Modality" } th scope="col" { "Incidents" } th scope="col" { "Examinations" } th scope="col" { "Per 10,000" } } }
                tbody {
                    @for m in &r.rates {
                        tr {
                            td data-label="Modality" { (m.modality.label()) }
                            td data-label="Incidents" { (m.incidents) }
                            td data-label="Examinations" { (m.examinations.map_or_else(|| "not entered for the whole period".to_owned(), |e| e.to_string())) }
                            td data-label="Per 10,000" { (rate(m.per_10000)) }
                        }
                    }
                }
            }
            p { "The organisation: " strong { (rate(r.organisation_per_10000)) } " incidents per 10,000 examinations, over the modalities whose activity covers the period." }
        }
        h2 { "Low reporting" }
        @if !flagged {
            p { "Nothing flagged: no modality's rate is under half the organisation's, and every department" @if !r.rates.is_empty() { " and modality with activity" } " has reported an incident in the last " (r.silent_months) " months." }
        } @else {
            div class="notice warning" {
                ul {
                    @for m in &r.well_below {
                        @let own = r.rates.iter().find(|x| x.modality == *m).and_then(|x| x.per_10000);
                        li { strong { (m.label()) } ": " (rate(own)) " incidents per 10,000 examinations, under half the organisation's " (rate(r.organisation_per_10000)) "." }
                    }
                    @for m in &r.silent_modalities {
                        li { strong { (m.label()) } ": no incident reported since " (r.silent_since.map(crate::dates::day).unwrap_or_default()) ", though it has activity." }
                    }
                    @for d in &r.silent_departments {
                        li { strong { (d) } ": no incident reported since " (r.silent_since.map(crate::dates::day).unwrap_or_default()) " (" (r.silent_months) " months)." }
                    }
                }
                p { "Few reports where there is much activity usually means incidents are not being reported, not that none happen: the CQC selects such services for inspection." }
            }
        }
    }
}

fn totals(stats: &Statistics) -> Markup {
    let t = &stats.total;
    html! {
        ul class="counts" {
            li { strong { (t.incidents) } "incidents" }
            li { strong { (t.notifiable) } "notifiable" }
            li { strong { (t.voluntary) } "voluntary notifications" }
            li { strong { (t.undetermined) } "undetermined" }
            li { strong { (t.not_notifiable) } "not notifiable" }
            li { strong { (t.out_of_scope) } "outside IR(ME)R" }
            li { strong { (t.near_misses) } "near misses" }
        }
    }
}

fn grouped(stats: &Statistics, taxonomy: &Taxonomy) -> Markup {
    let names: Vec<String> = stats
        .groups
        .iter()
        .map(|g| charts::group_name(&g.key, taxonomy))
        .collect();
    let heading = stats
        .by
        .iter()
        .map(|f| f.label())
        .collect::<Vec<_>>()
        .join(", then ");
    let bars: Vec<Bar<'_>> = stats
        .groups
        .iter()
        .zip(&names)
        .map(|(g, name)| Bar {
            label: name,
            value: g.counts.incidents,
            part: g.counts.notifiable,
        })
        .collect();
    let description = format!(
        "Bar chart of incidents by {}: {}. The darker part of each bar is the notifiable incidents. The table below gives every figure.",
        heading.to_lowercase(),
        stats
            .groups
            .iter()
            .zip(&names)
            .map(|(g, n)| format!(
                "{n} {} ({} notifiable)",
                g.counts.incidents, g.counts.notifiable
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );
    html! {
        h2 { "By " (heading.to_lowercase()) }
        @if stats.groups.is_empty() {
            p { "No incidents in this period." }
        } @else {
            figure {
                (charts::bars("by-group", &format!("Incidents by {}", heading.to_lowercase()), &description, &bars))
                figcaption { "Incidents in each group; the darker part is the notifiable ones. The same figures are in the table." }
            }
            div class="table-wrap" {
                table class="stack" {
                    caption { "Incidents by " (heading.to_lowercase()) }
                    thead { tr {
                        th scope="col" { (heading) }
                        th scope="col" { "Incidents" } th scope="col" { "Notifiable" } th scope="col" { "Voluntary" }
                        th scope="col" { "Undetermined" } th scope="col" { "Not notifiable" } th scope="col" { "Outside IR(ME)R" }
                        th scope="col" { "Near misses" }
                    } }
                    tbody {
                        @for (g, name) in stats.groups.iter().zip(&names) {
                            tr {
                                th scope="row" data-label=(heading) { (name) }
                                td data-label="Incidents" { (g.counts.incidents) }
                                td data-label="Notifiable" { (g.counts.notifiable) }
                                td data-label="Voluntary" { (g.counts.voluntary) }
                                td data-label="Undetermined" { (g.counts.undetermined) }
                                td data-label="Not notifiable" { (g.counts.not_notifiable) }
                                td data-label="Outside IR(ME)R" { (g.counts.out_of_scope) }
                                td data-label="Near misses" { (g.counts.near_misses) }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub(super) async fn trends_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let today = app.register.today();
    let (asked, mut error) = asked_or_error(raw.as_deref(), today, tally::last_24_months(today));
    let mut trends = match statistics::trends(&app, p.user.scope(), &asked).await {
        Ok(t) => t,
        Err(problem) if problem.status == axum::http::StatusCode::BAD_REQUEST => {
            error = Some(FormError::of(&problem));
            Vec::new()
        }
        Err(problem) => return Err(problem.into()),
    };
    // The largest groups first; a page shows the first few.
    trends.sort_by_key(|t| std::cmp::Reverse(t.chart.points.iter().sum::<u64>()));
    let more = trends.len().saturating_sub(MOST_CHARTS);
    trends.truncate(MOST_CHARTS);
    let taxonomy = app.register.taxonomy();
    let fields: Vec<Field> = Field::ALL
        .into_iter()
        .filter(|f| *f != Field::Month)
        .collect();
    let body = html! {
        h1 { "Trends" }
        (sub_nav("trends"))
        p class="lead" {
            "Incidents a month, discovered from " (period_words(asked.from, asked.to)) ", as statistical process control charts (XmR, as NHS England's \u{201c}Making data count\u{201d} draws them). The process limits are the mean \u{b1} 2.66 \u{d7} the mean moving range: a point outside them, 7 or more in a row on one side of the mean, 6 or more rising or falling, or 2 of 3 beyond two thirds of the way to a limit is a special cause worth looking into; anything else is the ordinary variation of the process."
        }
        (period_form("/trends", &asked, today, &fields, 1, error.as_ref()))
        @for (i, t) in trends.iter().enumerate() {
            (trend_section(i, t, taxonomy))
        }
        @if more > 0 {
            p { (more) " smaller groups are not charted here: " code { "GET /api/v1/trends" } " and " code { "irmer trends" } " give every one." }
        }
    };
    Ok(answer(&p, "Trends", error.as_ref(), body))
}

fn trend_section(i: usize, t: &Trend, taxonomy: &Taxonomy) -> Markup {
    let name = charts::group_name(&t.key, taxonomy);
    let c = &t.chart;
    let description = charts::trend_description(t, &name);
    let id = format!("trend-{i}");
    html! {
        section class="trend" aria-labelledby=(format!("{id}-heading")) {
            h2 id=(format!("{id}-heading")) { (name) }
            p class=(format!("verdict {}", verdict_class(c.verdict))) { strong { (c.verdict.words()) "." } }
            p { "Mean " (c.mean) " a month; process limits " (c.lower_limit) " to " (c.upper_limit) "." }
            figure {
                (charts::xmr(&id, &format!("{name}: incidents a month"), &t.months, c, &description))
                figcaption { "Line: incidents each month. Solid line: the mean. Dashed: the process limits. Larger orange or blue points: a special-cause signal above or below the mean (listed in the table)." }
            }
            details {
                summary { "The figures of this chart" }
                div class="table-wrap" {
                    table {
                        caption { (name) ": incidents a month" }
                        thead { tr { th scope="col" { "Month" } th scope="col" { "Incidents" } th scope="col" { "Signal" } } }
                        tbody {
                            @for (j, (m, n)) in t.months.iter().zip(&c.points).enumerate() {
                                tr {
                                    th scope="row" { (tally::month_name(m).unwrap_or_else(|| m.clone())) }
                                    td { (n) }
                                    td { (c.signals.iter().filter(|s| s.index == j).map(|s| charts::rule_words(s.rule, s.direction)).collect::<Vec<_>>().join("; ")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn verdict_class(v: irmer_stats::spc::Verdict) -> &'static str {
    use irmer_stats::spc::Verdict;
    match v {
        Verdict::Concern => "concern",
        Verdict::Improvement => "improvement",
        Verdict::CommonCause | Verdict::TooFewPoints => "common",
    }
}

/// Whose incidents a user's report covers, in words.
async fn covering<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
) -> Result<String, super::PageError> {
    Ok(match p.user.scope() {
        Scope::Organisation => "covering the whole organisation".to_owned(),
        Scope::Department { department, .. } => {
            let places = Places::load(app.accounts.store()).await.for_page(p)?;
            format!(
                "covering {} and the incidents you reported",
                places.department(Some(department))
            )
        }
        Scope::OwnReports { .. } => "covering the incidents you reported".to_owned(),
    })
}

/// The committee's report for the period asked (by default the current
/// financial year): `/statistics/committee.html` or `.pdf`, within the
/// user's scope, through the identifier gate.
async fn committee_out<S: Store + AccountStore>(
    app: App<S>,
    p: PageUser,
    raw: Option<String>,
    as_pdf: bool,
) -> PageResult {
    let today = app.register.today();
    let asked = match statistics::asked(
        &params(raw.as_deref()),
        today,
        tally::current_financial_year(today),
    ) {
        Ok(asked) => asked,
        Err(problem) => return Err(problem.into()),
    };
    let covering = covering(&app, &p).await?;
    let period = Period {
        from: asked.from,
        to: asked.to,
        scope: Some(p.user.scope()),
        covering: &covering,
    };
    let report = committee::committee(&app.register, &period)
        .await
        .for_page(&p)?;
    let now = app.register.now();
    let name = format!("committee-{}-to-{}", asked.from, asked.to);
    let (bytes, extension, content_type) = if as_pdf {
        let failed = |why: String| {
            super::PageError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, there is a problem with the service",
                why,
            )
            .for_user(&p)
        };
        // Typesetting takes CPU: off the async threads.
        let bytes = tokio::task::spawn_blocking(move || irmer_pdf::committee_pdf(&report, now))
            .await
            .map_err(|e| failed(e.to_string()))?
            .map_err(failed)?;
        (bytes, "pdf", "application/pdf")
    } else {
        let page = committee::html(&report, now).into_bytes();
        (page, "html", "text/html; charset=utf-8")
    };
    let disposition = if as_pdf { "attachment" } else { "inline" };
    // A document of its own: its inline style allowed, nothing else.
    let csp = if as_pdf {
        crate::html::PAGE_CSP
    } else {
        crate::html::DOCUMENT_CSP
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_owned()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"{name}.{extension}\""),
            ),
            (axum::http::header::CONTENT_SECURITY_POLICY, csp.to_owned()),
        ],
        bytes,
    )
        .into_response())
}

pub(super) async fn committee_html<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    RawQuery(raw): RawQuery,
) -> PageResult {
    committee_out(app, p, raw, false).await
}

pub(super) async fn committee_pdf<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    RawQuery(raw): RawQuery,
) -> PageResult {
    committee_out(app, p, raw, true).await
}
