//! The rule that turns a Focus document into an Octopus sales booking (docs/DESIGN.md §5). Pure: tested with plain
//! values and properties.
//!
//! - Lines are grouped by (ledger account, VAT code). Ledger = the line's product-category ledger for the
//!   department → the connection's ledger for the tax rate → the default. VAT code = the connection's map keyed by
//!   the Focus tax-rate **id** (the 0 % variants share a rate and differ only by id).
//! - **Totals are Focus's**: per rate, the groups' bases add up to Focus's `taxable` and their VAT to Focus's `tax`
//!   (split in proportion to the lines, each remainder cent on the largest group of that rate, ties by ledger and
//!   code); the booking amount is Focus's payable total. A difference left between the two (Focus's own rounding of
//!   the payable) goes onto the largest group's base.
//! - Credit notes: positive lines, negative amount.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use super::Code;
use super::{DocumentKind, ErrorClass, Failure};

/// A Focus document as the rule needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDocument {
    pub kind: DocumentKind,
    /// Focus document number, such as "2026 / 17": the booking's order reference, the file's name.
    pub number: String,
    /// An invoice's Belgian structured communication (`+++084/2613/66074+++`), when Focus has one.
    pub payment_reference: Option<String>,
    /// A credit note's credited invoice number, when it credits one.
    pub credited_number: Option<String>,
    pub date: NaiveDate,
    pub due_date: NaiveDate,
    pub lines: Vec<SourceLine>,
    /// Focus's `total.taxes`: (rate as a fraction, taxable, tax).
    pub taxes: Vec<(Decimal, Decimal, Decimal)>,
    pub payable: Decimal,
    pub currency: String,
    pub exchange_rate: Decimal,
    /// Every percentage discount the document carries (its own and its lines'), to refuse one over 100 %.
    pub discount_percentages: Vec<Decimal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceLine {
    pub tax_rate_id: String,
    pub category_id: Option<String>,
    /// The line's `total.tax_exclusive` (after its own discount).
    pub amount: Decimal,
}

/// A Focus tax rate: its fraction and description (for messages).
#[derive(Debug, Clone, PartialEq)]
pub struct TaxRateInfo {
    pub rate: Decimal,
    pub description: String,
}

/// What the connection and both partners say about mapping.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    /// Focus tax-rate id → Octopus VAT code.
    pub vat_codes: BTreeMap<String, String>,
    /// Focus tax-rate id → ledger account.
    pub ledger_by_tax_rate: BTreeMap<String, String>,
    pub default_ledger: Option<String>,
    /// Focus product-category id → ledger account of the document's department.
    pub category_ledgers: HashMap<String, String>,
    /// Focus tax-rate id → rate.
    pub tax_rates: HashMap<String, TaxRateInfo>,
    /// Octopus accounts of the bookyear, when known: a ledger outside it is refused before posting.
    pub accounts: Option<HashSet<i32>>,
    /// Octopus sales VAT codes, when known.
    pub sales_vat_codes: Option<HashSet<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftLine {
    pub ledger: i32,
    pub vat_code: String,
    pub base: Decimal,
    pub vat: Decimal,
}

/// The booking to post, without its Octopus keys (bookyear, period, journal, number, relation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingDraft {
    /// Negative for a credit note.
    pub amount: Decimal,
    pub lines: Vec<DraftLine>,
    /// The Focus document number: the booking's `orderReference`.
    pub number: String,
    /// What Octopus matches a payment by ([`super::reference::booking_reference`]).
    pub reference: String,
    pub document_date: NaiveDate,
    pub due_date: NaiveDate,
    pub currency: String,
    pub exchange_rate: Decimal,
}

impl BookingDraft {
    pub fn vat_total(&self) -> Decimal {
        self.lines.iter().map(|l| l.vat).sum()
    }

    /// The lines in a stable text form, to see later whether Focus changed the document.
    pub fn fingerprint(&self) -> String {
        let mut lines: Vec<String> = self
            .lines
            .iter()
            .map(|l| {
                format!(
                    "{}|{}|{}|{}",
                    l.ledger,
                    l.vat_code,
                    l.base.normalize(),
                    l.vat.normalize()
                )
            })
            .collect();
        lines.sort();
        lines.join(";")
    }
}

/// Why a document cannot be booked as it is. All permanent: a person fixes the mapping or the data, then resyncs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error(
        "Tax rate '{description}' (Focus id {tax_rate_id}) has no Octopus VAT code. Map it with `focus-octopus map`, \
         then resync the document."
    )]
    VatRateUnmapped { tax_rate_id: String, description: String },

    #[error(
        "No ledger account for the lines at tax rate '{description}' (Focus id {tax_rate_id}): their product \
         category has no ledger, no account is mapped for the rate and no default is set. Set one with \
         `focus-octopus map`, then resync."
    )]
    LedgerUnmapped { tax_rate_id: String, description: String },

    #[error("'{value}' is not an Octopus ledger account number (six digits, such as 700000). Correct the mapping.")]
    LedgerInvalid { value: String },

    #[error(
        "Ledger account {account} does not exist in the Octopus bookyear. Create it in Octopus or map another \
         account, then resync."
    )]
    AccountMissing { account: i32 },

    #[error("VAT code '{code}' is not a sales VAT code of the Octopus dossier. Correct the mapping, then resync.")]
    VatCodeMissing { code: String },

    #[error("The document uses tax rate {tax_rate_id}, which Focus does not list for the department.")]
    TaxRateUnknown { tax_rate_id: String },

    #[error(
        "The document's totals in Focus do not add up (lines and taxes give {computed}, payable is {payable}); \
         correct it in Focus."
    )]
    TotalsInconsistent { computed: Decimal, payable: Decimal },

    #[error("The document has no lines to book.")]
    NoLines,

    #[error(
        "The invoice's total is {payable}: a negative amount is credited with a credit note, not booked as an \
         invoice. Nothing was sent to Octopus. Credit it in Focus with a credit note (or correct the invoice), then \
         resync."
    )]
    NegativeInvoice { payable: Decimal },

    #[error(
        "The document has a discount of {percentage} %, more than the whole price. Nothing was sent to Octopus. \
         Correct the discount in Focus, then resync."
    )]
    DiscountOver100 { percentage: Decimal },

    #[error(
        "The amount {amount} is larger than Octopus can hold to the cent (at most {max}). Nothing was sent to Octopus. \
         Correct the document in Focus (a quantity or price typed wrongly?), then resync."
    )]
    AmountOutOfRange { amount: Decimal, max: Decimal },
}

/// The largest amount booked: Octopus's amounts are JSON numbers read as doubles (its official document says
/// `format: double`), which hold every amount of at most 15 significant digits exactly, so 13 digits before the cent.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(2_764_472_319, 232_830, 0, false, 2);

impl Failure for MappingError {
    fn code(&self) -> Code {
        match self {
            MappingError::VatRateUnmapped { .. } => Code::VAT_RATE_UNMAPPED,
            MappingError::LedgerUnmapped { .. } => Code::LEDGER_UNMAPPED,
            MappingError::LedgerInvalid { .. } => Code::LEDGER_INVALID,
            MappingError::AccountMissing { .. } => Code::OCTOPUS_ACCOUNT_MISSING,
            MappingError::VatCodeMissing { .. } => Code::OCTOPUS_VAT_CODE_MISSING,
            MappingError::TaxRateUnknown { .. } => Code::FOCUS_TAX_RATE_UNKNOWN,
            MappingError::TotalsInconsistent { .. } => Code::FOCUS_TOTALS_INCONSISTENT,
            MappingError::NoLines => Code::DOCUMENT_WITHOUT_LINES,
            MappingError::NegativeInvoice { .. } => Code::DOCUMENT_NEGATIVE_TOTAL,
            MappingError::DiscountOver100 { .. } => Code::DOCUMENT_DISCOUNT_OVER_100,
            MappingError::AmountOutOfRange { .. } => Code::DOCUMENT_AMOUNT_OUT_OF_RANGE,
        }
    }

    fn class(&self) -> ErrorClass {
        ErrorClass::Permanent
    }
}

fn round2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Splits `total` over `weights` in proportion, to the cent, the remainder on the largest weight (first on ties).
fn split(total: Decimal, weights: &[Decimal]) -> Vec<Decimal> {
    let sum: Decimal = weights.iter().sum();
    let mut parts: Vec<Decimal> = if sum.is_zero() {
        let mut parts = vec![Decimal::ZERO; weights.len()];
        if let Some(first) = parts.first_mut() {
            *first = total;
        }
        return parts;
    } else {
        weights.iter().map(|w| round2(total * w / sum)).collect()
    };
    let remainder = total - parts.iter().sum::<Decimal>();
    if let Some(largest) = largest(weights) {
        parts[largest] += remainder;
    }
    parts
}

fn largest(weights: &[Decimal]) -> Option<usize> {
    (0..weights.len()).reduce(|best, i| {
        if weights[i].abs() > weights[best].abs() {
            i
        } else {
            best
        }
    })
}

fn ledger_number(value: &str) -> Result<i32, MappingError> {
    let trimmed = value.trim();
    // Focus ledgers may be written shorter ("70100"); Octopus numbers have six digits.
    let padded = format!("{trimmed:0<6}");
    match padded.parse::<i32>() {
        Ok(n) if trimmed.chars().all(|c| c.is_ascii_digit()) && padded.len() == 6 => Ok(n),
        _ => Err(MappingError::LedgerInvalid {
            value: value.to_owned(),
        }),
    }
}

/// Values a bookkeeper would not want booked as they are, or Octopus cannot hold: refused before anything is sent.
fn refuse_unbookable_values(doc: &SourceDocument) -> Result<(), MappingError> {
    if let Some(percentage) = doc.discount_percentages.iter().find(|p| **p > Decimal::ONE_HUNDRED) {
        return Err(MappingError::DiscountOver100 {
            percentage: percentage.normalize(),
        });
    }
    if doc.kind == DocumentKind::Invoice && doc.payable < Decimal::ZERO {
        return Err(MappingError::NegativeInvoice { payable: doc.payable });
    }
    let amounts = std::iter::once(doc.payable)
        .chain(doc.lines.iter().map(|l| l.amount))
        .chain(doc.taxes.iter().flat_map(|(_, taxable, tax)| [*taxable, *tax]));
    let mut sum_of_lines = Decimal::ZERO;
    for line in &doc.lines {
        sum_of_lines = sum_of_lines.checked_add(line.amount.abs()).unwrap_or(Decimal::MAX);
    }
    if let Some(amount) = amounts.chain([sum_of_lines]).find(|a| a.abs() > MAX_AMOUNT) {
        return Err(MappingError::AmountOutOfRange {
            amount: amount.normalize(),
            max: MAX_AMOUNT,
        });
    }
    Ok(())
}

/// Builds the booking of `doc` under `mapping`.
pub fn build_booking(doc: &SourceDocument, mapping: &Mapping) -> Result<BookingDraft, MappingError> {
    if doc.lines.is_empty() {
        return Err(MappingError::NoLines);
    }
    refuse_unbookable_values(doc)?;
    // Group the lines: (rate) → (ledger, code) → Σ amount.
    let mut by_rate: BTreeMap<Decimal, BTreeMap<(i32, String), Decimal>> = BTreeMap::new();
    for line in &doc.lines {
        let info = mapping
            .tax_rates
            .get(&line.tax_rate_id)
            .ok_or_else(|| MappingError::TaxRateUnknown {
                tax_rate_id: line.tax_rate_id.clone(),
            })?;
        let code = mapping
            .vat_codes
            .get(&line.tax_rate_id)
            .ok_or_else(|| MappingError::VatRateUnmapped {
                tax_rate_id: line.tax_rate_id.clone(),
                description: info.description.clone(),
            })?;
        if let Some(known) = &mapping.sales_vat_codes
            && !known.contains(code)
        {
            return Err(MappingError::VatCodeMissing { code: code.clone() });
        }
        let ledger = line
            .category_id
            .as_ref()
            .and_then(|c| mapping.category_ledgers.get(c))
            .or_else(|| mapping.ledger_by_tax_rate.get(&line.tax_rate_id))
            .or(mapping.default_ledger.as_ref())
            .ok_or_else(|| MappingError::LedgerUnmapped {
                tax_rate_id: line.tax_rate_id.clone(),
                description: info.description.clone(),
            })?;
        let ledger = ledger_number(ledger)?;
        if let Some(accounts) = &mapping.accounts
            && !accounts.contains(&ledger)
        {
            return Err(MappingError::AccountMissing { account: ledger });
        }
        *by_rate
            .entry(info.rate.normalize())
            .or_default()
            .entry((ledger, code.clone()))
            .or_default() += line.amount;
    }

    let mut lines = Vec::new();
    for (rate, groups) in &by_rate {
        let keys: Vec<&(i32, String)> = groups.keys().collect();
        let weights: Vec<Decimal> = groups.values().copied().collect();
        let lines_base: Decimal = weights.iter().sum();
        // Focus's own figures for this rate; without them, what its rule would give.
        let (taxable, tax) = doc
            .taxes
            .iter()
            .find(|(r, _, _)| r.normalize() == *rate)
            .map(|(_, taxable, tax)| (*taxable, *tax))
            .unwrap_or_else(|| (round2(lines_base), round2(lines_base * rate)));
        let bases = split(taxable, &weights);
        let vats = split(tax, &weights);
        for (i, (ledger, code)) in keys.into_iter().enumerate() {
            lines.push(DraftLine {
                ledger: *ledger,
                vat_code: code.clone(),
                base: bases[i],
                vat: vats[i],
            });
        }
    }

    let credit_note = doc.kind == DocumentKind::CreditNote;
    // Credit-note amounts are positive in Focus's examples; if a negative one comes, its magnitude is booked.
    let sign = if credit_note && doc.payable < Decimal::ZERO {
        -Decimal::ONE
    } else {
        Decimal::ONE
    };
    for line in &mut lines {
        line.base *= sign;
        line.vat *= sign;
    }
    let payable = doc.payable * sign;
    let computed: Decimal = lines.iter().map(|l| l.base + l.vat).sum();
    let difference = payable - computed;
    if !difference.is_zero() {
        // Focus rounded its payable separately: tolerate a cent per rate, refuse anything larger.
        let tolerance = Decimal::new(1, 2) * Decimal::from(by_rate.len());
        if difference.abs() > tolerance {
            return Err(MappingError::TotalsInconsistent { computed, payable });
        }
        let weights: Vec<Decimal> = lines.iter().map(|l| l.base).collect();
        if let Some(i) = largest(&weights) {
            lines[i].base += difference;
        }
    }
    let amount = if credit_note { -payable } else { payable };
    Ok(BookingDraft {
        amount,
        lines,
        number: doc.number.clone(),
        reference: super::reference::booking_reference(
            doc.kind,
            &doc.number,
            doc.payment_reference.as_deref(),
            doc.credited_number.as_deref(),
        ),
        document_date: doc.date,
        due_date: doc.due_date,
        currency: doc.currency.clone(),
        exchange_rate: doc.exchange_rate,
    })
}

#[cfg(test)]
mod tests;
