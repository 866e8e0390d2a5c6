//! The text as the detectors read it: Unicode compatibility forms folded
//! (NFKC, char by char: full-width digits and letters, ligatures), format
//! characters dropped (zero-width spaces and joiners, soft hyphens, byte
//! order marks), and every Unicode space read as a space, with a map back
//! to the original bytes so that findings are placed in the text as
//! written.

use unicode_normalization::UnicodeNormalization;

/// A folded text and a map back to the original: a list of pieces, each
/// a run of ASCII copied as it was (one byte for one byte) or the bytes
/// one character folded into, in the order of the folded text.
pub(crate) struct Folded {
    pub text: String,
    pieces: Vec<Piece>,
}

/// `folded` is where the piece starts in the folded text; `original` the
/// original byte range it came from.
struct Piece {
    folded: usize,
    original: std::ops::Range<usize>,
    /// One byte for one byte (an ASCII run), or one character folded.
    ascii: bool,
}

impl Folded {
    /// The original byte range of a range of the folded text.
    pub fn original(&self, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
        let start = self.at(range.start).map_or(0, |r| r.start);
        let end = range
            .end
            .checked_sub(1)
            .and_then(|last| self.at(last))
            .map_or(start, |r| r.end);
        start..end.max(start)
    }

    /// The original bytes of the folded byte at `i`.
    fn at(&self, i: usize) -> Option<std::ops::Range<usize>> {
        if i >= self.text.len() {
            return None;
        }
        let n = self
            .pieces
            .partition_point(|p| p.folded <= i)
            .checked_sub(1)?;
        let p = &self.pieces[n];
        if p.ascii {
            let at = p.original.start + (i - p.folded);
            Some(at..at + 1)
        } else {
            Some(p.original.clone())
        }
    }
}

/// Characters that only shape or join text and carry no letter of their
/// own (Unicode's Cf category, the ones seen in copied text).
fn format_char(c: char) -> bool {
    matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

/// `None` when the text needs no folding (plain ASCII, the usual case).
pub(crate) fn fold(text: &str) -> Option<Folded> {
    if text.is_ascii() {
        return None;
    }
    let mut folded = Folded {
        text: String::with_capacity(text.len()),
        pieces: Vec::new(),
    };
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        // A run of ASCII is copied as it is (vertical tab and form feed
        // read as spaces): one piece of the map.
        let run = bytes[at..]
            .iter()
            .position(|b| !b.is_ascii())
            .unwrap_or(bytes.len() - at);
        if run > 0 {
            let ascii = &text[at..at + run];
            folded.pieces.push(Piece {
                folded: folded.text.len(),
                original: at..at + run,
                ascii: true,
            });
            if ascii.bytes().any(|b| b == 0x0b || b == 0x0c) {
                folded.text.extend(ascii.chars().map(|c| match c {
                    '\u{b}' | '\u{c}' => ' ',
                    c => c,
                }));
            } else {
                folded.text.push_str(ascii);
            }
            at += run;
            continue;
        }
        let Some(c) = text[at..].chars().next() else {
            break;
        };
        let end = at + c.len_utf8();
        let before = folded.text.len();
        if format_char(c) {
            at = end;
            continue;
        } else if c.is_whitespace() {
            folded.text.push(' ');
        } else {
            folded.text.extend(std::iter::once(c).nfkc());
        }
        if folded.text.len() > before {
            folded.pieces.push(Piece {
                folded: before,
                original: at..end,
                ascii: false,
            });
        }
        at = end;
    }
    Some(folded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The map as first written: each folded byte's original character,
    /// char by char.
    fn naive(text: &str) -> (String, Vec<std::ops::Range<usize>>) {
        let mut out = String::new();
        let mut map = Vec::new();
        for (at, c) in text.char_indices() {
            let before = out.len();
            if format_char(c) {
                continue;
            } else if c.is_whitespace() && c != '\n' && c != '\r' {
                out.push(if c == '\t' { '\t' } else { ' ' });
            } else {
                out.extend(std::iter::once(c).nfkc());
            }
            map.extend(std::iter::repeat_n(
                at..at + c.len_utf8(),
                out.len() - before,
            ));
        }
        (out, map)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn the_map_gives_each_folded_byte_its_character(
            text in "([a-z0-9 .@\t\u{b}\n]|\u{ff10}|\u{fb01}|\u{200b}|\u{a0}|\u{e9}|\u{2013}|\u{2460}){0,40}"
        ) {
            let (want, map) = naive(&text);
            match fold(&text) {
                None => {
                    let spaced = text.replace('\u{b}', " ");
                    prop_assert!(text.is_ascii());
                    prop_assert_eq!(want, spaced);
                }
                Some(f) => {
                    prop_assert_eq!(&f.text, &want);
                    for (i, r) in map.iter().enumerate() {
                        prop_assert_eq!(f.at(i), Some(r.clone()), "byte {}", i);
                        prop_assert_eq!(f.original(i..i + 1), r.clone());
                    }
                    prop_assert_eq!(f.at(map.len()), None);
                }
            }
        }
    }
}
