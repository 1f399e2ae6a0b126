//! Numbers as people read them: durations, bytes and counts to three
//! significant figures, in the unit a reader expects. Every output —
//! report, progress line, comparison — formats through these.

/// `812 ns`, `1.23 µs`, `41.2 ms`, `2.05 s`.
pub(crate) fn duration_ns(ns: f64) -> String {
    if !ns.is_finite() {
        return "–".into();
    }
    let (value, unit) = match ns.abs() {
        x if x < 1e3 => (ns, "ns"),
        x if x < 1e6 => (ns / 1e3, "µs"),
        x if x < 1e9 => (ns / 1e6, "ms"),
        _ => (ns / 1e9, "s"),
    };
    format!("{} {unit}", sig3(value))
}

/// `64 B`, `1.50 KiB`, `16.0 MiB`.
pub(crate) fn bytes(b: f64) -> String {
    if !b.is_finite() {
        return "–".into();
    }
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = b;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{} B", count(value))
    } else {
        format!("{} {}", sig3(value), UNITS[unit])
    }
}

/// A count per operation: exact integers as integers, otherwise three
/// significant figures (`0.00125`, `12.5`, `1,024`).
pub(crate) fn count(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return group_thousands(x as i64);
    }
    sig3(x)
}

/// `3.41×`
pub(crate) fn ratio(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    format!("{}×", sig3(x))
}

/// Three significant figures, without exponent notation.
pub(crate) fn sig3(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = x.abs().log10().floor() as i32;
    let decimals = (2 - digits).max(0) as usize;
    let rounded = format!("{x:.decimals$}");
    if decimals == 0 && x.abs() >= 1000.0 {
        group_thousands(x.round() as i64)
    } else {
        rounded
    }
}

pub(crate) fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}
