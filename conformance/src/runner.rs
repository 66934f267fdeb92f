//! Runs the selected cases against the device and builds the report.

use crate::case::{Case, Failure, Group};
use crate::config::RunConfig;
use crate::context::{case_seed, Ctx, Shared};
use crate::facts::SetupCode;
use crate::progress::Progress;
use crate::report::{CaseReport, DeviceIdentity, RunReport, Stamp};
use crate::verdict::Verdict;
use crate::waivers::Waivers;
use orbit_core::crypto::SeededRandom;
use std::sync::Arc;
use std::time::Instant;

/// Why a run could not start: bad arguments (exit status 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The cases `only` selects (groups or case IDs), in running order; every case when empty.
pub fn select(all: &[Case], only: &[String]) -> Result<Vec<Case>, UsageError> {
    for name in only {
        if Group::from_name(name).is_none() && !all.iter().any(|c| c.info.id == name) {
            return Err(UsageError(format!(
                "--only {name:?}: no group or case has that name (groups: {})",
                Group::ALL.map(Group::name).join(", ")
            )));
        }
    }
    let mut chosen: Vec<Case> = all
        .iter()
        .filter(|c| {
            only.is_empty()
                || only
                    .iter()
                    .any(|o| o == c.info.id || o == c.info.group.name())
        })
        .copied()
        .collect();
    chosen.sort_by_key(|c| c.info.group);
    Ok(chosen)
}

/// Runs the suite as `config` says; the report says what happened, including why a run
/// could not start. A [`UsageError`] is returned for arguments that make no sense.
pub async fn run(config: &RunConfig, progress: &mut dyn Progress) -> Result<RunReport, UsageError> {
    let started = Instant::now();
    let started_unix = crate::unix_now();
    let seed = config.seed.unwrap_or_else(|| {
        let mut b = [0u8; 8];
        let _ =
            orbit_core::crypto::Random::fill(&mut orbit_core::crypto::SystemRandom::new(), &mut b);
        u64::from_be_bytes(b) >> 12
    });
    let all = crate::cases::all();
    let cases = select(&all, &config.only)?;
    let setup = SetupCode::parse(&config.setup_code).map_err(UsageError)?;
    let (waivers, waiver_notes) = match &config.waivers {
        Some(path) => Waivers::load(path, &crate::waivers::today(), |id| {
            all.iter().any(|c| c.info.id == id)
        })
        .map_err(UsageError)?,
        None => (Waivers::default(), Vec::new()),
    };
    let manifest = match &config.manifest {
        Some(path) => Some(crate::manifest::Manifest::load(path).map_err(UsageError)?),
        None => None,
    };
    for note in &waiver_notes {
        progress.step(note);
    }
    let mut stamp = Stamp {
        suite_version: crate::SUITE_VERSION.to_owned(),
        spec_version: crate::SPEC_VERSION.to_owned(),
        target: config.target_string(),
        transport: String::new(),
        seed,
        started_unix,
        duration_ms: 0,
        device: None,
    };
    let harness = |stamp: Stamp, error: String| RunReport {
        schema: crate::report::model::SCHEMA.to_owned(),
        stamp,
        summary: RunReport::summarize(&[]),
        cases: Vec::new(),
        findings: Vec::new(),
        harness_error: Some(error),
    };
    let transport = match config.target.open().await {
        Ok(t) => Arc::<dyn crate::transport::Transport>::from(t),
        Err(e) => return Ok(harness(stamp, e.to_string())),
    };
    stamp.transport = transport.name().to_owned();
    progress.step("pairing with the device and reading its descriptor");
    let mut rng = SeededRandom::new(seed);
    let probed = match crate::probe::probe(
        transport.as_ref(),
        setup,
        &config.trust,
        config.answer_timeout,
        &mut rng,
    )
    .await
    {
        Ok(p) => p,
        Err(e) => return Ok(harness(stamp, e)),
    };
    let facts = Arc::new(probed.facts);
    stamp.device = Some(DeviceIdentity {
        vendor_id: facts.attested.vendor_id,
        product_id: facts.attested.product_id,
        serial: facts.attested.serial.to_string(),
        firmware: facts.firmware.clone(),
        spec_version: facts.descriptor.spec_version,
    });
    let findings = manifest.map(|m| m.compare(&facts)).unwrap_or_default();
    let shared = Arc::new(Shared {
        transport: transport.clone(),
        facts: facts.clone(),
        home: Arc::new(tokio::sync::Mutex::new(probed.home)),
        device_node: probed.device_node,
        trust: Arc::new(config.trust.clone()),
        hooks: Arc::new(config.hooks.clone()),
        answer_timeout: config.answer_timeout,
        discovery: config.discovery.clone(),
    });
    let mut reports = Vec::new();
    let mut current_group = None;
    for case in &cases {
        if current_group != Some(case.info.group) {
            current_group = Some(case.info.group);
            let n = cases
                .iter()
                .filter(|c| c.info.group == case.info.group)
                .count();
            progress.group(case.info.group, n);
        }
        let mut report = run_case(case, &shared, seed, config).await;
        if let Some(w) = waivers.get(case.info.id) {
            report.waived_verdict = Some(report.verdict);
            report.waiver = Some(w.clone());
            report.verdict = Verdict::Waived;
        }
        progress.case(&report);
        reports.push(report);
    }
    progress.step("removing the suite's home from the device");
    let home = shared.home.lock().await;
    if let Err(e) = crate::probe::remove_home(
        transport.as_ref(),
        &home,
        shared.device_node,
        config.answer_timeout,
        &mut rng,
    )
    .await
    {
        progress.step(&format!("could not remove the suite's home: {e}"));
    }
    drop(home);
    // Waived cases first, then in running order.
    reports.sort_by_key(|r| r.verdict != Verdict::Waived);
    stamp.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(RunReport {
        schema: crate::report::model::SCHEMA.to_owned(),
        stamp,
        summary: RunReport::summarize(&reports),
        cases: reports,
        findings,
        harness_error: None,
    })
}

async fn run_case(case: &Case, shared: &Arc<Shared>, seed: u64, config: &RunConfig) -> CaseReport {
    let mut report = CaseReport {
        info: case.info,
        verdict: Verdict::Inconclusive,
        failed_rule: None,
        expected: None,
        observed: None,
        waiver: None,
        waived_verdict: None,
        attempts: 0,
        duration_ms: 0,
        seed: case_seed(seed, case.info.id),
        evidence: Vec::new(),
        evidence_dropped: 0,
    };
    if let Err(reason) = (case.applies)(&shared.facts) {
        report.verdict = Verdict::NotApplicable;
        report.observed = Some(reason);
        return report;
    }
    for _ in 0..=config.retries {
        report.attempts += 1;
        let mut ctx = Ctx::new(shared.clone(), case.info.id, seed);
        let started = Instant::now();
        let before = if case.check_state_after {
            Some(crate::health::snapshot(&mut ctx).await)
        } else {
            None
        };
        let mut outcome =
            match tokio::time::timeout(config.case_timeout, (case.run)(&mut ctx)).await {
                Ok(o) => o,
                Err(_) => Err(Failure::Inconclusive(format!(
                    "the case did not finish within {} s",
                    config.case_timeout.as_secs()
                ))),
            };
        if let (Some(Ok(before)), true) = (&before, outcome.is_ok()) {
            outcome = crate::health::still_serving(&mut ctx, before, case.info.spec_ids).await;
        }
        if let Some(Err(e)) = before {
            outcome = Err(Failure::Inconclusive(format!("before the case: {e}")));
        }
        report.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let (records, dropped) = ctx.evidence().snapshot();
        report.evidence = records;
        report.evidence_dropped = dropped;
        match outcome {
            Ok(()) => {
                report.verdict = Verdict::Pass;
                report.observed = None;
                return report;
            }
            Err(Failure::Fail {
                rule,
                expected,
                observed,
            }) => {
                report.verdict = Verdict::Fail;
                report.failed_rule = Some(rule.to_owned());
                report.expected = Some(expected);
                report.observed = Some(observed);
                return report;
            }
            Err(Failure::NotApplicable(reason)) => {
                report.verdict = Verdict::NotApplicable;
                report.observed = Some(reason);
                return report;
            }
            Err(Failure::Inconclusive(reason)) => {
                report.verdict = Verdict::Inconclusive;
                report.observed = Some(reason);
            }
        }
    }
    report
}
