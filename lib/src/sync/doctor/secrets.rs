//! The doctor's first rows: each of the connection's three secrets exists and has the shape the sync needs. They
//! run before anything is sent to a partner, so an unfilled Octopus login is named without a login attempt.

use secrecy::ExposeSecret;

use super::{Check, fail, pass};
use crate::domain::Code;
use crate::domain::{ConnectionId, Failure};
use crate::focus::FocusOAuthSecret;
use crate::sync::services::{Deployment, OctopusSecret, OctopusSecretProblem, SecretKind};

/// The codes of the findings only `doctor` makes (the others are the codes the sync fails with).
const FOCUS_CLIENT_MISSING: Code = Code::FOCUS_CLIENT_MISSING;
const FOCUS_NOT_AUTHORISED: Code = Code::FOCUS_NOT_AUTHORISED;
const WEBHOOK_SECRET_WEAK: Code = Code::WEBHOOK_SECRET_WEAK;

/// The shortest webhook secret accepted: it is the only thing that tells a webhook from Focus from anyone's.
pub const WEBHOOK_SECRET_MIN_LEN: usize = 32;

/// One row per secret; `true` when the Octopus login can be used (the Octopus checks need it).
pub async fn checks(deployment: &Deployment, conn: &ConnectionId) -> (Vec<Check>, bool) {
    let mut checks = Vec::new();
    let mut octopus_usable = false;
    for kind in [SecretKind::Octopus, SecretKind::FocusOAuth, SecretKind::Webhook] {
        let name = deployment.secret_name(conn, kind);
        let title = match kind {
            SecretKind::Octopus => format!("Secret {name} (Octopus login)"),
            SecretKind::FocusOAuth => format!("Secret {name} (Focus integration and tokens)"),
            SecretKind::Webhook => format!("Secret {name} (webhook secret)"),
        };
        let text = match deployment.read_secret(conn, kind).await {
            Ok(text) => text,
            Err(e) if e.code() == Code::SECRET_MISSING => {
                checks.push(fail(&title, "it does not exist", kind.create_command(&name)));
                continue;
            }
            Err(e) => {
                checks.push(fail(
                    &title,
                    format!("{}: {e}", e.code()),
                    format!(
                        "Check that your AWS credentials may read secretsmanager:GetSecretValue on {name} (README, \
                         the CLI's IAM permissions), then run `focus-octopus doctor` again."
                    ),
                ));
                continue;
            }
        };
        let text = text.expose_secret();
        checks.push(match kind {
            SecretKind::Octopus => match OctopusSecret::parse(text) {
                Ok(_) => {
                    octopus_usable = true;
                    pass(&title, "user, password and software_house_uuid filled in")
                }
                Err(OctopusSecretProblem::NotTheShape) => fail(
                    &title,
                    format!(
                        "{}: it is not the JSON {{\"user\", \"password\", \"software_house_uuid\"}}",
                        Code::OCTOPUS_SECRET_INVALID
                    ),
                    format!("{} (README, Deploy step 4)", kind.fill_command(&name)),
                ),
                Err(OctopusSecretProblem::Unfilled(empty)) => fail(
                    &title,
                    format!(
                        "{}: still the stack's placeholder ({} empty); no login was sent",
                        Code::OCTOPUS_SECRET_UNFILLED,
                        empty.join(", ")
                    ),
                    format!("{} (README, Deploy step 4)", kind.fill_command(&name)),
                ),
            },
            SecretKind::FocusOAuth => focus_shape(&title, &name, text),
            SecretKind::Webhook => webhook_shape(&title, &name, text),
        });
    }
    (checks, octopus_usable)
}

fn focus_shape(title: &str, name: &str, text: &str) -> Check {
    let fill = format!(
        "Register the integration on the Focus Marketplace, then {} (README, Deploy steps 3–4), then \
         `focus-octopus connect-focus`.",
        SecretKind::FocusOAuth.fill_command(name)
    );
    let Ok(secret) = serde_json::from_str::<FocusOAuthSecret>(text) else {
        return fail(
            title,
            format!(
                "{}: it is not the JSON {{\"client_id\", \"client_secret\", …}}",
                Code::FOCUS_SECRET_INVALID
            ),
            fill,
        );
    };
    if secret.client_id.trim().is_empty() || secret.client_secret.trim().is_empty() {
        return fail(
            title,
            format!("{FOCUS_CLIENT_MISSING}: the integration's client_id or client_secret is empty"),
            fill,
        );
    }
    match (secret.refresh_token.as_deref().map(str::trim), secret.authorised_at) {
        (Some(token), authorised) if !token.is_empty() => pass(
            title,
            match authorised {
                Some(at) => format!(
                    "client_id and client_secret filled in; tokens stored (approved {})",
                    at.format("%Y-%m-%d %H:%M")
                ),
                None => "client_id and client_secret filled in; tokens stored".into(),
            },
        ),
        _ => fail(
            title,
            format!(
                "{FOCUS_NOT_AUTHORISED}: client_id and client_secret filled in, but no one approved the integration \
                 yet"
            ),
            "Run `focus-octopus connect-focus --redirect-uri <WebhookBaseUrl>/oauth/callback`, open the link and approve.",
        ),
    }
}

fn webhook_shape(title: &str, name: &str, text: &str) -> Check {
    let url_safe = text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if text.chars().count() >= WEBHOOK_SECRET_MIN_LEN && url_safe {
        pass(title, format!("{} characters, URL-safe", text.chars().count()))
    } else {
        fail(
            title,
            format!(
                "{WEBHOOK_SECRET_WEAK}: it must be at least {WEBHOOK_SECRET_MIN_LEN} letters, digits, - or _ (it is \
                 part of the webhook URL); it has {} characters{}",
                text.chars().count(),
                if url_safe { "" } else { ", some not URL-safe" }
            ),
            format!(
                "{}, then `focus-octopus register-webhooks --receiver-url <WebhookBaseUrl>`.",
                SecretKind::Webhook.fill_command(name)
            ),
        )
    }
}
