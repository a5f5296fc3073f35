//! The admin's list of articles: which ones (state as an editor reads it, byline, tag,
//! words), newest first, a page at a time from a keyset cursor, so page 200 of a large
//! imported site costs what page 1 does.

use chrono::{DateTime, Utc};

use crate::article::{Article, ArticleStatus};
use crate::search::{SearchError, SearchQuery};
use crate::slug::Slug;

/// What the list shows; every filter given applies.
#[derive(Debug, Clone, Default)]
pub struct ArticleListQuery {
    /// The state as `Article::status_at(now)` reads it: a scheduled article whose time has
    /// come is among the published.
    pub status: Option<ArticleStatus>,
    pub author: Option<Slug>,
    pub tag: Option<Slug>,
    pub search: Option<SearchQuery>,
    /// Only articles after this one in the list's order (the next page).
    pub after: Option<ListCursor>,
}

/// A place in the list: an article's creation time and id (its order, newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListCursor {
    pub created_at: DateTime<Utc>,
    pub id: i64,
}

impl ListCursor {
    pub fn of(article: &Article) -> Self {
        ListCursor { created_at: article.created_at, id: article.id }
    }

    /// `SECONDS.ID`, as a link carries it.
    pub fn parse(s: &str) -> Option<Self> {
        let (secs, id) = s.split_once('.')?;
        let created_at = DateTime::from_timestamp(secs.parse().ok()?, 0)?;
        Some(ListCursor { created_at, id: id.parse().ok().filter(|id| *id > 0)? })
    }
}

impl std::fmt::Display for ListCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.created_at.timestamp(), self.id)
    }
}

/// Why a list's filters were refused, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    #[error("status: \"{0}\" is not draft, scheduled or published")]
    Status(String),
    #[error("{0}: \"{1}\" is not a slug")]
    Slug(&'static str, String),
    #[error("q: {0}")]
    Search(#[from] SearchError),
    #[error("after: \"{0}\" is not a place in the list")]
    Cursor(String),
}

impl ArticleListQuery {
    /// The filters as typed (empty means "any").
    pub fn parse(status: &str, author: &str, tag: &str, q: &str, after: &str) -> Result<Self, ListError> {
        let slug = |field: &'static str, s: &str| match s.trim() {
            "" => Ok(None),
            s => Slug::parse(s).map(Some).map_err(|_| ListError::Slug(field, s.to_owned())),
        };
        Ok(ArticleListQuery {
            status: match status {
                "" => None,
                s => Some(ArticleStatus::parse(s).ok_or_else(|| ListError::Status(s.to_owned()))?),
            },
            author: slug("author", author)?,
            tag: slug("tag", tag)?,
            search: SearchQuery::parse(q)?,
            after: match after {
                "" => None,
                s => Some(ListCursor::parse(s).ok_or_else(|| ListError::Cursor(s.to_owned()))?),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_go_round_and_nonsense_is_refused() {
        let c = ListCursor::parse("1700000000.42").unwrap();
        assert_eq!(c.to_string(), "1700000000.42");
        for bad in ["", "1", "a.b", "1.-3", "1.0", "99999999999999999.1"] {
            assert!(ListCursor::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(
            ArticleListQuery::parse("live", "", "", "", "").unwrap_err().to_string(),
            "status: \"live\" is not draft, scheduled or published"
        );
        assert!(ArticleListQuery::parse("", "Not A Slug", "", "", "").is_err());
    }
}
