//! Accounts, roles, passwords (Argon2id), cookie sessions, API tokens and login throttling.
//!
//! Session ids and API tokens are random 256-bit values given to the client once; only their
//! SHA-256 is stored, so a copy of the database does not let anyone log in. A session ends at its
//! absolute expiry or after it has been idle for its idle timeout; an API token at its expiry or
//! when revoked; both stop working as soon as their account is disabled. Every change to an
//! account, its password or its tokens is an audit entry.

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

/// How long an API token lives unless its creator asks for less (setting `api_token_days`).
pub const DEFAULT_TOKEN_DAYS: i64 = 90;
/// How long a session may stay idle unless set otherwise (setting `session_idle_minutes`).
pub const DEFAULT_IDLE_MINUTES: i64 = 30;
/// A session's or token's last use is written at most this often (seconds), so that reading
/// pages does not turn every request into a write.
const TOUCH_EVERY_SECS: i64 = 60;

/// What the store itself refuses whatever the configured policy: fewer than
/// [`MIN_PASSWORD_LEN`] characters, or only whitespace. The policy of the settings
/// ([`chengguo_core::PasswordPolicy`]) is applied by the callers where a person chooses a
/// password (pages, API, CLI); the demo loader's accounts pass only this floor.
fn check_password_floor(pw: &str) -> Result<()> {
    if pw.chars().count() < MIN_PASSWORD_LEN {
        return Err(StoreError::Invalid(format!(
            "password must have at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    if pw.chars().all(char::is_whitespace) {
        return Err(StoreError::Invalid(
            "password must not be only whitespace".into(),
        ));
    }
    Ok(())
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A time as the store writes times (see [`crate::now`]).
fn rfc3339(t: time::OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// An API token as listed (never the token itself).
#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub name: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl ApiToken {
    /// Neither revoked nor expired.
    pub fn active(&self) -> bool {
        let now = now();
        self.revoked_at.is_none() && self.expires_at.as_deref().is_some_and(|e| e > now.as_str())
    }
}

type TokenTuple = (
    i64,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);
const TOKEN_COLUMNS: &str = "t.id, t.user_id, u.username, t.name, t.created_at, t.expires_at, \
    t.last_used_at, t.revoked_at";

fn token_from(t: TokenTuple) -> ApiToken {
    let (id, user_id, username, name, created_at, expires_at, last_used_at, revoked_at) = t;
    ApiToken {
        id,
        user_id,
        username,
        name,
        created_at,
        expires_at,
        last_used_at,
        revoked_at,
    }
}

/// Login throttling limits: failed attempts within `window_secs` per (username, client address)
/// and per client address across usernames.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub per_account: i64,
    pub per_address: i64,
    pub window_secs: i64,
}

/// One login attempt, counted before its password is evaluated.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    account_key: String,
    address_key: String,
    /// This attempt's number within the window for (username, address) and for the address.
    pub account_count: i64,
    pub address_count: i64,
    limits: LoginLimits,
}

impl LoginAttempt {
    /// Over a limit: the password is not to be evaluated.
    pub fn refused(&self) -> bool {
        self.account_count > self.limits.per_account || self.address_count > self.limits.per_address
    }
    /// This failed attempt used up the (username, address) allowance: a lockout begins.
    pub fn locks_account(&self) -> bool {
        self.account_count == self.limits.per_account
    }
    /// This failed attempt used up the address's allowance.
    pub fn locks_address(&self) -> bool {
        self.address_count == self.limits.per_address
    }
}

impl Store {
    pub async fn create_user(&self, actor: &Actor, new: &NewUser) -> Result<User> {
        let username = new.username.trim();
        if username.is_empty() || username.len() > 64 || username.chars().any(char::is_whitespace) {
            return Err(StoreError::Invalid(
                "username must be 1–64 characters without spaces".into(),
            ));
        }
        check_password_floor(&new.password)?;
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

    /// Starts a session lasting `ttl_hours` with the default idle timeout; returns the session
    /// token for the cookie.
    pub async fn create_session(&self, user_id: i64, ttl_hours: i64) -> Result<String> {
        self.create_session_idle(user_id, ttl_hours, DEFAULT_IDLE_MINUTES)
            .await
    }

    /// Starts a session that ends after `ttl_hours`, or after `idle_minutes` without a request.
    pub async fn create_session_idle(
        &self,
        user_id: i64,
        ttl_hours: i64,
        idle_minutes: i64,
    ) -> Result<String> {
        let token = random_token();
        let now_t = unix_now();
        let expires = now_t + ttl_hours * 3600;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen, idle_secs) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token_hash(&token))
        .bind(user_id)
        .bind(now())
        .bind(expires.to_string())
        .bind(now_t)
        .bind(idle_minutes.max(1) * 60)
        .execute(self.pool())
        .await?;
        Ok(token)
    }

    /// The account behind a live session token (not expired, not idle too long, account enabled);
    /// records this use.
    pub async fn session_user(&self, token: &str) -> Result<Option<User>> {
        let hash = token_hash(token);
        let row: Option<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT s.user_id, s.expires_at, s.last_seen, s.idle_secs FROM sessions s \
             JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND u.disabled = 0",
        )
        .bind(&hash)
        .fetch_optional(self.pool())
        .await?;
        let now_t = unix_now();
        match row {
            Some((uid, exp, last_seen, idle)) => {
                if exp.parse::<i64>().unwrap_or(0) <= now_t || last_seen + idle <= now_t {
                    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                        .bind(&hash)
                        .execute(self.pool())
                        .await?;
                    return Ok(None);
                }
                if now_t - last_seen >= TOUCH_EVERY_SECS {
                    sqlx::query("UPDATE sessions SET last_seen = $1 WHERE token_hash = $2")
                        .bind(now_t)
                        .bind(&hash)
                        .execute(self.pool())
                        .await?;
                }
                self.user_by_id(uid).await
            }
            None => Ok(None),
        }
    }

    /// Moves a session's last use back by `secs` (tests of the idle timeout).
    #[doc(hidden)]
    pub async fn age_session(&self, token: &str, secs: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen = last_seen - $1 WHERE token_hash = $2")
            .bind(secs)
            .bind(token_hash(token))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, token: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash(token))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Creates an API token for a user, valid for [`DEFAULT_TOKEN_DAYS`]; the token is returned
    /// once and stored only as a hash.
    pub async fn create_token(&self, actor: &Actor, user_id: i64, name: &str) -> Result<String> {
        Ok(self
            .create_token_expiring(actor, user_id, name, DEFAULT_TOKEN_DAYS)
            .await?
            .0)
    }

    /// Creates an API token valid for `days` (at least one); returns it and its listing.
    pub async fn create_token_expiring(
        &self,
        actor: &Actor,
        user_id: i64,
        name: &str,
        days: i64,
    ) -> Result<(String, ApiToken)> {
        let token = format!("cg_{}", random_token());
        let created = now();
        let expires = rfc3339(time::OffsetDateTime::now_utc() + time::Duration::days(days.max(1)));
        let mut tx = self.begin_write().await?;
        let username: Option<(String,)> =
            sqlx::query_as("SELECT username FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((username,)) = username else {
            return Err(StoreError::NotFound(format!("user {user_id}")));
        };
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO api_tokens (token_hash, user_id, name, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(token_hash(&token))
        .bind(user_id)
        .bind(name)
        .bind(&created)
        .bind(&expires)
        .fetch_one(&mut *tx)
        .await?;
        append(
            &mut tx,
            &actor.username,
            "create",
            "api_token",
            &id.to_string(),
            &json!({"user_id": user_id, "username": username, "name": name, "expires_at": expires}),
        )
        .await?;
        tx.commit().await?;
        let info = ApiToken {
            id,
            user_id,
            username,
            name: name.to_string(),
            created_at: created,
            expires_at: Some(expires),
            last_used_at: None,
            revoked_at: None,
        };
        Ok((token, info))
    }

    /// The account behind a bearer token that is neither expired nor revoked, its account
    /// enabled; records this use (`last_used_at`, at most once a minute).
    pub async fn token_user(&self, token: &str) -> Result<Option<User>> {
        let now_s = now();
        let row: Option<(i64, i64, Option<String>)> = sqlx::query_as(
            "SELECT t.id, t.user_id, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND u.disabled = 0 AND t.revoked_at IS NULL \
             AND t.expires_at IS NOT NULL AND t.expires_at > $2",
        )
        .bind(token_hash(token))
        .bind(&now_s)
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some((id, uid, last)) => {
                let stale = rfc3339(
                    time::OffsetDateTime::now_utc() - time::Duration::seconds(TOUCH_EVERY_SECS),
                );
                if last.as_deref().is_none_or(|l| l < stale.as_str()) {
                    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                        .bind(&now_s)
                        .bind(id)
                        .execute(self.pool())
                        .await?;
                }
                self.user_by_id(uid).await
            }
            None => Ok(None),
        }
    }

    /// API tokens, newest first: of one account, or all (`None`).
    pub async fn list_tokens(&self, user_id: Option<i64>) -> Result<Vec<ApiToken>> {
        let rows: Vec<TokenTuple> = sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE ($1 = 0 OR t.user_id = $1) ORDER BY t.id DESC"
        ))
        .bind(user_id.unwrap_or(0))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(token_from).collect())
    }

    /// Revokes a token. With `owner`, only a token of that account (another's is `NotFound`, so
    /// the caller learns nothing about it). Revoking a revoked token changes nothing.
    pub async fn revoke_token(
        &self,
        actor: &Actor,
        token_id: i64,
        owner: Option<i64>,
    ) -> Result<ApiToken> {
        let mut tx = self.begin_write().await?;
        let row: Option<TokenTuple> = sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1"
        ))
        .bind(token_id)
        .fetch_optional(&mut *tx)
        .await?;
        let mut tok = match row.map(token_from) {
            Some(t) if owner.is_none_or(|o| o == t.user_id) => t,
            _ => return Err(StoreError::NotFound(format!("token {token_id}"))),
        };
        if tok.revoked_at.is_none() {
            let at = now();
            sqlx::query("UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 WHERE id = $3")
                .bind(&at)
                .bind(&actor.username)
                .bind(token_id)
                .execute(&mut *tx)
                .await?;
            append(
                &mut tx,
                &actor.username,
                "revoke",
                "api_token",
                &token_id.to_string(),
                &json!({"user_id": tok.user_id, "username": tok.username, "name": tok.name}),
            )
            .await?;
            tok.revoked_at = Some(at);
        }
        tx.commit().await?;
        Ok(tok)
    }

    /// Moves a token's expiry into the past (tests of expiry).
    #[doc(hidden)]
    pub async fn expire_token(&self, token_id: i64) -> Result<()> {
        sqlx::query("UPDATE api_tokens SET expires_at = $1 WHERE id = $2")
            .bind("2000-01-01T00:00:00.000000Z")
            .bind(token_id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Counts a login attempt before its password is evaluated: one atomic upsert per key, so
    /// parallel attempts get distinct numbers and at most the limit of them are evaluated.
    pub async fn begin_login_attempt(
        &self,
        username: &str,
        address: &str,
        limits: LoginLimits,
    ) -> Result<LoginAttempt> {
        let account_key = format!("user:{address}:{}", username.trim());
        let address_key = format!("addr:{address}");
        let account_count = self.throttle_hit(&account_key, limits.window_secs).await?;
        let address_count = self.throttle_hit(&address_key, limits.window_secs).await?;
        Ok(LoginAttempt {
            account_key,
            address_key,
            account_count,
            address_count,
            limits,
        })
    }

    /// A successful login: the account's count at this address starts again, and the attempt is
    /// taken back from the address's count (people sharing an address who log in correctly do
    /// not throttle each other).
    pub async fn login_succeeded(&self, attempt: &LoginAttempt) -> Result<()> {
        sqlx::query("DELETE FROM login_throttle WHERE key = $1")
            .bind(&attempt.account_key)
            .execute(self.pool())
            .await?;
        sqlx::query(
            "UPDATE login_throttle SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0",
        )
        .bind(&attempt.address_key)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    async fn throttle_hit(&self, key: &str, window_secs: i64) -> Result<i64> {
        let now_t = unix_now();
        let (n,): (i64,) = sqlx::query_as(
            "INSERT INTO login_throttle (key, window_start, attempts) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
             attempts = CASE WHEN login_throttle.window_start <= $3 THEN 1 \
                             ELSE login_throttle.attempts + 1 END, \
             window_start = CASE WHEN login_throttle.window_start <= $3 THEN $2 \
                                 ELSE login_throttle.window_start END \
             RETURNING attempts",
        )
        .bind(key)
        .bind(now_t)
        .bind(now_t - window_secs)
        .fetch_one(self.pool())
        .await?;
        Ok(n)
    }

    /// Checks the current password of an account (for a change of password by its holder).
    pub async fn verify_user_password(&self, user_id: i64, password: &str) -> Result<bool> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT password_hash FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(self.pool())
                .await?;
        let hash = row.map(|r| r.0).unwrap_or_else(|| dummy_hash().to_string());
        let pw = password.to_string();
        tokio::task::spawn_blocking(move || verify_password(&pw, &hash))
            .await
            .map_err(|e| StoreError::Invalid(e.to_string()))
    }

    /// Sets a new password. By the account's holder it is a `password_change` and every other
    /// session of the account ends (`keep_session` is the one to keep); by anyone else a
    /// `password_reset` and all its sessions end. The caller has applied the password policy.
    pub async fn set_password(
        &self,
        actor: &Actor,
        user_id: i64,
        password: &str,
        keep_session: Option<&str>,
    ) -> Result<()> {
        check_password_floor(password)?;
        let pw = password.to_string();
        let hash = tokio::task::spawn_blocking(move || hash_password(&pw))
            .await
            .map_err(|e| StoreError::Invalid(e.to_string()))??;
        let own = actor.user_id == user_id;
        let mut tx = self.begin_write().await?;
        let row: Option<(String,)> = sqlx::query_as("SELECT username FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((username,)) = row else {
            return Err(StoreError::NotFound(format!("user {user_id}")));
        };
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(&hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let keep = keep_session.filter(|_| own).map(token_hash);
        let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep.unwrap_or_default())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        append(
            &mut tx,
            &actor.username,
            if own {
                "password_change"
            } else {
                "password_reset"
            },
            "user",
            &user_id.to_string(),
            &json!({"username": username, "sessions_ended": ended}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Disables or enables an account. A disabled account cannot log in; its sessions are ended
    /// and its tokens refused (they work again if it is enabled before they expire). Nobody
    /// disables their own account.
    pub async fn set_user_disabled(
        &self,
        actor: &Actor,
        user_id: i64,
        disabled: bool,
    ) -> Result<User> {
        if disabled && actor.user_id == user_id {
            return Err(StoreError::Invalid(
                "an account cannot disable itself".into(),
            ));
        }
        let mut tx = self.begin_write().await?;
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT username, disabled FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((username, was)) = row else {
            return Err(StoreError::NotFound(format!("user {user_id}")));
        };
        if (was != 0) != disabled {
            sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
                .bind(i64::from(disabled))
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            let mut ended = 0;
            if disabled {
                ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            append(
                &mut tx,
                &actor.username,
                if disabled { "disable" } else { "enable" },
                "user",
                &user_id.to_string(),
                &json!({"username": username, "sessions_ended": ended}),
            )
            .await?;
        }
        tx.commit().await?;
        self.user_by_id(user_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {user_id}")))
    }

    /// Replaces an account's roles (audited with the roles before and after). Nobody removes the
    /// bureau role from their own account.
    pub async fn set_user_roles(
        &self,
        actor: &Actor,
        user_id: i64,
        roles: &[Role],
    ) -> Result<User> {
        let mut roles = roles.to_vec();
        roles.sort();
        roles.dedup();
        if roles.is_empty() {
            return Err(StoreError::Invalid(
                "an account needs at least one role".into(),
            ));
        }
        if actor.user_id == user_id
            && actor.roles.contains(&Role::Bureau)
            && !roles.contains(&Role::Bureau)
        {
            return Err(StoreError::Invalid(
                "an account cannot take the bureau role from itself".into(),
            ));
        }
        let before = self
            .user_by_id(user_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {user_id}")))?;
        if before.roles != roles {
            let mut tx = self.begin_write().await?;
            sqlx::query("DELETE FROM user_roles WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            for r in &roles {
                sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                    .bind(user_id)
                    .bind(r.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            let names = |rs: &[Role]| rs.iter().map(|r| r.as_str()).collect::<Vec<_>>();
            append(
                &mut tx,
                &actor.username,
                "change_roles",
                "user",
                &user_id.to_string(),
                &json!({"username": before.username, "before": names(&before.roles), "after": names(&roles)}),
            )
            .await?;
            tx.commit().await?;
        }
        self.user_by_id(user_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {user_id}")))
    }
}
