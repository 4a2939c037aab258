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

/// Reads a VAT number however it was typed ("BE 0899.623.035", "be899623035", "NL 1633.92.705 B01").
/// `None` when there is nothing that looks like one.
pub fn normalise_vat(raw: &str) -> Option<VatNumber> {
    let compact: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_uppercase();
    if compact.len() < 4 {
        return None;
    }
    let (prefix, rest) = compact.split_at(2);
    if !prefix.chars().all(|c| c.is_ascii_alphabetic()) {
        // Belgian numbers are often typed without the prefix.
        return belgian(&compact);
    }
    if prefix == "BE" {
        return belgian(rest);
    }
    Some(VatNumber {
        prefix: prefix.to_owned(),
        formatted: compact,
    })
}

fn belgian(digits: &str) -> Option<VatNumber> {
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let ten = match digits.len() {
        9 => format!("0{digits}"),
        10 => digits.to_owned(),
        _ => return None,
    };
    Some(VatNumber {
        prefix: "BE".into(),
        formatted: format!("BE{}.{}.{}", &ten[..4], &ten[4..7], &ten[7..]),
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
    use super::*;

    #[test]
    fn belgian_vat_numbers_take_octopus_form_however_they_were_typed() {
        for typed in [
            "BE0899623035",
            "BE 0899.623.035",
            "be899623035",
            "0899 623 035",
            "BE-0899-623-035",
        ] {
            assert_eq!(normalise_vat(typed).unwrap().formatted, "BE0899.623.035", "{typed}");
        }
        assert_eq!(normalise_vat("NL 1633.92.705 B01").unwrap().formatted, "NL163392705B01");
        assert_eq!(normalise_vat("BE 12"), None);
        assert_eq!(normalise_vat(""), None);
    }

    #[test]
    fn the_vat_type_follows_the_vat_number_then_the_country() {
        let be = normalise_vat("BE0899623035");
        let nl = normalise_vat("NL163392705B01");
        let ch = normalise_vat("CHE-123.456.789");
        assert_eq!(vat_type(be.as_ref(), Some("BE")), 1);
        assert_eq!(vat_type(nl.as_ref(), Some("NL")), 4);
        assert_eq!(vat_type(ch.as_ref(), Some("CH")), 6);
        assert_eq!(vat_type(None, Some("BE")), 7);
        assert_eq!(vat_type(None, Some("fr")), 8);
        assert_eq!(vat_type(None, Some("US")), 9);
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
