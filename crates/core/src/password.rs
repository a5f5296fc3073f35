//! Password hashing with Argon2id (the algorithm OWASP recommends), with the crate's
//! default cost, which takes tens of milliseconds: slow for an attacker, fine for a login.

use std::cell::RefCell;

use argon2::password_hash::{Output, PasswordHash, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;

pub const MIN_PASSWORD_CHARS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("a password needs at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("could not hash the password: {0}")]
    Hash(String),
}

thread_local! {
    /// The memory a hash works in (19 MiB at the default cost), kept by a thread that
    /// hashes all day (see [`keep_work_memory`]). Allocated anew for every hash, freed
    /// copies stayed with the allocator: a login flood left a server 100 MB larger even
    /// with only two hashing threads.
    static WORK_MEMORY: RefCell<Option<Vec<Block>>> = const { RefCell::new(None) };
}

/// Makes this thread keep one hash's memory for every hash it computes: for the server's
/// hashing threads. Elsewhere (the command line) each hash allocates and frees its own.
pub fn keep_work_memory() {
    WORK_MEMORY.with_borrow_mut(|memory| memory.get_or_insert_with(Vec::new).clear());
}

/// Argon2 of `password` and `salt` into `out`.
fn argon2_into(argon: &Argon2, password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<(), argon2::Error> {
    let blocks = argon.params().block_count();
    WORK_MEMORY.with_borrow_mut(|kept| {
        let mut fresh = Vec::new();
        let memory = kept.as_mut().unwrap_or(&mut fresh);
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
    })
}

/// Hashes a new password into the PHC string format (algorithm, cost and salt included).
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    let fail = |e: &dyn std::fmt::Display| PasswordError::Hash(e.to_string());
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.as_salt().decode_b64(&mut salt_bytes).map_err(|e| fail(&e))?;
    let argon = Argon2::default();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_into(&argon, password.as_bytes(), salt_bytes, &mut out).map_err(|e| fail(&e))?;
    let hash = PasswordHash {
        algorithm: Algorithm::default().ident(),
        version: Some(Version::default().into()),
        params: argon.params().try_into().map_err(|e| fail(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| fail(&e))?),
    };
    Ok(hash.to_string())
}

/// Checks a password against a stored hash, with the cost the hash records. The
/// comparison is constant-time.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    let check = || -> Option<bool> {
        let hash = PasswordHash::new(stored_hash).ok()?;
        let algorithm = Algorithm::try_from(hash.algorithm).ok()?;
        let version = hash.version.map_or(Some(Version::default()), |v| Version::try_from(v).ok())?;
        let expected = hash.hash?;
        let params = Params::try_from(&hash).ok()?;
        let mut salt = [0u8; 64];
        let salt = hash.salt?.decode_b64(&mut salt).ok()?;
        let mut out = vec![0u8; expected.len()];
        argon2_into(&Argon2::new(algorithm, version, params), password.as_bytes(), salt, &mut out).ok()?;
        Some(bool::from(expected.as_bytes().ct_eq(&out)))
    };
    check().unwrap_or(false)
}

/// A hash of no password, verified against when a login names an unknown user, so that
/// the response takes as long as for a known one and does not reveal which emails exist.
pub fn decoy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2E5G9qkgq0ZyG7B8Eq4Ua6c8fU8nJQ8k2vH1tS1v4aU"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_the_right_password_only() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct hose", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert!(!verify_password("anything", decoy_hash()));
        // The decoy is a whole hash, so checking it costs what a real one does.
        let decoy = PasswordHash::new(decoy_hash()).unwrap();
        let (params, default) = (Params::try_from(&decoy).unwrap(), Params::default());
        assert!(decoy.hash.is_some());
        assert_eq!((params.m_cost(), params.t_cost()), (default.m_cost(), default.t_cost()));
    }

    #[test]
    fn hashes_are_standard_phc_strings() {
        // A hash made by the crate's own API (as older versions of Tribune stored them)
        // still verifies, and ours verifies with the crate's own verifier.
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default().hash_password(b"correct horse", &salt).unwrap();
        assert!(verify_password("correct horse", &theirs.to_string()));
        let ours = hash_password("correct horse").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"correct horse", &parsed).is_ok());
        assert!(Argon2::default().verify_password(b"wrong horse", &parsed).is_err());
    }

    #[test]
    fn refuses_short_passwords() {
        assert!(matches!(hash_password("short"), Err(PasswordError::TooShort)));
    }
}
