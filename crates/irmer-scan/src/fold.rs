//! The text as the detectors read it: Unicode compatibility forms folded
//! (NFKC, char by char: full-width digits and letters, ligatures), format
//! characters dropped (zero-width spaces and joiners, soft hyphens, byte
//! order marks), and every Unicode space read as a space, with a map back
//! to the original bytes so that findings are placed in the text as
//! written.

use unicode_normalization::UnicodeNormalization;

/// A folded text and, for each of its bytes, the original byte range of
/// the character it came from.
pub(crate) struct Folded {
    pub text: String,
    starts: Vec<usize>,
    ends: Vec<usize>,
}

impl Folded {
    /// The original byte range of a range of the folded text.
    pub fn original(&self, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
        let start = self.starts.get(range.start).copied().unwrap_or(0);
        let end = range
            .end
            .checked_sub(1)
            .and_then(|last| self.ends.get(last))
            .copied()
            .unwrap_or(start);
        start..end.max(start)
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
        starts: Vec::with_capacity(text.len()),
        ends: Vec::with_capacity(text.len()),
    };
    for (at, c) in text.char_indices() {
        let end = at + c.len_utf8();
        let before = folded.text.len();
        if format_char(c) {
            continue;
        } else if c.is_whitespace() && c != '\n' && c != '\r' {
            folded.text.push(if c == '\t' { '\t' } else { ' ' });
        } else if c.is_ascii() {
            folded.text.push(c);
        } else {
            folded.text.extend(std::iter::once(c).nfkc());
        }
        let added = folded.text.len() - before;
        folded.starts.extend(std::iter::repeat_n(at, added));
        folded.ends.extend(std::iter::repeat_n(end, added));
    }
    Some(folded)
}
