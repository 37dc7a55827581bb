//! `/api/v1/reference/…`: the code lists (public).

use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use chengguo_core::refdata::{self, CodeList};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct DivisionOut {
    pub code: String,
    pub name: String,
    pub full_name: String,
    /// 1 province, 2 prefecture, 3 county.
    pub level: u8,
    pub parent: Option<String>,
    /// Retired by a later revision of GB/T 2260 (still valid for old records).
    pub retired: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DivisionParams {
    /// Children of this code (`210100` → Shenyang's districts); provinces when absent.
    pub parent: Option<String>,
    /// Include retired codes.
    pub include_retired: Option<bool>,
}

/// GB/T 2260 administrative divisions.
#[utoipa::path(get, path = "/api/v1/reference/divisions", tag = "reference", params(DivisionParams),
    responses((status = 200, body = Vec<DivisionOut>)))]
pub async fn divisions(Query(p): Query<DivisionParams>) -> Json<Vec<DivisionOut>> {
    let retired = p.include_retired.unwrap_or(false);
    let list: Vec<_> = match p.parent.as_deref().filter(|s| !s.is_empty()) {
        Some(parent) => refdata::children(parent),
        None => refdata::divisions()
            .iter()
            .filter(|d| d.level == 1)
            .collect(),
    };
    Json(
        list.into_iter()
            .filter(|d| retired || !d.retired)
            .map(|d| DivisionOut {
                code: d.code.to_string(),
                name: d.name.to_string(),
                full_name: refdata::full_name(d.code).unwrap_or_default(),
                level: d.level,
                parent: d.parent.map(str::to_string),
                retired: d.retired,
            })
            .collect(),
    )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CodeOut {
    pub code: String,
    pub zh: String,
    pub en: String,
    pub parent: Option<String>,
}

impl From<&refdata::Code> for CodeOut {
    fn from(c: &refdata::Code) -> Self {
        CodeOut {
            code: c.code.into(),
            zh: c.zh.into(),
            en: c.en.into(),
            parent: c.parent.map(str::to_string),
        }
    }
}

/// A code list: tech_fields, natures, contract_categories, ip_types, plan_categories,
/// achievement_categories, stages, transformation_modes, refusal_grounds, broker_levels.
#[utoipa::path(get, path = "/api/v1/reference/codes/{list}", tag = "reference",
    params(("list" = String, Path, description = "List name, e.g. tech_fields")),
    responses((status = 200, body = Vec<CodeOut>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn codes(Path(list): Path<String>) -> ApiResult<Json<Vec<CodeOut>>> {
    let l = CodeList::ALL
        .into_iter()
        .find(|l| l.slug() == list || plural(l.slug()) == list)
        .ok_or_else(|| ApiError::not_found(format!("code list '{list}'")))?;
    Ok(Json(l.codes().iter().map(CodeOut::from).collect()))
}

/// `tech_field` → `tech_fields`, `contract_category` → `contract_categories`.
fn plural(slug: &str) -> String {
    match slug.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{slug}s"),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChainsOut {
    /// The code list's version, e.g. `shenyang-2022`.
    pub version: String,
    pub source: String,
    pub groups: Vec<CodeOut>,
    pub items: Vec<CodeOut>,
}

/// The current industrial-chain code list (versioned).
#[utoipa::path(get, path = "/api/v1/reference/chains", tag = "reference", responses((status = 200, body = ChainsOut)))]
pub async fn chains() -> Json<ChainsOut> {
    let c = refdata::chains();
    Json(ChainsOut {
        version: c.version.into(),
        source: c.source.into(),
        groups: c.groups.iter().map(CodeOut::from).collect(),
        items: c.items.iter().map(CodeOut::from).collect(),
    })
}
