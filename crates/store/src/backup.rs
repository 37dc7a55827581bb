//! Online backup to a single SQLite file that is itself a working Chengguo database (it can be
//! served, verified with `chengguo audit verify`, or inspected with any SQLite tool).
//!
//! SQLite: `VACUUM INTO`, which copies one consistent snapshot while other connections keep
//! working. PostgreSQL: every table is read inside one `REPEATABLE READ` transaction (a single
//! snapshot) and written into a freshly migrated SQLite file.

use crate::{Backend, Result, Store, StoreError, Table};
use sqlx::{Column, Row};
use std::path::Path;

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct BackupSummary {
    pub tables: Vec<(String, u64)>,
}

impl Store {
    pub async fn backup_to(&self, path: &Path) -> Result<BackupSummary> {
        if path.exists() {
            return Err(StoreError::Invalid(format!(
                "{} already exists; choose a new file",
                path.display()
            )));
        }
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Invalid("backup path is not UTF-8".into()))?;
        match self.backend() {
            Backend::Sqlite => {
                sqlx::query(&format!("VACUUM INTO '{}'", target.replace('\'', "''")))
                    .execute(self.pool())
                    .await?;
                let copy = Store::connect(&format!("sqlite://{target}")).await?;
                let mut summary = BackupSummary::default();
                for t in Table::ALL {
                    summary
                        .tables
                        .push((t.name().to_string(), copy.count(t).await? as u64));
                }
                copy.close().await;
                Ok(summary)
            }
            Backend::Postgres => self.copy_into_sqlite(target).await,
        }
    }

    async fn copy_into_sqlite(&self, target: &str) -> Result<BackupSummary> {
        let dest = Store::open(&format!("sqlite://{target}")).await?;
        let mut src = self
            .pool()
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let mut out = dest.pool().begin().await?;
        let mut summary = BackupSummary::default();
        for t in Table::ALL {
            let rows = sqlx::query(&format!("SELECT * FROM {} ORDER BY 1", t.name()))
                .fetch_all(&mut *src)
                .await?;
            let mut n = 0u64;
            for row in &rows {
                let cols: Vec<String> =
                    row.columns().iter().map(|c| c.name().to_string()).collect();
                let placeholders: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "INSERT INTO {} ({}) VALUES ({})",
                    t.name(),
                    cols.join(", "),
                    placeholders.join(", ")
                );
                let mut q = sqlx::query(&sql);
                for i in 0..cols.len() {
                    // The schema has only BIGINT and TEXT columns.
                    q = match row.try_get::<Option<i64>, _>(i) {
                        Ok(v) => q.bind(v),
                        Err(_) => q.bind(row.try_get::<Option<String>, _>(i)?),
                    };
                }
                q.execute(&mut *out).await?;
                n += 1;
            }
            summary.tables.push((t.name().to_string(), n));
        }
        out.commit().await?;
        src.commit().await?;
        dest.close().await;
        Ok(summary)
    }
}
