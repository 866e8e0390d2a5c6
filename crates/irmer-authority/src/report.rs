//! An investigation report as a provider sends it: text (UTF-8), or a PDF
//! whose text irmer reads (pdf-extract) so that it can be checked for
//! identifiers like any text. A PDF that cannot be read, or has no text
//! to check (a scan), is refused: irmer keeps nothing it could not check.

/// The largest report accepted (a text report of a few pages is tens of
/// kilobytes; a PDF with charts a few hundred).
pub const REPORT_MAX: usize = 10 * 1024 * 1024;

/// Why a PDF was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PdfRefused {
    /// Not a PDF, or one the reader could not follow (the reason).
    Unreadable(String),
    /// A PDF with no text to check.
    NoText,
}

impl std::fmt::Display for PdfRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PdfRefused::Unreadable(why) => write!(f, "the PDF could not be read ({why})"),
            PdfRefused::NoText => f.write_str(
                "the PDF has no text to check for identifiers (is it a scan?): send a PDF made from the document, or its text",
            ),
        }
    }
}

/// The text of a PDF, page after page. Never panics: the reader runs
/// under `catch_unwind`, and a panic in it is an unreadable PDF.
pub fn pdf_text(bytes: &[u8]) -> Result<String, PdfRefused> {
    if !bytes.starts_with(b"%PDF-") {
        return Err(PdfRefused::Unreadable(
            "it does not start with %PDF-".into(),
        ));
    }
    let read = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(bytes));
    let text = match read {
        Ok(Ok(text)) => text,
        Ok(Err(e)) => return Err(PdfRefused::Unreadable(e.to_string())),
        Err(_) => return Err(PdfRefused::Unreadable("its structure is broken".into())),
    };
    if text.chars().filter(|c| c.is_alphanumeric()).count() < 20 {
        return Err(PdfRefused::NoText);
    }
    Ok(text)
}
