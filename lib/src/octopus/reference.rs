//! Reference data of the dossier, read through the store's cache (`REF#…`): bookyears and journals may be read 24
//! times a day, accounts and VAT codes only twice, and every Lambda instance needs them. A cached answer costs no
//! Octopus call; accounts are kept fresh through `accounts/modified` (48 a day), so their full list is read once per
//! bookyear, on first use.

use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::client::Call;
use super::ledger::{Bookyear, Journal, LedgerAccount, SyncAccounts, VatCode};
use super::{OctopusClient, OctopusError, Operation, list_or_empty};
use crate::domain::BookyearId;
use crate::store::ReferenceKind;

/// The `modifiedTimeStamp` time zone is undocumented; we send UTC and look back this far, so a server counting in
/// Belgian time (one or two hours ahead) only makes us read a little more.
const MODIFIED_OVERLAP: Duration = Duration::minutes(10);

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct JournalsCache {
    bookyears: Vec<BookyearId>,
    journals: Vec<Journal>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct AccountsCache {
    bookyears: Vec<BookyearId>,
    accounts: Vec<LedgerAccount>,
}

impl OctopusClient {
    /// Bookyears with their periods: from the cache, else `GET bookyears` (24 a day) once.
    pub async fn bookyears(&self) -> Result<Vec<Bookyear>, OctopusError> {
        match self.cached::<Vec<Bookyear>>(ReferenceKind::Bookyears).await? {
            Some((bookyears, _)) => Ok(bookyears),
            None => self.refresh_bookyears().await,
        }
    }

    /// Reads the bookyears from Octopus and replaces the cache.
    pub async fn refresh_bookyears(&self) -> Result<Vec<Bookyear>, OctopusError> {
        let now = self.inner.clock.now();
        let call = self.get(Operation::GetBookyears, "/bookyears", Vec::new());
        let bookyears: Vec<Bookyear> = list_or_empty(call.op, self.execute(&call).await)?;
        self.put_cached(ReferenceKind::Bookyears, &bookyears, now).await?;
        Ok(bookyears)
    }

    /// Journals of a bookyear: from the cache, else `GET bookyears/{id}/journals` (24 a day) once.
    pub async fn journals(&self, bookyear: BookyearId) -> Result<Vec<Journal>, OctopusError> {
        if let Some((cache, _)) = self.cached::<JournalsCache>(ReferenceKind::Journals).await?
            && cache.bookyears.contains(&bookyear)
        {
            return Ok(cache
                .journals
                .into_iter()
                .filter(|j| j.bookyear_key.id == bookyear)
                .collect());
        }
        self.refresh_journals(bookyear).await
    }

    /// Reads the journals of a bookyear from Octopus (for their last booked numbers) and updates the cache.
    pub async fn refresh_journals(&self, bookyear: BookyearId) -> Result<Vec<Journal>, OctopusError> {
        let now = self.inner.clock.now();
        let call = self.get(
            Operation::GetJournals,
            &format!("/bookyears/{bookyear}/journals"),
            Vec::new(),
        );
        let journals: Vec<Journal> = list_or_empty(call.op, self.execute(&call).await)?;
        let mut cache = self
            .cached::<JournalsCache>(ReferenceKind::Journals)
            .await?
            .map(|(c, _)| c)
            .unwrap_or_default();
        cache.journals.retain(|j| j.bookyear_key.id != bookyear);
        cache.journals.extend(journals.iter().cloned());
        if !cache.bookyears.contains(&bookyear) {
            cache.bookyears.push(bookyear);
        }
        self.put_cached(ReferenceKind::Journals, &cache, now).await?;
        Ok(journals)
    }

    /// Ledger accounts of a bookyear: from the cache, else the full `GET accounts` (2 a day) once per bookyear.
    pub async fn accounts(&self, bookyear: BookyearId) -> Result<Vec<LedgerAccount>, OctopusError> {
        let cached = self.cached::<AccountsCache>(ReferenceKind::Accounts).await?;
        if let Some((cache, _)) = &cached
            && cache.bookyears.contains(&bookyear)
        {
            return Ok(accounts_of(&cache.accounts, bookyear));
        }
        let now = self.inner.clock.now();
        let call = self.get(
            Operation::GetAccounts,
            "/accounts",
            vec![("bookyearId", bookyear.to_string())],
        );
        let loaded: Vec<super::ledger::AccountServiceData> = list_or_empty(call.op, self.execute(&call).await)?;
        let (mut cache, fetched_at) = cached.unwrap_or_else(|| (AccountsCache::default(), now));
        cache.accounts.retain(|a| a.bookyear != bookyear);
        cache.accounts.extend(loaded.into_iter().map(LedgerAccount::from));
        cache.accounts.sort();
        cache.bookyears.push(bookyear);
        // The feed position stays where it was: this full read does not cover other bookyears' changes.
        self.put_cached(ReferenceKind::Accounts, &cache, fetched_at.min(now))
            .await?;
        Ok(accounts_of(&cache.accounts, bookyear))
    }

    /// Applies `accounts/modified` (48 a day) since the last refresh to every cached bookyear. Without a cache there
    /// is nothing to refresh: the first use of a bookyear loads it.
    pub async fn refresh_accounts(&self) -> Result<(), OctopusError> {
        let Some((mut cache, fetched_at)) = self.cached::<AccountsCache>(ReferenceKind::Accounts).await? else {
            return Ok(());
        };
        let now = self.inner.clock.now();
        let call = self.get(
            Operation::GetModifiedAccounts,
            "/accounts/modified",
            vec![(
                "modifiedTimeStamp",
                super::keys::modified_timestamp(fetched_at - MODIFIED_OVERLAP),
            )],
        );
        let changes: SyncAccounts = list_or_empty(call.op, self.execute(&call).await)?;
        for gone in changes.deleted.into_iter().map(LedgerAccount::from) {
            cache
                .accounts
                .retain(|a| (a.bookyear, a.number) != (gone.bookyear, gone.number));
        }
        for changed in changes.modified.into_iter().map(LedgerAccount::from) {
            if !cache.bookyears.contains(&changed.bookyear) {
                continue;
            }
            cache
                .accounts
                .retain(|a| (a.bookyear, a.number) != (changed.bookyear, changed.number));
            cache.accounts.push(changed);
        }
        cache.accounts.sort();
        self.put_cached(ReferenceKind::Accounts, &cache, now).await
    }

    /// VAT codes: from the cache, else `GET vatcodes` (2 a day) once.
    pub async fn vat_codes(&self) -> Result<Vec<VatCode>, OctopusError> {
        match self.cached::<Vec<VatCode>>(ReferenceKind::VatCodes).await? {
            Some((codes, _)) => Ok(codes),
            None => self.refresh_vat_codes().await,
        }
    }

    /// Reads the VAT codes again (there is no `modified` feed for them) and replaces the cache.
    pub async fn refresh_vat_codes(&self) -> Result<Vec<VatCode>, OctopusError> {
        let now = self.inner.clock.now();
        let call = self.get(Operation::GetVatCodes, "/vatcodes", Vec::new());
        let codes: Vec<VatCode> = list_or_empty(call.op, self.execute(&call).await)?;
        self.put_cached(ReferenceKind::VatCodes, &codes, now).await?;
        Ok(codes)
    }

    /// When the cached `kind` was last read from Octopus.
    pub async fn reference_fetched_at(&self, kind: ReferenceKind) -> Result<Option<DateTime<Utc>>, OctopusError> {
        Ok(self
            .cached::<serde::de::IgnoredAny>(kind)
            .await?
            .map(|(_, fetched_at)| fetched_at))
    }

    fn get(&self, op: Operation, rest: &str, query: Vec<(&'static str, String)>) -> Call {
        Call {
            op,
            method: Method::GET,
            path: self.dossier_path(rest),
            query,
            body: None,
            headers: Vec::new(),
            resendable: true,
        }
    }

    async fn cached<T: serde::de::DeserializeOwned>(
        &self,
        kind: ReferenceKind,
    ) -> Result<Option<(T, DateTime<Utc>)>, OctopusError> {
        Ok(self
            .inner
            .store
            .reference()
            .get::<T>(&self.inner.conn, kind)
            .await?
            .map(|c| (c.data, c.fetched_at)))
    }

    async fn put_cached<T: Serialize>(
        &self,
        kind: ReferenceKind,
        data: &T,
        fetched_at: DateTime<Utc>,
    ) -> Result<(), OctopusError> {
        self.inner
            .store
            .reference()
            .put(&self.inner.conn, kind, data, fetched_at)
            .await?;
        Ok(())
    }
}

fn accounts_of(accounts: &[LedgerAccount], bookyear: BookyearId) -> Vec<LedgerAccount> {
    accounts.iter().filter(|a| a.bookyear == bookyear).cloned().collect()
}
