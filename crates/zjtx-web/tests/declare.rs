//! The declaration cycle through HTTP: a batch from opening to certificates, then what follows a
//! title (yearly update, re-review, revocation), each step by the role that takes it, with the
//! refusals around it (deadlines, scope, own firm, bad evidence, quotas), and an audit record for
//! every change of state.

mod common;
use common::*;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{Days, Months, NaiveDate};
use zjtx_store::Role;

fn multipart_evidence(csrf: &str, rule: &str, name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "zjtxboundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (k, v) in [("csrf", csrf), ("rule", rule)] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn upload(path: &str, session: &str, ct: &str, body: Vec<u8>) -> Request<Body> {
    Request::post(path)
        .header(header::COOKIE, session)
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn status_of(w: &World, id: i64) -> String {
    w.state
        .store
        .declaration(id)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .map(|d| d.status.as_str().to_owned())
        .unwrap_or_default()
}

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

#[tokio::test]
async fn a_batch_runs_from_opening_to_certificates_and_titles_live_on() {
    let mut w = world("cycle").await;
    let evidence_dir = std::env::temp_dir().join(format!("zjtx-evidence-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&evidence_dir);
    w.state.evidence_dir = evidence_dir.clone();
    w.state.max_evidence = 4096;
    let store = w.state.store.clone();
    let firm = w.xihu_firm.clone();
    let today = chrono::Local::now().date_naive();
    w.state.set_today(Some(today));
    let rules =
        zjtx_core::rules::load_all(&zjtx_core::rules::Embedded).unwrap_or_else(|e| panic!("{e}"));
    let rs = zjtx_core::rule_set_for(&rules, today).unwrap_or_else(|| panic!("no set"));

    // Accounts the demo city has: experts (one employed by the firm), another district's office,
    // and a district officer whose own firm it is.
    for e in ["e1", "e2", "e3", "e4", "e5"] {
        add_user(&w, e, Role::Expert, None, None).await;
    }
    add_user(&w, "binjiang", Role::District, Some("330108"), None).await;
    add_user(&w, "xihu_own", Role::District, Some("330106"), Some(&firm)).await;

    let city = login(&w, "city").await;
    let city_csrf = csrf_of(&w, &city).await;
    for (i, e) in ["e1", "e2", "e3", "e4", "e5"].iter().enumerate() {
        let employer = if i == 0 { firm.as_str() } else { "" };
        let r = send(
            &w,
            post(
                "/experts",
                Some(&city),
                &format!("csrf={city_csrf}&username={e}&name=Expert{i}&fields=高端装备,生物医药,智能物联,新材料,绿色能源&employer={employer}&conflicts="),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{e}: {}", r.body);
    }
    let bad_conflict = send(
        &w,
        post(
            "/experts",
            Some(&city),
            &format!("csrf={city_csrf}&username=e2&name=x&fields=a&employer=&conflicts=91330100MA00000000+friend"),
        ),
    )
    .await;
    assert_eq!(bad_conflict.status, StatusCode::BAD_REQUEST);

    // 1. The bureau opens a batch; one with deadlines out of order is refused and not created.
    let d = |n: u64| (today + Days::new(n)).to_string();
    let form = |declare: &str| {
        format!(
            "csrf={city_csrf}&tier=srdi&year=2026&rules={}&title=SRDI+2026&declare_until={declare}&district_until={}&city_until={}&notice_days=5&quota=&experts_per=2",
            rs.id,
            d(20),
            d(30)
        )
    };
    let r = send(&w, post("/batches", Some(&city), &form(&d(25)))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // A declaring deadline already past, and a form with two bad fields (each named), neither
    // creates anything.
    let past = (today - Days::new(1)).to_string();
    let r = send(&w, post("/batches", Some(&city), &format!(
        "csrf={city_csrf}&tier=srdi&year=2026&rules={}&title=x&declare_until={past}&district_until={}&city_until={}&notice_days=5&quota=&experts_per=2",
        rs.id, d(20), d(30)))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("申报截止日期已过"), "{}", r.body);
    let r = send(&w, post("/batches", Some(&city), &format!(
        "csrf={city_csrf}&tier=gold&year=2026&rules={}&title=x&declare_until={}&district_until={}&city_until={}&notice_days=5&quota=&experts_per=99",
        rs.id, d(10), d(20), d(30)))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("梯度：格式有误") && r.body.contains("每份专家数：格式有误"),
        "{}",
        r.body
    );
    assert!(store.batches().await.unwrap_or_default().is_empty());
    let r = send(&w, post("/batches", Some(&city), &form(&d(10)))).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let batch = id_after(&r.location, "/batches/");

    // 2. The enterprise declares, pre-filled from the registry; once only.
    let ent = login(&w, "firm").await;
    let ent_csrf = csrf_of(&w, &ent).await;
    let page = send(&w, get(&format!("/batches/{batch}"), Some(&ent))).await;
    assert!(page.body.contains(&format!("/batches/{batch}/declare")));
    let r = send(
        &w,
        post(
            &format!("/batches/{batch}/declare"),
            Some(&ent),
            &format!("csrf={ent_csrf}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let decl = id_after(&r.location, "/declarations/");
    let r = send(
        &w,
        post(
            &format!("/batches/{batch}/declare"),
            Some(&ent),
            &format!("csrf={ent_csrf}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let path = format!("/declarations/{decl}");
    // A draft is the enterprise's alone.
    let xihu = login(&w, "xihu").await;
    let xihu_csrf = csrf_of(&w, &xihu).await;
    assert_eq!(
        send(&w, get(&path, Some(&xihu))).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&w, get(&path, Some(&city))).await.status,
        StatusCode::NOT_FOUND
    );

    // The self-assessment is live: every rule of the tier, with its result.
    let page = send(&w, get(&path, Some(&ent))).await;
    assert_eq!(page.status, StatusCode::OK);
    let rules_of_tier = rule_ids(&page.body);
    assert!(rules_of_tier.len() >= 5, "{rules_of_tier:?}");
    let r = send(
        &w,
        post(
            &format!("{path}/figures"),
            Some(&ent),
            &format!("csrf={ent_csrf}&rd_expense=abc"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let before = store
        .declaration(decl)
        .await
        .ok()
        .flatten()
        .map(|d| d.cells);
    let r = send(
        &w,
        post(
            &format!("{path}/figures"),
            Some(&ent),
            &format!("csrf={ent_csrf}&rd_expense=321.5"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let after = store
        .declaration(decl)
        .await
        .ok()
        .flatten()
        .map(|d| d.cells);
    assert_ne!(before, after);
    assert!(after.unwrap_or_default().contains("321.5"));

    // 3. Evidence: wrong type, malformed, too large are refused; a good PDF is stored by its hash.
    let rule = rules_of_tier[0].clone();
    let ev_path = format!("{path}/evidence");
    for (name, bytes, why) in [
        ("a.txt", b"just text".to_vec(), "type"),
        ("b.pdf", b"%PDF-1.4 no end".to_vec(), "malformed pdf"),
        (
            "c.png",
            b"\x89PNG\r\n\x1a\n0000IHDR".to_vec(),
            "truncated png",
        ),
        ("d.pdf", [PDF, &vec![b' '; 5000]].concat(), "too large"),
    ] {
        let (ct, body) = multipart_evidence(&ent_csrf, &rule, name, &bytes);
        let r = send(&w, upload(&ev_path, &ent, &ct, body)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{why}: {}", r.body);
    }
    let (ct, body) = multipart_evidence(&ent_csrf, "NOT-A-RULE", "x.pdf", PDF);
    assert_eq!(
        send(&w, upload(&ev_path, &ent, &ct, body)).await.status,
        StatusCode::BAD_REQUEST
    );
    assert!(store.evidence_of(decl).await.unwrap_or_default().is_empty());
    let (ct, body) = multipart_evidence(&ent_csrf, &rule, "证明.pdf", PDF);
    let r = send(&w, upload(&ev_path, &ent, &ct, body)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let evidence = store.evidence_of(decl).await.unwrap_or_default();
    assert_eq!(evidence.len(), 1);
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(PDF));
    assert_eq!(evidence[0].sha256, hash);
    assert_eq!(
        std::fs::read(evidence_dir.join(&hash)).ok().as_deref(),
        Some(PDF)
    );
    assert_eq!(evidence[0].filename, "证明.pdf");

    // 4. Submission needs the pledge.
    let r = send(
        &w,
        post(
            &format!("{path}/submit"),
            Some(&ent),
            &format!("csrf={ent_csrf}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(status_of(&w, decl).await, "draft");
    let submit = |s: &str| format!("csrf={s}&pledge=yes");
    let r = send(
        &w,
        post(&format!("{path}/submit"), Some(&ent), &submit(&ent_csrf)),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(status_of(&w, decl).await, "submitted");
    // Submitted, no evidence can be added, and a refused file leaves nothing on disk.
    let other_pdf = [PDF, b"% another file\n"].concat();
    let (ct, body) = multipart_evidence(&ent_csrf, &rule, "late.pdf", &other_pdf);
    let r = send(&w, upload(&ev_path, &ent, &ct, body)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let late_hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&other_pdf));
    assert!(!evidence_dir.join(&late_hash).exists());
    assert_eq!(store.evidence_of(decl).await.unwrap_or_default().len(), 1);
    // Submitted, the figures are frozen.
    let r = send(
        &w,
        post(
            &format!("{path}/figures"),
            Some(&ent),
            &format!("csrf={ent_csrf}&rd_expense=1"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // The district office is told, and sees the evidence beside the rule.
    let msgs = send(&w, get("/messages", Some(&xihu))).await;
    assert!(msgs.body.contains(&path), "{}", msgs.body);
    let page = send(&w, get(&path, Some(&xihu))).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("/evidence/{}", evidence[0].id)));
    let file = send(
        &w,
        get(&format!("/evidence/{}", evidence[0].id), Some(&xihu)),
    )
    .await;
    assert_eq!(file.body.as_bytes(), PDF);

    // 5. District review: outside the district, or on one's own firm, nothing is allowed.
    let review = format!("{path}/review");
    let bj = login(&w, "binjiang").await;
    let bj_csrf = csrf_of(&w, &bj).await;
    assert_eq!(
        send(&w, get(&path, Some(&bj))).await.status,
        StatusCode::NOT_FOUND
    );
    let all_agree = opinions(&rules_of_tier, &[]);
    let r = send(
        &w,
        post(
            &review,
            Some(&bj),
            &format!("csrf={bj_csrf}&decision=recommend&reason=&{all_agree}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let own = login(&w, "xihu_own").await;
    let own_csrf = csrf_of(&w, &own).await;
    let r = send(
        &w,
        post(
            &review,
            Some(&own),
            &format!("csrf={own_csrf}&decision=recommend&reason=&{all_agree}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(status_of(&w, decl).await, "submitted");
    // An opinion is needed on every rule, a reason for each disagreement and for a return.
    let some = opinions(&rules_of_tier[1..], &[]);
    let r = send(
        &w,
        post(
            &review,
            Some(&xihu),
            &format!("csrf={xihu_csrf}&decision=recommend&reason=&{some}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = send(
        &w,
        post(
            &review,
            Some(&xihu),
            &format!("csrf={xihu_csrf}&decision=return&reason=&{all_agree}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let one_no = opinions(&rules_of_tier, &[(&rule, "")]);
    let r = send(
        &w,
        post(
            &review,
            Some(&xihu),
            &format!("csrf={xihu_csrf}&decision=return&reason=fix&{one_no}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(status_of(&w, decl).await, "submitted");
    let one_no = opinions(&rules_of_tier, &[(&rule, "材料不清晰")]);
    let r = send(
        &w,
        post(
            &review,
            Some(&xihu),
            &format!("csrf={xihu_csrf}&decision=return&reason=请补充材料&{one_no}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(status_of(&w, decl).await, "returned");
    // The enterprise sees why, answers, and resubmits.
    let page = send(&w, get(&path, Some(&ent))).await;
    assert!(page.body.contains("材料不清晰") && page.body.contains("请补充材料"));
    // The reason at the top of the page, before anything else.
    let top = page.body.find("申报被退回修改").unwrap_or(usize::MAX);
    assert!(
        top < page.body.find("自评").unwrap_or(0),
        "the return reason leads the page"
    );
    assert!(page.body.contains("退回理由：请补充材料"));
    let (ct, body) = multipart_evidence(&ent_csrf, &rule, "补充.pdf", PDF);
    assert_eq!(
        send(&w, upload(&ev_path, &ent, &ct, body)).await.status,
        StatusCode::SEE_OTHER
    );
    let r = send(
        &w,
        post(&format!("{path}/submit"), Some(&ent), &submit(&ent_csrf)),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = send(
        &w,
        post(
            &review,
            Some(&xihu),
            &format!("csrf={xihu_csrf}&decision=recommend&reason=&{all_agree}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(status_of(&w, decl).await, "recommended");

    // 6. The draw: from a published seed, reproducible, conflicted experts excluded.
    assert_eq!(
        send(&w, get(&path, Some(&city))).await.status,
        StatusCode::OK
    );
    let seed = "福利彩票 2026-11-26 第 321 期 08 13 21 26 30 33";
    let r = send(
        &w,
        post(
            &format!("/batches/{batch}/draw"),
            Some(&city),
            &format!(
                "csrf={city_csrf}&seed={}",
                zjtx_web::common::urlencode(seed)
            ),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let again = send(
        &w,
        post(
            &format!("/batches/{batch}/draw"),
            Some(&city),
            &format!("csrf={city_csrf}&seed=other"),
        ),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let public = send(&w, get(&format!("/draws/{batch}"), None)).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.body.contains("pass reproduced"));
    // The seed was committed when the batch opened: the page shows that commitment, checks the
    // revealed seed against it, and publishes the next round's commitment.
    assert!(public.body.contains("pass committed"), "{}", public.body);
    assert!(
        !public.body.contains(seed),
        "the city's own seed is not the one drawn"
    );
    // Only what reproduces the draw: no firm's code, no expert's employer.
    assert!(!public.body.contains(&firm), "{}", public.body);
    let commits = store.seed_commits(batch).await.unwrap_or_default();
    assert_eq!(commits.len(), 2, "this round's and the next's");
    assert!(public.body.contains(&commits[1].commitment));
    let drawn = store.experts_of(decl).await.unwrap_or_default();
    assert_eq!(drawn.len(), 2);
    // Anyone recomputes it from the published record alone.
    let record = store
        .draws_of(batch)
        .await
        .unwrap_or_default()
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no draw"));
    let (cases, pool) =
        zjtx_web::declare::parse_draw_inputs(&record.inputs).unwrap_or_else(|| panic!("inputs"));
    let recomputed = zjtx_core::draw::draw(&record.seed, &cases, &pool, 2);
    let mut by_ticket = recomputed[0].experts.clone();
    by_ticket.sort_unstable();
    assert_eq!(
        by_ticket, drawn,
        "the stored assignment is the recomputed one"
    );
    let experts = store.experts().await.unwrap_or_default();
    let conflicted = experts.iter().find(|x| x.username == "e1").map(|x| x.id);
    assert!(
        !drawn.contains(&conflicted.unwrap_or(-1)),
        "the firm's employee was drawn"
    );

    // 7. Experts score; only those drawn, once each.
    let name_of = |id: i64| {
        experts
            .iter()
            .find(|x| x.id == id)
            .map(|x| x.username.clone())
            .unwrap_or_default()
    };
    for (i, x) in drawn.iter().enumerate() {
        let s = login(&w, &name_of(*x)).await;
        let c = csrf_of(&w, &s).await;
        let queue = send(&w, get("/messages", Some(&s))).await;
        assert!(queue.body.contains(&path));
        let r = send(
            &w,
            post(
                &format!("{path}/score"),
                Some(&s),
                &format!("csrf={c}&score=1{i}1&comment=ok"),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "101 is out of range");
        let r = send(
            &w,
            post(
                &format!("{path}/score"),
                Some(&s),
                &format!("csrf={c}&score=8{i}&comment=扎实"),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = send(
            &w,
            post(
                &format!("{path}/score"),
                Some(&s),
                &format!("csrf={c}&score=90&comment=again"),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::CONFLICT);
    }
    let outsider = experts
        .iter()
        .find(|x| !drawn.contains(&x.id))
        .map(|x| x.username.clone())
        .unwrap_or_default();
    let s = login(&w, &outsider).await;
    assert_eq!(
        send(&w, get(&path, Some(&s))).await.status,
        StatusCode::NOT_FOUND
    );

    // 8. City approval, then the public notice. The firm's figures do not pass the tier: the
    // city approves only with a recorded reason, which the decision record keeps.
    let r = send(
        &w,
        post(
            &review,
            Some(&city),
            &format!("csrf={city_csrf}&decision=approve&reason=&{all_agree}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("评价未通过时仍予通过的理由"), "{}", r.body);
    assert_eq!(status_of(&w, decl).await, "recommended");
    let r = send(
        &w,
        post(
            &review,
            Some(&city),
            &format!(
                "csrf={city_csrf}&decision=approve&reason=&override_evaluation={}&{all_agree}",
                zjtx_web::common::urlencode("专家现场核查确认营收数据")
            ),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(status_of(&w, decl).await, "approved");
    // Publishing cannot be undone: without its confirmation ticked, nothing is published.
    let r = send(
        &w,
        post(
            &format!("/batches/{batch}/notice"),
            Some(&city),
            &format!("csrf={city_csrf}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("此操作不可撤销"), "{}", r.body);
    assert_eq!(status_of(&w, decl).await, "approved");
    let r = send(
        &w,
        post(
            &format!("/batches/{batch}/notice"),
            Some(&city),
            &format!("csrf={city_csrf}&confirm=yes"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(status_of(&w, decl).await, "notice");
    let name = store
        .enterprise(&firm)
        .await
        .ok()
        .flatten()
        .map(|e| e.name)
        .unwrap_or_default();
    // A member of the public, in a browser that keeps cookies by path.
    let mut public = Browser::default();
    let notice = public.get(&w, "/notice").await;
    assert!(notice.body.contains(&name));
    // The notice names who issues it, and how to reach them when configured.
    assert!(
        notice.body.contains("发布单位：杭州市经济和信息化局"),
        "{}",
        notice.body
    );
    assert!(!notice.body.contains("联系方式：0571"));
    configure(&mut w, "[notice]\ncontact = \"0571-87000000\"\n");
    assert!(
        send(&w, get("/notice", None))
            .await
            .body
            .contains("联系方式：0571-87000000")
    );

    // 9. An objection (anyone, no account) holds recognition until it is resolved.
    let token = form_csrf(&notice.body);
    let objection = format!("csrf={token}&declaration={decl}&filer=张三&contact=138&text=数据存疑");
    let r = public.post(&w, "/notice/objection", &objection).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let forged = send(&w, post("/notice/objection", None, &objection)).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let recognise = format!("/batches/{batch}/recognise");
    let r = send(
        &w,
        post(&recognise, Some(&city), &format!("csrf={city_csrf}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "the notice has not ended");
    w.state.set_today(Some(today + Days::new(6)));
    let late = public.post(&w, "/notice/objection", &objection).await;
    assert_eq!(late.status, StatusCode::CONFLICT, "the notice has ended");
    let r = send(
        &w,
        post(&recognise, Some(&city), &format!("csrf={city_csrf}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        status_of(&w, decl).await,
        "notice",
        "held by the open objection"
    );
    let objection_id = store.objections(decl).await.unwrap_or_default()[0].id;
    let r = send(
        &w,
        post(
            &format!("/objections/{objection_id}/resolve"),
            Some(&city),
            &format!("csrf={city_csrf}&upheld=no&resolution=经核实数据无误"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = send(
        &w,
        post(&recognise, Some(&city), &format!("csrf={city_csrf}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(status_of(&w, decl).await, "recognised");
    // An objection can no longer change a recognised declaration: refused, naming its state.
    let r = send(
        &w,
        post(
            &format!("/objections/{objection_id}/resolve"),
            Some(&city),
            &format!("csrf={city_csrf}&upheld=yes&resolution=迟到的异议"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("已认定"), "{}", r.body);
    assert_eq!(status_of(&w, decl).await, "recognised");

    // 10. Recognised: the title with its validity, the public list, the certificate, and a
    // decision record that re-runs to the same result.
    let recognised_on = today + Days::new(6);
    let titles = store.titles(&firm).await.unwrap_or_default();
    let validity = Months::new(rs.titles.validity_months);
    let until = (recognised_on + validity).to_string();
    assert!(
        titles.contains(&("srdi".to_owned(), until.clone())),
        "{titles:?}"
    );
    assert!(send(&w, get("/titled", None)).await.body.contains(&name));
    let decision = store.decisions_of(&firm).await.unwrap_or_default()[0].clone();
    let cert = send(&w, get(&format!("/certificates/{}", decision.id), None)).await;
    assert!(cert.body.contains(&name) && cert.body.contains("class=\"pass\" id=\"valid\""));
    let rec = send(&w, get(&format!("/decisions/{}", decision.id), Some(&ent))).await;
    assert!(
        rec.body.contains("class=\"pass\" id=\"rerun\""),
        "{}",
        rec.body
    );
    assert!(zjtx_web::declare::rerun(&w.state, &decision).unwrap_or(false));
    // A record re-runs to the same decisions when only the wording of a gap has changed since;
    // a changed verdict is a different decision.
    let mut worded = decision.clone();
    worded.evaluation = worded
        .evaluation
        .replacen("\"zh\":\"", "\"zh\":\"（旧措辞）", 1);
    assert_ne!(worded.evaluation, decision.evaluation);
    assert!(zjtx_web::declare::rerun(&w.state, &worded).unwrap_or(false));
    let mut changed = decision.clone();
    changed.evaluation =
        changed
            .evaluation
            .replacen("\"verdict\":\"fail\"", "\"verdict\":\"pass\"", 1);
    assert_ne!(changed.evaluation, decision.evaluation);
    assert!(!zjtx_web::declare::rerun(&w.state, &changed).unwrap_or(true));
    assert!(decision.reviews.contains("数据存疑") && decision.reviews.contains("扎实"));
    // The reason the city approved a failing evaluation is in the record, for everyone who reads it.
    assert!(decision.reviews.contains("专家现场核查确认营收数据"));
    assert!(rec.body.contains("专家现场核查确认营收数据"));
    // The enterprise reads neither its experts' names nor their scores, nor who objected.
    let text = rec.body.replace("&#34;", "\"");
    for x in &drawn {
        let username = name_of(*x);
        assert!(
            !text.contains(&format!("\"{username}\"")),
            "{username}: {text}"
        );
        assert!(
            !send(&w, get(&path, Some(&ent)))
                .await
                .body
                .contains(&format!("<td>{username}</td>")),
            "{username} on the declaration page"
        );
    }
    assert!(!text.contains("张三") && !text.contains("\"contact\""));
    assert!(
        !text.contains("\"score\":80") && !text.contains("\"score\":81"),
        "{text}"
    );
    assert!(
        text.contains("\"expert_scores\":{\"count\":2,\"mean\":\"80.5\"}"),
        "{text}"
    );
    // The bureau reads them all.
    let rec_city = send(&w, get(&format!("/decisions/{}", decision.id), Some(&city))).await;
    let text = rec_city.body.replace("&#34;", "\"");
    assert!(text.contains("张三") && text.contains("\"score\":80"));
    assert!(text.contains(&format!("\"{}\"", name_of(drawn[0]))));
    assert!(
        send(&w, get(&path, Some(&city)))
            .await
            .body
            .contains(&format!("<td>{}</td>", name_of(drawn[0])))
    );
    // A new title owes no update for a year that ended before it began.
    let titles_page = send(&w, get(&format!("/titles/{firm}"), Some(&ent))).await;
    assert!(
        !titles_page.body.contains("/srdi/update"),
        "no update is offered"
    );
    let ent_csrf = csrf_of(&w, &ent).await;
    let r = send(
        &w,
        post(
            &format!("/titles/{firm}/srdi/update"),
            Some(&ent),
            &format!("csrf={ent_csrf}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        store
            .title_events(&firm)
            .await
            .unwrap_or_default()
            .iter()
            .all(|e| !e.kind.as_str().starts_with("update")),
        "nothing recorded, least of all a late update"
    );
    // A later import of the firm's figures does not take the granted title away.
    let rows: Vec<_> = zjtx_core::synth::Generator::new(9, 2025)
        .take(120)
        .filter(|e| e.uscc.as_str() == firm)
        .map(|e| {
            let s = zjtx_core::evaluate(&e, rs, today);
            (e, s)
        })
        .collect();
    store
        .import(&rows, None, today)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        store
            .titles(&firm)
            .await
            .unwrap_or_default()
            .contains(&("srdi".to_owned(), until.clone()))
    );

    // 11. After recognition. Re-review is for the last six months, with last year's update on time.
    let titles_path = format!("/titles/{firm}");
    let rereview = format!("{titles_path}/srdi/rereview");
    let r = send(
        &w,
        post(&rereview, Some(&city), &format!("csrf={city_csrf}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "more than six months left");
    let expiry = NaiveDate::parse_from_str(&until, "%Y-%m-%d").unwrap_or(today);
    let window = expiry - Months::new(5);
    w.state.set_today(Some(window));
    let r = send(
        &w,
        post(&rereview, Some(&city), &format!("csrf={city_csrf}")),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "no yearly update of last year"
    );
    // The update, on time (before 31 May, or 30 April under the 2022 rules).
    // Ten days before the update's deadline (tiers.md §8: 30 April under the 2022 rules, 31 May
    // under the 2026 ones).
    let (month, day) = if decision.rules == "miit-2022" {
        (4, 30)
    } else {
        (5, 31)
    };
    let on_time = NaiveDate::from_ymd_opt(chrono::Datelike::year(&window), month, day)
        .map(|d| d - Days::new(10))
        .unwrap_or(window);
    w.state.set_today(Some(on_time));
    let ent = login(&w, "firm").await;
    let ent_csrf = csrf_of(&w, &ent).await;
    // The digest reminds the enterprise of the update due within thirty days; once made, no more.
    let firm_user = store
        .user_by_name("firm")
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("firm"));
    let due = zjtx_web::declare::reminders_for(&store, &w.state.rules, &firm_user, on_time)
        .await
        .unwrap_or_default();
    assert!(
        due.iter()
            .any(|(t, _)| t.zh.contains("年度信息更新") && t.en.contains("yearly")),
        "{due:?}"
    );
    let r = send(
        &w,
        post(
            &format!("{titles_path}/srdi/update"),
            Some(&ent),
            &format!("csrf={ent_csrf}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let due = zjtx_web::declare::reminders_for(&store, &w.state.rules, &firm_user, on_time)
        .await
        .unwrap_or_default();
    assert!(due.is_empty(), "{due:?}");
    let r = send(
        &w,
        post(
            &format!("{titles_path}/srdi/change"),
            Some(&ent),
            &format!("csrf={ent_csrf}&detail=迁址至滨江区"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Not for a title it does not hold.
    let r = send(
        &w,
        post(
            &format!("{titles_path}/giant/change"),
            Some(&ent),
            &format!("csrf={ent_csrf}&detail=迁址至滨江区"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    w.state.set_today(Some(window));
    let city = login(&w, "city").await;
    let city_csrf = csrf_of(&w, &city).await;
    let r = send(
        &w,
        post(&rereview, Some(&city), &format!("csrf={city_csrf}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Judged on the latest figures under the rules the title was granted under.
    let latest = store.years(&firm).await.unwrap_or_default()[0].1.clone();
    let granted_rules = rules.iter().find(|r| r.id == decision.rules).unwrap_or(rs);
    let passes =
        zjtx_core::evaluate(&latest, granted_rules, window).srdi == zjtx_core::Verdict::Pass;
    let events = store.title_events(&firm).await.unwrap_or_default();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "granted",
            "update",
            "change",
            if passes {
                "rereview_pass"
            } else {
                "rereview_fail"
            }
        ]
    );
    let extended = (expiry + validity).to_string();
    let now_until = store.titles(&firm).await.unwrap_or_default()[0].1.clone();
    assert_eq!(now_until, if passes { extended } else { until.clone() });

    // 12. Revocation: every title at once, and no declaration for three years.
    let r = send(
        &w,
        post(
            &format!("{titles_path}/revoke"),
            Some(&city),
            &format!("csrf={city_csrf}&detail=数据造假&confirm=yes"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(store.titles(&firm).await.unwrap_or_default().is_empty());
    assert!(!send(&w, get("/titled", None)).await.body.contains(&name));
    let cert = send(&w, get(&format!("/certificates/{}", decision.id), None)).await;
    assert!(cert.body.contains("class=\"fail\" id=\"valid\""));
    let d2 = |n: u64| (window + Days::new(n)).to_string();
    let r = send(
        &w,
        post(
            "/batches",
            Some(&city),
            &format!(
                "csrf={city_csrf}&tier=giant&year=2029&rules={}&title=G&declare_until={}&district_until={}&city_until={}&notice_days=5&quota=1&experts_per=2",
                rs.id,
                d2(10),
                d2(20),
                d2(30)
            ),
        ),
    )
    .await;
    let batch2 = id_after(&r.location, "/batches/");
    let r = send(
        &w,
        post(
            &format!("/batches/{batch2}/declare"),
            Some(&ent),
            &format!("csrf={ent_csrf}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("数据造假"), "{}", r.body);

    // 13. No change of state without its audit record.
    let audit: Vec<String> = store
        .audit_for(&format!("declaration:{decl}"))
        .await
        .unwrap_or_default()
        .into_iter()
        .rev()
        .map(|a| a.action)
        .filter(|a| a != "read")
        .collect();
    assert_eq!(
        audit,
        [
            "declaration.open",
            "declaration.save",
            "evidence.add",
            "declaration.submit",
            "declaration.district.return",
            "evidence.add",
            "declaration.submit",
            "declaration.district.recommend",
            "declaration.score",
            "declaration.score",
            "declaration.city.approve",
            "objection.file",
            "declaration.recognise",
        ]
    );
    // The bureau archives the round; a second click (a double submit) is told it is done, and
    // nobody can start a declaration in it any more.
    let r = send(
        &w,
        post(
            &format!("/batches/{batch}/archive"),
            Some(&city),
            &format!("csrf={city_csrf}&confirm=yes"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = send(
        &w,
        post(
            &format!("/batches/{batch}/archive"),
            Some(&city),
            &format!("csrf={city_csrf}&confirm=yes"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("批次已归档"), "{}", r.body);
    let r = send(
        &w,
        post(
            &format!("/batches/{batch}/declare"),
            Some(&ent),
            &format!("csrf={ent_csrf}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("批次已归档"), "{}", r.body);
    let _ = std::fs::remove_dir_all(&evidence_dir);
}

#[tokio::test]
async fn deadlines_hold_and_a_withdrawn_declaration_stays_withdrawn() {
    let w = world("deadlines").await;
    let today = chrono::Local::now().date_naive();
    w.state.set_today(Some(today));
    let city = login(&w, "city").await;
    let c = csrf_of(&w, &city).await;
    let rules =
        zjtx_core::rules::load_all(&zjtx_core::rules::Embedded).unwrap_or_else(|e| panic!("{e}"));
    let rs = zjtx_core::rule_set_for(&rules, today).unwrap_or_else(|| panic!("no set"));
    let d = |n: u64| (today + Days::new(n)).to_string();
    let r = send(
        &w,
        post(
            "/batches",
            Some(&city),
            &format!("csrf={c}&tier=innovative&year=2026&rules={}&title=I&declare_until={}&district_until={}&city_until={}&notice_days=0&quota=&experts_per=1", rs.id, d(1), d(2), d(3)),
        ),
    )
    .await;
    let batch = id_after(&r.location, "/batches/");
    let ent = login(&w, "firm").await;
    let e = csrf_of(&w, &ent).await;
    let r = send(
        &w,
        post(
            &format!("/batches/{batch}/declare"),
            Some(&ent),
            &format!("csrf={e}"),
        ),
    )
    .await;
    let decl = id_after(&r.location, "/declarations/");
    // The daily digest reminds the enterprise of its draft's deadline (tomorrow).
    let firm_user = w
        .state
        .store
        .user_by_name("firm")
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("firm"));
    let due = zjtx_web::declare::reminders_for(&w.state.store, &w.state.rules, &firm_user, today)
        .await
        .unwrap_or_default();
    assert_eq!(due.len(), 1, "{due:?}");
    assert_eq!(due[0].1, format!("/declarations/{decl}"));
    zjtx_web::declare::digest(&w.state.store, &w.state.rules, None, today, "x")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let notes = w
        .state
        .store
        .notifications(firm_user.id)
        .await
        .unwrap_or_default();
    assert!(notes.iter().any(|n| n.text.contains("截止")), "{notes:?}");
    // After the declaration deadline, a draft cannot be submitted, nor a new one opened.
    w.state.set_today(Some(today + Days::new(2)));
    let r = send(
        &w,
        post(
            &format!("/declarations/{decl}/submit"),
            Some(&ent),
            &format!("csrf={e}&pledge=yes"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(status_of(&w, decl).await, "draft");
    w.state.set_today(Some(today));
    let r = send(
        &w,
        post(
            &format!("/declarations/{decl}/submit"),
            Some(&ent),
            &format!("csrf={e}&pledge=yes"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // After the district's deadline, the district can no longer act (it shows as overdue).
    w.state.set_today(Some(today + Days::new(3)));
    let xihu = login(&w, "xihu").await;
    let x = csrf_of(&w, &xihu).await;
    let batch_page = send(&w, get(&format!("/batches/{batch}"), Some(&xihu))).await;
    assert!(batch_page.body.contains("已逾期"));
    let r = send(
        &w,
        post(
            &format!("/declarations/{decl}/review"),
            Some(&xihu),
            &format!("csrf={x}&decision=recommend&reason="),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // Withdrawn before review: final.
    let r = send(
        &w,
        post(
            &format!("/declarations/{decl}/withdraw"),
            Some(&ent),
            &format!("csrf={e}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(status_of(&w, decl).await, "withdrawn");
    let r = send(
        &w,
        post(
            &format!("/declarations/{decl}/withdraw"),
            Some(&ent),
            &format!("csrf={e}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        send(&w, get(&format!("/declarations/{decl}"), Some(&xihu)))
            .await
            .status,
        StatusCode::OK,
        "a withdrawn declaration stays on the district's record"
    );
}

#[tokio::test]
async fn declaration_routes_by_role() {
    let w = world("declare-authz").await;
    let own = w.xihu_firm.clone();
    // GET routes × roles: the expected status.
    let routes = [
        "/batches".to_owned(),
        "/experts".to_owned(),
        "/messages".to_owned(),
        "/notice".to_owned(),
        "/titled".to_owned(),
        format!("/titles/{own}"),
        format!("/titles/{}", w.other_firm),
        "/declarations/1".to_owned(),
        "/draws/1".to_owned(),
        "/certificates/1".to_owned(),
    ];
    let table: [(&str, [u16; 10]); 6] = [
        (
            "anonymous",
            [303, 303, 303, 200, 200, 303, 303, 303, 404, 404],
        ),
        ("city", [200, 200, 200, 200, 200, 200, 200, 404, 404, 404]),
        ("xihu", [200, 403, 200, 200, 200, 200, 404, 404, 404, 404]),
        ("firm", [200, 403, 200, 200, 200, 200, 404, 404, 404, 404]),
        ("bank", [403, 403, 200, 200, 200, 404, 404, 404, 404, 404]),
        (
            "provider",
            [403, 403, 200, 200, 200, 404, 404, 404, 404, 404],
        ),
    ];
    let table: Vec<(&str, &[u16])> = table.iter().map(|(u, e)| (*u, &e[..])).collect();
    let own_posts = [
        format!("/titles/{own}/revoke"),
        format!("/titles/{own}/srdi/update"),
        format!("/titles/{own}/srdi/rereview"),
    ];
    let mut posts: Vec<&str> = vec![
        "/batches",
        "/batches/1/declare",
        "/batches/1/draw",
        "/batches/1/notice",
        "/batches/1/recognise",
        "/batches/1/archive",
        "/declarations/1/submit",
        "/declarations/1/withdraw",
        "/declarations/1/review",
        "/declarations/1/score",
        "/declarations/1/figures",
        "/experts",
        "/objections/1/resolve",
    ];
    posts.extend(own_posts.iter().map(String::as_str));
    let wrong = route_table(&w, &routes, &table, &posts, "csrf=&seed=x&pledge=yes&decision=recommend&score=1&comment=x&username=x&name=x&fields=x&employer=&conflicts=&upheld=yes&resolution=x&detail=x&tier=srdi&year=2026&rules=x&title=x&declare_until=x&district_until=x&city_until=x&notice_days=1&quota=&experts_per=1").await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn a_later_recommendation_gets_its_experts_in_a_second_round() {
    let w = world("rounds").await;
    let store = w.state.store.clone();
    let today = chrono::Local::now().date_naive();
    w.state.set_today(Some(today));
    // A second enterprise of the same district, with its own account.
    let second = store
        .list(
            &zjtx_store::Filter {
                region: Some("330106".into()),
                per_page: 50,
                today,
                ..Default::default()
            },
            &zjtx_store::Scope::all(),
        )
        .await
        .unwrap_or_default()
        .items
        .into_iter()
        .map(|e| e.uscc)
        .find(|u| *u != w.xihu_firm)
        .unwrap_or_else(|| panic!("one xihu firm only"));
    add_user(&w, "firm_b", Role::Enterprise, None, Some(&second)).await;
    for e in ["x1", "x2", "x3"] {
        add_user(&w, e, Role::Expert, None, None).await;
    }
    let city = login(&w, "city").await;
    let c = csrf_of(&w, &city).await;
    for e in ["x1", "x2", "x3"] {
        let r = send(
            &w,
            post(
                "/experts",
                Some(&city),
                &format!("csrf={c}&username={e}&name={e}&fields=any&employer=&conflicts="),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let rules =
        zjtx_core::rules::load_all(&zjtx_core::rules::Embedded).unwrap_or_else(|e| panic!("{e}"));
    let rs = zjtx_core::rule_set_for(&rules, today).unwrap_or_else(|| panic!("no set"));
    let d = |n: u64| (today + Days::new(n)).to_string();
    let r = send(&w, post("/batches", Some(&city), &format!(
        "csrf={c}&tier=innovative&year=2026&rules={}&title=R&declare_until={}&district_until={}&city_until={}&notice_days=3&quota=&experts_per=1",
        rs.id, d(5), d(10), d(15)
    ))).await;
    let batch = id_after(&r.location, "/batches/");
    let xihu = login(&w, "xihu").await;
    let x = csrf_of(&w, &xihu).await;
    let mut decls = Vec::new();
    for user in ["firm", "firm_b"] {
        let s = login(&w, user).await;
        let sc = csrf_of(&w, &s).await;
        let r = send(
            &w,
            post(
                &format!("/batches/{batch}/declare"),
                Some(&s),
                &format!("csrf={sc}"),
            ),
        )
        .await;
        let decl = id_after(&r.location, "/declarations/");
        let r = send(
            &w,
            post(
                &format!("/declarations/{decl}/submit"),
                Some(&s),
                &format!("csrf={sc}&pledge=yes"),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        decls.push(decl);
    }
    let recommend = |decl: i64| {
        let (w, xihu, x) = (&w, xihu.clone(), x.clone());
        async move {
            let page = send(w, get(&format!("/declarations/{decl}"), Some(&xihu))).await;
            let rules_of_tier = rule_ids(&page.body);
            let all = opinions(&rules_of_tier, &[]);
            send(
                w,
                post(
                    &format!("/declarations/{decl}/review"),
                    Some(&xihu),
                    &format!("csrf={x}&decision=recommend&reason=&{all}"),
                ),
            )
            .await
            .status
        }
    };
    assert_eq!(recommend(decls[0]).await, StatusCode::SEE_OTHER);
    let draw = |seed: &str| {
        post(
            &format!("/batches/{batch}/draw"),
            Some(&city),
            &format!("csrf={c}&seed={seed}"),
        )
    };
    assert_eq!(send(&w, draw("one")).await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        send(&w, draw("again")).await.status,
        StatusCode::CONFLICT,
        "nothing new to draw for"
    );
    assert_eq!(recommend(decls[1]).await, StatusCode::SEE_OTHER);
    assert_eq!(send(&w, draw("two")).await.status, StatusCode::SEE_OTHER);
    let rounds = store.draws_of(batch).await.unwrap_or_default();
    assert_eq!(rounds.iter().map(|r| r.round).collect::<Vec<_>>(), [1, 2]);
    for (decl, round) in decls.iter().zip(&rounds) {
        assert_eq!(
            store.experts_of(*decl).await.map(|e| e.len()).unwrap_or(0),
            1
        );
        let (cases, _) =
            zjtx_web::declare::parse_draw_inputs(&round.inputs).unwrap_or_else(|| panic!("inputs"));
        assert_eq!(
            cases.iter().map(|c| c.id).collect::<Vec<_>>(),
            [*decl],
            "each round draws only the new one"
        );
    }
    let public = send(&w, get(&format!("/draws/{batch}"), None)).await;
    assert_eq!(public.body.matches("pass reproduced").count(), 2);
    assert_eq!(public.body.matches("pass committed").count(), 2);

    // Approval without the drawn expert's score needs a recorded reason.
    let approve = |decl: i64, extra: &'static str| {
        let (w, city, c) = (&w, city.clone(), c.clone());
        async move {
            let page = send(w, get(&format!("/declarations/{decl}"), Some(&city))).await;
            let all = opinions(&rule_ids(&page.body), &[]);
            send(
                w,
                post(
                    &format!("/declarations/{decl}/review"),
                    Some(&city),
                    &format!(
                        "csrf={c}&decision=approve&reason=&override_evaluation=x{extra}&{all}"
                    ),
                ),
            )
            .await
        }
    };
    let r = approve(decls[0], "").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("1 位抽取的专家未评分"), "{}", r.body);
    let r = approve(decls[0], "&override_scores=专家因病未能评分").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let city_review = store
        .reviews(decls[0])
        .await
        .unwrap_or_default()
        .into_iter()
        .find(|r| r.level == zjtx_store::ReviewLevel::City)
        .and_then(|r| r.overrides)
        .unwrap_or_default();
    assert!(city_review.contains("专家因病未能评分"), "{city_review}");

    // Notices come in rounds: one approved after the first notice goes on a notice of its own.
    let publish = || {
        post(
            &format!("/batches/{batch}/notice"),
            Some(&city),
            &format!("csrf={c}&confirm=yes"),
        )
    };
    assert_eq!(send(&w, publish()).await.status, StatusCode::SEE_OTHER);
    w.state.set_today(Some(today + Days::new(1)));
    let r = approve(decls[1], "&override_scores=y").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = send(&w, get(&format!("/batches/{batch}"), Some(&city))).await;
    assert!(
        page.body.contains(&format!("/batches/{batch}/notice")),
        "the button is offered"
    );
    assert_eq!(send(&w, publish()).await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        send(&w, publish()).await.status,
        StatusCode::CONFLICT,
        "nothing left to publish"
    );
    let on = |decl: i64| {
        let store = store.clone();
        async move {
            let d = store
                .declaration(decl)
                .await
                .ok()
                .flatten()
                .unwrap_or_else(|| panic!("{decl}"));
            (d.status.as_str().to_owned(), d.notice_from, d.notice_until)
        }
    };
    assert_eq!(
        on(decls[0]).await,
        ("notice".into(), Some(d(0)), Some(d(3)))
    );
    assert_eq!(
        on(decls[1]).await,
        ("notice".into(), Some(d(1)), Some(d(4)))
    );
    // Each is recognised when its own notice has ended.
    w.state.set_today(Some(today + Days::new(4)));
    let recognise = || {
        post(
            &format!("/batches/{batch}/recognise"),
            Some(&city),
            &format!("csrf={c}"),
        )
    };
    assert_eq!(send(&w, recognise()).await.status, StatusCode::SEE_OTHER);
    assert_eq!(on(decls[0]).await.0, "recognised");
    assert_eq!(on(decls[1]).await.0, "notice");
    w.state.set_today(Some(today + Days::new(5)));
    assert_eq!(send(&w, recognise()).await.status, StatusCode::SEE_OTHER);
    assert_eq!(on(decls[1]).await.0, "recognised");
}

/// A revocation's three-year ban holds at every step, not only when a declaration is opened.
#[tokio::test]
async fn a_revoked_firm_cannot_carry_on_a_declaration_it_had_started() {
    let w = world("ban-slipped").await;
    let today = chrono::Local::now().date_naive();
    w.state.set_today(Some(today));
    let firm = w.xihu_firm.clone();
    let city = login(&w, "city").await;
    let c = csrf_of(&w, &city).await;
    let rules =
        zjtx_core::rules::load_all(&zjtx_core::rules::Embedded).unwrap_or_else(|e| panic!("{e}"));
    let rs = zjtx_core::rule_set_for(&rules, today).unwrap_or_else(|| panic!("no set"));
    let d = |n: u64| (today + Days::new(n)).to_string();
    let r = send(&w, post("/batches", Some(&city), &format!(
        "csrf={c}&tier=srdi&year=2026&rules={}&title=B&declare_until={}&district_until={}&city_until={}&notice_days=3&quota=&experts_per=1",
        rs.id, d(5), d(10), d(15)
    ))).await;
    let batch = id_after(&r.location, "/batches/");
    let ent = login(&w, "firm").await;
    let e = csrf_of(&w, &ent).await;
    let r = send(
        &w,
        post(
            &format!("/batches/{batch}/declare"),
            Some(&ent),
            &format!("csrf={e}"),
        ),
    )
    .await;
    let decl = id_after(&r.location, "/declarations/");
    // It holds a title (from the register), revoked while the declaration is a draft.
    let mut row = zjtx_core::synth::Generator::new(9, 2025)
        .take(120)
        .find(|e| e.uscc.as_str() == firm)
        .unwrap_or_else(|| panic!("the world's firm"));
    row.innovative_until = Some(today + Days::new(365));
    let s = zjtx_core::evaluate(&row, rs, today);
    w.state
        .store
        .import(&[(row, s)], None, today)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let r = send(
        &w,
        post(
            &format!("/titles/{firm}/revoke"),
            Some(&city),
            &format!("csrf={c}&detail=提供虚假材料&confirm=yes"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = send(
        &w,
        post(
            &format!("/declarations/{decl}/submit"),
            Some(&ent),
            &format!("csrf={e}&pledge=yes"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("不得申报"), "{}", r.body);
    let status = w
        .state
        .store
        .declaration(decl)
        .await
        .ok()
        .flatten()
        .map(|d| d.status.as_str());
    assert_eq!(status, Some("draft"));
}

/// The city keeps the expert pool in the platform (issue 16, item 8): a new name opens the
/// expert's account (its first password shown once, and it signs in); a refused form keeps what
/// was typed and says what to fix beside the field; a name of another role is refused; a
/// conflict declared later is kept; an expert is taken out of the draw (the draw reads only
/// active experts) and put back.
#[tokio::test]
async fn the_city_keeps_the_expert_pool_without_the_command_line() {
    let w = world("expert-pool").await;
    let city = login(&w, "city").await;
    let c = csrf_of(&w, &city).await;
    let add = |form: String| post("/experts", Some(&city), &form);

    let bad = send(
        &w,
        add(format!(
            "csrf={c}&username=wang_li&name=王立&fields=高端装备、新材料&employer=&conflicts={}",
            zjtx_web::common::urlencode("91330100MA00000000 朋友")
        )),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("利益冲突第 1 行"), "{}", bad.body);
    assert!(bad.body.contains("value=\"王立\""), "the input kept");
    assert!(bad.body.contains("91330100MA00000000 朋友</textarea>"));
    assert!(
        bad.body.contains(
            "id=\"f-conflicts\" name=\"conflicts\" rows=\"3\" cols=\"40\" aria-invalid=\"true\""
        ),
        "{}",
        bad.body
    );
    assert!(
        w.state
            .store
            .user_by_name("wang_li")
            .await
            .ok()
            .flatten()
            .is_none(),
        "a refused form opens no account"
    );

    let other = send(
        &w,
        add(format!(
            "csrf={c}&username=bank&name=x&fields=a&employer=&conflicts="
        )),
    )
    .await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST);
    assert!(
        other.body.contains("该账户名已被其他角色使用"),
        "{}",
        other.body
    );

    let conflicts = zjtx_web::common::urlencode(&format!("{} 持股", w.other_firm));
    let r = send(
        &w,
        add(format!(
            "csrf={c}&username=wang_li&name=王立&fields=高端装备、新材料&employer=&conflicts={conflicts}"
        )),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let first = r
        .body
        .split("<code class=\"secret\">")
        .nth(1)
        .and_then(|x| x.split('<').next())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(first.len(), 16, "{}", r.body);
    assert!(
        r.body.contains("王立") && r.body.contains("持股"),
        "{}",
        r.body
    );
    // The expert signs in with it and lands on their messages.
    let mut b = Browser::default();
    let page = b.get(&w, "/login").await;
    let csrf = form_csrf(&page.body);
    let signed = b
        .post(
            &w,
            "/login",
            &format!("username=wang_li&password={first}&csrf={csrf}"),
        )
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.body);
    // Adding the same name again is refused, and opens nothing.
    let again = send(
        &w,
        add(format!(
            "csrf={c}&username=wang_li&name=王立&fields=a&employer=&conflicts="
        )),
    )
    .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(again.body.contains("该专家已在专家库中"), "{}", again.body);

    let pool = w.state.store.experts().await.unwrap_or_default();
    let x = pool
        .iter()
        .find(|x| x.username == "wang_li")
        .unwrap_or_else(|| panic!("{pool:?}"));
    assert_eq!(x.fields, "高端装备,新材料");
    assert_eq!(
        x.conflicts,
        vec![(w.other_firm.clone(), "shareholding".to_owned())]
    );
    // A conflict declared later, and the expert taken out of the draw and put back.
    let r = send(
        &w,
        post(
            &format!("/experts/{}/conflicts", x.id),
            Some(&city),
            &format!("csrf={c}&uscc={}&kind=relation", w.xihu_firm),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let bad_code = send(
        &w,
        post(
            &format!("/experts/{}/conflicts", x.id),
            Some(&city),
            &format!("csrf={c}&uscc=123&kind=relation"),
        ),
    )
    .await;
    assert_eq!(bad_code.status, StatusCode::BAD_REQUEST);
    assert!(bad_code.body.contains("「123」不是有效的统一社会信用代码"));
    for (active, expect) in [("0", false), ("1", true), ("0", false)] {
        let r = send(
            &w,
            post(
                &format!("/experts/{}/active", x.id),
                Some(&city),
                &format!("csrf={c}&active={active}"),
            ),
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let now = w.state.store.experts().await.unwrap_or_default();
        let y = now
            .iter()
            .find(|y| y.id == x.id)
            .unwrap_or_else(|| panic!());
        assert_eq!(y.active, expect);
    }
    let pool = w.state.store.experts().await.unwrap_or_default();
    let y = pool
        .iter()
        .find(|y| y.id == x.id)
        .unwrap_or_else(|| panic!());
    assert_eq!(y.conflicts.len(), 2, "{:?}", y.conflicts);
    let page = send(&w, get("/experts", Some(&city))).await;
    assert!(page.body.contains("已停用") && page.body.contains("亲属或其他关系"));
    assert!(
        !page.body.contains("zjtx user add"),
        "no trip to the command line"
    );
}
