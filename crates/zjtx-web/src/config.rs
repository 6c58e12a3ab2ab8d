//! The server's configuration: one TOML file (`zjtx serve --config zjtx.toml`), each setting
//! overridable by an environment variable, then by the command line. Every setting is one line of
//! `SETTINGS` — its key in the file, its variable, its default, whether it is a secret and how it
//! is checked — so the file's reader, the overrides, `zjtx config check` and the documentation
//! (docs/OPERATIONS.md, `zjtx.example.toml`) cannot disagree about what exists.

use std::collections::BTreeMap;
use std::path::Path;

/// What a value must be.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Text,
    Bool,
    /// A whole number within the bounds.
    Int(i64, i64),
    /// host:port to listen on.
    Listen,
    /// An IANA zone such as Asia/Shanghai.
    Zone,
    /// `text` or `json`.
    LogFormat,
    /// HH:MM, local time.
    TimeOfDay,
    /// An http(s) address.
    Url,
}

/// One setting.
#[derive(Debug)]
pub struct Setting {
    /// Its key in the file: `section.name`.
    pub key: &'static str,
    /// The environment variable that overrides the file.
    pub env: &'static str,
    /// The value when neither sets it; empty: unset.
    pub default: &'static str,
    pub kind: Kind,
    /// Shown masked by `config check`.
    pub secret: bool,
    pub doc: &'static str,
}

const fn s(
    key: &'static str,
    env: &'static str,
    default: &'static str,
    kind: Kind,
    secret: bool,
    doc: &'static str,
) -> Setting {
    Setting {
        key,
        env,
        default,
        kind,
        secret,
        doc,
    }
}

/// Every setting there is.
pub const SETTINGS: &[Setting] = &[
    s(
        "database.url",
        "DATABASE_URL",
        "",
        Kind::Text,
        true,
        "sqlite://PATH or postgres://USER:PASSWORD@HOST/DB; empty: a SQLite file in database.data_dir",
    ),
    s(
        "database.data_dir",
        "ZJTX_DATA",
        "./zjtx-demo",
        Kind::Text,
        false,
        "directory of the embedded SQLite database",
    ),
    s(
        "database.pool_size",
        "ZJTX_POOL_SIZE",
        "0",
        Kind::Int(0, 200),
        false,
        "connections per instance, 0: 8 for SQLite, 16 for PostgreSQL (keep instances × pool_size under max_connections)",
    ),
    s(
        "server.listen",
        "ZJTX_LISTEN",
        "127.0.0.1:8080",
        Kind::Listen,
        false,
        "address and port to listen on (behind the reverse proxy)",
    ),
    s(
        "server.base_url",
        "ZJTX_BASE_URL",
        "http://127.0.0.1:8080",
        Kind::Url,
        false,
        "the address users reach, for links in e-mails",
    ),
    s(
        "server.secure_cookies",
        "ZJTX_SECURE_COOKIES",
        "true",
        Kind::Bool,
        false,
        "mark cookies Secure (served over HTTPS); false only to try it over plain HTTP",
    ),
    s(
        "limits.request_timeout_secs",
        "ZJTX_REQUEST_TIMEOUT_SECS",
        "120",
        Kind::Int(5, 3600),
        false,
        "a request still running after this is answered 503 and stopped",
    ),
    s(
        "limits.shutdown_grace_secs",
        "ZJTX_SHUTDOWN_GRACE_SECS",
        "20",
        Kind::Int(0, 600),
        false,
        "on SIGTERM, how long requests in flight may take to finish",
    ),
    s(
        "limits.form_kb",
        "ZJTX_FORM_KB",
        "256",
        Kind::Int(16, 16_384),
        false,
        "largest form or JSON body",
    ),
    s(
        "limits.import_mb",
        "ZJTX_IMPORT_MB",
        "64",
        Kind::Int(1, 1024),
        false,
        "largest registry import file",
    ),
    s(
        "limits.header_kb",
        "ZJTX_HEADER_KB",
        "32",
        Kind::Int(4, 1024),
        false,
        "largest total of a request's headers (answered 431 beyond)",
    ),
    s(
        "evidence.dir",
        "ZJTX_EVIDENCE_DIR",
        "./zjtx-evidence",
        Kind::Text,
        false,
        "where evidence files are kept (back it up with the database)",
    ),
    s(
        "mail.smtp",
        "ZJTX_SMTP",
        "",
        Kind::Text,
        true,
        "SMTP relay host[:port]; empty: messages in the platform only",
    ),
    s(
        "mail.from",
        "ZJTX_MAIL_FROM",
        "zjtx@localhost",
        Kind::Text,
        false,
        "sender address of e-mails",
    ),
    s(
        "time.zone",
        "ZJTX_TIME_ZONE",
        "Asia/Shanghai",
        Kind::Zone,
        false,
        "zone of deadlines, dates and times shown, whatever the host's zone",
    ),
    s(
        "log.format",
        "ZJTX_LOG_FORMAT",
        "text",
        Kind::LogFormat,
        false,
        "text, or json (one object a line, with the request id)",
    ),
    s(
        "log.level",
        "ZJTX_LOG",
        "info",
        Kind::Text,
        false,
        "a tracing filter: error, warn, info, debug, or per module (zjtx_web=debug,info)",
    ),
    s(
        "metrics.token",
        "ZJTX_METRICS_TOKEN",
        "",
        Kind::Text,
        true,
        "bearer token for /metrics from other hosts; empty: loopback callers only",
    ),
    s(
        "schedule.enabled",
        "ZJTX_SCHEDULE",
        "true",
        Kind::Bool,
        false,
        "run the daily work in the server (one instance at a time, by a database lease)",
    ),
    s(
        "schedule.daily_at",
        "ZJTX_DAILY_AT",
        "07:30",
        Kind::TimeOfDay,
        false,
        "local time of the daily digest, reminders and retention",
    ),
    s(
        "retention.audit_days",
        "ZJTX_AUDIT_RETENTION_DAYS",
        "0",
        Kind::Int(0, 36_500),
        false,
        "delete audit records older than this many days (0: keep all; at least 180 when set, the legal minimum for logs)",
    ),
    s(
        "oidc.issuer",
        "ZJTX_OIDC_ISSUER",
        "",
        Kind::Text,
        false,
        "single sign-on: the OpenID Connect provider's issuer URL (https; http only on the loopback address); empty: passwords only",
    ),
    s(
        "oidc.client_id",
        "ZJTX_OIDC_CLIENT_ID",
        "",
        Kind::Text,
        false,
        "this platform's client id at the provider (redirect URI: server.base_url + /login/oidc/callback)",
    ),
    s(
        "oidc.client_secret",
        "ZJTX_OIDC_CLIENT_SECRET",
        "",
        Kind::Text,
        true,
        "the client's secret",
    ),
    s(
        "oidc.claim",
        "ZJTX_OIDC_CLAIM",
        "preferred_username",
        Kind::Text,
        false,
        "the verified ID-token claim whose value is the user name of the ZJTX account signed in",
    ),
    s(
        "oidc.label",
        "ZJTX_OIDC_LABEL",
        "统一身份认证登录",
        Kind::Text,
        false,
        "the sign-in button's text",
    ),
    s(
        "notice.contact",
        "ZJTX_NOTICE_CONTACT",
        "",
        Kind::Text,
        false,
        "how the public reaches the bureau about a notice (a telephone number, an address), printed on the public notice",
    ),
    s(
        "webhooks.allow_local",
        "ZJTX_WEBHOOKS_ALLOW_LOCAL",
        "false",
        Kind::Bool,
        false,
        "let institutions subscribe http:// addresses on this machine (a test; otherwise https only)",
    ),
    s(
        "security.totp_roles",
        "ZJTX_TOTP_ROLES",
        "",
        Kind::Text,
        false,
        "roles that must sign in with a second factor (TOTP), e.g. city,district; empty: optional for all",
    ),
];

/// Where a value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Default,
    File,
    Env,
    Flag,
}

impl Source {
    pub fn label(self) -> &'static str {
        match self {
            Source::Default => "default",
            Source::File => "file",
            Source::Env => "environment",
            Source::Flag => "command line",
        }
    }
}

/// The settings in effect: each value as text, checked, with where it came from.
#[derive(Clone, Debug)]
pub struct Config {
    values: BTreeMap<&'static str, (String, Source)>,
}

/// What was wrong, each located (the file and key, or the variable).
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct ConfigError(pub Vec<String>);

fn setting(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// Checks one value against its kind; `Err` says what is expected.
fn check(kind: Kind, v: &str) -> Result<(), String> {
    let ok = match kind {
        Kind::Text => true,
        Kind::Bool => matches!(v, "true" | "false"),
        Kind::Int(lo, hi) => v.parse::<i64>().is_ok_and(|n| (lo..=hi).contains(&n)),
        Kind::Listen => {
            v.parse::<std::net::SocketAddr>().is_ok() || {
                v.rsplit_once(':')
                    .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok())
            }
        }
        Kind::Zone => v.parse::<chrono_tz::Tz>().is_ok(),
        Kind::LogFormat => matches!(v, "text" | "json"),
        Kind::TimeOfDay => chrono::NaiveTime::parse_from_str(v, "%H:%M").is_ok(),
        Kind::Url => v.starts_with("http://") || v.starts_with("https://"),
    };
    if ok {
        return Ok(());
    }
    Err(match kind {
        Kind::Text => String::new(),
        Kind::Bool => "true or false".into(),
        Kind::Int(lo, hi) => format!("a whole number from {lo} to {hi}"),
        Kind::Listen => "host:port, e.g. 127.0.0.1:8080".into(),
        Kind::Zone => "an IANA time zone, e.g. Asia/Shanghai".into(),
        Kind::LogFormat => "text or json".into(),
        Kind::TimeOfDay => "HH:MM, e.g. 07:30".into(),
        Kind::Url => "an http:// or https:// address".into(),
    })
}

/// A TOML value as the text the settings keep.
fn scalar(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        toml::Value::Array(a) => a
            .iter()
            .map(|x| match x {
                toml::Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join(",")),
        _ => None,
    }
}

impl Config {
    /// The defaults alone.
    pub fn defaults() -> Config {
        Config {
            values: SETTINGS
                .iter()
                .map(|s| (s.key, (s.default.to_owned(), Source::Default)))
                .collect(),
        }
    }

    /// `load` with the process's environment.
    pub fn from_env(file: Option<&Path>) -> Result<Config, ConfigError> {
        Config::load(file, &|k| std::env::var(k).ok())
    }

    /// Reads `file` (if any), then the environment (`env` returns a variable's value), checking
    /// every value; all the mistakes at once.
    pub fn load(
        file: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let text =
            match file {
                Some(p) => Some(std::fs::read_to_string(p).map_err(|e| {
                    ConfigError(vec![format!("{}: cannot be read: {e}", p.display())])
                })?),
                None => None,
            };
        let name = file.map(|p| p.display().to_string()).unwrap_or_default();
        Config::from_parts(text.as_deref().map(|t| (name.as_str(), t)), env)
    }

    /// As `load`, from the file's name and text.
    pub fn from_parts(
        file: Option<(&str, &str)>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut c = Config::defaults();
        let mut errors = Vec::new();
        if let Some((name, text)) = file {
            match text.parse::<toml::Table>() {
                Err(e) => errors.push(format!("{name}: not TOML: {}", e.message())),
                Ok(table) => {
                    for (section, v) in &table {
                        let Some(inner) = v.as_table() else {
                            errors.push(format!(
                                "{name}: `{section}` is not a section; settings go under [section]"
                            ));
                            continue;
                        };
                        for (k, v) in inner {
                            let key = format!("{section}.{k}");
                            match (setting(&key), scalar(v)) {
                                (None, _) => errors.push(format!(
                                    "{name}: `{key}` is not a setting (`zjtx config example` lists them)"
                                )),
                                (Some(_), None) => errors.push(format!(
                                    "{name}: `{key}` must be a string, a number or a boolean"
                                )),
                                (Some(s), Some(v)) => c.put(s, v, Source::File, name, &mut errors),
                            }
                        }
                    }
                }
            }
        }
        for s in SETTINGS {
            if let Some(v) = env(s.env) {
                c.put(s, v, Source::Env, s.env, &mut errors);
            }
        }
        // The older switch, kept: ZJTX_INSECURE_COOKIES=1 is secure_cookies = false.
        if env("ZJTX_SECURE_COOKIES").is_none()
            && env("ZJTX_INSECURE_COOKIES")
                .is_some_and(|v| !v.is_empty() && v != "0" && v != "false")
        {
            c.values
                .insert("server.secure_cookies", ("false".into(), Source::Env));
        }
        c.cross_check(&mut errors);
        if errors.is_empty() {
            Ok(c)
        } else {
            Err(ConfigError(errors))
        }
    }

    fn put(
        &mut self,
        s: &'static Setting,
        v: String,
        src: Source,
        at: &str,
        errors: &mut Vec<String>,
    ) {
        let v = v.trim().to_owned();
        match check(s.kind, &v) {
            Ok(()) => {
                self.values.insert(s.key, (v, src));
            }
            Err(expected) => {
                let shown = if s.secret {
                    "…".to_owned()
                } else {
                    format!("{v:?}")
                };
                errors.push(format!("{at}: `{}` = {shown}: expected {expected}", s.key));
            }
        }
    }

    /// Rules between settings.
    fn cross_check(&self, errors: &mut Vec<String>) {
        let days = self.int("retention.audit_days");
        let least = zjtx_store::KEEP_AT_LEAST_SECS / 86_400;
        if days != 0 && days < least {
            errors.push(format!(
                "`retention.audit_days` = {days}: at least {least} (logs are kept six months by law), or 0 to keep all"
            ));
        }
        if self.int("database.pool_size") == 1 {
            errors.push(
                "`database.pool_size` = 1: at least 2 (starting needs a second connection), or 0 for the default"
                    .into(),
            );
        }
        if let Some(issuer) = self.opt("oidc.issuer") {
            let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
                .iter()
                .any(|p| issuer.starts_with(p));
            if !issuer.starts_with("https://") && !loopback {
                errors.push(format!(
                    "`oidc.issuer` = {issuer:?}: an https:// address (http only on the loopback address, for a test)"
                ));
            }
            if self.opt("oidc.client_id").is_none() {
                errors.push("`oidc.client_id`: required with oidc.issuer".into());
            }
        }
        for role in self.list("security.totp_roles") {
            if zjtx_store::Role::parse(&role).is_none() {
                errors.push(format!(
                    "`security.totp_roles`: {role:?} is not a role (city, district, enterprise, institution, provider, expert)"
                ));
            }
        }
    }

    /// Sets a value from the command line (checked as the others).
    pub fn set_flag(&mut self, key: &str, v: &str) -> Result<(), ConfigError> {
        let Some(s) = setting(key) else {
            return Err(ConfigError(vec![format!("`{key}` is not a setting")]));
        };
        let mut errors = Vec::new();
        self.put(s, v.to_owned(), Source::Flag, "command line", &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ConfigError(errors))
        }
    }

    /// A value as text (empty when unset).
    pub fn get(&self, key: &str) -> &str {
        self.values.get(key).map_or("", |(v, _)| v.as_str())
    }

    /// A value, `None` when empty.
    pub fn opt(&self, key: &str) -> Option<&str> {
        Some(self.get(key)).filter(|v| !v.is_empty())
    }

    pub fn int(&self, key: &str) -> i64 {
        self.get(key).parse().unwrap_or(0)
    }

    pub fn flag(&self, key: &str) -> bool {
        self.get(key) == "true"
    }

    /// A comma-separated value, trimmed, without empties.
    pub fn list(&self, key: &str) -> Vec<String> {
        self.get(key)
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect()
    }

    pub fn zone(&self) -> chrono_tz::Tz {
        self.get("time.zone")
            .parse()
            .unwrap_or(chrono_tz::Asia::Shanghai)
    }

    /// The effective settings, one line each (`key = value  # source`), secrets masked: what
    /// `zjtx config check` prints.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for s in SETTINGS {
            let (v, src) = self
                .values
                .get(s.key)
                .cloned()
                .unwrap_or_else(|| (String::new(), Source::Default));
            let shown = if s.secret && !v.is_empty() {
                mask(s.key, &v)
            } else {
                v
            };
            out.push_str(&format!("{} = {:?}  # {}\n", s.key, shown, src.label()));
        }
        out
    }

    /// The limits the router applies.
    pub fn limits(&self) -> Limits {
        Limits {
            form: (self.int("limits.form_kb") as usize) << 10,
            import: (self.int("limits.import_mb") as usize) << 20,
            header: (self.int("limits.header_kb") as usize) << 10,
            request_timeout: std::time::Duration::from_secs(
                self.int("limits.request_timeout_secs") as u64,
            ),
        }
    }
}

/// A secret as `config check` shows it: a database URL keeps all but its password; anything
/// else is replaced whole.
fn mask(key: &str, v: &str) -> String {
    if key == "database.url"
        && let Some((scheme, rest)) = v.split_once("://")
    {
        if let Some((cred, host)) = rest.rsplit_once('@') {
            let user = cred.split_once(':').map_or(cred, |(u, _)| u);
            return format!("{scheme}://{user}:****@{host}");
        }
        return v.to_owned();
    }
    if key == "mail.smtp" && !v.contains('@') {
        return v.to_owned();
    }
    "****".into()
}

/// Request limits, configured in one place (`limits.*`).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub form: usize,
    pub import: usize,
    pub header: usize,
    pub request_timeout: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Config::defaults().limits()
    }
}

/// `zjtx.example.toml`: every setting with its default and what it does.
pub fn example() -> String {
    let mut out = String::from(
        "# ZJTX configuration. Every setting is shown with its default; each can be overridden by\n\
         # the environment variable named beside it. Check a file with `zjtx config check --config FILE`.\n",
    );
    let mut section = "";
    for s in SETTINGS {
        let (sec, name) = s.key.split_once('.').unwrap_or(("", s.key));
        if sec != section {
            out.push_str(&format!("\n[{sec}]\n"));
            section = sec;
        }
        let value = match s.kind {
            Kind::Bool | Kind::Int(..) => s.default.to_owned(),
            _ => format!("{:?}", s.default),
        };
        out.push_str(&format!("# {} ({})\n", s.doc, s.env));
        if s.default.is_empty() {
            out.push_str(&format!("# {name} = \"\"\n"));
        } else {
            out.push_str(&format!("{name} = {value}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn file_then_environment_each_checked_and_located() {
        let file = "[server]\nlisten = \"0.0.0.0:9000\"\n[limits]\nform_kb = 512\n[time]\nzone = \"Asia/Urumqi\"\n";
        let env = |k: &str| (k == "ZJTX_FORM_KB").then(|| "1024".to_owned());
        let c = Config::from_parts(Some(("zjtx.toml", file)), &env).expect("valid");
        assert_eq!(c.get("server.listen"), "0.0.0.0:9000");
        assert_eq!(
            c.int("limits.form_kb"),
            1024,
            "the environment overrides the file"
        );
        assert_eq!(c.limits().form, 1024 << 10);
        assert_eq!(c.zone(), chrono_tz::Asia::Urumqi);
        assert!(
            c.describe()
                .contains("limits.form_kb = \"1024\"  # environment")
        );
        assert!(
            c.describe()
                .contains("server.listen = \"0.0.0.0:9000\"  # file")
        );
        assert!(c.describe().contains("time.zone = \"Asia/Urumqi\"  # file"));
        assert!(c.describe().contains("log.format = \"text\"  # default"));
    }

    #[test]
    fn every_mistake_is_reported_with_where_it_is() {
        let file = "[server]\nlisen = \"x\"\nsecure_cookies = \"yes\"\n[limits]\nform_kb = 1\n[time]\nzone = \"Mars/Base\"\n[retention]\naudit_days = 30\n";
        let env = |k: &str| (k == "ZJTX_LOG_FORMAT").then(|| "xml".to_owned());
        let e = Config::from_parts(Some(("zjtx.toml", file)), &env)
            .expect_err("invalid")
            .0;
        let all = e.join("\n");
        for want in [
            "zjtx.toml: `server.lisen` is not a setting",
            "zjtx.toml: `server.secure_cookies` = \"yes\": expected true or false",
            "zjtx.toml: `limits.form_kb` = \"1\": expected a whole number from 16 to 16384",
            "zjtx.toml: `time.zone` = \"Mars/Base\": expected an IANA time zone",
            "ZJTX_LOG_FORMAT: `log.format` = \"xml\": expected text or json",
            "`retention.audit_days` = 30: at least 180",
        ] {
            assert!(all.contains(want), "{want:?} missing from:\n{all}");
        }
        assert_eq!(e.len(), 6, "{all}");
        let e = Config::from_parts(Some(("z.toml", "[server\n")), &no_env).expect_err("not toml");
        assert!(e.0[0].starts_with("z.toml: not TOML"), "{e}");
    }

    #[test]
    fn single_sign_on_needs_https_and_a_client() {
        let e = Config::from_parts(
            Some(("z.toml", "[oidc]\nissuer = \"http://idp.example\"\n")),
            &no_env,
        )
        .expect_err("plain http, no client")
        .0
        .join("\n");
        assert!(
            e.contains("an https:// address") && e.contains("`oidc.client_id`: required"),
            "{e}"
        );
        let ok = "[oidc]\nissuer = \"http://127.0.0.1:9000\"\nclient_id = \"zjtx\"\n";
        assert!(
            Config::from_parts(Some(("z.toml", ok)), &no_env).is_ok(),
            "loopback, for a test"
        );
    }

    #[test]
    fn secrets_are_masked_and_their_bad_values_not_echoed() {
        let env = |k: &str| match k {
            "DATABASE_URL" => Some("postgres://zjtx:s3cret-pw@db.internal:5432/zjtx".to_owned()),
            "ZJTX_METRICS_TOKEN" => Some("tok-123456".to_owned()),
            _ => None,
        };
        let c = Config::from_parts(None, &env).expect("valid");
        let d = c.describe();
        assert!(
            d.contains("database.url = \"postgres://zjtx:****@db.internal:5432/zjtx\""),
            "{d}"
        );
        assert!(d.contains("metrics.token = \"****\"  # environment"), "{d}");
        assert!(!d.contains("s3cret") && !d.contains("tok-123456"), "{d}");
        assert_eq!(
            c.get("database.url"),
            "postgres://zjtx:s3cret-pw@db.internal:5432/zjtx"
        );
    }

    #[test]
    fn the_older_insecure_cookies_switch_still_works_and_flags_win() {
        let env = |k: &str| (k == "ZJTX_INSECURE_COOKIES").then(|| "1".to_owned());
        let mut c = Config::from_parts(None, &env).expect("valid");
        assert!(!c.flag("server.secure_cookies"));
        c.set_flag("server.listen", "127.0.0.1:9999")
            .expect("valid");
        assert!(
            c.describe()
                .contains("server.listen = \"127.0.0.1:9999\"  # command line")
        );
        assert!(c.set_flag("server.listen", "nowhere").is_err());
    }

    #[test]
    fn the_example_file_is_read_back_as_the_defaults() {
        let c = Config::from_parts(Some(("example", &example())), &no_env).expect("valid");
        for s in SETTINGS {
            assert_eq!(c.get(s.key), s.default, "{}", s.key);
        }
        let names: std::collections::HashSet<_> = SETTINGS.iter().map(|s| s.env).collect();
        assert_eq!(names.len(), SETTINGS.len(), "one variable per setting");
    }
}
