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
        let header: Value = serde_json::from_slice(&unb64(header)?)
            .map_err(|_| JoseError::Malformed("JWS header is not JSON"))?;
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

#[cfg(test)]
mod tests {
    use aes::cipher::BlockModeEncrypt;

    use super::*;

    const SIGNING: &str = include_str!("../../../../../tests/oidc-op/keys/TEST-ONLY-rp-signing.pem");
    const ENCRYPTION: &str = include_str!("../../../../../tests/oidc-op/keys/TEST-ONLY-rp-encryption.pem");

    fn unhex(text: &str) -> Vec<u8> {
        hex::decode(text.split_whitespace().collect::<String>()).unwrap()
    }

    /// RFC 7518 Appendix B.3 (AES_256_CBC_HMAC_SHA_512).
    #[test]
    fn rfc7518_b3_vector_decrypts() {
        let key: Vec<u8> = (0u8..64).collect();
        let plain = b"A cipher system must not be required to be secret, and it must be able to fall into the hands of the enemy without inconvenience";
        let aad = b"The second principle of Auguste Kerckhoffs";
        let iv = unhex("1a f3 8c 2d c2 b9 6f fd d8 66 94 09 23 41 bc 04");
        let ciphertext = unhex(
            "4a ff aa ad b7 8c 31 c5 da 4b 1b 59 0d 10 ff bd 3d d8 d5 d3 02 42 35 26 91 2d a0 37 ec bc c7 bd
             82 2c 30 1d d6 7c 37 3b cc b5 84 ad 3e 92 79 c2 e6 d1 2a 13 74 b7 7f 07 75 53 df 82 94 10 44 6b
             36 eb d9 70 66 29 6a e6 42 7e a7 5c 2e 08 46 a1 1a 09 cc f5 37 0d c8 0b fe cb ad 28 c7 3f 09 b3
             a3 b7 5e 66 2a 25 94 41 0a e4 96 b2 e2 e6 60 9e 31 e6 e0 2c c8 37 f0 53 d2 1f 37 ff 4f 51 95 0b
             be 26 38 d0 9d d7 a4 93 09 30 80 6d 07 03 b1 f6",
        );
        let tag = unhex(
            "4d d3 b4 c0 88 a7 f4 5c 21 68 39 64 5b 20 12 bf 2e 62 69 a8 c5 6a 81 6d bc 1b 26 77 61 95 5b c5",
        );
        let out = cbc_hmac_decrypt("A256CBC-HS512", &key, aad, &iv, &ciphertext, &tag).unwrap();
        assert_eq!(out, plain);
        let mut bad_tag = tag.clone();
        bad_tag[0] ^= 1;
        assert!(cbc_hmac_decrypt("A256CBC-HS512", &key, aad, &iv, &ciphertext, &bad_tag).is_err());
        assert!(cbc_hmac_decrypt("A256CBC-HS512", &key, b"other aad", &iv, &ciphertext, &tag).is_err());
        assert!(cbc_hmac_decrypt("A256GCM", &key, aad, &iv, &ciphertext, &tag).is_err());
    }

    /// A compact JWE as a provider builds it: RSA-OAEP-256 + A256CBC-HS512.
    fn encrypt_to(key: &DecryptionKey, plain: &[u8]) -> String {
        let public = key.key.to_public_key();
        let cek: Vec<u8> = (0u8..64).map(|i| i.wrapping_mul(7)).collect();
        let iv = [9u8; 16];
        let protected = b64(json!({"alg": "RSA-OAEP-256", "enc": "A256CBC-HS512", "cty": "JWT"}).to_string());
        let encrypted_key = public.oaep_encrypt::<Sha256>(&cek).unwrap();
        let ciphertext = cbc::Encryptor::<aes::Aes256>::new_from_slices(&cek[32..], &iv)
            .unwrap()
            .encrypt_padded_vec::<Pkcs7>(plain);
        let mut mac = <Hmac<Sha512> as KeyInit>::new_from_slice(&cek[..32]).unwrap();
        mac.update(protected.as_bytes());
        mac.update(&iv);
        mac.update(&ciphertext);
        mac.update(&(u64::try_from(protected.len()).unwrap() * 8).to_be_bytes());
        let tag = mac.finalize().into_bytes();
        format!(
            "{protected}.{}.{}.{}.{}",
            b64(encrypted_key),
            b64(iv),
            b64(&ciphertext),
            b64(&tag[..32])
        )
    }

    #[test]
    fn userinfo_jwe_round_trip_and_tampering() {
        let key = DecryptionKey::from_pem(ENCRYPTION).unwrap();
        let jwe = encrypt_to(&key, b"inner.signed.jwt");
        assert_eq!(key.decrypt(&jwe).unwrap(), b"inner.signed.jwt");
        let mut parts: Vec<String> = jwe.split('.').map(str::to_owned).collect();
        let mut ciphertext = unb64(&parts[3]).unwrap();
        ciphertext[0] ^= 1;
        parts[3] = b64(ciphertext);
        assert!(matches!(key.decrypt(&parts.join(".")), Err(JoseError::Decrypt)));
        // Another key cannot open it.
        let other = DecryptionKey::from_pem(SIGNING).unwrap();
        assert!(other.decrypt(&jwe).is_err());
        assert!(key.decrypt("a.b.c").is_err());
    }

    #[test]
    fn signatures_verify_and_nothing_else_does() {
        let key = SigningKey::from_pem(SIGNING).unwrap();
        assert!(key.public_jwk().get("d").is_none());
        let jwks = Jwks::parse(&json!({"keys": [key.public_jwk()]})).unwrap();
        let token = key.sign(&json!({"sub": "x"}), Some("JWT")).unwrap();
        assert_eq!(jwks.verify(&token).unwrap()["sub"], "x");
        // Tampered payload.
        let parts: Vec<&str> = token.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], b64(r#"{"sub":"y"}"#), parts[2]);
        assert!(matches!(jwks.verify(&forged), Err(JoseError::BadSignature)));
        // alg none, and HMAC keyed with the public key: refused before any check.
        for alg in ["none", "HS256"] {
            let header = b64(json!({"alg": alg, "kid": key.kid}).to_string());
            let token = format!("{header}.{}.{}", parts[1], parts[2]);
            assert!(
                matches!(jwks.verify(&token), Err(JoseError::Algorithm(_))),
                "{alg}"
            );
        }
        // A key we do not know.
        let header = b64(json!({"alg": "RS256", "kid": "other"}).to_string());
        assert!(matches!(
            jwks.verify(&format!("{header}.{}.{}", parts[1], parts[2])),
            Err(JoseError::UnknownKey(_))
        ));
    }
}
