//! Learning from incidents, as data and arithmetic (no IO): the
//! regulators' cause taxonomy ([`taxonomy`]), checked when it is loaded,
//! and statistical process control ([`spc`]): XmR charts with exact limits
//! and the special-cause rules of NHS England's "Making data count".

pub mod activity;
pub mod spc;
pub mod tally;
pub mod taxonomy;
