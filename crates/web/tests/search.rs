//! Search through the API and the page, on both databases: Chinese, English and mixed queries,
//! a record findable right after it is published, facets with counts and filters, date order,
//! paging, and no unpublished or restricted record for those who may not read it.

mod common;

use axum::http::{Method, StatusCode};
use chengguo_store::storage_test;
use chengguo_store::testing::TestDb;
use common::TestApp;
use serde_json::{json, Value};

async fn search(app: &TestApp, token: Option<&str>, query: &str) -> Value {
    let r = app
        .api(Method::GET, &format!("/api/v1/search?{query}"), token, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.text());
    r.json()
}

fn ids(v: &Value) -> Vec<i64> {
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_i64().unwrap())
        .collect()
}

fn q(text: &str) -> String {
    format!("q={}", urlencoding(text))
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn create_achievement(app: &TestApp, token: &str, body: Value) -> i64 {
    let r = app
        .api(
            Method::POST,
            "/api/v1/achievements",
            Some(token),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()["id"].as_i64().unwrap()
}

async fn act(app: &TestApp, token: &str, what: &str, id: i64, action: &str) {
    let r = app
        .api(
            Method::POST,
            &format!("/api/v1/{what}/{id}/actions/{action}"),
            Some(token),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.text());
}

async fn search_api(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let unit = app.token("unit").await;
    let bureau = app.token("bureau").await;
    let enterprise = app.token("enterprise").await;
    let broker = app.token("broker").await;

    let zh = create_achievement(
        &app,
        &unit,
        json!({"ref": "SR-1", "title": "镍基高温合金涡轮叶片激光熔覆修复技术",
               "abstract": "针对航空发动机涡轮叶片叶尖磨损，提出激光熔覆修复工艺，修复后疲劳寿命恢复到新件的百分之九十以上。",
               "keywords": ["激光熔覆", "涡轮叶片"], "industrial_chain": "aviation", "stage": "pilot",
               "tech_field": "advanced_manufacturing"}),
    )
    .await;
    let en = create_achievement(
        &app,
        &unit,
        json!({"ref": "SR-2", "title": "Solid-state electrolytes for lithium metal batteries",
               "abstract": "A sulfide solid electrolyte membrane that suppresses lithium dendrites and keeps 90% capacity after 1,000 cycles.",
               "keywords": ["solid electrolyte", "lithium battery"], "industrial_chain": "new_energy_vehicles", "stage": "lab"}),
    )
    .await;

    // Drafts: the owner finds them, the public and other accounts do not.
    assert!(ids(&search(&app, Some(&unit), &q("激光熔覆")).await).contains(&zh));
    assert!(!ids(&search(&app, None, &q("激光熔覆")).await).contains(&zh));
    assert!(!ids(&search(&app, Some(&enterprise), &q("激光熔覆")).await).contains(&zh));
    assert!(ids(&search(&app, Some(&bureau), &q("激光熔覆")).await).contains(&zh));

    // Published: findable right away, by everyone, in Chinese, English and mixed queries.
    for id in [zh, en] {
        act(&app, &unit, "achievements", id, "submit").await;
        act(&app, &bureau, "achievements", id, "publish").await;
    }
    let r = search(&app, None, &q("涡轮叶片 激光熔覆")).await;
    assert_eq!(ids(&r)[0], zh, "{r}");
    let hit = &r["hits"][0];
    assert_eq!(hit["ref"], "SR-1");
    assert_eq!(hit["kind"], "achievement");
    assert!(hit["score"].as_f64().unwrap() > 0.0);
    assert!(
        hit["title_html"].as_str().unwrap().contains("<mark>"),
        "{hit}"
    );
    assert!(
        hit["snippets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().contains("<mark>")),
        "{hit}"
    );
    assert_eq!(hit["url"], format!("/achievements/{zh}"));
    assert!(r["total"].as_u64().unwrap() >= 1);

    let r = search(&app, None, &q("lithium dendrites electrolyte")).await;
    assert_eq!(
        ids(&r)[0],
        en,
        "English query finds the English record: {r}"
    );
    let r = search(&app, None, &q("lithium battery 固态电解质")).await;
    assert!(ids(&r).contains(&en), "mixed query: {r}");
    // English stemming: "batteries" ~ "battery".
    assert!(ids(&search(&app, None, &q("battery")).await).contains(&en));

    // Facets: counts over everything matching; filters narrow; kind restricts.
    let r = search(&app, None, &format!("{}&kind=achievement", q("叶片"))).await;
    let chains = r["facets"]["chain"].as_array().unwrap();
    let aviation = chains.iter().find(|c| c["value"] == "aviation").unwrap();
    assert!(aviation["count"].as_u64().unwrap() >= 1);
    assert_eq!(aviation["label"], "航空");
    let r2 = search(
        &app,
        None,
        &format!("{}&kind=achievement&chain=aviation", q("叶片")),
    )
    .await;
    assert_eq!(r2["total"], aviation["count"]);
    assert!(ids(&r2).contains(&zh));
    let r3 = search(&app, None, &format!("{}&kind=demand", q("叶片"))).await;
    assert!(r3["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["kind"] == "demand"));
    let r = search(&app, None, &format!("{}&stage=lab", q("lithium"))).await;
    assert!(ids(&r).contains(&en));
    let r = search(&app, None, &format!("{}&stage=pilot", q("lithium"))).await;
    assert!(!ids(&r).contains(&en));
    // English labels on request.
    let r = search(
        &app,
        None,
        &format!("{}&kind=achievement&lang=en", q("叶片")),
    )
    .await;
    let aviation = r["facets"]["chain"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"] == "aviation")
        .unwrap()
        .clone();
    assert_eq!(aviation["label"], "Aviation");

    // Paging and date order.
    let all = search(&app, None, "limit=5").await;
    let total = all["total"].as_u64().unwrap();
    assert!(total > 5, "the demo's published records: {total}");
    assert_eq!(all["hits"].as_array().unwrap().len(), 5);
    let page2 = search(&app, None, "limit=5&offset=5").await;
    assert_eq!(page2["total"], total);
    assert!(ids(&page2).iter().all(|i| !ids(&all).contains(i)));
    let newest = search(&app, None, "sort=date&limit=3").await;
    assert_eq!(ids(&newest)[0..2].len(), 2);
    assert!(ids(&newest).contains(&en) || ids(&newest).contains(&zh));

    // Bad parameters name the field.
    for bad in [
        "kind=patent",
        "chain=nope",
        "sort=price",
        "limit=0",
        "district=21x",
    ] {
        let r = app
            .api(Method::GET, &format!("/api/v1/search?{bad}"), None, None)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let field = bad.split('=').next().unwrap();
        assert_eq!(r.json()["fields"][0]["field"], field, "{bad}: {}", r.text());
    }

    // Restricted demands: brokers and the bureau, not the public nor other accounts.
    let r = app
        .api(
            Method::POST,
            "/api/v1/demands",
            Some(&enterprise),
            Some(json!({"ref": "SD-1", "title": "叶尖磨损的激光修复需求", "description": "寻求涡轮叶片叶尖磨损修复技术",
                        "visibility": "restricted", "deadline": "2999-12-31"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let did = r.json()["id"].as_i64().unwrap();
    act(&app, &enterprise, "demands", did, "publish").await;
    let demand_q = format!("{}&kind=demand", q("叶尖磨损"));
    assert!(ids(&search(&app, Some(&broker), &demand_q).await).contains(&did));
    assert!(ids(&search(&app, Some(&bureau), &demand_q).await).contains(&did));
    assert!(ids(&search(&app, Some(&enterprise), &demand_q).await).contains(&did));
    assert!(!ids(&search(&app, None, &demand_q).await).contains(&did));
    assert!(!ids(&search(&app, Some(&unit), &demand_q).await).contains(&did));
    // Facet counts do not reveal it either.
    let anon = search(&app, None, &demand_q).await;
    let kinds = anon["facets"]["kind"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let seen: u64 = kinds.iter().map(|k| k["count"].as_u64().unwrap()).sum();
    assert_eq!(seen, anon["total"].as_u64().unwrap());

    // Withdrawn from publication: gone for the public at once.
    act(&app, &unit, "achievements", zh, "withdraw").await;
    assert!(!ids(&search(&app, None, &q("激光熔覆")).await).contains(&zh));
    assert!(ids(&search(&app, Some(&unit), &q("激光熔覆")).await).contains(&zh));
}
storage_test!(search_api);

async fn search_page(db: &TestDb) {
    let app = TestApp::new(db.clone_for_test()).await;
    let anon = common::Browser::new();
    let r = app.page(&anon, "/search").await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(html.contains("检索成果与需求"), "Chinese by default");
    assert!(
        html.contains("class=\"facets\""),
        "facets on the empty query"
    );

    let r = app.page(&anon, &format!("/search?{}", q("机器人"))).await;
    let html = r.text();
    assert!(html.contains("<mark>"), "highlights");
    assert!(html.contains("class=\"count\""), "facet counts");
    assert!(html.contains("chain="), "facet links add a filter");

    let r = app.page(&anon, &format!("/search?{}", q("zzzzqqqq"))).await;
    assert!(r.text().contains("没有找到相关的成果或需求"), "empty state");

    let r = app.page(&anon, "/search?chain=nope").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text().contains("unknown chain"),
        "the error names the field"
    );

    let home = app.page(&anon, "/").await.text();
    assert!(
        home.contains("action=\"/search\""),
        "the home page has a search box"
    );

    let r = app.page(&anon, "/search?lang=en&q=robot").await;
    assert!(r.text().contains("Search achievements and demands"));
}
storage_test!(search_page);
