//! How a thread is shown: the order of siblings (oldest, newest, best) with the tree kept
//! intact, pages of top-level threads by keyset cursor, what each viewer may see, and
//! indentation. Everything here is iterative, so a chain ten thousand deep is fine.

use std::cmp::Ordering;
use std::collections::HashMap;

use crate::comment::{Comment, CommentStatus, Viewer, placement_parent};

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

/// Reorders comments given in path order so that siblings follow `sort`, each comment
/// still directly followed by its own replies. Siblings are those the paths place together
/// (see [`MAX_PATH_SEGMENTS`](crate::comment::MAX_PATH_SEGMENTS)), so every order keeps
/// the tree that the oldest-first path order shows.
pub fn arrange(comments: Vec<Comment>, sort: CommentSort) -> Vec<Comment> {
    if sort == CommentSort::Oldest {
        return comments; // path order already is oldest-first among siblings
    }
    let position: HashMap<&str, usize> =
        comments.iter().enumerate().map(|(i, c)| (c.path.as_str(), i)).collect();
    let mut roots = Vec::new();
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, c) in comments.iter().enumerate() {
        match placement_parent(&c.path).and_then(|p| position.get(p)) {
            Some(&parent) => children.entry(parent).or_default().push(i),
            None => roots.push(i),
        }
    }
    let by_sort = |a: &usize, b: &usize| sort.compare(&comments[*a], &comments[*b]);
    roots.sort_by(by_sort);
    for list in children.values_mut() {
        list.sort_by(by_sort);
    }
    let mut order = Vec::with_capacity(comments.len());
    let mut stack: Vec<usize> = roots.into_iter().rev().collect();
    while let Some(i) = stack.pop() {
        order.push(i);
        if let Some(list) = children.get(&i) {
            stack.extend(list.iter().rev());
        }
    }
    let mut slots: Vec<Option<Comment>> = comments.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
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
/// they may see hang from it, and not at all otherwise.
pub fn visible<'a>(comments: &'a [Comment], viewer: &Viewer, max_indent: u32) -> Vec<Placed<'a>> {
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
        let in_reply_to = match c.parent_id {
            Some(parent) if c.depth > max_indent => names.get(&parent).copied(),
            _ => None,
        };
        placed.push(Placed { comment: c, appearance, indent: c.depth.min(max_indent), in_reply_to });
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comment::test_comment as comment;
    use crate::user::{Role, User};

    fn ids(cs: &[Comment]) -> Vec<i64> {
        cs.iter().map(|c| c.id).collect()
    }

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
        assert_eq!(ids(&arrange(forest(), CommentSort::Oldest)), [1, 2, 4, 3, 5]);
        assert_eq!(ids(&arrange(forest(), CommentSort::Newest)), [3, 5, 1, 4, 2]);
        assert_eq!(ids(&arrange(forest(), CommentSort::Best)), [3, 5, 1, 4, 2]);
        let mut tied = forest();
        tied[3].score = 0; // comment 3 now ties with 1: the older comes first
        assert_eq!(ids(&arrange(tied, CommentSort::Best)), [1, 4, 2, 3, 5]);
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
        let placed = visible(&chain, &Viewer::anonymous(), 6);
        assert_eq!(placed.len(), 10_000);
        assert_eq!((placed[3].indent, placed[3].in_reply_to), (3, None));
        assert_eq!((placed[9_999].indent, placed[9_999].in_reply_to), (6, Some("user9999")));
        // Past the path's depth limit the chain is flat, so another order turns it around
        // there, and keeps the tree above it.
        let newest = arrange(chain, CommentSort::Newest);
        assert_eq!(newest.len(), 10_000);
        assert_eq!(ids(&newest[..3]), [1, 2, 3]);
        assert_eq!(newest[31].id, 10_000);
    }

    #[test]
    fn hidden_comments_become_placeholders_only_above_visible_replies() {
        let mut cs = forest(); // 1, 2, 4, 3, 5
        cs[0].status = CommentStatus::Deleted; // 1 has visible replies
        cs[3].status = CommentStatus::Rejected; // 3 is hidden ...
        cs[4].status = CommentStatus::Pending; // ... and so is its only reply
        cs[4].guest_token_hash = Some("me".into());
        let seen =
            |v: &Viewer| visible(&cs, v, 6).iter().map(|p| (p.comment.id, p.appearance)).collect::<Vec<_>>();
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
            }),
            guest_token_hash: None,
        };
        assert_eq!(seen(&moderator), [(1, Deleted), (2, Full), (4, Full), (3, Full), (5, Full)]);
    }
}
