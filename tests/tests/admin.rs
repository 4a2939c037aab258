//! Admin commands as the admin function runs them, on moto and both simulators.

use chrono::NaiveDate;
use focus_octopus::domain::{Failure, JournalKey};
use focus_octopus::sync::admin;
use focus_octopus_tests::focus_sim::{line, rates};
use focus_octopus_tests::octopus_sim::DOSSIER;
use focus_octopus_tests::push_world::{PushWorld, push_config};
use rust_decimal_macros::dec;
use serde_json::{Value, json};

async fn run(world: &PushWorld, command: Value) -> Result<Value, admin::AdminError> {
    admin::run(&world.deployment, admin::parse(command)?).await
}

#[tokio::test]
async fn ping_answers_with_the_version_and_the_connections() {
    let world = PushWorld::start().await;
    let answer = run(&world, json!({"action": "ping"})).await.unwrap();
    assert_eq!(answer["connections"], json!(["bakkerij"]));
    assert_eq!(answer["version"], json!(env!("CARGO_PKG_VERSION")));
}

#[tokio::test]
async fn a_command_with_unknown_fields_is_refused_before_anything_runs() {
    let err = admin::parse(json!({"action": "ping", "force": true})).unwrap_err();
    assert_eq!(err.code(), "ADMIN_BAD_COMMAND");
    let err = admin::parse(json!({"action": "status"})).unwrap_err();
    assert!(err.to_string().contains("connection"), "{err}");
}

#[tokio::test]
async fn resync_of_failed_documents_posts_them_after_the_fix_and_status_shows_them_moving() {
    let mut config = push_config();
    config.vat_codes.remove(rates::VAT_6);
    let world = PushWorld::start_with(config).await;
    let company = world
        .focus
        .add_company("Brouwerij De Kroon BV", Some("BE0477472701"), "BE");
    let march = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
    world
        .focus
        .invoice(
            ("company", &company),
            vec![line(dec!(1), dec!(10), rates::VAT_6)],
            march(2),
        )
        .await;
    world
        .focus
        .invoice(
            ("company", &company),
            vec![line(dec!(1), dec!(20), rates::VAT_6)],
            march(3),
        )
        .await;
    world.pump(10).await;

    let before = run(&world, json!({"action": "status", "connection": "bakkerij"}))
        .await
        .unwrap();
    assert_eq!(before["documents"]["failed"], 2);
    assert_eq!(before["attention"][0]["code"], "VAT_RATE_UNMAPPED");
    assert!(
        before["attention"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("focus-octopus map")
    );
    assert_eq!(before["budgets_left"]["insertBuySellBooking"], 400);

    world
        .change_settings(|c| {
            c.vat_codes.insert(rates::VAT_6.into(), "06".into());
        })
        .await;
    let resynced = run(
        &world,
        json!({"action": "resync", "connection": "bakkerij", "failed": true}),
    )
    .await
    .unwrap();
    assert_eq!(resynced["enqueued"].as_array().unwrap().len(), 2);
    let moving = run(&world, json!({"action": "status", "connection": "bakkerij"}))
        .await
        .unwrap();
    assert_eq!(moving["documents"]["pending"], 2);
    world.pump(10).await;

    let after = run(&world, json!({"action": "status", "connection": "bakkerij"}))
        .await
        .unwrap();
    assert_eq!(after["documents"]["posted"], 2);
    assert_eq!(after["attention"], json!([]));
    assert_eq!(after["budgets_left"]["insertBuySellBooking"], 398);
    assert_eq!(world.octopus.bookings(DOSSIER).len(), 2);
}

#[tokio::test]
async fn doctor_names_a_missing_bookyear_and_sales_journal_with_the_fix_and_passes_once_they_exist() {
    let mut config = push_config();
    config.start_date = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    config.invoice_journal = JournalKey::new("V4").unwrap();
    let world = PushWorld::start_with(config).await;

    let sick = run(&world, json!({"action": "doctor", "connection": "bakkerij"}))
        .await
        .unwrap();
    assert_eq!(sick["ok"], false);
    let failed: Vec<&Value> = sick["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["ok"] == false)
        .collect();
    let names: Vec<&str> = failed.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "Open Octopus bookyear for the start date (2025-06-01)",
            "Sales journal for invoices (V4)"
        ],
        "{sick:#}"
    );
    assert!(failed[0]["fix"].as_str().unwrap().contains("Create the bookyear"));
    assert!(failed[1]["fix"].as_str().unwrap().contains("sales journal"));

    world.octopus.add_bookyear(DOSSIER, 2, 2025);
    world.octopus.add_sales_journal(DOSSIER, 1, "V4");
    let healthy = run(&world, json!({"action": "doctor", "connection": "bakkerij"}))
        .await
        .unwrap();
    assert_eq!(healthy["ok"], true, "{healthy:#}");
}

#[tokio::test]
async fn webhooks_are_registered_for_the_receiver_url_with_the_connection_secret() {
    let world = PushWorld::start().await;
    world.focus.state().webhooks.clear();
    let receiver = "https://abc.lambda-url.eu-west-1.on.aws/";
    run(
        &world,
        json!({"action": "register-webhooks", "connection": "bakkerij", "receiver_url": receiver}),
    )
    .await
    .unwrap();
    let hooks = world.focus.state().webhooks.clone();
    assert_eq!(hooks.len(), 1);
    assert_eq!(
        hooks[0].0,
        format!(
            "https://abc.lambda-url.eu-west-1.on.aws/hooks/bakkerij/{}",
            focus_octopus_tests::push_world::WEBHOOK_SECRET
        )
    );
    assert_eq!(
        hooks[0].1.len(),
        focus_octopus::focus::EventType::RELEVANT.len(),
        "{:?}",
        hooks[0].1
    );
    assert!(hooks[0].1.iter().any(|t| t == "invoice.peppolSubmissionFailed"));
    run(
        &world,
        json!({"action": "unregister-webhooks", "connection": "bakkerij", "receiver_url": receiver}),
    )
    .await
    .unwrap();
    assert!(world.focus.state().webhooks.is_empty());
}

#[tokio::test]
async fn departments_lists_the_focus_departments_to_choose_from_when_connecting() {
    let world = PushWorld::start().await;
    let departments = run(&world, json!({"action": "focus-departments", "connection": "bakkerij"}))
        .await
        .unwrap();
    assert_eq!(departments.as_array().unwrap().len(), 1);
    assert_eq!(departments[0]["id"], focus_octopus_tests::focus_sim::DEPARTMENT);
    assert_eq!(departments[0]["name"], "Bakkerij Peeters BV");
}

#[tokio::test]
async fn the_oauth_callback_refuses_a_wrong_state_and_stores_the_pair_for_a_good_one() {
    let world = PushWorld::start().await;
    let redirect = format!("{}/oauth/callback", world.function_url());
    let link = run(
        &world,
        json!({"action": "connect-focus", "connection": "bakkerij", "redirect_uri": redirect}),
    )
    .await
    .unwrap();
    let url = reqwest::Url::parse(link["url"].as_str().unwrap()).unwrap();
    let state = url.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    assert!(state.starts_with("bakkerij."));
    let secret_before = secret(&world).await;
    let code = world.focus.authorization_code(&redirect);
    let get = |state: String, code: String| {
        let redirect = redirect.clone();
        async move {
            let r = reqwest::Client::new()
                .get(redirect)
                .query(&[("code", code.as_str()), ("state", state.as_str())])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };

    let (status, page) = get(format!("{state}0"), code.clone()).await;
    assert_eq!(status, 400, "{page}");
    assert_eq!(secret(&world).await, secret_before, "a wrong state stores nothing");
    let (status, page) = get("other.0123abcd".into(), code.clone()).await;
    assert_eq!(status, 400, "{page}");

    let (status, page) = get(state.clone(), code.clone()).await;
    assert_eq!(status, 200, "{page}");
    let stored = secret(&world).await;
    assert_ne!(stored["refresh_token"], secret_before["refresh_token"]);
    assert!(
        world
            .focus
            .state()
            .access_tokens
            .contains_key(stored["access_token"].as_str().unwrap())
    );

    let (status, _) = get(state, code).await;
    assert_eq!(status, 400, "a state works once");
}

/// `connect-focus` and the approval, as a user does them (as `account` when another Focus account approves).
async fn approve(world: &PushWorld, account: Option<&str>, switch_account: bool) -> (u16, String) {
    let redirect = format!("{}/oauth/callback", world.function_url());
    let link = run(
        world,
        json!({"action": "connect-focus", "connection": "bakkerij", "redirect_uri": redirect,
               "switch_account": switch_account}),
    )
    .await
    .unwrap();
    let url = reqwest::Url::parse(link["url"].as_str().unwrap()).unwrap();
    let state = url.query_pairs().find(|(k, _)| k == "state").unwrap().1.into_owned();
    let code = match account {
        Some(account) => world.focus.authorization_code_as(&redirect, account),
        None => world.focus.authorization_code(&redirect),
    };
    let r = reqwest::Client::new()
        .get(&redirect)
        .query(&[("code", code.as_str()), ("state", state.as_str())])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The source of the books must not change unnoticed: a bookkeeper logged in to another Focus account (another
/// client's) who approves the integration would otherwise point this dossier at that account's invoices.
#[tokio::test]
async fn an_approval_by_another_focus_account_is_refused_unless_the_switch_was_asked_for() {
    let world = PushWorld::start().await;
    let (status, page) = approve(&world, None, false).await;
    assert_eq!(status, 200, "{page}");
    let first = secret(&world).await;
    let account = world.focus.state().account_id.clone();
    assert_eq!(
        first["account_id"],
        account.as_str(),
        "the approving account is recorded"
    );

    let (status, page) = approve(&world, Some("5d0a7c1e-other-account"), false).await;

    assert_eq!(status, 409, "{page}");
    for part in [
        "FOCUS_ACCOUNT_CHANGED",
        "5d0a7c1e-other-account",
        account.as_str(),
        "--switch-account",
    ] {
        assert!(page.contains(part), "{part}: {page}");
    }
    assert_eq!(secret(&world).await, first, "nothing was stored");

    let (status, page) = approve(&world, Some("5d0a7c1e-other-account"), true).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(secret(&world).await["account_id"], "5d0a7c1e-other-account");
}

async fn secret(world: &PushWorld) -> Value {
    let out = world
        .aws
        .secrets
        .get_secret_value()
        .secret_id(format!("{}/bakkerij/focus-oauth", world.aws.table_name))
        .version_stage("AWSCURRENT")
        .send()
        .await
        .unwrap();
    serde_json::from_str(out.secret_string().unwrap()).unwrap()
}

#[tokio::test]
async fn import_relations_brings_fifty_octopus_customers_into_an_empty_focus_once() {
    let world = PushWorld::start().await;
    for i in 0..50 {
        world.octopus.add_relation(
            DOSSIER,
            json!({ "name": format!("Klant {i:02} BV"), "vatNr": format!("BE0400.000.{i:03}"), "country": "BE",
                    "city": "Gent", "streetAndNr": "Kerkstraat 1", "postalCode": "9000", "email": format!("k{i}@example.be") }),
        );
    }
    let dry = run(
        &world,
        json!({"action": "import-relations", "connection": "bakkerij", "dry_run": true}),
    )
    .await
    .unwrap();
    assert_eq!(dry["created"], 50);
    assert!(world.focus.state().companies.is_empty(), "a dry run creates nothing");

    let first = run(&world, json!({"action": "import-relations", "connection": "bakkerij"}))
        .await
        .unwrap();
    let second = run(&world, json!({"action": "import-relations", "connection": "bakkerij"}))
        .await
        .unwrap();

    assert_eq!(first["created"], 50);
    assert_eq!(
        (second["created"].clone(), second["already_linked"].clone()),
        (json!(0), json!(50))
    );
    let companies = world.focus.state().companies.clone();
    assert_eq!(companies.len(), 50);
    assert!(companies.iter().all(|c| c["tags"] == json!(["Octopus Import"])));
    assert_eq!(companies[7]["vat_number"], "BE0400.000.007");
}

/// Both sides with 200 customers, 150 of them shared: 145 recognisable (VAT numbers written differently, names with
/// legal forms, accents and case), 5 whose name fits two Octopus relations.
async fn two_customer_lists(world: &PushWorld) -> Vec<String> {
    let mut shared = Vec::new();
    for i in 0..145u32 {
        let digits = focus_octopus_tests::fixtures::belgian_enterprise_number(i);
        let (focus_vat, octopus_vat) = match i % 3 {
            0 => (
                Some(format!("BE {} {} {}", &digits[..4], &digits[4..7], &digits[7..])),
                Some(format!("BE{}.{}.{}", &digits[..4], &digits[4..7], &digits[7..])),
            ),
            1 => (None, None),
            _ => (
                None,
                Some(format!("BE{}.{}.{}", &digits[..4], &digits[4..7], &digits[7..])),
            ),
        };
        let focus_name = format!("Café Élégance {i:03} SRL");
        let octopus_name = format!("CAFE ELEGANCE {i:03}");
        shared.push(world.focus.add_company(&focus_name, focus_vat.as_deref(), "BE"));
        world
            .octopus
            .add_relation(DOSSIER, json!({ "name": octopus_name, "vatNr": octopus_vat }));
    }
    for k in 0..5 {
        world.focus.add_company(&format!("Dubbel {k} BV"), None, "BE");
        world
            .octopus
            .add_relation(DOSSIER, json!({ "name": format!("Dubbel {k} NV") }));
        world
            .octopus
            .add_relation(DOSSIER, json!({ "name": format!("DUBBEL {k}") }));
    }
    for k in 0..50 {
        world.focus.add_company(&format!("Enkel Focus {k}"), None, "NL");
    }
    for k in 0..45 {
        world
            .octopus
            .add_relation(DOSSIER, json!({ "name": format!("Enkel Octopus {k}") }));
    }
    shared
}

#[tokio::test]
async fn match_customers_reports_exact_counts_links_145_and_the_next_sync_creates_no_relation() {
    let world = PushWorld::start().await;
    let shared = two_customer_lists(&world).await;
    assert_eq!(world.octopus.relations(DOSSIER).len(), 200);

    let dry = run(&world, json!({"action": "match-customers", "connection": "bakkerij"}))
        .await
        .unwrap();
    assert_eq!(
        (
            dry["linked"].clone(),
            dry["would_be_created_on_next_sync"].clone(),
            dry["ambiguous"].clone()
        ),
        (json!(145), json!(50), json!(5)),
        "{dry:#}"
    );
    assert_eq!(dry["ambiguous_pairs"][0]["octopus"].as_array().unwrap().len(), 2);
    assert!(
        world
            .deployment
            .store
            .customers()
            .get(
                &world.conn,
                &focus_octopus::domain::CustomerRef::new(
                    focus_octopus::domain::FocusCustomerType::Company,
                    shared[0].clone()
                )
                .unwrap()
            )
            .await
            .unwrap()
            .is_none(),
        "a dry run stores nothing"
    );

    let applied = run(
        &world,
        json!({"action": "match-customers", "connection": "bakkerij", "apply": true}),
    )
    .await
    .unwrap();
    assert_eq!(applied["linked"], 145);
    let again = run(&world, json!({"action": "match-customers", "connection": "bakkerij"}))
        .await
        .unwrap();
    assert_eq!(
        (again["linked"].clone(), again["already_linked"].clone()),
        (json!(0), json!(145))
    );

    let march = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    for company in shared.iter().step_by(7) {
        world
            .focus
            .invoice(
                ("company", company),
                vec![line(dec!(1), dec!(10), rates::VAT_21)],
                march,
            )
            .await;
    }
    world.pump(20).await;
    assert_eq!(world.octopus.bookings(DOSSIER).len(), 21);
    assert_eq!(
        world
            .octopus
            .count(focus_octopus::octopus::Operation::InsertUpdateRelation),
        0
    );
    assert_eq!(world.octopus.relations(DOSSIER).len(), 200, "no relation created twice");
    assert!(
        world.focus.state().companies.len() == 200,
        "nothing created in Focus either"
    );
}

#[tokio::test]
async fn a_login_with_three_dossiers_connects_the_chosen_one_and_lists_only_sales_journals() {
    let world = PushWorld::start().await;
    world.octopus.add_dossier(1003, "Peeters Catering BV", "BE0555.666.775");

    let dossiers = run(&world, json!({"action": "octopus-dossiers", "connection": "bakkerij"}))
        .await
        .unwrap();
    let ids: Vec<i64> = dossiers
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [1001, 1002, 1003]);
    let journals = run(
        &world,
        json!({"action": "sales-journals", "connection": "bakkerij", "dossier": 1003, "date": "2026-03-01"}),
    )
    .await
    .unwrap();
    let keys: Vec<&str> = journals
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        ["V1", "V2"],
        "no purchase, financial, diverse or invoice-module journal"
    );

    let refused = run(
        &world,
        json!({"action": "connect", "connection": "bakkerij", "focus_department_id": focus_octopus_tests::focus_sim::DEPARTMENT,
               "dossier": 1003, "invoice_journal": "V3", "credit_note_journal": "V2", "start_date": "2026-01-01"}),
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), "OCTOPUS_JOURNAL_NOT_SALES");
    run(
        &world,
        json!({"action": "connect", "connection": "bakkerij", "focus_department_id": focus_octopus_tests::focus_sim::DEPARTMENT,
               "dossier": 1003, "invoice_journal": "V1", "credit_note_journal": "V2", "start_date": "2026-01-01"}),
    )
    .await
    .unwrap();

    let company = world
        .focus
        .add_company("Brouwerij De Kroon BV", Some("BE0477472701"), "BE");
    world
        .focus
        .invoice(
            ("company", &company),
            vec![line(dec!(1), dec!(10), rates::VAT_21)],
            NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
        )
        .await;
    world.pump(10).await;
    assert_eq!(world.octopus.bookings(1003).len(), 1, "booked in the chosen dossier");
    assert!(world.octopus.bookings(DOSSIER).is_empty());
    assert!(
        world.octopus.received().iter().all(|r| r.status != 401),
        "the old dossier's token was forgotten, not tried"
    );
}

#[tokio::test]
async fn map_suggests_codes_by_rate_never_for_zero_percent_and_stores_the_choice() {
    let mut config = push_config();
    config.vat_codes.clear();
    let world = PushWorld::start_with(config).await;

    let suggestions = run(&world, json!({"action": "map-suggestions", "connection": "bakkerij"}))
        .await
        .unwrap();
    let by_description: std::collections::BTreeMap<String, Value> = suggestions
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["description"].as_str().unwrap().to_owned(), s.clone()))
        .collect();
    assert_eq!(by_description["21%"]["suggested"], "21");
    assert_eq!(by_description["6%"]["suggested"], "06");
    for zero in [
        "0% export",
        "0% intracommunautair",
        "0% medecontractant",
        "0% vrijgesteld",
    ] {
        assert_eq!(by_description[zero]["suggested"], Value::Null, "{zero} is a choice");
        assert_eq!(
            by_description[zero]["choices"].as_array().unwrap().len(),
            4,
            "00, 45, 46, 47"
        );
    }

    let wrong = run(
        &world,
        json!({"action": "map", "connection": "bakkerij", "tax_rate": rates::VAT_0_EXPORT, "vat_code": "99"}),
    )
    .await
    .unwrap_err();
    assert_eq!(wrong.code(), "OCTOPUS_VAT_CODE_MISSING");
    let not_revenue = run(
        &world,
        json!({"action": "map", "connection": "bakkerij", "default_ledger": "604000"}),
    )
    .await
    .unwrap_err();
    assert_eq!(not_revenue.code(), "LEDGER_INVALID");
    let stored = run(
        &world,
        json!({"action": "map", "connection": "bakkerij", "tax_rate": rates::VAT_0_EXPORT, "vat_code": "47", "ledger": "704000"}),
    )
    .await
    .unwrap();
    assert_eq!(stored["vat_codes"][rates::VAT_0_EXPORT], "47");
    assert_eq!(stored["ledger_by_tax_rate"][rates::VAT_0_EXPORT], "704000");
}

/// Following the advice of another department's failed invoice would have mapped that department's rate here and
/// booked another company's invoices in this dossier.
#[tokio::test]
async fn map_refuses_a_tax_rate_of_another_department_and_names_map_suggestions() {
    let world = PushWorld::start().await;
    let other = world.focus.add_department("Peeters Catering BV", "BE0899623035");
    world
        .focus
        .add_tax_rate("7e2b3c4d-0000-4000-8000-00000000c021", "21%", dec!(0.21));
    world.focus.state().tax_rates.last_mut().unwrap().department = other;

    let refused = run(
        &world,
        json!({"action": "map", "connection": "bakkerij", "tax_rate": "7e2b3c4d-0000-4000-8000-00000000c021", "vat_code": "21"}),
    )
    .await
    .unwrap_err();

    assert_eq!(refused.code(), "TAX_RATE_NOT_IN_DEPARTMENT");
    assert!(
        refused.to_string().contains("focus-octopus map-suggestions"),
        "{refused}"
    );
    let config = world
        .deployment
        .store
        .connections()
        .get(&world.conn)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !config
            .value
            .vat_codes
            .contains_key("7e2b3c4d-0000-4000-8000-00000000c021"),
        "nothing changed"
    );
}

#[tokio::test]
async fn map_says_when_a_ledger_does_not_exist_in_the_dossier_and_when_it_is_no_revenue_account() {
    let world = PushWorld::start().await;
    let missing = run(
        &world,
        json!({"action": "map", "connection": "bakkerij", "default_ledger": "709999"}),
    )
    .await
    .unwrap_err();
    assert_eq!(missing.code(), "OCTOPUS_ACCOUNT_MISSING");
    assert!(missing.to_string().contains("709999 does not exist"), "{missing}");
    let malformed = run(
        &world,
        json!({"action": "map", "connection": "bakkerij", "default_ledger": "70000"}),
    )
    .await
    .unwrap_err();
    assert_eq!(malformed.code(), "LEDGER_INVALID");
}

/// Every January, until the accountant opens the new bookyear, no bookyear covers today: a real revenue account
/// was refused as "not a 70… revenue account".
#[tokio::test]
async fn map_accepts_a_revenue_account_of_the_latest_bookyear_when_none_covers_today() {
    let world = PushWorld::start().await;
    world.clock.set(
        chrono::DateTime::parse_from_rfc3339("2027-01-05T09:00:00+01:00")
            .unwrap()
            .to_utc(),
    );
    let stored = run(
        &world,
        json!({"action": "map", "connection": "bakkerij", "default_ledger": "700000"}),
    )
    .await
    .unwrap();
    assert_eq!(stored["default_ledger_account"], "700000");
}

/// The webhook check passed after the secret was rotated while Focus still called the old URL (and got 404): it
/// looked only at the connection's path.
#[tokio::test]
async fn doctor_fails_the_webhook_check_when_focus_calls_a_url_with_an_old_secret() {
    let world = PushWorld::start().await;
    let webhooks = |doctor: &Value| {
        doctor["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "Focus webhooks registered")
            .cloned()
            .unwrap()
    };
    let before = run(&world, json!({"action": "doctor", "connection": "bakkerij"}))
        .await
        .unwrap();
    assert_eq!(webhooks(&before)["ok"], true, "{before:#}");

    world
        .aws
        .secrets
        .put_secret_value()
        .secret_id(format!("{}/bakkerij/webhook", world.aws.table_name))
        .secret_string("a-new-secret-the-bookkeeper-rotated-0123456789")
        .send()
        .await
        .unwrap();
    let after = run(&world, json!({"action": "doctor", "connection": "bakkerij"}))
        .await
        .unwrap();

    let check = webhooks(&after);
    assert_eq!(check["ok"], false, "{after:#}");
    assert!(
        check["detail"].as_str().unwrap().contains("old webhook secret"),
        "{check}"
    );
    assert!(check["fix"].as_str().unwrap().contains("register-webhooks"), "{check}");
    let text = after.to_string();
    assert!(
        !text.contains(focus_octopus_tests::push_world::WEBHOOK_SECRET)
            && !text.contains("a-new-secret-the-bookkeeper-rotated"),
        "no secret in the diagnosis"
    );
}

// ------------------------------------------------------------------ the operator's path: refusals that name the fix

#[tokio::test]
async fn connect_refuses_a_department_the_focus_account_does_not_have_and_lists_its_departments() {
    let world = PushWorld::start().await;
    let before = world
        .deployment
        .store
        .connections()
        .get(&world.conn)
        .await
        .unwrap()
        .unwrap();
    let refused = run(
        &world,
        json!({"action": "connect", "connection": "bakkerij", "focus_department_id": "not-a-department",
               "dossier": DOSSIER, "invoice_journal": "V1", "credit_note_journal": "V2", "start_date": "2026-03-01"}),
    )
    .await
    .unwrap_err();

    assert_eq!(refused.code(), "FOCUS_DEPARTMENT_UNKNOWN");
    let message = refused.to_string();
    assert!(
        message.contains("Bakkerij Peeters BV") && message.contains(focus_octopus_tests::focus_sim::DEPARTMENT),
        "{message}"
    );
    assert!(message.contains("focus-octopus departments"), "{message}");
    let after = world
        .deployment
        .store
        .connections()
        .get(&world.conn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.version, before.version, "nothing was changed");
}

#[tokio::test]
async fn map_without_arguments_says_what_it_takes_and_unmap_removes_a_mapping() {
    let world = PushWorld::start().await;
    for command in [
        json!({"action": "map", "connection": "bakkerij"}),
        json!({"action": "map", "connection": "bakkerij", "tax_rate": rates::VAT_21}),
        json!({"action": "unmap", "connection": "bakkerij"}),
    ] {
        let refused = run(&world, command.clone()).await.unwrap_err();
        assert_eq!(refused.code(), "ADMIN_BAD_COMMAND", "{command}");
        assert!(refused.to_string().contains("--tax-rate"), "{refused}");
        assert!(refused.to_string().contains("map-suggestions"), "{refused}");
    }

    let mapped = run(
        &world,
        json!({"action": "map", "connection": "bakkerij", "tax_rate": rates::VAT_21, "vat_code": "12"}),
    )
    .await
    .unwrap();
    assert_eq!(
        mapped["changed"],
        json!([format!("tax rate {}: VAT code 21 → 12", rates::VAT_21)])
    );
    let removed = run(
        &world,
        json!({"action": "unmap", "connection": "bakkerij", "tax_rate": rates::VAT_21}),
    )
    .await
    .unwrap();
    assert_eq!(
        removed["changed"],
        json!([format!("tax rate {}: VAT code 12 removed", rates::VAT_21)])
    );
    assert!(removed["vat_codes"].get(rates::VAT_21).is_none());
    let again = run(
        &world,
        json!({"action": "unmap", "connection": "bakkerij", "tax_rate": rates::VAT_21}),
    )
    .await
    .unwrap_err();
    assert_eq!(again.code(), "NOT_FOUND");
}

#[tokio::test]
async fn resync_of_a_malformed_id_or_of_a_document_focus_does_not_know_is_refused() {
    let world = PushWorld::start().await;
    let malformed = run(
        &world,
        json!({"action": "resync", "connection": "bakkerij", "documents": ["invoice:12/34"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(malformed.code(), "FOCUS_ID_INVALID");
    assert!(malformed.to_string().contains("focus-octopus status"), "{malformed}");

    let unknown = run(
        &world,
        json!({"action": "resync", "connection": "bakkerij",
               "documents": ["invoice:0b6e2c38-0000-4000-8000-000000000000"]}),
    )
    .await
    .unwrap_err();
    assert_eq!(unknown.code(), "NOT_FOUND");
    assert_eq!(world.queued().await, 0, "nothing was enqueued");

    let neither = run(&world, json!({"action": "resync", "connection": "bakkerij"}))
        .await
        .unwrap_err();
    assert!(
        neither.to_string().contains("--failed, --since YYYY-MM-DD"),
        "{neither}"
    );
}

#[tokio::test]
async fn urls_must_be_absolute_https_and_unregistering_an_address_focus_does_not_have_says_so() {
    let world = PushWorld::start().await;
    for (action, field, url) in [
        (
            "register-webhooks",
            "receiver_url",
            "abc123.lambda-url.eu-west-1.on.aws",
        ),
        (
            "register-webhooks",
            "receiver_url",
            "http://abc123.lambda-url.eu-west-1.on.aws",
        ),
        ("connect-focus", "redirect_uri", "ftp://example.com/oauth/callback"),
        ("doctor", "receiver_url", "/hooks"),
    ] {
        let refused = run(&world, json!({"action": action, "connection": "bakkerij", field: url}))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), "URL_INVALID", "{action} {url}");
        assert!(refused.to_string().contains(url), "{refused}");
    }
    let no_callback = run(
        &world,
        json!({"action": "connect-focus", "connection": "bakkerij", "redirect_uri": "https://abc.on.aws/"}),
    )
    .await
    .unwrap_err();
    assert!(no_callback.to_string().contains("/oauth/callback"), "{no_callback}");

    let elsewhere = run(
        &world,
        json!({"action": "unregister-webhooks", "connection": "bakkerij", "receiver_url": "https://elsewhere.example"}),
    )
    .await
    .unwrap_err();
    assert_eq!(elsewhere.code(), "NOT_FOUND");
    assert!(elsewhere.to_string().contains("nothing was removed"), "{elsewhere}");
}

/// The stack creates the Octopus secret with empty fields; a login with them would count as a failed login
/// against the Octopus user (and lock it after a few).
#[tokio::test]
async fn an_unfilled_octopus_secret_is_caught_before_any_login_is_sent() {
    let world = PushWorld::start().await;
    world
        .aws
        .secrets
        .put_secret_value()
        .secret_id(format!("{}/bakkerij/octopus", world.aws.table_name))
        .secret_string(r#"{"user":"","password":"","software_house_uuid":""}"#)
        .send()
        .await
        .unwrap();

    let refused = run(&world, json!({"action": "octopus-dossiers", "connection": "bakkerij"}))
        .await
        .unwrap_err();

    assert_eq!(refused.code(), "OCTOPUS_SECRET_UNFILLED");
    let message = refused.to_string();
    for part in [
        "user, password, software_house_uuid empty",
        "aws secretsmanager put-secret-value",
        "No login",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    assert_eq!(
        world.octopus.count(focus_octopus::octopus::Operation::AuthenticateUser),
        0
    );
}

#[tokio::test]
async fn status_names_documents_as_the_commands_take_them() {
    let world = PushWorld::start().await;
    let company = world
        .focus
        .add_company("Brouwerij De Kroon BV", Some("BE0477472701"), "BE");
    let id = world.focus.draft_invoice(
        ("company", &company),
        vec![line(dec!(-1), dec!(10), rates::VAT_21)],
        None,
    );
    let number = world
        .focus
        .book_invoice(&id, NaiveDate::from_ymd_opt(2026, 3, 2).unwrap())
        .await;
    world.pump(10).await;

    let status = run(&world, json!({"action": "status", "connection": "bakkerij"}))
        .await
        .unwrap();

    assert_eq!(status["attention"][0]["document"], format!("invoice:{id}"));
    assert_eq!(status["attention"][0]["number"], number, "with Focus's number");
    assert_eq!(status["attention"][0]["code"], "DOCUMENT_NEGATIVE_TOTAL");
}

/// The stack creates the Focus secret with an empty client id; Focus answers such a refresh with `invalid_client`,
/// which read as "Focus no longer accepts the authorisation" and sent people to approve again, in vain.
#[tokio::test]
async fn an_unfilled_focus_secret_says_to_fill_in_the_client_id_before_any_token_request() {
    let world = PushWorld::start().await;
    world
        .aws
        .secrets
        .put_secret_value()
        .secret_id(format!("{}/bakkerij/focus-oauth", world.aws.table_name))
        .secret_string(r#"{"client_id":"","client_secret":"","access_token":"","refresh_token":""}"#)
        .send()
        .await
        .unwrap();
    let fresh = world.another_instance();

    let refused = admin::run(
        &fresh,
        admin::parse(json!({"action": "focus-departments", "connection": "bakkerij"})).unwrap(),
    )
    .await
    .unwrap_err();

    assert_eq!(refused.code(), "FOCUS_SECRET_INVALID");
    let message = refused.to_string();
    assert!(
        message.contains("client_id") && message.contains("Deploy steps 3–4"),
        "{message}"
    );
    assert!(message.contains("connect-focus"), "{message}");
    assert_eq!(world.focus.refreshes(), (0, 0), "no token request was sent");
}

#[tokio::test]
async fn doctor_checks_the_focus_authorisation_and_the_department_first() {
    let world = PushWorld::start().await;
    let row = |doctor: &Value| {
        doctor["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "Focus authorisation and department")
            .cloned()
            .expect("the row")
    };
    let doctor = run(&world, json!({"action": "doctor", "connection": "bakkerij"}))
        .await
        .unwrap();
    assert_eq!(row(&doctor)["ok"], true, "{doctor}");
    assert_eq!(row(&doctor)["detail"], "Bakkerij Peeters BV");

    world
        .change_settings_now(|c| c.focus_department_id = "5f0c1d2e-gone".into())
        .await;
    let doctor = run(&world, json!({"action": "doctor", "connection": "bakkerij"}))
        .await
        .unwrap();

    let check = row(&doctor);
    assert_eq!(check["ok"], false);
    assert!(check["detail"].as_str().unwrap().contains("5f0c1d2e-gone"), "{check}");
    assert!(
        check["fix"].as_str().unwrap().contains("focus-octopus departments"),
        "{check}"
    );
    assert_eq!(doctor["ok"], false);
}

/// The doctor's first rows are the three secrets: present, of the shape the sync reads, each failure with the
/// command that fixes it; an unfilled Octopus login stops the partner checks before any login is sent.
#[tokio::test]
async fn doctor_checks_each_secret_exists_and_has_its_shape_before_any_partner_is_asked() {
    let world = PushWorld::start().await;
    let secret = |kind: &str| format!("{}/bakkerij/{kind}", world.aws.table_name);
    let rows = |doctor: &Value| -> Vec<Value> {
        doctor["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["name"].as_str().unwrap().starts_with("Secret "))
            .cloned()
            .collect()
    };
    let doctor = async |world: &PushWorld| {
        run(world, json!({"action": "doctor", "connection": "bakkerij"}))
            .await
            .unwrap()
    };

    let healthy = doctor(&world).await;
    let secrets = rows(&healthy);
    assert_eq!(secrets.len(), 3, "{healthy}");
    assert!(secrets.iter().all(|r| r["ok"] == true), "{secrets:?}");
    assert_eq!(
        healthy["checks"][0]["name"],
        format!("Secret {} (Octopus login)", secret("octopus")),
        "the secrets come first"
    );

    let put = |kind: &'static str, text: &'static str| {
        let id = secret(kind);
        let secrets = world.aws.secrets.clone();
        async move {
            secrets
                .put_secret_value()
                .secret_id(id)
                .secret_string(text)
                .send()
                .await
                .unwrap();
        }
    };
    put("octopus", r#"{"user":"","password":"","software_house_uuid":""}"#).await;
    put("focus-oauth", r#"{"client_id":"app","client_secret":"s3cr3t"}"#).await;
    put("webhook", "short secret!").await;
    let sent_before = world.octopus.received().len();
    let sick = doctor(&world).await;

    assert_eq!(sick["ok"], false);
    let secrets = rows(&sick);
    let detail = |i: usize| secrets[i]["detail"].as_str().unwrap().to_owned();
    let fix = |i: usize| secrets[i]["fix"].as_str().unwrap().to_owned();
    assert!(detail(0).starts_with("OCTOPUS_SECRET_UNFILLED"), "{}", detail(0));
    assert!(
        detail(0).contains("user, password, software_house_uuid empty"),
        "{}",
        detail(0)
    );
    assert!(
        fix(0).contains(&format!("put-secret-value --secret-id {}", secret("octopus"))),
        "{}",
        fix(0)
    );
    assert!(detail(1).starts_with("FOCUS_NOT_AUTHORISED"), "{}", detail(1));
    assert!(fix(1).contains("focus-octopus connect-focus"), "{}", fix(1));
    assert!(detail(2).starts_with("WEBHOOK_SECRET_WEAK"), "{}", detail(2));
    assert!(detail(2).contains("13 characters, some not URL-safe"), "{}", detail(2));
    assert!(fix(2).contains("register-webhooks"), "{}", fix(2));
    let last = sick["checks"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["detail"], "not run: they need the Octopus login", "{sick}");
    assert_eq!(
        world.octopus.received().len(),
        sent_before,
        "no login, nothing else sent to Octopus"
    );

    put("focus-oauth", r#"{"client_id":"","client_secret":""}"#).await;
    world
        .aws
        .secrets
        .delete_secret()
        .secret_id(secret("webhook"))
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    let missing = doctor(&world).await;
    let secrets = rows(&missing);
    assert!(
        secrets[1]["detail"]
            .as_str()
            .unwrap()
            .starts_with("FOCUS_CLIENT_MISSING"),
        "{secrets:?}"
    );
    assert_eq!(secrets[2]["detail"], "it does not exist");
    assert!(
        secrets[2]["fix"].as_str().unwrap().contains(&format!(
            "aws secretsmanager create-secret --name {}",
            secret("webhook")
        )),
        "{secrets:?}"
    );
}
