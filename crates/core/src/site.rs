//! The publisher's settings: what an admin changes from the browser (the site's name, its
//! ways to give, how discussions run). The configuration gives their defaults; the stored
//! values override them. One rule per field, used both for a submitted form and for what
//! is read back from the store, so a value stored by an older version cannot break a page.

use std::collections::BTreeMap;

use crate::article::FieldError;
use crate::moderators::digest::DigestFrequency;

/// The store keeps each setting under this prefix, beside the site's other values.
pub const STORED_PREFIX: &str = "site.";

/// How new comments are treated, site-wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModerationMode {
    /// Published at once, unless a signal holds them (the default).
    After,
    /// Every comment waits for a moderator.
    Before,
    /// No new comments anywhere; discussions stay visible.
    Closed,
}

impl ModerationMode {
    pub const ALL: [ModerationMode; 3] =
        [ModerationMode::After, ModerationMode::Before, ModerationMode::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            ModerationMode::After => "after",
            ModerationMode::Before => "before",
            ModerationMode::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ModerationMode::After => "Publish at once, moderate afterwards",
            ModerationMode::Before => "Hold every comment for a moderator",
            ModerationMode::Closed => "Closed: no new comments",
        }
    }

    pub fn parse(s: &str) -> Option<ModerationMode> {
        ModerationMode::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Every setting, in the order the settings page shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteSettings {
    pub site_title: String,
    pub site_description: String,
    pub language: String,
    pub timezone: String,
    /// A path on this site (`/media/…` or `/static/…`), or empty for none.
    pub site_logo: String,
    pub site_icon: String,
    pub support_call: String,
    pub support_card_url: String,
    pub support_bank_details: String,
    pub support_other: String,
    pub comments_allow_guests: bool,
    pub comment_edit_minutes: u32,
    pub comments_close_after_days: u32,
    pub comments_moderation: ModerationMode,
    pub articles_per_page: u32,
    pub supporter_days: u32,
    pub supporters_skip_hold: bool,
    /// How often moderators are mailed the comments held for them.
    pub moderation_digest: DigestFrequency,
    /// Origins whose pages may embed a discussion (see `embed::Origins`), comma-separated.
    pub embed_origins: String,
}

/// Which pages a change of a setting makes stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reach {
    /// Shown on every page (the site's name, language, logo).
    EveryPage,
    /// The lists (front page, tags, authors): how many articles a page holds.
    Lists,
    /// Article pages: the call to give, the comment form.
    Articles,
    /// The funding bar (with its Give button) and /support; also the month's boundaries.
    Funding,
}

/// One setting: its key (as in the config file and the store), how the page names it, and
/// which pages show it.
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub reach: Reach,
}

pub const FIELDS: &[Field] = &[
    Field { key: "site_title", label: "Site title", hint: "Up to 100 characters.", reach: Reach::EveryPage },
    Field {
        key: "site_description",
        label: "Description",
        hint: "One sentence, shown in the footer and to search engines.",
        reach: Reach::EveryPage,
    },
    Field {
        key: "language",
        label: "Language",
        hint: "A language tag such as en, fr or fr-CA.",
        reach: Reach::EveryPage,
    },
    Field {
        key: "timezone",
        label: "Time zone",
        hint: "An IANA name such as Europe/Paris: months, and so goals, begin at its midnight.",
        reach: Reach::Funding,
    },
    Field {
        key: "site_logo",
        label: "Logo",
        hint: "A path on this site, e.g. /media/logo.png; empty for none.",
        reach: Reach::EveryPage,
    },
    Field {
        key: "site_icon",
        label: "Icon",
        hint: "A path on this site, e.g. /media/icon.png; empty for the built-in one.",
        reach: Reach::EveryPage,
    },
    Field {
        key: "support_call",
        label: "Call to give",
        hint: "Shown under every article.",
        reach: Reach::Articles,
    },
    Field {
        key: "support_card_url",
        label: "Card payment link",
        hint: "An https:// address, e.g. a Stripe Payment Link.",
        reach: Reach::Funding,
    },
    Field {
        key: "support_bank_details",
        label: "Bank details",
        hint: "Shown as written.",
        reach: Reach::Funding,
    },
    Field {
        key: "support_other",
        label: "Other ways to give",
        hint: "Shown as written.",
        reach: Reach::Funding,
    },
    Field {
        key: "comments_allow_guests",
        label: "Guests may comment",
        hint: "Otherwise only signed-in readers.",
        reach: Reach::Articles,
    },
    Field {
        key: "comment_edit_minutes",
        label: "Edit window (minutes)",
        hint: "0 to 1440.",
        reach: Reach::Articles,
    },
    Field {
        key: "comments_close_after_days",
        label: "Close discussions after (days)",
        hint: "0 keeps them open.",
        reach: Reach::Articles,
    },
    Field { key: "comments_moderation", label: "Moderation", hint: "", reach: Reach::Articles },
    Field { key: "articles_per_page", label: "Articles per page", hint: "1 to 100.", reach: Reach::Lists },
    Field {
        key: "supporter_days",
        label: "Supporter for (days after each gift)",
        hint: "A reader whose confirmed address gave is a supporter this long; 0 to 3660.",
        // Badges show beside comments, on the articles' pages.
        reach: Reach::Articles,
    },
    Field {
        key: "supporters_skip_hold",
        label: "Supporters skip the new-commenter hold",
        hint: "Their comments publish at once even before a moderator approved any.",
        reach: Reach::Articles,
    },
    Field {
        key: "moderation_digest",
        label: "Mail moderators the held comments",
        hint: "Each moderator gets one message listing what waits for them (when the site sends mail).",
        // Only mail: no page shows it.
        reach: Reach::Articles,
    },
    Field {
        key: "embed_origins",
        label: "Sites that may embed discussions",
        hint: "Origins such as https://blog.example, comma-separated; empty for none.",
        // Framed discussions are rendered per request: no cached page shows this.
        reach: Reach::Articles,
    },
];

pub const MAX_TITLE_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 300;
pub const MAX_CALL_CHARS: usize = 300;
pub const MAX_DETAILS_CHARS: usize = 2000;

/// What an admin submitted: each field's text, and the fields to take back to their default.
#[derive(Debug, Clone, Default)]
pub struct SettingsInput {
    pub values: BTreeMap<String, String>,
    pub use_default: Vec<String>,
}

/// A valid change: values to store (normalised) and keys whose stored value goes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SettingsChange {
    pub set: Vec<(&'static str, String)>,
    pub reset: Vec<&'static str>,
}

impl SettingsChange {
    /// The keys it touches.
    pub fn keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.set.iter().map(|(k, _)| *k).chain(self.reset.iter().copied())
    }
}

impl SettingsChange {
    /// Only what changes: a form posts every field, and a field showing its default that
    /// was never set stays the default (so a later change of the configuration reaches it).
    pub fn against(self, stored: &BTreeMap<String, String>, defaults: &SiteSettings) -> SettingsChange {
        SettingsChange {
            set: self
                .set
                .into_iter()
                .filter(|(k, v)| match stored.get(*k) {
                    Some(old) => old != v,
                    None => defaults.value(k) != *v,
                })
                .collect(),
            reset: self.reset.into_iter().filter(|k| stored.contains_key(*k)).collect(),
        }
    }
}

impl SettingsInput {
    /// Every bad field at once, named, with why.
    pub fn validate(&self) -> Result<SettingsChange, Vec<FieldError>> {
        let mut change = SettingsChange::default();
        let mut errors = Vec::new();
        for field in FIELDS {
            if self.use_default.iter().any(|k| k == field.key) {
                change.reset.push(field.key);
                continue;
            }
            let Some(raw) = self.values.get(field.key) else { continue };
            match check(field.key, raw) {
                Ok(value) => change.set.push((field.key, value)),
                Err(problem) => errors.push(FieldError::new(field.key, problem)),
            }
        }
        if errors.is_empty() { Ok(change) } else { Err(errors) }
    }
}

/// The one rule of each field: `raw` normalised, or why it is refused.
pub fn check(key: &str, raw: &str) -> Result<String, String> {
    let trimmed = crate::text::normalized(raw.trim());
    if let Some(c) = crate::text::control_character(&trimmed) {
        return Err(crate::text::control_message(c));
    }
    let within = |max: usize| {
        if trimmed.chars().count() > max { Err(format!("is longer than {max} characters")) } else { Ok(()) }
    };
    let number = |max: u32| -> Result<String, String> {
        match trimmed.parse::<u32>() {
            Ok(n) if n <= max => Ok(n.to_string()),
            _ => Err(format!("must be a whole number from 0 to {max}")),
        }
    };
    match key {
        "site_title" => {
            if !crate::text::has_visible(&trimmed) {
                return Err("is required".into());
            }
            within(MAX_TITLE_CHARS)?;
        }
        "site_description" => within(MAX_DESCRIPTION_CHARS)?,
        "support_call" => within(MAX_CALL_CHARS)?,
        "support_bank_details" | "support_other" => within(MAX_DETAILS_CHARS)?,
        "language" => {
            if !is_language_tag(&trimmed) {
                return Err("must be a language tag such as en or fr-CA".into());
            }
        }
        "timezone" => {
            if trimmed.parse::<chrono_tz::Tz>().is_err() {
                return Err("must be an IANA time zone such as UTC, Europe/Paris or America/New_York".into());
            }
        }
        "site_logo" | "site_icon" => {
            if !trimmed.is_empty() && !is_site_path(&trimmed) {
                return Err("must be a path on this site starting with /media/ or /static/".into());
            }
        }
        "support_card_url" => {
            let https = trimmed.starts_with("https://") && crate::article::is_absolute_http_url(&trimmed);
            if !trimmed.is_empty() && !https {
                return Err("must be an https:// address, e.g. https://buy.stripe.com/…".into());
            }
            within(500)?;
        }
        "comments_allow_guests" | "supporters_skip_hold" => {
            if trimmed != "yes" && trimmed != "no" {
                return Err("must be yes or no".into());
            }
        }
        "comment_edit_minutes" => return number(1440),
        "comments_close_after_days" => return number(3650),
        "supporter_days" => return number(crate::supporters::MAX_DAYS),
        "comments_moderation" => {
            if ModerationMode::parse(&trimmed).is_none() {
                return Err("must be after, before or closed".into());
            }
        }
        "moderation_digest" => {
            if DigestFrequency::parse(&trimmed).is_none() {
                return Err("must be immediately, hourly, daily or never".into());
            }
        }
        "articles_per_page" => {
            return match trimmed.parse::<u32>() {
                Ok(n) if (1..=100).contains(&n) => Ok(n.to_string()),
                _ => Err("must be a whole number from 1 to 100".into()),
            };
        }
        "embed_origins" => {
            within(MAX_DETAILS_CHARS)?;
            let origins = crate::embed::Origins::parse(&trimmed).map_err(|bad| {
                format!("has \"{bad}\", which is not an origin such as https://blog.example")
            })?;
            return Ok(origins.as_slice().join(", "));
        }
        _ => return Err("is not a setting".into()),
    }
    Ok(trimmed)
}

/// A BCP 47-shaped tag: letters and digits in parts of up to 8, joined by hyphens.
pub fn is_language_tag(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|p| !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// A path served by this site (images are uploaded elsewhere; no other origin is ever
/// fetched or linked for the logo): plain characters, no way up.
fn is_site_path(s: &str) -> bool {
    (s.starts_with("/media/") || s.starts_with("/static/"))
        && s.len() <= 300
        && !s.contains("..")
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "/-_.".contains(c))
}

impl SiteSettings {
    /// The value of `key` as the form shows it.
    pub fn value(&self, key: &str) -> String {
        let yes_no = |b: bool| if b { "yes" } else { "no" }.to_owned();
        match key {
            "site_title" => self.site_title.clone(),
            "site_description" => self.site_description.clone(),
            "language" => self.language.clone(),
            "timezone" => self.timezone.clone(),
            "site_logo" => self.site_logo.clone(),
            "site_icon" => self.site_icon.clone(),
            "support_call" => self.support_call.clone(),
            "support_card_url" => self.support_card_url.clone(),
            "support_bank_details" => self.support_bank_details.clone(),
            "support_other" => self.support_other.clone(),
            "comments_allow_guests" => yes_no(self.comments_allow_guests),
            "comment_edit_minutes" => self.comment_edit_minutes.to_string(),
            "comments_close_after_days" => self.comments_close_after_days.to_string(),
            "comments_moderation" => self.comments_moderation.as_str().to_owned(),
            "articles_per_page" => self.articles_per_page.to_string(),
            "supporter_days" => self.supporter_days.to_string(),
            "supporters_skip_hold" => yes_no(self.supporters_skip_hold),
            "moderation_digest" => self.moderation_digest.as_str().to_owned(),
            "embed_origins" => self.embed_origins.clone(),
            _ => String::new(),
        }
    }

    /// Sets `key` from a value [`check`] accepted; anything else leaves it as it is.
    fn set(&mut self, key: &str, value: String) {
        let n = value.parse::<u32>().ok();
        match key {
            "site_title" => self.site_title = value,
            "site_description" => self.site_description = value,
            "language" => self.language = value,
            "timezone" => self.timezone = value,
            "site_logo" => self.site_logo = value,
            "site_icon" => self.site_icon = value,
            "support_call" => self.support_call = value,
            "support_card_url" => self.support_card_url = value,
            "support_bank_details" => self.support_bank_details = value,
            "support_other" => self.support_other = value,
            "comments_allow_guests" => self.comments_allow_guests = value == "yes",
            "comment_edit_minutes" => self.comment_edit_minutes = n.unwrap_or(self.comment_edit_minutes),
            "comments_close_after_days" => {
                self.comments_close_after_days = n.unwrap_or(self.comments_close_after_days)
            }
            "comments_moderation" => {
                self.comments_moderation = ModerationMode::parse(&value).unwrap_or(self.comments_moderation)
            }
            "articles_per_page" => self.articles_per_page = n.unwrap_or(self.articles_per_page),
            "supporter_days" => self.supporter_days = n.unwrap_or(self.supporter_days),
            "supporters_skip_hold" => self.supporters_skip_hold = value == "yes",
            "moderation_digest" => {
                self.moderation_digest = DigestFrequency::parse(&value).unwrap_or(self.moderation_digest)
            }
            "embed_origins" => self.embed_origins = value,
            _ => {}
        }
    }

    /// These defaults with the stored values over them. A stored value the rules refuse
    /// (written by hand, or by a version with other rules) is skipped and named, so the
    /// caller can log it: the default shows instead.
    pub fn with_stored(mut self, stored: &BTreeMap<String, String>) -> (SiteSettings, Vec<&str>) {
        let mut skipped = Vec::new();
        for (key, raw) in stored {
            match check(key, raw) {
                Ok(value) => self.set(key, value),
                Err(_) => skipped.push(key.as_str()),
            }
        }
        (self, skipped)
    }

    /// Whether readers have any way to give.
    pub fn has_way_to_give(&self) -> bool {
        !(self.support_card_url.is_empty()
            && self.support_bank_details.is_empty()
            && self.support_other.is_empty())
    }
}

/// The pages `keys` reach, broadest first.
pub fn reach_of<'a>(keys: impl IntoIterator<Item = &'a str>) -> Vec<Reach> {
    let mut reach: Vec<Reach> =
        keys.into_iter().filter_map(|k| FIELDS.iter().find(|f| f.key == k)).map(|f| f.reach).collect();
    reach.sort();
    reach.dedup();
    reach
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pairs: &[(&str, &str)]) -> SettingsInput {
        SettingsInput {
            values: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            use_default: Vec::new(),
        }
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let errors = input(&[
            ("site_title", "  "),
            ("language", "en_US"),
            ("timezone", "Mars/Olympus"),
            ("support_card_url", "http://pay.example"),
            ("site_logo", "https://elsewhere.example/logo.png"),
            ("articles_per_page", "0"),
            ("comments_moderation", "sometimes"),
        ])
        .validate()
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "site_title",
                "language",
                "timezone",
                "site_logo",
                "support_card_url",
                "comments_moderation",
                "articles_per_page"
            ]
        );
    }

    #[test]
    fn a_good_form_is_normalised_and_defaults_are_taken_back() {
        let mut i =
            input(&[("site_title", "  The Ledger "), ("articles_per_page", "025"), ("language", "fr")]);
        i.use_default.push("language".into());
        let change = i.validate().unwrap();
        assert_eq!(
            change.set,
            vec![("site_title", "The Ledger".to_owned()), ("articles_per_page", "25".to_owned())]
        );
        assert_eq!(change.reset, vec!["language"]);
    }

    #[test]
    fn a_bad_stored_value_leaves_the_default() {
        let defaults = SiteSettings {
            site_title: "Default".into(),
            site_description: String::new(),
            language: "en".into(),
            timezone: "UTC".into(),
            site_logo: String::new(),
            site_icon: String::new(),
            support_call: String::new(),
            support_card_url: String::new(),
            support_bank_details: String::new(),
            support_other: String::new(),
            comments_allow_guests: true,
            comment_edit_minutes: 15,
            comments_close_after_days: 0,
            comments_moderation: ModerationMode::After,
            articles_per_page: 10,
            supporter_days: 35,
            supporters_skip_hold: false,
            moderation_digest: DigestFrequency::Hourly,
            embed_origins: String::new(),
        };
        let stored: BTreeMap<String, String> =
            [("articles_per_page", "5000"), ("site_title", "Stored"), ("comments_allow_guests", "no")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        let (s, skipped) = defaults.with_stored(&stored);
        assert_eq!(
            (s.site_title.as_str(), s.articles_per_page, s.comments_allow_guests),
            ("Stored", 10, false)
        );
        assert_eq!(skipped, ["articles_per_page"]);
        assert!(!s.has_way_to_give());
    }

    #[test]
    fn reach_is_broadest_first() {
        assert_eq!(reach_of(["support_other", "site_title"]), [Reach::EveryPage, Reach::Funding]);
    }
}
