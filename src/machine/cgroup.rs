//! Where this process's cgroup files are: its `cpu.stat` (throttling),
//! and the per-CPU CPU time of every task on the machine
//! (`cpuacct.usage_percpu` at the root of a cgroup v1 cpuacct hierarchy).
//!
//! Found from `/proc/self/cgroup` (`id:controllers:path`, `0::path` for
//! v2) and `/proc/self/mountinfo` (where each hierarchy is mounted, and
//! which of its folders the mount shows), once per process. cgroup v2
//! with the cpu controller is preferred for `cpu.stat`; v1's `cpu`
//! hierarchy serves otherwise (hybrid machines such as this project's
//! have v2 mounted without controllers).

use std::path::PathBuf;
use std::sync::OnceLock;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Paths {
    /// `cpu.stat` files that may hold throttling, best first.
    pub cpu_stat: Vec<PathBuf>,
    /// `cpuacct.usage_percpu` of a hierarchy's root, when the mount shows
    /// the root (not a container's own folder).
    pub usage_percpu: Option<PathBuf>,
}

/// This process's paths, located on first use.
pub(super) fn paths() -> &'static Paths {
    static PATHS: OnceLock<Paths> = OnceLock::new();
    PATHS.get_or_init(|| {
        let cgroup = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        locate(&cgroup, &mounts)
    })
}

/// One cgroup mount: its kind, the hierarchy folder it shows and where.
struct Mount<'a> {
    v2: bool,
    controllers: Vec<&'a str>,
    root: &'a str,
    point: &'a str,
}

/// Reads a mountinfo line: `id parent dev root point opts [tags] - fstype
/// source superopts`.
fn mount(line: &str) -> Option<Mount<'_>> {
    let (head, tail) = line.split_once(" - ")?;
    let head: Vec<&str> = head.split(' ').collect();
    let mut tail = tail.split(' ');
    let fstype = tail.next()?;
    let superopts = tail.nth(1).unwrap_or("");
    let (root, point) = (*head.get(3)?, *head.get(4)?);
    match fstype {
        "cgroup2" => Some(Mount {
            v2: true,
            controllers: Vec::new(),
            root,
            point,
        }),
        "cgroup" => Some(Mount {
            v2: false,
            controllers: superopts.split(',').collect(),
            root,
            point,
        }),
        _ => None,
    }
}

/// The folder of the group at `path` under `m`, when the mount shows it.
fn folder(m: &Mount<'_>, path: &str) -> Option<PathBuf> {
    let rel = if m.root == "/" {
        path
    } else {
        path.strip_prefix(m.root)?
    };
    let rel = rel.trim_start_matches('/');
    Some(PathBuf::from(unescape(m.point)).join(rel))
}

/// mountinfo escapes spaces and the like as `\040` octal.
fn unescape(point: &str) -> String {
    let mut out = String::with_capacity(point.len());
    let mut rest = point;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let code = rest
            .get(i + 1..i + 4)
            .and_then(|o| u8::from_str_radix(o, 8).ok());
        match code {
            Some(c) => {
                out.push(c as char);
                rest = &rest[i + 4..];
            }
            None => {
                out.push('\\');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

pub(super) fn locate(cgroup: &str, mountinfo: &str) -> Paths {
    let mounts: Vec<Mount<'_>> = mountinfo.lines().filter_map(mount).collect();
    let mut paths = Paths::default();
    let mut v1_cpu = None;
    for line in cgroup.lines() {
        let mut f = line.splitn(3, ':');
        let (Some(_id), Some(controllers), Some(path)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if controllers.is_empty() {
            let v2 = mounts.iter().filter(|m| m.v2);
            paths.cpu_stat.extend(
                v2.filter_map(|m| folder(m, path))
                    .map(|d| d.join("cpu.stat")),
            );
        } else if controllers.split(',').any(|c| c == "cpu") {
            v1_cpu = mounts
                .iter()
                .find(|m| !m.v2 && m.controllers.contains(&"cpu"))
                .and_then(|m| folder(m, path))
                .map(|d| d.join("cpu.stat"));
        }
    }
    paths.cpu_stat.extend(v1_cpu);
    paths.usage_percpu = mounts
        .iter()
        .find(|m| !m.v2 && m.root == "/" && m.controllers.contains(&"cpuacct"))
        .map(|m| PathBuf::from(unescape(m.point)).join("cpuacct.usage_percpu"));
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This project's VM: cgroup v1 controllers beside an empty v2.
    const HYBRID_CGROUP: &str = "9:name=systemd:/\n4:memory:/process_api/0f3d\n2:cpuacct:/\n\
                                 1:cpu:/\n0::/\n";
    const HYBRID_MOUNTS: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    #[test]
    fn a_hybrid_machine_reads_v2_then_v1_and_the_root_cpuacct() {
        let p = locate(HYBRID_CGROUP, HYBRID_MOUNTS);
        assert_eq!(
            p.cpu_stat,
            [
                PathBuf::from("/sys/fs/cgroup/unified/cpu.stat"),
                PathBuf::from("/sys/fs/cgroup/cpu/cpu.stat"),
            ]
        );
        assert_eq!(
            p.usage_percpu,
            Some(PathBuf::from("/sys/fs/cgroup/cpuacct/cpuacct.usage_percpu"))
        );
    }

    #[test]
    fn a_v2_machine_reads_its_own_group() {
        let cgroup = "0::/user.slice/user-1000.slice/session-2.scope\n";
        let mounts = "25 20 0:22 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
        let p = locate(cgroup, mounts);
        assert_eq!(
            p.cpu_stat,
            [PathBuf::from(
                "/sys/fs/cgroup/user.slice/user-1000.slice/session-2.scope/cpu.stat"
            )]
        );
        assert_eq!(p.usage_percpu, None, "v2 has no per-CPU usage");
    }

    #[test]
    fn a_container_mount_shows_its_own_folder_only() {
        // The mount shows /docker/abc of the hierarchy: a v1 cpu,cpuacct
        // hierarchy whose root (everyone's time) is out of sight.
        let cgroup = "3:cpu,cpuacct:/docker/abc\n";
        let mounts = "40 30 0:30 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro - cgroup cgroup \
                      rw,cpu,cpuacct\n";
        let p = locate(cgroup, mounts);
        assert_eq!(
            p.cpu_stat,
            [PathBuf::from("/sys/fs/cgroup/cpu,cpuacct/cpu.stat")]
        );
        assert_eq!(p.usage_percpu, None);
    }

    #[test]
    fn escaped_mount_points_and_missing_files_are_handled() {
        assert_eq!(unescape(r"/mnt/a\040b"), "/mnt/a b");
        assert_eq!(unescape(r"/x\y"), r"/x\y");
        assert_eq!(locate("", ""), Paths::default());
        assert_eq!(locate("garbage", "also garbage"), Paths::default());
    }
}
