//! The XML writing both export formats share, so that each writes text the same way: escaped
//! or in CDATA, and stripped of the characters XML 1.0 cannot carry.

use std::borrow::Cow;
use std::io::{self, Write};

use chrono::{DateTime, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesCData, BytesDecl, BytesEnd, BytesStart, BytesText, Event};

/// An export being written, one element at a time.
pub(super) struct XmlOut<W: Write> {
    xml: Writer<W>,
}

impl<W: Write> XmlOut<W> {
    /// Starts the document with its declaration; indented like the platforms' own exports,
    /// so that an operator can read and diff it.
    pub(super) fn new(out: W) -> io::Result<Self> {
        let mut xml = Writer::new_with_indent(out, b'\t', 1);
        xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        Ok(XmlOut { xml })
    }

    pub(super) fn open(&mut self, name: &str, attributes: &[(&str, &str)]) -> io::Result<()> {
        self.xml.write_event(Event::Start(start(name, attributes)))
    }

    pub(super) fn close(&mut self, name: &str) -> io::Result<()> {
        self.xml.write_event(Event::End(BytesEnd::new(name)))
    }

    pub(super) fn empty(&mut self, name: &str, attributes: &[(&str, &str)]) -> io::Result<()> {
        self.xml.write_event(Event::Empty(start(name, attributes)))
    }

    /// `<name>text</name>`, escaped. Written as a pair even when empty: the indenting writer
    /// would otherwise put a line break between the tags, which is text to a reader.
    pub(super) fn text(&mut self, name: &str, text: &str) -> io::Result<()> {
        self.open(name, &[])?;
        self.text_content(text)?;
        self.close(name)
    }

    /// Text inside the element just opened, escaped.
    pub(super) fn text_content(&mut self, text: &str) -> io::Result<()> {
        self.xml.write_event(Event::Text(BytesText::new(&xml_safe(text))))
    }

    /// `<name><![CDATA[text]]></name>`, for HTML that an importer reads as HTML. A `]]>` in
    /// the text would end the section: it is split across two (`]]]]><![CDATA[>`).
    pub(super) fn cdata(&mut self, name: &str, text: &str) -> io::Result<()> {
        self.open(name, &[])?;
        self.cdata_content(text)?;
        self.close(name)
    }

    /// CDATA inside the element just opened (at least one section, even for no text).
    pub(super) fn cdata_content(&mut self, text: &str) -> io::Result<()> {
        let safe = xml_safe(text);
        for section in BytesCData::escaped(&safe) {
            self.xml.write_event(Event::CData(section))?;
        }
        Ok(())
    }

    pub(super) fn flag(&mut self, name: &str, value: bool) -> io::Result<()> {
        self.text(name, if value { "true" } else { "false" })
    }

    /// Ends the document with a line break, as text files do.
    pub(super) fn finish(mut self) -> io::Result<W> {
        self.xml.get_mut().write_all(b"\n")?;
        Ok(self.xml.into_inner())
    }
}

fn start<'a>(name: &'a str, attributes: &[(&'a str, &'a str)]) -> BytesStart<'a> {
    let mut start = BytesStart::new(name);
    for (key, value) in attributes {
        start.push_attribute((*key, xml_safe(value).as_ref()));
    }
    start
}

/// `text` without the characters XML 1.0 cannot carry, escaped or not: control characters
/// other than tab and line breaks, and U+FFFE and U+FFFF. No reader would accept a file with
/// them, and they carry nothing a reader sees, so they are dropped rather than refused.
pub(super) fn xml_safe(text: &str) -> Cow<'_, str> {
    let allowed =
        |c: char| (c >= ' ' || matches!(c, '\t' | '\n' | '\r')) && !matches!(c, '\u{fffe}' | '\u{ffff}');
    if text.chars().all(allowed) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|c| allowed(*c)).collect())
    }
}

/// `base_url` without the slash that would double the one of a path joined to it.
pub(super) fn site_root(base_url: &str) -> &str {
    base_url.trim_end_matches('/')
}

/// Where an article lives on the site, as readers link to it.
pub(super) fn article_link(root: &str, slug: &str) -> String {
    format!("{root}/articles/{slug}")
}

/// RFC 3339 in UTC to the second (`2017-11-20T10:00:00Z`), as Disqus writes its dates.
pub(super) fn rfc3339(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
