//! Reader funding: a goal per calendar month, money in integer minor units, and the
//! donations ledger fed by Stripe's signed webhooks and by manual entries.

pub mod donations;
pub mod goal;
pub mod guard;
pub mod ledger;
pub mod money;
pub mod month;
pub mod stripe;
