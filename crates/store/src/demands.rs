//! Technical demands: create, read, update, state actions, list with filters, all-or-nothing
//! import keyed by (owner, ref). Every change is audited in its transaction.

use crate::achievements::{fresh_ref, join_list, split_list, RecordError, RecordImportOutcome};
use crate::audit::append;
use crate::sql::{like_pattern, Filter, Value};
use crate::{now, Page, Result, Store, StoreError};
use chengguo_core::achievement::{ReadScope, Visibility};
use chengguo_core::demand::{self, Demand, DemandAction, DemandStatus, NewDemand};
use chengguo_core::{Actor, Fen};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;

/// A demand with its owner.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DemandView {
    #[serde(flatten)]
    pub demand: Demand,
    pub owner_name: String,
    pub owner_credit_code: String,
}

const COLUMNS: &str = "d.id, d.owner_org_id, d.ref, d.title, d.description, d.keywords, d.chain, d.tech_field, \
    d.budget_min_fen, d.budget_max_fen, d.deadline, d.cooperation_mode, d.district, d.visibility, d.contact_name, \
    d.contact_phone, d.status, d.published_at, d.is_demo, d.created_at, d.updated_at, o.name AS owner_name, \
    o.credit_code AS owner_credit_code";
const FROM: &str = "demands d JOIN organizations o ON o.id = d.owner_org_id";

fn to_view(r: &AnyRow) -> std::result::Result<DemandView, sqlx::Error> {
    Ok(DemandView {
        demand: Demand {
            id: r.try_get("id")?,
            owner_org_id: r.try_get("owner_org_id")?,
            reference: r.try_get("ref")?,
            title: r.try_get("title")?,
            description: r.try_get("description")?,
            keywords: split_list(&r.try_get::<String, _>("keywords")?),
            chain: r.try_get("chain")?,
            tech_field: r.try_get("tech_field")?,
            budget_min: r.try_get::<Option<i64>, _>("budget_min_fen")?.map(Fen),
            budget_max: r.try_get::<Option<i64>, _>("budget_max_fen")?.map(Fen),
            deadline: r.try_get("deadline")?,
            cooperation_mode: r.try_get("cooperation_mode")?,
            district: r.try_get("district")?,
            visibility: Visibility::parse(&r.try_get::<String, _>("visibility")?)
                .unwrap_or(Visibility::Restricted),
            contact_name: r.try_get("contact_name")?,
            contact_phone: r.try_get("contact_phone")?,
            status: DemandStatus::parse(&r.try_get::<String, _>("status")?)
                .unwrap_or(DemandStatus::Draft),
            published_at: r.try_get("published_at")?,
            is_demo: r.try_get::<i64, _>("is_demo")? != 0,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
        },
        owner_name: r.try_get("owner_name")?,
        owner_credit_code: r.try_get("owner_credit_code")?,
    })
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DemandSort {
    #[default]
    Published,
    Updated,
    Deadline,
    Title,
    BudgetMax,
}

impl DemandSort {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "published_at" => Self::Published,
            "updated_at" => Self::Updated,
            "deadline" => Self::Deadline,
            "title" => Self::Title,
            "budget_max" => Self::BudgetMax,
            _ => return None,
        })
    }
    fn column(self) -> &'static str {
        match self {
            Self::Published => "d.published_at",
            Self::Updated => "d.updated_at",
            Self::Deadline => "d.deadline",
            Self::Title => "d.title",
            Self::BudgetMax => "d.budget_max_fen",
        }
    }
}

/// A list query; without a status filter readers other than the owner and the bureau see
/// published demands whose deadline has not passed (`today`), unless `include_expired`.
#[derive(Debug, Clone, Default)]
pub struct DemandQuery {
    pub scope: ReadScope,
    pub q: Option<String>,
    pub status: Option<DemandStatus>,
    pub owner: Option<i64>,
    pub chain: Option<String>,
    pub tech_field: Option<String>,
    pub district: Option<String>,
    pub include_expired: bool,
    /// `YYYY-MM-DD`
    pub today: String,
    pub sort: DemandSort,
    pub desc: bool,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone)]
pub struct DemandImportRow {
    pub owner_org_id: i64,
    pub new: NewDemand,
    pub status: Option<DemandStatus>,
    /// The row as read (absent columns `None`): a re-import changes only the columns the file
    /// has. `None`: every field, as `new`.
    pub input: Option<demand::DemandInput>,
}

async fn insert(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    owner: i64,
    owner_division: &str,
    n: &NewDemand,
    status: DemandStatus,
    is_demo: bool,
    at: &str,
) -> std::result::Result<i64, StoreError> {
    let reference = if n.reference.is_empty() {
        fresh_ref()
    } else {
        n.reference.clone()
    };
    let district = if n.district.is_empty() {
        owner_division.to_string()
    } else {
        n.district.clone()
    };
    let published = (status == DemandStatus::Published).then(|| at.to_string());
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO demands (owner_org_id, ref, title, description, keywords, chain, chain_version, tech_field, \
         budget_min_fen, budget_max_fen, deadline, cooperation_mode, district, visibility, contact_name, contact_phone, \
         status, published_at, is_demo, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$20) RETURNING id",
    )
    .bind(owner)
    .bind(&reference)
    .bind(&n.title)
    .bind(&n.description)
    .bind(join_list(&n.keywords))
    .bind(&n.chain)
    .bind(chengguo_core::refdata::chains().version)
    .bind(&n.tech_field)
    .bind(n.budget_min.map(|f| f.0))
    .bind(n.budget_max.map(|f| f.0))
    .bind(&n.deadline)
    .bind(&n.cooperation_mode)
    .bind(&district)
    .bind(n.visibility.as_str())
    .bind(&n.contact_name)
    .bind(&n.contact_phone)
    .bind(status.as_str())
    .bind(&published)
    .bind(i64::from(is_demo))
    .bind(at)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| StoreError::from_db(e, &[("ref", &reference)]))?;
    Ok(id)
}

async fn write_back(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    d: &Demand,
) -> std::result::Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE demands SET title=$1, description=$2, keywords=$3, chain=$4, tech_field=$5, budget_min_fen=$6, \
         budget_max_fen=$7, deadline=$8, cooperation_mode=$9, district=$10, visibility=$11, contact_name=$12, \
         contact_phone=$13, status=$14, published_at=$15, updated_at=$16 WHERE id=$17",
    )
    .bind(&d.title)
    .bind(&d.description)
    .bind(join_list(&d.keywords))
    .bind(&d.chain)
    .bind(&d.tech_field)
    .bind(d.budget_min.map(|f| f.0))
    .bind(d.budget_max.map(|f| f.0))
    .bind(&d.deadline)
    .bind(&d.cooperation_mode)
    .bind(&d.district)
    .bind(d.visibility.as_str())
    .bind(&d.contact_name)
    .bind(&d.contact_phone)
    .bind(d.status.as_str())
    .bind(&d.published_at)
    .bind(&d.updated_at)
    .bind(d.id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn load(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: i64,
) -> std::result::Result<DemandView, RecordError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE d.id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    match row {
        Some(r) => Ok(to_view(&r)?),
        None => Err(StoreError::NotFound(format!("demand {id}")).into()),
    }
}

async fn owner_division(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    org: i64,
) -> std::result::Result<String, RecordError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT division_code FROM organizations WHERE id = $1")
            .bind(org)
            .fetch_optional(&mut **tx)
            .await?;
    row.map(|r| r.0)
        .ok_or_else(|| StoreError::NotFound(format!("organization {org}")).into())
}

/// Copies the fields of `n` onto `d` (the district falls back to the stored one).
fn overwrite(d: &mut Demand, n: &NewDemand) {
    d.title = n.title.clone();
    d.description = n.description.clone();
    d.keywords = n.keywords.clone();
    d.chain = n.chain.clone();
    d.tech_field = n.tech_field.clone();
    d.budget_min = n.budget_min;
    d.budget_max = n.budget_max;
    d.deadline = n.deadline.clone();
    d.cooperation_mode = n.cooperation_mode.clone();
    if !n.district.is_empty() {
        d.district = n.district.clone();
    }
    d.visibility = n.visibility;
    d.contact_name = n.contact_name.clone();
    d.contact_phone = n.contact_phone.clone();
}

impl Store {
    pub async fn create_demand(
        &self,
        actor: &Actor,
        owner_org_id: i64,
        new: &NewDemand,
    ) -> std::result::Result<DemandView, RecordError> {
        demand::can_edit(actor, owner_org_id)?;
        let mut tx = self.begin_write().await?;
        let div = owner_division(&mut tx, owner_org_id).await?;
        let at = now();
        let id = insert(
            &mut tx,
            owner_org_id,
            &div,
            new,
            DemandStatus::Draft,
            false,
            &at,
        )
        .await?;
        let v = load(&mut tx, id).await?;
        append(
            &mut tx,
            &actor.username,
            "create",
            "demand",
            &id.to_string(),
            &json!(v.demand),
        )
        .await?;
        tx.commit().await?;
        Ok(v)
    }

    pub async fn get_demand(&self, id: i64) -> Result<Option<DemandView>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE d.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => Some(to_view(&r)?),
            None => None,
        })
    }

    /// The demands with these ids, whatever their status, in no particular order (ids not found
    /// are left out; callers apply the read scope).
    pub async fn get_demands(&self, ids: &[i64]) -> Result<Vec<DemandView>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            // The ids are integers formatted here, not user text.
            let list = chunk
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",");
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM {FROM} WHERE d.id IN ({list})"
            ))
            .fetch_all(self.pool())
            .await?;
            for r in &rows {
                out.push(to_view(r)?);
            }
        }
        Ok(out)
    }

    /// Replaces the editable fields with `new` (a merged, fully parsed input).
    pub async fn update_demand(
        &self,
        actor: &Actor,
        id: i64,
        new: &NewDemand,
    ) -> std::result::Result<DemandView, RecordError> {
        let mut tx = self.begin_write().await?;
        let before = load(&mut tx, id).await?.demand;
        demand::can_edit(actor, before.owner_org_id)?;
        let mut d = before.clone();
        overwrite(&mut d, new);
        if d != before {
            d.updated_at = now();
            write_back(&mut tx, &d).await?;
            append(
                &mut tx,
                &actor.username,
                "update",
                "demand",
                &id.to_string(),
                &json!(new),
            )
            .await?;
        }
        let after = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The status of the demand `(owner, ref)`, if it exists (for import checks).
    pub async fn demand_status_by_ref(
        &self,
        owner_org_id: i64,
        reference: &str,
    ) -> Result<Option<DemandStatus>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT status FROM demands WHERE owner_org_id = $1 AND ref = $2")
                .bind(owner_org_id)
                .bind(reference)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.and_then(|(s,)| DemandStatus::parse(&s)))
    }

    pub async fn demand_action(
        &self,
        actor: &Actor,
        id: i64,
        action: DemandAction,
    ) -> std::result::Result<DemandView, RecordError> {
        let mut tx = self.begin_write().await?;
        let before = load(&mut tx, id).await?.demand;
        let to = demand::transition(actor, before.owner_org_id, before.status, action)?;
        let mut d = before.clone();
        let at = now();
        d.status = to;
        if to == DemandStatus::Published && d.published_at.is_none() {
            d.published_at = Some(at.clone());
        }
        d.updated_at = at;
        write_back(&mut tx, &d).await?;
        append(
            &mut tx,
            &actor.username,
            action.as_str(),
            "demand",
            &id.to_string(),
            &json!({"from": before.status, "to": to}),
        )
        .await?;
        let after = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn list_demands(&self, q: &DemandQuery) -> Result<Page<DemandView>> {
        let mut w = Filter::default();
        let s = &q.scope;
        if !s.all {
            let vis = if s.restricted {
                ""
            } else {
                " AND d.visibility = 'public'"
            };
            match s.org_id {
                Some(org) => {
                    let p = w.param(Value::Str(org.to_string()));
                    w.push_raw(&format!(
                        "((d.status = 'published'{vis}) OR d.owner_org_id = CAST({p} AS BIGINT))"
                    ));
                }
                None => w.push_raw(&format!("(d.status = 'published'{vis})")),
            }
        }
        if let Some(st) = q.status {
            w.push("d.status = {}", Value::Str(st.as_str().into()));
        }
        let default_view = q.status.is_none() || q.status == Some(DemandStatus::Published);
        if default_view && !q.include_expired && !q.today.is_empty() {
            let p = w.param(Value::Str(q.today.clone()));
            w.push_raw(&format!(
                "(d.status <> 'published' OR d.deadline IS NULL OR d.deadline >= {p})"
            ));
        }
        if let Some(o) = q.owner {
            w.push(
                "d.owner_org_id = CAST({} AS BIGINT)",
                Value::Str(o.to_string()),
            );
        }
        if let Some(c) = q.chain.as_deref().filter(|s| !s.is_empty()) {
            w.push("d.chain = {}", Value::Str(c.into()));
        }
        if let Some(f) = q.tech_field.as_deref().filter(|s| !s.is_empty()) {
            w.push("d.tech_field = {}", Value::Str(f.into()));
        }
        if let Some(dv) = q.district.as_deref().filter(|s| !s.is_empty()) {
            w.push(
                "d.district LIKE {}",
                Value::Str(format!("{}%", crate::division_prefix(dv))),
            );
        }
        if let Some(text) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let p = w.param(Value::Str(like_pattern(&text.to_lowercase())));
            w.push_raw(&format!(
                "(LOWER(d.title) LIKE {p} ESCAPE '\\' OR LOWER(d.keywords) LIKE {p} ESCAPE '\\' OR LOWER(d.description) LIKE {p} ESCAPE '\\')"
            ));
        }
        let where_sql = w.where_sql();
        let (total,): (i64,) =
            sqlx::query_as_with(&format!("SELECT COUNT(*) FROM {FROM}{where_sql}"), w.args())
                .fetch_one(self.pool())
                .await?;
        let limit = q.limit.clamp(1, 10_000);
        let offset = q.offset.max(0);
        let dir = if q.desc { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM}{where_sql} ORDER BY {} {dir}, d.id {dir} LIMIT {limit} OFFSET {offset}",
            q.sort.column()
        );
        let rows = sqlx::query_with(&sql, w.args())
            .fetch_all(self.pool())
            .await?;
        let items = rows
            .iter()
            .map(to_view)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Page {
            items,
            total,
            limit,
            offset,
        })
    }

    /// All rows in one transaction; (owner, ref) already present → update.
    pub async fn import_demands(
        &self,
        actor: &Actor,
        rows: &[DemandImportRow],
    ) -> std::result::Result<RecordImportOutcome, RecordError> {
        let mut tx = self.begin_write().await?;
        let mut out = RecordImportOutcome::default();
        for row in rows {
            demand::can_edit(actor, row.owner_org_id)?;
            let existing: Option<(i64,)> =
                sqlx::query_as("SELECT id FROM demands WHERE owner_org_id = $1 AND ref = $2")
                    .bind(row.owner_org_id)
                    .bind(&row.new.reference)
                    .fetch_optional(&mut *tx)
                    .await?;
            let at = now();
            match existing {
                None => {
                    let div = owner_division(&mut tx, row.owner_org_id).await?;
                    let status = row.status.unwrap_or(DemandStatus::Draft);
                    if !matches!(
                        status,
                        DemandStatus::Draft | DemandStatus::Published | DemandStatus::Closed
                    ) {
                        return Err(RecordError::Field(chengguo_core::FieldError::new(
                            "status",
                            format!("a new record cannot be imported as {}", status.as_str()),
                        )));
                    }
                    let id = insert(
                        &mut tx,
                        row.owner_org_id,
                        &div,
                        &row.new,
                        status,
                        false,
                        &at,
                    )
                    .await?;
                    let v = load(&mut tx, id).await?;
                    append(
                        &mut tx,
                        &actor.username,
                        "import",
                        "demand",
                        &id.to_string(),
                        &json!(v.demand),
                    )
                    .await?;
                    if status == DemandStatus::Published {
                        // The bureau or the owner enterprise, who may publish it (checked above).
                        append(
                            &mut tx,
                            &actor.username,
                            DemandAction::Publish.as_str(),
                            "demand",
                            &id.to_string(),
                            &json!({"from": null, "to": status, "via": "import"}),
                        )
                        .await?;
                    }
                    out.created += 1;
                }
                Some((id,)) => {
                    let before = load(&mut tx, id).await?.demand;
                    if let Some(s) = row.status.filter(|s| *s != before.status) {
                        return Err(RecordError::Field(crate::import_status_refused(
                            before.status.as_str(),
                            s.as_str(),
                        )));
                    }
                    let mut d = before.clone();
                    let merged = match &row.input {
                        Some(input) => input
                            .clone()
                            .merge_into(&before)
                            .into_new()
                            .map_err(|mut e| RecordError::Field(e.remove(0)))?,
                        None => row.new.clone(),
                    };
                    overwrite(&mut d, &merged);
                    if d == before {
                        out.unchanged += 1;
                        continue;
                    }
                    d.updated_at = at;
                    write_back(&mut tx, &d).await?;
                    append(
                        &mut tx,
                        &actor.username,
                        "import",
                        "demand",
                        &id.to_string(),
                        &json!({"fields": row.new, "status": d.status}),
                    )
                    .await?;
                    out.updated += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(out)
    }
}

/// For the demo generator: inserts with a given status and timestamps, audited.
pub(crate) async fn insert_demo(
    store: &Store,
    actor: &Actor,
    rows: &[(i64, NewDemand, DemandStatus, String)],
) -> Result<()> {
    let mut tx = store.begin_write().await?;
    for (owner, n, status, at) in rows {
        let div: (String,) =
            sqlx::query_as("SELECT division_code FROM organizations WHERE id = $1")
                .bind(owner)
                .fetch_one(&mut *tx)
                .await?;
        let id = insert(&mut tx, *owner, &div.0, n, *status, true, at).await?;
        append(
            &mut tx,
            &actor.username,
            "create",
            "demand",
            &id.to_string(),
            &json!({"ref": n.reference, "status": status}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
