//! The Focus client against the simulated Focus, with its OAuth pair in Secrets Manager and its lease in DynamoDB,
//! both on moto.

use chrono::{Duration, NaiveDate};
use focus_octopus::domain::{ErrorClass, Failure};
use focus_octopus::focus::{CompanyFilter, EventType, FocusError, InvoiceFilter, InvoiceStatus, Money, WebhookEvent};
use focus_octopus_tests::fixtures::FocusWorld;
use focus_octopus_tests::focus_sim::{self, DEPARTMENT, line, rates};
use futures::StreamExt;
use futures::future::join_all;
use rust_decimal_macros::dec;
use serde_json::{Value, json};

fn march(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, day).unwrap()
}

#[tokio::test]
async fn the_account_setup_is_read_with_every_zero_rate_variant_by_id() {
    let world = FocusWorld::start().await;
    let client = world.client();

    let me = client.me().await.unwrap();
    let departments = client.departments().await.unwrap();
    let rates = client.tax_rates(DEPARTMENT).await.unwrap();
    let categories = client.product_categories(DEPARTMENT).await.unwrap();
    let methods = client.payment_methods().await.unwrap();
    let fields = client.custom_field_definitions().await.unwrap();

    assert_eq!(me.account.id, "0fc55513-7f68-4865-aba0-de5da9e4e43d");
    assert_eq!(departments[0].id, DEPARTMENT);
    assert_eq!(rates.len(), 7);
    assert_eq!(
        rates.iter().filter(|r| r.rate.is_zero()).count(),
        4,
        "four 0 % rates, told apart by id"
    );
    assert_eq!(categories[0].ledger_for(DEPARTMENT), Some("700000"));
    assert_eq!(methods.len(), 2);
    assert_eq!(fields[0].context, "company");
    let versions: Vec<_> = world.sim.received().iter().map(|r| r.status).collect();
    assert!(versions.iter().all(|s| *s == 200));
}

#[tokio::test]
async fn eight_concurrent_refreshers_cause_exactly_one_upstream_refresh_and_no_invalid_grant() {
    let world = FocusWorld::start().await;
    let before = world.secret().await;
    // 56 minutes in, the hour-long token is inside the renewal margin.
    world.clock.advance(Duration::minutes(56));
    let clients: Vec<_> = (0..8).map(|_| world.client()).collect();

    let results = join_all(clients.iter().map(|c| c.me())).await;

    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(
        world.sim.refreshes(),
        (1, 0),
        "(upstream refreshes, invalid_grant answers)"
    );
    let after = world.secret().await;
    assert_ne!(
        after.refresh_token, before.refresh_token,
        "the new pair is in Secrets Manager"
    );
    assert_eq!(after.expires_at, Some(world.clock_now() + Duration::hours(1)));
}

#[tokio::test]
async fn the_new_pair_is_stored_before_it_is_used_so_a_cold_instance_does_not_refresh_again() {
    let world = FocusWorld::start().await;
    world.clock.advance(Duration::minutes(58));
    world.client().me().await.unwrap();
    let stored = world.secret().await;

    world.client().me().await.unwrap();

    assert_eq!(world.sim.refreshes(), (1, 0));
    let live = world
        .sim
        .state()
        .access_tokens
        .contains_key(stored.access_token.as_deref().unwrap());
    assert!(live, "the stored access token is the one Focus issued");
}

#[tokio::test]
async fn a_refresh_beaten_by_a_sibling_is_recovered_from_the_secret() {
    let world = FocusWorld::start().await;
    let client = world.client();
    client.me().await.unwrap();
    world.clock.advance(Duration::minutes(57));
    // Just before our refresh reaches Focus, another process (outside our lease) refreshes with the same token and
    // stores its pair.
    let (url, secrets, secret_id) = (world.sim.url(), world.aws.secrets.clone(), world.secret_id.clone());
    let current = world.secret().await;
    let expires = world.clock_now() + Duration::hours(1);
    world.sim.before_next_token_request(move || async move {
        let answer: Value = reqwest::Client::new()
            .post(format!("{url}/oauth2/access_token"))
            .form(&[
                ("client_id", current.client_id.as_str()),
                ("client_secret", current.client_secret.as_str()),
                ("refresh_token", current.refresh_token.as_deref().unwrap()),
                ("grant_type", "refresh_token"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut sibling = current.clone();
        sibling.access_token = answer["access_token"].as_str().map(str::to_owned);
        sibling.refresh_token = answer["refresh_token"].as_str().map(str::to_owned);
        sibling.expires_at = Some(expires);
        secrets
            .put_secret_value()
            .secret_id(secret_id)
            .secret_string(serde_json::to_string(&sibling).unwrap())
            .send()
            .await
            .unwrap();
    });

    client.me().await.expect("recovered with the sibling's pair");

    assert_eq!(
        world.sim.refreshes(),
        (1, 1),
        "the sibling refreshed; ours met invalid_grant"
    );
    assert_eq!(world.sim.count("users.me"), 2);
}

#[tokio::test]
async fn a_revoked_refresh_token_asks_for_a_new_authorisation() {
    let world = FocusWorld::start().await;
    world.sim.revoke_refresh_tokens();
    world.clock.advance(Duration::minutes(61));

    let err = world.client().me().await.unwrap_err();

    assert!(matches!(err, FocusError::ReauthorizationRequired { .. }), "{err:?}");
    assert_eq!(err.code(), "FOCUS_REAUTHORIZATION_REQUIRED");
    assert_eq!(err.class(), ErrorClass::Permanent);
    assert!(err.to_string().contains("focus-octopus connect"));
    let secret = world.secret().await;
    assert!(!err.to_string().contains(secret.refresh_token.as_deref().unwrap()));
    assert!(!err.to_string().contains(focus_sim::CLIENT_SECRET));
}

#[tokio::test]
async fn an_access_token_refused_with_401_is_renewed_once_and_the_call_sent_again() {
    let world = FocusWorld::start().await;
    let client = world.client();
    client.me().await.unwrap();
    world.sim.state().access_tokens.clear();

    client.me().await.unwrap();

    let statuses: Vec<_> = world.sim.received().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 401, 200]);
    assert_eq!(world.sim.refreshes(), (1, 0));
}

#[tokio::test]
async fn a_thousand_calls_in_a_burst_never_meet_a_429_nor_pass_200_a_minute() {
    let world = FocusWorld::start().await;
    let client = world.client();
    let start = world.clock_now();

    let results: Vec<_> = futures::stream::iter(0..1000)
        .map(|_| client.me())
        .buffer_unordered(16)
        .collect()
        .await;

    assert!(results.iter().all(Result::is_ok));
    let (max_in_a_minute, throttled) = world.sim.rate_limit_record();
    let simulated = world.clock_now() - start;
    println!(
        "1000 calls: at most {max_in_a_minute} in any minute, {throttled} answered 429, {} simulated seconds",
        simulated.num_seconds()
    );
    assert_eq!(throttled, 0);
    assert!(max_in_a_minute <= 200);
    // 1000 calls need 5 windows at best: 4 waits of a minute.
    assert!(simulated <= Duration::minutes(5), "{simulated}");
}

#[tokio::test]
async fn an_injected_429_is_waited_out_until_the_reset() {
    let world = FocusWorld::start().await;
    let client = world.client();
    client.me().await.unwrap();
    world.sim.fail_next("users.me", 1, 429);
    let before = world.clock_now();

    client.me().await.unwrap();

    assert_eq!(world.sim.count("users.me"), 3);
    assert!(
        world.clock_now() > before,
        "the client waited (on the simulated clock) before sending again"
    );
}

#[tokio::test]
async fn unavailable_answers_are_retried_but_a_payment_is_never_sent_twice() {
    let world = FocusWorld::start().await;
    let client = world.client();
    world.sim.fail_next("users.me", 2, 503);
    client.me().await.expect("third time lucky");
    assert_eq!(world.sim.count("users.me"), 3);

    let company = world.sim.add_company("Brouwerij De Kroon", Some("BE0477472701"), "BE");
    let (invoice, _) = world
        .sim
        .invoice(
            ("company", &company),
            vec![line(dec!(2), dec!(50), rates::VAT_21)],
            march(2),
        )
        .await;
    world.sim.fail_next("invoices.registerPayment", 1, 503);
    let paid_at = chrono::DateTime::parse_from_rfc3339("2026-03-05T12:00:00+01:00").unwrap();
    let err = client
        .register_payment(&invoice, &Money::eur(dec!(121)), paid_at, None)
        .await
        .unwrap_err();

    assert!(matches!(err, FocusError::OutcomeUnknown { .. }), "{err:?}");
    assert!(err.is_transient());
    assert_eq!(world.sim.count("invoices.registerPayment"), 1);
}

#[tokio::test]
async fn a_registered_payment_is_visible_on_the_invoice() {
    let world = FocusWorld::start().await;
    let client = world.client();
    let company = world.sim.add_company("Brouwerij De Kroon", Some("BE0477472701"), "BE");
    let (invoice, _) = world
        .sim
        .invoice(
            ("company", &company),
            vec![line(dec!(2), dec!(50), rates::VAT_21)],
            march(2),
        )
        .await;
    let paid_at = chrono::DateTime::parse_from_rfc3339("2026-03-05T12:00:00+01:00").unwrap();

    client
        .register_payment(&invoice, &Money::eur(dec!(100)), paid_at, None)
        .await
        .unwrap();
    client
        .register_payment(&invoice, &Money::eur(dec!(21)), paid_at, None)
        .await
        .unwrap();

    let info = client.invoice(&invoice).await.unwrap();
    let paid: Vec<_> = info.payments.iter().map(|p| p.payment.amount).collect();
    assert_eq!(paid, [dec!(100), dec!(21)]);
    assert_eq!(info.status, InvoiceStatus::Matched);
    assert_eq!(info.payments[0].paid_at, paid_at);
}

#[tokio::test]
async fn lists_are_read_page_by_page_until_a_short_page() {
    let world = FocusWorld::start().await;
    for i in 0..250 {
        world.sim.add_company(&format!("Klant {i:03}"), None, "BE");
    }
    let companies = world.client().companies(&CompanyFilter::default()).await.unwrap();
    assert_eq!(companies.len(), 250);
    assert_eq!(world.sim.count("companies.list"), 3, "100 + 100 + 50");

    for i in 250..300 {
        world.sim.add_company(&format!("Klant {i:03}"), None, "BE");
    }
    let companies = world.client().companies(&CompanyFilter::default()).await.unwrap();
    assert_eq!(companies.len(), 300);
    assert_eq!(
        world.sim.count("companies.list"),
        3 + 4,
        "100 + 100 + 100 + an empty page"
    );
    assert!(companies[0].primary_address.is_some());
}

#[tokio::test]
async fn the_invoice_status_filter_takes_an_array_of_draft_outstanding_or_matched_only() {
    let world = FocusWorld::start().await;
    let company = world.sim.add_company("Brouwerij De Kroon", None, "BE");
    world
        .sim
        .draft_invoice(("company", &company), vec![line(dec!(1), dec!(10), rates::VAT_6)], None);
    world
        .sim
        .invoice(
            ("company", &company),
            vec![line(dec!(1), dec!(10), rates::VAT_6)],
            march(3),
        )
        .await;
    let client = world.client();

    let outstanding = client
        .invoices(&InvoiceFilter {
            status: vec![InvoiceStatus::Outstanding],
            department_id: Some(DEPARTMENT.into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(outstanding.len(), 1);
    assert_eq!(outstanding[0].invoice_number.as_deref(), Some("2026 / 1"));

    let (access, _) = world.sim.issue_token_pair();
    let raw = |filter: Value| {
        let (url, access) = (world.sim.url(), access.clone());
        async move {
            reqwest::Client::new()
                .post(format!("{url}/invoices.list"))
                .bearer_auth(access)
                .json(&json!({ "filter": filter }))
                .send()
                .await
                .unwrap()
        }
    };
    let booked = raw(json!({ "status": ["booked"] })).await;
    assert_eq!(booked.status().as_u16(), 400);
    let body: Value = booked.json().await.unwrap();
    assert!(
        body["errors"][0]["title"]
            .as_str()
            .unwrap()
            .contains("draft, outstanding, matched")
    );
    assert_eq!(raw(json!({ "status": "outstanding" })).await.status().as_u16(), 400);
    assert_eq!(raw(json!({ "status": ["draft"] })).await.status().as_u16(), 200);
}

#[tokio::test]
async fn updated_since_returns_only_documents_changed_after_it() {
    let world = FocusWorld::start().await;
    let company = world.sim.add_company("Brouwerij De Kroon", None, "BE");
    world
        .sim
        .invoice(
            ("company", &company),
            vec![line(dec!(1), dec!(10), rates::VAT_21)],
            march(2),
        )
        .await;
    world.clock.advance(Duration::hours(2));
    let cursor = world.clock_now();
    world.clock.advance(Duration::minutes(1));
    let (late, _) = world
        .sim
        .invoice(
            ("company", &company),
            vec![line(dec!(1), dec!(10), rates::VAT_21)],
            march(2),
        )
        .await;

    let changed = world
        .client()
        .invoices(&InvoiceFilter {
            updated_since: Some(focus_octopus::focus::paging::sweep_since(cursor)),
            ..Default::default()
        })
        .await
        .unwrap();

    let ids: Vec<_> = changed.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, [late.as_str()]);
    let sent = world.sim.received().last().unwrap().body.clone();
    assert!(
        sent["filter"]["updated_since"].as_str().unwrap().ends_with("+00:00"),
        "{sent}"
    );
}

#[tokio::test]
async fn a_webhook_is_delivered_to_the_registered_url_with_duplicates() {
    let world = FocusWorld::start().await;
    let sink = focus_octopus_tests::http_server::Sink::start("/hooks/bakkerij/s3cret").await;
    let url = format!("{}/hooks/bakkerij/s3cret", sink.served.url());
    let client = world.client();
    client.register_webhook(&url, &EventType::RELEVANT).await.unwrap();
    assert_eq!(
        client.webhooks().await.unwrap()[0].types.len(),
        EventType::RELEVANT.len()
    );
    world.sim.plan().copies = 3;

    let company = world.sim.add_company("Brouwerij De Kroon", None, "BE");
    let (invoice, _) = world
        .sim
        .invoice(
            ("company", &company),
            vec![line(dec!(1), dec!(10), rates::VAT_21)],
            march(2),
        )
        .await;

    let bodies = sink.bodies();
    assert_eq!(bodies.len(), 3);
    for body in &bodies {
        let event = WebhookEvent::parse(&serde_json::to_vec(body).unwrap()).unwrap();
        assert_eq!(event.event, EventType::InvoiceBooked);
        assert_eq!(event.subject.id, invoice);
    }

    client.unregister_webhook(&url, &EventType::RELEVANT).await.unwrap();
    assert!(client.webhooks().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_authorisation_code_is_exchanged_once_and_stored() {
    let world = FocusWorld::start().await;
    let redirect = "https://example.lambda-url.eu-west-1.on.aws/oauth/callback";
    let code = world.sim.authorization_code(redirect);
    let client = world.client();

    client.exchange_code(&code, redirect, false).await.unwrap();
    let stored = world.secret().await;
    let err = client.exchange_code(&code, redirect, false).await.unwrap_err();

    assert!(
        world
            .sim
            .state()
            .access_tokens
            .contains_key(stored.access_token.as_deref().unwrap())
    );
    assert!(
        matches!(err, FocusError::ReauthorizationRequired { .. }),
        "a code is single-use: {err:?}"
    );
    assert_eq!(
        world.secret().await.refresh_token,
        stored.refresh_token,
        "a refused exchange stores nothing"
    );
}

#[tokio::test]
async fn the_authorize_url_carries_client_state_and_redirect() {
    let url = focus_octopus::focus::authorize_url(
        "https://focus.teamleader.eu",
        "client-1",
        "https://x.on.aws/oauth/callback",
        "st&te",
    );
    assert_eq!(
        url,
        "https://focus.teamleader.eu/oauth2/authorize?client_id=client-1&response_type=code&state=st%26te&\
         redirect_uri=https%3A%2F%2Fx.on.aws%2Foauth%2Fcallback"
    );
}

#[tokio::test]
async fn a_created_company_is_named_in_either_documented_201_shape() {
    let world = FocusWorld::start().await;
    let client = world.client();
    let write = |name: &str| focus_octopus::focus::CompanyWrite {
        name: name.into(),
        vat_number: Some("BE0477472701".into()),
        tags: vec!["Octopus Import".into()],
        ..Default::default()
    };

    let wrapped = client.add_company(&write("Brouwerij De Kroon")).await.unwrap();
    world.sim.state().created_bare = true;
    let bare = client.add_company(&write("Bakkerij Smet")).await.unwrap();

    assert_eq!((wrapped.kind.as_str(), bare.kind.as_str()), ("company", "company"));
    assert_eq!(client.company(&bare.id).await.unwrap().name, "Bakkerij Smet");
    assert_eq!(client.company(&wrapped.id).await.unwrap().tags, ["Octopus Import"]);
    let empty = client.add_company(&write("  ")).await.unwrap_err();
    assert!(matches!(&empty, FocusError::Rejected { status: 400, titles, .. } if titles.contains("must not be empty")));
}
