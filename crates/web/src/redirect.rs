//! Redirect targets taken from input (`next=` of the login, the `next` of forms). One rule,
//! used everywhere: only a path on this site, or `/`.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};

/// Bytes re-encoded in a target that passed: everything a header value cannot carry.
const UNSAFE: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>').add(b'`');

/// True when `s`, as given, is a same-origin path: starts with one `/`, has no `//`, no
/// backslash, no control character and no whitespace.
fn plain_path(s: &str) -> bool {
    s.starts_with('/')
        && !s.contains("//")
        && !s.contains('\\')
        && !s.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// The target if it is a path on this site, else `/`. The target is checked as given and after
/// each round of percent-decoding (up to three, so `%252F` cannot smuggle a `/` past a browser that
/// decodes once more); what passes is returned percent-encoded where a header needs it (non-ASCII
/// letters), so the answer is always a valid `Location`.
pub fn same_origin_path(target: &str) -> String {
    let mut current = target.to_string();
    for _ in 0..=3 {
        if !plain_path(&current) {
            return "/".into();
        }
        let decoded = percent_decode_str(&current)
            .decode_utf8_lossy()
            .into_owned();
        if decoded == current {
            return utf8_percent_encode(target, UNSAFE).to_string();
        }
        current = decoded;
    }
    // Still encoded after three rounds: not a path anyone typed.
    "/".into()
}

/// [`same_origin_path`] of an optional target.
pub fn next_or_home(target: Option<&str>) -> String {
    target.map(same_origin_path).unwrap_or_else(|| "/".into())
}

#[cfg(test)]
mod tests {
    use super::same_origin_path as p;

    #[test]
    fn only_local_paths() {
        for ok in [
            "/",
            "/audit",
            "/achievements/3?saved=1#x",
            "/search?q=%E6%9C%BA%E5%99%A8",
        ] {
            assert_eq!(p(ok), ok);
        }
        assert_eq!(p("/search?q=机器"), "/search?q=%E6%9C%BA%E5%99%A8");
        for bad in [
            "",
            "audit",
            "//evil.example",
            "/\t/evil.example/",
            "/%09/evil.example/",
            "/%2F/evil.example",
            "/%252F%252Fevil.example",
            "/\\evil.example",
            "/%5Cevil.example",
            "/a\nb",
            "/a%0a",
            "/a%0d%0aSet-Cookie:x=1",
            "/a b",
            "/a%20b",
            "/a\u{3000}b",
            "https://evil.example/",
            "/x//y",
            "/%2525252F%2525252Fevil",
        ] {
            assert_eq!(p(bad), "/", "{bad:?}");
        }
    }
}
