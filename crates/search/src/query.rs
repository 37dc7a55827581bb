//! Query execution: search with facets and snippets, and more-like-this matching.

use std::collections::{BTreeMap, HashMap};

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, EnableScoring, Occur, Query as TQuery, TermQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocAddress, DocSet, Searcher, TantivyDocument, Term, TERMINATED};

use crate::analysis::{self, is_cjk};
use crate::collect::{Filter, Gather, Gathered, TopBy};
use crate::error::Result;
use crate::index::SearchIndex;
use crate::snippet::{best_fragment, escape_html, highlight_all};
use crate::{DocKind, Facet, Hit, MoreLike, MoreLikeHit, Query, SearchResult, Sort};

/// The word part of a query.
struct WordPlan {
    /// The query defining the matching set (and the first-pass score).
    query: BooleanQuery,
    /// Common words, scored on the first-pass candidates only.
    common: Vec<QTerm>,
    /// All words were required (no distinctive word).
    all_required: bool,
}

/// A query term with its weight in the query and its first surface form.
#[derive(Debug, Clone)]
pub(crate) struct QTerm {
    pub term: String,
    pub weight: f32,
    pub surface: String,
}

fn count_terms(tokens: Vec<analysis::AnalyzedToken>, text: &str) -> Vec<QTerm> {
    let mut out: Vec<QTerm> = Vec::new();
    let mut pos: HashMap<String, usize> = HashMap::new();
    for t in tokens {
        if let Some(&i) = pos.get(&t.term) {
            out[i].weight += 1.0;
        } else {
            pos.insert(t.term.clone(), out.len());
            out.push(QTerm {
                surface: text.get(t.from..t.to).unwrap_or(&t.term).to_string(),
                term: t.term,
                weight: 1.0,
            });
        }
    }
    out
}

/// Word terms of a query text.
pub(crate) fn word_terms(text: &str, search_mode: bool) -> Vec<QTerm> {
    let tokens = analysis::analyze(&mut analysis::word_analyzer(search_mode), text);
    count_terms(tokens, text)
}

/// Character n-gram terms of a query text.
pub(crate) fn ngram_terms(text: &str, unigrams: bool) -> Vec<QTerm> {
    let tokens = analysis::analyze(&mut analysis::ngram_analyzer(unigrams), text);
    count_terms(tokens, text)
}

fn term_query(field: Field, text: &str, boost: f32) -> Box<dyn TQuery> {
    let q = TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    );
    if (boost - 1.0).abs() < f32::EPSILON {
        Box::new(q)
    } else {
        Box::new(BoostQuery::new(Box::new(q), boost))
    }
}

impl SearchIndex {
    /// Text fields searched, with their boosts.
    fn text_fields(&self) -> [(Field, f32); 3] {
        let r = &self.settings.ranking;
        [
            (self.fields.title, r.title_boost),
            (self.fields.body, 1.0),
            (self.fields.keywords, r.keywords_boost),
        ]
    }

    /// One query word in title, body and keywords (BM25, summed).
    fn word_clause(&self, t: &QTerm) -> Box<dyn TQuery> {
        let clauses: Vec<(Occur, Box<dyn TQuery>)> = self
            .text_fields()
            .iter()
            .map(|&(field, boost)| (Occur::Should, term_query(field, &t.term, boost * t.weight)))
            .collect();
        Box::new(BooleanQuery::new(clauses))
    }

    /// Number of documents containing the word in some text field (an upper bound).
    fn word_df(&self, searcher: &Searcher, term: &str) -> Result<u64> {
        let mut df = 0;
        for (field, _) in self.text_fields() {
            df += searcher.doc_freq(&Term::from_field_text(field, term))?;
        }
        Ok(df)
    }

    /// Plans the word query. Distinctive words (rarest first, within the posting budget) are
    /// required, any of them; the other (common) words are returned separately, to be scored
    /// on the top candidates only. With no distinctive word, all words are required, or with
    /// `relax` only the rarest. `None` if no word occurs in the index at all.
    fn word_plan(
        &self,
        searcher: &Searcher,
        terms: &[QTerm],
        relax: bool,
    ) -> Result<Option<WordPlan>> {
        let budget = self.settings.ranking.match_budget;
        let mut with_df = Vec::with_capacity(terms.len());
        for t in terms {
            let df = self.word_df(searcher, &t.term)?;
            if df > 0 {
                with_df.push((t, df));
            }
        }
        if with_df.is_empty() {
            return Ok(None);
        }
        let mut by_df: Vec<u64> = with_df.iter().map(|(_, df)| *df).collect();
        by_df.sort_unstable();
        let mut limit = 0;
        let mut spent = 0u64;
        for df in &by_df {
            if spent + df > budget {
                break;
            }
            spent += df;
            limit = *df;
        }
        if spent == 0 && !relax && with_df.len() > 1 {
            let clauses = with_df
                .iter()
                .map(|(t, _)| (Occur::Must, self.word_clause(t)))
                .collect();
            return Ok(Some(WordPlan {
                query: BooleanQuery::new(clauses),
                common: Vec::new(),
                all_required: true,
            }));
        }
        if spent == 0 {
            limit = by_df[0];
        }
        let mut required: Vec<(Occur, Box<dyn TQuery>)> = Vec::new();
        let mut common = Vec::new();
        for (t, df) in &with_df {
            if *df <= limit {
                for (field, boost) in self.text_fields() {
                    required.push((Occur::Should, term_query(field, &t.term, boost * t.weight)));
                }
            } else {
                common.push((*t).clone());
            }
        }
        Ok(Some(WordPlan {
            query: BooleanQuery::new(required),
            common,
            all_required: false,
        }))
    }

    /// Adds the BM25 of the common query words to the candidates (seeking their posting lists to
    /// the candidates only) and re-sorts them.
    fn add_common_words(
        &self,
        searcher: &Searcher,
        cands: &mut [(f32, DocAddress)],
        common: &[QTerm],
    ) -> Result<()> {
        if common.is_empty() || cands.is_empty() {
            return Ok(());
        }
        let mut terms = Vec::with_capacity(common.len() * 3);
        for t in common {
            for (field, boost) in self.text_fields() {
                terms.push((field, t.term.clone(), boost * t.weight));
            }
        }
        let addrs: Vec<DocAddress> = cands.iter().map(|c| c.1).collect();
        let extra = score_docs(searcher, &terms, &addrs)?;
        for (c, e) in cands.iter_mut().zip(extra) {
            c.0 += e;
        }
        sort_desc(cands);
        Ok(())
    }

    /// Visibility, kind and facet filters.
    fn filter(
        &self,
        visible_to: &[String],
        kind: Option<DocKind>,
        filters: &[(Facet, String)],
    ) -> Filter {
        let mut groups = vec![(self.fields.visible, visible_to.to_vec())];
        if let Some(kind) = kind {
            groups.push((self.fields.kind, vec![kind.as_str().to_string()]));
        }
        let mut by_facet: BTreeMap<Facet, Vec<String>> = BTreeMap::new();
        for (facet, value) in filters {
            by_facet.entry(*facet).or_default().push(value.clone());
        }
        for (facet, values) in by_facet {
            groups.push((self.fields.filter_field(facet), values));
        }
        Filter { groups }
    }

    /// One pass over the documents matching `query` and `filter`.
    fn gather(
        &self,
        searcher: &Searcher,
        query: &dyn TQuery,
        filter: &Filter,
        top_k: usize,
        top_by: TopBy,
        facet_limit: Option<usize>,
    ) -> Result<Gathered> {
        Ok(searcher.search(
            query,
            &Gather {
                filter: filter.clone(),
                bits_cache: &self.bits_cache,
                facet_cache: facet_limit.map(|_| self.facet_cache.clone()),
                facet_limit: facet_limit.unwrap_or(0),
                top_k,
                top_by,
            },
        )?)
    }

    /// Searches. Hits, total and facet counts only cover documents visible to `q.visible_to`.
    pub fn search(&self, q: &Query) -> Result<SearchResult> {
        let mut result = SearchResult::default();
        if q.visible_to.is_empty() || q.limit == 0 {
            return Ok(result);
        }
        let searcher = self.reader.searcher();
        let ranking = &self.settings.ranking;
        let terms = word_terms(&q.text, ranking.query_search_mode);
        let ngrams = ngram_terms(&q.text, self.settings.char_unigrams);
        let filter = self.filter(&q.visible_to, q.kind, &q.filters);
        let page_end = q.offset + q.limit;
        let (top_k, top_by) = match q.sort {
            Sort::Relevance if !(terms.is_empty() && ngrams.is_empty()) => {
                (page_end.max(ranking.candidates), TopBy::Score)
            }
            _ => (page_end, TopBy::Field("updated_at")),
        };
        let run = |query: &dyn TQuery| {
            self.gather(
                &searcher,
                query,
                &filter,
                top_k,
                top_by,
                Some(q.facet_limit),
            )
        };

        let mut found = None;
        let mut common = Vec::new();
        if terms.is_empty() && ngrams.is_empty() {
            // Browsing: everything that passes the filters, newest first.
            found = Some(run(&AllQuery)?);
        } else if let Some(plan) = self.word_plan(&searcher, &terms, false)? {
            let all_required = plan.all_required;
            common = plan.common;
            let mut g = run(&plan.query)?;
            if g.count == 0 && all_required {
                // Only common words, never all together: require the rarest.
                if let Some(plan) = self.word_plan(&searcher, &terms, true)? {
                    common = plan.common;
                    g = run(&plan.query)?;
                }
            }
            found = Some(g);
        }
        if found.as_ref().is_none_or(|g| g.count == 0) && !ngrams.is_empty() {
            // Nothing shares a word with the query (e.g. a segmentation mismatch of an unknown
            // word): fall back to character n-grams.
            let clauses: Vec<(Occur, Box<dyn TQuery>)> = ngrams
                .iter()
                .map(|t| {
                    (
                        Occur::Should,
                        term_query(self.fields.ngram, &t.term, t.weight),
                    )
                })
                .collect();
            common.clear();
            found = Some(run(&BooleanQuery::new(clauses))?);
        }
        let Some(found) = found else {
            return Ok(result);
        };
        let mut ranked: Vec<(f32, DocAddress)> = found
            .top
            .into_iter()
            .map(|(key, a)| {
                (
                    if top_by == TopBy::Score {
                        key as f32
                    } else {
                        0.0
                    },
                    a,
                )
            })
            .collect();
        if top_by == TopBy::Score && !ranked.is_empty() {
            self.add_common_words(&searcher, &mut ranked, &common)?;
            ranked.truncate(page_end.max(ranking.rerank_k));
            self.rerank(&searcher, &mut ranked, &ngrams)?;
        }
        result.total = found.count;
        for (facet, counts) in Facet::ALL.iter().zip(found.facets) {
            result.facets.insert(facet.as_str().to_string(), counts);
        }
        let page: Vec<(f32, DocAddress)> =
            ranked.into_iter().skip(q.offset).take(q.limit).collect();
        result.hits = self.hits(&searcher, &page, &terms)?;
        Ok(result)
    }

    /// Adds character n-gram BM25 (and optional feedback from the best hit) to the candidates'
    /// scores and re-sorts them.
    fn rerank(
        &self,
        searcher: &Searcher,
        cands: &mut [(f32, DocAddress)],
        ngrams: &[QTerm],
    ) -> Result<()> {
        let ranking = &self.settings.ranking;
        let addrs: Vec<DocAddress> = cands.iter().map(|c| c.1).collect();
        if ranking.ngram_weight > 0.0 && !ngrams.is_empty() {
            let terms: Vec<(Field, String, f32)> = ngrams
                .iter()
                .map(|t| (self.fields.ngram, t.term.clone(), t.weight))
                .collect();
            let extra = score_docs(searcher, &terms, &addrs)?;
            for (c, e) in cands.iter_mut().zip(extra) {
                c.0 += ranking.ngram_weight * e;
            }
        }
        sort_desc(cands);
        if ranking.feedback_weight > 0.0 && cands.len() > 1 {
            let best = cands[0].1;
            let best_score = cands[0].0;
            let doc: TantivyDocument = searcher.doc(best)?;
            let text = doc_text(
                &doc,
                &[self.fields.title, self.fields.keywords, self.fields.body],
            );
            let key = self.key_terms(searcher, &text, ranking.feedback_terms)?;
            let terms: Vec<(Field, String, f32)> = key
                .iter()
                .map(|t| (self.fields.body, t.term.clone(), t.weight))
                .collect();
            let addrs: Vec<DocAddress> = cands.iter().map(|c| c.1).collect();
            let fb = score_docs(searcher, &terms, &addrs)?;
            let norm = fb[0].max(f32::MIN_POSITIVE);
            for (c, f) in cands.iter_mut().zip(fb) {
                c.0 += ranking.feedback_weight * best_score * (f / norm);
            }
            sort_desc(cands);
        }
        Ok(())
    }

    /// The `n` most distinctive terms of `text` (tf × idf against the body field).
    pub(crate) fn key_terms(
        &self,
        searcher: &Searcher,
        text: &str,
        n: usize,
    ) -> Result<Vec<QTerm>> {
        let mut terms = word_terms(text, false);
        let num_docs = searcher.num_docs().max(1) as f32;
        let mut scored = Vec::with_capacity(terms.len());
        for mut t in terms.drain(..) {
            let single_cjk = t.term.chars().count() == 1 && t.term.chars().all(is_cjk);
            let numeric = t.term.chars().all(|c| c.is_ascii_digit() || c == '.');
            if single_cjk || numeric {
                continue;
            }
            let df = searcher.doc_freq(&Term::from_field_text(self.fields.body, &t.term))? as f32;
            if df == 0.0 {
                continue;
            }
            let idf = (1.0 + (num_docs - df + 0.5) / (df + 0.5)).ln();
            let w = (1.0 + t.weight.ln()) * idf;
            t.weight = 1.0 + t.weight.ln();
            scored.push((w, t));
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        Ok(scored.into_iter().take(n).map(|(_, t)| t).collect())
    }

    fn hits(
        &self,
        searcher: &Searcher,
        page: &[(f32, DocAddress)],
        terms: &[QTerm],
    ) -> Result<Vec<Hit>> {
        let f = &self.fields;
        let mut term_map: BTreeMap<String, f32> = BTreeMap::new();
        for t in terms {
            let df = searcher.doc_freq(&Term::from_field_text(f.body, &t.term))? as f32;
            term_map.insert(t.term.clone(), 1.0 / (1.0 + df));
        }
        let analyzer = analysis::word_analyzer(self.settings.index_search_mode);
        let mut hits = Vec::with_capacity(page.len());
        for &(score, addr) in page {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let get_str = |field: Field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            };
            let id = doc
                .get_first(f.id)
                .and_then(|v| v.as_i64())
                .unwrap_or_default();
            let kind = DocKind::parse(&get_str(f.kind)).unwrap_or_default();
            let title = get_str(f.title);
            let body = get_str(f.body);
            let mut snippets = Vec::new();
            if !term_map.is_empty() {
                if let Some(html) = best_fragment(&mut analyzer.clone(), &body, &term_map, 100) {
                    snippets.push(html);
                }
                let keywords: Vec<String> = doc
                    .get_all(f.keywords)
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                if !keywords.is_empty() {
                    let joined = keywords.join("；");
                    let (html, n) = highlight_all(&mut analyzer.clone(), &joined, &term_map);
                    if n > 0 {
                        snippets.push(html);
                    }
                }
            }
            if snippets.is_empty() && !body.is_empty() {
                let head: String = body.chars().take(80).collect();
                let ellipsis = if head.len() < body.len() { "…" } else { "" };
                snippets.push(format!("{}{ellipsis}", escape_html(&head)));
            }
            let (title_html, _) = highlight_all(&mut analyzer.clone(), &title, &term_map);
            hits.push(Hit {
                id,
                kind,
                ref_: get_str(f.ref_),
                title,
                title_html,
                score,
                snippets,
            });
        }
        Ok(hits)
    }

    /// Finds documents similar to a source text (the base of achievement ↔ demand matching).
    ///
    /// The source's most distinctive terms (tf × idf, title and keywords counted double) form a
    /// weighted OR query over title, body and keywords of the target kind. Each result lists the
    /// key terms it shares with the source, in the source's wording.
    pub fn more_like(&self, src: &MoreLike) -> Result<Vec<MoreLikeHit>> {
        if src.limit == 0 {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let mut text = String::new();
        for _ in 0..2 {
            text.push_str(&src.title);
            text.push('\n');
            for k in &src.keywords {
                text.push_str(k);
                text.push('\n');
            }
        }
        text.push_str(&src.body);
        let key = self.key_terms(&searcher, &text, self.settings.ranking.more_like_terms)?;
        if key.is_empty() {
            return Ok(Vec::new());
        }
        let fields = self.text_fields();
        let mut clauses: Vec<(Occur, Box<dyn TQuery>)> = Vec::new();
        for t in &key {
            for (field, boost) in fields {
                clauses.push((Occur::Should, term_query(field, &t.term, boost * t.weight)));
            }
        }
        let mut filter = Filter::default();
        if let Some(vis) = &src.visible_to {
            if vis.is_empty() {
                return Ok(Vec::new());
            }
            filter.groups.push((self.fields.visible, vis.clone()));
        }
        if let Some(kind) = src.target {
            filter
                .groups
                .push((self.fields.kind, vec![kind.as_str().to_string()]));
        }
        let found = self.gather(
            &searcher,
            &BooleanQuery::new(clauses),
            &filter,
            src.limit + src.exclude.len(),
            TopBy::Score,
            None,
        )?;
        let mut top = Vec::with_capacity(src.limit);
        for (score, addr) in found.top {
            let (id, kind) = id_kind(&searcher, addr)?;
            if src.exclude.contains(&id) && src.target.is_none_or(|t| t == kind) {
                continue;
            }
            if top.len() < src.limit {
                top.push((score as f32, addr, id, kind));
            }
        }
        let addrs: Vec<DocAddress> = top.iter().map(|t| t.1).collect();
        // Which key terms each hit contains (in any text field).
        let mut shared: Vec<Vec<String>> = vec![Vec::new(); addrs.len()];
        for t in &key {
            let mut has = vec![false; addrs.len()];
            for (field, _) in fields {
                let m = match_docs(&searcher, field, &t.term, &addrs)?;
                for (h, m) in has.iter_mut().zip(m) {
                    *h |= m;
                }
            }
            for (s, h) in shared.iter_mut().zip(has) {
                if h {
                    s.push(t.surface.clone());
                }
            }
        }
        Ok(top
            .into_iter()
            .zip(shared)
            .map(|((score, _, id, kind), shared_terms)| MoreLikeHit {
                id,
                kind,
                score,
                shared_terms,
            })
            .collect())
    }
}

/// Database id and kind of a document (from fast fields).
fn id_kind(searcher: &Searcher, addr: DocAddress) -> Result<(i64, DocKind)> {
    let seg = searcher.segment_reader(addr.segment_ord);
    let id = seg
        .fast_fields()
        .i64("id")?
        .first(addr.doc_id)
        .unwrap_or_default();
    let mut kind = DocKind::default();
    if let Some(col) = seg.fast_fields().str("kind")? {
        let mut s = String::new();
        if let Some(ord) = col.term_ords(addr.doc_id).next() {
            if col.ord_to_str(ord, &mut s)? {
                kind = DocKind::parse(&s).unwrap_or_default();
            }
        }
    }
    Ok((id, kind))
}

fn sort_desc(cands: &mut [(f32, DocAddress)]) {
    cands.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| (a.1.segment_ord, a.1.doc_id).cmp(&(b.1.segment_ord, b.1.doc_id)))
    });
}

fn doc_text(doc: &TantivyDocument, fields: &[Field]) -> String {
    let mut s = String::new();
    for &f in fields {
        for v in doc.get_all(f) {
            if let Some(t) = v.as_str() {
                s.push_str(t);
                s.push('\n');
            }
        }
    }
    s
}

/// Candidate order by (segment, doc).
fn by_segment(addrs: &[DocAddress]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..addrs.len()).collect();
    order.sort_by_key(|&i| (addrs[i].segment_ord, addrs[i].doc_id));
    order
}

/// BM25 score of each of `addrs` for the weighted terms, computed by seeking the terms' posting
/// lists to the candidate documents only (no full posting-list traversal).
fn score_docs(
    searcher: &Searcher,
    terms: &[(Field, String, f32)],
    addrs: &[DocAddress],
) -> Result<Vec<f32>> {
    let mut scores = vec![0.0f32; addrs.len()];
    let order = by_segment(addrs);
    let weights: Vec<(Box<dyn Weight>, f32)> = terms
        .iter()
        .map(|(field, text, boost)| {
            let q = TermQuery::new(
                Term::from_field_text(*field, text),
                IndexRecordOption::WithFreqs,
            );
            q.weight(EnableScoring::enabled_from_searcher(searcher))
                .map(|w| (w, *boost))
        })
        .collect::<tantivy::Result<_>>()?;
    let mut start = 0;
    while start < order.len() {
        let seg_ord = addrs[order[start]].segment_ord;
        let mut end = start;
        while end < order.len() && addrs[order[end]].segment_ord == seg_ord {
            end += 1;
        }
        let reader = searcher.segment_reader(seg_ord);
        for (weight, boost) in &weights {
            let mut scorer = weight.scorer(reader, *boost)?;
            for &i in &order[start..end] {
                let target = addrs[i].doc_id;
                let mut cur = scorer.doc();
                if cur == TERMINATED {
                    break;
                }
                if cur < target {
                    cur = scorer.seek(target);
                }
                if cur == target {
                    scores[i] += scorer.score();
                }
            }
        }
        start = end;
    }
    Ok(scores)
}

/// Whether each of `addrs` contains `term` in `field`.
fn match_docs(
    searcher: &Searcher,
    field: Field,
    term: &str,
    addrs: &[DocAddress],
) -> Result<Vec<bool>> {
    let mut out = vec![false; addrs.len()];
    let order = by_segment(addrs);
    let q = TermQuery::new(Term::from_field_text(field, term), IndexRecordOption::Basic);
    let weight = q.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut current: Option<(u32, Box<dyn tantivy::query::Scorer>)> = None;
    for i in order {
        let addr = addrs[i];
        if current.as_ref().map(|c| c.0) != Some(addr.segment_ord) {
            current = Some((
                addr.segment_ord,
                weight.scorer(searcher.segment_reader(addr.segment_ord), 1.0)?,
            ));
        }
        if let Some((_, scorer)) = current.as_mut() {
            let mut cur = scorer.doc();
            if cur != TERMINATED && cur < addr.doc_id {
                cur = scorer.seek(addr.doc_id);
            }
            out[i] = cur == addr.doc_id;
        }
    }
    Ok(out)
}
