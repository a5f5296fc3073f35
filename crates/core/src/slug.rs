//! URL slugs: the stable, human-readable part of an article's, tag's or author's address.

use std::fmt;

/// The longest slug we accept; longer ones make unreadable URLs and are almost always a
/// pasted title.
pub const MAX_SLUG_LEN: usize = 100;

/// A validated slug: lowercase ASCII letters and digits in groups joined by single hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("a slug cannot be empty")]
    Empty,
    #[error("a slug can have at most {MAX_SLUG_LEN} characters")]
    TooLong,
    #[error(
        "\"{0}\" is not a valid slug: use lowercase letters, digits and single hyphens, e.g. \"my-first-article\""
    )]
    Invalid(String),
}

impl Slug {
    /// Accepts `s` only if it already is a well-formed slug.
    pub fn parse(s: &str) -> Result<Self, SlugError> {
        if s.is_empty() {
            return Err(SlugError::Empty);
        }
        if s.len() > MAX_SLUG_LEN {
            return Err(SlugError::TooLong);
        }
        let well_formed = s.split('-').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
        if !well_formed {
            return Err(SlugError::Invalid(s.to_owned()));
        }
        Ok(Slug(s.to_owned()))
    }

    /// Derives a slug from free text such as a title or a person's name
    /// ("Émile Zola" becomes "emile-zola"). Fails only when nothing usable is left.
    pub fn from_text(text: &str) -> Result<Self, SlugError> {
        let mut slug = slug::slugify(text);
        if slug.len() > MAX_SLUG_LEN {
            slug.truncate(MAX_SLUG_LEN);
            slug = slug.trim_end_matches('-').to_owned();
        }
        Slug::parse(&slug)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `n`th alternative to a slug that is taken (`vote-2`, `vote-3`...), still within
    /// the length limit.
    pub fn numbered(&self, n: u32) -> Slug {
        let suffix = format!("-{n}");
        let kept = self.0[..self.0.len().min(MAX_SLUG_LEN - suffix.len())].trim_end_matches('-');
        Slug(format!("{kept}{suffix}"))
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Slug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_numbered_slug_stays_a_slug_within_the_limit() {
        assert_eq!(Slug::parse("vote").unwrap().numbered(2).as_str(), "vote-2");
        let long = Slug::parse(&"a".repeat(MAX_SLUG_LEN)).unwrap().numbered(12);
        assert_eq!(long.as_str().len(), MAX_SLUG_LEN);
        assert!(long.as_str().ends_with("a-12") && Slug::parse(long.as_str()).is_ok());
    }

    #[test]
    fn accepts_well_formed_slugs() {
        for ok in ["a", "my-first-article", "2020-07-report", "x1-y2"] {
            assert_eq!(Slug::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn refuses_malformed_slugs() {
        for bad in ["", "-a", "a-", "a--b", "A", "a b", "a_b", "é", "../etc", "a/b"] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(Slug::parse(&"a".repeat(101)), Err(SlugError::TooLong));
    }

    #[test]
    fn derives_slugs_from_titles() {
        assert_eq!(Slug::from_text("Émile Zola's \"J'accuse\"!").unwrap().as_str(), "emile-zola-s-j-accuse");
        assert_eq!(Slug::from_text(&"long ".repeat(50)).unwrap().as_str().len(), 99);
        assert!(Slug::from_text("!!!").is_err());
    }
}
