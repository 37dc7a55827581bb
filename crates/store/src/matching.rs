//! Decisions on proposed achievement–demand pairs (docs/matching.md): each side of a pair accepts
//! or declines it once (a later decision of the same side replaces the earlier one), audited in
//! its transaction as entity `match`; the declined pairs, which are never proposed again; the
//! decisions list for the bureau's analysis; and the workspace threshold setting.
//!
//! The proposals themselves are computed on request from the search index (the web layer), so
//! only decisions are stored.

use crate::achievements::RecordError;
use crate::audit::append;
use crate::{now, Page, Result, Store, StoreError};
use chengguo_core::matching::{self, Decision, NewDecision, Side};
use chengguo_core::Actor;
use chengguo_search::DocKind;
use serde::Serialize;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::Row;

/// One side's decision on a pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchDecision {
    pub id: i64,
    pub achievement_id: i64,
    pub demand_id: i64,
    pub side: Side,
    pub decision: Decision,
    pub reason: String,
    /// Username of the account that decided.
    pub decided_by: String,
    pub decided_by_user_id: i64,
    /// The deciding account's organization, if any.
    pub decided_by_org_id: Option<i64>,
    pub decided_at: String,
}

/// A decision with the pair's references, titles and owners, for lists and exports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchDecisionView {
    #[serde(flatten)]
    pub decision: MatchDecision,
    pub achievement_ref: String,
    pub achievement_title: String,
    pub achievement_owner: String,
    pub demand_ref: String,
    pub demand_title: String,
    pub demand_owner: String,
}

/// Which decisions a list shows.
#[derive(Debug, Clone, Default)]
pub struct MatchDecisionQuery {
    /// Every decision (the bureau). Otherwise only those taken by `user_id` or by an account of
    /// `org_id`.
    pub all: bool,
    pub user_id: i64,
    pub org_id: Option<i64>,
    pub decision: Option<Decision>,
    pub limit: i64,
    pub offset: i64,
}

const COLUMNS: &str =
    "m.id, m.achievement_id, m.demand_id, m.side, m.decision, m.reason, m.decided_by, \
    m.decided_by_user_id, m.decided_by_org_id, m.decided_at";

fn to_decision(r: &AnyRow) -> std::result::Result<MatchDecision, sqlx::Error> {
    let side: String = r.try_get("side")?;
    let decision: String = r.try_get("decision")?;
    Ok(MatchDecision {
        id: r.try_get("id")?,
        achievement_id: r.try_get("achievement_id")?,
        demand_id: r.try_get("demand_id")?,
        side: Side::parse(&side).unwrap_or(Side::Broker),
        // Only the two values are ever written; anything else would be read as the safer one.
        decision: Decision::parse(&decision).unwrap_or(Decision::Declined),
        reason: r.try_get("reason")?,
        decided_by: r.try_get("decided_by")?,
        decided_by_user_id: r.try_get("decided_by_user_id")?,
        decided_by_org_id: r.try_get("decided_by_org_id")?,
        decided_at: r.try_get("decided_at")?,
    })
}

fn to_view(r: &AnyRow) -> std::result::Result<MatchDecisionView, sqlx::Error> {
    Ok(MatchDecisionView {
        decision: to_decision(r)?,
        achievement_ref: r.try_get("achievement_ref")?,
        achievement_title: r.try_get("achievement_title")?,
        achievement_owner: r.try_get("achievement_owner")?,
        demand_ref: r.try_get("demand_ref")?,
        demand_title: r.try_get("demand_title")?,
        demand_owner: r.try_get("demand_owner")?,
    })
}

impl Store {
    /// The workspace threshold (0–100) from the settings, [`matching::DEFAULT_THRESHOLD`] by
    /// default.
    pub async fn match_threshold(&self) -> Result<u32> {
        Ok(self
            .setting(matching::THRESHOLD_SETTING)
            .await?
            .and_then(|v| v.as_u64())
            .map(|v| v.min(100) as u32)
            .unwrap_or(matching::DEFAULT_THRESHOLD))
    }

    /// Records the actor's decision on a pair, for the side the actor decides for
    /// ([`matching::decision_side`], checked here in the transaction), replacing that side's
    /// earlier decision. Audited as entity `match`, id `<achievement>-<demand>`.
    pub async fn decide_match(
        &self,
        actor: &Actor,
        achievement_id: i64,
        demand_id: i64,
        new: &NewDecision,
    ) -> std::result::Result<MatchDecision, RecordError> {
        let mut tx = self.begin_write().await?;
        let a: Option<(i64,)> =
            sqlx::query_as("SELECT owner_org_id FROM achievements WHERE id = $1")
                .bind(achievement_id)
                .fetch_optional(&mut *tx)
                .await?;
        let d: Option<(i64,)> = sqlx::query_as("SELECT owner_org_id FROM demands WHERE id = $1")
            .bind(demand_id)
            .fetch_optional(&mut *tx)
            .await?;
        let (Some((a_owner,)), Some((d_owner,))) = (a, d) else {
            return Err(StoreError::NotFound(format!(
                "achievement {achievement_id} or demand {demand_id}"
            ))
            .into());
        };
        let side = matching::decision_side(actor, a_owner, d_owner)?;
        let at = now();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO match_decisions (achievement_id, demand_id, side, decision, reason, decided_by, \
             decided_by_user_id, decided_by_org_id, decided_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) \
             ON CONFLICT (achievement_id, demand_id, side) DO UPDATE SET decision = excluded.decision, \
             reason = excluded.reason, decided_by = excluded.decided_by, \
             decided_by_user_id = excluded.decided_by_user_id, decided_by_org_id = excluded.decided_by_org_id, \
             decided_at = excluded.decided_at RETURNING id",
        )
        .bind(achievement_id)
        .bind(demand_id)
        .bind(side.as_str())
        .bind(new.decision.as_str())
        .bind(&new.reason)
        .bind(&actor.username)
        .bind(actor.user_id)
        .bind(actor.org_id)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?;
        let action = match new.decision {
            Decision::Accepted => "accept",
            Decision::Declined => "decline",
        };
        append(
            &mut tx,
            &actor.username,
            action,
            "match",
            &format!("{achievement_id}-{demand_id}"),
            &json!({
                "achievement_id": achievement_id,
                "demand_id": demand_id,
                "side": side,
                "decision": new.decision,
                "reason": new.reason,
            }),
        )
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM match_decisions m WHERE m.id = $1"
        ))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let out = to_decision(&row)?;
        tx.commit().await?;
        Ok(out)
    }

    /// Every decision on pairs with this achievement (`kind` Achievement) or this demand.
    pub async fn match_decisions_of(&self, kind: DocKind, id: i64) -> Result<Vec<MatchDecision>> {
        let column = match kind {
            DocKind::Achievement => "achievement_id",
            DocKind::Demand => "demand_id",
        };
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM match_decisions m WHERE m.{column} = $1 ORDER BY m.decided_at, m.id"
        ))
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| to_decision(r).map_err(StoreError::from))
            .collect()
    }

    /// Decisions, newest first: all of them, or the account's own (see [`MatchDecisionQuery`]).
    pub async fn list_match_decisions(
        &self,
        q: &MatchDecisionQuery,
    ) -> Result<Page<MatchDecisionView>> {
        let mut clauses = Vec::new();
        let mut binds: Vec<i64> = Vec::new();
        if !q.all {
            binds.push(q.user_id);
            match q.org_id {
                Some(o) => {
                    binds.push(o);
                    clauses.push("(m.decided_by_user_id = $1 OR m.decided_by_org_id = $2)".into());
                }
                None => clauses.push("m.decided_by_user_id = $1".to_string()),
            }
        }
        if let Some(d) = q.decision {
            // A fixed literal, not user text.
            clauses.push(format!("m.decision = '{}'", d.as_str()));
        }
        let where_sql = if clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", clauses.join(" AND "))
        };
        let from = "match_decisions m JOIN achievements a ON a.id = m.achievement_id \
            JOIN organizations ao ON ao.id = a.owner_org_id JOIN demands d ON d.id = m.demand_id \
            JOIN organizations dor ON dor.id = d.owner_org_id";
        let count_sql = format!("SELECT COUNT(*) FROM {from}{where_sql}");
        let mut count = sqlx::query_as::<_, (i64,)>(&count_sql);
        for b in &binds {
            count = count.bind(*b);
        }
        let (total,) = count.fetch_one(self.pool()).await?;
        let limit = q.limit.clamp(1, 100_000);
        let offset = q.offset.max(0);
        let sql = format!(
            "SELECT {COLUMNS}, a.ref AS achievement_ref, a.title AS achievement_title, ao.name AS achievement_owner, \
             d.ref AS demand_ref, d.title AS demand_title, dor.name AS demand_owner FROM {from}{where_sql} \
             ORDER BY m.decided_at DESC, m.id DESC LIMIT {limit} OFFSET {offset}"
        );
        let mut query = sqlx::query(&sql);
        for b in &binds {
            query = query.bind(*b);
        }
        let rows = query.fetch_all(self.pool()).await?;
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
}
