//! The authority's register on SQLite. Writes go through the one writer
//! connection, so a series' next number is read and taken inside one
//! transaction with nothing in between.

use irmer_store::StoreError;
use irmer_store::authority::{
    AuthorityStore, NewNotification, NewReport, Notification, OrganisationToken, Received,
    ReceivedReport, Sender, reference,
};
use irmer_store::case::{CaseChange, CaseEvent, CaseFilter, NewCaseEvent, Risk, Stage};
use irmer_store::columns::{
    self, CASE_EVENT_COLUMNS, NOTIFICATION_COLUMNS, ORGANISATION_TOKEN_COLUMNS,
};
use irmer_store::mail::Mail;
use sqlx::Row as _;
use time::OffsetDateTime;

use crate::mail::insert_mail;
use crate::{Columns, SqliteStore, backend, timestamp};

impl AuthorityStore for SqliteStore {
    async fn receive(
        &self,
        new: &NewNotification,
        ack: &(dyn Fn(&str) -> Mail + Sync),
    ) -> Result<Received, StoreError> {
        let mut tx = self.writer.begin().await.map_err(backend)?;
        if let Some(key) = &new.idempotency_key {
            // The same key from the same token (or, without one, the same
            // form): the first notification's reference.
            let first: Option<String> = sqlx::query_scalar(
                "SELECT reference FROM notifications WHERE token_id IS $1 AND idempotency_key = $2",
            )
            .bind(new.token_id)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            if let Some(reference) = first {
                return Ok(Received {
                    reference,
                    created: false,
                });
            }
        }
        let year = new.received_at.year();
        let series = format!("{}-{}", new.authority, new.series.as_str());
        let number: i64 = sqlx::query_scalar(
            "INSERT INTO notification_numbers (series, year, last) VALUES ($1, $2, 1)
             ON CONFLICT (series, year) DO UPDATE SET last = notification_numbers.last + 1 RETURNING last",
        )
        .bind(&series)
        .bind(year)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let reference = reference(&new.authority, new.series, year, number);
        sqlx::query(
            "INSERT INTO notifications (reference, authority, series, organisation_name, organisation_code,
                contact_name, contact_email, facts, summary, provider_codes, assessment, codes, modality,
                discovered, report_due, status, token_id, idempotency_key, received_at, provider_type, chief_executive)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'received', $16, $17, $18, $19, $20)",
        )
        .bind(&reference)
        .bind(&new.authority)
        .bind(new.series.as_str())
        .bind(&new.organisation_name)
        .bind(&new.organisation_code)
        .bind(&new.contact_name)
        .bind(&new.contact_email)
        .bind(&new.facts)
        .bind(&new.summary)
        .bind(&new.provider_codes)
        .bind(&new.assessment)
        .bind(&new.codes)
        .bind(&new.modality)
        .bind(new.discovered.to_string())
        .bind(new.report_due.to_string())
        .bind(new.token_id)
        .bind(&new.idempotency_key)
        .bind(timestamp(new.received_at))
        .bind(&new.provider_type)
        .bind(&new.chief_executive)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let details = serde_json::json!({
            "by": if new.token_id.is_some() { "api" } else { "form" },
            "provider_codes": new.provider_codes,
            "codes": new.codes,
        })
        .to_string();
        insert_event(
            &mut tx,
            &reference,
            &NewCaseEvent {
                kind: "received",
                at: new.received_at,
                actor_id: None,
                actor: "the provider",
                details: &details,
                once: None,
            },
        )
        .await?;
        insert_mail(&mut tx, &ack(&reference), new.received_at).await?;
        tx.commit().await.map_err(backend)?;
        Ok(Received {
            reference,
            created: true,
        })
    }

    async fn notification(&self, reference: &str) -> Result<Option<Notification>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE reference = $1"
        ))
        .bind(reference)
        .fetch_optional(&mut *self.reader.get().await?)
        .await
        .map_err(backend)?;
        row.map(|r| columns::notification(&Columns(&r))).transpose()
    }

    async fn notifications(
        &self,
        filter: &CaseFilter,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<Notification>, StoreError> {
        let (conditions, texts, inspector) = filter.sql(3);
        let sql = format!(
            "SELECT {NOTIFICATION_COLUMNS} FROM notifications WHERE {conditions}
             ORDER BY received_at, id LIMIT $1 OFFSET $2"
        );
        let mut query = sqlx::query(&sql)
            .bind(i64::from(limit))
            .bind(i64::try_from(offset).unwrap_or(i64::MAX));
        for t in texts {
            query = query.bind(t);
        }
        if let Some(i) = inspector {
            query = query.bind(i);
        }
        let rows = query
            .fetch_all(&mut *self.reader.get().await?)
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|r| columns::notification(&Columns(r)))
            .collect()
    }

    async fn sender(&self, reference: &str) -> Result<Option<Sender>, StoreError> {
        let row: Option<(Option<i64>, String)> = sqlx::query_as(
            "SELECT token_id, organisation_name FROM notifications WHERE reference = $1",
        )
        .bind(reference)
        .fetch_optional(&mut *self.reader.get().await?)
        .await
        .map_err(backend)?;
        Ok(row.map(|(token_id, organisation_name)| Sender {
            token_id,
            organisation_name,
        }))
    }

    async fn add_report(
        &self,
        reference: &str,
        report: &NewReport<'_>,
    ) -> Result<(i64, bool), StoreError> {
        let mut tx = self.writer.begin().await.map_err(backend)?;
        let updated =
            sqlx::query("UPDATE notifications SET report_received_at = $2 WHERE reference = $1")
                .bind(reference)
                .bind(timestamp(report.at))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound(reference.to_owned()));
        }
        if let Some(key) = report.key {
            let first: Option<i64> = sqlx::query_scalar(
                "SELECT version FROM notification_reports WHERE reference = $1 AND idempotency_key = $2",
            )
            .bind(reference)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            if let Some(version) = first {
                // Nothing changes: the update is rolled back.
                return Ok((version, false));
            }
        }
        let version: i64 = sqlx::query_scalar(
            "INSERT INTO notification_reports (reference, version, content_type, body, idempotency_key, received_at, document)
             SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5, $6 FROM notification_reports WHERE reference = $1
             RETURNING version",
        )
        .bind(reference)
        .bind(report.content_type)
        .bind(report.body)
        .bind(report.key)
        .bind(timestamp(report.at))
        .bind(report.document)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let details =
            serde_json::json!({ "version": version, "content_type": report.content_type })
                .to_string();
        insert_event(
            &mut tx,
            reference,
            &NewCaseEvent {
                kind: "report-received",
                at: report.at,
                actor_id: None,
                actor: "the provider",
                details: &details,
                once: None,
            },
        )
        .await?;
        tx.commit().await.map_err(backend)?;
        Ok((version, true))
    }

    async fn reports_of(&self, reference: &str) -> Result<Vec<ReceivedReport>, StoreError> {
        let rows = sqlx::query(
            "SELECT reference, version, content_type, body, received_at, document FROM notification_reports
             WHERE reference = $1 ORDER BY version",
        )
        .bind(reference)
        .fetch_all(&mut *self.reader.get().await?)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|r| {
                let c = Columns(r);
                use irmer_store::columns::Columns as _;
                Ok(ReceivedReport {
                    reference: c.text("reference")?,
                    version: c.int("version")?,
                    content_type: c.text("content_type")?,
                    body: c.text("body")?,
                    document: r.try_get("document").map_err(backend)?,
                    received_at: c.time("received_at")?,
                })
            })
            .collect()
    }

    async fn record_case(
        &self,
        reference: &str,
        event: &NewCaseEvent<'_>,
        change: &CaseChange<'_>,
        mail: Option<&Mail>,
    ) -> Result<Option<i64>, StoreError> {
        let mut tx = self.writer.begin().await.map_err(backend)?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM notifications WHERE reference = $1")
                .bind(reference)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        if exists.is_none() {
            return Err(StoreError::NotFound(reference.to_owned()));
        }
        let Some(id) = insert_event(&mut tx, reference, event).await? else {
            return Ok(None);
        };
        let (inspector_set, inspector) = match change.inspector {
            Some(i) => (true, i),
            None => (false, None),
        };
        sqlx::query(
            "UPDATE notifications SET
                status = coalesce($2, status),
                risk = coalesce($3, risk),
                inspector_id = CASE WHEN $4 THEN $5 ELSE inspector_id END,
                sub_modality = coalesce($6, sub_modality),
                causes = coalesce($7, causes)
             WHERE reference = $1",
        )
        .bind(reference)
        .bind(change.stage.map(Stage::as_str))
        .bind(change.risk.map(Risk::as_str))
        .bind(inspector_set)
        .bind(inspector)
        .bind(change.category.map(|c| c.0))
        .bind(change.category.map(|c| c.1))
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        if let Some(m) = mail {
            insert_mail(&mut tx, m, event.at).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(Some(id))
    }

    async fn case_events(&self, reference: &str) -> Result<Vec<CaseEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CASE_EVENT_COLUMNS} FROM notification_events WHERE reference = $1 ORDER BY id"
        ))
        .bind(reference)
        .fetch_all(&mut *self.reader.get().await?)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|r| columns::case_event(&Columns(r)))
            .collect()
    }

    async fn add_organisation_token(
        &self,
        organisation_name: &str,
        organisation_code: Option<&str>,
        digest: &[u8],
        at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "INSERT INTO organisation_tokens (organisation_name, organisation_code, digest, created_at)
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(organisation_name)
        .bind(organisation_code)
        .bind(digest)
        .bind(timestamp(at))
        .fetch_one(&self.writer)
        .await
        .map_err(backend)
    }

    async fn organisation_tokens(&self) -> Result<Vec<OrganisationToken>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {ORGANISATION_TOKEN_COLUMNS} FROM organisation_tokens ORDER BY id DESC"
        ))
        .fetch_all(&mut *self.reader.get().await?)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|r| columns::organisation_token(&Columns(r)))
            .collect()
    }

    async fn revoke_organisation_token(
        &self,
        id: i64,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE organisation_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(timestamp(at))
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn organisation_token(
        &self,
        digest: &[u8],
    ) -> Result<Option<OrganisationToken>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {ORGANISATION_TOKEN_COLUMNS} FROM organisation_tokens WHERE digest = $1 AND revoked_at IS NULL"
        ))
        .bind(digest)
        .fetch_optional(&mut *self.reader.get().await?)
        .await
        .map_err(backend)?;
        row.map(|r| columns::organisation_token(&Columns(&r)))
            .transpose()
    }
}

/// Appends an event to a case's history; its id, or `None` when its
/// `once` key is already there.
async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    reference: &str,
    event: &NewCaseEvent<'_>,
) -> Result<Option<i64>, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO notification_events (reference, kind, at, actor_id, actor, details, once)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (reference, once) DO NOTHING RETURNING id",
    )
    .bind(reference)
    .bind(event.kind)
    .bind(timestamp(event.at))
    .bind(event.actor_id)
    .bind(event.actor)
    .bind(event.details)
    .bind(event.once)
    .fetch_optional(&mut **tx)
    .await
    .map_err(backend)
}
