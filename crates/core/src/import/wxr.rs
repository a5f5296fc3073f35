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
}

/// What one step of reading gave.
enum Step {
    Item(Item),
    More,
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
            let step = match self.at {
                Level::Outside => self.open_rss()?,
                Level::Rss => self.in_rss()?,
                Level::Channel => self.in_channel()?,
                Level::Item => self.in_item()?,
            };
            match step {
                Step::Item(item) => return Ok(Some(item)),
                Step::More => {}
                Step::End => return Ok(None),
            }
        }
    }

    fn open_rss(&mut self) -> Result<Step, ReadError> {
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
        Ok(Step::More)
    }

    fn in_rss(&mut self) -> Result<Step, ReadError> {
        match self.xml.child()? {
            Some(child) if child.local_name().as_ref() == b"channel" && !child.empty => {
                self.at = Level::Channel;
                Ok(Step::More)
            }
            Some(child) => self.xml.skip(&child).map(|()| Step::More),
            None if self.version.is_none() => Err(self.no_version()),
            None => Ok(Step::End),
        }
    }

    fn in_channel(&mut self) -> Result<Step, ReadError> {
        let Some(child) = self.xml.child()? else {
            self.at = Level::Rss;
            return Ok(Step::More);
        };
        let name = self.prefixes.canonical(&child);
        if matches!(name.as_str(), "wp:author" | "item") && self.version.is_none() {
            return Err(self.no_version());
        }
        match name.as_str() {
            "wp:wxr_version" => self.version = Some(self.xml.text(&child)?.trim().to_owned()),
            "wp:author" if !child.empty => return self.author().map(|a| Step::Item(Item::Author(a))),
            "item" if !child.empty => {
                self.at = Level::Item;
                self.item_id.clear();
                self.article = Some(Fields::default());
            }
            _ => self.xml.skip(&child)?,
        }
        Ok(Step::More)
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
    fn in_item(&mut self) -> Result<Step, ReadError> {
        let Some(child) = self.xml.child()? else {
            self.at = Level::Channel;
            return Ok(self.article.take().map_or(Step::More, |a| Step::Item(Item::Article(a.finish()))));
        };
        let name = self.prefixes.canonical(&child);
        if name == "wp:comment" && !child.empty {
            if let Some(article) = &self.article {
                self.item_id = article.article.source_id.clone();
            }
            let comment = self.comment()?;
            return Ok(Step::Item(match self.article.take() {
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
        Ok(Step::More)
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
    fn read<R: BufRead>(&mut self, xml: &mut XmlStream<R>, name: &str, child: &Child) -> Result<(), ReadError> {
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
        *field = xml.text(child)?;
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
        for text in [&mut article.source_id, &mut article.title, &mut article.link, &mut article.author_login] {
            *text = text.trim().to_owned();
        }
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
