//! The demo city's open challenges (揭榜挂帅), made by the product: each posting, screening,
//! application, selection, milestone and acceptance goes through `workflow::challenge`'s steps
//! and the store's guarded writes, dated as they would have been, so that every stage has a
//! challenge to show — one closed with an accepted, subsidised result and a new supplier, one
//! under way, two taking applications (one anonymous), one waiting for the bureau.

use anyhow::{Result, anyhow};
use chrono::{Days, NaiveDate};
use zjtx_core::rules::ChallengeRules;
use zjtx_core::workflow::challenge::{
    self as flow, AppStatus, ApplicationDraft, Draft, MilestoneStatus, Screen, Seat, Status,
};
use zjtx_store::{ChallengeFilter, Filter, Scope, Store};

/// A challenge of the demo: its text, its poster, how anonymous, how far it goes.
struct Plan {
    title: &'static str,
    chain: &'static str,
    description: &'static str,
    indicators: &'static str,
    budget: &'static str,
    reward: &'static str,
    mode: &'static str,
    anonymous: bool,
    /// Days before today it was posted, and its deadline after posting.
    posted_ago: u64,
    open_days: u64,
    stage: Status,
}

const PLANS: &[Plan] = &[
    Plan {
        title: "车规级功率模块封装散热方案",
        chain: "集成电路",
        description: "新能源汽车电驱用功率模块结温偏高，寻求新型封装与散热结构方案，可小批量验证。",
        indicators: "结温降低 15℃ 以上；热循环 1000 次无失效；成本增加不超过 8%",
        budget: "600",
        reward: "",
        mode: "joint",
        anonymous: true,
        posted_ago: 200,
        open_days: 30,
        stage: Status::Closed,
    },
    Plan {
        title: "伺服电机高分辨率编码器国产化",
        chain: "机器人",
        description: "替代进口 23 位绝对值编码器，用于协作机器人关节模组。",
        indicators: "分辨率 23 位；工作温度 -20~85℃；单价不高于进口产品 70%",
        budget: "300",
        reward: "验收通过后纳入供应商名录",
        mode: "entrust",
        anonymous: false,
        posted_ago: 60,
        open_days: 20,
        stage: Status::Underway,
    },
    Plan {
        title: "生物可降解医用缝合线材料",
        chain: "医疗器械",
        description: "寻求可控降解周期的缝合线材料及量产工艺。",
        indicators: "降解周期 60~90 天可调；抗张强度不低于现有产品",
        budget: "200",
        reward: "",
        mode: "joint",
        anonymous: true,
        posted_ago: 20,
        open_days: 60,
        stage: Status::Published,
    },
    Plan {
        title: "工业边缘控制器实时操作系统适配",
        chain: "智能仪表",
        description: "产线边缘控制器需适配国产实时操作系统，并通过功能安全评估。",
        indicators: "任务切换抖动 < 10μs；通过 IEC 61508 SIL2 评估",
        budget: "",
        reward: "首批采购订单 500 万元",
        mode: "purchase",
        anonymous: false,
        posted_ago: 10,
        open_days: 75,
        stage: Status::Published,
    },
    Plan {
        title: "储能电池簇热失控早期预警",
        chain: "储能",
        description: "储能电站电池簇热失控早期预警算法与传感方案。",
        indicators: "提前 10 分钟预警；误报率 < 1%",
        budget: "150",
        reward: "",
        mode: "entrust",
        anonymous: false,
        posted_ago: 2,
        open_days: 60,
        stage: Status::Submitted,
    },
];

fn err(r: flow::Refusal) -> anyhow::Error {
    anyhow!("demo challenge refused: {r:?}")
}

/// Once: the five challenges above. `lead` posts the first two (the demo's `lead` account),
/// `firm` (the demo's `firm` account) solves the second and applies to the third.
pub async fn demo_challenges(
    store: &Store,
    today: NaiveDate,
    rules: &ChallengeRules,
    lead: &str,
    firm: &str,
) -> Result<()> {
    if !store
        .challenges(&ChallengeFilter::default())
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let chains: Vec<String> = store
        .chains()
        .await?
        .into_iter()
        .filter(|c| c.retired_on.is_none())
        .map(|c| c.name)
        .collect();
    let others: Vec<String> = store
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
        .filter(|u| u != lead && u != firm)
        .collect();
    if others.len() < 8 {
        return Ok(());
    }
    let names: Vec<&str> = chains.iter().map(String::as_str).collect();
    for (i, p) in PLANS.iter().enumerate() {
        let chain = if names.contains(&p.chain) {
            p.chain
        } else {
            names.get(i % names.len().max(1)).copied().unwrap_or("")
        };
        let posted = today - Days::new(p.posted_ago);
        let deadline = (posted + Days::new(p.open_days)).to_string();
        let poster = if i < 2 { lead } else { &others[i] };
        let c = flow::post(
            Seat::Firm,
            &Draft {
                chain,
                title: p.title,
                description: p.description,
                indicators: p.indicators,
                deadline: &deadline,
                budget: p.budget,
                reward: p.reward,
                mode: p.mode,
                anonymous: p.anonymous,
            },
            &names,
            posted,
        )
        .map_err(err)?;
        let id = store.post_challenge(poster, &c, None).await?;
        if p.stage == Status::Submitted {
            continue;
        }
        let published = posted + Days::new(2);
        let subsidy = i == 0;
        let to = flow::screen(
            Seat::Bureau,
            Status::Submitted,
            Screen::Publish { subsidy },
            "",
            c.deadline,
            published,
        )
        .map_err(err)?;
        let day = published.to_string();
        store
            .challenge_step(
                id,
                Status::Submitted,
                to,
                "",
                Some((&day, subsidy)),
                "challenge.screen.published",
                None,
            )
            .await?;
        // Applicants: the demo firm where it plays a part, and two or three others.
        let mut applicants: Vec<&str> = Vec::new();
        if i == 1 || i == 2 {
            applicants.push(firm);
        }
        applicants.extend(others.iter().skip(5 + i * 3).take(2).map(String::as_str));
        if p.stage == Status::Published && i == 3 {
            applicants.clear();
        }
        let applied_on = published + Days::new(5);
        for (k, u) in applicants.iter().enumerate() {
            let a = flow::apply(
                Seat::Firm,
                Status::Published,
                c.deadline,
                &ApplicationDraft {
                    team: [
                        "研发团队 12 人，其中博士 3 人",
                        "研发团队 8 人，核心成员来自高校实验室",
                        "研发团队 15 人",
                    ][k % 3],
                    capability: [
                        "省级企业研究院，相关发明专利 6 项",
                        "市级研发中心，已完成同类样机",
                        "国家级专精特新“小巨人”，配套头部整车厂",
                    ][k % 3],
                    plan: [
                        "三个月完成样品，六个月小批量验证",
                        "分两阶段：方案论证 2 个月，样机与测试 4 个月",
                        "联合实验室方式推进，九个月交付",
                    ][k % 3],
                },
                applied_on,
            )
            .map_err(err)?;
            store.apply_challenge(id, u, &a, None).await?;
        }
        if p.stage == Status::Published {
            continue;
        }
        // The poster selects the first applicant and starts the work.
        let apps = store.challenge_applications(id).await?;
        let Some(chosen) = apps.first().cloned() else {
            continue;
        };
        let scores = flow::select(
            Seat::Poster,
            Status::Published,
            AppStatus::Applied,
            0,
            ["22", "21", "20", "23"],
            "团队与研发能力最匹配，方案周期合理",
            rules,
        )
        .map_err(err)?;
        store
            .select_application(
                chosen.id,
                &scores,
                "团队与研发能力最匹配，方案周期合理",
                rules.select_max,
                None,
            )
            .await?;
        flow::start(Seat::Poster, Status::Published, 1, rules).map_err(err)?;
        store.start_challenge(id, rules.select_max, None).await?;
        let started = c.deadline + Days::new(3);
        let steps: &[(&str, u64)] = &[("方案评审", 20), ("样品交付与第三方检测", 60)];
        for (title, after) in steps {
            let due = (started + Days::new(*after)).to_string();
            let m = flow::plan_milestone(
                Seat::Applicant,
                Status::Underway,
                AppStatus::Selected,
                title,
                &due,
                started,
            )
            .map_err(err)?;
            store.add_milestone(chosen.id, &m, None).await?;
        }
        let ms = store.milestones(chosen.id).await?;
        // Under way: the first milestone reported, waiting for the poster; closed: all done.
        let upto = if p.stage == Status::Closed {
            ms.len()
        } else {
            1
        };
        for m in ms.iter().take(upto) {
            let evidence = flow::report(
                Seat::Applicant,
                MilestoneStatus::Planned,
                "第三方检测报告编号 ZJ-2026-0xx，样品已交付发榜方",
            )
            .map_err(err)?;
            store
                .milestone_step(
                    m.id,
                    MilestoneStatus::Planned,
                    MilestoneStatus::Reported,
                    Some(&evidence),
                    "",
                    "challenge.milestone.report",
                    None,
                )
                .await?;
            if p.stage == Status::Closed {
                let to = flow::confirm(Seat::Poster, MilestoneStatus::Reported, true, "")
                    .map_err(err)?;
                store
                    .milestone_step(
                        m.id,
                        MilestoneStatus::Reported,
                        to,
                        None,
                        "",
                        "challenge.milestone.done",
                        None,
                    )
                    .await?;
            }
        }
        if p.stage == Status::Closed {
            let ms: Vec<MilestoneStatus> = store
                .milestones(chosen.id)
                .await?
                .iter()
                .map(|m| m.status)
                .collect();
            let acc = flow::accept(
                Seat::Poster,
                Status::Underway,
                AppStatus::Selected,
                &ms,
                "800",
                true,
                rules,
            )
            .map_err(err)?;
            let chosen = store
                .challenge_application(chosen.id)
                .await?
                .ok_or_else(|| anyhow!("demo application gone"))?;
            let decided = (started + Days::new(90)).min(today).to_string();
            store
                .decide_application(&chosen, poster, Some((acc, true)), "", &decided, None)
                .await?;
        }
    }
    println!(
        "  and {} open challenges (揭榜挂帅), one at each stage",
        PLANS.len()
    );
    Ok(())
}
