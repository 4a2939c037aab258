//! The `focus-octopus` binary against moto and both simulators, as a person or a script runs it.

use std::process::{Command, Output};

use focus_octopus_tests::aws_local::moto_endpoint;
use focus_octopus_tests::octopus_sim::DOSSIER;
use focus_octopus_tests::push_world::PushWorld;
use serde_json::{Value, json};

fn cli(world: &PushWorld) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_focus-octopus"));
    command
        .env("TABLE_NAME", &world.aws.table_name)
        .env("DOCUMENTS_QUEUE_URL", &world.aws.documents_queue_url)
        .env("SECRETS_PREFIX", &world.aws.table_name)
        .env("AWS_ENDPOINT_URL", moto_endpoint().unwrap())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("FOCUS_API_URL", world.focus.url())
        .env("FOCUS_OAUTH_URL", world.focus.url())
        .env("OCTOPUS_API_URL", world.octopus.url())
        .env("FOCUS_OCTOPUS_CONNECTION", "bakkerij");
    command
}

/// Runs the CLI off the runtime's threads: the simulators it talks to live on them.
async fn run(world: &PushWorld, args: &[&str]) -> Output {
    let mut command = cli(world);
    command.args(args);
    tokio::task::spawn_blocking(move || command.output().expect("the CLI runs"))
        .await
        .expect("the CLI finished")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn json_output_parses_and_a_failed_doctor_exits_non_zero() {
    let world = PushWorld::start().await;

    let status = run(&world, &["status", "--json"]).await;
    assert!(status.status.success(), "{status:?}");
    let answer: Value = serde_json::from_str(&stdout(&status)).expect("JSON on stdout");
    assert_eq!(answer["connection"], "bakkerij");
    assert_eq!(answer["documents"]["posted"], 0);

    let dossiers = run(&world, &["dossiers", "--json"]).await;
    let answer: Value = serde_json::from_str(&stdout(&dossiers)).unwrap();
    assert_eq!(answer[0]["id"], DOSSIER);

    let unknown = run(&world, &["status", "--json", "--connection", "nobody"]).await;
    assert!(!unknown.status.success());
    let answer: Value = serde_json::from_str(&stdout(&unknown)).unwrap();
    assert_eq!(answer["error"]["code"], "CONNECTION_UNKNOWN");

    world.focus.state().webhooks.clear();
    let doctor = run(&world, &["doctor", "--json"]).await;
    assert_eq!(doctor.status.code(), Some(1), "a failed check exits 1");
    let answer: Value = serde_json::from_str(&stdout(&doctor)).unwrap();
    assert_eq!(answer["ok"], false);
}

#[tokio::test]
async fn tables_are_the_default_and_help_explains_each_command() {
    let world = PushWorld::start().await;
    let dossiers = run(&world, &["dossiers"]).await;
    let text = stdout(&dossiers);
    assert!(text.starts_with("id"), "{text}");
    assert!(text.contains("1001  Bakkerij Peeters BV"), "{text}");
    let help = run(&world, &["--help"]).await;
    let text = stdout(&help);
    for command in [
        "status",
        "doctor",
        "connect-focus",
        "map",
        "match-customers",
        "import-relations",
        "resync",
        "register-webhooks",
    ] {
        assert!(text.contains(command), "{command} in --help");
    }
}

/// In a terminal (a pseudo-terminal from `script`), a long import shows a spinner and the count of each stage;
/// with --json it does not.
#[tokio::test]
async fn a_long_import_shows_progress_in_a_terminal_and_not_with_json() {
    let world = PushWorld::start().await;
    for i in 0..60 {
        world
            .octopus
            .add_relation(DOSSIER, json!({ "name": format!("Klant {i:02} BV") }));
    }
    let in_terminal = |args: &str| {
        let binary = env!("CARGO_BIN_EXE_focus-octopus");
        let mut command = cli(&world);
        command.args(["-qec", &format!("{binary} {args}"), "/dev/null"]);
        let mut script = Command::new("script");
        for (k, v) in command.get_envs() {
            if let Some(v) = v {
                script.env(k, v);
            }
        }
        script.args(command.get_args());
        async move {
            tokio::task::spawn_blocking(move || script.output().expect("script runs"))
                .await
                .expect("script finished")
        }
    };

    let shown = in_terminal("import-relations --dry-run").await;
    let text = stdout(&shown);
    assert!(shown.status.success(), "{text}");
    assert!(
        text.contains("import-relations …"),
        "a spinner with the action: {text:?}"
    );
    assert!(
        text.contains("import-relations: Octopus relations checked for a link 60/60"),
        "each finished stage with its count: {text:?}"
    );
    assert!(text.contains("60  Focus companies would be created"), "{text}");

    let quiet = in_terminal("import-relations --dry-run --json").await;
    let text = stdout(&quiet);
    assert!(!text.contains("import-relations …"), "{text:?}");
    let answer: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(answer["created"], 60);

    let imported = in_terminal("import-relations").await;
    let text = stdout(&imported);
    assert!(
        text.contains("import-relations: Focus companies created 60/60"),
        "{text:?}"
    );
}

/// The README's commands, as written there (placeholders filled in), in the order a person runs them.
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).expect("the README");
    let mut in_block = false;
    let mut commands = Vec::new();
    for line in readme.lines() {
        let line = line.trim();
        if line.starts_with("```") {
            in_block = !in_block;
        } else if in_block && let Some(command) = line.strip_prefix("focus-octopus ") {
            commands.push(command.to_owned());
        }
    }
    commands
}

/// Every `focus-octopus` command of the README runs, in the README's order, against the simulators, and succeeds.
#[tokio::test]
async fn every_focus_octopus_command_in_the_readme_runs_in_order() {
    use focus_octopus_tests::focus_sim::{DEPARTMENT, line, rates};

    let world = PushWorld::start().await;
    let company = world
        .focus
        .add_company("Brouwerij De Kroon BV", Some("BE0477472701"), "BE");
    let (invoice, _) = world
        .focus
        .invoice(
            ("company", &company),
            vec![line(
                rust_decimal::Decimal::TEN,
                rust_decimal::Decimal::TEN,
                rates::VAT_21,
            )],
            chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
        )
        .await;
    world.pump(10).await;
    // Edited after posting, so the README's `reviewed` has a document needing review.
    world
        .focus
        .update_document(&invoice, |d| d.lines[0].quantity = rust_decimal::Decimal::ONE)
        .await;
    world.pump(10).await;
    let commands = readme_commands();
    assert!(commands.len() >= 20, "{commands:?}");

    for command in commands {
        let filled = command
            .replace("<receiver-url>", &world.function_url())
            .replace("<department-id>", DEPARTMENT)
            .replace("<rate-21-id>", rates::VAT_21)
            .replace("<rate-export-id>", rates::VAT_0_EXPORT)
            .replace("<document-id>", &invoice);
        assert!(!filled.contains('<'), "a placeholder the test does not know: {filled}");
        let mut args: Vec<&str> = filled.split_whitespace().collect();
        args.push("--json");
        let output = run(&world, &args).await;
        assert!(
            output.status.success(),
            "`focus-octopus {filled}` failed: {}{}",
            stdout(&output),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[tokio::test]
async fn missing_variables_are_all_named_at_once_and_ping_needs_only_the_table() {
    let world = PushWorld::start().await;
    let without = |args: &[&str], unset: &[&str]| {
        let mut command = cli(&world);
        command.args(args);
        for name in unset {
            command.env_remove(name);
        }
        async move {
            tokio::task::spawn_blocking(move || command.output().expect("the CLI runs"))
                .await
                .expect("the CLI finished")
        }
    };

    let status = without(&["status", "--json"], &["DOCUMENTS_QUEUE_URL", "SECRETS_PREFIX"]).await;
    assert!(!status.status.success());
    let answer: Value = serde_json::from_str(&stdout(&status)).expect("the error as JSON on stdout");
    assert_eq!(answer["error"]["code"], "CONFIG_ENV_MISSING");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("DOCUMENTS_QUEUE_URL, SECRETS_PREFIX"),
        "both at once: {message}"
    );
    assert!(message.contains("sam list stack-outputs"), "{message}");

    let ping = without(&["ping", "--json"], &["DOCUMENTS_QUEUE_URL", "SECRETS_PREFIX"]).await;
    assert!(
        ping.status.success(),
        "{}{}",
        stdout(&ping),
        String::from_utf8_lossy(&ping.stderr)
    );
    let answer: Value = serde_json::from_str(&stdout(&ping)).unwrap();
    assert_eq!(answer["connections"], json!(["bakkerij"]));

    let text = without(&["status"], &["TABLE_NAME"]).await;
    let stderr = String::from_utf8_lossy(&text.stderr);
    assert!(stderr.starts_with("CONFIG_ENV_MISSING: "), "{stderr}");
}

#[tokio::test]
async fn every_option_has_help_and_dates_say_their_format() {
    let world = PushWorld::start().await;
    for command in [
        "connect",
        "map",
        "unmap",
        "resync",
        "sales-journals",
        "register-webhooks",
        "connect-focus",
    ] {
        let help = run(&world, &[command, "-h"]).await;
        let text = stdout(&help);
        let lines: Vec<&str> = text.lines().collect();
        let options: Vec<usize> = (0..lines.len())
            .filter(|i| lines[*i].trim_start().starts_with("--"))
            .collect();
        assert!(!options.is_empty(), "{command}: {text}");
        for i in options {
            let option = lines[i];
            // clap writes the help beside the option, or on the next line when the options are long.
            let beside = option.split("  ").filter(|p| !p.trim().is_empty()).count() >= 2;
            let below = lines
                .get(i + 1)
                .is_some_and(|next| !next.trim().is_empty() && !next.trim_start().starts_with('-'));
            assert!(beside || below, "{command}: an option without help: {option:?}");
        }
    }
    let resync = stdout(&run(&world, &["resync", "--help"]).await);
    assert!(resync.contains("YYYY-MM-DD"), "{resync}");
    let top = stdout(&run(&world, &["--help"]).await);
    assert!(top.contains("TABLE_NAME") && top.contains("AWS_REGION"), "{top}");
}

#[tokio::test]
async fn status_leads_with_what_needs_a_person_and_doctor_prints_every_fix_whole() {
    use focus_octopus_tests::focus_sim::{line, rates};
    let world = PushWorld::start().await;
    let company = world
        .focus
        .add_company("Brouwerij De Kroon BV", Some("BE0477472701"), "BE");
    let id = world.focus.draft_invoice(
        ("company", &company),
        vec![line(
            rust_decimal::Decimal::NEGATIVE_ONE,
            rust_decimal::Decimal::TEN,
            rates::VAT_21,
        )],
        None,
    );
    world
        .focus
        .book_invoice(&id, chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap())
        .await;
    world.pump(10).await;

    let status = stdout(&run(&world, &["status"]).await);
    let lines: Vec<&str> = status.lines().collect();
    assert_eq!(lines[0], "connection bakkerij", "{status}");
    assert!(lines[1].starts_with("documents: posted 0 · pending 0"), "{status}");
    assert!(lines[1].contains("failed 1"), "{status}");
    assert!(
        lines[2].starts_with("needs a person (1):") && lines[3].contains(&format!("invoice:{id}")),
        "{status}"
    );
    assert!(lines[3].contains("DOCUMENT_NEGATIVE_TOTAL"), "{status}");
    let budgets = lines
        .iter()
        .position(|l| l.starts_with("Octopus calls left today"))
        .unwrap();
    assert_eq!(budgets, lines.len() - 1, "budgets last: {status}");

    world.focus.state().webhooks.clear();
    let doctor = stdout(&run(&world, &["doctor", "--receiver-url", &world.function_url()]).await);
    let fix = doctor
        .lines()
        .find(|l| l.trim_start().starts_with("fix:") && l.contains("register-webhooks"))
        .unwrap_or_else(|| panic!("the webhook check's fix: {doctor}"));
    assert!(fix.trim_end().ends_with('.'), "the whole sentence: {fix}");
    assert!(doctor.contains("FAIL  Focus webhooks"), "{doctor}");
}

/// AWS failures in one line with the cause and the fix, never the SDK's error chain.
#[tokio::test]
async fn a_wrong_table_or_missing_credentials_is_one_line_with_the_fix() {
    let world = PushWorld::start().await;
    let run_with = |args: &[&str], change: &dyn Fn(&mut Command)| {
        let mut command = cli(&world);
        command.args(args);
        change(&mut command);
        async move {
            tokio::task::spawn_blocking(move || command.output().expect("the CLI runs"))
                .await
                .expect("the CLI finished")
        }
    };

    let table = run_with(&["status"], &|c| {
        c.env("TABLE_NAME", "focus-octopus-typo");
    })
    .await;
    let stderr = String::from_utf8_lossy(&table.stderr).into_owned();
    assert!(!table.status.success());
    assert!(stderr.starts_with("STORE_TABLE_MISSING: "), "{stderr}");
    assert!(
        stderr.contains("TABLE_NAME") && stderr.contains("AWS_REGION"),
        "{stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");

    let anonymous = run_with(&["status"], &|c| {
        c.env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_PROFILE")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
            .env("AWS_CONFIG_FILE", "/nonexistent/config")
            .env("HOME", "/nonexistent");
    })
    .await;
    let stderr = String::from_utf8_lossy(&anonymous.stderr).into_owned();
    assert!(stderr.starts_with("AWS_ACCESS_REFUSED: "), "{stderr}");
    assert!(stderr.contains("AWS_PROFILE"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
}

/// `connect` and `map` confirm what changed in words (names beside ids), dry runs say nothing was stored and name
/// the command that stores, and `resync` counts what it handed back: never the raw settings.
#[tokio::test]
async fn commands_that_change_something_confirm_what_changed_in_words() {
    use focus_octopus_tests::focus_sim::{DEPARTMENT, rates};
    let world = PushWorld::start().await;

    let connect = stdout(
        &run(
            &world,
            &[
                "connect",
                "--department",
                DEPARTMENT,
                "--dossier",
                "1001",
                "--invoice-journal",
                "V1",
                "--credit-note-journal",
                "V2",
                "--start-date",
                "2026-02-01",
            ],
        )
        .await,
    );
    let lines: Vec<&str> = connect.lines().collect();
    assert_eq!(lines[0], "connection settings stored:", "{connect}");
    assert!(
        connect.contains(&format!(
            "Focus department: Bakkerij Peeters BV ({DEPARTMENT}) (unchanged)"
        )),
        "{connect}"
    );
    assert!(
        connect.contains("Octopus dossier: 1001 Bakkerij Peeters BV (unchanged)"),
        "{connect}"
    );
    assert!(connect.contains("start date: 2026-01-01 → 2026-02-01"), "{connect}");
    assert!(!connect.contains("vat_codes"), "not the raw settings: {connect}");

    let map = stdout(&run(&world, &["map", "--tax-rate", rates::VAT_21, "--vat-code", "21"]).await);
    assert!(map.starts_with("mapping stored:\n  tax rate "), "{map}");
    assert!(map.contains("VAT code 21 (unchanged)"), "{map}");
    assert!(map.contains("tax rates with a VAT code"), "{map}");

    let dry = stdout(&run(&world, &["match-customers"]).await);
    assert!(
        dry.starts_with("dry run, nothing stored (`focus-octopus match-customers --apply`"),
        "{dry}"
    );

    let resync = stdout(&run(&world, &["resync", "--since", "2026-01-01"]).await);
    assert!(resync.starts_with("0 documents handed to the poster"), "{resync}");
}
