//! Moderation: every new comment is judged before readers see it. An ordered pipeline of
//! signals, each a small type that looks at one thing (links, abusive words, the site's
//! mode), gives a decision: publish, hold for a moderator, or refuse. The decision and
//! every signal that fired are stored with the comment, so a moderator sees why.
//! `discussion::post_comment` adds the signals that need the store (rate, duplicates).

pub mod cues;
pub mod evaluation;
pub mod flags;
pub mod language;
pub mod learned;
pub mod links;
pub mod trust;

use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::throttle::Policy;

/// What becomes of a new comment. Ordered: the strictest outcome of any signal wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Publish,
    Hold,
    Refuse,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Publish => "publish",
            Outcome::Hold => "hold",
            Outcome::Refuse => "refuse",
        }
    }

    /// `hold` or `refuse`, as a site's settings spell them.
    pub fn parse_action(s: &str) -> Option<Self> {
        match s.trim() {
            "hold" => Some(Outcome::Hold),
            "refuse" => Some(Outcome::Refuse),
            _ => None,
        }
    }
}

/// Why one signal fired: shown to moderators, and to a refused poster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    pub signal: &'static str,
    pub outcome: Outcome,
    pub detail: String,
    pub score: f32,
}

/// The pipeline's verdict on one comment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub outcome: Outcome,
    pub score: f32,
    pub reasons: Vec<Reason>,
}

impl Default for Decision {
    fn default() -> Self {
        Decision { outcome: Outcome::Publish, score: 0.0, reasons: Vec::new() }
    }
}

impl Decision {
    pub fn add(&mut self, reason: Reason) {
        self.outcome = self.outcome.max(reason.outcome);
        self.score += reason.score;
        self.reasons.push(reason);
    }

    /// The reason to tell a refused poster: the first that refused.
    pub fn refusal(&self) -> Option<&Reason> {
        self.reasons.iter().find(|r| r.outcome == Outcome::Refuse)
    }

    /// The reasons as stored: a JSON list.
    pub fn reasons_json(&self) -> String {
        serde_json::to_string(&self.reasons).unwrap_or_else(|_| "[]".into())
    }
}

/// A new comment as the signals see it: its text and who sent it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub body: &'a str,
    pub author_name: &'a str,
}

/// One thing to look at in a new comment. To add a signal: a type implementing this, and
/// a line in [`Pipeline::new`].
pub trait Signal: Send + Sync + std::fmt::Debug {
    fn judge(&self, comment: &Candidate<'_>) -> Option<Reason>;
}

/// The site's moderation settings, parsed once at start. (Pre-moderation is the
/// discussion's `hold_for_review`.)
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub links: links::LinkRules,
    pub language: language::LanguageRules,
    /// How long the same text may not be posted again; zero turns the check off.
    pub duplicate_window: Duration,
    /// Whether the comment rate limits apply (a benchmark from one address turns them off).
    pub rate_limit: bool,
    /// Flags from this many distinct readers hold a published comment; 0: flags never do.
    pub flags_to_hold: u32,
    /// A commenter's comments are held until this many of theirs were approved; 0: off.
    pub trust_after: u32,
    /// The learned filter holds a comment it finds spam or abuse with this probability;
    /// above 1 turns it off.
    pub learned_threshold: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            links: links::LinkRules::default(),
            language: language::LanguageRules::default(),
            duplicate_window: Duration::from_secs(24 * 3600),
            rate_limit: true,
            flags_to_hold: 3,
            trust_after: 0,
            learned_threshold: learned::THRESHOLD,
        }
    }
}

/// The signals that read only the comment, in order, with the settings of those that
/// need the store.
#[derive(Debug)]
pub struct Pipeline {
    signals: Vec<Box<dyn Signal>>,
    pub settings: Settings,
    /// The learned filter's model, shared with whatever teaches it new examples.
    pub model: learned::SharedModel,
}

/// Two pipelines are the same when built from the same settings.
impl PartialEq for Pipeline {
    fn eq(&self, other: &Self) -> bool {
        self.settings == other.settings
    }
}

impl Default for Pipeline {
    fn default() -> Self {
        Pipeline::new(Settings::default())
    }
}

impl Pipeline {
    pub fn new(settings: Settings) -> Self {
        let model = learned::SharedModel::default();
        let signals: Vec<Box<dyn Signal>> = vec![
            Box::new(settings.links.clone()),
            Box::new(language::Abusive { action: settings.language.abusive_action }),
            Box::new(settings.language.clone()),
            Box::new(learned::Learned { model: model.clone(), threshold: settings.learned_threshold }),
        ];
        Pipeline { signals, settings, model }
    }

    /// Every content signal's verdict on `comment`.
    pub fn judge(&self, comment: &Candidate<'_>) -> Decision {
        let mut decision = Decision::default();
        for reason in self.signals.iter().filter_map(|s| s.judge(comment)) {
            decision.add(reason);
        }
        decision
    }
}

/// Pre-moderation: the site holds every comment for a moderator.
pub fn pre_moderation() -> Reason {
    Reason {
        signal: "pre-moderation",
        outcome: Outcome::Hold,
        detail: "this site holds every comment for a moderator".into(),
        score: 0.0,
    }
}

/// The text as compared for duplicates and word lists: composed (NFC), lower case,
/// whitespace collapsed to single spaces.
pub fn normalized(s: &str) -> String {
    let composed = crate::text::normalized(s).to_lowercase();
    composed.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Texts shorter than this ("Thank you!", "+1") are said by many; not duplicates.
const DUPLICATE_MIN_CHARS: usize = 24;

/// The hash under which a comment's text is kept for the duplicate check, if it is long
/// enough to count.
pub fn body_hash(body: &str) -> Option<String> {
    let text = normalized(body);
    if text.chars().count() < DUPLICATE_MIN_CHARS {
        return None;
    }
    let digest = Sha256::digest(text.as_bytes());
    Some(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// One comment of a burst that the store writes in one transaction, as the copy check
/// sees it: its text's hash and who posted it (an account or a guest token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BurstText<'a> {
    pub body_hash: &'a str,
    pub user_id: Option<i64>,
    pub guest_token_hash: Option<&'a str>,
}

/// Copies of one text among the comments of a burst: the duplicate lookup before the
/// write cannot see them, none being stored yet, so a flood of one text posted at once
/// would all pass it. For each comment in posting order (`None`: not checked), the
/// duplicate reason if `stored` (copies already in the database) or an earlier comment of
/// the burst carries the same text.
pub fn copies_in_burst<'a>(stored: &[BurstText<'a>], burst: &[Option<BurstText<'a>>]) -> Vec<Option<Reason>> {
    let mut seen: Vec<BurstText<'a>> = stored.to_vec();
    burst
        .iter()
        .map(|text| {
            let text = (*text)?;
            let earlier: Vec<&BurstText<'_>> =
                seen.iter().filter(|s| s.body_hash == text.body_hash).collect();
            let same_author = earlier.iter().any(|s| {
                (text.user_id.is_some() && s.user_id == text.user_id)
                    || (text.guest_token_hash.is_some() && s.guest_token_hash == text.guest_token_hash)
            });
            let reason = (!earlier.is_empty()).then(|| duplicate(same_author));
            seen.push(text);
            reason
        })
        .collect()
}

/// The duplicate signal's name, as its reasons carry it.
pub const DUPLICATE: &str = "duplicate";

/// The verdict on a text already posted within the window: refused when its own author
/// posts it again, held when someone else does (a copy-paste campaign).
pub fn duplicate(same_author: bool) -> Reason {
    if same_author {
        Reason {
            signal: DUPLICATE,
            outcome: Outcome::Refuse,
            detail: "you have already posted this comment".into(),
            score: 1.0,
        }
    } else {
        Reason {
            signal: DUPLICATE,
            outcome: Outcome::Hold,
            detail: "the same text was posted recently by someone else".into(),
            score: 0.6,
        }
    }
}

/// New comments from one commenter (account or guest browser): a lively debate posts a
/// few a minute, a script hundreds.
pub const COMMENT_PER_AUTHOR: Policy = Policy {
    action: "comment-author",
    free: 5,
    first_wait: Duration::from_secs(5),
    max_wait: Duration::from_secs(10 * 60),
    forget_after: Duration::from_secs(5 * 60),
};

/// New comments from one address, whoever sends them: an office or a mobile network
/// shares one address, so more are free; a new guest cookie per post does not evade it.
pub const COMMENT_PER_ADDRESS: Policy = Policy {
    action: "comment-address",
    free: 20,
    first_wait: Duration::from_secs(2),
    max_wait: Duration::from_secs(10 * 60),
    forget_after: Duration::from_secs(5 * 60),
};

/// Whether `phrase` occurs in `text` as whole words.
pub(crate) fn contains_words(text: &str, phrase: &str) -> bool {
    text.match_indices(phrase).any(|(i, _)| is_whole_words(text, i, i + phrase.len()))
}

/// Whether `text[start..end]` neither begins nor ends inside a word.
fn is_whole_words(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

/// A list of phrases looked for as whole words in one pass over a text: searching for each
/// phrase in turn was a tenth of a comment post's CPU.
pub(crate) struct Phrases(aho_corasick::AhoCorasick);

impl Phrases {
    pub(crate) fn new(list: &[&str]) -> Phrases {
        Phrases(aho_corasick::AhoCorasick::new(list).expect("a phrase list is small enough"))
    }

    /// Whether any phrase occurs in `text` as whole words (as [`contains_words`] would
    /// say of one of them): overlapping matches are all tried, so a match inside a word
    /// hides no whole one.
    pub(crate) fn any_in(&self, text: &str) -> bool {
        self.0.find_overlapping_iter(text).any(|m| is_whole_words(text, m.start(), m.end()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phrase_list_finds_whole_words_as_each_phrase_alone_would() {
        let list = ["all", "call me", "scallop", "me"];
        let phrases = Phrases::new(&list);
        let cases = [
            ("we all agree", true),
            ("call me maybe", true),
            ("a scallop.", true),
            // Each phrase only inside longer words, overlapping one another.
            ("scallops everywhere", false),
            ("recall meat", false),
            ("smallest", false),
            ("", false),
        ];
        for (text, found) in cases {
            assert_eq!(phrases.any_in(text), found, "{text}");
            assert_eq!(list.iter().any(|p| contains_words(text, p)), found, "{text}");
        }
    }

    #[test]
    fn copies_in_one_burst_are_duplicates_the_posters_own_refused() {
        let text = |hash, user: Option<i64>, guest: Option<&'static str>| {
            Some(BurstText { body_hash: hash, user_id: user, guest_token_hash: guest })
        };
        let stored = [BurstText { body_hash: "h3", user_id: Some(7), guest_token_hash: None }];
        let burst = [
            text("h3", Some(8), None),
            text("h1", None, Some("g1")),
            text("h1", None, Some("g2")),
            None,
            text("h2", Some(7), None),
            text("h1", None, Some("g1")),
            text("h2", Some(7), None),
        ];
        let outcomes: Vec<Option<Outcome>> =
            copies_in_burst(&stored, &burst).iter().map(|r| r.as_ref().map(|r| r.outcome)).collect();
        assert_eq!(
            outcomes,
            [
                Some(Outcome::Hold),
                None,
                Some(Outcome::Hold),
                None,
                None,
                Some(Outcome::Refuse),
                Some(Outcome::Refuse)
            ],
            "a copy of a stored text is held; in the burst the first copy passes, another poster's is held, \
             the poster's own is refused"
        );
    }

    #[test]
    fn duplicates_are_the_same_text_however_spaced_or_cased() {
        let a = body_hash("The same  comment,\nposted twice by a script").unwrap();
        let b = body_hash("the same comment, posted TWICE by a script  ").unwrap();
        assert_eq!(a, b);
        assert_ne!(Some(a), body_hash("A different comment, posted once by a human"));
        assert_eq!(body_hash("Thank you!"), None, "short replies are said by many");
    }

    #[test]
    fn the_strictest_outcome_wins_and_scores_add_up() {
        let mut d = Decision::default();
        let r = |outcome, score| Reason { signal: "t", outcome, detail: String::new(), score };
        d.add(r(Outcome::Hold, 0.5));
        d.add(r(Outcome::Publish, 0.1));
        assert_eq!((d.outcome, d.score), (Outcome::Hold, 0.6));
        d.add(r(Outcome::Refuse, 1.0));
        assert_eq!(d.outcome, Outcome::Refuse);
        assert!(d.refusal().is_some());
    }
}
