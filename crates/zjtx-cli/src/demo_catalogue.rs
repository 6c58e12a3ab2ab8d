//! The demo city's quality-product catalogue, made by the product: titled firms' submissions go
//! through `workflow::catalogue`'s steps and the store's guarded writes, dated as they would have
//! been — submitted, reviewed and put on notice six weeks ago, listed after the notice — with a
//! few entries left at each earlier stage for the bureau to act on.

use anyhow::{Result, anyhow};
use chrono::{Datelike, Days, NaiveDate};
use zjtx_core::workflow::catalogue::{self as flow, Decision, Seat, Status};
use zjtx_store::{CatalogueFilter, Filter, Scope, Store};

/// Plausible main products by ecosystem.
fn products(ecosystem: Option<&str>) -> &'static [&'static str] {
    match ecosystem {
        Some("智能物联") => &[
            "射频前端芯片",
            "机器视觉检测系统",
            "工业边缘控制器",
            "智能电能表",
            "高精度压力传感器",
        ],
        Some("生物医药") => &["医用介入导管", "体外诊断试剂", "缓释制剂", "医用敷料"],
        Some("高端装备") => &["数控系统", "协作机器人关节模组", "伺服电机", "精密减速器"],
        Some("新材料") => &[
            "高性能分离膜",
            "光学薄膜",
            "生物可降解材料",
            "多功能聚酯薄膜",
        ],
        Some("绿色能源") => &["储能变流器", "光伏逆变器", "电池管理系统"],
        _ => &["专用设备", "关键零部件", "工业软件"],
    }
}

/// Once: about forty titled firms, one or two products each.
pub async fn demo_catalogue(store: &Store, today: NaiveDate, notice_days: u32) -> Result<()> {
    let any = store
        .catalogue_entries(&CatalogueFilter::default(), &today.to_string())
        .await?;
    if !any.is_empty() {
        return Ok(());
    }
    let firms = store
        .list(
            &Filter {
                title: Some("srdi".into()),
                per_page: 60,
                today,
                ..Filter::default()
            },
            &Scope::all(),
        )
        .await?
        .items;
    let then = today - Days::new(42);
    let year = today.year();
    let mut listed = 0;
    for (i, f) in firms.iter().enumerate() {
        if !store.firm_titled(&f.uscc, &then.to_string()).await? {
            continue;
        }
        for k in 0..(1 + i % 2) {
            let list = products(f.ecosystem.as_deref());
            let name = list[(i + k) % list.len()];
            let e = flow::submit(
                Seat::Owner,
                true,
                &year.to_string(),
                name,
                "演示数据：主导产品",
                then,
            )
            .map_err(|r| anyhow!("demo submission refused: {r:?}"))?;
            let id = store.submit_catalogue(&f.uscc, &e, None).await?;
            // How far this one has come: most listed; a few waiting at each stage.
            let stage = (i + k) % 10;
            let mut status = Status::Submitted;
            let mut step = |to: Status, window: Option<(String, String)>, action: &'static str| {
                let from = status;
                status = to;
                (from, to, window, action)
            };
            let mut steps = Vec::new();
            if stage >= 1 {
                let to = flow::review(Seat::District, Status::Submitted, Decision::Forward, "")
                    .map_err(|r| anyhow!("{r:?}"))?;
                steps.push(step(to, None, "catalogue.review.recommended"));
            }
            if stage >= 2 {
                let to = flow::review(Seat::City, Status::Recommended, Decision::Forward, "")
                    .map_err(|r| anyhow!("{r:?}"))?;
                steps.push(step(to, None, "catalogue.review.approved"));
            }
            if stage >= 3 {
                let (from, until) = flow::notice(Seat::City, Status::Approved, notice_days, then)
                    .map_err(|r| anyhow!("{r:?}"))?;
                steps.push(step(
                    Status::Notice,
                    Some((from.to_string(), until.to_string())),
                    "catalogue.notice",
                ));
                if stage >= 4 {
                    let to = flow::list(Seat::City, Status::Notice, Some(until), 0, today)
                        .map_err(|r| anyhow!("{r:?}"))?;
                    steps.push(step(to, None, "catalogue.list"));
                    listed += 1;
                }
            }
            for (from, to, window, action) in steps {
                store
                    .catalogue_step(
                        id,
                        from,
                        to,
                        "",
                        window.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
                        action,
                        None,
                    )
                    .await?;
            }
        }
    }
    println!("  and a catalogue of {listed} listed products for {year}");
    Ok(())
}
