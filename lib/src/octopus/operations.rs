//! The Octopus operations the sync uses, with the daily limit the official OpenAPI document prints for each
//! ("Maximum allowed calls per day: N"). Every call is counted against its limit before it is made. The table is
//! checked against the official document (vendored in `docs/partners/octopus/`) by the simulator's test
//! `the_clients_daily_limits_are_the_official_documents`: the simulator reads its limits from the document itself.

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
    /// `POST bookings/attachements`: a file added to a booking already made.
    AddAttachementToBooking,
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
    pub const ALL: [Operation; 22] = [
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
        Operation::AddAttachementToBooking,
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
            AddAttachementToBooking => "addAttachementToBooking",
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
            | AddAttachementToBooking
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
}
