//! The simulated Focus is as strict as the real one. Raw HTTP where the client would hide the behaviour.

use chrono::{Duration, NaiveDate};
use focus_octopus_tests::fixtures::FocusWorld;
use focus_octopus_tests::focus_sim::{CLIENT_ID, CLIENT_SECRET, line, rates};
use rust_decimal_macros::dec;
use serde_json::{Value, json};

async fn raw(world: &FocusWorld, token: &str, action: &str, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/{action}", world.sim.url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn refresh(world: &FocusWorld, refresh_token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/oauth2/access_token", world.sim.url()))
        .json(&json!({ "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                       "refresh_token": refresh_token, "grant_type": "refresh_token" }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_201st_request_in_a_sliding_minute_gets_429_and_every_answer_has_the_headers() {
    let world = FocusWorld::start().await;
    let (token, _) = world.sim.issue_token_pair();
    for i in 0..200 {
        let r = raw(&world, &token, "users.me", json!({})).await;
        assert_eq!(r.status().as_u16(), 200);
        assert_eq!(r.headers()["x-ratelimit-remaining"], (199 - i).to_string().as_str());
    }
    let r = raw(&world, &token, "users.me", json!({})).await;
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["x-ratelimit-limit"], "200");
    // 2 March 09:00 UTC is 10:00 in Brussels; the oldest request leaves the window a minute later.
    assert_eq!(r.headers()["x-ratelimit-reset"], "2026-03-02T10:01:00.000+0100");

    world.clock.advance(Duration::seconds(60));
    assert_eq!(raw(&world, &token, "users.me", json!({})).await.status().as_u16(), 200);
}

#[tokio::test]
async fn a_refresh_token_works_once_and_an_access_token_an_hour() {
    let world = FocusWorld::start().await;
    let (access, refresh_token) = world.sim.issue_token_pair();

    let first = refresh(&world, &refresh_token).await;
    assert_eq!(first.status().as_u16(), 200);
    let pair: Value = first.json().await.unwrap();
    assert_eq!(pair["expires_in"], 3600);
    assert_ne!(pair["refresh_token"].as_str().unwrap(), refresh_token);
    let again = refresh(&world, &refresh_token).await;
    assert_eq!(again.status().as_u16(), 400);
    assert_eq!(again.json::<Value>().await.unwrap()["error"], "invalid_grant");

    world.clock.advance(Duration::minutes(59));
    assert_eq!(raw(&world, &access, "users.me", json!({})).await.status().as_u16(), 200);
    world.clock.advance(Duration::minutes(1));
    assert_eq!(raw(&world, &access, "users.me", json!({})).await.status().as_u16(), 401);
}

#[tokio::test]
async fn an_authorisation_code_expires_after_ten_minutes() {
    let world = FocusWorld::start().await;
    let redirect = "https://x.on.aws/oauth/callback";
    let code = world.sim.authorization_code(redirect);
    world.clock.advance(Duration::minutes(10));
    let r = reqwest::Client::new()
        .post(format!("{}/oauth2/access_token", world.sim.url()))
        .form(&[
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("code", code.as_str()),
            ("grant_type", "authorization_code"),
            ("redirect_uri", redirect),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test]
async fn the_authorize_page_redirects_with_code_and_state() {
    let world = FocusWorld::start().await;
    let url =
        focus_octopus::focus::authorize_url(&world.sim.url(), CLIENT_ID, "https://x.on.aws/oauth/callback", "xyz");
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 302);
    let location = r.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("https://x.on.aws/oauth/callback?code=code-"),
        "{location}"
    );
    assert!(location.ends_with("&state=xyz"));
}

#[tokio::test]
async fn totals_are_computed_per_rate_so_they_can_differ_from_the_sum_of_the_lines() {
    let world = FocusWorld::start().await;
    let company = world.sim.add_company("Brouwerij De Kroon", None, "BE");
    // Three lines of 0.35 at 21 %: each line's VAT rounds to 0.07 (Σ 0.21), the rate's VAT to round(1.05 × 0.21) = 0.22.
    let lines = vec![
        line(dec!(1), dec!(0.35), rates::VAT_21),
        line(dec!(1), dec!(0.35), rates::VAT_21),
        line(dec!(1), dec!(0.35), rates::VAT_21),
        line(dec!(3), dec!(9.99), rates::VAT_0_EXPORT),
    ];
    let (id, _) = world
        .sim
        .invoice(
            ("company", &company),
            lines,
            NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        )
        .await;
    let info = world.client().invoice(&id).await.unwrap();

    let line_vat: rust_decimal::Decimal = info.grouped_lines[0]
        .line_items
        .iter()
        .map(|l| l.total.tax_inclusive.amount - l.total.tax_exclusive.amount)
        .sum();
    assert_eq!(line_vat, dec!(0.21));
    assert_eq!(info.total.taxes[0].tax.amount, dec!(0.22));
    assert_eq!(info.total.taxes[1].rate, dec!(0));
    assert_eq!(info.total.tax_exclusive.amount, dec!(31.02));
    assert_eq!(info.total.payable.amount, dec!(31.24));
}

#[tokio::test]
async fn webhooks_can_be_held_reordered_and_dropped() {
    let world = FocusWorld::start().await;
    let sink = focus_octopus_tests::http_server::Sink::start("/hook").await;
    world
        .client()
        .register_webhook(
            &format!("{}/hook", sink.served.url()),
            &focus_octopus::focus::EventType::RELEVANT,
        )
        .await
        .unwrap();
    let company = world.sim.add_company("Brouwerij De Kroon", None, "BE");
    let date = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();

    world.sim.plan().hold = true;
    let (first, _) = world
        .sim
        .invoice(("company", &company), vec![line(dec!(1), dec!(1), rates::VAT_21)], date)
        .await;
    let (second, _) = world
        .sim
        .invoice(("company", &company), vec![line(dec!(1), dec!(1), rates::VAT_21)], date)
        .await;
    assert!(sink.bodies().is_empty(), "held back");
    world.sim.release_held(true).await;
    let order: Vec<String> = sink
        .bodies()
        .iter()
        .map(|b| b["subject"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(order, [second, first]);

    world.sim.plan().hold = false;
    world.sim.plan().drop_next = 1;
    world
        .sim
        .invoice(("company", &company), vec![line(dec!(1), dec!(1), rates::VAT_21)], date)
        .await;
    assert_eq!(sink.bodies().len(), 2, "the third booking's webhook was lost");
    assert_eq!(world.sim.deliveries().dropped.len(), 1);
}

#[tokio::test]
async fn an_action_focus_does_not_have_still_counts_and_needs_a_token_and_other_paths_are_404() {
    let world = FocusWorld::start().await;
    let (token, _) = world.sim.issue_token_pair();
    let unknown = raw(&world, &token, "invoices.bookEverything", json!({})).await;
    assert_eq!(unknown.status().as_u16(), 404);
    assert_eq!(
        unknown.headers()["x-ratelimit-remaining"],
        "199",
        "an unknown action spends the minute too"
    );
    assert_eq!(
        unknown.json::<Value>().await.unwrap(),
        json!({ "errors": [{ "title": "Unknown action invoices.bookEverything" }] })
    );
    let without_token = raw(&world, "", "invoices.bookEverything", json!({})).await;
    assert_eq!(without_token.status().as_u16(), 401);

    let http = reqwest::Client::new();
    for url in [
        format!("{}/users.me", world.sim.url()),
        format!("{}/nothing-here", world.sim.url()),
    ] {
        let r = http.get(&url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 404, "{url}");
    }
    let actions: Vec<String> = world.sim.received().into_iter().map(|r| r.action).collect();
    assert_eq!(
        actions,
        ["invoices.bookEverything", "invoices.bookEverything"],
        "GETs are no API calls"
    );
}

#[tokio::test]
async fn a_download_link_works_without_the_token_outside_the_minute_and_expires_after_five_minutes() {
    let world = FocusWorld::start().await;
    let (token, _) = world.sim.issue_token_pair();
    let company = world.sim.add_company("Brouwerij De Kroon BV", None, "BE");
    let (id, number) = world
        .sim
        .invoice(
            ("company", &company),
            vec![line(dec!(1), dec!(100), rates::VAT_21)],
            NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        )
        .await;
    let answer = raw(
        &world,
        &token,
        "invoices.download",
        json!({ "id": id, "format": "pdf" }),
    )
    .await;
    assert_eq!(answer.headers()["x-ratelimit-remaining"], "199");
    let link: Value = answer.json().await.unwrap();
    let location = link["data"]["location"].as_str().expect("a temporary URL").to_owned();
    assert!(link["data"]["expires"].is_string());

    let file = reqwest::get(&location).await.unwrap();
    assert_eq!(file.status().as_u16(), 200);
    assert_eq!(file.headers()["content-type"], "application/pdf");
    assert!(String::from_utf8_lossy(&file.bytes().await.unwrap()).contains(&number));
    assert_eq!(world.sim.received().len(), 1, "fetching the file is no API call");

    world.clock.advance(Duration::minutes(5));
    assert_eq!(
        reqwest::get(&location).await.unwrap().status().as_u16(),
        404,
        "the link has expired"
    );

    let peppol_credit = raw(
        &world,
        &token,
        "creditNotes.download",
        json!({ "id": id, "format": "ubl/peppol_bis_3" }),
    )
    .await;
    assert_eq!(
        peppol_credit.status().as_u16(),
        400,
        "credit notes have no Peppol BIS 3 rendering"
    );
}
