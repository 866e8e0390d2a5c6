//! Accounts in SQLite: rows only; the rules are `irmer_store::accounts`.

use irmer_store::StoreError;
use irmer_store::accounts::{
    AccountStore, AuditEntry, Decide, Decided, Department, Draft, EVERY_ADDRESS, Lock, NewUser,
    SessionRow, Site, Throttle, TokenRow, User,
};
use irmer_store::columns::{self, USER_COLUMNS, USER_COLUMNS_OF_U};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;

use crate::{Columns, SqliteStore, backend, read_time, timestamp};

fn read_user(row: &SqliteRow) -> Result<User, StoreError> {
    columns::user(&Columns(row))
}

/// `Duplicate(name)` for a unique key already taken, else a backend error.
fn taken(name: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Duplicate(name.to_owned())
        }
        _ => backend(e),
    }
}

impl AccountStore for SqliteStore {
    async fn count_users(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.writer)
            .await
            .map_err(backend)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn create_user(&self, new: &NewUser) -> Result<User, StoreError> {
        let row = sqlx::query(&format!(
            "INSERT INTO users (username, display_name, role, department_id, password_hash, must_change_password, created_at, email)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {USER_COLUMNS}"
        ))
        .bind(&new.username)
        .bind(&new.display_name)
        .bind(new.role.as_str())
        .bind(new.department_id)
        .bind(&new.password_hash)
        .bind(new.must_change_password)
        .bind(timestamp(OffsetDateTime::now_utc()))
        .bind(&new.email)
        .fetch_one(&self.writer)
        .await
        .map_err(taken(&new.username))?;
        read_user(&row)
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(&mut *self.reader.get().await?)
        .await
        .map_err(backend)?;
        row.as_ref().map(read_user).transpose()
    }

    async fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut *self.reader.get().await?)
            .await
            .map_err(backend)?;
        row.as_ref().map(read_user).transpose()
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY username"
        ))
        .fetch_all(&mut *self.reader.get().await?)
        .await
        .map_err(backend)?;
        rows.iter().map(read_user).collect()
    }

    async fn update_user(&self, user: &User) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE users SET display_name = $2, role = $3, department_id = $4, password_hash = $5,
                 must_change_password = $6, disabled = $7, email = $8
             WHERE id = $1",
        )
        .bind(user.id)
        .bind(&user.display_name)
        .bind(user.role.as_str())
        .bind(user.department_id)
        .bind(&user.password_hash)
        .bind(user.must_change_password)
        .bind(user.disabled)
        .bind(&user.email)
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn create_session(&self, s: &SessionRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id_digest, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&s.id_digest)
        .bind(s.user_id)
        .bind(&s.csrf)
        .bind(timestamp(s.created_at))
        .bind(timestamp(s.expires_at))
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn session(&self, id_digest: &str) -> Result<Option<(SessionRow, User)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT s.id_digest AS s_digest, s.csrf AS s_csrf, s.created_at AS s_created,
                    s.expires_at AS s_expires, {}
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_digest = $1",
            *USER_COLUMNS_OF_U
        ))
        .bind(id_digest)
        .fetch_optional(&mut *self.reader.get().await?)
        .await
        .map_err(backend)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let user = read_user(&row)?;
        let created: String = row.try_get("s_created").map_err(backend)?;
        let expires: String = row.try_get("s_expires").map_err(backend)?;
        let session = SessionRow {
            id_digest: row.try_get("s_digest").map_err(backend)?,
            user_id: user.id,
            csrf: row.try_get("s_csrf").map_err(backend)?,
            created_at: read_time(&created)?,
            expires_at: read_time(&expires)?,
        };
        Ok(Some((session, user)))
    }

    async fn delete_session(&self, id_digest: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id_digest = $1")
            .bind(id_digest)
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn delete_sessions_of(&self, user_id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn create_token(&self, t: &TokenRow) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "INSERT INTO api_tokens (digest, user_id, name, created_at, revoked) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&t.digest)
        .bind(t.user_id)
        .bind(&t.name)
        .bind(timestamp(t.created_at))
        .bind(t.revoked)
        .fetch_one(&self.writer)
        .await
        .map_err(backend)
    }

    async fn token_holder(&self, digest: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.digest = $1 AND NOT t.revoked",
            *USER_COLUMNS_OF_U
        ))
        .bind(digest)
        .fetch_optional(&mut *self.reader.get().await?)
        .await
        .map_err(backend)?;
        row.as_ref().map(read_user).transpose()
    }

    async fn tokens(&self, user_id: Option<i64>) -> Result<Vec<TokenRow>, StoreError> {
        let rows: Vec<(i64, i64, String, String, bool)> = sqlx::query_as(
            "SELECT id, user_id, name, created_at, revoked FROM api_tokens
             WHERE $1 IS NULL OR user_id = $1 ORDER BY id DESC",
        )
        .bind(user_id)
        .fetch_all(&mut *self.reader.get().await?)
        .await
        .map_err(backend)?;
        rows.into_iter()
            .map(|(id, user_id, name, created_at, revoked)| {
                Ok(TokenRow {
                    id,
                    digest: String::new(),
                    user_id,
                    name,
                    created_at: read_time(&created_at)?,
                    revoked,
                })
            })
            .collect()
    }

    async fn revoke_token(&self, id: i64) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE api_tokens SET revoked = TRUE WHERE id = $1 AND NOT revoked")
                .bind(id)
                .execute(&self.writer)
                .await
                .map_err(backend)?;
        Ok(done.rows_affected() == 1)
    }

    async fn sites(&self) -> Result<Vec<Site>, StoreError> {
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM sites ORDER BY name")
            .fetch_all(&mut *self.reader.get().await?)
            .await
            .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(id, name)| Site { id, name })
            .collect())
    }

    async fn create_site(&self, name: &str) -> Result<Site, StoreError> {
        let id: i64 = sqlx::query_scalar("INSERT INTO sites (name) VALUES ($1) RETURNING id")
            .bind(name)
            .fetch_one(&self.writer)
            .await
            .map_err(taken(name))?;
        Ok(Site {
            id,
            name: name.to_owned(),
        })
    }

    async fn departments(&self) -> Result<Vec<Department>, StoreError> {
        let rows: Vec<(i64, i64, String)> =
            sqlx::query_as("SELECT id, site_id, name FROM departments ORDER BY site_id, name")
                .fetch_all(&mut *self.reader.get().await?)
                .await
                .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|(id, site_id, name)| Department { id, site_id, name })
            .collect())
    }

    async fn create_department(&self, site_id: i64, name: &str) -> Result<Department, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO departments (site_id, name) VALUES ($1, $2) RETURNING id",
        )
        .bind(site_id)
        .bind(name)
        .fetch_one(&self.writer)
        .await
        .map_err(taken(name))?;
        Ok(Department {
            id,
            site_id,
            name: name.to_owned(),
        })
    }

    async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.writer)
            .await
            .map_err(backend)
    }

    async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn audit(&self, e: &AuditEntry) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO audit_log (at, actor, action, detail) VALUES ($1, $2, $3, $4)")
            .bind(timestamp(e.at))
            .bind(&e.actor)
            .bind(&e.action)
            .bind(&e.detail)
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT at, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&mut *self.reader.get().await?)
        .await
        .map_err(backend)?;
        rows.into_iter()
            .map(|(at, actor, action, detail)| {
                Ok(AuditEntry {
                    at: read_time(&at)?,
                    actor,
                    action,
                    detail,
                })
            })
            .collect()
    }

    async fn count_attempt(
        &self,
        username: &str,
        address: &str,
        now: OffsetDateTime,
        decide: Decide,
    ) -> Result<Decided, StoreError> {
        // The one writer connection serialises this transaction against
        // every other write of this process; BEGIN IMMEDIATE takes the
        // database's write lock first, against other processes. A dropped
        // transaction (a client gone) rolls back.
        let mut tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)?;
        let rows = sqlx::query(
            "SELECT address, failures, locks, locked_until FROM sign_in_attempts
             WHERE username = $1 AND address IN ($2, $3)",
        )
        .bind(username)
        .bind(address)
        .bind(EVERY_ADDRESS)
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        let (mut mine, mut every) = (Throttle::default(), Throttle::default());
        for row in &rows {
            let which: String = row.try_get("address").map_err(backend)?;
            let until: Option<String> = row.try_get("locked_until").map_err(backend)?;
            let failures: i64 = row.try_get("failures").map_err(backend)?;
            let locks: i64 = row.try_get("locks").map_err(backend)?;
            let t = Throttle {
                failures: u32::try_from(failures).unwrap_or(u32::MAX),
                locks: u32::try_from(locks).unwrap_or(u32::MAX),
                locked_until: until.as_deref().map(read_time).transpose()?,
            };
            if which == EVERY_ADDRESS {
                every = t;
            } else {
                mine = t;
            }
        }
        let decided = decide(mine, every, now);
        for (key, t) in [(address, decided.0), (EVERY_ADDRESS, decided.1)] {
            sqlx::query(
                "INSERT INTO sign_in_attempts (username, address, failures, locks, locked_until, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (username, address) DO UPDATE SET failures = excluded.failures,
                     locks = excluded.locks, locked_until = excluded.locked_until,
                     updated_at = excluded.updated_at",
            )
            .bind(username)
            .bind(key)
            .bind(i64::from(t.failures))
            .bind(i64::from(t.locks))
            .bind(t.locked_until.map(timestamp))
            .bind(timestamp(now))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        sqlx::query("DELETE FROM sign_in_attempts WHERE updated_at < $1")
            .bind(timestamp(now - time::Duration::days(2)))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(decided)
    }

    async fn clear_attempts(&self, username: &str, address: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sign_in_attempts WHERE username = $1 AND address IN ($2, $3)")
            .bind(username)
            .bind(address)
            .bind(EVERY_ADDRESS)
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn unlock(&self, username: &str, now: OffsetDateTime) -> Result<u64, StoreError> {
        let live = self
            .locks(now)
            .await?
            .iter()
            .filter(|l| l.username == username)
            .count();
        sqlx::query("DELETE FROM sign_in_attempts WHERE username = $1")
            .bind(username)
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(u64::try_from(live).unwrap_or(u64::MAX))
    }

    async fn locks(&self, now: OffsetDateTime) -> Result<Vec<Lock>, StoreError> {
        let rows = sqlx::query(
            "SELECT username, address, locked_until FROM sign_in_attempts
             WHERE locked_until IS NOT NULL ORDER BY username, address",
        )
        .fetch_all(&mut *self.reader.get().await?)
        .await
        .map_err(backend)?;
        let mut locks = Vec::new();
        for row in &rows {
            let until: String = row.try_get("locked_until").map_err(backend)?;
            let until = read_time(&until)?;
            if until > now {
                locks.push(Lock {
                    username: row.try_get("username").map_err(backend)?,
                    address: row.try_get("address").map_err(backend)?,
                    until,
                });
            }
        }
        Ok(locks)
    }

    async fn save_draft(
        &self,
        user_id: i64,
        id: Option<i64>,
        form: &str,
        at: OffsetDateTime,
    ) -> Result<i64, StoreError> {
        match id {
            Some(id) => {
                let done = sqlx::query(
                    "UPDATE drafts SET form = $3, updated_at = $4 WHERE id = $1 AND user_id = $2",
                )
                .bind(id)
                .bind(user_id)
                .bind(form)
                .bind(timestamp(at))
                .execute(&self.writer)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound(format!("draft {id}")));
                }
                Ok(id)
            }
            None => sqlx::query_scalar(
                "INSERT INTO drafts (user_id, form, updated_at) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(user_id)
            .bind(form)
            .bind(timestamp(at))
            .fetch_one(&self.writer)
            .await
            .map_err(backend),
        }
    }

    async fn drafts(&self, user_id: i64) -> Result<Vec<Draft>, StoreError> {
        let rows: Vec<(i64, i64, String, String)> = sqlx::query_as(
            "SELECT id, user_id, form, updated_at FROM drafts WHERE user_id = $1 ORDER BY updated_at DESC, id DESC",
        )
        .bind(user_id)
        .fetch_all(&self.writer)
        .await
        .map_err(backend)?;
        rows.into_iter()
            .map(|(id, user_id, form, updated)| {
                Ok(Draft {
                    id,
                    user_id,
                    form,
                    updated_at: read_time(&updated)?,
                })
            })
            .collect()
    }

    async fn delete_draft(&self, user_id: i64, id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM drafts WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
