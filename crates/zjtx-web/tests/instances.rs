//! Two instances of the server, each with its own connection pool, on one PostgreSQL database:
//! a session opened on one is valid on the other, and ending it on one ends it on both. Runs in
//! the PostgreSQL leg of the test suite (`ZJTX_TEST_DATABASE_URL`); without it, it says it skipped.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zjtx_core::rules::{Embedded, load_all};
use zjtx_store::{NewUser, Role, Store};
use zjtx_web::{AppState, auth};

const PASSWORD: &str = "two-instances-password";

/// One HTTP/1.1 request on a fresh connection; returns (status, headers, body).
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    cookie: &str,
    form: &str,
) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n");
    if !cookie.is_empty() {
        req.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if method == "POST" {
        req.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            form.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(form);
    s.write_all(req.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}

fn set_cookie(head: &str, name: &str) -> String {
    head.lines()
        .filter_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .find_map(|c| {
            c.split(';')
                .next()
                .filter(|kv| kv.starts_with(&format!("{name}=")))
        })
        .unwrap_or_default()
        .to_owned()
}

fn csrf(body: &str) -> String {
    body.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

async fn instance(url: &str) -> SocketAddr {
    let store = Store::connect(url).await.unwrap_or_else(|e| panic!("{e}"));
    let state = AppState::new(
        store,
        load_all(&Embedded).unwrap_or_else(|e| panic!("{e}")),
        false,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(zjtx_web::serve(listener, state, std::future::pending()));
    addr
}

#[tokio::test]
async fn two_instances_on_one_postgres_share_sessions() {
    let Ok(base) = std::env::var("ZJTX_TEST_DATABASE_URL") else {
        eprintln!(
            "two_instances_on_one_postgres_share_sessions: skipped (no ZJTX_TEST_DATABASE_URL)"
        );
        return;
    };
    // A database of its own.
    let db = format!("zjtx_t_{}_instances", std::process::id());
    let url = zjtx_store::fresh_database(&base, &db)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let setup = Store::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
    setup.migrate().await.unwrap_or_else(|e| panic!("{e}"));
    setup
        .seed_reference()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let hash = auth::hash_password(PASSWORD).unwrap_or_else(|e| panic!("{e}"));
    setup
        .add_user(&NewUser {
            username: "city".into(),
            password_hash: hash,
            role: Role::City,
            region_code: Some("330100".into()),
            uscc: None,
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let a = instance(&url).await;
    let b = instance(&url).await;
    // Sign in on A.
    let (_, head, body) = http(a, "GET", "/login", "", "").await;
    let pre = set_cookie(&head, auth::PRE_COOKIE);
    let (status, head, _) = http(
        a,
        "POST",
        "/login",
        &pre,
        &format!("username=city&password={PASSWORD}&csrf={}", csrf(&body)),
    )
    .await;
    assert_eq!(status, 303);
    let session = set_cookie(&head, auth::SESSION_COOKIE);
    assert!(!session.is_empty());
    // The session works on B.
    let (status, _, body) = http(b, "GET", "/account", &session, "").await;
    assert_eq!(status, 200, "a session opened on A is valid on B");
    // Ending it on B ends it on A.
    let (status, _, _) = http(
        b,
        "POST",
        "/logout",
        &session,
        &format!("csrf={}", csrf(&body)),
    )
    .await;
    assert_eq!(status, 303);
    let (status, head, _) = http(a, "GET", "/account", &session, "").await;
    assert_eq!(
        status, 303,
        "after logout on B, A sends the user to sign in"
    );
    assert!(head.to_ascii_lowercase().contains("location: /login"));
    setup.migrate().await.unwrap_or_else(|e| panic!("{e}"));
}
