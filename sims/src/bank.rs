//! The customer's bank, for the tests and the demo: it writes the day's account statement as a CODA file (the
//! Belgian banks' statement format, Febelfin standard 2.x: fixed records of 128 characters), which the Octopus
//! simulator imports as a CODA mandate would. Only what reconciliation reads is filled in: per credit movement the
//! amount, the date, the structured or free communication, the payer's account and name.

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// What the payer wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Communication {
    /// A Belgian structured communication, as twelve digits or `+++ddd/dddd/ddddd+++`.
    Structured(String),
    Free(String),
}

/// One incoming payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    pub amount: Decimal,
    pub communication: Communication,
    /// The payer's IBAN (electronic form), when the bank gives it.
    pub account: Option<String>,
    pub name: String,
}

/// One day's statement of the dossier's bank account.
#[derive(Debug, Clone)]
pub struct Statement {
    pub account: String,
    pub date: NaiveDate,
    pub number: u32,
    pub movements: Vec<Movement>,
}

impl Statement {
    pub fn new(account: &str, date: NaiveDate, number: u32) -> Self {
        Statement {
            account: account.into(),
            date,
            number,
            movements: Vec::new(),
        }
    }

    pub fn credit(mut self, amount: Decimal, communication: Communication, account: Option<&str>, name: &str) -> Self {
        self.movements.push(Movement {
            amount,
            communication,
            account: account.map(str::to_owned),
            name: name.into(),
        });
        self
    }

    /// The statement as a CODA file: header (0), old balance (1), per movement 2.1 / 2.2 / 2.3, new balance (8),
    /// trailer (9) with the record count and the movement totals.
    pub fn to_coda(&self) -> String {
        let date = self.date.format("%d%m%y").to_string();
        let mut records = vec![record(&[
            (1, "0"),
            (2, "0000"),
            (6, &date),
            (12, "300"),
            (15, "05"),
            (17, " "),
            (24, "focus-octopus sim bank"),
            (128, "2"),
        ])];
        records.push(record(&[
            (1, "1"),
            (2, "2"),
            (3, &format!("{:03}", self.number % 1000)),
            (6, &self.account),
            (25, "EUR"),
            (43, "0"),
            (44, &amount15(Decimal::ZERO)),
            (59, &date),
            (65, "BAKKERIJ PEETERS BV"),
            (126, &format!("{:03}", self.number % 1000)),
        ]));
        let mut total = Decimal::ZERO;
        for (i, m) in self.movements.iter().enumerate() {
            total += m.amount;
            let seq = format!("{:04}", i + 1);
            let (kind, text) = match &m.communication {
                Communication::Structured(r) => {
                    let digits: String = r.chars().filter(char::is_ascii_digit).collect();
                    ("1", format!("101{digits}"))
                }
                Communication::Free(t) => ("0", t.clone()),
            };
            records.push(record(&[
                (1, "21"),
                (3, &seq),
                (7, "0000"),
                (11, &format!("SIM{:018}", i + 1)),
                (32, if m.amount < Decimal::ZERO { "1" } else { "0" }),
                (33, &amount15(m.amount.abs())),
                (48, &date),
                (54, "00150000"),
                (62, kind),
                (63, &text),
                (116, &date),
                (122, &format!("{:03}", self.number % 1000)),
                (125, "0"),
                (126, "1"),
                (128, "0"),
            ]));
            records.push(record(&[(1, "22"), (3, &seq), (7, "0000"), (126, "1"), (128, "0")]));
            records.push(record(&[
                (1, "23"),
                (3, &seq),
                (7, "0000"),
                (11, m.account.as_deref().unwrap_or_default()),
                (48, &m.name),
                (126, "0"),
                (128, "0"),
            ]));
        }
        records.push(record(&[
            (1, "8"),
            (2, &format!("{:03}", self.number % 1000)),
            (5, &self.account),
            (42, "0"),
            (43, &amount15(total)),
            (58, &date),
            (128, "0"),
        ]));
        let counted = records.len() - 1; // every record but the header (and the trailer)
        records.push(record(&[
            (1, "9"),
            (17, &format!("{counted:06}")),
            (23, &amount15(Decimal::ZERO)),
            (38, &amount15(total)),
            (128, "2"),
        ]));
        let mut out = records.join("\n");
        out.push('\n');
        out
    }
}

/// An amount as CODA writes it: 15 digits, the last three decimals.
fn amount15(amount: Decimal) -> String {
    use rust_decimal::prelude::ToPrimitive;
    let thousandths = (amount.round_dp(3) * Decimal::from(1000)).trunc();
    format!("{:015}", thousandths.to_i128().unwrap_or_default())
}

/// A 128-character record with each text at its (1-based) position, cut to what fits before the next field.
fn record(fields: &[(usize, &str)]) -> String {
    let mut line = vec![b' '; 128];
    for (i, (pos, text)) in fields.iter().enumerate() {
        let end = fields.get(i + 1).map_or(128, |(next, _)| next - 1);
        for (slot, byte) in line[pos - 1..end].iter_mut().zip(text.bytes().filter(u8::is_ascii)) {
            *slot = byte;
        }
    }
    String::from_utf8(line).expect("ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn every_record_is_128_characters_with_the_fields_where_coda_puts_them() {
        let coda = Statement::new("BE68539007547034", NaiveDate::from_ymd_opt(2026, 3, 12).unwrap(), 7)
            .credit(
                dec!(121.50),
                Communication::Structured("+++084/2613/66074+++".into()),
                Some("BE71096123456769"),
                "Brouwerij De Kroon BV",
            )
            .to_coda();
        let lines: Vec<&str> = coda.lines().collect();
        assert!(lines.iter().all(|l| l.len() == 128), "{coda}");
        let movement = lines[2];
        assert_eq!(&movement[..2], "21");
        assert_eq!(&movement[32..47], "000000000121500");
        assert_eq!(&movement[47..53], "120326");
        assert_eq!(&movement[61..62], "1");
        assert_eq!(&movement[62..77], "101084261366074");
        assert_eq!(lines[4][10..26].trim(), "BE71096123456769");
        assert_eq!(lines[4][47..82].trim(), "Brouwerij De Kroon BV");
        assert_eq!(&lines[6][16..22], "000005");
    }
}
