//! A small site for the writers' tests: every state and every awkward text an export meets,
//! built once so that both formats are tested on the same content.

use chrono::{DateTime, Utc};

use crate::article::{Article, ArticleStatus, NamedLink};
use crate::comment::{Comment, CommentStatus, render_comment};
use crate::slug::Slug;
use crate::store::{ExportedArticle, ExportedComment};

pub(super) const BASE_URL: &str = "https://news.example.org/";

/// A time with nanoseconds, which the formats drop: they carry seconds.
pub(super) fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + seconds, 123_456_789).unwrap()
}

pub(super) fn named(slug: &str, name: &str) -> NamedLink {
    NamedLink { slug: Slug::parse(slug).unwrap(), name: name.to_owned() }
}

pub(super) fn authors() -> Vec<NamedLink> {
    vec![named("ana-lima", "Ana Lima"), named("omar-haddad", "عمر حداد")]
}

pub(super) fn article(id: i64, slug: &str, title: &str, status: ArticleStatus) -> ExportedArticle {
    let published = status != ArticleStatus::Draft;
    let body = "First paragraph.\n\nSecond, with *emphasis*.";
    ExportedArticle {
        article: Article {
            id,
            kind: Default::default(),
            slug: Slug::parse(slug).unwrap(),
            title: title.to_owned(),
            summary: "What it is about.".to_owned(),
            body_markdown: body.to_owned(),
            body_html: crate::markdown::render_article(body, slug),
            status,
            published_at: published.then(|| at(0)),
            created_at: at(-3600),
            updated_at: at(60),
            syndication: None,
            image: None,
            authors: if published { authors() } else { authors()[..1].to_vec() },
            tags: if published {
                vec![named("politics", "Politics"), named("middle-east", "Middle East")]
            } else {
                Vec::new()
            },
            comments_closed: !published,
            comment_count: 0,
            supporters_only: false,
        },
        import: None,
    }
}

/// The two articles: a published one with two authors and two tags, and a draft.
pub(super) fn articles() -> Vec<ExportedArticle> {
    vec![
        article(
            1,
            "did-the-us-allow-isis-to-escape",
            "Did the US allow ISIS to escape?",
            ArticleStatus::Published,
        ),
        article(2, "a-draft", "A draft", ArticleStatus::Draft),
    ]
}

/// The comment as the store holds it: its HTML rendered from its Markdown like a typed one.
pub(super) fn comment(
    id: i64,
    parent: Option<i64>,
    status: CommentStatus,
    author: &str,
    markdown: &str,
) -> ExportedComment {
    ExportedComment {
        comment: Comment {
            id,
            article_id: 1,
            parent_id: parent,
            root_id: parent.unwrap_or(id),
            depth: u32::from(parent.is_some()),
            path: String::new(),
            status,
            body_markdown: markdown.to_owned(),
            body_html: render_comment(markdown),
            author_name: author.to_owned(),
            user_id: None,
            guest_token_hash: None,
            score: 0,
            created_at: at(id * 60),
            edited_at: None,
        },
        author_email: Some(format!("{}@example.com", author.to_lowercase().replace(' ', "."))),
        source: None,
    }
}

/// The first article's discussion in discussion order, with every state and awkward text.
pub(super) fn comments() -> Vec<ExportedComment> {
    let mut top =
        comment(101, None, CommentStatus::Published, "Daniel Castro", "They *retreated*, nothing more.");
    top.comment.user_id = Some(7);
    let mut rtl = comment(102, Some(101), CommentStatus::Published, "زينب", "مرحبا «Grüße» — 日本語");
    rtl.author_email = None;
    let mut placeholder = comment(103, None, CommentStatus::Deleted, "Gone", "");
    placeholder.comment.body_html = String::new();
    let mut hostile = comment(107, None, CommentStatus::Published, "Mallory", "");
    hostile.comment.body_html = "<p>Ends early? ]]> &lt;script&gt;alert(1)&lt;/script&gt;</p>".to_owned();
    vec![
        top,
        rtl,
        placeholder,
        comment(104, Some(103), CommentStatus::Published, "Ruth Okafor", "Still answering the deleted one."),
        comment(105, None, CommentStatus::Rejected, "Pills Shop", "Cheap pills here."),
        comment(106, None, CommentStatus::Pending, "New Reader", "Held for a moderator."),
        hostile,
    ]
}

/// Text no XML 1.0 file can carry as is, and the text a reader gets back: the markup
/// characters escaped and restored, the control characters dropped.
pub(super) const HOSTILE: &str =
    "Tom & Jerry <b>\"quoted\"</b> 'single' ]]> \u{0}\u{1}\u{b}\u{1f}\u{fffe}end";
pub(super) const HOSTILE_READ: &str = "Tom & Jerry <b>\"quoted\"</b> 'single' ]]> end";
