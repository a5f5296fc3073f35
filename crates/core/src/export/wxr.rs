//! Articles and their comments as a WordPress export (WXR 1.2), which WordPress's importer
//! accepts and our own WordPress import reads back: a header with the bylines, then one
//! `<item>` per article with its comments inside.

use std::io::{self, Write};

use chrono::{DateTime, Utc};

use super::xml::{XmlOut, article_link, site_root};
use crate::article::{ArticleStatus, NamedLink};
use crate::comment::CommentStatus;
use crate::store::{ExportedArticle, ExportedComment};

/// What WordPress writes for a date that has not happened (a draft's publication).
const NO_DATE: &str = "0000-00-00 00:00:00";

/// A WordPress export being written: `start_article`, its comments, `end_article`, and so on.
pub struct WxrWriter<W: Write> {
    xml: XmlOut<W>,
    root: String,
    in_article: bool,
}

impl<W: Write> WxrWriter<W> {
    /// Starts the file with the site and one `<wp:author>` per byline (`authors`: every
    /// author an article names, each once), which articles then name by slug.
    pub fn new(out: W, site_title: &str, base_url: &str, authors: &[NamedLink]) -> io::Result<Self> {
        let root = site_root(base_url).to_owned();
        let mut xml = XmlOut::new(out)?;
        xml.open(
            "rss",
            &[
                ("version", "2.0"),
                ("xmlns:excerpt", "http://wordpress.org/export/1.2/excerpt/"),
                ("xmlns:content", "http://purl.org/rss/1.0/modules/content/"),
                ("xmlns:wfw", "http://wellformedweb.org/CommentAPI/"),
                ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
                ("xmlns:wp", "http://wordpress.org/export/1.2/"),
            ],
        )?;
        xml.open("channel", &[])?;
        xml.text("title", site_title)?;
        xml.text("link", &root)?;
        xml.text("description", "")?;
        // The site's language is not known here; WordPress's importer does not read it.
        xml.text("language", "")?;
        // Before any author or item: readers (ours included) refuse a file without it.
        xml.text("wp:wxr_version", "1.2")?;
        xml.text("wp:base_site_url", &root)?;
        xml.text("wp:base_blog_url", &root)?;
        let mut writer = WxrWriter { xml, root, in_article: false };
        for (id, author) in (1..).zip(authors) {
            writer.author(id, author)?;
        }
        Ok(writer)
    }

    fn author(&mut self, id: u32, author: &NamedLink) -> io::Result<()> {
        let xml = &mut self.xml;
        xml.open("wp:author", &[])?;
        xml.text("wp:author_id", &id.to_string())?;
        xml.cdata("wp:author_login", author.slug.as_str())?;
        xml.text("wp:author_email", "")?;
        xml.cdata("wp:author_display_name", &author.name)?;
        xml.cdata("wp:author_first_name", "")?;
        xml.cdata("wp:author_last_name", "")?;
        xml.close("wp:author")
    }

    /// Opens an article's `<item>`; its comments follow, then [`Self::end_article`].
    pub fn start_article(&mut self, exported: &ExportedArticle) -> io::Result<()> {
        debug_assert!(!self.in_article, "end_article before the next article");
        self.in_article = true;
        let a = &exported.article;
        let link = article_link(&self.root, a.slug.as_str());
        let shown_at = a.published_at.unwrap_or(a.created_at);
        let xml = &mut self.xml;
        xml.open("item", &[])?;
        xml.text("title", &a.title)?;
        xml.text("link", &link)?;
        xml.text("pubDate", &shown_at.to_rfc2822())?;
        xml.cdata("dc:creator", a.authors.first().map_or("", |n| n.slug.as_str()))?;
        // WordPress's own form: unique to the article, and not its address (that may change).
        let guid = format!("{}/?p={}", self.root, a.id);
        xml.open("guid", &[("isPermaLink", "false")])?;
        xml.text_content(&guid)?;
        xml.close("guid")?;
        xml.text("description", "")?;
        xml.cdata("content:encoded", &a.body_html)?;
        xml.cdata("excerpt:encoded", &a.summary)?;
        xml.text("wp:post_id", &a.id.to_string())?;
        xml.text("wp:post_date", &wp_date(shown_at))?;
        xml.text("wp:post_date_gmt", &a.published_at.map_or_else(|| NO_DATE.to_owned(), wp_date))?;
        xml.text("wp:comment_status", if a.comments_closed { "closed" } else { "open" })?;
        xml.text("wp:ping_status", "closed")?;
        xml.text("wp:post_name", a.slug.as_str())?;
        xml.text("wp:status", post_status(a.status))?;
        self.article_tail(&a.tags)
    }

    /// The fields WordPress requires that we have no use for, then the tags.
    fn article_tail(&mut self, tags: &[NamedLink]) -> io::Result<()> {
        let xml = &mut self.xml;
        xml.text("wp:post_parent", "0")?;
        xml.text("wp:menu_order", "0")?;
        xml.text("wp:post_type", "post")?;
        xml.text("wp:post_password", "")?;
        xml.text("wp:is_sticky", "0")?;
        for tag in tags {
            xml.open("category", &[("domain", "post_tag"), ("nicename", tag.slug.as_str())])?;
            xml.cdata_content(&tag.name)?;
            xml.close("category")?;
        }
        Ok(())
    }

    /// A comment on the article being written. WordPress's comment ids are its own: ours
    /// are kept, so that parents still match.
    pub fn comment(&mut self, exported: &ExportedComment) -> io::Result<()> {
        debug_assert!(self.in_article, "a comment belongs inside start_article/end_article");
        let c = &exported.comment;
        let xml = &mut self.xml;
        xml.open("wp:comment", &[])?;
        xml.text("wp:comment_id", &c.id.to_string())?;
        xml.cdata("wp:comment_author", &c.author_name)?;
        xml.cdata("wp:comment_author_email", exported.author_email.as_deref().unwrap_or(""))?;
        xml.text("wp:comment_author_url", "")?;
        // We never kept readers' addresses.
        xml.text("wp:comment_author_IP", "")?;
        // The site's time zone is not WordPress's to know: both dates are UTC.
        xml.text("wp:comment_date", &wp_date(c.created_at))?;
        xml.text("wp:comment_date_gmt", &wp_date(c.created_at))?;
        xml.cdata("wp:comment_content", &c.body_html)?;
        xml.text("wp:comment_approved", comment_approved(c.status))?;
        xml.text("wp:comment_type", "comment")?;
        xml.text("wp:comment_parent", &c.parent_id.unwrap_or(0).to_string())?;
        xml.text("wp:comment_user_id", "0")?;
        xml.close("wp:comment")
    }

    pub fn end_article(&mut self) -> io::Result<()> {
        debug_assert!(self.in_article, "end_article without start_article");
        self.in_article = false;
        self.xml.close("item")
    }

    /// Ends the file and hands back what it was written to (to flush or sync it).
    pub fn finish(mut self) -> io::Result<W> {
        debug_assert!(!self.in_article, "end_article before finish");
        self.xml.close("channel")?;
        self.xml.close("rss")?;
        self.xml.finish()
    }
}

/// WordPress's `2017-11-20 10:00:00`.
fn wp_date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn post_status(status: ArticleStatus) -> &'static str {
    match status {
        ArticleStatus::Published => "publish",
        ArticleStatus::Scheduled => "future",
        ArticleStatus::Draft => "draft",
    }
}

/// `wp:comment_approved`: a rejected comment is spam to WordPress (kept, never shown), a
/// deleted one is in its trash.
fn comment_approved(status: CommentStatus) -> &'static str {
    match status {
        CommentStatus::Published => "1",
        CommentStatus::Pending => "0",
        CommentStatus::Rejected => "spam",
        CommentStatus::Deleted => "trash",
    }
}
