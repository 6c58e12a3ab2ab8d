//! The demo city's finance work over two years, made by the product: bank–enterprise events held
//! by the city and the districts with their firms, the bank and what was signed; loans applied
//! for, granted and disbursed on the bank's dates; firms moved along the listing pipeline. Every
//! step goes through the core's rules (`workflow::event`, `workflow::application`,
//! `workflow::listing`) and the store calls the pages make.

use anyhow::{Result, anyhow};
use chrono::{Datelike, NaiveDate};
use zjtx_core::workflow::application::{self as app_flow, Seat as AppSeat};
use zjtx_core::workflow::event;
use zjtx_core::workflow::listing::{self, Stage};
use zjtx_store::{Filter, Scope, Store};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn refused<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("demo finance step refused: {e:?}")
}

/// Once: last year's and this year's events and loans, and the listing pipeline.
pub async fn demo_finance_activity(store: &Store, today: NaiveDate, firm: &str) -> Result<()> {
    if !store.fin_events(None).await?.is_empty() {
        return Ok(());
    }
    let Some(bank) = store
        .institutions()
        .await?
        .into_iter()
        .find(|i| i.kind == "bank")
    else {
        return Ok(());
    };
    // The open-to-all product (no eligibility beyond its amount and term bounds).
    let Some(product) = store
        .products(Some("listed"), Some(bank.id))
        .await?
        .into_iter()
        .find(|p| {
            serde_json::from_str::<zjtx_core::finance::Eligibility>(&p.eligibility)
                .is_ok_and(|e| e == zjtx_core::finance::Eligibility::default())
        })
    else {
        return Ok(());
    };
    let firms: Vec<(String, Option<String>)> = store
        .list(
            &Filter {
                per_page: 120,
                ..Default::default()
            },
            &Scope::all(),
        )
        .await?
        .items
        .into_iter()
        .filter(|e| e.region_code.is_some() && e.uscc != firm)
        .map(|e| (e.uscc, e.region_code))
        .skip(60)
        .collect();
    if firms.len() < 40 {
        return Ok(());
    }
    let year = today.year();

    // Events: (seat, title, day, region, firms from, firms count, amount of the first firms).
    let events = [
        (
            event::Seat::City,
            "“专精特新”企业银企对接会（春季）",
            day(year - 1, 4, 18),
            "",
            0usize,
            6usize,
        ),
        (
            event::Seat::District("330106".into()),
            "西湖区科技金融路演",
            day(year - 1, 7, 9),
            "330106",
            6,
            4,
        ),
        (
            event::Seat::City,
            "“小巨人”企业投融资对接会",
            day(year - 1, 11, 21),
            "",
            10,
            5,
        ),
        (
            event::Seat::City,
            "制造业中小企业银企对接会",
            day(year, 3, 27),
            "",
            15,
            5,
        ),
    ];
    for (i, (seat, title, held_on, region, from, count)) in events.iter().enumerate() {
        if *held_on > today {
            continue;
        }
        let plan = event::plan(seat, title, &held_on.to_string(), region).map_err(refused)?;
        let id = store
            .create_fin_event(
                &plan.title,
                &plan.held_on.to_string(),
                plan.region.as_deref(),
                None,
            )
            .await?;
        let bank_part = event::participate(
            plan.held_on,
            &bank.id.to_string(),
            "发布专精特新专属信贷产品",
            "",
            today,
        )
        .map_err(refused)?;
        let event::Party::Institution(b) = bank_part.party else {
            return Err(anyhow!("the bank reads as a firm"));
        };
        store
            .add_participant(id, None, Some(b), &bank_part.outcome, None, None)
            .await?;
        // A district's event has its own firms; the city's any.
        let guests: Vec<&String> = firms
            .iter()
            .filter(|(_, r)| region.is_empty() || r.as_deref() == Some(region))
            .map(|(u, _)| u)
            .skip(*from)
            .take(*count)
            .collect();
        for (k, uscc) in guests.into_iter().enumerate() {
            let (outcome, amount) = match k % 3 {
                0 => ("现场签约授信意向", format!("{}", 300 + (i * 7 + k) * 150)),
                1 => ("达成股权融资意向", format!("{}", 500 + (i + k) * 250)),
                _ => ("对接洽谈", String::new()),
            };
            let p =
                event::participate(plan.held_on, uscc, outcome, &amount, today).map_err(refused)?;
            let event::Party::Firm(u) = p.party else {
                return Err(anyhow!("a firm reads as an institution"));
            };
            store
                .add_participant(id, Some(&u.to_string()), None, &p.outcome, p.amount, None)
                .await?;
        }
    }

    // Loans: applied for, accepted, granted and disbursed on the bank's dates.
    let loans = [
        (year - 1, 2, 500, true),
        (year - 1, 3, 800, true),
        (year - 1, 5, 1200, true),
        (year - 1, 6, 300, true),
        (year - 1, 8, 2000, true),
        (year - 1, 9, 650, false),
        (year - 1, 10, 900, true),
        (year, 2, 1500, true),
        (year, 4, 400, false),
    ];
    let wan = |w: i64| w * 10_000;
    for (k, (y, m, amount, disburse)) in loans.iter().enumerate() {
        let applied = day(*y, *m, 6);
        if applied > today {
            continue;
        }
        let (uscc, _) = &firms[20 + k];
        let id = store
            .apply(
                uscc,
                product.id,
                None,
                wan(*amount),
                &applied.to_string(),
                None,
            )
            .await?;
        let granted = day(*y, *m, 20);
        let disbursed = day(*y, *m + 1, 3);
        let mut steps = vec![
            app_flow::Step::Accept,
            app_flow::Step::Grant {
                amount: wan(*amount),
                on: Some(granted),
            },
        ];
        if *disburse && disbursed <= today {
            steps.push(app_flow::Step::Disburse {
                on: Some(disbursed),
            });
        }
        let mut state = app_flow::Status::Applied;
        for s in &steps {
            let to = app_flow::step(state, AppSeat::Lender, s).map_err(refused)?;
            let (amt, on) = match s {
                app_flow::Step::Grant { amount, on } => (Some(*amount), *on),
                app_flow::Step::Disburse { on } => (None, *on),
                _ => (None, None),
            };
            store
                .application_step(
                    id,
                    bank.id,
                    state,
                    to,
                    amt,
                    on.map(|d| d.to_string()).as_deref(),
                    "",
                    None,
                    &[],
                )
                .await?;
            state = to;
        }
    }

    // The listing pipeline: firms at every stage, each moved forward one stage at a time.
    for (k, last) in Stage::ALL.iter().enumerate() {
        let (uscc, _) = &firms[32 + k];
        let mut current = None;
        for stage in Stage::ALL.iter().take_while(|s| s <= &last) {
            match listing::step(current, *stage, "").map_err(refused)? {
                listing::Move::Same => {}
                _ => store.set_listing_stage(uscc, *stage, "", None).await?,
            }
            current = Some(*stage);
        }
    }
    // Consents to the bank, as the firms' "grant access" form gives them (`workflow::consent`):
    // some with figures, some with answers and bands only, so that the bank's screening and its
    // view of a firm show both.
    let rules = zjtx_core::rules::load_all(&zjtx_core::rules::Embedded)?;
    let max_days = zjtx_core::rule_set_for(&rules, today)
        .or(rules.first())
        .map_or(365, |r| r.common.disclosure.consent_max_days);
    let kinds: [(&[&str], bool); 3] = [
        (&["profile", "financials", "titles", "evaluations"], false),
        (&["profile", "financials"], true),
        (&["titles", "evaluations"], false),
    ];
    for (i, (uscc, _)) in firms.iter().take(30).enumerate() {
        let (cats, predicates_only) = kinds[i % kinds.len()];
        let categories: Vec<String> = cats.iter().map(|c| (*c).to_owned()).collect();
        let request = zjtx_core::workflow::consent::Request {
            categories: &categories,
            purpose: "授信审查",
            days: 180,
        };
        let (from, until) = zjtx_core::workflow::consent::grant(
            zjtx_core::workflow::consent::Seat::Holder,
            &request,
            max_days,
            today,
        )
        .map_err(refused)?;
        store
            .grant_consent(
                uscc,
                bank.id,
                &categories.join(","),
                predicates_only,
                "授信审查",
                &from.to_string(),
                &until.to_string(),
                None,
            )
            .await?;
    }
    println!(
        "  and finance: bank–enterprise events, loans granted and disbursed, a listing pipeline, consents to the bank"
    );
    Ok(())
}
