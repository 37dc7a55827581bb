//! Accounts, roles, passwords (Argon2id), cookie sessions, API tokens and login throttling.
//!
//! Session ids and API tokens are random 256-bit values given to the client once; only their
//! SHA-256 is stored, so a copy of the database does not let anyone log in.

use crate::audit::append;
use crate::{now, Result, Store, StoreError};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use chengguo_core::{Actor, Role};
use rand::RngCore;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub org_id: Option<i64>,
    pub district_code: Option<String>,
    pub disabled: bool,
    pub created_at: String,
}

impl User {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.id,
            username: self.username.clone(),
            roles: self.roles.clone(),
            org_id: self.org_id,
            district_code: self.district_code.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub org_id: Option<i64>,
    pub district_code: Option<String>,
}

/// Random 32 bytes as hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn hash_password(pw: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Invalid(format!("password hashing failed: {e}")))
}

fn verify_password(pw: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A hash to verify against when the username does not exist, so both cases cost the same time.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("no such user").unwrap_or_default())
}

type UserTuple = (
    i64,
    String,
    String,
    Option<i64>,
    Option<String>,
    i64,
    String,
);
const USER_COLUMNS: &str =
    "id, username, display_name, org_id, district_code, disabled, created_at";

pub const MIN_PASSWORD_LEN: usize = 8;

impl Store {
    pub async fn create_user(&self, actor: &Actor, new: &NewUser) -> Result<User> {
        let username = new.username.trim();
        if username.is_empty() || username.len() > 64 || username.chars().any(char::is_whitespace) {
            return Err(StoreError::Invalid(
                "username must be 1–64 characters without spaces".into(),
            ));
        }
        if new.password.chars().count() < MIN_PASSWORD_LEN {
            return Err(StoreError::Invalid(format!(
                "password must have at least {MIN_PASSWORD_LEN} characters"
            )));
        }
        if new.roles.is_empty() {
            return Err(StoreError::Invalid(
                "an account needs at least one role".into(),
            ));
        }
        let pw = new.password.clone();
        let hash = tokio::task::spawn_blocking(move || hash_password(&pw))
            .await
            .map_err(|e| StoreError::Invalid(e.to_string()))??;
        let mut tx = self.begin_write().await?;
        let now = now();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO users (username, password_hash, display_name, org_id, district_code, disabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6) RETURNING id",
        )
        .bind(username)
        .bind(&hash)
        .bind(&new.display_name)
        .bind(new.org_id)
        .bind(new.district_code.as_deref())
        .bind(&now)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::from_db(e, &[("username", username)]))?;
        let mut roles = new.roles.clone();
        roles.sort();
        roles.dedup();
        for r in &roles {
            sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                .bind(id)
                .bind(r.as_str())
                .execute(&mut *tx)
                .await?;
        }
        let user = User {
            id,
            username: username.to_string(),
            display_name: new.display_name.clone(),
            roles,
            org_id: new.org_id,
            district_code: new.district_code.clone(),
            disabled: false,
            created_at: now,
        };
        // The audit keeps what the account is, never its password or hash.
        append(
            &mut tx,
            &actor.username,
            "create",
            "user",
            &id.to_string(),
            &json!(user),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn roles_of(&self, user_id: i64) -> Result<Vec<Role>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role")
                .bind(user_id)
                .fetch_all(self.pool())
                .await?;
        Ok(rows.into_iter().filter_map(|(r,)| r.parse().ok()).collect())
    }

    async fn user_from(&self, t: UserTuple) -> Result<User> {
        let (id, username, display_name, org_id, district_code, disabled, created_at) = t;
        Ok(User {
            roles: self.roles_of(id).await?,
            id,
            username,
            display_name,
            org_id,
            district_code,
            disabled: disabled != 0,
            created_at,
        })
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        let row: Option<UserTuple> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
        ))
        .bind(username.trim())
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(t) => Ok(Some(self.user_from(t).await?)),
            None => Ok(None),
        }
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>> {
        let row: Option<UserTuple> =
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
        match row {
            Some(t) => Ok(Some(self.user_from(t).await?)),
            None => Ok(None),
        }
    }

    pub async fn list_users(&self) -> Result<Vec<User>> {
        let rows: Vec<UserTuple> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY username"
        ))
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for t in rows {
            out.push(self.user_from(t).await?);
        }
        Ok(out)
    }

    /// Checks a username and password. `None` for an unknown user, a wrong password or a disabled
    /// account (the caller does not learn which).
    pub async fn check_password(&self, username: &str, password: &str) -> Result<Option<User>> {
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT id, password_hash FROM users WHERE username = $1 AND disabled = 0",
        )
        .bind(username.trim())
        .fetch_optional(self.pool())
        .await?;
        let (id, hash) = match row {
            Some(r) => r,
            None => (0, dummy_hash().to_string()),
        };
        let pw = password.to_string();
        let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &hash))
            .await
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        if !ok || id == 0 {
            return Ok(None);
        }
        self.user_by_id(id).await
    }

    /// Starts a session lasting `ttl_hours`; returns the session token for the cookie.
    pub async fn create_session(&self, user_id: i64, ttl_hours: i64) -> Result<String> {
        let token = random_token();
        let now_t = time::OffsetDateTime::now_utc();
        let expires = (now_t + time::Duration::hours(ttl_hours)).unix_timestamp();
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash(&token))
            .bind(user_id)
            .bind(now())
            .bind(expires.to_string())
            .execute(self.pool())
            .await?;
        Ok(token)
    }

    /// The account behind a live session token.
    pub async fn session_user(&self, token: &str) -> Result<Option<User>> {
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT s.user_id, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND u.disabled = 0",
        )
        .bind(token_hash(token))
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some((uid, exp))
                if exp.parse::<i64>().unwrap_or(0)
                    > time::OffsetDateTime::now_utc().unix_timestamp() =>
            {
                self.user_by_id(uid).await
            }
            _ => Ok(None),
        }
    }

    pub async fn delete_session(&self, token: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Creates an API token for a user; the token is returned once and stored only as a hash.
    pub async fn create_token(&self, actor: &Actor, user_id: i64, name: &str) -> Result<String> {
        let token = format!("cg_{}", random_token());
        let mut tx = self.begin_write().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO api_tokens (token_hash, user_id, name, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(token_hash(&token))
        .bind(user_id)
        .bind(name)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        append(
            &mut tx,
            &actor.username,
            "create",
            "api_token",
            &id.to_string(),
            &json!({"user_id": user_id, "name": name}),
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The account behind a bearer token.
    pub async fn token_user(&self, token: &str) -> Result<Option<User>> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND u.disabled = 0",
        )
        .bind(token_hash(token))
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some((uid,)) => self.user_by_id(uid).await,
            None => Ok(None),
        }
    }

    pub async fn record_login_failure(&self, username: &str, ip: &str) -> Result<()> {
        sqlx::query("INSERT INTO login_failures (username, ip, at) VALUES ($1, $2, $3)")
            .bind(username.trim())
            .bind(ip)
            .bind(now())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Failed logins for a username since `since` (RFC 3339).
    pub async fn login_failures_since(&self, username: &str, since: &str) -> Result<i64> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM login_failures WHERE username = $1 AND at >= $2")
                .bind(username.trim())
                .bind(since)
                .fetch_one(self.pool())
                .await?;
        Ok(n)
    }

    pub async fn clear_login_failures(&self, username: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE username = $1")
            .bind(username.trim())
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
