//! `stack_size`: the stack of every rayon worker and tokio worker thread
//! (`ThreadPoolBuilder::stack_size`, `Builder::thread_stack_size`). Deep
//! recursion on the pool needs more than rayon's default; a smaller stack
//! lets more threads fit. Values are sizes (`"64KiB"`, `"2MiB"`) or bytes.

use tuner_api::Knobs;

use super::{Knob, PoolSettings};

/// The smallest stack a pool thread may get: glibc's minimum is 16 KiB,
/// and rayon's own frames need a few more.
const MIN_STACK: u64 = 64 * 1024;
/// Larger stacks only waste address space.
const MAX_STACK: u64 = 1 << 30;

pub(super) struct StackSize;

impl Knob for StackSize {
    fn name(&self) -> &'static str {
        "stack_size"
    }

    fn parse(&self, value: &toml::Value) -> Result<String, String> {
        let bytes = match value {
            toml::Value::Integer(n) if *n >= 0 => *n as u64,
            toml::Value::String(s) => s
                .parse::<bytesize::ByteSize>()
                .map_err(|_| format!("`{s}` is not a size such as \"64KiB\" or \"2MiB\""))?
                .as_u64(),
            other => return Err(format!("expected a size such as \"2MiB\", found {other}")),
        };
        if !(MIN_STACK..=MAX_STACK).contains(&bytes) {
            return Err(format!(
                "{bytes} bytes is out of range 64KiB..=1GiB for a thread's stack"
            ));
        }
        Ok(label(bytes))
    }

    fn used_by(&self, knobs: &Knobs) -> bool {
        knobs.threads || knobs.tokio
    }

    fn apply(&self, label: &str, pools: &mut PoolSettings) -> Result<(), String> {
        let bytes = label
            .parse::<bytesize::ByteSize>()
            .map_err(|e| format!("not a size: {e}"))?;
        pools.stack_size = Some(bytes.as_u64() as usize);
        Ok(())
    }
}

/// `64KiB`, `2MiB`, `1536KiB`: exact, in the largest binary unit that
/// divides the size, so a label parses back to the same bytes.
fn label(bytes: u64) -> String {
    for (unit, size) in [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] {
        if bytes.is_multiple_of(size) {
            return format!("{}{unit}", bytes / size);
        }
    }
    format!("{bytes}B")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knob::find;

    #[test]
    fn sizes_parse_to_exact_labels_that_apply_back() {
        let knob = find("stack_size").unwrap();
        let s = |t: &str| toml::Value::String(t.into());
        assert_eq!(knob.parse(&s("2MiB")).unwrap(), "2MiB");
        assert_eq!(knob.parse(&s("1536KiB")).unwrap(), "1536KiB");
        assert_eq!(knob.parse(&toml::Value::Integer(1 << 20)).unwrap(), "1MiB");
        assert_eq!(knob.parse(&toml::Value::Integer(65_600)).unwrap(), "65600B");
        let pools = PoolSettings::of(2, &[("stack_size".into(), "1536KiB".into())]).unwrap();
        assert_eq!(pools.stack_size, Some(1536 * 1024));
        assert_eq!(pools.threads, 2);
    }

    #[test]
    fn bad_sizes_say_why() {
        let knob = find("stack_size").unwrap();
        let err = knob.parse(&toml::Value::String("big".into())).unwrap_err();
        assert!(err.contains("not a size"), "{err}");
        let err = knob.parse(&toml::Value::String("4KiB".into())).unwrap_err();
        assert!(err.contains("out of range"), "{err}");
        let err = knob.parse(&toml::Value::Boolean(true)).unwrap_err();
        assert!(err.contains("expected a size"), "{err}");
    }

    /// The stack every pool thread runs on, read back from pthread.
    fn stack_of_pool_threads(pools: &PoolSettings) -> usize {
        pools.rayon().unwrap().install(|| {
            // SAFETY: plain data filled in by pthread for the current thread.
            unsafe {
                let mut attr: libc::pthread_attr_t = std::mem::zeroed();
                assert_eq!(libc::pthread_getattr_np(libc::pthread_self(), &mut attr), 0);
                let mut size = 0usize;
                assert_eq!(libc::pthread_attr_getstacksize(&attr, &mut size), 0);
                libc::pthread_attr_destroy(&mut attr);
                size
            }
        })
    }

    #[test]
    fn pool_threads_get_the_stack_the_point_asked_for() {
        for label in ["256KiB", "16MiB"] {
            let pools = PoolSettings::of(2, &[("stack_size".into(), label.into())]).unwrap();
            let asked = pools.stack_size.unwrap();
            let got = stack_of_pool_threads(&pools);
            // pthread rounds up to whole pages and may add a guard page.
            assert!((asked..asked + 64 * 1024).contains(&got), "{label}: {got}");
        }
        let default = stack_of_pool_threads(&PoolSettings::of(1, &[]).unwrap());
        assert_eq!(default, 2 << 20, "rayon's own default stack");
    }
}
