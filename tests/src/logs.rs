//! The functions' log lines captured as CloudWatch would hold them, for the checks that no secret reaches a log.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;

/// Log lines as the functions write them: through the redacting writer.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8_lossy(&bytes).lines().map(str::to_owned).collect()
    }
}

pub struct CapturedWriter(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = CapturedWriter;

    fn make_writer(&'a self) -> Self::Writer {
        CapturedWriter(self.0.clone())
    }
}

/// A subscriber like the functions' in Lambda (the template sets `LogFormat: JSON`, so lambda_runtime writes JSON
/// lines without time or target, through our redacting writer), at debug level for our crate, capturing into
/// `captured`: the lines checked are those CloudWatch would hold.
pub fn capturing_subscriber(captured: Captured) -> impl tracing::Subscriber + Send + Sync {
    let filter = tracing_subscriber::filter::Targets::new()
        .with_default(tracing::Level::INFO)
        .with_target("focus_octopus", tracing::Level::DEBUG);
    tracing_subscriber::registry().with(filter).with(
        tracing_subscriber::fmt::layer()
            .json()
            .with_target(false)
            .without_time()
            .with_ansi(false)
            .with_writer(focus_octopus::logging::Redacting::new(captured)),
    )
}
