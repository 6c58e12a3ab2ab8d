//! What reading an XLSX workbook may cost, checked before anything of it is kept.
//!
//! An XLSX file is a ZIP package of XML parts. Three things make a small file expensive: parts that
//! unpack to far more than they weigh (a zip bomb), a sheet that names a far corner (`XFD1048576`) so
//! that a reader allocating the used rectangle asks for hundreds of gigabytes, and counts declared in
//! the XML (`uniqueCount` of the shared strings) that a reader reserves room for. `check_package`
//! unpacks every part once, streaming and keeping nothing, and measures what it really unpacks to
//! (declared sizes can lie); the worksheet is then read cell by cell with the row, column and cell
//! counts bounded, never as a rectangle.

use std::io::{Read, Seek};

use crate::SheetError;

/// The bounds of one workbook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XlsxLimits {
    /// Bytes that all parts together may unpack to.
    pub unpacked: u64,
    /// Parts in the package.
    pub parts: usize,
    /// Rows of the worksheet, the header included, counted from the sheet's first row.
    pub rows: u32,
    /// Columns: a cell in a later column refuses the file.
    pub cols: u32,
    /// Cells with a value.
    pub cells: usize,
}

impl XlsxLimits {
    /// An upload to the platform: about three times the largest template the platform imports in
    /// one go (a 100,000-row template unpacks to some 170 MB and has 7 million cells).
    pub const UPLOAD: XlsxLimits = XlsxLimits {
        unpacked: 512 << 20,
        parts: 1_000,
        rows: 200_001,
        cols: 256,
        cells: 16_000_000,
    };
    /// A file on the user's own disk (the command line): Excel's own sheet size.
    pub const LOCAL: XlsxLimits = XlsxLimits {
        unpacked: 8 << 30,
        parts: 10_000,
        rows: 1_048_576,
        cols: 16_384,
        cells: 160_000_000,
    };
}

/// Which bound a workbook passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exceeded {
    /// The parts unpack to more than this many bytes.
    Unpacked(u64),
    /// The package has more than this many parts.
    Parts(usize),
    /// A row beyond this one (1-based, as the spreadsheet numbers it).
    Rows(u32),
    /// A column beyond this many.
    Cols(u32),
    /// More than this many cells with a value.
    Cells(usize),
    /// The shared strings declare more entries than their part can hold.
    Strings(u64),
}

impl std::fmt::Display for Exceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exceeded::Unpacked(n) => write!(
                f,
                "the workbook unpacks to more than {} MB; save it again or split it",
                n >> 20
            ),
            Exceeded::Parts(n) => write!(f, "the workbook has more than {n} parts"),
            Exceeded::Rows(n) => write!(f, "the worksheet has rows beyond row {n}"),
            Exceeded::Cols(n) => write!(f, "the worksheet has cells beyond column {n}"),
            Exceeded::Cells(n) => write!(f, "the worksheet has more than {n} filled cells"),
            Exceeded::Strings(n) => write!(
                f,
                "the workbook's shared strings declare {n} entries, more than the part holds"
            ),
        }
    }
}

/// Refuses a package beyond `limits` before a reader opens it: counts its parts (in every end
/// record a reader could take), then unpacks each part, streaming, counting the bytes it really
/// yields, and reads the shared strings' declared count.
pub fn check_package(bytes: &[u8], limits: &XlsxLimits) -> Result<(), SheetError> {
    for count in end_record_counts(bytes) {
        if count > limits.parts {
            return Err(SheetError::TooLarge(Exceeded::Parts(limits.parts)));
        }
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| SheetError::Format(format!("not a readable workbook: {e}")))?;
    if zip.len() > limits.parts {
        return Err(SheetError::TooLarge(Exceeded::Parts(limits.parts)));
    }
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 << 10];
    for i in 0..zip.len() {
        let mut part = zip
            .by_index(i)
            .map_err(|e| SheetError::Format(format!("not a readable workbook: {e}")))?;
        let name = part.name().map(|n| n.into_owned()).unwrap_or_default();
        let strings = name.ends_with("sharedStrings.xml");
        let mut head: Vec<u8> = Vec::new();
        let mut size: u64 = 0;
        loop {
            let n = match part.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    return Err(SheetError::Format(format!(
                        "not a readable workbook: part {name}: {e}"
                    )));
                }
            };
            size += n as u64;
            total += n as u64;
            if total > limits.unpacked {
                return Err(SheetError::TooLarge(Exceeded::Unpacked(limits.unpacked)));
            }
            if strings && head.len() < 4096 {
                head.extend_from_slice(&buf[..n.min(4096 - head.len())]);
            }
        }
        if strings {
            // Each entry is at least `<si/>`: a count beyond size / 5 is a lie that a reader would
            // reserve room for.
            if let Some(n) = declared_count(&head)
                && n > size / 5
            {
                return Err(SheetError::TooLarge(Exceeded::Strings(n)));
            }
        }
    }
    Ok(())
}

/// The entry counts of every end-of-central-directory record in the package's last 64 KiB (a
/// reader may try each); 0xFFFF (a ZIP64 package) counts as that many.
fn end_record_counts(bytes: &[u8]) -> Vec<usize> {
    const SIG: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
    let from = bytes.len().saturating_sub(65_535 + 22);
    let tail = &bytes[from..];
    let mut out = Vec::new();
    for i in 0..tail.len().saturating_sub(21) {
        if tail[i..i + 4] == SIG {
            let entries = u16::from_le_bytes([tail[i + 10], tail[i + 11]]);
            out.push(usize::from(entries));
        }
    }
    out
}

/// `uniqueCount="N"` of the shared strings' root element, if present.
fn declared_count(head: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(head);
    let at = text.find("uniqueCount=")? + "uniqueCount=".len();
    let rest = text.get(at + 1..)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    // More digits than a u64 holds is certainly too many.
    Some(digits.parse().unwrap_or(u64::MAX))
}

/// The first worksheet's cells with a value, as (row, column, text), positions as the spreadsheet
/// numbers them from 0, read as a stream with `limits` applied to every cell.
pub fn worksheet_cells<R: Read + Seek>(
    r: R,
    limits: &XlsxLimits,
    text: impl Fn(calamine::Data) -> String,
) -> Result<Vec<(u32, u32, String)>, SheetError> {
    use calamine::Reader as _;
    let mut wb = calamine::Xlsx::new(r)
        .map_err(|e| SheetError::Format(format!("not a readable workbook: {e}")))?;
    let name = wb
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| SheetError::Format("the workbook has no worksheet".into()))?;
    let mut cells = wb
        .worksheet_cells_reader(&name)
        .map_err(|e| SheetError::Format(format!("the first worksheet cannot be read: {e}")))?;
    let mut out = Vec::new();
    // The span of rows seen: cells may come in any order.
    let (mut low, mut high) = (u32::MAX, 0u32);
    while let Some(cell) = cells
        .next_cell()
        .map_err(|e| SheetError::Format(format!("the first worksheet cannot be read: {e}")))?
    {
        let (row, col) = cell.get_position();
        if col >= limits.cols {
            return Err(SheetError::TooLarge(Exceeded::Cols(limits.cols)));
        }
        (low, high) = (low.min(row), high.max(row));
        if high - low >= limits.rows {
            return Err(SheetError::TooLarge(Exceeded::Rows(
                low.saturating_add(limits.rows),
            )));
        }
        let value = calamine::Data::from(cell.get_value().clone());
        if value == calamine::Data::Empty {
            continue;
        }
        if out.len() >= limits.cells {
            return Err(SheetError::TooLarge(Exceeded::Cells(limits.cells)));
        }
        out.push((row, col, text(value)));
    }
    Ok(out)
}
