//! Coding an incident's causes: the taxonomy's tier-3 codes as
//! checkboxes under their tier-1 and tier-2 headings, the contributing
//! factors one a line, and the reason the history keeps. Saved as a change
//! of the facts like any other (investigators and administrators).

use axum::extract::{Path, State};
use irmer_store::Store;
use irmer_store::accounts::{AccountStore, Action};
use irmer_store::register::{IncidentRecord, RegisterError};
use maud::html;
use serde_json::{Value, json};

use super::{
    PageError, PageResult, SignedForm, capital, enc, incident_for, see_other, show_as, status_of,
};
use crate::app::{App, PageUser};
use crate::form::Answers;
use crate::html::{Section, csrf_field, error_summary, field_id};

pub(super) async fn causes_page<S: Store + AccountStore>(
    State(app): State<App<S>>,
    p: PageUser,
    Path(reference): Path<String>,
) -> PageResult {
    let rec = incident_for(&app, &p, &reference, Action::Investigate).await?;
    let typed = Chosen {
        causes: rec.incident.causes.clone(),
        factors: rec.incident.contributing_factors.join("\n"),
        reason: String::new(),
    };
    Ok(causes_again(&app, &p, &rec, &typed, &[]))
}

/// What the form holds: the codes ticked, the factors as typed, the reason.
struct Chosen {
    causes: Vec<String>,
    factors: String,
    reason: String,
}

impl Chosen {
    fn of(a: &Answers) -> Chosen {
        Chosen {
            causes: a.all("causes").into_iter().map(str::to_owned).collect(),
            factors: a
                .0
                .iter()
                .find(|(k, _)| k == "contributing_factors")
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
            reason: a.get("reason").unwrap_or_default().to_owned(),
        }
    }

    /// The factors, one a line, blank lines left out.
    fn factor_list(&self) -> Vec<String> {
        self.factors
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

fn causes_again<S: Store>(
    app: &App<S>,
    p: &PageUser,
    rec: &IncidentRecord,
    typed: &Chosen,
    errors: &[(String, String)],
) -> axum::response::Response {
    let taxonomy = app.register.taxonomy();
    let r = enc(&rec.reference);
    let title = format!("Causes of incident {}", rec.reference);
    let error_for = |f: &str| errors.iter().find(|(n, _)| n == f).map(|(_, m)| m.clone());
    let body = html! {
        (error_summary(errors))
        span class="caption" { "Incident " (rec.reference) }
        h1 { "Code the causes" }
        p { "Tick what went wrong, under the duty holder where it arose and the point in the pathway where it first occurred (the CQC's three tiers, taxonomy " (taxonomy.version) "). Tick more than one where more than one cause was found." }
        form method="post" action={ "/incidents/" (r) "/causes" } novalidate {
            (csrf_field(&p.csrf))
            input type="hidden" name="version" value=(rec.version);
            @let causes_error = error_for("causes");
            div class={ "field" @if causes_error.is_some() { " error" } } id=(field_id("causes")) tabindex="-1" {
                @if let Some(e) = &causes_error { span class="error-message" { span class="visually-hidden" { "Error: " } (e) } }
                @for one in taxonomy.tier(1) {
                    fieldset class="group" {
                        legend { (one.name) }
                        @for two in taxonomy.tier(2).filter(|e| e.parent.as_deref() == Some(one.code.as_str())) {
                            h2 class="caption" { (two.name) }
                            div class="choices" {
                                @for three in taxonomy.tier(3).filter(|e| e.parent.as_deref() == Some(two.code.as_str())) {
                                    @let id = format!("cause-{}", three.code.replace('.', "-"));
                                    label for=(id) {
                                        input type="checkbox" id=(id) name="causes" value=(three.code) checked[typed.causes.contains(&three.code)];
                                        span { (three.name) }
                                    }
                                }
                            }
                        }
                    }
                }
                // A code recorded before the taxonomy changed stays ticked.
                @for code in typed.causes.iter().filter(|c| taxonomy.get(c).is_none()) {
                    @let id = format!("cause-{}", code.replace('.', "-"));
                    label for=(id) { input type="checkbox" id=(id) name="causes" value=(code) checked; span { (code) " (no longer in the taxonomy)" } }
                }
            }
            @let factors_error = error_for("contributing_factors");
            div class={ "field" @if factors_error.is_some() { " error" } } {
                label for=(field_id("contributing_factors")) { "Contributing factors" }
                span class="hint" id="factors-hint" { "One a line, a few words each: for example, two protocols with alike names. Never a name or a number." }
                @if let Some(e) = &factors_error { span class="error-message" { span class="visually-hidden" { "Error: " } (e) } }
                textarea id=(field_id("contributing_factors")) name="contributing_factors" rows="4" aria-describedby="factors-hint" { (typed.factors) }
            }
            @let reason_error = error_for("reason");
            div class={ "field" @if reason_error.is_some() { " error" } } {
                label for=(field_id("reason")) { "Why are you making this change?" }
                span class="hint" id="reason-hint" { "Recorded in the history with your name. For example: root cause analysis of 3 March." }
                @if let Some(e) = &reason_error { span class="error-message" { span class="visually-hidden" { "Error: " } (e) } }
                input type="text" id=(field_id("reason")) name="reason" value=(typed.reason) aria-describedby="reason-hint";
            }
            button type="submit" { "Save the causes" }
        }
        p { a href={ "/incidents/" (r) } { "Back to the incident" } }
    };
    let status = status_of(errors);
    show_as(p, status, &title, Section::Register, body)
}

pub(super) async fn save_causes<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Path(reference): Path<String>,
    SignedForm(p, a): SignedForm,
) -> PageResult {
    let rec = incident_for(&app, &p, &reference, Action::Investigate).await?;
    let typed = Chosen::of(&a);
    let Some(reason) = a.get("reason") else {
        let e = [(
            "reason".to_owned(),
            "Say why you are making this change".to_owned(),
        )];
        return Ok(causes_again(&app, &p, &rec, &typed, &e));
    };
    let version = a
        .get("version")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(rec.version);
    let list = |items: Vec<String>| {
        if items.is_empty() {
            Value::Null
        } else {
            json!(items)
        }
    };
    let patch = json!({
        "causes": list(typed.causes.clone()),
        "contributing_factors": list(typed.factor_list()),
    });
    match app
        .register
        .amend(&reference, version, &patch, reason, &p.user.username)
        .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/incidents/{}?changed=1",
            enc(&reference)
        ))),
        Err(RegisterError::Invalid(e)) => {
            let field = if e.field.starts_with("contributing_factors") {
                "contributing_factors"
            } else if e.field.starts_with("causes") {
                "causes"
            } else {
                "reason"
            };
            let message = capital(&e.message);
            Ok(causes_again(
                &app,
                &p,
                &rec,
                &typed,
                &[(field.to_owned(), message)],
            ))
        }
        Err(e) => Err(PageError::from(e).for_user(&p)),
    }
}
