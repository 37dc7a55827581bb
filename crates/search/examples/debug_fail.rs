use chengguo_search::csl::read_jsonl;
use chengguo_search::{analyze, DocKind, Query, SearchDoc, SearchIndex};
use std::path::Path;
fn main() {
    let d = Path::new("../shared/data/csl");
    let dev = read_jsonl(&d.join("csl_dev.jsonl")).unwrap();
    let test = read_jsonl(&d.join("csl_test.jsonl")).unwrap();
    let few = read_jsonl(&d.join("fewclue_abstracts.jsonl")).unwrap();
    let mut corpus = vec![];
    for r in dev.iter().chain(test.iter()) {
        corpus.push((r.id.clone(), r.abstract_.clone().unwrap()));
    }
    for r in &few {
        if r.discipline.is_some() {
            corpus.push((r.id.clone(), r.abstract_.clone().unwrap()));
        }
    }
    let idx = SearchIndex::in_memory().unwrap();
    idx.rebuild(
        corpus.iter().enumerate().map(|(i, (r, b))| SearchDoc {
            id: i as i64,
            kind: DocKind::Achievement,
            ref_: r.clone(),
            body: b.clone(),
            visible_to: vec!["public".into()],
            ..Default::default()
        }),
        0,
    )
    .unwrap();
    let mut a = chengguo_search::word_analyzer_for_debug();
    for (qi, r) in dev.iter().enumerate() {
        let t = r.title.clone().unwrap();
        let res = idx
            .search(&Query {
                limit: 10,
                ..Query::text(t.clone())
            })
            .unwrap();
        let pos = res.hits.iter().position(|h| h.id as usize == qi);
        if pos != Some(0) {
            let toks: Vec<String> = analyze(&mut a, &t).into_iter().map(|x| x.term).collect();
            println!(
                "Q{qi} pos={pos:?} {t}\n  terms={toks:?}\n  top1={}\n  own={}",
                corpus[res.hits.first().map(|h| h.id as usize).unwrap_or(0)]
                    .1
                    .chars()
                    .take(120)
                    .collect::<String>(),
                corpus[qi].1.chars().take(200).collect::<String>()
            );
        }
    }
}
