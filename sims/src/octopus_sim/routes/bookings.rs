//! What sales, financial and diverse bookings share: the checks of their target (bookyear, period, journal, the
//! gapless number with `-13`), the commit, and the `modified` feeds as Octopus sends them.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::values::modified_since;
use super::{
    Call, POST, Refusal, Reply, Route, bad_parameters, in_dossier, journal_locked, list, not_found, refuse, reply,
    technical,
};
use crate::octopus_sim::state::{SimBooking, SimDossier, SimJournal};

pub(super) fn routes() -> Vec<Route> {
    use focus_octopus::octopus::Operation::AddAttachementToBooking;
    vec![in_dossier(
        "bookyears/{bookyear}/bookings/attachements",
        POST,
        AddAttachementToBooking,
        add_attachment,
    )]
}

/// `addAttachementToBooking`: one file (`AttachementData`) added to a booking named by the path's bookyear and the
/// headers `journalKey` and `documentSequennceNr` (sic); 204. Without document storage, 403.
fn add_attachment(d: &mut SimDossier, call: &Call) -> Reply {
    let header = |name: &str| call.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (Some(bookyear), Some(journal), Some(nr)) = (
        call.bookyear,
        header("journalKey"),
        header("documentSequennceNr").and_then(|v| v.parse::<i32>().ok()),
    ) else {
        return bad_parameters("journalKey, documentSequennceNr");
    };
    let wrapped = json!({ "attachments": [call.body] });
    let files = match attachments(d, &wrapped) {
        Ok(files) => files,
        Err(refused) => return refused,
    };
    let Some(booking) = d
        .bookings
        .iter_mut()
        .find(|b| b.bookyear == bookyear && b.journal == journal && b.document_nr == nr)
    else {
        return not_found("Booking not found");
    };
    booking.attachments.extend(files);
    reply(204, None)
}

/// A bookings `modified` feed: `bookyearId` (-1 = all) required, `journalKey` optional, journals of one kind.
pub(super) fn modified_bookings(d: &SimDossier, query: &HashMap<String, String>, kind: impl Fn(&str) -> bool) -> Reply {
    let Some(by) = query.get("bookyearId").and_then(|v| v.parse::<i32>().ok()) else {
        return technical(400, "Invalid or missing parameters passed");
    };
    let since = match modified_since(query, true) {
        Ok(since) => since,
        Err(r) => return r,
    };
    let journal = query.get("journalKey");
    list(
        d.bookings
            .iter()
            .filter(|b| kind(&b.journal))
            .filter(|b| (by == -1 || b.bookyear == by) && journal.is_none_or(|j| &b.journal == j))
            .filter(|b| b.modified_at >= since)
            .map(|b| as_octopus_sends(b.data.clone()))
            .collect(),
        "No bookings found",
    )
}

/// A stored booking as Octopus's answers carry it (recorded live): lines without an account have `accountKey: 0`,
/// without a relation `relationId: 0` and `externalRelationId: 0`, and text fields that are empty are `""`, never
/// `null` or absent.
pub(super) fn as_octopus_sends(mut data: Value) -> Value {
    for field in ["comment", "reference", "orderReference"] {
        if data.get(field).is_none_or(Value::is_null) && data.get("bookingLines").is_some() {
            data[field] = json!("");
        }
    }
    if let Some(lines) = data.get_mut("bookingLines").and_then(Value::as_array_mut) {
        for line in lines {
            for field in ["accountKey", "relationId", "externalRelationId"] {
                if line.get(field).is_none_or(Value::is_null) {
                    line[field] = json!(0);
                }
            }
            for field in ["comment", "reference"] {
                if line.get(field).is_none_or(Value::is_null) {
                    line[field] = json!("");
                }
            }
        }
    }
    data
}

/// The booking's service data under `name`, once every field Octopus requires is there.
pub(super) fn service_data<'a>(body: &'a Value, name: &str, required: &[&str]) -> Result<&'a Value, Reply> {
    let data = &body[name];
    if !data.is_object() {
        return Err(bad_parameters(name));
    }
    match required
        .iter()
        .find(|field| data.get(**field).is_none_or(Value::is_null))
    {
        Some(missing) => Err(bad_parameters(missing)),
        None => Ok(data),
    }
}

/// The largest file taken with a booking. Octopus documents no limit for `AttachementData`; 10 MB is the
/// simulator's assumption (docs/partners/octopus.md §11), as strict as a request limit in front of the service.
pub(super) const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// The files a booking request carries in `attachments`, decoded. Without document storage a booking with files is
/// refused whole (403, the wording of Octopus's upload operations), so nothing is booked.
pub(super) fn attachments(d: &SimDossier, body: &Value) -> Result<Vec<(String, Vec<u8>)>, Reply> {
    use base64::Engine;
    let Some(list) = body.get("attachments").filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let Some(list) = list.as_array() else {
        return Err(bad_parameters("attachments must be a list"));
    };
    if !list.is_empty() && !d.document_storage {
        return Err(technical(403, "No DMS access for this dossier"));
    }
    let mut files = Vec::new();
    for (i, file) in list.iter().enumerate() {
        let Some(name) = file["fileName"].as_str().filter(|n| !n.trim().is_empty()) else {
            return Err(bad_parameters(&format!("attachments[{i}].fileName")));
        };
        let decoded = file["fileData"]
            .as_str()
            .and_then(|text| base64::engine::general_purpose::STANDARD.decode(text).ok());
        let Some(bytes) = decoded else {
            return Err(bad_parameters(&format!("attachments[{i}].fileData must be base64")));
        };
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(bad_parameters(&format!(
                "attachments[{i}].fileData: {} bytes, more than {MAX_ATTACHMENT_BYTES}",
                bytes.len()
            )));
        }
        files.push((name.to_owned(), bytes));
    }
    Ok(files)
}

pub(super) struct Target {
    pub bookyear: i32,
    pub journal: String,
    pub document_nr: i32,
}

/// The checks every booking passes before its content: bookyear and period open and holding the date, journal of
/// the right kind and not locked, and the document number exactly the last + 1.
pub(super) fn booking_target(
    d: &mut SimDossier,
    data: &Value,
    document_date: NaiveDate,
    right_kind: impl Fn(&SimJournal) -> bool,
) -> Result<Target, Reply> {
    let (Some(bookyear), Some(period), Some(journal), Some(nr)) = (
        data["bookyearKey"]["id"].as_i64().and_then(|v| i32::try_from(v).ok()),
        data["bookyearPeriodeNr"].as_i64().and_then(|v| i32::try_from(v).ok()),
        data["journalKey"].as_str(),
        data["documentSequenceNr"].as_i64().and_then(|v| i32::try_from(v).ok()),
    ) else {
        return Err(bad_parameters(
            "bookyearKey, bookyearPeriodeNr, journalKey, documentSequenceNr",
        ));
    };
    let dossier = d.id;
    let Some(by) = d.bookyears.iter().find(|b| b.id == bookyear) else {
        return Err(refuse(
            Refusal::UnknownBookyearOrPeriod,
            "Het boekjaar bestaat niet.",
            format!("Bookyear {bookyear} not found in dossier {dossier}"),
        ));
    };
    if by.closed {
        return Err(refuse(
            Refusal::BookyearClosed,
            "Het boekjaar is afgesloten.",
            format!("Bookyear {bookyear} is closed"),
        ));
    }
    let Some((_, start, end)) = by.periods.iter().find(|(key, _, _)| *key == period) else {
        return Err(refuse(
            Refusal::UnknownBookyearOrPeriod,
            "De periode bestaat niet.",
            format!("Period {period} not found in bookyear {bookyear}"),
        ));
    };
    if document_date < *start || document_date > *end {
        return Err(refuse(
            Refusal::DateOutsidePeriod,
            "De documentdatum valt buiten de periode.",
            format!("Document date {document_date} is outside period {period}"),
        ));
    }
    let Some(j) = d.journal_mut(bookyear, journal) else {
        return Err(refuse(
            Refusal::WrongJournal,
            "Het dagboek bestaat niet.",
            format!("Journal {journal} not found in bookyear {bookyear}"),
        ));
    };
    if !right_kind(j) {
        return Err(refuse(
            Refusal::WrongJournal,
            "Dit dagboek aanvaardt deze boeking niet.",
            format!("Journal {journal} does not take this kind of booking"),
        ));
    }
    if j.closed || j.locked {
        return Err(journal_locked());
    }
    if j.closed_period.is_some_and(|closed| period <= closed) {
        return Err(refuse(
            Refusal::PeriodClosed,
            "De periode is afgesloten voor dit dagboek.",
            format!("Period {period} is closed in journal {journal}"),
        ));
    }
    if nr != j.last_booked + 1 {
        // Wording of the live answers (docs/partners/octopus.md §7): a sales booking's reads "Last Document = 6",
        // a financial or diverse booking's "Last Document : 5".
        let info = if journal.starts_with('V') {
            format!(
                "Unable to insert booking in dossier {dossier}.  Illegal document seq Nr.  Last Document = {}.  \
                 New Document = {nr}. ",
                j.last_booked
            )
        } else {
            format!("Illegal document sequence nr.  Last Document : {}", j.last_booked)
        };
        return Err(reply(
            400,
            Some(json!({
                "errorCode": -13,
                "errorMessage": "Het document nummer is ongeldig. Het document nummer dient tevens oplopend te zijn en \
                                 dient opeenvolgend te zijn met het laatste document nummer van het dagboek.",
                "technicalInfo": info,
            })),
        ));
    }
    Ok(Target {
        bookyear,
        journal: journal.to_owned(),
        document_nr: nr,
    })
}

pub(super) fn commit_booking(
    d: &mut SimDossier,
    t: Target,
    amount: Decimal,
    relation_id: Option<i32>,
    data: &Value,
    now: DateTime<Utc>,
) {
    let j = d
        .journal_mut(t.bookyear, &t.journal)
        .expect("checked by booking_target");
    j.last_booked = t.document_nr;
    d.bookings.push(SimBooking {
        bookyear: t.bookyear,
        journal: t.journal,
        document_nr: t.document_nr,
        amount,
        relation_id,
        reference: data["reference"].as_str().map(str::to_owned),
        data: data.clone(),
        modified_at: now,
        attachments: Vec::new(),
    });
}
