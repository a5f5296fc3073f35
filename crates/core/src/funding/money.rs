//! Money as an integer count of a currency's minor units (cents; yen have none), never a
//! float, with ISO 4217 currencies from `iso_currency`.

use std::fmt;

/// An ISO 4217 currency (USD, EUR, JPY…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency(iso_currency::Currency);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("\"{0}\" is not an ISO 4217 currency code (e.g. USD, EUR, JPY)")]
    UnknownCurrency(String),
    #[error("\"{0}\" is not an amount: use digits with an optional decimal point, e.g. 25.00")]
    NotAnAmount(String),
    #[error("{currency} has {exponent} decimal places; \"{amount}\" has more")]
    TooPrecise { amount: String, currency: String, exponent: u32 },
    #[error("the amount must be greater than zero")]
    NotPositive,
    #[error("the amount is too large")]
    TooLarge,
}

impl Currency {
    /// Case-insensitive: "usd" and "USD" are the same currency (Stripe sends lowercase).
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        iso_currency::Currency::from_code(&code.to_ascii_uppercase())
            .map(Currency)
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_owned()))
    }

    /// The upper-case ISO code: "USD".
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Decimal places of the minor unit: 2 for USD and EUR, 0 for JPY.
    pub fn exponent(self) -> u32 {
        // Precious metals and test codes (XAU, XXX) have no minor unit: count whole units.
        self.0.exponent().map_or(0, u32::from)
    }

    /// What goes before the amount for people: the symbol when it is one readers know at a
    /// glance ("$", "€", "R$"), otherwise the code followed by a space ("CHF ", "SEK ").
    fn prefix(self) -> String {
        let symbol = self.0.symbol().symbol;
        let letters = symbol.chars().filter(|c| c.is_alphabetic()).count();
        // "¤" is the crate's stand-in for "no symbol". "₣" is the old French franc sign,
        // which the crate gives every franc (CHF, XPF…) though nobody writes it: the Swiss
        // write "CHF 20".
        if letters > 1 || symbol == "¤" || symbol == "₣" || symbol == self.code() {
            format!("{} ", self.code())
        } else {
            symbol
        }
    }

    /// 10 to the power of the exponent: minor units in one major unit.
    fn scale(self) -> u64 {
        10u64.pow(self.exponent())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// Parses a positive amount written in major units ("25", "25.5", "25.00"; JPY "1000").
    pub fn parse_major(amount: &str, currency: Currency) -> Result<Money, MoneyError> {
        // A minus sign before an otherwise good amount deserves the clearer message.
        if let Some(rest) = amount.strip_prefix('-') {
            return match parse_unsigned(rest, currency) {
                Ok(_) | Err(MoneyError::TooLarge) => Err(MoneyError::NotPositive),
                Err(e) => Err(e.for_input(amount)),
            };
        }
        match parse_unsigned(amount, currency)? {
            0 => Err(MoneyError::NotPositive),
            minor => Ok(Money::new(minor, currency)),
        }
    }

    /// For people: the currency's symbol and thousands separators, minor digits only when
    /// they are not zero: "$5,000", "$307.50", "€1,234.56", "¥5,000", "CHF 20".
    pub fn format(&self) -> String {
        let (whole, fraction) = self.split();
        let sign = if self.minor < 0 { "-" } else { "" };
        let mut out = format!("{sign}{}{}", self.currency.prefix(), group_thousands(whole));
        if fraction != 0 {
            out.push_str(&format!(".{fraction:0width$}", width = self.currency.exponent() as usize));
        }
        out
    }

    /// Plain decimal in major units, for CSV and forms: "307.50", "5000" (JPY).
    pub fn to_major_string(&self) -> String {
        let (whole, fraction) = self.split();
        let sign = if self.minor < 0 { "-" } else { "" };
        match self.currency.exponent() as usize {
            0 => format!("{sign}{whole}"),
            width => format!("{sign}{whole}.{fraction:0width$}"),
        }
    }

    /// Whole major units and the remaining minor units, both of the absolute value
    /// (unsigned, so that `i64::MIN` has an absolute value too).
    fn split(&self) -> (u64, u64) {
        let scale = self.currency.scale();
        let abs = self.minor.unsigned_abs();
        (abs / scale, abs % scale)
    }
}

impl MoneyError {
    /// The same error about a different spelling of the input.
    fn for_input(self, input: &str) -> MoneyError {
        match self {
            MoneyError::NotAnAmount(_) => MoneyError::NotAnAmount(input.to_owned()),
            MoneyError::TooPrecise { currency, exponent, .. } => {
                MoneyError::TooPrecise { amount: input.to_owned(), currency, exponent }
            }
            other => other,
        }
    }
}

/// Minor units of an amount without a sign: digits, then optionally a point and at most
/// the currency's number of decimals. No thousands separators: "1,000" is refused rather
/// than guessed, since half the world writes a decimal comma.
fn parse_unsigned(amount: &str, currency: Currency) -> Result<i64, MoneyError> {
    let not_an_amount = || MoneyError::NotAnAmount(amount.to_owned());
    let (whole, decimals) = match amount.split_once('.') {
        Some((whole, decimals)) => (whole, Some(decimals)),
        None => (amount, None),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || !decimals.is_none_or(all_digits) {
        return Err(not_an_amount());
    }
    let decimals = decimals.unwrap_or("");
    let exponent = currency.exponent();
    if decimals.len() > exponent as usize {
        return Err(MoneyError::TooPrecise {
            amount: amount.to_owned(),
            currency: currency.code().to_owned(),
            exponent,
        });
    }
    // The decimals padded with zeros to the exponent are the minor digits: "25.5" is 2550.
    let padding = exponent as usize - decimals.len();
    format!("{whole}{decimals}{}", "0".repeat(padding)).parse::<i64>().map_err(|_| MoneyError::TooLarge)
}

/// "5000" → "5,000".
pub(crate) fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    fn money(minor: i64, code: &str) -> Money {
        Money::new(minor, cur(code))
    }

    #[test]
    fn currency_parse_is_case_insensitive() {
        assert_eq!(cur("usd"), cur("USD"));
        assert_eq!(cur("Eur").code(), "EUR");
        assert_eq!(cur("jpy").to_string(), "JPY");
    }

    #[test]
    fn currency_parse_refuses_unknown_codes_keeping_the_input() {
        for code in ["", "US", "USDX", "ABC", " usd", "us$", "€"] {
            assert_eq!(Currency::parse(code), Err(MoneyError::UnknownCurrency(code.to_owned())), "{code:?}");
        }
    }

    #[test]
    fn exponents() {
        assert_eq!(cur("USD").exponent(), 2);
        assert_eq!(cur("EUR").exponent(), 2);
        assert_eq!(cur("JPY").exponent(), 0);
        assert_eq!(cur("BHD").exponent(), 3);
        // No minor unit in the data: whole units.
        assert_eq!(cur("XAU").exponent(), 0);
    }

    #[test]
    fn parse_major_accepts_digits_and_up_to_exponent_decimals() {
        assert_eq!(Money::parse_major("25", cur("USD")), Ok(money(2500, "USD")));
        assert_eq!(Money::parse_major("25.5", cur("USD")), Ok(money(2550, "USD")));
        assert_eq!(Money::parse_major("25.00", cur("USD")), Ok(money(2500, "USD")));
        assert_eq!(Money::parse_major("0.01", cur("EUR")), Ok(money(1, "EUR")));
        assert_eq!(Money::parse_major("007.10", cur("EUR")), Ok(money(710, "EUR")));
        assert_eq!(Money::parse_major("1000", cur("JPY")), Ok(money(1000, "JPY")));
        assert_eq!(Money::parse_major("1.234", cur("BHD")), Ok(money(1234, "BHD")));
    }

    #[test]
    fn parse_major_refuses_what_is_not_plain_digits() {
        for input in [
            "", ".", "25.", ".5", "1,000.50", "1,000", "25,50", "1 000", " 25", "25 ", "+25", "2.5.0", "1e3",
            "$25", "25€", "٣",
        ] {
            assert_eq!(
                Money::parse_major(input, cur("USD")),
                Err(MoneyError::NotAnAmount(input.to_owned())),
                "{input:?}"
            );
        }
    }

    #[test]
    fn parse_major_refuses_more_decimals_than_the_currency_has() {
        assert_eq!(
            Money::parse_major("25.001", cur("USD")),
            Err(MoneyError::TooPrecise { amount: "25.001".into(), currency: "USD".into(), exponent: 2 })
        );
        // Even a zero: the amount was not written for this currency.
        assert_eq!(
            Money::parse_major("25.500", cur("USD")),
            Err(MoneyError::TooPrecise { amount: "25.500".into(), currency: "USD".into(), exponent: 2 })
        );
        assert_eq!(
            Money::parse_major("1000.5", cur("JPY")),
            Err(MoneyError::TooPrecise { amount: "1000.5".into(), currency: "JPY".into(), exponent: 0 })
        );
        let err = Money::parse_major("1000.0", cur("JPY")).unwrap_err();
        assert_eq!(err.to_string(), "JPY has 0 decimal places; \"1000.0\" has more");
    }

    #[test]
    fn parse_major_refuses_zero_and_negative_amounts() {
        for input in ["0", "0.00", "000", "-0", "-5", "-25.50", "-99999999999999999999"] {
            assert_eq!(Money::parse_major(input, cur("USD")), Err(MoneyError::NotPositive), "{input:?}");
        }
        // A minus sign before something that is not an amount is still not an amount.
        assert_eq!(Money::parse_major("-", cur("USD")), Err(MoneyError::NotAnAmount("-".into())));
        assert_eq!(Money::parse_major("--5", cur("USD")), Err(MoneyError::NotAnAmount("--5".into())));
        assert_eq!(Money::parse_major("-x", cur("USD")), Err(MoneyError::NotAnAmount("-x".into())));
    }

    #[test]
    fn parse_major_refuses_amounts_beyond_i64() {
        // i64::MAX is 9223372036854775807 minor units.
        assert_eq!(Money::parse_major("9223372036854775807", cur("JPY")), Ok(money(i64::MAX, "JPY")));
        assert_eq!(Money::parse_major("9223372036854775808", cur("JPY")), Err(MoneyError::TooLarge));
        assert_eq!(Money::parse_major("92233720368547758.07", cur("USD")), Ok(money(i64::MAX, "USD")));
        assert_eq!(Money::parse_major("92233720368547758.08", cur("USD")), Err(MoneyError::TooLarge));
        assert_eq!(Money::parse_major("92233720368547759", cur("USD")), Err(MoneyError::TooLarge));
        assert_eq!(Money::parse_major(&"9".repeat(100), cur("USD")), Err(MoneyError::TooLarge));
    }

    #[test]
    fn format_for_people() {
        assert_eq!(money(500000, "USD").format(), "$5,000");
        assert_eq!(money(30750, "USD").format(), "$307.50");
        assert_eq!(money(30705, "USD").format(), "$307.05");
        assert_eq!(money(123456, "EUR").format(), "€1,234.56");
        assert_eq!(money(5000, "JPY").format(), "¥5,000");
        assert_eq!(money(2000, "CHF").format(), "CHF 20");
        assert_eq!(money(2050, "CHF").format(), "CHF 20.50");
        assert_eq!(money(100, "GBP").format(), "£1");
        assert_eq!(money(1, "USD").format(), "$0.01");
        assert_eq!(money(0, "USD").format(), "$0");
    }

    #[test]
    fn format_uses_the_code_when_the_symbol_is_a_word_or_missing() {
        assert_eq!(money(123456789, "SEK").format(), "SEK 1,234,567.89");
        assert_eq!(money(1000, "PLN").format(), "PLN 10");
        assert_eq!(money(12345, "BHD").format(), "BHD 12.345");
        assert_eq!(money(3, "XAU").format(), "XAU 3");
        // A symbol with one letter is still a symbol.
        assert_eq!(money(1000, "BRL").format(), "R$10");
    }

    #[test]
    fn format_groups_thousands() {
        assert_eq!(money(99900, "USD").format(), "$999");
        assert_eq!(money(100000, "USD").format(), "$1,000");
        assert_eq!(money(1234567, "JPY").format(), "¥1,234,567");
        assert_eq!(money(123456789, "JPY").format(), "¥123,456,789");
        assert_eq!(money(i64::MAX, "JPY").format(), "¥9,223,372,036,854,775,807");
    }

    #[test]
    fn format_negative_amounts_with_a_leading_minus() {
        assert_eq!(money(-505, "USD").format(), "-$5.05");
        assert_eq!(money(-500, "USD").format(), "-$5");
        assert_eq!(money(-100000, "USD").format(), "-$1,000");
        assert_eq!(money(-2000, "CHF").format(), "-CHF 20");
        assert_eq!(money(i64::MIN, "JPY").format(), "-¥9,223,372,036,854,775,808");
    }

    #[test]
    fn to_major_string_always_writes_every_minor_digit() {
        assert_eq!(money(30750, "USD").to_major_string(), "307.50");
        assert_eq!(money(500000, "USD").to_major_string(), "5000.00");
        assert_eq!(money(5, "USD").to_major_string(), "0.05");
        assert_eq!(money(0, "USD").to_major_string(), "0.00");
        assert_eq!(money(5000, "JPY").to_major_string(), "5000");
        assert_eq!(money(1005, "BHD").to_major_string(), "1.005");
        assert_eq!(money(-500, "USD").to_major_string(), "-5.00");
        assert_eq!(money(-5, "USD").to_major_string(), "-0.05");
        assert_eq!(money(i64::MIN, "USD").to_major_string(), "-92233720368547758.08");
    }

    #[test]
    fn to_major_string_parses_back() {
        for (minor, code) in [(30750, "USD"), (1, "EUR"), (5000, "JPY"), (1005, "BHD"), (i64::MAX, "USD")] {
            let m = money(minor, code);
            assert_eq!(Money::parse_major(&m.to_major_string(), m.currency), Ok(m));
        }
    }
}
