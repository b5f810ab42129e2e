//! ICBs commissioning partners: each ICB pays one or two of the partners that cover it for
//! a number of community sessions over some months, about NHS App help or anything
//! digital. Sessions are not planned to match, so commissions are delivered in part, in
//! full or over; a few are ended early. All on one stream, in date order.

use proto::v1::{CommissionPartnerRequest, DigitalService, EndCommissionRequest};
use rand::Rng;

use super::command::{Script, Step, Who};
use super::england::{ICBS, Tree};
use super::seed::{Seed, Year, days, index, iso};

/// Share of commissions the commissioner ends before their last day.
const ENDED_EARLY: f64 = 0.15;

pub(crate) fn script(seed: Seed, tree: &Tree, year: Year) -> Script {
    let mut script = Script::new();
    for (icb, of_icb) in ICBS.iter().enumerate() {
        // An ICB merged during the year commissions nothing: its successor does.
        if !tree.icb_active_on(icb, year.today) {
            continue;
        }
        let mut rng = seed.rng("commissions", icb as u64);
        let partners: Vec<usize> = (0..tree.partners.len())
            .filter(|p| tree.partners[*p].covers.contains(&icb))
            .collect();
        if partners.is_empty() {
            continue;
        }
        let code = of_icb.code;
        let commissioner = || Who::Commissioner(code.to_owned());
        for k in 0..rng.random_range(1..=2usize) {
            let partner = &tree.partners[partners[index(&mut rng, partners.len())]];
            let starts_on = days(year.start, rng.random_range(20..200)).max(partner.registered_on);
            if starts_on > year.today {
                continue;
            }
            let ends_on = days(starts_on, rng.random_range(120..330));
            let topics: Vec<DigitalService> = match rng.random_range(0..3) {
                0 => vec![],
                1 => vec![DigitalService::NhsApp],
                _ => vec![DigitalService::NhsApp, DigitalService::OnlinePrescriptions],
            };
            let commission_id = seed.id("commission", format_args!("{icb}-{k}")).to_string();
            script.push(Step::new(
                starts_on,
                commissioner(),
                CommissionPartnerRequest {
                    request_id: seed.request_id(format_args!("commission-{icb}-{k}")),
                    commission_id: commission_id.clone(),
                    commissioner_code: code.to_owned(),
                    partner_code: partner.code.clone(),
                    area_code: code.to_owned(),
                    starts_on: iso(starts_on),
                    ends_on: iso(ends_on),
                    sessions_promised: rng.random_range(3..=8),
                    topics: topics.into_iter().map(i32::from).collect(),
                },
            ));
            let ended_on = days(starts_on, rng.random_range(30..120));
            if rng.random_bool(ENDED_EARLY) && ended_on < ends_on.min(year.today) {
                script.push(Step::new(
                    ended_on,
                    commissioner(),
                    EndCommissionRequest {
                        request_id: seed.request_id(format_args!("end-commission-{icb}-{k}")),
                        commission_id,
                        reason: "Funding moved to another programme at the end of the quarter"
                            .to_owned(),
                        ended_on: iso(ended_on),
                    },
                ));
            }
        }
    }
    script.sort_by_key(|step| step.on);
    script
}
