//! Index schema.

use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};

use crate::analysis::{NGRAM_ANALYZER, WORD_ANALYZER};
use crate::Facet;

/// Bumped whenever the schema or the analysis changes: an index of another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 1;

/// Handles to the schema's fields.
#[derive(Clone, Debug)]
pub struct Fields {
    /// `a:<id>` / `d:<id>`, unique per document (for upserts and deletes).
    pub key: Field,
    pub id: Field,
    pub kind: Field,
    pub ref_: Field,
    pub title: Field,
    pub body: Field,
    pub keywords: Field,
    /// Chinese characters and character bigrams of title, keywords and body (re-ranking only).
    pub ngram: Field,
    pub chain: Field,
    pub tech_field: Field,
    pub stage: Field,
    pub district: Field,
    /// The division code and the province/city codes above it (filtering).
    pub district_path: Field,
    pub owner_kind: Field,
    pub visible: Field,
    pub updated_at: Field,
}

impl Fields {
    /// The indexed field holding a facet's values.
    pub fn facet_field(&self, facet: Facet) -> Field {
        match facet {
            Facet::Kind => self.kind,
            Facet::Chain => self.chain,
            Facet::TechField => self.tech_field,
            Facet::Stage => self.stage,
            Facet::District => self.district,
            Facet::OwnerKind => self.owner_kind,
        }
    }

    /// The field a facet filter is applied to.
    pub fn filter_field(&self, facet: Facet) -> Field {
        match facet {
            Facet::District => self.district_path,
            other => self.facet_field(other),
        }
    }
}

fn text(analyzer: &str, option: IndexRecordOption, stored: bool) -> TextOptions {
    let opts = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(option),
    );
    if stored {
        opts.set_stored()
    } else {
        opts
    }
}

/// Builds the schema.
pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let key = b.add_text_field("key", STRING);
    let id = b.add_i64_field("id", INDEXED | STORED | FAST);
    let kind = b.add_text_field("kind", STRING | STORED | FAST);
    let ref_ = b.add_text_field("ref", STORED);
    // Term frequencies but no positions: queries are bags of words (no phrase queries), which
    // keeps the index small.
    let title = b.add_text_field(
        "title",
        text(WORD_ANALYZER, IndexRecordOption::WithFreqs, true),
    );
    let body = b.add_text_field(
        "body",
        text(WORD_ANALYZER, IndexRecordOption::WithFreqs, true),
    );
    let keywords = b.add_text_field(
        "keywords",
        text(WORD_ANALYZER, IndexRecordOption::WithFreqs, true),
    );
    let ngram = b.add_text_field(
        "ngram",
        text(NGRAM_ANALYZER, IndexRecordOption::WithFreqs, false),
    );
    let chain = b.add_text_field("chain", STRING | FAST);
    let tech_field = b.add_text_field("tech_field", STRING | FAST);
    let stage = b.add_text_field("stage", STRING | FAST);
    let district = b.add_text_field("district", STRING | FAST);
    let district_path = b.add_text_field("district_path", STRING);
    let owner_kind = b.add_text_field("owner_kind", STRING | FAST);
    let visible = b.add_text_field("visible", STRING);
    let updated_at = b.add_i64_field("updated_at", STORED | FAST);
    (
        b.build(),
        Fields {
            key,
            id,
            kind,
            ref_,
            title,
            body,
            keywords,
            ngram,
            chain,
            tech_field,
            stage,
            district,
            district_path,
            owner_kind,
            visible,
            updated_at,
        },
    )
}

/// `a:<id>` or `d:<id>`.
pub fn doc_key(kind: crate::DocKind, id: i64) -> String {
    match kind {
        crate::DocKind::Achievement => format!("a:{id}"),
        crate::DocKind::Demand => format!("d:{id}"),
    }
}

/// The division code and the province / prefecture codes that contain it.
pub fn district_path(code: &str) -> Vec<String> {
    let code = code.trim();
    let mut out = vec![code.to_string()];
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        let province = format!("{}0000", &code[..2]);
        let prefecture = format!("{}00", &code[..4]);
        for c in [prefecture, province] {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn district_paths() {
        assert_eq!(district_path("440305"), vec!["440305", "440300", "440000"]);
        assert_eq!(district_path("440300"), vec!["440300", "440000"]);
        assert_eq!(district_path("440000"), vec!["440000"]);
        assert_eq!(district_path("x"), vec!["x"]);
    }
}
