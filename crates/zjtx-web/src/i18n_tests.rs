//! Tests of `i18n`.

use super::*;

/// The string literals passed to `tr.t(`, `tr.f1(`, `tr.f2(`, `i18n::t(` and `i18n::f(` in
/// a source text.
fn phrases_in(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    for call in ["tr.t(", "tr.f1(", "tr.f2(", "i18n::t(", "i18n::f("] {
        let mut rest = src;
        while let Some(i) = rest.find(call) {
            // rustfmt may break the line after the parenthesis.
            rest = rest[i + call.len()..].trim_start();
            let Some(lit) = rest.strip_prefix('"') else {
                continue;
            };
            let end = lit.find('"').unwrap_or(lit.len());
            out.push(lit[..end].to_owned());
            rest = &lit[end..];
        }
    }
    out
}

fn sources() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![root.join("templates"), root.join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{e}")) {
            let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
            // A feature's folder is read too.
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            // These files hold the table, and the call patterns as text.
            if path.ends_with("i18n.rs")
                || path.ends_with("i18n_tests.rs")
                || path.ends_with("i18n_phrases.rs")
            {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
            files.push((path.display().to_string(), text));
        }
    }
    files
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
        || ('\u{3000}'..='\u{303f}').contains(&c)
        || ('\u{ff00}'..='\u{ffef}').contains(&c)
}

#[test]
fn every_phrase_shown_has_an_english_entry_with_the_same_placeholders() {
    let mut missing = Vec::new();
    for (file, text) in sources() {
        for p in phrases_in(&text) {
            match english(&p) {
                None => missing.push(format!("{file}: {p}")),
                Some(en) if en.matches("{}").count() != p.matches("{}").count() => {
                    missing.push(format!("{file}: {p} (placeholders differ)"))
                }
                Some(_) => {}
            }
        }
    }
    assert!(
        missing.is_empty(),
        "no English for:\n{}",
        missing.join("\n")
    );
}

#[test]
fn templates_show_no_chinese_outside_the_phrases() {
    let mut stray = Vec::new();
    for (file, text) in sources().into_iter().filter(|(f, _)| f.ends_with(".html")) {
        for (n, line) in text.lines().enumerate() {
            let mut rest = line.to_owned();
            for p in phrases_in(line) {
                rest = rest.replace(&format!("\"{p}\""), "");
            }
            // The brand is a name, the same in both languages.
            let rest = rest.replace("ZJTX 专精特新", "").replace("中文", "");
            if rest.chars().any(is_cjk) {
                stray.push(format!("{file}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        stray.is_empty(),
        "untranslatable text:\n{}",
        stray.join("\n")
    );
}

#[test]
fn the_table_has_no_repeated_or_unused_entries() {
    let used: std::collections::HashSet<String> = sources()
        .iter()
        .flat_map(|(_, text)| phrases_in(text))
        .collect();
    let mut seen = std::collections::HashSet::new();
    for (zh, _) in PHRASES {
        assert!(seen.insert(*zh), "{zh} is in the table twice");
        assert!(
            used.contains(*zh),
            "{zh} is in the table but no page shows it"
        );
    }
}

#[tokio::test]
async fn phrases_follow_the_language_of_the_request() {
    let (zh, en) = PHRASES[0];
    assert_eq!(with_lang(Lang::Zh, async { t(zh) }).await, zh);
    assert_eq!(with_lang(Lang::En, async { t(zh) }).await, en);
    // Outside a request: Chinese.
    assert_eq!(t(zh), zh);
}

#[test]
fn the_way_back_after_switching_stays_on_this_site() {
    assert_eq!(
        local_path("http://127.0.0.1:8080/enterprises?q=x").as_deref(),
        Some("/enterprises?q=x")
    );
    assert_eq!(local_path("/dashboard").as_deref(), Some("/dashboard"));
    assert_eq!(local_path("//evil.example/x"), None);
    assert_eq!(local_path("https://evil.example"), None);
    assert_eq!(local_path("http://h//evil.example/"), None);
    assert_eq!(local_path("/lang/en"), None);
}

#[test]
fn placeholders_fill_in_order() {
    assert_eq!(f("{} 与 {}", &[&1, &"二"]), "1 与 二");
}

/// Every table of every page says what it holds in a caption (read aloud, and shown where it adds
/// the order or the unit) in the reader's language.
#[test]
fn every_table_has_a_caption() {
    let mut missing = Vec::new();
    for (path, text) in sources() {
        if !path.ends_with(".html") {
            continue;
        }
        for (i, _) in text.match_indices("<table") {
            let open = text[i..].find('>').map_or(text.len(), |e| i + e + 1);
            let next = text[open..].trim_start();
            let caption = next.strip_prefix("<caption").is_some_and(|c| {
                let body = c.split("</caption>").next().unwrap_or("");
                body.contains("{{ tr.") || body.contains("{{ title }}")
            });
            if !caption {
                let line = text[..i].lines().count() + 1;
                missing.push(format!("{path}:{line}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "tables without a caption:\n{}",
        missing.join("\n")
    );
}
