//! Open challenges (揭榜挂帅, issue 12): the public list and page of published challenges, a
//! challenge's page as each seat sees it (the poster scores, selects, follows milestones and
//! accepts; an applicant its own application and milestones; the city screens and reads the
//! recommended candidates), and the work page where firms post and the city screens. The rules
//! of each step are `zjtx_core::workflow::challenge`; the records are the store's `challenges`.
//!
//! An anonymous poster is removed from the row itself before any page, export or API answer is
//! made of it (`view`), unless the reader is the poster or the city bureau.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use zjtx_core::workflow::challenge::{
    self as flow, AppStatus, Field, MilestoneStatus, Mode, Reason, Refusal, Seat, Status,
};
use zjtx_store::{ChallengeApplication, ChallengeFilter, ChallengeMilestone, ChallengeRow, Role};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::common::wan;
use crate::error::AppError;
use crate::i18n::{self, Tr};
use crate::nav::Nav;

pub mod work;

pub fn status_label(s: Status) -> &'static str {
    match s {
        Status::Submitted => i18n::t("待审核"),
        Status::Returned => i18n::t("已退回"),
        Status::Published => i18n::t("揭榜中"),
        Status::Underway => i18n::t("攻关中"),
        Status::Closed => i18n::t("已结束"),
        Status::Rejected => i18n::t("未通过"),
        Status::Withdrawn => i18n::t("已撤回"),
    }
}

pub fn app_label(s: AppStatus) -> &'static str {
    match s {
        AppStatus::Applied => i18n::t("已申请"),
        AppStatus::Selected => i18n::t("已入选"),
        AppStatus::NotSelected => i18n::t("未入选"),
        AppStatus::Withdrawn => i18n::t("已撤回"),
        AppStatus::Accepted => i18n::t("已验收"),
        AppStatus::Failed => i18n::t("未通过验收"),
    }
}

pub fn milestone_label(s: MilestoneStatus) -> &'static str {
    match s {
        MilestoneStatus::Planned => i18n::t("进行中"),
        MilestoneStatus::Reported => i18n::t("待确认"),
        MilestoneStatus::Done => i18n::t("已完成"),
    }
}

pub fn mode_label(m: Mode) -> &'static str {
    match m {
        Mode::Entrust => i18n::t("委托开发"),
        Mode::Joint => i18n::t("联合攻关"),
        Mode::Transfer => i18n::t("技术转让"),
        Mode::Purchase => i18n::t("产品采购"),
    }
}

pub fn field_label(f: Field) -> &'static str {
    match f {
        Field::Chain => i18n::t("产业链"),
        Field::Title => i18n::t("标题"),
        Field::Description => i18n::t("需求描述"),
        Field::Indicators => i18n::t("目标指标"),
        Field::Deadline => i18n::t("揭榜截止日期"),
        Field::Budget => i18n::t("预算（万元）"),
        Field::Reward => i18n::t("奖励"),
        Field::Mode => i18n::t("合作方式"),
        Field::Team => i18n::t("团队"),
        Field::Capability => i18n::t("研发能力"),
        Field::Plan => i18n::t("实施方案"),
        Field::Score => i18n::t("评分"),
        Field::Reason => i18n::t("理由"),
        Field::Due => i18n::t("计划完成日期"),
        Field::Evidence => i18n::t("完成情况与佐证"),
        Field::Investment => i18n::t("实际投入（万元）"),
    }
}

/// How to put a field right.
pub fn field_hint(f: Field) -> &'static str {
    match f {
        Field::Chain => i18n::t("请选择一条在用的产业链"),
        Field::Deadline => i18n::t("请填写今天之后的日期"),
        Field::Budget => i18n::t("预算与奖励至少填写一项，预算为不小于 0 的数值"),
        Field::Mode => i18n::t("请选择合作方式"),
        Field::Score => i18n::t("每项评分为 0 到上限之间的整数"),
        Field::Due => i18n::t("请填写今天或之后的日期"),
        Field::Investment => i18n::t("享受市级补助的项目须填写实际投入，为不小于 0 的数值"),
        _ => i18n::t("必填，且不超过长度上限"),
    }
}

pub(crate) fn refused(r: Refusal) -> AppError {
    let conflict = |m: String| AppError::Store(zjtx_store::StoreError::Conflict(m));
    match r {
        Refusal::NotYourSeat => AppError::Forbidden,
        Refusal::Invalid(fs) => AppError::BadRequest(
            fs.iter()
                .map(|f| i18n::f("{}：{}", &[&field_label(*f), &field_hint(*f)]))
                .collect::<Vec<_>>()
                .join("；"),
        ),
        Refusal::WrongState(s) => conflict(i18n::f(
            "该榜单当前为“{}”，不能进行此操作",
            &[&status_label(s)],
        )),
        Refusal::WrongApplication(s) => conflict(i18n::f(
            "该申请当前为“{}”，不能进行此操作",
            &[&app_label(s)],
        )),
        Refusal::WrongMilestone(s) => conflict(i18n::f(
            "该节点当前为“{}”，不能进行此操作",
            &[&milestone_label(s)],
        )),
        Refusal::PastDeadline(d) => conflict(i18n::f("揭榜已于 {} 截止", &[&d.to_string()])),
        Refusal::TooManySelected(n) => conflict(i18n::f("最多选定 {} 家揭榜方", &[&n])),
        Refusal::NoneSelected => conflict(i18n::t("请先选定至少一家揭榜方").into()),
        Refusal::MilestonesOpen => {
            conflict(i18n::t("全部节点完成并经确认后方可验收（至少一个节点）").into())
        }
    }
}

/// The seat of a reader towards a challenge (for an application, `Applicant` is decided apart).
pub fn seat_of(user: Option<&CurrentUser>, c: &ChallengeRow) -> Seat {
    match user.map(|u| (u.user.role, u.user.uscc.as_deref())) {
        Some((Role::City, _)) => Seat::Bureau,
        Some((Role::Enterprise, Some(u))) if u == c.poster_uscc => Seat::Poster,
        Some((Role::Enterprise, Some(_))) => Seat::Firm,
        _ => Seat::Other,
    }
}

/// A challenge as a seat may see it: an anonymous poster's name and code are gone from the row
/// unless the seat may know them.
pub struct View {
    pub c: ChallengeRow,
    pub poster: String,
    pub status: &'static str,
    pub mode: &'static str,
    pub budget: String,
}

pub fn view(mut c: ChallengeRow, seat: Seat) -> View {
    let poster = if seat.sees_poster(c.anonymous) {
        if c.anonymous {
            i18n::f("{}（匿名发布）", &[&c.poster_name])
        } else {
            c.poster_name.clone()
        }
    } else {
        c.poster_uscc.clear();
        c.poster_name.clear();
        i18n::t("匿名发榜企业").to_owned()
    };
    View {
        status: status_label(c.status),
        mode: mode_label(c.mode),
        budget: c.budget.map(|b| wan(Some(b))).unwrap_or_default(),
        poster,
        c,
    }
}

/// Published challenges and those under way or done, for everyone.
const PUBLIC: &[Status] = &[Status::Published, Status::Underway, Status::Closed];

#[derive(Template, WebTemplate)]
#[template(path = "challenges.html")]
pub struct ListPage {
    pub tr: Tr,
    pub open: Vec<View>,
    pub running: Vec<View>,
    pub signed_in: bool,
    pub manage: bool,
}

/// `GET /challenges`: the published challenges (public).
pub async fn public(
    State(st): State<AppState>,
    user: Option<CurrentUser>,
) -> Result<ListPage, AppError> {
    let rows = st
        .store
        .challenges(&ChallengeFilter {
            statuses: PUBLIC.to_vec(),
            ..Default::default()
        })
        .await?;
    let (mut open, mut running) = (Vec::new(), Vec::new());
    for c in rows {
        let seat = seat_of(user.as_ref(), &c);
        let v = view(c, seat);
        if v.c.status == Status::Published {
            open.push(v);
        } else {
            running.push(v);
        }
    }
    Ok(ListPage {
        tr: Tr,
        open,
        running,
        manage: user
            .as_ref()
            .is_some_and(|u| matches!(u.user.role, Role::City | Role::Enterprise)),
        signed_in: user.is_some(),
    })
}

pub struct MilestoneView {
    pub m: ChallengeMilestone,
    pub status: &'static str,
    pub can_report: bool,
    pub can_confirm: bool,
}

pub struct AppView {
    pub a: ChallengeApplication,
    pub status: &'static str,
    pub total: String,
    pub investment: String,
    pub subsidy: String,
    pub milestones: Vec<MilestoneView>,
    pub can_select: bool,
    pub can_plan: bool,
    pub can_decide: bool,
    /// Every milestone done (at least one): the result can be accepted.
    pub can_accept: bool,
    pub can_withdraw: bool,
}

pub struct CandidateView {
    pub uscc: String,
    pub name: String,
    pub score: u32,
    pub reasons: String,
}

fn reason_text(r: &Reason) -> String {
    match r {
        Reason::SameChain(c) => i18n::f("同属产业链“{}”", &[c]),
        Reason::Product(t) => i18n::f("主营产品含“{}”", &[t]),
        Reason::Title(t) => i18n::f(
            "持有{}称号",
            &[&zjtx_core::glossary::tier_short(t, i18n::lang())],
        ),
        Reason::Institution(l) => i18n::f(
            "拥有{}研发机构",
            &[&match l {
                zjtx_core::enterprise::RdInstitution::National => i18n::t("国家级"),
                _ => i18n::t("省级"),
            }],
        ),
        Reason::Accepted(n) => i18n::f("此前 {} 项揭榜成果通过验收", &[n]),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "challenge.html")]
pub struct DetailPage {
    pub tr: Tr,
    pub nav: Option<Nav>,
    pub v: View,
    pub is_poster: bool,
    pub is_city: bool,
    pub can_apply: bool,
    pub can_screen: bool,
    pub can_start: bool,
    pub can_withdraw: bool,
    /// The applications the reader may see: all (poster, city) or its own.
    pub apps: Vec<AppView>,
    pub selected: usize,
    pub select_max: u32,
    pub score_max: u32,
    pub subsidy_rule: String,
    pub candidates: Vec<CandidateView>,
    pub today: String,
}

pub(crate) fn rules(st: &AppState) -> zjtx_core::rules::ChallengeRules {
    st.rules
        .first()
        .map(|r| r.common.challenge.clone())
        .unwrap_or_else(|| zjtx_core::rules::ChallengeRules {
            clause: String::new(),
            conf: String::new(),
            select_max: 1,
            score_max: 0,
            subsidy_share: zjtx_core::num::Ppm(0),
            subsidy_cap: zjtx_core::num::Wan::ZERO,
        })
}

/// A challenge the reader may see: published ones (and later) by anyone, the rest by the poster
/// and the city only; else absent.
pub(crate) async fn visible(
    st: &AppState,
    user: Option<&CurrentUser>,
    id: i64,
) -> Result<(ChallengeRow, Seat), AppError> {
    let c = st.store.challenge(id).await?.ok_or(AppError::NotFound)?;
    let seat = seat_of(user, &c);
    if PUBLIC.contains(&c.status) || matches!(seat, Seat::Poster | Seat::Bureau) {
        Ok((c, seat))
    } else {
        Err(AppError::NotFound)
    }
}

/// `GET /challenges/{id}`.
pub async fn detail(
    State(st): State<AppState>,
    user: Option<CurrentUser>,
    Path(id): Path<String>,
) -> Result<DetailPage, AppError> {
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let (c, seat) = visible(&st, user.as_ref(), id).await?;
    let today = st.today();
    let r = rules(&st);
    let deadline = crate::common::date(&c.deadline).unwrap_or(today);
    let own = user.as_ref().and_then(|u| u.user.uscc.clone());
    let all = st.store.challenge_applications(id).await?;
    let selected = all
        .iter()
        .filter(|a| a.status == AppStatus::Selected || a.status == AppStatus::Accepted)
        .count();
    let selected_now = all
        .iter()
        .filter(|a| a.status == AppStatus::Selected)
        .count();
    let mut apps = Vec::new();
    for a in all {
        let mine = own.as_deref() == Some(a.uscc.as_str());
        if !(matches!(seat, Seat::Poster | Seat::Bureau) || mine) {
            continue;
        }
        let aseat = if mine { Seat::Applicant } else { seat };
        let ms = st.store.milestones(a.id).await?;
        let states: Vec<MilestoneStatus> = ms.iter().map(|m| m.status).collect();
        let can_accept = flow::accept(aseat, c.status, a.status, &states, "0", false, &r).is_ok();
        let milestones = ms
            .into_iter()
            .map(|m| MilestoneView {
                status: milestone_label(m.status),
                can_report: flow::report(aseat, m.status, "x").is_ok(),
                can_confirm: flow::confirm(aseat, m.status, true, "").is_ok(),
                m,
            })
            .collect();
        apps.push(AppView {
            status: app_label(a.status),
            total: a
                .scores
                .map(|s| s.iter().sum::<i64>().to_string())
                .unwrap_or_default(),
            investment: a.investment.map(|u| wan(Some(u))).unwrap_or_default(),
            subsidy: a.subsidy.map(|u| wan(Some(u))).unwrap_or_default(),
            milestones,
            can_select: flow::select(
                aseat,
                c.status,
                a.status,
                u32::try_from(selected_now).unwrap_or(u32::MAX),
                ["0"; 4],
                "x",
                &r,
            )
            .is_ok(),
            can_plan: flow::plan_milestone(
                aseat,
                c.status,
                a.status,
                "x",
                &today.to_string(),
                today,
            )
            .is_ok(),
            can_decide: flow::fail(aseat, c.status, a.status, "x").is_ok(),
            can_accept,
            can_withdraw: flow::withdraw_application(aseat, a.status).is_ok(),
            a,
        });
    }
    let applied = apps
        .iter()
        .any(|a| own.as_deref() == Some(a.a.uscc.as_str()));
    let can_apply = !applied
        && flow::apply(
            seat,
            c.status,
            deadline,
            &flow::ApplicationDraft {
                team: "x",
                capability: "x",
                plan: "x",
            },
            today,
        )
        .is_ok();
    let candidates = if seat == Seat::Bureau && c.status == Status::Published {
        candidates(&st, &c).await?
    } else {
        Vec::new()
    };
    Ok(DetailPage {
        tr: Tr,
        nav: user.as_ref().map(Nav::of),
        is_poster: seat == Seat::Poster,
        is_city: seat == Seat::Bureau,
        can_apply,
        can_screen: seat == Seat::Bureau && c.status == Status::Submitted,
        can_start: flow::start(seat, c.status, u32::try_from(selected_now).unwrap_or(0), &r)
            .is_ok(),
        can_withdraw: flow::withdraw(seat, c.status, "x").is_ok(),
        apps,
        selected,
        select_max: r.select_max,
        score_max: r.score_max,
        subsidy_rule: i18n::f(
            "市级补助：实际投入的 {}，最高 {} 万元",
            &[&r.subsidy_share, &r.subsidy_cap],
        ),
        candidates,
        today: today.to_string(),
        v: view(c, seat),
    })
}

/// The candidates the platform suggests for a challenge, with their reasons.
async fn candidates(st: &AppState, c: &ChallengeRow) -> Result<Vec<CandidateView>, AppError> {
    let ecosystem = st
        .chains()
        .await?
        .into_iter()
        .find(|x| x.name == c.chain)
        .map(|x| x.ecosystem)
        .unwrap_or_default();
    let facts = st
        .store
        .candidate_facts(&c.chain, &ecosystem, &st.today().to_string(), 2000)
        .await?;
    let text = format!("{} {} {}", c.title, c.description, c.indicators);
    Ok(flow::recommend(&c.chain, &text, &c.poster_uscc, &facts, 20)
        .into_iter()
        .map(|x| CandidateView {
            reasons: x
                .reasons
                .iter()
                .map(reason_text)
                .collect::<Vec<_>>()
                .join(i18n::t("；")),
            uscc: x.uscc,
            name: x.name,
            score: x.score,
        })
        .collect())
}

/// `GET /api/v1/challenges`: the published challenges open for applications (public), an
/// anonymous one without its poster.
#[utoipa::path(get, path = "/api/v1/challenges",
    summary = "The published open challenges (揭榜挂帅) taking applications (public); an anonymous challenge has no poster",
    responses((status = 200, description = "the challenges", body = crate::api::types::ChallengeList)))]
pub async fn api_list(
    State(st): State<AppState>,
) -> Result<axum::Json<crate::api::types::ChallengeList>, crate::api::ApiError> {
    use crate::api::types as t;
    let rows = st
        .store
        .challenges(&ChallengeFilter {
            statuses: vec![Status::Published],
            ..Default::default()
        })
        .await?;
    let items = rows
        .into_iter()
        .map(|c| {
            let v = view(c, Seat::Other);
            let c = v.c;
            t::Challenge {
                budget_wan: c
                    .budget
                    .and_then(zjtx_core::num::Wan::from_units)
                    .map(|w| w.to_string()),
                mode: t::key(&c.mode),
                poster: (!c.anonymous).then(|| t::Poster {
                    uscc: c.poster_uscc.clone(),
                    name: c.poster_name.clone(),
                }),
                id: c.id,
                chain: c.chain,
                title: c.title,
                description: c.description,
                indicators: c.indicators,
                deadline: c.deadline,
                reward: c.reward,
                anonymous: c.anonymous,
                city_subsidy: c.subsidy,
                published_on: c.published_on,
            }
        })
        .collect();
    Ok(axum::Json(t::ChallengeList { items }))
}
