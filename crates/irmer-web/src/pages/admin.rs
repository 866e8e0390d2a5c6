//! Administration: users (roles, scope, one-time passwords, locks), sites
//! and departments, settings, hospital number patterns, everyone's live API
//! tokens and the audit log. Administrators only.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use irmer_core::Settings;
use irmer_store::accounts::{AccountError, AccountStore, Action, Role};
use irmer_store::{Store, StoreError};
use maud::{Markup, html};

use super::reporting::default_nation;
use super::{PageError, PageResult, Places, SignedForm, allow, capital, show, show_as, tokens};
use crate::app::{App, PageUser};
use crate::form::{self, Answers};
use crate::html::{Section, csrf_field, error_summary, field_id};

pub(super) async fn admin_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
) -> PageResult {
    allow(&p, Action::Administer)?;
    Ok(show(
        &p,
        "Administration",
        Section::Admin,
        admin_body(&app, &p, None, &[]).await?,
    ))
}

async fn admin_body<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    notice: Option<String>,
    errors: &[(String, String)],
) -> Result<Markup, PageError> {
    let store = app.accounts.store();
    let users = store.users().await?;
    let sites = store.sites().await?;
    let departments = store.departments().await?;
    let log = store.audit_log(30).await?;
    let live_tokens: Vec<_> = store
        .tokens(None)
        .await?
        .into_iter()
        .filter(|t| !t.revoked)
        .collect();
    let nation = default_nation(app).await?;
    let masks = app.register.hospital_number_masks().await?;
    let now = app.register.now();
    let locks = store.locks(now).await?;
    let locked: std::collections::HashSet<&str> =
        locks.iter().map(|l| l.username.as_str()).collect();
    let places = Places { sites, departments };
    let (sites, departments) = (places.sites.as_slice(), places.departments.as_slice());
    let dept_name = |id: Option<i64>| places.department(id);
    let dept_select = |id: String, current: Option<i64>| {
        html! {
            select id=(id) name="department" {
                option value="" selected[current.is_none()] { "Whole organisation" }
                @for d in departments { option value=(d.id) selected[current == Some(d.id)] { (dept_name(Some(d.id))) } }
            }
        }
    };
    let role_select = |id: String, current: Option<Role>| {
        html! {
            select id=(id) name="role" {
                @for r in Role::ALL { option value=(r.as_str()) selected[current == Some(r)] { (r.label()) } }
            }
        }
    };
    Ok(html! {
        (error_summary(errors))
        @if let Some(n) = notice { div class="notice success" role="status" { p { (n) } } }
        h1 { "Administration" }
        h2 { "Users" }
        div class="table-wrap" {
            table {
                caption class="visually-hidden" { "Users" }
                thead { tr { th scope="col" { "Username" } th scope="col" { "Name" } th scope="col" { "Role and scope" } th scope="col" { "State" } th scope="col" { "Change" } } }
                tbody {
                    @for u in &users {
                        tr {
                            td { (u.username) }
                            td { (u.display_name) }
                            td { (u.role.label()) br; (dept_name(u.department_id)) }
                            td {
                                @if u.disabled { "Disabled" }
                                @else if locked.contains(u.username.as_str()) { "Locked" }
                                @else if u.must_change_password { "One-time password" }
                                @else { "Active" }
                            }
                            td {
                                form method="post" action={ "/admin/users/" (u.id) } {
                                    (csrf_field(&p.csrf))
                                    label for={ "role-" (u.id) } class="visually-hidden" { "Role of " (u.username) }
                                    (role_select(format!("role-{}", u.id), Some(u.role)))
                                    label for={ "dept-" (u.id) } class="visually-hidden" { "Department of " (u.username) }
                                    (dept_select(format!("dept-{}", u.id), u.department_id))
                                    button class="secondary" type="submit" name="action" value="save" { "Save" }
                                    @if u.id != p.user.id {
                                        @if u.disabled { button class="secondary" type="submit" name="action" value="enable" { "Enable" } }
                                        @else { button class="secondary" type="submit" name="action" value="disable" { "Disable" } }
                                    }
                                    button class="secondary" type="submit" name="action" value="reset" { "New one-time password" }
                                    @if locked.contains(u.username.as_str()) {
                                        button class="secondary" type="submit" name="action" value="unlock" { "Unlock" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        p class="hint" { "A new one-time password ends the user's sessions and revokes their API tokens. Unlock lifts the sign-in locks on a username (after 5 wrong passwords from one address, or 100 from all addresses in an hour)." }
        h3 { "Add a user" }
        form method="post" action="/admin/users" novalidate {
            (csrf_field(&p.csrf))
            div class="field" {
                label for=(field_id("username")) { "Username" }
                span class="hint" { "Lower-case letters, digits, dots, hyphens. For example j.smith." }
                input type="text" id=(field_id("username")) name="username" autocomplete="off" spellcheck="false";
            }
            div class="field" {
                label for=(field_id("display_name")) { "Full name" }
                input type="text" id=(field_id("display_name")) name="display_name" autocomplete="off";
            }
            div class="field" { label for=(field_id("role")) { "Role" } (role_select(field_id("role"), Some(Role::Reporter))) }
            div class="field" { label for=(field_id("department")) { "Department" } (dept_select(field_id("department"), None)) }
            button type="submit" { "Add user" }
        }
        h2 { "API tokens" }
        @if live_tokens.is_empty() {
            p { "No live tokens." }
        } @else {
            (tokens::token_table(p, &live_tokens, Some(&|id| users.iter().find(|u| u.id == id).map_or(format!("user {id}"), |u| u.username.clone()))))
        }
        p class="hint" { "Each user makes their own tokens on their account page; " code { "irmer token create NAME" } " makes one from the command line." }
        h2 { "Sites and departments" }
        ul {
            @for s in sites {
                li { strong { (s.name) } ": "
                    (departments.iter().filter(|d| d.site_id == s.id).map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ")) }
            }
        }
        form method="post" action="/admin/sites" novalidate {
            (csrf_field(&p.csrf))
            div class="field" { label for=(field_id("site_name")) { "New site" } input type="text" id=(field_id("site_name")) name="name"; }
            button class="secondary" type="submit" { "Add site" }
        }
        @if !sites.is_empty() {
            form method="post" action="/admin/departments" novalidate {
                (csrf_field(&p.csrf))
                div class="field" {
                    label for=(field_id("site")) { "Site" }
                    select id=(field_id("site")) name="site" { @for s in sites { option value=(s.id) { (s.name) } } }
                }
                div class="field" { label for=(field_id("department_name")) { "New department" } input type="text" id=(field_id("department_name")) name="name"; }
                button class="secondary" type="submit" { "Add department" }
            }
        }
        h2 { "Settings" }
        form method="post" action="/admin/settings" novalidate {
            (csrf_field(&p.csrf))
            div class="field" {
                label for=(field_id("child_age_under")) { "Child age cut-off (years)" }
                span class="hint" id="child-age-hint" { "A patient younger than this is a child for the child thresholds (England, accidental exposures). Default 18. Changes apply to assessments made from now on." }
                input class="short" type="text" inputmode="numeric" id=(field_id("child_age_under")) name="child_age_under" value=(app.register.settings().child_age_under) aria-describedby="child-age-hint";
            }
            div class="field" {
                label for=(field_id("default_nation")) { "Nation for new reports" }
                select id=(field_id("default_nation")) name="default_nation" {
                    @for (v, l) in form::NATIONS { option value=(v) selected[nation == *v] { (l) } }
                }
            }
            button class="secondary" type="submit" { "Save settings" }
        }
        h2 { "Hospital numbers" }
        form method="post" action="/admin/hospital-numbers" novalidate {
            (csrf_field(&p.csrf))
            div class="field" {
                label for=(field_id("masks")) { "Patterns of your local hospital numbers" }
                span class="hint" id="masks-hint" { "One a line: # for a digit, @ for a letter, anything else as itself; for example RXH#######. irmer looks for them in every report before it leaves." }
                textarea id=(field_id("masks")) name="masks" rows="3" aria-describedby="masks-hint" { (masks.join("\n")) }
            }
            button class="secondary" type="submit" { "Save patterns" }
        }
        h2 { "Audit log" }
        p class="hint" { "Administration and sign-in events, newest first. Changes to incidents are in each incident's history." }
        ul { @for e in &log { li { (crate::dates::moment(e.at)) ": " strong { (e.actor) } " " (e.action) " " (e.detail) } } }
    })
}

fn department_of(a: &Answers) -> Result<Option<i64>, (String, String)> {
    match a.get("department") {
        None => Ok(None),
        Some(d) => d
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ("department".to_owned(), "Choose a department".to_owned())),
    }
}

pub(super) async fn admin_again<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    notice: Option<String>,
    errors: Vec<(String, String)>,
) -> PageResult {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(show_as(
        p,
        status,
        "Administration",
        Section::Admin,
        admin_body(app, p, notice, &errors).await?,
    ))
}

/// The administration page again with one field's error.
async fn admin_error<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    field: &str,
    message: impl Into<String>,
) -> PageResult {
    admin_again(app, p, None, vec![(field.to_owned(), message.into())]).await
}

/// The end of adding a site or a department: the audit entry and the
/// notice, or the name's error when it is taken.
async fn added<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    created: Result<String, StoreError>,
    (action, kind, field, taken): (&str, &str, &str, String),
) -> PageResult {
    match created {
        Ok(name) => {
            app.accounts
                .audit(app.register.now(), &p.user.username, action, &name)
                .await?;
            admin_again(app, p, Some(format!("{kind} {name} added.")), Vec::new()).await
        }
        Err(StoreError::Duplicate(_)) => admin_error(app, p, field, taken).await,
        Err(e) => Err(PageError::from(e).for_user(p)),
    }
}

pub(super) async fn add_user<S: Store + AccountStore>(
    State(app): State<App<S>>,
    SignedForm(p, a): SignedForm,
) -> PageResult {
    allow(&p, Action::Administer)?;
    let Some(role) = a.get("role").and_then(Role::parse) else {
        return admin_error(&app, &p, "role", "Choose a role").await;
    };
    let department = match department_of(&a) {
        Ok(d) => d,
        Err(e) => return admin_again(&app, &p, None, vec![e]).await,
    };
    let username = a.get("username").unwrap_or_default();
    match app.accounts.add_user(&p.user.username, app.register.now(), username, a.get("display_name").unwrap_or_default(), role, department).await {
        Ok((user, password)) => admin_again(&app, &p, Some(format!(
            "User {} added. Their one-time password is {password}: give it to them in person; it is shown only now, and they choose their own at first sign-in.",
            user.username)), Vec::new()).await,
        Err(AccountError::Invalid { field, message }) => admin_again(&app, &p, None, vec![(field.into(), capital(&message))]).await,
        Err(e) => Err(PageError::from(e).for_user(&p)),
    }
}

pub(super) async fn change_user<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Path(id): Path<i64>,
    SignedForm(p, a): SignedForm,
) -> PageResult {
    allow(&p, Action::Administer)?;
    let store = app.accounts.store();
    let Some(mut user) = store.user(id).await? else {
        return Err(PageError::not_found("There is no such user.").for_user(&p));
    };
    let now = app.register.now();
    let action = a.get("action").unwrap_or("save");
    let mut notice = format!("User {} saved.", user.username);
    match action {
        "disable" if user.id == p.user.id => {
            return admin_error(&app, &p, "action", "You cannot disable your own account").await;
        }
        "disable" => {
            user.disabled = true;
            store.delete_sessions_of(user.id).await?;
        }
        "enable" => user.disabled = false,
        "reset" => {
            let password = app.accounts.reset_password(&mut user, now).await?;
            notice = format!(
                "New one-time password for {}: {password} (shown only now). Their sessions have ended and their API tokens are revoked.",
                user.username
            );
        }
        "unlock" => {
            let n = app
                .accounts
                .unlock(&p.user.username, &user.username, now)
                .await?;
            notice = format!("{} unlocked ({n} live locks lifted).", user.username);
        }
        _ => {
            let Some(role) = a.get("role").and_then(Role::parse) else {
                return admin_error(&app, &p, "role", "Choose a role").await;
            };
            if user.id == p.user.id && role != Role::Administrator {
                return admin_error(
                    &app,
                    &p,
                    "role",
                    "You cannot take the administrator role from yourself",
                )
                .await;
            }
            user.role = role;
            user.department_id = match department_of(&a) {
                Ok(d) => d,
                Err(e) => return admin_again(&app, &p, None, vec![e]).await,
            };
        }
    }
    store.update_user(&user).await?;
    app.accounts
        .audit(
            now,
            &p.user.username,
            &format!("user-{action}"),
            &format!(
                "{} ({}, department {:?})",
                user.username,
                user.role.as_str(),
                user.department_id
            ),
        )
        .await?;
    admin_again(&app, &p, Some(notice), Vec::new()).await
}

pub(super) async fn add_site<S: Store + AccountStore>(
    State(app): State<App<S>>,
    SignedForm(p, a): SignedForm,
) -> PageResult {
    allow(&p, Action::Administer)?;
    let Some(name) = a.get("name") else {
        return admin_error(&app, &p, "site_name", "Enter the site's name").await;
    };
    let created = app
        .accounts
        .store()
        .create_site(name)
        .await
        .map(|site| site.name);
    let taken = format!("There is already a site called {name}");
    added(
        &app,
        &p,
        created,
        ("create-site", "Site", "site_name", taken),
    )
    .await
}

pub(super) async fn add_department<S: Store + AccountStore>(
    State(app): State<App<S>>,
    SignedForm(p, a): SignedForm,
) -> PageResult {
    allow(&p, Action::Administer)?;
    let store = app.accounts.store();
    let sites = store.sites().await?;
    let site = a
        .get("site")
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|id| sites.iter().any(|s| s.id == *id));
    let Some(site) = site else {
        return admin_error(&app, &p, "site", "Choose a site").await;
    };
    let Some(name) = a.get("name") else {
        return admin_error(&app, &p, "department_name", "Enter the department's name").await;
    };
    let created = store.create_department(site, name).await.map(|d| d.name);
    let taken = format!("That site already has a department called {name}");
    added(
        &app,
        &p,
        created,
        ("create-department", "Department", "department_name", taken),
    )
    .await
}

pub(super) async fn change_settings<S: Store + AccountStore>(
    State(app): State<App<S>>,
    SignedForm(p, a): SignedForm,
) -> PageResult {
    allow(&p, Action::Administer)?;
    let range = Settings::CHILD_AGE_RANGE;
    let age = a
        .get("child_age_under")
        .and_then(|v| v.parse::<u8>().ok())
        .filter(|v| range.contains(v));
    let Some(age) = age else {
        return admin_error(
            &app,
            &p,
            "child_age_under",
            format!(
                "Child age cut-off: enter a whole number of years from {} to {}",
                range.start(),
                range.end()
            ),
        )
        .await;
    };
    let Some(nation) = a
        .get("default_nation")
        .filter(|n| form::NATIONS.iter().any(|(v, _)| v == n))
    else {
        return admin_error(&app, &p, "default_nation", "Choose a nation").await;
    };
    let store = app.accounts.store();
    store
        .set_setting("child_age_under", &age.to_string())
        .await?;
    store.set_setting("default_nation", nation).await?;
    app.register.set_settings(Settings {
        child_age_under: age,
    });
    app.accounts
        .audit(
            app.register.now(),
            &p.user.username,
            "change-settings",
            &format!("child_age_under={age}, default_nation={nation}"),
        )
        .await?;
    admin_again(&app, &p, Some("Settings saved.".into()), Vec::new()).await
}

pub(super) async fn change_masks<S: Store + AccountStore>(
    State(app): State<App<S>>,
    SignedForm(p, a): SignedForm,
) -> PageResult {
    allow(&p, Action::Administer)?;
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
        return admin_error(&app, &p, "masks", format!("Line {line}: {}", e.message)).await;
    }
    let text = masks.join("\n");
    app.accounts
        .store()
        .set_setting(irmer_store::identity::MASKS_SETTING, &text)
        .await?;
    app.accounts
        .audit(
            app.register.now(),
            &p.user.username,
            "change-hospital-number-masks",
            &masks.join(", "),
        )
        .await?;
    admin_again(
        &app,
        &p,
        Some("Hospital number patterns saved.".into()),
        Vec::new(),
    )
    .await
}
