//! The interface language. Pages are written in Simplified Chinese; each phrase a page shows goes
//! through [`t`] (or the method `Tr::t` in a template), which returns it as written or, when the reader
//! chose English, its entry in [`PHRASES`]. Domain terms (tiers, sizes, rules, roles) are in
//! `zjtx_core::glossary`, not here.
//!
//! The reader's choice is a cookie, set by `GET /lang/{zh|en}`. A middleware reads it once per
//! request into a task-local, so that handlers, templates and error pages all see it without
//! passing it along.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::LazyLock;

use axum::extract::{Path, Request};
use axum::http::header::{LOCATION, REFERER, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
pub use zjtx_core::glossary::Lang;

pub const LANG_COOKIE: &str = "zjtx_lang";

tokio::task_local! {
    static LANG: Lang;
    static PATH: String;
}

/// The path of the request being served (empty outside a request): the page header marks where
/// the reader is.
pub fn path() -> String {
    PATH.try_with(Clone::clone).unwrap_or_default()
}

/// The language of the request being served (Chinese outside a request).
pub fn lang() -> Lang {
    LANG.try_with(|l| *l).unwrap_or_default()
}

/// A text worded in both languages, for what is kept and read later by someone else (an in-app
/// message is read in its reader's language, not its sender's).
#[derive(Clone, Debug, Default)]
pub struct Said {
    pub zh: String,
    pub en: String,
}

/// `f`'s text in each language.
pub fn both(f: impl Fn() -> String) -> Said {
    Said {
        zh: LANG.sync_scope(Lang::Zh, &f),
        en: LANG.sync_scope(Lang::En, &f),
    }
}

impl Said {
    /// A message of it to `user_id`.
    pub fn to<'a>(&self, user_id: i64, link: &'a str) -> zjtx_store::Message<'a> {
        zjtx_store::Message {
            user_id,
            text: self.zh.clone(),
            text_en: self.en.clone(),
            link,
        }
    }
}

/// Runs `f` as if serving a reader of `lang` (for tests and for work outside a request).
pub async fn with_lang<F: std::future::Future>(lang: Lang, f: F) -> F::Output {
    LANG.scope(lang, f).await
}

/// `f` carrying the language and path of the request being served, to be run elsewhere (another
/// thread) as if within it.
pub fn carried<F: std::future::Future>(f: F) -> impl std::future::Future<Output = F::Output> {
    LANG.scope(lang(), PATH.scope(path(), f))
}

/// The language chosen by the request's cookie; Chinese if none.
pub fn from_headers(headers: &HeaderMap) -> Lang {
    match crate::common::cookie_in(headers, LANG_COOKIE).map(str::trim) {
        Some("en") => Lang::En,
        _ => Lang::Zh,
    }
}

/// Middleware: serves the request in the language of its cookie.
pub async fn scope(req: Request, next: Next) -> Response {
    let lang = from_headers(req.headers());
    let path = req.uri().path().to_owned();
    LANG.scope(lang, PATH.scope(path, next.run(req))).await
}

/// `GET /lang/{zh|en}`: remembers the choice for a year and goes back to the page the link was
/// on (only a path of this site; anything else goes to `/`).
pub async fn switch(Path(code): Path<String>, headers: HeaderMap) -> Response {
    let code = match code.as_str() {
        "en" => "en",
        "zh" => "zh",
        _ => return (StatusCode::NOT_FOUND, "unknown language").into_response(),
    };
    let back = headers
        .get(REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(local_path)
        .unwrap_or_else(|| "/".to_owned());
    (
        StatusCode::SEE_OTHER,
        [
            (
                SET_COOKIE,
                format!("{LANG_COOKIE}={code}; Path=/; Max-Age=31536000; SameSite=Lax"),
            ),
            (LOCATION, back),
        ],
    )
        .into_response()
}

/// The path and query of a referring URL, if it is a plain path on this site.
fn local_path(referer: &str) -> Option<String> {
    // Absolute URL: drop the scheme and the authority; the host is not checked against ours,
    // only the path is kept, so a foreign referer can at worst send the reader to one of our pages.
    let rest = match referer.split_once("://") {
        Some((_, r)) => &r[r.find('/')?..],
        None => referer,
    };
    let ok = rest.starts_with('/')
        && !rest.starts_with("//")
        && !rest.starts_with("/lang/")
        && !rest.contains(['\\', '\r', '\n']);
    ok.then(|| rest.to_owned())
}

/// A phrase of the interface in the reader's language.
pub fn t(zh: &'static str) -> &'static str {
    match lang() {
        Lang::Zh => zh,
        Lang::En => english(zh).unwrap_or(zh),
    }
}

/// A phrase with `{}` placeholders, filled in order.
pub fn f(zh: &'static str, args: &[&dyn Display]) -> String {
    let mut out = String::new();
    let mut args = args.iter();
    let mut parts = t(zh).split("{}").peekable();
    while let Some(p) = parts.next() {
        out.push_str(p);
        if parts.peek().is_some()
            && let Some(a) = args.next()
        {
            out.push_str(&a.to_string());
        }
    }
    out
}

fn english(zh: &str) -> Option<&'static str> {
    static MAP: LazyLock<HashMap<&'static str, &'static str>> =
        LazyLock::new(|| PHRASES.iter().copied().collect());
    MAP.get(zh).copied()
}

/// What templates call: `t` for a phrase, `f1` and `f2` for a phrase with `{}` placeholders,
/// `en` to choose, and `html_lang` for `<html lang>`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tr;

impl Tr {
    pub fn t(&self, zh: &'static str) -> &'static str {
        t(zh)
    }
    pub fn f1(&self, zh: &'static str, a: impl Display) -> String {
        f(zh, &[&a])
    }
    pub fn f2(&self, zh: &'static str, a: impl Display, b: impl Display) -> String {
        f(zh, &[&a, &b])
    }
    pub fn en(&self) -> bool {
        lang() == Lang::En
    }
    /// A rule set as a reader knows it: the document that issued it (工信部企业〔2026〕2号), not
    /// its file's id; an id of no embedded set as it is.
    pub fn rules(&self, id: &str) -> String {
        static DOCS: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
        let docs = DOCS.get_or_init(|| {
            zjtx_core::rules::load_all(&zjtx_core::rules::Embedded)
                .map(|all| all.into_iter().map(|r| (r.id, r.document)).collect())
                .unwrap_or_default()
        });
        docs.iter()
            .find(|(i, _)| i == id)
            .map_or_else(|| id.to_owned(), |(_, d)| d.clone())
    }
    pub fn html_lang(&self) -> &'static str {
        match lang() {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// Every phrase of the interface, Chinese as written in the pages → English (a table of its own
/// file, `i18n_phrases.rs`).
pub use phrases::PHRASES;

#[path = "i18n_phrases.rs"]
mod phrases;

#[cfg(test)]
#[path = "i18n_tests.rs"]
mod tests;
