//! The limits a config must keep: names that are one safe path component,
//! durations inside sensible ranges, matrices small enough to run. Each
//! check returns the message an error shows, bounds included.

use std::time::Duration;

/// Most values one axis may list.
pub(super) const MAX_AXIS_VALUES: usize = 1_000;
/// Most points a matrix may have before exclusions.
pub(super) const MAX_POINTS: usize = 10_000;
/// Most `[matrix] exclude` entries.
pub(super) const MAX_EXCLUDES: usize = 1_000;
/// Most worker processes per point.
pub(super) const MAX_PROCESSES: u32 = 1_000;
/// Most timed samples per process.
pub(super) const MAX_SAMPLES: u32 = 100_000;
/// Most worker processes a whole run may start (points × processes).
pub(super) const MAX_RUNS: usize = 1_000_000;
/// Longest `[experiment] name`: it becomes a directory name.
pub(super) const MAX_NAME_CHARS: usize = 64;
/// Longest `[experiment] description`.
pub(super) const MAX_DESCRIPTION_CHARS: usize = 2_000;
/// Longest `[report] dir` (Linux's PATH_MAX).
pub(super) const MAX_DIR_BYTES: usize = 4_096;

/// The inclusive range a duration key accepts.
#[derive(Clone, Copy)]
pub(super) struct DurationRange {
    pub min: Duration,
    pub max: Duration,
}

const fn range(min: Duration, max: Duration) -> DurationRange {
    DurationRange { min, max }
}

/// No warm-up is allowed: the first run is always timed apart anyway.
pub(super) const WARMUP: DurationRange = range(Duration::ZERO, Duration::from_secs(600));
/// Below 100 µs a sample is a handful of timer reads; above a minute a
/// process takes hours.
pub(super) const MIN_SAMPLE_TIME: DurationRange =
    range(Duration::from_micros(100), Duration::from_secs(60));
/// A worker cannot start, warm up and sample in less than 100 ms.
pub(super) const TIMEOUT: DurationRange =
    range(Duration::from_millis(100), Duration::from_secs(86_400));
/// A budget below a second cannot fit one worker; a week is a lot of runs.
pub(super) const BUDGET: DurationRange =
    range(Duration::from_secs(1), Duration::from_secs(7 * 86_400));
pub(super) const PROFILE_DURATION: DurationRange =
    range(Duration::from_millis(1), Duration::from_secs(600));

impl DurationRange {
    pub(super) fn check(self, d: Duration) -> Result<(), String> {
        if (self.min..=self.max).contains(&d) {
            return Ok(());
        }
        Err(format!(
            "{} is out of range: must be from {} to {}",
            humantime::format_duration(d),
            humantime::format_duration(self.min),
            humantime::format_duration(self.max)
        ))
    }
}

/// `[experiment] name` becomes the directory `<report dir>/<name>/` and the
/// report's heading, so it is one path component of `[A-Za-z0-9._-]`,
/// starting with a letter, digit or `_` (so never `.`, `..`, hidden or an
/// option), at most [`MAX_NAME_CHARS`] long.
pub(super) fn check_name(name: &str) -> Result<(), String> {
    let rule = format!(
        "a name is 1 to {MAX_NAME_CHARS} of the characters A-Z a-z 0-9 . _ -, starting with a letter, digit or _ (it names the report's directory)"
    );
    let first_ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let all_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if first_ok && all_ok && name.len() <= MAX_NAME_CHARS {
        Ok(())
    } else {
        Err(format!("{name:?} is not a safe name: {rule}"))
    }
}

/// `[report] dir` may be any relative or absolute directory, but not empty
/// (that would be the working directory by accident), nor hold a NUL or
/// other control character, nor exceed [`MAX_DIR_BYTES`].
pub(super) fn check_dir(dir: &str) -> Result<(), String> {
    if dir.trim().is_empty() {
        return Err(
            "is empty; name a directory such as \"reports\" (or \".\" for this one)".into(),
        );
    }
    if dir.chars().any(char::is_control) {
        return Err(format!("{dir:?} holds a control character"));
    }
    if dir.len() > MAX_DIR_BYTES {
        return Err(format!(
            "is {} bytes long; at most {MAX_DIR_BYTES}",
            dir.len()
        ));
    }
    Ok(())
}

/// The report prints the description under its heading: text, line breaks
/// and tabs allowed, other control characters not.
pub(super) fn check_description(text: &str) -> Result<(), String> {
    if let Some(c) = text
        .chars()
        .find(|&c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(format!("holds the control character {c:?}"));
    }
    let chars = text.chars().count();
    if chars > MAX_DESCRIPTION_CHARS {
        return Err(format!(
            "is {chars} characters long; at most {MAX_DESCRIPTION_CHARS}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_safe_path_component() {
        for good in ["mergesort", "a", "run_2.v3-final", "_x", "9lives"] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
        let long = "x".repeat(MAX_NAME_CHARS + 1);
        for bad in [
            "", ".", "..", "../../x", "/abs", "a/b", "a\nb", ".hidden", "-rf", "a b", "é", &long,
        ] {
            let e = check_name(bad).expect_err(bad);
            assert!(e.contains("is not a safe name"), "{e}");
        }
        assert_eq!(check_name(&"x".repeat(MAX_NAME_CHARS)), Ok(()));
    }

    #[test]
    fn dirs_may_be_any_folder_but_not_empty_or_control() {
        for good in ["reports", "/tmp/out", "../elsewhere", ".", "a b"] {
            assert_eq!(check_dir(good), Ok(()), "{good}");
        }
        assert!(check_dir("").unwrap_err().starts_with("is empty"));
        assert!(check_dir("  ").unwrap_err().starts_with("is empty"));
        assert!(check_dir("a\0b").unwrap_err().contains("control character"));
        assert!(check_dir(&"d".repeat(MAX_DIR_BYTES + 1))
            .unwrap_err()
            .contains("at most 4096"));
    }

    #[test]
    fn descriptions_keep_newlines_but_not_other_controls() {
        assert_eq!(check_description("two\nlines\tand a tab"), Ok(()));
        assert_eq!(
            check_description("bell\u{7}"),
            Err("holds the control character '\\u{7}'".into())
        );
        assert!(check_description(&"d".repeat(MAX_DESCRIPTION_CHARS + 1)).is_err());
    }

    #[test]
    fn durations_state_their_bounds() {
        assert_eq!(TIMEOUT.check(Duration::from_secs(1)), Ok(()));
        assert_eq!(
            TIMEOUT.check(Duration::ZERO),
            Err("0s is out of range: must be from 100ms to 1day".into())
        );
        assert_eq!(
            WARMUP.check(humantime::parse_duration("100years").unwrap()),
            Err("100years is out of range: must be from 0s to 10m".into())
        );
        assert_eq!(WARMUP.check(Duration::ZERO), Ok(()));
        assert!(MIN_SAMPLE_TIME.check(Duration::from_micros(99)).is_err());
    }
}
