//! Settings: defaults, overridden by an optional TOML file, overridden by `CHENGGUO_*` environment
//! variables and command-line flags (clap reads those two). See docs/CONFIGURATION.md.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `sqlite://chengguo.db` unless set.
    pub database_url: Option<String>,
    pub addr: Option<String>,
    pub log_json: bool,
    pub secure_cookies: bool,
    pub session_ttl_hours: i64,
    /// A session ends after this many minutes without a request.
    pub session_idle_minutes: i64,
    /// Failed logins of one username from one client address within the window.
    pub login_max_failures: i64,
    /// Failed logins from one client address, any usernames, within the window.
    pub login_max_failures_per_address: i64,
    pub login_window_minutes: i64,
    /// Proxies (addresses or CIDRs) whose X-Forwarded-For / X-Forwarded-Proto are believed.
    pub trusted_proxies: Vec<String>,
    /// A bearer token that opens /metrics to clients other than this machine.
    pub metrics_token: Option<String>,
    /// Lifetime of new API tokens, in days.
    pub api_token_days: i64,
    /// Password policy: least length (characters) and least number of character classes.
    pub password_min_length: usize,
    pub password_min_classes: usize,
    /// Search index directory; default next to an SQLite file (`chengguo.db.search`) or
    /// `chengguo-search-<hash>` for PostgreSQL. `CHENGGUO_SEARCH_INDEX_DIR`.
    pub search_index_dir: Option<std::path::PathBuf>,
    /// How often the server applies changes committed by other processes to its search index.
    pub search_sync_ms: u64,
    /// What an imported or uploaded file may be (the `[import]` table; docs/CONFIGURATION.md).
    pub import: ImportSettings,
}

/// The `[import]` table: limits on files (every upload, every import through the CLI, the API
/// and the pages) and on imports running at once. Environment: `CHENGGUO_IMPORT_<KEY>`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImportSettings {
    /// The largest upload (every request body) and the largest file the CLI imports.
    pub max_upload_bytes: u64,
    pub max_rows: usize,
    pub max_columns: usize,
    pub max_cell_chars: usize,
    pub max_row_bytes: usize,
    pub max_xlsx_part_bytes: u64,
    pub max_xlsx_ratio: u64,
    /// Imports running at once on one server.
    pub concurrency: usize,
    /// How long an import waits for its turn before it is answered 503.
    pub queue_wait_ms: u64,
}

impl Default for ImportSettings {
    fn default() -> Self {
        let l = chengguo_io::Limits::default();
        ImportSettings {
            max_upload_bytes: l.max_file_bytes,
            max_rows: l.max_rows,
            max_columns: l.max_columns,
            max_cell_chars: l.max_cell_chars,
            max_row_bytes: l.max_row_bytes,
            max_xlsx_part_bytes: l.max_part_bytes,
            max_xlsx_ratio: l.max_ratio,
            concurrency: 2,
            queue_wait_ms: 2_000,
        }
    }
}

impl ImportSettings {
    /// The reader limits these settings make.
    pub fn limits(&self) -> chengguo_io::Limits {
        chengguo_io::Limits {
            max_file_bytes: self.max_upload_bytes,
            max_rows: self.max_rows,
            max_columns: self.max_columns,
            max_cell_chars: self.max_cell_chars,
            max_row_bytes: self.max_row_bytes,
            max_part_bytes: self.max_xlsx_part_bytes,
            max_ratio: self.max_xlsx_ratio,
        }
    }

    fn apply_env(&mut self) {
        let env_u64 = |k: &str| {
            std::env::var(format!("CHENGGUO_IMPORT_{k}"))
                .ok()
                .and_then(|v| v.trim().replace('_', "").parse::<u64>().ok())
        };
        let set = |v: &mut u64, k: &str| {
            if let Some(n) = env_u64(k) {
                *v = n;
            }
        };
        let set_usize = |v: &mut usize, k: &str| {
            if let Some(n) = env_u64(k) {
                *v = usize::try_from(n).unwrap_or(usize::MAX);
            }
        };
        set(&mut self.max_upload_bytes, "MAX_UPLOAD_BYTES");
        set_usize(&mut self.max_rows, "MAX_ROWS");
        set_usize(&mut self.max_columns, "MAX_COLUMNS");
        set_usize(&mut self.max_cell_chars, "MAX_CELL_CHARS");
        set_usize(&mut self.max_row_bytes, "MAX_ROW_BYTES");
        set(&mut self.max_xlsx_part_bytes, "MAX_XLSX_PART_BYTES");
        set(&mut self.max_xlsx_ratio, "MAX_XLSX_RATIO");
        set_usize(&mut self.concurrency, "CONCURRENCY");
        set(&mut self.queue_wait_ms, "QUEUE_WAIT_MS");
        self.concurrency = self.concurrency.max(1);
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: None,
            addr: None,
            log_json: false,
            secure_cookies: false,
            session_ttl_hours: 12,
            session_idle_minutes: 30,
            login_max_failures: 5,
            login_max_failures_per_address: 20,
            login_window_minutes: 15,
            trusted_proxies: Vec::new(),
            metrics_token: None,
            api_token_days: 90,
            password_min_length: 8,
            password_min_classes: 3,
            search_index_dir: None,
            search_sync_ms: 250,
            import: ImportSettings::default(),
        }
    }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://chengguo.db";

impl Settings {
    pub fn load(file: Option<&Path>) -> Result<Settings> {
        let mut s = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading settings {}", p.display()))?;
                toml::from_str(&text).with_context(|| format!("settings {}", p.display()))?
            }
            None => Settings::default(),
        };
        let env_i64 = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<i64>().ok());
        if let Some(v) = env_i64("CHENGGUO_SESSION_TTL_HOURS") {
            s.session_ttl_hours = v;
        }
        if let Some(v) = env_i64("CHENGGUO_LOGIN_MAX_FAILURES") {
            s.login_max_failures = v;
        }
        if let Some(v) = env_i64("CHENGGUO_LOGIN_WINDOW_MINUTES") {
            s.login_window_minutes = v;
        }
        if let Some(v) = env_i64("CHENGGUO_SESSION_IDLE_MINUTES") {
            s.session_idle_minutes = v;
        }
        if let Some(v) = env_i64("CHENGGUO_LOGIN_MAX_FAILURES_PER_ADDRESS") {
            s.login_max_failures_per_address = v;
        }
        if let Ok(v) = std::env::var("CHENGGUO_TRUSTED_PROXIES") {
            s.trusted_proxies = v
                .split(',')
                .map(|e| e.trim().to_string())
                .filter(|e| !e.is_empty())
                .collect();
        }
        if let Ok(v) = std::env::var("CHENGGUO_METRICS_TOKEN") {
            s.metrics_token = Some(v).filter(|t| !t.is_empty());
        }
        if let Some(v) = env_i64("CHENGGUO_API_TOKEN_DAYS") {
            s.api_token_days = v;
        }
        if let Some(v) = env_i64("CHENGGUO_PASSWORD_MIN_LENGTH") {
            s.password_min_length = v.max(0) as usize;
        }
        if let Some(v) = env_i64("CHENGGUO_PASSWORD_MIN_CLASSES") {
            s.password_min_classes = v.max(0) as usize;
        }
        if s.api_token_days < 1 {
            anyhow::bail!("api_token_days must be at least 1");
        }
        if s.session_idle_minutes < 1 {
            anyhow::bail!("session_idle_minutes must be at least 1");
        }
        if s.password_min_length < chengguo_store::MIN_PASSWORD_LEN {
            anyhow::bail!(
                "password_min_length must be at least {}",
                chengguo_store::MIN_PASSWORD_LEN
            );
        }
        if !(1..=4).contains(&s.password_min_classes) {
            anyhow::bail!("password_min_classes must be 1 to 4");
        }
        chengguo_web::net::TrustedProxies::parse(&s.trusted_proxies)
            .map_err(|e| anyhow::anyhow!("trusted_proxies: {e}"))?;
        if let Ok(v) = std::env::var("CHENGGUO_SEARCH_INDEX_DIR") {
            s.search_index_dir = Some(v.into());
        }
        if let Some(v) = env_i64("CHENGGUO_SEARCH_SYNC_MS") {
            s.search_sync_ms = v.max(10) as u64;
        }
        s.import.apply_env();
        if let Ok(v) = std::env::var("CHENGGUO_SECURE_COOKIES") {
            s.secure_cookies = matches!(v.as_str(), "1" | "true" | "yes");
        }
        Ok(s)
    }

    pub fn password_policy(&self) -> chengguo_core::PasswordPolicy {
        chengguo_core::PasswordPolicy {
            min_length: self.password_min_length,
            min_classes: self.password_min_classes,
        }
    }

    /// The trusted proxies (checked when the settings were loaded).
    pub fn trusted_proxies(&self) -> chengguo_web::net::TrustedProxies {
        chengguo_web::net::TrustedProxies::parse(&self.trusted_proxies).unwrap_or_default()
    }

    /// The search index directory for a database URL.
    pub fn search_index_dir(&self, database_url: &str) -> Option<std::path::PathBuf> {
        self.search_index_dir
            .clone()
            .or_else(|| chengguo_store::search::default_index_dir(database_url))
    }

    /// The flag (or DATABASE_URL, which clap reads into the flag) wins over the file.
    pub fn database_url(&self, flag: Option<&str>) -> String {
        flag.map(str::to_string)
            .or_else(|| self.database_url.clone())
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_flag() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(
            &p,
            "database_url = \"sqlite://x.db\"\nlogin_max_failures = 3\n",
        )
        .unwrap();
        let s = Settings::load(Some(&p)).unwrap();
        assert_eq!(s.database_url(None), "sqlite://x.db");
        assert_eq!(s.database_url(Some("postgres://h/db")), "postgres://h/db");
        assert_eq!(s.login_max_failures, 3);
        assert_eq!(Settings::default().database_url(None), DEFAULT_DATABASE_URL);
    }

    #[test]
    fn import_limits_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "[import]\nmax_rows = 1000000\nconcurrency = 4\n").unwrap();
        let s = Settings::load(Some(&p)).unwrap();
        assert_eq!(s.import.limits().max_rows, 1_000_000);
        assert_eq!(s.import.concurrency, 4);
        assert_eq!(s.import.max_upload_bytes, 64 * 1024 * 1024);
        assert_eq!(
            Settings::default().import.limits(),
            chengguo_io::Limits::default()
        );
        std::fs::write(&p, "[import]\nmax_rwos = 1\n").unwrap();
        assert!(Settings::load(Some(&p)).is_err());
    }

    #[test]
    fn security_settings() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(
            &p,
            "trusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]\nmetrics_token = \"m\"\n\
             session_idle_minutes = 10\npassword_min_classes = 4\n",
        )
        .unwrap();
        let s = Settings::load(Some(&p)).unwrap();
        assert!(s.trusted_proxies().contains("10.2.3.4".parse().unwrap()));
        assert_eq!(s.metrics_token.as_deref(), Some("m"));
        assert_eq!(s.session_idle_minutes, 10);
        assert_eq!(s.password_policy().min_classes, 4);
        std::fs::write(&p, "trusted_proxies = [\"proxy.example\"]\n").unwrap();
        assert!(Settings::load(Some(&p)).is_err());
        std::fs::write(&p, "password_min_length = 4\n").unwrap();
        assert!(Settings::load(Some(&p)).is_err());
    }

    #[test]
    fn unknown_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "databse_url = \"typo\"\n").unwrap();
        assert!(Settings::load(Some(&p)).is_err());
    }
}
