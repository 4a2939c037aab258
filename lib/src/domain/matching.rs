//! Pairing existing Focus customers with existing Octopus relations (docs/DESIGN.md §4.4): by normalised VAT number, then
//! company (enterprise) number, then normalised name, with legal forms, case, punctuation, accents and spacing
//! folded. A key that points at more than one candidate is ambiguous and never linked: a person decides.

use std::collections::{BTreeMap, BTreeSet};

use unicode_normalization::UnicodeNormalization;

use super::customer::normalise_vat;

/// Legal-form words dropped from names (Belgian, Dutch, French, German, English).
const LEGAL_FORMS: [&str; 22] = [
    "bv", "nv", "bvba", "cvba", "cv", "vof", "commv", "comm", "vzw", "srl", "sa", "sprl", "scrl", "snc", "asbl", "sc",
    "gmbh", "ag", "ltd", "llc", "inc", "sarl",
];

/// A name with accents, case, punctuation, spacing and legal forms folded: "Brouwerij  De Kroon B.V." and
/// "brouwerij de kroon" give the same key.
pub fn normalise_name(name: &str) -> String {
    let folded: String = name
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase();
    // "B.V." and "b v" are one word once the dots go; letters of a word split by dots are joined first.
    let words: Vec<String> = folded
        .split(|c: char| c.is_whitespace() || c == ',' || c == '-' || c == '&' || c == '/' || c == '(' || c == ')')
        .map(|w| w.chars().filter(|c| c.is_alphanumeric()).collect::<String>())
        .filter(|w| !w.is_empty())
        .collect();
    let kept: Vec<&str> = words
        .iter()
        .map(String::as_str)
        .filter(|w| !LEGAL_FORMS.contains(w))
        .collect();
    kept.concat()
}

/// The Belgian enterprise number (ten digits) a VAT number or company number carries.
pub fn enterprise_number(raw: &str) -> Option<String> {
    let vat = normalise_vat(raw)?;
    (vat.prefix == "BE").then(|| vat.formatted.chars().filter(char::is_ascii_digit).collect())
}

/// One side's party, as matching sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party<K> {
    pub key: K,
    pub name: String,
    pub vat_number: Option<String>,
    /// Focus `national_identification_number` (the enterprise number for Belgian companies).
    pub company_number: Option<String>,
}

/// Why two parties were paired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    VatNumber,
    CompanyNumber,
    Name,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchPlan<F, O> {
    pub linked: Vec<(F, O, MatchedBy)>,
    /// A Focus party whose key points at several relations, or a relation several Focus parties point at.
    pub ambiguous: Vec<(F, Vec<O>)>,
    /// Focus parties with no relation: the next sync creates them in Octopus.
    pub unmatched: Vec<F>,
}

fn vat_key<K>(p: &Party<K>) -> Option<String> {
    p.vat_number.as_deref().and_then(normalise_vat).map(|v| v.formatted)
}

fn company_key<K>(p: &Party<K>) -> Option<String> {
    p.company_number
        .as_deref()
        .and_then(enterprise_number)
        .or_else(|| p.vat_number.as_deref().and_then(enterprise_number))
}

fn name_key<K>(p: &Party<K>) -> Option<String> {
    Some(normalise_name(&p.name)).filter(|n| !n.is_empty())
}

/// Pairs `focus` with `octopus` parties. Each rule runs on what the earlier ones left; within a rule a key must
/// identify exactly one party on each side.
pub fn plan_matches<F: Clone + Ord, O: Clone + Ord>(focus: &[Party<F>], octopus: &[Party<O>]) -> MatchPlan<F, O> {
    let mut plan = MatchPlan {
        linked: Vec::new(),
        ambiguous: Vec::new(),
        unmatched: Vec::new(),
    };
    let mut open_focus: Vec<&Party<F>> = focus.iter().collect();
    let mut open_octopus: Vec<&Party<O>> = octopus.iter().collect();
    let mut ambiguous: BTreeMap<F, BTreeSet<O>> = BTreeMap::new();
    type KeyFn<K> = fn(&Party<K>) -> Option<String>;
    let rules: [(MatchedBy, KeyFn<F>, KeyFn<O>); 3] = [
        (MatchedBy::VatNumber, vat_key::<F>, vat_key::<O>),
        (MatchedBy::CompanyNumber, company_key::<F>, company_key::<O>),
        (MatchedBy::Name, name_key::<F>, name_key::<O>),
    ];
    for (reason, focus_key, octopus_key) in rules {
        let mut by_key_octopus: BTreeMap<String, Vec<&Party<O>>> = BTreeMap::new();
        for o in &open_octopus {
            if let Some(k) = octopus_key(o) {
                by_key_octopus.entry(k).or_default().push(o);
            }
        }
        let mut by_key_focus: BTreeMap<String, Vec<&Party<F>>> = BTreeMap::new();
        for f in &open_focus {
            if let Some(k) = focus_key(f) {
                by_key_focus.entry(k).or_default().push(f);
            }
        }
        let mut linked_focus = BTreeSet::new();
        let mut linked_octopus = BTreeSet::new();
        for (key, fs) in &by_key_focus {
            let Some(os) = by_key_octopus.get(key) else { continue };
            if fs.len() == 1 && os.len() == 1 {
                if !ambiguous.contains_key(&fs[0].key) {
                    plan.linked.push((fs[0].key.clone(), os[0].key.clone(), reason));
                    linked_focus.insert(fs[0].key.clone());
                    linked_octopus.insert(os[0].key.clone());
                }
            } else {
                for f in fs {
                    ambiguous
                        .entry(f.key.clone())
                        .or_default()
                        .extend(os.iter().map(|o| o.key.clone()));
                }
            }
        }
        open_focus.retain(|f| !linked_focus.contains(&f.key) && !ambiguous.contains_key(&f.key));
        open_octopus.retain(|o| !linked_octopus.contains(&o.key));
    }
    plan.unmatched = open_focus.into_iter().map(|f| f.key.clone()).collect();
    plan.ambiguous = ambiguous
        .into_iter()
        .map(|(f, os)| (f, os.into_iter().collect()))
        .collect();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn party(key: u32, name: &str, vat: Option<&str>) -> Party<u32> {
        Party {
            key,
            name: name.into(),
            vat_number: vat.map(str::to_owned),
            company_number: None,
        }
    }

    #[test]
    fn names_fold_legal_forms_accents_case_punctuation_and_spacing() {
        assert_eq!(normalise_name("Brouwerij  De Kroon B.V."), "brouwerijdekroon");
        assert_eq!(normalise_name("brouwerij de kroon"), "brouwerijdekroon");
        assert_eq!(normalise_name("Café Élysée SRL"), "cafeelysee");
        assert_eq!(normalise_name("L'Atelier, S.A."), "latelier");
        assert_eq!(normalise_name("BVBA"), "");
    }

    #[test]
    fn vat_then_company_number_then_name_and_ambiguity_is_never_linked() {
        let focus = vec![
            party(1, "Kroon", Some("BE 0477.472.701")),
            party(2, "Smet NV", None),
            party(3, "Peeters", None),
            party(4, "Nieuw", None),
        ];
        let mut with_number = party(5, "Janssens", None);
        with_number.company_number = Some("0899.623.035".into());
        let focus = [focus, vec![with_number]].concat();
        let octopus = vec![
            party(10, "Brouwerij De Kroon", Some("BE0477472701")),
            party(11, "SMET", None),
            party(12, "Peeters BV", None),
            party(13, "Peeters NV", None),
            party(14, "Janssens & Co", Some("BE0899.623.035")),
        ];
        let plan = plan_matches(&focus, &octopus);
        assert_eq!(
            plan.linked,
            [
                (1, 10, MatchedBy::VatNumber),
                (5, 14, MatchedBy::CompanyNumber),
                (2, 11, MatchedBy::Name)
            ]
        );
        assert_eq!(plan.ambiguous, [(3, vec![12, 13])]);
        assert_eq!(plan.unmatched, [4]);
    }
}
