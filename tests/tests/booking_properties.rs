//! For generated Focus documents (computed the way the Focus simulator computes them: lines, line and document
//! discounts, several rates, the 0 % variants, credit notes), the booking adds up exactly: Σ lines (base + VAT)
//! equals the booking amount, which equals Focus's payable total.

use std::collections::HashMap;

use chrono::NaiveDate;
use focus_octopus::domain::DocumentKind;
use focus_octopus::domain::booking::{Mapping, SourceDocument, SourceLine, TaxRateInfo, build_booking};
use focus_octopus_tests::focus_sim::state_for_tests::{SimDocument, doc_for_tests};
use focus_octopus_tests::focus_sim::{SimLine, totals};
use proptest::prelude::*;
use rust_decimal::Decimal;

const RATES: [(&str, i64, u32, &str); 7] = [
    ("r21", 21, 2, "21"),
    ("r12", 12, 2, "12"),
    ("r6", 6, 2, "06"),
    ("r0-exempt", 0, 0, "00"),
    ("r0-cocontractor", 0, 0, "45"),
    ("r0-icl", 0, 0, "46"),
    ("r0-export", 0, 0, "47"),
];

fn rate_of(id: &str) -> Decimal {
    RATES
        .iter()
        .find(|r| r.0 == id)
        .map_or(Decimal::ZERO, |r| Decimal::new(r.1, r.2))
}

fn mapping() -> Mapping {
    Mapping {
        vat_codes: RATES.iter().map(|r| (r.0.to_owned(), r.3.to_owned())).collect(),
        default_ledger: Some("700000".into()),
        category_ledgers: [("catering".to_owned(), "700100".to_owned())].into(),
        tax_rates: RATES
            .iter()
            .map(|r| {
                (
                    r.0.to_owned(),
                    TaxRateInfo {
                        rate: rate_of(r.0),
                        description: r.0.into(),
                    },
                )
            })
            .collect::<HashMap<_, _>>(),
        ..Default::default()
    }
}

fn line_strategy() -> impl Strategy<Value = SimLine> {
    (
        1i64..=40,
        1i64..=99_999,
        0usize..RATES.len(),
        prop::option::of(1i64..=50),
        any::<bool>(),
    )
        .prop_map(|(half_units, cents, rate, discount, catering)| SimLine {
            description: "line".into(),
            quantity: Decimal::new(half_units * 5, 1),
            unit_price: Decimal::new(cents, 2),
            tax_rate: RATES[rate].0.into(),
            discount: discount.map(Decimal::from),
            category: catering.then(|| "catering".to_owned()),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_booking_adds_up_to_focus_payable_total_exactly(
        lines in prop::collection::vec(line_strategy(), 1..8),
        document_discount in prop::option::of(1i64..=20),
        credit_note in any::<bool>(),
    ) {
        let kind = if credit_note { DocumentKind::CreditNote } else { DocumentKind::Invoice };
        let sim: SimDocument = doc_for_tests(lines, document_discount.map(Decimal::from), credit_note);
        let taxes = totals::taxes(&sim, rate_of);
        let (_, payable) = totals::document_totals(&sim, rate_of);
        let date = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let source = SourceDocument {
            kind,
            number: "2026 / 1".into(),
        payment_reference: None,
        credited_number: None,
            date,
            due_date: date,
            lines: sim
                .lines
                .iter()
                .map(|l| SourceLine {
                    tax_rate_id: l.tax_rate.clone(),
                    category_id: l.category.clone(),
                    amount: totals::line_exclusive(l),
                })
                .collect(),
            taxes,
            payable,
            discount_percentages: Vec::new(),
            currency: "EUR".into(),
            exchange_rate: Decimal::ONE,
        };

        let booking = build_booking(&source, &mapping()).unwrap();

        let sum: Decimal = booking.lines.iter().map(|l| l.base + l.vat).sum();
        prop_assert_eq!(sum, payable);
        let expected = if credit_note { -payable } else { payable };
        prop_assert_eq!(booking.amount, expected);
        for line in &booking.lines {
            prop_assert!(line.base >= Decimal::ZERO && line.vat >= Decimal::ZERO, "{:?}", line);
            prop_assert!(line.base.scale() <= 2 && line.vat.scale() <= 2);
        }
        // Per rate, the VAT booked is Focus's.
        for (rate, _, tax) in &source.taxes {
            let codes: Vec<&str> = RATES.iter().filter(|r| rate_of(r.0) == *rate).map(|r| r.3).collect();
            let booked: Decimal = booking.lines.iter().filter(|l| codes.contains(&l.vat_code.as_str())).map(|l| l.vat).sum();
            prop_assert_eq!(booked, *tax);
        }
    }
}
