//! The site's secret key and what is derived from it: random tokens, salted hashes of IP
//! addresses (we never store an address itself), and signatures.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use tribune_core::store::{SettingStore, StoreError};

const SECRET_SETTING: &str = "site_secret";

pub struct SiteKeys {
    /// HMAC-SHA256 with the site's key already taken in: each hash clones it rather than
    /// hashing the key again (two of a token's five SHA-256 blocks).
    keyed: Hmac<Sha256>,
}

impl SiteKeys {
    /// Loads the key every node shares, creating it on the site's first start.
    pub async fn load<S: SettingStore>(store: &S) -> Result<SiteKeys, StoreError> {
        let secret = store.setting_or_insert(SECRET_SETTING, &random_token()).await?;
        Ok(SiteKeys::new(secret.as_bytes()))
    }

    fn new(secret: &[u8]) -> SiteKeys {
        SiteKeys { keyed: Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length") }
    }

    #[cfg(test)]
    pub fn for_tests(secret: &[u8]) -> SiteKeys {
        SiteKeys::new(secret)
    }

    /// A keyed hash: the same input gives the same value on every node, and the value
    /// cannot be reversed without the key (an IP address has few enough values to guess).
    pub fn keyed_hash(&self, purpose: &str, value: &str) -> String {
        self.keyed_hash_of(purpose, &[value])
    }

    /// The keyed hash of `parts` written one after the other (no string made to join them).
    pub fn keyed_hash_of(&self, purpose: &str, parts: &[&str]) -> String {
        let mut mac = self.keyed.clone();
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        for part in parts {
            mac.update(part.as_bytes());
        }
        URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..18])
    }

    /// What the site keeps of a client's address (for login throttles, rate limits, bans).
    pub fn address_hash(&self, ip: std::net::IpAddr) -> String {
        self.keyed_hash("ip", &ip.to_string())
    }

    /// What the site keeps of an e-mail address to ban it by: case and spaces do not count.
    pub fn email_hash(&self, email: &str) -> String {
        self.keyed_hash("email", &email.trim().to_lowercase())
    }

    /// `value.mac`: a value the site hands out and must recognise as its own when it comes
    /// back (a guest's cookie), without storing it.
    pub fn sign(&self, purpose: &str, value: &str) -> String {
        format!("{value}.{}", self.keyed_hash(purpose, value))
    }

    /// The value inside what [`SiteKeys::sign`] made for `purpose`; `None` for anything
    /// else (unsigned, forged, or signed for another purpose). Compared in constant time.
    pub fn verify<'a>(&self, purpose: &str, signed: &'a str) -> Option<&'a str> {
        let (value, mac) = signed.rsplit_once('.')?;
        same_secret(mac, &self.keyed_hash(purpose, value)).then_some(value)
    }
}

/// 256 random bits, URL-safe: session tokens, CSRF tokens, generated passwords.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Session tokens are stored by this hash, so a copy of the database signs nobody in.
pub fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// Compares secrets in constant time, so timing does not reveal how much matched.
pub fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hashes_depend_on_key_and_purpose() {
        let a = SiteKeys::new(b"one");
        let b = SiteKeys::new(b"two");
        assert_eq!(a.keyed_hash("ip", "1.2.3.4"), a.keyed_hash("ip", "1.2.3.4"));
        assert_ne!(a.keyed_hash("ip", "1.2.3.4"), b.keyed_hash("ip", "1.2.3.4"));
        assert_ne!(a.keyed_hash("ip", "1.2.3.4"), a.keyed_hash("other", "1.2.3.4"));
        assert!(!a.keyed_hash("ip", "1.2.3.4").contains("1.2.3.4"));
    }

    #[test]
    fn signed_values_come_back_only_unchanged() {
        let a = SiteKeys::new(b"one");
        let b = SiteKeys::new(b"two");
        let signed = a.sign("guest", "tok");
        assert_eq!(a.verify("guest", &signed), Some("tok"));
        assert_eq!(b.verify("guest", &signed), None, "another site's key");
        assert_eq!(a.verify("other", &signed), None, "another purpose");
        for forged in ["tok", "tok.", "x", "", ".", "tok.AAAA", &signed.replace("tok", "tol")] {
            assert_eq!(a.verify("guest", forged), None, "{forged}");
        }
    }

    #[test]
    fn tokens_are_random_and_compared_whole() {
        assert_ne!(random_token(), random_token());
        assert_eq!(random_token().len(), 43);
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd") && !same_secret("abc", "ab"));
    }
}
