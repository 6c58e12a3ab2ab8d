//! Digital engineering service providers (数字工程服务商, issue 13): a provider records its
//! service to client firms (the client's code, the contract's value, projects delivered, whether
//! the client accepted the work, the client's digital level before and after, its satisfaction);
//! each year the city computes the digital-service index from those records — every metric scaled
//! to the best provider's value and weighted by the year's rule file — and selects at most
//! `select_max` providers, each awarded a share of its accepted contracts up to a cap, and
//! publishes the selection.

use chrono::{Datelike, NaiveDate};

use crate::ids::Uscc;
use crate::num::{Dec4, Wan};
use crate::rules::ProviderRules;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Client,
    Year,
    Value,
    Delivered,
    LevelBefore,
    LevelAfter,
    Satisfaction,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotYourSeat,
    Invalid(Vec<Field>),
    /// The client is the provider's own firm, or not in the registry.
    NotAClient,
}

/// A service record as typed.
#[derive(Clone, Debug, Default)]
pub struct Draft<'a> {
    pub client: &'a str,
    pub year: &'a str,
    pub value: &'a str,
    pub delivered: &'a str,
    pub accepted: bool,
    pub level_before: &'a str,
    pub level_after: &'a str,
    pub satisfaction: &'a str,
}

/// A service record.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Record {
    pub client: String,
    pub year: i32,
    pub value: Wan,
    pub delivered: u32,
    pub accepted: bool,
    pub level_before: u8,
    pub level_after: u8,
    pub satisfaction: u8,
}

/// A provider records a service of this year or the three before (a client's digital level
/// runs 0–4 and does not fall, satisfaction 0–100).
pub fn record(provider: bool, d: &Draft<'_>, today: NaiveDate) -> Result<Record, Refusal> {
    if !provider {
        return Err(Refusal::NotYourSeat);
    }
    let mut bad = Vec::new();
    let client = Uscc::parse(d.client.trim()).ok().map(|u| u.to_string());
    if client.is_none() {
        bad.push(Field::Client);
    }
    let year = d
        .year
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (today.year() - 3..=today.year()).contains(y));
    if year.is_none() {
        bad.push(Field::Year);
    }
    let value = Wan::parse(d.value.trim()).ok().filter(|w| w.units() >= 0);
    if value.is_none() {
        bad.push(Field::Value);
    }
    let delivered = d
        .delivered
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n <= 10_000);
    if delivered.is_none() {
        bad.push(Field::Delivered);
    }
    let level = |v: &str| v.trim().parse::<u8>().ok().filter(|l| *l <= 4);
    let before = level(d.level_before);
    if before.is_none() {
        bad.push(Field::LevelBefore);
    }
    let after = level(d.level_after).filter(|a| before.is_none_or(|b| *a >= b));
    if after.is_none() {
        bad.push(Field::LevelAfter);
    }
    let satisfaction = d
        .satisfaction
        .trim()
        .parse::<u8>()
        .ok()
        .filter(|s| *s <= 100);
    if satisfaction.is_none() {
        bad.push(Field::Satisfaction);
    }
    match (client, year, value, delivered, before, after, satisfaction) {
        (Some(client), Some(year), Some(value), Some(delivered), Some(b), Some(a), Some(s))
            if bad.is_empty() =>
        {
            Ok(Record {
                client,
                year,
                value,
                delivered,
                accepted: d.accepted,
                level_before: b,
                level_after: a,
                satisfaction: s,
            })
        }
        _ => Err(Refusal::Invalid(bad)),
    }
}

/// A provider's metrics over its records of a year.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    /// Distinct client firms.
    pub clients: u32,
    /// Value of the accepted contracts.
    pub value: Wan,
    pub delivered: u32,
    /// Share of records accepted (0–1).
    pub acceptance: Dec4,
    /// Average rise of the clients' digital level.
    pub uplift: Dec4,
    /// Average satisfaction (0–100).
    pub satisfaction: Dec4,
}

fn ratio(num: i128, den: i128) -> Dec4 {
    if den == 0 {
        return Dec4::ZERO;
    }
    Dec4::from_units(i64::try_from(num * 10_000 / den).unwrap_or(0)).unwrap_or(Dec4::ZERO)
}

pub fn metrics(records: &[Record]) -> Metrics {
    let n = i128::try_from(records.len()).unwrap_or(0);
    let mut clients: Vec<&str> = records.iter().map(|r| r.client.as_str()).collect();
    clients.sort_unstable();
    clients.dedup();
    Metrics {
        clients: u32::try_from(clients.len()).unwrap_or(0),
        value: Wan::from_units(
            records
                .iter()
                .filter(|r| r.accepted)
                .map(|r| r.value.units())
                .sum(),
        )
        .unwrap_or(Wan::ZERO),
        delivered: records.iter().map(|r| r.delivered).sum(),
        acceptance: ratio(
            i128::try_from(records.iter().filter(|r| r.accepted).count()).unwrap_or(0),
            n,
        ),
        uplift: ratio(
            records
                .iter()
                .map(|r| i128::from(r.level_after) - i128::from(r.level_before))
                .sum(),
            n,
        ),
        satisfaction: ratio(records.iter().map(|r| i128::from(r.satisfaction)).sum(), n),
    }
}

/// A provider's place in the index: its metrics, the points of each (clients, value, delivered,
/// acceptance, uplift, satisfaction) and their sum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scored {
    pub provider: i64,
    pub metrics: Metrics,
    pub points: [Dec4; 6],
    pub index: Dec4,
}

/// `weight × value / best`, rounded down to 0.0001 (0 when the best is 0).
fn scaled(weight: Dec4, value: i128, best: i128) -> Dec4 {
    if best <= 0 {
        return Dec4::ZERO;
    }
    Dec4::from_units(i64::try_from(i128::from(weight.units()) * value / best).unwrap_or(0))
        .unwrap_or(Dec4::ZERO)
}

/// The index of every provider, best first (ties by id).
pub fn index(rules: &ProviderRules, providers: &[(i64, Metrics)]) -> Vec<Scored> {
    let vals = |m: &Metrics| -> [i128; 6] {
        [
            i128::from(m.clients),
            i128::from(m.value.units()),
            i128::from(m.delivered),
            i128::from(m.acceptance.units()),
            i128::from(m.uplift.units()),
            i128::from(m.satisfaction.units()),
        ]
    };
    let mut best = [0i128; 6];
    for (_, m) in providers {
        for (b, v) in best.iter_mut().zip(vals(m)) {
            *b = (*b).max(v);
        }
    }
    let weights = [
        rules.w_clients,
        rules.w_value,
        rules.w_delivered,
        rules.w_acceptance,
        rules.w_uplift,
        rules.w_satisfaction,
    ];
    let mut out: Vec<Scored> = providers
        .iter()
        .map(|(id, m)| {
            let v = vals(m);
            let mut points = [Dec4::ZERO; 6];
            for i in 0..6 {
                points[i] = scaled(weights[i], v[i], best[i]);
            }
            let index =
                Dec4::from_units(points.iter().map(|p| p.units()).sum()).unwrap_or(Dec4::ZERO);
            Scored {
                provider: *id,
                metrics: *m,
                points,
                index,
            }
        })
        .collect();
    out.sort_by(|a, b| b.index.cmp(&a.index).then(a.provider.cmp(&b.provider)));
    out
}

/// A selected provider: its rank, index and award.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selected {
    pub provider: i64,
    pub rank: u32,
    pub index: Dec4,
    pub award: Wan,
}

/// The year's selection: the best `select_max` of the index with accepted work, each awarded
/// `award_share` of its accepted contracts, at most `award_cap`.
pub fn select(rules: &ProviderRules, scored: &[Scored]) -> Vec<Selected> {
    scored
        .iter()
        .filter(|s| s.metrics.value.units() > 0)
        .take(usize::try_from(rules.select_max).unwrap_or(0))
        .enumerate()
        .map(|(i, s)| Selected {
            provider: s.provider,
            rank: u32::try_from(i + 1).unwrap_or(0),
            index: s.index,
            award: crate::programme::times(s.metrics.value, rules.award_share).min(rules.award_cap),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::num::Ppm;

    fn rules(select_max: u32) -> ProviderRules {
        let d = |s: &str| Dec4::parse(s).unwrap_or(Dec4::ZERO);
        ProviderRules {
            clause: String::new(),
            conf: String::new(),
            select_max,
            award_share: Ppm::parse("10%").unwrap_or(Ppm(0)),
            award_cap: Wan::whole(200),
            w_clients: d("20"),
            w_value: d("25"),
            w_delivered: d("15"),
            w_acceptance: d("15"),
            w_uplift: d("15"),
            w_satisfaction: d("10"),
        }
    }

    fn rec(
        client: &str,
        value: i64,
        delivered: u32,
        accepted: bool,
        levels: (u8, u8),
        sat: u8,
    ) -> Record {
        Record {
            client: client.into(),
            year: 2026,
            value: Wan::whole(value),
            delivered,
            accepted,
            level_before: levels.0,
            level_after: levels.1,
            satisfaction: sat,
        }
    }

    #[test]
    fn the_index_by_hand() {
        // P1: 2 clients, 400 accepted, 3 delivered, all accepted, uplift (2 + 1) / 2 = 1.5,
        // satisfaction (90 + 80) / 2 = 85.
        let p1 = metrics(&[
            rec("A", 100, 2, true, (1, 3), 90),
            rec("B", 300, 1, true, (2, 3), 80),
        ]);
        // P2: 2 clients, 200 accepted (the 1000 was not), 5 delivered, half accepted, uplift 1,
        // satisfaction 80.
        let p2 = metrics(&[
            rec("A", 1000, 1, false, (1, 1), 60),
            rec("C", 200, 4, true, (0, 2), 100),
        ]);
        // P3: nothing accepted.
        let p3 = metrics(&[rec("D", 50, 0, false, (2, 2), 50)]);
        assert_eq!(
            (
                p1.clients,
                p1.value,
                p1.delivered,
                p1.acceptance.to_string(),
                p1.uplift.to_string(),
                p1.satisfaction.to_string()
            ),
            (2, Wan::whole(400), 3, "1".into(), "1.5".into(), "85".into())
        );
        assert_eq!(
            (
                p2.value,
                p2.acceptance.to_string(),
                p2.uplift.to_string(),
                p2.satisfaction.to_string()
            ),
            (Wan::whole(200), "0.5".into(), "1".into(), "80".into())
        );
        let r = rules(2);
        let s = index(&r, &[(3, p3), (2, p2), (1, p1)]);
        let view: Vec<(i64, String, Vec<String>)> = s
            .iter()
            .map(|x| {
                (
                    x.provider,
                    x.index.to_string(),
                    x.points.iter().map(ToString::to_string).collect(),
                )
            })
            .collect();
        assert_eq!(
            view,
            vec![
                // 20 + 25 + 15×3/5 + 15 + 15 + 10 = 94
                (
                    1,
                    "94".into(),
                    vec!["20", "25", "9", "15", "15", "10"]
                        .into_iter()
                        .map(String::from)
                        .collect()
                ),
                // 20 + 25×200/400 + 15 + 15×0.5 + 15×1/1.5 + 10×80/85 (9.4117…, rounded down)
                (
                    2,
                    "74.4117".into(),
                    vec!["20", "12.5", "15", "7.5", "10", "9.4117"]
                        .into_iter()
                        .map(String::from)
                        .collect()
                ),
                // 20×1/2 + 10×50/85 (5.8823…)
                (
                    3,
                    "15.8823".into(),
                    vec!["10", "0", "0", "0", "0", "5.8823"]
                        .into_iter()
                        .map(String::from)
                        .collect()
                ),
            ]
        );
        // Selected: at most 2, with accepted work; 10% of the accepted value, at most 200.
        let sel: Vec<(i64, u32, Wan)> = select(&r, &s)
            .iter()
            .map(|x| (x.provider, x.rank, x.award))
            .collect();
        assert_eq!(sel, vec![(1, 1, Wan::whole(40)), (2, 2, Wan::whole(20))]);
        // With room for all, the one without accepted work is still left out; a large one is capped.
        let big = metrics(&[rec("E", 5000, 3, true, (1, 2), 70)]);
        let s = index(&rules(10), &[(1, p1), (3, p3), (9, big)]);
        let sel: Vec<(i64, Wan)> = select(&rules(10), &s)
            .iter()
            .map(|x| (x.provider, x.award))
            .collect();
        assert_eq!(sel.len(), 2);
        assert!(sel.contains(&(9, Wan::whole(200))), "{sel:?}");
        assert!(index(&r, &[]).is_empty());
    }

    #[test]
    fn records_are_checked() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default();
        let ok = Draft {
            client: "91350100M000100Y43",
            year: "2026",
            value: "120.5",
            delivered: "2",
            accepted: true,
            level_before: "1",
            level_after: "2",
            satisfaction: "95",
        };
        assert!(record(true, &ok, today).is_ok());
        assert_eq!(record(false, &ok, today), Err(Refusal::NotYourSeat));
        let bad = Draft {
            client: "123",
            year: "2019",
            value: "-1",
            delivered: "x",
            level_before: "3",
            level_after: "2",
            satisfaction: "101",
            accepted: false,
        };
        assert_eq!(
            record(true, &bad, today),
            Err(Refusal::Invalid(vec![
                Field::Client,
                Field::Year,
                Field::Value,
                Field::Delivered,
                Field::LevelAfter,
                Field::Satisfaction
            ]))
        );
    }
}
