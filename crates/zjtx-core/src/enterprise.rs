//! One row of the enterprise template (`enterprise-template.md`): the columns, defined once with their
//! key, Chinese label and type, and the parsing of a row of text cells into an [`Enterprise`].

use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::ids::{IndustryCode, Uscc};
use crate::num::{Dec4, Wan};

macro_rules! choice_enum {
    ($(#[$m:meta])* $name:ident { $($var:ident = $key:literal / $zh:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($var),* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$var),*];
            pub fn key(self) -> &'static str { match self { $($name::$var => $key),* } }
            pub fn zh(self) -> &'static str { match self { $($name::$var => $zh),* } }
            pub fn parse(s: &str) -> Option<$name> {
                let t = trim_cell(s);
                $( if t.eq_ignore_ascii_case($key) || t == $zh { return Some($name::$var); } )*
                None
            }
            /// A cell that is exactly a key, at the start of the rest of a line (`Quick`).
            fn quick(b: &[u8]) -> Option<($name, usize)> {
                $( if b.starts_with($key.as_bytes()) && ends(b, $key.len()) {
                    return Some(($name::$var, $key.len()));
                } )*
                None
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.key()) }
        }
    };
}

choice_enum!(
    /// Level of the enterprise's R&D institution (研发机构级别).
    RdInstitution { None = "none" / "无", BelowCity = "below_city" / "市级以下", City = "city" / "市级", Provincial = "provincial" / "省级", National = "national" / "国家级" }
);
choice_enum!(
    /// Level of the enterprise's best S&T award (科技奖励级别).
    AwardLevel { None = "none" / "无", Provincial = "provincial" / "省级", National = "national" / "国家级" }
);
choice_enum!(
    /// Group reached in the "创客中国" competition.
    MakersChina { None = "none" / "无", Top500 = "top500" / "500强", Top50 = "top50" / "50强" }
);
choice_enum!(
    /// Highest grade of production-safety accident in the last three years.
    Incident { None = "none" / "无", General = "general" / "一般", Larger = "larger" / "较大", Major = "major" / "重大", Extraordinary = "extraordinary" / "特别重大" }
);

/// The 13 county-level divisions of the city (`data/hangzhou-districts.csv`): code, name.
pub const DISTRICTS: &[(&str, &str)] = &[
    ("330102", "上城区"),
    ("330105", "拱墅区"),
    ("330106", "西湖区"),
    ("330108", "滨江区"),
    ("330109", "萧山区"),
    ("330110", "余杭区"),
    ("330111", "富阳区"),
    ("330112", "临安区"),
    ("330113", "临平区"),
    ("330114", "钱塘区"),
    ("330122", "桐庐县"),
    ("330127", "淳安县"),
    ("330182", "建德市"),
];

/// The city's five industrial ecosystems (五大产业生态圈, `data/hangzhou-ecosystems.csv`).
pub const ECOSYSTEMS: &[&str] = &["智能物联", "生物医药", "高端装备", "新材料", "绿色能源"];

/// An industrial chain (产业链) named under an ecosystem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chain {
    pub ecosystem: &'static str,
    pub name: &'static str,
    pub name_en: &'static str,
}

/// The chains the city names under its ecosystems (`data/hangzhou-ecosystems.csv`, embedded), in
/// the file's order. A deployment starts with these; bureaus add chains in the database.
pub fn chains() -> &'static [Chain] {
    static CHAINS: std::sync::LazyLock<Vec<Chain>> = std::sync::LazyLock::new(|| {
        include_str!("../data/hangzhou-ecosystems.csv")
            .lines()
            .skip(1)
            .filter_map(|l| {
                let mut it = l.split(',').map(str::trim);
                match (it.next(), it.next(), it.next()) {
                    (Some(ecosystem), Some(name), Some(name_en)) if !name.is_empty() => {
                        Some(Chain {
                            ecosystem,
                            name,
                            name_en,
                        })
                    }
                    _ => None,
                }
            })
            .collect()
    });
    &CHAINS
}

/// A cell that could not be read: what is wrong, in English (completing "row R, column K: …")
/// and in Chinese (completing "第 R 行「列」：…"), each saying what is expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bad {
    pub en: String,
    pub zh: String,
}

/// A cell's value, or what is wrong with it. The fault is boxed so that the result of the
/// common case, a value, fits in registers: a cell parser runs for every cell of a file.
pub type CellResult<T> = Result<T, Box<Bad>>;

fn bad(en: impl Into<String>, zh: impl Into<String>) -> Box<Bad> {
    Box::new(Bad {
        en: en.into(),
        zh: zh.into(),
    })
}

fn quoted(s: &str) -> String {
    format!("{s:?}")
}

/// `「s」` as a Chinese message quotes a cell.
fn cn(s: &str) -> String {
    format!("「{s}」")
}

#[inline(always)]
fn p_money(s: &str) -> CellResult<Wan> {
    let w = Wan::parse(s).map_err(|e| {
        bad(
            format!("{} {e}", quoted(s)),
            format!(
                "{}不是数字，请填写数值（万元，最多四位小数），如 1000",
                cn(s)
            ),
        )
    })?;
    if w < Wan::ZERO {
        return Err(bad(
            format!("{} is negative; amounts in 万元 must be ≥ 0", quoted(s)),
            format!("{}为负数，金额（万元）须大于或等于 0", cn(s)),
        ));
    }
    Ok(w)
}
fn p_signed_money(s: &str) -> CellResult<Wan> {
    Wan::parse(s).map_err(|e| {
        bad(
            format!("{} {e}", quoted(s)),
            format!(
                "{}不是数字，请填写数值（万元，可为负），如 1000 或 -50",
                cn(s)
            ),
        )
    })
}
#[inline(always)]
fn p_count(s: &str) -> CellResult<u32> {
    // Excel writes whole numbers held as floats with ".0"; accept that, nothing else fractional.
    let t = s.strip_suffix(".0").unwrap_or(s);
    t.parse::<u32>().map_err(|_| {
        bad(
            format!("{} is not a whole number ≥ 0", quoted(s)),
            format!("{}不是大于或等于 0 的整数，请填写如 120", cn(s)),
        )
    })
}
fn p_count1(s: &str) -> CellResult<u32> {
    match p_count(s) {
        Ok(0) | Err(_) => Err(bad(
            format!("{} is not a whole number ≥ 1", quoted(s)),
            format!("{}不是大于或等于 1 的整数", cn(s)),
        )),
        Ok(n) => Ok(n),
    }
}
fn p_year(s: &str) -> CellResult<i32> {
    let t = s.strip_suffix(".0").unwrap_or(s);
    match t.parse::<i32>() {
        Ok(y) if (1900..=2200).contains(&y) => Ok(y),
        _ => Err(bad(
            format!("{} is not a year", quoted(s)),
            format!("{}不是年份，请填写四位年份，如 2025", cn(s)),
        )),
    }
}
fn p_level(s: &str) -> CellResult<u8> {
    match p_count(s) {
        Ok(n) if n <= 4 => Ok(n as u8),
        _ => Err(bad(
            format!("{} is not a level from 0 to 4", quoted(s)),
            format!("{}不是 0 至 4 的等级", cn(s)),
        )),
    }
}
fn p_dec(s: &str, max: i64) -> CellResult<Dec4> {
    let d = Dec4::parse(s).map_err(|e| {
        bad(
            format!("{} {e}", quoted(s)),
            format!("{}不是数字，请填写 0 至 {max} 的数值", cn(s)),
        )
    })?;
    if d < Dec4::ZERO || d > Dec4::whole(max) {
        return Err(bad(
            format!("{} is outside 0–{max}", quoted(s)),
            format!("{}超出 0 至 {max} 的范围", cn(s)),
        ));
    }
    Ok(d)
}
fn p_pct100(s: &str) -> CellResult<Dec4> {
    p_dec(s, 100)
}
fn p_score15(s: &str) -> CellResult<Dec4> {
    p_dec(s, 15)
}
#[inline(always)]
fn p_bool(s: &str) -> CellResult<bool> {
    // The common cells, one character, read from their byte.
    match s.as_bytes() {
        [b'1' | b'Y' | b'y'] => return Ok(true),
        [b'0' | b'N' | b'n'] => return Ok(false),
        _ => {}
    }
    match s {
        "1" | "是" | "Y" | "y" | "1.0" => Ok(true),
        "0" | "否" | "N" | "n" | "0.0" => Ok(false),
        t if t.eq_ignore_ascii_case("true") => Ok(true),
        t if t.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(bad(
            format!("{} is not yes/no (1/0, true/false, 是/否, Y/N)", quoted(s)),
            format!("{}不是“是/否”，请填写 是 或 否（也可填 1/0、Y/N）", cn(s)),
        )),
    }
}
/// `YYYY-MM-DD` (also `YYYY/MM/DD`), or a bare `YYYY` meaning 1 January.
pub fn parse_date(s: &str) -> CellResult<NaiveDate> {
    date_of(trim_cell(s), s)
}

/// `parse_date` of a trimmed cell `t` (`s` as written, for the message).
fn date_of(t: &str, s: &str) -> CellResult<NaiveDate> {
    let no = || {
        bad(
            format!("{} is not a date (YYYY-MM-DD or YYYY)", quoted(s)),
            format!("{}不是日期，请填写如 2021-06-30（或只填年份 2021）", cn(s)),
        )
    };
    // The common form, `YYYY-MM-DD`, read straight from its bytes (any other, and a date
    // that is not one, by the general route below).
    if let Some((d, n)) = q_date(t.as_bytes())
        && n == t.len()
    {
        return Ok(d);
    }
    if t.len() == 4 {
        let y = t.parse::<i32>().map_err(|_| no())?;
        return NaiveDate::from_ymd_opt(y, 1, 1).ok_or_else(no);
    }
    let mut parts = t.split(['-', '/']);
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(no());
    };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return Err(no());
    };
    if !(1900..=2200).contains(&y) {
        return Err(no());
    }
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(no)
}
/// A cell's date: cells reach the column parsers trimmed.
fn p_date(s: &str) -> CellResult<NaiveDate> {
    date_of(s, s)
}
fn p_text(s: &str) -> CellResult<String> {
    Ok(trim_cell(s).to_owned())
}
fn p_district(s: &str) -> CellResult<String> {
    district_name(s).map(str::to_owned)
}
/// The district a cell names (by name or code), as its name.
fn district_name(s: &str) -> CellResult<&'static str> {
    let t = trim_cell(s);
    DISTRICTS
        .iter()
        .find(|(code, name)| *code == t || *name == t)
        .map(|(_, name)| *name)
        .ok_or_else(|| {
            bad(
                format!("{} is not a district of the city", quoted(s)),
                format!(
                    "{}不是本市的区县，请填写区县名称（如 西湖区）或行政区划代码",
                    cn(s)
                ),
            )
        })
}
/// A cell that must be one of a list of values.
fn one_of(s: &str, values: &str) -> Box<Bad> {
    bad(
        format!("{} is not one of {}", quoted(s), values.replace('、', ", ")),
        format!("{}不是以下之一：{values}", cn(s)),
    )
}
fn p_rd_institution(s: &str) -> CellResult<RdInstitution> {
    RdInstitution::parse(s).ok_or_else(|| one_of(s, "none、below_city、city、provincial、national"))
}
fn p_award_level(s: &str) -> CellResult<AwardLevel> {
    AwardLevel::parse(s).ok_or_else(|| one_of(s, "none、provincial、national"))
}
fn p_makers(s: &str) -> CellResult<MakersChina> {
    MakersChina::parse(s).ok_or_else(|| one_of(s, "none、top500、top50"))
}
fn p_incident(s: &str) -> CellResult<Incident> {
    Incident::parse(s).ok_or_else(|| one_of(s, "none、general、larger、major、extraordinary"))
}

/// How a line of a plain CSV file is read where it lies (`HeaderMap::parse_line_into`): a quick
/// reader takes the common form of its kind of cell from the start of the rest of the line, and
/// gives the value and the cell's length only when the cell is exactly that form and ends at a
/// comma or at the line's end. Any other cell (`None`) is read by the column's parser as the
/// cells of any file are, which says what is wrong; whatever a quick reader takes, that parser
/// reads to the same value (tested for every kind of column).
type Quick<T> = fn(&[u8]) -> Option<(T, usize)>;

/// Whether a cell starting a line's rest `b` ends after `n` bytes.
#[inline(always)]
fn ends(b: &[u8], n: usize) -> bool {
    matches!(b.get(n), None | Some(b','))
}

/// One to nine digits: a whole number `str::parse` reads to the same value.
#[inline(always)]
fn q_count(b: &[u8]) -> Option<(u32, usize)> {
    let mut v = 0u32;
    let mut n = 0;
    while n < 9 {
        match b.get(n) {
            Some(&c @ b'0'..=b'9') => v = v * 10 + u32::from(c - b'0'),
            _ => break,
        }
        n += 1;
    }
    (n > 0 && ends(b, n)).then_some((v, n))
}
fn q_count1(b: &[u8]) -> Option<(u32, usize)> {
    q_count(b).filter(|&(v, _)| v >= 1)
}
fn q_year(b: &[u8]) -> Option<(i32, usize)> {
    q_count(b)
        .filter(|&(v, _)| (1900..=2200).contains(&v))
        .map(|(v, n)| (v as i32, n))
}
fn q_level(b: &[u8]) -> Option<(u8, usize)> {
    q_count(b)
        .filter(|&(v, _)| v <= 4)
        .map(|(v, n)| (v as u8, n))
}
#[inline(always)]
fn q_money(b: &[u8]) -> Option<(Wan, usize)> {
    Wan::quick(b)
}
fn q_signed_money(b: &[u8]) -> Option<(Wan, usize)> {
    Wan::quick(b)
}
fn q_pct100(b: &[u8]) -> Option<(Dec4, usize)> {
    Dec4::quick(b).filter(|&(d, _)| d <= Dec4::whole(100))
}
fn q_score15(b: &[u8]) -> Option<(Dec4, usize)> {
    Dec4::quick(b).filter(|&(d, _)| d <= Dec4::whole(15))
}
/// The one-byte spellings of yes and no.
#[inline(always)]
fn q_bool(b: &[u8]) -> Option<(bool, usize)> {
    let v = match b.first()? {
        b'1' | b'Y' | b'y' => true,
        b'0' | b'N' | b'n' => false,
        _ => return None,
    };
    ends(b, 1).then_some((v, 1))
}
/// `YYYY-MM-DD` with a year from 1900 to 2200, when it is a date.
fn q_date(b: &[u8]) -> Option<(NaiveDate, usize)> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1, ..] = *b else {
        return None;
    };
    let digits = [y0, y1, y2, y3, m0, m1, d0, d1];
    if !ends(b, 10) || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |ds: &[u8]| ds.iter().fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
    let y = n(&digits[..4]) as i32;
    if !(1900..=2200).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y, n(&digits[4..6]), n(&digits[6..])).map(|d| (d, 10))
}
/// Text is always read by its parser.
fn q_none<T>(_: &[u8]) -> Option<(T, usize)> {
    None
}
fn q_rd_institution(b: &[u8]) -> Option<(RdInstitution, usize)> {
    RdInstitution::quick(b)
}
fn q_award_level(b: &[u8]) -> Option<(AwardLevel, usize)> {
    AwardLevel::quick(b)
}
fn q_makers(b: &[u8]) -> Option<(MakersChina, usize)> {
    MakersChina::quick(b)
}
fn q_incident(b: &[u8]) -> Option<(Incident, usize)> {
    Incident::quick(b)
}

/// Renders a value as the template writes it.
pub trait CellText {
    fn cell(&self) -> String;
}
impl CellText for Wan {
    fn cell(&self) -> String {
        self.to_string()
    }
}
impl CellText for Dec4 {
    fn cell(&self) -> String {
        self.to_string()
    }
}
impl CellText for u32 {
    fn cell(&self) -> String {
        self.to_string()
    }
}
impl CellText for u8 {
    fn cell(&self) -> String {
        self.to_string()
    }
}
impl CellText for i32 {
    fn cell(&self) -> String {
        self.to_string()
    }
}
impl CellText for bool {
    fn cell(&self) -> String {
        if *self { "1" } else { "0" }.to_owned()
    }
}
impl CellText for NaiveDate {
    fn cell(&self) -> String {
        self.format("%Y-%m-%d").to_string()
    }
}
impl CellText for String {
    fn cell(&self) -> String {
        self.clone()
    }
}
macro_rules! choice_cell {
    ($($t:ty),*) => { $(impl CellText for $t { fn cell(&self) -> String { self.key().to_owned() } })* };
}
choice_cell!(RdInstitution, AwardLevel, MakersChina, Incident);

/// What a column holds, for the template's explanation sheet and its data validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    District,
    Money,
    SignedMoney,
    Count,
    Count1,
    Year,
    Level,
    Pct100,
    Score15,
    Bool,
    Date,
    Choice(&'static [&'static str]),
}

/// One column of the template.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub col: Col,
    pub key: &'static str,
    /// The Chinese label without its bracketed note.
    pub zh: &'static str,
    /// The bracketed note, if any (`%`, `合格机构投资者实缴`).
    pub note: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// What the column means and how it is used, in Chinese.
    pub help: &'static str,
}

impl Column {
    /// The header the platform writes: the label with its note.
    pub fn header_zh(&self) -> String {
        if self.note.is_empty() {
            self.zh.to_owned()
        } else {
            format!("{}({})", self.zh, self.note)
        }
    }
}

const RD_INST_KEYS: &[&str] = &["none", "below_city", "city", "provincial", "national"];
const AWARD_KEYS: &[&str] = &["none", "provincial", "national"];
const MAKERS_KEYS: &[&str] = &["none", "top500", "top50"];
const INCIDENT_KEYS: &[&str] = &["none", "general", "larger", "major", "extraordinary"];

macro_rules! kind_of {
    (p_money) => {
        Kind::Money
    };
    (p_signed_money) => {
        Kind::SignedMoney
    };
    (p_count) => {
        Kind::Count
    };
    (p_count1) => {
        Kind::Count1
    };
    (p_year) => {
        Kind::Year
    };
    (p_level) => {
        Kind::Level
    };
    (p_pct100) => {
        Kind::Pct100
    };
    (p_score15) => {
        Kind::Score15
    };
    (p_bool) => {
        Kind::Bool
    };
    (p_date) => {
        Kind::Date
    };
    (p_text) => {
        Kind::Text
    };
    (p_district) => {
        Kind::District
    };
    (p_rd_institution) => {
        Kind::Choice(RD_INST_KEYS)
    };
    (p_award_level) => {
        Kind::Choice(AWARD_KEYS)
    };
    (p_makers) => {
        Kind::Choice(MAKERS_KEYS)
    };
    (p_incident) => {
        Kind::Choice(INCIDENT_KEYS)
    };
}

/// The quick reader of a column's parser (`Quick`).
macro_rules! quick_of {
    (p_money) => {
        q_money
    };
    (p_signed_money) => {
        q_signed_money
    };
    (p_count) => {
        q_count
    };
    (p_count1) => {
        q_count1
    };
    (p_year) => {
        q_year
    };
    (p_level) => {
        q_level
    };
    (p_pct100) => {
        q_pct100
    };
    (p_score15) => {
        q_score15
    };
    (p_bool) => {
        q_bool
    };
    (p_date) => {
        q_date
    };
    (p_text) => {
        q_none
    };
    (p_district) => {
        q_none
    };
    (p_rd_institution) => {
        q_rd_institution
    };
    (p_award_level) => {
        q_award_level
    };
    (p_makers) => {
        q_makers
    };
    (p_incident) => {
        q_incident
    };
}

macro_rules! template {
    ($( $var:ident $field:ident : $ty:ty = $parse:ident, $key:literal, $zh:literal, $note:literal, $help:literal; )*) => {
        /// A column of the template.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Col { Uscc, Name, IndustryCode, $($var),* }

        /// Every column, in the template's order.
        pub const COLUMNS: &[Column] = &[
            Column { col: Col::Uscc, key: "uscc", zh: "统一社会信用代码", note: "", kind: Kind::Text, required: true,
                help: "18位，符合 GB 32100-2015 校验规则；首尾空格自动去除，字母自动转大写；同一文件内不得重复" },
            Column { col: Col::Name, key: "name", zh: "企业名称", note: "", kind: Kind::Text, required: true, help: "必填" },
            Column { col: Col::IndustryCode, key: "industry_code", zh: "国民经济行业代码", note: "", kind: Kind::Text, required: true,
                help: "GB/T 4754-2017，如 C3981、I6513、K7020；门类字母可省略，由大类推出" },
            $( Column { col: Col::$var, key: $key, zh: $zh, note: $note, kind: kind_of!($parse), required: false, help: $help } ),*
        ];

        /// One enterprise as of one reference year. Blank cells are `None` ("not known", never zero).
        #[derive(Clone, Debug, PartialEq)]
        pub struct Enterprise {
            pub uscc: Uscc,
            pub name: String,
            pub industry_code: IndustryCode,
            $( pub $field: Option<$ty>, )*
        }

        /// For each column (in `Col` order), how a non-blank cell of it is stored: one small
        /// function per column, chosen once per header (`HeaderMap`), so that a row's cells are
        /// not each matched against every column. The identity columns are stored by `parse_row`.
        const SETTERS: &[Setter] = &[
            |_, _| Ok(()),
            |_, _| Ok(()),
            |_, _| Ok(()),
            $( |e: &mut Enterprise, s: &str| { e.$field = Some($parse(s)?); Ok(()) }, )*
        ];

        /// For each column (in `Col` order), its `Quick` reader storing what it reads: the
        /// cell's length, or `None` for a cell its setter must read (a blank one among them).
        const QUICK_SETTERS: &[QuickSetter] = &[
            |_, _| None,
            |_, _| None,
            |_, _| None,
            $( |e: &mut Enterprise, b: &[u8]| {
                let q: Quick<$ty> = quick_of!($parse);
                let (v, n) = q(b)?;
                e.$field = Some(v);
                Some(n)
            }, )*
        ];

        impl Enterprise {
            /// An enterprise with identity only; every figure blank.
            pub fn new(uscc: Uscc, name: impl Into<String>, industry_code: IndustryCode) -> Enterprise {
                Enterprise { uscc, name: name.into(), industry_code, $( $field: None, )* }
            }

            /// Every cell blank, the identity a placeholder: a row before it is read.
            pub fn blank() -> Enterprise {
                Enterprise::new(Uscc::PLACEHOLDER, String::new(), IndustryCode::PLACEHOLDER)
            }

            /// Makes this `blank()` where it lies, keeping the name's buffer.
            fn clear(&mut self) {
                self.uscc = Uscc::PLACEHOLDER;
                self.name.clear();
                self.industry_code = IndustryCode::PLACEHOLDER;
                $( self.$field = None; )*
            }

            /// Sets an optional column from a non-blank cell.
            #[cfg(test)]
            fn set(&mut self, col: Col, s: &str) -> CellResult<()> {
                SETTERS[col as usize](self, s)
            }

            /// The cell text of a column, empty where blank.
            pub fn get(&self, col: Col) -> String {
                match col {
                    Col::Uscc => self.uscc.to_string(),
                    Col::Name => self.name.clone(),
                    Col::IndustryCode => self.industry_code.to_string(),
                    $( Col::$var => self.$field.as_ref().map(CellText::cell).unwrap_or_default(), )*
                }
            }
        }
    };
}

template! {
    District district: String = p_district, "district", "所属区县", "", "本市区县名称或行政区划代码（见 hangzhou-districts）";
    Ecosystem ecosystem: String = p_text, "ecosystem", "产业生态圈", "", "如 智能物联、生物医药、高端装备、新材料、绿色能源";
    MainProducts main_products: String = p_text, "main_products", "主导产品", "", "主导产品名称，多个用“、”分隔（用于检索）";
    EstablishedOn established_on: NaiveDate = p_date, "established_on", "成立日期", "", "YYYY-MM-DD";
    NicheSince niche_since: NaiveDate = p_date, "niche_since", "进入细分市场时间", "", "YYYY-MM-DD，或只填年份（按1月1日计）";
    Year year: i32 = p_year, "year", "数据年度", "", "上年度 Y；空则取评价日期所在年份减一";
    Employees employees: u32 = p_count, "employees", "从业人员数", "", "人，整数";
    RdStaff rd_staff: u32 = p_count, "rd_staff", "研发人员数", "", "人，不超过从业人员数";
    TechStaff tech_staff: u32 = p_count, "tech_staff", "科技人员数", "", "人，用于科技型评价；空则取研发人员数；不超过从业人员数";
    Revenue revenue: Wan = p_money, "revenue", "上年度营业收入", "", "万元，最多4位小数";
    RevenuePrev revenue_prev: Wan = p_money, "revenue_prev", "前一年度营业收入", "", "万元（Y-1）";
    RevenuePrev2 revenue_prev2: Wan = p_money, "revenue_prev2", "前两年度营业收入", "", "万元（Y-2）";
    MainRevenue main_revenue: Wan = p_money, "main_revenue", "上年度主营业务收入", "", "万元，不超过同年营业收入";
    MainRevenuePrev main_revenue_prev: Wan = p_money, "main_revenue_prev", "前一年度主营业务收入", "", "万元（Y-1）";
    MainRevenuePrev2 main_revenue_prev2: Wan = p_money, "main_revenue_prev2", "前两年度主营业务收入", "", "万元（Y-2）";
    RdExpense rd_expense: Wan = p_money, "rd_expense", "上年度研发费用", "", "万元";
    RdExpensePrev rd_expense_prev: Wan = p_money, "rd_expense_prev", "前一年度研发费用", "", "万元（Y-1）";
    TotalCost total_cost: Wan = p_money, "total_cost", "上年度成本费用支出总额", "", "万元，科技型研发投入第二种算法的分母";
    NetProfit net_profit: Wan = p_signed_money, "net_profit", "上年度净利润", "", "万元，可为负数";
    TotalAssets total_assets: Wan = p_money, "total_assets", "上年末资产总额", "", "万元";
    TotalLiabilities total_liabilities: Wan = p_money, "total_liabilities", "上年末负债总额", "", "万元";
    Equity2y equity_2y: Wan = p_money, "equity_2y", "近两年新增股权融资额", "合格机构投资者实缴", "万元";
    Equity3y equity_3y: Wan = p_money, "equity_3y", "近三年新增股权融资额", "合格机构投资者实缴", "万元";
    Ip1HighValue ip1_high_value: u32 = p_count, "ip1_high_value", "Ⅰ类高价值知识产权数", "", "件，包含在Ⅰ类知识产权数中";
    Ip1SelfDeveloped ip1_self_developed: u32 = p_count, "ip1_self_developed", "自主研发Ⅰ类知识产权数", "", "件，包含在Ⅰ类知识产权数中";
    Ip1 ip1: u32 = p_count, "ip1", "Ⅰ类知识产权数", "", "件（发明专利等）";
    Ip1Applied ip1_applied: u32 = p_count, "ip1_applied", "已实际应用并产生效益的Ⅰ类知识产权数", "", "件，包含在Ⅰ类知识产权数中";
    Ip2 ip2: u32 = p_count, "ip2", "Ⅱ类知识产权数", "", "件（实用新型、外观设计、软件著作权；商标不计）";
    RdInstitution rd_institution: RdInstitution = p_rd_institution, "rd_institution", "研发机构级别", "", "无/市级以下/市级/省级/国家级";
    DigitalLevel digital_level: u8 = p_level, "digital_level", "数字化水平等级", "", "0–4，0 表示未评估";
    QualityAward quality_award: bool = p_bool, "quality_award", "省级以上质量奖", "", "是/否";
    QualityCert quality_cert: bool = p_bool, "quality_cert", "质量管理体系认证", "", "是/否";
    OwnBrand own_brand: bool = p_bool, "own_brand", "自主品牌", "", "是/否";
    StandardDrafting standard_drafting: bool = p_bool, "standard_drafting", "参与制修订标准", "", "是/否";
    StandardLead5y standard_lead_5y: bool = p_bool, "standard_lead_5y", "近五年主导制定国际/国家/行业标准", "", "是/否（科技型直通条件）";
    IntlProductCert intl_product_cert: bool = p_bool, "intl_product_cert", "产品获发达国家或地区认证", "", "是/否";
    CoreItSystem core_it_system: bool = p_bool, "core_it_system", "核心业务采用信息系统支撑", "", "是/否";
    ProductEmerging product_emerging: bool = p_bool, "product_emerging", "主导产品属于战略性新兴产业", "", "是/否";
    ProductChainGap product_chain_gap: bool = p_bool, "product_chain_gap", "补短板/锻长板/填空白取得实际成效", "", "是/否";
    ProductSixBasics product_six_basics: bool = p_bool, "product_six_basics", "工业六基/中华老字号/配套重点产业链龙头", "", "是/否";
    ProductKeyField product_key_field: bool = p_bool, "product_key_field", "主导产品属于小巨人重点领域", "", "是/否";
    ChainKeyLink chain_key_link: bool = p_bool, "chain_key_link", "位于产业链关键环节", "", "是/否";
    MarketShare market_share: Dec4 = p_pct100, "market_share", "细分市场占有率", "%", "0–100";
    MarketRank market_rank: u32 = p_count1, "market_rank", "国内细分市场排名", "", "整数 ≥ 1";
    MarketPositionOk market_position_ok: bool = p_bool, "market_position_ok", "细分市场地位较为靠前", "", "是/否";
    HighTechIssuedOn high_tech_issued_on: NaiveDate = p_date, "high_tech_issued_on", "高新技术企业证书发证日期", "", "有效期3年；空表示无证书";
    InnovationDemo innovation_demo: bool = p_bool, "innovation_demo", "国家级技术创新示范企业", "", "是/否";
    IpAdvantage ip_advantage: bool = p_bool, "ip_advantage", "知识产权优势/示范企业", "", "是/否";
    AwardLevel award_level: AwardLevel = p_award_level, "award_level", "科技奖励级别", "", "无/省级/国家级；非“无”时须填排名和年份";
    AwardRank award_rank: u32 = p_count1, "award_rank", "科技奖励获奖排名", "", "整数 ≥ 1";
    AwardYear award_year: i32 = p_year, "award_year", "科技奖励获奖年份", "", "YYYY";
    MakersChina makers_china: MakersChina = p_makers, "makers_china", "创客中国全国排名组", "", "无/500强/50强";
    MakersChinaYear makers_china_year: i32 = p_year, "makers_china_year", "创客中国入围年份", "", "YYYY";
    LocalFeatureScore local_feature_score: Dec4 = p_score15, "local_feature_score", "特色化指标得分", "", "0–15（省定特色化指标）";
    QualityScore quality_score: Dec4 = p_pct100, "quality_score", "专精特新发展评价得分", "", "0–100（国家平台评价得分）";
    InnovativeUntil innovative_until: NaiveDate = p_date, "innovative_until", "创新型中小企业有效期至", "", "已获称号的有效期；空表示未获";
    TechSmeUntil tech_sme_until: NaiveDate = p_date, "tech_sme_until", "科技型中小企业有效期至", "", "同上";
    SrdiUntil srdi_until: NaiveDate = p_date, "srdi_until", "专精特新中小企业有效期至", "", "同上";
    GiantUntil giant_until: NaiveDate = p_date, "giant_until", "小巨人企业有效期至", "", "同上";
    AbnormalList abnormal_list: bool = p_bool, "abnormal_list", "经营异常名录", "", "是/否（门槛条件）";
    DishonestList dishonest_list: bool = p_bool, "dishonest_list", "严重失信名单", "", "是/否（门槛条件）";
    RestrictedProducts restricted_products: bool = p_bool, "restricted_products", "限制淘汰类产品", "", "是/否（门槛条件）";
    Incident3y incident_3y: Incident = p_incident, "incident_3y", "近三年生产安全事故最高等级", "", "无/一般/较大/重大/特别重大";
    SecurityIncident3y security_incident_3y: bool = p_bool, "security_incident_3y", "近三年重大网络和数据安全事件", "", "是/否";
    QualityIncident3y quality_incident_3y: bool = p_bool, "quality_incident_3y", "近三年重大质量事故或严重质量问题", "", "是/否";
    EnvironmentViolation3y environment_violation_3y: bool = p_bool, "environment_violation_3y", "近三年重大环境污染事故或环境违法行为", "", "是/否";
    TaxViolation3y tax_violation_3y: bool = p_bool, "tax_violation_3y", "近三年偷漏税", "", "是/否（2022版门槛）";
    IndustryViolation3y industry_violation_3y: bool = p_bool, "industry_violation_3y", "近三年严重违反行业管理规定", "", "是/否（2026版门槛）";
}

impl Col {
    pub fn spec(self) -> &'static Column {
        // COLUMNS lists every variant exactly once, in declaration order (checked by a test).
        &COLUMNS[self as usize]
    }
    pub fn key(self) -> &'static str {
        self.spec().key
    }
    /// The column a template key names.
    pub fn from_key(k: &str) -> Option<Col> {
        COLUMNS.iter().find(|c| c.key == k).map(|c| c.col)
    }
}

/// Trims white space (Unicode included) from a cell, quickly when there is none at either end:
/// `str::trim` is called only when the first byte could begin a white-space character or the
/// last could end one (ASCII white space and controls; the bytes that begin U+0085, U+00A0,
/// U+1680, U+2000–U+205F and U+3000, and those that end them).
#[inline]
fn trim_cell(s: &str) -> &str {
    let b = s.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return s;
    };
    if EDGES[usize::from(first)] & MAY_BEGIN != 0 || EDGES[usize::from(last)] & MAY_END != 0 {
        s.trim()
    } else {
        s
    }
}

const MAY_BEGIN: u8 = 1;
const MAY_END: u8 = 2;
/// For each byte, whether it may begin and whether it may end a white-space character.
const EDGES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i <= b' ' as usize {
        t[i] = MAY_BEGIN | MAY_END;
        i += 1;
    }
    let mut i = 0x80;
    while i <= 0x8A {
        t[i] |= MAY_END;
        i += 1;
    }
    t[0x9F] |= MAY_END;
    t[0xA0] |= MAY_END;
    t[0xA8] |= MAY_END;
    t[0xA9] |= MAY_END;
    t[0xAF] |= MAY_END;
    t[0xC2] |= MAY_BEGIN;
    t[0xE1] |= MAY_BEGIN;
    t[0xE2] |= MAY_BEGIN;
    t[0xE3] |= MAY_BEGIN;
    t
};

/// Strips a bracketed note (half- or full-width) and all white space from a header cell.
fn header_core(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '(' | '（' => depth += 1,
            ')' | '）' => depth -= 1,
            c if depth == 0 && !c.is_whitespace() => out.push(c),
            _ => {}
        }
    }
    out
}

/// Finds the column a header cell names: a key (any case), or a Chinese label with or without its note.
pub fn column_for_header(h: &str) -> Option<Col> {
    let t = h.trim().trim_start_matches('\u{feff}');
    if let Some(c) = COLUMNS.iter().find(|c| c.key.eq_ignore_ascii_case(t)) {
        return Some(c.col);
    }
    let core = header_core(t);
    COLUMNS
        .iter()
        .find(|c| header_core(c.zh) == core)
        .map(|c| c.col)
}

/// An error located in a file: the row as a spreadsheet shows it (header = row 1) and the column key.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CellError {
    pub row: usize,
    /// The column's key, or the header cell as written when it matched no column.
    pub column: Option<String>,
    pub message: String,
    /// The message in Chinese (the reports' JSON keeps the English one).
    #[serde(skip)]
    pub message_zh: String,
    /// A cell of a funds' projects file (`programme::PROJECT_COLUMNS`), not of the enterprise
    /// template: its column is labelled from that file's columns.
    #[serde(skip)]
    pub projects: bool,
}

impl CellError {
    pub fn new(
        row: usize,
        column: Option<String>,
        en: impl Into<String>,
        zh: impl Into<String>,
    ) -> CellError {
        CellError {
            row,
            column,
            message: en.into(),
            message_zh: zh.into(),
            projects: false,
        }
    }

    /// An error of a funds' projects file, its column a key of `programme::PROJECT_COLUMNS`.
    pub fn project(
        row: usize,
        column: Option<String>,
        en: impl Into<String>,
        zh: impl Into<String>,
    ) -> CellError {
        CellError {
            projects: true,
            ..CellError::new(row, column, en, zh)
        }
    }

    /// For a reader: the row, the column by its label in the reader's language (as written when
    /// it is no column of the template), what is wrong and what is expected.
    pub fn text(&self, lang: crate::glossary::Lang) -> String {
        let label = self.column.as_deref().map(|c| {
            let known = if self.projects {
                crate::programme::project_column_label(c, lang)
            } else {
                Col::from_key(c).map(|col| crate::glossary::field(col, lang))
            };
            known.unwrap_or(c).to_owned()
        });
        match (lang, label) {
            (crate::glossary::Lang::Zh, None) if self.row == 0 => self.message_zh.clone(),
            (crate::glossary::Lang::En, None) if self.row == 0 => self.message.clone(),
            (crate::glossary::Lang::Zh, Some(l)) => {
                format!("第 {} 行「{l}」：{}", self.row, self.message_zh)
            }
            (crate::glossary::Lang::Zh, None) => format!("第 {} 行：{}", self.row, self.message_zh),
            (crate::glossary::Lang::En, Some(l)) => {
                format!("row {}, {l}: {}", self.row, self.message)
            }
            (crate::glossary::Lang::En, None) => format!("row {}: {}", self.row, self.message),
        }
    }
}

impl fmt::Display for CellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "row {}, column {}: {}", self.row, c, self.message),
            None => write!(f, "row {}: {}", self.row, self.message),
        }
    }
}

/// How a file's header maps onto the template: for each cell position, its column if any.
#[derive(Clone, Debug)]
pub struct HeaderMap {
    pub cols: Vec<Option<Col>>,
    /// Header cells that matched no column: kept aside and reported, never silently dropped.
    pub unknown: Vec<(usize, String)>,
    /// Whether the parsed rows keep their text cells (name, district, ecosystem, main products).
    /// They are checked either way; an evaluation, which reads none of them, leaves them out
    /// and saves four allocations a row.
    keep_text: bool,
    /// For each cell position, its column and what parsing does with its cells (from `cols`
    /// and `keep_text`).
    actions: Vec<Option<(Col, Action)>>,
    /// For each cell position, how a line read where it lies reads its cells (from `actions`).
    steps: Vec<Step>,
}

/// Stores a non-blank cell of one optional column (`SETTERS`), trimmed (`parse_row` trims every cell).
type Setter = fn(&mut Enterprise, &str) -> CellResult<()>;

/// Stores a cell of one optional column read where it lies in a line (`QUICK_SETTERS`): the
/// rest of the line from the cell's first byte in, the cell's length out.
type QuickSetter = fn(&mut Enterprise, &[u8]) -> Option<usize>;

/// What parsing a row does with the cells of one column.
#[derive(Clone, Copy, Debug)]
enum Action {
    Uscc,
    Name,
    IndustryCode,
    /// A district, checked but not kept.
    CheckDistrict,
    /// A text cell not kept (its length is still checked).
    Skip,
    /// Any other column: a non-blank cell is parsed and stored.
    Set(Setter),
}

/// How `HeaderMap::parse_line_into` reads the cells of one position, before its `Action`.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// A column's cell stored by its quick reader when it can read it; blank, nothing stored.
    Quick(QuickSetter),
    /// Text not kept, of at most this many characters: no more bytes is no more characters.
    Skip(usize),
    /// Read by its action (`HeaderMap::read_cell`) only.
    Cell,
}

fn actions(cols: &[Option<Col>], keep_text: bool) -> Vec<Option<(Col, Action)>> {
    let action = |col: Col| match col {
        Col::Uscc => Action::Uscc,
        Col::Name => Action::Name,
        Col::IndustryCode => Action::IndustryCode,
        Col::District if !keep_text => Action::CheckDistrict,
        Col::Ecosystem | Col::MainProducts if !keep_text => Action::Skip,
        _ => Action::Set(SETTERS[col as usize]),
    };
    cols.iter().map(|c| c.map(|c| (c, action(c)))).collect()
}

fn steps(actions: &[Option<(Col, Action)>]) -> Vec<Step> {
    let step = |a: &Option<(Col, Action)>| match *a {
        Some((col, Action::Set(_))) => Step::Quick(QUICK_SETTERS[col as usize]),
        Some((col, Action::Skip)) => Step::Skip(max_chars(col)),
        _ => Step::Cell,
    };
    actions.iter().map(step).collect()
}

/// The most characters a cell of a column may hold: an enterprise's name 200 (the longest
/// registered names are under 100), its main products 1,000, any other cell 200.
pub fn max_chars(col: Col) -> usize {
    match col {
        Col::MainProducts => 1000,
        _ => 200,
    }
}

impl HeaderMap {
    /// Reads a header row. Errors: a column named twice, a required column missing.
    pub fn parse<'a>(
        cells: impl IntoIterator<Item = &'a str>,
    ) -> Result<HeaderMap, Vec<CellError>> {
        let mut cols = Vec::new();
        let mut unknown = Vec::new();
        let mut errors = Vec::new();
        let mut seen: Vec<Col> = Vec::new();
        for (i, h) in cells.into_iter().enumerate() {
            if h.trim().is_empty() {
                cols.push(None);
                continue;
            }
            match column_for_header(h) {
                Some(c) if seen.contains(&c) => {
                    errors.push(CellError::new(
                        1,
                        Some(c.key().into()),
                        format!("the column is given twice (again in cell {})", i + 1),
                        format!("该列重复（第 {} 个表头单元格再次出现）", i + 1),
                    ));
                    cols.push(None);
                }
                Some(c) => {
                    seen.push(c);
                    cols.push(Some(c));
                }
                None => {
                    unknown.push((i, h.trim().to_owned()));
                    cols.push(None);
                }
            }
        }
        for c in COLUMNS.iter().filter(|c| c.required) {
            if !seen.contains(&c.col) {
                errors.push(CellError::new(
                    1,
                    Some(c.key.into()),
                    format!(
                        "the required column is missing (header {} or {})",
                        c.key, c.zh
                    ),
                    format!("缺少必填列（表头填「{}」或 {}）", c.zh, c.key),
                ));
            }
        }
        if errors.is_empty() {
            let actions = actions(&cols, true);
            Ok(HeaderMap {
                steps: steps(&actions),
                actions,
                cols,
                unknown,
                keep_text: true,
            })
        } else {
            Err(errors)
        }
    }

    /// The same header, for rows that are only evaluated: their text cells (name, district,
    /// ecosystem, main products) are checked as always but left blank in the parsed rows.
    pub fn without_text(mut self) -> HeaderMap {
        self.keep_text = false;
        self.actions = actions(&self.cols, false);
        self.steps = steps(&self.actions);
        self
    }

    /// Parses one data row (`row` as the spreadsheet shows it). Every error of the row is returned.
    pub fn parse_row<'a>(
        &self,
        row: usize,
        cells: impl IntoIterator<Item = &'a str>,
    ) -> Result<Enterprise, Vec<CellError>> {
        let mut e = Enterprise::blank();
        let mut r = RowRead::new(&mut e);
        // Cells beyond the header are not read (a file reader reports such a row as too wide).
        for (&slot, cell) in self.actions.iter().zip(cells) {
            if let Some((col, action)) = slot {
                self.read_cell(row, col, action, cell, &mut r);
            }
        }
        r.finish(row).map(|()| e)
    }

    /// `parse_row` of a line of a CSV file with no quote in it (its cells are the text between
    /// its commas), read where it lies into `e`, which is cleared first: a cell in the common
    /// form of its column (`Quick`) is read and stored straight from the line's bytes, any other
    /// is read as `parse_row` reads it. Readers of many rows keep one enterprise for them all
    /// rather than move each out of the parser (some 900 bytes a move); after an error, `e`
    /// holds what was read and must not be used. Also gives where the last cell read ends — the
    /// line's length, or the comma after the cell of the header's last column when the line has
    /// more cells than the header.
    pub fn parse_line_into(
        &self,
        row: usize,
        line: &str,
        e: &mut Enterprise,
    ) -> (Result<(), Vec<CellError>>, usize) {
        let b = line.as_bytes();
        let mut r = RowRead::new(e);
        // Where the next cell starts, and where the last one read ends.
        let (mut at, mut end) = (0, 0);
        for (i, &step) in self.steps.iter().enumerate() {
            let Some(rest) = b.get(at..) else {
                // The line has fewer cells than the header: the rest are blank.
                break;
            };
            // A cell read where it lies: its length; `None` for one its action reads.
            let quick = match step {
                Step::Quick(_) if ends(rest, 0) => Some(0),
                Step::Quick(quick) => quick(r.e, rest),
                Step::Skip(limit) => {
                    Some(memchr::memchr(b',', rest).unwrap_or(rest.len())).filter(|&n| n <= limit)
                }
                Step::Cell => None,
            };
            end = at
                + match quick {
                    Some(n) => n,
                    None => {
                        let n = memchr::memchr(b',', rest).unwrap_or(rest.len());
                        if let Some(&Some((col, action))) = self.actions.get(i) {
                            // At a comma or the line's end: a boundary of its characters.
                            let cell = line.get(at..at + n).unwrap_or_default();
                            self.read_cell(row, col, action, cell, &mut r);
                        }
                        n
                    }
                };
            at = end + 1;
        }
        (r.finish(row), end)
    }

    /// Reads one cell of a row into `r`.
    fn read_cell(&self, row: usize, col: Col, action: Action, cell: &str, r: &mut RowRead) {
        let cell = trim_cell(cell);
        let err = |b: Box<Bad>| CellError::new(row, Some(col.key().into()), b.en, b.zh);
        let required = || bad("is required", "必填，不能为空");
        let limit = max_chars(col);
        // A cell of no more bytes than the limit has no more characters either: only the long
        // ones are counted.
        if cell.len() > limit && cell.chars().count() > limit {
            r.errors.push(err(bad(
                format!("is longer than {limit} characters"),
                format!("超过 {limit} 个字符"),
            )));
            return;
        }
        match action {
            Action::Set(_) | Action::CheckDistrict | Action::Skip if cell.is_empty() => {}
            Action::Set(set) => {
                if let Err(b) = set(r.e, cell) {
                    r.errors.push(err(b));
                }
            }
            Action::CheckDistrict => {
                if let Err(b) = district_name(cell) {
                    r.errors.push(err(b));
                }
            }
            Action::Skip => {}
            Action::Uscc => match Uscc::parse(cell) {
                Ok(u) => r.uscc = Some(u),
                Err(_) if cell.is_empty() => r.errors.push(err(required())),
                Err(e) => r.errors.push(err(bad(
                    format!("{} {e}", quoted(cell)),
                    format!(
                        "{}不是有效的统一社会信用代码（18 位，末位为校验码）",
                        cn(cell)
                    ),
                ))),
            },
            Action::Name if cell.is_empty() => r.errors.push(err(required())),
            Action::Name if self.keep_text => r.name = Some(cell.to_owned()),
            Action::Name => r.name = Some(String::new()),
            Action::IndustryCode if cell.is_empty() => r.errors.push(err(required())),
            Action::IndustryCode => match IndustryCode::parse(cell) {
                Ok(c) => r.industry = Some(c),
                Err(e) => r.errors.push(err(bad(
                    format!("{} {e}", quoted(cell)),
                    format!("{}不是国民经济行业代码（GB/T 4754，如 C3484）", cn(cell)),
                ))),
            },
        }
    }
}

/// A row being read: the enterprise so far, its identity cells and the errors found.
struct RowRead<'e> {
    e: &'e mut Enterprise,
    uscc: Option<Uscc>,
    name: Option<String>,
    industry: Option<IndustryCode>,
    errors: Vec<CellError>,
}

impl RowRead<'_> {
    /// A row to be read into `e`, which is cleared.
    fn new(e: &mut Enterprise) -> RowRead<'_> {
        // Every cell is parsed even when identity fails, so that a file is fixed in one pass.
        e.clear();
        RowRead {
            e,
            uscc: None,
            name: None,
            industry: None,
            errors: Vec::new(),
        }
    }

    /// `Ok` when the row's identity is complete (and stored) and no cell or cross-field rule failed.
    fn finish(self, row: usize) -> Result<(), Vec<CellError>> {
        let RowRead {
            e,
            uscc,
            name,
            industry,
            mut errors,
        } = self;
        match (uscc, name, industry) {
            (Some(u), Some(n), Some(i)) => {
                e.uscc = u;
                e.name = n;
                e.industry_code = i;
            }
            _ => return Err(errors),
        }
        if errors.is_empty() {
            for (col, b) in e.cross_field_errors() {
                errors.push(CellError::new(row, Some(col.key().into()), b.en, b.zh));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

impl Enterprise {
    /// The cross-field rules of the template: a part never larger than its whole, award details present.
    pub fn cross_field_errors(&self) -> Vec<(Col, Box<Bad>)> {
        // Checked for every row read: the comparison inline, the message out of the way.
        #[inline(always)]
        fn part_of<T: PartialOrd + fmt::Display>(
            out: &mut Vec<(Col, Box<Bad>)>,
            part: (Col, Option<T>),
            whole: (Col, Option<T>),
        ) {
            if let (Some(p), Some(w)) = (part.1, whole.1)
                && p > w
            {
                larger(out, part.0, &p, whole.0, &w);
            }
        }
        #[cold]
        fn larger(
            out: &mut Vec<(Col, Box<Bad>)>,
            part: Col,
            p: &dyn fmt::Display,
            whole: Col,
            w: &dyn fmt::Display,
        ) {
            out.push((
                part,
                bad(
                    format!("{p} is larger than {} ({w})", whole.key()),
                    format!("{p} 大于「{}」（{w}）", whole.spec().zh),
                ),
            ));
        }
        let mut out = Vec::new();
        let o = &mut out;
        part_of(
            o,
            (Col::RdStaff, self.rd_staff),
            (Col::Employees, self.employees),
        );
        part_of(
            o,
            (Col::TechStaff, self.tech_staff),
            (Col::Employees, self.employees),
        );
        part_of(
            o,
            (Col::Ip1HighValue, self.ip1_high_value),
            (Col::Ip1, self.ip1),
        );
        part_of(
            o,
            (Col::Ip1SelfDeveloped, self.ip1_self_developed),
            (Col::Ip1, self.ip1),
        );
        part_of(o, (Col::Ip1Applied, self.ip1_applied), (Col::Ip1, self.ip1));
        part_of(
            o,
            (Col::MainRevenue, self.main_revenue),
            (Col::Revenue, self.revenue),
        );
        part_of(
            o,
            (Col::MainRevenuePrev, self.main_revenue_prev),
            (Col::RevenuePrev, self.revenue_prev),
        );
        part_of(
            o,
            (Col::MainRevenuePrev2, self.main_revenue_prev2),
            (Col::RevenuePrev2, self.revenue_prev2),
        );
        if matches!(
            self.award_level,
            Some(AwardLevel::Provincial | AwardLevel::National)
        ) {
            let needed = || {
                bad(
                    "is required when award_level is provincial or national",
                    "科技奖励级别为省级或国家级时必填",
                )
            };
            if self.award_rank.is_none() {
                out.push((Col::AwardRank, needed()));
            }
            if self.award_year.is_none() {
                out.push((Col::AwardYear, needed()));
            }
        }
        out
    }

    /// The reference year `Y`: the row's year, else the year before `as_of`.
    pub fn reference_year(&self, as_of: NaiveDate) -> i32 {
        self.year.unwrap_or(as_of.year() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    impl HeaderMap {
        /// `parse_line_into` a fresh enterprise.
        fn parse_line(
            &self,
            row: usize,
            line: &str,
        ) -> (Result<Enterprise, Vec<CellError>>, usize) {
            let mut e = Enterprise::blank();
            let (r, end) = self.parse_line_into(row, line, &mut e);
            (r.map(|()| e), end)
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]
        /// The quick trim trims what `str::trim` trims: every white-space character of Unicode
        /// at either end, among Chinese text, ASCII and controls.
        #[test]
        fn a_cell_is_trimmed_as_str_trim_trims(
            parts in prop::collection::vec(prop_oneof![
                "[ \t\r\n\x0b\x0c\x1c\x7f]",
                prop::sample::select(vec![
                    "\u{85}", "\u{a0}", "\u{1680}", "\u{2000}", "\u{200a}", "\u{2028}",
                    "\u{2029}", "\u{202f}", "\u{205f}", "\u{3000}", "\u{200b}", "\u{feff}",
                ]).prop_map(str::to_owned),
                "[a-z0-9.]{1,3}",
                "[杭州是否科技¬，ÿ€]{1,2}",
            ], 0..5),
        ) {
            let s = parts.concat();
            prop_assert_eq!(trim_cell(&s), s.trim());
        }

        /// A date in its common form reads as it did before the quick path: through the
        /// general parts-and-numbers route.
        #[test]
        fn a_common_date_reads_as_the_general_route_reads_it(
            y in 1890u32..2210, m in 0u32..14, d in 0u32..33,
        ) {
            let s = format!("{y:04}-{m:02}-{d:02}");
            let general = NaiveDate::from_ymd_opt(y as i32, m, d)
                .filter(|_| (1900..=2200).contains(&y));
            prop_assert_eq!(parse_date(&s).ok(), general);
        }
    }

    /// Cells near the common forms of every kind of column, and some far from them.
    fn near_cell() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9]{1,12}",
            "[0-9]{0,12}\\.[0-9]{0,6}",
            "[-+ ]?[0-9]{1,5}(\\.[0-9]{1,2})?[ ]?",
            "[0-9]{1,3}\\.0",
            "(19|20|21|22|23)[0-9]{2}",
            "[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}",
            "(19|20|21)[0-9]{2}-(0[0-9]|1[0-3])-(0[0-9]|[1-3][0-9])",
            "[01YyNn是否x]",
            "(1\\.0|0\\.0|true|FALSE|yes)",
            prop::sample::select(vec![
                "none",
                "NONE",
                "below_city",
                "city",
                "provincial",
                "national",
                "top500",
                "top50",
                "top5000",
                "general",
                "larger",
                "major",
                "extraordinary",
                "无",
                "500强",
                "较大",
                "nonex",
                " none",
                "",
            ])
            .prop_map(str::to_owned),
            "[ 　\t]{1,2}",
            "[杭州１２.]{1,3}",
            // Over and under the limits of characters (200; 1,000 for main products) in bytes
            // or in characters.
            (prop::sample::select(vec!["品", "x", " "]), 150..1100usize)
                .prop_map(|(c, n)| c.repeat(n)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        /// Whatever cell a column's quick reader takes, where it lies in a line, its setter reads
        /// to the same value; the quick reader says where the cell ends.
        #[test]
        fn a_quick_reader_takes_only_what_its_setter_reads_the_same(
            c in 3..COLUMNS.len(), cell in near_cell(), rest in "(,[0-9a-z]{0,3}){0,2}",
        ) {
            let col = COLUMNS[c].col;
            let line = format!("{cell}{rest}");
            let blank = Enterprise::blank();
            let (mut quick, mut slow) = (blank.clone(), blank);
            if let Some(n) = QUICK_SETTERS[col as usize](&mut quick, line.as_bytes()) {
                prop_assert_eq!(n, cell.len());
                if !cell.is_empty() {
                    prop_assert_eq!(SETTERS[col as usize](&mut slow, &cell), Ok(()));
                }
                prop_assert_eq!(quick, slow);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        /// A line read where it lies gives what its cells give read one by one: the same firm or
        /// the same errors, whatever is spoiled, and where the last cell read ends.
        #[test]
        fn a_line_reads_as_its_cells_read(
            seed in 0u64..1_000,
            spoils in prop::collection::vec((0..COLUMNS.len(), near_cell()), 0..4),
            drop_cells in 0usize..3,
            extra in prop::collection::vec("[0-9a-z]{0,2}", 0..3),
            lean: bool,
        ) {
            let mut header =
                HeaderMap::parse(COLUMNS.iter().map(|c| c.key)).unwrap_or_else(|e| panic!("{e:?}"));
            if lean {
                header = header.without_text();
            }
            let e = crate::synth::Generator::new(seed, 2025).nth((seed % 7) as usize)
                .unwrap_or_else(|| panic!("a generated firm"));
            let mut cells: Vec<String> = COLUMNS.iter().map(|c| e.get(c.col)).collect();
            for (i, cell) in spoils {
                cells[i] = cell;
            }
            // Commas would be cells of their own in a CSV line.
            for c in &mut cells {
                *c = c.replace(',', "，");
            }
            cells.truncate(cells.len() - drop_cells);
            cells.extend(extra);
            let line = cells.join(",");
            let (quick, end) = header.parse_line(9, &line);
            let slow = header.parse_row(9, line.split(','));
            prop_assert_eq!(quick, slow);
            let read: Vec<&str> = line.split(',').take(COLUMNS.len()).collect();
            prop_assert_eq!(end, read.iter().map(|c| c.len()).sum::<usize>() + read.len() - 1);
        }
    }

    /// One enterprise read into row after row holds each row as that row alone gives it: nothing
    /// of an earlier row is left, a blank cell after a full one included.
    #[test]
    fn rows_read_into_one_enterprise_leave_nothing_behind() {
        let header =
            HeaderMap::parse(COLUMNS.iter().map(|c| c.key)).unwrap_or_else(|e| panic!("{e:?}"));
        let mut e = Enterprise::blank();
        let mut good = 0;
        for (n, firm) in crate::synth::Generator::new(11, 2025).take(300).enumerate() {
            let mut cells: Vec<String> = COLUMNS.iter().map(|c| firm.get(c.col)).collect();
            // Every third row keeps only its identity; every fifth loses a required cell.
            if n % 3 == 1 {
                cells.truncate(3);
            }
            if n % 5 == 2 {
                cells[0].clear();
            }
            let line = cells.join(",");
            let (r, _) = header.parse_line_into(2, &line, &mut e);
            match (r, header.parse_row(2, line.split(','))) {
                (Ok(()), Ok(alone)) => {
                    assert_eq!(e, alone, "row {n}");
                    good += 1;
                }
                (Err(a), Err(b)) => assert_eq!(a, b, "row {n}"),
                (a, b) => panic!("row {n}: {a:?} against {b:?}"),
            }
        }
        assert!(good > 100, "{good} good rows");
    }

    /// Text cells at either side of their limits are checked alike in a line read where it
    /// lies and cell by cell, kept or not.
    #[test]
    fn text_at_its_limits_reads_alike_in_a_line() {
        let full =
            HeaderMap::parse(COLUMNS.iter().map(|c| c.key)).unwrap_or_else(|e| panic!("{e:?}"));
        let e = crate::synth::Generator::new(3, 2025)
            .next()
            .unwrap_or_else(|| panic!("a generated firm"));
        let mut refused = 0;
        for header in [full.clone(), full.without_text()] {
            for col in [Col::Name, Col::Ecosystem, Col::MainProducts] {
                for n in [199, 200, 201, 999, 1000, 1001] {
                    for c in ["x", "品"] {
                        for last in [false, true] {
                            let mut cells: Vec<String> =
                                COLUMNS.iter().map(|c| e.get(c.col)).collect();
                            cells[col as usize] = c.repeat(n);
                            if last {
                                cells.truncate(col as usize + 1);
                            }
                            let line = cells.join(",");
                            let (quick, _) = header.parse_line(2, &line);
                            let slow = header.parse_row(2, line.split(','));
                            refused += usize::from(slow.is_err());
                            assert_eq!(quick, slow, "{col:?} {n} {c} {last}");
                        }
                    }
                }
            }
        }
        assert!(refused > 20, "{refused} refused");
    }

    /// A header that leaves text out checks every cell as the full one does, and gives the same
    /// rows but for their text cells.
    #[test]
    fn rows_without_text_are_checked_as_rows_with_it() {
        let full =
            HeaderMap::parse(COLUMNS.iter().map(|c| c.key)).unwrap_or_else(|e| panic!("{e:?}"));
        let lean = full.clone().without_text();
        let at = |col: Col| COLUMNS.iter().position(|c| c.col == col).unwrap_or(0);
        let mut checked = 0;
        for (n, e) in crate::synth::Generator::new(7, 2025).take(200).enumerate() {
            let mut cells: Vec<String> = COLUMNS.iter().map(|c| e.get(c.col)).collect();
            // Spoil a text cell now and then: an unknown district, a name or products too long,
            // a blank name, and a bad figure beside them.
            match n % 6 {
                1 => cells[at(Col::District)] = "火星区".into(),
                2 => cells[at(Col::Name)] = "名".repeat(201),
                3 => cells[at(Col::MainProducts)] = "品".repeat(1001),
                4 => cells[at(Col::Name)] = " ".into(),
                5 => cells[at(Col::Revenue)] = "很多".into(),
                _ => {}
            }
            let with = full.parse_row(n + 2, cells.iter().map(String::as_str));
            let without = lean.parse_row(n + 2, cells.iter().map(String::as_str));
            match (with, without) {
                (Ok(mut a), Ok(b)) => {
                    a.name.clear();
                    (a.district, a.ecosystem, a.main_products) = (None, None, None);
                    assert_eq!(a, b);
                    checked += 1;
                }
                (Err(a), Err(b)) => assert_eq!(a, b),
                (a, b) => panic!("row {n}: {a:?} against {b:?}"),
            }
        }
        assert!(checked > 20, "{checked} good rows");
    }

    /// Every spelling of yes and no the template accepts, the one-byte ones read from their
    /// byte and the others by name; anything else is refused.
    #[test]
    fn yes_and_no_are_read_in_every_spelling_the_template_names() {
        for (cell, want) in [
            ("1", Some(true)),
            ("Y", Some(true)),
            ("y", Some(true)),
            ("是", Some(true)),
            ("1.0", Some(true)),
            ("TRUE", Some(true)),
            ("true", Some(true)),
            ("0", Some(false)),
            ("N", Some(false)),
            ("n", Some(false)),
            ("否", Some(false)),
            ("0.0", Some(false)),
            ("False", Some(false)),
            ("2", None),
            ("x", None),
            ("", None),
            ("yes", None),
            ("11", None),
        ] {
            assert_eq!(p_bool(cell).ok(), want, "{cell:?}");
        }
    }

    #[test]
    fn the_column_table_lists_every_column_once_in_enum_order() {
        for (i, c) in COLUMNS.iter().enumerate() {
            assert_eq!(c.col as usize, i, "{}", c.key);
        }
        let mut keys: Vec<_> = COLUMNS.iter().map(|c| c.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), COLUMNS.len());
    }

    #[test]
    fn every_chain_of_the_reference_data_is_read_under_a_known_ecosystem() {
        let csv = include_str!("../data/hangzhou-ecosystems.csv");
        let rows = csv.lines().skip(1).filter(|l| !l.trim().is_empty()).count();
        assert_eq!(chains().len(), rows);
        assert!(chains().iter().all(|c| ECOSYSTEMS.contains(&c.ecosystem)));
        assert!(chains().iter().all(|c| !c.name_en.is_empty()));
        let mut names: Vec<_> = chains().iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), chains().len(), "chain names are unique");
    }

    #[test]
    fn the_ecosystems_are_those_of_the_reference_data() {
        let csv = include_str!("../data/hangzhou-ecosystems.csv");
        let mut named: Vec<&str> = csv
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').next())
            .filter(|s| !s.is_empty())
            .collect();
        named.dedup();
        assert_eq!(named, ECOSYSTEMS);
    }

    #[test]
    fn a_header_matches_by_key_label_or_label_with_its_note() {
        assert_eq!(column_for_header("REVENUE"), Some(Col::Revenue));
        assert_eq!(column_for_header("上年度营业收入"), Some(Col::Revenue));
        assert_eq!(
            column_for_header("近两年新增股权融资额 (合格机构投资者实缴)"),
            Some(Col::Equity2y)
        );
        assert_eq!(
            column_for_header("近两年新增股权融资额（合格机构投资者实缴）"),
            Some(Col::Equity2y)
        );
        assert_eq!(
            column_for_header("细分市场占有率(%)"),
            Some(Col::MarketShare)
        );
        assert_eq!(column_for_header("\u{feff}uscc"), Some(Col::Uscc));
        assert_eq!(column_for_header("备注"), None);
    }

    #[test]
    fn every_column_round_trips_through_its_cell_text() {
        for c in COLUMNS {
            let sample = match c.kind {
                Kind::Text => "x",
                Kind::District => "西湖区",
                Kind::Money => "12.5",
                Kind::SignedMoney => "-3",
                Kind::Count => "7",
                Kind::Count1 => "2",
                Kind::Year => "2024",
                Kind::Level => "3",
                Kind::Pct100 => "55.5",
                Kind::Score15 => "12",
                Kind::Bool => "1",
                Kind::Date => "2020-02-29",
                Kind::Choice(keys) => keys[keys.len() - 1],
            };
            if c.required {
                continue;
            }
            let mut e = Enterprise::new(
                Uscc::with_check(b"91330106MA2B3C4D5").unwrap_or_else(|| panic!("fixture")),
                "n",
                IndustryCode::parse("C3981").unwrap_or_else(|_| panic!("fixture")),
            );
            assert_eq!(e.set(c.col, sample), Ok(()), "{}", c.key);
            assert_eq!(e.get(c.col), sample, "{}", c.key);
        }
    }
}
