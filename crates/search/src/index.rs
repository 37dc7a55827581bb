//! The search index: opening, (re)building, writing.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use tantivy::indexer::{LogMergePolicy, NoMergePolicy};
use tantivy::schema::Schema;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::analysis;
use crate::collect::BitsCache;
use crate::error::{Result, SearchError};
use crate::facets::FacetCache;
use crate::schema::{self, doc_key, Fields, SCHEMA_VERSION};
use crate::{DocKind, SearchDoc};

/// Ranking parameters. The defaults are the ones measured in `docs/benchmarks.md` (tuned on the
/// CSL dev split only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    /// Weight of title matches relative to body matches.
    pub title_boost: f32,
    /// Weight of keyword matches relative to body matches.
    pub keywords_boost: f32,
    /// Number of first-pass candidates (scored on the distinctive words) on which the common
    /// words are scored.
    pub candidates: usize,
    /// Number of top word-query candidates re-ranked with the n-gram field and feedback.
    pub rerank_k: usize,
    /// Weight of the character n-gram BM25 score in re-ranking (0 disables it).
    pub ngram_weight: f32,
    /// Weight of pseudo-relevance feedback from the best hit (0 disables it).
    pub feedback_weight: f32,
    /// Number of key terms taken from the best hit for feedback.
    pub feedback_terms: usize,
    /// Posting budget of the matching set. Query words are taken rarest first while the sum of
    /// their document frequencies stays within this budget (at least one word): a document
    /// matches if it contains one of these words; the remaining (common) words only add to the
    /// score. If even the rarest word exceeds the budget, a document must contain all words
    /// (falling back to the rarest word if none does). Small indexes thus get plain OR
    /// semantics, and at scale the matching set (and so the totals and facets) stays meaningful
    /// and its cost bounded: common words have the longest posting lists.
    pub match_budget: u64,
    /// Analyze queries in jieba search mode (sub-words of long words too).
    pub query_search_mode: bool,
    /// Key terms used by [`SearchIndex::more_like`].
    pub more_like_terms: usize,
}

impl Default for Ranking {
    fn default() -> Self {
        Ranking {
            title_boost: 2.0,
            keywords_boost: 1.5,
            candidates: 300,
            rerank_k: 100,
            ngram_weight: 1.0,
            feedback_weight: 1.0,
            feedback_terms: 20,
            match_budget: 50_000,
            query_search_mode: true,
            more_like_terms: 12,
        }
    }
}

/// How an index is written and analyzed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexSettings {
    /// Indexing threads (tantivy writer threads).
    pub writer_threads: usize,
    /// Total indexing memory budget in bytes (split between threads).
    pub writer_heap_bytes: usize,
    /// Index text in jieba search mode (long words also as their dictionary sub-words).
    pub index_search_mode: bool,
    /// Index single Chinese characters in the n-gram field (besides bigrams).
    pub char_unigrams: bool,
    /// Ranking parameters.
    pub ranking: Ranking,
}

impl Default for IndexSettings {
    fn default() -> Self {
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 2);
        IndexSettings {
            writer_threads: threads,
            writer_heap_bytes: 64_000_000 * threads,
            index_search_mode: true,
            char_unigrams: true,
            ranking: Ranking::default(),
        }
    }
}

/// What [`SearchIndex::open_or_rebuild`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenOutcome {
    /// The existing index was opened.
    Opened,
    /// The index was missing or unusable and has been rebuilt.
    Rebuilt {
        /// Why (missing, corrupt, other schema version, ...).
        reason: String,
    },
}

#[derive(Debug, Serialize, Deserialize, Default)]
struct Payload {
    schema_version: u32,
    seq: u64,
    index_search_mode: bool,
    #[serde(default)]
    char_unigrams: bool,
}

/// A full-text index of achievements and demands.
///
/// Cheap to share between threads (`&self` everywhere; writes are serialized internally).
pub struct SearchIndex {
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
    pub(crate) fields: Fields,
    writer: Mutex<Option<IndexWriter>>,
    pub(crate) settings: IndexSettings,
    dir: Option<PathBuf>,
    pending_seq: Mutex<Option<u64>>,
    pub(crate) facet_cache: Arc<FacetCache>,
    pub(crate) bits_cache: BitsCache,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.dir)
            .field("docs", &self.doc_count())
            .finish()
    }
}

fn schema_json(schema: &Schema) -> String {
    serde_json::to_string(schema).unwrap_or_default()
}

/// Files tantivy writes into an index directory.
fn is_index_file(name: &str) -> bool {
    if name == "meta.json" || name == ".managed.json" || name.starts_with(".tantivy-") {
        return true;
    }
    // Segment files: 32 hex digits, optionally `.<opstamp>`, then an extension.
    let stem = name.split('.').next().unwrap_or("");
    stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Removes the index files in `dir`, refusing if it holds anything else (so that a wrong path
/// never wipes unrelated data).
fn wipe_index_dir(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_dir() || !is_index_file(&name) {
            return Err(SearchError::Invalid(format!(
                "refusing to wipe {}: it holds {name:?}, which is not a search index file",
                dir.display()
            )));
        }
        files.push(entry.path());
    }
    for f in files {
        std::fs::remove_file(f)?;
    }
    Ok(())
}

impl SearchIndex {
    fn from_index(index: Index, settings: IndexSettings, dir: Option<PathBuf>) -> Result<Self> {
        analysis::register(
            index.tokenizers(),
            settings.index_search_mode,
            settings.char_unigrams,
        );
        let (_, fields) = schema::build();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| SearchError::Unusable(e.to_string()))?;
        Ok(SearchIndex {
            index,
            reader,
            fields,
            writer: Mutex::new(None),
            settings,
            dir,
            pending_seq: Mutex::new(None),
            facet_cache: Arc::new(FacetCache::default()),
            bits_cache: BitsCache::default(),
        })
    }

    /// A fresh index in memory (tests, evaluation).
    pub fn in_memory() -> Result<Self> {
        Self::in_memory_with(IndexSettings::default())
    }

    /// A fresh index in memory with explicit settings.
    pub fn in_memory_with(settings: IndexSettings) -> Result<Self> {
        let (schema, _) = schema::build();
        let index = Index::create_in_ram(schema);
        Self::from_index(index, settings, None)
    }

    /// Opens an existing index; fails with [`SearchError::Unusable`] if it is missing, corrupt or
    /// of another schema version.
    pub fn open(dir: &Path) -> Result<Self> {
        Self::open_with(dir, IndexSettings::default())
    }

    /// [`SearchIndex::open`] with explicit settings.
    pub fn open_with(dir: &Path, settings: IndexSettings) -> Result<Self> {
        if !dir.join("meta.json").is_file() {
            return Err(SearchError::Unusable(format!(
                "no index in {}",
                dir.display()
            )));
        }
        let index =
            Index::open_in_dir(dir).map_err(|e| SearchError::Unusable(format!("open: {e}")))?;
        let metas = index
            .load_metas()
            .map_err(|e| SearchError::Unusable(format!("meta: {e}")))?;
        let payload: Payload = match metas.payload.as_deref() {
            Some(p) => serde_json::from_str(p)
                .map_err(|e| SearchError::Unusable(format!("commit payload: {e}")))?,
            None => Payload {
                schema_version: SCHEMA_VERSION,
                seq: 0,
                index_search_mode: settings.index_search_mode,
                char_unigrams: settings.char_unigrams,
            },
        };
        if payload.schema_version != SCHEMA_VERSION {
            return Err(SearchError::Unusable(format!(
                "schema version {} (expected {SCHEMA_VERSION})",
                payload.schema_version
            )));
        }
        if payload.index_search_mode != settings.index_search_mode
            || payload.char_unigrams != settings.char_unigrams
        {
            return Err(SearchError::Unusable("indexed with other analysis".into()));
        }
        let (schema, _) = schema::build();
        if schema_json(&index.schema()) != schema_json(&schema) {
            return Err(SearchError::Unusable("different schema".into()));
        }
        let this = Self::from_index(index, settings, Some(dir.to_path_buf()))?;
        // Touch every segment's term dictionaries and stores so that missing or truncated files
        // show up now rather than at the first query.
        let searcher = this.reader.searcher();
        for seg in searcher.segment_readers() {
            for field in [this.fields.body, this.fields.key] {
                seg.inverted_index(field)
                    .map_err(|e| SearchError::Unusable(format!("segment: {e}")))?;
            }
            seg.get_store_reader(0)
                .map_err(|e| SearchError::Unusable(format!("store: {e}")))?;
        }
        this.facet_cache
            .refresh(searcher.segment_readers())
            .map_err(|e| SearchError::Unusable(format!("fast fields: {e}")))?;
        Ok(this)
    }

    /// Creates an empty index in `dir`, removing any index files already there. Fails if `dir`
    /// holds files that are not index files.
    pub fn create(dir: &Path) -> Result<Self> {
        Self::create_with(dir, IndexSettings::default())
    }

    /// [`SearchIndex::create`] with explicit settings.
    pub fn create_with(dir: &Path, settings: IndexSettings) -> Result<Self> {
        wipe_index_dir(dir)?;
        std::fs::create_dir_all(dir)?;
        let (schema, _) = schema::build();
        let index = Index::create_in_dir(dir, schema)?;
        let this = Self::from_index(index, settings, Some(dir.to_path_buf()))?;
        this.commit_synced(0)?;
        Ok(this)
    }

    /// Opens the index in `dir`, or creates an empty one if there is none. An unusable index
    /// is an error ([`SearchError::Unusable`]): see [`SearchIndex::open_or_rebuild`].
    pub fn open_or_create(dir: &Path) -> Result<Self> {
        Self::open_or_create_with(dir, IndexSettings::default())
    }

    /// [`SearchIndex::open_or_create`] with explicit settings.
    pub fn open_or_create_with(dir: &Path, settings: IndexSettings) -> Result<Self> {
        if dir.join("meta.json").is_file() {
            Self::open_with(dir, settings)
        } else {
            Self::create_with(dir, settings)
        }
    }

    /// Opens the index in `dir`; if it is missing, corrupt or of another schema version, creates
    /// a new one and calls `rebuild` to fill it. `rebuild` adds the documents (e.g. with
    /// [`SearchIndex::add_bulk`]) and returns the database change sequence they reflect; the index
    /// is then committed with that sequence and merged.
    pub fn open_or_rebuild<F>(dir: &Path, rebuild: F) -> Result<(Self, OpenOutcome)>
    where
        F: FnOnce(&SearchIndex) -> Result<u64>,
    {
        Self::open_or_rebuild_with(dir, IndexSettings::default(), rebuild)
    }

    /// [`SearchIndex::open_or_rebuild`] with explicit settings.
    pub fn open_or_rebuild_with<F>(
        dir: &Path,
        settings: IndexSettings,
        rebuild: F,
    ) -> Result<(Self, OpenOutcome)>
    where
        F: FnOnce(&SearchIndex) -> Result<u64>,
    {
        let reason = if dir.join("meta.json").is_file() {
            match Self::open_with(dir, settings.clone()) {
                Ok(index) => return Ok((index, OpenOutcome::Opened)),
                Err(SearchError::Unusable(reason)) => reason,
                Err(other) => return Err(other),
            }
        } else {
            "missing".to_string()
        };
        let index = Self::create_with(dir, settings)?;
        let seq = rebuild(&index)?;
        index.commit_synced(seq)?;
        index.optimize()?;
        Ok((index, OpenOutcome::Rebuilt { reason }))
    }

    /// Takes the index writer now (it is otherwise taken at the first write), so that a second
    /// process opening the same directory finds it in use ([`dir_in_use`]).
    pub fn hold_writer(&self) -> Result<()> {
        self.writer().map(|_| ())
    }

    /// The directory, if the index is on disk.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The settings in use.
    pub fn settings(&self) -> &IndexSettings {
        &self.settings
    }

    /// Changes the ranking parameters (no re-indexing needed).
    pub fn set_ranking(&mut self, ranking: Ranking) {
        self.settings.ranking = ranking;
    }

    fn writer(&self) -> Result<MutexGuard<'_, Option<IndexWriter>>> {
        let mut guard = self
            .writer
            .lock()
            .map_err(|_| SearchError::Invalid("index writer poisoned".into()))?;
        if guard.is_none() {
            let w: IndexWriter = self.index.writer_with_num_threads(
                self.settings.writer_threads,
                self.settings.writer_heap_bytes,
            )?;
            *guard = Some(w);
        }
        Ok(guard)
    }

    fn to_document(&self, d: &SearchDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.key, doc_key(d.kind, d.id));
        doc.add_i64(f.id, d.id);
        doc.add_text(f.kind, d.kind.as_str());
        doc.add_text(f.ref_, &d.ref_);
        doc.add_text(f.title, &d.title);
        doc.add_text(f.body, &d.body);
        for k in &d.keywords {
            doc.add_text(f.keywords, k);
        }
        doc.add_text(f.ngram, &d.title);
        for k in &d.keywords {
            doc.add_text(f.ngram, k);
        }
        doc.add_text(f.ngram, &d.body);
        for c in &d.chain {
            doc.add_text(f.chain, c);
        }
        if let Some(v) = &d.tech_field {
            doc.add_text(f.tech_field, v);
        }
        if let Some(v) = &d.stage {
            doc.add_text(f.stage, v);
        }
        if let Some(v) = &d.district {
            doc.add_text(f.district, v);
            for code in schema::district_path(v) {
                doc.add_text(f.district_path, code);
            }
        }
        if let Some(v) = &d.owner_kind {
            doc.add_text(f.owner_kind, v);
        }
        for v in &d.visible_to {
            doc.add_text(f.visible, v);
        }
        doc.add_i64(f.updated_at, d.updated_at);
        doc
    }

    /// Adds or replaces documents (by kind and id). Visible to searches after [`commit`].
    ///
    /// [`commit`]: SearchIndex::commit
    pub fn upsert<'a, I>(&self, docs: I) -> Result<usize>
    where
        I: IntoIterator<Item = &'a SearchDoc>,
    {
        let guard = self.writer()?;
        let w = guard.as_ref().expect("writer initialized");
        let mut n = 0;
        for d in docs {
            w.delete_term(Term::from_field_text(
                self.fields.key,
                &doc_key(d.kind, d.id),
            ));
            w.add_document(self.to_document(d))?;
            n += 1;
        }
        Ok(n)
    }

    /// Adds documents without checking for existing ones (fast path for rebuilds into an empty
    /// index).
    pub fn add_bulk<I>(&self, docs: I) -> Result<usize>
    where
        I: IntoIterator<Item = SearchDoc>,
    {
        let guard = self.writer()?;
        let w = guard.as_ref().expect("writer initialized");
        let mut n = 0;
        for d in docs {
            w.add_document(self.to_document(&d))?;
            n += 1;
        }
        Ok(n)
    }

    /// Removes a document. Effective after [`SearchIndex::commit`].
    pub fn delete(&self, kind: DocKind, id: i64) -> Result<()> {
        let guard = self.writer()?;
        let w = guard.as_ref().expect("writer initialized");
        w.delete_term(Term::from_field_text(self.fields.key, &doc_key(kind, id)));
        Ok(())
    }

    /// Records the database change sequence the pending changes bring the index to; stored by
    /// the next [`SearchIndex::commit`].
    pub fn set_synced_seq(&self, seq: u64) {
        if let Ok(mut p) = self.pending_seq.lock() {
            *p = Some(seq);
        }
    }

    /// Commits pending changes (with the sequence from [`SearchIndex::set_synced_seq`], or the
    /// previous one) and makes them visible to searches.
    pub fn commit(&self) -> Result<()> {
        let seq = self
            .pending_seq
            .lock()
            .ok()
            .and_then(|mut p| p.take())
            .unwrap_or_else(|| self.synced_seq());
        self.commit_synced(seq)
    }

    /// Commits pending changes, recording that the index reflects the database up to change
    /// sequence `seq`.
    pub fn commit_synced(&self, seq: u64) -> Result<()> {
        let payload = Payload {
            schema_version: SCHEMA_VERSION,
            seq,
            index_search_mode: self.settings.index_search_mode,
            char_unigrams: self.settings.char_unigrams,
        };
        let payload =
            serde_json::to_string(&payload).map_err(|e| SearchError::Invalid(e.to_string()))?;
        {
            let mut guard = self.writer()?;
            let w = guard.as_mut().expect("writer initialized");
            let mut prepared = w.prepare_commit()?;
            prepared.set_payload(&payload);
            prepared.commit()?;
        }
        self.reload()
    }

    /// The database change sequence recorded by the last commit (0 if none).
    pub fn synced_seq(&self) -> u64 {
        self.index
            .load_metas()
            .ok()
            .and_then(|m| m.payload)
            .and_then(|p| serde_json::from_str::<Payload>(&p).ok())
            .map_or(0, |p| p.seq)
    }

    /// Replaces the whole content with `docs`, commits with sequence `seq` and merges the index
    /// into one segment. Returns the number of documents.
    pub fn rebuild<I>(&self, docs: I, seq: u64) -> Result<usize>
    where
        I: IntoIterator<Item = SearchDoc>,
    {
        {
            let guard = self.writer()?;
            let w = guard.as_ref().expect("writer initialized");
            w.set_merge_policy(Box::new(NoMergePolicy));
            w.delete_all_documents()?;
        }
        let n = self.add_bulk(docs)?;
        self.commit_synced(seq)?;
        self.optimize()?;
        Ok(n)
    }

    /// Merges all segments into one (fewer segments: faster queries) and removes unused files.
    pub fn optimize(&self) -> Result<()> {
        let mut guard = self.writer()?;
        let w = guard.as_mut().expect("writer initialized");
        let ids = self.index.searchable_segment_ids()?;
        if ids.len() > 1 {
            w.merge(&ids).wait()?;
        }
        w.set_merge_policy(Box::new(LogMergePolicy::default()));
        let _ = w.garbage_collect_files().wait();
        drop(guard);
        self.reload()
    }

    /// Makes the last commit visible and prepares the new segments' facet arrays.
    fn reload(&self) -> Result<()> {
        self.reader.reload()?;
        let searcher = self.reader.searcher();
        self.bits_cache.retain(searcher.segment_readers());
        self.facet_cache.refresh(searcher.segment_readers())?;
        Ok(())
    }

    /// Number of live documents (as of the last commit).
    pub fn doc_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Number of segments (as of the last commit).
    pub fn segment_count(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }
}

/// Whether an index writer (of this or another process) holds the index in `dir`: then the
/// directory must be neither written nor wiped.
pub fn dir_in_use(dir: &Path) -> bool {
    use tantivy::directory::{Directory, MmapDirectory, INDEX_WRITER_LOCK};
    if !dir.is_dir() {
        return false;
    }
    match MmapDirectory::open(dir) {
        Ok(d) => d.acquire_lock(&INDEX_WRITER_LOCK).is_err(),
        Err(_) => false,
    }
}
