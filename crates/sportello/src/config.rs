//! The one configuration table.
//!
//! Every key is declared once in [`KEYS`] with its type, default and documentation.
//! Values come, from weakest to strongest, from the defaults, the TOML file, `SPORTELLO_*`
//! environment variables and command-line flags. `docs/configuration.md` is generated from
//! this table (`sportello config-docs`) and a test fails if it drifts.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::identity::oidc::claims::Acr;

/// One documented configuration key.
#[derive(Debug)]
pub struct Key {
    /// Name in the TOML file; the environment variable is `SPORTELLO_` + upper case.
    pub name: &'static str,
    /// What kind of value it takes, for the documentation.
    pub kind: &'static str,
    /// Default value, as it would be written in the TOML file ("" = unset).
    pub default: &'static str,
    /// What it does.
    pub doc: &'static str,
    /// Secrets may also be read from a file named by `SPORTELLO_<NAME>_FILE`, and are redacted.
    pub secret: bool,
}

const fn key(name: &'static str, kind: &'static str, default: &'static str, doc: &'static str) -> Key {
    Key {
        name,
        kind,
        default,
        doc,
        secret: false,
    }
}

const fn secret(name: &'static str, doc: &'static str) -> Key {
    Key {
        name,
        kind: "string",
        default: "",
        doc,
        secret: true,
    }
}

/// Every configuration key Sportello knows. Anything else is an error.
pub const KEYS: &[Key] = &[
    key(
        "bind",
        "address",
        "127.0.0.1:8080",
        "Address and port the web server listens on.",
    ),
    key(
        "database_url",
        "URL",
        "sqlite://sportello.db",
        "Database: `sqlite://<file>` (embedded, one node) or `postgres://user:pass@host/db` (several nodes).",
    ),
    key(
        "database_max_connections",
        "integer",
        "16",
        "PostgreSQL pool size per node; with SQLite, the number of reader connections (there is always one writer).",
    ),
    key(
        "database_acquire_timeout_ms",
        "integer",
        "5000",
        "How long a request waits for a database connection before it gets a 503.",
    ),
    key(
        "auto_migrate",
        "boolean",
        "true",
        "Apply pending migrations when `serve` starts (safe with several nodes: PostgreSQL takes an advisory lock).",
    ),
    key(
        "institution_name",
        "string",
        "Sportello",
        "Name of the institution shown in the header, footer and page titles.",
    ),
    key(
        "municipality",
        "boolean",
        "false",
        "The deployment is a municipality's site: the page-feedback widget takes the Designers Italia \"modello Comuni\" form (its exact texts and markup), which the AgID site validator checks.",
    ),
    key(
        "catalog_refresh_ms",
        "integer",
        "2000",
        "How often each node checks whether the catalogue changed (or a scheduled publication fell due) and rebuilds its pages and search index.",
    ),
    key(
        "public_max_age_seconds",
        "integer",
        "60",
        "`Cache-Control: public, max-age` of anonymous public pages (home, service cards, news…); personal pages are always `no-store`.",
    ),
    key(
        "feedback_limit_per_hour",
        "integer",
        "30",
        "Page-feedback answers accepted per client address per hour, shared by all nodes; more get 429.",
    ),
    key(
        "admission_max_in_flight",
        "integer",
        "64",
        "Logins and filings this node serves at once (the click-day gate); more wait their turn in arrival order.",
    ),
    key(
        "admission_max_waiting",
        "integer",
        "4096",
        "Logins and filings that may wait their turn on this node; beyond that the answer is 503 with `Retry-After` and the number of people ahead (the waiting room).",
    ),
    key(
        "admission_max_wait_ms",
        "integer",
        "5000",
        "Longest a login or filing waits its turn before the answer is 503 with `Retry-After`; keep it well under `request_timeout_ms`.",
    ),
    key(
        "forms_dir",
        "path",
        "",
        "Folder of application forms (`*.toml`, see docs/forms.md) loaded at start, next to the built-in ones; `sportello forms load DIR` loads them into a running site. Unset: the built-in forms only.",
    ),
    key(
        "public_url",
        "URL",
        "",
        "Public address of the site (e.g. `https://servizi.example.it`), used in links sent by email. Unset: derived from `bind`.",
    ),
    key(
        "log_format",
        "`text` or `json`",
        "text",
        "Log format on standard error: human-readable text or one JSON object per line.",
    ),
    key(
        "log_level",
        "filter",
        "info",
        "Log filter in `tracing` syntax, e.g. `info` or `sportello=debug,sqlx=warn`.",
    ),
    key(
        "hsts",
        "boolean",
        "false",
        "Send `Strict-Transport-Security` (enable when the site is served only over HTTPS).",
    ),
    key(
        "cookie_secure",
        "boolean",
        "true",
        "Mark cookies `Secure` and use the `__Host-` prefix. Turn off only for plain-HTTP local use; `serve --demo` turns it off.",
    ),
    key(
        "request_timeout_ms",
        "integer",
        "30000",
        "A request still running after this long is answered with 408.",
    ),
    key(
        "max_body_bytes",
        "integer",
        "1048576",
        "Largest request body accepted (413 beyond it).",
    ),
    key(
        "shutdown_grace_ms",
        "integer",
        "30000",
        "On SIGTERM, how long requests and jobs in flight may take to finish before the process exits.",
    ),
    key(
        "session_idle_minutes",
        "integer",
        "30",
        "A session unused for this long expires.",
    ),
    key(
        "session_absolute_hours",
        "integer",
        "12",
        "A session expires this long after login, however active.",
    ),
    secret(
        "pin_key",
        "Key PINs are hashed with (64 hexadecimal digits), the same on every node. Unset: one is generated once and kept in the database; setting it keeps the key out of database backups.",
    ),
    key(
        "pin_activation_days",
        "integer",
        "60",
        "Days a new PIN's two halves stay valid for activation (the second half travels by post).",
    ),
    key(
        "pin_validity_days",
        "integer",
        "180",
        "Days an activated PIN stays valid; then the citizen asks for a new one.",
    ),
    key(
        "login_limit_per_minute",
        "integer",
        "60",
        "Login attempts (PIN, activation, staff) accepted per client address per minute, shared by all nodes; more get 429.",
    ),
    key(
        "login_limit_per_account_per_hour",
        "integer",
        "30",
        "Login attempts accepted per codice fiscale or staff username per hour, whoever makes them (the PIN also locks after 5 wrong ones in a row).",
    ),
    key(
        "client_ip_header",
        "header name",
        "",
        "Behind a reverse proxy or balancer: the header it sets with the client's address (e.g. `x-forwarded-for`; the last address in it is used, the one the proxy added). Unset: the TCP peer address. Never set it when clients reach Sportello directly: they could forge it.",
    ),
    key(
        "pin_restricted",
        "boolean",
        "false",
        "Issue new PINs only to people who cannot get SPID or CIE: minors, people without an Italian identity document, people under guardianship (as INPS did from 1 October 2020).",
    ),
    key(
        "jobs_enabled",
        "boolean",
        "true",
        "Run the background job runner in this process.",
    ),
    key(
        "jobs_poll_interval_ms",
        "integer",
        "500",
        "How often an idle job runner looks for due jobs.",
    ),
    key(
        "jobs_concurrency",
        "integer",
        "4",
        "Jobs one node runs at the same time.",
    ),
    key(
        "jobs_lease_ms",
        "integer",
        "300000",
        "How long a claimed job is reserved for its node; after that another node may take it over.",
    ),
    key(
        "node_name",
        "string",
        "",
        "Name of this node in job leases and logs. Unset: host name and process id.",
    ),
    key(
        "files_backend",
        "`local` or `s3`",
        "local",
        "Where attachments and generated documents are kept: a local directory or an S3-compatible object store.",
    ),
    key(
        "files_dir",
        "path",
        "data/files",
        "Directory for files when `files_backend = \"local\"`.",
    ),
    key(
        "s3_bucket",
        "string",
        "",
        "Bucket name when `files_backend = \"s3\"`.",
    ),
    key("s3_region", "string", "us-east-1", "Region of the bucket."),
    key(
        "s3_endpoint",
        "URL",
        "",
        "Endpoint of an S3-compatible store (MinIO, Ceph, …). Unset: Amazon S3.",
    ),
    key(
        "s3_allow_http",
        "boolean",
        "false",
        "Allow a plain-HTTP endpoint (only for a store on a private network).",
    ),
    key(
        "s3_access_key_id",
        "string",
        "",
        "Access key id for the object store.",
    ),
    secret("s3_secret_access_key", "Secret access key for the object store."),
    key(
        "spid_issuer",
        "URL",
        "",
        "Issuer (entity id) of the SPID OpenID Connect provider. Unset: no SPID login. Setting it requires `oidc_signing_key_file` and `oidc_encryption_key_file`.",
    ),
    key(
        "spid_client_id",
        "URL",
        "",
        "Our client id at SPID: the relying party's entity id, an https URL. Unset: `public_url` followed by `/`.",
    ),
    key(
        "cie_issuer",
        "URL",
        "",
        "Issuer (entity id) of the CIE id OpenID Connect provider. Unset: no CIE login.",
    ),
    key(
        "cie_client_id",
        "URL",
        "",
        "Our client id at CIE id. Unset: `public_url` followed by `/`.",
    ),
    key(
        "oidc_signing_key_file",
        "path",
        "",
        "RSA private key (PEM, at least 2048 bits) that signs SPID/CIE request objects and client assertions; its public half is published at `/oidc/jwks.json`.",
    ),
    key(
        "oidc_encryption_key_file",
        "path",
        "",
        "RSA private key (PEM, at least 2048 bits) that SPID/CIE providers encrypt UserInfo to; its public half is published at `/oidc/jwks.json`.",
    ),
    key(
        "oidc_acr",
        "`SpidL1`, `SpidL2` or `SpidL3`",
        "SpidL2",
        "Lowest SPID/CIE authentication level accepted: a login at a lower level is refused.",
    ),
    key(
        "smtp_url",
        "URL",
        "",
        "Outgoing mail server: `smtp://host:25` (plain, e.g. a local relay), `smtp://host:587?tls=required` (STARTTLS, refused if the server does not offer it), `smtp://host:587?tls=opportunistic` (STARTTLS when offered) or `smtps://host:465` (TLS from the start). Credentials go in `smtp_username` / `smtp_password`, not in the URL. Unset: emails are not sent (see `notify_log_fallback`).",
    ),
    key(
        "smtp_username",
        "string",
        "",
        "User name for SMTP authentication (with `smtp_password`).",
    ),
    secret("smtp_password", "Password for SMTP authentication."),
    key(
        "smtp_timeout_ms",
        "integer",
        "15000",
        "How long connecting to the mail server and each SMTP command may take; a timeout is retried later.",
    ),
    key(
        "mail_from",
        "mailbox",
        "",
        "Sender of outgoing emails, e.g. `\"INPS Sportello\" <noreply@servizi.example.it>`. Required with `smtp_url`.",
    ),
    key(
        "sms_gateway_url",
        "URL",
        "",
        "SMS gateway: each SMS is a JSON `POST` of `{\"to\": \"+39…\", \"text\": \"…\", \"reference\": \"…\"}` to this URL, with `Authorization: Bearer <sms_gateway_token>` and an `Idempotency-Key` header. Unset: SMS are not sent (see `notify_log_fallback`).",
    ),
    secret("sms_gateway_token", "Bearer token for the SMS gateway."),
    key(
        "sms_gateway_timeout_ms",
        "integer",
        "10000",
        "How long one request to the SMS gateway may take; a timeout is retried later.",
    ),
    key(
        "push_gateway_url",
        "URL",
        "",
        "App push gateway: each notification is a JSON `POST` of `{\"token\": \"…\", \"platform\": \"android|ios\", \"title\": \"…\", \"body\": \"…\", \"link\": \"…\", \"reference\": \"…\"}` to this URL, with `Authorization: Bearer <push_gateway_token>` and an `Idempotency-Key` header. Unset: push notifications are not sent (see `notify_log_fallback`).",
    ),
    secret("push_gateway_token", "Bearer token for the app push gateway."),
    key(
        "push_gateway_timeout_ms",
        "integer",
        "10000",
        "How long one request to the push gateway may take; a timeout is retried later.",
    ),
    key(
        "notify_log_fallback",
        "boolean",
        "false",
        "With `smtp_url`, `sms_gateway_url` or `push_gateway_url` unset, write emails, SMS and push notifications to the log instead of failing them. For development and `serve --demo` (which turns it on) only: the log then holds their full text, PINs included.",
    ),
];

/// Where a value came from, so an error can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    File(PathBuf),
    Env(String),
    /// The environment as a whole (for a variable that is not a key).
    Environment,
    Flag(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => write!(f, "the default"),
            Source::File(path) => write!(f, "{}", path.display()),
            Source::Env(name) => write!(f, "the environment variable {name}"),
            Source::Environment => write!(f, "the environment"),
            Source::Flag(flag) => write!(f, "the option {flag}"),
        }
    }
}

/// A configuration problem, worded for the operator who has to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("the configuration file {path} is not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("unknown configuration key `{key}` in {origin} (see docs/configuration.md)")]
    UnknownKey { key: String, origin: Source },
    #[error("invalid value for `{key}` in {origin}: {message}")]
    Invalid {
        key: &'static str,
        origin: Source,
        message: String,
    },
    #[error("cannot read the secret file {path} named by {var}: {source}")]
    SecretFile {
        var: String,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The database to use, told apart by the URL's scheme.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite(url.to_owned()))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else {
            Err("expected sqlite://<file> or postgres://…".to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Sqlite(url) | Self::Postgres(url) => url,
        }
    }

    /// The URL without its password, for messages and logs.
    pub fn redacted(&self) -> String {
        let url = self.as_str();
        match (url.find("://"), url.rfind('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                let userinfo = &url[scheme_end + 3..at];
                match userinfo.split_once(':') {
                    Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                    None => url.to_owned(),
                }
            }
            _ => url.to_owned(),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.redacted())
    }
}

/// Where files live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilesBackend {
    Local { dir: PathBuf },
    S3(S3Config),
}

/// Settings of an S3-compatible object store.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    pub bucket: String,
    pub region: String,
    pub endpoint: Option<String>,
    pub allow_http: bool,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
}

impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("allow_http", &self.allow_http)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "***"),
            )
            .finish()
    }
}

/// SPID / CIE id login (OpenID Connect).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcConfig {
    pub spid_issuer: Option<String>,
    pub spid_client_id: Option<String>,
    pub cie_issuer: Option<String>,
    pub cie_client_id: Option<String>,
    pub signing_key_file: Option<PathBuf>,
    pub encryption_key_file: Option<PathBuf>,
    pub acr: Acr,
}

/// How outgoing emails reach the mail server.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// `smtp://` or `smtps://` URL without credentials.
    pub url: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub timeout: Duration,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// How SMS reach the gateway.
#[derive(Clone, PartialEq, Eq)]
pub struct SmsGatewayConfig {
    pub url: String,
    pub token: Option<String>,
    pub timeout: Duration,
}

impl fmt::Debug for SmsGatewayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsGatewayConfig")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Delivery channels (see `notify`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyConfig {
    pub smtp: Option<SmtpConfig>,
    /// The sender, checked to be a valid mailbox.
    pub mail_from: Option<String>,
    pub sms: Option<SmsGatewayConfig>,
    /// The app push gateway: the same shape as the SMS gateway's settings.
    pub push: Option<SmsGatewayConfig>,
    pub log_fallback: bool,
}

/// Checks an SMTP URL: scheme, host, a known `tls` mode, no credentials inside.
fn smtp_url(v: &str) -> Result<String, String> {
    let (scheme, rest) = v
        .split_once("://")
        .ok_or_else(|| "expected smtp://host:port or smtps://host:port".to_owned())?;
    if scheme != "smtp" && scheme != "smtps" {
        return Err(format!("unknown scheme `{scheme}`: expected smtp:// or smtps://"));
    }
    let (authority, query) = match rest.split_once('?') {
        Some((authority, query)) => (authority, Some(query)),
        None => (rest, None),
    };
    let host = authority.split('/').next().unwrap_or("");
    if host.contains('@') {
        return Err("put credentials in smtp_username and smtp_password, not in the URL".to_owned());
    }
    if host.is_empty() || host.starts_with(':') {
        return Err("the URL names no host".to_owned());
    }
    if let Some(query) = query {
        for pair in query.split('&') {
            match pair {
                "tls=required" | "tls=opportunistic" if scheme == "smtp" => {}
                _ => {
                    return Err(format!(
                        "unknown parameter `{pair}`: expected tls=required or tls=opportunistic with smtp://"
                    ));
                }
            }
        }
    }
    Ok(v.to_owned())
}

/// The parsed configuration: every value typed and checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: DatabaseUrl,
    pub database_max_connections: u32,
    pub database_acquire_timeout: Duration,
    pub auto_migrate: bool,
    pub institution_name: String,
    pub municipality: bool,
    pub catalog_refresh: Duration,
    pub public_max_age: u32,
    pub feedback_limit_per_hour: u32,
    pub public_url: Option<String>,
    pub admission_max_in_flight: u32,
    pub admission_max_waiting: u32,
    pub admission_max_wait: Duration,
    /// Folder of application forms loaded at start, next to the built-in ones.
    pub forms_dir: Option<PathBuf>,
    pub log_format: LogFormat,
    pub log_level: String,
    pub hsts: bool,
    pub cookie_secure: bool,
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    pub shutdown_grace: Duration,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub pin_key: Option<String>,
    pub pin_activation: Duration,
    pub pin_validity: Duration,
    pub pin_restricted: bool,
    pub login_limit_per_minute: u32,
    pub login_limit_per_account_per_hour: u32,
    pub client_ip_header: Option<String>,
    pub jobs_enabled: bool,
    pub jobs_poll_interval: Duration,
    pub jobs_concurrency: usize,
    pub jobs_lease: Duration,
    pub node_name: String,
    pub files: FilesBackend,
    pub oidc: OidcConfig,
    pub notify: NotifyConfig,
}

/// The raw layered values before parsing: key → (value, where it came from).
#[derive(Debug, Default, Clone)]
pub struct Layers {
    values: BTreeMap<&'static str, (String, Source)>,
}

impl Layers {
    /// Starts from the defaults.
    pub fn defaults() -> Self {
        let mut layers = Self::default();
        for key in KEYS {
            layers
                .values
                .insert(key.name, (key.default.to_owned(), Source::Default));
        }
        layers
    }

    /// Adds the values of a TOML file. Unknown keys and wrong syntax are errors.
    pub fn file(mut self, path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Unreadable {
            path: path.to_owned(),
            source,
        })?;
        let table: toml::Table = text.parse().map_err(|err: toml::de::Error| ConfigError::Syntax {
            path: path.to_owned(),
            message: err.message().to_owned(),
        })?;
        for (name, value) in table {
            let source = Source::File(path.to_owned());
            let Some(key) = KEYS.iter().find(|k| k.name == name) else {
                return Err(ConfigError::UnknownKey {
                    key: name,
                    origin: source,
                });
            };
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Float(f) => f.to_string(),
                other => {
                    return Err(ConfigError::Invalid {
                        key: key.name,
                        origin: source,
                        message: format!("expected a {}, found {}", key.kind, other.type_str()),
                    });
                }
            };
            self.values.insert(key.name, (text, source));
        }
        Ok(self)
    }

    /// Adds `SPORTELLO_*` variables. Unknown ones are errors, except `SPORTELLO_CONFIG`
    /// (the file, read by the CLI) and `SPORTELLO_TEST_*` (the test harness's own).
    pub fn env(mut self, vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        for (var, value) in vars {
            let Some(rest) = var.strip_prefix("SPORTELLO_") else {
                continue;
            };
            if rest == "CONFIG" || rest.starts_with("TEST_") {
                continue;
            }
            let lower = rest.to_ascii_lowercase();
            if let Some(key) = KEYS.iter().find(|k| k.name == lower) {
                self.values.insert(key.name, (value, Source::Env(var)));
                continue;
            }
            let secret_key = lower
                .strip_suffix("_file")
                .and_then(|name| KEYS.iter().find(|k| k.secret && k.name == name));
            match secret_key {
                Some(key) => {
                    let path = PathBuf::from(&value);
                    let secret =
                        std::fs::read_to_string(&path).map_err(|source| ConfigError::SecretFile {
                            var: var.clone(),
                            path,
                            source,
                        })?;
                    self.values
                        .insert(key.name, (secret.trim_end().to_owned(), Source::Env(var)));
                }
                None => {
                    return Err(ConfigError::UnknownKey {
                        key: var,
                        origin: Source::Environment,
                    });
                }
            }
        }
        Ok(self)
    }

    /// Sets a value from a command-line flag (strongest layer).
    pub fn flag(mut self, name: &'static str, flag: &'static str, value: Option<String>) -> Self {
        if let Some(value) = value {
            self.values.insert(name, (value, Source::Flag(flag)));
        }
        self
    }

    fn raw(&self, name: &'static str) -> (&str, Source) {
        match self.values.get(name) {
            Some((value, source)) => (value.as_str(), source.clone()),
            None => ("", Source::Default),
        }
    }

    fn parse<T>(
        &self,
        name: &'static str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        let (value, source) = self.raw(name);
        parse(value.trim()).map_err(|message| ConfigError::Invalid {
            key: name,
            origin: source,
            message,
        })
    }

    fn optional(&self, name: &'static str) -> Option<String> {
        let (value, _) = self.raw(name);
        let value = value.trim();
        (!value.is_empty()).then(|| value.to_owned())
    }

    /// Parses every value into a [`Config`].
    pub fn build(&self) -> Result<Config, ConfigError> {
        let files = match self
            .parse("files_backend", |v| match v {
                "local" | "s3" => Ok(v.to_owned()),
                _ => Err("expected `local` or `s3`".to_owned()),
            })?
            .as_str()
        {
            "s3" => FilesBackend::S3(S3Config {
                bucket: self.parse("s3_bucket", |v| {
                    if v.is_empty() {
                        Err("a bucket is required when files_backend = \"s3\"".to_owned())
                    } else {
                        Ok(v.to_owned())
                    }
                })?,
                region: self.parse("s3_region", |v| Ok(v.to_owned()))?,
                endpoint: self.optional("s3_endpoint"),
                allow_http: self.parse("s3_allow_http", boolean)?,
                access_key_id: self.optional("s3_access_key_id"),
                secret_access_key: self.optional("s3_secret_access_key"),
            }),
            _ => FilesBackend::Local {
                dir: PathBuf::from(self.parse("files_dir", non_empty)?),
            },
        };
        Ok(Config {
            bind: self.parse("bind", |v| {
                v.parse()
                    .map_err(|_| format!("`{v}` is not an address such as 127.0.0.1:8080"))
            })?,
            database_url: self.parse("database_url", DatabaseUrl::parse)?,
            database_max_connections: self.parse("database_max_connections", |v| positive(v, 1000))?,
            database_acquire_timeout: self.parse("database_acquire_timeout_ms", millis)?,
            auto_migrate: self.parse("auto_migrate", boolean)?,
            institution_name: self.parse("institution_name", non_empty)?,
            municipality: self.parse("municipality", boolean)?,
            catalog_refresh: self.parse("catalog_refresh_ms", millis)?,
            public_max_age: self.parse("public_max_age_seconds", |v| positive(v, 86_400))?,
            feedback_limit_per_hour: self.parse("feedback_limit_per_hour", |v| positive(v, 10_000_000))?,
            admission_max_in_flight: self.parse("admission_max_in_flight", |v| positive(v, 100_000))?,
            admission_max_waiting: self.parse("admission_max_waiting", |v| positive(v, 10_000_000))?,
            admission_max_wait: self.parse("admission_max_wait_ms", millis)?,
            forms_dir: self
                .parse("forms_dir", |v| Ok(v.to_owned()))
                .map(|v: String| (!v.is_empty()).then(|| PathBuf::from(v)))?,
            public_url: self
                .parse("public_url", |v| {
                    if v.is_empty() || v.starts_with("https://") || v.starts_with("http://") {
                        Ok(v.trim_end_matches('/').to_owned())
                    } else {
                        Err("expected an http:// or https:// URL".to_owned())
                    }
                })
                .map(|v| (!v.is_empty()).then_some(v))?,
            log_format: self.parse("log_format", |v| match v {
                "text" => Ok(LogFormat::Text),
                "json" => Ok(LogFormat::Json),
                _ => Err("expected `text` or `json`".to_owned()),
            })?,
            log_level: self.parse("log_level", |v| {
                tracing_subscriber::EnvFilter::try_new(v)
                    .map(|_| v.to_owned())
                    .map_err(|e| e.to_string())
            })?,
            hsts: self.parse("hsts", boolean)?,
            cookie_secure: self.parse("cookie_secure", boolean)?,
            request_timeout: self.parse("request_timeout_ms", millis)?,
            max_body_bytes: self.parse("max_body_bytes", |v| positive(v, u32::MAX).map(|n| n as usize))?,
            shutdown_grace: self.parse("shutdown_grace_ms", millis)?,
            session_idle: self
                .parse("session_idle_minutes", |v| positive(v, 7 * 24 * 60))
                .map(|m| Duration::from_secs(u64::from(m) * 60))?,
            session_absolute: self
                .parse("session_absolute_hours", |v| positive(v, 24 * 90))
                .map(|h| Duration::from_secs(u64::from(h) * 3600))?,
            pin_key: self
                .parse("pin_key", |v| {
                    if v.is_empty() || (v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit())) {
                        Ok(v.to_owned())
                    } else {
                        Err("expected 64 hexadecimal digits (32 random bytes)".to_owned())
                    }
                })
                .map(|v| (!v.is_empty()).then_some(v))?,
            pin_activation: self
                .parse("pin_activation_days", |v| positive(v, 366))
                .map(|d| Duration::from_secs(u64::from(d) * 86_400))?,
            pin_validity: self
                .parse("pin_validity_days", |v| positive(v, 3660))
                .map(|d| Duration::from_secs(u64::from(d) * 86_400))?,
            pin_restricted: self.parse("pin_restricted", boolean)?,
            login_limit_per_minute: self.parse("login_limit_per_minute", |v| positive(v, 10_000_000))?,
            login_limit_per_account_per_hour: self
                .parse("login_limit_per_account_per_hour", |v| positive(v, 10_000_000))?,
            client_ip_header: self
                .parse("client_ip_header", |v| {
                    if v.is_empty() || axum::http::HeaderName::from_bytes(v.as_bytes()).is_ok() {
                        Ok(v.to_ascii_lowercase())
                    } else {
                        Err("not a header name".to_owned())
                    }
                })
                .map(|v| (!v.is_empty()).then_some(v))?,
            jobs_enabled: self.parse("jobs_enabled", boolean)?,
            jobs_poll_interval: self.parse("jobs_poll_interval_ms", millis)?,
            jobs_concurrency: self.parse("jobs_concurrency", |v| positive(v, 256).map(|n| n as usize))?,
            jobs_lease: self.parse("jobs_lease_ms", millis)?,
            node_name: self.optional("node_name").unwrap_or_else(default_node_name),
            files,
            oidc: OidcConfig {
                spid_issuer: self.parse("spid_issuer", optional_url)?,
                spid_client_id: self.parse("spid_client_id", optional_url)?,
                cie_issuer: self.parse("cie_issuer", optional_url)?,
                cie_client_id: self.parse("cie_client_id", optional_url)?,
                signing_key_file: self.optional("oidc_signing_key_file").map(PathBuf::from),
                encryption_key_file: self.optional("oidc_encryption_key_file").map(PathBuf::from),
                acr: self.parse("oidc_acr", |v| {
                    Acr::parse(v).ok_or_else(|| "expected `SpidL1`, `SpidL2` or `SpidL3`".to_owned())
                })?,
            },
            notify: self.notify()?,
        })
    }

    fn notify(&self) -> Result<NotifyConfig, ConfigError> {
        let smtp = match self.optional("smtp_url") {
            Some(_) => Some(SmtpConfig {
                url: self.parse("smtp_url", smtp_url)?,
                username: self.optional("smtp_username"),
                password: self.optional("smtp_password"),
                timeout: self.parse("smtp_timeout_ms", millis)?,
            }),
            None => None,
        };
        let mail_from = match self.optional("mail_from") {
            Some(_) => Some(self.parse("mail_from", |v| {
                v.parse::<lettre::message::Mailbox>()
                    .map(|_| v.to_owned())
                    .map_err(|e| format!("not a mailbox such as \"Sportello\" <noreply@example.it>: {e}"))
            })?),
            None if smtp.is_some() => {
                return Err(ConfigError::Invalid {
                    key: "mail_from",
                    origin: self.raw("mail_from").1,
                    message: "a sender is required when smtp_url is set".to_owned(),
                });
            }
            None => None,
        };
        let sms = self.gateway("sms_gateway_url", "sms_gateway_token", "sms_gateway_timeout_ms")?;
        let push = self.gateway(
            "push_gateway_url",
            "push_gateway_token",
            "push_gateway_timeout_ms",
        )?;
        Ok(NotifyConfig {
            smtp,
            mail_from,
            sms,
            push,
            log_fallback: self.parse("notify_log_fallback", boolean)?,
        })
    }

    /// An HTTP gateway (SMS, push): its URL, bearer token and timeout, if the URL is set.
    fn gateway(
        &self,
        url_key: &'static str,
        token_key: &'static str,
        timeout_key: &'static str,
    ) -> Result<Option<SmsGatewayConfig>, ConfigError> {
        match self.optional(url_key) {
            Some(_) => Ok(Some(SmsGatewayConfig {
                url: self.parse(url_key, |v| {
                    if v.starts_with("https://") || v.starts_with("http://") {
                        Ok(v.to_owned())
                    } else {
                        Err("expected an http:// or https:// URL".to_owned())
                    }
                })?,
                token: self.optional(token_key),
                timeout: self.parse(timeout_key, millis)?,
            })),
            None => Ok(None),
        }
    }
}

fn boolean(v: &str) -> Result<bool, String> {
    match v {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("`{v}` is not `true` or `false`")),
    }
}

fn positive(v: &str, max: u32) -> Result<u32, String> {
    match v.parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("`{v}` is not a whole number from 1 to {max}")),
    }
}

fn millis(v: &str) -> Result<Duration, String> {
    positive(v, u32::MAX).map(|ms| Duration::from_millis(u64::from(ms)))
}

/// An issuer or client id: empty (unset) or an http(s) URL, kept exactly as written (an
/// issuer is compared character by character).
fn optional_url(v: &str) -> Result<Option<String>, String> {
    if v.is_empty() {
        Ok(None)
    } else if v.starts_with("https://") || v.starts_with("http://") {
        Ok(Some(v.to_owned()))
    } else {
        Err("expected an http:// or https:// URL".to_owned())
    }
}

fn non_empty(v: &str) -> Result<String, String> {
    if v.is_empty() {
        Err("must not be empty".to_owned())
    } else {
        Ok(v.to_owned())
    }
}

fn default_node_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    let host = host.trim();
    format!(
        "{}-{}",
        if host.is_empty() { "node" } else { host },
        std::process::id()
    )
}

/// The configuration reference in Markdown: the source of `docs/configuration.md`.
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# Configuration\n\n\
         <!-- Generated by `sportello config-docs` from src/config.rs; a test fails if this file drifts. -->\n\n\
         Sportello reads its settings, from weakest to strongest, from the defaults below, a TOML file\n\
         (`--config sportello.toml`, or the file named by `SPORTELLO_CONFIG`), environment variables\n\
         (`SPORTELLO_` + the key in upper case, e.g. `SPORTELLO_DATABASE_URL`) and command-line flags\n\
         (`--bind`, `--database-url`). An unknown key, in the file or as a `SPORTELLO_*` variable, stops\n\
         the program with a message naming it. Secrets can also be read from a file:\n\
         `SPORTELLO_<KEY>_FILE=/run/secrets/…`.\n\n\
         | key | environment variable | type | default | description |\n\
         |---|---|---|---|---|\n",
    );
    for key in KEYS {
        let default = if key.default.is_empty() {
            "(unset)".to_owned()
        } else {
            format!("`{}`", key.default)
        };
        let env = if key.secret {
            format!(
                "`SPORTELLO_{0}`, `SPORTELLO_{0}_FILE`",
                key.name.to_ascii_uppercase()
            )
        } else {
            format!("`SPORTELLO_{}`", key.name.to_ascii_uppercase())
        };
        out.push_str(&format!(
            "| `{}` | {env} | {} | {default} | {} |\n",
            key.name, key.kind, key.doc
        ));
    }
    out.push_str(
        "\n## Example\n\n```toml\n\
         # sportello.toml\n\
         bind = \"0.0.0.0:8080\"\n\
         database_url = \"postgres://sportello@db.internal/sportello\"\n\
         institution_name = \"Comune di Esempio\"\n\
         log_format = \"json\"\n\
         hsts = true\n\
         files_backend = \"s3\"\n\
         s3_bucket = \"sportello-files\"\n\
         s3_endpoint = \"http://minio.internal:9000\"\n\
         s3_allow_http = true\n\
         ```\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_parse() {
        let config = Layers::defaults().build().unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(
            config.database_url,
            DatabaseUrl::Sqlite("sqlite://sportello.db".to_owned())
        );
        assert_eq!(
            config.files,
            FilesBackend::Local {
                dir: PathBuf::from("data/files")
            }
        );
        assert!(config.cookie_secure);
    }

    #[test]
    fn environment_overrides_file_and_flags_override_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        std::fs::write(
            &path,
            "bind = \"127.0.0.1:1111\"\ninstitution_name = \"Comune di Prova\"\n",
        )
        .unwrap();
        let layers = Layers::defaults()
            .file(&path)
            .unwrap()
            .env(env(&[("SPORTELLO_BIND", "127.0.0.1:2222"), ("PATH", "/bin")]))
            .unwrap();
        assert_eq!(layers.build().unwrap().bind.port(), 2222);
        assert_eq!(layers.build().unwrap().institution_name, "Comune di Prova");
        let flagged = layers.flag("bind", "--bind", Some("127.0.0.1:3333".to_owned()));
        assert_eq!(flagged.build().unwrap().bind.port(), 3333);
    }

    #[test]
    fn unknown_keys_are_errors_naming_the_key() {
        let err = Layers::defaults()
            .env(env(&[("SPORTELLO_BINDD", "x")]))
            .unwrap_err();
        assert!(err.to_string().contains("SPORTELLO_BINDD"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        std::fs::write(&path, "colour = \"blue\"\n").unwrap();
        let err = Layers::defaults().file(&path).unwrap_err();
        assert!(err.to_string().contains("`colour`"), "{err}");
    }

    #[test]
    fn harness_and_config_variables_are_not_keys() {
        let layers = Layers::defaults()
            .env(env(&[
                ("SPORTELLO_TEST_POSTGRES_URL", "x"),
                ("SPORTELLO_CONFIG", "y"),
            ]))
            .unwrap();
        assert!(layers.build().is_ok());
    }

    #[test]
    fn bad_values_name_key_and_source() {
        let err = Layers::defaults()
            .env(env(&[("SPORTELLO_BIND", "nowhere")]))
            .unwrap()
            .build()
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`bind`") && text.contains("SPORTELLO_BIND"),
            "{text}"
        );
        let err = Layers::defaults()
            .flag("database_url", "--database-url", Some("mysql://x".to_owned()))
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("--database-url"), "{err}");
        let err = Layers::defaults()
            .env(env(&[("SPORTELLO_HSTS", "yes")]))
            .unwrap()
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("`hsts`"), "{err}");
    }

    #[test]
    fn bad_toml_is_a_syntax_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        std::fs::write(&path, "bind = \n").unwrap();
        assert!(matches!(
            Layers::defaults().file(&path),
            Err(ConfigError::Syntax { .. })
        ));
        assert!(matches!(
            Layers::defaults().file(&dir.path().join("missing.toml")),
            Err(ConfigError::Unreadable { .. })
        ));
    }

    #[test]
    fn secrets_come_from_files_and_are_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let secret_path = dir.path().join("secret");
        std::fs::write(&secret_path, "s3cr3t\n").unwrap();
        let config = Layers::defaults()
            .env(env(&[
                ("SPORTELLO_FILES_BACKEND", "s3"),
                ("SPORTELLO_S3_BUCKET", "b"),
                (
                    "SPORTELLO_S3_SECRET_ACCESS_KEY_FILE",
                    secret_path.to_str().unwrap(),
                ),
            ]))
            .unwrap()
            .build()
            .unwrap();
        let FilesBackend::S3(s3) = &config.files else {
            panic!("expected s3")
        };
        assert_eq!(s3.secret_access_key.as_deref(), Some("s3cr3t"));
        assert!(!format!("{config:?}").contains("s3cr3t"));
    }

    #[test]
    fn smtp_urls_are_checked() {
        for good in [
            "smtp://127.0.0.1:2525",
            "smtps://mail.example.it:465",
            "smtp://mail.example.it:587?tls=required",
            "smtp://mail.example.it?tls=opportunistic",
        ] {
            assert!(smtp_url(good).is_ok(), "{good}");
        }
        for bad in [
            "mail.example.it",
            "http://mail.example.it",
            "smtp://user:pw@mail.example.it",
            "smtp://:25",
            "smtp://mail.example.it?tls=maybe",
            "smtps://mail.example.it?tls=required",
        ] {
            assert!(smtp_url(bad).is_err(), "{bad}");
        }
        let err = Layers::defaults()
            .env(env(&[("SPORTELLO_SMTP_URL", "smtp://127.0.0.1:25")]))
            .unwrap()
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("`mail_from`"), "{err}");
        let config = Layers::defaults()
            .env(env(&[
                ("SPORTELLO_SMTP_URL", "smtp://127.0.0.1:25"),
                ("SPORTELLO_MAIL_FROM", "Sportello <noreply@example.it>"),
                ("SPORTELLO_SMTP_PASSWORD", "pw-segreta"),
            ]))
            .unwrap()
            .build()
            .unwrap();
        assert!(config.notify.smtp.is_some());
        assert!(!format!("{config:?}").contains("pw-segreta"));
    }

    #[test]
    fn database_passwords_are_redacted() {
        let url = DatabaseUrl::parse("postgres://app:hunter2@db:5432/sportello").unwrap();
        assert_eq!(url.redacted(), "postgres://app:***@db:5432/sportello");
        assert!(!format!("{url:?}").contains("hunter2"));
    }

    #[test]
    fn every_key_is_documented_once() {
        let mut names: Vec<_> = KEYS.iter().map(|k| k.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KEYS.len());
        assert!(KEYS.iter().all(|k| !k.doc.is_empty()));
    }
}
