//! The organisation tree: the domain's own `Registry` fold, plus an index built on first
//! use after each change that answers "where did this organisation sit on that date" in
//! a hash lookup and a binary search, which the national roll-ups need thousands of times
//! per query.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use domain::Aggregate;
use domain::registry::{Organisation, OrganisationEvent, Registry};
use proto::v1::OrganisationKind;
use serde::{Deserialize, Serialize};

use super::GatewayEvent;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Tree {
    registry: Registry,
    #[serde(skip)]
    index: OnceLock<Arc<TreeIndex>>,
}

impl Tree {
    pub(super) fn apply(&mut self, event: &GatewayEvent) {
        let event = match event.clone() {
            GatewayEvent::OrganisationRegistered(e) => OrganisationEvent::from(e),
            GatewayEvent::OrganisationRenamed(e) => e.into(),
            GatewayEvent::OrganisationReparented(e) => e.into(),
            GatewayEvent::OrganisationsMerged(e) => e.into(),
            GatewayEvent::OrganisationClosed(e) => e.into(),
            GatewayEvent::RegistryImported(e) => e.into(),
            _ => return,
        };
        self.registry.apply(&event);
        self.index = OnceLock::new();
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn get(&self, code: &str) -> Option<&Organisation> {
        self.registry.get(code)
    }

    pub fn index(&self) -> Arc<TreeIndex> {
        self.index
            .get_or_init(|| Arc::new(TreeIndex::build(&self.registry)))
            .clone()
    }
}

/// Each organisation's lineage (itself, its parent, …, the national body) for each span
/// of dates between changes to the tree. Lineages are lists of dense ids.
#[derive(Debug, Default)]
pub struct TreeIndex {
    codes: Vec<String>,
    kinds: Vec<OrganisationKind>,
    ids: HashMap<String, u32>,
    /// Per organisation: (first date, lineage), oldest first; the first span starts at
    /// the dawn of time.
    spans: Vec<Vec<(NaiveDate, Vec<u32>)>>,
}

/// The last day any span can reach; stands in for "from now on".
const END_OF_TIME: NaiveDate = NaiveDate::MAX;

impl TreeIndex {
    fn build(registry: &Registry) -> Self {
        let mut orgs: Vec<&Organisation> = registry.iter().collect();
        orgs.sort_by(|a, b| a.code.cmp(&b.code));
        let codes: Vec<String> = orgs.iter().map(|o| o.code.clone()).collect();
        let kinds = orgs.iter().map(|o| o.kind).collect();
        let ids: HashMap<String, u32> = codes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), i as u32))
            .collect();
        // Lineages can only change on a date some parent or merger takes effect.
        let changes: BTreeSet<NaiveDate> = orgs
            .iter()
            .flat_map(|o| {
                o.parents
                    .iter()
                    .skip(1)
                    .map(|(from, _)| *from)
                    .chain(o.merged_into.iter().map(|(_, on)| *on))
            })
            .collect();
        let starts: Vec<NaiveDate> = std::iter::once(NaiveDate::MIN)
            .chain(changes.iter().copied())
            .collect();
        let spans = orgs
            .iter()
            .map(|org| {
                let mut spans: Vec<(NaiveDate, Vec<u32>)> = Vec::new();
                for (i, start) in starts.iter().enumerate() {
                    // The last day of the span sees every parent registered by then.
                    let last_day = starts
                        .get(i + 1)
                        .and_then(|next| next.pred_opt())
                        .unwrap_or(END_OF_TIME);
                    // One placement rule (DESIGN.md §5): once merged, a predecessor holds
                    // no more facts; what sat below it now counts in its successor only.
                    let merged = |code: &str| {
                        registry
                            .get(code)
                            .and_then(|o| o.merged_into.as_ref())
                            .is_some_and(|(_, on)| on <= start)
                    };
                    let lineage: Vec<u32> = registry
                        .lineage(&org.code, last_day)
                        .iter()
                        .enumerate()
                        .filter(|(i, c)| *i == 0 || !merged(c))
                        .filter_map(|(_, c)| ids.get(c).copied())
                        .collect();
                    if spans.last().is_none_or(|(_, prev)| *prev != lineage) {
                        spans.push((*start, lineage));
                    }
                }
                spans
            })
            .collect();
        Self {
            codes,
            kinds,
            ids,
            spans,
        }
    }

    pub fn id(&self, code: &str) -> Option<u32> {
        self.ids.get(code).copied()
    }

    pub fn code(&self, id: u32) -> &str {
        self.codes.get(id as usize).map_or("", String::as_str)
    }

    pub fn kind(&self, id: u32) -> OrganisationKind {
        self.kinds
            .get(id as usize)
            .copied()
            .unwrap_or(OrganisationKind::Unspecified)
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// `id`, its parent, …, up to the national body, as the tree stood on `date`.
    pub fn lineage(&self, id: u32, date: NaiveDate) -> &[u32] {
        let Some(spans) = self.spans.get(id as usize) else {
            return &[];
        };
        let at = spans.partition_point(|(start, _)| *start <= date);
        spans
            .get(at.saturating_sub(1))
            .map_or(&[], |(_, lineage)| lineage.as_slice())
    }

    pub fn lineage_of(&self, code: &str, date: NaiveDate) -> &[u32] {
        self.id(code).map_or(&[], |id| self.lineage(id, date))
    }

    /// Whether `code` is `area` or below it on `date`.
    pub fn is_within(&self, code: &str, area: u32, date: NaiveDate) -> bool {
        self.lineage_of(code, date).contains(&area)
    }

    /// The organisation of `kind` that `id` sat in on `date` (itself if of that kind).
    /// From a merger on, the lineage holds the successor and no longer the predecessor.
    pub fn ancestor(&self, id: u32, kind: OrganisationKind, date: NaiveDate) -> Option<u32> {
        self.lineage(id, date)
            .iter()
            .rev()
            .copied()
            .find(|a| self.kind(*a) == kind)
    }

    /// Every organisation of `kind` (any kind when `None`), in code order.
    pub fn all_of(&self, kind: Option<OrganisationKind>) -> impl Iterator<Item = u32> + '_ {
        (0..self.codes.len() as u32).filter(move |id| kind.is_none_or(|k| self.kind(*id) == k))
    }
}

#[cfg(test)]
mod tests {
    use proto::v1::{OrganisationReparented, OrganisationsMerged};

    use super::*;

    fn register(tree: &mut Tree, code: &str, kind: OrganisationKind, parent: &str) {
        tree.apply(&crate::model::registered(code, kind, parent));
    }

    fn day(text: &str) -> NaiveDate {
        super::super::date(text).expect("a date")
    }

    #[test]
    fn the_index_agrees_with_the_registry_across_reparenting_and_mergers() {
        let mut tree = Tree::default();
        register(&mut tree, "X24", OrganisationKind::NationalBody, "");
        register(&mut tree, "Y63", OrganisationKind::Region, "X24");
        register(&mut tree, "QWO", OrganisationKind::Icb, "Y63");
        register(&mut tree, "QF7", OrganisationKind::Icb, "Y63");
        register(&mut tree, "U00001", OrganisationKind::Pcn, "QWO");
        register(&mut tree, "U00002", OrganisationKind::Pcn, "QF7");
        register(&mut tree, "A81001", OrganisationKind::Practice, "U00001");
        tree.apply(&GatewayEvent::OrganisationReparented(
            OrganisationReparented {
                code: "A81001".into(),
                parent_code: "U00002".into(),
                effective_date: "2025-06-01".into(),
            },
        ));
        tree.apply(&GatewayEvent::OrganisationsMerged(OrganisationsMerged {
            predecessor_codes: vec!["QF7".into()],
            successor_code: "QWO".into(),
            effective_date: "2026-04-01".into(),
        }));
        let index = tree.index();
        for text in [
            "2019-01-01",
            "2021-01-01",
            "2025-05-31",
            "2025-06-01",
            "2026-03-31",
            "2026-04-01",
            "2030-01-01",
        ] {
            let date = day(text);
            for org in tree.registry().iter() {
                // The registry's lineage, less any predecessor merged by then: a
                // merged ICB holds no facts from its merger on.
                let expected: Vec<String> = tree
                    .registry()
                    .lineage(&org.code, date)
                    .into_iter()
                    .enumerate()
                    .filter(|(i, code)| {
                        *i == 0
                            || tree
                                .registry()
                                .get(code)
                                .and_then(|o| o.merged_into.as_ref())
                                .is_none_or(|(_, on)| *on > date)
                    })
                    .map(|(_, code)| code)
                    .collect();
                let got: Vec<String> = index
                    .lineage_of(&org.code, date)
                    .iter()
                    .map(|id| index.code(*id).to_owned())
                    .collect();
                // Before registration the registry knows no parent; the index uses the
                // first one. Both agree from registration on.
                if date >= day("2020-01-01") {
                    assert_eq!(got, expected, "{} on {date}", org.code);
                }
            }
        }
        let qwo = index.id("QWO").expect("QWO");
        let a = index.id("A81001").expect("A81001");
        assert_eq!(
            index.ancestor(a, OrganisationKind::Icb, day("2025-01-01")),
            Some(qwo)
        );
        let qf7 = index.id("QF7").expect("QF7");
        assert_eq!(
            index.ancestor(a, OrganisationKind::Icb, day("2025-07-01")),
            Some(qf7)
        );
        // After the merger QF7's practices count as QWO's, and no longer as QF7's.
        assert_eq!(
            index.ancestor(a, OrganisationKind::Icb, day("2026-05-01")),
            Some(qwo)
        );
        assert!(index.lineage(a, day("2026-03-31")).contains(&qf7));
        assert!(!index.lineage(a, day("2026-04-01")).contains(&qf7));
    }
}
