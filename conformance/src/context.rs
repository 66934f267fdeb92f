//! What a case works with: the device's facts, the suite's home, connections recorded into
//! the case's evidence, a random source seeded from the run's seed and the case's ID, and
//! the operator hooks.

use crate::case::Failure;
use crate::controller::{Conn, PaseOutcome, Session, SessionOpenError, SuiteHome};
use crate::evidence::Evidence;
use crate::facts::Facts;
use crate::hooks::{Hooks, Step};
use crate::transport::Transport;
use orbit_core::attest::TrustStore;
use orbit_core::cert::{HomeMembership, NodeId};
use orbit_core::crypto::{Random, SeededRandom};
use orbit_core::interaction::{ClientEvent, CommandPath};
use orbit_core::model::std_caps;
use orbit_core::model::{Data, EndpointId};
use std::sync::Arc;
use std::time::Duration;

/// How long the suite's administrator waits out `busy` answers to its session handshake:
/// the 30 s handshake deadline of [SESS-33] and a margin.
const BUSY_WAIT: Duration = Duration::from_secs(35);

/// Everything shared by the cases of one run.
pub(crate) struct Shared {
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) facts: Arc<Facts>,
    pub(crate) home: Arc<tokio::sync::Mutex<SuiteHome>>,
    pub(crate) device_node: NodeId,
    pub(crate) trust: Arc<TrustStore>,
    pub(crate) hooks: Arc<Hooks>,
    pub(crate) answer_timeout: Duration,
    pub(crate) discovery: Option<orbit_discovery::DiscoveryConfig>,
}

/// The context of one case run.
pub struct Ctx {
    shared: Arc<Shared>,
    evidence: Evidence,
    rng: SeededRandom,
    seed: u64,
}

/// The random seed of a case: the run's seed mixed with the case's ID, so one case replays
/// alone with the same randomness (`--seed N --only CASE`).
pub fn case_seed(run_seed: u64, case_id: &str) -> u64 {
    // FNV-1a over the ID, then mixed with the run's seed.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in case_id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^ run_seed.rotate_left(17)
}

impl Ctx {
    pub(crate) fn new(shared: Arc<Shared>, case_id: &str, run_seed: u64) -> Self {
        let seed = case_seed(run_seed, case_id);
        Self {
            shared,
            evidence: Evidence::new(),
            rng: SeededRandom::new(seed),
            seed,
        }
    }

    /// What is known about the device.
    pub fn facts(&self) -> &Facts {
        &self.shared.facts
    }

    /// The device's node ID in the suite's home.
    pub fn device_node(&self) -> NodeId {
        self.shared.device_node
    }

    /// The vendor roots attestation is checked against.
    pub fn trust(&self) -> &TrustStore {
        &self.shared.trust
    }

    /// The suite's home (to issue further members or unusual certificates).
    pub async fn home(&self) -> tokio::sync::MutexGuard<'_, SuiteHome> {
        self.shared.home.lock().await
    }

    /// The suite administrator's membership.
    pub async fn admin(&self) -> HomeMembership {
        self.shared.home.lock().await.admin().clone()
    }

    /// This case's evidence log.
    pub fn evidence(&self) -> &Evidence {
        &self.evidence
    }

    /// Notes what the suite observed or did in the evidence.
    pub fn note(&self, text: impl Into<String>) {
        self.evidence.note(text);
    }

    /// The case's random source (seeded: see [`case_seed`]).
    pub fn rng(&mut self) -> &mut (dyn Random + Send) {
        &mut self.rng
    }

    /// The case's seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// How long the suite waits for an answer the device owes.
    pub fn answer_timeout(&self) -> Duration {
        self.shared.answer_timeout
    }

    /// The transport adapter, for cases about the transport itself (for example
    /// [`Transport::connect_offering`]).
    pub fn transport(&self) -> &dyn Transport {
        self.shared.transport.as_ref()
    }

    /// Where to browse for the device's DNS-SD adverts, if anywhere.
    pub fn discovery(&self) -> Option<&orbit_discovery::DiscoveryConfig> {
        self.shared.discovery.as_ref()
    }

    /// A new connection to the device.
    pub async fn connect(&self) -> Result<Conn, crate::transport::TransportError> {
        let c = self.shared.transport.connect().await?;
        Ok(Conn::new(
            c,
            self.evidence.clone(),
            self.shared.answer_timeout,
        ))
    }

    /// PASE with `passcode` on a new exchange of `conn`.
    pub async fn pase(&mut self, conn: &Conn, passcode: u32) -> PaseOutcome {
        crate::controller::pase(conn, passcode, &mut self.rng).await
    }

    /// A session as `membership` on `conn`.
    pub async fn session_as(
        &mut self,
        conn: &Conn,
        membership: &HomeMembership,
    ) -> Result<Session, SessionOpenError> {
        Session::open(
            conn,
            membership,
            self.shared.device_node,
            None,
            &mut self.rng,
        )
        .await
    }

    /// A session as the suite's administrator on a new connection. Failing to get one is
    /// INCONCLUSIVE for the case at hand (the sessions group judges session setup itself).
    ///
    /// A `busy` answer is waited out: a device may keep up to 8 handshakes pending until
    /// their deadline, 30 s after their sigma2, before it must discard them ([SESS-33],
    /// [SESS-34]), and a case that left handshakes half-open (or another peer) may fill them.
    pub async fn admin_session(&mut self) -> Result<Session, Failure> {
        let admin = self.admin().await;
        let give_up = std::time::Instant::now() + BUSY_WAIT;
        let mut pause = Duration::from_millis(50);
        loop {
            let conn = self.connect().await?;
            match self.session_as(&conn, &admin).await {
                Ok(s) => return Ok(s),
                Err(SessionOpenError::Status(orbit_core::status::Status::BUSY))
                    if std::time::Instant::now() < give_up =>
                {
                    conn.close();
                    self.note(format!(
                        "the administrator's session got busy; trying again in {} ms",
                        pause.as_millis()
                    ));
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                Err(e) => {
                    return Err(Failure::Inconclusive(format!(
                        "the suite's administrator session: {e}"
                    )))
                }
            }
        }
    }

    /// Opens the device's pairing window for `seconds` as the suite's administrator
    /// (administration `open-pairing-window`, `[ACL-10]`).
    pub async fn open_pairing_window(&mut self, seconds: u64) -> Result<(), Failure> {
        let mut s = self.admin_session().await?;
        let path = CommandPath::new(
            EndpointId::ROOT,
            std_caps::administration::ID,
            std_caps::administration::commands::OPEN_PAIRING_WINDOW,
        );
        let args = Data::Struct(vec![(0, Data::Uint(seconds))]);
        let r = s.invoke(path, args, true).await;
        s.conn().close();
        match r {
            Ok(ClientEvent::Invoked { result: Ok(_), .. }) => Ok(()),
            Ok(other) => Err(Failure::Inconclusive(format!(
                "opening the pairing window as administrator: {other:?}"
            ))),
            Err(e) => Err(Failure::Inconclusive(format!(
                "opening the pairing window as administrator: {e}"
            ))),
        }
    }

    /// Carries out an operator step: NOT-APPLICABLE when there is no hook for it,
    /// INCONCLUSIVE when the hook failed.
    pub async fn hook(&self, step: Step) -> Result<(), Failure> {
        if !self.shared.hooks.has(step) {
            return Err(Failure::NotApplicable(format!(
                "needs an operator step ({}) and no hook was given (--{}-cmd)",
                step.name(),
                step.name()
            )));
        }
        self.note(format!("operator step: {}", step.name()));
        self.shared
            .hooks
            .run(step)
            .await
            .map_err(Failure::Inconclusive)?;
        if let Some(settle) = self.shared.hooks.settle {
            tokio::time::sleep(settle).await;
        }
        Ok(())
    }
}
