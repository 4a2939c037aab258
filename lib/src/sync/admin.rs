//! Admin commands: `{"action": "...", ...}` in, JSON out (docs/DESIGN.md §4.4). The CLI sends the same JSON.

use serde::Serialize;

use super::error::SyncError;
use super::progress::{Progress, Silent};
use super::resync::ResyncScope;
use super::services::Deployment;
use crate::domain::Code;
use crate::domain::{ConnectionId, DocumentKind, DocumentRef, ErrorClass, Failure};
use crate::store::StoreError;

pub use command::AdminCommand;

mod command;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pong {
    pub version: &'static str,
    pub connections: Vec<ConnectionId>,
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("The command is not understood ({reason}). Send JSON such as {{\"action\": \"ping\"}}.")]
    BadCommand { reason: String },
    #[error("'{text}' is not a Focus id ({rule}). Copy it from Focus, or from `focus-octopus status`.")]
    InvalidId { text: String, rule: &'static str },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Sync(#[from] SyncError),
}

impl Failure for AdminError {
    fn code(&self) -> Code {
        match self {
            AdminError::BadCommand { .. } => Code::ADMIN_BAD_COMMAND,
            AdminError::InvalidId { .. } => Code::FOCUS_ID_INVALID,
            AdminError::Store(e) => e.code(),
            AdminError::Sync(e) => e.code(),
        }
    }
    fn class(&self) -> ErrorClass {
        match self {
            AdminError::BadCommand { .. } | AdminError::InvalidId { .. } => ErrorClass::Permanent,
            AdminError::Store(e) => e.class(),
            AdminError::Sync(e) => e.class(),
        }
    }
}

/// Parses a command; nothing runs for a command that does not parse.
pub fn parse(command: serde_json::Value) -> Result<AdminCommand, AdminError> {
    serde_json::from_value(command).map_err(|e| AdminError::BadCommand { reason: e.to_string() })
}

fn document(text: &str) -> Result<DocumentRef, AdminError> {
    let bad = || AdminError::BadCommand {
        reason: format!("'{text}' is not a document; write invoice:<Focus id> or credit_note:<Focus id>"),
    };
    let (kind, id) = text.split_once(':').ok_or_else(bad)?;
    let kind = match kind {
        "invoice" => DocumentKind::Invoice,
        "credit_note" => DocumentKind::CreditNote,
        _ => return Err(bad()),
    };
    DocumentRef::new(kind, id).map_err(|e| AdminError::InvalidId {
        text: id.to_owned(),
        rule: e.rule,
    })
}

fn json<T: Serialize>(value: T) -> serde_json::Value {
    serde_json::to_value(value).expect("plain data serialises")
}

/// Runs a command; one that changes data leaves a run report (published to the report topic if it failed).
pub async fn run(deployment: &Deployment, command: AdminCommand) -> Result<serde_json::Value, AdminError> {
    run_watched(deployment, command, &Silent).await
}

/// [`run`], telling `progress` how far a long command (customers, resync) is.
pub async fn run_watched(
    deployment: &Deployment,
    command: AdminCommand,
    progress: &dyn Progress,
) -> Result<serde_json::Value, AdminError> {
    let changes = command.changes().map(|(action, conn)| (action, conn.clone()));
    let started = deployment.clock.now();
    let result = execute(deployment, command, progress).await;
    if let Some((action, conn)) = changes
        && deployment.store.connections().get(&conn).await.ok().flatten().is_some()
    {
        let mut report = crate::store::RunReport {
            id: uuid::Uuid::new_v4().to_string(),
            kind: crate::store::RunKind::Admin,
            started_at: started,
            finished_at: Some(deployment.clock.now()),
            attempted: 1,
            done: u32::from(result.is_ok()),
            skipped: 0,
            failed: Vec::new(),
            notes: vec![format!("admin: {action}")],
        };
        if let Err(e) = &result {
            report.failed.push(crate::store::RunFailure {
                document: None,
                code: e.code().to_string(),
                message: e.to_string(),
            });
            deployment.publish(&conn, &report).await;
        }
        if let Err(e) = deployment.store.runs().put(&conn, &report).await {
            tracing::warn!(connection = %conn, "admin run report not stored: {e}");
        }
    }
    result
}

async fn execute(
    deployment: &Deployment,
    command: AdminCommand,
    progress: &dyn Progress,
) -> Result<serde_json::Value, AdminError> {
    let store = &deployment.store;
    match command {
        AdminCommand::Ping {} => Ok(json(Pong {
            version: env!("CARGO_PKG_VERSION"),
            connections: store.connections().list().await?,
        })),
        AdminCommand::Status { connection } => Ok(json(super::status::status(deployment, &connection).await?)),
        AdminCommand::Doctor {
            connection,
            receiver_url,
        } => Ok(json({
            if let Some(url) = &receiver_url {
                super::authorise::absolute_url(url, "--receiver-url")?;
            }
            super::doctor::doctor(deployment, &connection, receiver_url.as_deref()).await?
        })),
        AdminCommand::Resync {
            connection,
            failed,
            since,
            documents,
        } => {
            let scope = match (failed, since, documents.is_empty()) {
                (true, None, true) => ResyncScope::Failed,
                (false, Some(date), true) => ResyncScope::Since(date),
                (false, None, false) => {
                    ResyncScope::Documents(documents.iter().map(|d| document(d)).collect::<Result<_, _>>()?)
                }
                _ => {
                    return Err(AdminError::BadCommand {
                        reason: "resync takes exactly one of --failed, --since YYYY-MM-DD or documents \
                                 (invoice:<id> credit_note:<id> …); in the admin JSON: failed, since or documents"
                            .into(),
                    });
                }
            };
            Ok(json(
                super::resync::resync(deployment, &connection, scope, progress).await?,
            ))
        }
        AdminCommand::Reviewed { connection, documents } => {
            if documents.is_empty() {
                return Err(AdminError::BadCommand {
                    reason: "reviewed needs the documents: invoice:<Focus id> or credit_note:<Focus id>".into(),
                });
            }
            let docs = documents.iter().map(|d| document(d)).collect::<Result<Vec<_>, _>>()?;
            for doc in &docs {
                super::review::mark_reviewed(deployment, &connection, doc).await?;
            }
            Ok(serde_json::json!({ "reviewed": documents }))
        }
        AdminCommand::ConnectFocus {
            connection,
            redirect_uri,
            switch_account,
        } => Ok(json(
            super::authorise::authorize_link(deployment, &connection, &redirect_uri, switch_account).await?,
        )),
        AdminCommand::FocusDepartments { connection } => {
            Ok(json(super::connect::departments(deployment, &connection).await?))
        }
        AdminCommand::OctopusDossiers { connection } => {
            Ok(json(super::connect::dossiers(deployment, &connection).await?))
        }
        AdminCommand::SalesJournals {
            connection,
            dossier,
            date,
        } => Ok(json(
            super::connect::sales_journals(deployment, &connection, dossier, date).await?,
        )),
        AdminCommand::Connect {
            connection,
            focus_department_id,
            dossier,
            invoice_journal,
            credit_note_journal,
            start_date,
        } => {
            let choice = super::connect::Choice {
                focus_department_id,
                dossier,
                invoice_journal,
                credit_note_journal,
                start_date,
            };
            Ok(json(super::connect::connect(deployment, &connection, choice).await?))
        }
        AdminCommand::MapSuggestions { connection } => {
            Ok(json(super::mapping::map_suggestions(deployment, &connection).await?))
        }
        AdminCommand::Map {
            connection,
            tax_rate,
            vat_code,
            ledger,
            default_ledger,
        } => Ok(json(
            super::mapping::map(
                deployment,
                &connection,
                tax_rate.as_deref(),
                vat_code.as_deref(),
                ledger.as_deref(),
                default_ledger.as_deref(),
            )
            .await?,
        )),
        AdminCommand::Unmap {
            connection,
            tax_rate,
            default_ledger,
        } => Ok(json(
            super::mapping::unmap(deployment, &connection, tax_rate.as_deref(), default_ledger).await?,
        )),
        AdminCommand::MatchCustomers { connection, apply } => Ok(json(
            super::customers::match_customers(deployment, &connection, apply, progress).await?,
        )),
        AdminCommand::ImportRelations { connection, dry_run } => Ok(json(
            super::customers::import_relations(deployment, &connection, dry_run, progress).await?,
        )),
        AdminCommand::Attach { connection, missing } => {
            if !missing {
                return Err(AdminError::BadCommand {
                    reason: "attach takes --missing (every booking recorded without its file); in the admin JSON: \
                             \"missing\": true"
                        .into(),
                });
            }
            Ok(json(super::attach::attach_missing(deployment, &connection).await?))
        }
        AdminCommand::RegisterWebhooks {
            connection,
            receiver_url,
        } => Ok(serde_json::json!({
            "registered": super::authorise::set_webhooks(deployment, &connection, &receiver_url, true).await?
        })),
        AdminCommand::UnregisterWebhooks {
            connection,
            receiver_url,
        } => Ok(serde_json::json!({
            "unregistered": super::authorise::set_webhooks(deployment, &connection, &receiver_url, false).await?
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resync_names_exactly_one_scope_and_documents_by_kind() {
        let both = parse(serde_json::json!({"action": "resync", "connection": "acme", "failed": true}));
        assert!(both.is_ok());
        assert!(document("invoice:abc-1").is_ok());
        assert_eq!(document("order:1").unwrap_err().code(), Code::ADMIN_BAD_COMMAND);
    }

    #[test]
    fn an_unknown_action_is_a_bad_command_naming_the_fix() {
        let err = parse(serde_json::json!({"action": "launch"})).unwrap_err();
        assert_eq!(err.code(), Code::ADMIN_BAD_COMMAND);
        assert!(err.to_string().contains("\"action\": \"ping\""));
        assert!(parse(serde_json::json!({"no": "action"})).is_err());
    }

    #[test]
    fn ping_parses() {
        assert_eq!(
            parse(serde_json::json!({"action": "ping"})).unwrap(),
            AdminCommand::Ping {}
        );
    }
}
