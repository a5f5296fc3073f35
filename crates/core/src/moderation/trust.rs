//! New commenters: until a moderator has approved a few of their comments, a commenter's
//! new comments wait for one (as Discourse's trust levels grow with accepted posts). A
//! spammer's first comments never reach readers; a regular is never slowed again.

use super::{Outcome, Reason};
use crate::comment::Viewer;
use crate::user::Role;

/// Whether `author` must first earn trust: readers and guests do; the site's staff (who
/// write, edit and moderate it) do not.
pub fn applies_to(author: &Viewer) -> bool {
    author.user.as_ref().is_none_or(|u| u.role == Role::Reader)
}

/// The reason a comment is held when its author has `approved` of the `needed` approved
/// comments.
pub fn new_commenter(approved: u32, needed: u32) -> Reason {
    Reason {
        signal: "new commenter",
        outcome: Outcome::Hold,
        detail: format!(
            "a new commenter: {approved} approved comment{} of the {needed} this site asks before publishing at once",
            if approved == 1 { "" } else { "s" }
        ),
        score: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::User;

    #[test]
    fn staff_are_trusted_readers_and_guests_earn_it() {
        let user = |role| {
            Some(User {
                id: 1,
                email: "a@example.org".into(),
                name: "A".into(),
                role,
                author: None,
                created_at: chrono::Utc::now(),
                disabled: false,
                must_change_password: false,
            })
        };
        assert!(applies_to(&Viewer { user: None, guest_token_hash: Some("g".into()) }));
        assert!(applies_to(&Viewer { user: user(Role::Reader), guest_token_hash: None }));
        for role in [Role::Admin, Role::Editor, Role::Author, Role::Moderator] {
            assert!(!applies_to(&Viewer { user: user(role), guest_token_hash: None }), "{role:?}");
        }
        assert!(new_commenter(1, 2).detail.contains("1 approved comment of the 2"));
    }
}
