//! `/api/docs`: the OpenAPI document rendered as a page (our own rendering, no third-party UI).

use super::Ctx;
use crate::i18n::Lang;
use askama::Template;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::OpenApi;

pub struct Op {
    pub method: &'static str,
    pub path: String,
    pub summary: String,
    pub tag: String,
    pub params: Vec<(String, String, bool, String)>,
    pub has_body: bool,
    pub responses: Vec<(String, String)>,
    pub secured: bool,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct DocsPage<'a> {
    ctx: &'a Ctx,
    title: String,
    version: String,
    description: String,
    ops: Vec<Op>,
}

fn method_name(m: &HttpMethod) -> &'static str {
    match m {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Put => "PUT",
        HttpMethod::Delete => "DELETE",
        HttpMethod::Options => "OPTIONS",
        HttpMethod::Head => "HEAD",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Trace => "TRACE",
    }
}

fn op(method: &'static str, path: &str, o: &Operation) -> Op {
    let params = o
        .parameters
        .iter()
        .flatten()
        .map(|p| {
            let loc = serde_json::to_value(&p.parameter_in)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let required = matches!(p.required, utoipa::openapi::Required::True);
            (
                p.name.clone(),
                loc,
                required,
                p.description.clone().unwrap_or_default(),
            )
        })
        .collect();
    Op {
        method,
        path: path.to_string(),
        summary: o
            .summary
            .clone()
            .or_else(|| o.description.clone())
            .unwrap_or_default(),
        tag: o
            .tags
            .as_ref()
            .and_then(|t| t.first().cloned())
            .unwrap_or_default(),
        params,
        has_body: o.request_body.is_some(),
        responses: o
            .responses
            .responses
            .iter()
            .map(|(code, r)| {
                let desc = match r {
                    utoipa::openapi::RefOr::T(r) => r.description.clone(),
                    utoipa::openapi::RefOr::Ref(r) => r.ref_location.clone(),
                };
                (code.clone(), desc)
            })
            .collect(),
        secured: o.security.as_ref().is_some_and(|s| !s.is_empty()),
    }
}

/// Renders the API documentation page for an anonymous-or-not visitor (no account needed).
pub fn api_docs(lang: Lang, doc: &OpenApi) -> String {
    let ctx = Ctx {
        lang,
        user: None,
        csrf: String::new(),
        here: "/api/docs".into(),
    };
    let mut ops = Vec::new();
    for (path, item) in doc.paths.paths.iter() {
        for (m, o) in [
            (HttpMethod::Get, &item.get),
            (HttpMethod::Post, &item.post),
            (HttpMethod::Patch, &item.patch),
            (HttpMethod::Put, &item.put),
            (HttpMethod::Delete, &item.delete),
        ] {
            if let Some(o) = o {
                ops.push(op(method_name(&m), path, o));
            }
        }
    }
    let page = DocsPage {
        ctx: &ctx,
        title: doc.info.title.clone(),
        version: doc.info.version.clone(),
        description: doc.info.description.clone().unwrap_or_default(),
        ops,
    };
    page.render()
        .unwrap_or_else(|e| format!("<h1>API</h1><p>{}</p>", super::escape(&e.to_string())))
}
