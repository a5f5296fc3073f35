//! A WordPress export made ours: each post an article (its byline, tags, dates and state
//! kept, its body through the article renderer), each comment one of ours below its parent.
//! Comments come right after their article in the file, so one article's are held at a time.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::placing::{MAX_IMPORTED_BODY_BYTES, tree_order, valid_comment};
use super::report::{Report, Skip};
use super::urls::normalized;
use super::wxr::{self, ArticleState, CommentKind, CommentState, PostKind};
use crate::article::{ArticleInput, ArticleStatus};
use crate::comment::CommentStatus;
use crate::markdown::render_article;
use crate::store::{ImportSource, ImportedArticle, ImportedComment, ImportedDiscussion};

pub const PLATFORM: &str = "wordpress";

/// What an article of the export becomes here, or why it is left out. `authors` maps
/// logins to display names; pages become articles only when `pages` is set.
pub fn article(
    a: &wxr::Article,
    authors: &HashMap<String, String>,
    pages: bool,
    now: DateTime<Utc>,
) -> Result<ImportedArticle, Skip> {
    match (&a.kind, &a.status) {
        (PostKind::Other(_), _) => return Err(Skip::NotAnArticle),
        (PostKind::Page, _) if !pages => return Err(Skip::Page),
        (_, ArticleState::Trash) => return Err(Skip::ArticleInTrash),
        (_, ArticleState::Other(_)) => return Err(Skip::NotAnArticle),
        _ => {}
    }
    // Only what was public there is public here: a private post or one awaiting review
    // becomes a draft for the publisher to look at.
    let status = match a.status {
        ArticleState::Publish => ArticleStatus::Published,
        ArticleState::Future => ArticleStatus::Scheduled,
        _ => ArticleStatus::Draft,
    };
    let author = authors.get(&a.author_login).cloned().or_else(|| Some(a.author_login.clone()));
    let body_markdown = wxr::article_markdown(&a.body_html);
    let summary = Some(plain_text(&a.excerpt_html)).filter(|s| !s.is_empty());
    let title =
        if a.title.trim().is_empty() { format!("Untitled ({})", a.source_id) } else { a.title.clone() };
    let input = ArticleInput {
        slug: a.slug.clone().filter(|s| crate::slug::Slug::parse(s).is_ok()),
        title,
        summary,
        body_markdown,
        status: Some(status),
        published_at: a.published_at,
        authors: author.into_iter().filter(|n| !n.trim().is_empty()).collect(),
        tags: a.tags.clone(),
        ..ArticleInput::default()
    };
    let article = input.validate(now).map_err(|_| Skip::InvalidArticle)?;
    let body_html = render_article(&article.body_markdown, article.slug.as_str());
    Ok(ImportedArticle {
        article,
        body_html,
        source: ImportSource { platform: PLATFORM.into(), id: a.source_id.clone() },
        old_link: page_address(&a.link),
    })
}

/// The address a discussion elsewhere may know the article by: none for a draft's
/// `https://site/?p=12`, which is the home page once the query is dropped.
fn page_address(link: &str) -> String {
    let address = normalized(link);
    if address.contains('/') { address } else { String::new() }
}

/// An excerpt's text, without its markup (a summary is plain text).
fn plain_text(html: &str) -> String {
    let text = ammonia::Builder::empty().clean(html).to_string();
    let text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    text.chars().take(crate::article::MAX_SUMMARY_CHARS).collect()
}

/// One article's comments as a discussion: parents before replies (WordPress may write a
/// reply first), siblings by date. Pingbacks, comments without an id and loops are
/// skipped; a reply whose parent is not there goes to the top. All counted in `report`.
pub fn discussion(
    article_id: i64,
    comments: Vec<wxr::Comment>,
    fallback: DateTime<Utc>,
    report: &mut Report,
) -> ImportedDiscussion {
    let mut kept: Vec<(String, Option<String>, ImportedComment)> = Vec::with_capacity(comments.len());
    for c in comments {
        let label = c.source_id.clone().unwrap_or_else(|| format!("on article {}", c.article_source_id));
        for q in c.quirks.iter().filter(|q| **q != wxr::Quirk::NoId) {
            report.quirk(q.describe(), &label);
        }
        match comment(&c, fallback) {
            Ok(imported) => kept.push((c.source_id.unwrap_or_default(), c.parent_source_id, imported)),
            Err(kind) => report.skip(kind, &label),
        }
    }
    kept.sort_by_key(|(_, _, c)| c.created_at);
    let index: HashMap<&str, u32> =
        kept.iter().enumerate().map(|(i, (id, _, _))| (id.as_str(), i as u32)).collect();
    let mut roots = Vec::new();
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (i, (_, parent, _)) in kept.iter().enumerate() {
        match parent.as_deref().map(|p| index.get(p)) {
            None => roots.push(i as u32),
            Some(Some(&p)) => children.entry(p).or_default().push(i as u32),
            Some(None) => {
                report.count_orphan();
                roots.push(i as u32);
            }
        }
    }
    let order = tree_order(&roots, &children);
    for _ in order.len()..kept.len() {
        report.count_skip(Skip::InALoop);
    }
    let mut slots: Vec<Option<ImportedComment>> = kept.into_iter().map(|(_, _, c)| Some(c)).collect();
    let comments = order
        .into_iter()
        .filter_map(|(i, parent)| slots[i as usize].take().map(|c| ImportedComment { parent, ..c }))
        .collect();
    ImportedDiscussion { article_id, comments }
}

/// A comment as ours, or why it is left out.
fn comment(c: &wxr::Comment, fallback: DateTime<Utc>) -> Result<ImportedComment, Skip> {
    if !matches!(c.kind, CommentKind::Comment) {
        return Err(Skip::Pingback);
    }
    let Some(id) = c.source_id.clone() else { return Err(Skip::CommentWithoutId) };
    if c.body_html.len() > MAX_IMPORTED_BODY_BYTES {
        return Err(Skip::TooLong);
    }
    // Held comments stay held for a moderator; spam and the trash stay out of sight.
    let status = match c.state {
        CommentState::Approved => CommentStatus::Published,
        CommentState::Pending => CommentStatus::Pending,
        CommentState::Spam | CommentState::Trash | CommentState::Other(_) => CommentStatus::Rejected,
    };
    let markdown = wxr::comment_markdown(&c.body_html);
    // An empty comment in the trash is a deleted one's placeholder (as our own export
    // writes it): it keeps its place, and its replies.
    let status = if c.state == CommentState::Trash && markdown.trim().is_empty() {
        CommentStatus::Deleted
    } else {
        status
    };
    let comment = valid_comment(&markdown, &c.author_name, c.author_email.as_deref(), status)?;
    Ok(ImportedComment {
        parent: None,
        comment,
        status,
        created_at: c.created_at.unwrap_or(fallback),
        source: Some(ImportSource { platform: PLATFORM.into(), id }),
    })
}
