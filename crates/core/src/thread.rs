//! How a thread is shown: the order of siblings (oldest, newest, best) with the tree kept
//! intact, pages of top-level threads by keyset cursor, how much of a thread one page
//! holds (in breadth and in depth), what each viewer may see, and indentation. Everything
//! here is iterative, so a chain ten thousand deep is fine.

use std::cmp::Ordering;
use std::collections::HashMap;

use crate::comment::{Comment, CommentStatus, Viewer};

/// The order of comments under the same parent (and of the top-level threads).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CommentSort {
    #[default]
    Oldest,
    Newest,
    /// Highest score first; ties oldest first.
    Best,
}

impl CommentSort {
    pub const ALL: [CommentSort; 3] = [CommentSort::Oldest, CommentSort::Newest, CommentSort::Best];

    pub fn as_str(self) -> &'static str {
        match self {
            CommentSort::Oldest => "oldest",
            CommentSort::Newest => "newest",
            CommentSort::Best => "best",
        }
    }

    /// An absent or empty value is the default order; anything else unknown is refused.
    pub fn parse(s: Option<&str>) -> Result<Self, CursorError> {
        match s.unwrap_or("") {
            "" => Ok(CommentSort::default()),
            s => CommentSort::ALL.into_iter().find(|o| o.as_str() == s).ok_or(CursorError::Sort),
        }
    }

    /// How two siblings compare in this order.
    pub fn compare(self, a: &Comment, b: &Comment) -> Ordering {
        match self {
            CommentSort::Oldest => a.id.cmp(&b.id),
            CommentSort::Newest => b.id.cmp(&a.id),
            CommentSort::Best => b.score.cmp(&a.score).then(a.id.cmp(&b.id)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("sort must be oldest, newest or best")]
    Sort,
    #[error("the cursor is not one this site made")]
    Cursor,
}

/// Where a page of top-level threads ends: the last top-level comment shown (its score
/// matters only to the best-first order). The next page starts right after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub id: i64,
    pub score: i64,
}

impl Cursor {
    pub fn after(c: &Comment) -> Self {
        Cursor { id: c.id, score: c.score }
    }

    /// `"{id}"`, or `"{score}_{id}"` for the best-first order.
    pub fn encode(&self, sort: CommentSort) -> String {
        match sort {
            CommentSort::Best => format!("{}_{}", self.score, self.id),
            _ => self.id.to_string(),
        }
    }

    pub fn parse(sort: CommentSort, s: &str) -> Result<Self, CursorError> {
        let number = |t: &str| t.parse::<i64>().map_err(|_| CursorError::Cursor);
        match (sort, s.split_once('_')) {
            (CommentSort::Best, Some((score, id))) => Ok(Cursor { id: number(id)?, score: number(score)? }),
            (CommentSort::Oldest | CommentSort::Newest, None) => Ok(Cursor { id: number(s)?, score: 0 }),
            _ => Err(CursorError::Cursor),
        }
    }
}

/// How much of a discussion one page holds, so that no page grows without bound however
/// many replies a comment gets or however deep a chain goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimits {
    /// Replies shown under one comment; the rest are behind a "more replies" link.
    pub replies_per_level: usize,
    /// Levels of replies shown below a page's top comments; deeper replies are behind a
    /// "continue this thread" link.
    pub levels: u32,
    /// A page stops at this many comments...
    pub max_comments: usize,
    /// ...or at this many bytes of comment text, whichever comes first.
    pub max_bytes: usize,
}

impl PageLimits {
    pub const DEFAULT: PageLimits =
        PageLimits { replies_per_level: 10, levels: 8, max_comments: 300, max_bytes: 1_000_000 };
}

/// A comment as a page's outline knows it: its place and its text's size, not the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outlined {
    pub comment: Comment,
    pub text_bytes: usize,
}

/// Replies of `parent_id` left off a page: the next ones come after `after` (from the
/// first when `None`), at `level` below the page's top comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoreReplies {
    pub parent_id: i64,
    pub after: Option<Cursor>,
    pub level: u32,
}

/// A comment a page shows, with what follows it that the page does not show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub comment: Comment,
    /// Its replies are deeper than the page goes: they continue on a page of their own.
    pub continues: bool,
    /// The replies left off after this comment (and its shown replies), innermost first.
    pub more_after: Vec<MoreReplies>,
}

/// What one page shows of some top comments and the replies below them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trimmed {
    /// In display order: each comment directly followed by its shown replies.
    pub shown: Vec<Shown>,
    /// How many of the top comments fit (at least one); the next page starts after them.
    pub tops_shown: usize,
}

/// Chooses what one page shows: `tops` in their order, each followed by its replies from
/// `below` (any order; siblings sorted by `sort`), at most `replies_per_level` under any
/// comment and `levels` deep, until the page holds `max_comments` or `max_bytes`. Leaves
/// a [`MoreReplies`] wherever replies were left off, so every reply stays reachable.
pub fn trim(tops: Vec<Outlined>, below: Vec<Outlined>, sort: CommentSort, limits: PageLimits) -> Trimmed {
    let mut children: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, o) in below.iter().enumerate() {
        if let Some(parent) = o.comment.parent_id {
            children.entry(parent).or_default().push(i);
        }
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| sort.compare(&below[*a].comment, &below[*b].comment));
    }
    let cursors: Vec<Cursor> = below.iter().map(|o| Cursor::after(&o.comment)).collect();
    let mut below: Vec<Option<Outlined>> = below.into_iter().map(Some).collect();
    let mut page = PageFill { limits, shown: Vec::new(), bytes: 0 };
    let mut tops_shown = 0;
    for top in tops {
        if tops_shown > 0 && page.is_full(top.text_bytes) {
            break;
        }
        tops_shown += 1;
        let top_id = top.comment.id;
        page.push(top);
        // The open levels of a depth-first walk: whose replies, how many shown, how deep.
        let mut stack = vec![(top_id, 0usize, 1u32)];
        while let Some((parent, next, level)) = stack.last_mut() {
            let replies = children.get(parent).map_or(&[][..], Vec::as_slice);
            let Some(&i) = replies.get(*next) else {
                stack.pop();
                continue;
            };
            let size = below[i].as_ref().map_or(0, |o| o.text_bytes);
            if *next >= limits.replies_per_level || page.is_full(size) {
                let after = (*next > 0).then(|| cursors[replies[*next - 1]]);
                let more = MoreReplies { parent_id: *parent, after, level: *level };
                page.shown.last_mut().expect("the top comment is shown").more_after.push(more);
                stack.pop();
                continue;
            }
            *next += 1;
            let level = *level;
            let Some(reply) = below[i].take() else { continue };
            let (id, has_replies) = (reply.comment.id, children.contains_key(&reply.comment.id));
            page.push(reply);
            if has_replies && level >= limits.levels {
                page.shown.last_mut().expect("just pushed").continues = true;
            } else if has_replies {
                stack.push((id, 0, level + 1));
            }
        }
    }
    Trimmed { shown: page.shown, tops_shown }
}

/// A page as [`trim`] fills it.
struct PageFill {
    limits: PageLimits,
    shown: Vec<Shown>,
    bytes: usize,
}

impl PageFill {
    fn is_full(&self, next_bytes: usize) -> bool {
        self.shown.len() >= self.limits.max_comments || self.bytes + next_bytes > self.limits.max_bytes
    }

    fn push(&mut self, o: Outlined) {
        self.bytes += o.text_bytes;
        self.shown.push(Shown { comment: o.comment, continues: false, more_after: Vec::new() });
    }
}

/// How a comment appears to a viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appearance {
    /// Its text and author. For a pending comment, marked "awaiting moderation".
    Full,
    /// Deleted by its author, kept because replies hang from it.
    Deleted,
    /// Hidden by a moderator (or not yet approved), kept because visible replies hang from it.
    Removed,
}

/// A comment placed for display: how it appears, its indentation (capped) and, past the
/// cap, whom it answers, since indentation alone no longer shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed<'a> {
    pub comment: &'a Comment,
    pub appearance: Appearance,
    pub indent: u32,
    pub in_reply_to: Option<&'a str>,
}

/// What `viewer` sees of comments in display order: their own pending comments and, for a
/// moderator, everything; a comment they may not see shows as a placeholder when replies
/// they may see hang from it, and not at all otherwise. Indentation counts from
/// `base_depth` (the depth of the page's top comments).
pub fn visible<'a>(
    comments: &'a [Comment],
    viewer: &Viewer,
    max_indent: u32,
    base_depth: u32,
) -> Vec<Placed<'a>> {
    let sees_text = |c: &Comment| match c.status {
        CommentStatus::Published => true,
        CommentStatus::Pending => viewer.moderates() || viewer.wrote(c),
        CommentStatus::Rejected => viewer.moderates(),
        CommentStatus::Deleted => false,
    };
    // Replies come after their parent, so one backward pass tells which comments have a
    // visible reply somewhere below them.
    let mut has_visible_reply: HashMap<i64, bool> = HashMap::new();
    for c in comments.iter().rev() {
        let shown = sees_text(c) || has_visible_reply.get(&c.id).copied().unwrap_or(false);
        if shown && let Some(parent) = c.parent_id {
            has_visible_reply.insert(parent, true);
        }
    }
    let mut names: HashMap<i64, &str> = HashMap::new();
    let mut placed = Vec::with_capacity(comments.len());
    for c in comments {
        let appearance = if sees_text(c) {
            Appearance::Full
        } else if has_visible_reply.get(&c.id).copied().unwrap_or(false) {
            if c.status == CommentStatus::Deleted { Appearance::Deleted } else { Appearance::Removed }
        } else {
            continue;
        };
        names.insert(c.id, if appearance == Appearance::Full { &c.author_name } else { "a removed comment" });
        let depth = c.depth.saturating_sub(base_depth);
        let in_reply_to = match c.parent_id {
            Some(parent) if depth > max_indent => names.get(&parent).copied(),
            _ => None,
        };
        placed.push(Placed { comment: c, appearance, indent: depth.min(max_indent), in_reply_to });
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comment::test_comment as comment;
    use crate::user::{Role, User};

    /// 1 (score 0) with replies 2 (score 5) and 4 (score 9); 3 (score 2) with reply 5.
    fn forest() -> Vec<Comment> {
        let mut one = comment(1, None);
        let mut two = comment(2, Some(&one));
        let mut three = comment(3, None);
        let mut four = comment(4, Some(&one));
        let five = comment(5, Some(&three));
        (one.score, two.score, three.score, four.score) = (0, 5, 2, 9);
        let mut all = vec![one, two, four, three, five];
        all.sort_by(|a, b| a.path.cmp(&b.path));
        all
    }

    #[test]
    fn sorts_siblings_and_keeps_each_reply_under_its_parent() {
        // The store gives the tops in the page's order; their replies in any order.
        let page = |tops: [usize; 2], sort| {
            let all = forest(); // 1, 2, 4, 3, 5
            let top = tops.iter().map(|&i| all[i].clone()).collect();
            let below = [1, 2, 4].iter().map(|&i| all[i].clone()).collect();
            shown_ids(&trim(outlined(top), outlined(below), sort, PageLimits::DEFAULT))
        };
        assert_eq!(page([0, 3], CommentSort::Oldest), [1, 2, 4, 3, 5]);
        assert_eq!(page([3, 0], CommentSort::Newest), [3, 5, 1, 4, 2]);
        assert_eq!(page([3, 0], CommentSort::Best), [3, 5, 1, 4, 2]);
    }

    #[test]
    fn cursors_round_trip_and_refuse_forgeries() {
        let c = Cursor { id: 42, score: -3 };
        assert_eq!(Cursor::parse(CommentSort::Best, &c.encode(CommentSort::Best)), Ok(c));
        assert_eq!(Cursor::parse(CommentSort::Newest, "42"), Ok(Cursor { id: 42, score: 0 }));
        for (sort, bad) in
            [(CommentSort::Oldest, "4_2"), (CommentSort::Best, "42"), (CommentSort::Oldest, "x")]
        {
            assert_eq!(Cursor::parse(sort, bad), Err(CursorError::Cursor), "{bad}");
        }
        assert_eq!(CommentSort::parse(Some("loudest")), Err(CursorError::Sort));
        assert_eq!(CommentSort::parse(None), Ok(CommentSort::Oldest));
    }

    #[test]
    fn deep_chains_are_placed_without_recursion_and_name_whom_they_answer() {
        let mut chain = vec![comment(1, None)];
        for id in 2..=10_000 {
            let next = comment(id, chain.last());
            chain.push(next);
        }
        let placed = visible(&chain, &Viewer::anonymous(), 6, 0);
        assert_eq!(placed.len(), 10_000);
        assert_eq!((placed[3].indent, placed[3].in_reply_to), (3, None));
        assert_eq!((placed[9_999].indent, placed[9_999].in_reply_to), (6, Some("user9999")));
    }

    fn outlined(cs: Vec<Comment>) -> Vec<Outlined> {
        cs.into_iter().map(|comment| Outlined { comment, text_bytes: 100 }).collect()
    }

    fn shown_ids(t: &Trimmed) -> Vec<i64> {
        t.shown.iter().map(|s| s.comment.id).collect()
    }

    const SMALL: PageLimits =
        PageLimits { replies_per_level: 3, levels: 2, max_comments: 300, max_bytes: 1_000_000 };

    #[test]
    fn a_flood_of_replies_shows_the_first_few_and_a_link_to_the_rest() {
        let top = comment(1, None);
        let replies: Vec<Comment> = (2..=1_501).map(|id| comment(id, Some(&top))).collect();
        let t = trim(outlined(vec![top]), outlined(replies), CommentSort::Oldest, SMALL);
        assert_eq!(shown_ids(&t), [1, 2, 3, 4]);
        let more = MoreReplies { parent_id: 1, after: Some(Cursor { id: 4, score: 0 }), level: 1 };
        assert_eq!(t.shown[3].more_after, [more]);
        assert_eq!(t.tops_shown, 1);
    }

    #[test]
    fn a_deep_chain_continues_on_another_page() {
        let mut chain = vec![comment(1, None)];
        for id in 2..=400 {
            let next = comment(id, chain.last());
            chain.push(next);
        }
        let top = chain.remove(0);
        let t = trim(outlined(vec![top]), outlined(chain), CommentSort::Oldest, SMALL);
        assert_eq!(shown_ids(&t), [1, 2, 3]);
        assert!(t.shown[2].continues && !t.shown[1].continues);
    }

    #[test]
    fn a_page_stops_at_its_size_and_says_where_the_rest_is() {
        let tops: Vec<Comment> = (1..=5).map(|id| comment(id, None)).collect();
        let replies: Vec<Comment> = (0..5).map(|i| comment(10 + i, Some(&tops[i as usize]))).collect();
        let limits = PageLimits { max_comments: 5, ..SMALL };
        let t = trim(outlined(tops.clone()), outlined(replies.clone()), CommentSort::Oldest, limits);
        assert_eq!((shown_ids(&t), t.tops_shown), (vec![1, 10, 2, 11, 3], 3));
        assert_eq!(t.shown[4].more_after, [MoreReplies { parent_id: 3, after: None, level: 1 }]);
        let by_bytes = PageLimits { max_bytes: 250, ..SMALL };
        let t = trim(outlined(tops), outlined(replies), CommentSort::Oldest, by_bytes);
        assert_eq!((shown_ids(&t), t.tops_shown), (vec![1, 10], 1));
    }

    #[test]
    fn hidden_comments_become_placeholders_only_above_visible_replies() {
        let mut cs = forest(); // 1, 2, 4, 3, 5
        cs[0].status = CommentStatus::Deleted; // 1 has visible replies
        cs[3].status = CommentStatus::Rejected; // 3 is hidden ...
        cs[4].status = CommentStatus::Pending; // ... and so is its only reply
        cs[4].guest_token_hash = Some("me".into());
        let seen = |v: &Viewer| {
            visible(&cs, v, 6, 0).iter().map(|p| (p.comment.id, p.appearance)).collect::<Vec<_>>()
        };
        use Appearance::*;
        assert_eq!(seen(&Viewer::anonymous()), [(1, Deleted), (2, Full), (4, Full)]);
        let author = Viewer { guest_token_hash: Some("me".into()), ..Viewer::default() };
        assert_eq!(seen(&author), [(1, Deleted), (2, Full), (4, Full), (3, Removed), (5, Full)]);
        let moderator = Viewer {
            user: Some(User {
                id: 7,
                email: "m@example.org".into(),
                name: "Mo".into(),
                role: Role::Moderator,
                author: None,
                created_at: chrono::Utc::now(),
                disabled: false,
                must_change_password: false,
            }),
            guest_token_hash: None,
        };
        assert_eq!(seen(&moderator), [(1, Deleted), (2, Full), (4, Full), (3, Full), (5, Full)]);
    }
}
