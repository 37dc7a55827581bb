//! `/api/v1/search`: full-text search over achievements and demands (Chinese, English, mixed),
//! with facet filters and counts, highlighted snippets, relevance or date order. Only records
//! the caller may read are matched, counted and faceted (the read scopes are indexed with the
//! records, see `chengguo_store::search`).

use crate::auth::Viewer;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::i18n::Lang;
use crate::AppState;
use axum::extract::State;
use chengguo_core::refdata;
use chengguo_core::{Actor, FieldError, OrgKind};
use chengguo_search::{DocKind, Facet, Sort};
use chengguo_store::search::audiences;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A query waits for the index to catch up with at most this many committed changes (so that a
/// record is findable right after it is published); a larger backlog (a bulk import) is applied
/// by the background loop and the query does not wait for it.
pub const CATCH_UP_MAX_LAG: i64 = 1000;

/// Search parameters. Facet filters take one code or several separated by commas (OR within a
/// facet, AND across facets).
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Free text: Chinese, English or mixed. Empty: every record passing the filters.
    pub q: Option<String>,
    /// `achievement` or `demand` (default both).
    pub kind: Option<String>,
    /// Industrial chain codes (`/api/v1/reference/chains`).
    pub chain: Option<String>,
    /// Technology field codes (`tech_field` code list).
    pub field: Option<String>,
    /// Stage codes: `lab`, `pilot`, `mature` (achievements).
    pub stage: Option<String>,
    /// Division codes (GB/T 2260); a city or province code matches the codes below it, e.g.
    /// `2101` for Shenyang.
    pub district: Option<String>,
    /// Owner kinds: `university`, `institute`, `enterprise`, ...
    pub owner_kind: Option<String>,
    /// `relevance` (default) or `date` (most recently updated first).
    pub sort: Option<String>,
    /// Page size, 1–100 (default 10).
    pub limit: Option<i64>,
    /// Hits to skip (default 0).
    pub offset: Option<i64>,
}

/// One hit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchHit {
    pub id: i64,
    /// `achievement` or `demand`.
    pub kind: String,
    #[serde(rename = "ref")]
    pub reference: String,
    pub title: String,
    /// The title as HTML with the matched terms in `<mark>` (everything else escaped).
    pub title_html: String,
    /// Relevance (BM25 with re-ranking; 0 for date order without text).
    pub score: f32,
    /// HTML fragments of the abstract or description with `<mark>` highlights.
    pub snippets: Vec<String>,
    /// The record's page.
    pub url: String,
}

/// A facet value with its count over all matching records the caller may see.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacetCount {
    pub value: String,
    /// Label in the request's language.
    pub label: String,
    pub count: u64,
}

/// The search response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchOut {
    /// Matching records the caller may see.
    pub total: u64,
    pub limit: i64,
    pub offset: i64,
    pub hits: Vec<SearchHit>,
    /// Facet name (`kind`, `chain`, `tech_field`, `stage`, `district`, `owner_kind`) → counts,
    /// most frequent first.
    pub facets: std::collections::BTreeMap<String, Vec<FacetCount>>,
}

/// The label of a facet value in a language.
pub fn facet_label(facet: Facet, value: &str, lang: Lang) -> String {
    let code = |list: &[refdata::Code]| {
        refdata::lookup(list, value).map(|c| lang.pick(c.zh, c.en).to_string())
    };
    let label = match facet {
        Facet::Kind => DocKind::parse(value).map(|k| {
            match k {
                DocKind::Achievement => lang.pick("科技成果", "Achievements"),
                DocKind::Demand => lang.pick("技术需求", "Demands"),
            }
            .to_string()
        }),
        Facet::Chain => code(refdata::chains().items),
        Facet::TechField => code(refdata::tech_fields()),
        Facet::Stage => code(refdata::stages()),
        Facet::District => refdata::division(value).map(|d| d.name.to_string()),
        Facet::OwnerKind => OrgKind::parse(value).map(|k| lang.pick(k.zh(), k.en()).to_string()),
    };
    label.unwrap_or_else(|| value.to_string())
}

/// Parsed and checked parameters.
fn to_query(p: &SearchParams, viewer: Option<&Actor>) -> Result<chengguo_search::Query, ApiError> {
    let mut errs = Vec::new();
    let kind = match p.kind.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(k) => match DocKind::parse(k) {
            Some(k) => Some(k),
            None => {
                errs.push(FieldError::new(
                    "kind",
                    format!("unknown kind '{k}': use achievement or demand"),
                ));
                None
            }
        },
    };
    let mut filters = Vec::new();
    let mut facet =
        |raw: &Option<String>, name: &str, facet: Facet, check: &dyn Fn(&str) -> Option<String>| {
            for v in raw
                .as_deref()
                .unwrap_or("")
                .split([',', '，'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                match check(v) {
                    Some(code) => filters.push((facet, code)),
                    None => errs.push(FieldError::new(name, format!("unknown {name} '{v}'"))),
                }
            }
        };
    let by_list = |list: &'static [refdata::Code]| {
        move |v: &str| refdata::lookup(list, v).map(|c| c.code.to_string())
    };
    facet(
        &p.chain,
        "chain",
        Facet::Chain,
        &by_list(refdata::chains().items),
    );
    facet(
        &p.field,
        "field",
        Facet::TechField,
        &by_list(refdata::tech_fields()),
    );
    facet(&p.stage, "stage", Facet::Stage, &by_list(refdata::stages()));
    facet(&p.district, "district", Facet::District, &|v: &str| {
        let ok = (2..=6).contains(&v.len())
            && v.len().is_multiple_of(2)
            && v.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| v.to_string())
    });
    facet(&p.owner_kind, "owner_kind", Facet::OwnerKind, &|v: &str| {
        OrgKind::parse(v).map(|k| k.as_str().to_string())
    });
    let sort = match p.sort.as_deref().map(str::trim).unwrap_or("") {
        "" | "relevance" => Sort::Relevance,
        "date" | "-date" | "updated" => Sort::Date,
        other => {
            errs.push(FieldError::new(
                "sort",
                format!("cannot sort by '{other}': use relevance or date"),
            ));
            Sort::Relevance
        }
    };
    let limit = p.limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        errs.push(FieldError::new("limit", "must be 1–100"));
    }
    let offset = p.offset.unwrap_or(0);
    if !(0..=10_000).contains(&offset) {
        errs.push(FieldError::new("offset", "must be 0–10000"));
    }
    if !errs.is_empty() {
        return Err(ApiError::validation(errs));
    }
    Ok(chengguo_search::Query {
        text: p.q.clone().unwrap_or_default().trim().to_string(),
        kind,
        filters,
        visible_to: audiences(viewer),
        limit: limit as usize,
        offset: offset as usize,
        sort,
        facet_limit: 30,
    })
}

/// Runs a search for a viewer (the API and the search page).
pub async fn run(
    state: &AppState,
    viewer: Option<&Actor>,
    p: &SearchParams,
    lang: Lang,
) -> Result<SearchOut, ApiError> {
    let q = to_query(p, viewer)?;
    state.search.catch_up(CATCH_UP_MAX_LAG).await?;
    let res = state
        .search
        .index()
        .search(&q)
        .map_err(ApiError::internal)?;
    let hits = res
        .hits
        .into_iter()
        .map(|h| SearchHit {
            url: match h.kind {
                DocKind::Achievement => format!("/achievements/{}", h.id),
                DocKind::Demand => format!("/demands/{}", h.id),
            },
            id: h.id,
            kind: h.kind.as_str().to_string(),
            reference: h.ref_,
            title: h.title,
            title_html: h.title_html,
            score: (h.score * 1000.0).round() / 1000.0,
            snippets: h.snippets,
        })
        .collect();
    let facets = res
        .facets
        .into_iter()
        .map(|(name, values)| {
            let f = Facet::parse(&name);
            let values = values
                .into_iter()
                .map(|(value, count)| FacetCount {
                    label: f.map_or_else(|| value.clone(), |f| facet_label(f, &value, lang)),
                    value,
                    count,
                })
                .collect();
            (name, values)
        })
        .collect();
    Ok(SearchOut {
        total: res.total,
        limit: q.limit as i64,
        offset: q.offset as i64,
        hits,
        facets,
    })
}

/// Search achievements and demands (only what the caller may read).
#[utoipa::path(get, path = "/api/v1/search", tag = "search",
    params(SearchParams),
    responses((status = 200, body = SearchOut), (status = 422, body = crate::error::ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    viewer: Viewer,
    lang: Lang,
    Query(p): Query<SearchParams>,
) -> ApiResult<Json<SearchOut>> {
    let actor = viewer.actor();
    Ok(Json(run(&state, actor.as_ref(), &p, lang).await?))
}
