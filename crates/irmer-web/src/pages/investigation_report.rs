//! The investigation report in the browser: edit its sections (a first
//! draft from the register when none is saved), confirm similar
//! incidents, save versions (final only when complete), and preview or
//! download it through the identifier gate. Investigators and
//! administrators, within their scope.

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use irmer_store::Store;
use irmer_store::accounts::{AccountStore, Action};
use irmer_store::register::RegisterError;
use irmer_store::report::{Export, ReportDocument, ReportVersion, SECTIONS};
use maud::{Markup, html};

use super::{
    ForPage, PageError, PageResult, SignedForm, enc, incident_for, see_other, show, show_as,
};
use crate::app::{App, PageUser};
use crate::form::Answers;
use crate::html::{Section, csrf_field, error_summary, field_id};

/// How far back similar incidents are looked for (days), unless chosen,
/// and the furthest that can be chosen.
const SIMILAR_DAYS: u16 = 365;
const MOST_DAYS: u16 = 3650;

/// The look-back chosen in a query or form (`days`), within bounds.
fn days_of(value: Option<&str>) -> u16 {
    value
        .and_then(|v| v.trim().parse::<u16>().ok())
        .map_or(SIMILAR_DAYS, |d| d.clamp(1, MOST_DAYS))
}

/// The latest saved version, or a first draft from the register.
async fn current<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    reference: &str,
) -> Result<ReportVersion, PageError> {
    app.register
        .report_or_draft(reference, &p.user.username)
        .await
        .for_page(p)
}

pub(super) async fn report_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    Path(reference): Path<String>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    incident_for(&app, &p, &reference, Action::Investigate).await?;
    let version = current(&app, &p, &reference).await?;
    let query = Answers::parse(raw.unwrap_or_default().as_bytes());
    let notice = (query.get("saved") == Some("1")).then_some("Report saved as a new version.");
    let days = days_of(query.get("days"));
    let body = report_body(
        &app,
        &p,
        &reference,
        Shown {
            saved: &version,
            doc: &version.document,
            days,
        },
        notice,
        &[],
    )
    .await?;
    Ok(show(&p, "Investigation report", Section::Register, body))
}

/// The report form's state: the latest saved version, the document shown
/// (the saved one, or what was just sent back with an error) and the
/// look-back for similar incidents.
struct Shown<'a> {
    saved: &'a ReportVersion,
    doc: &'a ReportDocument,
    days: u16,
}

async fn report_body<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    reference: &str,
    shown: Shown<'_>,
    notice: Option<&str>,
    errors: &[(String, String)],
) -> Result<Markup, PageError> {
    let Shown { saved, doc, days } = shown;
    let scope = Some(p.user.scope());
    let candidates = app
        .register
        .similar_candidates(reference, days, scope)
        .await
        .for_page(p)?;
    let r = enc(reference);
    let missing = doc.missing();
    let error_for = |f: &str| errors.iter().find(|(n, _)| n == f).map(|(_, m)| m.clone());
    Ok(html! {
        (error_summary(errors))
        @if let Some(n) = notice { div class="notice success" role="status" { p { (n) } } }
        span class="caption" { "Incident " (reference) }
        h1 { "Investigation report" }
        p {
            @if saved.version == 0 { "Not saved yet: a first draft from the register. Edit every section, then save." }
            @else {
                "Version " (saved.version) ", " @if saved.is_final { "final" } @else { "draft" }
                ", saved by " (saved.actor) " on " (crate::dates::moment(saved.at)) "."
            }
        }
        @if !missing.is_empty() {
            div class="notice warning" {
                p { "Before it can be final, write these sections:" }
                ul { @for s in &missing { li { a href={ "#" (field_id(&format!("sections.{}", s.key))) } { (s.title) } } } }
            }
        }
        @if saved.version == 0 {
            p {
                a class="button secondary" href={ "/incidents/" (r) "/report.html" } { "Preview" }
            }
            p class="hint" { "Save a draft first: what is downloaded is a saved version, so that the history can say which one left." }
        } @else {
            p {
                a class="button" href={ "/incidents/" (r) "/report.pdf" } { "Download version " (saved.version) " (PDF)" }
                " "
                a class="button secondary" href={ "/incidents/" (r) "/report.html?download=1" } { "Download (HTML)" }
                " "
                a class="button secondary" href={ "/incidents/" (r) "/report.html" } { "Preview" }
            }
            p class="hint" { "The preview and the download are checked for names, numbers and dates of birth first; each download is recorded in the incident's history. Unsaved changes below are not in them: save first." }
        }
        form method="post" action={ "/incidents/" (r) "/report" } novalidate {
            (csrf_field(&p.csrf))
            input type="hidden" name="version" value=(saved.version);
            @for (n, s) in SECTIONS.iter().enumerate() {
                @let name = format!("sections.{}", s.key);
                @let id = field_id(&name);
                @let e = error_for(&name);
                div class={ "field" @if e.is_some() { " error" } } {
                    label for=(id) { (n + 1) ". " (s.title) }
                    span class="hint" id={ (id) "-hint" } { (s.asks) " Write no names: people are replaced by their role." }
                    @if let Some(e) = e { span class="error-message" { span class="visually-hidden" { "Error: " } (e) } }
                    textarea id=(id) name=(name) rows="6" aria-describedby={ (id) "-hint" } { (doc.text(s.key)) }
                }
                @if s.key == "previous_incidents" {
                    div class="field" {
                        label for=(field_id("days")) { "Look for similar incidents in the days before this one" }
                        span class="hint" id="days-hint" { "Same modality, category, codes or errors; 1 to " (MOST_DAYS) " days. What you have written is kept." }
                        input class="short" type="text" inputmode="numeric" id=(field_id("days")) name="days" value=(days) aria-describedby="days-hint";
                        " "
                        button class="secondary" type="submit" name="action" value="look" { "Look again" }
                    }
                    fieldset class="field" {
                        legend { "Similar incidents in the register (the " (days) " days before this one)" }
                        @if candidates.is_empty() && doc.similar.is_empty() {
                            p class="hint" { "None found with the same modality, category, codes or errors." }
                        }
                        div class="checks" {
                            @for c in &candidates {
                                @let id = format!("similar-{}", c.reference);
                                label for=(id) {
                                    input type="checkbox" id=(id) name="similar" value=(c.reference) checked[doc.similar.contains(&c.reference)];
                                    span { (c.reference) ", discovered " (c.discovered) ", " (c.modality.label()) ": " (c.shared.join("; ")) }
                                }
                            }
                            @for s in doc.similar.iter().filter(|s| !candidates.iter().any(|c| &c.reference == *s)) {
                                @let id = format!("similar-{s}");
                                label for=(id) { input type="checkbox" id=(id) name="similar" value=(s) checked; span { (s) } }
                            }
                        }
                    }
                }
            }
            button type="submit" name="action" value="draft" { "Save draft" }
            " "
            button class="secondary" type="submit" name="action" value="final" { "Save as final" }
        }
        p { a href={ "/incidents/" (r) } { "Back to the incident" } }
    })
}

pub(super) async fn save_report<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Path(reference): Path<String>,
    SignedForm(p, a): SignedForm,
) -> PageResult {
    incident_for(&app, &p, &reference, Action::Investigate).await?;
    let mut doc = ReportDocument::default();
    for s in SECTIONS {
        if let Some(text) = a.get(&format!("sections.{}", s.key)) {
            doc.sections.insert(s.key.to_owned(), text.to_owned());
        }
    }
    doc.similar = a.all("similar").into_iter().map(str::to_owned).collect();
    let expected = a
        .get("version")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    let days = days_of(a.get("days"));
    if a.get("action") == Some("look") {
        // Similar incidents looked for again: nothing saved, nothing lost.
        let saved = current(&app, &p, &reference).await?;
        let shown = Shown {
            saved: &saved,
            doc: &doc,
            days,
        };
        let body = report_body(&app, &p, &reference, shown, None, &[]).await?;
        return Ok(show(&p, "Investigation report", Section::Register, body));
    }
    let make_final = a.get("action") == Some("final");
    match app
        .register
        .save_report(
            &reference,
            expected,
            &doc,
            make_final,
            &p.user.username,
            p.user.scope(),
        )
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/incidents/{}/report?saved=1&days={days}",
            enc(&reference),
        ))),
        Err(RegisterError::Invalid(e)) => {
            let saved = current(&app, &p, &reference).await?;
            let message = match SECTIONS
                .iter()
                .find(|s| e.field == format!("sections.{}", s.key))
            {
                Some(s) => format!("{}: {}", s.title, e.message),
                None => e.to_string(),
            };
            let body = report_body(
                &app,
                &p,
                &reference,
                Shown {
                    saved: &saved,
                    doc: &doc,
                    days,
                },
                None,
                &[(e.field.clone(), message)],
            )
            .await?;
            Ok(show_as(
                &p,
                StatusCode::UNPROCESSABLE_ENTITY,
                "Investigation report",
                Section::Register,
                body,
            ))
        }
        Err(e) => Err(PageError::from(e).for_user(&p)),
    }
}

/// The report as HTML, through the gate: shown (or downloaded), and
/// recorded in the history; or, when it finds identifiers, a page that
/// lists them and offers the redacted version.
pub(super) async fn report_html<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    Path(reference): Path<String>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    report_out(app, p, reference, raw, false).await
}

/// The same as a PDF (always downloaded).
pub(super) async fn report_pdf<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    Path(reference): Path<String>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    report_out(app, p, reference, raw, true).await
}

async fn report_out<S: Store + AccountStore>(
    app: App<S>,
    p: PageUser,
    reference: String,
    raw: Option<String>,
    as_pdf: bool,
) -> PageResult {
    let rec = incident_for(&app, &p, &reference, Action::Investigate).await?;
    let query: Vec<(String, String)> = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let flag = |k: &str| query.iter().any(|(q, v)| q == k && v == "1");
    let (download, redact) = (flag("download") || as_pdf, flag("redact"));
    let version = current(&app, &p, &reference).await?;
    let similar: Vec<_> = app
        .register
        .similar_rows(&version.document, p.user.scope())
        .await
        .for_page(&p)?
        .iter()
        .map(irmer_report::SimilarRow::of)
        .collect();
    let scanner = app
        .register
        .scanner_for(&reference, &[])
        .await
        .for_page(&p)?;
    let (organisation, place) =
        irmer_store::accounts::report_origin(app.accounts.store(), rec.owner.department).await?;
    let origin = irmer_report::Origin {
        organisation,
        place,
    };
    let content = irmer_report::content(&rec, &version, &similar, &origin);
    let cleared = match irmer_report::gate(content, &scanner, redact) {
        Ok(c) => c,
        Err(found) => {
            let r = enc(&reference);
            let body = html! {
                span class="caption" { "Incident " (reference) }
                h1 { "The report identifies someone" }
                div class="notice warning" role="alert" {
                    p { "irmer found " (found.len()) " identifier" @if found.len() != 1 { "s" } " in the report, so it was not made:" }
                    ul { @for f in &found { li { (f.place) ", line " (f.line) ": " (f.kind.describe()) ", \u{201c}" (f.text) "\u{201d}" } } }
                }
                p { "Take them out of the report and save it again, or make it with each one replaced by a role or a kind (\u{201c}[patient]\u{201d}, \u{201c}[radiographer 1]\u{201d})." }
                p {
                    a class="button" href={ "/incidents/" (r) "/report" } { "Change the report" }
                    " "
                    a class="button secondary" href={ "/incidents/" (r) @if as_pdf { "/report.pdf?redact=1" } @else { "/report.html?redact=1" @if download { "&download=1" } } } { "Make it redacted" }
                }
            };
            return Ok(show_as(
                &p,
                StatusCode::UNPROCESSABLE_ENTITY,
                "The report identifies someone",
                Section::Register,
                body,
            ));
        }
    };
    let now = app.register.now();
    let redacted = cleared.redacted.len();
    let failed = |why: String| {
        PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Sorry, there is a problem with the service",
            why,
        )
        .for_user(&p)
    };
    let (bytes, format, content_type) = if as_pdf {
        // Typesetting takes some milliseconds of CPU: off the async threads.
        let bytes = tokio::task::spawn_blocking(move || irmer_pdf::pdf(&cleared, now))
            .await
            .map_err(|e| failed(e.to_string()))?
            .map_err(failed)?;
        (bytes, "pdf", "application/pdf")
    } else {
        let page = irmer_report::html(&cleared, now).into_bytes();
        (page, "html", "text/html; charset=utf-8")
    };
    app.register
        .record_export(
            &reference,
            &Export {
                report_version: version.version,
                format,
                redacted,
                bytes: &bytes,
            },
            &p.user.username,
        )
        .await
        .for_page(&p)?;
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if format == "html" {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(crate::html::DOCUMENT_CSP),
        );
    }
    if download {
        let name = format!(
            "attachment; filename=\"investigation-report-{}-v{}.{format}\"",
            safe_name(&reference),
            version.version
        );
        if let Ok(v) = HeaderValue::from_str(&name) {
            headers.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(response.into_response())
}

/// A reference as a file name: letters, digits and hyphens.
fn safe_name(reference: &str) -> String {
    reference
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
