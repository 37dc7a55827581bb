//! HTML escaping and highlighting.

use std::collections::BTreeMap;

use tantivy::tokenizer::{TextAnalyzer, TokenStream};

/// Escapes `& < > " '` for HTML text and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The whole `text` as HTML with every token whose term is in `terms` wrapped in `<mark>`.
/// Returns the HTML and the number of highlighted ranges.
pub fn highlight_all(
    analyzer: &mut TextAnalyzer,
    text: &str,
    terms: &BTreeMap<String, f32>,
) -> (String, usize) {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(t) = stream.next() {
        if terms.contains_key(&t.text) {
            ranges.push((t.offset_from, t.offset_to));
        }
    }
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.0 <= last.1 => last.1 = last.1.max(r.1),
            _ => merged.push(r),
        }
    }
    let mut html = String::with_capacity(text.len() + merged.len() * 13);
    let mut at = 0;
    for &(from, to) in &merged {
        html.push_str(&escape_html(&text[at..from]));
        html.push_str("<mark>");
        html.push_str(&escape_html(&text[from..to]));
        html.push_str("</mark>");
        at = to;
    }
    html.push_str(&escape_html(&text[at..]));
    (html, merged.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_marks() {
        let mut a = crate::analysis::word_analyzer(false);
        let mut terms = BTreeMap::new();
        terms.insert("robot".to_string(), 1.0);
        let (html, n) = highlight_all(&mut a, "<b>Robots</b> & 机器人", &terms);
        assert_eq!(n, 1);
        assert_eq!(html, "&lt;b&gt;<mark>Robots</mark>&lt;/b&gt; &amp; 机器人");
    }
}
