//! Secrets shown once, after a redirect: a new user's one-time password, a
//! new API token, a calendar address. A form that makes one answers
//! "303 See Other" (post/redirect/get, so that reloading the page never
//! makes a second), and the page it leads to takes the secret from here.
//!
//! Kept in memory only (a restart forgets them: make another), for the
//! user who made it alone, for at most [`KEEP_FOR`], and gone once read.
//! The key in the address is random and says nothing; the secret itself
//! never enters an address, a log or the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use time::{Duration, OffsetDateTime};

/// How long a secret waits to be shown.
pub const KEEP_FOR: Duration = Duration::minutes(10);

/// The most secrets waiting at once; beyond it the oldest is dropped.
const MOST: usize = 1000;

/// What is waiting: for whom, what, and until when.
struct Waiting {
    viewer: i64,
    what: &'static str,
    secret: String,
    until: OffsetDateTime,
}

/// The secrets waiting to be shown (cheap to clone: one shared map).
#[derive(Clone, Default)]
pub struct ShownOnce {
    waiting: Arc<Mutex<HashMap<String, Waiting>>>,
}

impl ShownOnce {
    /// Keeps `secret` (of kind `what`) for `viewer`; the key to put in the
    /// address of the page that shows it.
    pub fn keep(
        &self,
        viewer: i64,
        what: &'static str,
        secret: String,
        now: OffsetDateTime,
    ) -> Result<String, irmer_store::StoreError> {
        let key = irmer_store::accounts::secret()?;
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        waiting.retain(|_, w| w.until > now);
        if waiting.len() >= MOST {
            if let Some(oldest) = waiting
                .iter()
                .min_by_key(|(_, w)| w.until)
                .map(|(k, _)| k.clone())
            {
                waiting.remove(&oldest);
            }
        }
        waiting.insert(
            key.clone(),
            Waiting {
                viewer,
                what,
                secret,
                until: now + KEEP_FOR,
            },
        );
        Ok(key)
    }

    /// The secret under `key`, once, to the user who made it; `None` when
    /// it was shown already, expired, is of another kind or another user's
    /// (which leaves it waiting for its own).
    pub fn take(
        &self,
        key: &str,
        viewer: i64,
        what: &'static str,
        now: OffsetDateTime,
    ) -> Option<String> {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        let mine = waiting
            .get(key)
            .is_some_and(|w| w.viewer == viewer && w.what == what && w.until > now);
        if mine {
            waiting.remove(key).map(|w| w.secret)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_shown_once_to_its_maker_before_it_expires() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let once = ShownOnce::default();
        let key = once
            .keep(1, "password", "s3cret".into(), now)
            .expect("kept");
        assert_eq!(once.take(&key, 2, "password", now), None, "another user");
        assert_eq!(once.take(&key, 1, "token", now), None, "another kind");
        assert_eq!(
            once.take(&key, 1, "password", now).as_deref(),
            Some("s3cret")
        );
        assert_eq!(once.take(&key, 1, "password", now), None, "only once");
        let key = once.keep(1, "password", "later".into(), now).expect("kept");
        assert_eq!(once.take(&key, 1, "password", now + KEEP_FOR), None);
    }

    #[test]
    fn at_most_so_many_wait_and_the_oldest_goes_first() {
        let start = OffsetDateTime::UNIX_EPOCH;
        let once = ShownOnce::default();
        let first = once.keep(1, "token", "first".into(), start).expect("kept");
        for i in 1..=MOST {
            let at = start + Duration::milliseconds(i as i64);
            once.keep(1, "token", format!("{i}"), at).expect("kept");
        }
        assert_eq!(once.take(&first, 1, "token", start), None);
        assert_eq!(once.waiting.lock().expect("lock").len(), MOST);
    }
}
