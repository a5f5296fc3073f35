//! Articles and their comments as a WordPress export (WXR 1.2), which WordPress's importer
//! accepts and our own WordPress import reads back: a header with the bylines, then one
//! `<item>` per article with its comments inside.

use std::io::{self, Write};

use chrono::{DateTime, Utc};

use super::xml::{XmlOut, article_link, site_root};
use crate::article::{Article, ArticleStatus, NamedLink};
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
    /// author an article names, each once), which articles then name by slug. Every element
    /// is a few small writes: give it a buffered writer.
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
        self.xml.open("item", &[])?;
        self.article_head(a)?;
        self.article_state(a)?;
        self.article_tail(&a.tags)
    }

    /// What RSS readers see too: title, address, date, author and text.
    fn article_head(&mut self, a: &Article) -> io::Result<()> {
        let xml = &mut self.xml;
        xml.text("title", &a.title)?;
        xml.text("link", &article_link(&self.root, a.slug.as_str()))?;
        xml.text("pubDate", &a.published_at.unwrap_or(a.created_at).to_rfc2822())?;
        xml.cdata("dc:creator", a.authors.first().map_or("", |n| n.slug.as_str()))?;
        // WordPress's own form: unique to the article, and not its address (that may change).
        xml.open("guid", &[("isPermaLink", "false")])?;
        xml.text_content(&format!("{}/?p={}", self.root, a.id))?;
        xml.close("guid")?;
        xml.text("description", "")?;
        xml.cdata("content:encoded", &a.body_html)?;
        xml.cdata("excerpt:encoded", &a.summary)
    }

    /// What WordPress keeps of an article's life: its id, dates, status and discussion.
    fn article_state(&mut self, a: &Article) -> io::Result<()> {
        let xml = &mut self.xml;
        xml.text("wp:post_id", &a.id.to_string())?;
        xml.text("wp:post_date", &wp_date(a.published_at.unwrap_or(a.created_at)))?;
        xml.text("wp:post_date_gmt", &a.published_at.map_or_else(|| NO_DATE.to_owned(), wp_date))?;
        xml.text("wp:comment_status", if a.comments_closed { "closed" } else { "open" })?;
        xml.text("wp:ping_status", "closed")?;
        xml.text("wp:post_name", a.slug.as_str())?;
        xml.text("wp:status", post_status(a.status))
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

#[cfg(test)]
mod tests {
    use chrono::SubsecRound;

    use super::*;
    use crate::export::fixtures::{self, BASE_URL, HOSTILE, HOSTILE_READ};
    use crate::import::wxr::{
        self, ArticleState, Author, Comment, CommentKind, CommentState, Item, PostKind, WxrReader,
    };

    /// Every article, the fixtures' comments under the first.
    fn write(
        title: &str,
        authors: &[NamedLink],
        articles: &[ExportedArticle],
        comments: &[ExportedComment],
    ) -> String {
        let mut writer = WxrWriter::new(Vec::new(), title, BASE_URL, authors).unwrap();
        for (i, article) in articles.iter().enumerate() {
            writer.start_article(article).unwrap();
            for comment in comments.iter().filter(|_| i == 0) {
                writer.comment(comment).unwrap();
            }
            writer.end_article().unwrap();
        }
        String::from_utf8(writer.finish().unwrap()).unwrap()
    }

    fn site() -> String {
        write("Tribune News", &fixtures::authors(), &fixtures::articles(), &fixtures::comments())
    }

    /// What our own WordPress import reads in the file.
    fn read(xml: &str) -> (Vec<Author>, Vec<wxr::Article>, Vec<Comment>) {
        let (mut authors, mut articles, mut comments) = (Vec::new(), Vec::new(), Vec::new());
        let mut reader = WxrReader::new(xml.as_bytes());
        for item in &mut reader {
            match item.unwrap() {
                Item::Author(a) => authors.push(a),
                Item::Article(a) => articles.push(a),
                Item::Comment(c) => comments.push(c),
            }
        }
        assert_eq!(reader.wxr_version(), Some("1.2"));
        (authors, articles, comments)
    }

    #[test]
    fn export_authors_are_the_bylines_by_slug() {
        let (authors, _, _) = read(&site());
        let read: Vec<_> = authors.iter().map(|a| (a.login.as_str(), a.display_name.as_str())).collect();
        assert_eq!(read, [("ana-lima", "Ana Lima"), ("omar-haddad", "عمر حداد")]);
        assert!(authors.iter().all(|a| a.quirks.is_empty() && a.email.is_none()), "{authors:?}");
    }

    #[test]
    fn export_articles_keep_ids_titles_slugs_links_dates_statuses_and_tags() {
        let site = site();
        let (_, articles, _) = read(&site);
        let [published, draft] = &articles[..] else { panic!("{articles:?}") };
        let original = &fixtures::articles()[0].article;
        assert_eq!((published.source_id.as_str(), published.title.as_str()), ("1", original.title.as_str()));
        assert_eq!(published.slug.as_deref(), Some(original.slug.as_str()));
        assert_eq!(published.link, "https://news.example.org/articles/did-the-us-allow-isis-to-escape");
        assert_eq!(published.author_login, "ana-lima");
        assert_eq!(published.published_at, Some(fixtures::at(0).trunc_subsecs(0)));
        assert_eq!((&published.status, &published.kind), (&ArticleState::Publish, &PostKind::Post));
        assert_eq!(published.tags, ["Politics", "Middle East"]);
        assert_eq!((&published.body_html, &published.excerpt_html), (&original.body_html, &original.summary));
        assert!(published.quirks.is_empty(), "{published:?}");
        assert_eq!((draft.source_id.as_str(), draft.slug.as_deref()), ("2", Some("a-draft")));
        assert_eq!((&draft.status, draft.published_at), (&ArticleState::Draft, None));
        assert!(draft.tags.is_empty() && draft.quirks.is_empty(), "{draft:?}");
        assert!(site.contains("<wp:post_date_gmt>0000-00-00 00:00:00</wp:post_date_gmt>"));
        assert!(site.contains("<wp:comment_status>closed</wp:comment_status>"));
        assert!(site.contains(
            "<category domain=\"post_tag\" nicename=\"middle-east\"><![CDATA[Middle East]]></category>"
        ));
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "a comment belongs inside")]
    fn export_a_comment_outside_an_article_is_a_bug() {
        let mut writer = WxrWriter::new(Vec::new(), "T", BASE_URL, &[]).unwrap();
        writer.comment(&fixtures::comments()[0]).unwrap();
    }

    #[test]
    fn export_scheduled_articles_are_future_posts() {
        let scheduled = fixtures::article(3, "soon", "Soon", ArticleStatus::Scheduled);
        let (_, articles, _) = read(&write("T", &[], &[scheduled], &[]));
        assert_eq!(articles[0].status, ArticleState::Future);
        assert_eq!(articles[0].published_at, Some(fixtures::at(0).trunc_subsecs(0)));
    }

    #[test]
    fn export_comments_keep_ids_parents_authors_dates_and_states() {
        let exported = fixtures::comments();
        let (_, _, comments) = read(&site());
        assert_eq!(comments.len(), exported.len());
        for (comment, exported) in comments.iter().zip(&exported) {
            let c = &exported.comment;
            assert_eq!(comment.source_id, Some(c.id.to_string()));
            assert_eq!(comment.article_source_id, "1");
            assert_eq!(comment.parent_source_id, c.parent_id.map(|p| p.to_string()), "{comment:?}");
            assert_eq!(
                (&comment.author_name, &comment.author_email),
                (&c.author_name, &exported.author_email)
            );
            assert_eq!((comment.author_url.as_deref(), &comment.kind), (None, &CommentKind::Comment));
            assert_eq!(comment.created_at, Some(c.created_at.trunc_subsecs(0)));
            let state = match c.status {
                CommentStatus::Published => CommentState::Approved,
                CommentStatus::Pending => CommentState::Pending,
                CommentStatus::Rejected => CommentState::Spam,
                CommentStatus::Deleted => CommentState::Trash,
            };
            assert_eq!(comment.state, state);
            assert_eq!(comment.body_html, c.body_html);
            assert!(comment.quirks.is_empty(), "{comment:?}");
        }
    }

    #[test]
    fn export_comment_bodies_read_back_as_the_markdown_they_were_written_in() {
        let exported = fixtures::comments();
        let (_, _, comments) = read(&site());
        for (comment, exported) in
            comments.iter().zip(&exported).filter(|(_, c)| !c.comment.body_markdown.is_empty())
        {
            assert_eq!(wxr::comment_markdown(&comment.body_html), exported.comment.body_markdown);
        }
    }

    #[test]
    fn export_cdata_survives_its_own_end_marker() {
        let site = site();
        assert!(site.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version="));
        assert!(site.contains("<![CDATA[<p>Ends early? ]]]]><![CDATA[> &lt;script&gt;"));
        assert!(!site.contains("<script>"));
    }

    #[test]
    fn export_hostile_text_is_escaped_and_control_characters_dropped() {
        let mut article = fixtures::article(3, "hostile", HOSTILE, ArticleStatus::Published);
        article.article.tags = vec![fixtures::named("hostile", HOSTILE)];
        article.article.summary = HOSTILE.to_owned();
        let mut comment = fixtures::comment(1, None, CommentStatus::Published, HOSTILE, "x");
        comment.comment.body_html = HOSTILE.to_owned();
        let xml = write(HOSTILE, &[fixtures::named("mallory", HOSTILE)], &[article], &[comment]);
        let (authors, articles, comments) = read(&xml);
        assert_eq!(authors[0].display_name, HOSTILE_READ);
        let a = &articles[0];
        assert_eq!((a.title.as_str(), a.excerpt_html.as_str()), (HOSTILE_READ, HOSTILE_READ));
        assert_eq!(a.tags, [HOSTILE_READ]);
        let c = &comments[0];
        assert_eq!((c.author_name.as_str(), c.body_html.as_str()), (HOSTILE_READ, HOSTILE_READ));
        assert!(xml.contains("<title>Tom &amp; Jerry &lt;b&gt;"), "the site's title too");
    }
}
