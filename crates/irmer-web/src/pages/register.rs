//! The register: every incident in the user's scope, filtered and sorted
//! as the API's list is, a page at a time, and its CSV export through the
//! identifier gate.

use std::collections::HashMap;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use irmer_core::Outcome;
use irmer_core::incident::{CivilDate, Modality};
use irmer_core::lifecycle::IncidentStatus;
use irmer_store::accounts::AccountStore;
use irmer_store::export::CsvExport;
use irmer_store::register::summary_deadlines;
use irmer_store::{Filter, Sort, Store, Summary};
use maud::{Markup, html};

use super::{
    ForPage, PageError, PageResult, Places, SignedForm, capital, enc, see_other, show, show_as,
    status_words,
};
use crate::app::{App, PageUser};
use crate::html::{Section, clocks, csrf_field, error_summary, field_id, outcome_tag};

/// The register page's filters: the API list's, but for its page size and
/// total.
fn register_param(name: &str) -> bool {
    crate::LIST_PARAMS.contains(&name) && !matches!(name, "limit" | "total")
}

/// The register's filters from the query (empty values ignored).
fn register_query(raw: Option<&str>) -> HashMap<String, String> {
    let mut params: HashMap<String, String> = HashMap::new();
    for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let v = v.trim();
        if v.is_empty() || !register_param(&k) {
            continue;
        }
        params
            .entry(k.into_owned())
            .and_modify(|e| {
                e.push(',');
                e.push_str(v);
            })
            .or_insert_with(|| v.to_owned());
    }
    params
}

fn register_filter<S: Store>(
    app: &App<S>,
    p: &PageUser,
    params: &HashMap<String, String>,
) -> Result<(Filter, Sort), (String, String)> {
    let problem_to_error = |e: crate::Problem| {
        let field = e.field.clone().unwrap_or_else(|| "status".to_owned());
        (field, capital(&e.detail))
    };
    let mut filter = crate::filter_from(params, app.register.today()).map_err(problem_to_error)?;
    filter.scope = Some(p.user.scope());
    let sort = crate::sort_from(params).map_err(problem_to_error)?;
    Ok((filter, sort))
}

pub(super) async fn register_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    RawQuery(raw): RawQuery,
) -> PageResult {
    const PAGE: u32 = 50;
    let params = register_query(raw.as_deref());
    let today = app.register.today();
    // A page beyond any register is the last there could be, never a
    // number that wraps.
    let offset = params
        .get("offset")
        .and_then(|o| o.parse::<u64>().ok())
        .unwrap_or(0)
        .min(crate::MAX_OFFSET);
    let places = Places::load(app.accounts.store()).await.for_page(&p)?;
    let (errors, page_items) = match register_filter(&app, &p, &params) {
        Ok((filter, sort)) => {
            let page = app
                .register
                .summaries(&filter, sort, PAGE, offset)
                .await
                .for_page(&p)?;
            (Vec::new(), Some(page))
        }
        Err(e) => (vec![e], None),
    };
    let mut kept = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &params {
        if k != "offset" {
            kept.append_pair(k, v);
        }
    }
    let kept = kept.finish();
    let selected = |name: &str, value: &str| {
        params
            .get(name)
            .is_some_and(|v| v.split(',').any(|x| x == value))
    };
    let select = |name: &str, label: &str, options: Vec<(&'static str, &'static str)>| {
        html! {
            div class="field" {
                label for=(field_id(name)) { (label) }
                select id=(field_id(name)) name=(name) {
                    option value="" { "Any" }
                    @for (v, l) in options { option value=(v) selected[selected(name, v)] { (l) } }
                }
            }
        }
    };
    let body = html! {
        (error_summary(&errors))
        h1 { "Register" }
        form method="get" action="/incidents" class="filters" aria-label="Filter the register" {
            div class="field" {
                label for=(field_id("q")) { "Search" }
                span class="hint" id="q-hint" { "A reference or words from the description" }
                input type="search" id=(field_id("q")) name="q" value=(params.get("q").map_or("", String::as_str)) aria-describedby="q-hint" maxlength=(crate::SEARCH_MAX);
            }
            @if !places.sites.is_empty() {
                div class="field" {
                    label for=(field_id("site")) { "Site" }
                    select id=(field_id("site")) name="site" {
                        option value="" { "Any" }
                        @for site in &places.sites { option value=(site.id) selected[selected("site", &site.id.to_string())] { (site.name) } }
                    }
                }
                div class="field" {
                    label for=(field_id("department")) { "Department" }
                    select id=(field_id("department")) name="department" {
                        option value="" { "Any" }
                        @for d in &places.departments { option value=(d.id) selected[selected("department", &d.id.to_string())] { (places.department(Some(d.id))) } }
                    }
                }
            }
            (select("status", "Status", IncidentStatus::ALL.iter().map(|s| (s.as_str(), status_words(*s))).collect()))
            (select("modality", "Modality", Modality::ALL.iter().map(|m| (m.as_str(), m.label())).collect()))
            (select("outcome", "Outcome", Outcome::ALL.iter().map(|o| (o.as_str(), o.label())).collect()))
            div class="field" {
                label for=(field_id("code")) { "Code" }
                input class="short" type="text" id=(field_id("code")) name="code" value=(params.get("code").map_or("", String::as_str)) placeholder="2.2";
            }
            div class="field" {
                label for=(field_id("discovered_from")) { "Discovered from" }
                input class="short" type="date" id=(field_id("discovered_from")) name="discovered_from" value=(params.get("discovered_from").map_or("", String::as_str));
            }
            div class="field" {
                label for=(field_id("discovered_to")) { "to" }
                input class="short" type="date" id=(field_id("discovered_to")) name="discovered_to" value=(params.get("discovered_to").map_or("", String::as_str));
            }
            div class="field choices" {
                label for=(field_id("overdue")) { input type="checkbox" id=(field_id("overdue")) name="overdue" value="true" checked[selected("overdue", "true")]; span { "Overdue only" } }
            }
            (select("sort", "Sort by", vec![("discovered-newest", "Newest discovered"), ("discovered-oldest", "Oldest discovered"), ("next-due", "Next deadline"), ("reference", "Reference")]))
            div class="field" { button type="submit" { "Apply" } }
        }
        @if let Some(page) = &page_items {
            @if page.items.is_empty() {
                p { @if offset > 0 { "No incidents match on this page: go back to the first." } @else { "No incidents match these filters." } }
            } @else {
                p {
                    "Showing " (offset + 1) " to " (offset + page.items.len() as u64) @if page.more { " (more follow)" } ". "
                    a href={ "/incidents.csv?" (kept) } { "Download these as CSV" }
                }
                (summary_table(&page.items, today, "Incidents", &places))
            }
            nav aria-label="Pages" {
                @if offset > 0 { a href={ "/incidents?" (kept) "&offset=" (offset.saturating_sub(u64::from(PAGE))) } { "Previous page" } " " }
                @if page.more { a href={ "/incidents?" (kept) "&offset=" (offset + u64::from(PAGE)) } { "Next page" } }
            }
        }
    };
    Ok(show_as(
        &p,
        if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        },
        "Register",
        Section::Register,
        body,
    ))
}

pub(super) async fn register_csv<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let params = register_query(raw.as_deref());
    let (filter, sort) = register_filter(&app, &p, &params).map_err(|(_, m)| {
        PageError::new(StatusCode::BAD_REQUEST, "There is a problem", m).for_user(&p)
    })?;
    // One export for the web and the command line: every row through the
    // identifier gate with that incident's recorded identity.
    let out = match app.register.csv_export(&filter, sort).await.for_page(&p)? {
        CsvExport::Cleared { csv, .. } => csv,
        CsvExport::Blocked(found) => {
            let body = html! {
                h1 { "The export identifies someone" }
                div class="notice warning" role="alert" {
                    p { "irmer found what may identify a person in the register's export, so it was not made:" }
                    ul { @for f in &found { li { "Row " (f.row) " (" (f.reference) "): " (f.kind) ", \u{201c}" (f.text) "\u{201d}" } } }
                    p { "Remove them from those incidents, or narrow the filters to leave them out." }
                }
            };
            return Ok(show_as(
                &p,
                StatusCode::UNPROCESSABLE_ENTITY,
                "The export identifies someone",
                Section::Register,
                body,
            ));
        }
    };
    let mut r = out.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"irmer-register.csv\""),
    );
    Ok(r)
}

/// Incidents as a table: reference, dates, status, outcome, deadlines. On
/// a phone each row stacks, its cells labelled.
pub(super) fn summary_table(
    items: &[Summary],
    today: CivilDate,
    caption: &str,
    places: &Places,
) -> Markup {
    html! {
        div class="table-wrap" {
            table class="stack" {
                caption class="visually-hidden" { (caption) }
                thead { tr {
                    th scope="col" { "Reference" } th scope="col" { "Deadlines" } th scope="col" { "Department" } th scope="col" { "Discovered" }
                    th scope="col" { "Modality" } th scope="col" { "Status" } th scope="col" { "Outcome and codes" }
                } }
                tbody {
                    @for s in items {
                        tr {
                            td data-label="Reference" { a href={ "/incidents/" (enc(&s.reference)) } { (s.reference) } }
                            td data-label="Deadlines" { (clocks(summary_deadlines(&s.index, today).as_ref())) }
                            td data-label="Department" { (places.department(s.owner.department)) }
                            td data-label="Discovered" { (crate::dates::day(s.index.discovered)) }
                            td data-label="Modality" { (s.index.modality.label()) }
                            td data-label="Status" { (status_words(s.status)) }
                            td data-label="Outcome and codes" { (outcome_tag(s.index.outcome)) @if !s.index.codes.is_empty() { " " (s.index.codes.replace(' ', ", ")) } }
                        }
                    }
                }
            }
        }
    }
}

/// The statutory clocks still running in the user's scope: overdue, due
/// within a week, later; and the calendar feed.
pub(super) async fn deadlines_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let notice = calendar_notice(&app, &p, raw.as_deref());
    deadlines_body(&app, &p, notice).await
}

/// A new secret address for the user's calendar, shown once on the
/// Deadlines page.
pub(super) async fn make_calendar_link<S: Store + AccountStore>(
    State(app): State<App<S>>,
    headers: HeaderMap,
    SignedForm(p, _): SignedForm,
) -> PageResult {
    let token = app
        .accounts
        .create_calendar_token(&p.user, app.register.now())
        .await
        .for_page(&p)?;
    // The address as this browser reached the server (the scheme from the
    // cookie setting: Secure cookies mean HTTPS).
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = if app.secure_cookies { "https" } else { "http" };
    let url = format!("{scheme}://{host}/calendar/{token}.ics");
    let key = app
        .shown_once
        .keep(p.user.id, CALENDAR, url, app.register.now())
        .for_page(&p)?;
    Ok(see_other(&format!("/deadlines?calendar={key}")))
}

/// What [`crate::shown_once`] keeps a calendar address as.
const CALENDAR: &str = "calendar address";

/// The calendar address just made, once (`?calendar=KEY`).
fn calendar_notice<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    raw: Option<&str>,
) -> Option<Markup> {
    let key = raw?.strip_prefix("calendar=")?;
    let notice = match app
        .shown_once
        .take(key, p.user.id, CALENDAR, app.register.now())
    {
        Some(url) => html! {
            div class="notice success" role="status" {
                p { "Your calendar's address is below. Copy it now: it will not be shown again. Add it to your calendar as a subscription (\u{201c}From URL\u{201d} or \u{201c}Subscribe\u{201d})." }
                pre class="copy-block" id="calendar-url" { (url) }
                p { "Anyone with this address sees the references and deadlines it lists (nothing about anyone). Revoke it with your " a href="/account/tokens" { "API tokens" } " when it is no longer needed." }
            }
        },
        None => html! {
            div class="notice" role="status" { p { "That calendar address has been shown already and is not shown again. If it was lost, revoke it with your " a href="/account/tokens" { "API tokens" } " and make another." } }
        },
    };
    Some(notice)
}

async fn deadlines_body<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    notice: Option<Markup>,
) -> PageResult {
    let today = app.register.today();
    let week = today.plus_days(7);
    let items = app
        .register
        .deadlines(None, Some(p.user.scope()))
        .await
        .for_page(p)?;
    let places = Places::load(app.accounts.store()).await.for_page(p)?;
    let (mut overdue, mut soon, mut later) = (Vec::new(), Vec::new(), Vec::new());
    for s in items {
        match s.index.next_due {
            Some(due) if due < today => overdue.push(s),
            Some(due) if due <= week => soon.push(s),
            _ => later.push(s),
        }
    }
    let part = |title: &str, items: &[Summary], none: &str| {
        html! {
            h2 { (title) " (" (items.len()) ")" }
            @if items.is_empty() { p { (none) } } @else { (summary_table(items, today, title, &places)) }
        }
    };
    let body = html! {
        @if let Some(n) = notice { (n) }
        h1 { "Deadlines" }
        p class="lead" { "The statutory clocks still running on the incidents you can see: notify the enforcing authority within 2 weeks of discovery, and send the investigation report within 12 weeks. Today is " (crate::dates::day(today)) "." }
        (part("Overdue", &overdue, "Nothing is overdue."))
        (part("Due in the next 7 days", &soon, "Nothing is due this week."))
        (part("Later", &later, "Nothing further is due."))
        h2 { "In your calendar" }
        p { "The same deadlines as a calendar to subscribe to (references and codes only, nothing about anyone), at a secret address of your own." }
        form method="post" action="/deadlines/calendar" {
            (csrf_field(&p.csrf))
            button class="secondary" type="submit" { "Make a calendar address" }
        }
    };
    Ok(show(p, "Deadlines", Section::Deadlines, body))
}
