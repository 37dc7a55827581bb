//! Facet counting over all matching documents.
//!
//! Facet values are dictionary-encoded fast fields. Reading them through the column API costs
//! tens of nanoseconds per document and facet, and the per-facet columns cost a cache miss each,
//! which dominated searches matching tens of thousands of documents. So each segment's value
//! ordinals are materialized once into one row per document (all facets side by side, one cache
//! line), cached per segment, and counting is a few array increments. Only the most frequent
//! values are turned back into strings.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::columnar::StrColumn;
use tantivy::index::SegmentId;
use tantivy::{DocId, SegmentReader};

use crate::Facet;

const NONE: u32 = u32::MAX;
/// Set on a row entry whose document has more values in `extra`.
const MORE: u32 = 1 << 31;
const NF: usize = Facet::ALL.len();

/// All facets of one segment.
pub struct SegmentFacets {
    columns: Vec<Option<StrColumn>>,
    /// `NF` entries per document: the first value's ordinal (`NONE` if none, `| MORE` if the
    /// document has further values).
    rows: Vec<u32>,
    /// Further values of multi-valued documents: (doc, facet) → ordinals.
    extra: HashMap<(DocId, u8), Vec<u32>>,
}

impl SegmentFacets {
    fn load(segment: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let max_doc = segment.max_doc();
        let mut rows = vec![NONE; max_doc as usize * NF];
        let mut extra = HashMap::new();
        let mut columns = Vec::with_capacity(NF);
        for (f, facet) in Facet::ALL.into_iter().enumerate() {
            let column = segment.fast_fields().str(facet.as_str())?;
            if let Some(column) = &column {
                for doc in 0..max_doc {
                    let mut it = column.term_ords(doc);
                    if let Some(first) = it.next() {
                        let rest: Vec<u32> = it.map(|o| o as u32).collect();
                        let idx = doc as usize * NF + f;
                        rows[idx] = first as u32;
                        if !rest.is_empty() {
                            rows[idx] |= MORE;
                            extra.insert((doc, f as u8), rest);
                        }
                    }
                }
            }
            columns.push(column);
        }
        Ok(SegmentFacets {
            columns,
            rows,
            extra,
        })
    }

    /// Zeroed counters for this segment.
    pub fn new_counts(&self) -> Vec<Vec<u32>> {
        self.columns
            .iter()
            .map(|c| vec![0u32; c.as_ref().map_or(0, |c| c.num_terms())])
            .collect()
    }

    /// Counts the values of `doc`.
    #[inline]
    pub fn count(&self, doc: DocId, counts: &mut [Vec<u32>]) {
        let row = &self.rows[doc as usize * NF..doc as usize * NF + NF];
        for (f, &v) in row.iter().enumerate() {
            if v == NONE {
                continue;
            }
            counts[f][(v & !MORE) as usize] += 1;
            if v & MORE != 0 {
                if let Some(rest) = self.extra.get(&(doc, f as u8)) {
                    for &o in rest {
                        counts[f][o as usize] += 1;
                    }
                }
            }
        }
    }

    /// The non-zero counters.
    pub fn harvest(self: Arc<Self>, counts: Vec<Vec<u32>>) -> SegmentFruit {
        let counts = counts
            .into_iter()
            .map(|c| {
                c.into_iter()
                    .enumerate()
                    .filter(|(_, n)| *n > 0)
                    .map(|(o, n)| (o as u32, n))
                    .collect()
            })
            .collect();
        SegmentFruit {
            facets: self,
            counts,
        }
    }
}

/// Materialized facet ordinals per segment.
#[derive(Default)]
pub struct FacetCache {
    segments: Mutex<HashMap<SegmentId, Arc<SegmentFacets>>>,
}

impl FacetCache {
    /// The facet rows of a segment, loading them on first use.
    pub fn get(&self, segment: &SegmentReader) -> tantivy::Result<Arc<SegmentFacets>> {
        let id = segment.segment_id();
        if let Some(f) = self.segments.lock().ok().and_then(|m| m.get(&id).cloned()) {
            return Ok(f);
        }
        let loaded = Arc::new(SegmentFacets::load(segment)?);
        if let Ok(mut m) = self.segments.lock() {
            m.insert(id, loaded.clone());
        }
        Ok(loaded)
    }

    /// Drops segments that are no longer searched and loads the new ones.
    pub fn refresh(&self, segments: &[SegmentReader]) -> tantivy::Result<()> {
        if let Ok(mut m) = self.segments.lock() {
            m.retain(|id, _| segments.iter().any(|s| s.segment_id() == *id));
        }
        for s in segments {
            self.get(s)?;
        }
        Ok(())
    }
}

/// Per facet: (ordinal, count) of the values seen in one segment, with the segment's facets.
pub struct SegmentFruit {
    facets: Arc<SegmentFacets>,
    counts: Vec<Vec<(u32, u32)>>,
}

/// Per facet (in [`Facet::ALL`] order): (value, count), most frequent first.
pub type FacetFruit = Vec<Vec<(String, u64)>>;

/// Merges segment counts and keeps the `limit` most frequent values of each facet (ties: by
/// value).
pub fn merge(fruits: Vec<SegmentFruit>, limit: usize) -> tantivy::Result<FacetFruit> {
    let mut out: FacetFruit = vec![Vec::new(); NF];
    if fruits.len() == 1 {
        // One segment: pick the top values by ordinal, then look up only their strings.
        let fruit = &fruits[0];
        for (i, counts) in fruit.counts.iter().enumerate() {
            let Some(col) = &fruit.facets.columns[i] else {
                continue;
            };
            let mut top = counts.clone();
            // Dictionary order is value order, so ties by ordinal are ties by value.
            top.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            top.truncate(limit);
            let mut ords: Vec<u64> = top.iter().map(|o| o.0 as u64).collect();
            ords.sort_unstable();
            let mut names: HashMap<u32, String> = HashMap::with_capacity(ords.len());
            let mut k = 0;
            col.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
                names.insert(ords[k] as u32, String::from_utf8_lossy(bytes).into_owned());
                k += 1;
            })?;
            out[i] = top
                .into_iter()
                .filter_map(|(ord, n)| names.remove(&ord).map(|s| (s, n as u64)))
                .collect();
        }
        return Ok(out);
    }
    let mut merged: Vec<HashMap<String, u64>> = vec![HashMap::new(); NF];
    for fruit in &fruits {
        for (i, counts) in fruit.counts.iter().enumerate() {
            let Some(col) = &fruit.facets.columns[i] else {
                continue;
            };
            let ords: Vec<u64> = counts.iter().map(|o| o.0 as u64).collect();
            let mut k = 0;
            col.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
                *merged[i]
                    .entry(String::from_utf8_lossy(bytes).into_owned())
                    .or_default() += counts[k].1 as u64;
                k += 1;
            })?;
        }
    }
    for (i, m) in merged.into_iter().enumerate() {
        let mut v: Vec<(String, u64)> = m.into_iter().collect();
        v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(limit);
        out[i] = v;
    }
    Ok(out)
}
