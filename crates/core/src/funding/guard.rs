//! The guards against money typed wrong: a ceiling on any one gift or goal, above which an
//! amount needs an explicit confirmation, and what the publisher has confirmed.

use crate::funding::money::{Currency, Money};

/// The ceiling when the site sets none: 100,000 in the currency's major units.
pub const DEFAULT_CEILING_MAJOR: u64 = 100_000;

/// What a request checks and what its sender has confirmed. Webhooks and admin forms
/// confirm nothing; the CLI confirms with `--confirm-large` and `--confirm-currency-change`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guard {
    /// The largest single gift or goal accepted without confirmation, in major units of
    /// its currency.
    pub ceiling_major: u64,
    /// The amount above the ceiling is meant.
    pub large_confirmed: bool,
    /// The goal's new currency is meant, though the month has gifts in the old one.
    pub currency_change_confirmed: bool,
}

impl Default for Guard {
    fn default() -> Self {
        Guard::with_ceiling(DEFAULT_CEILING_MAJOR)
    }
}

impl Guard {
    /// Confirms nothing.
    pub fn with_ceiling(ceiling_major: u64) -> Guard {
        Guard { ceiling_major, large_confirmed: false, currency_change_confirmed: false }
    }

    /// The ceiling in `currency`'s minor units, saturating rather than wrapping.
    pub fn ceiling(&self, currency: Currency) -> Money {
        let minor = self.ceiling_major.saturating_mul(10u64.pow(currency.exponent()));
        Money::new(i64::try_from(minor).unwrap_or(i64::MAX), currency)
    }

    /// `Err(ceiling)` when `amount` is above the ceiling and that was not confirmed.
    pub fn check_amount(&self, amount: Money) -> Result<(), Money> {
        let ceiling = self.ceiling(amount.currency);
        if amount.minor > ceiling.minor && !self.large_confirmed { Err(ceiling) } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(minor: i64) -> Money {
        Money::new(minor, Currency::parse("USD").unwrap())
    }

    #[test]
    fn the_ceiling_itself_passes_and_a_cent_more_does_not() {
        let guard = Guard::default();
        assert_eq!(guard.check_amount(usd(10_000_000)), Ok(()));
        assert_eq!(guard.check_amount(usd(10_000_001)), Err(usd(10_000_000)));
        assert_eq!(guard.check_amount(usd(i64::MAX)), Err(usd(10_000_000)));
    }

    #[test]
    fn a_confirmed_large_amount_passes() {
        let guard = Guard { large_confirmed: true, ..Guard::default() };
        assert_eq!(guard.check_amount(usd(i64::MAX)), Ok(()));
    }

    #[test]
    fn the_ceiling_is_in_the_currency_s_own_units() {
        let guard = Guard::with_ceiling(500);
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(guard.ceiling(jpy).minor, 500);
        assert_eq!(guard.ceiling(Currency::parse("BHD").unwrap()).minor, 500_000);
        // An absurd setting saturates instead of wrapping to a small or negative ceiling.
        assert_eq!(Guard::with_ceiling(u64::MAX).ceiling(jpy).minor, i64::MAX);
        assert_eq!(Guard::with_ceiling(u64::MAX).check_amount(usd(i64::MAX)), Ok(()));
    }
}
