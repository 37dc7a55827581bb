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

/// Matched byte ranges of `text` (merged when they overlap) with the weight of the term.
fn matches(
    analyzer: &mut TextAnalyzer,
    text: &str,
    terms: &BTreeMap<String, f32>,
) -> Vec<(usize, usize, f32, String)> {
    let mut ranges: Vec<(usize, usize, f32, String)> = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(t) = stream.next() {
        if let Some(&w) = terms.get(&t.text) {
            ranges.push((t.offset_from, t.offset_to, w, t.text.clone()));
        }
    }
    ranges.sort_by_key(|r| (r.0, r.1));
    ranges
}

fn merge_ranges(ranges: impl Iterator<Item = (usize, usize)>) -> Vec<(usize, usize)> {
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.0 < last.1 => last.1 = last.1.max(r.1),
            _ => merged.push(r),
        }
    }
    merged
}

fn render(text: &str, from: usize, to: usize, marks: &[(usize, usize)]) -> String {
    let mut html = String::with_capacity(to - from + marks.len() * 13);
    let mut at = from;
    for &(a, b) in marks {
        let (a, b) = (a.max(from), b.min(to));
        if a >= b || a < at {
            continue;
        }
        html.push_str(&escape_html(&text[at..a]));
        html.push_str("<mark>");
        html.push_str(&escape_html(&text[a..b]));
        html.push_str("</mark>");
        at = b;
    }
    html.push_str(&escape_html(&text[at..to]));
    html
}

/// The best fragment of at most `max_chars` characters of `text`: the window covering the most
/// (weighted, distinct) query terms, starting a little before the first match. HTML with
/// `<mark>` around matches; `None` if nothing matches.
pub fn best_fragment(
    analyzer: &mut TextAnalyzer,
    text: &str,
    terms: &BTreeMap<String, f32>,
    max_chars: usize,
) -> Option<String> {
    let ranges = matches(analyzer, text, terms);
    if ranges.is_empty() {
        return None;
    }
    // Character index of every byte offset we need.
    let char_at = |byte: usize| text[..byte].chars().count();
    let starts: Vec<usize> = ranges.iter().map(|r| char_at(r.0)).collect();
    let mut best = (f32::MIN, 0usize);
    for i in 0..ranges.len() {
        let mut seen: Vec<&str> = Vec::new();
        let mut score = 0.0;
        for j in i..ranges.len() {
            if starts[j] >= starts[i] + max_chars {
                break;
            }
            if !seen.contains(&ranges[j].3.as_str()) {
                seen.push(&ranges[j].3);
                score += ranges[j].2;
            }
        }
        if score > best.0 {
            best = (score, i);
        }
    }
    let total_chars = text.chars().count();
    // Start a few characters before the first match, at most back to a sentence boundary.
    let lead = 12.min(max_chars / 4);
    let mut start_char = starts[best.1].saturating_sub(lead);
    let first = starts[best.1];
    let boundary = text
        .chars()
        .enumerate()
        .skip(start_char)
        .take(first - start_char)
        .filter(|(_, c)| matches!(c, '。' | '.' | '；' | ';' | '！' | '？' | '!' | '?' | '\n'))
        .map(|(i, _)| i + 1)
        .last();
    if let Some(b) = boundary {
        start_char = b;
    }
    let end_char = (start_char + max_chars).min(total_chars);
    let byte_of = |ci: usize| text.char_indices().nth(ci).map_or(text.len(), |(b, _)| b);
    let (from, to) = (byte_of(start_char), byte_of(end_char));
    let marks = merge_ranges(ranges.iter().map(|r| (r.0, r.1)));
    let mut html = String::new();
    if start_char > 0 {
        html.push('…');
    }
    html.push_str(&render(text, from, to, &marks));
    if end_char < total_chars {
        html.push('…');
    }
    Some(html)
}

/// The whole `text` as HTML with every token whose term is in `terms` wrapped in `<mark>`.
/// Returns the HTML and the number of highlighted ranges.
pub fn highlight_all(
    analyzer: &mut TextAnalyzer,
    text: &str,
    terms: &BTreeMap<String, f32>,
) -> (String, usize) {
    let ranges = matches(analyzer, text, terms);
    let merged = merge_ranges(ranges.iter().map(|r| (r.0, r.1)));
    let html = render(text, 0, text.len(), &merged);
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

    #[test]
    fn fragment_window() {
        let mut a = crate::analysis::word_analyzer(true);
        let mut terms = BTreeMap::new();
        terms.insert("机器人".to_string(), 1.0);
        terms.insert("控制".to_string(), 1.0);
        let text = format!(
            "{}。本文研究机器人的运动控制问题<x>。{}",
            "无关内容".repeat(30),
            "其他".repeat(40)
        );
        let html = best_fragment(&mut a, &text, &terms, 40).unwrap();
        assert!(html.starts_with("…本文研究<mark>机器人</mark>"), "{html}");
        assert!(html.contains("<mark>控制</mark>"), "{html}");
        assert!(html.contains("&lt;x&gt;"), "{html}");
        assert!(html.ends_with('…'), "{html}");
        assert!(best_fragment(&mut a, "无关", &terms, 40).is_none());
    }
}
