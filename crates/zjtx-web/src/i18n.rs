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
}

/// The language of the request being served (Chinese outside a request).
pub fn lang() -> Lang {
    LANG.try_with(|l| *l).unwrap_or_default()
}

/// Runs `f` as if serving a reader of `lang` (for tests and for work outside a request).
pub async fn with_lang<F: std::future::Future>(lang: Lang, f: F) -> F::Output {
    LANG.scope(lang, f).await
}

/// The language chosen by the request's cookie; Chinese if none.
pub fn from_headers(headers: &HeaderMap) -> Lang {
    match crate::auth::cookie_in(headers, LANG_COOKIE).map(str::trim) {
        Some("en") => Lang::En,
        _ => Lang::Zh,
    }
}

/// Middleware: serves the request in the language of its cookie.
pub async fn scope(req: Request, next: Next) -> Response {
    let lang = from_headers(req.headers());
    LANG.scope(lang, next.run(req)).await
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
    pub fn html_lang(&self) -> &'static str {
        match lang() {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// Every phrase of the interface, Chinese as written in the pages → English.
pub static PHRASES: &[(&str, &str)] = &[
    ("账户", "Account"),
    ("用户名", "User name"),
    ("角色", "Role"),
    ("概览", "Overview"),
    ("合计", "Total"),
    (
        "主动发现：达到条件但尚未获得称号",
        "Proactive discovery: meet a tier's criteria but do not hold its title",
    ),
    ("六个月内到期的称号", "Titles expiring within six months"),
    ("各区县梯度分布", "Tiers by district"),
    ("区县", "District"),
    ("各产业生态圈梯度分布", "Tiers by ecosystem"),
    ("产业生态圈", "Ecosystem"),
    (
        "企业 {} 家（按本次评价的最高梯度）",
        "{} enterprises (by the highest tier of the current evaluation)",
    ),
    ("统一社会信用代码", "Unified social credit code"),
    ("所属区县", "District"),
    ("国民经济行业代码", "Industry code (GB/T 4754)"),
    ("产业链", "Industrial chain"),
    ("未标注", "not tagged"),
    ("主导产品", "Main products"),
    ("未填报", "not reported"),
    ("企业规模", "Size"),
    ("最高梯度（本次评价）", "Highest tier (current evaluation)"),
    ("标注产业链", "Tag industrial chains"),
    (
        "勾选企业所属的产业链（可多选）",
        "tick the chains the enterprise belongs to (several allowed)",
    ),
    ("保存", "Save"),
    ("已获称号", "Titles held"),
    ("暂无称号记录。", "No titles on record."),
    ("称号", "Title"),
    ("有效期至", "Valid until"),
    ("状态", "Status"),
    ("六个月内到期", "expires within six months"),
    ("有效", "valid"),
    ("已过期", "expired"),
    ("历年数据（万元）", "Figures by year (万元)"),
    ("年度", "Year"),
    ("营业收入", "Revenue"),
    ("主营业务收入", "Main-business revenue"),
    ("研发费用", "R&D expense"),
    ("研发强度", "R&D intensity"),
    ("从业人员", "Employees"),
    ("资产总额", "Total assets"),
    ("净利润", "Net profit"),
    ("模拟测算", "What-if"),
    (
        "修改数据，查看各梯度与差距的变化（不保存）",
        "change figures and see the tiers and gaps change (nothing is stored)",
    ),
    (
        "数据有误，以下仍按原数据评价：",
        "Some figures are invalid; the evaluation below uses the stored figures:",
    ),
    ("测算", "Evaluate"),
    ("恢复原数据", "Back to the stored figures"),
    ("梯度", "Tier"),
    ("原数据", "Stored figures"),
    ("模拟数据", "What-if figures"),
    (
        "以下评价按模拟数据计算，未保存。",
        "The evaluation below uses the what-if figures; nothing was stored.",
    ),
    ("梯度评价", "Tier evaluation"),
    ("（模拟）", " (what-if)"),
    ("企业规模与门槛条件", "Size and common gates"),
    ("差距：", "Gap: "),
    ("规则", "Rule"),
    ("内容", "Criterion"),
    ("结果", "Result"),
    ("标准、计算值与差距", "Threshold, value and gap"),
    ("依据", "Clause"),
    ("计算值：", "Value: "),
    (
        "；数据年度 {}。每条规则列出依据条款、标准、计算值与差距。",
        "; data year {}. Each rule shows its clause, threshold, computed value and gap.",
    ),
    ("规则：{}；评价日期 {}", "Rules: {}; evaluated on {}"),
    ("企业库", "Enterprises"),
    ("导出 Excel", "Export to Excel"),
    (
        "名称、主导产品或统一社会信用代码",
        "Name, main product or credit code",
    ),
    ("如 西湖", "e.g. 西湖"),
    ("全部", "All"),
    ("行业门类", "Industry section"),
    ("营业收入（万元）≥", "Revenue (万元) ≥"),
    ("规模", "Size"),
    ("已获称号（有效期内）", "Title held (valid)"),
    ("不限", "Any"),
    ("筛选", "Filter"),
    ("企业名称", "Enterprise name"),
    ("行业", "Industry"),
    ("营业收入（万元）", "Revenue (万元)"),
    ("最高梯度", "Highest tier"),
    (
        "创新型 / 科技型 / 专精特新 / 小巨人",
        "Innovative / tech-based / SRDI / little giant",
    ),
    ("没有符合条件的企业。", "No enterprise matches."),
    ("下一页", "Next page"),
    ("共 {}+ 家", "{}+ in all"),
    ("共 {} 家", "{} in all"),
    ("{} 年度数据", "figures of {}"),
    ("返回首页", "Back to the home page"),
    ("导入数据", "Import"),
    ("导入企业数据", "Import enterprise data"),
    ("查看企业库", "Open the registry"),
    ("企业数", "Enterprises"),
    (
        "未识别的列（已忽略）：",
        "Columns not recognised (ignored): ",
    ),
    ("前 20 行", "First 20 rows"),
    ("确认导入", "Commit the import"),
    ("取消", "Cancel"),
    (
        "上传企业数据模板（CSV 或 XLSX，表头可用中文列名或键名）。先检查全部行，显示每一处错误的行号与列；无误后再确认导入。",
        "Upload the enterprise template (CSV or XLSX; headers may be the Chinese labels or the keys). Every row is checked first and each error is shown with its row and column; commit once there are none.",
    ),
    ("上传并检查", "Upload and check"),
    ("仅显示前 {} 处。", "Only the first {} are shown."),
    (
        "文件 {}：{} 行数据，全部有效。按当前规则评价的结果如下；确认后一次性写入（全部成功或全部不写入）。",
        "File {}: {} rows, all valid. Their evaluation under the current rules is below; committing writes them in one transaction (all rows or none).",
    ),
    (
        "文件 {} 有 {} 处错误，未导入任何数据。请修改后重新上传。",
        "File {} has {} errors; nothing was imported. Correct them and upload again.",
    ),
    ("登录", "Sign in"),
    ("登录 ZJTX 专精特新平台", "Sign in to ZJTX"),
    ("密码", "Password"),
    ("退出", "Sign out"),
    ("（未填报）", "(not reported)"),
    ("{} · {}：{} 家", "{} · {}: {}"),
    ("表单已失效", "Form expired"),
    (
        "表单已过期或并非来自本站，请返回重新提交。",
        "The form has expired or did not come from this site. Go back and submit it again.",
    ),
    ("无权访问", "Not allowed"),
    (
        "您的账户无权访问此页面。",
        "Your account may not open this page.",
    ),
    ("未找到", "Not found"),
    (
        "页面或企业不存在，或不在您的管辖范围内。",
        "The page or enterprise does not exist, or is outside your scope.",
    ),
    ("请求有误", "Bad request"),
    ("冲突", "Conflict"),
    ("服务器错误", "Server error"),
    (
        "服务器处理请求时出错，已记录。请稍后再试。",
        "The server failed to handle the request; the failure was logged. Please try again later.",
    ),
    (
        "请选择要导入的文件（CSV 或 XLSX）",
        "Choose a file to import (CSV or XLSX)",
    ),
    ("数据年度", "Data year"),
    ("从业人员数", "Employees"),
    ("企业名单", "Enterprises"),
    ("用户名或密码错误", "Wrong user name or password"),
    (
        "密码错误次数过多，账户已暂时锁定，请15分钟后再试",
        "Too many failed attempts: the account is locked for 15 minutes",
    ),
    ("营业收入下限", "Revenue from"),
    ("营业收入上限", "Revenue up to"),
    ("{}（万元）：{} {}", "{} (万元): {} {}"),
    ("{} / {} 分", "{} / {} points"),
    ("评分路径，得分 {}", "by score: {}"),
    ("直通条件 {}", "direct route {}"),
    ("得分 {}", "score {}"),
    (
        "已导入 {} 家企业的数据（{} 条年度数据）。",
        "Imported the figures of {} enterprises ({} yearly rows).",
    ),
];

#[cfg(test)]
mod tests {
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
        for dir in ["templates", "src"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap_or_else(|e| panic!("{e}")) {
                let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
                // This file holds the table, and the call patterns above as text.
                if path.ends_with("i18n.rs") {
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
}
