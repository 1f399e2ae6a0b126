//! Number formatting for reports: durations, bytes and counts to three
//! significant figures, in the unit a reader expects; intervals with their
//! achieved coverage; exact counts that never hide a difference.

use crate::stats::{ExactValue, Interval};
pub(crate) use crate::units::{bytes, count, duration_ns, group_thousands, ratio, sig3};

/// `[19.1 ms, 20.2 ms]`, with the achieved coverage appended when it
/// differs from the interval's nominal level, or from `column` when the
/// caller states a level for the whole column: `(98.4%)`.
pub(crate) fn interval(ci: &Interval, column: Option<f64>, fmt: fn(f64) -> String) -> String {
    format!("[{}, {}]{}", fmt(ci.lo), fmt(ci.hi), achieved(ci, column))
}

/// ` (98.4%)` when an interval's achieved coverage is not the one its
/// reader assumes (its nominal level, or the column's).
pub(crate) fn achieved(ci: &Interval, column: Option<f64>) -> String {
    let expected = Interval {
        nominal: column.unwrap_or(ci.nominal),
        ..*ci
    };
    expected
        .level_note()
        .map_or_else(String::new, |note| format!(" ({note})"))
}

/// The achieved level every interval shares, if they all share one (the
/// same sample sizes give the same level).
pub(crate) fn common_level(intervals: impl Iterator<Item = Interval>) -> Option<f64> {
    let mut levels = intervals.map(|ci| (ci.level * 1000.0).round() / 1000.0);
    let first = levels.next()?;
    levels.all(|l| l == first).then_some(first)
}

/// An exact count across processes: the value when they agree, else the
/// range with ⚠, printed with as many digits as it takes for the two ends
/// to read differently.
pub(crate) fn exact(e: Option<&ExactValue>, fmt: fn(f64) -> String) -> String {
    match e {
        None => "–".into(),
        Some(e) if !e.varies() => fmt(e.value),
        Some(e) => {
            let (lo, hi) = distinct(e.min, e.max, fmt);
            format!("{lo}–{hi} ⚠")
        }
    }
}

/// `lo` and `hi` printed with `fmt` when both are whole numbers that it
/// prints apart, else with the fewest decimals that tell them apart — in
/// the unit `fmt` chose for `lo` (`152.587 MiB`), so a column never mixes
/// MiB with raw byte counts.
fn distinct(lo: f64, hi: f64, fmt: fn(f64) -> String) -> (String, String) {
    let (a, b) = (fmt(lo), fmt(hi));
    if a != b && lo.fract() == 0.0 && hi.fract() == 0.0 {
        return (a, b);
    }
    let (scale, unit) = unit_of(&a);
    (1..=9)
        .map(|d| {
            (
                format!("{}{unit}", grouped_decimals(lo / scale, d)),
                format!("{}{unit}", grouped_decimals(hi / scale, d)),
            )
        })
        .find(|(a, b)| a != b)
        .unwrap_or((format!("{lo}"), format!("{hi}")))
}

/// The binary unit a formatted size ends with, as `(bytes per unit, " MiB")`;
/// `(1, "")` for plain numbers.
fn unit_of(formatted: &str) -> (f64, &'static str) {
    const UNITS: [(&str, f64); 5] = [
        (" TiB", 1099511627776.0),
        (" GiB", 1073741824.0),
        (" MiB", 1048576.0),
        (" KiB", 1024.0),
        (" B", 1.0),
    ];
    UNITS
        .iter()
        .find(|(u, _)| formatted.ends_with(u))
        .map_or((1.0, ""), |&(u, s)| (s, u))
}

/// `1,047.25` — thousands grouped, `decimals` after the point.
fn grouped_decimals(x: f64, decimals: usize) -> String {
    let text = format!("{:.decimals$}", x.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let int: i64 = int.parse().unwrap_or(0);
    let sign = if x < 0.0 { "-" } else { "" };
    format!("{sign}{}.{frac}", group_thousands(int))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_pick_a_unit_and_three_figures() {
        assert_eq!(duration_ns(812.0), "812 ns");
        assert_eq!(duration_ns(20.04), "20.0 ns");
        assert_eq!(duration_ns(1234.0), "1.23 µs");
        assert_eq!(duration_ns(41_230_000.0), "41.2 ms");
        assert_eq!(duration_ns(2.054e9), "2.05 s");
        assert_eq!(duration_ns(f64::NAN), "–");
    }

    #[test]
    fn bytes_use_binary_units() {
        assert_eq!(bytes(64.0), "64 B");
        assert_eq!(bytes(1536.0), "1.50 KiB");
        assert_eq!(bytes(16.0 * 1024.0 * 1024.0), "16.0 MiB");
    }

    #[test]
    fn counts_keep_integers_exact() {
        assert_eq!(count(1.0), "1");
        assert_eq!(count(1_048_575.0), "1,048,575");
        assert_eq!(count(0.00125), "0.00125");
        assert_eq!(count(12.5), "12.5");
        assert_eq!(ratio(3.4149), "3.41×");
    }

    #[test]
    fn exact_ranges_never_print_two_equal_ends() {
        let e = |min: f64, max: f64| ExactValue {
            value: min,
            min,
            max,
            n: 7,
        };
        // Rounding to three figures hid this difference: `1,047–1,047 ⚠`.
        assert_eq!(exact(Some(&e(1047.2, 1047.6)), count), "1,047.2–1,047.6 ⚠");
        assert_eq!(exact(Some(&e(1047.0, 1049.0)), count), "1,047–1,049 ⚠");
        assert_eq!(exact(Some(&e(8.0, 8.0)), bytes), "8 B");
        // Sizes keep the column's unit: never raw byte counts beside MiB.
        assert_eq!(
            exact(Some(&e(159_999_936.0, 160_000_064.5)), bytes),
            "152.5878 MiB–152.5880 MiB ⚠"
        );
        assert_eq!(exact(None, bytes), "–");
    }

    #[test]
    fn intervals_say_their_achieved_level_when_it_is_not_the_nominal() {
        let ci = |level| Interval {
            lo: 19.1e6,
            hi: 20.2e6,
            level,
            nominal: 0.95,
        };
        assert_eq!(
            interval(&ci(0.984375), None, duration_ns),
            "[19.1 ms, 20.2 ms] (98.4%)"
        );
        assert_eq!(
            interval(&ci(0.953), None, duration_ns),
            "[19.1 ms, 20.2 ms]"
        );
        // A column headed "98.4% CI" needs no note on each cell.
        assert_eq!(
            interval(&ci(0.984375), Some(0.984), duration_ns),
            "[19.1 ms, 20.2 ms]"
        );
    }
}
