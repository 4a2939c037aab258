//! The Octopus operations the sync uses, with the daily limit the official OpenAPI document prints for each
//! ("Maximum allowed calls per day: N"). Every call is counted against its limit before it is made.

/// One Octopus operation, named after the spec's `operationId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    AuthenticateUser,
    GetDossiers,
    ConnectDossier,
    GetBookyears,
    GetJournals,
    GetAccounts,
    GetModifiedAccounts,
    GetVatCodes,
    /// `GET relations` with a search parameter (relationId, extRelationId, name, vatNr).
    SearchRelations,
    /// `GET relations` without a search parameter: the whole list.
    GetAllRelations,
    InsertUpdateRelation,
    GetModifiedRelations,
    InsertBuySellBooking,
    GetBuySellBooking,
    UpdateBuySellBooking,
    GetModifiedBuySellBookings,
    GetModifiedBalancings,
    InsertBalancing,
    InsertFinancialDiversBooking,
    GetModifiedFinancialDiversBookings,
    GetReportOpenClient,
}

impl Operation {
    pub const ALL: [Operation; 21] = [
        Operation::AuthenticateUser,
        Operation::GetDossiers,
        Operation::ConnectDossier,
        Operation::GetBookyears,
        Operation::GetJournals,
        Operation::GetAccounts,
        Operation::GetModifiedAccounts,
        Operation::GetVatCodes,
        Operation::SearchRelations,
        Operation::GetAllRelations,
        Operation::InsertUpdateRelation,
        Operation::GetModifiedRelations,
        Operation::InsertBuySellBooking,
        Operation::GetBuySellBooking,
        Operation::UpdateBuySellBooking,
        Operation::GetModifiedBuySellBookings,
        Operation::GetModifiedBalancings,
        Operation::InsertBalancing,
        Operation::InsertFinancialDiversBooking,
        Operation::GetModifiedFinancialDiversBookings,
        Operation::GetReportOpenClient,
    ];

    /// The spec's `operationId`.
    pub fn operation_id(self) -> &'static str {
        use Operation::*;
        match self {
            AuthenticateUser => "authenticateUser",
            GetDossiers => "getDossiers",
            ConnectDossier => "connectDossier",
            GetBookyears => "getBookyears",
            GetJournals => "getJournals",
            GetAccounts => "getAccounts",
            GetModifiedAccounts => "getModifiedAccounts",
            GetVatCodes => "getVatCodes",
            SearchRelations | GetAllRelations => "getRelations",
            InsertUpdateRelation => "insertUpdateRelation",
            GetModifiedRelations => "getModifiedRelations",
            InsertBuySellBooking => "insertBuySellBooking",
            GetBuySellBooking => "getBuySellBooking",
            UpdateBuySellBooking => "updateBuySellBooking",
            GetModifiedBuySellBookings => "getModifiedBuySellBookings",
            GetModifiedBalancings => "getModifiedBalancingRelations",
            InsertBalancing => "insertBalancing",
            InsertFinancialDiversBooking => "insertFinancialDiversBooking",
            GetModifiedFinancialDiversBookings => "getModifiedFinancialDiversBookings",
            GetReportOpenClient => "getReportOpenClient",
        }
    }

    /// Name of the daily budget this operation spends. `getRelations` has two limits, so two budgets.
    pub fn budget_name(self) -> &'static str {
        match self {
            Operation::SearchRelations => "getRelations-search",
            Operation::GetAllRelations => "getRelations-all",
            other => other.operation_id(),
        }
    }

    /// Calls allowed per day; `None` where the spec states no limit (login).
    pub fn daily_limit(self) -> Option<u32> {
        use Operation::*;
        match self {
            AuthenticateUser => None,
            GetDossiers | ConnectDossier => Some(150),
            GetBookyears | GetJournals | GetReportOpenClient => Some(24),
            GetAccounts | GetVatCodes | GetAllRelations => Some(2),
            GetModifiedAccounts
            | GetModifiedRelations
            | GetModifiedBuySellBookings
            | GetModifiedBalancings
            | GetModifiedFinancialDiversBookings => Some(48),
            SearchRelations
            | InsertUpdateRelation
            | InsertBuySellBooking
            | InsertBalancing
            | InsertFinancialDiversBooking => Some(400),
            GetBuySellBooking | UpdateBuySellBooking => Some(10),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn budget_names_are_distinct() {
        let names: HashSet<_> = Operation::ALL.iter().map(|o| o.budget_name()).collect();
        assert_eq!(names.len(), Operation::ALL.len());
    }

    /// The limits above must be those of Octopus's official operation index. It lives in the project's shared
    /// reference folder beside the checkout (not in this repository); without it there is nothing to compare.
    #[test]
    fn daily_limits_match_the_official_operation_index() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/reference/octopus/octopus-openapi-operation-index.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("not compared: {} is not beside the checkout", path.display());
            return;
        };
        let index: serde_json::Value = serde_json::from_str(&text).unwrap();
        let operations = index["operations"].as_array().unwrap();
        for operation in Operation::ALL {
            let entry = operations
                .iter()
                .find(|o| o["operationId"] == operation.operation_id())
                .unwrap_or_else(|| panic!("{} is not in the spec", operation.operation_id()));
            let documented = &entry["maxCallsPerDay"];
            let expected = match operation {
                // "2 without search parameters / 400 with search parameters"
                Operation::SearchRelations => Some(400),
                Operation::GetAllRelations => Some(2),
                // The index writes limits as text ("150"); no limit is null.
                _ => documented.as_str().map(|n| n.parse().expect("a number of calls")),
            };
            if matches!(operation, Operation::SearchRelations | Operation::GetAllRelations) {
                let text = documented.as_str().unwrap();
                assert!(text.contains("2 without") && text.contains("400 with"), "{text}");
            }
            assert_eq!(operation.daily_limit(), expected, "{}", operation.operation_id());
        }
    }
}
