//! SPID and CIE id login over OpenID Connect (authorization code + PKCE), following the
//! SPID/CIE OpenID Connect profile where it asks more than plain OIDC: signed request
//! objects, `private_key_jwt` at the token endpoint, the `acr` level checked, UserInfo as a
//! signed-then-encrypted JWT, `iss` in the authorization response. What OpenID Federation
//! still needs (trust chains, trust marks) is in docs/architecture.md.
//!
//! Nothing per-user lives in memory: logins in progress are rows in `oidc_logins` (any node
//! may receive the callback). Only the providers' public metadata and keys are cached here.

pub mod claims;
pub mod jose;
pub mod routes;
pub mod store;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use self::claims::Acr;
use self::jose::{DecryptionKey, Jwks, SigningKey};
use crate::config::OidcConfig;

/// Which identity system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderKind {
    Spid,
    Cie,
}

impl ProviderKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Spid => "spid",
            Self::Cie => "cie",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "spid" => Some(Self::Spid),
            "cie" => Some(Self::Cie),
            _ => None,
        }
    }

    /// SPID releases attributes only through the `claims` parameter; CIE also knows `profile`.
    const fn scope(self) -> &'static str {
        match self {
            Self::Spid => "openid",
            Self::Cie => "openid profile",
        }
    }
}

/// One configured provider.
#[derive(Debug, Clone)]
pub struct Provider {
    pub kind: ProviderKind,
    pub issuer: String,
    pub client_id: String,
}

/// What discovery tells us about a provider.
#[derive(Debug, Clone)]
pub struct Metadata {
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: String,
    pub jwks_uri: String,
    /// RFC 9207: the provider promises `iss` in every authorization response.
    pub iss_in_response: bool,
    pub jwks: Jwks,
}

/// Why talking to a provider failed (logged; the citizen sees a generic message).
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("provider unreachable: {0}")]
    Unreachable(String),
    #[error("provider answered badly: {0}")]
    Protocol(String),
}

/// Metadata is refetched after this long; the JWKS also when a token names an unknown key.
const METADATA_TTL: Duration = Duration::from_secs(3600);
/// A token with an unknown `kid` refetches the JWKS at most this often (no refetch storms).
const JWKS_REFRESH_MIN: Duration = Duration::from_secs(30);

/// Everything login through SPID/CIE needs: configuration, our keys, cached provider metadata.
pub struct Oidc {
    providers: Vec<Provider>,
    signing: Option<SigningKey>,
    decryption: Option<DecryptionKey>,
    pub acr: Acr,
    /// Absolute base URL of this site (redirect URI, entity id).
    pub base_url: String,
    http: reqwest::Client,
    cache: Mutex<HashMap<ProviderKind, (Instant, std::sync::Arc<Metadata>)>>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("providers", &self.providers)
            .field("signing", &self.signing)
            .field("decryption", &self.decryption)
            .field("acr", &self.acr)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Oidc {
    /// Reads the keys named in the configuration. `base_url` is the site's public address.
    pub fn new(config: &OidcConfig, base_url: String) -> Result<Self, String> {
        let read = |path: &std::path::Path| {
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
        };
        let signing = match &config.signing_key_file {
            Some(path) => {
                Some(SigningKey::from_pem(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))?)
            }
            None => None,
        };
        let decryption = match &config.encryption_key_file {
            Some(path) => {
                Some(DecryptionKey::from_pem(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))?)
            }
            None => None,
        };
        let mut providers = Vec::new();
        for (kind, issuer, client_id) in [
            (ProviderKind::Spid, &config.spid_issuer, &config.spid_client_id),
            (ProviderKind::Cie, &config.cie_issuer, &config.cie_client_id),
        ] {
            if let Some(issuer) = issuer {
                if signing.is_none() || decryption.is_none() {
                    return Err(format!(
                        "{} login needs oidc_signing_key_file and oidc_encryption_key_file",
                        kind.as_str()
                    ));
                }
                providers.push(Provider {
                    kind,
                    issuer: issuer.clone(),
                    client_id: client_id.clone().unwrap_or_else(|| format!("{base_url}/")),
                });
            }
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Self {
            providers,
            signing,
            decryption,
            acr: config.acr,
            base_url,
            http,
            cache: Mutex::new(HashMap::new()),
        })
    }

    pub fn provider(&self, kind: ProviderKind) -> Option<&Provider> {
        self.providers.iter().find(|p| p.kind == kind)
    }

    pub fn enabled(&self, kind: ProviderKind) -> bool {
        self.provider(kind).is_some()
    }

    pub fn redirect_uri(&self) -> String {
        format!("{}/accedi/oidc/callback", self.base_url)
    }

    /// Our public keys (signature and encryption), as published at `/oidc/jwks.json`.
    pub fn public_jwks(&self) -> Value {
        let keys: Vec<Value> = self
            .signing
            .iter()
            .map(|k| k.public_jwk().clone())
            .chain(self.decryption.iter().map(|k| k.public_jwk().clone()))
            .collect();
        serde_json::json!({ "keys": keys })
    }

    fn cached(&self, kind: ProviderKind) -> Option<(Instant, std::sync::Arc<Metadata>)> {
        self.cache.lock().ok()?.get(&kind).cloned()
    }

    /// The provider's metadata and keys, from the cache or by discovery.
    pub async fn metadata(&self, provider: &Provider) -> Result<std::sync::Arc<Metadata>, ProviderError> {
        if let Some((at, meta)) = self.cached(provider.kind)
            && at.elapsed() < METADATA_TTL
        {
            return Ok(meta);
        }
        self.discover(provider).await
    }

    /// Fetches the metadata again, e.g. because a token names a key we do not have yet.
    pub async fn refresh_keys(&self, provider: &Provider) -> Result<std::sync::Arc<Metadata>, ProviderError> {
        if let Some((at, meta)) = self.cached(provider.kind)
            && at.elapsed() < JWKS_REFRESH_MIN
        {
            return Ok(meta);
        }
        self.discover(provider).await
    }

    async fn get_json(&self, url: &str) -> Result<Value, ProviderError> {
        let response = self
            .http
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| ProviderError::Unreachable(format!("{url}: {e}")))?;
        if !response.status().is_success() {
            return Err(ProviderError::Protocol(format!(
                "{url}: HTTP {}",
                response.status()
            )));
        }
        response
            .json()
            .await
            .map_err(|e| ProviderError::Protocol(format!("{url}: {e}")))
    }

    async fn discover(&self, provider: &Provider) -> Result<std::sync::Arc<Metadata>, ProviderError> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            provider.issuer.trim_end_matches('/')
        );
        let doc = self.get_json(&url).await?;
        let text = |name: &str| {
            doc.get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| ProviderError::Protocol(format!("discovery document without {name}")))
        };
        // OIDC Discovery §4.3: the document must be about the issuer we asked for.
        if text("issuer")? != provider.issuer {
            return Err(ProviderError::Protocol("discovery issuer differs".to_owned()));
        }
        let jwks_uri = text("jwks_uri")?;
        let jwks = Jwks::parse(&self.get_json(&jwks_uri).await?)
            .map_err(|e| ProviderError::Protocol(format!("JWKS: {e}")))?;
        let meta = std::sync::Arc::new(Metadata {
            authorization_endpoint: text("authorization_endpoint")?,
            token_endpoint: text("token_endpoint")?,
            userinfo_endpoint: text("userinfo_endpoint")?,
            jwks_uri,
            iss_in_response: doc
                .get("authorization_response_iss_parameter_supported")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            jwks,
        });
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(provider.kind, (Instant::now(), meta.clone()));
        }
        Ok(meta)
    }
}
