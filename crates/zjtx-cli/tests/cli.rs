//! The `zjtx` binary as a person uses it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn zjtx(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zjtx"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("zjtx-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
    d
}

fn p(path: &Path) -> &str {
    path.to_str()
        .unwrap_or_else(|| panic!("non-UTF-8 temp path"))
}

/// A firm with R&D intensity 2.1% at revenue 10000 (fails ZX22-2b by 90万) and otherwise strong.
const ONE: &str = "uscc,name,industry_code,year,niche_since,employees,rd_staff,revenue,revenue_prev,main_revenue,main_revenue_prev,main_revenue_prev2,rd_expense,rd_expense_prev,total_assets,total_liabilities,ip1,ip1_applied,rd_institution,abnormal_list,dishonest_list,restricted_products,incident_3y,security_incident_3y,quality_incident_3y,environment_violation_3y,tax_violation_3y\n\
91350100M000100Y43,杭州样例科技有限公司,C3981,2025,2015,100,30,10000,9000,9500,8500,8000,210,200,10000,3000,3,2,provincial,0,0,0,none,0,0,0,0\n";

#[test]
fn generate_is_deterministic_for_a_seed() {
    let d = tmpdir("gen");
    for (f, seed) in [("a.csv", "5"), ("b.csv", "5"), ("c.csv", "6")] {
        let o = zjtx(&[
            "generate",
            "--rows",
            "200",
            "--seed",
            seed,
            "--year",
            "2025",
            "-o",
            p(&d.join(f)),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
    let r = |f: &str| std::fs::read(d.join(f)).unwrap_or_default();
    assert_eq!(r("a.csv"), r("b.csv"));
    assert_ne!(r("a.csv"), r("c.csv"));
    assert_eq!(text(&r("a.csv")).lines().count(), 201);
}

#[test]
fn evaluate_writes_one_row_per_enterprise_and_rule_set_and_picks_the_set_by_date() {
    let d = tmpdir("eval");
    let input = d.join("one.csv");
    std::fs::write(&input, ONE).unwrap_or_else(|e| panic!("{e}"));
    let o = zjtx(&[
        "evaluate",
        p(&input),
        "--as-of",
        "2026-03-01",
        "--rules",
        "both",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "uscc,rules,size,innovative,tech_sme,srdi,giant,innovative_score,innovative_route,tech_sme_score,srdi_score,srdi_failed,giant_failed,top_tier"
    );
    assert_eq!(lines.len(), 3);
    assert!(lines[1].starts_with("91350100M000100Y43,miit-2022,"));
    assert!(lines[2].starts_with("91350100M000100Y43,miit-2026,"));
    assert!(lines[1].contains("ZX22-2b"), "{}", lines[1]);
    for (date, set) in [("2026-03-31", "miit-2022"), ("2026-04-01", "miit-2026")] {
        let o = zjtx(&["evaluate", p(&input), "--as-of", date]);
        let out = text(&o.stdout);
        assert_eq!(out.lines().count(), 2);
        assert!(
            out.lines().nth(1).is_some_and(|l| l.contains(set)),
            "{date}: {out}"
        );
    }
}

#[test]
fn a_file_with_errors_is_refused_with_every_error_and_a_non_zero_exit_unless_skip_invalid() {
    let d = tmpdir("refuse");
    let input = d.join("bad.csv");
    let out = d.join("out.xlsx");
    std::fs::write(
        &input,
        format!("{ONE}91350100M000100Y44,坏,C3981,2025,,,,abc\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let o = zjtx(&["evaluate", p(&input), "-o", p(&out)]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("row 3, column uscc: \"91350100M000100Y44\" has check character 4, GB 32100-2015 gives 3"), "{err}");
    assert!(
        err.contains("row 3, column revenue: \"abc\" is not a number"),
        "{err}"
    );
    assert!(
        !out.exists(),
        "a refused file leaves the output path untouched"
    );
    let o = zjtx(&["evaluate", p(&input), "-o", p(&out), "--skip-invalid"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("skipped: row 3, column uscc"));
    assert!(out.exists());
}

#[test]
fn explain_prints_a_chinese_scorecard_with_clauses_and_quantified_gaps() {
    let d = tmpdir("explain");
    let input = d.join("one.csv");
    std::fs::write(&input, ONE).unwrap_or_else(|e| panic!("{e}"));
    let o = zjtx(&[
        "explain",
        p(&input),
        "--uscc",
        "91350100m000100y43",
        "--as-of",
        "2026-03-01",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    for want in [
        "杭州样例科技有限公司",
        "【专精特新中小企业】不符合",
        "ZX22-2b",
        "研发费用占营业收入比重 2.1%，需 ≥ 3%：在当前上年度营业收入下上年度研发费用需增加 90万",
        "依据: 63号 附件2 一(二)：研发费用占营业收入总额比重不低于3%",
        "【距下一梯度的差距：专精特新中小企业】",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    let o = zjtx(&[
        "explain",
        p(&input),
        "--uscc",
        "91350100M000100Y43",
        "--as-of",
        "2026-03-01",
        "--lang",
        "en",
    ]);
    assert!(
        text(&o.stdout)
            .contains("R&D intensity 2.1%, needs 3%: +90万 of R&D expense (last year) at the current revenue (last year)"),
        "{}",
        text(&o.stdout)
    );
    let o = zjtx(&["explain", p(&input), "--uscc", "91330100MA0000000X"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_rules_directory_changes_a_parameter_without_recompiling_and_a_malformed_one_is_a_clear_error()
{
    let d = tmpdir("rules");
    let input = d.join("one.csv");
    std::fs::write(&input, ONE).unwrap_or_else(|e| panic!("{e}"));
    let rules = d.join("rules");
    std::fs::create_dir_all(&rules).unwrap_or_else(|e| panic!("{e}"));
    let base = zjtx_core::rules::EMBEDDED_FILES
        .iter()
        .find(|(n, _)| *n == "miit-2022.toml")
        .map(|(_, t)| *t)
        .unwrap_or_default();
    std::fs::write(
        rules.join("miit-2022.toml"),
        base.replace("min_intensity = \"3%\"", "min_intensity = \"2%\""),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let o = zjtx(&[
        "evaluate",
        p(&input),
        "--as-of",
        "2026-03-01",
        "--rules-dir",
        p(&rules),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        !text(&o.stdout).contains("ZX22-2b"),
        "with 2% the firm meets ZX22-2b: {}",
        text(&o.stdout)
    );
    std::fs::write(rules.join("common.toml"), "[size]\nclause = 3\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let o = zjtx(&["evaluate", p(&input), "--rules-dir", p(&rules)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("rule file common.toml"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn the_template_has_chinese_headers_validation_and_an_explanation_sheet() {
    use calamine::Reader;
    let d = tmpdir("template");
    let t = d.join("template.xlsx");
    let o = zjtx(&["template", "-o", p(&t)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let mut wb = calamine::open_workbook_auto(&t).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        wb.sheet_names(),
        vec!["企业数据".to_owned(), "填写说明".to_owned()]
    );
    let data = wb
        .worksheet_range("企业数据")
        .unwrap_or_else(|e| panic!("{e}"));
    let headers: Vec<String> = data
        .rows()
        .next()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .unwrap_or_default();
    assert_eq!(headers.len(), zjtx_core::enterprise::COLUMNS.len());
    assert_eq!(headers[0], "统一社会信用代码");
    assert!(headers.contains(&"近两年新增股权融资额(合格机构投资者实缴)".to_owned()));
    let help = wb
        .worksheet_range("填写说明")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(help.rows().count() > zjtx_core::enterprise::COLUMNS.len());
    // Data validation lives in the sheet XML, which calamine does not read: look at it directly.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&t).unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut xml = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap_or_else(|e| panic!("{e}"))
        .read_to_string(&mut xml)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        xml.contains("<dataValidations"),
        "no data validation in the template"
    );
    assert!(
        xml.contains("是,否") || xml.contains("&quot;是,否&quot;"),
        "yes/no lists missing"
    );
    // The template reads back as a valid (empty) input.
    let o = zjtx(&["evaluate", p(&t)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn accounts_get_passwords_only_under_the_policy() {
    let d = tmpdir("users");
    let data = p(&d);
    for (pw, why) in [
        ("aaaaaaaaaa", "two kinds"),
        ("short-1", "at least 10"),
        ("qwerty123456", "too common"),
        ("auditor-2026-desk", "contains the user name"),
    ] {
        let o = zjtx(&[
            "user",
            "--data",
            data,
            "add",
            "auditor",
            "--role",
            "city",
            "--region",
            "330100",
            "--password",
            pw,
        ]);
        assert!(!o.status.success(), "{pw} was accepted");
        let err = text(&o.stderr);
        assert!(
            err.contains(why) || (why == "contains the user name" && err.contains("user name")),
            "{pw}: {err}"
        );
    }
    let o = zjtx(&[
        "user",
        "--data",
        data,
        "add",
        "auditor",
        "--role",
        "city",
        "--region",
        "330100",
        "--password",
        "Westlake-ledger-9",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = zjtx(&[
        "user",
        "--data",
        data,
        "passwd",
        "auditor",
        "--password",
        "1111111111",
    ]);
    assert!(!o.status.success());
}

#[test]
fn audit_verify_reports_an_intact_chain() {
    let d = tmpdir("audit");
    let data = p(&d);
    let o = zjtx(&[
        "user",
        "--data",
        data,
        "add",
        "auditor",
        "--role",
        "city",
        "--region",
        "330100",
        "--password",
        "Westlake-ledger-9",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = zjtx(&["audit-verify", "--data", data]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("chain intact"), "{out}");
}

/// Issue 13: `zjtx forecast` over a projects file (Chinese headers accepted): the table and the
/// JSON agree with awards worked by hand, a second parameter set sits beside the first, the budget
/// breach is named, and a file with errors is refused with each error located (exit 1).
#[test]
fn forecast_a_programme_over_a_projects_file() {
    let d = tmpdir("forecast");
    let file = d.join("projects.csv");
    // Two eligible projects of a priority industry (1050 → 210; 2000 → 400), one of another
    // industry (2000 → 200), one registered too early, one of another category.
    std::fs::write(
        &file,
        "统一社会信用代码,项目名称,项目类别,备案日期,设备投资（万元）,技术投资（万元）,软件投资（万元）,所属区县,国民经济行业代码,持有称号\n\
91350100M000100Y43,甲,技术改造,2019-05-01,800,150,100,西湖区,C3981,srdi\n\
91350100M000100Y43,乙,tech_upgrade,2020-01-01,2000,0,0,330106,C3511,srdi\n\
91350100M000100Y43,丙,tech_upgrade,2021-01-01,2000,0,0,330108,C1711,\n\
91350100M000100Y43,丁,tech_upgrade,2017-01-01,9000,0,0,330108,C3981,\n\
91350100M000100Y43,戊,g5,2021-01-01,9000,0,0,330108,C3981,\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let o = zjtx(&[
        "forecast",
        "tech-upgrade-2026",
        p(&file),
        "--as-of",
        "2026-06-01",
        "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}"));
    let f = &v[0];
    assert_eq!(f["projects"], 5);
    assert_eq!(f["eligible"]["recipients"], 3);
    assert_eq!(f["eligible"]["amount"], "810");
    assert_eq!(f["eligible"]["city"], "405");
    assert_eq!(f["by_district"]["330106"]["amount"], "610");
    assert_eq!(f["by_tier"]["srdi"]["recipients"], 2);
    assert!(f["city_breach"].is_null());

    // A tighter copy of the programme: the breach, side by side.
    let tight = d.join("tight.toml");
    let text_of = zjtx_core_programme_text();
    std::fs::write(
        &tight,
        text_of.replace("city = \"40000\"", "city = \"300\""),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let o = zjtx(&[
        "forecast",
        "tech-upgrade-2026",
        p(&file),
        "--as-of",
        "2026-06-01",
        "--compare",
        p(&tight),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let breach = out
        .lines()
        .find(|l| l.starts_with("city budget breach"))
        .unwrap_or_default();
    assert!(
        breach.contains('-') && breach.trim_end().ends_with("105"),
        "{out}"
    );

    // Errors, each located; nothing forecast.
    std::fs::write(
        &file,
        "uscc,category,equipment,registered_on\n91350100M000100Y43,tech_upgrade,一千,2020-13-01\nnot-a-code,gift,5,\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let o = zjtx(&["forecast", "tech-upgrade-2026", p(&file)]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    for want in [
        "row 2, column equipment",
        "row 2, column registered_on",
        "row 3, column uscc",
        "row 3, column category",
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
    assert!(o.stdout.is_empty());
    // An unknown programme names the built-in ones.
    let o = zjtx(&["forecast", "no-such", p(&file)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("tech-upgrade-2026"));
}

fn zjtx_core_programme_text() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../zjtx-core/programmes/tech-upgrade-2026.toml"),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// Issue 15: `zjtx import FILE` stores a file as the web's import does — a file with an error is
/// refused whole (located — the file's line 6 —, exit 1, nothing stored); a clean one is stored in
/// one go, and again without creating anything; `--district` refuses a file with other districts' firms.
#[test]
fn import_a_file_into_the_database() {
    let d = tmpdir("import");
    let data = p(&d);
    let file = d.join("city.csv");
    let o = zjtx(&["generate", "--rows", "300", "--seed", "5", "-o", p(&file)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    // A broken copy: one revenue is not a number.
    let good = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
    let header: Vec<&str> = good.lines().next().unwrap_or_default().split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "revenue")
        .unwrap_or_else(|| panic!("revenue"));
    let mut lines: Vec<String> = good.lines().map(str::to_owned).collect();
    let mut cells: Vec<String> = lines[5].split(',').map(str::to_owned).collect();
    cells[col] = "一千万".into();
    lines[5] = cells.join(",");
    let bad = d.join("bad.csv");
    std::fs::write(&bad, lines.join("\n")).unwrap_or_else(|e| panic!("{e}"));
    let o = zjtx(&["import", "--data", data, p(&bad)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    let err = text(&o.stderr);
    assert!(
        err.contains("row 6") && err.contains("revenue") && err.contains("nothing imported"),
        "{err}"
    );
    // The district guard: a city-wide file is refused for one district, nothing stored.
    let o = zjtx(&["import", "--data", data, "--district", "330106", p(&file)]);
    assert!(!o.status.success(), "{}", text(&o.stdout));
    // The clean file.
    let o = zjtx(&["import", "--data", data, "--as-of", "2026-06-01", p(&file)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("imported 300 enterprises (300 new"), "{out}");
    // Imported again: nothing new, the same firms.
    let o = zjtx(&["import", "--data", data, "--as-of", "2026-06-01", p(&file)]);
    assert!(
        text(&o.stdout).contains("imported 300 enterprises (0 new"),
        "{}",
        text(&o.stdout)
    );
}

/// `zjtx backup` then `zjtx restore`: the database and the evidence files come back as they were
/// (the audit chain's head the same, every evidence file's content its name); a backup never
/// goes into a directory that holds something; a restore checks every file first and restores
/// nothing from a damaged backup, and never overwrites a database.
#[test]
fn backup_and_restore() {
    let d = tmpdir("backup");
    let data = d.join("data");
    let evidence = d.join("ev");
    std::fs::create_dir_all(&evidence).unwrap_or_else(|e| panic!("{e}"));
    let file = d.join("city.csv");
    let o = zjtx(&["generate", "--rows", "50", "--seed", "3", "-o", p(&file)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = zjtx(&[
        "import",
        "--data",
        p(&data),
        "--as-of",
        "2026-06-01",
        p(&file),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let mut names = Vec::new();
    for content in ["营业执照扫描件", "研发费用专项审计报告"] {
        use sha2::Digest;
        let name = hex::encode(sha2::Sha256::digest(content.as_bytes()));
        std::fs::write(evidence.join(&name), content).unwrap_or_else(|e| panic!("{e}"));
        names.push(name);
    }
    std::fs::write(evidence.join("x.part"), "half").unwrap_or_else(|e| panic!("{e}"));
    let head = |dir: &Path| {
        let o = zjtx(&["audit-verify", "--data", p(dir)]);
        assert!(o.status.success(), "{}", text(&o.stdout));
        text(&o.stdout)
            .lines()
            .find(|l| l.contains("head"))
            .unwrap_or_default()
            .to_owned()
    };
    let before = head(&data);
    let b1 = d.join("b1");
    let backup = || {
        zjtx(&[
            "backup",
            "--data",
            p(&data),
            "--evidence",
            p(&evidence),
            "--to",
            p(&b1),
        ])
    };
    let o = backup();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(b1.join("MANIFEST.json")).unwrap_or_default(),
    )
    .unwrap_or_default();
    assert_eq!(
        manifest["files"].as_array().map(Vec::len),
        Some(3),
        "the database and two evidence files (not the half-written one): {manifest}"
    );
    let o = backup();
    assert!(
        !o.status.success(),
        "never into a directory that holds something"
    );

    // A damaged backup restores nothing.
    let b2 = d.join("b2");
    std::fs::create_dir_all(b2.join("evidence")).unwrap_or_else(|e| panic!("{e}"));
    for rel in ["MANIFEST.json", "zjtx.db"] {
        std::fs::copy(b1.join(rel), b2.join(rel)).unwrap_or_else(|e| panic!("{e}"));
    }
    for n in &names {
        let rel = format!("evidence/{n}");
        std::fs::copy(b1.join(&rel), b2.join(&rel)).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(b2.join(format!("evidence/{}", names[1])), "篡改")
        .unwrap_or_else(|e| panic!("{e}"));
    let r2 = d.join("r2");
    let o = zjtx(&["restore", "--from", p(&b2), "--data", p(&r2)]);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains(&names[1]), "{}", text(&o.stderr));
    assert!(!r2.join("zjtx.db").exists(), "nothing restored");

    // The backup restores: the same records, every evidence file intact.
    let r1 = d.join("r1");
    let o = zjtx(&["restore", "--from", p(&b1), "--data", p(&r1)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(head(&r1), before, "the audit chain ends in the same record");
    for n in &names {
        use sha2::Digest;
        let bytes = std::fs::read(r1.join("evidence").join(n)).unwrap_or_default();
        assert_eq!(&hex::encode(sha2::Sha256::digest(&bytes)), n);
    }
    let o = zjtx(&["restore", "--from", p(&b1), "--data", p(&r1)]);
    assert!(!o.status.success(), "never over a database");
}

/// `zjtx config example` is the repository's example file (so the file cannot drift from the
/// settings there are), and `zjtx config check` reports every mistake of a file and the
/// environment with where it is, or prints the effective settings with secrets masked.
#[test]
fn config_example_and_check() {
    let example = zjtx(&["config", "example"]);
    assert!(example.status.success());
    let kept = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/zjtx.example.toml"),
    )
    .unwrap_or_default();
    assert_eq!(
        text(&example.stdout),
        kept,
        "deploy/zjtx.example.toml is stale: write it with `zjtx config example`"
    );
    let d = tmpdir("config");
    let bad = d.join("bad.toml");
    std::fs::write(
        &bad,
        "[server]\nlisten = \"nowhere\"\n[limits]\nimport_mb = 0\n[mail]\nsmpt = \"x\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let o = Command::new(env!("CARGO_BIN_EXE_zjtx"))
        .args(["config", "check", "--config", p(&bad)])
        .env("ZJTX_TIME_ZONE", "Asia/Nowhere")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    for want in [
        "`server.listen` = \"nowhere\": expected host:port",
        "`limits.import_mb` = \"0\": expected a whole number from 1 to 1024",
        "`mail.smpt` is not a setting",
        "ZJTX_TIME_ZONE: `time.zone` = \"Asia/Nowhere\"",
    ] {
        assert!(err.contains(want), "{want:?} not in:\n{err}");
    }
    let good = d.join("good.toml");
    std::fs::write(&good, "[server]\nlisten = \"0.0.0.0:8443\"\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let o = Command::new(env!("CARGO_BIN_EXE_zjtx"))
        .args(["config", "check", "--config", p(&good)])
        .env(
            "DATABASE_URL",
            "postgres://zjtx:hunter2-secret@db:5432/zjtx",
        )
        .env("ZJTX_SMTP", "smtp.example.gov.cn:25")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("server.listen = \"0.0.0.0:8443\"  # file"),
        "{out}"
    );
    assert!(
        out.contains("database.url = \"postgres://zjtx:****@db:5432/zjtx\"  # environment"),
        "{out}"
    );
    assert!(!out.contains("hunter2"), "{out}");
}

/// Starts `zjtx serve` on the SQLite database in `data` at a free port, with `env`, its log
/// (standard error) going to `data`.log (a pipe nobody reads would fill and stop it); returns
/// the process, its address and a first connection.
#[cfg(unix)]
fn start_server(
    data: &Path,
    env: &[(&str, &str)],
) -> (std::process::Child, String, std::net::TcpStream) {
    use std::net::{TcpListener, TcpStream};
    use std::time::{Duration, Instant};
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = format!("127.0.0.1:{port}");
    let server = Command::new(env!("CARGO_BIN_EXE_zjtx"))
        .args([
            "serve",
            "--data",
            p(data),
            "--listen",
            &addr,
            "--insecure-cookies",
        ])
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(data.with_extension("log")).unwrap_or_else(|e| panic!("{e}")))
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let start = Instant::now();
    let conn = loop {
        if let Ok(c) = TcpStream::connect(&addr) {
            break c;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    (server, addr, conn)
}

/// A backup taken while the server writes (sign-in attempts, each an audit record) and an import
/// runs restores to a database whose audit chain is whole and holds at least what was written
/// before the backup began; once the writes stop, a backup restores to the same chain head and
/// the same records as the live database.
#[cfg(unix)]
#[test]
fn backup_while_the_server_writes() {
    use std::io::{Read, Write};
    let d = tmpdir("backup-load");
    let data = d.join("data");
    let file = d.join("city.csv");
    let o = zjtx(&["generate", "--rows", "3000", "--seed", "5", "-o", p(&file)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let (mut server, addr, first) = start_server(&data, &[]);
    drop(first);
    let count = |dir: &Path| -> i64 {
        let o = zjtx(&["audit-verify", "--data", p(dir)]);
        assert!(o.status.success(), "{}", text(&o.stdout));
        let out = text(&o.stdout);
        let num = |key: &str| -> i64 {
            out.split(key)
                .nth(1)
                .and_then(|r| {
                    r.split(|c: char| !c.is_ascii_digit())
                        .find(|t| !t.is_empty())
                })
                .and_then(|t| t.parse().ok())
                .unwrap_or(-1)
        };
        num("in the chain: ") + num("not yet sealed: ")
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (stop, addr) = (stop.clone(), addr.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let body = format!("username=nobody{n}&password=wrong-password-1");
                if let Ok(mut c) = std::net::TcpStream::connect(&addr) {
                    let _ = write!(
                        c,
                        "POST /login HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = c.read_to_end(&mut Vec::new());
                }
                n += 1;
            }
            n
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(500));
    let import = Command::new(env!("CARGO_BIN_EXE_zjtx"))
        .args([
            "import",
            "--data",
            p(&data),
            "--as-of",
            "2026-06-01",
            p(&file),
        ])
        .output();
    let before = count(&data);
    let b1 = d.join("b1");
    let o = zjtx(&["backup", "--data", p(&data), "--to", p(&b1)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let attempts = writer.join().unwrap_or_default();
    assert!(attempts > 0);
    let import = import.unwrap_or_else(|e| panic!("{e}"));
    assert!(import.status.success(), "{}", text(&import.stderr));
    let r1 = d.join("r1");
    let o = zjtx(&["restore", "--from", p(&b1), "--data", p(&r1)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let restored = count(&r1);
    assert!(
        restored >= before,
        "the backup holds what was written before it began: {restored} < {before}"
    );

    // Writes over: a backup now is the live database.
    let killed = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(killed.success());
    let _ = server.wait();
    let head = |dir: &Path| {
        let o = zjtx(&["audit-verify", "--data", p(dir)]);
        text(&o.stdout)
            .lines()
            .find(|l| l.contains("head"))
            .unwrap_or_default()
            .to_owned()
    };
    // Records are sealed once settled (SETTLE_SECS): wait, so that this check seals them all
    // and the restored copy has nothing left to seal.
    std::thread::sleep(std::time::Duration::from_secs(
        zjtx_store::SETTLE_SECS as u64 + 1,
    ));
    let live = head(&data);
    let b2 = d.join("b2");
    let o = zjtx(&["backup", "--data", p(&data), "--to", p(&b2)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let r2 = d.join("r2");
    let o = zjtx(&["restore", "--from", p(&b2), "--data", p(&r2)]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(head(&r2), live, "the same chain head");
    assert_eq!(count(&r2), count(&data));
    let users = |dir: &Path| text(&zjtx(&["user", "--data", p(dir), "list", "--json"]).stdout);
    assert_eq!(users(&r2), users(&data));
}

/// `zjtx serve` stopped by SIGTERM while a request is in flight (its body not yet sent): the
/// request is answered, then the server exits cleanly; it takes no new connection meanwhile.
#[cfg(unix)]
#[test]
fn a_stop_signal_lets_the_request_in_flight_finish() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};
    let d = tmpdir("sigterm");
    let (mut server, addr, mut conn) = start_server(&d, &[("ZJTX_LOG_FORMAT", "json")]);
    let start = Instant::now();
    // A request with the proxy's id: its log line (JSON) carries it.
    write!(
        conn,
        "GET /readyz HTTP/1.1\r\nHost: x\r\nX-Request-Id: cli-test-req-0042\r\n\r\n"
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut answer = [0u8; 512];
    let n = conn.read(&mut answer).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        text(&answer[..n]).contains("x-request-id: cli-test-req-0042"),
        "{}",
        text(&answer[..n])
    );
    // A sign-in whose body is still to come: the handler is waiting for it.
    let body = "username=nobody&password=wrong-password-1";
    write!(
        conn,
        "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(300));
    let pid = server.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(killed.success());
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        server.try_wait().ok().flatten().is_none(),
        "it waits for the request in flight"
    );
    assert!(
        TcpStream::connect(&addr).is_err(),
        "no new connection once stopping"
    );
    conn.write_all(body.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut head = [0u8; 12];
    conn.read_exact(&mut head).unwrap_or_else(|e| panic!("{e}"));
    assert!(text(&head).starts_with("HTTP/1.1 "), "{}", text(&head));
    drop(conn);
    let status = loop {
        if let Some(s) = server.try_wait().unwrap_or_else(|e| panic!("{e}")) {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "the server did not stop"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let err = std::fs::read_to_string(d.with_extension("log")).unwrap_or_default();
    assert!(status.success(), "{err}");
    assert!(err.contains("stopping") && err.contains("stopped"), "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("cli-test-req-0042"))
        .unwrap_or_else(|| panic!("no log line of the request:\n{err}"));
    let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(v["span"]["id"], "cli-test-req-0042", "{line}");
    assert_eq!(v["span"]["path"], "/readyz", "{line}");
    assert_eq!(v["fields"]["status"], 200, "{line}");
}

/// `zjtx user totp-reset NAME` removes a lost second factor (audited), and refuses a name that
/// is not an account.
#[test]
fn an_administrator_resets_a_lost_second_factor() {
    let d = tmpdir("totp-reset");
    let o = zjtx(&[
        "user",
        "--data",
        p(&d),
        "add",
        "bob",
        "--role",
        "city",
        "--password",
        "Qx7-walnut-Rv92",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let url = format!("sqlite://{}", d.join("zjtx.db").display());
    let has = |url: &str| {
        rt.block_on(async {
            let s = zjtx_store::Store::connect(url)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let u = s
                .user_by_name("bob")
                .await
                .ok()
                .flatten()
                .unwrap_or_else(|| panic!("no bob"));
            s.totp_of(u.id)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .map(|t| t.confirmed)
        })
    };
    rt.block_on(async {
        let s = zjtx_store::Store::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let u = s
            .user_by_name("bob")
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("no bob"));
        assert!(
            s.start_totp(u.id, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
                .await
                .unwrap_or(false)
        );
        assert!(s.use_totp_step(u.id, 1).await.unwrap_or(false));
    });
    assert_eq!(has(&url), Some(true));
    let o = zjtx(&["user", "--data", p(&d), "totp-reset", "bob"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(has(&url), None);
    assert!(
        !zjtx(&["user", "--data", p(&d), "totp-reset", "nobody"])
            .status
            .success()
    );
}
