//! Template import and result export: located errors, refusal without side effects, and agreement
//! of the CSV, XLSX and JSON outputs.

use std::path::{Path, PathBuf};

use calamine::Reader;
use chrono::NaiveDate;
use proptest::prelude::*;
use zjtx_core::rules::{Embedded, RuleSet, load_all};
use zjtx_core::synth::Generator;
use zjtx_sheet::SheetError;
use zjtx_sheet::pipeline::{EvalOptions, evaluate_file};
use zjtx_sheet::read::TemplateReader;

fn sets() -> Vec<RuleSet> {
    load_all(&Embedded).unwrap_or_else(|e| panic!("{e}"))
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("zjtx-sheet-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    d
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default()
}

fn run(
    input: &Path,
    output: &Path,
    skip: bool,
) -> Result<zjtx_sheet::pipeline::EvalReport, SheetError> {
    let sets = sets();
    evaluate_file(
        input,
        output,
        &EvalOptions {
            as_of: as_of(),
            sets: sets.iter().collect(),
            skip_invalid: skip,
        },
    )
}

const GOOD1: &str = "91350100M000100Y43";

fn uscc(n: u32) -> String {
    let body = format!("9133010{:010}", n);
    zjtx_core::ids::Uscc::with_check(body.as_bytes().try_into().unwrap_or(&[b'0'; 17]))
        .map(|u| u.to_string())
        .unwrap_or_default()
}

#[test]
fn every_error_of_a_file_is_reported_at_once_with_row_and_column_and_nothing_is_written() {
    let d = tmpdir("errors");
    let input = d.join("in.csv");
    let out = d.join("out.csv");
    std::fs::write(&out, "earlier results\n").unwrap_or_else(|e| panic!("{e}"));
    let u2 = uscc(2);
    let csv = format!(
        "uscc,name,industry_code,revenue,main_revenue,award_level,award_rank,备注\n\
         {GOOD1},甲,C3981,100,90,none,,ok\n\
         {u2},乙,C3981,\"12,3x\",,,,\n\
         91350100M000100Y44,丙,C3981,1,,,,\n\
         {GOOD1},丁,C3981,1,,,,\n\
         {},戊,C6513,1,,,,\n\
         {},己,C3981,10,20,provincial,,\n",
        uscc(5),
        uscc(6)
    );
    std::fs::write(&input, csv).unwrap_or_else(|e| panic!("{e}"));
    let errors = match run(&input, &out, false) {
        Err(SheetError::Refused { errors }) => errors,
        other => panic!("expected a refusal, got {other:?}"),
    };
    let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    let has = |s: &str| text.iter().any(|t| t.contains(s));
    assert!(
        has("row 3, column revenue: \"12,3x\" is not a number"),
        "{text:#?}"
    );
    assert!(
        has("row 4, column uscc: \"91350100M000100Y44\" has check character 4"),
        "{text:#?}"
    );
    assert!(
        has("row 5, column uscc: 91350100M000100Y43 is repeated: already used in row 2"),
        "{text:#?}"
    );
    assert!(
        has(
            "row 6, column industry_code: \"C6513\" has section C, but division 65 belongs to section I"
        ),
        "{text:#?}"
    );
    assert!(
        has("row 7, column main_revenue: 20 is larger than revenue (10)"),
        "{text:#?}"
    );
    assert!(has("row 7, column award_rank: is required"), "{text:#?}");
    assert!(has("row 7, column award_year: is required"), "{text:#?}");
    assert_eq!(errors.len(), 7, "{text:#?}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap_or_default(),
        "earlier results\n",
        "a refused file leaves the output untouched"
    );
    assert!(!d.join("out.csv.partial").exists());

    // With skip_invalid the good rows are evaluated (row 2 only) and the bad ones reported.
    let report = run(&input, &out, true).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.rows, report.evaluated, report.written), (6, 1, 2));
    assert_eq!(report.skipped.len(), 7);
    assert_eq!(report.unknown_columns, vec!["column 8 \"备注\"".to_owned()]);
    let written = std::fs::read_to_string(&out).unwrap_or_default();
    assert_eq!(written.lines().count(), 3, "{written}");
    assert!(written.lines().nth(1).is_some_and(|l| l.starts_with(GOOD1)));
}

#[test]
fn a_bom_chinese_headers_in_any_order_and_keys_in_any_case_are_read() {
    let d = tmpdir("bom");
    let input = d.join("in.csv");
    let csv = format!(
        "\u{feff}企业名称,UsCC,国民经济行业代码,上年度营业收入,近两年新增股权融资额（合格机构投资者实缴）,细分市场占有率(%)\n甲,{},3981,5000,0,12.5\n",
        GOOD1.to_lowercase()
    );
    std::fs::write(&input, csv).unwrap_or_else(|e| panic!("{e}"));
    let mut r = TemplateReader::open(&input).unwrap_or_else(|e| panic!("{e}"));
    let chunk = r
        .next_parsed(10)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no rows"));
    let (row, e) = chunk
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no rows"));
    let e = e.unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(row, 2);
    assert_eq!(e.uscc.to_string(), GOOD1);
    assert_eq!(e.industry_code.to_string(), "C3981");
    assert_eq!(e.revenue.map(|w| w.to_string()), Some("5000".into()));
    assert_eq!(e.market_share.map(|w| w.to_string()), Some("12.5".into()));
}

#[test]
fn a_file_without_a_required_column_or_with_a_column_twice_is_refused_at_its_header() {
    let d = tmpdir("header");
    let input = d.join("in.csv");
    std::fs::write(&input, "uscc,name,revenue,上年度营业收入\n").unwrap_or_else(|e| panic!("{e}"));
    let Err(SheetError::Refused { errors }) = TemplateReader::open(&input) else {
        panic!("expected refusal")
    };
    let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("row 1, column revenue: the column is given twice")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("row 1, column industry_code: the required column is missing")),
        "{text:?}"
    );
}

#[test]
fn rows_longer_than_the_header_and_invalid_utf8_are_located_errors() {
    let d = tmpdir("ragged");
    let input = d.join("in.csv");
    let mut bytes = format!(
        "uscc,name,industry_code\n{GOOD1},甲,C3981,extra\n{},",
        uscc(9)
    )
    .into_bytes();
    bytes.extend_from_slice(b"\xff\xfe,C3981\n");
    std::fs::write(&input, bytes).unwrap_or_else(|e| panic!("{e}"));
    let Err(SheetError::Refused { errors }) = run(&input, &d.join("o.csv"), false) else {
        panic!("expected refusal")
    };
    let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert!(
        text.iter()
            .any(|t| t.starts_with("row 2: has 4 cells but the header has 3")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.starts_with("row 3, column name: is not valid UTF-8")),
        "{text:?}"
    );
    assert_eq!(
        text.iter()
            .filter(|t| t.starts_with("row 3, column name"))
            .count(),
        1,
        "one error for the cell, not also 'is required': {text:?}"
    );
}

/// A CSV saved by Excel in China (GBK, a subset of GB18030) reads as its UTF-8 twin does; a file
/// of neither keeps its bytes, so each cell that is not text is reported where it stands.
#[test]
fn a_gbk_csv_reads_as_its_utf8_twin() {
    let text = format!(
        "企业名称,统一社会信用代码,国民经济行业代码,上年度营业收入\n杭州甲光电有限公司,{GOOD1},C3981,5000\n"
    );
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gbk).is_err(), "not UTF-8");
    let read = |bytes: Vec<u8>| {
        zjtx_sheet::read::read_whole("in.csv", bytes).unwrap_or_else(|e| panic!("{e}"))
    };
    let from_gbk = read(gbk.into_owned());
    let from_utf8 = read(text.clone().into_bytes());
    assert!(from_gbk.errors.is_empty(), "{:?}", from_gbk.errors);
    assert_eq!(from_gbk.rows.len(), 1);
    assert_eq!(from_gbk.rows[0].1.name, "杭州甲光电有限公司");
    assert_eq!(from_gbk.rows, from_utf8.rows);
    // UTF-8 stays as it is; bytes that are neither stay as they are.
    assert_eq!(
        zjtx_sheet::read::as_utf8(text.clone().into_bytes()),
        text.into_bytes()
    );
    let broken = b"uscc,name\n\x81\x20".to_vec();
    assert_eq!(zjtx_sheet::read::as_utf8(broken.clone()), broken);
}

fn write_city(d: &Path, n: usize) -> (PathBuf, PathBuf) {
    let csv = d.join("city.csv");
    let xlsx = d.join("city.xlsx");
    let f = std::fs::File::create(&csv).unwrap_or_else(|e| panic!("{e}"));
    zjtx_sheet::write::write_enterprises_csv(f, Generator::new(11, 2025).take(n))
        .unwrap_or_else(|e| panic!("{e}"));
    zjtx_sheet::write::write_enterprises_xlsx(&xlsx, Generator::new(11, 2025).take(n))
        .unwrap_or_else(|e| panic!("{e}"));
    (csv, xlsx)
}

fn csv_rows(p: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(p).unwrap_or_else(|e| panic!("{e}"));
    r.records()
        .map(|x| {
            x.unwrap_or_else(|e| panic!("{e}"))
                .iter()
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

#[test]
fn xlsx_and_csv_inputs_of_the_same_city_give_the_same_results() {
    let d = tmpdir("xlsx-in");
    let (csv, xlsx) = write_city(&d, 300);
    run(&csv, &d.join("a.csv"), false).unwrap_or_else(|e| panic!("{e}"));
    run(&xlsx, &d.join("b.csv"), false).unwrap_or_else(|e| panic!("{e}"));
    let (a, b) = (csv_rows(&d.join("a.csv")), csv_rows(&d.join("b.csv")));
    assert_eq!(a.len(), 600);
    assert_eq!(a, b);
}

#[test]
fn the_csv_xlsx_and_json_outputs_agree() {
    let d = tmpdir("outputs");
    let (csv, _) = write_city(&d, 200);
    for out in ["r.csv", "r.xlsx", "r.json"] {
        run(&csv, &d.join(out), false).unwrap_or_else(|e| panic!("{out}: {e}"));
    }
    let from_csv = csv_rows(&d.join("r.csv"));
    let mut wb = calamine::open_workbook_auto(d.join("r.xlsx")).unwrap_or_else(|e| panic!("{e}"));
    let range = wb
        .worksheet_range("results")
        .unwrap_or_else(|e| panic!("{e}"));
    let from_xlsx: Vec<Vec<String>> = range
        .rows()
        .skip(1)
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("r.json")).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
    let arr = json.as_array().unwrap_or_else(|| panic!("not an array"));
    let from_json: Vec<Vec<String>> = arr
        .iter()
        .map(|o| {
            zjtx_sheet::write::OUTPUT_KEYS
                .iter()
                .map(|k| match &o[*k] {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Array(a) => a
                        .iter()
                        .filter_map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(";"),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    assert_eq!(from_csv.len(), 400);
    assert_eq!(from_csv, from_xlsx);
    assert_eq!(from_csv, from_json);
    assert!(
        arr.iter()
            .all(|o| o["trace"].as_array().is_some_and(|t| t.len() > 40)),
        "JSON rows carry the full trace"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A malformed file, CSV or XLSX, is an error and never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000), xlsx in any::<bool>(), header in any::<bool>()) {
        let d = tmpdir(&format!("fuzz-{}", bytes.len()));
        let input = d.join(if xlsx { "in.xlsx" } else { "in.csv" });
        let mut data = if header && !xlsx { b"uscc,name,industry_code,revenue\n".to_vec() } else { Vec::new() };
        data.extend_from_slice(&bytes);
        std::fs::write(&input, &data).unwrap_or_else(|e| panic!("{e}"));
        let out = d.join("out.csv");
        let _ = run(&input, &out, false);
        let _ = run(&input, &out, true);
        prop_assert!(!d.join("out.csv.partial").exists());
    }
}

/// Regression: with the repeat check deferred to the end of a strict run, a file whose only error
/// is a repeated code must still be refused, with the later row named, and leave no output.
#[test]
fn a_file_whose_only_error_is_a_repeated_code_is_refused() {
    let d = tmpdir("only-repeat");
    let input = d.join("in.csv");
    let out = d.join("out.csv");
    let rows: Vec<String> = (0..40_000)
        .map(|i| format!("{},n{i},C3981", uscc(i)))
        .collect();
    let mut csv = format!("uscc,name,industry_code\n{}\n", rows.join("\n"));
    csv.push_str(&format!("{},again,C3981\n", uscc(17)));
    std::fs::write(&input, csv).unwrap_or_else(|e| panic!("{e}"));
    match run(&input, &out, false) {
        Err(SheetError::Refused { errors }) => {
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].row, 40_002);
            assert!(
                errors[0]
                    .to_string()
                    .contains("is repeated: already used in row 19"),
                "{}",
                errors[0]
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(!out.exists() && !d.join("out.csv.partial").exists());
    let report = run(&input, &out, true).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.evaluated, report.skipped.len()), (40_000, 1));
}

/// A CSV file evaluated whole is read block by block (`run_streamed`), each block parsed,
/// evaluated and rendered by one task; with `skip_invalid` it goes chunk by chunk (`run`). On a
/// file of several blocks the two write the same bytes, and on one with errors in several blocks
/// (a repeat across blocks among them) report the same errors as the web's reading of the file.
#[test]
fn a_file_of_many_blocks_is_evaluated_the_same_block_by_block_and_chunk_by_chunk() {
    let d = tmpdir("streamed");
    let (csv, _) = write_city(&d, 3_000);
    let len = std::fs::metadata(&csv).map(|m| m.len()).unwrap_or(0);
    assert!(
        len > 3 * zjtx_sheet::blocks::BLOCK_BYTES as u64,
        "{len} bytes: several blocks"
    );
    for out in [
        "streamed.csv",
        "chunked.csv",
        "streamed.json",
        "chunked.json",
    ] {
        let report = run(&csv, &d.join(out), out.starts_with("chunked"))
            .unwrap_or_else(|e| panic!("{out}: {e}"));
        assert_eq!(
            (report.rows, report.evaluated, report.written),
            (3_000, 3_000, 6_000),
            "{out}"
        );
    }
    for ext in ["csv", "json"] {
        let a = std::fs::read(d.join(format!("streamed.{ext}"))).unwrap_or_default();
        let b = std::fs::read(d.join(format!("chunked.{ext}"))).unwrap_or_default();
        assert!(a.len() > 1_000, "{ext}");
        assert!(a == b, "{ext}: the two runs wrote different bytes");
    }

    // Errors in the first, middle and last blocks, and a code repeated far from its first use.
    let text = std::fs::read_to_string(&csv).unwrap_or_default();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let cell = |line: &str, i: usize| line.split(',').nth(i).unwrap_or_default().to_owned();
    let header: Vec<String> = lines[0].split(',').map(str::to_owned).collect();
    let col = |k: &str| header.iter().position(|h| h == k).unwrap_or(usize::MAX);
    let (uscc_at, emp_at) = (col("uscc"), col("employees"));
    let spoil = |line: &mut String, at: usize, with: &str| {
        let mut cells: Vec<String> = line.split(',').map(str::to_owned).collect();
        cells[at] = with.to_owned();
        *line = cells.join(",");
    };
    let first_code = cell(&lines[10], uscc_at);
    for (i, with) in [(3, "many"), (1_500, "-4"), (2_990, "1.5")] {
        spoil(&mut lines[i], emp_at, with);
    }
    spoil(&mut lines[2_500], uscc_at, &first_code);
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
    let streamed = match run(&csv, &d.join("bad.csv"), false) {
        Err(SheetError::Refused { errors }) => errors,
        other => panic!("expected a refusal, got {other:?}"),
    };
    let chunked = run(&csv, &d.join("bad.csv"), true)
        .unwrap_or_else(|e| panic!("{e}"))
        .skipped;
    let whole = zjtx_sheet::read::read_whole("city.csv", std::fs::read(&csv).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"))
        .errors;
    let rows = |es: &[zjtx_core::enterprise::CellError]| {
        let mut v: Vec<String> = es.iter().map(|e| e.to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(streamed.len(), 4, "{:#?}", rows(&streamed));
    assert_eq!(
        streamed.iter().map(|e| e.row).collect::<Vec<_>>(),
        vec![4, 1_501, 2_501, 2_991],
        "in file order"
    );
    assert_eq!(rows(&streamed), rows(&whole));
    assert_eq!(rows(&streamed), rows(&chunked));
    assert!(!d.join("bad.csv.partial").exists());
}
