//! Customer rules: VAT numbers in Octopus's form and the relation's VAT type (docs/DESIGN.md §5).

/// EU member states by their VAT prefix (Greece uses EL; XI is Northern Ireland for goods).
const EU_VAT_PREFIXES: [&str; 28] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
];

/// EU member states by ISO 3166 country code (Greece is GR here).
const EU_COUNTRIES: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "GR", "ES", "FI", "FR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// A VAT number with its country prefix, in the form Octopus stores: `BE0xxx.xxx.xxx` for Belgium, prefix and
/// characters without separators elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VatNumber {
    pub prefix: String,
    /// As sent to Octopus.
    pub formatted: String,
}

/// Why a typed VAT number is not one: said to a bookkeeper after "… is not a valid VAT number: ".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidVat {
    pub typed: String,
    pub why: String,
}

impl std::fmt::Display for InvalidVat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\"{}\" is not a valid VAT number: {}", self.typed, self.why)
    }
}

/// Reads a VAT number as it was typed ("BE 0899.623.035", "be0899623035", "NL 1633.92.705 B01") and checks it against
/// its country's format and check digits. Only spacing, dots, hyphens and case are ever changed: a number with a
/// digit missing or a wrong check is refused, never completed into someone else's number (docs/DESIGN.md §5).
///
/// `Ok(None)` for an empty field. Digits without a prefix are read as Belgian when the customer is in Belgium (or its
/// country is unknown); a prefix that is not a VAT country is accepted as typed only when it is the customer's own
/// country outside the EU (their numbers have formats we do not check).
pub fn read_vat(raw: &str, country: Option<&str>) -> Result<Option<VatNumber>, InvalidVat> {
    let invalid = |why: &str| InvalidVat {
        typed: raw.trim().to_owned(),
        why: why.to_owned(),
    };
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if let Some(c) = trimmed
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || c.is_whitespace() || matches!(c, '.' | '-')))
    {
        return Err(invalid(&format!("it contains '{c}', which no VAT number has")));
    }
    let compact: String = trimmed
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_uppercase();
    let country = country.map(|c| c.trim().to_uppercase()).filter(|c| !c.is_empty());
    if compact.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return match country.as_deref() {
            None | Some("BE") => belgian(&compact).map(Some).map_err(|why| invalid(&why)),
            Some(other) => Err(invalid(&format!(
                "it has no country prefix (a customer in {other} needs one, such as {other}…)"
            ))),
        };
    }
    if compact.len() < 3 {
        return Err(invalid("it is too short"));
    }
    let (prefix, rest) = compact.split_at(2);
    if !prefix.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(invalid("it does not start with a country prefix such as BE"));
    }
    if prefix == "BE" {
        return belgian(rest).map(Some).map_err(|why| invalid(&why));
    }
    // Northern Ireland's XI numbers are United Kingdom numbers with another prefix.
    let checked = if prefix == "XI" {
        format!("GB{rest}")
    } else {
        compact.clone()
    };
    let country_of_prefix = if prefix == "XI" { "GB" } else { prefix };
    let result = vat_id_validator::check_vat_by_country(&checked, country_of_prefix);
    if result.is_supported_country {
        if !result.is_valid_format {
            return Err(invalid(&format!(
                "it does not have the format of a VAT number of {}",
                result.country_name.unwrap_or_else(|| prefix.to_owned())
            )));
        }
        if !result.is_valid {
            return Err(invalid("its check digits do not match (a digit is wrong or missing)"));
        }
    } else if country.as_deref() != Some(prefix) || EU_COUNTRIES.contains(&prefix) {
        return Err(invalid(&format!(
            "'{prefix}' is not a VAT country prefix we can check, nor the customer's country"
        )));
    }
    Ok(Some(VatNumber {
        prefix: prefix.to_owned(),
        formatted: compact,
    }))
}

/// A valid VAT number, or `None` for anything else (customer matching: an invalid number matches nothing).
pub fn normalise_vat(raw: &str) -> Option<VatNumber> {
    read_vat(raw, None).ok().flatten()
}

/// Belgian VAT numbers are the enterprise number: ten digits, the first 0 or 1, the last two 97 minus the first
/// eight modulo 97.
fn belgian(digits: &str) -> Result<VatNumber, String> {
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("a Belgian VAT number has only digits after BE".into());
    }
    if digits.len() != 10 {
        return Err(format!(
            "a Belgian VAT number has 10 digits (such as BE0123.456.749), this one has {}",
            digits.len()
        ));
    }
    if !digits.starts_with(['0', '1']) {
        return Err("a Belgian VAT number starts with 0 or 1 after BE".into());
    }
    let body: u64 = digits[..8].parse().expect("eight digits");
    let check: u64 = digits[8..].parse().expect("two digits");
    if 97 - body % 97 != check {
        return Err("its check digits do not match (a digit is wrong or missing)".into());
    }
    Ok(VatNumber {
        prefix: "BE".into(),
        formatted: format!("BE{}.{}.{}", &digits[..4], &digits[4..7], &digits[7..]),
    })
}

/// Octopus `vatType` (btw-plichtigheid), derived, never left unknown when we can know it:
/// BE VAT number → 1 (Belgian VAT-liable); other EU VAT number → 4 (intra-community); non-EU VAT number → 6;
/// no VAT number → private person 7 (BE), 8 (EU) or 9 (outside the EU) by country.
pub fn vat_type(vat: Option<&VatNumber>, country: Option<&str>) -> i32 {
    match vat {
        Some(v) if v.prefix == "BE" => 1,
        Some(v) if EU_VAT_PREFIXES.contains(&v.prefix.as_str()) => 4,
        Some(_) => 6,
        None => {
            let country = country.map(|c| c.trim().to_uppercase()).unwrap_or_else(|| "BE".into());
            if country == "BE" {
                7
            } else if EU_COUNTRIES.contains(&country.as_str()) {
                8
            } else {
                9
            }
        }
    }
}

/// Text as a customer typed it, with what cannot belong in a name or an address taken out: control characters
/// (a tab or line break becomes a space) and the invisible marks that reverse or isolate the direction of text
/// (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), which can make a name read differently from what it is.
/// Nothing else is changed. Returns the text and how many characters were taken out.
pub fn clean_text(raw: &str) -> (String, usize) {
    let mut removed = 0;
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        let direction_mark =
            matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}');
        if matches!(c, '\t' | '\n' | '\r') {
            removed += 1;
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else if c.is_control() || direction_mark || c == '\u{FEFF}' {
            removed += 1;
        } else {
            out.push(c);
        }
    }
    if removed == 0 {
        return (raw.to_owned(), 0);
    }
    (out.trim().to_owned(), removed)
}

/// A customer's bank account as Octopus's bank import matches it: the IBAN in electronic form (no spaces,
/// upper case) and the BIC, each only when it is valid (ISO 13616 with its check digits and the country's length;
/// ISO 9362: 8 or 11 characters). What is not valid is left out and named, never sent altered.
pub fn read_bank_account(iban: Option<&str>, bic: Option<&str>) -> (Option<String>, Option<String>, Vec<String>) {
    use iban::IbanLike;
    let mut refused = Vec::new();
    let compact = |raw: &str| -> String {
        raw.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase()
    };
    let iban = iban
        .map(compact)
        .filter(|i| !i.is_empty())
        .and_then(|raw| match raw.parse::<iban::Iban>() {
            Ok(valid) => Some(valid.electronic_str().to_owned()),
            Err(_) => {
                refused.push(format!("the IBAN '{raw}' is not a valid IBAN"));
                None
            }
        });
    let bic = bic.map(compact).filter(|b| !b.is_empty()).and_then(|raw| {
        let valid = matches!(raw.len(), 8 | 11)
            && raw[..6].chars().all(|c| c.is_ascii_uppercase())
            && raw[6..].chars().all(|c| c.is_ascii_alphanumeric());
        if valid {
            Some(raw)
        } else {
            refused.push(format!("the BIC '{raw}' is not a valid BIC"));
            None
        }
    });
    (iban, bic, refused)
}

/// Octopus `factLanguage` from a Focus language code: 0 NL, 1 FR, 2 EN, 3 DE.
pub fn fact_language(language: Option<&str>) -> i32 {
    match language.map(|l| l.get(..2).unwrap_or(l).to_lowercase()).as_deref() {
        Some("fr") => 1,
        Some("en") => 2,
        Some("de") => 3,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_bank_account_is_sent_in_electronic_form_and_an_invalid_one_is_left_out_and_named() {
        let (iban, bic, refused) = read_bank_account(Some("be68 5390 0754 7034"), Some("gkccbebb"));
        assert_eq!(iban.as_deref(), Some("BE68539007547034"));
        assert_eq!(bic.as_deref(), Some("GKCCBEBB"));
        assert!(refused.is_empty());
        let (iban, bic, refused) = read_bank_account(Some("BE68539007547035"), Some("GKCC"));
        assert_eq!((iban, bic), (None, None));
        assert_eq!(refused.len(), 2, "{refused:?}");
        assert!(refused[0].contains("BE68539007547035"), "{refused:?}");
        assert_eq!(read_bank_account(Some(" "), None), (None, None, Vec::new()));
    }

    use super::*;

    #[test]
    fn belgian_vat_numbers_take_octopus_form_however_they_were_spaced() {
        for typed in [
            "BE0899623035",
            "BE 0899.623.035",
            "be0899623035",
            "0899 623 035",
            "BE-0899-623-035",
        ] {
            assert_eq!(normalise_vat(typed).unwrap().formatted, "BE0899.623.035", "{typed}");
        }
        assert_eq!(normalise_vat("NL 0044.95.445 B01").unwrap().formatted, "NL004495445B01");
        assert_eq!(read_vat("", Some("BE")), Ok(None));
        assert_eq!(read_vat("   ", None), Ok(None));
    }

    #[test]
    fn a_malformed_vat_number_is_refused_never_completed_into_another() {
        // A digit missing: padding it would give BE0047.747.270, somebody else's number.
        let missing = read_vat("BE 0477.472.70", Some("BE")).unwrap_err();
        assert!(missing.why.contains("10 digits"), "{missing}");
        assert!(read_vat("BE 0477.472.701", Some("BE")).is_ok());
        // A wrong check (the last digit changed).
        assert!(
            read_vat("BE0477472702", Some("BE"))
                .unwrap_err()
                .why
                .contains("check digits")
        );
        assert!(read_vat("BE12", Some("BE")).is_err());
        assert!(
            read_vat("BE2477472743", None).unwrap_err().why.contains("0 or 1"),
            "the first digit is 0 or 1"
        );
        // Other EU member states: their national format and check digits.
        assert!(read_vat("DE136695976", Some("DE")).is_ok());
        assert!(
            read_vat("DE136695977", Some("DE"))
                .unwrap_err()
                .why
                .contains("check digits")
        );
        assert!(read_vat("FR 40 303265045", Some("FR")).is_ok());
        assert!(read_vat("NL12345", Some("NL")).unwrap_err().why.contains("format"));
        assert_eq!(read_vat("EL094259216", Some("GR")).unwrap().unwrap().prefix, "EL");
        // Characters no VAT number has, digits without a prefix abroad, a prefix that is no VAT country.
        assert!(read_vat("BE0899623035;", None).is_err());
        assert!(read_vat("136695976", Some("DE")).unwrap_err().why.contains("prefix"));
        assert!(read_vat("BTW 0899.623.035", Some("BE")).is_err());
        // Outside the EU: checked where the format is known, else accepted as typed in the customer's own country.
        assert!(read_vat("CHE-116.281.710", Some("CH")).is_ok());
        assert!(read_vat("US 12-3456789", Some("US")).is_ok());
        assert!(read_vat("US 12-3456789", Some("BE")).is_err());
    }

    #[test]
    fn the_vat_type_follows_the_vat_number_then_the_country() {
        let be = normalise_vat("BE0899623035");
        let nl = normalise_vat("NL004495445B01");
        let ch = read_vat("CHE-116.281.710", Some("CH")).unwrap();
        assert_eq!(vat_type(be.as_ref(), Some("BE")), 1);
        assert_eq!(vat_type(nl.as_ref(), Some("NL")), 4);
        assert_eq!(vat_type(ch.as_ref(), Some("CH")), 6);
        assert_eq!(vat_type(None, Some("BE")), 7);
        assert_eq!(vat_type(None, Some("fr")), 8);
        assert_eq!(vat_type(None, Some("US")), 9);
    }

    #[test]
    fn control_and_direction_characters_leave_names_and_nothing_else_does() {
        assert_eq!(clean_text("Brouwerij De Kroon"), ("Brouwerij De Kroon".into(), 0));
        assert_eq!(clean_text("Café\u{0}  Zoë"), ("Café  Zoë".into(), 1));
        assert_eq!(clean_text("Kerkstraat 1\nbus 2"), ("Kerkstraat 1 bus 2".into(), 1));
        // "evil\u{202E}fdp.exe" would read as "evilexe.pdf".
        assert_eq!(clean_text("evil\u{202E}fdp.exe"), ("evilfdp.exe".into(), 1));
        assert_eq!(clean_text("\u{2067}شركة\u{2069} NV"), ("شركة NV".into(), 2));
        assert_eq!(clean_text("\u{7}\u{1B}[31m"), ("[31m".into(), 2));
    }

    #[test]
    fn the_invoice_language_maps_to_octopus_numbers() {
        assert_eq!(fact_language(Some("nl-BE")), 0);
        assert_eq!(fact_language(Some("fr")), 1);
        assert_eq!(fact_language(Some("en")), 2);
        assert_eq!(fact_language(Some("de")), 3);
        assert_eq!(fact_language(None), 0);
    }
}
