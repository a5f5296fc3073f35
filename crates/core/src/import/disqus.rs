//! A Disqus export (`<disqus>` with `<thread>` and `<post>` elements), read as a stream:
//! one item at a time, so a file of a million comments costs the memory of one. What a
//! real export gets wrong (a post without an id, a bad date or boolean, an author without
//! a name) is kept as a [`Quirk`] on the item; what makes the file unreadable (broken XML,
//! a DTD, a file that is not a Disqus export) is a [`ReadError`] with its position.

use std::io::BufRead;

use chrono::{DateTime, Utc};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::ReadError;

/// A discussion: one per page of the old site (Disqus may hold several for one address).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Thread {
    /// Disqus's own id (`dsq:id`), which posts refer to.
    pub id: String,
    pub link: String,
    pub title: String,
    pub created_at: Option<DateTime<Utc>>,
    pub closed: bool,
    pub quirks: Vec<Quirk>,
}

/// A comment, as Disqus kept it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Post {
    /// Disqus's id (`dsq:id`); none in some exports.
    pub id: Option<String>,
    pub thread_id: String,
    pub parent_id: Option<String>,
    pub author_name: String,
    pub author_email: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    /// The body as Disqus stores it: HTML, to be made safe before anyone sees it.
    pub message_html: String,
    pub deleted: bool,
    pub spam: bool,
    pub quirks: Vec<Quirk>,
}

/// Something in an item that a real export gets wrong, tolerated and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quirk {
    NoId,
    NoThread,
    BadDate,
    BadBoolean,
    NoAuthorName,
    NoLink,
}

impl Quirk {
    pub fn describe(self) -> &'static str {
        match self {
            Quirk::NoId => "no id",
            Quirk::NoThread => "no thread",
            Quirk::BadDate => "a date that is not a date",
            Quirk::BadBoolean => "a yes/no field that is neither",
            Quirk::NoAuthorName => "an author without a name",
            Quirk::NoLink => "a thread without a link",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Thread(Thread),
    Post(Post),
}

/// The items of an export, in file order.
pub struct DisqusReader<R: BufRead> {
    xml: Reader<R>,
    buf: Vec<u8>,
    /// Lines seen so far: every byte of the file passes through one event, and no
    /// delimiter is a newline, so counting them in the events gives the line.
    line: u64,
    started: bool,
    done: bool,
}

impl<R: BufRead> DisqusReader<R> {
    pub fn new(input: R) -> Self {
        let mut xml = Reader::from_reader(input);
        xml.config_mut().trim_text(false);
        DisqusReader { xml, buf: Vec::new(), line: 1, started: false, done: false }
    }

    fn error(&self, message: impl Into<String>) -> ReadError {
        ReadError { line: self.line, byte: self.xml.buffer_position(), message: message.into() }
    }

    /// The next event, its newlines counted; `None` at the end of the file.
    fn next_event(&mut self) -> Result<Option<Event<'static>>, ReadError> {
        self.buf.clear();
        let event = match self.xml.read_event_into(&mut self.buf) {
            Ok(Event::Eof) => return Ok(None),
            Ok(event) => event.into_owned(),
            Err(e) => return Err(self.error(format!("not well-formed XML: {e}"))),
        };
        self.line += event.as_ref().iter().filter(|b| **b == b'\n').count() as u64;
        if let Event::DocType(_) = event {
            // Entities declared in a DTD could expand without end or name files and
            // addresses to fetch: an export never needs one.
            return Err(self.error("a DTD (<!DOCTYPE>) is not allowed in an export"));
        }
        Ok(Some(event))
    }

    /// The text inside the element just opened, up to its end (CDATA and entities alike);
    /// nested elements' text is joined.
    fn text_of(&mut self, name: &[u8]) -> Result<String, ReadError> {
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
                Some(Event::CData(c)) => text.push_str(&String::from_utf8_lossy(&c.into_inner())),
                Some(Event::Start(_)) => depth += 1,
                Some(Event::End(_)) if depth > 0 => depth -= 1,
                Some(Event::End(_)) => return Ok(text),
                Some(_) => {}
            }
        }
    }

    /// `&lt;`, `&#233;` and the like; any other entity would need a DTD, and has none.
    fn entity(&self, r: &quick_xml::events::BytesRef<'_>) -> Result<char, ReadError> {
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

    /// Skips to the end of the element just opened.
    fn skip(&mut self) -> Result<(), ReadError> {
        self.text_of(b"element").map(drop)
    }

    fn thread(&mut self, start: &BytesStart<'_>) -> Result<Thread, ReadError> {
        let mut thread = Thread { id: dsq_id(start).unwrap_or_default(), ..Thread::default() };
        while let Some(child) = self.child()? {
            match child.local_name().as_ref() {
                b"link" => thread.link = self.text(&child)?.trim().to_owned(),
                b"title" => thread.title = self.text(&child)?.trim().to_owned(),
                b"createdAt" => thread.created_at = date(&self.text(&child)?, &mut thread.quirks),
                b"isClosed" => thread.closed = boolean(&self.text(&child)?, &mut thread.quirks),
                _ => self.skip_if_open(&child)?,
            }
        }
        if thread.id.is_empty() {
            thread.quirks.push(Quirk::NoId);
        }
        if thread.link.is_empty() {
            thread.quirks.push(Quirk::NoLink);
        }
        Ok(thread)
    }

    fn post(&mut self, start: &BytesStart<'_>) -> Result<Post, ReadError> {
        let mut post = Post { id: dsq_id(start), ..Post::default() };
        while let Some(child) = self.child()? {
            let name = child.local_name().as_ref().to_vec();
            match name.as_slice() {
                b"message" => post.message_html = self.text(&child)?,
                b"createdAt" => post.created_at = date(&self.text(&child)?, &mut post.quirks),
                b"isDeleted" => post.deleted = boolean(&self.text(&child)?, &mut post.quirks),
                b"isSpam" => post.spam = boolean(&self.text(&child)?, &mut post.quirks),
                b"thread" => {
                    post.thread_id = dsq_id(&child).unwrap_or_default();
                    self.skip_if_open(&child)?;
                }
                b"parent" => {
                    post.parent_id = dsq_id(&child);
                    self.skip_if_open(&child)?;
                }
                b"author" => self.author(&mut post)?,
                _ => self.skip_if_open(&child)?,
            }
        }
        if post.id.is_none() {
            post.quirks.push(Quirk::NoId);
        }
        if post.thread_id.is_empty() {
            post.quirks.push(Quirk::NoThread);
        }
        if post.author_name.is_empty() {
            post.quirks.push(Quirk::NoAuthorName);
        }
        Ok(post)
    }

    fn author(&mut self, post: &mut Post) -> Result<(), ReadError> {
        while let Some(child) = self.child()? {
            match child.local_name().as_ref() {
                b"name" => post.author_name = self.text(&child)?.trim().to_owned(),
                b"email" => {
                    post.author_email = Some(self.text(&child)?.trim().to_owned()).filter(|e| !e.is_empty())
                }
                _ => self.skip_if_open(&child)?,
            }
        }
        Ok(())
    }

    /// The next child element of the element being read (`<x/>` too); `None` at its end.
    /// A child read as a start tag must be read to its end by the caller.
    fn child(&mut self) -> Result<Option<Child>, ReadError> {
        loop {
            match self.next_event()? {
                None => return Err(self.error("the file ends inside an element")),
                Some(Event::Start(e)) => return Ok(Some(Child { start: e.into_owned(), empty: false })),
                Some(Event::Empty(e)) => return Ok(Some(Child { start: e.into_owned(), empty: true })),
                Some(Event::End(_)) => return Ok(None),
                Some(_) => {}
            }
        }
    }

    /// A child's text; none for `<x/>`.
    fn text(&mut self, child: &Child) -> Result<String, ReadError> {
        if child.empty { Ok(String::new()) } else { self.text_of(child.local_name().as_ref()) }
    }

    fn skip_if_open(&mut self, child: &Child) -> Result<(), ReadError> {
        if child.empty { Ok(()) } else { self.skip() }
    }
}

/// A child element, and whether it closed itself (`<parent dsq:id="1"/>`).
struct Child {
    start: BytesStart<'static>,
    empty: bool,
}

impl std::ops::Deref for Child {
    type Target = BytesStart<'static>;
    fn deref(&self) -> &Self::Target {
        &self.start
    }
}

impl<R: BufRead> Iterator for DisqusReader<R> {
    type Item = Result<Item, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.next_item();
        if !matches!(item, Ok(Some(_))) {
            self.done = true;
        }
        item.transpose()
    }
}

impl<R: BufRead> DisqusReader<R> {
    fn next_item(&mut self) -> Result<Option<Item>, ReadError> {
        loop {
            let (start, empty) = match self.next_event()? {
                None if self.started => return Ok(None),
                None => return Err(self.error("not a Disqus export: no <disqus> element")),
                Some(Event::Start(e)) => (e, false),
                Some(Event::Empty(e)) => (e, true),
                Some(Event::End(_)) => return Ok(None),
                Some(Event::Text(t)) if !self.started && !t.iter().all(u8::is_ascii_whitespace) => {
                    return Err(self.error("not a Disqus export: text before the first element"));
                }
                Some(_) => continue,
            };
            let name = start.local_name().as_ref().to_vec();
            if !self.started {
                if name != b"disqus" {
                    let found = String::from_utf8_lossy(&name).into_owned();
                    return Err(
                        self.error(format!("not a Disqus export: the document is <{found}>, not <disqus>"))
                    );
                }
                self.started = true;
                if empty {
                    return Ok(None);
                }
                continue;
            }
            match name.as_slice() {
                b"thread" if !empty => return self.thread(&start).map(|t| Some(Item::Thread(t))),
                b"post" if !empty => return self.post(&start).map(|p| Some(Item::Post(p))),
                _ if empty => {}
                _ => self.skip()?,
            }
        }
    }
}

/// The `dsq:id` attribute (whatever the prefix is bound to), if present and not empty.
fn dsq_id(start: &BytesStart<'_>) -> Option<String> {
    start
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == b"id")
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(|v| v.trim().to_owned())
        })
        .filter(|v| !v.is_empty())
}

fn date(text: &str, quirks: &mut Vec<Quirk>) -> Option<DateTime<Utc>> {
    let parsed = DateTime::parse_from_rfc3339(text.trim()).ok().map(|d| d.with_timezone(&Utc));
    if parsed.is_none() {
        quirks.push(Quirk::BadDate);
    }
    parsed
}

fn boolean(text: &str, quirks: &mut Vec<Quirk>) -> bool {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => true,
        "false" | "0" | "" => false,
        _ => {
            quirks.push(Quirk::BadBoolean);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(xml: &str) -> Result<Vec<Item>, ReadError> {
        DisqusReader::new(xml.as_bytes()).collect()
    }

    const EXPORT: &str = include_str!("../../tests/fixtures/disqus_quirks.xml");

    #[test]
    fn threads_and_posts_come_in_file_order_with_their_fields() {
        let items = read(EXPORT).unwrap();
        let Item::Thread(t) = &items[0] else { panic!("{items:?}") };
        assert_eq!(
            (t.id.as_str(), t.link.as_str()),
            ("7001", "https://www.example.org/2017/11/isis-escape/")
        );
        assert_eq!(t.title, "Did The US Allow ISIS To Escape?");
        let Item::Post(p) = &items[2] else { panic!("{items:?}") };
        assert_eq!(p.id.as_deref(), Some("9001"));
        assert_eq!((p.thread_id.as_str(), p.parent_id.as_deref()), ("7001", None));
        assert_eq!(p.author_name, "Daniel Castro");
        assert_eq!(p.author_email.as_deref(), Some("daniel@example.com"));
        assert_eq!(p.message_html, "<p>No, US didn't allow ISIS to escape, they just retreated.</p>");
        assert_eq!(p.created_at.map(|d| d.to_rfc3339()), Some("2017-11-20T10:00:00+00:00".into()));
        assert!(p.quirks.is_empty(), "{:?}", p.quirks);
    }

    #[test]
    fn quirks_are_kept_on_the_item_not_fatal() {
        let items = read(EXPORT).unwrap();
        let posts: Vec<&Post> =
            items.iter().filter_map(|i| if let Item::Post(p) = i { Some(p) } else { None }).collect();
        let reply = posts.iter().find(|p| p.id.as_deref() == Some("9002")).unwrap();
        assert_eq!(reply.parent_id.as_deref(), Some("9001"));
        assert!(reply.deleted && !reply.spam);
        assert_eq!(reply.message_html, "<b>Entities</b> & <i>CDATA</i> side by side: «مرحبا»");
        let odd = posts.iter().find(|p| p.id.is_none()).unwrap();
        assert_eq!(odd.quirks, [Quirk::BadDate, Quirk::BadBoolean, Quirk::NoId, Quirk::NoAuthorName]);
        let spam = posts.iter().find(|p| p.id.as_deref() == Some("9004")).unwrap();
        assert!(spam.spam);
        let Item::Thread(stub) = &items[1] else { panic!() };
        assert_eq!(stub.quirks, [Quirk::NoLink]);
    }

    #[test]
    fn bad_files_are_refused_with_their_position() {
        let truncated = &EXPORT[..EXPORT.len() / 2];
        let e = read(truncated).unwrap_err();
        assert!(e.line > 1, "{e}");
        let e = read("<?xml version=\"1.0\"?>\n<rss><channel/></rss>").unwrap_err();
        assert!(e.message.contains("not a Disqus export: the document is <rss>"), "{e}");
        assert_eq!(e.line, 2);
        let bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE d [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]>\n<disqus>&b;</disqus>";
        assert!(read(bomb).unwrap_err().message.contains("DTD"));
        let external = "<!DOCTYPE d [<!ENTITY x SYSTEM \"http://example.com/\">]><disqus><post><message>&x;</message></post></disqus>";
        assert!(read(external).unwrap_err().message.contains("DTD"));
        assert!(read("").unwrap_err().message.contains("no <disqus>"));
        assert!(read("\u{0}\u{1}binary").is_err());
        let e = read("<disqus><post><message>x &nosuch; y</message></post></disqus>").unwrap_err();
        assert!(e.message.contains("bad entity"), "{e}");
    }
}
