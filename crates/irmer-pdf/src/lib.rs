//! irmer-pdf: the investigation report as a PDF, typeset by typst used as
//! a library. Its text can be selected and searched, its fonts (typst's
//! own, compiled in) are embedded, and nothing is fetched: no network, no
//! system fonts, no files but the two this module hands to typst.
//!
//! Like the HTML, it takes only [`Cleared`] content: what has passed the
//! identifier gate. The report's texts reach typst as data (a JSON file
//! the template reads), never as markup, so nothing written in a report
//! can change how it is typeset.

mod committee;

pub use committee::committee_pdf;
use irmer_report::Cleared;
use serde_json::json;
use time::OffsetDateTime;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime};
use typst::layout::PagedDocument;
use typst::syntax::{FileId, Source, VirtualPath};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};

/// The template: A4, typst's embedded Libertinus Serif, the report's
/// header as a table, the sections in order, the anonymisation note.
const TEMPLATE: &str = r##"
#let d = json("data.json")
#set document(title: d.title)
#set page(paper: "a4", margin: (x: 2.2cm, y: 2cm), footer: context [
  #set text(size: 8pt, fill: luma(90))
  #d.footer #h(1fr) Page #counter(page).display("1 of 1", both: true)
])
#set text(font: "Libertinus Serif", size: 11pt, lang: "en", region: "gb")
#set table(stroke: 0.5pt + luma(170), inset: 5pt)
#text(size: 9pt, fill: luma(90))[#d.caption]
#heading(level: 1, d.title)
#text(fill: luma(90))[#d.status]
#table(columns: (11em, 1fr), ..d.header.map(r => (strong(r.at(0)), r.at(1))).flatten())
#for s in d.sections [
  #heading(level: 2, s.title)
  #if s.paragraphs.len() == 0 [
    #text(fill: rgb("#b0281a"))[Not written yet. #s.asks]
  ] else [
    #for p in s.paragraphs [
      #p.split("\n").join(linebreak())
      #parbreak()
    ]
  ]
  #if s.similar.len() > 0 [
    #table(columns: 4, table.header[*Reference*][*Discovered*][*Modality*][*Codes*], ..s.similar.flatten())
  ]
]
#heading(level: 2, d.sign_off.title)
#d.sign_off.note
#table(columns: (11em, 1fr), rows: 2.2em, ..d.sign_off.lines.map(l => (strong(l), [])).flatten())
#line(length: 100%, stroke: 0.5pt)
#text(size: 9pt)[#d.anonymised]
"##;

/// The report as PDF bytes, or typst's errors in words.
pub fn pdf(cleared: &Cleared, generated: OffsetDateTime) -> Result<Vec<u8>, String> {
    let data = data(cleared, generated);
    typeset(
        TEMPLATE,
        data.to_string().into_bytes(),
        Vec::new(),
        generated,
    )
}

/// Typesets `template` with `data.json` and the other `files` it reads
/// (a chart's SVG), into PDF bytes. Other crates typeset their own
/// documents with it (the authority's annual figures).
pub fn typeset(
    template: &str,
    data: Vec<u8>,
    files: Vec<(String, Vec<u8>)>,
    generated: OffsetDateTime,
) -> Result<Vec<u8>, String> {
    let mut files: Vec<(String, Bytes)> = files
        .into_iter()
        .map(|(name, bytes)| (name, Bytes::new(bytes)))
        .collect();
    files.push(("data.json".to_owned(), Bytes::new(data)));
    let world = ReportWorld::new(template, files, generated);
    let document = typst::compile::<PagedDocument>(&world)
        .output
        .map_err(|errors| {
            let messages: Vec<String> = errors.iter().map(|e| e.message.to_string()).collect();
            format!("the PDF could not be typeset: {}", messages.join("; "))
        })?;
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default()).map_err(|errors| {
        let messages: Vec<String> = errors.iter().map(|e| e.message.to_string()).collect();
        format!("the PDF could not be written: {}", messages.join("; "))
    })
}

/// What the template reads.
fn data(cleared: &Cleared, generated: OffsetDateTime) -> serde_json::Value {
    let c = cleared.content();
    let status = format!(
        "Version {}, {}. Made by irmer on {}.",
        c.version,
        if c.is_final { "final" } else { "draft" },
        generated.date()
    );
    let sections: Vec<serde_json::Value> = c
        .sections
        .iter()
        .enumerate()
        .map(|(n, (section, text))| {
            let paragraphs: Vec<&str> = text
                .split("\n\n")
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .collect();
            let similar: Vec<[String; 4]> = if section.key == "previous_incidents" {
                c.similar
                    .iter()
                    .map(|s| {
                        [
                            s.reference.clone(),
                            s.discovered.to_string(),
                            s.modality.to_owned(),
                            s.codes.clone(),
                        ]
                    })
                    .collect()
            } else {
                Vec::new()
            };
            json!({
                "title": format!("{}. {}", n + 1, section.title),
                "asks": section.asks,
                "paragraphs": paragraphs,
                "similar": similar,
            })
        })
        .collect();
    let anonymised = format!(
        "Anonymised: no patient-identifiable information, and the names of individual people redacted. \
         irmer scanned every text of this report for identifiers before it was made; {}",
        if cleared.redacted.is_empty() {
            "none was found.".to_owned()
        } else {
            format!(
                "{} were replaced by their role or kind.",
                cleared.redacted.len()
            )
        }
    );
    json!({
        "caption": "IR(ME)R 2017, regulation 8(4): significant accidental or unintended exposure",
        "title": format!("Investigation report, incident {}", c.reference),
        "status": status,
        "header": c.header.iter().map(|(k, v)| [*k, v.as_str()]).collect::<Vec<_>>(),
        "sections": sections,
        "anonymised": anonymised,
        "sign_off": {
            "title": irmer_report::SIGN_OFF.0,
            "note": irmer_report::SIGN_OFF.1,
            "lines": irmer_report::SIGN_OFF.2,
        },
        "footer": format!("Incident {}, report version {}", c.reference, c.version),
    })
}

/// The whole world typst sees: the template, the data (and any chart),
/// the embedded fonts.
struct ReportWorld {
    shared: &'static Shared,
    main: Source,
    files: Vec<(String, Bytes)>,
    today: OffsetDateTime,
}

/// What every report shares, made once: the standard library and the
/// embedded fonts, parsed.
struct Shared {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

fn shared() -> &'static Shared {
    static SHARED: std::sync::OnceLock<Shared> = std::sync::OnceLock::new();
    SHARED.get_or_init(|| {
        let fonts: Vec<Font> = typst_assets::fonts()
            .flat_map(|bytes| Font::iter(Bytes::new(bytes)))
            .collect();
        Shared {
            library: LazyHash::new(Library::default()),
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
        }
    })
}

impl ReportWorld {
    fn new(template: &str, files: Vec<(String, Bytes)>, today: OffsetDateTime) -> ReportWorld {
        let main = Source::new(
            FileId::new(None, VirtualPath::new("main.typ")),
            template.into(),
        );
        ReportWorld {
            shared: shared(),
            main,
            files,
            today,
        }
    }
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.shared.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &self.shared.book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotFound(id.vpath().as_rootless_path().into()))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        let path = id.vpath().as_rootless_path();
        self.files
            .iter()
            .find(|(name, _)| std::path::Path::new(name) == path)
            .map(|(_, bytes)| bytes.clone())
            .ok_or_else(|| FileError::NotFound(path.into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.shared.fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<i64>) -> Option<Datetime> {
        let d = self.today.date();
        Datetime::from_ymd(d.year(), u8::from(d.month()), d.day())
    }
}
