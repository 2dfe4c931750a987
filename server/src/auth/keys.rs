//! Access keys: an AccessKeyId and a secret, for REST clients (`Authorization: Bearer
//! ID:SECRET`) and, with the same pair, SigV4 on the SageMaker protocol. The secret is
//! shown once and derived from the server's key, never stored (`secrets.rs`).

use axum::http::StatusCode;
use glassbox_app::model::KeyInfo;

use super::{secrets, Role, User};
use crate::error::ApiError;
use crate::service::{now, Service};

impl Service {
    fn server_key(&self) -> Result<Vec<u8>, ApiError> {
        secrets::server_key(&self.settings.data_dir).map_err(ApiError::internal)
    }

    /// A new key for account `user_name`.
    pub async fn create_key(&self, by: &str, user_name: &str) -> Result<KeyInfo, ApiError> {
        let Some((user, _)) = self.user_by_name(user_name).await? else {
            return Err(ApiError::not_found(format!(
                "no account named {user_name:?}"
            )));
        };
        let id = format!("GBK{}", secrets::random_base32(17));
        let secret = secrets::access_key_secret(&self.server_key()?, &id);
        let t = now();
        sqlx::query("INSERT INTO access_keys (id, user_id, created_at) VALUES (?, ?, ?)")
            .bind(&id)
            .bind(user.id)
            .bind(&t)
            .execute(&self.db)
            .await?;
        self.audit(by, "created", &format!("access key {id}"), Some(&user.name))
            .await;
        Ok(KeyInfo {
            id,
            secret: Some(secret),
            user: user.name,
            created_at: t,
            last_used_at: None,
        })
    }

    /// The keys in use: one account's, or everyone's (`None`).
    pub async fn keys(&self, user: Option<i64>) -> Result<Vec<KeyInfo>, ApiError> {
        let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT k.id, u.name, k.created_at, k.last_used_at FROM access_keys k \
             JOIN users u ON u.id = k.user_id \
             WHERE k.revoked_at IS NULL AND (? IS NULL OR k.user_id = ?) ORDER BY k.created_at",
        )
        .bind(user)
        .bind(user)
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, user, created_at, last_used_at)| KeyInfo {
                id,
                secret: None,
                user,
                created_at,
                last_used_at,
            })
            .collect())
    }

    /// Revokes a key: its own account's, or any when `admin`.
    pub async fn revoke_key(&self, by: &User, id: &str) -> Result<(), ApiError> {
        let done = sqlx::query(
            "UPDATE access_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND (user_id = ? OR ?)",
        )
        .bind(now())
        .bind(id)
        .bind(by.id)
        .bind(by.role == Role::Admin)
        .execute(&self.db)
        .await?;
        if done.rows_affected() == 0 {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no access key {id:?} of yours is in use"),
            ));
        }
        self.audit(&by.name, "revoked", &format!("access key {id}"), None)
            .await;
        Ok(())
    }

    /// The account of a key id and the key's secret (for SigV4), while the key is in use.
    pub async fn key_secret(&self, id: &str) -> Result<Option<(User, String)>, ApiError> {
        let row: Option<(i64, String, String)> = sqlx::query_as(
            "SELECT u.id, u.name, u.role FROM access_keys k JOIN users u ON u.id = k.user_id \
             WHERE k.id = ? AND k.revoked_at IS NULL AND u.removed_at IS NULL",
        )
        .bind(id)
        .fetch_optional(&self.db)
        .await?;
        let Some((uid, name, role)) = row else {
            return Ok(None);
        };
        let Some(role) = Role::parse(&role) else {
            return Ok(None);
        };
        let secret = secrets::access_key_secret(&self.server_key()?, id);
        Ok(Some((
            User {
                id: uid,
                name,
                role,
            },
            secret,
        )))
    }

    /// The account of `Authorization: Bearer ID:SECRET`, checked in constant time; the
    /// key's last use is recorded.
    pub(super) async fn bearer_user(
        &self,
        id: &str,
        secret: &str,
    ) -> Result<Option<User>, ApiError> {
        let Some((user, expected)) = self.key_secret(id).await? else {
            // Spend the same work as a known key would.
            let _ = secrets::same(secret.as_bytes(), &[0u8; 40]);
            return Ok(None);
        };
        if !secrets::same(secret.as_bytes(), expected.as_bytes()) {
            return Ok(None);
        }
        self.key_used(id).await?;
        Ok(Some(user))
    }

    /// Records a key's use.
    pub(super) async fn key_used(&self, id: &str) -> Result<(), ApiError> {
        sqlx::query("UPDATE access_keys SET last_used_at = ? WHERE id = ?")
            .bind(now())
            .bind(id)
            .execute(&self.db)
            .await?;
        Ok(())
    }
}
