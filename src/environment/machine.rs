//! Which machine a run was measured on: the host name and a short hash of
//! `/etc/machine-id` (never the raw id, which the systemd docs ask to keep
//! private), or a name given with `--machine`. Merged results compare
//! processes within a machine (a round runs on one machine: the block design's rounds are machines too).

use sha2::{Digest, Sha256};

/// Files that hold the machine id, in the order systemd documents them.
const MACHINE_ID_FILES: [&str; 2] = ["/etc/machine-id", "/var/lib/dbus/machine-id"];

/// `name` if given (trimmed, and it must not be empty), else this machine's
/// identity: `host-1a2b3c4d`, or the host name alone without a machine id.
pub(crate) fn identity(name: Option<&str>) -> anyhow::Result<String> {
    if let Some(name) = name {
        let name = name.trim();
        anyhow::ensure!(!name.is_empty(), "--machine needs a non-empty name");
        return Ok(name.to_string());
    }
    let host = hostname();
    Ok(match machine_id() {
        Some(id) => format!("{host}-{}", short_hash(&id)),
        None => host,
    })
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into())
}

fn machine_id() -> Option<String> {
    MACHINE_ID_FILES.iter().find_map(|path| {
        std::fs::read_to_string(path)
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    })
}

/// The first 8 hex digits of the id's SHA-256.
fn short_hash(id: &str) -> String {
    let digest = Sha256::digest(id.as_bytes());
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_given_name_wins_and_must_not_be_blank() {
        assert_eq!(identity(Some(" node-7 ")).unwrap(), "node-7");
        assert!(identity(Some("  ")).is_err());
    }

    #[test]
    fn the_machine_id_is_hashed_never_recorded() {
        // SHA-256("abc") starts ba7816bf.
        assert_eq!(short_hash("abc"), "ba7816bf");
        let me = identity(None).unwrap();
        assert!(me.starts_with(&hostname()), "{me}");
        if let Some(id) = machine_id() {
            assert!(!me.contains(&id), "{me} holds the raw machine id");
            assert!(me.ends_with(&short_hash(&id)), "{me}");
        }
    }
}
