//! Declarations over the API: an enterprise's system submits, a district's system reviews, each
//! with its own token and within its seat — the same workflow steps, refusals, messages and audit
//! as the pages, and what the API answers agrees with the store.

mod common;
use common::*;

use axum::http::StatusCode;
use chrono::Days;
use serde_json::json;
use zjtx_store::Role;

/// A batch the bureau opened (SRDI, deadlines in 10/20/30 days, two experts per declaration)
/// and the firm's declaration in it, started on the pages.
struct Opened {
    batch: i64,
    decl: i64,
    city: String,
    city_csrf: String,
    ent: String,
    ent_csrf: String,
}

async fn opened(w: &World) -> Opened {
    let today = w.state.today();
    let rules =
        zjtx_core::rules::load_all(&zjtx_core::rules::Embedded).unwrap_or_else(|e| panic!("{e}"));
    let rs = zjtx_core::rule_set_for(&rules, today).unwrap_or_else(|| panic!("no set"));
    let city = login(w, "city").await;
    let city_csrf = csrf_of(w, &city).await;
    let d = |n: u64| (today + Days::new(n)).to_string();
    let r = send(
        w,
        post(
            "/batches",
            Some(&city),
            &format!(
                "csrf={city_csrf}&tier=srdi&year=2026&rules={}&title=SRDI&declare_until={}&district_until={}&city_until={}&notice_days=5&quota=&experts_per=2",
                rs.id,
                d(10),
                d(20),
                d(30)
            ),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let batch = id_after(&r.location, "/batches/");
    let ent = login(w, "firm").await;
    let ent_csrf = csrf_of(w, &ent).await;
    let r = send(
        w,
        post(
            &format!("/batches/{batch}/declare"),
            Some(&ent),
            &format!("csrf={ent_csrf}"),
        ),
    )
    .await;
    let decl = id_after(&r.location, "/declarations/");
    Opened {
        batch,
        decl,
        city,
        city_csrf,
        ent,
        ent_csrf,
    }
}

#[tokio::test]
async fn an_enterprise_submits_and_its_district_reviews_over_the_api() {
    let w = world("api-declare").await;
    let store = w.state.store.clone();
    add_user(&w, "binjiang", Role::District, Some("330108"), None).await;
    // The bureau opens a batch and the firm starts its declaration on the pages.
    let o = opened(&w).await;
    let (batch, decl, city, city_csrf, ent) = (o.batch, o.decl, o.city, o.city_csrf, o.ent);

    let firm = api_token(&w, "firm").await;
    let xihu = api_token(&w, "xihu").await;
    let binjiang = api_token(&w, "binjiang").await;
    let get_json = |path: String, token: String| {
        let w = &w;
        async move { send(w, json_req("GET", &path, Some(&token), None)).await }
    };

    // Batches for every registry role; the firm sees its own draft, the district nothing yet.
    let r = get_json("/api/v1/batches".into(), firm.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let listed = json(&r);
    assert!(
        listed["batches"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|b| b["id"] == batch && b["tier"] == "srdi"),
        "{listed}"
    );
    let path = format!("/api/v1/batches/{batch}/declarations");
    let mine = json(&get_json(path.clone(), firm.clone()).await);
    assert_eq!(mine["declarations"][0]["id"], decl);
    assert_eq!(mine["declarations"][0]["status"], "draft");
    let theirs = json(&get_json(path.clone(), xihu.clone()).await);
    assert_eq!(
        theirs["declarations"],
        json!([]),
        "a draft is the firm's alone"
    );
    let one = format!("/api/v1/declarations/{decl}");
    assert_eq!(
        get_json(one.clone(), xihu.clone()).await.status,
        StatusCode::NOT_FOUND
    );

    // Submitting: the pledge is required; a browser's cookie cannot post here; then submitted.
    let submit = format!("/api/v1/declarations/{decl}/submit");
    let r = send(
        &w,
        json_req(
            "POST",
            &submit,
            Some(&firm),
            Some(json!({ "pledge": false })),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(json(&r)["code"], "bad_request");
    let mut cookie = json_req("POST", &submit, None, Some(json!({ "pledge": true })));
    cookie.headers_mut().insert(
        axum::http::header::COOKIE,
        ent.parse().unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(send(&w, cookie).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        send(
            &w,
            json_req(
                "POST",
                &submit,
                Some(&xihu),
                Some(json!({ "pledge": true }))
            )
        )
        .await
        .status,
        StatusCode::FORBIDDEN,
        "a district does not submit"
    );
    let r = send(
        &w,
        json_req(
            "POST",
            &submit,
            Some(&firm),
            Some(json!({ "pledge": true })),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(json(&r)["status"], "submitted");
    let r = send(
        &w,
        json_req(
            "POST",
            &submit,
            Some(&firm),
            Some(json!({ "pledge": true })),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "once: {}", r.body);

    // The district reads it with every rule of the tier; another district cannot.
    assert_eq!(
        get_json(one.clone(), binjiang.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    let r = get_json(one.clone(), xihu.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let detail = json(&r);
    assert_eq!(detail["status"], "submitted");
    let ids: Vec<String> = detail["rules"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect();
    assert!(ids.len() > 3, "{detail}");

    // A review missing one rule's opinion changes nothing; a disagreement needs its reason.
    let review = format!("/api/v1/declarations/{decl}/review");
    let opinions = |skip: usize| -> serde_json::Value {
        ids.iter()
            .skip(skip)
            .map(|id| (id.clone(), json!({ "agree": true })))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let r = send(
        &w,
        json_req(
            "POST",
            &review,
            Some(&xihu),
            Some(json!({ "decision": "recommend", "opinions": opinions(1) })),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(
        json(&r)["detail"]
            .as_str()
            .unwrap_or_default()
            .contains(&ids[0]),
        "the missing rule is named: {}",
        r.body
    );
    let mut bad = opinions(0);
    bad[&ids[0]] = json!({ "agree": false });
    let r = send(
        &w,
        json_req(
            "POST",
            &review,
            Some(&xihu),
            Some(json!({ "decision": "recommend", "opinions": bad })),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let status = |id| {
        let store = store.clone();
        async move {
            store
                .declaration(id)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .map(|d| d.status.as_str().to_owned())
        }
    };
    assert_eq!(status(decl).await.as_deref(), Some("submitted"));
    assert_eq!(
        send(
            &w,
            json_req(
                "POST",
                &review,
                Some(&binjiang),
                Some(json!({ "decision": "recommend", "opinions": opinions(0) })),
            ),
        )
        .await
        .status,
        StatusCode::NOT_FOUND,
        "another district has no seat"
    );
    let mut one_no = opinions(0);
    one_no[&ids[0]] = json!({ "agree": false, "reason": "研发费用口径待核" });
    let r = send(
        &w,
        json_req(
            "POST",
            &review,
            Some(&xihu),
            Some(json!({ "decision": "recommend", "opinions": one_no })),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(json(&r)["status"], "recommended");
    assert_eq!(status(decl).await.as_deref(), Some("recommended"));

    // The firm's messages: the news with its date and the count of what is new, read once seen.
    let msgs = send(&w, get("/messages", Some(&ent))).await.body;
    assert!(msgs.contains("id=\"unread\""), "{msgs}");
    let today_text = w.state.today().to_string();
    assert!(msgs.contains(&today_text), "dated: {msgs}");
    assert!(
        !send(&w, get("/messages", Some(&ent)))
            .await
            .body
            .contains("id=\"unread\"")
    );
    // What the firm now reads: the district's review with its one disagreement; the city sees
    // the declaration in its batch list.
    let detail = json(&get_json(one.clone(), firm.clone()).await);
    assert_eq!(detail["reviews"][0]["level"], "district");
    assert_eq!(detail["reviews"][0]["decision"], "recommend");
    assert_eq!(
        detail["reviews"][0]["disagreements"][&ids[0]],
        "研发费用口径待核"
    );
    let city_token = api_token(&w, "city").await;
    let city_list = json(&get_json(path, city_token).await);
    assert_eq!(city_list["declarations"][0]["id"], decl);

    // The step is audited as the page's is, and the firm was told.
    let audit = store
        .audit_by_action("declaration.district.recommend")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert!(
        store
            .audit_by_action("read")
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .iter()
            .any(|a| a.detail.as_deref() == Some("api declaration")),
        "the reads are audited"
    );

    // Withdrawing is refused once recommended; the experts' stage: the city draws, each drawn
    // expert's system scores once (a comment required), an expert not drawn has no seat.
    let r = send(
        &w,
        json_req(
            "POST",
            &format!("/api/v1/declarations/{decl}/withdraw"),
            Some(&firm),
            None,
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    for (i, e) in ["ex1", "ex2", "ex3"].iter().enumerate() {
        add_user(&w, e, Role::Expert, None, None).await;
        let r = send(
            &w,
            post(
                "/experts",
                Some(&city),
                &format!("csrf={city_csrf}&username={e}&name=专家{i}&fields=高端装备,生物医药,智能物联,新材料,绿色能源&employer=&conflicts="),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let r = send(
        &w,
        post(
            &format!("/batches/{batch}/draw"),
            Some(&city),
            &format!("csrf={city_csrf}&seed=seed-of-the-test"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let drawn = store.experts_of(decl).await.unwrap_or_default();
    assert_eq!(drawn.len(), 2);
    let pool = store.experts().await.unwrap_or_default();
    // On the page, a score out of range comes back beside the form with what was typed.
    let first = pool
        .iter()
        .find(|x| drawn.contains(&x.id))
        .unwrap_or_else(|| panic!("drawn"));
    let s = login(&w, &first.username).await;
    let c = csrf_of(&w, &s).await;
    let r = send(
        &w,
        post(
            &format!("/declarations/{decl}/score"),
            Some(&s),
            &format!("csrf={c}&score=150&comment=%E6%84%8F%E8%A7%81%E4%BF%9D%E7%95%99"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("id=\"score-error\"") && r.body.contains("0–100"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"150\"") && r.body.contains("value=\"意见保留\""));
    let score = format!("/api/v1/declarations/{decl}/score");
    for x in &pool {
        let t = api_token(&w, &x.username).await;
        let r = send(
            &w,
            json_req(
                "POST",
                &score,
                Some(&t),
                Some(json!({ "score": 88, "comment": "" })),
            ),
        )
        .await;
        if !drawn.contains(&x.id) {
            assert_eq!(r.status, StatusCode::NOT_FOUND, "not drawn: {}", r.body);
            continue;
        }
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "a comment: {}", r.body);
        let good = json!({ "score": 88, "comment": "技术路线清晰" });
        let r = send(&w, json_req("POST", &score, Some(&t), Some(good.clone()))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = send(&w, json_req("POST", &score, Some(&t), Some(good))).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "once: {}", r.body);
    }
    let scored = store
        .reviews(decl)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.score == Some(88))
        .count();
    assert_eq!(scored, 2);

    // The public notice answers without a token (nothing on notice yet).
    let r = send(&w, json_req("GET", "/api/v1/notices", None, None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(json(&r)["items"], json!([]));
}

/// The public titled list, on the page and over the API, holds every title in force: those
/// imported with the registry as well as those granted here.
#[tokio::test]
async fn the_titled_list_holds_every_title_in_force() {
    let w = world("api-titles").await;
    let today = w.state.today().to_string();
    let held = w
        .state
        .store
        .titles_in_scope(&zjtx_store::Scope::all(), &today)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        held.iter().any(|t| t.source == "import"),
        "the world imports titles"
    );
    let page = send(&w, get("/titled", None)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&format!("共 {} 项称号", held.len())),
        "{}",
        page.body
    );
    for t in &held {
        assert!(page.body.contains(&t.uscc), "{} missing", t.uscc);
    }
    let r = send(&w, json_req("GET", "/api/v1/titles", None, None)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut listed: Vec<(String, String)> = json(&r)["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            (
                t["uscc"].as_str().unwrap_or_default().to_owned(),
                t["tier"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let mut expected: Vec<(String, String)> = held
        .iter()
        .map(|t| (t.uscc.clone(), t.tier.clone()))
        .collect();
    listed.sort();
    expected.sort();
    assert_eq!(listed, expected);
    let giants = held.iter().filter(|t| t.tier == "giant").count();
    let r = send(&w, json_req("GET", "/api/v1/titles?tier=giant", None, None)).await;
    assert_eq!(json(&r)["items"].as_array().map_or(0, Vec::len), giants);
}

/// The district's review form (issue 16): every figure the firm declared otherwise than the
/// registry is shown beside the registry's value and marked; opinions start unchosen; a review
/// refused for a missing opinion comes back on the same page with a summary at the top, the
/// message beside the rule, and everything typed kept.
#[tokio::test]
async fn a_reviewer_sees_what_changed_and_a_refused_review_keeps_its_input() {
    let w = world("review-form").await;
    let o = opened(&w).await;
    let (decl, ent, c) = (o.decl, o.ent.clone(), o.ent_csrf.clone());
    let path = format!("/declarations/{decl}");
    // The firm changes one figure, then submits.
    let r = send(
        &w,
        post(
            &format!("{path}/figures"),
            Some(&ent),
            &format!("csrf={c}&rd_expense=321.5"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Before submitting: a self-assessment that fails is warned about beside the pledge.
    let before = send(&w, get(&path, Some(&ent))).await;
    let passes = before.body.contains("badge pass");
    assert_eq!(before.body.contains("id=\"submit-warning\""), !passes);
    let r = send(
        &w,
        post(
            &format!("{path}/submit"),
            Some(&ent),
            &format!("csrf={c}&pledge=yes"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The receipt: sent, when, and by when the district answers.
    assert!(r.location.contains("sent=1"), "{}", r.location);
    let receipt = send(&w, get(&r.location, Some(&ent))).await;
    assert!(receipt.body.contains("申报已提交"), "{}", receipt.body);
    let batch = w
        .state
        .store
        .batch(o.batch)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("batch"));
    assert!(receipt.body.contains(&batch.district_until));
    assert!(
        !send(&w, get(&path, Some(&ent)))
            .await
            .body
            .contains("申报已提交"),
        "once"
    );

    let xihu = login(&w, "xihu").await;
    let x = csrf_of(&w, &xihu).await;
    let page = send(&w, get(&path, Some(&xihu))).await;
    assert!(page.body.contains("申报数据与企业库对比"), "{}", page.body);
    assert!(
        page.body.contains("企业修改了 1 项数据"),
        "one figure changed"
    );
    assert!(page.body.contains("321.5") && page.body.contains("已修改"));
    assert!(
        page.body.contains(&format!("/enterprises/{}", w.xihu_firm)),
        "the registry record"
    );
    assert!(
        !page.body.contains("value=\"yes\" checked"),
        "no opinion is chosen for the reviewer"
    );
    assert!(page.body.contains("<option value=\"\">请选择</option>"));
    // The firm itself sees no comparison (it edits its own figures).
    assert!(
        !send(&w, get(&path, Some(&ent)))
            .await
            .body
            .contains("申报数据与企业库对比")
    );

    // A review with the last rule's opinion missing and one disagreement without a reason.
    let ids = rule_ids(&page.body);
    assert!(ids.len() > 3);
    let mut form = format!("csrf={x}&decision=recommend&reason=%E5%8F%AF%E4%BB%A5");
    for (i, id) in ids.iter().enumerate() {
        if i == ids.len() - 1 {
            continue;
        }
        if i == 0 {
            form.push_str(&format!("&agree_{id}=no&reason_{id}="));
        } else {
            form.push_str(&format!(
                "&agree_{id}=yes&reason_{id}=%E6%A0%B8%E5%AE%9E{i}"
            ));
        }
    }
    let r = send(&w, post(&format!("{path}/review"), Some(&xihu), &form)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("error-summary"), "{}", r.body);
    assert!(r.body.contains("审核意见未提交"));
    let last = &ids[ids.len() - 1];
    assert!(
        r.body.contains(&format!("href=\"#rule-{last}\"")),
        "the summary links the rule"
    );
    assert!(r.body.contains("请选择同意或不同意") && r.body.contains("不同意须写明理由"));
    assert!(
        r.body.contains("value=\"recommend\" selected"),
        "the decision kept"
    );
    assert!(r.body.contains("value=\"可以\""), "the reason kept");
    assert!(r.body.contains("value=\"核实2\""), "a rule's reason kept");
    assert!(
        r.body
            .contains(&format!("name=\"agree_{}\" value=\"no\" checked", ids[0])),
        "a choice kept"
    );
    assert!(
        r.body.contains("<header class=\"top\">"),
        "with the navigation"
    );
    let status = w
        .state
        .store
        .declaration(decl)
        .await
        .ok()
        .flatten()
        .map(|d| d.status.as_str().to_owned());
    assert_eq!(status.as_deref(), Some("submitted"), "nothing changed");
}
