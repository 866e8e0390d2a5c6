//! The authority's administration pages beyond the shared staff ones
//! (and the outbox): the organisations' tokens (made and shown once,
//! revoked). Administrators only: each handler takes
//! an [`Administrator`] or an [`AdminForm`].

use axum::extract::{Path, RawQuery, State};
use irmer_store::Store;
use irmer_store::accounts::AccountStore;
use irmer_store::authority::AuthorityStore;
use irmer_web::App;
use irmer_web::pages::kit::{
    AdminForm, Administrator, Answers, ForPage, PageError, PageResult, PageUser, admin_show,
    csrf_field, field_id, moment, see_other, status_of,
};
use maud::{Markup, html};

/// What [`irmer_web`]'s shown-once store keeps a new organisation token
/// as.
const ORGANISATION_TOKEN: &str = "organisation token";

/// `GET /admin/organisations`: the organisations' tokens (live and
/// revoked), a new one shown once, and the form that makes one.
pub(crate) async fn organisations<S: Store + AccountStore + AuthorityStore>(
    State(app): State<App<S>>,
    Administrator(p): Administrator,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let made = raw
        .as_deref()
        .and_then(|q| q.strip_prefix("made="))
        .map(|key| {
            app.shown_once
                .take(key, p.user.id, ORGANISATION_TOKEN, app.register.now())
        });
    let notice = match (raw.as_deref(), made) {
        (Some("done=revoked"), _) => Some(html! {
            div class="notice success" role="status" { p { "The token is revoked: notifications sent with it are refused." } }
        }),
        (_, Some(Some(token))) => Some(html! {
            div class="notice success" role="status" {
                p { "The organisation's token is below. Copy it now and give it to the organisation by a secure route: it will not be shown again." }
                pre class="copy-block" id="new-token" { (token) }
            }
        }),
        (_, Some(None)) => Some(html! {
            div class="notice" role="status" { p { "That token has been shown already and is not shown again. If it was lost, revoke it and make another." } }
        }),
        _ => None,
    };
    organisations_again(&app, &p, notice, &Answers::default(), &[]).await
}

async fn organisations_again<S: Store + AccountStore + AuthorityStore>(
    app: &App<S>,
    p: &PageUser,
    notice: Option<Markup>,
    typed: &Answers,
    errors: &[(String, String)],
) -> PageResult {
    let tokens = app
        .register
        .store()
        .organisation_tokens()
        .await
        .for_page(p)?;
    let field = |name: &str, label: &str, hint: &str| {
        let error = errors.iter().find(|(f, _)| f == name).map(|(_, m)| m);
        html! {
            div class={ "field" @if error.is_some() { " error" } } {
                label for=(field_id(name)) { (label) }
                @if !hint.is_empty() { span class="hint" id={ (field_id(name)) "-hint" } { (hint) } }
                @if let Some(e) = error { span class="error-message" { span class="visually-hidden" { "Error: " } (e) } }
                input type="text" id=(field_id(name)) name=(name) value=(typed.get(name).unwrap_or_default())
                    autocomplete="off" aria-describedby=[(!hint.is_empty()).then(|| format!("{}-hint", field_id(name)))];
            }
        }
    };
    let body = html! {
        @if let Some(n) = notice { (n) }
        h1 { "Organisations' tokens" }
        p { "An employer's irmer (or another system) sends notifications to " code { "POST /api/v1/notifications" } " with its organisation's token. irmer keeps only a digest of it, so it is shown once, when it is made." }
        @if tokens.is_empty() { p { "No token yet." } }
        @else {
            div class="table-wrap" {
                table class="stack" {
                    caption class="visually-hidden" { "Organisations' tokens" }
                    thead { tr { th scope="col" { "Organisation" } th scope="col" { "Made" } th scope="col" { "State" } } }
                    tbody {
                        @for t in &tokens {
                            tr {
                                td data-label="Organisation" { (t.organisation_name) @if let Some(c) = &t.organisation_code { " (" (c) ")" } }
                                td data-label="Made" { (moment(t.created_at)) }
                                td data-label="State" {
                                    @if let Some(r) = t.revoked_at { "Revoked " (moment(r)) }
                                    @else {
                                        form method="post" action={ "/admin/organisations/" (t.id) "/revoke" } {
                                            (csrf_field(&p.csrf))
                                            "Live "
                                            button class="secondary" type="submit" aria-label={ "Revoke the token of " (t.organisation_name) } { "Revoke" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Make a token" }
        form method="post" action="/admin/organisations" novalidate {
            (csrf_field(&p.csrf))
            (field("organisation", "The organisation's name", ""))
            (field("code", "Its code (optional)", "An ODS code such as RXX: a notification sent with the token must give the same."))
            button type="submit" { "Make the token" }
        }
    };
    Ok(admin_show(
        p,
        status_of(errors),
        "/admin/organisations",
        (None, errors),
        body,
    ))
}

pub(crate) async fn make_organisation_token<S: Store + AccountStore + AuthorityStore>(
    State(app): State<App<S>>,
    AdminForm(p, a): AdminForm,
) -> PageResult {
    let name = a.get("organisation").unwrap_or_default().trim().to_owned();
    let code = a
        .get("code")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    if let Err((field, message)) = crate::check_organisation(&name, code.as_deref()) {
        let errors = vec![(field.to_owned(), irmer_web::pages::kit::capital(&message))];
        return organisations_again(&app, &p, None, &a, &errors).await;
    }
    let (token, digest) = crate::new_organisation_token().map_err(|e| {
        PageError::from(irmer_web::Problem::from(
            irmer_store::register::RegisterError::from(irmer_store::StoreError::Backend(e)),
        ))
        .for_user(&p)
    })?;
    let now = app.register.now();
    app.register
        .store()
        .add_organisation_token(&name, code.as_deref(), &digest, now)
        .await
        .for_page(&p)?;
    let key = app
        .shown_once
        .keep(p.user.id, ORGANISATION_TOKEN, token, now)
        .for_page(&p)?;
    Ok(see_other(&format!("/admin/organisations?made={key}")))
}

pub(crate) async fn revoke_organisation_token<S: Store + AccountStore + AuthorityStore>(
    State(app): State<App<S>>,
    Path(id): Path<i64>,
    AdminForm(p, _): AdminForm,
) -> PageResult {
    if !app
        .register
        .store()
        .revoke_organisation_token(id, app.register.now())
        .await
        .for_page(&p)?
    {
        return Err(PageError::not_found("There is no live token with that number.").for_user(&p));
    }
    Ok(see_other("/admin/organisations?done=revoked"))
}
