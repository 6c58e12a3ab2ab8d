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
    match crate::common::cookie_in(headers, LANG_COOKIE).map(str::trim) {
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
    ("军工资质", "Military-industry qualification"),
    ("已登记，证书日期 {}", "Recorded, certificate of {}"),
    ("证书日期", "Certificate date"),
    ("撤销登记", "Clear"),
    (
        "军工资质：已登记，证书日期 {}",
        "Military-industry qualification: recorded, certificate of {}",
    ),
    (
        "证书日期应为不晚于今天的日期",
        "The certificate date must be a date no later than today",
    ),
    ("军民融合企业", "Military–civil fusion firms"),
    (
        "已登记军工资质的企业 {} 家；其中达到梯度标准而未获称号、可推荐认定的 {} 家：",
        "{} firms recorded as military-industry qualified; {} of them pass a tier without its title and may be recommended:",
    ),
    ("可推荐认定", "May be recommended for"),
    (
        "暂无可推荐的军民融合企业。",
        "No military–civil fusion firm to recommend.",
    ),
    (
        "在企业页面由市级用户登记或撤销军工资质。",
        "The city records or clears a firm's qualification on the firm's page.",
    ),
    (
        "产业链名称不能为空、不超过50字，且不含逗号或分号",
        "A chain's name is 1–50 characters, without commas or semicolons",
    ),
    ("已有同名产业链", "A chain of that name exists"),
    ("维护产业链", "Edit the chains"),
    ("新增产业链", "New chain"),
    ("英文名称", "English name"),
    ("新增", "Add"),
    ("新名称", "New name"),
    ("更名", "Rename"),
    ("停用", "Retire"),
    (
        "更名后企业标签和对接活动随之更名；停用的产业链保留历史记录，不再用于新的标签和活动。",
        "A renamed chain's tags and events follow it; a retired chain keeps its history and takes no new tags or events.",
    ),
    ("产业链图谱", "Chain map"),
    (
        "每格：已获称号企业数 / 达标但未获称号的培育对象数；点击查看名单。",
        "Each cell: firms holding the title / firms passing the tier without it (candidates); click for the list.",
    ),
    ("补短板", "Gap to fill"),
    (
        "尚无专精特新或“小巨人”企业的产业链：",
        "Chains without an SRDI or little-giant firm yet: ",
    ),
    ("、", ", "),
    ("创新型", "Innovative"),
    ("专精特新", "SRDI"),
    ("小巨人", "Little giant"),
    ("不予通过", "Reject"),
    ("不成立", "Dismissed"),
    ("产品名称", "Product"),
    ("产品简介", "Description"),
    (
        "企业称号已失效，待复核",
        "The firm's title has lapsed: to be reviewed",
    ),
    ("优质产品推荐目录", "Quality product catalogue"),
    ("修改后重新提交", "Resubmit with changes"),
    ("公开目录与公示", "Public catalogue and notice"),
    (
        "公示 {} 个工作日（周末不计）；公示期满且无未处理异议后方可入选。",
        "Notice runs {} working days (weekends not counted); a product is listed once its notice is over with no objection open.",
    ),
    ("公示期", "Notice period"),
    ("公示至 {}", "On notice until {}"),
    ("公示至 {} 结束", "The notice runs until {}"),
    ("共 {} 个产品，{} 家企业", "{} products of {} firms"),
    ("列入目录", "List"),
    ("发布公示", "Put on notice"),
    (
        "只有持有有效专精特新中小企业或“小巨人”称号的企业才能申报",
        "Only a firm holding a valid SRDI or little-giant title may submit",
    ),
    ("已入选", "Listed"),
    ("已移出", "Delisted"),
    ("已退回", "Returned"),
    ("异议", "Objection"),
    ("当前没有公示中的产品。", "No product is on notice now."),
    ("待公示", "Approved, awaiting notice"),
    ("待市级审核", "Awaiting the city's review"),
    ("成立", "Upheld"),
    ("拟入选产品公示", "Products on notice"),
    ("操作", "Actions"),
    ("查看", "Show"),
    ("申报产品", "Submit a product"),
    ("登录后可提出异议", "Sign in to object"),
    ("移出目录", "Delist"),
    (
        "该产品当前为“{}”，不能进行此操作",
        "The product is “{}”: this step does not apply",
    ),
    ("该年度暂无申报。", "No submission for this year."),
    (
        "该年度目录尚未发布。",
        "This year's catalogue is not published yet.",
    ),
    ("请写明理由", "Please give the reason"),
    ("退回", "Return"),
    ("{} 场", "{} events"),
    ("{} 家企业", "{} firms"),
    ("中小企业", "SME"),
    ("主办方", "Organiser"),
    ("产业链对接活动", "Chain matchmaking events"),
    (
        "企业以统一社会信用代码登记（须在企业库中）；银行和科研院所可填名称。",
        "Firms are recorded by their unified social credit code (they must be in the registry); banks and institutes may be named.",
    ),
    (
        "企业库中没有该统一社会信用代码",
        "No firm in the registry has this code",
    ),
    ("企业走访", "Company visit"),
    ("供需对接会", "Supply–demand matchmaking"),
    ("全市", "City-wide"),
    ("全部产业链", "All chains"),
    ("全部区县", "All districts"),
    ("原因", "Reason"),
    ("参与企业", "Firms taking part"),
    ("参与方", "Party"),
    ("参与方次", "Participations"),
    (
        "参与方（统一社会信用代码或名称）",
        "Party (credit code or name)",
    ),
    ("参加活动场次", "Events attended"),
    ("取消须写明原因", "A cancellation needs its reason"),
    ("合作意向", "Intention"),
    ("地点", "Place"),
    ("备注", "Note"),
    ("对接成效", "Results"),
    ("对接成果", "Outcomes"),
    ("尚未登记参与方。", "No party recorded yet."),
    ("尚未登记成果。", "No outcome recorded yet."),
    ("展会", "Exhibition"),
    ("已取消", "Cancelled"),
    ("已履约", "Executed"),
    ("已签约", "Signed"),
    ("意向", "Intention"),
    (
        "成果当前为“{}”，不能进行此操作",
        "The outcome is “{}”: this step does not apply",
    ),
    ("成果类型", "Outcome"),
    ("活动", "Events"),
    (
        "活动举行后才能登记成果。",
        "Outcomes can be recorded once the event has been held.",
    ),
    (
        "活动于 {} 举行，届时起才能登记成果",
        "The event is held on {}: outcomes can be recorded from that day on",
    ),
    ("活动场次", "Events"),
    ("活动类型", "Kind of event"),
    ("添加参与方", "Add party"),
    ("登记", "Record"),
    ("登记履约", "Record execution"),
    ("登记成果", "Record outcome"),
    ("登记活动", "Record an event"),
    ("登记签约", "Record signing"),
    ("科研院所", "Research institute"),
    ("融资", "Financing"),
    ("融资（万元）", "Financing (万元)"),
    ("订单", "Order"),
    (
        "订单、融资、项目只计已签约和已履约的成果；意向不计入。",
        "Orders, financing and projects count signed and executed outcomes only; intentions are not counted.",
    ),
    ("订单（万元）", "Orders (万元)"),
    ("该范围内暂无活动。", "No events in this range."),
    ("路演", "Roadshow"),
    ("链主/大企业", "Chain leader / large firm"),
    ("项目", "Projects"),
    (
        "该申报已提交，不能再修改",
        "The declaration has been submitted and can no longer be changed",
    ),
    (
        "密码至少需要 {} 个字符",
        "The password needs at least {} characters",
    ),
    (
        "密码最多 {} 个字符",
        "The password may have at most {} characters",
    ),
    (
        "密码须包含至少两类字符（小写字母、大写字母、数字、其他字符）",
        "The password must mix at least two kinds of characters (lower-case, upper-case, digits, others)",
    ),
    (
        "这个密码过于常见或包含用户名，容易被猜中",
        "This password is too common or contains the user name, and is easily guessed",
    ),
    ("当前密码不正确", "The current password is not right"),
    ("两次输入的新密码不一致", "The two new passwords differ"),
    ("修改密码", "Change the password"),
    (
        "密码已修改，其他设备上的登录已退出。",
        "The password is changed; sessions on other devices have ended.",
    ),
    ("当前密码", "Current password"),
    ("新密码", "New password"),
    (
        "至少 10 个字符，包含至少两类字符，不要使用常见密码或用户名。",
        "At least 10 characters of at least two kinds; no common password, no user name.",
    ),
    ("再次输入新密码", "New password again"),
    (
        "该称号认定于 {} 年度结束之后，无需提交该年度信息更新",
        "This title was granted after {} ended: no yearly update is owed for that year",
    ),
    (
        "该企业在 {} 前不得申报（{}）",
        "This enterprise may not declare until {} ({})",
    ),
    (
        "专家评分未齐时通过的理由",
        "Reason to approve without every expert's score",
    ),
    (
        "评价未通过时仍予通过的理由",
        "Reason to approve although the evaluation does not pass",
    ),
    (
        "尚未抽取专家：通过须填写“专家评分未齐时通过的理由”",
        "No experts were drawn: to approve, give a reason to approve without every expert's score",
    ),
    (
        "还有 {} 位抽取的专家未评分：通过须填写“专家评分未齐时通过的理由”",
        "{} drawn expert(s) have not scored: to approve, give a reason to approve without every expert's score",
    ),
    (
        "评价结果为“{}”：通过须填写“评价未通过时仍予通过的理由”",
        "The evaluation is \"{}\": to approve, give a reason to approve although the evaluation does not pass",
    ),
    ("专家 {}", "Expert {}"),
    (
        "{} 位专家已评分，平均 {} 分",
        "{} expert(s) scored, {} on average",
    ),
    (
        "已公布本轮随机种子的承诺值（SHA-256），请再次点击抽取",
        "The commitment (SHA-256) to this round's seed is now published; draw again",
    ),
    (
        "抽取前公布的承诺值（{}）：{}",
        "Commitment published before the draw ({}): {}",
    ),
    (
        "种子的 SHA-256 与抽取前公布的承诺值一致：种子在抽取前已固定。",
        "The seed's SHA-256 is the commitment published before the draw: the seed was fixed in advance.",
    ),
    (
        "本轮没有抽取前公布的承诺值，或种子与承诺值不符。",
        "This round has no commitment published before the draw, or the seed does not match it.",
    ),
    ("承诺值（{}）：{}", "Commitment ({}): {}"),
    (
        "该轮种子将在抽取时公布，任何人可核对其 SHA-256。",
        "The round's seed is revealed at the draw; anyone can check its SHA-256.",
    ),
    ("本轮种子承诺值：{}", "This round's seed commitment: {}"),
    ("请选择本市的区县", "Choose a district of the city"),
    ("迁移所属区县", "Move to another district"),
    (
        "导入不会改变企业的所属区县；迁移由市级用户在此办理并记入审计日志",
        "Imports never change an enterprise's district; the city bureau moves it here, and the move is audited",
    ),
    ("迁至", "Move to"),
    ("迁移", "Move"),
    (
        "该企业登记在{}，不在您的管辖范围（{}），不能由您导入",
        "This enterprise is registered in {}, outside your districts ({}); you cannot import it",
    ),
    (
        "该企业登记在{}，导入不能改变所属区县；如需迁移，请市级用户在企业页面办理",
        "This enterprise is registered in {}; an import cannot change its district. The city bureau moves it on the enterprise page",
    ),
    (
        "“{}”不在您的管辖范围（{}）",
        "\"{}\" is not in your districts ({})",
    ),
    (
        "工作簿解压后超过 {} MB，未读取。请删除多余的工作表或分成几个文件导入。",
        "The workbook unpacks to more than {} MB and was not read. Remove other sheets or split it into several files.",
    ),
    (
        "工作簿包含超过 {} 个部件，未读取。",
        "The workbook has more than {} parts and was not read.",
    ),
    (
        "工作表在第 {} 行之后仍有内容，超过单次导入的上限，未读取。请分成几个文件导入。",
        "The worksheet has content beyond row {}, more than one import takes; it was not read. Split it into several files.",
    ),
    (
        "工作表在第 {} 列之后仍有内容，模板没有这么多列，未读取。",
        "The worksheet has content beyond column {}; the template has far fewer columns. It was not read.",
    ),
    (
        "工作表填写的单元格超过 {} 个，未读取。",
        "The worksheet has more than {} filled cells and was not read.",
    ),
    (
        "工作簿的共享字符串声明了 {} 项，超出其实际内容，文件可能已损坏，未读取。",
        "The workbook's shared strings declare {} entries, more than they hold; the file may be damaged and was not read.",
    ),
    (
        "上传的文件不完整或超过 {} MB 的上限。",
        "The upload is incomplete or larger than the {} MB limit.",
    ),
    ("第 {} 轮", "Round {}"),
    (
        "再次抽取（为新推荐的申报）",
        "Draw again (for declarations recommended since)",
    ),
    (
        "申报“{}”将于 {} 截止，尚未提交",
        "The declaration \"{}\" is due on {} and not yet submitted",
    ),
    (
        "请在 {} 前完成 {} 年度信息更新",
        "Make the yearly update before {} (for {})",
    ),
    ("金融专区（本年）", "Finance this year"),
    ("授信 {} 笔，{} 万元", "{} credit grants, {} 万元"),
    ("服务企业 {} 家", "{} enterprises served"),
    ("按需求“{}”排序", "ranked for the need \"{}\""),
    ("LPR + {} 个基点", "LPR + {} bp"),
    ("LPR 加点", "LPR plus a spread"),
    ("{} 万元以上", "over {} 万元"),
    ("{} 个月", "{} months"),
    ("{}–{} 万元", "{}–{} 万元"),
    ("{}（万元）：{}", "{} (万元): {}"),
    ("{}：要求 {}，实际 {}", "{}: required {}, found {}"),
    ("万元", "万元"),
    ("上市", "IPO"),
    ("上市后备企业", "Listing pipeline"),
    ("上架", "List"),
    ("上架产品", "Products listed"),
    ("不予上架", "Do not list"),
    ("不符合申请条件：{}", "Not eligible: {}"),
    ("产品", "Product"),
    ("产品“{}”：{}", "Product \"{}\": {}"),
    ("产品类型", "Kind"),
    ("企业融资需求", "Financing needs of enterprises"),
    ("保存为", "Save as"),
    (
        "保存筛选，有新企业时通知我",
        "Save the screening and tell me of new matches",
    ),
    ("保险", "Insurance"),
    ("保险机构", "Insurer"),
    ("信用", "Credit"),
    ("公开信息", "public information"),
    ("公开名单", "public list"),
    ("公开称号", "Public titles"),
    ("利率", "Rate"),
    ("利率（基点）", "Rate (basis points)"),
    (
        "参与方应为统一社会信用代码或机构编号",
        "A participant is a credit code or an institution number",
    ),
    (
        "参与方（统一社会信用代码或机构编号）",
        "Participant (credit code or institution number)",
    ),
    ("发布融资需求", "Financing needs posted"),
    ("发布需求", "Post the need"),
    (
        "只给判断结果和区间，不给具体数值",
        "Answers and bands only, no figures",
    ),
    (
        "只能推荐本机构已上架的产品",
        "Only this institution's listed products can be offered",
    ),
    ("可申请的金融产品", "Products for you"),
    ("否", "no"),
    ("员工账户（逗号分隔）", "Staff accounts (comma-separated)"),
    ("回复", "Reply"),
    ("固定利率", "Fixed rate"),
    ("培育", "Grooming"),
    ("基本信息", "Profile"),
    ("对应融资需求", "For the need"),
    ("对接中", "Open"),
    ("已上架", "Listed"),
    ("已下架", "Withdrawn"),
    ("已保存的筛选", "Saved screenings"),
    ("已受理", "Accepted"),
    ("已拒绝", "Declined"),
    ("已授信", "Credit granted"),
    ("已授权", "consented"),
    (
        "已授权企业与公开名单",
        "consenting enterprises and the public list",
    ),
    ("已放款", "Disbursed"),
    ("已满足", "Met"),
    ("已满足需求", "Needs met"),
    ("已申请", "Applied"),
    ("待审核", "Awaiting review"),
    ("待审核产品", "Products awaiting review"),
    (
        "您的融资需求有新回复：{}",
        "A reply to your financing need: {}",
    ),
    ("成果", "Outcome"),
    ("投贷联动", "Investment-loan linkage"),
    ("投资基金", "Investment fund"),
    ("抵质押", "Pledge or mortgage"),
    ("担保", "Guarantee"),
    ("担保方式", "Collateral"),
    ("拥有Ⅰ类知识产权", "Holds class-I IP"),
    ("挂牌", "Board listing"),
    ("指标", "Indicator"),
    (
        "按企业授权显示；本次查看已记入企业的访问记录。",
        "Shown as the enterprise consented; this view is recorded in its access log.",
    ),
    ("按梯度", "By tier"),
    ("授信笔数", "Credit grants"),
    ("授信金额", "Credit granted"),
    ("授信金额（万元）", "Credit granted (万元)"),
    ("授权", "Grant"),
    ("推荐产品", "Offer a product"),
    ("提交审核", "Submit for review"),
    ("撤回授权", "Revoke"),
    ("放款笔数", "Disbursements"),
    ("放款金额（万元）", "Disbursed (万元)"),
    ("政银企对接活动", "Government–bank–enterprise events"),
    ("数值", "Value"),
    ("数据授权", "Data consents"),
    ("数据类别", "Categories"),
    ("新增产品", "New product"),
    ("时间", "Time"),
    ("是", "yes"),
    ("暂不符合", "Not yet eligible"),
    ("暂无上架产品。", "No product is listed yet."),
    ("暂无记录。", "No records."),
    ("更新", "Update"),
    ("最低金额", "Minimum amount"),
    ("最短期限（月）", "Shortest term (months)"),
    ("最长期限（月）", "Longest term (months)"),
    ("最高金额", "Maximum amount"),
    ("有效天数", "Days valid"),
    ("服务企业", "Enterprises served"),
    ("期间", "Period"),
    ("期限", "Term"),
    ("期限（月）", "Term (months)"),
    ("本机构产品", "Our products"),
    ("机构", "Institution"),
    ("止", "To"),
    ("添加", "Add"),
    ("用途", "Purpose"),
    ("申请", "Apply"),
    ("申请渠道", "Channel"),
    ("知识产权", "Intellectual property"),
    ("知识产权质押", "IP pledge"),
    ("符合条件", "Eligible"),
    ("符合条件的企业", "Eligible enterprises"),
    (
        "筛选“{}”有新的符合条件企业：{}",
        "Screening \"{}\" has a new match: {}",
    ),
    ("筛选企业", "Screen enterprises"),
    ("类型", "Kind"),
    ("统计", "Count"),
    ("股债联动", "Equity-debt linkage"),
    ("股改", "Shareholding reform"),
    ("营业收入 ≥（万元）", "Revenue ≥ (万元)"),
    ("营业收入区间", "Revenue band"),
    ("融资需求", "Financing needs"),
    (
        "该企业未向本机构授权，仅显示公开信息。",
        "This enterprise has not consented to your institution: public information only.",
    ),
    ("该融资需求不存在或已结束", "No such open need"),
    ("请写明拒绝理由", "Write the reason for declining"),
    (
        "请选择至少一种担保方式",
        "Choose at least one collateral mode",
    ),
    ("请选择至少一类数据", "Choose at least one category"),
    ("谁查看了我的数据", "Who read my data"),
    ("财务数据", "Financials"),
    ("贷款", "Loan"),
    ("贷款申请", "Applications"),
    ("贷款申请“{}”：{}", "Application for \"{}\": {}"),
    ("起", "From"),
    ("辅导", "Tutoring"),
    (
        "达到{}将可申请 {} 款金融产品",
        "Reaching {} would open {} financial products",
    ),
    ("还款方式", "Repayment"),
    ("适用对象", "Eligibility"),
    ("适用对象（不选即不限）", "Eligibility (none ticked: any)"),
    ("金融专区", "Finance"),
    ("金融专区统计", "Finance statistics"),
    ("金融机构", "Financial institutions"),
    ("金额", "Amount"),
    (
        "金额或期限的下限高于上限",
        "A lower bound is above its upper bound",
    ),
    ("金额（万元）", "Amount (万元)"),
    ("银行", "Bank"),
    ("阶段", "Stage"),
    ("（仅判断结果）", " (answers only)"),
    ("，差 {} 万元", ", {} 万元 short"),
    ("JPEG 文件不完整", "The JPEG file is incomplete"),
    (
        "PDF 文件不完整（缺少 %%EOF）",
        "The PDF file is incomplete (no %%EOF)",
    ),
    ("PNG 文件不完整", "The PNG file is incomplete"),
    ("{} 天，尚未发布", "{} days, not yet published"),
    ("{} 已认定为{}", "{} is recognised as {}"),
    (
        "{} 提交了申报，待审核",
        "{} submitted a declaration for review",
    ),
    ("{}：{}（{}）", "{}: {} ({})"),
    ("{}：格式有误", "{}: malformed"),
    ("上传", "Upload"),
    ("上传内容有误", "The upload is malformed"),
    ("不予推荐", "Reject"),
    ("不同意", "Disagree"),
    ("不同意须写明理由", "a disagreement needs a reason"),
    ("不在公示期内", "Not within the notice period"),
    ("负债总额", "Total liabilities"),
    (
        "产品当前状态为“{}”，不能进行此操作",
        "The product is now “{}”: this step is not possible",
    ),
    (
        "申请当前状态为“{}”，不能进行此操作",
        "The application is now “{}”: this step is not possible",
    ),
    ("营业收入 ≥ {}", "Revenue ≥ {}"),
    ("研发强度 ≥ {}%", "R&D intensity ≥ {}%"),
    ("Ⅰ类知识产权 ≥ {} 件", "Class I IP ≥ {} items"),
    ("行业代码", "Industry code"),
    ("所属生态", "Ecosystem"),
    ("主要产品", "Main products"),
    (
        "申报当前状态为“{}”，不能进行此操作",
        "The declaration is now “{}”: this step is not possible",
    ),
    (
        "该企业处于禁止申报期内",
        "The enterprise is barred from declaring",
    ),
    (
        "评价未通过：通过须填写“评价未通过时仍予通过的理由”",
        "The evaluation does not pass: approving needs “why approve despite the evaluation”",
    ),
    ("尚有未处理的异议", "An objection is still open"),
    ("请写明内容", "Please say what it is about"),
    ("专家库", "Experts"),
    ("专家库为空。", "The pool is empty."),
    ("专家抽取结果", "Draw of experts"),
    ("专家抽取（双随机）", "Random draw of experts"),
    ("专家编号与签号", "Experts and their tickets"),
    ("专家评审", "Expert review"),
    ("事项", "Event"),
    ("以 {} 年度数据更新", "updated with the figures of {}"),
    (
        "以下规则缺少审核意见：{}",
        "These rules have no opinion: {}",
    ),
    (
        "以冻结的输入和规则重新评价，结果与记录完全一致。",
        "Re-evaluated from the frozen inputs and rules: identical to the record.",
    ),
    ("任职单位统一社会信用代码", "Employer's credit code"),
    ("企业", "Enterprise"),
    (
        "使用浏览器的“打印”可保存为 PDF。",
        "Use the browser's Print to save it as a PDF.",
    ),
    ("保存草稿", "Save draft"),
    ("公示", "Public notice"),
    ("公示与认定", "Notice and recognition"),
    ("公示中", "On public notice"),
    ("公示天数", "Notice days"),
    ("公示异议", "Objections"),
    ("公示异议成立", "Objection upheld"),
    ("公示期尚未结束", "The notice period has not ended"),
    ("公示期：{} 至 {}", "Notice period: {} to {}"),
    ("其他", "Other"),
    (
        "其他利益冲突（每行：统一社会信用代码 类型）",
        "Other conflicts (one per line: credit code and kind)",
    ),
    ("内容过长", "Too long"),
    ("决定记录", "Decision record"),
    ("冻结的输入", "Frozen inputs"),
    ("创建", "Create"),
    ("利益冲突", "Conflicts of interest"),
    ("利益冲突第 {} 行：{}", "Conflicts, line {}: {}"),
    ("加入", "Add"),
    ("加入专家", "Add an expert"),
    ("区县审核", "District review"),
    ("区县审核截止", "District review until"),
    ("区县已推荐", "Recommended by the district"),
    ("发布公示（{} 家）", "Publish the notice ({} enterprises)"),
    (
        "只接受 PDF、PNG 或 JPEG 文件",
        "Only PDF, PNG or JPEG files are accepted",
    ),
    ("同意", "Agree"),
    ("名称", "Name"),
    ("名额", "Quota"),
    (
        "因“{}”被撤销称号，{} 前不得申报。",
        "Titles revoked for \"{}\"; no declaration before {}.",
    ),
    ("处理", "Resolve"),
    ("处理意见", "Resolution"),
    ("复核", "Re-review"),
    ("复核未通过", "Re-review failed"),
    ("复核通过", "Re-review passed"),
    ("大小（字节）", "Size (bytes)"),
    ("姓名", "Name"),
    ("审核、专家与异议", "Reviews, experts and objections"),
    ("审核中", "Under review"),
    ("审核人", "Reviewer"),
    ("审核意见", "Opinion"),
    ("审核结论", "Decision"),
    ("审核记录", "Reviews"),
    ("对应规则", "Rule"),
    ("尚未上传。", "Nothing uploaded yet."),
    ("已归档", "Archived"),
    (
        "已按公开种子重新计算，结果一致。",
        "Recomputed from the published seed: identical.",
    ),
    ("已撤回", "Withdrawn"),
    ("已认定", "Recognised"),
    ("已认定企业名单", "Recognised enterprises"),
    ("已过审核截止日期 {}", "The review deadline {} has passed"),
    ("已过截止日期 {}", "The deadline {} has passed"),
    ("已逾期", "overdue"),
    ("市级审核", "City review"),
    ("市级审核截止", "City review until"),
    ("市级已通过", "Approved by the city"),
    ("年度信息更新", "Yearly update"),
    ("开始申报", "Start a declaration"),
    ("异议不成立", "Dismissed"),
    ("异议人", "Filed by"),
    ("异议内容", "Objection"),
    (
        "异议已提交，将由市经信局处理。",
        "The objection was filed; the city bureau will resolve it.",
    ),
    ("异议成立", "Upheld"),
    ("归档批次", "Archive the batch"),
    ("当前没有公示中的名单。", "No list is on public notice now."),
    ("待区县审核", "Awaiting district review"),
    ("待处理", "Open"),
    ("待办", "Waiting for you"),
    ("截止", "Due"),
    (
        "今日待办：{} 份申报，其中逾期 {} 份",
        "Waiting today: {} declarations, {} of them overdue",
    ),
    ("我的申报", "My declaration"),
    (
        "截止日期应依次为：申报 ≤ 区县审核 ≤ 市级审核",
        "Deadlines must run: declaration ≤ district review ≤ city review",
    ),
    ("批次", "Batch"),
    ("报告", "Report"),
    ("抽取", "Draw"),
    ("抽取输入", "Inputs of the draw"),
    ("推荐", "Recommend"),
    ("提交", "Submit"),
    (
        "提交 {} 年度信息更新（截止 {}）",
        "Submit the yearly update for {} (due {})",
    ),
    ("提交审核意见", "Submit the review"),
    ("提交异议", "File the objection"),
    ("提交评分", "Submit the score"),
    ("提出异议", "Object"),
    ("撤回申报", "Withdraw the declaration"),
    ("撤销", "Revoked"),
    (
        "撤销全部称号（三年内不得申报）",
        "Revoke every title (no declaration for three years)",
    ),
    ("撤销理由", "Reason for revocation"),
    ("文件", "File"),
    ("文件超过 {} MB", "The file is larger than {} MB"),
    (
        "文件（PDF、PNG 或 JPEG，不超过 {} MB）",
        "File (PDF, PNG or JPEG, at most {} MB)",
    ),
    ("新建批次", "New batch"),
    ("无冲突专家不足", "not enough unconflicted experts"),
    ("日期", "Date"),
    ("暂无。", "None."),
    ("暂无批次。", "No batches yet."),
    ("暂无消息。", "No messages."),
    ("有效期", "Validity"),
    ("有效期至 {}，规则 {}", "valid until {}, rules {}"),
    (
        "未按期完成年度信息更新，不具备复核资格",
        "No yearly update on time: not eligible for re-review",
    ),
    ("未知", "Unknown"),
    ("未通过", "Rejected"),
    (
        "本企业承诺所填数据和所附材料真实、准确、完整，如有虚假愿承担相应责任。",
        "We pledge that the figures and documents are true, accurate and complete, and accept the consequences of any falsehood.",
    ),
    ("本平台认定的称号：暂无。", "Titles recognised here: none."),
    ("本批次名额 {} 已满", "The batch's quota of {} is full"),
    (
        "本证书已失效或被撤销。",
        "This certificate has expired or been revoked.",
    ),
    ("本证书当前有效。", "This certificate is valid."),
    ("查看抽取结果", "See the draw"),
    ("每份专家数", "Experts per declaration"),
    (
        "没有待专家评审的申报",
        "No declaration awaits expert review",
    ),
    (
        "没有该专家账户（角色须为评审专家）",
        "No such expert account (its role must be expert)",
    ),
    ("消息", "Messages"),
    ("环节", "Stage"),
    ("理由", "Reason"),
    (
        "由企业库数据预填，可修改；自评随之更新",
        "pre-filled from the registry; edit them and the self-assessment follows",
    ),
    ("申报", "Declarations"),
    ("申报与认定", "Declarations"),
    ("申报中", "Open"),
    ("申报已截止", "Declarations are closed"),
    ("批次已归档", "The batch is archived"),
    (
        "活动于 {} 举行，届时起才能登记金额",
        "The event is held on {}: an amount can be recorded from that day on",
    ),
    (
        "退回较早阶段须在备注中说明原因",
        "A step back to an earlier stage needs the reason in the note",
    ),
    (
        "申报截止日期已过",
        "The declaration deadline is already past",
    ),
    ("；", "; "),
    ("申报截止", "Declare until"),
    ("申报批次", "Batches"),
    ("申报数据", "Declared figures"),
    ("申报梯度", "Tier declared"),
    ("申报编号", "Declaration"),
    ("称号已撤销：{}", "Titles revoked: {}"),
    (
        "称号有效期剩余超过 {} 个月，暂不复核",
        "More than {} months of validity left: not yet due for re-review",
    ),
    ("称号管理", "Titles"),
    ("签署承诺并提交", "Sign the pledge and submit"),
    (
        "算法：对每份申报，每位无利益冲突的专家的签号为 SHA-256(「种子:申报编号:专家编号」)；领域相符且人数足够时只在领域内抽取；取签号最小的若干名。任何人可用下方输入重新计算。每轮种子在抽取前由系统随机生成，只公布其 SHA-256（承诺值），抽取时公开种子本身。公布的输入不含企业代码和专家的利益关系，只列出每位专家须回避的申报编号。",
        "Method: for each declaration, each unconflicted expert's ticket is SHA-256(\"seed:declaration:expert\"); experts of the declaration's field are drawn among themselves when there are enough; the smallest tickets win. Anyone can recompute it from the inputs below. Each round's seed is generated at random before the draw and only its SHA-256 (the commitment) is published; the draw reveals the seed. The published inputs name no firm and no expert's ties: only the declarations each expert must stand aside from.",
    ),
    (
        "类型应为 employment、shareholding 或 relation",
        "the kind must be employment, shareholding or relation",
    ),
    ("结论", "Outcome"),
    ("联系方式", "Contact"),
    ("自评", "Self-assessment"),
    ("自评结果", "Self-assessment"),
    ("草稿", "Draft"),
    ("认定", "Recognised"),
    ("认定依据", "Rules"),
    (
        "认定公示期满且无异议的企业（{} 家）",
        "Recognise those whose notice ended without objection ({} on notice)",
    ),
    ("认定决定", "Decision"),
    ("认定名单公示", "Public notice of recognitions"),
    ("记录", "History"),
    ("证书", "Certificate"),
    ("证书编号", "Certificate no."),
    ("证明材料", "Evidence"),
    ("评价与追溯", "Evaluation and trace"),
    ("评价日期", "Evaluated on"),
    ("评价结果", "Verdict"),
    ("评分", "Score"),
    (
        "评分应为 0–100 的整数",
        "The score must be a whole number from 0 to 100",
    ),
    ("评分（0–100）", "Score (0–100)"),
    ("评审意见", "Comment"),
    ("评审领域", "Fields"),
    ("评审领域（逗号分隔）", "Fields (comma-separated)"),
    (
        "该申报不在专家评审阶段",
        "The declaration is not in expert review",
    ),
    ("说明", "Detail"),
    ("请先签署真实性承诺", "Sign the truthfulness pledge first"),
    ("请写明处理意见", "Write the resolution"),
    ("请写明撤销理由", "Write the reason for revocation"),
    ("请填写姓名与评审领域", "Enter the name and fields"),
    (
        "请填写异议人、联系方式与异议内容",
        "Enter who objects, a contact and the objection",
    ),
    ("请填写评审意见", "Write a comment"),
    ("请说明变化内容", "Describe the change"),
    ("请选择审核结论", "Choose a decision"),
    (
        "请选择异议是否成立",
        "Choose whether the objection is upheld",
    ),
    ("请选择异议针对的企业", "Choose the enterprise objected to"),
    ("请选择要上传的文件", "Choose a file to upload"),
    (
        "请选择证明材料对应的规则",
        "Choose the rule the evidence is for",
    ),
    (
        "账户须先以评审专家角色创建（zjtx user add … --role expert）",
        "create the account with the expert role first (zjtx user add … --role expert)",
    ),
    ("退回修改", "Returned for correction"),
    (
        "退回或不予推荐须写明理由",
        "A return or a rejection needs a reason",
    ),
    ("通过", "Approve"),
    ("逾期更新（失去复核资格）", "Late update (re-review lost)"),
    ("重大变化报告", "Major change reported"),
    (
        "重大变化（更名、合并、迁址等）",
        "Major change (name, merger, relocation…)",
    ),
    (
        "重新计算的结果与记录不一致。",
        "Recomputed: differs from the record.",
    ),
    (
        "重新评价的结果与记录不一致。",
        "Re-evaluated: differs from the record.",
    ),
    ("重新运行", "Re-run"),
    (
        "随机种子：{}；每份申报抽取 {} 名专家。",
        "Seed: {}; {} experts per declaration.",
    ),
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
    ("表单无法读取：{}", "The form could not be read: {}"),
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
        "登录尝试次数过多，请15分钟后再试",
        "Too many sign-in attempts: try again in 15 minutes",
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
#[path = "i18n_tests.rs"]
mod tests;
