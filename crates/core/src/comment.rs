//! Reader comments: a tree of any depth under each article. Each comment stores its
//! materialised path (the ids from the root down, zero-padded), so one indexed query returns
//! a thread in display order; rendering walks that list without recursion.

use chrono::{DateTime, Duration, Utc};
use pulldown_cmark::{Options, Parser};

use crate::article::FieldError;
use crate::text;
use crate::user::User;

pub const MAX_COMMENT_CHARS: usize = 10_000;
pub const MAX_NAME_CHARS: usize = 80;
/// Digits per id in a path: ids up to 10^12 keep lexical order equal to numeric order.
const PATH_DIGITS: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommentStatus {
    Published,
    /// Held for a moderator: shown only to its author (marked as such) and to moderators.
    Pending,
    Rejected,
    /// Deleted but kept, because replies hang from it: shown as a placeholder.
    Deleted,
}

impl CommentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CommentStatus::Published => "published",
            CommentStatus::Pending => "pending",
            CommentStatus::Rejected => "rejected",
            CommentStatus::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [CommentStatus::Published, CommentStatus::Pending, CommentStatus::Rejected, CommentStatus::Deleted]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// A comment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: i64,
    pub article_id: i64,
    pub parent_id: Option<i64>,
    /// The top-level comment this one hangs under (its own id at the top).
    pub root_id: i64,
    /// 0 for a top-level comment.
    pub depth: u32,
    pub path: String,
    pub status: CommentStatus,
    pub body_markdown: String,
    pub body_html: String,
    pub author_name: String,
    /// Set when a signed-in user wrote it.
    pub user_id: Option<i64>,
    /// For a guest's comment, the hash of the token its browser holds: only that browser
    /// may edit or delete it.
    pub guest_token_hash: Option<String>,
    /// Up votes less down votes.
    pub score: i64,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
}

/// Segments a path keeps at most. Past that depth a reply takes its place among the
/// replies of its ancestor at the limit, in the order they were posted: indentation stopped
/// long before, "in reply to" still names the real parent, and every path stays short
/// enough for a B-tree index (PostgreSQL refuses index entries over 2.7 kB).
pub const MAX_PATH_SEGMENTS: usize = 32;

/// The path of a comment with `id` under a parent with `parent_path` (or at the top).
pub fn child_path(parent_path: Option<&str>, id: i64) -> String {
    let own = format!("{id:0width$}", width = PATH_DIGITS);
    match parent_path {
        None => own,
        Some(parent) if parent.len() < MAX_PATH_SEGMENTS * (PATH_DIGITS + 1) - 1 => format!("{parent}.{own}"),
        Some(parent) => {
            let (kept, _) = parent.rsplit_once('.').unwrap_or((parent, ""));
            format!("{kept}.{own}")
        }
    }
}

/// The path of the comment under which `path` is placed (none at the top).
pub fn placement_parent(path: &str) -> Option<&str> {
    path.rsplit_once('.').map(|(parent, _)| parent)
}

/// What a reader submits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommentInput {
    pub body: String,
    pub parent_id: Option<i64>,
    /// Required of guests; signed-in users comment under their own name.
    pub author_name: Option<String>,
    /// Optional for guests, never shown.
    pub author_email: Option<String>,
    /// "Tell me of replies": needs an address (a guest's, confirmed first, or the account's).
    pub notify_replies: bool,
}

/// A comment that passed validation, rendered, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidComment {
    pub body_markdown: String,
    pub body_html: String,
    pub author_name: String,
    pub author_email: Option<String>,
}

/// Checks a comment. `signed_in_name` is the commenter's name when signed in.
pub fn validate(input: &CommentInput, signed_in_name: Option<&str>) -> Result<ValidComment, Vec<FieldError>> {
    let mut errors = Vec::new();
    let body = text::normalized(input.body.trim()).replace("\r\n", "\n");
    if body.is_empty() {
        errors.push(FieldError::new("body", "is empty: write something first"));
    } else if !text::has_visible(&body) {
        errors.push(FieldError::new("body", "has nothing visible in it: write something first"));
    } else if let Some(c) = text::control_character(&body) {
        errors.push(FieldError::new("body", text::control_message(c)));
    } else if body.chars().count() > MAX_COMMENT_CHARS {
        errors.push(FieldError::new(
            "body",
            format!("is {} characters long; the limit is {MAX_COMMENT_CHARS}", body.chars().count()),
        ));
    }
    let name = match signed_in_name {
        Some(name) => name.to_owned(),
        None => text::clean_name(input.author_name.as_deref().unwrap_or("")),
    };
    if name.is_empty() {
        errors.push(FieldError::new("author_name", "is required (and must have something visible in it)"));
    } else if name.chars().count() > MAX_NAME_CHARS || text::control_character(&name).is_some() {
        errors.push(FieldError::new(
            "author_name",
            format!("must be at most {MAX_NAME_CHARS} plain characters"),
        ));
    }
    let email = input.author_email.as_deref().map(str::trim).filter(|e| !e.is_empty());
    let email = match email.map(crate::user::normalize_email) {
        None => None,
        Some(Ok(e)) => Some(e),
        Some(Err(_)) => {
            errors.push(FieldError::new("author_email", "is not an email address (it is optional)"));
            None
        }
    };
    if input.notify_replies && signed_in_name.is_none() && email.is_none() && errors.is_empty() {
        errors.push(FieldError::new("author_email", "is needed to tell you of replies"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ValidComment {
        body_html: render_comment(&body),
        body_markdown: body,
        author_name: name,
        author_email: email,
    })
}

/// The safe Markdown subset of comments: paragraphs, emphasis, lists, quotes, inline code
/// and links (http, https, mailto, marked `nofollow ugc`). No headings, images or tables;
/// raw HTML never passes.
pub fn render_comment(markdown: &str) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH));
    COMMENT_SANITIZER.clean(&html).to_string()
}

/// Built once: a builder is a dozen hash sets, and making them cost as much as cleaning
/// a short comment.
static COMMENT_SANITIZER: std::sync::LazyLock<ammonia::Builder<'static>> = std::sync::LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.add_tags(["p", "br", "em", "strong", "del", "ul", "ol", "li", "blockquote", "code", "pre", "a"])
        .add_tag_attributes("a", ["href"])
        .add_tag_attributes("ol", ["start"])
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(Some("nofollow ugc noopener"));
    b
});

/// How long a commenter may edit or delete their own comment.
pub fn within_edit_window(comment: &Comment, window: Duration, now: DateTime<Utc>) -> bool {
    now - comment.created_at <= window
}

/// What deleting a comment does: a comment with replies becomes a placeholder that keeps
/// them readable; one without replies disappears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    Placeholder,
    Remove,
}

/// Who is looking at (or writing in) a discussion: a signed-in user, a guest's browser
/// (by the hash of the token it holds), both, or neither.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub user: Option<User>,
    pub guest_token_hash: Option<String>,
}

impl Viewer {
    pub fn anonymous() -> Self {
        Viewer::default()
    }

    pub fn moderates(&self) -> bool {
        self.user.as_ref().is_some_and(User::can_moderate)
    }

    /// Whether this viewer wrote `c`: the same user, or the same guest browser.
    pub fn wrote(&self, c: &Comment) -> bool {
        match (c.user_id, &c.guest_token_hash) {
            (Some(author), _) => self.user.as_ref().is_some_and(|u| u.id == author),
            (None, Some(hash)) => self.guest_token_hash.as_deref() == Some(hash.as_str()),
            (None, None) => false,
        }
    }

    /// Its author may edit a comment for a while after posting it.
    pub fn may_edit(&self, c: &Comment, window: Duration, now: DateTime<Utc>) -> bool {
        self.wrote(c) && c.status != CommentStatus::Deleted && within_edit_window(c, window, now)
    }

    /// A signed-in author may delete their comment at any time; a guest, whose only proof
    /// is a cookie, within the edit window; a moderator, always.
    pub fn may_delete(&self, c: &Comment, window: Duration, now: DateTime<Utc>) -> bool {
        if c.status == CommentStatus::Deleted {
            return false;
        }
        self.moderates() || (self.wrote(c) && (c.user_id.is_some() || within_edit_window(c, window, now)))
    }

    /// Flags are for readers the site can recognise again (an account, or a guest browser
    /// where guests are welcome: one without a token gets one), on other people's
    /// published comments.
    pub fn may_flag(&self, c: &Comment, allow_guests: bool) -> bool {
        c.status == CommentStatus::Published && !self.wrote(c) && (self.user.is_some() || allow_guests)
    }

    /// Votes are for signed-in readers, on other people's comments.
    pub fn may_vote(&self, c: &Comment) -> bool {
        self.user.is_some() && !self.wrote(c) && c.status == CommentStatus::Published
    }
}

/// A published guest comment for the unit tests.
#[cfg(test)]
pub(crate) fn test_comment(id: i64, parent: Option<&Comment>) -> Comment {
    Comment {
        id,
        article_id: 1,
        parent_id: parent.map(|p| p.id),
        root_id: parent.map_or(id, |p| p.root_id),
        depth: parent.map_or(0, |p| p.depth + 1),
        path: child_path(parent.map(|p| p.path.as_str()), id),
        status: CommentStatus::Published,
        body_markdown: String::new(),
        body_html: String::new(),
        author_name: format!("user{id}"),
        user_id: None,
        guest_token_hash: None,
        score: 0,
        created_at: Utc::now(),
        edited_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comment::test_comment as comment;

    #[test]
    fn paths_sort_in_display_order() {
        let a = comment(9, None);
        let a1 = comment(10, Some(&a));
        let b = comment(11, None);
        let a2 = comment(100, Some(&a));
        let mut paths = vec![b.path.clone(), a2.path.clone(), a1.path.clone(), a.path.clone()];
        paths.sort();
        assert_eq!(paths, [a.path, a1.path, a2.path, b.path]);
        assert_eq!(child_path(Some("000000000009"), 10), "000000000009.000000000010");
    }

    #[test]
    fn deep_paths_stop_growing_and_keep_posting_order() {
        let mut path = child_path(None, 1);
        for id in 2..=100 {
            path = child_path(Some(&path), id);
        }
        assert_eq!(path.split('.').count(), MAX_PATH_SEGMENTS);
        assert!(path.ends_with(".000000000100") && path.len() < 2_000);
        let next = child_path(Some(&path), 101);
        assert_eq!(placement_parent(&next), placement_parent(&path), "placed beside its parent");
        assert!(next > path, "after it, in the order of posting");
    }

    #[test]
    fn validates_body_name_and_email() {
        let ok =
            CommentInput { body: "  *Hi*  ".into(), author_name: Some(" Ann ".into()), ..Default::default() };
        let v = validate(&ok, None).unwrap();
        assert_eq!((v.body_html.as_str(), v.author_name.as_str()), ("<p><em>Hi</em></p>\n", "Ann"));
        let fields = |input: &CommentInput, user: Option<&str>| {
            validate(input, user).unwrap_err().into_iter().map(|e| e.field).collect::<Vec<_>>()
        };
        let empty =
            CommentInput { body: " \n ".into(), author_email: Some("nope".into()), ..Default::default() };
        assert_eq!(fields(&empty, None), ["body", "author_name", "author_email"]);
        let long = CommentInput { body: "x".repeat(MAX_COMMENT_CHARS + 1), ..Default::default() };
        assert_eq!(fields(&long, Some("Staff")), ["body"]);
        assert_eq!(
            validate(&CommentInput { body: "x".into(), ..Default::default() }, Some("Staff"))
                .unwrap()
                .author_name,
            "Staff"
        );
    }

    #[test]
    fn comments_keep_a_safe_subset() {
        let html = render_comment(
            "# Title\n\n1. one\n2. two\n\n> quoted\n\n[ok](https://example.org) [bad](javascript:alert(1)) ![img](https://x/y.png) <script>x</script> <b onclick=x>b</b> `code`",
        );
        assert!(
            html.contains("<ol>") && html.contains("<blockquote>") && html.contains("<code>code</code>"),
            "{html}"
        );
        assert!(
            html.contains(r#"<a href="https://example.org" rel="nofollow ugc noopener">ok</a>"#),
            "{html}"
        );
        for banned in ["<h1", "javascript:", "<img", "<script", "onclick", "<b>"] {
            assert!(!html.contains(banned), "{banned} in {html}");
        }
    }

    #[test]
    fn edit_and_delete_rights_follow_the_author_and_the_window() {
        let mut c = comment(1, None);
        c.created_at = Utc::now() - Duration::minutes(20);
        assert!(!within_edit_window(&c, Duration::minutes(15), Utc::now()));
        assert!(within_edit_window(&c, Duration::minutes(30), Utc::now()));
        let guest = Viewer { guest_token_hash: Some("mine".into()), ..Viewer::default() };
        c.guest_token_hash = Some("mine".into());
        assert!(guest.wrote(&c) && !Viewer::anonymous().wrote(&c));
        assert!(!guest.may_edit(&c, Duration::minutes(15), Utc::now()), "the window has passed");
        assert!(!guest.may_delete(&c, Duration::minutes(15), Utc::now()));
        assert!(guest.may_delete(&c, Duration::minutes(30), Utc::now()));
        c.status = CommentStatus::Deleted;
        assert!(!guest.may_edit(&c, Duration::minutes(30), Utc::now()));
    }
}
