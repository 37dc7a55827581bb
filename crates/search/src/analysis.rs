//! Text analysis for mixed Chinese/English text.
//!
//! One analyzer (`zh_en`) handles both scripts: jieba segments the text (Chinese runs become
//! words, Latin runs stay whole), punctuation and whitespace are dropped, Latin tokens are folded
//! to half-width lower case and then stemmed by tantivy's English stemmer (Chinese tokens pass the
//! stemmer unchanged). A second analyzer (`cjk_ngram`) emits Chinese characters and overlapping
//! character bigrams; it feeds a field that is only used to re-rank the top candidates of the word query.

use std::sync::LazyLock;

use jieba_rs::Jieba;
use tantivy::tokenizer::{
    Language, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer, TokenizerManager,
};

/// Name under which the mixed Chinese/English analyzer is registered.
pub const WORD_ANALYZER: &str = "zh_en";
/// Name under which the Chinese character n-gram analyzer is registered.
pub const NGRAM_ANALYZER: &str = "cjk_ngram";

static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Forces the jieba dictionary to load now (it otherwise loads on first use, ~0.2 s).
pub fn warm_up() {
    LazyLock::force(&JIEBA);
}

/// Function words that carry no topic. Dropped at index and query time: they are in nearly every
/// abstract, so they only cost posting-list traffic.
const ZH_STOP: &[&str] = &[
    "的", "了", "和", "与", "及", "或", "在", "是", "对", "为", "等", "并", "以", "将", "其", "从",
    "由", "而", "被", "之", "于", "中", "上", "下", "也", "又", "就", "都", "而且", "并且", "以及",
    "一个", "一种", "通过", "进行", "采用", "利用", "本文", "该", "这", "这些", "那", "所", "可",
    "能", "把", "给", "向", "到", "着", "过", "个", "则", "即", "如", "但", "若", "因", "故",
    "我们", "它", "其中", "我", "你", "他", "她", "它们", "有", "没有", "不", "很", "已", "已经",
    "还", "再",
];

const EN_STOP: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it",
    "its", "of", "on", "or", "that", "the", "their", "this", "to", "was", "were", "which", "with",
    "we", "our", "these", "those", "using", "based",
];

fn is_stop(word: &str) -> bool {
    ZH_STOP.contains(&word) || EN_STOP.contains(&word)
}

/// True for the CJK ideographs jieba treats as Chinese text.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2A6DF}' | '\u{2A700}'..='\u{2EBEF}')
}

/// Half-width, lower-case form of a Latin/digit token; `None` if it has no letter or digit.
fn fold_latin(word: &str) -> Option<String> {
    let mut out = String::with_capacity(word.len());
    let mut any = false;
    for c in word.chars() {
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        if c.is_alphanumeric() {
            any = true;
        }
        for l in c.to_lowercase() {
            out.push(l);
        }
    }
    any.then_some(out)
}

fn is_fullwidth_ascii(c: char) -> bool {
    matches!(c, '\u{FF01}'..='\u{FF5E}' | '\u{3000}')
}

/// `text` with full-width ASCII and the ideographic space replaced by their ASCII forms, and,
/// if anything changed, the original byte offset of every byte offset of the new text.
fn halfwidth(text: &str) -> (std::borrow::Cow<'_, str>, Option<Vec<usize>>) {
    if !text.chars().any(is_fullwidth_ascii) {
        return (std::borrow::Cow::Borrowed(text), None);
    }
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len() + 1);
    for (b, c) in text.char_indices() {
        let c = match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c,
        };
        for _ in 0..c.len_utf8() {
            map.push(b);
        }
        out.push(c);
    }
    map.push(text.len());
    (std::borrow::Cow::Owned(out), Some(map))
}

/// Splits text with jieba and yields normalized word tokens (see module docs).
#[derive(Clone, Default)]
pub struct MixedTokenizer {
    /// Also emit the dictionary sub-words of long words (jieba "search mode").
    pub search_mode: bool,
}

/// Token stream over a pre-computed token vector.
pub struct VecTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }
    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

impl MixedTokenizer {
    fn tokens(&self, original: &str) -> Vec<Token> {
        // Full-width ASCII (common in Chinese text: ＰＩＤ, ５Ｇ) becomes half-width first, so
        // that jieba keeps such words whole; offsets are mapped back to the original text.
        let (text, map) = halfwidth(original);
        let text: &str = &text;
        let at = |b: usize| map.as_ref().map_or(b, |m| m[b]);
        let words = if self.search_mode {
            JIEBA.cut_for_search(text, true)
        } else {
            JIEBA.cut(text, true)
        };
        let mut out = Vec::with_capacity(words.len() / 2 + 1);
        for w in words {
            let word = w.word;
            let first = match word.chars().next() {
                Some(c) => c,
                None => continue,
            };
            let normalized = if is_cjk(first) {
                if !word.chars().all(is_cjk) {
                    // Rare mixed token (e.g. a word fused with a symbol): keep its letters only.
                    let kept: String = word.chars().filter(|c| c.is_alphanumeric()).collect();
                    if kept.is_empty() {
                        continue;
                    }
                    kept.to_lowercase()
                } else {
                    word.to_string()
                }
            } else {
                match fold_latin(word) {
                    Some(s) => s,
                    None => continue,
                }
            };
            if is_stop(&normalized) {
                continue;
            }
            out.push(Token {
                offset_from: at(w.byte_start),
                offset_to: at(w.byte_end),
                position: 0,
                text: normalized,
                position_length: 1,
            });
        }
        if self.search_mode {
            // Search mode emits a long word's sub-words before the word itself: restore text
            // order (snippets need non-decreasing offsets).
            out.sort_by_key(|t| (t.offset_from, t.offset_to));
        }
        for (i, t) in out.iter_mut().enumerate() {
            t.position = i;
        }
        out
    }
}

impl Tokenizer for MixedTokenizer {
    type TokenStream<'a> = VecTokenStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream {
            tokens: self.tokens(text),
            next: 0,
        }
    }
}

/// Emits the characters (if `unigrams`) and overlapping bigrams of every run of Chinese
/// characters (a lone character is always emitted). Latin text is ignored: the word field covers
/// it.
#[derive(Clone, Default)]
pub struct CjkNgramTokenizer {
    /// Also emit single characters.
    pub unigrams: bool,
}

impl CjkNgramTokenizer {
    fn tokens(text: &str, unigrams: bool) -> Vec<Token> {
        let mut out = Vec::new();
        let mut run: Vec<(usize, char)> = Vec::new();
        let flush = |run: &mut Vec<(usize, char)>, out: &mut Vec<Token>| {
            for &(b, c) in run.iter() {
                if !(unigrams || run.len() == 1) {
                    break;
                }
                out.push(Token {
                    offset_from: b,
                    offset_to: b + c.len_utf8(),
                    position: out.len(),
                    text: c.to_string(),
                    position_length: 1,
                });
            }
            for pair in run.windows(2) {
                let (b0, c0) = pair[0];
                let (b1, c1) = pair[1];
                let mut s = String::with_capacity(6);
                s.push(c0);
                s.push(c1);
                out.push(Token {
                    offset_from: b0,
                    offset_to: b1 + c1.len_utf8(),
                    position: out.len(),
                    text: s,
                    position_length: 1,
                });
            }
            run.clear();
        };
        for (b, c) in text.char_indices() {
            if is_cjk(c) {
                run.push((b, c));
            } else if !run.is_empty() {
                flush(&mut run, &mut out);
            }
        }
        if !run.is_empty() {
            flush(&mut run, &mut out);
        }
        out
    }
}

impl Tokenizer for CjkNgramTokenizer {
    type TokenStream<'a> = VecTokenStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream {
            tokens: Self::tokens(text, self.unigrams),
            next: 0,
        }
    }
}

/// The word analyzer: jieba + Latin folding + English stemming.
pub fn word_analyzer(search_mode: bool) -> TextAnalyzer {
    TextAnalyzer::builder(MixedTokenizer { search_mode })
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The Chinese character n-gram analyzer.
pub fn ngram_analyzer(unigrams: bool) -> TextAnalyzer {
    TextAnalyzer::builder(CjkNgramTokenizer { unigrams }).build()
}

/// Registers both analyzers in a tokenizer manager.
pub fn register(manager: &TokenizerManager, search_mode: bool, unigrams: bool) {
    manager.register(WORD_ANALYZER, word_analyzer(search_mode));
    manager.register(NGRAM_ANALYZER, ngram_analyzer(unigrams));
}

/// An analyzed token: normalized term plus the byte range of its surface form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzedToken {
    /// Normalized (lower-cased, stemmed) term as indexed.
    pub term: String,
    /// Byte offsets into the analyzed text.
    pub from: usize,
    /// End byte offset (exclusive).
    pub to: usize,
}

/// Runs an analyzer over `text`.
pub fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<AnalyzedToken> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(t) = stream.next() {
        out.push(AnalyzedToken {
            term: t.text.clone(),
            from: t.offset_from,
            to: t.offset_to,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(search_mode: bool, text: &str) -> Vec<String> {
        analyze(&mut word_analyzer(search_mode), text)
            .into_iter()
            .map(|t| t.term)
            .collect()
    }

    #[test]
    fn mixed_text() {
        let t = terms(false, "基于深度学习的Robots控制, running FAST！");
        assert!(t.contains(&"深度".to_string()) || t.contains(&"深度学习".to_string()));
        assert!(t.contains(&"robot".to_string()), "{t:?}");
        assert!(t.contains(&"run".to_string()), "{t:?}");
        assert!(t.contains(&"fast".to_string()), "{t:?}");
        assert!(
            !t.iter().any(|x| x == "的" || x == "," || x == "！"),
            "{t:?}"
        );
    }

    #[test]
    fn full_width_latin_is_folded() {
        let t = terms(false, "ＰＩＤ控制");
        assert!(t.contains(&"pid".to_string()), "{t:?}");
        let tokens = analyze(&mut word_analyzer(false), "用ＰＩＤ控制");
        let pid = tokens.iter().find(|t| t.term == "pid").unwrap();
        assert_eq!(&"用ＰＩＤ控制"[pid.from..pid.to], "ＰＩＤ");
    }

    #[test]
    fn bigrams() {
        let t: Vec<String> = analyze(&mut ngram_analyzer(false), "机器人abc学")
            .into_iter()
            .map(|t| t.term)
            .collect();
        assert_eq!(t, vec!["机器", "器人", "学"]);
        let t: Vec<String> = analyze(&mut ngram_analyzer(true), "机器人")
            .into_iter()
            .map(|t| t.term)
            .collect();
        assert_eq!(t, vec!["机", "器", "人", "机器", "器人"]);
    }
}
