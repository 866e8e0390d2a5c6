//! irmer-authority: the enforcing authority's end of a notification.
//!
//! The guidance describes it: the provider submits the form, the authority
//! sends an automated e-mail with the notification reference, asks for
//! more if it needs to, waits for the full report, triages, reviews,
//! progresses by correspondence or a visit, closes, categorises and
//! publishes. This crate receives notifications ([`intake`]: read and
//! checked, identifiers refused, re-assessed with the same engine) and
//! serves them ([`api`]: `POST /api/v1/notifications` with an
//! organisation's token and an optional Idempotency-Key). Each
//! notification gets the next reference of the authority's series in the
//! transaction that keeps it and queues its acknowledgement.

use irmer_core::assessment::EnforcingAuthority;

mod admin;
pub mod annual;
pub mod api;
pub mod case;
pub mod intake;
pub mod licence;
pub mod pages;
pub mod public;
pub mod report;

/// The authority's whole server: the notifications API (with its own
/// state), the staff pages on the employer's accounts and sessions, and
/// the security headers on everything. The API's clock becomes the
/// register's.
pub fn router<S>(
    mut api: api::AuthorityApp<S>,
    web: irmer_web::App<S>,
    config: pages::CaseConfig,
) -> axum::Router
where
    S: irmer_store::Store
        + irmer_store::accounts::AccountStore
        + irmer_store::authority::AuthorityStore
        + irmer_store::mail::MailStore,
{
    // One clock for the server: the register's.
    let register = web.register.clone();
    api.clock = std::sync::Arc::new(move || register.now());
    let pages = irmer_web::pages::account_routes::<S>()
        .merge(pages::routes::<S>())
        .layer(axum::Extension(config))
        .with_state(web)
        .layer(axum::middleware::map_response(irmer_web::security_headers));
    api::router(api).merge(pages)
}

/// `cqc`, `hiw`, `his` or `rqia`.
pub fn parse_authority(text: &str) -> Result<EnforcingAuthority, String> {
    [
        EnforcingAuthority::Cqc,
        EnforcingAuthority::Hiw,
        EnforcingAuthority::His,
        EnforcingAuthority::Rqia,
    ]
    .into_iter()
    .find(|a| a.id() == text)
    .ok_or_else(|| {
        format!("{text:?} is not an enforcing authority; expected cqc, hiw, his or rqia")
    })
}

/// An organisation as a token names it: the name 1 to
/// [`intake::NAME_MAX`] characters, the code (if any) letters and digits
/// up to [`intake::CODE_MAX`]; else the field and what is wrong.
pub fn check_organisation(name: &str, code: Option<&str>) -> Result<(), (&'static str, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > intake::NAME_MAX {
        return Err((
            "organisation",
            format!(
                "the organisation's name: 1 to {} characters",
                intake::NAME_MAX
            ),
        ));
    }
    if let Some(c) = code
        && (c.is_empty()
            || c.len() > intake::CODE_MAX
            || !c.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return Err((
            "code",
            "the code: letters and digits (an ODS code such as RXX)".to_owned(),
        ));
    }
    Ok(())
}

/// A new organisation token: `irmer_org_` and 64 hex digits (256 random
/// bits), and the SHA-256 digest the register keeps.
pub fn new_organisation_token() -> Result<(String, [u8; 32]), String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| e.to_string())?;
    let token = format!("irmer_org_{}", hex::encode(bytes));
    Ok((token.clone(), digest(&token)))
}

/// The digest a token is kept and found by.
pub fn digest(token: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).into()
}
