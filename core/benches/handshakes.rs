//! Handshake cost: CPU time per side of pairing (PASE, with the spec's minimum PBKDF2
//! iterations and without PBKDF2) and of a full and a resumed operational session handshake,
//! next to the cost of the primitives they are built from (X25519, Ed25519, P-256 scalar
//! multiplication, PBKDF2).
//!
//! After criterion's report, `main` measures every item again in-process (samples taken
//! round-robin across items, so load changes on a shared machine hit all of them alike) and
//! prints a table of medians and minimums and, for each handshake side, the ratio
//! "handshake / sum of the primitives it performs" (counts below, as constants). A ratio near 1
//! means the side costs its public-key work and little else; what is above 1 is protocol
//! overhead (CBOR, hashing, key schedules, point encoding, certificate parsing).
//!
//! Each side is measured alone by deterministic replay: the peer's messages are recorded once
//! from a handshake between two seeded sides, and every iteration runs one side again from the
//! same seed, so it produces the same messages and accepts the recorded answers. Setup that is
//! not part of a side's work (a fresh pairing window, a ticket store holding the ticket to
//! redeem) is built outside the timed section.
//!
//! `cargo bench -p orbit-core --bench handshakes` measures. Under `cargo test` (no `--bench`
//! argument) criterion runs every routine once and the summary times every item once, so the
//! target stays fast.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion};
use orbit_core::cert::{
    HomeAuthority, HomeId, HomeMembership, HomeTable, NodeId, NodeRole, OperationalPeer, Validity,
};
use orbit_core::codec::CborMessage;
use orbit_core::crypto::hash::pbkdf2_sha256;
use orbit_core::crypto::sign::{PublicKey, Signature, SigningKey};
use orbit_core::crypto::x25519::EphemeralSecret;
use orbit_core::crypto::{Random, SeededRandom};
use orbit_core::pairing::{
    Controller, Device, PairingKeys, PairingWindow, PasscodeVerifier, PbkdfParams,
    DEFAULT_WINDOW_DURATION, PBKDF_ITERATIONS,
};
use orbit_core::session::{
    Established, Initiator, Now, Responder, SessionId, Sigma1Outcome, Ticket, TicketId, TicketStore,
};
use orbit_core::spake2plus::{
    Binding, Prover, ProverSecrets, SharedKey, Verifier, CONFIRM_LEN, POINT_LEN,
    REGISTRATION_OUTPUT_LEN,
};
use orbit_core::version::SUPPORTED;
use p256::elliptic_curve::ff::FromUniformBytes;
use p256::{ProjectivePoint, Scalar};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Fixed inputs

const PASSCODE: u32 = 20202021;
/// `[PAIR-6]` the spec's minimum PBKDF2 iteration count.
const ITERATIONS: u32 = *PBKDF_ITERATIONS.start();
/// Salt length `PbkdfParams::generate` uses (the longest allowed), so the PBKDF2 primitive
/// hashes what registration hashes.
const SALT_LEN: usize = 32;
/// Size of the messages the Ed25519 primitives sign and verify: about a Sigma2/Sigma3
/// signed-data block (context ‖ transcript hash ‖ certificate).
const SIGNED_LEN: usize = 256;

const NOW_UNIX: u64 = 1_800_000_000;
const DAY: u64 = 86_400;
const PHONE: NodeId = 0x0101;
const LAMP: NodeId = 0x0202;
const PHONE_SID: SessionId = SessionId(11);
const LAMP_SID: SessionId = SessionId(22);

// One seed per side and handshake, so each side replays its own randomness exactly.
const FIXTURE_SEED: u64 = 1;
const CONTROLLER_SEED: u64 = 11;
const DEVICE_SEED: u64 = 12;
const PROVER_SEED: u64 = 13;
const VERIFIER_SEED: u64 = 14;
const INITIATOR_SEED: u64 = 21;
const RESPONDER_SEED: u64 = 22;
const RESUME_INITIATOR_SEED: u64 = 23;
const RESUME_RESPONDER_SEED: u64 = 24;

// ---------------------------------------------------------------------------------------------
// Primitive counts per handshake side

/// How many times one side of a handshake performs each measured primitive.
#[derive(Clone, Copy, Debug)]
struct Uses {
    /// `EphemeralSecret::generate` + `public_key` (one X25519 base-point multiplication).
    x25519_keygen: u32,
    /// `EphemeralSecret::agree` (one X25519 variable-base multiplication).
    x25519_agree: u32,
    ed25519_sign: u32,
    ed25519_verify: u32,
    /// `ProjectivePoint::GENERATOR * s`.
    p256_fixed: u32,
    /// `P * s` for any other point P (M, N, L, or a received share).
    p256_variable: u32,
    /// PBKDF2-HMAC-SHA256 at 1000 iterations with an 80-byte output.
    pbkdf2: u32,
}

const NONE: Uses = Uses {
    x25519_keygen: 0,
    x25519_agree: 0,
    ed25519_sign: 0,
    ed25519_verify: 0,
    p256_fixed: 0,
    p256_variable: 0,
    pbkdf2: 0,
};

/// SPAKE2+ prover (`spake2plus/exchange.rs`): `Prover::start` computes `x·G + w0·M`
/// (1 fixed + 1 variable); `Prover::finish` computes `w0·N`, then `x·(Y − w0·N)` and
/// `w1·(Y − w0·N)` (3 variable). Point additions, encodings and decodings are not counted.
const SPAKE_PROVER: Uses = Uses {
    p256_fixed: 1,
    p256_variable: 4,
    ..NONE
};

/// SPAKE2+ verifier (`Verifier::respond_with`): `y·G` (1 fixed) + `w0·N`, `w0·M`,
/// `y·(X − w0·M)`, `y·L` (4 variable). `ExpectConfirmP::confirm` is one HMAC, not counted.
const SPAKE_VERIFIER: Uses = Uses {
    p256_fixed: 1,
    p256_variable: 4,
    ..NONE
};

/// Pairing, controller side (`pairing/controller.rs`): `ExpectPbkdfParamResponse::handle`
/// runs PBKDF2 on the passcode (`PbkdfParams::prover_secrets`, 1) and then the SPAKE2+
/// prover ([`SPAKE_PROVER`]).
const PAIRING_CONTROLLER: Uses = Uses {
    pbkdf2: 1,
    ..SPAKE_PROVER
};

/// Pairing, device side with a stored verifier (`pairing/device.rs`): no PBKDF2, the
/// SPAKE2+ verifier only ([`SPAKE_VERIFIER`]).
const PAIRING_DEVICE: Uses = SPAKE_VERIFIER;

/// Device registration (`PasscodeVerifier::from_passcode` → `ProverSecrets::verifier`):
/// PBKDF2 (1) and `L = w1·G` (1 fixed).
const REGISTRATION: Uses = Uses {
    pbkdf2: 1,
    p256_fixed: 1,
    ..NONE
};

/// Full SIGMA initiator (`session/initiator.rs`): `start` generates the ephemeral key (1
/// keygen); `full` agrees (1), validates the responder's certificate with
/// `validate_operational` — the root's self-signature and the operational certificate's
/// signature by the root (2 verify) — verifies the Sigma2 signature (1 verify) and signs
/// Sigma3 (1 sign). Total 3 verify.
const SESSION_FULL_INITIATOR: Uses = Uses {
    x25519_keygen: 1,
    x25519_agree: 1,
    ed25519_sign: 1,
    ed25519_verify: 3,
    ..NONE
};

/// Full SIGMA responder (`session/responder.rs`): `Reply::start` generates its ephemeral key
/// and agrees (1 + 1), `full` signs Sigma2 (1); `ExpectSigma3::handle` validates the
/// initiator's certificate (root self-signature + operational certificate, 2 verify) and
/// the Sigma3 signature (1 verify). Total 3 verify.
const SESSION_FULL_RESPONDER: Uses = Uses {
    x25519_keygen: 1,
    x25519_agree: 1,
    ed25519_sign: 1,
    ed25519_verify: 3,
    ..NONE
};

/// Resumed initiator: a fresh ephemeral key in `start` and one agreement in `resumed`
/// `[SESS-29]`; the ticket replaces certificates and signatures (MACs and HKDF only).
const SESSION_RESUMED_INITIATOR: Uses = Uses {
    x25519_keygen: 1,
    x25519_agree: 1,
    ..NONE
};

/// Resumed responder: `Reply::start` (1 keygen + 1 agree); the resume MAC check is an HMAC.
const SESSION_RESUMED_RESPONDER: Uses = Uses {
    x25519_keygen: 1,
    x25519_agree: 1,
    ..NONE
};

/// Medians of the primitives, in nanoseconds.
struct PrimitiveCosts {
    x25519_keygen: f64,
    x25519_agree: f64,
    ed25519_sign: f64,
    ed25519_verify: f64,
    p256_fixed: f64,
    p256_variable: f64,
    pbkdf2: f64,
}

impl Uses {
    /// The primitives' cost for these counts.
    fn cost(&self, p: &PrimitiveCosts) -> f64 {
        [
            (self.x25519_keygen, p.x25519_keygen),
            (self.x25519_agree, p.x25519_agree),
            (self.ed25519_sign, p.ed25519_sign),
            (self.ed25519_verify, p.ed25519_verify),
            (self.p256_fixed, p.p256_fixed),
            (self.p256_variable, p.p256_variable),
            (self.pbkdf2, p.pbkdf2),
        ]
        .iter()
        .map(|&(n, ns)| f64::from(n) * ns)
        .sum()
    }

    /// "1 keygen + 1 agree + ..." for the table.
    fn describe(&self) -> String {
        [
            (self.x25519_keygen, "x-keygen"),
            (self.x25519_agree, "x-agree"),
            (self.ed25519_sign, "sign"),
            (self.ed25519_verify, "verify"),
            (self.p256_fixed, "G*s"),
            (self.p256_variable, "P*s"),
            (self.pbkdf2, "pbkdf2"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, name)| format!("{n} {name}"))
        .collect::<Vec<_>>()
        .join(" + ")
    }
}

// ---------------------------------------------------------------------------------------------
// Measurement

/// How much of the in-process summary to run.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// `cargo bench`: full medians.
    Full,
    /// `cargo test` (criterion's test mode): every item once, to check the code paths.
    Quick,
    /// `--list`: criterion only lists the benchmarks.
    Skip,
}

impl Mode {
    /// Mirrors criterion's own choice: benchmarks run only with `--bench` and without `--test`.
    fn from_args() -> Self {
        let args: Vec<String> = std::env::args().collect();
        let has = |flag: &str| args.iter().any(|a| a == flag);
        if has("--list") {
            Mode::Skip
        } else if has("--bench") && !has("--test") && !has("--profile-time") {
            Mode::Full
        } else {
            Mode::Quick
        }
    }
}

/// Rounds of the in-process summary: one sample of every item per round.
const ROUNDS: usize = 25;
/// Aimed-at duration of one sample; each item's iteration count is calibrated to it.
const SAMPLE_TIME: Duration = Duration::from_millis(10);
const MAX_ITERS: u128 = 100_000;

/// Runs a benchmark routine `iters` times and returns how long that took. Inputs are built
/// before and outputs dropped after the timed section, as criterion's `iter_batched` does.
type Sampler<'f> = Box<dyn FnMut(usize) -> Duration + 'f>;

/// One benchmark, kept for the in-process summary.
struct Item<'f> {
    name: &'static str,
    sampler: Sampler<'f>,
}

fn sampler<'f, I: 'f, O: 'f>(
    mut setup: impl FnMut() -> I + 'f,
    mut routine: impl FnMut(I) -> O + 'f,
) -> Sampler<'f> {
    Box::new(move |iters| {
        let inputs: Vec<I> = (0..iters).map(|_| setup()).collect();
        let mut outputs = Vec::with_capacity(iters);
        let start = Instant::now();
        for input in inputs {
            outputs.push(routine(black_box(input)));
        }
        let elapsed = start.elapsed();
        drop(black_box(outputs));
        elapsed
    })
}

/// Benchmarks `routine` on inputs from `setup` with criterion now, and keeps it in `items`
/// for the in-process summary.
fn bench<'f, I: 'f, O: 'f>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    items: &mut Vec<Item<'f>>,
    name: &'static str,
    mut setup: impl FnMut() -> I + 'f,
    mut routine: impl FnMut(I) -> O + 'f,
) {
    group.bench_function(name, |b| {
        b.iter_batched(&mut setup, &mut routine, BatchSize::SmallInput)
    });
    items.push(Item {
        name,
        sampler: sampler(setup, routine),
    });
}

/// Time per call in nanoseconds over the summary's samples.
#[derive(Clone, Copy, Debug)]
struct Stats {
    median: f64,
    min: f64,
}

/// The in-process measurements, by item name.
struct Results(Vec<(&'static str, Stats)>);

impl Results {
    fn get(&self, name: &str) -> Stats {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| *s)
            .unwrap_or_else(|| panic!("no benchmark named {name}"))
    }
}

/// Measures every item: calibrates its iteration count to [`SAMPLE_TIME`], then takes
/// [`ROUNDS`] samples round-robin, so that a change of load on a shared machine affects all
/// items alike and the ratios stay meaningful.
fn measure(mode: Mode, items: &mut [Item<'_>]) -> Results {
    let (rounds, target) = match mode {
        Mode::Full => (ROUNDS, SAMPLE_TIME),
        Mode::Quick | Mode::Skip => (1, Duration::ZERO),
    };
    let iters: Vec<usize> = items
        .iter_mut()
        .map(|item| {
            if target.is_zero() {
                return 1;
            }
            (item.sampler)(1); // warm-up
            let once = (item.sampler)(1).as_nanos().max(1);
            usize::try_from((target.as_nanos() / once).clamp(1, MAX_ITERS)).unwrap()
        })
        .collect();
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); items.len()];
    for _ in 0..rounds {
        for ((item, &n), s) in items.iter_mut().zip(&iters).zip(&mut samples) {
            s.push((item.sampler)(n).as_nanos() as f64 / n as f64);
        }
    }
    Results(
        items
            .iter()
            .zip(samples)
            .map(|(item, mut s)| {
                s.sort_by(f64::total_cmp);
                let stats = Stats {
                    median: s[s.len() / 2],
                    min: s[0],
                };
                (item.name, stats)
            })
            .collect(),
    )
}

// ---------------------------------------------------------------------------------------------
// Primitives

/// Keys, a message, a scalar and a point for the primitives.
struct PrimitiveFx {
    rng: SeededRandom,
    ours: EphemeralSecret,
    theirs: [u8; 32],
    key: SigningKey,
    public: PublicKey,
    message: Vec<u8>,
    signature: Signature,
    scalar: Scalar,
    point: ProjectivePoint,
    salt: [u8; SALT_LEN],
}

impl PrimitiveFx {
    fn new() -> Self {
        let mut rng = SeededRandom::new(FIXTURE_SEED);
        let ours = EphemeralSecret::generate(&mut rng).unwrap();
        let theirs = EphemeralSecret::generate(&mut rng).unwrap().public_key();
        let key = SigningKey::generate(&mut rng).unwrap();
        let mut message = vec![0u8; SIGNED_LEN];
        rng.fill(&mut message).unwrap();
        let mut wide = [0u8; 64];
        rng.fill(&mut wide).unwrap();
        let scalar = Scalar::from_uniform_bytes(&wide);
        rng.fill(&mut wide).unwrap();
        let point = ProjectivePoint::GENERATOR * Scalar::from_uniform_bytes(&wide);
        let mut salt = [0u8; SALT_LEN];
        rng.fill(&mut salt).unwrap();
        PrimitiveFx {
            public: key.public_key(),
            signature: key.sign(&message),
            rng,
            ours,
            theirs,
            key,
            message,
            scalar,
            point,
            salt,
        }
    }
}

fn primitives<'f>(c: &mut Criterion, fx: &'f PrimitiveFx, items: &mut Vec<Item<'f>>) {
    let mut g = c.benchmark_group("primitives");
    bench(
        &mut g,
        items,
        "x25519_keygen",
        || fx.rng.clone(),
        |mut rng| {
            let secret = EphemeralSecret::generate(&mut rng).unwrap();
            (secret.public_key(), secret)
        },
    );
    bench(
        &mut g,
        items,
        "x25519_agree",
        || (),
        |()| fx.ours.agree(&fx.theirs).unwrap(),
    );
    bench(
        &mut g,
        items,
        "ed25519_sign",
        || (),
        |()| fx.key.sign(black_box(&fx.message)),
    );
    bench(
        &mut g,
        items,
        "ed25519_verify",
        || (),
        |()| {
            fx.public
                .verify(black_box(&fx.message), &fx.signature)
                .unwrap()
        },
    );
    bench(
        &mut g,
        items,
        "p256_mul_generator",
        || (),
        |()| ProjectivePoint::GENERATOR * black_box(fx.scalar),
    );
    bench(
        &mut g,
        items,
        "p256_mul_point",
        || (),
        |()| black_box(fx.point) * black_box(fx.scalar),
    );
    bench(
        &mut g,
        items,
        "pbkdf2_1000",
        || (),
        |()| {
            let mut out = [0u8; REGISTRATION_OUTPUT_LEN];
            pbkdf2_sha256(&PASSCODE.to_le_bytes(), &fx.salt, ITERATIONS, &mut out).unwrap();
            out
        },
    );
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// Pairing

/// A device's stored verifier and the five pairing messages of one recorded handshake.
struct PairingFx {
    now: Instant,
    stored: PasscodeVerifier,
    request: Vec<u8>,
    response: Vec<u8>,
    pake1: Vec<u8>,
    pake2: Vec<u8>,
    pake3: Vec<u8>,
}

fn controller() -> Controller {
    Controller {
        passcode: PASSCODE,
        versions: SUPPORTED,
        local_session_id: 1,
        known_params: None,
    }
}

fn open_window(now: Instant) -> PairingWindow {
    let mut window = PairingWindow::new();
    window.open(now, DEFAULT_WINDOW_DURATION).unwrap();
    window
}

impl PairingFx {
    fn new() -> Self {
        let now = Instant::now();
        let params =
            PbkdfParams::generate(&mut SeededRandom::new(FIXTURE_SEED), ITERATIONS).unwrap();
        let stored = PasscodeVerifier::from_passcode(PASSCODE, params).unwrap();
        let mut fx = PairingFx {
            now,
            stored,
            request: Vec::new(),
            response: Vec::new(),
            pake1: Vec::new(),
            pake2: Vec::new(),
            pake3: Vec::new(),
        };
        let mut c_rng = SeededRandom::new(CONTROLLER_SEED);
        let mut d_rng = SeededRandom::new(DEVICE_SEED);
        let mut window = open_window(now);
        let device = Device {
            verifier: &fx.stored,
            versions: SUPPORTED,
        };
        let (phone, request) = controller().start(&mut c_rng, now).unwrap();
        fx.request = request.to_bytes();
        let (lamp, response) = device
            .handle_request(&mut window, &fx.request, 2, &mut d_rng, now)
            .unwrap();
        fx.response = response.to_bytes();
        let (phone, pake1) = phone.handle(&fx.response, &mut c_rng, now).unwrap();
        fx.pake1 = pake1.to_bytes();
        let (lamp, pake2) = lamp
            .handle(&mut window, &fx.pake1, &mut d_rng, now)
            .unwrap();
        fx.pake2 = pake2.to_bytes();
        let (phone_keys, pake3) = phone.handle(&fx.pake2, now).unwrap();
        fx.pake3 = pake3.to_bytes();
        let lamp_keys = lamp.handle(&mut window, &fx.pake3, now).unwrap();
        assert_eq!(
            phone_keys.send_secret().expose(),
            lamp_keys.receive_secret().expose()
        );
        fx
    }

    /// The controller's whole side, PBKDF2 included, replayed from [`CONTROLLER_SEED`].
    fn controller_side(&self, mut rng: SeededRandom) -> PairingKeys {
        let (phone, request) = controller().start(&mut rng, self.now).unwrap();
        black_box(request.to_bytes());
        let (phone, pake1) = phone.handle(&self.response, &mut rng, self.now).unwrap();
        black_box(pake1.to_bytes());
        let (keys, pake3) = phone.handle(&self.pake2, self.now).unwrap();
        black_box(pake3.to_bytes());
        keys
    }

    /// The device's whole side with its stored verifier, replayed from [`DEVICE_SEED`].
    fn device_side(&self, (mut window, mut rng): (PairingWindow, SeededRandom)) -> PairingKeys {
        let device = Device {
            verifier: &self.stored,
            versions: SUPPORTED,
        };
        let (lamp, response) = device
            .handle_request(&mut window, &self.request, 2, &mut rng, self.now)
            .unwrap();
        black_box(response.to_bytes());
        let (lamp, pake2) = lamp
            .handle(&mut window, &self.pake1, &mut rng, self.now)
            .unwrap();
        black_box(pake2.to_bytes());
        lamp.handle(&mut window, &self.pake3, self.now).unwrap()
    }
}

/// One recorded SPAKE2+ exchange with precomputed `(w0, w1)` and `(w0, L)`: pairing without
/// PBKDF2. (The pairing API always derives `(w0, w1)` from the passcode on the controller,
/// also with `known_params`, so the no-PBKDF2 case is measured on the SPAKE2+ layer that
/// pairing wraps.)
struct SpakeFx {
    secrets: ProverSecrets,
    verifier: Verifier,
    context: [u8; 32],
    share_p: [u8; POINT_LEN],
    share_v: [u8; POINT_LEN],
    confirm_v: [u8; CONFIRM_LEN],
    confirm_p: [u8; CONFIRM_LEN],
}

impl SpakeFx {
    fn new(stored: &PasscodeVerifier) -> Self {
        let params = stored.params();
        let secrets =
            ProverSecrets::from_passcode(PASSCODE, &params.salt, params.iterations).unwrap();
        let verifier = secrets.verifier();
        assert_eq!(&verifier, stored.verifier());
        let mut fx = SpakeFx {
            secrets,
            verifier,
            context: [0x5a; 32],
            share_p: [0; POINT_LEN],
            share_v: [0; POINT_LEN],
            confirm_v: [0; CONFIRM_LEN],
            confirm_p: [0; CONFIRM_LEN],
        };
        let prover = Prover::start(&fx.secrets, &mut SeededRandom::new(PROVER_SEED)).unwrap();
        fx.share_p = *prover.share();
        let response = fx
            .verifier
            .respond(
                &fx.binding(),
                &fx.share_p,
                &mut SeededRandom::new(VERIFIER_SEED),
            )
            .unwrap();
        fx.share_v = response.share_v;
        fx.confirm_v = response.confirm_v;
        let (confirm_p, prover_key) = prover
            .finish(&fx.binding(), &fx.share_v, &fx.confirm_v)
            .unwrap();
        fx.confirm_p = confirm_p;
        let verifier_key = response.expect_confirm_p.confirm(&confirm_p).unwrap();
        assert_eq!(prover_key.as_bytes(), verifier_key.as_bytes());
        fx
    }

    fn binding(&self) -> Binding<'_> {
        Binding {
            context: &self.context,
            id_prover: b"",
            id_verifier: b"",
        }
    }

    fn prover_side(&self, mut rng: SeededRandom) -> SharedKey {
        let prover = Prover::start(&self.secrets, &mut rng).unwrap();
        black_box(prover.share());
        let (confirm_p, key) = prover
            .finish(&self.binding(), &self.share_v, &self.confirm_v)
            .unwrap();
        black_box(confirm_p);
        key
    }

    fn verifier_side(&self, mut rng: SeededRandom) -> SharedKey {
        let response = self
            .verifier
            .respond(&self.binding(), &self.share_p, &mut rng)
            .unwrap();
        black_box((&response.share_v, &response.confirm_v));
        response.expect_confirm_p.confirm(&self.confirm_p).unwrap()
    }
}

fn pairing<'f>(
    c: &mut Criterion,
    fx: &'f PairingFx,
    spake: &'f SpakeFx,
    items: &mut Vec<Item<'f>>,
) {
    let mut g = c.benchmark_group("pairing");
    bench(
        &mut g,
        items,
        "controller_pbkdf2_1000",
        || SeededRandom::new(CONTROLLER_SEED),
        |rng| fx.controller_side(rng),
    );
    bench(
        &mut g,
        items,
        "device_stored_verifier",
        || (open_window(fx.now), SeededRandom::new(DEVICE_SEED)),
        |input| fx.device_side(input),
    );
    bench(
        &mut g,
        items,
        "device_registration_pbkdf2_1000",
        || fx.stored.params().clone(),
        |params| PasscodeVerifier::from_passcode(PASSCODE, params).unwrap(),
    );
    bench(
        &mut g,
        items,
        "spake2plus_prover_no_pbkdf2",
        || SeededRandom::new(PROVER_SEED),
        |rng| spake.prover_side(rng),
    );
    bench(
        &mut g,
        items,
        "spake2plus_verifier_no_pbkdf2",
        || SeededRandom::new(VERIFIER_SEED),
        |rng| spake.verifier_side(rng),
    );
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// Sessions

/// What rebuilds a ticket: tickets are single-use and not `Clone`, so each iteration gets a
/// fresh copy.
struct TicketParts {
    id: TicketId,
    secret: [u8; 32],
    home_id: HomeId,
    peer: OperationalPeer,
    expires_unix: u64,
    hard_limit_unix: u64,
}

impl TicketParts {
    fn of(ticket: &Ticket, peer: OperationalPeer) -> Self {
        TicketParts {
            id: ticket.id,
            secret: *ticket.secret(),
            home_id: ticket.home_id,
            peer,
            expires_unix: ticket.expires_unix,
            hard_limit_unix: ticket.hard_limit_unix,
        }
    }

    fn ticket(&self) -> Ticket {
        Ticket::from_parts(
            self.id,
            self.secret,
            self.home_id,
            self.peer.clone(),
            self.expires_unix,
            self.hard_limit_unix,
        )
    }
}

/// A home with a phone (initiator) and a lamp (responder), and the messages of one recorded
/// full handshake and one recorded resumption.
struct SessionFx {
    now: Now,
    phone: HomeMembership,
    lamp_homes: HomeTable,
    full_sigma1: Vec<u8>,
    full_sigma2: Vec<u8>,
    full_sigma3: Vec<u8>,
    resume_sigma1: Vec<u8>,
    resume_sigma2: Vec<u8>,
    /// The phone's ticket (its peer is the lamp).
    phone_ticket: TicketParts,
    /// The lamp's copy of the same ticket (its peer is the phone).
    lamp_ticket: TicketParts,
}

impl SessionFx {
    fn new() -> Self {
        let mut rng = SeededRandom::new(FIXTURE_SEED);
        let mut home = HomeAuthority::create(&mut rng, NOW_UNIX - DAY, 3650 * DAY).unwrap();
        let validity = Validity::starting(NOW_UNIX - DAY, 365 * DAY);
        let phone = home
            .issue_member(&mut rng, PHONE, NodeRole::CONTROLLER, validity)
            .unwrap();
        let lamp = home
            .issue_member(&mut rng, LAMP, NodeRole::DEVICE, validity)
            .unwrap();
        let mut lamp_homes = HomeTable::default();
        lamp_homes.add(lamp).unwrap();
        let now = Now::new(Instant::now(), NOW_UNIX);

        // Full handshake.
        let mut lamp_tickets = TicketStore::default();
        let mut full_sigma1 = Vec::new();
        let expect2 = initiator(&phone, None)
            .start(
                &mut SeededRandom::new(INITIATOR_SEED),
                now,
                &mut full_sigma1,
            )
            .unwrap();
        let mut responder = Responder {
            homes: &lamp_homes,
            tickets: &mut lamp_tickets,
            versions: SUPPORTED,
        };
        let mut full_sigma2 = Vec::new();
        let Sigma1Outcome::Full(expect3) = responder
            .handle_sigma1(
                &full_sigma1,
                LAMP_SID,
                &mut SeededRandom::new(RESPONDER_SEED),
                now,
                &mut full_sigma2,
            )
            .unwrap()
        else {
            panic!("a Sigma1 without a ticket resumed");
        };
        let mut full_sigma3 = Vec::new();
        let phone_session = expect2
            .handle(&phone, &full_sigma2, now, &mut full_sigma3)
            .unwrap();
        let lamp_session = expect3.handle(&mut responder, &full_sigma3, now).unwrap();
        let ticket = phone_session.ticket.as_ref().unwrap();
        let phone_ticket = TicketParts::of(ticket, phone_session.peer.clone());
        let lamp_ticket = TicketParts::of(ticket, lamp_session.peer.clone());

        // Resumption with that ticket.
        let mut resume_sigma1 = Vec::new();
        let expect2 = initiator(&phone, Some(phone_ticket.ticket()))
            .start(
                &mut SeededRandom::new(RESUME_INITIATOR_SEED),
                now,
                &mut resume_sigma1,
            )
            .unwrap();
        let mut store = TicketStore::default();
        store.insert(lamp_ticket.ticket(), NOW_UNIX);
        let mut resume_sigma2 = Vec::new();
        let lamp_resumed = resume_responder(
            &lamp_homes,
            store,
            &resume_sigma1,
            SeededRandom::new(RESUME_RESPONDER_SEED),
            now,
            &mut resume_sigma2,
        );
        let phone_resumed = expect2
            .handle(&phone, &resume_sigma2, now, &mut Vec::new())
            .unwrap();
        assert!(phone_resumed.resumed && lamp_resumed.resumed);

        SessionFx {
            now,
            phone,
            lamp_homes,
            full_sigma1,
            full_sigma2,
            full_sigma3,
            resume_sigma1,
            resume_sigma2,
            phone_ticket,
            lamp_ticket,
        }
    }

    /// The full-handshake initiator: Sigma1 out, Sigma2 in, Sigma3 out.
    fn full_initiator(&self, mut rng: SeededRandom) -> Established {
        let mut out = Vec::new();
        let expect2 = initiator(&self.phone, None)
            .start(&mut rng, self.now, &mut out)
            .unwrap();
        out.clear();
        expect2
            .handle(&self.phone, &self.full_sigma2, self.now, &mut out)
            .unwrap()
    }

    /// The full-handshake responder: Sigma1 in, Sigma2 out, Sigma3 in.
    fn full_responder(
        &self,
        (mut tickets, mut rng): (TicketStore, SeededRandom),
    ) -> (Established, TicketStore) {
        let mut responder = Responder {
            homes: &self.lamp_homes,
            tickets: &mut tickets,
            versions: SUPPORTED,
        };
        let mut out = Vec::new();
        let Sigma1Outcome::Full(expect3) = responder
            .handle_sigma1(&self.full_sigma1, LAMP_SID, &mut rng, self.now, &mut out)
            .unwrap()
        else {
            panic!("a Sigma1 without a ticket resumed");
        };
        let established = expect3
            .handle(&mut responder, &self.full_sigma3, self.now)
            .unwrap();
        (established, tickets)
    }

    /// The resuming initiator: Sigma1 with the ticket out, Sigma2Resume in.
    fn resumed_initiator(&self, (ticket, mut rng): (Ticket, SeededRandom)) -> Established {
        let mut out = Vec::new();
        let expect2 = initiator(&self.phone, Some(ticket))
            .start(&mut rng, self.now, &mut out)
            .unwrap();
        out.clear();
        expect2
            .handle(&self.phone, &self.resume_sigma2, self.now, &mut out)
            .unwrap()
    }

    /// A ticket store holding the lamp's copy of the ticket, as the responder has it.
    fn lamp_store(&self) -> TicketStore {
        let mut store = TicketStore::default();
        store.insert(self.lamp_ticket.ticket(), NOW_UNIX);
        store
    }
}

fn initiator(phone: &HomeMembership, ticket: Option<Ticket>) -> Initiator<'_> {
    Initiator {
        membership: phone,
        peer_node_id: LAMP,
        versions: SUPPORTED,
        local_session_id: PHONE_SID,
        ticket,
    }
}

/// The resuming responder: Sigma1 with a ticket in, Sigma2Resume out (appended to `out`).
fn resume_responder(
    homes: &HomeTable,
    mut tickets: TicketStore,
    sigma1: &[u8],
    mut rng: SeededRandom,
    now: Now,
    out: &mut Vec<u8>,
) -> Established {
    let mut responder = Responder {
        homes,
        tickets: &mut tickets,
        versions: SUPPORTED,
    };
    match responder
        .handle_sigma1(sigma1, LAMP_SID, &mut rng, now, out)
        .unwrap()
    {
        Sigma1Outcome::Resumed(established) => established,
        Sigma1Outcome::Full(_) => panic!("the responder did not resume"),
    }
}

fn sessions<'f>(c: &mut Criterion, fx: &'f SessionFx, items: &mut Vec<Item<'f>>) {
    let mut g = c.benchmark_group("session");
    bench(
        &mut g,
        items,
        "full_initiator",
        || SeededRandom::new(INITIATOR_SEED),
        |rng| fx.full_initiator(rng),
    );
    bench(
        &mut g,
        items,
        "full_responder",
        || (TicketStore::default(), SeededRandom::new(RESPONDER_SEED)),
        |input| fx.full_responder(input),
    );
    bench(
        &mut g,
        items,
        "resumed_initiator",
        || {
            (
                fx.phone_ticket.ticket(),
                SeededRandom::new(RESUME_INITIATOR_SEED),
            )
        },
        |input| fx.resumed_initiator(input),
    );
    bench(
        &mut g,
        items,
        "resumed_responder",
        || (fx.lamp_store(), SeededRandom::new(RESUME_RESPONDER_SEED)),
        |(store, rng)| {
            let mut out = Vec::new();
            let established = resume_responder(
                &fx.lamp_homes,
                store,
                &fx.resume_sigma1,
                rng,
                fx.now,
                &mut out,
            );
            (established, out)
        },
    );
    g.finish();
}

// ---------------------------------------------------------------------------------------------
// Summary

/// `ns` with a unit that keeps three or four significant digits.
fn human(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.3} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

impl PrimitiveCosts {
    /// The primitives' costs from `results`, each taken by `pick` (median or minimum).
    fn from(results: &Results, pick: fn(Stats) -> f64) -> Self {
        let get = |name| pick(results.get(name));
        PrimitiveCosts {
            x25519_keygen: get("x25519_keygen"),
            x25519_agree: get("x25519_agree"),
            ed25519_sign: get("ed25519_sign"),
            ed25519_verify: get("ed25519_verify"),
            p256_fixed: get("p256_mul_generator"),
            p256_variable: get("p256_mul_point"),
            pbkdf2: get("pbkdf2_1000"),
        }
    }
}

fn print_summary(mode: Mode, results: &Results) {
    let medians = PrimitiveCosts::from(results, |s| s.median);
    let mins = PrimitiveCosts::from(results, |s| s.min);
    println!();
    match mode {
        Mode::Full => println!(
            "handshakes: in-process time per operation, {ROUNDS} samples of ~{} ms per item \
             taken round-robin",
            SAMPLE_TIME.as_millis()
        ),
        _ => println!("handshakes: test mode, every item timed once (numbers not meaningful)"),
    }
    println!();
    println!("{:<48} {:>11} {:>11}", "primitive", "median", "min");
    let primitives = [
        ("x25519 keygen (generate + public key)", "x25519_keygen"),
        ("x25519 agree", "x25519_agree"),
        ("ed25519 sign (256-byte message)", "ed25519_sign"),
        ("ed25519 verify (256-byte message)", "ed25519_verify"),
        (
            "p256 G*s (GENERATOR * s, as the code does)",
            "p256_mul_generator",
        ),
        ("p256 P*s (variable base)", "p256_mul_point"),
        ("pbkdf2-hmac-sha256, 1000 iter., 80 bytes", "pbkdf2_1000"),
    ];
    for (label, name) in primitives {
        let s = results.get(name);
        println!("{label:<48} {:>11} {:>11}", human(s.median), human(s.min));
    }

    println!();
    println!(
        "{:<38} {:>11} {:>11}  {:<42} {:>11} {:>6} {:>9}",
        "handshake side", "median", "min", "primitives it uses", "their sum", "ratio", "ratio-min"
    );
    let sides = [
        (
            "pairing controller (PBKDF2 1000)",
            "controller_pbkdf2_1000",
            PAIRING_CONTROLLER,
        ),
        (
            "pairing device (stored verifier)",
            "device_stored_verifier",
            PAIRING_DEVICE,
        ),
        (
            "device registration (PBKDF2 + L)",
            "device_registration_pbkdf2_1000",
            REGISTRATION,
        ),
        (
            "spake2+ prover (no PBKDF2)",
            "spake2plus_prover_no_pbkdf2",
            SPAKE_PROVER,
        ),
        (
            "spake2+ verifier (no PBKDF2)",
            "spake2plus_verifier_no_pbkdf2",
            SPAKE_VERIFIER,
        ),
        (
            "session full, initiator",
            "full_initiator",
            SESSION_FULL_INITIATOR,
        ),
        (
            "session full, responder",
            "full_responder",
            SESSION_FULL_RESPONDER,
        ),
        (
            "session resumed, initiator",
            "resumed_initiator",
            SESSION_RESUMED_INITIATOR,
        ),
        (
            "session resumed, responder",
            "resumed_responder",
            SESSION_RESUMED_RESPONDER,
        ),
    ];
    for (label, name, uses) in sides {
        let s = results.get(name);
        let sum = uses.cost(&medians);
        println!(
            "{label:<38} {:>11} {:>11}  {:<42} {:>11} {:>6.2} {:>9.2}",
            human(s.median),
            human(s.min),
            uses.describe(),
            human(sum),
            s.median / sum,
            s.min / uses.cost(&mins),
        );
    }
    println!();
    println!(
        "their sum = sum of the primitives' medians; ratio = median / their sum; \
         ratio-min = the same with minimums (counts: benches/handshakes.rs)"
    );
}

fn output_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("criterion")
}

fn main() {
    let mode = Mode::from_args();
    let primitive_fx = PrimitiveFx::new();
    let pairing_fx = PairingFx::new();
    let spake_fx = SpakeFx::new(&pairing_fx.stored);
    let session_fx = SessionFx::new();
    // Small samples keep the whole run near a minute on two cores; arguments may override.
    let mut c = Criterion::default()
        .output_directory(&output_dir())
        .sample_size(15)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let mut items = Vec::new();
    primitives(&mut c, &primitive_fx, &mut items);
    pairing(&mut c, &pairing_fx, &spake_fx, &mut items);
    sessions(&mut c, &session_fx, &mut items);
    c.final_summary();
    if mode != Mode::Skip {
        print_summary(mode, &measure(mode, &mut items));
    }
}
