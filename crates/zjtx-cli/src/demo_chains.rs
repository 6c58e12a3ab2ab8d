//! The demo city's year of chain work, made by the product: every event, party, outcome and step
//! goes through the same core transitions (`workflow::chain_event`) and store calls as a user's
//! clicks, so the demo shows the workflow working.

use anyhow::Result;
use chrono::{Datelike, Days, Months, NaiveDate};
use zjtx_core::workflow::chain_event::{self as flow, Seat, Status};
use zjtx_store::{ChainFilter, Filter, Scope, Store};

/// A small deterministic sequence (xorshift), so the demo is the same every time.
struct Seq(u64);
impl Seq {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

const DISTRICTS: &[Option<&str>] = &[
    None,
    Some("330106"),
    Some("330108"),
    Some("330110"),
    Some("330105"),
];
const KINDS: &[&str] = &[
    "matchmaking",
    "matchmaking",
    "roadshow",
    "visit",
    "exhibition",
];
const BANKS: &[&str] = &["杭州银行", "浙商银行", "工商银行杭州分行"];

/// Two or three events a month over the last twelve months, once.
pub async fn demo_chains(store: &Store, today: NaiveDate) -> Result<()> {
    if !store
        .chain_events(&ChainFilter::default())
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let chains: Vec<String> = store.chains().await?.into_iter().map(|c| c.name).collect();
    let names: Vec<&str> = chains.iter().map(String::as_str).collect();
    let mut seq = Seq(0x9e37_79b9_7f4a_7c15);
    let start = today
        .with_day(1)
        .and_then(|d| d.checked_sub_months(Months::new(11)))
        .unwrap_or(today);
    let mut n = 0;
    for m in 0..12 {
        let month = start.checked_add_months(Months::new(m)).unwrap_or(start);
        for k in 0..(2 + seq.next(2)) {
            let held_on = month + Days::new(seq.next(26));
            if held_on > today {
                continue;
            }
            let chain = names[(n * 7 + k as usize) % names.len()];
            let region = DISTRICTS[n % DISTRICTS.len()];
            n += 1;
            let title = format!("{chain}产业链“百场万企”对接活动（第{n}场）");
            let date = held_on.to_string();
            let event = flow::plan(
                &Seat::City,
                &flow::EventDraft {
                    chain,
                    title: &title,
                    held_on: &date,
                    organiser: if region.is_some() {
                        "区经信局"
                    } else {
                        "市经信局"
                    },
                    place: "杭州",
                    kind: KINDS[seq.next(KINDS.len() as u64) as usize],
                    region: region.unwrap_or(""),
                },
                &names,
            )
            .map_err(|r| anyhow::anyhow!("demo event refused: {r:?}"))?;
            let id = store.create_chain_event(&event, None).await?;
            // The chain's firms: the first leads, the next take part as SMEs.
            let firms = store
                .list(
                    &Filter {
                        chain: Some(chain.to_owned()),
                        per_page: 40,
                        ..Filter::default()
                    },
                    &Scope::all(),
                )
                .await?
                .items;
            let offset = seq.next(firms.len().saturating_sub(8).max(1) as u64) as usize;
            let take = 3 + seq.next(5) as usize;
            let mut smes = Vec::new();
            for (i, f) in firms.iter().skip(offset).take(take + 1).enumerate() {
                let role = if i == 0 { "large_firm" } else { "sme" };
                let (role, party) = flow::party(role, &f.uscc)
                    .map_err(|r| anyhow::anyhow!("demo party refused: {r:?}"))?;
                if let Some(p) = store.add_chain_party(id, role, &party, None).await?
                    && i > 0
                {
                    smes.push(p);
                }
            }
            let bank = BANKS[seq.next(BANKS.len() as u64) as usize];
            let (role, party) = flow::party("bank", bank)
                .map_err(|r| anyhow::anyhow!("demo party refused: {r:?}"))?;
            store.add_chain_party(id, role, &party, None).await?;
            let age = (today - held_on).num_days();
            for p in smes {
                let (kind, amount, status) = match seq.next(6) {
                    0 | 1 => ("order", (50 + seq.next(1950)).to_string(), "signed"),
                    2 => ("financing", (200 + seq.next(2800)).to_string(), "signed"),
                    3 => ("project", String::new(), "signed"),
                    _ => ("intention", String::new(), "intention"),
                };
                let o = flow::outcome(held_on, kind, &amount, status, "", today)
                    .map_err(|r| anyhow::anyhow!("demo outcome refused: {r:?}"))?;
                let Some(oid) = store.add_chain_outcome(id, p, &o, None).await? else {
                    continue;
                };
                // Older signed outcomes are carried out; now and then one falls through.
                let next = match (o.status, age > 90, seq.next(10)) {
                    (Status::Signed, true, 0) => Some((Status::Cancelled, "合作方调整计划")),
                    (Status::Signed, true, _) => Some((Status::Executed, "")),
                    (Status::Intention, true, k) if k < 4 => Some((Status::Signed, "")),
                    _ => None,
                };
                if let Some((to, reason)) = next {
                    let to = flow::advance(&Seat::City, o.status, to, reason)
                        .map_err(|r| anyhow::anyhow!("demo step refused: {r:?}"))?;
                    store
                        .set_chain_outcome_status(oid, o.status, to, reason, None)
                        .await?;
                }
            }
        }
    }
    println!("  and {n} chain matchmaking events of the last twelve months");
    Ok(())
}

/// Segments of a few chains, with their firms: (chain, segments).
const SEGMENTS: &[(&str, &[&str])] = &[
    (
        "集成电路",
        &["芯片设计", "封装测试", "半导体材料", "半导体设备"],
    ),
    ("机器人", &["精密减速器", "伺服系统", "整机集成"]),
    ("医疗器械", &["医学影像", "体外诊断", "植介入器械"]),
    ("储能", &["储能电芯", "储能变流器", "系统集成"]),
];

/// Once: the segments above added through the taxonomy rules, and each chain's firms tagged
/// with one of them in turn — except the last segment of each chain, left with few firms so the
/// map has 补短板 segments to show.
pub async fn demo_segments(store: &Store) -> Result<()> {
    use zjtx_core::workflow::taxonomy::{self as tax, Known};
    if !store.segments().await?.is_empty() {
        return Ok(());
    }
    let chains = store.chains().await?;
    let known: Vec<Known<'_>> = chains
        .iter()
        .map(|c| Known {
            name: &c.name,
            retired: c.retired_on.is_some(),
        })
        .collect();
    let mut added = 0;
    for (chain, segs) in SEGMENTS {
        if !known.iter().any(|k| k.name == *chain && !k.retired) {
            continue;
        }
        let mut have: Vec<String> = Vec::new();
        for seg in *segs {
            let mine: Vec<Known<'_>> = have
                .iter()
                .map(|n| Known {
                    name: n,
                    retired: false,
                })
                .collect();
            let name = tax::add_segment(true, &known, &mine, chain, seg)
                .map_err(|r| anyhow::anyhow!("demo segment refused: {r:?}"))?;
            store.add_segment(chain, &name, None).await?;
            have.push(name);
            added += 1;
        }
        let open: Vec<(String, String)> = have
            .iter()
            .map(|s| ((*chain).to_owned(), s.clone()))
            .collect();
        let firms = store
            .list(
                &Filter {
                    chain: Some((*chain).to_owned()),
                    per_page: 200,
                    ..Filter::default()
                },
                &Scope::all(),
            )
            .await?
            .items;
        let spread = have.len().saturating_sub(1).max(1);
        for (i, f) in firms.iter().enumerate() {
            // One firm in five stays without a segment; the last segment gets only every 25th.
            let pick = if i % 25 == 24 {
                have.len() - 1
            } else if i % 5 == 4 {
                continue;
            } else {
                i % spread
            };
            let held = store.segments_of(&f.uscc).await?;
            let tags = tax::tag_segments(
                &store.chains_of(&f.uscc).await?,
                &open,
                &held,
                &[open[pick].clone()],
            )
            .map_err(|r| anyhow::anyhow!("demo segment tag refused: {r:?}"))?;
            let mut all = held;
            all.extend(tags);
            all.sort();
            all.dedup();
            store.set_segments(&f.uscc, &all, None).await?;
        }
    }
    println!("  and {added} segments (细分赛道) of four chains, with their firms");
    Ok(())
}
