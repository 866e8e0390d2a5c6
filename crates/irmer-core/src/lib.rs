//! irmer-core: the IR(ME)R incident model and the notification criteria
//! engine.
//!
//! Pure by design: no IO, no clock (dates are arguments), no async. The
//! engine ([`assess`]) is a function of the incident, the guidance version
//! and the local settings, and gives the same assessment for the same three.
//!
//! - [`incident`]: the contract's incident model; [`parse`] reads it from
//!   JSON with errors that name the field.
//! - [`quantity`]: exact decimal quantities and factor comparisons.
//! - [`guidance`]: guidance versions, their rules and explanations.
//! - [`assessment`]: what the engine decides, and why.

pub mod assessment;
pub mod codes;
pub mod guidance;
pub mod incident;
pub mod licences;
pub mod lifecycle;
pub mod parse;
pub mod patch;
pub mod quantity;
pub mod radiopharmaceutical;
pub mod tasks;
mod wire;

pub use assessment::{Assessment, Outcome, Status};
pub use codes::{Criterion, CriterionId, Letter, NotificationCode};
pub use guidance::{GuidanceVersion, Settings, assess};
pub use incident::Incident;
pub use parse::{InputError, parse_incident, parse_incident_slice};
