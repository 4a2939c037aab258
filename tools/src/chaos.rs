//! The seeded chaos run (issue 9): documents booked and paid over simulated days while, at random, everything the
//! partners and AWS do to us happens at once; then the contract of docs/DESIGN.md §7 is checked against the simulators'
//! own records. The same seed gives the same documents, payments and fault schedule.
//!
//! Faults, by kind (each tick of 15 simulated minutes draws each with its probability):
//! webhooks duplicated, held back and delivered reordered, dropped; Focus 429 storms (another integration spends the
//! minute), 5xx, requests cut before Focus did anything (timeouts), answers lost after Focus did the work, access
//! tokens expiring early with two pullers refreshing at once; Octopus tokens expiring, journals locked, bookings
//! committed and their answer lost, calls cut on the way in, 5xx, the daily booking budget running out mid-day (the
//! connection keeps a reserve); two posters at once; a poster killed right after Octopus stored its booking.
//!
//! A fault counts as **fired** only when it took effect, as measured where it bites (the simulators' own counts of
//! faults applied and refusals answered, the queue's messages): a drawn 5xx that no call ever met, a lock no booking
//! tried, a storm in a minute we sent nothing, are reported as drawn and never fired.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use chrono::{Duration, NaiveDate};
use focus_octopus::clock::Clock;
use focus_octopus::domain::{DocumentKind, DocumentRef, DocumentState};
use focus_octopus::lambda::poster::handle as post_batch;
use focus_octopus::octopus::Operation;
use focus_octopus::sync::puller::run_puller;
use rust_decimal::Decimal;

use focus_octopus_tests::focus_sim::{RATE_LIMIT, SimLine, line, rates};
pub use focus_octopus_tests::logs::{Captured, capturing_subscriber};
use focus_octopus_tests::octopus_sim::{DOSSIER, SimBookingKey};
use focus_octopus_tests::push_world::{PushWorld, WEBHOOK_SECRET, push_config};

/// How big a run is.
#[derive(Debug, Clone, Copy)]
pub struct ChaosPlan {
    pub seed: u64,
    pub documents: usize,
    pub payments: usize,
    pub days: i64,
    /// The connection's daily booking budget (Octopus documents 400; a reserve is kept for manual work). Lower than
    /// a busy day's bookings, so the budget runs out mid-day.
    pub booking_budget: u32,
}

impl ChaosPlan {
    /// The variant in `make test`: 200 documents and 80 payments over two days.
    pub fn fast(seed: u64) -> Self {
        Self {
            seed,
            documents: 200,
            payments: 80,
            days: 2,
            booking_budget: 80,
        }
    }

    /// `make chaos`: 500 documents and 200 payments over a week.
    pub fn week(seed: u64) -> Self {
        Self {
            seed,
            documents: 500,
            payments: 200,
            days: 7,
            booking_budget: 60,
        }
    }
}

/// One checked promise.
#[derive(Debug, Clone)]
pub struct Invariant {
    pub name: &'static str,
    pub held: bool,
    pub detail: String,
}

/// What a run did and found.
#[derive(Debug, Clone)]
pub struct ChaosOutcome {
    pub plan: ChaosPlan,
    pub invoices: usize,
    pub credit_notes: usize,
    pub payments: usize,
    /// Every fault kind, drawn and fired.
    pub faults: BTreeMap<&'static str, FaultTally>,
    pub invariants: Vec<Invariant>,
    pub states: BTreeMap<String, usize>,
    /// Why each document needing a person is there.
    pub reviews: Vec<String>,
    pub log_lines: usize,
    pub simulated_hours: i64,
    pub octopus_calls: BTreeMap<&'static str, usize>,
    pub focus_calls: usize,
    pub wall: std::time::Duration,
}

impl ChaosOutcome {
    pub fn held(&self) -> bool {
        self.invariants.iter().all(|i| i.held)
    }
}

impl fmt::Display for ChaosOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.plan;
        writeln!(
            f,
            "chaos seed {} — {} invoices, {} credit notes, {} payments over {} simulated hours ({} days of business), {:.1} s wall",
            p.seed,
            self.invoices,
            self.credit_notes,
            self.payments,
            self.simulated_hours,
            p.days,
            self.wall.as_secs_f64()
        )?;
        writeln!(f, "faults by kind: drawn (faults armed) → fired (took effect)")?;
        for (kind, t) in &self.faults {
            let never = if t.fired == 0 { "   NEVER FIRED" } else { "" };
            writeln!(
                f,
                "  {kind:<52} {:>4} ({:>3}) → {:>4}{never}",
                t.drawn, t.armed, t.fired
            )?;
        }
        writeln!(f, "document states: {:?}", self.states)?;
        for r in &self.reviews {
            writeln!(f, "  {r}")?;
        }
        writeln!(
            f,
            "calls: Focus {} (all kinds), Octopus {:?}",
            self.focus_calls, self.octopus_calls
        )?;
        writeln!(f, "log lines captured: {}", self.log_lines)?;
        writeln!(f, "invariants:")?;
        for i in &self.invariants {
            writeln!(
                f,
                "  [{}] {} — {}",
                if i.held { "held" } else { "BROKEN" },
                i.name,
                i.detail
            )?;
        }
        Ok(())
    }
}

/// Every fault kind of the run, in the order the run draws them.
pub const FAULT_KINDS: [&str; 18] = [
    WEBHOOK_DUPLICATED,
    WEBHOOKS_REORDERED,
    WEBHOOK_DROPPED,
    FOCUS_STORM,
    FOCUS_5XX,
    FOCUS_CUT,
    FOCUS_ANSWER_LOST,
    FOCUS_TOKEN_EXPIRED,
    FOCUS_TWO_REFRESHERS,
    TWO_PULLERS,
    OCTOPUS_TOKENS_REVOKED,
    OCTOPUS_JOURNAL_LOCKED,
    OCTOPUS_ANSWER_LOST,
    OCTOPUS_CUT,
    OCTOPUS_5XX,
    BOOKING_BUDGET_SPENT,
    TWO_POSTERS,
    POSTER_KILLED,
];
const WEBHOOK_DUPLICATED: &str = "webhook duplicated";
const WEBHOOKS_REORDERED: &str = "webhooks held, then delivered reordered";
const WEBHOOK_DROPPED: &str = "webhook dropped";
const FOCUS_STORM: &str = "Focus 429 storm (minute spent elsewhere)";
const FOCUS_5XX: &str = "Focus 5xx";
const FOCUS_CUT: &str = "Focus request cut before it was handled (timeout)";
const FOCUS_ANSWER_LOST: &str = "Focus payment registered, answer lost";
const FOCUS_TOKEN_EXPIRED: &str = "Focus access token expired early";
const FOCUS_TWO_REFRESHERS: &str = "two pullers refreshing the Focus token at once";
const TWO_PULLERS: &str = "two pullers at once";
const OCTOPUS_TOKENS_REVOKED: &str = "Octopus tokens expired";
const OCTOPUS_JOURNAL_LOCKED: &str = "Octopus journal locked";
const OCTOPUS_ANSWER_LOST: &str = "Octopus booking stored, answer lost";
const OCTOPUS_CUT: &str = "Octopus call cut before it was handled (timeout)";
const OCTOPUS_5XX: &str = "Octopus 5xx";
const BOOKING_BUDGET_SPENT: &str = "daily booking budget spent before the day ended";
const TWO_POSTERS: &str = "two posters on one message group";
const POSTER_KILLED: &str = "poster killed right after Octopus stored a booking";

/// How often a fault kind was drawn, how many faults those draws armed, and how many took effect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultTally {
    pub drawn: usize,
    pub armed: usize,
    pub fired: usize,
}

struct Faults {
    rng: fastrand::Rng,
    tallies: BTreeMap<&'static str, FaultTally>,
    /// Armed episodes not yet seen to take effect, for the kinds judged by a simulator's running count.
    waiting: BTreeMap<&'static str, usize>,
}

impl Faults {
    fn new(seed: u64) -> Self {
        Self {
            rng: fastrand::Rng::with_seed(seed),
            tallies: FAULT_KINDS.iter().map(|k| (*k, FaultTally::default())).collect(),
            waiting: BTreeMap::new(),
        }
    }

    fn tally(&mut self, kind: &'static str) -> &mut FaultTally {
        self.tallies.entry(kind).or_default()
    }

    /// Draws a fault of `kind` with probability `p`; a draw arms one fault unless [`Self::armed`] says more.
    fn draw(&mut self, kind: &'static str, p: f64) -> bool {
        let hit = self.rng.f64() < p;
        if hit {
            let t = self.tally(kind);
            t.drawn += 1;
            t.armed += 1;
        }
        hit
    }

    /// The draw of `kind` armed `n` faults instead of one.
    fn armed(&mut self, kind: &'static str, n: usize) -> usize {
        self.tally(kind).armed += n.saturating_sub(1);
        n
    }

    /// A fault of `kind` happened without a draw (a consequence of the plan, such as a spent budget).
    fn drawn_without_dice(&mut self, kind: &'static str, n: usize) {
        let t = self.tally(kind);
        t.drawn += n;
        t.armed += n;
    }

    fn fired(&mut self, kind: &'static str, n: usize) {
        self.tally(kind).fired += n;
    }

    /// An episode of `kind` is armed; it fires when the simulator's count for it next moves.
    fn wait_for_effect(&mut self, kind: &'static str) {
        *self.waiting.entry(kind).or_default() += 1;
    }

    /// The simulator's count for `kind` moved by `delta` since the last look: that many waiting episodes fired.
    fn took_effect(&mut self, kind: &'static str, delta: usize) {
        let waiting = self.waiting.entry(kind).or_default();
        let n = (*waiting).min(delta);
        *waiting -= n;
        self.fired(kind, n);
    }
}

/// The simulators' running counts that tell whether a fault took effect, read once per tick.
#[derive(Debug, Clone, Copy, Default)]
struct Effects {
    duplicated: usize,
    dropped: usize,
    focus_expired_refusals: u32,
    octopus_revoked_refusals: u32,
}

impl Effects {
    fn read(world: &PushWorld) -> Self {
        let deliveries = world.focus.deliveries();
        Self {
            duplicated: deliveries.duplicated,
            dropped: deliveries.dropped.len(),
            focus_expired_refusals: world.focus.traffic().expired_token_refusals,
            octopus_revoked_refusals: world.octopus.state().revoked_token_refusals,
        }
    }
}

/// A document the run booked in Focus.
struct Booked {
    id: String,
    number: String,
    kind: DocumentKind,
}

const TICK: i64 = 15;

/// Runs the plan; never panics on a broken promise (the outcome says which).
pub async fn run(plan: ChaosPlan, captured: Captured) -> ChaosOutcome {
    let wall = std::time::Instant::now();
    let progress = std::env::var_os("CHAOS_PROGRESS").is_some();
    let mut config = push_config();
    config.options.octopus_daily_limits.insert(
        Operation::InsertBuySellBooking.budget_name().to_owned(),
        plan.booking_budget,
    );
    let world = PushWorld::start_with(config).await;
    let second = world.another_instance();
    let mut faults = Faults::new(plan.seed);
    let mut business = fastrand::Rng::with_seed(plan.seed ^ 0x5eed);
    let customers = customers(&world.focus);

    // Documents during working hours (08:00–18:00 UTC), spread over the days; day 2 is twice as busy.
    let ticks_per_day = 24 * 60 / TICK;
    let working: Vec<i64> = (0..plan.days * ticks_per_day)
        .filter(|t| {
            let hour = (9 + t * TICK / 60) % 24;
            (8..18).contains(&hour)
        })
        .collect();
    let mut due: Vec<i64> = (0..plan.documents)
        .map(|i| {
            let t = working[business.usize(..working.len())];
            if i % 5 == 0 && plan.days > 1 {
                // Pile up on day 2.
                let day2: Vec<&i64> = working.iter().filter(|t| **t / ticks_per_day == 1).collect();
                *day2[business.usize(..day2.len())]
            } else {
                t
            }
        })
        .collect();
    due.sort_unstable();
    let payment_ticks: Vec<i64> = {
        let mut p: Vec<i64> = (0..plan.payments)
            .map(|_| working[business.usize(working.len() / 4..working.len())])
            .collect();
        p.sort_unstable();
        p
    };

    let mut booked: Vec<Booked> = Vec::new();
    let mut reconciled: HashMap<i32, Vec<Decimal>> = HashMap::new();
    let mut payments_done = 0usize;
    let mut next_doc = 0usize;
    let mut next_payment = 0usize;
    // (journal, locked until tick, the journal's lock refusals when it was locked)
    let mut locked: Vec<(&'static str, i64, u32)> = Vec::new();
    let mut holding_until: Option<i64> = None;
    let (mut pump_time, mut pull_time) = (std::time::Duration::ZERO, std::time::Duration::ZERO);

    let mut effects = Effects::read(&world);
    let mut revoke_pending = false;
    for tick in 0..plan.days * ticks_per_day {
        let today = world.clock.now().date_naive();

        // Faults that change how partners behave from now on.
        let duplicating = faults.draw(WEBHOOK_DUPLICATED, 0.08);
        world.focus.plan().copies = if duplicating { 2 } else { 1 };
        if holding_until.is_none() && faults.draw(WEBHOOKS_REORDERED, 0.05) {
            world.focus.plan().hold = true;
            holding_until = Some(tick + 1 + faults.rng.i64(0..4));
        }
        if faults.draw(WEBHOOK_DROPPED, 0.08) {
            let extra = faults.rng.usize(0..2);
            let n = faults.armed(WEBHOOK_DROPPED, 1 + extra);
            world.focus.plan().drop_next += n;
            (0..n).for_each(|_| faults.wait_for_effect(WEBHOOK_DROPPED));
        }
        if !world.focus.traffic().storm_armed && faults.draw(FOCUS_STORM, 0.05) {
            // Aimed where it bites: another integration spends the minute just before our next request.
            world.focus.storm_before_next_request();
        }
        if faults.draw(FOCUS_5XX, 0.08) {
            let action = [
                "invoices.info",
                "creditNotes.info",
                "invoices.list",
                "invoices.registerPayment",
            ][faults.rng.usize(0..4)];
            let extra = faults.rng.usize(0..2);
            let n = faults.armed(FOCUS_5XX, 1 + extra);
            world.focus.fail_next(action, n, 503);
        }
        if faults.draw(FOCUS_CUT, 0.05) {
            let action = [
                "invoices.info",
                "invoices.registerPayment",
                "contacts.info",
                "companies.info",
            ][faults.rng.usize(0..4)];
            world.focus.drop_before_commit(action, 1);
        }
        if faults.draw(FOCUS_ANSWER_LOST, 0.04) {
            world.focus.commit_then_drop("invoices.registerPayment", 1);
        }
        let expire_focus = faults.draw(FOCUS_TOKEN_EXPIRED, 0.03);
        if expire_focus {
            world.focus.expire_access_tokens();
            faults.wait_for_effect(FOCUS_TOKEN_EXPIRED);
        }
        // Octopus forgets its tokens just before the next puller run, while ours are fresh (at the start of a tick
        // they have expired anyway: a tick is longer than their 10 minutes, and a revocation then bites nothing).
        let revoke_octopus = !revoke_pending && faults.draw(OCTOPUS_TOKENS_REVOKED, 0.04);
        if faults.draw(OCTOPUS_JOURNAL_LOCKED, 0.04) {
            let journal = if faults.rng.bool() { "V1" } else { "V2" };
            world.octopus.lock_journal(DOSSIER, 1, journal, true);
            let refusals = lock_refusals(&world, journal);
            locked.push((journal, tick + 1 + faults.rng.i64(0..6), refusals));
        }
        if faults.draw(OCTOPUS_ANSWER_LOST, 0.06) {
            world.octopus.commit_then_drop(Operation::InsertBuySellBooking, 1);
        }
        if faults.draw(OCTOPUS_CUT, 0.04) {
            let op = [
                Operation::InsertBuySellBooking,
                Operation::InsertUpdateRelation,
                Operation::GetModifiedBalancings,
            ][faults.rng.usize(0..3)];
            world.octopus.drop_before_commit(op, 1);
        }
        if faults.draw(OCTOPUS_5XX, 0.05) {
            let op = [
                Operation::InsertBuySellBooking,
                Operation::InsertUpdateRelation,
                Operation::GetModifiedBalancings,
                Operation::GetModifiedBuySellBookings,
            ][faults.rng.usize(0..4)];
            world.octopus.fail_next(op, 1, 503);
        }

        // Business: documents booked in Focus this tick (webhooks go out as the plan says).
        while next_doc < due.len() && due[next_doc] == tick {
            let i = next_doc;
            next_doc += 1;
            let (kind, customer) = &customers[business.usize(..customers.len())];
            let lines = random_lines(&mut business);
            if i % 10 == 9 {
                let (id, number) = world.focus.credit_note((kind, customer), lines, today, None).await;
                booked.push(Booked {
                    id,
                    number,
                    kind: DocumentKind::CreditNote,
                });
            } else {
                let discount = (business.u8(..10) == 0).then(|| Decimal::new(5, 0));
                let id = world.focus.draft_invoice((kind, customer), lines, discount);
                let number = world.focus.book_invoice(&id, today).await;
                booked.push(Booked {
                    id,
                    number,
                    kind: DocumentKind::Invoice,
                });
            }
        }
        if holding_until.is_some_and(|until| until <= tick) {
            world.focus.plan().hold = false;
            release_held(&world, &mut faults).await;
            holding_until = None;
        }
        locked.retain(|(journal, until, refusals_before)| {
            if *until <= tick {
                unlock(&world, &mut faults, journal, *refusals_before);
                false
            } else {
                true
            }
        });

        // Payments: the bookkeeper reconciles bank lines against posted invoices.
        while next_payment < payment_ticks.len() && payment_ticks[next_payment] <= tick {
            next_payment += 1;
            let open: Vec<(SimBookingKey, Decimal)> = world
                .octopus
                .bookings(DOSSIER)
                .into_iter()
                .filter(|(k, amount, _, _)| k.journal == "V1" && *amount > Decimal::ZERO)
                .filter(|(k, amount, _, _)| {
                    reconciled.get(&k.document_nr).map_or(Decimal::ZERO, |p| p.iter().sum()) < *amount
                })
                .map(|(k, amount, _, _)| (k, amount))
                .collect();
            if open.is_empty() {
                continue;
            }
            let (key, amount) = open[business.usize(..open.len())].clone();
            let paid: Decimal = reconciled
                .get(&key.document_nr)
                .map_or(Decimal::ZERO, |p| p.iter().sum());
            let left = amount - paid;
            let pay = if business.u8(..3) == 0 && left > Decimal::new(2, 0) {
                (left / Decimal::new(2, 0)).round_dp(2)
            } else {
                left
            };
            world.octopus.reconcile(DOSSIER, &key, pay, today);
            reconciled.entry(key.document_nr).or_default().push(pay);
            payments_done += 1;
        }

        // The poster: usually one instance; sometimes two at once; sometimes killed mid-batch. Messages kept (or
        // of a killed invocation) come back after their visibility timeout: at the next tick.
        let t = std::time::Instant::now();
        let mut later: Vec<String> = Vec::new();
        if faults.draw(POSTER_KILLED, 0.03)
            && let Some(batch) = world.receive_batch().await
        {
            let killed = world.octopus.after_next_booking();
            let finished = tokio::select! {
                response = post_batch(&world.deployment, &batch.event) => Some(response),
                _ = killed => None,
            };
            match finished {
                Some(response) => world.settle_later(&batch, &response, &mut later).await,
                None => {
                    // Killed while it held the batch, right after Octopus stored a booking of it.
                    faults.fired(POSTER_KILLED, 1);
                    later.extend(
                        batch
                            .messages
                            .iter()
                            .filter_map(|m| m.receipt_handle().map(str::to_owned)),
                    )
                }
            }
            world.octopus.state().after_next_booking = None;
        }
        if faults.draw(TWO_POSTERS, 0.02)
            && let Some(first) = world.receive_batch().await
        {
            // The first poster is slow: its messages' visibility timeout runs out while it still works on them, so
            // SQS hands the same message group to a second poster (FIFO keeps a group to one consumer only while its
            // messages are invisible).
            world.abandon(&first).await;
            let second_batch = world.receive_batch().await;
            let shared = second_batch.as_ref().is_some_and(|b| {
                b.messages
                    .iter()
                    .any(|m| first.messages.iter().any(|f| f.message_id() == m.message_id()))
            });
            if shared {
                faults.fired(TWO_POSTERS, 1);
            }
            let other = async {
                match &second_batch {
                    Some(batch) => Some(post_batch(&second, &batch.event).await),
                    None => None,
                }
            };
            let (_, response) = tokio::join!(post_batch(&world.deployment, &first.event), other);
            // The first poster's receipt handles went stale when the messages were received again: what it
            // acknowledged stays in the queue (as in SQS) and comes back; the second poster's answer settles.
            if let (Some(batch), Some(response)) = (&second_batch, &response) {
                world.settle_later(batch, response, &mut later).await;
            }
        }
        while let Some(batch) = world.receive_batch().await {
            let response = post_batch(&world.deployment, &batch.event).await;
            world.settle_later(&batch, &response, &mut later).await;
        }
        pump_time += t.elapsed();

        // The schedule: the puller every 30 minutes; after an early token expiry two pullers race to refresh.
        let t = std::time::Instant::now();
        if revoke_octopus {
            revoke_pending = true;
        }
        if tick % 2 == 1 && std::mem::take(&mut revoke_pending) {
            world.octopus.revoke_tokens();
            faults.wait_for_effect(OCTOPUS_TOKENS_REVOKED);
        }
        if tick % 2 == 1 {
            let racing = if expire_focus {
                faults.drawn_without_dice(FOCUS_TWO_REFRESHERS, 1);
                Some(FOCUS_TWO_REFRESHERS)
            } else {
                faults.draw(TWO_PULLERS, 0.05).then_some(TWO_PULLERS)
            };
            if let Some(kind) = racing {
                let refreshes_before = world.focus.refreshes();
                let conn = &world.conn;
                let timed = |deployment| async move {
                    let started = std::time::Instant::now();
                    let _ = run_puller(deployment, conn).await;
                    (started, std::time::Instant::now())
                };
                let ((a_start, a_end), (b_start, b_end)) = tokio::join!(timed(&world.deployment), timed(&second));
                let overlapped = a_start < b_end && b_start < a_end;
                let refreshes_after = world.focus.refreshes();
                let refreshed = refreshes_after.0 + refreshes_after.1 > refreshes_before.0 + refreshes_before.1;
                if overlapped && (kind == TWO_PULLERS || refreshed) {
                    faults.fired(kind, 1);
                }
            } else {
                let _ = run_puller(&world.deployment, &world.conn).await;
            }
            world.focus.flush_webhooks().await;
        }
        pull_time += t.elapsed();
        world.make_all_visible(&later).await;
        let now = Effects::read(&world);
        if duplicating && now.duplicated > effects.duplicated {
            faults.fired(WEBHOOK_DUPLICATED, 1);
        }
        faults.took_effect(WEBHOOK_DROPPED, now.dropped - effects.dropped);
        faults.took_effect(
            FOCUS_TOKEN_EXPIRED,
            (now.focus_expired_refusals - effects.focus_expired_refusals) as usize,
        );
        faults.took_effect(
            OCTOPUS_TOKENS_REVOKED,
            (now.octopus_revoked_refusals - effects.octopus_revoked_refusals) as usize,
        );
        effects = now;
        world.clock.advance(Duration::minutes(TICK));
        if progress && tick % 8 == 7 {
            eprintln!(
                "tick {tick}: {} booked, {} payments, {:.1} s (pump {:.1} s, puller {:.1} s)",
                booked.len(),
                payments_done,
                wall.elapsed().as_secs_f64(),
                pump_time.as_secs_f64(),
                pull_time.as_secs_f64()
            );
        }
    }

    // Quiet again: every fault lifted, held webhooks delivered; the system must settle by itself (the schedule
    // keeps running; no person intervenes).
    world.focus.plan().copies = 1;
    world.focus.plan().hold = false;
    world.focus.plan().drop_next = 0;
    release_held(&world, &mut faults).await;
    // Faults armed and never met are dropped here: they stay counted as drawn, not as fired.
    world.focus.state().faults.clear();
    world.octopus.state().faults.clear();
    for (journal, _, refusals_before) in locked.drain(..) {
        unlock(&world, &mut faults, journal, refusals_before);
    }
    let mut settle_ticks = 0i64;
    for _ in 0..(3 * 24 * 2) {
        world.deliver_round(&world.deployment).await;
        let _ = run_puller(&world.deployment, &world.conn).await;
        world.focus.flush_webhooks().await;
        world.deliver_round(&world.deployment).await;
        if settled(&world, &booked, &reconciled).await {
            break;
        }
        world.clock.advance(Duration::minutes(30));
        settle_ticks += 1;
        if progress {
            eprintln!("settling {settle_ticks}: {:.1} s", wall.elapsed().as_secs_f64());
        }
    }
    let budget_days = budget_days_exhausted(&world, plan.booking_budget);
    faults.drawn_without_dice(BOOKING_BUDGET_SPENT, plan.days as usize);
    faults.fired(BOOKING_BUDGET_SPENT, budget_days);
    let traffic = world.focus.traffic();
    faults.fired(FOCUS_STORM, traffic.storms_that_refused_us);
    for (kind, fired) in [
        (FOCUS_5XX, "status"),
        (FOCUS_CUT, "cut"),
        (FOCUS_ANSWER_LOST, "answer lost"),
    ] {
        faults.fired(kind, traffic.faults_fired.get(fired).copied().unwrap_or(0));
    }
    let octopus_fired = world.octopus.state().faults_fired.clone();
    for (kind, fired) in [
        (OCTOPUS_5XX, "status"),
        (OCTOPUS_CUT, "cut"),
        (OCTOPUS_ANSWER_LOST, "answer lost"),
    ] {
        faults.fired(kind, octopus_fired.get(fired).copied().unwrap_or(0));
    }

    let invariants = check(&world, &booked, &reconciled, plan.booking_budget, &captured).await;
    if let Some(path) = std::env::var_os("CHAOS_LOG_FILE") {
        let mut text = captured.lines().join("\n");
        for b in &booked {
            text.push_str(&format!("\nBOOKED {} {} {:?}", b.number, b.id, b.kind));
        }
        for (_, body, status) in world.focus.deliveries().sent {
            text.push_str(&format!("\nDELIVERED {body} {status}"));
        }
        for body in world.focus.deliveries().dropped {
            text.push_str(&format!("\nDROPPED {body}"));
        }
        let _ = std::fs::write(path, text);
    }
    let records = world
        .deployment
        .store
        .documents()
        .list(&world.conn)
        .await
        .unwrap_or_default();
    let mut states: BTreeMap<String, usize> = BTreeMap::new();
    let mut reviews = Vec::new();
    for r in &records {
        *states.entry(r.state.to_string()).or_default() += 1;
        if r.state == DocumentState::NeedsReview || r.state == DocumentState::Failed {
            reviews.push(format!(
                "{} {}: {}",
                r.document,
                r.state,
                r.note
                    .clone()
                    .or(r.last_error.as_ref().map(|e| format!("{} {}", e.code, e.message)))
                    .unwrap_or_default()
            ));
        }
    }
    ChaosOutcome {
        plan,
        invoices: booked.iter().filter(|b| b.kind == DocumentKind::Invoice).count(),
        credit_notes: booked.iter().filter(|b| b.kind == DocumentKind::CreditNote).count(),
        payments: payments_done,
        faults: faults.tallies,
        invariants,
        states,
        reviews,
        log_lines: captured.lines().len(),
        simulated_hours: (plan.days * ticks_per_day * TICK) / 60 + settle_ticks / 2,
        octopus_calls: world.octopus.received_per_operation(),
        focus_calls: world.focus.received().len(),
        wall: wall.elapsed(),
    }
}

/// ~40 customers: Belgian companies (several VAT spellings), EU and non-EU companies, companies without VAT
/// numbers, and private persons.
pub fn customers(focus: &focus_octopus_tests::focus_sim::FocusSim) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let companies = [
        (Some("BE0477472701"), "BE"),
        (Some("BE 0899.623.035"), "BE"),
        (Some("be 0412.345.614"), "BE"),
        (Some("NL004495445B01"), "NL"),
        (Some("DE129273398"), "DE"),
        (Some("FR40303265045"), "FR"),
        (Some("CHE-116.281.710"), "CH"),
        (None, "BE"),
        (None, "US"),
    ];
    for i in 0..32 {
        let (vat, country) = companies[i % companies.len()];
        // Distinct VAT numbers per company where the format allows: the Belgian ones get their own digits.
        let vat = vat.map(|v| {
            if country == "BE" && i >= companies.len() {
                focus_octopus_tests::fixtures::belgian_vat(400 + i as u32)
            } else {
                v.to_owned()
            }
        });
        out.push((
            "company",
            focus.add_company(&format!("Klant {i} BV"), vat.as_deref(), country),
        ));
    }
    for (first, last, country) in [
        ("An", "Peeters", "BE"),
        ("Jan", "Jansen", "NL"),
        ("Ann", "Smith", "US"),
        ("Els", "Maes", "BE"),
        ("Luc", "Claes", "BE"),
        ("Sofie", "Wouters", "BE"),
        ("Pierre", "Dubois", "FR"),
        ("Mia", "Schmidt", "DE"),
    ] {
        out.push(("contact", focus.add_contact(first, last, country)));
    }
    out
}

/// One to four lines over every seeded rate (21 % twice as likely), some with a line discount.
pub fn random_lines(rng: &mut fastrand::Rng) -> Vec<SimLine> {
    // 21 % twice as often as each other rate.
    let rate_ids: Vec<&str> = std::iter::once(rates::VAT_21).chain(rates::ALL).collect();
    (0..1 + rng.usize(0..4))
        .map(|_| {
            let mut l = line(
                Decimal::from(1 + rng.i64(0..5)),
                Decimal::new(rng.i64(1..50_000), 2),
                rate_ids[rng.usize(..rate_ids.len())],
            );
            if rng.u8(..6) == 0 {
                l.discount = Some(Decimal::new(rng.i64(1..500), 1));
            }
            l
        })
        .collect()
}

/// Delivers the held webhooks, reversed; reordering took effect when at least two were held.
async fn release_held(world: &PushWorld, faults: &mut Faults) {
    world.focus.release_held(true).await;
    if world.focus.deliveries().released.last().is_some_and(|n| *n >= 2) {
        faults.fired(WEBHOOKS_REORDERED, 1);
    }
}

fn lock_refusals(world: &PushWorld, journal: &str) -> u32 {
    world.octopus.state().lock_refusals.get(journal).copied().unwrap_or(0)
}

/// Ends a lock; it took effect if a booking was refused by it.
fn unlock(world: &PushWorld, faults: &mut Faults, journal: &str, refusals_before: u32) {
    world.octopus.lock_journal(DOSSIER, 1, journal, false);
    if lock_refusals(world, journal) > refusals_before {
        faults.fired(OCTOPUS_JOURNAL_LOCKED, 1);
    }
}

/// Every document in a final state, every reconciliation registered, nothing queued.
async fn settled(world: &PushWorld, booked: &[Booked], reconciled: &HashMap<i32, Vec<Decimal>>) -> bool {
    let documents = world.deployment.store.documents();
    let known = documents.list(&world.conn).await.unwrap_or_default();
    if known.len() < booked.len() || known.iter().any(|r| r.state.awaits_posting()) {
        return false;
    }
    let paid: Decimal = booked
        .iter()
        .filter(|b| b.kind == DocumentKind::Invoice)
        .flat_map(|b| world.focus.payments(&b.id))
        .map(|p| p.1)
        .sum();
    let reconciled: Decimal = reconciled.values().flatten().sum();
    paid == reconciled && world.queued().await == 0
}

/// Whether the booking's relation is the document's customer, by Focus's name and Octopus's relation.
fn wrong_relation(world: &PushWorld, b: &Booked, booking: &serde_json::Value) -> Option<String> {
    let relation_id = booking["relationIdentificationServiceData"]["relationKey"]["id"].as_i64()?;
    let relation = world
        .octopus
        .relations(DOSSIER)
        .into_iter()
        .find(|r| r["relationIdentificationServiceData"]["relationKey"]["id"].as_i64() == Some(relation_id));
    let Some(relation) = relation else {
        return Some(format!(
            "{} names relation {relation_id}, which Octopus does not have",
            b.number
        ));
    };
    let s = world.focus.state();
    let (kind, id) = s.document(&b.id)?.customer.clone();
    let customers = if kind == "company" { &s.companies } else { &s.contacts };
    let customer = customers.iter().find(|c| c["id"] == id.as_str())?;
    let names: Vec<&str> = ["name", "first_name", "last_name"]
        .iter()
        .filter_map(|f| customer[*f].as_str())
        .collect();
    let relation_text = format!(
        "{} {}",
        relation["name"].as_str().unwrap_or_default(),
        relation["firstName"].as_str().unwrap_or_default()
    );
    (!names.iter().all(|n| relation_text.contains(n)))
        .then(|| format!("{} is booked on relation {relation_text:?}, not on {names:?}", b.number))
}

/// Whether the booking's VAT per rate is Focus's `total.taxes`, and its bases differ from Focus's taxable amounts
/// only by the payable's own rounding, on one rate (the mapping rule).
fn wrong_vat_split(world: &PushWorld, b: &Booked, booking: &serde_json::Value) -> Option<String> {
    let percentages: HashMap<String, Decimal> = world
        .octopus
        .state()
        .dossiers
        .get(&DOSSIER)
        .map(|d| d.vat_codes.iter().map(|v| (v.code.clone(), v.percentage)).collect())
        .unwrap_or_default();
    let mut booked: BTreeMap<Decimal, (Decimal, Decimal)> = BTreeMap::new();
    for line in booking["bookingLines"].as_array()? {
        let code = line["vatCodeKey"].as_str().unwrap_or_default();
        let Some(percentage) = percentages.get(code) else {
            return Some(format!("{} uses VAT code {code:?}, unknown to the dossier", b.number));
        };
        let amount = |f: &str| Decimal::from_str_exact(&line[f].to_string()).unwrap_or_default();
        let entry = booked
            .entry((*percentage / Decimal::ONE_HUNDRED).normalize())
            .or_default();
        entry.0 += amount("baseAmount");
        entry.1 += amount("vatAmount");
    }
    let (focus_taxes, payable) = {
        let s = world.focus.state();
        let doc = s.document(&b.id)?;
        let rate_of = |r: &str| s.tax_rate(r).map_or(Decimal::ZERO, |t| t.rate);
        (
            focus_octopus_tests::focus_sim::totals::taxes(doc, rate_of),
            focus_octopus_tests::focus_sim::totals::document_totals(doc, rate_of).1,
        )
    };
    let focus: BTreeMap<Decimal, (Decimal, Decimal)> = focus_taxes
        .iter()
        .map(|(rate, taxable, tax)| (rate.normalize(), (*taxable, *tax)))
        .collect();
    if focus.keys().ne(booked.keys()) {
        return Some(format!(
            "{}: rates {:?} in Focus, {:?} booked",
            b.number,
            focus.keys(),
            booked.keys()
        ));
    }
    let rounding = payable - focus.values().map(|(t, v)| t + v).sum::<Decimal>();
    let mut base_differences = Vec::new();
    for (rate, (taxable, tax)) in &focus {
        let (base, vat) = booked[rate];
        if vat != *tax {
            return Some(format!("{}: VAT at {rate} is {vat}, Focus says {tax}", b.number));
        }
        if base != *taxable {
            base_differences.push(base - taxable);
        }
    }
    let explained = base_differences.is_empty() || (base_differences.len() == 1 && base_differences[0] == rounding);
    (!explained).then(|| {
        format!(
            "{}: bases differ from Focus's taxable by {base_differences:?} (payable rounding {rounding})",
            b.number
        )
    })
}

/// A `needs_review` record is explained when Focus's document no longer matches its booking (changed or deleted).
fn changed_after_posting(
    world: &PushWorld,
    id: &str,
    sales: &[(SimBookingKey, Decimal, Option<String>)],
    number: &str,
) -> bool {
    let Some((_, amount, _)) = sales.iter().find(|s| s.2.as_deref() == Some(number)) else {
        return false;
    };
    let s = world.focus.state();
    match s.document(id) {
        None => true,
        Some(_) => {
            drop(s);
            world.focus.payable(id) != amount.abs()
        }
    }
}

/// A `failed` record is explained when the simulators' state gives its reason: a tax rate the connection has not
/// mapped (the only permanent refusal the run's documents can meet).
fn failure_explained(world: &PushWorld, id: &str, record: Option<&focus_octopus::store::DocumentRecord>) -> bool {
    let Some(error) = record.and_then(|r| r.last_error.as_ref()) else {
        return false;
    };
    let mapped = push_config().vat_codes;
    let s = world.focus.state();
    let Some(doc) = s.document(id) else { return false };
    error.code == "VAT_RATE_UNMAPPED" && doc.lines.iter().any(|l| !mapped.contains_key(&l.tax_rate))
}

/// Days on which the connection's booking budget was used up.
fn budget_days_exhausted(world: &PushWorld, budget: u32) -> usize {
    let s = world.octopus.state();
    s.calls
        .iter()
        .filter(|((_, name), n)| *name == Operation::InsertBuySellBooking.budget_name() && **n >= budget)
        .count()
}

async fn check(
    world: &PushWorld,
    booked: &[Booked],
    reconciled: &HashMap<i32, Vec<Decimal>>,
    budget: u32,
    captured: &Captured,
) -> Vec<Invariant> {
    let mut out = Vec::new();
    let sales: Vec<(SimBookingKey, Decimal, Option<String>)> = world
        .octopus
        .bookings(DOSSIER)
        .into_iter()
        .filter(|(k, ..)| k.journal == "V1" || k.journal == "V2")
        .map(|(k, amount, _, data)| (k, amount, data["orderReference"].as_str().map(str::to_owned)))
        .collect();
    let booking_data: HashMap<(String, i32), serde_json::Value> = world
        .octopus
        .bookings(DOSSIER)
        .into_iter()
        .map(|(k, _, _, data)| ((k.journal, k.document_nr), data))
        .collect();
    let documents = world.deployment.store.documents();
    let mut records = HashMap::new();
    for b in booked {
        let doc = DocumentRef::new(b.kind, b.id.as_str()).expect("a valid id");
        records.insert(b.id.clone(), documents.get(&world.conn, &doc).await.ok().flatten());
    }

    // 1. Exactly one booking per document, to the cent.
    let mut problems = Vec::new();
    for b in booked {
        let matching: Vec<&(SimBookingKey, Decimal, Option<String>)> = sales
            .iter()
            // The booking's order reference is the Focus number.
            .filter(|s| s.2.as_deref() == Some(b.number.as_str()))
            .collect();
        let payable = world.focus.payable(&b.id);
        let expected = if b.kind == DocumentKind::CreditNote {
            -payable
        } else {
            payable
        };
        match matching.as_slice() {
            [one] if one.1 == expected => {
                let journal = if b.kind == DocumentKind::CreditNote { "V2" } else { "V1" };
                if one.0.journal != journal {
                    problems.push(format!(
                        "{} is in journal {} instead of {journal}",
                        b.number, one.0.journal
                    ));
                }
                let data = &booking_data[&(one.0.journal.clone(), one.0.document_nr)];
                if let Some(problem) = wrong_relation(world, b, data) {
                    problems.push(problem);
                }
                if let Some(problem) = wrong_vat_split(world, b, data) {
                    problems.push(problem);
                }
            }
            [one] => problems.push(format!("{} booked {} instead of {expected}", b.number, one.1)),
            many => problems.push(format!("{} has {} bookings", b.number, many.len())),
        }
    }
    let strays = sales.len().saturating_sub(booked.len());
    out.push(Invariant {
        name: "1. exactly one Octopus booking per booked Focus document, to the cent, in its journal, for its customer, with Focus's VAT per rate",
        held: problems.is_empty() && strays == 0,
        detail: if problems.is_empty() && strays == 0 {
            format!("{} documents ↔ {} bookings", booked.len(), sales.len())
        } else {
            format!(
                "{} problems, {strays} extra bookings: {:?}",
                problems.len(),
                &problems[..problems.len().min(5)]
            )
        },
    });

    // 2. Nothing lost, nothing stuck.
    let mut unfinished = Vec::new();
    for b in booked {
        match &records[&b.id] {
            Some(r) if r.state == DocumentState::Posted || r.state == DocumentState::NeedsReview => {}
            Some(r) if r.state == DocumentState::Failed && r.last_error.is_some() => {}
            Some(r) => unfinished.push(format!("{} is {}", b.number, r.state)),
            None => unfinished.push(format!("{} has no record", b.number)),
        }
    }
    // The same, from the simulators' truth: every document Focus holds as booked since the start date has exactly
    // one Octopus booking, or a record whose reason the simulators' state explains.
    let focus_booked: Vec<(String, String, DocumentKind)> = {
        let s = world.focus.state();
        let start = push_config().start_date;
        s.documents
            .iter()
            .filter(|d| d.status != "draft" && d.date.is_some_and(|day| day >= start))
            .filter_map(|d| {
                let kind = match d.kind {
                    focus_octopus_tests::focus_sim::DocKind::Invoice => DocumentKind::Invoice,
                    focus_octopus_tests::focus_sim::DocKind::CreditNote => DocumentKind::CreditNote,
                };
                Some((d.id.clone(), d.number.clone()?, kind))
            })
            .collect()
    };
    for (id, number, kind) in &focus_booked {
        let bookings = sales.iter().filter(|s| s.2.as_deref() == Some(number.as_str())).count();
        let doc = DocumentRef::new(*kind, id.as_str()).expect("a valid id");
        let record = documents.get(&world.conn, &doc).await.ok().flatten();
        let state = record.as_ref().map(|r| r.state);
        match (bookings, state) {
            (1, Some(DocumentState::Posted)) => {}
            (1, Some(DocumentState::NeedsReview)) if changed_after_posting(world, id, &sales, number) => {}
            (0, Some(DocumentState::Failed)) if failure_explained(world, id, record.as_ref()) => {}
            (n, state) => unfinished.push(format!(
                "Focus {number}: {n} Octopus bookings, our record {}",
                state.map_or("missing".to_owned(), |s| s.to_string())
            )),
        }
    }
    let queued = world.queued().await;
    out.push(Invariant {
        name: "2. every document posted, failed with a reason, or needs_review; none lost or stuck (checked against the simulators)",
        held: unfinished.is_empty() && queued == 0 && focus_booked.len() == booked.len(),
        detail: format!(
            "{} booked in Focus (run booked {}); {} unfinished {:?}; {queued} messages still queued",
            focus_booked.len(),
            booked.len(),
            unfinished.len(),
            &unfinished[..unfinished.len().min(5)]
        ),
    });

    // 3. Every balancing reflected in Focus exactly once.
    let mut payment_problems = Vec::new();
    let by_nr: HashMap<i32, &Booked> = sales
        .iter()
        .filter(|s| s.0.journal == "V1")
        .filter_map(|s| {
            let b = booked.iter().find(|b| Some(b.number.as_str()) == s.2.as_deref())?;
            Some((s.0.document_nr, b))
        })
        .collect();
    // Balancings made between two puller runs reach Focus as one payment of their sum (only the unregistered
    // delta is sent), so the check is: the registered total equals the balanced total, per invoice, and Focus
    // never has more payments than Octopus has balancings.
    let mut registered_total = 0usize;
    for b in booked.iter().filter(|b| b.kind == DocumentKind::Invoice) {
        let in_focus: Vec<Decimal> = world.focus.payments(&b.id).into_iter().map(|p| p.1).collect();
        registered_total += in_focus.len();
        let nr = by_nr.iter().find(|(_, d)| d.id == b.id).map(|(nr, _)| *nr);
        let expected = nr.and_then(|nr| reconciled.get(&nr).cloned()).unwrap_or_default();
        let (focus_sum, octopus_sum) = (in_focus.iter().sum::<Decimal>(), expected.iter().sum::<Decimal>());
        if focus_sum != octopus_sum || in_focus.len() > expected.len() {
            payment_problems.push(format!("{}: Focus {in_focus:?}, Octopus {expected:?}", b.number));
        }
    }
    out.push(Invariant {
        name: "3. every Octopus balancing reflected in Focus exactly once; no payment doubled",
        held: payment_problems.is_empty(),
        detail: format!(
            "{} balancings, {registered_total} Focus payments; {} differences {:?}",
            reconciled.values().map(Vec::len).sum::<usize>(),
            payment_problems.len(),
            &payment_problems[..payment_problems.len().min(5)]
        ),
    });

    // 4. No partner limit exceeded, no relation twice.
    let over = world.octopus.over_limit();
    let traffic = world.focus.traffic();
    let over_budget: Vec<(NaiveDate, u32)> = world
        .octopus
        .state()
        .calls
        .iter()
        .filter(|((_, name), n)| *name == Operation::InsertBuySellBooking.budget_name() && **n > budget)
        .map(|((day, _), n)| (*day, *n))
        .collect();
    let relations = world.octopus.relations(DOSSIER);
    let mut external_ids: Vec<i64> = relations
        .iter()
        .filter_map(|r| r["relationIdentificationServiceData"]["externalRelationId"].as_i64())
        .collect();
    let relation_count = external_ids.len();
    external_ids.sort_unstable();
    external_ids.dedup();
    let used_customers = {
        let s = world.focus.state();
        let mut c: Vec<(String, String)> = booked
            .iter()
            .filter_map(|b| s.document(&b.id).map(|d| d.customer.clone()))
            .collect();
        c.sort();
        c.dedup();
        c.len()
    };
    let held = over.is_empty()
        && traffic.max_sent_in_minute <= RATE_LIMIT
        && traffic.throttled_outside_storms == 0
        && over_budget.is_empty()
        && external_ids.len() == relation_count
        && relation_count == used_customers;
    out.push(Invariant {
        name: "4. no partner limit exceeded, no relation created twice",
        held,
        detail: format!(
            "Octopus refusals past a limit {}; our booking budget overspent on {} days; Focus: most requests we sent in a minute {}/{RATE_LIMIT}, {} answered 429 ({} outside the {} storms); {relation_count} relations for {used_customers} customers",
            over.len(),
            over_budget.len(),
            traffic.max_sent_in_minute,
            traffic.throttled,
            traffic.throttled_outside_storms,
            traffic.storms,
        ),
    });

    // 5. No secret in any log line or report.
    let mut secrets = world.focus.every_secret();
    secrets.extend(world.octopus.every_secret());
    secrets.push(WEBHOOK_SECRET.to_owned());
    let reports = world
        .deployment
        .store
        .runs()
        .recent(&world.conn, 10_000)
        .await
        .unwrap_or_default();
    let mut texts: Vec<String> = captured.lines();
    texts.extend(reports.iter().map(|r| format!("{r:?}")));
    texts.extend(records.values().map(|r| format!("{r:?}")));
    let leaks: Vec<&String> = texts
        .iter()
        .filter(|t| secrets.iter().any(|s| t.contains(s.as_str())))
        .collect();
    out.push(Invariant {
        name: "5. no secret, token or password in any captured log line or report",
        held: leaks.is_empty(),
        detail: format!(
            "{} secrets checked against {} log lines, {} reports, {} records; {} leaks",
            secrets.len(),
            captured.lines().len(),
            reports.len(),
            records.len(),
            leaks.len()
        ),
    });
    out
}
