//! Supporters: readers whose confirmed address gave to the site lately, read from the ledger
//! itself (so a refund ends what its gift gave at once), the badge they may choose to show,
//! and the discussions open to them alone.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};

use crate::article::Article;
use crate::discussion::DiscussionError;
use crate::funding::stripe::{Effect, Event};
use crate::store::{ArticleStore, Page, PageRequest, StoreError};
use crate::user::User;

/// How long a gift makes its donor a supporter unless the site says otherwise: a monthly
/// gift, with a few days' grace for the next one to arrive.
pub const DEFAULT_DAYS: u32 = 35;
/// The longest period a setting may give (ten years).
pub const MAX_DAYS: u32 = 3660;

/// What the site says about supporters (the settings `supporter_days` and
/// `supporters_skip_hold`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupporterRules {
    /// How long after each gift its donor counts as a supporter.
    pub period: Duration,
    /// Supporters' comments skip the new-commenter hold.
    pub skip_hold: bool,
}

impl Default for SupporterRules {
    fn default() -> Self {
        SupporterRules { period: Duration::days(i64::from(DEFAULT_DAYS)), skip_hold: false }
    }
}

impl SupporterRules {
    pub fn days(days: u32, skip_hold: bool) -> Self {
        SupporterRules { period: Duration::days(i64::from(days)), skip_hold }
    }
}

/// One reader's standing, as the ledger says now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Status {
    /// Until when they are a supporter; `None` when they are not one now.
    pub until: Option<DateTime<Utc>>,
    /// They chose to show the badge (it shows only while they are a supporter).
    pub badge_chosen: bool,
}

impl Status {
    pub fn is_supporter(&self) -> bool {
        self.until.is_some()
    }

    /// Whether readers see the badge beside their comments.
    pub fn badge_shown(&self) -> bool {
        self.badge_chosen && self.is_supporter()
    }
}

/// A supporter as the admin sees them. Amounts are never part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supporter {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    /// Their first gift that still stands.
    pub since: DateTime<Utc>,
    /// Their latest gift plus the period.
    pub until: DateTime<Utc>,
    /// The calendar months (the site's) in which they gave.
    pub months: i64,
}

/// What supporter status needs from storage. Every answer is derived from the ledger in
/// the query that asks, never stored beside it: a gift counts while it stands (neither
/// refunded in full nor lost in a dispute), from its date for the period, for accounts
/// whose confirmed address is the donor's.
pub trait SupporterStore {
    async fn supporter_status(
        &self,
        user_id: i64,
        now: DateTime<Utc>,
        period: Duration,
    ) -> Result<Status, StoreError>;
    /// Which of `user_ids` show the badge now (chosen, and supporters).
    async fn badge_holders(
        &self,
        user_ids: &[i64],
        now: DateTime<Utc>,
        period: Duration,
    ) -> Result<HashSet<i64>, StoreError>;
    async fn set_supporter_badge(&self, user_id: i64, shown: bool) -> Result<(), StoreError>;
    /// Current supporters, the newest first.
    async fn supporter_list(
        &self,
        now: DateTime<Utc>,
        period: Duration,
        page: PageRequest,
    ) -> Result<Page<Supporter>, StoreError>;
    /// The articles under which the accounts that a payment's donor address matches (and
    /// that chose the badge) have commented: the pages a change of that gift changes.
    async fn articles_showing_donor_of(&self, payment_key: &str) -> Result<Vec<i64>, StoreError>;
    /// The articles under which readers showing the badge have commented, of those whose
    /// status ran out in `(from, to]` (the period after their last standing gift ended).
    async fn articles_where_badges_lapsed(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        period: Duration,
    ) -> Result<Vec<i64>, StoreError>;
    /// The articles under which `user_id` has commented.
    async fn articles_commented_by(&self, user_id: i64) -> Result<Vec<i64>, StoreError>;
    async fn set_supporters_only(&self, article_id: i64, only: bool) -> Result<(), StoreError>;
}

/// Shows or hides `me`'s badge. Returns the articles whose pages change: those `me`
/// commented under, when they are a supporter (otherwise no page shows the badge either way).
pub async fn set_badge<S: SupporterStore>(
    store: &S,
    me: &User,
    shown: bool,
    rules: SupporterRules,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, StoreError> {
    let before = store.supporter_status(me.id, now, rules.period).await?;
    store.set_supporter_badge(me.id, shown).await?;
    if before.badge_chosen == shown || !before.is_supporter() {
        return Ok(Vec::new());
    }
    store.articles_commented_by(me.id).await
}

/// The articles whose pages a Stripe event changes: those where the accounts its gift's
/// donor address matches show their badge (a payment may start their status, a refund or
/// a lost dispute end it). A redelivery drops them again, which costs one render each.
pub async fn articles_showing_gift<S: SupporterStore>(
    store: &S,
    event: &Event,
) -> Result<Vec<i64>, StoreError> {
    match &event.effect {
        Effect::Paid { payment_key, .. }
        | Effect::Refunded { payment_key, .. }
        | Effect::DisputeLost { payment_key, .. } => store.articles_showing_donor_of(payment_key).await,
        Effect::Ignored { .. } => Ok(Vec::new()),
    }
}

/// Opens (or closes) an article's discussion to supporters alone: those who may edit the
/// article, and moderators, as for closing it. Returns the article as it was.
pub async fn set_supporters_only<S: SupporterStore + ArticleStore>(
    store: &S,
    article_id: i64,
    only: bool,
    by: &User,
) -> Result<Article, DiscussionError> {
    let article = store.article_by_id(article_id).await?.ok_or(DiscussionError::NotFound)?;
    if !(by.can_edit(&article) || by.can_moderate()) {
        return Err(DiscussionError::Forbidden(
            "only the article's editors and moderators may choose who comments on it",
        ));
    }
    store.set_supporters_only(article_id, only).await?;
    Ok(article)
}

/// Whether `status` lets its holder post under `article`. A supporters-only discussion
/// takes staff as well: they run it.
pub fn may_post(article: &Article, user: Option<&User>, status: Status) -> bool {
    !article.supporters_only
        || status.is_supporter()
        || user.is_some_and(|u| u.role != crate::user::Role::Reader)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_badge_shows_only_while_chosen_and_a_supporter() {
        let until = Some(Utc::now());
        assert!(Status { until, badge_chosen: true }.badge_shown());
        assert!(!Status { until, badge_chosen: false }.badge_shown());
        assert!(!Status { until: None, badge_chosen: true }.badge_shown());
        assert!(Status { until, badge_chosen: false }.is_supporter());
    }

    #[test]
    fn the_default_period_is_a_month_and_some_grace() {
        assert_eq!(SupporterRules::default().period, Duration::days(35));
        assert!(!SupporterRules::default().skip_hold);
        assert_eq!(SupporterRules::days(7, true).period, Duration::days(7));
    }
}
