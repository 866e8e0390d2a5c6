//! The settings (the organisation's name, the child age cut-off, the
//! nation for new reports, the themes' window, low reporting, the days to
//! each task's due date) and the patterns of local hospital numbers.

use axum::extract::{RawQuery, State};
use irmer_core::Settings;
use irmer_core::assessment::EnforcingAuthority;
use irmer_core::tasks::{TaskDays, TaskKind};
use irmer_store::Store;
use irmer_store::accounts::{AccountStore, ORGANISATION_SETTING};
use irmer_store::activity::{SILENT_RANGE, SILENT_SETTING};
use irmer_store::tasks::TASK_DAYS_SETTING;
use irmer_store::theme::{WINDOW_RANGE, WINDOW_SETTING};
use maud::html;

use super::super::reporting::default_nation;
use super::super::status_of;
use super::super::{AdminForm, Administrator, PageResult, see_other};
use super::{admin_show, notice};
use crate::app::{App, PageUser};
use crate::form::{self, Answers};
use crate::html::{csrf_field, field_id};
use crate::send;

const SAVED: &[(&str, &str)] = &[("saved", "Saved.")];

/// The longest organisation name.
const ORGANISATION_MAX: usize = 200;

pub(in super::super) async fn settings_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Administrator(p): Administrator,
    RawQuery(raw): RawQuery,
) -> PageResult {
    settings_again(
        &app,
        &p,
        notice(raw.as_deref(), SAVED),
        &Answers::default(),
        &[],
    )
    .await
}

async fn settings_again<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    done: Option<&str>,
    typed: &Answers,
    errors: &[(String, String)],
) -> PageResult {
    let nation = default_nation(app).await?;
    let nation = typed.get("default_nation").unwrap_or(&nation).to_owned();
    let age = typed.get("child_age_under").map_or_else(
        || app.register.settings().child_age_under.to_string(),
        str::to_owned,
    );
    let window = match typed.get("theme_window_months") {
        Some(t) => t.to_owned(),
        None => app.register.theme_window().await?.to_string(),
    };
    let silent = match typed.get("low_reporting_months") {
        Some(t) => t.to_owned(),
        None => app.register.silent_months().await?.to_string(),
    };
    let current_days = app.register.task_days();
    let days: Vec<(TaskKind, String, String)> = TaskKind::ALL
        .into_iter()
        .map(|k| {
            let name = days_field(k);
            let value = typed
                .get(&name)
                .map_or_else(|| current_days.of(k).to_string(), str::to_owned);
            (k, name, value)
        })
        .collect();
    let organisation = match typed.get("organisation_name") {
        Some(t) => t.to_owned(),
        None => app
            .accounts
            .store()
            .setting(ORGANISATION_SETTING)
            .await?
            .unwrap_or_default(),
    };
    let body = html! {
        h1 { "Settings" }
        form method="post" action="/admin/settings" novalidate {
            (csrf_field(&p.csrf))
            div class="field" {
                label for=(field_id("organisation_name")) { "Name of your organisation" }
                span class="hint" id="organisation-hint" { "As the enforcing authority knows it; shown on every investigation report. For example, Northshire Hospitals NHS Trust." }
                input type="text" id=(field_id("organisation_name")) name="organisation_name" value=(organisation) aria-describedby="organisation-hint";
            }
            div class="field" {
                label for=(field_id("child_age_under")) { "Child age cut-off (years)" }
                span class="hint" id="child-age-hint" { "A patient younger than this is a child for the child thresholds (England, accidental exposures). Default 18. Changes apply to assessments made from now on." }
                input class="short" type="text" inputmode="numeric" id=(field_id("child_age_under")) name="child_age_under" value=(age) aria-describedby="child-age-hint";
            }
            div class="field" {
                label for=(field_id("default_nation")) { "Nation for new reports" }
                select id=(field_id("default_nation")) name="default_nation" {
                    @for (v, l) in form::NATIONS { option value=(v) selected[nation == *v] { (l) } }
                }
            }
            div class="field" {
                label for=(field_id("theme_window_months")) { "Window for possible themes (months)" }
                span class="hint" id="theme-window-hint" { "Incidents that share a coded cause and were discovered within this many months of each other are suggested as a possible theme (code M). From 1 to 60; default 12." }
                input class="short" type="text" inputmode="numeric" id=(field_id("theme_window_months")) name="theme_window_months" value=(window) aria-describedby="theme-window-hint";
            }
            div class="field" {
                label for=(field_id("low_reporting_months")) { "Months without an incident that flag low reporting" }
                span class="hint" id="low-reporting-hint" { "A department, or a modality with activity entered, that has reported nothing for this many months is flagged on the Statistics page. From 1 to 24; default 3." }
                input class="short" type="text" inputmode="numeric" id=(field_id("low_reporting_months")) name="low_reporting_months" value=(silent) aria-describedby="low-reporting-hint";
            }
            fieldset {
                legend { "Days from discovery to each task's due date" }
                p class="hint" id="task-days-hint" { "What a decision obliges becomes a task on the incident, due this many calendar days after the discovery. From 1 to " (TaskDays::MAX) "; default 14. Tasks already made keep their dates (change one on its incident)." }
                @for (k, name, value) in &days {
                    div class="field" {
                        label for=(field_id(name)) { (k.label()) }
                        input class="short" type="text" inputmode="numeric" id=(field_id(name)) name=(name) value=(value) aria-describedby="task-days-hint";
                    }
                }
            }
            button type="submit" { "Save settings" }
        }
    };
    Ok(admin_show(
        p,
        status_of(errors),
        "/admin/settings",
        (done, errors),
        body,
    ))
}

pub(in super::super) async fn change_settings<S: Store + AccountStore>(
    State(app): State<App<S>>,
    AdminForm(p, a): AdminForm,
) -> PageResult {
    let range = Settings::CHILD_AGE_RANGE;
    let age = a
        .get("child_age_under")
        .and_then(|v| v.parse::<u8>().ok())
        .filter(|v| range.contains(v));
    let mut errors = Vec::new();
    if age.is_none() {
        errors.push((
            "child_age_under".to_owned(),
            format!(
                "Child age cut-off: enter a whole number of years from {} to {}",
                range.start(),
                range.end()
            ),
        ));
    }
    let nation = a
        .get("default_nation")
        .filter(|n| form::NATIONS.iter().any(|(v, _)| v == n));
    if nation.is_none() {
        errors.push(("default_nation".to_owned(), "Choose a nation".to_owned()));
    }
    let window = months(
        &a,
        ("theme_window_months", "Window for possible themes"),
        app.register.theme_window().await?,
        &WINDOW_RANGE,
        &mut errors,
    );
    let silent = months(
        &a,
        ("low_reporting_months", "Months without an incident"),
        app.register.silent_months().await?,
        &SILENT_RANGE,
        &mut errors,
    );
    let mut days = app.register.task_days();
    for k in TaskKind::ALL {
        let name = days_field(k);
        if let Some(v) = a.get(&name) {
            let set = v
                .trim()
                .parse::<u16>()
                .map_err(|_| ())
                .and_then(|n| days.set(k, n).map_err(|_| ()));
            if set.is_err() {
                errors.push((
                    name,
                    format!(
                        "{}: enter a whole number of days from 1 to {}",
                        k.label(),
                        TaskDays::MAX
                    ),
                ));
            }
        }
    }
    let organisation = a.get("organisation_name").unwrap_or_default();
    if organisation.chars().count() > ORGANISATION_MAX {
        errors.push((
            "organisation_name".to_owned(),
            format!("Name of your organisation: use at most {ORGANISATION_MAX} characters"),
        ));
    }
    let (Some(age), Some(nation), Some(window), Some(silent), true) =
        (age, nation, window, silent, errors.is_empty())
    else {
        return settings_again(&app, &p, None, &a, &errors).await;
    };
    let store = app.accounts.store();
    store
        .set_setting("child_age_under", &age.to_string())
        .await?;
    store.set_setting("default_nation", nation).await?;
    store
        .set_setting(WINDOW_SETTING, &window.to_string())
        .await?;
    store
        .set_setting(SILENT_SETTING, &silent.to_string())
        .await?;
    store
        .set_setting(ORGANISATION_SETTING, organisation)
        .await?;
    let setting = days.to_setting();
    store.set_setting(TASK_DAYS_SETTING, &setting).await?;
    app.register.set_task_days(days);
    app.register.set_settings(Settings {
        child_age_under: age,
    });
    app.accounts
        .audit(
            app.register.now(),
            &p.user.username,
            "change-settings",
            &format!(
                "child_age_under={age}, default_nation={nation}, theme_window_months={window}, low_reporting_months={silent}, task_days={setting}, organisation_name={organisation}"
            ),
        )
        .await?;
    Ok(see_other("/admin/settings?done=saved"))
}

/// The form's field for a kind's days.
fn days_field(kind: TaskKind) -> String {
    format!("task_days_{}", kind.id())
}

/// A whole number of months in `range` from the form (left out: `current`,
/// kept as it is); otherwise the error, naming the field.
fn months(
    a: &Answers,
    (name, label): (&str, &str),
    current: u32,
    range: &std::ops::RangeInclusive<u32>,
    errors: &mut Vec<(String, String)>,
) -> Option<u32> {
    let value = match a.get(name) {
        None => Some(current),
        Some(v) => v.trim().parse::<u32>().ok().filter(|v| range.contains(v)),
    };
    if value.is_none() {
        errors.push((
            name.to_owned(),
            format!(
                "{label}: enter a whole number of months from {} to {}",
                range.start(),
                range.end()
            ),
        ));
    }
    value
}

pub(in super::super) async fn masks_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Administrator(p): Administrator,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let masks = app.register.hospital_number_masks().await?.join("\n");
    masks_again(&p, notice(raw.as_deref(), SAVED), &masks, &[])
}

fn masks_again(
    p: &PageUser,
    done: Option<&str>,
    masks: &str,
    errors: &[(String, String)],
) -> PageResult {
    let body = html! {
        h1 { "Hospital numbers" }
        form method="post" action="/admin/hospital-numbers" novalidate {
            (csrf_field(&p.csrf))
            div class="field" {
                label for=(field_id("masks")) { "Patterns of your local hospital numbers" }
                span class="hint" id="masks-hint" { "One a line: # for a digit, @ for a letter, anything else as itself; for example RXH#######. irmer looks for them in every report before it leaves." }
                textarea id=(field_id("masks")) name="masks" rows="5" aria-describedby="masks-hint" { (masks) }
            }
            button type="submit" { "Save patterns" }
        }
    };
    Ok(admin_show(
        p,
        status_of(errors),
        "/admin/hospital-numbers",
        (done, errors),
        body,
    ))
}

pub(in super::super) async fn change_masks<S: Store + AccountStore>(
    State(app): State<App<S>>,
    AdminForm(p, a): AdminForm,
) -> PageResult {
    let masks = irmer_store::identity::masks_of(a.get("masks"));
    let rules = irmer_scan::Rules {
        hospital_numbers: masks.clone(),
        ..irmer_scan::Rules::default()
    };
    if let Err(e) = irmer_scan::Scanner::new(&rules) {
        let line = e
            .field
            .trim_start_matches("hospital_numbers[")
            .trim_end_matches(']')
            .parse::<usize>()
            .map_or(0, |i| i + 1);
        let error = [("masks".to_owned(), format!("Line {line}: {}", e.message))];
        return masks_again(&p, None, a.get("masks").unwrap_or_default(), &error);
    }
    app.accounts
        .store()
        .set_setting(irmer_store::identity::MASKS_SETTING, &masks.join("\n"))
        .await?;
    app.accounts
        .audit(
            app.register.now(),
            &p.user.username,
            "change-hospital-number-masks",
            &masks.join(", "),
        )
        .await?;
    Ok(see_other("/admin/hospital-numbers?done=saved"))
}

pub(in super::super) async fn activity_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Administrator(p): Administrator,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let (text, _) = app.register.activity().await?;
    activity_again(&p, notice(raw.as_deref(), SAVED), &text, &[])
}

fn activity_again(
    p: &PageUser,
    done: Option<&str>,
    text: &str,
    errors: &[(String, String)],
) -> PageResult {
    let body = html! {
        h1 { "Activity" }
        p { "The examinations or treatments of each modality, a month or a financial year at a time, as the Diagnostic Imaging Dataset counts them. With them the statistics give incidents per 10,000 examinations and flag a modality whose rate is under half the organisation's own. A rate is given only for a period the activity covers whole." }
        form method="post" action="/admin/activity" novalidate {
            (csrf_field(&p.csrf))
            div class="field" {
                label for=(field_id("activity")) { "Activity, one a line" }
                span class="hint" id="activity-hint" { "The modality, a month (2025-04) or a financial year (2025, for April 2025 to March 2026) and the number: for example ct 2025-04 1520. Lines starting with # are notes." }
                textarea id=(field_id("activity")) name="activity" rows="12" aria-describedby="activity-hint" { (text) }
            }
            button type="submit" { "Save activity" }
        }
    };
    Ok(admin_show(
        p,
        status_of(errors),
        "/admin/activity",
        (done, errors),
        body,
    ))
}

pub(in super::super) async fn change_activity<S: Store + AccountStore>(
    State(app): State<App<S>>,
    AdminForm(p, a): AdminForm,
) -> PageResult {
    let text = a.get("activity").unwrap_or_default();
    // A note (a line starting with #) is free text: nothing that
    // identifies a person (the figures themselves are only numbers).
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with('#')
            && let Err(irmer_store::register::RegisterError::Invalid(e)) =
                irmer_store::register::check_free_text("activity", line)
        {
            let error = [(
                "activity".to_owned(),
                format!("Line {}: {}", n + 1, e.message),
            )];
            return activity_again(&p, None, text, &error);
        }
    }
    match irmer_stats::activity::Activity::parse(text) {
        Err(errors) => {
            let shown: Vec<(String, String)> = errors
                .iter()
                .take(10)
                .map(|e| {
                    (
                        "activity".to_owned(),
                        format!("Line {}: {}", e.line, e.message),
                    )
                })
                .collect();
            activity_again(&p, None, text, &shown)
        }
        Ok(activity) => {
            app.accounts
                .store()
                .set_setting(irmer_stats::activity::SETTING, text)
                .await?;
            app.accounts
                .audit(
                    app.register.now(),
                    &p.user.username,
                    "change-activity",
                    &format!("{} entries", activity.entries.len()),
                )
                .await?;
            Ok(see_other("/admin/activity?done=saved"))
        }
    }
}

const AUTHORITIES: [EnforcingAuthority; 4] = EnforcingAuthority::ALL;

pub(in super::super) async fn authority_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Administrator(p): Administrator,
    RawQuery(raw): RawQuery,
) -> PageResult {
    authority_again(
        &app,
        &p,
        notice(raw.as_deref(), SAVED),
        &Answers::default(),
        &[],
    )
    .await
}

/// The connections to the authorities' irmer: each one's address and the
/// organisation's token (never shown again once saved: a blank field
/// keeps it), and the contact the authority answers.
async fn authority_again<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    done: Option<&str>,
    typed: &Answers,
    errors: &[(String, String)],
) -> PageResult {
    let store = app.accounts.store();
    let current =
        |key: String| async move { store.setting(&key).await.map(Option::unwrap_or_default) };
    let value = |name: &str, stored: String| typed.get(name).map_or(stored, str::to_owned);
    let email = value(
        "contact_email",
        current(send::CONTACT_EMAIL_SETTING.to_owned()).await?,
    );
    let name = value(
        "contact_name",
        current(send::CONTACT_NAME_SETTING.to_owned()).await?,
    );
    let code = value(
        "organisation_code",
        current(send::ORGANISATION_CODE_SETTING.to_owned()).await?,
    );
    let mut rows = Vec::new();
    for a in AUTHORITIES {
        let url = value(
            &format!("url_{}", a.id()),
            current(send::url_setting(a)).await?,
        );
        let has_token = !current(send::token_setting(a)).await?.is_empty();
        rows.push((a, url, has_token));
    }
    let body = html! {
        h1 { "Enforcing authorities" }
        p { "Where irmer sends a notifiable incident when an investigator chooses \u{201c}Send\u{201d} on its page: the authority's irmer and the token it issued to your organisation. Leave an authority's address empty if it does not run irmer; notify it by its own form." }
        form method="post" action="/admin/authority" novalidate {
            (csrf_field(&p.csrf))
            div class="field" {
                label for=(field_id("contact_email")) { "E-mail address the authority answers to" }
                span class="hint" id="contact-email-hint" { "A shared mailbox is best, for example the radiation protection adviser's." }
                input type="email" id=(field_id("contact_email")) name="contact_email" value=(email) aria-describedby="contact-email-hint" autocomplete="email";
            }
            div class="field" {
                label for=(field_id("contact_name")) { "Contact (a role or a name)" }
                input type="text" id=(field_id("contact_name")) name="contact_name" value=(name);
            }
            div class="field" {
                label for=(field_id("organisation_code")) { "Your organisation's code (ODS)" }
                input class="short" type="text" id=(field_id("organisation_code")) name="organisation_code" value=(code);
            }
            @for (a, url, has_token) in &rows {
                fieldset class="group" {
                    legend { (a.name()) }
                    div class="field" {
                        label for=(field_id(&format!("url_{}", a.id()))) { "Address of its irmer" }
                        input type="url" id=(field_id(&format!("url_{}", a.id()))) name=(format!("url_{}", a.id())) value=(url);
                    }
                    div class="field" {
                        label for=(field_id(&format!("token_{}", a.id()))) { "Your organisation's token" }
                        span class="hint" id=(format!("token-{}-hint", a.id())) { @if *has_token { "A token is saved; it is not shown. Leave this empty to keep it." } @else { "The token the authority gave you (irmer_org_…)." } }
                        input type="password" autocomplete="off" id=(field_id(&format!("token_{}", a.id()))) name=(format!("token_{}", a.id())) aria-describedby=(format!("token-{}-hint", a.id()));
                    }
                }
            }
            button type="submit" { "Save" }
        }
    };
    Ok(admin_show(
        p,
        status_of(errors),
        "/admin/authority",
        (done, errors),
        body,
    ))
}

pub(in super::super) async fn change_authority<S: Store + AccountStore>(
    State(app): State<App<S>>,
    AdminForm(p, a): AdminForm,
) -> PageResult {
    let mut errors = Vec::new();
    let email = a.get("contact_email").unwrap_or_default().trim();
    if !email.is_empty() && !irmer_mail::is_email(email) {
        errors.push((
            "contact_email".to_owned(),
            format!("E-mail address: {email:?} is not an e-mail address"),
        ));
    }
    let code = a.get("organisation_code").unwrap_or_default().trim();
    if !code.chars().all(|c| c.is_ascii_alphanumeric()) || code.len() > 20 {
        errors.push((
            "organisation_code".to_owned(),
            "Code: letters and digits, such as RXX".to_owned(),
        ));
    }
    for auth in AUTHORITIES {
        let url = a
            .get(&format!("url_{}", auth.id()))
            .unwrap_or_default()
            .trim();
        let web = url.starts_with("https://") || url.starts_with("http://");
        if !(url.is_empty() || web) || url.len() > 500 {
            errors.push((
                format!("url_{}", auth.id()),
                format!("{}: an address starting with https://", auth.name()),
            ));
        }
    }
    if !errors.is_empty() {
        return authority_again(&app, &p, None, &a, &errors).await;
    }
    let store = app.accounts.store();
    store
        .set_setting(send::CONTACT_EMAIL_SETTING, email)
        .await?;
    store
        .set_setting(
            send::CONTACT_NAME_SETTING,
            a.get("contact_name").unwrap_or_default().trim(),
        )
        .await?;
    store
        .set_setting(send::ORGANISATION_CODE_SETTING, code)
        .await?;
    let mut changed = Vec::new();
    for auth in AUTHORITIES {
        let url = a
            .get(&format!("url_{}", auth.id()))
            .unwrap_or_default()
            .trim();
        store
            .set_setting(&send::url_setting(auth), url.trim_end_matches('/'))
            .await?;
        let token = a
            .get(&format!("token_{}", auth.id()))
            .unwrap_or_default()
            .trim();
        if !token.is_empty() {
            store.set_setting(&send::token_setting(auth), token).await?;
            changed.push(format!("{} token replaced", auth.id()));
        }
        changed.push(format!("{}={url}", auth.id()));
    }
    app.accounts
        .audit(
            app.register.now(),
            &p.user.username,
            "change-authority-connections",
            &format!(
                "contact_email={email}, organisation_code={code}, {}",
                changed.join(", ")
            ),
        )
        .await?;
    Ok(see_other("/admin/authority?done=saved"))
}

/// `GET /admin/licences`: the ARSAC licence register, as CSV to paste or
/// edit, and the licences due for renewal.
pub(in super::super) async fn licences_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Administrator(p): Administrator,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let (text, _) = app.register.licences().await?;
    licences_again(&app, &p, notice(raw.as_deref(), SAVED), &text, &[])
}

fn licences_again<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    done: Option<&str>,
    text: &str,
    errors: &[(String, String)],
) -> PageResult {
    let licences = irmer_core::licences::read_csv(text).unwrap_or_default();
    let today = app.register.today();
    let due = irmer_store::licences::due_for_renewal(&licences, today);
    let body = html! {
        h1 { "ARSAC licences" }
        p { "The licences held for administering radioactive substances (IR(ME)R regulation 5): each employer's for its installation (site), each practitioner's. A nuclear medicine incident whose substance was not covered on its day is flagged as a possible licensing breach. A licence due to expire within 14 weeks is listed here and on the dashboard (a renewal takes 6 to 8 weeks)." }
        @if !due.is_empty() {
            div class="notice warning" {
                h2 { "Due for renewal" }
                ul {
                    @for l in &due {
                        li { (l.number) " (" (l.holder.as_str()) ", " (l.site) "): " @if l.expiry < today { "expired on " } @else { "expires on " } (crate::dates::day(l.expiry)) }
                    }
                }
            }
        }
        form method="post" action="/admin/licences" novalidate {
            (csrf_field(&p.csrf))
            div class="field" {
                label for=(field_id("licences")) { "The register, as CSV" }
                span class="hint" id="licences-hint" { "A header line holder,name,site,number,procedures,start,expiry, then a licence a line: holder is employer or practitioner; procedures the procedures or substances covered, separated by ;; dates YYYY-MM-DD. For example: practitioner,Dr A Consultant,Royal Infirmary,P-5678,Tc-99m MDP; F-18 FDG,2022-06-01,2027-05-31" }
                textarea id=(field_id("licences")) name="licences" rows="12" aria-describedby="licences-hint" spellcheck="false" { (text) }
            }
            button type="submit" { "Save the register" }
        }
    };
    Ok(admin_show(
        p,
        status_of(errors),
        "/admin/licences",
        (done, errors),
        body,
    ))
}

pub(in super::super) async fn change_licences<S: Store + AccountStore>(
    State(app): State<App<S>>,
    AdminForm(p, a): AdminForm,
) -> PageResult {
    let text = a.get("licences").unwrap_or_default();
    let read = if text.trim().is_empty() {
        Ok(Vec::new())
    } else {
        irmer_core::licences::read_csv(text)
    };
    match read {
        Err(errors) => {
            let shown: Vec<(String, String)> = errors
                .iter()
                .take(10)
                .map(|(line, message)| ("licences".to_owned(), format!("Line {line}: {message}")))
                .collect();
            licences_again(&app, &p, None, text, &shown)
        }
        Ok(licences) => {
            app.accounts
                .store()
                .set_setting(irmer_store::licences::SETTING, text)
                .await?;
            app.accounts
                .audit(
                    app.register.now(),
                    &p.user.username,
                    "change-licences",
                    &format!("{} licences", licences.len()),
                )
                .await?;
            Ok(see_other("/admin/licences?done=saved"))
        }
    }
}
