//! The page language: Simplified Chinese by default, English on request (`?lang=en`, remembered
//! in the `cg_lang` cookie). Every user-visible string of the pages is looked up here by key.

use axum::extract::{FromRequestParts, Request};
use axum::http::{header, request::Parts};
use axum::middleware::Next;
use axum::response::Response;
use std::convert::Infallible;

pub const LANG_COOKIE: &str = "cg_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
    /// The value of `<html lang>`.
    pub fn html(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
    /// Picks the Chinese or the English of a pair.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
    /// The translation of a key (the key itself when missing, which a test forbids).
    pub fn t(self, key: &str) -> &'static str {
        match TEXTS.binary_search_by(|(k, _, _)| (*k).cmp(key)) {
            Ok(i) => {
                let (_, zh, en) = TEXTS[i];
                self.pick(zh, en)
            }
            Err(_) => "??",
        }
    }
}

fn lang_from_query(query: Option<&str>) -> Option<Lang> {
    query?
        .split('&')
        .find_map(|kv| kv.strip_prefix("lang="))
        .and_then(Lang::parse)
}

/// Reads `?lang=` (and remembers it in a cookie) or the cookie, for every request.
pub async fn remember_lang(mut req: Request, next: Next) -> Response {
    let from_query = lang_from_query(req.uri().query());
    let lang = from_query
        .or_else(|| {
            crate::auth::cookie(req.headers(), LANG_COOKIE)
                .as_deref()
                .and_then(Lang::parse)
        })
        .unwrap_or_default();
    req.extensions_mut().insert(lang);
    let mut resp = next.run(req).await;
    if let Some(l) = from_query {
        resp.headers_mut().append(
            header::SET_COOKIE,
            crate::auth::set_cookie(LANG_COOKIE, l.code(), 60 * 60 * 24 * 365, false, false),
        );
    }
    resp
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Lang>().copied().unwrap_or_default())
    }
}

/// (key, 中文, English), sorted by key (a test checks the order and that templates use only these).
pub static TEXTS: &[(&str, &str, &str)] = &[
    ("action.cancel", "取消", "Cancel"),
    ("action.create", "新建", "Create"),
    ("action.edit", "编辑", "Edit"),
    ("action.export_csv", "导出 CSV", "Export CSV"),
    ("action.export_xlsx", "导出 Excel", "Export Excel"),
    ("action.filter", "筛选", "Filter"),
    ("action.import", "批量导入", "Import"),
    ("action.import_commit", "确认导入", "Import now"),
    ("action.preview", "预览检查", "Preview"),
    ("action.reset", "重置", "Reset"),
    ("action.save", "保存", "Save"),
    ("app.name", "成果", "Chengguo"),
    ("app.tagline", "沈阳市科技成果本地转化服务平台", "Shenyang platform for the local transformation of S&T achievements"),
    ("audit.action", "操作", "Action"),
    ("audit.actor", "操作人", "Actor"),
    ("audit.at", "时间", "Time"),
    ("audit.chain_broken", "审计链校验失败", "Audit chain broken"),
    ("audit.chain_ok", "审计链完整", "Audit chain intact"),
    ("audit.change", "变更内容", "Change"),
    ("audit.empty", "没有符合条件的审计记录。", "No audit entries match."),
    ("audit.entity", "对象", "Entity"),
    ("audit.entity_id", "对象编号", "Entity id"),
    ("audit.from", "起始日期", "From"),
    ("audit.hash", "哈希", "Hash"),
    ("audit.title", "审计日志", "Audit log"),
    ("audit.to", "截止日期", "To"),
    ("common.all", "全部", "All"),
    ("common.demo", "演示", "Demo"),
    ("common.next", "下一页", "Next"),
    ("common.of_total", "共", "of"),
    ("common.optional", "选填", "optional"),
    ("common.page", "页", "Page"),
    ("common.prev", "上一页", "Previous"),
    ("common.records", "条记录", "records"),
    ("common.required", "必填", "required"),
    ("common.search", "搜索", "Search"),
    ("common.sort", "排序", "Sort"),
    ("docs.title", "API 文档", "API documentation"),
    ("footer.text", "成果 Chengguo · 一条链、一个编号：成果—需求—对接—合同—登记—指标", "Chengguo · one chain, one id: achievement — demand — match — contract — registration — indicators"),
    ("home.headline", "让科技成果在沈阳落地转化", "Turning research results into products in Shenyang"),
    ("home.intro", "成果备案、技术需求、供需匹配、对接活动、技术合同登记与绩效指标，一个平台全链条贯通。", "Filing, demands, matching, events, contract registration and KPIs: one platform, one chain."),
    ("home.orgs_by_district", "各区县机构数", "Organizations by district"),
    ("home.orgs_by_kind", "各类机构数", "Organizations by kind"),
    ("home.stat_orgs", "入驻机构", "Organizations"),
    ("home.stat_users", "用户账号", "Accounts"),
    ("home.welcome", "欢迎", "Welcome"),
    ("home.workspace", "我的工作台", "My workspace"),
    ("import.done", "导入完成", "Import finished"),
    ("import.errors", "发现以下问题，未导入任何数据：", "Problems found; nothing was imported:"),
    ("import.file", "文件（CSV：UTF-8 或 GB18030；XLSX；JSONL）", "File (CSV in UTF-8 or GB18030, XLSX, JSONL)"),
    ("import.ok_preview", "检查通过，可以导入。", "All rows are valid and ready to import."),
    ("import.rows", "行数据", "rows"),
    ("import.title", "批量导入机构", "Import organizations"),
    ("login.demo_hint", "演示账号：bureau / district / unit / enterprise / broker / registrar / public，密码均为 chengguo-demo", "Demo accounts: bureau / district / unit / enterprise / broker / registrar / public, password chengguo-demo"),
    ("login.failed", "用户名或密码错误。", "Wrong username or password."),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Log in"),
    ("login.throttled", "登录失败次数过多，请稍后再试。", "Too many failed logins; try again later."),
    ("login.title", "登录", "Log in"),
    ("login.username", "用户名", "Username"),
    ("nav.api", "API", "API"),
    ("nav.audit", "审计", "Audit"),
    ("nav.home", "首页", "Home"),
    ("nav.login", "登录", "Log in"),
    ("nav.logout", "退出", "Log out"),
    ("nav.orgs", "机构", "Organizations"),
    ("nav.users", "账号", "Accounts"),
    ("org.created_at", "创建时间", "Created"),
    ("org.credit_code", "统一社会信用代码", "Unified social credit code"),
    ("org.description", "简介", "Description"),
    ("org.division", "所在地区", "Division"),
    ("org.division_code", "行政区划代码", "Division code"),
    ("org.edit_title", "编辑机构", "Edit organization"),
    ("org.empty", "没有符合条件的机构。", "No organizations match."),
    ("org.kind", "机构类型", "Kind"),
    ("org.name", "机构名称", "Name"),
    ("org.nature", "单位性质", "Nature"),
    ("org.new_title", "新建机构", "New organization"),
    ("org.saved", "已保存", "Saved"),
    ("org.search_placeholder", "名称或信用代码", "Name or credit code"),
    ("org.title", "机构", "Organizations"),
    ("org.updated_at", "更新时间", "Updated"),
    ("users.create", "新建账号", "New account"),
    ("users.display_name", "显示名称", "Display name"),
    ("users.district", "所属区县", "District"),
    ("users.org", "所属机构", "Organization"),
    ("users.roles", "角色", "Roles"),
    ("users.title", "账号管理", "Accounts"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_sorted_and_unique() {
        for w in TEXTS.windows(2) {
            assert!(w[0].0 < w[1].0, "{} must come before {}", w[0].0, w[1].0);
        }
    }

    #[test]
    fn every_key_used_in_templates_exists() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split(".t(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                if TEXTS.binary_search_by(|(k, _, _)| (*k).cmp(key)).is_err() {
                    missing.push(format!("{}: {key}", path.display()));
                }
            }
        }
        assert!(missing.is_empty(), "missing translations: {missing:?}");
    }

    #[test]
    fn picks_language() {
        assert_eq!(Lang::Zh.t("nav.home"), "首页");
        assert_eq!(Lang::En.t("nav.home"), "Home");
        assert_eq!(lang_from_query(Some("a=1&lang=en")), Some(Lang::En));
    }
}
