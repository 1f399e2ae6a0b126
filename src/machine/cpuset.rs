//! A set of CPU ids: the CPUs a process may run on (`sched_getaffinity`),
//! written in the kernel's list form (`0-3,8`, as in `taskset -c` and
//! `/sys/devices/system/cpu/online`), which is also how it is serialized.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// CPU ids in increasing order, without repeats.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CpuSet(Vec<u32>);

impl CpuSet {
    /// The CPUs the calling thread may run on; `None` where
    /// `sched_getaffinity` fails (more CPUs than a `cpu_set_t` holds).
    pub(crate) fn allowed() -> Option<CpuSet> {
        // SAFETY: cpu_set_t is plain bits; sched_getaffinity fills at most
        // the size it is given, and CPU_ISSET reads within it.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
                return None;
            }
            let ids = (0..libc::CPU_SETSIZE as usize)
                .filter(|&i| libc::CPU_ISSET(i, &set))
                .map(|i| i as u32)
                .collect();
            Some(CpuSet(ids))
        }
    }

    /// The set of `ids`, sorted and without repeats.
    pub(crate) fn of(ids: impl IntoIterator<Item = u32>) -> CpuSet {
        let mut ids: Vec<u32> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        CpuSet(ids)
    }

    /// Parses the list form (`0-3,8`); `None` for anything else.
    pub(crate) fn parse(list: &str) -> Option<CpuSet> {
        let list = list.trim();
        if list.is_empty() {
            return Some(CpuSet::default());
        }
        let mut ids = Vec::new();
        for part in list.split(',') {
            match part.split_once('-') {
                Some((a, b)) => {
                    let (a, b): (u32, u32) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
                    if a > b || b - a > 1 << 16 {
                        return None;
                    }
                    ids.extend(a..=b);
                }
                None => ids.push(part.trim().parse().ok()?),
            }
        }
        Some(CpuSet::of(ids))
    }

    pub(crate) fn ids(&self) -> &[u32] {
        &self.0
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn contains(&self, id: u32) -> bool {
        self.0.binary_search(&id).is_ok()
    }
}

impl fmt::Display for CpuSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0.as_slice();
        let mut first = true;
        while let Some(&start) = rest.first() {
            // The run of consecutive ids that starts here.
            let run = rest
                .iter()
                .enumerate()
                .take_while(|&(i, &id)| id == start + i as u32)
                .count();
            let end = rest[run - 1];
            if !first {
                f.write_str(",")?;
            }
            first = false;
            match end - start {
                0 => write!(f, "{start}")?,
                _ => write!(f, "{start}-{end}")?,
            }
            rest = &rest[run..];
        }
        Ok(())
    }
}

impl Serialize for CpuSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CpuSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<CpuSet, D::Error> {
        let text = String::deserialize(d)?;
        CpuSet::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not a CPU list: `{text}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_form_round_trips() {
        let set = CpuSet::parse("0-3,8,10-11").unwrap();
        assert_eq!(set.ids(), &[0, 1, 2, 3, 8, 10, 11]);
        assert_eq!(set.to_string(), "0-3,8,10-11");
        assert_eq!(CpuSet::of([5, 1, 1, 0]).to_string(), "0-1,5");
        assert_eq!(CpuSet::parse("").unwrap().to_string(), "");
        assert_eq!(CpuSet::parse(" 1 \n").unwrap().ids(), &[1]);
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(json, "\"0-3,8,10-11\"");
        assert_eq!(serde_json::from_str::<CpuSet>(&json).unwrap(), set);
    }

    #[test]
    fn bad_lists_are_refused() {
        for bad in ["a", "3-1", "1,,2", "0-", "-2", "0-99999999"] {
            assert_eq!(CpuSet::parse(bad), None, "{bad}");
        }
        assert!(serde_json::from_str::<CpuSet>("\"x\"").is_err());
    }

    #[test]
    fn this_process_may_run_somewhere() {
        let allowed = CpuSet::allowed().expect("sched_getaffinity works on Linux");
        assert!(!allowed.is_empty());
        // std's count reads the same mask (and a cgroup quota may lower it).
        let usable = std::thread::available_parallelism().unwrap().get();
        assert!(allowed.len() >= usable, "{allowed} against {usable}");
        assert!(allowed.contains(allowed.ids()[0]));
    }
}
