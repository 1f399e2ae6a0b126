//! Typed parameters: a parameter is declared once, on a [`crate::Bench`],
//! which hands back a [`Param<T>`]; a variant's set-up reads the point's
//! value through it with [`Params::get`], as a `T`.
//!
//! The handle carries the name, so a name cannot be misspelt between the
//! declaration and the read, and its type, so a value cannot be read as
//! the wrong type: both fail to compile. What only a value can show (a
//! default outside its range, a name used twice) fails when the bench is
//! defined ([`crate::Bench::leak`]), naming the bench and the parameter;
//! the instrument checks every config value against the declaration before
//! a worker starts, so [`Params::get`] cannot meet a value it cannot read.
//! The same idea as criterion's and divan's typed benchmark inputs, with
//! values that come from a TOML config rather than from code.
//!
//! The types are sealed ([`ParamType`]): the integers, `f64` and `bool`
//! ([`Scalar`], declared with [`crate::Bench::param`]; integers also with a
//! range, [`Integer`] and [`crate::Bench::param_in`]) and `&'static str`
//! for one of a list of options ([`crate::Bench::choice`]). A config holds
//! integers as `i64`, so an integer parameter's range is clamped to it.

use std::fmt;
use std::marker::PhantomData;

use crate::{ParamKind, ParamValue, Params};

/// A parameter declared on a [`crate::Bench`]: read its value for the
/// point being built with [`Params::get`]. `Copy`, so a set-up closure
/// captures it by value.
///
/// Reading it as another type does not compile:
///
/// ```compile_fail
/// # let mut bench = tuner_api::Bench::new("x");
/// let words = bench.param_in("words", 1_000usize, 1..=1_000_000, "words to join");
/// bench.variant("v", move |p, _ctx| {
///     let words: bool = p.get(words); // error: expected `bool`, found `usize`
///     move || words
/// });
/// ```
///
/// nor does declaring a free string (a string parameter is a
/// [`crate::Bench::choice`] among options):
///
/// ```compile_fail
/// # let mut bench = tuner_api::Bench::new("x");
/// let mode = bench.param("mode", "fast", "how"); // error: `&str` is not a `Scalar`
/// ```
pub struct Param<T> {
    name: &'static str,
    /// The options of a choice (`&'static str` parameters); empty otherwise.
    options: &'static [&'static str],
    _type: PhantomData<fn() -> T>,
}

impl<T> Param<T> {
    pub(crate) fn new(name: &'static str, options: &'static [&'static str]) -> Param<T> {
        Param {
            name,
            options,
            _type: PhantomData,
        }
    }

    /// The name a config gives the parameter under `[params]`.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl<T> Clone for Param<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Param<T> {}

impl<T> fmt::Debug for Param<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Param<{}>({})", std::any::type_name::<T>(), self.name)
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A type a parameter's value can be read as: the integer types, `f64`,
/// `bool` and `&'static str` (a choice). Sealed: its methods are the
/// crate's own.
pub trait ParamType: sealed::Sealed + Copy + 'static {
    /// The value `value` holds as this type (`options`: a choice's).
    #[doc(hidden)]
    fn read(value: &ParamValue, options: &'static [&'static str]) -> Option<Self>;
}

/// A parameter type declared with [`crate::Bench::param`]: integers (over
/// their whole range, clamped to `i64`), `f64` (non-negative) and `bool`.
pub trait Scalar: ParamType + fmt::Display {
    /// What a config may give for this type.
    #[doc(hidden)]
    fn kind() -> ParamKind;
    /// This value as a config holds it; `None` when it cannot hold it (an
    /// unsigned value beyond `i64::MAX`).
    #[doc(hidden)]
    fn value(self) -> Option<ParamValue>;
}

/// An integer type, which [`crate::Bench::param_in`] bounds to a range.
pub trait Integer: Scalar {
    /// This value as an `i64`, if it is one.
    #[doc(hidden)]
    fn to_i64(self) -> Option<i64>;
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}

        impl ParamType for $t {
            fn read(value: &ParamValue, _: &'static [&'static str]) -> Option<$t> {
                match value {
                    ParamValue::Int(i) => <$t>::try_from(*i).ok(),
                    _ => None,
                }
            }
        }

        impl Scalar for $t {
            fn kind() -> ParamKind {
                ParamKind::Int {
                    min: i64::try_from(<$t>::MIN).unwrap_or(i64::MIN),
                    max: i64::try_from(<$t>::MAX).unwrap_or(i64::MAX),
                }
            }
            fn value(self) -> Option<ParamValue> {
                self.to_i64().map(ParamValue::Int)
            }
        }

        impl Integer for $t {
            fn to_i64(self) -> Option<i64> {
                i64::try_from(self).ok()
            }
        }
    )*};
}

integers!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

impl sealed::Sealed for f64 {}

impl ParamType for f64 {
    fn read(value: &ParamValue, _: &'static [&'static str]) -> Option<f64> {
        match value {
            ParamValue::Float(x) => Some(*x),
            // A config may write a whole number without its `.0`.
            ParamValue::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
}

impl Scalar for f64 {
    fn kind() -> ParamKind {
        ParamKind::Float
    }
    fn value(self) -> Option<ParamValue> {
        Some(ParamValue::Float(self))
    }
}

impl sealed::Sealed for bool {}

impl ParamType for bool {
    fn read(value: &ParamValue, _: &'static [&'static str]) -> Option<bool> {
        match value {
            ParamValue::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

impl Scalar for bool {
    fn kind() -> ParamKind {
        ParamKind::Bool
    }
    fn value(self) -> Option<ParamValue> {
        Some(ParamValue::Bool(self))
    }
}

impl sealed::Sealed for &'static str {}

impl ParamType for &'static str {
    /// The option equal to the value: `'static`, unlike the value itself.
    fn read(value: &ParamValue, options: &'static [&'static str]) -> Option<&'static str> {
        match value {
            ParamValue::Str(s) => options.iter().find(|o| **o == s).copied(),
            _ => None,
        }
    }
}

impl Params {
    /// The value of `param` at this point, as the type it was declared with.
    ///
    /// # Panics
    ///
    /// Only when `param` was declared on another bench than the one
    /// building (with another type, or not at all there): the instrument
    /// checks every value against the declaration before a worker starts.
    pub fn get<T: ParamType>(&self, param: Param<T>) -> T {
        let Some(value) = self.0.get(param.name) else {
            panic!(
                "no parameter `{}` at this point: read a Param on the bench that declared it",
                param.name
            )
        };
        T::read(value, param.options).unwrap_or_else(|| {
            panic!(
                "parameter `{}` holds `{value}`, not a {}: read a Param on the bench that declared it",
                param.name,
                std::any::type_name::<T>()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, ParamValue)]) -> Params {
        Params(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn values_are_read_as_their_declared_type() {
        let p = params(&[
            ("n", ParamValue::Int(300)),
            ("x", ParamValue::Int(2)),
            ("on", ParamValue::Bool(true)),
            ("mode", ParamValue::Str("b".into())),
        ]);
        assert_eq!(p.get(Param::<u16>::new("n", &[])), 300u16);
        assert_eq!(p.get(Param::<i64>::new("n", &[])), 300i64);
        assert_eq!(p.get(Param::<f64>::new("x", &[])), 2.0);
        assert!(p.get(Param::<bool>::new("on", &[])));
        let mode: &'static str = p.get(Param::new("mode", &["a", "b"]));
        assert_eq!(mode, "b");
    }

    #[test]
    #[should_panic(expected = "parameter `n` holds `300`, not a u8")]
    fn a_value_outside_the_type_is_a_misplaced_handle() {
        params(&[("n", ParamValue::Int(300))]).get(Param::<u8>::new("n", &[]));
    }

    #[test]
    #[should_panic(expected = "no parameter `m` at this point")]
    fn a_missing_name_is_a_misplaced_handle() {
        params(&[]).get(Param::<bool>::new("m", &[]));
    }

    #[test]
    fn integer_kinds_span_the_type_within_i64() {
        assert_eq!(u8::kind(), ParamKind::Int { min: 0, max: 255 });
        assert_eq!(
            u64::kind(),
            ParamKind::Int {
                min: 0,
                max: i64::MAX
            }
        );
        assert_eq!(
            i32::kind(),
            ParamKind::Int {
                min: i32::MIN.into(),
                max: i32::MAX.into()
            }
        );
        assert_eq!(u64::MAX.value(), None);
        assert_eq!(7usize.value(), Some(ParamValue::Int(7)));
    }

    #[test]
    fn a_handle_is_copy_and_names_itself() {
        let words = Param::<usize>::new("words", &[]);
        let copy = words;
        assert_eq!((words.name(), copy.name()), ("words", "words"));
        assert_eq!(format!("{words:?}"), "Param<usize>(words)");
    }
}
