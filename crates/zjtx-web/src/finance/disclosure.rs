//! Disclosure: what an institution may read of an enterprise.

use super::*;

/// What an institution sees of an enterprise on this request: the categories its consents in
/// force cover, as figures or (predicates only) as bands and yes/no answers keyed by the rule
/// file's predicate keys (`revenue_ge_10000`, …; null when a figure is blank).
#[derive(Serialize, Default, utoipa::ToSchema)]
pub struct Disclosure {
    pub uscc: String,
    pub name: String,
    pub district: String,
    /// Titles on the public list (always shown): `[tier key, valid until]` each.
    #[schema(value_type = Vec<Vec<String>>)]
    pub public_titles: Vec<(String, String)>,
    /// The categories shown: `[category, predicates only]` each.
    #[schema(value_type = Vec<Vec<Value>>)]
    pub categories: Vec<(String, bool)>,
    pub profile: Option<Value>,
    /// Figures: one object a year; predicates: `revenue_band_wan` (a band) and the answers.
    pub financials: Option<Value>,
    pub ip: Option<Value>,
    pub titles: Option<Value>,
    pub evaluations: Option<Value>,
}

/// The disclosure policy of the rules in force today.
pub(super) fn disclosure_rules(st: &AppState) -> Result<&fin::Disclosure, AppError> {
    let today = st.today();
    zjtx_core::rule_set_for(&st.rules, today)
        .or(st.rules.first())
        .map(|rs| &rs.common.disclosure)
        .ok_or_else(|| AppError::Internal(format!("no rule set applies on {today}")))
}

pub(super) fn band_json(b: fin::Band) -> Value {
    json!({ "from": b.from, "below": b.below })
}

/// Reads an enterprise's data for an institution: only the categories a consent in force covers,
/// as figures or (where the consent says so) predicates and bands, plus what is public. Logs the
/// access. An enterprise that neither consented nor is on the public list reads as absent.
pub async fn disclose(
    st: &AppState,
    user: &CurrentUser,
    uscc: &str,
    route: &str,
) -> Result<Disclosure, AppError> {
    let inst = institution_of(user)?;
    let row = st
        .store
        .enterprise(uscc.trim())
        .await?
        .ok_or(AppError::NotFound)?;
    let today = st.today().to_string();
    let consents = st.store.consents_in_force(&row.uscc, inst, &today).await?;
    let public: Vec<(String, String)> = st
        .store
        .titled(&today, Some(&row.uscc))
        .await?
        .into_iter()
        .map(|t| (t.tier, t.valid_until))
        .collect();
    if consents.is_empty() && public.is_empty() {
        return Err(AppError::NotFound);
    }
    // Each category: shown if any consent covers it; as figures if any covering consent allows them.
    let mut shown: Vec<(String, bool, i64)> = Vec::new();
    for c in fin::CATEGORIES {
        if let Some(s) = consent::shown(&consents, c) {
            shown.push(((*c).to_owned(), s.predicates_only(), s.consent()));
        }
    }
    let district = row.region_name.clone().unwrap_or_default();
    let mut d = Disclosure {
        uscc: row.uscc.clone(),
        name: row.name.clone(),
        district,
        public_titles: public,
        categories: shown.iter().map(|(c, p, _)| (c.clone(), *p)).collect(),
        ..Disclosure::default()
    };
    let years = if shown
        .iter()
        .any(|(c, _, _)| c == "financials" || c == "ip" || c == "profile")
    {
        st.store.years(&row.uscc).await?
    } else {
        Vec::new()
    };
    let latest = years.first().map(|(_, e)| e);
    let rules = disclosure_rules(st)?;
    let answers = rules.answers(&fin::Figures {
        revenue: row.revenue,
        rd_expense: latest.and_then(|e| e.rd_expense.map(|w| w.units())),
        ip1: latest.and_then(|e| e.ip1).map(i64::from),
    });
    let answered = |category: &str| {
        answers
            .iter()
            .filter(|(p, _)| p.measure.category() == category)
            .map(|(p, a)| (p.key.clone(), Value::from(*a)))
            .collect::<serde_json::Map<String, Value>>()
    };
    for (c, predicates, _) in &shown {
        match c.as_str() {
            "profile" => {
                d.profile = Some(json!({
                    "industry_code": row.industry_code,
                    "ecosystem": row.ecosystem,
                    "size": row.size,
                    "main_products": latest.and_then(|e| e.main_products.clone()),
                    "employees": match (*predicates, row.employees) {
                        (true, Some(n)) => band_json(rules.employee_band(n)),
                        (_, n) => Value::from(n),
                    },
                }))
            }
            "financials" => {
                d.financials = Some(if *predicates {
                    let mut m = serde_json::Map::new();
                    m.insert(
                        "revenue_band_wan".into(),
                        row.revenue
                            .map_or(Value::Null, |r| band_json(rules.revenue_band(r))),
                    );
                    m.extend(answered("financials"));
                    Value::Object(m)
                } else {
                    Value::Array(
                        years
                            .iter()
                            .map(|(y, e)| {
                                json!({
                                    "year": y,
                                    "revenue": wan(e.revenue.map(|w| w.units())),
                                    "main_revenue": wan(e.main_revenue.map(|w| w.units())),
                                    "rd_expense": wan(e.rd_expense.map(|w| w.units())),
                                    "total_assets": wan(e.total_assets.map(|w| w.units())),
                                    "total_liabilities": wan(e.total_liabilities.map(|w| w.units())),
                                    "net_profit": wan(e.net_profit.map(|w| w.units())),
                                })
                            })
                            .collect(),
                    )
                })
            }
            "ip" => {
                let (i1, i2) = (latest.and_then(|e| e.ip1), latest.and_then(|e| e.ip2));
                d.ip = Some(if *predicates {
                    Value::Object(answered("ip"))
                } else {
                    json!({ "ip1": i1, "ip2": i2 })
                })
            }
            "titles" => {
                let t: Vec<Value> = st
                    .store
                    .titles(&row.uscc)
                    .await?
                    .into_iter()
                    .filter(|(_, u)| *u >= today)
                    .map(|(t, u)| json!({ "tier": t, "valid_until": u }))
                    .collect();
                d.titles = Some(Value::Array(t));
            }
            "evaluations" => {
                d.evaluations = Some(json!({
                    "innovative": row.innovative == Verdict::Pass,
                    "tech_sme": row.tech_sme == Verdict::Pass,
                    "srdi": row.srdi == Verdict::Pass,
                    "giant": row.giant == Verdict::Pass,
                }))
            }
            _ => {}
        }
    }
    let cats: Vec<&str> = shown.iter().map(|(c, _, _)| c.as_str()).collect();
    st.store
        .log_access(
            &row.uscc,
            inst,
            user.user.id,
            &if cats.is_empty() {
                "public".to_owned()
            } else {
                cats.join(",")
            },
            route,
            shown.first().map(|(_, _, id)| *id),
        )
        .await?;
    Ok(d)
}

/// A category shown: its name, whether as answers only, and its lines.
pub type Section = (&'static str, bool, Vec<(String, String)>);

/// Figures by year as a table: the years (columns), then each figure's name and its value in
/// each year (万元, two decimals; "—" where blank).
pub struct YearTable {
    pub years: Vec<String>,
    pub rows: Vec<(String, Vec<String>)>,
}

/// A year-by-year section (`[{"year": 2025, "revenue": "…", …}, …]`) as a table, if it is one.
pub(super) fn year_table(v: &Value, rules: &fin::Disclosure) -> Option<YearTable> {
    let years = v.as_array()?;
    if years.is_empty() || !years.iter().all(|y| y.get("year").is_some()) {
        return None;
    }
    let mut keys: Vec<String> = Vec::new();
    for y in years {
        for k in y.as_object()?.keys() {
            if k != "year" && !keys.contains(k) {
                keys.push(k.clone());
            }
        }
    }
    let cell = |v: &Value| match v.as_str().filter(|s| !s.is_empty()) {
        Some(s) => zjtx_core::num::Wan::parse(s)
            .map(|w| crate::common::wan(Some(w.units())))
            .unwrap_or_else(|_| s.to_owned()),
        None => "—".to_owned(),
    };
    Some(YearTable {
        years: years.iter().map(|y| y["year"].to_string()).collect(),
        rows: keys
            .iter()
            .map(|k| {
                (
                    disclosure_label(k, rules),
                    years.iter().map(|y| cell(&y[k])).collect(),
                )
            })
            .collect(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "fin_enterprise.html")]
pub struct DisclosurePage {
    pub tr: Tr,
    pub nav: Nav,
    pub d: Disclosure,
    pub sections: Vec<Section>,
    /// The financial figures by year, as a table (when shown as figures).
    pub financials: Option<YearTable>,
}

pub(super) fn yes(b: bool) -> &'static str {
    if b { i18n::t("是") } else { i18n::t("否") }
}

/// A band as a reader sees it: revenue in 万元, a headcount as whole numbers.
pub(super) fn band_text(key: &str, v: &Value) -> String {
    let (from, below) = (v["from"].as_i64().unwrap_or(0), v["below"].as_i64());
    match (key, below) {
        ("revenue_band_wan", Some(b)) => i18n::f("{}–{} 万元", &[&from, &b]),
        ("revenue_band_wan", None) => i18n::f("{} 万元以上", &[&from]),
        (_, Some(b)) if from == 0 => format!("<{b}"),
        (_, Some(b)) => format!("{from}–{}", b - 1),
        (_, None) => format!("≥{from}"),
    }
}

/// An amount of 万元 as a reader writes it: whole 亿 where it is one.
pub(super) fn wan_text(w: i64) -> String {
    if w >= 10_000 && w % 10_000 == 0 {
        format!("{}亿", w / 10_000)
    } else {
        format!("{w}万")
    }
}

/// The reader's words for a key of the disclosure (the API's keys stay as they are).
pub(super) fn disclosure_label(key: &str, rules: &fin::Disclosure) -> String {
    if let Some(p) = rules.predicates.iter().find(|p| p.key == key) {
        return match p.measure {
            fin::Measure::RevenueWan => i18n::f("营业收入 ≥ {}", &[&wan_text(p.at_least)]),
            fin::Measure::RdIntensityPercent => i18n::f("研发强度 ≥ {}%", &[&p.at_least]),
            fin::Measure::Ip1 if p.at_least == 1 => i18n::t("拥有Ⅰ类知识产权").to_owned(),
            fin::Measure::Ip1 => i18n::f("Ⅰ类知识产权 ≥ {} 件", &[&p.at_least]),
        };
    }
    match key {
        "revenue_band_wan" => i18n::t("营业收入区间").to_owned(),
        "industry_code" => i18n::t("行业代码").to_owned(),
        "ecosystem" => i18n::t("所属生态").to_owned(),
        "size" => i18n::t("企业规模").to_owned(),
        "main_products" => i18n::t("主要产品").to_owned(),
        "employees" => i18n::t("从业人员数").to_owned(),
        "revenue" => i18n::t("营业收入").to_owned(),
        "main_revenue" => i18n::t("主营业务收入").to_owned(),
        "rd_expense" => i18n::t("研发费用").to_owned(),
        "total_assets" => i18n::t("资产总额").to_owned(),
        "total_liabilities" => i18n::t("负债总额").to_owned(),
        "net_profit" => i18n::t("净利润").to_owned(),
        "innovative" | "tech_sme" | "srdi" | "giant" => {
            glossary::tier_short(key, lang()).to_owned()
        }
        other => other.to_owned(),
    }
}

/// A section's lines as a reader sees them.
pub(super) fn flatten(v: &Value, rules: &fin::Disclosure) -> Vec<(String, String)> {
    let text = |k: &str, v: &Value| match v {
        Value::Bool(b) => yes(*b).to_owned(),
        Value::Null => i18n::t("未知").to_owned(),
        Value::String(s) if k == "size" => glossary::size_by_key(s, lang()).to_owned(),
        Value::String(s) => s.clone(),
        Value::Object(_) => band_text(k, v),
        other => other.to_string(),
    };
    match v {
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| (disclosure_label(k, rules), text(k, v)))
            .collect(),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(
                |(i, x)| match (x["tier"].as_str(), x["valid_until"].as_str(), x.as_object()) {
                    (Some(t), Some(u), _) => {
                        (glossary::tier_by_key(t, lang()).to_owned(), u.to_owned())
                    }
                    // A year's figures: its amounts in 万元, each named.
                    (_, _, Some(m)) if m.contains_key("year") => (
                        format!(
                            "{}（{}）",
                            i18n::f("{} 年度数据", &[&x["year"]]),
                            i18n::t("万元")
                        ),
                        m.iter()
                            .filter(|(k, _)| k.as_str() != "year")
                            .map(|(k, v)| {
                                let v = v.as_str().filter(|s| !s.is_empty()).unwrap_or("—");
                                format!("{} {v}", disclosure_label(k, rules))
                            })
                            .collect::<Vec<_>>()
                            .join(" · "),
                    ),
                    _ => (format!("{}", i + 1), x.to_string()),
                },
            )
            .collect(),
        other => vec![(String::new(), other.to_string())],
    }
}

/// `GET /finance/enterprises/{uscc}`: an enterprise as an institution may see it.
pub async fn enterprise_page(
    State(st): State<AppState>,
    user: CurrentUser,
    Path(uscc): Path<String>,
) -> Result<DisclosurePage, AppError> {
    let mut d = disclose(&st, &user, &uscc, "page").await?;
    let rules = disclosure_rules(&st)?;
    for (tier, _) in &mut d.public_titles {
        *tier = glossary::tier_by_key(tier, lang()).to_owned();
    }
    let mut sections = Vec::new();
    let financials = d.financials.as_ref().and_then(|v| year_table(v, rules));
    for (c, v) in [
        ("profile", &d.profile),
        ("financials", &d.financials),
        ("ip", &d.ip),
        ("titles", &d.titles),
        ("evaluations", &d.evaluations),
    ] {
        if let Some(v) = v {
            let pred = d.categories.iter().any(|(k, p)| k == c && *p);
            // The figures by year are their own table (below the sections).
            if c == "financials" && financials.is_some() {
                continue;
            }
            sections.push((kind_label(c), pred, flatten(v, rules)));
        }
    }
    Ok(DisclosurePage {
        tr: Tr,
        nav: Nav::of(&user),
        d,
        sections,
        financials,
    })
}
