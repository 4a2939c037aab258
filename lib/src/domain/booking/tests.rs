use super::*;
use crate::domain::Code;
use rust_decimal_macros::dec;

fn rates() -> HashMap<String, TaxRateInfo> {
    [
        ("r21", dec!(0.21), "21%"),
        ("r6", dec!(0.06), "6%"),
        ("r0-export", dec!(0), "0% export"),
        ("r0-icl", dec!(0), "0% intracommunautair"),
    ]
    .into_iter()
    .map(|(id, rate, d)| {
        (
            id.to_owned(),
            TaxRateInfo {
                rate,
                description: d.into(),
            },
        )
    })
    .collect()
}

fn mapping() -> Mapping {
    Mapping {
        vat_codes: [("r21", "21"), ("r6", "06"), ("r0-export", "47"), ("r0-icl", "46")]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect(),
        default_ledger: Some("700000".into()),
        category_ledgers: [("catering".to_owned(), "700100".to_owned())].into(),
        tax_rates: rates(),
        ..Default::default()
    }
}

fn line(rate: &str, amount: Decimal) -> SourceLine {
    SourceLine {
        tax_rate_id: rate.into(),
        category_id: None,
        amount,
    }
}

fn doc(lines: Vec<SourceLine>, taxes: Vec<(Decimal, Decimal, Decimal)>, payable: Decimal) -> SourceDocument {
    let date = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    SourceDocument {
        kind: DocumentKind::Invoice,
        number: "2026 / 17".into(),
        payment_reference: None,
        credited_number: None,
        date,
        due_date: date,
        lines,
        taxes,
        payable,
        currency: "EUR".into(),
        exchange_rate: Decimal::ONE,
        discount_percentages: Vec::new(),
    }
}

#[test]
fn values_a_bookkeeper_would_not_book_are_refused_before_anything_is_sent() {
    let mapping = mapping();
    let negative = doc(
        vec![line("r21", dec!(-100))],
        vec![(dec!(0.21), dec!(-100), dec!(-21))],
        dec!(-121),
    );
    let refused = build_booking(&negative, &mapping).unwrap_err();
    assert_eq!(refused.code(), Code::DOCUMENT_NEGATIVE_TOTAL);
    assert!(refused.to_string().contains("credit note"), "{refused}");
    let credit_note = SourceDocument {
        kind: DocumentKind::CreditNote,
        ..negative
    };
    assert!(
        build_booking(&credit_note, &mapping).is_ok(),
        "a credit note's sign is its own"
    );

    let mut discounted = doc(
        vec![line("r21", dec!(-20))],
        vec![(dec!(0.21), dec!(-20), dec!(-4.2))],
        dec!(-24.2),
    );
    discounted.discount_percentages = vec![dec!(10), dec!(120)];
    let refused = build_booking(&discounted, &mapping).unwrap_err();
    assert_eq!(refused.code(), Code::DOCUMENT_DISCOUNT_OVER_100);
    assert!(refused.to_string().contains("120 %"), "{refused}");

    assert_eq!(MAX_AMOUNT, dec!(9999999999999.99));
    let huge = doc(
        vec![line("r21", dec!(10000000000000))],
        vec![(dec!(0.21), dec!(10000000000000), dec!(2100000000000))],
        dec!(12100000000000),
    );
    let refused = build_booking(&huge, &mapping).unwrap_err();
    assert_eq!(refused.code(), Code::DOCUMENT_AMOUNT_OUT_OF_RANGE);
    assert!(refused.to_string().contains("12100000000000"), "{refused}");
    let largest = doc(
        vec![line("r21", dec!(1000000000000))],
        vec![(dec!(0.21), dec!(1000000000000), dec!(210000000000))],
        dec!(1210000000000),
    );
    assert!(build_booking(&largest, &mapping).is_ok());
}

#[test]
fn vat_per_rate_is_focus_s_even_when_the_lines_round_differently() {
    let d = doc(
        vec![
            line("r21", dec!(0.35)),
            line("r21", dec!(0.35)),
            line("r21", dec!(0.35)),
        ],
        vec![(dec!(0.21), dec!(1.05), dec!(0.22))],
        dec!(1.27),
    );
    let b = build_booking(&d, &mapping()).unwrap();
    assert_eq!(
        b.lines,
        [DraftLine {
            ledger: 700000,
            vat_code: "21".into(),
            base: dec!(1.05),
            vat: dec!(0.22)
        }]
    );
    assert_eq!(b.amount, dec!(1.27));
}

#[test]
fn zero_rate_variants_land_on_their_own_vat_codes() {
    let d = doc(
        vec![line("r0-export", dec!(100)), line("r0-icl", dec!(50))],
        vec![(dec!(0), dec!(150), dec!(0))],
        dec!(150),
    );
    let b = build_booking(&d, &mapping()).unwrap();
    let codes: Vec<_> = b.lines.iter().map(|l| (l.vat_code.as_str(), l.base)).collect();
    assert_eq!(codes, [("46", dec!(50)), ("47", dec!(100))]);
}

#[test]
fn a_category_ledger_wins_over_the_default() {
    let mut catering = line("r6", dec!(10));
    catering.category_id = Some("catering".into());
    let d = doc(
        vec![catering, line("r6", dec!(10))],
        vec![(dec!(0.06), dec!(20), dec!(1.2))],
        dec!(21.2),
    );
    let b = build_booking(&d, &mapping()).unwrap();
    let ledgers: Vec<_> = b.lines.iter().map(|l| (l.ledger, l.base, l.vat)).collect();
    assert_eq!(ledgers, [(700000, dec!(10), dec!(0.6)), (700100, dec!(10), dec!(0.6))]);
}

#[test]
fn a_document_discount_is_taken_from_focus_taxable_and_the_cent_goes_to_the_largest_group() {
    let mut catering = line("r21", dec!(33.33));
    catering.category_id = Some("catering".into());
    // 10 % document discount: Focus taxable = round(66.67 × 0.9) = 60.00, tax 12.60.
    let d = doc(
        vec![catering, line("r21", dec!(33.34))],
        vec![(dec!(0.21), dec!(60.00), dec!(12.60))],
        dec!(72.60),
    );
    let b = build_booking(&d, &mapping()).unwrap();
    let total: Decimal = b.lines.iter().map(|l| l.base + l.vat).sum();
    assert_eq!(total, dec!(72.60));
    assert_eq!(b.lines.iter().map(|l| l.base).sum::<Decimal>(), dec!(60.00));
    assert_eq!(b.lines.iter().map(|l| l.vat).sum::<Decimal>(), dec!(12.60));
}

#[test]
fn a_credit_note_has_positive_lines_and_a_negative_amount() {
    let mut d = doc(
        vec![line("r21", dec!(100))],
        vec![(dec!(0.21), dec!(100), dec!(21))],
        dec!(121),
    );
    d.kind = DocumentKind::CreditNote;
    let b = build_booking(&d, &mapping()).unwrap();
    assert_eq!(b.amount, dec!(-121));
    assert_eq!((b.lines[0].base, b.lines[0].vat), (dec!(100), dec!(21)));
}

#[test]
fn unmapped_rates_and_missing_accounts_are_named_with_the_fix() {
    let mut m = mapping();
    m.vat_codes.remove("r6");
    let d = doc(
        vec![line("r6", dec!(10))],
        vec![(dec!(0.06), dec!(10), dec!(0.6))],
        dec!(10.6),
    );
    let err = build_booking(&d, &m).unwrap_err();
    assert_eq!(err.code(), Code::VAT_RATE_UNMAPPED);
    assert!(err.to_string().contains("'6%'") && err.to_string().contains("focus-octopus map"));

    let mut m = mapping();
    m.accounts = Some([700100].into());
    let err = build_booking(&d, &{
        let mut m2 = m.clone();
        m2.vat_codes.insert("r6".into(), "06".into());
        m2
    })
    .unwrap_err();
    assert_eq!(err, MappingError::AccountMissing { account: 700000 });
    assert_eq!(err.class(), ErrorClass::Permanent);
}

#[test]
fn totals_that_do_not_add_up_are_refused() {
    let d = doc(
        vec![line("r21", dec!(100))],
        vec![(dec!(0.21), dec!(100), dec!(21))],
        dec!(125),
    );
    assert_eq!(
        build_booking(&d, &mapping()).unwrap_err().code(),
        Code::FOCUS_TOTALS_INCONSISTENT
    );
}

#[test]
fn short_focus_ledgers_are_padded_to_six_digits() {
    assert_eq!(ledger_number("70100"), Ok(701000));
    assert_eq!(ledger_number("700000"), Ok(700000));
    assert!(ledger_number("70A").is_err());
    assert!(ledger_number("7000001").is_err());
}
