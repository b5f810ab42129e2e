//! The one list of commands, by the service that takes them (DESIGN.md §9). The policy
//! (`policy::grants`, an exhaustive match), the handlers' authorisation, the gateway's
//! mutations and the tests are all keyed by [`Command`], so a command added here and
//! forgotten in the policy does not compile, and one forgotten at an edge fails a test
//! that walks [`Command::ALL`].

use std::fmt;

/// The gRPC service that takes a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Icb,
    Practice,
    Partner,
    Provider,
}

macro_rules! commands {
    ($($service:ident { $($command:ident),* $(,)? })*) => {
        /// A command, named as its gRPC method and its policy rule are.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Command {
            $($($command,)*)*
        }

        impl Command {
            /// Every command, in the order of DESIGN.md §9.
            pub const ALL: &'static [Command] = &[$($(Command::$command,)*)*];

            /// The name of its gRPC method and of its policy rule, e.g. `BookSeat`.
            pub fn name(self) -> &'static str {
                match self {
                    $($(Command::$command => stringify!($command),)*)*
                }
            }

            pub fn service(self) -> Service {
                match self {
                    $($(Command::$command => Service::$service,)*)*
                }
            }
        }
    };
}

commands! {
    Icb {
        RegisterOrganisation,
        RenameOrganisation,
        ReparentOrganisation,
        MergeOrganisations,
        CloseOrganisation,
        RecordRegistryImport,
        DefineDuty,
        RetireDuty,
        ProposeResponsibility,
        AcceptResponsibility,
        DeclineResponsibility,
        EndResponsibility,
        AttributeResponsibility,
        LaunchTrainingProgramme,
        SetRolloutTarget,
        CommissionPartner,
        EndCommission,
    }
    Practice {
        RecordFacilitation,
        ChangeServiceStatus,
        NameDigitalChampion,
        ReportStaffInPost,
        EnrolStaff,
        CompleteModule,
        CompleteTraining,
        AdoptPlatform,
    }
    Partner {
        ScheduleSession,
        ConfirmHosting,
        DeclineHosting,
        BookSeat,
        CancelBooking,
        JoinWaitlist,
        CancelSession,
        RecordAttendance,
    }
    Provider {
        RegisterPlatform,
        AnnouncePlatformChange,
        PublishTrainingMaterial,
        ReportUsabilityIssue,
        AcknowledgeUsabilityIssue,
        ResolveUsabilityIssue,
    }
}

impl Command {
    /// The command named `name` (as [`Command::name`] spells it).
    pub fn named(name: &str) -> Option<Command> {
        Command::ALL.iter().copied().find(|c| c.name() == name)
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_listed_once_and_found_by_its_name() {
        let mut seen = std::collections::BTreeSet::new();
        for &command in Command::ALL {
            assert!(seen.insert(command), "{command} listed twice");
            assert_eq!(Command::named(command.name()), Some(command));
        }
        assert_eq!(Command::named("bookSeat"), None);
    }
}
