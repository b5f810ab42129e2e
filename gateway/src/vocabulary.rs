//! GraphQL enums for the proto vocabulary, with conversions both ways.
//!
//! Each enum has the proto enum's name; its values are the proto value names without the
//! enum's prefix and without `UNSPECIFIED` (`FACILITATION_MODE_PROACTIVE` is `PROACTIVE`).
//! The one rename is `OrganisationKind::NATIONAL_BODY`, which is `NATIONAL` here as in
//! DESIGN.md §4. Unspecified has no GraphQL value: a field that may be left unspecified is
//! a nullable field, and `null` is sent as `0`.
//!
//! The conversions are exhaustive matches on the generated proto enums, so a value added to
//! a `.proto` file fails to compile here until it is given a GraphQL name.

use proto::v1 as pb;

/// A GraphQL enum that mirrors a proto enum: what a mutation's input sends as the proto's
/// number.
pub trait Vocabulary: Copy + Into<i32> {}

/// The proto value of `$variant`: the same name unless a different one is given.
macro_rules! proto_variant {
    ($proto_enum:ident, $variant:ident) => {
        pb::$proto_enum::$variant
    };
    ($proto_enum:ident, $variant:ident, $proto:ident) => {
        pb::$proto_enum::$proto
    };
}

/// Declares GraphQL enums mirroring proto enums of the same name, with
/// `From<Self> for pb::X`, `From<Self> for i32`, `from_proto(i32) -> Option<Self>` and
/// `ALL`. `Variant = ProtoVariant` maps a GraphQL value to a differently named proto value.
macro_rules! vocabulary {
    ($(
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident $(= $proto:ident)? ),+ $(,)?
        }
    )+) => {$(
        $(#[$meta])*
        #[derive(async_graphql::Enum, Copy, Clone, Debug, Eq, PartialEq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in proto order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// `None` for the unspecified value (0) and for numbers this build does not know.
            pub fn from_proto(value: i32) -> Option<Self> {
                match pb::$name::try_from(value).ok()? {
                    pb::$name::Unspecified => None,
                    $( proto_variant!($name, $variant $(, $proto)?) => Some(Self::$variant), )+
                }
            }
        }

        impl From<$name> for pb::$name {
            fn from(value: $name) -> Self {
                match value {
                    $( $name::$variant => proto_variant!($name, $variant $(, $proto)?), )+
                }
            }
        }

        impl From<$name> for i32 {
            fn from(value: $name) -> Self {
                pb::$name::from(value) as i32
            }
        }

        impl Vocabulary for $name {}

        $crate::views::eager::eager_enum!($name);
    )+};
}

vocabulary! {
    /// Where a duty must be owned.
    Level {
        /// A practice or a primary care network (PCN).
        Local,
        /// An integrated care board (ICB) or an NHS England region.
        Regional,
        /// England as a whole.
        National,
    }

    /// What kind of organisation it is, from NHS England down to a practice.
    OrganisationKind {
        /// NHS England.
        National = NationalBody,
        /// An NHS England commissioning region.
        Region,
        /// An integrated care board.
        Icb,
        /// A sub-ICB location.
        SubIcb,
        /// A primary care network.
        Pcn,
        /// A general practice.
        Practice,
        /// A third-sector partner that runs community sessions.
        Partner,
        /// A supplier of digital platforms.
        Provider,
    }

    /// RACI: who does the work, who answers for it, who is asked, who is told.
    RaciRole {
        /// Does the work.
        Responsible,
        /// Answers for the work being done.
        Accountable,
        /// Is asked before decisions.
        Consulted,
        /// Is told what happened.
        Informed,
    }

    /// The staff role of the person who did, or is trained for, the work.
    StaffRole {
        Receptionist,
        CareNavigator,
        /// A practice manager (named so as not to clash with the organisation kind).
        PracticeManagerRole,
        Gp,
        Nurse,
        Pharmacist,
        HealthcareAssistant,
        DigitalChampion,
        SocialPrescriber,
        Volunteer,
        OtherStaff,
    }

    /// A digital service that facilitation helps people use.
    DigitalService {
        NhsApp,
        OnlineConsultation,
        OnlinePrescriptions,
        OnlineRecords,
        OnlineAppointments,
        VideoConsultation,
        PracticeWebsite,
    }

    /// A group at most risk of digital exclusion.
    PatientGroup {
        OlderPeople,
        LimitedEnglish,
        LearningDisability,
        SensoryImpairment,
        Homeless,
        Travellers,
        RefugeesAsylumSeekers,
        MentalIllness,
        GeneralPopulation,
    }

    /// How the help came about.
    FacilitationMode {
        /// Help made available for people to find: posters, leaflets, website pages, a
        /// recorded phone message.
        Passive,
        /// Someone asked for help (at the desk, on the phone) and got it.
        Reactive,
        /// The practice reached out first: invited people, ran a clinic, followed up
        /// someone it knew would struggle.
        Proactive,
    }

    /// How the help reached the patient.
    FacilitationChannel {
        /// One to one, in person (desk, clinic room).
        FaceToFace,
        Telephone,
        Video,
        /// A group session run by the practice.
        GroupSession,
        /// A printed guide, leaflet or poster.
        WrittenGuide,
        /// A text message with a link or instructions.
        SmsLink,
        /// Pages or videos on the practice website.
        Website,
        /// A message to the patient's inbox or the app.
        Email,
        /// During a home or care-home visit.
        HomeVisit,
        Other,
    }

    /// Whether a practice offers a digital service to its patients.
    ServiceStatus {
        /// Patients can use it.
        Offered,
        /// Switched off for now, expected to come back.
        Paused,
        /// Switched off with no plan to bring it back.
        Withdrawn,
    }

    /// Why a practice changed a digital service's status.
    ServiceChangeReason {
        /// Not enough staff to handle it safely.
        StaffCapacity,
        /// More requests than the practice can answer.
        Demand,
        /// The supplier's platform is not working well.
        PlatformProblem,
        /// The contract or funding ended or changed.
        ContractOrFunding,
        /// A clinical safety concern.
        ClinicalSafety,
        /// Patients found it hard to use or unhelpful.
        PatientFeedback,
        /// The problem is over; the service is back.
        Restored,
        /// Offered for the first time.
        NewService,
        Other,
    }

    /// On a session, what the venue and the partner provide; on a booking, what the
    /// person needs to take part.
    AccessNeed {
        /// Step-free access and wheelchair space.
        Wheelchair,
        HearingLoop,
        /// A British Sign Language interpreter.
        BslInterpreter,
        LargePrint,
        /// Easy-read materials, for people with a learning disability.
        EasyRead,
        AssistanceDogFriendly,
        AccessibleToilet,
        /// A calm, low-stimulus room.
        QuietSpace,
        /// A carer or companion may come too.
        CarerWelcome,
        /// A phone or tablet to use on the day.
        DeviceLoan,
        /// Devices with a screen reader or magnifier.
        ScreenReader,
        Other,
    }

    /// What kind of platform it is.
    PlatformCategory {
        /// An app patients install (NHS App, supplier apps).
        PatientApp,
        /// Online forms to ask the practice for help.
        OnlineConsultationTool,
        /// Booking and cancelling appointments.
        OnlineBooking,
        /// Sorting and routing requests in the practice.
        Triage,
        /// Patients seeing their GP record.
        RecordsAccess,
        /// Texts and messages between practice and patients.
        Messaging,
        VideoConsultation,
        /// Repeat prescriptions online.
        PrescriptionOrdering,
        /// Website platforms for practices.
        PracticeWebsite,
        /// Cloud telephony, call-back, queueing.
        Telephony,
        /// The practice's GP IT system.
        ClinicalSystem,
        Other,
    }

    /// What a usability problem is about.
    UsabilityIssueCategory {
        /// Screen readers, contrast, text size, captions.
        Accessibility,
        /// Signing in, NHS login, identity checks.
        LoginIdentity,
        /// People cannot find their way.
        Navigation,
        /// Wording too hard, or no translation.
        Language,
        /// Slow, times out, falls over.
        Performance,
        /// It changed and nobody told us.
        ChangeUnannounced,
        /// Carers and relatives acting for someone.
        ProxyAccess,
        /// Older phones, shared devices, browsers.
        DeviceCompatibility,
        /// Hard for practice staff to use.
        StaffWorkflow,
        Other,
    }

    /// How badly a usability problem affects patients or staff.
    IssueSeverity {
        /// An annoyance; there is an easy way round.
        Low,
        /// Some people need help from staff to get round it.
        Medium,
        /// Some people cannot use the service at all.
        High,
        /// Nobody can use it, or it puts patients at risk.
        Critical,
    }

    /// How a usability problem was closed.
    IssueResolutionKind {
        Fixed,
        /// Not fixed, but there is a documented way round.
        Workaround,
        WillNotFix,
        CannotReproduce,
        Duplicate,
    }

    /// The form training material comes in.
    MaterialFormat {
        Video,
        /// A written step-by-step guide.
        Guide,
        /// Easy read, for people with a learning disability.
        EasyRead,
        /// Video in British Sign Language.
        BslVideo,
        Audio,
        Slides,
        LargePrint,
        /// E-learning or a practice ("sandbox") version.
        Interactive,
        /// Posters and leaflets for the waiting room.
        Poster,
        Other,
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::EnumType;

    use super::*;

    fn name<T: EnumType>(value: T) -> &'static str {
        T::items()
            .iter()
            .find(|item| item.value == value)
            .map(|item| item.name)
            .expect("every value has a GraphQL name")
    }

    /// Every proto value except unspecified converts to GraphQL and back unchanged, the
    /// GraphQL name is the proto name without the enum's prefix, and every GraphQL value
    /// has a proto value.
    macro_rules! round_trips {
        ($($name:ident),+ $(,)?) => {$(
            let mut seen = 0;
            for value in (1..=64).filter_map(|n| pb::$name::try_from(n).ok()) {
                let ours = $name::from_proto(value as i32)
                    .unwrap_or_else(|| panic!("{}::{value:?} has no GraphQL value", stringify!($name)));
                assert_eq!(pb::$name::from(ours), value);
                assert_eq!(i32::from(ours), value as i32);
                let proto_name = value.as_str_name();
                let graphql_name = name(ours);
                assert!(
                    proto_name.ends_with(graphql_name)
                        || (proto_name, graphql_name) == ("NATIONAL_BODY", "NATIONAL"),
                    "{proto_name} became {graphql_name}",
                );
                seen += 1;
            }
            assert_eq!(seen, $name::ALL.len(), "{}", stringify!($name));
            assert_eq!(seen, $name::items().len(), "{}", stringify!($name));
            assert_eq!($name::from_proto(0), None, "{} unspecified", stringify!($name));
            assert_eq!($name::from_proto(-1), None);
            assert_eq!($name::from_proto(1000), None);
        )+};
    }

    #[test]
    fn every_proto_value_round_trips_and_unknown_values_are_none() {
        round_trips!(
            Level,
            OrganisationKind,
            RaciRole,
            StaffRole,
            DigitalService,
            PatientGroup,
            FacilitationMode,
            FacilitationChannel,
            ServiceStatus,
            ServiceChangeReason,
            AccessNeed,
            PlatformCategory,
            UsabilityIssueCategory,
            IssueSeverity,
            IssueResolutionKind,
            MaterialFormat,
        );
    }

    #[test]
    fn graphql_names_follow_the_naming_rule() {
        assert_eq!(name(FacilitationMode::Proactive), "PROACTIVE");
        assert_eq!(name(Level::Local), "LOCAL");
        assert_eq!(name(OrganisationKind::National), "NATIONAL");
        assert_eq!(
            pb::OrganisationKind::from(OrganisationKind::National),
            pb::OrganisationKind::NationalBody
        );
        assert_eq!(name(FacilitationChannel::FaceToFace), "FACE_TO_FACE");
        assert_eq!(
            name(StaffRole::PracticeManagerRole),
            "PRACTICE_MANAGER_ROLE"
        );
        assert_eq!(name(OrganisationKind::SubIcb), "SUB_ICB");
    }
}
