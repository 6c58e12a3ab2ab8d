//! Reading a projects file (issue 13): the same rows from CSV and from XLSX (headers by key or
//! Chinese label, any order), a blank row skipped, and a file with errors refused whole with each
//! error located.

use zjtx_sheet::guard::XlsxLimits;
use zjtx_sheet::projects::read_projects;
use zjtx_sheet::{Format, SheetError};

const HEADER: [&str; 6] = [
    "项目类别",
    "uscc",
    "设备投资（万元）",
    "software",
    "所属区县",
    "持有称号",
];
const ROWS: [[&str; 6]; 2] = [
    [
        "技术改造",
        "91350100M000100Y43",
        "800",
        "100.5",
        "西湖区",
        "srdi、giant",
    ],
    ["首台套", "91350100M000100Y43", "1500", "", "330108", ""],
];

#[test]
fn csv_and_xlsx_read_the_same() {
    let mut csv = HEADER.join(",") + "\n";
    for r in ROWS {
        csv += &(r.join(",") + "\n");
    }
    csv += ",,,,,\n";
    let from_csv = read_projects(csv.as_bytes(), Format::Csv, &XlsxLimits::LOCAL)
        .unwrap_or_else(|e| panic!("{e}"));

    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    for (r, row) in ROWS.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32 + 1, c as u16, *v)
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
    let bytes = wb.save_to_buffer().unwrap_or_else(|e| panic!("{e}"));
    let from_xlsx = read_projects(bytes.as_slice(), Format::Xlsx, &XlsxLimits::LOCAL)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(from_csv, from_xlsx);
    assert_eq!(from_csv.len(), 2);
    let (f, p) = &from_csv[0];
    assert_eq!(f.district.as_deref(), Some("330106"));
    assert_eq!(f.titles, vec!["srdi".to_owned(), "giant".to_owned()]);
    assert_eq!(p.category.as_deref(), Some("tech_upgrade"));
    assert_eq!(p.software.map(|w| w.to_string()).as_deref(), Some("100.5"));
    assert_eq!(p.technology, None, "a column not in the file is blank");
    assert_eq!(from_csv[1].1.category.as_deref(), Some("first_unit"));
}

#[test]
fn errors_are_located_and_nothing_is_kept() {
    let csv = "uscc,equipment,unknown_col\n";
    match read_projects(csv.as_bytes(), Format::Csv, &XlsxLimits::LOCAL) {
        Err(SheetError::Refused { errors }) => {
            let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
            assert!(all.iter().any(|e| e.contains("unknown_col")), "{all:?}");
        }
        other => panic!("{other:?}"),
    }
    let csv = "uscc,equipment,cover_year\n91350100M000100Y43,-5,0\n91350100M000100Y43,5,2\n";
    match read_projects(csv.as_bytes(), Format::Csv, &XlsxLimits::LOCAL) {
        Err(SheetError::Refused { errors }) => {
            let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
            assert_eq!(
                all.iter()
                    .map(|e| e.split(':').next().unwrap_or(""))
                    .collect::<Vec<_>>(),
                vec!["row 2, column equipment", "row 2, column cover_year"],
                "{all:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        read_projects("".as_bytes(), Format::Csv, &XlsxLimits::LOCAL),
        Err(SheetError::Refused { .. })
    ));
}
