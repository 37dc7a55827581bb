//! Achievements: create, read (with the viewer's read scope), update, state actions, list with
//! filters, all-or-nothing import keyed by (owner, ref), and the facts behind the record-keeping
//! score and the publication counter. Every change is audited in its transaction.

use crate::audit::append;
use crate::sql::{like_pattern, Filter, Value};
use crate::{now, Page, Result, Store, StoreError};
use chengguo_core::access::Denied;
use chengguo_core::achievement::{
    self, Achievement, AchievementAction, AchievementPatch, AchievementStatus, NewAchievement,
    ReadScope, TransitionError, Visibility,
};
use chengguo_core::incentive::{self, RecordFact, RecordScore, RewardRule, ScoreRules};
use chengguo_core::{Actor, Fen, FieldError, OrgKind};
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;

/// Why a change to an achievement or a demand did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The actor may not touch this record (403).
    #[error("{0}")]
    Denied(String),
    /// The action does not apply in the record's status (409).
    #[error("{0}")]
    Invalid(String),
    /// A field is wrong or missing (422).
    #[error("{0}")]
    Field(FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RecordError {
    fn from(e: sqlx::Error) -> Self {
        RecordError::Store(StoreError::Db(e))
    }
}

impl From<Denied> for RecordError {
    fn from(d: Denied) -> Self {
        RecordError::Denied(d.to_string())
    }
}

impl From<TransitionError> for RecordError {
    fn from(e: TransitionError) -> Self {
        match e {
            TransitionError::Invalid(m) => RecordError::Invalid(m),
            TransitionError::Forbidden(m) => RecordError::Denied(m),
            TransitionError::Missing(f) => RecordError::Field(f),
        }
    }
}

/// `;a;b;` ↔ `[a, b]`.
pub(crate) fn join_list(v: &[String]) -> String {
    if v.is_empty() {
        String::new()
    } else {
        format!(";{};", v.join(";"))
    }
}

pub(crate) fn split_list(s: &str) -> Vec<String> {
    s.split(';')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// An achievement with its owner, as lists and pages show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AchievementView {
    #[serde(flatten)]
    pub achievement: Achievement,
    pub owner_name: String,
    pub owner_credit_code: String,
    pub owner_division: String,
    pub completeness: u32,
}

const COLUMNS: &str = "a.id, a.owner_org_id, a.ref, a.title, a.abstract, a.keywords, a.category, a.stage, a.trl, \
    a.attribute, a.level, a.ip_type, a.ip_numbers, a.discipline, a.tech_field, a.chains, a.chain_version, a.modes, \
    a.price_fen, a.completers, a.period_start, a.period_end, a.contact_name, a.contact_phone, a.contact_email, \
    a.visibility, a.status, a.return_reason, a.returned_count, a.submitted_at, a.published_at, a.fresh_at, \
    a.completeness, a.is_demo, a.created_at, a.updated_at, o.name AS owner_name, o.credit_code AS owner_credit_code, \
    o.division_code AS owner_division";
const FROM: &str = "achievements a JOIN organizations o ON o.id = a.owner_org_id";

fn to_view(r: &AnyRow) -> std::result::Result<AchievementView, sqlx::Error> {
    let a = Achievement {
        id: r.try_get("id")?,
        owner_org_id: r.try_get("owner_org_id")?,
        reference: r.try_get("ref")?,
        title: r.try_get("title")?,
        summary: r.try_get("abstract")?,
        keywords: split_list(&r.try_get::<String, _>("keywords")?),
        category: r.try_get("category")?,
        stage: r.try_get("stage")?,
        trl: r.try_get("trl")?,
        attribute: r.try_get("attribute")?,
        level: r.try_get("level")?,
        ip_type: r.try_get("ip_type")?,
        ip_numbers: r.try_get("ip_numbers")?,
        discipline: r.try_get("discipline")?,
        tech_field: r.try_get("tech_field")?,
        chains: split_list(&r.try_get::<String, _>("chains")?),
        chain_version: r.try_get("chain_version")?,
        transformation_modes: split_list(&r.try_get::<String, _>("modes")?),
        price: r.try_get::<Option<i64>, _>("price_fen")?.map(Fen),
        completers: split_list(&r.try_get::<String, _>("completers")?),
        period_start: r.try_get("period_start")?,
        period_end: r.try_get("period_end")?,
        contact_name: r.try_get("contact_name")?,
        contact_phone: r.try_get("contact_phone")?,
        contact_email: r.try_get("contact_email")?,
        visibility: Visibility::parse(&r.try_get::<String, _>("visibility")?)
            .unwrap_or(Visibility::Restricted),
        status: AchievementStatus::parse(&r.try_get::<String, _>("status")?)
            .unwrap_or(AchievementStatus::Draft),
        return_reason: r.try_get("return_reason")?,
        returned_count: r.try_get("returned_count")?,
        submitted_at: r.try_get("submitted_at")?,
        published_at: r.try_get("published_at")?,
        fresh_at: r.try_get("fresh_at")?,
        is_demo: r.try_get::<i64, _>("is_demo")? != 0,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    };
    Ok(AchievementView {
        completeness: r.try_get::<i64, _>("completeness")? as u32,
        achievement: a,
        owner_name: r.try_get("owner_name")?,
        owner_credit_code: r.try_get("owner_credit_code")?,
        owner_division: r.try_get("owner_division")?,
    })
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AchievementSort {
    #[default]
    Published,
    Updated,
    Created,
    Title,
    Ref,
    Completeness,
    Status,
}

impl AchievementSort {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "published_at" => Self::Published,
            "updated_at" => Self::Updated,
            "created_at" => Self::Created,
            "title" => Self::Title,
            "ref" => Self::Ref,
            "completeness" => Self::Completeness,
            "status" => Self::Status,
            _ => return None,
        })
    }
    fn column(self) -> &'static str {
        match self {
            Self::Published => "a.published_at",
            Self::Updated => "a.updated_at",
            Self::Created => "a.created_at",
            Self::Title => "a.title",
            Self::Ref => "a.ref",
            Self::Completeness => "a.completeness",
            Self::Status => "a.status",
        }
    }
}

/// A list query. `scope` is the viewer's read rule; without a `status` filter, a reader who is
/// not the owner or the bureau sees published records only, and stale ones only with
/// `include_stale`.
#[derive(Debug, Clone, Default)]
pub struct AchievementQuery {
    pub scope: ReadScope,
    pub q: Option<String>,
    pub status: Option<AchievementStatus>,
    pub owner: Option<i64>,
    pub chain: Option<String>,
    pub tech_field: Option<String>,
    pub stage: Option<String>,
    pub category: Option<String>,
    /// Division-code prefix of the owner (`210106`, `2101`).
    pub district: Option<String>,
    pub include_stale: bool,
    /// Published records last refreshed before this (RFC 3339 prefix) are stale.
    pub stale_cutoff: String,
    pub sort: AchievementSort,
    pub desc: bool,
    pub limit: i64,
    pub offset: i64,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RecordImportOutcome {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// One row of an achievements import: the owner, the record, and the status the file asks for.
#[derive(Debug, Clone)]
pub struct AchievementImportRow {
    pub owner_org_id: i64,
    pub new: NewAchievement,
    pub status: Option<AchievementStatus>,
    /// What a re-import changes: the columns the file has (`None`: every field, as `new`).
    pub patch: Option<AchievementPatch>,
}

fn completeness_of(a: &Achievement) -> i64 {
    i64::from(a.completeness().percent)
}

/// A reference for a record created without one: `CG-` and 10 random hex digits.
pub(crate) fn fresh_ref() -> String {
    format!("CG-{}", &crate::users::random_token()[..10].to_uppercase())
}

async fn insert(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    owner: i64,
    n: &NewAchievement,
    status: AchievementStatus,
    is_demo: bool,
    at: &str,
) -> std::result::Result<i64, StoreError> {
    let reference = if n.reference.is_empty() {
        fresh_ref()
    } else {
        n.reference.clone()
    };
    let submitted = matches!(
        status,
        AchievementStatus::Submitted | AchievementStatus::Published
    )
    .then(|| at.to_string());
    let published = (status == AchievementStatus::Published).then(|| at.to_string());
    let mut probe = Achievement {
        id: 0,
        reference: reference.clone(),
        title: n.title.clone(),
        summary: n.summary.clone(),
        keywords: n.keywords.clone(),
        category: n.category.clone(),
        stage: n.stage.clone(),
        trl: n.trl,
        attribute: n.attribute.clone(),
        level: n.level.clone(),
        ip_type: n.ip_type.clone(),
        ip_numbers: n.ip_numbers.clone(),
        discipline: n.discipline.clone(),
        tech_field: n.tech_field.clone(),
        chains: n.chains.clone(),
        chain_version: chengguo_core::refdata::chains().version.to_string(),
        transformation_modes: n.transformation_modes.clone(),
        price: n.price,
        owner_org_id: owner,
        completers: n.completers.clone(),
        period_start: n.period_start.clone(),
        period_end: n.period_end.clone(),
        contact_name: n.contact_name.clone(),
        contact_phone: n.contact_phone.clone(),
        contact_email: n.contact_email.clone(),
        visibility: n.visibility,
        status,
        return_reason: String::new(),
        returned_count: 0,
        submitted_at: submitted,
        published_at: published,
        fresh_at: at.to_string(),
        is_demo,
        created_at: at.to_string(),
        updated_at: at.to_string(),
    };
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO achievements (owner_org_id, ref, title, abstract, keywords, category, stage, trl, attribute, level, \
         ip_type, ip_numbers, discipline, tech_field, chains, chain_version, modes, price_fen, completers, period_start, \
         period_end, contact_name, contact_phone, contact_email, visibility, status, return_reason, returned_count, \
         submitted_at, published_at, fresh_at, completeness, is_demo, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,'',0,$27,$28,$29,$30,$31,$29,$29) \
         RETURNING id",
    )
    .bind(owner)
    .bind(&probe.reference)
    .bind(&probe.title)
    .bind(&probe.summary)
    .bind(join_list(&probe.keywords))
    .bind(&probe.category)
    .bind(&probe.stage)
    .bind(probe.trl)
    .bind(&probe.attribute)
    .bind(&probe.level)
    .bind(&probe.ip_type)
    .bind(&probe.ip_numbers)
    .bind(&probe.discipline)
    .bind(&probe.tech_field)
    .bind(join_list(&probe.chains))
    .bind(&probe.chain_version)
    .bind(join_list(&probe.transformation_modes))
    .bind(probe.price.map(|f| f.0))
    .bind(join_list(&probe.completers))
    .bind(&probe.period_start)
    .bind(&probe.period_end)
    .bind(&probe.contact_name)
    .bind(&probe.contact_phone)
    .bind(&probe.contact_email)
    .bind(probe.visibility.as_str())
    .bind(probe.status.as_str())
    .bind(&probe.submitted_at)
    .bind(&probe.published_at)
    .bind(at)
    .bind(completeness_of(&probe))
    .bind(i64::from(is_demo))
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| StoreError::from_db(e, &[("ref", &reference)]))?;
    probe.id = id;
    Ok(id)
}

/// Writes every editable field and the workflow columns of `a`.
async fn write_back(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    a: &Achievement,
) -> std::result::Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE achievements SET title=$1, abstract=$2, keywords=$3, category=$4, stage=$5, trl=$6, attribute=$7, \
         level=$8, ip_type=$9, ip_numbers=$10, discipline=$11, tech_field=$12, chains=$13, modes=$14, price_fen=$15, \
         completers=$16, period_start=$17, period_end=$18, contact_name=$19, contact_phone=$20, contact_email=$21, \
         visibility=$22, status=$23, return_reason=$24, returned_count=$25, submitted_at=$26, published_at=$27, \
         fresh_at=$28, completeness=$29, updated_at=$30 WHERE id=$31",
    )
    .bind(&a.title)
    .bind(&a.summary)
    .bind(join_list(&a.keywords))
    .bind(&a.category)
    .bind(&a.stage)
    .bind(a.trl)
    .bind(&a.attribute)
    .bind(&a.level)
    .bind(&a.ip_type)
    .bind(&a.ip_numbers)
    .bind(&a.discipline)
    .bind(&a.tech_field)
    .bind(join_list(&a.chains))
    .bind(join_list(&a.transformation_modes))
    .bind(a.price.map(|f| f.0))
    .bind(join_list(&a.completers))
    .bind(&a.period_start)
    .bind(&a.period_end)
    .bind(&a.contact_name)
    .bind(&a.contact_phone)
    .bind(&a.contact_email)
    .bind(a.visibility.as_str())
    .bind(a.status.as_str())
    .bind(&a.return_reason)
    .bind(a.returned_count)
    .bind(&a.submitted_at)
    .bind(&a.published_at)
    .bind(&a.fresh_at)
    .bind(completeness_of(a))
    .bind(&a.updated_at)
    .bind(a.id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn load(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: i64,
) -> std::result::Result<AchievementView, RecordError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    match row {
        Some(r) => Ok(to_view(&r)?),
        None => Err(StoreError::NotFound(format!("achievement {id}")).into()),
    }
}

/// Applies a status change to the record in memory (timestamps and counters).
fn apply_status(
    a: &mut Achievement,
    to: AchievementStatus,
    action: AchievementAction,
    reason: &str,
    at: &str,
) {
    match action {
        AchievementAction::Submit => {
            a.submitted_at = Some(at.to_string());
            a.return_reason.clear();
        }
        AchievementAction::Publish => {
            if a.published_at.is_none() {
                a.published_at = Some(at.to_string());
            }
            a.fresh_at = at.to_string();
        }
        AchievementAction::Return => {
            a.return_reason = reason.trim().to_string();
            a.returned_count += 1;
        }
        AchievementAction::Withdraw => {}
        AchievementAction::Renew => a.fresh_at = at.to_string(),
    }
    a.status = to;
    a.updated_at = at.to_string();
}

/// Applies [`achievement::status_after_edit`] to an edited record: a published record edited by
/// its unit goes back to review. Returns the status it had when it changed.
fn return_to_review(actor: &Actor, a: &mut Achievement, at: &str) -> Option<AchievementStatus> {
    let to = achievement::status_after_edit(actor, a.status);
    (to != a.status).then(|| {
        let from = a.status;
        a.status = to;
        a.submitted_at = Some(at.to_string());
        from
    })
}

/// The audit entry of a record sent back to review by an edit (a `submit` by the editor).
async fn audit_back_to_review(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    actor: &Actor,
    id: i64,
    from: AchievementStatus,
    to: AchievementStatus,
) -> std::result::Result<(), StoreError> {
    append(
        tx,
        &actor.username,
        AchievementAction::Submit.as_str(),
        "achievement",
        &id.to_string(),
        &json!({"from": from, "to": to, "reason": "edited after publication"}),
    )
    .await?;
    Ok(())
}

/// The refusal of an import row that would move an existing record's status: imports change
/// fields; statuses move only through the workflow actions.
pub fn import_status_refused(current: &str, given: &str) -> FieldError {
    FieldError::new(
        "status",
        format!(
            "已有记录的状态只能通过审核流程变更（当前为 {current}） / the status of an existing record changes only through its workflow actions (it is {current}, the file says {given})"
        ),
    )
}

impl Store {
    /// The status of the achievement `(owner, ref)`, if it exists (for import checks).
    pub async fn achievement_status_by_ref(
        &self,
        owner_org_id: i64,
        reference: &str,
    ) -> Result<Option<AchievementStatus>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT status FROM achievements WHERE owner_org_id = $1 AND ref = $2")
                .bind(owner_org_id)
                .bind(reference)
                .fetch_optional(self.pool())
                .await?;
        Ok(row.and_then(|(s,)| AchievementStatus::parse(&s)))
    }

    /// The stale period (months) from the settings, 12 by default.
    pub async fn achievement_stale_months(&self) -> Result<u32> {
        Ok(self
            .setting(achievement::STALE_MONTHS_SETTING)
            .await?
            .and_then(|v| v.as_u64())
            .map(|v| v.clamp(1, 120) as u32)
            .unwrap_or(achievement::DEFAULT_STALE_MONTHS))
    }

    /// The RFC 3339 instant before which a published record is stale.
    pub async fn achievement_stale_cutoff(&self) -> Result<String> {
        let months = self.achievement_stale_months().await?;
        Ok(months_before(&now(), months))
    }

    pub async fn create_achievement(
        &self,
        actor: &Actor,
        owner_org_id: i64,
        new: &NewAchievement,
    ) -> std::result::Result<AchievementView, RecordError> {
        achievement::can_edit(actor, owner_org_id)?;
        let mut tx = self.begin_write().await?;
        let at = now();
        let id = insert(
            &mut tx,
            owner_org_id,
            new,
            AchievementStatus::Draft,
            false,
            &at,
        )
        .await?;
        let view = load(&mut tx, id).await?;
        append(
            &mut tx,
            &actor.username,
            "create",
            "achievement",
            &id.to_string(),
            &json!(view.achievement),
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// One achievement, whatever its status (callers apply the read scope).
    pub async fn get_achievement(&self, id: i64) -> Result<Option<AchievementView>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE a.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => Some(to_view(&r)?),
            None => None,
        })
    }

    /// The achievements with these ids, whatever their status, in no particular order (ids not
    /// found are left out; callers apply the read scope).
    pub async fn get_achievements(&self, ids: &[i64]) -> Result<Vec<AchievementView>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            // The ids are integers formatted here, not user text.
            let list = chunk
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",");
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM {FROM} WHERE a.id IN ({list})"
            ))
            .fetch_all(self.pool())
            .await?;
            for r in &rows {
                out.push(to_view(r)?);
            }
        }
        Ok(out)
    }

    /// Applies a patch after checking, in the transaction, that the actor may edit this record.
    /// An update refreshes the record (it is no longer stale).
    pub async fn update_achievement(
        &self,
        actor: &Actor,
        id: i64,
        patch: &AchievementPatch,
    ) -> std::result::Result<AchievementView, RecordError> {
        let mut tx = self.begin_write().await?;
        let before = load(&mut tx, id).await?;
        achievement::can_edit(actor, before.achievement.owner_org_id)?;
        let mut a = before.achievement.clone();
        patch.apply(&mut a);
        if a != before.achievement {
            let at = now();
            a.updated_at = at.clone();
            a.fresh_at = at.clone();
            let back_to_review = return_to_review(actor, &mut a, &at);
            write_back(&mut tx, &a).await?;
            append(
                &mut tx,
                &actor.username,
                "update",
                "achievement",
                &id.to_string(),
                &json!(patch),
            )
            .await?;
            if let Some(from) = back_to_review {
                audit_back_to_review(&mut tx, actor, id, from, a.status).await?;
            }
        }
        let after = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Takes a workflow action (submit, publish, return, withdraw, renew).
    pub async fn achievement_action(
        &self,
        actor: &Actor,
        id: i64,
        action: AchievementAction,
        reason: Option<&str>,
    ) -> std::result::Result<AchievementView, RecordError> {
        let mut tx = self.begin_write().await?;
        let before = load(&mut tx, id).await?;
        let mut a = before.achievement.clone();
        let to = achievement::transition(actor, a.owner_org_id, a.status, action, reason)?;
        let at = now();
        apply_status(&mut a, to, action, reason.unwrap_or(""), &at);
        write_back(&mut tx, &a).await?;
        append(
            &mut tx,
            &actor.username,
            action.as_str(),
            "achievement",
            &id.to_string(),
            &json!({"from": before.achievement.status, "to": to, "reason": reason}),
        )
        .await?;
        let after = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn list_achievements(&self, q: &AchievementQuery) -> Result<Page<AchievementView>> {
        let mut w = Filter::default();
        scope_filter(&mut w, &q.scope, q.status.is_some());
        if let Some(s) = q.status {
            w.push("a.status = {}", Value::Str(s.as_str().into()));
        }
        let default_view = q.status.is_none() || q.status == Some(AchievementStatus::Published);
        if default_view && !q.include_stale && !q.stale_cutoff.is_empty() {
            let p = w.param(Value::Str(q.stale_cutoff.clone()));
            w.push_raw(&format!("(a.status <> 'published' OR a.fresh_at >= {p})"));
        }
        if let Some(o) = q.owner {
            w.push(
                "a.owner_org_id = CAST({} AS BIGINT)",
                Value::Str(o.to_string()),
            );
        }
        if let Some(c) = q.chain.as_deref().filter(|s| !s.is_empty()) {
            w.push("a.chains LIKE {}", Value::Str(format!("%;{c};%")));
        }
        if let Some(f) = q.tech_field.as_deref().filter(|s| !s.is_empty()) {
            w.push("a.tech_field = {}", Value::Str(f.into()));
        }
        if let Some(f) = q.stage.as_deref().filter(|s| !s.is_empty()) {
            w.push("a.stage = {}", Value::Str(f.into()));
        }
        if let Some(f) = q.category.as_deref().filter(|s| !s.is_empty()) {
            w.push("a.category = {}", Value::Str(f.into()));
        }
        if let Some(d) = q.district.as_deref().filter(|s| !s.is_empty()) {
            w.push(
                "o.division_code LIKE {}",
                Value::Str(format!("{}%", crate::division_prefix(d))),
            );
        }
        if let Some(text) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let p = w.param(Value::Str(like_pattern(&text.to_lowercase())));
            w.push_raw(&format!(
                "(LOWER(a.title) LIKE {p} ESCAPE '\\' OR LOWER(a.keywords) LIKE {p} ESCAPE '\\' OR LOWER(a.ref) LIKE {p} ESCAPE '\\')"
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
            "SELECT {COLUMNS} FROM {FROM}{where_sql} ORDER BY {} {dir}, a.id {dir} LIMIT {limit} OFFSET {offset}",
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

    /// Writes every row in one transaction: a row whose (owner, ref) exists updates that record
    /// (and its status when the file gives one), others are created. Any failure rolls back.
    pub async fn import_achievements(
        &self,
        actor: &Actor,
        rows: &[AchievementImportRow],
    ) -> std::result::Result<RecordImportOutcome, RecordError> {
        let mut tx = self.begin_write().await?;
        let mut out = RecordImportOutcome::default();
        for row in rows {
            achievement::can_edit(actor, row.owner_org_id)?;
            let existing: Option<(i64,)> =
                sqlx::query_as("SELECT id FROM achievements WHERE owner_org_id = $1 AND ref = $2")
                    .bind(row.owner_org_id)
                    .bind(&row.new.reference)
                    .fetch_optional(&mut *tx)
                    .await?;
            let at = now();
            match existing {
                None => {
                    let status = row.status.unwrap_or(AchievementStatus::Draft);
                    match status {
                        AchievementStatus::Published if !actor.is_bureau() => {
                            return Err(RecordError::Field(FieldError::new(
                                "status",
                                "only the bureau may import published records",
                            )))
                        }
                        AchievementStatus::Draft
                        | AchievementStatus::Submitted
                        | AchievementStatus::Published => {}
                        other => {
                            return Err(RecordError::Field(FieldError::new(
                                "status",
                                format!("a new record cannot be imported as {}", other.as_str()),
                            )))
                        }
                    }
                    let id =
                        insert(&mut tx, row.owner_org_id, &row.new, status, false, &at).await?;
                    let v = load(&mut tx, id).await?;
                    append(
                        &mut tx,
                        &actor.username,
                        "import",
                        "achievement",
                        &id.to_string(),
                        &json!(v.achievement),
                    )
                    .await?;
                    if status == AchievementStatus::Published {
                        // Only the bureau imports published records (checked above): that is a
                        // publication, audited as one.
                        append(
                            &mut tx,
                            &actor.username,
                            AchievementAction::Publish.as_str(),
                            "achievement",
                            &id.to_string(),
                            &json!({"from": null, "to": status, "via": "import"}),
                        )
                        .await?;
                    }
                    out.created += 1;
                }
                Some((id,)) => {
                    let before = load(&mut tx, id).await?.achievement;
                    let mut a = before.clone();
                    let patch = row
                        .patch
                        .clone()
                        .unwrap_or_else(|| AchievementPatch::from_new(&row.new));
                    if let Some(s) = row.status.filter(|s| *s != before.status) {
                        return Err(RecordError::Field(import_status_refused(
                            before.status.as_str(),
                            s.as_str(),
                        )));
                    }
                    patch.apply(&mut a);
                    if a == before {
                        out.unchanged += 1;
                        continue;
                    }
                    a.updated_at = at.clone();
                    a.fresh_at = at.clone();
                    let back_to_review = return_to_review(actor, &mut a, &at);
                    write_back(&mut tx, &a).await?;
                    if let Some(from) = back_to_review {
                        audit_back_to_review(&mut tx, actor, id, from, a.status).await?;
                    }
                    append(
                        &mut tx,
                        &actor.username,
                        "import",
                        "achievement",
                        &id.to_string(),
                        &json!({"patch": patch, "status": a.status}),
                    )
                    .await?;
                    out.updated += 1;
                }
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// The facts behind every unit's score: one per record.
    async fn record_facts(&self) -> Result<Vec<(i64, RecordFact)>> {
        let rows: Vec<FactRow> =
            sqlx::query_as(
                "SELECT owner_org_id, completeness, submitted_at, published_at, updated_at, returned_count, status \
                 FROM achievements",
            )
            .fetch_all(self.pool())
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(org, c, sub, publ, upd, ret, status)| {
                Some((
                    org,
                    RecordFact {
                        completeness: c as f64 / 100.0,
                        submitted_on: sub.as_deref().and_then(date_of),
                        published_on: publ.as_deref().and_then(date_of),
                        updated_on: date_of(&upd)?,
                        returned: ret.max(0) as u32,
                        withdrawn: status == "withdrawn",
                    },
                ))
            })
            .collect())
    }

    /// The score rules from the settings (defaults when unset or invalid).
    pub async fn score_rules(&self) -> Result<ScoreRules> {
        Ok(self
            .setting(incentive::SCORE_RULES_SETTING)
            .await?
            .and_then(|v| serde_json::from_value::<ScoreRules>(v).ok())
            .filter(|r| r.validate().is_ok())
            .unwrap_or_default())
    }

    /// The reward rule from the settings (defaults when unset or invalid).
    pub async fn reward_rule(&self) -> Result<RewardRule> {
        Ok(self
            .setting(incentive::REWARD_RULE_SETTING)
            .await?
            .and_then(|v| serde_json::from_value::<RewardRule>(v).ok())
            .filter(|r| r.validate().is_ok())
            .unwrap_or_default())
    }

    /// Every organization that has filed achievements, with its score, best first.
    pub async fn unit_scores(&self, today: time::Date) -> Result<Vec<UnitScore>> {
        let rules = self.score_rules().await?;
        let facts = self.record_facts().await?;
        let mut by_org: std::collections::BTreeMap<i64, Vec<RecordFact>> = Default::default();
        for (org, f) in facts {
            by_org.entry(org).or_default().push(f);
        }
        let mut out = Vec::new();
        for (org_id, recs) in by_org {
            let Some(org) = self.get_org(org_id).await? else {
                continue;
            };
            out.push(UnitScore {
                score: incentive::score(&recs, &rules, today),
                org_id,
                name: org.name,
                kind: org.kind,
                division_code: org.division_code,
            });
        }
        out.sort_by(|a, b| {
            b.score
                .total
                .total_cmp(&a.score.total)
                .then(b.score.filings.cmp(&a.score.filings))
                .then(a.org_id.cmp(&b.org_id))
        });
        Ok(out)
    }

    /// Achievements first published, per year and organization: `(year, org_id, org name, n)`.
    pub async fn publication_counts(&self) -> Result<Vec<(String, i64, String, i64)>> {
        let rows: Vec<(String, i64, String, i64)> = sqlx::query_as(
            "SELECT SUBSTR(a.published_at, 1, 4) AS y, a.owner_org_id, o.name, COUNT(*) AS n \
             FROM achievements a JOIN organizations o ON o.id = a.owner_org_id \
             WHERE a.published_at IS NOT NULL GROUP BY SUBSTR(a.published_at, 1, 4), a.owner_org_id, o.name \
             ORDER BY y DESC, n DESC, o.name",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows)
    }
}

/// owner, completeness, submitted_at, published_at, updated_at, returned_count, status
type FactRow = (
    i64,
    i64,
    Option<String>,
    Option<String>,
    String,
    i64,
    String,
);

/// A unit on the ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitScore {
    pub org_id: i64,
    pub name: String,
    pub kind: OrgKind,
    pub division_code: String,
    pub score: RecordScore,
}

fn date_of(s: &str) -> Option<time::Date> {
    chengguo_core::contract::parse_date(s.get(..10)?).ok()
}

/// `ts` (RFC 3339) moved back by `months` calendar months (day clamped to the month's end).
pub fn months_before(ts: &str, months: u32) -> String {
    let y: i32 = ts.get(0..4).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let m: i32 = ts.get(5..7).and_then(|s| s.parse().ok()).unwrap_or(1);
    let d: u8 = ts.get(8..10).and_then(|s| s.parse().ok()).unwrap_or(1);
    let total = y * 12 + (m - 1) - months as i32;
    let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let month = time::Month::try_from(nm as u8).unwrap_or(time::Month::January);
    let last = month.length(ny);
    format!(
        "{ny:04}-{nm:02}-{:02}{}",
        d.min(last),
        ts.get(10..).unwrap_or("")
    )
}

/// The WHERE part of a read scope: the bureau sees all; an organization its own; others
/// published records (restricted ones when the scope allows). An explicit status filter still
/// cannot reveal unpublished records of others.
pub(crate) fn scope_filter(w: &mut Filter, s: &ReadScope, _explicit_status: bool) {
    if s.all {
        return;
    }
    let vis = if s.restricted {
        String::new()
    } else {
        " AND a.visibility = 'public'".to_string()
    };
    match s.org_id {
        Some(org) => {
            let p = w.param(Value::Str(org.to_string()));
            w.push_raw(&format!(
                "((a.status = 'published'{vis}) OR a.owner_org_id = CAST({p} AS BIGINT))"
            ));
        }
        None => w.push_raw(&format!("(a.status = 'published'{vis})")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn months_before_clamps() {
        assert_eq!(
            super::months_before("2026-03-31T10:00:00.000000Z", 1),
            "2026-02-28T10:00:00.000000Z"
        );
        assert_eq!(super::months_before("2026-01-15", 12), "2025-01-15");
        assert_eq!(super::months_before("2026-01-15", 13), "2024-12-15");
    }

    #[test]
    fn lists_round_trip() {
        let v = vec!["a".to_string(), "b".to_string()];
        assert_eq!(super::join_list(&v), ";a;b;");
        assert_eq!(super::split_list(";a;b;"), v);
        assert!(super::split_list("").is_empty());
    }
}

/// A demo record: status and the times of its history as the generator chose them.
#[derive(Debug, Clone)]
pub(crate) struct DemoAchievement {
    pub owner: i64,
    pub new: NewAchievement,
    pub status: AchievementStatus,
    pub created_at: String,
    pub submitted_at: Option<String>,
    pub published_at: Option<String>,
    pub returned: i64,
    pub return_reason: String,
}

/// For the demo generator: inserts records with their history in one transaction, audited.
pub(crate) async fn insert_demo(
    store: &Store,
    actor: &Actor,
    rows: &[DemoAchievement],
) -> Result<()> {
    let mut tx = store.begin_write().await?;
    for r in rows {
        let id = insert(
            &mut tx,
            r.owner,
            &r.new,
            AchievementStatus::Draft,
            true,
            &r.created_at,
        )
        .await?;
        let updated = r
            .published_at
            .clone()
            .or_else(|| r.submitted_at.clone())
            .unwrap_or_else(|| r.created_at.clone());
        sqlx::query(
            "UPDATE achievements SET status=$1, submitted_at=$2, published_at=$3, returned_count=$4, \
             return_reason=$5, fresh_at=$6, updated_at=$6 WHERE id=$7",
        )
        .bind(r.status.as_str())
        .bind(&r.submitted_at)
        .bind(&r.published_at)
        .bind(r.returned)
        .bind(&r.return_reason)
        .bind(&updated)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        append(
            &mut tx,
            &actor.username,
            "create",
            "achievement",
            &id.to_string(),
            &json!({"ref": r.new.reference, "status": r.status}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
