//! Personal API tokens: each user makes, lists and revokes their own; an
//! administrator revokes anyone's (from the administration page). A token
//! is shown once, when it is made: only its digest is kept.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use irmer_store::Store;
use irmer_store::accounts::{AccountStore, Action, TokenRow};
use maud::{Markup, html};

use super::{PageError, PageResult, SignedForm, see_other, show_as};
use crate::app::{App, PageUser};
use crate::html::{Section, csrf_field, error_summary, field_id};

/// What [`crate::shown_once`] keeps a new token as.
const TOKEN: &str = "API token";

/// The longest label a token may have.
const LABEL_MAX: usize = 100;

pub(super) async fn tokens_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let made = raw
        .as_deref()
        .and_then(|q| q.strip_prefix("made="))
        .map(|key| {
            app.shown_once
                .take(key, p.user.id, TOKEN, app.register.now())
        });
    let notice = match (raw.as_deref(), made) {
        (Some("revoked=1"), _) => Some(html! {
            div class="notice success" role="status" { p { "The token is revoked: it no longer works." } }
        }),
        (_, Some(Some(token))) => Some(html! {
            div class="notice success" role="status" {
                p { "Your new token is below. Copy it now: it will not be shown again." }
                pre class="copy-block" id="new-token" { (token) }
            }
        }),
        (_, Some(None)) => Some(html! {
            div class="notice" role="status" { p { "That token has been shown already and is not shown again. If it was lost, revoke it and make another." } }
        }),
        _ => None,
    };
    tokens_again(&app, &p, notice, &[], StatusCode::OK).await
}

async fn tokens_again<S: Store + AccountStore>(
    app: &App<S>,
    p: &PageUser,
    notice: Option<Markup>,
    errors: &[(String, String)],
    status: StatusCode,
) -> PageResult {
    let mine = app.accounts.store().tokens(Some(p.user.id)).await?;
    let body = html! {
        (error_summary(errors))
        @if let Some(n) = notice { (n) }
        h1 { "Your API tokens" }
        p {
            "A token lets another program (a PACS bridge, a script) use irmer's API as you, with your role and what you can see. "
            "It is sent as " code { "Authorization: Bearer …" } ". "
            "irmer keeps only a digest of it, so it is shown once, when it is made. Revoke a token you no longer use."
        }
        @if mine.is_empty() {
            p { "You have no tokens." }
        } @else {
            (token_table(p, &mine, None))
        }
        h2 { "Make a token" }
        form method="post" action="/account/tokens" novalidate {
            (csrf_field(&p.csrf))
            @let error = errors.iter().find(|(f, _)| f == "label").map(|(_, m)| m);
            div class={ "field" @if error.is_some() { " error" } } {
                label for=(field_id("label")) { "What is it for?" }
                span class="hint" id="label-hint" { "A few words to recognise it by, shown in the list above and in the audit log. For example: PACS bridge." }
                @if let Some(e) = error { span class="error-message" { span class="visually-hidden" { "Error: " } (e) } }
                input type="text" id=(field_id("label")) name="label" autocomplete="off" aria-describedby="label-hint";
            }
            button type="submit" { "Make token" }
        }
        p { a href="/account/password" { "Change your password" } }
    };
    Ok(show_as(
        p,
        status,
        "Your API tokens",
        Section::Account,
        body,
    ))
}

/// Tokens with a revoke button on each live one. `holders` names each
/// token's user (the administration page lists everyone's).
pub(super) fn token_table(
    p: &PageUser,
    tokens: &[TokenRow],
    holders: Option<&dyn Fn(i64) -> String>,
) -> Markup {
    html! {
        div class="table-wrap" {
            table {
                caption class="visually-hidden" { "API tokens" }
                thead { tr {
                    @if holders.is_some() { th scope="col" { "User" } }
                    th scope="col" { "For" } th scope="col" { "Made" } th scope="col" { "State" } th scope="col" { "Revoke" }
                } }
                tbody {
                    @for t in tokens {
                        tr {
                            @if let Some(h) = holders { td { (h(t.user_id)) } }
                            td { (t.name) }
                            td { (crate::dates::moment(t.created_at)) }
                            td { @if t.revoked { "Revoked" } @else { "Live" } }
                            td {
                                @if !t.revoked {
                                    form method="post" action={ "/account/tokens/" (t.id) "/revoke" } {
                                        (csrf_field(&p.csrf))
                                        @if holders.is_some() { input type="hidden" name="back" value="admin"; }
                                        button class="secondary" type="submit" aria-label={ "Revoke the token for " (t.name) } { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub(super) async fn make_token<S: Store + AccountStore>(
    State(app): State<App<S>>,
    SignedForm(p, a): SignedForm,
) -> PageResult {
    let label = a.get("label").unwrap_or_default().trim();
    let problem = if label.is_empty() {
        Some("Enter what the token is for")
    } else if label.chars().count() > LABEL_MAX {
        Some("Use at most 100 characters")
    } else {
        None
    };
    if let Some(problem) = problem {
        let errors = [("label".to_owned(), problem.to_owned())];
        return tokens_again(&app, &p, None, &errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let token = app
        .accounts
        .create_token(&p.user.username, &p.user, label, app.register.now())
        .await
        .map_err(|e| PageError::from(e).for_user(&p))?;
    let key = app
        .shown_once
        .keep(p.user.id, TOKEN, token, app.register.now())?;
    Ok(see_other(&format!("/account/tokens?made={key}")))
}

/// Revokes one of the user's own tokens, or anyone's for an administrator.
/// Another user's token is "not found" to anyone else.
pub(super) async fn revoke_token<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Path(id): Path<i64>,
    SignedForm(p, a): SignedForm,
) -> PageResult {
    let admin = p.user.may(Action::Administer);
    let scope = if admin { None } else { Some(p.user.id) };
    let tokens = app.accounts.store().tokens(scope).await?;
    let Some(token) = tokens.iter().find(|t| t.id == id) else {
        return Err(
            PageError::not_found(format!("There is no token {id} that you can revoke."))
                .for_user(&p),
        );
    };
    // Revoking one already revoked (a second click) changes nothing.
    app.accounts
        .revoke_token(&p.user.username, token, app.register.now())
        .await
        .map_err(|e| PageError::from(e).for_user(&p))?;
    if admin && a.get("back") == Some("admin") {
        return Ok(see_other("/admin/tokens?done=revoked"));
    }
    Ok(see_other("/account/tokens?revoked=1"))
}
