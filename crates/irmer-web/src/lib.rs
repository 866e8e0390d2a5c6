#![recursion_limit = "512"]
//! irmer-web: the HTTP server. A JSON API under `/api/v1/` on the register,
//! its OpenAPI document, and the deadlines calendar. Every error is
//! `application/problem+json` naming the field.
//!
//! The API is for holders of a personal token (`Authorization: Bearer …`);
//! the pages (see [`pages`]) for people signed in with a session cookie.
//! Every route checks the caller's role and scope.

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use irmer_core::incident::{CivilDate, Modality};
use irmer_core::lifecycle::{IncidentStatus, Transition};
use irmer_core::{Outcome, assess, parse_incident_slice};
use irmer_store::accounts::{AccountStore, Action};
use irmer_store::register::{Register, summary_view};
use irmer_store::{Filter, Owner, Sort, Store};
use serde_json::{Value, json};

pub mod app;
mod dates;
mod form;
mod html;
mod ics;
pub mod openapi;
pub mod pages;
mod problem;
pub mod send;
pub mod server;
mod shown_once;
pub mod statistics;
mod tasks_api;
#[cfg(feature = "testclient")]
pub mod testclient;

pub use app::App;
use app::{ApiUser, allow};
pub use html::security_headers;
pub use problem::Problem;

/// Every route the server answers, as (method, path): the router and the
/// OpenAPI document are both checked against this list.
pub const ROUTES: &[(&str, &str)] = &[
    ("post", "/api/v1/assess"),
    ("get", "/api/v1/incidents"),
    ("post", "/api/v1/incidents"),
    ("get", "/api/v1/incidents/{reference}"),
    ("patch", "/api/v1/incidents/{reference}"),
    ("get", "/api/v1/incidents/{reference}/history"),
    ("post", "/api/v1/incidents/{reference}/steps"),
    ("post", "/api/v1/incidents/{reference}/comments"),
    ("get", "/api/v1/incidents/{reference}/identity"),
    ("put", "/api/v1/incidents/{reference}/identity"),
    ("get", "/api/v1/tasks"),
    ("post", "/api/v1/tasks/{id}/steps"),
    ("get", "/api/v1/deadlines"),
    ("get", "/api/v1/statistics"),
    ("get", "/api/v1/trends"),
    ("get", "/api/v1/deadlines.ics"),
    ("get", "/calendar/{file}"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/healthz"),
];

/// The default page size, and the most a page may hold.
pub const DEFAULT_LIMIT: u32 = 50;

/// The longest search text.
pub const SEARCH_MAX: usize = 200;

/// The furthest a list may be paged (far beyond any register).
pub const MAX_OFFSET: u64 = 10_000_000;

pub fn router<S: Store + AccountStore>(app: App<S>) -> Router {
    Router::new()
        .route("/api/v1/assess", post(assess_one::<S>))
        .route("/api/v1/incidents", get(list::<S>).post(create::<S>))
        .route(
            "/api/v1/incidents/{reference}",
            get(show::<S>).patch(amend::<S>),
        )
        .route("/api/v1/incidents/{reference}/history", get(history::<S>))
        .route("/api/v1/incidents/{reference}/steps", post(step::<S>))
        .route("/api/v1/incidents/{reference}/comments", post(comment::<S>))
        .route(
            "/api/v1/incidents/{reference}/identity",
            get(identity::<S>).put(set_identity::<S>),
        )
        .route("/api/v1/tasks", get(tasks_api::tasks::<S>))
        .route("/api/v1/tasks/{id}/steps", post(tasks_api::task_step::<S>))
        .route("/api/v1/deadlines", get(deadlines::<S>))
        .route("/api/v1/statistics", get(statistics_json::<S>))
        .route("/api/v1/trends", get(trends_json::<S>))
        .route("/api/v1/deadlines.ics", get(calendar::<S>))
        .route("/calendar/{file}", get(calendar_feed::<S>))
        .route("/api/v1/openapi.json", get(openapi_json::<S>))
        .route("/healthz", get(|| async { "ok" }))
        .merge(pages::routes::<S>())
        .fallback(|| async {
            Problem::new(
                StatusCode::NOT_FOUND,
                "no-route",
                "No such resource",
                "see /api/v1/openapi.json",
            )
        })
        .with_state(app)
        .layer(axum::middleware::map_response(html::security_headers))
}

/// Serves until Ctrl-C or SIGTERM, finishing the requests under way, with
/// the [`server`]'s limits.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: server::Limits,
) -> std::io::Result<()> {
    // The accept loop runs as one of the runtime's tasks, not on the
    // thread that waits for it (the main thread, outside the workers):
    // there, every accepted connection and every closed one woke that
    // thread and then a worker, about 2.4 context switches a request
    // (BENCHMARKS.md, issue 16).
    tokio::spawn(server::serve(listener, router, limits, shutdown()))
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)))
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut r = (status, bytes).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
        Err(e) => Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            e.to_string(),
        )
        .into_response(),
    }
}

/// A JSON body, or a problem naming where it is malformed.
fn json_body(body: &Bytes) -> Result<Value, Problem> {
    irmer_core::parse::json_value(body).map_err(|e| Problem::input(&e))
}

/// The query string's parameters; every one must be known.
fn query(raw: Option<&str>, known: &[&str]) -> Result<HashMap<String, String>, Problem> {
    let mut params = HashMap::new();
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if !known.contains(&key.as_ref()) {
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "unknown-parameter",
                "Unknown query parameter",
                format!("unknown parameter {key:?}; known: {}", known.join(", ")),
            )
            .field(key.into_owned()));
        }
        params.insert(key.into_owned(), value.into_owned());
    }
    Ok(params)
}

fn bad_parameter(name: &str, expected: &str, found: &str) -> Problem {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "invalid-parameter",
        "Invalid query parameter",
        format!("{name}: expected {expected}, found {found:?}"),
    )
    .field(name)
}

/// A comma-separated list of kebab-case values.
fn list_of<T: Copy>(
    params: &HashMap<String, String>,
    name: &str,
    all: &[T],
    text: fn(T) -> &'static str,
) -> Result<Vec<T>, Problem> {
    let Some(value) = params.get(name) else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            all.iter().copied().find(|x| text(*x) == v).ok_or_else(|| {
                let names: Vec<&str> = all.iter().map(|x| text(*x)).collect();
                bad_parameter(name, &format!("one or more of {}", names.join(", ")), v)
            })
        })
        .collect()
}

fn date_param(params: &HashMap<String, String>, name: &str) -> Result<Option<CivilDate>, Problem> {
    params
        .get(name)
        .map(|v| CivilDate::parse(v).ok_or_else(|| bad_parameter(name, "a date as YYYY-MM-DD", v)))
        .transpose()
}

fn number_param(
    params: &HashMap<String, String>,
    name: &str,
    max: u64,
) -> Result<Option<u64>, Problem> {
    params
        .get(name)
        .map(|v| {
            v.parse::<u64>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| bad_parameter(name, &format!("a whole number from 0 to {max}"), v))
        })
        .transpose()
}

/// The list's query parameters (the register page takes the same, but its
/// own page size and no total).
pub(crate) const LIST_PARAMS: &[&str] = &[
    "q",
    "department",
    "site",
    "status",
    "modality",
    "outcome",
    "code",
    "overdue",
    "due_within",
    "discovered_from",
    "discovered_to",
    "sort",
    "limit",
    "offset",
    "total",
];

/// `total=true` asks for the exact count of what the filter selects (it
/// costs a read of every matching index entry).
fn want_total(params: &HashMap<String, String>) -> Result<bool, Problem> {
    match params.get("total").map(String::as_str) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(bad_parameter("total", "true or false", other)),
    }
}

pub(crate) fn filter_from(
    params: &HashMap<String, String>,
    today: CivilDate,
) -> Result<Filter, Problem> {
    let overdue = match params.get("overdue").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => return Err(bad_parameter("overdue", "true or false", other)),
    };
    let due_within = number_param(params, "due_within", 3650)?;
    let code = params.get("code").cloned().filter(|c| !c.is_empty());
    if let Some(c) = &code
        && irmer_core::NotificationCode::parse(c).is_none()
    {
        return Err(bad_parameter(
            "code",
            "a notification code such as 2.2, 4.2a or M2.1",
            c,
        ));
    }
    let discovered_from = date_param(params, "discovered_from")?;
    let discovered_to = date_param(params, "discovered_to")?;
    if let (Some(from), Some(to)) = (discovered_from, discovered_to)
        && to < from
    {
        return Err(bad_parameter(
            "discovered_to",
            &format!("a date on or after discovered_from ({from})"),
            &to.to_string(),
        ));
    }
    let search = params.get("q").map(|q| q.trim()).filter(|q| !q.is_empty());
    if let Some(q) = search
        && q.chars().count() > SEARCH_MAX
    {
        return Err(bad_parameter(
            "q",
            &format!("at most {SEARCH_MAX} characters"),
            &q.chars().take(20).collect::<String>(),
        ));
    }
    let id = |name: &str, v: &str| {
        v.trim()
            .parse::<i64>()
            .map_err(|_| bad_parameter(name, "a department's or site's number", v))
    };
    let departments = params
        .get("department")
        .map(|v| {
            v.split(',')
                .filter(|d| !d.trim().is_empty())
                .map(|d| id("department", d))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    let site = params.get("site").map(|v| id("site", v)).transpose()?;
    Ok(Filter {
        search: search.map(str::to_owned),
        departments,
        site,
        status: list_of(
            params,
            "status",
            &IncidentStatus::ALL,
            IncidentStatus::as_str,
        )?,
        modality: list_of(params, "modality", Modality::ALL, Modality::as_str)?,
        outcome: list_of(params, "outcome", &Outcome::ALL, Outcome::as_str)?,
        code,
        discovered_from,
        discovered_to,
        due_before: overdue.then_some(today),
        due_by: due_within.map(|n| today.plus_days(u16::try_from(n).unwrap_or(u16::MAX))),
        scope: None,
        cause: None,
    })
}

async fn list<S: Store + AccountStore>(
    State(app): State<App<S>>,
    ApiUser(user): ApiUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let register = &app.register;
    let params = query(raw.as_deref(), LIST_PARAMS)?;
    let today = register.today();
    let mut filter = filter_from(&params, today)?;
    filter.scope = Some(user.scope());
    let sort = sort_from(&params)?;
    Ok(json_response(
        StatusCode::OK,
        &summary_page(register, &params, &filter, sort).await?,
    ))
}

pub(crate) fn sort_from(params: &HashMap<String, String>) -> Result<Sort, Problem> {
    Ok(match params.get("sort").map(String::as_str) {
        None | Some("discovered-newest") => Sort::DiscoveredNewest,
        Some("discovered-oldest") => Sort::DiscoveredOldest,
        Some("next-due") => Sort::NextDue,
        Some("reference") => Sort::Reference,
        Some(other) => {
            return Err(bad_parameter(
                "sort",
                "discovered-newest, discovered-oldest, next-due or reference",
                other,
            ));
        }
    })
}

/// One page of summaries, as list and deadlines return it.
async fn summary_page<S: Store>(
    register: &Register<S>,
    params: &HashMap<String, String>,
    filter: &Filter,
    sort: Sort,
) -> Result<SummaryPage, Problem> {
    let today = register.today();
    let limit = number_param(params, "limit", u64::from(irmer_store::MAX_PAGE))?
        .map_or(DEFAULT_LIMIT, |n| n as u32);
    let offset = number_param(params, "offset", MAX_OFFSET)?.unwrap_or(0);
    let page = register.summaries(filter, sort, limit, offset).await?;
    let total = match want_total(params)? {
        true => Some(register.count(filter).await?),
        false => None,
    };
    let next = offset + page.items.len() as u64;
    Ok(SummaryPage {
        next_offset: page.more.then_some(next),
        items: page.items,
        today,
        total,
        limit,
        offset,
        show_today: false,
    })
}

/// A page of summaries, written straight from the rows: building a JSON
/// tree first (`json!`) and then writing it was about 7% of a list's CPU
/// (BENCHMARKS.md, issue 16). The keys come in the order that tree gave
/// them (alphabetical).
struct SummaryPage {
    items: Vec<irmer_store::Summary>,
    today: CivilDate,
    total: Option<u64>,
    limit: u32,
    offset: u64,
    next_offset: Option<u64>,
    /// The deadlines page also gives the date its deadlines are read on.
    show_today: bool,
}

impl serde::Serialize for SummaryPage {
    fn serialize<Ser: serde::Serializer>(&self, s: Ser) -> Result<Ser::Ok, Ser::Error> {
        use serde::ser::SerializeMap;
        struct Items<'a>(&'a [irmer_store::Summary], CivilDate);
        impl serde::Serialize for Items<'_> {
            fn serialize<Ser: serde::Serializer>(&self, s: Ser) -> Result<Ser::Ok, Ser::Error> {
                s.collect_seq(self.0.iter().map(|i| summary_view(i, self.1)))
            }
        }
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("items", &Items(&self.items, self.today))?;
        map.serialize_entry("limit", &self.limit)?;
        map.serialize_entry("next_offset", &self.next_offset)?;
        map.serialize_entry("offset", &self.offset)?;
        if self.show_today {
            map.serialize_entry("today", &self.today)?;
        }
        map.serialize_entry("total", &self.total)?;
        map.end()
    }
}

async fn create<S: Store + AccountStore>(
    State(app): State<App<S>>,
    ApiUser(user): ApiUser,
    body: Bytes,
) -> Result<Response, Problem> {
    allow(&user, Action::Report)?;
    let register = &app.register;
    let text = std::str::from_utf8(&body).map_err(|e| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed-json",
            "The body is not valid JSON",
            format!("not valid UTF-8 text (at byte {})", e.valid_up_to() + 1),
        )
    })?;
    let owner = Owner {
        department: user.department_id,
        reported_by: Some(user.id),
    };
    let record = register
        .report_as(text, &user.username, owner, user.scope())
        .await?;
    let mut response = json_response(StatusCode::CREATED, &record.view(register.today()));
    if let Ok(location) =
        HeaderValue::from_str(&format!("/api/v1/incidents/{}", encode(&record.reference)))
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// A path segment, percent-encoded.
fn encode(segment: &str) -> String {
    form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

async fn show<S: Store + AccountStore>(
    State(app): State<App<S>>,
    ApiUser(user): ApiUser,
    Path(reference): Path<String>,
) -> Result<Response, Problem> {
    let record = app.incident_for(&user, &reference, Action::See).await?;
    let mut response = json_response(StatusCode::OK, &record.view(app.register.today()));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", record.version)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    Ok(response)
}

/// `{"version": N, "reason": "…", "patch": {…}}`, or `version` from an
/// `If-Match: "N"` header.
/// The largest whole number a JSON number written as a float holds
/// exactly (2^53 - 1), as the OpenAPI document's maximum of a version.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

fn version_of(body: &Value, headers: &HeaderMap) -> Result<i64, Problem> {
    if let Some(v) = body.get("version") {
        // A whole number, however written (2 or 2.0, as JSON Schema reads
        // an integer).
        let whole = v.as_i64().or_else(|| {
            v.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() <= MAX_SAFE_INTEGER)
                .map(|f| f as i64)
        });
        return whole.filter(|n| *n >= 1).ok_or_else(|| {
            Problem::invalid(
                "version",
                format!(
                    "version: expected the version you read (a whole number, 1 or more), found {v}"
                ),
            )
        });
    }
    let header = headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_matches('"'));
    header.and_then(|v| v.parse::<i64>().ok()).ok_or_else(|| {
        Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "version-required",
            "The version you read is required",
            "version: give the version you read (in the body, or If-Match: \"N\"), so that a stale write is refused rather than merged",
        )
        .field("version")
    })
}

fn only_fields(body: &Value, allowed: &[&str]) -> Result<(), Problem> {
    let Some(map) = body.as_object() else {
        return Err(Problem::invalid("", "expected a JSON object"));
    };
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            return Err(Problem::invalid(
                key.clone(),
                format!(
                    "{key}: unknown field; expected one of {}",
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

async fn amend<S: Store + AccountStore>(
    State(app): State<App<S>>,
    ApiUser(user): ApiUser,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    app.incident_for(&user, &reference, Action::Investigate)
        .await?;
    let register = &app.register;
    let body = json_body(&body)?;
    only_fields(&body, &["version", "reason", "patch"])?;
    let version = version_of(&body, &headers)?;
    let reason = body
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let patch = body.get("patch").ok_or_else(|| {
        Problem::invalid(
            "patch",
            "patch: required, but missing (a JSON merge patch of the incident)",
        )
    })?;
    let record = register
        .amend(&reference, version, patch, reason, &user.username)
        .await?;
    Ok(json_response(
        StatusCode::OK,
        &record.view(register.today()),
    ))
}

async fn step<S: Store + AccountStore>(
    State(app): State<App<S>>,
    ApiUser(user): ApiUser,
    Path(reference): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    app.incident_for(&user, &reference, Action::Investigate)
        .await?;
    let register = &app.register;
    let mut body = json_body(&body)?;
    let version = version_of(&body, &headers)?;
    let reason = match body.get("reason") {
        None | Some(Value::Null) => None,
        Some(Value::String(r)) => Some(r.clone()),
        Some(other) => {
            return Err(Problem::invalid(
                "reason",
                format!("reason: expected text, found {other}"),
            ));
        }
    };
    if let Some(map) = body.as_object_mut() {
        map.remove("version");
        map.remove("reason");
    }
    let step: Transition = serde_json::from_value(body).map_err(|e| {
        let message = e.to_string();
        Problem::invalid(step_field(&message), format!("expected a step: {message}"))
    })?;
    let record = register
        .transition(
            &reference,
            version,
            &step,
            reason.as_deref(),
            &user.username,
        )
        .await?;
    Ok(json_response(
        StatusCode::OK,
        &record.view(register.today()),
    ))
}

/// The field a step's error is about: the one serde names, a date, or the
/// action itself.
fn step_field(message: &str) -> &str {
    for prefix in ["missing field `", "unknown field `"] {
        if let Some(name) = message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
        {
            return name;
        }
    }
    if message.contains("YYYY-MM-DD") {
        "date"
    } else {
        "action"
    }
}

async fn comment<S: Store + AccountStore>(
    State(app): State<App<S>>,
    ApiUser(user): ApiUser,
    Path(reference): Path<String>,
    body: Bytes,
) -> Result<Response, Problem> {
    app.incident_for(&user, &reference, Action::Comment).await?;
    let body = json_body(&body)?;
    only_fields(&body, &["comment"])?;
    let text = body
        .get("comment")
        .and_then(Value::as_str)
        .ok_or_else(|| Problem::invalid("comment", "comment: required (text)"))?;
    let record = app
        .register
        .comment(&reference, text, &user.username)
        .await?;
    Ok(json_response(
        StatusCode::CREATED,
        &record.view(app.register.today()),
    ))
}

/// Who the incident is about: investigators and administrators only,
/// within their scope (anyone else out of scope is told it does not exist).
async fn identity<S: Store + AccountStore>(
    State(app): State<App<S>>,
    ApiUser(user): ApiUser,
    Path(reference): Path<String>,
) -> Result<Response, Problem> {
    app.incident_for(&user, &reference, Action::HandleIdentity)
        .await?;
    let identity = app.register.identity(&reference).await?.unwrap_or_default();
    Ok(json_response(StatusCode::OK, &identity))
}

async fn set_identity<S: Store + AccountStore>(
    State(app): State<App<S>>,
    ApiUser(user): ApiUser,
    Path(reference): Path<String>,
    body: Bytes,
) -> Result<Response, Problem> {
    app.incident_for(&user, &reference, Action::HandleIdentity)
        .await?;
    let body = json_body(&body)?;
    app.register
        .set_identity(&reference, &body, &user.username)
        .await?;
    let identity = app.register.identity(&reference).await?.unwrap_or_default();
    Ok(json_response(StatusCode::OK, &identity))
}

async fn history<S: Store + AccountStore>(
    State(app): State<App<S>>,
    ApiUser(user): ApiUser,
    Path(reference): Path<String>,
) -> Result<Response, Problem> {
    app.incident_for(&user, &reference, Action::See).await?;
    let events = app.register.history(&reference).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"reference": reference, "events": events}),
    ))
}

async fn deadlines<S: Store + AccountStore>(
    State(app): State<App<S>>,
    ApiUser(user): ApiUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let register = &app.register;
    let params = query(raw.as_deref(), &["within", "limit", "offset", "total"])?;
    let today = register.today();
    let within = number_param(&params, "within", 3650)?;
    let filter = Filter {
        due_by: Some(match within {
            Some(n) => today.plus_days(n as u16),
            None => CivilDate::from_ymd(2999, 12, 31).unwrap_or(today),
        }),
        scope: Some(user.scope()),
        ..Filter::default()
    };
    let mut body = summary_page(register, &params, &filter, Sort::NextDue).await?;
    body.show_today = true;
    Ok(json_response(StatusCode::OK, &body))
}

/// The year's counts (by default the current financial year), within the
/// caller's scope.
async fn statistics_json<S: Store + AccountStore>(
    State(app): State<App<S>>,
    ApiUser(user): ApiUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let params = query(raw.as_deref(), &statistics::PARAMETERS)?;
    let today = app.register.today();
    let asked = statistics::asked(
        &params,
        today,
        irmer_stats::tally::current_financial_year(today),
    )?;
    let stats = statistics::count(&app, user.scope(), &asked).await?;
    Ok(json_response(StatusCode::OK, &stats))
}

/// The monthly series and control charts (by default the last 24 months).
async fn trends_json<S: Store + AccountStore>(
    State(app): State<App<S>>,
    ApiUser(user): ApiUser,
    RawQuery(raw): RawQuery,
) -> Result<Response, Problem> {
    let params = query(raw.as_deref(), &statistics::PARAMETERS)?;
    let today = app.register.today();
    let asked = statistics::asked(&params, today, irmer_stats::tally::last_24_months(today))?;
    let groups = statistics::trends(&app, user.scope(), &asked).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"from": asked.from, "to": asked.to, "by": asked.by, "groups": groups}),
    ))
}

async fn calendar<S: Store + AccountStore>(
    State(app): State<App<S>>,
    ApiUser(user): ApiUser,
) -> Result<Response, Problem> {
    deadlines_ics(&app, &user).await
}

/// The feed at its secret address (`irmercal_….ics`): for calendars,
/// which cannot send a token. Anything else is "not found".
async fn calendar_feed<S: Store + AccountStore>(
    State(app): State<App<S>>,
    Path(file): Path<String>,
) -> Result<Response, Problem> {
    let user = match file.strip_suffix(".ics") {
        Some(token) => app
            .accounts
            .calendar_user(token)
            .await
            .map_err(irmer_store::register::RegisterError::from)?,
        None => None,
    };
    match user {
        Some(user) => deadlines_ics(&app, &user).await,
        None => Err(Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "No such calendar feed",
            "no live calendar feed at this address; make one on the Deadlines page",
        )),
    }
}

async fn deadlines_ics<S: Store + AccountStore>(
    app: &App<S>,
    user: &irmer_store::accounts::User,
) -> Result<Response, Problem> {
    let items = app.register.deadlines(None, Some(user.scope())).await?;
    let tasks = app
        .register
        .store()
        .tasks(&irmer_store::tasks::TaskFilter {
            open: true,
            scope: Some(user.scope()),
            ..irmer_store::tasks::TaskFilter::default()
        })
        .await
        .map_err(irmer_store::register::RegisterError::from)?;
    let mut response = ics::calendar(&items, &tasks, app.register.now()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    Ok(response)
}

/// Stateless: an incident in, its assessment out.
async fn assess_one<S: Store + AccountStore>(
    State(app): State<App<S>>,
    ApiUser(_): ApiUser,
    body: Bytes,
) -> Result<Response, Problem> {
    let incident = parse_incident_slice(&body).map_err(|e| Problem::input(&e))?;
    let assessment = assess(&incident, app.register.guidance(), &app.register.settings());
    Ok(json_response(StatusCode::OK, &assessment))
}

async fn openapi_json<S: Store + AccountStore>(State(app): State<App<S>>) -> Response {
    json_response(
        StatusCode::OK,
        &openapi::document_for(app.register.taxonomy()),
    )
}
