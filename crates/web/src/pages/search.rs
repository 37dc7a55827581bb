//! `/search`: one box over achievements and demands, with highlights, facets with counts (each a
//! link that adds or removes the filter), relevance or date order, paging.

use super::{render, with_param, Ctx, Pager};
use crate::api::search::{run, SearchOut, SearchParams};
use crate::extract::Query;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chengguo_search::Facet;

/// A facet value as a link that toggles it.
struct FacetLink {
    label: String,
    count: u64,
    active: bool,
    href: String,
}

struct FacetGroup {
    title: &'static str,
    links: Vec<FacetLink>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage<'a> {
    ctx: &'a Ctx,
    q: String,
    kind: String,
    sort: String,
    /// Facet filters other than `kind`, kept by the form as hidden fields.
    hidden: Vec<(&'static str, String)>,
    out: Option<SearchOut>,
    groups: Vec<FacetGroup>,
    pager: Pager,
    error: Option<String>,
}

/// The query parameter of a facet.
fn param_of(f: Facet) -> &'static str {
    match f {
        Facet::Kind => "kind",
        Facet::Chain => "chain",
        Facet::TechField => "field",
        Facet::Stage => "stage",
        Facet::District => "district",
        Facet::OwnerKind => "owner_kind",
    }
}

fn current(p: &SearchParams, f: Facet) -> &Option<String> {
    match f {
        Facet::Kind => &p.kind,
        Facet::Chain => &p.chain,
        Facet::TechField => &p.field,
        Facet::Stage => &p.stage,
        Facet::District => &p.district,
        Facet::OwnerKind => &p.owner_kind,
    }
}

fn values(v: &Option<String>) -> Vec<String> {
    v.as_deref()
        .unwrap_or("")
        .split([',', '，'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn facet_groups(ctx: &Ctx, p: &SearchParams, out: &SearchOut) -> Vec<FacetGroup> {
    Facet::ALL
        .into_iter()
        .filter_map(|f| {
            let counts = out.facets.get(f.as_str())?;
            let selected = values(current(p, f));
            let title = match f {
                Facet::Kind => ctx.pick("类型", "Type"),
                Facet::Chain => ctx.pick("产业链", "Industrial chain"),
                Facet::TechField => ctx.pick("技术领域", "Technology field"),
                Facet::Stage => ctx.pick("成熟度", "Stage"),
                Facet::District => ctx.pick("所在地区", "Location"),
                Facet::OwnerKind => ctx.pick("单位类型", "Owner"),
            };
            let links: Vec<FacetLink> = counts
                .iter()
                .map(|c| {
                    let active = selected.contains(&c.value);
                    // Kind is one choice; the others accumulate (OR within a facet).
                    let next: Vec<String> = if active {
                        selected
                            .iter()
                            .filter(|v| **v != c.value)
                            .cloned()
                            .collect()
                    } else if f == Facet::Kind {
                        vec![c.value.clone()]
                    } else {
                        selected.iter().cloned().chain([c.value.clone()]).collect()
                    };
                    FacetLink {
                        label: c.label.clone(),
                        count: c.count,
                        active,
                        href: with_param(
                            &with_param(&ctx.here, param_of(f), &next.join(",")),
                            "offset",
                            "",
                        ),
                    }
                })
                .collect();
            (!links.is_empty()).then_some(FacetGroup { title, links })
        })
        .collect()
}

async fn page(State(state): State<AppState>, ctx: Ctx, Query(p): Query<SearchParams>) -> Response {
    let actor = ctx.user.as_ref().map(|u| u.actor());
    let (out, error) = match run(&state, actor.as_ref(), &p, ctx.lang).await {
        Ok(o) => (Some(o), None),
        Err(e) if !e.fields.is_empty() => (
            None,
            Some(
                e.fields
                    .iter()
                    .map(|f| f.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        ),
        Err(e) => return e.into_page(&ctx),
    };
    let groups = out
        .as_ref()
        .map(|o| facet_groups(&ctx, &p, o))
        .unwrap_or_default();
    let pager = match &out {
        Some(o) => Pager::new(&ctx.here, o.total.min(10_000) as i64, o.limit, o.offset),
        None => Pager::new(&ctx.here, 0, 10, 0),
    };
    let hidden = [
        Facet::Chain,
        Facet::TechField,
        Facet::Stage,
        Facet::District,
        Facet::OwnerKind,
    ]
    .into_iter()
    .filter_map(|f| {
        current(&p, f)
            .clone()
            .filter(|v| !v.trim().is_empty())
            .map(|v| (param_of(f), v))
    })
    .collect();
    render(&SearchPage {
        q: p.q.clone().unwrap_or_default(),
        kind: p.kind.clone().unwrap_or_default(),
        sort: p.sort.clone().unwrap_or_default(),
        hidden,
        out,
        groups,
        pager,
        error,
        ctx: &ctx,
    })
}

pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(page))
}
