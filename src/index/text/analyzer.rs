//! Turning text into terms: the tokenizer of a text index and of the
//! queries run on it.
//!
//! The pipeline, in order:
//! 1. **Words** by the Unicode word boundaries of UAX #29 (segments holding
//!    at least one letter or digit), each then split at the punctuation
//!    UAX #29 lets inside a word ([`INNER_PUNCTUATION`]: apostrophes,
//!    periods, colons, commas, semicolons, middle dots): `"the child's
//!    toy"` gives `the`, `child`, `s`, `toy`; `U.S.` gives `u`, `s`;
//!    `3.14` gives `3`, `14` (as tantivy's and Lucene's simple tokenizers
//!    split them, so that `US`, `U.S.` and `U. S.` find each other).
//!    [`TOKENIZER_VERSION`] changes whenever this splitting does.
//! 2. **Lowercase** (full Unicode lowercasing).
//! 3. **ASCII folding** (optional): letters with diacritics lose them
//!    (`é` → `e`, by canonical decomposition), and `ß`, `æ`, `œ`, `ø`,
//!    `đ`, `ł`, `þ` become `ss`, `ae`, `oe`, `o`, `d`, `l`, `th`.
//! 4. Words longer than 40 bytes are dropped.
//! 5. **Stop words** (optional): the 33 English stop words of Lucene's
//!    `EnglishAnalyzer` are dropped.
//! 6. **Stemming** (optional): the English (Porter 2) Snowball stemmer.
//!
//! The same analyzer runs on the indexed text and on the query, so a term
//! of either side is comparable.

use crate::error::{Error, Result};
use rust_stemmers::{Algorithm, Stemmer};
use std::fmt;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// Words longer than this (in UTF-8 bytes, after lowercasing and folding)
/// are not indexed.
pub(crate) const MAX_TERM_BYTES: usize = 40;

/// The characters that split a word where UAX #29 keeps it whole
/// (its MidLetter, MidNum and MidNumLet classes): apostrophes, periods,
/// colons, commas, semicolons, middle dots and their full-width forms.
pub(crate) const INNER_PUNCTUATION: [char; 18] = [
    '\'', '\u{2018}', '\u{2019}', '.', '\u{2024}', '\u{FE52}', '\u{FF07}', '\u{FF0E}', ':',
    '\u{00B7}', '\u{0387}', '\u{2027}', '\u{FF1A}', ',', ';', '\u{037E}', '\u{FF0C}', '\u{FF1B}',
];

/// The version of the splitting rules: a sealed text index records it
/// and is rebuilt when it was built by other rules. 2: words split at
/// every [`INNER_PUNCTUATION`] (1: at apostrophes only).
pub(crate) const TOKENIZER_VERSION: u32 = 2;

/// Lucene's English stop words.
const STOP_WORDS: [&str; 33] = [
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];

/// How a text index analyzes text and scores it (BM25).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TextConfig {
    /// Fold letters with diacritics to ASCII (`café` matches `cafe`).
    pub ascii_folding: bool,
    /// Drop the English stop words.
    pub stop_words: bool,
    /// Reduce words to their English stem (`running` matches `runs`).
    pub stemming: bool,
    /// BM25 term-frequency saturation, `k1 >= 0` (default 1.2).
    pub k1: f32,
    /// BM25 length normalisation, `0 <= b <= 1` (default 0.75).
    pub b: f32,
}

impl Default for TextConfig {
    /// Words lowercased, nothing else: no folding, no stop words, no
    /// stemming; `k1` 1.2, `b` 0.75.
    fn default() -> Self {
        TextConfig {
            ascii_folding: false,
            stop_words: false,
            stemming: false,
            k1: 1.2,
            b: 0.75,
        }
    }
}

impl Eq for TextConfig {}

impl TextConfig {
    /// Checks `k1` and `b`.
    pub fn validate(&self) -> Result<()> {
        if !(self.k1.is_finite() && self.k1 >= 0.0 && self.k1 <= 1000.0) {
            return Err(Error::invalid(format!(
                "k1 is {}; it must be a number from 0 to 1000 (BM25's usual value is 1.2)",
                self.k1
            )));
        }
        if !(self.b.is_finite() && (0.0..=1.0).contains(&self.b)) {
            return Err(Error::invalid(format!(
                "b is {}; it must be a number from 0 to 1 (BM25's usual value is 0.75)",
                self.b
            )));
        }
        Ok(())
    }
}

/// The analyzer of one [`TextConfig`].
pub struct Analyzer {
    config: TextConfig,
    stemmer: Option<Stemmer>,
}

/// Analyzers are equal when their configurations are.
impl PartialEq for Analyzer {
    fn eq(&self, other: &Analyzer) -> bool {
        self.config == other.config
    }
}

impl Eq for Analyzer {}

impl fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Analyzer")
            .field("config", &self.config)
            .finish()
    }
}

impl Analyzer {
    /// The analyzer of `config`.
    pub fn new(config: TextConfig) -> Analyzer {
        Analyzer {
            config,
            stemmer: config.stemming.then(|| Stemmer::create(Algorithm::English)),
        }
    }

    /// Its configuration.
    pub fn config(&self) -> &TextConfig {
        &self.config
    }

    /// Calls `out` with each term of `text`, in order.
    pub fn terms(&self, text: &str, out: &mut dyn FnMut(&str)) {
        let mut word = String::new();
        for w in text.unicode_words() {
            for piece in w.split(INNER_PUNCTUATION) {
                if piece.is_empty() {
                    continue;
                }
                word.clear();
                for c in piece.chars() {
                    word.extend(c.to_lowercase());
                }
                if self.config.ascii_folding && !word.is_ascii() {
                    word = fold(&word);
                }
                if word.is_empty() || word.len() > MAX_TERM_BYTES {
                    continue;
                }
                if self.config.stop_words && STOP_WORDS.contains(&word.as_str()) {
                    continue;
                }
                match &self.stemmer {
                    Some(s) => out(&s.stem(&word)),
                    None => out(&word),
                }
            }
        }
    }

    /// The terms of `text`, in order.
    pub fn terms_of(&self, text: &str) -> Vec<String> {
        let mut v = Vec::new();
        self.terms(text, &mut |t| v.push(t.to_owned()));
        v
    }

    /// The distinct terms of a query, in first-seen order.
    pub fn query_terms(&self, text: &str) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        self.terms(text, &mut |t| {
            if !seen.contains(t) {
                seen.insert(t.to_owned());
                v.push(t.to_owned());
            }
        });
        v
    }
}

/// `s` with diacritics removed and the letters that do not decompose
/// spelled in ASCII.
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            'ø' => out.push('o'),
            'đ' | 'ð' => out.push('d'),
            'ł' => out.push('l'),
            'þ' => out.push_str("th"),
            'ı' => out.push('i'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(config: TextConfig, s: &str) -> Vec<String> {
        Analyzer::new(config).terms_of(s)
    }

    #[test]
    fn words_are_split_at_unicode_boundaries_and_apostrophes() {
        let c = TextConfig::default();
        assert_eq!(
            terms(c, "The child's BB-gun, 3.14 times; naïve CAFÉ"),
            ["the", "child", "s", "bb", "gun", "3", "14", "times", "naïve", "café"]
        );
        assert_eq!(
            terms(c, "U.S. at 10:30, 1,000 e.g. l’homme co·op"),
            ["u", "s", "at", "10", "30", "1", "000", "e", "g", "l", "homme", "co", "op"]
        );
        assert_eq!(terms(c, "  ...  "), Vec::<String>::new());
        assert_eq!(terms(c, "don’t"), ["don", "t"]);
        let long = "x".repeat(MAX_TERM_BYTES + 1);
        assert_eq!(terms(c, &format!("a {long} b")), ["a", "b"]);
    }

    #[test]
    fn folding_stop_words_and_stemming_are_optional() {
        let all = TextConfig {
            ascii_folding: true,
            stop_words: true,
            stemming: true,
            ..TextConfig::default()
        };
        assert_eq!(
            terms(all, "The naïve cafés of Straße are running"),
            ["naiv", "cafe", "strass", "run"]
        );
        let fold = TextConfig {
            ascii_folding: true,
            ..TextConfig::default()
        };
        assert_eq!(terms(fold, "Æsir Łódź"), ["aesir", "lodz"]);
        assert_eq!(
            Analyzer::new(TextConfig::default()).query_terms("a b a c b"),
            ["a", "b", "c"]
        );
    }

    #[test]
    fn bad_parameters_are_refused() {
        for (k1, b) in [(-1.0, 0.5), (f32::NAN, 0.5), (1.2, 1.5), (1.2, -0.1)] {
            let c = TextConfig {
                k1,
                b,
                ..TextConfig::default()
            };
            assert!(c.validate().is_err(), "{k1} {b}");
        }
        assert!(TextConfig::default().validate().is_ok());
    }
}
