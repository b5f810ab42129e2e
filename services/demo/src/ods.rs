//! The tree goes in as a real deployment's does: written as the NHS files
//! (`epraccur.csv` and `gp-reg-pat-prac-map.csv`) and brought in by the importer, which
//! plans against the registry the log holds and sends IcbService commands. The first
//! extract, on the year's first day, creates the tree; the merger comes in the
//! reconfiguration extract published weeks before it takes effect; practices moving PCN
//! come in the monthly extract of their month.

use async_trait::async_trait;
use auth::Principal;
use chrono::NaiveDate;
use import::apply::ImportedFile;
use import::file::Source;
use import::map::Area;
use import::write::PracticeRow;
use import::{IcbCommand, Registrar, epraccur, map, plan};
use tonic::Status;

use super::command::{Sent, Services};
use super::england::{ICBS, MERGER, REGIONS, Tree, region_index};
use super::seed::{Seed, iso};

/// One extract: both files, made from the tree, and the day they are imported.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Extract {
    pub extract_date: NaiveDate,
    pub epraccur: Vec<u8>,
    pub map: Vec<u8>,
    /// The start of every request id the import sends: the same extract re-sent (a
    /// resumed load) is answered from the first.
    pub ids: String,
}

/// The request id of the first command the demo ever sends (the national body's
/// registration), by which a log that holds part of this dataset is known.
pub(crate) fn first_request_id(seed: Seed) -> String {
    seed.request_id("ods-initial-new-X24")
}

impl Tree {
    /// The files as published on `extract_date`, showing the practices' PCNs after the
    /// moves up to `moves_until` and, when `merged`, the merger.
    pub fn extract(
        &self,
        seed: Seed,
        extract_date: NaiveDate,
        moves_until: NaiveDate,
        merged: bool,
        initial: bool,
    ) -> Extract {
        let mut pcn_of: Vec<usize> = self.practices.iter().map(|p| p.pcn).collect();
        for change in self.moves.iter().filter(|m| m.on <= moves_until) {
            pcn_of[change.practice] = change.to_pcn;
        }
        let rows: Vec<PracticeRow> = self
            .practices
            .iter()
            .enumerate()
            .map(|(n, practice)| {
                let pcn = &self.pcns[pcn_of[n]];
                let sub_icb = &self.sub_icbs[pcn.sub_icb];
                let mut icb = &ICBS[sub_icb.icb];
                if merged && MERGER.0.contains(&icb.code) {
                    icb = ICBS.iter().find(|i| i.code == MERGER.1).unwrap_or(icb);
                }
                let region = &REGIONS[region_index(icb.region)];
                PracticeRow {
                    code: practice.code.clone(),
                    name: practice.name.clone(),
                    postcode: postcode(&practice.postcode_district, n),
                    opened: self.established,
                    pcn: Some(area(&pcn.code, &pcn.name)),
                    sub_icb: area(&sub_icb.code, &self.sub_icb_name(pcn.sub_icb)),
                    icb: area(icb.code, &format!("NHS {} Integrated Care Board", icb.area)),
                    region: area(region.code, region.name),
                }
            })
            .collect();
        let label = if initial {
            "initial".to_owned()
        } else {
            iso(extract_date)
        };
        Extract {
            extract_date,
            epraccur: import::write::epraccur(&rows),
            map: import::write::map(extract_date, &rows),
            ids: seed.request_id(format_args!("ods-{label}")),
        }
    }
}

fn area(code: &str, name: &str) -> Area {
    Area {
        code: code.to_owned(),
        name: name.to_owned(),
    }
}

/// A whole postcode in the practice's district (only the district is kept).
fn postcode(district: &str, n: usize) -> String {
    let letter = |k: usize| char::from(b'A' + (k % 26) as u8);
    format!(
        "{district} {}{}{}",
        1 + n % 9,
        letter(n / 9),
        letter(n / 234)
    )
}

/// What a request id says of the command after the extract's prefix: a request id is a
/// short key with no spaces, so not the command's description.
fn request_key(command: &IcbCommand) -> String {
    let (verb, what) = match command {
        IcbCommand::Register(r) => ("new", &r.code),
        IcbCommand::Rename(r) => ("name", &r.code),
        IcbCommand::Reparent(r) => ("move", &r.code),
        IcbCommand::Merge(r) => ("merge", &r.successor_code),
        IcbCommand::Close(r) => ("close", &r.code),
        IcbCommand::RecordImport(r) => ("file", &r.source_file),
    };
    format!("{verb}-{what}")
}

/// The demo's services as the importer's IcbService, called as `principal`.
struct AsCaller<'a> {
    services: &'a Services,
    principal: &'a Principal,
}

#[async_trait]
impl Registrar for AsCaller<'_> {
    async fn send(&self, command: IcbCommand) -> Result<usize, String> {
        self.services
            .icb_command(command, self.principal.clone())
            .await
            .map(|result| result.event_ids.len())
            .map_err(|status| status.message().to_owned())
    }
}

impl Extract {
    /// Imports the files as `difacto import ods` does: read, planned against the
    /// registry the log holds now, sent phase by phase, marked as imported.
    pub async fn import(&self, services: &Services, principal: Principal) -> Result<Sent, Status> {
        let internal = |what: &str, why: String| Status::internal(format!("{what}: {why}"));
        let epraccur_file = Source::from_bytes("epraccur.csv".into(), self.epraccur.clone());
        let map_file = Source::from_bytes("gp-reg-pat-prac-map.csv".into(), self.map.clone());
        let practices = epraccur::parse(&epraccur_file.bytes, false)
            .map_err(|why| internal("the demo's epraccur.csv", why))?;
        let placements =
            map::parse(&map_file.bytes).map_err(|why| internal("the demo's practice map", why))?;
        if let Some(bad) = practices.bad.first().or(placements.bad.first()) {
            return Err(internal("a row the demo wrote", bad.to_string()));
        }
        let registry = services
            .registry()
            .await
            .map_err(|err| internal("the registry", err.to_string()))?;
        let plan = plan::plan(
            &registry,
            Some(&practices),
            Some(&placements),
            self.extract_date,
        );
        drop(registry);
        let files = [
            ImportedFile {
                source: &epraccur_file,
                rows: practices.rows,
            },
            ImportedFile {
                source: &map_file,
                rows: placements.rows,
            },
        ];
        let caller = AsCaller {
            services,
            principal: &principal,
        };
        let ids = &self.ids;
        let applied = import::apply(
            plan.phases,
            &files,
            self.extract_date,
            &caller,
            &mut |command| format!("{ids}-{}", request_key(command)),
            &|| {},
        )
        .await;
        if let Some(refusal) = applied.refused.first() {
            return Err(Status::failed_precondition(format!(
                "the import of the extract of {} was refused: {refusal}",
                self.extract_date
            )));
        }
        Ok(Sent {
            commands: u64::from(applied.recorded + applied.unchanged),
            events: applied.events,
        })
    }
}
