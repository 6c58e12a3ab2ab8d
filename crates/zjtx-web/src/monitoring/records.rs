//! The records behind the bulletin's figures that have no list page of their own (issue 14):
//! the year's programme awards, payments and recoveries; future factories by tier; bank–enterprise
//! events, their firms and the financing signed there; credit granted and disbursed and the firms
//! served; the listing pipeline by stage. A figure is the number of its records, or the sum of
//! their amounts, and the bulletin's sections take their figures from these same lists — so a
//! number and the list it links to cannot disagree.

use super::*;

/// One record behind a figure.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Record {
    /// The firm's code, when the record is a firm's (blank for an event).
    pub uscc: String,
    pub name: String,
    pub what: String,
    pub date: String,
    /// In units of 0.0001 万元 (one yuan), when the figure sums amounts.
    #[serde(skip)]
    pub units: Option<i64>,
}

/// A figure's records and how they make its value.
pub struct Records {
    pub rows: Vec<Record>,
    /// The value sums the amounts (in 万元) rather than counting the rows.
    pub sum: bool,
}

impl Records {
    fn count(rows: Vec<Record>) -> Self {
        Records { rows, sum: false }
    }
    fn sum(rows: Vec<Record>) -> Self {
        Records { rows, sum: true }
    }
    pub fn total_units(&self) -> i64 {
        self.rows.iter().filter_map(|r| r.units).sum()
    }
    /// The figure's value as the bulletin prints it.
    pub fn value(&self) -> String {
        if self.sum {
            wan(Some(self.total_units()))
        } else {
            self.rows.len().to_string()
        }
    }
    /// The unit of figure `id` made of these records.
    pub fn unit(&self, id: &str) -> &'static str {
        match (self.sum, id) {
            (true, _) => "万元",
            (false, "fund_awards") => "个",
            (false, "fin_events") => "场",
            (false, _) => "家",
        }
    }
}

/// The figure ids these lists serve (a family computed together), with their unit.
pub const FUNDS: &[&str] = &["fund_awards", "fund_amount", "fund_paid", "fund_recovered"];
pub const FUTURE_FACTORIES: &[&str] = &[
    "ff_awards",
    "ff_chain_leader",
    "ff_smart_factory",
    "ff_digital_workshop",
    "ff_amount",
];
pub const FINANCE: &[&str] = &[
    "fin_events",
    "fin_event_firms",
    "fin_event_amount",
    "fin_granted",
    "fin_disbursed",
    "fin_served",
];
pub const LISTING: &[&str] = &[
    "listing_grooming",
    "listing_shareholding",
    "listing_tutoring",
    "listing_filing",
    "listing_board",
    "listing_ipo",
];

/// The page listing a figure's records.
pub fn list_url(year: i32, region: Option<&str>, id: &str) -> String {
    let rq = region.map(|r| format!("&region={r}")).unwrap_or_default();
    format!("/monitoring/bulletin/list?year={year}&id={id}{rq}")
}

fn wan_units(v: Option<i64>) -> Option<i64> {
    v.filter(|u| *u != 0)
}

/// The approved applications to the year's calls, within the region.
async fn awards(
    st: &AppState,
    year: i32,
    region: Option<&str>,
) -> Result<Option<Vec<zjtx_store::FundApplication>>, AppError> {
    let calls: Vec<i64> = st
        .store
        .calls()
        .await?
        .into_iter()
        .filter(|c| c.year == i64::from(year))
        .map(|c| c.id)
        .collect();
    if calls.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for id in calls {
        out.extend(
            st.store
                .fund_applications(&zjtx_store::FundFilter {
                    call_id: Some(id),
                    regions: region.map(|r| vec![r.to_owned()]),
                    statuses: vec![zjtx_core::workflow::fund::Status::Approved],
                    ..Default::default()
                })
                .await?,
        );
    }
    Ok(Some(out))
}

fn award_record(a: &zjtx_store::FundApplication, units: Option<i64>) -> Record {
    Record {
        uscc: a.uscc.clone(),
        name: a.firm.clone(),
        what: format!("{} · {}", a.call_title, a.name),
        date: a.decided_on.clone().unwrap_or_default(),
        units,
    }
}

/// The year's programme awards: `None` when the year has no call.
pub async fn funds(
    st: &AppState,
    year: i32,
    region: Option<&str>,
) -> Result<Option<Vec<(&'static str, Records)>>, AppError> {
    let Some(apps) = awards(st, year, region).await? else {
        return Ok(None);
    };
    let rows = |units: &dyn Fn(&zjtx_store::FundApplication) -> Option<i64>| -> Vec<Record> {
        apps.iter()
            .filter_map(|a| units(a).map(|u| award_record(a, Some(u))))
            .collect()
    };
    Ok(Some(vec![
        (
            "fund_awards",
            Records::count(rows(&|a| a.amount.or(Some(0)))),
        ),
        ("fund_amount", Records::sum(rows(&|a| a.amount))),
        (
            "fund_paid",
            Records::sum(rows(&|a| wan_units(Some(a.paid_city + a.paid_district)))),
        ),
        (
            "fund_recovered",
            Records::sum(rows(&|a| {
                wan_units(Some(a.recovered_city + a.recovered_district))
            })),
        ),
    ]))
}

/// The year's future-factory awards by the tier recognised: `None` when the year has no
/// future-factory call.
pub async fn future_factories(
    st: &AppState,
    year: i32,
    region: Option<&str>,
) -> Result<Option<Vec<(&'static str, Records)>>, AppError> {
    let has_call = st
        .store
        .calls()
        .await?
        .into_iter()
        .any(|c| c.year == i64::from(year) && c.category == "future_factory");
    let apps: Vec<(zjtx_store::FundApplication, String)> = awards(st, year, region)
        .await?
        .unwrap_or_default()
        .into_iter()
        .filter_map(|a| {
            let p = crate::funds::project_of(&a);
            (p.category.as_deref() == Some("future_factory"))
                .then(|| (a, p.tier.unwrap_or_default()))
        })
        .collect();
    if !has_call && apps.is_empty() {
        return Ok(None);
    }
    let of_tier = |tier: Option<&str>| -> Vec<Record> {
        apps.iter()
            .filter(|(_, t)| tier.is_none_or(|k| t == k))
            .map(|(a, t)| {
                let mut r = award_record(a, a.amount);
                r.what = format!("{} · {}", ff_tier_label(t), a.name);
                r
            })
            .collect()
    };
    Ok(Some(vec![
        ("ff_awards", Records::count(of_tier(None))),
        (
            "ff_chain_leader",
            Records::count(of_tier(Some("chain_leader"))),
        ),
        (
            "ff_smart_factory",
            Records::count(of_tier(Some("smart_factory"))),
        ),
        (
            "ff_digital_workshop",
            Records::count(of_tier(Some("digital_workshop"))),
        ),
        ("ff_amount", Records::sum(of_tier(None))),
    ]))
}

/// A future-factory tier's name (the province's three; another key as it is).
pub fn ff_tier_label(key: &str) -> String {
    match key {
        "chain_leader" => i18n::t("未来工厂（链主工厂）").to_owned(),
        "smart_factory" => i18n::t("智能工厂").to_owned(),
        "digital_workshop" => i18n::t("数字化车间").to_owned(),
        other => other.to_owned(),
    }
}

/// The year's bank–enterprise events and credit: `None` when the year has neither.
pub async fn finance(
    st: &AppState,
    year: i32,
    region: Option<&str>,
) -> Result<Option<Vec<(&'static str, Records)>>, AppError> {
    let only: Option<Vec<String>> = region.map(|r| vec![r.to_owned()]);
    let y = year.to_string();
    let events: Vec<zjtx_store::FinEvent> = st
        .store
        .fin_events(only.as_deref())
        .await?
        .into_iter()
        .filter(|e| e.held_on.starts_with(&y))
        .collect();
    let (from, to) = (format!("{year}-01-01"), format!("{year}-12-31"));
    let credit = st.store.credit_records(&from, &to, only.as_deref()).await?;
    if events.is_empty() && credit.is_empty() {
        return Ok(None);
    }
    let institutions: std::collections::HashMap<String, String> = st
        .store
        .institutions()
        .await?
        .into_iter()
        .map(|i| (i.id.to_string(), i.name))
        .collect();
    // Participants are firms (a USCC) or institutions (an id).
    let mut names: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for e in &events {
        for (who, _, _) in &e.participants {
            if names.contains_key(who) {
                continue;
            }
            let name = match institutions.get(who) {
                Some(n) => n.clone(),
                None => st
                    .store
                    .enterprise(who)
                    .await?
                    .map(|r| r.name)
                    .unwrap_or_else(|| who.clone()),
            };
            names.insert(who.clone(), name);
        }
    }
    let is_firm = |who: &str| !institutions.contains_key(who);
    let event_rows: Vec<Record> = events
        .iter()
        .map(|e| {
            let firms = e.participants.iter().filter(|p| is_firm(&p.0)).count();
            Record {
                uscc: String::new(),
                name: e.title.clone(),
                what: i18n::f(
                    "{} 家企业、{} 家机构参加",
                    &[&firms, &(e.participants.len() - firms)],
                ),
                date: e.held_on.clone(),
                units: None,
            }
        })
        .collect();
    let mut firms: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
    let mut signed = Vec::new();
    for e in &events {
        for (who, outcome, amount) in &e.participants {
            if is_firm(who) {
                firms.entry(who.clone()).or_default().push(&e.title);
            }
            if let Some(a) = amount.filter(|a| *a != 0) {
                signed.push(Record {
                    uscc: if is_firm(who) {
                        who.clone()
                    } else {
                        String::new()
                    },
                    name: names.get(who).cloned().unwrap_or_else(|| who.clone()),
                    what: format!("{} · {}", e.title, outcome),
                    date: e.held_on.clone(),
                    units: Some(a),
                });
            }
        }
    }
    let firm_rows = firms
        .into_iter()
        .map(|(uscc, titles)| Record {
            name: names.get(&uscc).cloned().unwrap_or_else(|| uscc.clone()),
            uscc,
            what: titles.join("；"),
            date: String::new(),
            units: None,
        })
        .collect();
    let within = |d: &Option<String>| d.as_deref().is_some_and(|d| d >= &from[..] && d <= &to[..]);
    let credit_row = |a: &zjtx_store::Application, date: &Option<String>| Record {
        uscc: a.uscc.clone(),
        name: a.name.clone(),
        what: a.product.clone(),
        date: date.clone().unwrap_or_default(),
        units: a.granted_amount,
    };
    let granted: Vec<Record> = credit
        .iter()
        .filter(|a| within(&a.granted_on))
        .map(|a| credit_row(a, &a.granted_on))
        .collect();
    let disbursed: Vec<Record> = credit
        .iter()
        .filter(|a| within(&a.disbursed_on))
        .map(|a| credit_row(a, &a.disbursed_on))
        .collect();
    let mut served: std::collections::BTreeMap<&str, (String, usize, i64)> = Default::default();
    for a in credit.iter().filter(|a| within(&a.granted_on)) {
        let e = served
            .entry(a.uscc.as_str())
            .or_insert((a.name.clone(), 0, 0));
        e.1 += 1;
        e.2 += a.granted_amount.unwrap_or(0);
    }
    let served_rows = served
        .into_iter()
        .map(|(uscc, (name, n, total))| Record {
            uscc: uscc.to_owned(),
            name,
            what: i18n::f("授信 {} 笔，{} 万元", &[&n, &wan(Some(total))]),
            date: String::new(),
            units: None,
        })
        .collect();
    Ok(Some(vec![
        ("fin_events", Records::count(event_rows)),
        ("fin_event_firms", Records::count(firm_rows)),
        ("fin_event_amount", Records::sum(signed)),
        ("fin_granted", Records::sum(granted)),
        ("fin_disbursed", Records::sum(disbursed)),
        ("fin_served", Records::count(served_rows)),
    ]))
}

/// The listing pipeline as it stands, by stage, within the region: `None` when it is empty.
pub async fn listing(
    st: &AppState,
    region: Option<&str>,
) -> Result<Option<Vec<(&'static str, Records)>>, AppError> {
    use zjtx_core::workflow::listing::Stage;
    let all: Vec<zjtx_store::Listing> = st
        .store
        .listing_pipeline()
        .await?
        .into_iter()
        .filter(|l| region.is_none_or(|r| l.region_code.as_deref() == Some(r)))
        .collect();
    if all.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        Stage::ALL
            .iter()
            .zip(LISTING)
            .map(|(stage, id)| {
                let rows = all
                    .iter()
                    .filter(|l| l.stage == stage.key())
                    .map(|l| Record {
                        uscc: l.uscc.clone(),
                        name: l.name.clone(),
                        what: crate::finance::kind_label(stage.key()).to_owned(),
                        date: chrono::DateTime::from_timestamp(l.updated_at, 0)
                            .map(|t| t.date_naive().to_string())
                            .unwrap_or_default(),
                        units: None,
                    })
                    .collect();
                (*id, Records::count(rows))
            })
            .collect(),
    ))
}

/// The records of one figure, or `None` when the id is not one of these lists (or its family has
/// no records for the year).
pub async fn of(
    st: &AppState,
    year: i32,
    region: Option<&str>,
    id: &str,
) -> Result<Option<Records>, AppError> {
    let family = if FUNDS.contains(&id) {
        funds(st, year, region).await?
    } else if FUTURE_FACTORIES.contains(&id) {
        future_factories(st, year, region).await?
    } else if FINANCE.contains(&id) {
        finance(st, year, region).await?
    } else if LISTING.contains(&id) {
        listing(st, region).await?
    } else {
        return Ok(None);
    };
    Ok(family.and_then(|f| f.into_iter().find(|(k, _)| *k == id).map(|(_, r)| r)))
}
