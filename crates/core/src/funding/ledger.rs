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
    /// The donor's address as Stripe reported it (normalised): seen by admins only, and
    /// matched against readers' confirmed addresses (`crate::supporters`).
    pub donor_email: Option<String>,
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

/// The ledger as the publisher reads it: by date, except that a reversal sits right after
/// the entry it reverses, and a refund or lost dispute after its payment, however much
/// later they came. An entry whose original is not in `entries` keeps its date's place.
pub fn in_ledger_order(mut entries: Vec<Entry>) -> Vec<Entry> {
    use std::collections::HashMap;
    entries.sort_by_key(|e| (e.entry.occurred_at, e.id));
    let ids: std::collections::HashSet<i64> = entries.iter().map(|e| e.id).collect();
    let payments: HashMap<&str, i64> = entries
        .iter()
        .filter(|e| e.entry.kind == EntryKind::Payment)
        .filter_map(|e| Some((e.entry.payment_key.as_deref()?, e.id)))
        .collect();
    let parent_of = |x: &NewEntry| match x.kind {
        EntryKind::Reversal => x.reverses.filter(|id| ids.contains(id)),
        EntryKind::Refund | EntryKind::DisputeLost => payments.get(x.payment_key.as_deref()?).copied(),
        _ => None,
    };
    let mut children: HashMap<i64, Vec<Entry>> = HashMap::new();
    let mut roots = Vec::with_capacity(entries.len());
    for e in &entries {
        match parent_of(&e.entry) {
            Some(parent) => children.entry(parent).or_default().push(e.clone()),
            None => roots.push(e.clone()),
        }
    }
    let mut ordered = Vec::with_capacity(entries.len());
    for root in roots {
        let id = root.id;
        ordered.push(root);
        ordered.extend(children.remove(&id).unwrap_or_default());
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::funding::money::Currency;
    use chrono::TimeZone;

    fn entry(id: i64, kind: EntryKind, day: u32, reverses: Option<i64>, key: Option<&str>) -> Entry {
        let at = Utc.with_ymd_and_hms(2020, 7, day, 12, 0, 0).unwrap();
        Entry {
            id,
            entry: NewEntry {
                kind,
                amount: Money::new(100, Currency::parse("USD").unwrap()),
                month: Month { year: 2020, month: 7 },
                occurred_at: at,
                event_id: None,
                payment_key: key.map(str::to_owned),
                supporter_name: None,
                donor_email: None,
                note: None,
                reverses,
            },
            created_at: at,
            counted: true,
        }
    }

    #[test]
    fn corrections_sit_beside_what_they_correct_the_rest_by_date() {
        let entries = vec![
            entry(5, EntryKind::Reversal, 20, Some(1), None),
            entry(2, EntryKind::Payment, 3, None, Some("pi_a")),
            entry(1, EntryKind::Manual, 2, None, None),
            entry(4, EntryKind::Refund, 15, None, Some("pi_a")),
            entry(3, EntryKind::Manual, 10, None, None),
            // Reverses an entry of another month: stays at its own date.
            entry(6, EntryKind::Reversal, 12, Some(99), None),
        ];
        let ids: Vec<i64> = in_ledger_order(entries).iter().map(|e| e.id).collect();
        assert_eq!(ids, [1, 5, 2, 4, 3, 6]);
    }
}
