//! The Octopus client against the simulated Octopus, with its tokens, budgets and cache in DynamoDB on moto.

use chrono::Duration;
use focus_octopus::domain::{BookyearId, ErrorClass, Failure};
use focus_octopus::octopus::{
    DailyLimits, OctopusError, OpenItemsQuery, Operation, Relation, RelationIdentification, RelationSearch,
    RelationUpsert,
};
use focus_octopus::store::ReferenceKind;
use focus_octopus_tests::fixtures::{OctopusWorld, sales_booking};
use focus_octopus_tests::octopus_sim::{DOSSIER, OTHER_DOSSIER, SimBookingKey};
use futures::future::join_all;
use rust_decimal_macros::dec;

const BOOKYEAR: BookyearId = BookyearId(1);

fn customer(external_id: i32, name: &str) -> Relation {
    Relation {
        relation_identification_service_data: RelationIdentification {
            relation_key: None,
            external_relation_id: Some(external_id),
        },
        name: Some(name.into()),
        client: Some(true),
        country: Some("BE".into()),
        vat_nr: Some("BE0477.472.701".into()),
        vat_type: Some(1),
        currency_code: "EUR".into(),
        ..Default::default()
    }
}

async fn new_relation(client: &focus_octopus::octopus::OctopusClient, external_id: i32) -> i32 {
    match client
        .upsert_relation(&customer(external_id, "Brouwerij De Kroon BV"))
        .await
        .unwrap()
    {
        RelationUpsert::Created(r) => r.relation_identification_service_data.relation_key.unwrap().id.0,
        RelationUpsert::Updated => panic!("expected a new relation"),
    }
}

#[tokio::test]
async fn a_cold_client_logs_in_connects_to_its_dossier_and_reads() {
    let world = OctopusWorld::start().await;
    let bookyears = world.client().bookyears().await.unwrap();

    assert_eq!(bookyears.len(), 1);
    assert_eq!(bookyears[0].id(), BOOKYEAR);
    assert_eq!(bookyears[0].periods.len(), 12);
    let calls: Vec<_> = world.sim.received().iter().map(|r| (r.operation, r.status)).collect();
    assert_eq!(
        calls,
        [
            (Operation::AuthenticateUser, 200),
            (Operation::ConnectDossier, 200),
            (Operation::GetBookyears, 200)
        ]
    );
}

#[tokio::test]
async fn the_login_can_list_the_dossiers_it_may_open() {
    let world = OctopusWorld::start().await;
    let dossiers = world.client().dossiers().await.unwrap();
    let ids: Vec<_> = dossiers.iter().map(|d| d.dossier_key.id).collect();
    assert_eq!(ids, [DOSSIER, OTHER_DOSSIER]);
    assert_eq!(dossiers[0].vat_nr.as_deref(), Some("BE0412.345.614"));
}

#[tokio::test]
async fn a_token_past_its_ten_minutes_on_the_simulated_clock_means_one_new_login() {
    let world = OctopusWorld::start().await;
    let client = world.client();
    client
        .search_relations(&RelationSearch::Name("x".into()))
        .await
        .unwrap();
    world.clock.advance(Duration::minutes(5));
    client
        .search_relations(&RelationSearch::Name("x".into()))
        .await
        .unwrap();
    assert_eq!(
        world.sim.count(Operation::ConnectDossier),
        1,
        "a 5-minute-old token is reused"
    );

    world.clock.advance(Duration::minutes(6));
    client
        .search_relations(&RelationSearch::Name("x".into()))
        .await
        .unwrap();

    assert_eq!(world.sim.count(Operation::AuthenticateUser), 2);
    assert_eq!(world.sim.count(Operation::ConnectDossier), 2);
    assert!(
        world.sim.received().iter().all(|r| r.status != 401),
        "no call was sent with an expired token"
    );
}

#[tokio::test]
async fn a_401_on_a_token_still_believed_valid_is_followed_by_one_new_login_and_the_call_again() {
    let world = OctopusWorld::start().await;
    let client = world.client();
    client.vat_codes().await.unwrap();
    world.sim.revoke_tokens();

    let found = client
        .search_relations(&RelationSearch::ExternalRelationId(7))
        .await
        .unwrap();

    assert!(found.is_empty());
    let statuses: Vec<_> = world
        .sim
        .received()
        .iter()
        .filter(|r| r.operation == Operation::SearchRelations)
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [401, 404]);
    assert_eq!(world.sim.count(Operation::ConnectDossier), 2);
}

#[tokio::test]
async fn eight_concurrent_cold_clients_share_one_dossier_connect() {
    let world = OctopusWorld::start().await;
    let clients: Vec<_> = (0..8).map(|_| world.client()).collect();
    let search = RelationSearch::VatNr("BE0477.472.701".into());

    let results = join_all(clients.iter().map(|c| c.search_relations(&search))).await;

    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(world.sim.count(Operation::AuthenticateUser), 1);
    assert_eq!(world.sim.count(Operation::ConnectDossier), 1);
    assert_eq!(world.sim.count(Operation::SearchRelations), 8);
}

#[tokio::test]
async fn wrong_credentials_are_typed_permanent_and_never_retried() {
    let world = OctopusWorld::start().await;
    let client = world.client_with(DOSSIER, DailyLimits::default(), "wrong password");

    let err = client.bookyears().await.unwrap_err();

    assert!(matches!(err, OctopusError::CredentialsRejected { .. }), "{err:?}");
    assert_eq!(err.code(), "OCTOPUS_CREDENTIALS_REJECTED");
    assert_eq!(err.class(), ErrorClass::Permanent);
    assert!(err.to_string().contains("Incrementing failed login attempt count"));
    assert!(
        !err.to_string().contains("wrong password"),
        "the password never appears"
    );
    assert_eq!(world.sim.count(Operation::AuthenticateUser), 1);
}

#[tokio::test]
async fn a_dossier_the_login_may_not_open_is_refused_by_name() {
    let world = OctopusWorld::start().await;
    let err = world
        .client_with(4242, DailyLimits::default(), focus_octopus_tests::octopus_sim::PASSWORD)
        .bookyears()
        .await
        .unwrap_err();
    assert!(
        matches!(err, OctopusError::DossierRefused { dossier: 4242, .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "OCTOPUS_DOSSIER_REFUSED");
    assert_eq!(err.class(), ErrorClass::Permanent);
}

#[tokio::test]
async fn a_locked_journal_is_a_transient_error_naming_the_journal() {
    let world = OctopusWorld::start().await;
    let client = world.client();
    let relation = new_relation(&client, 1).await;
    world.sim.lock_journal(DOSSIER, 1, "V1", true);

    let err = client
        .insert_booking(&sales_booking(1, relation, dec!(100)), &[])
        .await
        .unwrap_err();

    assert!(
        matches!(&err, OctopusError::JournalLocked { journal, .. } if journal == "V1"),
        "{err:?}"
    );
    assert_eq!(err.code(), "OCTOPUS_JOURNAL_LOCKED");
    assert!(err.is_transient());
    assert_eq!(world.sim.last_booked(DOSSIER, 1, "V1"), 0);
}

#[tokio::test]
async fn a_number_out_of_sequence_carries_the_last_number_octopus_states() {
    let world = OctopusWorld::start().await;
    let client = world.client();
    let relation = new_relation(&client, 1).await;
    client
        .insert_booking(&sales_booking(1, relation, dec!(100)), &[])
        .await
        .unwrap();
    client
        .insert_booking(&sales_booking(2, relation, dec!(100)), &[])
        .await
        .unwrap();

    let err = client
        .insert_booking(&sales_booking(7, relation, dec!(100)), &[])
        .await
        .unwrap_err();

    match &err {
        OctopusError::IllegalSequence {
            journal,
            attempted,
            last_booked,
            ..
        } => {
            assert_eq!((journal.as_str(), *attempted, *last_booked), ("V1", 7, Some(2)));
        }
        other => panic!("expected -13, got {other:?}"),
    }
    assert_eq!(err.code(), "OCTOPUS_ILLEGAL_SEQUENCE");
}

#[tokio::test]
async fn a_booking_whose_answer_was_lost_is_sent_again_and_octopus_states_it_went_in() {
    let world = OctopusWorld::start().await;
    let client = world.client();
    let relation = new_relation(&client, 1).await;
    world.sim.commit_then_drop(Operation::InsertBuySellBooking, 1);

    let err = client
        .insert_booking(&sales_booking(1, relation, dec!(100)), &[])
        .await
        .unwrap_err();

    // The resend met the committed booking: the caller confirms it as its own (push flow), nothing was doubled.
    assert!(
        matches!(
            err,
            OctopusError::IllegalSequence {
                attempted: 1,
                last_booked: Some(1),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(world.sim.bookings(DOSSIER).len(), 1);
}

#[tokio::test]
async fn a_balancing_whose_answer_was_lost_is_not_sent_again() {
    let world = OctopusWorld::start().await;
    let client = world.client();
    let relation = new_relation(&client, 1).await;
    client
        .insert_booking(&sales_booking(1, relation, dec!(100)), &[])
        .await
        .unwrap();
    let key = SimBookingKey {
        bookyear: 1,
        journal: "V1".into(),
        document_nr: 1,
    };
    world.sim.reconcile(
        DOSSIER,
        &key,
        dec!(10),
        chrono::NaiveDate::from_ymd_opt(2026, 3, 3).unwrap(),
    );
    world.sim.commit_then_drop(Operation::InsertBalancing, 1);
    let balancing = focus_octopus::octopus::Balancing {
        debet_key: focus_octopus::octopus::BalancingKey {
            bookyear_key: focus_octopus::octopus::BookyearKey { id: BOOKYEAR },
            journal_key: "V1".into(),
            document_sequence_nr: 1,
            line_sequence_nr: -1,
        },
        credit_key: focus_octopus::octopus::BalancingKey {
            bookyear_key: focus_octopus::octopus::BookyearKey { id: BOOKYEAR },
            journal_key: "F1".into(),
            document_sequence_nr: 1,
            line_sequence_nr: 1,
        },
        balance_amount: dec!(0.01),
    };
    world.sim.unreconcile(DOSSIER, &key);

    let err = client.insert_balancing(&balancing).await.unwrap_err();

    assert!(matches!(err, OctopusError::OutcomeUnknown { .. }), "{err:?}");
    assert!(err.is_transient());
    assert_eq!(world.sim.count(Operation::InsertBalancing), 1);
}

#[tokio::test]
async fn unavailable_answers_are_retried_with_back_off_then_typed_transient() {
    let world = OctopusWorld::start().await;
    let client = world.client();
    client.vat_codes().await.unwrap();
    world.sim.fail_next(Operation::SearchRelations, 2, 503);

    client.search_relations(&RelationSearch::RelationId(1)).await.unwrap();
    assert_eq!(
        world.sim.count(Operation::SearchRelations),
        3,
        "two 503s, then the answer"
    );

    world.sim.fail_next(Operation::SearchRelations, 3, 503);
    let err = client
        .search_relations(&RelationSearch::RelationId(1))
        .await
        .unwrap_err();
    assert!(matches!(err, OctopusError::Unavailable { .. }), "{err:?}");
    assert_eq!(err.code(), "OCTOPUS_UNAVAILABLE");
    assert!(err.is_transient());
}

#[tokio::test]
async fn a_malformed_request_answered_500_is_typed_permanent() {
    let world = OctopusWorld::start().await;
    world.sim.fail_next(Operation::GetBookyears, 3, 500);
    let err = world.client().bookyears().await.unwrap_err();
    assert!(matches!(err, OctopusError::InvalidData { .. }), "{err:?}");
    assert_eq!(err.class(), ErrorClass::Permanent);
}

#[tokio::test]
async fn a_business_refusal_keeps_octopus_code_message_and_technical_info() {
    let world = OctopusWorld::start().await;
    let client = world.client();
    let relation = new_relation(&client, 1).await;
    let mut booking = sales_booking(1, relation, dec!(100));
    booking.booking_lines[0].vat_code_key = "99".into();

    let err = client.insert_booking(&booking, &[]).await.unwrap_err();

    match &err {
        OctopusError::Rejected { status: 400, error, .. } => {
            assert_eq!(error.error_code, Some(-42));
            assert!(error.error_message.is_some() && error.technical_info.is_some());
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(err.code(), "OCTOPUS_REJECTED");
    assert_eq!(err.class(), ErrorClass::Permanent);
}

#[tokio::test]
async fn a_token_refused_even_after_a_fresh_login_is_unauthorized() {
    let world = OctopusWorld::start().await;
    world.sim.fail_next(Operation::GetVatCodes, 2, 401);
    let err = world.client().vat_codes().await.unwrap_err();
    assert!(matches!(err, OctopusError::Unauthorized { .. }), "{err:?}");
    assert_eq!(world.sim.count(Operation::ConnectDossier), 2);
}

#[tokio::test]
async fn the_budget_guard_refuses_the_call_past_the_daily_limit_without_sending_it() {
    let world = OctopusWorld::start().await;
    let client = world.client();
    client.refresh_vat_codes().await.unwrap();
    client.refresh_vat_codes().await.unwrap();

    let err = client.refresh_vat_codes().await.unwrap_err();

    match &err {
        OctopusError::BudgetExhausted {
            operation,
            limit,
            resets_at,
        } => {
            assert_eq!((*operation, *limit), (Operation::GetVatCodes, 2));
            // Midnight in Brussels (UTC+1 in March) after 2 March 09:00 UTC.
            assert_eq!(resets_at.to_rfc3339(), "2026-03-02T23:00:00+00:00");
        }
        other => panic!("expected an exhausted budget, got {other:?}"),
    }
    assert!(err.is_transient());
    assert_eq!(world.sim.calls_today(Operation::GetVatCodes), 2);
    assert!(
        world.sim.over_limit().is_empty(),
        "Octopus never saw a call past its limit"
    );

    world.clock.advance(Duration::hours(14));
    client.refresh_vat_codes().await.expect("a new day, a new budget");
}

#[tokio::test]
async fn a_connection_can_lower_a_limit_and_every_retry_spends_budget() {
    let world = OctopusWorld::start().await;
    let limits = DailyLimits::with_overrides([("getRelations-search".to_owned(), 2)].into());
    let client = world.client_with(DOSSIER, limits, focus_octopus_tests::octopus_sim::PASSWORD);
    world.sim.fail_next(Operation::SearchRelations, 1, 503);

    client.search_relations(&RelationSearch::RelationId(1)).await.unwrap();
    let err = client
        .search_relations(&RelationSearch::RelationId(1))
        .await
        .unwrap_err();

    assert!(matches!(err, OctopusError::BudgetExhausted { limit: 2, .. }), "{err:?}");
    assert_eq!(world.sim.count(Operation::SearchRelations), 2);
}

#[tokio::test]
async fn every_list_answered_404_is_an_empty_list() {
    let world = OctopusWorld::start().await;
    // Dossier 1002 exists and is empty: Octopus answers 404 to every list.
    let client = world.client_with(
        OTHER_DOSSIER,
        DailyLimits::default(),
        focus_octopus_tests::octopus_sim::PASSWORD,
    );
    let since = focus_octopus_tests::fixtures::test_start() - Duration::days(1);

    assert!(client.bookyears().await.unwrap().is_empty());
    assert!(client.journals(BOOKYEAR).await.unwrap().is_empty());
    assert!(client.accounts(BOOKYEAR).await.unwrap().is_empty());
    assert!(client.vat_codes().await.unwrap().is_empty());
    assert!(
        client
            .search_relations(&RelationSearch::Name("Kroon".into()))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(client.all_relations().await.unwrap().is_empty());
    assert!(client.modified_relations(since).await.unwrap().modified.is_empty());
    assert!(client.modified_bookings(None, None, since).await.unwrap().is_empty());
    let balancings = client.modified_balancings(since).await.unwrap();
    assert!(balancings.modified_balancings.is_empty() && balancings.deleted_balancings.is_empty());
    let open = client
        .open_items(&OpenItemsQuery {
            from_bookyear_key: focus_octopus::octopus::BookyearKey { id: BOOKYEAR },
            to_bookyear_key: focus_octopus::octopus::BookyearKey { id: BOOKYEAR },
            from_bookyear_period_nr: 202601,
            to_bookyear_period_nr: 202612,
            relation_id: -1,
            external_relation_id: -1,
        })
        .await
        .unwrap();
    assert!(open.is_empty());
    assert!(client.booking(BOOKYEAR, "V1", 1).await.unwrap().is_none());
    let statuses: Vec<_> = world
        .sim
        .received()
        .iter()
        .filter(|r| !matches!(r.operation, Operation::AuthenticateUser | Operation::ConnectDossier))
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses.len(), 11);
    assert!(statuses.iter().all(|s| *s == 404), "{statuses:?}");
}

#[tokio::test]
async fn reference_data_is_served_from_the_cache_with_zero_octopus_calls() {
    let world = OctopusWorld::start().await;
    let first = world.client();
    let bookyears = first.bookyears().await.unwrap();
    let journals = first.journals(BOOKYEAR).await.unwrap();
    let accounts = first.accounts(BOOKYEAR).await.unwrap();
    let codes = first.vat_codes().await.unwrap();
    let calls_after_first_load = world.sim.received().len();

    // Another (cold) instance: no login either, the cache needs none.
    let second = world.client();
    assert_eq!(second.bookyears().await.unwrap(), bookyears);
    assert_eq!(second.journals(BOOKYEAR).await.unwrap(), journals);
    assert_eq!(second.accounts(BOOKYEAR).await.unwrap(), accounts);
    assert_eq!(second.vat_codes().await.unwrap(), codes);

    assert_eq!(world.sim.received().len(), calls_after_first_load);
    assert!(
        journals
            .iter()
            .any(|j| j.journal_key == "V1" && j.takes_sales_bookings())
    );
    assert!(
        !journals
            .iter()
            .any(|j| j.journal_key == "V3" && j.takes_sales_bookings())
    );
    assert_eq!(accounts.iter().filter(|a| a.is_revenue()).count(), 4);
    assert!(codes.iter().any(|c| c.code == "06" && c.is_sales()));
}

#[tokio::test]
async fn accounts_are_refreshed_through_the_modified_feed_not_the_full_list() {
    let world = OctopusWorld::start().await;
    let client = world.client();
    client.accounts(BOOKYEAR).await.unwrap();
    world.clock.advance(Duration::hours(1));
    world.sim.put_account(DOSSIER, 1, 700200, "Omzet abonnementen");
    world.sim.delete_account(DOSSIER, 1, 743000);

    client.refresh_accounts().await.unwrap();
    let accounts = client.accounts(BOOKYEAR).await.unwrap();

    let numbers: Vec<_> = accounts.iter().map(|a| a.number).collect();
    assert!(numbers.contains(&700200));
    assert!(!numbers.contains(&743000));
    assert_eq!(
        world.sim.count(Operation::GetAccounts),
        1,
        "the 2-a-day full list was read once"
    );
    assert_eq!(world.sim.count(Operation::GetModifiedAccounts), 1);
    let fetched = client
        .reference_fetched_at(ReferenceKind::Accounts)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fetched, world.clock_now());
}

#[tokio::test]
async fn a_relation_sent_twice_with_our_external_id_is_merged_not_doubled() {
    let world = OctopusWorld::start().await;
    let client = world.client();
    let id = new_relation(&client, 41).await;

    let mut changed = customer(41, "Brouwerij De Kroon");
    changed.city = Some("Gent".into());
    let second = client.upsert_relation(&changed).await.unwrap();

    assert_eq!(second, RelationUpsert::Updated);
    let relations = world.sim.relations(DOSSIER);
    assert_eq!(relations.len(), 1);
    assert_eq!(relations[0]["city"], "Gent");
    let found = client
        .search_relations(&RelationSearch::ExternalRelationId(41))
        .await
        .unwrap();
    assert_eq!(
        found[0].relation_identification_service_data.relation_key.unwrap().id.0,
        id
    );
}

/// The heaviest client scenario: a morning's work for one dossier. Prints the calls spent per operation.
#[tokio::test]
async fn a_morning_of_bookings_spends_calls_as_budgeted() {
    let world = OctopusWorld::start().await;
    let client = world.client();
    client.bookyears().await.unwrap();
    client.journals(BOOKYEAR).await.unwrap();
    client.accounts(BOOKYEAR).await.unwrap();
    client.vat_codes().await.unwrap();
    let mut relations = Vec::new();
    for customer_nr in 1..=20 {
        relations.push(new_relation(&client, customer_nr).await);
    }
    for nr in 1..=60 {
        if nr % 20 == 0 {
            world.clock.advance(Duration::minutes(7));
        }
        let relation = relations[(nr as usize) % relations.len()];
        client
            .insert_booking(&sales_booking(nr, relation, rust_decimal::Decimal::from(nr * 10)), &[])
            .await
            .unwrap();
    }
    client.refresh_accounts().await.unwrap();
    client
        .modified_balancings(world.clock_now() - Duration::hours(1))
        .await
        .unwrap();

    let per_operation = world.sim.received_per_operation();
    println!("Octopus calls per operation: {per_operation:?}");
    assert_eq!(world.sim.last_booked(DOSSIER, 1, "V1"), 60);
    assert_eq!(per_operation["insertBuySellBooking"], 60);
    // 21 simulated minutes of work; a token is used for 9 of its 10 minutes.
    assert_eq!(
        per_operation["connectDossier"], 2,
        "one per token lifetime, not one per call"
    );
    assert!(world.sim.over_limit().is_empty());
}

/// Found on real traffic: two retried 5xx answers to `vatcodes` (2 calls a day) spent the day's whole budget, and
/// the caller saw `OCTOPUS_BUDGET_EXHAUSTED` instead of Octopus's own error. An operation allowed 10 calls a day or
/// fewer is sent once; the error is the partner's, and a call is left for the next run.
#[tokio::test]
async fn a_5xx_to_an_operation_of_two_calls_a_day_is_not_retried_and_leaves_the_budget_for_the_next_run() {
    let world = OctopusWorld::start().await;
    let client = world.client();
    world.sim.fail_next(Operation::GetVatCodes, 2, 503);

    let err = client.refresh_vat_codes().await.unwrap_err();

    assert_eq!(err.code(), "OCTOPUS_UNAVAILABLE", "{err:?}");
    assert!(err.is_transient());
    assert_eq!(world.sim.count(Operation::GetVatCodes), 1, "sent once");
    world.sim.state().faults.clear();
    let codes = client.refresh_vat_codes().await.unwrap();
    assert!(!codes.is_empty(), "the second call of the day is still there");
    assert!(world.sim.over_limit().is_empty());
}

/// Recorded from the real service: `""` for empty texts, `0` for an absent external id or account, purchase and
/// line-less bookings in the sales feed, and purchase VAT codes beside the sales ones.
#[tokio::test]
async fn octopus_s_empty_forms_read_as_none_and_purchases_are_told_from_sales() {
    let world = OctopusWorld::start().await;
    world.sim.add_relation(
        DOSSIER,
        serde_json::json!({ "name": "Particulier Jansens", "country": "BE", "vatType": 7 }),
    );
    let client = world.client();

    let relations = client.all_relations().await.unwrap();
    let raw = world.sim.relations(DOSSIER);
    assert_eq!(raw[0]["vatNr"], "", "the simulator answers as Octopus does");
    assert_eq!(raw[0]["relationIdentificationServiceData"]["externalRelationId"], 0);
    assert_eq!(relations[0].vat_nr, None, "\"\" is no VAT number");
    assert_eq!(relations[0].email, None);
    assert_eq!(
        relations[0].relation_identification_service_data.external_relation_id,
        None
    );

    let since = world.clock_now() - Duration::days(1);
    let bookings = client.modified_bookings(None, None, since).await.unwrap();
    let purchases: Vec<_> = bookings.iter().filter(|b| b.journal_key == "A1").collect();
    assert_eq!(purchases.len(), 2, "purchases come in the same feed");
    assert!(
        purchases.iter().any(|b| b.booking_lines.is_empty()),
        "one without lines"
    );
    assert!(purchases.iter().all(|b| b.reference.is_none()), "\"\" is no reference");
    let payments = client.modified_financial_bookings(None, None, since).await.unwrap();
    let line = &payments
        .iter()
        .find(|b| b.journal_key == "F2")
        .expect("the bank line")
        .booking_lines[0];
    assert_eq!(
        (line.account_key, line.relation_id, line.external_relation_id),
        (None, None, None)
    );

    let codes = client.vat_codes().await.unwrap();
    let purchase_codes: Vec<&str> = codes
        .iter()
        .filter(|c| !c.is_sales())
        .map(|c| c.code.as_str())
        .collect();
    assert_eq!(purchase_codes, ["D21", "I21"]);
}
