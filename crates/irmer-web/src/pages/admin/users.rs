//! Users: the list with each one's role, scope and state; adding one;
//! changing a role or department; disabling, enabling, unlocking; a new
//! one-time password, shown once on a page of its own.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use irmer_store::Store;
use irmer_store::accounts::{AccountError, AccountStore, Newcomer, Role, User, check_email};
use maud::{Markup, html};

use super::super::status_of;
use super::super::{AdminForm, Administrator, PageError, PageResult, Places, capital, see_other};
use super::{admin_show, notice};
use crate::app::{App, PageUser};
use crate::form::Answers;
use crate::html::{csrf_field, field_id};

/// What [`crate::shown_once`] keeps a one-time password as.
const PASSWORD: &str = "one-time password";

const NOTICES: &[(&str, &str)] = &[
    ("saved", "The user's role and department are saved."),
    (
        "disabled",
        "The user is disabled: their sessions have ended.",
    ),
    ("enabled", "The user is enabled again."),
    ("unlocked", "The sign-in locks on the user are lifted."),
];

pub(in super::super) async fn users_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Administrator(p): Administrator,
    RawQuery(raw): RawQuery,
) -> PageResult {
    users_again(
        &app,
        &p,
        notice(raw.as_deref(), NOTICES),
        &Answers::default(),
        &[],
    )
    .await
}

/// The users page, with a notice, or with the add form's errors and what
/// was typed into it.
async fn users_again<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    done: Option<&str>,
    typed: &Answers,
    errors: &[(String, String)],
) -> PageResult {
    let store = app.accounts.store();
    let users = store.users().await?;
    let places = Places::load(app.accounts.store()).await?;
    let locks = store.locks(app.register.now()).await?;
    let locked = |u: &User| locks.iter().any(|l| l.username == u.username);
    let typed_role = typed
        .get("role")
        .and_then(Role::parse)
        .unwrap_or(roles(p)[0]);
    let typed_department = typed.get("department").and_then(|d| d.parse().ok());
    let body = html! {
        h1 { "Users" }
        div class="table-wrap" {
            table class="stack" {
                caption class="visually-hidden" { "Users" }
                thead { tr { th scope="col" { "Username" } th scope="col" { "Name" } th scope="col" { "Role and scope" } th scope="col" { "State" } th scope="col" { "Change" } } }
                tbody {
                    @for u in &users {
                        tr {
                            td data-label="Username" { (u.username) }
                            td data-label="Name" { (u.display_name) }
                            td data-label="Role and scope" { (role_label(p, u.role)) br; (places.department(u.department_id)) }
                            td data-label="State" {
                                @if u.disabled { "Disabled" }
                                @else if locked(u) { "Locked" }
                                @else if u.must_change_password { "One-time password" }
                                @else { "Active" }
                            }
                            td data-label="Change" {
                                form method="post" action={ "/admin/users/" (u.id) } {
                                    (csrf_field(&p.csrf))
                                    label for={ "role-" (u.id) } class="visually-hidden" { "Role of " (u.username) }
                                    (role_select(p, &format!("role-{}", u.id), u.role))
                                    label for={ "dept-" (u.id) } class="visually-hidden" { "Department of " (u.username) }
                                    (department_select(&places, &format!("dept-{}", u.id), u.department_id))
                                    @let email_id = field_id(&format!("email-{}", u.id));
                                    label for=(email_id) class="visually-hidden" { "E-mail address of " (u.username) }
                                    input type="email" id=(email_id) name="email" value=(u.email.as_deref().unwrap_or_default()) placeholder="E-mail address" autocomplete="off" spellcheck="false";
                                    button class="secondary" type="submit" name="action" value="save" { "Save" }
                                    @if u.id != p.user.id {
                                        @if u.disabled { button class="secondary" type="submit" name="action" value="enable" { "Enable" } }
                                        @else { button class="secondary" type="submit" name="action" value="disable" { "Disable" } }
                                    }
                                    button class="secondary" type="submit" name="action" value="reset" { "New one-time password" }
                                    @if locked(u) {
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
        h2 { "Add a user" }
        form method="post" action="/admin/users" novalidate {
            (csrf_field(&p.csrf))
            div class="field" {
                label for=(field_id("username")) { "Username" }
                span class="hint" id="username-hint" { "Lower-case letters, digits, dots, hyphens. For example j.smith." }
                input type="text" id=(field_id("username")) name="username" value=(typed.get("username").unwrap_or_default()) autocomplete="off" spellcheck="false" aria-describedby="username-hint";
            }
            div class="field" {
                label for=(field_id("display_name")) { "Full name" }
                input type="text" id=(field_id("display_name")) name="display_name" value=(typed.get("display_name").unwrap_or_default()) autocomplete="off";
            }
            div class="field" {
                label for=(field_id("email")) { "E-mail address (optional)" }
                span class="hint" id="email-hint" { "Where irmer sends the user's reminders: their tasks due soon and overdue; to administrators, ARSAC licences coming up for renewal." }
                input type="email" id=(field_id("email")) name="email" value=(typed.get("email").unwrap_or_default()) autocomplete="off" spellcheck="false" aria-describedby="email-hint";
            }
            div class="field" { label for=(field_id("role")) { "Role" } (role_select(p, &field_id("role"), typed_role)) }
            div class="field" { label for=(field_id("department")) { "Department" } (department_select(&places, &field_id("department"), typed_department)) }
            button type="submit" { "Add user" }
        }
    };
    Ok(admin_show(
        p,
        status_of(errors),
        "/admin/users",
        (done, errors),
        body,
    ))
}

fn role_select(p: &PageUser, id: &str, current: Role) -> Markup {
    html! {
        select id=(id) name="role" {
            @for r in roles(p) { option value=(r.as_str()) selected[current == *r] { (role_label(p, *r)) } }
        }
    }
}

/// The roles this register gives (an authority's staff have three).
fn roles(p: &PageUser) -> &'static [Role] {
    if p.authority.is_some() {
        &Role::AT_AUTHORITY
    } else {
        &Role::ALL
    }
}

fn role_label(p: &PageUser, r: Role) -> &'static str {
    if p.authority.is_some() {
        r.label_at_authority()
    } else {
        r.label()
    }
}

/// The role the form chose, if this register gives it.
fn chosen_role(p: &PageUser, a: &Answers) -> Option<Role> {
    a.get("role")
        .and_then(Role::parse)
        .filter(|r| roles(p).contains(r))
}

fn department_select(places: &Places, id: &str, current: Option<i64>) -> Markup {
    html! {
        select id=(id) name="department" {
            option value="" selected[current.is_none()] { "Whole organisation" }
            @for d in &places.departments { option value=(d.id) selected[current == Some(d.id)] { (places.department(Some(d.id))) } }
        }
    }
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

/// The users page again with one error (422).
async fn refuse<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    typed: &Answers,
    (field, message): (&str, &str),
) -> PageResult {
    users_again(
        app,
        p,
        None,
        typed,
        &[(field.to_owned(), message.to_owned())],
    )
    .await
}

/// Where a new one-time password is shown: kept for the administrator,
/// then a redirect to its page.
fn show_password<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    user: &User,
    (password, reset): (String, bool),
) -> PageResult {
    let key = app
        .shown_once
        .keep(p.user.id, PASSWORD, password, app.register.now())?;
    let reset = if reset { "&reset=1" } else { "" };
    Ok(see_other(&format!(
        "/admin/users/{}/one-time-password?key={key}{reset}",
        user.id
    )))
}

pub(in super::super) async fn add_user<S: Store + AccountStore>(
    State(app): State<App<S>>,
    AdminForm(p, a): AdminForm,
) -> PageResult {
    let Some(role) = chosen_role(&p, &a) else {
        return refuse(&app, &p, &a, ("role", "Choose a role")).await;
    };
    let department = match department_of(&a) {
        Ok(d) => d,
        Err(e) => return users_again(&app, &p, None, &a, &[e]).await,
    };
    let username = a.get("username").unwrap_or_default();
    let display_name = a.get("display_name").unwrap_or_default();
    let email = a.get("email").unwrap_or_default();
    let now = app.register.now();
    match app
        .accounts
        .add_user(
            &p.user.username,
            now,
            Newcomer {
                username,
                display_name,
                role,
                department_id: department,
                email,
            },
        )
        .await
    {
        Ok((user, password)) => show_password(&app, &p, &user, (password, false)),
        Err(AccountError::Invalid { field, message }) => {
            refuse(&app, &p, &a, (field, &capital(&message))).await
        }
        Err(e) => Err(PageError::from(e).for_user(&p)),
    }
}

/// The one-time password, once: to the administrator who made it, within
/// ten minutes. Reloaded, it says it was shown and how to make another.
pub(in super::super) async fn one_time_password_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Administrator(p): Administrator,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let Some(user) = app.accounts.store().user(id).await? else {
        return Err(PageError::not_found("There is no such user.").for_user(&p));
    };
    let query = raw.unwrap_or_default();
    let (key, reset) = match query.strip_prefix("key=") {
        Some(rest) => match rest.split_once("&reset=1") {
            Some((key, _)) => (key, true),
            None => (rest, false),
        },
        None => ("", false),
    };
    let password = app
        .shown_once
        .take(key, p.user.id, PASSWORD, app.register.now());
    let body = html! {
        @if let Some(password) = password {
            div class="confirmation" {
                h1 { "One-time password for " (user.username) }
                p { "Their one-time password is" br; strong class="reference" id="one-time-password" { (password) } }
            }
            @if reset { p { "Their sessions have ended and their API tokens are revoked." } }
            p { "Give it to " (user.display_name) " in person or by a channel only they read. It is shown only now: irmer keeps only its hash. They choose their own password when they first sign in." }
        } @else {
            h1 { "One-time password for " (user.username) }
            p { "This one-time password has been shown already (or was made more than ten minutes ago), and is not shown again." }
            p { "If it was lost, make a new one with " strong { "New one-time password" } " on the users page: the old one stops working." }
        }
        p { a href="/admin/users" { "Back to users" } }
    };
    Ok(admin_show(
        &p,
        StatusCode::OK,
        "/admin/users",
        (None, &[]),
        body,
    ))
}

pub(in super::super) async fn change_user<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Path(id): Path<i64>,
    AdminForm(p, a): AdminForm,
) -> PageResult {
    let store = app.accounts.store();
    let Some(mut user) = store.user(id).await? else {
        return Err(PageError::not_found("There is no such user.").for_user(&p));
    };
    let now = app.register.now();
    let action = a.get("action").unwrap_or("save");
    let none = Answers::default();
    let done = match action {
        "disable" if user.id == p.user.id => {
            let e = ("action", "You cannot disable your own account");
            return refuse(&app, &p, &none, e).await;
        }
        "disable" => {
            user.disabled = true;
            store.delete_sessions_of(user.id).await?;
            "disabled"
        }
        "enable" => {
            user.disabled = false;
            "enabled"
        }
        "reset" => {
            let password = app.accounts.reset_password(&mut user, now).await?;
            audit_change(&app, &p, action, &user).await?;
            return show_password(&app, &p, &user, (password, true));
        }
        "unlock" => {
            app.accounts
                .unlock(&p.user.username, &user.username, now)
                .await?;
            return Ok(see_other("/admin/users?done=unlocked"));
        }
        _ => {
            let Some(role) = chosen_role(&p, &a) else {
                return refuse(&app, &p, &none, ("role", "Choose a role")).await;
            };
            if user.id == p.user.id && role != Role::Administrator {
                let e = (
                    "role",
                    "You cannot take the administrator role from yourself",
                );
                return refuse(&app, &p, &none, e).await;
            }
            user.role = role;
            user.department_id = match department_of(&a) {
                Ok(d) => d,
                Err(e) => return users_again(&app, &p, None, &none, &[e]).await,
            };
            user.email = match check_email(a.get("email").unwrap_or_default()) {
                Ok(e) => e,
                Err(AccountError::Invalid { message, .. }) => {
                    let field = format!("email-{}", user.id);
                    return refuse(&app, &p, &none, (&field, &capital(&message))).await;
                }
                Err(e) => return Err(PageError::from(e).for_user(&p)),
            };
            "saved"
        }
    };
    store.update_user(&user).await?;
    audit_change(&app, &p, action, &user).await?;
    Ok(see_other(&format!("/admin/users?done={done}")))
}

async fn audit_change<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    action: &str,
    user: &User,
) -> Result<(), PageError> {
    app.accounts
        .audit(
            app.register.now(),
            &p.user.username,
            &format!("user-{action}"),
            &format!(
                "{} ({}, department {:?}, {})",
                user.username,
                user.role.as_str(),
                user.department_id,
                if user.email.is_some() {
                    "with an e-mail address"
                } else {
                    "no e-mail address"
                }
            ),
        )
        .await?;
    Ok(())
}
