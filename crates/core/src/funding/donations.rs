//! The funding use cases: set a month's goal, record what Stripe reports, add and reverse
//! manual entries, and work out the progress every page shows.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::funding::goal::{Goal, GoalError, Progress, progress};
use crate::funding::guard::Guard;
use crate::funding::ledger::{Entry, EntryKind, NewEntry};
use crate::funding::money::{Currency, Money, MoneyError};
use crate::funding::month::Month;
use crate::funding::stripe::{Effect, Event};
use crate::store::{FundingStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum FundingError {
    #[error("{field}: {source}")]
    Money { field: &'static str, source: MoneyError },
    #[error(transparent)]
    Goal(#[from] GoalError),
    #[error(
        "{field}: {amount} is more than {ceiling}, the largest amount this site takes without a \
         confirmation (setting funding_ceiling); check it for a typo"
    )]
    AboveCeiling { field: &'static str, amount: String, ceiling: String },
    #[error(
        "currency: {month} already has {raised} given in {old}; with a goal in {new}, those gifts \
         would no longer count toward it. Confirm the change of currency to go ahead"
    )]
    CurrencyChange { month: String, old: String, new: String, raised: String },
    #[error("date: {0} is in the future; record a gift once it has been received")]
    FutureDate(NaiveDate),
    #[error("entry {0} does not exist")]
    NoSuchEntry(i64),
    #[error("entry {0} is not a manual entry: Stripe's entries are corrected by Stripe's own refunds")]
    NotManual(i64),
    #[error("entry {0} has already been reversed")]
    AlreadyReversed(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn money_field(field: &'static str) -> impl Fn(MoneyError) -> FundingError {
    move |source| FundingError::Money { field, source }
}

/// Sets `month`'s goal from what an admin typed: amounts in major units ("5000", "2500.50").
/// `text` `None` keeps the text the month shows now; `Some("")` clears it. A goal above
/// the ceiling, or in another currency than gifts already counted this month, needs
/// `guard`'s confirmation.
// Each argument is one field of the admin's form or one CLI flag; a struct for them is
// the next step (left for a change that touches every caller anyway).
#[allow(clippy::too_many_arguments)]
pub async fn set_goal<S: FundingStore>(
    store: &S,
    month: Month,
    amount: &str,
    currency: &str,
    milestones: &[String],
    text: Option<String>,
    guard: Guard,
    now: DateTime<Utc>,
) -> Result<Goal, FundingError> {
    let currency = Currency::parse(currency).map_err(money_field("currency"))?;
    let amount = Money::parse_major(amount, currency).map_err(money_field("goal"))?;
    check_ceiling(guard, "goal", amount)?;
    let mut marks = Vec::new();
    for m in milestones.iter().map(|m| m.trim()).filter(|m| !m.is_empty()) {
        // Zero is a valid mark (the start of the bar) but not a valid amount of money.
        let minor = if m.trim_start_matches('0').trim_start_matches('.').trim_matches('0').is_empty() {
            0
        } else {
            Money::parse_major(m, currency).map_err(money_field("milestones"))?.minor
        };
        marks.push(minor);
    }
    let shown = store.goal_at_or_before(month).await?;
    if let Some(shown) = &shown {
        check_currency_change(store, guard, month, shown.amount.currency, currency).await?;
    }
    // Without a text the month keeps the one it shows; only an empty text clears it.
    let text = match text {
        Some(t) => Some(t.trim().to_owned()).filter(|t| !t.is_empty()),
        None => shown.and_then(|g| g.text),
    };
    let goal = Goal::new(month, amount, marks, text)?;
    store.set_goal(&goal, now).await?;
    Ok(goal)
}

fn check_ceiling(guard: Guard, field: &'static str, amount: Money) -> Result<(), FundingError> {
    guard.check_amount(amount).map_err(|ceiling| FundingError::AboveCeiling {
        field,
        amount: amount.format(),
        ceiling: ceiling.format(),
    })
}

/// A new currency for a month that has gifts in the old one drops them from its progress:
/// only when the publisher has said so, knowing how much.
async fn check_currency_change<S: FundingStore>(
    store: &S,
    guard: Guard,
    month: Month,
    old: Currency,
    new: Currency,
) -> Result<(), FundingError> {
    if old == new || guard.currency_change_confirmed {
        return Ok(());
    }
    let totals = store.month_totals(month, month).await?;
    let raised: i64 = totals.iter().filter(|t| t.currency == old.code()).map(|t| t.net_minor).sum();
    if raised == 0 {
        return Ok(());
    }
    Err(FundingError::CurrencyChange {
        month: month.name(),
        old: old.code().to_owned(),
        new: new.code().to_owned(),
        raised: Money::new(raised, old).format(),
    })
}

/// What became of a webhook delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// A new ledger entry.
    Counted(i64),
    /// Already known: a redelivery, or another event about a payment already counted.
    Duplicate,
    /// An event that moves no money.
    Ignored,
}

/// Appends what a verified Stripe event means for the ledger, once.
pub async fn record_stripe_event<S: FundingStore>(
    store: &S,
    event: &Event,
    guard: Guard,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Recorded, FundingError> {
    let occurred_at = DateTime::from_timestamp(event.created, 0).unwrap_or(now);
    let (kind, payment_key, amount_minor, currency, supporter_name) = match &event.effect {
        Effect::Ignored { .. } => return Ok(Recorded::Ignored),
        Effect::Paid { payment_key, amount_minor, currency, supporter_name } => {
            (EntryKind::Payment, payment_key, *amount_minor, currency, supporter_name.clone())
        }
        Effect::Refunded { payment_key, refunded_total_minor, currency } => {
            (EntryKind::Refund, payment_key, *refunded_total_minor, currency, None)
        }
        Effect::DisputeLost { payment_key, amount_minor, currency } => {
            (EntryKind::DisputeLost, payment_key, *amount_minor, currency, None)
        }
    };
    let amount = Money::new(amount_minor, Currency::parse(currency).map_err(money_field("currency"))?);
    // Refunds and disputes are bounded by their payment when totals are read.
    if kind == EntryKind::Payment {
        check_ceiling(guard, "amount", amount)?;
    }
    let entry = NewEntry {
        kind,
        amount,
        month: Month::containing(occurred_at, tz),
        occurred_at,
        event_id: Some(event.id.clone()),
        payment_key: Some(payment_key.clone()),
        supporter_name,
        donor_email: event.donor_email.clone(),
        note: None,
        reverses: None,
    };
    Ok(match store.append_entry(&entry, now).await? {
        Some(id) => Recorded::Counted(id),
        None => {
            // Several events describe one payment, and not all carry the donor's address
            // (a payment intent often has none, its checkout session does): whichever
            // brings it first gives it to the payment's entry.
            if let (EntryKind::Payment, Some(email)) = (kind, &entry.donor_email) {
                store.add_donor_email(payment_key, email).await?;
            }
            Recorded::Duplicate
        }
    })
}

/// A gift that came another way (bank transfer, cash, a cheque). `date` is the day it was
/// received, in the site's time zone; today when omitted.
pub struct ManualDonation {
    pub amount: String,
    pub currency: String,
    pub date: Option<NaiveDate>,
    pub donor: Option<String>,
    pub note: Option<String>,
}

pub async fn add_manual_donation<S: FundingStore>(
    store: &S,
    gift: ManualDonation,
    guard: Guard,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<i64, FundingError> {
    let currency = Currency::parse(&gift.currency).map_err(money_field("currency"))?;
    let amount = Money::parse_major(&gift.amount, currency).map_err(money_field("amount"))?;
    check_ceiling(guard, "amount", amount)?;
    let occurred_at = match gift.date {
        None => now,
        Some(day) if day > now.with_timezone(&tz).date_naive() => return Err(FundingError::FutureDate(day)),
        Some(day) => local_noon(day, tz),
    };
    let entry = NewEntry {
        kind: EntryKind::Manual,
        amount,
        month: Month::containing(occurred_at, tz),
        occurred_at,
        event_id: None,
        payment_key: None,
        supporter_name: gift.donor.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty()),
        donor_email: None,
        note: gift.note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
        reverses: None,
    };
    store.append_entry(&entry, now).await?.ok_or(FundingError::Store(StoreError::Conflict("ledger".into())))
}

/// Noon on `day` in `tz`: safely inside the day whatever the daylight-saving rules.
fn local_noon(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    use chrono::TimeZone;
    let noon = day.and_hms_opt(12, 0, 0).expect("noon exists");
    tz.from_local_datetime(&noon).earliest().map_or_else(|| noon.and_utc(), |t| t.with_timezone(&Utc))
}

/// The entry `id` if a reversal may cancel it: a manual entry not reversed yet. What the
/// confirmation page shows before anything is done.
pub async fn reversible_entry<S: FundingStore>(store: &S, id: i64) -> Result<Entry, FundingError> {
    let original = store.entry(id).await?.ok_or(FundingError::NoSuchEntry(id))?;
    if original.entry.kind != EntryKind::Manual {
        return Err(FundingError::NotManual(id));
    }
    let month = store.entries_of_month(original.entry.month).await?;
    if month.iter().any(|e| e.entry.reverses == Some(id)) {
        return Err(FundingError::AlreadyReversed(id));
    }
    Ok(original)
}

/// Cancels a manual entry with one of the opposite amount, in the same month.
pub async fn reverse_entry<S: FundingStore>(
    store: &S,
    id: i64,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<i64, FundingError> {
    // Checked first for a clear message; the unique index still makes it happen once.
    let original = reversible_entry(store, id).await?;
    let reversal = NewEntry {
        kind: EntryKind::Reversal,
        amount: Money::new(-original.entry.amount.minor, original.entry.amount.currency),
        month: original.entry.month,
        occurred_at: now,
        event_id: None,
        payment_key: None,
        supporter_name: None,
        donor_email: None,
        note: note.or_else(|| Some(format!("reverses entry {id}"))),
        reverses: Some(id),
    };
    store.append_entry(&reversal, now).await?.ok_or(FundingError::AlreadyReversed(id))
}

/// The goal the site shows at `now` and how far along it is: this month's goal or, when
/// `carry_forward` is set, the latest earlier one; `None` when there is none to show.
pub async fn current_progress<S: FundingStore>(
    store: &S,
    tz: Tz,
    carry_forward: bool,
    now: DateTime<Utc>,
) -> Result<Option<Progress>, FundingError> {
    let month = Month::containing(now, tz);
    let Some(mut goal) = store.goal_at_or_before(month).await? else { return Ok(None) };
    if goal.month != month {
        if !carry_forward {
            return Ok(None);
        }
        goal.month = month;
    }
    let totals = store.month_totals(month, month).await?;
    let raised =
        totals.iter().filter(|t| t.currency == goal.amount.currency.code()).map(|t| t.net_minor).sum();
    Ok(Some(progress(&goal, raised)))
}
