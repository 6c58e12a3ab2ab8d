//! Writing evaluation results (CSV, XLSX, JSON), enterprise rows, and the empty template.

use std::io::Write;
use std::path::Path;

use rust_xlsxwriter::{
    DataValidation, DataValidationRule, Format as XFormat, Workbook, Worksheet, XlsxError,
};
use zjtx_core::enterprise::{COLUMNS, Enterprise, Kind};
use zjtx_core::num::{Dec4, round2};
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

/// Appends the output row of one evaluation as a CSV line without allocating. No field of the
/// contract ever needs quoting: codes, keys, plain decimals and ids joined by `;`.
pub fn write_csv_row(buf: &mut Vec<u8>, uscc: &[u8], s: &Summary) {
    let score = |buf: &mut Vec<u8>, d: Option<Dec4>| {
        if let Some(d) = d {
            let rounded = Dec4::from_units(round2(d.units())).unwrap_or(Dec4::ZERO);
            zjtx_core::num::push_fixed4(buf, rounded.units());
        }
    };
    let ids = |buf: &mut Vec<u8>, set: zjtx_core::trace::IdSet| {
        for (i, id) in set.iter().enumerate() {
            if i > 0 {
                buf.push(b';');
            }
            buf.extend_from_slice(id.as_str().as_bytes());
        }
    };
    buf.extend_from_slice(uscc);
    buf.push(b',');
    for part in [
        s.rules,
        s.size.key(),
        s.innovative.key(),
        s.tech_sme.key(),
        s.srdi.key(),
        s.giant.key(),
    ] {
        buf.extend_from_slice(part.as_bytes());
        buf.push(b',');
    }
    score(buf, s.innovative_score);
    buf.push(b',');
    buf.extend_from_slice(s.innovative_route.key().as_bytes());
    buf.push(b',');
    score(buf, Some(s.tech_sme_score));
    buf.push(b',');
    score(buf, s.srdi_score);
    buf.push(b',');
    ids(buf, s.srdi_failed);
    buf.push(b',');
    ids(buf, s.giant_failed);
    buf.push(b',');
    buf.extend_from_slice(s.top_tier.key().as_bytes());
    buf.push(b'\n');
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
