//! Loading aggregates from the log and recording commands against them.
//!
//! Every stream has a cached state (the fold of its events so far, and its version) and an
//! async lock. A command on a stream:
//! 1. takes the stream's lock, so commands on one aggregate in this process run one at a
//!    time (a booking race is decided here, not by retries);
//! 2. catches the cached state up with whatever other processes appended;
//! 3. asks the domain for the events; if this caller (same subject, organisation and
//!    roles) already sent this `request_id`, answers with the original result instead,
//!    unless the domain now denies the command;
//! 4. appends the events with the version it decided on
//!    (`Exact`, or `NoStream` for a new aggregate), so a writer in another process cannot
//!    slip in between;
//! 5. on a version conflict, catches up and decides again, a bounded number of times.
//!
//! Request ids are recorded in the events' metadata, so "already done" survives restarts
//! and needs no separate table: it is part of the aggregate's own history.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use auth::Principal;
use chrono::{DateTime, Utc};
use domain::commissioning::{self, Commissions};
use domain::envelope::{self, SCHEMA_VERSION, meta};
use domain::registry::{self, Registry};
use domain::{Aggregate, Context, DomainError, EventSet};
use eventlog::{
    Clock, Direction, EventLog, ExpectedVersion, LogError, Metadata, NewEvent, RecordedEvent,
};
use proto::v1::CommandResult;
use uuid::Uuid;

use crate::error::ServiceError;

/// How many times a command is decided again after another process appended first.
const MAX_ATTEMPTS: usize = 5;
/// Streams whose state is kept; past this the cache starts over (state is rebuilt from the
/// log on next use).
const MAX_CACHED_STREAMS: usize = 100_000;
/// Ids derived from a request id live in this namespace (UUID v5).
const REQUEST_NAMESPACE: Uuid = Uuid::from_u128(0x6a1f_2c3e_9b8d_4e5f_a7c1_0d2e_3f4a_5b6c);

/// The key under which a request's result is remembered: who, for which organisation,
/// with which roles, and the request id they chose. Fields are length-prefixed so that no
/// choice of values can make two different callers' keys equal.
fn request_key(subject: &str, organisation: &str, roles: &str, request_id: &str) -> String {
    [subject, organisation, roles, request_id]
        .iter()
        .map(|part| format!("{}:{part}", part.len()))
        .collect::<Vec<_>>()
        .join("|")
}

fn roles_text(principal: &Principal) -> String {
    let mut roles: Vec<&str> = principal.roles.iter().map(|r| r.as_str()).collect();
    roles.sort_unstable();
    roles.dedup();
    roles.join(",")
}

/// Who sent a command, and the optional id that makes re-sending it harmless.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub request_id: Option<String>,
    pub correlation_id: Uuid,
    /// The W3C trace context of the call, recorded with its events so that the command
    /// can be followed into the log and its projections (see `envelope::meta::TRACEPARENT`).
    pub traceparent: Option<String>,
}

impl Caller {
    pub fn new(principal: Principal, request_id: &str) -> Result<Self, DomainError> {
        Ok(Self {
            principal,
            request_id: domain::values::request_id(request_id)?,
            correlation_id: Uuid::new_v4(),
            traceparent: None,
        })
    }

    /// The same caller, in the trace `traceparent` names when it is a well-formed one
    /// (anything else is dropped, not refused: tracing never fails a command).
    pub fn in_trace(mut self, traceparent: Option<&str>) -> Self {
        self.traceparent = traceparent
            .and_then(envelope::traceparent)
            .map(str::to_owned);
        self
    }

    /// Request ids are the caller's own: two callers may pick the same one, and one
    /// subject acting for another organisation or with other roles is another caller.
    fn request_key(&self) -> Option<String> {
        self.request_id.as_ref().map(|id| {
            request_key(
                &self.principal.subject,
                &self.principal.organisation,
                &roles_text(&self.principal),
                id,
            )
        })
    }

    /// The id the client chose in `text` (a UUID, naming `field` when it is not one), or,
    /// when it chose none, one derived from the request (see [`Caller::derived_id`]).
    pub fn id_or_derived(
        &self,
        field: &str,
        text: &str,
        purpose: &str,
    ) -> Result<Uuid, DomainError> {
        if text.trim().is_empty() {
            Ok(self.derived_id(purpose))
        } else {
            domain::values::id(field, text)
        }
    }

    /// An id that is the same every time this caller re-sends this request, so that an id
    /// the client did not choose (a new session's) is stable across re-sends too.
    pub fn derived_id(&self, purpose: &str) -> Uuid {
        match self.request_key() {
            Some(key) => Uuid::new_v5(&REQUEST_NAMESPACE, format!("{key}|{purpose}").as_bytes()),
            None => Uuid::new_v4(),
        }
    }
}

/// What a command's decision consults besides its own stream: the organisation tree
/// always; the commissions in force only for referrals, which a commissioned partner may
/// make on another partner's session (reading them costs every other command nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consults {
    Tree,
    Commissions,
}

/// An aggregate's state as folded so far.
#[derive(Debug, Clone)]
struct Cached<A> {
    state: Arc<A>,
    /// The stream's last version (`None`: no stream yet).
    version: Option<u64>,
    /// Results of requests already recorded on this stream, by caller and request id.
    requests: HashMap<String, CommandResult>,
}

impl<A> Default for Cached<A>
where
    A: Default,
{
    fn default() -> Self {
        Self {
            state: Arc::new(A::default()),
            version: None,
            requests: HashMap::new(),
        }
    }
}

type Slot = Arc<tokio::sync::Mutex<Option<Box<dyn Any + Send + Sync>>>>;

/// The domain services' access to the log. Cheap to share behind an `Arc`.
pub struct Store {
    log: Arc<dyn EventLog>,
    slots: Mutex<HashMap<String, Slot>>,
    /// The time commands are decided at: the log's own clock when the log is in-process,
    /// so that an event's recorded time is the time it was decided at.
    clock: Clock,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// A store deciding by the system's time.
    pub fn new(log: Arc<dyn EventLog>) -> Self {
        Self {
            log,
            slots: Mutex::new(HashMap::new()),
            clock: Clock::system(),
        }
    }

    /// Decides by `clock` instead: give it the clock the log stamps with
    /// ([`eventlog::SledLog::clock`]), so that holding it moves both.
    pub fn with_clock(self, clock: Clock) -> Self {
        Self { clock, ..self }
    }

    pub fn log(&self) -> &Arc<dyn EventLog> {
        &self.log
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.clock.now_unix_micros()).unwrap_or_else(Utc::now)
    }

    fn slot(&self, stream: &str) -> Slot {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slots.len() >= MAX_CACHED_STREAMS && !slots.contains_key(stream) {
            slots.clear();
        }
        slots.entry(stream.to_owned()).or_default().clone()
    }

    /// The current state of an aggregate, for reading (e.g. the duty a proposal names).
    ///
    /// Readers of one stream read the log side by side and hold its lock only to fold what
    /// they read: every command reads the organisation tree, and on a log across the network
    /// holding the lock for the read would queue them all behind one another's round trips.
    pub async fn load<A: Aggregate>(&self, stream: &str) -> Result<Arc<A>, ServiceError> {
        let slot = self.slot(stream);
        let mut from = {
            let mut guard = slot.lock().await;
            let cached = take_cached::<A>(&mut guard);
            let from = next_version(&cached);
            *guard = Some(Box::new(cached));
            from
        };
        loop {
            let page = self.read_page(stream, from).await?;
            let mut guard = slot.lock().await;
            let mut cached = take_cached::<A>(&mut guard);
            // Not folded when the cached state was dropped meanwhile: read again from
            // where it now stands.
            let folded = fold(&mut cached, &page);
            let asked = std::mem::replace(&mut from, next_version(&cached));
            let state = cached.state.clone();
            *guard = Some(Box::new(cached));
            if !folded? && from == asked {
                // The log answered a page that does not start where it was asked to:
                // reading again would get the same page for ever.
                return Err(gap(stream, asked, &page));
            }
            // The last read began after this call did and found nothing new.
            if page.is_empty() {
                return Ok(state);
            }
        }
    }

    /// The organisation tree as it stands.
    pub async fn registry(&self) -> Result<Arc<Registry>, ServiceError> {
        self.load::<Registry>(registry::STREAM).await
    }

    /// Records a command on `stream`: see the module documentation for the steps.
    /// `decide` may run more than once (after a conflict), always on fresh state.
    pub async fn execute<A, F>(
        &self,
        stream: &str,
        aggregate_id: &str,
        caller: &Caller,
        decide: F,
    ) -> Result<CommandResult, ServiceError>
    where
        A: Aggregate,
        F: Fn(&A, &Context) -> Result<Vec<A::Event>, DomainError>,
    {
        self.execute_consulting(stream, aggregate_id, caller, Consults::Tree, decide)
            .await
    }

    /// [`Store::execute`] for a command that consults more than the organisation tree.
    pub async fn execute_consulting<A, F>(
        &self,
        stream: &str,
        aggregate_id: &str,
        caller: &Caller,
        consults: Consults,
        decide: F,
    ) -> Result<CommandResult, ServiceError>
    where
        A: Aggregate,
        F: Fn(&A, &Context) -> Result<Vec<A::Event>, DomainError>,
    {
        let slot = self.slot(stream);
        let mut guard = slot.lock().await;
        let mut cached = take_cached::<A>(&mut guard);
        let result = self
            .execute_locked(stream, aggregate_id, caller, consults, &decide, &mut cached)
            .await;
        *guard = Some(Box::new(cached));
        result
    }

    async fn execute_locked<A, F>(
        &self,
        stream: &str,
        aggregate_id: &str,
        caller: &Caller,
        consults: Consults,
        decide: &F,
        cached: &mut Cached<A>,
    ) -> Result<CommandResult, ServiceError>
    where
        A: Aggregate,
        F: Fn(&A, &Context) -> Result<Vec<A::Event>, DomainError>,
    {
        for _ in 0..MAX_ATTEMPTS {
            // The registry is its own stream: read it unlocked unless it is the one we hold.
            let other_registry = async {
                if stream == registry::STREAM {
                    Ok(None)
                } else {
                    self.registry().await.map(Some)
                }
            };
            // Read on every attempt, like the tree: a commission ended meanwhile counts.
            let commissions = async {
                match consults {
                    Consults::Tree => Ok(Arc::default()),
                    Consults::Commissions => self.load::<Commissions>(commissioning::STREAM).await,
                }
            };
            // Side by side: on a log across the network each read is a round trip.
            let ((), other_registry, commissions) =
                tokio::try_join!(self.catch_up(stream, cached), other_registry, commissions)?;
            let registry = other_registry.unwrap_or_else(|| {
                (cached as &dyn Any)
                    .downcast_ref::<Cached<Registry>>()
                    .map_or_else(|| Arc::new(Registry::default()), |c| c.state.clone())
            });
            let replay = caller
                .request_key()
                .and_then(|key| cached.requests.get(&key).cloned());
            let context = Context {
                actor: caller.principal.clone(),
                registry,
                commissions,
                now: self.now(),
            };
            let decided = decide(&cached.state, &context);
            if let Some(done) = replay {
                // A re-send answers with the original result only if the policy admits
                // the command now: the decision is taken again and only a denial counts
                // (anything else, such as "already booked", is the re-send itself).
                return match decided {
                    Err(denied @ DomainError::Forbidden(_)) => Err(denied.into()),
                    _ => Ok(done),
                };
            }
            let events = decided?;
            // On the organisations stream the context's registry is the cached state
            // itself: let go of it so folding the new events below does not copy the tree.
            drop(context);
            if events.is_empty() {
                // Nothing to record (e.g. renaming to the same name): report where it stands.
                return Ok(CommandResult {
                    aggregate_id: aggregate_id.to_owned(),
                    stream_version: cached.version.unwrap_or(0),
                    ..CommandResult::default()
                });
            }
            let expected = cached
                .version
                .map_or(ExpectedVersion::NoStream, ExpectedVersion::Exact);
            let new_events = to_new_events(&events, stream, aggregate_id, caller);
            match self.log.append(stream, expected, new_events.clone()).await {
                Ok(outcome) => {
                    let result = CommandResult {
                        aggregate_id: aggregate_id.to_owned(),
                        event_ids: new_events.iter().map(|e| e.event_id.to_string()).collect(),
                        first_position: outcome.first_position,
                        last_position: outcome.last_position,
                        stream_version: outcome.last_version,
                        // The handler fills in what it created, which it can derive again
                        // for a re-sent request.
                        created_id: String::new(),
                    };
                    let state = Arc::make_mut(&mut cached.state);
                    for event in &events {
                        state.apply(event);
                    }
                    cached.version = Some(outcome.last_version);
                    if let Some(key) = caller.request_key() {
                        cached.requests.insert(key, result.clone());
                    }
                    return Ok(result);
                }
                Err(LogError::WrongExpectedVersion { .. }) => {
                    tracing::debug!(stream, "another writer appended first; deciding again");
                }
                Err(err) => return Err(err.into()),
            }
        }
        Err(ServiceError::Conflict(format!(
            "{stream} kept changing while the command was decided; retry it"
        )))
    }

    /// Folds whatever the log holds beyond the cached version.
    async fn catch_up<A: Aggregate>(
        &self,
        stream: &str,
        cached: &mut Cached<A>,
    ) -> Result<(), ServiceError> {
        loop {
            let from = next_version(cached);
            let page = self.read_page(stream, from).await?;
            if page.is_empty() {
                return Ok(());
            }
            if !fold(cached, &page)? {
                return Err(gap(stream, from, &page));
            }
        }
    }

    async fn read_page(&self, stream: &str, from: u64) -> Result<Vec<RecordedEvent>, LogError> {
        self.log
            .read_stream(
                stream,
                from,
                eventlog::limits::MAX_PAGE_SIZE,
                Direction::Forwards,
            )
            .await
    }
}

/// A page of `stream` read from version `from` that begins elsewhere.
fn gap(stream: &str, from: u64, page: &[RecordedEvent]) -> ServiceError {
    let answered = page.first().map_or(from, |r| r.version);
    LogError::Storage(format!(
        "stream {stream}: read from version {from}, the log answered from version {answered}"
    ))
    .into()
}

fn next_version<A>(cached: &Cached<A>) -> u64 {
    cached.version.map_or(0, |v| v + 1)
}

/// Folds the events of `page` (a stream's, in version order) that `cached` does not hold
/// yet: another reader may have folded some of them meanwhile. Folds nothing and answers
/// `false` when the page does not continue from `cached` (its state was dropped and is
/// being rebuilt from the start).
fn fold<A: Aggregate>(
    cached: &mut Cached<A>,
    page: &[RecordedEvent],
) -> Result<bool, ServiceError> {
    let (known, next) = (cached.version, next_version(cached));
    let mut new = page
        .iter()
        .skip_while(|recorded| known.is_some_and(|v| recorded.version <= v))
        .peekable();
    match new.peek() {
        None => return Ok(true),
        Some(first) if first.version != next => return Ok(false),
        Some(_) => {}
    }
    let state = Arc::make_mut(&mut cached.state);
    for recorded in new {
        if let Some(event) = decode::<A>(recorded)? {
            state.apply(&event);
        }
        cached.version = Some(recorded.version);
        remember_request(&mut cached.requests, recorded);
    }
    Ok(true)
}

fn take_cached<A: Aggregate>(slot: &mut Option<Box<dyn Any + Send + Sync>>) -> Cached<A> {
    slot.take()
        .and_then(|boxed| boxed.downcast::<Cached<A>>().ok())
        .map_or_else(Cached::default, |boxed| *boxed)
}

fn decode<A: Aggregate>(recorded: &RecordedEvent) -> Result<Option<A::Event>, ServiceError> {
    envelope::decode(&recorded.event_type, &recorded.metadata, &recorded.payload).map_err(|err| {
        ServiceError::Undecodable {
            stream: recorded.stream.clone(),
            version: recorded.version,
            reason: err.to_string(),
        }
    })
}

/// Rebuilds the result of a request from its recorded events (each carries the request key).
fn remember_request(requests: &mut HashMap<String, CommandResult>, recorded: &RecordedEvent) {
    let (Some(actor), Some(organisation), Some(roles), Some(request)) = (
        recorded.metadata.get(meta::ACTOR),
        recorded.metadata.get(meta::ORGANISATION),
        recorded.metadata.get(meta::ROLES),
        recorded.metadata.get(meta::REQUEST_ID),
    ) else {
        // Events written before roles were recorded answer no re-send: judged anew.
        return;
    };
    let result = requests
        .entry(request_key(actor, organisation, roles, request))
        .or_insert_with(|| CommandResult {
            aggregate_id: recorded
                .metadata
                .get(meta::AGGREGATE_ID)
                .cloned()
                .unwrap_or_default(),
            first_position: recorded.position,
            ..CommandResult::default()
        });
    result.event_ids.push(recorded.event_id.to_string());
    result.last_position = recorded.position;
    result.stream_version = recorded.version;
}

fn to_new_events<E: EventSet>(
    events: &[E],
    stream: &str,
    aggregate_id: &str,
    caller: &Caller,
) -> Vec<NewEvent> {
    events
        .iter()
        .enumerate()
        .map(|(i, event)| {
            let mut metadata = Metadata::new();
            metadata.insert(meta::ACTOR.into(), caller.principal.subject.clone());
            metadata.insert(
                meta::ORGANISATION.into(),
                caller.principal.organisation.clone(),
            );
            metadata.insert(
                meta::CORRELATION_ID.into(),
                caller.correlation_id.to_string(),
            );
            metadata.insert(meta::ROLES.into(), roles_text(&caller.principal));
            metadata.insert(meta::AGGREGATE_ID.into(), aggregate_id.to_owned());
            metadata.insert(meta::SCHEMA_VERSION.into(), SCHEMA_VERSION.to_string());
            if let Some(request_id) = &caller.request_id {
                metadata.insert(meta::REQUEST_ID.into(), request_id.clone());
            }
            if let Some(traceparent) = &caller.traceparent {
                metadata.insert(meta::TRACEPARENT.into(), traceparent.clone());
            }
            NewEvent {
                // Derived from the request id when there is one, so that even a re-send that
                // reaches the log twice stores the events once.
                event_id: caller.derived_id(&format!("{stream}|{i}")),
                event_type: event.type_name(),
                payload: event.encode().into(),
                metadata,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use auth::Role;
    use domain::registry::RegisterOrganisation;
    use eventlog::conformance::ScratchSled;
    use proto::v1::OrganisationKind;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn national_lead() -> Caller {
        let principal = Principal {
            subject: "lead@X24".into(),
            organisation: "X24".into(),
            roles: vec![Role::NationalLead],
        };
        Caller::new(principal, "").expect("a caller")
    }

    async fn register(store: &Store, code: &str, kind: OrganisationKind, parent: &str) {
        let command = RegisterOrganisation {
            code: code.into(),
            kind,
            name: format!("Organisation {code}"),
            parent_code: parent.into(),
            effective_date: chrono::NaiveDate::from_ymd_opt(2020, 1, 1),
            covers_codes: Vec::new(),
            postcode_district: String::new(),
        };
        store
            .execute::<Registry, _>(registry::STREAM, code, &national_lead(), |r, ctx| {
                r.register(command.clone(), ctx)
            })
            .await
            .expect("registered");
    }

    /// Loads read side by side and fold under the lock: each sees every organisation
    /// registered (by another process's store) before it began, none is folded twice, and
    /// the store can still record on the stream it loaded.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_loads_see_what_was_recorded_before_them_and_fold_it_once() {
        let sled = ScratchSled::open();
        let writer = Arc::new(Store::new(sled.log.clone()));
        let reader = Arc::new(Store::new(sled.log.clone()));
        register(&writer, "X24", OrganisationKind::NationalBody, "").await;
        let registered = Arc::new(AtomicUsize::new(1));
        let writing = {
            let (writer, registered) = (writer.clone(), registered.clone());
            tokio::spawn(async move {
                for i in 0..60 {
                    register(
                        &writer,
                        &format!("Y{i:02}"),
                        OrganisationKind::Region,
                        "X24",
                    )
                    .await;
                    registered.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        let loads: Vec<_> = (0..8)
            .map(|_| {
                let (reader, registered) = (reader.clone(), registered.clone());
                tokio::spawn(async move {
                    for _ in 0..40 {
                        let before = registered.load(Ordering::SeqCst);
                        let tree = reader.registry().await.expect("loads");
                        assert!(tree.len() >= before, "{} of {before}", tree.len());
                    }
                })
            })
            .collect();
        for load in loads {
            load.await.expect("loads");
        }
        writing.await.expect("writes");
        let tree = reader.registry().await.expect("loads");
        assert_eq!(tree.len(), 61);
        // A version folded twice would make the next append's expected version wrong.
        register(&reader, "Y99", OrganisationKind::Region, "X24").await;
        assert_eq!(writer.registry().await.expect("loads").len(), 62);
    }

    #[test]
    fn a_page_that_does_not_continue_the_cached_state_is_not_folded() {
        let mut cached = Cached::<Registry>::default();
        let recorded = RecordedEvent {
            event_id: Uuid::new_v4(),
            stream: registry::STREAM.into(),
            version: 3,
            position: 4,
            event_type: "difacto.v1.OrganisationRegistered".into(),
            payload: Default::default(),
            metadata: Default::default(),
            recorded_at_unix_micros: 0,
        };
        assert!(!fold(&mut cached, &[recorded]).expect("no decoding needed"));
        assert_eq!(cached.version, None);
    }
}
