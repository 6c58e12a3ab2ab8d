//! The demo city's funding programmes, made by the product: last year's technical-upgrade call
//! (the shipped file edited for 2025 — the way a bureau carries a programme into another year),
//! its applications reviewed, approved at the engine's award, paid in instalments by the city
//! and the districts, one award recovered after a revocation; and this year's calls open, with
//! applications waiting at each step. Every step goes through `workflow::fund` and the store's
//! guarded writes.

use anyhow::{Result, anyhow};
use chrono::{Datelike, NaiveDate};
use zjtx_core::num::Wan;
use zjtx_core::programme::{self, FirmFacts, Programme};
use zjtx_core::workflow::fund::{self as flow, Left, Level, Review, Seat, Status};
use zjtx_store::{Filter, Scope, Store};

fn err(r: flow::Refusal) -> anyhow::Error {
    anyhow!("demo funding step refused: {r:?}")
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The shipped programme `id`, as text, with its year moved to `year` (ids, title, dates).
fn for_year(id: &str, year: i32) -> Result<(String, Programme)> {
    let text = programme::EMBEDDED_PROGRAMMES
        .iter()
        .map(|(_, t)| *t)
        .find(|t| t.contains(&format!("id = \"{id}\"")))
        .ok_or_else(|| anyhow!("no programme {id}"))?;
    let text = text
        .replace("2026", &year.to_string())
        .replace("2027-01-01", &format!("{}-01-01", year + 1));
    let p = programme::parse(id, &text)?;
    Ok((text, p))
}

struct Step {
    equipment: u32,
    technology: u32,
    software: u32,
    registered: NaiveDate,
    /// A future factory's digital level and the tier it is recognised at (blank for others).
    digital: &'static str,
    tier: &'static str,
}

/// Once: the calls and their applications.
pub async fn demo_funds(store: &Store, today: NaiveDate, firm: &str) -> Result<()> {
    if !store.calls().await?.is_empty() {
        return Ok(());
    }
    let year = today.year();
    let firms: Vec<String> = store
        .list(
            &Filter {
                per_page: 60,
                ..Default::default()
            },
            &Scope::all(),
        )
        .await?
        .items
        .into_iter()
        .filter(|e| e.region_code.is_some() && e.uscc != firm)
        .map(|e| e.uscc)
        .collect();
    if firms.len() < 20 {
        return Ok(());
    }
    let districts: Vec<(String, i64)> = zjtx_core::enterprise::DISTRICTS
        .iter()
        .map(|(c, _)| ((*c).to_owned(), Wan::whole(3000).units()))
        .collect();
    let open = |text: String, p: Programme, window: (NaiveDate, NaiveDate)| {
        let districts = districts.clone();
        async move {
            let mut budgets = vec![("city".to_owned(), p.budget.city.units())];
            budgets.extend(districts);
            let id = store
                .open_call(
                    &p.id,
                    p.year,
                    &p.category,
                    &p.title,
                    (&window.0.to_string(), &window.1.to_string()),
                    &text,
                    &budgets,
                    None,
                )
                .await?;
            Ok::<_, anyhow::Error>((id, p))
        }
    };

    // Last year's technical-upgrade call: twelve projects, from filing to payment.
    let (text, p) = for_year("tech-upgrade-2026", year - 1)?;
    let window = (day(year - 1, 3, 1), day(year - 1, 5, 31));
    let (last, p) = open(text, p, window).await?;
    let mut n = 0u32;
    for (i, uscc) in firms.iter().take(12).enumerate() {
        let k = u32::try_from(i).unwrap_or(0);
        let s = Step {
            equipment: 600 + (k * 379) % 4000,
            technology: 50 + (k * 97) % 400,
            software: 30 + (k * 53) % 300,
            registered: day(year - 2 - i32::try_from(k % 4).unwrap_or(0), 1 + k % 12, 10),
            digital: "",
            tier: "",
        };
        let a = file(
            store,
            last,
            &p,
            uscc,
            &format!("JG-{}-{:04}", year - 1, i + 1),
            &s,
            window.0,
            i,
        )
        .await?;
        let facts = store
            .firm_facts(uscc, &window.1.to_string())
            .await?
            .ok_or_else(|| anyhow!("demo firm {uscc} gone"))?;
        // One returned for its invoices, one rejected by its district; the rest recommended.
        let review = match i {
            3 => Review::Return,
            7 => Review::Reject,
            _ => Review::Recommend,
        };
        let to = flow::review(
            Seat::District,
            Status::Submitted,
            review,
            "发票与备案投资额不一致",
        )
        .map_err(err)?;
        store
            .fund_step(
                a,
                Status::Submitted,
                to,
                if to == Status::Recommended {
                    ""
                } else {
                    "发票与备案投资额不一致"
                },
                &format!("fund.review.{}", to.key()),
                None,
            )
            .await?;
        if to != Status::Recommended {
            continue;
        }
        if approve(store, last, a, &p, &facts, window.1)
            .await?
            .is_none()
        {
            continue;
        }
        n += 1;
        // Paid in two instalments, the city's and the district's halves; the last ones only in part.
        let app = store
            .fund_application(a)
            .await?
            .ok_or_else(|| anyhow!("demo application gone"))?;
        let paid_on = day(year - 1, 9, 20);
        for (level, share) in [
            (Level::City, app.city.unwrap_or(0)),
            (Level::District, app.district.unwrap_or(0)),
        ] {
            let amount = if i >= 10 { share / 2 } else { share };
            if amount <= 0 {
                continue;
            }
            let w = Wan::from_units(amount).unwrap_or(Wan::ZERO).to_string();
            let m = flow::pay(
                Seat::City,
                Status::Approved,
                |_| Wan::from_units(share).unwrap_or(Wan::ZERO),
                (
                    level.key(),
                    &w,
                    &paid_on.to_string(),
                    &format!("杭经信财〔{}〕{}号", year - 1, 30 + i),
                ),
                today,
            )
            .map_err(err)?;
            store.fund_money(a, &m, None, None).await?;
        }
        // One title revoked this year: the city's part recovered.
        if i == 5 {
            let paid = app.city.unwrap_or(0);
            let w = Wan::from_units(paid).unwrap_or(Wan::ZERO).to_string();
            let (m, cause) = flow::recover(
                Seat::City,
                Status::Approved,
                "title_revoked",
                |_| Wan::from_units(paid).unwrap_or(Wan::ZERO),
                (
                    "city",
                    &w,
                    &day(year, 3, 2).to_string(),
                    "称号撤销决定（杭经信〔2026〕15号）",
                ),
                today,
            )
            .map_err(err)?;
            store.fund_money(a, &m, Some(cause), None).await?;
        }
    }

    // Last year's future factories: one of each tier, recommended and approved at the engine's
    // award.
    let (text, ff) = for_year("future-factory-2026", year - 1)?;
    let window = (day(year - 1, 4, 1), day(year - 1, 6, 30));
    let (ff_call, ff) = open(text, ff, window).await?;
    for (i, (uscc, digital, tier, eq, sw)) in [
        (&firms[15], "3", "chain_leader", 3800, 2600),
        (&firms[16], "2", "smart_factory", 3100, 1500),
        (&firms[17], "2", "digital_workshop", 1600, 700),
    ]
    .into_iter()
    .enumerate()
    {
        let s = Step {
            equipment: eq,
            technology: 300,
            software: sw,
            registered: day(year - 3, 5, 1),
            digital,
            tier,
        };
        let a = file(
            store,
            ff_call,
            &ff,
            uscc,
            &format!("WF-{}-{:04}", year - 1, i + 1),
            &s,
            window.0,
            i,
        )
        .await?;
        let to =
            flow::review(Seat::District, Status::Submitted, Review::Recommend, "").map_err(err)?;
        store
            .fund_step(
                a,
                Status::Submitted,
                to,
                "",
                "fund.review.recommended",
                None,
            )
            .await?;
        let facts = store
            .firm_facts(uscc, &window.1.to_string())
            .await?
            .ok_or_else(|| anyhow!("demo firm {uscc} gone"))?;
        approve(store, ff_call, a, &ff, &facts, window.1).await?;
    }

    // This year's calls, open until the year's end: technical upgrade and future factories.
    let (text, p) = for_year("tech-upgrade-2026", year)?;
    let window = (day(year, 3, 1), day(year, 12, 31));
    let (this, p) = open(text, p, window).await?;
    let this_year = [
        (firm.to_owned(), Status::Submitted),
        (firms[12].clone(), Status::Recommended),
        (firms[13].clone(), Status::Recommended),
        (firms[14].clone(), Status::Approved),
    ];
    for (i, (uscc, stage)) in this_year.iter().enumerate() {
        let k = u32::try_from(i).unwrap_or(0);
        let s = Step {
            equipment: 900 + k * 700,
            technology: 120,
            software: 80 + k * 40,
            registered: day(year - 1, 6 + k, 1),
            digital: "",
            tier: "",
        };
        let a = file(
            store,
            this,
            &p,
            uscc,
            &format!("JG-{year}-{:04}", i + 1),
            &s,
            window.0,
            i,
        )
        .await?;
        if *stage == Status::Submitted {
            continue;
        }
        store
            .fund_step(
                a,
                Status::Submitted,
                Status::Recommended,
                "",
                "fund.review.recommended",
                None,
            )
            .await?;
        if *stage == Status::Approved
            && let Some(facts) = store.firm_facts(uscc, &today.to_string()).await?
        {
            approve(store, this, a, &p, &facts, today).await?;
        }
    }
    let (text, ff) = for_year("future-factory-2026", year)?;
    open(text, ff, window).await?;
    println!(
        "  and funding calls: last year's technical upgrade with {n} awards paid, this year's open"
    );
    Ok(())
}

/// Files an application as the firm would.
#[allow(clippy::too_many_arguments)]
async fn file(
    store: &Store,
    call: i64,
    p: &Programme,
    uscc: &str,
    code: &str,
    s: &Step,
    on: NaiveDate,
    i: usize,
) -> Result<i64> {
    let (eq, te, sw) = (
        s.equipment.to_string(),
        s.technology.to_string(),
        s.software.to_string(),
    );
    let reg = s.registered.to_string();
    let names = [
        "智能产线技术改造",
        "数字化车间建设",
        "关键工序自动化改造",
        "绿色低碳技术改造",
    ];
    let project = flow::apply(
        Seat::Owner,
        &p.category,
        (on, on),
        &flow::Draft {
            name: names[i % names.len()],
            code,
            registered_on: &reg,
            equipment: &eq,
            technology: &te,
            software: &sw,
            digital_level: s.digital,
            tier: s.tier,
            invoices: "发票 No.00012345 设备款；No.00012377 软件许可",
            ..Default::default()
        },
        on,
    )
    .map_err(err)?;
    let cells = programme::project_cells(
        &FirmFacts {
            uscc: uscc.to_owned(),
            ..Default::default()
        },
        &project.facts,
    );
    Ok(store
        .apply_fund(
            call,
            uscc,
            &project.code,
            &project.facts.name,
            &cells,
            &project.invoices,
            None,
        )
        .await?)
}

/// Approves a recommended application at the engine's award when it is eligible and the budgets
/// hold it; the award, or `None`.
async fn approve(
    store: &Store,
    call: i64,
    a: i64,
    p: &Programme,
    facts: &FirmFacts,
    on: NaiveDate,
) -> Result<Option<Wan>> {
    let app = store
        .fund_application(a)
        .await?
        .ok_or_else(|| anyhow!("demo application gone"))?;
    let project = zjtx_web::funds::project_of(&app);
    let award = programme::evaluate(p, facts, &project, on);
    let left = |u: i64| Wan::from_units(u).unwrap_or(Wan::ZERO);
    let left = Left {
        city: left(store.budget_left(call, "city").await?),
        district: left(
            store
                .budget_left(call, app.region_code.as_deref().unwrap_or(""))
                .await?,
        ),
    };
    let Ok(supersede) = flow::approve(Seat::City, Status::Recommended, &award, left, &[]) else {
        return Ok(None);
    };
    let json = zjtx_web::funds::award_json(&award);
    store
        .approve_fund(
            &app,
            (
                award.amount.units(),
                award.city.units(),
                award.district.units(),
            ),
            &json,
            &on.to_string(),
            supersede,
            None,
        )
        .await?;
    Ok(Some(award.amount))
}

/// Once: three providers (the demo's `provider` account and two more, whose accounts are
/// disabled), their service records of last year and this one, and last year's selection
/// published as the index gives it.
pub async fn demo_providers(
    store: &Store,
    today: NaiveDate,
    rules: &zjtx_core::rules::ProviderRules,
) -> Result<()> {
    use zjtx_core::workflow::provider as pv;
    if !store.providers().await?.is_empty() {
        return Ok(());
    }
    let clients: Vec<String> = store
        .list(
            &Filter {
                per_page: 40,
                ..Default::default()
            },
            &Scope::all(),
        )
        .await?
        .items
        .into_iter()
        .map(|e| e.uscc)
        .collect();
    if clients.len() < 30 {
        return Ok(());
    }
    let mut ids = Vec::new();
    for (username, name) in [
        ("provider", "杭州数智工程服务有限公司"),
        ("provider-b", "浙江云链工业互联网有限公司"),
        ("provider-c", "杭州智造数字科技有限公司"),
    ] {
        let user = match store.user_by_name(username).await? {
            Some(u) => u.id,
            None => {
                let id = store
                    .add_user(&zjtx_store::NewUser {
                        username: username.into(),
                        password_hash: "!".into(),
                        role: zjtx_store::Role::Provider,
                        region_code: None,
                        uscc: None,
                    })
                    .await?;
                store.set_disabled(username, true).await?;
                id
            }
        };
        ids.push(store.set_provider(user, name).await?);
    }
    let year = today.year();
    for (p, provider) in ids.iter().enumerate() {
        for y in [year - 1, year] {
            for k in 0..(4 + p * 2) {
                let i = (p * 7 + k * 3 + usize::try_from(y % 5).unwrap_or(0)) % clients.len();
                let n = u32::try_from(i + k).unwrap_or(0);
                let r = pv::record(
                    true,
                    &pv::Draft {
                        client: &clients[i],
                        year: &y.to_string(),
                        value: &(80 + (n * 37) % 400).to_string(),
                        delivered: &(1 + n % 3).to_string(),
                        accepted: (k + p) % 3 != 2,
                        level_before: &(n % 3).to_string(),
                        level_after: &(n % 3 + u32::from(k % 2 == 0)).to_string(),
                        satisfaction: &(70 + (n * 7) % 31).to_string(),
                    },
                    today,
                )
                .map_err(|r| anyhow!("demo service record refused: {r:?}"))?;
                store.add_provider_record(*provider, &r, None).await?;
            }
        }
    }
    let last = year - 1;
    let all = store.provider_records(last, None).await?;
    let by: Vec<(i64, pv::Metrics)> = ids
        .iter()
        .map(|id| {
            let recs: Vec<pv::Record> = all
                .iter()
                .filter(|r| r.provider_id == *id)
                .map(|r| r.record.clone())
                .collect();
            (*id, pv::metrics(&recs))
        })
        .collect();
    let sel = pv::select(rules, &pv::index(rules, &by));
    store
        .publish_selection(last, &sel, &day(last, 12, 20).to_string(), None)
        .await?;
    println!(
        "  and three digital service providers with their records, last year's selection published"
    );
    Ok(())
}

/// Once: last year's two clearings listed from the registry's figures, the districts following
/// some up, the city clearing a few, so that the lists and their rates have movement.
pub async fn demo_clearings(
    store: &Store,
    today: NaiveDate,
    rules: &zjtx_core::rules::ClearingRules,
) -> Result<()> {
    use zjtx_core::workflow::clearing::{self as cl, Seat as CSeat, Status as CStatus};
    let year = today.year() - 1;
    if !store.clearing_items(year, None).await?.is_empty() {
        return Ok(());
    }
    // The year before's lists first, so that this year's re-entries show.
    let earlier = zjtx_web::monitoring::listed(store, rules, year - 1).await?;
    store.snapshot_clearings(year - 1, &earlier, None).await?;
    let items = zjtx_web::monitoring::listed(store, rules, year).await?;
    store.snapshot_clearings(year, &items, None).await?;
    let err = |r: cl::Refusal| anyhow!("demo clearing step refused: {r:?}");
    for (k, i) in store
        .clearing_items(year, None)
        .await?
        .into_iter()
        .enumerate()
    {
        if k % 3 == 2 {
            continue;
        }
        let on = day(year + 1, 1 + u32::try_from(k % 5).unwrap_or(0), 10);
        let text = [
            "上门走访，指导建立研发费用辅助账",
            "组织研发机构建设政策宣讲",
            "对接高校共建研发中心",
        ][k % 3];
        let (_, d) =
            cl::act(CSeat::District, i.status, text, &on.to_string(), today).map_err(err)?;
        store
            .add_clearing_action(i.id, i.status, &d.to_string(), text, None)
            .await?;
        if k % 3 == 0 {
            let to = cl::request(CSeat::District, CStatus::Following, 1).map_err(err)?;
            store
                .clearing_step(i.id, CStatus::Following, to, "", None, None)
                .await?;
            if k % 2 == 0 {
                let to = cl::decide(
                    CSeat::City,
                    CStatus::Requested,
                    true,
                    "已开展研发活动，经核实销号",
                )
                .map_err(err)?;
                store
                    .clearing_step(
                        i.id,
                        CStatus::Requested,
                        to,
                        "已开展研发活动，经核实销号",
                        Some(&day(year + 1, 6, 30).to_string()),
                        None,
                    )
                    .await?;
            }
        }
    }
    println!(
        "  and last year's two clearings ({} firms listed), some followed up and cleared",
        items.len()
    );
    Ok(())
}
