//! The XML reading every export reader shares, so that each refuses the same things the same
//! way: a DTD (entities that expand without end or fetch files), entities other than XML's
//! own, text that is not UTF-8, a file that ends too soon; each with its line and byte.

use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::{BytesRef, BytesStart, Event};

use super::ReadError;

/// An export's XML, one event at a time, with the line it has reached.
pub(super) struct XmlStream<R: BufRead> {
    xml: Reader<R>,
    buf: Vec<u8>,
    /// Lines seen so far: every byte of the file passes through one event, and no
    /// delimiter is a newline, so counting them in the events gives the line.
    line: u64,
}

impl<R: BufRead> XmlStream<R> {
    pub(super) fn new(input: R) -> Self {
        let mut xml = Reader::from_reader(input);
        xml.config_mut().trim_text(false);
        XmlStream { xml, buf: Vec::new(), line: 1 }
    }

    pub(super) fn error(&self, message: impl Into<String>) -> ReadError {
        ReadError { line: self.line, byte: self.xml.buffer_position(), message: message.into() }
    }

    /// The next event, its newlines counted; `None` at the end of the file.
    pub(super) fn next_event(&mut self) -> Result<Option<Event<'static>>, ReadError> {
        self.buf.clear();
        let start = self.xml.buffer_position();
        let event = match self.xml.read_event_into(&mut self.buf) {
            Ok(Event::Eof) => return Ok(None),
            Ok(event) => event.into_owned(),
            Err(e) => return Err(self.error(format!("not well-formed XML: {e}"))),
        };
        self.line += event.as_ref().iter().filter(|b| **b == b'\n').count() as u64;
        if let Event::DocType(_) = event {
            // Entities declared in a DTD could expand without end or name files and
            // addresses to fetch: an export never needs one.
            let line = self.line - event.as_ref().iter().filter(|b| **b == b'\n').count() as u64;
            let message = "a DTD (<!DOCTYPE>) is not allowed in an export".into();
            return Err(ReadError { line, byte: start, message });
        }
        Ok(Some(event))
    }

    /// The document's element, which must be `<{expected}>`; anything else is refused
    /// with `refusal` ("not a Disqus export") and what was found.
    pub(super) fn root(&mut self, expected: &str, refusal: &str) -> Result<Child, ReadError> {
        loop {
            let child = match self.next_event()? {
                None => return Err(self.error(format!("{refusal}: no <{expected}> element"))),
                Some(Event::Start(e)) => Child { start: e, empty: false },
                Some(Event::Empty(e)) => Child { start: e, empty: true },
                Some(Event::Text(t)) if !t.iter().all(u8::is_ascii_whitespace) => {
                    return Err(self.error(format!("{refusal}: text before the first element")));
                }
                Some(_) => continue,
            };
            if child.local_name().as_ref() != expected.as_bytes() {
                let found = String::from_utf8_lossy(child.name().as_ref()).into_owned();
                return Err(self.error(format!("{refusal}: the document is <{found}>, not <{expected}>")));
            }
            return Ok(child);
        }
    }

    /// The text inside the element just opened, up to its end (CDATA and entities alike);
    /// nested elements' text is joined.
    pub(super) fn text_of(&mut self, name: &[u8]) -> Result<String, ReadError> {
        let mut text = String::new();
        let mut depth = 0;
        loop {
            match self.next_event()? {
                None => {
                    return Err(
                        self.error(format!("the file ends inside <{}>", String::from_utf8_lossy(name)))
                    );
                }
                Some(Event::Text(t)) => {
                    let decoded = t.xml10_content().map_err(|e| self.error(format!("not UTF-8: {e}")))?;
                    text.push_str(&decoded);
                }
                Some(Event::GeneralRef(r)) => text.push(self.entity(&r)?),
                Some(Event::CData(c)) => {
                    let bytes = c.into_inner();
                    let decoded =
                        std::str::from_utf8(&bytes).map_err(|e| self.error(format!("not UTF-8: {e}")))?;
                    text.push_str(decoded);
                }
                Some(Event::Start(_)) => depth += 1,
                Some(Event::End(_)) if depth > 0 => depth -= 1,
                Some(Event::End(_)) => return Ok(text),
                Some(_) => {}
            }
        }
    }

    /// `&lt;`, `&#233;` and the like; any other entity would need a DTD, and has none.
    fn entity(&self, r: &BytesRef<'_>) -> Result<char, ReadError> {
        let bad = |what: String| self.error(format!("bad entity: &{what};"));
        let name = String::from_utf8_lossy(r).into_owned();
        if let Some(c) = r.resolve_char_ref().map_err(|_| bad(name.clone()))? {
            return Ok(c);
        }
        match name.as_str() {
            "lt" => Ok('<'),
            "gt" => Ok('>'),
            "amp" => Ok('&'),
            "apos" => Ok('\''),
            "quot" => Ok('"'),
            _ => Err(bad(name)),
        }
    }

    /// The next child element of the element being read (`<x/>` too); `None` at its end.
    /// A child read as a start tag must be read to its end by the caller.
    pub(super) fn child(&mut self) -> Result<Option<Child>, ReadError> {
        loop {
            match self.next_event()? {
                None => return Err(self.error("the file ends inside an element")),
                Some(Event::Start(e)) => return Ok(Some(Child { start: e, empty: false })),
                Some(Event::Empty(e)) => return Ok(Some(Child { start: e, empty: true })),
                Some(Event::End(_)) => return Ok(None),
                Some(_) => {}
            }
        }
    }

    /// A child's text; none for `<x/>`.
    pub(super) fn text(&mut self, child: &Child) -> Result<String, ReadError> {
        if child.empty { Ok(String::new()) } else { self.text_of(child.name().as_ref()) }
    }

    /// Reads past a child, whatever it holds.
    pub(super) fn skip(&mut self, child: &Child) -> Result<(), ReadError> {
        self.text(child).map(drop)
    }
}

/// A child element, and whether it closed itself (`<parent dsq:id="1"/>`).
pub(super) struct Child {
    start: BytesStart<'static>,
    pub(super) empty: bool,
}

impl std::ops::Deref for Child {
    type Target = BytesStart<'static>;
    fn deref(&self) -> &Self::Target {
        &self.start
    }
}

/// The attribute whose local name is `local` (whatever its prefix), trimmed; `None` when
/// absent or empty.
pub(super) fn attribute(start: &BytesStart<'_>, local: &[u8]) -> Option<String> {
    start
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(|v| v.trim().to_owned())
        })
        .filter(|v| !v.is_empty())
}

/// What an export reader's iterator yields: the next item, then nothing after the end or
/// the first error (a reader that failed cannot go on).
pub(super) fn yielded<T>(
    done: &mut bool,
    next: impl FnOnce() -> Result<Option<T>, ReadError>,
) -> Option<Result<T, ReadError>> {
    if *done {
        return None;
    }
    let item = next();
    *done = !matches!(item, Ok(Some(_)));
    item.transpose()
}
