//! Hostile workbooks: each is refused with the bound it passed, and reading all of them in this
//! process keeps the peak memory (VmHWM, printed) far below what they ask for. This file holds one
//! test so that the process's peak is this test's alone.

use std::io::Write;

use zjtx_sheet::SheetError;
use zjtx_sheet::guard::{Exceeded, XlsxLimits};
use zjtx_sheet::read::read_whole;

/// The template's header row as inline-string cells of row 1.
fn header_row() -> String {
    let mut row = String::from("<row r=\"1\">");
    for (i, h) in ["uscc", "name", "district", "year"].iter().enumerate() {
        let col = (b'A' + i as u8) as char;
        row.push_str(&format!(
            "<c r=\"{col}1\" t=\"inlineStr\"><is><t>{h}</t></is></c>"
        ));
    }
    row.push_str("</row>");
    row
}

/// A workbook whose first sheet's `<sheetData>` is `rows`, with `dimension` and any extra parts.
fn workbook(dimension: &str, rows: &[&[u8]], extra: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9));
    let parts: [(&str, &str); 4] = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
    ];
    for (name, text) in parts {
        zip.start_file(name, opts).expect("zip");
        zip.write_all(text.as_bytes()).expect("zip");
    }
    zip.start_file("xl/worksheets/sheet1.xml", opts)
        .expect("zip");
    zip.write_all(
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>"#
        )
        .as_bytes(),
    )
    .expect("zip");
    for r in rows {
        zip.write_all(r).expect("zip");
    }
    zip.write_all(b"</sheetData></worksheet>").expect("zip");
    for (name, bytes) in extra {
        zip.start_file(*name, opts).expect("zip");
        zip.write_all(bytes).expect("zip");
    }
    zip.finish().expect("zip").into_inner()
}

fn refused_with(bytes: Vec<u8>) -> Exceeded {
    match read_whole("upload.xlsx", bytes) {
        Err(SheetError::TooLarge(x)) => x,
        Err(e) => panic!("refused, but not for its size: {e}"),
        Ok(w) => panic!("read {} rows of a hostile workbook", w.rows.len()),
    }
}

/// The peak resident memory of this process so far, in MiB (Linux).
fn peak_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

#[test]
fn hostile_workbooks_are_refused_for_the_bound_they_pass_and_memory_stays_bounded() {
    let header = header_row();

    // One cell at the last column and row Excel has: a rectangle reader would ask for 512 GB.
    let far = workbook(
        "A1:XFD1048576",
        &[
            header.as_bytes(),
            b"<row r=\"1048576\"><c r=\"XFD1048576\"><v>1</v></c></row>",
        ],
        &[],
    );
    assert!(
        far.len() < 4096,
        "the far-corner file is {} bytes",
        far.len()
    );
    println!("far corner: {} bytes", far.len());
    assert_eq!(refused_with(far), Exceeded::Cols(XlsxLimits::UPLOAD.cols));

    // The far row in a column the template could have.
    let deep = workbook(
        "A1:A1048576",
        &[
            header.as_bytes(),
            b"<row r=\"1048576\"><c r=\"A1048576\"><v>1</v></c></row>",
        ],
        &[],
    );
    assert_eq!(refused_with(deep), Exceeded::Rows(XlsxLimits::UPLOAD.rows));

    // A small file of three million rows.
    let row = b"<row><c t=\"inlineStr\"><is><t>x</t></is></c></row>".repeat(3_000_000);
    let bomb = workbook("A1:A3000001", &[header.as_bytes(), &row], &[]);
    drop(row);
    println!("three million rows: {} bytes", bomb.len());
    assert!(bomb.len() < 2 << 20, "the row bomb is {} bytes", bomb.len());
    assert_eq!(refused_with(bomb), Exceeded::Rows(XlsxLimits::UPLOAD.rows));

    // A part that unpacks to a gigabyte of blanks: refused while unpacking, nothing kept.
    let blanks = vec![b' '; 64 << 20];
    let chunks: Vec<&[u8]> = std::iter::repeat_n(blanks.as_slice(), 16).collect();
    let mut rows: Vec<&[u8]> = vec![header.as_bytes()];
    rows.extend(chunks);
    let gigabyte = workbook("A1:D1", &rows, &[]);
    drop(blanks);
    println!("a gigabyte unpacked: {} bytes", gigabyte.len());
    assert!(
        gigabyte.len() < 4 << 20,
        "the gigabyte bomb is {} bytes",
        gigabyte.len()
    );
    assert_eq!(
        refused_with(gigabyte),
        Exceeded::Unpacked(XlsxLimits::UPLOAD.unpacked)
    );

    // Shared strings that declare a count a reader would reserve room for.
    let sst = br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="999999999999999"><si><t>x</t></si></sst>"#;
    let strings = workbook(
        "A1:D1",
        &[header.as_bytes()],
        &[("xl/sharedStrings.xml", sst.to_vec())],
    );
    assert_eq!(
        refused_with(strings),
        Exceeded::Strings(999_999_999_999_999)
    );

    // Too many parts.
    let parts: Vec<(String, Vec<u8>)> = (0..=XlsxLimits::UPLOAD.parts)
        .map(|i| (format!("xl/media/p{i}.bin"), Vec::new()))
        .collect();
    let parts: Vec<(&str, Vec<u8>)> = parts.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let many = workbook("A1:D1", &[header.as_bytes()], &parts);
    assert_eq!(
        refused_with(many),
        Exceeded::Parts(XlsxLimits::UPLOAD.parts)
    );

    // Within every bound, the same kind of file is read: the guard refuses by size, not by shape.
    let fine = workbook(
        "A1:D2",
        &[
            header.as_bytes(),
            b"<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>x</t></is></c></row>",
        ],
        &[],
    );
    match read_whole("upload.xlsx", fine) {
        Ok(_) | Err(SheetError::Refused { .. }) => {}
        Err(e) => panic!("a small workbook was refused for its size: {e}"),
    }

    if let Some(peak) = peak_mib() {
        println!("peak resident memory after every hostile workbook: {peak} MiB");
        // The files ask for up to 512 GB; the test itself holds about 200 MB of its own inputs.
        assert!(peak < 768, "peak resident memory {peak} MiB");
    }
}
