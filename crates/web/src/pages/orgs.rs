//! Organization pages: list (filters, sort, pagination, CSV/XLSX export), detail, create/edit
//! forms with inline errors, and the import upload with its preview.

use super::{render, sort_href, Ctx, Pager};
use crate::api::orgs::{org_query, OrgListParams};
use crate::api::Paging;
use crate::auth::{check_csrf, Auth, Bureau, CsrfForm, OrgMember};
use crate::error::ApiError;
use crate::extract::{Path, Query};
use crate::imports::{detect_format, import_orgs, ImportReport};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chengguo_core::org::OrgInput;
use chengguo_core::{refdata, FieldError, OrgKind, Organization};
use chengguo_io::Cell;
use chengguo_store::{StoreError, UpdateError};
use serde::Deserialize;

/// An organization as a row of a page.
pub struct OrgRow {
    pub org: Organization,
    pub kind_name: String,
    pub division_name: String,
    pub nature_name: String,
}

impl OrgRow {
    fn new(ctx: &Ctx, org: Organization) -> Self {
        OrgRow {
            kind_name: ctx.pick(org.kind.zh(), org.kind.en()).to_string(),
            division_name: refdata::full_name(&org.division_code)
                .unwrap_or_else(|| org.division_code.clone()),
            nature_name: refdata::lookup(refdata::natures(), &org.nature)
                .map(|c| ctx.pick(c.zh, c.en).to_string())
                .unwrap_or_else(|| org.nature.clone()),
            org,
        }
    }
}

/// Choices for the filter and form menus.
pub struct Choice {
    pub value: String,
    pub label: String,
}

fn kind_choices(ctx: &Ctx) -> Vec<Choice> {
    OrgKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.as_str().into(),
            label: ctx.pick(k.zh(), k.en()).into(),
        })
        .collect()
}

fn district_choices() -> Vec<Choice> {
    let mut v = vec![Choice {
        value: "210100".into(),
        label: "沈阳市（全部）".into(),
    }];
    v.extend(refdata::shenyang_districts().into_iter().map(|d| Choice {
        value: d.code.into(),
        label: format!("{} {}", d.code, d.name),
    }));
    v
}

fn nature_choices(ctx: &Ctx) -> Vec<Choice> {
    refdata::natures()
        .iter()
        .map(|c| Choice {
            value: c.code.into(),
            label: format!("{} {}", c.code, ctx.pick(c.zh, c.en)),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "orgs_list.html")]
struct ListPage<'a> {
    ctx: &'a Ctx,
    rows: Vec<OrgRow>,
    pager: Pager,
    q: String,
    kind: String,
    division: String,
    sort: String,
    kinds: Vec<Choice>,
    districts: Vec<Choice>,
    export_query: String,
    error: Option<String>,
}

impl ListPage<'_> {
    fn sort_link(&self, field: &str) -> String {
        let current = self.sort.trim_start_matches('-');
        sort_href(
            &self.ctx.here,
            (current == field && !self.sort.starts_with('-')).then_some(field),
            field,
        )
    }
    fn sort_mark(&self, field: &str) -> &'static str {
        if self.sort == field {
            "▲"
        } else if self.sort.strip_prefix('-') == Some(field) {
            "▼"
        } else {
            ""
        }
    }
}

#[derive(Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    kind: Option<String>,
    division: Option<String>,
    sort: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

impl ListQuery {
    fn params(&self) -> (OrgListParams, Paging) {
        (
            OrgListParams {
                q: self.q.clone(),
                kind: self.kind.clone(),
                division: self.division.clone(),
                sort: self.sort.clone(),
            },
            Paging {
                limit: self.limit,
                offset: self.offset,
            },
        )
    }
}

async fn list(State(state): State<AppState>, ctx: Ctx, Query(lq): Query<ListQuery>) -> Response {
    let (params, paging) = lq.params();
    let (page, error) = match org_query(&params, &paging) {
        Ok(q) => match state.store.list_orgs(&q).await {
            Ok(p) => (p, None),
            Err(e) => return ApiError::from(e).into_page(&ctx),
        },
        Err(e) => (
            chengguo_store::Page {
                items: vec![],
                total: 0,
                limit: paging.limit(),
                offset: 0,
            },
            Some(e.message),
        ),
    };
    let export_query = ctx
        .here
        .split_once('?')
        .map(|(_, q)| q.to_string())
        .unwrap_or_default();
    let t = ListPage {
        pager: Pager::new(&ctx.here, page.total, page.limit, page.offset),
        rows: page
            .items
            .into_iter()
            .map(|o| OrgRow::new(&ctx, o))
            .collect(),
        q: lq.q.unwrap_or_default(),
        kind: lq.kind.unwrap_or_default(),
        division: lq.division.unwrap_or_default(),
        sort: lq.sort.unwrap_or_else(|| "name".into()),
        kinds: kind_choices(&ctx),
        districts: district_choices(),
        export_query,
        error,
        ctx: &ctx,
    };
    render(&t)
}

const EXPORT_HEADERS: [&str; 9] = [
    "name",
    "credit_code",
    "division_code",
    "nature",
    "kind",
    "description",
    "division_name",
    "kind_name",
    "updated_at",
];

async fn export_csv(state: State<AppState>, ctx: Ctx, lq: Query<ListQuery>) -> Response {
    export(state, ctx, "csv", lq).await
}

async fn export_xlsx(state: State<AppState>, ctx: Ctx, lq: Query<ListQuery>) -> Response {
    export(state, ctx, "xlsx", lq).await
}

async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    file: &str,
    Query(lq): Query<ListQuery>,
) -> Response {
    let (params, _) = lq.params();
    let q = match org_query(
        &params,
        &Paging {
            limit: Some(200),
            offset: Some(0),
        },
    ) {
        Ok(mut q) => {
            q.limit = 10_000;
            q
        }
        Err(e) => return e.into_page(&ctx),
    };
    // Pages of 10,000 until all matching rows are read.
    let mut rows = Vec::new();
    let mut q = q;
    loop {
        match state.store.list_orgs(&q).await {
            Ok(p) => {
                let n = p.items.len() as i64;
                rows.extend(p.items);
                if n < q.limit {
                    break;
                }
                q.offset += q.limit;
            }
            Err(e) => return ApiError::from(e).into_page(&ctx),
        }
    }
    let cells: Vec<Vec<String>> = rows
        .into_iter()
        .map(|o| {
            let r = OrgRow::new(&ctx, o);
            vec![
                r.org.name,
                r.org.credit_code,
                r.org.division_code,
                r.org.nature,
                r.org.kind.as_str().into(),
                r.org.description,
                r.division_name,
                r.kind_name,
                r.org.updated_at,
            ]
        })
        .collect();
    match file {
        "csv" => download(
            "organizations.csv",
            "text/csv; charset=utf-8",
            chengguo_io::write_csv(&EXPORT_HEADERS, &cells),
        ),
        _ => {
            let xrows: Vec<Vec<Cell>> = cells
                .into_iter()
                .map(|r| r.into_iter().map(Cell::Text).collect())
                .collect();
            match chengguo_io::write_xlsx("organizations", &EXPORT_HEADERS, &xrows) {
                Ok(bytes) => download(
                    "organizations.xlsx",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    bytes,
                ),
                Err(e) => ApiError::internal(e).into_page(&ctx),
            }
        }
    }
}

/// A file download response.
pub fn download(filename: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "org_detail.html")]
struct DetailPage<'a> {
    ctx: &'a Ctx,
    row: OrgRow,
    can_edit: bool,
    saved: bool,
}

#[derive(Deserialize)]
struct SavedFlag {
    saved: Option<String>,
}

async fn detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(f): Query<SavedFlag>,
) -> Response {
    match state.store.get_org(id).await {
        Ok(Some(org)) => {
            let can_edit = ctx.user.as_ref().is_some_and(|u| {
                u.roles.contains(&chengguo_core::Role::Bureau) || u.org_id == Some(org.id)
            });
            render(&DetailPage {
                row: OrgRow::new(&ctx, org),
                can_edit,
                saved: f.saved.is_some(),
                ctx: &ctx,
            })
        }
        Ok(None) => super::not_found(&ctx),
        Err(e) => ApiError::from(e).into_page(&ctx),
    }
}

/// The values of the form, as typed.
#[derive(Deserialize, Default, Clone)]
pub struct OrgForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    credit_code: String,
    #[serde(default)]
    division_code: String,
    #[serde(default)]
    nature: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    description: String,
}

impl OrgForm {
    fn from_org(o: &Organization) -> Self {
        OrgForm {
            name: o.name.clone(),
            credit_code: o.credit_code.clone(),
            division_code: o.division_code.clone(),
            nature: o.nature.clone(),
            kind: o.kind.as_str().into(),
            description: o.description.clone(),
        }
    }
    fn input(&self) -> OrgInput {
        OrgInput {
            name: Some(self.name.clone()),
            credit_code: Some(self.credit_code.clone()),
            division_code: Some(self.division_code.clone()),
            nature: Some(self.nature.clone()),
            kind: Some(self.kind.clone()),
            description: Some(self.description.clone()),
        }
    }
}

#[derive(Template)]
#[template(path = "org_form.html")]
struct FormPage<'a> {
    ctx: &'a Ctx,
    /// None when creating.
    id: Option<i64>,
    form: OrgForm,
    errors: Vec<FieldError>,
    /// Only the bureau may change the credit code and the kind.
    locked: bool,
    kinds: Vec<Choice>,
    natures: Vec<Choice>,
    districts: Vec<Choice>,
}

impl FormPage<'_> {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
    fn general_errors(&self) -> Vec<&FieldError> {
        const KNOWN: [&str; 6] = [
            "name",
            "credit_code",
            "division_code",
            "nature",
            "kind",
            "description",
        ];
        self.errors
            .iter()
            .filter(|e| !KNOWN.contains(&e.field.as_str()))
            .collect()
    }
}

fn form_page<'a>(
    ctx: &'a Ctx,
    id: Option<i64>,
    form: OrgForm,
    errors: Vec<FieldError>,
    locked: bool,
) -> FormPage<'a> {
    FormPage {
        kinds: kind_choices(ctx),
        natures: nature_choices(ctx),
        districts: district_choices(),
        ctx,
        id,
        form,
        errors,
        locked,
    }
}

fn with_status(mut r: Response, s: StatusCode) -> Response {
    *r.status_mut() = s;
    r
}

async fn new_form(_auth: Auth<Bureau>, ctx: Ctx) -> Response {
    let form = OrgForm {
        division_code: "210100".into(),
        ..Default::default()
    };
    render(&form_page(&ctx, None, form, vec![], false))
}

#[derive(Deserialize)]
struct Csrf {
    #[allow(dead_code)]
    csrf: String,
}

async fn create(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<OrgForm>,
) -> Response {
    match form.input().into_new() {
        Ok(new) => match state.store.create_org(&auth.actor(), &new).await {
            Ok(org) => Redirect::to(&format!("/organizations/{}?saved=1", org.id)).into_response(),
            Err(StoreError::Conflict { field, value }) => {
                let msg = format!("{value} 已存在 / already exists");
                with_status(
                    render(&form_page(
                        &ctx,
                        None,
                        form,
                        vec![FieldError::new(field, msg)],
                        false,
                    )),
                    StatusCode::CONFLICT,
                )
            }
            Err(e) => ApiError::from(e).into_page(&ctx),
        },
        Err(errors) => with_status(
            render(&form_page(&ctx, None, form, errors, false)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    }
}

async fn edit_form(
    State(state): State<AppState>,
    auth: Auth<OrgMember>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Response {
    match state.store.get_org(id).await {
        Ok(Some(org)) => {
            let patch = chengguo_core::OrganizationPatch::default();
            if let Err(d) = chengguo_core::access::can_update_org(&auth.actor(), &org, &patch) {
                return ApiError::forbidden(d.to_string()).into_page(&ctx);
            }
            render(&form_page(
                &ctx,
                Some(id),
                OrgForm::from_org(&org),
                vec![],
                !auth.actor().is_bureau(),
            ))
        }
        Ok(None) => super::not_found(&ctx),
        Err(e) => ApiError::from(e).into_page(&ctx),
    }
}

async fn update(
    State(state): State<AppState>,
    auth: Auth<OrgMember>,
    ctx: Ctx,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<OrgForm>,
) -> Response {
    let locked = !auth.actor().is_bureau();
    let input = form.input();
    let patch = match input.into_patch() {
        Ok(p) => p,
        Err(errors) => {
            return with_status(
                render(&form_page(&ctx, Some(id), form, errors, locked)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    };
    if locked {
        // The form shows these read-only; a changed value (a hand-made request) is refused,
        // each field named, as the API refuses it (403).
        if let Ok(Some(org)) = state.store.get_org(id).await {
            if auth.actor().org_id == Some(org.id) {
                let changed = chengguo_core::access::identifying_changes(&org, &patch);
                if !changed.is_empty() {
                    let msg = ctx.pick(
                        "只有科技局可以修改此项。",
                        "Only the bureau may change this field.",
                    );
                    let errors = changed
                        .into_iter()
                        .map(|f| FieldError::new(f, msg))
                        .collect();
                    return with_status(
                        render(&form_page(&ctx, Some(id), form, errors, locked)),
                        StatusCode::FORBIDDEN,
                    );
                }
            }
        }
    }
    match state.store.update_org(&auth.actor(), id, &patch).await {
        Ok(_) => Redirect::to(&format!("/organizations/{id}?saved=1")).into_response(),
        Err(UpdateError::Store(StoreError::Conflict { field, value })) => {
            let msg = format!("{value} 已存在 / already exists");
            with_status(
                render(&form_page(
                    &ctx,
                    Some(id),
                    form,
                    vec![FieldError::new(field, msg)],
                    locked,
                )),
                StatusCode::CONFLICT,
            )
        }
        Err(e) => ApiError::from(e).into_page(&ctx),
    }
}

#[derive(Template)]
#[template(path = "org_import.html")]
struct ImportPage<'a> {
    ctx: &'a Ctx,
    report: Option<ImportReport>,
    filename: String,
    upload_id: Option<String>,
    done: bool,
}

async fn import_form(_auth: Auth<Bureau>, ctx: Ctx) -> Response {
    render(&ImportPage {
        ctx: &ctx,
        report: None,
        filename: String::new(),
        upload_id: None,
        done: false,
    })
}

/// Receives the upload and shows its preview; keeps the file for the confirmation step.
async fn import_preview(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    ctx: Ctx,
    headers: HeaderMap,
    mut mp: Multipart,
) -> Response {
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                let filename = field.file_name().map(str::to_string);
                match field.bytes().await {
                    Ok(b) if name == "csrf" => csrf = String::from_utf8_lossy(&b).into_owned(),
                    Ok(b) if name == "file" => {
                        file = Some((filename.unwrap_or_default(), b.to_vec()))
                    }
                    Ok(_) => {}
                    Err(e) => return crate::imports::upload_error_page(&e, &state, &ctx),
                }
            }
            Ok(None) => break,
            Err(e) => return crate::imports::upload_error_page(&e, &state, &ctx),
        }
    }
    if let Err(r) = check_csrf(&headers, &csrf) {
        return r;
    }
    let Some((filename, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return with_status(
            render(&ImportPage {
                ctx: &ctx,
                report: Some(ImportReport {
                    problems: vec![crate::imports::ImportProblem {
                        row: 0,
                        column: "file".into(),
                        message: ctx.pick("请选择一个文件。", "Choose a file.").into(),
                    }],
                    ..Default::default()
                }),
                filename: String::new(),
                upload_id: None,
                done: false,
            }),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let format = detect_format(Some(&filename), &bytes);
    let report = match import_orgs(
        &state.store,
        &auth.actor(),
        &bytes,
        format,
        &state.config.limits(),
        true,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return ApiError::from(e).into_page(&ctx),
    };
    let upload_id = if report.ok() {
        match state
            .store
            .save_upload(auth.user.id, "organizations", &filename, &bytes)
            .await
        {
            Ok(id) => Some(id),
            Err(e) => return ApiError::from(e).into_page(&ctx),
        }
    } else {
        None
    };
    let status = if report.ok() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    with_status(
        render(&ImportPage {
            ctx: &ctx,
            report: Some(report),
            filename,
            upload_id,
            done: false,
        }),
        status,
    )
}

async fn import_commit(
    State(state): State<AppState>,
    auth: Auth<Bureau>,
    ctx: Ctx,
    Path(upload_id): Path<String>,
    CsrfForm(_): CsrfForm<Csrf>,
) -> Response {
    let upload = match state.store.get_upload(auth.user.id, &upload_id).await {
        Ok(Some(u)) => u,
        Ok(None) => return super::not_found(&ctx),
        Err(e) => return ApiError::from(e).into_page(&ctx),
    };
    let format = detect_format(Some(&upload.filename), &upload.bytes);
    let report = match import_orgs(
        &state.store,
        &auth.actor(),
        &upload.bytes,
        format,
        &state.config.limits(),
        false,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return ApiError::from(e).into_page(&ctx),
    };
    let _ = state.store.delete_upload(&upload.id).await;
    let status = if report.ok() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    with_status(
        render(&ImportPage {
            ctx: &ctx,
            report: Some(report),
            filename: upload.filename,
            upload_id: None,
            done: true,
        }),
        status,
    )
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/organizations", get(list))
        .route("/organizations/new", get(new_form).post(create))
        .route(
            "/organizations/import",
            get(import_form).post(import_preview),
        )
        .route("/organizations/import/{upload}/commit", post(import_commit))
        .route("/organizations/{id}", get(detail))
        .route("/organizations/{id}/edit", get(edit_form).post(update))
        .route("/organizations/export.csv", get(export_csv))
        .route("/organizations/export.xlsx", get(export_xlsx))
}
