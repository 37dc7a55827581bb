use std::path::{Path, PathBuf};

use chengguo_search::{
    eval_csl, DocKind, Facet, MoreLike, OpenOutcome, Query, SearchDoc, SearchError, SearchIndex,
    Sort,
};

fn doc(id: i64, kind: DocKind, title: &str, body: &str) -> SearchDoc {
    SearchDoc {
        id,
        kind,
        ref_: format!("REF-{id}"),
        title: title.to_string(),
        body: body.to_string(),
        visible_to: vec!["public".to_string()],
        updated_at: 1_700_000_000 + id,
        ..SearchDoc::default()
    }
}

fn corpus() -> Vec<SearchDoc> {
    let mut docs = vec![
        SearchDoc {
            keywords: vec!["机器人".into(), "视觉".into()],
            chain: vec!["高端装备".into(), "人工智能".into()],
            tech_field: Some("智能制造".into()),
            stage: Some("中试".into()),
            district: Some("440305".into()),
            owner_kind: Some("university".into()),
            ..doc(1, DocKind::Achievement, "工业机器人视觉定位系统", "本成果研制了一种基于深度学习的工业机器人视觉定位系统，定位精度达到0.02毫米，适用于汽车焊装生产线。")
        },
        SearchDoc {
            chain: vec!["生物医药".into()],
            tech_field: Some("生物技术".into()),
            stage: Some("产业化".into()),
            district: Some("440106".into()),
            owner_kind: Some("enterprise".into()),
            ..doc(2, DocKind::Achievement, "新型疫苗佐剂的制备方法", "提供一种新型疫苗佐剂及其制备方法，显著增强免疫应答，已完成临床前研究。")
        },
        SearchDoc {
            chain: vec!["高端装备".into()],
            tech_field: Some("智能制造".into()),
            stage: Some("实验室".into()),
            district: Some("110108".into()),
            owner_kind: Some("institute".into()),
            ..doc(3, DocKind::Achievement, "Autonomous mobile robots for warehouse logistics", "A fleet of autonomous mobile robot platforms with lidar SLAM navigation for warehouse picking; the robot schedules tasks using reinforcement learning.")
        },
        SearchDoc {
            chain: vec!["高端装备".into()],
            tech_field: Some("智能制造".into()),
            district: Some("440303".into()),
            owner_kind: Some("enterprise".into()),
            ..doc(4, DocKind::Demand, "求购焊装线机器人视觉引导技术", "我公司汽车焊装生产线需要机器人视觉引导与定位技术，要求精度优于0.05毫米。")
        },
        SearchDoc {
            chain: vec!["新能源".into()],
            tech_field: Some("储能".into()),
            district: Some("440305".into()),
            owner_kind: Some("enterprise".into()),
            ..doc(5, DocKind::Demand, "锂电池热失控预警", "需要一种锂电池储能系统热失控早期预警方法，基于BMS数据和气体传感器。")
        },
        SearchDoc {
            // Only visible to organization 7 and brokers.
            visible_to: vec!["org:7".into(), "role:broker".into()],
            chain: vec!["高端装备".into()],
            tech_field: Some("智能制造".into()),
            district: Some("440305".into()),
            owner_kind: Some("university".into()),
            ..doc(6, DocKind::Achievement, "协作机器人柔顺控制（未公开）", "协作机器人力控与柔顺控制算法，适用于精密装配。")
        },
        SearchDoc {
            ..doc(7, DocKind::Achievement, "<script>alert(1)</script> 机器人安全 & 防护", "机器人 <b>安全</b> 防护装置 & 急停 \"系统\"。")
        },
    ];
    for d in &mut docs {
        if d.district.is_none() {
            d.district = Some("440101".into());
        }
    }
    docs
}

fn index() -> SearchIndex {
    let idx = SearchIndex::in_memory().unwrap();
    idx.upsert(&corpus()).unwrap();
    idx.commit().unwrap();
    idx
}

fn ids(idx: &SearchIndex, q: &Query) -> Vec<i64> {
    idx.search(q).unwrap().hits.iter().map(|h| h.id).collect()
}

#[test]
fn chinese_query_finds_chinese_doc() {
    let idx = index();
    let r = idx.search(&Query::text("疫苗佐剂")).unwrap();
    assert_eq!(r.hits.first().map(|h| h.id), Some(2));
    assert_eq!(r.hits[0].kind, DocKind::Achievement);
    assert_eq!(r.hits[0].ref_, "REF-2");
    assert_eq!(r.hits[0].title, "新型疫苗佐剂的制备方法");
    assert!(r.hits[0].score > 0.0);
}

#[test]
fn english_query_is_stemmed() {
    let idx = index();
    let r = ids(&idx, &Query::text("Robots navigation"));
    assert_eq!(r.first(), Some(&3));
    // "robot" (singular) also finds "robots".
    assert!(ids(&idx, &Query::text("robot")).contains(&3));
    assert!(ids(&idx, &Query::text("WAREHOUSE")).contains(&3));
}

#[test]
fn mixed_query() {
    let idx = index();
    let r = ids(&idx, &Query::text("锂电池 BMS 预警"));
    assert_eq!(r.first(), Some(&5));
    let r = ids(&idx, &Query::text("warehouse 机器人"));
    assert!(r.contains(&3) && r.contains(&1), "{r:?}");
}

#[test]
fn visibility_filters_hits_totals_and_facets() {
    let idx = index();
    let public = idx.search(&Query::text("机器人 控制")).unwrap();
    assert!(!public.hits.iter().any(|h| h.id == 6));
    let count = |r: &chengguo_search::SearchResult, facet: &str, value: &str| {
        r.facets[facet]
            .iter()
            .find(|(v, _)| v == value)
            .map_or(0, |(_, n)| *n)
    };
    let broker = idx
        .search(&Query {
            visible_to: vec!["public".into(), "role:broker".into()],
            ..Query::text("机器人 控制")
        })
        .unwrap();
    assert!(broker.hits.iter().any(|h| h.id == 6));
    assert_eq!(broker.total, public.total + 1);
    assert_eq!(
        count(&broker, "owner_kind", "university"),
        count(&public, "owner_kind", "university") + 1
    );
    // Only the restricted audience.
    let org = idx
        .search(&Query {
            visible_to: vec!["org:7".into()],
            ..Query::text("机器人")
        })
        .unwrap();
    assert_eq!(org.total, 1);
    assert_eq!(org.hits[0].id, 6);
    // No audience: nothing.
    let none = idx
        .search(&Query {
            visible_to: vec![],
            ..Query::text("机器人")
        })
        .unwrap();
    assert_eq!(none.total, 0);
    // Browsing (no text) is filtered too.
    let all = idx.search(&Query::text("")).unwrap();
    assert_eq!(all.total, 6);
    assert!(!all.hits.iter().any(|h| h.id == 6));
}

#[test]
fn facet_counts_and_filters() {
    let idx = index();
    let r = idx.search(&Query::text("")).unwrap();
    let chain = &r.facets["chain"];
    assert_eq!(chain[0], ("高端装备".to_string(), 3));
    assert!(chain.contains(&("人工智能".to_string(), 1)));
    assert_eq!(
        r.facets["kind"],
        vec![("achievement".to_string(), 4), ("demand".to_string(), 2)]
    );
    assert!(r.facets["district"].contains(&("440305".to_string(), 2)));

    // Filter by facet values: OR within a facet, AND across facets.
    let q = Query {
        filters: vec![
            (Facet::TechField, "智能制造".into()),
            (Facet::OwnerKind, "enterprise".into()),
            (Facet::OwnerKind, "university".into()),
        ],
        ..Query::text("机器人")
    };
    let mut got = ids(&idx, &q);
    got.sort();
    assert_eq!(got, vec![1, 4]);
    // Kind filter.
    let q = Query {
        kind: Some(DocKind::Demand),
        ..Query::text("机器人")
    };
    assert_eq!(ids(&idx, &q), vec![4]);
    // District filter by prefecture code matches the counties below it.
    let q = Query {
        filters: vec![(Facet::District, "440300".into())],
        ..Query::text("")
    };
    let mut got = ids(&idx, &q);
    got.sort();
    assert_eq!(got, vec![1, 4, 5]);
    // Facet limit.
    let q = Query {
        facet_limit: 1,
        ..Query::text("")
    };
    assert_eq!(idx.search(&q).unwrap().facets["chain"].len(), 1);
}

#[test]
fn snippets_mark_terms_and_escape_html() {
    let idx = index();
    let r = idx.search(&Query::text("机器人 安全")).unwrap();
    let hit = r.hits.iter().find(|h| h.id == 7).expect("doc 7 found");
    assert!(
        hit.title_html.contains("<mark>机器人</mark>"),
        "{}",
        hit.title_html
    );
    assert!(
        hit.title_html.contains("&lt;script&gt;"),
        "{}",
        hit.title_html
    );
    assert!(!hit.title_html.contains("<script>"));
    assert!(hit.title_html.contains("&amp;"));
    let snippet = &hit.snippets[0];
    assert!(snippet.contains("<mark>"), "{snippet}");
    assert!(snippet.contains("&lt;b&gt;"), "{snippet}");
    assert!(snippet.contains("&quot;"), "{snippet}");
    assert!(!snippet.contains("<b>"), "{snippet}");
    let r = idx.search(&Query::text("视觉定位")).unwrap();
    assert!(r.hits[0].snippets[0].contains("<mark>"));
}

#[test]
fn upsert_replaces_and_delete_removes() {
    let idx = index();
    assert_eq!(idx.doc_count(), 7);
    assert_eq!(ids(&idx, &Query::text("疫苗")), vec![2]);
    idx.upsert(&[doc(
        2,
        DocKind::Achievement,
        "新型疫苗佐剂（修订）",
        "修订后的疫苗佐剂说明。",
    )])
    .unwrap();
    idx.commit().unwrap();
    assert_eq!(idx.doc_count(), 7);
    let r = idx.search(&Query::text("疫苗")).unwrap();
    assert_eq!(r.total, 1);
    assert_eq!(r.hits[0].title, "新型疫苗佐剂（修订）");
    // Same id, other kind: a different document.
    idx.upsert(&[doc(
        2,
        DocKind::Demand,
        "疫苗冷链需求",
        "需要疫苗冷链运输。",
    )])
    .unwrap();
    idx.commit().unwrap();
    assert_eq!(idx.search(&Query::text("疫苗")).unwrap().total, 2);
    idx.delete(DocKind::Achievement, 2).unwrap();
    idx.commit().unwrap();
    let r = idx.search(&Query::text("疫苗")).unwrap();
    assert_eq!(r.total, 1);
    assert_eq!(r.hits[0].kind, DocKind::Demand);
    assert_eq!(idx.doc_count(), 7);
}

#[test]
fn paging_and_date_sort() {
    let idx = index();
    let all = ids(
        &idx,
        &Query {
            limit: 100,
            ..Query::text("机器人")
        },
    );
    assert_eq!(all.len(), 3, "{all:?}");
    let page2 = ids(
        &idx,
        &Query {
            limit: 2,
            offset: 1,
            ..Query::text("机器人")
        },
    );
    assert_eq!(page2, all[1..3].to_vec());
    let page3 = ids(
        &idx,
        &Query {
            limit: 2,
            offset: 4,
            ..Query::text("机器人")
        },
    );
    assert!(page3.is_empty());
    let by_date = ids(
        &idx,
        &Query {
            sort: Sort::Date,
            limit: 100,
            ..Query::text("机器人")
        },
    );
    let mut expected = by_date.clone();
    expected.sort_by(|a, b| b.cmp(a)); // updated_at grows with id
    assert_eq!(by_date, expected);
}

#[test]
fn more_like_matches_demands_to_achievements_with_reasons() {
    let idx = index();
    let demand = &corpus()[3];
    let hits = idx
        .more_like(&MoreLike {
            title: demand.title.clone(),
            body: demand.body.clone(),
            keywords: demand.keywords.clone(),
            target: Some(DocKind::Achievement),
            limit: 3,
            exclude: vec![],
            visible_to: Some(vec!["public".into()]),
        })
        .unwrap();
    assert_eq!(hits[0].id, 1, "{hits:?}");
    assert_eq!(hits[0].kind, DocKind::Achievement);
    assert!(hits
        .iter()
        .all(|h| h.kind == DocKind::Achievement && h.id != 6));
    let shared = &hits[0].shared_terms;
    assert!(shared.iter().any(|t| t == "焊装"), "{shared:?}");
    assert!(shared.iter().any(|t| t == "视觉"), "{shared:?}");
    // Exclusion.
    let hits = idx
        .more_like(&MoreLike {
            title: demand.title.clone(),
            body: demand.body.clone(),
            target: Some(DocKind::Achievement),
            limit: 3,
            exclude: vec![1],
            ..MoreLike::default()
        })
        .unwrap();
    assert!(hits.iter().all(|h| h.id != 1));
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn persisted_index_keeps_docs_and_change_sequence() {
    let tmp = temp_dir();
    let dir = tmp.path().join("index");
    {
        let idx = SearchIndex::open_or_create(&dir).unwrap();
        assert_eq!(idx.synced_seq(), 0);
        idx.upsert(&corpus()).unwrap();
        idx.set_synced_seq(42);
        idx.commit().unwrap();
        assert_eq!(idx.synced_seq(), 42);
    }
    let idx = SearchIndex::open_or_create(&dir).unwrap();
    assert_eq!(idx.doc_count(), 7);
    assert_eq!(idx.synced_seq(), 42);
    idx.commit_synced(43).unwrap();
    assert_eq!(idx.synced_seq(), 43);
    // A commit without a new sequence keeps the last one.
    idx.delete(DocKind::Achievement, 1).unwrap();
    idx.commit().unwrap();
    assert_eq!(idx.synced_seq(), 43);
}

fn rebuild_from(docs: Vec<SearchDoc>) -> impl FnOnce(&SearchIndex) -> chengguo_search::Result<u64> {
    move |idx| {
        idx.add_bulk(docs)?;
        Ok(7)
    }
}

#[test]
fn missing_or_corrupt_index_is_rebuilt() {
    let tmp = temp_dir();
    let dir: PathBuf = tmp.path().join("index");
    let settings = chengguo_search::IndexSettings::default();
    // Missing: rebuilt.
    let (idx, outcome) =
        SearchIndex::open_or_rebuild_with(&dir, settings.clone(), rebuild_from(corpus())).unwrap();
    assert!(
        matches!(outcome, OpenOutcome::Rebuilt { .. }),
        "{outcome:?}"
    );
    assert_eq!(idx.doc_count(), 7);
    assert_eq!(idx.synced_seq(), 7);
    drop(idx);
    // Intact: opened.
    let (idx, outcome) =
        SearchIndex::open_or_rebuild_with(&dir, settings.clone(), |_| panic!("no rebuild"))
            .unwrap();
    assert_eq!(outcome, OpenOutcome::Opened);
    assert_eq!(idx.doc_count(), 7);
    drop(idx);

    // Corrupt meta.json.
    std::fs::write(dir.join("meta.json"), b"{ not json").unwrap();
    assert!(matches!(
        SearchIndex::open(&dir),
        Err(SearchError::Unusable(_))
    ));
    let (idx, outcome) =
        SearchIndex::open_or_rebuild_with(&dir, settings.clone(), rebuild_from(corpus())).unwrap();
    assert!(
        matches!(outcome, OpenOutcome::Rebuilt { .. }),
        "{outcome:?}"
    );
    assert_eq!(ids(&idx, &Query::text("疫苗佐剂")), vec![2]);
    drop(idx);

    // Truncated segment files.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".term") || name.ends_with(".fast") {
            let len = std::fs::metadata(&p).unwrap().len();
            let f = std::fs::OpenOptions::new().write(true).open(&p).unwrap();
            f.set_len(len / 2).unwrap();
        }
    }
    assert!(matches!(
        SearchIndex::open(&dir),
        Err(SearchError::Unusable(_))
    ));
    let (idx, outcome) =
        SearchIndex::open_or_rebuild_with(&dir, settings.clone(), rebuild_from(corpus())).unwrap();
    assert!(
        matches!(outcome, OpenOutcome::Rebuilt { .. }),
        "{outcome:?}"
    );
    assert_eq!(idx.doc_count(), 7);
    drop(idx);

    // Missing segment files.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".idx") || name.ends_with(".term") || name.ends_with(".store") {
            std::fs::remove_file(&p).unwrap();
        }
    }
    assert!(matches!(
        SearchIndex::open(&dir),
        Err(SearchError::Unusable(_))
    ));
    let (idx, outcome) = SearchIndex::open_or_rebuild(&dir, rebuild_from(corpus())).unwrap();
    assert!(
        matches!(outcome, OpenOutcome::Rebuilt { .. }),
        "{outcome:?}"
    );
    assert_eq!(idx.doc_count(), 7);
}

#[test]
fn index_is_shareable_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SearchIndex>();
}

#[test]
fn never_wipes_a_directory_with_other_files() {
    let tmp = temp_dir();
    std::fs::write(tmp.path().join("notes.txt"), b"keep me").unwrap();
    let err = SearchIndex::create(tmp.path()).unwrap_err();
    assert!(matches!(err, SearchError::Invalid(_)), "{err}");
    assert!(tmp.path().join("notes.txt").exists());
}

#[test]
fn rebuild_replaces_everything() {
    let idx = index();
    let n = idx
        .rebuild(
            vec![doc(100, DocKind::Demand, "唯一文档", "只有这一条。")],
            9,
        )
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(idx.doc_count(), 1);
    assert_eq!(idx.segment_count(), 1);
    assert_eq!(idx.synced_seq(), 9);
    assert_eq!(ids(&idx, &Query::text("唯一")), vec![100]);
}

#[test]
fn csl_eval_slice() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/csl");
    if !data.join("csl_dev.jsonl").exists() {
        println!("skipped: ../shared/data/csl not found");
        return;
    }
    let r = eval_csl(&data, "dev", Some(100)).unwrap();
    println!("{r:?}");
    assert_eq!(r.n_queries, 100);
    assert_eq!(r.corpus_size, 7867);
    assert!(r.mrr10 > 0.9, "{r:?}");
    assert!(r.recall10 > 0.95, "{r:?}");
    assert!(r.discipline_share10 > 0.3, "{r:?}");
}
