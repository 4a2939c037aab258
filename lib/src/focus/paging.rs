//! Focus lists have pages without totals (docs/partners/focus.md §2.2): read until a page comes back short.
//! `updated_since` sweeps look back an overlap window, because whether the filter is inclusive and which changes
//! bump `updated_at` are undocumented; callers de-duplicate by id.

use std::future::Future;

use chrono::{DateTime, Duration, Utc};

use super::FocusError;
use super::refs::{PAGE_SIZE, Page};

/// How far an `updated_since` sweep looks back before its last run.
pub const SWEEP_OVERLAP: Duration = Duration::minutes(15);

/// Reads pages 1, 2, … of `PAGE_SIZE` until one holds fewer items.
pub async fn all_pages<T, F, Fut>(mut page: F) -> Result<Vec<T>, FocusError>
where
    F: FnMut(Page) -> Fut,
    Fut: Future<Output = Result<Vec<T>, FocusError>>,
{
    let mut all = Vec::new();
    for number in 1.. {
        let items = page(Page {
            size: PAGE_SIZE,
            number,
        })
        .await?;
        let short = items.len() < PAGE_SIZE as usize;
        all.extend(items);
        if short {
            break;
        }
    }
    Ok(all)
}

/// The `updated_since` of a sweep whose previous run started at `last_run`.
pub fn sweep_since(last_run: DateTime<Utc>) -> DateTime<Utc> {
    last_run - SWEEP_OVERLAP
}
