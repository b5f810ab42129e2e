//! The coverage flags of DESIGN.md §5 as the pages show them: a word a commissioner
//! would use and a tag colour, never the colour alone.

/// One flag: its GraphQL name, its words, its NHS.UK tag class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagView {
    pub name: &'static str,
    pub word: &'static str,
    pub colour: &'static str,
}

/// Every flag, in the order of `CoverageFlag`: the gaps first, covered last.
pub const ALL: [FlagView; 7] = [
    FlagView {
        name: "MISSING_RESPONSIBLE",
        word: "No one responsible",
        colour: "nhsuk-tag--red",
    },
    FlagView {
        name: "MISSING_ACCOUNTABLE",
        word: "No one accountable",
        colour: "nhsuk-tag--red",
    },
    FlagView {
        name: "CONTESTED",
        word: "Contested",
        colour: "nhsuk-tag--orange",
    },
    FlagView {
        name: "DECLINED",
        word: "Declined",
        colour: "nhsuk-tag--pink",
    },
    FlagView {
        name: "PENDING",
        word: "Waiting for an answer",
        colour: "nhsuk-tag--yellow",
    },
    FlagView {
        name: "MISATTRIBUTED",
        word: "Misattributed",
        colour: "nhsuk-tag--purple",
    },
    FlagView {
        name: "COVERED",
        word: "Covered",
        colour: "nhsuk-tag--green",
    },
];

/// The view of the flag the API names `name`.
pub fn view(name: &str) -> Option<FlagView> {
    ALL.iter().copied().find(|f| f.name == name)
}
