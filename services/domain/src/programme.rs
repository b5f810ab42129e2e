//! Training programmes (stream `programme-<id>`): who runs them, for which staff roles,
//! which modules, and the rollout targets set for areas.

use chrono::NaiveDate;
use difacto_proto::v1::{
    LaunchTrainingProgrammeRequest, RolloutTargetSet, SetRolloutTargetRequest, StaffRole,
    TrainingProgrammeLaunched,
};
use uuid::Uuid;

use crate::aggregate::{Aggregate, Context};
use crate::codes;
use crate::error::{DomainError, Result};
use crate::policy::authorize;
use crate::values;

crate::event_set! {
    pub enum ProgrammeEvent { TrainingProgrammeLaunched, RolloutTargetSet }
}

pub fn stream(id: &Uuid) -> String {
    format!("programme-{id}")
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Programme {
    pub id: Option<Uuid>,
    pub owner_code: String,
    pub audience_roles: Vec<StaffRole>,
    pub module_ids: Vec<String>,
}

impl Aggregate for Programme {
    type Event = ProgrammeEvent;
    fn apply(&mut self, event: &ProgrammeEvent) {
        if let ProgrammeEvent::TrainingProgrammeLaunched(e) = event {
            self.id = Uuid::try_parse(&e.programme_id).ok();
            self.owner_code = e.owner_code.clone();
            self.audience_roles = e.audience_roles().collect();
            self.module_ids = e.module_ids.clone();
        }
    }
}

fn percent(field: &str, value: u32) -> Result<u32> {
    if value == 0 || value > 100 {
        return Err(DomainError::invalid(
            field,
            "must be a percentage from 1 to 100",
        ));
    }
    Ok(value)
}

fn future_deadline(field: &str, text: &str, today: NaiveDate) -> Result<NaiveDate> {
    let deadline = values::date(field, text)?;
    if deadline < today {
        return Err(DomainError::invalid(
            field,
            format!("{deadline} is in the past"),
        ));
    }
    Ok(deadline)
}

impl Programme {
    /// The programme's id, if launched.
    pub fn require_launched(&self, field: &str, requested: &str) -> Result<Uuid> {
        self.id
            .ok_or_else(|| DomainError::not_found(field, "training programme", requested))
    }

    pub fn launch(
        &self,
        id: Uuid,
        request: LaunchTrainingProgrammeRequest,
        ctx: &Context,
    ) -> Result<Vec<ProgrammeEvent>> {
        let owner = codes::reference("owner_code", &request.owner_code)?;
        let title = values::text("title", &request.title, 200)?;
        let roles: Vec<StaffRole> =
            values::known_enums("audience_roles", &request.audience_roles, true)?;
        if request.module_ids.is_empty() {
            return Err(DomainError::invalid(
                "module_ids",
                "needs at least one module",
            ));
        }
        let mut modules: Vec<String> = Vec::with_capacity(request.module_ids.len());
        for (i, module) in request.module_ids.iter().enumerate() {
            let field = format!("module_ids[{i}]");
            let module = values::text(&field, module, 100)?;
            if modules.contains(&module) {
                return Err(DomainError::invalid(
                    field,
                    format!("{module} is listed twice"),
                ));
            }
            modules.push(module);
        }
        let target = percent("target_percent", request.target_percent)?;
        let deadline = future_deadline("deadline", &request.deadline, ctx.today())?;
        authorize(
            &ctx.actor,
            "LaunchTrainingProgramme",
            &[&owner],
            &ctx.registry,
            ctx.today(),
        )?;
        if self.id.is_some() {
            return Err(DomainError::exists(
                "programme_id",
                "training programme",
                id.to_string(),
            ));
        }
        ctx.registry
            .require("owner_code", &owner, &[], ctx.today())?;
        Ok(vec![
            TrainingProgrammeLaunched {
                programme_id: id.to_string(),
                owner_code: owner,
                title,
                audience_roles: roles.into_iter().map(i32::from).collect(),
                module_ids: modules,
                target_percent: target,
                deadline: deadline.format("%Y-%m-%d").to_string(),
            }
            .into(),
        ])
    }

    pub fn set_target(
        &self,
        request: SetRolloutTargetRequest,
        ctx: &Context,
    ) -> Result<Vec<ProgrammeEvent>> {
        let area = codes::reference("area_code", &request.area_code)?;
        let target = percent("target_percent", request.target_percent)?;
        let deadline = future_deadline("deadline", &request.deadline, ctx.today())?;
        authorize(
            &ctx.actor,
            "SetRolloutTarget",
            &[&area],
            &ctx.registry,
            ctx.today(),
        )?;
        let id = self.require_launched("programme_id", &request.programme_id)?;
        ctx.registry.require("area_code", &area, &[], ctx.today())?;
        Ok(vec![
            RolloutTargetSet {
                programme_id: id.to_string(),
                area_code: area,
                target_percent: target,
                deadline: deadline.format("%Y-%m-%d").to_string(),
            }
            .into(),
        ])
    }
}
