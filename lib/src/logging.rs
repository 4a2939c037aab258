//! Logs that cannot leak a secret. Every function writes its log lines through [`Redacting`], which rewrites each
//! formatted line before it leaves the process:
//!
//! - every secret value the process has read (Secrets Manager values, OAuth tokens, the Octopus dossier token) is
//!   registered with [`register_secret`] and replaced wherever it appears, whatever the field or message;
//! - and, for values never registered (a token in a partner's error text, a header echoed back), by shape:
//!   `Bearer …`, `access_token`/`refresh_token`/`client_secret`/`password`/`token`/`Dossiertoken` fields in JSON,
//!   `key=value` or Debug form, the `code` of an OAuth callback query, and the secret segment of a webhook URL
//!   (`/hooks/<connection>/<secret>`).
//!
//! The replacement is `[redacted]`. The test `logging` in the tests crate proves both paths.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::{self, Write};
use std::sync::{LazyLock, RwLock};

use regex_lite::Regex;
use tracing_subscriber::fmt::MakeWriter;

pub const REDACTED: &str = "[redacted]";

/// Shorter secrets (a short password) are replaced only where they stand as a whole word: anywhere, they would
/// also be ordinary words or numbers.
const MIN_SECRET_LEN: usize = 8;

static SECRETS: LazyLock<RwLock<BTreeSet<String>>> = LazyLock::new(|| RwLock::new(BTreeSet::new()));
static SHORT_SECRETS: LazyLock<RwLock<BTreeSet<String>>> = LazyLock::new(|| RwLock::new(BTreeSet::new()));

static SHAPES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    let field = r#"access_token|refresh_token|client_secret|password|secret|token|dossiertoken|authorization|software_house_uuid|softwarehouseuuid"#;
    [
        (r"(?i)(bearer\s+)[A-Za-z0-9._~+/=\-]+", "${1}[redacted]"),
        // JSON: "password": "…"  (also escaped quotes inside a logged JSON string)
        (
            &format!(r#"(?i)((?:\\?")(?:{field})(?:\\?")\s*:\s*(?:\\?"))(?:[^"\\]|\\[^"])*"#),
            "${1}[redacted]",
        ),
        // key=value, key: value (Debug output, tracing fields, query strings)
        (
            &format!(r#"(?i)(\b(?:{field})\s*[=:]\s*)[^\s,&;)}}\]"]+"#),
            "${1}[redacted]",
        ),
        (r"([?&]code=)[^&\s\x22]+", "${1}[redacted]"),
        (r"(/hooks/[^/\s\x22?]+/)[^/\s\x22?]+", "${1}[redacted]"),
    ]
    .into_iter()
    .map(|(pattern, replacement)| (Regex::new(pattern).expect("a valid pattern"), replacement))
    .collect()
});

/// Remembers `value` as a secret: from now on it is replaced in every log line, run report, document record and
/// published report, as written and as it appears inside a JSON string (the production log format escapes `"`, `\`
/// and control characters).
pub fn register_secret(value: &str) {
    let value = value.trim();
    if value.is_empty() {
        return;
    }
    let escaped = serde_json::to_string(value).expect("a string serialises");
    let escaped = &escaped[1..escaped.len() - 1];
    let set = if value.chars().count() < MIN_SECRET_LEN {
        &SHORT_SECRETS
    } else {
        &SECRETS
    };
    if set.read().is_ok_and(|s| s.contains(value) && s.contains(escaped)) {
        return;
    }
    if let Ok(mut secrets) = set.write() {
        secrets.insert(value.to_owned());
        secrets.insert(escaped.to_owned());
    }
}

/// `text` with every whole-word occurrence of `secret` replaced (its neighbours are not letters or digits).
fn replace_whole_words(text: &str, secret: &str) -> Option<String> {
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find(secret) {
        let before = if at == 0 {
            out.chars().next_back()
        } else {
            rest[..at].chars().next_back()
        };
        let after = rest[at + secret.len()..].chars().next();
        out.push_str(&rest[..at]);
        if word(before) || word(after) {
            out.push_str(secret);
        } else {
            out.push_str(REDACTED);
            changed = true;
        }
        rest = &rest[at + secret.len()..];
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// Registers a secret's text: the text itself and, when it is a JSON object, each of its string values except the
/// ones that are identifiers rather than secrets (`user`, `client_id`, dates).
pub fn register_secret_text(text: &str) {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(fields)) => {
            for (name, value) in fields {
                if matches!(name.as_str(), "user" | "client_id" | "expires_at") {
                    continue;
                }
                if let Some(value) = value.as_str() {
                    register_secret(value);
                }
            }
        }
        _ => register_secret(text),
    }
}

/// `line` with every registered secret and every secret-shaped value replaced by `[redacted]`.
pub fn redact(line: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(line);
    if let Ok(secrets) = SECRETS.read() {
        for secret in secrets.iter() {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), REDACTED));
            }
        }
    }
    if let Ok(secrets) = SHORT_SECRETS.read() {
        for secret in secrets.iter() {
            if let Some(changed) = replace_whole_words(&out, secret) {
                out = Cow::Owned(changed);
            }
        }
    }
    for (pattern, replacement) in SHAPES.iter() {
        if let Cow::Owned(changed) = pattern.replace_all(&out, *replacement) {
            out = Cow::Owned(changed);
        }
    }
    out
}

/// A [`MakeWriter`] that redacts each log event before handing it to `inner` (stdout in the functions).
#[derive(Clone)]
pub struct Redacting<M> {
    inner: M,
}

impl<M> Redacting<M> {
    pub fn new(inner: M) -> Self {
        Self { inner }
    }
}

impl Redacting<fn() -> io::Stdout> {
    pub fn stdout() -> Self {
        Self::new(io::stdout as fn() -> io::Stdout)
    }
}

/// Collects one event's bytes; redacts and writes them when the event is complete (on drop).
pub struct RedactingWriter<W: Write> {
    inner: W,
    buffer: Vec<u8>,
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.buffer);
        let _ = self.inner.write_all(redact(&text).as_bytes());
        let _ = self.inner.flush();
    }
}

impl<'a, M> MakeWriter<'a> for Redacting<M>
where
    M: MakeWriter<'a>,
{
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter {
            inner: self.inner.make_writer(),
            buffer: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_redacted_without_registration() {
        let cases = [
            ("Authorization: Bearer eyJhbGciOi.abc-def", "eyJhbGciOi"),
            ("upstream said: bearer eyJhbGciOi.abc-def", "eyJhbGciOi"),
            (r#"{"access_token":"tok-123456789","x":1}"#, "tok-123456789"),
            (r#"{\"password\": \"hunter2hunter2\"}"#, "hunter2hunter2"),
            (
                "refresh_token=rt-abcdefghijk&grant_type=refresh_token",
                "rt-abcdefghijk",
            ),
            ("Dossiertoken: 0f1e2d3c-aaaa", "0f1e2d3c-aaaa"),
            ("GET /oauth/callback?state=a.b&code=abc123xyz", "abc123xyz"),
            ("POST /hooks/bakkerij/Zq8v3xKpW2mN7cRt5yHb ok", "Zq8v3xKpW2mN7cRt5yHb"),
        ];
        for (line, secret) in cases {
            let out = redact(line);
            assert!(!out.contains(secret) && out.contains(REDACTED), "{line} → {out}");
        }
    }

    #[test]
    fn ordinary_fields_stay_readable() {
        let line = r#"code="OCTOPUS_JOURNAL_LOCKED" document=invoice#42 booking=1/V1/7 amount=121.00"#;
        assert_eq!(redact(line), line);
    }

    #[test]
    fn a_registered_secret_is_replaced_anywhere() {
        register_secret_text(r#"{"user":"bookkeeper@example.be","password":"correct horse battery"}"#);
        let out = redact("login failed for bookkeeper@example.be with correct horse battery staple");
        assert_eq!(out, "login failed for bookkeeper@example.be with [redacted] staple");
    }

    #[test]
    fn a_secret_is_replaced_as_it_appears_inside_a_json_log_line() {
        register_secret(r#"pa"ss\word-with-quote"#);
        let line = serde_json::json!({ "message": r#"Octopus said: bad pa"ss\word-with-quote"# }).to_string();
        assert!(line.contains(r#"pa\"ss\\word"#), "escaped in JSON: {line}");
        let out = redact(&line);
        assert!(!out.contains("word-with-quote"), "{out}");
    }

    #[test]
    fn a_short_secret_is_replaced_where_it_stands_alone_and_words_containing_it_stay() {
        register_secret("k3y!9");
        assert_eq!(redact("password k3y!9 refused"), "password [redacted] refused");
        assert_eq!(redact("\"k3y!9\""), "\"[redacted]\"");
        assert_eq!(redact("turkey k3y!95 stays"), "turkey k3y!95 stays");
    }
}
