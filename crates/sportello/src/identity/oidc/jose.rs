//! The JOSE pieces SPID and CIE id need, on RustCrypto: RS256 JWTs signed by us (request
//! objects, client assertions, the entity configuration), RS256/RS512 JWTs verified against
//! a provider's JWKS, and compact JWE decryption (RSA-OAEP or RSA-OAEP-256 key transport,
//! A128CBC-HS256 or A256CBC-HS512 content) for UserInfo. Nothing else is accepted: an
//! algorithm outside this list is refused, never negotiated down (no `none`, no HMAC with a
//! public key). See docs/architecture.md for why this is not a general JOSE crate.

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockModeDecrypt, KeyIvInit};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{BoxedUint, PrivateKey, PublicKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256, Sha384, Sha512};

/// Why a token was refused. The messages go to logs, never to the citizen.
#[derive(Debug, thiserror::Error)]
pub enum JoseError {
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    #[error("algorithm not accepted: {0}")]
    Algorithm(String),
    #[error("no key in the provider's JWKS matches kid {0:?}")]
    UnknownKey(Option<String>),
    #[error("signature does not verify")]
    BadSignature,
    #[error("cannot decrypt the token")]
    Decrypt,
    #[error("key: {0}")]
    Key(String),
}

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(text: &str) -> Result<Vec<u8>, JoseError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| JoseError::Malformed("base64url"))
}

fn parse_private_pem(pem: &str) -> Result<PrivateKey, JoseError> {
    PrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| PrivateKey::from_pkcs1_pem(pem))
        .map_err(|e| JoseError::Key(format!("not an RSA private key in PEM (PKCS#8 or PKCS#1): {e}")))
}

/// The public JWK members of an RSA key and its RFC 7638 thumbprint (used as `kid`).
fn rsa_public_jwk(key: &PublicKey) -> (String, String, String) {
    let n = b64(key.n_bytes());
    let e = b64(key.e_bytes());
    // RFC 7638: the required members in lexicographic order, no whitespace.
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    let kid = b64(Sha256::digest(canonical.as_bytes()));
    (n, e, kid)
}

/// An RSA key we sign with.
pub struct SigningKey {
    key: PrivateKey,
    pub kid: String,
    public: Value,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.kid)
    }
}

impl SigningKey {
    pub fn from_pem(pem: &str) -> Result<Self, JoseError> {
        let key = parse_private_pem(pem)?;
        check_size(&key.to_public_key())?;
        let (n, e, kid) = rsa_public_jwk(&key.to_public_key());
        let public = json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e});
        Ok(Self { key, kid, public })
    }

    /// The public half as a JWK.
    pub fn public_jwk(&self) -> &Value {
        &self.public
    }

    /// A compact JWS (RS256) over `claims`, with `typ` in the header when given.
    pub fn sign(&self, claims: &Value, typ: Option<&str>) -> Result<String, JoseError> {
        let mut header = json!({"alg": "RS256", "kid": self.kid});
        if let Some(typ) = typ {
            header["typ"] = Value::from(typ);
        }
        let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
        let signature = self
            .key
            .pkcs1v15_sign::<Sha256>(input.as_bytes())
            .map_err(|e| JoseError::Key(e.to_string()))?;
        Ok(format!("{input}.{}", b64(signature)))
    }
}

/// An RSA key the provider encrypts to (UserInfo).
pub struct DecryptionKey {
    key: PrivateKey,
    pub kid: String,
    public: Value,
}

impl std::fmt::Debug for DecryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DecryptionKey({})", self.kid)
    }
}

impl DecryptionKey {
    pub fn from_pem(pem: &str) -> Result<Self, JoseError> {
        let key = parse_private_pem(pem)?;
        check_size(&key.to_public_key())?;
        let (n, e, kid) = rsa_public_jwk(&key.to_public_key());
        let public = json!({"kty": "RSA", "use": "enc", "alg": "RSA-OAEP-256", "kid": kid, "n": n, "e": e});
        Ok(Self { key, kid, public })
    }

    pub fn public_jwk(&self) -> &Value {
        &self.public
    }

    /// Decrypts a compact JWE; returns the plaintext (for UserInfo, a signed JWT).
    pub fn decrypt(&self, compact: &str) -> Result<Vec<u8>, JoseError> {
        let parts: Vec<&str> = compact.split('.').collect();
        let [protected, encrypted_key, iv, ciphertext, tag] = parts.as_slice() else {
            return Err(JoseError::Malformed("a JWE has five parts"));
        };
        let header: Value = serde_json::from_slice(&unb64(protected)?)
            .map_err(|_| JoseError::Malformed("JWE header is not JSON"))?;
        if header.get("zip").is_some() || header.get("crit").is_some() {
            return Err(JoseError::Algorithm("zip/crit in JWE header".to_owned()));
        }
        let alg = header.get("alg").and_then(Value::as_str).unwrap_or_default();
        let enc = header.get("enc").and_then(Value::as_str).unwrap_or_default();
        let encrypted_key = unb64(encrypted_key)?;
        let cek = match alg {
            "RSA-OAEP-256" => self.key.oaep_decrypt::<Sha256>(&encrypted_key),
            "RSA-OAEP" => self.key.oaep_decrypt::<sha1::Sha1>(&encrypted_key),
            other => return Err(JoseError::Algorithm(format!("JWE alg {other}"))),
        }
        .map_err(|_| JoseError::Decrypt)?;
        cbc_hmac_decrypt(
            enc,
            &cek,
            protected.as_bytes(),
            &unb64(iv)?,
            &unb64(ciphertext)?,
            &unb64(tag)?,
        )
    }
}

/// AES_CBC_HMAC_SHA2 authenticated decryption (RFC 7518 §5.2): MAC first, then decrypt.
pub fn cbc_hmac_decrypt(
    enc: &str,
    key: &[u8],
    aad: &[u8],
    iv: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Vec<u8>, JoseError> {
    let half = match enc {
        "A128CBC-HS256" => 16,
        "A192CBC-HS384" => 24,
        "A256CBC-HS512" => 32,
        other => return Err(JoseError::Algorithm(format!("JWE enc {other}"))),
    };
    if key.len() != 2 * half || tag.len() != half || iv.len() != 16 {
        return Err(JoseError::Decrypt);
    }
    let (mac_key, enc_key) = key.split_at(half);
    let al = u64::try_from(aad.len())
        .unwrap_or(u64::MAX)
        .saturating_mul(8)
        .to_be_bytes();
    let verified = match half {
        16 => mac_check::<Hmac<Sha256>>(mac_key, &[aad, iv, ciphertext, &al], tag),
        24 => mac_check::<Hmac<Sha384>>(mac_key, &[aad, iv, ciphertext, &al], tag),
        _ => mac_check::<Hmac<Sha512>>(mac_key, &[aad, iv, ciphertext, &al], tag),
    };
    if !verified {
        return Err(JoseError::Decrypt);
    }
    let plain = match half {
        16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(enc_key, iv)
            .map_err(|_| JoseError::Decrypt)?
            .decrypt_padded_vec::<Pkcs7>(ciphertext),
        24 => cbc::Decryptor::<aes::Aes192>::new_from_slices(enc_key, iv)
            .map_err(|_| JoseError::Decrypt)?
            .decrypt_padded_vec::<Pkcs7>(ciphertext),
        _ => cbc::Decryptor::<aes::Aes256>::new_from_slices(enc_key, iv)
            .map_err(|_| JoseError::Decrypt)?
            .decrypt_padded_vec::<Pkcs7>(ciphertext),
    };
    plain.map_err(|_| JoseError::Decrypt)
}

/// Constant-time check of the left-truncated HMAC over the concatenated `parts`.
fn mac_check<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]], tag: &[u8]) -> bool {
    let Ok(mut mac) = <M as KeyInit>::new_from_slice(key) else {
        return false;
    };
    for part in parts {
        mac.update(part);
    }
    mac.verify_truncated_left(tag).is_ok()
}

/// RSA keys under 2048 bits are refused (SPID/CIE technical rules).
fn check_size(key: &PublicKey) -> Result<(), JoseError> {
    if key.size() < 256 {
        return Err(JoseError::Key("RSA keys must have at least 2048 bits".to_owned()));
    }
    Ok(())
}

/// A provider's signing keys (its JWKS), RSA only.
#[derive(Debug, Clone, Default)]
pub struct Jwks {
    keys: Vec<(Option<String>, PublicKey)>,
}

impl Jwks {
    /// Reads the RSA signature keys of a JWKS document; others (encryption keys, EC keys
    /// we do not accept) are skipped.
    pub fn parse(doc: &Value) -> Result<Self, JoseError> {
        let mut keys = Vec::new();
        for jwk in doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(JoseError::Malformed("JWKS without keys"))?
        {
            if jwk.get("kty").and_then(Value::as_str) != Some("RSA")
                || jwk.get("use").and_then(Value::as_str).is_some_and(|u| u != "sig")
            {
                continue;
            }
            let (Some(n), Some(e)) = (
                jwk.get("n").and_then(Value::as_str),
                jwk.get("e").and_then(Value::as_str),
            ) else {
                continue;
            };
            let n = BoxedUint::from_be_slice_vartime(&unb64(n)?);
            let e = BoxedUint::from_be_slice_vartime(&unb64(e)?);
            let Ok(key) = PublicKey::new(n, e) else {
                continue;
            };
            if check_size(&key).is_err() {
                continue;
            }
            let kid = jwk.get("kid").and_then(Value::as_str).map(str::to_owned);
            keys.push((kid, key));
        }
        Ok(Self { keys })
    }

    pub fn has_kid(&self, kid: Option<&str>) -> bool {
        self.find(kid).is_some()
    }

    fn find(&self, kid: Option<&str>) -> Option<&PublicKey> {
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|(k, _)| k.as_deref() == Some(kid))
                .map(|(_, key)| key),
            // Without a kid, only an unambiguous JWKS will do.
            None if self.keys.len() == 1 => self.keys.first().map(|(_, key)| key),
            None => None,
        }
    }

    /// Verifies a compact JWS and returns its claims.
    pub fn verify(&self, compact: &str) -> Result<Value, JoseError> {
        let (input, signature) = compact
            .rsplit_once('.')
            .ok_or(JoseError::Malformed("a JWS has three parts"))?;
        let (header, payload) = input
            .split_once('.')
            .ok_or(JoseError::Malformed("a JWS has three parts"))?;
        if payload.contains('.') {
            return Err(JoseError::Malformed("a JWS has three parts"));
        }
        let header: Value =
            serde_json::from_slice(&unb64(header)?).map_err(|_| JoseError::Malformed("JWS header is not JSON"))?;
        if header.get("crit").is_some() {
            return Err(JoseError::Algorithm("crit in JWS header".to_owned()));
        }
        let kid = header.get("kid").and_then(Value::as_str);
        let key = self
            .find(kid)
            .ok_or_else(|| JoseError::UnknownKey(kid.map(str::to_owned)))?;
        let signature = unb64(signature)?;
        let verified = match header.get("alg").and_then(Value::as_str) {
            Some("RS256") => key.pkcs1v15_verify::<Sha256>(input.as_bytes(), &signature),
            Some("RS512") => key.pkcs1v15_verify::<Sha512>(input.as_bytes(), &signature),
            other => return Err(JoseError::Algorithm(format!("JWS alg {other:?}"))),
        };
        verified.map_err(|_| JoseError::BadSignature)?;
        serde_json::from_slice(&unb64(payload)?).map_err(|_| JoseError::Malformed("JWS payload is not JSON"))
    }
}

/// The header of a compact JWS, without verifying anything (to pick the key).
pub fn jws_header(compact: &str) -> Result<Value, JoseError> {
    let header = compact.split('.').next().unwrap_or_default();
    serde_json::from_slice(&unb64(header)?).map_err(|_| JoseError::Malformed("header is not JSON"))
}
