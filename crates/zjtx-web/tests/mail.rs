//! E-mail: with a relay configured, a step's messages also go by e-mail to the accounts with an
//! address, and the daily digest mails each reviewer their queue. A small SMTP server in the test
//! plays the relay and keeps what it receives.

mod common;
use common::*;

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use chrono::Days;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// (recipients, data) of each message received.
type Inbox = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// A relay on a free port that accepts everything and keeps it.
async fn relay() -> (String, Inbox) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("{e}"))
        .to_string();
    let inbox: Inbox = Arc::default();
    let kept = inbox.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                let _ = w.write_all(b"220 test relay\r\n").await;
                let (mut to, mut data, mut in_data) = (Vec::new(), String::new(), false);
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            if let Ok(mut k) = kept.lock() {
                                k.push((std::mem::take(&mut to), std::mem::take(&mut data)));
                            }
                            let _ = w.write_all(b"250 queued\r\n").await;
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 test relay\r\n",
                        "RCPT" => {
                            to.push(line.clone());
                            b"250 ok\r\n"
                        }
                        "DATA" => {
                            in_data = true;
                            b"354 go on\r\n"
                        }
                        "QUIT" => {
                            let _ = w.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    let _ = w.write_all(reply).await;
                }
            });
        }
    });
    (addr, inbox)
}

/// Waits (up to 5 s) until the inbox holds a message to `who` containing `text`.
async fn received(inbox: &Inbox, who: &str, text: &str) -> bool {
    for _ in 0..100 {
        let found = inbox.lock().is_ok_and(|k| {
            k.iter()
                .any(|(to, data)| to.iter().any(|t| t.contains(who)) && data.contains(text))
        });
        if found {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn messages_and_the_digest_go_by_e_mail_when_a_relay_is_set() {
    let mut w = world("mail").await;
    let (addr, inbox) = relay().await;
    let mailer = zjtx_web::mail::Mailer::new(&addr, "ZJTX <zjtx@example.org>")
        .unwrap_or_else(|e| panic!("{e}"));
    w.state.mailer = Some(Arc::new(mailer));
    let store = w.state.store.clone();
    for (u, a) in [("firm", "firm@example.org"), ("xihu", "xihu@example.org")] {
        assert!(store.set_email(u, Some(a)).await.unwrap_or(false));
    }
    assert!(
        !store
            .set_email("nobody", Some("x@example.org"))
            .await
            .unwrap_or(true)
    );
    let today = chrono::Local::now().date_naive();
    w.state.set_today(Some(today));
    let rules =
        zjtx_core::rules::load_all(&zjtx_core::rules::Embedded).unwrap_or_else(|e| panic!("{e}"));
    let rs = zjtx_core::rule_set_for(&rules, today).unwrap_or_else(|| panic!("no set"));
    let d = |n: u64| (today + Days::new(n)).to_string();

    let city = login(&w, "city").await;
    let c = csrf_of(&w, &city).await;
    let r = send(&w, post("/batches", Some(&city), &format!(
        "csrf={c}&tier=srdi&year=2026&rules={}&title=B&declare_until={}&district_until={}&city_until={}&notice_days=5&quota=&experts_per=1",
        rs.id, d(5), d(10), d(15)
    ))).await;
    let batch = id_after(&r.location, "/batches/");
    let firm = login(&w, "firm").await;
    let f = csrf_of(&w, &firm).await;
    let r = send(
        &w,
        post(
            &format!("/batches/{batch}/declare"),
            Some(&firm),
            &format!("csrf={f}"),
        ),
    )
    .await;
    let decl = id_after(&r.location, "/declarations/");
    let path = format!("/declarations/{decl}");
    let rules_of_tier = rule_ids(&send(&w, get(&path, Some(&firm))).await.body);

    // Submitted: the district office is told in the app and by e-mail.
    let r = send(
        &w,
        post(
            &format!("{path}/submit"),
            Some(&firm),
            &format!("csrf={f}&pledge=yes"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        received(&inbox, "xihu@example.org", &path).await,
        "no mail to the district"
    );
    // Returned: the enterprise is told, with the link.
    let xihu = login(&w, "xihu").await;
    let x = csrf_of(&w, &xihu).await;
    let all_agree = opinions(&rules_of_tier, &[]);
    let r = send(
        &w,
        post(
            &format!("{path}/review"),
            Some(&xihu),
            &format!("csrf={x}&decision=return&reason=more&{all_agree}"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        received(&inbox, "firm@example.org", &path).await,
        "no mail to the enterprise"
    );
    let r = send(
        &w,
        post(
            &format!("{path}/submit"),
            Some(&firm),
            &format!("csrf={f}&pledge=yes"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // The digest: the district office has one declaration waiting; the city none yet.
    let mailer = w.state.mailer.clone().unwrap_or_else(|| panic!("mailer"));
    // (The resubmission's mail to the district is the third; let it land first.)
    for _ in 0..100 {
        if inbox.lock().map(|k| k.len()).unwrap_or(0) >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let before = inbox.lock().map(|k| k.len()).unwrap_or(0);
    assert_eq!(before, 3, "submit, return, resubmit");
    let (told, mailed) = zjtx_web::declare::digest(
        &store,
        &w.state.rules,
        Some(&mailer),
        today,
        "https://zjtx.example.org",
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((told, mailed), (1, 1));
    assert!(
        received(
            &inbox,
            "xihu@example.org",
            &format!("https://zjtx.example.org{path}")
        )
        .await
    );
    assert_eq!(inbox.lock().map(|k| k.len()).unwrap_or(0), before + 1);
    let page = send(&w, get("/messages", Some(&xihu))).await;
    assert!(page.body.contains("id=\"queue\"") && page.body.contains(&path));
    assert!(page.body.contains("今日待办"));
    // Overdue once the district's deadline has passed.
    let (told, _) =
        zjtx_web::declare::digest(&store, &w.state.rules, None, today + Days::new(11), "x")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(told, 1);
    let notes = store
        .notifications(
            store
                .user_by_name("xihu")
                .await
                .ok()
                .flatten()
                .map(|u| u.id)
                .unwrap_or(0),
        )
        .await
        .unwrap_or_default();
    assert!(
        notes[0].text.contains("1 份申报，其中逾期 1 份"),
        "{}",
        notes[0].text
    );
}
