//! The statistics and trends a request asks for, read once for the API
//! and the pages: the period, the fields, and the counts within the
//! caller's scope.

use std::collections::HashMap;

use axum::http::StatusCode;
use irmer_core::incident::CivilDate;
use irmer_stats::tally::{self, Field, Statistics};
use irmer_store::Store;
use irmer_store::accounts::{AccountStore, Places, Scope};

use crate::Problem;
use crate::app::App;

/// The query parameters both read.
pub const PARAMETERS: [&str; 4] = ["financial_year", "from", "to", "by"];

/// What a request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Asked {
    pub from: CivilDate,
    pub to: CivilDate,
    pub by: Vec<Field>,
}

/// The period and fields of `params`; `default` when no period is given.
/// A bad one is a 400 naming the parameter.
pub fn asked(
    params: &HashMap<String, String>,
    today: CivilDate,
    default: (CivilDate, CivilDate),
) -> Result<Asked, Problem> {
    let (from, to) = tally::period(
        params.get("financial_year").map(String::as_str),
        params.get("from").map(String::as_str),
        params.get("to").map(String::as_str),
        today,
        default,
    )
    .map_err(period_problem)?;
    let mut by = Vec::new();
    for v in params
        .get("by")
        .map(String::as_str)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        let field = Field::parse(v).ok_or_else(|| {
            crate::bad_parameter("by", &format!("one or more of {}", Field::accepted()), v)
        })?;
        by.push(field);
    }
    Ok(Asked { from, to, by })
}

/// A refused period as a 400 naming the parameter (`financial_year`,
/// `from` or `to`).
fn period_problem(e: tally::PeriodError) -> Problem {
    let name = e.option.replace('-', "_");
    let detail = e.message.replace("--from and --to", "from and to");
    Problem::new(
        StatusCode::BAD_REQUEST,
        "invalid-parameter",
        "Invalid query parameter",
        format!("{name}: {detail}"),
    )
    .field(name)
}

/// The statistics asked for, of the incidents `scope` lets its user see.
pub async fn count<S: Store + AccountStore>(
    app: &App<S>,
    scope: Scope,
    asked: &Asked,
) -> Result<Statistics, Problem> {
    let places = Places::load(app.accounts.store())
        .await
        .map_err(irmer_store::register::RegisterError::from)?
        .for_statistics();
    Ok(app
        .register
        .statistics(asked.from, asked.to, &asked.by, Some(scope), &places)
        .await?)
}

/// The monthly series of each group asked for (month must not be one).
pub async fn trends<S: Store + AccountStore>(
    app: &App<S>,
    scope: Scope,
    asked: &Asked,
) -> Result<Vec<tally::Trend>, Problem> {
    if asked.by.contains(&Field::Month) {
        return Err(crate::bad_parameter(
            "by",
            "fields other than month (month is the series itself)",
            "month",
        ));
    }
    tally::check_trend_period(asked.from, asked.to).map_err(period_problem)?;
    let mut with_month = asked.clone();
    with_month.by.push(Field::Month);
    Ok(tally::trends(&count(app, scope, &with_month).await?))
}
