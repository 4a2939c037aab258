//! The small key objects Octopus wraps its ids in (`{"id": 1}`), and the date formats it speaks.

use serde::{Deserialize, Serialize};

use crate::domain::{BookyearId, OctopusRelationId};

/// `BookyearKey`: `{"id": <small sequence number>}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BookyearKey {
    pub id: BookyearId,
}

/// `RelationKey`: `{"id": <Octopus relation id>}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelationKey {
    pub id: OctopusRelationId,
}

/// `DossierKey`: `{"id": <dossier id>}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DossierKey {
    pub id: i32,
}

/// `RelationIdentificationServiceData`: Octopus's key and our own int32 external id; either may be absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelationIdentification {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation_key: Option<RelationKey>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "absent::zero_is_none"
    )]
    pub external_relation_id: Option<i32>,
}

/// How Octopus writes "none" (recorded live): `0` for an id or account that is absent, `""` for an empty text. Read
/// as `None`, so that 0 is never taken for a relation or an account, nor "" for a VAT number.
pub(crate) mod absent {
    use serde::{Deserialize, Deserializer};

    pub fn zero_is_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
        Ok(Option::<i32>::deserialize(d)?.filter(|v| *v != 0))
    }

    pub fn empty_is_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<String>::deserialize(d)?.filter(|v| !v.trim().is_empty()))
    }
}

/// `modifiedTimeStamp` query parameters: `yyyy-MM-dd HH:mm:ss.SSS` (docs/partners/octopus.md §9). The time zone is
/// undocumented, so callers overlap their windows.
pub fn modified_timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}
