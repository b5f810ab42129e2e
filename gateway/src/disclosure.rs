//! NHS small-number disclosure control for counts of patients (DESIGN.md §5): below
//! national level, 1–7 is suppressed and anything else is rounded to the nearest 5,
//! unless the caller's own organisation recorded the figures.

use async_graphql::SimpleObject;

/// A count of patients as the caller may see it.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct PatientCount {
    /// The figure shown: exact, rounded to 5, or null when suppressed.
    pub value: Option<u64>,
    /// True when the figure was 1–7 and is withheld.
    pub suppressed: bool,
    /// True when `value` is rounded to the nearest 5.
    pub rounded: bool,
    /// How to print it: the number, or `*` when suppressed.
    pub display: String,
}

/// Whose figures these are, relative to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disclosure {
    /// England as a whole, or figures the caller's own organisation recorded.
    Exact,
    /// Below national level, recorded by others.
    Controlled,
}

impl Disclosure {
    pub fn exact_if(exact: bool) -> Self {
        if exact { Self::Exact } else { Self::Controlled }
    }

    pub fn show(self, count: u64) -> PatientCount {
        match self {
            Self::Exact => PatientCount {
                value: Some(count),
                suppressed: false,
                rounded: false,
                display: count.to_string(),
            },
            Self::Controlled => match count {
                0 => Self::Exact.show(0),
                1..=7 => PatientCount {
                    value: None,
                    suppressed: true,
                    rounded: false,
                    display: "*".into(),
                },
                _ => {
                    let rounded = (count + 2) / 5 * 5;
                    PatientCount {
                        value: Some(rounded),
                        suppressed: false,
                        rounded: true,
                        display: rounded.to_string(),
                    }
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_to_seven_is_suppressed_and_the_rest_rounded_to_five() {
        let shown = |n| Disclosure::Controlled.show(n).value;
        assert_eq!(shown(0), Some(0));
        for n in 1..=7 {
            assert_eq!(shown(n), None, "{n}");
            assert_eq!(Disclosure::Controlled.show(n).display, "*");
        }
        assert_eq!(shown(8), Some(10));
        assert_eq!(shown(10), Some(10));
        assert_eq!(shown(12), Some(10));
        assert_eq!(shown(13), Some(15));
        assert_eq!(shown(1_002), Some(1_000));
        assert_eq!(shown(1_003), Some(1_005));
    }

    #[test]
    fn exact_figures_are_shown_as_they_are() {
        for n in [0, 1, 7, 8, 13] {
            let shown = Disclosure::Exact.show(n);
            assert_eq!(shown.value, Some(n));
            assert!(!shown.suppressed && !shown.rounded);
        }
    }

    #[test]
    fn every_controlled_figure_is_a_multiple_of_five_within_two() {
        for n in 8..2_000u64 {
            let v = Disclosure::Controlled.show(n).value.unwrap_or(u64::MAX);
            assert_eq!(v % 5, 0);
            assert!(v.abs_diff(n) <= 2, "{n} -> {v}");
        }
    }
}
