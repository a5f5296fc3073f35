//! The people who run a site, their roles, and what each role may do.

use chrono::{DateTime, Utc};

use crate::article::{Article, NamedLink};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything, including users and (later) the funding goal.
    Admin,
    /// Writes and publishes any article.
    Editor,
    /// Writes and publishes their own articles only.
    Author,
    /// Looks after the discussion; no access to articles.
    Moderator,
    /// A registered reader: comments and votes under their own name; no access to the admin.
    Reader,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Admin, Role::Editor, Role::Author, Role::Moderator, Role::Reader];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Author => "author",
            Role::Moderator => "moderator",
            Role::Reader => "reader",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// The byline this user writes under; articles crediting it are theirs.
    pub author: Option<NamedLink>,
    pub created_at: DateTime<Utc>,
    /// An admin disabled the account: it cannot sign in and has no sessions.
    pub disabled: bool,
    /// An admin gave this user a password to replace: they set their own before anything else.
    pub must_change_password: bool,
}

impl User {
    pub fn can_manage_users(&self) -> bool {
        self.role == Role::Admin
    }

    /// Hides, approves and deletes any reader's comment.
    pub fn can_moderate(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Editor | Role::Moderator)
    }

    pub fn can_write_articles(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Editor | Role::Author)
    }

    /// Admins and editors edit any article.
    pub fn can_edit_any(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Editor)
    }

    /// Admins and editors edit any article; an author only those that credit them.
    pub fn can_edit(&self, article: &Article) -> bool {
        match self.role {
            Role::Admin | Role::Editor => true,
            Role::Author => self.is_credited_on(&article.authors),
            Role::Moderator | Role::Reader => false,
        }
    }

    pub fn is_credited_on(&self, authors: &[NamedLink]) -> bool {
        self.author.as_ref().is_some_and(|me| authors.iter().any(|a| a.slug == me.slug))
    }
}

/// A new user as an admin types it in.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("email: \"{0}\" is not an email address")]
    InvalidEmail(String),
    #[error("name: is required")]
    MissingName,
    #[error("name: must be plain text (no control characters)")]
    InvalidName,
    #[error("password: {0}")]
    Password(String),
    #[error("email: a user with this email already exists")]
    EmailTaken,
    #[error("name: at most {NAME_MAX_CHARS} characters")]
    NameTooLong,
}

/// A display name's longest form: it sits beside comments and in bylines.
pub const NAME_MAX_CHARS: usize = 80;

/// A display name as it will be shown (see `text::clean_name`), or why it cannot be one.
pub fn valid_name(name: &str) -> Result<String, UserError> {
    let name = crate::text::clean_name(name);
    if crate::text::control_character(&name).is_some() {
        return Err(UserError::InvalidName);
    }
    if name.is_empty() {
        return Err(UserError::MissingName);
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(UserError::NameTooLong);
    }
    Ok(name)
}

/// Lowercases and trims an email; refuses what cannot be an address.
pub fn normalize_email(email: &str) -> Result<String, UserError> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == '"')
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        });
    if valid { Ok(email) } else { Err(UserError::InvalidEmail(email)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::slug::Slug;

    fn user(role: Role, author: &str) -> User {
        User {
            id: 1,
            email: "a@b.example".into(),
            name: "A".into(),
            role,
            author: Some(NamedLink { slug: Slug::parse(author).unwrap(), name: author.into() }),
            created_at: Utc::now(),
            disabled: false,
            must_change_password: false,
        }
    }

    #[test]
    fn authors_edit_only_what_credits_them() {
        let mine = vec![NamedLink { slug: Slug::parse("ada").unwrap(), name: "Ada".into() }];
        assert!(user(Role::Author, "ada").is_credited_on(&mine));
        assert!(!user(Role::Author, "bob").is_credited_on(&mine));
    }

    #[test]
    fn normalizes_emails() {
        assert_eq!(normalize_email("  Ada@Example.ORG ").unwrap(), "ada@example.org");
        for bad in ["", "ada", "ada@", "@x.org", "ada@localhost", "a b@x.org", "a@x.org@y.org", "<a@x.org>"] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }
}
