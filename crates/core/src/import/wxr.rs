//! A WordPress export (WXR 1.0 to 1.2: `<rss>` with `wp:` elements), read as a stream like
//! a Disqus export: authors, then each article followed by its comments one by one, so a
//! site with years of posts and comments costs the memory of one of them.
//!
//! Names are matched as WordPress writes them (`wp:post_id`, `content:encoded`), through the
//! prefixes `<rss>` binds: whatever prefix it binds to `http://wordpress.org/export/1.x/` reads
//! as `wp:`, and likewise for `content:`, `excerpt:` and `dc:` (the literal prefixes when
//! unbound). An `<rss>` binding no `wordpress.org/export` namespace is not an export.

use std::io::BufRead;

use chrono::{DateTime, NaiveDateTime, Utc};

use super::xml::{self, Child, XmlStream};
use super::{ReadError, autop, html};

const NOT_WXR: &str = "not a WordPress export (WXR)";

/// A WordPress user who wrote articles; articles name them by login.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Author {
    pub login: String,
    pub email: Option<String>,
    pub display_name: String,
    pub quirks: Vec<Quirk>,
}

/// A post, page or other content item, as WordPress kept it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// `wp:post_id`, which its comments carry.
    pub source_id: String,
    pub title: String,
    /// `wp:post_name`, percent-decoded; WordPress leaves it empty until a draft is published.
    pub slug: Option<String>,
    pub link: String,
    pub author_login: String,
    pub published_at: Option<DateTime<Utc>>,
    pub status: ArticleState,
    pub kind: PostKind,
    /// Category and tag names, first spelling kept, in file order.
    pub tags: Vec<String>,
    /// WordPress's "autop" HTML; see [`article_markdown`].
    pub body_html: String,
    pub excerpt_html: String,
    pub quirks: Vec<Quirk>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArticleState {
    Publish,
    Draft,
    Future,
    Private,
    Pending,
    Trash,
    /// `inherit` (attachments, revisions), `auto-draft`, or a plugin's own.
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostKind {
    Post,
    Page,
    /// Attachments, revisions, menu items, custom post types.
    Other(String),
}

/// A comment, pingback or trackback on an article. The commenter's IP address is left
/// behind: we do not keep readers' addresses, imported or not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Comment {
    /// `wp:comment_id`; none in some exports.
    pub source_id: Option<String>,
    /// The `wp:post_id` of the article it was left on.
    pub article_source_id: String,
    pub parent_source_id: Option<String>,
    pub author_name: String,
    pub author_email: Option<String>,
    pub author_url: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    /// WordPress's comment text: HTML-ish, blank lines between paragraphs; see
    /// [`comment_markdown`].
    pub body_html: String,
    pub state: CommentState,
    pub kind: CommentKind,
    pub quirks: Vec<Quirk>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CommentState {
    Approved,
    #[default]
    Pending,
    Spam,
    Trash,
    /// `post-trashed` (its article was trashed), or a value WordPress does not write.
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CommentKind {
    #[default]
    Comment,
    Pingback,
    Trackback,
    Other(String),
}

/// Something in an item that a real export gets wrong, tolerated and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quirk {
    NoId,
    NoTitle,
    NoSlug,
    NoLogin,
    NoDisplayName,
    NoAuthorName,
    /// A comment in an item without `wp:post_id`: nothing to attach it to.
    NoArticle,
    UnknownStatus,
    DateFromPubDate,
    DateFromLocalTime,
    BadDate,
}

impl Quirk {
    pub fn describe(self) -> &'static str {
        match self {
            Quirk::NoId => "no id",
            Quirk::NoTitle => "no title",
            Quirk::NoSlug => "no slug",
            Quirk::NoLogin => "an author without a login",
            Quirk::NoDisplayName => "an author without a display name (their name or login used)",
            Quirk::NoAuthorName => "no author name",
            Quirk::NoArticle => "a comment on an article without an id",
            Quirk::UnknownStatus => "a status WordPress does not write",
            Quirk::DateFromPubDate => "no GMT date (the RSS date used)",
            Quirk::DateFromLocalTime => "no GMT date (the site's local time read as UTC)",
            Quirk::BadDate => "a date that is not a date",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Author(Author),
    Article(Article),
    Comment(Comment),
}

/// An article's body as Markdown for [`crate::markdown::render_article`]: WordPress's
/// paragraphs made explicit and everything kept as HTML, which CommonMark passes through
/// and the article sanitizer then makes safe. Gutenberg's block comments are dropped.
pub fn article_markdown(body_html: &str) -> String {
    autop::autop(body_html)
}

/// A comment's text as comment Markdown: WordPress's blank-line paragraphs and single-line
/// breaks made explicit, then read like any imported comment HTML.
pub fn comment_markdown(body_html: &str) -> String {
    html::to_markdown(&autop::autop(body_html))
}

/// The items of an export, in file order: authors first as WordPress writes them, each
/// article before its comments.
pub struct WxrReader<R: BufRead> {
    xml: XmlStream<R>,
    prefixes: Prefixes,
    at: Level,
    version: Option<String>,
    /// The `wp:post_id` of the item being read, for its comments.
    item_id: String,
    /// The article being read, until it is yielded: at its first comment, or at its end.
    article: Option<Fields>,
    /// A comment read to find that the article was complete; yielded right after it.
    pending: Option<Comment>,
    done: bool,
}

/// Where in the document the reader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Outside,
    Rss,
    Channel,
    Item,
    /// Past `</rss>`.
    End,
}

impl<R: BufRead> WxrReader<R> {
    pub fn new(input: R) -> Self {
        WxrReader {
            xml: XmlStream::new(input),
            prefixes: Prefixes::default(),
            at: Level::Outside,
            version: None,
            item_id: String::new(),
            article: None,
            pending: None,
            done: false,
        }
    }

    /// `wp:wxr_version`, once read (it comes before any item).
    pub fn wxr_version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    fn next_item(&mut self) -> Result<Option<Item>, ReadError> {
        if let Some(comment) = self.pending.take() {
            return Ok(Some(Item::Comment(comment)));
        }
        loop {
            // Each step reads one element or end tag, and may find an item in it.
            let found = match self.at {
                Level::Outside => self.open_rss()?,
                Level::Rss => self.in_rss()?,
                Level::Channel => self.in_channel()?,
                Level::Item => self.in_item()?,
                Level::End => return Ok(None),
            };
            if found.is_some() {
                return Ok(found);
            }
        }
    }

    fn open_rss(&mut self) -> Result<Option<Item>, ReadError> {
        let rss = self.xml.root("rss", NOT_WXR)?;
        self.prefixes = Prefixes::bound_on(&rss);
        if rss.empty {
            return Err(self.no_version());
        }
        if !self.prefixes.has_wp() {
            return Err(self.xml.error(format!(
                "{NOT_WXR}: <rss> binds no WordPress namespace (http://wordpress.org/export/1.x/)"
            )));
        }
        self.at = Level::Rss;
        Ok(None)
    }

    fn in_rss(&mut self) -> Result<Option<Item>, ReadError> {
        match self.xml.child()? {
            Some(child) if child.local_name().as_ref() == b"channel" && !child.empty => {
                self.at = Level::Channel;
                Ok(None)
            }
            Some(child) => self.xml.skip(&child).map(|()| None),
            None if self.version.is_none() => Err(self.no_version()),
            None => {
                self.at = Level::End;
                Ok(None)
            }
        }
    }

    fn in_channel(&mut self) -> Result<Option<Item>, ReadError> {
        let Some(child) = self.xml.child()? else {
            self.at = Level::Rss;
            return Ok(None);
        };
        let name = self.prefixes.canonical(&child);
        if matches!(name.as_str(), "wp:author" | "item") && self.version.is_none() {
            return Err(self.no_version());
        }
        match name.as_str() {
            "wp:wxr_version" => {
                self.version = Some(self.xml.text(&child)?.trim().to_owned()).filter(|v| !v.is_empty())
            }
            "wp:author" if !child.empty => return self.author().map(|a| Some(Item::Author(a))),
            "item" if !child.empty => {
                self.at = Level::Item;
                self.item_id.clear();
                self.article = Some(Fields::default());
            }
            _ => self.xml.skip(&child)?,
        }
        Ok(None)
    }

    fn no_version(&self) -> ReadError {
        self.xml.error(format!("{NOT_WXR}: no <wp:wxr_version> before the first item"))
    }

    fn author(&mut self) -> Result<Author, ReadError> {
        let (mut author, mut first, mut last) = (Author::default(), String::new(), String::new());
        while let Some(child) = self.xml.child()? {
            let text = self.xml.text(&child)?.trim().to_owned();
            match self.prefixes.canonical(&child).as_str() {
                "wp:author_login" => author.login = text,
                "wp:author_email" => author.email = Some(text).filter(|e| !e.is_empty()),
                "wp:author_display_name" => author.display_name = text,
                "wp:author_first_name" => first = text,
                "wp:author_last_name" => last = text,
                _ => {}
            }
        }
        if author.login.is_empty() {
            author.quirks.push(Quirk::NoLogin);
        }
        if author.display_name.is_empty() {
            author.quirks.push(Quirk::NoDisplayName);
            let full = format!("{first} {last}").trim().to_owned();
            author.display_name = if full.is_empty() { author.login.clone() } else { full };
        }
        Ok(author)
    }

    /// The item's next field or comment; the article is yielded before its first comment.
    /// WordPress writes comments last: a field after them is not read.
    fn in_item(&mut self) -> Result<Option<Item>, ReadError> {
        let Some(child) = self.xml.child()? else {
            self.at = Level::Channel;
            return Ok(self.article.take().map(|a| Item::Article(a.finish())));
        };
        let name = self.prefixes.canonical(&child);
        if name == "wp:comment" && !child.empty {
            if let Some(article) = &self.article {
                self.item_id = article.article.source_id.clone();
            }
            let comment = self.comment()?;
            return Ok(Some(match self.article.take() {
                Some(article) => {
                    self.pending = Some(comment);
                    Item::Article(article.finish())
                }
                None => Item::Comment(comment),
            }));
        }
        match self.article.as_mut() {
            Some(article) => article.read(&mut self.xml, &name, &child)?,
            None => self.xml.skip(&child)?,
        }
        Ok(None)
    }

    fn comment(&mut self) -> Result<Comment, ReadError> {
        let mut comment = Comment { article_source_id: self.item_id.clone(), ..Comment::default() };
        let (mut date_gmt, mut date_local, mut state) = (String::new(), String::new(), String::from("0"));
        while let Some(child) = self.xml.child()? {
            let name = self.prefixes.canonical(&child);
            let text = self.xml.text(&child)?;
            let trimmed = || Some(text.trim().to_owned()).filter(|t| !t.is_empty());
            match name.as_str() {
                "wp:comment_id" => comment.source_id = trimmed(),
                "wp:comment_parent" => comment.parent_source_id = trimmed().filter(|p| p != "0"),
                "wp:comment_author" => comment.author_name = text.trim().to_owned(),
                "wp:comment_author_email" => comment.author_email = trimmed(),
                "wp:comment_author_url" => comment.author_url = trimmed(),
                "wp:comment_date_gmt" => date_gmt = text,
                "wp:comment_date" => date_local = text,
                "wp:comment_content" => comment.body_html = text,
                "wp:comment_approved" => state = text.trim().to_owned(),
                "wp:comment_type" => comment.kind = comment_kind(text.trim()),
                _ => {}
            }
        }
        comment.state = comment_state(&state, &mut comment.quirks);
        comment.created_at = wp_date(&date_gmt).or_else(|| local_date(&date_local, &mut comment.quirks));
        if comment.source_id.is_none() {
            comment.quirks.push(Quirk::NoId);
        }
        if comment.article_source_id.is_empty() {
            comment.quirks.push(Quirk::NoArticle);
        }
        if comment.author_name.is_empty() {
            comment.quirks.push(Quirk::NoAuthorName);
        }
        Ok(comment)
    }
}

impl<R: BufRead> Iterator for WxrReader<R> {
    type Item = Result<Item, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut done = self.done;
        let item = super::xml::yielded(&mut done, || self.next_item());
        self.done = done;
        item
    }
}

/// An article as its fields come; dates and status are settled at its end, since whether
/// a missing date matters depends on the status, which comes later.
#[derive(Default)]
struct Fields {
    article: Article,
    date_gmt: String,
    date_local: String,
    pub_date: String,
    status: String,
    kind: String,
}

impl Default for Article {
    fn default() -> Self {
        Article {
            source_id: String::new(),
            title: String::new(),
            slug: None,
            link: String::new(),
            author_login: String::new(),
            published_at: None,
            status: ArticleState::Draft,
            kind: PostKind::Post,
            tags: Vec::new(),
            body_html: String::new(),
            excerpt_html: String::new(),
            quirks: Vec::new(),
        }
    }
}

impl Fields {
    fn read<R: BufRead>(
        &mut self,
        xml: &mut XmlStream<R>,
        name: &str,
        child: &Child,
    ) -> Result<(), ReadError> {
        if name == "category" {
            let domain = xml::attribute(child, b"domain");
            let text = xml.text(child)?;
            if matches!(domain.as_deref(), None | Some("category" | "post_tag" | "tag")) {
                self.tag(text.trim());
            }
            return Ok(());
        }
        let a = &mut self.article;
        let field = match name {
            "title" => &mut a.title,
            "link" => &mut a.link,
            "pubDate" => &mut self.pub_date,
            "dc:creator" => &mut a.author_login,
            "content:encoded" => &mut a.body_html,
            "excerpt:encoded" => &mut a.excerpt_html,
            "wp:post_id" => &mut a.source_id,
            "wp:post_date" => &mut self.date_local,
            "wp:post_date_gmt" => &mut self.date_gmt,
            "wp:status" => &mut self.status,
            "wp:post_type" => &mut self.kind,
            "wp:post_name" => {
                a.slug = Some(percent_decoded(xml.text(child)?.trim())).filter(|s| !s.is_empty());
                return Ok(());
            }
            _ => return xml.skip(child),
        };
        let text = xml.text(child)?;
        // HTML keeps its whitespace; an id or a date is compared, so it loses it here.
        *field = if name.ends_with(":encoded") { text } else { text.trim().to_owned() };
        Ok(())
    }

    fn tag(&mut self, name: &str) {
        let tags = &mut self.article.tags;
        if !name.is_empty() && !tags.iter().any(|t| t.to_lowercase() == name.to_lowercase()) {
            tags.push(name.to_owned());
        }
    }

    fn finish(self) -> Article {
        let Fields { mut article, date_gmt, date_local, pub_date, status, kind } = self;
        let quirks = &mut article.quirks;
        article.status = article_state(status.trim(), quirks);
        article.kind = match kind.trim() {
            "post" | "" => PostKind::Post,
            "page" => PostKind::Page,
            other => PostKind::Other(other.to_owned()),
        };
        let never_published =
            !matches!(article.status, ArticleState::Publish | ArticleState::Future | ArticleState::Private);
        article.published_at = match wp_date(&date_gmt) {
            Some(date) => Some(date),
            None if never_published && is_blank_date(&date_gmt) => None,
            None => rss_date(&pub_date, quirks).or_else(|| local_date(&date_local, quirks)),
        };
        let missing = [
            (article.source_id.is_empty(), Quirk::NoId),
            (article.title.is_empty(), Quirk::NoTitle),
            (article.slug.is_none(), Quirk::NoSlug),
            (article.author_login.is_empty(), Quirk::NoAuthorName),
        ];
        quirks.extend(missing.into_iter().filter(|(missing, _)| *missing).map(|(_, quirk)| quirk));
        article
    }
}

fn article_state(status: &str, quirks: &mut Vec<Quirk>) -> ArticleState {
    match status {
        "publish" => ArticleState::Publish,
        "draft" => ArticleState::Draft,
        "future" => ArticleState::Future,
        "private" => ArticleState::Private,
        "pending" => ArticleState::Pending,
        "trash" => ArticleState::Trash,
        "inherit" | "auto-draft" => ArticleState::Other(status.to_owned()),
        other => {
            quirks.push(Quirk::UnknownStatus);
            ArticleState::Other(other.to_owned())
        }
    }
}

fn comment_state(approved: &str, quirks: &mut Vec<Quirk>) -> CommentState {
    match approved {
        "1" => CommentState::Approved,
        "0" => CommentState::Pending,
        "spam" => CommentState::Spam,
        "trash" => CommentState::Trash,
        "post-trashed" => CommentState::Other(approved.to_owned()),
        other => {
            quirks.push(Quirk::UnknownStatus);
            CommentState::Other(other.to_owned())
        }
    }
}

fn comment_kind(kind: &str) -> CommentKind {
    match kind {
        "" | "comment" => CommentKind::Comment,
        "pingback" => CommentKind::Pingback,
        "trackback" => CommentKind::Trackback,
        other => CommentKind::Other(other.to_owned()),
    }
}

/// WordPress's `2017-11-20 10:00:00`, in UTC when read from a `_gmt` field. Its
/// `0000-00-00 00:00:00` means "never", and parses as nothing.
fn wp_date(text: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S").ok().map(|d| d.and_utc())
}

fn is_blank_date(text: &str) -> bool {
    matches!(text.trim(), "" | "0000-00-00 00:00:00")
}

/// The RSS `pubDate` (RFC 2822), in place of a missing GMT date.
fn rss_date(text: &str, quirks: &mut Vec<Quirk>) -> Option<DateTime<Utc>> {
    let date = DateTime::parse_from_rfc2822(text.trim()).ok()?.with_timezone(&Utc);
    quirks.push(Quirk::DateFromPubDate);
    Some(date)
}

/// The site's local time, in place of a missing GMT date: the export does not say the
/// site's time zone, so it is read as UTC, hours off at worst.
fn local_date(text: &str, quirks: &mut Vec<Quirk>) -> Option<DateTime<Utc>> {
    let date = wp_date(text);
    quirks.push(if date.is_some() { Quirk::DateFromLocalTime } else { Quirk::BadDate });
    date
}

/// `%d8%b3%d9%84` as the letters it encodes, as WordPress stores non-Latin slugs; the text
/// as it was when it does not decode to UTF-8.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(byte) if bytes[i] == b'%' => {
                out.push(byte);
                i += 3;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

/// The prefixes `<rss>` binds to the namespaces WordPress uses, each read as WordPress
/// spells it.
#[derive(Default)]
struct Prefixes {
    bound: Vec<(Vec<u8>, &'static str)>,
}

impl Prefixes {
    fn bound_on(rss: &Child) -> Self {
        let bound = rss
            .attributes()
            .flatten()
            .filter_map(|a| {
                let prefix = a.key.as_ref().strip_prefix(b"xmlns:")?.to_vec();
                let uri = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok()?;
                Some((prefix, namespace(uri.trim())?))
            })
            .collect();
        Prefixes { bound }
    }

    fn has_wp(&self) -> bool {
        self.bound.iter().any(|(_, canonical)| *canonical == "wp")
    }

    /// The element's name as WordPress writes it: `wp:post_id` whatever its prefix.
    fn canonical(&self, element: &Child) -> String {
        let name = element.name();
        let local = String::from_utf8_lossy(name.local_name().as_ref()).into_owned();
        let Some(prefix) = name.prefix() else { return local };
        match self.bound.iter().find(|(p, _)| p.as_slice() == prefix.as_ref()) {
            Some((_, canonical)) => format!("{canonical}:{local}"),
            None => String::from_utf8_lossy(name.as_ref()).into_owned(),
        }
    }
}

/// The prefix WordPress gives a namespace it uses.
fn namespace(uri: &str) -> Option<&'static str> {
    let uri = uri.strip_prefix("http://").or_else(|| uri.strip_prefix("https://"))?;
    match uri {
        "purl.org/rss/1.0/modules/content/" => Some("content"),
        "purl.org/dc/elements/1.1/" => Some("dc"),
        _ if uri.starts_with("wordpress.org/export/") && uri.ends_with("/excerpt/") => Some("excerpt"),
        _ if uri.starts_with("wordpress.org/export/") => Some("wp"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comment::render_comment;
    use crate::markdown::render_article;

    const EXPORT: &str = include_str!("../../tests/fixtures/wxr_quirks.xml");
    const RSS: &str = r#"<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel>"#;

    fn read(xml: &[u8]) -> Result<Vec<Item>, ReadError> {
        WxrReader::new(xml).collect()
    }

    fn export() -> Vec<Item> {
        read(EXPORT.as_bytes()).unwrap()
    }

    fn articles(items: &[Item]) -> Vec<&Article> {
        items.iter().filter_map(|i| if let Item::Article(a) = i { Some(a) } else { None }).collect()
    }

    fn comments(items: &[Item]) -> Vec<&Comment> {
        items.iter().filter_map(|i| if let Item::Comment(c) = i { Some(c) } else { None }).collect()
    }

    fn comment<'a>(items: &'a [Item], id: &str) -> &'a Comment {
        comments(items).into_iter().find(|c| c.source_id.as_deref() == Some(id)).unwrap()
    }

    /// An export of one item's inside, for what the fixture cannot show.
    fn item(inside: &str) -> Vec<Item> {
        let xml = format!("{RSS}<wp:wxr_version>1.2</wp:wxr_version><item>{inside}</item></channel></rss>");
        read(xml.as_bytes()).unwrap()
    }

    #[test]
    fn items_come_in_file_order_with_their_fields() {
        let items = export();
        let order: String = items
            .iter()
            .map(|i| match i {
                Item::Author(_) => 'u',
                Item::Article(_) => 'a',
                Item::Comment(_) => 'c',
            })
            .collect();
        assert_eq!(order, "uuacccccccaaaaa");
        let Item::Author(editor) = &items[0] else { panic!() };
        assert_eq!(
            (editor.login.as_str(), editor.email.as_deref(), editor.display_name.as_str()),
            ("editor", Some("editor@example.org"), "Ed Itor")
        );
        let Item::Article(post) = &items[2] else { panic!() };
        assert_eq!(post.source_id, "101");
        assert_eq!(post.title, "Did the US allow ISIS to escape?");
        assert_eq!(post.slug.as_deref(), Some("isis-escape"));
        assert_eq!(post.link, "https://www.example.org/2017/11/isis-escape/");
        assert_eq!(post.author_login, "editor");
        assert_eq!(post.published_at.map(|d| d.to_rfc3339()), Some("2017-11-20T09:00:00+00:00".into()));
        assert_eq!((&post.status, &post.kind), (&ArticleState::Publish, &PostKind::Post));
        assert_eq!(post.tags, ["World", "Syria"], "deduplicated; a post format is no tag");
        assert!(post.body_html.starts_with("<!-- wp:paragraph -->\n<p>Raqqa"), "{}", post.body_html);
        assert_eq!(post.excerpt_html, "A convoy, at night.");
        assert!(post.quirks.is_empty(), "{:?}", post.quirks);

        let reply = comment(&items, "502");
        assert_eq!(reply.article_source_id, "101");
        assert_eq!(reply.parent_source_id.as_deref(), Some("501"), "a reply before its parent, as found");
        assert_eq!(reply.author_name, "Daniel Castro");
        assert_eq!(reply.author_email.as_deref(), Some("daniel@example.com"));
        assert_eq!(reply.author_url.as_deref(), Some("https://daniel.example.com/"));
        assert_eq!(reply.created_at.map(|d| d.to_rfc3339()), Some("2017-11-20T11:00:00+00:00".into()));
        assert_eq!(reply.body_html, "I disagree.\n\nThey retreated.\nThat is all.");
        assert_eq!((&reply.state, &reply.kind), (&CommentState::Approved, &CommentKind::Comment));
        let parent = comment(&items, "501");
        assert_eq!((parent.parent_source_id.as_ref(), parent.author_email.as_ref()), (None, None));
        assert_eq!(parent.author_name, "أمل");
        assert_eq!(parent.body_html, "مرحبا — «Grüße» from Zürich");
        assert_eq!(comment(&items, "503").state, CommentState::Pending);
        assert_eq!(comment(&items, "504").state, CommentState::Spam);
        assert_eq!(comment(&items, "505").state, CommentState::Trash);
        assert_eq!(comment(&items, "506").kind, CommentKind::Pingback);
        assert_eq!(comment(&items, "507").kind, CommentKind::Trackback);

        let kinds: Vec<(&ArticleState, &PostKind)> =
            articles(&items).iter().map(|a| (&a.status, &a.kind)).collect();
        let inherit = ArticleState::Other("inherit".into());
        let attachment = PostKind::Other("attachment".into());
        assert_eq!(
            kinds,
            [
                (&ArticleState::Publish, &PostKind::Post),
                (&ArticleState::Draft, &PostKind::Post),
                (&ArticleState::Future, &PostKind::Post),
                (&ArticleState::Private, &PostKind::Post),
                (&ArticleState::Publish, &PostKind::Page),
                (&inherit, &attachment),
            ]
        );
    }

    #[test]
    fn quirks_are_kept_on_the_item_not_fatal() {
        let items = export();
        let Item::Author(amal) = &items[1] else { panic!() };
        assert_eq!((amal.display_name.as_str(), amal.email.as_ref()), ("Amal Haddad", None));
        assert_eq!(amal.quirks, [Quirk::NoDisplayName]);
        let articles = articles(&items);
        let draft = articles[1];
        assert_eq!((draft.slug.as_ref(), draft.published_at), (None, None), "0000-00-00: never published");
        assert_eq!(draft.quirks, [Quirk::NoSlug]);
        let future = articles[2];
        assert_eq!(future.slug.as_deref(), Some("غدا-tomorrow"), "WordPress percent-encodes such slugs");
        assert_eq!(future.published_at.map(|d| d.to_rfc3339()), Some("2017-12-01T07:00:00+00:00".into()));
        let private = articles[3];
        assert_eq!(private.published_at.map(|d| d.to_rfc3339()), Some("2017-11-25T09:00:00+00:00".into()));
        assert_eq!(private.quirks, [Quirk::DateFromPubDate], "published, yet a 0000 GMT date");
        let pending = comment(&items, "503");
        assert_eq!(pending.created_at.map(|d| d.to_rfc3339()), Some("2017-11-20T13:00:00+00:00".into()));
        assert_eq!(pending.quirks, [Quirk::DateFromLocalTime]);
        let trashed = comment(&items, "505");
        assert_eq!((trashed.created_at, trashed.author_name.as_str()), (None, ""));
        assert_eq!(trashed.quirks, [Quirk::BadDate, Quirk::NoAuthorName]);
        let odd = comment(&items, "507");
        assert_eq!(odd.state, CommentState::Other("approved-ish".into()));
        assert_eq!(odd.quirks, [Quirk::UnknownStatus]);
        assert!(Quirk::DateFromLocalTime.describe().contains("local time"));
    }

    #[test]
    fn comments_follow_their_article_one_by_one() {
        let items = item(
            "<title>No id</title><wp:comment><wp:comment_content>Hi</wp:comment_content>\
             <wp:comment_approved>post-trashed</wp:comment_approved></wp:comment>\
             <wp:comment><wp:comment_id>2</wp:comment_id><wp:comment_author>B</wp:comment_author>\
             <wp:comment_type>webmention</wp:comment_type></wp:comment>",
        );
        let [Item::Article(a), Item::Comment(first), Item::Comment(second)] = items.as_slice() else {
            panic!("{items:?}")
        };
        assert_eq!(a.title, "No id");
        assert_eq!(a.quirks, [Quirk::UnknownStatus, Quirk::NoId, Quirk::NoSlug, Quirk::NoAuthorName]);
        assert_eq!(first.state, CommentState::Other("post-trashed".into()));
        assert_eq!(first.quirks, [Quirk::BadDate, Quirk::NoId, Quirk::NoArticle, Quirk::NoAuthorName]);
        assert_eq!(second.kind, CommentKind::Other("webmention".into()));
        assert_eq!(second.state, CommentState::Pending, "no wp:comment_approved");
    }

    #[test]
    fn an_export_is_read_as_it_comes_not_whole() {
        struct Counted<'a>(&'a [u8], std::rc::Rc<std::cell::Cell<usize>>);
        impl std::io::Read for Counted<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.read(buf)?;
                self.1.set(self.1.get() + n);
                Ok(n)
            }
        }
        let comment = "<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_content>Hi</wp:comment_content></wp:comment>";
        let xml = format!(
            "{RSS}<wp:wxr_version>1.2</wp:wxr_version><item><wp:post_id>1</wp:post_id>{}</item></channel></rss>",
            comment.repeat(20_000)
        );
        let read = std::rc::Rc::new(std::cell::Cell::new(0));
        let input = std::io::BufReader::with_capacity(4096, Counted(xml.as_bytes(), read.clone()));
        let mut reader = WxrReader::new(input);
        assert!(matches!(reader.next(), Some(Ok(Item::Article(_)))));
        assert!(matches!(reader.next(), Some(Ok(Item::Comment(_)))));
        assert!(read.get() <= 8192, "{} of {} bytes read for two items", read.get(), xml.len());
        assert_eq!(reader.count(), 19_999);
    }

    #[test]
    fn any_prefix_bound_to_the_wordpress_namespace_reads_as_wp() {
        let xml = r#"<rss xmlns:wordpress="https://wordpress.org/export/1.0/" xmlns:c="http://purl.org/rss/1.0/modules/content/"><channel>
            <wordpress:wxr_version>1.0</wordpress:wxr_version>
            <item><wordpress:post_id> 7 </wordpress:post_id><c:encoded>Body</c:encoded>
            <wordpress:comment><wordpress:comment_id>8</wordpress:comment_id></wordpress:comment></item>
            </channel></rss>"#;
        let mut reader = WxrReader::new(xml.as_bytes());
        let Some(Ok(Item::Article(a))) = reader.next() else { panic!() };
        assert_eq!(reader.wxr_version(), Some("1.0"));
        assert_eq!((a.source_id.as_str(), a.body_html.as_str()), ("7", "Body"));
        let Some(Ok(Item::Comment(c))) = reader.next() else { panic!() };
        assert_eq!((c.source_id.as_deref(), c.article_source_id.as_str()), (Some("8"), "7"));
        assert!(reader.next().is_none());
        let with_bom = format!("\u{feff}{RSS}<wp:wxr_version>1.2</wp:wxr_version></channel></rss>");
        assert_eq!(read(with_bom.as_bytes()), Ok(vec![]), "a byte order mark, as Windows editors add");
    }

    #[test]
    fn bad_files_are_refused_with_their_position() {
        let e = read(&EXPORT.as_bytes()[..EXPORT.len() / 2]).unwrap_err();
        assert!(e.line > 20, "{e}");
        let cut = EXPORT.find("\t<item>\n\t\t<title><![CDATA[Half").unwrap();
        let e = read(&EXPORT.as_bytes()[..cut]).unwrap_err();
        assert!(e.message.contains("ends inside"), "a file cut between items: {e}");
        let disqus = include_str!("../../tests/fixtures/disqus_quirks.xml");
        let e = read(disqus.as_bytes()).unwrap_err();
        assert_eq!(e.message, "not a WordPress export (WXR): the document is <disqus>, not <rss>");
        assert_eq!(e.line, 2);
        let feed = "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><item/></channel></rss>";
        assert!(read(feed.as_bytes()).unwrap_err().message.contains("binds no WordPress namespace"));
        let unversioned = format!("{RSS}\n<item><title>x</title></item></channel></rss>");
        let e = read(unversioned.as_bytes()).unwrap_err();
        assert!(e.message.contains("not a WordPress export (WXR): no <wp:wxr_version>"), "{e}");
        assert_eq!(e.line, 2);
        let bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]>\n<rss>&b;</rss>";
        assert!(read(bomb.as_bytes()).unwrap_err().message.contains("DTD"));
        let external =
            "<!DOCTYPE rss [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><rss><channel>&x;</channel></rss>";
        assert!(read(external.as_bytes()).unwrap_err().message.contains("DTD"));
        assert!(read(b"").unwrap_err().message.contains("not a WordPress export (WXR): no <rss>"));
        assert!(read(b"\x00\x01\xff\xfebinary").is_err());
        let entity = format!("{RSS}<wp:wxr_version>1.2</wp:wxr_version><item><title>a&nbsp;b</title></item>");
        assert!(read(entity.as_bytes()).unwrap_err().message.contains("bad entity: &nbsp;"));
        for latin1 in [b"<title>caf\xe9</title>".as_slice(), b"<title><![CDATA[caf\xe9]]></title>"] {
            let mut xml = format!("{RSS}<wp:wxr_version>1.2</wp:wxr_version>\n<item>").into_bytes();
            xml.extend_from_slice(latin1);
            xml.extend_from_slice(b"</item></channel></rss>");
            let e = read(&xml).unwrap_err();
            assert!(e.message.contains("not UTF-8") && e.line == 2, "{e}");
        }
    }

    #[test]
    fn article_paragraphs_stay_paragraphs() {
        let md =
            article_markdown("First line\nsecond line\n\nNext <em>paragraph</em>.\r\n\r\n\r\nLast *one*");
        assert_eq!(
            md,
            "<p>First line<br>\nsecond line</p>\n\n<p>Next <em>paragraph</em>.</p>\n\n<p>Last *one*</p>"
        );
        assert_eq!(
            render_article(&md, "t"),
            "<p>First line<br>\nsecond line</p>\n<p>Next <em>paragraph</em>.</p>\n<p>Last *one*</p>",
            "Markdown syntax in WordPress text stays text"
        );
        let quoted = article_markdown("<blockquote>One\n\nTwo</blockquote><div>Three</div>");
        assert_eq!(quoted, "<blockquote>\n<p>One</p>\n<p>Two</p></blockquote>\n\n<div>\n<p>Three</p></div>");
        assert_eq!(article_markdown("a line<br />\nanother"), "<p>a line<br />\nanother</p>");
    }

    #[test]
    fn article_headings_lists_images_and_code_survive() {
        let body = "<h2>What we know</h2>\n<ul>\n\t<li>one</li>\n\n\t<li>two\nlines</li>\n</ul>\n\
            <figure class=\"wp-block-image\"><img src=\"https://example.org/a.jpg\" alt=\"A\"/>\
            <figcaption>Caption</figcaption></figure>\n\n<pre>fn main() {\n\n    *x* = 1;\n}</pre>\nAfter.";
        let shown = render_article(&article_markdown(body), "t");
        for part in [
            "<h2>What we know</h2>",
            "<li>one</li>",
            "<li>two<br>\nlines</li>",
            "<img src=\"https://example.org/a.jpg\" alt=\"A\">",
            "<figcaption>Caption</figcaption>",
            "<pre>fn main() {\n\n    *x* = 1;\n}</pre>",
            "<p>After.</p>",
        ] {
            assert!(shown.contains(part), "{part} in {shown}");
        }
    }

    #[test]
    fn caption_shortcodes_become_figures() {
        let body = "Before\n\n[caption id=\"attachment_7\" align=\"aligncenter\" width=\"300\"]\
            <a href=\"https://example.org/big.jpg\"><img src=\"https://example.org/a.jpg\" alt=\"A\" /></a> \
            The <em>convoy</em>[/caption]\n\n[caption id=\"\" caption=\"Old style\"]<img src=\"b.jpg\">[/caption]";
        let md = article_markdown(body);
        assert_eq!(
            md,
            "<p>Before</p>\n\n<figure><a href=\"https://example.org/big.jpg\"><img src=\"https://example.org/a.jpg\" alt=\"A\" /></a>\n\
             <figcaption>The <em>convoy</em></figcaption></figure>\n\n<figure><img src=\"b.jpg\">\n\
             <figcaption>Old style</figcaption></figure>"
        );
        assert!(render_article(&md, "t").contains("<figcaption>The <em>convoy</em></figcaption>"));
        assert_eq!(article_markdown("[caption]unclosed"), "<p>[caption]unclosed</p>");
    }

    #[test]
    fn odd_markup_is_passed_on_not_panicked_on() {
        for odd in [
            "<",
            "<a",
            "</",
            "<é>",
            "<p\u{e9}>x",
            "<img",
            "<pre",
            "<pre>x\n\ny",
            "<!--",
            "<!-- x",
            "[caption",
            "[caption]]",
            "[caption <img[/caption]",
            "[caption caption=\"x]<img src=a>[/caption]",
            "<div a='>'>é\n\nà</div>",
            "</div></div>x",
            "<hr>\n\n<hr/>",
            "« <b>é</b> »\r\n\r\n—",
        ] {
            let md = article_markdown(odd);
            render_article(&md, "t");
            comment_markdown(odd);
            assert!(!md.contains("\n\n\n"), "{odd:?} -> {md:?}");
        }
    }

    #[test]
    fn gutenberg_comments_vanish() {
        let body = "<!-- wp:heading -->\n<h2>Title</h2>\n<!-- /wp:heading -->\n\n<!-- wp:paragraph -->\n\
            <p>Text</p>\n<!-- /wp:paragraph -->\n\nTeaser<!--more-->Rest";
        let md = article_markdown(body);
        assert_eq!(md, "<h2>Title</h2>\n\n<p>Text</p>\n\n<p>TeaserRest</p>");
        assert_eq!(render_article(&md, "t"), "<h2>Title</h2>\n<p>Text</p>\n<p>TeaserRest</p>");
    }

    #[test]
    fn script_and_handlers_in_articles_come_out_inert() {
        let items = export();
        let articles = articles(&items);
        for body in [
            articles[0].body_html.as_str(),
            articles[3].body_html.as_str(),
            articles[4].body_html.as_str(),
            "<div><script>\nalert(1)\n\n</script>Hi</div>",
            "<p onclick=\"alert(1)\">Hi <a href=\"javascript:alert(1)\">x</a></p>",
            "<pre><script>alert(1)</script></pre>",
            "<style>\n\nbody{display:none}</style>\n\n<svg><script>alert(1)</script></svg>Hi",
            "<iframe src=\"https://evil.example/\"></iframe>",
        ] {
            let shown = render_article(&article_markdown(body), "t");
            for bad in ["<script", "onerror", "onclick", "javascript:", "<style", "<svg", "<iframe", "alert"]
            {
                assert!(!shown.contains(bad), "{body} -> {shown}");
            }
        }
        assert_eq!(
            articles[4].body_html,
            "We are <b>small</b>.\n<script>alert(\"page\")</script><img src=x onerror='alert(2)'>",
            "entities decoded: the page holds the markup they spelled"
        );
        let shown = render_article(&article_markdown(&articles[3].body_html), "t");
        assert!(shown.contains("&lt;b&gt;Private&lt;/b&gt; &amp; <img src=\"x\">"), "{shown}");
    }

    #[test]
    fn comment_paragraphs_and_breaks_are_kept() {
        let items = export();
        let md = comment_markdown(&comment(&items, "502").body_html);
        assert_eq!(md, "I disagree.\n\nThey retreated.\\\nThat is all.");
        let shown = render_comment(&md);
        assert!(shown.contains("<p>I disagree.</p>") && shown.contains("They retreated.<br"), "{shown}");
        assert_eq!(comment_markdown(&comment(&items, "501").body_html), "مرحبا — «Grüße» from Zürich");
        assert_eq!(
            comment_markdown(&comment(&items, "506").body_html),
            "\\[…\\] as the Tribune reported \\[…\\]"
        );
        let md = comment_markdown(&comment(&items, "503").body_html);
        let shown = render_comment(&md);
        assert!(shown.contains("Is this &amp; that é?"), "{md} -> {shown}");
        let spam = render_comment(&comment_markdown(&comment(&items, "504").body_html));
        assert!(spam.contains("Make $90 an hour from home!"), "{spam}");
        for shown in [shown, spam] {
            for bad in ["<script", "alert", "onerror", "<img", "javascript", "onmouseover", "href"] {
                assert!(!shown.contains(bad), "{shown}");
            }
        }
        let quoted = comment_markdown("<blockquote>You said\nso.\n\nTwice.</blockquote>\nI did not.");
        let shown = render_comment(&quoted);
        for part in ["<blockquote>", "You said<br", "so.</p>", "<p>Twice.</p>", "<p>I did not.</p>"] {
            assert!(shown.contains(part), "{part} in {quoted} -> {shown}");
        }
    }
}
