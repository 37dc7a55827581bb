//! One pass over the matching documents: filtering (visibility, kind, facet values), counting,
//! facet counting and top-k selection.
//!
//! Filters are applied as per-segment bitsets (cached per term) checked in the collector rather
//! than as boolean MUST clauses: the text query then stays a pure union of term queries (the
//! fastest union path in tantivy) and a filter costs one bit test per candidate instead of a
//! posting-list seek. Totals and facets only count documents that pass the filters.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::index::SegmentId;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentOrdinal, SegmentReader, Term, TERMINATED};

use crate::facets::{FacetCache, FacetFruit, SegmentFacets, SegmentFruit};

/// A plain bitset over a segment's documents.
#[derive(Clone)]
pub struct Bits {
    words: Vec<u64>,
}

impl Bits {
    fn new(max_doc: u32) -> Bits {
        Bits {
            words: vec![0; (max_doc as usize).div_ceil(64)],
        }
    }

    #[inline]
    pub fn contains(&self, doc: DocId) -> bool {
        self.words
            .get((doc / 64) as usize)
            .is_some_and(|w| w & (1u64 << (doc % 64)) != 0)
    }

    fn or(&mut self, other: &Bits) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }

    fn and(&mut self, other: &Bits) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a &= b;
        }
    }
}

/// Per-term document bitsets, cached per segment.
#[derive(Default)]
pub struct BitsCache {
    map: Mutex<HashMap<(SegmentId, Field, String), Arc<Bits>>>,
}

/// Bitsets kept at most (they are rebuilt on demand).
const BITS_CACHE_MAX: usize = 512;

impl BitsCache {
    fn term_bits(
        &self,
        segment: &SegmentReader,
        field: Field,
        value: &str,
    ) -> tantivy::Result<Arc<Bits>> {
        let key = (segment.segment_id(), field, value.to_string());
        if let Some(b) = self.map.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(b);
        }
        let mut bits = Bits::new(segment.max_doc());
        let inverted = segment.inverted_index(field)?;
        if let Some(mut postings) = inverted.read_postings(
            &Term::from_field_text(field, value),
            IndexRecordOption::Basic,
        )? {
            let mut doc = postings.doc();
            while doc != TERMINATED {
                bits.words[(doc / 64) as usize] |= 1u64 << (doc % 64);
                doc = postings.advance();
            }
        }
        let bits = Arc::new(bits);
        if let Ok(mut m) = self.map.lock() {
            if m.len() >= BITS_CACHE_MAX {
                m.clear();
            }
            m.insert(key, bits.clone());
        }
        Ok(bits)
    }

    /// Forgets the segments that are no longer searched.
    pub fn retain(&self, segments: &[SegmentReader]) {
        if let Ok(mut m) = self.map.lock() {
            m.retain(|(id, _, _), _| segments.iter().any(|s| s.segment_id() == *id));
        }
    }
}

/// A conjunction of disjunctions of terms: every group must have one of its values.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub groups: Vec<(Field, Vec<String>)>,
}

impl Filter {
    fn bits(&self, cache: &BitsCache, segment: &SegmentReader) -> tantivy::Result<Option<Bits>> {
        let mut acc: Option<Bits> = None;
        for (field, values) in &self.groups {
            let mut group = Bits::new(segment.max_doc());
            for v in values {
                group.or(cache.term_bits(segment, *field, v)?.as_ref());
            }
            match acc.as_mut() {
                None => acc = Some(group),
                Some(a) => a.and(&group),
            }
        }
        Ok(acc)
    }
}

/// Order of the collected top documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopBy {
    Score,
    /// Descending value of an i64 fast field.
    Field(&'static str),
}

/// The combined collector.
pub struct Gather<'a> {
    pub filter: Filter,
    pub bits_cache: &'a BitsCache,
    /// `None`: no facet counting.
    pub facet_cache: Option<Arc<FacetCache>>,
    pub facet_limit: usize,
    pub top_k: usize,
    pub top_by: TopBy,
}

#[derive(Clone, Copy)]
struct Entry {
    key: f64,
    doc: DocId,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Better sorts first ("less"): higher key, then lower doc id. The max-heap thus keeps the
    /// worst kept document on top.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .key
            .total_cmp(&self.key)
            .then_with(|| self.doc.cmp(&other.doc))
    }
}

pub struct GatherSegment {
    segment_ord: SegmentOrdinal,
    bits: Option<Bits>,
    facets: Option<Arc<SegmentFacets>>,
    facet_counts: Vec<Vec<u32>>,
    count: u64,
    top_k: usize,
    heap: BinaryHeap<Entry>,
    sort_column: Option<Column<i64>>,
}

/// What a segment (or the whole search) yields.
pub struct GatherFruit {
    pub count: u64,
    pub facets: Vec<SegmentFruit>,
    /// (score or sort key, address), best first after merging.
    pub top: Vec<(f64, DocAddress)>,
}

/// Merged result.
pub struct Gathered {
    pub count: u64,
    pub facets: FacetFruit,
    pub top: Vec<(f64, DocAddress)>,
}

impl Collector for Gather<'_> {
    type Fruit = Gathered;
    type Child = GatherSegment;

    fn for_segment(
        &self,
        segment_ord: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<GatherSegment> {
        let facets = match &self.facet_cache {
            Some(cache) => Some(cache.get(segment)?),
            None => None,
        };
        let facet_counts = facets.as_ref().map_or_else(Vec::new, |f| f.new_counts());
        let sort_column = match self.top_by {
            TopBy::Score => None,
            TopBy::Field(name) => Some(segment.fast_fields().i64(name)?),
        };
        Ok(GatherSegment {
            segment_ord,
            bits: self.filter.bits(self.bits_cache, segment)?,
            facets,
            facet_counts,
            count: 0,
            top_k: self.top_k,
            heap: BinaryHeap::with_capacity(self.top_k + 1),
            sort_column,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.top_by == TopBy::Score
    }

    fn merge_fruits(&self, fruits: Vec<GatherFruit>) -> tantivy::Result<Gathered> {
        let mut count = 0;
        let mut facets = Vec::with_capacity(fruits.len());
        let mut top = Vec::new();
        for f in fruits {
            count += f.count;
            facets.extend(f.facets);
            top.extend(f.top);
        }
        top.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| (a.1.segment_ord, a.1.doc_id).cmp(&(b.1.segment_ord, b.1.doc_id)))
        });
        top.truncate(self.top_k);
        Ok(Gathered {
            count,
            facets: if self.facet_cache.is_some() {
                crate::facets::merge(facets, self.facet_limit)?
            } else {
                Vec::new()
            },
            top,
        })
    }
}

impl SegmentCollector for GatherSegment {
    type Fruit = GatherFruit;

    #[inline]
    fn collect(&mut self, doc: DocId, score: Score) {
        if let Some(bits) = &self.bits {
            if !bits.contains(doc) {
                return;
            }
        }
        self.count += 1;
        if let Some(facets) = &self.facets {
            facets.count(doc, &mut self.facet_counts);
        }
        if self.top_k == 0 {
            return;
        }
        let key = match &self.sort_column {
            None => score as f64,
            Some(col) => col.first(doc).unwrap_or(i64::MIN) as f64,
        };
        let entry = Entry { key, doc };
        if self.heap.len() < self.top_k {
            self.heap.push(entry);
        } else if let Some(worst) = self.heap.peek() {
            // `worst` is the greatest in heap order, i.e. the worst document.
            if entry < *worst {
                self.heap.pop();
                self.heap.push(entry);
            }
        }
    }

    fn harvest(self) -> GatherFruit {
        let top = self
            .heap
            .into_iter()
            .map(|e| (e.key, DocAddress::new(self.segment_ord, e.doc)))
            .collect();
        GatherFruit {
            count: self.count,
            facets: self
                .facets
                .map(|f| f.harvest(self.facet_counts))
                .into_iter()
                .collect(),
            top,
        }
    }
}
