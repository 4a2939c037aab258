//! Counts for a person watching a long admin command (`match-customers 120/200`). The CLI draws them; the admin
//! function passes [`Silent`]: nobody watches a Lambda invocation.

/// Told how far a command is, stage by stage.
pub trait Progress: Send + Sync {
    /// `done` of `total` items of `stage` are handled; called with `done == total` exactly once per stage, when it
    /// ends (also for a stage of 0 items).
    fn update(&self, stage: &str, done: usize, total: usize);
}

/// Tells nobody.
pub struct Silent;

impl Progress for Silent {
    fn update(&self, _stage: &str, _done: usize, _total: usize) {}
}

/// Counts the items of one stage, telling `progress` at most every `total / 50` items and at the end, so a stage
/// of 10,000 items does not redraw 10,000 times.
pub struct Stage<'a> {
    progress: &'a dyn Progress,
    name: &'a str,
    total: usize,
    done: usize,
    every: usize,
}

impl<'a> Stage<'a> {
    pub fn start(progress: &'a dyn Progress, name: &'a str, total: usize) -> Self {
        if total > 0 {
            progress.update(name, 0, total);
        }
        Self {
            progress,
            name,
            total,
            done: 0,
            every: (total / 50).max(1),
        }
    }

    /// One more item handled.
    pub fn step(&mut self) {
        self.done += 1;
        if self.done.is_multiple_of(self.every) && self.done < self.total {
            self.progress.update(self.name, self.done, self.total);
        }
    }

    /// The stage ended (every item handled).
    pub fn end(self) {
        self.progress.update(self.name, self.total, self.total);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Recorded(Mutex<Vec<(String, usize, usize)>>);

    impl Progress for Recorded {
        fn update(&self, stage: &str, done: usize, total: usize) {
            self.0.lock().unwrap().push((stage.into(), done, total));
        }
    }

    #[test]
    fn a_stage_reports_its_start_about_fifty_steps_and_its_end() {
        let recorded = Recorded::default();
        let mut stage = Stage::start(&recorded, "linking", 1000);
        for _ in 0..1000 {
            stage.step();
        }
        stage.end();
        let updates = recorded.0.into_inner().unwrap();
        assert_eq!(updates.first(), Some(&("linking".into(), 0, 1000)));
        assert_eq!(updates.last(), Some(&("linking".into(), 1000, 1000)));
        assert_eq!(updates.len(), 1 + 49 + 1, "start, every 20th below the total, the end");
    }

    #[test]
    fn an_empty_stage_still_ends() {
        let recorded = Recorded::default();
        Stage::start(&recorded, "creating", 0).end();
        assert_eq!(recorded.0.into_inner().unwrap(), [("creating".into(), 0, 0)]);
    }
}
