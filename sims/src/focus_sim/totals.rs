//! How the simulated Focus computes a document's amounts. Focus does not document its rounding
//! (docs/partners/focus.md §8.6); we use the common rule that makes per-rate VAT differ from the sum of line VAT:
//!
//! - line `tax_exclusive` = round₂(quantity × unit price × (1 − line discount));
//! - line `tax_inclusive` = round₂(line tax_exclusive × (1 + rate));
//! - per rate: `taxable` = round₂(Σ line tax_exclusive × (1 − document discount)), `tax` = round₂(taxable × rate);
//! - document `tax_exclusive` = Σ taxable, `tax_inclusive` = `payable` = tax_exclusive + Σ tax.
//!
//! Rounding is half away from zero. Amounts are those of the document (positive for credit notes too).

use rust_decimal::{Decimal, RoundingStrategy};

use super::state::{SimDocument, SimLine};

pub fn round2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn hundred() -> Decimal {
    Decimal::ONE_HUNDRED
}

pub fn line_before_discount(line: &SimLine) -> Decimal {
    round2(line.quantity * line.unit_price)
}

pub fn line_exclusive(line: &SimLine) -> Decimal {
    let discount = line.discount.unwrap_or_default();
    round2(line.quantity * line.unit_price * (hundred() - discount) / hundred())
}

pub fn line_inclusive(line: &SimLine, rate: Decimal) -> Decimal {
    round2(line_exclusive(line) * (Decimal::ONE + rate))
}

/// Per distinct rate, in order of first appearance: (rate, taxable, tax).
pub fn taxes(doc: &SimDocument, rate_of: impl Fn(&str) -> Decimal) -> Vec<(Decimal, Decimal, Decimal)> {
    let mut rates: Vec<Decimal> = Vec::new();
    for line in &doc.lines {
        let rate = rate_of(&line.tax_rate);
        if !rates.contains(&rate) {
            rates.push(rate);
        }
    }
    let keep = (hundred() - doc.discount.unwrap_or_default()) / hundred();
    rates
        .into_iter()
        .map(|rate| {
            let base: Decimal = doc
                .lines
                .iter()
                .filter(|l| rate_of(&l.tax_rate) == rate)
                .map(line_exclusive)
                .sum();
            let taxable = round2(base * keep);
            (rate, taxable, round2(taxable * rate))
        })
        .collect()
}

/// (tax_exclusive, tax_inclusive = payable)
pub fn document_totals(doc: &SimDocument, rate_of: impl Fn(&str) -> Decimal) -> (Decimal, Decimal) {
    let taxes = taxes(doc, rate_of);
    let exclusive: Decimal = taxes.iter().map(|t| t.1).sum();
    let tax: Decimal = taxes.iter().map(|t| t.2).sum();
    (exclusive, exclusive + tax)
}
