//! The discussions as a Disqus export (`<disqus>`: every `<thread>`, then every `<post>`),
//! which Disqus, Isso and Remark42 import, and which our own Disqus import reads back.

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
    /// Starts the file; articles' links are made from `base_url`, as readers see them.
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

    /// An article's discussion. Its `<id>` is the slug, the identifier an embed on our
    /// pages would give Disqus; `dsq:id` is the article's id, which its posts name.
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
