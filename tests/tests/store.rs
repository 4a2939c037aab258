//! The DynamoDB store, against moto, on a table built from `infra/template.yaml`.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use focus_octopus::domain::{
    BookingKey, BookyearId, ConnectionId, CustomerRef, DocumentKind, DocumentRef, DocumentState, ErrorClass, Failure,
    FocusCustomerType, JournalKey, OctopusRelationId,
};
use focus_octopus::store::{
    ConnectionConfig, CursorName, DocumentUpdate, OctopusToken, PostedAmounts, RecordedError, ReferenceKind, RunKind,
    RunReport, Store, StoreError,
};
use focus_octopus_tests::LocalAws;
use futures::future::join_all;
use rust_decimal_macros::dec;
use secrecy::{ExposeSecret, SecretString};

fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, hour, minute, 0).unwrap()
}

fn conn() -> ConnectionId {
    ConnectionId::new("acme").unwrap()
}

fn config() -> ConnectionConfig {
    focus_octopus_tests::fixtures::connection_config()
}

fn invoice(id: &str) -> DocumentRef {
    DocumentRef::new(DocumentKind::Invoice, id).unwrap()
}

fn company(id: &str) -> CustomerRef {
    CustomerRef::new(FocusCustomerType::Company, id).unwrap()
}

fn v1() -> JournalKey {
    JournalKey::new("V1").unwrap()
}

fn amounts() -> PostedAmounts {
    PostedAmounts {
        total: dec!(121.00),
        vat: dec!(21.00),
        lines_fingerprint: "f1".into(),
    }
}

fn error(code: &str, class: ErrorClass) -> RecordedError {
    RecordedError {
        code: code.into(),
        message: "Tax rate 6 % has no Octopus VAT code; map it with `focus-octopus map`.".into(),
        class,
        at: at(9, 0),
    }
}

async fn local() -> LocalAws {
    LocalAws::start().await.expect("local AWS from infra/template.yaml")
}

// ------------------------------------------------------------------ template ↔ store

#[tokio::test]
async fn the_store_keys_are_the_templates_keys() {
    use focus_octopus::store::keys;
    let template = focus_octopus_tests::Template::load().unwrap();
    let (_, table) = template.resources_of_type("AWS::DynamoDB::Table").next().unwrap();
    let props = &table["Properties"];
    let names = |schema: &serde_yaml_ng::Value| -> Vec<String> {
        schema
            .as_sequence()
            .unwrap()
            .iter()
            .map(|k| k["AttributeName"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&props["KeySchema"]), [keys::PK, keys::SK]);
    let gsi = &props["GlobalSecondaryIndexes"][0];
    assert_eq!(gsi["IndexName"].as_str(), Some(keys::GSI1));
    assert_eq!(names(&gsi["KeySchema"]), [keys::GSI1PK, keys::GSI1SK]);
    assert_eq!(
        props["TimeToLiveSpecification"]["AttributeName"].as_str(),
        Some(keys::EXPIRES_AT)
    );
}

// ------------------------------------------------------------------ connection config

#[tokio::test]
async fn a_new_connection_starts_at_version_one_and_reads_back() {
    let aws = local().await;
    let store = aws.store();
    let created = store.connections().create(&conn(), &config(), at(8, 0)).await.unwrap();
    assert_eq!(created.version, 1);
    let read = store.connections().get(&conn()).await.unwrap().unwrap();
    assert_eq!(read, created);
}

#[tokio::test]
async fn creating_a_connection_twice_is_refused() {
    let aws = local().await;
    let store = aws.store();
    store.connections().create(&conn(), &config(), at(8, 0)).await.unwrap();
    let mut other = config();
    other.octopus_dossier_id = 2;
    let err = store.connections().create(&conn(), &other, at(8, 1)).await.unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err}");
    assert_eq!(store.connections().get(&conn()).await.unwrap().unwrap().value, config());
}

#[tokio::test]
async fn a_stale_config_version_is_refused_and_changes_nothing() {
    let aws = local().await;
    let store = aws.store();
    store.connections().create(&conn(), &config(), at(8, 0)).await.unwrap();
    let mut first = config();
    first.default_ledger_account = Some("700100".into());
    let updated = store.connections().update(&conn(), &first, 1, at(8, 1)).await.unwrap();
    assert_eq!(updated.version, 2);

    let mut second = config();
    second.default_ledger_account = Some("709999".into());
    let err = store
        .connections()
        .update(&conn(), &second, 1, at(8, 2))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::StaleVersion { expected: 1, .. }), "{err}");
    assert_eq!(err.code(), "CONFIG_CHANGED_CONCURRENTLY");
    assert!(err.to_string().contains("Read them again"));
    let stored = store.connections().get(&conn()).await.unwrap().unwrap();
    assert_eq!((stored.version, stored.value), (2, first));
}

#[tokio::test]
async fn updating_a_connection_that_does_not_exist_says_so() {
    let aws = local().await;
    let err = aws
        .store()
        .connections()
        .update(&conn(), &config(), 1, at(8, 0))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
}

#[tokio::test]
async fn every_connection_of_the_deployment_is_listed() {
    let aws = local().await;
    let store = aws.store();
    for id in ["beta", "alpha"] {
        store
            .connections()
            .create(&ConnectionId::new(id).unwrap(), &config(), at(8, 0))
            .await
            .unwrap();
    }
    let ids: Vec<String> = store
        .connections()
        .list()
        .await
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(ids, ["alpha", "beta"]);
}

// ------------------------------------------------------------------ external relation ids and customers

#[tokio::test]
async fn two_concurrent_external_id_allocations_get_distinct_ids() {
    let aws = local().await;
    let store = aws.store();
    let sequences = store.sequences();
    let connection = conn();
    let ids = join_all((0..20).map(|_| sequences.next_external_relation_id(&connection))).await;
    let mut ids: Vec<i32> = ids.into_iter().map(|id| id.unwrap().0).collect();
    ids.sort();
    assert_eq!(ids, (1..=20).collect::<Vec<_>>());
}

#[tokio::test]
async fn external_ids_start_above_a_raised_floor_and_the_floor_never_lowers() {
    let aws = local().await;
    let store = aws.store();
    let sequences = store.sequences();
    sequences
        .raise_floor(&conn(), focus_octopus::domain::ExternalRelationId(5000))
        .await
        .unwrap();
    sequences
        .raise_floor(&conn(), focus_octopus::domain::ExternalRelationId(10))
        .await
        .unwrap();
    assert_eq!(sequences.next_external_relation_id(&conn()).await.unwrap().0, 5001);
}

#[tokio::test]
async fn a_customer_keeps_its_external_id_across_reservations() {
    let aws = local().await;
    let store = aws.store();
    let first = store
        .customers()
        .reserve(&conn(), &company("c-1"), at(8, 0))
        .await
        .unwrap();
    let again = store
        .customers()
        .reserve(&conn(), &company("c-1"), at(8, 5))
        .await
        .unwrap();
    let other = store
        .customers()
        .reserve(&conn(), &company("c-2"), at(8, 5))
        .await
        .unwrap();
    assert_eq!(again, first);
    assert_ne!(other.external_relation_id, first.external_relation_id);
    assert_eq!(first.octopus_relation_id, None);
}

#[tokio::test]
async fn concurrent_reservations_of_one_customer_agree_on_one_external_id() {
    let aws = local().await;
    let store = aws.store();
    let customers = store.customers();
    let connection = conn();
    let customer = company("c-1");
    let results = join_all((0..5).map(|_| customers.reserve(&connection, &customer, at(8, 0)))).await;
    let ids: std::collections::BTreeSet<i32> = results.into_iter().map(|m| m.unwrap().external_relation_id.0).collect();
    assert_eq!(ids.len(), 1);
    let stored = customers.get(&connection, &customer).await.unwrap().unwrap();
    assert_eq!(Some(&stored.external_relation_id.0), ids.iter().next());
}

#[tokio::test]
async fn a_linked_customer_is_found_back_from_its_octopus_relation() {
    let aws = local().await;
    let store = aws.store();
    store
        .customers()
        .reserve(&conn(), &company("c-1"), at(8, 0))
        .await
        .unwrap();
    let linked = store
        .customers()
        .link(
            &conn(),
            &company("c-1"),
            OctopusRelationId(77),
            Some("hash-1"),
            at(8, 1),
        )
        .await
        .unwrap();
    assert_eq!(linked.octopus_relation_id, Some(OctopusRelationId(77)));
    assert_eq!(linked.exported_hash.as_deref(), Some("hash-1"));
    let found = store
        .customers()
        .find_by_relation(&conn(), OctopusRelationId(77))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.customer, company("c-1"));
    assert!(
        store
            .customers()
            .find_by_relation(&conn(), OctopusRelationId(78))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_customer_linked_to_one_relation_cannot_be_repointed_to_another() {
    let aws = local().await;
    let store = aws.store();
    store
        .customers()
        .reserve(&conn(), &company("c-1"), at(8, 0))
        .await
        .unwrap();
    store
        .customers()
        .link(&conn(), &company("c-1"), OctopusRelationId(77), None, at(8, 1))
        .await
        .unwrap();
    let err = store
        .customers()
        .link(&conn(), &company("c-1"), OctopusRelationId(99), None, at(8, 2))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("relation 77"), "{err}");
    let stored = store.customers().get(&conn(), &company("c-1")).await.unwrap().unwrap();
    assert_eq!(stored.octopus_relation_id, Some(OctopusRelationId(77)));
}

#[tokio::test]
async fn linking_a_customer_that_was_never_reserved_is_refused() {
    let aws = local().await;
    let err = aws
        .store()
        .customers()
        .link(&conn(), &company("nobody"), OctopusRelationId(1), None, at(8, 0))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
}

// ------------------------------------------------------------------ documents and journals

/// An invoice a poster has started on.
async fn posting_invoice(store: &Store, id: &str) -> DocumentRef {
    let doc = invoice(id);
    store.documents().ensure(&conn(), &doc, at(8, 0)).await.unwrap();
    store
        .documents()
        .transition(&conn(), &doc, DocumentUpdate::StartPosting, at(8, 1))
        .await
        .unwrap();
    doc
}

/// An invoice booked in journal V1 of bookyear 3 (the counter starts at 41 in a new journal).
async fn posted_invoice(store: &Store, id: &str) -> BookingKey {
    let doc = posting_invoice(store, id).await;
    if store
        .journals()
        .get(&conn(), BookyearId(3), &v1())
        .await
        .unwrap()
        .is_none()
    {
        store
            .journals()
            .initialise(&conn(), BookyearId(3), &v1(), 41, at(8, 1))
            .await
            .unwrap();
    }
    let intent = store
        .journals()
        .reserve(&conn(), BookyearId(3), &v1(), &doc, at(8, 1))
        .await
        .unwrap();
    let booking = BookingKey {
        bookyear: BookyearId(3),
        journal: v1(),
        document_nr: intent.document_nr,
    };
    store
        .journals()
        .complete(&conn(), &intent, &booking, &amounts(), Default::default(), at(8, 2))
        .await
        .unwrap();
    booking
}

#[tokio::test]
async fn a_document_is_recorded_pending_once() {
    let aws = local().await;
    let store = aws.store();
    let first = store
        .documents()
        .ensure(&conn(), &invoice("i-1"), at(8, 0))
        .await
        .unwrap();
    assert_eq!(first.state, DocumentState::Pending);
    store
        .documents()
        .transition(&conn(), &invoice("i-1"), DocumentUpdate::StartPosting, at(8, 1))
        .await
        .unwrap();
    let again = store
        .documents()
        .ensure(&conn(), &invoice("i-1"), at(8, 2))
        .await
        .unwrap();
    assert_eq!((again.state, again.attempts), (DocumentState::Posting, 1));
}

#[tokio::test]
async fn completing_a_booking_marks_the_document_posted_and_advances_the_journal() {
    let aws = local().await;
    let store = aws.store();
    let booking = posted_invoice(&store, "i-1").await;
    assert_eq!(booking.document_nr, 42);
    let record = store.documents().get(&conn(), &invoice("i-1")).await.unwrap().unwrap();
    assert_eq!(record.state, DocumentState::Posted);
    assert_eq!(record.booking.as_ref(), Some(&booking));
    assert_eq!(record.posted, Some(amounts()));
    let journal = store
        .journals()
        .get(&conn(), BookyearId(3), &v1())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((journal.last_booked, journal.intent), (42, None));
    let next = posted_invoice(&store, "i-2").await;
    assert_eq!(next.document_nr, 43);
}

#[tokio::test]
async fn a_posted_document_cannot_move_back_to_pending() {
    let aws = local().await;
    let store = aws.store();
    posted_invoice(&store, "i-1").await;
    for update in [DocumentUpdate::Resync, DocumentUpdate::StartPosting] {
        let err = store
            .documents()
            .transition(&conn(), &invoice("i-1"), update, at(9, 0))
            .await
            .unwrap_err();
        match err {
            StoreError::TransitionRefused { from, .. } => assert_eq!(from, Some(DocumentState::Posted)),
            other => panic!("expected a refusal, got {other}"),
        }
    }
    let record = store.documents().get(&conn(), &invoice("i-1")).await.unwrap().unwrap();
    assert_eq!((record.state, record.attempts), (DocumentState::Posted, 1));
}

#[tokio::test]
async fn a_posted_document_changed_in_focus_goes_to_review_with_the_reason() {
    let aws = local().await;
    let store = aws.store();
    posted_invoice(&store, "i-1").await;
    let reason = "The total changed in Focus after booking (121.00 → 131.00).".to_owned();
    let record = store
        .documents()
        .transition(
            &conn(),
            &invoice("i-1"),
            DocumentUpdate::Review { reason: reason.clone() },
            at(9, 0),
        )
        .await
        .unwrap();
    assert_eq!(record.state, DocumentState::NeedsReview);
    assert_eq!(record.note, Some(reason));
    assert!(record.booking.is_some(), "the booking key stays known");
}

#[tokio::test]
async fn a_permanent_failure_is_parked_with_its_reason_until_a_resync() {
    let aws = local().await;
    let store = aws.store();
    let doc = posting_invoice(&store, "i-1").await;
    let failure = error("VAT_RATE_UNMAPPED", ErrorClass::Permanent);
    let failed = store
        .documents()
        .transition(&conn(), &doc, DocumentUpdate::Fail(failure.clone()), at(8, 2))
        .await
        .unwrap();
    assert_eq!(
        (failed.state, failed.last_error),
        (DocumentState::Failed, Some(failure))
    );
    let resynced = store
        .documents()
        .transition(&conn(), &doc, DocumentUpdate::Resync, at(10, 0))
        .await
        .unwrap();
    assert_eq!((resynced.state, resynced.last_error), (DocumentState::Pending, None));
}

#[tokio::test]
async fn a_transient_failure_keeps_the_document_posting_with_the_last_error() {
    let aws = local().await;
    let store = aws.store();
    let doc = posting_invoice(&store, "i-1").await;
    let locked = error("OCTOPUS_JOURNAL_LOCKED", ErrorClass::Transient);
    let record = store
        .documents()
        .transition(&conn(), &doc, DocumentUpdate::RetryLater(locked.clone()), at(8, 2))
        .await
        .unwrap();
    assert_eq!(
        (record.state, record.last_error),
        (DocumentState::Posting, Some(locked))
    );
    let retried = store
        .documents()
        .transition(&conn(), &doc, DocumentUpdate::StartPosting, at(8, 3))
        .await
        .unwrap();
    assert_eq!(retried.attempts, 2);
}

#[tokio::test]
async fn an_unknown_document_cannot_change_state() {
    let aws = local().await;
    let err = aws
        .store()
        .documents()
        .transition(&conn(), &invoice("ghost"), DocumentUpdate::StartPosting, at(8, 0))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::TransitionRefused { from: None, .. }), "{err}");
    assert!(
        aws.store()
            .documents()
            .get(&conn(), &invoice("ghost"))
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_booking_key_leads_back_to_its_document() {
    let aws = local().await;
    let store = aws.store();
    let booking = posted_invoice(&store, "i-1").await;
    posted_invoice(&store, "i-2").await;
    let found = store
        .documents()
        .find_by_booking(&conn(), &booking)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.document, invoice("i-1"));
    let unknown = BookingKey {
        document_nr: 999,
        ..booking
    };
    assert!(
        store
            .documents()
            .find_by_booking(&conn(), &unknown)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.documents().list(&conn()).await.unwrap().len(), 2);
}

#[tokio::test]
async fn the_same_document_reserving_again_gets_the_same_number() {
    let aws = local().await;
    let store = aws.store();
    store
        .journals()
        .initialise(&conn(), BookyearId(3), &v1(), 7, at(8, 0))
        .await
        .unwrap();
    let first = store
        .journals()
        .reserve(&conn(), BookyearId(3), &v1(), &invoice("i-1"), at(8, 0))
        .await
        .unwrap();
    let again = store
        .journals()
        .reserve(&conn(), BookyearId(3), &v1(), &invoice("i-1"), at(8, 9))
        .await
        .unwrap();
    assert_eq!((first.document_nr, again), (8, first));
}

#[tokio::test]
async fn another_documents_intent_blocks_the_journal_until_it_is_resolved() {
    let aws = local().await;
    let store = aws.store();
    let journals = store.journals();
    journals
        .initialise(&conn(), BookyearId(3), &v1(), 7, at(8, 0))
        .await
        .unwrap();
    journals
        .reserve(&conn(), BookyearId(3), &v1(), &invoice("i-1"), at(8, 0))
        .await
        .unwrap();
    let err = journals
        .reserve(&conn(), BookyearId(3), &v1(), &invoice("i-2"), at(8, 1))
        .await
        .unwrap_err();
    match &err {
        StoreError::IntentHeld { intent, .. } => {
            assert_eq!((intent.document_nr, &intent.document), (8, &invoice("i-1")))
        }
        other => panic!("expected IntentHeld, got {other}"),
    }
    assert!(err.is_transient());

    assert!(
        !journals
            .release(&conn(), BookyearId(3), &v1(), &invoice("i-2"), at(8, 2))
            .await
            .unwrap()
    );
    assert!(
        journals
            .release(&conn(), BookyearId(3), &v1(), &invoice("i-1"), at(8, 2))
            .await
            .unwrap()
    );
    let next = journals
        .reserve(&conn(), BookyearId(3), &v1(), &invoice("i-2"), at(8, 3))
        .await
        .unwrap();
    assert_eq!(
        next.document_nr, 8,
        "a released number is reused: Octopus numbering has no gaps"
    );
}

#[tokio::test]
async fn completing_for_a_document_that_is_not_posting_changes_neither_item() {
    let aws = local().await;
    let store = aws.store();
    let doc = invoice("i-1");
    store.documents().ensure(&conn(), &doc, at(8, 0)).await.unwrap();
    store
        .journals()
        .initialise(&conn(), BookyearId(3), &v1(), 7, at(8, 0))
        .await
        .unwrap();
    let intent = store
        .journals()
        .reserve(&conn(), BookyearId(3), &v1(), &doc, at(8, 0))
        .await
        .unwrap();
    let booking = BookingKey {
        bookyear: BookyearId(3),
        journal: v1(),
        document_nr: 8,
    };
    let err = store
        .journals()
        .complete(&conn(), &intent, &booking, &amounts(), Default::default(), at(8, 1))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::TransitionRefused {
                from: Some(DocumentState::Pending),
                ..
            }
        ),
        "{err}"
    );
    let journal = store
        .journals()
        .get(&conn(), BookyearId(3), &v1())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (journal.last_booked, journal.intent.map(|i| i.document_nr)),
        (7, Some(8))
    );
    assert_eq!(
        store.documents().get(&conn(), &doc).await.unwrap().unwrap().state,
        DocumentState::Pending
    );
}

#[tokio::test]
async fn completing_an_intent_the_journal_no_longer_holds_changes_nothing() {
    let aws = local().await;
    let store = aws.store();
    let doc = posting_invoice(&store, "i-1").await;
    store
        .journals()
        .initialise(&conn(), BookyearId(3), &v1(), 7, at(8, 0))
        .await
        .unwrap();
    let intent = store
        .journals()
        .reserve(&conn(), BookyearId(3), &v1(), &doc, at(8, 0))
        .await
        .unwrap();
    store
        .journals()
        .resynchronise(&conn(), BookyearId(3), &v1(), 9, at(8, 1))
        .await
        .unwrap();
    let booking = BookingKey {
        bookyear: BookyearId(3),
        journal: v1(),
        document_nr: 8,
    };
    let err = store
        .journals()
        .complete(&conn(), &intent, &booking, &amounts(), Default::default(), at(8, 2))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Contended { .. }), "{err}");
    assert_eq!(
        store.documents().get(&conn(), &doc).await.unwrap().unwrap().state,
        DocumentState::Posting
    );
    assert_eq!(
        store
            .journals()
            .get(&conn(), BookyearId(3), &v1())
            .await
            .unwrap()
            .unwrap()
            .last_booked,
        9
    );
}

#[tokio::test]
async fn initialising_a_journal_twice_keeps_the_first_counter() {
    let aws = local().await;
    let store = aws.store();
    store
        .journals()
        .initialise(&conn(), BookyearId(3), &v1(), 7, at(8, 0))
        .await
        .unwrap();
    let again = store
        .journals()
        .initialise(&conn(), BookyearId(3), &v1(), 2, at(8, 1))
        .await
        .unwrap();
    assert_eq!(again.last_booked, 7);
}

// ------------------------------------------------------------------ cursors

#[tokio::test]
async fn a_cursor_only_moves_forward() {
    let aws = local().await;
    let cursors = aws.store();
    let cursors = cursors.cursors();
    assert_eq!(cursors.get(&conn(), CursorName::Balancings).await.unwrap(), None);
    assert!(
        cursors
            .advance(&conn(), CursorName::Balancings, at(10, 0))
            .await
            .unwrap()
    );
    assert!(
        !cursors
            .advance(&conn(), CursorName::Balancings, at(9, 0))
            .await
            .unwrap()
    );
    assert_eq!(
        cursors.get(&conn(), CursorName::Balancings).await.unwrap(),
        Some(at(10, 0))
    );
    assert_eq!(cursors.get(&conn(), CursorName::FocusSweep).await.unwrap(), None);
}

// ------------------------------------------------------------------ budgets

#[tokio::test]
async fn a_budget_add_past_the_limit_is_refused_and_leaves_the_count_unchanged() {
    let aws = local().await;
    let store = aws.store();
    let day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    assert_eq!(store.budgets().spend(&conn(), "accounts", day, 2, 1).await.unwrap(), 1);
    assert_eq!(store.budgets().spend(&conn(), "accounts", day, 2, 1).await.unwrap(), 2);
    let err = store.budgets().spend(&conn(), "accounts", day, 2, 1).await.unwrap_err();
    assert!(matches!(err, StoreError::BudgetExhausted { limit: 2, .. }), "{err}");
    assert_eq!(err.code(), "OCTOPUS_DAILY_BUDGET_EXHAUSTED");
    assert!(err.is_transient());
    assert_eq!(store.budgets().spent(&conn(), "accounts", day).await.unwrap(), 2);
}

#[tokio::test]
async fn concurrent_spending_never_passes_the_limit() {
    let aws = local().await;
    let store = aws.store();
    let budgets = store.budgets();
    let day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    let connection = conn();
    let results = join_all((0..12).map(|_| budgets.spend(&connection, "buysellbookings", day, 7, 1))).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 7);
    assert_eq!(budgets.spent(&connection, "buysellbookings", day).await.unwrap(), 7);
}

#[tokio::test]
async fn each_day_and_endpoint_has_its_own_budget() {
    let aws = local().await;
    let store = aws.store();
    let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    let tomorrow = today.succ_opt().unwrap();
    store.budgets().spend(&conn(), "accounts", today, 1, 1).await.unwrap();
    assert!(store.budgets().spend(&conn(), "accounts", today, 1, 1).await.is_err());
    assert!(store.budgets().spend(&conn(), "vatcodes", today, 1, 1).await.is_ok());
    assert!(store.budgets().spend(&conn(), "accounts", tomorrow, 1, 1).await.is_ok());
    assert!(
        store.budgets().spend(&conn(), "relations", today, 2, 3).await.is_err(),
        "more than the limit at once"
    );
    assert_eq!(store.budgets().spent(&conn(), "relations", today).await.unwrap(), 0);
}

// ------------------------------------------------------------------ leases

#[tokio::test]
async fn a_second_lease_holder_is_refused_until_the_lease_expires() {
    let aws = local().await;
    let store = aws.store();
    let leases = store.leases();
    leases
        .acquire(&conn(), "focus-refresh", "poster-a", Duration::seconds(30), at(8, 0))
        .await
        .unwrap();

    let err = leases
        .acquire(
            &conn(),
            "focus-refresh",
            "poster-b",
            Duration::seconds(30),
            at(8, 0) + Duration::seconds(29),
        )
        .await
        .unwrap_err();
    match err {
        StoreError::LeaseHeld { until, .. } => assert_eq!(until, at(8, 0) + Duration::seconds(30)),
        other => panic!("expected LeaseHeld, got {other}"),
    }
    let taken = leases
        .acquire(
            &conn(),
            "focus-refresh",
            "poster-b",
            Duration::seconds(30),
            at(8, 0) + Duration::seconds(30),
        )
        .await
        .unwrap();
    assert_eq!(taken.owner, "poster-b");
}

#[tokio::test]
async fn a_holder_extends_its_own_lease_and_only_it_can_release_it() {
    let aws = local().await;
    let store = aws.store();
    let leases = store.leases();
    leases
        .acquire(&conn(), "octopus-login", "a", Duration::seconds(30), at(8, 0))
        .await
        .unwrap();
    let extended = leases
        .acquire(
            &conn(),
            "octopus-login",
            "a",
            Duration::seconds(30),
            at(8, 0) + Duration::seconds(20),
        )
        .await
        .unwrap();
    assert_eq!(extended.until(), at(8, 0) + Duration::seconds(50));
    assert!(!leases.release(&conn(), "octopus-login", "b").await.unwrap());
    assert!(
        leases
            .acquire(
                &conn(),
                "octopus-login",
                "b",
                Duration::seconds(30),
                at(8, 0) + Duration::seconds(40)
            )
            .await
            .is_err()
    );
    assert!(leases.release(&conn(), "octopus-login", "a").await.unwrap());
    assert!(
        leases
            .acquire(
                &conn(),
                "octopus-login",
                "b",
                Duration::seconds(30),
                at(8, 0) + Duration::seconds(41)
            )
            .await
            .is_ok()
    );
}

// ------------------------------------------------------------------ Octopus token cache

#[tokio::test]
async fn the_octopus_token_is_shared_until_it_nears_expiry() {
    let aws = local().await;
    let store = aws.store();
    let token = OctopusToken {
        token: SecretString::from("dossier-jwt-123"),
        valid_until: at(8, 10),
        dossier: 1001,
    };
    store.tokens().put_octopus(&conn(), &token).await.unwrap();
    let margin = Duration::seconds(30);
    let cached = store
        .tokens()
        .octopus(&conn(), 1001, at(8, 5), margin)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cached.token.expose_secret(), "dossier-jwt-123");
    assert!(
        !format!("{cached:?}").contains("dossier-jwt-123"),
        "Debug must not show the token"
    );
    assert!(
        store
            .tokens()
            .octopus(&conn(), 1002, at(8, 5), margin)
            .await
            .unwrap()
            .is_none(),
        "another dossier's token is never handed out"
    );
    assert!(
        store
            .tokens()
            .octopus(&conn(), 1001, at(8, 9) + Duration::seconds(31), margin)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn invalidating_a_rejected_token_keeps_a_newer_one() {
    let aws = local().await;
    let store = aws.store();
    let old = SecretString::from("old");
    store
        .tokens()
        .put_octopus(
            &conn(),
            &OctopusToken {
                token: SecretString::from("new"),
                valid_until: at(8, 10),
                dossier: 1001,
            },
        )
        .await
        .unwrap();
    store.tokens().invalidate_octopus(&conn(), &old).await.unwrap();
    assert!(
        store
            .tokens()
            .octopus(&conn(), 1001, at(8, 0), Duration::zero())
            .await
            .unwrap()
            .is_some()
    );
    store
        .tokens()
        .invalidate_octopus(&conn(), &SecretString::from("new"))
        .await
        .unwrap();
    assert!(
        store
            .tokens()
            .octopus(&conn(), 1001, at(8, 0), Duration::zero())
            .await
            .unwrap()
            .is_none()
    );
}

// ------------------------------------------------------------------ reference data

#[tokio::test]
async fn reference_data_reads_back_typed_with_its_fetch_time() {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct VatCode {
        code: String,
        rate: rust_decimal::Decimal,
    }
    let aws = local().await;
    let store = aws.store();
    let codes = vec![
        VatCode {
            code: "21".into(),
            rate: rust_decimal_macros::dec!(21),
        },
        VatCode {
            code: "0-IC".into(),
            rate: rust_decimal_macros::dec!(0.00),
        },
    ];
    store
        .reference()
        .put(&conn(), ReferenceKind::VatCodes, &codes, at(6, 0))
        .await
        .unwrap();
    let cached = store
        .reference()
        .get::<Vec<VatCode>>(&conn(), ReferenceKind::VatCodes)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((cached.data, cached.fetched_at), (codes, at(6, 0)));
    assert!(
        store
            .reference()
            .get::<Vec<VatCode>>(&conn(), ReferenceKind::Accounts)
            .await
            .unwrap()
            .is_none()
    );
}

// ------------------------------------------------------------------ run reports

#[tokio::test]
async fn recent_run_reports_come_newest_first() {
    let aws = local().await;
    let store = aws.store();
    for (i, hour) in [7, 9, 8].into_iter().enumerate() {
        let report = RunReport {
            id: format!("run-{i}"),
            kind: RunKind::Push,
            started_at: at(hour, 0),
            finished_at: Some(at(hour, 1)),
            attempted: 3,
            done: 2,
            skipped: 0,
            failed: vec![focus_octopus::store::RunFailure {
                document: Some(invoice("i-9")),
                code: "VAT_RATE_UNMAPPED".into(),
                message: "Tax rate 6 % has no Octopus VAT code.".into(),
            }],
            notes: vec![],
        };
        store.runs().put(&conn(), &report).await.unwrap();
    }
    let recent = store.runs().recent(&conn(), 2).await.unwrap();
    let started: Vec<_> = recent.iter().map(|r| r.started_at).collect();
    assert_eq!(started, [at(9, 0), at(8, 0)]);
    assert_eq!(recent[0].failed[0].code, "VAT_RATE_UNMAPPED");
}

// ------------------------------------------------------------------ isolation

#[tokio::test]
async fn connections_do_not_see_each_others_items() {
    let aws = local().await;
    let store = aws.store();
    let other = ConnectionId::new("other").unwrap();
    store
        .documents()
        .ensure(&conn(), &invoice("i-1"), at(8, 0))
        .await
        .unwrap();
    assert!(store.documents().get(&other, &invoice("i-1")).await.unwrap().is_none());
    assert!(store.documents().list(&other).await.unwrap().is_empty());
}
