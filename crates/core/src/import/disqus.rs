//! A Disqus export (`<disqus>` with `<thread>` and `<post>` elements), read as a stream:
//! one item at a time, so a file of a million comments costs the memory of one. What a
//! real export gets wrong (a post without an id, a bad date or boolean, an author without
//! a name) is kept as a [`Quirk`] on the item; what makes the file unreadable (broken XML,
//! a DTD, a file that is not a Disqus export) is a [`ReadError`] with its position.

use std::io::BufRead;

use chrono::{DateTime, Utc};
use quick_xml::events::BytesStart;

use super::ReadError;
use super::xml::{self, XmlStream};

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
    /// `isApproved` false: held for a moderator there, and here.
    pub pending: bool,
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
    xml: XmlStream<R>,
    started: bool,
    done: bool,
}

impl<R: BufRead> DisqusReader<R> {
    pub fn new(input: R) -> Self {
        DisqusReader { xml: XmlStream::new(input), started: false, done: false }
    }

    fn thread(&mut self, start: &BytesStart<'_>) -> Result<Thread, ReadError> {
        let mut thread = Thread { id: dsq_id(start).unwrap_or_default(), ..Thread::default() };
        while let Some(child) = self.xml.child()? {
            match child.local_name().as_ref() {
                b"link" => thread.link = self.xml.text(&child)?.trim().to_owned(),
                b"title" => thread.title = self.xml.text(&child)?.trim().to_owned(),
                b"createdAt" => thread.created_at = date(&self.xml.text(&child)?, &mut thread.quirks),
                b"isClosed" => thread.closed = boolean(&self.xml.text(&child)?, &mut thread.quirks),
                _ => self.xml.skip(&child)?,
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
        while let Some(child) = self.xml.child()? {
            match child.local_name().as_ref() {
                b"message" => post.message_html = self.xml.text(&child)?,
                b"createdAt" => post.created_at = date(&self.xml.text(&child)?, &mut post.quirks),
                b"isDeleted" => post.deleted = boolean(&self.xml.text(&child)?, &mut post.quirks),
                b"isSpam" => post.spam = boolean(&self.xml.text(&child)?, &mut post.quirks),
                b"isApproved" => post.pending = !boolean(&self.xml.text(&child)?, &mut post.quirks),
                b"thread" => {
                    post.thread_id = dsq_id(&child).unwrap_or_default();
                    self.xml.skip(&child)?;
                }
                b"parent" => {
                    post.parent_id = dsq_id(&child);
                    self.xml.skip(&child)?;
                }
                b"author" => self.author(&mut post)?,
                _ => self.xml.skip(&child)?,
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
        while let Some(child) = self.xml.child()? {
            match child.local_name().as_ref() {
                b"name" => post.author_name = self.xml.text(&child)?.trim().to_owned(),
                b"email" => {
                    post.author_email =
                        Some(self.xml.text(&child)?.trim().to_owned()).filter(|e| !e.is_empty())
                }
                _ => self.xml.skip(&child)?,
            }
        }
        Ok(())
    }
}

impl<R: BufRead> Iterator for DisqusReader<R> {
    type Item = Result<Item, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut done = self.done;
        let item = super::xml::yielded(&mut done, || self.next_item());
        self.done = done;
        item
    }
}

impl<R: BufRead> DisqusReader<R> {
    fn next_item(&mut self) -> Result<Option<Item>, ReadError> {
        if !self.started {
            self.started = true;
            if self.xml.root("disqus", "not a Disqus export")?.empty {
                return Ok(None);
            }
        }
        while let Some(child) = self.xml.child()? {
            match child.local_name().as_ref() {
                b"thread" if !child.empty => return self.thread(&child).map(|t| Some(Item::Thread(t))),
                b"post" if !child.empty => return self.post(&child).map(|p| Some(Item::Post(p))),
                _ => self.xml.skip(&child)?,
            }
        }
        Ok(None)
    }
}

/// The `dsq:id` attribute (whatever the prefix is bound to), if present and not empty.
fn dsq_id(start: &BytesStart<'_>) -> Option<String> {
    xml::attribute(start, b"id")
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
        let e = read("<disqus>\n<thread dsq:id=\"1\"><link>x</link></thread>\n").unwrap_err();
        assert!(e.message.contains("ends inside"), "a file cut between items: {e}");
        let e = read("<disqus><post><message>x &nosuch; y</message></post></disqus>").unwrap_err();
        assert!(e.message.contains("bad entity"), "{e}");
    }
}
