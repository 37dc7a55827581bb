//! A collector counting facet values (dictionary-encoded fast fields) of all matching documents.

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::Facet;

/// Counts, per facet, how many matching documents carry each value.
pub struct FacetCounts {
    pub facets: Vec<Facet>,
}

pub struct FacetSegmentCollector {
    columns: Vec<Option<StrColumn>>,
    counts: Vec<Vec<u64>>,
}

/// Per facet, value → count.
pub type FacetFruit = Vec<HashMap<String, u64>>;

impl Collector for FacetCounts {
    type Fruit = FacetFruit;
    type Child = FacetSegmentCollector;

    fn for_segment(
        &self,
        _segment_local_id: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<FacetSegmentCollector> {
        let mut columns = Vec::with_capacity(self.facets.len());
        let mut counts = Vec::with_capacity(self.facets.len());
        for facet in &self.facets {
            let col = segment.fast_fields().str(facet.as_str())?;
            counts.push(vec![0u64; col.as_ref().map_or(0, |c| c.num_terms())]);
            columns.push(col);
        }
        Ok(FacetSegmentCollector { columns, counts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<FacetFruit>) -> tantivy::Result<FacetFruit> {
        let mut out: FacetFruit = vec![HashMap::new(); self.facets.len()];
        for fruit in fruits {
            for (acc, part) in out.iter_mut().zip(fruit) {
                for (value, n) in part {
                    *acc.entry(value).or_default() += n;
                }
            }
        }
        Ok(out)
    }
}

impl SegmentCollector for FacetSegmentCollector {
    type Fruit = FacetFruit;

    fn collect(&mut self, doc: DocId, _score: Score) {
        for (col, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            if let Some(col) = col {
                for ord in col.term_ords(doc) {
                    counts[ord as usize] += 1;
                }
            }
        }
    }

    fn harvest(self) -> FacetFruit {
        let mut out = Vec::with_capacity(self.columns.len());
        let mut buf = String::new();
        for (col, counts) in self.columns.iter().zip(self.counts) {
            let mut map = HashMap::new();
            if let Some(col) = col {
                for (ord, n) in counts.into_iter().enumerate() {
                    if n > 0 && col.ord_to_str(ord as u64, &mut buf).unwrap_or(false) {
                        map.insert(buf.clone(), n);
                    }
                }
            }
            out.push(map);
        }
        out
    }
}
