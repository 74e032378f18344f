//! What `/proc` says about a process and its descendants: CPU time (`utime + stime` from
//! `/proc/PID/stat`, in clock ticks) and resident memory (`VmRSS`, `VmHWM` from
//! `/proc/PID/status`). A gateway may run as a launcher and a worker (`npx` then `node`, a
//! Python script then its workers), so every figure is summed over the process tree.

use std::collections::HashMap;
use std::time::Duration;

/// `(pid, ppid)` of every process, from `/proc/*/stat`.
fn parents() -> HashMap<u32, u32> {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if let Some(f) = stat_fields(pid) {
            // Fields after the command: state, ppid, ...
            if let Some(ppid) = f.get(1).and_then(|v| v.parse().ok()) {
                out.insert(pid, ppid);
            }
        }
    }
    out
}

/// The fields of `/proc/PID/stat` after `(comm)`, whose name may hold spaces.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// `pid` and all its descendants alive now.
pub fn tree(pid: u32) -> Vec<u32> {
    let parents = parents();
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        out.extend(parents.iter().filter(|(_, pp)| **pp == p).map(|(c, _)| *c));
        i += 1;
    }
    out
}

fn ticks_per_sec() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as u64
    } else {
        100
    }
}

/// User + system CPU time of `pid` and its live descendants (their exited threads included).
pub fn cpu(pid: u32) -> Duration {
    let hz = ticks_per_sec();
    let ticks: u64 = tree(pid)
        .into_iter()
        .filter_map(stat_fields)
        .map(|f| {
            // utime and stime are fields 14 and 15 of the line: 11 and 12 counted from 0 after `(comm)`.
            let v = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            v(11) + v(12)
        })
        .sum();
    Duration::from_nanos(ticks * 1_000_000_000 / hz)
}

/// A `/proc/PID/status` field in KiB.
fn status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Resident memory now, KiB, over the tree.
pub fn rss_kb(pid: u32) -> u64 {
    tree(pid).into_iter().map(|p| status_kb(p, "VmRSS:")).sum()
}

/// Peak resident memory, KiB, over the tree (each process's own peak, summed).
pub fn hwm_kb(pid: u32) -> u64 {
    tree(pid).into_iter().map(|p| status_kb(p, "VmHWM:")).sum()
}

/// Whether the process is still there.
pub fn alive(pid: u32) -> bool {
    stat_fields(pid).is_some_and(|f| f.first().is_some_and(|s| s != "Z"))
}
