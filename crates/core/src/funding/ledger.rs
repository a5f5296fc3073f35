//! The donations ledger: append-only entries. A Stripe payment is counted once however
//! many events describe it; a refund records the payment's cumulative refunded amount, so
//! repeated or reordered deliveries net out exactly; a manual entry is corrected by a
//! reversal entry, never edited. A refund or lost dispute takes away at most its payment,
//! in its payment's currency only: a payment's net is never below zero.

use chrono::{DateTime, Utc};

use crate::funding::money::Money;
use crate::funding::month::Month;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A card payment from Stripe; `payment_key` identifies it across events.
    Payment,
    /// Stripe says this much of the payment has now been refunded in total.
    Refund,
    /// A dispute on the payment was lost: this much is gone.
    DisputeLost,
    /// Money that came another way (bank transfer, cash), entered by an admin.
    Manual,
    /// Cancels a manual entry (`reverses`), with the opposite amount.
    Reversal,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Payment => "payment",
            EntryKind::Refund => "refund",
            EntryKind::DisputeLost => "dispute_lost",
            EntryKind::Manual => "manual",
            EntryKind::Reversal => "reversal",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        [
            EntryKind::Payment,
            EntryKind::Refund,
            EntryKind::DisputeLost,
            EntryKind::Manual,
            EntryKind::Reversal,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// An entry to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub kind: EntryKind,
    pub amount: Money,
    /// The month it counts toward, in the site's time zone.
    pub month: Month,
    pub occurred_at: DateTime<Utc>,
    /// Stripe's event id: a redelivered event is recognised by it and stored once.
    pub event_id: Option<String>,
    /// The Stripe payment this entry is about (payment intent, else invoice).
    pub payment_key: Option<String>,
    /// Shown on the support page only when the donor chose to be named.
    pub supporter_name: Option<String>,
    pub note: Option<String>,
    pub reverses: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: i64,
    pub entry: NewEntry,
    pub created_at: DateTime<Utc>,
    /// False for a refund or lost dispute in another currency than its payment's: it is
    /// kept in the ledger for the record but counts in no total.
    pub counted: bool,
}
