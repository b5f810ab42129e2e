//! The worked example of DESIGN.md §5, exactly as written there, and the rules around it.

use chrono::{DateTime, TimeDelta, Utc};
use proto::v1::{
    DutyDefined, OrganisationKind as K, OrganisationsMerged, ResponsibilityAccepted,
    ResponsibilityAttributed, ResponsibilityDeclined, ResponsibilityProposed,
};

use super::*;
use crate::model::GatewayEvent;

/// (level, units, counts by flag, flags by unit code)
type Entry = (
    Level,
    usize,
    Vec<(CoverageFlag, usize)>,
    Vec<(String, Vec<CoverageFlag>)>,
);

const DUTY: &str = "nhs-app-sign-up";

struct World {
    model: ReadModel,
    clock: DateTime<Utc>,
    next: u32,
}

impl World {
    /// England, one region and ICB `QAA` with PCNs `U00001` (A, B, C) and `U00002` (D, E);
    /// practices are named by their letter.
    fn qaa() -> Self {
        let mut world = Self {
            model: ReadModel::default(),
            clock: DateTime::from_timestamp(1_767_225_600, 0).expect("2026-01-01"),
            next: 0,
        };
        for (code, kind, parent) in [
            ("X24", K::NationalBody, ""),
            ("Y56", K::Region, "X24"),
            ("QAA", K::Icb, "Y56"),
            ("U00001", K::Pcn, "QAA"),
            ("U00002", K::Pcn, "QAA"),
            ("A", K::Practice, "U00001"),
            ("B", K::Practice, "U00001"),
            ("C", K::Practice, "U00001"),
            ("D", K::Practice, "U00002"),
            ("E", K::Practice, "U00002"),
        ] {
            world.fold(crate::model::registered(code, kind, parent));
        }
        world.fold(GatewayEvent::DutyDefined(DutyDefined {
            duty_id: DUTY.into(),
            title: "NHS App sign-up support".into(),
            required_levels: vec![Level::Local.into(), Level::Regional.into()],
            ..Default::default()
        }));
        world
    }

    fn fold(&mut self, event: GatewayEvent) {
        self.clock += TimeDelta::minutes(1);
        self.model.fold(&event, self.clock);
    }

    /// Proposes `assignee` for `area` and returns the assignment id.
    fn propose(&mut self, area: &str, level: Level, assignee: &str, role: RaciRole) -> String {
        self.next += 1;
        let id = format!("assignment-{}", self.next);
        self.fold(GatewayEvent::ResponsibilityProposed(
            ResponsibilityProposed {
                assignment_id: id.clone(),
                duty_id: DUTY.into(),
                area_code: area.into(),
                level: level.into(),
                assignee_code: assignee.into(),
                role: role.into(),
                proposer_code: "QAA".into(),
                ..Default::default()
            },
        ));
        id
    }

    fn accept(&mut self, area: &str, level: Level, assignee: &str, role: RaciRole) {
        let id = self.propose(area, level, assignee, role);
        self.fold(GatewayEvent::ResponsibilityAccepted(
            ResponsibilityAccepted {
                assignment_id: id,
                assignee_code: assignee.into(),
            },
        ));
    }

    fn decline(&mut self, area: &str, level: Level, assignee: &str, role: RaciRole) {
        let id = self.propose(area, level, assignee, role);
        self.fold(GatewayEvent::ResponsibilityDeclined(
            ResponsibilityDeclined {
                assignment_id: id,
                assignee_code: assignee.into(),
                reason: "not ours".into(),
            },
        ));
    }

    fn attribute(&mut self, area: &str, by: &str, owner: &str) {
        self.next += 1;
        self.fold(GatewayEvent::ResponsibilityAttributed(
            ResponsibilityAttributed {
                attribution_id: format!("attribution-{}", self.next),
                duty_id: DUTY.into(),
                area_code: area.into(),
                level: Level::Local.into(),
                attributed_by_code: by.into(),
                believed_owner_code: owner.into(),
                role: RaciRole::Unspecified.into(),
            },
        ));
    }

    /// (level, units, counts by flag, flags by unit code) for `area` today.
    fn answer(&self, area: &str) -> Vec<Entry> {
        let index = self.model.tree.index();
        let area = index.id(area).expect("area");
        let date = self.clock.date_naive();
        coverage(&self.model, &index, area, date, Filter::default())
            .entries
            .iter()
            .map(|entry| {
                let counts = entry.counts().into_iter().filter(|(_, n)| *n > 0).collect();
                let units = entry
                    .units
                    .iter()
                    .map(|u| (index.code(u.unit).to_owned(), u.flags.to_vec()))
                    .collect();
                (entry.level, entry.units.len(), counts, units)
            })
            .collect()
    }
}

/// DESIGN.md §5's example: the duty *NHS App sign-up support* in ICB `QAA`.
fn worked_example() -> World {
    use RaciRole::{Accountable as Acc, Responsible as Resp};
    let mut world = World::qaa();
    world.accept("U00001", Level::Local, "U00001", Resp);
    world.accept("U00001", Level::Local, "U00001", Acc);
    world.accept("D", Level::Local, "D", Resp);
    world.decline("E", Level::Local, "E", Acc);
    world.attribute("A", "A", "U00002");
    world.accept("QAA", Level::Regional, "QAA", Acc);
    world
}

#[test]
fn the_worked_example_of_the_design_gives_its_flags_and_counts() {
    use CoverageFlag::*;
    let world = worked_example();
    let answer = world.answer("QAA");
    assert_eq!(
        answer.len(),
        2,
        "LOCAL and REGIONAL, no NATIONAL: {answer:?}"
    );
    let (level, units, counts, flags) = &answer[0];
    assert_eq!(*level, Level::Local);
    assert_eq!(*units, 5);
    assert_eq!(
        counts,
        &vec![
            (MissingResponsible, 1),
            (MissingAccountable, 2),
            (Declined, 1),
            (Misattributed, 1),
            (Covered, 3),
        ]
    );
    let flags_of = |code: &str| &flags.iter().find(|(c, _)| c == code).expect(code).1;
    assert_eq!(flags_of("A"), &vec![Misattributed, Covered]);
    assert_eq!(flags_of("B"), &vec![Covered]);
    assert_eq!(flags_of("C"), &vec![Covered]);
    assert_eq!(flags_of("D"), &vec![MissingAccountable]);
    assert_eq!(
        flags_of("E"),
        &vec![MissingResponsible, MissingAccountable, Declined]
    );
    let (level, units, counts, flags) = &answer[1];
    assert_eq!(*level, Level::Regional);
    assert_eq!(*units, 1);
    assert_eq!(counts, &vec![(MissingResponsible, 1)]);
    assert_eq!(flags, &vec![("QAA".to_owned(), vec![MissingResponsible])]);
}

#[test]
fn a_pcn_sees_its_own_practices_and_the_levels_above_as_context() {
    use CoverageFlag::*;
    let world = worked_example();
    let answer = world.answer("U00002");
    assert_eq!(answer.len(), 1);
    let (level, units, _, flags) = &answer[0];
    assert_eq!((*level, *units), (Level::Local, 2));
    assert_eq!(
        flags,
        &vec![
            ("D".to_owned(), vec![MissingAccountable]),
            (
                "E".to_owned(),
                vec![MissingResponsible, MissingAccountable, Declined]
            ),
        ]
    );
    let index = world.model.tree.index();
    let area = index.id("U00002").expect("U00002");
    let above = coverage(
        &world.model,
        &index,
        area,
        world.clock.date_naive(),
        Filter::default(),
    )
    .above;
    assert_eq!(above.len(), 1, "REGIONAL is context for a PCN");
    assert_eq!(above[0].level, Level::Regional);
    assert_eq!(above[0].unit.map(|u| index.code(u)), Some("QAA"));
    assert_eq!(above[0].accountable.len(), 1);
    assert!(above[0].responsible.is_empty());
}

#[test]
fn an_acceptance_after_a_decline_clears_it_and_a_second_accountable_contests() {
    use CoverageFlag::*;
    use RaciRole::{Accountable as Acc, Responsible as Resp};
    let mut world = worked_example();
    world.accept("E", Level::Local, "U00002", Acc);
    world.accept("E", Level::Local, "E", Resp);
    world.accept("E", Level::Local, "E", Acc);
    world.propose("B", Level::Local, "B", Resp);
    let answer = world.answer("U00002");
    let flags = &answer[0].3;
    assert_eq!(flags[1], ("E".to_owned(), vec![Contested, Covered]));
    let answer = world.answer("U00001");
    assert_eq!(answer[0].3[1], ("B".to_owned(), vec![Pending, Covered]));
}

#[test]
fn a_merged_icb_is_not_a_unit_after_the_merger() {
    let mut world = World::qaa();
    world.fold(crate::model::registered("QBB", K::Icb, "Y56"));
    world.fold(GatewayEvent::OrganisationsMerged(OrganisationsMerged {
        predecessor_codes: vec!["QBB".into()],
        successor_code: "QAA".into(),
        effective_date: "2025-04-01".into(),
    }));
    let answer = world.answer("Y56");
    let regional = answer
        .iter()
        .find(|e| e.0 == Level::Regional)
        .expect("REGIONAL");
    assert_eq!(regional.1, 1, "only QAA: {regional:?}");
}

#[test]
fn judgements_dealt_to_every_core_come_back_in_order() {
    let work: Vec<u64> = (0..101).collect();
    let alone: Vec<u64> = work.iter().map(|w| w * 3).collect();
    let threads = std::sync::Mutex::new(std::collections::HashSet::new());
    let dealt = judged(&work, PARALLEL_FROM, |w| {
        threads
            .lock()
            .expect("not poisoned")
            .insert(std::thread::current().id());
        w * 3
    });
    assert_eq!(dealt, alone);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let used = threads.lock().expect("not poisoned").len();
    assert_eq!(used, cores.min(work.len()), "{cores} cores, {used} threads");
    assert_eq!(judged(&work, PARALLEL_FROM - 1, |w| w * 3), alone);
}
