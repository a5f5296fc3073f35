//! What every import does with a comment: makes it one of ours (the safe Markdown subset,
//! a clean name, an address stored as a posted comment's is) and places it below its parent.

use std::collections::HashMap;

use super::report::Skip;
use crate::comment::{CommentStatus, MAX_NAME_CHARS, ValidComment, render_comment};
use crate::text;

/// Bodies longer than this are not comments but accidents (a pasted file): skipped, reported.
pub const MAX_IMPORTED_BODY_BYTES: usize = 256 * 1024;

/// A comment from its body as comment Markdown (see [`super::html::to_markdown`]), its
/// author and status, or why it is skipped. A deleted comment keeps its place, not its
/// words or its author's address: as if it had been deleted here.
pub fn valid_comment(
    markdown: &str,
    author_name: &str,
    author_email: Option<&str>,
    status: CommentStatus,
) -> Result<ValidComment, Skip> {
    let author_name = match text::clean_name(author_name) {
        name if name.is_empty() => "Anonymous".to_owned(),
        name => name.chars().filter(|c| !c.is_control()).take(MAX_NAME_CHARS).collect(),
    };
    if status == CommentStatus::Deleted {
        return Ok(ValidComment {
            body_markdown: String::new(),
            body_html: String::new(),
            author_name,
            author_email: None,
        });
    }
    let body_markdown: String = text::normalized(markdown.trim())
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect();
    if !text::has_visible(&body_markdown) {
        return Err(Skip::EmptyBody);
    }
    let author_email = author_email.and_then(|e| crate::user::normalize_email(e).ok());
    Ok(ValidComment { body_html: render_comment(&body_markdown), body_markdown, author_name, author_email })
}

/// `roots` and everything below them in `children`, siblings in the order given, each
/// with the position of its parent in the list. One in a loop of replies is below no
/// root, and not reached.
pub fn tree_order(roots: &[u32], children: &HashMap<u32, Vec<u32>>) -> Vec<(u32, Option<usize>)> {
    let mut out = Vec::new();
    let mut stack: Vec<(u32, Option<usize>)> = roots.iter().rev().map(|&r| (r, None)).collect();
    while let Some((item, parent)) = stack.pop() {
        let here = out.len();
        out.push((item, parent));
        if let Some(replies) = children.get(&item) {
            stack.extend(replies.iter().rev().map(|&r| (r, Some(here))));
        }
    }
    out
}
