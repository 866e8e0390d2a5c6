//! Sites and their departments: listed, and added.

use axum::extract::{RawQuery, State};
use irmer_store::accounts::AccountStore;
use irmer_store::{Store, StoreError};
use maud::html;

use super::super::status_of;
use super::super::{AdminForm, Administrator, PageError, PageResult, see_other};
use super::{admin_show, notice};
use crate::app::{App, PageUser};
use crate::form::Answers;
use crate::html::{csrf_field, field_id};

const NOTICES: &[(&str, &str)] = &[
    ("site", "The site is added."),
    ("department", "The department is added."),
];

pub(in super::super) async fn places_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Administrator(p): Administrator,
    RawQuery(raw): RawQuery,
) -> PageResult {
    places_again(
        &app,
        &p,
        notice(raw.as_deref(), NOTICES),
        &Answers::default(),
        &[],
    )
    .await
}

async fn places_again<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    done: Option<&str>,
    typed: &Answers,
    errors: &[(String, String)],
) -> PageResult {
    let store = app.accounts.store();
    let sites = store.sites().await?;
    let departments = store.departments().await?;
    let typed_site = typed.get("site").and_then(|s| s.parse::<i64>().ok());
    let body = html! {
        h1 { "Sites and departments" }
        @if sites.is_empty() { p { "No sites yet." } }
        ul {
            @for s in &sites {
                li { strong { (s.name) } ": "
                    (departments.iter().filter(|d| d.site_id == s.id).map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ")) }
            }
        }
        h2 { "Add a site" }
        form method="post" action="/admin/sites" novalidate {
            (csrf_field(&p.csrf))
            div class="field" {
                label for=(field_id("site_name")) { "Name of the site" }
                input type="text" id=(field_id("site_name")) name="name" value=(typed.get("name").filter(|_| typed.get("site").is_none()).unwrap_or_default());
            }
            button class="secondary" type="submit" { "Add site" }
        }
        @if !sites.is_empty() {
            h2 { "Add a department" }
            form method="post" action="/admin/departments" novalidate {
                (csrf_field(&p.csrf))
                div class="field" {
                    label for=(field_id("site")) { "Site" }
                    select id=(field_id("site")) name="site" { @for s in &sites { option value=(s.id) selected[typed_site == Some(s.id)] { (s.name) } } }
                }
                div class="field" {
                    label for=(field_id("department_name")) { "Name of the department" }
                    input type="text" id=(field_id("department_name")) name="name" value=(typed.get("name").filter(|_| typed.get("site").is_some()).unwrap_or_default());
                }
                button class="secondary" type="submit" { "Add department" }
            }
        }
    };
    Ok(admin_show(
        p,
        status_of(errors),
        "/admin/places",
        (done, errors),
        body,
    ))
}

/// The end of adding a site or a department: the audit entry and the
/// redirect, or the name's error when it is taken.
async fn added<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    typed: &Answers,
    created: Result<String, StoreError>,
    (action, done, field, taken): (&str, &str, &str, String),
) -> PageResult {
    match created {
        Ok(name) => {
            app.accounts
                .audit(app.register.now(), &p.user.username, action, &name)
                .await?;
            Ok(see_other(&format!("/admin/places?done={done}")))
        }
        Err(StoreError::Duplicate(_)) => {
            places_again(app, p, None, typed, &[(field.to_owned(), taken)]).await
        }
        Err(e) => Err(PageError::from(e).for_user(p)),
    }
}

pub(in super::super) async fn add_site<S: Store + AccountStore>(
    State(app): State<App<S>>,
    AdminForm(p, a): AdminForm,
) -> PageResult {
    let Some(name) = a.get("name") else {
        let e = [("site_name".to_owned(), "Enter the site's name".to_owned())];
        return places_again(&app, &p, None, &a, &e).await;
    };
    let created = app
        .accounts
        .store()
        .create_site(name)
        .await
        .map(|site| site.name);
    let taken = format!("There is already a site called {name}");
    let what = ("create-site", "site", "site_name", taken);
    added(&app, &p, &a, created, what).await
}

pub(in super::super) async fn add_department<S: Store + AccountStore>(
    State(app): State<App<S>>,
    AdminForm(p, a): AdminForm,
) -> PageResult {
    let store = app.accounts.store();
    let sites = store.sites().await?;
    let site = a
        .get("site")
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|id| sites.iter().any(|s| s.id == *id));
    let Some(site) = site else {
        let e = [("site".to_owned(), "Choose a site".to_owned())];
        return places_again(&app, &p, None, &a, &e).await;
    };
    let Some(name) = a.get("name") else {
        let e = [(
            "department_name".to_owned(),
            "Enter the department's name".to_owned(),
        )];
        return places_again(&app, &p, None, &a, &e).await;
    };
    let created = store.create_department(site, name).await.map(|d| d.name);
    let taken = format!("That site already has a department called {name}");
    let what = ("create-department", "department", "department_name", taken);
    added(&app, &p, &a, created, what).await
}
