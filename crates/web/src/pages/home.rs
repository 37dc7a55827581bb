//! The home page: what the platform is, headline figures, and the signed-in account's workspace.

use super::{render, Ctx};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chengguo_core::{refdata, OrgKind, Role};
use chengguo_store::{OrgGroup, Table};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    ctx: &'a Ctx,
    org_total: i64,
    user_total: i64,
    district_count: usize,
    kind_chart: String,
    district_chart: String,
    workspace: Vec<(&'static str, String)>,
    /// The plan's progress, for bureau and district accounts.
    plan_panel: String,
    /// New matches for unit, enterprise and broker accounts.
    match_panel: String,
}

/// Links of the workspace by role (later issues add their own).
fn workspace(ctx: &Ctx) -> Vec<(&'static str, String)> {
    let mut w = Vec::new();
    let Some(u) = &ctx.user else { return w };
    if let Some(org) = u.org_id {
        w.push((
            ctx.pick("本单位信息", "My organization"),
            format!("/organizations/{org}"),
        ));
    }
    if u.roles.contains(&Role::Bureau) {
        w.push((
            ctx.pick("新建机构", "New organization"),
            "/organizations/new".into(),
        ));
        w.push((
            ctx.pick("批量导入机构", "Import organizations"),
            "/organizations/import".into(),
        ));
        w.push((ctx.pick("账号管理", "Accounts"), "/users".into()));
        w.push((ctx.pick("审计日志", "Audit log"), "/audit".into()));
    }
    if u.roles.contains(&Role::Bureau) || u.roles.contains(&Role::District) {
        w.push((ctx.pick("成果转化看板", "Dashboard"), "/dashboard".into()));
        w.push((
            ctx.pick("区县考核", "District scorecards"),
            "/scorecards".into(),
        ));
    }
    if u.roles.contains(&Role::District) {
        if let Some(d) = &u.district_code {
            w.push((
                ctx.pick("本区县机构", "Organizations in my district"),
                format!("/organizations?division={d}"),
            ));
        }
    }
    if u.roles.contains(&Role::Unit) {
        w.push((
            ctx.pick("我的成果", "My achievements"),
            "/achievements/mine".into(),
        ));
        w.push((
            ctx.pick("登记成果", "File an achievement"),
            "/achievements/new".into(),
        ));
        w.push((
            ctx.pick("批量导入成果", "Import achievements"),
            "/achievements/import".into(),
        ));
    }
    if u.roles.contains(&Role::Enterprise) {
        w.push((ctx.pick("我的需求", "My demands"), "/demands/mine".into()));
        w.push((ctx.pick("发布需求", "Post a demand"), "/demands/new".into()));
    }
    if u.roles.contains(&Role::Bureau) {
        w.push((
            ctx.pick("成果审核", "Achievement review"),
            "/achievements/review".into(),
        ));
        w.push((
            ctx.pick("批量导入成果", "Import achievements"),
            "/achievements/import".into(),
        ));
    }
    w.push((
        ctx.pick("成果备案评分", "Record-keeping scores"),
        "/achievements/scores".into(),
    ));
    w.push((
        ctx.pick("成果发布计数", "Publication counter"),
        "/achievements/publications".into(),
    ));
    if u.roles.iter().any(|r| {
        matches!(
            r,
            Role::Unit | Role::Enterprise | Role::Broker | Role::Bureau
        )
    }) {
        w.push((
            ctx.pick("匹配决定", "Match decisions"),
            "/matches/decisions".into(),
        ));
    }
    // Technology contracts (issue #5).
    if u.roles.iter().any(|r| {
        matches!(
            r,
            Role::Unit | Role::Enterprise | Role::Broker | Role::Bureau | Role::District
        )
    }) {
        w.push((ctx.pick("我的合同", "My contracts"), "/contracts".into()));
    }
    if u.roles
        .iter()
        .any(|r| matches!(r, Role::Unit | Role::Enterprise | Role::Broker))
    {
        w.push((
            ctx.pick("填报技术合同", "New contract"),
            "/contracts/new".into(),
        ));
    }
    if u.roles.contains(&Role::Registrar) {
        w.push((
            ctx.pick("登记队列", "Registration queue"),
            "/contracts/queue".into(),
        ));
    }
    if u.roles.contains(&Role::Bureau) {
        w.push((
            ctx.pick("导入技术合同", "Import contracts"),
            "/contracts/import".into(),
        ));
    }
    if u.roles
        .iter()
        .any(|r| matches!(r, Role::Bureau | Role::District | Role::Registrar))
    {
        w.push((
            ctx.pick("技术合同统计", "Contract statistics"),
            "/stats/contracts".into(),
        ));
    }
    w.push((
        ctx.pick("API 文档", "API documentation"),
        "/api/docs".into(),
    ));
    w
}

async fn home(State(state): State<AppState>, ctx: Ctx) -> Response {
    let result = async {
        let org_total = state.store.count(Table::Organizations).await?;
        let user_total = state.store.count(Table::Users).await?;
        let by_kind = state.store.org_counts(OrgGroup::Kind).await?;
        let by_division = state.store.org_counts(OrgGroup::Division).await?;
        Ok::<_, chengguo_store::StoreError>((org_total, user_total, by_kind, by_division))
    }
    .await;
    let (org_total, user_total, by_kind, by_division) = match result {
        Ok(v) => v,
        Err(e) => return crate::error::ApiError::from(e).into_page(&ctx),
    };
    let kinds: Vec<(String, i64)> = by_kind
        .into_iter()
        .map(|(k, n)| {
            (
                OrgKind::parse(&k)
                    .map(|k| ctx.pick(k.zh(), k.en()).to_string())
                    .unwrap_or(k),
                n,
            )
        })
        .collect();
    let districts = refdata::shenyang_districts();
    let per_district: Vec<(String, i64)> = districts
        .iter()
        .map(|d| {
            (
                d.name.to_string(),
                by_division
                    .iter()
                    .filter(|(c, _)| c == d.code)
                    .map(|(_, n)| n)
                    .sum(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    let mut per_district = per_district;
    per_district.sort_by_key(|d| std::cmp::Reverse(d.1));
    let empty = ctx.pick("暂无数据", "No data yet");
    let page = HomePage {
        kind_chart: crate::charts::hbar(ctx.t("home.orgs_by_kind"), &kinds, 560.0, empty),
        district_chart: crate::charts::hbar(
            ctx.t("home.orgs_by_district"),
            &per_district,
            560.0,
            empty,
        ),
        workspace: workspace(&ctx),
        plan_panel: super::plan::home_panel(&state, &ctx).await,
        match_panel: super::matching::home_panel(&state, &ctx).await,
        ctx: &ctx,
        org_total,
        user_total,
        district_count: districts.len(),
    };
    render(&page)
}

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home))
}
