//! Impairments of a host's link: random loss and partitions with nftables, rate limits with
//! the `tbf` qdisc, and delay with jitter with the `netem` qdisc where the kernel has it
//! (where it does not, [`crate::relay`] delays, jitters and reorders in user space).

use crate::cleanup::NAME_PREFIX;
use crate::cmd;
use crate::error::LabError;
use crate::host::Host;
use std::sync::OnceLock;
use std::time::Duration;

/// What is done to the packets crossing a host's `eth0` (both directions).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Impairment {
    /// Percent of packets dropped at random, in each direction (0..=100).
    pub loss_percent: u8,
    /// Every packet dropped: the host is cut off (multicast included).
    pub partitioned: bool,
}

/// Packets seen and dropped on a host's link since its impairment was last set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Packets that reached the rules (in and out).
    pub seen: u64,
    /// Packets the rules dropped.
    pub dropped: u64,
}

/// How delay, jitter and reordering are made on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelayMechanism {
    /// The kernel's `netem` qdisc on the host's link.
    Netem,
    /// No `netem`: the bounded UDP relay of [`crate::relay`], in a namespace of its own.
    Relay,
}

impl std::fmt::Display for DelayMechanism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DelayMechanism::Netem => "netem qdisc (kernel)",
            DelayMechanism::Relay => "UDP relay (no netem qdisc in this kernel)",
        })
    }
}

/// Whether this kernel has `netem`, found once per process by adding it to the loopback of
/// a scratch namespace.
pub fn delay_mechanism() -> DelayMechanism {
    static FOUND: OnceLock<DelayMechanism> = OnceLock::new();
    *FOUND.get_or_init(|| {
        let ns = format!("{NAME_PREFIX}{}-netemprobe", std::process::id());
        if cmd::ip(&["netns", "add", &ns]).is_err() {
            return DelayMechanism::Relay;
        }
        let ok = cmd::in_ns(
            &ns,
            "tc",
            &["qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"],
            None,
        )
        .is_ok();
        let _ = cmd::ip(&["netns", "delete", &ns]);
        if ok {
            DelayMechanism::Netem
        } else {
            DelayMechanism::Relay
        }
    })
}

/// The nftables table every impairment lives in (one per host namespace).
const TABLE: &str = "netlab";

/// The nftables script for `imp`: the table is replaced as a whole, atomically.
fn ruleset(imp: &Impairment) -> String {
    let action = if imp.partitioned {
        "counter drop".to_owned()
    } else if imp.loss_percent > 0 {
        format!(
            "numgen random mod 100 < {} counter drop",
            imp.loss_percent.min(100)
        )
    } else {
        "counter".to_owned()
    };
    format!(
        "table inet {TABLE}\ndelete table inet {TABLE}\ntable inet {TABLE} {{\n\
         \tchain input {{ type filter hook input priority -10; policy accept;\n\
         \t\tiifname \"eth0\" counter\n\t\tiifname \"eth0\" {action}\n\t}}\n\
         \tchain output {{ type filter hook output priority -10; policy accept;\n\
         \t\toifname \"eth0\" counter\n\t\toifname \"eth0\" {action}\n\t}}\n}}\n"
    )
}

/// The packet counts of every `counter` in `listing`, in order.
fn counter_values(listing: &str) -> Vec<u64> {
    let mut values = Vec::new();
    let mut words = listing.split_whitespace();
    while let Some(w) = words.next() {
        if w == "packets" {
            if let Some(n) = words.next().and_then(|n| n.parse().ok()) {
                values.push(n);
            }
        }
    }
    values
}

impl Host {
    /// Sets the impairment of this host's link (replacing the previous one; the default
    /// is none). Applies to every packet in and out of `eth0`.
    pub fn impair(&self, imp: Impairment) -> Result<(), LabError> {
        cmd::in_ns(self.ns(), "nft", &["-f", "-"], Some(&ruleset(&imp)))?;
        Ok(())
    }

    /// Drops `percent` % of packets at random in each direction.
    pub fn set_loss(&self, percent: u8) -> Result<(), LabError> {
        self.impair(Impairment {
            loss_percent: percent,
            partitioned: false,
        })
    }

    /// Cuts the host off the LAN (`true`) or joins it again (`false`).
    pub fn set_partitioned(&self, partitioned: bool) -> Result<(), LabError> {
        self.impair(Impairment {
            loss_percent: 0,
            partitioned,
        })
    }

    /// Packets seen and dropped since the impairment was last set (zero if never set).
    pub fn counters(&self) -> Result<Counters, LabError> {
        let listing = match cmd::in_ns(self.ns(), "nft", &["list", "table", "inet", TABLE], None) {
            Ok(l) => l,
            Err(_) => return Ok(Counters::default()),
        };
        // Per chain: the counting rule, then the acting rule.
        let v = counter_values(&listing);
        let (seen, dropped) = v.chunks(2).fold((0, 0), |(s, d), pair| match pair {
            [seen, acted] => (s + seen, d + acted),
            _ => (s, d),
        });
        let dropping = listing.contains("drop");
        Ok(Counters {
            seen,
            dropped: if dropping { dropped } else { 0 },
        })
    }

    /// Limits what the host sends to `kbit` kilobits per second with a token bucket (`tbf`);
    /// `None` removes the limit.
    pub fn set_rate(&self, kbit: Option<u32>) -> Result<(), LabError> {
        match kbit {
            Some(k) => {
                let rate = format!("{k}kbit");
                self.exec(
                    "tc",
                    &[
                        "qdisc", "replace", "dev", "eth0", "root", "tbf", "rate", &rate, "burst",
                        "32kb", "latency", "200ms",
                    ],
                )?;
            }
            None => {
                let _ = self.exec("tc", &["qdisc", "del", "dev", "eth0", "root"]);
            }
        }
        Ok(())
    }

    /// Delays what the host sends by `delay` ± `jitter` with `netem` (which then also
    /// reorders). [`LabError::Unsupported`] when the kernel has no `netem`: use
    /// [`crate::relay`] then. `Duration::ZERO` for both removes it.
    pub fn set_netem_delay(&self, delay: Duration, jitter: Duration) -> Result<(), LabError> {
        if delay_mechanism() != DelayMechanism::Netem {
            return Err(LabError::Unsupported(
                "this kernel has no netem qdisc".into(),
            ));
        }
        if delay.is_zero() && jitter.is_zero() {
            let _ = self.exec("tc", &["qdisc", "del", "dev", "eth0", "root"]);
            return Ok(());
        }
        let d = format!("{}us", delay.as_micros());
        let j = format!("{}us", jitter.as_micros());
        self.exec(
            "tc",
            &[
                "qdisc", "replace", "dev", "eth0", "root", "netem", "delay", &d, &j,
            ],
        )?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn the_ruleset_drops_what_it_says() {
        let r = ruleset(&Impairment {
            loss_percent: 5,
            partitioned: false,
        });
        assert!(r.contains("numgen random mod 100 < 5 counter drop"), "{r}");
        let r = ruleset(&Impairment {
            loss_percent: 5,
            partitioned: true,
        });
        assert!(
            r.contains("eth0\" counter drop") && !r.contains("numgen"),
            "{r}"
        );
        assert!(!ruleset(&Impairment::default()).contains("drop"));
    }

    #[test]
    fn counters_are_read_in_order() {
        let l = "counter packets 10 bytes 100\n numgen random mod 100 < 5 counter packets 2 bytes 9 drop";
        assert_eq!(counter_values(l), vec![10, 2]);
    }
}
