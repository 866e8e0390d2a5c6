//! Sends to the enforcing authority on SQLite.

use irmer_store::StoreError;
use irmer_store::columns::{self, SEND_COLUMNS};
use irmer_store::mail::MailStatus;
use irmer_store::sends::{NewSend, SendAttempt, SendStore, Sending};
use time::OffsetDateTime;

use crate::{Columns, SqliteStore, backend, timestamp};

impl SendStore for SqliteStore {
    async fn queue_send(&self, new: &NewSend) -> Result<i64, StoreError> {
        let at = timestamp(new.at);
        sqlx::query_scalar(
            "INSERT INTO authority_sends (reference, kind, authority, idempotency_key, body, actor, status, created_at, next_attempt_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $7) RETURNING id",
        )
        .bind(&new.reference)
        .bind(new.kind.as_str())
        .bind(&new.authority)
        .bind(&new.idempotency_key)
        .bind(&new.body)
        .bind(&new.actor)
        .bind(&at)
        .fetch_one(&self.writer)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Duplicate(new.reference.clone())
            }
            _ => backend(e),
        })
    }

    async fn due_sends(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<Sending>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SEND_COLUMNS} FROM authority_sends WHERE status = 'queued' AND next_attempt_at <= $1
             ORDER BY next_attempt_at, id LIMIT $2"
        ))
        .bind(timestamp(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *self.reader.get().await?)
        .await
        .map_err(backend)?;
        rows.iter().map(|r| columns::send(&Columns(r))).collect()
    }

    async fn record_send(&self, id: i64, attempt: &SendAttempt) -> Result<(), StoreError> {
        let query = match attempt {
            SendAttempt::Sent {
                at,
                authority_reference,
            } => sqlx::query(
                "UPDATE authority_sends SET status = 'sent', attempts = attempts + 1, sent_at = $2,
                 authority_reference = $3, last_error = NULL WHERE id = $1",
            )
            .bind(id)
            .bind(timestamp(*at))
            .bind(authority_reference),
            SendAttempt::NotSent { error, retry_at } => sqlx::query(
                "UPDATE authority_sends SET status = $2, attempts = attempts + 1, last_error = $3,
                 next_attempt_at = coalesce($4, next_attempt_at) WHERE id = $1",
            )
            .bind(id)
            .bind(if retry_at.is_some() {
                MailStatus::Queued.as_str()
            } else {
                MailStatus::Failed.as_str()
            })
            .bind(error)
            .bind(retry_at.map(timestamp)),
        };
        let done = query.execute(&self.writer).await.map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("send {id}")));
        }
        Ok(())
    }

    async fn sends_of(&self, reference: &str) -> Result<Vec<Sending>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SEND_COLUMNS} FROM authority_sends WHERE reference = $1 ORDER BY id"
        ))
        .bind(reference)
        .fetch_all(&mut *self.reader.get().await?)
        .await
        .map_err(backend)?;
        rows.iter().map(|r| columns::send(&Columns(r))).collect()
    }

    async fn troubled_sends(&self, limit: u32) -> Result<Vec<Sending>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SEND_COLUMNS} FROM authority_sends
             WHERE status = 'failed' OR (status = 'queued' AND last_error IS NOT NULL)
             ORDER BY id DESC LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&mut *self.reader.get().await?)
        .await
        .map_err(backend)?;
        rows.iter().map(|r| columns::send(&Columns(r))).collect()
    }
}
