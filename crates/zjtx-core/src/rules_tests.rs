//! Tests of `rules`.

use super::*;

struct Override(&'static str, String);
impl RuleSource for Override {
    fn read(&self, file: &str) -> Result<Option<String>, String> {
        Ok((file == self.0).then(|| self.1.clone()))
    }
}

#[test]
fn both_embedded_rule_sets_load_and_are_dated() {
    let sets = load_all(&Embedded).unwrap_or_else(|e| panic!("{e}"));
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
    assert!(sets[0].applies_on(d("2026-03-31")) && !sets[0].applies_on(d("2026-04-01")));
    assert!(sets[1].applies_on(d("2026-04-01")) && !sets[1].applies_on(d("2026-03-31")));
}

#[test]
fn an_unknown_key_in_a_rule_file_is_a_located_error() {
    let text =
        include_str!("../rules/miit-2026.toml").replace("min_score = \"50\"", "min_scor = \"50\"");
    let e = load(&Override("miit-2026.toml", text), "miit-2026")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("miit-2026.toml") && e.contains("min_scor"),
        "{e}"
    );
}

#[test]
fn a_malformed_threshold_is_an_error_naming_the_value() {
    let text = include_str!("../rules/common.toml")
        .replace("min_equity_3y = \"500\"", "min_equity_3y = \"5O0\"");
    let e = load(&Override("common.toml", text), "miit-2022")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("common.toml") && e.contains("5O0"), "{e}");
}

#[test]
fn bands_out_of_order_are_refused() {
    let text = include_str!("../rules/common.toml").replace(
        r#"bands = [["5%", "20"], ["3%", "15"]"#,
        r#"bands = [["3%", "20"], ["5%", "15"]"#,
    );
    let e = load(&Override("common.toml", text), "miit-2022")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("cx.rd_intensity"), "{e}");
}

#[test]
fn a_changed_parameter_in_an_override_is_used() {
    let text = include_str!("../rules/common.toml")
        .replace("min_equity_3y = \"500\"", "min_equity_3y = \"800\"");
    let rs = load(&Override("common.toml", text), "miit-2022").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rs.common.cx.d4.min_equity_3y, Wan::whole(800));
}

#[test]
fn the_platform_policies_come_from_the_rule_file() {
    let text = include_str!("../rules/common.toml")
        .replace("evidence_max_mb = 10", "evidence_max_mb = 3")
        .replace("consent_max_days = 366", "consent_max_days = 90")
        .replace(
            "revenue_bands_wan = [1000, 5000, 10000, 50000]",
            "revenue_bands_wan = [2000]",
        );
    let rs = load(&Override("common.toml", text), "miit-2022").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rs.common.declaration.evidence_max_mb, 3);
    assert_eq!(rs.common.disclosure.consent_max_days, 90);
    assert_eq!(
        rs.common.disclosure.revenue_band(30_000_000),
        crate::finance::Band {
            from: 2000,
            below: None
        }
    );
    // A policy missing from the file is an error naming it, not a default.
    let text = include_str!("../rules/common.toml").replace("notice_days_max = 60\n", "");
    let e = load(&Override("common.toml", text), "miit-2022")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("notice_days_max"), "{e}");
}
