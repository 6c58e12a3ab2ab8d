//! The dashboard: counts by tier × district and by ecosystem, the candidate pipeline, titles
//! expiring within six months. Charts are SVG drawn on the server; every figure links to its list.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use zjtx_store::CountRow;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::nav::Nav;

/// The tiers in display order, with their key, label and colour.
const TIERS: [(&str, &str); 5] = [
    ("giant", "#7a2e8e"),
    ("srdi", "#0b5cad"),
    ("innovative", "#1b7f3b"),
    ("tech_sme", "#b54708"),
    ("none", "#aab4c0"),
];

fn tier_label(key: &str) -> &'static str {
    zjtx_core::glossary::tier_short(key, crate::i18n::lang())
}

pub struct Segment {
    pub x: u32,
    pub w: u32,
    pub color: &'static str,
    pub href: String,
    pub title: String,
}

pub struct Bar {
    pub label: String,
    pub y: u32,
    pub text_y: u32,
    pub segments: Vec<Segment>,
    pub total: i64,
    pub total_x: u32,
    pub href: String,
}

pub struct Chart {
    pub height: u32,
    pub bars: Vec<Bar>,
}

pub struct TableRow {
    pub label: String,
    pub href: String,
    pub cells: Vec<(i64, String)>,
    pub total: i64,
}

pub struct Figure {
    pub label: &'static str,
    pub n: i64,
    pub href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
pub struct DashboardPage {
    pub tr: crate::i18n::Tr,
    pub nav: Nav,
    pub total: i64,
    pub legend: Vec<(&'static str, &'static str)>,
    pub region_chart: Chart,
    pub region_table: Vec<TableRow>,
    pub eco_chart: Chart,
    pub eco_table: Vec<TableRow>,
    pub candidates: Vec<Figure>,
    pub expiring: Vec<Figure>,
    /// The finance zone this year: credit grants, amount (万元), enterprises served.
    pub finance: (i64, String, i64),
}

const LABEL_W: u32 = 96;
const BAR_W: u32 = 520;
const ROW_H: u32 = 24;

/// Groups count rows by key (in first-seen order of `order`), one bar and one table row each.
fn chart(
    rows: &[CountRow],
    order: &[(Option<String>, String)],
    param: &str,
) -> (Chart, Vec<TableRow>) {
    let totals: Vec<i64> = order
        .iter()
        .map(|(k, _)| rows.iter().filter(|r| r.key == *k).map(|r| r.n).sum())
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1);
    let mut bars = Vec::new();
    let mut table = Vec::new();
    for (i, ((key, label), total)) in order.iter().zip(&totals).enumerate() {
        let base = match key {
            Some(k) => format!("/enterprises?{param}={}", crate::common::urlencode(k)),
            None => "/enterprises?".to_owned(),
        };
        let y = i as u32 * ROW_H;
        let mut x = LABEL_W;
        let mut segments = Vec::new();
        let mut cells = Vec::new();
        for (tier, color) in TIERS {
            let tier_label = tier_label(tier);
            let n = rows
                .iter()
                .filter(|r| r.key == *key && r.tier == tier)
                .map(|r| r.n)
                .sum::<i64>();
            let href = format!("{base}&top_tier={tier}");
            if n > 0 {
                let w = ((n as f64 / max as f64) * f64::from(BAR_W))
                    .round()
                    .max(1.0) as u32;
                segments.push(Segment {
                    x,
                    w,
                    color,
                    href: href.clone(),
                    title: crate::i18n::f("{} · {}：{} 家", &[&label, &tier_label, &n]),
                });
                x += w;
            }
            cells.push((n, href));
        }
        bars.push(Bar {
            label: label.clone(),
            y,
            text_y: y + 15,
            segments,
            total: *total,
            total_x: x + 6,
            href: base.clone(),
        });
        table.push(TableRow {
            label: label.clone(),
            href: base,
            cells,
            total: *total,
        });
    }
    (
        Chart {
            height: order.len() as u32 * ROW_H + 4,
            bars,
        },
        table,
    )
}

pub async fn dashboard(
    State(st): State<AppState>,
    user: CurrentUser,
) -> Result<DashboardPage, AppError> {
    let scope = user.scope(&st.store).await?;
    let today = st.today();
    // Counted from the firms and their titles (the candidates' exact counts read every firm
    // passing a tier: seconds at a million firms), so kept until these change or the day turns.
    let window = st.rereview_window();
    let d = st
        .whole
        .remembered(&st, format!("dashboard {scope:?} {window}"), async {
            Ok(st.store.dashboard(&scope, today, window).await?)
        })
        .await?;
    let year_start = chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), 1, 1)
        .unwrap_or(today)
        .to_string();
    let fs = st
        .store
        .fin_stats(&year_start, &today.to_string(), scope.regions.as_deref())
        .await?;
    // Districts in code order, those in scope only; ecosystems by size.
    let regions: Vec<(Option<String>, String)> = st
        .districts(&scope)
        .await?
        .into_iter()
        .map(|r| (Some(r.code.clone()), r.name.clone()))
        .collect();
    let mut ecos: Vec<(Option<String>, String)> = Vec::new();
    for r in &d.by_ecosystem {
        if !ecos.iter().any(|(k, _)| *k == r.key) {
            ecos.push((
                r.key.clone(),
                r.label
                    .as_deref()
                    .map(|l| zjtx_core::glossary::ecosystem(l, crate::i18n::lang()).to_owned())
                    .unwrap_or_else(|| crate::i18n::t("（未填报）").into()),
            ));
        }
    }
    let eco_total = |k: &Option<String>| {
        d.by_ecosystem
            .iter()
            .filter(|r| r.key == *k)
            .map(|r| r.n)
            .sum::<i64>()
    };
    ecos.sort_by_key(|(k, _)| -eco_total(k));
    // An enterprise without an ecosystem cannot be filtered by one; its bar links to the whole list.
    let (region_chart, region_table) = chart(&d.by_region, &regions, "region");
    let (eco_chart, eco_table) = chart(&d.by_ecosystem, &ecos, "ecosystem");
    let label = tier_label;
    Ok(DashboardPage {
        tr: crate::i18n::Tr,
        nav: Nav::of(&user),
        finance: (
            fs.granted_count,
            crate::common::wan(Some(fs.granted_amount)),
            fs.enterprises_served,
        ),
        total: d.by_region.iter().map(|r| r.n).sum(),
        legend: TIERS.iter().map(|(k, c)| (tier_label(k), *c)).collect(),
        region_chart,
        region_table,
        eco_chart,
        eco_table,
        candidates: d
            .candidates
            .iter()
            .map(|(t, n)| Figure {
                label: label(t),
                n: *n,
                href: format!("/enterprises?candidate={t}"),
            })
            .collect(),
        expiring: ["giant", "srdi", "innovative", "tech_sme"]
            .iter()
            .map(|t| Figure {
                label: label(t),
                n: d.expiring
                    .iter()
                    .find(|(k, _)| k == t)
                    .map_or(0, |(_, n)| *n),
                href: format!("/enterprises?expiring={t}"),
            })
            .collect(),
    })
}
