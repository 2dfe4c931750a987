//! Random tokens, their hashes, password hashing and the server's key.
//!
//! - Session cookies and share tokens are 256 and 160 random bits from the OS; only their
//!   SHA-256 is stored, so a copy of the database opens nothing.
//! - Passwords are hashed with argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes).
//! - An access key's secret is HMAC-SHA256(server key, key id): the server can recompute it
//!   for SigV4, which needs the secret itself, while the database holds no secret. The key
//!   lives in `DATA_DIR/server.key` (mode 0600), made on first use.

use std::path::Path;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::{Argon2, PasswordVerifier};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const SERVER_KEY_FILE: &str = "server.key";

/// `n` random bytes from the operating system.
fn random_bytes(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).expect("the operating system's random source");
    b
}

/// A random token of `bytes` bytes, as lowercase hex.
pub fn random_token(bytes: usize) -> String {
    hex::encode(random_bytes(bytes))
}

/// `len` random characters from the base-32 alphabet (upper case and 2–7).
pub fn random_base32(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    random_bytes(len)
        .into_iter()
        .map(|b| ALPHABET[(b & 31) as usize] as char)
        .collect()
}

/// SHA-256 of a token, as hex: what the database keeps.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Equal, compared in constant time (for equal lengths).
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))
}

/// A hash to check against when the account does not exist, so that a wrong name takes
/// as long as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("glassbox: no such account").unwrap_or_default())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// The server's key, made on first use.
pub fn server_key(data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    let path = data_dir.join(SERVER_KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => hex::decode(text.trim())
            .ok()
            .filter(|k| k.len() == 32)
            .ok_or_else(|| anyhow::anyhow!("{} is not a key written by Glassbox", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            use std::io::Write;
            let key = random_bytes(32);
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            match opts.open(&path) {
                Ok(mut f) => {
                    f.write_all(hex::encode(&key).as_bytes())
                        .and_then(|_| f.sync_all())
                        .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
                    Ok(key)
                }
                // Another process made it first: read theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => server_key(data_dir),
                Err(e) => Err(anyhow::anyhow!("creating {}: {e}", path.display())),
            }
        }
        Err(e) => Err(anyhow::anyhow!("reading {}: {e}", path.display())),
    }
}

/// HMAC-SHA256.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The secret of access key `id`: 40 hex characters (160 bits).
pub fn access_key_secret(server_key: &[u8], id: &str) -> String {
    let mac = hmac_sha256(server_key, format!("glassbox access key {id}").as_bytes());
    hex::encode(mac)[..40].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct hors", &h));
        assert!(!verify_password("x", "not a hash"));
        assert_ne!(h, hash_password("correct horse").unwrap(), "salted");
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let a = random_token(20);
        assert_eq!(a.len(), 40);
        assert_ne!(a, random_token(20));
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
        assert!(same(b"abc", b"abc") && !same(b"abc", b"abd") && !same(b"ab", b"abc"));
        let id = random_base32(17);
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
    }

    #[test]
    fn the_server_key_is_made_once_and_private() {
        let dir = std::env::temp_dir().join(format!("gb-key-{}", random_token(6)));
        std::fs::create_dir_all(&dir).unwrap();
        let k = server_key(&dir).unwrap();
        assert_eq!(k, server_key(&dir).unwrap());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(SERVER_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "only the owner reads the key");
        }
        let s = access_key_secret(&k, "GBKABC");
        assert_eq!(s.len(), 40);
        assert_ne!(s, access_key_secret(&k, "GBKABD"));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
