//! Read of a PDF file: the text of its pages (`cli-core.md` §2.2).
//!
//! A document of more than [`PDF_PAGES_WITHOUT_RANGE`] pages needs
//! `pages`; one call returns at most [`MAX_PDF_PAGES_PER_READ`] pages.
//! Text comes from the PDF's text layer (`pdf-extract`); a scanned page
//! has none, and the result says so rather than showing nothing.

use std::fmt::Write as _;

use lopdf::Document;
use serde_json::{Value, json};

/// The most pages a PDF may have for Read to return it without `pages`.
pub const PDF_PAGES_WITHOUT_RANGE: u32 = 10;
/// The most pages one Read of a PDF returns.
pub const MAX_PDF_PAGES_PER_READ: u32 = 20;

/// The text of one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PdfPage {
    pub(crate) number: u32,
    pub(crate) text: String,
}

/// The requested pages of a document, with its page count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PdfText {
    pub(crate) pages: Vec<PdfPage>,
    pub(crate) total_pages: u32,
}

impl PdfText {
    /// The text the model reads: each page under a header line.
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        for page in &self.pages {
            let _ = writeln!(out, "--- Page {} of {} ---", page.number, self.total_pages);
            let text = page.text.trim_end();
            if text.trim_start().is_empty() {
                out.push_str(
                    "<system-reminder>This page has no text layer (it may be a scanned \
                     image).</system-reminder>\n",
                );
            } else {
                out.push_str(text);
                out.push('\n');
            }
        }
        out
    }

    /// The structured result (`{type: "pdf", pages, file_path, totalPages}`).
    pub(crate) fn structured(&self, file_path: &str) -> Value {
        let pages: Vec<Value> = self
            .pages
            .iter()
            .map(|page| json!({"page_number": page.number, "content": page.text}))
            .collect();
        json!({
            "type": "pdf",
            "pages": pages,
            "file_path": file_path,
            "totalPages": self.total_pages,
        })
    }
}

/// Parses a `pages` value: `"3"`, `"1-5"`, or a comma-separated list of
/// both (`"1-3,7"`). Pages are 1-based; the result is sorted, without
/// duplicates.
pub(crate) fn parse_pages(spec: &str) -> Result<Vec<u32>, String> {
    let mut pages = Vec::new();
    for part in spec.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return Err(format!("`pages` \"{spec}\" has an empty part"));
        }
        let (first, last) = match part.split_once('-') {
            Some((a, b)) => (page_number(spec, a)?, page_number(spec, b)?),
            None => {
                let n = page_number(spec, part)?;
                (n, n)
            }
        };
        if first > last {
            return Err(format!(
                "`pages` \"{spec}\": the range {first}-{last} runs backwards"
            ));
        }
        let count = last - first + 1;
        if count > MAX_PDF_PAGES_PER_READ {
            return Err(too_many(spec));
        }
        pages.extend(first..=last);
        pages.sort_unstable();
        pages.dedup();
        if pages.len() > MAX_PDF_PAGES_PER_READ as usize {
            return Err(too_many(spec));
        }
    }
    Ok(pages)
}

fn too_many(spec: &str) -> String {
    format!(
        "`pages` \"{spec}\" asks for more than {MAX_PDF_PAGES_PER_READ} pages; read at most \
         {MAX_PDF_PAGES_PER_READ} pages per call"
    )
}

fn page_number(spec: &str, text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(0) => Err(format!("`pages` \"{spec}\": pages are numbered from 1")),
        Ok(n) => Ok(n),
        Err(_) => Err(format!(
            "`pages` \"{spec}\" is not a page number or range like \"3\" or \"1-5\""
        )),
    }
}

/// Extracts the text of `pages` (or of every page, for a short document)
/// from the PDF in `bytes`. Errors are worded for the model.
pub(crate) fn extract(bytes: &[u8], pages: Option<&str>) -> Result<PdfText, String> {
    let requested = pages.map(parse_pages).transpose()?;
    let mut doc =
        Document::load_mem(bytes).map_err(|error| format!("it is not a readable PDF ({error})"))?;
    if doc.is_encrypted() {
        // Documents encrypted with an empty user password open anyway.
        doc.decrypt("").map_err(|_| {
            "it is encrypted with a password, so its text cannot be read".to_owned()
        })?;
    }
    let numbers: Vec<u32> = doc.get_pages().into_keys().collect();
    let total_pages = u32::try_from(numbers.len()).unwrap_or(u32::MAX);
    let wanted = match requested {
        Some(wanted) => {
            if let Some(&beyond) = wanted.iter().find(|&&n| n > total_pages) {
                return Err(format!(
                    "it has {total_pages} pages, so page {beyond} does not exist"
                ));
            }
            wanted
        }
        None if total_pages > PDF_PAGES_WITHOUT_RANGE => {
            return Err(format!(
                "it has {total_pages} pages, more than the {PDF_PAGES_WITHOUT_RANGE} Read \
                 returns without a range. Give `pages` (e.g. \"1-5\"), at most \
                 {MAX_PDF_PAGES_PER_READ} pages per call"
            ));
        }
        None => numbers,
    };
    let mut out = Vec::with_capacity(wanted.len());
    for number in wanted {
        out.push(PdfPage {
            number,
            text: page_text(&doc, number)?,
        });
    }
    Ok(PdfText {
        pages: out,
        total_pages,
    })
}

/// The text of one page. `pdf-extract` panics on some malformed fonts and
/// streams; such a page is reported as an error instead.
fn page_text(doc: &Document, number: u32) -> Result<String, String> {
    let run = || {
        let mut text = String::new();
        let result = {
            let mut output = pdf_extract::PlainTextOutput::new(&mut text);
            pdf_extract::output_doc_page(doc, &mut output, number)
        };
        result.map(|()| text)
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        // The extractor starts each page with blank lines.
        Ok(Ok(text)) => Ok(text.trim_matches(['\n', '\r']).to_owned()),
        Ok(Err(error)) => Err(format!(
            "the text of page {number} cannot be read ({error})"
        )),
        Err(_) => Err(format!(
            "the text of page {number} cannot be read (the PDF is malformed or uses a feature \
             the text extractor does not support)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_specs() {
        assert_eq!(parse_pages("3"), Ok(vec![3]));
        assert_eq!(parse_pages("1-5"), Ok(vec![1, 2, 3, 4, 5]));
        assert_eq!(parse_pages(" 7, 1-2 ,2"), Ok(vec![1, 2, 7]));
        assert_eq!(parse_pages("1-20").map(|p| p.len()), Ok(20));
        for bad in ["0", "5-3", "1-21", "a", "1,,2", "", "1-10,11-21", "-3"] {
            assert!(parse_pages(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
