//! NHS small-number disclosure control for counts of patients (DESIGN.md §5): below
//! national level, 1–7 is suppressed and anything else is rounded to the nearest 5,
//! unless the caller's own organisation recorded the figures. What is derived from a
//! suppressed count is suppressed too ([`share`]), and where one cell of a partition is
//! suppressed beside a shown total, a second one is ([`protect_partition`]), so that no
//! suppressed value comes back by subtraction.

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

impl PatientCount {
    fn withheld() -> Self {
        Self {
            value: None,
            suppressed: true,
            rounded: false,
            display: "*".into(),
        }
    }
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
                1..=7 => PatientCount::withheld(),
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

/// `part` as a percentage of `whole`, to one decimal place, from the figures as shown:
/// none when either is withheld, so a share never gives back a suppressed count, and a
/// rounded count gives only a rounded share.
pub fn share(part: &PatientCount, whole: &PatientCount) -> Option<f64> {
    let (part, whole) = (part.value?, whole.value?);
    if whole == 0 {
        return Some(0.0);
    }
    Some((part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// Secondary suppression over `cells` (each with its raw count) that add up to `total`:
/// where exactly one is withheld and the total is shown, the smallest other non-zero cell
/// is withheld too; when there is none, the total is.
pub fn protect_partition(cells: &mut [(u64, &mut PatientCount)], total: &mut PatientCount) {
    if total.suppressed || cells.iter().filter(|(_, c)| c.suppressed).count() != 1 {
        return;
    }
    let second = cells
        .iter_mut()
        .filter(|(raw, c)| !c.suppressed && *raw > 0)
        .min_by_key(|(raw, _)| *raw);
    match second {
        Some((_, cell)) => **cell = PatientCount::withheld(),
        None => *total = PatientCount::withheld(),
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

    #[test]
    fn one_withheld_cell_beside_a_shown_total_takes_a_second_with_it() {
        let control = |n| Disclosure::Controlled.show(n);
        // 3 + 20 + 40 = 63: the 3 is withheld, so the 20 goes too.
        let (mut a, mut b, mut c) = (control(3), control(20), control(40));
        let mut total = Disclosure::Exact.show(63);
        protect_partition(&mut [(3, &mut a), (20, &mut b), (40, &mut c)], &mut total);
        assert!(a.suppressed && b.suppressed && !c.suppressed && !total.suppressed);
        // Alone beside its total, the cell can only be hidden by hiding the total.
        let mut alone = control(5);
        let mut total = Disclosure::Exact.show(5);
        protect_partition(&mut [(5, &mut alone)], &mut total);
        assert!(total.suppressed);
        // Two withheld cells already protect each other.
        let (mut a, mut b, mut c) = (control(3), control(4), control(40));
        let mut total = Disclosure::Exact.show(47);
        protect_partition(&mut [(3, &mut a), (4, &mut b), (40, &mut c)], &mut total);
        assert!(!c.suppressed && !total.suppressed);
    }

    #[test]
    fn a_share_of_a_withheld_count_is_withheld_and_a_rounded_one_is_rounded() {
        let control = |n| Disclosure::Controlled.show(n);
        assert_eq!(share(&control(3), &control(7)), None);
        assert_eq!(share(&control(3), &control(40)), None);
        assert_eq!(share(&control(12), &control(40)), Some(25.0));
        assert_eq!(share(&control(0), &control(0)), Some(0.0));
        let exact = |n| Disclosure::Exact.show(n);
        assert_eq!(share(&exact(3), &exact(7)), Some(42.9));
    }

    proptest::proptest! {
        /// Whatever the counts, a shown total never stands beside exactly one withheld
        /// cell, and nothing that was shown exactly changes value.
        #[test]
        fn no_single_withheld_cell_stands_beside_a_shown_total(
            counts in proptest::collection::vec(0u64..40, 1..8),
            national in proptest::bool::ANY,
        ) {
            let mut cells: Vec<PatientCount> =
                counts.iter().map(|n| Disclosure::Controlled.show(*n)).collect();
            let sum = counts.iter().sum();
            let mut total = Disclosure::exact_if(national).show(sum);
            let before = (cells.clone(), total.clone());
            let mut raw: Vec<(u64, &mut PatientCount)> =
                counts.iter().copied().zip(cells.iter_mut()).collect();
            protect_partition(&mut raw, &mut total);
            let withheld = cells.iter().filter(|c| c.suppressed).count();
            proptest::prop_assert!(total.suppressed || withheld != 1);
            for (after, was) in cells.iter().zip(&before.0) {
                proptest::prop_assert!(after.suppressed || after == was);
            }
            proptest::prop_assert!(total.suppressed || total == before.1);
        }
    }
}
