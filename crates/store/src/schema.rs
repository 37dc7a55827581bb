//! The table registry, read from the migrated schema itself (never a hand-kept list): every
//! table of the database with its columns, primary key, identity columns and the tables it
//! references, in dependency order (each table after the tables its foreign keys point to).
//! Backup and restore copy exactly these tables, so a table added by a migration is carried
//! without anyone remembering to list it.

use crate::{Backend, Result, Store, StoreError};
use std::collections::{BTreeMap, BTreeSet};

/// How a column's values are carried between databases. The schema uses only BIGINT and TEXT
/// columns (so that both databases decode rows alike); any other type is refused by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Integer,
    Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnInfo {
    pub name: String,
    pub kind: ColumnKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    pub name: String,
    /// In the table's own column order.
    pub columns: Vec<ColumnInfo>,
    /// The primary key's columns in key order (empty when the table has none).
    pub primary_key: Vec<String>,
    /// Columns whose values come from a sequence (PostgreSQL identity columns; on SQLite an
    /// `INTEGER PRIMARY KEY`, which continues after the largest id by itself).
    pub identity: Vec<String>,
    /// Other tables this one's foreign keys reference.
    pub references: BTreeSet<String>,
}

impl TableInfo {
    /// `ORDER BY` for a stable row order: the primary key, else every column.
    pub fn order_by(&self) -> String {
        if self.primary_key.is_empty() {
            (1..=self.columns.len())
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            self.primary_key.join(", ")
        }
    }

    pub fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Tables of the migration machinery, not of Chengguo: a restored database is migrated by its
/// own binary.
fn is_internal(name: &str) -> bool {
    name.starts_with("_sqlx") || name.starts_with("sqlite_")
}

fn kind_of(table: &str, column: &str, declared: &str) -> Result<ColumnKind> {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") {
        Ok(ColumnKind::Integer)
    } else if t.contains("text") || t.contains("char") {
        Ok(ColumnKind::Text)
    } else {
        Err(StoreError::Invalid(format!(
            "column {table}.{column} has type '{declared}', which backup and restore do not carry \
             (the schema uses BIGINT and TEXT only)"
        )))
    }
}

impl Store {
    /// Every table of the migrated schema, in dependency order (see the module doc).
    pub async fn schema_tables(&self) -> Result<Vec<TableInfo>> {
        let tables = match self.backend() {
            Backend::Sqlite => self.sqlite_tables().await?,
            Backend::Postgres => self.postgres_tables().await?,
        };
        dependency_order(tables)
    }

    async fn sqlite_tables(&self) -> Result<Vec<TableInfo>> {
        let names: Vec<(String,)> =
            sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .fetch_all(self.pool())
                .await?;
        let mut out = Vec::new();
        for (name,) in names.into_iter().filter(|(n,)| !is_internal(n)) {
            let cols: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT name, type, CAST(pk AS BIGINT) FROM pragma_table_info($1) ORDER BY cid",
            )
            .bind(&name)
            .fetch_all(self.pool())
            .await?;
            let mut columns = Vec::new();
            let mut pk: Vec<(i64, String)> = Vec::new();
            for (col, declared, key) in &cols {
                columns.push(ColumnInfo {
                    name: col.clone(),
                    kind: kind_of(&name, col, declared)?,
                });
                if *key > 0 {
                    pk.push((*key, col.clone()));
                }
            }
            pk.sort();
            let primary_key: Vec<String> = pk.into_iter().map(|(_, c)| c).collect();
            // An INTEGER PRIMARY KEY is the rowid: new rows continue after the largest.
            let identity = match (primary_key.as_slice(), &columns[..]) {
                ([one], cols)
                    if cols
                        .iter()
                        .any(|c| &c.name == one && c.kind == ColumnKind::Integer) =>
                {
                    vec![one.clone()]
                }
                _ => Vec::new(),
            };
            let refs: Vec<(String,)> =
                sqlx::query_as("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list($1)")
                    .bind(&name)
                    .fetch_all(self.pool())
                    .await?;
            out.push(TableInfo {
                references: refs.into_iter().map(|(t,)| t).collect(),
                name,
                columns,
                primary_key,
                identity,
            });
        }
        Ok(out)
    }

    async fn postgres_tables(&self) -> Result<Vec<TableInfo>> {
        let names: Vec<(String,)> = sqlx::query_as(
            "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
        )
        .fetch_all(self.pool())
        .await?;
        let mut out = Vec::new();
        for (name,) in names.into_iter().filter(|(n,)| !is_internal(n)) {
            let cols: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
                "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT), \
                        CAST(is_identity AS TEXT), CAST(column_default AS TEXT) \
                 FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 \
                 ORDER BY ordinal_position",
            )
            .bind(&name)
            .fetch_all(self.pool())
            .await?;
            let mut columns = Vec::new();
            let mut identity = Vec::new();
            for (col, declared, is_identity, default) in &cols {
                columns.push(ColumnInfo {
                    name: col.clone(),
                    kind: kind_of(&name, col, declared)?,
                });
                let serial = default
                    .as_deref()
                    .is_some_and(|d| d.starts_with("nextval("));
                if is_identity == "YES" || serial {
                    identity.push(col.clone());
                }
            }
            let pk: Vec<(String,)> = sqlx::query_as(
                "SELECT CAST(k.column_name AS TEXT) \
                 FROM information_schema.table_constraints t \
                 JOIN information_schema.key_column_usage k \
                   ON k.constraint_schema = t.constraint_schema \
                  AND k.constraint_name = t.constraint_name \
                  AND k.table_name = t.table_name \
                 WHERE t.table_schema = current_schema() AND t.table_name = $1 \
                   AND t.constraint_type = 'PRIMARY KEY' \
                 ORDER BY k.ordinal_position",
            )
            .bind(&name)
            .fetch_all(self.pool())
            .await?;
            let refs: Vec<(String,)> = sqlx::query_as(
                "SELECT DISTINCT CAST(r.relname AS TEXT) FROM pg_constraint c \
                 JOIN pg_class t ON t.oid = c.conrelid \
                 JOIN pg_class r ON r.oid = c.confrelid \
                 JOIN pg_namespace n ON n.oid = t.relnamespace \
                 WHERE c.contype = 'f' AND n.nspname = current_schema() AND t.relname = $1",
            )
            .bind(&name)
            .fetch_all(self.pool())
            .await?;
            out.push(TableInfo {
                references: refs.into_iter().map(|(t,)| t).collect(),
                primary_key: pk.into_iter().map(|(c,)| c).collect(),
                name,
                columns,
                identity,
            });
        }
        Ok(out)
    }
}

/// Orders tables so that each comes after every table it references (a reference to itself is
/// left to row order: ids ascending). Among tables free to go, the alphabetical first goes first,
/// so the order is the same on both databases. A cycle is refused.
pub fn dependency_order(tables: Vec<TableInfo>) -> Result<Vec<TableInfo>> {
    let mut pending: BTreeMap<String, TableInfo> =
        tables.into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let next = pending
            .values()
            .find(|t| {
                t.references
                    .iter()
                    .all(|r| r == &t.name || done.contains(r) || !pending.contains_key(r))
            })
            .map(|t| t.name.clone());
        let Some(name) = next else {
            return Err(StoreError::Invalid(format!(
                "the foreign keys of {} form a cycle: no copy order exists",
                pending.keys().cloned().collect::<Vec<_>>().join(", ")
            )));
        };
        let t = pending.remove(&name).expect("found above");
        done.insert(name);
        out.push(t);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, refs: &[&str]) -> TableInfo {
        TableInfo {
            name: name.into(),
            columns: vec![],
            primary_key: vec![],
            identity: vec![],
            references: refs.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn orders_by_dependencies_then_name() {
        let order = dependency_order(vec![
            t("a_events", &["contracts"]),
            t("contracts", &["organizations"]),
            t("organizations", &[]),
            t("tree", &["tree"]),
        ])
        .unwrap();
        let names: Vec<&str> = order.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["organizations", "contracts", "a_events", "tree"]);
    }

    #[test]
    fn refuses_a_cycle() {
        let e = dependency_order(vec![t("a", &["b"]), t("b", &["a"]), t("c", &[])]).unwrap_err();
        assert!(e.to_string().contains("a, b"), "{e}");
    }
}
