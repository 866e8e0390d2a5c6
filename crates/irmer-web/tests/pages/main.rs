//! The pages over real HTTP, on both backends, a module a feature: each
//! test starts its own server with the test organisation of
//! `Server::start` (departments 1 and 2, a user of each role).

#[path = "../common/mod.rs"]
mod common;
mod helpers;

mod admin;
mod forms;
mod identity;
mod incident;
mod investigation_report;
mod licences;
mod register;
mod reporting;
mod roles;
mod sending;
mod sign_in;
mod statistics;
mod tasks;
mod themes;
mod tokens;
