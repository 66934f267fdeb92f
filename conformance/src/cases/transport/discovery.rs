//! The device's DNS-SD adverts `[DISC-*]`, browsed with orbit-discovery's public API where
//! the run's discovery configuration says (the standard mDNS port on every interface by
//! default). mDNS needs multicast: when the device's advert is not seen, the suite advertises
//! an instance of its own and browses for it; if that is not seen either, the network does
//! not carry multicast and the case is NOT-APPLICABLE, not failed.

use super::super::window;
use crate::case::{check, Failure, Outcome};
use crate::context::Ctx;
use crate::facts::{Facts, SetupCode};
use crate::transport::BoxFuture;
use orbit_core::setup::{Discriminator, ProductId, TransportFlags, VendorId};
use orbit_discovery::{
    operational_instance_id, Advertiser, Browser, Commissionable, DiscoveryConfig,
    DiscriminatorFilter, FoundDevice, InstanceId, Operational, PairingHint,
};
use std::time::{Duration, Instant};

/// How long a browse waits for the device `[DISC-14]`'s default.
const BROWSE: Duration = Duration::from_secs(3);

/// How long one browse looks for a withdrawn instance before deciding it is gone.
const GONE: Duration = Duration::from_secs(1);

/// How long one browse waits for the instance of a new opening.
const BROWSE_AGAIN: Duration = Duration::from_secs(1);

/// How long a change of the window may take to show in the adverts (a goodbye or a new
/// registration on its way).
const SETTLE: Duration = Duration::from_secs(3);

/// The discovery cases apply to a device that accepts pairing over IP `[DISC-5]` (every
/// device the suite reaches over QUIC, unless its QR code says otherwise).
pub(super) fn applies(facts: &Facts) -> Result<(), String> {
    match &facts.setup {
        SetupCode::Qr(p) if !p.transports.contains(TransportFlags::IP) => Err(
            "the setup code's transports do not include IP, so the device need not advertise \
             on IP networks"
                .into(),
        ),
        _ => Ok(()),
    }
}

fn config(ctx: &Ctx) -> Result<DiscoveryConfig, Failure> {
    ctx.discovery().cloned().ok_or_else(|| {
        Failure::NotApplicable("the run was told not to use discovery (no mDNS)".into())
    })
}

/// Runs a blocking discovery call off the async runtime.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, Failure> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => Err(Failure::Inconclusive(format!("discovery: {e}"))),
        Err(e) => Err(Failure::Inconclusive(format!("discovery task: {e}"))),
    }
}

/// `Err(NOT-APPLICABLE)` when an instance the suite advertises itself is not seen either:
/// this network does not carry multicast between the suite and itself.
async fn multicast_works(config: &DiscoveryConfig) -> Result<(), Failure> {
    let config = config.clone();
    let seen = blocking(move || {
        let mut rng = orbit_core::crypto::SystemRandom::new();
        let discriminator = Discriminator::new(0xabc).map_err(|e| e.to_string())?;
        let own = Commissionable::new(
            &mut rng,
            discriminator,
            VendorId(0xfff4),
            ProductId(0xfffe),
            PairingHint::NONE,
        )
        .map_err(|e| e.to_string())?;
        let advertiser = Advertiser::with_config(&config).map_err(|e| e.to_string())?;
        let handle = advertiser
            .advertise_commissionable(&own, 9)
            .map_err(|e| e.to_string())?;
        let found = Browser::with_config(&config)
            .and_then(|b| b.find_commissionable(DiscriminatorFilter::Long(discriminator), BROWSE))
            .map_err(|e| e.to_string())?;
        let _ = handle.withdraw();
        Ok(found.is_some_and(|f| f.instance() == own.instance))
    })
    .await?;
    if seen {
        Ok(())
    } else {
        Err(Failure::NotApplicable(
            "multicast DNS does not work here: the suite did not see an instance it \
             advertised itself"
                .into(),
        ))
    }
}

/// The port the suite reaches the device on (the SRV record must name it, `[DISC-1]`).
fn target_port(ctx: &Ctx) -> Option<u16> {
    ctx.transport()
        .describe()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
}

fn filter(setup: &SetupCode) -> DiscriminatorFilter {
    match setup {
        SetupCode::Qr(p) => DiscriminatorFilter::Long(p.discriminator),
        SetupCode::Manual(m) => DiscriminatorFilter::Short(m.short_discriminator),
    }
}

/// `[DISC-17]` every advertised address of the target's family accepts Orbit over QUIC
/// (the suite's endpoint speaks one address family, so others are noted, not tried).
async fn check_addresses<A: orbit_discovery::Advertisement>(
    ctx: &Ctx,
    found: &FoundDevice<A>,
) -> Outcome {
    let family_v4 = ctx.transport().describe().contains('.');
    for addr in &found.addresses {
        if addr.is_ipv4() != family_v4 {
            ctx.note(format!(
                "{addr}: another address family than the target's; not tried"
            ));
            continue;
        }
        let Some(attempt) = ctx.transport().reachable(*addr) else {
            return Ok(());
        };
        let reached = attempt.await;
        check(
            reached.is_ok(),
            "DISC-17",
            format!("Orbit over QUIC on the advertised address {addr}"),
            || format!("{reached:?}"),
        )?;
    }
    Ok(())
}

/// The SRV and host checks both modes share `[DISC-1]`, `[DISC-4]`.
fn check_service<A: orbit_discovery::Advertisement>(ctx: &Ctx, found: &FoundDevice<A>) -> Outcome {
    ctx.note(format!(
        "found {} at {} port {} ({:?})",
        found.instance(),
        found.host,
        found.port,
        found.addresses
    ));
    if let Some(port) = target_port(ctx) {
        check(
            found.port == port,
            "DISC-1",
            format!("the SRV port is the device's QUIC port {port}"),
            || format!("port {}", found.port),
        )?;
    }
    let host = found.host.trim_end_matches('.');
    let expected = found.instance().host_name();
    check(
        host == expected.trim_end_matches('.'),
        "DISC-4",
        format!("the target host o<instance>.local. ({expected})"),
        || found.host.clone(),
    )?;
    check(
        !found.addresses.is_empty(),
        "DISC-1",
        "A or AAAA records for the target host",
        || "no address".into(),
    )
}

async fn find_commissionable(
    config: &DiscoveryConfig,
    filter: DiscriminatorFilter,
    timeout: Duration,
) -> Result<Option<FoundDevice<Commissionable>>, Failure> {
    let config = config.clone();
    blocking(move || {
        Browser::with_config(&config)
            .and_then(|b| b.find_commissionable(filter, timeout))
            .map_err(|e| e.to_string())
    })
    .await
}

pub(super) fn commissionable(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let config = config(ctx)?;
        window::fresh(ctx).await?;
        let outcome = commissionable_body(ctx, &config).await;
        window::closing_after(ctx, outcome).await
    })
}

async fn commissionable_body(ctx: &mut Ctx, config: &DiscoveryConfig) -> Outcome {
    let filter = filter(&ctx.facts().setup);
    // With a QR code the browse asks for the discriminator's subtype alone [DISC-9].
    let Some(first) = find_commissionable(config, filter, BROWSE).await? else {
        multicast_works(config).await?;
        return Err(Failure::fail(
            "DISC-5",
            "a commissionable instance (m=c, matching discriminator, under its subtype for a \
             QR code's discriminator) while the window is open",
            format!("none answered within {} s", BROWSE.as_secs()),
        ));
    };
    check_service(ctx, &first)?;
    check_addresses(ctx, &first).await?;
    let record = &first.record;
    if let Some((vendor, product)) = ctx.facts().setup.vendor_product() {
        check(
            (record.vendor_id.0, record.product_id.0) == (vendor, product),
            "DISC-7",
            format!("vp={vendor}+{product} (the setup code's vendor and product)"),
            || format!("vp={}+{}", record.vendor_id.0, record.product_id.0),
        )?;
    }
    check(
        record.pairing_hint.unknown_bits() == 0,
        "DISC-8",
        "no reserved pairing hint bits",
        || format!("ph={}", record.pairing_hint.bits()),
    )?;
    check(
        record.versions.min.0 <= 1 && 1 <= record.versions.max.0,
        "DISC-2",
        "v naming a range that includes 1 (a v1 device)",
        || format!("{:?}", record.versions),
    )?;
    ctx.note("closing and reopening the window: the instance name must change [DISC-6]");
    window::fresh(ctx).await?;
    // The old instance may still answer while its goodbye is on its way: look until a new
    // name answers, for at most SETTLE.
    let give_up = Instant::now() + SETTLE;
    let mut seen = Vec::new();
    let second = loop {
        if let Some(found) = find_commissionable(config, filter, BROWSE_AGAIN).await? {
            if found.instance() != first.instance() {
                break found;
            }
            seen.push(found.instance());
        }
        if Instant::now() >= give_up {
            return Err(if seen.is_empty() {
                Failure::fail(
                    "DISC-5",
                    "a commissionable instance after the window was opened again",
                    format!("none answered within {} s", SETTLE.as_secs()),
                )
            } else {
                Failure::fail(
                    "DISC-6",
                    "a new random instance name for each window opening",
                    format!(
                        "only {} (the previous opening's name) answered within {} s",
                        first.instance(),
                        SETTLE.as_secs()
                    ),
                )
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    check_service(ctx, &second)?;
    window::close(ctx).await?;
    // Fresh browses after the goodbye: the withdrawn instance stops answering (given SETTLE
    // for the goodbye to leave the device).
    let give_up = Instant::now() + SETTLE;
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let still = find_commissionable(config, filter, GONE).await?;
        match still {
            None => return Ok(()),
            Some(s) if Instant::now() >= give_up => {
                return Err(Failure::fail(
                    "DISC-5",
                    "no commissionable instance once the window is closed",
                    format!(
                        "{} still answers {} s after the window closed",
                        s.instance(),
                        SETTLE.as_secs()
                    ),
                ))
            }
            Some(_) => {}
        }
    }
}

pub(super) fn operational(ctx: &mut Ctx) -> BoxFuture<'_, Outcome> {
    Box::pin(async move {
        let config = config(ctx)?;
        let instance: InstanceId = {
            let home = ctx.home().await;
            operational_instance_id(&home.root_public_key(), home.home_id(), ctx.device_node())
        };
        ctx.note(format!(
            "the suite's home's operational instance: {instance}"
        ));
        let cfg = config.clone();
        let found: Option<FoundDevice<Operational>> = blocking(move || {
            Browser::with_config(&cfg)
                .and_then(|b| b.find_operational(instance, BROWSE))
                .map_err(|e| e.to_string())
        })
        .await?;
        let Some(found) = found else {
            multicast_works(&config).await?;
            return Err(Failure::fail(
                "DISC-10",
                format!("an operational instance {instance} (m=o) for the suite's home"),
                format!("none answered within {} s", BROWSE.as_secs()),
            ));
        };
        check_service(ctx, &found)?;
        check_addresses(ctx, &found).await?;
        check(
            found.record.versions.min.0 <= 1 && 1 <= found.record.versions.max.0,
            "DISC-2",
            "v naming a range that includes 1 (a v1 device)",
            || format!("{:?}", found.record.versions),
        )
    })
}
