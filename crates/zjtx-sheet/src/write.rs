//! Writing evaluation results (CSV, XLSX, JSON), enterprise rows, and the empty template.

use std::io::Write;
use std::path::Path;

use rust_xlsxwriter::{
    DataValidation, DataValidationRule, Format as XFormat, Workbook, Worksheet, XlsxError,
};
use zjtx_core::engine::Route;
use zjtx_core::enterprise::{COLUMNS, Enterprise, Kind};
use zjtx_core::num::{Dec4, FIXED4_MAX, round2, write_fixed4};
use zjtx_core::trace::{IdSet, RuleId, Size, TopTier, Verdict};
use zjtx_core::{Evaluation, Summary};

use crate::SheetError;

/// The output columns, in order (`enterprise-template.md`, "Output of an evaluation").
pub const OUTPUT_KEYS: [&str; 14] = [
    "uscc",
    "rules",
    "size",
    "innovative",
    "tech_sme",
    "srdi",
    "giant",
    "innovative_score",
    "innovative_route",
    "tech_sme_score",
    "srdi_score",
    "srdi_failed",
    "giant_failed",
    "top_tier",
];

/// A score as the contract prints it: two decimals at most, half away from zero, no trailing zeros.
pub fn score_text(d: Dec4) -> String {
    Dec4::from_units(round2(d.units()))
        .unwrap_or(Dec4::ZERO)
        .to_string()
}

/// The output row of one evaluation.
pub fn output_row(uscc: &str, s: &Summary) -> [String; 14] {
    [
        uscc.to_owned(),
        s.rules.to_owned(),
        s.size.key().to_owned(),
        s.innovative.key().to_owned(),
        s.tech_sme.key().to_owned(),
        s.srdi.key().to_owned(),
        s.giant.key().to_owned(),
        s.innovative_score.map(score_text).unwrap_or_default(),
        s.innovative_route.key().to_owned(),
        score_text(s.tech_sme_score),
        s.srdi_score.map(score_text).unwrap_or_default(),
        s.srdi_failed.joined(),
        s.giant_failed.joined(),
        s.top_tier.key().to_owned(),
    ]
}

/// The most bytes of a piece of an output row: a key or rule id and the separator after it.
const PIECE: usize = 16;

/// A key of the output and the separator after it, padded to a fixed width: writing one is a
/// copy of fixed size (a register or two, no call to `memcpy` for a few bytes), which its length
/// then trims.
struct Piece {
    bytes: [u8; PIECE],
    len: usize,
}

impl Piece {
    const fn new(key: &str, sep: u8) -> Piece {
        let k = key.as_bytes();
        assert!(k.len() < PIECE, "an output key is longer than a piece");
        let mut bytes = [0; PIECE];
        let mut i = 0;
        while i < k.len() {
            bytes[i] = k[i];
            i += 1;
        }
        bytes[i] = sep;
        Piece {
            bytes,
            len: k.len() + 1,
        }
    }
}

/// The piece of a key of `T` followed by `sep`, one constant per variant; the match is
/// exhaustive, so a variant added to `T` must be added here.
macro_rules! piece {
    ($v:expr, $sep:expr; $T:ident: $($var:ident),+ $(,)?) => {
        match $v {
            $($T::$var => const { &Piece::new($T::$var.key(), $sep) },)+
        }
    };
}

/// Every rule id followed by `;`, indexed by the id's discriminant (`RuleId::NAMES` is in the
/// order of the ids' declaration).
const RULE_IDS: [Piece; RuleId::NAMES.len()] = {
    let mut out = [const { Piece::new("", b';') }; RuleId::NAMES.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = Piece::new(RuleId::NAMES[i], b';');
        i += 1;
    }
    out
};

/// The room an output row is written into: its bytes at most.
fn row_room(uscc: &[u8; 18], s: &Summary) -> usize {
    let ids = s.srdi_failed.len() + s.giant_failed.len();
    // The code, the rule set's name and four commas; three scores and their commas; seven
    // pieces; the ids. Each piece's copy reads a whole piece's width.
    uscc.len() + s.rules.len() + 4 + 3 * (FIXED4_MAX + 1) + (7 + ids) * PIECE
}

/// An output row being written into room made for it beforehand (`row_room`).
struct RowText<'a> {
    out: &'a mut [u8],
    at: usize,
}

impl RowText<'_> {
    fn piece(&mut self, p: &Piece) {
        self.out[self.at..self.at + PIECE].copy_from_slice(&p.bytes);
        self.at += p.len;
    }
    fn bytes(&mut self, b: &[u8]) {
        self.out[self.at..self.at + b.len()].copy_from_slice(b);
        self.at += b.len();
    }
    fn byte(&mut self, b: u8) {
        self.out[self.at] = b;
        self.at += 1;
    }
    /// A score as `score_text` writes it, and a comma.
    fn score(&mut self, d: Option<Dec4>) {
        if let Some(d) = d {
            let rounded = Dec4::from_units(round2(d.units())).unwrap_or(Dec4::ZERO);
            self.at += write_fixed4(&mut self.out[self.at..], rounded.units());
        }
        self.byte(b',');
    }
    /// Rule ids joined by `;`, and a comma.
    fn ids(&mut self, set: IdSet) {
        // The set's bits in two words, each bit the index of an id (`IdSet::iter`'s order).
        let bits = set.bits();
        for (word, base) in [(bits as u64, 0), ((bits >> 64) as u64, 64)] {
            let mut word = word;
            while word != 0 {
                self.piece(&RULE_IDS[base + word.trailing_zeros() as usize]);
                word &= word - 1;
            }
        }
        if !set.is_empty() {
            // The last id's `;` becomes the comma.
            self.at -= 1;
        }
        self.byte(b',');
    }
}

/// Appends the output row of one evaluation as a CSV line (`output_row`'s cells joined by
/// commas) without allocating. No field of the contract ever needs quoting: codes, keys, plain
/// decimals and ids joined by `;`.
pub fn write_csv_row(buf: &mut Vec<u8>, uscc: &[u8; 18], s: &Summary) {
    // The row is written into room made at the end of `buf` (zeroed: a row is some 110 bytes,
    // its room some 350), which is then cut to what was written.
    let start = buf.len();
    buf.resize(start + row_room(uscc, s), 0);
    let n = write_row(&mut buf[start..], uscc, s);
    buf.truncate(start + n);
}

/// Writes an output row at the start of `out` (`row_room` bytes at least); returns its length.
fn write_row(out: &mut [u8], uscc: &[u8; 18], s: &Summary) -> usize {
    let mut row = RowText { out, at: 0 };
    row.bytes(uscc);
    row.byte(b',');
    row.bytes(s.rules.as_bytes());
    row.byte(b',');
    row.piece(piece!(s.size, b','; Size: Large, Medium, Small, Micro, Unknown));
    for v in [s.innovative, s.tech_sme, s.srdi, s.giant] {
        row.piece(piece!(v, b','; Verdict: Pass, Fail, Review));
    }
    row.score(s.innovative_score);
    row.piece(piece!(s.innovative_route, b','; Route: D1, D2, D3, D4, Score));
    row.score(Some(s.tech_sme_score));
    row.score(s.srdi_score);
    row.ids(s.srdi_failed);
    row.ids(s.giant_failed);
    row.piece(piece!(s.top_tier, b'\n'; TopTier: Giant, Srdi, Innovative, TechSme, None));
    row.at
}

/// The JSON object of one evaluation: the output fields plus the full trace.
#[derive(serde::Serialize)]
pub struct JsonRow<'a> {
    pub uscc: &'a str,
    pub rules: &'static str,
    pub size: &'static str,
    pub innovative: &'static str,
    pub tech_sme: &'static str,
    pub srdi: &'static str,
    pub giant: &'static str,
    pub innovative_score: Option<String>,
    pub innovative_route: &'static str,
    pub tech_sme_score: String,
    pub srdi_score: Option<String>,
    pub srdi_failed: Vec<&'static str>,
    pub giant_failed: Vec<&'static str>,
    pub top_tier: &'static str,
    pub as_of: String,
    pub reference_year: i32,
    pub trace: &'a [zjtx_core::trace::TraceEntry],
}

impl<'a> JsonRow<'a> {
    pub fn new(uscc: &'a str, ev: &'a Evaluation) -> JsonRow<'a> {
        let s = &ev.summary;
        JsonRow {
            uscc,
            rules: s.rules,
            size: s.size.key(),
            innovative: s.innovative.key(),
            tech_sme: s.tech_sme.key(),
            srdi: s.srdi.key(),
            giant: s.giant.key(),
            innovative_score: s.innovative_score.map(score_text),
            innovative_route: s.innovative_route.key(),
            tech_sme_score: score_text(s.tech_sme_score),
            srdi_score: s.srdi_score.map(score_text),
            srdi_failed: s.srdi_failed.iter().map(|i| i.as_str()).collect(),
            giant_failed: s.giant_failed.iter().map(|i| i.as_str()).collect(),
            top_tier: s.top_tier.key(),
            as_of: ev.as_of.format("%Y-%m-%d").to_string(),
            reference_year: ev.reference_year,
            trace: &ev.trace,
        }
    }
}

/// Rows per XLSX worksheet (Excel's limit, less the header).
pub const XLSX_MAX_ROWS: usize = 1_048_575;

/// Writes result rows into an XLSX workbook, starting a new sheet when one is full.
pub struct XlsxResults {
    wb: Workbook,
    sheet_rows: usize,
    sheets: usize,
    bold: XFormat,
}

impl XlsxResults {
    pub fn new() -> XlsxResults {
        XlsxResults {
            wb: Workbook::new(),
            sheet_rows: XLSX_MAX_ROWS,
            sheets: 0,
            bold: XFormat::new().set_bold(),
        }
    }

    fn sheet(&mut self) -> Result<&mut Worksheet, XlsxError> {
        if self.sheet_rows >= XLSX_MAX_ROWS {
            self.sheets += 1;
            let name = if self.sheets == 1 {
                "results".to_owned()
            } else {
                format!("results-{}", self.sheets)
            };
            let ws = self.wb.add_worksheet_with_constant_memory();
            let ws = ws?;
            ws.set_name(name)?;
            for (c, k) in OUTPUT_KEYS.iter().enumerate() {
                ws.write_string_with_format(0, c as u16, *k, &self.bold)?;
            }
            self.sheet_rows = 0;
        }
        let idx = self.sheets - 1;
        self.wb.worksheet_from_index(idx)
    }

    pub fn push(&mut self, row: &[String; 14]) -> Result<(), SheetError> {
        self.sheet().map_err(SheetError::xlsx)?;
        let r = self.sheet_rows as u32 + 1;
        let ws = self.sheet().map_err(SheetError::xlsx)?;
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r, c as u16, v).map_err(SheetError::xlsx)?;
            }
        }
        self.sheet_rows += 1;
        Ok(())
    }

    pub fn save(mut self, path: &Path) -> Result<(), SheetError> {
        if self.sheets == 0 {
            self.sheet().map_err(SheetError::xlsx)?;
        }
        self.wb.save(path).map_err(SheetError::xlsx)
    }
}

impl Default for XlsxResults {
    fn default() -> Self {
        XlsxResults::new()
    }
}

/// A one-sheet workbook: a bold, frozen header row and the rows as text.
pub fn table_xlsx<C: Into<Cell>>(
    sheet: &str,
    headers: &[&str],
    rows: impl IntoIterator<Item = Vec<C>>,
) -> Result<Vec<u8>, SheetError> {
    sheets_xlsx(vec![(
        sheet.to_owned(),
        headers.to_vec(),
        rows.into_iter()
            .map(|r| r.into_iter().map(Into::into).collect())
            .collect(),
    )])
}

/// A cell of an exported sheet: text, or a number Excel can sum and sort.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    /// A whole number (a year, a head count), shown as is.
    Int(i64),
    /// An exact decimal given as text (an amount in 万元), written as a number shown with two
    /// decimals and thousands separators; an empty text is an empty cell.
    Amount(String),
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

/// One sheet of a workbook: its name, header and rows.
pub type Sheet<'a> = (String, Vec<&'a str>, Vec<Vec<Cell>>);

/// A workbook of several sheets, each with a bold, frozen header row and its rows.
pub fn sheets_xlsx(sheets: Vec<Sheet<'_>>) -> Result<Vec<u8>, SheetError> {
    let mut wb = Workbook::new();
    let bold = XFormat::new().set_bold();
    let amount = XFormat::new().set_num_format("#,##0.00");
    for (sheet, headers, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&sheet).map_err(SheetError::xlsx)?;
        ws.set_freeze_panes(1, 0).map_err(SheetError::xlsx)?;
        for (c, h) in headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)
                .map_err(SheetError::xlsx)?;
            ws.set_column_width(c as u16, (h.chars().count() as f64 * 2.2).clamp(10.0, 40.0))
                .map_err(SheetError::xlsx)?;
        }
        for (r, row) in rows.into_iter().enumerate() {
            if r >= XLSX_MAX_ROWS {
                return Err(SheetError::Format(format!(
                    "an XLSX sheet holds at most {XLSX_MAX_ROWS} rows"
                )));
            }
            let at = r as u32 + 1;
            for (c, v) in row.iter().enumerate() {
                let c = c as u16;
                match v {
                    Cell::Text(t) if t.is_empty() => {}
                    Cell::Text(t) => {
                        ws.write_string(at, c, t).map_err(SheetError::xlsx)?;
                    }
                    Cell::Int(n) => {
                        ws.write_number(at, c, *n as f64)
                            .map_err(SheetError::xlsx)?;
                    }
                    Cell::Amount(t) => match t.trim().parse::<f64>() {
                        Ok(x) => {
                            ws.write_number_with_format(at, c, x, &amount)
                                .map_err(SheetError::xlsx)?;
                        }
                        Err(_) if t.trim().is_empty() => {}
                        Err(_) => {
                            ws.write_string(at, c, t).map_err(SheetError::xlsx)?;
                        }
                    },
                }
            }
        }
    }
    wb.save_to_buffer().map_err(SheetError::xlsx)
}

/// Writes enterprises as template rows (keys as the header) to CSV.
pub fn write_enterprises_csv<W: Write>(
    w: W,
    rows: impl IntoIterator<Item = Enterprise>,
) -> Result<(), SheetError> {
    let mut wr = csv::Writer::from_writer(w);
    wr.write_record(COLUMNS.iter().map(|c| c.key))
        .map_err(SheetError::csv)?;
    for e in rows {
        wr.write_record(COLUMNS.iter().map(|c| e.get(c.col)))
            .map_err(SheetError::csv)?;
    }
    wr.flush().map_err(|e| SheetError::Io(e.to_string()))
}

/// Writes enterprises as template rows (Chinese headers) to XLSX.
pub fn write_enterprises_xlsx(
    path: &Path,
    rows: impl IntoIterator<Item = Enterprise>,
) -> Result<(), SheetError> {
    let mut wb = Workbook::new();
    let ws = wb
        .add_worksheet_with_constant_memory()
        .map_err(SheetError::xlsx)?;
    ws.set_name("企业数据").map_err(SheetError::xlsx)?;
    for (c, col) in COLUMNS.iter().enumerate() {
        ws.write_string(0, c as u16, col.header_zh())
            .map_err(SheetError::xlsx)?;
    }
    for (r, e) in rows.into_iter().enumerate() {
        if r >= XLSX_MAX_ROWS {
            return Err(SheetError::Format(format!(
                "an XLSX sheet holds at most {XLSX_MAX_ROWS} rows; write CSV instead"
            )));
        }
        for (c, col) in COLUMNS.iter().enumerate() {
            let v = e.get(col.col);
            if !v.is_empty() {
                ws.write_string(r as u32 + 1, c as u16, v)
                    .map_err(SheetError::xlsx)?;
            }
        }
    }
    wb.save(path).map_err(SheetError::xlsx)
}

fn kind_text(k: Kind) -> String {
    match k {
        Kind::Text => "文本".into(),
        Kind::District => "文本（本市区县）".into(),
        Kind::Money => "金额（万元，≥ 0，最多4位小数）".into(),
        Kind::SignedMoney => "金额（万元，可为负，最多4位小数）".into(),
        Kind::Count => "整数 ≥ 0".into(),
        Kind::Count1 => "整数 ≥ 1".into(),
        Kind::Year => "年份（YYYY）".into(),
        Kind::Level => "整数 0–4".into(),
        Kind::Pct100 => "小数 0–100".into(),
        Kind::Score15 => "小数 0–15".into(),
        Kind::Bool => "是/否（1/0、true/false、Y/N）".into(),
        Kind::Date => "日期（YYYY-MM-DD）".into(),
        Kind::Choice(keys) => format!("选项：{}", keys.join(" / ")),
    }
}

/// Writes the empty template: Chinese headers with data validation on the first sheet, and a second
/// sheet explaining every column.
pub fn write_template(path: &Path) -> Result<(), SheetError> {
    template_workbook()?.save(path).map_err(SheetError::xlsx)
}

/// The empty template as the bytes of a workbook (a download).
pub fn template_bytes() -> Result<Vec<u8>, SheetError> {
    template_workbook()?
        .save_to_buffer()
        .map_err(SheetError::xlsx)
}

fn template_workbook() -> Result<Workbook, SheetError> {
    let mut wb = Workbook::new();
    let head = XFormat::new()
        .set_bold()
        .set_background_color(rust_xlsxwriter::Color::RGB(0xDDEBF7));
    let req = XFormat::new()
        .set_bold()
        .set_background_color(rust_xlsxwriter::Color::RGB(0xFCE4D6));
    let ws = wb.add_worksheet();
    ws.set_name("企业数据").map_err(SheetError::xlsx)?;
    ws.set_freeze_panes(1, 2).map_err(SheetError::xlsx)?;
    let last = XLSX_MAX_ROWS as u32;
    for (c, col) in COLUMNS.iter().enumerate() {
        let c16 = c as u16;
        ws.write_string_with_format(
            0,
            c16,
            col.header_zh(),
            if col.required { &req } else { &head },
        )
        .map_err(SheetError::xlsx)?;
        ws.set_column_width(
            c16,
            (col.header_zh().chars().count() as f64 * 2.2).clamp(10.0, 40.0),
        )
        .map_err(SheetError::xlsx)?;
        let dv = match col.kind {
            Kind::Money => Some(
                DataValidation::new()
                    .allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0)),
            ),
            Kind::SignedMoney | Kind::Text => None,
            Kind::Count => Some(
                DataValidation::new()
                    .allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(0)),
            ),
            Kind::Count1 => Some(
                DataValidation::new()
                    .allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(1)),
            ),
            Kind::Year => Some(
                DataValidation::new().allow_whole_number(DataValidationRule::Between(1900, 2200)),
            ),
            Kind::Level => {
                Some(DataValidation::new().allow_whole_number(DataValidationRule::Between(0, 4)))
            }
            Kind::Pct100 => Some(
                DataValidation::new().allow_decimal_number(DataValidationRule::Between(0.0, 100.0)),
            ),
            Kind::Score15 => Some(
                DataValidation::new().allow_decimal_number(DataValidationRule::Between(0.0, 15.0)),
            ),
            Kind::Bool => Some(
                DataValidation::new()
                    .allow_list_strings(&["是", "否"])
                    .map_err(SheetError::xlsx)?,
            ),
            Kind::District => {
                let names: Vec<&str> = zjtx_core::enterprise::DISTRICTS
                    .iter()
                    .map(|(_, n)| *n)
                    .collect();
                Some(
                    DataValidation::new()
                        .allow_list_strings(&names)
                        .map_err(SheetError::xlsx)?,
                )
            }
            Kind::Choice(_) => {
                // Offer the Chinese spellings, which the reader accepts as well as the keys.
                let zh = choice_labels(col.col);
                Some(
                    DataValidation::new()
                        .allow_list_strings(&zh)
                        .map_err(SheetError::xlsx)?,
                )
            }
            Kind::Date => Some(
                DataValidation::new()
                    .allow_any_value()
                    .set_input_message("YYYY-MM-DD")
                    .map_err(SheetError::xlsx)?,
            ),
        };
        if let Some(dv) = dv {
            let dv = dv
                .set_error_message(format!("{}：{}", col.zh, kind_text(col.kind)))
                .map_err(SheetError::xlsx)?;
            ws.add_data_validation(1, c16, last, c16, &dv)
                .map_err(SheetError::xlsx)?;
        }
    }
    let help = wb.add_worksheet();
    help.set_name("填写说明").map_err(SheetError::xlsx)?;
    for (c, h) in ["列名（中文）", "列名（键）", "类型", "必填", "说明"]
        .iter()
        .enumerate()
    {
        help.write_string_with_format(0, c as u16, *h, &head)
            .map_err(SheetError::xlsx)?;
    }
    for (i, col) in COLUMNS.iter().enumerate() {
        let r = i as u32 + 1;
        help.write_string(r, 0, col.header_zh())
            .map_err(SheetError::xlsx)?;
        help.write_string(r, 1, col.key).map_err(SheetError::xlsx)?;
        help.write_string(r, 2, kind_text(col.kind))
            .map_err(SheetError::xlsx)?;
        help.write_string(r, 3, if col.required { "是" } else { "" })
            .map_err(SheetError::xlsx)?;
        help.write_string(r, 4, col.help)
            .map_err(SheetError::xlsx)?;
    }
    let n = COLUMNS.len() as u32 + 2;
    help.write_string(n, 0, "空白表示“未知”，不是0；未知项可能导致“待核实”。金额单位为万元。表头可用中文列名或键名，列顺序不限。")
        .map_err(SheetError::xlsx)?;
    for (c, w) in [(0u16, 36.0), (1, 26.0), (2, 30.0), (3, 6.0), (4, 70.0)] {
        help.set_column_width(c, w).map_err(SheetError::xlsx)?;
    }
    Ok(wb)
}

fn choice_labels(col: zjtx_core::enterprise::Col) -> Vec<&'static str> {
    use zjtx_core::enterprise::{AwardLevel, Col, Incident, MakersChina, RdInstitution};
    match col {
        Col::RdInstitution => RdInstitution::ALL.iter().map(|v| v.zh()).collect(),
        Col::AwardLevel => AwardLevel::ALL.iter().map(|v| v.zh()).collect(),
        Col::MakersChina => MakersChina::ALL.iter().map(|v| v.zh()).collect(),
        Col::Incident3y => Incident::ALL.iter().map(|v| v.zh()).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zjtx_core::rules::{Embedded, load_all};

    /// What the contract says a row is: `output_row`'s cells joined by commas.
    fn expected(uscc: &str, s: &Summary) -> String {
        format!("{}\n", output_row(uscc, s).join(","))
    }

    #[test]
    fn csv_rows_are_the_output_rows_joined_for_a_generated_city() {
        let sets = load_all(&Embedded).unwrap_or_else(|e| panic!("{e}"));
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default();
        let mut buf = b"header\n".to_vec();
        let mut want = String::from("header\n");
        for e in zjtx_core::synth::Generator::new(7, 2025).take(3000) {
            for rs in &sets {
                let s = zjtx_core::evaluate(&e, rs, as_of);
                write_csv_row(&mut buf, e.uscc.as_bytes(), &s);
                want.push_str(&expected(e.uscc.as_str(), &s));
            }
        }
        // Rows are appended: what came before each stays, nothing of the room made is left.
        assert_eq!(String::from_utf8(buf).ok().as_deref(), Some(want.as_str()));
    }

    #[test]
    fn every_key_every_id_and_the_widest_scores_are_written_as_the_contract_says() {
        let sizes = [
            Size::Large,
            Size::Medium,
            Size::Small,
            Size::Micro,
            Size::Unknown,
        ];
        let verdicts = [Verdict::Pass, Verdict::Fail, Verdict::Review];
        let routes = [Route::D1, Route::D2, Route::D3, Route::D4, Route::Score];
        let tops = [
            TopTier::Giant,
            TopTier::Srdi,
            TopTier::Innovative,
            TopTier::TechSme,
            TopTier::None,
        ];
        let mut all = IdSet::default();
        for &id in RuleId::ALL {
            all.insert(id);
        }
        let uscc = "91330106MA2H3B1X8Q";
        let code: &[u8; 18] = uscc.as_bytes().try_into().unwrap_or(&[b'0'; 18]);
        let scores = [
            None,
            Some(Dec4::ZERO),
            Dec4::from_units(-zjtx_core::num::MAX_ABS),
            Dec4::from_units(zjtx_core::num::MAX_ABS),
            Dec4::from_units(12_345),
            Dec4::from_units(-50),
        ];
        for i in 0..60 {
            let mut one = IdSet::default();
            one.insert(RuleId::ALL[i % RuleId::ALL.len()]);
            let s = Summary {
                rules: if i % 2 == 0 { "miit-2022" } else { "miit-2026" },
                size: sizes[i % sizes.len()],
                innovative: verdicts[i % 3],
                tech_sme: verdicts[(i + 1) % 3],
                srdi: verdicts[(i / 3) % 3],
                giant: verdicts[(i / 9) % 3],
                innovative_score: scores[i % scores.len()],
                innovative_route: routes[i % routes.len()],
                tech_sme_score: scores[(i + 1) % scores.len()].unwrap_or(Dec4::ZERO),
                srdi_score: scores[(i + 2) % scores.len()],
                srdi_failed: [all, IdSet::default(), one][i % 3],
                giant_failed: [one, all, IdSet::default()][i % 3],
                top_tier: tops[i % tops.len()],
            };
            let mut buf = Vec::new();
            write_csv_row(&mut buf, code, &s);
            assert_eq!(
                String::from_utf8(buf).ok(),
                Some(expected(uscc, &s)),
                "{s:?}"
            );
        }
    }
}
