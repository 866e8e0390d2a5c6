//! The dashboard's counts, kept for a moment.
//!
//! Counting every incident by status, and the overdue ones, reads an index
//! entry per incident: about 20 ms on PostgreSQL at 100,000 incidents, paid
//! again by every dashboard load. The counts change only when an incident
//! is written, so the register keeps them, marked with a generation that
//! every write through this process moves on: a write here shows on the
//! very next load. A write by another process (a second server, the
//! command line's import) cannot move it, so a kept count is also used for
//! at most [`COUNTS_FRESH_FOR`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use irmer_core::incident::CivilDate;
use irmer_core::lifecycle::IncidentStatus;

use crate::accounts::Scope;

/// How long counts are reused when this process has written nothing.
pub const COUNTS_FRESH_FOR: Duration = Duration::from_secs(5);

/// More scopes than this (one per department and per reporter asking) and
/// the kept counts are dropped and started again.
const MOST_KEPT: usize = 1024;

/// The counts a dashboard shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusCounts {
    /// Incidents with a deadline before today.
    pub overdue: u64,
    /// Every status, in lifecycle order, zero where there are none.
    pub by_status: Vec<(IncidentStatus, u64)>,
}

type Key = (Option<Scope>, CivilDate);

pub(crate) struct CountCache {
    generation: AtomicU64,
    fresh_for: Duration,
    kept: Mutex<HashMap<Key, (u64, Instant, StatusCounts)>>,
}

impl CountCache {
    pub(crate) fn new(fresh_for: Duration) -> Self {
        CountCache {
            generation: AtomicU64::new(0),
            fresh_for,
            kept: Mutex::new(HashMap::new()),
        }
    }

    /// The generation to mark counts read from now on.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Counts kept for the key, if no write has happened here since they
    /// were read and they are young enough.
    pub(crate) fn get(&self, key: &Key) -> Option<StatusCounts> {
        let now = self.generation();
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.get(key)
            .filter(|(generation, at, _)| *generation == now && at.elapsed() < self.fresh_for)
            .map(|(_, _, counts)| counts.clone())
    }

    /// Keeps counts read at `generation` (taken before the read began, so
    /// that a write finishing during the read makes them stale at once).
    pub(crate) fn put(&self, key: Key, generation: u64, counts: StatusCounts) {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= MOST_KEPT {
            kept.clear();
        }
        kept.insert(key, (generation, Instant::now(), counts));
    }

    /// Marks a write through this process; dropped when the write has
    /// finished, whether or not it succeeded (a failed write may still
    /// have changed something).
    pub(crate) fn writing(&self) -> Writing<'_> {
        Writing(&self.generation)
    }
}

pub(crate) struct Writing<'a>(&'a AtomicU64);

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}
