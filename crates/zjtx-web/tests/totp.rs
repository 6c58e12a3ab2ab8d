//! The second factor (issue 18): required of a configured role, enrolled at sign-in; optional
//! for others from the account page; each code used once; wrong codes counted; the API's token
//! asks for the code too.

mod common;
use common::*;

use axum::http::StatusCode;
use zjtx_web::totp::code_at;

fn secret_in(body: &str) -> String {
    body.split("<code class=\"secret\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap_or_default()
        .to_owned()
}

async fn password_step(w: &World, b: &mut Browser, user: &str) -> Resp {
    let page = b.get(w, "/login").await;
    let csrf = form_csrf(&page.body);
    b.post(
        w,
        "/login",
        &format!("username={user}&password={PASSWORD}&csrf={csrf}"),
    )
    .await
}

async fn code_step(w: &World, b: &mut Browser, page: &Resp, code: &str) -> Resp {
    let csrf = form_csrf(&page.body);
    b.post(w, "/login/totp", &format!("csrf={csrf}&code={code}"))
        .await
}

#[tokio::test]
async fn a_required_second_factor_is_enrolled_at_sign_in_and_asked_each_time() {
    let mut w = world("totp").await;
    configure(&mut w, "[security]\ntotp_roles = \"district\"\n");
    let now = zjtx_store::now();

    // The district's first sign-in: the password opens no session but the enrolment page.
    let mut b = Browser::default();
    let page = password_step(&w, &mut b, "xihu").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(cookie_value(&page.cookies, zjtx_web::auth::SESSION_COOKIE).is_none());
    let mfa = page
        .cookies
        .iter()
        .find(|c| c.starts_with("zjtx_mfa="))
        .unwrap_or_else(|| panic!("no pending cookie: {:?}", page.cookies));
    assert!(
        mfa.contains("Path=/login") && mfa.contains("HttpOnly"),
        "{mfa}"
    );
    let secret = secret_in(&page.body);
    assert_eq!(secret.len(), 32, "{}", page.body);
    assert!(page.body.contains("otpauth://totp/ZJTX:xihu?secret="));
    assert_eq!(b.get(&w, "/dashboard").await.status, StatusCode::SEE_OTHER);

    // A reload keeps the page; a wrong code is refused on it; the right one signs in.
    let again = b.get(&w, "/login/totp").await;
    assert_eq!(secret_in(&again.body), secret);
    let wrong = code_step(&w, &mut b, &again, "000000").await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.body.contains("验证码不正确"));
    let code = code_at(&secret, now).unwrap_or_default();
    let ok = code_step(&w, &mut b, &wrong, &code).await;
    assert_eq!(
        (ok.status, ok.location.as_str()),
        (StatusCode::SEE_OTHER, "/")
    );
    assert!(cookie_value(&ok.cookies, zjtx_web::auth::SESSION_COOKIE).is_some());
    assert_eq!(b.get(&w, "/dashboard").await.status, StatusCode::OK);
    let account = b.get(&w, "/account").await;
    assert!(
        account.body.contains("不能关闭"),
        "required: no way to turn it off"
    );

    // The next sign-in asks for a code without showing the secret; the code just used is
    // refused (a replay), the next step's accepted.
    let mut b = Browser::default();
    let page = password_step(&w, &mut b, "xihu").await;
    assert!(page.body.contains("name=\"code\"") && secret_in(&page.body).is_empty());
    let replay = code_step(&w, &mut b, &page, &code).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    let next = code_at(&secret, now + 30).unwrap_or_default();
    let ok = code_step(&w, &mut b, &replay, &next).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);

    // The API's token: without the code, or with a used one, refused.
    for body in [
        serde_json::json!({ "username": "xihu", "password": PASSWORD }),
        serde_json::json!({ "username": "xihu", "password": PASSWORD, "totp": next }),
    ] {
        let r = send(&w, json_req("POST", "/api/v1/auth/token", None, Some(body))).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
        assert!(r.body.contains("second factor"));
    }

    // Wrong codes are counted, the API's two above among them: the sixth try since the last
    // right code ends the pending sign-in.
    let mut b = Browser::default();
    let mut page = password_step(&w, &mut b, "xihu").await;
    let mut tries = 2;
    while !page.body.contains("验证码错误次数过多") {
        assert!(tries < 6, "not stopped after {tries} wrong codes");
        page = code_step(&w, &mut b, &page, "123456").await;
        tries += 1;
    }
    assert_eq!(tries, 6);
    let gone = b.get(&w, "/login/totp").await;
    assert_eq!(
        (gone.status, gone.location.as_str()),
        (StatusCode::SEE_OTHER, "/login")
    );
    let r = send(
        &w,
        json_req(
            "POST",
            "/api/v1/auth/token",
            None,
            Some(serde_json::json!({ "username": "xihu", "password": PASSWORD, "totp": "123456" })),
        ),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the API counts the same tries"
    );

    // A role that does not require it signs in with the password alone.
    login(&w, "city").await;
}

#[tokio::test]
async fn anyone_may_turn_the_second_factor_on_and_off() {
    let w = world("totp-own").await;
    let now = zjtx_store::now();
    let session = login(&w, "bank").await;
    let csrf = csrf_of(&w, &session).await;
    let account = send(&w, get("/account", Some(&session))).await;
    assert!(account.body.contains("action=\"/account/totp/start\""));
    let own = |path: &'static str, form: String| {
        let (w, session) = (&w, &session);
        async move { send(w, post(path, Some(session), &form)).await }
    };
    let page = own("/account/totp/start", format!("csrf={csrf}")).await;
    let secret = secret_in(&page.body);
    assert_eq!(secret.len(), 32, "{}", page.body);
    let wrong = own("/account/totp/confirm", format!("csrf={csrf}&code=000000")).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        secret_in(&wrong.body),
        secret,
        "the same secret to try again"
    );
    let code = code_at(&secret, now).unwrap_or_default();
    let on = own("/account/totp/confirm", format!("csrf={csrf}&code={code}")).await;
    assert_eq!(on.location, "/account?totp=on#totp");
    let account = send(&w, get("/account?totp=on", Some(&session))).await;
    assert!(account.body.contains("两步验证已开启"));
    // Starting again does not replace a confirmed secret.
    let r = own("/account/totp/start", format!("csrf={csrf}")).await;
    assert_eq!(r.location, "/account#totp");

    // Now the password alone is not enough, on the page or the API.
    let mut b = Browser::default();
    let page = password_step(&w, &mut b, "bank").await;
    assert!(cookie_value(&page.cookies, zjtx_web::auth::SESSION_COOKIE).is_none());
    let next = code_at(&secret, now + 30).unwrap_or_default();
    let r = send(
        &w,
        json_req(
            "POST",
            "/api/v1/auth/token",
            None,
            Some(serde_json::json!({ "username": "bank", "password": PASSWORD, "totp": next })),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Off only with a current code (none is left unused in this window: refused).
    let r = own("/account/totp/remove", format!("csrf={csrf}&code={next}")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        w.state
            .store
            .audit_by_action("totp_on")
            .await
            .unwrap_or_default()
            .len()
            == 1
    );
}
