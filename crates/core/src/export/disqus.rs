//! The discussions in the form Disqus exports them (`<disqus>`: every `<thread>`, then every
//! `<post>`), which Disqus, Isso and Remark42 import, and our own Disqus import reads back.

use std::io::{self, Write};

use super::xml::{XmlOut, article_link, rfc3339, site_root};
use crate::comment::CommentStatus;
use crate::store::{ExportedArticle, ExportedComment};

/// A Disqus export being written: threads (one per article) first, then posts, since Disqus
/// reads a post's thread before the post.
pub struct DisqusWriter<W: Write> {
    xml: XmlOut<W>,
    root: String,
    /// Set at the first post: a thread after it would be one Disqus has not read in time.
    posts_started: bool,
}

impl<W: Write> DisqusWriter<W> {
    /// Starts the file; articles' links are made from `base_url`, as readers see them. Every
    /// element is a few small writes: give it a buffered writer.
    pub fn new(out: W, base_url: &str) -> io::Result<Self> {
        let mut xml = XmlOut::new(out)?;
        xml.open(
            "disqus",
            &[
                ("xmlns", "http://disqus.com"),
                ("xmlns:dsq", "http://disqus.com/disqus-internals"),
                ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            ],
        )?;
        Ok(DisqusWriter { xml, root: site_root(base_url).to_owned(), posts_started: false })
    }

    /// An article's discussion. Its `<id>` (Disqus's identifier for a page) is the slug,
    /// which names the article on any domain; `dsq:id` is its id, which its posts name.
    pub fn thread(&mut self, exported: &ExportedArticle) -> io::Result<()> {
        debug_assert!(!self.posts_started, "every thread must be written before the first post");
        let a = &exported.article;
        let id = a.id.to_string();
        let xml = &mut self.xml;
        xml.open("thread", &[("dsq:id", &id)])?;
        xml.text("id", a.slug.as_str())?;
        xml.text("link", &article_link(&self.root, a.slug.as_str()))?;
        xml.text("title", &a.title)?;
        xml.empty("message", &[])?;
        xml.text("createdAt", &rfc3339(a.published_at.unwrap_or(a.created_at)))?;
        xml.open("author", &[])?;
        xml.text("name", a.authors.first().map_or_else(|| site_name(&self.root), |n| n.name.as_str()))?;
        xml.flag("isAnonymous", false)?;
        xml.close("author")?;
        xml.flag("isClosed", a.comments_closed)?;
        xml.flag("isDeleted", false)?;
        xml.close("thread")
    }

    /// A comment, in the thread of its article. The body is the HTML readers were shown
    /// (already sanitized); an e-mail address is written only when the site has one.
    pub fn post(&mut self, exported: &ExportedComment) -> io::Result<()> {
        self.posts_started = true;
        let c = &exported.comment;
        let (id, thread) = (c.id.to_string(), c.article_id.to_string());
        let xml = &mut self.xml;
        xml.open("post", &[("dsq:id", &id)])?;
        xml.empty("id", &[])?;
        xml.cdata("message", &c.body_html)?;
        xml.text("createdAt", &rfc3339(c.created_at))?;
        xml.flag("isDeleted", c.status == CommentStatus::Deleted)?;
        // A comment still held for a moderator must not come out published elsewhere.
        xml.flag("isApproved", c.status != CommentStatus::Pending)?;
        xml.flag("isSpam", c.status == CommentStatus::Rejected)?;
        self.author(exported)?;
        let xml = &mut self.xml;
        xml.empty("thread", &[("dsq:id", &thread)])?;
        if let Some(parent) = c.parent_id {
            xml.empty("parent", &[("dsq:id", &parent.to_string())])?;
        }
        xml.close("post")
    }

    /// In the order Disqus writes an author: e-mail, name, whether a guest wrote it.
    fn author(&mut self, exported: &ExportedComment) -> io::Result<()> {
        let xml = &mut self.xml;
        xml.open("author", &[])?;
        if let Some(email) = &exported.author_email {
            xml.text("email", email)?;
        }
        xml.text("name", &exported.comment.author_name)?;
        xml.flag("isAnonymous", exported.comment.user_id.is_none())?;
        xml.close("author")
    }

    /// Ends the file and hands back what it was written to (to flush or sync it).
    pub fn finish(mut self) -> io::Result<W> {
        self.xml.close("disqus")?;
        self.xml.finish()
    }
}

/// The site, by its host, for an article without a byline.
fn site_name(root: &str) -> &str {
    root.split_once("://").map_or(root, |(_, rest)| rest)
}

#[cfg(test)]
mod tests {
    use chrono::SubsecRound;

    use super::*;
    use crate::article::ArticleStatus;
    use crate::export::fixtures::{self, BASE_URL, HOSTILE, HOSTILE_READ};
    use crate::import::disqus::{DisqusReader, Item, Post, Thread};
    use crate::import::html::to_markdown;

    fn write(articles: &[ExportedArticle], comments: &[ExportedComment]) -> String {
        let mut writer = DisqusWriter::new(Vec::new(), BASE_URL).unwrap();
        for article in articles {
            writer.thread(article).unwrap();
        }
        for comment in comments {
            writer.post(comment).unwrap();
        }
        String::from_utf8(writer.finish().unwrap()).unwrap()
    }

    /// What our own Disqus import reads in the file.
    fn read(xml: &str) -> (Vec<Thread>, Vec<Post>) {
        let (mut threads, mut posts) = (Vec::new(), Vec::new());
        for item in DisqusReader::new(xml.as_bytes()) {
            match item.unwrap() {
                Item::Thread(t) => threads.push(t),
                Item::Post(p) => posts.push(p),
            }
        }
        (threads, posts)
    }

    /// The `<post>` element of comment `id`, as written.
    fn post_xml(xml: &str, id: i64) -> &str {
        let start = xml.find(&format!("<post dsq:id=\"{id}\">")).unwrap();
        &xml[start..start + xml[start..].find("</post>").unwrap()]
    }

    #[test]
    fn export_threads_keep_id_link_title_date_and_closing() {
        let xml = write(&fixtures::articles(), &[]);
        let (threads, posts) = read(&xml);
        assert!(posts.is_empty());
        let [published, draft] = &threads[..] else { panic!("{threads:?}") };
        assert_eq!(published.id, "1");
        assert_eq!(published.link, "https://news.example.org/articles/did-the-us-allow-isis-to-escape");
        assert_eq!(published.title, "Did the US allow ISIS to escape?");
        assert_eq!(published.created_at, Some(fixtures::at(0).trunc_subsecs(0)));
        assert!(!published.closed && published.quirks.is_empty(), "{published:?}");
        assert_eq!((draft.id.as_str(), draft.title.as_str()), ("2", "A draft"));
        assert_eq!(draft.created_at, Some(fixtures::at(-3600).trunc_subsecs(0)));
        assert!(draft.closed && draft.quirks.is_empty(), "{draft:?}");
        assert!(xml.contains("<id>did-the-us-allow-isis-to-escape</id>"), "the slug is the identifier");
        let mut anonymous = fixtures::article(3, "no-byline", "No byline", ArticleStatus::Published);
        anonymous.article.authors.clear();
        assert!(write(&[anonymous], &[]).contains("<name>news.example.org</name>"), "the site signs it");
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "every thread must be written before the first post")]
    fn export_a_thread_after_a_post_is_a_bug() {
        let mut writer = DisqusWriter::new(Vec::new(), BASE_URL).unwrap();
        writer.post(&fixtures::comments()[0]).unwrap();
        writer.thread(&fixtures::articles()[0]).unwrap();
    }

    #[test]
    fn export_posts_keep_ids_parents_threads_authors_dates_and_states() {
        let comments = fixtures::comments();
        let (_, posts) = read(&write(&fixtures::articles(), &comments));
        assert_eq!(posts.len(), comments.len());
        for (post, exported) in posts.iter().zip(&comments) {
            let c = &exported.comment;
            assert_eq!(post.id, Some(c.id.to_string()));
            assert_eq!(post.thread_id, "1");
            assert_eq!(post.parent_id, c.parent_id.map(|p| p.to_string()), "{post:?}");
            assert_eq!((&post.author_name, &post.author_email), (&c.author_name, &exported.author_email));
            assert_eq!(post.created_at, Some(c.created_at.trunc_subsecs(0)));
            assert_eq!(post.deleted, c.status == CommentStatus::Deleted, "{post:?}");
            assert_eq!(post.spam, c.status == CommentStatus::Rejected, "{post:?}");
            assert_eq!(post.message_html, c.body_html);
            assert!(post.quirks.is_empty(), "{post:?}");
        }
    }

    #[test]
    fn export_bodies_read_back_as_the_markdown_they_were_written_in() {
        let comments = fixtures::comments();
        let (_, posts) = read(&write(&fixtures::articles(), &comments));
        for (post, exported) in
            posts.iter().zip(&comments).filter(|(_, c)| !c.comment.body_markdown.is_empty())
        {
            assert_eq!(to_markdown(&post.message_html), exported.comment.body_markdown);
        }
    }

    #[test]
    fn export_marks_pending_unapproved_and_guests_anonymous() {
        let xml = write(&fixtures::articles(), &fixtures::comments());
        assert!(post_xml(&xml, 106).contains("<isApproved>false</isApproved>"));
        assert!(post_xml(&xml, 105).contains("<isSpam>true</isSpam>"));
        assert!(post_xml(&xml, 101).contains("<isApproved>true</isApproved>"));
        assert!(post_xml(&xml, 101).contains("<isAnonymous>false</isAnonymous>"), "a signed-in user");
        assert!(post_xml(&xml, 104).contains("<isAnonymous>true</isAnonymous>"));
        assert!(!post_xml(&xml, 102).contains("<email>"), "no address, no element");
    }

    #[test]
    fn export_cdata_survives_its_own_end_marker() {
        let xml = write(&fixtures::articles(), &fixtures::comments());
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<disqus xmlns="));
        assert!(post_xml(&xml, 107).contains("<![CDATA[<p>Ends early? ]]]]><![CDATA[> &lt;script&gt;"));
        assert!(!xml.contains("<script>"));
    }

    #[test]
    fn export_hostile_text_is_escaped_and_control_characters_dropped() {
        let mut article = fixtures::article(3, "hostile", HOSTILE, ArticleStatus::Published);
        article.article.authors = vec![fixtures::named("mallory", HOSTILE)];
        let mut comment = fixtures::comment(1, None, CommentStatus::Published, HOSTILE, "x");
        comment.comment.article_id = 3;
        comment.comment.body_html = HOSTILE.to_owned();
        comment.author_email = Some(HOSTILE.to_owned());
        let (threads, posts) = read(&write(&[article], &[comment]));
        assert_eq!(threads[0].title, HOSTILE_READ);
        let post = &posts[0];
        assert_eq!((post.author_name.as_str(), post.message_html.as_str()), (HOSTILE_READ, HOSTILE_READ));
        assert_eq!(post.author_email.as_deref(), Some(HOSTILE_READ));
    }
}
