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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_relation_id: Option<i32>,
}

/// `modifiedTimeStamp` query parameters: `yyyy-MM-dd HH:mm:ss.SSS` (docs/partners/octopus.md §9). The time zone is
/// undocumented, so callers overlap their windows.
pub fn modified_timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}
