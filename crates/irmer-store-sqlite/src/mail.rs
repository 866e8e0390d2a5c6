//! The outbox on SQLite.

use irmer_store::StoreError;
use irmer_store::columns::{self, OUTBOX_COLUMNS};
use irmer_store::mail::{Attempt, Mail, MailStatus, MailStore, Queued};
use sqlx::Sqlite;
use time::OffsetDateTime;

use crate::{Columns, SqliteStore, backend, timestamp};

/// Queues `mail` within a transaction of the writer's (what causes it is
/// written in the same one).
pub(crate) async fn insert_mail(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    mail: &Mail,
    at: OffsetDateTime,
) -> Result<i64, StoreError> {
    let at = timestamp(at);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO outbox (message_id, sender, recipient, subject, body, status, created_at, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, 'queued', $6, $6) RETURNING id",
    )
    .bind(&mail.message_id)
    .bind(&mail.from)
    .bind(&mail.to)
    .bind(&mail.subject)
    .bind(&mail.body)
    .bind(&at)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Duplicate(mail.message_id.clone())
        }
        _ => backend(e),
    })?;
    Ok(id)
}

impl MailStore for SqliteStore {
    async fn queue_mail(&self, mail: &Mail, at: OffsetDateTime) -> Result<i64, StoreError> {
        let mut tx = self.writer.begin().await.map_err(backend)?;
        let id = insert_mail(&mut tx, mail, at).await?;
        tx.commit().await.map_err(backend)?;
        Ok(id)
    }

    async fn queue_once(
        &self,
        key: &str,
        mail: &Mail,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut tx = self.writer.begin().await.map_err(backend)?;
        let id = insert_mail(&mut tx, mail, at).await?;
        // A key already there (another sweep's): the transaction, mail
        // and all, is rolled back when dropped.
        let fresh = sqlx::query(
            "INSERT INTO reminders (key, outbox_id, at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(id)
        .bind(timestamp(at))
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected()
            == 1;
        if !fresh {
            return Ok(false);
        }
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn due_mail(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<Queued>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE status = 'queued' AND next_attempt_at <= $1
             ORDER BY next_attempt_at, id LIMIT $2"
        ))
        .bind(timestamp(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *self.reader.get().await?)
        .await
        .map_err(backend)?;
        rows.iter().map(|r| columns::queued(&Columns(r))).collect()
    }

    async fn record_attempt(&self, id: i64, attempt: &Attempt) -> Result<(), StoreError> {
        let query = match attempt {
            Attempt::Sent { at } => sqlx::query(
                "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = $2, last_error = NULL WHERE id = $1",
            )
            .bind(id)
            .bind(timestamp(*at)),
            Attempt::NotSent { error, retry_at } => sqlx::query(
                "UPDATE outbox SET status = $2, attempts = attempts + 1, last_error = $3,
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
            return Err(StoreError::NotFound(format!("mail {id}")));
        }
        Ok(())
    }

    async fn outbox(&self, limit: u32, offset: u64) -> Result<Vec<Queued>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox ORDER BY id DESC LIMIT $1 OFFSET $2"
        ))
        .bind(i64::from(limit))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(&mut *self.reader.get().await?)
        .await
        .map_err(backend)?;
        rows.iter().map(|r| columns::queued(&Columns(r))).collect()
    }
}
