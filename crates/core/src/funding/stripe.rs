//! Stripe webhooks: the `Stripe-Signature` check exactly as Stripe specifies it, and the
//! events that move money, reduced to what the ledger needs.
//!
//! Signature: the header is `t=TIMESTAMP,v1=HEX[,v1=HEX…][,v0=…]`; the expected signature
//! is HMAC-SHA256 with the endpoint secret over `"{t}.{raw body}"`, hex-encoded. Any `v1`
//! may match (several during secret rotation); comparison is constant-time; a timestamp
//! more than the tolerance (300 s) away from now is refused.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};

/// Stripe's default tolerance.
pub const TOLERANCE_SECONDS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no Stripe-Signature header")]
    Missing,
    #[error("the Stripe-Signature header is malformed")]
    Malformed,
    #[error("the Stripe-Signature header has no v1 signature")]
    NoSignature,
    #[error("the signature's timestamp is outside the tolerance")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
}

/// Checks `header` (None when the request had none) against the raw request body.
pub fn verify_signature(
    header: Option<&str>,
    payload: &[u8],
    secret: &str,
    now_unix: i64,
) -> Result<(), SignatureError> {
    let header = header.filter(|h| !h.is_empty()).ok_or(SignatureError::Missing)?;
    let SignatureHeader { timestamp, signatures } = SignatureHeader::parse(header)?;
    if signatures.is_empty() {
        return Err(SignatureError::NoSignature);
    }
    if now_unix.abs_diff(timestamp) > TOLERANCE_SECONDS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let expected = expected_signature(secret, timestamp, payload);
    // Every candidate is compared, so the time taken does not tell which one matched.
    let matched = signatures
        .iter()
        .flatten()
        .fold(Choice::from(0), |matched, signature| matched | signature.as_slice().ct_eq(&expected));
    // With an empty secret anyone could sign: a misconfiguration must not open the door.
    if bool::from(matched) && !secret.is_empty() { Ok(()) } else { Err(SignatureError::Mismatch) }
}

/// The parts of a `Stripe-Signature` header that we check.
struct SignatureHeader {
    timestamp: i64,
    /// Every `v1`, decoded; `None` for one that is not hex, which can match nothing.
    signatures: Vec<Option<Vec<u8>>>,
}

impl SignatureHeader {
    fn parse(header: &str) -> Result<SignatureHeader, SignatureError> {
        let mut timestamp = None;
        let mut signatures = Vec::new();
        for item in header.split(',') {
            // Other schemes (v0 is Stripe's test-mode scheme) and unknown keys are ignored,
            // as Stripe asks, so that it can add schemes without breaking receivers.
            match item.trim().split_once('=') {
                Some(("t", t)) => {
                    let t = t.parse::<i64>().map_err(|_| SignatureError::Malformed)?;
                    // Two timestamps leave it unclear which one was signed.
                    if timestamp.replace(t).is_some() {
                        return Err(SignatureError::Malformed);
                    }
                }
                Some(("v1", signature)) => signatures.push(decode_hex(signature)),
                _ => {}
            }
        }
        let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
        Ok(SignatureHeader { timestamp, signatures })
    }
}

/// HMAC-SHA256 with the endpoint secret over `"{t}.{payload}"`.
fn expected_signature(secret: &str, timestamp: i64, payload: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(payload);
    mac.finalize().into_bytes().to_vec()
}

/// Hex, either case, to bytes; `None` unless every character is a hex digit and they pair up.
fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    hex.as_bytes().chunks(2).map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?)).collect()
}

/// A verified event, reduced to its effect on the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `evt_…`: Stripe redelivers with the same id.
    pub id: String,
    /// Unix seconds, from the event's `created`.
    pub created: i64,
    pub effect: Effect,
    /// The donor's address, when a payment's event carries one: normalised as account
    /// addresses are, so a reader's confirmed address can be matched to it. Never shown.
    pub donor_email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A payment succeeded. `payment_key` is the payment intent id, or the invoice id when
    /// there is no payment intent, so that every event describing one payment has one key.
    Paid { payment_key: String, amount_minor: i64, currency: String, supporter_name: Option<String> },
    /// The payment has now been refunded by `refunded_total_minor` in all (cumulative).
    Refunded { payment_key: String, refunded_total_minor: i64, currency: String },
    /// A dispute on the payment closed as lost.
    DisputeLost { payment_key: String, amount_minor: i64, currency: String },
    /// Any other event type, or one that moves no money yet (an unpaid checkout).
    Ignored { event_type: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed Stripe event: {0}")]
pub struct EventError(pub String);

/// Parses a (verified) event body. Counted: `checkout.session.completed` when
/// `payment_status` is `paid`, `checkout.session.async_payment_succeeded`,
/// `payment_intent.succeeded`, `invoice.paid`; checkout sessions in subscription mode are
/// left to their invoices. Subtracted: `charge.refunded` (cumulative `amount_refunded`),
/// `charge.dispute.closed` with status `lost`. Everything else is `Ignored`.
pub fn parse_event(payload: &[u8]) -> Result<Event, EventError> {
    let event: Value =
        serde_json::from_slice(payload).map_err(|e| EventError(format!("the body is not JSON: {e}")))?;
    let id = required_str(&event, "id", "id")?;
    let event_type = required_str(&event, "type", "type")?;
    let created = event
        .get("created")
        .and_then(Value::as_i64)
        .ok_or_else(|| EventError("\"created\" must be an integer (Unix seconds)".into()))?;
    let object = event
        .pointer("/data/object")
        .filter(|o| o.is_object())
        .ok_or_else(|| EventError("\"data.object\" must be an object".into()))?;
    let effect = effect(event_type, object)?;
    let donor_email = matches!(effect, Effect::Paid { .. }).then(|| donor_email(object)).flatten();
    Ok(Event { id: id.to_owned(), created, effect, donor_email })
}

fn effect(event_type: &str, object: &Value) -> Result<Effect, EventError> {
    let ignored = Effect::Ignored { event_type: event_type.to_owned() };
    match event_type {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            // A subscription's first payment is also its first invoice, counted from
            // `invoice.paid` like every renewal; counting the session too would count it twice.
            if object.get("mode").and_then(Value::as_str) == Some("subscription") {
                return Ok(ignored);
            }
            // A delayed method (a bank debit) completes the session unpaid; the money counts
            // when `async_payment_succeeded` follows.
            let paid = object.get("payment_status").and_then(Value::as_str) == Some("paid");
            if event_type == "checkout.session.completed" && !paid {
                return Ok(ignored);
            }
            paid_effect(payment_key(object)?, amount(object, "amount_total")?, object)
        }
        "payment_intent.succeeded" => {
            let amount_minor = match object.get("amount_received") {
                None | Some(Value::Null) => amount(object, "amount")?,
                Some(_) => amount(object, "amount_received")?,
            };
            paid_effect(required_str(object, "id", "data.object.id")?.to_owned(), amount_minor, object)
        }
        "invoice.paid" => {
            let amount_minor = amount(object, "amount_paid")?;
            // A free trial's invoice is paid with nothing.
            if amount_minor == 0 {
                return Ok(ignored);
            }
            Ok(Effect::Paid {
                payment_key: payment_key(object)?,
                amount_minor,
                currency: currency(object)?,
                // The donor's name travels in the checkout's metadata, not the invoice's.
                supporter_name: None,
            })
        }
        "charge.refunded" => Ok(Effect::Refunded {
            payment_key: payment_key(object)?,
            refunded_total_minor: amount(object, "amount_refunded")?,
            currency: currency(object)?,
        }),
        "charge.dispute.closed" => {
            if object.get("status").and_then(Value::as_str) != Some("lost") {
                return Ok(ignored);
            }
            let payment_key =
                id_ref(object, "payment_intent").or_else(|| id_ref(object, "charge")).ok_or_else(|| {
                    EventError("the dispute names neither a payment intent nor a charge".into())
                })?;
            Ok(Effect::DisputeLost {
                payment_key: payment_key.to_owned(),
                amount_minor: amount(object, "amount")?,
                currency: currency(object)?,
            })
        }
        _ => Ok(ignored),
    }
}

fn paid_effect(payment_key: String, amount_minor: i64, object: &Value) -> Result<Effect, EventError> {
    Ok(Effect::Paid {
        payment_key,
        amount_minor,
        currency: currency(object)?,
        supporter_name: supporter_name(object),
    })
}

/// The key of the payment a checkout session, invoice or charge is about: its payment
/// intent, which every event about the payment names, else its invoice, else the object
/// itself (an invoice is its own invoice, and has no `invoice` field).
fn payment_key(object: &Value) -> Result<String, EventError> {
    match id_ref(object, "payment_intent").or_else(|| id_ref(object, "invoice")) {
        Some(key) => Ok(key.to_owned()),
        None => Ok(required_str(object, "id", "data.object.id")?.to_owned()),
    }
}

fn required_str<'a>(object: &'a Value, key: &str, path: &str) -> Result<&'a str, EventError> {
    object
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| EventError(format!("\"{path}\" must be a non-empty string")))
}

/// A reference to another Stripe object: its id, or the object itself when expanded.
fn id_ref<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    let value = object.get(key)?;
    value.as_str().or_else(|| value.get("id")?.as_str()).filter(|id| !id.is_empty())
}

fn amount(object: &Value, key: &str) -> Result<i64, EventError> {
    object
        .get(key)
        .and_then(Value::as_i64)
        .filter(|minor| *minor >= 0)
        .ok_or_else(|| EventError(format!("\"data.object.{key}\" must be a non-negative integer")))
}

/// Stripe writes codes in lower case; the ledger checks them against ISO 4217.
fn currency(object: &Value) -> Result<String, EventError> {
    object
        .get("currency")
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase)
        .ok_or_else(|| EventError("\"data.object.currency\" must be a string".into()))
}

/// Where each kind of object keeps the payer's address: a checkout session's customer
/// details (or the address it was opened with), a payment intent's receipt address, a
/// charge's billing details, an invoice's customer address. The first valid one counts.
const DONOR_EMAIL_AT: [&str; 4] =
    ["/customer_details/email", "/customer_email", "/receipt_email", "/billing_details/email"];

fn donor_email(object: &Value) -> Option<String> {
    DONOR_EMAIL_AT
        .iter()
        .filter_map(|at| object.pointer(at)?.as_str())
        .find_map(|email| crate::user::normalize_email(email).ok())
}

/// The name a donor typed on the form, passed through the payment's metadata.
fn supporter_name(object: &Value) -> Option<String> {
    let name = object.pointer("/metadata/supporter_name")?.as_str()?.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Signatures computed independently of this code, with Python's standard library,
    // following Stripe's published algorithm (https://docs.stripe.com/webhooks#verify-manually):
    //   python3 -c 'import hmac,hashlib; print(hmac.new(SECRET, b"T." + PAYLOAD, hashlib.sha256).hexdigest())'

    const SECRET: &str = "whsec_test_secret";
    const T: i64 = 1_700_000_000;
    const PAYLOAD: &[u8] = br#"{"id":"evt_1"}"#;
    /// SECRET = b"whsec_test_secret", T = 1700000000, PAYLOAD = b'{"id":"evt_1"}'.
    const SIG: &str = "248a374f50f943a28b0f6ab50faf9a7e7e29b710fa26df9fb1618b9bf8ea9c9a";
    /// SECRET = b"whsec_old_secret", T = 1700000000, PAYLOAD = b'{"id":"evt_1"}'.
    const SIG_OLD_SECRET: &str = "6dc3855b845a24ac8ac412b25b4fc16893a8194315480344360bcacdb1183294";
    /// SECRET = b"whsec_test_secret", T = 1700000001, PAYLOAD = b'{"id":"evt_1"}'.
    const SIG_NEXT_SECOND: &str = "2617de3bce332898b1173d73171cea81903a308e2053e3e66bffab0535d760a5";
    /// SECRET = b"whsec_test_secret", T = 1700000000, PAYLOAD = MULTILINE_PAYLOAD (UTF-8).
    const SIG_MULTILINE: &str = "814425c671b0147888324c4e459db8ced9630cd8267146f17fa88dbf37b3a974";
    const MULTILINE_PAYLOAD: &str = "{\n  \"id\": \"evt_1\",\n  \"object\": \"event\",\n  \"data\": {\"object\": {\"metadata\": {\"supporter_name\": \"Zoë\"}}}\n}\n";
    /// SECRET = b"whsec_test_secret", T = 1700000000, PAYLOAD = b"".
    const SIG_EMPTY_BODY: &str = "316b9ab98c15bfa039d243f3196acee619cf29749a91a634e6a8154e2f7b6727";

    fn verify(header: &str, payload: &[u8], now: i64) -> Result<(), SignatureError> {
        verify_signature(Some(header), payload, SECRET, now)
    }

    #[test]
    fn a_valid_signature_passes() {
        assert_eq!(verify(&format!("t={T},v1={SIG}"), PAYLOAD, T), Ok(()));
        assert_eq!(verify(&format!("t={T},v1={SIG_MULTILINE}"), MULTILINE_PAYLOAD.as_bytes(), T + 5), Ok(()));
        assert_eq!(verify(&format!("t={T},v1={SIG_EMPTY_BODY}"), b"", T), Ok(()));
        assert_eq!(verify(&format!("t={},v1={SIG_NEXT_SECOND}", T + 1), PAYLOAD, T), Ok(()));
    }

    #[test]
    fn the_order_of_items_and_other_schemes_do_not_matter() {
        // v0 is arbitrary: it is never checked.
        let v0 = "6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39";
        assert_eq!(verify(&format!("v1={SIG},t={T}"), PAYLOAD, T), Ok(()));
        assert_eq!(verify(&format!("t={T},v1={SIG},v0={v0}"), PAYLOAD, T), Ok(()));
        assert_eq!(verify(&format!("t={T},v0={v0},v1={SIG},v2=whatever,x"), PAYLOAD, T), Ok(()));
        assert_eq!(verify(&format!("t={T},v1={}", SIG.to_uppercase()), PAYLOAD, T), Ok(()));
    }

    #[test]
    fn any_v1_may_match_during_secret_rotation() {
        assert_eq!(verify(&format!("t={T},v1={SIG_OLD_SECRET},v1={SIG}"), PAYLOAD, T), Ok(()));
        assert_eq!(verify(&format!("t={T},v1={SIG},v1={SIG_OLD_SECRET}"), PAYLOAD, T), Ok(()));
        assert_eq!(verify(&format!("t={T},v1=not-hex,v1={SIG}"), PAYLOAD, T), Ok(()));
        assert_eq!(
            verify_signature(
                Some(&format!("t={T},v1={SIG},v1={SIG_OLD_SECRET}")),
                PAYLOAD,
                "whsec_old_secret",
                T
            ),
            Ok(())
        );
    }

    #[test]
    fn a_tampered_body_fails() {
        let header = format!("t={T},v1={SIG}");
        assert_eq!(verify(&header, br#"{"id":"evt_2"}"#, T), Err(SignatureError::Mismatch));
        assert_eq!(verify(&header, br#"{"id":"evt_1"} "#, T), Err(SignatureError::Mismatch));
        assert_eq!(verify(&header, b"", T), Err(SignatureError::Mismatch));
    }

    #[test]
    fn a_wrong_secret_fails() {
        let header = format!("t={T},v1={SIG}");
        assert_eq!(
            verify_signature(Some(&header), PAYLOAD, "whsec_old_secret", T),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(Some(&header), PAYLOAD, "whsec_test_secre", T),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify(&format!("t={T},v1={SIG_OLD_SECRET}"), PAYLOAD, T), Err(SignatureError::Mismatch));
    }

    #[test]
    fn an_empty_secret_matches_nothing() {
        // SECRET = b"" (HMAC allows an empty key), T = 1700000000, PAYLOAD, computed as above.
        let signed_without_key = "0544cee61c7f21c4f8ddaa03818d769214fe1cee99d6a47c009139d400184359";
        let header = format!("t={T},v1={signed_without_key}");
        assert_eq!(verify_signature(Some(&header), PAYLOAD, "", T), Err(SignatureError::Mismatch));
    }

    #[test]
    fn the_signature_covers_the_timestamp() {
        // The body's signature moved to another time no longer matches.
        assert_eq!(verify(&format!("t={},v1={SIG}", T + 1), PAYLOAD, T), Err(SignatureError::Mismatch));
        assert_eq!(verify(&format!("t={T},v1={SIG_NEXT_SECOND}"), PAYLOAD, T), Err(SignatureError::Mismatch));
    }

    #[test]
    fn signatures_that_are_not_32_bytes_of_hex_fail() {
        for v1 in
            ["", "00", &SIG[..63], &SIG[..62], &format!("{SIG}00"), &format!("{}g", &SIG[..63]), "+1", "zz"]
        {
            assert_eq!(
                verify(&format!("t={T},v1={v1}"), PAYLOAD, T),
                Err(SignatureError::Mismatch),
                "{v1:?}"
            );
        }
    }

    #[test]
    fn a_timestamp_more_than_300_seconds_away_is_stale() {
        let header = format!("t={T},v1={SIG}");
        assert_eq!(verify(&header, PAYLOAD, T + 301), Err(SignatureError::Stale));
        assert_eq!(verify(&header, PAYLOAD, T - 301), Err(SignatureError::Stale));
        assert_eq!(verify(&header, PAYLOAD, T + 300), Ok(()));
        assert_eq!(verify(&header, PAYLOAD, T - 300), Ok(()));
        // Staleness is reported whatever the signature.
        assert_eq!(verify(&format!("t={T},v1=00"), PAYLOAD, T + 10_000), Err(SignatureError::Stale));
    }

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        assert_eq!(
            verify(&format!("t={},v1={SIG}", i64::MIN), PAYLOAD, i64::MAX),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(&format!("t={},v1={SIG}", i64::MAX), PAYLOAD, i64::MIN),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn a_missing_header_is_missing() {
        assert_eq!(verify_signature(None, PAYLOAD, SECRET, T), Err(SignatureError::Missing));
        assert_eq!(verify_signature(Some(""), PAYLOAD, SECRET, T), Err(SignatureError::Missing));
    }

    #[test]
    fn a_header_without_a_good_timestamp_is_malformed() {
        for header in [
            format!("v1={SIG}"),
            format!("t=,v1={SIG}"),
            format!("t=soon,v1={SIG}"),
            format!("t=1.7e9,v1={SIG}"),
            format!("t={T}0000000000,v1={SIG}"),
            format!("t={T},t={T},v1={SIG}"),
            format!("T={T},v1={SIG}"),
            "garbage".to_owned(),
            ",,,".to_owned(),
            " ".to_owned(),
            "t".to_owned(),
        ] {
            assert_eq!(verify(&header, PAYLOAD, T), Err(SignatureError::Malformed), "{header:?}");
        }
    }

    #[test]
    fn a_header_without_v1_has_no_signature() {
        for header in
            [format!("t={T}"), format!("t={T},v0={SIG}"), format!("t={T},V1={SIG}"), format!("t={T},v1")]
        {
            assert_eq!(verify(&header, PAYLOAD, T), Err(SignatureError::NoSignature), "{header:?}");
        }
    }

    #[test]
    fn decode_hex_pairs_digits() {
        assert_eq!(decode_hex(""), Some(vec![]));
        assert_eq!(decode_hex("00ff10Ab"), Some(vec![0x00, 0xff, 0x10, 0xab]));
        assert_eq!(decode_hex("0"), None);
        assert_eq!(decode_hex("0g"), None);
        assert_eq!(decode_hex("+f"), None);
        assert_eq!(decode_hex("é0"), None);
    }

    // Events, shaped like Stripe's (API version 2024-06-20), trimmed of fields we don't read.

    fn event(event_type: &str, object: Value) -> Vec<u8> {
        json!({
            "id": "evt_1PqRsTuVwXyZ",
            "object": "event",
            "api_version": "2024-06-20",
            "created": 1_721_822_400,
            "data": { "object": object, "previous_attributes": null },
            "livemode": false,
            "pending_webhooks": 1,
            "request": { "id": null, "idempotency_key": null },
            "type": event_type,
        })
        .to_string()
        .into_bytes()
    }

    fn effect_of(event_type: &str, object: Value) -> Effect {
        parse_event(&event(event_type, object)).unwrap().effect
    }

    fn error_of(event_type: &str, object: Value) -> String {
        parse_event(&event(event_type, object)).unwrap_err().0
    }

    fn ignored(event_type: &str) -> Effect {
        Effect::Ignored { event_type: event_type.to_owned() }
    }

    fn paid(key: &str, amount_minor: i64, currency: &str, name: Option<&str>) -> Effect {
        Effect::Paid {
            payment_key: key.to_owned(),
            amount_minor,
            currency: currency.to_owned(),
            supporter_name: name.map(str::to_owned),
        }
    }

    fn checkout_session() -> Value {
        json!({
            "id": "cs_test_a1B2c3D4e5",
            "object": "checkout.session",
            "amount_subtotal": 2500,
            "amount_total": 2500,
            "currency": "usd",
            "customer": null,
            "customer_details": { "email": "ada@example.com", "name": "Ada Lovelace" },
            "invoice": null,
            "metadata": { "supporter_name": "Ada Lovelace" },
            "mode": "payment",
            "payment_intent": "pi_3PdonationA",
            "payment_status": "paid",
            "status": "complete",
            "subscription": null,
        })
    }

    fn payment_intent() -> Value {
        json!({
            "id": "pi_3PdonationA",
            "object": "payment_intent",
            "amount": 2500,
            "amount_received": 2500,
            "currency": "usd",
            "invoice": null,
            "latest_charge": "ch_3PdonationA",
            "metadata": { "supporter_name": "Ada Lovelace" },
            "status": "succeeded",
        })
    }

    fn invoice() -> Value {
        json!({
            "id": "in_1PmonthlyB",
            "object": "invoice",
            "amount_due": 1000,
            "amount_paid": 1000,
            "amount_remaining": 0,
            "billing_reason": "subscription_cycle",
            "charge": "ch_3PmonthlyB",
            "currency": "eur",
            "customer": "cus_Q1w2E3r4",
            "metadata": {},
            "paid": true,
            "payment_intent": "pi_3PmonthlyB",
            "status": "paid",
            "subscription": "sub_1PmonthlyB",
        })
    }

    fn charge() -> Value {
        json!({
            "id": "ch_3PdonationA",
            "object": "charge",
            "amount": 2500,
            "amount_captured": 2500,
            "amount_refunded": 1000,
            "currency": "usd",
            "invoice": null,
            "paid": true,
            "payment_intent": "pi_3PdonationA",
            "refunded": false,
            "refunds": { "object": "list", "data": [], "has_more": false, "url": "/v1/charges/ch_3PdonationA/refunds" },
            "status": "succeeded",
        })
    }

    fn dispute() -> Value {
        json!({
            "id": "dp_1PdisputeA",
            "object": "dispute",
            "amount": 2500,
            "charge": "ch_3PdonationA",
            "currency": "usd",
            "is_charge_refundable": false,
            "payment_intent": "pi_3PdonationA",
            "reason": "fraudulent",
            "status": "lost",
        })
    }

    fn with(mut object: Value, key: &str, value: Value) -> Value {
        object[key] = value;
        object
    }

    fn without(mut object: Value, key: &str) -> Value {
        object.as_object_mut().unwrap().remove(key);
        object
    }

    #[test]
    fn a_raw_event_body_parses() {
        let body = r#"{
  "id": "evt_1PqRsTuVwXyZ",
  "object": "event",
  "api_version": "2024-06-20",
  "created": 1721822400,
  "data": {
    "object": {
      "id": "pi_3PdonationA",
      "object": "payment_intent",
      "amount": 5000,
      "amount_received": 5000,
      "currency": "jpy",
      "metadata": {"supporter_name": "Zoë"},
      "status": "succeeded"
    }
  },
  "livemode": true,
  "type": "payment_intent.succeeded"
}"#;
        assert_eq!(
            parse_event(body.as_bytes()),
            Ok(Event {
                id: "evt_1PqRsTuVwXyZ".into(),
                created: 1_721_822_400,
                effect: paid("pi_3PdonationA", 5000, "JPY", Some("Zoë")),
                donor_email: None,
            })
        );
    }

    #[test]
    fn checkout_completed_and_paid_counts_under_its_payment_intent() {
        let event = parse_event(&event("checkout.session.completed", checkout_session())).unwrap();
        assert_eq!(event.id, "evt_1PqRsTuVwXyZ");
        assert_eq!(event.created, 1_721_822_400);
        assert_eq!(event.effect, paid("pi_3PdonationA", 2500, "USD", Some("Ada Lovelace")));
    }

    #[test]
    fn every_event_about_one_payment_has_one_key() {
        let key = |effect: Effect| match effect {
            Effect::Paid { payment_key, .. }
            | Effect::Refunded { payment_key, .. }
            | Effect::DisputeLost { payment_key, .. } => payment_key,
            Effect::Ignored { event_type } => panic!("{event_type} ignored"),
        };
        let keys = [
            key(effect_of("checkout.session.completed", checkout_session())),
            key(effect_of("checkout.session.async_payment_succeeded", checkout_session())),
            key(effect_of("payment_intent.succeeded", payment_intent())),
            key(effect_of("charge.refunded", charge())),
            key(effect_of("charge.dispute.closed", dispute())),
        ];
        assert!(keys.iter().all(|k| k == "pi_3PdonationA"), "{keys:?}");
        // A subscription's invoice and its payment intent agree too.
        let subscription_payment = json!({
            "id": "pi_3PmonthlyB", "object": "payment_intent", "amount": 1000, "amount_received": 1000,
            "currency": "eur", "invoice": "in_1PmonthlyB", "metadata": {}, "status": "succeeded",
        });
        assert_eq!(key(effect_of("invoice.paid", invoice())), "pi_3PmonthlyB");
        assert_eq!(key(effect_of("payment_intent.succeeded", subscription_payment)), "pi_3PmonthlyB");
    }

    #[test]
    fn checkout_in_subscription_mode_is_left_to_the_invoices() {
        let session = with(checkout_session(), "mode", json!("subscription"));
        let session = with(session, "payment_intent", Value::Null);
        let session = with(session, "invoice", json!("in_1PmonthlyB"));
        let session = with(session, "subscription", json!("sub_1PmonthlyB"));
        assert_eq!(
            effect_of("checkout.session.completed", session.clone()),
            ignored("checkout.session.completed")
        );
        assert_eq!(
            effect_of("checkout.session.async_payment_succeeded", session),
            ignored("checkout.session.async_payment_succeeded")
        );
    }

    #[test]
    fn checkout_completed_but_not_paid_moves_no_money_yet() {
        for status in [json!("unpaid"), json!("no_payment_required"), Value::Null] {
            let session = with(checkout_session(), "payment_status", status);
            assert_eq!(
                effect_of("checkout.session.completed", session),
                ignored("checkout.session.completed")
            );
        }
        let session = without(checkout_session(), "payment_status");
        assert_eq!(effect_of("checkout.session.completed", session), ignored("checkout.session.completed"));
    }

    #[test]
    fn checkout_async_payment_succeeded_counts() {
        // A bank debit: the session completed unpaid, and now the money has arrived.
        let session = with(checkout_session(), "amount_total", json!(4000));
        let session = with(session, "currency", json!("eur"));
        assert_eq!(
            effect_of("checkout.session.async_payment_succeeded", session),
            paid("pi_3PdonationA", 4000, "EUR", Some("Ada Lovelace"))
        );
    }

    #[test]
    fn checkout_without_a_payment_intent_falls_back_to_the_invoice_then_the_session() {
        let session = with(checkout_session(), "payment_intent", Value::Null);
        let with_invoice = with(session.clone(), "invoice", json!("in_1PoneOff"));
        assert_eq!(
            effect_of("checkout.session.completed", with_invoice),
            paid("in_1PoneOff", 2500, "USD", Some("Ada Lovelace"))
        );
        assert_eq!(
            effect_of("checkout.session.completed", without(session, "invoice")),
            paid("cs_test_a1B2c3D4e5", 2500, "USD", Some("Ada Lovelace"))
        );
    }

    #[test]
    fn expanded_references_are_read_by_their_id() {
        let expanded = with(checkout_session(), "payment_intent", payment_intent());
        assert_eq!(
            effect_of("checkout.session.completed", expanded),
            paid("pi_3PdonationA", 2500, "USD", Some("Ada Lovelace"))
        );
        let expanded =
            with(invoice(), "payment_intent", json!({ "id": "pi_3PmonthlyB", "object": "payment_intent" }));
        assert_eq!(effect_of("invoice.paid", expanded), paid("pi_3PmonthlyB", 1000, "EUR", None));
        let expanded = with(dispute(), "payment_intent", Value::Null);
        let expanded = with(expanded, "charge", charge());
        assert_eq!(
            effect_of("charge.dispute.closed", expanded),
            Effect::DisputeLost {
                payment_key: "ch_3PdonationA".into(),
                amount_minor: 2500,
                currency: "USD".into()
            }
        );
    }

    #[test]
    fn the_supporter_name_is_taken_only_when_given() {
        let name_of = |metadata: Value| match effect_of(
            "checkout.session.completed",
            with(checkout_session(), "metadata", metadata),
        ) {
            Effect::Paid { supporter_name, .. } => supporter_name,
            other => panic!("{other:?}"),
        };
        assert_eq!(name_of(json!({ "supporter_name": "  Ada  " })), Some("Ada".into()));
        assert_eq!(name_of(json!({ "supporter_name": "" })), None);
        assert_eq!(name_of(json!({ "supporter_name": "   " })), None);
        assert_eq!(name_of(json!({ "supporter_name": 42 })), None);
        assert_eq!(name_of(json!({ "supporter_name": null })), None);
        assert_eq!(name_of(json!({ "other": "Ada" })), None);
        assert_eq!(name_of(json!({})), None);
        assert_eq!(name_of(Value::Null), None);
        // The name Stripe collected for the card is not consent to be named.
        let anonymous = without(checkout_session(), "metadata");
        assert_eq!(
            effect_of("checkout.session.completed", anonymous),
            paid("pi_3PdonationA", 2500, "USD", None)
        );
    }

    #[test]
    fn the_donor_email_is_taken_where_each_object_keeps_it_normalised() {
        let email_of =
            |event_type: &str, object: Value| parse_event(&event(event_type, object)).unwrap().donor_email;
        let session = with(checkout_session(), "customer_details", json!({ "email": "  Ada@Example.COM " }));
        assert_eq!(email_of("checkout.session.completed", session), Some("ada@example.com".into()));
        let session = with(checkout_session(), "customer_details", Value::Null);
        let session = with(session, "customer_email", json!("ada@example.com"));
        assert_eq!(email_of("checkout.session.completed", session), Some("ada@example.com".into()));
        let pi = with(payment_intent(), "receipt_email", json!("Grace@Example.org"));
        assert_eq!(email_of("payment_intent.succeeded", pi), Some("grace@example.org".into()));
        let invoice = with(invoice(), "customer_email", json!("monthly@example.net"));
        assert_eq!(email_of("invoice.paid", invoice), Some("monthly@example.net".into()));
        // None, or not an address: no donor to match.
        assert_eq!(email_of("payment_intent.succeeded", payment_intent()), None);
        let session = with(checkout_session(), "customer_details", json!({ "email": "not an address" }));
        assert_eq!(email_of("checkout.session.completed", session), None);
        // Only payments carry a donor: a refund names the payment, whose donor is known.
        let charge = with(charge(), "billing_details", json!({ "email": "ada@example.com" }));
        assert_eq!(email_of("charge.refunded", charge), None);
    }

    #[test]
    fn payment_intent_succeeded_counts_the_amount_received() {
        let pi = with(payment_intent(), "amount", json!(3000));
        assert_eq!(
            effect_of("payment_intent.succeeded", pi),
            paid("pi_3PdonationA", 2500, "USD", Some("Ada Lovelace"))
        );
        let pi = without(with(payment_intent(), "amount", json!(3000)), "amount_received");
        assert_eq!(
            effect_of("payment_intent.succeeded", pi),
            paid("pi_3PdonationA", 3000, "USD", Some("Ada Lovelace"))
        );
        let pi = with(payment_intent(), "amount_received", Value::Null);
        assert_eq!(
            effect_of("payment_intent.succeeded", pi),
            paid("pi_3PdonationA", 2500, "USD", Some("Ada Lovelace"))
        );
        let pi = without(payment_intent(), "metadata");
        assert_eq!(effect_of("payment_intent.succeeded", pi), paid("pi_3PdonationA", 2500, "USD", None));
    }

    #[test]
    fn invoice_paid_counts_under_its_payment_intent_else_itself() {
        assert_eq!(effect_of("invoice.paid", invoice()), paid("pi_3PmonthlyB", 1000, "EUR", None));
        assert_eq!(
            effect_of("invoice.paid", with(invoice(), "payment_intent", Value::Null)),
            paid("in_1PmonthlyB", 1000, "EUR", None)
        );
        assert_eq!(
            effect_of("invoice.paid", without(invoice(), "payment_intent")),
            paid("in_1PmonthlyB", 1000, "EUR", None)
        );
        // Names are not taken from invoices.
        let named = with(invoice(), "metadata", json!({ "supporter_name": "Ada" }));
        assert_eq!(effect_of("invoice.paid", named), paid("pi_3PmonthlyB", 1000, "EUR", None));
    }

    #[test]
    fn a_free_trial_invoice_is_ignored() {
        let trial = with(invoice(), "amount_paid", json!(0));
        let trial = with(trial, "payment_intent", Value::Null);
        let trial = with(trial, "billing_reason", json!("subscription_create"));
        assert_eq!(effect_of("invoice.paid", trial), ignored("invoice.paid"));
    }

    #[test]
    fn charge_refunded_reports_the_cumulative_refund() {
        assert_eq!(
            effect_of("charge.refunded", charge()),
            Effect::Refunded {
                payment_key: "pi_3PdonationA".into(),
                refunded_total_minor: 1000,
                currency: "USD".into()
            }
        );
        let full = with(with(charge(), "amount_refunded", json!(2500)), "refunded", json!(true));
        assert_eq!(
            effect_of("charge.refunded", full),
            Effect::Refunded {
                payment_key: "pi_3PdonationA".into(),
                refunded_total_minor: 2500,
                currency: "USD".into()
            }
        );
    }

    #[test]
    fn charge_refunded_falls_back_to_the_invoice_then_the_charge() {
        let no_pi = with(charge(), "payment_intent", Value::Null);
        assert_eq!(
            effect_of("charge.refunded", with(no_pi.clone(), "invoice", json!("in_1PmonthlyB"))),
            Effect::Refunded {
                payment_key: "in_1PmonthlyB".into(),
                refunded_total_minor: 1000,
                currency: "USD".into()
            }
        );
        assert_eq!(
            effect_of("charge.refunded", no_pi),
            Effect::Refunded {
                payment_key: "ch_3PdonationA".into(),
                refunded_total_minor: 1000,
                currency: "USD".into()
            }
        );
    }

    #[test]
    fn a_lost_dispute_subtracts_the_disputed_amount() {
        assert_eq!(
            effect_of("charge.dispute.closed", dispute()),
            Effect::DisputeLost {
                payment_key: "pi_3PdonationA".into(),
                amount_minor: 2500,
                currency: "USD".into()
            }
        );
        assert_eq!(
            effect_of("charge.dispute.closed", without(dispute(), "payment_intent")),
            Effect::DisputeLost {
                payment_key: "ch_3PdonationA".into(),
                amount_minor: 2500,
                currency: "USD".into()
            }
        );
    }

    #[test]
    fn a_dispute_not_lost_is_ignored() {
        for status in ["won", "warning_closed", "needs_response", "under_review"] {
            let closed = with(dispute(), "status", json!(status));
            assert_eq!(
                effect_of("charge.dispute.closed", closed),
                ignored("charge.dispute.closed"),
                "{status}"
            );
        }
        // Opening a dispute moves nothing yet.
        assert_eq!(effect_of("charge.dispute.created", dispute()), ignored("charge.dispute.created"));
    }

    #[test]
    fn a_lost_dispute_must_name_its_payment() {
        let orphan = without(without(dispute(), "payment_intent"), "charge");
        assert!(error_of("charge.dispute.closed", orphan).contains("neither"));
    }

    #[test]
    fn other_event_types_are_ignored() {
        for event_type in [
            "customer.created",
            "payment_intent.created",
            "payment_intent.payment_failed",
            "charge.succeeded",
            "invoice.payment_failed",
            "checkout.session.expired",
            "checkout.session.async_payment_failed",
        ] {
            assert_eq!(effect_of(event_type, json!({ "id": "x_1" })), ignored(event_type), "{event_type}");
        }
    }

    #[test]
    fn the_currency_is_upper_cased_but_not_checked_here() {
        let pi = with(payment_intent(), "currency", json!("Eur"));
        assert_eq!(
            effect_of("payment_intent.succeeded", pi),
            paid("pi_3PdonationA", 2500, "EUR", Some("Ada Lovelace"))
        );
        let pi = with(payment_intent(), "currency", json!("zzz"));
        assert_eq!(
            effect_of("payment_intent.succeeded", pi),
            paid("pi_3PdonationA", 2500, "ZZZ", Some("Ada Lovelace"))
        );
    }

    #[test]
    fn a_currency_that_is_not_a_string_is_an_error() {
        for currency in [json!(840), Value::Null, json!(["usd"])] {
            let error = error_of("payment_intent.succeeded", with(payment_intent(), "currency", currency));
            assert!(error.contains("data.object.currency"), "{error}");
        }
        let error = error_of("charge.refunded", without(charge(), "currency"));
        assert!(error.contains("data.object.currency"), "{error}");
    }

    #[test]
    fn amounts_must_be_non_negative_integers() {
        for bad in [json!(-1), json!(25.5), json!("2500"), json!(1e20), json!(u64::MAX), Value::Null] {
            let cases = [
                (
                    "checkout.session.completed",
                    with(checkout_session(), "amount_total", bad.clone()),
                    "amount_total",
                ),
                (
                    "payment_intent.succeeded",
                    with(payment_intent(), "amount_received", bad.clone()),
                    "amount_received",
                ),
                ("invoice.paid", with(invoice(), "amount_paid", bad.clone()), "amount_paid"),
                ("charge.refunded", with(charge(), "amount_refunded", bad.clone()), "amount_refunded"),
                ("charge.dispute.closed", with(dispute(), "amount", bad.clone()), "amount"),
            ];
            for (event_type, object, field) in cases {
                // payment_intent.succeeded falls back to `amount` when `amount_received` is null.
                if bad.is_null() && field == "amount_received" {
                    continue;
                }
                let error = error_of(event_type, object);
                assert_eq!(error, format!("\"data.object.{field}\" must be a non-negative integer"), "{bad}");
            }
        }
        let error = error_of(
            "payment_intent.succeeded",
            without(without(payment_intent(), "amount_received"), "amount"),
        );
        assert_eq!(error, "\"data.object.amount\" must be a non-negative integer");
    }

    #[test]
    fn an_ignored_event_is_not_checked_for_amounts() {
        let session = with(checkout_session(), "payment_status", json!("unpaid"));
        let session = with(session, "amount_total", Value::Null);
        assert_eq!(effect_of("checkout.session.completed", session), ignored("checkout.session.completed"));
    }

    #[test]
    fn the_envelope_must_be_complete() {
        let good: Value =
            serde_json::from_slice(&event("payment_intent.succeeded", payment_intent())).unwrap();
        let broken = |path: &[&str], value: Option<Value>| {
            let mut event = good.clone();
            let (last, parents) = path.split_last().unwrap();
            let parent = parents.iter().fold(&mut event, |v, key| &mut v[*key]);
            match value {
                Some(value) => parent[*last] = value,
                None => {
                    parent.as_object_mut().unwrap().remove(*last);
                }
            }
            parse_event(event.to_string().as_bytes()).unwrap_err().0
        };
        assert!(broken(&["id"], None).contains("\"id\""));
        assert!(broken(&["id"], Some(json!(""))).contains("\"id\""));
        assert!(broken(&["id"], Some(json!(17))).contains("\"id\""));
        assert!(broken(&["type"], None).contains("\"type\""));
        assert!(broken(&["created"], None).contains("\"created\""));
        assert!(broken(&["created"], Some(json!("1721822400"))).contains("\"created\""));
        assert!(broken(&["created"], Some(json!(1.5))).contains("\"created\""));
        assert!(broken(&["data"], None).contains("\"data.object\""));
        assert!(broken(&["data", "object"], None).contains("\"data.object\""));
        assert!(broken(&["data", "object"], Some(json!("pi_1"))).contains("\"data.object\""));
        assert!(broken(&["data", "object", "id"], None).contains("\"data.object.id\""));
    }

    #[test]
    fn a_body_that_is_not_a_json_object_is_an_error() {
        for body in [&b""[..], b"not json", b"[]", b"null", b"{\"id\": \"evt_1\""] {
            assert!(parse_event(body).is_err(), "{:?}", String::from_utf8_lossy(body));
        }
        assert!(
            parse_event(b"<html>")
                .unwrap_err()
                .to_string()
                .starts_with("malformed Stripe event: the body is not JSON")
        );
    }
}
