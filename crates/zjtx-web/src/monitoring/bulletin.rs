//! The yearly bulletin (issue 14), first part: for a year and a region (the city or a district),
//! the paragraphs a bureau writes, every figure counted from the records and linked to the list
//! behind it — titled firms by tier, candidates, the two clearings, 两化, chain events and the
//! catalogue, funding programmes, providers — a section whose records do not exist saying so;
//! and the same figures in the API.

use super::*;

/// One figure: its id, value, unit and the page (or API path) of the records it counts.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Figure {
    pub id: &'static str,
    /// What it counts, in the reader's language (the id stays the API's key).
    #[serde(skip)]
    pub label: &'static str,
    pub value: String,
    pub unit: &'static str,
    /// The unit in the reader's language.
    #[serde(skip)]
    pub unit_text: &'static str,
    pub list: String,
}

/// A unit as the reader reads it.
fn unit_label(unit: &str) -> &'static str {
    match unit {
        "家" => i18n::t("家"),
        "个" => i18n::t("个"),
        "场" => i18n::t("场"),
        "万元" => i18n::t("万元"),
        _ => "",
    }
}

pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    /// The paragraph, or why there is none.
    pub text: String,
    pub figures: Vec<Figure>,
}

/// A bar of a section's chart, drawn on the server (SVG, no script): scaled to the section's
/// largest figure of the same unit as its first.
pub struct Bar {
    pub label: &'static str,
    pub value: String,
    pub y: u32,
    pub text_y: u32,
    pub width: u32,
    pub href: String,
}

/// The bars of a section: its figures of the first figure's unit (money and counts are not
/// drawn on one scale).
pub fn bars(s: &Section) -> (Vec<Bar>, u32) {
    let Some(unit) = s.figures.first().map(|f| f.unit) else {
        return (Vec::new(), 0);
    };
    let same: Vec<&Figure> = s.figures.iter().filter(|f| f.unit == unit).collect();
    let num = |f: &Figure| f.value.parse::<f64>().unwrap_or(0.0);
    let max = same.iter().map(|f| num(f)).fold(0.0_f64, f64::max);
    let out: Vec<Bar> = same
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let y = u32::try_from(i).unwrap_or(0) * 26;
            Bar {
                label: f.label,
                value: f.value.clone(),
                y,
                text_y: y + 14,
                width: if max > 0.0 {
                    ((num(f) / max) * 360.0).round().clamp(0.0, 360.0) as u32
                } else {
                    0
                },
                href: f.list.clone(),
            }
        })
        .collect();
    let height = u32::try_from(out.len()).unwrap_or(0) * 26;
    (out, height)
}

/// A section as the page draws it.
pub struct SectionView {
    pub s: Section,
    pub bars: Vec<Bar>,
    pub height: u32,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BulletinQuery {
    pub year: String,
    pub region: String,
}

/// The region asked for, within the reader's scope: `None` for the whole city (the city only).
async fn region_of(
    st: &AppState,
    user: &CurrentUser,
    q: &BulletinQuery,
) -> Result<Option<String>, AppError> {
    let scope = user.scope(&st.store).await?;
    let asked = Some(q.region.trim().to_owned()).filter(|r| !r.is_empty());
    match (user.user.role, asked) {
        (Role::City, None) => Ok(None),
        (Role::City, Some(r))
            if zjtx_core::enterprise::DISTRICTS
                .iter()
                .any(|(c, _)| *c == r) =>
        {
            Ok(Some(r))
        }
        (Role::District, r) => {
            let own = scope.regions.unwrap_or_default();
            match r {
                Some(r) if own.contains(&r) => Ok(Some(r)),
                None => own.first().cloned().map(Some).ok_or(AppError::Forbidden),
                _ => Err(AppError::NotFound),
            }
        }
        _ => Err(AppError::NotFound),
    }
}

fn fig(id: &'static str, value: impl ToString, unit: &'static str, list: String) -> Figure {
    Figure {
        id,
        label: figure_label(id),
        value: value.to_string(),
        unit,
        unit_text: unit_label(unit),
        list,
    }
}

/// A figure's name as a page or a workbook shows it.
fn figure_label(id: &str) -> &'static str {
    match id {
        "titled_giant" => i18n::t("“小巨人”企业"),
        "candidates_giant" => i18n::t("“小巨人”培育对象"),
        "titled_srdi" => i18n::t("专精特新中小企业"),
        "candidates_srdi" => i18n::t("专精特新培育对象"),
        "titled_innovative" => i18n::t("创新型中小企业"),
        "candidates_innovative" => i18n::t("创新型培育对象"),
        "clearing_no_rd" => i18n::t("无研发活动企业"),
        "clearing_no_rd_cleared" => i18n::t("无研发活动已销号"),
        "clearing_no_institution" => i18n::t("无研发机构企业"),
        "clearing_no_institution_cleared" => i18n::t("无研发机构已销号"),
        "high_tech_became_above_scale" => i18n::t("高企新晋规上"),
        "above_scale_became_high_tech" => i18n::t("规上新认定高企"),
        "chain_events" => i18n::t("对接活动场次"),
        "chain_firms" => i18n::t("参与企业"),
        "chain_orders" => i18n::t("订单（万元）"),
        "chain_financing" => i18n::t("融资（万元）"),
        "chain_projects" => i18n::t("项目"),
        "catalogue_products" => i18n::t("入选目录产品"),
        "catalogue_firms" => i18n::t("入选目录企业"),
        "fund_awards" => i18n::t("获批项目"),
        "fund_amount" => i18n::t("补助（万元）"),
        "fund_paid" => i18n::t("已拨付（万元）"),
        "fund_recovered" => i18n::t("已追回（万元）"),
        "providers_selected" => i18n::t("入选服务商"),
        "providers_award" => i18n::t("奖励（万元）"),
        "ff_awards" => i18n::t("获奖企业"),
        "ff_chain_leader" => i18n::t("未来工厂（链主工厂）"),
        "ff_smart_factory" => i18n::t("智能工厂"),
        "ff_digital_workshop" => i18n::t("数字化车间"),
        "ff_amount" => i18n::t("奖励（万元）"),
        "fin_events" => i18n::t("银企对接活动"),
        "fin_event_firms" => i18n::t("参加企业"),
        "fin_event_amount" => i18n::t("现场签约融资（万元）"),
        "fin_granted" => i18n::t("新增授信（万元）"),
        "fin_disbursed" => i18n::t("放款（万元）"),
        "fin_served" => i18n::t("服务企业"),
        "listing_grooming" => i18n::t("培育"),
        "listing_shareholding" => i18n::t("股改"),
        "listing_tutoring" => i18n::t("辅导"),
        "listing_filing" => i18n::t("申报"),
        "listing_board" => i18n::t("挂牌"),
        "listing_ipo" => i18n::t("上市"),
        _ => i18n::t("指标"),
    }
}

/// A section made of record lists (`records`): its paragraph written from its figures, or why
/// there is none when the year has no such records.
fn of_records(
    (year, region): (i32, Option<&str>),
    id: &'static str,
    title: &'static str,
    none: &'static str,
    family: Option<Vec<(&'static str, records::Records)>>,
    text: impl FnOnce(&[Figure]) -> String,
) -> Section {
    let Some(family) = family else {
        return Section {
            id,
            title,
            text: none.into(),
            figures: Vec::new(),
        };
    };
    let figures: Vec<Figure> = family
        .into_iter()
        .map(|(id, r)| {
            fig(
                id,
                r.value(),
                r.unit(id),
                records::list_url(year, region, id),
            )
        })
        .collect();
    Section {
        id,
        title,
        text: text(&figures),
        figures,
    }
}

/// Every section of a year's bulletin for a region.
pub async fn sections(
    st: &AppState,
    user: &CurrentUser,
    year: i32,
    region: Option<&str>,
    admitted: crate::whole::Admitted,
) -> Result<Vec<Section>, AppError> {
    let mut out = Vec::new();
    let scope = match region {
        Some(r) => zjtx_store::Scope {
            regions: Some(vec![r.to_owned()]),
            uscc: None,
        },
        None => zjtx_store::Scope::all(),
    };
    let rq = region.map(|r| format!("&region={r}")).unwrap_or_default();
    let dq = region.map(|r| format!("&district={r}")).unwrap_or_default();

    // Titled firms by tier at the year's end, and the candidates today.
    let mut titled = Vec::new();
    for (tier, id, cid) in [
        ("giant", "titled_giant", "candidates_giant"),
        ("srdi", "titled_srdi", "candidates_srdi"),
        ("innovative", "titled_innovative", "candidates_innovative"),
    ] {
        let count = |title: Option<&str>, candidate: Option<&str>, today: chrono::NaiveDate| {
            let (st, scope) = (st.clone(), scope.clone());
            let (title, candidate) = (title.map(str::to_owned), candidate.map(str::to_owned));
            async move {
                st.store
                    .list(
                        &zjtx_store::Filter {
                            title,
                            candidate,
                            per_page: 1,
                            today,
                            ..Default::default()
                        },
                        &scope,
                    )
                    .await
                    .map(|p| p.total)
            }
        };
        // Titles are held as they stand today (their list's meaning): a past year's holders are
        // not kept apart.
        titled.push(fig(
            id,
            count(Some(tier), None, st.today()).await?,
            "家",
            format!("/enterprises?title={tier}{rq}"),
        ));
        titled.push(fig(
            cid,
            count(None, Some(tier), st.today()).await?,
            "家",
            format!("/enterprises?candidate={tier}{rq}"),
        ));
    }
    out.push(Section {
        id: "titles",
        title: i18n::t("梯度培育"),
        text: i18n::f(
            "截至 {}，有效期内的国家级专精特新“小巨人”企业 {} 家、省级专精特新中小企业 {} 家、创新型中小企业 {} 家；按最新数据已达标准但尚未获得称号的培育对象分别为 {} 家、{} 家、{} 家。",
            &[
                &st.today(),
                &titled[0].value,
                &titled[2].value,
                &titled[4].value,
                &titled[1].value,
                &titled[3].value,
                &titled[5].value,
            ],
        ),
        figures: titled,
    });

    // The two clearings.
    let only: Option<Vec<String>> = region.map(|r| vec![r.to_owned()]);
    let items = st.store.clearing_items(year, only.as_deref()).await?;
    let list = format!("/monitoring/clearings?year={year}");
    if items.is_empty() {
        out.push(Section {
            id: "clearings",
            title: i18n::t("两清零"),
            text: i18n::t("本年度尚未生成两清零名单。").into(),
            figures: Vec::new(),
        });
    } else {
        let n = |l: List, cleared: bool| {
            items
                .iter()
                .filter(|i| i.list == l && (!cleared || i.status == Status::Cleared))
                .count()
        };
        let f = vec![
            fig("clearing_no_rd", n(List::NoRd, false), "家", list.clone()),
            fig(
                "clearing_no_rd_cleared",
                n(List::NoRd, true),
                "家",
                list.clone(),
            ),
            fig(
                "clearing_no_institution",
                n(List::NoInstitution, false),
                "家",
                list.clone(),
            ),
            fig(
                "clearing_no_institution_cleared",
                n(List::NoInstitution, true),
                "家",
                list.clone(),
            ),
        ];
        out.push(Section {
            id: "clearings",
            title: i18n::t("两清零"),
            text: i18n::f(
                "营业收入1亿元以上无研发活动的制造业企业 {} 家，已销号 {} 家（{}）；5亿元以上无研发机构的 {} 家，已销号 {} 家（{}）。",
                &[
                    &f[0].value,
                    &f[1].value,
                    &pct(n(List::NoRd, true), n(List::NoRd, false)),
                    &f[2].value,
                    &f[3].value,
                    &pct(n(List::NoInstitution, true), n(List::NoInstitution, false)),
                ],
            ),
            figures: f,
        });
    }

    // 两化, within the region.
    let (became, new_ht) = two_ways_in(st, user, year, region, admitted).await?;
    let list = format!("/monitoring/two-ways?year={year}");
    out.push(Section {
        id: "two_ways",
        title: i18n::t("高企规上化与规上高企化"),
        text: i18n::f(
            "高新技术企业中新晋规模以上的 {} 家，规模以上工业企业中新认定高新技术企业的 {} 家。",
            &[&became, &new_ht],
        ),
        figures: vec![
            fig("high_tech_became_above_scale", became, "家", list.clone()),
            fig("above_scale_became_high_tech", new_ht, "家", list),
        ],
    });

    // Chain events and the catalogue.
    let cf = zjtx_store::ChainFilter {
        year: Some(year),
        region: region.map(str::to_owned),
        ..Default::default()
    };
    let s = st.store.chain_summary(&cf).await?;
    let more = st.store.chain_line_more(&cf, year).await?;
    let events = format!("/chains/events?year={year}{dq}");
    if s.events == 0 && more.catalogue_products == 0 {
        out.push(Section {
            id: "chains",
            title: i18n::t("产业链协同"),
            text: i18n::t("本年度尚无产业链对接活动和优质产品目录记录。").into(),
            figures: Vec::new(),
        });
    } else {
        let f = vec![
            fig("chain_events", s.events, "场", events.clone()),
            fig(
                "chain_firms",
                s.firms,
                "家",
                format!("/chains/records?year={year}{dq}&what=firms"),
            ),
            fig(
                "chain_orders",
                wan(Some(s.orders)),
                "万元",
                format!("/chains/records?year={year}{dq}&what=order"),
            ),
            fig(
                "chain_financing",
                wan(Some(s.financing)),
                "万元",
                format!("/chains/records?year={year}{dq}&what=financing"),
            ),
            fig(
                "chain_projects",
                s.projects,
                "个",
                format!("/chains/records?year={year}{dq}&what=project"),
            ),
            fig(
                "catalogue_products",
                more.catalogue_products,
                "个",
                format!("/catalogue?year={year}"),
            ),
            fig(
                "catalogue_firms",
                more.catalogue_firms,
                "家",
                format!("/catalogue?year={year}"),
            ),
        ];
        out.push(Section {
            id: "chains",
            title: i18n::t("产业链协同"),
            text: i18n::f(
                "举办产业链“百场万企”对接活动 {} 场，{} 家企业参与，签约订单 {} 万元、融资 {} 万元、项目 {} 个；{} 个产品、{} 家企业入选年度优质产品推荐目录。",
                &[
                    &f[0].value, &f[1].value, &f[2].value, &f[3].value, &f[4].value, &f[5].value,
                    &f[6].value,
                ],
            ),
            figures: f,
        });
    }

    // Funding programmes of the year: awards, paid and recovered (a district: its firms'); then
    // the future factories among them, by tier.
    out.push(of_records(
        (year, region),
        "funds",
        i18n::t("专项资金"),
        i18n::t("本年度尚无专项资金申报通知。"),
        records::funds(st, year, region).await?,
        |f| {
            i18n::f(
                "批准专项资金项目 {} 个、补助 {} 万元，已拨付 {} 万元，追回 {} 万元。",
                &[&f[0].value, &f[1].value, &f[2].value, &f[3].value],
            )
        },
    ));
    out.push(of_records(
        (year, region),
        "future_factories",
        i18n::t("未来工厂"),
        i18n::t("本年度尚无未来工厂培育通知。"),
        records::future_factories(st, year, region).await?,
        |f| i18n::f(
                "获得未来工厂培育奖励的企业 {} 家，其中未来工厂（链主工厂）{} 家、智能工厂 {} 家、数字化车间 {} 家，奖励 {} 万元。",
                &[&f[0].value, &f[1].value, &f[2].value, &f[3].value, &f[4].value],
            ),
    ));

    // Digital service providers (the city's selection).
    let sel = st.store.selections(year).await?;
    let list = format!("/providers/selected?year={year}");
    out.push(if sel.is_empty() {
        Section {
            id: "providers",
            title: i18n::t("数字工程服务商"),
            text: i18n::t("本年度尚未公布数字工程服务商遴选结果。").into(),
            figures: Vec::new(),
        }
    } else {
        let award: i64 = sel.iter().map(|s| s.award).sum();
        let f = vec![
            fig("providers_selected", sel.len(), "家", list.clone()),
            fig("providers_award", wan(Some(award)), "万元", list),
        ];
        Section {
            id: "providers",
            title: i18n::t("数字工程服务商"),
            text: i18n::f(
                "遴选数字工程服务商 {} 家，奖励 {} 万元。",
                &[&f[0].value, &f[1].value],
            ),
            figures: f,
        }
    });
    out.push(of_records(
        (year, region),
        "finance",
        i18n::t("金融服务"),
        i18n::t("本年度尚无银企对接活动和授信记录。"),
        records::finance(st, year, region).await?,
        |f| i18n::f(
                "举办银企对接活动 {} 场，{} 家企业参加，现场签约融资 {} 万元；金融机构通过平台新增授信 {} 万元、放款 {} 万元，服务企业 {} 家。",
                &[&f[0].value, &f[1].value, &f[2].value, &f[3].value, &f[4].value, &f[5].value],
            ),
    ));
    out.push(of_records(
        (year, region),
        "listing",
        i18n::t("上市培育"),
        i18n::t("上市培育库尚无企业。"),
        records::listing(st, region).await?,
        |f| i18n::f(
                "截至 {}，上市培育库中处于培育阶段的企业 {} 家、股改 {} 家、辅导 {} 家、申报 {} 家、挂牌 {} 家，已上市 {} 家。",
                &[&st.today(), &f[0].value, &f[1].value, &f[2].value, &f[3].value, &f[4].value, &f[5].value],
            ),
    ));
    Ok(out)
}

/// 两化 counts within a region (the city's whole or a district).
async fn two_ways_in(
    st: &AppState,
    user: &CurrentUser,
    year: i32,
    region: Option<&str>,
    admitted: crate::whole::Admitted,
) -> Result<(usize, usize), AppError> {
    let kept = two_ways(st, user, year, &admitted).await?;
    let (became, new_ht) = &*kept;
    let name = region.map(|r| district_name(Some(r)));
    let inside = |r: &&TwoWaysRow| name.as_ref().is_none_or(|n| &r.district == n);
    Ok((
        became.iter().filter(inside).count(),
        new_ht.iter().filter(inside).count(),
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "bulletin.html")]
pub struct BulletinPage {
    pub tr: Tr,
    pub nav: Nav,
    pub year: i32,
    pub region: String,
    pub region_name: String,
    pub sections: Vec<SectionView>,
    pub districts: Vec<(&'static str, &'static str)>,
    pub is_city: bool,
}

/// `GET /monitoring/bulletin?year=&region=`.
pub async fn page(
    State(st): State<AppState>,
    user: CurrentUser,
    admitted: crate::whole::Admitted,
    Query(q): Query<BulletinQuery>,
) -> Result<BulletinPage, AppError> {
    let year = year_of(&st, &q.year)?;
    let region = region_of(&st, &user, &q).await?;
    let sections = sections(&st, &user, year, region.as_deref(), admitted).await?;
    Ok(BulletinPage {
        tr: Tr,
        nav: Nav::of(&user),
        year,
        region_name: region
            .as_deref()
            .map_or_else(|| i18n::t("全市").to_owned(), |r| district_name(Some(r))),
        region: region.unwrap_or_default(),
        sections: sections
            .into_iter()
            .map(|s| {
                let (bars, height) = bars(&s);
                SectionView { s, bars, height }
            })
            .collect(),
        districts: zjtx_core::enterprise::DISTRICTS.to_vec(),
        is_city: user.user.role == Role::City,
    })
}

/// `GET /api/v1/bulletin?year=&region=`: every figure with its unit and the list behind it.
#[utoipa::path(get, path = "/api/v1/bulletin",
    summary = "The yearly bulletin's figures for the city or a district, each with its unit and the page or API path of the records it counts",
    params(("year" = Option<i64>, Query), ("region" = Option<String>, Query, description = "a district's code; the city when empty")),
    responses((status = 200, description = "the figures", body = crate::api::types::Bulletin),
        (status = 404, description = "no such district", body = crate::api::Problem)))]
pub async fn api(
    State(st): State<AppState>,
    crate::api::ApiUser(user): crate::api::ApiUser,
    admitted: crate::whole::Admitted,
    Query(q): Query<BulletinQuery>,
) -> Result<axum::Json<crate::api::types::Bulletin>, crate::api::ApiError> {
    let year = year_of(&st, &q.year)?;
    let region = region_of(&st, &user, &q).await?;
    let figures = sections(&st, &user, year, region.as_deref(), admitted)
        .await?
        .into_iter()
        .flat_map(|s| s.figures)
        .map(|f| crate::api::types::BulletinFigure {
            id: f.id.to_owned(),
            value: f.value,
            unit: f.unit.to_owned(),
            list: f.list,
        })
        .collect();
    Ok(axum::Json(crate::api::types::Bulletin {
        year: year.into(),
        region,
        figures,
    }))
}

/// `GET /monitoring/bulletin.xlsx?year=&region=`: the bulletin as a workbook, a sheet per section
/// (its paragraph, then each figure with its unit and list).
pub async fn xlsx(
    State(st): State<AppState>,
    user: CurrentUser,
    admitted: crate::whole::Admitted,
    Query(q): Query<BulletinQuery>,
) -> Result<axum::response::Response, AppError> {
    let year = year_of(&st, &q.year)?;
    let region = region_of(&st, &user, &q).await?;
    let sections = sections(&st, &user, year, region.as_deref(), admitted).await?;
    let headers = vec![
        i18n::t("指标"),
        i18n::t("数值"),
        i18n::t("单位"),
        i18n::t("清单"),
    ];
    let sheets: Vec<zjtx_sheet::write::Sheet<'static>> = sections
        .into_iter()
        .map(|s| {
            use zjtx_sheet::write::Cell;
            let mut rows = vec![vec![
                Cell::Text(i18n::t("说明").to_owned()),
                Cell::Text(s.text),
                Cell::Text(String::new()),
                Cell::Text(String::new()),
            ]];
            // A figure is a number Excel can sum: a count as a whole number, an amount or a
            // rate as a decimal (text only if it is not a number).
            rows.extend(s.figures.into_iter().map(|f| {
                let value = match f.value.parse::<i64>() {
                    Ok(n) => Cell::Int(n),
                    Err(_) => Cell::Amount(f.value),
                };
                vec![
                    Cell::Text(f.label.to_owned()),
                    value,
                    Cell::Text(f.unit_text.to_owned()),
                    Cell::Text(f.list),
                ]
            }));
            (s.title.to_owned(), headers.clone(), rows)
        })
        .collect();
    let body = tokio::task::spawn_blocking(move || zjtx_sheet::write::sheets_xlsx(sheets))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::common::xlsx_download(
        &format!("bulletin-{year}.xlsx"),
        body,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    pub year: String,
    pub region: String,
    pub id: String,
}

/// A record as the list page shows it.
pub struct RecordView {
    pub r: records::Record,
    pub amount: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "bulletin_list.html")]
pub struct ListPage {
    pub tr: Tr,
    pub nav: Nav,
    pub year: i32,
    pub region: String,
    pub region_name: String,
    pub label: &'static str,
    pub unit: &'static str,
    pub value: String,
    pub sum: bool,
    pub rows: Vec<RecordView>,
}

async fn list_of(
    st: &AppState,
    user: &CurrentUser,
    q: &ListQuery,
) -> Result<(i32, Option<String>, records::Records), AppError> {
    let year = year_of(st, &q.year)?;
    let region = region_of(
        st,
        user,
        &BulletinQuery {
            year: q.year.clone(),
            region: q.region.clone(),
        },
    )
    .await?;
    let r = records::of(st, year, region.as_deref(), q.id.trim())
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((year, region, r))
}

/// `GET /monitoring/bulletin/list?year=&region=&id=`: the records behind a figure that has no
/// list page of its own, with their count or total.
pub async fn list_page(
    State(st): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<ListPage, AppError> {
    let (year, region, r) = list_of(&st, &user, &q).await?;
    let id = q.id.trim();
    Ok(ListPage {
        tr: Tr,
        nav: Nav::of(&user),
        year,
        region_name: region
            .as_deref()
            .map_or_else(|| i18n::t("全市").to_owned(), |r| district_name(Some(r))),
        region: region.unwrap_or_default(),
        label: figure_label(id),
        unit: r.unit(id),
        value: r.value(),
        sum: r.sum,
        rows: r
            .rows
            .into_iter()
            .map(|r| RecordView {
                amount: wan(r.units),
                r,
            })
            .collect(),
    })
}

/// `GET /api/v1/bulletin/list?year=&region=&id=`: the same records, amounts exact in 万元.
#[utoipa::path(get, path = "/api/v1/bulletin/list",
    summary = "The records behind one bulletin figure that has no list of its own (programme awards, future factories, bank–enterprise events and credit, the listing pipeline): the figure is their count, or the sum of their amounts",
    params(("id" = String, Query, description = "the figure's id"), ("year" = Option<i64>, Query),
        ("region" = Option<String>, Query)),
    responses((status = 200, description = "the records", body = crate::api::types::BulletinList),
        (status = 404, description = "no such figure or district", body = crate::api::Problem)))]
pub async fn list_api(
    State(st): State<AppState>,
    crate::api::ApiUser(user): crate::api::ApiUser,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<crate::api::types::BulletinList>, crate::api::ApiError> {
    let (year, region, r) = list_of(&st, &user, &q).await?;
    let id = q.id.trim();
    let rows = r
        .rows
        .iter()
        .map(|x| crate::api::types::BulletinRecord {
            uscc: x.uscc.clone(),
            name: x.name.clone(),
            what: x.what.clone(),
            date: x.date.clone(),
            amount_wan: x.units.and_then(Wan::from_units).map(|w| w.to_string()),
        })
        .collect();
    Ok(axum::Json(crate::api::types::BulletinList {
        id: id.to_owned(),
        year: year.into(),
        region,
        unit: r.unit(id).to_owned(),
        value: r.value(),
        rows,
    }))
}
