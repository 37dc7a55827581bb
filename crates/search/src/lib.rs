//! Full-text search and matching for Chengguo achievements and demands.
//!
//! The index is a tantivy index derived from the database (which stays the source of truth): it
//! can be dropped and rebuilt at any time ([`SearchIndex::open_or_rebuild`]). Text is analyzed by
//! one mixed Chinese/English analyzer (jieba words; Latin words lower-cased and stemmed), and a
//! Chinese character-bigram field re-ranks the top candidates of the word query, which gives the
//! robustness of n-grams without querying their huge posting lists.
//!
//! * [`SearchIndex::search`]: ranked hits with highlighted snippets, facet counts, visibility
//!   filtering inside the query.
//! * [`SearchIndex::more_like`]: the base of achievement↔demand matching; returns the key terms
//!   a hit shares with the source so that callers can explain the match.
//! * [`eval_csl`]: the reproducible quality benchmark on the CSL data set.

#![warn(missing_docs)]

mod analysis;
mod collect;
pub mod csl;
mod error;
mod eval;
mod facets;
mod index;
mod query;
mod schema;
mod snippet;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use analysis::{analyze, warm_up, AnalyzedToken};
pub use error::{Result, SearchError};
pub use eval::{eval_csl, eval_csl_with, percentile, EvalOptions, EvalReport};
pub use index::{dir_in_use, IndexSettings, OpenOutcome, Ranking, SearchIndex};

/// What an indexed document is.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// A scientific and technological achievement (成果).
    #[default]
    Achievement,
    /// A technology demand (需求).
    Demand,
}

impl DocKind {
    /// Stable lower-case name, as stored in the index.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Achievement => "achievement",
            DocKind::Demand => "demand",
        }
    }

    /// Inverse of [`DocKind::as_str`].
    pub fn parse(s: &str) -> Option<DocKind> {
        match s {
            "achievement" => Some(DocKind::Achievement),
            "demand" => Some(DocKind::Demand),
            _ => None,
        }
    }
}

/// One achievement or demand as the index sees it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchDoc {
    /// Database id (unique per kind).
    pub id: i64,
    /// Achievement or demand.
    pub kind: DocKind,
    /// Human-facing reference (e.g. `CG-2024-000123`).
    pub ref_: String,
    /// Title.
    pub title: String,
    /// Abstract (achievements) or description (demands).
    pub body: String,
    /// Keywords.
    pub keywords: Vec<String>,
    /// Industrial chains the document belongs to (facet, multi-valued).
    pub chain: Vec<String>,
    /// Technology field (facet).
    pub tech_field: Option<String>,
    /// Maturity stage (facet).
    pub stage: Option<String>,
    /// Administrative division code (GB/T 2260, 6 digits; facet). Filtering by a province or
    /// city code also matches the codes below it.
    pub district: Option<String>,
    /// Kind of owner, e.g. university, institute, enterprise (facet).
    pub owner_kind: Option<String>,
    /// Audiences allowed to see the document, e.g. `public`, `role:broker`, `org:12`.
    /// A viewer sees the document if one of the viewer's strings is in this set.
    pub visible_to: Vec<String>,
    /// Last update, unix seconds (used for date sorting).
    pub updated_at: i64,
}

/// Facets that can be filtered on and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Facet {
    /// Achievement or demand.
    Kind,
    /// Industrial chain.
    Chain,
    /// Technology field.
    TechField,
    /// Maturity stage.
    Stage,
    /// Division code.
    District,
    /// Owner kind.
    OwnerKind,
}

impl Facet {
    /// All facets, in display order.
    pub const ALL: [Facet; 6] = [
        Facet::Kind,
        Facet::Chain,
        Facet::TechField,
        Facet::Stage,
        Facet::District,
        Facet::OwnerKind,
    ];

    /// Stable name (also the key in [`SearchResult::facets`]).
    pub fn as_str(self) -> &'static str {
        match self {
            Facet::Kind => "kind",
            Facet::Chain => "chain",
            Facet::TechField => "tech_field",
            Facet::Stage => "stage",
            Facet::District => "district",
            Facet::OwnerKind => "owner_kind",
        }
    }

    /// Inverse of [`Facet::as_str`].
    pub fn parse(s: &str) -> Option<Facet> {
        Facet::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// Result order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Best match first (newest first when the text is empty).
    #[default]
    Relevance,
    /// Most recently updated first.
    Date,
}

/// A search request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    /// Free text (Chinese, English or mixed). Empty: all documents passing the filters.
    pub text: String,
    /// Restrict to one kind.
    pub kind: Option<DocKind>,
    /// Facet filters: values of one facet are OR-ed, different facets are AND-ed.
    pub filters: Vec<(Facet, String)>,
    /// What the viewer may see (e.g. `["public", "role:broker", "org:12"]`). Only documents whose
    /// `visible_to` intersects this set are matched, counted and faceted.
    pub visible_to: Vec<String>,
    /// Page size.
    pub limit: usize,
    /// Number of hits to skip.
    pub offset: usize,
    /// Order.
    pub sort: Sort,
    /// Number of values returned per facet (the most frequent).
    pub facet_limit: usize,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            text: String::new(),
            kind: None,
            filters: Vec::new(),
            visible_to: vec!["public".to_string()],
            limit: 10,
            offset: 0,
            sort: Sort::Relevance,
            facet_limit: 20,
        }
    }
}

impl Query {
    /// A public relevance query for `text` with default paging.
    pub fn text(text: impl Into<String>) -> Query {
        Query {
            text: text.into(),
            ..Query::default()
        }
    }
}

/// One search hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// Database id.
    pub id: i64,
    /// Kind.
    pub kind: DocKind,
    /// Reference.
    pub ref_: String,
    /// Title, plain text.
    pub title: String,
    /// Title as HTML with matched terms in `<mark>`, escaped otherwise.
    pub title_html: String,
    /// Relevance score (0 for date-sorted results without text).
    pub score: f32,
    /// HTML fragments of the body (and keywords when they match) with `<mark>` highlights;
    /// everything else is HTML-escaped.
    pub snippets: Vec<String>,
}

/// Search response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SearchResult {
    /// Number of matching documents visible to the viewer.
    pub total: u64,
    /// The requested page of hits.
    pub hits: Vec<Hit>,
    /// Facet name → (value, count) over all matching documents, most frequent first (at most
    /// [`Query::facet_limit`] values per facet).
    pub facets: BTreeMap<String, Vec<(String, u64)>>,
}

/// Source text for [`SearchIndex::more_like`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MoreLike {
    /// Title of the source document.
    pub title: String,
    /// Body of the source document.
    pub body: String,
    /// Keywords of the source document.
    pub keywords: Vec<String>,
    /// Kind of documents to find.
    pub target: Option<DocKind>,
    /// Number of results.
    pub limit: usize,
    /// Ids (of the target kind) to leave out.
    pub exclude: Vec<i64>,
    /// If set, only documents visible to one of these audiences.
    pub visible_to: Option<Vec<String>>,
}

/// One [`SearchIndex::more_like`] result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MoreLikeHit {
    /// Database id.
    pub id: i64,
    /// Kind.
    pub kind: DocKind,
    /// Similarity score (BM25 of the weighted key terms).
    pub score: f32,
    /// Key terms of the source that the hit contains, most important first, in their surface
    /// form from the source text.
    pub shared_terms: Vec<String>,
}
