//! The simulated Octopus is as strict as the real one, and stricter where accounting demands it. These tests speak
//! raw HTTP where the client would hide the behaviour, and use the client where it is only a convenience.

use chrono::Duration;
use focus_octopus::octopus::{Attachment, OctopusError, Operation};
use focus_octopus_tests::fixtures::{OctopusWorld, sales_booking};
use focus_octopus_tests::octopus_sim::{DOSSIER, OctopusSim, PASSWORD, SOFTWARE_HOUSE_UUID, USER};
use rust_decimal_macros::dec;
use serde_json::{Value, json};

async fn raw_dossier_token(sim: &OctopusSim) -> String {
    let http = reqwest::Client::new();
    let auth: Value = http
        .post(format!("{}/authentication", sim.url()))
        .header("softwareHouseUuid", SOFTWARE_HOUSE_UUID)
        .json(&json!({ "user": USER, "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let connected: Value = http
        .post(format!("{}/dossiers?dossierId={DOSSIER}", sim.url()))
        .header("Token", auth["token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    connected["Dossiertoken"]
        .as_str()
        .expect("the spec's spelling")
        .to_owned()
}

async fn raw_get(sim: &OctopusSim, token: &str, path_and_query: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .get(format!("{}/dossiers/{DOSSIER}{path_and_query}", sim.url()))
        .header("dossierToken", token)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn relation(world: &OctopusWorld) -> i32 {
    world
        .sim
        .add_relation(DOSSIER, json!({ "name": "Brouwerij De Kroon BV" }))
}

fn refusal_code(err: &OctopusError) -> Option<i32> {
    match err {
        OctopusError::Rejected { error, .. } => error.error_code,
        _ => None,
    }
}

#[tokio::test]
async fn an_unbalanced_booking_is_refused_and_nothing_is_booked() {
    let world = OctopusWorld::start().await;
    let mut booking = sales_booking(1, relation(&world).await, dec!(100));
    booking.amount += dec!(0.01);

    let err = world.client().insert_booking(&booking, &[]).await.unwrap_err();

    assert_eq!(refusal_code(&err), Some(-20), "{err:?}");
    assert!(world.sim.bookings(DOSSIER).is_empty());
    assert_eq!(world.sim.last_booked(DOSSIER, 1, "V1"), 0);
}

#[tokio::test]
async fn amounts_with_more_than_two_decimals_are_refused() {
    let world = OctopusWorld::start().await;
    let mut booking = sales_booking(1, relation(&world).await, dec!(100));
    booking.booking_lines[0].base_amount = dec!(100.001);
    booking.amount = dec!(121.001);
    let err = world.client().insert_booking(&booking, &[]).await.unwrap_err();
    assert_eq!(refusal_code(&err), Some(-20), "{err:?}");
}

#[tokio::test]
async fn a_credit_note_has_a_negative_total_and_positive_lines() {
    let world = OctopusWorld::start().await;
    let client = world.client();
    let relation = relation(&world).await;
    let mut credit_note = sales_booking(1, relation, dec!(50));
    credit_note.journal_key = "V2".into();
    credit_note.amount = -credit_note.amount;
    client
        .insert_booking(&credit_note, &[])
        .await
        .expect("negative total, positive lines");

    let mut negative_lines = credit_note.clone();
    negative_lines.document_sequence_nr = 2;
    negative_lines.booking_lines[0].base_amount = dec!(-50);
    negative_lines.booking_lines[0].vat_amount = dec!(-10.50);
    let err = client.insert_booking(&negative_lines, &[]).await.unwrap_err();
    assert_eq!(refusal_code(&err), Some(-20), "{err:?}");
    assert_eq!(world.sim.bookings(DOSSIER).len(), 1);
}

#[tokio::test]
async fn a_gap_in_document_numbers_is_refused_with_minus_13() {
    let world = OctopusWorld::start().await;
    let relation = relation(&world).await;
    let err = world
        .client()
        .insert_booking(&sales_booking(2, relation, dec!(10)), &[])
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            OctopusError::IllegalSequence {
                last_booked: Some(0),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(world.sim.bookings(DOSSIER).is_empty());
}

#[tokio::test]
async fn a_repeated_document_number_is_refused_with_minus_13_in_the_live_wording() {
    let world = OctopusWorld::start().await;
    let client = world.client();
    let relation = relation(&world).await;
    client
        .insert_booking(&sales_booking(1, relation, dec!(10)), &[])
        .await
        .unwrap();

    let err = client
        .insert_booking(&sales_booking(1, relation, dec!(10)), &[])
        .await
        .unwrap_err();

    match err {
        OctopusError::IllegalSequence {
            last_booked, details, ..
        } => {
            assert_eq!(last_booked, Some(1));
            assert!(
                details.contains("Illegal document seq Nr.  Last Document = 1.  New Document = 1."),
                "{details}"
            );
        }
        other => panic!("expected -13, got {other:?}"),
    }
    assert_eq!(world.sim.bookings(DOSSIER).len(), 1);
}

#[tokio::test]
async fn a_journal_open_in_the_desktop_client_refuses_bookings_with_403() {
    let world = OctopusWorld::start().await;
    let relation = relation(&world).await;
    world.sim.lock_journal(DOSSIER, 1, "V1", true);
    let client = world.client();

    let err = client
        .insert_booking(&sales_booking(1, relation, dec!(10)), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, OctopusError::JournalLocked { .. }), "{err:?}");
    let statuses: Vec<_> = world
        .sim
        .received()
        .iter()
        .filter(|r| r.operation == Operation::InsertBuySellBooking)
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [403]);

    world.sim.lock_journal(DOSSIER, 1, "V1", false);
    client
        .insert_booking(&sales_booking(1, relation, dec!(10)), &[])
        .await
        .unwrap();
}

#[tokio::test]
async fn a_closed_period_or_bookyear_refuses_bookings() {
    let world = OctopusWorld::start().await;
    let client = world.client();
    let relation = relation(&world).await;
    world.sim.close_period(DOSSIER, 1, "V1", 202603);
    let err = client
        .insert_booking(&sales_booking(1, relation, dec!(10)), &[])
        .await
        .unwrap_err();
    assert_eq!(refusal_code(&err), Some(-31), "{err:?}");

    world.sim.close_bookyear(DOSSIER, 1);
    let err = client
        .insert_booking(&sales_booking(1, relation, dec!(10)), &[])
        .await
        .unwrap_err();
    assert_eq!(refusal_code(&err), Some(-30), "{err:?}");
    assert!(world.sim.bookings(DOSSIER).is_empty());
}

#[tokio::test]
async fn a_document_date_outside_its_period_is_refused() {
    let world = OctopusWorld::start().await;
    let mut booking = sales_booking(1, relation(&world).await, dec!(10));
    booking.bookyear_periode_nr = 202604;
    let err = world.client().insert_booking(&booking, &[]).await.unwrap_err();
    assert_eq!(refusal_code(&err), Some(-45), "{err:?}");
}

#[tokio::test]
async fn unknown_relations_accounts_and_vat_codes_are_refused() {
    let world = OctopusWorld::start().await;
    let client = world.client();
    let relation = relation(&world).await;

    let err = client
        .insert_booking(&sales_booking(1, relation + 100, dec!(10)), &[])
        .await
        .unwrap_err();
    assert_eq!(refusal_code(&err), Some(-40));
    let mut booking = sales_booking(1, relation, dec!(10));
    booking.booking_lines[0].account_key = 709999;
    assert_eq!(
        refusal_code(&client.insert_booking(&booking, &[]).await.unwrap_err()),
        Some(-41)
    );
    let mut booking = sales_booking(1, relation, dec!(10));
    booking.booking_lines[0].vat_code_key = "D21".into();
    assert_eq!(
        refusal_code(&client.insert_booking(&booking, &[]).await.unwrap_err()),
        Some(-42),
        "a purchase code is not a sales code"
    );
}

#[tokio::test]
async fn a_journal_of_the_invoice_module_does_not_take_bookings() {
    let world = OctopusWorld::start().await;
    let mut booking = sales_booking(1, relation(&world).await, dec!(10));
    booking.journal_key = "V3".into();
    let err = world.client().insert_booking(&booking, &[]).await.unwrap_err();
    assert_eq!(refusal_code(&err), Some(-44), "{err:?}");
}

#[tokio::test]
async fn past_the_daily_limit_the_simulator_answers_429() {
    let world = OctopusWorld::start().await;
    let token = raw_dossier_token(&world.sim).await;
    assert_eq!(raw_get(&world.sim, &token, "/vatcodes").await.0, 200);
    assert_eq!(raw_get(&world.sim, &token, "/vatcodes").await.0, 200);

    let (status, body) = raw_get(&world.sim, &token, "/vatcodes").await;

    assert_eq!(status, 429);
    assert!(body.contains("Maximum allowed calls per day (2)"), "{body}");
    assert_eq!(world.sim.over_limit(), [Operation::GetVatCodes]);
}

/// The client counts every call against its own table of daily limits; the simulator refuses past the limits the
/// official OpenAPI document prints. The two must agree for every operation the client uses, so a wrong number in
/// the client's table fails here (and not quietly in production).
#[test]
fn the_clients_daily_limits_are_the_official_documents() {
    for op in Operation::ALL {
        assert_eq!(
            OctopusSim::spec_operation_id(op),
            op.operation_id(),
            "{op:?} is not the operation the official document names for its request"
        );
        assert_eq!(
            op.daily_limit(),
            OctopusSim::documented_limit(op),
            "the client's daily limit of {} differs from the official document's",
            op.operation_id()
        );
    }
}

#[tokio::test]
async fn a_dossier_token_expires_after_ten_minutes_of_the_simulated_clock() {
    let world = OctopusWorld::start().await;
    let token = raw_dossier_token(&world.sim).await;
    world.clock.advance(Duration::minutes(9));
    assert_eq!(raw_get(&world.sim, &token, "/bookyears").await.0, 200);

    world.clock.advance(Duration::minutes(1));
    let (status, body) = raw_get(&world.sim, &token, "/bookyears").await;

    assert_eq!(status, 401);
    assert_eq!(
        body,
        r#"{"technicalInfo":"Invalid or expired token presented, unauthorized"}"#
    );
}

#[tokio::test]
async fn a_wrong_login_gets_401_with_only_technical_info() {
    let world = OctopusWorld::start().await;
    let response = reqwest::Client::new()
        .post(format!("{}/authentication", world.sim.url()))
        .header("softwareHouseUuid", SOFTWARE_HOUSE_UUID)
        .json(&json!({ "user": USER, "password": "nope" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body.as_object().unwrap().keys().collect::<Vec<_>>(), ["technicalInfo"]);
}

#[tokio::test]
async fn a_malformed_modified_timestamp_gets_500_and_an_empty_feed_404() {
    let world = OctopusWorld::start().await;
    let token = raw_dossier_token(&world.sim).await;
    let (status, body) = raw_get(
        &world.sim,
        &token,
        "/balancings/modified?modifiedTimeStamp=2026-03-01T10:00",
    )
    .await;
    assert_eq!((status, body.as_str()), (500, ""));
    let (status, _) = raw_get(
        &world.sim,
        &token,
        // Brussels time, now: after the purchases the dossier starts with.
        "/balancings/modified?modifiedTimeStamp=2026-03-02%2010:00:00.000",
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_belgian_vat_number_must_be_in_octopus_format() {
    let world = OctopusWorld::start().await;
    let token = raw_dossier_token(&world.sim).await;
    let put = |vat: &'static str| {
        let token = token.clone();
        let url = format!("{}/dossiers/{DOSSIER}/relations", world.sim.url());
        async move {
            reqwest::Client::new()
                .put(url)
                .header("dossierToken", token)
                .json(&json!({ "currencyCode": "EUR", "name": "X",
                               "relationIdentificationServiceData": { "externalRelationId": 5 }, "vatNr": vat }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(put("BE 0477 472 701").await, 400);
    assert_eq!(put("BE0477.472.701").await, 201);
    assert_eq!(put("BE0477.472.701").await, 204, "merged on the external relation id");
}

#[tokio::test]
async fn a_reconciled_invoice_appears_in_the_balancings_feed_and_leaves_the_open_items() {
    let world = OctopusWorld::start().await;
    let client = world.client();
    let relation = relation(&world).await;
    client
        .insert_booking(&sales_booking(1, relation, dec!(100)), &[])
        .await
        .unwrap();
    let key = focus_octopus_tests::octopus_sim::SimBookingKey {
        bookyear: 1,
        journal: "V1".into(),
        document_nr: 1,
    };
    let since = world.clock_now() - Duration::minutes(5);
    world.sim.reconcile(
        DOSSIER,
        &key,
        dec!(21),
        chrono::NaiveDate::from_ymd_opt(2026, 3, 4).unwrap(),
    );

    let feed = client.modified_balancings(since).await.unwrap();
    assert_eq!(feed.modified_balancings.len(), 1);
    let b = &feed.modified_balancings[0];
    assert_eq!(b.debet_document.balancing_key.journal_key, "V1");
    assert_eq!(b.credit_balanced_booking_amount, dec!(21));

    world.sim.reconcile(
        DOSSIER,
        &key,
        dec!(100),
        chrono::NaiveDate::from_ymd_opt(2026, 3, 5).unwrap(),
    );
    let query = focus_octopus::octopus::OpenItemsQuery {
        from_bookyear_key: focus_octopus::octopus::BookyearKey {
            id: focus_octopus::domain::BookyearId(1),
        },
        to_bookyear_key: focus_octopus::octopus::BookyearKey {
            id: focus_octopus::domain::BookyearId(1),
        },
        from_bookyear_period_nr: 202601,
        to_bookyear_period_nr: 202612,
        relation_id: -1,
        external_relation_id: -1,
    };
    assert!(
        client.open_items(&query).await.unwrap().is_empty(),
        "121.00 paid in full"
    );
}

#[tokio::test]
async fn a_path_or_method_octopus_does_not_have_is_a_404_that_spends_no_budget() {
    let world = OctopusWorld::start().await;
    let token = raw_dossier_token(&world.sim).await;
    let before = world.sim.received().len();
    for path in ["/invoices", "/bookyears/abc/journals", "/relations/modified/extra"] {
        let (status, body) = raw_get(&world.sim, &token, path).await;
        assert_eq!(
            (status, body.as_str()),
            (404, r#"{"technicalInfo":"Resource not found"}"#),
            "{path}"
        );
    }
    let wrong_method = reqwest::Client::new()
        .delete(format!("{}/dossiers/{DOSSIER}/relations", world.sim.url()))
        .header("dossierToken", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        wrong_method.status().as_u16(),
        404,
        "DELETE relations is no operation of Octopus"
    );
    let not_a_dossier = reqwest::Client::new()
        .get(format!("{}/dossiers/one/vatcodes", world.sim.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_dossier.status().as_u16(), 404);
    assert_eq!(
        world.sim.received().len(),
        before,
        "nothing unknown is received as an operation"
    );

    relation(&world).await;
    let (listed, _) = raw_get(&world.sim, &token, "/relations").await;
    let (searched, _) = raw_get(&world.sim, &token, "/relations?name=Nobody").await;
    assert_eq!((listed, searched), (200, 404));
    let operations: Vec<Operation> = world.sim.received().iter().skip(before).map(|r| r.operation).collect();
    assert_eq!(operations, [Operation::GetAllRelations, Operation::SearchRelations]);
}

#[tokio::test]
async fn files_go_with_a_booking_as_base64_and_a_dossier_without_document_storage_refuses_them_whole() {
    let world = OctopusWorld::start().await;
    let relation = relation(&world).await;
    let client = world.client();
    let booking = sales_booking(1, relation, dec!(10));
    let not_base64 = Attachment {
        file_name: "2026-1.pdf".into(),
        file_data: "%%% not base64".into(),
    };
    let refused = client.insert_booking(&booking, &[not_base64]).await.unwrap_err();
    assert!(
        matches!(refused, OctopusError::Rejected { status: 400, .. }),
        "{refused:?}"
    );

    world.sim.set_document_storage(DOSSIER, false);
    let pdf = Attachment::new("2026-1.pdf", b"%PDF-1.4 invoice 2026/1");
    let refused = client
        .insert_booking(&booking, std::slice::from_ref(&pdf))
        .await
        .unwrap_err();
    assert!(matches!(refused, OctopusError::NoDocumentStorage { .. }), "{refused:?}");
    assert!(world.sim.bookings(DOSSIER).is_empty(), "nothing was booked");

    world.sim.set_document_storage(DOSSIER, true);
    client.insert_booking(&booking, &[pdf]).await.unwrap();
    let (key, ..) = world.sim.bookings(DOSSIER).remove(0);
    assert_eq!(
        world.sim.attachments(DOSSIER, &key),
        [("2026-1.pdf".to_owned(), b"%PDF-1.4 invoice 2026/1".to_vec())]
    );
}
