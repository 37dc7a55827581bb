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
    pub login_max_failures: i64,
    pub login_window_minutes: i64,
    /// Search index directory; default next to an SQLite file (`chengguo.db.search`) or
    /// `chengguo-search-<hash>` for PostgreSQL. `CHENGGUO_SEARCH_INDEX_DIR`.
    pub search_index_dir: Option<std::path::PathBuf>,
    /// How often the server applies changes committed by other processes to its search index.
    pub search_sync_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: None,
            addr: None,
            log_json: false,
            secure_cookies: false,
            session_ttl_hours: 12,
            login_max_failures: 5,
            login_window_minutes: 15,
            search_index_dir: None,
            search_sync_ms: 250,
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
        if let Ok(v) = std::env::var("CHENGGUO_SEARCH_INDEX_DIR") {
            s.search_index_dir = Some(v.into());
        }
        if let Some(v) = env_i64("CHENGGUO_SEARCH_SYNC_MS") {
            s.search_sync_ms = v.max(10) as u64;
        }
        if let Ok(v) = std::env::var("CHENGGUO_SECURE_COOKIES") {
            s.secure_cookies = matches!(v.as_str(), "1" | "true" | "yes");
        }
        Ok(s)
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
    fn unknown_keys_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "databse_url = \"typo\"\n").unwrap();
        assert!(Settings::load(Some(&p)).is_err());
    }
}
