//! Open challenges (揭榜挂帅) through HTTP (issue 12): a firm posts anonymously, the city
//! screens and publishes with its subsidy, firms apply until the deadline, the poster scores and
//! selects, the work runs through milestones, the poster accepts and takes the solver into its
//! supplier list — with the refusals of each step (wrong role, wrong firm, wrong state, past
//! deadline), the audit trail, the recommended candidates and their reasons, and the anonymous
//! poster absent from every page, API answer and list anyone else reads.

mod common;

use axum::http::StatusCode;
use common::*;
use zjtx_store::Role;

fn day(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

fn url(s: &str) -> String {
    zjtx_web::common::urlencode(s)
}

#[tokio::test]
async fn a_challenge_from_posting_to_acceptance_with_its_refusals() {
    let w = world("challenges").await;
    let store = w.state.store.clone();
    w.state.set_today(Some(day("2026-06-15")));
    // The poster: a firm outside 西湖区; the applicants: the 西湖 firm and a third one.
    let poster = w.other_firm.clone();
    let poster_name = store
        .enterprise(&poster)
        .await
        .ok()
        .flatten()
        .map(|e| e.name)
        .unwrap_or_default();
    assert!(!poster_name.is_empty());
    let third = store
        .list(
            &zjtx_store::Filter {
                per_page: 50,
                ..Default::default()
            },
            &zjtx_store::Scope::all(),
        )
        .await
        .map(|p| p.items)
        .unwrap_or_default()
        .into_iter()
        .map(|e| e.uscc)
        .find(|u| *u != poster && *u != w.xihu_firm)
        .unwrap_or_default();
    add_user(&w, "lead", Role::Enterprise, None, Some(&poster)).await;
    add_user(&w, "third", Role::Enterprise, None, Some(&third)).await;
    // A candidate for the recommendation: tagged with the chain.
    store
        .set_chains(&[(third.clone(), vec!["集成电路".into()])], None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let city = login(&w, "city").await;
    let c = csrf_of(&w, &city).await;
    let lead = login(&w, "lead").await;
    let l = csrf_of(&w, &lead).await;
    let firm = login(&w, "firm").await;
    let f = csrf_of(&w, &firm).await;
    let thd = login(&w, "third").await;
    let t = csrf_of(&w, &thd).await;
    let xihu = login(&w, "xihu").await;
    let x = csrf_of(&w, &xihu).await;

    let posting = |csrf: &str, title: &str, deadline: &str, anonymous: bool| {
        format!(
            "csrf={csrf}&chain={}&title={}&description={}&indicators={}&deadline={deadline}&budget=300&reward=&mode=joint{}",
            url("集成电路"),
            url(title),
            url("车规级功率芯片的封装散热方案"),
            url("结温降低 15℃"),
            if anonymous { "&anonymous=on" } else { "" }
        )
    };
    // The city does not post; a district cannot; a refused posting names each field beside the
    // form and keeps what was typed.
    for (s, k) in [(&city, &c), (&xihu, &x)] {
        let r = send(
            &w,
            post(
                "/challenges",
                Some(s),
                &posting(k, "x", "2026-09-30", false),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    let r = send(
        &w,
        post(
            "/challenges",
            Some(&lead),
            &format!(
                "csrf={l}&chain={}&title={}&description=&indicators=&deadline=2026-06-15&budget=&reward=&mode=joint",
                url("集成电路"),
                url("保留的标题")
            ),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    for want in [
        "保留的标题",
        "需求描述：必填",
        "揭榜截止日期：请填写今天之后的日期",
        "预算与奖励至少填写一项",
    ] {
        assert!(r.body.contains(want), "{want}: {}", r.body);
    }

    let r = send(
        &w,
        post(
            "/challenges",
            Some(&lead),
            &posting(&l, "功率芯片封装散热揭榜", "2026-09-30", true),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = id_after(&r.location, "/challenges/");
    let page = format!("/challenges/{id}");

    // Not published yet: absent for anyone but the poster and the city.
    for s in [None, Some(firm.as_str()), Some(xihu.as_str())] {
        assert_eq!(send(&w, get(&page, s)).await.status, StatusCode::NOT_FOUND);
    }
    let r = send(&w, get(&page, Some(&lead))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains(&poster_name), "the poster sees itself");
    // Only the city screens.
    for (s, k) in [(&lead, &l), (&xihu, &x), (&firm, &f)] {
        let r = send(
            &w,
            post(
                &format!("{page}/screen"),
                Some(s),
                &format!("csrf={k}&decision=publish&subsidy=on"),
            ),
        )
        .await;
        assert!(
            matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{}",
            r.status
        );
    }
    let r = send(&w, get(&page, Some(&city))).await;
    assert!(r.body.contains(&poster_name), "the city sees the poster");
    let r = send(
        &w,
        post(
            &format!("{page}/screen"),
            Some(&city),
            &format!("csrf={c}&decision=reject&reason="),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "a rejection says why");
    let r = send(
        &w,
        post(
            &format!("{page}/screen"),
            Some(&city),
            &format!("csrf={c}&decision=publish&subsidy=on&reason="),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The same click again: the challenge has moved on.
    let r = send(
        &w,
        post(
            &format!("{page}/screen"),
            Some(&city),
            &format!("csrf={c}&decision=publish&subsidy=on&reason="),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // The public API lists it without its poster.
    let api = send(&w, get("/api/v1/challenges", None)).await;
    assert_eq!(api.status, StatusCode::OK);
    let listed = json(&api);
    assert!(
        listed["items"]
            .as_array()
            .is_some_and(|v| v.iter().any(|i| i["id"] == id
                && i["anonymous"] == true
                && i["poster"].is_null()
                && i["city_subsidy"] == true)),
        "{listed}"
    );
    assert!(!api.body.contains(&poster_name) && !api.body.contains(&poster));

    // A second challenge, named, closing at the end of June.
    let r = send(
        &w,
        post(
            "/challenges",
            Some(&lead),
            &posting(&l, "伺服电机驱动器国产化", "2026-06-30", false),
        ),
    )
    .await;
    let id2 = id_after(&r.location, "/challenges/");
    send(
        &w,
        post(
            &format!("/challenges/{id2}/screen"),
            Some(&city),
            &format!("csrf={c}&decision=publish&reason="),
        ),
    )
    .await;

    // Applications: not by the poster; the fields named; once per firm; after the deadline, no.
    let apply = |csrf: &str, team: &str| {
        format!(
            "csrf={csrf}&team={}&capability={}&plan={}",
            url(team),
            url("省级企业研究院"),
            url("三个月完成样品")
        )
    };
    let r = send(
        &w,
        post(
            &format!("{page}/applications"),
            Some(&lead),
            &apply(&l, "发榜方自己"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(
        &w,
        post(
            &format!("{page}/applications"),
            Some(&firm),
            &format!("csrf={f}&team=&capability=&plan=x"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("团队") && r.body.contains("研发能力"),
        "{}",
        r.body
    );
    let r = send(
        &w,
        post(
            &format!("{page}/applications"),
            Some(&firm),
            &apply(&f, "西湖团队十二人"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = send(
        &w,
        post(
            &format!("{page}/applications"),
            Some(&firm),
            &apply(&f, "西湖团队十二人"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "one application per firm");
    let r = send(
        &w,
        post(
            &format!("{page}/applications"),
            Some(&thd),
            &apply(&t, "第三家团队八人"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    w.state.set_today(Some(day("2026-07-01")));
    let r = send(
        &w,
        post(
            &format!("/challenges/{id2}/applications"),
            Some(&thd),
            &apply(&t, "迟到"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("揭榜已于 2026-06-30 截止"), "{}", r.body);

    // An applicant reads its own application only; the poster and the city read them all.
    let r = send(&w, get(&page, Some(&firm))).await;
    assert!(r.body.contains("西湖团队十二人") && !r.body.contains("第三家团队八人"));
    let r = send(&w, get(&page, Some(&lead))).await;
    assert!(r.body.contains("西湖团队十二人") && r.body.contains("第三家团队八人"));
    let apps = store.challenge_applications(id).await.unwrap_or_default();
    let mine = apps
        .iter()
        .find(|a| a.uscc == w.xihu_firm)
        .map(|a| a.id)
        .unwrap_or_default();
    let theirs = apps
        .iter()
        .find(|a| a.uscc == third)
        .map(|a| a.id)
        .unwrap_or_default();

    // The city's page recommends the tagged firm, with its reason; never the poster.
    let r = send(&w, get(&page, Some(&city))).await;
    assert!(r.body.contains("推荐揭榜企业"), "{}", r.body);
    assert!(r.body.contains("同属产业链“集成电路”"), "{}", r.body);
    assert!(r.body.contains(&format!("/enterprises/{third}")));
    assert!(!r.body.contains(&format!("/enterprises/{poster}")));

    // Selection: only the poster; scores within the rule's scale; a reason; then the start.
    let select = |csrf: &str, team: &str, reason: &str| {
        format!(
            "csrf={csrf}&team={team}&capability=20&plan=22&fit=25&reason={}",
            url(reason)
        )
    };
    let r = send(
        &w,
        post(
            &format!("/challenge-applications/{mine}/select"),
            Some(&firm),
            &select(&f, "20", "自荐"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(
        &w,
        post(
            &format!("/challenge-applications/{mine}/select"),
            Some(&lead),
            &select(&l, "26", "方案完整"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("评分"), "{}", r.body);
    let r = send(
        &w,
        post(
            &format!("/challenge-applications/{mine}/select"),
            Some(&lead),
            &select(&l, "18", "方案完整，团队匹配"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // No milestone before the work starts.
    let r = send(
        &w,
        post(
            &format!("/challenge-applications/{mine}/milestones"),
            Some(&firm),
            &format!("csrf={f}&title=x&due=2026-08-01"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = send(
        &w,
        post(&format!("{page}/start"), Some(&lead), &format!("csrf={l}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let st = |id: i64| {
        let store = store.clone();
        async move {
            store
                .challenge_application(id)
                .await
                .ok()
                .flatten()
                .map(|a| a.status.key())
        }
    };
    assert_eq!(st(mine).await, Some("selected"));
    assert_eq!(st(theirs).await, Some("not_selected"));

    // Milestones: planned by the solver, reported with evidence, confirmed by the poster; an
    // acceptance before then is refused.
    let r = send(
        &w,
        post(
            &format!("/challenge-applications/{mine}/milestones"),
            Some(&firm),
            &format!("csrf={f}&title={}&due=2026-08-01", url("样品交付")),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let m = store
        .milestones(mine)
        .await
        .unwrap_or_default()
        .first()
        .map(|m| m.id)
        .unwrap_or_default();
    let accept = |csrf: &str, inv: &str| format!("csrf={csrf}&investment={inv}&supplier=on");
    let r = send(
        &w,
        post(
            &format!("/challenge-applications/{mine}/accept"),
            Some(&lead),
            &accept(&l, "1500"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("全部节点完成"), "{}", r.body);
    let r = send(
        &w,
        post(
            &format!("/challenge-milestones/{m}/report"),
            Some(&thd),
            &format!("csrf={t}&evidence=x"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "a firm not selected");
    let r = send(
        &w,
        post(
            &format!("/challenge-milestones/{m}/report"),
            Some(&firm),
            &format!("csrf={f}&evidence={}", url("第三方检测报告 ZJ-2026-018")),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = send(
        &w,
        post(
            &format!("/challenge-milestones/{m}/confirm"),
            Some(&firm),
            &format!("csrf={f}&decision=yes"),
        ),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "the solver does not confirm"
    );
    let r = send(
        &w,
        post(
            &format!("/challenge-milestones/{m}/confirm"),
            Some(&lead),
            &format!("csrf={l}&decision=yes"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // A subsidised challenge needs the investment; 20% of 1500 is 300, capped at 200.
    let r = send(
        &w,
        post(
            &format!("/challenge-applications/{mine}/accept"),
            Some(&lead),
            &accept(&l, ""),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = send(
        &w,
        post(
            &format!("/challenge-applications/{mine}/accept"),
            Some(&lead),
            &accept(&l, "1500"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let a = store.challenge_application(mine).await.ok().flatten();
    assert_eq!(
        a.map(|a| (a.status.key(), a.investment, a.subsidy)),
        Some(("accepted", Some(15_000_000), Some(2_000_000)))
    );
    let r = send(&w, get(&page, Some(&lead))).await;
    assert!(r.body.contains("已结束"), "{}", r.body);
    assert!(r.body.contains("200"), "the subsidy shown");
    let r = send(&w, get("/challenges/manage", Some(&lead))).await;
    let firm_name = store
        .enterprise(&w.xihu_firm)
        .await
        .ok()
        .flatten()
        .map(|e| e.name)
        .unwrap_or_default();
    assert!(
        r.body
            .split("id=\"suppliers\"")
            .nth(1)
            .is_some_and(|s| s.contains(&firm_name)),
        "the solver is in the poster's supplier list"
    );

    // The bureau's line of the chain counts the challenge published and the result accepted.
    let line = send(
        &w,
        get(
            &format!("/chains/events?year=2026&chain={}", url("集成电路")),
            Some(&city),
        ),
    )
    .await;
    let cell = |id: &str| {
        line.body
            .split(&format!("id=\"{id}\""))
            .nth(1)
            .and_then(|s| s.split("</td>").next())
            .map(|s| s.chars().filter(char::is_ascii_digit).collect::<String>())
            .unwrap_or_default()
    };
    assert_eq!(
        cell("challenges-published"),
        "2",
        "both challenges of the chain"
    );

    // The audit trail of the work.
    for action in [
        "challenge.post",
        "challenge.screen.published",
        "challenge.apply",
        "challenge.select",
        "challenge.start",
        "challenge.milestone",
        "challenge.milestone.report",
        "challenge.milestone.done",
        "challenge.accept",
    ] {
        assert!(
            !store
                .audit_by_action(action)
                .await
                .unwrap_or_default()
                .is_empty(),
            "{action}"
        );
    }

    // The anonymous poster appears nowhere anyone else reads: the public list and page, the
    // API, the applicants' pages and work pages, the district.
    let api = send(&w, get("/api/v1/challenges", None)).await;
    assert_eq!(api.status, StatusCode::OK);
    let listed = json(&api);
    assert!(
        listed["items"].as_array().is_some_and(|v| v
            .iter()
            .any(|i| i["id"] == id2 && i["poster"]["uscc"] == poster.as_str())),
        "a named challenge names its poster: {listed}"
    );
    for (who, path) in [
        (None, "/challenges".to_owned()),
        (None, page.clone()),
        (Some(firm.as_str()), page.clone()),
        (Some(thd.as_str()), page.clone()),
        (Some(firm.as_str()), "/challenges/manage".to_owned()),
        (Some(thd.as_str()), "/challenges/manage".to_owned()),
        (Some(xihu.as_str()), page.clone()),
    ] {
        let r = send(&w, get(&path, who)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        // The anonymous one is shown without a poster; the named one (id2) with it, so check
        // the anonymous challenge's own row or page.
        let part = if path == page {
            r.body.clone()
        } else {
            r.body
                .split(&format!("/challenges/{id}\""))
                .nth(1)
                .and_then(|s| s.split("</tr>").next())
                .unwrap_or_default()
                .to_owned()
        };
        assert!(
            !part.contains(&poster_name) && !part.contains(&poster),
            "{who:?} {path}: {part}"
        );
        assert!(part.contains("匿名发榜企业") || path != page, "{path}");
    }
}
