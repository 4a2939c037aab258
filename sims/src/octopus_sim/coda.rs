//! The bank-statement import of a dossier with a CODA mandate: Octopus books the statement in the bank journal and
//! assigns each incoming payment to an open sales booking, trying in the order its manual gives ("Importeren Coda
//! bestanden"): the booking's reference (the structured communication), the customer's bank account, name and
//! amount, amount. The manual's own CODA rules, and name + street + postcode, are out of scope. What matches
//! nothing is booked on the suspense account (499000) for the bookkeeper.
//!
//! The file is read as CODA writes it (records of 128 characters: 2.1 amount, date and communication, 2.3 the
//! payer's account and name, 9 the record count and totals); a malformed one is refused whole.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::json;

use super::state::{SimBalancing, SimBooking, SimDossier};
use super::{OctopusSim, SimBookingKey, routes};

/// The suspense account ("wachtrekening") unmatched payments go to.
pub const SUSPENSE_ACCOUNT: i32 = 499000;

/// By which of the manual's rules a payment was assigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    Reference,
    Account,
    NameAndAmount,
    Amount,
}

/// What became of one payment of the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assigned {
    pub amount: Decimal,
    /// The sales booking it was balanced against and the rule, or `None`: booked on the suspense account.
    pub matched: Option<(SimBookingKey, MatchedBy)>,
}

/// One payment as read from the file.
#[derive(Debug, Clone)]
struct Payment {
    amount: Decimal,
    date: NaiveDate,
    /// The twelve digits of a structured communication.
    structured: Option<String>,
    account: Option<String>,
    name: String,
}

fn field(line: &str, from: usize, to: usize) -> &str {
    line.get(from - 1..to).unwrap_or_default()
}

fn date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%d%m%y").map_err(|_| format!("'{text}' is not a CODA date"))
}

fn amount(text: &str) -> Result<Decimal, String> {
    let thousandths: i64 = text.parse().map_err(|_| format!("'{text}' is not a CODA amount"))?;
    Ok(Decimal::new(thousandths, 3).normalize())
}

/// The payments of a CODA file, checked against its trailer.
fn read(coda: &str) -> Result<Vec<Payment>, String> {
    let lines: Vec<&str> = coda.lines().filter(|l| !l.trim().is_empty()).collect();
    if let Some(bad) = lines.iter().position(|l| l.len() != 128) {
        return Err(format!("record {} is not 128 characters", bad + 1));
    }
    if lines.first().map(|l| &l[..1]) != Some("0") || lines.last().map(|l| &l[..1]) != Some("9") {
        return Err("a CODA file starts with record 0 and ends with record 9".into());
    }
    let mut payments: Vec<Payment> = Vec::new();
    let mut credits = Decimal::ZERO;
    for line in &lines {
        match &line[..2] {
            "21" => {
                let value = amount(field(line, 33, 47))?;
                let signed = if field(line, 32, 32) == "1" { -value } else { value };
                credits += signed.max(Decimal::ZERO);
                let communication = field(line, 63, 115);
                let structured = (field(line, 62, 62) == "1" && communication.starts_with("101"))
                    .then(|| communication[3..15].to_owned());
                payments.push(Payment {
                    amount: signed,
                    date: date(field(line, 48, 53))?,
                    structured,
                    account: None,
                    name: String::new(),
                });
            }
            "23" => {
                let payment = payments.last_mut().ok_or("record 2.3 before any 2.1")?;
                let account = field(line, 11, 47).split_whitespace().next().unwrap_or_default();
                payment.account = (!account.is_empty()).then(|| account.to_owned());
                payment.name = field(line, 48, 82).trim().to_owned();
            }
            _ => {}
        }
    }
    let trailer = lines.last().expect("checked above");
    let counted: usize = field(trailer, 17, 22)
        .parse()
        .map_err(|_| "the trailer's record count")?;
    // Every record but the header and the trailer.
    if counted != lines.len() - 2 {
        return Err(format!(
            "the trailer counts {counted} records, the file has {}",
            lines.len() - 2
        ));
    }
    if amount(field(trailer, 38, 52))? != credits.normalize() {
        return Err("the trailer's credit total is not the movements' sum".into());
    }
    Ok(payments)
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// The open sales bookings of a dossier: (index, open amount), oldest first.
fn open_sales(d: &SimDossier) -> Vec<(usize, Decimal)> {
    d.bookings
        .iter()
        .enumerate()
        .filter(|(_, b)| {
            d.journals
                .iter()
                .any(|j| j.key == b.journal && j.insertion_type.is_some())
        })
        .filter(|(_, b)| b.amount > Decimal::ZERO)
        .map(|(i, b)| {
            let balanced = d.balanced(&(b.bookyear, b.journal.clone(), b.document_nr, -1));
            (i, b.amount - balanced)
        })
        .filter(|(_, open)| *open > Decimal::ZERO)
        .collect()
}

/// The manual's order, first rule that gives exactly one booking (the account rule takes the oldest open booking
/// of that amount, or else the oldest of the customer).
fn assign(d: &SimDossier, p: &Payment) -> Option<(usize, MatchedBy)> {
    let open = open_sales(d);
    let relation_of = |i: usize| d.bookings[i].relation_id;
    let relation_data = |i: usize| relation_of(i).and_then(|id| d.relations.iter().find(|r| r.id == id));
    if let Some(structured) = &p.structured {
        let by_reference: Vec<usize> = open
            .iter()
            .filter(|(i, _)| d.bookings[*i].reference.as_deref().map(digits).as_deref() == Some(structured.as_str()))
            .map(|(i, _)| *i)
            .collect();
        if let [one] = by_reference[..] {
            return Some((one, MatchedBy::Reference));
        }
    }
    if let Some(account) = &p.account {
        let of_account: Vec<(usize, Decimal)> = open
            .iter()
            .copied()
            .filter(|(i, _)| relation_data(*i).is_some_and(|r| r.data["ibanAccountNr"] == account.as_str()))
            .collect();
        if let Some((i, _)) = of_account.iter().find(|(_, o)| *o == p.amount).or(of_account.first()) {
            return Some((*i, MatchedBy::Account));
        }
    }
    let name = p.name.to_lowercase();
    let by_name: Vec<usize> = open
        .iter()
        .filter(|(i, o)| {
            *o == p.amount
                && !name.is_empty()
                && relation_data(*i)
                    .is_some_and(|r| r.data["name"].as_str().map(str::to_lowercase) == Some(name.clone()))
        })
        .map(|(i, _)| *i)
        .collect();
    if let [one] = by_name[..] {
        return Some((one, MatchedBy::NameAndAmount));
    }
    let by_amount: Vec<usize> = open.iter().filter(|(_, o)| *o == p.amount).map(|(i, _)| *i).collect();
    if let [one] = by_amount[..] {
        return Some((one, MatchedBy::Amount));
    }
    None
}

impl OctopusSim {
    /// The dossier's bank delivers a CODA statement (a CODA mandate: no API call, no daily budget): the statement
    /// is booked in the bank journal F1, one line per payment, each payment balanced against the sales booking the
    /// manual's rules give, or booked on the suspense account.
    pub fn import_coda(&self, dossier: i32, coda: &str) -> Result<Vec<Assigned>, String> {
        let payments = read(coda)?;
        let Some(first) = payments.first() else {
            return Ok(Vec::new());
        };
        let statement_date = first.date;
        self.dossier(dossier, |d, now| {
            let bookyear = d
                .bookyears
                .iter()
                .find(|y| y.start <= statement_date && statement_date <= y.end)
                .map(|y| y.id)
                .ok_or_else(|| format!("no bookyear holds {statement_date}"))?;
            let mut assigned = Vec::new();
            let mut lines = Vec::new();
            let bank = d
                .journal_mut(bookyear, "F1")
                .ok_or("the dossier has no bank journal F1")?;
            bank.last_booked += 1;
            let nr = bank.last_booked;
            for (i, p) in payments.iter().enumerate() {
                let line_nr = i as i32 + 1;
                match assign(d, p).filter(|_| p.amount > Decimal::ZERO) {
                    Some((index, rule)) => {
                        let sale = &d.bookings[index];
                        let key = SimBookingKey {
                            bookyear: sale.bookyear,
                            journal: sale.journal.clone(),
                            document_nr: sale.document_nr,
                        };
                        lines.push(json!({ "type": "C", "relationId": sale.relation_id,
                            "reference": sale.reference, "amount": routes::number(-p.amount) }));
                        // Balanced at once, so a second payment of the same statement sees what is still open.
                        d.balancings.push(SimBalancing {
                            debet: (key.bookyear, key.journal.clone(), key.document_nr, -1),
                            credit: (bookyear, "F1".into(), nr, line_nr),
                            amount: p.amount,
                            modified_at: now,
                            deleted: false,
                        });
                        assigned.push(Assigned {
                            amount: p.amount,
                            matched: Some((key, rule)),
                        });
                    }
                    None => {
                        lines.push(json!({ "type": "A", "accountKey": SUSPENSE_ACCOUNT,
                            "reference": p.structured, "amount": routes::number(-p.amount) }));
                        assigned.push(Assigned {
                            amount: p.amount,
                            matched: None,
                        });
                    }
                }
            }
            let period = statement_date
                .format("%Y%m")
                .to_string()
                .parse::<i32>()
                .expect("a period key");
            let total: Decimal = payments.iter().map(|p| p.amount).sum();
            d.bookings.push(SimBooking {
                bookyear,
                journal: "F1".into(),
                document_nr: nr,
                amount: -total,
                relation_id: None,
                reference: None,
                data: json!({
                    "bookyearKey": { "id": bookyear }, "journalKey": "F1", "documentSequenceNr": nr,
                    "bookyearPeriodeNr": period, "documentDate": statement_date.to_string(), "exchangeRate": 1.0,
                    "bookingLines": lines,
                }),
                modified_at: now,
                attachments: Vec::new(),
            });
            Ok(assigned)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_whose_trailer_does_not_add_up_is_refused() {
        let statement =
            crate::bank::Statement::new("BE68539007547034", NaiveDate::from_ymd_opt(2026, 3, 12).unwrap(), 1).credit(
                Decimal::new(12150, 2),
                crate::bank::Communication::Free("factuur 17".into()),
                None,
                "De Kroon",
            );
        let coda = statement.to_coda();
        let payments = read(&coda).unwrap();
        assert_eq!(payments.len(), 1);
        assert_eq!(payments[0].amount, Decimal::new(12150, 2));
        assert_eq!(payments[0].name, "De Kroon");
        let tampered = coda.replacen("000000000121500", "000000000221500", 1);
        assert!(read(&tampered).unwrap_err().contains("credit total"));
        assert!(read(&coda[1..]).is_err(), "a record of 127 characters");
    }
}
