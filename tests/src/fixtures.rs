//! Builders for the values tests arrange from.

use chrono::NaiveDate;
use focus_octopus::domain::JournalKey;
use focus_octopus::store::ConnectionConfig;

/// A connection booking invoices in V1 and credit notes in V2 since 1 January 2026, with 21 % mapped.
pub fn connection_config() -> ConnectionConfig {
    ConnectionConfig {
        focus_account_id: "acc-1".into(),
        focus_department_id: "dep-1".into(),
        octopus_dossier_id: 1001,
        invoice_journal: JournalKey::new("V1").expect("valid key"),
        credit_note_journal: JournalKey::new("V2").expect("valid key"),
        start_date: NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid date"),
        vat_codes: [("tax-21".to_owned(), "21".to_owned())].into(),
        ledger_by_tax_rate: Default::default(),
        default_ledger_account: Some("700000".into()),
        options: Default::default(),
    }
}

/// A simulated Octopus, a store on moto and a shared manual clock: what every Octopus client test arranges.
pub struct OctopusWorld {
    pub aws: crate::LocalAws,
    pub sim: crate::octopus_sim::OctopusSim,
    pub clock: focus_octopus::clock::ManualClock,
    pub conn: focus_octopus::domain::ConnectionId,
}

/// Monday 2 March 2026, 09:00 UTC: a working day inside the seeded bookyear.
pub fn test_start() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
        .expect("valid time")
        .to_utc()
}

/// Retries without real waiting, so tests of back-off stay fast.
pub fn fast_retries() -> focus_octopus::octopus::RetryPolicy {
    focus_octopus::octopus::RetryPolicy {
        attempts: 3,
        base_delay: std::time::Duration::from_millis(1),
        max_delay: std::time::Duration::from_millis(5),
        timeout: std::time::Duration::from_secs(10),
    }
}

impl OctopusWorld {
    pub async fn start() -> Self {
        let clock = focus_octopus::clock::ManualClock::at(test_start());
        let sim = crate::octopus_sim::OctopusSim::start(std::sync::Arc::new(clock.clone())).await;
        let aws = crate::LocalAws::start().await.expect("moto is running");
        let conn = focus_octopus::domain::ConnectionId::new("bakkerij").expect("valid id");
        Self { aws, sim, clock, conn }
    }

    /// A cold client (nothing in memory) of the standard dossier with the documented limits.
    pub fn client(&self) -> focus_octopus::octopus::OctopusClient {
        self.client_with(
            crate::octopus_sim::DOSSIER,
            Default::default(),
            crate::octopus_sim::PASSWORD,
        )
    }

    pub fn client_with(
        &self,
        dossier: i32,
        limits: focus_octopus::octopus::DailyLimits,
        password: &str,
    ) -> focus_octopus::octopus::OctopusClient {
        focus_octopus::octopus::OctopusClient::with_settings(
            self.sim.url(),
            focus_octopus::octopus::OctopusCredentials {
                software_house_uuid: crate::octopus_sim::SOFTWARE_HOUSE_UUID.into(),
                user: crate::octopus_sim::USER.into(),
                password: password.to_owned().into(),
            },
            dossier,
            self.conn.clone(),
            self.aws.store(),
            std::sync::Arc::new(self.clock.clone()),
            limits,
            fast_retries(),
        )
    }
}

/// A balanced sales booking in V1, bookyear 1, March 2026, for relation `relation`: one 21 % line of `base`.
pub fn sales_booking(
    document_nr: i32,
    relation: i32,
    base: rust_decimal::Decimal,
) -> focus_octopus::octopus::BuySellBooking {
    use focus_octopus::octopus::{
        BookyearKey, BuySellBooking, BuySellBookingLine, RelationIdentification, RelationKey,
    };
    let vat = (base * rust_decimal::Decimal::new(21, 2)).round_dp(2);
    let date = NaiveDate::from_ymd_opt(2026, 3, 2).expect("valid date");
    BuySellBooking {
        bookyear_key: BookyearKey {
            id: focus_octopus::domain::BookyearId(1),
        },
        journal_key: "V1".into(),
        document_sequence_nr: document_nr,
        relation_identification_service_data: RelationIdentification {
            relation_key: Some(RelationKey {
                id: focus_octopus::domain::OctopusRelationId(relation),
            }),
            external_relation_id: None,
        },
        bookyear_periode_nr: 202603,
        document_date: date,
        expiry_date: date + chrono::Days::new(30),
        comment: None,
        order_reference: None,
        reference: Some(format!("2026 / {document_nr}")),
        amount: base + vat,
        currency_code: "EUR".into(),
        exchange_rate: rust_decimal::Decimal::ONE,
        booking_lines: vec![BuySellBookingLine {
            account_key: 700000,
            base_amount: base,
            vat_code_key: "21".into(),
            vat_amount: vat,
            comment: None,
        }],
        payment_method: None,
    }
}

impl OctopusWorld {
    pub fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use focus_octopus::clock::Clock;
        self.clock.now()
    }
}

/// A simulated Focus, Secrets Manager and DynamoDB on moto, and a shared manual clock.
pub struct FocusWorld {
    pub aws: crate::LocalAws,
    pub sim: crate::focus_sim::FocusSim,
    pub clock: focus_octopus::clock::ManualClock,
    pub conn: focus_octopus::domain::ConnectionId,
    pub secret_id: String,
}

impl FocusWorld {
    /// The connection is authorised: its secret holds a fresh pair issued by the simulator.
    pub async fn start() -> Self {
        let clock = focus_octopus::clock::ManualClock::at(test_start());
        let sim = crate::focus_sim::FocusSim::start(std::sync::Arc::new(clock.clone())).await;
        let aws = crate::LocalAws::start().await.expect("moto is running");
        let conn = focus_octopus::domain::ConnectionId::new("bakkerij").expect("valid id");
        let secret_id = format!("{}/{}/focus-oauth", aws.table_name, conn);
        let (access, refresh) = sim.issue_token_pair();
        let secret = focus_octopus::focus::FocusOAuthSecret {
            client_id: crate::focus_sim::CLIENT_ID.into(),
            client_secret: crate::focus_sim::CLIENT_SECRET.into(),
            access_token: Some(access),
            refresh_token: Some(refresh),
            expires_at: Some(test_start() + chrono::Duration::seconds(crate::focus_sim::ACCESS_TOKEN_LIFETIME)),
            authorised_at: Some(test_start()),
            account_id: None,
        };
        aws.secrets
            .create_secret()
            .name(&secret_id)
            .secret_string(serde_json::to_string(&secret).expect("serialisable"))
            .send()
            .await
            .expect("moto creates the secret");
        Self {
            aws,
            sim,
            clock,
            conn,
            secret_id,
        }
    }

    /// A cold client (nothing in memory).
    pub fn client(&self) -> focus_octopus::focus::FocusClient {
        focus_octopus::focus::FocusClient::new(
            focus_octopus::focus::FocusEndpoints {
                api: self.sim.url(),
                oauth: self.sim.url(),
            },
            self.aws.secrets.clone(),
            self.secret_id.clone(),
            self.conn.clone(),
            self.aws.store(),
            std::sync::Arc::new(self.clock.clone()),
            fast_retries(),
        )
    }

    /// The secret as stored now.
    pub async fn secret(&self) -> focus_octopus::focus::FocusOAuthSecret {
        let out = self
            .aws
            .secrets
            .get_secret_value()
            .secret_id(&self.secret_id)
            // moto's default is the version current before the last UpdateSecretVersionStage; AWS's is AWSCURRENT.
            .version_stage("AWSCURRENT")
            .send()
            .await
            .expect("the secret exists");
        serde_json::from_str(out.secret_string().expect("text")).expect("our JSON")
    }

    pub fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use focus_octopus::clock::Clock;
        self.clock.now()
    }
}

/// A valid Belgian enterprise number (ten digits, mod-97 check) made from `n` (below 6,000,000): distinct `n`, distinct
/// numbers. The sync refuses numbers with a wrong check, so fixtures need real-looking ones.
pub fn belgian_enterprise_number(n: u32) -> String {
    assert!(n < 6_000_000, "{n} gives more than eight digits");
    let body = 4_000_000 + u64::from(n);
    format!("0{body:07}{:02}", 97 - body % 97)
}

/// [`belgian_enterprise_number`] as a VAT number in Octopus's form, `BE0xxx.xxx.xxx`.
pub fn belgian_vat(n: u32) -> String {
    let d = belgian_enterprise_number(n);
    format!("BE{}.{}.{}", &d[..4], &d[4..7], &d[7..])
}
