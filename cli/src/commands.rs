//! The controller commands: discover, pair, devices, describe, read, write, invoke,
//! subscribe, unpair.

use crate::home::{self, Access};
use crate::{CliResult, Command, HomeCommand};
use orbit_cli::output::{
    print_descriptor, print_invoke, print_reports, print_write, status_text, Format,
};
use orbit_cli::paths::{attribute_path, command_path, concrete_attribute};
use orbit_cli::values::{parse_args, parse_value};
use orbit_core::interaction::{ReadRequest, SubscribeRequest, WriteRequest};
use orbit_core::model::Descriptor;
use orbit_discovery::{
    Browser, DeviceAddress, DiscoveryConfig, DiscoveryError, DEFAULT_BROWSE_TIMEOUT,
};
use orbit_sdk::controller::{Controller, KeptUpdate, Timings, Unpaired};
use serde_json::json;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The attribute paths typed on the command line.
fn attribute_paths(
    paths: &[String],
) -> Result<Vec<orbit_core::interaction::AttributePath>, orbit_cli::paths::PathError> {
    paths
        .iter()
        .map(|p| attribute_path(p).map(|(a, _)| a))
        .collect()
}

/// The controller under `home` (kept in `opened`, to be closed on the way out), connected to
/// `device` (found again by discovery if it moved).
async fn connected(
    opened: &mut Option<Arc<Controller>>,
    home: &Path,
    device: &str,
) -> Result<orbit_sdk::controller::DeviceConnection, Box<dyn std::error::Error + Send + Sync>> {
    let c: &Arc<Controller> = opened.insert(home::open(home, Access::Opportunistic).await?);
    let (conn, _) = c
        .connect_or_locate(device, DiscoveryConfig::default())
        .await?;
    Ok(conn)
}

/// Resolves `quic://host:port`, `host:port` or `host` (default port) to socket addresses.
pub(crate) fn resolve(text: &str) -> Result<SocketAddr, Box<dyn std::error::Error + Send + Sync>> {
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else {
        format!("quic://{text}")
    };
    let address = DeviceAddress::parse(&with_scheme)?;
    let addrs = address.resolve()?;
    addrs
        .first()
        .copied()
        .ok_or_else(|| format!("{address} resolves to no address").into())
}

pub(crate) fn print_timings(format: Format, timings: &Timings) {
    if format == Format::Human {
        for t in &timings.0 {
            println!(
                "  {:<16} {:>9.2} ms{}",
                t.phase.to_string(),
                t.duration.as_secs_f64() * 1e3,
                if t.ok { "" } else { "  FAILED" }
            );
        }
    }
}

pub(crate) fn timings_json(timings: &Timings) -> serde_json::Value {
    serde_json::Value::Array(
        timings
            .0
            .iter()
            .map(|t| json!({"phase": t.phase.to_string(), "ms": t.duration.as_secs_f64() * 1e3, "ok": t.ok}))
            .collect(),
    )
}

/// Runs one controller command. Whatever its outcome, the controller's connections are closed
/// and the devices told before the process exits, so that none holds a connection for a
/// command that is over `[QUIC-44]`.
pub(crate) async fn run(command: Command, home: &Path, format: Format) -> CliResult {
    let mut opened = None;
    let result = run_command(command, home, format, &mut opened).await;
    if let Some(c) = opened {
        c.close().await;
    }
    result
}

async fn run_command(
    command: Command,
    home: &Path,
    format: Format,
    opened: &mut Option<Arc<Controller>>,
) -> CliResult {
    match command {
        Command::Discover { timeout } => {
            let waited = Duration::from_secs(timeout);
            let found = tokio::task::spawn_blocking(move || {
                Browser::new()?.browse_commissionable(None, waited)
            })
            .await??;
            if found.is_empty() {
                return Err(DiscoveryError::NothingFound { waited }.into());
            }
            for f in &found {
                let r = &f.record;
                let addr = f
                    .direct_address()
                    .map(|a| a.to_string())
                    .unwrap_or_default();
                match format {
                    Format::Json => println!(
                        "{}",
                        json!({"instance": f.instance().to_string(), "address": addr,
                               "discriminator": r.discriminator.value(), "vendor_id": r.vendor_id.0,
                               "product_id": r.product_id.0})
                    ),
                    Format::Human => println!(
                        "{addr}  vendor {:#06x} product {:#06x} discriminator {}",
                        r.vendor_id.0,
                        r.product_id.0,
                        r.discriminator.value()
                    ),
                }
            }
            Ok(())
        }
        Command::Home {
            command: HomeCommand::Create,
        } => {
            let c: &Arc<Controller> = opened.insert(home::create(home).await?);
            match format {
                Format::Json => println!(
                    "{}",
                    json!({"home": home.display().to_string(), "home_id": format!("{:016x}", c.home_id())})
                ),
                Format::Human => println!(
                    "created a new home {:016x} in {}",
                    c.home_id(),
                    home.display()
                ),
            }
            Ok(())
        }
        Command::Pair {
            code,
            addr,
            setup_code_file,
            name,
            replace,
            ble,
        } => {
            // With --setup-code-file, a single positional argument is the address.
            let (code, addr) = match (&setup_code_file, code, addr) {
                (Some(_), Some(only), None) => (None, Some(only)),
                (_, code, addr) => (code, addr),
            };
            let code =
                crate::secret_input::setup_code(code.as_deref(), setup_code_file.as_deref())?;
            // Refused before the home is created or the device touched.
            if let Some(n) = &name {
                orbit_sdk::controller::check_name(n)?;
            }
            if ble && addr.is_some() {
                return Err(
                    "with --ble the device is found over Bluetooth by its setup code: give no address"
                        .into(),
                );
            }
            let c: &Arc<Controller> =
                opened.insert(home::open(home, Access::Write { create: true }).await?);
            if ble {
                return crate::pair_ble::pair(c, &code, name.as_deref(), format).await;
            }
            let target = match addr {
                Some(a) => resolve(&a)?,
                None => {
                    c.find_by_setup_code(&code, DiscoveryConfig::default(), DEFAULT_BROWSE_TIMEOUT)
                        .await?
                }
            };
            let paired = match (&name, replace) {
                (Some(n), true) => c.pair_replacing(&code, target, n).await?,
                _ => c.pair(&code, target, name.as_deref()).await?,
            };
            match format {
                Format::Json => println!(
                    "{}",
                    json!({"name": paired.device.name, "node_id": paired.device.node_id,
                           "address": target.to_string(), "timings": timings_json(&paired.timings)})
                ),
                Format::Human => {
                    println!(
                        "paired {} (node {:#x}) at {target}",
                        paired.device.name, paired.device.node_id
                    );
                    print_timings(format, &paired.timings);
                }
            }
            paired.connection.close();
            Ok(())
        }
        Command::Devices => {
            let c: &Arc<Controller> = opened.insert(home::open(home, Access::Read).await?);
            let devices = c.devices();
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::Value::Array(
                        devices
                            .iter()
                            .map(|d| json!({"name": d.name, "node_id": d.node_id,
                                "vendor_id": d.vendor_id, "product_id": d.product_id,
                                "serial": d.serial,
                                "addresses": d.addresses.iter().map(|a| a.to_string()).collect::<Vec<_>>()}))
                            .collect()
                    )
                ),
                Format::Human => {
                    if devices.is_empty() {
                        println!("no paired devices; pair one with `orbit pair CODE [ADDR]`");
                    }
                    for d in devices {
                        println!(
                            "{:<24} node {:#06x}  vendor {:#06x} product {:#06x}  {}",
                            d.name,
                            d.node_id,
                            d.vendor_id,
                            d.product_id,
                            d.addresses
                                .first()
                                .map(|a| a.to_string())
                                .unwrap_or_default()
                        );
                    }
                }
            }
            Ok(())
        }
        Command::Describe { device } => {
            let conn = connected(opened, home, &device).await?;
            let (descriptor, _): (Descriptor, _) = conn.describe().await?;
            print_descriptor(format, &descriptor);
            conn.close();
            Ok(())
        }
        Command::Read { device, paths } => {
            let attributes = attribute_paths(&paths)?;
            let conn = connected(opened, home, &device).await?;
            let (attrs, events) = conn
                .read(ReadRequest {
                    attributes,
                    ..Default::default()
                })
                .await?;
            print_reports(format, &attrs, &events);
            conn.close();
            // Every path's status is in the output; the exit status says whether all passed.
            let failed = attrs.iter().filter(|a| a.result.is_err()).count();
            if failed > 0 {
                return Err(
                    format!("{failed} of {} attribute(s) could not be read", attrs.len()).into(),
                );
            }
            Ok(())
        }
        Command::Write {
            device,
            path,
            value,
            timed,
        } => {
            let (attr, schema) = concrete_attribute(&path)?;
            let data = parse_value(&value, schema.map(|s| &s.ty))?;
            let conn = connected(opened, home, &device).await?;
            let request = WriteRequest::new(vec![(attr, data)]);
            let statuses = conn
                .write(if timed { request.timed() } else { request })
                .await?;
            print_write(format, &statuses);
            conn.close();
            match statuses
                .iter()
                .find(|s| s.status != orbit_core::status::Status::SUCCESS)
            {
                Some(s) => Err(format!("write refused: {}", status_text(s.status)).into()),
                None => Ok(()),
            }
        }
        Command::Invoke {
            device,
            path,
            args,
            timed,
        } => {
            let (cmd, schema) = command_path(&path)?;
            let data = parse_args(args.as_deref(), schema.map(|s| s.args.as_slice()))?;
            let timed = timed || schema.is_some_and(|s| s.timed);
            let conn = connected(opened, home, &device).await?;
            let result = conn.invoke(cmd, data, timed).await?;
            conn.close();
            match result {
                Ok(r) => {
                    print_invoke(format, &r, schema.map(|s| s.result.as_slice()));
                    Ok(())
                }
                Err(status) => Err(format!("command refused: {}", status_text(status)).into()),
            }
        }
        Command::Subscribe {
            device,
            paths,
            min,
            max,
            count,
        } => {
            let attributes = attribute_paths(&paths)?;
            // Read-only: a subscription may run for days and must not hold the home's lock.
            let c: &Arc<Controller> = opened.insert(home::open(home, Access::Read).await?);
            let mut sub = c
                .keep_subscription(
                    &device,
                    SubscribeRequest {
                        attributes,
                        min_interval_s: min,
                        max_interval_s: max,
                        ..Default::default()
                    },
                    Some(DiscoveryConfig::default()),
                )
                .await?;
            print_reports(format, &sub.initial.attributes, &sub.initial.events);
            let mut seen = 0usize;
            while count.is_none_or(|n| seen < n) {
                tokio::select! {
                    update = sub.next() => match update {
                        Some(KeptUpdate::Report(r)) => {
                            seen += 1;
                            if r.attributes.is_empty() && r.events.is_empty() && format == Format::Human {
                                println!("(keep-alive)");
                            } else {
                                print_reports(format, &r.attributes, &r.events);
                            }
                        }
                        Some(KeptUpdate::Resubscribed(r)) => {
                            seen += 1;
                            eprintln!("orbit: subscribed again to {device}; current values follow");
                            print_reports(format, &r.attributes, &r.events);
                        }
                        Some(KeptUpdate::Lost) => {
                            eprintln!("orbit: lost the subscription to {device}; subscribing again");
                        }
                        Some(KeptUpdate::Retrying { attempt, error, retry_in }) => {
                            eprintln!(
                                "orbit: attempt {attempt} to subscribe again failed ({error}); next in {:.1} s",
                                retry_in.as_secs_f64()
                            );
                        }
                        Some(_) => {}
                        None => return Err("the subscription ended".into()),
                    },
                    _ = tokio::signal::ctrl_c() => break,
                }
            }
            Ok(())
        }
        Command::Unpair { device, force } => {
            let c: &Arc<Controller> =
                opened.insert(home::open(home, Access::Write { create: false }).await?);
            let unpaired = c.unpair(&device, force).await?;
            let from_device = unpaired == Unpaired::FromDevice;
            match format {
                Format::Human => println!("unpaired {device}"),
                Format::Json => println!(
                    "{}",
                    json!({"unpaired": device, "removed_from_device": from_device})
                ),
            }
            if let Unpaired::LocallyOnly { reason } = &unpaired {
                eprintln!(
                    "orbit: warning: {device} was forgotten here but still holds the home ({reason}); \
                     reset it to pair it again"
                );
            }
            Ok(())
        }
        Command::Device { .. } | Command::Demo | Command::Conformance { .. } => {
            Err("internal: not a controller command".into())
        }
    }
}
