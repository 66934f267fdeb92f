//! Tearing the lab down: on drop of a [`crate::Lab`], on SIGINT / SIGTERM / SIGHUP (a signal
//! handler removes every lab of this process, then exits), and for leftovers of a process
//! that was killed outright (`scripts/netlab --cleanup`, and every new lab reaps the labs of
//! processes that no longer exist).
//!
//! Everything a lab creates is named with [`NAME_PREFIX`], its process ID and a sequence
//! number, so that parallel runs never collide and a leftover can be told apart from a
//! running lab. A lab creates network namespaces only (its veth pairs and bridge live inside
//! them, its nftables tables and qdiscs on those interfaces); deleting the namespaces, after
//! killing the processes inside, removes everything.

use crate::cmd;
use crate::error::LabError;
use std::collections::BTreeSet;
use std::sync::{Mutex, Once};

/// The first part of every namespace name a lab creates.
pub const NAME_PREFIX: &str = "orbitlab-";

/// The labs of this process that exist now, by prefix.
static LIVE: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

fn live() -> std::sync::MutexGuard<'static, BTreeSet<String>> {
    LIVE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Records a lab that the signal handler must remove.
pub(crate) fn register(prefix: &str) {
    install_signal_handler();
    live().insert(prefix.to_owned());
}

/// Forgets a lab once it is removed.
pub(crate) fn unregister(prefix: &str) {
    live().remove(prefix);
}

/// Removes every lab of this process now (a watchdog that gives up on a stuck run calls it
/// before exiting, since exiting skips destructors).
pub fn remove_this_process_labs() {
    let prefixes: Vec<String> = live().iter().cloned().collect();
    for p in prefixes {
        let _ = remove_prefix(&p);
        crate::lab::remove_work_dir(&p);
        unregister(&p);
    }
}

/// The namespaces whose name starts with `prefix`.
pub fn namespaces(prefix: &str) -> Result<Vec<String>, LabError> {
    let out = cmd::ip(&["netns", "list"])?;
    Ok(out
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with(prefix))
        .map(str::to_owned)
        .collect())
}

/// Kills every process inside namespace `ns` (never this process) and deletes it. Returns
/// the number of processes killed.
pub fn remove_namespace(ns: &str) -> Result<usize, LabError> {
    let me = std::process::id().to_string();
    let mut killed = 0;
    // A process may start between the listing and the kill (a restart): try a few rounds.
    for _ in 0..5 {
        let pids = cmd::ip(&["netns", "pids", ns]).unwrap_or_default();
        let pids: Vec<&str> = pids.split_whitespace().filter(|p| *p != me).collect();
        if pids.is_empty() {
            break;
        }
        let mut args = vec!["-9"];
        args.extend(pids.iter().copied());
        let _ = cmd::run("kill", &args, None);
        killed += pids.len();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    match cmd::ip(&["netns", "delete", ns]) {
        Ok(_) => Ok(killed),
        // Already gone (another cleanup got there first).
        Err(_) if !namespaces(ns)?.iter().any(|n| n == ns) => Ok(killed),
        Err(e) => Err(e),
    }
}

/// Removes every namespace whose name starts with `prefix` (see [`remove_namespace`]); the
/// bridge namespace (`...lan`) last, so device hosts lose their link only once stopped.
pub fn remove_prefix(prefix: &str) -> Result<Vec<String>, LabError> {
    let mut names = namespaces(prefix)?;
    names.sort_by_key(|n| n.ends_with("-lan"));
    let mut first_error = None;
    for n in &names {
        if let Err(e) = remove_namespace(n) {
            first_error.get_or_insert(e);
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(names),
    }
}

/// The process ID a lab namespace name carries (`orbitlab-<pid>-<seq>-<host>`).
fn owner_pid(ns: &str) -> Option<u32> {
    ns.strip_prefix(NAME_PREFIX)?
        .split('-')
        .next()?
        .parse()
        .ok()
}

/// Whether the process that made the lab named `name` still runs.
fn owner_alive(name: &str) -> bool {
    owner_pid(name).is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists())
}

/// Removes the labs of processes that no longer exist (killed with SIGKILL, or a crash that
/// skipped every destructor): their namespaces and their work directories. Returns the
/// namespaces removed.
pub fn remove_stale() -> Result<Vec<String>, LabError> {
    let mut removed = Vec::new();
    for ns in namespaces(NAME_PREFIX)? {
        if !owner_alive(&ns) {
            remove_namespace(&ns)?;
            removed.push(ns);
        }
    }
    if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(NAME_PREFIX) && !owner_alive(&name) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    Ok(removed)
}

/// Removes every lab on the machine, running or not (`scripts/netlab --cleanup`).
pub fn remove_all() -> Result<Vec<String>, LabError> {
    remove_prefix(NAME_PREFIX)
}

/// On SIGINT, SIGTERM or SIGHUP: removes this process's labs, then exits with 128 + the
/// signal number, as the default action would have ended it.
fn install_signal_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("netlab-signals".into())
            .spawn(|| {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                let code = rt.block_on(async {
                    use tokio::signal::unix::{signal, SignalKind};
                    let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (
                        signal(SignalKind::interrupt()),
                        signal(SignalKind::terminate()),
                        signal(SignalKind::hangup()),
                    ) else {
                        return None;
                    };
                    tokio::select! {
                        _ = int.recv() => Some(130),
                        _ = term.recv() => Some(143),
                        _ = hup.recv() => Some(129),
                    }
                });
                if let Some(code) = code {
                    eprintln!("netlab: interrupted, removing this run's labs");
                    remove_this_process_labs();
                    std::process::exit(code);
                }
            });
        if let Err(e) = spawned {
            eprintln!(
                "netlab: no signal handler ({e}); `scripts/netlab --cleanup` removes leftovers"
            );
        }
    });
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_is_read_from_the_name() {
        assert_eq!(owner_pid("orbitlab-1234-0-lan"), Some(1234));
        assert_eq!(owner_pid("orbitlab-77-12-dev3"), Some(77));
        assert_eq!(owner_pid("orbitlab-x-0-lan"), None);
        assert_eq!(owner_pid("other-1234-0-lan"), None);
    }
}
