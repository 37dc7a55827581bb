//! Organizations: create, read, update, list, and all-or-nothing import.

use crate::audit::append;
use crate::sql::{like_pattern, Filter, Value};
use crate::{now, Page, Result, Store, StoreError};
use chengguo_core::access::{can_update_org, Denied};
use chengguo_core::{Actor, NewOrganization, OrgKind, Organization, OrganizationPatch};
use serde_json::json;

type OrgTuple = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    String,
    String,
);

const COLUMNS: &str =
    "id, name, credit_code, division_code, nature, kind, description, is_demo, created_at, updated_at";

fn to_org(t: OrgTuple) -> Organization {
    let (
        id,
        name,
        credit_code,
        division_code,
        nature,
        kind,
        description,
        is_demo,
        created_at,
        updated_at,
    ) = t;
    Organization {
        id,
        name,
        credit_code,
        division_code,
        nature,
        // Kinds are written only from `OrgKind::as_str`; an unknown one means a hand-edited row.
        kind: OrgKind::parse(&kind).unwrap_or(OrgKind::Enterprise),
        description,
        is_demo: is_demo != 0,
        created_at,
        updated_at,
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OrgSort {
    #[default]
    Name,
    CreditCode,
    Kind,
    Division,
    Created,
    Updated,
}

impl OrgSort {
    pub fn parse(s: &str) -> Option<OrgSort> {
        Some(match s {
            "name" => OrgSort::Name,
            "credit_code" => OrgSort::CreditCode,
            "kind" => OrgSort::Kind,
            "division_code" => OrgSort::Division,
            "created_at" => OrgSort::Created,
            "updated_at" => OrgSort::Updated,
            _ => return None,
        })
    }

    fn column(self) -> &'static str {
        match self {
            OrgSort::Name => "name",
            OrgSort::CreditCode => "credit_code",
            OrgSort::Kind => "kind",
            OrgSort::Division => "division_code",
            OrgSort::Created => "created_at",
            OrgSort::Updated => "updated_at",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct OrgQuery {
    /// Part of the name or of the credit code.
    pub q: Option<String>,
    pub kind: Option<OrgKind>,
    /// A division-code prefix (`2101` = Shenyang).
    pub division: Option<String>,
    pub sort: OrgSort,
    pub desc: bool,
    pub limit: i64,
    pub offset: i64,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct OrgImportOutcome {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

impl Store {
    pub async fn create_org(&self, actor: &Actor, new: &NewOrganization) -> Result<Organization> {
        let mut tx = self.begin_write().await?;
        let org = insert_org(&mut tx, new).await?;
        append(
            &mut tx,
            &actor.username,
            "create",
            "organization",
            &org.id.to_string(),
            &json!(org),
        )
        .await?;
        tx.commit().await?;
        Ok(org)
    }

    pub async fn get_org(&self, id: i64) -> Result<Option<Organization>> {
        let row: Option<OrgTuple> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM organizations WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(to_org))
    }

    pub async fn org_by_credit_code(&self, code: &str) -> Result<Option<Organization>> {
        let row: Option<OrgTuple> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM organizations WHERE credit_code = $1"
        ))
        .bind(code)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(to_org))
    }

    /// Applies a patch after checking, inside the transaction, that the actor may change this row.
    pub async fn update_org(
        &self,
        actor: &Actor,
        id: i64,
        patch: &OrganizationPatch,
    ) -> Result<Organization, UpdateError> {
        let mut tx = self.begin_write().await?;
        let row: Option<OrgTuple> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM organizations WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        let before = row
            .map(to_org)
            .ok_or_else(|| StoreError::NotFound(format!("organization {id}")))?;
        can_update_org(actor, &before, patch).map_err(UpdateError::Denied)?;
        let after = apply_patch(&mut tx, &before, patch).await?;
        if after != before {
            append(
                &mut tx,
                &actor.username,
                "update",
                "organization",
                &id.to_string(),
                &json!(patch),
            )
            .await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        Ok(after)
    }

    pub async fn list_orgs(&self, q: &OrgQuery) -> Result<Page<Organization>> {
        let mut w = Filter::default();
        if let Some(text) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let p1 = w.param(Value::Str(like_pattern(&text.to_lowercase())));
            let p2 = w.param(Value::Str(like_pattern(&text.to_uppercase())));
            w.push_raw(&format!(
                "(LOWER(name) LIKE {p1} ESCAPE '\\' OR credit_code LIKE {p2} ESCAPE '\\')"
            ));
        }
        if let Some(kind) = q.kind {
            w.push("kind = {}", Value::Str(kind.as_str().into()));
        }
        if let Some(d) = q
            .division
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            w.push(
                "division_code LIKE {}",
                Value::Str(format!("{}%", division_prefix(d))),
            );
        }
        let where_sql = w.where_sql();
        let (total,): (i64,) = sqlx::query_as_with(
            &format!("SELECT COUNT(*) FROM organizations{where_sql}"),
            w.args(),
        )
        .fetch_one(self.pool())
        .await?;
        let limit = q.limit.clamp(1, 10_000);
        let offset = q.offset.max(0);
        let dir = if q.desc { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT {COLUMNS} FROM organizations{where_sql} ORDER BY {} {dir}, id {dir} LIMIT {limit} OFFSET {offset}",
            q.sort.column()
        );
        let rows: Vec<OrgTuple> = sqlx::query_as_with(&sql, w.args())
            .fetch_all(self.pool())
            .await?;
        Ok(Page {
            items: rows.into_iter().map(to_org).collect(),
            total,
            limit,
            offset,
        })
    }

    /// Writes every row in one transaction: a row whose credit code exists updates that
    /// organization, others are created. Any failure rolls everything back.
    pub async fn import_orgs(
        &self,
        actor: &Actor,
        rows: &[NewOrganization],
    ) -> Result<OrgImportOutcome> {
        let mut tx = self.begin_write().await?;
        let mut out = OrgImportOutcome::default();
        for new in rows {
            let existing: Option<OrgTuple> = sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM organizations WHERE credit_code = $1"
            ))
            .bind(new.credit_code.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            match existing.map(to_org) {
                None => {
                    let org = insert_org(&mut tx, new).await?;
                    append(
                        &mut tx,
                        &actor.username,
                        "import",
                        "organization",
                        &org.id.to_string(),
                        &json!(org),
                    )
                    .await?;
                    out.created += 1;
                }
                Some(before) => {
                    let patch = OrganizationPatch {
                        name: Some(new.name.clone()),
                        credit_code: None,
                        division_code: Some(new.division_code.clone()),
                        nature: Some(new.nature.clone()),
                        kind: Some(new.kind),
                        description: if new.description.is_empty() {
                            None
                        } else {
                            Some(new.description.clone())
                        },
                    };
                    let after = apply_patch(&mut tx, &before, &patch).await?;
                    if after == before {
                        out.unchanged += 1;
                    } else {
                        append(
                            &mut tx,
                            &actor.username,
                            "import",
                            "organization",
                            &before.id.to_string(),
                            &json!(patch),
                        )
                        .await?;
                        out.updated += 1;
                    }
                }
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Every organization (for exports), in credit-code order.
    pub async fn all_orgs(&self) -> Result<Vec<Organization>> {
        let rows: Vec<OrgTuple> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM organizations ORDER BY credit_code"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(to_org).collect())
    }
}

/// Why an update did not happen.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error(transparent)]
    Denied(Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for UpdateError {
    fn from(e: sqlx::Error) -> Self {
        UpdateError::Store(StoreError::Db(e))
    }
}

pub(crate) async fn insert_org(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    new: &NewOrganization,
) -> Result<Organization> {
    let now = now();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO organizations (name, credit_code, division_code, nature, kind, description, is_demo, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(&new.name)
    .bind(new.credit_code.as_str())
    .bind(new.division_code.as_str())
    .bind(&new.nature)
    .bind(new.kind.as_str())
    .bind(&new.description)
    .bind(i64::from(new.is_demo))
    .bind(&now)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| StoreError::from_db(e, &[("credit_code", new.credit_code.as_str())]))?;
    Ok(Organization {
        id,
        name: new.name.clone(),
        credit_code: new.credit_code.to_string(),
        division_code: new.division_code.to_string(),
        nature: new.nature.clone(),
        kind: new.kind,
        description: new.description.clone(),
        is_demo: new.is_demo,
        created_at: now.clone(),
        updated_at: now,
    })
}

async fn apply_patch(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    before: &Organization,
    p: &OrganizationPatch,
) -> Result<Organization> {
    let mut after = before.clone();
    if let Some(v) = &p.name {
        after.name = v.clone();
    }
    if let Some(v) = &p.credit_code {
        after.credit_code = v.to_string();
    }
    if let Some(v) = &p.division_code {
        after.division_code = v.to_string();
    }
    if let Some(v) = &p.nature {
        after.nature = v.clone();
    }
    if let Some(v) = p.kind {
        after.kind = v;
    }
    if let Some(v) = &p.description {
        after.description = v.clone();
    }
    if after == *before {
        return Ok(after);
    }
    after.updated_at = now();
    sqlx::query(
        "UPDATE organizations SET name = $1, credit_code = $2, division_code = $3, nature = $4, kind = $5, \
         description = $6, updated_at = $7 WHERE id = $8",
    )
    .bind(&after.name)
    .bind(&after.credit_code)
    .bind(&after.division_code)
    .bind(&after.nature)
    .bind(after.kind.as_str())
    .bind(&after.description)
    .bind(&after.updated_at)
    .bind(after.id)
    .execute(&mut **tx)
    .await
    .map_err(|e| StoreError::from_db(e, &[("credit_code", &after.credit_code)]))?;
    Ok(after)
}

/// The prefix that selects a division and everything within it: `210000` → `21`, `210100` →
/// `2101`, `210106` → `210106`; a shorter prefix (`2101`) is taken as given.
pub fn division_prefix(code: &str) -> String {
    let c: String = code.chars().filter(|c| c.is_ascii_digit()).collect();
    if c.len() == 6 {
        if let Some(p) = c.strip_suffix("0000") {
            return p.to_string();
        }
        if let Some(p) = c.strip_suffix("00") {
            return p.to_string();
        }
    }
    c
}

/// A column organizations can be counted by.
#[derive(Debug, Clone, Copy)]
pub enum OrgGroup {
    Kind,
    Division,
}

impl Store {
    /// Organization counts per kind or per division code, largest first.
    pub async fn org_counts(&self, by: OrgGroup) -> Result<Vec<(String, i64)>> {
        let col = match by {
            OrgGroup::Kind => "kind",
            OrgGroup::Division => "division_code",
        };
        let rows: Vec<(String, i64)> = sqlx::query_as(&format!(
            "SELECT {col}, COUNT(*) AS n FROM organizations GROUP BY {col} ORDER BY n DESC, {col}"
        ))
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }
}
