//! Accounts and sessions.

use axum::http::StatusCode;
use glassbox_app::model::AccountInfo;

use super::{secrets, Actor, Role, User};
use crate::error::ApiError;
use crate::service::{now, timestamp, Service};

/// Why a sign-in failed.
#[derive(Debug)]
pub enum LoginError {
    /// Wrong name or password (never says which).
    Wrong,
    /// Too many failures: try again after this many seconds.
    Locked(u64),
}

/// Account names: what a teammate would type, and nothing that needs escaping to read.
fn check_name(name: &str) -> Result<(), ApiError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._@-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "username",
            "an account name has 1 to 64 letters, digits, '.', '_', '@' or '-'",
        ))
    }
}

fn check_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < 8 {
        return Err(ApiError::bad_request(
            "password",
            "a password has at least 8 characters",
        ));
    }
    if password.len() > 1024 {
        return Err(ApiError::bad_request(
            "password",
            "a password has at most 1024 bytes",
        ));
    }
    Ok(())
}

fn hashed(password: &str) -> Result<String, ApiError> {
    secrets::hash_password(password).map_err(ApiError::internal)
}

pub fn parse_role(role: &str) -> Result<Role, ApiError> {
    Role::parse(role).ok_or_else(|| {
        ApiError::bad_request(
            "role",
            format!("{role:?} is not a role: admin, member or viewer"),
        )
    })
}

fn expiry(seconds: i64) -> String {
    timestamp(chrono::Utc::now() + chrono::Duration::seconds(seconds))
}

impl Service {
    /// Team mode: at least one account exists.
    pub async fn team_mode(&self) -> Result<bool, ApiError> {
        use std::sync::atomic::Ordering;
        if self.team_seen.load(Ordering::Acquire) {
            return Ok(true);
        }
        // Local mode is confirmed at most once a second: the first account may be added
        // by the CLI while the server runs (one added here ends local mode at once).
        let fresh = |t: &Option<std::time::Instant>| {
            t.is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(1))
        };
        if fresh(&self.local_checked.lock().unwrap_or_else(|e| e.into_inner())) {
            return Ok(false);
        }
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE removed_at IS NULL")
            .fetch_one(&self.db)
            .await?;
        if n > 0 {
            self.team_seen.store(true, Ordering::Release);
        } else {
            *self.local_checked.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(std::time::Instant::now());
        }
        Ok(n > 0)
    }

    /// Adds an account. The first must be an admin, and takes over every data set and job
    /// made in local mode.
    pub async fn add_user(
        &self,
        by: &str,
        name: &str,
        role: Role,
        password: &str,
    ) -> Result<(), ApiError> {
        check_name(name)?;
        check_password(password)?;
        let first = !self.team_mode().await?;
        if first && role != Role::Admin {
            return Err(ApiError::bad_request(
                "role",
                "the first account must be an admin (glassbox user add NAME --admin)",
            ));
        }
        let hash = hashed(password)?;
        let mut tx = self.db.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(&hash)
        .bind(now())
        .execute(&mut *tx)
        .await;
        let id = crate::error::unless_taken(
            inserted,
            StatusCode::CONFLICT,
            "username",
            &format!("an account named {name:?}"),
        )?
        .last_insert_rowid();
        if first {
            sqlx::query("UPDATE datasets SET owner = ? WHERE owner IS NULL")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE jobs SET owner = ? WHERE owner IS NULL")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        // Local mode ends now, not at the next check.
        self.team_seen
            .store(true, std::sync::atomic::Ordering::Release);
        self.audit(by, "created", &format!("user {name}"), Some(role.as_str()))
            .await;
        Ok(())
    }

    /// Every account, by name.
    pub async fn users(&self) -> Result<Vec<AccountInfo>, ApiError> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT name, role, created_at FROM users WHERE removed_at IS NULL ORDER BY name",
        )
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(name, role, created_at)| AccountInfo {
                name,
                role,
                created_at,
            })
            .collect())
    }

    pub(super) async fn user_by_name(
        &self,
        name: &str,
    ) -> Result<Option<(User, String)>, ApiError> {
        let row: Option<(i64, String, String, String)> = sqlx::query_as(
            "SELECT id, name, role, password_hash FROM users WHERE name = ? AND removed_at IS NULL",
        )
        .bind(name)
        .fetch_optional(&self.db)
        .await?;
        Ok(row.and_then(|(id, name, role, hash)| {
            Some((
                User {
                    id,
                    name,
                    role: Role::parse(&role)?,
                },
                hash,
            ))
        }))
    }

    /// Removes an account: its sessions and access keys stop working at once; what it
    /// created stays, still named as theirs. The last admin cannot be removed.
    pub async fn remove_user(&self, by: &str, name: &str) -> Result<(), ApiError> {
        let Some((user, _)) = self.user_by_name(name).await? else {
            return Err(ApiError::not_found(format!("no account named {name:?}")));
        };
        if user.role == Role::Admin {
            let (admins,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM users WHERE role = 'admin' AND removed_at IS NULL",
            )
            .fetch_one(&self.db)
            .await?;
            if admins <= 1 {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    format!("{name} is the last admin; make another admin first"),
                ));
            }
        }
        let t = now();
        let mut tx = self.db.begin().await?;
        sqlx::query("UPDATE users SET removed_at = ? WHERE id = ?")
            .bind(&t)
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE access_keys SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
        )
        .bind(&t)
        .bind(user.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.audit(by, "deleted", &format!("user {name}"), None)
            .await;
        Ok(())
    }

    /// Checks a name and password, within the sign-in rate limit (by account and by
    /// address), and starts a session: the cookie's value is returned, its hash stored.
    pub async fn login(
        &self,
        name: &str,
        password: &str,
        address: &str,
    ) -> Result<(User, String), LoginError> {
        if let Some(wait) = self.limiter.wait(name, address) {
            return Err(LoginError::Locked(wait));
        }
        let found = self.user_by_name(name).await.ok().flatten();
        let hash = found
            .as_ref()
            .map(|(_, h)| h.as_str())
            .unwrap_or_else(|| secrets::dummy_hash());
        let ok = secrets::verify_password(password, hash);
        match found {
            Some((user, _)) if ok => {
                self.limiter.succeeded(name);
                let token = self
                    .new_session(user.id)
                    .await
                    .map_err(|_| LoginError::Wrong)?;
                self.audit(
                    &user.name,
                    "signed in",
                    &format!("user {}", user.name),
                    None,
                )
                .await;
                Ok((user, token))
            }
            _ => {
                self.limiter.failed(name, address);
                Err(LoginError::Wrong)
            }
        }
    }

    async fn new_session(&self, user: i64) -> Result<String, ApiError> {
        let token = secrets::random_token(32);
        let t = now();
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(secrets::token_hash(&token))
        .bind(user)
        .bind(&t)
        .bind(expiry(super::SESSION_SECONDS))
        .bind(&t)
        .execute(&self.db)
        .await?;
        Ok(token)
    }

    /// The account behind a session cookie, while the session lasts.
    pub(super) async fn session_user(&self, token: &str) -> Result<Option<User>, ApiError> {
        let row: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT u.id, u.name, u.role FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = ? AND s.expires_at > ? AND u.removed_at IS NULL",
        )
        .bind(secrets::token_hash(token))
        .bind(now())
        .fetch_optional(&self.db)
        .await?;
        Ok(row.and_then(|(id, name, role)| {
            Some(User {
                id,
                name,
                role: Role::parse(&role)?,
            })
        }))
    }

    /// Ends a session (logout). Unknown tokens are ignored.
    pub async fn end_session(&self, token: &str) -> Result<(), ApiError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(secrets::token_hash(token))
            .execute(&self.db)
            .await?;
        Ok(())
    }

    /// Changes a password after checking the current one; every other session of the
    /// account ends.
    pub async fn change_password(
        &self,
        user: &User,
        current: &str,
        new: &str,
        keep_session: Option<&str>,
    ) -> Result<(), ApiError> {
        let Some((_, hash)) = self.user_by_name(&user.name).await? else {
            return Err(ApiError::not_found("this account no longer exists"));
        };
        if !secrets::verify_password(current, &hash) {
            return Err(ApiError::bad_request(
                "current_password",
                "the current password is not right",
            ));
        }
        check_password(new).map_err(|e| ApiError::bad_request("new_password", e.message))?;
        let hash = hashed(new)?;
        let keep = keep_session.map(secrets::token_hash).unwrap_or_default();
        let mut tx = self.db.begin().await?;
        sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(&hash)
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?")
            .bind(user.id)
            .bind(&keep)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.audit(
            &user.name,
            "changed the password of",
            &format!("user {}", user.name),
            None,
        )
        .await;
        Ok(())
    }

    /// Who asks when no account exists: local mode, except on a network address, which
    /// is never open (even if the last account went away).
    pub(super) fn without_accounts(&self) -> Actor {
        if self.settings.exposed {
            Actor::Anonymous
        } else {
            Actor::Local
        }
    }
}
